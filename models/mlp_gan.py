"""The fully connected GAN of Goodfellow et al. (2014), for images and for 2-D points."""

from __future__ import annotations

import minigrad as mg
from minigrad import nn


class MLPGenerator(nn.Module):
    """z (N, nz) -> samples (N, out_dim); Tanh output for images in [-1, 1], linear for
    points. `batchnorm` puts batch normalisation before each hidden ReLU, as DCGAN does
    in its generator. `out_scale` multiplies the output (points in the data's units when
    the network works in units of the data's spread)."""

    def __init__(
        self,
        nz: int = 100,
        hidden: tuple[int, ...] = (256, 256),
        out_dim: int = 784,
        tanh: bool = True,
        batchnorm: bool = False,
        out_scale: float = 1.0,
    ) -> None:
        super().__init__()
        self.nz = nz
        self.out_scale = out_scale
        layers: list[nn.Module] = []
        width = nz
        for h in hidden:
            layers.append(nn.Linear(width, h))
            if batchnorm:
                layers.append(nn.BatchNorm1d(h))
            layers.append(nn.ReLU())
            width = h
        layers.append(nn.Linear(width, out_dim))
        if tanh:
            layers.append(nn.Tanh())
        self.net = nn.Sequential(*layers)

    def forward(self, z: mg.Tensor) -> mg.Tensor:
        y = self.net(z)
        return y if self.out_scale == 1.0 else y * self.out_scale


class MLPDiscriminator(nn.Module):
    """samples (N, in_dim) -> logits (N, 1). LeakyReLU(0.2) hidden layers, each followed by
    dropout when `dropout` > 0 (the 2014 paper's discriminator was trained with dropout);
    the loss applies the sigmoid (or none, for a Wasserstein critic). `in_scale` multiplies
    the input first (1 / the data's spread: the first layer's kinks, which start within
    about 1 of the origin, then span the data)."""

    def __init__(
        self,
        in_dim: int = 784,
        hidden: tuple[int, ...] = (256, 256),
        dropout: float = 0.0,
        in_scale: float = 1.0,
    ) -> None:
        super().__init__()
        self.in_scale = in_scale
        layers: list[nn.Module] = []
        width = in_dim
        for h in hidden:
            layers += [nn.Linear(width, h), nn.LeakyReLU(0.2)]
            if dropout:  # no module at 0, so the layer names of older checkpoints still match
                layers.append(nn.Dropout(dropout))
            width = h
        layers.append(nn.Linear(width, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x: mg.Tensor) -> mg.Tensor:
        if x.ndim != 2:  # images (N, C, H, W) as rows; a batch of rows needs no node
            x = x.reshape(x.shape[0], -1)
        return self.net(x if self.in_scale == 1.0 else x * self.in_scale)


class ImageMLPGenerator(MLPGenerator):
    """MLP generator whose output is reshaped to images (N, C, H, W)."""

    def __init__(
        self,
        nz: int = 100,
        hidden: tuple[int, ...] = (256, 256),
        image_shape: tuple[int, int, int] = (1, 28, 28),
        batchnorm: bool = False,
    ) -> None:
        c, h, w = image_shape
        super().__init__(nz, hidden, c * h * w, tanh=True, batchnorm=batchnorm)
        self.image_shape = image_shape

    def forward(self, z: mg.Tensor) -> mg.Tensor:
        return self.net(z).reshape((z.shape[0],) + self.image_shape)
