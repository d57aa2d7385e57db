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
import operator
import warnings
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
from ..backend import get_array_module
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
        self.cumulative_sizes = self.cumsum(self.datasets)

    @staticmethod
    def cumsum(sequence: Iterable[Any]) -> list[int]:
        """The running lengths of the datasets in `sequence` (PyTorch's static helper)."""
        return list(itertools.accumulate(len(d) for d in sequence))

    @property
    def cummulative_sizes(self) -> list[int]:
        """PyTorch's old, misspelt name of `cumulative_sizes`, deprecated as there."""
        warnings.warn(
            "`cummulative_sizes` attribute is renamed to `cumulative_sizes`",
            FutureWarning,
            stacklevel=2,
        )
        return self.cumulative_sizes

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

    def __getitems__(self, indices: list[int]) -> list[Any]:
        """A batch of samples in one call (the DataLoader's), each member dataset fetched
        through its own `__getitems__` where it has one, as PyTorch's."""
        named = isinstance(self.datasets, dict)
        members = self.datasets.items() if named else enumerate(self.datasets)
        columns = {key: _fetch_batch(d, indices) for key, d in members}
        if named:
            return [{k: column[i] for k, column in columns.items()} for i in range(len(indices))]
        return [tuple(column[i] for column in columns.values()) for i in range(len(indices))]

    def __len__(self) -> int:
        return self._length


def _fetch_batch(dataset: Any, indices: list[int]) -> list[Any]:
    """`dataset`'s samples at `indices`: one `__getitems__` call where it has one (its
    length checked, as PyTorch's StackDataset checks it), else one `dataset[i]` each."""
    getitems = getattr(dataset, "__getitems__", None)
    if not callable(getitems):
        return [dataset[i] for i in indices]
    items = getitems(indices)
    if len(items) != len(indices):
        raise ValueError(
            f"Nested dataset's output size mismatch. Expected {len(indices)}, got {len(items)}"
        )
    return items


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
        for i, size in enumerate(sizes):
            if size == 0:  # PyTorch's warning, for fractions only
                warnings.warn(
                    f"Length of split at index {i} is 0. This might result in an empty dataset.",
                    stacklevel=2,
                )
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


# how many indices a RandomSampler with replacement draws at once (8 MiB of int64)
_DRAW_CHUNK = 1 << 20


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
        """The epoch's indices, drawn when the first is asked for, as PyTorch's. Up to
        `_DRAW_CHUNK` of them are drawn then, at once, from the generator (the global one
        if None), so that what the training loop draws afterwards cannot change them. More
        (an endless sampler, `num_samples=10**10`) come as they are needed, a chunk at a
        time, from a stream of their own seeded then with one draw, as PyTorch's sampler
        seeds its own generator: the loop's draws cannot move them either, and only one
        chunk is held in memory."""
        rng, n = _rng(self.generator, "RandomSampler"), len(self.data_source)
        if self.num_samples > _DRAW_CHUNK:
            yield from self._drawn(np.random.default_rng(int(rng.integers(0, 2**63 - 1))), n)
        else:
            yield from list(self._drawn(rng, n))  # every draw made before the first index

    def _drawn(self, rng: np.random.Generator, n: int) -> Iterator[int]:
        """`num_samples` indices from `rng`, drawn `_DRAW_CHUNK` (or one pass) at a time."""
        if self.replacement:
            for start in range(0, self.num_samples, _DRAW_CHUNK):
                drawn = rng.integers(0, n, min(_DRAW_CHUNK, self.num_samples - start))
                for i in range(0, len(drawn), 1024):  # as Python ints a few at a time
                    yield from drawn[i : i + 1024].tolist()
            return
        full, rest = divmod(self.num_samples, n)
        for _ in range(full):
            yield from rng.permutation(n).tolist()
        # a last, partial pass; drawn (and cut to nothing) when rest is 0, as PyTorch's
        yield from rng.permutation(n)[:rest].tolist()

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


def _is_plain_numpy(data: Any) -> bool:
    """PyTorch's test for what `default_convert` turns into a Tensor: an object of a type
    defined in `numpy` itself (ndarray, memmap, matrix, NumPy scalars), not a subclass from
    elsewhere (`numpy.ma`'s masked arrays keep their mask by staying as they are)."""
    kind = type(data)
    return kind.__module__ == "numpy" and kind.__name__ not in ("str_", "bytes_")


def default_convert(data: Any) -> Any:
    """Arrays and NumPy scalars to Tensors, recursing into dicts and sequences (the
    per-sample conversion when `batch_size=None`); arrays of strings or objects, masked
    arrays and other types stay as they are, as in PyTorch."""
    if isinstance(data, Tensor):
        return data
    if _is_plain_numpy(data):
        return data if data.dtype.kind in "OSU" else Tensor(np.asarray(data))
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
        return _rebuild_sequence(data, [default_convert(d) for d in data])
    return data


def _rebuild_sequence(sample: Sequence, items: list[Any]) -> Any:
    """`items` in a container of the sample's own type, as PyTorch: a mutable sequence (a
    list subclass, a deque) is copied and filled item by item, so its attributes survive;
    another (a range) is built from the list; a type that refuses gives the plain list."""
    try:
        if isinstance(sample, MutableSequence):
            clone = copy.copy(sample)
            for i, item in enumerate(items):
                clone[i] = item
            return clone
        return type(sample)(items)
    except TypeError:
        return items


def _rebuild_mapping(sample: Mapping, fields: dict[Any, Any]) -> Any:
    """`fields` in a mapping of the sample's own type, as PyTorch: a mutable one (an
    OrderedDict, a defaultdict) is copied and updated; a read-only one (a mappingproxy) is
    built from the dict; a type that refuses gives the plain dict."""
    try:
        if isinstance(sample, MutableMapping):
            clone = copy.copy(sample)
            clone.update(fields)
            return clone
        return type(sample)(fields)
    except TypeError:
        return fields


def collate(batch: Sequence[Any], *, collate_fn_map: dict[Any, Callable] | None = None) -> Any:
    """PyTorch's general collate (`torch.utils.data._utils.collate.collate`): the function
    registered in `collate_fn_map` for the type of `batch[0]` (its exact type first, then
    the first key it is an instance of, in the map's order), else containers field by field:
    a mapping gives a mapping of its own type, a namedtuple its own type, a tuple a list,
    another sequence a sequence of its own type. Each registered function is called as
    `fn(batch, collate_fn_map=collate_fn_map)`."""
    elem = batch[0]
    if collate_fn_map is not None:
        fn = collate_fn_map.get(type(elem))
        if fn is None:
            fn = next((f for t, f in collate_fn_map.items() if isinstance(elem, t)), None)
        if fn is not None:
            return fn(batch, collate_fn_map=collate_fn_map)
    if isinstance(elem, Mapping):
        fields = {k: collate([d[k] for d in batch], collate_fn_map=collate_fn_map) for k in elem}
        return _rebuild_mapping(elem, fields)
    if _is_namedtuple(elem):
        fields = zip(*batch, strict=False)  # one namedtuple type: one length
        return type(elem)(*(collate(s, collate_fn_map=collate_fn_map) for s in fields))
    if isinstance(elem, Sequence):
        if len({len(b) for b in batch}) != 1:
            raise RuntimeError(
                "default_collate: each element in list of batch should be of equal size, got "
                f"lengths {[len(b) for b in batch]}"
            )
        columns = [collate(s, collate_fn_map=collate_fn_map) for s in zip(*batch, strict=True)]
        return columns if isinstance(elem, tuple) else _rebuild_sequence(elem, columns)
    raise TypeError(
        "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
        f"found {type(elem).__name__}"
    )


def _keeps_channels_last(arrays: Sequence[Any]) -> bool:
    """Whether PyTorch's `stack` keeps the samples' layout: every sample a 4-d (5-d) array
    laid out channels-last (channels-last-3d) and not row-major, a layout `torch.cat`
    keeps when all its inputs share it. Any other batch comes out row-major."""
    if arrays[0].ndim not in (4, 5):
        return False
    order = (0, 2, 3, 1) if arrays[0].ndim == 4 else (0, 2, 3, 4, 1)
    for a in arrays:
        if a.ndim != len(order) or a.flags.c_contiguous:
            return False
        expected = a.itemsize
        for d in reversed(order):
            if a.shape[d] != 1 and a.strides[d] != expected:
                return False
            expected *= a.shape[d]
    return True


def collate_tensor_fn(batch: Sequence[Tensor], *, collate_fn_map: Any = None) -> Tensor:
    """Tensors stacked on a new first dim (the graph is kept), row-major as PyTorch's batch
    whatever the samples' strides (channels-last samples excepted, as in PyTorch)."""
    out = ops.stack(list(batch), 0)
    if batch[0].ndim in (4, 5) and _keeps_channels_last([t._data for t in batch]):
        return out
    return out.contiguous()  # stack follows its inputs' memory order (transposed samples)


def _same_shape_arrays(batch: Sequence[Any]) -> list[np.ndarray]:
    arrays = [np.asarray(b) for b in batch]
    shape = arrays[0].shape
    bad = next((a.shape for a in arrays if a.shape != shape), None)
    if bad is not None:  # PyTorch's RuntimeError from stack
        raise ShapeError(
            f"default_collate: stack expects each array to be equal size, but got {list(shape)} "
            f"at entry 0 and {list(bad)} at a later entry (samples of different lengths need a "
            "collate_fn that pads them)"
        )
    return arrays


def collate_numpy_array_fn(batch: Sequence[np.ndarray], *, collate_fn_map: Any = None) -> Any:
    """NumPy arrays as one Tensor with a new first dim: one dtype stacks as it is, mixed
    dtypes promote as `stack` promotes Tensors; arrays of strings or objects are refused.
    The batch is row-major (a fresh copy), as PyTorch's, whatever the samples' strides."""
    elem = batch[0]
    if elem.dtype.kind in "OSU":
        raise TypeError(
            f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or "
            f"lists; found arrays of dtype {elem.dtype}"
        )
    arrays = _same_shape_arrays(batch)
    tensor_fn = collate_fn_map.get(Tensor) if collate_fn_map else None
    if tensor_fn is not None and tensor_fn is not collate_tensor_fn:
        # PyTorch collates the arrays as Tensors: a collate function registered for Tensor
        # sees them
        return collate([Tensor(a) for a in arrays], collate_fn_map=collate_fn_map)
    if any(a.dtype != elem.dtype for a in arrays):  # mixed: promoted as stack promotes
        return collate_tensor_fn([Tensor(a) for a in arrays])
    if _keeps_channels_last(arrays):
        return Tensor(np.stack(arrays))  # np.stack keeps the samples' memory order
    out = np.empty((len(arrays), *elem.shape), dtype=elem.dtype)
    return Tensor(np.stack(arrays, out=out))


def collate_numpy_scalar_fn(batch: Sequence[Any], *, collate_fn_map: Any = None) -> Tensor:
    """NumPy scalars as a 1-d Tensor: what `tensor(batch)` makes of them, as PyTorch's
    `as_tensor(batch)` (np.float32 beside a Python float stays float32)."""
    arrays = _same_shape_arrays(batch)
    if all(a.dtype == arrays[0].dtype for a in arrays):  # the usual batch: one dtype
        return Tensor(np.stack(arrays))
    return tensor(list(batch))


def collate_float_fn(batch: Sequence[float], *, collate_fn_map: Any = None) -> Tensor:
    """Python floats as float64, as PyTorch."""
    return Tensor(np.array(batch, dtype=np.float64))


def collate_int_fn(batch: Sequence[int], *, collate_fn_map: Any = None) -> Tensor:
    """Python ints and bools as `tensor(batch)` infers them from the whole batch (int64,
    bool, or float32 once a float is among them), as PyTorch."""
    return tensor(list(batch))


def collate_str_fn(batch: Sequence[Any], *, collate_fn_map: Any = None) -> Sequence[Any]:
    """Strings and bytes as given."""
    return batch


# PyTorch's registry of collate functions by sample type, in PyTorch's order (np.float64 is
# a float too, and meets the NumPy scalars first); default_collate reads it, so
# `default_collate_fn_map[MyType] = fn` extends default_collate, as PyTorch documents
default_collate_fn_map: dict[Any, Callable] = {
    Tensor: collate_tensor_fn,
    np.ndarray: collate_numpy_array_fn,
    (np.bool_, np.number, np.object_): collate_numpy_scalar_fn,
    float: collate_float_fn,
    int: collate_int_fn,
    str: collate_str_fn,
    bytes: collate_str_fn,
}

# the map as minigrad ships it: a loader gathers a TensorDataset's rows only while it is so
_DEFAULT_COLLATE_FN_MAP = dict(default_collate_fn_map)


def default_collate(batch: Sequence[Any]) -> Any:
    """Merge a list of samples into a batch, as PyTorch: Tensors and arrays are stacked on
    a new first dim into a row-major batch (mixed dtypes promoted as `stack` promotes
    them); a batch of NumPy scalars becomes what `tensor(batch)` makes of it (np.float32
    with a Python float: float32); Python floats become float64; ints and bools become
    what `tensor(batch)` makes of them (int64, bool, or float32 once a float is among
    them); dicts, tuples and lists are collated field by field (a tuple sample gives a list,
    a mapping or list sample a copy of its own type); strings are returned as given (a
    list at the top, a tuple for a sample's field). `collate` with `default_collate_fn_map`,
    so a type registered there is collated by its function."""
    return collate(batch, collate_fn_map=default_collate_fn_map)


# ---------------------------------------------------------------------- loader
class _InfiniteConstantSampler(Sampler[None]):
    """None for ever: the `sampler` of a loader over an IterableDataset, as PyTorch's
    (its `batch_sampler` batches these; the samples come from the stream)."""

    def __iter__(self) -> Iterator[None]:
        while True:
            yield None


class _DatasetKind:
    """PyTorch's codes for a loader's `_dataset_kind`, which wrappers of DataLoader read."""

    Map = 0
    Iterable = 1


class DataLoader(Generic[T_co]):
    """Batches of a dataset, as `torch.utils.data.DataLoader` with the same arguments,
    defaults and attributes. Runs in the main thread: `num_workers`, `pin_memory`,
    `timeout`, `prefetch_factor`, `persistent_workers`, `multiprocessing_context`,
    `pin_memory_device` and `in_order` are accepted for compatibility, checked as PyTorch
    checks them, and have no effect (`worker_init_fn` is never called, as in PyTorch with
    num_workers=0). As PyTorch's, a `timeout` other than 0 with num_workers=0, a
    `num_workers` that is not a whole number and a `generator` that is not one are refused
    when iterating, and `prefetch_factor` is 2 when num_workers > 0 and not given.
    `generator` is a `minigrad.Generator`, a numpy.random.Generator, or None for minigrad's
    seeded global generator."""

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
        elif prefetch_factor is None:
            prefetch_factor = 2  # PyTorch's default with worker processes
        elif prefetch_factor < 0:
            raise ValueError("DataLoader: prefetch_factor option should be non-negative")
        self.num_workers = num_workers
        self.multiprocessing_context = multiprocessing_context  # its setter checks it
        self.pin_memory_device, self.in_order = pin_memory_device, in_order
        iterable = isinstance(dataset, IterableDataset)
        self._dataset_kind = _DatasetKind.Iterable if iterable else _DatasetKind.Map
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
        self.pin_memory, self.timeout = pin_memory, timeout
        self.worker_init_fn, self.prefetch_factor = worker_init_fn, prefetch_factor
        self.persistent_workers = persistent_workers
        self.collate_fn = collate_fn or (
            default_collate if self._auto_collation else default_convert
        )
        self.__initialized = True
        # the dataset's length when len(loader) read it, for the warning when a stream
        # yields more (PyTorch's name)
        self._IterableDataset_len_called: int | None = None

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

    @property
    def multiprocessing_context(self) -> Any:
        """How worker processes would start: None (the platform's default) or a
        `multiprocessing` context; a start method's name given is kept as its context."""
        return self.__multiprocessing_context

    @multiprocessing_context.setter
    def multiprocessing_context(self, context: Any) -> None:
        """Checked as PyTorch checks it, although minigrad starts no worker processes."""
        if context is not None:
            if not self.num_workers > 0:
                raise ValueError(
                    "DataLoader: multiprocessing_context can only be used with multi-process "
                    f"loading (num_workers > 0), but got num_workers={self.num_workers}"
                )
            import multiprocessing  # only here: the loader itself never starts a process

            if isinstance(context, str):
                methods = multiprocessing.get_all_start_methods()
                if context not in methods:
                    raise ValueError(
                        "DataLoader: multiprocessing_context option should specify a valid "
                        f"start method in {methods!r}, but got multiprocessing_context={context!r}"
                    )
                context = multiprocessing.get_context(context)
            if not isinstance(context, multiprocessing.context.BaseContext):
                raise TypeError(
                    "DataLoader: multiprocessing_context option should be a valid context "
                    "object or a string specifying the start method, but got "
                    f"multiprocessing_context={context!r}"
                )
        self.__multiprocessing_context = context

    @property
    def _auto_collation(self) -> bool:
        """Whether samples are batched (and collated with `default_collate`), as PyTorch's."""
        return self.batch_sampler is not None

    @property
    def _index_sampler(self) -> Any:
        """What each batch's indices come from: the batch sampler when batching, else the
        sampler (PyTorch's private name, which wrappers of DataLoader read)."""
        return self.batch_sampler if self._auto_collation else self.sampler

    def __len__(self) -> int:
        if self._dataset_kind == _DatasetKind.Iterable:  # its sampler is endless
            n = len(self.dataset)  # TypeError if the stream has no length, as PyTorch
            self._IterableDataset_len_called = n
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        return len(self._index_sampler)

    def __iter__(self) -> _LoaderIterator:
        # PyTorch's iterator draws a seed from the generator first, so a bad one raises here
        _rng(self.generator, "DataLoader")
        if self.num_workers == 0:
            if self.timeout != 0:  # PyTorch's single-process iterator
                raise AssertionError("_SingleProcessDataLoaderIter requires timeout == 0")
        else:  # PyTorch's would start range(num_workers) processes
            try:
                operator.index(self.num_workers)
            except TypeError:
                raise TypeError(
                    "DataLoader: num_workers should be a whole number of worker processes, "
                    f"got {self.num_workers!r}"
                ) from None
        return _LoaderIterator(self)


class _LoaderIterator:
    """What `iter(loader)` gives, as PyTorch's single-process iterator: each `next` takes
    the next index (a batch's list of indices) from the sampler, fetches those samples and
    collates them, and `len()` is the loader's. A StopIteration from the dataset or
    `collate_fn` ends the epoch, as in PyTorch, with a warning: the rest is skipped."""

    def __init__(self, loader: DataLoader) -> None:
        self._loader, self._dataset = loader, loader.dataset
        self._collate_fn, self._auto_collation = loader.collate_fn, loader._auto_collation
        self._drop_last = loader.drop_last
        self._sampler_iter = iter(loader._index_sampler)
        iterable = loader._dataset_kind == _DatasetKind.Iterable
        self._stream = iter(loader.dataset) if iterable else None
        self._stream_ended = False
        self._len_reported = loader._IterableDataset_len_called
        self._num_streamed = 0  # samples taken from the stream

    def __iter__(self) -> _LoaderIterator:
        return self

    def __next__(self) -> Any:
        index = next(self._sampler_iter)  # the sampler's end is the epoch's end
        rows = self._tensor_rows(index)
        if rows is not None:
            return rows
        if self._stream is not None:
            samples = self._from_stream(index)  # StopIteration: the stream's end
        else:
            try:
                samples = self._from_dataset(index)
            except StopIteration:
                _warn_stopped(f"the dataset (fetching index {index})")
                raise
        try:
            batch = self._collate_fn(samples)
        except StopIteration:
            _warn_stopped("collate_fn")
            raise
        if self._len_reported is not None and self._num_streamed > self._len_reported:
            warnings.warn(
                f"Length of IterableDataset {self._dataset} was reported to be "
                f"{self._len_reported} (when accessing len(dataloader)), but "
                f"{self._num_streamed} samples have been fetched.",
                stacklevel=2,
            )
        return batch

    def _tensor_rows(self, index: Any) -> list[Tensor] | None:
        """The batch `default_collate` makes of a TensorDataset's samples at `index`, taken
        with one gather per tensor instead of a view per sample and a stack (for a batch of
        64 digits, 0.04 ms against 3.0; PyTorch's loader takes 0.3): the same values,
        dtypes and fresh row-major memory. None where that does not apply, and the samples'
        way runs: another dataset (a subclass that reads its samples its own way), another
        collate_fn, a collate registered in `default_collate_fn_map`, a tensor that
        requires grad (its batch keeps a graph), samples of 4 or more dims (their layout
        may be channels-last), an index that is not a non-empty 1-d list of integers (or
        one out of range: the samples' way raises PyTorch's IndexError)."""
        dataset = self._dataset
        if (
            not isinstance(dataset, TensorDataset)
            or type(dataset).__getitem__ is not TensorDataset.__getitem__
            or getattr(type(dataset), "__getitems__", None) is not None
            or self._collate_fn is not default_collate
            or not self._auto_collation
            or default_collate_fn_map != _DEFAULT_COLLATE_FN_MAP
        ):
            return None
        tensors = dataset.tensors
        if any(t.requires_grad or t.ndim > 4 for t in tensors):
            return None
        rows = np.asarray(index.numpy() if isinstance(index, Tensor) else index)
        if rows.dtype.kind not in "iu" or rows.ndim != 1 or rows.size == 0:
            return None
        n = len(dataset)
        if rows.min() < -n or rows.max() >= n:
            return None
        out = []
        for t in tensors:
            xp = get_array_module(t._data)
            out.append(Tensor._make(xp.ascontiguousarray(t._data[xp.asarray(rows)]), False))
        return out

    def _from_dataset(self, index: Any) -> Any:
        if not self._auto_collation:
            return self._dataset[index]
        # a dataset's __getitems__ fetches a whole batch in one call, as in PyTorch
        getitems = getattr(self._dataset, "__getitems__", None)
        return getitems(index) if getitems else [self._dataset[i] for i in index]

    def _from_stream(self, index: Any) -> Any:
        """The next sample, or the next batch of samples (a short last one unless
        `drop_last`), from the stream; StopIteration once it has run out."""
        if self._stream_ended:
            raise StopIteration
        if not self._auto_collation:
            try:
                sample = next(self._stream)
            except StopIteration:
                self._stream_ended = True
                raise
            self._num_streamed += 1
            return sample
        samples = list(itertools.islice(self._stream, len(index)))
        self._num_streamed += len(samples)
        if len(samples) < len(index):
            self._stream_ended = True
            if not samples or self._drop_last:
                raise StopIteration
        return samples

    def __len__(self) -> int:
        return len(self._loader)


def _warn_stopped(where: str) -> None:
    """A StopIteration from the dataset or collate_fn ends the epoch, as in PyTorch's
    loader (its `next` lets it through), but not silently: the rest is skipped."""
    warnings.warn(
        f"DataLoader: {where} raised StopIteration, which ends the epoch here as in "
        "PyTorch: the rest of the epoch's samples are skipped. A StopIteration there is "
        "usually an exhausted iterator; a map-style dataset ends at its __len__.",
        stacklevel=3,
    )


def __getattr__(name: str) -> Any:
    """`from torch.utils.data import DistributedSampler`: minigrad's, over MPI
    (minigrad/distributed/sampler.py), imported when first asked for."""
    if name == "DistributedSampler":
        from ..distributed.sampler import DistributedSampler

        return DistributedSampler
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
