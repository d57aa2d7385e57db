"""PyTorch APIs a tester found missing, compared with PyTorch itself: finfo/iinfo, the
global RNG state, logspace, tril/triu_indices, searchsorted, bucketize, bincount,
take_along_dim, index_add(_), index_put(_), unflatten, reshape_as, Tensor.where,
init.eye_/dirac_, gumbel_softmax and TripletMarginWithDistanceLoss."""

import warnings

import numpy as np
import pytest
from torch_ref import both, same

import minigrad as mg
from minigrad import nn
from minigrad.nn import functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional
NAN = float("nan")

DTYPES = [
    (np.float16, torch.float16),
    (np.float32, torch.float32),
    (np.float64, torch.float64),
    (np.int8, torch.int8),
    (np.int16, torch.int16),
    (np.int32, torch.int32),
    (np.int64, torch.int64),
    (np.uint8, torch.uint8),
]


def _raises_like(fn_mg, fn_torch, match=None):
    """Both raise the same exception type (and minigrad's message matches `match`)."""
    with pytest.raises(Exception) as theirs:
        fn_torch()
    with pytest.raises(type(theirs.value), match=match):
        fn_mg()


def _ints(values, dtype=np.int64):
    return mg.tensor(np.array(values, dtype=dtype)), torch.tensor(np.array(values, dtype=dtype))


# ---------------------------------------------------------------- finfo / iinfo
@pytest.mark.parametrize("ours,theirs", DTYPES)
def test_finfo_iinfo_match_torch(ours, theirs):
    if np.dtype(ours).kind == "f":
        f, g = mg.finfo(ours), torch.finfo(theirs)
        for name in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution"):
            assert getattr(f, name) == getattr(g, name), name
            assert type(getattr(f, name)) is type(getattr(g, name)), name
        assert f.dtype == g.dtype and repr(f) == repr(g)
        with pytest.raises(TypeError):
            mg.iinfo(ours)
    else:
        f, g = mg.iinfo(ours), torch.iinfo(theirs)
        for name in ("bits", "max", "min", "dtype"):
            assert getattr(f, name) == getattr(g, name), name
        assert type(f.max) is int and repr(f) == repr(g)
        with pytest.raises(TypeError, match="floating point"):
            mg.finfo(ours)


def test_finfo_default_and_aliases():
    assert mg.finfo().dtype == torch.finfo().dtype == "float32"
    assert mg.finfo(mg.float) == mg.finfo(mg.float32) and mg.finfo(mg.double).bits == 64
    assert mg.finfo(mg.float32).eps == torch.finfo(torch.float32).eps
    assert mg.iinfo(mg.long).max == torch.iinfo(torch.long).max
    assert mg.iinfo(mg.uint8).min == 0
    with pytest.raises(TypeError, match="bool"):
        mg.iinfo(mg.bool)
    with pytest.raises(TypeError):
        mg.finfo(mg.ones(2))


# ---------------------------------------------------------------- RNG state
def test_rng_state_round_trip_is_exact():
    mg.manual_seed(5)
    mg.randn(3)
    state = mg.get_rng_state()
    assert isinstance(state, mg.Tensor) and state.dtype == np.uint8 and state.ndim == 1
    a = (mg.randn(4, 5).numpy(), mg.rand(7).numpy(), mg.randint(0, 9, (6,)).numpy())
    mg.manual_seed(123)  # a new global generator: the state still restores the stream
    mg.randn(10)
    mg.set_rng_state(state)
    b = (mg.randn(4, 5).numpy(), mg.rand(7).numpy(), mg.randint(0, 9, (6,)).numpy())
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(mg.get_rng_state().numpy(), state.numpy())  # a copy, moved on


def test_rng_state_errors_like_torch():
    _raises_like(lambda: mg.set_rng_state([1, 2]), lambda: torch.set_rng_state([1, 2]))
    _raises_like(lambda: mg.set_rng_state(mg.zeros(3)), lambda: torch.set_rng_state(torch.zeros(3)))
    _raises_like(
        lambda: mg.set_rng_state(mg.zeros(3, dtype=mg.uint8)),
        lambda: torch.set_rng_state(torch.zeros(3, dtype=torch.uint8)),
    )


def test_generator_state_round_trip():
    g = mg.Generator().manual_seed(3)
    s = g.get_state()
    a = mg.randn(5, generator=g).numpy()
    assert g.set_state(s) is g
    np.testing.assert_array_equal(mg.randn(5, generator=g).numpy(), a)


# ---------------------------------------------------------------- logspace
@pytest.mark.parametrize("ours,theirs", DTYPES)
def test_logspace_matches_torch(ours, theirs):
    rng = np.random.default_rng(0)
    for _ in range(40):
        lo, hi = (0.0, 2.0) if np.dtype(ours).kind in "iu" else (-4.0, 4.0)
        s, e = (float(np.round(rng.uniform(lo, hi), 3)) for _ in range(2))
        steps = int(rng.integers(0, 30))
        base = float(rng.choice([10.0, 2.0, 1.1, 3.7, 0.5]))
        got = mg.logspace(s, e, steps, base, dtype=ours)
        want = torch.logspace(s, e, steps, base, dtype=theirs)
        # float64: C's pow against NumPy's extended-precision one, an ulp apart rarely
        same(got, want, rtol=5e-16 if ours == np.float64 else 0.0)


def test_logspace_defaults_and_edges():
    same(mg.logspace(0, 2, 5), torch.logspace(0, 2, 5))
    same(mg.logspace(0, 2, 5, base=2), torch.logspace(0, 2, 5, base=2))
    same(mg.logspace(0.5, 2, 1, dtype=mg.int64), torch.logspace(0.5, 2, 1, dtype=torch.int64))
    same(mg.logspace(0, 2, 0), torch.logspace(0, 2, 0))
    same(
        mg.logspace(mg.tensor(0.0), mg.tensor(2.0), 3),
        torch.logspace(torch.tensor(0.0), torch.tensor(2.0), 3),
    )
    assert mg.logspace(0, 1, 3, requires_grad=True).requires_grad
    _raises_like(lambda: mg.logspace(0, 2, -1), lambda: torch.logspace(0, 2, -1), "non-negative")
    _raises_like(
        lambda: mg.logspace(0, 2, 3, dtype=mg.bool),
        lambda: torch.logspace(0, 2, 3, dtype=torch.bool),
    )


# ---------------------------------------------------------------- tril / triu indices
@pytest.mark.parametrize(
    "row,col,offset",
    [(3, 4, 1), (3, 4, -1), (0, 4, 0), (5, 2, -2), (3, 3, 9), (3, 3, -9), (4, 4, 0), (1, 1, 0)],
)
def test_tril_triu_indices_match_torch(row, col, offset):
    same(mg.tril_indices(row, col, offset), torch.tril_indices(row, col, offset))
    same(mg.triu_indices(row, col, offset), torch.triu_indices(row, col, offset))


def test_tril_triu_indices_dtype_and_errors():
    same(mg.tril_indices(3, 3, dtype=mg.int32), torch.tril_indices(3, 3, dtype=torch.int32))
    same(mg.triu_indices(3, 5, 1, dtype=mg.int32), torch.triu_indices(3, 5, 1, dtype=torch.int32))
    for f, g in [(mg.tril_indices, torch.tril_indices), (mg.triu_indices, torch.triu_indices)]:
        _raises_like(lambda f=f: f(-1, 3), lambda g=g: g(-1, 3), "row must be non-negative")
        _raises_like(lambda f=f: f(3, -1), lambda g=g: g(3, -1), "col must be non-negative")
        _raises_like(
            lambda f=f: f(3, 3, dtype=mg.float32), lambda g=g: g(3, 3, dtype=torch.float32)
        )


# ---------------------------------------------------------------- searchsorted / bucketize
def _search_both(seq, vals, dtype=np.float32, **kw):
    s, ts = both(seq, dtype)
    v, tv = both(vals, dtype)
    sorter = kw.pop("sorter", None)
    if sorter is not None:
        kw_m = dict(kw, sorter=mg.tensor(sorter))
        kw_t = dict(kw, sorter=torch.tensor(sorter))
    else:
        kw_m = kw_t = kw
    same(mg.searchsorted(s, v, **kw_m), torch.searchsorted(ts, tv, **kw_t))


def test_searchsorted_random_rows_nan_unsorted_and_sorter():
    rng = np.random.default_rng(0)
    for trial in range(150):
        n, m = int(rng.integers(0, 9)), int(rng.integers(0, 6))
        seq = rng.integers(0, 5, size=(2, 3, n)).astype(np.float32)
        if trial % 2:
            seq.sort(-1)  # sorted with ties; the others unsorted: PyTorch's answers still
        if trial % 5 == 0 and n:
            seq[0, 1, rng.integers(0, n)] = NAN
        vals = rng.integers(-1, 6, size=(2, 3, m)).astype(np.float32)
        if trial % 3 == 0 and m:
            vals[1, 0, 0] = NAN
        for kw in ({}, {"right": True}, {"side": "right"}, {"side": "left"}, {"out_int32": True}):
            _search_both(seq, vals, **kw)
            sorter = np.argsort(seq, -1, kind="stable")
            _search_both(seq, vals, sorter=sorter, **kw)
        _search_both(seq[0, 0], vals.reshape(-1))  # a 1-D sequence, values of any shape
        _search_both(seq[0, 0], vals, right=True)


def test_searchsorted_ties_nan_scalars_and_dtypes():
    seq, vals = [1.0, 2.0, 2.0, 3.0, NAN], [NAN, 2.0, 0.0, 5.0, 3.0]
    for kw in ({}, {"right": True}, {"side": "right"}):
        _search_both(seq, vals, **kw)
        _search_both(seq, vals, np.float64, **kw)
    s, ts = both([1.0, 2.0, 2.0, 3.0], "float32")
    for v in (2, 2.5, 0.1, -1, True):
        for right in (False, True):
            same(mg.searchsorted(s, v, right=right), torch.searchsorted(ts, v, right=right))
    # a number takes the sequence's dtype (0.1 is float32 0.1 here), as PyTorch promotes it
    for dt in ("float32", "float16", "float64"):
        s, ts = both([0.1, 0.2], dt)
        for v in (0.1, 0.2, 2, True):
            same(mg.searchsorted(s, v, right=True), torch.searchsorted(ts, v, right=True))
    si, tsi = _ints([1, 2, 3])
    same(mg.searchsorted(si, 2.5), torch.searchsorted(tsi, 2.5))
    same(mg.searchsorted(si, mg.tensor([2.5])), torch.searchsorted(tsi, torch.tensor([2.5])))
    v64, tv64 = _ints([0, 2, 9])
    same(
        mg.searchsorted(mg.tensor([1.0, 2.0]), v64),
        torch.searchsorted(torch.tensor([1.0, 2.0]), tv64),
    )
    for dt in (np.uint8, np.int32, np.float16):
        s, ts = _ints([1, 2, 2, 5], dt)
        v, tv = _ints([[0, 2, 6]], dt)
        same(mg.searchsorted(s, v, right=True), torch.searchsorted(ts, tv, right=True))
    # empty sequence, empty values
    same(
        mg.searchsorted(mg.tensor([]), mg.tensor([1.0, 2.0])),
        torch.searchsorted(torch.tensor([]), torch.tensor([1.0, 2.0])),
    )
    same(
        mg.searchsorted(mg.tensor([1.0]), mg.tensor([])),
        torch.searchsorted(torch.tensor([1.0]), torch.tensor([])),
    )
    same(
        mg.searchsorted(mg.zeros(0, 3), mg.zeros(0, 2)),
        torch.searchsorted(torch.zeros(0, 3), torch.zeros(0, 2)),
    )
    # values that require grad: an index tensor without grad
    out = mg.searchsorted(mg.tensor([1.0, 2.0]), mg.tensor([1.5], requires_grad=True))
    assert not out.requires_grad and out.dtype == np.int64


def test_searchsorted_errors_like_torch():
    s, ts = both([1.0, 2.0, 3.0], "float32")
    v, tv = both([2.0], "float32")
    m2, t2 = both([[1.0, 3.0], [2.0, 4.0]], "float32")
    cases = [
        (
            lambda: mg.searchsorted(s, v, right=True, side="left"),
            lambda: torch.searchsorted(ts, tv, right=True, side="left"),
            "opposites",
        ),
        (
            lambda: mg.searchsorted(s, v, side="middle"),
            lambda: torch.searchsorted(ts, tv, side="middle"),
            "side can only",
        ),
        (
            lambda: mg.searchsorted(mg.tensor(1.0), v),
            lambda: torch.searchsorted(torch.tensor(1.0), tv),
            "positive dimension",
        ),
        (
            lambda: mg.searchsorted(m2, mg.tensor([2.0, 2.0])),
            lambda: torch.searchsorted(t2, torch.tensor([2.0, 2.0])),
            "first N-1",
        ),
        (lambda: mg.searchsorted(m2, 2.0), lambda: torch.searchsorted(t2, 2.0), "scalar only"),
        (
            lambda: mg.searchsorted(s, v, sorter=mg.tensor([1, 2, 3])),
            lambda: torch.searchsorted(ts, tv, sorter=torch.tensor([1, 2, 3])),
            "out of range",
        ),
        (
            lambda: mg.searchsorted(s, v, sorter=mg.tensor([1, 2, -1])),
            lambda: torch.searchsorted(ts, tv, sorter=torch.tensor([1, 2, -1])),
            "out of range",
        ),
        (
            lambda: mg.searchsorted(s, v, sorter=mg.tensor([1, 2])),
            lambda: torch.searchsorted(ts, tv, sorter=torch.tensor([1, 2])),
            "same size",
        ),
        (
            lambda: mg.searchsorted(s, v, sorter=mg.tensor([1, 2, 0], dtype=mg.int32)),
            lambda: torch.searchsorted(ts, tv, sorter=torch.tensor([1, 2, 0], dtype=torch.int32)),
            "long",
        ),
        (
            lambda: mg.searchsorted(mg.tensor([True]), mg.tensor([True])),
            lambda: torch.searchsorted(torch.tensor([True]), torch.tensor([True])),
            None,
        ),
    ]
    for fm, ft, match in cases:
        _raises_like(fm, ft, match)


def test_bucketize_matches_torch():
    b, tb = both([1.0, 3.0, 5.0], "float32")
    x, tx = both([[0.0, 3.0, 6.0], [3.0, 5.0, NAN]], "float32")
    for right in (False, True):
        same(mg.bucketize(x, b, right=right), torch.bucketize(tx, tb, right=right))
        same(mg.bucketize(3, b, right=right), torch.bucketize(3, tb, right=right))
    same(mg.bucketize(3.5, b, out_int32=True), torch.bucketize(3.5, tb, out_int32=True))
    same(mg.bucketize(mg.tensor(3.0), b), torch.bucketize(torch.tensor(3.0), tb))
    xi, txi = _ints([0, 3, 4, 9])
    same(mg.bucketize(xi, b), torch.bucketize(txi, tb))
    for bad in ([[1.0, 3.0]], 1.0):
        _raises_like(
            lambda bad=bad: mg.bucketize(mg.tensor([3.0]), mg.tensor(bad)),
            lambda bad=bad: torch.bucketize(torch.tensor([3.0]), torch.tensor(bad)),
            "must be 1 dimension",
        )


# ---------------------------------------------------------------- bincount
def test_bincount_counts_and_weights_match_torch():
    x, tx = _ints([0, 2, 2, 5])
    for minlength in (0, 2, 8):
        same(mg.bincount(x, minlength=minlength), torch.bincount(tx, minlength=minlength))
    same(x.bincount(), tx.bincount())
    for dt in (np.uint8, np.int32, np.int16):
        xi, txi = _ints([3, 0, 3], dt)
        same(mg.bincount(xi), torch.bincount(txi))
    e, te = _ints([])
    same(mg.bincount(e), torch.bincount(te))
    same(mg.bincount(e, minlength=3), torch.bincount(te, minlength=3))
    same(mg.bincount(e, mg.tensor([])), torch.bincount(te, torch.tensor([])))
    rng = np.random.default_rng(0)
    idx = rng.integers(0, 7, 2000)
    i, ti = _ints(idx)
    for dt in ("float32", "float64", "float16", "int64", "int32", "bool"):
        w = rng.standard_normal(2000) * 100 if dt != "bool" else rng.random(2000) > 0.5
        wm, wt = both(w, dt)
        same(mg.bincount(i, wm), torch.bincount(ti, wt))  # float32 added in order: exact
        same(mg.bincount(i, wm, 9), torch.bincount(ti, wt, 9))


def test_bincount_errors_and_no_derivative():
    cases = [
        (lambda: mg.bincount(mg.tensor([0, -1])), lambda: torch.bincount(torch.tensor([0, -1]))),
        (lambda: mg.bincount(mg.tensor([[0, 1]])), lambda: torch.bincount(torch.tensor([[0, 1]]))),
        (lambda: mg.bincount(mg.tensor(1)), lambda: torch.bincount(torch.tensor(1))),
        (
            lambda: mg.bincount(mg.tensor([0, 1]), minlength=-1),
            lambda: torch.bincount(torch.tensor([0, 1]), minlength=-1),
        ),
        (
            lambda: mg.bincount(mg.tensor([0.0, 1.0])),
            lambda: torch.bincount(torch.tensor([0.0, 1.0])),
        ),
        (lambda: mg.bincount(mg.tensor([True])), lambda: torch.bincount(torch.tensor([True]))),
        (
            lambda: mg.bincount(mg.tensor([0, 1, 1]), mg.tensor([1.0, 2.0])),
            lambda: torch.bincount(torch.tensor([0, 1, 1]), torch.tensor([1.0, 2.0])),
        ),
    ]
    for fm, ft in cases:
        _raises_like(fm, ft)
    w = mg.tensor([0.5, 0.25, 1.0], requires_grad=True)
    out = mg.bincount(mg.tensor([0, 1, 1]), w)
    assert out.requires_grad  # as PyTorch's, whose backward then raises
    with pytest.raises(RuntimeError, match="derivative for 'bincount' is not implemented"):
        out.sum().backward()


# ---------------------------------------------------------------- take_along_dim
def test_take_along_dim_values_and_gradients_match_torch():
    x, tx = both(np.arange(24.0).reshape(2, 3, 4), requires_grad=True)
    cases = [
        (np.array([[[0], [3], [1]]]), 2),  # broadcast over dim 0
        (np.array([[[0, 3, 1, 1]]]), 1),
        (np.array([[[5], [-5], [8]], [[-1], [4], [0]]]), 2),  # taken modulo 4, as PyTorch
        (np.zeros((2, 3, 0), dtype=np.int64), -1),
        (np.array([5, 0, 23, 5]), None),
        (np.array([[5, 0], [23, 5]]), None),
    ]
    for idx, dim in cases:
        y, ty = (
            mg.take_along_dim(x, mg.tensor(idx), dim),
            torch.take_along_dim(tx, torch.tensor(idx), dim),
        )
        same(y, ty)
        g = np.random.default_rng(0).standard_normal(y.shape)
        (y * mg.tensor(g)).sum().backward()
        (ty * torch.tensor(g)).sum().backward()
        same(x.grad, tx.grad)
        x.grad, tx.grad = None, None
    same(x.take_along_dim(mg.tensor([[[1]]]), 0), tx.take_along_dim(torch.tensor([[[1]]]), 0))
    s, ts = both(5.0)
    same(mg.take_along_dim(s, mg.tensor([0, 0])), torch.take_along_dim(ts, torch.tensor([0, 0])))
    same(
        mg.take_along_dim(x, mg.tensor([1], dtype=mg.int32)),
        torch.take_along_dim(tx, torch.tensor([1], dtype=torch.int32)),
    )
    assert mg.gradcheck(
        lambda a: mg.take_along_dim(a, mg.tensor([[1, 1], [0, -1]]), 1),
        (mg.randn(2, 3, dtype=mg.float64, requires_grad=True),),
    )


def test_take_along_dim_errors_like_torch():
    x, tx = both(np.arange(12.0).reshape(3, 4))
    cases = [
        (
            lambda: mg.take_along_dim(x, mg.tensor([-1])),
            lambda: torch.take_along_dim(tx, torch.tensor([-1])),
            "out of bounds",
        ),
        (
            lambda: mg.take_along_dim(x, mg.tensor([12])),
            lambda: torch.take_along_dim(tx, torch.tensor([12])),
            "out of bounds",
        ),
        (
            lambda: mg.take_along_dim(x, mg.tensor([[1]], dtype=mg.int32), 1),
            lambda: torch.take_along_dim(tx, torch.tensor([[1]], dtype=torch.int32), 1),
            "Long",
        ),
        (
            lambda: mg.take_along_dim(x, mg.tensor([1]), 1),
            lambda: torch.take_along_dim(tx, torch.tensor([1]), 1),
            "same number of dimensions",
        ),
        (
            lambda: mg.take_along_dim(x, mg.tensor([[1]]), 2),
            lambda: torch.take_along_dim(tx, torch.tensor([[1]]), 2),
            "out of range",
        ),
        (
            lambda: mg.take_along_dim(mg.tensor(5.0), mg.tensor(0), 0),
            lambda: torch.take_along_dim(torch.tensor(5.0), torch.tensor(0), 0),
            "no dimensions",
        ),
        (
            lambda: mg.take_along_dim(mg.zeros(3, 0), mg.tensor([[0]]), 1),
            lambda: torch.take_along_dim(torch.zeros(3, 0), torch.tensor([[0]]), 1),
            None,
        ),
    ]
    for fm, ft, match in cases:
        _raises_like(fm, ft, match)


# ---------------------------------------------------------------- index_add
def test_index_add_values_match_torch():
    rng = np.random.default_rng(0)
    x, tx = both(rng.standard_normal((5, 3)), "float32")
    s, ts = both(rng.standard_normal((40, 3)) * 1e3, "float32")
    idx = rng.integers(0, 5, 40)  # many repeats: added in index order, as PyTorch's loop
    for alpha in (1, -1, 2):
        same(
            x.index_add(0, mg.tensor(idx), s, alpha=alpha),
            tx.index_add(0, torch.tensor(idx), ts, alpha=alpha),
        )
    same(
        x.index_add(0, mg.tensor(idx, dtype=mg.int32), s),
        tx.index_add(0, torch.tensor(idx, dtype=torch.int32), ts),
    )
    same(
        mg.index_add(x, 0, mg.tensor(idx), s, alpha=0.5),
        torch.index_add(tx, 0, torch.tensor(idx), ts, alpha=0.5),
        rtol=1e-6,
    )
    s1, ts1 = both(np.ones((5, 4)), "float32")
    for dim in (1, -1):
        same(
            x.index_add(dim, mg.tensor([1, 1, 0, 2]), s1),
            tx.index_add(dim, torch.tensor([1, 1, 0, 2]), ts1),
        )
    # integer and bool tensors; an int tensor reads a float alpha as an int (2.5 -> 2)
    xi, txi = _ints(np.zeros((3, 2)))
    si, tsi = _ints(np.ones((2, 2)))
    same(
        xi.index_add(0, mg.tensor([0, 0]), si, alpha=2.5),
        txi.index_add(0, torch.tensor([0, 0]), tsi, alpha=2.5),
    )
    xb, txb = _ints(np.zeros((3, 2)), bool)
    sb, tsb = _ints(np.ones((2, 2)), bool)
    same(xb.index_add(0, mg.tensor([0, 0]), sb), txb.index_add(0, torch.tensor([0, 0]), tsb))
    # 0-d and empty
    z, tz = both(1.0)
    for i, v in ((0, 2.0), ([0], 2.0)):
        same(
            z.index_add(0, mg.tensor(i), mg.tensor(v, dtype=mg.float64)),
            tz.index_add(0, torch.tensor(i), torch.tensor(v, dtype=torch.float64)),
        )
    one, tone = both([1.0])
    same(
        one.index_add(0, mg.tensor(0), mg.tensor([2.0], dtype=mg.float64)),
        tone.index_add(0, torch.tensor(0), torch.tensor([2.0], dtype=torch.float64)),
    )
    e, te = both(np.zeros((0, 3)), "float32")
    same(
        x.index_add(0, mg.tensor([], dtype=mg.int64), e),
        tx.index_add(0, torch.tensor([], dtype=torch.int64), te),
    )
    e, te = both(np.zeros((0, 2)), "float32")
    same(
        e.index_add(0, mg.tensor([], dtype=mg.int64), e),
        te.index_add(0, torch.tensor([], dtype=torch.int64), te),
    )


def test_index_add_errors_like_torch():
    x, tx = both(np.zeros((3, 2)), "float32")
    s, ts = both(np.arange(8.0).reshape(4, 2), "float32")
    i, ti = _ints([0, 2, 0, 1])
    cases = [
        (
            lambda: x.index_add(0, mg.tensor([0, 2, 0, -1]), s),
            lambda: tx.index_add(0, torch.tensor([0, 2, 0, -1]), ts),
            "index -1 is out of bounds",
        ),
        (
            lambda: x.index_add(0, mg.tensor([0, 2, 0, 3]), s),
            lambda: tx.index_add(0, torch.tensor([0, 2, 0, 3]), ts),
            "index 3 is out of bounds",
        ),
        (
            lambda: x.index_add(0, mg.tensor([0.0, 2, 0, 1]), s),
            lambda: tx.index_add(0, torch.tensor([0.0, 2, 0, 1]), ts),
            "int32/int64",
        ),
        (
            lambda: x.index_add(0, mg.tensor([0, 2, 0]), s),
            lambda: tx.index_add(0, torch.tensor([0, 2, 0]), ts),
            "Number of indices",
        ),
        (
            lambda: x.index_add(0, mg.tensor([[0, 2], [0, 1]]), s),
            lambda: tx.index_add(0, torch.tensor([[0, 2], [0, 1]]), ts),
            "vector",
        ),
        (
            lambda: x.index_add(0, i, s.double()),
            lambda: tx.index_add(0, ti, ts.double()),
            "same scalar type",
        ),
        (
            lambda: x.index_add(1, mg.tensor([1, 1, 0]), mg.ones(4, 3)),
            lambda: tx.index_add(1, torch.tensor([1, 1, 0]), torch.ones(4, 3)),
            "source tensor shape",
        ),
        (
            lambda: x.index_add(2, mg.tensor([1]), mg.ones(3, 1)),
            lambda: tx.index_add(2, torch.tensor([1]), torch.ones(3, 1)),
            "Dimension out of range",
        ),
        (
            lambda: x.index_add(0, mg.tensor([0, 1]), mg.ones(2)),
            lambda: tx.index_add(0, torch.tensor([0, 1]), torch.ones(2)),
            "source tensor shape",
        ),
        (
            lambda: mg.tensor(1.0).index_add(0, mg.tensor([0, 0]), mg.tensor([2.0, 3.0])),
            lambda: torch.tensor(1.0).index_add(0, torch.tensor([0, 0]), torch.tensor([2.0, 3.0])),
            "source tensor shape",
        ),
    ]
    for fm, ft, match in cases:
        _raises_like(fm, ft, match)


def test_index_add_gradients_match_torch_and_gradcheck():
    rng = np.random.default_rng(1)
    idx = [0, 2, 0, 1, 2]
    for dim in (0, 1):
        shape, sshape = (3, 4), ((5, 4) if dim == 0 else (3, 5))
        if dim == 1:
            shape = (3, 3)
        x, tx = both(rng.standard_normal(shape), requires_grad=True)
        s, ts = both(rng.standard_normal(sshape), requires_grad=True)
        y = x.index_add(dim, mg.tensor(idx), s, alpha=-1.5)
        ty = tx.index_add(dim, torch.tensor(idx), ts, alpha=-1.5)
        g = rng.standard_normal(y.shape)
        (y * mg.tensor(g)).sum().backward()
        (ty * torch.tensor(g)).sum().backward()
        same(y, ty, rtol=1e-14, atol=1e-15)  # x + alpha * s: PyTorch's kernel fuses it (FMA)
        same(x.grad, tx.grad)
        same(s.grad, ts.grad)
        assert mg.gradcheck(
            lambda a, b, dim=dim: mg.index_add(a, dim, mg.tensor(idx), b, alpha=2.0),
            (x.detach().requires_grad_(), s.detach().requires_grad_()),
        )
        assert mg.gradgradcheck(
            lambda a, b, dim=dim: mg.index_add(a, dim, mg.tensor(idx), b) ** 2,
            (x.detach().requires_grad_(), s.detach().requires_grad_()),
        )


def test_index_add_in_place_outside_and_inside_a_graph():
    x, tx = both(np.zeros((3, 2)))
    s, ts = both(np.arange(8.0).reshape(4, 2))
    assert x.index_add_(0, mg.tensor([0, 2, 0, 1]), s, alpha=2) is x
    tx.index_add_(0, torch.tensor([0, 2, 0, 1]), ts, alpha=2)
    same(x, tx)
    w, tw = both(np.ones((3, 2)), requires_grad=True)
    s, ts = both(np.arange(4.0).reshape(2, 2), requires_grad=True)
    h, th = w * 2, tw * 2
    h.index_add_(0, mg.tensor([2, 2]), s)
    th.index_add_(0, torch.tensor([2, 2]), ts)
    (h * h).sum().backward()
    (th * th).sum().backward()
    same(h, th)
    same(w.grad, tw.grad)
    same(s.grad, ts.grad)
    leaf = mg.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        leaf.index_add_(0, mg.tensor([0]), mg.ones(1))


# ---------------------------------------------------------------- index_put
def _put_both(shape, indices, values, accumulate, dtype="float64"):
    x, tx = both(np.zeros(shape), dtype)
    ind_m = tuple(mg.tensor(np.asarray(i)) for i in indices)
    ind_t = tuple(torch.tensor(np.asarray(i)) for i in indices)
    v, tv = both(values, dtype)
    same(x.index_put(ind_m, v, accumulate), tx.index_put(ind_t, tv, accumulate))
    same(
        mg.index_put(x, ind_m, v, accumulate=accumulate),
        torch.index_put(tx, ind_t, tv, accumulate=accumulate),
    )


@pytest.mark.parametrize("accumulate", [False, True])
def test_index_put_values_match_torch(accumulate):
    _put_both((3, 2), [[0, 2, 0]], [[1.0, 2], [3, 4], [5, 6]], accumulate)  # repeated row
    _put_both((3, 2), [[0, 2, 0], [1, 1, 1]], [1.0, 2, 3], accumulate)
    _put_both((3, 2), [[0, 2, -1], [1, 1, -2]], 7.0, accumulate)  # negative, broadcast value
    _put_both((3, 2), [[True, False, True]], [1.0, 2], accumulate)  # a mask
    _put_both((3, 2), [[[True, False], [False, True], [True, True]]], [1.0, 2, 3, 4], accumulate)
    _put_both((3, 2), [1], [5.0, 6], accumulate)  # 0-d index
    _put_both((3, 2), [1, 0], 5.0, accumulate)
    _put_both((3, 2), [np.array([], dtype=np.int64)], 5.0, accumulate)
    _put_both((3, 4), [[[0], [2]], [[1, 3, 1]]], 1.5, accumulate)  # broadcast indices
    _put_both((3, 2), [np.array([0, 0], dtype=np.int32)], [[1, 2], [3, 4]], accumulate, "int64")
    _put_both((3, 2), [[0, 0]], True, accumulate, "bool")
    rng = np.random.default_rng(0)  # float32 repeats added in order: PyTorch's rounding
    idx = rng.integers(0, 4, 300)
    _put_both((4,), [idx], rng.standard_normal(300) * 1e3, accumulate, "float32")


def test_index_put_uint8_index_is_a_mask_with_torch_warning():
    x, tx = both(np.zeros((3, 2)))
    v, tv = both([[1.0, 2.0], [3.0, 4.0]])
    with pytest.warns(UserWarning, match="uint8"):
        y = x.index_put((mg.tensor([1, 0, 1], dtype=mg.uint8),), v)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ty = tx.index_put((torch.tensor([1, 0, 1], dtype=torch.uint8),), tv)
    same(y, ty)


def test_index_put_errors_like_torch():
    x, tx = both(np.zeros((3, 2)), "float32")
    L, T = mg.tensor, torch.tensor
    v, tv = L(7.0), T(7.0)
    cases = [
        (
            lambda: x.index_put((L([0, 3]),), v),
            lambda: tx.index_put((T([0, 3]),), tv),
            "index 3 is out of bounds",
        ),
        (
            lambda: x.index_put((L([0, -4]),), v),
            lambda: tx.index_put((T([0, -4]),), tv),
            "index -4 is out of bounds",
        ),
        (
            lambda: x.index_put((L([0, 1]),), L(7.0, dtype=mg.float64)),
            lambda: tx.index_put((T([0, 1]),), T(7.0, dtype=torch.float64)),
            "dtypes match",
        ),
        (
            lambda: x.index_put((L([0, 1]),), 7.0),
            lambda: tx.index_put((T([0, 1]),), 7.0),
            "must be Tensor",
        ),
        (
            lambda: x.index_put(L([0, 1]), v),
            lambda: tx.index_put(T([0, 1]), tv),
            "tuple of Tensors",
        ),
        (
            lambda: x.index_put((None, L([1, 0])), v),
            lambda: tx.index_put((None, T([1, 0])), tv),
            "expected Tensor",
        ),
        (
            lambda: x.index_put((L([True, False]),), v),
            lambda: tx.index_put((T([True, False]),), tv),
            "shape of the mask",
        ),
        (
            lambda: x.index_put((L([1.0, 0.0]),), v),
            lambda: tx.index_put((T([1.0, 0.0]),), tv),
            "long, int, byte or bool",
        ),
        (
            lambda: x.index_put((L([1, 0], dtype=mg.int16),), v),
            lambda: tx.index_put((T([1, 0], dtype=torch.int16),), tv),
            "long, int, byte or bool",
        ),
        (
            lambda: x.index_put((L([1, 0]),), L([1.0, 2, 3])),
            lambda: tx.index_put((T([1, 0]),), T([1.0, 2, 3])),
            "cannot be broadcast",
        ),
        (
            lambda: x.index_put((L([0]), L([0]), L([0])), L([1.0])),
            lambda: tx.index_put((T([0]), T([0]), T([0])), T([1.0])),
            "too many indices",
        ),
        (
            lambda: x.index_put((L([0, 1]), L([0, 1, 1])), v),
            lambda: tx.index_put((T([0, 1]), T([0, 1, 1])), tv),
            "shape mismatch",
        ),
        (
            lambda: L(1.0).index_put((L(0),), L(5.0)),
            lambda: T(1.0).index_put((T(0),), T(5.0)),
            "too many indices",
        ),
        (
            lambda: x.long().index_put((L([0]),), L(5.0)),
            lambda: tx.long().index_put((T([0]),), T(5.0)),
            "dtypes match",
        ),
    ]
    for fm, ft, match in cases:
        _raises_like(fm, ft, match)


@pytest.mark.parametrize("accumulate", [False, True])
def test_index_put_gradients_match_torch_and_gradcheck(accumulate):
    rng = np.random.default_rng(2)
    for ind, vshape in (
        ([[0, 0, 2]], (3,)),
        ([[0, 0, 2]], ()),
        ([[1, 0, 1], [2, 2, 2]], (3,)),
        ([[0, 2]], (1, 4)),
    ):
        shape = (3,) if len(ind) == 1 and vshape in ((3,), ()) else (3, 4)
        a, ta = both(rng.standard_normal(shape), requires_grad=True)
        v, tv = both(rng.standard_normal(vshape), requires_grad=True)
        im = tuple(mg.tensor(i) for i in ind)
        it = tuple(torch.tensor(i) for i in ind)
        y, ty = a.index_put(im, v, accumulate), ta.index_put(it, tv, accumulate)
        g = rng.standard_normal(y.shape)
        (y * mg.tensor(g)).sum().backward()
        (ty * torch.tensor(g)).sum().backward()
        same(y, ty)
        same(a.grad, ta.grad)
        same(v.grad, tv.grad)
        args = (a.detach().requires_grad_(), v.detach().requires_grad_())
        places = np.ravel_multi_index(
            np.broadcast_arrays(*[np.array(i) for i in ind]), shape[: len(ind)]
        )
        if not accumulate and len(set(places.tolist())) < places.size:
            continue  # a repeated write: v's gradient reads every place, as PyTorch's,
            # where the numbers say an overwritten element does not count
        assert mg.gradcheck(lambda p, q, im=im: mg.index_put(p, im, q, accumulate), args)
        assert mg.gradgradcheck(
            lambda p, q, im=im: mg.index_put(p * p, im, q * q, accumulate), args
        )


def test_index_put_in_place_outside_and_inside_a_graph():
    x, tx = both(np.zeros((3, 2)))
    ind_m, ind_t = (mg.tensor([0, 0, 2]),), (torch.tensor([0, 0, 2]),)
    v, tv = both([1.0, 2.0])
    assert x.index_put_(ind_m, v, accumulate=True) is x
    tx.index_put_(ind_t, tv, accumulate=True)
    same(x, tx)
    w, tw = both(np.ones((3, 2)), requires_grad=True)
    v, tv = both([[1.0, 2.0]], requires_grad=True)
    h, th = w * 3, tw * 3
    h.index_put_(ind_m, v)
    th.index_put_(ind_t, tv)
    (h * h).sum().backward()
    (th * th).sum().backward()
    same(h, th)
    same(w.grad, tw.grad)
    same(v.grad, tv.grad)


# ---------------------------------------------------------------- unflatten / reshape_as / where
def test_unflatten_matches_torch():
    x, tx = both(np.arange(24.0).reshape(3, 8), requires_grad=True)
    for dim, sizes in ((1, (2, 4)), (-1, (2, -1)), (1, [8]), (0, (3, 1)), (1, mg.Size([2, 2, 2]))):
        y, ty = x.unflatten(dim, sizes), tx.unflatten(dim, tuple(sizes))
        same(y, ty)
        same(mg.unflatten(x, dim, sizes), torch.unflatten(tx, dim, tuple(sizes)))
    y, ty = x.unflatten(1, (4, -1)), tx.unflatten(1, (4, -1))
    (y * y).sum().backward()
    (ty * ty).sum().backward()
    same(x.grad, tx.grad)
    same(mg.zeros(0, 3).unflatten(0, (2, -1)), torch.zeros(0, 3).unflatten(0, (2, -1)))
    cases = [
        ((3, 4), 1, (3, -1), "don't multiply up"),
        ((3, 4), 1, (5, 2), "don't multiply up"),
        ((3, 4), 1, (), "non-empty"),
        ((3, 4), 1, (-1, -1), "only one dimension can be inferred"),
        ((3, 4), 2, (2, 2), "Dimension out of range"),
        ((), 0, (1,), "no dimensions"),
        ((0, 3), 0, (0, -1), "ambiguous"),
    ]
    for shape, dim, sizes, match in cases:
        _raises_like(
            lambda shape=shape, dim=dim, sizes=sizes: mg.zeros(shape).unflatten(dim, sizes),
            lambda shape=shape, dim=dim, sizes=sizes: torch.zeros(shape).unflatten(dim, sizes),
            match,
        )


def test_reshape_as_and_where_match_torch():
    x, tx = both(np.arange(12.0).reshape(3, 4), requires_grad=True)
    same(x.reshape_as(mg.zeros(2, 6)), tx.reshape_as(torch.zeros(2, 6)))
    with pytest.raises((RuntimeError, ValueError)):  # minigrad's reshape raises ValueError
        x.reshape_as(mg.zeros(2, 5))
    _raises_like(lambda: x.reshape_as(np.zeros((2, 6))), lambda: tx.reshape_as(np.zeros((2, 6))))
    c, tc = x > 5, tx > 5
    for other_m, other_t in (
        (0.0, 0.0),
        (0, 0),
        (mg.tensor(0.5, dtype=mg.float32), torch.tensor(0.5, dtype=torch.float32)),
        (mg.zeros(4, dtype=mg.float32), torch.zeros(4, dtype=torch.float32)),
    ):
        same(x.where(c, other_m), tx.where(tc, other_t))
    y, ty = (
        x.where(condition=c, other=mg.ones(3, 4, dtype=mg.float64)),
        tx.where(condition=tc, other=torch.ones(3, 4, dtype=torch.float64)),
    )
    (y * y).sum().backward()
    (ty * ty).sum().backward()
    same(x.grad, tx.grad)
    xi, txi = _ints(np.arange(6).reshape(2, 3))
    same(xi.where(xi > 2, -1), txi.where(txi > 2, -1))


# ---------------------------------------------------------------- init.eye_ / dirac_
def test_init_eye_and_dirac_match_torch():
    for shape in ((3, 5), (5, 3), (4, 4), (0, 3)):
        w, tw = mg.empty(*shape), torch.empty(*shape)
        assert nn.init.eye_(w) is w
        same(w, torch.nn.init.eye_(tw))
    for shape, groups in (
        ((3, 16, 5, 5), 1),
        ((6, 24, 3, 3), 3),
        ((4, 2, 3), 2),
        ((5, 3, 2, 3, 4), 1),
        ((2, 4, 4, 4), 2),
    ):
        w, tw = mg.ones(*shape), torch.ones(*shape)
        assert nn.init.dirac_(w, groups) is w
        same(w, torch.nn.init.dirac_(tw, groups))
    p = nn.Parameter(mg.zeros(3, 3))
    nn.init.eye_(p)  # a parameter that requires grad is filled outside the graph
    assert p.requires_grad and p.grad_fn is None and p.detach().numpy().trace() == 3
    for shape in ((3,), (2, 2, 2)):
        _raises_like(
            lambda s=shape: nn.init.eye_(mg.zeros(*s)),
            lambda s=shape: torch.nn.init.eye_(torch.zeros(*s)),
            "2 dimensions",
        )
    for shape, groups in (((3, 3), 1), ((3, 3, 3, 3, 3, 3), 1), ((3, 2, 3), 2)):
        _raises_like(
            lambda s=shape, g=groups: nn.init.dirac_(mg.zeros(*s), g),
            lambda s=shape, g=groups: torch.nn.init.dirac_(torch.zeros(*s), g),
        )


# ---------------------------------------------------------------- gumbel_softmax
def test_gumbel_softmax_distribution_and_straight_through_gradient():
    mg.manual_seed(0)
    logits = mg.tensor(np.log([[0.1, 0.2, 0.7]] * 20000), dtype=mg.float64)
    y = F.gumbel_softmax(logits, tau=0.5)
    assert y.shape == logits.shape and y.dtype == np.float64
    np.testing.assert_allclose(y.numpy().sum(-1), 1.0, rtol=1e-12)
    # the argmax of a Gumbel-softmax sample is drawn from softmax(logits)
    freq = np.bincount(y.numpy().argmax(-1), minlength=3) / 20000
    np.testing.assert_allclose(freq, [0.1, 0.2, 0.7], atol=0.015)
    hard = F.gumbel_softmax(logits, hard=True)
    h = hard.numpy()
    assert set(np.unique(h)) <= {0.0, 1.0} and (h.sum(-1) == 1).all()
    np.testing.assert_allclose(h.mean(0), [0.1, 0.2, 0.7], atol=0.015)
    # repeatable from the seed
    mg.manual_seed(3)
    a = F.gumbel_softmax(logits[:5], dim=0).numpy()
    mg.manual_seed(3)
    np.testing.assert_array_equal(F.gumbel_softmax(logits[:5], dim=0).numpy(), a)


def test_gumbel_softmax_hard_gradient_is_the_soft_one_like_torch():
    """Straight-through: the gradient of the one-hot sample is that of the soft sample,
    softmax's Jacobian at (logits + g) / tau; PyTorch's rule on the same noise agrees."""
    rng = np.random.default_rng(0)
    z = rng.standard_normal((4, 5))
    x = mg.tensor(z, requires_grad=True)
    mg.manual_seed(11)
    y = F.gumbel_softmax(x, tau=0.7, hard=True, dim=1)
    mg.manual_seed(11)
    soft = F.gumbel_softmax(mg.tensor(z), tau=0.7, dim=1).numpy()
    np.testing.assert_array_equal(y.detach().numpy(), np.eye(5)[soft.argmax(1)])
    g = rng.standard_normal((4, 5))
    (y * mg.tensor(g)).sum().backward()
    # PyTorch's own straight-through on the same soft sample
    ts = torch.tensor(soft)
    gumbel = torch.log(ts) * 0.7 - torch.tensor(z)  # the noise, up to a per-row constant
    tx = torch.tensor(z, requires_grad=True)
    t_soft = ((tx + gumbel) / 0.7).softmax(1)
    index = t_soft.max(1, keepdim=True)[1]
    t_hard = torch.zeros_like(t_soft).scatter_(1, index, 1.0) - t_soft.detach() + t_soft
    (t_hard * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-9, atol=1e-12)
    with pytest.warns(UserWarning, match="eps"):
        F.gumbel_softmax(x, eps=1e-5)


# ---------------------------------------------------------------- TripletMarginWithDistanceLoss
def _cosine_distance(lib):
    return lambda a, b: 1.0 - lib.nn.functional.cosine_similarity(a, b)


@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("distance", ["default", "cosine", "l1"])
def test_triplet_margin_with_distance_loss_matches_torch(swap, reduction, distance):
    rng = np.random.default_rng(0)
    data = [rng.standard_normal((6, 4)) for _ in range(3)]
    ours = [mg.tensor(d, requires_grad=True) for d in data]
    theirs = [torch.tensor(d, requires_grad=True) for d in data]
    fns = {
        "default": (None, None),
        "cosine": (_cosine_distance(mg), _cosine_distance(torch)),
        "l1": (lambda a, b: (a - b).abs().sum(-1), lambda a, b: (a - b).abs().sum(-1)),
    }
    fm, ft = fns[distance]
    loss = nn.TripletMarginWithDistanceLoss(
        distance_function=fm, margin=0.7, swap=swap, reduction=reduction
    )
    tloss = torch.nn.TripletMarginWithDistanceLoss(
        distance_function=ft, margin=0.7, swap=swap, reduction=reduction
    )
    y, ty = loss(*ours), tloss(*theirs)
    same(y, ty, rtol=1e-12, atol=1e-14)
    same(
        F.triplet_margin_with_distance_loss(
            *ours, distance_function=fm, margin=0.7, swap=swap, reduction=reduction
        ),
        TF.triplet_margin_with_distance_loss(
            *theirs, distance_function=ft, margin=0.7, swap=swap, reduction=reduction
        ),
        rtol=1e-12,
        atol=1e-14,
    )
    y.sum().backward()
    ty.sum().backward()
    for a, b in zip(ours, theirs, strict=True):
        same(a.grad, b.grad, rtol=1e-10, atol=1e-12)
    assert mg.gradcheck(
        lambda *t: F.triplet_margin_with_distance_loss(
            *t, distance_function=fm, swap=swap, reduction=reduction
        ),
        tuple(o.detach().requires_grad_() for o in ours),
    )


def test_triplet_margin_with_distance_loss_module_and_errors():
    loss, tloss = nn.TripletMarginWithDistanceLoss(), torch.nn.TripletMarginWithDistanceLoss()
    assert isinstance(loss.distance_function, nn.PairwiseDistance)
    assert [n for n, _ in loss.named_children()] == [n for n, _ in tloss.named_children()]
    assert loss.state_dict() == {} and loss.margin == 1.0 and loss.swap is False
    with pytest.raises(TypeError):
        nn.TripletMarginWithDistanceLoss(None)  # keyword-only, as PyTorch's
    a, ta = both(np.ones((2, 3)))
    b, tb = both(np.ones(3))
    cases = [
        (
            lambda: nn.TripletMarginWithDistanceLoss(margin=0),
            lambda: torch.nn.TripletMarginWithDistanceLoss(margin=0),
            "margin to be greater than 0",
        ),
        (
            lambda: F.triplet_margin_with_distance_loss(a, a, a, margin=-1.0),
            lambda: TF.triplet_margin_with_distance_loss(ta, ta, ta, margin=-1.0),
            "margin must be greater than 0",
        ),
        (
            lambda: F.triplet_margin_with_distance_loss(a, a, a, reduction="avg"),
            lambda: TF.triplet_margin_with_distance_loss(ta, ta, ta, reduction="avg"),
            "not a valid value",
        ),
        (
            lambda: F.triplet_margin_with_distance_loss(a, a, b),
            lambda: TF.triplet_margin_with_distance_loss(ta, ta, tb),
            "same number of dimensions",
        ),
    ]
    for fm, ft, match in cases:
        _raises_like(fm, ft, match)
    # 1-D inputs and an unbatched 0-d result, as PyTorch
    same(
        F.triplet_margin_with_distance_loss(b, b * 2, b * 3),
        TF.triplet_margin_with_distance_loss(tb, tb * 2, tb * 3),
    )
