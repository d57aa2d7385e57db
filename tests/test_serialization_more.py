"""mg.save / mg.load against torch.save / torch.load: torch's load keywords (weights_only,
a dict or callable map_location), and the plain containers torch pickles (tuple keys,
sets, frozensets) coming back equal, still without pickle."""

import io

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")

LIBS = [mg, torch]


def _round_trip(lib, obj, **load_kwargs):
    buf = io.BytesIO()
    lib.save(obj, buf)
    buf.seek(0)
    return lib.load(buf, **load_kwargs)


def test_load_accepts_weights_only():
    for lib in LIBS:
        for weights_only in (True, False, None):
            back = _round_trip(lib, {"w": lib.ones(2)}, weights_only=weights_only)
            assert back["w"].tolist() == [1.0, 1.0]


@pytest.mark.parametrize(
    "map_location",
    [lambda storage, loc: storage, lambda storage, loc: None, {"cpu": "cpu"}, {"cuda:0": "cpu"}],
    ids=["callable", "callable-none", "dict", "dict-other"],
)
def test_load_map_location_callable_and_dict(map_location):
    for lib in LIBS:
        back = _round_trip(lib, {"w": lib.ones(2)}, map_location=map_location)
        assert back["w"].tolist() == [1.0, 1.0] and str(back["w"].device) == "cpu"


def test_load_callable_map_location_sees_the_saved_location():
    def locations(lib):
        seen = []
        _round_trip(lib, {"w": lib.ones(2)}, map_location=lambda s, loc: seen.append(loc) or s)
        return seen

    assert locations(mg) == locations(torch) == ["cpu"]


def test_load_callable_map_location_must_return_a_tensor():
    with pytest.raises(TypeError, match="map_location returned"):
        _round_trip(mg, {"w": mg.ones(2)}, map_location=lambda s, loc: "cpu")


def test_tuple_keys_sets_and_plain_values_round_trip():
    def obj(lib):
        return {
            (1, 2): lib.ones(1),
            ("a", (3, None)): [None, True, 1, 2.5, "s"],
            "set": {1, 2, (3, 4)},
            "frozen": frozenset({"x", "y"}),
            frozenset({1}): ((), (None, False), {"deep": {(5,): 6}}),
            None: float("inf"),
        }

    # torch's default weights_only load refuses frozensets; minigrad's load runs no code
    got, want = _round_trip(mg, obj(mg)), _round_trip(torch, obj(torch), weights_only=False)
    assert list(got) == list(want)
    for k in want:
        if k == (1, 2):
            assert got[k].tolist() == want[k].tolist()
        else:
            assert got[k] == want[k] and type(got[k]) is type(want[k])


def test_unsupported_keys_and_values_are_still_refused():
    with pytest.raises(TypeError, match="has a key of type tuple"):
        mg.save({("a", object()): 0}, io.BytesIO())
    with pytest.raises(TypeError, match="cannot store object"):
        mg.save({1: {object()}}, io.BytesIO())


def test_load_passes_on_the_error_of_a_callable_map_location():
    def refuse(storage, location):
        raise KeyError(location)

    for lib in LIBS:
        with pytest.raises(KeyError):
            _round_trip(lib, {"w": lib.ones(2)}, map_location=refuse)


def test_saved_sets_hold_no_pickle(tmp_path):
    mg.save({"s": {1, 2}, (1, 2): mg.ones(1)}, tmp_path / "s.npz")
    with np.load(tmp_path / "s.npz", allow_pickle=False) as z:
        assert "__minigrad__" in z.files
