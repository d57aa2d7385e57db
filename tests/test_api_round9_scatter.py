"""Round nine's scatter family against torch: scatter_reduce, index_reduce, index_copy,
index_fill, masked_scatter, put, take and the *_scatter ops; values, errors, gradients."""

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.filterwarnings("ignore:index_reduce\\(\\) is in beta")

RNG = np.random.default_rng(1)


def arr(*shape):
    return RNG.uniform(-2, 2, shape)


def close(got, want):
    w = want.detach().numpy()
    g = got.detach().numpy()
    assert g.shape == w.shape and g.dtype == w.dtype, (g.shape, w.shape, g.dtype, w.dtype)
    np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-9, equal_nan=True)


def grads(mg_fn, torch_fn, *arrays, numeric=True, higher=True):
    ms = [mg.tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    got, want = mg_fn(*ms), torch_fn(*ts)
    close(got, want)
    w = arr(*want.shape)
    (got * mg.tensor(w)).sum().backward()
    (want * torch.tensor(w)).sum().backward()
    for m, t in zip(ms, ts, strict=True):
        tg = np.zeros(t.shape) if t.grad is None else t.grad.numpy()
        mgr = np.zeros(m.shape) if m.grad is None else m.grad.numpy()
        np.testing.assert_allclose(mgr, tg, rtol=1e-6, atol=1e-9, equal_nan=True)
    if numeric:
        fresh = [mg.tensor(a, requires_grad=True) for a in arrays]
        assert mg.gradcheck(mg_fn, fresh)
        if higher:
            assert mg.gradgradcheck(mg_fn, fresh)


INDEX = np.array([[0, 1, 0, 2], [2, 2, 1, 0]])


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_scatter_reduce_values_and_gradients(reduce, include_self, dim):
    x, src, big = arr(3, 4), arr(2, 4), arr(2, 5)  # torch's backward needs src shaped as index
    idx = INDEX if dim == 0 else INDEX % 4
    kw = dict(include_self=include_self)

    def m(a, s):
        return a.scatter_reduce(dim, mg.tensor(idx), s, reduce, **kw)

    def t(a, s):
        return a.scatter_reduce(dim, torch.tensor(idx), s, reduce, **kw)

    grads(m, t, x, src)
    close(
        mg.scatter_reduce(mg.tensor(x), dim, mg.tensor(idx), mg.tensor(big), reduce, **kw),
        torch.scatter_reduce(
            torch.tensor(x), dim, torch.tensor(idx), torch.tensor(big), reduce, **kw
        ),
    )
    xi, si = (RNG.integers(-5, 6, (3, 4)), RNG.integers(-5, 6, (2, 5)))
    close(
        mg.tensor(xi).scatter_reduce(dim, mg.tensor(idx), mg.tensor(si), reduce, **kw),
        torch.tensor(xi).scatter_reduce(dim, torch.tensor(idx), torch.tensor(si), reduce, **kw),
    )


@pytest.mark.parametrize("reduce", ["prod", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_gradients_at_zeros_and_ties(reduce, include_self):
    x = np.array([0.0, 2.0, 1.0, 3.0])
    src = np.array([2.0, 0.0, 1.0, 2.0, 3.0, 0.0])
    idx = np.array([0, 1, 2, 2, 3, 3])
    kw = dict(include_self=include_self)
    grads(
        lambda a, s: a.scatter_reduce(0, mg.tensor(idx), s, reduce, **kw),
        lambda a, s: a.scatter_reduce(0, torch.tensor(idx), s, reduce, **kw),
        x,
        src,
        numeric=False,
    )


def test_scatter_reduce_in_place_and_errors():
    x, src = arr(3, 4), arr(2, 4)
    mx, tx = mg.tensor(x), torch.tensor(x)
    assert mx.scatter_reduce_(0, mg.tensor(INDEX), mg.tensor(src), "amax") is mx
    tx.scatter_reduce_(0, torch.tensor(INDEX), torch.tensor(src), "amax")
    close(mx, tx)
    with pytest.raises(RuntimeError):
        mg.tensor(x).scatter_reduce(0, mg.tensor(INDEX), mg.tensor(src), "maximum")
    with pytest.raises(RuntimeError):
        mg.tensor(x).scatter_reduce(0, mg.tensor(INDEX), mg.tensor(src, dtype=mg.float32), "sum")
    with pytest.raises(IndexError):
        mg.tensor(x).scatter_reduce(0, mg.tensor(INDEX + 5), mg.tensor(src), "sum")
    close(
        mg.tensor(2.0).scatter_reduce(0, mg.tensor(0), mg.tensor(3.0), "prod"),
        torch.tensor(2.0).scatter_reduce(0, torch.tensor(0), torch.tensor(3.0), "prod"),
    )
    # in a graph: recorded
    leaf, s = mg.tensor(x, requires_grad=True), mg.tensor(src, requires_grad=True)
    tleaf, ts = torch.tensor(x, requires_grad=True), torch.tensor(src, requires_grad=True)
    h, th = leaf * 1, tleaf * 1
    h.scatter_reduce_(0, mg.tensor(INDEX), s, "sum", include_self=False)
    th.scatter_reduce_(0, torch.tensor(INDEX), ts, "sum", include_self=False)
    (h * h).sum().backward()
    (th * th).sum().backward()
    close(leaf.grad, tleaf.grad)
    close(s.grad, ts.grad)


@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_index_reduce(reduce, include_self, dim):
    x = arr(3, 4)
    idx = np.array([0, 2, 0]) if dim == 0 else np.array([3, 1, 3, -1 + 1])
    src = arr(3, 4) if dim == 0 else arr(3, 4)
    kw = dict(include_self=include_self)
    grads(
        lambda a, s: a.index_reduce(dim, mg.tensor(idx), s, reduce, **kw),
        lambda a, s: a.index_reduce(dim, torch.tensor(idx), s, reduce, **kw),
        x,
        src,
    )
    xi, si = RNG.integers(-5, 6, (3, 4)), RNG.integers(-5, 6, (3, 4))
    close(
        mg.index_reduce(mg.tensor(xi), dim, mg.tensor(idx), mg.tensor(si), reduce, **kw),
        torch.index_reduce(
            torch.tensor(xi), dim, torch.tensor(idx), torch.tensor(si), reduce, **kw
        ),
    )
    mx, tx = mg.tensor(x), torch.tensor(x)
    mx.index_reduce_(dim, mg.tensor(idx), mg.tensor(src), reduce, **kw)
    tx.index_reduce_(dim, torch.tensor(idx), torch.tensor(src), reduce, **kw)
    close(mx, tx)


def test_index_reduce_errors():
    with pytest.raises(RuntimeError):
        mg.ones(3).index_reduce(0, mg.tensor([0]), mg.ones(1), "sum")
    with pytest.raises(RuntimeError):
        mg.ones(3, 2).index_reduce(0, mg.tensor([0]), mg.ones(2, 2), "prod")


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_index_copy_and_index_fill(dim):
    x = arr(3, 4)
    idx = np.array([2, 0]) if dim == 0 else np.array([3, 1])
    src = arr(2, 4) if dim == 0 else arr(3, 2)
    grads(
        lambda a, s: a.index_copy(dim, mg.tensor(idx), s),
        lambda a, s: a.index_copy(dim, torch.tensor(idx), s),
        x,
        src,
    )
    grads(
        lambda a: mg.index_fill(a, dim, mg.tensor(idx), -1.5),
        lambda a: torch.index_fill(a, dim, torch.tensor(idx), -1.5),
        x,
    )
    grads(
        lambda a, v: a.index_fill(dim, mg.tensor(idx), v),
        lambda a, v: a.index_fill(dim, torch.tensor(idx), v),
        x,
        np.array(0.5),
    )
    close(
        mg.tensor([1, 2, 3]).index_fill(0, mg.tensor([1]), 2.7),
        torch.tensor([1, 2, 3]).index_fill(0, torch.tensor([1]), 2.7),
    )
    mx, tx = mg.tensor(x), torch.tensor(x)
    mx.index_copy_(dim, mg.tensor(idx), mg.tensor(src)).index_fill_(dim, mg.tensor(idx[:1]), 9)
    tx.index_copy_(dim, torch.tensor(idx), torch.tensor(src)).index_fill_(
        dim, torch.tensor(idx[:1]), 9
    )
    close(mx, tx)
    close(
        mg.tensor(x.T).index_fill(0, mg.tensor([-1]), 0),
        torch.tensor(x.T).index_fill(0, torch.tensor([-1]), 0),
    )
    with pytest.raises(RuntimeError):
        mg.tensor(x).index_copy(0, mg.tensor([0]), mg.ones(2, 4, dtype=mg.float64))
    with pytest.raises(RuntimeError):
        mg.tensor(x).index_fill(0, mg.tensor([0]), mg.ones(2))
    with pytest.raises(IndexError):
        mg.tensor(x).index_fill(0, mg.tensor([3]), 1.0)


def test_masked_scatter():
    x = arr(3, 4)
    mask = RNG.random((3, 4)) > 0.5
    src = arr(4, 4)
    grads(
        lambda a, s: a.masked_scatter(mg.tensor(mask), s),
        lambda a, s: a.masked_scatter(torch.tensor(mask), s),
        x,
        src,
    )
    row = np.array([True, False, True, True])
    grads(
        lambda a, s: mg.masked_scatter(a, mg.tensor(row), s),
        lambda a, s: torch.masked_scatter(a, torch.tensor(row), s),
        x,
        src,
    )
    grads(
        lambda a, s: a.masked_scatter(mg.tensor(mask), s),
        lambda a, s: a.masked_scatter(torch.tensor(mask), s),
        arr(4),
        src,
    )
    mx, tx = mg.tensor(x), torch.tensor(x)
    mx.masked_scatter_(mg.tensor(row), mg.tensor(src))
    tx.masked_scatter_(torch.tensor(row), torch.tensor(src))
    close(mx, tx)
    with pytest.raises(RuntimeError):
        mg.tensor(x).masked_scatter(mg.tensor(mask), mg.ones(1, dtype=mg.float64))
    with pytest.raises(RuntimeError):
        mg.tensor(x).masked_scatter(mg.tensor(mask), mg.ones(12))
    with pytest.raises(RuntimeError):
        mg.tensor(x).masked_scatter(mg.ones(3, 4), mg.tensor(src))


@pytest.mark.parametrize("accumulate", [False, True])
def test_put_and_take(accumulate):
    x = arr(3, 4)
    idx = np.array([[0, -1], [5, 7]]) if not accumulate else np.array([[0, -1], [5, 0]])
    src = arr(2, 2)
    grads(
        lambda a, s: a.put(mg.tensor(idx), s, accumulate),
        lambda a, s: a.put(torch.tensor(idx), s, accumulate),
        x,
        src,
    )
    close(
        mg.put(mg.tensor(x), mg.tensor(idx), mg.tensor(src), accumulate),
        torch.put(torch.tensor(x), torch.tensor(idx), torch.tensor(src), accumulate),
    )
    mx, tx = mg.tensor(x.T), torch.tensor(x.T)
    mx.put_(mg.tensor(idx), mg.tensor(src), accumulate)
    tx.put_(torch.tensor(idx), torch.tensor(src), accumulate)
    close(mx, tx)
    with pytest.raises(IndexError):
        mg.tensor(x).put(mg.tensor([12]), mg.ones(1, dtype=mg.float64))
    with pytest.raises(RuntimeError):
        mg.tensor(x).put(mg.tensor([1, 2]), mg.ones(1, dtype=mg.float64))


@pytest.mark.parametrize(
    "offset, d1, d2", [(0, 0, 1), (1, 0, 1), (-1, 1, 0), (2, -1, 0), (0, 0, 2)]
)
def test_diagonal_scatter(offset, d1, d2):
    x = arr(3, 4, 5)
    diag_shape = torch.tensor(x).diagonal(offset, d1, d2).shape
    src = arr(*diag_shape)
    grads(
        lambda a, s: a.diagonal_scatter(s, offset, d1, d2),
        lambda a, s: a.diagonal_scatter(s, offset, d1, d2),
        x,
        src,
    )
    close(
        mg.diagonal_scatter(mg.tensor(x), mg.tensor(src), offset, d1, d2),
        torch.diagonal_scatter(torch.tensor(x), torch.tensor(src), offset, d1, d2),
    )
    with pytest.raises(RuntimeError):
        mg.diagonal_scatter(mg.tensor(x), mg.ones(1, dtype=mg.float64), offset, d1, d2)


def test_select_and_slice_scatter():
    x = arr(3, 4)
    for dim, index in [(0, 1), (1, -1), (-1, 0)]:
        src = arr(4) if dim == 0 else arr(3)
        grads(
            lambda a, s, d=dim, i=index: a.select_scatter(s, d, i),
            lambda a, s, d=dim, i=index: a.select_scatter(s, d, i),
            x,
            src,
        )
    for dim, start, end, step in [
        (0, None, None, 1),
        (1, 1, 3, 1),
        (1, 0, None, 2),
        (0, -2, None, 1),
    ]:
        shape = (
            torch.tensor(x).slice_scatter(torch.zeros(0), dim, start, end, step).shape
            if False
            else None
        )
        part = torch.tensor(x).narrow(0, 0, 3)
        view = part[(slice(None),) * (dim % 2) + (slice(start, end, step),)]
        src = arr(*view.shape)
        grads(
            lambda a, s, k=(dim, start, end, step): mg.slice_scatter(a, s, *k),
            lambda a, s, k=(dim, start, end, step): torch.slice_scatter(a, s, *k),
            x,
            src,
        )
        assert shape is None
    close(
        mg.tensor([1, 2, 3]).select_scatter(mg.tensor(7), 0, 1),
        torch.tensor([1, 2, 3]).select_scatter(torch.tensor(7), 0, 1),
    )
    with pytest.raises(RuntimeError):
        mg.select_scatter(mg.tensor(x), mg.ones(3, dtype=mg.float64), 0, 0)
    with pytest.raises(IndexError):
        mg.select_scatter(mg.tensor(x), mg.ones(4, dtype=mg.float64), 0, 3)


@pytest.mark.parametrize(
    "shape, wrap",
    [
        ((3, 3), False),
        ((5, 2), False),
        ((7, 3), True),
        ((7, 3), False),
        ((2, 5), True),
        ((3, 3, 3), False),
    ],
)
def test_fill_diagonal_(shape, wrap):
    x = arr(*shape)
    mx, tx = mg.tensor(x), torch.tensor(x)
    assert mx.fill_diagonal_(-7.0, wrap) is mx
    tx.fill_diagonal_(-7.0, wrap)
    close(mx, tx)
    leaf, tleaf = mg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    h, th = leaf * 2, tleaf * 2
    h.fill_diagonal_(1.0, wrap)
    th.fill_diagonal_(1.0, wrap)
    (h * h).sum().backward()
    (th * th).sum().backward()
    close(leaf.grad, tleaf.grad)
    with pytest.raises(RuntimeError):
        mg.ones(3).fill_diagonal_(1)
    with pytest.raises(RuntimeError):
        mg.ones(2, 3, 3).fill_diagonal_(1)
