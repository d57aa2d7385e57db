"""Random draws, checkpoints and data loading, compared with PyTorch at their edges: draws
that must stay below their excluded bound, several saves in one stream, the containers a
checkpoint keeps, the exceptions a bad file raises, and the DataLoader's checks."""

import collections
import io

import numpy as np
import pytest

import minigrad as mg
import minigrad.utils.data as MD
from minigrad.distributed import DistributedSampler

torch = pytest.importorskip("torch")
import torch.utils.data as TD  # noqa: E402


# ------------------------------------------------------------------ random draws
def test_float16_rand_stays_below_one_as_torch():
    """A float32 draw rounded to float16 gave 1.0 about once in 4,000, and `(rand *
    10).long()` then reached 10. As PyTorch's: those become the largest float16 below 1,
    and the small values keep float32's fine steps."""
    mg.manual_seed(0)
    torch.manual_seed(0)
    below_one = np.float16(1 - 2**-11)
    for x in (
        mg.rand(400_000, dtype=mg.float16).numpy(),
        torch.rand(400_000, dtype=torch.float16).numpy(),
    ):
        assert x.dtype == np.float16 and x.max() == below_one and x.min() >= 0
        assert abs(float(x.astype(np.float64).mean()) - 0.5) < 0.01
        tiny = x[(x > 0) & (x < 2**-11)]
        assert len(tiny) > 50 and not ((tiny * 2**11) == np.round(tiny * 2**11)).all()
    assert (mg.rand(400_000, dtype=mg.float16) * 10).long().max().item() == 9


def test_float16_rand_under_a_float16_default_dtype():
    mg.manual_seed(1)
    old = mg.get_default_dtype()
    mg.set_default_dtype(mg.float16)
    try:
        x = mg.rand(200_000).numpy()
    finally:
        mg.set_default_dtype(old)
    assert x.dtype == np.float16 and x.max() < 1


@pytest.mark.parametrize(
    "dtype, low, high",
    [("float16", 0.0, 2.0), ("float16", -1.0, 1.0), ("float32", 1.0, 1.0001)],
)
def test_uniform_never_reaches_its_upper_bound(dtype, low, high):
    mg.manual_seed(2)
    x = mg.empty(400_000, dtype=getattr(mg, dtype)).uniform_(low, high).numpy()
    t = torch.empty(400_000, dtype=getattr(torch, dtype)).uniform_(low, high).numpy()
    for v in (x, t):
        assert v.min() >= np.asarray(low, v.dtype) and v.max() < np.asarray(high, v.dtype)
    y = mg.nn.init.uniform_(mg.empty(400_000, dtype=getattr(mg, dtype)), low, high).numpy()
    assert y.max() < np.asarray(high, y.dtype)


@pytest.mark.parametrize(
    "dtype, low, high",
    [("float16", 1000.0, 1001.0), ("float32", 16777216.0, 16777220.0), ("float16", -1.0, 1.0)],
)
def test_uniform_keeps_its_values_equally_likely_as_torch(dtype, low, high):
    """A draw that rounds up to the excluded bound becomes the lower bound (PyTorch's
    rule), not the value below the bound, which then came up three times as often; and
    float16 draws scale a float32 number, with float32's resolution."""
    mg.manual_seed(3)
    torch.manual_seed(3)
    x = mg.empty(200_000, dtype=getattr(mg, dtype)).uniform_(low, high).numpy()
    t = torch.empty(200_000, dtype=getattr(torch, dtype)).uniform_(low, high).numpy()
    if len(np.unique(t)) <= 4:  # a few representable values: their shares agree
        for v in np.unique(t):
            assert abs((x == v).mean() - (t == v).mean()) < 0.01, v
        assert set(np.unique(x)) == set(np.unique(t))
    else:
        assert len(np.unique(x)) > 0.9 * len(np.unique(t))
    assert x.max() < high and t.max() < high


@pytest.mark.parametrize(
    "dtype, low, high, which",
    [("float16", 7e4, 7e4, "from"), ("float16", 0.0, 7e4, "to"), ("float32", 1e39, 1e39, "from")],
)
def test_uniform_bounds_outside_the_dtype_are_refused_as_torch(dtype, low, high, which):
    with pytest.raises(RuntimeError, match=f"{which} is out of bounds"):
        torch.empty(3, dtype=getattr(torch, dtype)).uniform_(low, high)
    with pytest.raises(RuntimeError, match=f"{which} is out of bounds"):
        mg.empty(3, dtype=getattr(mg, dtype)).uniform_(low, high)
    with pytest.raises(RuntimeError, match=f"{which} is out of bounds"):
        mg.nn.init.uniform_(mg.empty(3, dtype=getattr(mg, dtype)), low, high)


def test_uniform_of_an_empty_range_is_its_bound():
    t = torch.empty(3).uniform_(-0.0, -0.0)
    x = mg.empty(3).uniform_(-0.0, -0.0)
    np.testing.assert_array_equal(np.signbit(x.numpy()), np.signbit(t.numpy()))


@pytest.mark.parametrize("seed", [True, 1.5, "3", np.int64(4)])
def test_a_generator_takes_an_int_seed_only_as_torch(seed):
    with pytest.raises((RuntimeError, TypeError)) as want:
        torch.Generator().manual_seed(seed)
    with pytest.raises(type(want.value)):
        mg.Generator().manual_seed(seed)
    mg.manual_seed(np.int64(4))  # the global one takes int(seed), as torch.manual_seed


@pytest.mark.parametrize(
    "dtype, low, high", [("float32", -3e38, 3e38), ("float16", -60000.0, 60000.0)]
)
def test_uniform_refuses_a_range_wider_than_the_dtype_as_torch(dtype, low, high):
    with pytest.raises(RuntimeError, match="uniform_ expects to-from <="):
        torch.empty(3, dtype=getattr(torch, dtype)).uniform_(low, high)
    with pytest.raises(RuntimeError, match="uniform_ expects to-from <="):
        mg.empty(3, dtype=getattr(mg, dtype)).uniform_(low, high)


@pytest.mark.parametrize("seed", [2**64, -(2**63) - 1])
def test_manual_seed_out_of_range_is_refused_as_torch(seed):
    with pytest.raises(ValueError):
        torch.manual_seed(seed)
    with pytest.raises(ValueError, match="outside"):
        mg.manual_seed(seed)
    with pytest.raises(ValueError, match="outside"):
        mg.Generator().manual_seed(seed)


@pytest.mark.parametrize("seed", [2**64 - 1, -(2**63), -1])
def test_manual_seed_edges_torch_takes(seed):
    torch.manual_seed(seed)
    mg.manual_seed(seed)
    assert mg.initial_seed() == torch.initial_seed()


def test_rng_functions_checkpoint_code_calls():
    s = mg.random.seed()
    assert isinstance(s, int) and mg.initial_seed() == s
    assert mg.cuda.get_rng_state_all() == torch.cuda.get_rng_state_all() == []
    assert mg.cuda.set_rng_state_all([]) is None
    assert mg.cuda.seed() is None and mg.cuda.seed_all() is None
    g = mg.Generator().manual_seed(3)
    mg.randn(4, generator=g)
    twin = g.clone_state()
    assert twin is not g and twin.initial_seed() == 3
    np.testing.assert_array_equal(mg.randn(5, generator=g), mg.randn(5, generator=twin))


def test_multinomial_out_as_torch():
    out = mg.empty(2, dtype=mg.int64)
    got = mg.multinomial(mg.tensor([0.0, 1.0, 0.0]), 1, out=out[:1])
    assert got.tolist() == [1]
    with pytest.raises(RuntimeError, match="multinomial expects Long tensor out"):
        mg.multinomial(mg.ones(3), 2, out=mg.empty(2))


# ------------------------------------------------------------------ samplers
def test_random_sampler_replacement_must_be_a_bool_as_torch():
    with pytest.raises(TypeError, match="replacement should be a boolean value"):
        TD.RandomSampler(range(3), replacement=1)
    with pytest.raises(TypeError, match="replacement should be a boolean value"):
        MD.RandomSampler(range(3), replacement=1)


@pytest.mark.parametrize("drop_last", [False, True])
def test_distributed_sampler_over_an_empty_dataset_yields_nothing(drop_last):
    from torch.utils.data.distributed import DistributedSampler as TDS

    want = TDS([], num_replicas=2, rank=0, drop_last=drop_last)
    got = DistributedSampler([], num_replicas=2, rank=0, drop_last=drop_last)
    assert list(got) == list(want) == [] and len(got) == len(want) == 0


# ------------------------------------------------------------------ checkpoints
def test_several_saves_into_one_stream_load_back_in_turn():
    buf = io.BytesIO()
    for epoch in (1, 2, 3):
        mg.save({"epoch": epoch, "w": mg.full((2,), float(epoch))}, buf)
    end = buf.tell()
    buf.seek(0)
    for epoch in (1, 2, 3):
        got = mg.load(buf)
        assert got["epoch"] == epoch and got["w"].tolist() == [epoch] * 2
    assert buf.tell() == end
    with pytest.raises(RuntimeError, match="holds no checkpoint from position"):
        mg.load(buf)


def test_a_stream_with_bytes_that_look_like_a_zip_end_record():
    """Array bytes holding the end-record signature do not cut the archive short."""
    sig = np.frombuffer(b"PK\x05\x06" + bytes(18) + b"PK\x05\x06" + bytes(22), np.uint8)
    buf = io.BytesIO()
    mg.save({"a": mg.tensor(sig.copy()), "b": 1}, buf)
    mg.save({"a": mg.tensor(sig[::-1].copy()), "b": 2}, buf)
    buf.seek(0)
    first, second = mg.load(buf), mg.load(buf)
    assert (first["b"], second["b"]) == (1, 2)
    np.testing.assert_array_equal(first["a"].numpy(), sig)
    np.testing.assert_array_equal(second["a"].numpy(), sig[::-1])


def test_several_zip64_saves_in_one_stream(monkeypatch):
    """Archives with zip64 end records (large checkpoints) are found the same way."""
    import zipfile

    monkeypatch.setattr(zipfile, "ZIP_FILECOUNT_LIMIT", 1)  # zip64 records from 2 entries
    buf = io.BytesIO()
    for epoch in (1, 2):
        mg.save({"epoch": epoch, "w": mg.ones(epoch)}, buf)
    assert buf.getvalue().count(b"PK\x06\x06") == 2
    buf.seek(0)
    assert [mg.load(buf)["epoch"] for _ in range(2)] == [1, 2]


def test_a_stream_is_read_through_a_window_not_copied(tmp_path):
    """Loading from an open file does not read it all into memory first, and leaves the
    file just after the checkpoint it read."""
    path = tmp_path / "two.pt"
    with open(path, "wb") as f:
        mg.save({"w": mg.ones(1000)}, f)
        first_end = f.tell()
        mg.save({"w": mg.zeros(10)}, f)

    class Counting(io.FileIO):
        read_bytes = 0

        def read(self, n=-1):
            got = super().read(n)
            Counting.read_bytes += len(got)
            assert n is not None and n >= 0, "a read to the end"
            return got

    with Counting(path, "rb") as f:
        assert mg.load(f)["w"].shape == (1000,)
        assert f.tell() == first_end
        assert mg.load(f)["w"].shape == (10,)


def test_a_text_stream_or_an_empty_end_record_in_the_data(tmp_path):
    with pytest.raises(RuntimeError, match="not a binary stream"):
        mg.load(io.StringIO("not bytes"))
    empty_end = np.frombuffer(b"PK\x05\x06" + bytes(18), np.uint8)  # an empty zip's end
    buf = io.BytesIO()
    mg.save({"a": mg.tensor(empty_end.copy())}, buf)
    buf.seek(0)
    np.testing.assert_array_equal(mg.load(buf)["a"].numpy(), empty_end)


def test_containers_keep_their_type_or_are_refused(tmp_path):
    obj = {
        "milestones": collections.Counter({5: 2, 10: 1}),
        "hist": collections.defaultdict(list, a=[1.0]),
        "z": 1 + 2j,
    }
    mg.save(obj, tmp_path / "c.pt")
    got = mg.load(tmp_path / "c.pt")
    assert type(got["milestones"]) is collections.Counter
    assert got["milestones"] == obj["milestones"]
    assert type(got["hist"]) is collections.defaultdict and got["hist"]["new"] == []
    assert got["z"] == 1 + 2j and type(got["z"]) is complex
    torch.save(obj, tmp_path / "t.pt")  # torch keeps them too
    assert torch.load(tmp_path / "t.pt", weights_only=False) == obj

    stats = collections.namedtuple("Stats", "best_loss epoch")(0.5, 3)
    with pytest.raises(TypeError, match=r"obj\['stats'\] is a Stats, a subclass of tuple"):
        mg.save({"stats": stats}, tmp_path / "n.pt")
    with pytest.raises(TypeError, match="is a defaultdict"):
        mg.save(collections.defaultdict(lambda: 0), tmp_path / "d.pt")
    assert not (tmp_path / "n.pt").exists()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"pickle_protocol": 2},
        {"_use_new_zipfile_serialization": False},
        {"pickle_module": __import__("pickle")},
        {"_disable_byteorder_record": False},
    ],
)
def test_save_takes_torchs_keywords(tmp_path, kwargs):
    torch.save(torch.ones(2), tmp_path / "t.pt", **kwargs)
    mg.save(mg.ones(2), tmp_path / "m.pt", **kwargs)
    assert mg.load(tmp_path / "m.pt").tolist() == [1.0, 1.0]


@pytest.mark.skipif(mg.cuda.is_available(), reason="a machine without a GPU")
@pytest.mark.parametrize("where", ["cuda", "cuda:0", {"cpu": "cuda"}])
def test_map_location_to_a_missing_gpu_is_a_device_error(tmp_path, where):
    mg.save({"w": mg.ones(2)}, tmp_path / "m.pt")
    with pytest.raises(RuntimeError) as info:
        mg.load(tmp_path / "m.pt", map_location=where)
    assert "not a minigrad checkpoint" not in str(info.value)
    assert not isinstance(info.value, ValueError)


@pytest.mark.parametrize("kind", ["truncated", "empty", "garbage"])
def test_a_bad_file_raises_runtime_error_as_torchs_truncated_one(tmp_path, kind):
    """`except RuntimeError` (PyTorch code's fallback) and `except ValueError` (minigrad's
    before) both catch it."""
    mg.save({"w": mg.ones(100)}, tmp_path / "ok.pt")
    data = (tmp_path / "ok.pt").read_bytes()
    bad = {"truncated": data[: len(data) // 2], "empty": b"", "garbage": b"not one " * 20}
    (tmp_path / "bad.pt").write_bytes(bad[kind])
    with pytest.raises(RuntimeError, match="not a minigrad checkpoint") as info:
        mg.load(tmp_path / "bad.pt")
    assert isinstance(info.value, ValueError)


def test_save_into_a_missing_folder_names_it(tmp_path):
    target = tmp_path / "nope" / "x.pt"
    with pytest.raises(RuntimeError, match="Parent directory .* does not exist"):
        torch.save(torch.ones(1), target)
    with pytest.raises(RuntimeError, match=r"the folder '.*nope' of '.*x\.pt' does not exist"):
        mg.save(mg.ones(1), target)
    with pytest.raises(FileNotFoundError):
        mg.save(mg.ones(1), target)
    assert not (tmp_path / "nope").exists()


# ------------------------------------------------------------------ data loading
class _MyList(list):
    pass


@pytest.mark.parametrize(
    "sample",
    [
        collections.defaultdict(list, a=np.ones(2)),
        range(3),
        _MyList([np.ones(2), 1.0]),
        collections.OrderedDict(a=np.zeros(1)),
        collections.deque([np.ones(2), 3]),
    ],
    ids=["defaultdict", "range", "list-subclass", "OrderedDict", "deque"],
)
def test_default_convert_keeps_container_types_as_torch(sample):
    want, got = TD.default_convert(sample), MD.default_convert(sample)
    assert type(got) is type(want)
    assert type(got) is type(want)
    items = (lambda c: list(c.values())) if isinstance(want, dict) else list
    for g, w in zip(items(got), items(want), strict=True):
        assert type(g).__name__ == type(w).__name__
    if isinstance(want, collections.defaultdict):
        assert got.default_factory is want.default_factory


def test_loader_without_batching_over_defaultdict_samples():
    class DS(MD.Dataset):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            return collections.defaultdict(int, x=np.float32(i))

    got = list(MD.DataLoader(DS(), batch_size=None))
    assert [type(b) for b in got] == [collections.defaultdict] * 2
    assert [b["x"].item() for b in got] == [0.0, 1.0]


class _Stream(MD.IterableDataset):
    def __iter__(self):
        return iter(range(5))


class _TStream(TD.IterableDataset):
    def __iter__(self):
        return iter(range(5))


@pytest.mark.parametrize(
    "kwargs",
    [{"batch_size": 0}, {"batch_size": -2}, {"batch_size": 2.5}, {"drop_last": "x"}],
)
def test_iterable_loader_checks_batching_as_torch(kwargs):
    with pytest.raises(ValueError, match="should be a"):
        TD.DataLoader(_TStream(), **kwargs)
    with pytest.raises(ValueError, match="should be a"):
        MD.DataLoader(_Stream(), **kwargs)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"prefetch_factor": 2}, "prefetch_factor option could only be specified"),
        ({"persistent_workers": True}, "persistent_workers option needs num_workers > 0"),
        ({"multiprocessing_context": "spawn"}, "multiprocessing_context can only be used"),
    ],
)
def test_worker_options_need_workers_as_torch(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TD.DataLoader(range(4), **kwargs)
    with pytest.raises(ValueError, match=message):
        MD.DataLoader(range(4), **kwargs)
    MD.DataLoader(range(4), num_workers=2, **kwargs)  # accepted with workers (unused)


@pytest.mark.parametrize("low, high", [(1.0, 1.000001), (0.3, 0.3000001)])
def test_float32_uniform_between_inexact_bounds_weighs_its_values_alike(low, high):
    """The range is scaled as float32 holds the bounds (PyTorch's), so the draws that fall
    past the upper bound, moved to the lower one, do not make it likelier than the others."""
    mg.manual_seed(0)
    x = mg.empty(1 << 20, dtype=mg.float32).uniform_(low, high).numpy()
    values, counts = np.unique(x, return_counts=True)
    assert counts[0] / len(x) < 1.1 / len(values)


def test_load_from_a_gzip_stream_and_a_file_whose_seek_returns_none(tmp_path):
    import gzip
    import mmap

    buf = io.BytesIO()
    mg.save({"w": mg.arange(3.0)}, buf)
    with gzip.open(tmp_path / "c.gz", "wb") as f:
        f.write(buf.getvalue())
    with gzip.open(tmp_path / "c.gz", "rb") as f:
        assert mg.load(f)["w"].tolist() == [0.0, 1.0, 2.0]
    (tmp_path / "c.pt").write_bytes(buf.getvalue())
    with open(tmp_path / "c.pt", "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
        assert mg.load(m)["w"].tolist() == [0.0, 1.0, 2.0]
