"""Still more PyTorch names a ported program reaches for, each compared with PyTorch
itself: masked_fill, all/any, gather/scatter/index_select, cumsum/prod, argsort,
tril/triu, rounding, square/rsqrt/log1p/expm1, flip/roll/unbind/narrow, nonzero,
masked_select, diag/outer, logical ops, isclose/allclose/equal, tensor creation and
layout (new_*, *_like, as_tensor, stride, mT), in-place addcmul_/addcdiv_/lerp_/detach_,
F.embedding, adaptive_avg_pool2d, elu/relu6/hardtanh, Unflatten, ParameterList and the
trunc_normal_/orthogonal_ initialisers."""

import numpy as np
import pytest
from torch_ref import both, same

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def grads_match(fn_mg, fn_torch, arrays, atol=1e-12, seed=0):
    """Values and gradients (a random output weight) of fn on float64 inputs."""
    xs = [mg.tensor(a, requires_grad=True) for a in arrays]
    txs = [torch.tensor(a, requires_grad=True) for a in arrays]
    y, ty = fn_mg(*xs), fn_torch(*txs)
    same(y, ty, atol=atol)
    gy = np.random.default_rng(seed).standard_normal(ty.shape)
    y.backward(mg.tensor(gy))
    ty.backward(torch.tensor(gy))
    for x, tx in zip(xs, txs, strict=True):
        same(x.grad, tx.grad, atol=atol)


def rng(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def leaf(*shape, seed=0):
    return mg.tensor(rng(*shape, seed=seed), requires_grad=True)


EDGES = np.array([0.0, -0.0, 0.5, 1.5, 2.5, -0.5, -2.5, 1.7, -1.7, np.nan, np.inf, -np.inf])


# ---------------------------------------------------------------------- rounding
@pytest.mark.parametrize("name", ["floor", "ceil", "round", "trunc", "sign"])
def test_rounding_values_dtypes_and_zero_gradient(name):
    for dt in ("float64", "float32"):
        x, tx = both(EDGES, dt, requires_grad=True)
        y, ty = getattr(mg, name)(x), getattr(torch, name)(tx)
        same(y, ty)
        same(getattr(x, name)(), ty)
        assert y.requires_grad
        y.sum().backward()
        ty.sum().backward()
        same(x.grad, tx.grad)
    for dt in ("int64", "int32", "uint8"):
        x, tx = both([0, 3, 7], dt)
        same(getattr(mg, name)(x), getattr(torch, name)(tx))
    if name == "sign":
        x, tx = both([True, False], "bool")
        same(mg.sign(x), torch.sign(tx))
    x = leaf(3, 4)
    assert mg.gradcheck(getattr(mg, name), [x]) and mg.gradgradcheck(getattr(mg, name), [x])


def test_round_decimals_and_0d():
    x, tx = both([2.5, 0.125, 1.005, -3.14159, 1234.5678], "float32")
    for d in (0, 1, 2, 3, -1, -2):
        same(mg.round(x, decimals=d), torch.round(tx, decimals=d), rtol=1e-6)
    same(x.round(decimals=2), tx.round(decimals=2), rtol=1e-6)
    s, ts = both(2.5)
    same(mg.round(s), torch.round(ts))
    same(mg.floor(mg.zeros(0)), torch.floor(torch.zeros(0)))


# ---------------------------------------------------------------------- square, rsqrt, ...
@pytest.mark.parametrize(
    "name,data",
    [
        ("square", [0.0, -0.0, 1.5, -2.0, 1e200, np.nan, np.inf]),
        ("rsqrt", [0.0, 0.25, 4.0, 1e-300, -1.0, np.nan, np.inf]),
        ("log1p", [0.0, -0.5, 1e-10, 3.0, -1.0, -2.0, np.inf]),
        ("expm1", [0.0, -0.0, 1e-10, -3.0, 5.0, 800.0, -np.inf]),
    ],
)
def test_unary_float_ops_match_torch(name, data):
    with np.errstate(all="ignore"):
        grads_match(getattr(mg, name), getattr(torch, name), [np.array(data)], atol=1e-300)
    for dt in ("float32", "int64", "bool"):
        x, tx = both([0, 1, 1], dt)
        # within an ulp: PyTorch's float32 kernels round differently by CPU (its expm1(1) is
        # 1.7182819 with AVX2 on an AMD EPYC, 1.7182817 elsewhere)
        same(getattr(x, name)(), getattr(tx, name)(), atol=1e-7, rtol=1.2e-7)
    s, ts = both(0.5)
    same(getattr(mg, name)(s), getattr(torch, name)(ts), atol=1e-15)
    x = mg.tensor(np.abs(rng(3, 4)) + 0.1, requires_grad=True)
    f = getattr(mg, name)
    assert mg.gradcheck(f, [x]) and mg.gradgradcheck(f, [x])


def test_clamp_min_max():
    data = np.array([-2.0, -1.0, 0.0, 0.5, 1.0, 3.0, np.nan])
    grads_match(lambda x: mg.clamp_min(x, 0.0), lambda x: torch.clamp_min(x, 0.0), [data])
    grads_match(lambda x: x.clamp_max(1.0), lambda x: x.clamp_max(1.0), [data])
    lo = np.array([0.0, -1.5, 1.0, 0.5, 2.0, 3.0, 0.0])
    grads_match(lambda x, b: x.clamp_min(b), lambda x, b: x.clamp_min(b), [data, lo])
    grads_match(lambda x, b: mg.clamp_max(x, b), lambda x, b: torch.clamp_max(x, b), [data, lo])
    a, ta = both([1, 5, -3], "int64")
    same(a.clamp_min(0), ta.clamp_min(0))
    with mg.no_grad():
        a.clamp_min_(0).clamp_max_(2)
    ta.clamp_min_(0).clamp_max_(2)
    same(a, ta)


# ---------------------------------------------------------------------- logical, isclose
def test_logical_ops_match_torch():
    a = np.array([0.0, 1.0, np.nan, -0.0, 2.0, 0.0])
    b = np.array([0, 0, 1, 1, 3, 0])
    (x, tx), (y, ty) = both(a), both(b, "int64")
    for name in ("logical_and", "logical_or", "logical_xor"):
        same(getattr(mg, name)(x, y), getattr(torch, name)(tx, ty))
        same(getattr(x, name)(y), getattr(tx, name)(ty))
    same(mg.logical_not(x), torch.logical_not(tx))
    same(y.logical_not(), ty.logical_not())
    m, tm = both([[True], [False]], "bool")
    same(mg.logical_and(m, x), torch.logical_and(tm, tx))  # broadcasting
    same(x.logical_or(0.0), tx.logical_or(torch.tensor(0.0)))
    m2, tm2 = both(rng(3, 2) > 0, "bool")
    same(m2.T.logical_xor(m2.T), tm2.T.logical_xor(tm2.T))


def test_isclose_allclose_equal_match_torch():
    a = np.array([1.0, 1.0 + 1e-6, 1.0 + 1e-4, np.nan, np.inf, -np.inf, 0.0, 1e-9])
    b = np.array([1.0, 1.0, 1.0, np.nan, np.inf, np.inf, 1e-9, 0.0])
    (x, tx), (y, ty) = both(a), both(b)
    same(mg.isclose(x, y), torch.isclose(tx, ty))
    same(x.isclose(y, equal_nan=True), tx.isclose(ty, equal_nan=True))
    same(mg.isclose(x, y, rtol=0, atol=1e-3), torch.isclose(tx, ty, rtol=0, atol=1e-3))
    i, ti = both([1, 2, 3], "int64")
    j, tj = both([1, 2, 4], "int64")
    same(mg.isclose(i, j), torch.isclose(ti, tj))
    same(mg.isclose(i, j, atol=1), torch.isclose(ti, tj, atol=1))
    with pytest.raises(RuntimeError, match="isclose"):
        mg.isclose(i, x[:3])
    assert mg.allclose(x[:3], y[:3], rtol=1e-3) == torch.allclose(tx[:3], ty[:3], rtol=1e-3)
    assert not mg.allclose(x, y) and x[:1].allclose(y[:1])
    assert mg.allclose(x, y, equal_nan=True) == torch.allclose(tx, ty, equal_nan=True)
    assert mg.equal(i, i.clone()) and torch.equal(ti, ti.clone())
    assert mg.equal(i, i.double()) == torch.equal(ti, ti.double())
    assert not mg.equal(x, x) and not torch.equal(tx, tx)  # NaN
    assert not mg.equal(i, j) and not i.equal(mg.tensor([1, 2]))


# ---------------------------------------------------------------------- all, any
def test_all_any_match_torch():
    data = np.array([[0.0, 1.0, np.nan], [2.0, 3.0, -1.0]])
    x, tx = both(data)
    for name in ("all", "any"):
        same(getattr(mg, name)(x), getattr(torch, name)(tx))
        same(getattr(x, name)(), getattr(tx, name)())
        for dim in (0, 1, -1, (0, 1)):
            for keepdim in (False, True):
                same(getattr(x, name)(dim, keepdim), getattr(tx, name)(dim, keepdim))
        u, tu = both([1, 0, 2], "uint8")
        same(getattr(u, name)(), getattr(tu, name)())  # uint8 stays uint8
        b, tb = both([[True, False], [True, True]], "bool")
        same(getattr(b.T, name)(1), getattr(tb.T, name)(1))
        e, te = both(np.zeros((0, 3)))
        same(getattr(e, name)(), getattr(te, name)())
        same(getattr(e, name)(0), getattr(te, name)(0))
        s, ts = both(2.0)
        same(getattr(s, name)(0), getattr(ts, name)(0))
        same(getattr(s, name)(keepdim=False), getattr(ts, name)())


# ---------------------------------------------------------------------- gather, scatter
def test_gather_matches_torch_values_and_grads():
    a = rng(3, 4)
    idx = np.array([[0, 2, 2, 1], [2, 2, 0, 0]])  # repeats accumulate in the gradient
    for dim, index in ((0, idx), (1, idx[:, :3] % 3), (-1, np.zeros((3, 0), np.int64))):
        grads_match(
            lambda x, i=index, d=dim: mg.gather(x, d, mg.tensor(i)),
            lambda x, i=index, d=dim: torch.gather(x, d, torch.tensor(i)),
            [a],
        )
    # transposed input, method form, int input
    x, tx = both(a)
    same(x.T.gather(0, mg.tensor(idx.T % 3)), tx.T.gather(0, torch.tensor(idx.T % 3)))
    i, ti = both(np.arange(12).reshape(3, 4), "int64")
    same(i.gather(1, mg.tensor(idx % 4)), ti.gather(1, torch.tensor(idx % 4)))
    s, ts = both(5.0)
    same(mg.gather(s, 0, mg.tensor(0)), torch.gather(ts, 0, torch.tensor(0)))
    x = leaf(3, 4)
    f = lambda x: mg.gather(x, 0, mg.tensor(idx))  # noqa: E731
    assert mg.gradcheck(f, [x]) and mg.gradgradcheck(f, [x])
    with pytest.raises(IndexError, match="gather: index 3 is out of bounds"):
        mg.gather(x, 0, mg.tensor(idx + 1))
    with pytest.raises(RuntimeError, match="same number|as many dims"):
        mg.gather(x, 0, mg.tensor([0, 1]))
    with pytest.raises(RuntimeError, match="integer"):
        mg.gather(x, 0, mg.tensor(idx.astype(float)))


def test_scatter_and_scatter_add_match_torch():
    a, src = rng(3, 4), rng(2, 5, seed=1)
    idx = np.array([[0, 2, 1, 0], [2, 1, 0, 1]])  # no repeats along dim 0
    # src larger than the index: only its leading block is read
    x, tx = both(a)
    s, ts = both(src)
    same(x.scatter(0, mg.tensor(idx), s), tx.scatter(0, torch.tensor(idx), ts))
    i2 = idx[:, :2]
    same(x.scatter_add(1, mg.tensor(i2), s), tx.scatter_add(1, torch.tensor(i2), ts))
    for dim, index in ((0, idx), (1, np.array([[3, 1], [0, 2]])), (-2, idx[:1])):
        src = rng(*index.shape, seed=1)
        grads_match(
            lambda x, s, i=index, d=dim: mg.scatter(x, d, mg.tensor(i), s),
            lambda x, s, i=index, d=dim: torch.scatter(x, d, torch.tensor(i), s),
            [a, src],
        )
        grads_match(
            lambda x, s, i=index, d=dim: x.scatter_add(d, mg.tensor(i), s),
            lambda x, s, i=index, d=dim: x.scatter_add(d, torch.tensor(i), s),
            [a, src],
        )
    # repeated indices: scatter_add accumulates; scatter's gradient to src reads every place
    rep = np.array([[0, 0, 1, 1], [0, 2, 1, 1]])
    src = rng(2, 4, seed=1)
    grads_match(
        lambda x, s: mg.scatter_add(x, 0, mg.tensor(rep), s),
        lambda x, s: torch.scatter_add(x, 0, torch.tensor(rep), s),
        [a, src],
    )
    x, tx = both(a, requires_grad=True)
    s, ts = both(src, requires_grad=True)
    y, ty = x.scatter(0, mg.tensor(rep), s), tx.scatter(0, torch.tensor(rep), ts)
    y.sum().backward()
    ty.sum().backward()
    same(x.grad, tx.grad)
    same(s.grad, ts.grad)
    # value form, positional float and keyword; int tensors
    same(x.scatter(1, mg.tensor(idx[:, :2] % 4), 7.5), tx.scatter(1, torch.tensor(idx[:, :2]), 7.5))
    same(
        mg.scatter(x, 0, mg.tensor(idx), value=-1.0),
        torch.scatter(tx, 0, torch.tensor(idx), value=-1.0),
    )
    i, ti = both(np.arange(12).reshape(3, 4), "int64")
    same(i.scatter(0, mg.tensor(idx), 9), ti.scatter(0, torch.tensor(idx), 9))
    x = leaf(3, 4)
    s = leaf(2, 4, seed=1)
    f = lambda x, s: mg.scatter(x, 0, mg.tensor(idx), s) ** 2  # noqa: E731
    assert mg.gradcheck(f, [x, s]) and mg.gradgradcheck(f, [x, s])
    g = lambda x, s: mg.scatter_add(x, 0, mg.tensor(rep), s) ** 2  # noqa: E731
    assert mg.gradcheck(g, [x, s]) and mg.gradgradcheck(g, [x, s])
    with pytest.raises(RuntimeError, match="dtype"):
        mg.scatter(x, 0, mg.tensor(idx), s.float())
    with pytest.raises(RuntimeError, match="reduce"):  # add and multiply are taken
        mg.scatter(x, 0, mg.tensor(idx), s, reduce="max")
    # in place
    with mg.no_grad():
        z = mg.zeros(3, 4, dtype=mg.float64)
        z.scatter_(0, mg.tensor(idx), s).scatter_add_(0, mg.tensor(rep), s)
    tz = torch.zeros(3, 4, dtype=torch.float64)
    ts = torch.tensor(s.detach().numpy())
    tz.scatter_(0, torch.tensor(idx), ts).scatter_add_(0, torch.tensor(rep), ts)
    same(z, tz)
    # with a src that requires grad: recorded, as PyTorch's
    out = mg.zeros(3, 4, dtype=mg.float64).scatter_(0, mg.tensor(idx), s)
    assert out.requires_grad and out.creator is not None


def test_index_select_matches_torch():
    a = rng(4, 3)
    for dim, index in ((0, [3, 0, 0, 2]), (1, [2, 1]), (-1, []), (0, 1)):
        grads_match(
            lambda x, i=index, d=dim: mg.index_select(x, d, mg.tensor(i, dtype=mg.int64)),
            lambda x, i=index, d=dim: torch.index_select(x, d, torch.tensor(i, dtype=torch.int64)),
            [a],
        )
    x, tx = both(a)
    same(x.T.index_select(0, mg.tensor([2, 0])), tx.T.index_select(0, torch.tensor([2, 0])))
    x = leaf(4, 3)
    f = lambda x: x.index_select(0, mg.tensor([1, 1, 3])) ** 2  # noqa: E731
    assert mg.gradcheck(f, [x]) and mg.gradgradcheck(f, [x])
    with pytest.raises(IndexError, match="index_select: index 4"):
        x.index_select(0, mg.tensor([4]))


# ---------------------------------------------------------------------- masked ops
def test_masked_fill_matches_torch():
    a = rng(3, 4)
    mask = rng(3, 4, seed=2) > 0
    for m in (mask, mask[0], mask[:, :1]):
        grads_match(
            lambda x, m=m: x.masked_fill(mg.tensor(m), -1e9),
            lambda x, m=m: x.masked_fill(torch.tensor(m), -1e9),
            [a],
        )
    grads_match(
        lambda x: mg.masked_fill(x, mg.tensor(mask), float("-inf")).softmax(-1),
        lambda x: torch.masked_fill(x, torch.tensor(mask), float("-inf")).softmax(-1),
        [a],
    )
    # a 0-d tensor value gets a gradient
    grads_match(
        lambda x, v: x.masked_fill(mg.tensor(mask), v),
        lambda x, v: x.masked_fill(torch.tensor(mask), v),
        [a, np.array(2.5)],
    )
    i, ti = both([1, 2, 3], "int64")
    m, tm = both([True, False, True], "bool")
    same(i.masked_fill(m, 1.7), ti.masked_fill(tm, 1.7))  # truncated to int, as torch
    x, tx = both(a)
    same(x.T.masked_fill(mg.tensor(mask.T), 0.0), tx.T.masked_fill(torch.tensor(mask.T), 0.0))
    with pytest.raises(RuntimeError, match="bool mask"):
        x.masked_fill(mg.tensor(mask.astype(np.uint8)), 0.0)
    x = leaf(3, 4)
    f = lambda x: x.masked_fill(mg.tensor(mask), 0.5) ** 2  # noqa: E731
    assert mg.gradcheck(f, [x]) and mg.gradgradcheck(f, [x])


def test_masked_fill_inplace_follows_the_inplace_rules():
    a = rng(3, 4)
    mask = rng(4, seed=3) > 0
    x, tx = both(a)
    assert x.masked_fill_(mg.tensor(mask), 3.0) is x
    tx.masked_fill_(torch.tensor(mask), 3.0)
    same(x, tx)
    v = x._version
    x.masked_fill_(mg.tensor(~mask), mg.tensor(-2.0))
    tx.masked_fill_(torch.tensor(~mask), torch.tensor(-2.0))
    same(x, tx)
    assert x._version == v + 1
    with pytest.raises(RuntimeError, match="masked_fill_.*leaf"):
        leaf(3, 4).masked_fill_(mg.tensor(mask), 0.0)
    with pytest.raises(RuntimeError, match="masked_fill_: mask of shape"):
        x.masked_fill_(mg.tensor(np.ones((2, 3, 4), bool)), 0.0)
    h = leaf(3, 4) * 2
    h.masked_fill_(mg.tensor(mask), 0.0)  # a tensor in a graph: recorded, as PyTorch
    assert h.creator is not None and float(h.detach().numpy()[:, mask].sum()) == 0.0
    # a view's change reaches its base
    base = mg.zeros(2, 3)
    base[0].masked_fill_(mg.tensor([True, False, True]), 1.0)
    assert base.tolist() == [[1.0, 0.0, 1.0], [0.0, 0.0, 0.0]]


def test_masked_select_and_nonzero_match_torch():
    a = rng(3, 4)
    mask = rng(3, 4, seed=4) > 0
    for m in (mask, mask[1], mask[:, :1]):
        grads_match(
            lambda x, m=m: mg.masked_select(x, mg.tensor(m)),
            lambda x, m=m: torch.masked_select(x, torch.tensor(m)),
            [a],
        )
    grads_match(
        lambda x: x[0].masked_select(mg.tensor(mask)),  # the input broadcasts too
        lambda x: x[0].masked_select(torch.tensor(mask)),
        [a],
    )
    x = leaf(3, 4)
    f = lambda x: x.masked_select(mg.tensor(mask)) ** 2  # noqa: E731
    assert mg.gradcheck(f, [x]) and mg.gradgradcheck(f, [x])
    for data in ([[0, 1.5, 0], [np.nan, 0, -0.0]], [0.0, 0.0], [], 3.0, 0.0):
        d, td = both(data)
        same(mg.nonzero(d), torch.nonzero(td))
        same(d.argwhere(), td.argwhere())
        for got, want in zip(
            d.nonzero(as_tuple=True), torch.nonzero(td, as_tuple=True), strict=True
        ):
            same(got, want)
    b, tb = both([[True, False], [True, True]], "bool")
    same(b.T.nonzero(), tb.T.nonzero())


# ---------------------------------------------------------------------- cumsum, prod
def test_cumsum_matches_torch():
    a = rng(3, 4)
    for dim in (0, 1, -1):
        grads_match(lambda x, d=dim: mg.cumsum(x, d), lambda x, d=dim: torch.cumsum(x, d), [a])
    for dt in ("int32", "bool", "uint8"):
        i, ti = both([[1, 0, 1], [1, 1, 0]], dt)
        same(i.cumsum(1), ti.cumsum(1))
        same(i.cumsum(0, dtype=mg.float32), ti.cumsum(0, dtype=torch.float32))
    x, tx = both(a)
    same(x.T.cumsum(0), tx.T.cumsum(0), atol=1e-15)
    s, ts = both(2.0)
    same(s.cumsum(0), ts.cumsum(0))
    e, te = both(np.zeros((0, 2)))
    same(e.cumsum(0), te.cumsum(0))
    x = leaf(3, 4)
    f = lambda x: x.cumsum(1) ** 2  # noqa: E731
    assert mg.gradcheck(f, [x]) and mg.gradgradcheck(f, [x])


@pytest.mark.parametrize(
    "data",
    [
        [[1.5, -2.0, 0.5, 3.0, 0.7], [0.3, 1.1, -0.9, 2.0, 1.3]],
        [[1.5, 0.0, 0.5, 3.0, 0.7], [0.0, 1.1, 0.0, 2.0, 1.3]],  # one and two zeros
        [[0.0, 0.0, 0.0, 0.0, 0.0], [2.0, 2.0, 2.0, 2.0, 2.0]],
    ],
)
def test_prod_matches_torch_with_zeros(data):
    a = np.array(data)
    grads_match(mg.prod, torch.prod, [a], atol=1e-12)
    for dim in (0, 1, -1):
        for keepdim in (False, True):
            grads_match(
                lambda x, d=dim, k=keepdim: x.prod(d, keepdim=k),
                lambda x, d=dim, k=keepdim: x.prod(d, keepdim=k),
                [a],
                atol=1e-12,
            )
    x = mg.tensor(a, requires_grad=True)
    f = lambda x: x.prod(1)  # noqa: E731
    assert mg.gradcheck(f, [x]) and mg.gradgradcheck(f, [x])
    assert mg.gradgradcheck(lambda x: x.prod(), [mg.tensor(a[:, :3], requires_grad=True)])


def test_prod_dtypes_and_edges():
    for dt in ("int32", "bool", "uint8", "float32"):
        i, ti = both([[1, 2, 3], [1, 0, 2]], dt)
        same(i.prod(), ti.prod(), rtol=1e-6)
        same(i.prod(1), ti.prod(1), rtol=1e-6)
        same(mg.prod(i, 0, dtype=mg.float64), torch.prod(ti, 0, dtype=torch.float64))
    x, tx = both(rng(3, 7) + 1)
    same(x.T.prod(0), tx.T.prod(0), rtol=1e-13)
    e, te = both(np.zeros((0, 3)))
    same(e.prod(), te.prod())
    same(e.prod(0), te.prod(0))
    s, ts = both(3.0)
    same(s.prod(), ts.prod())
    same(s.prod(0), ts.prod(0))


# ---------------------------------------------------------------------- argsort
def test_argsort_ties_nan_and_descending_match_torch():
    data = np.array([[3.0, 1.0, 3.0, np.nan, -np.inf, 1.0], [0.0, -0.0, 2.0, 2.0, 2.0, -1.0]])
    x, tx = both(data)
    for descending in (False, True):
        want = torch.argsort(tx, dim=-1, descending=descending, stable=True)
        same(mg.argsort(x, descending=descending, stable=True), want)
        same(x.argsort(descending=descending), want)
        same(x.argsort(0, descending), torch.argsort(tx, dim=0, descending=descending, stable=True))
    i, ti = both([[2, 1, 2, 1], [0, 0, 0, 0]], "int64")
    same(i.T.argsort(0), torch.argsort(ti.T, dim=0, stable=True))
    s, ts = both(1.0)
    same(s.argsort(), ts.argsort())


# ---------------------------------------------------------------------- tril, triu, flip, ...
def test_tril_triu_match_torch():
    for shape in ((4, 3), (2, 3, 5), (0, 3)):
        a = rng(*shape)
        for k in (0, 1, -1, 5, -5):
            grads_match(lambda x, k=k: mg.tril(x, k), lambda x, k=k: torch.tril(x, k), [a])
            grads_match(lambda x, k=k: x.triu(k), lambda x, k=k: x.triu(k), [a])
    nan, tnan = both([[np.nan, np.inf], [1.0, np.nan]])
    same(nan.tril(), tnan.tril())
    i, ti = both([[1, 2], [3, 4]], "int32")
    same(i.T.triu(), ti.T.triu())
    b, tb = both(np.ones((3, 3)), "bool")
    same(b.tril(-1), tb.tril(-1))
    x = leaf(3, 4)
    assert mg.gradcheck(lambda x: x.tril(1) ** 2, [x]) and mg.gradgradcheck(lambda x: x.triu(), [x])
    with mg.no_grad():
        y = mg.ones(3, 3)
        y.tril_()
    assert y.tolist() == torch.ones(3, 3).tril_().tolist()
    with pytest.raises(RuntimeError, match="tril: input must have at least 2 dims"):
        mg.tril(mg.ones(3))


def test_flip_roll_match_torch():
    a = rng(2, 3, 4)
    for dims in ((0,), (1, 2), (-1,), ()):
        grads_match(lambda x, d=dims: mg.flip(x, d), lambda x, d=dims: torch.flip(x, d), [a])
    grads_match(lambda x: x.flip(0, 2), lambda x: x.flip(0, 2), [a])
    for shifts, dims in ((1, 0), ((1, -2), (2, 0)), (5, None), (-7, -1)):
        grads_match(
            lambda x, s=shifts, d=dims: mg.roll(x, s, d),
            lambda x, s=shifts, d=dims: torch.roll(x, s, d),
            [a],
        )
    x, tx = both(a)
    same(x.transpose(0, 2).roll(1, 1), tx.transpose(0, 2).roll(1, 1))
    y = x.flip(0)
    y[0, 0, 0] = 100.0  # a copy, as PyTorch's
    assert x[1, 0, 0].item() != 100.0
    s, ts = both(1.5)
    same(s.flip(()), ts.flip(()))
    same(s.roll(3), ts.roll(3))
    with pytest.raises(IndexError):
        s.roll(3, 0)
    x = leaf(3, 4)
    assert mg.gradcheck(lambda x: mg.flip(x, (0,)) * x, [x])
    assert mg.gradgradcheck(lambda x: mg.roll(x, 2) * x, [x])
    same(mg.tensor(a).fliplr(), torch.tensor(a).fliplr())


def test_unbind_narrow_diag_outer_match_torch():
    a = rng(3, 4)
    for dim in (0, 1, -1):
        xs, txs = both(a, requires_grad=True)
        parts, tparts = mg.unbind(xs, dim), torch.unbind(txs, dim)
        assert len(parts) == len(tparts)
        for p, tp in zip(parts, tparts, strict=True):
            same(p, tp)
        (parts[0] * 2 + parts[-1]).sum().backward()
        (tparts[0] * 2 + tparts[-1]).sum().backward()
        same(xs.grad, txs.grad)
    assert mg.zeros(0, 3).unbind() == () and torch.zeros(0, 3).unbind() == ()
    for dim, start, length in ((0, 1, 2), (1, -3, 2), (-1, 0, 0), (1, 4, 0)):
        grads_match(
            lambda x, d=dim, s=start, n=length: mg.narrow(x, d, s, n),
            lambda x, d=dim, s=start, n=length: torch.narrow(x, d, s, n),
            [a],
        )
    x = mg.tensor(a)
    v = x.narrow(1, 1, 2)
    v.mul_(0)  # a view
    assert x[:, 1:3].abs().sum().item() == 0
    with pytest.raises(RuntimeError, match="narrow"):
        x.narrow(0, 2, 2)
    for k in (0, 1, -2, 4, -3):
        grads_match(lambda x, k=k: mg.diag(x, k), lambda x, k=k: torch.diag(x, k), [a])
        grads_match(lambda v, k=k: v.diag(k), lambda v, k=k: v.diag(k), [a[0]])
    i, ti = both([1, 2], "int64")
    same(mg.diag(i, 1), torch.diag(ti, 1))
    grads_match(mg.outer, torch.outer, [a[0], a[1, :3]])
    same(i.outer(mg.tensor([1.5])), ti.outer(torch.tensor([1.5])))
    x = leaf(4)
    assert mg.gradgradcheck(lambda x: mg.diag(x, 1) * mg.diag(x, -1), [x])
    assert mg.gradgradcheck(lambda x: mg.outer(x, x), [x])
    with pytest.raises(RuntimeError, match="outer"):
        mg.outer(mg.ones(2, 2), mg.ones(2))


# ---------------------------------------------------------------------- creation, layout
def test_new_and_like_factories_match_torch():
    for dt, tdt in ((mg.float64, torch.float64), (mg.int32, torch.int32), (mg.int8, torch.int8)):
        x, tx = mg.ones(2, dtype=dt), torch.ones(2, dtype=tdt)
        same(x.new_zeros(2, 3), tx.new_zeros(2, 3))
        same(x.new_ones((3,)), tx.new_ones((3,)))
        same(x.new_full((2, 2), 7), tx.new_full((2, 2), 7))
        same(x.new_tensor([1, 2.0]), tx.new_tensor([1, 2.0]))
        same(x.new_zeros(2, dtype=mg.bool), tx.new_zeros(2, dtype=torch.bool))
        assert x.new_empty(2, 3).shape == (2, 3) and x.new_empty(2).dtype == x.dtype
        same(mg.full_like(x, 3), torch.full_like(tx, 3))
        same(mg.empty_like(x).zero_(), torch.empty_like(tx).zero_())
        assert x.is_floating_point() == tx.is_floating_point()
        assert mg.is_floating_point(x) == torch.is_floating_point(tx)
        assert x.element_size() == tx.element_size() and x.nbytes == tx.nbytes
        assert x.itemsize == tx.itemsize
    same(
        mg.full_like(mg.ones(2), 2, dtype=mg.int64),
        torch.full_like(torch.ones(2), 2, dtype=torch.int64),
    )
    assert mg.ones(2).new_zeros(2, requires_grad=True).requires_grad
    e = mg.empty(2, 3)
    assert e.shape == (2, 3) and e.dtype == np.float32
    assert mg.empty((4,), dtype=mg.int16).dtype == np.int16
    assert mg.get_default_dtype() is mg.float32 and torch.get_default_dtype() == torch.float32
    assert mg.int8 == np.int8 and mg.int16 == np.int16 and mg.short is mg.int16


def test_as_tensor_shares_and_converts_like_torch():
    a = np.arange(3.0)
    t, tt = mg.as_tensor(a), torch.as_tensor(a)
    assert t.dtype == np.float64 and tt.dtype == torch.float64
    a[0] = 9  # shared memory, as torch's
    assert t[0].item() == 9 == tt[0].item()
    same(mg.as_tensor([1.5, 2]), torch.as_tensor([1.5, 2]))
    same(mg.as_tensor([1, 2]), torch.as_tensor([1, 2]))
    same(mg.as_tensor(a, dtype=mg.float32), torch.as_tensor(a, dtype=torch.float32))
    x = mg.ones(2)
    assert mg.as_tensor(x) is x
    assert mg.as_tensor(x, dtype=mg.float64).dtype == np.float64


def test_stride_and_mT_match_torch():
    for make in (
        lambda lib: lib.zeros(2, 3, 4),
        lambda lib: lib.zeros(2, 3, 4).transpose(0, 2),
        lambda lib: lib.zeros(3, 1).expand(3, 4),
        lambda lib: lib.zeros(4, 6)[:, ::2],
        lambda lib: lib.tensor(3.0),
    ):
        x, tx = make(mg), make(torch)
        assert x.stride() == tx.stride()
        for d in range(-x.ndim, x.ndim):
            assert x.stride(d) == tx.stride(d)
    assert mg.zeros(2, 3).contiguous().is_contiguous()
    a = rng(2, 3, 4)
    grads_match(lambda x: x.mT, lambda x: x.mT, [a])
    with pytest.raises(RuntimeError, match="mT"):
        _ = mg.ones(3).mT


def test_inference_mode_like_no_grad():
    x = mg.ones(2, requires_grad=True)
    with mg.inference_mode():
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad

    @mg.inference_mode()
    def f(x):
        return (x * 2).requires_grad

    @mg.inference_mode
    def g(x):
        return (x * 2).requires_grad

    assert not f(x) and not g(x) and mg.is_grad_enabled()
    with mg.inference_mode(False):
        assert (x * 2).requires_grad
    with mg.no_grad(), mg.inference_mode(False):  # turns grad mode on, as PyTorch's
        assert mg.is_grad_enabled()


# ---------------------------------------------------------------------- in place
def test_addcmul_addcdiv_lerp_inplace_match_torch_bitwise():
    a, b, c = rng(5, 7), rng(5, 7, seed=1), np.abs(rng(5, 7, seed=2)) + 0.1
    for dt in ("float32", "float64"):
        (x, tx), (y, ty), (z, tz) = both(a, dt), both(b, dt), both(c, dt)
        x.addcmul_(y, z, value=0.3).addcdiv_(y, z, value=-0.01)
        tx.addcmul_(ty, tz, value=0.3).addcdiv_(ty, tz, value=-0.01)
        same(x, tx, atol=1e-6 if dt == "float32" else 1e-14)
        x.lerp_(y, 0.1).lerp_(z, 0.9).lerp_(y, z * 0.5)
        tx.lerp_(ty, 0.1).lerp_(tz, 0.9).lerp_(ty, tz * 0.5)
        same(x, tx, atol=1e-6 if dt == "float32" else 1e-14)
        same(mg.addcmul(x, y, z, value=2), torch.addcmul(tx, ty, tz, value=2), rtol=1e-6)
        same(x.addcdiv(y, z), tx.addcdiv(ty, tz), rtol=1e-6)
    grads_match(
        lambda s, e, w: mg.lerp(s, e, w),
        lambda s, e, w: torch.lerp(s, e, w),
        [a, b, np.linspace(-1, 2, 35).reshape(5, 7)],
    )
    grads_match(lambda s, e: s.lerp(e, 0.75), lambda s, e: s.lerp(e, 0.75), [a, b])
    grads_match(
        lambda s, e, v: s.addcmul(e, v, value=0.5),
        lambda s, e, v: s.addcmul(e, v, value=0.5),
        [a, b, c],
    )
    s, e, w = leaf(2, 3), leaf(2, 3, seed=1), leaf(2, 3, seed=2)
    assert mg.gradcheck(mg.lerp, [s, e, w]) and mg.gradgradcheck(mg.lerp, [s, e, w])
    with pytest.raises(RuntimeError, match="lerp"):
        mg.lerp(mg.ones(2), mg.ones(2, dtype=mg.float64), 0.5)
    acc = mg.zeros(2, 3, dtype=mg.float64).addcmul_(s, e)  # recorded, as PyTorch's
    assert acc.requires_grad and acc.creator is not None
    with pytest.raises(RuntimeError, match="lerp_.*leaf"):
        s.lerp_(e.detach(), 0.5)


def test_detach_inplace():
    x = mg.ones(2, requires_grad=True)
    y = x * 2
    assert y.detach_() is y
    assert not y.requires_grad and y.grad_fn is None and y.is_leaf
    tx = torch.ones(2, requires_grad=True)
    ty = tx * 2
    ty.detach_()
    assert not ty.requires_grad and ty.grad_fn is None and ty.is_leaf
    z = (y * x).sum()
    z.backward()
    assert x.grad.tolist() == [2.0, 2.0]


# ---------------------------------------------------------------------- nn
def test_embedding_functional_matches_torch():
    w = rng(6, 3)
    idx = np.array([[0, 5, 5], [2, 0, 1]])
    for pad in (None, 0, -1):
        grads_match(
            lambda w, p=pad: F.embedding(mg.tensor(idx), w, padding_idx=p),
            lambda w, p=pad: TF.embedding(torch.tensor(idx), w, padding_idx=p),
            [w],
        )
    same(F.embedding(mg.tensor(3), mg.tensor(w)), TF.embedding(torch.tensor(3), torch.tensor(w)))
    emb = nn.Embedding(6, 3, padding_idx=1)
    assert emb(mg.tensor([1, 2])).shape == (2, 3) and emb(mg.tensor([1]))[0].abs().sum().item() == 0
    with pytest.raises(IndexError, match="embedding: index 6"):
        F.embedding(mg.tensor([6]), mg.tensor(w))
    with pytest.raises(NotImplementedError, match="sparse"):
        F.embedding(mg.tensor([1]), mg.tensor(w), sparse=True)
    wt = mg.tensor(w, requires_grad=True)
    assert mg.gradgradcheck(lambda w: F.embedding(mg.tensor(idx), w) ** 2, [wt])


@pytest.mark.parametrize(
    "shape,size",
    [
        ((2, 3, 5, 7), (3, 4)),
        ((2, 3, 7, 5), 1),
        ((1, 2, 4, 4), 2),
        ((3, 5, 6), (None, 4)),
        ((1, 1, 3, 3), (5, 7)),  # larger output: windows overlap and repeat
        ((2, 1, 6, 6), (6, 6)),
    ],
)
def test_adaptive_avg_pool2d_matches_torch(shape, size):
    a = rng(*shape)
    grads_match(
        lambda x: F.adaptive_avg_pool2d(x, size),
        lambda x: TF.adaptive_avg_pool2d(x, size),
        [a],
        atol=1e-14,
    )
    x, tx = both(a, "float32")
    same(nn.AdaptiveAvgPool2d(size)(x), torch.nn.AdaptiveAvgPool2d(size)(tx), atol=1e-6)
    same(
        F.adaptive_avg_pool2d(x.transpose(-1, -2), size),
        TF.adaptive_avg_pool2d(tx.transpose(-1, -2), size),
        atol=1e-6,
    )


def test_adaptive_avg_pool2d_gradgradcheck_and_errors():
    x = leaf(1, 2, 5, 4)
    f = lambda x: F.adaptive_avg_pool2d(x, (2, 3)) ** 2  # noqa: E731
    assert mg.gradcheck(f, [x]) and mg.gradgradcheck(f, [x])
    with pytest.raises(RuntimeError, match="adaptive_avg_pool2d"):
        F.adaptive_avg_pool2d(mg.ones(4, 4), 2)


def test_elu_relu6_hardtanh_match_torch_at_kinks():
    data = np.array([-100.0, -6.0, -1.0, -0.5, 0.0, 0.5, 1.0, 5.9, 6.0, 7.0, 1000.0, np.nan])
    for alpha in (1.0, 0.5, 2.0):
        grads_match(
            lambda x, a=alpha: F.elu(x, a), lambda x, a=alpha: TF.elu(x, a), [data], atol=1e-15
        )
    grads_match(F.relu6, TF.relu6, [data])
    grads_match(F.hardtanh, TF.hardtanh, [data])
    grads_match(lambda x: F.hardtanh(x, -0.5, 6.0), lambda x: TF.hardtanh(x, -0.5, 6.0), [data])
    x, tx = both(data, "float32")
    same(nn.ELU(alpha=0.3)(x), torch.nn.ELU(alpha=0.3)(tx), rtol=1e-6)
    same(nn.ReLU6()(x), torch.nn.ReLU6()(tx))
    same(nn.Hardtanh(-2.0, 2.0)(x), torch.nn.Hardtanh(-2.0, 2.0)(tx))
    x = mg.tensor(np.array([-2.0, -0.7, 0.3, 1.2, 3.0]), requires_grad=True)
    assert mg.gradcheck(F.elu, [x]) and mg.gradgradcheck(lambda x: F.elu(x, 1.5), [x])
    assert mg.gradgradcheck(lambda x: F.relu6(x) * x, [x])
    assert repr(nn.ReLU6()) == repr(torch.nn.ReLU6()) == "ReLU6()"
    # integers clamp to the truncated bounds, as PyTorch's; bool is refused
    same(F.hardtanh(mg.tensor([-3, 1, 2])), TF.hardtanh(torch.tensor([-3, 1, 2])))
    with pytest.raises(RuntimeError, match="hardtanh"):
        F.hardtanh(mg.tensor([True, False]))


def test_unflatten_and_parameter_list_dict():
    x, tx = both(rng(2, 12))
    for dim, sizes in ((1, (3, 4)), (-1, (2, -1, 3)), (0, (1, 2))):
        same(nn.Unflatten(dim, sizes)(x), torch.nn.Unflatten(dim, sizes)(tx))
    with pytest.raises(RuntimeError, match="Unflatten"):
        nn.Unflatten(1, (5, 2))(x)
    m = nn.Module()
    m.ps = nn.ParameterList([mg.ones(2), nn.Parameter(mg.zeros(3))])
    m.ps.append(mg.zeros(4))
    m.pd = nn.ParameterDict({"a": mg.ones(1)})
    tm = torch.nn.Module()
    tm.ps = torch.nn.ParameterList([torch.ones(2), torch.nn.Parameter(torch.zeros(3))])
    tm.ps.append(torch.zeros(4))
    tm.pd = torch.nn.ParameterDict({"a": torch.ones(1)})
    assert [n for n, _ in m.named_parameters()] == [n for n, _ in tm.named_parameters()]
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in m.ps)
    assert len(m.ps) == 3 and m.ps[-1].shape == (4,) and "a" in m.pd
    assert list(m.state_dict()) == list(tm.state_dict())


def test_trunc_normal_and_orthogonal_init():
    mg.manual_seed(0)
    torch.manual_seed(0)
    w, tw = mg.empty(200, 50), torch.empty(200, 50)
    assert nn.init.trunc_normal_(w, mean=0.5, std=2.0, a=-1.0, b=3.0) is w
    torch.nn.init.trunc_normal_(tw, mean=0.5, std=2.0, a=-1.0, b=3.0)
    arr, tarr = w.numpy(), tw.numpy()
    assert arr.min() >= -1.0 and arr.max() <= 3.0
    assert abs(arr.mean() - tarr.mean()) < 0.05 and abs(arr.std() - tarr.std()) < 0.05
    assert len(np.unique(arr)) > 9000  # redrawn, not clamped
    for shape in ((6, 4), (3, 8), (4, 2, 3)):
        w = mg.empty(*shape, dtype=mg.float64)
        v = w._version
        assert nn.init.orthogonal_(w, gain=2.0) is w and w._version == v + 1
        m = w.numpy().reshape(shape[0], -1)
        small = m.T @ m if m.shape[0] >= m.shape[1] else m @ m.T
        np.testing.assert_allclose(small, 4 * np.eye(small.shape[0]), atol=1e-10)
    with pytest.raises(ValueError, match="orthogonal_"):
        nn.init.orthogonal_(mg.empty(3))


def test_top_level_names_exist_like_torch():
    names = (
        "masked_fill all any gather scatter scatter_add index_select cumsum prod argsort "
        "tril triu floor ceil round trunc sign clamp_min clamp_max square rsqrt log1p expm1 "
        "flip roll unbind narrow nonzero masked_select diag outer logical_and logical_or "
        "logical_not logical_xor isclose allclose equal full_like empty empty_like "
        "as_tensor is_floating_point get_default_dtype inference_mode int8 int16 lerp "
        "addcmul addcdiv argwhere"
    ).split()
    assert [n for n in names if not hasattr(mg, n)] == []
    assert [n for n in names if not hasattr(torch, n)] == []
