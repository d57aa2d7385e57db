"""Linear's forward for a short batch, (W @ x.T).T + b in one compiled pass: the values of
x @ W.T + b in every layout and at the edges of where it is taken."""

import numpy as np
import pytest

import minigrad as mg
from minigrad.ops import cpu_kernels as K

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.skipif(not K.available(), reason="the compiled kernels do not load")


def _arrays(n, i, o, dtype=np.float32, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, i)).astype(dtype)
    w = (rng.standard_normal((o, i)) / np.sqrt(i)).astype(dtype)
    b = rng.standard_normal(o).astype(dtype)
    return x, w, b


@pytest.mark.parametrize("n", [1, 7, 8, 9, 63, 64])
def test_transposing_pass_is_exact(n):
    """The kernel adds the bias to the transposed product and nothing else: bit for bit."""
    rng = np.random.default_rng(n)
    t = rng.standard_normal((300, n)).astype(np.float32)
    b = rng.standard_normal(300).astype(np.float32)
    out = np.empty((n, 300), np.float32)
    K._loops.add_transposed(t, b, out, 0, n)
    np.testing.assert_array_equal(out, t.T + b)
    half = np.zeros((n, 300), np.float32)
    K._loops.add_transposed(t, b, half, n // 2, n)  # a thread's range of rows only
    np.testing.assert_array_equal(half[n // 2 :], (t.T + b)[n // 2 :])
    assert not half[: n // 2].any()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layout", ["c", "f", "strided"])
@pytest.mark.parametrize("n, i, o", [(64, 256, 784), (64, 784, 256), (5, 256, 128), (9, 300, 130)])
def test_forward_values_and_gradients(dtype, layout, n, i, o):
    x, w, b = _arrays(n, i, o, dtype)
    if layout == "f":
        x = np.asfortranarray(x)
    elif layout == "strided":
        x = np.repeat(x, 2, axis=1)[:, ::2]
    assert K.linear_transposed_pays(x, w, b)
    xm = mg.tensor(x, requires_grad=True)
    lin = mg.nn.Linear(i, o, dtype=dtype)
    lin.weight.data = mg.tensor(w)
    lin.bias.data = mg.tensor(b)
    y = lin(xm)
    assert y.is_contiguous() and y.dtype == mg.tensor(x).dtype
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(y.detach().numpy(), x @ w.T + b, rtol=tol, atol=tol)
    g = np.random.default_rng(1).standard_normal((n, o)).astype(dtype)
    y.backward(mg.tensor(g))
    xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    bt = torch.tensor(b, requires_grad=True)
    yt = torch.nn.functional.linear(xt, wt, bt)
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=tol, atol=tol)
    for m, t in ((xm, xt), (lin.weight, wt), (lin.bias, bt)):
        np.testing.assert_allclose(m.grad.numpy(), t.grad.numpy(), rtol=tol, atol=tol * 10)


def test_where_it_is_taken():
    x, w, b = _arrays(64, 256, 784)
    assert K.linear_transposed_pays(x, w, b)
    assert not K.linear_transposed_pays(x, w, None)  # no bias: nothing to fold the pass into
    assert not K.linear_transposed_pays(np.zeros((65, 256), np.float32), w, b)  # long batch
    assert not K.linear_transposed_pays(np.zeros((0, 256), np.float32), w, b)  # empty
    x2, w2, b2 = _arrays(64, 255, 784)
    assert not K.linear_transposed_pays(x2, w2, b2)  # short inner side
    x3, w3, b3 = _arrays(64, 256, 127)
    assert not K.linear_transposed_pays(x3, w3, b3)  # narrow output
    x4, w4, b4 = _arrays(64, 256, 1025)
    assert not K.linear_transposed_pays(x4, w4, b4)  # a transposing pass beyond 64 K values
    assert not K.linear_transposed_pays(x.astype(np.float64), w, b)  # mixed dtypes
    with K.use(False):
        assert not K.linear_transposed_pays(x, w, b)


def test_nan_inf_and_empty_rows():
    x, w, b = _arrays(8, 256, 128)
    x[0, 0], x[1, :] = np.nan, 0.0
    w[3, 5], b[4] = np.inf, -np.inf
    y = mg.nn.functional.linear(mg.tensor(x), mg.tensor(w), mg.tensor(b)).numpy()
    with np.errstate(invalid="ignore"):
        ref = x @ w.T + b
    np.testing.assert_array_equal(np.isnan(y), np.isnan(ref))
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-5)
