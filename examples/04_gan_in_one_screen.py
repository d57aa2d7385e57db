"""04: a GAN in one screen, on the ring of 8 Gaussians.

Real data: 2-D points from 8 Gaussians on a circle of radius 2 (std 0.02,
`minigrad.data.ring_of_gaussians`). G maps noise z to points; D maps points to a logit.
Each step:
- D step: push D(real) up and D(G(z)) down, loss = softplus(-D(x)) + softplus(D(G(z)))
  (binary cross-entropy on logits). The fakes are `detach()`ed: this step must not send
  gradients into G.
- G step: the non-saturating loss softplus(-D(G(z))) = -log sigmoid(D(G(z))): G makes
  D call its samples real. Only G's optimizer steps; D's gradients are cleared next time.
Prints D and G losses every few hundred steps, then how many of the 8 modes G covers (a
mode counts when a sample lands within 3 std of it; the VEEGAN protocol) and the share of
samples within 3 std of some mode. A plain GAN often misses modes: that is mode collapse.

Read next: models/losses.py (every GAN objective), models/mlp_gan.py, train/gan.py.
"""

import argparse

# minigrad before NumPy: it sets how long NumPy's idle OpenBLAS threads spin, which
# OpenBLAS reads when NumPy loads it (docs/kernels.md, "Several cores")
import minigrad as mg  # isort: skip
import numpy as np

import minigrad.nn.functional as F
from minigrad import nn
from minigrad.data import ring_centres, ring_of_gaussians

STD = 0.02


def mlp(n_in: int, n_out: int, width: int = 128) -> nn.Module:
    return nn.Sequential(
        nn.Linear(n_in, width),  # (N, width)
        nn.ReLU(),
        nn.Linear(width, width),  # (N, width)
        nn.ReLU(),
        nn.Linear(width, n_out),  # (N, n_out)
    )


def coverage(points: np.ndarray) -> tuple[int, float]:
    """(modes with a sample within 3 std, share of samples within 3 std of a mode)."""
    d = np.linalg.norm(points[:, None, :] - ring_centres()[None], axis=2)  # (N, 8)
    near = d.min(1) <= 3 * STD
    return len(np.unique(d.argmin(1)[near])), float(near.mean())


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--nz", type=int, default=64)
    parser.add_argument("--tiny", action="store_true", help="30 steps of 64 points")
    args = parser.parse_args(argv)
    for flag in ("steps", "batch", "nz"):
        if getattr(args, flag) < 1:
            parser.error(f"--{flag} must be at least 1, got {getattr(args, flag)}")
    steps, batch = (30, 64) if args.tiny else (args.steps, args.batch)
    mg.manual_seed(0)
    G, D = mlp(args.nz, 2), mlp(2, 1)
    opt_g = mg.optim.Adam(G.parameters(), lr=1e-3, betas=(0.5, 0.999))
    opt_d = mg.optim.Adam(D.parameters(), lr=1e-3, betas=(0.5, 0.999))
    history = []
    for step in range(1, steps + 1):
        real = mg.tensor(ring_of_gaussians(batch, std=STD))
        fake = G(mg.randn(batch, args.nz))

        # D step: real -> 1, fake -> 0; detach() keeps this step's gradients out of G
        d_loss = F.softplus(-D(real)).mean() + F.softplus(D(fake.detach())).mean()
        opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()

        # G step: make D say "real" on the same fakes (non-saturating loss)
        g_loss = F.softplus(-D(fake)).mean()
        opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()

        history.append((d_loss.item(), g_loss.item()))
        if step % max(1, steps // 6) == 0 or step == steps:
            print(f"step {step:5d}  D loss {history[-1][0]:.3f}  G loss {history[-1][1]:.3f}")
    with mg.no_grad():
        samples = G(mg.randn(2000, args.nz)).numpy()
    modes, quality = coverage(samples)
    print(f"modes covered {modes}/8, samples within 3 std of a mode {quality:.1%}")
    return {"losses": history, "modes": modes, "high_quality": quality}


if __name__ == "__main__":
    main()
