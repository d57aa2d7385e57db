"""abs's gradient from its saved input: sign(x), 0 at zeros and NaN, and PyTorch's error
when that input is changed in place before the backward."""

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")

VALUES = [-2.0, -0.0, 0.0, 3.0, np.nan, np.inf, -np.inf, 1e-45]


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_abs_gradient_matches_pytorch_at_zeros_nan_and_infinities(dtype):
    a = np.array(VALUES, dtype=dtype)
    x, tx = mg.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    g = np.linspace(-1, 1, a.size).astype(dtype)
    x.abs().backward(mg.tensor(g))
    tx.abs().backward(torch.tensor(g))
    assert np.array_equal(x.grad.numpy(), tx.grad.numpy(), equal_nan=True)


def test_abs_under_no_grad_and_then_a_change_in_place_is_fine():
    x = mg.tensor(np.float32([1.0, -2.0]), requires_grad=True)
    with mg.no_grad():
        y = x.abs()
    x.data.mul_(2)
    assert np.array_equal(y.numpy(), [1.0, 2.0])


def test_abs_input_changed_in_place_before_backward_raises_as_pytorch():
    x = mg.tensor(np.float32([1.0, -2.0]), requires_grad=True) * 1
    y = x.abs()
    x.mul_(2)
    with pytest.raises(RuntimeError, match="modified in place"):
        y.sum().backward()
    tx = torch.tensor([1.0, -2.0], requires_grad=True) * 1
    ty = tx.abs()
    tx.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        ty.sum().backward()
