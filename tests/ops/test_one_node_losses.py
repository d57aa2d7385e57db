"""softplus and mean as one node each (a GAN's loss runs both on every step): values and
first- and second-order gradients against PyTorch at the thresholds, zeros, infinities and
NaN, on 0-d, empty and non-contiguous inputs; the first-order backward works on arrays and
must give what the recorded one gives."""

import numpy as np
import pytest

import minigrad as mg
from minigrad.nn import functional as F
from minigrad.ops.activation import Softplus
from minigrad.ops.reduce import Mean

torch = pytest.importorskip("torch")
TF = torch.nn.functional

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

EDGES = [-np.inf, -30.0, -2.0, -0.0, 0.0, 0.5, 9.99, 10.0, 10.01, 19.5, 20.0, 20.5, np.inf, np.nan]


def _grad_of(lib, fn, values, dtype, weights):
    """y = fn(x) and the gradient of sum(w * y), w a fixed weight (inf and NaN among them
    reach the threshold's branch unchanged)."""
    if lib == "mg":
        x = mg.tensor(np.array(values, dtype=dtype), requires_grad=True)
        y = fn(x)
        (y * mg.tensor(weights.astype(dtype))).sum().backward()
        return y.detach().numpy(), x.grad.numpy()
    x = torch.tensor(np.array(values, dtype=dtype), requires_grad=True)
    y = fn(x)
    (y * torch.tensor(weights.astype(dtype))).sum().backward()
    return y.detach().numpy(), x.grad.numpy()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "beta, threshold", [(1, 20), (0.5, 10), (2, 20), (2, 0), (-1, 20), (1, -5)]
)
def test_softplus_values_and_gradient_like_torch(dtype, beta, threshold):
    w = np.linspace(-2, 2, len(EDGES))
    w[3] = np.inf  # an infinite gradient on the -0.0 input
    mine = _grad_of("mg", lambda x: F.softplus(x, beta, threshold), EDGES, dtype, w)
    theirs = _grad_of("torch", lambda x: TF.softplus(x, beta, threshold), EDGES, dtype, w)
    for m, t, what in zip(mine, theirs, ("value", "gradient"), strict=True):
        assert m.dtype == t.dtype, what
        np.testing.assert_allclose(m, t, rtol=2e-6, atol=1e-30, equal_nan=True, err_msg=what)


def test_softplus_is_one_node_and_first_order_matches_recorded():
    """One Softplus node; the array path (first order) gives the bits the recorded ops give
    (create_graph=True), which a double backward needs."""
    x = mg.tensor(np.array(EDGES, np.float32) * 0.7, requires_grad=True)
    for beta, threshold in [(1, 20), (0.5, 3)]:
        y = F.softplus(x, beta, threshold)
        assert type(y.grad_fn) is Softplus
        assert y.grad_fn.next_functions[0][0].variable is x  # straight to the leaf
        gy = mg.tensor(np.linspace(-3, 3, len(EDGES)).astype(np.float32))
        (first,) = mg.autograd.grad(y, x, gy, retain_graph=True)
        (recorded,) = mg.autograd.grad(y, x, gy, create_graph=True)
        np.testing.assert_array_equal(first.numpy(), recorded.detach().numpy())


@pytest.mark.parametrize("beta, threshold", [(1, 20), (0.5, 1.5)])
def test_softplus_double_backward_like_torch(beta, threshold):
    values = np.array([-3.0, -0.4, 0.0, 0.8, 2.9, 3.1, 25.0])
    res = []
    for lib, T, f in (("mg", mg, F.softplus), ("torch", torch, TF.softplus)):
        x = T.tensor(values.copy(), requires_grad=True)
        w = T.tensor(np.linspace(0.5, 2, len(values)))
        (g,) = (mg.autograd.grad if lib == "mg" else torch.autograd.grad)(
            (f(x * 1.3, beta, threshold) * w).sum(), x, create_graph=True
        )
        (g * g).sum().backward()
        res.append((g.detach().numpy(), x.grad.numpy()))
    for m, t in zip(*res, strict=True):
        np.testing.assert_allclose(m, t, rtol=1e-12, atol=1e-15)


def test_softplus_0d_empty_and_non_contiguous():
    for shape in [(), (0,), (0, 3)]:
        a = np.full(shape, 0.3, np.float32)
        x = mg.tensor(a, requires_grad=True)
        y = F.softplus(x)
        y.sum().backward()
        t = torch.tensor(a, requires_grad=True)
        TF.softplus(t).sum().backward()
        assert y.shape == tuple(t.shape)
        np.testing.assert_allclose(y.detach().numpy(), TF.softplus(t).detach().numpy(), rtol=1e-6)
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-6)
    a = np.random.default_rng(0).standard_normal((5, 7)).astype(np.float32) * 10
    x = mg.tensor(a, requires_grad=True)
    t = torch.tensor(a, requires_grad=True)
    F.softplus(x.T, 1.5, 4).sum().backward()
    TF.softplus(t.T, 1.5, 4).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-6)


def test_softplus_float16_and_module_unchanged():
    """float16 keeps the ops (promoted as PyTorch's); nn.Softplus takes the one node."""
    a = np.array([-3.0, 0.0, 1.0, 25.0], np.float16)
    y = F.softplus(mg.tensor(a))
    t = TF.softplus(torch.tensor(a))
    assert y.dtype == mg.float16
    np.testing.assert_allclose(y.numpy(), t.numpy(), rtol=2e-3)
    m = mg.nn.Softplus(beta=2, threshold=5)
    x = mg.tensor(np.array([0.1, 3.0]), requires_grad=True)
    assert type(m(x).grad_fn) is Softplus


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "dim, keepdim", [(None, False), (0, False), (1, True), ((0, 2), False), (-1, True), ((), False)]
)
def test_mean_values_and_gradient_like_torch(dtype, dim, keepdim):
    a = np.random.default_rng(1).standard_normal((3, 4, 5)).astype(dtype)
    a[0, 0, 0], a[1, 2, 3] = np.inf, -0.0
    x = mg.tensor(a, requires_grad=True)
    t = torch.tensor(a, requires_grad=True)
    kw = {} if dim is None else {"dim": dim, "keepdim": keepdim}
    y, ty = x.mean(**kw), t.mean(**kw)
    assert type(y.grad_fn) is Mean
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-6)
    assert y.dtype == mg.tensor(a).dtype and y.shape == tuple(ty.shape)
    w = np.random.default_rng(2).standard_normal(tuple(ty.shape)).astype(dtype)
    (y * mg.tensor(w)).sum().backward()
    (ty * torch.tensor(w)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())
    x.grad.mul_(2)  # the leaf's gradient is its own array, not the broadcast view
    np.testing.assert_array_equal(x.grad.numpy(), 2 * t.grad.numpy())


def test_mean_divides_by_n_rounding_once():
    """7 / 3 in float32 is 2.3333333; 7 * (1 / 3) would be 2.3333335."""
    x = mg.tensor(np.array([7.0, 0.0, 0.0], np.float32), requires_grad=True)
    m = x.mean()
    assert m.item() == np.float32(7) / np.float32(3)
    m.backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full(3, np.float32(1) / np.float32(3)))


def test_mean_0d_empty_nan_and_non_contiguous():
    x = mg.tensor(np.float32(2.5), requires_grad=True)
    y = x.mean()
    y.backward()
    assert y.item() == 2.5 and x.grad.item() == 1.0 and x.grad.shape == ()
    e = mg.zeros(0, 3, requires_grad=True)
    assert np.isnan(e.mean().item())
    np.testing.assert_array_equal(e.mean(0).detach().numpy(), np.full(3, np.nan, np.float32))
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    x = mg.tensor(a, requires_grad=True)
    t = torch.tensor(a, requires_grad=True)
    y, ty = x.T[::2].mean(1), t.T[::2].mean(1)
    np.testing.assert_array_equal(y.detach().numpy(), ty.detach().numpy())
    y.backward(mg.tensor(np.array([1.0, np.nan], np.float32)))
    ty.backward(torch.tensor([1.0, np.nan]))
    np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())


def test_mean_double_backward_like_torch():
    a = np.random.default_rng(3).standard_normal((4, 3))
    res = []
    for lib, T in (("mg", mg), ("torch", torch)):
        x = T.tensor(a.copy(), requires_grad=True)
        grad = mg.autograd.grad if lib == "mg" else torch.autograd.grad
        (g,) = grad(((x * x).mean(0) ** 3).sum(), x, create_graph=True)
        (g.mean(1, keepdim=True) ** 2).sum().backward()
        res.append((g.detach().numpy(), x.grad.numpy()))
    for m, t in zip(*res, strict=True):
        np.testing.assert_allclose(m, t, rtol=1e-12)


def test_mean_of_integers_and_complex_keep_their_paths():
    """An integer mean is refused, as PyTorch's; a complex one is the complex sum over n."""
    with pytest.raises(RuntimeError, match="could not infer"):
        mg.arange(3).mean()
    z = np.array([1 + 2j, 3 - 1j], np.complex64)
    np.testing.assert_allclose(mg.tensor(z).mean().numpy(), torch.tensor(z).mean().numpy())
