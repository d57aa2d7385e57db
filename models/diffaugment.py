"""Differentiable augmentation (Zhao et al. 2020, "Differentiable Augmentation for
Data-Efficient GAN Training"): the same random transformation is applied to every image D
sees, real and fake, in D's step and in G's, so D cannot memorise a small training set and
G still learns the un-augmented distribution. The transformations are ops of the graph, so
G's gradient flows back through them.

- translation: each image moves by up to `ratio` of its size in x and y (whole pixels),
  the uncovered border filled with `fill` (the background: -1 for images in [-1, 1]);
- cutout: a square of half the image's side, placed at random, set to 0 in each image.
"""

from __future__ import annotations

import numpy as np

import minigrad as mg
from minigrad import random
from minigrad.nn import functional as F

POLICIES = ("translation", "cutout")


def parse_policy(text: str) -> tuple[str, ...]:
    """'translation,cutout' -> ('translation', 'cutout'); 'none' or '' -> ()."""
    if text in ("", "none"):
        return ()
    parts = tuple(p.strip() for p in text.split(","))
    bad = [p for p in parts if p not in POLICIES]
    if bad:
        raise ValueError(
            f"--augment: unknown transformation {bad[0]!r} in {text!r}; choose from "
            f"{', '.join(POLICIES)} (comma-separated) or none"
        )
    return parts


def translate(x: mg.Tensor, ratio: float = 0.125, fill: float = -1.0) -> mg.Tensor:
    """Shift each image of x (N, C, H, W) by its own whole-pixel offset in [-s, s] per axis,
    s = round(ratio * size); one gather from the padded batch, differentiable in x."""
    n, _, h, w = x.shape
    sy, sx = int(h * ratio + 0.5), int(w * ratio + 0.5)
    if n == 0 or (sy == 0 and sx == 0):
        return x
    dy = random.randint(-sy, sy + 1, (n, 1, 1), x.device)
    dx = random.randint(-sx, sx + 1, (n, 1, 1), x.device)
    xp = F.pad(x, (sx, sx, sy, sy), value=fill)  # (N, C, H + 2sy, W + 2sx)
    rows = np.arange(h).reshape(1, h, 1) + sy - dy  # (N, H, 1): source row of each output
    cols = np.arange(w).reshape(1, 1, w) + sx - dx  # (N, 1, W)
    batch = np.arange(n).reshape(n, 1, 1)
    out = xp.permute(0, 2, 3, 1)[batch, rows, cols]  # (N, H, W, C)
    return out.permute(0, 3, 1, 2)


def cutout(x: mg.Tensor, ratio: float = 0.5) -> mg.Tensor:
    """Zero a square of side round(ratio * size) at a random place in each image (it may
    reach past the border, as in the paper)."""
    n, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    if n == 0 or ch == 0 or cw == 0:
        return x
    top = random.randint(0, h + (1 - ch % 2), (n, 1, 1), x.device) - ch // 2
    left = random.randint(0, w + (1 - cw % 2), (n, 1, 1), x.device) - cw // 2
    ys, xs = np.arange(h).reshape(1, h, 1), np.arange(w).reshape(1, 1, w)
    square = (ys >= top) & (ys < top + ch) & (xs >= left) & (xs < left + cw)  # (N, H, W)
    keep = (~square).astype(np.float32)[:, None]  # (N, 1, H, W)
    return x * mg.tensor(keep, device=x.device)


def diff_augment(x: mg.Tensor, policy: tuple[str, ...]) -> mg.Tensor:
    """x with the transformations of `policy` applied in turn (none: x itself)."""
    for name in policy:
        x = translate(x) if name == "translation" else cutout(x)
    return x
