"""Round twelve of PyTorch semantics, each case against torch itself."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")


def _both(fn, *arrays, grad=()):
    """Run `fn(lib, *tensors)` in both libraries on the same float64 arrays; the positions in
    `grad` require grad. Returns (value, grads) per library as numpy."""
    out = []
    for lib in (mg, torch):
        ts = [lib.tensor(a, requires_grad=i in grad) for i, a in enumerate(arrays)]
        y = fn(lib, *ts)
        y.sum().backward() if grad else None
        out.append((y.detach().numpy(), [ts[i].grad.numpy() for i in grad]))
    return out


# ------------------------------------------------------------ losses
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_poisson_nll_full_gives_the_target_its_stirling_gradient(reduction):
    """With `full=True` the Stirling term (y log y - y + log(2 pi y) / 2, where y > 1) was
    built from a detached copy of the target: a target that required grad missed the
    term's gradient, log y + 1 / (2 y)."""
    x = np.array([[0.5, 1.5, 2.0], [3.0, 0.2, 1.0]])
    # below, at and above the threshold 1. Not 0: PyTorch masks the term after computing it,
    # so a zero target's gradient is 0 * log 0 = NaN there; minigrad's is -log(x + eps)
    y = np.array([[0.5, 2.0, 3.0], [1.0, 0.25, 7.5]])
    fn = lambda lib, a, b: lib.nn.functional.poisson_nll_loss(  # noqa: E731
        a, b, log_input=False, full=True, reduction=reduction
    )
    (v1, g1), (v2, g2) = _both(fn, x, y, grad=(0, 1))
    np.testing.assert_allclose(v1, v2, rtol=1e-12)
    for a, b in zip(g1, g2, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)
