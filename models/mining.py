"""Triplet miners: given a batch of embeddings and labels, pick (anchor, positive,
negative) index triplets. They read the embeddings' values only (no graph is recorded),
so the loss decides what gets a gradient.

Every miner is `miner(embeddings, labels, margin=..., distance=..., generator=...)` with
embeddings (B, D) (a Tensor or an array) and labels (B,), and returns three int64 index
arrays of equal length (T,) on the embeddings' device. Distances come from a pluggable
`distance(x) -> (B, B)` matrix function, squared Euclidean by default, which is the
distance of the FaceNet loss; a margin is in the same units as the distance.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from minigrad import random as mg_random
from minigrad.backend import Array, get_array_module

Triplets = tuple[Array, Array, Array]
DistanceMatrix = Callable[[Array], Array]


def pairwise_squared_euclidean(x: Array) -> Array:
    """||x_i - x_j||^2 for every pair, clipped at 0 (round-off). x: (B, D) -> (B, B)."""
    xp = get_array_module(x)
    sq = (x * x).sum(1)
    d = sq[:, None] + sq[None, :] - 2 * (x @ x.T)
    return xp.maximum(d, 0)


def pairwise_euclidean(x: Array) -> Array:
    """||x_i - x_j|| for every pair. x: (B, D) -> (B, B)."""
    return get_array_module(x).sqrt(pairwise_squared_euclidean(x))


def _values(embeddings: Any) -> Array:
    """The embedding values as an array, whatever carries them (no graph)."""
    if hasattr(embeddings, "detach"):
        return embeddings.detach()._data
    return embeddings


def _masks(labels: Any, xp: Any) -> tuple[Array, Array]:
    """Same-class pairs without the diagonal, and different-class pairs: bool (B, B)."""
    y = xp.asarray(labels._data if hasattr(labels, "_data") else labels).reshape(-1)
    same = y[:, None] == y[None, :]
    positive = same & ~xp.eye(len(y), dtype=bool)
    return positive, ~same


def _empty(xp: Any) -> Triplets:
    e = xp.zeros(0, dtype=np.int64)
    return e, e.copy(), e.copy()


def _anchor_positive_pairs(positive: Array, negative: Array) -> tuple[Array, Array]:
    """Every (anchor, positive) pair whose anchor also has a negative in the batch."""
    xp = get_array_module(positive)
    valid = positive & negative.any(1, keepdims=True)
    a, p = xp.nonzero(valid)
    return a.astype(np.int64), p.astype(np.int64)


def random_triplets(
    embeddings: Any,
    labels: Any,
    margin: float = 0.2,
    distance: DistanceMatrix = pairwise_squared_euclidean,
    generator: Any = None,
) -> Triplets:
    """Every anchor-positive pair of the batch with one negative drawn uniformly from the
    anchor's other-class items (from `minigrad.random` unless `generator` is given).
    Distances and margin are not used; they are accepted so all miners share a call."""
    emb = _values(embeddings)
    xp = get_array_module(emb)
    positive, negative = _masks(labels, xp)
    a, p = _anchor_positive_pairs(positive, negative)
    if len(a) == 0:
        return _empty(xp)
    rng = generator if generator is not None else mg_random.generator("cpu")
    # a uniform key per candidate; the largest key among the valid negatives wins
    keys = xp.asarray(rng.random((len(a), negative.shape[1])))
    n = xp.where(negative[a], keys, -1.0).argmax(1)
    return a, p, n.astype(np.int64)


def batch_hard_triplets(
    embeddings: Any,
    labels: Any,
    margin: float = 0.2,
    distance: DistanceMatrix = pairwise_squared_euclidean,
    generator: Any = None,
) -> Triplets:
    """Hermans et al. (2017): one triplet per anchor with its farthest positive and its
    nearest negative; anchors lacking either are skipped. (T,) with T <= B."""
    emb = _values(embeddings)
    xp = get_array_module(emb)
    positive, negative = _masks(labels, xp)
    d = distance(emb)
    keep = xp.nonzero(positive.any(1) & negative.any(1))[0].astype(np.int64)
    if len(keep) == 0:
        return _empty(xp)
    p = xp.where(positive, d, -xp.inf)[keep].argmax(1)
    n = xp.where(negative, d, xp.inf)[keep].argmin(1)
    return keep, p.astype(np.int64), n.astype(np.int64)


def semi_hard_triplets(
    embeddings: Any,
    labels: Any,
    margin: float = 0.2,
    distance: DistanceMatrix = pairwise_squared_euclidean,
    generator: Any = None,
) -> Triplets:
    """FaceNet (Schroff et al. 2015): every anchor-positive pair with a semi-hard
    negative, d(a, p) < d(a, n) < d(a, p) + margin, the nearest such one. When an anchor
    has none, it falls back to its hardest (nearest) negative, which may then be a hard
    negative (d(a, n) <= d(a, p)) or an easy one (zero loss)."""
    emb = _values(embeddings)
    xp = get_array_module(emb)
    positive, negative = _masks(labels, xp)
    a, p = _anchor_positive_pairs(positive, negative)
    if len(a) == 0:
        return _empty(xp)
    d = distance(emb)
    d_ap = d[a, p][:, None]  # (T, 1)
    d_an = d[a]  # (T, B)
    neg = negative[a]
    semi = neg & (d_an > d_ap) & (d_an < d_ap + margin)
    nearest_semi = xp.where(semi, d_an, xp.inf).argmin(1)
    hardest = xp.where(neg, d_an, xp.inf).argmin(1)
    n = xp.where(semi.any(1), nearest_semi, hardest)
    return a, p, n.astype(np.int64)


MINERS: dict[str, Callable[..., Triplets]] = {
    "random": random_triplets,
    "batch-hard": batch_hard_triplets,
    "semi-hard": semi_hard_triplets,
}


def active_share(losses: Any) -> float:
    """The share of triplets (or pairs) with a non-zero loss, from per-item losses (T,);
    0.0 when there are none."""
    values = _values(losses)
    return float((values > 0).mean()) if values.size else 0.0
