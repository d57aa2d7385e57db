"""GAN objectives, selectable per run. Every D/critic outputs raw logits (N, 1); each
objective says how to turn real and fake logits into the D and G losses, and which
optimiser settings and D steps per G step its paper used."""

from __future__ import annotations

from dataclasses import dataclass

import minigrad as mg
import minigrad.nn.functional as F


@dataclass(frozen=True)
class Objective:
    name: str
    optimizer: str  # "adam" or "rmsprop"
    lr: float
    betas: tuple[float, float] = (0.5, 0.999)
    d_steps: int = 1
    clip: float | None = None  # weight clipping of the critic (WGAN)
    gp_weight: float = 0.0  # gradient-penalty weight (WGAN-GP)
    probabilities: bool = True  # D outputs are logits of a probability (sigmoid)

    def d_loss(self, real: mg.Tensor, fake: mg.Tensor) -> mg.Tensor:
        """Discriminator/critic loss to minimise, from logits on real and fake batches."""
        if self.name in ("minimax", "nonsaturating"):
            # -[log D(x) + log(1 - D(G(z)))], with log D = log_sigmoid(logit)
            return F.softplus(-real).mean() + F.softplus(fake).mean()
        if self.name == "lsgan":
            return 0.5 * ((real - 1) ** 2).mean() + 0.5 * (fake**2).mean()
        return fake.mean() - real.mean()  # wgan, wgan-gp

    def g_loss(self, fake: mg.Tensor) -> mg.Tensor:
        """Generator loss to minimise, from D's logits on a fake batch."""
        if self.name == "minimax":
            return -F.softplus(fake).mean()  # log(1 - D(G(z))), the saturating original
        if self.name == "nonsaturating":
            return F.softplus(-fake).mean()  # -log D(G(z))
        if self.name == "lsgan":
            return 0.5 * ((fake - 1) ** 2).mean()
        return -fake.mean()


OBJECTIVES = {
    "minimax": Objective("minimax", "adam", 2e-4),
    "nonsaturating": Objective("nonsaturating", "adam", 2e-4),
    "lsgan": Objective("lsgan", "adam", 2e-4, probabilities=False),
    "wgan": Objective("wgan", "rmsprop", 5e-5, d_steps=5, clip=0.01, probabilities=False),
    "wgan-gp": Objective(
        "wgan-gp", "adam", 1e-4, betas=(0.0, 0.9), d_steps=5, gp_weight=10.0, probabilities=False
    ),
}
