"""custom_function.py's MyReLU checked with `torch.autograd.gradcheck`, as "Extending
PyTorch" does, on minigrad and on PyTorch."""

import numpy as np
import pytest

from .harness import load


def _input(fw):
    x = np.random.default_rng(2).standard_normal((20, 20))
    # keep the finite differences away from the kink at 0
    x[np.abs(x) < 1e-3] = 0.5
    return fw.tensor(x, requires_grad=True)


@pytest.mark.parametrize("framework", ["minigrad", "torch"])
def test_my_relu_passes_gradcheck(framework):
    if framework == "torch":
        pytest.importorskip("torch")
    prog = load("custom_function", framework)
    assert prog.check_gradients(_input(prog.torch)) is True
