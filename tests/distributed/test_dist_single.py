"""minigrad.distributed in one process, without MPI: the sampler's rules (against PyTorch's),
a world of one, DistributedDataParallel and SyncBatchNorm reducing to the plain module."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import minigrad as mg
import minigrad.distributed as dist
from minigrad import nn
from minigrad.distributed import comm
from minigrad.gradcheck import gradcheck, gradgradcheck
from minigrad.nn.syncbn import sync_batch_norm
from minigrad.ops.batchnorm import batch_norm_composite


@pytest.fixture(autouse=True)
def single_process(monkeypatch):
    """A world of one that never imports mpi4py (MPI_Init in pytest itself is avoided)."""
    world = comm._World()
    world.initialized = True
    monkeypatch.setattr(comm, "_world", world)


# ---------------------------------------------------------------------- sampler
@pytest.mark.parametrize("n", [1, 5, 12, 13, 17])
@pytest.mark.parametrize("replicas", [1, 2, 3, 5])
@pytest.mark.parametrize("drop_last", [False, True])
def test_sampler_matches_pytorch_without_shuffle(n, replicas, drop_last):
    torch_data = pytest.importorskip("torch.utils.data.distributed")
    if drop_last and n < replicas:
        return  # PyTorch gives zero samples per rank; ours too, checked below
    for r in range(replicas):
        ours = dist.DistributedSampler(n, replicas, r, shuffle=False, drop_last=drop_last)
        theirs = torch_data.DistributedSampler(
            range(n), replicas, r, shuffle=False, drop_last=drop_last
        )
        assert list(ours) == list(theirs)
        assert len(ours) == len(theirs) and ours.total_size == theirs.total_size


@pytest.mark.parametrize("n,replicas", [(12, 3), (13, 3), (2, 5), (100, 7)])
def test_sampler_shards_are_disjoint_cover_everything_and_pad_from_the_start(n, replicas):
    s = [dist.DistributedSampler(n, replicas, r, seed=3) for r in range(replicas)]
    for epoch in range(3):
        for x in s:
            x.set_epoch(epoch)
        shards = [list(x) for x in s]
        assert len({len(x) for x in shards}) == 1  # the same number of steps everywhere
        dealt = [i for row in zip(*shards, strict=True) for i in row]
        order = np.random.default_rng(3 + epoch).permutation(n)
        assert dealt == np.resize(order, len(dealt)).tolist()  # padding repeats the start
        assert sorted(set(dealt)) == list(range(n))
    first = [list(x) for x in s]
    for x in s:
        x.set_epoch(0)
    assert [list(x) for x in s] != first or n < 3  # a new epoch, a new order


def test_sampler_drop_last_cuts_the_tail():
    s = [dist.DistributedSampler(11, 3, r, seed=1, drop_last=True) for r in range(3)]
    dealt = sorted(i for x in s for i in x)
    assert len(dealt) == 9 and len(set(dealt)) == 9
    assert len(s[0]) == 3 and s[0].total_size == 9


def test_sampler_defaults_and_bad_arguments():
    s = dist.DistributedSampler(list(range(7)))  # a dataset: its len; world of one
    assert (s.num_replicas, s.rank, len(s)) == (1, 0, 7)
    assert sorted(s) == list(range(7)) and list(s) != list(range(7))
    with pytest.raises(
        ValueError, match=r"invalid rank 2, rank should be in the interval \[0, 1\]"
    ):
        dist.DistributedSampler(10, 2, 2)
    with pytest.raises(ValueError, match="invalid rank -1"):
        dist.DistributedSampler(10, 2, -1)
    with pytest.raises(ValueError, match="num_replicas must be a positive integer, got 0"):
        dist.DistributedSampler(10, 0, 0)
    for drop_last in (False, True):  # an empty dataset: empty shards, as PyTorch's
        empty = dist.DistributedSampler([], 2, 1, drop_last=drop_last)
        assert (list(empty), len(empty)) == ([], 0)


def test_sampler_drives_the_dataloader():
    data = mg.utils.data.TensorDataset(mg.Tensor(np.arange(10.0)))
    sampler = dist.DistributedSampler(data, 2, 1, shuffle=False)
    loader = mg.utils.data.DataLoader(data, batch_size=2, sampler=sampler)
    assert [b[0].numpy().tolist() for b in loader] == [[1, 3], [5, 7], [9]]


# ---------------------------------------------------------------------- world of one
def test_world_of_one_without_mpi4py(monkeypatch):
    monkeypatch.setattr(comm, "_world", comm._World())
    monkeypatch.setitem(sys.modules, "mpi4py", None)
    for name in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_SIZE"):
        monkeypatch.delenv(name, raising=False)
    assert not dist.is_initialized()
    assert (dist.world_size(), dist.rank()) == (1, 0) and dist.is_initialized()
    t = mg.Tensor(np.array([1.0, 2.0]))
    dist.all_reduce(t, "mean")
    dist.broadcast(t, 0)
    dist.barrier()
    assert t.numpy().tolist() == [1.0, 2.0]
    assert dist.broadcast_object({"a": 1}) == {"a": 1}


def test_launched_without_mpi4py_names_the_package(monkeypatch):
    monkeypatch.setattr(comm, "_world", comm._World())
    monkeypatch.setitem(sys.modules, "mpi4py", None)
    monkeypatch.setenv("PMI_SIZE", "2")
    with pytest.raises(ImportError, match="mpi4py is not installed.*pip install mpi4py mpich"):
        dist.init()
    assert not dist.is_initialized()


def test_importing_minigrad_does_not_import_mpi4py():
    import subprocess

    code = "import minigrad, minigrad.distributed, sys; print('mpi4py' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr


def test_collective_arguments_are_checked():
    with pytest.raises(ValueError, match="all_reduce: op must be one of sum, mean, max, min"):
        dist.all_reduce(mg.Tensor(np.ones(2)), "prod")
    with pytest.raises(TypeError, match="all_reduce: expected a Tensor, got ndarray"):
        dist.all_reduce(np.ones(2))
    with pytest.raises(TypeError, match="all_reduce: op 'mean' needs a floating tensor"):
        dist.all_reduce(mg.Tensor(np.ones(2, dtype=np.int64)), "mean")
    with pytest.raises(ValueError, match=r"broadcast: src must be a rank in \[0, 0\], got 1"):
        dist.broadcast(mg.Tensor(np.ones(2)), src=1)


def test_all_reduce_sum_is_differentiable_twice():
    x = mg.Tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
    assert gradcheck(lambda a: dist.all_reduce_sum(a) ** 3, x)
    assert gradgradcheck(lambda a: dist.all_reduce_sum(a) ** 3, x)


# ---------------------------------------------------------------------- DDP, one process
def _mlp():
    mg.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 1)).double()


def test_ddp_of_one_process_trains_as_the_module():
    x = mg.Tensor(np.random.default_rng(0).standard_normal((6, 4)))
    plain, wrapped = _mlp(), nn.convert_sync_batchnorm(_mlp())
    ddp = dist.DistributedDataParallel(wrapped, bucket_cap_mb=1e-4)
    for net in (plain, ddp):
        opt = mg.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
        for _ in range(3):
            net.zero_grad()
            (net(x) ** 2).mean().backward()
            opt.step()
    for (k, a), (k2, b) in zip(plain.state_dict().items(), ddp.state_dict().items(), strict=True):
        assert k == k2
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=0, atol=1e-12)


def test_ddp_state_dict_loads_into_the_plain_module():
    ddp = dist.DistributedDataParallel(_mlp())
    keys = list(ddp.state_dict())
    assert keys[0] == "0.weight" and not any(k.startswith("module.") for k in keys)
    other = _mlp()
    with mg.no_grad():
        for p in other.parameters():
            p.fill_(0.5)
    ddp.load_state_dict(other.state_dict())
    assert all(np.all(p.detach().numpy() == 0.5) for p in ddp.module.parameters())
    assert _mlp().load_state_dict(ddp.state_dict()) == ([], [])
    assert len(list(ddp.parameters())) == len(list(ddp.module.parameters()))
    with pytest.warns(FutureWarning, match="Positional args"):
        assert list(ddp.state_dict(None, "net.")) == ["net." + k for k in keys]


def test_ddp_bad_arguments():
    with pytest.raises(TypeError, match="DistributedDataParallel: int is not a Module"):
        dist.DistributedDataParallel(3)
    with pytest.raises(ValueError, match="bucket_cap_mb must be positive, got 0"):
        dist.DistributedDataParallel(_mlp(), bucket_cap_mb=0)


def test_ddp_buckets_follow_reverse_registration_order_and_the_cap():
    net = nn.Sequential(nn.Linear(100, 100), nn.Linear(100, 10)).double()
    ddp = dist.DistributedDataParallel(net, bucket_cap_mb=50_000 / 2**20)  # 50 kB
    shapes = [[tuple(p.shape) for p in b.params] for b in ddp._buckets]
    # 8 kB + 80 B + 0.8 kB fill the first; the 80 kB weight exceeds the cap alone
    assert shapes == [[(10,), (10, 100), (100,)], [(100, 100)]]
    ddp = dist.DistributedDataParallel(net.float())  # float32 now: one bucket for all
    assert len(ddp._buckets) == 1


# ---------------------------------------------------------------------- SyncBatchNorm
@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (2, 3, 4, 4)])
def test_sync_batch_norm_matches_batch_norm_and_has_second_derivatives(shape):
    rng = np.random.default_rng(1)
    x = mg.Tensor(rng.standard_normal(shape) * 3 + 2, requires_grad=True)
    w = mg.Tensor(rng.standard_normal(3), requires_grad=True)
    b = mg.Tensor(rng.standard_normal(3), requires_grad=True)
    y, mean, var = sync_batch_norm(x, w, b, 1e-5)
    rm, rv = mg.Tensor(np.zeros(3)), mg.Tensor(np.ones(3))
    ref = batch_norm_composite(x, rm, rv, w, b, training=True, momentum=1.0)
    np.testing.assert_allclose(y.detach().numpy(), ref.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(mean, rm.numpy(), atol=1e-12)
    np.testing.assert_allclose(var, rv.numpy(), atol=1e-12)  # unbiased, as running_var

    def fn(a, c, d):
        return sync_batch_norm(a, c, d, 1e-5)[0]

    assert gradcheck(fn, (x, w, b))
    assert gradgradcheck(fn, (x, w, b))


def test_sync_batch_norm_refuses_a_single_value_per_channel():
    with pytest.raises(ValueError, match="SyncBatchNorm: expected more than 1 value per channel"):
        sync_batch_norm(mg.Tensor(np.ones((1, 3))), None, None, 1e-5)


def test_convert_sync_batchnorm_keeps_parameters_statistics_and_mode():
    net = nn.Sequential(
        nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2, momentum=None), nn.Sequential(nn.BatchNorm1d(4))
    )
    bn = net[1]
    bn.running_mean.fill_(0.25)
    bn.eval()
    weight = bn.weight
    out = nn.convert_sync_batchnorm(net)
    assert out is net and isinstance(net[1], nn.SyncBatchNorm)
    assert isinstance(net[2][0], nn.SyncBatchNorm)
    assert net[1].weight is weight and net[1].momentum is None and not net[1].training
    assert np.all(net[1].running_mean.numpy() == 0.25)
    assert list(net.state_dict()) == ["0.weight", "0.bias"] + [
        f"{p}.{k}"
        for p in ("1", "2.0")
        for k in ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")
    ]
    single = nn.BatchNorm1d(3)
    assert isinstance(nn.SyncBatchNorm.convert_sync_batchnorm(single), nn.SyncBatchNorm)


def test_sync_batchnorm_of_one_process_is_batchnorm():
    x = mg.Tensor(np.random.default_rng(2).standard_normal((5, 3, 2, 2)))
    a, b = nn.BatchNorm2d(3).double(), nn.SyncBatchNorm(3).double()
    for _ in range(2):
        np.testing.assert_allclose(a(x).detach().numpy(), b(x).detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(a.running_var.numpy(), b.running_var.numpy(), atol=1e-12)
    a.eval(), b.eval()
    np.testing.assert_allclose(a(x).detach().numpy(), b(x).detach().numpy(), atol=1e-12)
    with pytest.raises(ValueError, match="SyncBatchNorm: expected a 2-d or larger input"):
        b(mg.Tensor(np.ones(3)))


# ---------------------------------------------------------------------- the jobs' session
@pytest.mark.parametrize("text", ["x", "-1", "nan", "inf"])
def test_a_bad_watchdog_timeout_is_named(monkeypatch, text):
    from train import distributed as tdist

    monkeypatch.setenv("MINIGRAD_DIST_TIMEOUT", text)
    with pytest.raises(ValueError, match=f"MINIGRAD_DIST_TIMEOUT must be .* got '{text}'"):
        tdist._timeout()
    monkeypatch.setenv("MINIGRAD_DIST_TIMEOUT", "0")
    assert tdist._timeout() == 0.0  # the watchdog off
    monkeypatch.delenv("MINIGRAD_DIST_TIMEOUT")
    assert tdist._timeout() == tdist.DEFAULT_TIMEOUT


def test_a_session_splits_batches_and_classes(monkeypatch):
    from train import distributed as tdist

    s = object.__new__(tdist.Session)
    s.rank, s.world = 1, 2
    assert s.share(16) == 8
    with pytest.raises(ValueError, match="--batch-size 15 does not split into 2 equal shares"):
        s.share(15)
    np.testing.assert_array_equal(s.block(np.arange(8)), [4, 5, 6, 7])
    # P = 2 classes x K = 4 images, grouped by class: two of each class here
    np.testing.assert_array_equal(s.class_share(np.arange(8), 2), [1, 3, 5, 7])
    sampler_rows = [s.batch_indices(10, 4, 0, 0, b) for b in range(2)]
    s.rank = 0
    other = [s.batch_indices(10, 4, 0, 0, b) for b in range(2)]
    order = np.random.default_rng(0).permutation(10)
    for b, (mine, theirs) in enumerate(zip(other, sampler_rows, strict=True)):
        # global batch b of the two processes is batch b of one process on that order
        assert sorted([*mine, *theirs]) == sorted(order[4 * b : 4 * b + 4])
