"""05: WGAN-GP and the second derivative.

The WGAN-GP critic loss (Gulrajani et al. 2017) adds a gradient penalty,
    gp = mean over x_hat of (||grad_x D(x_hat)||_2 - 1)^2,
at points x_hat between real and fake samples. The penalty contains a gradient, so its own
gradient with respect to D's weights is a second derivative. `mg.grad(..., create_graph=True)`
records the backward pass as a graph of its own, and `gp.backward()` then differentiates
through it. With `create_graph=False` the gradient is a constant and the penalty could not
train D at all.

Prints: d gp / d w for a few weights of a tiny tanh critic from backward, next to central
finite differences of gp (float64), and the largest difference; then trains a critic with
loss D(fake) - D(real) + 10 gp and prints the mean ||grad_x D|| at x_hat moving towards 1.

Read next: models/wgan.py (`gradient_penalty`), minigrad/autograd.py (`grad`,
`create_graph`), minigrad/gradcheck.py (`gradgradcheck` checks every op this way).
"""

import argparse

import minigrad as mg
from minigrad import nn
from minigrad.data import ring_of_gaussians


def penalty_and_norm(critic: nn.Module, real: mg.Tensor, fake: mg.Tensor, t: mg.Tensor):
    """(gp, mean gradient norm) at x_hat = t * real + (1 - t) * fake, t (N, 1) in [0, 1]."""
    x_hat = (t * real + (1 - t) * fake).detach().requires_grad_()
    (g,) = mg.grad(critic(x_hat).sum(), x_hat, create_graph=True)  # (N, 2), keeps its graph
    norms = g.norm(dim=1)
    return ((norms - 1) ** 2).mean(), norms.mean().item()


def check_against_finite_differences(eps: float = 1e-6) -> list[tuple[str, float, float]]:
    mg.manual_seed(0)
    critic = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1)).double()
    real, fake = mg.randn(16, 2, dtype=mg.float64), mg.randn(16, 2, dtype=mg.float64) + 3
    t = mg.rand(16, 1, dtype=mg.float64)  # fixed, so gp is a function of the weights only
    gp, _ = penalty_and_norm(critic, real, fake, t)
    gp.backward()  # through the recorded backward pass: second derivatives of D
    rows = []
    for name, p in critic.named_parameters():
        for i in range(min(2, p.shape[-1])):
            idx = (0,) * (p.ndim - 1) + (i,)
            values = []
            orig = p[idx].item()
            for value in (orig + eps, orig - eps, orig):
                with mg.no_grad():  # an in-place edit of a leaf, outside the graph
                    p[idx] = value
                values.append(penalty_and_norm(critic, real, fake, t)[0].item())
            # the output bias shifts D but not its slope: gp ignores it and gets no .grad
            analytic = 0.0 if p.grad is None else p.grad[idx].item()
            rows.append((f"{name}{list(idx)}", analytic, (values[0] - values[1]) / (2 * eps)))
    return rows


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--tiny", action="store_true", help="20 critic steps")
    args = parser.parse_args(argv)
    if args.steps < 1:
        parser.error(f"--steps must be at least 1, got {args.steps}")
    rows = check_against_finite_differences()
    print(f"{'weight':<16}{'backward':>14}{'finite diff':>14}")
    for name, analytic, numeric in rows:
        print(f"{name:<16}{analytic:>14.8f}{numeric:>14.8f}")
    worst = max(abs(a - n) for _, a, n in rows)
    print(f"largest difference {worst:.1e}")

    steps = 20 if args.tiny else args.steps
    mg.manual_seed(0)
    critic = nn.Sequential(
        nn.Linear(2, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 1)
    )
    opt = mg.optim.Adam(critic.parameters(), lr=1e-3, betas=(0.0, 0.9))
    norms = []
    for step in range(1, steps + 1):
        real = mg.tensor(ring_of_gaussians(128))
        fake = 0.5 * mg.randn(128, 2)  # a fixed "generator": noise near the centre
        gp, norm = penalty_and_norm(critic, real, fake, mg.rand(128, 1))
        loss = critic(fake).mean() - critic(real).mean() + 10 * gp
        opt.zero_grad()
        loss.backward()
        opt.step()
        norms.append(norm)
        if step == 1 or step % max(1, steps // 5) == 0:
            print(f"critic step {step:4d}  loss {loss.item():8.3f}  mean ||grad D|| {norm:.3f}")
    return {"rows": rows, "worst": worst, "norms": norms}


if __name__ == "__main__":
    main()
