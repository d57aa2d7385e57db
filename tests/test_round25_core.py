"""Round 25 of the hostile reviews: fixes made outside the reviewers' areas' own files."""

import copy
import io
import pickle

import pytest

import minigrad as mg

torch = pytest.importorskip("torch")


def test_tensor_device_has_pytorchs_type_and_index():
    x, tx = mg.ones(2), torch.ones(2)
    assert x.device.type == tx.device.type == "cpu"
    assert x.device.index is tx.device.index is None  # was str.index, a bound method
    assert repr(x.device) == repr(tx.device) == "device(type='cpu')"
    assert str(x.device) == str(tx.device) == "cpu"
    # still the string minigrad's own code and users' string comparisons rely on
    assert x.device == "cpu" and x.device == mg.device("cpu") and {"cpu": 1}[x.device] == 1
    assert isinstance(x.device, mg.device) and isinstance(x.device, str)
    model = mg.nn.Linear(2, 1)
    assert next(model.parameters()).device.type == "cpu"
    with mg.autocast(device_type=x.device.type):  # the idiom that raised AttributeError
        y = model(x)
    assert y.shape == (1,)


@pytest.mark.parametrize("name", ["cpu", "cuda", "cuda:1"])
def test_device_objects_as_pytorchs(name):
    d, td = mg.device(name), torch.device(name)
    assert (d.type, d.index, str(d), repr(d)) == (td.type, td.index, str(td), repr(td))
    assert d == name and mg.device(d) is d
    assert mg.device("cuda", 1) == mg.device("cuda:1") != mg.device("cuda")
    for back in (pickle.loads(pickle.dumps(d)), copy.deepcopy(d)):
        assert (back, back.type, back.index) == (d, d.type, d.index)
    buf = io.BytesIO()
    mg.save({"device": d}, buf)
    buf.seek(0)
    back = mg.load(buf)["device"]
    assert isinstance(back, mg.device) and (back.type, back.index) == (td.type, td.index)


def test_bad_device_names_are_refused():
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        mg.device("tpu")
    with pytest.raises(ValueError):
        mg.ones(2).to("tpu")


@pytest.mark.parametrize(
    ("mean_dt", "std_dt"), [("float32", "float64"), ("float64", "float32"), ("float16", "float32")]
)
def test_normal_of_two_tensors_has_the_means_dtype(mean_dt, std_dt):
    want = torch.normal(
        torch.zeros(3, dtype=getattr(torch, mean_dt)), torch.ones(3, dtype=getattr(torch, std_dt))
    )
    got = mg.normal(mg.zeros(3, dtype=mean_dt), mg.ones(3, dtype=std_dt))
    assert str(got.dtype) == str(want.dtype).removeprefix("torch.") == mean_dt
    assert got.shape == tuple(want.shape)
