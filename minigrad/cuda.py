"""`mg.cuda`, as `torch.cuda`: whether CuPy sees a GPU, how many, GPU seeding and sync.
Without a GPU they answer as PyTorch does on a CPU-only machine (False, 0, seeding does
nothing)."""

import os
from typing import Any

from . import random
from .amp import cuda_amp as amp  # noqa: F401  (torch.cuda.amp, deprecated there too)
from .backend import cuda_available
from .errors import Unsupported


def is_available() -> bool:
    return cuda_available()


def is_bf16_supported(including_emulation: bool = True) -> bool:
    """False: minigrad has no bfloat16 dtype (`minigrad.bfloat16` refuses any use)."""
    return False


def device_count() -> int:
    """Number of GPUs CuPy sees (0 without CuPy)."""
    if not cuda_available():
        return 0
    from .backend import cupy_module

    return int(cupy_module().cuda.runtime.getDeviceCount())


def current_device() -> int:
    """The index of the GPU CuPy uses; an error without one, as PyTorch."""
    from .backend import cupy_module

    return int(cupy_module().cuda.Device().id)


def manual_seed(seed: int) -> None:
    """Seed the GPU generator only (`mg.manual_seed` seeds CPU and GPU)."""
    random.manual_seed_gpu(seed)


def manual_seed_all(seed: int) -> None:
    """As `manual_seed`: minigrad drives one GPU."""
    random.manual_seed_gpu(seed)


def seed() -> None:
    """Seed the GPU generator from the operating system's entropy; without a GPU, nothing
    (PyTorch's is silently ignored there too)."""
    if cuda_available():
        random.manual_seed_gpu(int.from_bytes(os.urandom(8), "little") >> 1)


def seed_all() -> None:
    """As `seed`: minigrad drives one GPU."""
    seed()


_NO_GPU_STATE = (
    "minigrad does not read or restore the GPU generator's state (CuPy's generators do not "
    "expose it); reseed it with minigrad.cuda.manual_seed(seed) when a run resumes"
)


def get_rng_state_all() -> list:
    """The GPU generators' states, one per GPU: `[]` without a GPU, as PyTorch on a
    machine without one. With a GPU it raises: see `_NO_GPU_STATE`."""
    if cuda_available():
        raise Unsupported(f"cuda.get_rng_state_all: {_NO_GPU_STATE}")
    return []


def set_rng_state_all(new_states: Any) -> None:
    """Without a GPU, nothing (as PyTorch there: a checkpoint written on a GPU machine
    resumes on the CPU); with one it raises: see `_NO_GPU_STATE`."""
    states = list(new_states)
    if states and cuda_available():
        raise Unsupported(f"cuda.set_rng_state_all: {_NO_GPU_STATE}")


def synchronize(device: Any = None) -> None:
    """Wait for queued GPU work (no-op without a GPU); benchmarks call it before reading
    the clock. `device` is taken as PyTorch's (one GPU here: the current one)."""
    if cuda_available():
        from .backend import cupy_module

        cupy_module().cuda.Device().synchronize()  # the current device
