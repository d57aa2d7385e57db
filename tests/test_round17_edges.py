"""Edges a differential fuzz against PyTorch 2.13 found: strided in-place negation, pow at
+-0.5 exponents, lerp and inf-norm gradients at inf and NaN, integer in-place casting,
NumPy scalars as numbers, 0-d masked_scatter, nextafter's gradient, out= of bitwise ops,
gather, index_select and logsumexp, and what PyTorch refuses."""

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")

NAN, INF = float("nan"), float("inf")


def _same(a, b, dtype=True):
    """Values (NaN positions and signed zeros included) and, by default, dtype name."""
    x, y = a.detach().numpy(), b.detach().numpy()
    assert x.shape == y.shape
    np.testing.assert_array_equal(np.isnan(x), np.isnan(y))
    np.testing.assert_array_equal(np.signbit(x[~np.isnan(x)]), np.signbit(y[~np.isnan(y)]))
    np.testing.assert_allclose(x, y, rtol=1e-6, atol=0, equal_nan=True)
    if dtype:
        assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1]


def _both(fn):
    return fn(mg), fn(torch)


# ---------------------------------------------------------------- strided in-place negation
@pytest.mark.parametrize(
    "dtype,cols", [("float32", 4), ("float64", 8), ("int32", 4), ("int64", 8), ("float64", 4)]
)
@pytest.mark.parametrize("method", ["neg_", "negative_"])
def test_neg_inplace_on_a_column(dtype, cols, method):
    def run(L):
        b = L.arange(3 * cols).reshape(3, cols).to(getattr(L, dtype)) + 1
        getattr(b[:, 1], method)()
        return b

    m, t = _both(run)
    _same(m, t)


def test_neg_inplace_on_a_row_of_a_transpose():
    def run(L):
        b = L.arange(12.0).reshape(3, 4) + 1
        b.t()[1].neg_()
        b[:, 1:2].neg_()
        return b

    _same(*_both(run))


# ---------------------------------------------------------------- integer in-place casting
@pytest.mark.parametrize("other", ["int8", "int16", "int32", "int64"])
@pytest.mark.parametrize("op", ["add_", "sub_", "mul_"])
def test_uint8_updated_by_a_signed_integer_tensor(op, other):
    def run(L):
        u = L.tensor([1, 2, 200], dtype=L.uint8)
        getattr(u, op)(L.tensor([-3, 10, 100], dtype=getattr(L, other)))
        getattr(u, op)(L.tensor(3))  # a 0-d int64
        return u

    _same(*_both(run))


def test_uint8_augmented_assignment_by_int64_wraps():
    def run(L):
        u = L.tensor([10, 20], dtype=L.uint8)
        u += L.tensor([250, -30])
        return u

    _same(*_both(run))


@pytest.mark.parametrize(
    "stmt",
    ["u &= o", "u |= o", "u ^= o", "u //= o", "u %= o", "u **= o.abs()", "u -= o", "u *= o"],
)
def test_uint8_operators_with_an_int64_tensor_wrap(stmt):
    def run(L):
        u, o = L.tensor([7, 9, 200], dtype=L.uint8), L.tensor([300, -1, -7])
        exec(stmt, {}, {"u": u, "o": o})
        return u

    _same(*_both(run))


def test_integer_inplace_still_refuses_floats_and_bool_targets():
    for L in (mg, torch):
        with pytest.raises(RuntimeError):
            L.tensor([1, 2], dtype=L.uint8).add_(L.tensor([1.5, 2.0]))
        with pytest.raises(RuntimeError):
            b = L.tensor([True, False])
            b |= L.tensor([1, 0], dtype=L.int8)
        with pytest.raises(RuntimeError):  # true division gives floats
            L.tensor([7, 9], dtype=L.uint8).div_(L.tensor([2, 1]))
        for stmt in ("u /= 2", "u += 1.5", "u -= 0.5", "u *= 1.5", "u **= 0.5"):
            with pytest.raises(RuntimeError):
                exec(stmt, {}, {"u": L.tensor([7, 9])})


# ---------------------------------------------------------------- pow at +-0.5
EDGES = [-INF, -0.0, 0.0, 4.0, -4.0, INF, NAN]


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
@pytest.mark.parametrize(
    "form",
    ["x ** -0.5", "pow(x, -0.5)", "x ** 0.5", "pow(x, tensor(0.5))", "pow(x, tensor(-0.5))"],
)
def test_pow_at_half_exponents_values_and_gradients(form, dtype):
    def run(L):
        x = L.tensor(EDGES, dtype=getattr(L, dtype), requires_grad=True)
        y = {
            "x ** -0.5": lambda: x**-0.5,
            "pow(x, -0.5)": lambda: L.pow(x, -0.5),
            "x ** 0.5": lambda: x**0.5,
            "pow(x, tensor(0.5))": lambda: L.pow(x, L.tensor(0.5, dtype=x.dtype)),
            "pow(x, tensor(-0.5))": lambda: L.pow(x, L.tensor(-0.5, dtype=x.dtype)),
        }[form]()
        (g,) = L.autograd.grad(y.sum(), [x])
        return y, g

    (my, mgrad), (ty, tgrad) = _both(run)
    _same(my, ty)
    _same(mgrad, tgrad)


def test_pow_by_a_full_tensor_of_halves_matches_c_pow():
    m, t = _both(lambda L: L.pow(L.tensor([-INF, -0.0, 9.0]), L.tensor([0.5, 0.5, 0.5])))
    _same(m, t)


# ---------------------------------------------------------------- NumPy scalars are numbers
@pytest.mark.parametrize(
    "form",
    [
        lambda L, x, s: x**s,
        lambda L, x, s: x.pow(s),
        lambda L, x, s: L.pow(x, s),
        lambda L, x, s: x.clamp(min=s),
        lambda L, x, s: L.clip(x, 0, s),
        lambda L, x, s: x.clamp_min(s),
        lambda L, x, s: x.clamp_max(s),
        lambda L, x, s: L.nn.functional.hardtanh(x, -s, s),
        lambda L, x, s: L.arange(3) ** s,
        lambda L, x, s: L.full((2, 1), s),
        lambda L, x, s: L.full((2,), np.float32(s)),
        lambda L, x, s: L.full((2,), np.int32(3)),
        lambda L, x, s: L.full((2,), np.bool_(True)),
    ],
)
def test_numpy_scalars_do_not_widen(form):
    s = np.float64(0.5)
    m, t = _both(lambda L: form(L, L.tensor([-1.0, 0.25, 2.0]), s))
    _same(m, t)


# ---------------------------------------------------------------- lerp
def test_lerp_gradients_at_infinite_weights_and_ends():
    def run(L):
        s = L.tensor([1.0, 1.0, INF, 2.0], requires_grad=True)
        e = L.tensor([2.0, 2.0, 3.0, 2.0], requires_grad=True)
        w = L.tensor([INF, -INF, 0.5, 0.3], requires_grad=True)
        y = L.lerp(s, e, w)
        return (y, *L.autograd.grad((y * L.tensor([1.0, 1.0, 1.0, 1.0])).sum(), [s, e, w]))

    for m, t in zip(*_both(run), strict=True):
        _same(m, t)


@pytest.mark.parametrize("weight", [0.3, 0.7, -INF, 2.0])
def test_lerp_number_weight_gradients_with_broadcasting(weight):
    def run(L):
        g = np.random.default_rng(0)
        s = L.tensor(g.standard_normal((3, 1)), requires_grad=True)
        e = L.tensor(g.standard_normal(4), requires_grad=True)
        y = L.lerp(s, e, weight)
        return (y, *L.autograd.grad(y.sum(), [s, e]))

    for m, t in zip(*_both(run), strict=True):
        _same(m, t)


def test_lerp_double_backward_matches_torch():
    def run(L):
        g = np.random.default_rng(1)
        s, e, w = (L.tensor(g.standard_normal(5), requires_grad=True) for _ in range(3))
        y = L.lerp(s, e, w)
        gs, ge, gw = L.autograd.grad((y * y).sum(), [s, e, w], create_graph=True)
        return L.autograd.grad((gs * ge + gw).sum(), [s, e, w])

    for m, t in zip(*_both(run), strict=True):
        _same(m, t)


def test_lerp_takes_a_0d_weight_of_another_dtype():
    def run(L):
        a = L.zeros(3)
        out = L.lerp(a, L.ones(3), L.tensor(0.25, dtype=L.float64))
        a.lerp_(L.ones(3), L.tensor(0.5, dtype=L.float64))
        return out, a

    for m, t in zip(*_both(run), strict=True):
        _same(m, t)
    for L in (mg, torch):  # a weight with dims must match
        with pytest.raises(RuntimeError):
            L.lerp(L.zeros(3), L.ones(3), L.full((3,), 0.5, dtype=L.float64))


def test_lerp_of_a_1_d_weight_in_float16():
    def run(L):
        x = L.tensor([1.0, -2.0, 3.0], dtype=L.float16, requires_grad=True)
        w = L.tensor([0.25, 0.75, 0.5], dtype=L.float16)
        y = L.lerp(x, L.zeros(3, dtype=L.float16), w)
        return y, L.autograd.grad(y.sum(), [x])[0]

    for m, t in zip(*_both(run), strict=True):
        _same(m, t)


# ---------------------------------------------------------------- inf-norms
@pytest.mark.parametrize(
    "norm",
    [
        lambda L, t: L.norm(t, p=INF, dim=1),
        lambda L, t: L.linalg.vector_norm(t, INF, dim=1),
        lambda L, t: L.linalg.vector_norm(t, -INF, dim=1),
        lambda L, t: t.norm(p=INF, dim=1, keepdim=True),
        lambda L, t: L.linalg.vector_norm(t, INF),
    ],
)
def test_inf_norm_gradient_over_a_slice_holding_nan(norm):
    x = np.array([[1.0, NAN, -3.0], [-2.0, 1.0, 2.0], [NAN, NAN, 0.0]])

    def run(L):
        t = L.tensor(x, requires_grad=True)
        y = norm(L, t)
        return y, L.autograd.grad(y.sum(), [t])[0]

    for m, t in zip(*_both(run), strict=True):
        _same(m, t)


# ---------------------------------------------------------------- masked_scatter, nextafter
@pytest.mark.parametrize("mask", [True, False])
def test_masked_scatter_of_a_0d_tensor(mask):
    def run(L):
        x = L.tensor(1.5, requires_grad=True)
        src = L.tensor([7.0, 8.0], requires_grad=True)
        y = L.masked_scatter(x, L.tensor(mask), src)
        gx, gs = L.autograd.grad(y * 3, [x, src])
        z = L.tensor(2.0)
        z.masked_scatter_(L.tensor(mask), L.tensor([5.0]))
        return y, gx, gs, z

    for m, t in zip(*_both(run), strict=True):
        _same(m, t)


def test_nextafter_is_differentiable_as_in_torch():
    def run(L):
        a = L.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=L.float64, requires_grad=True)
        b = L.tensor([0.0, 5.0], dtype=L.float64, requires_grad=True)
        y = L.nextafter(a, b)
        return (y, *L.autograd.grad((y * y).sum(), [a, b]))

    for m, t in zip(*_both(run), strict=True):
        _same(m, t)
    assert not mg.nextafter(mg.ones(2), mg.zeros(2)).requires_grad


# ---------------------------------------------------------------- out=
OUT_CASES = {
    "bitwise_and": lambda L: (L.tensor([1, 6]), L.tensor([3, 4])),
    "bitwise_or": lambda L: (L.tensor([1, 6]), L.tensor([3, 4])),
    "bitwise_xor": lambda L: (L.tensor([1, 6]), L.tensor([3, 4])),
    "gather": lambda L: (L.tensor([[1.0, 2, 3], [4, 5, 6]]), 1, L.tensor([[0], [2]])),
    "index_select": lambda L: (L.tensor([[1.0, 2, 3], [4, 5, 6]]), 1, L.tensor([2, 0])),
    "logsumexp": lambda L: (L.tensor([[1.0, 2, 3], [4, 5, 6]]), 1),
}


@pytest.mark.parametrize("op", OUT_CASES)
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "bool"])
def test_out_keyword(op, dtype):
    results = []
    for L in (mg, torch):
        out = L.empty(0, dtype=getattr(L, dtype))
        try:
            got = getattr(L, op)(*OUT_CASES[op](L), out=out)
        except RuntimeError:
            results.append(None)
            continue
        assert got is out
        results.append(out)
    m, t = results
    assert (m is None) == (t is None)
    if m is not None:
        x, y = m.double().numpy(), t.double().numpy()
        np.testing.assert_allclose(x, y, rtol=2e-3 if dtype == "float16" else 1e-6)
        assert str(m.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]


@pytest.mark.parametrize("op", ["gather", "index_select", "logsumexp"])
def test_out_keyword_refuses_inputs_that_require_grad(op):
    for L in (mg, torch):
        args = list(OUT_CASES[op](L))
        args[0].requires_grad_(True)
        with pytest.raises(RuntimeError, match="out="):
            getattr(L, op)(*args, out=L.empty(0))


# ---------------------------------------------------------------- refused as PyTorch refuses
def test_index_select_of_a_0d_tensor_takes_one_index():
    for idx in ([0, 0, 0], []):
        for L in (mg, torch):
            with pytest.raises(RuntimeError, match="only 1 value"):
                L.index_select(L.tensor(2.5), 0, L.tensor(idx, dtype=L.int64))
    m, t = _both(lambda L: L.index_select(L.tensor(2.5), 0, L.tensor([0])))
    _same(m, t)


@pytest.mark.parametrize("shape", [(0,), (2,)])
def test_bool_to_a_negative_integer_power(shape):
    for L in (mg, torch):
        with pytest.raises(RuntimeError, match="negative integer powers"):
            L.zeros(shape, dtype=L.bool) ** -1


@pytest.mark.parametrize("op", ["__lshift__", "__rshift__"])
def test_no_shifts_of_bool(op):
    for L in (mg, torch):
        with pytest.raises(NotImplementedError):
            getattr(L.tensor([True, False]), op)(L.tensor([True, True]))
    m, t = _both(lambda L: getattr(L.tensor([True]), op)(L.tensor([1])))
    _same(m, t)


@pytest.mark.parametrize("fn", ["unique", "unique_consecutive"])
@pytest.mark.parametrize(
    "shape,dim,refused",
    [((2, 0, 3), 0, True), ((2, 0, 3), 1, False), ((0, 3), 0, False), ((0, 3), 1, True)],
)
def test_unique_over_an_empty_tensor_by_dim(fn, shape, dim, refused):
    if refused:
        for L in (mg, torch):
            with pytest.raises(RuntimeError, match="0 sized dimensions"):
                getattr(L, fn)(L.zeros(shape, dtype=L.int32), dim=dim)
    else:
        m, t = _both(lambda L: getattr(L, fn)(L.zeros(shape, dtype=L.int32), dim=dim))
        assert tuple(m.shape) == tuple(t.shape)


def test_aminmax_over_an_empty_dim_is_an_index_error():
    for L in (mg, torch):
        with pytest.raises(IndexError):
            L.aminmax(L.ones(0, 3), dim=0)
        with pytest.raises(RuntimeError):
            L.aminmax(L.ones(0, 3))


# ---------------------------------------------------------------- from the review
def test_nextafter_gradient_is_zero_where_input_equals_other():
    def run(L):
        a = L.tensor([1.0, 2.0, 3.0, -0.0, INF, 5.0], dtype=L.float64, requires_grad=True)
        b = L.tensor([0.0, 9.0, 3.0, 0.0, INF, -INF], dtype=L.float64, requires_grad=True)
        y = L.nextafter(a, b)
        return (y, *L.autograd.grad((y * 3).sum(), [a, b]))

    for m, t in zip(*_both(run), strict=True):
        _same(m, t)


@pytest.mark.parametrize(
    "stmt",
    [
        "u //= L.tensor(-3)",
        "u %= L.tensor(1000)",
        "u **= L.tensor(-2)",
        "u //= np.int64(-3)",
        "u += L.tensor(300)",
        "i //= L.tensor(1000)",
        "i.pow_(L.tensor(-1))",
        "u.div_(L.tensor([3, 3, 3, 3]), rounding_mode='floor')",
        "u.div_(L.tensor([-3, 1, 1, 1]), rounding_mode='trunc')",
        "u.fmod_(L.tensor([-3, 7, 2, 5]))",
        "u.gcd_(L.tensor([4, 6, 8, 10]))",
        "u.lcm_(L.tensor([4, 6, 8, 10]))",
        "u <<= L.tensor([1, 2, 3, 4])",
        "u >>= L.tensor([1, 2, 3, 4])",
        "u.clamp_(min=L.tensor([20, 20, 20, 20]))",
        "u.clamp_(L.tensor(5), L.tensor([100, 100, 100, 300]))",
    ],
)
def test_integer_inplace_with_integer_operands_of_other_types(stmt):
    def run(L):
        u = L.tensor([10, 200, 0, 255], dtype=L.uint8)
        i = L.tensor([10, -20], dtype=L.int8)
        exec(stmt, {"np": np}, {"L": L, "u": u, "i": i})
        return u, i

    for m, t in zip(*_both(run), strict=True):
        _same(m, t)


@pytest.mark.parametrize("stmt", ["u **= -3", "u.pow_(-2)", "u.pow_(np.int64(-2))", "i **= -1"])
def test_integer_inplace_to_a_negative_integer_power_is_refused(stmt):
    for L in (mg, torch):
        u, i = L.tensor([2, 3], dtype=L.uint8), L.tensor([2, 3], dtype=L.int8)
        with pytest.raises(RuntimeError, match="negative integer powers"):
            exec(stmt, {"np": np}, {"L": L, "u": u, "i": i})


@pytest.mark.parametrize(
    "stmt",
    ["x **= -0.5", "x.pow_(-0.5)", "x.pow_(L.tensor(0.5))", "x **= L.tensor(0.5)", "x **= -2"],
)
def test_inplace_pow_takes_the_out_of_place_values(stmt):
    def run(L):
        x = L.tensor([-INF, -0.0, 0.0, 4.0, 1e-30, NAN], dtype=L.float64)
        exec(stmt, {}, {"L": L, "x": x})
        return x

    _same(*_both(run))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_pow_by_a_0d_half_agrees_with_torch_to_the_last_bit_mostly(dtype):
    x = np.random.default_rng(0).uniform(0, 100, 20000).astype(dtype)
    m = mg.pow(mg.tensor(x), mg.tensor(0.5, dtype=getattr(mg, dtype))).numpy()
    t = torch.pow(torch.tensor(x), torch.tensor(0.5, dtype=getattr(torch, dtype))).numpy()
    np.testing.assert_allclose(m, t, rtol=2e-7 if dtype == "float32" else 4e-16)
    assert (m != t).mean() < 0.03  # sqrt's values (C's pow differed in ~20% of them)


@pytest.mark.parametrize("fn", ["unique", "unique_consecutive"])
def test_unique_by_dim_of_two_empty_dims_is_refused(fn):
    for L in (mg, torch):
        with pytest.raises(RuntimeError, match="zero sized dimensions"):
            getattr(L, fn)(L.zeros(0, 0), dim=0)


@pytest.mark.parametrize(
    "op,args",
    [("bitwise_not", ()), ("bitwise_left_shift", (1,)), ("bitwise_right_shift", (1,))],
)
def test_out_keyword_of_the_other_bitwise_ops(op, args):
    m, t = (
        getattr(L, op)(L.tensor([5, -3, 12]), *args, out=L.empty(3, dtype=L.int64))
        for L in (mg, torch)
    )
    _same(m, t)


def test_gather_takes_sparse_grad_false_and_refuses_true():
    for L in (mg, torch):
        got = L.gather(L.tensor([[1, 2], [3, 4]]), 1, L.tensor([[1], [0]]), sparse_grad=False)
        assert got.tolist() == [[2], [3]]
    with pytest.raises(NotImplementedError):
        mg.gather(mg.ones(2, 2), 1, mg.tensor([[1], [0]]), sparse_grad=True)


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0, INF])
def test_renorm_passes_the_gradient_through_a_nan_row(p):
    x = np.array([[1.0, NAN, 3.0, 0.5], [2.0, -2.0, 0.0, 1.0], [0.1, 0.2, 0.1, 0.0]])

    def run(L):
        t = L.tensor(x, requires_grad=True)
        y = t.renorm(p, 0, 1.5)
        return y, L.autograd.grad((y * L.tensor(x + 1)).sum(), [t])[0]

    for m, t in zip(*_both(run), strict=True):
        _same(m, t)


def test_bitwise_not_out_takes_the_inputs_dtype_only():
    for L in (mg, torch):
        with pytest.raises(RuntimeError, match="Found dtype"):
            L.bitwise_not(L.tensor([5, -3]), out=L.empty(2))


def test_inplace_writes_that_overflow_float32_give_inf_without_warnings():
    import warnings

    for L in (mg, torch):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            x = L.tensor([1e30, 2.0])
            x.pow_(L.tensor([2.0, 2.0], dtype=L.float64))
            y = L.tensor([1.0, 2.0])
            y.clamp_(min=L.tensor([1e300, 0.0], dtype=L.float64))
        assert x.tolist() == [float("inf"), 4.0] and y.tolist() == [float("inf"), 2.0]


@pytest.mark.parametrize("op", ["gather", "index_select"])
def test_out_that_is_the_input_is_refused(op):
    for L in (mg, torch):
        x = L.tensor([[1.0, 2.0], [3.0, 4.0]])
        args = (x, 1, L.tensor([[0, 1], [1, 0]])) if op == "gather" else (x, 0, L.tensor([1, 0]))
        with pytest.raises(RuntimeError):
            getattr(L, op)(*args, out=x)
