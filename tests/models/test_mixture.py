"""MixtureLatent: each latent's component is the quantile bin of its first coordinate (so
every component is equally likely), the generator sees z + mu_k, and the means learn from
the generator's input gradient."""

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from models.dcgan import Generator28
from models.mixture import MixtureLatent


def _mix(k=5, nz=3, spread=2.0, seed=0):
    mg.manual_seed(seed)
    return MixtureLatent(nn.Linear(nz, 4), nz, k, spread)


def test_components_are_equally_likely_quantile_bins():
    m = _mix(k=8)
    z = mg.tensor(np.random.default_rng(0).standard_normal((80_000, 3)))
    counts = np.bincount(m.component(z).numpy(), minlength=8)
    assert counts.sum() == 80_000 and len(counts) == 8
    # 10,000 expected per component, binomial std ~94: 5 std either way
    assert np.abs(counts - 10_000).max() < 470, counts


def test_component_edges_ties_and_infinities():
    m = _mix(k=4)  # quantile edges of N(0, 1) at 1/4, 2/4, 3/4: -0.674, 0, 0.674
    edges = m._edges
    assert edges[1] == 0.0 and np.allclose(edges, [-0.6744897501960817, 0, 0.6744897501960817])
    z0 = np.array([-np.inf, -1.0, edges[0], -0.0, 0.0, 0.5, edges[2], 9.0, np.inf])
    z = mg.tensor(np.stack([z0, np.zeros_like(z0), np.zeros_like(z0)], 1))
    # a latent on an edge belongs to the bin above it, -0.0 equals 0.0
    assert m.component(z).numpy().tolist() == [0, 0, 1, 2, 2, 2, 3, 3, 3]
    assert m.component(z).dtype == mg.int64 and not m.component(z).requires_grad


def test_forward_is_the_generator_at_z_plus_the_components_mean():
    m = _mix(k=5, nz=3)
    z = mg.tensor(np.random.default_rng(1).standard_normal((64, 3)), dtype=mg.float32)
    k = m.component(z).numpy()
    shifted = z.numpy() + m.means.detach().numpy()[k]
    expect = m.generator(mg.tensor(shifted)).detach().numpy()
    np.testing.assert_allclose(m(z).detach().numpy(), expect, rtol=1e-6, atol=1e-6)


def test_means_get_the_summed_input_gradient_of_their_latents_only():
    m = _mix(k=6, nz=3)
    z = mg.tensor(np.random.default_rng(2).standard_normal((5, 3)), dtype=mg.float32)
    k = m.component(z).numpy()
    m(z).sum().backward()
    # d(sum of Linear(x)) / dx is the column sums of its weight, for every latent
    per_latent = m.generator.weight.detach().numpy().sum(0)
    expect = np.zeros((6, 3), np.float32)
    for c in k:
        expect[c] += per_latent
    np.testing.assert_allclose(m.means.grad.numpy(), expect, rtol=1e-5, atol=1e-6)
    assert (m.means.grad.numpy()[np.setdiff1d(np.arange(6), k)] == 0).all()


def test_gradcheck_in_the_means_and_the_latents_away_from_the_edges():
    m = _mix(k=3, nz=2)
    m.double()
    z = np.random.default_rng(3).standard_normal((4, 2))
    z[:, 0] = [-2.0, -1.5, 0.1, 1.7]  # bins 0, 0, 1, 2; edges at -0.43 and 0.43
    zt = mg.tensor(z, dtype=mg.float64, requires_grad=True)

    def f(z, means):
        k = m.component(z)
        return m.generator(z + means[k]).tanh()

    assert mg.gradcheck(f, (zt, m.means))


def test_state_dict_round_trip_and_spread():
    m = MixtureLatent(Generator28(100), 100, 50, 2.0)
    means = m.means.detach().numpy()
    assert means.shape == (50, 100) and 1.8 < means.std() < 2.2  # N(0, 2^2) draws
    other = MixtureLatent(Generator28(100), 100, 50, 2.0)
    other.load_state_dict(m.state_dict())
    m.eval(), other.eval()
    z = mg.randn(6, 100)
    np.testing.assert_array_equal(m(z).detach().numpy(), other(z).detach().numpy())


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(components=1, spread=1.0), "components must be >= 2, got 1"),
        (dict(components=0, spread=1.0), "components must be >= 2, got 0"),
        (dict(components=4, spread=0.0), "spread must be > 0, got 0.0"),
        (dict(components=4, spread=float("nan")), "spread must be > 0, got nan"),
    ],
)
def test_bad_settings_are_refused_by_name(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MixtureLatent(nn.Linear(3, 2), 3, **kwargs)


def test_latents_of_the_wrong_shape_are_refused():
    m = _mix(k=4, nz=3)
    for bad in (mg.randn(5, 2), mg.randn(3), mg.randn(2, 3, 1)):
        with pytest.raises(ValueError, match=r"expected latents \(N, 3\), got"):
            m(bad)


def test_an_empty_batch_gives_an_empty_batch():
    m = _mix(k=4, nz=3)
    assert m(mg.zeros(0, 3)).shape == (0, 4)
