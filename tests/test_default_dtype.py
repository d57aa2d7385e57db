"""`set_default_dtype` and `set_default_tensor_type`: what Python floats, the float
factories, new layers and the float results of integer ops become, checked against
PyTorch itself under the same default (float64 and float16)."""

import warnings

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as mnn
import minigrad.nn.functional as MF

torch = pytest.importorskip("torch")
tnn, TF = torch.nn, torch.nn.functional


@pytest.fixture
def default_back():
    """Whatever a test sets, the next one starts from float32 again, in both libraries."""
    yield
    mg.set_default_dtype(mg.float32)
    torch.set_default_dtype(torch.float32)


def _dtype_name(r):
    return str(r.dtype).replace("torch.", "")


# each expression runs with `L` the library (torch or minigrad), `nn`/`F` its modules
EXPRESSIONS = [
    "L.tensor(1.5)",
    "L.tensor([1, 2.5])",
    "L.tensor([1, 2])",
    "L.tensor([True])",
    "L.tensor(1 + 2j)",
    "L.tensor(np.float32(1.5))",
    "L.tensor(np.array([1.5]))",
    "L.tensor([np.float64(1.5), 2.0])",
    "L.as_tensor([1.5, 2])",
    "L.zeros(2)",
    "L.ones(2, 3)",
    "L.empty(2).fill_(0)",
    "L.full((2,), 1.5)",
    "L.full((2,), 3)",
    "L.full((2,), True)",
    "L.rand(3) * 0",
    "L.randn(3) * 0",
    "L.arange(5)",
    "L.arange(0, 1, 0.25)",
    "L.arange(5.0)",
    "L.linspace(0, 1, 5)",
    "L.logspace(0, 1, 3)",
    "L.eye(2)",
    "L.Tensor([1, 2])",
    "L.Tensor(2, 0)",
    "L.tensor([1, 2]) / 2",
    "L.tensor([1, 2]) / L.tensor([3, 4])",
    "L.tensor([1, 2]) * 1.5",
    "L.tensor([1, 2]) + 0.5",
    "1.5 * L.tensor([1, 2])",
    "L.tensor([1, 2]) ** 0.5",
    "L.tensor([2, 3]) % 1.5",
    "L.tensor([2, 3]) // 1.5",
    "L.tensor([1, 2]).sqrt()",
    "L.tensor([1, 2]).exp()",
    "L.tensor([1, 2]).sin()",
    "L.tensor([1, 2]).reciprocal()",
    "L.atan2(L.tensor([1]), L.tensor([2]))",
    "L.where(L.tensor([True, False]), L.tensor([1, 2]), 0.5)",
    "L.clamp(L.tensor([1, 2]), min=1.5)",
    "L.tensor([1, 2]).float()",
    "L.tensor([1, 2]).double()",
    "L.tensor([1.5], dtype=L.float32) * 2.5",
    "L.tensor([1.5], dtype=L.float32) + L.tensor(2.5)",
    "L.tensor([1, 2]) + L.tensor(0.5)",
    "L.tensor([1, 2], dtype=L.uint8) * 0.5",
    "L.tensor([1.0]).new_tensor([2.5])",
    "L.tensor([1]).new_full((2,), 3.5)",
    "L.tensor([1.0], dtype=L.float32).new_zeros(2)",
    "L.searchsorted(L.tensor([1, 2, 3]), 2.5)",
    "F.one_hot(L.tensor([0, 2]), 3)",
    "F.mse_loss(L.tensor([1.0, 2.0]), L.tensor([1.5, 2.5]))",
    "L.finfo().eps",
    "L.tensor(0.1).item()",
    "L.tensor([0.1]).tolist()",
]


def _run(lib, expr):
    if lib == "torch":
        L, nn, F = torch, tnn, TF  # noqa: F841 - read by eval
    else:
        L, nn, F = mg, mnn, MF  # noqa: F841
    return eval(expr)


@pytest.mark.parametrize("default", ["float64", "float16"])
@pytest.mark.parametrize("expr", EXPRESSIONS)
def test_default_dtype_as_pytorch(default_back, default, expr):
    mg.set_default_dtype(getattr(mg, default))
    if "j)" in expr and default == "float16":  # PyTorch's complex32: minigrad has none
        assert _run("minigrad", expr).dtype == mg.complex64
        return
    torch.set_default_dtype(getattr(torch, default))
    want, got = _run("torch", expr), _run("minigrad", expr)
    if isinstance(want, torch.Tensor):
        assert _dtype_name(got) == _dtype_name(want), expr
        assert tuple(got.shape) == tuple(want.shape), expr
        if not expr.startswith(("L.rand", "L.empty")):
            g, w = got.numpy(), want.numpy()
            if g.dtype.kind == "f":
                # the dtype is this test's point; the values may differ in their last bit:
                # PyTorch 2.13.0's float64 sqrt and ** 0.5 give sqrt(2) = 1.414213562373095
                # on an AVX-512 Xeon, an ulp below the correctly rounded value minigrad gives
                np.testing.assert_array_max_ulp(g, w, maxulp=1)
            else:
                np.testing.assert_array_equal(g, w)
    else:
        assert got == want and type(got) is type(want), (expr, got, want)


@pytest.mark.parametrize("default", ["float64", "float16", "float32"])
def test_new_layers_and_optimizer_state_take_the_default(default_back, default):
    mg.set_default_dtype(getattr(mg, default))
    torch.set_default_dtype(getattr(torch, default))
    for make in (
        lambda nn: nn.Linear(2, 3),
        lambda nn: nn.Conv2d(1, 2, 3),
        lambda nn: nn.ConvTranspose2d(2, 1, 3),
        lambda nn: nn.BatchNorm2d(3),
        lambda nn: nn.LayerNorm(3),
        lambda nn: nn.Embedding(5, 3),
        lambda nn: nn.LSTM(2, 3),
        lambda nn: nn.MultiheadAttention(4, 2),
        lambda nn: nn.Bilinear(2, 2, 3),
        lambda nn: nn.GroupNorm(1, 2),
    ):
        want = {k: _dtype_name(v) for k, v in make(tnn).state_dict().items()}
        got = {k: _dtype_name(v) for k, v in make(mnn).state_dict().items()}
        assert got == want
    m = mnn.Linear(2, 1)
    opt = mg.optim.Adam(m.parameters())
    m(mg.ones(1, 2)).sum().backward()
    opt.step()
    step = opt.state_dict()["state"][0]["step"]
    tm = tnn.Linear(2, 1)
    topt = torch.optim.Adam(tm.parameters())
    tm(torch.ones(1, 2)).sum().backward()
    topt.step()
    assert _dtype_name(step) == _dtype_name(topt.state_dict()["state"][0]["step"])


def test_training_under_a_float64_default_matches_pytorch(default_back):
    """A program that sets float64 first (as scientific code does) and then builds its
    model and data without naming a dtype trains as PyTorch's, to float64 rounding."""
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((16, 3)), rng.standard_normal((16, 1))
    weights = [rng.standard_normal(s) * 0.5 for s in [(8, 3), (8,), (1, 8), (1,)]]
    losses = {}
    for name, L, nn in (("torch", torch, tnn), ("minigrad", mg, mnn)):
        L.set_default_dtype(L.float64)
        model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
        with L.no_grad():
            for p, w in zip(model.parameters(), weights, strict=True):
                p.copy_(L.tensor(w.tolist()))  # Python floats: the default dtype
        opt = L.optim.Adam(model.parameters(), lr=0.05)
        xs, ys = L.tensor(x.tolist()), L.tensor(y.tolist())
        run = []
        for _ in range(5):
            loss = ((model(xs) - ys) ** 2).mean() + 0.5 * model[0].weight.abs().sum() * 1e-3
            opt.zero_grad()
            loss.backward()
            opt.step()
            run.append(loss.item())
        assert model[0].weight.dtype == L.float64 and xs.dtype == L.float64
        losses[name] = run
    np.testing.assert_allclose(losses["minigrad"], losses["torch"], rtol=1e-12)


def test_tensors_made_before_keep_their_dtype(default_back):
    a = mg.tensor([1.5])
    mg.set_default_dtype(mg.float64)
    b = mg.tensor([1.5])
    assert a.dtype == mg.float32 and b.dtype == mg.float64
    assert (a * 2.5).dtype == mg.float32  # a float tensor keeps its dtype with a number
    assert mg.get_default_dtype() is mg.float64
    mg.set_default_dtype(mg.float32)
    assert mg.tensor(1.5).dtype == mg.float32 and mg.get_default_dtype() is mg.float32


@pytest.mark.parametrize("bad", [mg.int64, mg.int32, mg.bool, mg.complex64, np.dtype("int8")])
def test_non_float_defaults_are_refused_as_pytorch(default_back, bad):
    with pytest.raises(TypeError, match="only floating-point types"):
        mg.set_default_dtype(bad)
    assert mg.get_default_dtype() is mg.float32  # unchanged


@pytest.mark.parametrize("bad", ["float64", 3, None, mg.bfloat16])
def test_a_default_that_is_no_dtype_is_refused(default_back, bad):
    with pytest.raises(TypeError):
        mg.set_default_dtype(bad)
    assert mg.get_default_dtype() is mg.float32


def test_set_default_tensor_type(default_back):
    with pytest.warns(UserWarning, match="deprecated"):
        mg.set_default_tensor_type(mg.DoubleTensor)
    assert mg.tensor(1.5).dtype == mg.float64
    with pytest.warns(UserWarning):
        mg.set_default_tensor_type("torch.FloatTensor")
    assert mg.tensor(1.5).dtype == mg.float32
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for bad, err in [("torch.IntTensor", TypeError), (mg.LongTensor, TypeError)]:
            with pytest.raises(err, match="only floating-point types"):
                mg.set_default_tensor_type(bad)
            with pytest.raises(err):
                torch.set_default_tensor_type(bad if isinstance(bad, str) else torch.LongTensor)
        with pytest.raises(TypeError, match="invalid type"):
            mg.set_default_tensor_type("torch.NoSuchTensor")
        with pytest.raises(TypeError, match="invalid type"):
            mg.set_default_tensor_type(mg.float64)
    assert mg.get_default_dtype() is mg.float32
