"""The MLP GAN step's Linear layers, inside the step and alone, in minigrad and PyTorch:

    python -m benchmarks.linear_in_step [--threads 1 2] [--rounds 3] [--blocks 8]
        [--steps 50] [--batch 64] [--hidden 256] [--quick]

Each round starts one fresh process per thread count (OPENBLAS_NUM_THREADS, OMP_NUM_THREADS
and MKL_NUM_THREADS set, as `python -m benchmarks --threads` sets them; the order
alternates between rounds). In it, the MLP GAN iteration of benchmarks/workloads.py runs in
both libraries, in blocks of --steps steps, each block after a garbage collection and the
main runner's pause (its SETTLE_S, 0.25 s), the libraries taking turns and the first of
each pair rotating, as in the main runner. A timer inside each Linear module's forward
(`minigrad.nn.Linear.forward`, `torch.nn.Linear.forward`: the functional call, its graph
recording where grad is on, and the product with its bias; not the module-call machinery
around it) adds up the time spent there per step. Then each layer is called alone, back to
back, through the same timer (the median of 20 calls, on the first batch it saw in the
step, with grad on or off as in each of its calls in the step), and those times, weighted
by how often one step makes each call, give the same layers' time per step out of the step.
"alone, cold" times each call after a pass that writes 16 MiB: more than a core's own
caches (the weights and the input then come from the shared cache or memory, as in a step),
and long enough for OpenBLAS's idle worker to go to sleep (PyTorch's OpenMP threads may
still spin). The alone blocks also alternate between the libraries, after the same pause.

The table gives, per thread count, the medians over the rounds: the step, the time in its
Linear forwards, the same layers alone, and minigrad's ratio to PyTorch for each; above it,
how many Linear forwards a step makes (15: G's three layers twice, D's three times). The
last lines give each library's gain from one thread to two.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import time
from typing import Any

from train.common import positive_int

from .__main__ import SETTLE_S, child_rounds

KEYS = ("step", "in step", "alone", "alone, cold")
COLD_BYTES = 16 << 20  # written before each call of "alone, cold": more than a core's L2
LIBS = ("minigrad", "torch")


def _timed_forward(
    cls: Any, totals: dict[str, float], calls: dict[Any, list], lib: str, grad_on: Any
) -> None:
    """Wrap cls.forward (a Linear module's; the child's patch, never undone) to add its time
    to totals[lib] and to keep, per layer and grad mode (`grad_on()`), [the module, its
    first input detached, the grad mode, its calls]."""
    inner = cls.forward

    def forward(self: Any, x: Any) -> Any:
        t0 = time.perf_counter()
        y = inner(self, x)
        totals[lib] += time.perf_counter() - t0
        key = (id(self), grad_on())
        seen = calls.get(key)
        if seen is None:  # (the input kept once: no detach on every call)
            seen = calls[key] = [self, x.detach(), key[1], 0]
        seen[3] += 1
        return y

    cls.forward = forward


def _alone(
    layers: list[tuple[Any, Any, bool, int]],
    totals: dict[str, float],
    lib: str,
    grad_mode: Any,
    cold: Any = None,
) -> float:
    """Seconds per step of these (module, input, grad on, calls a step) called alone, each
    timed by `_timed_forward`'s timer (totals[lib]) under grad_mode(grad on); with `cold`
    (a large float32 array), each call after a pass that writes all of it."""
    total = 0.0
    for module, x, grad, count in layers:
        ts = []
        with grad_mode(grad):
            for _ in range(25):
                if cold is not None:
                    cold += 1.0
                before = totals[lib]
                module(x)
                ts.append(totals[lib] - before)
        total += statistics.median(ts[5:]) * count
    return total


def child(blocks: int, steps: int, batch: int, hidden: int) -> dict[str, dict[str, float]]:
    """In a fresh process: medians over the blocks, in ms per step, for both libraries."""
    import numpy as np
    import torch

    import minigrad as mg
    from benchmarks import workloads

    cold = np.zeros(COLD_BYTES // 4, np.float32)
    totals = {lib: 0.0 for lib in LIBS}
    calls: dict[str, dict[Any, list]] = {lib: {} for lib in LIBS}
    _timed_forward(mg.nn.Linear, totals, calls["minigrad"], "minigrad", mg.is_grad_enabled)
    _timed_forward(torch.nn.Linear, totals, calls["torch"], "torch", torch.is_grad_enabled)
    grad_mode = {"minigrad": mg.set_grad_enabled, "torch": torch.set_grad_enabled}
    step = {
        lib: workloads.build_mlp_gan(workloads.BACKENDS[b], batch=batch, hidden=hidden)
        for lib, b in zip(LIBS, ("numpy", "torch"), strict=True)
    }
    layers: dict[str, list[tuple[Any, Any, bool, int]]] = {}
    for lib, s in step.items():  # warm-up, then count one step's calls per layer
        for _ in range(10):
            s()
        for layer in calls[lib].values():
            layer[3] = 0
        s()
        layers[lib] = [tuple(layer) for layer in calls[lib].values() if layer[3]]
    rows: dict[str, dict[str, list[float]]] = {lib: {k: [] for k in KEYS} for lib in LIBS}

    def pause() -> None:
        gc.collect()  # outside the clock, as the main runner
        time.sleep(SETTLE_S)

    for b in range(blocks):
        for lib in LIBS[b % 2 :] + LIBS[: b % 2]:
            s = step[lib]
            pause()
            s()  # untimed, as the main runner's first step of a block
            totals[lib] = 0.0
            t0 = time.perf_counter()
            for _ in range(steps):
                s()
            wall = time.perf_counter() - t0
            rows[lib]["step"].append(wall / steps * 1e3)
            rows[lib]["in step"].append(totals[lib] / steps * 1e3)
    for b in range(blocks):
        for lib in LIBS[b % 2 :] + LIBS[: b % 2]:
            pause()
            warm = _alone(layers[lib], totals, lib, grad_mode[lib])
            rows[lib]["alone"].append(warm * 1e3)
            chilled = _alone(layers[lib], totals, lib, grad_mode[lib], cold)
            rows[lib]["alone, cold"].append(chilled * 1e3)
    out = {lib: {k: statistics.median(v) for k, v in r.items()} for lib, r in rows.items()}
    for lib in LIBS:
        out[lib]["calls"] = float(sum(layer[3] for layer in layers[lib]))
    return out


def main(argv: list[str] | None = None) -> dict[int, dict[str, dict[str, float]]]:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.linear_in_step", description=__doc__)
    ap.add_argument(
        "--threads", type=positive_int, nargs="+", default=[1, 2], help="(default: 1 2)"
    )
    ap.add_argument(
        "--rounds", type=positive_int, default=3, help="processes per thread count (default: 3)"
    )
    ap.add_argument("--blocks", type=positive_int, default=8, help="blocks a library (default: 8)")
    ap.add_argument("--steps", type=positive_int, default=50, help="steps a block (default: 50)")
    ap.add_argument("--batch", type=positive_int, default=64, help="the batch (default: 64)")
    ap.add_argument("--hidden", type=positive_int, default=256, help="the width (default: 256)")
    ap.add_argument(
        "--quick", action="store_true", help="one round of a tiny step, for CI (overrides the rest)"
    )
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.quick:
        args.rounds, args.blocks, args.steps, args.batch, args.hidden = 1, 2, 3, 8, 16
    if args.child:
        print(json.dumps(child(args.blocks, args.steps, args.batch, args.hidden)))
        return {}
    cli = ["--blocks", str(args.blocks), "--steps", str(args.steps)]
    cli += ["--batch", str(args.batch), "--hidden", str(args.hidden)]
    runs = child_rounds("linear_in_step", cli, args.threads, args.rounds)
    threads = list(runs)
    table: dict[int, dict[str, dict[str, float]]] = {}
    print(
        f"MLP GAN step (batch {args.batch}, width {args.hidden}), {args.rounds} round(s) of "
        f"{args.blocks} blocks of {args.steps} steps; medians in ms per step"
    )
    first = runs[threads[0]][0]
    print(
        "Linear forwards a step: " + ", ".join(f"{lib} {first[lib]['calls']:.0f}" for lib in LIBS)
    )
    print(f"{'threads':>7s} {'':9s}" + "".join(f" {k:>18s}" for k in KEYS))
    for n, results in runs.items():
        table[n] = {
            lib: {k: statistics.median(res[lib][k] for res in results) for k in (*KEYS, "calls")}
            for lib in LIBS
        }
        for lib in LIBS:
            print(f"{n:7d} {lib:9s}" + "".join(f" {table[n][lib][k]:18.3f}" for k in KEYS))
        ratio = [table[n]["minigrad"][k] / table[n]["torch"][k] for k in KEYS]
        print(f"{n:7d} {'ratio':9s}" + "".join(f" {v:18.2f}" for v in ratio))
    if 1 in table and len(table) > 1:
        for n in (t for t in table if t != 1):
            for lib in LIBS:
                gain = [table[1][lib][k] / table[n][lib][k] for k in KEYS]
                print(
                    f"1 -> {n} threads, {lib}: "
                    + ", ".join(f"{k} {g:.2f}x" for k, g in zip(KEYS, gain, strict=True))
                )
    return table


if __name__ == "__main__":
    main()
