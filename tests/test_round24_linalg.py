"""Round 24 of the hostile reviews: linalg, the linear-algebra aliases and special against
PyTorch 2.13 (det's Hessian near singular matrices, complex vecdot, numerically singular
inverses and solves, integer addbmm, out= and PyTorch's keyword names)."""

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")

LIBS = (mg, torch)


def _np(t):
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


def _rotation(seed, n=3):
    q, _ = np.linalg.qr(np.random.RandomState(seed).standard_normal((n, n)))
    return q


# ------------------------------------------------------------ det's second derivative
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_det_hessian_at_a_numerically_singular_matrix_matches_torch(dtype):
    """|det| < 100 eps takes the SVD's cofactors, as PyTorch's linalg_det_backward; the
    d * A^-T formula cancelled there and gave Hessians in multiples of 0.5."""
    q = _rotation(0)
    a = (q @ np.diag([0.0, 1.0, 2.0]) @ q.T).astype(dtype)
    v = np.random.RandomState(1).standard_normal((3, 3)).astype(dtype)
    hv = []
    for L in LIBS:
        A = L.tensor(a, requires_grad=True)
        (g,) = L.autograd.grad(L.linalg.det(A), A, create_graph=True)
        (h,) = L.autograd.grad((g * L.tensor(v)).sum(), A)
        hv.append((_np(g), _np(h)))
    tol = 1e-10 if dtype == "float64" else 2e-3
    np.testing.assert_allclose(hv[0][0], hv[1][0], atol=tol)
    np.testing.assert_allclose(hv[0][1], hv[1][1], atol=tol)


def test_det_gradients_of_a_batch_mixing_regular_and_nearly_singular_matrices():
    q = _rotation(2)
    a = np.stack([q @ np.diag([1e-17, 1.0, 2.0]) @ q.T, np.diag([2.0, 3.0, 4.0]), np.zeros((3, 3))])
    got = []
    for L in LIBS:
        A = L.tensor(a, requires_grad=True)
        (g,) = L.autograd.grad(L.linalg.det(A).sum(), A, create_graph=True)
        (h,) = L.autograd.grad(g.sum(), A)
        got.append((_np(g), _np(h)))
    np.testing.assert_allclose(got[0][0], got[1][0], atol=1e-10)
    np.testing.assert_allclose(got[0][1], got[1][1], atol=1e-10)


# ------------------------------------------------------------ vecdot of complex vectors
def test_vecdot_of_complex_vectors_conjugates_x():
    x = np.array([[1 + 2j, 3 - 1j], [0.5j, 2.0]])
    y = np.array([[2 - 1j, 1j], [1 + 1j, -1j]])
    got, want = (L.linalg.vecdot(L.tensor(x), L.tensor(y)) for L in LIBS)
    np.testing.assert_allclose(_np(got), _np(want))
    assert got.dtype == mg.complex128
    # real vectors are unchanged, and still differentiable
    xr = mg.tensor([1.0, 2.0], requires_grad=True)
    mg.linalg.vecdot(xr, mg.tensor([3.0, 4.0])).backward()
    np.testing.assert_array_equal(xr.grad.numpy(), [3.0, 4.0])


# ------------------------------------------------------------ numerically singular matrices
TEXTBOOK = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]])


def _rank3():
    r = np.random.RandomState(0)
    r.standard_normal((4, 1))
    r.standard_normal((1, 4))
    return r.standard_normal((4, 3)) @ r.standard_normal((3, 4))


@pytest.mark.parametrize(
    "call",
    [
        lambda L, t: L.linalg.inv(t),
        lambda L, t: L.inverse(t),
        lambda L, t: L.linalg.solve(t, L.eye(3, dtype=L.float64)[:, :1]),
        lambda L, t: L.linalg.matrix_power(t, -2),
        lambda L, t: L.linalg.tensorinv(t, 1),
        lambda L, t: L.linalg.tensorsolve(t, L.eye(3, dtype=L.float64)[0]),
        lambda L, t: L.linalg.inv_ex(t, check_errors=True).inverse,
        lambda L, t: L.linalg.solve_ex(t, L.eye(3, dtype=L.float64), check_errors=True).result,
    ],
    ids=[
        "inv",
        "inverse",
        "solve",
        "matrix_power",
        "tensorinv",
        "tensorsolve",
        "inv_ex",
        "solve_ex",
    ],
)
def test_a_matrix_with_no_exactly_zero_pivot_is_inverted(call):
    """NumPy's LAPACK meets an exact zero pivot in [[1,2,3],[4,5,6],[7,8,9]]; PyTorch's (and
    getf2's) does not and returns a huge inverse. minigrad raised ShapeError."""
    got, want = (call(L, L.tensor(TEXTBOOK)) for L in LIBS)
    assert np.isfinite(_np(got)).all() and np.isfinite(_np(want)).all()
    assert np.abs(_np(got)).max() > 1e14


def test_ex_forms_never_raise_and_report_the_zero_pivot():
    for L in LIBS:  # a rank-3 4x4 whose getf2 meets an exact zero pivot in both libraries
        a = L.tensor(np.stack([np.diag([1.0, 2.0, 3.0, 4.0]), np.diag([1.0, 2.0, 0.0, 4.0])]))
        inv, info = L.linalg.inv_ex(a)
        assert _np(info).tolist() == [0, 3]
        np.testing.assert_allclose(_np(inv)[0], np.diag([1.0, 0.5, 1 / 3, 0.25]))
        x, info = L.linalg.solve_ex(a, a[..., :1])
        assert _np(info).tolist() == [0, 3]
        assert L.linalg.cond(a, 1)[1].item() == float("inf")
    a = mg.tensor(_rank3())  # NumPy's LAPACK raises on it: no ShapeError any more
    assert mg.linalg.inv_ex(a).info.dtype == mg.int32
    mg.linalg.solve_ex(a, a[:, :1])
    mg.linalg.cond(a, 1)


def test_a_singular_matrix_raises_linalg_error():
    a = np.diag([1.0, 0.0, 2.0])
    for call in (
        lambda L: L.linalg.inv(L.tensor(a)),
        lambda L: L.linalg.solve(L.tensor(a), L.tensor(np.ones((3, 1)))),
        lambda L: L.linalg.inv_ex(L.tensor(a), check_errors=True),
    ):
        with pytest.raises(torch.linalg.LinAlgError):
            call(torch)
        with pytest.raises(mg.linalg.LinAlgError, match="singular"):
            call(mg)


def test_singular_verdicts_on_rank_deficient_gram_matrices_mostly_agree():
    """minigrad decides singularity as LAPACK's getf2 (PyTorch uses MKL): the verdicts on
    matrices within a rounding of singular agree on most, and nothing raises but
    LinAlgError."""
    agree = 0
    for seed in range(60):
        r = np.random.RandomState(seed)
        n = 5 + seed % 3
        x = r.standard_normal((n, n - 1))
        a = x @ x.T
        verdicts = []
        for L in LIBS:
            try:
                L.linalg.inv(L.tensor(a))
                verdicts.append(True)
            except L.linalg.LinAlgError:
                verdicts.append(False)
            assert L.linalg.inv_ex(L.tensor(a)).info.shape == ()
        agree += verdicts[0] == verdicts[1]
    assert agree >= 57


def test_slogdet_gradient_at_a_numerically_singular_matrix_does_not_raise_shape_error():
    """LAPACK's slogdet finds the textbook matrix singular (-inf, as PyTorch's); its gradient
    (A^-T) raised ShapeError. PyTorch's is inf/NaN there; minigrad's the huge inverse, and
    LinAlgError where its own LU meets an exact zero pivot (documented)."""
    A = mg.tensor(TEXTBOOK, requires_grad=True)
    sign, logabs = mg.linalg.slogdet(A)
    assert sign.item() == 0 and logabs.item() == -np.inf
    logabs.backward()
    assert np.abs(A.grad.numpy()).max() > 1e14
    B = mg.tensor(np.diag([1.0, 0.0, 2.0]), requires_grad=True)
    with pytest.raises(mg.linalg.LinAlgError):
        mg.linalg.slogdet(B)[1].backward()


def test_inverse_of_a_batch_holding_a_nan_and_a_singular_matrix():
    a = np.stack([TEXTBOOK, np.array([[1.0, np.nan, 0], [0, 1, 0], [0, 0, 1]]), np.eye(3)])
    got, want = (L.linalg.inv_ex(L.tensor(a)) for L in LIBS)
    np.testing.assert_array_equal(_np(got.info), _np(want.info))
    assert np.isnan(_np(got.inverse)[1]).all() and np.isnan(_np(want.inverse)[1]).all()
    np.testing.assert_array_equal(_np(got.inverse)[2], np.eye(3))


# ------------------------------------------------------------ dtypes
@pytest.mark.parametrize("dtype", ["int32", "int16", "int8", "uint8", "int64"])
def test_addbmm_keeps_integer_dtypes(dtype):
    b1 = (np.arange(24).reshape(2, 3, 4) % 5).astype(dtype)
    b2 = (np.arange(24).reshape(2, 4, 3) % 3).astype(dtype)
    m = np.ones((3, 3), dtype)
    got, want = (L.addbmm(L.tensor(m), L.tensor(b1), L.tensor(b2), beta=2, alpha=3) for L in LIBS)
    assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1] == dtype
    np.testing.assert_array_equal(_np(got), _np(want))


def test_addbmm_of_floats_still_differentiable():
    b1 = mg.tensor(np.ones((2, 2, 2)), requires_grad=True)
    mg.addbmm(mg.zeros(2, 2, dtype=mg.float64), b1, b1).sum().backward()
    np.testing.assert_array_equal(b1.grad.numpy(), np.full((2, 2, 2), 4.0))


def test_matrix_power_of_bool_to_the_first_stays_bool():
    a = np.array([[True, False], [True, True]])
    got, want = (L.linalg.matrix_power(L.tensor(a), 1) for L in LIBS)
    assert got.dtype == mg.bool and want.dtype == torch.bool
    np.testing.assert_array_equal(_np(got), _np(want))


@pytest.mark.parametrize(
    "a_dtype,b_dtype",
    [("float32", "float64"), ("float64", "int64"), ("float64", "float32"), ("float32", "bool")],
)
def test_solve_triangular_computes_in_a_dtype(a_dtype, b_dtype):
    a = np.array([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [0.0, 0.0, 4.0]])
    b = np.array([[1, 2], [3, 4], [5, 6]]).astype(b_dtype)
    got, want = (
        L.linalg.solve_triangular(L.tensor(a.astype(a_dtype)), L.tensor(b), upper=True)
        for L in LIBS
    )
    assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1] == a_dtype
    np.testing.assert_allclose(_np(got), _np(want), rtol=1e-6)


def test_solve_triangular_gradient_of_a_wider_b_is_b_dtype():
    grads = []
    for L in LIBS:
        B = L.tensor(np.ones((3, 2)), requires_grad=True)
        L.linalg.solve_triangular(
            L.tensor(np.eye(3, dtype="float32") * 2), B, upper=True
        ).sum().backward()
        grads.append(B.grad)
    assert grads[0].dtype == mg.float64
    np.testing.assert_allclose(_np(grads[0]), _np(grads[1]))


# ------------------------------------------------------------ out=
def _out_calls(L):
    x = L.tensor(np.linspace(0.1, 0.9, 6).reshape(2, 3))
    a = L.tensor(np.array([[4.0, 1.0], [1.0, 3.0]]))
    v = L.tensor(np.array([1.0, 2.0]))
    b = L.tensor(np.ones((2, 2, 2)))
    low = L.tensor(np.array([[2.0, 0.0], [1.0, 1.5]]))
    return {
        "special.erf": lambda o: L.special.erf(x, out=o),
        "special.erfcx": lambda o: L.special.erfcx(x, out=o),
        "special.xlogy": lambda o: L.special.xlogy(x, x, out=o),
        "special.zeta": lambda o: L.special.zeta(x + 1, x, out=o),
        "special.i0": lambda o: L.special.i0(x, out=o),
        "special.polygamma": lambda o: L.special.polygamma(1, x, out=o),
        "special.multigammaln": lambda o: L.special.multigammaln(x + 2, 2, out=o),
        "special.logit": lambda o: L.special.logit(x, 1e-3, out=o),
        "special.logsumexp": lambda o: L.special.logsumexp(x, 1, out=o),
        "special.chebyshev_polynomial_t": lambda o: L.special.chebyshev_polynomial_t(x, 3, out=o),
        "special.round": lambda o: L.special.round(x, decimals=1, out=o),
        "inverse": lambda o: L.inverse(a, out=o),
        "addbmm": lambda o: L.addbmm(a, b, b, out=o),
        "addr": lambda o: L.addr(a, v, v, out=o),
        "vdot": lambda o: L.vdot(v, v, out=o),
        "inner": lambda o: L.inner(v, v, out=o),
        "matrix_power": lambda o: L.matrix_power(a, 3, out=o),
        "cholesky_solve": lambda o: L.cholesky_solve(a, low, out=o),
        "cholesky_inverse": lambda o: L.cholesky_inverse(low, out=o),
        "polygamma": lambda o: L.polygamma(2, x, out=o),
    }


@pytest.mark.parametrize("name", list(_out_calls(mg)))
def test_out_of_special_functions_and_linear_algebra_aliases(name):
    results = []
    for L in LIBS:
        o = L.empty(0, dtype=L.float64)
        r = _out_calls(L)[name](o)
        assert r is o
        results.append(_np(o))
    np.testing.assert_allclose(results[0], results[1], rtol=1e-10, atol=1e-12)


def test_out_of_special_function_refuses_an_integer_out_and_grad():
    for L in LIBS:
        with pytest.raises(RuntimeError, match="can't be cast to the desired output type Long"):
            L.special.erf(L.ones(3), out=L.empty(3, dtype=L.int64))
        x = L.ones(3, requires_grad=True)
        with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
            L.special.erfcx(x, out=L.empty(3))


def test_out_of_svd_and_qr_takes_tuples():
    a = np.array([[3.0, 1.0], [1.0, 2.0]])
    for L in LIBS:
        outs = tuple(L.empty(0, dtype=L.float64) for _ in range(3))
        r = L.svd(L.tensor(a), out=outs)
        assert all(x is y for x, y in zip(r, outs, strict=True))
        np.testing.assert_allclose(_np(outs[1]), np.linalg.svd(a)[1])
        q, r = (L.empty(0, dtype=L.float64) for _ in range(2))
        L.linalg.qr(L.tensor(a))  # (linalg's own takes no out=, documented)
        if L is mg:
            got = L.qr(L.tensor(a), out=(q, r))
        else:
            with pytest.warns(UserWarning):
                got = L.qr(L.tensor(a), out=(q, r))
        assert got[0] is q
        np.testing.assert_allclose(_np(q) @ _np(r), a)
    with pytest.raises(TypeError, match="tuple of 3"):
        mg.svd(mg.tensor(a), out=(mg.empty(0), mg.empty(0)))


# ------------------------------------------------------------ PyTorch's keyword names
def test_pytorch_keyword_names():
    a = np.array([[4.0, 1.0], [1.0, 3.0]])
    low = np.linalg.cholesky(a)
    rhs = np.array([[1.0], [2.0]])
    for L in LIBS:
        A, R = L.tensor(a), L.tensor(rhs)
        got = [
            L.linalg.lstsq(input=A, b=R).solution,
            L.linalg.tensorsolve(input=A, other=R[:, 0]),
            L.cholesky_solve(input=R, input2=L.tensor(low)),
            L.mv(input=A, vec=R[:, 0]),
            L.special.polygamma(n=1, input=A),
            L.polygamma(n=1, input=A),
        ]
        want = [np.linalg.solve(a, rhs), np.linalg.solve(a, rhs[:, 0]), np.linalg.solve(a, rhs)]
        for g, w in zip(got[:3], want, strict=True):
            np.testing.assert_allclose(_np(g), w, rtol=1e-10)
        np.testing.assert_allclose(_np(got[3]), a @ rhs[:, 0])
        np.testing.assert_allclose(_np(got[4]), _np(got[5]))


@pytest.mark.parametrize("uplo", ["l", "u", "L", "U"])
def test_uplo_in_either_case(uplo):
    a = np.array([[2.0, 1.0], [5.0, 3.0]])
    got, want = (L.linalg.eigh(L.tensor(a), uplo) for L in LIBS)
    np.testing.assert_allclose(_np(got.eigenvalues), _np(want.eigenvalues))
    got, want = (L.linalg.eigvalsh(L.tensor(a), UPLO=uplo) for L in LIBS)
    np.testing.assert_allclose(_np(got), _np(want))


@pytest.mark.parametrize("uplo", ["x", "lower", ""])
def test_uplo_refusals(uplo):
    for L in LIBS:
        with pytest.raises(RuntimeError, match="Expected UPLO argument to be 'L' or 'U'"):
            L.linalg.eigh(L.tensor(np.eye(2)), uplo)


# ------------------------------------------------------------ misuse refused
def test_qr_mode_r_refuses_a_gradient():
    for L in LIBS:
        A = L.tensor(np.array([[2.0, 1.0], [1.0, 3.0]]), requires_grad=True)
        Q, R = L.linalg.qr(A, mode="r")
        assert tuple(Q.shape) == (0,)
        with pytest.raises(RuntimeError, match="depends on Q, which is not computed"):
            R.sum().backward()


@pytest.mark.parametrize("b_shape", [(2, 4, 1), (3, 2, 4, 1)])
def test_lstsq_refuses_b_of_more_dims(b_shape):
    for L in LIBS:
        A = L.tensor(
            np.random.RandomState(0).standard_normal((4, 3) if len(b_shape) == 3 else (2, 4, 3))
        )
        with pytest.raises(RuntimeError, match="input.dim\\(\\) must be greater or equal"):
            L.linalg.lstsq(A, L.tensor(np.ones(b_shape)))


def test_lstsq_shapes_it_accepts():
    r = np.random.RandomState(0)
    for a_shape, b_shape in [((1, 4, 3), (5, 4, 2)), ((2, 4, 3), (2, 4))]:
        got, want = (
            L.linalg.lstsq(L.tensor(r.standard_normal(a_shape)), L.tensor(np.ones(b_shape)))
            for L in LIBS
        )
        assert tuple(got.solution.shape) == tuple(want.solution.shape)


@pytest.mark.parametrize("decimals", [1.5, True, 2.0])
def test_special_round_refuses_a_decimals_that_is_not_an_int(decimals):
    for L in LIBS:
        with pytest.raises(TypeError, match="argument 'decimals' must be int"):
            L.special.round(L.ones(2), decimals=decimals)
    x = np.array([1.26, -0.35])
    got, want = (L.special.round(L.tensor(x), decimals=np.int64(1)) for L in LIBS)
    np.testing.assert_allclose(_np(got), _np(want))
