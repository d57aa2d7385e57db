"""The FaceNet triplet loss (Schroff et al. 2015) on mined triplets:

    L = sum over triplets of [ ||f(a) - f(p)||^2 - ||f(a) - f(n)||^2 + alpha ]_+

on L2-normalised embeddings f, with alpha = 0.2. The default reduction is the mean over
triplets (the paper's sum divided by their count), so the loss scale and learning rate
do not depend on how many triplets a miner returns; `reduction='sum'` gives the paper's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import minigrad as mg
from minigrad.nn import functional as F
from minigrad.ops.reduce import norm

Distance = Callable[[mg.Tensor, mg.Tensor], mg.Tensor]


def squared_euclidean(x1: mg.Tensor, x2: mg.Tensor) -> mg.Tensor:
    """||x1 - x2||^2 row by row: (T, D), (T, D) -> (T,). Smooth everywhere, so identical
    rows give a zero gradient, not NaN."""
    d = x1 - x2
    return (d * d).sum(dim=1)


def euclidean(x1: mg.Tensor, x2: mg.Tensor) -> mg.Tensor:
    """||x1 - x2|| row by row: (T, D), (T, D) -> (T,). minigrad's norm has a zero
    subgradient at 0, so identical rows do not give NaN."""
    return norm(x1 - x2, dim=1)


def triplet_loss(
    embeddings: mg.Tensor,
    triplets: tuple[Any, Any, Any],
    margin: float = 0.2,
    distance: Distance = squared_euclidean,
    normalize: bool = True,
    reduction: str = "mean",
) -> mg.Tensor:
    """[d(a, p) - d(a, n) + margin]_+ over the (anchor, positive, negative) index arrays
    (T,) of `triplets`, on embeddings (B, D), L2-normalised first unless `normalize` is
    False (when the network already normalises). reduction: 'mean' (default), 'sum' or
    'none' (T,). No triplets gives a zero loss that is still part of the graph."""
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"triplet_loss: reduction must be mean, sum or none, got {reduction!r}")
    if normalize:
        embeddings = F.normalize(embeddings, dim=1)
    a, p, n = triplets
    if len(a) == 0:
        zero = (embeddings * 0.0).sum()
        return embeddings[:0, 0] if reduction == "none" else zero
    fa, fp, fn = embeddings[a], embeddings[p], embeddings[n]
    losses = mg.relu(distance(fa, fp) - distance(fa, fn) + margin)
    if reduction == "mean":
        return losses.mean()
    if reduction == "sum":
        return losses.sum()
    return losses
