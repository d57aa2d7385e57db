"""smooth_l1_loss's and huber_loss's terms as one node (nn/functional.py's SquareOrLinear):
the forward's bits against the composite of ops (the same code with the node switched
off), the gradient's against PyTorch's (its order, gy d / beta, at tiny betas and
subnormal differences too), the recorded backward's against the first-order one, second
derivatives against the composite's."""

import numpy as np
import pytest
from op_cases import torch_or_skip

import minigrad as mg
import minigrad.nn.functional as F
from minigrad.nn.functional import SquareOrLinear

EDGE = [0.0, -0.0, 0.5, -0.5, 1.0, -1.0, 1e-40, -1e-40, 2.0, -3.0, np.inf, -np.inf, np.nan, 0.25]


def _inputs(dtype, n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(n) * 2).astype(dtype)
    t = (rng.standard_normal(n) * 2).astype(dtype)
    x[: len(EDGE)] = EDGE
    t[: len(EDGE)] = 0.0
    t[len(EDGE)] = x[len(EDGE)]  # a difference of exactly 0 from two nonzero values
    return x, t


def _run(fn, x, t, gy, create=False):
    tx = mg.tensor(x, requires_grad=True)
    tt = mg.tensor(t, requires_grad=True)
    y = fn(tx, tt)
    gx, gt = mg.autograd.grad(y, (tx, tt), mg.tensor(gy), create_graph=create)
    return y, gx, gt


def _bits(a):
    a = np.asarray(a.detach().numpy() if hasattr(a, "detach") else a)
    return a.view(np.uint32 if a.dtype == np.float32 else np.uint64)


LOSSES = [
    ("smooth_l1", lambda x, t: F.smooth_l1_loss(x, t, reduction="none")),
    ("smooth_l1 beta 0.5", lambda x, t: F.smooth_l1_loss(x, t, reduction="none", beta=0.5)),
    ("smooth_l1 beta 1e-30", lambda x, t: F.smooth_l1_loss(x, t, reduction="none", beta=1e-30)),
    ("smooth_l1 beta inf", lambda x, t: F.smooth_l1_loss(x, t, reduction="none", beta=np.inf)),
    ("huber", lambda x, t: F.huber_loss(x, t, reduction="none")),
    ("huber delta 0.3", lambda x, t: F.huber_loss(x, t, reduction="none", delta=0.3)),
]


TORCH_LOSSES = {  # LOSSES' PyTorch twins, by name
    "smooth_l1": lambda F: lambda x, t: F.smooth_l1_loss(x, t, reduction="none"),
    "smooth_l1 beta 0.5": lambda F: lambda x, t: F.smooth_l1_loss(x, t, reduction="none", beta=0.5),
    "smooth_l1 beta 1e-30": lambda F: (
        lambda x, t: F.smooth_l1_loss(x, t, reduction="none", beta=1e-30)
    ),
    "smooth_l1 beta inf": lambda F: (
        lambda x, t: F.smooth_l1_loss(x, t, reduction="none", beta=float("inf"))
    ),
    "huber": lambda F: lambda x, t: F.huber_loss(x, t, reduction="none"),
    "huber delta 0.3": lambda F: lambda x, t: F.huber_loss(x, t, reduction="none", delta=0.3),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,fn", LOSSES)
def test_forward_is_the_composites_bits_gradient_pytorchs(name, fn, dtype, monkeypatch):
    torch = torch_or_skip()
    x, t = _inputs(dtype)
    x[-3:] = [1e-45, -3e-45, 5e-31] if dtype == np.float32 else [5e-324, -1e-323, 5e-31]
    gy = np.cos(np.arange(x.size)).astype(dtype)
    gy[3], gy[-1] = -0.0, 1e10  # a negative zero gradient; a large one at a tiny d
    y1, gx1, gt1 = _run(fn, x, t, gy)
    assert isinstance(y1.grad_fn, SquareOrLinear)
    _, gx_rec, gt_rec = _run(fn, x, t, gy, create=True)  # the recorded backward's bits
    for a, b in ((gx1, gx_rec), (gt1, gt_rec)):
        np.testing.assert_array_equal(_bits(a), _bits(b))
    px, pt = torch.tensor(x, requires_grad=True), torch.tensor(t, requires_grad=True)
    py = TORCH_LOSSES[name](torch.nn.functional)(px, pt)
    py.backward(torch.tensor(gy))
    fin = np.isfinite(x) & np.isfinite(py.detach().numpy())
    np.testing.assert_array_equal(y1.detach().numpy()[fin], py.detach().numpy()[fin])
    ours, theirs = gx1.numpy(), px.grad.numpy()
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
    num = ~np.isnan(ours)
    np.testing.assert_array_equal(ours[num], theirs[num])  # every value, infinities too
    monkeypatch.setattr(SquareOrLinear, "handles", staticmethod(lambda d: False))
    y2, _, _ = _run(fn, x, t, gy)
    assert not isinstance(y2.grad_fn, SquareOrLinear)
    np.testing.assert_array_equal(_bits(y1), _bits(y2))


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_reductions_and_weight_match_torch(reduction):
    torch = torch_or_skip()
    x, t = _inputs(np.float32, seed=1)
    keep = np.isfinite(x)
    x, t = x[keep], t[keep]
    w = np.linspace(0.5, 2.0, x.size).astype(np.float32)
    cases = [
        (
            lambda a, b: F.smooth_l1_loss(a, b, reduction=reduction, beta=0.7),
            lambda a, b: torch.nn.functional.smooth_l1_loss(a, b, reduction=reduction, beta=0.7),
        ),
        (
            lambda a, b: F.huber_loss(a, b, reduction=reduction, delta=0.7, weight=mg.tensor(w)),
            lambda a, b: torch.nn.functional.huber_loss(
                a, b, reduction=reduction, delta=0.7, weight=torch.tensor(w)
            ),
        ),
    ]
    for ours, theirs in cases:
        tx, tt = mg.tensor(x, requires_grad=True), mg.tensor(t, requires_grad=True)
        px, pt = torch.tensor(x, requires_grad=True), torch.tensor(t, requires_grad=True)
        y, ty = ours(tx, tt), theirs(px, pt)
        np.testing.assert_allclose(y.item(), ty.item(), rtol=1e-5)
        y.backward()
        ty.backward()
        np.testing.assert_allclose(tx.grad.numpy(), px.grad.numpy(), rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(tt.grad.numpy(), pt.grad.numpy(), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name,fn", LOSSES[:2] + LOSSES[4:])
def test_second_derivatives_match_the_composite(name, fn, monkeypatch):
    x, t = _inputs(np.float64, n=20, seed=2)
    x, t = x[len(EDGE) :], t[len(EDGE) :]  # finite, off the kinks
    gy = np.sin(np.arange(x.size) + 1.0)

    def second():
        tx = mg.tensor(x, requires_grad=True)
        (g,) = mg.autograd.grad(fn(tx, mg.tensor(t)), tx, mg.tensor(gy), create_graph=True)
        (h,) = mg.autograd.grad((g * g).sum(), tx)
        return h.numpy()

    fused = second()
    monkeypatch.setattr(SquareOrLinear, "handles", staticmethod(lambda d: False))
    np.testing.assert_allclose(fused, second(), rtol=1e-12, atol=1e-14)
    monkeypatch.undo()
    args = (mg.tensor(x, requires_grad=True), mg.tensor(t, requires_grad=True))
    assert mg.gradcheck(fn, args)
    assert mg.gradgradcheck(fn, args)


def test_float16_zero_d_and_broadcast_targets():
    h = F.smooth_l1_loss(mg.tensor([0.5, 3.0], dtype=mg.float16), mg.zeros(2, dtype=mg.float16))
    assert h.dtype == mg.float16
    np.testing.assert_allclose(h.item(), (0.125 + 2.5) / 2)
    z = mg.tensor(0.25, requires_grad=True)
    y = F.smooth_l1_loss(z, mg.tensor(0.0), reduction="none")
    y.backward()
    assert y.shape == () and y.item() == 0.03125 and z.grad.item() == 0.25
    x = mg.tensor(np.array([[0.0, 2.0], [1.0, -4.0]], np.float32), requires_grad=True)
    with pytest.warns(UserWarning):  # PyTorch's warning for a target that broadcasts
        y = F.huber_loss(x, mg.tensor(np.float32([1.0, 0.0])), reduction="sum")
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[-1.0, 1.0], [0.0, -1.0]])
