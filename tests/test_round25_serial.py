"""Round 25 of the hostile reviews: save/load and load_state_dict against PyTorch 2.13.

Saving through symlinks, FIFOs and gzip streams; lazy modules' uninitialized state; Enum
values; shared containers; dtype keys; non-tensor state_dict values; tied weights."""

import bz2
import enum
import gzip
import io
import os
import stat
import threading
from collections import Counter, OrderedDict, defaultdict

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")

LIBS = [("mg", mg), ("torch", torch)]


def roundtrip(lib, obj):
    buf = io.BytesIO()
    lib.save(obj, buf)
    buf.seek(0)
    return lib.load(buf, weights_only=False)


# ---------------------------------------------------------------- 1. special paths


@pytest.mark.parametrize("name, lib", LIBS)
def test_save_through_a_symlink_writes_its_target(tmp_path, name, lib):
    target, link = tmp_path / "ckpt.pt", tmp_path / "latest.pt"
    lib.save({"v": lib.tensor(1.0)}, target)
    os.chmod(target, 0o640)
    link.symlink_to(target.name)  # relative, as `ln -s ckpt.pt latest.pt`
    lib.save({"v": lib.tensor(2.0)}, link)
    assert link.is_symlink()
    assert lib.load(target)["v"].item() == 2.0
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt.pt", "latest.pt"]


@pytest.mark.parametrize("name, lib", LIBS)
def test_save_through_a_dangling_symlink_into_another_folder(tmp_path, name, lib):
    (tmp_path / "runs").mkdir()
    (tmp_path / "links").mkdir()
    link = tmp_path / "links" / "latest.pt"
    link.symlink_to(os.path.join("..", "runs", "ckpt.pt"))  # nothing there yet
    lib.save({"v": lib.arange(3)}, str(link))
    assert link.is_symlink()
    assert lib.load(tmp_path / "runs" / "ckpt.pt")["v"].tolist() == [0, 1, 2]
    assert [p.name for p in (tmp_path / "runs").iterdir()] == ["ckpt.pt"]  # no temp left
    assert [p.name for p in (tmp_path / "links").iterdir()] == ["latest.pt"]


def test_save_through_a_symlink_chain_to_a_missing_folder_names_it(tmp_path):
    link = tmp_path / "latest.pt"
    link.symlink_to(tmp_path / "gone" / "ckpt.pt")
    with pytest.raises(mg.errors.MissingFolder, match="gone.*latest.pt"):
        mg.save({"v": mg.ones(1)}, link)
    assert link.is_symlink()


def _read_fifo(path, out):
    with open(path, "rb") as f:
        out.append(f.read())


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
@pytest.mark.parametrize("via_link", [False, True])
@pytest.mark.parametrize("name, lib", LIBS)
def test_save_into_a_fifo_writes_through_it(tmp_path, name, lib, via_link):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    path = fifo
    if via_link:
        path = tmp_path / "latest.pt"
        path.symlink_to(fifo)
    got: list = []
    reader = threading.Thread(target=_read_fifo, args=(fifo, got), daemon=True)
    reader.start()
    lib.save({"w": lib.arange(4.0), "n": 3}, path)
    reader.join(10)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)  # still a FIFO, not a regular file
    assert path.is_symlink() == via_link
    back = lib.load(io.BytesIO(got[0]))
    assert back["w"].tolist() == [0.0, 1.0, 2.0, 3.0] and back["n"] == 3


def test_save_onto_a_folder_is_refused_by_name(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "to_d").symlink_to(tmp_path / "d")
    with pytest.raises(IsADirectoryError, match="to_d.*leads to.*is a folder"):
        mg.save({"v": mg.ones(1)}, tmp_path / "to_d")
    with pytest.raises(RuntimeError, match="Is a directory"):
        torch.save({"v": torch.ones(1)}, str(tmp_path / "to_d"))
    assert list((tmp_path / "d").iterdir()) == []


# ---------------------------------------------------------------- 2. lazy modules


@pytest.mark.parametrize(
    "make, x",
    [
        (lambda nn: nn.LazyLinear(2), (4, 3)),
        (lambda nn: nn.LazyConv2d(2, 3), (1, 3, 5, 5)),
        (lambda nn: nn.LazyBatchNorm1d(), (4, 3)),
    ],
)
def test_lazy_state_dict_round_trips_uninitialized_as_pytorch(make, x):
    from minigrad.nn.lazy import UninitializedBuffer, UninitializedParameter

    kinds = {}
    for name, lib in LIBS:
        sd = roundtrip(lib, make(lib.nn).state_dict())
        kinds[name] = {k: type(v).__name__ for k, v in sd.items()}
        fresh = make(lib.nn)
        keys = fresh.load_state_dict(sd)
        assert not keys.missing_keys and not keys.unexpected_keys
        assert type(fresh.weight).__name__ == "UninitializedParameter"  # still lazy
        assert tuple(fresh(lib.ones(*x)).shape) == tuple(make(torch.nn)(torch.ones(*x)).shape)
    assert kinds["mg"] == kinds["torch"]
    sd = roundtrip(mg, make(mg.nn).state_dict())
    assert isinstance(sd["weight"], UninitializedParameter) and sd["weight"].requires_grad
    assert all(isinstance(sd[k], UninitializedBuffer) for k in sd if k.startswith("running"))


def test_lazy_uninitialized_into_an_initialized_module_is_refused():
    for lib in (mg, torch):
        sd = roundtrip(lib, lib.nn.LazyLinear(2).state_dict())
        with pytest.raises(RuntimeError, match="uninitialized"):
            lib.nn.Linear(3, 2).load_state_dict(sd)


def test_lazy_uninitialized_keeps_requires_grad_dtype_and_identity(tmp_path):
    from minigrad.nn.lazy import UninitializedParameter

    w = UninitializedParameter(requires_grad=False, dtype=mg.float64)
    mg.save({"a": w, "b": w}, tmp_path / "u.pt")
    back = mg.load(tmp_path / "u.pt")
    assert back["a"] is back["b"] and isinstance(back["a"], UninitializedParameter)
    assert not back["a"].requires_grad and back["a"].dtype == mg.float64
    back["a"].materialize((2, 3))
    assert back["a"].shape == (2, 3) and type(back["a"]) is mg.nn.Parameter


def test_lazy_module_still_loads_materialized_weights():
    for lib in (mg, torch):
        lib.manual_seed(0)
        src = lib.nn.Linear(3, 2)
        m = lib.nn.LazyLinear(2)
        m.load_state_dict(roundtrip(lib, src.state_dict()))
        assert tuple(m.weight.shape) == (2, 3)
        np.testing.assert_array_equal(m.weight.detach().numpy(), src.weight.detach().numpy())


# ---------------------------------------------------------------- 4. write streams


@pytest.mark.parametrize("opener", [gzip.open, bz2.open])
@pytest.mark.parametrize("name, lib", LIBS)
def test_save_into_a_compressed_stream(tmp_path, opener, name, lib):
    path = tmp_path / "ck.pt.gz"
    with opener(path, "wb") as g:
        lib.save({"w": lib.arange(4.0), "e": lib.zeros(0, 2)}, g)
    with opener(path, "rb") as g:
        back = lib.load(g)
    assert back["w"].tolist() == [0.0, 1.0, 2.0, 3.0] and tuple(back["e"].shape) == (0, 2)


def test_several_saves_into_one_gzip_stream_load_in_turn(tmp_path):
    with gzip.open(tmp_path / "ck.gz", "wb") as g:
        mg.save({"w": mg.arange(4.0)}, g)
        mg.save({"s": mg.tensor(7, dtype=mg.int16)}, g)
    with gzip.open(tmp_path / "ck.gz", "rb") as g:
        first, second = mg.load(g), mg.load(g)
    assert first["w"].tolist() == [0.0, 1.0, 2.0, 3.0]
    assert second["s"].item() == 7 and second["s"].dtype == mg.int16


class _Sink:
    """A pipe-like stream: writes only, answers None (no count), no seek, no tell."""

    def __init__(self):
        self.buf = bytearray()

    def write(self, b):
        self.buf += bytes(b)

    def read(self, n=-1):
        raise io.UnsupportedOperation("write-only")


def test_save_into_a_stream_without_seek_tell_or_write_count():
    s = _Sink()
    mg.save({"w": mg.tensor([[1.0, float("nan")]]), "z": mg.tensor(2.5)}, s)
    back = mg.load(io.BytesIO(bytes(s.buf)))
    np.testing.assert_array_equal(back["w"].numpy(), [[1.0, np.nan]])
    assert back["z"].item() == 2.5 and back["z"].ndim == 0


def test_save_into_a_text_stream_is_refused_by_name(tmp_path):
    with open(tmp_path / "t.txt", "w") as f, pytest.raises(TypeError, match="t.txt.*text mode"):
        mg.save({"a": 1}, f)


# ---------------------------------------------------------------- 5. Enum values


class Phase(enum.IntEnum):
    TRAIN = 1
    EVAL = 2


class Mode(str, enum.Enum):
    FAST = "fast"


class Flags(enum.IntFlag):
    A = 1


class Meters(float):
    pass


@pytest.mark.parametrize("value", [Phase.EVAL, Mode.FAST, Flags.A, Meters(2.0)])
def test_int_float_str_subclasses_are_refused_at_save(value):
    back = roundtrip(torch, {"x": value})["x"]  # PyTorch (pickle) keeps the type
    assert type(back) is type(value)
    with pytest.raises(TypeError, match=rf"obj\['x'\] is .*{type(value).__name__}.*plain"):
        mg.save({"x": value}, io.BytesIO())
    with pytest.raises(TypeError, match=type(value).__name__):
        mg.save({value: 1}, io.BytesIO())


def test_plain_scalars_still_round_trip():
    obj = {"i": 2**70, "b": True, "f": float("nan"), "c": 1 - 2j, "s": "é", "n": np.int8(-3)}
    back = roundtrip(mg, obj)
    assert {k: type(v) for k, v in back.items()} == {k: type(v) for k, v in obj.items()}
    assert back["i"] == 2**70 and np.isnan(back["f"]) and back["n"] == -3


# ---------------------------------------------------------------- 7. shared references


def test_a_container_referenced_twice_comes_back_as_one():
    for lib in (mg, torch):
        hist, cfg, seen = [0.5], {"lr": 1.0}, {1, 2}
        ck = roundtrip(lib, {"train": {"loss": hist, "cfg": cfg, "s": seen}, "latest": hist,
                             "cfg": cfg, "s": seen, "t": (hist, hist)})  # fmt: skip
        assert ck["train"]["loss"] is ck["latest"] is ck["t"][0] is ck["t"][1]
        assert ck["train"]["cfg"] is ck["cfg"] and ck["train"]["s"] is ck["s"]
        ck["latest"].append(0.4)
        assert ck["train"]["loss"] == [0.5, 0.4]


def test_containers_that_hold_themselves_round_trip():
    for lib in (mg, torch):
        loop, d = [1], OrderedDict(a=1)
        loop.append(loop)
        d["self"] = d
        dd = defaultdict(list, x=[1])
        c = Counter(a=2)
        ck = roundtrip(lib, {"loop": loop, "d": d, "dd": dd, "dd2": dd, "c": c, "c2": c})
        assert ck["loop"][1] is ck["loop"] and ck["loop"][0] == 1
        assert type(ck["d"]) is OrderedDict and ck["d"]["self"] is ck["d"]
        assert ck["dd"] is ck["dd2"] and ck["dd"]["new"] == [] and ck["dd"]["x"] == [1]
        assert type(ck["c"]) is Counter and ck["c"] is ck["c2"] and ck["c"]["a"] == 2


def test_equal_but_distinct_containers_stay_distinct():
    ck = roundtrip(mg, {"a": [], "b": [], "c": {}, "d": {}})
    assert ck["a"] is not ck["b"] and ck["c"] is not ck["d"]


# ---------------------------------------------------------------- 8. dtype keys


def test_dtype_and_device_keys_round_trip():
    for lib in (mg, torch):
        back = roundtrip(lib, {lib.float32: 1e-3, lib.float16: 1e-2, lib.int64: None})
        assert back == {lib.float32: 1e-3, lib.float16: 1e-2, lib.int64: None}
        back = roundtrip(lib, {lib.device("cpu"): 1, (lib.float64, "x"): 2})
        assert back[lib.device("cpu")] == 1 and back[(lib.float64, "x")] == 2
    assert roundtrip(mg, {np.float64(0.5): 1, mg.Size([2]): 3}) == {0.5: 1, (2,): 3}


# ---------------------------------------------------------------- 6. non-tensor values


@pytest.mark.parametrize(
    "key, value",
    [
        ("num_batches_tracked", "5"),
        ("num_batches_tracked", "abc"),
        ("num_batches_tracked", None),
        ("num_batches_tracked", {"x": 1}),
        ("num_batches_tracked", 5),
        ("running_mean", None),
        ("running_mean", "ab"),
        ("weight", "xy"),
        ("weight", (1.0, 2.0)),
        ("bias", ["a", "b"]),
    ],
)
def test_load_state_dict_refuses_non_tensor_values_as_pytorch(key, value):
    msgs = []
    for lib in (mg, torch):
        m = lib.nn.BatchNorm1d(2)
        before = {k: v.clone() for k, v in m.state_dict().items()}
        sd = m.state_dict()
        sd[key] = value
        with pytest.raises(RuntimeError) as err:
            m.load_state_dict(sd)
        msgs.append([ln.strip() for ln in str(err.value).splitlines() if "copying" in ln])
        assert all(bool((before[k] == v).all()) for k, v in m.state_dict().items())
    # PyTorch's message takes a list of strings for a tensor-like object and fails later
    want = f'While copying the parameter named "{key}", expected torch.Tensor or Tensor-like '
    assert msgs[0] == [f"{want}object from checkpoint but received {type(value)}"]
    if not isinstance(value, list):
        assert msgs[0] == msgs[1]


@pytest.mark.parametrize(
    "value",
    [np.array([1.0, 2.0], np.float64), [1.0, 2.0], np.array([3, 4], np.int32)],
)
def test_load_state_dict_still_takes_arrays_and_lists(value):
    m = mg.nn.BatchNorm1d(2)
    m.load_state_dict({**m.state_dict(), "running_mean": value, "num_batches_tracked": np.int64(4)})
    np.testing.assert_array_equal(m.running_mean.numpy(), np.asarray(value, np.float32))
    assert m.running_mean.dtype == mg.float32 and m.num_batches_tracked.item() == 4


def test_lazy_module_refuses_a_string_by_name():
    with pytest.raises(RuntimeError, match="\"weight\".*<class 'str'>"):
        mg.nn.LazyLinear(2).load_state_dict({"weight": "ab", "bias": None})


# ---------------------------------------------------------------- 9. tied weights


def _tied(lib):
    lib.manual_seed(0)

    class LM(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = lib.nn.Embedding(5, 3)
            self.head = lib.nn.Linear(3, 5, bias=False)
            self.head.weight = self.emb.weight

    return LM()


@pytest.mark.parametrize("via", ["bytes", "file"])
def test_tied_weights_loaded_with_assign_stay_tied_as_pytorch(tmp_path, via):
    seen = []
    for lib in (mg, torch):
        sd = _tied(lib).state_dict()
        if via == "file":
            lib.save(sd, tmp_path / f"{lib.__name__}.pt")
            loaded = lib.load(tmp_path / f"{lib.__name__}.pt")
        else:
            loaded = roundtrip(lib, sd)
        assert loaded["emb.weight"] is not loaded["head.weight"]
        m = _tied(lib)
        m.load_state_dict(loaded, assign=True)
        with lib.no_grad():
            m.emb.weight[0, 0] = 42.0
        seen.append((m.head.weight[0, 0].item(), len(list(m.parameters()))))
    assert seen[0] == seen[1] == (42.0, 2)


def test_same_memory_shares_other_layouts_stay_separate():
    x = mg.arange(6.0).reshape(2, 3)
    ck = roundtrip(mg, {"a": x, "b": x.detach(), "c": x.t(), "d": x[0], "e": x, "f": x[0]})
    assert ck["a"] is ck["e"] and ck["a"] is not ck["b"] and ck["d"] is not ck["f"]
    assert np.shares_memory(ck["a"].numpy(), ck["b"].numpy())
    assert np.shares_memory(ck["d"].numpy(), ck["f"].numpy())
    assert not np.shares_memory(ck["a"].numpy(), ck["c"].numpy())  # documented: separate
    np.testing.assert_array_equal(ck["c"].numpy(), x.numpy().T)
    z = mg.zeros(0)
    ck = roundtrip(mg, {"a": z, "b": z.detach()})
    assert ck["a"].shape == ck["b"].shape == (0,)
