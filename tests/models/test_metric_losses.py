"""Contrastive and triplet losses: hand-computed values, float64 gradchecks, no NaN at
zero embeddings, pair sampling, and a one-step smoke test of the embedding network."""

import numpy as np
import pytest

import minigrad as mg
from minigrad.nn import functional as F
from models.embedding import EmbeddingNet
from models.mining import semi_hard_triplets
from models.siamese import contrastive_loss, pair_distance, sample_pairs
from models.triplet import euclidean, squared_euclidean, triplet_loss


def _t(a, grad=False, dtype=np.float64):
    return mg.tensor(np.asarray(a, dtype=dtype), requires_grad=grad)


# ---------------------------------------------------------------------- contrastive
# pairs at distances 5 (same), 5 and 0.5 (different), margin 6
X1 = [[0.0, 0.0], [0.0, 0.0], [0.0, 0.0]]
X2 = [[3.0, 4.0], [3.0, 4.0], [0.3, 0.4]]
SAME = [1, 0, 0]


@pytest.mark.parametrize(
    ("form", "per_pair"),
    [("plain", [5.0, 1.0, 5.5]), ("squared", [25.0, 1.0, 30.25])],
)
def test_contrastive_matches_hand_values(form, per_pair):
    x1, x2 = _t(X1), _t(X2)
    none = contrastive_loss(x1, x2, SAME, margin=6.0, form=form, reduction="none")
    np.testing.assert_allclose(none.numpy(), per_pair)
    mean = contrastive_loss(x1, x2, SAME, margin=6.0, form=form)
    assert mean.item() == pytest.approx(np.mean(per_pair))
    total = contrastive_loss(x1, x2, SAME, margin=6.0, form=form, reduction="sum")
    assert total.item() == pytest.approx(np.sum(per_pair))


@pytest.mark.parametrize("form", ["plain", "squared"])
def test_contrastive_gradcheck(form):
    rng = np.random.default_rng(1)
    x1, x2 = _t(rng.normal(size=(6, 3)), True), _t(rng.normal(size=(6, 3)), True)
    same = np.array([1, 0, 1, 0, 1, 0])
    # a margin between the pair distances so both hinge sides are exercised, away from kinks
    d = pair_distance(x1.detach(), x2.detach()).numpy()
    margin = float(np.median(d)) + 1e-3
    assert np.abs(d - margin).min() > 1e-4
    assert mg.gradcheck(lambda a, b: contrastive_loss(a, b, same, margin, form), (x1, x2))


@pytest.mark.parametrize("form", ["plain", "squared"])
def test_contrastive_zero_pair_has_no_nan(form):
    x1, x2 = (
        mg.zeros(2, 4, dtype=np.float64, requires_grad=True),
        mg.zeros(2, 4, dtype=np.float64, requires_grad=True),
    )
    loss = contrastive_loss(x1, x2, [1, 0], margin=1.0, form=form, reduction="none")
    np.testing.assert_array_equal(loss.detach().numpy(), [0.0, 1.0])
    loss.sum().backward()
    for g in (x1.grad, x2.grad):
        assert np.isfinite(g.numpy()).all()
        np.testing.assert_array_equal(g.numpy(), 0.0)  # the norm's zero subgradient


def test_contrastive_rejects_unknown_form():
    with pytest.raises(ValueError, match="form"):
        contrastive_loss(_t(X1), _t(X2), SAME, form="cubed")


# ---------------------------------------------------------------------- triplet
# unit vectors: d^2(0, 1) = 0.8, d^2(0, 2) = 2, d^2(0, 3) = 4, d^2(1, 2) = 0.4
UNIT = [[1.0, 0.0], [0.6, 0.8], [0.0, 1.0], [-1.0, 0.0]]
TRIPLETS = (np.array([0, 0, 0]), np.array([1, 1, 2]), np.array([2, 3, 1]))
PER_TRIPLET = [0.0, 0.0, 2.0 - 0.8 + 0.2]


def test_triplet_matches_hand_values():
    emb = _t(UNIT)
    none = triplet_loss(emb, TRIPLETS, reduction="none")
    np.testing.assert_allclose(none.numpy(), PER_TRIPLET, atol=1e-12)
    assert triplet_loss(emb, TRIPLETS).item() == pytest.approx(1.4 / 3)  # mean by default
    assert triplet_loss(emb, TRIPLETS, reduction="sum").item() == pytest.approx(1.4)
    # the loss normalises: scaling the embeddings changes nothing
    assert triplet_loss(_t(UNIT) * 3.0, TRIPLETS).item() == pytest.approx(1.4 / 3)


def test_triplet_distance_is_pluggable():
    emb = _t(UNIT)
    # Euclidean: d(0, 2) = sqrt(2), d(0, 1) = sqrt(0.8)
    got = triplet_loss(emb, TRIPLETS, margin=0.1, distance=euclidean, reduction="none")
    np.testing.assert_allclose(got.numpy(), [0.0, 0.0, np.sqrt(2) - np.sqrt(0.8) + 0.1])


def test_triplet_gradcheck():
    rng = np.random.default_rng(2)
    emb = _t(rng.normal(size=(6, 3)), True)
    trip = (np.array([0, 1, 2, 3]), np.array([1, 0, 3, 2]), np.array([4, 5, 5, 4]))
    margin = 4.5  # squared distances on the unit sphere are <= 4: every hinge is active
    assert mg.gradcheck(lambda e: triplet_loss(e, trip, margin), (emb,))
    assert mg.gradcheck(lambda e: triplet_loss(e, trip, margin, distance=euclidean), (emb,))


def test_zero_vector_normalisation_has_no_nan():
    x = mg.zeros(3, 4, dtype=np.float64, requires_grad=True)
    y = F.normalize(x, dim=1)
    np.testing.assert_array_equal(y.detach().numpy(), 0.0)
    y.sum().backward()
    assert np.isfinite(x.grad.numpy()).all()

    emb = _t(np.vstack([np.zeros((1, 2)), UNIT]), True)  # row 0 is a zero embedding
    loss = triplet_loss(emb, (np.array([0, 1]), np.array([0, 2]), np.array([1, 0])))
    assert np.isfinite(loss.item())
    loss.backward()
    assert np.isfinite(emb.grad.numpy()).all()


def test_identical_rows_have_finite_gradients():
    a = mg.ones(2, 3, dtype=np.float64, requires_grad=True)
    for dist in (squared_euclidean, euclidean):
        a.grad = None
        dist(a, a.detach()).sum().backward()
        assert np.isfinite(a.grad.numpy()).all()


def test_triplet_loss_without_triplets_is_a_zero_in_the_graph():
    emb = _t(UNIT, True)
    empty = np.zeros(0, np.int64)
    loss = triplet_loss(emb, (empty, empty, empty))
    assert loss.item() == 0.0
    loss.backward()
    np.testing.assert_array_equal(emb.grad.numpy(), 0.0)


# ---------------------------------------------------------------------- pairs
def test_sample_pairs_is_balanced_and_valid():
    labels = np.repeat(np.arange(4), 5)
    anchors = mg.random.permutation(len(labels))
    partners, same = sample_pairs(labels, anchors)
    assert same.dtype == np.float32 and partners.dtype == np.int64
    assert same.sum() == len(anchors) / 2
    pos = same == 1
    assert (labels[partners[pos]] == labels[anchors[pos]]).all()
    assert (partners[pos] != anchors[pos]).all()
    assert (labels[partners[~pos]] != labels[anchors[~pos]]).all()


def test_sample_pairs_covers_candidates_and_is_seeded():
    labels = np.array([0, 0, 0, 1, 1, 2])
    anchors = np.zeros(400, np.int64)  # even: same class, odd: another class
    mg.manual_seed(3)
    partners, same = sample_pairs(labels, anchors)
    assert set(partners[same == 1]) == {1, 2}
    assert set(partners[same == 0]) == {3, 4, 5}
    mg.manual_seed(3)
    np.testing.assert_array_equal(sample_pairs(labels, anchors)[0], partners)


def test_sample_pairs_needs_a_partner_for_every_anchor():
    with pytest.raises(ValueError, match="class 1 has one item"):
        sample_pairs(np.array([0, 0, 1]), np.array([2, 0]))  # 2 needs a same-class partner
    with pytest.raises(ValueError, match="two classes"):
        sample_pairs(np.array([0, 0, 0]), np.array([0, 1]))


# ---------------------------------------------------------------------- the network
@pytest.mark.parametrize(
    ("hidden", "normalize", "head", "convs"),
    [
        (0, False, "flat", 1),
        (0, True, "flat", 1),
        (16, True, "flat", 1),
        (0, True, "pool", 1),
        (0, True, "flat", 2),
    ],
)
def test_embedding_net_one_step(hidden, normalize, head, convs):
    net = EmbeddingNet(
        embedding_dim=8, channels=4, hidden=hidden, normalize=normalize, head=head, convs=convs
    )
    assert sum(type(m).__name__ == "Conv2d" for m in net.net) == 2 * convs + (head == "pool")
    opt = mg.optim.Adam(net.parameters(), lr=1e-3)
    x = mg.randn(12, 1, 28, 28)
    labels = np.repeat(np.arange(3), 4)
    emb = net(x)
    assert emb.shape == (12, 8)
    if normalize:
        np.testing.assert_allclose(np.linalg.norm(emb.detach().numpy(), axis=1), 1.0, rtol=1e-5)
    loss = triplet_loss(emb, semi_hard_triplets(emb, labels), normalize=not normalize)
    opt.zero_grad()
    loss.backward()
    opt.step()
    assert all(np.isfinite(p.grad.numpy()).all() for p in net.parameters())


def test_embedding_net_rejects_unknown_head():
    with pytest.raises(ValueError, match="EmbeddingNet: head must be"):
        EmbeddingNet(head="gap")
    with pytest.raises(ValueError, match="convs per stage must be at least 1, got 0"):
        EmbeddingNet(convs=0)
    with pytest.raises(ValueError, match="retrieve must be one of output, features, got 'pool'"):
        EmbeddingNet(retrieve="pool")


@pytest.mark.parametrize(
    ("hidden", "head", "convs", "width"),
    [
        (0, "flat", 1, 2 * 4 * 7 * 7),
        (0, "flat", 2, 2 * 4 * 7 * 7),
        (16, "flat", 1, 16),
        (0, "pool", 1, 16),
    ],
)
def test_embedding_net_features_are_the_projections_input(hidden, head, convs, width):
    """`features` is the input of the last Linear, L2-normalised, for every head; `embed`
    returns it or the output as `retrieve` says."""
    mg.manual_seed(0)
    kw = {"embedding_dim": 8, "channels": 4, "hidden": hidden, "head": head, "convs": convs}
    net = EmbeddingNet(normalize=True, retrieve="features", **kw)
    assert net.feature_dim == width == net.embed_dim
    x = mg.randn(5, 1, 28, 28)
    seen = []
    last = list(net.net)[-1]
    assert type(last).__name__ == "Linear" and last.in_features == width
    handle = last.register_forward_pre_hook(lambda m, args: seen.append(args[0].detach().numpy()))
    out = net(x).detach().numpy()
    handle.remove()
    (h,) = seen
    expected = h / np.linalg.norm(h, axis=1, keepdims=True)
    np.testing.assert_allclose(net.features(x).detach().numpy(), expected, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(net.embed(x).detach().numpy(), expected, rtol=1e-5, atol=1e-7)
    net.retrieve = "output"
    assert net.embed_dim == 8
    np.testing.assert_array_equal(net.embed(x).detach().numpy(), out)


def test_embedding_net_features_of_a_dead_network_are_zero_not_nan():
    """Every ReLU off (all weights and biases zero): the features are the zero vector, which
    normalises to zero (the eps of F.normalize), not to NaN."""
    net = EmbeddingNet(embedding_dim=4, channels=2, retrieve="features")
    for p in net.parameters():
        p.data[...] = 0.0
    f = net.embed(mg.randn(3, 1, 28, 28)).detach().numpy()
    assert f.shape == (3, 2 * 2 * 7 * 7)
    assert np.isfinite(f).all() and not f.any()
