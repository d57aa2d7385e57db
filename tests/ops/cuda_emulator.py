"""Runs minigrad's CUDA kernels on the CPU, to check their index arithmetic without a GPU.

The kernel source of minigrad/ops/cuda_kernels.py is compiled unchanged as C++ behind a
prelude that turns CUDA's keywords into plain C++: `threadIdx`, `blockIdx`, `blockDim` and
`gridDim` become globals (threadIdx thread-local), `__shared__` becomes `static`. A
generated driver per kernel runs the blocks one after another. Threads run one after
another too, unless the kernel synchronises (`__syncthreads`, block reductions): then each
thread of a block is an OS thread and `__syncthreads()` a real barrier, so shared-memory
reductions are exercised with several threads as on a GPU.

`Emulator.launch` has the signature of `cuda_kernels._launch`; monkeypatching it in makes
the wrappers of cuda_kernels run these CPU builds on NumPy arrays. Like `cupy.RawKernel`,
it insists on exact argument types (np.int64 for `long long`, the dtype's scalar for `T`,
arrays of the right dtype for pointers).
"""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np

from minigrad.ops import cuda_kernels

PRELUDE = r"""
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>
using std::isnan;
using std::sqrt;

struct emu_dim3 { unsigned x, y, z; };
static emu_dim3 blockIdx, blockDim, gridDim;
static thread_local emu_dim3 threadIdx;
static bool emu_threaded = false;
static int emu_unsynced = 0;  // set when a kernel syncs while its threads run one by one

// __syncthreads() for the OS threads of one block: the last to arrive wakes the others.
static std::mutex emu_mutex;
static std::condition_variable emu_arrived;
static unsigned emu_waiting = 0, emu_generation = 0;

static void emu_syncthreads() {
    if (!emu_threaded) {
        if (blockDim.x > 1) emu_unsynced = 1;
        return;
    }
    std::unique_lock<std::mutex> lock(emu_mutex);
    unsigned generation = emu_generation;
    if (++emu_waiting == blockDim.x) {
        emu_waiting = 0;
        ++emu_generation;
        emu_arrived.notify_all();
    } else {
        emu_arrived.wait(lock, [&] { return emu_generation != generation; });
    }
}
extern "C" int emu_take_unsynced() { int u = emu_unsynced; emu_unsynced = 0; return u; }

#define __global__
#define __device__ static inline
#define __shared__ static
#define __syncthreads() emu_syncthreads()
"""

DRIVER = r"""
extern "C" void emu_{name}(unsigned grid, unsigned block, int threaded, {params}) {{
    gridDim.x = grid;
    blockDim.x = block;
    emu_threaded = threaded;
    for (unsigned b = 0; b < grid; ++b) {{
        blockIdx.x = b;
        if (!threaded) {{
            for (unsigned t = 0; t < block; ++t) {{
                threadIdx.x = t;
                {name}({args});
            }}
            continue;
        }}
        std::vector<std::thread> threads;
        for (unsigned t = 0; t < block; ++t)
            threads.emplace_back([=] {{ threadIdx.x = t; {name}({args}); }});
        for (auto& th : threads) th.join();
    }}
}}
"""

_KERNEL = re.compile(r'extern "C" __global__ void (\w+)\(([^)]*)\)')


def kernels(src: str) -> dict[str, list[tuple[str, str]]]:
    """{kernel name: [(C type, parameter name), ...]} of every kernel in `src`."""
    found = {}
    for name, params in _KERNEL.findall(src):
        pairs = []
        for p in params.split(","):
            ctype, pname = p.strip().rsplit(maxsplit=1)
            pairs.append((ctype.replace("*", "").strip() + ("*" if "*" in p else ""), pname))
        found[name] = pairs
    return found


def synchronising(src: str) -> set[str]:
    """Kernels whose body syncs its block (directly or through block_sum)."""
    names = [m.group(1) for m in _KERNEL.finditer(src)]
    starts = [m.start() for m in _KERNEL.finditer(src)] + [len(src)]
    return {
        name
        for name, a, b in zip(names, starts, starts[1:], strict=False)
        if "__syncthreads" in src[a:b] or "block_sum(" in src[a:b]
    }


def compiler() -> str | None:
    return shutil.which(os.environ.get("CXX", "g++")) or shutil.which("clang++")


class Emulator:
    """CPU builds of the kernels for float32 and float64. `max_grid` and `max_block` cap the
    launch shape (the kernels must give the same result for any grid, and any power-of-two
    block), so a test can make grid-stride loops stride and reductions use few threads."""

    def __init__(self, workdir: Path, max_grid: int = 1 << 30, max_block: int = 1 << 30):
        self.max_grid, self.max_block = max_grid, max_block
        self.libs, self.params = {}, {}
        self.launched: set[str] = set()  # names of the kernels run, for tests to check
        for dtype_name, src in cuda_kernels.kernel_sources().items():
            found = kernels(src)
            drivers = "".join(
                DRIVER.format(
                    name=name,
                    params=", ".join(f"{t} {p}" for t, p in params),
                    args=", ".join(p for _, p in params),
                )
                for name, params in found.items()
            )
            path = Path(workdir) / f"kernels_{dtype_name}.cpp"
            path.write_text(PRELUDE + src + drivers)
            lib = path.with_suffix(".so")
            flags = ["-std=c++17", "-O1", "-shared", "-fPIC", "-pthread", "-ffp-contract=off"]
            subprocess.run([compiler(), *flags, str(path), "-o", str(lib)], check=True)
            self.libs[dtype_name] = ctypes.CDLL(str(lib))
            self.params[dtype_name] = found
        self.synced = synchronising(cuda_kernels.SOURCE)

    def launch(self, name: str, dtype, grid: int, block: int, args: tuple) -> None:
        dtype = np.dtype(dtype)
        self.launched.add(name)
        params = self.params[dtype.name][name]
        assert len(args) == len(params), f"{name}: {len(args)} arguments for {len(params)}"
        scalar = {"float32": ctypes.c_float, "float64": ctypes.c_double}[dtype.name]
        c_args = [_c_arg(name, p, a, dtype, scalar) for p, a in zip(params, args, strict=True)]
        grid, block = min(grid, self.max_grid), min(block, self.max_block)
        assert block & (block - 1) == 0, "block sizes are powers of two"
        lib = self.libs[dtype.name]
        threaded = name in self.synced and block > 1
        getattr(lib, f"emu_{name}")(ctypes.c_uint(grid), ctypes.c_uint(block), threaded, *c_args)
        assert not lib.emu_take_unsynced(), f"{name} synchronises but ran unthreaded"


def _c_arg(kernel: str, param: tuple[str, str], a, dtype: np.dtype, scalar):
    ctype, pname = param
    where = f"{kernel}({pname}: {ctype})"
    if ctype.endswith("*"):
        want = np.int32 if ctype.replace("const", "").strip() == "int*" else dtype
        assert isinstance(a, np.ndarray) and a.dtype == want, f"{where} got {type(a)}"
        return ctypes.c_void_p(a.ctypes.data)
    if ctype == "long long":
        assert type(a) is np.int64, f"{where} got {type(a).__name__}"
        return ctypes.c_longlong(int(a))
    if ctype == "T":
        assert type(a) is dtype.type, f"{where} got {type(a).__name__}"
        return scalar(float(a))
    raise AssertionError(f"{where}: no conversion for this type")
