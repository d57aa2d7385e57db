"""Optimizers and LR schedulers at the edges, against PyTorch 2.13: Rprop with NaN and inf
gradients, first moments with beta1 <= 0.5 (lerp's second formula), second moments of huge
gradients (addcmul's order), Tensor lrs under a scheduler (filled in place), Tensor betas,
lists in loaded param groups, and the check of a many-element Tensor lr."""

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")

NAN, INF = float("nan"), float("inf")


def _np(t):
    return t.detach().numpy().copy()


def _equal(a, b):
    """Same values bit for bit (NaN where NaN), as arrays."""
    np.testing.assert_array_equal(_np(a), _np(b))


# ---------------------------------------------------------------- Rprop, NaN and inf grads
@pytest.mark.parametrize("maximize", [False, True])
def test_rprop_nan_or_inf_gradient_leaves_the_weight_finite_as_torch(maximize):
    grads = [[0.3, NAN, -0.2], [0.3, 0.1, INF], [0.1, 0.2, -0.3], [NAN, -0.2, 0.3]]
    got = {}
    for lib in (mg, torch):
        p = lib.tensor([1.0, -2.0, 0.5], requires_grad=True)
        opt = lib.optim.Rprop([p], lr=0.01, maximize=maximize)
        for g in grads:
            p.grad = lib.tensor(g)
            opt.step()
        got[lib] = p, opt.state[p]
    (p, st), (tp, tst) = got[mg], got[torch]
    assert np.isfinite(_np(p)).all()
    _equal(p, tp)
    _equal(st["prev"], tst["prev"])
    _equal(st["step_size"], tst["step_size"])
