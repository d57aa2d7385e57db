"""Embed images with a trained metric-learning run:

    python -m train.embed RUN_DIR --images FILE.npz --out FILE.npz

FILE.npz must hold `images` (or `samples`, as train.sample writes), uint8 (N, 28, 28) with
0 = background (MNIST's format); the output holds `embeddings`, float32 (N, D), from the
run's checkpoint: the run's embedding, the one its retrieval figures were measured on
(`--retrieve-from` of train.metric: the network's output, L2-normalised for a triplet run
as in training, or the L2-normalised features its final projection reads).
"""

from __future__ import annotations

import argparse
import sys
import zipfile
import zlib
from pathlib import Path

import numpy as np

import minigrad as mg
from minigrad import data as mgdata
from minigrad import jobs
from models.embedding import EmbeddingNet
from train import common
from train import run as scaffold

JOB = "train.embed"
IMAGES_KEY, EMBEDDINGS_KEY = "images", "embeddings"
SAMPLES_KEY = "samples"  # what train.sample writes, also read as the images
MAX_BATCH = 65536


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=jobs.prog("train.embed"),
        description="Write embeddings of 28x28 images with a run of train.metric.",
    )
    p.add_argument(
        "run_dir", type=common.path_arg, metavar="RUN_DIR", help="folder of a train.metric run"
    )
    p.add_argument(
        "--images",
        type=common.path_arg,
        required=True,
        metavar="FILE.npz",
        help="npz with key 'images' (or 'samples', train.sample's output): uint8 (N, 28, 28)",
    )
    p.add_argument(
        "--out",
        type=common.path_arg,
        required=True,
        metavar="FILE.npz",
        help="where to write key 'embeddings': float32 (N, D)",
    )
    p.add_argument(
        "--batch-size",
        type=common.int_in(1, MAX_BATCH),
        default=500,
        help="images per forward pass (default: 500)",
    )
    p.add_argument(
        "--device",
        choices=("auto", "cpu", "cuda"),
        default="auto",
        help="where to run (default: auto)",
    )
    return p


def read_images(path: str | Path) -> np.ndarray:
    """The `images` array of an npz, checked to be uint8 (N, 28, 28); a ValueError or
    FileNotFoundError naming the file and what was expected otherwise."""
    path = Path(path)
    expected = f"key '{IMAGES_KEY}' holding uint8 images of shape (N, 28, 28)"
    if not path.exists():
        raise FileNotFoundError(f"{path}: file not found (expected an .npz with {expected})")
    if not path.is_file():  # a folder, FIFO or device: opening one could block
        raise ValueError(f"--images {path} is not a regular file; expected an .npz with {expected}")
    try:
        loaded = mgdata.open_npz(path)
    except ValueError as exc:
        raise ValueError(f"{exc}; expected an .npz with {expected}") from None
    with loaded as f:
        # train.sample's output names its digits `samples`
        key = next((k for k in (IMAGES_KEY, SAMPLES_KEY) if k in f.files), None)
        if IMAGES_KEY in f.files and SAMPLES_KEY in f.files:  # which set is meant?
            raise ValueError(
                f"{path} holds both '{IMAGES_KEY}' and '{SAMPLES_KEY}': which to embed is not "
                f"clear; write the ones to embed into a file of their own (key '{IMAGES_KEY}')"
            )
        if key is None:
            raise ValueError(
                f"{path}: no key '{IMAGES_KEY}' (found {sorted(f.files)}); expected {expected} "
                f"(or '{SAMPLES_KEY}', as train.sample writes)"
            )
        try:
            images = f[key]
        except (ValueError, OSError, EOFError, zlib.error, zipfile.BadZipFile, MemoryError) as exc:
            raise ValueError(f"{path}: '{key}' is unreadable or truncated ({exc})") from None
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError(f"{path}: '{key}' has shape {images.shape}; expected (N, 28, 28)")
    if images.dtype != np.uint8:
        raise ValueError(
            f"{path}: '{key}' has dtype {images.dtype}; expected uint8 (0-255, 0 = background)"
        )
    if len(images) == 0:
        raise ValueError(
            f"{path}: '{key}' holds no images (shape {images.shape}): nothing to embed"
        )
    return images


def load_net(run_dir: str | Path, device: str) -> EmbeddingNet:
    """The embedding network of a train.metric run, in eval mode."""
    saved = common.load_run(run_dir, "train.metric")
    path = common.checkpoint_path(run_dir) if Path(run_dir).is_dir() else Path(run_dir)
    scaffold.note_config_drift(path.parent, saved["args"])
    scaffold.check_weights({k: saved["state"].get(k) for k in ("net", "ema")}, path, "")
    args = saved["args"]
    decay = args.get("ema") or 0
    if isinstance(decay, int | float) and decay > 0 and "ema" not in saved["state"]:
        # as --resume refuses it: embedding with the raw weights instead would go unsaid
        raise ValueError(
            f"{path}: the checkpoint's state has no 'ema' (the run trained with --ema "
            f"{decay:g}, whose averaged weights embed the images); not a complete "
            "train.metric checkpoint: put the run's own back"
        )
    net = EmbeddingNet(
        int(args["embedding_dim"]),
        int(args["channels"]),
        normalize=args["model"] == "triplet",
        head=args.get("head", "flat"),
        convs=int(args.get("convs_per_stage", 1)),
        retrieve=args.get("retrieve_from", "output"),  # runs from before the flag: output
    )
    net.load_state_dict(saved["state"]["net"])
    if "ema" in saved["state"]:  # trained with --ema: embed with the averaged weights
        ema = mg.optim.EMA(net.parameters())
        ema.load_state_dict(saved["state"]["ema"])
        ema.copy_to()
    return net.to(device).eval()


@mg.no_grad()
def embed(
    net: EmbeddingNet, images: np.ndarray, device: str, batch: int = 500, layer: str | None = None
) -> np.ndarray:
    """float32 embeddings (N, D) of uint8 images (N, 28, 28): `net.embed`'s vectors (of
    `layer`, default: the net's `retrieve`)."""
    if len(images) == 0:
        return np.zeros((0, net.embed_width(layer)), np.float32)
    x = mgdata.to_unit_range(images)
    parts = [
        net.embed(mg.tensor(x[i : i + batch], device=device), layer).numpy()
        for i in range(0, len(x), batch)
    ]
    return np.concatenate(parts).astype(np.float32, copy=False)


def write_embeddings(path: str | Path, embeddings: np.ndarray) -> None:
    """Save `embeddings` under its key, atomically (a temporary file renamed over path)."""
    path = Path(path)
    with common.atomic_path(path) as tmp, open(tmp, "wb") as f:  # (errors name path)
        np.savez(f, **{EMBEDDINGS_KEY: embeddings})  # a file object: no .npz added


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        with common.signals_raise():
            args.run_dir = scaffold.open_run(args.run_dir)
            out = common.check_output(
                args.out,
                "--out",
                inputs=[args.images],
                run_dir=args.run_dir,
                ours=lambda p: common.npz_of(p, EMBEDDINGS_KEY),
                suffix=".npz",
            )
            device = common.resolve_device(args.device)
            images = read_images(args.images)
            net = load_net(args.run_dir, device)
            embeddings = embed(net, images, device, args.batch_size)
            write_embeddings(out, embeddings)
    except KeyboardInterrupt as exc:
        return common.interrupted(JOB, exc, f"{args.out} was not written")
    except common.TRAINING_ERRORS as exc:
        print(f"{JOB}: error: {common.error_message(exc)}", file=sys.stderr)
        return 1
    print(f"wrote {args.out}: '{EMBEDDINGS_KEY}' float32 {embeddings.shape}")
    return 0


if __name__ == "__main__":
    scaffold.run_as_program("train.embed", main)
