"""custom_function.py's MyReLU (PyTorch's tutorial) on minigrad, and against PyTorch. At
x = 0 its backward passes the gradient (the mask is `input < 0`), unlike a built-in relu:
the tests see that the custom backward ran."""

import numpy as np
import pytest

from .harness import assert_same, load


def _net_inputs(fw):
    rng = np.random.default_rng(1)
    shapes = [(16, 10), (16, 4), (10, 20), (20, 4)]
    return [fw.tensor(rng.standard_normal(s, dtype=np.float32)) for s in shapes]


def test_my_relu_backward_is_the_relu_mask():
    prog = load("custom_function", "minigrad")
    torch = prog.torch
    x = torch.tensor([-2.0, -0.0, 0.0, 1.5, 3.0], requires_grad=True)
    y = prog.MyReLU.apply(x)
    np.testing.assert_array_equal(y.detach().numpy(), [0, 0, 0, 1.5, 3])
    y.backward(torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0]))
    np.testing.assert_array_equal(x.grad.numpy(), [0, 2, 3, 4, 5])


def test_my_relu_net_trains_on_minigrad():
    prog = load("custom_function", "minigrad")
    losses, w1, w2 = prog.two_layer_net(*_net_inputs(prog.torch))
    assert np.isfinite(losses).all() and losses[-1] < 0.5 * losses[0]
    assert not np.any(w1.grad.numpy()) and w1.requires_grad


def test_my_relu_net_matches_pytorch():
    pytest.importorskip("torch")
    ref, got = load("custom_function", "torch"), load("custom_function", "minigrad")
    want = ref.two_layer_net(*_net_inputs(ref.torch))
    assert_same(got.two_layer_net(*_net_inputs(got.torch)), want, where="two_layer_net")
