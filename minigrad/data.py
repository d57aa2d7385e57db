"""Data: MNIST-style loaders, image folders, 2-D toy mixtures and minibatch iteration.

Loaders return host NumPy arrays (uint8 images, uint8 labels); `DataLoader` moves each
batch to the device as Tensors. All shuffling draws from `minigrad.random`, so
`mg.manual_seed` makes it repeatable.
"""

from __future__ import annotations

import gzip
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from . import random as mg_random
from .backend import Array, as_numpy, get_array_module, to_device
from .tensor import Tensor

IMAGE_MAGIC = 2051  # IDX: unsigned byte, 3 dims
LABEL_MAGIC = 2049  # IDX: unsigned byte, 1 dim
BUNDLED_MNIST = "mnist_5k.npz"
TEST_PER_CLASS_FRACTION = 0.2  # held-out share of each class for a file with no split

_SPLITS = ("train", "test", "all")
_IDX_PREFIX = {"train": "train", "test": "t10k"}
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")

# First bytes of formats people mistake for IDX files, for the error message.
_SIGNATURES = (
    (b"PK\x03\x04", "a zip archive, e.g. an .npz"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"\x1f\x8b", "gzip data"),
    (b"\x93NUMPY", "a .npy array"),
    (b"<!DO", "an HTML page, perhaps a failed download"),
    (b"<htm", "an HTML page, perhaps a failed download"),
)


# ---------------------------------------------------------------------- MNIST
def load_mnist(
    data_dir: str | Path | None = None, split: str = "train"
) -> tuple[np.ndarray, np.ndarray]:
    """MNIST-format images and labels: uint8 (N, 28, 28) with 0 = background, uint8 (N,).

    With no `data_dir`, the bundled 5,000-image subset. Otherwise `data_dir` is a folder
    holding the IDX files of MNIST or Fashion-MNIST (`train-images-idx3-ubyte[.gz]`,
    `train-labels-idx1-ubyte[.gz]`, `t10k-...`), a Keras-style `mnist.npz` (`x_train`,
    `y_train`, `x_test`, `y_test`), or an npz with `images` and `labels`; or the path
    of such an npz. `split` is 'train', 'test' or 'all' (both). A file with no split of
    its own (the bundled one, an `images`/`labels` npz) is split per class, in file order:
    the first 80% of each class is 'train', the rest 'test'.
    """
    if split not in _SPLITS:
        raise ValueError(f"split must be one of {_SPLITS}, got {split!r}")
    if data_dir is None:
        ref = resources.files("minigrad").joinpath("data", BUNDLED_MNIST)
        with resources.as_file(ref) as path:
            return _load_npz(Path(path), split)
    root = Path(data_dir).expanduser()
    if root.is_file():
        return _load_npz(root, split)
    if not root.exists():
        raise FileNotFoundError(f"{root}: MNIST data folder does not exist")
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: not a folder or an .npz file")
    if split == "all":
        found = _find_idx(root, "train"), _find_idx(root, "test")
        if all(pair is not None for pair in found):
            parts = [_load_idx_pair(*pair) for pair in found]
            return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
    else:
        pair = _find_idx(root, split)
        if pair is not None:
            return _load_idx_pair(*pair)
    npz = _find_npz(root)
    if npz is not None:
        return _load_npz(npz, split)
    raise FileNotFoundError(
        f"{root}: no MNIST data found for split {split!r}; looked for the IDX pairs "
        f"{_idx_names_text(split)} (each optionally .gz, '.idx' in place of '-idx' also "
        "accepted), then mnist.npz, then a single *.npz with x_train/y_train/x_test/y_test "
        "or images/labels"
    )


def has_own_split(data_dir: str | Path) -> bool:
    """Whether the MNIST-format data at `data_dir` (as `load_mnist` reads it) holds a
    training split of its own (IDX train files, or an npz with x_train/x_test), rather
    than images/labels that `load_mnist` splits 80/20 per class. A job that trains on
    "the training split" takes all of a file that has none."""
    root = Path(data_dir).expanduser()
    if root.is_dir() and _find_idx(root, "train") is not None:
        return True
    npz = root if root.is_file() else (_find_npz(root) if root.is_dir() else None)
    if npz is None:
        return False
    try:
        with open_npz(npz) as f:
            return {"x_train", "y_train"} <= set(f.files)
    except (ValueError, OSError):
        return False  # load_mnist says what is wrong with it


def _idx_candidates(prefix: str, kind: str, dims: int) -> list[str]:
    names = [f"{prefix}-{kind}-idx{dims}-ubyte", f"{prefix}-{kind}.idx{dims}-ubyte"]
    return [n + ext for n in names for ext in ("", ".gz")]


def _idx_names_text(split: str) -> str:
    splits = ("train", "test") if split == "all" else (split,)
    prefixes = [_IDX_PREFIX[s] for s in splits]
    return ", ".join(f"{p}-images-idx3-ubyte + {p}-labels-idx1-ubyte" for p in prefixes)


def _find_idx(root: Path, split: str) -> tuple[Path, Path] | None:
    """The (images, labels) IDX files for `split`; an error if only one of them is there."""
    prefix = _IDX_PREFIX[split]
    found = []
    for kind, dims in (("images", 3), ("labels", 1)):
        names = _idx_candidates(prefix, kind, dims)
        found.append(next((root / n for n in names if (root / n).is_file()), None))
    images, labels = found
    if images is None and labels is None:
        return None
    if images is None or labels is None:
        have, kind = (images, "images") if labels is None else (labels, "labels")
        missing = "labels" if kind == "images" else "images"
        dims = 1 if missing == "labels" else 3
        raise FileNotFoundError(
            f"{have}: found the {kind} file but no matching {missing} file in {root} "
            f"(looked for {', '.join(_idx_candidates(prefix, missing, dims))})"
        )
    return images, labels


def _find_npz(root: Path) -> Path | None:
    if (root / "mnist.npz").is_file():
        return root / "mnist.npz"
    npzs = sorted(root.glob("*.npz"))
    return npzs[0] if len(npzs) == 1 else None


def _describe(head: bytes) -> str:
    for sig, what in _SIGNATURES:
        if head.startswith(sig):
            return f" (is this {what}?)"
    return ""


def open_npz(path: Path) -> Any:
    """np.load of the .npz archive at `path`, for a `with` block; a ValueError naming the
    file where it holds one .npy array (np.load gives an array, not an archive) or is no
    zip archive at all (NumPy then says it "contains pickled (object) data", which it need
    not, and points at unsafe loading)."""
    with open(path, "rb") as f:
        head = f.read(8)
    if head.startswith(b"\x93NUMPY"):
        raise ValueError(f"{path}: a single .npy array, not an .npz archive")
    if not head.startswith(b"PK"):
        raise ValueError(
            f"{path}: not a readable .npz file{_describe(head)}: not a zip of .npy arrays"
        )
    try:
        return np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError, zlib.error, zipfile.BadZipFile) as exc:
        raise ValueError(f"{path}: not a readable .npz file{_describe(head)} ({exc})") from exc


def _read_bytes(path: Path) -> bytes:
    """File contents, gunzipped when they start with the gzip magic (whatever the name)."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: file not found")
    raw = path.read_bytes()
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        return gzip.decompress(raw)
    except (EOFError, OSError, zlib.error) as exc:
        raise ValueError(f"{path}: gzip data is truncated or corrupt ({exc})") from exc


def read_idx(path: str | Path, expect_magic: int) -> np.ndarray:
    """One IDX file (optionally gzipped) as uint8 with the header's shape, after checking
    the magic number, the dimensions and that the byte count matches the header."""
    path = Path(path)
    what = "images" if expect_magic == IMAGE_MAGIC else "labels"
    ndim = 3 if expect_magic == IMAGE_MAGIC else 1
    data = _read_bytes(path)
    if len(data) < 4:
        raise ValueError(f"{path}: {len(data)} bytes is too short for an IDX {what} file")
    magic = int.from_bytes(data[:4], "big")
    if magic != expect_magic:
        hint = _describe(data[:8])
        if magic in (IMAGE_MAGIC, LABEL_MAGIC):
            other = "images" if magic == IMAGE_MAGIC else "labels"
            hint = f" (this is an IDX {other} file)"
        raise ValueError(
            f"{path}: IDX magic {expect_magic} expected for {what}, found {magic:#010x}{hint}"
        )
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{path}: truncated IDX header ({len(data)} of {header} bytes)")
    dims = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = int(np.prod(dims))
    held = len(data) - header
    if held != expected:
        shape = f"{dims[0]} {what}" + (f" of {dims[1]}x{dims[2]}" if ndim == 3 else "")
        problem = "but the file holds" if held < expected else "but the file holds more:"
        raise ValueError(f"{path}: header says {shape} ({expected} bytes) {problem} {held}")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims).copy()


def _load_idx_pair(images_path: Path, labels_path: Path) -> tuple[np.ndarray, np.ndarray]:
    images = read_idx(images_path, IMAGE_MAGIC)
    labels = read_idx(labels_path, LABEL_MAGIC)
    if len(images) != len(labels):
        raise ValueError(
            f"{images_path} holds {len(images)} images but {labels_path} holds "
            f"{len(labels)} labels; the counts must match"
        )
    return images, labels


def _load_npz(path: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    if not path.is_file():
        raise FileNotFoundError(f"{path}: file not found")
    with open_npz(path) as f:
        try:
            arrays = {k: f[k] for k in f.files}
        except (ValueError, OSError, EOFError, zlib.error, zipfile.BadZipFile) as exc:
            raise ValueError(f"{path}: not a readable .npz file ({exc})") from exc
    if {"x_train", "y_train", "x_test", "y_test"} <= arrays.keys():
        pairs = {s: (arrays[f"x_{s}"], arrays[f"y_{s}"]) for s in ("train", "test")}
        for s, (x, y) in pairs.items():
            _check_pair(path, x, y, f"x_{s}", f"y_{s}")
        if split == "all":
            return tuple(np.concatenate(p) for p in zip(*pairs.values(), strict=True))
        return pairs[split]
    if {"images", "labels"} <= arrays.keys():
        images, labels = arrays["images"], arrays["labels"]
        _check_pair(path, images, labels, "images", "labels")
        return _split_per_class(images, labels, split)
    raise ValueError(
        f"{path}: expected keys x_train/y_train/x_test/y_test or images/labels, "
        f"found {sorted(arrays)}"
    )


def _check_pair(path: Path, x: np.ndarray, y: np.ndarray, xname: str, yname: str) -> None:
    if x.ndim != 3 or y.ndim != 1:
        raise ValueError(
            f"{path}: {xname} must be (N, H, W) and {yname} (N,), got {x.shape} and {y.shape}"
        )
    if len(x) != len(y):
        raise ValueError(f"{path}: {len(x)} {xname} but {len(y)} {yname}; the counts must match")
    if x.dtype != np.uint8 or y.dtype.kind not in "ui":
        raise ValueError(
            f"{path}: expected uint8 {xname} and integer {yname}, got {x.dtype} and {y.dtype}"
        )


def _split_per_class(
    images: np.ndarray, labels: np.ndarray, split: str
) -> tuple[np.ndarray, np.ndarray]:
    """A deterministic stratified split: the first 80% of each class (file order) train."""
    labels = labels.astype(np.uint8, copy=False)
    if split == "all":
        return images, labels
    keep = np.zeros(len(labels), dtype=bool)
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        n_test = int(round(len(idx) * TEST_PER_CLASS_FRACTION))
        chosen = idx[: len(idx) - n_test] if split == "train" else idx[len(idx) - n_test :]
        keep[chosen] = True
    return images[keep], labels[keep]


# ---------------------------------------------------------------------- image folders
def load_image_folder(
    path: str | Path, size: int = 64, grayscale: bool = False, limit: int | None = None
) -> np.ndarray:
    """PNG/JPEG files under `path` (recursively, sorted by path), each resized so its short
    side is `size` and centre-cropped: uint8 (N, size, size) or (N, size, size, 3).

    Pixels are scaled by the image's own range: 16-bit greys by 65535, 32-bit integer
    greys ('I', as some readers give 16-bit PNGs) as 16-bit, refused beyond 0..65535; float
    greys ('F') in [0, 1] by 1, in [0, 255] as 8-bit, refused otherwise. Images over
    `MAX_IMAGE_PIXELS` are refused by name before they are decoded."""
    from PIL import Image

    root = Path(path).expanduser()
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: image folder does not exist")
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in _IMAGE_SUFFIXES)
    files = [p for p in files if p.is_file()][:limit]
    if not files:
        raise FileNotFoundError(
            f"{root}: no images found (looked recursively for {', '.join(_IMAGE_SUFFIXES)})"
        )
    out = np.empty((len(files), size, size) + (() if grayscale else (3,)), dtype=np.uint8)
    for i, file in enumerate(files):
        img = _read_image(file)
        if img.mode in _WIDE_MODES:
            grey = _resize_crop(Image.fromarray(_wide_to_255(img, file)), size)
            grey = np.clip(np.rint(np.asarray(grey)), 0, 255).astype(np.uint8)
            out[i] = grey if grayscale else grey[..., None]
        else:
            out[i] = np.asarray(_resize_crop(img.convert("L" if grayscale else "RGB"), size))
    return out


MAX_IMAGE_PIXELS = 8192 * 8192  # a larger picture is refused before it is decoded
_WIDE_MODES = ("I;16", "I;16L", "I;16B", "I;16N", "I", "F")  # greys of more than 8 bits


def _read_image(file: Path) -> Any:
    """The decoded image of `file`, its size checked first; a ValueError naming the file
    when it cannot be read or is too large."""
    import warnings

    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(file) as img:
                w, h = img.size
                if w * h > MAX_IMAGE_PIXELS:
                    raise ValueError(
                        f"{file}: {w}x{h} pixels is over the limit of {MAX_IMAGE_PIXELS} "
                        "(8192x8192); shrink it first"
                    )
                img.load()
                return img.copy()
    except Image.DecompressionBombError as exc:
        raise ValueError(f"{file}: image too large to decode ({exc})") from None
    except (UnidentifiedImageError, OSError, SyntaxError, MemoryError) as exc:
        raise ValueError(f"{file}: cannot read image ({exc})") from exc


def _resize_crop(img: Any, size: int) -> Any:
    from PIL import Image

    w, h = img.size
    scale = size / min(w, h)
    nw, nh = max(size, round(w * scale)), max(size, round(h * scale))
    img = img.resize((nw, nh), Image.Resampling.LANCZOS)
    left, top = (nw - size) // 2, (nh - size) // 2
    return img.crop((left, top, left + size, top + size))


def _wide_to_255(img: Any, file: Path) -> np.ndarray:
    """A 16-bit, 32-bit integer or float grey image as float32 (H, W) in [0, 255]."""
    x = np.asarray(img)
    if img.mode == "F":
        if not np.isfinite(x).all():
            raise ValueError(f"{file}: float image holds NaN or infinite pixels")
        lo, hi = float(x.min()), float(x.max())
        if lo >= 0 and hi <= 1:
            return (x * 255).astype(np.float32)
        if lo >= 0 and hi <= 255:
            return x.astype(np.float32)
        raise ValueError(f"{file}: float pixels from {lo:g} to {hi:g}; expected [0, 1] or [0, 255]")
    lo, hi = int(x.min()), int(x.max())
    if lo < 0 or hi > 65535:
        raise ValueError(
            f"{file}: 32-bit pixels from {lo} to {hi}; expected 16-bit values 0 to 65535"
        )
    return (x.astype(np.float32) * np.float32(255 / 65535)).astype(np.float32)


# ---------------------------------------------------------------------- pixel ranges
def to_unit_range(images: Any) -> np.ndarray:
    """uint8 images to float32 in [-1, 1], channels first: (N, H, W) -> (N, 1, H, W),
    (N, H, W, 3) -> (N, 3, H, W)."""
    x = as_numpy(images)
    if x.dtype != np.uint8:
        raise TypeError(f"to_unit_range expects uint8 images, got {x.dtype}")
    if x.ndim == 3:
        x = x[:, None]
    elif x.ndim == 4 and x.shape[-1] in (1, 3):
        x = x.transpose(0, 3, 1, 2)
    else:
        raise ValueError(f"expected (N, H, W) or (N, H, W, 3) images, got shape {x.shape}")
    return (x.astype(np.float32) / np.float32(127.5) - np.float32(1.0)).copy()


def to_uint8(x: Any) -> np.ndarray:
    """The inverse of `to_unit_range`: (N, 1, H, W) -> (N, H, W), (N, 3, H, W) ->
    (N, H, W, 3) uint8, clipping values outside [-1, 1]."""
    a = as_numpy(x.detach()._data if isinstance(x, Tensor) else x).astype(np.float32)
    if a.ndim != 4 or a.shape[1] not in (1, 3):
        raise ValueError(f"expected (N, 1, H, W) or (N, 3, H, W), got shape {a.shape}")
    a = np.rint((np.clip(a, -1.0, 1.0) + 1.0) * 127.5).astype(np.uint8)
    return a[:, 0] if a.shape[1] == 1 else a.transpose(0, 2, 3, 1).copy()


# ---------------------------------------------------------------------- 2-D toy mixtures
def ring_centres(modes: int = 8, radius: float = 2.0) -> np.ndarray:
    """Centres of the ring mixture, evenly spaced from angle 0: float32 (modes, 2)."""
    theta = 2 * np.pi * np.arange(modes) / modes
    return (radius * np.stack([np.cos(theta), np.sin(theta)], axis=1)).astype(np.float32)


def grid_centres(side: int = 5, spacing: float = 2.0) -> np.ndarray:
    """Centres of the side x side grid mixture, centred on 0 (-4..4 step 2 by default):
    float32 (side * side, 2)."""
    ticks = (np.arange(side) - (side - 1) / 2) * spacing
    gx, gy = np.meshgrid(ticks, ticks, indexing="ij")
    return np.stack([gx.ravel(), gy.ravel()], axis=1).astype(np.float32)


def sample_mixture(
    n: int, centres: np.ndarray, std: float, generator: np.random.Generator | None = None
) -> np.ndarray:
    """n points from an equal-weight isotropic Gaussian mixture: float32 (n, 2)."""
    rng = generator if generator is not None else mg_random.generator("cpu")
    which = rng.integers(0, len(centres), size=n)
    noise = rng.standard_normal((n, centres.shape[1]))
    return (centres[which] + std * noise).astype(np.float32)


def ring_of_gaussians(
    n: int,
    modes: int = 8,
    radius: float = 2.0,
    std: float = 0.02,
    generator: np.random.Generator | None = None,
) -> np.ndarray:
    """The ring of `modes` Gaussians (Unrolled GAN, VEEGAN): float32 (n, 2)."""
    return sample_mixture(n, ring_centres(modes, radius), std, generator)


def grid_of_gaussians(
    n: int,
    side: int = 5,
    spacing: float = 2.0,
    std: float = 0.02,
    generator: np.random.Generator | None = None,
) -> np.ndarray:
    """The side x side grid of Gaussians (VEEGAN, PacGAN): float32 (n, 2)."""
    return sample_mixture(n, grid_centres(side, spacing), std, generator)


# ---------------------------------------------------------------------- batching
def iterate_minibatches(
    n: int,
    batch_size: int,
    shuffle: bool = True,
    drop_last: bool = True,
    generator: np.random.Generator | None = None,
) -> Iterator[np.ndarray]:
    """Index arrays (int64) covering range(n) once, in `batch_size` slices; a short last
    batch is dropped when `drop_last`."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    rng = generator if generator is not None else mg_random.generator("cpu")
    order = rng.permutation(n) if shuffle else np.arange(n)
    stop = n - n % batch_size if drop_last else n
    for start in range(0, stop, batch_size):
        yield order[start : start + batch_size].astype(np.int64, copy=False)


class BalancedBatchSampler:
    """Batches of P classes x K samples (for triplet mining), P classes drawn without
    replacement per batch, K samples per class without replacement when the class has at
    least K (else with). Iterating again gives a fresh epoch of `n_batches` batches."""

    def __init__(
        self,
        labels: Any,
        classes_per_batch: int,
        samples_per_class: int,
        n_batches: int | None = None,
        generator: np.random.Generator | None = None,
    ) -> None:
        labels = as_numpy(labels.detach()._data if isinstance(labels, Tensor) else labels)
        self.classes, inverse = np.unique(labels.ravel(), return_inverse=True)
        if not 0 < classes_per_batch <= len(self.classes):
            raise ValueError(
                f"classes_per_batch={classes_per_batch} but the labels hold "
                f"{len(self.classes)} classes"
            )
        if samples_per_class < 1:
            raise ValueError(f"samples_per_class must be positive, got {samples_per_class}")
        self.members = [np.flatnonzero(inverse == c) for c in range(len(self.classes))]
        self.p, self.k = classes_per_batch, samples_per_class
        self.n_batches = (
            n_batches if n_batches is not None else max(1, len(labels) // (self.p * self.k))
        )
        self.generator = generator

    def __len__(self) -> int:
        return self.n_batches

    def __iter__(self) -> Iterator[np.ndarray]:
        rng = self.generator if self.generator is not None else mg_random.generator("cpu")
        for _ in range(self.n_batches):
            chosen = rng.choice(len(self.members), size=self.p, replace=False)
            parts = [
                rng.choice(m, size=self.k, replace=len(m) < self.k)
                for m in (self.members[c] for c in chosen)
            ]
            yield np.concatenate(parts).astype(np.int64, copy=False)


def balanced_batches(
    labels: Any,
    classes_per_batch: int,
    samples_per_class: int,
    n_batches: int | None = None,
    generator: np.random.Generator | None = None,
) -> Iterator[np.ndarray]:
    """One epoch of P x K index batches (int64, P * K each, grouped by class); see
    `BalancedBatchSampler`."""
    return iter(
        BalancedBatchSampler(labels, classes_per_batch, samples_per_class, n_batches, generator)
    )


def _as_array(a: Any) -> Any:
    """A Tensor's array, an array as it is, anything else (a list) through np.asarray."""
    if isinstance(a, Tensor):
        return a.detach()._data
    return a if hasattr(a, "shape") else np.asarray(a)


class ArrayDataset:
    """Arrays sharing their first dimension, indexed together (like TensorDataset)."""

    def __init__(self, *arrays: Any) -> None:
        if not arrays:
            raise ValueError("ArrayDataset needs at least one array")
        self.arrays = [_as_array(a) for a in arrays]
        flat = [i for i, a in enumerate(self.arrays) if a.ndim == 0]
        if flat:
            raise ValueError(f"ArrayDataset: array {flat[0]} is 0-d; each needs a first dimension")
        sizes = {len(a) for a in self.arrays}
        if len(sizes) != 1:
            raise ValueError(f"arrays must share their first dimension, got sizes {sorted(sizes)}")

    def __len__(self) -> int:
        return len(self.arrays[0])

    def __getitem__(self, index: Any) -> tuple[Array, ...]:
        out = []
        for a in self.arrays:
            xp = get_array_module(a)
            out.append(a[xp.asarray(index)] if xp is not np else a[index])
        return tuple(out)


class DataLoader:
    """Batches of in-memory arrays as tuples of Tensors on `device`, in the main thread,
    indexing all rows of a batch at once.

    `dataset` is an `ArrayDataset`, a tuple of arrays/Tensors sharing their first dim
    (`DataLoader((x, y))`), anything with a `.tensors` tuple (a `TensorDataset`) or one
    array. Defaults are PyTorch's: batch_size=1, no shuffling, the short last batch kept.
    Batches come from `iterate_minibatches` or, if given, from `batch_sampler` (an
    iterable of index arrays, re-iterated each epoch, e.g. a `BalancedBatchSampler`).
    For per-sample datasets use `minigrad.utils.data.DataLoader`.
    """

    def __init__(
        self,
        dataset: ArrayDataset | tuple[Any, ...] | Sequence[Any],
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        device: str = "cpu",
        batch_sampler: Any = None,
        generator: np.random.Generator | None = None,
    ) -> None:
        if isinstance(dataset, ArrayDataset):
            self.dataset = dataset
        elif isinstance(dataset, tuple):
            self.dataset = ArrayDataset(*dataset)
        elif isinstance(getattr(dataset, "tensors", None), tuple):
            self.dataset = ArrayDataset(*dataset.tensors)
        else:
            self.dataset = ArrayDataset(dataset)
        self.batch_size, self.shuffle, self.drop_last = batch_size, shuffle, drop_last
        self.device, self.batch_sampler, self.generator = device, batch_sampler, generator

    def __len__(self) -> int:
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self) -> Iterator[tuple[Tensor, ...]]:
        batches = self.batch_sampler
        if batches is None:
            batches = iterate_minibatches(
                len(self.dataset), self.batch_size, self.shuffle, self.drop_last, self.generator
            )
        for idx in batches:
            yield tuple(Tensor(to_device(a, self.device)) for a in self.dataset[idx])
