"""The blocked product behind a first conv layer's weight gradient (tiny output, long
inner side): the same sums as one product, to rounding, in every branch."""

import numpy as np
import pytest

import minigrad as mg
from minigrad.ops.conv import LONG_OUT_MAX, _long_product

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "m, n, k", [(16, 9, 50176), (9, 16, 50000 + 37), (32, 9, 20480), (1, 1, 40000)]
)
def test_blocked_sums_match_one_product(dtype, m, n, k):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((m, k)).astype(dtype), rng.standard_normal((n, k)).astype(dtype)
    a[0, -1] = 1e3  # the ragged last block is summed too
    exact = a.astype(np.float64) @ b.astype(np.float64).T
    out = _long_product(a, b)
    assert out.shape == (m, n) and out.dtype == dtype
    tol = 2e-6 if dtype == np.float32 else 1e-14
    np.testing.assert_allclose(out, exact, rtol=0, atol=tol * (np.abs(a) @ np.abs(b).T).max())
    if dtype == np.float32:  # no less accurate than one float32 product (float64's is exact)
        one = a @ b.T
        assert np.abs(out - exact).max() <= np.abs(one - exact).max() * 1.5


def test_large_outputs_and_short_sides_are_one_product():
    rng = np.random.default_rng(1)
    for m, n, k in [(LONG_OUT_MAX + 1, 1, 50000), (16, 9, 1000), (0, 9, 50000)]:
        a = rng.standard_normal((m, k)).astype(np.float32)
        b = rng.standard_normal((n, k)).astype(np.float32)
        np.testing.assert_array_equal(_long_product(a, b), a @ b.T)


def test_nan_and_inf_reach_the_output():
    a = np.ones((4, 60000), np.float32)
    b = np.ones((3, 60000), np.float32)
    a[1, 59999], b[2, 7] = np.nan, np.inf
    out = _long_product(a, b)
    assert np.isnan(out[1]).all() and np.isinf(out[0, 2]) and out[0, 0] == 60000


def test_first_conv_weight_gradient_like_torch():
    """A one-channel conv on 64 28x28 images: its weight gradient takes the blocked path."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((64, 1, 28, 28)).astype(np.float32)
    w = rng.standard_normal((16, 1, 3, 3)).astype(np.float32)
    g = rng.standard_normal((64, 16, 28, 28)).astype(np.float32)
    wm = mg.tensor(w, requires_grad=True)
    mg.nn.functional.conv2d(mg.tensor(x), wm, padding=1).backward(mg.tensor(g))
    wt = torch.tensor(w, requires_grad=True)
    torch.nn.functional.conv2d(torch.tensor(x), wt, padding=1).backward(torch.tensor(g))
    np.testing.assert_allclose(wm.grad.numpy(), wt.grad.numpy(), rtol=1e-4, atol=1e-2)
