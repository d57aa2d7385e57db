"""Round 9: fusion, skip_init, functional_call, lazy modules and Adafactor against torch."""

import warnings

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
from minigrad import func
from minigrad.nn import utils as U

torch = pytest.importorskip("torch")


def _np(t):
    return t.detach().numpy() if isinstance(t, torch.Tensor) else t.detach()._data


def _copy_into(m, t):
    m.load_state_dict({k: mg.Tensor(v.detach().numpy().copy()) for k, v in t.state_dict().items()})


def _trained_bn(tbn, mbn, shape):
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32) * 2 + 1
    tbn(torch.tensor(x))
    with torch.no_grad():
        tbn.weight.uniform_(0.5, 1.5)
        tbn.bias.uniform_(-1, 1)
    _copy_into(mbn, tbn)
    return tbn.eval(), mbn.eval()


# ------------------------------------------------------------------ fusion
@pytest.mark.parametrize("bias", [True, False])
def test_fuse_conv_bn_eval(bias):
    torch.manual_seed(0)
    tc, mc = torch.nn.Conv2d(3, 4, 3, bias=bias).eval(), nn.Conv2d(3, 4, 3, bias=bias).eval()
    _copy_into(mc, tc)
    tbn, mbn = _trained_bn(torch.nn.BatchNorm2d(4), nn.BatchNorm2d(4), (5, 4, 3, 3))
    tf = torch.nn.utils.fuse_conv_bn_eval(tc, tbn)
    mf = U.fuse_conv_bn_eval(mc, mbn)
    assert mf is not mc and mc.bias is None if not bias else True
    for name in ("weight", "bias"):
        np.testing.assert_allclose(_np(getattr(mf, name)), _np(getattr(tf, name)), rtol=1e-6)
        assert getattr(mf, name).requires_grad == getattr(tf, name).requires_grad
    x = np.random.default_rng(1).standard_normal((2, 3, 5, 5)).astype(np.float32)
    ref = tbn(tc(torch.tensor(x)))
    np.testing.assert_allclose(_np(mf(mg.Tensor(x))), _np(ref), rtol=1e-5, atol=1e-5)


def test_fuse_conv_transpose_bn_eval():
    torch.manual_seed(0)
    tc, mc = torch.nn.ConvTranspose2d(3, 4, 3).eval(), nn.ConvTranspose2d(3, 4, 3).eval()
    _copy_into(mc, tc)
    tbn, mbn = _trained_bn(torch.nn.BatchNorm2d(4), nn.BatchNorm2d(4), (5, 4, 3, 3))
    tf = torch.nn.utils.fuse_conv_bn_eval(tc, tbn, transpose=True)
    mf = U.fuse_conv_bn_eval(mc, mbn, transpose=True)
    np.testing.assert_allclose(_np(mf.weight), _np(tf.weight), rtol=1e-6)
    np.testing.assert_allclose(_np(mf.bias), _np(tf.bias), rtol=1e-6)


def test_fuse_linear_bn_eval_and_errors():
    torch.manual_seed(0)
    tl, ml = torch.nn.Linear(3, 4).eval(), nn.Linear(3, 4).eval()
    _copy_into(ml, tl)
    tbn, mbn = _trained_bn(torch.nn.BatchNorm1d(4), nn.BatchNorm1d(4), (6, 4))
    tf = torch.nn.utils.fuse_linear_bn_eval(tl, tbn)
    mf = U.fuse_linear_bn_eval(ml, mbn)
    np.testing.assert_allclose(_np(mf.weight), _np(tf.weight), rtol=1e-6)
    np.testing.assert_allclose(_np(mf.bias), _np(tf.bias), rtol=1e-6)
    with pytest.raises(AssertionError, match="Fusion only for eval!"):
        U.fuse_linear_bn_eval(nn.Linear(3, 4), mbn)
    with pytest.raises(AssertionError, match="linear.out_features == bn.num_features"):
        U.fuse_linear_bn_eval(nn.Linear(3, 5).eval(), mbn)
    w, b = U.fuse_linear_bn_weights(
        ml.weight, None, mbn.running_mean, mbn.running_var, 1e-5, mbn.weight, mbn.bias
    )
    tw, tb = torch.nn.utils.fuse_linear_bn_weights(
        tl.weight, None, tbn.running_mean, tbn.running_var, 1e-5, tbn.weight, tbn.bias
    )
    np.testing.assert_allclose(_np(b), _np(tb), rtol=1e-6)
    assert b.requires_grad == tb.requires_grad


# ------------------------------------------------------------------ skip_init
def test_skip_init_keeps_generator_state():
    mg.manual_seed(0)
    m = U.skip_init(nn.Linear, 3, 4)
    after = mg.randn(2)
    mg.manual_seed(0)
    np.testing.assert_array_equal(_np(after), _np(mg.randn(2)))
    assert type(m) is nn.Linear and m.weight.shape == (4, 3)
    with pytest.raises(RuntimeError, match="Expected a Module"):
        U.skip_init(int)
    with pytest.raises(RuntimeError, match="Module must support a 'device' arg"):
        U.skip_init(nn.ReLU)


# ------------------------------------------------------------------ functional_call
class TTied(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.a = torch.nn.Linear(3, 3)
        self.b = self.a
        self.register_buffer("scale", torch.ones(3))

    def forward(self, x):
        return self.b(self.a(x)) * self.scale


class MTied(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(3, 3)
        self.b = self.a
        self.register_buffer("scale", mg.ones(3))

    def forward(self, x):
        return self.b(self.a(x)) * self.scale


def test_functional_call_matches_torch_and_restores():
    torch.manual_seed(0)
    t, m = TTied(), MTied()
    _copy_into(m, t)
    rng = np.random.default_rng(0)
    w = rng.standard_normal((3, 3)).astype(np.float32)
    s = rng.standard_normal(3).astype(np.float32)
    x = rng.standard_normal((2, 3)).astype(np.float32)
    tw = torch.tensor(w, requires_grad=True)
    mw = mg.Tensor(w, requires_grad=True)
    before = _np(t(torch.tensor(x))).copy()
    tout = torch.func.functional_call(
        t, {"a.weight": tw, "scale": torch.tensor(s)}, (torch.tensor(x),)
    )
    mout = func.functional_call(m, {"a.weight": mw, "scale": mg.Tensor(s)}, (mg.Tensor(x),))
    np.testing.assert_allclose(_np(mout), _np(tout), rtol=1e-5)
    tout.sum().backward()
    mout.sum().backward()
    np.testing.assert_allclose(_np(mw.grad), _np(tw.grad), rtol=1e-5)
    assert m.a.weight.grad is None
    assert isinstance(m.a.weight, nn.Parameter)
    # restored (torch 2.13 leaves a tied module holding the dict's tensor: not mirrored)
    np.testing.assert_allclose(_np(m(mg.Tensor(x))), before, rtol=1e-5)
    with torch.no_grad():
        t.a.weight = torch.nn.Parameter(torch.tensor(_np(m.a.weight).copy()))
        t.b = t.a
    # tie_weights=False: b.weight keeps the module's own value
    tout = torch.func.functional_call(t, {"a.weight": tw}, torch.tensor(x), tie_weights=False)
    mout = func.functional_call(m, {"a.weight": mw}, mg.Tensor(x), tie_weights=False)
    np.testing.assert_allclose(_np(mout), _np(tout), rtol=1e-5)


def test_functional_call_errors_and_stateless_warning():
    m = MTied()
    with pytest.raises(RuntimeError, match=r"Missing key\(s\): 'a.bias', 'b.bias'"):
        func.functional_call(m, {"a.weight": mg.zeros(3, 3)}, mg.zeros(1, 3), strict=True)
    with pytest.raises(ValueError, match="which are tied"):
        func.functional_call(
            m, {"a.weight": mg.zeros(3, 3), "b.weight": mg.ones(3, 3)}, mg.zeros(1, 3)
        )
    with pytest.raises(ValueError, match="appeared in multiple dictionaries"):
        func.functional_call(m, ({"scale": mg.ones(3)}, {"scale": mg.ones(3)}), mg.zeros(1, 3))
    with pytest.warns(FutureWarning, match="stateless.functional_call` is deprecated"):
        out = U.stateless.functional_call(m, {"scale": mg.zeros(3)}, (mg.ones(1, 3),))
    np.testing.assert_array_equal(_np(out), 0)


def test_functional_call_gradcheck_float64():
    m = nn.Linear(3, 2).double()
    x = mg.Tensor(np.random.default_rng(0).standard_normal((4, 3)))

    def f(w, b):
        return func.functional_call(m, {"weight": w, "bias": b}, (x,)).tanh()

    w = mg.Tensor(np.random.default_rng(1).standard_normal((2, 3)), requires_grad=True)
    b = mg.Tensor(np.random.default_rng(2).standard_normal(2), requires_grad=True)
    assert mg.gradcheck(f, (w, b))
    assert mg.gradgradcheck(f, (w, b))


# ------------------------------------------------------------------ lazy modules
LAZY = [
    ("LazyLinear", (3,), (2, 5)),
    ("LazyConv1d", (4, 3), (2, 3, 7)),
    ("LazyConv2d", (4, 3), (2, 3, 6, 6)),
    ("LazyConv3d", (2, 2), (1, 3, 4, 4, 4)),
    ("LazyConvTranspose1d", (4, 3), (2, 3, 5)),
    ("LazyConvTranspose2d", (4, 3), (2, 3, 4, 4)),
    ("LazyConvTranspose3d", (2, 2), (1, 3, 3, 3, 3)),
    ("LazyBatchNorm1d", (), (4, 3)),
    ("LazyBatchNorm2d", (), (4, 3, 2, 2)),
    ("LazyBatchNorm3d", (), (2, 3, 2, 2, 2)),
    ("LazyInstanceNorm1d", (), (2, 3, 5)),
    ("LazyInstanceNorm2d", (), (2, 3, 4, 4)),
    ("LazyInstanceNorm3d", (), (2, 3, 2, 2, 2)),
]


@pytest.mark.parametrize("name, args, shape", LAZY)
def test_lazy_module_becomes_its_class(name, args, shape):
    t = getattr(torch.nn, name)(*args)
    m = getattr(nn, name)(*args)
    assert repr(m) == repr(t)
    assert m.has_uninitialized_params()
    assert list(m.state_dict()) == list(t.state_dict())
    assert repr(m.weight) == repr(t.weight) == "<UninitializedParameter>"
    assert isinstance(m.weight, nn.UninitializedParameter)
    with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized"):
        m.weight.shape  # noqa: B018
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    t(torch.tensor(x))
    m(mg.Tensor(x))
    assert type(m).__name__ == type(t).__name__
    assert type(m) is getattr(nn, type(t).__name__)
    assert repr(m) == repr(t)
    assert not hasattr(m, "has_uninitialized_params")
    for k, v in t.state_dict().items():
        assert tuple(m.state_dict()[k].shape) == tuple(v.shape), k
    _copy_into(m, t)
    np.testing.assert_allclose(_np(m(mg.Tensor(x))), _np(t(torch.tensor(x))), rtol=1e-4, atol=1e-5)


def test_lazy_optimizer_before_first_forward_and_load():
    m = nn.LazyLinear(3)
    opt = mg.optim.Adam(m.parameters(), lr=0.1)
    x = mg.randn(2, 5)
    m(x).sum().backward()
    opt.step()
    assert m.weight.shape == (3, 5) and len(opt.state) == 2
    m2 = nn.LazyLinear(3)
    m2.load_state_dict(nn.Linear(5, 3).state_dict())
    assert type(m2) is nn.LazyLinear and m2.weight.shape == (3, 5)
    m3 = nn.LazyConv2d(4, 3)
    with pytest.raises(RuntimeError, match=r"Expected 3D \(unbatched\) or 4D \(batched\) input"):
        m3(mg.zeros(3, 3))


# ------------------------------------------------------------------ Adafactor
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "kw",
    [{}, {"weight_decay": 0.1, "maximize": True}, {"lr": 0.5, "d": 2.0, "eps": (1e-30, 1e-2)}],
)
def test_adafactor_matches_torch(dtype, kw):
    rng = np.random.default_rng(0)
    ws = [rng.standard_normal(s).astype(dtype) for s in [(4, 3), (5,), (2, 3, 4), ()]]
    tp = [torch.tensor(w.copy(), requires_grad=True) for w in ws]
    mp = [mg.Tensor(w.copy(), requires_grad=True) for w in ws]
    to, mo = torch.optim.Adafactor(tp, **kw), mg.optim.Adafactor(mp, **kw)
    assert repr(mo) == repr(to)
    for _ in range(5):
        for a, b in zip(tp, mp, strict=True):
            g = rng.standard_normal(a.shape).astype(dtype)
            a.grad, b.grad = torch.tensor(g), mg.Tensor(g)
        to.step()
        mo.step()
    tol = 2e-6 if dtype == np.float32 else 1e-12
    for a, b in zip(tp, mp, strict=True):
        np.testing.assert_allclose(_np(b), _np(a), rtol=tol, atol=tol)
    ts, ms = to.state_dict(), mo.state_dict()
    assert ts["param_groups"][0].keys() == ms["param_groups"][0].keys()
    for i in ts["state"]:
        assert list(ms["state"][i]) == list(ts["state"][i])
        for k, v in ts["state"][i].items():
            assert ms["state"][i][k].shape == tuple(v.shape)
            np.testing.assert_allclose(_np(ms["state"][i][k]), _np(v), rtol=1e-5, atol=1e-7)


def test_adafactor_state_dict_round_trip_and_errors(tmp_path):
    p = mg.Tensor(np.ones((3, 2), np.float32), requires_grad=True)
    opt = mg.optim.Adafactor([p])
    p.grad = mg.ones(3, 2)
    opt.step()
    mg.save(opt.state_dict(), str(tmp_path / "o.pt"))
    q = mg.Tensor(np.ones((3, 2), np.float32), requires_grad=True)
    opt2 = mg.optim.Adafactor([q])
    opt2.load_state_dict(mg.load(str(tmp_path / "o.pt")))
    np.testing.assert_array_equal(_np(opt2.state[q]["row_var"]), _np(opt.state[p]["row_var"]))
    for kw, msg in [
        ({"lr": -1.0}, "Learning rate should be >= 0"),
        ({"beta2_decay": 0.5}, "beta2_decay should be <= 0"),
        ({"eps": (-1.0, 1e-3)}, "epsilon1 should be >= 0"),
        ({"d": 0.5}, "Clipping threshold d should be >= 1"),
        ({"weight_decay": -1.0}, "weight_decay should be >= 0"),
    ]:
        with pytest.raises(ValueError, match=msg):
            mg.optim.Adafactor([p], **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mg.optim.Adafactor([p], foreach=True)
