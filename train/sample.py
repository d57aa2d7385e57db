"""Draw samples from a trained GAN: python -m train.sample RUN_DIR --n N --out FILE.npz

Writes key `samples`: uint8 (N, 28, 28) for the MNIST models (0 background, 255 ink, like
the data; (N, H, W, 3) for colour folder runs), float32 (N, 2) for the 2-D models. With
`--label D`, the conditional model's samples of digit D.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

from minigrad import data as mgdata
from train import common


def main(argv: list[str] | None = None) -> int:
    from train.gan import load_generator, sample_generator

    p = argparse.ArgumentParser(prog="python -m train.sample", description=__doc__.split("\n")[0])
    p.add_argument("run_dir", metavar="RUN_DIR")
    p.add_argument("--n", type=int, default=64, help="number of samples (default: 64)")
    p.add_argument("--out", required=True, metavar="FILE.npz")
    p.add_argument("--label", type=int, default=None, help="digit for a conditional model")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.add_argument("--png", metavar="FILE.png", default=None, help="also write a picture")
    args = p.parse_args(argv)
    try:
        device = common.resolve_device(args.device)
        run_args, G = load_generator(args.run_dir, device)
        labels = None
        if args.label is not None:
            if run_args.model != "cgan":
                raise ValueError(
                    f"--label needs a conditional run (--model cgan); "
                    f"{args.run_dir} is --model {run_args.model}"
                )
            if not 0 <= args.label <= 9:
                raise ValueError(f"--label must be a digit 0-9, got {args.label}")
            labels = np.full(args.n, args.label)
        out = sample_generator(run_args, G, args.n, device, seed=args.seed, labels=labels)
    except (FileNotFoundError, ValueError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    samples = out.astype(np.float32) if out.ndim == 2 else mgdata.to_uint8(out)
    path = Path(args.out)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp-{os.getpid()}.npz")
    np.savez(tmp, samples=samples)
    os.replace(tmp, path)
    if args.png and out.ndim == 4:
        common.write_image_grid(args.png, samples)
    print(f"wrote {args.n} samples {samples.dtype} {samples.shape} to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
