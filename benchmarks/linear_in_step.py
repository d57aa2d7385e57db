"""The MLP GAN step's Linear layers, inside the step and alone, in minigrad and PyTorch:

    python -m benchmarks.linear_in_step [--threads 1 2] [--rounds 3] [--blocks 8] [--quick]

Each round starts one fresh process per thread count (OPENBLAS_NUM_THREADS,
OMP_NUM_THREADS and MKL_NUM_THREADS set, as `python -m benchmarks --threads` sets them; the
order alternates between rounds). In it, the MLP GAN iteration of benchmarks/workloads.py
runs in both libraries, in blocks of --steps steps that alternate between them, each block
after a 0.25 s pause, as in the main runner. A timer around each Linear layer's forward
(`minigrad.nn.Linear.forward`, `torch.nn.Linear.forward`: the module call, its graph
recording and the product with its bias) adds up the time spent inside per step. Then each
layer is called alone, back to back (the median of 20 calls, on the first batch it saw in
the step, detached; its parameters require grad, so the call is recorded as in the step),
and those times, weighted by how often one step calls each layer, give the same layers'
time per step out of the step; "alone, cold" times each call after a pass that writes 16 MiB
(more than the caches a core has to itself), so that the weights and the input come from
memory as in a step, and an idle BLAS thread has had time to go to sleep.

The table gives, per thread count, the medians over the rounds: the step, the time in its
Linear forwards, the same layers alone, and minigrad's ratio to PyTorch for each (and how
many Linear forwards a step makes: 15 at the defaults, G's three layers twice and D's
three times). The last lines give each library's gain from one thread to two.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from train.common import positive_int

ROOT = Path(__file__).resolve().parents[1]
PAUSE = 0.25  # seconds before each block, as benchmarks/__main__.py's runner
KEYS = ("step", "in step", "alone", "alone, cold")
COLD_BYTES = 16 << 20  # written between the calls of "alone, cold": more than the L2 caches


def _timed_forward(cls: Any, totals: dict[str, float], calls: dict[int, list], lib: str) -> None:
    """Wrap cls.forward (a Linear module's) to add its time to totals[lib] and to keep,
    per layer, [the module, its first input detached, its calls]."""
    inner = cls.forward

    def forward(self: Any, x: Any) -> Any:
        t0 = time.perf_counter()
        y = inner(self, x)
        totals[lib] += time.perf_counter() - t0
        seen = calls.get(id(self))
        if seen is None:  # (the input kept once: no detach on every call)
            seen = calls[id(self)] = [self, x.detach(), 0]
        seen[2] += 1
        return y

    cls.forward = forward


def _alone(layers: list[tuple[Any, Any, int]], cold: Any = None) -> float:
    """Seconds per step of these (module, input, calls a step) called alone; with `cold`
    (a large float32 array), each call after a pass that writes all of it."""
    total = 0.0
    for module, x, count in layers:
        ts = []
        for _ in range(25):
            if cold is not None:
                cold += 1.0
            t0 = time.perf_counter()
            module(x)
            ts.append(time.perf_counter() - t0)
        total += statistics.median(ts[5:]) * count
    return total


def child(blocks: int, steps: int, batch: int, hidden: int) -> dict[str, dict[str, float]]:
    """In a fresh process: medians over the blocks, in ms per step, for both libraries."""
    import torch

    import minigrad as mg
    from benchmarks import workloads

    np = workloads.np

    cold = np.zeros(COLD_BYTES // 4, np.float32)

    totals = {"minigrad": 0.0, "torch": 0.0}
    calls: dict[str, dict[int, list]] = {"minigrad": {}, "torch": {}}
    _timed_forward(mg.nn.Linear, totals, calls["minigrad"], "minigrad")
    _timed_forward(torch.nn.Linear, totals, calls["torch"], "torch")
    step = {
        lib: workloads.build_mlp_gan(workloads.BACKENDS[b], batch=batch, hidden=hidden)
        for lib, b in (("minigrad", "numpy"), ("torch", "torch"))
    }
    layers: dict[str, list[tuple[Any, Any, int]]] = {}
    for lib, s in step.items():  # warm-up, then count one step's calls per layer
        for _ in range(10):
            s()
        for layer in calls[lib].values():
            layer[2] = 0
        s()
        layers[lib] = [tuple(layer) for layer in calls[lib].values()]
    rows: dict[str, dict[str, list[float]]] = {lib: {k: [] for k in KEYS} for lib in step}
    for _ in range(blocks):
        for lib, s in step.items():
            time.sleep(PAUSE)
            s()  # untimed, as the main runner's first step of a block
            totals[lib] = 0.0
            t0 = time.perf_counter()
            for _ in range(steps):
                s()
            wall = time.perf_counter() - t0
            rows[lib]["step"].append(wall / steps * 1e3)
            rows[lib]["in step"].append(totals[lib] / steps * 1e3)
    for lib in step:
        for _ in range(blocks):
            rows[lib]["alone"].append(_alone(layers[lib]) * 1e3)
            rows[lib]["alone, cold"].append(_alone(layers[lib], cold) * 1e3)
    out = {lib: {k: statistics.median(v) for k, v in r.items()} for lib, r in rows.items()}
    for lib in step:
        out[lib]["calls"] = float(sum(count for _, _, count in layers[lib]))
    return out


def run_child(threads: int, args: argparse.Namespace) -> dict[str, dict[str, float]]:
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    env["MKL_NUM_THREADS"] = str(threads)
    cmd = [sys.executable, "-m", "benchmarks.linear_in_step", "--child"]
    cmd += ["--blocks", str(args.blocks), "--steps", str(args.steps)]
    cmd += ["--batch", str(args.batch), "--hidden", str(args.hidden)]
    p = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    if p.returncode:
        raise SystemExit(f"benchmarks.linear_in_step: the child failed:\n{p.stderr[-2000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> dict[int, dict[str, dict[str, float]]]:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.linear_in_step", description=__doc__)
    ap.add_argument(
        "--threads", type=positive_int, nargs="+", default=[1, 2], help="(default: 1 2)"
    )
    ap.add_argument("--rounds", type=positive_int, default=3, help="processes per thread count")
    ap.add_argument("--blocks", type=positive_int, default=8, help="blocks per library")
    ap.add_argument("--steps", type=positive_int, default=50, help="steps per block")
    ap.add_argument("--batch", type=positive_int, default=64, help="the step's batch")
    ap.add_argument("--hidden", type=positive_int, default=256, help="the models' width")
    ap.add_argument("--quick", action="store_true", help="a tiny run, for CI")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.quick:
        args.rounds, args.blocks, args.steps, args.batch, args.hidden = 1, 2, 3, 8, 16
    if args.child:
        print(json.dumps(child(args.blocks, args.steps, args.batch, args.hidden)))
        return {}
    if importlib.util.find_spec("torch") is None:
        raise SystemExit(
            "benchmarks.linear_in_step compares with PyTorch, which is not installed here "
            "(pip install torch==2.13.0)"
        )
    runs: dict[int, list[dict[str, dict[str, float]]]] = {n: [] for n in args.threads}
    for r in range(args.rounds):
        for n in args.threads if r % 2 == 0 else args.threads[::-1]:
            runs[n].append(run_child(n, args))
    table: dict[int, dict[str, dict[str, float]]] = {}
    print(
        f"MLP GAN step (batch {args.batch}, width {args.hidden}), {args.rounds} round(s) of "
        f"{args.blocks} blocks of {args.steps} steps; medians in ms per step"
    )
    print(f"{'threads':>7s} {'':9s}" + "".join(f" {k:>18s}" for k in KEYS))
    first = runs[args.threads[0]][0]
    print(
        "Linear forwards a step: "
        + ", ".join(f"{lib} {first[lib]['calls']:.0f}" for lib in ("minigrad", "torch"))
    )
    for n, results in runs.items():
        table[n] = {
            lib: {k: statistics.median(res[lib][k] for res in results) for k in (*KEYS, "calls")}
            for lib in ("minigrad", "torch")
        }
        for lib in ("minigrad", "torch"):
            print(f"{n:7d} {lib:9s}" + "".join(f" {table[n][lib][k]:18.3f}" for k in KEYS))
        ratio = [table[n]["minigrad"][k] / table[n]["torch"][k] for k in KEYS]
        print(f"{n:7d} {'ratio':9s}" + "".join(f" {v:18.2f}" for v in ratio))
    if 1 in table and len(table) > 1:
        for n in (t for t in table if t != 1):
            for lib in ("minigrad", "torch"):
                gain = [table[1][lib][k] / table[n][lib][k] for k in KEYS]
                print(
                    f"1 -> {n} threads, {lib}: "
                    + ", ".join(f"{k} {g:.2f}x" for k, g in zip(KEYS, gain, strict=True))
                )
    return table


if __name__ == "__main__":
    main()
