"""custom_function.py's LegendrePolynomial3 fit of sin(x) (PyTorch's tutorial) on minigrad,
and against PyTorch."""

import numpy as np
import pytest

from .harness import assert_same, load


def test_legendre_trains_on_minigrad():
    prog = load("custom_function", "minigrad")
    losses, coeffs = prog.legendre()
    # from the tutorial's start (a=0, b=-1, c=0, d=0.3) PyTorch goes 462 -> 254 in 50 steps
    assert losses[-1] < 0.6 * losses[0] and np.isfinite(coeffs).all()


def test_legendre_matches_pytorch():
    pytest.importorskip("torch")
    ref, got = load("custom_function", "torch"), load("custom_function", "minigrad")
    assert_same(got.legendre(), ref.legendre(), where="legendre")
