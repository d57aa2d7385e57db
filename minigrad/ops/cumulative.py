"""Selections along one dim that return PyTorch's (values, indices) pair: cummax, cummin
and kthvalue. The indices are found on the arrays; the values are then read from the input
with `gather`, so their gradient is a scatter-add into the chosen places (repeats
accumulate, as PyTorch's cummaxmin_backward) and every higher derivative comes from
gather's own pair of nodes."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import return_types
from ..backend import get_array_module
from ..tensor import Tensor
from .elementwise import ordered
from .indexing import _dim, gather
from .reduce import normalize_dims
from .shape import clone, squeeze


def _tensor(x: Any, op: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected a Tensor input, got {type(x).__name__}")
    return x


def _scalar_pair(x: Tensor, dim: Any, op: str) -> Any:
    """A 0-d tensor's pair: itself and index 0, for dim 0 or -1 only (PyTorch's rule)."""
    if not isinstance(dim, int | np.integer) or isinstance(dim, bool):
        raise TypeError(f"{op}(): dim must be an int, got {type(dim).__name__}")
    if dim not in (0, -1):
        raise IndexError(f"{op}(): Expected reduction dim -1 or 0 for scalar but got {dim}")
    zero = get_array_module(x._data).zeros((), np.int64)
    return getattr(return_types, op)(clone(x), Tensor._make(zero, False))


def _running(x: Tensor, dim: Any, op: str, largest: bool) -> Any:
    """cummax (largest) or cummin along `dim`. Index i holds the last position j <= i whose
    element equals the running extreme: PyTorch's kernel replaces its index on x >= max
    (x <= min), so ties take the later index. Once a NaN is met the value stays NaN and
    the index follows the latest NaN, as PyTorch's."""
    ordered(x.dtype, op)
    x = _tensor(x, op)
    if x.ndim == 0:
        return _scalar_pair(x, dim, op)
    kind = getattr(return_types, op)
    d = _dim(dim, x, op)
    a = x._data
    xp = get_array_module(a)
    if a.size == 0:
        return kind(clone(x), Tensor._make(xp.zeros(a.shape, np.int64), False))
    extreme = (xp.maximum if largest else xp.minimum).accumulate(a, axis=d)  # NaN sticks
    hit = a == extreme  # -0.0 == 0.0: a tie, as PyTorch's >= sees it
    if a.dtype.kind in "fc":
        hit |= xp.isnan(a)
    pos = xp.arange(a.shape[d], dtype=np.int64).reshape(
        [-1 if i == d else 1 for i in range(a.ndim)]
    )
    idx = xp.maximum.accumulate(xp.where(hit, pos, 0), axis=d)  # the last hit so far
    return kind(gather(x, d, idx), Tensor._make(idx, False))


def cummax(x: Tensor, dim: int) -> return_types.cummax:
    """Running maximum along `dim` and the index of each (the later one among ties);
    differentiable in values."""
    return _running(x, dim, "cummax", True)


def cummin(x: Tensor, dim: int) -> return_types.cummin:
    """Running minimum along `dim` and the index of each (the later one among ties);
    differentiable in values."""
    return _running(x, dim, "cummin", False)


def kthvalue(x: Tensor, k: int, dim: int = -1, keepdim: bool = False) -> return_types.kthvalue:
    """The k-th smallest element along `dim` (k from 1) and its index; NaN counts as the
    largest value. Among equal elements the index is that of the k-th in a stable sort
    (PyTorch's, from its quickselect, is unspecified). Differentiable in values."""
    x = _tensor(x, "kthvalue")
    if not isinstance(k, int | np.integer) or isinstance(k, bool):
        raise TypeError(f"kthvalue(): argument 'k' must be int, not {type(k).__name__}")
    k = int(k)
    ordered(x.dtype, "kthvalue")
    if x.dtype == np.bool_:
        raise NotImplementedError("kthvalue(): not implemented for bool tensors (as in PyTorch)")
    if x.ndim == 0:
        normalize_dims(dim, 0, "kthvalue")
        if k != 1:
            raise RuntimeError(
                f"kthvalue(): selected number k={k} out of range for dimension 0 of size 1"
            )
        return _scalar_pair(x, dim, "kthvalue")
    d = _dim(dim, x, "kthvalue")
    n = x.shape[d]
    if n == 0:
        raise IndexError(f"kthvalue(): Expected reduction dim {d} to have non-zero size.")
    if not 1 <= k <= n:
        raise RuntimeError(
            f"kthvalue(): selected number k={k} out of range for dimension {d} of size {n}"
        )
    xp = get_array_module(x._data)
    order = xp.argsort(x._data, axis=d, kind="stable")  # NaN last, ties in input order
    index = [slice(None)] * x.ndim
    index[d] = slice(k - 1, k)
    idx = order[tuple(index)].astype(np.int64, copy=False)
    values = gather(x, d, idx)
    if keepdim:
        return return_types.kthvalue(values, Tensor._make(idx, False))
    return return_types.kthvalue(squeeze(values, d), Tensor._make(idx.squeeze(d), False))


__all__ = ["cummax", "cummin", "kthvalue"]
