"""Evaluation metrics in NumPy (float64 inside): GAN sample quality and diversity, and
retrieval quality of learned embeddings."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from minigrad.backend import as_numpy


def _host(a: Any, dtype: Any = np.float64) -> np.ndarray:
    if hasattr(a, "detach"):  # a minigrad Tensor
        a = a.detach()._data
    return as_numpy(a).astype(dtype, copy=False)


# ---------------------------------------------------------------------- GANs
def _sqrt_psd(s: np.ndarray) -> np.ndarray:
    """Square root of a symmetric positive semi-definite matrix by eigendecomposition."""
    w, v = np.linalg.eigh(s)
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T


def frechet_distance_from_stats(mu_a: Any, cov_a: Any, mu_b: Any, cov_b: Any) -> float:
    """||mu_a - mu_b||^2 + tr(S_a) + tr(S_b) - 2 tr(sqrt(S_a S_b)), with
    tr(sqrt(S_a S_b)) = sum of sqrt(eigenvalues of sqrt(S_a) S_b sqrt(S_a)), tiny negative
    eigenvalues (round-off) clipped to 0. Means (D,), covariances (D, D)."""
    mu_a, mu_b = _host(mu_a), _host(mu_b)
    cov_a, cov_b = np.atleast_2d(_host(cov_a)), np.atleast_2d(_host(cov_b))
    root_a = _sqrt_psd(cov_a)
    m = root_a @ cov_b @ root_a
    eig = np.linalg.eigvalsh((m + m.T) / 2)
    tr_sqrt = np.sqrt(np.clip(eig, 0.0, None)).sum()
    diff = mu_a - mu_b
    return float(max(diff @ diff + np.trace(cov_a) + np.trace(cov_b) - 2 * tr_sqrt, 0.0))


def frechet_distance(feats_a: Any, feats_b: Any) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (N, D) and (M, D):
    the FID formula, on whatever features are given."""
    a, b = _host(feats_a), _host(feats_b)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"expected (N, D) and (M, D) features, got {a.shape} and {b.shape}")
    if len(a) < 2 or len(b) < 2:
        raise ValueError("need at least 2 samples per set to estimate a covariance")
    return frechet_distance_from_stats(
        a.mean(0), np.cov(a, rowvar=False), b.mean(0), np.cov(b, rowvar=False)
    )


def assign_modes(samples: Any, centres: Any, std: float) -> np.ndarray:
    """For each 2-D sample (N, 2), the index of its nearest centre (K, 2) if it lies within
    3 `std` of it (a high-quality sample, VEEGAN protocol), else -1: int64 (N,)."""
    x, c = _host(samples), _host(centres)
    d2 = ((x[:, None, :] - c[None, :, :]) ** 2).sum(-1)
    nearest = d2.argmin(1)
    good = np.sqrt(d2[np.arange(len(x)), nearest]) <= 3 * std
    return np.where(good, nearest, -1).astype(np.int64)


def mode_coverage(samples: Any, centres: Any, std: float, min_count: int = 1) -> dict[str, Any]:
    """Mode coverage of 2-D GAN samples (N, 2) on a Gaussian mixture with centres (K, 2).

    VEEGAN protocol (Srivastava et al. 2017, also Unrolled GAN and PacGAN): a sample is
    high quality if it lies within 3 `std` (Euclidean distance) of its nearest centre; a
    mode is captured if at least `min_count` (default 1) high-quality samples have it as
    their nearest centre. Returns modes_captured (int), high_quality_fraction (float) and
    per_mode_counts (int64 (K,), high-quality samples per mode).
    """
    modes = assign_modes(samples, centres, std)
    good = modes >= 0
    counts = np.bincount(modes[good], minlength=len(_host(centres))).astype(np.int64)
    return {
        "modes_captured": int((counts >= min_count).sum()),
        "high_quality_fraction": float(good.mean()) if len(modes) else 0.0,
        "per_mode_counts": counts,
    }


def class_histogram(pred_labels: Any, n_classes: int) -> np.ndarray:
    """Counts of each predicted class (e.g. of a classifier on GAN samples): int64
    (n_classes,)."""
    y = _host(pred_labels, np.int64).ravel()
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(f"labels must lie in [0, {n_classes}), got {y.min()}..{y.max()}")
    return np.bincount(y, minlength=n_classes).astype(np.int64)


def kl_to_uniform(shares: Any) -> float:
    """KL(p || uniform) in nats of a histogram (K,) of counts or shares: 0 for a uniform
    one, log K for all mass on one class (0 log 0 = 0)."""
    p = _host(shares).ravel()
    if p.size == 0 or not np.isfinite(p).all() or (p < 0).any() or p.sum() <= 0:
        raise ValueError(
            f"kl_to_uniform needs non-negative finite counts with a positive sum, got {p}"
        )
    p = p / p.sum()
    nz = p > 0
    return float((p[nz] * np.log(p[nz] * p.size)).sum())


def confident_share(probs: Any, threshold: float = 0.9) -> float:
    """The share of rows of class probabilities (N, K) whose largest is >= threshold (0.0
    for no rows)."""
    p = _host(probs)
    if p.ndim != 2:
        raise ValueError(f"expected probabilities (N, K), got shape {p.shape}")
    return float((p.max(1) >= threshold).mean()) if len(p) else 0.0


# ---------------------------------------------------------------------- retrieval
def _neighbours(emb: np.ndarray, k: int, chunk: int = 512) -> Iterator[tuple[slice, np.ndarray]]:
    """For each chunk of queries, the indices (chunk, k) of their k nearest other items by
    Euclidean distance, nearest first (ties in distance by index)."""
    sq = (emb**2).sum(1)
    n = len(emb)
    for start in range(0, n, chunk):
        rows = slice(start, min(start + chunk, n))
        d2 = sq[rows, None] + sq[None, :] - 2 * emb[rows] @ emb.T
        d2[np.arange(rows.stop - start), np.arange(start, rows.stop)] = np.inf  # not itself
        if k < n - 1:
            part = np.argpartition(d2, k - 1, axis=1)[:, :k]
        else:
            part = np.broadcast_to(np.arange(n), d2.shape)
        dist = np.take_along_axis(d2, part, 1)
        order = np.lexsort((part, dist), axis=1)[:, :k]
        yield rows, np.take_along_axis(part, order, 1)


def _check(emb: Any, labels: Any) -> tuple[np.ndarray, np.ndarray]:
    e, y = _host(emb), _host(labels, np.int64).ravel()
    if e.ndim != 2 or len(e) != len(y):
        raise ValueError(f"expected embeddings (N, D) and labels (N,), got {e.shape}, {y.shape}")
    if len(e) < 2:
        raise ValueError("need at least 2 items for retrieval metrics")
    return e, y


def recall_at_k(
    emb: Any, labels: Any, ks: Sequence[int] = (1, 2, 4, 8), chunk: int = 512
) -> dict[int, float]:
    """Recall@k: the fraction of queries with at least one same-class item among their k
    nearest others (each item queries the rest). Embeddings (N, D), labels (N,)."""
    e, y = _check(emb, labels)
    kmax = min(max(ks), len(e) - 1)
    hits = np.zeros((len(e), kmax), dtype=bool)
    for rows, nn in _neighbours(e, kmax, chunk):
        hits[rows] = y[nn] == y[rows, None]
    first_hit = np.cumsum(hits, 1) > 0
    return {int(k): float(first_hit[:, min(k, kmax) - 1].mean()) for k in ks}


def map_at_r(emb: Any, labels: Any, chunk: int = 512) -> float:
    """MAP@R (Musgrave et al. 2020, "A Metric Learning Reality Check"): for a query with
    R other same-class items, AP@R = (1/R) sum_{i<=R} P(i) [item i is correct], P(i) the
    precision among the i nearest. Queries with R = 0 are left out. Embeddings (N, D),
    labels (N,)."""
    e, y = _check(emb, labels)
    _, inverse, counts = np.unique(y, return_inverse=True, return_counts=True)
    r = counts[inverse] - 1
    if r.max() == 0:
        raise ValueError("MAP@R needs at least one class with two or more items")
    rmax = int(r.max())
    ap = np.zeros(len(e))
    positions = np.arange(1, rmax + 1)
    for rows, nn in _neighbours(e, rmax, chunk):
        rr = r[rows, None]
        correct = (y[nn] == y[rows, None]) & (positions <= rr)
        precision = np.cumsum(correct, 1) / positions
        ap[rows] = (precision * correct).sum(1) / np.maximum(rr[:, 0], 1)
    return float(ap[r > 0].mean())


def knn_predict(emb: Any, labels: Any, k: int = 5, chunk: int = 512) -> np.ndarray:
    """Leave-one-out k-nearest-neighbour labels (N,): each item takes the majority label
    of its k nearest others; a tie goes to the tied label met first in distance order (so
    the nearest neighbour's label when it is one of them). Embeddings (N, D), labels (N,)."""
    e, y = _check(emb, labels)
    k = min(k, len(e) - 1)
    classes, yi = np.unique(y, return_inverse=True)
    pred = np.empty(len(e), dtype=np.int64)
    for rows, nn in _neighbours(e, k, chunk):
        votes = yi[nn]  # (B, k) class indices, nearest first
        at = (np.arange(len(votes))[:, None], votes)
        counts = np.zeros((len(votes), len(classes)), dtype=np.int64)
        np.add.at(counts, at, 1)
        first = np.full(counts.shape, k, dtype=np.int64)
        np.minimum.at(first, at, np.arange(k))
        # More votes wins; among equal votes, the smaller first position.
        pred[rows] = (counts * (k + 1) - first).argmax(1)
    return classes[pred]


def knn_accuracy(emb: Any, labels: Any, k: int = 5, chunk: int = 512) -> float:
    """Leave-one-out k-NN accuracy with `knn_predict`'s vote. Embeddings (N, D), labels
    (N,)."""
    _, y = _check(emb, labels)
    return float((knn_predict(emb, labels, k, chunk) == y).mean())
