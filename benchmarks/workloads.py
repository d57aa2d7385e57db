"""The workloads of `python -m benchmarks`, each written once for minigrad and for PyTorch.

A workload is a builder `build(backend, **size) -> step`: it makes the model, optimiser and
inputs once on the backend's device and returns a callable running one forward+backward (op
workloads) or one training iteration (model workloads). Most bodies are shared: minigrad
follows PyTorch's names (`nn.Conv2d`, `opt.zero_grad()`, `no_grad()`, `randn(..., device=)`),
so a builder picks the library's namespace and runs the same lines; where minigrad has a
ready model (models/*.py) the torch side spells out the same layer sizes beside it.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import numpy as np

import minigrad as mg

try:
    import torch
    import torch.nn.functional as TF
except ImportError:  # torch is an optional reference
    torch = None
    TF = None

Step = Callable[[], Any]


# ---------------------------------------------------------------------- backends
@dataclass(frozen=True)
class Backend:
    """A library on a device: minigrad on numpy/cupy, or torch on cpu/cuda."""

    name: str
    lib: str  # "minigrad" or "torch"
    device: str  # "cpu" or "cuda"

    def sync(self) -> None:
        """Wait for queued device work, so that a clock read after it is honest."""
        if self.device != "cuda":
            return
        if self.lib == "minigrad":
            mg.cuda.synchronize()
        else:
            torch.cuda.synchronize()

    @property
    def ns(self) -> SimpleNamespace:
        """The names a shared body needs: tensor factories, nn, grad, softplus, Adam."""
        if self.lib == "minigrad":
            return SimpleNamespace(
                lib=mg,
                nn=mg.nn,
                randn=mg.randn,
                tensor=mg.tensor,
                no_grad=mg.no_grad,
                grad=mg.grad,
                softplus=mg.nn.functional.softplus,
                F=mg.nn.functional,
                Adam=mg.optim.Adam,
            )
        return SimpleNamespace(
            lib=torch,
            nn=torch.nn,
            randn=torch.randn,
            tensor=torch.tensor,
            no_grad=torch.no_grad,
            grad=torch.autograd.grad,
            softplus=TF.softplus,
            F=TF,
            Adam=torch.optim.Adam,
        )


BACKENDS = {
    "numpy": Backend("numpy", "minigrad", "cpu"),
    "cupy": Backend("cupy", "minigrad", "cuda"),
    "torch": Backend("torch", "torch", "cpu"),
    "torch-cuda": Backend("torch-cuda", "torch", "cuda"),
}


def unavailable_reason(name: str) -> str | None:
    """None when the backend can run here, else why not."""
    b = BACKENDS[name]
    if b.lib == "torch" and torch is None:
        return "torch is not installed"
    if b.name == "cupy" and not mg.cuda.is_available():
        return "CuPy or a GPU is not available (mg.cuda.is_available() is False)"
    if b.name == "torch-cuda" and not torch.cuda.is_available():
        return "torch sees no GPU (torch.cuda.is_available() is False)"
    return None


def same_device_torch(name: str) -> str | None:
    """The torch backend on the same device as minigrad backend `name`."""
    return {"numpy": "torch", "cupy": "torch-cuda"}.get(name)


def seed(b: Backend, s: int = 0) -> None:
    np.random.seed(s)
    if b.lib == "minigrad":
        mg.manual_seed(s)
    else:
        torch.manual_seed(s)


def _module(b: Backend, m: Any) -> Any:
    return m.to(b.device)


# ---------------------------------------------------------------------- op workloads
def _op_step(b: Backend, layer: Any, x_shape: tuple[int, ...]) -> Step:
    """forward+backward of `layer` on a leaf input, against a fixed output gradient."""
    t = b.ns
    layer = _module(b, layer)
    x = t.randn(*x_shape, device=b.device, requires_grad=True)
    with t.no_grad():
        out_shape = tuple(layer(x).shape)
    gy = t.randn(*out_shape, device=b.device)

    def step() -> None:
        x.grad = None
        layer.zero_grad()
        layer(x).backward(gy)

    return step


def conv_out(size: int, k: int = 4, s: int = 2, p: int = 1) -> int:
    return (size + 2 * p - k) // s + 1


def conv2d_flops(n: int, cin: int, cout: int, size: int, k: int = 4) -> int:
    """forward + input gradient + weight gradient: 3 x 2*N*Cout*Hout*Wout*Cin*kh*kw."""
    ho = conv_out(size, k)
    return 3 * 2 * n * cout * ho * ho * cin * k * k


def build_conv2d(b: Backend, n: int = 64, cin: int = 64, cout: int = 128, size: int = 14) -> Step:
    return _op_step(b, b.ns.nn.Conv2d(cin, cout, 4, 2, 1), (n, cin, size, size))


def build_conv_transpose2d(
    b: Backend, n: int = 64, cin: int = 128, cout: int = 64, size: int = 7
) -> Step:
    return _op_step(b, b.ns.nn.ConvTranspose2d(cin, cout, 4, 2, 1), (n, cin, size, size))


def build_batchnorm2d(b: Backend, n: int = 64, c: int = 128, size: int = 7) -> Step:
    return _op_step(b, b.ns.nn.BatchNorm2d(c), (n, c, size, size))  # train mode: batch stats


def build_leaky_relu(b: Backend, n: int = 64, c: int = 128, size: int = 14) -> Step:
    return _op_step(b, b.ns.nn.LeakyReLU(0.2), (n, c, size, size))


def build_max_pool2d(b: Backend, n: int = 192, c: int = 32, size: int = 28) -> Step:
    """k2 s2, on the triplet step's first pooling input (192 images, 32 channels)."""
    return _op_step(b, b.ns.nn.MaxPool2d(2), (n, c, size, size))


def build_avg_pool2d(b: Backend, n: int = 192, c: int = 32, size: int = 28) -> Step:
    return _op_step(b, b.ns.nn.AvgPool2d(2), (n, c, size, size))


def build_matmul(b: Backend, n: int = 1024) -> Step:
    t = b.ns
    x = t.randn(n, n, device=b.device, requires_grad=True)
    w = t.randn(n, n, device=b.device, requires_grad=True)
    gy = t.randn(n, n, device=b.device)

    def step() -> None:
        x.grad = w.grad = None
        (x @ w).backward(gy)

    return step


# ---------------------------------------------------------------------- models in torch
def _torch_mlp(sizes: list[int], act: Callable[[], Any], tanh: bool) -> Any:
    layers: list[Any] = []
    for i, (a, c) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(torch.nn.Linear(a, c))
        if i < len(sizes) - 2:
            layers.append(act())
    if tanh:
        layers.append(torch.nn.Tanh())
    return torch.nn.Sequential(*layers)


def _torch_dcgan28(nz: int = 100, ngf: int = 64, ndf: int = 64, batchnorm: bool = True):
    """models/dcgan.py's Generator28 and Discriminator28, layer for layer."""
    nn = torch.nn
    g = nn.Sequential(
        nn.Linear(nz, 2 * ngf * 7 * 7),
        nn.Unflatten(1, (2 * ngf, 7, 7)),
        nn.BatchNorm2d(2 * ngf),
        nn.ReLU(),
        nn.ConvTranspose2d(2 * ngf, ngf, 4, 2, 1),  # (N, 64, 14, 14)
        nn.BatchNorm2d(ngf),
        nn.ReLU(),
        nn.ConvTranspose2d(ngf, 1, 4, 2, 1),  # (N, 1, 28, 28)
        nn.Tanh(),
    )
    d = nn.Sequential(
        nn.Conv2d(1, ndf, 4, 2, 1),  # (N, 64, 14, 14)
        nn.LeakyReLU(0.2),
        nn.Conv2d(ndf, 2 * ndf, 4, 2, 1),  # (N, 128, 7, 7)
        nn.BatchNorm2d(2 * ndf) if batchnorm else nn.Identity(),
        nn.LeakyReLU(0.2),
        nn.Flatten(),
        nn.Linear(2 * ndf * 7 * 7, 1),
    )
    return g, d


def _torch_embedding_net(embedding_dim: int = 64, c: int = 16):
    """models/embedding.py's EmbeddingNet(64, 16, normalize=True), layer for layer."""
    nn = torch.nn
    net = nn.Sequential(
        nn.Conv2d(1, c, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(c, 2 * c, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(2 * c * 7 * 7, embedding_dim),
    )
    return lambda x: TF.normalize(net(x), dim=1), net


# ---------------------------------------------------------------------- GAN iterations
def _nonsaturating_d(t: SimpleNamespace, real: Any, fake: Any) -> Any:
    return t.softplus(-real).mean() + t.softplus(fake).mean()


def _nonsaturating_g(t: SimpleNamespace, fake: Any) -> Any:
    return t.softplus(-fake).mean()


def _wasserstein_d(t: SimpleNamespace, real: Any, fake: Any) -> Any:
    return fake.mean() - real.mean()


def _wasserstein_g(t: SimpleNamespace, fake: Any) -> Any:
    return -fake.mean()


def _gradient_penalty(t: SimpleNamespace, critic: Any, real: Any, fake: Any, w: float) -> Any:
    """models/wgan.py's penalty in either library: a double backward through the critic."""
    n = real.shape[0]
    eps = t.lib.rand(n, 1, 1, 1, device=real.device)
    x = (eps * real.detach() + (1 - eps) * fake.detach()).detach().requires_grad_()
    (g,) = t.grad(critic(x).sum(), x, create_graph=True)
    return w * ((g.reshape(n, -1).norm(dim=1) - 1) ** 2).mean()


# The parts of a GAN iteration, in order: `_gan_step`'s step calls `mark(name)` as each ends
# (benchmarks/gan_phases.py times them; the default mark does nothing).
GAN_PHASES = (
    "G forward, no grad",
    "D forward and loss",
    "D backward",
    "D optimizer step",
    "G and D forward, loss",
    "G backward",
    "G optimizer step",
)


def _unmarked(phase: str) -> None:
    pass


def _gan_step(
    b: Backend,
    g: Any,
    d: Any,
    real: Any,
    nz: int,
    lr: float,
    betas: tuple[float, float],
    losses: tuple[Callable, Callable],
    gp_weight: float = 0.0,
) -> Step:
    """One D step on a real and a fake batch (detached fakes), then one G step through a
    frozen D, as train/gan.py does; with `gp_weight` the D loss adds the gradient penalty."""
    t = b.ns
    g, d = _module(b, g), _module(b, d)
    opt_g = t.Adam(g.parameters(), lr=lr, betas=betas)
    opt_d = t.Adam(d.parameters(), lr=lr, betas=betas)
    d_loss, g_loss = losses
    n = real.shape[0]

    def step(mark: Callable[[str], None] = _unmarked) -> None:
        z = t.randn(n, nz, device=b.device)
        with t.no_grad():
            fake = g(z)
        mark(GAN_PHASES[0])
        loss = d_loss(t, d(real), d(fake))
        if gp_weight:
            loss = loss + _gradient_penalty(t, d, real, fake, gp_weight)
        mark(GAN_PHASES[1])
        opt_d.zero_grad()
        loss.backward()
        mark(GAN_PHASES[2])
        opt_d.step()
        mark(GAN_PHASES[3])

        d.requires_grad_(False)
        loss = g_loss(t, d(g(t.randn(n, nz, device=b.device))))
        mark(GAN_PHASES[4])
        opt_g.zero_grad()
        loss.backward()
        mark(GAN_PHASES[5])
        opt_g.step()
        d.requires_grad_(True)
        mark(GAN_PHASES[6])

    return step


def build_mlp_gan(
    b: Backend, batch: int = 64, nz: int = 100, hidden: int = 256, out: int = 784
) -> Step:
    seed(b)
    t = b.ns
    if b.lib == "minigrad":
        from models.mlp_gan import MLPDiscriminator, MLPGenerator

        g = MLPGenerator(nz, (hidden, hidden), out)
        d = MLPDiscriminator(out, (hidden, hidden))
    else:
        g = _torch_mlp([nz, hidden, hidden, out], torch.nn.ReLU, tanh=True)
        d = _torch_mlp([out, hidden, hidden, 1], lambda: torch.nn.LeakyReLU(0.2), tanh=False)
    real = t.randn(batch, out, device=b.device).tanh()
    losses = (_nonsaturating_d, _nonsaturating_g)
    return _gan_step(b, g, d, real, nz, 2e-4, (0.5, 0.999), losses)


def _dcgan_models(b: Backend, batchnorm: bool) -> tuple[Any, Any]:
    if b.lib == "minigrad":
        from models.dcgan import Discriminator28, Generator28

        return Generator28(100), Discriminator28(batchnorm=batchnorm)
    return _torch_dcgan28(batchnorm=batchnorm)


def build_dcgan(b: Backend, batch: int = 64) -> Step:
    seed(b)
    g, d = _dcgan_models(b, batchnorm=True)
    real = b.ns.randn(batch, 1, 28, 28, device=b.device).tanh()
    losses = (_nonsaturating_d, _nonsaturating_g)
    return _gan_step(b, g, d, real, 100, 2e-4, (0.5, 0.999), losses)


def build_wgan_gp(b: Backend, batch: int = 64) -> Step:
    seed(b)
    g, d = _dcgan_models(b, batchnorm=False)  # batchnorm couples the samples the GP treats apart
    real = b.ns.randn(batch, 1, 28, 28, device=b.device).tanh()
    losses = (_wasserstein_d, _wasserstein_g)
    return _gan_step(b, g, d, real, 100, 1e-4, (0.0, 0.9), losses, gp_weight=10.0)


def build_dcgan_example(b: Backend, batch: int = 64) -> Step:
    """The iteration of pytorch/examples dcgan/main.py on the 28x28 models: D on a real batch,
    then on `fake.detach()` of one G forward made with grad; then G's loss through D on the
    same fake, D's parameters still requiring grad (their gradients are computed, as in the
    example, and cleared by the next D step). BCE on logits, Adam(2e-4, (0.5, 0.999))."""
    seed(b)
    t = b.ns
    g, d = (_module(b, m) for m in _dcgan_models(b, batchnorm=True))
    real = t.randn(batch, 1, 28, 28, device=b.device).tanh()
    criterion = t.nn.BCEWithLogitsLoss()
    opt_d = t.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_g = t.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    real_label = t.lib.ones(batch, 1, device=b.device)
    fake_label = t.lib.zeros(batch, 1, device=b.device)

    def step() -> None:
        # (1) update D: maximize log(D(x)) + log(1 - D(G(z)))
        d.zero_grad()
        err_d_real = criterion(d(real), real_label)
        err_d_real.backward()
        fake = g(t.randn(batch, 100, device=b.device))
        err_d_fake = criterion(d(fake.detach()), fake_label)
        err_d_fake.backward()
        opt_d.step()
        # (2) update G: maximize log(D(G(z)))
        g.zero_grad()
        err_g = criterion(d(fake), real_label)
        err_g.backward()
        opt_g.step()

    return step


def dcgan_example_flops(batch: int, nz: int = 100, ngf: int = 64, ndf: int = 64) -> int:
    """Matmul FLOPs of `build_dcgan_example`'s iteration, counted as in `dcgan_flops`: one
    G forward; D forward+backward on the real and the detached fake batch (no input
    gradient at D's first layer); D forward+backward on the fake with weight and input
    gradients; G's backward without the input gradient of its first layer."""
    n = batch
    g = [nz * 2 * ngf * 49, 2 * ngf * 49 * ngf * 16, ngf * 196 * 1 * 16]  # per sample
    d = [1 * 16 * ndf * 196, ndf * 16 * 2 * ndf * 49, 2 * ndf * 49]
    fg, fd = 2 * n * sum(g), 2 * n * sum(d)
    d_step = 2 * (3 * fd - 2 * n * d[0])
    g_step = 3 * fg - 2 * n * g[0] + 3 * fd
    return d_step + g_step


def dcgan_flops(batch: int, nz: int = 100, ngf: int = 64, ndf: int = 64) -> int:
    """Matmul FLOPs of one DCGAN iteration (models/dcgan.py, 28x28), elementwise ops and
    batchnorm left out. Per layer forward F = 2*N*(products per sample); a trained layer's
    backward adds F for the weight gradient and F for the input gradient, which is skipped
    where nothing upstream needs it (G's first layer; D's first layer in the D step). The D
    step runs G forward once (no grad) and D forward+backward on N real + N fake; the G step
    runs G and D forward+backward, D frozen (no weight gradients)."""
    n = batch
    g = [nz * 2 * ngf * 49, 2 * ngf * 49 * ngf * 16, ngf * 196 * 1 * 16]  # per sample
    d = [1 * 16 * ndf * 196, ndf * 16 * 2 * ndf * 49, 2 * ndf * 49]
    fg, fd = 2 * n * sum(g), 2 * n * sum(d)
    d_step = fg + 2 * (3 * fd - 2 * n * d[0])
    g_step = (3 * fg - 2 * n * g[0]) + 2 * fd
    return d_step + g_step


# ---------------------------------------------------------------------- triplet network
def _torch_batch_hard(emb: Any, labels: Any) -> tuple[Any, Any, Any]:
    """models/mining.py's batch_hard_triplets in torch."""
    with torch.no_grad():
        sq = (emb * emb).sum(1)
        dist = (sq[:, None] + sq[None, :] - 2 * emb @ emb.T).clamp_min(0)
        same = labels[:, None] == labels[None, :]
        pos = same & ~torch.eye(len(labels), dtype=torch.bool, device=emb.device)
        neg = ~same
        keep = torch.nonzero(pos.any(1) & neg.any(1))[:, 0]
        p = torch.where(pos, dist, -torch.inf)[keep].argmax(1)
        n = torch.where(neg, dist, torch.inf)[keep].argmin(1)
    return keep, p, n


def triplet_available() -> str | None:
    """None when models/triplet.py, mining.py and embedding.py import, else why not."""
    for name in ("models.triplet", "models.mining", "models.embedding"):
        if importlib.util.find_spec(name) is None:
            return f"{name} does not exist"
    try:
        from models.embedding import EmbeddingNet  # noqa: F401
        from models.mining import batch_hard_triplets  # noqa: F401
        from models.triplet import triplet_loss  # noqa: F401
    except Exception as exc:  # another engineer's work in progress
        return f"models.triplet/mining/embedding do not import: {type(exc).__name__}: {exc}"
    return None


def build_triplet(b: Backend, classes: int = 8, per_class: int = 8) -> Step:
    """EmbeddingNet(64, 16, normalize=True), batch-hard mining, FaceNet loss (margin 0.2),
    Adam(1e-3), on a batch of `classes` x `per_class` images."""
    seed(b)
    t = b.ns
    batch = classes * per_class
    labels_np = np.repeat(np.arange(classes), per_class)
    x = t.randn(batch, 1, 28, 28, device=b.device).tanh()
    if b.lib == "minigrad":
        from models.embedding import EmbeddingNet
        from models.mining import batch_hard_triplets
        from models.triplet import triplet_loss

        net = _module(b, EmbeddingNet(64, 16, normalize=True))
        params = net.parameters()

        def loss_fn() -> Any:
            emb = net(x)
            triplets = batch_hard_triplets(emb, labels_np, margin=0.2)
            return triplet_loss(emb, triplets, 0.2, normalize=False)

    else:
        embed, net = _torch_embedding_net()
        net = _module(b, net)
        params = net.parameters()
        labels = torch.tensor(labels_np, device=b.device)

        def loss_fn() -> Any:
            emb = embed(x)
            a, p, n = _torch_batch_hard(emb, labels)
            d_ap = ((emb[a] - emb[p]) ** 2).sum(1)
            d_an = ((emb[a] - emb[n]) ** 2).sum(1)
            return torch.relu(d_ap - d_an + 0.2).mean()

    opt = t.Adam(params, lr=1e-3)

    def step() -> None:
        loss = loss_fn()
        opt.zero_grad()
        loss.backward()
        opt.step()

    return step


def _triplet_convnet(nn: Any, c1: int, c2: int, hidden: int, dim: int) -> Any:
    """(Conv3x3-ReLU-MaxPool2) x 2 -> Linear-ReLU-Linear on 28x28 images, in either library."""
    return nn.Sequential(
        nn.Conv2d(1, c1, 3, padding=1),  # (N, c1, 28, 28)
        nn.ReLU(),
        nn.MaxPool2d(2),  # (N, c1, 14, 14)
        nn.Conv2d(c1, c2, 3, padding=1),  # (N, c2, 14, 14)
        nn.ReLU(),
        nn.MaxPool2d(2),  # (N, c2, 7, 7)
        nn.Flatten(),
        nn.Linear(c2 * 7 * 7, hidden),
        nn.ReLU(),
        nn.Linear(hidden, dim),
    )


def build_triplet_example(
    b: Backend, triplets: int = 64, c1: int = 32, c2: int = 64, hidden: int = 128, dim: int = 64
) -> Step:
    """A triplet step as a PyTorch user writes it: anchors, positives and negatives through
    the net in one batch of 3 x `triplets` images, L2-normalised embeddings,
    `triplet_margin_loss` (margin 0.2), Adam(1e-3). The same lines run on both libraries."""
    seed(b)
    t = b.ns
    net = _module(b, _triplet_convnet(t.nn, c1, c2, hidden, dim))
    opt = t.Adam(net.parameters(), lr=1e-3)
    anchor, positive, negative = (
        t.randn(triplets, 1, 28, 28, device=b.device).tanh() for _ in range(3)
    )

    def step() -> None:
        emb = t.F.normalize(net(t.lib.cat([anchor, positive, negative])), dim=1)
        a, p, n = emb.chunk(3)
        loss = t.F.triplet_margin_loss(a, p, n, margin=0.2)
        opt.zero_grad()
        loss.backward()
        opt.step()

    return step


def triplet_example_flops(
    triplets: int, c1: int = 32, c2: int = 64, hidden: int = 128, dim: int = 64
) -> int:
    """Matmul FLOPs of `build_triplet_example`'s step: forward, weight gradients, and input
    gradients of every layer but the first."""
    n = 3 * triplets
    per = [1 * 9 * c1 * 784, c1 * 9 * c2 * 196, c2 * 49 * hidden, hidden * dim]  # per image
    f = 2 * n * sum(per)
    return 3 * f - 2 * n * per[0]


# ---------------------------------------------------------------------- the list
@dataclass
class Workload:
    name: str
    kind: str  # "op" (forward+backward) or "model" (a training iteration)
    build: Callable[..., Step]
    full: dict[str, Any]
    quick: dict[str, Any]
    flops: Callable[..., int] | None = None
    available: Callable[[], str | None] = field(default=lambda: None)

    def params(self, quick: bool) -> dict[str, Any]:
        return dict(self.quick if quick else self.full)

    def flop_count(self, params: dict[str, Any]) -> int | None:
        return None if self.flops is None else self.flops(**params)


def _matmul_flops(n: int) -> int:
    return 3 * 2 * n**3  # forward, and the two gradient products


WORKLOADS = [
    Workload(
        "conv2d 64->128 14x14 k4s2p1",
        "op",
        build_conv2d,
        dict(n=64, cin=64, cout=128, size=14),
        dict(n=8, cin=16, cout=32, size=14),
        conv2d_flops,
    ),
    Workload(
        "conv_transpose2d 128->64 7->14",
        "op",
        build_conv_transpose2d,
        dict(n=64, cin=128, cout=64, size=7),
        dict(n=8, cin=32, cout=16, size=7),
        # the adjoint of the conv2d above: the same three products
        lambda n, cin, cout, size: conv2d_flops(n, cout, cin, 2 * size),
    ),
    Workload(
        "batchnorm2d 128ch 7x7",
        "op",
        build_batchnorm2d,
        dict(n=64, c=128, size=7),
        dict(n=8, c=32, size=7),
    ),
    Workload(
        "leaky_relu 64x128x14x14",
        "op",
        build_leaky_relu,
        dict(n=64, c=128, size=14),
        dict(n=8, c=32, size=14),
    ),
    Workload(
        "max_pool2d 192x32x28x28 k2",
        "op",
        build_max_pool2d,
        dict(n=192, c=32, size=28),
        dict(n=8, c=4, size=28),
    ),
    Workload(
        "avg_pool2d 192x32x28x28 k2",
        "op",
        build_avg_pool2d,
        dict(n=192, c=32, size=28),
        dict(n=8, c=4, size=28),
    ),
    Workload("matmul 1024^2", "op", build_matmul, dict(n=1024), dict(n=128), _matmul_flops),
    Workload("MLP GAN iteration", "model", build_mlp_gan, dict(batch=64), dict(batch=8)),
    Workload("DCGAN iteration", "model", build_dcgan, dict(batch=64), dict(batch=4), dcgan_flops),
    Workload(
        "DCGAN iteration, example form",
        "model",
        build_dcgan_example,
        dict(batch=64),
        dict(batch=4),
        dcgan_example_flops,
    ),
    Workload("WGAN-GP iteration", "model", build_wgan_gp, dict(batch=64), dict(batch=4)),
    Workload(
        "triplet iteration",
        "model",
        build_triplet,
        dict(classes=8, per_class=8),
        dict(classes=2, per_class=4),
        available=triplet_available,
    ),
    Workload(
        "triplet step, 192 images",
        "model",
        build_triplet_example,
        dict(triplets=64),
        dict(triplets=2, c1=4, c2=8, hidden=16, dim=8),
        triplet_example_flops,
    ),
]

BY_NAME = {w.name: w for w in WORKLOADS}


def build(workload: Workload, backend: str, params: dict[str, Any]) -> Step:
    return workload.build(BACKENDS[backend], **params)
