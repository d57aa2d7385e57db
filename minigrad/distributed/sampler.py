"""DistributedSampler, as `torch.utils.data.distributed.DistributedSampler`."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from ..utils.data import Sampler, T_co
from . import comm as C


class DistributedSampler(Sampler[T_co]):
    """This process's share of the dataset indices for one epoch.

    With `shuffle`, the permutation of range(len) comes from `seed + epoch`, the same on
    every process; call `set_epoch` before each epoch for a new one. The list is padded by
    repeating its start (or, with `drop_last`, cut) to a multiple of `num_replicas`, and
    process r takes every num_replicas-th index from r: disjoint shards of equal length,
    so every process runs the same number of steps. PyTorch's rules, with NumPy's
    permutation instead of torch.randperm (other orders, same guarantees).

    `dataset` is a dataset (anything with len) or its length; num_replicas and rank default
    to world_size() and rank().
    """

    def __init__(
        self,
        dataset: Any,
        num_replicas: int | None = None,
        rank: int | None = None,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
    ) -> None:
        n = dataset if isinstance(dataset, int | np.integer) else len(dataset)
        if num_replicas is None:
            num_replicas = C.world_size()
        if rank is None:
            rank = C.rank()
        if not isinstance(num_replicas, int | np.integer) or num_replicas < 1:
            raise ValueError(
                f"DistributedSampler: num_replicas must be a positive integer, got {num_replicas}"
            )
        if not isinstance(rank, int | np.integer) or not 0 <= rank < num_replicas:
            raise ValueError(
                f"DistributedSampler: invalid rank {rank}, rank should be in the interval "
                f"[0, {num_replicas - 1}]"
            )
        self.dataset, self.length = dataset, int(n)
        self.num_replicas, self.rank = int(num_replicas), int(rank)
        self.shuffle, self.seed, self.drop_last = shuffle, int(seed), drop_last
        self.epoch = 0
        if drop_last and n % num_replicas != 0:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * self.num_replicas

    def indices(self) -> np.ndarray:
        """This epoch's indices for this process, as an int64 array."""
        n = self.length
        if self.shuffle:
            order = np.random.default_rng(self.seed + self.epoch).permutation(n)
        else:
            order = np.arange(n)
        if self.drop_last:
            order = order[: self.total_size]
        else:
            order = np.resize(order, self.total_size)  # repeats from the start to pad
        return order[self.rank : self.total_size : self.num_replicas]

    def __iter__(self) -> Iterator[int]:
        return iter(self.indices().tolist())

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Use permutation `seed + epoch` from now on."""
        self.epoch = int(epoch)
