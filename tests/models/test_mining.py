"""Miners pick exactly the triplets their definitions name, on a batch whose distances
are given outright (the distance function is pluggable)."""

import numpy as np
import pytest

import minigrad as mg
from models.mining import (
    MINERS,
    active_share,
    batch_hard_triplets,
    pairwise_euclidean,
    pairwise_squared_euclidean,
    random_triplets,
    semi_hard_triplets,
)

LABELS = np.array([0, 0, 0, 1, 1, 2])
# symmetric distances; item 5 is alone in its class, so it is never an anchor
D = np.array(
    [
        [0.0, 1.0, 2.0, 1.2, 3.0, 1.4],
        [1.0, 0.0, 0.5, 0.4, 0.9, 2.5],
        [2.0, 0.5, 0.0, 3.0, 0.8, 0.6],
        [1.2, 0.4, 3.0, 0.0, 1.1, 1.3],
        [3.0, 0.9, 0.8, 1.1, 0.0, 0.7],
        [1.4, 2.5, 0.6, 1.3, 0.7, 0.0],
    ]
)
EMB = np.zeros((6, 1))
ANCHOR_POSITIVE = [(0, 1), (0, 2), (1, 0), (1, 2), (2, 0), (2, 1), (3, 4), (4, 3)]


def _given(_x):
    return D


def _rows(triplets):
    return [tuple(int(v) for v in t) for t in zip(*triplets, strict=True)]


def test_batch_hard_picks_farthest_positive_and_nearest_negative():
    got = _rows(batch_hard_triplets(EMB, LABELS, distance=_given))
    assert got == [(0, 2, 3), (1, 0, 3), (2, 0, 5), (3, 4, 1), (4, 3, 5)]


def test_semi_hard_picks_nearest_negative_in_the_band_else_the_hardest():
    got = _rows(semi_hard_triplets(EMB, LABELS, margin=0.5, distance=_given))
    assert got == [
        (0, 1, 3),  # band (1.0, 1.5): 3 at 1.2 and 5 at 1.4; the nearer one
        (0, 2, 3),  # band (2.0, 2.5) empty: hardest negative, 3 at 1.2
        (1, 0, 3),  # band (1.0, 1.5) empty: hardest, 3 at 0.4 (a hard negative)
        (1, 2, 4),  # band (0.5, 1.0): 4 at 0.9
        (2, 0, 5),  # band (2.0, 2.5) empty: hardest, 5 at 0.6
        (2, 1, 5),  # band (0.5, 1.0): 4 at 0.8 and 5 at 0.6; the nearer one
        (3, 4, 0),  # band (1.1, 1.6): 0 at 1.2 and 5 at 1.3
        (4, 3, 5),  # band (1.1, 1.6) empty: hardest, 5 at 0.7
    ]


def test_semi_hard_band_is_open():
    # negatives exactly at d(a, p) or d(a, p) + margin are not semi-hard
    d = np.array([[0.0, 1.0, 1.0, 1.5], [1.0, 0.0, 2.0, 2.0], [1.0, 2.0, 0, 1], [1.5, 2, 1, 0]])
    got = _rows(semi_hard_triplets(np.zeros((4, 1)), [0, 0, 1, 1], 0.5, lambda _: d))
    assert got[0] == (0, 1, 2)  # no semi-hard negative: the hardest, 2 at 1.0


def test_random_uses_every_pair_with_a_valid_negative():
    mg.manual_seed(0)
    seen = {pair: set() for pair in ANCHOR_POSITIVE}
    for _ in range(50):
        a, p, n = random_triplets(EMB, LABELS)
        assert list(zip(a.tolist(), p.tolist(), strict=True)) == ANCHOR_POSITIVE
        assert (LABELS[n] != LABELS[a]).all()
        for ai, pi, ni in zip(a, p, n, strict=True):
            seen[(int(ai), int(pi))].add(int(ni))
    for (ai, _), negs in seen.items():  # every negative of the anchor gets drawn
        assert negs == set(np.flatnonzero(LABELS != LABELS[ai]).tolist())


def test_random_is_seeded():
    mg.manual_seed(7)
    first = random_triplets(EMB, LABELS)[2]
    mg.manual_seed(7)
    np.testing.assert_array_equal(random_triplets(EMB, LABELS)[2], first)


@pytest.mark.parametrize("name", sorted(MINERS))
def test_miners_on_tensors_record_nothing_and_need_two_classes(name):
    emb = mg.randn(8, 3, requires_grad=True)
    a, p, n = MINERS[name](emb, np.repeat([0, 1], 4))
    assert a.dtype == p.dtype == n.dtype == np.int64
    assert len(a) == len(p) == len(n) > 0
    assert emb.grad is None and emb.creator is None
    empty = MINERS[name](emb, np.zeros(8, np.int64))  # one class: no negatives
    assert all(len(t) == 0 for t in empty)


def test_default_distance_is_squared_euclidean():
    x = np.random.default_rng(0).normal(size=(5, 3))
    brute = ((x[:, None] - x[None]) ** 2).sum(-1)
    np.testing.assert_allclose(pairwise_squared_euclidean(x), brute, atol=1e-12)
    np.testing.assert_allclose(pairwise_euclidean(x), np.sqrt(brute), atol=1e-6)
    # the same triplets whether the distances are given or computed
    labels = np.array([0, 0, 1, 1, 2])
    got = semi_hard_triplets(x, labels, margin=0.5)
    given = semi_hard_triplets(x, labels, margin=0.5, distance=lambda _: brute)
    assert _rows(got) == _rows(given)


def test_active_share():
    assert active_share(np.array([0.0, 0.3, 0.0, 1.0])) == 0.5
    assert active_share(mg.tensor([0.0, 2.0])) == 0.5
    assert active_share(np.zeros(0)) == 0.0
