"""Conditional GAN (Mirza & Osindero 2014): G and D both receive the class label.

G sees [z, one_hot(y)]; D sees the image with one_hot(y) broadcast as extra channels, on the
DCGAN 28x28 architecture."""

from __future__ import annotations

import minigrad as mg
from minigrad import nn
from minigrad.nn.functional import one_hot

from .dcgan import Discriminator28, Generator28


class ConditionalGenerator(nn.Module):
    """(z (N, nz), labels (N,)) -> images (N, 1, 28, 28)."""

    def __init__(
        self, nz: int = 100, n_classes: int = 10, channels: int = 1, ngf: int = 64
    ) -> None:
        super().__init__()
        self.nz, self.n_classes = nz, n_classes
        self.body = Generator28(nz + n_classes, channels, ngf)

    def forward(self, z: mg.Tensor, labels: mg.Tensor) -> mg.Tensor:
        return self.body(mg.cat([z, one_hot(labels, self.n_classes, z.dtype)], dim=1))


class ConditionalDiscriminator(nn.Module):
    """(images (N, C, 28, 28), labels (N,)) -> logits (N, 1)."""

    def __init__(
        self, n_classes: int = 10, channels: int = 1, ndf: int = 64, batchnorm: bool = True
    ) -> None:
        super().__init__()
        self.n_classes = n_classes
        self.body = Discriminator28(channels + n_classes, ndf, batchnorm)

    def forward(self, x: mg.Tensor, labels: mg.Tensor) -> mg.Tensor:
        n, _, h, w = x.shape
        maps = one_hot(labels, self.n_classes, x.dtype).reshape(n, self.n_classes, 1, 1)
        return self.body(mg.cat([x, maps.expand(n, self.n_classes, h, w)], dim=1))
