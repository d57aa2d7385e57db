"""The gradient of a piecewise-linear op (relu, leaky_relu, hardtanh, relu6, abs, l1_loss,
hardshrink, softshrink, threshold, rrelu, max and average pooling), recorded with
create_graph=True, depends on the op's input with derivative zero, as PyTorch records it: it
requires grad even where no weight enters it, and differentiating it again gives zeros (not
an error). Each case is compared with PyTorch."""

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")

X4 = np.array(
    [
        [
            [
                [-1.0, 0.5, 2.0, 3.0],
                [1.0, -0.5, 2.5, -3.0],
                [0.2, 0.1, -2.0, 4.0],
                [1.5, 0.3, 0.7, -1.0],
            ]
        ]
    ]
)

OPS = {
    "relu": lambda F, T, t: F.relu(t),
    "relu at zero": lambda F, T, t: F.relu(t * 0),
    "leaky_relu": lambda F, T, t: F.leaky_relu(t, 0.1),
    "hardtanh": lambda F, T, t: F.hardtanh(t),
    "relu6": lambda F, T, t: F.relu6(t),
    "abs": lambda F, T, t: T.abs(t),
    "l1_loss": lambda F, T, t: F.l1_loss(t, t.detach() * 0.3),
    "max_pool2d": lambda F, T, t: F.max_pool2d(t, 2),
    "max_pool2d overlapping": lambda F, T, t: F.max_pool2d(t, 3, 1, 1),
    "avg_pool2d": lambda F, T, t: F.avg_pool2d(t, 2),
    "hardshrink": lambda F, T, t: F.hardshrink(t, 0.6),
    "softshrink": lambda F, T, t: F.softshrink(t, 0.6),
    "threshold": lambda F, T, t: F.threshold(t, 0.1, 2.0),
    "rrelu eval": lambda F, T, t: F.rrelu(t, training=False),
    "prelu": lambda F, T, t: F.prelu(t, T.tensor([0.25], dtype=t.dtype)),
    "ReLU layer": lambda F, T, t: T.nn.ReLU()(t),
    "LeakyReLU inplace": lambda F, T, t: T.nn.LeakyReLU(0.2, inplace=True)(t * 1),
    # ops whose gradient PyTorch does not tie to the input: they stay unlinked
    "clamp": lambda F, T, t: T.clamp(t, -1, 1),
    "maximum": lambda F, T, t: T.maximum(t, t.detach() * 0.5),
    "max": lambda F, T, t: t.max(),
    "where": lambda F, T, t: T.where(t.detach() > 0, t, t.detach()),
    "scale": lambda F, T, t: t * 3.0,
    "adaptive_avg_pool2d": lambda F, T, t: F.adaptive_avg_pool2d(t, 1),
    # curved ones: a real second derivative
    "relu squared": lambda F, T, t: F.relu(t) ** 2,
    "smooth_l1_loss": lambda F, T, t: F.smooth_l1_loss(t, t.detach() * 0.3),
}


def _second(lib, name, dtype):
    T = torch if lib == "torch" else mg
    F = T.nn.functional
    x = T.tensor(X4.astype(dtype), requires_grad=True)
    y = OPS[name](F, T, x).sum()
    (g,) = T.autograd.grad(y, x, create_graph=True)
    if not g.requires_grad:
        return g.detach().numpy(), None
    (h,) = T.autograd.grad((g * g).sum(), x)
    return g.detach().numpy(), h.numpy(force=True)  # PyTorch gives a ZeroTensor for abs


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", list(OPS))
def test_second_derivative_and_requires_grad_as_pytorch(name, dtype):
    g, h = _second("minigrad", name, dtype)
    tg, th = _second("torch", name, dtype)
    np.testing.assert_array_equal(g, tg)
    assert (h is None) == (th is None), "requires_grad of the recorded gradient differs"
    if th is not None:
        assert h.dtype == th.dtype
        np.testing.assert_allclose(h, th, rtol=1e-6)


def _mlp(lib, x0, w0, v0):
    T = torch if lib == "torch" else mg
    x, w, v = (T.tensor(a, requires_grad=True) for a in (x0, w0, v0))
    y = (T.nn.functional.relu(x @ w) @ v).sum()
    (g,) = T.autograd.grad(y, x, create_graph=True)
    (g**2).sum().backward()
    return [t.grad.numpy() for t in (x, w, v)]


def test_backward_through_gradient_of_relu_network_gives_input_zeros():
    """x reaches the penalty only through relu's zero link: x.grad is zeros (PyTorch's),
    while w and v get their real gradients."""
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in ((3, 4), (4, 5), (5, 1))]
    got, want = _mlp("minigrad", *arrays), _mlp("torch", *arrays)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert not got[0].any()


def _third(lib):
    T = torch if lib == "torch" else mg
    x = T.tensor([0.5, -1.0, 0.0, 2.0], requires_grad=True)
    y = (T.nn.functional.relu(x) ** 3).sum()
    (g,) = T.autograd.grad(y, x, create_graph=True)
    (h,) = T.autograd.grad(g.sum(), x, create_graph=True)
    (k,) = T.autograd.grad(h.sum(), x)
    return [a.detach().numpy() for a in (g, h, k)]


def test_third_derivative_through_relu():
    for a, b in zip(_third("minigrad"), _third("torch"), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def _intermediate(lib):
    T = torch if lib == "torch" else mg
    x = T.tensor(X4[0, 0].astype(np.float32), requires_grad=True)
    h = x * 2
    y = T.nn.functional.leaky_relu(h, 0.2).sum()
    (g,) = T.autograd.grad(y, h, create_graph=True)
    return [a.numpy() for a in T.autograd.grad(g.sum(), [h, x])]


def test_grad_with_respect_to_an_intermediate_and_a_leaf_below_it():
    """Both are reached by the zero only: zeros of their shapes and dtypes."""
    got, want = _intermediate("minigrad"), _intermediate("torch")
    for a, b in zip(got, want, strict=True):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert not a.any() and not b.any()


def _hooks(lib):
    T = torch if lib == "torch" else mg
    x = T.tensor(X4[0, 0].astype(np.float32), requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.detach().numpy().copy()))
    (g,) = T.autograd.grad(T.nn.functional.relu(x).sum(), x, create_graph=True)
    g.sum().backward()
    return seen, x.grad.numpy()


def test_hooks_and_grad_of_a_leaf_reached_only_by_the_zero():
    seen, grad = _hooks("minigrad")
    tseen, tgrad = _hooks("torch")
    assert len(seen) == len(tseen) == 2  # once in grad(), once with the zeros
    for a, b in zip(seen, tseen, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(grad, tgrad)


def test_wgan_gp_step_with_a_freed_forward_graph_still_trains_the_weights():
    """minigrad never runs a function that only the zero reaches, so a forward graph freed
    by the first walk (retain_graph=False) is no error there; PyTorch's walk would run it
    with zeros and fails. The weights' gradients are PyTorch's (computed with the graph
    kept); the input, reached only by the zero through the freed graph, gets none."""
    rng = np.random.default_rng(1)
    x0, w0, v0 = (rng.standard_normal(s).astype(np.float32) for s in ((6, 5), (5, 7), (7, 1)))

    def step(T, retain):
        x, w, v = (T.tensor(a, requires_grad=True) for a in (x0, w0, v0))
        out = T.nn.functional.leaky_relu(x @ w, 0.2) @ v
        (g,) = T.autograd.grad(out.sum(), x, create_graph=True, retain_graph=retain)
        ((g.norm(2, dim=1) - 1) ** 2).mean().backward()
        return x.grad, w.grad.numpy(), v.grad.numpy()

    xg, *got = step(mg, False)
    _, *want = step(torch, True)
    assert xg is None
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    with pytest.raises(RuntimeError, match="second time"):
        step(torch, False)


def test_a_real_path_through_a_freed_function_still_raises():
    """The leniency covers functions that only the zero reaches: a real gradient that has
    to run a freed function is the usual error."""
    x = mg.tensor(X4[0, 0].astype(np.float32), requires_grad=True)
    h = x * 2
    y = (mg.nn.functional.relu(h) * h).sum()
    (g,) = mg.grad(y, x, create_graph=True, retain_graph=False)
    with pytest.raises(RuntimeError, match="second time"):
        g.sum().backward()


def test_first_order_walk_records_no_link():
    x = mg.tensor(X4.astype(np.float32), requires_grad=True)
    (g,) = mg.grad(mg.nn.functional.relu(x).sum(), x)
    assert not g.requires_grad and g.grad_fn is None
    c = mg.tensor(X4.astype(np.float32))  # a constant input: nothing to link to
    w = mg.tensor(2.0, requires_grad=True)
    (g,) = mg.grad(mg.nn.functional.relu(c).sum() * w, w, create_graph=True)
    assert g.requires_grad is False or g.grad_fn is not None


def test_prelu_gradients_and_second_derivatives_as_pytorch():
    rng = np.random.default_rng(3)
    a, w0 = rng.standard_normal((2, 3, 4)), np.array([0.25, -0.5, 1.5])

    def run(T):
        x = T.tensor(a, requires_grad=True)
        w = T.tensor(w0, requires_grad=True)
        y = T.nn.functional.prelu(x, w)
        g, gw = T.autograd.grad((y**2).sum(), [x, w], create_graph=True)
        h = T.autograd.grad(g.sum() + gw.sum(), [x, w])
        return [t.detach().numpy() for t in (y, g, gw, *h)]

    for got, want in zip(run(mg), run(torch), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
    x = mg.tensor(a, requires_grad=True)
    w = mg.tensor(w0, requires_grad=True)
    assert mg.gradgradcheck(lambda x, w: mg.nn.functional.prelu(x, w), [x, w])
