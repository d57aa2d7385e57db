"""hardshrink, softshrink, threshold, celu, rrelu, tanhshrink, softsign (functional, in-place
and layer forms), kthvalue, cummax and cummin, each compared with PyTorch itself: values,
dtypes, errors, NaN / inf, ties at the thresholds, first and second derivatives."""

import numpy as np
import pytest
from torch_ref import both, same

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional
# NaN and inf inputs (and gradients) make NumPy warn inside the ops, as intended
pytestmark = pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")

NAN, INF = float("nan"), float("inf")
# the thresholds of every op below (0, +-0.5, +-1, 0.2) and the special values
SPECIAL = [-INF, -2.0, -1.0, -0.5, -0.25, -0.0, 0.0, 0.2, 0.25, 0.5, 1.0, 3.0, INF, NAN]

# (name, call with a functional namespace); every op is float-valued on float input
OPS = {
    "hardshrink": lambda f, t: f.hardshrink(t),
    "hardshrink_1": lambda f, t: f.hardshrink(t, 1.0),
    "hardshrink_neg": lambda f, t: f.hardshrink(t, -0.5),
    "softshrink": lambda f, t: f.softshrink(t),
    "softshrink_1": lambda f, t: f.softshrink(t, lambd=1.0),
    "softshrink_0": lambda f, t: f.softshrink(t, 0.0),
    "threshold": lambda f, t: f.threshold(t, 0.2, -7.0),
    "threshold_up": lambda f, t: f.threshold(t, -0.5, 3.0),
    "threshold_nan": lambda f, t: f.threshold(t, 0.0, NAN),
    "celu": lambda f, t: f.celu(t),
    "celu_2": lambda f, t: f.celu(t, 2.0),
    "celu_neg": lambda f, t: f.celu(t, alpha=-0.5),
    "rrelu_eval": lambda f, t: f.rrelu(t),
    "rrelu_eval_args": lambda f, t: f.rrelu(t, 0.1, 0.3, False),
    "tanhshrink": lambda f, t: f.tanhshrink(t),
    "softsign": lambda f, t: f.softsign(t),
}
# transcendental ones: NumPy's tanh / expm1 may differ from PyTorch's by an ulp
TOL = {"tanhshrink": 2e-6, "celu": 1e-6, "celu_2": 1e-6, "celu_neg": 1e-6}
PIECEWISE = ["hardshrink", "softshrink", "threshold", "rrelu_eval"]


def _tol(name, dtype):
    rtol = TOL.get(name, 0.0)
    return rtol if dtype == "float32" else rtol * 1e-8


def _dtype(lib, name):
    return getattr(lib, name)


# ---------------------------------------------------------------------- forward
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(OPS))
def test_forward_special_values_match_torch(name, dtype):
    x, tx = both(SPECIAL, dtype)
    y, ty = OPS[name](F, x), OPS[name](TF, tx)
    tol = _tol(name, dtype)
    same(y, ty, atol=tol, rtol=tol)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(OPS))
def test_forward_0d_empty_and_non_contiguous(name, dtype):
    tol = _tol(name, dtype)
    for arr in (np.array(-0.7), np.array(0.5), np.zeros((0, 3)), np.zeros((2, 0))):
        x, tx = both(arr, dtype)
        same(OPS[name](F, x), OPS[name](TF, tx), atol=tol, rtol=tol)
    a = np.random.default_rng(0).standard_normal((4, 6)) * 2
    x, tx = both(a, dtype)
    for view, tview in ((x.T, tx.T), (x[:, ::2], tx[:, ::2]), (x[::-1], tx.flip(0))):
        same(OPS[name](F, view), OPS[name](TF, tview), atol=tol, rtol=tol)


def test_float16_matches_torch():
    a = np.array([-2.0, -0.5, -0.25, 0.0, 0.5, 1.0, NAN], np.float16)
    x, tx = mg.tensor(a), torch.tensor(a)
    for name in ("hardshrink", "softshrink", "threshold", "rrelu_eval", "celu"):
        same(OPS[name](F, x), OPS[name](TF, tx), atol=1e-3, rtol=1e-3)


def test_scalars_are_rounded_to_the_input_dtype_first():
    # 0.1 as float32 is 0.1f: the element at the threshold is dropped, as in PyTorch
    x, tx = both([0.1, 0.3], "float32")
    same(F.hardshrink(x, 0.1), TF.hardshrink(tx, 0.1))
    same(F.softshrink(x, 0.1), TF.softshrink(tx, 0.1))
    same(F.threshold(x, 0.1000000001, 0.3), TF.threshold(tx, 0.1000000001, 0.3))
    # a 0-d tensor is accepted as the scalar
    same(F.hardshrink(x, mg.tensor(0.2)), TF.hardshrink(tx, torch.tensor(0.2)))


def test_softshrink_zero_is_positive():
    # PyTorch's vectorised body gives +0.0 inside [-lambd, lambd] (its scalar tail -0.0)
    a = np.full(64, -0.25, np.float32)
    y, ty = F.softshrink(mg.tensor(a)), TF.softshrink(torch.tensor(a))
    assert not np.signbit(y.numpy()).any()
    assert not np.signbit(ty.numpy()[:32]).any()


@pytest.mark.parametrize("dtype", ["int64", "int32", "int8", "uint8"])
def test_integer_inputs_match_torch(dtype):
    a = np.array([-3, -2, -1, 0, 1, 2, 3] if dtype != "uint8" else [0, 1, 2, 3, 200])
    x, tx = mg.tensor(a.astype(dtype)), torch.tensor(a.astype(dtype))
    # threshold truncates both scalars to the integer dtype (-2.9 -> -2, 7.9 -> 7)
    pairs = ((0, 5), (0.5, 7.9), (2.9, 9), (1.5, 200)) if dtype == "uint8" else None
    for th, v in pairs or ((0, 5), (0.5, 7.9), (-2.9, 9), (2, -1), (-1.5, 2.5)):
        same(F.threshold(x, th, v), TF.threshold(tx, th, v))
    for name in ("hardshrink", "softshrink", "celu", "rrelu_eval"):
        with pytest.raises(NotImplementedError):
            OPS[name](TF, tx)
        with pytest.raises(NotImplementedError, match=name.split("_")[0]):
            OPS[name](F, x)
    for name in ("tanhshrink", "softsign"):
        same(OPS[name](F, x), OPS[name](TF, tx), atol=1e-6, rtol=1e-6)


def test_unsigned_threshold_wraps_a_negative_int_as_torch():
    x, tx = mg.tensor(np.array([1, 200], np.uint8)), torch.tensor([1, 200], dtype=torch.uint8)
    same(F.threshold(x, -1, 3), TF.threshold(tx, -1, 3))  # -1 is 255
    with pytest.raises(RuntimeError):
        TF.threshold(tx, -1.0, 3)
    with pytest.raises(RuntimeError, match="threshold"):
        F.threshold(x, -1.0, 3)


def test_bool_inputs_are_refused_as_in_torch():
    x, tx = mg.tensor([True, False]), torch.tensor([True, False])
    for name in ("hardshrink", "softshrink", "threshold", "celu", "rrelu_eval", "softsign"):
        with pytest.raises(NotImplementedError):
            OPS[name](TF, tx)
        with pytest.raises(NotImplementedError):
            OPS[name](F, x)
    with pytest.raises(RuntimeError):
        TF.tanhshrink(tx)
    with pytest.raises(RuntimeError, match="tanhshrink"):
        F.tanhshrink(x)


def test_argument_errors_match_torch():
    x, tx = both([-1.0, 0.2, 1.0], "float32")
    cases = [
        (RuntimeError, "softshrink", lambda f, t: f.softshrink(t, -0.5)),
        (RuntimeError, "softshrink", lambda f, t: f.softshrink(t, NAN)),
        (RuntimeError, "softshrink", lambda f, t: f.softshrink(t, INF)),
        (RuntimeError, "alpha cannot be 0", lambda f, t: f.celu(t, 0.0)),
        (RuntimeError, "overflow", lambda f, t: f.celu(t, 1e40)),
        (RuntimeError, "overflow", lambda f, t: f.hardshrink(t, 1e40)),
        (RuntimeError, "overflow", lambda f, t: f.threshold(t, 0.0, 1e40)),
        (RuntimeError, "overflow", lambda f, t: f.threshold(t, 1e40, 0.0)),
        (RuntimeError, "Lower bound", lambda f, t: f.rrelu(t, 0.5, 0.1)),
        (RuntimeError, "Lower bound", lambda f, t: f.rrelu(t, 0.5, 0.1, True)),
        (RuntimeError, "finite", lambda f, t: f.rrelu(t, NAN, 0.5)),
        (RuntimeError, "finite", lambda f, t: f.rrelu(t, 0.1, INF)),
    ]
    for error, match, call in cases:
        with pytest.raises(error):
            call(TF, tx)
        with pytest.raises(error, match=match):
            call(F, x)
    # accepted by both: a negative or NaN lambd for hardshrink, inf scalars for threshold
    same(F.hardshrink(x, -0.5), TF.hardshrink(tx, -0.5))
    same(F.hardshrink(x, NAN), TF.hardshrink(tx, NAN))
    same(F.threshold(x, INF, -INF), TF.threshold(tx, INF, -INF))
    same(F.celu(x, INF), TF.celu(tx, INF))
    h, th = mg.tensor(np.array([1.0], np.float16)), torch.tensor([1.0], dtype=torch.float16)
    with pytest.raises(RuntimeError):
        TF.hardshrink(th, 1e6)
    with pytest.raises(RuntimeError, match="hardshrink"):
        F.hardshrink(h, 1e6)
    with pytest.raises(RuntimeError):
        TF.softshrink(th, 1e5)
    with pytest.raises(RuntimeError, match="65504"):
        F.softshrink(h, 1e5)
    with pytest.raises(NotImplementedError):
        TF.rrelu(th, training=True)
    with pytest.raises(NotImplementedError, match="rrelu"):
        F.rrelu(h, training=True)


# ---------------------------------------------------------------------- gradients
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(OPS))
def test_gradients_at_special_values_match_torch(name, dtype):
    """First derivatives, at the thresholds and at NaN / inf, and with an inf incoming
    gradient (0 where a piecewise op drops the element, not inf * 0)."""
    tol = _tol(name, dtype)
    for gy in (np.ones(len(SPECIAL)), np.full(len(SPECIAL), INF)):
        x, tx = both(SPECIAL, dtype, requires_grad=True)
        (g,) = mg.grad(OPS[name](F, x), x, mg.tensor(gy.astype(dtype)))
        (tg,) = torch.autograd.grad(OPS[name](TF, tx), tx, torch.tensor(gy.astype(dtype)))
        same(g, tg, atol=tol, rtol=tol)


@pytest.mark.parametrize("name", ["celu", "celu_2", "celu_neg", "tanhshrink", "softsign"])
def test_second_derivatives_of_the_composites_match_torch(name):
    x, tx = both(SPECIAL, "float64", requires_grad=True)
    (g,) = mg.grad(OPS[name](F, x).sum(), x, create_graph=True)
    (tg,) = torch.autograd.grad(OPS[name](TF, tx).sum(), tx, create_graph=True)
    (gg,) = mg.grad(g.sum(), x)
    (tgg,) = torch.autograd.grad(tg.sum(), tx)
    same(gg, tgg, atol=1e-14, rtol=1e-12)


@pytest.mark.parametrize("name", PIECEWISE)
def test_piecewise_gradient_is_its_own_adjoint(name):
    """The gradient is a Mask / Scale node: linear in the incoming gradient, so its
    derivative in that gradient is the same map (as PyTorch's)."""
    x, tx = both(SPECIAL, "float64", requires_grad=True)
    gy, tgy = both(np.linspace(-1, 2, len(SPECIAL)), "float64", requires_grad=True)
    v, tv = both(np.linspace(3, 1, len(SPECIAL)), "float64")
    (g,) = mg.grad(OPS[name](F, x), x, gy, create_graph=True)
    (tg,) = torch.autograd.grad(OPS[name](TF, tx), tx, tgy, create_graph=True)
    same(g, tg)
    (h,) = mg.grad(g, gy, v)
    (th,) = torch.autograd.grad(tg, tgy, tv)
    same(h, th)


@pytest.mark.parametrize("name", sorted(set(OPS) - {"threshold_nan"}))
def test_gradcheck(name):
    # away from the kinks (at 0, +-0.5, +-1, 0.2), where central differences fail
    a = np.array([-2.3, -1.7, -0.8, -0.35, -0.1, 0.1, 0.35, 0.8, 1.7, 2.3])
    x = mg.tensor(a, requires_grad=True)
    assert mg.gradcheck(lambda t: OPS[name](F, t), [x])
    if name.split("_")[0] in ("celu", "tanhshrink", "softsign"):
        assert mg.gradgradcheck(lambda t: OPS[name](F, t), [x])


# ---------------------------------------------------------------------- rrelu training
def test_rrelu_training_draws_slopes_from_the_global_generator():
    a = np.array([-3.0, -1.0, -0.0, 0.0, 0.5, 2.0, -INF, NAN] * 50)
    mg.manual_seed(0)
    x = mg.tensor(a, requires_grad=True)
    y = F.rrelu(x, 0.1, 0.3, training=True)
    (g,) = mg.grad(y.sum(), x)
    y = y.detach()
    mg.manual_seed(0)
    y2 = F.rrelu(mg.tensor(a), 0.1, 0.3, training=True)
    assert np.array_equal(y.numpy(), y2.numpy(), equal_nan=True)  # seeded: repeatable
    neg = a <= 0
    slopes = g.numpy()[neg]
    assert ((slopes >= 0.1) & (slopes <= 0.3)).all() and len(np.unique(slopes)) > 50
    fin = neg & np.isfinite(a) & (a != 0)
    np.testing.assert_allclose(y.numpy()[fin], a[fin] * g.numpy()[fin])
    # as PyTorch's: kept (slope 1) where x > 0 and at NaN; -0.0, 0.0, -inf keep their sign
    tx = torch.tensor(a, requires_grad=True)
    ty = TF.rrelu(tx, 0.1, 0.3, training=True)
    (tg,) = torch.autograd.grad(ty.sum(), tx)
    keep = ~neg
    assert g.numpy()[keep].tolist() == tg.numpy()[keep].tolist() == [1.0] * keep.sum()
    assert np.array_equal(np.signbit(y.numpy()), np.signbit(ty.detach().numpy()))
    assert np.array_equal(np.isnan(y.numpy()), np.isnan(ty.detach().numpy()))
    assert y.dtype == mg.float64 and F.rrelu(mg.ones(3), training=True).dtype == mg.float32
    # in place, in a graph: the same slopes reach the gradient
    mg.manual_seed(0)
    h = x * 1.0
    assert F.rrelu_(h, 0.1, 0.3, training=True) is h
    (g2,) = mg.grad(h.sum(), x)
    assert np.array_equal(h.detach().numpy(), y, equal_nan=True)
    assert np.array_equal(g2.numpy(), g.numpy())


def test_rrelu_training_equal_bounds_and_gradcheck():
    a = np.array([-2.0, -0.5, 0.5, 2.0])
    x, tx = both(a, "float64")
    same(F.rrelu(x, 0.2, 0.2, True), TF.rrelu(tx, 0.2, 0.2, True))
    x = mg.tensor(a, requires_grad=True)

    def f(t):
        mg.manual_seed(3)  # the same slopes at every evaluation
        return F.rrelu(t, 0.1, 0.4, training=True)

    assert mg.gradcheck(f, [x])


# ---------------------------------------------------------------------- in place
INPLACE = {
    "threshold": (lambda f, t: f.threshold(t, 0.2, -7.0, inplace=True), "threshold_"),
    "threshold_": (lambda f, t: f.threshold_(t, 0.2, -7.0), "threshold_"),
    "celu": (lambda f, t: f.celu(t, 2.0, inplace=True), "celu_"),
    "celu_": (lambda f, t: f.celu_(t, 2.0), "celu_"),
    "rrelu": (lambda f, t: f.rrelu(t, inplace=True), "rrelu_"),
    "rrelu_": (lambda f, t: f.rrelu_(t), "rrelu_"),
}
INPLACE_REF = {
    "threshold": OPS["threshold"],
    "threshold_": OPS["threshold"],
    "celu": OPS["celu_2"],
    "celu_": OPS["celu_2"],
    "rrelu": OPS["rrelu_eval"],
    "rrelu_": OPS["rrelu_eval"],
}


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_inplace_writes_into_the_input_and_its_aliases(name):
    call, _ = INPLACE[name]
    base, tbase = both(np.array(SPECIAL).reshape(2, 7), "float64")
    view, tview = base[1], tbase[1]
    out, tout = call(F, view), call(TF, tview)
    assert out is view and tout is tview
    same(base, tbase, atol=1e-15, rtol=1e-15)  # the alias sees the change
    _, old = both(SPECIAL[7:], "float64")
    same(view, INPLACE_REF[name](TF, old), atol=1e-15, rtol=1e-15)


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_inplace_in_a_graph_matches_torch(name):
    call, _ = INPLACE[name]
    x, tx = both(SPECIAL, "float64", requires_grad=True)
    y, ty = x * 1.0, tx * 1.0
    call(F, y)
    call(TF, ty)
    same(y, ty, atol=1e-15, rtol=1e-15)
    (g,) = mg.grad((y * y).sum(), x)
    (tg,) = torch.autograd.grad((ty * ty).sum(), tx)
    same(g, tg, atol=1e-14, rtol=1e-14)


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_inplace_on_a_leaf_that_requires_grad_is_refused(name):
    call, _ = INPLACE[name]
    with pytest.raises(RuntimeError):
        call(TF, torch.ones(2, requires_grad=True))
    with pytest.raises(RuntimeError):
        call(F, mg.ones(2, requires_grad=True))


def test_inplace_threshold_on_integers_and_top_level_forms():
    x, tx = mg.tensor([-2, 1, 3]), torch.tensor([-2, 1, 3])
    F.threshold_(x, 1, 5.7)
    TF.threshold_(tx, 1, 5.7)
    same(x, tx)
    a, ta = both(SPECIAL, "float32")
    for f, tf in ((mg.celu_, torch.celu_), (mg.rrelu_, torch.rrelu_)):
        b, tb = a.clone(), ta.clone()
        f(b)
        tf(tb)
        same(b, tb, atol=1e-6, rtol=1e-6)
    b, tb = a.clone(), ta.clone()
    same(mg.threshold_(b, 0.2, 1.0), torch.threshold_(tb, 0.2, 1.0))
    same(mg.threshold(a, 0.2, 1.0), torch.threshold(ta, 0.2, 1.0))
    same(mg.hardshrink(a, 0.3), torch.hardshrink(ta, 0.3))
    same(a.hardshrink(lambd=0.3), ta.hardshrink(lambd=0.3))
    same(mg.celu(a, 2.0), torch.celu(ta, 2.0), atol=1e-6, rtol=1e-6)
    same(mg.rrelu(a), torch.rrelu(ta))


# ---------------------------------------------------------------------- layers
def test_layer_reprs_match_torch():
    pairs = [
        (nn.Hardshrink(), torch.nn.Hardshrink()),
        (nn.Hardshrink(0.3), torch.nn.Hardshrink(0.3)),
        (nn.Softshrink(lambd=1), torch.nn.Softshrink(lambd=1)),
        (nn.Threshold(0.1, 20), torch.nn.Threshold(0.1, 20)),
        (nn.Threshold(0.1, 20.0, True), torch.nn.Threshold(0.1, 20.0, True)),
        (nn.CELU(), torch.nn.CELU()),
        (nn.CELU(2.0, inplace=True), torch.nn.CELU(2.0, inplace=True)),
        (nn.RReLU(), torch.nn.RReLU()),
        (nn.RReLU(0.1, 0.3, True), torch.nn.RReLU(0.1, 0.3, True)),
        (nn.Tanhshrink(), torch.nn.Tanhshrink()),
        (nn.Softsign(), torch.nn.Softsign()),
    ]
    for m, tm in pairs:
        assert repr(m) == repr(tm)
    assert repr(nn.Sequential(nn.CELU(), nn.Softsign())) == repr(
        torch.nn.Sequential(torch.nn.CELU(), torch.nn.Softsign())
    )


def test_layers_compute_their_functions():
    x, tx = both(SPECIAL, "float32")
    for m, tm in (
        (nn.Hardshrink(0.3), torch.nn.Hardshrink(0.3)),
        (nn.Softshrink(0.3), torch.nn.Softshrink(0.3)),
        (nn.Threshold(0.2, -1.0), torch.nn.Threshold(0.2, -1.0)),
        (nn.CELU(0.5), torch.nn.CELU(0.5)),
        (nn.RReLU(0.1, 0.2).eval(), torch.nn.RReLU(0.1, 0.2).eval()),
        (nn.Tanhshrink(), torch.nn.Tanhshrink()),
        (nn.Softsign(), torch.nn.Softsign()),
    ):
        same(m(x), tm(tx), atol=2e-6, rtol=2e-6)
    layer = nn.RReLU(0.1, 0.2)
    assert layer.training
    mg.manual_seed(1)
    y = layer(mg.tensor([-1.0] * 100))
    assert (-0.2 <= y.numpy()).all() and (y.numpy() <= -0.1).all() and y.numpy().std() > 0
    b = mg.tensor([-1.0, 1.0])
    assert nn.Threshold(0.0, 5.0, inplace=True)(b) is b and b.tolist() == [5.0, 1.0]


# ---------------------------------------------------------------------- cummax / cummin
CUM = np.array([1.0, 3.0, 3.0, 2.0, NAN, 5.0, NAN, 0.0, -INF, INF])


@pytest.mark.parametrize("op", ["cummax", "cummin"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_cummax_cummin_ties_nan_and_signed_zeros_match_torch(op, dtype):
    rows = [
        CUM,
        [2.0, 1.0, 2.0, 2.0, 0.0, 2.0, 1.0, 1.0, 0.0, 0.0],  # ties: the later index
        [0.0, -0.0, 0.0, -0.0, 1.0, -1.0, -0.0, 0.0, -INF, -INF],
        [NAN, 1.0, NAN, -INF, INF, 2.0, 2.0, NAN, 3.0, 3.0],
    ]
    x, tx = both(rows, dtype)
    for d in (0, 1, -1):
        r, t = getattr(mg, op)(x, d), getattr(torch, op)(tx, d)
        same(r.values, t.values)
        assert np.array_equal(np.signbit(r.values.numpy()), np.signbit(t.values.numpy()))
        same(r.indices, t.indices)
        assert r.values is r[0] and r.indices is r[1]
    r, t = getattr(x.T, op)(dim=1), getattr(tx.T, op)(dim=1)  # method form, non-contiguous
    same(r.values, t.values)
    same(r.indices, t.indices)


@pytest.mark.parametrize("op", ["cummax", "cummin"])
def test_cummax_cummin_random_ties_match_torch(op):
    rng = np.random.default_rng(0)
    for _ in range(30):
        shape = tuple(rng.integers(1, 5, size=rng.integers(1, 4)))
        a = rng.choice([0.0, -0.0, 1.0, 2.0, NAN, -INF, INF], size=shape)
        d = int(rng.integers(-len(shape), len(shape)))
        x, tx = both(a)
        r, t = getattr(mg, op)(x, d), getattr(torch, op)(tx, d)
        same(r.values, t.values)
        same(r.indices, t.indices)


@pytest.mark.parametrize("op", ["cummax", "cummin"])
def test_cummax_cummin_dtypes_shapes_and_errors(op):
    for a in ([1, 3, 2, 3, 0], [False, True, False, True], [True, False, True]):
        x, tx = mg.tensor(a), torch.tensor(a)
        r, t = getattr(mg, op)(x, 0), getattr(torch, op)(tx, 0)
        same(r.values, t.values)
        same(r.indices, t.indices)
    for a in (np.array(2.5), np.zeros((0, 3)), np.zeros((3, 0))):
        for d in (0, -1):
            x, tx = both(a, "float32")
            r, t = getattr(mg, op)(x, d), getattr(torch, op)(tx, d)
            same(r.values, t.values)
            same(r.indices, t.indices)
    h = np.array([1.0, 3.0, 2.0], np.float16)
    same(getattr(mg, op)(mg.tensor(h), 0).values, getattr(torch, op)(torch.tensor(h), 0).values)
    with pytest.raises(IndexError):
        getattr(torch, op)(torch.tensor(2.0), 1)
    with pytest.raises(IndexError, match=op):
        getattr(mg, op)(mg.tensor(2.0), 1)
    with pytest.raises(IndexError):
        getattr(torch, op)(torch.zeros(2, 3), 2)
    with pytest.raises(IndexError, match=op):
        getattr(mg, op)(mg.zeros(2, 3), 2)
    with pytest.raises(TypeError):
        getattr(mg, op)(mg.zeros(2, 3))


@pytest.mark.parametrize("op", ["cummax", "cummin"])
def test_cummax_cummin_gradients_scatter_add_as_torch(op):
    for a in ([1.0, 3.0, 3.0, 2.0, 5.0, 0.0], [1.0, NAN, 3.0, NAN, 2.0], [2.0, 2.0, 2.0]):
        x, tx = both(a, "float64", requires_grad=True)
        gy = np.arange(1.0, len(a) + 1)
        (g,) = mg.grad(getattr(mg, op)(x, 0).values, x, mg.tensor(gy))
        (tg,) = torch.autograd.grad(getattr(torch, op)(tx, 0).values, tx, torch.tensor(gy))
        same(g, tg)
    a = np.random.default_rng(1).standard_normal((3, 5))
    x = mg.tensor(a, requires_grad=True)
    for d in (0, 1):
        assert mg.gradcheck(lambda t, d=d: getattr(mg, op)(t, d).values, [x])
        assert mg.gradgradcheck(lambda t, d=d: getattr(mg, op)(t, d).values, [x])
    s = mg.tensor(2.0, dtype=mg.float64, requires_grad=True)
    assert mg.gradcheck(lambda t: getattr(mg, op)(t, 0).values, [s])


# ---------------------------------------------------------------------- kthvalue
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_kthvalue_matches_torch_without_ties(dtype):
    rng = np.random.default_rng(2)
    for _ in range(30):
        shape = tuple(rng.integers(1, 5, size=rng.integers(1, 4)))
        a = rng.permutation(np.arange(int(np.prod(shape))) - 3).reshape(shape)
        d = int(rng.integers(-len(shape), len(shape)))
        k = int(rng.integers(1, shape[d] + 1))
        keep = bool(rng.integers(2))
        x, tx = both(a, dtype)
        r, t = mg.kthvalue(x, k, d, keep), torch.kthvalue(tx, k, d, keep)
        same(r.values, t.values)
        same(r.indices, t.indices)
    x, tx = both([[3.0, 1.0, 2.0], [0.0, 5.0, -1.0]], dtype)
    r, t = x.T.kthvalue(2, dim=1, keepdim=True), tx.T.kthvalue(2, dim=1, keepdim=True)
    same(r.values, t.values)
    same(r.indices, t.indices)
    r, t = x.kthvalue(1), tx.kthvalue(1)  # dim defaults to the last
    same(r.values, t.values)
    same(r.indices, t.indices)


def test_kthvalue_nan_is_largest_and_ties_give_a_tied_element():
    a = [3.0, 1.0, 2.0, 1.0, NAN, 2.0, 5.0]
    x, tx = both(a)
    for k in range(1, 8):
        r, t = mg.kthvalue(x, k), torch.kthvalue(tx, k)
        same(r.values, t.values)
        assert np.array_equal(a[int(r.indices)], r.values.item(), equal_nan=True)
    # among ties PyTorch's index is unspecified (its quickselect's); ours is the k-th
    # element of a stable sort
    assert mg.kthvalue(x, 1).indices.item() == 1 and mg.kthvalue(x, 2).indices.item() == 3


def test_kthvalue_shapes_and_errors_match_torch():
    for k, keep in ((1, False), (1, True)):
        x, tx = both(3.0, "float32")
        r, t = mg.kthvalue(x, k, 0, keep), torch.kthvalue(tx, k, 0, keep)
        same(r.values, t.values)
        same(r.indices, t.indices)
    x, tx = both(np.zeros((0, 3)), "float32")
    for keep in (False, True):
        r, t = mg.kthvalue(x, 1, 1, keep), torch.kthvalue(tx, 1, 1, keep)
        same(r.values, t.values)
        same(r.indices, t.indices)
    v, tv = both([3.0, 1.0], "float32")
    cases = [
        (RuntimeError, "out of range", lambda lib, t: lib.kthvalue(t, 0)),
        (RuntimeError, "out of range", lambda lib, t: lib.kthvalue(t, 3)),
        (RuntimeError, "out of range", lambda lib, t: lib.kthvalue(t, -1)),
        (RuntimeError, "out of range", lambda lib, t: lib.kthvalue(t[0], 2)),
        (IndexError, "non-zero size", lambda lib, t: lib.kthvalue(t[:0], 1)),
        (IndexError, "out of range", lambda lib, t: lib.kthvalue(t, 1, 1)),
        (TypeError, "must be int", lambda lib, t: lib.kthvalue(t, 1.0)),
    ]
    for error, match, call in cases:
        with pytest.raises(error):
            call(torch, tv)
        with pytest.raises(error, match=match):
            call(mg, v)
    with pytest.raises(NotImplementedError):
        torch.kthvalue(torch.tensor([True, False]), 1)
    with pytest.raises(NotImplementedError, match="kthvalue"):
        mg.kthvalue(mg.tensor([True, False]), 1)
    h = np.array([3.0, 1.0], np.float16)
    same(mg.kthvalue(mg.tensor(h), 1).values, torch.kthvalue(torch.tensor(h), 1).values)


def test_kthvalue_gradients():
    x, tx = both([[3.0, 1.0, 2.0], [0.0, 5.0, -1.0]], "float64", requires_grad=True)
    (g,) = mg.grad(mg.kthvalue(x, 2, 1).values.sum(), x)
    (tg,) = torch.autograd.grad(torch.kthvalue(tx, 2, 1).values.sum(), tx)
    same(g, tg)
    a = np.random.default_rng(3).standard_normal((3, 4))
    x = mg.tensor(a, requires_grad=True)
    for k, d, keep in ((1, 0, False), (3, 1, True), (4, -1, False)):
        f = lambda t, k=k, d=d, keep=keep: mg.kthvalue(t, k, d, keep).values  # noqa: E731
        assert mg.gradcheck(f, [x])
        assert mg.gradgradcheck(f, [x])
