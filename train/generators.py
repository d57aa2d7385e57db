"""A GAN run's networks, data shapes and training images, and a trained generator loaded
and sampled.

train.gan builds its networks and reads its images here; train.sample, train.latent and
train.evaluate load a finished run's generator (and its images) from here, so none of them
imports the training job.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import minigrad as mg
from minigrad import data as mgdata
from minigrad import nn
from models.cgan import ConditionalDiscriminator, ConditionalGenerator
from models.dcgan import Discriminator, Discriminator28, Generator, Generator28
from models.losses import OBJECTIVES, Objective
from models.mixture import MixtureLatent
from models.mlp_gan import ImageMLPGenerator, MLPDiscriminator, MLPGenerator
from models.pacgan import Packed
from train import common
from train.run import CONFIG_NAME, check_weights, note_config_drift, read_config

# the 2-D Gaussian mixtures: --dataset name -> (sampler, centres)
TOY = {
    "ring": (mgdata.ring_of_gaussians, mgdata.ring_centres),
    "grid": (mgdata.grid_of_gaussians, mgdata.grid_centres),
}
TOY_STD = 0.02  # the std of every mode of the 2-D mixtures


def data_shape(args: argparse.Namespace) -> tuple[int, ...]:
    """The shape of one training example, from a run's arguments."""
    if args.dataset in TOY:
        return (2,)
    if args.dataset == "folder":
        return (1 if args.grayscale else 3, args.image_size, args.image_size)
    return (1, 28, 28)


def build_models(args: argparse.Namespace, obj: Objective, shape: tuple[int, ...]) -> tuple:
    """(G, D) for the run's model, data shape and objective; D wrapped in `Packed` when
    `--pack` asks for it (its input then has m times the features or channels)."""
    batchnorm = obj.gp_weight == 0  # batchnorm couples samples, which the penalty forbids
    m = getattr(args, "pack", 1) or 1
    dropout = getattr(args, "dropout", 0.0) or 0.0
    g_bn = getattr(args, "g_batchnorm", False)
    if args.dataset in TOY:
        hidden = (args.hidden,) * (getattr(args, "layers", None) or 3)
        scale = getattr(args, "toy_scale", 1.0) or 1.0  # runs saved before the flag: 1
        G = MLPGenerator(args.nz, hidden, 2, tanh=False, batchnorm=g_bn, out_scale=scale)
        D = MLPDiscriminator(2 * m, hidden, dropout, in_scale=1.0 / scale)
    elif args.model == "cgan":
        c = shape[0]
        return (
            ConditionalGenerator(args.nz, 10, c),
            ConditionalDiscriminator(10, c, batchnorm=batchnorm),
        )
    elif args.model == "mlp":
        h = args.hidden
        G = ImageMLPGenerator(args.nz, (h, h), shape, g_bn)
        D = MLPDiscriminator(m * int(np.prod(shape)), (h, h), dropout)
    elif shape[1] == 28:
        depth = getattr(args, "d_depth", 2) or 2
        G = Generator28(args.nz, shape[0])
        D = Discriminator28(m * shape[0], batchnorm=batchnorm, depth=depth)
    else:
        c, size = shape[0], shape[1]
        G = Generator(args.nz, c, image_size=size)
        D = Discriminator(m * c, image_size=size, batchnorm=batchnorm)
    components = getattr(args, "latent_components", 0) or 0
    if components:
        G = MixtureLatent(G, args.nz, components, getattr(args, "latent_spread", 1.0) or 1.0)
    return G, (Packed(D, m) if m > 1 else D)


def load_generator(run_dir: str | Path, device: str) -> tuple[argparse.Namespace, nn.Module]:
    """A finished (or interrupted) run's arguments and its generator, in eval mode."""
    saved = common.load_run(run_dir, "train.gan")
    args = argparse.Namespace(**saved["args"])
    path = common.checkpoint_path(run_dir) if Path(run_dir).is_dir() else Path(run_dir)
    # the data's place as config.json records it: a resume that only moved the data
    # (--resume RUN --data-dir NEW, nothing left to train) leaves the checkpoint as it was
    config = read_config(path.parent) if (path.parent / CONFIG_NAME).is_file() else {}
    if isinstance(config.get("data_dir"), str) and config["data_dir"].strip():
        args.data_dir = config["data_dir"]
    note_config_drift(path.parent, saved["args"])
    if (getattr(args, "ema", 0) or 0) > 0 and "ema_G" not in saved["state"]:
        # as --resume refuses it: sampling the raw G instead would go unsaid
        raise ValueError(
            f"{path}: the checkpoint's state has no 'ema_G' (the run trained with --ema "
            f"{args.ema:g}, whose averaged weights the samples come from); not a complete "
            "train.gan checkpoint: put the run's own back"
        )
    check_weights({k: saved["state"].get(k) for k in ("G", "ema_G")}, path, "")
    shape = data_shape(args)
    G, _ = build_models(args, OBJECTIVES[args.loss], shape)
    try:
        G.load_state_dict(saved["state"]["G"])
    except (RuntimeError, KeyError, ValueError) as exc:
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        cause = " ".join(lines) or type(exc).__name__
        what = f"{shape[0]}-D points" if len(shape) == 1 else f"{'x'.join(map(str, shape))} images"
        raise ValueError(
            f"{path}: the generator's weights do not fit the --model {args.model} network its "
            f"settings build for {what} ({cause}); the run's settings or data do not match "
            "its checkpoint"
        ) from None
    # which point of the run the weights are from, for the figures that describe them
    args.checkpoint_step = int(saved["state"].get("step", -1))
    args.checkpoint_epoch = int(saved["state"].get("epoch", -1))
    args.data_sha256 = saved["state"].get("data_sha256")  # what the run trained on
    if "ema_G" in saved["state"]:  # trained with --ema: the averaged weights
        ema = mg.optim.EMA(G.parameters())
        ema.load_state_dict(saved["state"]["ema_G"])
        ema.copy_to()
    return args, G.to(device).eval()


@mg.no_grad()
def sample_generator(
    args: argparse.Namespace,
    G: nn.Module,
    n: int,
    device: str,
    seed: int = 0,
    z: np.ndarray | None = None,
    labels: np.ndarray | None = None,
    batch: int = 500,
) -> np.ndarray:
    """n samples: images (n, C, H, W) in [-1, 1] or points (n, 2). Latents come from
    `seed` unless given; a conditional model draws labels 0..9 in turn unless given."""
    if z is None:
        z = np.random.default_rng(seed).standard_normal((n, args.nz))
    if args.model == "cgan" and labels is None:
        labels = np.arange(n) % 10
    outs = []
    for i in range(0, n, batch):
        zt = mg.tensor(z[i : i + batch], dtype=mg.float32, device=device)
        if args.model == "cgan":
            yt = mg.tensor(np.asarray(labels[i : i + batch], dtype=np.int64), device=device)
            outs.append(G(zt, yt).numpy())
        else:
            outs.append(G(zt).numpy())
    return np.concatenate(outs)


def load_images(
    args: argparse.Namespace, idx_copies: tuple[str, ...] = ("images", "labels")
) -> tuple[np.ndarray, np.ndarray | None]:
    """Training images in [-1, 1] (N, C, H, W) and labels (or None). `idx_copies`: the
    IDX files (of `IDX_TRAIN`) whose copies must agree (`check_one_idx_copy`), those the
    job uses: a reader that draws from the images alone is not stopped by the labels."""
    if args.data_dir and not Path(args.data_dir).exists():
        raise FileNotFoundError(f"--data-dir {args.data_dir}: no such file or folder")
    if args.dataset == "folder":
        if not args.data_dir:
            raise ValueError("--dataset folder needs --data-dir FOLDER of PNG/JPEG images")
        path = Path(args.data_dir).expanduser()
        if path.exists() and not path.is_dir():
            raise ValueError(
                f"--data-dir {args.data_dir} is a file; --dataset folder reads a folder of "
                "PNG/JPEG images"
            )
        images = mgdata.load_image_folder(args.data_dir, args.image_size, args.grayscale)
        return mgdata.to_unit_range(images), None
    if args.data_dir is not None:
        check_label_files(args.data_dir)
        check_one_idx_copy(args.data_dir, idx_copies)
    # the bundled subset is used whole, and so is a user's images/labels npz; IDX files and
    # an npz with x_train/x_test give their training split
    own_split = args.data_dir is not None and mgdata.has_own_split(args.data_dir)
    images, labels = mgdata.load_mnist(args.data_dir, split="train" if own_split else "all")
    if args.data_dir is not None:
        if images.shape[1:] != (28, 28):
            h, w = images.shape[1:]
            raise ValueError(
                f"--data-dir {args.data_dir}: the images are {h}x{w}; --dataset mnist trains "
                "on 28x28 images (MNIST's format), which every job that reads the run "
                "(train.sample, latent, evaluate) builds its generator for. Resize them to "
                "28x28, or save them as PNG/JPEG and use --dataset folder --image-size 32 or 64"
            )
        if len(images) == 0:
            raise ValueError(f"--data-dir {args.data_dir} holds no images to train on")
        bad = labels[labels > 9]
        if len(bad):  # IDX labels are bytes: 0-255
            raise ValueError(
                f"--data-dir {args.data_dir}: label {int(bad[0])} is not a digit 0-9 "
                f"({len(bad)} such label{'s' * (len(bad) > 1)})"
            )
    return mgdata.to_unit_range(images), labels.astype(np.int64)


LABEL_KEYS = ("labels", "y_train", "y_test")
# the IDX training files as the loader looks for them, in its order (minigrad.data):
# train-images-idx3-ubyte, then .gz, then the '.idx3' spellings
IDX_TRAIN = {
    kind: [f"train-{kind}{sep}idx{dims}-ubyte{gz}" for sep in "-." for gz in ("", ".gz")]
    for kind, dims in (("images", 3), ("labels", 1))
}


def check_one_idx_copy(data_dir: str, kinds: tuple[str, ...] = ("images", "labels")) -> None:
    """Refuse a --data-dir folder holding two copies of an IDX training file that differ
    (`train-labels-idx1-ubyte` and `train-labels-idx1-ubyte.gz`, say), naming both: the
    loader reads the first of its names and would train on it silently, whichever the
    user meant. Only the files of `kinds` ("images", "labels") are checked: those the job
    uses. Copies with the same contents once unzipped (an unpacked download beside its
    archive) pass, and so does a copy that cannot be read (a half-downloaded archive beside
    the unpacked file): the loader never opens it, so it holds no other data to train on."""
    root = Path(data_dir).expanduser()
    if not root.is_dir():
        return
    for kind in kinds:
        present = [root / n for n in IDX_TRAIN[kind] if (root / n).is_file()]
        if len(present) < 2:
            continue
        first = _unzipped(present[0])
        if first is None:
            continue  # the loader names the unreadable file it reads
        for other in present[1:]:
            contents = _unzipped(other)
            if contents is not None and contents != first:
                raise ValueError(
                    f"--data-dir {data_dir} holds {present[0].name} and {other.name}, with "
                    f"different contents ({present[0]} would be read and {other} left "
                    "unread); remove the copy you do not mean to train on"
                )


def _unzipped(path: Path) -> bytes | None:
    """A file's bytes, gunzipped when they start with the gzip magic (as the loader reads
    them); None for a file that cannot be read (a corrupt or truncated archive, no read
    permission)."""
    import gzip
    import zlib

    try:
        raw = path.read_bytes()
        return gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
    except (EOFError, OSError, zlib.error):
        return None


def check_label_files(data_dir: str) -> None:
    """Refuse the labels of an .npz that --data-dir names (or the one npz of its folder)
    unless they are integers 0-9, naming the file, the key and a bad value: the loader
    stores them as bytes, which would turn 265 into 9 and -1 into 255."""
    import zipfile
    import zlib

    root = Path(data_dir).expanduser()
    if root.is_dir():
        if any(root.glob("train-images*")):
            return  # IDX files: their labels are bytes, checked once loaded
        npzs = sorted(root.glob("*.npz"))
        named = [p for p in npzs if p.name == "mnist.npz"]
        candidates = named or (npzs if len(npzs) == 1 else [])
    else:
        candidates = [root] if root.is_file() else []
    for path in candidates:
        try:
            with mgdata.open_npz(path) as f:
                arrays = {k: f[k] for k in LABEL_KEYS if k in f.files}
        except (ValueError, OSError, EOFError, zlib.error, zipfile.BadZipFile):
            return  # the loader refuses it by name
        for key, y in arrays.items():
            if y.dtype.kind not in "ui":
                raise ValueError(
                    f"{path}: '{key}' must hold integer labels 0-9, got dtype {y.dtype}"
                )
            bad = y[(y < 0) | (y > 9)]
            if len(bad):
                raise ValueError(
                    f"{path}: '{key}' holds label {int(bad[0])}, not a digit 0-9 "
                    f"({len(bad)} of {len(y)} labels out of range)"
                )


def run_images(run_args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray | None]:
    """The images (and labels) a finished run trained on, read as it read them (a
    --dry-run's cut too), checked against the fingerprint its checkpoint holds, as a
    resume checks them (a ValueError when the data changed since)."""
    # its readers (train.latent's nearest.png, train.evaluate) use the images alone: a
    # labels copy that differs (beside a run made before the copies were checked) is no
    # reason to refuse them; the fingerprint below still checks the labels read
    images, labels = load_images(run_args, idx_copies=("images",))
    if getattr(run_args, "dry_run", False):  # the run's own cut (train.gan's Run)
        n = 4 * run_args.batch_size
        images, labels = images[:n], None if labels is None else labels[:n]
    then = getattr(run_args, "data_sha256", None)
    if then is not None:  # older checkpoints hold none
        where = f" in --data-dir {run_args.data_dir}" if run_args.data_dir else ""
        common.check_fingerprint(
            {"data_sha256": then}, common.data_fingerprint(images, labels), where
        )
    return images, labels
