"""minigrad.linalg's decompositions and matrix functions against torch.linalg: values,
dtypes, errors, and first and second derivatives (gradcheck, gradgradcheck, torch's)."""

import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import linalg as LA

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)


def _general(shape, rng=RNG):
    """Well-conditioned square matrices: random plus a diagonal shift."""
    n = shape[-1]
    return rng.standard_normal(shape) + n * np.eye(n)


def _spd(shape, rng=RNG):
    a = rng.standard_normal(shape)
    return a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])


def _sym(shape, rng=RNG):
    a = rng.standard_normal(shape)
    return a + np.swapaxes(a, -1, -2)


def _tril(shape, rng=RNG):
    return np.tril(rng.standard_normal(shape)) + 3 * np.eye(shape[-1])


def _pair(*arrays, dtype=np.float64, grad=False):
    ms = [mg.tensor(a.astype(dtype), requires_grad=grad) for a in arrays]
    ts = [torch.tensor(a.astype(dtype), requires_grad=grad) for a in arrays]
    return ms, ts


def _np(x):
    return x.detach().numpy() if isinstance(x, torch.Tensor) else x.numpy()


def _close(m, t, dtype=np.float64, scale=1.0):
    tol = 1e-9 if dtype == np.float64 else 2e-4
    m, t = _np(m), _np(t)
    assert m.shape == t.shape
    assert m.dtype == t.dtype
    np.testing.assert_allclose(m, t, rtol=tol, atol=tol * scale)


def _qr_inv(lib):
    """Q and R with R's diagonal made positive (the factorisation's only freedom)."""

    def f(q, r):
        d = lib.sign(lib.diagonal(r, 0, -2, -1)).detach()
        return q * d[..., None, :], r * d[..., :, None]

    return f


def _svd_inv(lib):
    def f(u, s, vh):
        k = s.shape[-1]
        c = lib.arange(1, k + 1, dtype=s.dtype) if lib is torch else mg.arange(1, k + 1)
        c = c.to(s.dtype)
        return s, (u[..., :, :k] * c) @ vh[..., :k, :]

    return f


def _eigh_inv(lib):
    def f(w, v):
        n = w.shape[-1]
        c = (lib.arange(1, n + 1) if lib is torch else mg.arange(1, n + 1)).to(w.dtype)
        return w, (v * c) @ v.transpose(-1, -2)

    return f


# name: (minigrad fn, torch fn, input makers, invariant(lib) or None)
CASES = {
    "inv": (LA.inv, torch.linalg.inv, [_general], None),
    "det": (LA.det, torch.linalg.det, [_general], None),
    "slogdet": (LA.slogdet, torch.linalg.slogdet, [_general], None),
    "logdet": (mg.linalg.logdet, torch.logdet, [_spd], None),
    "solve": (LA.solve, torch.linalg.solve, [_general, lambda s: RNG.standard_normal(s)], None),
    "solve_left_false": (
        lambda a, b: LA.solve(a, b, left=False),
        lambda a, b: torch.linalg.solve(a, b, left=False),
        [_general, lambda s: RNG.standard_normal(s)],
        None,
    ),
    "cholesky": (LA.cholesky, torch.linalg.cholesky, [_spd], None),
    "cholesky_upper": (
        lambda a: LA.cholesky(a, upper=True),
        lambda a: torch.linalg.cholesky(a, upper=True),
        [_spd],
        None,
    ),
    "solve_triangular": (
        lambda a, b: LA.solve_triangular(a, b, upper=False),
        lambda a, b: torch.linalg.solve_triangular(a, b, upper=False),
        [_tril, lambda s: RNG.standard_normal(s)],
        None,
    ),
    "solve_triangular_upper_right_unit": (
        lambda a, b: LA.solve_triangular(a, b, upper=True, left=False, unitriangular=True),
        lambda a, b: torch.linalg.solve_triangular(
            a, b, upper=True, left=False, unitriangular=True
        ),
        [lambda s: np.swapaxes(_tril(s), -1, -2), lambda s: RNG.standard_normal(s)],
        None,
    ),
    "qr": (LA.qr, torch.linalg.qr, [lambda s: RNG.standard_normal(s)], _qr_inv),
    "eigh": (LA.eigh, torch.linalg.eigh, [_sym], _eigh_inv),
    "eigh_upper": (
        lambda a: LA.eigh(a, UPLO="U"),
        lambda a: torch.linalg.eigh(a, UPLO="U"),
        [_sym],
        _eigh_inv,
    ),
    "eigvalsh": (LA.eigvalsh, torch.linalg.eigvalsh, [_sym], None),
    "svd": (
        lambda a: LA.svd(a, full_matrices=False),
        lambda a: torch.linalg.svd(a, full_matrices=False),
        [lambda s: RNG.standard_normal(s)],
        _svd_inv,
    ),
    "svdvals": (LA.svdvals, torch.linalg.svdvals, [lambda s: RNG.standard_normal(s)], None),
    "pinv": (LA.pinv, torch.linalg.pinv, [lambda s: RNG.standard_normal(s)], None),
    "matrix_power_3": (
        lambda a: LA.matrix_power(a, 3),
        lambda a: torch.linalg.matrix_power(a, 3),
        [lambda s: RNG.standard_normal(s)],
        None,
    ),
    "matrix_power_5": (
        lambda a: LA.matrix_power(a, 5),
        lambda a: torch.linalg.matrix_power(a, 5),
        [lambda s: RNG.standard_normal(s) / 2],
        None,
    ),
    "matrix_power_neg2": (
        lambda a: LA.matrix_power(a, -2),
        lambda a: torch.linalg.matrix_power(a, -2),
        [_general],
        None,
    ),
    "matrix_exp": (
        LA.matrix_exp,
        torch.linalg.matrix_exp,
        [lambda s: RNG.standard_normal(s)],
        None,
    ),
    "lstsq": (
        lambda a, b: LA.lstsq(a, b).solution,
        lambda a, b: torch.linalg.lstsq(a, b).solution,
        [
            lambda s: RNG.standard_normal(s[:-1] + (s[-1] + 1, s[-1])),
            lambda s: RNG.standard_normal(s[:-1] + (s[-1] + 1, 2)),
        ],
        None,
    ),
    "multi_dot": (
        lambda a, b, c: LA.multi_dot([a, b, c]),
        lambda a, b, c: torch.linalg.multi_dot([a, b, c]),
        [lambda s: RNG.standard_normal(s[-2:])] * 3,
        None,
    ),
    "cross": (
        LA.cross,
        torch.linalg.cross,
        [lambda s: RNG.standard_normal(s[:-1] + (3,))] * 2,
        None,
    ),
    "vecdot": (LA.vecdot, torch.linalg.vecdot, [lambda s: RNG.standard_normal(s)] * 2, None),
    "diagonal": (
        lambda a: LA.diagonal(a, offset=1),
        lambda a: torch.linalg.diagonal(a, offset=1),
        [lambda s: RNG.standard_normal(s)],
        None,
    ),
}
for _ord in ["fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf]:
    CASES[f"matrix_norm_{_ord}"] = (
        lambda a, o=_ord: LA.matrix_norm(a, o),
        lambda a, o=_ord: torch.linalg.matrix_norm(a, o),
        [lambda s: RNG.standard_normal(s)],
        None,
    )

SHAPES = [(3, 3), (2, 4, 4), (0, 3, 3)]
NO_EMPTY = {"multi_dot"}  # 2-D only
TALL = {"qr", "svd", "svdvals", "pinv"}


def _outputs(out, inv, lib):
    out = tuple(out) if isinstance(out, tuple) else (out,)
    if inv is not None:
        out = inv(lib)(*out)
        out = out if isinstance(out, tuple) else (out,)
    return out


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", sorted(CASES))
def test_forward_matches_torch(name, shape, dtype):
    mfn, tfn, makers, inv = CASES[name]
    if name in NO_EMPTY and len(shape) > 2:
        pytest.skip("2-D operands only")
    arrays = [mk(shape) for mk in makers]
    ms, ts = _pair(*arrays, dtype=dtype)
    mo, to = _outputs(mfn(*ms), inv, mg), _outputs(tfn(*ts), inv, torch)
    assert len(mo) == len(to)
    for m, t in zip(mo, to, strict=True):
        _close(m, t, dtype, scale=10)


@pytest.mark.parametrize("shape", [(3, 3), (2, 3, 3), (4, 3), (3, 4)])
@pytest.mark.parametrize("name", sorted(CASES))
def test_grad_matches_torch_and_gradcheck(name, shape):
    mfn, tfn, makers, inv = CASES[name]
    if shape[-1] != shape[-2] and name not in TALL:
        pytest.skip("square only")
    if name in NO_EMPTY and len(shape) > 2:
        pytest.skip("2-D operands only")
    rng = np.random.default_rng(1)
    arrays = [mk(shape) for mk in makers]
    if name.startswith(("eigh", "eigvalsh", "cholesky")):
        # gradients of symmetric inputs are symmetric (as torch's): check f(a + a^T)
        if not name.startswith("cholesky"):
            arrays = [arrays[0] + np.arange(shape[-1]) * 2 * np.eye(shape[-1])]  # spread gaps
        mfn0, tfn0 = mfn, tfn
        mfn = lambda a, f=mfn0: f(a + a.transpose(-1, -2))  # noqa: E731 - symmetric input
        tfn = lambda a, f=tfn0: f(a + a.transpose(-1, -2))  # noqa: E731
    ms, ts = _pair(*arrays, grad=True)
    mo, to = _outputs(mfn(*ms), inv, mg), _outputs(tfn(*ts), inv, torch)
    weights = [rng.standard_normal(t.shape) for t in to]
    mloss = sum((m * mg.tensor(w)).sum() for m, w in zip(mo, weights, strict=True))
    tloss = sum((t * torch.tensor(w)).sum() for t, w in zip(to, weights, strict=True))
    mg_grads = mg.grad(mloss, ms, allow_unused=True)
    t_grads = torch.autograd.grad(tloss, ts, allow_unused=True)
    for g, tg in zip(mg_grads, t_grads, strict=True):
        np.testing.assert_allclose(_np(g), _np(tg), rtol=1e-7, atol=1e-8)

    def f(*xs):
        return _outputs(mfn(*xs), inv, mg)

    inputs = [mg.tensor(a, requires_grad=True) for a in arrays]
    assert mg.autograd.gradcheck(f, inputs)
    assert mg.autograd.gradgradcheck(f, inputs)


def test_ill_conditioned_inverse_and_solve():
    n = 6
    hilbert = 1.0 / (np.arange(n)[:, None] + np.arange(n)[None, :] + 1)  # cond ~ 1.5e7
    (m,), (t,) = _pair(hilbert)
    rel = np.abs(_np(LA.inv(m)) - _np(torch.linalg.inv(t))).max() / np.abs(_np(t)).max()
    assert rel < 1e-2
    b = np.arange(n, dtype=np.float64)
    x = _np(LA.solve(m, mg.tensor(b)))
    np.testing.assert_allclose(hilbert @ x, b, atol=1e-7)
    _close(LA.det(m), torch.linalg.det(t), scale=1e-20)
    _close(LA.slogdet(m).logabsdet, torch.linalg.slogdet(t).logabsdet)


def test_non_contiguous_inputs():
    a = _general((2, 4, 4))
    t = torch.tensor(a).transpose(-1, -2)
    m = mg.tensor(a).transpose(-1, -2)
    assert not t.is_contiguous()
    _close(LA.inv(m), torch.linalg.inv(t))
    _close(LA.det(m[:, ::2, ::2]), torch.linalg.det(t[:, ::2, ::2]))
    s = _spd((4, 4))
    _close(LA.cholesky(mg.tensor(s).T), torch.linalg.cholesky(torch.tensor(s).T))


def test_solve_broadcasting_and_vector_rhs():
    A = _general((2, 1, 3, 3))
    for b in (
        RNG.standard_normal(3),
        RNG.standard_normal((4, 3, 2)),
        RNG.standard_normal((2, 1, 3)),
    ):
        (ma, mb), (ta, tb) = _pair(A, b)
        _close(LA.solve(ma, mb), torch.linalg.solve(ta, tb))


def test_singular_errors_match_torch():
    sing = np.array([[1.0, 2.0], [2.0, 4.0]])
    batch = np.stack([np.eye(2), sing])
    for a in (sing, batch):
        (m,), (t,) = _pair(a)
        for mfn, tfn in (
            (LA.inv, torch.linalg.inv),
            (LA.cholesky, torch.linalg.cholesky),
            (lambda x: LA.solve(x, x), lambda x: torch.linalg.solve(x, x)),
        ):
            with pytest.raises(RuntimeError) as te:
                tfn(t)
            with pytest.raises(LA.LinAlgError) as me:
                mfn(m)
            assert str(me.value) == str(te.value)
    assert issubclass(LA.LinAlgError, RuntimeError)
    (m,), (t,) = _pair(batch)
    mi, ti = LA.inv_ex(m), torch.linalg.inv_ex(t)
    np.testing.assert_array_equal(_np(mi.info), _np(ti.info))
    _close(mi.inverse[0], ti.inverse[0])
    mc, tc = LA.cholesky_ex(m), torch.linalg.cholesky_ex(t)
    np.testing.assert_array_equal(_np(mc.info), _np(tc.info))
    _close(mc.L, tc.L)
    _close(LA.det(m), torch.linalg.det(t))
    ms, ts = LA.slogdet(m), torch.linalg.slogdet(t)
    _close(ms.sign, ts.sign)
    _close(ms.logabsdet, ts.logabsdet)
    assert int(_np(LA.matrix_rank(m))[1]) == int(torch.linalg.matrix_rank(t)[1]) == 1
    _close(LA.pinv(m), torch.linalg.pinv(t))


def test_argument_errors_match_torch():
    for a in (np.ones((2, 3)), np.ones(3), np.ones((2, 2), dtype=np.int64)):
        (m,), (t,) = _pair(a, dtype=a.dtype)
        for mfn, tfn in ((LA.inv, torch.linalg.inv), (LA.det, torch.linalg.det)):
            with pytest.raises(RuntimeError) as te:
                tfn(t)
            with pytest.raises(RuntimeError) as me:
                mfn(m)
            if mfn is LA.inv:
                assert str(me.value) == str(te.value)
    with pytest.raises(RuntimeError):
        LA.eigh(mg.tensor(np.eye(2)), UPLO="X")
    with pytest.raises(RuntimeError):
        LA.qr(mg.tensor(np.eye(2)), mode="full")


def test_logdet_negative_and_zero():
    for a in (np.diag([-1.0, 2.0]), np.zeros((2, 2))):
        (m,), (t,) = _pair(a)
        np.testing.assert_array_equal(_np(mg.linalg.logdet(m)), _np(torch.logdet(t)))


def test_qr_modes_and_svd_full():
    for shape in ((4, 3), (3, 4), (2, 4, 4)):
        a = RNG.standard_normal(shape)
        (m,), (t,) = _pair(a)
        for mode in ("reduced", "complete", "r"):
            mq, mr = LA.qr(m, mode)
            tq, tr = torch.linalg.qr(t, mode)
            assert tuple(mq.shape) == tuple(tq.shape) and tuple(mr.shape) == tuple(tr.shape)
            np.testing.assert_allclose(np.abs(_np(mr)), np.abs(_np(tr)), atol=1e-12)
        mu, ms, mvh = LA.svd(m)
        tu, ts, tvh = torch.linalg.svd(t)
        assert tuple(mu.shape) == tuple(tu.shape) and tuple(mvh.shape) == tuple(tvh.shape)
        _close(ms, ts)
        k = ms.shape[-1]
        rec = (_np(mu)[..., :k] * _np(ms)[..., None, :]) @ _np(mvh)[..., :k, :]
        np.testing.assert_allclose(rec, a, atol=1e-12)
    with pytest.raises(RuntimeError, match="mode='r'|not differentiable"):
        x = mg.tensor(RNG.standard_normal((4, 3)), requires_grad=True)
        LA.qr(x, "complete").Q.sum().backward()


def test_svd_full_matrices_grad_matches_torch():
    a = RNG.standard_normal((4, 3))
    (m,), (t,) = _pair(a, grad=True)
    mu, ms, mvh = LA.svd(m)
    tu, ts, tvh = torch.linalg.svd(t)
    c = np.array([1.0, 2.0, 3.0])
    mloss = ((mu[:, :3] * mg.tensor(c)) @ mvh).sum() + ms.sum()
    tloss = ((tu[:, :3] * torch.tensor(c)) @ tvh).sum() + ts.sum()
    mloss.backward()
    tloss.backward()
    np.testing.assert_allclose(_np(m.grad), _np(t.grad), atol=1e-10)


def test_matrix_exp_large_norm_and_power_zero():
    a = RNG.standard_normal((2, 4, 4)) * np.array([0.01, 30.0])[:, None, None]
    (m,), (t,) = _pair(a)
    got, want = _np(LA.matrix_exp(m)), _np(torch.linalg.matrix_exp(t))
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10 * np.abs(want).max())
    _close(LA.matrix_power(m, 0), torch.linalg.matrix_power(t, 0))
    _close(LA.matrix_power(m[0], 1), torch.linalg.matrix_power(t[0], 1))


def test_norm_dispatch():
    a = RNG.standard_normal((3, 4))
    (m,), (t,) = _pair(a)
    for ord_, dim in (
        (None, None),
        (2, None),
        ("nuc", None),
        (math.inf, None),
        (1, 0),
        (-2, (1, 0)),
        ("fro", (0, 1)),
    ):
        _close(LA.norm(m, ord_, dim), torch.linalg.norm(t, ord_, dim))
    _close(
        LA.matrix_norm(m[None], 2, keepdim=True), torch.linalg.matrix_norm(t[None], 2, keepdim=True)
    )
    _close(LA.matrix_norm(m, -1, (1, 0)), torch.linalg.matrix_norm(t, -1, (1, 0)))
    with pytest.raises(RuntimeError):
        LA.norm(mg.tensor(np.ones((2, 2, 2))), 2)


def test_det_grad_of_singular_matrix_matches_torch():
    """The gradient of det is the cofactor matrix, also at a singular matrix (rank 2 here:
    not zero). The singular one is checked against its exact cofactors: PyTorch's own value
    there depends on its LAPACK path (on some CPUs it returns zeros); the regular one
    against PyTorch."""
    a = np.stack([np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]]), _general((3, 3))])
    (m,), (t,) = _pair(a, grad=True)
    LA.det(m).sum().backward()
    torch.linalg.det(t).sum().backward()
    cofactors = np.array([[4.0, 4.0, -4.0], [-2.0, -2.0, 2.0], [0.0, 0.0, 0.0]])
    np.testing.assert_allclose(_np(m.grad)[0], cofactors, atol=1e-10)
    np.testing.assert_allclose(_np(m.grad)[1], _np(t.grad)[1], atol=1e-10)


def test_top_level_and_method_forms_as_pytorch():
    """torch.inverse, torch.det, torch.svd (V, not Vh), torch.qr(some=), Tensor methods."""
    a = np.random.RandomState(0).randn(3, 3)

    def run(L):
        t = L.tensor(a)
        U, S, V = L.svd(t)
        Q, R = t.qr()
        return [
            L.det(t).item(),
            L.inverse(t).numpy(),
            t.inverse().numpy(),
            L.slogdet(t)[1].item(),
            (U @ L.diag(S) @ V.transpose(0, 1)).numpy(),
            L.matrix_power(t, 3).numpy(),
            L.pinverse(t).numpy(),
            (Q @ R).numpy(),
            L.matrix_exp(t * 0.1).numpy(),
        ]

    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.qr's deprecation
        got, want = run(mg), run(torch)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)


def test_hostile_pass_edges_as_pytorch():
    """matrix_power(A, 0) of a NaN matrix was NaN (A * 0 + I); cholesky(upper=True) read the
    lower triangle; a NaN entry gave a NaN factor instead of LinAlgError; a tensor atol in
    pinv/matrix_rank raised 'ambiguous'."""
    bad = np.array([[np.nan, 1.0], [np.inf, 2.0]])
    for lib in (mg, torch):
        a = lib.tensor(bad, requires_grad=True)
        p = lib.linalg.matrix_power(a, 0)
        assert p.detach().numpy().tolist() == [[1.0, 0.0], [0.0, 1.0]]
        p.sum().backward()
        assert a.grad.numpy().tolist() == [[0.0, 0.0], [0.0, 0.0]]
    ns = np.array([[4.0, 1.0], [3.0, 5.0]])  # not symmetric: the triangle read matters

    def chol(L, upper):
        a = L.tensor(ns, requires_grad=True)
        u = L.linalg.cholesky(a, upper=upper)
        (u * L.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=L.float64)).sum().backward()
        ex = L.linalg.cholesky_ex(L.tensor(ns), upper=upper).L
        return u.detach().numpy(), a.grad.numpy(), ex.numpy()

    for upper in (False, True):
        for got, want in zip(chol(mg, upper), chol(torch, upper), strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-12)
    for lib in (mg, torch):
        with pytest.raises(RuntimeError):
            lib.linalg.cholesky(lib.tensor([[np.nan, 0.0], [0.0, 1.0]], dtype=lib.float64))
        assert lib.linalg.cholesky_ex(lib.tensor([[np.nan, 0.0], [0.0, 1.0]])).info.item() == 1
    m = np.stack([np.diag([3.0, 1e-3, 1.0]), np.zeros((3, 3))])
    tol = np.array([0.5, 0.5])
    got = mg.linalg.matrix_rank(mg.tensor(m), atol=mg.tensor(tol)).tolist()
    want = torch.linalg.matrix_rank(torch.tensor(m), atol=torch.tensor(tol)).tolist()
    assert got == want == [2, 0]
    np.testing.assert_allclose(
        mg.linalg.pinv(mg.tensor(m), atol=mg.tensor(tol)).numpy(),
        torch.linalg.pinv(torch.tensor(m), atol=torch.tensor(tol)).numpy(),
    )
