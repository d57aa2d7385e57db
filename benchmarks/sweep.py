"""A sweep of everyday ops against PyTorch: each op's forward, and its forward plus
backward, on one float32 input, as interleaved medians (blocks of calls alternating
between the two libraries). It finds the ops that are far behind, not the fine ratios:
`python -m benchmarks` times the ops and model steps that training here is made of.

    python -m benchmarks.sweep                    # (64, 256), the rows slowest first
    python -m benchmarks.sweep --shape 64 64 14 14 --threads 2 --out sweep.md
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import minigrad as mg

from .workloads import unavailable_reason

# name -> f(lib, F, x, target): lib is minigrad or torch, F its nn.functional
OPS: dict[str, Callable[[Any, Any, Any, Any], Any]] = {
    "sigmoid": lambda m, F, x, t: m.sigmoid(x),
    "tanh": lambda m, F, x, t: m.tanh(x),
    "softplus": lambda m, F, x, t: F.softplus(x),
    "logsigmoid": lambda m, F, x, t: F.logsigmoid(x),
    "relu": lambda m, F, x, t: F.relu(x),
    "leaky_relu": lambda m, F, x, t: F.leaky_relu(x, 0.2),
    "elu": lambda m, F, x, t: F.elu(x),
    "selu": lambda m, F, x, t: F.selu(x),
    "gelu": lambda m, F, x, t: F.gelu(x),
    "silu": lambda m, F, x, t: F.silu(x),
    "mish": lambda m, F, x, t: F.mish(x),
    "hardtanh": lambda m, F, x, t: F.hardtanh(x),
    "softsign": lambda m, F, x, t: F.softsign(x),
    "exp": lambda m, F, x, t: m.exp(x),
    "log(abs(x))": lambda m, F, x, t: m.log(m.abs(x)),
    "sqrt(abs(x))": lambda m, F, x, t: m.sqrt(m.abs(x)),
    "erf": lambda m, F, x, t: m.erf(x),
    "sin": lambda m, F, x, t: m.sin(x),
    "x ** 2": lambda m, F, x, t: x**2,
    "clamp": lambda m, F, x, t: m.clamp(x, -1, 1),
    "where(x > 0, x, 0.1 x)": lambda m, F, x, t: m.where(x > 0, x, x * 0.1),
    "softmax(-1)": lambda m, F, x, t: F.softmax(x, -1),
    "log_softmax(-1)": lambda m, F, x, t: F.log_softmax(x, -1),
    "layer_norm": lambda m, F, x, t: F.layer_norm(x, x.shape[-1:]),
    "normalize(dim=1)": lambda m, F, x, t: F.normalize(x, dim=1),
    "sum(1)": lambda m, F, x, t: x.sum(1),
    "std": lambda m, F, x, t: x.std(),
    "amax": lambda m, F, x, t: x.amax(),
    "cumsum(-1)": lambda m, F, x, t: x.cumsum(-1),
    "mse_loss": lambda m, F, x, t: F.mse_loss(x, t),
    "smooth_l1_loss": lambda m, F, x, t: F.smooth_l1_loss(x, t),
    "bce_with_logits": lambda m, F, x, t: F.binary_cross_entropy_with_logits(x, t),
}


def _median_us(f: Callable[[], Any], calls: int) -> float:
    times = []
    for _ in range(calls):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e6


def time_op(name: str, shape: tuple[int, ...], blocks: int, calls: int) -> dict[str, float]:
    """Forward and forward+backward medians (us) of op `name` in both libraries, blocks of
    `calls` calls alternating between them, the median over the blocks."""
    import torch

    rng = np.random.default_rng(0)
    a = (rng.standard_normal(shape) * 2).astype(np.float32)
    target = rng.random(shape).astype(np.float32)
    op = OPS[name]
    runs = {}
    for lib, F in ((mg, mg.nn.functional), (torch, torch.nn.functional)):
        x, t = lib.tensor(a, requires_grad=True), lib.tensor(target)
        g = lib.ones(tuple(op(lib, F, x, t).shape))

        def fwd(lib=lib, F=F, x=x, t=t) -> Any:
            return op(lib, F, x, t)

        def both(lib=lib, F=F, x=x, t=t, g=g) -> None:
            x.grad = None
            op(lib, F, x, t).backward(g)

        for _ in range(3):  # warm-up (a first call compiles, allocates, starts threads)
            fwd(), both()
        runs[lib.__name__] = (fwd, both)
    out: dict[str, list[float]] = {k: [] for k in ("mg_fwd", "t_fwd", "mg_both", "t_both")}
    for k in range(blocks):
        order = ("minigrad", "torch") if k % 2 == 0 else ("torch", "minigrad")
        for lib in order:
            fwd, both = runs[lib]
            p = "mg" if lib == "minigrad" else "t"
            out[f"{p}_fwd"].append(_median_us(fwd, calls))
            out[f"{p}_both"].append(_median_us(both, calls))
    return {k: statistics.median(v) for k, v in out.items()}


def table(rows: dict[str, dict[str, float]], shape: tuple[int, ...], threads: str) -> str:
    lines = [
        f"float32 input of shape {shape}, {threads}; medians in us, minigrad / PyTorch; "
        "slowest (forward+backward) first",
        "",
        "| op | forward | ratio | forward+backward | ratio |",
        "|---|---|---|---|---|",
    ]
    order = sorted(rows, key=lambda n: rows[n]["mg_both"] / rows[n]["t_both"], reverse=True)
    for n in order:
        r = rows[n]
        lines.append(
            f"| {n} | {r['mg_fwd']:.1f} / {r['t_fwd']:.1f} | {r['mg_fwd'] / r['t_fwd']:.2f} "
            f"| {r['mg_both']:.1f} / {r['t_both']:.1f} | {r['mg_both'] / r['t_both']:.2f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.sweep", description=__doc__)
    ap.add_argument("--shape", type=int, nargs="+", default=[64, 256], metavar="N")
    ap.add_argument("--threads", type=int, default=None, help="both libraries' threads")
    ap.add_argument("--ops", nargs="+", choices=list(OPS), metavar="OP", help="a subset")
    ap.add_argument("--blocks", type=int, default=6, help="alternating blocks per op")
    ap.add_argument("--calls", type=int, default=20, help="calls per block")
    ap.add_argument("--out", type=Path, help="also write the table to this file")
    args = ap.parse_args(argv)
    shape = tuple(args.shape)
    if len(shape) < 2 or any(n < 1 for n in shape):  # sum(1), normalize(dim=1), amax
        ap.error(f"--shape takes two or more sizes >= 1, got {' '.join(map(str, shape))}")
    for flag, value in (("--blocks", args.blocks), ("--calls", args.calls)):
        if value < 1:
            ap.error(f"{flag} must be >= 1, got {value}")
    why = unavailable_reason("torch")
    if why is not None:
        print(f"benchmarks.sweep: PyTorch is needed to compare against: {why}", file=sys.stderr)
        return 2
    import torch

    if args.threads is not None:
        if args.threads < 1:
            ap.error(f"--threads must be >= 1, got {args.threads}")
        mg.set_num_threads(args.threads)
        torch.set_num_threads(args.threads)
    rows = {n: time_op(n, shape, args.blocks, args.calls) for n in args.ops or OPS}
    threads = f"minigrad {mg.get_num_threads()} thread(s), PyTorch {torch.get_num_threads()}"
    text = table(rows, shape, threads)
    print(text, end="")
    if args.out is not None:
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
