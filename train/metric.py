"""Learn an embedding of digits: python -m train.metric [--model triplet] [--mining semi-hard]

Two models share one small CNN (models/embedding.py): a siamese network trained with the
contrastive loss on balanced same/different pairs, and a FaceNet-style triplet network
(L2-normalised embeddings) trained on P classes x K images per batch with a miner.

Evaluation is on held-out images. `--split unseen` (default) trains on digits
`--train-classes` (0-4) of the bundled 5,000 and evaluates on the other digits;
`--split seen` trains on the first 400 images of every digit and evaluates on the other
100 of each. Every epoch appends loss, active share and Recall@1/2/4/8, MAP@R and 5-NN
accuracy to metrics.jsonl and checkpoints atomically; the end writes eval.json (next to
the same figures for raw pixels), pca.png, retrieval.png and curves.png. `--resume
RUN_DIR` continues exactly where a run stopped, Ctrl-C included.

The training step comes first (`triplet_losses`, `pair_losses`, `step`); settings, data and
the run's bookkeeping (`Run`) follow.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

import minigrad as mg
from minigrad import data as mgdata
from minigrad import jobs
from models.embedding import RETRIEVE, EmbeddingNet
from models.mining import MINERS, active_share
from models.siamese import LOSS_FORMS, contrastive_loss, sample_pairs
from models.triplet import triplet_loss
from train import common
from train import distributed as tdist
from train import embed as embed_job
from train import run as scaffold
from train.metrics import knn_accuracy, map_at_r, recall_at_k

SEEN_TRAIN_PER_CLASS = 400  # --split seen: the first 400 of each digit train, the rest test
DRY_TRAIN_PER_CLASS, DRY_EVAL_PER_CLASS, DRY_BATCHES = 48, 20, 3
RECALL_KS = (1, 2, 4, 8)
# the defaults of the flags below where no recipe sets them (siamese, --split seen), and
# of settings that a resumed run's config.json predates
DEFAULTS = {
    "mining": "semi-hard",
    "classes_per_batch": 5,
    "epochs": 10,
    "samples_per_class": 16,
    "embedding_dim": 64,
    "convs_per_stage": 1,
    "lr_decay": "none",
    "ema": 0.0,
    "shift": 2,
    "retrieve_from": "output",
    "batch_size": 64,
    "loss_form": "plain",
}
DEFAULT_MARGIN = {"siamese": 1.0, "triplet": 0.5}
# the triplet model's defaults per --split, each measured on three training seeds
# (docs/results.md); a flag given on the command line wins
RECIPES = {
    "unseen": {
        "samples_per_class": 100,
        "shift": 3,
        "ema": 0.9,
        "lr_decay": "linear",
        "convs_per_stage": 2,
        "embedding_dim": 128,
        "epochs": 15,
        "retrieve_from": "features",
    },
    "seen": {},
}
# upper bounds of the size flags, far above any useful value, so that a typo is refused by
# name instead of exhausting memory; a shift of 14 moves a 28-pixel digit half out of view
MAX_BATCH, MAX_EMBEDDING, MAX_CHANNELS, MAX_CONVS, MAX_SHIFT = 4096, 1024, 256, 4, 14


# ---------------------------------------------------------------------- the step
def triplet_losses(
    net: EmbeddingNet, x: mg.Tensor, labels: np.ndarray, mining: str, margin: float
) -> tuple[mg.Tensor, int]:
    """Per-triplet losses of one P x K batch of images x (N, 1, 28, 28) with labels (N,),
    and how many triplets: the miner picks (anchor, positive, negative) indices among the
    batch's embeddings, without grad."""
    emb = net(x)
    triplets = MINERS[mining](emb, labels, margin=margin)
    # the network already normalises its output
    per = triplet_loss(emb, triplets, margin, normalize=False, reduction="none")
    return per, len(triplets[0])


def pair_losses(
    net: EmbeddingNet, x: mg.Tensor, same: np.ndarray, margin: float, form: str
) -> tuple[mg.Tensor, int]:
    """Per-pair contrastive losses and how many pairs: x (2N, 1, 28, 28) holds the pairs'
    first images, then their second ones (one forward pass for both); same (N,) is 1
    where a pair shows one class."""
    emb = net(x)
    n = len(same)
    return contrastive_loss(emb[:n], emb[n:], same, margin, form, reduction="none"), n


def step(opt: mg.optim.Optimizer, per: mg.Tensor, count: int) -> mg.Tensor:
    """One optimiser step on the mean of the per-triplet (or per-pair) losses; a batch
    without a triplet still steps, on the empty sum 0."""
    loss = per.mean() if count else per.sum()
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss


# ---------------------------------------------------------------------- settings
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=jobs.prog("train.metric"),
        description="Train a siamese or triplet embedding of MNIST digits with minigrad and "
        "evaluate retrieval on held-out images.",
    )
    p.add_argument(
        "--model",
        choices=("siamese", "triplet"),
        default="triplet",
        help="contrastive loss on pairs, or FaceNet triplet loss (default: triplet)",
    )
    p.add_argument(
        "--mining",
        choices=tuple(MINERS),
        default=None,
        help="triplet miner (triplet model; default: semi-hard)",
    )
    p.add_argument(
        "--loss-form",
        choices=LOSS_FORMS,
        default=None,
        help="contrastive loss on d (plain) or d^2 as Hadsell et al. 2006 (squared) "
        "(siamese model; default: plain)",
    )
    p.add_argument(
        "--margin",
        type=common.positive_float,
        default=None,
        help="margin: alpha on squared distances for triplet (default 0.5), m for "
        "siamese (default 1.0)",
    )
    p.add_argument(
        "--split",
        choices=("unseen", "seen"),
        default="unseen",
        help="unseen: evaluate on digits not trained on; seen: on held-out images "
        "of the trained digits (default: unseen)",
    )
    p.add_argument(
        "--train-classes",
        type=classes_arg,
        default=None,
        help="digits to train on, e.g. 0-4 or 0,2,4 (default: 0-4 for unseen, all "
        "for seen, where evaluation uses the same digits)",
    )
    p.add_argument(
        "--epochs",
        type=common.epochs_arg,
        default=None,
        help="passes over the data (default: 15 for triplet on --split unseen, else 10; on "
        "--resume, the run's own; at most 10^6)",
    )
    p.add_argument(
        "--steps",
        type=common.steps_arg,
        default=None,
        help="stop after this many optimizer steps (mid-epoch is fine; resumable; at most "
        "10^9); the run also ends at --epochs, so a --steps past its last epoch is refused",
    )
    p.add_argument(
        "--batch-size",
        type=common.int_in(2, MAX_BATCH),
        default=None,
        help="pairs per step (siamese; default: 64)",
    )
    p.add_argument(
        "--classes-per-batch",
        type=common.int_in(2, 10),
        default=None,
        help="P classes per triplet batch (triplet model; default: 5)",
    )
    p.add_argument(
        "--samples-per-class",
        type=common.int_in(2, MAX_BATCH),
        default=None,
        help="K images per class in a triplet batch (triplet model; default: 100 on --split "
        "unseen, 16 on seen and under --dry-run)",
    )
    p.add_argument(
        "--embedding-dim",
        type=common.int_in(1, MAX_EMBEDDING),
        default=None,
        help="embedding size D (default: 128 for triplet on --split unseen, else 64)",
    )
    p.add_argument(
        "--head",
        choices=("flat", "pool"),
        default="flat",
        help="embedding head: a projection of the flattened conv features (flat), or a "
        "third conv layer, global average pooling and a projection (pool) (default: flat)",
    )
    p.add_argument(
        "--retrieve-from",
        choices=RETRIEVE,
        default=None,
        help="the run's embedding, which retrieval, its figures and train.embed use: the "
        "network's output (the space the loss trains) or the L2-normalised features its final "
        "projection reads, which hold more of what tells unseen digits apart (default: "
        "features for a triplet run on --split unseen, else output)",
    )
    p.add_argument(
        "--channels",
        type=common.int_in(1, MAX_CHANNELS),
        default=32,
        help="width of the CNN: channels of its first conv layer (default: 32)",
    )
    p.add_argument(
        "--convs-per-stage",
        type=common.int_in(1, MAX_CONVS),
        default=None,
        help="3x3 conv layers before each of the CNN's two max-pools (default: 2 for "
        "triplet on --split unseen, else 1)",
    )
    p.add_argument(
        "--lr", type=common.positive_float, default=1e-3, help="Adam learning rate (default: 1e-3)"
    )
    p.add_argument(
        "--lr-decay",
        choices=("none", "linear"),
        default=None,
        help="linear: the learning rate falls linearly to 0 by the last step of --epochs; "
        "none: constant (default: linear for triplet on --split unseen, else none)",
    )
    p.add_argument(
        "--ema",
        type=common.float_in(0.0, 1.0, hi_open=True),
        default=None,
        metavar="DECAY",
        help="evaluate (and embed with) an exponential moving average of the weights "
        "with this decay, e.g. 0.9; 0 evaluates the last step's weights (default: 0.9 for "
        "triplet on --split unseen, else 0)",
    )
    p.add_argument(
        "--shift",
        type=common.int_in(0, MAX_SHIFT),
        default=None,
        help="augment training images by random shifts of up to this many pixels, 0 for none "
        "(default: 3 for triplet on --split unseen, else 2)",
    )
    p.add_argument(
        "--rotate",
        type=common.float_in(0.0, 180.0),
        default=0.0,
        metavar="DEG",
        help="also rotate training images by a random angle in [-DEG, DEG] degrees "
        "(bilinear; the shift then is continuous) (default: 0, off)",
    )
    p.add_argument(
        "--scale",
        type=common.float_in(0.0, 1.0, hi_open=True),
        default=0.0,
        metavar="S",
        help="also scale training images by a random factor in [1-S, 1+S] (default: 0, off)",
    )
    common.add_common_args(
        p,
        out_help="runs/metric-siamese-SPLIT, or runs/metric-triplet-MINING-SPLIT; "
        "runs/dry-run-metric-... for --dry-run",
    )
    tdist.add_flag(p, "python -m train.metric")
    return p


def parse_classes(text: str) -> list[int]:
    """'0-4' -> [0, 1, 2, 3, 4]; '0,2,7-9' -> [0, 2, 7, 8, 9]; a digit named twice, a range
    that runs backwards and a digit outside 0-9 are refused."""
    try:
        bounds = []
        for part in text.split(","):
            lo, _, hi = part.strip().partition("-")
            bounds.append((part.strip(), int(lo), int(hi or lo)))
    except ValueError:
        raise ValueError(f"--train-classes {text!r}: expected digits like 0-4 or 0,2,4") from None
    out: set[int] = set()
    for part, lo, hi in bounds:
        if hi < lo:
            raise ValueError(
                f"--train-classes {text!r}: the range {part} is empty (it runs backwards); "
                f"write {hi}-{lo}"
            )
        twice = sorted(out.intersection(range(lo, hi + 1)))
        if twice:
            raise ValueError(
                f"--train-classes {text!r}: digit {twice[0]} is given twice; name each once"
            )
        out.update(range(lo, hi + 1))
    if not out or min(out) < 0 or max(out) > 9:
        raise ValueError(f"--train-classes {text!r}: digits must lie in 0-9")
    return sorted(out)


def same_setting(dest: str, a: object, b: object) -> bool:
    """Whether two values of a setting are one: --train-classes as the set of digits it
    names (0-4, 0,1,2,3,4 and 0-2,3-4 are one), for a resume's check of its flags."""
    if dest != "train_classes" or not isinstance(a, str) or not isinstance(b, str):
        return False
    try:
        return parse_classes(a) == parse_classes(b)
    except ValueError:
        return False


def classes_arg(text: str) -> str:
    """argparse `type=` for --train-classes: the text, once `parse_classes` accepts it."""
    try:
        parse_classes(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc).partition(": ")[2]) from None
    return text


# flags of one model's batches that the other model has no use for
OTHER_MODELS_FLAGS = {
    "triplet": ("batch_size", "loss_form"),
    "siamese": ("mining", "classes_per_batch", "samples_per_class"),
}


def inapplicable(settings: Mapping[str, Any], dest: str) -> str | None:
    """Why a flag has no use in a run of these settings (the other model's), else None: a
    new run and a resume refuse it alike (a resumed siamese run's config.json holds the
    triplet flags' defaults, which no comparison with a given value should speak of)."""
    model = settings.get("model")
    if dest not in OTHER_MODELS_FLAGS.get(model, ()):
        return None
    if model == "triplet":
        return (
            "applies to --model siamese; --model triplet trains on --classes-per-batch x "
            "--samples-per-class images: drop it"
        )
    return (
        "applies to --model triplet's batches; --model siamese trains on --batch-size pairs: "
        "drop it"
    )


def fill_defaults(args: argparse.Namespace) -> None:
    """The flags left at None take the triplet recipe of --split (RECIPES), else DEFAULTS;
    under --dry-run a triplet batch keeps K = 16, which its tiny data holds. A resumed run
    holds its settings, and one it lacks predates its flag: DEFAULTS, what ran then."""
    if not args.resume:  # the other model's flags: no use here (a resume: `inapplicable`)
        for dest in OTHER_MODELS_FLAGS[args.model]:
            if getattr(args, dest, None) is not None:
                flag = "--" + dest.replace("_", "-")
                raise ValueError(f"{flag} {getattr(args, dest)} {inapplicable(vars(args), dest)}")
    cpb_open = getattr(args, "classes_per_batch", None) is None and not args.resume
    recipe = RECIPES[args.split] if args.model == "triplet" and not args.resume else {}
    scaffold.note_dry_run_epochs(args)
    if args.dry_run:
        recipe = {k: v for k, v in recipe.items() if k != "samples_per_class"}
    scaffold.fill_unset(args, {**DEFAULTS, "margin": DEFAULT_MARGIN[args.model], **recipe})
    if args.train_classes is None:
        args.train_classes = "0-4" if args.split == "unseen" else "0-9"
    classes = parse_classes(args.train_classes)  # fail early on a bad value
    if cpb_open and args.model == "triplet" and 2 <= len(classes) < args.classes_per_batch:
        args.classes_per_batch = len(classes)  # the default adapts to fewer training digits
    if not 0.0 <= (getattr(args, "ema", 0.0) or 0.0) < 1.0:
        raise ValueError(f"--ema must be in [0, 1), got {args.ema}")
    if args.out is None and not args.resume:
        name = args.model if args.model == "siamese" else f"triplet-{args.mining}"
        dry = "dry-run-" if args.dry_run else ""  # never the real run's folder
        args.out = str(Path("runs") / f"{dry}metric-{name}-{args.split}")


def first_per_class(labels: np.ndarray, n: int) -> np.ndarray:
    """Indices of the first n items of every class, in file order."""
    return np.sort(np.concatenate([np.flatnonzero(labels == c)[:n] for c in np.unique(labels)]))


def split_data(args: argparse.Namespace) -> tuple[np.ndarray, ...]:
    """(train images, train labels, eval images, eval labels): uint8 (N, 28, 28), int64."""
    images, labels = mgdata.load_mnist(split="all")
    labels = labels.astype(np.int64)
    classes = parse_classes(args.train_classes)
    chosen = np.isin(labels, classes)
    if args.split == "unseen":
        train, held = chosen, ~chosen
        if not held.any():
            raise ValueError("--split unseen needs some digits left out of --train-classes")
    else:
        train = np.zeros(len(labels), dtype=bool)
        train[first_per_class(np.where(chosen, labels, -1), SEEN_TRAIN_PER_CLASS)] = True
        train &= chosen
        held = chosen & ~train
    tr, ev = np.flatnonzero(train), np.flatnonzero(held)
    eval_digits = np.unique(labels[ev])
    # retrieval within one class scores 1.0 for anything (seen: the training digits, whose
    # count the models check with their own message)
    if args.split == "unseen" and len(eval_digits) < 2:
        raise ValueError(
            f"--split {args.split} --train-classes {args.train_classes} leaves "
            f"{len(eval_digits)} digit ({', '.join(map(str, eval_digits))}) to evaluate on; "
            "retrieval needs at least two (every neighbour of one class is a match)"
        )
    if args.dry_run:  # tiny data: a few images of each class
        tr = tr[first_per_class(labels[tr], DRY_TRAIN_PER_CLASS)]
        ev = ev[first_per_class(labels[ev], DRY_EVAL_PER_CLASS)]
    return images[tr], labels[tr], images[ev], labels[ev]


def retrieval_metrics(emb: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Recall@1/2/4/8, MAP@R and leave-one-out 5-NN accuracy of embeddings (N, D)."""
    out = {f"recall@{k}": v for k, v in recall_at_k(emb, labels, RECALL_KS).items()}
    out["map@r"] = map_at_r(emb, labels)
    out["knn5_acc"] = knn_accuracy(emb, labels, k=5)
    return out


def pixels(images: np.ndarray) -> np.ndarray:
    """The raw-pixel baseline's embedding: uint8 (N, 28, 28) -> float32 (N, 784) in [0, 1]."""
    return images.reshape(len(images), -1).astype(np.float32) / 255


def random_shift(x: np.ndarray, max_shift: int, rng: np.random.Generator) -> np.ndarray:
    """Each image of x (N, C, H, W) moved by its own whole-pixel offset in
    [-max_shift, max_shift] on both axes; the background value -1 fills the gap."""
    if max_shift <= 0:
        return x
    n, c, h, w = x.shape
    s = max_shift
    padded = np.pad(x, ((0, 0), (0, 0), (s, s), (s, s)), constant_values=-1.0)
    dy, dx = rng.integers(0, 2 * s + 1, size=(2, n))
    rows = (dy[:, None] + np.arange(h))[:, None, :, None]  # (N, 1, H, 1)
    cols = (dx[:, None] + np.arange(w))[:, None, None, :]  # (N, 1, 1, W)
    return padded[np.arange(n)[:, None, None, None], np.arange(c)[None, :, None, None], rows, cols]


def random_affine(
    x: np.ndarray, degrees: float, scale: float, shift: float, rng: np.random.Generator
) -> np.ndarray:
    """Each image of x (N, C, H, W) rotated about its centre by an angle in [-degrees,
    degrees], scaled by a factor in [1 - scale, 1 + scale] and moved by up to `shift`
    pixels on each axis, with bilinear interpolation; -1 (the background) fills what
    comes from outside. One gather for the whole batch, no loop over images."""
    n, c, h, w = x.shape
    angle = np.deg2rad(rng.uniform(-degrees, degrees, n))[:, None, None]
    zoom = rng.uniform(1 - scale, 1 + scale, n)[:, None, None]
    ty, tx = rng.uniform(-shift, shift, (2, n, 1, 1))
    cy, cx = (h - 1) / 2, (w - 1) / 2
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    # output pixel p reads the input at centre + R(-angle) (p - centre - t) / zoom
    dy, dx = yy - cy - ty, xx - cx - tx  # (N, H, W)
    cos, sin = np.cos(angle) / zoom, np.sin(angle) / zoom
    sy, sx = cos * dy + sin * dx + cy, -sin * dy + cos * dx + cx
    # a one-pixel border of background, so the four neighbours are always indexable
    padded = np.pad(x.transpose(0, 2, 3, 1), ((0, 0), (1, 1), (1, 1), (0, 0)), constant_values=-1)
    y0 = np.clip(np.floor(sy), -1, h - 1)
    x0 = np.clip(np.floor(sx), -1, w - 1)
    wy = np.clip(sy - y0, 0, 1)[..., None]
    wx = np.clip(sx - x0, 0, 1)[..., None]
    i, j = y0.astype(np.int64) + 1, x0.astype(np.int64) + 1
    b = np.arange(n)[:, None, None]
    out = (1 - wy) * ((1 - wx) * padded[b, i, j] + wx * padded[b, i, j + 1]) + wy * (
        (1 - wx) * padded[b, i + 1, j] + wx * padded[b, i + 1, j + 1]
    )
    return out.transpose(0, 3, 1, 2).astype(x.dtype)


# ---------------------------------------------------------------------- one run
class Run:
    """Everything a training run holds, and the checkpoint that restores it."""

    def __init__(self, args: argparse.Namespace, device: str) -> None:
        self.args, self.device = args, device
        self.train_images, self.train_labels, self.eval_images, self.eval_labels = split_data(args)
        self.data_sha256 = common.data_fingerprint(
            self.train_images, self.train_labels, self.eval_images, self.eval_labels
        )
        self.train_x = mgdata.to_unit_range(self.train_images)
        self.triplet = args.model == "triplet"
        if self.triplet:
            n_classes = len(np.unique(self.train_labels))
            if n_classes < 2:
                raise ValueError(
                    f"--model triplet needs at least two training digits for its negatives; "
                    f"--train-classes {args.train_classes} gives one"
                )
            if not 2 <= args.classes_per_batch <= n_classes:
                raise ValueError(
                    f"--classes-per-batch {args.classes_per_batch}: need 2 to {n_classes} "
                    "(the number of training digits)"
                )
            if args.samples_per_class < 2:
                raise ValueError("--samples-per-class must be at least 2 (anchor + positive)")
            digits, counts = np.unique(self.train_labels, return_counts=True)
            if args.samples_per_class > counts.min():
                raise ValueError(
                    f"--samples-per-class {args.samples_per_class} is more than the "
                    f"{counts.min()} training images of digit {digits[counts.argmin()]} "
                    f"(--split {args.split}, --train-classes {args.train_classes}); a batch "
                    "would repeat images"
                )
            self.batch_images = args.classes_per_batch * args.samples_per_class
        else:
            if args.batch_size < 2:
                raise ValueError("--batch-size must be at least 2 (a positive and a negative)")
            if len(np.unique(self.train_labels)) < 2:
                raise ValueError(
                    f"--model siamese needs at least two training digits for its negative "
                    f"pairs; --train-classes {args.train_classes} gives one"
                )
            self.batch_images = args.batch_size
        if len(self.train_x) < self.batch_images:
            flags = (
                f"--classes-per-batch {args.classes_per_batch} x --samples-per-class "
                f"{args.samples_per_class}"
                if self.triplet
                else f"--batch-size {args.batch_size}"
            )
            raise ValueError(
                f"{flags}: a batch of {self.batch_images} images is larger than the training "
                f"set ({len(self.train_x)} images)"
            )
        # the triplet loss is defined on the unit hypersphere, so that network normalises
        self.net = EmbeddingNet(
            args.embedding_dim,
            args.channels,
            normalize=self.triplet,
            head=getattr(args, "head", "flat"),
            convs=getattr(args, "convs_per_stage", 1),
            retrieve=args.retrieve_from,
        )
        self.net.to(device)
        self.opt = mg.optim.Adam(self.net.parameters(), lr=args.lr)
        decay = getattr(args, "ema", 0.0) or 0.0
        self.ema = mg.optim.EMA(self.net.parameters(), decay) if decay else None
        self.epoch, self.batch, self.step = 0, 0, 0
        self.plan: np.ndarray | None = None  # this epoch's batches, drawn at its start
        self.sums: dict[str, float] = {}
        self.run_dir = Path(args.resume or args.out or ".")
        self.epochs = 1 if args.dry_run else args.epochs
        # --lr-decay's horizon: --steps only stops early, so a run stopped by --steps and
        # extended follows the same schedule
        self.planned = self.epochs * self.batches_per_epoch
        if args.dry_run and not args.resume and args.steps is not None:
            if args.steps > self.planned:
                scaffold.note(
                    f"--dry-run: one short epoch, {self.planned} steps; --steps {args.steps} "
                    "is recorded in config.json, not trained"
                )
        elif args.steps is not None and args.steps > self.planned and not args.dry_run:
            raise ValueError(
                f"--steps {args.steps} is past the end of the run: --epochs {self.epochs} is "
                f"{self.planned} steps; a run ends at whichever comes first, so raise --epochs "
                "too (or drop --steps)"
            )
        self.last_eval: tuple[np.ndarray, dict[str, float]] | None = None
        self.session: tdist.Session | None = None  # set by train() under --distributed

    @property
    def batches_per_epoch(self) -> int:
        n = len(self.train_x) // self.batch_images
        return min(n, DRY_BATCHES) if self.args.dry_run else n

    # -------------------------------------------------------------- the loop's hooks
    def finished(self) -> bool:
        steps = self.args.steps
        return self.epoch >= self.epochs or (steps is not None and self.step >= steps)

    def start_epoch_(self) -> None:
        if self.plan is None:
            self.plan = self.draw_plan()
            if self.session:  # rank 0's plan: every process takes its share of each batch
                self.plan = self.session.from_rank0(self.plan)

    def train_batch_(self) -> dict[str, float]:
        self.schedule_lr_(self.planned)
        stats = self.train_step()
        self.batch += 1
        self.step += 1
        for k, v in stats.items():
            self.sums[k] = self.sums.get(k, 0.0) + v
        self.sums["n"] = self.sums.get("n", 0.0) + 1
        return {"loss": stats["loss"], "active": stats["active"]}

    def end_epoch_(self, seconds: float) -> dict[str, Any]:
        """The epoch's record: mean training figures, then the held-out evaluation."""
        n = self.sums.pop("n")
        record: dict[str, Any] = {k: v / n for k, v in self.sums.items()}
        record["train_seconds"] = round(seconds, 2)
        self.last_eval = self.evaluate()
        record.update(self.last_eval[1])
        self.batch, self.plan, self.sums = 0, None, {}
        return record

    def draw_epoch_(self) -> None:
        pass  # no per-epoch pictures: the run's figures are drawn once, at its end

    # -------------------------------------------------------------- checkpoint
    def state(self) -> dict[str, Any]:
        return {
            "net": self.net.state_dict(),
            "opt": self.opt.state_dict(),
            "rng": common.rng_state(),
            **(self.session.rng_states() if self.session else {}),
            "epoch": self.epoch,
            "batch": self.batch,
            "step": self.step,
            "plan": self.plan if self.plan is not None else np.zeros(0, np.int64),
            "sums": dict(self.sums),
            **({"ema": self.ema.state_dict()} if self.ema else {}),
            "data_sha256": self.data_sha256,
        }

    def restore(self, state: dict[str, Any]) -> None:
        self.net.load_state_dict(state["net"])
        self.opt.load_state_dict(state["opt"])
        common.set_rng_state(state["rng"])
        if self.session:
            self.session.set_rng_states(state)
        self.epoch, self.batch, self.step = (int(state[k]) for k in ("epoch", "batch", "step"))
        self.plan = self._checked_plan(state["plan"])
        self.sums = {k: float(v) for k, v in state["sums"].items()}
        if self.ema:
            self.ema.load_state_dict(state["ema"])
        common.check_fingerprint(state, self.data_sha256, " (the bundled digits)")

    def _checked_plan(self, plan: Any) -> np.ndarray | None:
        """The saved epoch plan, or None for an empty one; a plan of another shape or with
        indices outside the training set is refused (it failed with a TypeError in the
        first batch)."""
        plan = np.asarray(plan)
        if plan.size == 0:
            return None
        n, a = self.batches_per_epoch, self.args
        if self.triplet:
            shape = (n, a.classes_per_batch * a.samples_per_class)
        else:
            shape = (n, a.batch_size, 3)
        if plan.dtype.kind not in "iu" or plan.shape != shape:
            raise common.BadState(
                f"its 'plan' is a {plan.dtype} array of shape {plan.shape}, where this run's "
                f"epochs hold {shape} image indices"
            )
        images = plan if self.triplet else plan[..., :2]
        if images.min() < 0 or images.max() >= len(self.train_x):
            raise common.BadState(
                f"its 'plan' holds image indices outside 0..{len(self.train_x) - 1}"
            )
        return plan

    # -------------------------------------------------------------- batches
    def draw_plan(self) -> np.ndarray:
        """The epoch's batches, drawn up front so a checkpoint can hold them: triplet
        (n, P * K) image indices; siamese (n, B, 3) anchor, partner, same."""
        n = self.batches_per_epoch
        rng = mg.random.generator("cpu")
        if self.triplet:
            a = self.args
            batches = mgdata.balanced_batches(
                self.train_labels, a.classes_per_batch, a.samples_per_class, n, rng
            )
            return np.stack(list(batches))
        bs = self.args.batch_size
        anchors = rng.permutation(len(self.train_x))[: n * bs]
        partners, same = sample_pairs(self.train_labels, anchors, rng)
        return np.stack([anchors, partners, same.astype(np.int64)], 1).reshape(n, bs, 3)

    def images(self, idx: np.ndarray) -> mg.Tensor:
        """Training images (B, 1, 28, 28), moved at random as --shift, --rotate and
        --scale ask."""
        a, rng = self.args, mg.random.generator("cpu")
        rotate, scale = getattr(a, "rotate", 0.0), getattr(a, "scale", 0.0)
        if rotate or scale:
            x = random_affine(self.train_x[idx], rotate, scale, a.shift, rng)
        else:
            x = random_shift(self.train_x[idx], a.shift, rng)
        return mg.tensor(x, device=self.device)

    def losses(self) -> tuple[mg.Tensor, int]:
        """Per-triplet (or per-pair) losses of the current batch, and how many."""
        a = self.args
        if self.triplet:
            idx = self.plan[self.batch]
            if self.session:
                idx = self.session.class_share(idx, a.classes_per_batch)
            return triplet_losses(
                self.net, self.images(idx), self.train_labels[idx], a.mining, a.margin
            )
        pairs = self.plan[self.batch]
        anchors, partners, same = (self.session.block(pairs) if self.session else pairs).T
        x = self.images(np.concatenate([anchors, partners]))
        return pair_losses(self.net, x, same, a.margin, a.loss_form)

    def schedule_lr_(self, total_steps: int) -> None:
        """--lr-decay linear: the rate is --lr times the share of steps left, a function
        of the step alone, so a resumed run follows the same schedule."""
        if getattr(self.args, "lr_decay", "none") == "linear":
            self.opt.lr = self.args.lr * max(0.0, 1.0 - self.step / max(1, total_steps))

    def train_step(self) -> dict[str, float]:
        per, count = self.losses()
        loss = step(self.opt, per, count)
        if self.ema:
            self.ema.update()
        return {
            "loss": common.check_finite("loss", loss, self.step, self.ckpt),
            "active": active_share(per),
            "count": float(count),
        }

    # -------------------------------------------------------------- evaluation
    @property
    def ckpt(self) -> Path:
        return common.checkpoint_path(self.run_dir)

    @mg.no_grad()
    def embed(self, images: np.ndarray, batch: int = 500, layer: str | None = None) -> np.ndarray:
        """Embeddings (N, D) of uint8 images (N, 28, 28), in eval mode, with the averaged
        weights under --ema: of --retrieve-from's layer, or of `layer` when given."""
        net = self.net.module if self.session else self.net  # the model under the wrapper
        self.net.eval()
        try:
            with self.ema.swapped() if self.ema else contextlib.nullcontext():
                return embed_job.embed(net, images, self.device, batch, layer)
        finally:
            self.net.train()

    def evaluate(self) -> tuple[np.ndarray, dict[str, float]]:
        emb = self.embed(self.eval_images)
        return emb, retrieval_metrics(emb, self.eval_labels)

    def layer_metrics(self) -> dict[str, dict[str, float]]:
        """The retrieval figures of both layers, output and features, side by side."""
        return {
            layer: retrieval_metrics(self.embed(self.eval_images, layer=layer), self.eval_labels)
            for layer in RETRIEVE
        }

    def finish(self, emb: np.ndarray, metrics: dict[str, float]) -> dict[str, Any]:
        """eval.json and the pictures; returns what eval.json holds."""
        run, a = self.run_dir, self.args
        result = {
            "model": a.model,
            "mining": a.mining if self.triplet else None,
            "loss_form": None if self.triplet else a.loss_form,
            "margin": a.margin,
            "split": a.split,
            "train_classes": parse_classes(a.train_classes),
            "eval_classes": sorted(int(c) for c in np.unique(self.eval_labels)),
            "n_train": len(self.train_x),
            "n_eval": len(self.eval_images),
            "epochs": self.epoch,
            "steps": self.step,
            "retrieve_from": a.retrieve_from,
            "embedding": metrics,  # of --retrieve-from's layer, as the per-epoch figures
            "layers": self.layer_metrics(),
            "raw_pixels": retrieval_metrics(pixels(self.eval_images), self.eval_labels),
        }
        with open(run / ".eval.json.tmp", "w", encoding="utf-8") as f:
            json.dump(result, f, indent=2)
            f.write("\n")
        Path(run / ".eval.json.tmp").replace(run / "eval.json")
        title = f"{a.model} ({a.mining if self.triplet else a.loss_form}), {a.split} digits"
        pca_plot(run / "pca.png", emb, self.eval_labels, title)
        retrieval_strip(run / "retrieval.png", emb, self.eval_images, self.eval_labels)
        records = common.read_jsonl(run / "metrics.jsonl")
        common.plot_curves(
            run / "curves.png",
            records,
            ["loss", "active", "recall@1", "map@r"],
            x_key="epoch",
            title=title,
        )
        return result


# ---------------------------------------------------------------------- pictures
def pca_project(emb: np.ndarray, dims: int = 2) -> np.ndarray:
    """The centred embeddings (N, D) on their first `dims` principal axes: (N, dims)."""
    centred = emb.astype(np.float64) - emb.mean(0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    return centred @ vt[:dims].T


def pca_plot(path: Path, emb: np.ndarray, labels: np.ndarray, title: str) -> None:
    """Scatter of the 2-D PCA projection of embeddings (N, D), coloured by label (N,)."""
    xy = pca_project(emb)
    fig = common._new_figure((6, 6))
    ax = fig.add_subplot()
    for c in np.unique(labels):
        m = labels == c
        ax.scatter(xy[m, 0], xy[m, 1], s=4, alpha=0.6, label=str(c))
    ax.legend(markerscale=4, title="digit")
    ax.set_xlabel("PC 1")
    ax.set_ylabel("PC 2")
    ax.set_title(title)
    common._save_figure(fig, path)


def retrieval_strip(
    path: Path, emb: np.ndarray, images: np.ndarray, labels: np.ndarray, neighbours: int = 8
) -> None:
    """One row per class: its first held-out image, then its nearest other images, framed
    green when of the query's class and red otherwise."""
    queries = np.array([np.flatnonzero(labels == c)[0] for c in np.unique(labels)])
    d = ((emb[queries, None, :] - emb[None, :, :]) ** 2).sum(-1)
    d[np.arange(len(queries)), queries] = np.inf  # not itself
    nearest = np.argsort(d, axis=1, kind="stable")[:, :neighbours]
    tiles = np.repeat(images[np.concatenate([queries[:, None], nearest], 1)][..., None], 3, -1)
    frame = np.zeros((28, 28), dtype=bool)
    frame[:2], frame[-2:], frame[:, :2], frame[:, -2:] = True, True, True, True
    right = labels[nearest] == labels[queries, None]
    colour = np.where(right[..., None], [0, 200, 0], [230, 0, 0]).astype(np.uint8)
    tiles[:, 1:][:, :, frame] = colour[:, :, None, :]
    common.write_image_grid(path, tiles.reshape(-1, 28, 28, 3), nrow=neighbours + 1)


# ---------------------------------------------------------------------- the loop
# what a run writes besides its checkpoint, config and log (moved aside by --overwrite)
OUTPUTS = ("eval.json", "pca.png", "retrieval.png", "curves.png")


def train(
    args: argparse.Namespace,
    given: set[str] | None = None,
    parser: argparse.ArgumentParser | None = None,
) -> tuple[Path, dict[str, Any] | None]:
    """Run (or resume) training; returns the run folder and eval.json's content (None
    when the run stopped early). `given`: the flags written on the command line, which a
    resume checks against the run's settings; `parser`: the one that parsed `args` (built
    here when not given)."""
    parser = parser or build_parser()
    steps_given = "steps" in given if given is not None else args.steps is not None
    with tdist.vetting():  # under mpiexec: a refusal here ends every process, not just this
        args, changes = scaffold.resolve_args(
            parser,
            args,
            given,
            fill_defaults,
            inapplicable=inapplicable,
            job="train.metric",
            same=same_setting,
        )
    if "epochs" in changes and args.steps is not None and not steps_given:
        # a longer --epochs asks the run to go on to its new end: the old early stop goes
        changes["steps"] = (args.steps, None)
        args.steps = None
    session = tdist.start(args)  # None without --distributed
    with session or contextlib.nullcontext():
        common.seed_everything(args.seed)
        device = common.resolve_device(args.device)
        run = Run(args, device)
        if session:  # a stream per process; the network averaged over processes
            if run.triplet:
                session.share(args.samples_per_class, "--samples-per-class", minimum=2)
            else:
                session.share(args.batch_size)
            session.seed(args.seed)
            run.session, run.net = session, session.wrap(run.net)
            folder_cm = session.folder(args, OUTPUTS, changes)
        else:
            folder_cm = scaffold.RunFolder(args, OUTPUTS, changes)
        with folder_cm as folder:
            run.run_dir = folder.path
            # rank 0's folder knows the last committed step (a follower's does not: rank 0
            # refuses for the job)
            last_good = getattr(folder, "last_good", None)
            if (  # a changed flag that still trains nothing (a bare resume of a run at its
                # --steps is a no-op: fit says where the run stands)
                changes
                and last_good is not None
                and args.steps is not None
                and last_good >= args.steps
            ):
                raise ValueError(
                    f"--resume {folder.path}: the run already stopped at --steps {args.steps}, "
                    "so this resume would train nothing; extend it with --steps N (N > "
                    f"{args.steps}), or with --epochs N (N > {args.epochs}), which drops the "
                    "--steps stop"
                )
            if folder.saved is not None:
                scaffold.restore(run, folder, "train.metric")
            fit = session.fit if session else scaffold.fit
            finished = fit(run, folder, run.epochs)
            result = None
            if finished and run.epoch >= run.epochs and not run.batch:
                if not session or session.writer:  # rank 0 writes the results
                    emb, metrics = run.last_eval or run.evaluate()  # a finished run resumed
                    result = run.finish(emb, metrics)
    scaffold.stop_if_interrupted(finished, folder)
    return run.run_dir, result


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    with tdist.vetting():  # under mpiexec: joins MPI first, so a usage error ends every process
        args = parser.parse_args(argv)
    try:
        with common.signals_raise():
            run_dir, result = train(args, scaffold.given_flags(parser, argv), parser)
    except scaffold.Interrupted as exc:
        print(f"train.metric: {exc}", file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt as exc:  # outside the training loop: start-up, the final figures
        return scaffold.interrupted_outside_loop("train.metric", exc, args)
    except common.TRAINING_ERRORS as exc:
        print(f"train.metric: error: {common.error_message(exc)}", file=sys.stderr)
        return 1
    if result is not None:
        print(f"{'':12} " + " ".join(f"{k:>9}" for k in result["embedding"]))
        rows = [*result["layers"].items(), ("raw_pixels", result["raw_pixels"])]
        for name, figures in rows:
            mark = "*" if name == result["retrieve_from"] else " "
            print(f"{name:11}{mark} " + " ".join(f"{v:9.4f}" for v in figures.values()))
        print(f"* the run's embedding (--retrieve-from {result['retrieve_from']})")
    names = ("eval.json", "metrics.jsonl", "pca.png", "retrieval.png", "checkpoint.npz")
    print(scaffold.folder_line(run_dir, names))
    return 0


if __name__ == "__main__":
    scaffold.run_as_program("train.metric", main)
