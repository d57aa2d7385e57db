"""The training steps at the top of the jobs: train.gan's d_step and g_step on tiny MLPs,
for every objective (each trains its own network only, and returns what the objective
computes on D's scores), and train.metric's triplet and pair losses and step. And each
job builds its argument parser once."""

import numpy as np
import pytest

import minigrad as mg
from models.embedding import EmbeddingNet
from models.losses import OBJECTIVES
from models.mining import MINERS
from models.mlp_gan import MLPDiscriminator, MLPGenerator
from models.siamese import contrastive_loss
from models.triplet import triplet_loss
from train import gan, metric


def _nets(obj):
    mg.manual_seed(0)
    G, D = MLPGenerator(2, (8,), 2, tanh=False), MLPDiscriminator(2, (8,))
    opt_g = mg.optim.SGD(G.parameters(), lr=0.1)
    opt_d = mg.optim.SGD(D.parameters(), lr=0.1)
    return G, D, opt_g, opt_d


def _values(net):
    return [p.detach().numpy().copy() for p in net.parameters()]


def _changed(before, net):
    return [
        not np.array_equal(a, p.detach().numpy())
        for a, p in zip(before, net.parameters(), strict=True)
    ]


@pytest.mark.parametrize("name", list(OBJECTIVES))
def test_d_step_trains_d_alone(name):
    obj = OBJECTIVES[name]
    G, D, _, opt_d = _nets(obj)
    real, z = mg.randn(16, 2), mg.randn(16, 2)
    g0, d0 = _values(G), _values(D)
    with mg.no_grad():
        want = obj.d_loss(D(real), D(G(z))).item()
    loss, d_real, d_fake = gan.d_step(G, D, opt_d, obj, real, z)
    assert d_real.shape == d_fake.shape == (16, 1)
    if not obj.gp_weight:  # the penalty draws its own interpolates on top
        assert loss.item() == pytest.approx(want, rel=1e-5)
    assert not any(_changed(g0, G)) and all(p.grad is None for p in G.parameters())
    assert any(_changed(d0, D))  # (a critic's last bias gets no gradient: it cancels)
    if obj.clip:
        assert max(np.abs(p.detach().numpy()).max() for p in D.parameters()) <= obj.clip


@pytest.mark.parametrize("name", list(OBJECTIVES))
def test_g_step_trains_g_alone(name):
    obj = OBJECTIVES[name]
    G, D, opt_g, _ = _nets(obj)
    z = mg.randn(16, 2)
    g0, d0 = _values(G), _values(D)
    with mg.no_grad():
        want = obj.g_loss(D(G(z))).item()
    loss = gan.g_step(G, D, opt_g, obj, z)
    assert loss.item() == pytest.approx(want, rel=1e-5)
    assert all(_changed(g0, G))
    assert not any(_changed(d0, D)) and all(p.grad is None for p in D.parameters())
    assert all(p.requires_grad for p in D.parameters())


def test_g_step_gives_d_its_gradients_back_when_the_loss_fails():
    G, D, opt_g, _ = _nets(OBJECTIVES["nonsaturating"])

    class Broken:
        def g_loss(self, fake):
            raise FloatingPointError("g_loss failed")

    with pytest.raises(FloatingPointError, match="g_loss failed"):
        gan.g_step(G, D, opt_g, Broken(), mg.randn(4, 2))
    assert all(p.requires_grad for p in D.parameters())


def test_instance_noise_reaches_both_steps():
    """noise_std blurs what D sees in the D step and in the G step, real and fake alike."""
    obj = OBJECTIVES["lsgan"]
    G, D, opt_g, opt_d = _nets(obj)
    seen = []

    def spy(x):
        seen.append(x.detach().numpy().copy())
        return D(x)

    spy.requires_grad_ = D.requires_grad_
    spy.parameters = D.parameters
    real, z = mg.zeros(4000, 2), mg.randn(4000, 2)
    with mg.no_grad():
        fake = G(z).numpy()  # the D step leaves G as it is
    gan.d_step(G, spy, opt_d, obj, real, z, noise_std=0.5)
    gan.g_step(G, spy, opt_g, obj, z, noise_std=0.5)
    assert len(seen) == 3  # real and fake in the D step, fake in the G step
    assert seen[0].std() == pytest.approx(0.5, rel=0.05)  # zeros, blurred
    for x in seen[1:]:
        assert (x - fake).std() == pytest.approx(0.5, rel=0.05)


def _digits(n):
    mg.manual_seed(1)
    return mg.randn(n, 1, 28, 28), np.repeat(np.arange(n // 4), 4)


@pytest.mark.parametrize("mining", list(MINERS))
def test_triplet_losses_are_the_mined_triplets_losses(mining):
    net = EmbeddingNet(embedding_dim=8, channels=4, normalize=True).eval()
    x, labels = _digits(16)
    mg.manual_seed(2)  # the random miner draws the same triplets twice
    per, count = metric.triplet_losses(net, x, labels, mining, 0.5)
    emb = net(x)
    mg.manual_seed(2)
    triplets = MINERS[mining](emb, labels, margin=0.5)
    want = triplet_loss(emb, triplets, 0.5, normalize=False, reduction="none")
    assert count == len(triplets[0]) == per.shape[0]
    np.testing.assert_allclose(per.detach().numpy(), want.detach().numpy(), rtol=1e-6)


def test_pair_losses_embed_both_halves_in_one_pass():
    """x holds the pairs' first images, then their second: in eval mode one pass over x
    gives the losses of the halves embedded apart."""
    net = EmbeddingNet(embedding_dim=8, channels=4).eval()
    x, _ = _digits(12)
    same = np.array([1, 0, 1, 1, 0, 0])
    per, count = metric.pair_losses(net, x, same, 1.0, "squared")
    want = contrastive_loss(net(x[:6]), net(x[6:]), same, 1.0, "squared", reduction="none")
    assert count == 6
    np.testing.assert_allclose(per.detach().numpy(), want.detach().numpy(), rtol=1e-5)


def test_metric_step_on_no_triplets_is_zero():
    net = EmbeddingNet(embedding_dim=8, channels=4)
    opt = mg.optim.SGD(net.parameters(), lr=0.1)
    before = _values(net)
    x = net(_digits(4)[0])
    loss = metric.step(opt, (x * 0).sum(1)[:0], 0)  # an empty batch of losses
    assert loss.item() == 0.0
    assert not any(_changed(before, net))


def count_parsers(monkeypatch, job):
    """A list that gains an item each time `job.build_parser` is called."""
    built = []
    real = job.build_parser

    def counted():
        built.append(1)
        return real()

    monkeypatch.setattr(job, "build_parser", counted)
    return built


@pytest.mark.parametrize("resume", [False, True])
def test_gan_builds_its_parser_once(tmp_path, monkeypatch, resume):
    built = count_parsers(monkeypatch, gan)
    monkeypatch.setattr(gan.common, "scatter_plot", lambda *a, **k: None)
    monkeypatch.setattr(gan.common, "plot_curves", lambda *a, **k: None)
    run = str(tmp_path / "run")
    argv = ["--dataset", "ring", "--hidden", "8", "--layers", "1", "--batch-size", "16"]
    argv += ["--steps-per-epoch", "2", "--epochs", "1", "--eval-samples", "0", "--out", run]
    if resume:
        assert gan.main(argv) == 0
        built.clear()
        argv = ["--resume", run, "--epochs", "2"]
    assert gan.main(argv) == 0
    assert len(built) == 1


def test_metric_builds_its_parser_once(tmp_path, monkeypatch):
    built = count_parsers(monkeypatch, metric)
    argv = ["--model", "siamese", "--dry-run", "--device", "cpu", "--out", str(tmp_path / "r")]
    assert metric.main(argv) == 0
    assert len(built) == 1
