"""Round 26 of the hostile reviews (linalg, matrix ops and complex, round 2) against
PyTorch 2.13: complex log1p, lstsq's vector rule, addr's promotion, cholesky_inverse of a
singular factor, matrix_power's int exponent, and complex inputs refused by name."""

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")

COMPLEX = ["complex64", "complex128"]


def _raises_as_torch(fn, exc=RuntimeError):
    """Both libraries raise `exc` (minigrad's classes derive from PyTorch's)."""
    with pytest.raises(exc):
        fn(torch)
    with pytest.raises(exc) as info:
        fn(mg)
    return str(info.value)


# ---------------------------------------------------------------------- 1. complex log1p
def _log1p_grid(dtype: str) -> np.ndarray:
    """Magnitudes 1e-300..1e300 at 16 angles, points near -1 and the non-finite ones;
    subnormal parts left out (PyTorch's complex64 and complex128 kernels give NaN there)."""
    rng = np.random.default_rng(26)
    mags = 10.0 ** np.concatenate([np.arange(-300, 301, 10.0), rng.uniform(-12, 2, 300)])
    angles = np.linspace(-np.pi, np.pi, 16, endpoint=False)
    z = (mags[:, None] * np.exp(1j * angles)).ravel()
    near = -1 + 10.0 ** rng.uniform(-15, 0, 60) * np.exp(1j * rng.uniform(-np.pi, np.pi, 60))
    special = [0j, -1 + 0j, -2 + 2.4e-16j, 1e-9 + 2e-9j, complex(np.inf, 0), complex(0, np.nan)]
    with np.errstate(over="ignore"):
        z = np.concatenate([z, near, special]).astype(dtype)
    tiny = np.finfo(z.real.dtype).tiny
    part_sub = [(np.abs(p) < tiny) & (p != 0) for p in (z.real, z.imag)]
    return z[~(part_sub[0] | part_sub[1])]


@pytest.mark.parametrize("dtype", COMPLEX)
def test_complex_log1p_matches_torch_over_magnitudes(dtype):
    z = _log1p_grid(dtype)
    got = mg.log1p(mg.tensor(z)).numpy()
    want = torch.log1p(torch.from_numpy(z)).numpy()
    assert got.dtype == want.dtype
    # each part within 4 ulps of |log1p(z)| (a real part that cancels, near |1 + z| = 1, is
    # a few ulps of its own size off in either library: they round differently there)
    eps = np.finfo(z.real.dtype).eps
    with np.errstate(invalid="ignore"):
        scale = 4 * eps * np.abs(want.astype(np.complex128))
        for part in ("real", "imag"):
            a, b = getattr(got, part).astype(np.float64), getattr(want, part).astype(np.float64)
            same = (a == b) | (np.isnan(a) & np.isnan(b))
            close = np.abs(a - b) <= scale
            assert (same | close).all(), (dtype, part, z[~(same | close)][:5])


@pytest.mark.parametrize("dtype", COMPLEX)
def test_complex_log1p_keeps_the_real_part_of_a_small_argument(dtype):
    for v in (1e-9 + 2e-9j, 1e-10 + 1e-10j, 1e-5 + 1e-5j, 1e-30 - 1e-30j):
        got = mg.log1p(mg.tensor([v], dtype=getattr(mg, dtype))).numpy()[0]
        want = torch.log1p(torch.tensor([v], dtype=getattr(torch, dtype))).numpy()[0]
        eps = np.finfo(got.real.dtype).eps
        assert abs(got.real - want.real) <= 4 * eps * abs(want.real), (v, got, want)
        assert got.real != 0


def test_complex_log1p_empty_and_0d_and_real_unchanged():
    assert mg.log1p(mg.zeros(0, dtype=mg.complex64)).shape == (0,)
    got = mg.log1p(mg.tensor(1e-9 + 2e-9j, dtype=mg.complex128))
    want = torch.log1p(torch.tensor(1e-9 + 2e-9j, dtype=torch.complex128))
    assert got.shape == ()
    np.testing.assert_allclose(complex(got.item()), complex(want.item()), rtol=4e-16)
    x = [0.0, 1e-9, -0.5, 3.0]
    np.testing.assert_array_equal(mg.log1p(mg.tensor(x)).numpy(), torch.log1p(torch.tensor(x)))


@pytest.mark.parametrize("dtype", COMPLEX)
def test_complex_logaddexp_and_logcumsumexp_keep_the_small_real_part(dtype):
    a, b = [0j, 1 + 2j, 0j], [-30 + 1j, -20 + 0.5j, -8 + 3j]
    got, want = (
        L.logaddexp(L.tensor(a, dtype=getattr(L, dtype)), L.tensor(b, dtype=getattr(L, dtype)))
        for L in (mg, torch)
    )
    eps = np.finfo(np.dtype(dtype)).eps
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=8 * eps)
    x = [0j, -30 + 1j]
    got = mg.logcumsumexp(mg.tensor(x, dtype=getattr(mg, dtype)), 0).numpy()
    want = torch.logcumsumexp(torch.tensor(x, dtype=getattr(torch, dtype)), 0).numpy()
    np.testing.assert_allclose(got, want, rtol=8 * eps)


# ---------------------------------------------------------------------- 2. lstsq's vector rule
def test_lstsq_batched_a_with_one_unbatched_matrix_rhs():
    A = [[[2.0, 1.0], [1.0, 3.0]], [[1.0, 0.0], [0.0, 2.0]]]
    B = [[1.0], [2.0]]
    got = mg.linalg.lstsq(mg.tensor(A), mg.tensor(B)).solution
    want = torch.linalg.lstsq(torch.tensor(A), torch.tensor(B)).solution
    assert got.shape == tuple(want.shape) == (2, 2, 1)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "sa, sb",
    [((2, 3, 3), (1, 3)), ((3, 2), (2,)), ((3, 3), (2, 3))],
)
def test_lstsq_rows_that_do_not_match_are_refused(sa, sb):
    msg = _raises_as_torch(
        lambda L: L.linalg.lstsq(L.ones(sa) + L.eye(sa[-2], sa[-1]), L.ones(sb)),
    )
    assert "lstsq" in msg and "input.size(-2) should match" in msg


@pytest.mark.parametrize("sa, sb", [((2, 3, 2), (2, 3)), ((3, 2), (3,)), ((2, 3, 2), (2, 3, 4))])
def test_lstsq_vectors_and_matrices_agree_with_torch(sa, sb):
    rng = np.random.default_rng(1)
    A, B = rng.standard_normal(sa), rng.standard_normal(sb)
    got = mg.linalg.lstsq(mg.tensor(A), mg.tensor(B)).solution
    want = torch.linalg.lstsq(torch.tensor(A), torch.tensor(B)).solution
    assert got.shape == tuple(want.shape)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------------- 3. addr promotes
ADDR_DTYPES = ["bool", "uint8", "int8", "int32", "int64", "float16", "float32", "float64"]


def test_addr_type_promotes_its_three_operands_as_torch():
    for a in ADDR_DTYPES:
        for b in ADDR_DTYPES:
            for c in ("int64", "float64", "float32", "bool"):
                for shape in ((2, 3), (), (3,)):
                    res = []
                    for L in (torch, mg):
                        x = L.ones(shape, dtype=getattr(L, a))
                        v = L.tensor([1, 2], dtype=getattr(L, b))
                        w = L.tensor([1, 0, 3], dtype=getattr(L, c))
                        r = L.addr(x, v, w)
                        res.append((str(r.dtype).split(".")[-1], r.tolist()))
                    assert res[0] == res[1], (a, b, c, shape)


def test_addr_mixed_gradients_come_back_in_each_operands_dtype():
    grads = []
    for L in (torch, mg):
        x = L.zeros(2, 3, requires_grad=True)
        v = L.tensor([1.0, 2.0], dtype=L.float64, requires_grad=True)
        w = L.tensor([1.0, 2.0, 3.0], dtype=L.float64)
        out = L.addr(x, v, w, alpha=2.0, beta=0.5)
        out.sum().backward()
        grads.append((str(out.dtype), str(x.grad.dtype), x.grad.tolist(), v.grad.tolist()))
    assert grads[0][2:] == grads[1][2:]
    assert grads[1][:2] == ("float64", "float32")


def test_addr_in_place_keeps_dtype_and_refuses_a_float_into_int():
    for L in (torch, mg):
        a = L.zeros(2, 3)
        a.addr_(L.tensor([1.0, 2.0], dtype=L.float64), L.tensor([1.0, 2, 3], dtype=L.float64))
        assert str(a.dtype).endswith("float32") and a.tolist()[1] == [2.0, 4.0, 6.0]
    _raises_as_torch(
        lambda L: L.zeros(2, 3, dtype=L.int64).addr_(L.tensor([1.0, 2]), L.tensor([1.0, 2, 3]))
    )
    # addmm keeps refusing mixed dtypes, as PyTorch's
    _raises_as_torch(
        lambda L: L.addmm(
            L.zeros(2, 2), L.ones(2, 2, dtype=L.float64), L.ones(2, 2, dtype=L.float64)
        )
    )


# ---------------------------------------------------------------------- 4. cholesky_inverse
@pytest.mark.parametrize(
    "L, index",
    [
        ([[2.0, 0.0], [1.0, 0.0]], 2),
        ([[0.0, 0.0, 0.0]] * 3, 1),
        ([[2.0, 1.0], [0.0, 0.0]], 2),
        ([[-0.0, 0.0], [1.0, 1.0]], 1),
    ],
)
@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_inverse_of_a_zero_diagonal_raises_as_torch(L, index, upper):
    msg = _raises_as_torch(lambda lib: lib.cholesky_inverse(lib.tensor(L), upper=upper))
    assert msg == (
        f"cholesky_inverse: The diagonal element {index} is zero, the inversion could not be "
        "completed because the input matrix is singular."
    )
    with pytest.raises(mg.linalg.LinAlgError):  # PyTorch's _LinAlgError, a RuntimeError
        mg.cholesky_inverse(mg.tensor(L), upper=upper)


def test_cholesky_inverse_names_the_batch_element():
    L = [[[1.0, 0.0], [0.0, 1.0]], [[2.0, 0.0], [1.0, 0.0]]]
    msg = _raises_as_torch(lambda lib: lib.cholesky_inverse(lib.tensor(L)))
    with pytest.raises(RuntimeError) as want:
        torch.cholesky_inverse(torch.tensor(L))
    assert msg == str(want.value)


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_inverse_values_gradients_and_overflow_match_torch(upper):
    rng = np.random.default_rng(3)
    for n in (0, 1, 3, 5):
        F = np.tril(rng.standard_normal((2, n, n))) + 2 * np.eye(n)
        F = np.swapaxes(F, -1, -2).copy() if upper else F
        x = mg.tensor(F, requires_grad=True)
        t = torch.tensor(F, requires_grad=True)
        got, want = mg.cholesky_inverse(x, upper=upper), torch.cholesky_inverse(t, upper=upper)
        np.testing.assert_allclose(
            got.detach().numpy(), want.detach().numpy(), rtol=1e-12, atol=1e-12
        )
        (got * got).sum().backward()
        (want * want).sum().backward()
        # the factor's triangle only: the other is never read (documented, as cholesky_solve's)
        tri = np.triu if upper else np.tril
        np.testing.assert_allclose(x.grad.numpy(), tri(t.grad.numpy()), rtol=1e-10, atol=1e-10)
    tiny = np.eye(2) * 1e-200  # the inverse overflows: inf on the diagonal, 0 off it
    got = mg.cholesky_inverse(mg.tensor(tiny), upper=upper).numpy()
    want = torch.cholesky_inverse(torch.tensor(tiny), upper=upper).numpy()
    np.testing.assert_array_equal(got, want)


# ---------------------------------------------------------------------- 5. matrix_power's n
@pytest.mark.parametrize("n", [2.0, 2.7, True, None, "2"])
def test_matrix_power_refuses_an_exponent_that_is_not_an_int(n):
    A = [[1.0, 1.0], [1.0, 0.0]]
    msg = _raises_as_torch(lambda L: L.linalg.matrix_power(L.tensor(A), n), TypeError)
    assert "matrix_power" in msg and "'n'" in msg
    with pytest.raises(TypeError):
        mg.tensor(A).matrix_power(n)


@pytest.mark.parametrize("n", [3, np.int64(-2), 0])
def test_matrix_power_takes_ints_numpy_ints_and_0d_integer_tensors(n):
    A = [[1.0, 1.0], [1.0, 2.0]]
    want = torch.linalg.matrix_power(torch.tensor(A, dtype=torch.float64), int(n)).numpy()
    for m in (n, mg.tensor(int(n))):
        got = mg.linalg.matrix_power(mg.tensor(A, dtype=mg.float64), m).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-12)


# ---------------------------------------------------------------------- 6. complex refused
Z = [1 + 1j, 2 + 0j, 1 + 1j]


@pytest.mark.parametrize(
    "call, exc",
    [
        (lambda L: L.isin(L.tensor(Z), L.tensor([2 + 0j])), RuntimeError),
        (lambda L: L.isin(L.tensor([1.0, 2.0]), L.tensor([2 + 0j])), RuntimeError),
        (lambda L: L.isin(L.tensor(Z), 2), RuntimeError),
        (lambda L: L.isin(L.tensor([1.0, 2.0]), 2 + 0j), RuntimeError),
        (lambda L: L.isin(L.zeros(0, dtype=L.complex64), L.tensor([1.0])), RuntimeError),
        (lambda L: L.unique(L.tensor(Z)), NotImplementedError),
        (lambda L: L.tensor(Z).unique(return_counts=True), NotImplementedError),
        (lambda L: L.unique(L.tensor(Z), dim=0), NotImplementedError),
        (lambda L: L.unique(L.tensor(1j)), NotImplementedError),
        (lambda L: L.unique_consecutive(L.tensor(Z)), NotImplementedError),
        (lambda L: L.unique_consecutive(L.tensor([Z]), dim=1), NotImplementedError),
        (lambda L: L.nansum(L.tensor(Z)), RuntimeError),
        (lambda L: L.tensor(Z).nansum(0), RuntimeError),
        (lambda L: L.nansum(L.zeros(0, dtype=L.complex128)), RuntimeError),
        (lambda L: L.nansum(L.tensor(Z), dtype=L.float32), RuntimeError),
        (lambda L: L.nansum(L.tensor([1.0, 2.0]), dtype=L.complex64), NotImplementedError),
        (lambda L: L.nanmean(L.tensor(Z)), RuntimeError),
        (lambda L: L.nanmean(L.tensor([1.0, 2.0]), dtype=L.complex64), NotImplementedError),
    ],
)
def test_complex_inputs_torch_refuses_are_refused(call, exc):
    _raises_as_torch(call, exc)


def test_complex_refusals_name_the_op_and_the_dtype():
    for call, words in [
        (lambda: mg.isin(mg.tensor(Z), mg.tensor([2 + 0j])), ("isin", "ComplexFloat")),
        (lambda: mg.unique(mg.tensor(Z)), ("unique", "ComplexFloat")),
        (lambda: mg.unique(mg.tensor(Z), dim=0), ("unique_dim", "ComplexFloat")),
        (lambda: mg.nansum(mg.tensor(Z)), ("nansum", "complex", "ComplexFloat")),
        (lambda: mg.nanmean(mg.tensor(Z)), ("nanmean", "complex")),
    ]:
        with pytest.raises(RuntimeError) as info:
            call()
        assert all(w in str(info.value) for w in words), str(info.value)


def test_real_nansum_nanmean_isin_unique_unchanged():
    x = [1.0, float("nan"), 2.0, 1.0]
    for name in ("nansum", "nanmean"):
        got = getattr(mg, name)(mg.tensor(x)).item()
        assert got == getattr(torch, name)(torch.tensor(x)).item()
    assert mg.unique(mg.tensor([3, 1, 3])).tolist() == [1, 3]
    assert mg.isin(mg.tensor([1.0, 2.0]), 2.0).tolist() == [False, True]


# ---------------------------------------------------------------------- 7. complex linalg
@pytest.mark.parametrize(
    "call, op",
    [
        (lambda L, A: L.linalg.det(A), "linalg.det"),
        (lambda L, A: L.linalg.inv(A), "linalg.inv"),
        (lambda L, A: L.linalg.matrix_norm(A, "nuc"), "linalg.svdvals"),
    ],
)
def test_complex_matrices_are_refused_as_missing_not_as_not_complex(call, op):
    A = mg.tensor([[1j, 2], [3, 4j]])
    with pytest.raises(NotImplementedError) as info:
        call(mg, A)
    msg = str(info.value)
    assert msg.startswith(op) and "complex matrices are not supported" in msg
    assert "ComplexFloat" in msg and "Expected a floating point or complex" not in msg
    assert isinstance(info.value, RuntimeError)  # what `except RuntimeError` code expects
    call(torch, torch.tensor([[1j, 2], [3, 4j]]))  # PyTorch computes it (documented)


def test_integer_matrices_keep_torchs_message():
    msg = _raises_as_torch(lambda L: L.linalg.det(L.ones(2, 2, dtype=L.int64)))
    assert "Expected a floating point or complex tensor as input. Got Long" in msg


# ---------------------------------------------------------------------- 8. named complex errors
@pytest.mark.parametrize(
    "call, exc, words",
    [
        (lambda L: L.tensor([3 + 2j]) % 2, NotImplementedError, ("remainder", "ComplexFloat")),
        (lambda L: 2 % L.tensor([3 + 2j]), NotImplementedError, ("remainder", "ComplexFloat")),
        (lambda L: L.tensor([3.0]) % 1j, NotImplementedError, ("remainder", "Complex")),
        (lambda L: L.tensor([3 + 2j]) // 2, NotImplementedError, ("div_floor", "ComplexFloat")),
        (lambda L: L.fmod(L.tensor([3 + 2j]), 2), NotImplementedError, ("fmod", "ComplexFloat")),
        (
            lambda L: L.div(L.tensor([3 + 2j]), 2, rounding_mode="trunc"),
            NotImplementedError,
            ("div_trunc", "ComplexFloat"),
        ),
        (lambda L: L.signbit(L.tensor([3 + 4j])), NotImplementedError, ("signbit", "complex")),
        (lambda L: L.isposinf(L.tensor([3 + 4j])), RuntimeError, ("isposinf", "complex")),
        (lambda L: L.tensor([3 + 4j]).isneginf(), RuntimeError, ("isneginf", "complex")),
        (
            lambda L: L.copysign(L.tensor([3 + 4j]), L.tensor([-1.0])),
            NotImplementedError,
            ("copysign", "ComplexFloat"),
        ),
        (
            lambda L: L.copysign(L.tensor([1.0]), 1j),
            NotImplementedError,
            ("copysign", "Complex"),
        ),
    ],
)
def test_complex_errors_name_the_op_and_dtype(call, exc, words):
    msg = _raises_as_torch(call, exc)
    assert all(w in msg for w in words), msg
    assert "ufunc" not in msg and "ambiguous" not in msg


def test_real_remainder_signbit_copysign_unchanged():
    x = [-3.5, -0.0, 2.0, float("nan")]
    for fn in (
        lambda L, t: t % 2,
        lambda L, t: t // 2,
        lambda L, t: L.signbit(t),
        lambda L, t: L.isposinf(t),
        lambda L, t: L.copysign(t, -1.0),
    ):
        got, want = fn(mg, mg.tensor(x)).numpy(), fn(torch, torch.tensor(x)).numpy()
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize(
    "op",
    [
        lambda F, x: F.softmax(x, 0),
        lambda F, x: F.log_softmax(x, 0),
        lambda F, x: F.softmin(x, 0),
        lambda F, x: F.mse_loss(x, x),
        lambda F, x: F.smooth_l1_loss(x, x),
        lambda F, x: F.huber_loss(x, x),
        lambda F, x: F.cosine_similarity(x[None], x[None]),
        lambda F, x: F.kl_div(x, x),
        lambda F, x: F.nll_loss(x[None], (x[:1].abs() * 0).long()),
    ],
)
@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
def test_nn_functional_refuses_complex_as_pytorch(op, dtype):
    """softmax of a complex tensor gave complex "probabilities" and mse_loss(1+1j, 0) gave 2j:
    PyTorch has no complex kernel for them and refuses."""
    import minigrad.nn.functional as mF

    x = torch.tensor([1 + 1j, 2j], dtype=getattr(torch, dtype))
    with pytest.raises((RuntimeError, NotImplementedError)) as want:
        op(torch.nn.functional, x)
    with pytest.raises(type(want.value)) as got:
        op(mF, mg.tensor(x.numpy()))
    assert any(word in str(got.value) for word in ("ComplexFloat", "ComplexDouble", "complex"))
    real = mg.tensor([1.0, 2.0])  # real inputs unchanged
    np.testing.assert_allclose(
        op(mF, real).numpy(), op(torch.nn.functional, torch.tensor([1.0, 2.0])).numpy(), rtol=1e-6
    )
