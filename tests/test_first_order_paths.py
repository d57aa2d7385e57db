"""The first-order shortcuts of the backward walk give what the recorded graph gives.

Without create_graph nothing in a backward is recorded, so a few hot spots skip the node
they would make: Linear's gradients are products of arrays, the walk sums two gradients of
one input as arrays, ReLU's forward takes maximum against a zeros array. Each must agree bit
for bit with the recorded route (create_graph=True), which second derivatives still use.
"""

from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg
from minigrad.ops.activation import ReLU


def _grads(fn, tensors, create_graph):
    for t in tensors:
        t.grad = None
    fn().backward(create_graph=create_graph)
    return [None if t.grad is None else t.grad for t in tensors]


def _same_bits(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rows", [0, 1, 7])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("x_grad", [True, False])
def test_linear_backward_of_arrays_matches_the_recorded_one(dtype, rows, bias, x_grad):
    rng = np.random.default_rng(rows)
    # x a transposed (non-contiguous) view, as a batch-minor activation would be
    x = mg.tensor(rng.standard_normal((5, rows)).astype(dtype).T, requires_grad=x_grad)
    w = mg.tensor(rng.standard_normal((3, 5)).astype(dtype), requires_grad=True)
    b = mg.tensor(rng.standard_normal(3).astype(dtype), requires_grad=True) if bias else None
    leaves = [t for t in (x, w, b) if t is not None]

    def loss():
        y = mg.nn.functional.linear(x, w, b)
        return (y * y).sum() + y.sum()

    first = _grads(loss, leaves, create_graph=False)
    recorded = _grads(loss, leaves, create_graph=True)
    for t, g1, g2 in zip(leaves, first, recorded, strict=True):
        if not t.requires_grad:
            assert g1 is None and g2 is None
            continue
        assert g1.creator is None and not g1.requires_grad
        assert g2.requires_grad  # the recorded route stays differentiable
        assert _same_bits(g1._data, g2._data)
        assert g1.dtype == t.dtype and g1.shape == t.shape
    if rows == 0:
        (gw,) = [g for t, g in zip(leaves, first, strict=True) if t is w]
        assert not np.asarray(gw._data).any()  # no rows: a zero weight gradient


def test_linear_second_derivative_still_uses_the_graph():
    x = mg.randn(4, 3, requires_grad=True, dtype=mg.float64)
    w = mg.randn(2, 3, requires_grad=True, dtype=mg.float64)
    assert mg.autograd.gradgradcheck(lambda x, w: mg.nn.functional.linear(x, w).tanh(), (x, w))


def test_the_walk_sums_two_gradients_of_one_input_as_the_graph_does():
    rng = np.random.default_rng(1)
    x = mg.tensor(rng.standard_normal((4, 3)).astype(np.float32), requires_grad=True)

    def loss():
        h = x * 3.0  # h feeds three consumers: its gradient is summed twice
        return (h.sin() + h * h + h.exp()).sum()

    (g1,) = _grads(loss, [x], create_graph=False)
    (g2,) = _grads(loss, [x], create_graph=True)
    assert _same_bits(g1._data, g2._data)
    # the recorded sum is differentiable: d/dx of sum(dL/dx) against a finite difference
    (gg,) = mg.autograd.grad(g2.sum(), [x])
    h = 3.0 * x._data.astype(np.float64)
    expected = 9.0 * (-np.sin(h) + 2.0 + np.exp(h))
    np.testing.assert_allclose(gg._data, expected, rtol=1e-5)


def test_a_leaf_used_twice_gets_the_sum_in_grad_without_aliasing():
    w = mg.tensor(np.arange(6, dtype=np.float32).reshape(2, 3), requires_grad=True)
    (w * 2.0 + w).sum().backward()
    np.testing.assert_array_equal(w.grad._data, np.full((2, 3), 3.0, np.float32))
    w.grad._data[0, 0] = 99.0  # the optimizer edits .grad in place: it is w's own
    (w * 2.0 + w).sum().backward()
    assert w.grad._data[0, 0] == 102.0 and w.grad._data[1, 2] == 6.0


def test_a_zero_dim_gradient_is_summed_like_any_other():
    a = mg.tensor(2.0, requires_grad=True)
    y = a * a + a * 3.0  # two paths into a 0-d leaf
    y.backward()
    assert float(a.grad.item()) == 7.0 and a.grad.shape == ()


@pytest.mark.parametrize("shape", [(), (0,), (7,), (3, 0), (6, 4), (2, 3, 4, 5)])
@pytest.mark.parametrize("order", ["C", "F"])
def test_relu_forward_is_maximum_with_zero_bit_for_bit(shape, order):
    rng = np.random.default_rng(0)
    x = np.asarray(rng.standard_normal(shape), dtype=np.float32, order=order)
    if x.size >= 5:
        x.reshape(-1, order="A")[:5] = [np.nan, -np.inf, -0.0, np.inf, 0.0]
    y = ReLU().forward(x)
    expected = np.maximum(x, np.float32(0))
    assert y.shape == expected.shape and y.dtype == np.float32
    assert np.asarray(y).tobytes(order="A") == np.asarray(expected).tobytes(order="A")
    if x.ndim > 1 and x.size and order == "F":
        assert y.flags.f_contiguous  # the output keeps the input's memory order


def test_an_op_mixing_a_zero_dim_result_with_an_array_runs():
    # a 0-d op result holds a NumPy scalar, not an ndarray: one device all the same
    s = mg.tensor(2.0) * mg.tensor(3.0)
    v = mg.ones(3)
    np.testing.assert_array_equal((s + v)._data, np.full(3, 7.0, np.float32))


def test_a_grad_output_of_another_dtype_is_summed_with_minigrads_promotion():
    # an int64 grad_output for w and a float32 gradient through w * w: PyTorch (and the Add
    # op) keep float32; NumPy's own promotion would make w.grad float64
    w = mg.tensor(np.array([0.1, 0.2, 0.3], np.float32), requires_grad=True)
    mg.autograd.backward(
        [w, w * w], [mg.tensor(np.array([1, 2, 3])), mg.tensor(np.ones(3, np.float32))]
    )
    assert w.grad.dtype == np.float32
    np.testing.assert_allclose(w.grad._data, [1.2, 2.4, 3.6], rtol=1e-6)


def test_linear_with_an_integer_grad_output_takes_the_ops():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 5)).astype(np.float32)
    w = rng.standard_normal((3, 5)).astype(np.float32)
    gy = rng.integers(-(10**6), 10**6, (4, 3))
    grads = []
    for create_graph in (False, True):
        xt, wt = mg.tensor(x, requires_grad=True), mg.tensor(w, requires_grad=True)
        mg.nn.functional.linear(xt, wt).backward(mg.tensor(gy), create_graph=create_graph)
        grads.append((xt.grad._data, wt.grad._data))
    for a, b in zip(*grads, strict=True):  # int64 @ float32 promotes to float32, as the op
        assert a.dtype == np.float32 and a.tobytes() == b.tobytes()


def test_detect_anomaly_does_not_check_a_sum_of_gradients():
    # PyTorch's anomaly mode checks each backward function's gradients, not their sum
    x = mg.tensor(np.array([1e-30, 1e-30], np.float32), requires_grad=True)
    with np.errstate(over="ignore"), mg.autograd.detect_anomaly():
        (x * 2e38 + x * 2e38).sum().backward()
    assert np.isinf(x.grad.numpy()).all()


# ------------------------------------------------- LeakyReLU: the gradient into its slopes
def _leaky_case(shape, order, slope, dtype=np.float32):
    rng = np.random.default_rng(3)
    a = rng.standard_normal(shape).astype(dtype)
    a.flat[:6] = [0.0, -0.0, np.nan, np.inf, -np.inf, 1e-42]  # kinks, NaN, inf, subnormal
    if order == "batch-minor":  # a convolution's layout: N varies fastest
        a = np.ascontiguousarray(np.moveaxis(a, 0, -1)).transpose(3, 0, 1, 2)
    g = rng.standard_normal(shape).astype(dtype)
    g.flat[6:9] = [np.inf, np.nan, -0.0]
    want = np.where(a > 0, g, g * dtype(slope))  # torch's leaky_relu_backward
    return a, g, want


@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (64, 32, 12, 12)])  # one block; several
@pytest.mark.parametrize("order", ["C", "batch-minor"])
@pytest.mark.parametrize("slope", [0.2, 0.0, -0.5, 2.0])
def test_leaky_relu_last_backward_writes_into_its_slope_map(shape, order, slope):
    """The last backward (no retain_graph, no create_graph) multiplies into the slope map
    it saved: the same bits as the recorded route, in its own array, the caller's
    gradient untouched."""
    a, g, want = _leaky_case(shape, order, slope)
    g_before = g.copy()
    grads = []
    for create_graph in (False, True):
        x = mg.tensor(a, requires_grad=True)
        y = mg.nn.functional.leaky_relu(x, slope)
        slopes = y.creator.slopes
        y.backward(mg.tensor(g), create_graph=create_graph)
        grads.append(x.grad)
        # the first-order route hands back the map itself; the recorded one a new array
        assert (x.grad._data is slopes) != create_graph
    first, recorded = grads
    assert first.creator is None and not first.requires_grad
    assert _same_bits(first._data, recorded._data)
    assert _same_bits(first._data, want)
    assert _same_bits(g, g_before)  # the gradient passed in is not written


def test_leaky_relu_with_retain_graph_keeps_its_slope_map_for_the_next_backward():
    a, g, want = _leaky_case((4, 3, 8, 8), "C", 0.2)
    x = mg.tensor(a, requires_grad=True)
    y = mg.nn.functional.leaky_relu(x, 0.2)
    y.backward(mg.tensor(g), retain_graph=True)
    first = x.grad._data.copy()
    x.grad = None
    y.backward(mg.tensor(g))  # the last use: into the map
    assert _same_bits(first, want) and _same_bits(x.grad._data, want)
    x.grad = None
    with pytest.raises(RuntimeError, match="second time"):
        y.backward(mg.tensor(g))


def test_leaky_relu_map_spent_by_a_backward_that_failed_later_is_not_reused():
    """A hook that raises after LeakyReLU's backward has written into its map stops the
    walk before the node is released; running backward again is refused, never computed
    from the overwritten map."""
    a, g, _ = _leaky_case((2, 3, 4, 4), "C", 0.2)
    x = mg.tensor(a, requires_grad=True)
    calls = []

    def hook(t):
        calls.append(1)
        raise ValueError("hook failed")

    x.register_post_accumulate_grad_hook(hook)
    y = mg.nn.functional.leaky_relu(x, 0.2)
    with pytest.raises(ValueError, match="hook failed"):
        y.backward(mg.tensor(g))
    with pytest.raises(RuntimeError, match="LeakyReLU: trying to backward through the graph"):
        y.backward(mg.tensor(g))
    assert len(calls) == 1


def test_leaky_relu_gradient_through_a_broadcast_grad_output():
    """sum()'s gradient reaches LeakyReLU as a broadcast (stride 0) view: the slope map is
    then multiplied by it, not the view written."""
    a, _, _ = _leaky_case((3, 4, 5, 6), "batch-minor", 0.2)
    x = mg.tensor(a, requires_grad=True)
    mg.nn.functional.leaky_relu(x, 0.2).sum().backward()
    want = np.where(a > 0, np.float32(1), np.float32(0.2))
    assert _same_bits(x.grad._data, want)


def _penalty_case(lib, x0, w0, v0, mode):
    """out = sum(leaky_relu(f(x @ W)) @ V); g = d out / dx with create_graph; then either two
    walks (out, then |g|^2) or one (out + |g|^2, as an R1 or WGAN-GP penalty is added to
    the loss). Returns the parameters' gradients."""
    if lib == "torch":
        import torch

        t = lambda a, rg: torch.tensor(a, requires_grad=rg)  # noqa: E731
        F, grad = torch.nn.functional, torch.autograd.grad
    else:
        t = lambda a, rg: mg.tensor(a, requires_grad=rg)  # noqa: E731
        F, grad = mg.nn.functional, mg.grad
    x, w, v = t(x0, True), t(w0, True), t(v0, True)
    h = x @ w
    for _ in range(4 if mode == "one walk" else 0):
        # the forward node deep in the graph, its recorded twin shallow: the walk runs the
        # forward node's backward first. (Two walks: no such ops, whose saved outputs the
        # penalty's graph would read after the first walk freed them.)
        h = (h * 0.9 + 0.1).tanh() * 2
    out = (F.leaky_relu(h, 0.2) @ v).sum()
    (g,) = grad(out, x, create_graph=True)
    penalty = (g * g).sum()
    if mode == "two walks":
        # PyTorch's gradient graph reads the forward graph's saved input, so it needs
        # retain_graph here; minigrad's reads the slope map only (and takes either)
        out.backward(retain_graph=lib == "torch")
        penalty.backward()
    else:
        (out + penalty).backward()
    return [np.asarray(a.grad.detach().numpy()) for a in (w, v)]


@pytest.mark.parametrize("mode", ["two walks", "one walk"])
def test_leaky_relu_map_shared_with_a_recorded_gradient_is_not_written(mode):
    """A create_graph walk records a LeakyReLUGrad node on the same slope map; the forward
    node's later last backward must not write into it, or the penalty's gradient (read
    after it, in the same or a later walk) is computed from the overwritten map."""
    torch = pytest.importorskip("torch")  # noqa: F841
    rng = np.random.default_rng(11)
    x0 = rng.standard_normal((6, 5)).astype(np.float32)
    w0 = rng.standard_normal((5, 7)).astype(np.float32)
    v0 = rng.standard_normal((7, 3)).astype(np.float32)
    got = _penalty_case("minigrad", x0, w0, v0, mode)
    want = _penalty_case("torch", x0, w0, v0, mode)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
