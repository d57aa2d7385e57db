"""The checkers themselves (minigrad/gradcheck.py) must be able to fail."""

import numpy as np
import pytest

import minigrad as mg
from minigrad.autograd import Function
from minigrad.gradcheck import GradcheckError, numerical_grad


class WrongSquare(Function):
    """x^2 with a backward that is off by a factor at one element."""

    def forward(self, x):
        return x * x

    def backward(self, gy):
        (x,) = self.inputs
        g = gy * (2 * x)
        return g * mg.tensor(np.where(np.arange(x.numel()) == 2, 1.5, 1.0).reshape(x.shape))


class ArraySquare(Function):
    """x^2 whose backward is computed on raw arrays: right once, not differentiable again."""

    def forward(self, x):
        return x * x

    def backward(self, gy):
        (x,) = self.inputs
        return mg.Tensor(gy._data * 2 * x._data)


class GoodSquare(Function):
    def forward(self, x):
        return x * x

    def backward(self, gy):
        (x,) = self.inputs
        return gy * (2 * x)


def x64(n=4, seed=0):
    return mg.tensor(np.random.default_rng(seed).uniform(0.5, 2, n), requires_grad=True)


def test_gradcheck_catches_wrong_backward_and_reports_where():
    with pytest.raises(GradcheckError) as info:
        mg.gradcheck(lambda x: WrongSquare()(x), [x64()])
    msg = str(info.value)
    assert "input 0 (shape (4,))" in msg and "input element 2 (of 4, row-major)" in msg
    assert "output element 2" in msg
    assert "analytic" in msg and "numeric" in msg


def test_gradcheck_passes_correct_backward():
    assert mg.gradcheck(lambda x: GoodSquare()(x), [x64()])
    assert mg.gradgradcheck(lambda x: GoodSquare()(x), [x64()])


def test_gradgradcheck_catches_non_differentiable_backward():
    assert mg.gradcheck(lambda x: ArraySquare()(x), [x64()])  # first order is right
    with pytest.raises(GradcheckError):
        mg.gradgradcheck(lambda x: ArraySquare()(x), [x64()])


def test_float32_inputs_warn_and_are_checked_as_pytorch():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.warns(UserWarning, match="input 0 requires grad and is float32"):
        assert mg.gradcheck(lambda t: t * t, [x], eps=1e-3, atol=1e-2, rtol=1e-2)
    with pytest.warns(UserWarning, match="float32"):  # eps 1e-6 in float32: noise, a failure
        assert not mg.gradcheck(lambda t: t.exp() * 1e3, [x], raise_exception=False)
    with pytest.raises(ValueError, match="no input requires grad"):
        mg.gradcheck(lambda t: t * t, [mg.tensor([1.0], dtype=mg.float64)])


def test_directional_path_for_large_inputs():
    x = mg.tensor(np.random.default_rng(1).uniform(0.5, 2, 3000), requires_grad=True)
    assert mg.gradcheck(lambda t: (t * t.log()).sum(), [x], max_elements=100)
    with pytest.raises(GradcheckError, match="directional derivative"):
        mg.gradcheck(lambda t: WrongSquare()(t), [x], max_elements=100)


def test_gradcheck_with_non_differentiable_inputs_and_outputs():
    x = x64(3)
    idx = mg.tensor([0, 2, 2])
    assert mg.gradcheck(lambda t, i: (t[i] * 2, i), [x, idx])


def test_numerical_grad_central_differences():
    a = np.array([1.0, 2.0, 3.0])
    (g,) = numerical_grad(lambda: float((a**3).sum()), [a])
    np.testing.assert_allclose(g, 3 * np.array([1.0, 2.0, 3.0]) ** 2, rtol=1e-6)
    np.testing.assert_array_equal(a, [1.0, 2.0, 3.0])  # restored


@pytest.mark.parametrize(
    "make",
    [
        lambda: mg.randn(4, 3, dtype=mg.float64).T.requires_grad_(),
        lambda: mg.Tensor(np.random.default_rng(0).standard_normal((4, 3)).T, requires_grad=True),
        lambda: mg.Tensor(np.arange(12.0).reshape(3, 4)[:, ::2], requires_grad=True),
    ],
    ids=["transposed-tensor", "transposed-array", "strided"],
)
def test_gradcheck_on_non_contiguous_inputs(make):
    mg.manual_seed(0)
    x = make()
    assert not x._data.flags.c_contiguous
    w = mg.randn(*x.shape, dtype=mg.float64)
    assert mg.gradcheck(lambda a: (a * a * w).sum(0), [x])
    assert mg.gradgradcheck(lambda a: (a * a * w).sum(0), [x])
    with pytest.raises(GradcheckError):
        mg.gradcheck(lambda a: WrongSquare()(a), [x])


def test_numerical_grad_on_transposed_and_0d_arrays():
    a = np.arange(6.0).reshape(2, 3).T
    (g,) = numerical_grad(lambda: float((a**2).sum()), [a])
    np.testing.assert_allclose(g, 2 * a, atol=1e-6)
    s = np.array(3.0)
    (gs,) = numerical_grad(lambda: float(s**3), [s])
    np.testing.assert_allclose(gs, 27.0, rtol=1e-6)


def test_gradcheck_error_is_a_runtime_error_as_pytorchs():
    x = x64()
    with pytest.raises(RuntimeError):  # `except RuntimeError` catches it, as PyTorch's
        mg.gradgradcheck(lambda t: ArraySquare()(t), [x])
    assert issubclass(GradcheckError, AssertionError)
