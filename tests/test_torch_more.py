"""More PyTorch names a ported program reaches for, each compared with PyTorch itself:
sin/cos/erf, sort/topk, repeat, contiguous, in-place unary ops, isnan/isinf/isfinite,
div(rounding_mode=), eye, randperm, einsum."""

import math

import numpy as np
import pytest
from torch_ref import both, same

import minigrad as mg

torch = pytest.importorskip("torch")


def rng_array(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


# ---------------------------------------------------------------------- sin, cos, erf
@pytest.mark.parametrize("name", ["sin", "cos", "erf"])
def test_unary_values_and_grads_match_torch(name):
    data = np.array([0.0, -0.0, 0.3, -1.7, 2.5, -6.5, 40.0, np.nan, np.inf, -np.inf])
    x, tx = both(data, requires_grad=True)
    y, ty = getattr(mg, name)(x), getattr(torch, name)(tx)
    same(y, ty, atol=1e-15)
    finite = np.isfinite(data)
    gy = np.where(finite, np.linspace(-1, 1, data.size), 0.0)
    y.backward(mg.tensor(gy))
    ty.backward(torch.tensor(gy))
    same(x.grad, tx.grad, atol=1e-15)
    # methods, and float32 / int inputs give float32 as in PyTorch
    for dt in ("float32", "int64", "bool"):
        a, ta = both([0, 1, 1], dtype=dt)
        same(getattr(a, name)(), getattr(ta, name)(), atol=1e-7)


@pytest.mark.parametrize("name", ["sin", "cos", "erf"])
def test_unary_gradcheck_and_gradgradcheck(name):
    x = mg.tensor(rng_array(3, 4), requires_grad=True)
    f = getattr(mg, name)
    assert mg.gradcheck(f, (x,))
    assert mg.gradgradcheck(f, (x,))


def test_unary_edges_0d_empty_noncontiguous():
    for name in ("sin", "cos", "erf"):
        x, tx = both(0.7)
        same(getattr(mg, name)(x), getattr(torch, name)(tx), atol=1e-15)
        e, te = both(np.zeros((0, 3)))
        same(getattr(mg, name)(e), getattr(torch, name)(te))
        base = rng_array(4, 5)
        v, tv = both(base)
        same(getattr(mg, name)(v.T[::2]), getattr(torch, name)(tv.T[::2]), atol=1e-15)


def test_erf_is_accurate_to_float64_rounding():
    xs = np.linspace(-7, 7, 20001)
    want = np.array([math.erf(v) for v in xs])
    got = mg.erf(mg.tensor(xs)).numpy()
    assert np.abs(got - want).max() < 5e-15
    tiny = np.array([1e-300, 1e-12, 1e-5])
    rel = mg.erf(mg.tensor(tiny)).numpy() / np.array([math.erf(v) for v in tiny]) - 1
    assert np.abs(rel).max() < 1e-15


# ---------------------------------------------------------------------- sort, topk
def test_sort_matches_torch_with_nan_ties_and_descending():
    data = np.array([[3.0, np.nan, 1.0, 3.0, -np.inf], [0.0, -0.0, 2.0, np.nan, np.inf]])
    for descending in (False, True):
        for dim in (-1, 0):
            x, tx = both(data, requires_grad=True)
            v, i = x.sort(dim=dim, descending=descending, stable=True)
            tv, ti = tx.sort(dim=dim, descending=descending, stable=True)
            same(v, tv)
            same(i, ti)
            v2, i2 = mg.sort(x, dim, descending)
            same(v2, tv)
            same(i2, ti)


def test_sort_int_bool_0d_and_empty():
    for dt in ("int64", "bool", "float32"):
        a, ta = both([1, 0, 2, 0, 1], dtype=dt)
        for desc in (False, True):
            (v, i), (tv, ti) = a.sort(descending=desc), ta.sort(descending=desc, stable=True)
            same(v, tv)
            same(i, ti)
    s, ts = both(2.5)
    (v, i), (tv, ti) = s.sort(), ts.sort()
    same(v, tv)
    same(i, ti)
    e, te = both(np.zeros((2, 0)))
    (v, i), (tv, ti) = e.sort(dim=1), te.sort(dim=1)
    same(v, tv)
    same(i, ti)
    with pytest.raises(IndexError, match="sort"):
        a.sort(dim=1)


def test_sort_gradient_and_double_backward():
    x = mg.tensor(rng_array(3, 5), requires_grad=True)
    assert mg.gradcheck(lambda t: t.sort(dim=1, descending=True).values, (x,))
    assert mg.gradgradcheck(lambda t: t.sort(dim=0).values * t.sort(dim=0).values, (x,))
    x, tx = both(rng_array(3, 5), requires_grad=True)
    gy = rng_array(3, 5, seed=1)
    x.sort(dim=0).values.backward(mg.tensor(gy))
    tx.sort(dim=0).values.backward(torch.tensor(gy))
    same(x.grad, tx.grad)


def test_topk_matches_torch():
    data = rng_array(4, 6)
    for largest in (True, False):
        for dim, k in ((-1, 3), (0, 2), (1, 0), (1, 6)):
            x, tx = both(data, requires_grad=True)
            v, i = x.topk(k, dim=dim, largest=largest)
            tv, ti = tx.topk(k, dim=dim, largest=largest)
            same(v, tv)
            same(i, ti)
            gy = rng_array(*tv.shape, seed=2)
            v.backward(mg.tensor(gy))
            tv.backward(torch.tensor(gy))
            same(x.grad, tx.grad)
    x = mg.tensor(data, requires_grad=True)
    assert mg.gradcheck(lambda t: mg.topk(t, 2).values, (x,))
    assert mg.gradgradcheck(lambda t: mg.topk(t, 2, dim=0, largest=False).values ** 2, (x,))


def test_topk_nan_ties_0d_and_bad_k():
    x, tx = both([3.0, np.nan, 1.0, 3.0])
    for largest in (True, False):
        same(x.topk(2, largest=largest).values, tx.topk(2, largest=largest).values)
    # among ties PyTorch's order is unspecified; the tied values are the same
    assert x.topk(2).indices.tolist()[0] == 1
    i, ti = both([5, 1, 5, 2], dtype="int64")
    same(i.topk(3).values, ti.topk(3).values)
    s, ts = both(2.0)
    same(s.topk(1).values, ts.topk(1).values)
    same(s.topk(1).indices, ts.topk(1).indices)
    with pytest.raises(RuntimeError, match="topk: selected index k=5 out of range"):
        x.topk(5)
    with pytest.raises(RuntimeError, match="topk"):
        x.topk(-1)


# ---------------------------------------------------------------------- repeat, contiguous
@pytest.mark.parametrize(
    "shape,sizes", [((2, 3), (2, 1)), ((2, 3), (3, 2, 2)), ((), (4,)), ((3,), (0, 2)), ((2,), ())]
)
def test_repeat_matches_torch(shape, sizes):
    if len(sizes) < len(shape):
        with pytest.raises(RuntimeError, match="repeat"):
            mg.zeros(*shape).repeat(*sizes)
        return
    x, tx = both(rng_array(*shape), requires_grad=True)
    y, ty = x.repeat(*sizes), tx.repeat(*sizes)
    same(y, ty)
    gy = rng_array(*ty.shape, seed=3)
    y.backward(mg.tensor(gy))
    ty.backward(torch.tensor(gy))
    same(x.grad, tx.grad, atol=1e-14)


def test_repeat_gradgradcheck_copies_and_int():
    x = mg.tensor(rng_array(2, 3), requires_grad=True)
    assert mg.gradcheck(lambda t: t.repeat(2, 1, 3), (x,))
    assert mg.gradgradcheck(lambda t: t.repeat((2, 2)) ** 2, (x,))
    a = mg.tensor([1, 2], dtype=mg.int64)
    b = a.repeat(1)  # a copy even when nothing repeats
    b[0] = 7
    assert a.tolist() == [1, 2] and a.repeat([2]).tolist() == [1, 2, 1, 2]


def test_contiguous():
    x = mg.tensor(rng_array(3, 4), requires_grad=True)
    assert x.contiguous() is x and x.is_contiguous()
    t = x.T
    assert not t.is_contiguous()
    c = t.contiguous()
    assert c.is_contiguous() and c.tolist() == t.tolist() and c._version == 0
    (c * c).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.detach().numpy())
    tx = torch.tensor(rng_array(3, 4))
    assert tx.T.is_contiguous() == t.is_contiguous()


# ---------------------------------------------------------------------- in-place unary ops
@pytest.mark.parametrize("name", ["exp_", "sqrt_", "abs_", "neg_"])
def test_inplace_unary_match_torch(name):
    data = np.array([[0.5, -1.5, 4.0], [0.0, np.inf, np.nan]])
    for dt in ("float32", "float64"):
        x, tx = both(data, dtype=dt)
        view, tview = x[:, 1], tx[:, 1]
        with np.errstate(invalid="ignore"):
            out = getattr(view, name)()
        getattr(tview, name)()
        assert out is view and view._version == 1 and x._version == 1
        same(x, tx, rtol=1e-6)
    a, ta = both([-2, 3], dtype="int64")
    if name in ("exp_", "sqrt_"):
        with pytest.raises(RuntimeError, match=f"{name}: the result is floating-point"):
            getattr(a, name)()
        with pytest.raises(RuntimeError):
            getattr(ta, name)()
    else:
        getattr(a, name)()
        getattr(ta, name)()
        same(a, ta)


def test_inplace_unary_refusals():
    leaf = mg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="exp_: in-place change of a leaf"):
        leaf.exp_()
    with mg.no_grad():
        leaf.exp_()
    np.testing.assert_allclose(leaf.detach().numpy(), np.exp([1.0, 2.0]), rtol=1e-6)
    with pytest.raises(RuntimeError, match="neg_: negation of a bool tensor"):
        mg.tensor([True]).neg_()
    # a backward that saved the old value notices the change
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 1
    y = h.detach()
    z = (h * h).sum()
    y.abs_()
    with pytest.raises(RuntimeError):
        z.backward()


# ---------------------------------------------------------------------- isnan & co
@pytest.mark.parametrize("name", ["isnan", "isinf", "isfinite"])
def test_isnan_isinf_isfinite(name):
    for data, dt in (
        ([0.0, np.nan, np.inf, -np.inf, -1.0], "float32"),
        ([1, 2], "int64"),
        ([True, False], "bool"),
        (np.nan, "float64"),
        (np.zeros(0), "float64"),
    ):
        x, tx = both(data, dtype=dt)
        same(getattr(x, name)(), getattr(tx, name)())
        same(getattr(mg, name)(x), getattr(torch, name)(tx))
    g = mg.tensor([1.0, np.nan], requires_grad=True)
    assert not getattr(g, name)().requires_grad


# ---------------------------------------------------------------------- div rounding_mode
@pytest.mark.parametrize("mode", [None, "trunc", "floor"])
def test_div_rounding_mode_matches_torch(mode):
    a = np.array([7.0, -7.0, 7.5, -7.5, 0.0, 1.0, -1.0, np.nan, np.inf])
    b = np.array([2.0, 2.0, -2.0, -2.0, 0.0, 0.0, 0.0, 1.0, 3.0])
    x, tx = both(a, requires_grad=True)
    y, ty = both(b, requires_grad=True)
    with np.errstate(all="ignore"):
        out = x.div(y, rounding_mode=mode)
    tout = tx.div(ty, rounding_mode=mode)
    same(out, tout)
    finite = np.isfinite(tout.detach().numpy())
    gy = np.where(finite, 1.0, 0.0)
    with np.errstate(all="ignore"):
        out.backward(mg.tensor(gy))
    tout.backward(torch.tensor(gy))
    same(x.grad, tx.grad)
    same(y.grad, ty.grad)
    ia, ta = both([7, -7, 6, -6, 0], dtype="int64")
    ib, tb = both([2, 2, -4, 4, 3], dtype="int64")
    same(mg.div(ia, ib, rounding_mode=mode), torch.div(ta, tb, rounding_mode=mode))
    same(mg.div(ia, 2.5, rounding_mode=mode), torch.div(ta, 2.5, rounding_mode=mode))
    same(ia.div(-3, rounding_mode=mode), ta.div(-3, rounding_mode=mode))
    f32, tf32 = both([5.5, -5.5], dtype="float32")
    same(mg.div(f32, 2, rounding_mode=mode), torch.div(tf32, 2, rounding_mode=mode))


def test_div_rounding_mode_errors():
    with pytest.raises(ValueError, match="rounding_mode must be one of"):
        mg.div(mg.tensor([1.0]), 2.0, rounding_mode="round")
    with pytest.raises(ZeroDivisionError, match="trunc"):
        mg.div(mg.tensor([1]), mg.tensor([0]), rounding_mode="trunc")
    with pytest.raises(TypeError, match="bool"):
        mg.div(mg.tensor([True]), mg.tensor([True]), rounding_mode="floor")


# ---------------------------------------------------------------------- eye, randperm
def test_eye_matches_torch():
    for args in ((3,), (2, 4), (4, 2), (0,), (0, 3)):
        same(mg.eye(*args), torch.eye(*args))
    same(mg.eye(3, dtype=mg.int64), torch.eye(3, dtype=torch.int64))
    same(mg.eye(2, m=3, dtype=mg.float64), torch.eye(2, m=3, dtype=torch.float64))
    assert mg.eye(2, requires_grad=True).requires_grad
    with pytest.raises(RuntimeError, match="eye: n and m must be non-negative"):
        mg.eye(-1)


def test_randperm_is_a_seeded_int64_permutation():
    mg.manual_seed(5)
    p = mg.randperm(10)
    assert p.dtype == np.int64 and sorted(p.tolist()) == list(range(10))
    mg.manual_seed(5)
    assert mg.randperm(10).tolist() == p.tolist()
    assert mg.randperm(0).shape == (0,)
    assert mg.randperm(4, dtype=mg.int32).dtype == np.int32
    with pytest.raises(RuntimeError, match="randperm"):
        mg.randperm(-1)


# ---------------------------------------------------------------------- einsum
EINSUMS = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("i,i->", [(4,), (4,)]),
    ("i,j->ij", [(3,), (2,)]),
    ("ij->ji", [(2, 3)]),
    ("ij->i", [(2, 3)]),
    ("ij->", [(2, 3)]),
    ("ba", [(2, 3)]),
    ("ij,kj->ik", [(2, 3), (4, 3)]),
    ("nc,nc->n", [(5, 3), (5, 3)]),
    ("...ij,...jk->...ik", [(2, 3, 4), (4, 5)]),
    ("...ij,...jk->...ik", [(1, 3, 4), (2, 4, 5)]),
    ("...i,...i", [(2, 3), (3,)]),
    ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("ij,j->i", [(3, 1), (4,)]),
    (" ij , jk -> ik ", [(2, 3), (3, 4)]),
    ("ij,jk->ik", [(0, 3), (3, 4)]),
]


@pytest.mark.parametrize("eq,shapes", EINSUMS)
def test_einsum_matches_torch(eq, shapes):
    ours, theirs = [], []
    for k, s in enumerate(shapes):
        a, ta = both(rng_array(*s, seed=k), requires_grad=True)
        ours.append(a)
        theirs.append(ta)
    y, ty = mg.einsum(eq, *ours), torch.einsum(eq, *theirs)
    same(y, ty, atol=1e-13)
    gy = rng_array(*ty.shape, seed=9)
    y.backward(mg.tensor(gy))
    ty.backward(torch.tensor(gy))
    for a, ta in zip(ours, theirs, strict=True):
        same(a.grad, ta.grad, atol=1e-13)
    same(mg.einsum(eq, ours), ty, atol=1e-13)  # operands as one list, as torch allows


@pytest.mark.parametrize("eq,shapes", [EINSUMS[0], EINSUMS[4], EINSUMS[6], EINSUMS[12]])
def test_einsum_gradcheck_and_gradgradcheck(eq, shapes):
    xs = [mg.tensor(rng_array(*s, seed=k), requires_grad=True) for k, s in enumerate(shapes)]
    f = lambda *t: mg.einsum(eq, *t)  # noqa: E731
    assert mg.gradcheck(f, xs)
    assert mg.gradgradcheck(f, xs)


def test_einsum_dtypes_and_errors():
    a, ta = both([[1, 2], [3, 4]], dtype="int64")
    same(mg.einsum("ij,jk->ik", a, a), torch.einsum("ij,jk->ik", ta, ta))
    f = mg.tensor(rng_array(2, 2))
    with pytest.raises(ValueError, match="repeats index 'i' within one operand"):
        mg.einsum("ii->i", f)
    with pytest.raises(ValueError, match="names 2 operands, got 1"):
        mg.einsum("ij,jk->ik", f)
    with pytest.raises(ValueError, match="do not fit an operand of shape"):
        mg.einsum("ijk->i", f)
    with pytest.raises(ValueError, match="output index 'z'"):
        mg.einsum("ij->z", f)
    with pytest.raises(ValueError, match="sizes 2 and 3"):
        mg.einsum("ij,jk->ik", f, mg.tensor(rng_array(3, 2)))
    with pytest.raises(ValueError, match="invalid subscripts"):
        mg.einsum("i1->i", f)


# ---------------------------------------------------------------------- nn: activations
F = mg.nn.functional
TF = torch.nn.functional


@pytest.mark.parametrize(
    "ours,theirs",
    [
        (lambda x: F.gelu(x), lambda x: TF.gelu(x)),
        (lambda x: F.gelu(x, approximate="tanh"), lambda x: TF.gelu(x, approximate="tanh")),
        (lambda x: F.silu(x), lambda x: TF.silu(x)),
        (mg.nn.GELU(), torch.nn.GELU()),
        (mg.nn.GELU("tanh"), torch.nn.GELU("tanh")),
        (mg.nn.SiLU(), torch.nn.SiLU()),
    ],
)
def test_activations_match_torch(ours, theirs):
    data = np.concatenate([rng_array(20) * 3, [0.0, -0.0, 30.0, -30.0, np.inf, -np.inf, np.nan]])
    x, tx = both(data, requires_grad=True)
    y, ty = ours(x), theirs(tx)
    same(y, ty, atol=1e-15, rtol=1e-14)
    gy = np.where(np.isfinite(data), 1.0, 0.0)
    y.backward(mg.tensor(gy))
    ty.backward(torch.tensor(gy))
    finite = np.isfinite(data)
    np.testing.assert_allclose(x.grad.numpy()[finite], tx.grad.numpy()[finite], atol=1e-14)
    x32, tx32 = both(rng_array(2, 3), dtype="float32")
    same(ours(x32), theirs(tx32), atol=1e-6)
    xg = mg.tensor(rng_array(3, 4), requires_grad=True)
    assert mg.gradcheck(ours, (xg,))
    assert mg.gradgradcheck(ours, (xg,))


def test_gelu_bad_approximate():
    with pytest.raises(ValueError, match="gelu: approximate must be 'none' or 'tanh'"):
        F.gelu(mg.tensor([1.0]), approximate="fast")
    with pytest.raises(ValueError, match="GELU"):
        mg.nn.GELU("fast")


# ---------------------------------------------------------------------- nn: layer norm
@pytest.mark.parametrize("shape,norm", [((4, 5), 5), ((2, 3, 4), (3, 4)), ((6,), [6])])
@pytest.mark.parametrize("affine,bias", [(True, True), (True, False), (False, True)])
def test_layer_norm_matches_torch(shape, norm, affine, bias):
    mg.manual_seed(0)
    m = mg.nn.LayerNorm(norm, eps=1e-4, elementwise_affine=affine, bias=bias, dtype=mg.float64)
    tm = torch.nn.LayerNorm(
        norm, eps=1e-4, elementwise_affine=affine, bias=bias, dtype=torch.float64
    )
    assert [n for n, _ in m.named_parameters()] == [n for n, _ in tm.named_parameters()]
    with torch.no_grad():
        for (_, p), (_, tp) in zip(m.named_parameters(), tm.named_parameters(), strict=True):
            v = rng_array(*p.shape, seed=4)
            p.data = mg.tensor(v)
            tp.copy_(torch.tensor(v))
    x, tx = both(rng_array(*shape) * 3 + 1, requires_grad=True)
    y, ty = m(x), tm(tx)
    same(y, ty, atol=1e-13)
    gy = rng_array(*shape, seed=5)
    y.backward(mg.tensor(gy))
    ty.backward(torch.tensor(gy))
    same(x.grad, tx.grad, atol=1e-12)
    for (_, p), (_, tp) in zip(m.named_parameters(), tm.named_parameters(), strict=True):
        same(p.grad, tp.grad, atol=1e-12)


def test_layer_norm_gradgradcheck_float32_and_errors():
    x = mg.tensor(rng_array(3, 4), requires_grad=True)
    w = mg.tensor(rng_array(4, seed=1), requires_grad=True)
    b = mg.tensor(rng_array(4, seed=2), requires_grad=True)
    f = lambda x, w, b: F.layer_norm(x, (4,), w, b)  # noqa: E731
    assert mg.gradcheck(f, (x, w, b))
    assert mg.gradgradcheck(f, (x, w, b))
    x32, tx32 = both(rng_array(2, 5), dtype="float32")
    same(mg.nn.LayerNorm(5)(x32), torch.nn.LayerNorm(5)(tx32), atol=1e-6)
    const, tconst = both(np.full((2, 3), 7.0))  # zero variance: 0 / sqrt(eps)
    same(F.layer_norm(const, (3,)), TF.layer_norm(tconst, (3,)))
    with pytest.raises(ValueError, match=r"layer_norm: normalized_shape \[3\] must match"):
        F.layer_norm(mg.zeros(2, 4), 3)
    with pytest.raises(ValueError, match="layer_norm: weight of shape"):
        F.layer_norm(mg.zeros(2, 4), 4, mg.ones(3))


# ---------------------------------------------------------------------- nn: regression losses
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize(
    "ours,theirs,kw",
    [
        (F.smooth_l1_loss, TF.smooth_l1_loss, {}),
        (F.smooth_l1_loss, TF.smooth_l1_loss, {"beta": 0.5}),
        (F.smooth_l1_loss, TF.smooth_l1_loss, {"beta": 0.0}),
        (F.huber_loss, TF.huber_loss, {}),
        (F.huber_loss, TF.huber_loss, {"delta": 2.0}),
    ],
)
def test_smooth_l1_and_huber_match_torch(ours, theirs, kw, reduction):
    a = np.array([0.0, 0.3, -0.5, 0.5, 1.0, -1.0, 2.0, -3.0, 2.5])
    b = np.zeros_like(a)
    b[0] = 0.0  # a tie: d = 0
    x, tx = both(a, requires_grad=True)
    t, tt = both(b, requires_grad=True)
    y, ty = ours(x, t, reduction=reduction, **kw), theirs(tx, tt, reduction=reduction, **kw)
    same(y, ty, atol=1e-15)
    gy = np.ones(ty.shape)
    y.backward(mg.tensor(gy))
    ty.backward(torch.tensor(gy))
    same(x.grad, tx.grad)
    same(t.grad, tt.grad)
    x32, tx32 = both(rng_array(3, 2), dtype="float32")
    t64, tt64 = both(rng_array(3, 2, seed=1))
    if ours is F.smooth_l1_loss:  # promoted to float64 (PyTorch's huber_loss keeps the
        # input's float32 and then fails in backward; minigrad promotes both the same way)
        same(ours(x32, t64, **kw), theirs(tx32, tt64, **kw), atol=1e-7)
    t32, tt32 = both(rng_array(3, 2, seed=1), dtype="float32")
    # float32 sums: NumPy's pairwise order and PyTorch's cascade can differ by an ulp or two
    same(ours(x32, t32, **kw), theirs(tx32, tt32, **kw), rtol=1e-6)
    xg = mg.tensor(rng_array(2, 3) * 2, requires_grad=True)
    tg = mg.tensor(rng_array(2, 3, seed=1), requires_grad=True)
    assert mg.gradcheck(lambda x, t: ours(x, t, reduction=reduction, **kw), (xg, tg))
    assert mg.gradgradcheck(lambda x, t: ours(x, t, reduction=reduction, **kw), (xg, tg))


def test_regression_loss_modules_and_errors():
    x, tx = both(rng_array(4, 3), requires_grad=True)
    t, tt = both(rng_array(4, 3, seed=1))
    same(mg.nn.SmoothL1Loss(beta=0.3)(x, t), torch.nn.SmoothL1Loss(beta=0.3)(tx, tt), atol=1e-15)
    same(
        mg.nn.HuberLoss(reduction="sum", delta=0.7)(x, t),
        torch.nn.HuberLoss(reduction="sum", delta=0.7)(tx, tt),
        atol=1e-14,
    )
    with pytest.raises(ValueError, match="smooth_l1_loss: beta must be non-negative"):
        F.smooth_l1_loss(x, t, beta=-1.0)
    with pytest.raises(ValueError, match="huber_loss: delta must be positive"):
        F.huber_loss(x, t, delta=0.0)
    with pytest.raises(RuntimeError, match=r"smooth_l1_loss: .*do not broadcast"):
        F.smooth_l1_loss(mg.zeros(2, 3), mg.zeros(4))


# ---------------------------------------------------------------------- nn: kl_div
@pytest.mark.parametrize("reduction", ["mean", "batchmean", "sum", "none"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_matches_torch(reduction, log_target):
    logq = np.log(np.random.default_rng(0).dirichlet(np.ones(4), size=3))
    p = np.random.default_rng(1).dirichlet(np.ones(4), size=3)
    p[0, 1] = 0.0  # a zero target: contributes 0
    with np.errstate(divide="ignore"):  # log 0 = -inf, a log target of probability 0
        target = np.log(p) if log_target else p
    x, tx = both(logq, requires_grad=True)
    t, tt = both(target)
    with pytest.warns(UserWarning, match="batchmean") if reduction == "mean" else _nothing():
        y = F.kl_div(x, t, reduction=reduction, log_target=log_target)
    ty = TF.kl_div(tx, tt, reduction=reduction, log_target=log_target)
    same(y, ty, atol=1e-15)
    gy = np.ones(ty.shape)
    y.backward(mg.tensor(gy))
    ty.backward(torch.tensor(gy))
    same(x.grad, tx.grad, atol=1e-15)
    m = mg.nn.KLDivLoss(reduction="batchmean", log_target=log_target)
    tm = torch.nn.KLDivLoss(reduction="batchmean", log_target=log_target)
    same(m(x, t), tm(tx, tt), atol=1e-15)
    xg = mg.tensor(logq, requires_grad=True)
    tg = mg.tensor(np.log(p[1:]) if log_target else p[1:], requires_grad=True)
    f = lambda x, t: F.kl_div(x[1:], t, reduction="sum", log_target=log_target)  # noqa: E731
    assert mg.gradcheck(f, (xg, tg))
    assert mg.gradgradcheck(f, (xg, tg))


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_kl_div_target_gradient_at_zero_target():
    x = mg.tensor([-1.0, -2.0], dtype=mg.float64)
    t = mg.tensor([0.0, 0.5], dtype=mg.float64, requires_grad=True)
    F.kl_div(x, t, reduction="sum").backward()
    # -x at t = 0 (PyTorch: NaN); log t + 1 - x elsewhere
    np.testing.assert_allclose(t.grad.numpy(), [1.0, np.log(0.5) + 1 + 2.0])


def test_kl_div_0d_and_errors():
    x, tx = both(-1.2)
    t, tt = both(0.4)
    same(F.kl_div(x, t, reduction="batchmean"), TF.kl_div(tx, tt, reduction="batchmean"))
    with pytest.raises(ValueError, match="kl_div: reduction must be one of"):
        F.kl_div(x, t, reduction="avg")


# ---------------------------------------------------------------------- nn: label smoothing
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ls", [0.0, 0.1, 1.0])
def test_cross_entropy_label_smoothing_matches_torch(reduction, weighted, ls):
    logits = rng_array(5, 4) * 2
    target = np.array([1, -100, 3, 0, 3])
    w = np.array([0.5, 2.0, 1.0, 0.25]) if weighted else None
    x, tx = both(logits, requires_grad=True)
    kw = {"reduction": reduction, "label_smoothing": ls}
    y = F.cross_entropy(x, mg.tensor(target), None if w is None else mg.tensor(w), **kw)
    ty = TF.cross_entropy(tx, torch.tensor(target), None if w is None else torch.tensor(w), **kw)
    same(y, ty, atol=1e-14)
    gy = rng_array(*ty.shape, seed=3)
    y.backward(mg.tensor(gy))
    ty.backward(torch.tensor(gy))
    same(x.grad, tx.grad, atol=1e-14)
    xg = mg.tensor(logits, requires_grad=True)
    f = lambda x: F.cross_entropy(x, mg.tensor(target), None, **kw)  # noqa: E731
    assert mg.gradcheck(f, (xg,))
    assert mg.gradgradcheck(f, (xg,))


def test_cross_entropy_label_smoothing_shapes_and_soft_targets():
    ls = 0.2
    # (N, C, d) with weight and ignore_index
    logits, target = rng_array(2, 3, 4), np.array([[0, 2, 1, 7], [7, 1, 1, 0]])
    w = np.array([1.0, 0.2, 3.0])
    x, tx = both(logits, requires_grad=True)
    y = F.cross_entropy(x, mg.tensor(target), mg.tensor(w), ignore_index=7, label_smoothing=ls)
    ty = TF.cross_entropy(
        tx, torch.tensor(target), torch.tensor(w), ignore_index=7, label_smoothing=ls
    )
    same(y, ty, atol=1e-14)
    y.backward()
    ty.backward()
    same(x.grad, tx.grad, atol=1e-14)
    # (C,) input with a 0-d target
    v, tv = both(rng_array(4))
    same(
        F.cross_entropy(v, mg.tensor(2), label_smoothing=ls),
        TF.cross_entropy(tv, torch.tensor(2), label_smoothing=ls),
        atol=1e-15,
    )
    # probability targets
    p = np.random.default_rng(2).dirichlet(np.ones(3), size=2)
    x2, tx2 = both(rng_array(2, 3), requires_grad=True)
    for red in ("mean", "none"):
        same(
            F.cross_entropy(x2, mg.tensor(p), mg.tensor(w), reduction=red, label_smoothing=ls),
            TF.cross_entropy(
                tx2, torch.tensor(p), torch.tensor(w), reduction=red, label_smoothing=ls
            ),
            atol=1e-14,
        )
    # every target ignored: NaN for 'mean', as PyTorch
    allign = np.array([-100, -100])
    same(
        F.cross_entropy(x2, mg.tensor(allign), label_smoothing=ls),
        TF.cross_entropy(tx2, torch.tensor(allign), label_smoothing=ls),
    )
    m = mg.nn.CrossEntropyLoss(mg.tensor(w), label_smoothing=ls)
    tm = torch.nn.CrossEntropyLoss(torch.tensor(w), label_smoothing=ls)
    t = np.array([0, 2])
    same(m(x2, mg.tensor(t)), tm(tx2, torch.tensor(t)), atol=1e-15)
    with pytest.raises(ValueError, match="label_smoothing must be between 0.0 and 1.0, got 1.5"):
        F.cross_entropy(x2, mg.tensor(t), label_smoothing=1.5)


def test_non_contiguous_inputs_match_torch():
    base = rng_array(4, 6)
    x, tx = both(base, requires_grad=True)
    v, tv = x.T[::2], tx.T[::2]  # (3, 4), strided
    for f in (
        lambda a: a.sort(dim=0, descending=True).values,
        lambda a: a.topk(2, dim=1).values,
        lambda a: a.repeat(2, 1),
        lambda a: a.contiguous() * 1,
    ):
        same(f(v), f(tv), atol=1e-13)
    same(F.layer_norm(v, (4,)), TF.layer_norm(tv, (4,)), atol=1e-13)
    same(mg.einsum("ij,kj->ik", v, v), torch.einsum("ij,kj->ik", tv, tv), atol=1e-13)
    y = mg.einsum("ij,kj->ik", v, v).sum() + v.sort(dim=0).values.sum() + v.repeat(1, 2).sum()
    ty = torch.einsum("ij,kj->ik", tv, tv).sum() + tv.sort(dim=0).values.sum()
    ty = ty + tv.repeat(1, 2).sum()
    y.backward()
    ty.backward()
    same(x.grad, tx.grad, atol=1e-13)
