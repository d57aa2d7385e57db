"""R1, the zero-centred gradient penalty on D's real inputs: its value and its gradient
with respect to D's weights (a second derivative through D) against PyTorch and finite
differences, packs, and the edges (a D flat in its input, a batch that packs unevenly)."""

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from models.dcgan import Discriminator28
from models.losses import r1_penalty
from models.pacgan import Packed


def _d(double: bool = True) -> nn.Module:
    """Conv, batch norm (train mode: the samples are coupled), LeakyReLU and linear."""
    mg.manual_seed(0)
    D = nn.Sequential(
        nn.Conv2d(2, 3, 3, 2, 1),
        nn.BatchNorm2d(3),
        nn.LeakyReLU(0.2),
        nn.Flatten(),
        nn.Linear(3 * 3 * 3, 1),
    )
    return D.double() if double else D


def _penalty(D, real, gamma=1.0, pack=1):
    x = real.detach().requires_grad_()
    return r1_penalty(x, D(x), gamma, pack)


def test_r1_gradcheck_through_conv_batchnorm():
    D = _d()
    real = mg.randn(4, 2, 6, 6, dtype=mg.float64)
    assert mg.gradcheck(lambda *p: _penalty(D, real, 3.0), list(D.parameters()), atol=1e-6)


def test_r1_matches_torch():
    torch = pytest.importorskip("torch")
    D = _d(double=False)
    real = np.random.default_rng(1).standard_normal((4, 2, 6, 6)).astype(np.float32)
    Dt = torch.nn.Sequential(
        torch.nn.Conv2d(2, 3, 3, 2, 1),
        torch.nn.BatchNorm2d(3),
        torch.nn.LeakyReLU(0.2),
        torch.nn.Flatten(),
        torch.nn.Linear(27, 1),
    )
    with torch.no_grad():
        for pt, p in zip(Dt.parameters(), D.parameters(), strict=True):
            pt.copy_(torch.from_numpy(p.detach().numpy()))
    loss = _penalty(D, mg.tensor(real), 10.0)
    loss.backward()
    xt = torch.tensor(real, requires_grad=True)
    (g,) = torch.autograd.grad(Dt(xt).sum(), xt, create_graph=True)
    want = 10.0 / 2 * g.pow(2).reshape(4, -1).sum(1).mean()
    want.backward()
    np.testing.assert_allclose(float(loss.item()), float(want.detach()), rtol=1e-5)
    reached = 0
    for pt, p in zip(Dt.parameters(), D.parameters(), strict=True):
        # the last bias does not enter grad_x D, and batch norm cancels the conv bias and
        # leaves its shift only in LeakyReLU's kinks: no gradient (None) or zeros
        want_g = np.zeros(tuple(pt.shape)) if pt.grad is None else pt.grad.numpy()
        got_g = np.zeros(p.shape) if p.grad is None else p.grad.numpy()
        np.testing.assert_allclose(got_g, want_g, rtol=1e-4, atol=1e-6)
        reached += bool(np.abs(want_g).max() > 1e-3)
    assert reached == 3  # the conv weight, batch norm's scale, the linear weight


def test_r1_packed_is_per_pack():
    """With a packed D each input is a pack, so each pack's squared norm counts once: the
    mean over 2 packs of 2 is twice the mean over 4 single samples."""
    mg.manual_seed(0)
    D = Packed(Discriminator28(2).double(), 2)
    real = mg.randn(4, 1, 28, 28, dtype=mg.float64).requires_grad_()
    got = r1_penalty(real, D(real), 2.0, pack=2)
    (g,) = mg.grad(D(real).sum(), real)
    per_pack = (g.numpy() ** 2).reshape(2, -1).sum(1)
    np.testing.assert_allclose(float(got.item()), per_pack.mean(), rtol=1e-10)
    with pytest.raises(ValueError, match="batch 4 is not a multiple of the pack 3"):
        r1_penalty(real, D(real), 2.0, pack=3)


def test_r1_zero_for_a_d_flat_in_its_input():
    """A D whose score does not depend on x: no penalty and no gradient to its weights."""
    D = nn.Sequential(nn.Flatten(), nn.Linear(4, 1)).double()
    with mg.no_grad():
        D[1].weight.zero_()
    real = mg.randn(3, 1, 2, 2, dtype=mg.float64)
    loss = _penalty(D, real, 5.0)
    loss.backward()
    assert float(loss.item()) == 0.0
    for p in D.parameters():  # unreached (None) or zero
        assert p.grad is None or not p.grad.numpy().any()


def test_r1_scales_with_gamma_and_keeps_the_real_batch_untouched():
    D = _d()
    real = mg.randn(4, 2, 6, 6, dtype=mg.float64)
    before = real.numpy().copy()
    a, b = _penalty(D, real, 1.0), _penalty(D, real, 4.0)
    np.testing.assert_allclose(float(b.item()), 4 * float(a.item()), rtol=1e-12)
    np.testing.assert_array_equal(real.numpy(), before)
    assert float(a.item()) > 0
