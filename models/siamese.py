"""Siamese training with a contrastive loss on pairs of embeddings, and balanced pair
sampling.

With d = ||f(x1) - f(x2)||_2 and delta = 1 for a same-class pair, 0 otherwise:

    plain   (default): l = delta * d   + (1 - delta) * max(0, m - d)
    squared (Hadsell, Chopra and LeCun 2006): l = delta * d^2 + (1 - delta) * max(0, m - d)^2
"""

from __future__ import annotations

from typing import Any

import numpy as np

import minigrad as mg
from minigrad import random as mg_random
from minigrad.ops.reduce import norm

LOSS_FORMS = ("plain", "squared")


def pair_distance(x1: mg.Tensor, x2: mg.Tensor) -> mg.Tensor:
    """||x1 - x2||_2 row by row: (N, D), (N, D) -> (N,). minigrad's norm has a zero
    subgradient at a zero vector, so an identical pair gives d = 0 and no NaN."""
    return norm(x1 - x2, dim=1)


def contrastive_loss(
    x1: mg.Tensor,
    x2: mg.Tensor,
    same: Any,
    margin: float = 1.0,
    form: str = "plain",
    reduction: str = "mean",
) -> mg.Tensor:
    """Contrastive loss of embedding pairs x1, x2 (N, D); `same` (N,) is 1 for a
    same-class pair, 0 otherwise. form: 'plain' or 'squared' (see the module docstring).
    reduction: 'mean' (over pairs, default), 'sum' or 'none' (N,)."""
    if form not in LOSS_FORMS:
        raise ValueError(f"contrastive_loss: form must be one of {LOSS_FORMS}, got {form!r}")
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(
            f"contrastive_loss: reduction must be mean, sum or none, got {reduction!r}"
        )
    delta = mg.Tensor(same, dtype=x1.dtype, device=x1.device)
    d = pair_distance(x1, x2)
    gap = mg.relu(margin - d)  # max(0, m - d)
    if form == "squared":
        d, gap = d * d, gap * gap
    losses = delta * d + (1 - delta) * gap
    if reduction == "mean":
        return losses.mean()
    if reduction == "sum":
        return losses.sum()
    return losses


def sample_pairs(labels: Any, anchors: Any, generator: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """A partner for each anchor: anchors at even positions get a same-class partner
    (never themselves), those at odd positions one from another class, so any run of an
    even number of anchors is balanced; each partner is uniform over its candidates, drawn
    from `minigrad.random` unless `generator` is given.
    labels (N,), anchors (B,) int -> partners int64 (B,), same float32 (B,)."""
    y = np.asarray(labels).reshape(-1)
    anchors = np.asarray(anchors, dtype=np.int64).reshape(-1)
    rng = generator if generator is not None else mg_random.generator("cpu")
    # items sorted by class: class c holds the block order[start[c] : start[c] + count[c]]
    order = np.argsort(y, kind="stable")
    classes, start, count = np.unique(y[order], return_index=True, return_counts=True)
    c = np.searchsorted(classes, y[anchors])
    n_c, s_c = count[c], start[c]
    same = np.arange(len(anchors)) % 2 == 0
    if len(classes) < 2:
        raise ValueError("sample_pairs: needs two classes or more for different-class pairs")
    if (n_c[same] < 2).any():
        lonely = y[anchors[same][n_c[same] < 2][0]]
        raise ValueError(f"sample_pairs: class {lonely} has one item, so no same-class pair")
    rank = np.empty(len(y), dtype=np.int64)
    rank[order] = np.arange(len(y))
    # positive: a random other member, by stepping 1..n_c-1 places around the class block
    step = rng.integers(1, n_c)
    pos = s_c + (rank[anchors] - s_c + step) % n_c
    # negative: a random position among the N - n_c items outside the class block
    r = rng.integers(0, len(y) - n_c)
    neg = np.where(r < s_c, r, r + n_c)
    partners = order[np.where(same, pos, neg)]
    return partners.astype(np.int64), same.astype(np.float32)
