"""GAN models: output shapes, one step of each objective lowers it, and the gradient
penalty's gradient against finite differences."""

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from models.cgan import ConditionalDiscriminator, ConditionalGenerator
from models.dcgan import Discriminator, Discriminator28, Generator, Generator28
from models.losses import OBJECTIVES
from models.mlp_gan import ImageMLPGenerator, MLPDiscriminator, MLPGenerator
from models.pacgan import Packed
from models.wgan import clip_weights_, gradient_penalty


def test_mlp_shapes():
    z = mg.randn(5, 100)
    assert ImageMLPGenerator(100, (32, 32))(z).shape == (5, 1, 28, 28)
    assert MLPDiscriminator(784, (32, 32))(mg.randn(5, 1, 28, 28)).shape == (5, 1)
    g = MLPGenerator(2, (16, 16, 16), 2, tanh=False)
    assert g(mg.randn(7, 2)).shape == (7, 2)
    assert MLPDiscriminator(2, (16,))(mg.randn(7, 2)).shape == (7, 1)


def test_dcgan28_shapes_and_init():
    G, D = Generator28(), Discriminator28()
    x = G(mg.randn(4, 100))
    assert x.shape == (4, 1, 28, 28)
    assert float(x.abs().amax().item()) <= 1.0
    assert D(x).shape == (4, 1)
    w = D.net[0].weight.detach().numpy()
    assert abs(w.std() - 0.02) < 0.004 and abs(w.mean()) < 0.004  # N(0, 0.02)
    names = [type(m).__name__ for m in D.net]
    assert names[0] == "Conv2d" and "BatchNorm2d" not in names[:2]  # no BN on D's input
    assert [type(m).__name__ for m in G.net][-2:] == ["ConvTranspose2d", "Tanh"]


@pytest.mark.parametrize("batchnorm", [True, False])
def test_discriminator28_depth3_equals_the_same_torch_network(batchnorm):
    """depth=3: a third strided conv (3x3, 128 -> 256 channels, 7x7 -> 4x4) before the
    linear layer; the same layers in PyTorch with the same weights give the same scores
    and input gradients (batch norm in train mode)."""
    torch = pytest.importorskip("torch")
    mg.manual_seed(0)
    D = Discriminator28(channels=2, ndf=4, batchnorm=batchnorm, depth=3)
    T = torch.nn
    norm = (lambda c: T.BatchNorm2d(c)) if batchnorm else (lambda c: T.Identity())
    Dt = T.Sequential(
        T.Conv2d(2, 4, 4, 2, 1), T.LeakyReLU(0.2),
        T.Conv2d(4, 8, 4, 2, 1), norm(8), T.LeakyReLU(0.2),
        T.Conv2d(8, 16, 3, 2, 1), norm(16), T.LeakyReLU(0.2),
        T.Flatten(), T.Linear(16 * 4 * 4, 1),
    )  # fmt: skip
    ours = dict(D.named_parameters())
    theirs = dict(Dt.named_parameters())
    assert sorted(k.removeprefix("net.") for k in ours) == sorted(theirs)
    with torch.no_grad():
        for k, pt in theirs.items():
            pt.copy_(torch.from_numpy(ours["net." + k].detach().numpy()))
    x = np.random.default_rng(0).standard_normal((5, 2, 28, 28)).astype(np.float32)
    xm = mg.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    y, yt = D(xm), Dt(xt)
    assert y.shape == (5, 1)
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=1e-4, atol=1e-6)
    y.sum().backward()
    yt.sum().backward()
    np.testing.assert_allclose(xm.grad.numpy(), xt.grad.numpy(), rtol=1e-4, atol=1e-7)
    assert "depth=3" in repr(D)


def test_discriminator28_depth_is_2_or_3():
    assert Discriminator28().depth == 2 and len(Discriminator28().net) == 7
    for depth in (0, 1, 4):
        with pytest.raises(ValueError, match=f"Discriminator28: depth must be 2 or 3, got {depth}"):
            Discriminator28(depth=depth)


@pytest.mark.parametrize("size", [32, 64])
def test_dcgan_folder_shapes(size):
    G = Generator(nz=16, channels=3, ngf=8, image_size=size)
    D = Discriminator(channels=3, ndf=8, image_size=size)
    x = G(mg.randn(2, 16))
    assert x.shape == (2, 3, size, size)
    assert D(x).shape == (2, 1)


def test_dcgan_rejects_other_sizes():
    with pytest.raises(ValueError, match="image_size must be 32 or 64"):
        Generator(image_size=48)


def test_cgan_shapes_and_conditioning():
    G, D = ConditionalGenerator(nz=8, ngf=8), ConditionalDiscriminator(ndf=8)
    G.eval()
    z = mg.randn(3, 8)
    with mg.no_grad():
        a = G(z, mg.tensor([1, 1, 1])).numpy()
        b = G(z, mg.tensor([7, 7, 7])).numpy()
    assert a.shape == (3, 1, 28, 28) and not np.allclose(a, b)  # the label matters
    assert D(mg.tensor(a), mg.tensor([1, 2, 3])).shape == (3, 1)


def _toy_nets():
    mg.manual_seed(1)
    return MLPGenerator(2, (16, 16), 2, tanh=False), MLPDiscriminator(2, (16, 16))


@pytest.mark.parametrize("name", sorted(OBJECTIVES))
def test_one_step_lowers_each_objective(name):
    obj = OBJECTIVES[name]
    G, D = _toy_nets()
    real = mg.randn(64, 2) * 0.5 + 1.0
    z = mg.randn(64, 2)
    opt_cls = mg.optim.RMSprop if obj.optimizer == "rmsprop" else mg.optim.Adam
    lr = 1e-3

    def d_objective():
        with mg.no_grad():
            fake = G(z)
        loss = obj.d_loss(D(real), D(fake))
        if obj.gp_weight:
            mg.manual_seed(5)
            loss = loss + gradient_penalty(D, real, fake, obj.gp_weight)
        return loss

    opt = opt_cls(D.parameters(), lr=lr)
    before = d_objective()
    opt.zero_grad()
    before.backward()
    opt.step()
    assert d_objective().item() < before.item()

    def g_objective():
        return obj.g_loss(D(G(z)))

    opt = opt_cls(G.parameters(), lr=lr)
    before = g_objective()
    opt.zero_grad()
    before.backward()
    opt.step()
    assert g_objective().item() < before.item()


def test_objective_values_by_hand():
    real, fake = mg.tensor([[2.0]]), mg.tensor([[-1.0]])
    sp = lambda v: float(np.log1p(np.exp(v)))  # noqa: E731
    assert OBJECTIVES["nonsaturating"].d_loss(real, fake).item() == pytest.approx(sp(-2) + sp(-1))
    assert OBJECTIVES["nonsaturating"].g_loss(fake).item() == pytest.approx(sp(1))
    assert OBJECTIVES["minimax"].g_loss(fake).item() == pytest.approx(-sp(-1))  # log(1 - D)
    assert OBJECTIVES["lsgan"].d_loss(real, fake).item() == pytest.approx(0.5 * 1 + 0.5 * 1)
    assert OBJECTIVES["wgan"].d_loss(real, fake).item() == pytest.approx(-3.0)
    assert OBJECTIVES["wgan-gp"].g_loss(fake).item() == pytest.approx(1.0)


def test_one_sided_label_smoothing_by_hand():
    real, fake = mg.tensor([[2.0]]), mg.tensor([[-1.0]])
    sp = lambda v: float(np.log1p(np.exp(v)))  # noqa: E731
    ns = OBJECTIVES["nonsaturating"]
    # -[0.9 log D(x) + 0.1 log(1 - D(x))] - log(1 - D(G(z))); fakes keep target 0
    want = 0.9 * sp(-2) + 0.1 * sp(2) + sp(-1)
    assert ns.d_loss(real, fake, real_label=0.9).item() == pytest.approx(want)
    assert ns.d_loss(real, fake, real_label=1.0).item() == pytest.approx(sp(-2) + sp(-1))
    assert OBJECTIVES["lsgan"].d_loss(real, fake, 0.9).item() == pytest.approx(
        0.5 * 1.1**2 + 0.5 * 1
    )
    # the smoothed loss is minimised at D(x) = 0.9, not at D(x) -> 1
    logits = mg.tensor(np.log(0.9 / 0.1), requires_grad=True)
    ns.d_loss(logits.reshape(1, 1), fake, real_label=0.9).backward()
    assert abs(float(logits.grad.item())) < 1e-6
    with pytest.raises(ValueError, match="label smoothing"):
        OBJECTIVES["wgan"].d_loss(real, fake, real_label=0.9)


def test_weight_clipping():
    D = MLPDiscriminator(2, (8,))
    clip_weights_(D, 0.01)
    assert all(float(p.abs().amax().item()) <= 0.01 for p in D.parameters())


def test_gradient_penalty_gradcheck():
    """The penalty's gradient w.r.t. the critic's weights (a second derivative through
    the critic) against central finite differences, in float64."""
    mg.manual_seed(0)
    critic = nn.Sequential(
        nn.Linear(3, 4), nn.LeakyReLU(0.2), nn.Linear(4, 4), nn.Tanh(), nn.Linear(4, 1)
    ).double()
    real = mg.randn(5, 3, dtype=mg.float64)
    fake = mg.randn(5, 3, dtype=mg.float64)

    def penalty(*params):
        mg.manual_seed(3)  # the same interpolates at every evaluation
        return gradient_penalty(critic, real, fake)

    assert mg.gradcheck(penalty, list(critic.parameters()), atol=1e-6, rtol=1e-4)


def test_gradient_penalty_conv_critic_gradcheck():
    """Through conv, LeakyReLU and linear layers, as in the DCGAN critic."""
    mg.manual_seed(0)
    critic = nn.Sequential(
        nn.Conv2d(1, 2, 3, 2, 1), nn.LeakyReLU(0.2), nn.Flatten(), nn.Linear(2 * 3 * 3, 1)
    ).double()
    real = mg.randn(2, 1, 6, 6, dtype=mg.float64)
    fake = mg.randn(2, 1, 6, 6, dtype=mg.float64)

    def penalty(*params):
        mg.manual_seed(3)
        return gradient_penalty(critic, real, fake)

    assert mg.gradcheck(penalty, list(critic.parameters()), atol=1e-6, rtol=1e-4)


def test_packed_discriminator_groups_consecutive_samples():
    """A pack of m samples is scored as one input: (N, F) -> (N/m, m*F) for points and
    (N, C, H, W) -> (N/m, m*C, H, W) for images, members in batch order."""
    mg.manual_seed(0)
    D = MLPDiscriminator(2 * 3, (8,))
    x = mg.randn(6, 2)
    out = Packed(D, 3)(x)
    assert out.shape == (2, 1)
    by_hand = D(mg.tensor(x.numpy().reshape(2, 6)))
    np.testing.assert_allclose(out.detach().numpy(), by_hand.detach().numpy(), rtol=1e-6)
    conv = Packed(Discriminator28(2), 2)
    assert conv(mg.randn(4, 1, 28, 28)).shape == (2, 1)
    assert conv.D.net[0].weight.shape == (64, 2, 4, 4)
    with pytest.raises(ValueError, match=r"batch of 5 samples.*packs of 3"):
        Packed(D, 3)(mg.randn(5, 2))


def test_gradient_penalty_packed_is_per_pack():
    """With a packed critic the norm is over each pack's gradient (the critic's input)."""
    mg.manual_seed(0)
    D = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1)).double()
    real = mg.randn(6, 2, dtype=mg.float64)
    fake = mg.randn(6, 2, dtype=mg.float64)
    mg.manual_seed(3)
    got = gradient_penalty(Packed(D, 2), real, fake, 10.0, pack=2)
    mg.manual_seed(3)  # the same interpolation weights, on the packed inputs by hand
    eps = mg.rand(6, 1, dtype=mg.float64)
    x = (eps * real + (1 - eps) * fake).reshape(3, 4).detach().requires_grad_()
    (g,) = mg.grad(D(x).sum(), x)
    want = 10.0 * ((np.linalg.norm(g.numpy(), axis=1) - 1) ** 2).mean()
    np.testing.assert_allclose(float(got.item()), want, rtol=1e-10)
