"""Activations and the softmax family (minigrad/ops/activation.py) through the shared op-case
runner, plus their numerical stability at large inputs."""

import numpy as np
import pytest
from hypothesis import strategies as st
from op_cases import OpCase, case_test, nonzero, shapes, torch_or_skip, unary, uniform

import minigrad as mg
from minigrad import ops


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _dim_draw(data, rng):
    shape = data.draw(shapes(min_dims=1), label="shape")
    nd = len(shape)
    return [rng.uniform(-3, 3, shape)], {"dim": data.draw(st.integers(-nd, nd - 1))}


def _np_log_softmax(x, dim):
    z = x - x.max(axis=dim, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=dim, keepdims=True))


CASES = [
    OpCase("tanh", unary(uniform(-3, 3)), mg.tanh, np.tanh, lambda x: x.tanh()),
    OpCase("tanh_method", unary(), lambda x: x.tanh(), np.tanh, lambda x: x.tanh()),
    OpCase("sigmoid", unary(uniform(-5, 5)), mg.sigmoid, _sigmoid, lambda x: x.sigmoid()),
    OpCase("relu", unary(nonzero(0.1)), mg.relu, lambda x: np.maximum(x, 0), lambda x: x.relu()),
    OpCase(
        "leaky_relu",
        unary(nonzero(0.1)),
        mg.leaky_relu,
        lambda x: np.where(x > 0, x, 0.01 * x),
        lambda x: torch_or_skip().nn.functional.leaky_relu(x),
    ),
    OpCase(
        "leaky_relu_0.2",
        unary(nonzero(0.1)),
        lambda x: mg.leaky_relu(x, 0.2),
        lambda x: np.where(x > 0, x, 0.2 * x),
        lambda x: torch_or_skip().nn.functional.leaky_relu(x, 0.2),
    ),
    OpCase(
        "softplus",
        unary(uniform(-5, 5)),
        ops.softplus,
        lambda x: np.log1p(np.exp(x)),
        lambda x: torch_or_skip().nn.functional.softplus(x),
    ),
    OpCase(
        "log_sigmoid",
        unary(uniform(-5, 5)),
        ops.log_sigmoid,
        lambda x: np.log(_sigmoid(x)),
        lambda x: torch_or_skip().nn.functional.logsigmoid(x),
    ),
    OpCase(
        "softmax",
        _dim_draw,
        lambda x, dim: mg.softmax(x, dim),
        lambda x, dim: np.exp(_np_log_softmax(x, dim)),
        lambda x, dim: x.softmax(dim),
    ),
    OpCase(
        "softmax_method",
        _dim_draw,
        lambda x, dim: x.softmax(dim=dim),
        lambda x, dim: np.exp(_np_log_softmax(x, dim)),
        lambda x, dim: x.softmax(dim),
    ),
    OpCase(
        "log_softmax",
        _dim_draw,
        lambda x, dim: x.log_softmax(dim),
        _np_log_softmax,
        lambda x, dim: x.log_softmax(dim),
    ),
]

test_activation = case_test(CASES)


@pytest.mark.parametrize("dtype", [mg.float32, mg.float64])
def test_large_inputs_stay_finite(dtype):
    x = mg.tensor([-1000.0, -50.0, 0.0, 50.0, 1000.0], dtype=dtype, requires_grad=True)
    for fn in (
        mg.sigmoid,
        ops.softplus,
        ops.log_sigmoid,
        mg.tanh,
        lambda t: mg.log_softmax(t, -1),
        lambda t: mg.softmax(t, 0),
    ):
        y = fn(x)
        assert y.dtype == dtype
        assert np.all(np.isfinite(y.detach().numpy())), fn
        (g,) = mg.grad(y.sum(), x)
        assert np.all(np.isfinite(g.numpy())), fn
    np.testing.assert_allclose(mg.sigmoid(x).detach().numpy(), [0, 0, 0.5, 1, 1], atol=1e-12)
    np.testing.assert_allclose(ops.softplus(x).detach().numpy()[-1], 1000.0)
    np.testing.assert_allclose(ops.log_sigmoid(x).detach().numpy()[0], -1000.0)


def test_softmax_needs_dim():
    with pytest.raises(TypeError, match="softmax: dim must be given"):
        mg.softmax(mg.randn(3), None)


SPECIALS = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-45, -1e-45, 2.0, -3.0]


@pytest.mark.parametrize("slope", [0.01, 0.2, 1.0, 1.5, 0.0, -0.5])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_leaky_relu_edges_equal_torch(slope, dtype):
    """Values and gradients bit-equal to torch at NaN, +-inf, +-0 and denormals, for
    slopes below, at and above 1, zero and negative; through a non-contiguous view."""
    torch = torch_or_skip()
    base = np.array(SPECIALS * 2, dtype=dtype).reshape(2, 9)
    for x in (base, base.T, base[:, ::2], np.asarray(base[0, 7])):
        X = mg.Tensor(x, requires_grad=True)
        y = mg.leaky_relu(X, slope)
        tx = torch.tensor(x.copy(), requires_grad=True)
        ty = torch.nn.functional.leaky_relu(tx, slope)
        assert y.dtype == dtype and y.shape == tuple(ty.shape)
        np.testing.assert_array_equal(y.detach().numpy(), ty.detach().numpy())
        gy = np.array(SPECIALS[::-1] * 2, dtype=dtype)[: x.size].reshape(x.shape)
        (g,) = mg.grad(y, X, mg.Tensor(gy))
        (tg,) = torch.autograd.grad(ty, tx, torch.tensor(gy))
        np.testing.assert_array_equal(g.numpy(), tg.numpy())
        assert not np.shares_memory(y.detach().numpy(), x)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_relu_edges_equal_torch(dtype):
    torch = torch_or_skip()
    base = np.array(SPECIALS * 2, dtype=dtype).reshape(2, 9)
    for x in (base, base.T, base[:, ::2], np.asarray(base[0, 0])):
        X = mg.Tensor(x, requires_grad=True)
        y = mg.relu(X)
        tx = torch.tensor(x.copy(), requires_grad=True)
        ty = torch.relu(tx)
        np.testing.assert_array_equal(y.detach().numpy(), ty.detach().numpy())
        gy = np.array(SPECIALS[::-1] * 2, dtype=dtype)[: x.size].reshape(x.shape)
        (g,) = mg.grad(y, X, mg.Tensor(gy))
        (tg,) = torch.autograd.grad(ty, tx, torch.tensor(gy))
        np.testing.assert_array_equal(g.numpy(), tg.numpy())


def test_relu_keeps_a_batch_minor_layout_and_its_gradients():
    """A convolution's output is batch-minor (N varies fastest): ReLU's output and mask
    follow that order (a C-ordered mask made the forward a strided walk), and its
    gradient, first order and recorded, is the same whatever order gy comes in."""
    rng = np.random.default_rng(0)
    c = rng.standard_normal((3, 4, 5, 6)).astype(np.float32)
    c[0, 0, 0, :3] = [0.0, -0.0, np.nan]
    x_bm = c.transpose(3, 0, 1, 2)  # (6, 3, 4, 5), batch-minor
    gy_c = rng.standard_normal(x_bm.shape).astype(np.float32)
    gy_c[0, 0, 0, 0] = np.inf  # at a dropped place (x = 0): the gradient is 0, not NaN
    expected = None
    for x in (x_bm, np.ascontiguousarray(x_bm)):
        X = mg.Tensor(x, requires_grad=True)
        y = mg.relu(X)
        assert y._data.strides == x.strides
        assert y.creator.drop.strides == tuple(s // 4 for s in x.strides)  # 1-byte mask
        got = []
        for gy in (gy_c, np.asfortranarray(gy_c), gy_c.transpose(3, 2, 1, 0).copy().T):
            (g,) = mg.grad(y, X, mg.Tensor(gy), retain_graph=True)
            (gg,) = mg.grad(y, X, mg.Tensor(gy), retain_graph=True, create_graph=True)
            np.testing.assert_array_equal(g.numpy(), gg.detach().numpy())
            got.append(g.numpy())
        for g in got[1:]:
            np.testing.assert_array_equal(g, got[0])
        if expected is None:
            expected = got[0]
        np.testing.assert_array_equal(got[0], expected)
    keep = (x_bm > 0) | np.isnan(x_bm)  # PyTorch's threshold_backward
    np.testing.assert_array_equal(expected, np.where(keep, gy_c, 0).astype(np.float32))


def test_relu_leaky_relu_keep_inputs_and_double_backward():
    x0 = np.array([[-1.5, 0.5, 2.0], [3.0, -0.25, -4.0]])
    for f in (mg.relu, lambda t: mg.leaky_relu(t, 0.2), lambda t: mg.leaky_relu(t, 1.5)):
        x = mg.Tensor(x0.copy(), requires_grad=True)
        y = f(x)
        y.sum().backward()
        np.testing.assert_array_equal(x.detach().numpy(), x0)  # input untouched
        assert mg.gradcheck(f, mg.Tensor(x0, requires_grad=True))
        assert mg.gradgradcheck(f, mg.Tensor(x0, requires_grad=True))


def test_relu_leaky_relu_refuse_bool_and_int():
    with pytest.raises(RuntimeError, match="relu: Boolean inputs not supported"):
        mg.relu(mg.tensor([True, False]))
    # PyTorch's exception type and words
    with pytest.raises(NotImplementedError, match="\"leaky_relu_cpu\" not implemented for 'Long'"):
        mg.leaky_relu(mg.tensor([1, -2, 0]), 0.2)
    np.testing.assert_array_equal(mg.relu(mg.tensor([1, -2, 0])).numpy(), [1, 0, 0])


@pytest.mark.parametrize("name", ["relu", "leaky_relu"])
def test_a_gradient_in_the_other_layout_is_copied_into_the_masks(monkeypatch, name):
    """A C-ordered gradient for a batch-minor mask (a Linear after a convolution) and a
    batch-minor one for a C-ordered mask (a transposed convolution after a Linear): the
    backward copies the gradient into the mask's order (cpu_kernels.relayout) and gives
    PyTorch's bits, edge values included."""
    torch = torch_or_skip()
    from minigrad.ops import cpu_kernels

    copies = []
    relayout = cpu_kernels.relayout

    def spy(a, like):
        out = relayout(a, like)
        copies.append(out is not None)
        return out

    monkeypatch.setattr(cpu_kernels, "relayout", spy)
    rng = np.random.default_rng(3)
    c = rng.standard_normal((6, 3, 4, 5)).astype(np.float32)
    c.reshape(-1)[:6] = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-45]
    g = rng.standard_normal(c.shape).astype(np.float32)
    g.reshape(-1)[6:9] = [np.inf, np.nan, -0.0]
    f = mg.relu if name == "relu" else (lambda t: mg.leaky_relu(t, 0.2))
    tf = torch.relu if name == "relu" else (lambda t: torch.nn.functional.leaky_relu(t, 0.2))
    tx = torch.tensor(c, requires_grad=True)
    (want,) = torch.autograd.grad(tf(tx), tx, torch.tensor(g))
    bm = lambda a: np.ascontiguousarray(a.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)  # noqa: E731
    for x, gy in ((bm(c), g), (c, bm(g))):
        X = mg.Tensor(x, requires_grad=True)
        y = f(X)
        y.backward(mg.Tensor(gy))
        np.testing.assert_array_equal(X.grad.numpy(), want.numpy())
    if mg.ops.cpu_kernels.available() and cpu_kernels._wanted():
        assert copies == [True, True]


def test_relayout_copies_between_c_order_and_batch_minor_only():
    from minigrad.ops import cpu_kernels

    if not (cpu_kernels.available() and cpu_kernels._wanted()):
        pytest.skip("the compiled kernels are off here")
    rng = np.random.default_rng(4)
    c = rng.standard_normal((5, 3, 4, 2)).astype(np.float32)
    bm = np.ascontiguousarray(c.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
    got = cpu_kernels.relayout(c, bm > 0)  # a bool mask's order
    assert got.strides == bm.strides and np.array_equal(got, c)
    got = cpu_kernels.relayout(bm, c)
    assert got.flags.c_contiguous and np.array_equal(got, c)
    assert cpu_kernels.relayout(c, np.asfortranarray(c)) is None  # F order: not one of them
    assert cpu_kernels.relayout(c[:, :, :2], bm[:, :, :2]) is None  # a gap: not C order
    assert cpu_kernels.relayout(c.reshape(5, 3, 8), bm.reshape(5, 3, 8).copy()) is None
    assert cpu_kernels.relayout(c.astype(np.int32), bm) is None  # no compiled copy


def _exact(name, x):
    """sigmoid or softplus of each float value, worked in mpmath at 120 bits."""
    mpmath = pytest.importorskip("mpmath")
    f = {
        "sigmoid": lambda v: 1 / (1 + mpmath.exp(-v)),
        "softplus": lambda v: mpmath.log1p(mpmath.exp(v)),
    }[name]
    with mpmath.workprec(120):
        return np.array([float(f(mpmath.mpf(float(v)))) for v in x.ravel()]).reshape(x.shape)


INTEGER_BOOL_COMPLEX = [np.int64, np.int32, np.bool_, np.complex64]
SIGMOID_SOFTPLUS_EDGES = [0.0, -0.0, 1e-30, -1e-30, 1e-8, 0.5, -0.5, 15.9, 16.7, -16.7, 36.7]
SIGMOID_SOFTPLUS_EDGES += [-87.3, 88.7, -103.9, -104.0, 150.0, -150.0, 3e38, -3e38]


@pytest.mark.parametrize("name", ["sigmoid", "softplus"])
def test_sigmoid_and_softplus_are_correctly_rounded_in_float32(name):
    """Both are worked in float64 and rounded once: every float32 result is the exact value
    rounded (NumPy's float32 logaddexp was an ulp off in one value of seven, a float32
    sigmoid in nearly one of two), subnormal and zero results at the left tail included."""
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.standard_normal(1500) * 6, rng.uniform(-110, 110, 300)])
    x = np.concatenate([x, SIGMOID_SOFTPLUS_EDGES]).astype(np.float32)
    op = mg.sigmoid if name == "sigmoid" else mg.nn.functional.softplus
    got = op(mg.tensor(x)).numpy()
    assert got.dtype == np.float32
    with np.errstate(under="ignore"):
        want = _exact(name, x).astype(np.float32)
    bad = np.flatnonzero(got != want)
    assert bad.size == 0, (x[bad][:5], got[bad][:5], want[bad][:5])
    x64 = x.astype(np.float64)  # float64: within an ulp or two (no wider type to work in)
    got64 = op(mg.tensor(x64)).numpy()
    want64 = _exact(name, x64)
    if name == "softplus":  # x itself above the threshold, 20, as PyTorch's F.softplus
        want64 = np.where(x64 > 20, x64, want64)
    ok = want64 > 0
    ulp = np.abs(got64[ok] - want64[ok]) / np.spacing(want64[ok])
    assert ulp.max() <= 2


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_sigmoid_softplus_and_logits_bce_at_nan_infinities_and_zeros(dtype):
    torch = torch_or_skip()
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 40.0, -40.0], dtype=dtype)
    t = np.array([1.0, 0.0, 1.0, 0.5, 0.5, 1.0, 0.0], dtype=dtype)
    pairs = [
        (mg.sigmoid(mg.tensor(x)), torch.sigmoid(torch.tensor(x))),
        (mg.nn.functional.softplus(mg.tensor(x)), torch.nn.functional.softplus(torch.tensor(x))),
        (
            mg.nn.functional.binary_cross_entropy_with_logits(
                mg.tensor(x), mg.tensor(t), reduction="none"
            ),
            torch.nn.functional.binary_cross_entropy_with_logits(
                torch.tensor(x), torch.tensor(t), reduction="none"
            ),
        ),
    ]
    for got, want in pairs:
        got, want = got.numpy(), want.numpy()
        assert got.dtype == want.dtype == dtype
        assert np.array_equal(got, want, equal_nan=True), (got, want)


@pytest.mark.parametrize("shape", [(), (0,), (2, 0)])
def test_sigmoid_and_softplus_of_0d_and_empty_tensors(shape):
    x = np.full(shape, 0.25, dtype=np.float32)
    for op, want in ((mg.sigmoid, 1 / (1 + np.exp(-0.25))), (mg.nn.functional.softplus, None)):
        y = op(mg.tensor(x))
        assert y.shape == shape and y.dtype == mg.float32
        want = np.log1p(np.exp(0.25)) if want is None else want
        assert np.array_equal(y.numpy(), np.full(shape, np.float32(want)))
    v = mg.tensor(np.float32(-2.0), requires_grad=True)  # a 0-d softplus's gradient: sigmoid
    mg.nn.functional.softplus(v).backward()
    assert v.grad.numpy() == np.float32(1 / (1 + np.exp(2.0)))


@pytest.mark.parametrize(
    "name, dtype",
    [("softplus", np.complex64)]
    + [(n, d) for n in ("logsigmoid", "bce_with_logits") for d in INTEGER_BOOL_COMPLEX],
)
def test_softplus_family_refuses_integer_bool_and_complex_inputs_as_pytorch(name, dtype):
    """PyTorch's kernels take real floating inputs only; minigrad says so with its words
    (before, an integer input to BCE with logits came back cut to integers, and a complex
    one to softplus lost its imaginary part). softplus computes integers and bools in the
    default float, a documented difference (test_torch_edges)."""
    torch = torch_or_skip()
    a = np.array([1, 0, 2]).astype(dtype)
    calls = {
        "softplus": lambda lib, F, x: F.softplus(x),
        "logsigmoid": lambda lib, F, x: F.logsigmoid(x),
        "bce_with_logits": lambda lib, F, x: F.binary_cross_entropy_with_logits(x, lib.ones(3)),
    }
    with pytest.raises(NotImplementedError) as want:
        calls[name](torch, torch.nn.functional, torch.tensor(a))
    with pytest.raises(NotImplementedError) as got:
        calls[name](mg, mg.nn.functional, mg.tensor(a))
    assert str(got.value) == str(want.value)
