"""Where a GAN iteration's time goes, part by part, in minigrad and in PyTorch:

    python -m benchmarks.gan_phases [--workload mlp_gan] [--threads 1 2] [--rounds 3]
        [--blocks 8] [--steps N] [--batch 64] [--width W] [--quick]

The GAN iterations of benchmarks/workloads.py (`mlp_gan`, `dcgan`, `wgan_gp`: the same
steps `python -m benchmarks` times) read the clock as each of their seven parts ends
(workloads.GAN_PHASES): G's forward for the fakes without grad; D's forwards and loss; D's
backward; D's optimizer step; G's forward through the frozen D and its loss; G's backward;
G's optimizer step. Each round starts one fresh process per thread count (with
OPENBLAS_NUM_THREADS, OMP_NUM_THREADS and MKL_NUM_THREADS set, as `python -m benchmarks
--threads` sets them; the order alternates between rounds). In it both libraries'
iterations run in blocks of --steps steps, each block after a garbage collection and the
main runner's pause (its SETTLE_S) and one untimed step, the libraries taking turns and the
first of each pair rotating, as in the main runner. A block gives each part's mean time a
step; the table gives, per thread count, the medians over the blocks and then over the
rounds, in ms a step, minigrad's ratio to PyTorch and the difference, part by part. The
parts add up to the step (eight clock reads a step, each well under a microsecond).
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

from train.common import positive_int

from .__main__ import SETTLE_S, child_rounds
from .workloads import GAN_PHASES

LIBS = ("minigrad", "torch")
BUILDERS = {"mlp_gan": "build_mlp_gan", "dcgan": "build_dcgan", "wgan_gp": "build_wgan_gp"}
STEPS = {"mlp_gan": 50, "dcgan": 5, "wgan_gp": 5}  # steps a block by default
TOTAL = "step"


def phase_clock(sums: dict[str, float]) -> tuple[Callable[[], None], Callable[[str], None]]:
    """(start, mark): start() reads the clock before a step; mark(phase) adds the time since
    the last read to sums[phase] (a step's `mark` argument)."""
    last = [0.0]

    def start() -> None:
        last[0] = time.perf_counter()

    def mark(phase: str) -> None:
        now = time.perf_counter()
        sums[phase] += now - last[0]
        last[0] = now

    return start, mark


def time_block(step: Any, steps: int) -> dict[str, float]:
    """Each part's mean time a step, in ms, over `steps` marked steps, and their sum."""
    sums = dict.fromkeys(GAN_PHASES, 0.0)
    start, mark = phase_clock(sums)
    for _ in range(steps):
        start()
        step(mark)
    out = {phase: total / steps * 1e3 for phase, total in sums.items()}
    out[TOTAL] = sum(out.values())
    return out


def child(
    workload: str, blocks: int, steps: int, batch: int, width: int | None = None
) -> dict[str, dict[str, float]]:
    """In a fresh process: the medians over the blocks, ms a step, for both libraries.
    `width` (mlp_gan only): every layer that many units wide, the noise and the samples
    too, instead of 100 -> 256 -> 256 -> 784."""
    from benchmarks import workloads

    build = getattr(workloads, BUILDERS[workload])
    sizes = {} if width is None else dict(nz=width, hidden=width, out=width)
    step = {
        lib: build(workloads.BACKENDS[b], batch=batch, **sizes)
        for lib, b in zip(LIBS, ("numpy", "torch"), strict=True)
    }
    for s in step.values():  # warm-up
        for _ in range(3):
            s()
    rows: dict[str, list[dict[str, float]]] = {lib: [] for lib in LIBS}
    for b in range(blocks):
        for lib in LIBS[b % 2 :] + LIBS[: b % 2]:
            gc.collect()  # outside the clock, as the main runner
            time.sleep(SETTLE_S)
            step[lib]()  # untimed, as the main runner's first step of a block
            rows[lib].append(time_block(step[lib], steps))
    keys = (*GAN_PHASES, TOTAL)
    return {lib: {k: statistics.median(r[k] for r in rows[lib]) for k in keys} for lib in LIBS}


def main(argv: list[str] | None = None) -> dict[int, dict[str, dict[str, float]]]:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.gan_phases", description=__doc__)
    ap.add_argument(
        "--workload", choices=sorted(BUILDERS), default="mlp_gan", help="(default: mlp_gan)"
    )
    ap.add_argument(
        "--threads", type=positive_int, nargs="+", default=[1, 2], help="(default: 1 2)"
    )
    ap.add_argument(
        "--rounds", type=positive_int, default=3, help="processes per thread count (default: 3)"
    )
    ap.add_argument("--blocks", type=positive_int, default=8, help="blocks a library (default: 8)")
    ap.add_argument(
        "--steps",
        type=positive_int,
        help="steps a block (default: " + ", ".join(f"{w} {n}" for w, n in STEPS.items()) + ")",
    )
    ap.add_argument("--batch", type=positive_int, default=64, help="the batch (default: 64)")
    ap.add_argument(
        "--width",
        type=positive_int,
        help="mlp_gan only: every layer this many units wide (noise, hidden, samples). With "
        "--width 4 --batch 2 the arithmetic is next to nothing and the parts time each "
        "library's cost per op: its modules, graph recording, backward walk and dispatch",
    )
    ap.add_argument(
        "--quick", action="store_true", help="one round, batch 4, for CI (overrides the rest)"
    )
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.width is not None and args.workload != "mlp_gan":
        ap.error(f"--width applies to --workload mlp_gan only, not {args.workload}")
    if args.steps is None:
        args.steps = STEPS[args.workload]
    if args.quick:
        args.rounds, args.blocks, args.steps, args.batch = 1, 2, 2, 4
    if args.child:
        print(json.dumps(child(args.workload, args.blocks, args.steps, args.batch, args.width)))
        return {}
    cli = ["--workload", args.workload, "--blocks", str(args.blocks)]
    cli += ["--steps", str(args.steps), "--batch", str(args.batch)]
    if args.width is not None:
        cli += ["--width", str(args.width)]
    runs = child_rounds("gan_phases", cli, args.threads, args.rounds)
    shape = f"batch {args.batch}" + ("" if args.width is None else f", width {args.width}")
    print(
        f"{args.workload} iteration ({shape}), {args.rounds} round(s) of "
        f"{args.blocks} blocks of {args.steps} steps; medians in ms per step"
    )
    table: dict[int, dict[str, dict[str, float]]] = {}
    keys = (*GAN_PHASES, TOTAL)
    for n, results in runs.items():
        table[n] = {
            lib: {k: statistics.median(res[lib][k] for res in results) for k in keys}
            for lib in LIBS
        }
        mg, pt = table[n]["minigrad"], table[n]["torch"]
        print(f"\n{n} thread(s)")
        print(f"{'part':24s} {'minigrad':>10s} {'torch':>10s} {'ratio':>7s} {'difference':>11s}")
        for k in keys:
            ratio, diff = mg[k] / pt[k], mg[k] - pt[k]
            print(f"{k:24s} {mg[k]:10.3f} {pt[k]:10.3f} {ratio:7.2f} {diff:+11.3f}")
    return table


if __name__ == "__main__":
    main()
