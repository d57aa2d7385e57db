"""DCGAN (Radford et al. 2016): strided convolutions in D, fractionally strided ones in G,
no pooling, batchnorm in both (not on G's output nor D's input), ReLU in G with a Tanh
output, LeakyReLU(0.2) in D, weights drawn from N(0, 0.02)."""

from __future__ import annotations

import minigrad as mg
from minigrad import nn


def dcgan_init_(module: nn.Module) -> nn.Module:
    """N(0, 0.02) for conv and linear weights, N(1, 0.02) for batchnorm scales, zero biases
    (the paper's initialisation)."""
    for m in module.modules():
        if isinstance(m, nn.Conv2d | nn.ConvTranspose2d | nn.Linear):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d | nn.BatchNorm1d) and m.weight is not None:
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)
    return module


class Unflatten(nn.Module):
    """(N, C*H*W) -> (N, C, H, W)."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        super().__init__()
        self.shape = tuple(shape)

    def forward(self, x: mg.Tensor) -> mg.Tensor:
        return x.reshape((x.shape[0],) + self.shape)

    def extra_repr(self) -> str:
        return f"shape={self.shape}"


class Generator28(nn.Module):
    """z (N, nz) -> images (N, channels, 28, 28) in [-1, 1]."""

    def __init__(self, nz: int = 100, channels: int = 1, ngf: int = 64) -> None:
        super().__init__()
        self.nz = nz
        self.net = nn.Sequential(
            nn.Linear(nz, 2 * ngf * 7 * 7),  # (N, 128*7*7)
            Unflatten((2 * ngf, 7, 7)),  # (N, 128, 7, 7)
            nn.BatchNorm2d(2 * ngf),
            nn.ReLU(),
            nn.ConvTranspose2d(2 * ngf, ngf, 4, 2, 1),  # (N, 64, 14, 14)
            nn.BatchNorm2d(ngf),
            nn.ReLU(),
            nn.ConvTranspose2d(ngf, channels, 4, 2, 1),  # (N, 1, 28, 28)
            nn.Tanh(),
        )
        dcgan_init_(self)

    def forward(self, z: mg.Tensor) -> mg.Tensor:
        return self.net(z)


class Discriminator28(nn.Module):
    """images (N, channels, 28, 28) -> logits (N, 1). `batchnorm=False` gives the critic the
    gradient penalty wants (batchnorm couples the samples of a batch). `depth=3` adds a
    third strided convolution (3x3, 7x7x128 -> 4x4x256) before the linear layer."""

    def __init__(
        self, channels: int = 1, ndf: int = 64, batchnorm: bool = True, depth: int = 2
    ) -> None:
        super().__init__()
        if depth not in (2, 3):
            raise ValueError(f"Discriminator28: depth must be 2 or 3, got {depth}")
        self.depth = depth

        def norm(c: int) -> nn.Module:
            return nn.BatchNorm2d(c) if batchnorm else nn.Identity()

        layers: list[nn.Module] = [
            nn.Conv2d(channels, ndf, 4, 2, 1),  # (N, 64, 14, 14)
            nn.LeakyReLU(0.2),
            nn.Conv2d(ndf, 2 * ndf, 4, 2, 1),  # (N, 128, 7, 7)
            norm(2 * ndf),
            nn.LeakyReLU(0.2),
        ]
        features = 2 * ndf * 7 * 7
        if depth == 3:
            layers += [nn.Conv2d(2 * ndf, 4 * ndf, 3, 2, 1), norm(4 * ndf), nn.LeakyReLU(0.2)]
            features = 4 * ndf * 4 * 4  # (N, 256, 4, 4)
        self.net = nn.Sequential(*layers, nn.Flatten(), nn.Linear(features, 1))
        dcgan_init_(self)

    def extra_repr(self) -> str:
        return f"depth={self.depth}"

    def forward(self, x: mg.Tensor) -> mg.Tensor:
        return self.net(x)


class Generator(nn.Module):
    """The paper's generator for 32x32 or 64x64 images: z (N, nz) -> (N, channels, S, S)."""

    def __init__(
        self, nz: int = 100, channels: int = 3, ngf: int = 64, image_size: int = 64
    ) -> None:
        super().__init__()
        if image_size not in (32, 64):
            raise ValueError(f"DCGAN Generator: image_size must be 32 or 64, got {image_size}")
        self.nz = nz
        mult = image_size // 8  # 4 for 32x32, 8 for 64x64
        layers: list[nn.Module] = [
            Unflatten((nz, 1, 1)),
            nn.ConvTranspose2d(nz, ngf * mult, 4, 1, 0),  # (N, ngf*mult, 4, 4)
            nn.BatchNorm2d(ngf * mult),
            nn.ReLU(),
        ]
        while mult > 1:  # each block doubles the size: 4 -> 8 -> 16 (-> 32)
            layers += [
                nn.ConvTranspose2d(ngf * mult, ngf * mult // 2, 4, 2, 1),
                nn.BatchNorm2d(ngf * mult // 2),
                nn.ReLU(),
            ]
            mult //= 2
        layers += [nn.ConvTranspose2d(ngf, channels, 4, 2, 1), nn.Tanh()]  # (N, C, S, S)
        self.net = nn.Sequential(*layers)
        dcgan_init_(self)

    def forward(self, z: mg.Tensor) -> mg.Tensor:
        return self.net(z)


class Discriminator(nn.Module):
    """The paper's discriminator for 32x32 or 64x64 images: (N, C, S, S) -> logits (N, 1)."""

    def __init__(
        self, channels: int = 3, ndf: int = 64, image_size: int = 64, batchnorm: bool = True
    ) -> None:
        super().__init__()
        if image_size not in (32, 64):
            raise ValueError(f"DCGAN Discriminator: image_size must be 32 or 64, got {image_size}")
        layers: list[nn.Module] = [nn.Conv2d(channels, ndf, 4, 2, 1), nn.LeakyReLU(0.2)]
        mult, size = 1, image_size // 2
        while size > 4:  # halve until 4x4
            layers += [
                nn.Conv2d(ndf * mult, ndf * mult * 2, 4, 2, 1),
                nn.BatchNorm2d(ndf * mult * 2) if batchnorm else nn.Identity(),
                nn.LeakyReLU(0.2),
            ]
            mult, size = mult * 2, size // 2
        layers += [nn.Conv2d(ndf * mult, 1, 4, 1, 0), nn.Flatten()]  # (N, 1)
        self.net = nn.Sequential(*layers)
        dcgan_init_(self)

    def forward(self, x: mg.Tensor) -> mg.Tensor:
        return self.net(x)
