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
