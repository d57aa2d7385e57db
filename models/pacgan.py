"""Packing (PacGAN, Lin et al. 2018): the discriminator judges m samples at once.

A generator that has collapsed onto a few modes makes packs whose members look alike,
which a discriminator seeing the whole pack can tell from packs of real data, where the
members are independent; a discriminator seeing one sample at a time cannot. The only
change to the networks is the discriminator's input: m times as many features (MLP) or
channels (CNN).
"""

from __future__ import annotations

import minigrad as mg
from minigrad import nn


class Packed(nn.Module):
    """Wraps a discriminator built for packed input: x (N, ...) is regrouped into N/m packs
    of m consecutive samples, (N/m, m*F) for points or (N/m, m*C, H, W) for images, and
    scored once per pack: logits (N/m, 1)."""

    def __init__(self, discriminator: nn.Module, pack: int) -> None:
        super().__init__()
        if pack < 1:
            raise ValueError(f"Packed: pack must be >= 1, got {pack}")
        self.D, self.pack = discriminator, pack

    def forward(self, x: mg.Tensor) -> mg.Tensor:
        n, m = x.shape[0], self.pack
        if n % m:
            raise ValueError(
                f"Packed discriminator: batch of {n} samples, input shape {tuple(x.shape)}, "
                f"does not split into packs of {m}"
            )
        # consecutive samples are adjacent in memory, so one reshape groups them
        return self.D(x.reshape(n // m, m * x.shape[1], *x.shape[2:]))
