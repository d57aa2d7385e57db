"""Forward+backward timings of the convolution, batch-norm and LeakyReLU kernels against
PyTorch (CPU) with the same thread count.

    python -m benchmarks.kernels [--repeat 20] [--warmup 3] [--threads N] [--json PATH]

Each case runs forward and backward on fixed float32 inputs, timed as `python -m
benchmarks` times its workloads (`measure` there): each library's runs back to back in
blocks of five, the blocks alternating between the libraries so that a noisy neighbour
slows both alike, a pause before each block so that neither library's spinning worker
threads steal cores from the other, and the block's first run untimed. The median
(min-max) over the repeats is reported. (Until 2026-12-03 each run was timed alone after
its pause: every figure was a first run after rest, which on a 2-core Xeon virtual machine
put PyTorch's two-thread batch norm at 12 ms against 1 ms in a loop.)

The convolutions' achieved GFLOP/s (three products: forward, input gradient, weight
gradient) is printed next to the machine's float32 matmul GFLOP/s measured in the same run,
and the conv2d case's three NumPy products alone give the floor of any im2col convolution
on this BLAS. Without torch the minigrad column is still measured.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import minigrad as mg
from minigrad.ops.activation import leaky_relu
from minigrad.ops.batchnorm import batch_norm
from minigrad.ops.conv import conv2d, conv_transpose2d
from train.common import nonneg_float, nonneg_int, positive_int

try:
    import torch
    import torch.nn.functional as TF
except ImportError:  # the minigrad half still runs
    torch = None
    TF = None


def _leaves(rng: np.random.Generator, shapes: dict[str, tuple[int, ...]], scale: float = 1.0):
    return {k: (rng.standard_normal(s) * scale).astype(np.float32) for k, s in shapes.items()}


def _mg_runner(arrays: dict[str, np.ndarray], gy: np.ndarray, fn: Callable) -> Callable:
    leaves = {k: mg.Tensor(v, requires_grad=True) for k, v in arrays.items()}
    g = mg.Tensor(gy)

    def run() -> None:
        for t in leaves.values():
            t.grad = None
        fn(**leaves).backward(g)

    return run


def _torch_runner(arrays: dict[str, np.ndarray], gy: np.ndarray, fn: Callable) -> Callable:
    leaves = {k: torch.tensor(v, requires_grad=True) for k, v in arrays.items()}
    g = torch.tensor(gy)

    def run() -> None:
        for t in leaves.values():
            t.grad = None
        fn(**leaves).backward(g)

    return run


def _cases(rng: np.random.Generator) -> list[dict[str, Any]]:
    """Name, leaf arrays, output shape, minigrad and torch bodies and flop count of each."""
    n = 64
    conv = _leaves(rng, {"x": (n, 64, 14, 14), "w": (128, 64, 4, 4), "b": (128,)}, 0.1)
    convt = _leaves(rng, {"x": (n, 128, 7, 7), "w": (128, 64, 4, 4), "b": (64,)}, 0.1)
    bn = _leaves(rng, {"x": (n, 128, 7, 7), "w": (128,), "b": (128,)})
    act = _leaves(rng, {"x": (n, 128, 14, 14)})
    conv_flops = 3 * 2 * n * 128 * 7 * 7 * 64 * 4 * 4

    def mg_bn(x, w, b):
        c = x.shape[1]
        rm, rv = mg.zeros(c), mg.ones(c)
        return batch_norm(x, rm, rv, w, b, training=True)

    def torch_bn(x, w, b):
        c = x.shape[1]
        return TF.batch_norm(x, torch.zeros(c), torch.ones(c), w, b, training=True)

    return [
        dict(
            name="conv2d 64->128 14x14 k4 s2 p1",
            arrays=conv,
            out=(n, 128, 7, 7),
            mg=lambda x, w, b: conv2d(x, w, b, 2, 1),
            torch=lambda x, w, b: TF.conv2d(x, w, b, 2, 1),
            flops=conv_flops,
        ),
        dict(
            name="conv_transpose2d 128->64 7x7->14x14",
            arrays=convt,
            out=(n, 64, 14, 14),
            mg=lambda x, w, b: conv_transpose2d(x, w, b, 2, 1),
            torch=lambda x, w, b: TF.conv_transpose2d(x, w, b, 2, 1),
            flops=conv_flops,
        ),
        dict(
            name="batch_norm2d train 128ch 7x7",
            arrays=bn,
            out=(n, 128, 7, 7),
            mg=mg_bn,
            torch=torch_bn,
            flops=None,
        ),
        dict(
            name="leaky_relu(0.2) 64x128x14x14",
            arrays=act,
            out=(n, 128, 14, 14),
            mg=lambda x: leaky_relu(x, 0.2),
            torch=lambda x: TF.leaky_relu(x, 0.2),
            flops=None,
        ),
    ]


def _time(fn: Callable) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def matmul_gflops(repeat: int = 5, n: int = 2048) -> dict[str, float]:
    """float32 n x n matmul GFLOP/s (median) with NumPy's BLAS and, if present, torch."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    out = {}
    runners = {"numpy": lambda: a @ b}
    if torch is not None:
        ta, tb = torch.from_numpy(a), torch.from_numpy(b)
        runners["torch"] = lambda: ta @ tb
    for name, f in runners.items():
        f()
        out[name] = 2 * n**3 / float(np.median([_time(f) for _ in range(repeat)])) / 1e9
    return out


def gemm_floor_ms(repeat: int) -> dict[str, float]:
    """The three NumPy products of the conv2d case alone (forward, input and weight
    gradient, same shapes and layouts): the floor for any im2col convolution on this BLAS."""
    rng = np.random.default_rng(1)
    w = rng.standard_normal((128, 64 * 16), dtype=np.float32)
    cols = rng.standard_normal((64 * 16, 64 * 49), dtype=np.float32)
    gy = rng.standard_normal((128, 64 * 49), dtype=np.float32)

    def three() -> None:
        _ = w @ cols
        _ = w.T @ gy
        _ = gy @ cols.T

    three()
    ms = np.array([_time(three) for _ in range(repeat)]) * 1e3
    return {"median_ms": float(np.median(ms)), "min_ms": float(ms.min()), "max_ms": float(ms.max())}


def run(repeat: int, warmup: int, threads: int, pause: float = 0.25) -> dict[str, Any]:
    from .__main__ import measure  # the same block timing as the workloads'

    if torch is not None:
        torch.set_num_threads(threads)
    rng = np.random.default_rng(0)
    results = []
    for case in _cases(rng):
        gy = rng.standard_normal(case["out"]).astype(np.float32)
        builders = {"numpy": lambda c=case, g=gy: _mg_runner(c["arrays"], g, c["mg"])}
        if torch is not None:
            builders["torch"] = lambda c=case, g=gy: _torch_runner(c["arrays"], g, c["torch"])
        timed = measure(builders, warmup, repeat, case["flops"], settle_s=pause)
        row: dict[str, Any] = {"name": case["name"], "flops": case["flops"]}
        for backend, key in (("numpy", "minigrad"), ("torch", "torch")):
            if backend in timed:
                if "error" in timed[backend]:
                    raise RuntimeError(f"{case['name']} on {key}: {timed[backend]['error']}")
                row[key] = timed[backend]
        if "torch" in row:
            row["ratio"] = row["minigrad"]["median_ms"] / row["torch"]["median_ms"]
        results.append(row)
    return {
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "threads": threads,
            "numpy": np.__version__,
            "torch": None if torch is None else torch.__version__,
        },
        "matmul_gflops": matmul_gflops(),
        "conv2d_gemm_floor": gemm_floor_ms(repeat),
        "repeat": repeat,
        "warmup": warmup,
        "pause_s": pause,
        "results": results,
    }


def _fmt(t: dict[str, float] | None) -> str:
    if t is None:
        return "-"
    return f"{t['median_ms']:7.2f} ({t['min_ms']:.2f}-{t['max_ms']:.2f})"


def table(report: dict[str, Any]) -> str:
    mm = report["matmul_gflops"]
    lines = [
        f"threads={report['machine']['threads']}  repeats={report['repeat']}  "
        f"float32 2048^2 matmul: " + ", ".join(f"{k} {v:.0f} GFLOP/s" for k, v in mm.items()),
        f"{'case (forward+backward)':38s} {'minigrad ms':>24s} {'torch ms':>24s} "
        f"{'ratio':>6s} {'GFLOP/s mg/torch':>17s}",
    ]
    floor = report["conv2d_gemm_floor"]
    lines.append(f"{'  conv2d: its 3 NumPy GEMMs alone':38s} {_fmt(floor):>24s}")
    for r in report["results"]:
        ratio = f"{r['ratio']:6.2f}" if "ratio" in r else "     -"
        gf = ""
        if r["flops"]:
            gf = f"{r['minigrad']['gflops']:7.1f}"
            gf += f" / {r['torch']['gflops']:.1f}" if "torch" in r else ""
        lines.append(
            f"{r['name']:38s} {_fmt(r['minigrad']):>24s} {_fmt(r.get('torch')):>24s} "
            f"{ratio} {gf:>17s}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=positive_int, default=20)
    ap.add_argument("--warmup", type=nonneg_int, default=3)
    # NumPy's BLAS takes its thread count from OPENBLAS_NUM_THREADS at start-up (default:
    # all cores, as torch's); torch follows it so both run with the same count
    blas = os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS")
    torch_default = torch.get_num_threads() if torch is not None else os.cpu_count() or 1
    ap.add_argument(
        "--threads",
        type=positive_int,
        default=int(blas) if blas else torch_default,
        help="torch threads; defaults to OPENBLAS_NUM_THREADS so both libraries match",
    )
    ap.add_argument(
        "--pause",
        type=nonneg_float,
        default=0.25,
        help="seconds of idle before each block of runs (OpenBLAS's idle workers spin for "
        "about 0.14 s after a product)",
    )
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    args = ap.parse_args(argv)
    report = run(args.repeat, args.warmup, args.threads, args.pause)
    print(table(report))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)


if __name__ == "__main__":
    main()
