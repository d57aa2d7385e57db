"""Round eighteen: linalg, norms and the Bernoulli distribution at their edges, each case
against torch itself."""

from __future__ import annotations

import math

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")

LIBS = (mg, torch)
NAN, INF = math.nan, math.inf


def _np(t):
    return t.detach().numpy()


def _same(got, want, rtol=1e-12, atol=1e-12):
    """Values, dtype and the places of NaN and inf agree."""
    got, want = _np(got), _np(want)
    assert got.shape == want.shape and str(got.dtype) == str(want.dtype)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, equal_nan=True)


def _raises_alike(call, match=None):
    """Both libraries raise, minigrad an exception of (a subclass of) PyTorch's type, with
    the same words when `match` is given."""
    with pytest.raises(Exception) as want:
        call(torch)
    with pytest.raises(Exception) as got:
        call(mg)
    base = RuntimeError if type(want.value).__name__ == "_LinAlgError" else type(want.value)
    assert isinstance(got.value, base), (got.value, want.value)
    if match is not None:
        assert match in str(want.value) and match in str(got.value), (got.value, want.value)


# ------------------------------------------------------------ torch.svd(compute_uv=False)
@pytest.mark.parametrize("some", [True, False])
@pytest.mark.parametrize("shape", [(3, 4), (2, 5, 3)])
def test_svd_without_uv_gives_zero_square_u_and_v(shape, some):
    """U and V are zeros, (..., m, m) and (..., n, n), whatever `some` says; S keeps its
    gradient. minigrad returned the real U and V, V shaped (n, k)."""
    a = np.random.default_rng(0).standard_normal(shape)
    outs = []
    for lib in LIBS:
        A = lib.tensor(a, requires_grad=True)
        U, S, V = lib.svd(A, some=some, compute_uv=False)
        (S * lib.tensor([3.0, -1.0, 2.0])).sum().backward()
        outs.append((U, S, V, A.grad))
        assert not U.requires_grad and not V.requires_grad
    for got, want in zip(*outs, strict=True):
        _same(got, want, rtol=1e-10, atol=1e-12)
    assert not _np(outs[0][0]).any() and not _np(outs[0][2]).any()


# ------------------------------------------------------------ Bernoulli at infinite logits
@pytest.mark.parametrize("value", [0.0, 1.0, 0.25])
def test_bernoulli_log_prob_at_infinite_logits_as_pytorch(value):
    """PyTorch's log_prob is -binary_cross_entropy_with_logits, (1 - t) x + softplus(-x):
    NaN for logits -inf and value 1 (0 * inf), where minigrad gave -inf; gradients are
    PyTorch's closed forms."""
    logits = np.array([-INF, -40.0, -3.0, 0.0, 2.0, 40.0, INF])
    outs = []
    for lib in LIBS:
        lg = lib.tensor(logits, requires_grad=True)
        v = lib.full((7,), value, dtype=lib.float64, requires_grad=True)
        lp = lib.distributions.Bernoulli(logits=lg, validate_args=False).log_prob(v)
        lp.sum().backward()
        outs.append((lp, lg.grad, v.grad))
    for got, want in zip(*outs, strict=True):
        _same(got, want, rtol=1e-14, atol=0)
    got, want = (lib.distributions.Bernoulli(logits=lib.tensor(logits)).entropy() for lib in LIBS)
    _same(got, want, rtol=1e-14, atol=0)


# ------------------------------------------------------------ SVD of a matrix holding NaN
_SVD_CALLS = {
    "svdvals": lambda L, a: L.linalg.svdvals(a),
    "svd": lambda L, a: L.linalg.svd(a).S,
    "torch.svd": lambda L, a: L.svd(a)[1],
    "svd no uv": lambda L, a: L.svd(a, compute_uv=False)[1],
    "pinv": lambda L, a: L.linalg.pinv(a),
    "pinverse": lambda L, a: L.pinverse(a),
    "matrix_rank": lambda L, a: L.linalg.matrix_rank(a),
    "matrix_norm 2": lambda L, a: L.linalg.matrix_norm(a, 2),
    "matrix_norm -2": lambda L, a: L.linalg.matrix_norm(a, -2),
    "nuc": lambda L, a: L.linalg.matrix_norm(a, "nuc"),
    "torch.norm nuc": lambda L, a: L.norm(a, "nuc"),
    "cond": lambda L, a: L.linalg.cond(a),
    "cond nuc": lambda L, a: L.linalg.cond(a, "nuc"),
}


@pytest.mark.parametrize("call", _SVD_CALLS.values(), ids=_SVD_CALLS.keys())
def test_svd_of_a_matrix_holding_nan_raises_linalg_error(call):
    """PyTorch refuses NaN before LAPACK; minigrad returned NaN (and rank 0). A matrix
    holding inf still gives NaN, in both."""
    a = np.array([[1.0, NAN], [0.0, 1.0]])
    _raises_alike(lambda L: call(L, L.tensor(a)), "input matrix contained non-finite values")
    with pytest.raises(mg.linalg.LinAlgError):
        call(mg, mg.tensor(a))
    got, want = (call(L, L.tensor(np.array([[1.0, INF], [0.0, 1.0]]))) for L in LIBS)
    _same(got, want)


def test_svd_error_names_the_batch_element_holding_nan():
    """det's gradient at a singular matrix takes the cofactors from an SVD, of the singular
    matrices only: another matrix of the batch holding NaN does not make it raise."""
    a = np.stack([np.eye(2), [[1.0, 2.0], [NAN, 1.0]], [[NAN, 0.0], [0.0, 1.0]]])
    _raises_alike(lambda L: L.linalg.svd(L.tensor(a)), "linalg.svd: (Batch element 1): ")
    a = np.stack([np.zeros((2, 2)), [[1.0, NAN], [0.0, 1.0]]])
    grads = []
    for lib in LIBS:
        A = lib.tensor(a, requires_grad=True)
        lib.linalg.det(A).sum().backward()
        grads.append(A.grad)
    _same(*grads)


@pytest.mark.parametrize("p", ["fro", 1, -1, INF, -INF])
@pytest.mark.parametrize("bad", [NAN, INF])
def test_cond_of_a_nonfinite_matrix_is_inf(p, bad):
    """PyTorch turns the NaN of norm(A) * norm(inverse) into inf (its nan_to_num)."""
    a = np.stack([np.diag([2.0, 1.0]), [[1.0, bad], [0.0, 1.0]], [[1.0, 1.0], [1.0, bad]]])
    got, want = (L.linalg.cond(L.tensor(a), p) for L in LIBS)
    _same(got, want)


# ------------------------------------------------------------ the 2-norm's second derivative
def test_second_derivative_of_the_2_norm_at_a_zero_vector_is_finite():
    """Documented difference: PyTorch's is NaN; minigrad's divides by a safe 1 there and
    gives gy (the weight of the norm) on every entry of the zero row, so that a gradient
    penalty at a zero gradient does not turn the run to NaN. The other rows agree."""
    x0 = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 2.0]])
    w = np.array([0.7, -1.3])
    hs = []
    for lib in LIBS:
        for f in (lambda x, L=lib: L.linalg.vector_norm(x, dim=1), lambda x: x.norm(2, dim=1)):
            x = lib.tensor(x0, requires_grad=True)
            (g,) = lib.autograd.grad((f(x) * lib.tensor(w)).sum(), x, create_graph=True)
            (h,) = lib.autograd.grad(g.sum(), x)
            assert _np(g)[0].tolist() == [0.0, 0.0, 0.0]
            hs.append(_np(h))
    for h in hs[:2]:
        assert h[0].tolist() == [0.7, 0.7, 0.7]
        np.testing.assert_allclose(h[1], hs[2][1], rtol=1e-12)
    assert np.isnan(hs[2][0]).all()


# ------------------------------------------------------------ arguments PyTorch takes
@pytest.mark.parametrize(
    "call",
    [
        lambda L, x: L.norm(x, dtype=L.float64),
        lambda L, x: x.norm(dim=1, dtype=L.float64),
        lambda L, x: x.norm(2, 1, False, L.float64),
        lambda L, x: L.norm(x, 1, dtype=L.float64),
        lambda L, x: L.norm(x, INF, dim=0, dtype=L.float64),
        lambda L, x: L.norm(x, "nuc", dtype=L.float64),
        lambda L, x: L.norm(x, "fro", dim=(0, 1), dtype=L.float64),
    ],
)
def test_norm_dtype_casts_first(call):
    x = np.arange(12.0).reshape(3, 4) / 7
    outs = []
    for L in LIBS:
        t = L.tensor(x, dtype=L.float32, requires_grad=True)
        y = call(L, t)
        y.sum().backward()
        outs.append((y, t.grad))
    for got, want in zip(*outs, strict=True):
        _same(got, want, rtol=1e-6, atol=1e-7)


def test_pinv_rcond_and_matrix_rank_tol():
    """rcond is pinv's relative tolerance (atol 0), tol matrix_rank's absolute one (rtol 0),
    as keywords, positionally and as tensors."""
    a = np.array([[2.0, 0.0], [0.0, 1e-9]])
    for call in (
        lambda L, A: L.linalg.pinv(A, rcond=1e-6),
        lambda L, A: L.linalg.pinv(A, 1e-12, True),
        lambda L, A: L.linalg.pinv(A, L.tensor(0.6, dtype=L.float64)),
        lambda L, A: L.linalg.matrix_rank(A, tol=1e-6),
        lambda L, A: L.linalg.matrix_rank(A, 1e-12),
        lambda L, A: L.linalg.matrix_rank(A, tol=0.0),
        lambda L, A: L.linalg.matrix_rank(A, tol=3.0, hermitian=True),
    ):
        got, want = (call(L, L.tensor(a)) for L in LIBS)
        _same(got, want)
    for call in (
        lambda L, A: L.linalg.pinv(A, rcond=1e-6, atol=1.0),
        lambda L, A: L.linalg.pinv(A, rcond=None),
        lambda L, A: L.linalg.matrix_rank(A, tol=1e-6, rtol=1.0),
        lambda L, A: L.linalg.matrix_rank(A, tol=None),
    ):
        _raises_alike(lambda L, call=call: call(L, L.tensor(a)))


def test_svd_driver_none_is_taken_and_any_other_refused():
    a = np.array([[2.0, 1.0], [0.0, 3.0]])
    for call in (lambda L, A: L.linalg.svd(A, driver=None).S, lambda L, A: L.linalg.svdvals(A)):
        got, want = (call(L, L.tensor(a)) for L in LIBS)
        _same(got, want)
    for call in (
        lambda L, A: L.linalg.svd(A, driver="gesvd"),
        lambda L, A: L.linalg.svdvals(A, driver="gesvdj"),
    ):
        _raises_alike(lambda L, call=call: call(L, L.tensor(a)), "only supported on CUDA")


# ------------------------------------------------------------ the new functions
def test_vander_as_pytorch():
    rng = np.random.default_rng(1)
    for x, kw in (
        (np.array([0.0, 2.0, -1.5, 0.0]), {}),
        (rng.standard_normal((2, 3)), {"N": 5}),
        (rng.standard_normal(3), {"N": 2}),
        (np.array(2.0), {"N": 3}),
    ):
        outs = []
        for L in LIBS:
            t = L.tensor(x, requires_grad=True)
            v = L.linalg.vander(t, **kw)
            (v * L.tensor(np.arange(v.numel()).reshape(v.shape) % 3 - 1.0)).sum().backward()
            outs.append((v, t.grad))
        for got, want in zip(*outs, strict=True):
            _same(got, want)
    got, want = (L.linalg.vander(L.tensor([1, 2, 3], dtype=L.int32)) for L in LIBS)
    _same(got, want)
    _raises_alike(lambda L: L.linalg.vander(L.tensor([True, False])), "integer tensors")
    _raises_alike(lambda L: L.linalg.vander(L.tensor([1.0, 2.0]), N=1), "N must be greater")


def test_tensorsolve_and_tensorinv_as_pytorch():
    rng = np.random.default_rng(2)
    cases = [
        (lambda L, a, b: L.linalg.tensorsolve(a, b), (2, 3, 6), (2, 3)),
        (lambda L, a, b: L.linalg.tensorsolve(a, b, dims=(0, 2)), (6, 4, 2, 3), (4, 3)),
        (lambda L, a, b: L.linalg.tensorinv(a, ind=1) * b, (6, 2, 3), (2, 3, 6)),
        (lambda L, a, b: L.linalg.tensorinv(a) * b, (4, 6, 8, 3), (8, 3, 4, 6)),
    ]
    for call, sa, sb in cases:
        a, b = rng.standard_normal(sa), rng.standard_normal(sb)
        outs = []
        for L in LIBS:
            A, B = L.tensor(a, requires_grad=True), L.tensor(b, requires_grad=True)
            y = call(L, A, B)
            y.sum().backward()
            outs.append((y, A.grad, B.grad))
        for got, want in zip(*outs, strict=True):
            _same(got, want, rtol=1e-9, atol=1e-10)
    _raises_alike(lambda L: L.linalg.tensorinv(L.ones(6, 2, 2), ind=1), "prod(self.shape")
    _raises_alike(lambda L: L.linalg.tensorinv(L.ones(6, 2, 3), ind=0), "strictly positive")
    _raises_alike(lambda L: L.linalg.tensorinv(L.zeros(4, 2, 2), ind=1), "singular")
    _raises_alike(lambda L: L.linalg.tensorsolve(L.ones(2, 3, 5), L.ones(2, 3)), "prod(self")
    _raises_alike(lambda L: L.linalg.tensorsolve(L.zeros(2, 2), L.ones(2)), "singular")


# ------------------------------------------------------------ misuse PyTorch refuses
_REFUSED = {
    "vecdot int64": (lambda L: L.linalg.vecdot(L.tensor([1, 2]), L.tensor([3, 4])), "Long"),
    "vecdot f32 f64": (
        lambda L: L.linalg.vecdot(L.ones(2), L.ones(2, dtype=L.float64)),
        "Expected x and y to have the same dtype",
    ),
    "lstsq f64 f32": (
        lambda L: L.linalg.lstsq(L.eye(3, dtype=L.float64), L.ones(3, 1)),
        "Expected input and other to have the same dtype",
    ),
    "vector_norm narrowing": (
        lambda L: L.linalg.vector_norm(L.ones(2, dtype=L.float64), dtype=L.float32),
        "without narrowing",
    ),
    "matrix_norm narrowing": (
        lambda L: L.linalg.matrix_norm(L.eye(2, dtype=L.float64), "nuc", dtype=L.float32),
        "without narrowing",
    ),
    "linalg.norm narrowing": (
        lambda L: L.linalg.norm(L.ones(2, 2, dtype=L.float64), dtype=L.float32),
        "without narrowing",
    ),
    "norm to half": (lambda L: L.norm(L.ones(2), dtype=L.float16), "without narrowing"),
    "norm int dtype": (lambda L: L.ones(2).norm(dtype=L.int64), "floating point or complex"),
    "norm complex dtype": (lambda L: L.ones(2).norm(dtype=L.complex64), "real for real"),
    "linalg.norm int input": (
        lambda L: L.linalg.norm(L.tensor([3, 4]), dtype=L.float32),
        "Expected a floating point",
    ),
    "empty -1": (lambda L: L.linalg.vector_norm(L.zeros(0), -1), "on an empty tensor"),
    "empty inf": (lambda L: L.linalg.vector_norm(L.zeros(0), INF), "on an empty tensor"),
    "empty dim=()": (lambda L: L.zeros(2, 0).norm(-0.5, dim=()), "on an empty tensor"),
    "empty dim -2": (
        lambda L: L.linalg.vector_norm(L.zeros(2, 0), -2, dim=1),
        "on the dimension 1",
    ),
    "empty dim inf": (lambda L: L.norm(L.zeros(2, 0), INF, dim=(0, -1)), "on the dimension -1"),
}


@pytest.mark.parametrize("call,match", _REFUSED.values(), ids=_REFUSED.keys())
def test_refused_as_pytorch_refuses(call, match):
    _raises_alike(call, match)


def test_empty_norms_refused_only_without_an_identity():
    """Orders 0 and 2 of no entries are 0, and a -1 norm over a non-empty dim of an empty
    tensor has no entries to reduce; those are still computed."""
    _raises_alike(lambda L: L.linalg.vector_norm(L.zeros(3, 0), -1), "on an empty tensor")
    for call in (
        lambda L: L.linalg.vector_norm(L.zeros(0), 0),
        lambda L: L.linalg.vector_norm(L.zeros(0), 2),
        lambda L: L.linalg.vector_norm(L.zeros(2, 0), -1, dim=0),
    ):
        got, want = (call(L) for L in LIBS)
        _same(got, want)


def test_torch_norm_reads_a_string_order_as_pytorch():
    """'fro' over at most two dims is the 2-norm; another string, or 'fro' over more dims, a
    matrix norm over exactly two dims (all of them when dim is None). minigrad took 'nuc'
    over the last two dims of a 3-d input and 'fro' over any dims. Documented difference:
    linalg.norm takes 'fro' of a 1-d input (PyTorch's refuses it)."""
    _raises_alike(lambda L: L.norm(L.ones(2, 3, 4), "nuc"), "dim must be a 2-tuple. Got 0 1 2")
    _raises_alike(lambda L: L.ones(2, 3, 4).norm("fro", (0, 1, 2)), "dim must be a 2-tuple")
    for call in (
        lambda L: L.norm(L.ones(2, 3, 4), "nuc", dim=(0, 2)),
        lambda L: L.norm(L.ones(4), "fro"),
        lambda L: L.ones(2, 3).norm("fro", 1),
        lambda L: L.linalg.norm(L.ones(2, 3, 4), dim=(0, 1)),
    ):
        got, want = (call(L) for L in LIBS)
        _same(got, want, rtol=1e-6, atol=0)
    assert mg.linalg.norm(mg.tensor([3.0, 4.0]), "fro").item() == 5.0


# ------------------------------------------------------------ exception types
_WRONG_TYPE = {
    "torch.norm nuc int dim": (lambda L: L.norm(L.ones(3, 4), "nuc", 1), "Got 1"),
    "Tensor.norm nuc 1 dim": (lambda L: L.ones(3, 4).norm(p="nuc", dim=(-1,)), "Got -1"),
    "linalg.norm nuc int dim": (lambda L: L.linalg.norm(L.ones(3, 4), "nuc", 1), "2-tuple"),
    "linalg.norm nuc 1-d": (lambda L: L.linalg.norm(L.ones(4), "nuc"), "at least 2 dim"),
    "linalg.norm 1-d two dims": (lambda L: L.linalg.norm(L.ones(4), dim=(0, 1)), None),
    "linalg.norm ord 3 bad dim": (
        lambda L: L.linalg.norm(L.ones(3, 4), 3, dim=(1, 2)),
        "Order 3 not supported",
    ),
    "linalg.norm 3 dims": (
        lambda L: L.linalg.norm(L.ones(2, 3, 4), dim=(0, 1, 2)),
        "it must be of length 1 or 2",
    ),
    "matrix_norm same dims": (
        lambda L: L.linalg.matrix_norm(L.ones(3, 4), 1, dim=(0, -2)),
        "must be different",
    ),
    "matrix_norm half nuc": (
        lambda L: L.linalg.matrix_norm(L.ones(2, 2).half(), "nuc"),
        "linalg.matrix_norm: Low precision dtypes not supported",
    ),
    "torch.norm bad string": (lambda L: L.norm(L.ones(2, 3), "foo"), "Order foo not supported"),
}


@pytest.mark.parametrize("call,match", _WRONG_TYPE.values(), ids=_WRONG_TYPE.keys())
def test_exception_types_as_pytorch(call, match):
    """minigrad raised TypeError/ValueError where PyTorch raises RuntimeError (and
    RuntimeError where it raises IndexError)."""
    _raises_alike(call, match)


@pytest.mark.parametrize(
    "call",
    [
        lambda L, x: L.linalg.vector_norm(x, "fro"),
        lambda L, x: L.linalg.vector_norm(x, "nuc", dim=1),
        lambda L, x: L.linalg.matrix_norm(x, "fro", dim=0),
        lambda L, x: L.linalg.vector_norm(x, None),
    ],
)
def test_norm_argument_types_are_refused_as_torch(call):
    x = np.arange(6.0).reshape(2, 3)
    with pytest.raises(TypeError):
        call(torch, torch.tensor(x))
    with pytest.raises(TypeError):
        call(mg, mg.tensor(x))
