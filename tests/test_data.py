"""minigrad/data.py: loaders (bundled, IDX, npz, image folders), their error messages,
toy mixtures, pixel ranges and batching."""

import gzip
import struct

import numpy as np
import pytest
from PIL import Image

import minigrad as mg
from minigrad import data


def write_idx_images(path, images, gz=False):
    n, h, w = images.shape
    raw = struct.pack(">iiii", data.IMAGE_MAGIC, n, h, w) + images.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(raw) if gz else raw)


def write_idx_labels(path, labels, gz=False):
    raw = struct.pack(">ii", data.LABEL_MAGIC, len(labels)) + labels.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(raw) if gz else raw)


def fake_mnist(n, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), rng.integers(0, 10, n, np.uint8)


def write_split(root, prefix, n, gz=False, seed=0):
    x, y = fake_mnist(n, seed)
    ext = ".gz" if gz else ""
    write_idx_images(root / f"{prefix}-images-idx3-ubyte{ext}", x, gz)
    write_idx_labels(root / f"{prefix}-labels-idx1-ubyte{ext}", y, gz)
    return x, y


# ---------------------------------------------------------------------- bundled
def test_bundled_mnist_shapes_dtypes_and_balance():
    x, y = data.load_mnist(split="all")
    assert x.shape == (5000, 28, 28) and x.dtype == np.uint8
    assert y.shape == (5000,) and y.dtype == np.uint8
    np.testing.assert_array_equal(np.bincount(y), [500] * 10)
    assert x.max() == 255 and np.median(x) == 0  # 0 = background
    xtr, ytr = data.load_mnist()
    xte, yte = data.load_mnist(split="test")
    np.testing.assert_array_equal(np.bincount(ytr), [400] * 10)
    np.testing.assert_array_equal(np.bincount(yte), [100] * 10)
    # The two splits partition the file.
    rows = {r.tobytes() for r in xtr} | {r.tobytes() for r in xte}
    assert len(rows) == len({r.tobytes() for r in x})


def test_bad_split_name():
    with pytest.raises(ValueError, match="split"):
        data.load_mnist(split="val")


# ---------------------------------------------------------------------- IDX
@pytest.mark.parametrize("gz", [False, True])
def test_idx_round_trip(tmp_path, gz):
    xtr, ytr = write_split(tmp_path, "train", 7, gz, seed=1)
    xte, yte = write_split(tmp_path, "t10k", 3, gz, seed=2)
    x, y = data.load_mnist(tmp_path)
    np.testing.assert_array_equal(x, xtr)
    np.testing.assert_array_equal(y, ytr)
    x, y = data.load_mnist(tmp_path, split="test")
    np.testing.assert_array_equal(x, xte)
    x, y = data.load_mnist(tmp_path, split="all")
    assert x.shape == (10, 28, 28) and y.dtype == np.uint8


def test_idx_dotted_names_and_gzip_without_suffix(tmp_path):
    x, y = fake_mnist(4)
    write_idx_images(tmp_path / "train-images.idx3-ubyte", x, gz=True)  # gzip, no .gz
    write_idx_labels(tmp_path / "train-labels.idx1-ubyte", y)
    got, _ = data.load_mnist(tmp_path)
    np.testing.assert_array_equal(got, x)


def test_missing_dir_and_empty_dir(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        data.load_mnist(tmp_path / "nope")
    with pytest.raises(FileNotFoundError) as err:
        data.load_mnist(tmp_path)
    msg = str(err.value)
    assert str(tmp_path) in msg
    assert "train-images-idx3-ubyte" in msg and "mnist.npz" in msg


def test_missing_labels_file(tmp_path):
    x, _ = fake_mnist(3)
    write_idx_images(tmp_path / "train-images-idx3-ubyte", x)
    with pytest.raises(FileNotFoundError, match="train-labels-idx1-ubyte"):
        data.load_mnist(tmp_path)


def test_truncated_idx_names_file_and_sizes(tmp_path):
    x, y = write_split(tmp_path, "train", 5)
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[: 16 + 1234])
    with pytest.raises(ValueError) as err:
        data.load_mnist(tmp_path)
    msg = str(err.value)
    assert str(path) in msg
    assert "header says 5 images of 28x28 (3920 bytes) but the file holds 1234" in msg


def test_truncated_gzip(tmp_path):
    write_split(tmp_path, "train", 5, gz=True)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte\.gz.*truncated"):
        data.load_mnist(tmp_path)


def test_wrong_magic_and_foreign_files(tmp_path):
    x, y = write_split(tmp_path, "train", 3)
    images = tmp_path / "train-images-idx3-ubyte"
    labels = tmp_path / "train-labels-idx1-ubyte"
    # A PNG renamed to the images file.
    Image.new("L", (4, 4)).save(images, format="PNG")
    with pytest.raises(ValueError) as err:
        data.load_mnist(tmp_path)
    assert str(images) in str(err.value)
    assert "IDX magic 2051 expected for images, found 0x89504e47 (is this a PNG image?)" in str(
        err.value
    )
    # A zip (npz) in its place.
    np.savez(tmp_path / "x.npz", a=np.zeros(3))
    images.write_bytes((tmp_path / "x.npz").read_bytes())
    with pytest.raises(ValueError, match=r"found 0x504b0304 \(is this a zip"):
        data.load_mnist(tmp_path)
    # Images and labels swapped.
    write_idx_images(images, x)
    write_idx_labels(labels, y)
    images.write_bytes(labels.read_bytes())
    with pytest.raises(ValueError, match="this is an IDX labels file"):
        data.load_mnist(tmp_path)


def test_count_mismatch_names_both_files(tmp_path):
    x, y = fake_mnist(5)
    write_idx_images(tmp_path / "train-images-idx3-ubyte", x)
    write_idx_labels(tmp_path / "train-labels-idx1-ubyte", y[:4])
    with pytest.raises(ValueError) as err:
        data.load_mnist(tmp_path)
    msg = str(err.value)
    assert "train-images-idx3-ubyte holds 5 images" in msg and "4 labels" in msg


def test_trailing_bytes_rejected(tmp_path):
    write_split(tmp_path, "train", 2)
    path = tmp_path / "train-labels-idx1-ubyte"
    path.write_bytes(path.read_bytes() + b"\0\0")
    with pytest.raises(ValueError, match="holds more: 4"):
        data.load_mnist(tmp_path)


# ---------------------------------------------------------------------- npz
def test_keras_npz(tmp_path):
    xtr, ytr = fake_mnist(6, 1)
    xte, yte = fake_mnist(2, 2)
    np.savez(tmp_path / "mnist.npz", x_train=xtr, y_train=ytr, x_test=xte, y_test=yte)
    x, y = data.load_mnist(tmp_path)
    np.testing.assert_array_equal(x, xtr)
    x, y = data.load_mnist(tmp_path / "mnist.npz", split="test")
    np.testing.assert_array_equal(y, yte)
    x, _ = data.load_mnist(tmp_path, split="all")
    assert len(x) == 8


def test_images_labels_npz_is_split_per_class(tmp_path):
    y = np.repeat(np.arange(2, dtype=np.uint8), 10)
    x = np.arange(20, dtype=np.uint8)[:, None, None] * np.ones((1, 28, 28), np.uint8)
    np.savez(tmp_path / "digits.npz", images=x, labels=y)
    xtr, ytr = data.load_mnist(tmp_path)
    xte, yte = data.load_mnist(tmp_path, split="test")
    np.testing.assert_array_equal(xte[:, 0, 0], [8, 9, 18, 19])
    assert len(xtr) == 16 and np.bincount(ytr).tolist() == [8, 8]


def test_bad_npz_contents_and_foreign_npz(tmp_path):
    np.savez(tmp_path / "mnist.npz", foo=np.zeros(3))
    with pytest.raises(ValueError, match=r"mnist\.npz: expected keys x_train"):
        data.load_mnist(tmp_path)
    x, y = fake_mnist(3)
    np.savez(tmp_path / "mnist.npz", images=x, labels=y[:2])
    with pytest.raises(ValueError, match="3 images but 2 labels"):
        data.load_mnist(tmp_path)
    (tmp_path / "mnist.npz").write_bytes(b"<!DOCTYPE html><html>not found</html>")
    with pytest.raises(
        ValueError, match=r"mnist\.npz: not a readable \.npz file \(is this an HTML"
    ):
        data.load_mnist(tmp_path)


# ---------------------------------------------------------------------- image folders
def test_image_folder_resizes_and_crops(tmp_path):
    (tmp_path / "sub").mkdir()
    Image.new("RGB", (40, 20), (255, 0, 0)).save(tmp_path / "a.png")
    Image.new("RGB", (16, 30), (0, 255, 0)).save(tmp_path / "sub" / "b.JPG", format="JPEG")
    Image.new("L", (9, 9), 128).save(tmp_path / "sub" / "c.jpeg", format="JPEG")
    (tmp_path / "notes.txt").write_text("ignored")
    x = data.load_image_folder(tmp_path, size=12)
    assert x.shape == (3, 12, 12, 3) and x.dtype == np.uint8
    assert x[0, ..., 0].min() == 255 and x[0, ..., 1].max() == 0  # a.png, red
    assert abs(int(x[1, 6, 6, 1]) - 255) < 3  # b.JPG, green (JPEG is lossy)
    g = data.load_image_folder(tmp_path, size=8, grayscale=True)
    assert g.shape == (3, 8, 8)
    assert abs(int(g[2, 4, 4]) - 128) < 3


def test_image_folder_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        data.load_image_folder(tmp_path / "missing")
    (tmp_path / "readme.txt").write_text("x")
    with pytest.raises(FileNotFoundError, match="no images found"):
        data.load_image_folder(tmp_path)
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    with pytest.raises(ValueError, match=r"broken\.png: cannot read image"):
        data.load_image_folder(tmp_path)


def test_16_bit_grey_png_keeps_its_range(tmp_path):
    # a ramp over the whole 16-bit range: read as 8-bit it must stay a ramp, not go white
    ramp = np.linspace(0, 65535, 32 * 32).round().astype(np.uint16).reshape(32, 32)
    Image.fromarray(ramp).save(tmp_path / "deep.png")
    assert Image.open(tmp_path / "deep.png").mode == "I;16"
    g = data.load_image_folder(tmp_path, size=32, grayscale=True)[0]
    np.testing.assert_allclose(g, ramp / 257.0, atol=1.5)
    assert (g == 255).mean() < 0.02
    rgb = data.load_image_folder(tmp_path, size=32)[0]
    assert rgb.shape == (32, 32, 3) and (rgb == g[..., None]).all()


def test_32_bit_and_float_grey_images(tmp_path):
    from PIL import Image as PILImage

    # some readers open 16-bit PNGs as mode 'I'; float images come from TIFFs (named .png
    # here, as PIL reads by content)
    arrays = {
        "i16.png": np.full((8, 8), 32896, np.int32),  # 'I' holding 16-bit values
        "f1.png": np.full((8, 8), 0.5, np.float32),  # float in [0, 1]
        "f255.png": np.full((8, 8), 100.0, np.float32),  # float in [0, 255]
    }
    for name, a in arrays.items():
        PILImage.fromarray(a).save(tmp_path / name, format="TIFF")
    g = data.load_image_folder(tmp_path, size=8, grayscale=True)
    assert [int(x.mean()) for x in g] == [128, 100, 128]  # sorted: f1, f255, i16
    for name, a, message in [
        ("big.png", np.full((8, 8), 70000, np.int32), r"big\.png: 32-bit pixels from 70000"),
        ("neg.png", np.full((8, 8), -3.0, np.float32), r"neg\.png: float pixels from -3"),
        ("nan.png", np.full((8, 8), np.nan, np.float32), r"nan\.png: float image holds NaN"),
    ]:
        PILImage.fromarray(a).save(tmp_path / name, format="TIFF")
        with pytest.raises(ValueError, match=message):
            data.load_image_folder(tmp_path, size=8, grayscale=True)
        (tmp_path / name).unlink()


def test_huge_images_are_refused_by_name_before_decoding(tmp_path, monkeypatch):
    Image.new("L", (300, 200)).save(tmp_path / "wide.png")
    monkeypatch.setattr(data, "MAX_IMAGE_PIXELS", 50_000)
    with pytest.raises(ValueError, match=r"wide\.png: 300x200 pixels is over the limit"):
        data.load_image_folder(tmp_path, size=8)
    monkeypatch.undo()
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 10_000)  # PIL's own bomb check
    with pytest.raises(ValueError, match=r"wide\.png: image too large to decode"):
        data.load_image_folder(tmp_path, size=8)


# ---------------------------------------------------------------------- pixel ranges
def test_unit_range_round_trip():
    grey = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4) * 10
    x = data.to_unit_range(grey)
    assert x.shape == (2, 1, 3, 4) and x.dtype == np.float32
    assert x.min() >= -1 and x.max() <= 1
    np.testing.assert_array_equal(
        data.to_unit_range(np.array([[[0, 255]]], np.uint8)).ravel(), [-1, 1]
    )
    np.testing.assert_array_equal(data.to_uint8(x), grey)
    np.testing.assert_array_equal(data.to_uint8(mg.tensor(x)), grey)
    colour = np.random.default_rng(0).integers(0, 256, (2, 5, 6, 3), dtype=np.uint8)
    xc = data.to_unit_range(colour)
    assert xc.shape == (2, 3, 5, 6)
    np.testing.assert_array_equal(data.to_uint8(xc), colour)
    assert data.to_uint8(np.full((1, 1, 1, 1), 7.0))[0, 0, 0] == 255  # clipped


# ---------------------------------------------------------------------- toy mixtures
def test_centres():
    grid = data.grid_centres()
    assert grid.shape == (25, 2)
    assert sorted(set(grid[:, 0].tolist())) == [-4, -2, 0, 2, 4]
    ring = data.ring_centres(8, 2.0)
    np.testing.assert_allclose(np.linalg.norm(ring, axis=1), 2.0, rtol=1e-6)
    np.testing.assert_allclose(ring[0], [2, 0], atol=1e-6)


@pytest.mark.parametrize(
    "sampler, centres",
    [
        (data.ring_of_gaussians, data.ring_centres()),
        (data.grid_of_gaussians, data.grid_centres()),
    ],
)
def test_toy_mixture_statistics_and_seeding(sampler, centres):
    mg.manual_seed(3)
    x = sampler(20000)
    assert x.shape == (20000, 2) and x.dtype == np.float32
    d = np.linalg.norm(x[:, None] - centres[None], axis=-1)
    nearest = d.argmin(1)
    offsets = x - centres[nearest]
    np.testing.assert_allclose(offsets.std(0), 0.02, rtol=0.05)
    counts = np.bincount(nearest, minlength=len(centres))
    assert counts.min() > 0.7 * len(x) / len(centres)
    mg.manual_seed(3)
    np.testing.assert_array_equal(sampler(20000), x)
    assert not np.array_equal(sampler(20000), x)


# ---------------------------------------------------------------------- batching
def test_iterate_minibatches_covers_every_index_once():
    batches = list(data.iterate_minibatches(10, 3, drop_last=False))
    assert [len(b) for b in batches] == [3, 3, 3, 1]
    assert sorted(np.concatenate(batches).tolist()) == list(range(10))
    batches = list(data.iterate_minibatches(10, 3))
    assert [len(b) for b in batches] == [3, 3, 3]
    assert len(set(np.concatenate(batches).tolist())) == 9
    ordered = list(data.iterate_minibatches(5, 2, shuffle=False, drop_last=False))
    assert [b.tolist() for b in ordered] == [[0, 1], [2, 3], [4]]


def test_iterate_minibatches_seeded():
    mg.manual_seed(1)
    a = np.concatenate(list(data.iterate_minibatches(50, 10)))
    mg.manual_seed(1)
    b = np.concatenate(list(data.iterate_minibatches(50, 10)))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, np.arange(50))
    rng = np.random.default_rng(5)
    c = np.concatenate(list(data.iterate_minibatches(50, 10, generator=rng)))
    np.testing.assert_array_equal(c, np.random.default_rng(5).permutation(50))


def test_balanced_batches_p_by_k():
    labels = np.repeat(np.arange(6), [5, 5, 5, 5, 5, 2])
    batches = list(data.balanced_batches(labels, 3, 4, n_batches=20))
    assert len(batches) == 20
    for b in batches:
        assert b.shape == (12,)
        groups = labels[b].reshape(3, 4)
        assert len(set(groups[:, 0].tolist())) == 3  # P distinct classes
        assert (groups == groups[:, :1]).all()  # K of each, grouped
        for g, idx in zip(groups[:, 0], b.reshape(3, 4), strict=True):
            if g != 5:  # enough members: no repeats
                assert len(set(idx.tolist())) == 4
    mg.manual_seed(0)
    first = [b.tolist() for b in data.balanced_batches(labels, 3, 4)]
    mg.manual_seed(0)
    assert first == [b.tolist() for b in data.balanced_batches(labels, 3, 4)]
    assert len(first) == len(labels) // 12
    with pytest.raises(ValueError, match="classes_per_batch"):
        data.BalancedBatchSampler(labels, 7, 2)


def test_dataloader_yields_tensors(device):
    x = np.arange(20, dtype=np.float32).reshape(10, 2)
    y = np.arange(10, dtype=np.int64)
    loader = data.DataLoader(
        data.ArrayDataset(x, y), batch_size=4, shuffle=True, drop_last=True, device=device
    )
    assert len(loader) == 2
    seen = []
    for xb, yb in loader:
        assert isinstance(xb, mg.Tensor) and xb.shape == (4, 2) and xb.device == device
        assert yb.dtype == np.int64
        np.testing.assert_array_equal(xb.numpy()[:, 0], 2 * yb.numpy())
        seen += yb.numpy().tolist()
    assert len(set(seen)) == 8
    sampler = data.BalancedBatchSampler(np.arange(10) % 2, 2, 2, n_batches=3)
    loader = data.DataLoader(data.ArrayDataset(x, y), batch_sampler=sampler, device=device)
    assert len(loader) == 3 and len(list(loader)) == 3
    assert len(data.DataLoader(x, batch_size=4, drop_last=False)) == 3
    with pytest.raises(ValueError, match="first dimension"):
        data.ArrayDataset(x, y[:3])


def test_dataloader_pytorch_defaults_and_tuple_of_arrays():
    torch = pytest.importorskip("torch")
    x = np.arange(20, dtype=np.float32).reshape(10, 2)
    y = np.arange(10, dtype=np.int64)
    loader = data.DataLoader((x, y), batch_size=4)  # yielded nothing before
    batches = list(loader)
    assert len(loader) == 3 and [b[1].numpy().tolist() for b in batches] == [
        [0, 1, 2, 3],
        [4, 5, 6, 7],
        [8, 9],
    ]
    ref = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.tensor(x)), 4)
    assert [b[0].shape[0] for b in batches] == [len(r[0]) for r in ref]
    assert len(data.DataLoader(x)) == 10  # batch_size=1, as PyTorch
    assert len(list(data.DataLoader((x, y), batch_size=4, drop_last=True))) == 2
    xb, yb = next(iter(data.DataLoader((mg.tensor(x), y.tolist()), batch_size=10)))
    np.testing.assert_array_equal(xb.numpy(), x)
    assert yb.numpy().tolist() == list(range(10))
    empty = data.DataLoader((x[:0], y[:0]), batch_size=4)
    assert len(empty) == 0 and list(empty) == []
    with pytest.raises(ValueError, match="ArrayDataset: array 1 is 0-d"):
        data.DataLoader((x, np.float32(1.0)))
