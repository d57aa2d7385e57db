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

    @property
    def has_labels(self) -> bool:
        """D learns real/fake targets (minimax, nonsaturating, LSGAN), not a Wasserstein
        critic's scores: label smoothing and R1 apply to it."""
        return self.probabilities or self.name == "lsgan"

    def d_loss(self, real: mg.Tensor, fake: mg.Tensor, real_label: float = 1.0) -> mg.Tensor:
        """Discriminator/critic loss to minimise, from logits on real and fake batches.

        `real_label` < 1 is one-sided label smoothing (Salimans et al. 2016, sec. 3.4):
        D's target on real data becomes e.g. 0.9 instead of 1, fakes keep target 0, so an
        overconfident D is penalised without rewarding G for samples near no data. It
        applies to the probability objectives (minimax, nonsaturating) and to the LSGAN
        real target; the Wasserstein critics have no labels to smooth."""
        if real_label != 1.0 and not self.has_labels:
            raise ValueError(f"label smoothing does not apply to the {self.name} critic")
        if self.name in ("minimax", "nonsaturating"):
            # -[t log D(x) + (1 - t) log(1 - D(x)) + log(1 - D(G(z)))], log D = log_sigmoid
            loss_real = F.softplus(-real).mean()
            if real_label != 1.0:
                loss_real = real_label * loss_real + (1 - real_label) * F.softplus(real).mean()
            return loss_real + F.softplus(fake).mean()
        if self.name == "lsgan":
            return 0.5 * ((real - real_label) ** 2).mean() + 0.5 * (fake**2).mean()
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


def r1_penalty(real: mg.Tensor, d_real: mg.Tensor, gamma: float, pack: int = 1) -> mg.Tensor:
    """R1 (Mescheder et al. 2018): gamma / 2 * E ||grad_x D(x)||^2 over D's real inputs, a
    zero-centred gradient penalty that stops D from growing steep around the data.

    `real` (N, ...) must require grad and `d_real` be D's scores on it. With a packed D
    (`models.pacgan.Packed`) each D input is `pack` consecutive samples, so the squared
    norm is summed over each pack. `create_graph=True` keeps the gradient in the graph:
    the penalty's own gradient reaches D's weights through a second derivative."""
    n = real.shape[0]
    if n % pack:
        raise ValueError(f"r1_penalty: batch {n} is not a multiple of the pack {pack}")
    (g,) = mg.grad(d_real.sum(), real, create_graph=True)
    return gamma / 2 * (g * g).reshape(n // pack, -1).sum(1).mean()


OBJECTIVES = {
    "minimax": Objective("minimax", "adam", 2e-4),
    "nonsaturating": Objective("nonsaturating", "adam", 2e-4),
    "lsgan": Objective("lsgan", "adam", 2e-4, probabilities=False),
    "wgan": Objective("wgan", "rmsprop", 5e-5, d_steps=5, clip=0.01, probabilities=False),
    "wgan-gp": Objective(
        "wgan-gp", "adam", 1e-4, betas=(0.0, 0.9), d_steps=5, gp_weight=10.0, probabilities=False
    ),
}
