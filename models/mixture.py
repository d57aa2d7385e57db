"""A Gaussian-mixture latent for any generator, after DeLiGAN (Gurumurthy et al. 2017).

A plain generator maps one Gaussian blob of latents onto every digit, so the latents between
two digits' regions draw something between the two: a 4 turning into a 9. Here the
generator sees `z + mu_k`: one of K learnt means, each far from the others in 100
dimensions, so that the latents fall into K separate clusters that the generator can give
separate digits and styles, with no latent in between.

The latent stays a plain `z ~ N(0, I)`: its first coordinate picks the component (k is the
bin of z_0 between the standard normal's K-quantiles, so every component has probability
1/K), and everything that draws, saves or interpolates latents works unchanged. The means are
parameters of the generator, trained by its optimizer with the rest of its weights.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np

import minigrad as mg
from minigrad import nn


class MixtureLatent(nn.Module):
    """`generator(z + means[k(z)])` for latents z (N, nz): k(z) in [0, components) is the
    quantile bin of z[:, 0] under N(0, 1); `means` (components, nz) start as
    N(0, spread^2) draws."""

    def __init__(self, generator: nn.Module, nz: int, components: int, spread: float) -> None:
        super().__init__()
        if components < 2:
            raise ValueError(f"MixtureLatent: components must be >= 2, got {components}")
        if not spread > 0:
            raise ValueError(f"MixtureLatent: spread must be > 0, got {spread}")
        self.generator = generator
        self.nz, self.components, self.spread = nz, components, spread
        self.means = nn.Parameter(mg.randn(components, nz) * spread)
        normal = NormalDist()
        self._edges = np.array([normal.inv_cdf(i / components) for i in range(1, components)])

    def component(self, z: mg.Tensor) -> mg.Tensor:
        """Each latent's component (N,) int64: how many quantiles z[:, 0] reaches."""
        edges = mg.tensor(self._edges, dtype=z.dtype, device=z.device)
        return (z.detach()[:, :1] >= edges).sum(dim=1)

    def forward(self, z: mg.Tensor) -> mg.Tensor:
        if z.ndim != 2 or z.shape[1] != self.nz:
            raise ValueError(f"MixtureLatent: expected latents (N, {self.nz}), got {z.shape}")
        return self.generator(z + self.means[self.component(z)])

    def extra_repr(self) -> str:
        return f"components={self.components}, spread={self.spread}"
