"""nn.utils.clip_grad_norm_ and clip_grad_value_ against torch.nn.utils: norms of every
order, clipping and no clipping, NaN/inf gradients, parameters without gradients, 0-d and
read-only gradients."""

import math
import warnings

import numpy as np
import pytest
from op_cases import torch_or_skip

import minigrad as mg
from minigrad import nn
from minigrad.nn.utils import clip_grad_norm_, clip_grad_value_

SHAPES = [(3, 4), (5,), ()]


def _pairs(torch, grads, dtype=np.float64):
    """Parameters with the given gradient arrays (None: no gradient), in both libraries."""
    ps, tps = [], []
    for g in grads:
        shape = () if g is None else np.shape(g)
        p = mg.tensor(np.zeros(shape, dtype=dtype), requires_grad=True)
        tp = torch.zeros(shape, dtype=getattr(torch, np.dtype(dtype).name), requires_grad=True)
        if g is not None:
            p.grad = mg.tensor(np.array(g, dtype=dtype))
            tp.grad = torch.tensor(np.array(g, dtype=dtype))
        ps.append(p)
        tps.append(tp)
    return ps, tps


def _random_grads(seed, scale=1.0):
    rng = np.random.default_rng(seed)
    return [scale * rng.standard_normal(s) for s in SHAPES]


def _assert_grads_match(ps, tps, rtol):
    for p, tp in zip(ps, tps, strict=True):
        if tp.grad is None:
            assert p.grad is None
            continue
        assert p.grad.dtype == np.dtype(str(tp.grad.dtype).removeprefix("torch."))
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=rtol, atol=0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("norm_type", [2.0, 1, math.inf, 3.0, 0.5, 0, -math.inf, "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_torch(norm_type, max_norm, dtype):
    torch = torch_or_skip()
    ps, tps = _pairs(torch, _random_grads(0) + [None], dtype)
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    before = [p.grad for p in ps]
    total = clip_grad_norm_(ps, max_norm, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(tps, max_norm, norm_type=norm_type)
    assert isinstance(total, mg.Tensor) and total.shape == () and total.dtype == dtype
    assert not total.requires_grad
    np.testing.assert_allclose(total.numpy(), expected.numpy(), rtol=rtol)
    _assert_grads_match(ps, tps, rtol)
    assert [p.grad for p in ps] == before  # the same gradient Tensors, changed in place


def test_no_clipping_below_max_norm_and_exact_factor_above():
    torch = torch_or_skip()
    grads = [np.array([3.0, 4.0]), np.array(12.0)]  # total 2-norm 13
    ps, tps = _pairs(torch, grads)
    assert clip_grad_norm_(ps, 13.1).item() == 13.0
    for p, g in zip(ps, grads, strict=True):
        np.testing.assert_array_equal(p.grad.numpy(), g)
    total = clip_grad_norm_(ps, 6.5)
    torch.nn.utils.clip_grad_norm_(tps, 6.5)
    assert total.item() == 13.0
    np.testing.assert_allclose(ps[0].grad.numpy(), [3.0 * 6.5 / (13 + 1e-6), 4.0 * 6.5 / 13.000001])
    _assert_grads_match(ps, tps, 1e-15)


def test_mixed_dtypes_give_the_promoted_norm_like_torch():
    torch = torch_or_skip()
    p32, t32 = _pairs(torch, [np.array([1.0, 2.0])], np.float32)
    p64, t64 = _pairs(torch, [np.array([2.0, 2.0])], np.float64)
    total = clip_grad_norm_(p32 + p64, 1.0)
    expected = torch.nn.utils.clip_grad_norm_(t32 + t64, 1.0)
    assert total.dtype == np.float64 and expected.dtype == torch.float64
    np.testing.assert_allclose(total.numpy(), expected.numpy(), rtol=1e-12)
    _assert_grads_match(p32 + p64, t32 + t64, 1e-6)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf], ids=["nan", "inf", "-inf"])
@pytest.mark.parametrize("norm_type", [2.0, math.inf, 1.0])
def test_non_finite_gradients_like_torch(bad, norm_type):
    """error_if_nonfinite=False scales by the non-finite norm (NaN or 0 * inf, as torch);
    True raises and leaves the gradients alone."""
    torch = torch_or_skip()
    grads = [np.array([1.0, bad, -2.0]), np.array([[0.5, 0.0]])]
    ps, tps = _pairs(torch, grads)
    with pytest.raises(RuntimeError, match="The total norm of order"):
        clip_grad_norm_(ps, 1.0, norm_type=norm_type, error_if_nonfinite=True)
    with pytest.raises(RuntimeError):
        torch.nn.utils.clip_grad_norm_(tps, 1.0, norm_type=norm_type, error_if_nonfinite=True)
    for p, g in zip(ps, grads, strict=True):
        np.testing.assert_array_equal(p.grad.numpy(), g)
    total = clip_grad_norm_(ps, 1.0, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(tps, 1.0, norm_type=norm_type)
    np.testing.assert_array_equal(total.numpy(), expected.numpy())
    for p, tp in zip(ps, tps, strict=True):
        np.testing.assert_array_equal(p.grad.numpy(), tp.grad.numpy())


def test_single_tensor_and_parameters_without_gradients():
    torch = torch_or_skip()
    ps, tps = _pairs(torch, [np.array([3.0, -4.0])])
    total = clip_grad_norm_(ps[0], 1.0)
    torch.nn.utils.clip_grad_norm_(tps[0], 1.0)
    assert total.item() == 5.0
    _assert_grads_match(ps, tps, 1e-15)

    bare = [mg.ones(3, requires_grad=True), mg.ones((), requires_grad=True)]
    total = clip_grad_norm_(bare, 1.0)
    expected = torch.nn.utils.clip_grad_norm_([torch.ones(3, requires_grad=True)], 1.0)
    assert total.dtype == np.float32 and total.item() == expected.item() == 0.0
    assert all(p.grad is None for p in bare)
    assert clip_grad_norm_(bare[0], 1.0).item() == 0.0
    with pytest.warns(UserWarning, match="empty generator"):
        clip_grad_norm_((p for p in []), 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clip_grad_norm_([], 1.0)  # an empty list is deliberate: no warning, as in torch


def test_gradients_from_backward_are_clipped_once_each():
    """0-d gradients come back from backward as NumPy scalars, broadcast gradients as
    read-only views and, with create_graph, two parameters may share one array: each is
    scaled exactly once, on the same `.grad` Tensor."""
    torch = torch_or_skip()
    w = mg.tensor(np.array([1.0, 2.0]), requires_grad=True)
    s = mg.tensor(np.array(3.0), requires_grad=True)
    b = mg.tensor(np.array([0.5, -1.0]), requires_grad=True)
    ((w + b) * s).sum().backward(create_graph=True)
    tw, ts, tb = (torch.tensor(t.detach().numpy(), requires_grad=True) for t in (w, s, b))
    ((tw + tb) * ts).sum().backward()
    grads = [w.grad, s.grad, b.grad]
    total = clip_grad_norm_([w, s, b], 0.1)
    expected = torch.nn.utils.clip_grad_norm_([tw, ts, tb], 0.1)
    np.testing.assert_allclose(total.numpy(), expected.numpy(), rtol=1e-12)
    assert [w.grad, s.grad, b.grad] == grads
    for p, tp in zip([w, s, b], [tw, ts, tb], strict=True):
        np.testing.assert_allclose(p.grad.detach().numpy(), tp.grad.numpy(), rtol=1e-12)

    u1, u2 = (mg.zeros(2, dtype=mg.float64, requires_grad=True) for _ in range(2))
    shared = np.array([3.0, 4.0])
    u1.grad, u2.grad = mg.from_numpy(shared), mg.from_numpy(shared)  # one array
    assert clip_grad_norm_([u1, u2], 1.0).item() == pytest.approx(math.sqrt(50))
    for u in (u1, u2):
        np.testing.assert_allclose(u.grad.numpy(), np.array([3.0, 4.0]) / (math.sqrt(50) + 1e-6))

    x = mg.tensor(np.array(2.0), requires_grad=True)
    (x * x).backward()
    clip_grad_value_(x, 1.5)
    assert isinstance(x.grad._data, np.ndarray) and x.grad.item() == 1.5

    v = mg.ones((2, 3), requires_grad=True)
    v.sum().backward()
    v.grad._data = np.broadcast_to(np.float32(4.0), (2, 3))  # a read-only view
    clip_grad_norm_(v, 1.0)
    np.testing.assert_allclose(v.grad.numpy(), 4.0 / (np.sqrt(6 * 16) + 1e-6), rtol=1e-6)


def test_clip_grad_norm_on_a_module_then_a_step():
    mg.manual_seed(0)
    net = nn.Linear(4, 3)
    (net(mg.randn(8, 4)) ** 2).sum().backward()
    total = clip_grad_norm_(net.parameters(), max_norm=0.25)
    assert total.item() > 0.25
    after = np.sqrt(sum((p.grad.numpy().astype(np.float64) ** 2).sum() for p in net.parameters()))
    assert after == pytest.approx(0.25, rel=1e-5)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("clip_value", [0.3, 2.0, 0])
def test_clip_grad_value_matches_torch(clip_value, dtype):
    torch = torch_or_skip()
    grads = _random_grads(1) + [np.array([np.nan, np.inf, -np.inf, 0.0, -0.3]), None]
    ps, tps = _pairs(torch, grads, dtype)
    before = [p.grad for p in ps]
    assert clip_grad_value_(ps, clip_value) is None
    torch.nn.utils.clip_grad_value_(tps, clip_value)
    _assert_grads_match(ps, tps, 0)
    assert [p.grad for p in ps] == before

    p, tp = _pairs(torch, [np.array([-5.0, 0.1, 5.0])], dtype)
    clip_grad_value_(p[0], clip_value, foreach=True)
    torch.nn.utils.clip_grad_value_(tp[0], clip_value)
    _assert_grads_match(p, tp, 0)


def test_empty_gradients_count_as_zero_but_have_no_inf_norm():
    torch = torch_or_skip()
    grads = [np.zeros((0, 3)), np.full(2, 3.0)]
    ps, tps = _pairs(torch, grads)
    total = clip_grad_norm_(ps, 1.0)
    expected = torch.nn.utils.clip_grad_norm_(tps, 1.0)
    np.testing.assert_allclose(total.numpy(), expected.numpy(), rtol=1e-12)
    _assert_grads_match(ps, tps, 1e-12)
    assert ps[0].grad.shape == (0, 3)
    with pytest.raises(RuntimeError, match="clip_grad_norm_: the inf norm of an empty gradient"):
        clip_grad_norm_(ps, 1.0, norm_type="inf")
    with pytest.raises(RuntimeError, match="infinity norm on an empty tensor"):
        torch.nn.utils.clip_grad_norm_(tps, 1.0, norm_type="inf")
