"""train/metrics.py against hand-computed values and brute-force references."""

import numpy as np
import pytest

from train import metrics

# Six points on a line (as 2-D embeddings), classes A=0 and B=1, no tied distances.
# Neighbour order of each query, nearest first (A/B = class of the neighbour):
#   0.0 (A): A B A B B      R=2, AP@R = 1/2
#   1.0 (A): A B A B B      R=2, AP@R = 1/2
#   2.4 (B): A A A B B      R=2, AP@R = 0
#   4.0 (A): B B A B A      R=2, AP@R = 0
#   5.0 (B): A B B A A      R=2, AP@R = (1/2) / 2 = 1/4
#   7.5 (B): B A B A A      R=2, AP@R = 1/2
LINE_X = np.array([0.0, 1.0, 2.4, 4.0, 5.0, 7.5])
LINE_Y = np.array([0, 0, 1, 0, 1, 1])
LINE_EMB = np.stack([LINE_X, np.zeros(6)], axis=1)


def brute_force_ranking(emb, labels):
    d = np.linalg.norm(emb[:, None] - emb[None], axis=-1)
    np.fill_diagonal(d, np.inf)
    order = np.argsort(d, axis=1, kind="stable")[:, :-1]
    return labels[order] == labels[:, None]  # (N, N-1) correct-at-position


def test_recall_at_k_by_hand():
    got = metrics.recall_at_k(LINE_EMB, LINE_Y, ks=(1, 2, 4))
    assert got == pytest.approx({1: 3 / 6, 2: 4 / 6, 4: 1.0})


def test_map_at_r_by_hand():
    assert metrics.map_at_r(LINE_EMB, LINE_Y) == pytest.approx(1.75 / 6)


def test_knn_accuracy_by_hand():
    assert metrics.knn_accuracy(LINE_EMB, LINE_Y, k=3) == pytest.approx(4 / 6)
    # k=2: the 1-1 ties at 0.0, 1.0, 5.0 and 7.5 go to the nearest neighbour's label.
    assert metrics.knn_accuracy(LINE_EMB, LINE_Y, k=2) == pytest.approx(3 / 6)
    assert metrics.knn_accuracy(LINE_EMB, LINE_Y, k=1) == pytest.approx(3 / 6)


def test_knn_tie_goes_to_first_tied_label_in_distance_order():
    # Query 0 (label 1) sees, nearest first, labels 0, 1, 1, 2, 2: with k=5 classes 1 and
    # 2 tie 2-2 and class 1 is met first; with k=3 class 1 wins 2-1.
    x = np.array([0.0, 1.0, 2.1, 3.3, 4.6, 6.0])
    y = np.array([1, 0, 1, 1, 2, 2])
    emb = np.stack([x, np.zeros(6)], 1)
    assert metrics.knn_predict(emb, y, k=5)[0] == 1
    assert metrics.knn_predict(emb, y, k=3)[0] == 1
    # Query 5 (label 2) sees 2, 1, 1, 0, 1: k=2 is a 1-1 tie, the nearest (2) wins.
    assert metrics.knn_predict(emb, y, k=2)[5] == 2
    assert metrics.knn_predict(emb, y, k=3)[5] == 1
    np.testing.assert_array_equal(metrics.knn_predict(emb, y * 10 + 3, k=1), [3, 13, 3, 13, 13, 23])


def test_retrieval_metrics_match_brute_force():
    rng = np.random.default_rng(1)
    emb = rng.standard_normal((60, 3))
    y = rng.integers(0, 4, 60)
    correct = brute_force_ranking(emb, y)
    got = metrics.recall_at_k(emb, y, ks=(1, 3, 8), chunk=7)
    for k in (1, 3, 8):
        assert got[k] == pytest.approx(correct[:, :k].any(1).mean())
    r = correct.sum(1)
    ap = [
        sum(correct[i, j] * correct[i, : j + 1].sum() / (j + 1) for j in range(r[i])) / r[i]
        for i in range(60)
    ]
    assert metrics.map_at_r(emb, y, chunk=7) == pytest.approx(np.mean(ap))


def test_perfect_embedding_scores_one():
    y = np.repeat(np.arange(3), 4)
    emb = np.eye(3)[y] * 10 + np.random.default_rng(0).normal(0, 0.01, (12, 3))
    assert metrics.map_at_r(emb, y) == pytest.approx(1.0)
    assert metrics.knn_accuracy(emb, y, k=3) == 1.0
    assert metrics.recall_at_k(emb, y, ks=(1,))[1] == 1.0


def test_frechet_distance_identical_and_shifted():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((500, 4)) @ rng.standard_normal((4, 4))
    assert metrics.frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    shift = np.array([1.0, -2.0, 0.5, 3.0])
    assert metrics.frechet_distance(a, a + shift) == pytest.approx(shift @ shift, rel=1e-6)


def test_frechet_from_stats_matches_analytic_and_eig_formula():
    # Diagonal covariances: ||mu||^2 + sum (sqrt(a) - sqrt(b))^2.
    fd = metrics.frechet_distance_from_stats(
        np.zeros(2), np.diag([4.0, 1.0]), np.array([3.0, 4.0]), np.diag([1.0, 9.0])
    )
    assert fd == pytest.approx(25 + (2 - 1) ** 2 + (1 - 3) ** 2)
    # General SPD pair: tr sqrt(S1 S2) = sum sqrt(eig(S1 S2)).
    rng = np.random.default_rng(2)
    m1, m2 = rng.standard_normal((2, 5, 5))
    s1, s2 = m1 @ m1.T + 0.1 * np.eye(5), m2 @ m2.T + 0.1 * np.eye(5)
    ref = np.trace(s1) + np.trace(s2) - 2 * np.sqrt(np.linalg.eigvals(s1 @ s2).real).sum()
    assert metrics.frechet_distance_from_stats(np.zeros(5), s1, np.zeros(5), s2) == pytest.approx(
        ref, rel=1e-8
    )


def test_frechet_distance_rejects_bad_shapes():
    with pytest.raises(ValueError, match="features"):
        metrics.frechet_distance(np.zeros((5, 2)), np.zeros((5, 3)))


def test_mode_coverage_constructed():
    centres = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    std = 0.1
    samples = np.array(
        [
            [0.0, 0.0],  # mode 0, high quality
            [0.25, 0.0],  # mode 0, 2.5 std: high quality
            [10.0, 0.29],  # mode 1, 2.9 std: high quality
            [0.0, 10.5],  # nearest mode 2 but 5 std away: low quality
            [5.0, 5.0],  # nowhere
        ]
    )
    out = metrics.mode_coverage(samples, centres, std)
    assert out["modes_captured"] == 2
    assert out["high_quality_fraction"] == pytest.approx(3 / 5)
    np.testing.assert_array_equal(out["per_mode_counts"], [2, 1, 0])
    assert metrics.mode_coverage(samples, centres, std, min_count=2)["modes_captured"] == 1


def test_class_histogram():
    np.testing.assert_array_equal(metrics.class_histogram([0, 2, 2, 3], 5), [1, 0, 2, 1, 0])
    with pytest.raises(ValueError):
        metrics.class_histogram([0, 5], 5)


def test_kl_to_uniform_by_hand():
    assert metrics.kl_to_uniform(np.full(10, 0.1)) == pytest.approx(0.0, abs=1e-12)
    assert metrics.kl_to_uniform(np.eye(10)[3]) == pytest.approx(np.log(10))
    # counts are normalised; 0 log 0 = 0: p = (1/2, 1/2, 0, 0) -> log 2
    assert metrics.kl_to_uniform(np.array([5, 5, 0, 0], np.int64)) == pytest.approx(np.log(2))
    p = np.array([0.7, 0.2, 0.1])
    assert metrics.kl_to_uniform(p) == pytest.approx((p * np.log(3 * p)).sum())
    for bad in (np.zeros(4), np.array([1.0, -1.0, 1.0]), np.array([1.0, np.nan]), np.zeros(0)):
        with pytest.raises(ValueError, match="kl_to_uniform"):
            metrics.kl_to_uniform(bad)


def test_confident_share_counts_ties_at_the_threshold():
    probs = np.array([[0.9, 0.1], [0.5, 0.5], [0.05, 0.95], [0.89, 0.11]], np.float64)
    assert metrics.confident_share(probs, 0.9) == pytest.approx(2 / 4)
    assert metrics.confident_share(probs[::2], 0.9) == 1.0  # a non-contiguous view
    assert metrics.confident_share(probs[::2, ::-1], 0.95) == 0.5
    assert metrics.confident_share(np.zeros((0, 10))) == 0.0
    assert metrics.confident_share(probs.astype(np.float32), 0.5) == 1.0
    with pytest.raises(ValueError, match=r"\(N, K\)"):
        metrics.confident_share(np.ones(3))
