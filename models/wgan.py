"""Wasserstein GAN pieces: the critic's weight clipping (Arjovsky et al. 2017) and the
gradient penalty (Gulrajani et al. 2017)."""

from __future__ import annotations

from collections.abc import Callable

import minigrad as mg
from minigrad import nn


@mg.no_grad()
def clip_weights_(critic: nn.Module, c: float) -> None:
    """Clamp every critic parameter to [-c, c] in place."""
    for p in critic.parameters():
        p.clamp_(-c, c)


def gradient_penalty(
    critic: Callable[[mg.Tensor], mg.Tensor],
    real: mg.Tensor,
    fake: mg.Tensor,
    weight: float = 10.0,
    pack: int = 1,
) -> mg.Tensor:
    """weight * E[(||grad_x critic(x)||_2 - 1)^2] on random interpolates of real and fake.

    With a packed critic (`models.pacgan.Packed`), x is a pack of `pack` consecutive
    samples, so the norm is taken over each pack's gradient.

    `mg.grad(..., create_graph=True)` keeps the gradient in the graph, so the penalty's own
    gradient reaches the critic's parameters (a second derivative through the critic).
    """
    n = real.shape[0]
    eps = mg.rand(n, *([1] * (real.ndim - 1)), dtype=real.dtype, device=real.device)
    x = (eps * real.detach() + (1 - eps) * fake.detach()).detach().requires_grad_()
    (g,) = mg.grad(critic(x).sum(), x, create_graph=True)
    norms = g.reshape(n // pack, -1).norm(dim=1)
    return weight * ((norms - 1) ** 2).mean()
