"""Run under `mpiexec -n 2 python -m mpi4py tests/distributed/worker_checks.py OUT.json`.

Every check trains (or reduces) with DistributedDataParallel across the processes, each on
its shard of a global batch, while rank 0 also trains a plain copy on the whole batch; rank
0 writes {check: error message or ""} to OUT.json. float64 throughout.
"""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import minigrad as mg  # noqa: E402
import minigrad.distributed as dist  # noqa: E402
from minigrad import nn  # noqa: E402
from minigrad.distributed import DistributedDataParallel as DDP  # noqa: E402
from models.dcgan import Discriminator28, Generator28  # noqa: E402
from models.losses import OBJECTIVES  # noqa: E402
from models.mlp_gan import MLPDiscriminator, MLPGenerator  # noqa: E402

RANK, WORLD = dist.rank(), dist.world_size()
TOL = 1e-6
# mismatches found by compare(): collected rather than raised, so that every rank runs the
# same collectives in the same order even when rank 0 alone sees a difference
FAILURES: list[str] = []
WORST: list[float] = [0.0]  # the largest difference from the 1-process run, per check


def shard(a: np.ndarray) -> np.ndarray:
    """This rank's consecutive block of the global batch."""
    b = len(a) // WORLD
    return a[RANK * b : (RANK + 1) * b]


def gp(critic, real, fake, eps, weight=10.0):
    """The WGAN-GP penalty with given interpolation weights (models.wgan draws its own)."""
    x = (eps * real + (1 - eps) * fake).detach().requires_grad_()
    (g,) = mg.grad(critic(x).sum(), x, create_graph=True)
    norms = g.reshape(x.shape[0], -1).norm(dim=1)
    return weight * ((norms - 1) ** 2).mean()


def gan_steps(G, D, objective, data, noise, eps, steps, wrap, gp_weight=0.0):
    """`steps` D-then-G steps, pytorch/examples' order; `wrap` makes G and D distributed."""
    if wrap:
        G, D = wrap(G), wrap(D)
    # SGD, not Adam: Adam's steps hardly change when every gradient is scaled alike, so it
    # would hide a sum left unaveraged
    opt_g = mg.optim.SGD(G.parameters(), lr=0.05, momentum=0.5)
    opt_d = mg.optim.SGD(D.parameters(), lr=0.05, momentum=0.5)
    for s in range(steps):
        real, z, e = (mg.Tensor(a[s]) for a in (data, noise, eps))
        if wrap:
            real, z, e = (mg.Tensor(shard(t.numpy())) for t in (real, z, e))
        D.zero_grad()
        fake = G(z)
        loss_d = objective.d_loss(D(real), D(fake.detach()))
        if gp_weight:
            loss_d = loss_d + gp(D, real, fake.detach(), e, gp_weight)
        loss_d.backward()
        opt_d.step()
        G.zero_grad()
        objective.g_loss(D(G(z))).backward()
        opt_g.step()
    return G, D


def compare(ref, got, what):
    """Parameters and buffers of the distributed copy are the same on every rank and match
    the reference (rank 0). Every rank takes part in every broadcast before any raises."""
    ref_sd, got_sd = ref.state_dict(), got.state_dict()
    assert list(ref_sd) == list(got_sd), f"{what}: keys {list(ref_sd)} != {list(got_sd)}"
    errors = []
    for k, t in got_sd.items():
        mine = t.numpy()
        rank0 = mg.Tensor(mine.copy())
        dist.broadcast(rank0, 0)
        if not np.array_equal(rank0.numpy(), mine):
            errors.append(f"{what}: {k} differs between ranks")
        diff = float(np.max(np.abs(ref_sd[k].numpy() - mine))) if RANK == 0 else 0.0
        WORST[0] = max(WORST[0], diff)
        if diff > TOL:
            errors.append(f"{what}: {k} differs from the 1-process run by {diff:.3g}")
    FAILURES.extend(errors)


def arrays(seed, steps, batch, *shape):
    return np.random.default_rng(seed).standard_normal((steps, batch, *shape))


def models_mlp():
    mg.manual_seed(0)
    G = MLPGenerator(nz=6, hidden=(16, 16), out_dim=10, batchnorm=True).double()
    D = MLPDiscriminator(in_dim=10, hidden=(16, 16)).double()
    return G, D


def check_mlp_gan(overlap=True):
    steps, batch = 3, 8
    data, noise = arrays(1, steps, batch, 10), arrays(2, steps, batch, 6)
    eps = np.zeros((steps, batch, 1))
    obj = OBJECTIVES["nonsaturating"]
    G, D = gan_steps(*models_mlp(), obj, data, noise, eps, steps, None)
    Gs, Ds = models_mlp()
    Gs = nn.convert_sync_batchnorm(Gs)

    def wrap(m):
        return DDP(m, bucket_cap_mb=0.001, overlap=overlap)  # ~1 KB: several buckets

    Gd, Dd = gan_steps(Gs, Ds, obj, data, noise, eps, steps, wrap)
    assert len(Gd._buckets) > 2, f"expected several buckets, got {len(Gd._buckets)}"
    started = Gd.overlapped_buckets
    assert started == (len(Gd._buckets) if overlap else 0), f"{started} started in backward"
    compare(G, Gd, "G")
    compare(D, Dd, "D")
    return {k: t.numpy() for k, t in Gd.state_dict().items()}


def models_dcgan(batchnorm=True):
    mg.manual_seed(0)
    G = Generator28(nz=6, ngf=4).double()
    D = Discriminator28(ndf=4, batchnorm=batchnorm).double()
    return G, D


def check_dcgan_syncbn():
    steps, batch = 2, 8
    data = np.tanh(arrays(3, steps, batch, 1, 28, 28))
    noise, eps = arrays(4, steps, batch, 6), np.zeros((steps, batch, 1, 1, 1))
    obj = OBJECTIVES["nonsaturating"]
    G, D = gan_steps(*models_dcgan(), obj, data, noise, eps, steps, None)
    Gs, Ds = (nn.convert_sync_batchnorm(m) for m in models_dcgan())
    assert isinstance(Ds.net[3], nn.SyncBatchNorm)
    Gd, Dd = gan_steps(Gs, Ds, obj, data, noise, eps, steps, DDP)
    compare(G, Gd, "G")
    compare(D, Dd, "D")


def check_wgan_gp_critic():
    steps, batch = 2, 8
    data = np.tanh(arrays(5, steps, batch, 1, 28, 28))
    noise = arrays(6, steps, batch, 6)
    eps = np.random.default_rng(7).random((steps, batch, 1, 1, 1))
    obj = OBJECTIVES["wgan-gp"]
    G, D = gan_steps(*models_dcgan(False), obj, data, noise, eps, steps, None, 10.0)
    Gs, Ds = models_dcgan(False)
    Gs = nn.convert_sync_batchnorm(Gs)
    Gd, Dd = gan_steps(Gs, Ds, obj, data, noise, eps, steps, DDP, 10.0)
    compare(G, Gd, "G")
    compare(D, Dd, "critic")


def check_gp_through_syncbn():
    """The penalty's double backward through SyncBatchNorm (a critic with batch norm)."""
    steps, batch = 3, 8
    data, noise = arrays(8, steps, batch, 10), arrays(9, steps, batch, 6)
    eps = np.random.default_rng(10).random((steps, batch, 1))

    def models():
        mg.manual_seed(1)
        G = MLPGenerator(nz=6, hidden=(12,), out_dim=10).double()
        D = nn.Sequential(
            nn.Linear(10, 12), nn.BatchNorm1d(12), nn.LeakyReLU(0.2), nn.Linear(12, 1)
        ).double()
        return G, D

    obj = OBJECTIVES["wgan-gp"]
    G, D = gan_steps(*models(), obj, data, noise, eps, steps, None, 10.0)
    Gs, Ds = models()
    Ds = nn.convert_sync_batchnorm(Ds)
    Gd, Dd = gan_steps(Gs, Ds, obj, data, noise, eps, steps, DDP, 10.0)
    compare(G, Gd, "G")
    compare(D, Dd, "critic")


def check_overlap_on_off():
    on = check_mlp_gan(overlap=True)
    off = check_mlp_gan(overlap=False)
    for k in on:
        assert np.array_equal(on[k], off[k]), f"overlap on/off: {k} differs"


def check_no_sync():
    """Two micro-batches, the first inside no_sync: the grads equal one backward over the
    global batch of both."""
    x = np.random.default_rng(11).standard_normal((2, 8, 5))
    mg.manual_seed(2)
    ref = nn.Sequential(nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 1)).double()
    mg.manual_seed(2)
    net = DDP(nn.Sequential(nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 1)).double())
    for k in range(2):
        (ref(mg.Tensor(x[k])) ** 2).mean().backward()
    with net.no_sync():
        (net(mg.Tensor(shard(x[0]))) ** 2).mean().backward()
    local = [p.grad.numpy().copy() for p in net.parameters()]
    (net(mg.Tensor(shard(x[1]))) ** 2).mean().backward()
    for (name, p), q in zip(net.module.named_parameters(), ref.parameters(), strict=True):
        g = p.grad.numpy()
        if RANK == 0:
            diff = float(np.max(np.abs(g - q.grad.numpy())))
            assert diff <= 1e-12, f"no_sync: {name}.grad differs by {diff:.3g}"
    assert not all(
        np.array_equal(a, p.grad.numpy()) for a, p in zip(local, net.parameters(), strict=True)
    )


def check_sampler():
    for n, drop_last in ((12, False), (11, False), (11, True), (3, False)):
        s = dist.DistributedSampler(n, shuffle=True, seed=5, drop_last=drop_last)
        for epoch in (0, 1):
            s.set_epoch(epoch)
            mine = np.array(list(s), dtype=np.int64)
            assert len(mine) == len(s), f"n={n}: {len(mine)} indices, len {len(s)}"
            every = mg.Tensor(np.zeros((WORLD, len(s)), dtype=np.int64))
            every._data[RANK] = mine
            dist.all_reduce(every)
            flat = every.numpy().T.reshape(-1)  # in the order the shards were dealt
            counts = np.bincount(flat, minlength=n)
            order = np.random.default_rng(5 + epoch).permutation(n)
            if drop_last:
                want = np.isin(np.arange(n), order[: s.total_size]).astype(int)
            else:
                want = np.ones(n, int)
                np.add.at(want, np.resize(order, s.total_size)[n:], 1)  # the padding
            assert np.array_equal(counts, want), f"n={n} drop_last={drop_last}: {counts}"
            assert n > 3 or counts.sum() == 4, "n=3 pads to 2 per rank"


def check_collectives():
    t = mg.Tensor(np.array([1.0, 2.0]) * (RANK + 1))
    dist.all_reduce(t, "mean")
    assert np.allclose(t.numpy(), [1.5, 3.0]), t.numpy()
    m = mg.Tensor(np.array([RANK, -RANK], dtype=np.int64))
    dist.all_reduce(m, "max")
    assert m.numpy().tolist() == [1, 0], m.numpy()
    b = mg.Tensor(np.full((2, 3), float(RANK)))[:, 1]  # a strided view
    dist.broadcast(b, src=1)
    assert b.numpy().tolist() == [1.0, 1.0], b.numpy()
    x = mg.Tensor(np.array([1.0, 2.0]) * (RANK + 1), requires_grad=True)
    y = dist.all_reduce_sum(x)
    (g,) = mg.grad((y * y).sum(), x, create_graph=True)  # 2 * sum_r y = 4 y per rank
    assert np.allclose(g.detach().numpy(), [12.0, 24.0]), g.detach().numpy()
    (gg,) = mg.grad(g.sum(), x)  # d/dx sum(4 y) = 4 * 2 ranks
    assert np.allclose(gg.numpy(), 8.0), gg.numpy()
    net = DDP(nn.Linear(2, 1))
    assert list(net.state_dict()) == ["weight", "bias"]


def check_unused_parameter():
    """A parameter left out of the loss is named, after the buckets already started have
    finished; the next step works again."""
    mg.manual_seed(3)
    net = DDP(nn.ModuleList([nn.Linear(3, 1), nn.Linear(3, 1)]).double(), bucket_cap_mb=1e-5)
    x = mg.Tensor(np.ones((2, 3)))
    try:
        net.module[1](x).sum().backward()  # layer 1's buckets come first and start
    except RuntimeError as exc:
        assert "2 parameter(s) got no gradient in this backward (0.weight, 0.bias)" in str(exc)
    else:
        raise AssertionError("no error for parameters without a gradient")
    net.zero_grad()
    (net.module[0](x) + net.module[1](x)).sum().backward()
    assert np.allclose(net.module[1].weight.grad.numpy(), 2.0)
    assert np.allclose(net.module[0].bias.grad.numpy(), 2.0)


CHECKS = {
    "collectives": check_collectives,
    "mlp_gan": check_mlp_gan,
    "dcgan_syncbn": check_dcgan_syncbn,
    "wgan_gp_critic": check_wgan_gp_critic,
    "gp_through_syncbn": check_gp_through_syncbn,
    "overlap_on_off": check_overlap_on_off,
    "no_sync": check_no_sync,
    "sampler": check_sampler,
    "unused_parameter": check_unused_parameter,
}


def main() -> None:
    results = {"world": WORLD, "worst": {}}
    for name, fn in CHECKS.items():
        FAILURES.clear()
        WORST[0] = 0.0
        try:
            fn()
            results[name] = "; ".join(FAILURES)
        except Exception:
            results[name] = traceback.format_exc()
        results["worst"][name] = WORST[0]
    if RANK == 0:
        Path(sys.argv[1]).write_text(json.dumps(results))


if __name__ == "__main__":
    main()
