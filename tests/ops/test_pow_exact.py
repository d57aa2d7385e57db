"""`x ** 3` and `x ** -2` as PyTorch's CPU kernel computes them (x*x*x, 1/(x*x); float16
in float32, rounded once): the same bits, NaN, infinities and signed zeros included,
and the gradients of torch."""

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")


def _same_bits(got, want):
    same = (got == want) & (np.signbit(got) == np.signbit(want))
    return bool(np.all(same | (np.isnan(got) & np.isnan(want))))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("c", [3, -2, 3.0, -2.0])
def test_values_bit_for_bit(dtype, c):
    rng = np.random.default_rng(0)
    a = (rng.standard_normal(4000) * 3).astype(dtype)
    a[:6] = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-7 if dtype == np.float16 else 1e-30]
    want = (torch.tensor(a) ** c).numpy()
    for got in (mg.tensor(a) ** c, mg.pow(mg.tensor(a), c)):
        assert got.dtype == want.dtype and _same_bits(got.numpy(), want)


def test_non_contiguous_and_empty_and_0d():
    a = np.arange(-6.0, 6.0, dtype=np.float32).reshape(3, 4) / 3
    got, want = mg.tensor(a).t() ** 3, torch.tensor(a).t() ** 3
    assert _same_bits(got.numpy(), want.numpy())
    assert (mg.zeros(0, 3) ** -2).shape == (0, 3)
    assert _same_bits((mg.tensor(-1.5) ** 3).numpy(), (torch.tensor(-1.5) ** 3).numpy())


def test_integers_keep_integer_pow():
    assert (mg.tensor([-2, 3]) ** 3).tolist() == [-8, 27]
    assert (mg.tensor([-2, 3]) ** 3).dtype == np.int64


@pytest.mark.parametrize("c", [3, -2])
def test_gradients_match_torch(c):
    a = np.array([-1.5, -0.5, 0.25, 2.0], dtype=np.float64)
    x = mg.tensor(a, requires_grad=True)
    (g,) = mg.grad((x**c).sum(), x, create_graph=True)
    (gg,) = mg.grad(g.sum(), x)
    t = torch.tensor(a, requires_grad=True)
    (tg,) = torch.autograd.grad((t**c).sum(), t, create_graph=True)
    (tgg,) = torch.autograd.grad(tg.sum(), t)
    np.testing.assert_allclose(g.detach().numpy(), tg.detach().numpy(), rtol=1e-14)
    np.testing.assert_allclose(gg.numpy(), tgg.numpy(), rtol=1e-14)


@pytest.mark.parametrize("c", [3, -2])
def test_complex_keeps_numpys_pow(c):
    """PyTorch multiplies only for real dtypes; complex powers stay on the general path
    (here NumPy's, as before the real fast path)."""
    rng = np.random.default_rng(1)
    a = (rng.standard_normal(64) + 1j * rng.standard_normal(64)).astype(np.complex64)
    got = (mg.tensor(a) ** c).numpy()
    assert got.dtype == np.complex64 and np.array_equal(got, a**c)
