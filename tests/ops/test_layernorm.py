"""layer_norm's fused node (ops/layernorm.py) against its composite of ops: the same
forward bits, the same gradients within rounding, the same second derivatives; and
against PyTorch, at the edges (constant rows, one value per row, NaN and inf, empty
batches, non-contiguous inputs, mixed dtypes, in-place changes after the forward)."""

import numpy as np
import pytest
from op_cases import torch_or_skip

import minigrad as mg
import minigrad.nn.functional as F
from minigrad.ops.layernorm import LayerNorm, layer_norm_composite

CASES = [  # (shape, k, weight, bias, dtype)
    ((64, 256), 1, True, True, np.float32),
    ((7, 5), 1, False, False, np.float32),
    ((4, 3, 6), 2, True, False, np.float32),
    ((2, 3, 4, 5), 3, False, True, np.float64),
    ((9,), 1, True, True, np.float64),
    ((5, 1), 1, True, True, np.float32),  # one value per row: var 0, y = bias
]


def _data(shape, k, weight, bias, dtype, seed=0, layout=None):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(shape) * 3 + 1).astype(dtype)
    if layout == "F":
        x = np.asfortranarray(x)
    elif layout == "T":  # a transposed view: neither C nor F contiguous for 3+ dims
        x = np.ascontiguousarray(np.swapaxes(x, 0, -1)).swapaxes(0, -1)
    ns = shape[len(shape) - k :]
    w = rng.standard_normal(ns).astype(dtype) if weight else None
    b = rng.standard_normal(ns).astype(dtype) if bias else None
    gy = np.cos(np.arange(x.size, dtype=np.float64)).reshape(shape).astype(dtype)
    return x, w, b, gy


def _run(fn, x, w, b, gy, k):
    tx = mg.tensor(x, requires_grad=True)
    tw = None if w is None else mg.tensor(w, requires_grad=True)
    tb = None if b is None else mg.tensor(b, requires_grad=True)
    y = fn(tx, k, tw, tb)
    y.backward(mg.tensor(gy))
    grads = [t.grad.numpy() for t in (tx, tw, tb) if t is not None]
    return y, grads


def fused(x, k, w, b):
    return F.layer_norm(x, tuple(x.shape[x.ndim - k :]), w, b, 1e-5)


def composite(x, k, w, b):
    return layer_norm_composite(x, k, w, b, 1e-5)


@pytest.mark.parametrize("layout", [None, "F", "T"])
@pytest.mark.parametrize("shape,k,weight,bias,dtype", CASES)
def test_fused_matches_composite(shape, k, weight, bias, dtype, layout):
    x, w, b, gy = _data(shape, k, weight, bias, dtype, layout=layout)
    y1, g1 = _run(fused, x, w, b, gy, k)
    y2, g2 = _run(composite, x, w, b, gy, k)
    assert isinstance(y1.grad_fn, LayerNorm)
    assert y1.dtype == y2.dtype == dtype
    np.testing.assert_array_equal(y1.detach().numpy(), y2.detach().numpy())  # same bits
    tol = 2e-5 if dtype == np.float32 else 1e-12
    for a, c in zip(g1, g2, strict=True):
        assert a.dtype == c.dtype == dtype
        np.testing.assert_allclose(a, c, rtol=tol, atol=tol)


def test_constant_rows_nan_and_inf_follow_the_composite():
    x = np.array(
        [[7.0, 7.0, 7.0, 7.0], [0.0, 0.0, 0.0, 0.0], [1.0, np.nan, 2.0, 3.0], [np.inf, 1, 2, 3]],
        dtype=np.float32,
    )
    w, b = np.float32([1, 2, 3, 4]), np.float32([0, 1, 0, 1])
    gy = np.ones_like(x)
    y1, g1 = _run(fused, x, w, b, gy, 1)
    y2, g2 = _run(composite, x, w, b, gy, 1)
    np.testing.assert_array_equal(y1.detach().numpy(), y2.detach().numpy())
    np.testing.assert_array_equal(y1.detach().numpy()[1], b)  # 0 / sqrt(eps) * w + b
    for a, c in zip(g1, g2, strict=True):  # NaN where the composite's is, and its values
        np.testing.assert_allclose(a, c, rtol=1e-5, atol=1e-5)
    assert np.isnan(g1[0][2:]).all() and np.isfinite(g1[0][:2]).all()


@pytest.mark.parametrize("which", ["x", "w", "b", "wb"])
def test_only_the_gradients_asked_for(which):
    x, w, b, gy = _data((6, 8), 1, True, True, np.float64)
    tx = mg.tensor(x, requires_grad="x" in which)
    tw, tb = mg.tensor(w, requires_grad="w" in which), mg.tensor(b, requires_grad="b" in which)
    y = F.layer_norm(tx, (8,), tw, tb)
    y.backward(mg.tensor(gy))
    ref = [mg.tensor(a, requires_grad=True) for a in (x, w, b)]
    composite(ref[0], 1, ref[1], ref[2]).backward(mg.tensor(gy))
    for t, r, name in zip((tx, tw, tb), ref, "xwb", strict=True):
        if name in which:
            np.testing.assert_allclose(t.grad.numpy(), r.grad.numpy(), rtol=1e-12, atol=1e-12)
        else:
            assert t.grad is None


@pytest.mark.parametrize("k,shape", [(1, (3, 5)), (2, (2, 3, 4)), (1, (9,)), (2, (3, 4))])
def test_second_derivatives_match_the_composite_and_gradgradcheck(k, shape):
    """Batched inputs, and unbatched ones (x of normalized_shape itself: no leading dims to
    sum the affine gradients over)."""
    x, w, b, gy = _data(shape, k, True, True, np.float64, seed=3)
    ns = shape[len(shape) - k :]

    def second(fn):
        ts = [mg.tensor(a, requires_grad=True) for a in (x, w, b)]
        y = fn(ts[0], k, ts[1], ts[2])
        gs = mg.autograd.grad((y * mg.tensor(gy)).sum(), ts, create_graph=True)
        s = sum((g * g).sum() for g in gs)
        hs = mg.autograd.grad(s, ts, allow_unused=True, materialize_grads=True)
        return [h.numpy() for h in hs]

    for a, c in zip(second(fused), second(composite), strict=True):
        np.testing.assert_allclose(a, c, rtol=1e-10, atol=1e-10)
    args = tuple(mg.tensor(a, requires_grad=True) for a in (x, w, b))
    f = lambda x, w, b: F.layer_norm(x, ns, w, b)  # noqa: E731
    assert mg.gradcheck(f, args)
    assert mg.gradgradcheck(f, args)


def test_matches_torch_float32():
    torch = torch_or_skip()
    x, w, b, gy = _data((16, 4, 10), 2, True, True, np.float32, seed=5)
    y, g = _run(fused, x, w, b, gy, 2)
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    ty = torch.nn.functional.layer_norm(tx, (4, 10), tw, tb)
    ty.backward(torch.tensor(gy))
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-5, atol=2e-6)
    for a, t in zip(g, (tx, tw, tb), strict=True):
        np.testing.assert_allclose(a, t.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_empty_batch_float16_and_mixed_dtypes_take_their_paths():
    torch = torch_or_skip()
    e = mg.zeros(0, 4, requires_grad=True)  # no values: the composite, PyTorch's empty output
    y = F.layer_norm(e, (4,))
    assert y.shape == tuple(torch.nn.functional.layer_norm(torch.zeros(0, 4), (4,)).shape)
    assert y.grad_fn is not None and not isinstance(y.grad_fn, LayerNorm)
    h = mg.tensor(np.linspace(-2, 2, 12).reshape(3, 4), dtype=mg.float16, requires_grad=True)
    yh = F.layer_norm(h, (4,))  # widened to float32 (fused there), rounded back once
    th = torch.tensor(np.linspace(-2, 2, 12).reshape(3, 4), dtype=torch.float16)
    assert yh.dtype == mg.float16
    np.testing.assert_array_equal(
        yh.detach().numpy(), torch.nn.functional.layer_norm(th, (4,)).numpy()
    )
    x = mg.tensor(np.ones((2, 4), np.float32), requires_grad=True)  # float64 weight: the
    yw = F.layer_norm(x, (4,), mg.ones(4, dtype=mg.float64))  # composite's promotion
    assert yw.grad_fn is not None and not isinstance(yw.grad_fn, LayerNorm)
    assert yw.dtype == mg.float64


def test_in_place_change_of_the_input_after_forward_is_refused():
    x = mg.randn(3, 4, requires_grad=True)
    h = x * 1.0
    y = F.layer_norm(h, (4,))
    h.add_(1.0)
    with pytest.raises(RuntimeError, match="modified in place"):
        y.sum().backward()


def test_module_uses_the_fused_node_and_integer_input_is_refused():
    m = mg.nn.LayerNorm(6)
    assert isinstance(m(mg.randn(2, 6)).grad_fn, LayerNorm)
    with pytest.raises(NotImplementedError, match="LayerNormKernelImpl"):
        F.layer_norm(mg.tensor([[1, 2, 3]]), (3,))
