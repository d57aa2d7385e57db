"""PyTorch's remaining scatter family: scatter_reduce and index_reduce (sum, prod, mean,
amax, amin, with or without self), index_copy, index_fill, masked_scatter, put, and the
*_scatter ops that embed a tensor in a view (diagonal, select, slice, as_strided).

scatter_reduce is one Function whose backward is PyTorch's formulas written with
minigrad's ops (prod's calls scatter_reduce again), so it differentiates twice; the
others are compositions of where, scatter and index_put.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Function
from ..backend import get_array_module
from ..errors import IndexOutOfRange
from ..tensor import Tensor, _type_name, check_fill_scalar
from .elementwise import where
from .index_update import index_put
from .indexing import (
    Scatter,
    _along,
    _check_range,
    _index_array,
    _index_shape,
    _mask_array,
    _same_dtype,
    _src_part,
    masked_fill,
)
from .reduce import normalize_dim, normalize_dims
from .shape import (
    GetItem,
    IndexPut,
    _overlapping,
    _view_index,
    cast,
    getitem,
    normalize_index,
    reshape,
    strided_index,
)
from .structural import movedim

_REDUCES = ("sum", "prod", "mean", "amax", "amin")
# PyTorch 2.13's scatter_reduce also takes these (unlisted in its message) in the forward;
# its backward refuses them
_ALIASES = {"max": "amax", "min": "amin"}
_AT = {"sum": "add", "mean": "add", "prod": "multiply", "amax": "maximum", "amin": "minimum"}


def _identity(reduce: str, dtype: np.dtype) -> Any:
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    if dtype.kind == "f":
        return -np.inf if reduce == "amax" else np.inf
    if dtype.kind == "b":
        return reduce == "amin"
    info = np.iinfo(dtype)
    return info.min if reduce == "amax" else info.max


class ScatterReduce(Function):
    """x with src's elements reduced into it at a fixed fancy index (`where`), in index
    order. Without `include_self` the written places start from the reduction's identity.
    `wide` (scatter_reduce's, as PyTorch's CPU kernel): float16 reduces in float32 and
    rounds once; index_reduce's kernel stays in float16. A mean divides the rounded sum by
    the count in x's dtype, as PyTorch's."""

    op_name = "scatter_reduce"
    uses_outputs = True  # amax/amin/prod read the result

    def __init__(self, where_: tuple, reduce: str, include_self: bool, wide: bool = False):
        self.where, self.include_self, self.wide = where_, include_self, wide
        self.name, self.reduce = reduce, _ALIASES.get(reduce, reduce)  # ('max': amax)

    def forward(self, x, src):
        xp = get_array_module(x)
        self.hit = xp.zeros(x.shape, dtype=bool)
        self.hit[self.where] = True
        wide = self.wide and x.dtype == np.float16
        out = x.astype(np.float32) if wide else x.copy()
        if not self.include_self:
            out[self.hit] = _identity(self.reduce, x.dtype)
        with np.errstate(invalid="ignore", over="ignore"):
            getattr(xp, _AT[self.reduce]).at(out, self.where, src)
        if wide:
            out = out.astype(np.float16)
        if self.reduce == "mean":
            count = xp.full(x.shape, 1 if self.include_self else 0, dtype=np.int64)
            xp.add.at(count, self.where, 1)
            count = xp.maximum(count, 1)
            self.count = count
            if out.dtype.kind in "fc":  # float16 counts round, as PyTorch keeps them in x's dtype
                out = out / count.astype(x.dtype)
            else:
                out = xp.floor_divide(out, count).astype(x.dtype)
        return out

    def backward(self, gy):
        if self.name in _ALIASES:
            raise RuntimeError(
                f"scatter_reduce backward: Expected 'reduce' to be one of 'sum', 'prod', 'mean', "
                f"'amax', 'amin' but got {self.name} (PyTorch 2.13's forward reads "
                f"'{self.name}' as '{self.reduce}', its backward refuses it; pass "
                f"reduce='{self.reduce}')"
            )
        x, src = self.inputs
        out = self.output()
        nx, ns = self.needs_input_grad
        xp = get_array_module(gy._data)
        read = GetItem(self.where)
        r = self.reduce
        if r == "sum":
            gx, gs = gy, read(gy)
        elif r == "mean":
            g = gy / self.count.astype(gy.dtype)
            gx, gs = g, read(g)
        elif r in ("amax", "amin"):
            value = out._data[self.where]
            self_is = (x._data == out._data).astype(gy.dtype)
            src_is = (src._data == value).astype(gy.dtype)
            count = self_is.copy()
            xp.add.at(count, self.where, src_is)
            with np.errstate(divide="ignore", invalid="ignore"):
                g = gy / count
            gx, gs = g * self_is, read(g) * src_is
        else:
            gx, gs = self._prod_grads(gy, x, src, out)
        if not self.include_self:
            gx = masked_fill(gx, self.hit, 0)
        return gx if nx else None, gs if ns else None

    def _prod_grads(self, gy: Tensor, x: Tensor, src: Tensor, out: Tensor) -> tuple:
        """PyTorch's product rule: zeros in x or src are divided around, not through."""
        xp = get_array_module(gy._data)
        read = GetItem(self.where)
        again = ScatterReduce  # its own backward's building block
        masked_x = masked_fill(x, x._data == 0, 1)
        gx = gy * again(self.where, "prod", self.include_self)(masked_x, src) / masked_x
        src_zero = src._data == 0
        zeros = xp.zeros(x.shape, dtype=np.int64)
        xp.add.at(zeros, self.where, src_zero)
        n_zeros = zeros[self.where]
        single = src_zero & (n_zeros == 1)
        masked_src = masked_fill(src, single, 1)
        without = again(self.where, "prod", self.include_self)(x, masked_src)
        gs = where(single, read(gy * without), read(gy * out) / masked_fill(src, src_zero, 1))
        return gx, gs


def _check_reduce(reduce: str, allowed: tuple, what: str) -> None:
    if reduce not in allowed and reduce not in _ALIASES:
        names = ", ".join(allowed[:-1]) + " or " + allowed[-1]
        raise RuntimeError(f"{what}(): reduce argument must be either {names}, got {reduce}")


def check_reduce_args(what: str, reduce: Any, include_self: Any) -> None:
    """PyTorch's argument types for scatter_reduce and index_reduce (and their in-place
    forms, `what`): `reduce` a str, `include_self` a bool (not 0, 1 or a 0-d tensor)."""
    if not isinstance(reduce, str):
        raise TypeError(f"{what}(): argument 'reduce' must be str, not {type(reduce).__name__}")
    if type(include_self) is not bool:
        raise TypeError(
            f"{what}(): argument 'include_self' must be bool, not {type(include_self).__name__}"
        )


def scatter_reduce(
    input: Tensor,  # noqa: A002
    dim: int,
    index: Any,
    src: Tensor,
    reduce: str,
    *,
    include_self: bool = True,
) -> Tensor:
    """input with src[i][j][k] reduced into place index[i][j][k] along `dim` (for dim 0)
    by sum, prod, mean, amax or amin ('max' and 'min' name amax and amin, as PyTorch's
    forward reads them); `include_self=False` leaves input's values at the written places
    out. Gradients as PyTorch's (amax/amin split among ties)."""
    check_reduce_args("scatter_reduce", reduce, include_self)
    _check_reduce(reduce, _REDUCES, "scatter_reduce")
    if reduce == "mean" and input.dtype.kind == "b":
        raise NotImplementedError(
            'scatter_reduce: "scatter_gather_tensor_cpu_reduce_mean" not implemented for '
            "'Bool' (a mean of bool values, as in PyTorch)"
        )
    if input.dtype.kind == "c" and reduce not in ("sum", "prod", "mean"):
        raise NotImplementedError(  # (NumPy would order complex numbers lexicographically)
            f'scatter_reduce: "scatter_gather_tensor_cpu_reduce_{_ALIASES.get(reduce, reduce)}" '
            f"not implemented for '{_type_name(input.dtype)}'"
        )
    if input.ndim == 0:
        from .indexing import _flat

        flat = reshape(input, (1,))
        got = scatter_reduce(
            flat, dim, _flat(index), reshape(src, (-1,)), reduce, include_self=include_self
        )
        return reshape(got, ())
    where_, _ = _along(input, index, dim, "scatter_reduce")
    _same_dtype(input, src, "scatter_reduce")
    part = _src_part(src, _index_shape(where_), "scatter_reduce")
    return ScatterReduce(where_, reduce, include_self, wide=True)(input, part)


def _slices_index(x: Tensor, dim: int, index: Any, what: str) -> tuple[tuple, int, Any]:
    """A fancy index writing source's slices along `dim` to the positions `index` (1-D):
    source's shape is x's with len(index) along dim."""
    idx = _index_array(index, x, what)
    if idx.ndim > 1:
        raise IndexError(f"{what}(): Index is supposed to be a vector, got shape {idx.shape}")
    idx = idx.reshape(-1)
    nd = max(x.ndim, 1)
    d = normalize_dim(dim, x.ndim, what)
    n = (x.shape or (1,))[d]
    if what == "index_fill":  # index_fill wraps a negative index, as PyTorch; others refuse it
        idx = get_array_module(idx).where(idx < 0, idx + n, idx)
    _check_range(idx, n, what, d)
    xp = get_array_module(idx)
    shape = tuple(len(idx) if i == d else k for i, k in enumerate(x.shape or (1,)))
    where_ = [
        xp.arange(k).reshape([-1 if i == j else 1 for j in range(nd)]) for i, k in enumerate(shape)
    ]
    where_[d] = idx.reshape([-1 if j == d else 1 for j in range(nd)])
    return tuple(where_), d, shape


def _check_source(x: Tensor, source: Tensor, shape: tuple, what: str) -> None:
    if tuple(source.shape or (1,)) != shape and not (source.numel() == 1 == int(np.prod(shape))):
        raise RuntimeError(
            f"{what}(): Source/destination tensor must have same slice shapes. Source of shape "
            f"{source.shape} for an index of {shape[0] if shape else 1} entries into {x.shape}"
        )
    if source.dtype != x.dtype:
        raise RuntimeError(
            f"{what}(): self ({x.dtype}) and source ({source.dtype}) must have the same scalar type"
        )


def index_reduce(
    input: Tensor,  # noqa: A002
    dim: int,
    index: Any,
    source: Tensor,
    reduce: str,
    *,
    include_self: bool = True,
) -> Tensor:
    """input with source's slices along `dim` reduced into the slices `index` names, by
    prod, mean, amax or amin (scatter_reduce with the index spread over the slices)."""
    check_reduce_args("index_reduce", reduce, include_self)
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError(
            f"index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got "
            f"{reduce}."
        )
    if input.dtype.kind in "bc":
        raise NotImplementedError(
            f"index_reduce: \"index_func_\" not implemented for '{_type_name(input.dtype)}' "
            f"(reduce={reduce!r} of {input.dtype} values, as in PyTorch)"
        )
    x = reshape(input, (1,)) if input.ndim == 0 else input
    where_, _, shape = _slices_index(x, dim, index, "index_reduce")
    _check_source(x, source, shape, "index_reduce")
    out = ScatterReduce(where_, reduce, include_self)(x, reshape(source, shape))
    return reshape(out, input.shape)


def index_copy(input: Tensor, dim: int, index: Any, source: Tensor) -> Tensor:  # noqa: A002
    """input with its slices along `dim` at `index` replaced by source's."""
    x = reshape(input, (1,)) if input.ndim == 0 else input
    where_, _, shape = _slices_index(x, dim, index, "index_copy")
    _check_source(x, source, shape, "index_copy")
    return reshape(Scatter(where_)(x, reshape(source, shape)), input.shape)


def index_fill(input: Tensor, dim: int, index: Any, value: Any) -> Tensor:  # noqa: A002
    """input with its slices along `dim` at `index` set to value (a number or a 0-d
    tensor, which then gets their gradient)."""
    x = reshape(input, (1,)) if input.ndim == 0 else input
    where_, _, _ = _slices_index(x, dim, index, "index_fill")
    mask = get_array_module(x._data).zeros(x.shape, dtype=bool)
    mask[where_] = True
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(
                "index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                f"{value.ndim} dimension(s)."
            )
        check_fill_scalar("index_fill", value.item(), x.dtype)  # the number must fit
        out = where(mask, cast(value, x.dtype), x)
    else:
        check_fill_scalar("index_fill", value, x.dtype)
        out = masked_fill(x, mask, value)
    return reshape(out, input.shape)


def masked_scatter(input: Tensor, mask: Any, source: Tensor) -> Tensor:  # noqa: A002
    """input with source's first elements (in order) written where mask (broadcast) is
    True. source's gradient is input's read back there, zeros for its unread rest."""
    m = _mask_array(mask, input, "masked_scatter")
    shape = tuple(np.broadcast_shapes(tuple(m.shape), input.shape))
    if shape == ():  # NumPy's nonzero refuses 0-d arrays: the one element as a (1,) tensor
        mask_1 = Tensor._make(m.reshape(1), False)
        return reshape(masked_scatter(reshape(input, (1,)), mask_1, source), ())
    xp = get_array_module(input._data)
    m = xp.broadcast_to(m, shape)
    x = input if input.shape == shape else input.expand(shape)
    if source.dtype != input.dtype:
        raise RuntimeError(
            f"masked_scatter_: expected self and source to have same dtypes but got "
            f"{input.dtype} and {source.dtype}"
        )
    n = int(m.sum())
    if source.numel() < n:
        raise RuntimeError(
            f"masked_scatter: expected source to have at least {n} elements (the mask's "
            f"True count), got {source.numel()}"
        )
    values = getitem(reshape(source, (-1,)), slice(0, n))
    placed = IndexPut(xp.nonzero(m), shape)(values)
    return where(m, placed, x)


def put(input: Tensor, index: Any, source: Tensor, accumulate: bool = False) -> Tensor:  # noqa: A002
    """input read as 1-D with source's elements written (or added) at `index`."""
    idx = _index_array(index, input, "put")
    if idx.size != source.numel():
        raise RuntimeError(
            f"put_(): Expected source and index to have the same number of elements, but got "
            f"source.numel() = {source.numel()}, index.numel() = {idx.size}"
        )
    if source.dtype != input.dtype:
        raise RuntimeError(
            f"put_(): self ({input.dtype}) and source ({source.dtype}) must have the same "
            "scalar type"
        )
    n = input.numel()
    idx = idx.reshape(-1)
    if idx.size and (int(idx.max()) >= n or int(idx.min()) < -n):
        bad = int(idx.max()) if int(idx.max()) >= n else int(idx.min())
        raise IndexOutOfRange(
            f"out of range: tried to access index {bad} on a tensor of {n} elements."
        )
    flat = reshape(input, (-1,))
    got = index_put(flat, (Tensor._make(idx, False),), reshape(source, (-1,)), accumulate)
    return reshape(got, input.shape)


def _embed(x: Tensor, index: Any, src: Tensor, what: str) -> Tensor:
    """x with `x[index]` (a view's elements) replaced by src, which must have its shape."""
    idx = _view_index(normalize_index(index))
    picked = x._data[idx].shape
    if tuple(src.shape) != tuple(picked):
        raise RuntimeError(
            f"{what}: expected src to have a size equal to the slice of self. src size = "
            f"{list(src.shape)}, slice size = {list(picked)}"
        )
    if src.dtype != x.dtype:
        src = cast(src, x.dtype)
    mask = get_array_module(x._data).zeros(x.shape, dtype=bool)
    mask[idx] = True
    return where(mask, IndexPut(idx, x.shape)(src), x)


def diagonal_scatter(
    input: Tensor,  # noqa: A002
    src: Tensor,
    offset: int = 0,
    dim1: int = 0,
    dim2: int = 1,
) -> Tensor:
    """input with its diagonal (as `diagonal(offset, dim1, dim2)` reads it) set to src."""
    d1, d2 = normalize_dims((dim1, dim2), input.ndim, "diagonal_scatter")
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    xm = movedim(input, (d1, d2), (-2, -1))
    n1, n2 = xm.shape[-2:]
    r0, c0 = max(-offset, 0), max(offset, 0)
    length = max(0, min(n1 - r0, n2 - c0))
    xp = get_array_module(input._data)
    idx = (Ellipsis, xp.arange(length) + r0, xp.arange(length) + c0)
    return movedim(_embed(xm, idx, src, "diagonal_scatter"), (-2, -1), (d1, d2))


def select_scatter(input: Tensor, src: Tensor, dim: int, index: int) -> Tensor:  # noqa: A002
    """input with its slice `select(dim, index)` set to src."""
    d = normalize_dim(dim, input.ndim, "select_scatter")
    n = input.shape[d]
    if not -n <= index < n:
        raise IndexError(
            f"select_scatter(): index {index} out of range for tensor of size "
            f"{list(input.shape)} at dimension {dim}"
        )
    return _embed(input, (slice(None),) * d + (index % n,), src, "select_scatter")


def slice_scatter(
    input: Tensor,  # noqa: A002
    src: Tensor,
    dim: int = 0,
    start: int | None = None,
    end: int | None = None,
    step: int = 1,
) -> Tensor:
    """input with its slice start:end:step along `dim` set to src."""
    if step <= 0:
        raise RuntimeError("slice step must be positive")
    d = normalize_dim(dim, input.ndim, "slice_scatter")
    return _embed(input, (slice(None),) * d + (slice(start, end, step),), src, "slice_scatter")


def as_strided_scatter(
    input: Tensor,  # noqa: A002
    src: Tensor,
    size: Any,
    stride: Any,
    storage_offset: int | None = None,
) -> Tensor:
    """input with the elements `input.as_strided(size, stride, storage_offset)` reads set
    to src (of shape `size`): a new tensor. input must be contiguous, as for `as_strided`;
    a `size`/`stride` naming one element twice is refused, as PyTorch refuses it."""
    size, stride = tuple(int(n) for n in size), tuple(int(n) for n in stride)
    idx = strided_index(input, size, stride, storage_offset or 0, "as_strided_scatter")
    if _overlapping(size, stride):
        raise RuntimeError(
            "as_strided_scatter: unsupported operation: more than one element of the "
            f"written-to tensor refers to a single memory location (size {list(size)}, stride "
            f"{list(stride)}). Please clone() the tensor before performing the operation."
        )
    flat = _embed(reshape(input, (-1,)), idx, src, "as_strided_scatter")
    return reshape(flat, input.shape)


def fill_diagonal_mask(x: Tensor, wrap: bool) -> Any:
    """Where fill_diagonal_ writes: the main diagonal of a matrix (restarting below a
    tall one with `wrap`), or the places (i, i, ..., i) of a cube."""
    if x.ndim < 2:
        raise RuntimeError("dimensions must larger than 1")
    if x.ndim > 2 and len(set(x.shape)) > 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    mask = np.zeros(x.shape, dtype=bool)
    np.fill_diagonal(mask, True, wrap=wrap)
    return get_array_module(x._data).asarray(mask)


__all__ = [
    "as_strided_scatter",
    "diagonal_scatter",
    "fill_diagonal_mask",
    "index_copy",
    "index_fill",
    "index_reduce",
    "masked_scatter",
    "put",
    "scatter_reduce",
    "select_scatter",
    "slice_scatter",
]
