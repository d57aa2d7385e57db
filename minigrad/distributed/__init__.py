"""Data-parallel training over MPI, as `torch.distributed`: run `mpiexec -n N python job.py`.

init / rank / world_size / barrier / broadcast / all_reduce (comm.py), the differentiable
all_reduce_sum, DistributedDataParallel (parallel.py) and DistributedSampler (sampler.py);
SyncBatchNorm lives in minigrad.nn. docs/distributed.md explains how they work.
"""

from .comm import (
    AllReduceSum,
    abort,
    all_reduce,
    all_reduce_sum,
    barrier,
    broadcast,
    broadcast_object,
    cuda_aware,
    gather_object,
    init,
    is_available,
    is_initialized,
    launcher_size,
    rank,
    world_size,
)
from .parallel import DistributedDataParallel
from .sampler import DistributedSampler

__all__ = [
    "AllReduceSum",
    "DistributedDataParallel",
    "DistributedSampler",
    "abort",
    "all_reduce",
    "all_reduce_sum",
    "barrier",
    "broadcast",
    "broadcast_object",
    "cuda_aware",
    "gather_object",
    "init",
    "is_available",
    "is_initialized",
    "launcher_size",
    "rank",
    "world_size",
]
