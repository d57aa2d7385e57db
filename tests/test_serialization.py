"""mg.save / mg.load: round trips without pickle, atomic writes, clear errors."""

import io
import os
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn, serialization


def test_round_trip_nested_structure(tmp_path):
    t = mg.tensor([[1.0, 2.0]], requires_grad=True)
    obj = {
        "tensor": t,
        "again": t,  # shared: stored once, one object after loading
        "param": nn.Parameter(mg.ones(2)),
        "arrays": [np.arange(6, dtype=np.int16).reshape(2, 3), np.array([True, False])],
        "tuple": (1, 2.5, "three", None, False, float("inf")),
        "nested": {"deep": [{"x": np.float32(1.5)}], 3: "int key", 2.5: None},
        "odict": OrderedDict([("b", 1), ("a", 2)]),
        "big": 2**70,
        "half": mg.tensor([1.0, 2.0], dtype=mg.float16),
        "empty": np.zeros((0, 3)),
    }
    mg.save(obj, tmp_path / "ck.npz")
    back = mg.load(tmp_path / "ck.npz")
    assert isinstance(back["tensor"], mg.Tensor) and back["tensor"].requires_grad
    np.testing.assert_array_equal(back["tensor"].detach().numpy(), [[1.0, 2.0]])
    assert back["tensor"].dtype == np.float32 and back["again"] is back["tensor"]
    assert isinstance(back["param"], nn.Parameter)
    a0, a1 = back["arrays"]
    assert type(a0) is np.ndarray and a0.dtype == np.int16 and a0.shape == (2, 3)
    assert a1.dtype == np.bool_
    assert back["tuple"] == (1, 2.5, "three", None, False, float("inf"))
    assert isinstance(back["tuple"], tuple) and isinstance(back["tuple"][0], int)
    deep = back["nested"]["deep"][0]["x"]
    assert deep == 1.5 and deep.dtype == np.float32
    assert back["nested"][3] == "int key" and back["nested"][2.5] is None
    assert isinstance(back["odict"], OrderedDict) and list(back["odict"]) == ["b", "a"]
    assert back["big"] == 2**70
    assert back["half"].dtype == np.float16 and back["empty"].shape == (0, 3)


def test_float_values_are_exact_and_nan_survives(tmp_path):
    vals = [0.1, 1 / 3, 1e-310, float("nan")]
    mg.save(vals, tmp_path / "f.npz")
    back = mg.load(tmp_path / "f.npz")
    assert back[:3] == vals[:3] and np.isnan(back[3])


def test_model_state_dict_round_trip(tmp_path):
    net = nn.Sequential(nn.Linear(3, 2), nn.ReLU(), nn.Linear(2, 1)).double()
    mg.save(net.state_dict(), str(tmp_path / "m.ckpt"))  # any suffix: the name is kept
    assert os.path.exists(tmp_path / "m.ckpt")
    net2 = nn.Sequential(nn.Linear(3, 2), nn.ReLU(), nn.Linear(2, 1)).double()
    net2.load_state_dict(mg.load(tmp_path / "m.ckpt"))
    for p, q in zip(net.parameters(), net2.parameters(), strict=True):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
        assert q.dtype == np.float64


def test_map_location_and_device_tensors(tmp_path, device):
    mg.save({"t": mg.ones(2, device=device)}, tmp_path / "d.npz")
    assert mg.load(tmp_path / "d.npz")["t"].device == "cpu"
    assert mg.load(tmp_path / "d.npz", map_location=device)["t"].device == device


def test_no_pickle_in_the_archive(tmp_path):
    mg.save({"a": mg.ones(3), "b": [1, "x"]}, tmp_path / "p.npz")
    with np.load(tmp_path / "p.npz", allow_pickle=False) as z:
        assert "__minigrad__" in z.files
        for k in z.files:
            assert z[k].dtype != object


def test_atomic_write_leaves_no_temp_files_and_replaces(tmp_path):
    path = tmp_path / "ck.npz"
    mg.save({"v": 1}, path)
    mg.save({"v": 2}, path)
    assert os.listdir(tmp_path) == ["ck.npz"]
    assert mg.load(path) == {"v": 2}


def test_failed_save_keeps_old_file_and_leaves_no_temp(tmp_path):
    path = tmp_path / "ck.npz"
    mg.save({"v": 1}, path)
    with pytest.raises(TypeError, match="cannot store object"):
        mg.save({"v": object()}, path)
    with pytest.raises(TypeError, match="Python objects"):
        mg.save(np.array([object()]), path)
    assert os.listdir(tmp_path) == ["ck.npz"] and mg.load(path) == {"v": 1}


def test_interrupted_write_leaves_old_file(tmp_path, monkeypatch):
    path = tmp_path / "ck.npz"
    mg.save({"v": 1}, path)

    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(KeyboardInterrupt):
        mg.save({"v": 2}, path)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["ck.npz"] and mg.load(path) == {"v": 1}


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.npz"):
        mg.load(tmp_path / "nope.npz")


def test_truncated_file(tmp_path):
    path = tmp_path / "ck.npz"
    mg.save({"w": mg.randn(100, 100)}, path)
    data = path.read_bytes()
    for cut in (len(data) // 2, 10, 0):
        path.write_bytes(data[:cut])
        with pytest.raises(ValueError, match="ck.npz.*not a minigrad checkpoint.*truncated"):
            mg.load(path)


def test_foreign_files(tmp_path):
    npz = tmp_path / "foreign.npz"
    np.savez(npz, x=np.ones(3))
    with pytest.raises(ValueError, match="foreign.npz.*not a minigrad checkpoint"):
        mg.load(npz)
    npy = tmp_path / "plain.npy"
    np.save(npy, np.ones(3))
    with pytest.raises(ValueError, match="plain.npy.*not a minigrad checkpoint"):
        mg.load(npy)
    junk = tmp_path / "junk.bin"
    junk.write_bytes(np.random.default_rng(0).bytes(1000))
    with pytest.raises(ValueError, match="junk.bin.*not a minigrad checkpoint"):
        mg.load(junk)
    bad_json = tmp_path / "bad.npz"
    np.savez(bad_json, __minigrad__=np.frombuffer(b"{not json", dtype=np.uint8))
    with pytest.raises(ValueError, match="bad.npz.*not a minigrad checkpoint"):
        mg.load(bad_json)


def test_newer_format_version_is_refused(tmp_path):
    path = tmp_path / "new.npz"
    mg.save([1], path)
    with zipfile.ZipFile(path) as z:
        meta = (
            np.load(z.open("__minigrad__.npy")).tobytes().replace(b'"version": 1', b'"version": 99')
        )
    np.savez(path, __minigrad__=np.frombuffer(meta, dtype=np.uint8))
    with pytest.raises(ValueError, match="version 99"):
        mg.load(path)


def test_file_objects(tmp_path):
    import io

    buf = io.BytesIO()
    mg.save({"a": mg.ones(2)}, buf)
    buf.seek(0)
    np.testing.assert_array_equal(mg.load(buf)["a"].numpy(), 1)


# ---------------------------------------------------------------------- hostile files
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_device_and_folder_are_refused_by_name_without_opening(tmp_path):
    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)  # opening it for reading would block until a writer came
    with pytest.raises(ValueError, match=r"pipe\.npz' is a FIFO"):
        mg.load(fifo)
    with pytest.raises(ValueError, match="is a folder, not a checkpoint file"):
        mg.load(tmp_path)
    if os.path.exists("/dev/null"):
        with pytest.raises(ValueError, match="/dev/null' is a character device"):
            mg.load("/dev/null")


def _add_entry(path, name, chunks, compress=zipfile.ZIP_DEFLATED):
    with zipfile.ZipFile(path, "a", compression=compress) as z, z.open(name, "w") as f:
        for chunk in chunks:
            f.write(chunk)


def test_unused_entries_are_not_read(tmp_path):
    import tracemalloc

    path = tmp_path / "ck.npz"
    mg.save({"w": mg.ones(3)}, path)
    # 64 MiB of zeros nothing refers to, deflated to ~64 KiB: it must not be decompressed
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "|u1", "fortran_order": False, "shape": (64 * 2**20,)}
    )
    _add_entry(path, "a9.npy", [header.getvalue()] + [bytes(2**20)] * 64)
    assert path.stat().st_size < 2**20
    tracemalloc.start()
    try:
        out = mg.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    np.testing.assert_array_equal(out["w"].numpy(), 1)
    assert peak < 8 * 2**20


def test_entry_sizes_are_bounded_by_their_headers(tmp_path, monkeypatch):
    path = tmp_path / "ck.npz"
    mg.save({"w": np.arange(1000.0)}, path)
    monkeypatch.setattr(serialization, "MAX_ENTRY_BYTES", 1000)
    with pytest.raises(ValueError, match=r"ck\.npz' entry 'a0' declares 8128 bytes.*limit"):
        mg.load(path)
    monkeypatch.undo()
    # an array header declaring far more than the entry holds: refused before allocating
    lying = tmp_path / "lying.npz"
    mg.save({"w": np.zeros(2)}, lying)
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f8", "fortran_order": False, "shape": (10**12,)}
    )
    with zipfile.ZipFile(lying) as z:
        entries = {n: z.read(n) for n in z.namelist()}
    entries["a0.npy"] = header.getvalue() + bytes(16)
    with zipfile.ZipFile(lying, "w") as z:
        for n, b in entries.items():
            z.writestr(n, b)
    with pytest.raises(ValueError, match=r"lying\.npz' entry 'a0'.*declares a \(1000000000000,\)"):
        mg.load(lying)


def test_deflate_bomb_ratio_is_refused(tmp_path):
    path = tmp_path / "bomb.npz"
    mg.save({"w": np.zeros(2)}, path)
    with zipfile.ZipFile(path) as z:
        entries = {n: z.read(n) for n in z.namelist()}
    with zipfile.ZipFile(path, "w") as z:
        for n, b in entries.items():
            z.writestr(n, b)
    raw = bytearray(path.read_bytes())
    # declare 2 GiB for a0 in its central-directory record (uncompressed size field)
    cd = raw.rfind(b"PK\x01\x02", 0, raw.rfind(b"a0.npy") + 1)
    raw[cd + 24 : cd + 28] = (2**31).to_bytes(4, "little")
    path.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match=r"bomb\.npz' entry 'a0' declares 2147483648 bytes"):
        mg.load(path)


def test_pickled_entry_is_refused(tmp_path):
    path = tmp_path / "evil.npz"
    mg.save({"w": np.zeros(2)}, path)
    with zipfile.ZipFile(path) as z:
        meta = z.read("__minigrad__.npy")
    evil = io.BytesIO()
    np.save(evil, np.array([{"x": 1}], dtype=object), allow_pickle=True)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("__minigrad__.npy", meta)
        z.writestr("a0.npy", evil.getvalue())
    with pytest.raises(ValueError, match=r"evil\.npz' entry 'a0' holds Python objects"):
        mg.load(path)


def test_fortran_order_and_big_endian_entries_round_trip(tmp_path):
    path = tmp_path / "ck.npz"
    a = np.asfortranarray(np.arange(12.0).reshape(3, 4))
    b = np.arange(5, dtype=">i4")
    mg.save({"a": a, "b": b, "e": np.zeros((0, 3)), "s": np.float32(2.5)}, path)
    out = mg.load(path)
    np.testing.assert_array_equal(out["a"], a)
    np.testing.assert_array_equal(out["b"], b)
    assert out["e"].shape == (0, 3) and out["s"] == np.float32(2.5)
    out["a"][0, 0] = 7  # loaded arrays are writable
