"""Draw samples from a trained GAN: python -m train.sample RUN_DIR --n N --out FILE.npz

Writes key `samples`: uint8 (N, 28, 28) for the MNIST models (0 background, 255 ink, like
the data; (N, H, W, 3) for colour folder runs), float32 (N, 2) for the 2-D models. With
`--label D`, the conditional model's samples of digit D. The output is written atomically
and never over the run's own files.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from minigrad import data as mgdata
from minigrad import jobs
from train import common
from train import run as scaffold
from train.generators import TOY, load_generator, sample_generator

JOB = "train.sample"
MAX_SAMPLES = 100_000


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=jobs.prog("train.sample"), description=__doc__.split("\n")[0])
    p.add_argument(
        "run_dir", type=common.path_arg, metavar="RUN_DIR", help="folder of a train.gan run"
    )
    p.add_argument(
        "--n",
        type=common.int_in(1, MAX_SAMPLES),
        default=64,
        help="number of samples (default: 64)",
    )
    p.add_argument(
        "--out",
        type=common.path_arg,
        required=True,
        metavar="FILE.npz",
        help="where to write the samples",
    )
    p.add_argument(
        "--label", type=common.int_in(0, 9), default=None, help="digit for a conditional model"
    )
    p.add_argument("--seed", type=common.SEED, default=0, help="latent seed (default: 0)")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.add_argument(
        "--png", type=common.path_arg, metavar="FILE.png", default=None, help="also write a picture"
    )

    return p


def write_samples(out: Path, samples: np.ndarray, png: Path | None = None) -> None:
    """Save `samples` under its key in `out`, and their grid in `png` when given: both
    written to temporary files first, then renamed over `out` and `png` together
    (`common.atomic_paths`), so that a failure (a full disk) or a signal leaves both as
    they were, never new samples beside an older call's picture."""
    with common.atomic_paths(*[out, *([png] if png is not None else [])]) as tmps:
        with common.naming_errors(out), open(tmps[0], "wb") as f:
            np.savez(f, samples=samples)  # a file object: no .npz added to a name like s.NPZ
        if png is not None:
            with common.naming_errors(png):
                grid = common.make_image_grid(samples)
                common.save_png(tmps[1], grid, "train.sample", None)


def run(args: argparse.Namespace) -> str:
    """Sample as `args` say; returns what was written, in words."""
    args.run_dir = scaffold.open_run(args.run_dir)
    data = scaffold.run_data(args.run_dir)
    out = common.check_output(
        args.out,
        "--out",
        run_dir=args.run_dir,
        ours=lambda p: common.npz_of(p, "samples"),
        data=data,
        suffix=".npz",
    )
    png = None
    if args.png:
        if Path(args.png).resolve() == out.resolve():
            raise ValueError(
                f"--png {args.png} is also the --out file; give the picture and the samples "
                "two different names"
            )
        png = common.check_output(
            args.png, "--png", run_dir=args.run_dir, ours=_own_grid, data=data, suffix=".png"
        )
    device = common.resolve_device(args.device)
    run_args, G = load_generator(args.run_dir, device)
    labels = None
    if args.label is not None:
        if run_args.model != "cgan":
            raise ValueError(
                f"--label needs a conditional run (--model cgan); "
                f"{args.run_dir} is --model {run_args.model}"
            )
        labels = np.full(args.n, args.label)
    if png is not None and run_args.dataset in TOY:
        raise ValueError(
            f"--png draws images; {args.run_dir} is a 2-D --dataset {run_args.dataset}"
        )
    x = sample_generator(run_args, G, args.n, device, seed=args.seed, labels=labels)
    samples = x.astype(np.float32) if x.ndim == 2 else mgdata.to_uint8(x)
    write_samples(out, samples, png)
    written = f"{args.n} samples {samples.dtype} {samples.shape} to {out}"
    if png is not None:
        written += f" and their grid to {png}"
    return written


def _own_grid(path: Path) -> bool:
    """An earlier --png of train.sample's: the only picture --png may replace."""
    return common.png_of_a_job(path, "train.sample")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        with common.signals_raise():
            written = run(args)
    except KeyboardInterrupt as exc:
        pair = ", and --out and --png were replaced together or not at all" if args.png else ""
        return common.interrupted(JOB, exc, f"no file was left half-written{pair}")
    except common.TRAINING_ERRORS as exc:
        print(f"{JOB}: error: {common.error_message(exc)}", file=sys.stderr)
        return 1
    print(f"wrote {written}")
    return 0


if __name__ == "__main__":
    scaffold.run_as_program("train.sample", main)
