"""Updates at indices and reads along a dim, as PyTorch names them: index_add, index_put,
take_along_dim.

index_add and index_put with `accumulate=True` add in index order into a copy of the
input (NumPy's `add.at`), as PyTorch's CPU loops do, so repeated indices round as theirs.
Their backward reads the gradient back at the index with `GetItem`, whose own backward
scatters it again, so second derivatives come free.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ..autograd import Function
from ..backend import get_array_module
from ..errors import IndexOutOfRange
from ..tensor import Tensor, check_byte_mask_fill
from .elementwise import Mask, keep_bits
from .indexing import adds_slices_wide, gather
from .reduce import broadcast_to
from .search import torch_name
from .shape import GetItem, add_at, reshape


def _wrap_dim(dim: Any, ndim: int) -> int:
    """PyTorch's maybe_wrap_dim: a 0-d tensor takes dim 0 or -1."""
    n = max(ndim, 1)
    if isinstance(dim, bool) or not isinstance(dim, int | np.integer):
        raise TypeError(f"dim must be an int, got {type(dim).__name__}")
    if not -n <= dim < n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
        )
    return int(dim) % n


class IndexAdd(Function):
    """x plus `alpha * source` added at a fixed index (PyTorch's index_add), repeats
    accumulating in index order (float16 in float32 with `wide`, where PyTorch's does:
    `adds_slices_wide`). Gradients: gy for x, alpha * gy read at the index for source."""

    uses_inputs = False
    op_name = "index_add"

    def __init__(self, where_: tuple, alpha: Any, wide: bool = False) -> None:
        self.where, self.alpha, self.wide = where_, alpha, wide

    def forward(self, x, src):
        xp = get_array_module(x)
        add = src if self.alpha == 1 else xp.multiply(src, x.dtype.type(self.alpha))
        return add_at(xp, x.copy(), self.where, add, self.wide)

    def backward(self, gy):
        nx, ns = self.needs_input_grad
        gs = None
        if ns:
            gs = GetItem(self.where, self.wide)(gy)
            if self.alpha != 1:
                gs = gs * self.alpha
        return gy if nx else None, gs


def _alpha(alpha: Any, dtype: np.dtype) -> Any:
    """alpha in x's kind: PyTorch reads it as x's scalar type (2.5 is 2 for an int tensor)."""
    if isinstance(alpha, Tensor):
        alpha = alpha.item()
    if dtype.kind == "b":
        return bool(alpha)
    if dtype.kind in "iu":
        return int(alpha)
    return alpha


def index_add(
    input: Tensor,  # noqa: A002 - PyTorch's name
    dim: int,
    index: Tensor,
    source: Tensor,
    *,
    alpha: Any = 1,
) -> Tensor:
    """A copy of `input` with `alpha * source` added along `dim` at the 1-D `index`:
    out[..., index[i], ...] += alpha * source[..., i, ...]; repeated indices add up.
    Differentiable in input and source."""
    x = input
    d = _wrap_dim(dim, x.ndim)
    idx = index._data if isinstance(index, Tensor) else get_array_module(x._data).asarray(index)
    if idx.ndim > 1:
        raise IndexError(
            f"index_add_(): Index is supposed to be a vector, but got dim: {idx.ndim} with "
            f"type: {torch_name(idx.dtype)} and size: {list(idx.shape)}"
        )
    if idx.dtype not in (np.int64, np.int32):
        raise RuntimeError(
            f"index_add_(): Expected dtype int32/int64 for index but got: {torch_name(idx.dtype)}"
        )
    if source.dtype != x.dtype:
        raise RuntimeError(
            f"index_add_(): self ({torch_name(x.dtype)}) and source "
            f"({torch_name(source.dtype)}) must have the same scalar type"
        )
    if d != 0 and d >= source.ndim:
        raise RuntimeError(
            f"index_add_(): Indexing dim {d} is out of bounds of the source tensor with dim "
            f"{source.ndim}"
        )
    count = 1 if source.ndim == 0 else source.shape[d]
    if idx.size != count:
        raise RuntimeError(
            f"index_add_(): Number of indices ({idx.size}) should be equal to "
            f"source.size(dim): ({count}), for dim: {d}"
        )
    xs, ss = list(x.shape), list(source.shape)
    if x.ndim and source.ndim:
        del xs[d], ss[d]
    if xs != ss:
        raise RuntimeError(
            "source tensor shape must match self tensor shape, excluding the specified "
            f"dimension. Got self.shape = {list(x.shape)} source.shape = {list(source.shape)}"
        )
    index_dtype = idx.dtype
    idx = idx.reshape(-1).astype(np.int64, copy=False)
    size = x.shape[d] if x.ndim else 1
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= size):
        bad = int(idx.min()) if int(idx.min()) < 0 else int(idx.max())
        raise IndexOutOfRange(f"index {bad} is out of bounds for dimension {d} with size {size}")
    a = _alpha(alpha, x.dtype)
    if x.ndim == 0 or source.ndim == 0:
        shape = x.shape
        x1, s1 = reshape(x, x.shape or (1,)), reshape(source, source.shape or (1,))
        return reshape(IndexAdd((slice(None),) * d + (idx,), a)(x1, s1), shape)
    wide = x.dtype == np.float16 and adds_slices_wide(x.ndim, d, index_dtype, a)
    return IndexAdd((slice(None),) * d + (idx,), a, wide)(x, source)


class IndexPutInto(Function):
    """x with v written (or with `accumulate`, added in order) at a fixed advanced index:
    PyTorch's index_put. x's gradient is gy, with the written places zeroed unless
    accumulating; v's is gy read back at the index, for every element of v (also one
    whose write a later repeat replaced, as PyTorch's)."""

    uses_inputs = False
    op_name = "index_put"

    def __init__(self, index: tuple, accumulate: bool) -> None:
        self.index, self.accumulate = index, accumulate

    def forward(self, x, v):
        xp = get_array_module(x)
        out = x.copy()
        if self.accumulate:
            xp.add.at(out, self.index, v)
        else:
            out[self.index] = v
            self.keep = xp.ones(x.shape, dtype=bool)
            self.keep[self.index] = False
        return out

    def backward(self, gy):
        nx, nv = self.needs_input_grad
        gx = None
        if nx:
            gx = gy if self.accumulate else Mask(keep_bits(self.keep, gy.dtype))(gy)
        return gx, GetItem(self.index)(gy) if nv else None


def _put_index(x: Tensor, indices: Any) -> tuple[tuple, tuple[int, ...]]:
    """index_put's tuple of index tensors as a NumPy advanced index (negative indices
    wrapped, PyTorch's checks and errors), and the shape of the part it selects."""
    if not isinstance(indices, tuple | list):
        raise TypeError(
            "index_put(): argument 'indices' (position 1) must be tuple of Tensors, not "
            f"{type(indices).__name__}"
        )
    arrays = []
    for k, i in enumerate(indices):
        if not isinstance(i, Tensor):
            raise TypeError(
                f"expected Tensor as element {k} in argument 0, but got {type(i).__name__}"
            )
        a = i._data
        if a.dtype == np.uint8:
            warnings.warn(
                "indexing with dtype torch.uint8 is now deprecated, please use a dtype "
                "torch.bool instead.",
                UserWarning,
                stacklevel=3,
            )
            a = a.astype(bool)
        if a.dtype.kind != "b" and a.dtype not in (np.int64, np.int32):
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        arrays.append(a)
    if not arrays:
        raise RuntimeError("index_put: expected at least one index tensor")
    if len(arrays) > x.ndim:
        raise IndexError(f"too many indices for tensor of dimension {x.ndim} (got {len(arrays)})")
    xp = get_array_module(x._data)
    where_, shapes, pos = [], [], 0
    for a in arrays:
        if a.dtype.kind == "b":
            for j, n in enumerate(a.shape):
                if pos + j >= x.ndim or x.shape[pos + j] != n:
                    raise IndexError(
                        f"The shape of the mask {list(a.shape)} at index {j} does not match "
                        f"the shape of the indexed tensor {list(x.shape)} at index {pos + j}"
                    )
            where_.append(a)
            shapes.append((int(a.sum()),))
            pos += a.ndim
            continue
        if pos >= x.ndim:
            raise IndexError(
                f"too many indices for tensor of dimension {x.ndim} (got {len(arrays)})"
            )
        n = x.shape[pos]
        a = a.astype(np.int64, copy=False)
        if a.size and (int(a.min()) < -n or int(a.max()) >= n):
            bad = int(a.min()) if int(a.min()) < -n else int(a.max())
            raise IndexError(f"index {bad} is out of bounds for dimension {pos} with size {n}")
        where_.append(xp.where(a < 0, a + n, a))
        shapes.append(tuple(a.shape))
        pos += 1
    try:
        picked = tuple(np.broadcast_shapes(*shapes)) + x.shape[pos:]
    except ValueError:
        listed = ", ".join(str(list(s)) for s in shapes)
        raise IndexError(
            f"shape mismatch: indexing tensors could not be broadcast together with shapes {listed}"
        ) from None
    return tuple(where_), picked


def index_put(
    input: Tensor,  # noqa: A002 - PyTorch's name
    indices: Any,
    values: Tensor,
    accumulate: bool = False,
) -> Tensor:
    """A copy of `input` with `values` (broadcast) written at `input[indices]`, or added
    there with `accumulate=True` (repeated indices add up; without it one write of a
    repeated index wins, the last). `indices` is a tuple of int64/int32 or bool tensors.
    Differentiable in input and values."""
    x = input
    if not isinstance(values, Tensor):
        raise TypeError(
            "index_put(): argument 'values' (position 2) must be Tensor, not "
            f"{type(values).__name__}"
        )
    if not accumulate:
        check_byte_mask_fill("index_put", indices, values, x._data.shape, put=True)
    where_, picked = _put_index(x, indices)
    if values.dtype != x.dtype:
        raise RuntimeError(
            "Index put requires the source and destination dtypes match, got "
            f"{torch_name(x.dtype)} for the destination and {torch_name(values.dtype)} for "
            "the source."
        )
    try:
        np.broadcast_shapes(values.shape, picked)
        fits = np.broadcast_shapes(values.shape, picked) == picked
    except ValueError:
        fits = False
    if not fits:
        raise RuntimeError(
            f"shape mismatch: value tensor of shape {list(values.shape)} cannot be broadcast "
            f"to indexing result of shape {list(picked)}"
        )
    v = values if values.shape == picked else broadcast_to(values, picked)
    return IndexPutInto(where_, bool(accumulate))(x, v)


def take_along_dim(
    input: Tensor,  # noqa: A002 - PyTorch's name
    indices: Tensor,
    dim: int | None = None,
) -> Tensor:
    """Values of `input` at `indices` along `dim`, the two broadcast against each other
    outside `dim` (numpy.take_along_axis); without `dim`, at flat indices of the
    flattened input. Along a dim PyTorch takes the indices modulo the dim's size (-1 is
    the last, and so is n - 1 + n); so does this. Differentiable in input."""
    x = input
    xp = get_array_module(x._data)
    idx = indices._data if isinstance(indices, Tensor) else xp.asarray(indices)
    if dim is None:
        if idx.dtype not in (np.int64, np.int32):
            raise RuntimeError("gather(): Expected dtype int32/int64 for index")
        flat = reshape(x, (-1,))
        n = flat.shape[0]
        i = idx.reshape(-1)
        if i.size and (int(i.min()) < 0 or int(i.max()) >= n):
            bad = int(i.min()) if int(i.min()) < 0 else int(i.max())
            raise IndexOutOfRange(f"index {bad} is out of bounds for dimension 0 with size {n}")
        return gather(flat, 0, Tensor._make(i.astype(np.int64, copy=False), False))
    if x.ndim != idx.ndim:
        raise RuntimeError(
            "torch.take_along_dim(): input and indices should have the same number of "
            f"dimensions, but got {x.ndim} dimensions for input, and {idx.ndim} dimensions "
            "for indices"
        )
    if idx.dtype != np.int64:
        raise RuntimeError(
            "torch.take_along_dim(): dtype of indices should be Long but got "
            f"{torch_name(idx.dtype)}"
        )
    if x.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    d = _wrap_dim(dim, x.ndim)
    xs, ids = list(x.shape), list(idx.shape)
    xs[d], ids[d] = idx.shape[d], x.shape[d]
    try:
        idx_shape = tuple(np.broadcast_shapes(tuple(xs), idx.shape))
        x_shape = tuple(np.broadcast_shapes(tuple(ids), x.shape))
    except ValueError:
        raise RuntimeError(
            f"take_along_dim: the shapes of input {list(x.shape)} and indices "
            f"{list(idx.shape)} do not broadcast outside dim {d}"
        ) from None
    n = x.shape[d]
    if n == 0 and idx.size:
        raise RuntimeError("ZeroDivisionError")
    idx = idx % n if n else idx
    idx = xp.ascontiguousarray(xp.broadcast_to(idx, idx_shape))
    src = x if x.shape == x_shape else broadcast_to(x, x_shape)
    return gather(src, d, Tensor._make(idx, False))
