"""Datasets, samplers and the DataLoader with `torch.utils.data`'s names and behaviour.

A map-style dataset returns one sample per index; the DataLoader draws indices from a
sampler, groups them into batches and merges each batch with `default_collate`, as in
PyTorch. Everything runs in the main thread: `num_workers` and `pin_memory` are accepted
and change nothing. Shuffling draws from `minigrad.random` (so `mg.manual_seed` repeats
it) or from a `numpy.random.Generator` passed as `generator`. Batches are CPU Tensors.

For whole arrays in memory, `minigrad.data.DataLoader` batches by fancy indexing instead
of per-sample calls, which is much faster.
"""

from __future__ import annotations

import bisect
import copy
import itertools
import math
from collections.abc import (
    Callable,
    Iterable,
    Iterator,
    Mapping,
    MutableMapping,
    MutableSequence,
    Sequence,
)
from typing import Any, Generic, TypeVar

import numpy as np

from .. import ops
from .. import random as mg_random
from ..errors import AssertionFailed, ShapeError
from ..tensor import Tensor, tensor

__all__ = [
    "BatchSampler",
    "ChainDataset",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "IterableDataset",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "StackDataset",
    "Subset",
    "SubsetRandomSampler",
    "TensorDataset",
    "WeightedRandomSampler",
    "default_collate",
    "default_convert",
    "get_worker_info",
    "random_split",
]


# the type parameters PyTorch's classes take (`class MyData(Dataset[tuple[int, int]])`,
# `Sampler[int]`, `DataLoader[Tensor]`): generic classes, as typing.Generic makes them
T_co = TypeVar("T_co", covariant=True)
T_stack = TypeVar("T_stack", tuple, dict)


def _rng(generator: Any, who: str) -> np.random.Generator:
    """What to draw from: a `minigrad.Generator`'s stream, a numpy.random.Generator, or
    minigrad's global generator for None."""
    try:
        return mg_random.generator("cpu", generator)
    except TypeError as exc:
        raise TypeError(f"{who}: {exc}") from None


# ---------------------------------------------------------------------- datasets
class Dataset(Generic[T_co]):
    """A map-style dataset: subclasses define `__getitem__(index)` and `__len__`;
    `a + b` is `ConcatDataset([a, b])`. Generic in the sample type, as PyTorch's
    (`Dataset[tuple[int, int]]`)."""

    def __getitem__(self, index: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset(Dataset[T_co], Iterable, Generic[T_co]):  # PyTorch's bases and order
    """A stream of samples: subclasses define `__iter__`; the DataLoader batches it in
    order (no sampler, no shuffle). `a + b` is `ChainDataset([a, b])`."""

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")

    def __add__(self, other: Dataset) -> ChainDataset:  # type: ignore[override]
        return ChainDataset([self, other])


class TensorDataset(Dataset[tuple[Tensor, ...]]):
    """Tensors (or arrays) sharing their first dimension; sample i is the tuple of their
    i-th rows."""

    def __init__(self, *tensors: Any) -> None:
        self.tensors = tuple(t if isinstance(t, Tensor) else Tensor(t) for t in tensors)
        sizes = [t.shape[0] if t.ndim else None for t in self.tensors]
        if not sizes or None in sizes or len(set(sizes)) != 1:
            shapes = [t.shape for t in self.tensors]
            raise AssertionFailed(f"TensorDataset: size mismatch between tensors, shapes {shapes}")

    def __getitem__(self, index: Any) -> tuple[Tensor, ...]:
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]


class ConcatDataset(Dataset[T_co]):
    """Map-style datasets one after another: index i runs through the first, then the
    second, ... (`cumulative_sizes` holds the running lengths)."""

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise AssertionError("datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise AssertionError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = list(itertools.accumulate(len(d) for d in self.datasets))

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx: int) -> Any:
        if idx < 0:
            if -idx > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            idx += len(self)
        k = bisect.bisect_right(self.cumulative_sizes, idx)
        start = self.cumulative_sizes[k - 1] if k > 0 else 0
        return self.datasets[k][idx - start]


class ChainDataset(IterableDataset):
    """Iterable datasets streamed one after another."""

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = datasets

    def __iter__(self) -> Iterator[Any]:
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            yield from d

    def __len__(self) -> int:
        total = 0
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            total += len(d)
        return total


class StackDataset(Dataset[T_stack]):
    """Datasets of one length side by side: sample i is the tuple of their i-th samples
    (`StackDataset(a, b)`) or a dict of them (`StackDataset(x=a, y=b)`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if args and kwargs:
            raise ValueError(
                "Supported either ``tuple``- (via ``args``) or``dict``- (via ``kwargs``) like "
                "input/output, but both types are given."
            )
        if not args and not kwargs:
            raise ValueError("At least one dataset should be passed")
        self.datasets: Any = args or kwargs
        sizes = {len(d) for d in (args or kwargs.values())}
        if len(sizes) != 1:
            raise ValueError("Size mismatch between datasets")
        (self._length,) = sizes

    def __getitem__(self, index: int) -> Any:
        if isinstance(self.datasets, dict):
            return {k: d[index] for k, d in self.datasets.items()}
        return tuple(d[index] for d in self.datasets)

    def __len__(self) -> int:
        return self._length


def get_worker_info() -> None:
    """None: minigrad loads every batch in the main process, where PyTorch's is None too."""
    return None


class Subset(Dataset[T_co]):
    """The samples of `dataset` at `indices`, in that order."""

    def __init__(self, dataset: Any, indices: Sequence[int]) -> None:
        self.dataset, self.indices = dataset, indices

    def __getitem__(self, idx: Any) -> Any:
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices: list[int]) -> list[Any]:
        """A batch of samples in one call (the DataLoader's), through the dataset's own
        `__getitems__` where it has one, as PyTorch's."""
        getitems = getattr(self.dataset, "__getitems__", None)
        if callable(getitems):
            return getitems([self.indices[i] for i in indices])
        return [self.dataset[self.indices[i]] for i in indices]

    def __len__(self) -> int:
        return len(self.indices)


def random_split(
    dataset: Any, lengths: Sequence[int | float], generator: Any = None
) -> list[Subset]:
    """Split into non-overlapping random Subsets of the given lengths, or of fractions
    summing to 1 (remainders go one each to the first splits, as PyTorch)."""
    n = len(dataset)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        if any(not 0 <= f <= 1 for f in lengths):
            raise ValueError(f"random_split: fractions must lie in [0, 1], got {list(lengths)}")
        sizes = [int(math.floor(n * f)) for f in lengths]
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
        lengths = sizes
    if sum(lengths) != n:
        raise ValueError(
            f"random_split: sum of input lengths {sum(lengths)} does not equal the length of "
            f"the input dataset {n}"
        )
    order = _rng(generator, "random_split").permutation(n).tolist()
    out, start = [], 0
    for length in lengths:
        out.append(Subset(dataset, order[start : start + length]))
        start += length
    return out


# ---------------------------------------------------------------------- samplers
class Sampler(Generic[T_co]):
    """Yields dataset indices; subclasses define `__iter__` (and `__len__`). Generic in the
    index type, as PyTorch's (`Sampler[int]`)."""

    def __iter__(self) -> Iterator[int]:
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")


class SequentialSampler(Sampler[int]):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source: Any) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler[int]):
    """A fresh random permutation each epoch, or `num_samples` draws with `replacement`."""

    def __init__(
        self,
        data_source: Any,
        replacement: bool = False,
        num_samples: int | None = None,
        generator: Any = None,
    ) -> None:
        if not isinstance(replacement, bool):
            raise TypeError(
                f"replacement should be a boolean value, but got replacement={replacement!r}"
            )
        self.data_source, self.replacement = data_source, replacement
        self._num_samples, self.generator = num_samples, generator
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError(
                "RandomSampler: num_samples should be a positive integer value, but got "
                f"num_samples={self.num_samples}"
            )
        _rng(generator, "RandomSampler")

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        rng, n = _rng(self.generator, "RandomSampler"), len(self.data_source)
        if self.replacement:
            return iter(rng.integers(0, n, size=self.num_samples).tolist())
        full, rest = divmod(self.num_samples, n)
        parts = [rng.permutation(n) for _ in range(full)] + [rng.permutation(n)[:rest]]
        return iter(np.concatenate(parts).tolist())

    def __len__(self) -> int:
        return self.num_samples


class WeightedRandomSampler(Sampler[int]):
    """`num_samples` indices drawn with probability proportional to `weights`, with
    replacement unless `replacement=False` (then each index at most once)."""

    def __init__(
        self,
        weights: Sequence[float],
        num_samples: int,
        replacement: bool = True,
        generator: Any = None,
    ) -> None:
        if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples <= 0:
            raise ValueError(
                f"num_samples should be a positive integer value, but got num_samples={num_samples}"
            )
        if not isinstance(replacement, bool):
            raise ValueError(
                f"replacement should be a boolean value, but got replacement={replacement}"
            )
        w = np.asarray(getattr(weights, "_data", weights), dtype=np.float64)
        if w.ndim != 1:
            raise ValueError(
                f"weights should be a 1d sequence but given weights have shape {w.shape}"
            )
        self.weights = Tensor(w)
        self.num_samples, self.replacement, self.generator = num_samples, replacement, generator
        _rng(generator, "WeightedRandomSampler")

    def __iter__(self) -> Iterator[int]:
        w = self.weights.numpy()
        if not np.isfinite(w).all():
            raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
        if (w < 0).any():
            raise RuntimeError(
                "invalid multinomial distribution (encountering probability entry < 0)"
            )
        if w.sum() <= 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        rng = _rng(self.generator, "WeightedRandomSampler")
        if self.replacement:
            return iter(rng.choice(len(w), self.num_samples, p=w / w.sum()).tolist())
        if self.num_samples > len(w):
            raise RuntimeError(
                "cannot sample n_sample > prob_dist.size(-1) samples without replacement"
            )
        # an exponential race: index i finishes at E_i / w_i, and the first num_samples to
        # finish are a weighted draw without replacement; zero weights come last, in order
        with np.errstate(divide="ignore"):
            finish = rng.standard_exponential(len(w)) / w
        return iter(np.argsort(finish, kind="stable")[: self.num_samples].tolist())

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler[int]):
    """The given indices in a fresh random order each epoch."""

    def __init__(self, indices: Sequence[int], generator: Any = None) -> None:
        self.indices, self.generator = indices, generator

    def __iter__(self) -> Iterator[int]:
        order = _rng(self.generator, "SubsetRandomSampler").permutation(len(self.indices))
        return (self.indices[i] for i in order.tolist())

    def __len__(self) -> int:
        return len(self.indices)


def _check_batching(who: str, batch_size: Any, drop_last: Any) -> None:
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
        raise ValueError(
            f"{who}: batch_size should be a positive integer value, but got batch_size={batch_size}"
        )
    if not isinstance(drop_last, bool):
        raise ValueError(
            f"{who}: drop_last should be a boolean value, but got drop_last={drop_last}"
        )


class BatchSampler(Sampler[list[int]]):
    """Lists of `batch_size` indices from `sampler`; a short last one unless `drop_last`."""

    def __init__(self, sampler: Iterable[int], batch_size: int, drop_last: bool) -> None:
        _check_batching("BatchSampler", batch_size, drop_last)
        self.sampler, self.batch_size, self.drop_last = sampler, batch_size, drop_last

    def __iter__(self) -> Iterator[list[int]]:
        batch: list[int] = []
        for idx in self.sampler:
            batch.append(idx)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)  # type: ignore[arg-type]
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)


# ---------------------------------------------------------------------- collation
def _is_namedtuple(x: Any) -> bool:
    return isinstance(x, tuple) and hasattr(x, "_fields")


def default_convert(data: Any) -> Any:
    """Arrays and NumPy scalars to Tensors, recursing into dicts and sequences (the
    per-sample conversion when `batch_size=None`)."""
    if isinstance(data, Tensor):
        return data
    if isinstance(data, np.ndarray | np.number | np.bool_) and data.dtype.kind not in "OSU":
        return Tensor(np.asarray(data))
    if isinstance(data, Mapping):  # its own type where it can be copied (a defaultdict)
        converted = {k: default_convert(v) for k, v in data.items()}
        try:
            if isinstance(data, MutableMapping):
                clone = copy.copy(data)
                clone.update(converted)
                return clone
            return type(data)(converted)
        except TypeError:
            return converted
    if _is_namedtuple(data):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, Sequence) and not isinstance(data, str | bytes):
        converted_items = [default_convert(d) for d in data]
        try:  # a list subclass keeps its type; a range and the like become a list
            if isinstance(data, MutableSequence):  # item by item, as PyTorch (a deque)
                clone = copy.copy(data)
                for i, item in enumerate(converted_items):
                    clone[i] = item
                return clone
            return type(data)(converted_items)
        except TypeError:
            return converted_items
    return data


def default_collate(batch: Sequence[Any]) -> Any:
    """Merge a list of samples into a batch, as PyTorch: Tensors and arrays are stacked on
    a new first dim (mixed dtypes promoted as `stack` promotes them); a batch of NumPy
    scalars becomes what `tensor(batch)` makes of it (np.float32 with a Python float:
    float32); Python floats become float64; ints and bools become what `tensor(batch)`
    makes of them (int64, bool, or float32 once a float is among them); dicts, tuples and
    lists are collated field by field (a tuple sample gives a list, a dict or list sample a
    copy of its own type); strings are returned as given (a list at the top, a tuple for
    a sample's field)."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        return ops.stack(list(batch), 0)
    if isinstance(elem, np.ndarray | np.number | np.bool_):
        if elem.dtype.kind in "OSU":
            raise TypeError(
                f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts "
                f"or lists; found arrays of dtype {elem.dtype}"
            )
        arrays = [np.asarray(b) for b in batch]
        if any(a.shape != arrays[0].shape for a in arrays):  # PyTorch's RuntimeError
            raise ShapeError(
                "default_collate: stack expects each array to be equal size, but got "
                f"{list(arrays[0].shape)} at entry 0 and "
                f"{list(next(a.shape for a in arrays if a.shape != arrays[0].shape))} at a later "
                "entry (samples of different lengths need a collate_fn that pads them)"
            )
        if all(a.dtype == arrays[0].dtype for a in arrays):  # the usual batch: one dtype
            return Tensor(np.stack(arrays))
        if not isinstance(elem, np.ndarray):  # NumPy scalars: PyTorch's as_tensor(batch),
            return tensor(list(batch))  # where a Python float beside float32 stays float32
        return ops.stack([Tensor(a) for a in arrays], 0)  # mixed: promoted as stack
    if isinstance(elem, float):
        return Tensor(np.array(batch, dtype=np.float64))
    if isinstance(elem, int):  # bool too: PyTorch infers the dtype from the whole batch
        return tensor(list(batch))
    if isinstance(elem, str | bytes):
        return batch
    if isinstance(elem, Mapping):
        fields = {k: default_collate([d[k] for d in batch]) for k in elem}
        try:  # the sample's own mapping type (OrderedDict, defaultdict, ...), as PyTorch
            clone = copy.copy(elem)
            clone.update(fields)
            return clone
        except (TypeError, AttributeError):  # a mapping that cannot be updated: a dict
            return fields
    if isinstance(elem, Sequence):
        if len({len(b) for b in batch}) != 1:
            raise RuntimeError(
                "default_collate: each element in list of batch should be of equal size"
            )
        columns = [default_collate(s) for s in zip(*batch, strict=True)]
        if _is_namedtuple(elem):
            return type(elem)(*columns)
        if isinstance(elem, tuple):
            return columns
        try:  # a list (or other sequence) sample: its own type, as PyTorch
            return type(elem)(columns)
        except TypeError:
            return columns
    raise TypeError(
        "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
        f"found {type(elem).__name__}"
    )


# ---------------------------------------------------------------------- loader
class _InfiniteConstantSampler(Sampler[None]):
    """None for ever: the `sampler` of a loader over an IterableDataset, as PyTorch's
    (its `batch_sampler` batches these; the samples come from the stream)."""

    def __iter__(self) -> Iterator[None]:
        while True:
            yield None


class DataLoader(Generic[T_co]):
    """Batches of a dataset, as `torch.utils.data.DataLoader` with the same arguments,
    defaults and attributes. Runs in the main thread: `num_workers`, `pin_memory`,
    `timeout`, `prefetch_factor` and `persistent_workers` are accepted for compatibility
    and have no effect (`worker_init_fn` is never called, as in PyTorch with num_workers=0).
    As PyTorch's, a `timeout` other than 0 with num_workers=0 is refused when iterating
    (AssertionError), and `prefetch_factor` is 2 when num_workers > 0 and not given.
    `generator` is a numpy.random.Generator or None for minigrad's seeded generator."""

    def __init__(
        self,
        dataset: Any,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Any = None,
        batch_sampler: Any = None,
        num_workers: int = 0,
        collate_fn: Callable[[list], Any] | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable | None = None,
        multiprocessing_context: Any = None,
        generator: Any = None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
    ) -> None:
        if num_workers < 0:
            raise ValueError(
                "DataLoader: num_workers option should be non-negative; use num_workers=0 to "
                "disable multiprocessing"
            )
        if timeout < 0:
            raise ValueError("DataLoader: timeout option should be non-negative")
        if num_workers == 0:  # options of worker processes, refused without them as PyTorch
            if prefetch_factor is not None:
                raise ValueError(
                    "DataLoader: prefetch_factor option could only be specified in "
                    "multiprocessing. let num_workers > 0 to enable multiprocessing, "
                    f"otherwise set prefetch_factor to None (got {prefetch_factor})"
                )
            if persistent_workers:
                raise ValueError("DataLoader: persistent_workers option needs num_workers > 0")
            if multiprocessing_context is not None:
                raise ValueError(
                    "DataLoader: multiprocessing_context can only be used with multi-process "
                    "loading (num_workers > 0), but got num_workers=0"
                )
        elif prefetch_factor is None:
            prefetch_factor = 2  # PyTorch's default with worker processes
        elif prefetch_factor < 0:
            raise ValueError("DataLoader: prefetch_factor option should be non-negative")
        iterable = isinstance(dataset, IterableDataset)
        if iterable and (shuffle or sampler is not None or batch_sampler is not None):
            raise ValueError(
                "DataLoader with IterableDataset: expected unspecified shuffle, sampler and "
                f"batch_sampler, got shuffle={shuffle}, sampler={sampler}, "
                f"batch_sampler={batch_sampler}"
            )
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "DataLoader: batch_sampler option is mutually exclusive with batch_size, "
                    "shuffle, sampler, and drop_last"
                )
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError(
                "DataLoader: batch_size=None option disables auto-batching and is mutually "
                "exclusive with drop_last"
            )
        if sampler is None:
            if iterable:  # as PyTorch's; the samples come from the stream, batched as it comes
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            _check_batching("DataLoader", batch_size, drop_last)
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.dataset, self.batch_size, self.drop_last = dataset, batch_size, drop_last
        self.sampler, self.batch_sampler, self.generator = sampler, batch_sampler, generator
        self.num_workers, self.pin_memory, self.timeout = num_workers, pin_memory, timeout
        self.worker_init_fn, self.prefetch_factor = worker_init_fn, prefetch_factor
        self.persistent_workers = persistent_workers
        auto = batch_size is not None or batch_sampler is not None
        self.collate_fn = collate_fn or (default_collate if auto else default_convert)
        self.__initialized = True

    # set once: the batches already follow them (PyTorch refuses changing them the same way)
    _FIXED = frozenset(
        ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers")
    )

    def __setattr__(self, name: str, value: Any) -> None:
        if name in self._FIXED and self.__dict__.get("_DataLoader__initialized", False):
            # dl.batch_size = 5 kept batches of the old size (len(dl) changed); a new
            # dataset failed later in the sampler with an IndexError
            raise ValueError(
                f"{name} attribute should not be set after DataLoader is initialized; make a "
                "new DataLoader"
            )
        super().__setattr__(name, value)

    def __len__(self) -> int:
        if isinstance(self.dataset, IterableDataset):  # its sampler is endless
            n = len(self.dataset)  # TypeError if the stream has no length, as PyTorch
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        return len(self.batch_sampler if self.batch_sampler is not None else self.sampler)

    def __iter__(self) -> _LoaderIterator:
        if self.num_workers == 0 and self.timeout != 0:  # PyTorch's single-process iterator
            raise AssertionError("_SingleProcessDataLoaderIter requires timeout == 0")
        return _LoaderIterator(self)

    def _batches(self) -> Iterator[Any]:
        if isinstance(self.dataset, IterableDataset):
            yield from self._iter_stream()
        elif self.batch_sampler is not None:
            # a dataset's __getitems__ fetches a whole batch in one call, as in PyTorch
            getitems = getattr(self.dataset, "__getitems__", None)
            for indices in self.batch_sampler:
                samples = getitems(indices) if getitems else [self.dataset[i] for i in indices]
                yield self.collate_fn(samples)
        else:
            for i in self.sampler:
                yield self.collate_fn(self.dataset[i])

    def _iter_stream(self) -> Iterator[Any]:
        if self.batch_size is None:
            for sample in self.dataset:
                yield self.collate_fn(sample)
            return
        batch: list[Any] = []
        for sample in self.dataset:
            batch.append(sample)
            if len(batch) == self.batch_size:
                yield self.collate_fn(batch)
                batch = []
        if batch and not self.drop_last:
            yield self.collate_fn(batch)


class _LoaderIterator:
    """What `iter(loader)` gives: the batches, one at a time, and `len()` of the loader, as
    PyTorch's loader iterators."""

    def __init__(self, loader: DataLoader) -> None:
        self._loader, self._batches = loader, loader._batches()

    def __iter__(self) -> _LoaderIterator:
        return self

    def __next__(self) -> Any:
        return next(self._batches)

    def __len__(self) -> int:
        return len(self._loader)


def __getattr__(name: str) -> Any:
    """`from torch.utils.data import DistributedSampler`: minigrad's, over MPI
    (minigrad/distributed/sampler.py), imported when first asked for."""
    if name == "DistributedSampler":
        from ..distributed.sampler import DistributedSampler

        return DistributedSampler
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
