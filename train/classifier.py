"""The evaluation's digit classifier, an ensemble of two CNNs of different widths: training
it once (with augmentation), and loading the shipped weights only when their version and
sha256 match the recorded ones.

The weights file `minigrad/data/digit_classifier.npz` (written by `mg.save`) holds the
members' state in float16, its held-out accuracy, how it was trained, and the statistics
of its features (128-d per member, side by side) on the real digits (mean and covariance of
the training split, the features of the held-out split), so every user scores against the
same numbers without a forward pass over the data. Retrain it with
`python -m train.evaluate --train-classifier PATH --seed 0` and record the new sha256 below.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import data as mgdata
from models.classifier import DigitClassifier, DigitEnsemble

FORMAT = "minigrad-digit-classifier"
VERSION = 3
WEIGHTS = "digit_classifier.npz"
# sha256 of the shipped WEIGHTS file; a file that does not match is never used
SHA256 = "0e90f731ddd1c5261956affd1c75bec3445145ce6de1e7e4cf6eb00110622546"
# the ensemble's members: (channels of the first block, the second has twice as many; epochs)
MEMBERS = ((24, 30), (32, 30))
BATCH = 64
OUTLIERS = 16  # no-digit images added to each batch
OUTLIER_WEIGHT = 0.5
INK_SHARE = 0.3  # digits drawn with another pen (`ink`)
LR = 2e-3


def shipped_path() -> Path:
    """Where the package keeps the weights file."""
    return Path(str(resources.files("minigrad").joinpath("data", WEIGHTS)))


def sha256_of(path: str | Path) -> str:
    """sha256 of a file, as `sha256sum` prints it (`mg.save` writes fixed zip timestamps,
    so retraining to the same weights gives the same hash)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def augment(
    images: np.ndarray,
    rng: np.random.Generator,
    shift: float = 2.0,
    degrees: float = 10.0,
    scale: float = 0.1,
) -> np.ndarray:
    """Random affine copies of images (N, 1, H, W) in [-1, 1]: each one rotated by up to
    `degrees`, scaled by 1 +- `scale` and shifted by up to `shift` pixels about its centre,
    by bilinear sampling; pixels from outside the image are background (-1)."""
    n, _, h, w = images.shape
    angle = np.deg2rad(rng.uniform(-degrees, degrees, n))[:, None, None]
    zoom = rng.uniform(1 - scale, 1 + scale, n)[:, None, None]
    ty, tx = (rng.uniform(-shift, shift, (2, n))[:, :, None, None]).astype(np.float64)
    cy, cx = (h - 1) / 2, (w - 1) / 2
    yy, xx = np.meshgrid(np.arange(h) - cy, np.arange(w) - cx, indexing="ij")
    # inverse map: output pixel p comes from R(-angle) (p - t) / zoom in the source
    py, px = yy - ty, xx - tx
    cos, sin = np.cos(angle) / zoom, np.sin(angle) / zoom
    sy = np.clip(cos * py + sin * px + cy, -1, h)
    sx = np.clip(-sin * py + cos * px + cx, -1, w)
    y0, x0 = np.floor(sy), np.floor(sx)
    fy, fx = (sy - y0).astype(np.float32), (sx - x0).astype(np.float32)
    pad = 2  # clipped coordinates reach -1 and h; their neighbours must be background too
    src = np.pad(images[:, 0], ((0, 0), (pad, pad), (pad, pad)), constant_values=-1.0)
    stride = w + 2 * pad
    base = (np.arange(n) * (h + 2 * pad) * stride)[:, None, None]
    top = base + (y0.astype(np.int64) + pad) * stride + x0.astype(np.int64) + pad
    flat = src.reshape(-1)
    a, b = flat[top], flat[top + 1]
    c, d = flat[top + stride], flat[top + stride + 1]
    out = (1 - fy) * ((1 - fx) * a + fx * b) + fy * ((1 - fx) * c + fx * d)
    return out[:, None].astype(np.float32)


def ink(images: np.ndarray, rng: np.random.Generator, share: float = INK_SHARE) -> np.ndarray:
    """Copies of images (N, 1, H, W) in [-1, 1] where a random `share` of them is drawn with
    another pen: half of those sharpened, tanh(k x) / tanh(k) with k from 2 to 12, half
    made binary (ink above a threshold drawn from -0.6..0.6, background elsewhere). The
    shape stays; only the stroke's edge profile changes, so that the classifier does not
    learn "soft edges" as what makes a digit: a generator's strokes are often sharper
    than MNIST's anti-aliased ones, and a binary real digit is still a digit."""
    out = np.asarray(images, dtype=np.float32)  # read only: np.where below makes the copy
    n = len(out)
    which = rng.uniform(0, 1, n) < share
    binary = rng.uniform(0, 1, n) < 0.5
    k = rng.uniform(2, 12, n).astype(np.float32)[:, None, None, None]
    t = rng.uniform(-0.6, 0.6, n).astype(np.float32)[:, None, None, None]
    sharp = np.tanh(k * out) / np.tanh(k)
    hard = np.where(out > t, np.float32(1), np.float32(-1))
    pen = np.where(binary[:, None, None, None], hard, sharp)
    return np.where(which[:, None, None, None], pen, out)


def outliers(n: int, rng: np.random.Generator, size: int = 28) -> np.ndarray:
    """n images (n, 1, size, size) in [-1, 1] that are no digit: uniform noise, and ink
    blots (box-blurred noise, thresholded), half each. Trained towards a uniform prediction
    so that noise and blots are not scored as confident digits. Two blots in three get
    soft edges (one or two more 3x3 box blurs), so that a blot is told apart from a digit
    by its shape, not by being binary."""
    noise = rng.uniform(-1, 1, (n, 1, size, size)).astype(np.float32)
    pad = 5  # three blurs before the threshold and up to two after, 1 px each side
    blots = rng.uniform(-1, 1, (n, size + 2 * pad, size + 2 * pad))
    for _ in range(3):  # three 3x3 box blurs: blobs a few pixels wide
        blots = _box_blur(blots)
    blots = np.where(blots > rng.uniform(0.05, 0.2, (n, 1, 1)), 1.0, -1.0)
    soft = rng.integers(0, 3, n)  # 0: hard edges, 1 or 2 blurs: soft ones
    once = _box_blur(blots)
    twice = _box_blur(once)
    blots = np.where(
        (soft == 0)[:, None, None],
        blots[:, 2:-2, 2:-2],
        np.where((soft == 1)[:, None, None], once[:, 1:-1, 1:-1], twice),
    )
    blots = blots.astype(np.float32)
    return np.where((np.arange(n) % 2 == 0)[:, None, None, None], noise, blots[:, None])


def _box_blur(a: np.ndarray) -> np.ndarray:
    """A 3x3 box blur of images (n, H, W) without padding: (n, H - 2, W - 2)."""
    k = a.shape[1] - 2
    return sum(a[:, i : i + k, j : j + k] for i in range(3) for j in range(3)) / 9


@mg.no_grad()
def predict(
    model: DigitClassifier | DigitEnsemble,
    images: np.ndarray,
    device: str = "cpu",
    batch: int = 500,
) -> tuple[np.ndarray, np.ndarray]:
    """(probabilities (N, 10), features (N, 128 per member)) for images (N, 1, 28, 28) in
    [-1, 1]."""
    model.eval()
    probs, feats = [np.zeros((0, 10), np.float32)], [np.zeros((0, model.feature_dim), np.float32)]
    for i in range(0, len(images), batch):
        x = mg.tensor(np.asarray(images[i : i + batch], dtype=np.float32), device=device)
        p, f = model.probabilities(x)
        probs.append(p.numpy())
        feats.append(f.numpy())
    return np.concatenate(probs), np.concatenate(feats)


def _float16_state(model: mg.nn.Module) -> dict[str, np.ndarray]:
    """The model's state with floating arrays rounded to float16 (what is shipped)."""
    out = {}
    for k, v in model.state_dict().items():
        a = v.numpy() if hasattr(v, "numpy") else np.asarray(v)
        out[k] = a.astype(np.float16) if a.dtype.kind == "f" else a
    return out


def train_member(
    seed: int,
    epochs: int,
    width: int,
    device: str = "cpu",
    log: Callable[[str], None] | None = None,
) -> DigitClassifier:
    """One member trained on the bundled training split (Adam, cosine learning-rate decay,
    augmented batches with no-digit images trained towards a uniform prediction)."""
    mg.manual_seed(seed)
    rng = np.random.default_rng(seed)
    x_tr, y_tr = mgdata.load_mnist(split="train")
    x_tr = mgdata.to_unit_range(x_tr)
    model = DigitClassifier(width=width).to(device)
    opt = mg.optim.Adam(model.parameters(), lr=LR)
    total = epochs * (len(x_tr) // BATCH)
    step = 0
    for epoch in range(epochs):
        model.train()
        for idx in mgdata.iterate_minibatches(len(x_tr), BATCH, generator=rng):
            opt.lr = LR * 0.5 * (1 + math.cos(math.pi * step / total))
            x = np.concatenate([ink(augment(x_tr[idx], rng), rng), outliers(OUTLIERS, rng)])
            logits = model(mg.tensor(x, device=device))
            y = mg.tensor(y_tr[idx].astype(np.int64), device=device)
            # digits: cross-entropy; outliers: cross-entropy to the uniform distribution
            logp = F.log_softmax(logits[BATCH:], dim=1)
            loss = F.cross_entropy(logits[:BATCH], y) - OUTLIER_WEIGHT * logp.mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
        if log is not None:
            log(
                f"classifier (width {width}) epoch {epoch + 1}/{epochs}: "
                f"last batch loss {loss.item():.4f}"
            )
    return model


def assemble(members: list[DigitClassifier], seed: int, device: str = "cpu") -> dict[str, Any]:
    """What the weights file holds for an ensemble of trained members: their float16 state,
    the held-out accuracy measured with those float16 weights, and the real digits' feature
    statistics."""
    model = DigitEnsemble(tuple(m.trunk[0].out_channels for m in members)).to(device)
    for slot, member in zip(model.members, members, strict=True):
        slot.load_state_dict(member.state_dict())
    state = _float16_state(model)
    model.load_state_dict(state)
    x_tr, _ = mgdata.load_mnist(split="train")
    x_te, y_te = mgdata.load_mnist(split="test")
    probs, feats_te = predict(model, mgdata.to_unit_range(x_te), device)
    _, feats_tr = predict(model, mgdata.to_unit_range(x_tr), device)
    return {
        "format": FORMAT,
        "version": VERSION,
        "seed": seed,
        "members": [[w, e] for w, e in MEMBERS],
        "epochs": sum(e for _, e in MEMBERS),
        "heldout_accuracy": float((probs.argmax(1) == y_te).mean()),
        "model": state,
        "real_mean": feats_tr.astype(np.float64).mean(0),
        "real_cov": np.cov(feats_tr.astype(np.float64), rowvar=False),
        "heldout_features": feats_te.astype(np.float32),
        "heldout_labels": y_te.astype(np.uint8),
    }


def train_classifier(
    seed: int = 0, device: str = "cpu", log: Callable[[str], None] | None = None
) -> dict[str, Any]:
    """Train every member of MEMBERS with `seed` and return what the weights file holds."""
    members = [train_member(seed, e, w, device, log) for w, e in MEMBERS]
    saved = assemble(members, seed, device)
    if log is not None:
        log(f"held-out accuracy {saved['heldout_accuracy']:.4f} ({len(saved['heldout_labels'])})")
    return saved


def load_classifier(
    path: str | Path | None = None, sha256: str | None = None, device: str = "cpu"
) -> tuple[DigitEnsemble, dict[str, Any]]:
    """The classifier and the rest of its weights file (accuracy, real-feature statistics).
    The file must have the recorded sha256 (default: the shipped file and SHA256) and
    this VERSION; anything else is refused with a ValueError naming the file."""
    path = Path(path) if path is not None else shipped_path()
    sha256 = SHA256 if sha256 is None else sha256
    if not path.is_file():
        raise FileNotFoundError(f"{path}: the digit classifier's weights file is missing")
    got = sha256_of(path)
    if got != sha256:
        raise ValueError(
            f"{path}: sha256 {got} is not the recorded {sha256}; the weights file is stale "
            "or corrupt and is not used (reinstall minigrad, or retrain it with `python -m "
            "train.evaluate --train-classifier PATH --seed 0` and record its sha256)"
        )
    saved = mg.load(path)
    if not isinstance(saved, dict) or saved.get("format") != FORMAT:
        raise ValueError(f"{path}: not a digit classifier weights file")
    if saved.get("version") != VERSION:
        raise ValueError(
            f"{path}: digit classifier version {saved.get('version')}, this minigrad reads "
            f"version {VERSION}"
        )
    # building the members draws initial weights, overwritten just after: leave the global
    # generator where it was, so that loading the classifier mid-run (the first per-epoch
    # evaluation of a fresh or a resumed process) never shifts a training run's draws
    state = mg.random.get_state()
    try:
        model = DigitEnsemble(tuple(int(w) for w, _ in saved["members"]))
    finally:
        mg.random.set_state(state)
    model.load_state_dict(saved.pop("model"))
    return model.to(device).eval(), saved
