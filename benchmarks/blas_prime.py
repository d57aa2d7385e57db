"""What priming NumPy's BLAS at import (minigrad/_blas.py) changes on this machine:

    python -m benchmarks.blas_prime [--rounds 3] [--steps 100] [--quick]

Each round starts two fresh processes, one with MINIGRAD_PRIME_BLAS=0 and one without
(the order alternates), on one BLAS thread. Each times a few float32 products of the
sizes a small MLP multiplies (the median of 20 calls each) and the 2-D grid GAN's
training step with its default settings (the median of --steps steps after 20 warm-up
steps). The table gives the median over the rounds, unprimed and primed, and their ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from train.common import positive_int

ROOT = Path(__file__).resolve().parents[1]

# (M, K, N): A (M, K) @ B (K, N)
PRODUCTS = [(128, 512, 128), (512, 256, 128), (512, 128, 128), (128, 128, 128)]


def child(steps: int, quick: bool) -> dict[str, float]:
    """In a fresh process: the medians, in ms, of each product and of the grid step."""
    import numpy as np

    import minigrad  # noqa: F401  (primes unless MINIGRAD_PRIME_BLAS=0)
    from minigrad import _blas
    from train import gan

    rng = np.random.default_rng(0)
    out: dict[str, float] = {"primed": float(_blas.primed)}
    for m, k, n in PRODUCTS:
        a = rng.random((m, k), dtype=np.float32)
        b = rng.random((k, n), dtype=np.float32)
        ts = []
        for _ in range(20):
            t0 = time.perf_counter()
            a @ b
            ts.append(time.perf_counter() - t0)
        out[f"({m}, {k}) @ ({k}, {n})"] = statistics.median(ts) * 1e3
    argv = ["--dataset", "grid", "--eval-samples", "0", "--device", "cpu"]
    argv += ["--hidden", "16"] if quick else []
    args = gan.build_parser().parse_args(argv)
    gan.fill_defaults(args)
    run = gan.Run(args, "cpu")
    for _ in range(20):
        run.train_batch_()
    ts = []
    for _ in range(steps):
        t0 = time.perf_counter()
        run.train_batch_()
        ts.append(time.perf_counter() - t0)
    out["grid GAN step (default settings)"] = statistics.median(ts) * 1e3
    return out


def run_child(primed: bool, steps: int, quick: bool) -> dict[str, float]:
    env = dict(os.environ, MINIGRAD_PRIME_BLAS="1" if primed else "0", OPENBLAS_NUM_THREADS="1")
    env.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "benchmarks.blas_prime", "--child", "--steps", str(steps)]
    cmd += ["--quick"] * quick
    p = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    if p.returncode:
        raise SystemExit(f"benchmarks.blas_prime: the child failed:\n{p.stderr[-2000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> dict[str, list[float]]:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.blas_prime", description=__doc__)
    ap.add_argument("--rounds", type=positive_int, default=3, help="process pairs (default: 3)")
    ap.add_argument(
        "--steps", type=positive_int, default=100, help="timed grid steps (default: 100)"
    )
    ap.add_argument("--quick", action="store_true", help="one round, a tiny grid GAN (for CI)")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.steps, args.quick)))
        return {}
    rounds, steps = (1, min(args.steps, 5)) if args.quick else (args.rounds, args.steps)
    runs: dict[bool, list[dict[str, float]]] = {False: [], True: []}
    for r in range(rounds):
        for primed in (False, True) if r % 2 == 0 else (True, False):
            runs[primed].append(run_child(primed, steps, args.quick))
    for primed, results in runs.items():
        if any(bool(res["primed"]) != primed for res in results):
            raise SystemExit("benchmarks.blas_prime: MINIGRAD_PRIME_BLAS was not honoured")
    names = [k for k in runs[False][0] if k != "primed"]
    table: dict[str, list[float]] = {}
    print(f"one BLAS thread, {rounds} round(s), medians in ms")
    print(f"{'case':36s} {'unprimed':>9s} {'primed':>9s} {'ratio':>6s}")
    for name in names:
        off = statistics.median(res[name] for res in runs[False])
        on = statistics.median(res[name] for res in runs[True])
        table[name] = [off, on]
        print(f"{name:36s} {off:9.3f} {on:9.3f} {off / on:6.2f}")
    return table


if __name__ == "__main__":
    main()
