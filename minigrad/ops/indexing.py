"""Index-driven and structural ops, as PyTorch names them: gather, scatter, scatter_add,
index_select, masked_fill, masked_select, nonzero, tril / triu, flip, roll, unbind,
narrow, diag, outer, cumsum, prod, argsort, all and any.

The differentiable ones reuse `GetItem` / `GetItemGrad` (a fancy index and its
scatter-add adjoint, each the other's backward), so second derivatives come free.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from ..autograd import Function
from ..backend import get_array_module
from ..errors import IndexOutOfRange, ValueRangeError, warn_user
from ..tensor import Tensor, _int_arg, _int_tuple, _to_array, check_fill_scalar
from .elementwise import Mask, keep_bits, mul, where
from .reduce import differentiable_dtype, normalize_dim, normalize_dims, reduce_dims, reduce_sum
from .shape import (
    GetItem,
    GetItemGrad,
    add_at,
    cast,
    cat,
    clone,
    getitem,
    permute,
    reshape,
    sort,
    split,
)
from .shape import unsqueeze as _unsqueeze


def _dim(dim: Any, x: Tensor, op: str) -> int:
    if isinstance(dim, Tensor):
        dim = int(dim.item())
    if not isinstance(dim, int | np.integer) or isinstance(dim, bool):
        raise TypeError(f"{op}: dim must be an int, got {type(dim).__name__}")
    return normalize_dims(int(dim), x.ndim, op)[0]


def _index_array(index: Any, like: Tensor, op: str) -> Any:
    """`index` as an integer array on `like`'s device (PyTorch asks for int64; any
    integer dtype is accepted here)."""
    arr = index._data if isinstance(index, Tensor) else _to_array(index)
    arr = get_array_module(like._data).asarray(arr)
    if arr.dtype.kind not in "iu":
        raise RuntimeError(f"{op}: expected an integer (int64) index tensor, got {arr.dtype}")
    return arr.astype(np.int64, copy=False)


def _check_range(idx: Any, n: int, op: str, d: int) -> None:
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= n):
        bad = int(idx.min()) if int(idx.min()) < 0 else int(idx.max())
        raise IndexOutOfRange(f"{op}: index {bad} is out of bounds for dimension {d} with size {n}")


def _along(x: Tensor, index: Any, dim: int, op: str) -> tuple[Any, int]:
    """PyTorch's gather/scatter indexing as a NumPy fancy index: `index[i][j][k]` picks
    along `dim` and its own position on every other dim. Checks PyTorch's rules: index has
    x's number of dims and is no larger than x outside `dim`, and values lie in range. An
    empty index selects nothing and, as in PyTorch, is not held to the shape rules."""
    idx = _index_array(index, x, op)
    nd = max(x.ndim, 1)
    if idx.size == 0:
        normalize_dim(dim, x.ndim, op)
        idx = idx.reshape((0,) * nd)
    if idx.ndim != x.ndim and not (idx.ndim <= 1 and x.ndim <= 1):
        raise RuntimeError(
            f"{op}: index of shape {tuple(idx.shape)} must have as many dims as the input "
            f"of shape {x.shape}"
        )
    d = normalize_dim(dim, x.ndim, op)
    xshape = x.shape or (1,)
    idx = idx.reshape(idx.shape or (1,))  # a 0-d index reads as 1-d, as PyTorch's
    for i, (m, n) in enumerate(zip(idx.shape, xshape, strict=True)):
        if i != d and m > n:
            raise RuntimeError(
                f"{op}: index of shape {tuple(idx.shape)} is larger than the input of shape "
                f"{x.shape} at dim {i}"
            )
    _check_range(idx, xshape[d], op, d)
    xp = get_array_module(idx)
    where_ = [
        xp.arange(n).reshape([-1 if i == j else 1 for j in range(nd)])
        for i, n in enumerate(idx.shape)
    ]
    where_[d] = idx
    return tuple(where_), d


def gather(x: Tensor, dim: int, index: Any, *, sparse_grad: bool = False) -> Tensor:
    """out[i][j][k] = x[index[i][j][k]][j][k] (for dim 0); shaped like index. The gradient
    adds back into x's shape, repeated indices accumulating. `sparse_grad=True` raises
    NotImplementedError, as Embedding(sparse=True): minigrad has no sparse tensors."""
    if sparse_grad:
        raise NotImplementedError("gather: sparse_grad=True: minigrad has no sparse gradients")
    where_, _ = _along(x, index, dim, "gather")
    src = reshape(x, (1,)) if x.ndim == 0 else x
    out = GetItem(where_, wide=True)(src)  # the backward is PyTorch's scatter_add
    return reshape(out, np.shape(index._data if isinstance(index, Tensor) else index))


def _src_part(src: Tensor, shape: tuple[int, ...], op: str) -> Tensor:
    """src's leading block shaped like the index (PyTorch reads only that much); a 0-d
    src reads as 1-d, as PyTorch's. For an empty index none of src (any shape) is read."""
    given = src.shape
    if 0 in shape:  # src gets a zero gradient, of its own shape
        return reshape(getitem(reshape(src, (-1,)), slice(0, 0)), shape)
    if src.ndim == 0 and len(shape) == 1:
        src = reshape(src, (1,))
    if src.ndim != len(shape) or builtins.any(s < n for s, n in zip(src.shape, shape, strict=True)):
        raise RuntimeError(f"{op}: src of shape {given} is smaller than the index {shape}")
    if src.shape == shape:
        return src
    return getitem(src, tuple(slice(0, n) for n in shape))


def _same_dtype(x: Tensor, src: Tensor, op: str) -> None:
    if src.dtype != x.dtype:
        raise RuntimeError(f"{op}: expected src of the input's dtype {x.dtype}, got {src.dtype}")


class ScatterAdd(Function):
    """x with src's elements added at a fixed fancy index, one by one in index order into
    x's values, as PyTorch's CPU kernel (so float32 sums round as its do: 1 + 3000 * 1e-8
    is 1); float16 accumulates in float32 and rounds once, as there. Gradients: gy for x,
    gy read at the index for src."""

    uses_inputs = False
    op_name = "scatter_add"

    def __init__(self, where_: tuple) -> None:
        self.where = where_

    def forward(self, x, src):
        return add_at(get_array_module(x), x.copy(), self.where, src, wide=True)

    def backward(self, gy):
        nx, ns = self.needs_input_grad
        return gy if nx else None, GetItem(self.where, wide=True)(gy) if ns else None


def scatter_add(x: Tensor, dim: int, index: Any, src: Tensor) -> Tensor:
    """x plus src's elements added at `index` along `dim` (repeats accumulate)."""
    if x.ndim == 0:
        flat = reshape(x, (1,))
        return reshape(scatter_add(flat, dim, _flat(index), reshape(src, (-1,))), ())
    where_, _ = _along(x, index, dim, "scatter_add")
    _same_dtype(x, src, "scatter_add")
    part = _src_part(src, _index_shape(where_), "scatter_add")
    return ScatterAdd(where_)(x, part)


def _flat(index: Any) -> Any:
    """A 0-d index as 1-d, for a 0-d input handled as one of shape (1,)."""
    if isinstance(index, Tensor):
        return reshape(index, (-1,)) if index.ndim == 0 else index
    arr = _to_array(index)
    return arr.reshape(-1) if arr.ndim == 0 else index


def _index_shape(where_: tuple) -> tuple[int, ...]:
    return tuple(np.broadcast_shapes(*[w.shape for w in where_]))


class Scatter(Function):
    """x with src's elements written at a fancy index (PyTorch's scatter with src). The
    gradient of x is gy with the written places zeroed; src's is gy read back there.
    Where an index repeats, the element written last is kept (as PyTorch's CPU kernel),
    and src's gradient still goes to every src element that was read."""

    uses_inputs = False
    op_name = "scatter"

    def __init__(self, where_: tuple) -> None:
        self.where = where_

    def forward(self, x, src):
        xp = get_array_module(x)
        out = x.copy()
        out[self.where] = src
        self.keep = xp.ones(x.shape, dtype=bool)
        self.keep[self.where] = False
        return out

    def backward(self, gy):
        nx, ns = self.needs_input_grad
        gx = Mask(keep_bits(self.keep, gy.dtype))(gy) if nx else None
        return gx, GetItem(self.where)(gy) if ns else None


def scatter(
    x: Tensor, dim: int, index: Any, src: Any = None, value: Any = None, reduce: Any = None
) -> Tensor:
    """PyTorch's out-of-place scatter: a copy of x with `src[i][j][k]` (or `value`)
    written at `index[i][j][k]` along `dim`."""
    if (src is None) == (value is None):
        raise TypeError("scatter: pass exactly one of src and value")
    if src is not None and not isinstance(src, Tensor):  # scatter(dim, index, 1.5)
        src, value = None, src
    if reduce is not None:
        return _scatter_with_reduce(x, dim, index, src, value, reduce)
    if x.ndim == 0:
        flat = reshape(x, (1,))
        s = None if src is None else reshape(src, (-1,))
        return reshape(scatter(flat, dim, _flat(index), s, value), ())
    where_, _ = _along(x, index, dim, "scatter")
    if src is None:
        check_fill_scalar("scatter", value, x.dtype)  # named scatter, not masked_fill
        mask = get_array_module(x._data).zeros(x.shape, dtype=bool)
        mask[where_] = True
        return masked_fill(x, mask, value)
    _same_dtype(x, src, "scatter")
    return Scatter(where_)(x, _src_part(src, _index_shape(where_), "scatter"))


def _scatter_with_reduce(x: Tensor, dim: int, index: Any, src: Any, value: Any, reduce: Any):
    """PyTorch's older `scatter(..., reduce='add'|'multiply')`: scatter_reduce's sum or
    prod with x's own values included (a `value` is scattered as a tensor of it)."""
    from .scatter_ops import scatter_reduce

    modes = {"add": "sum", "multiply": "prod"}
    if reduce not in modes:
        raise ValueRangeError(f"scatter: reduce must be 'add' or 'multiply', got {reduce!r}")
    idx = index if isinstance(index, Tensor) else Tensor._make(_to_array(index), False)
    if src is not None:
        warn_user(
            "scatter's reduce argument with a tensor src is deprecated, as in PyTorch: use "
            "scatter_reduce (reduce='sum' or 'prod') for this and more reductions"
        )
    if src is None:
        fill = check_fill_scalar("scatter", value, x.dtype)
        src = Tensor._make(get_array_module(x._data).full(idx.shape, fill, dtype=x.dtype), False)
    return scatter_reduce(x, dim, idx, src, modes[reduce], include_self=True)


def adds_slices_wide(ndim: int, dim: int, index_dtype: Any, alpha: Any = 1) -> bool:
    """Whether PyTorch's CPU index_add (and so index_select's backward, which is one) adds
    float16 in float32: for a tensor of 2+ dims along its first or last dim, with an int64
    index and alpha 1, where it calls scatter_add; otherwise it adds slice by slice in
    float16 (1-d tensors, middle dims, int32 indices)."""
    return ndim > 1 and dim in (0, ndim - 1) and index_dtype == np.int64 and alpha == 1


def index_select(x: Tensor, dim: int, index: Any) -> Tensor:
    """The entries of x at the 1-D `index` along `dim` (a copy; repeats allowed)."""
    given = index.dtype if isinstance(index, Tensor) else None
    idx = _index_array(index, x, "index_select")
    if idx.ndim > 1:
        raise IndexError(f"index_select: index must be 0-d or 1-d, got shape {tuple(idx.shape)}")
    idx = idx.reshape(-1)
    if x.ndim == 0:
        normalize_dim(dim, 0, "index_select")
        if idx.size != 1:
            raise RuntimeError(
                f"index_select(): Index to scalar can have only 1 value, got {idx.size} value(s)"
            )
        _check_range(idx, 1, "index_select", 0)
        return reshape(GetItem(idx)(reshape(x, (1,))), ())
    d = _dim(dim, x, "index_select")
    _check_range(idx, x.shape[d], "index_select", d)
    wide = x.dtype == np.float16 and adds_slices_wide(x.ndim, d, given or idx.dtype)
    return GetItem((slice(None),) * d + (idx,), wide)(x)


def _mask_array(mask: Any, like: Tensor, op: str) -> Any:
    arr = mask._data if isinstance(mask, Tensor) else _to_array(mask)
    arr = get_array_module(like._data).asarray(arr)
    if arr.dtype.kind != "b":
        raise RuntimeError(f"{op}: expected a bool mask, got dtype {arr.dtype}")
    return arr


def fill_value(value: Any, like: Tensor, op: str) -> Any:
    """A fill value as a 0-d array of like's dtype (int tensors truncate a float, as
    PyTorch); a Tensor value must be 0-d, and is checked as the number it holds (uint8
    filled with tensor(300) is refused, as PyTorch refuses it, where it wrapped to 44)."""
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(
                f"{op}: only a 0-d tensor value is supported, got shape {value.shape}"
            )
        value = value.item()
    value = check_fill_scalar(op, value, like.dtype)
    xp = get_array_module(like._data)
    return xp.asarray(xp.asarray(value).astype(like.dtype))


def masked_fill(x: Tensor, mask: Any, value: Any) -> Tensor:
    """x with `value` where the bool mask (broadcast) is True. A 0-d tensor value that
    requires grad gets the sum of the gradient at the filled places, as in PyTorch."""
    m = _mask_array(mask, x, "masked_fill")
    try:
        np.broadcast_shapes(tuple(m.shape), x.shape)
    except ValueError:
        raise RuntimeError(
            f"masked_fill: mask of shape {tuple(m.shape)} does not broadcast with the "
            f"input of shape {x.shape}"
        ) from None
    if isinstance(value, Tensor) and value.requires_grad:
        if value.ndim != 0:
            raise RuntimeError(f"masked_fill: value must be 0-d, got shape {value.shape}")
        return where(m, cast(value, x.dtype), x)
    fill = Tensor._make(fill_value(value, x, "masked_fill"), False)
    return where(m, fill, x)


def masked_select(x: Tensor, mask: Any) -> Tensor:
    """The elements of x where the mask is True (both broadcast), as a 1-D tensor."""
    m = _mask_array(mask, x, "masked_select")
    try:
        shape = tuple(np.broadcast_shapes(tuple(m.shape), x.shape))
    except ValueError:
        raise RuntimeError(
            f"masked_select: mask of shape {tuple(m.shape)} does not broadcast with the "
            f"input of shape {x.shape}"
        ) from None
    xp = get_array_module(m)
    m = xp.broadcast_to(m, shape).copy()
    if x.shape != shape:
        x = x.expand(*shape)
    if x.ndim == 0:
        return GetItem(m.reshape(1))(reshape(x, (1,)))
    return GetItem(m)(x)


def nonzero(x: Tensor, as_tuple: bool = False) -> Any:
    """Indices of the nonzero elements: an int64 (N, ndim) tensor, or with `as_tuple` one
    1-D int64 tensor per dim (a 0-d input counts as 1-d there, as in PyTorch)."""
    a = x._data if isinstance(x, Tensor) else _to_array(x)
    xp = get_array_module(a)
    if as_tuple:
        found = xp.nonzero(a.reshape(a.shape or (1,)))
        return tuple(Tensor._make(i.astype(np.int64), False) for i in found)
    if a.ndim == 0:
        return Tensor._make(xp.zeros((int(a != 0), 0), dtype=np.int64), False)
    found = xp.nonzero(a)
    return Tensor._make(xp.stack(found, axis=1).astype(np.int64), False)


def argwhere(x: Tensor) -> Tensor:
    return nonzero(x)


class Select(Function):
    """x where a fixed bool mask holds, 0 elsewhere (tril, triu); its own adjoint."""

    uses_inputs = False

    def __init__(self, keep: Any) -> None:
        self.keep = keep

    def forward(self, x):
        return get_array_module(x).where(self.keep, x, x.dtype.type(0))

    def backward(self, gy):
        return Select(self.keep)(gy)


def _triangle(x: Tensor, diagonal: int, lower: bool) -> Tensor:
    op = "tril" if lower else "triu"
    if x.ndim < 2:
        raise RuntimeError(f"{op}: input must have at least 2 dims, got shape {x.shape}")
    diagonal = _int_arg(op, "diagonal", diagonal)
    xp = get_array_module(x._data)
    r, c = x.shape[-2:]
    keep = xp.tri(r, c, diagonal, dtype=bool)
    if not lower:
        keep = ~xp.tri(r, c, diagonal - 1, dtype=bool)
    return Select(keep)(x)


def tril(x: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle of the last two dims (on and below `diagonal`), 0 above."""
    return _triangle(x, diagonal, True)


def triu(x: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle of the last two dims (on and above `diagonal`), 0 below."""
    return _triangle(x, diagonal, False)


class Flip(Function):
    uses_inputs = False

    def __init__(self, dims: tuple[int, ...]) -> None:
        self.dims = dims

    def forward(self, x):
        return get_array_module(x).flip(x, axis=self.dims).copy()  # a copy, as PyTorch's

    def backward(self, gy):
        return Flip(self.dims)(gy)


def flip(x: Tensor, dims: Any) -> Tensor:
    """x reversed along each of `dims` (a copy)."""
    ds = normalize_dims(_int_tuple(dims, "flip", "dims"), x.ndim, "flip") or ()
    if len(set(ds)) != len(ds):
        raise RuntimeError(f"flip: dims {dims} name a dim twice")
    if x.ndim == 0:
        return clone(x)
    return Flip(ds)(x)


class Roll(Function):
    uses_inputs = False

    def __init__(self, shifts: tuple[int, ...], dims: tuple[int, ...]) -> None:
        self.shifts, self.dims = shifts, dims

    def forward(self, x):
        return get_array_module(x).roll(x, self.shifts, axis=self.dims)

    def backward(self, gy):
        return Roll(tuple(-s for s in self.shifts), self.dims)(gy)


def roll(x: Tensor, shifts: Any, dims: Any = None) -> Tensor:
    """x shifted circularly by `shifts` along `dims` (the flattened tensor when None)."""
    sh = _int_tuple(shifts, "roll", "shifts")
    if dims is None or (isinstance(dims, list | tuple) and not dims):  # [] as None, as PyTorch
        if len(sh) != 1:
            raise RuntimeError(f"roll: without dims, shifts must be one int, got {shifts}")
        return reshape(Roll(sh, (0,))(reshape(x, (-1,))), x.shape)
    if x.ndim == 0:
        raise IndexError("roll: dimension specified but the tensor has no dimensions")
    ds = normalize_dims(_int_tuple(dims, "roll", "dims"), x.ndim, "roll") or ()
    if len(ds) != len(sh):
        raise RuntimeError(f"roll: shifts {shifts} and dims {dims} must have one length")
    return Roll(sh, ds)(x)


def unbind(x: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    """The slices of x along `dim`, each without that dim (views, as in PyTorch)."""
    if x.ndim == 0:
        raise IndexError("unbind: dimension specified as 0 but tensor has no dimensions")
    d = _dim(dim, x, "unbind")
    n = x.shape[d]
    if n == 0:
        return ()
    rest = x.shape[:d] + x.shape[d + 1 :]
    return tuple(reshape(p, rest) for p in split(x, 1, d))


def narrow(x: Tensor, dim: int, start: Any, length: int) -> Tensor:
    """x[..., start:start + length, ...] along `dim`, a view; start may be negative."""
    if x.ndim == 0:
        raise RuntimeError("narrow: cannot be applied to a 0-d tensor")
    d = _dim(dim, x, "narrow")
    start = _int_arg("narrow", "start", start)
    length = _int_arg("narrow", "length", length)
    n = x.shape[d]
    if not -n <= start <= n:
        raise IndexError(f"narrow: start {start} out of range for dim {d} of size {n}")
    if start < 0:
        start += n
    if length < 0 or start + length > n:
        raise RuntimeError(
            f"narrow: start ({start}) + length ({length}) exceeds dimension size ({n})"
        )
    return getitem(x, (slice(None),) * d + (slice(start, start + length),))


def diag(x: Tensor, diagonal: int = 0) -> Tensor:
    """1-D x: a square matrix with x on the `diagonal`-th diagonal; 2-D x: that diagonal."""
    k = _int_arg("diag", "diagonal", diagonal)
    xp = get_array_module(x._data)
    if x.ndim == 1:
        n = x.shape[0]
        m = n + abs(k)
        ar = xp.arange(n)
        rows, cols = ar + max(-k, 0), ar + max(k, 0)
        return GetItemGrad((rows, cols), (m, m))(x)
    if x.ndim == 2:
        r, c = x.shape
        size = max(min(r, c - k) if k >= 0 else min(r + k, c), 0)
        ar = xp.arange(size)
        rows, cols = (ar, ar + k) if k >= 0 else (ar - k, ar)
        return GetItem((rows, cols))(x)
    raise RuntimeError(f"diag: expects a 1-D or 2-D tensor, got shape {x.shape}")


def outer(a: Tensor, b: Tensor) -> Tensor:
    """The outer product of two 1-D tensors, (n,) x (m,) -> (n, m)."""
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"outer: expects two 1-D tensors, got shapes {a.shape} and {b.shape}")
    return mul(reshape(a, (-1, 1)), reshape(b, (1, -1)))


class CumSum(Function):
    """Running sum along a dim; the gradient is the reversed running sum of gy."""

    uses_inputs = False
    op_name = "cumsum"

    def __init__(self, dim: int) -> None:
        self.dim = dim

    def forward(self, x):
        xp = get_array_module(x)
        if x.dtype in (np.float32, np.float16):  # PyTorch's CPU kernel accumulates wider
            wide = np.float64 if x.dtype == np.float32 else np.float32
            return xp.cumsum(x, axis=self.dim, dtype=wide).astype(x.dtype)
        # in x's own dtype: NumPy widens int32/int16/uint8 sums, PyTorch keeps (and wraps)
        return xp.cumsum(x, axis=self.dim, dtype=x.dtype if x.dtype.kind in "iuf" else None)

    def backward(self, gy):
        f = Flip((self.dim,))
        return Flip((self.dim,))(CumSum(self.dim)(f(gy)))


def scan(fn: Any, x: Tensor, dim: int, dtype: Any, op: str) -> Tensor:
    """A running op (cumsum, cumprod) along `dim`, as PyTorch's: bool and integer input
    in int64 unless `dtype` (bool is refused there, as PyTorch's kernels have none, and an
    integer one for an input that records a gradient); a 0-d tensor is its own scan.
    `fn(d)` is the Function."""
    if dtype is not None:
        if np.dtype(dtype) == np.bool_:
            raise NotImplementedError(
                f"{op}: \"{op}_out_cpu\" not implemented for 'Bool' (dtype=bool asked of a "
                f"{x.dtype} tensor)"
            )
        differentiable_dtype(x, dtype, op)  # an integer cast would cut x off the graph
        x = cast(x, dtype)
    elif x.dtype.kind in "biu":
        x = cast(x, np.int64)
    if x.ndim == 0:
        normalize_dim(dim, 0, op)  # one int: a tuple is a TypeError, as in PyTorch
        return clone(x)
    return fn(_dim(dim, x, op))(x)


def cumsum(x: Tensor, dim: int, dtype: Any = None) -> Tensor:
    """Running sum along `dim`; bool and integer input sums in int64 unless `dtype`."""
    return scan(CumSum, x, dim, dtype, "cumsum")


def _prod_last(x: Tensor) -> Tensor:
    """The product over the last dim, as a tree of pairwise products (log2 n element-wise
    multiplies): differentiable to every order, zeros included, with no division.

    float32 multiplies in float64 and rounds once (its gradient too): in float32 each
    first-level product of factors near 1, (1 + a)(1 + b), rounds away the always-positive
    a*b, a bias in one direction (a thousand ulps over 10^4 factors; PyTorch's running
    products, rounded both ways, were off by fifty). Now the result is the exact product
    rounded once, but for float64's tiny error; PyTorch's differs by its own roundings."""
    n = x.shape[-1]
    if n == 0:  # the empty product, 1, in x's dtype (the sum would widen an int32 x)
        return cast(reduce_sum(x, -1) * 0 + 1, x.dtype)
    if n == 1:  # a new tensor, as PyTorch's, not a view of x
        return clone(reshape(x, x.shape[:-1]))
    if n > 2 and x.dtype == np.float32:  # (two factors: float32's one rounding already)
        return cast(_prod_tree(cast(x, np.float64)), np.float32)
    return _prod_tree(x)


def _prod_tree(x: Tensor) -> Tensor:
    """`_prod_last` of at least two factors: the pairwise tree in x's dtype."""
    n = x.shape[-1]
    xp = get_array_module(x._data)
    while n > 1:
        if n % 2:
            one = Tensor._make(xp.ones(x.shape[:-1] + (1,), dtype=x.dtype), False)
            x = cat([x, one], -1)
        x = mul(
            getitem(x, (Ellipsis, slice(0, None, 2))), getitem(x, (Ellipsis, slice(1, None, 2)))
        )
        n = x.shape[-1]
    return reshape(x, x.shape[:-1])


def prod(x: Tensor, dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Tensor:
    """The product of all elements, or along one `dim`; bool and integer input multiply in
    int64 unless `dtype`, as in PyTorch. Gradients are exact at zeros."""
    if dtype is not None:
        differentiable_dtype(x, dtype, "prod")
        x = cast(x, dtype)
    elif x.dtype.kind in "biu":
        x = cast(x, np.int64)
    if dim is None:
        return _prod_last(reshape(x, (-1,)))
    if x.ndim == 0:
        normalize_dim(dim, 0, "prod")
        return clone(x)
    d = _dim(dim, x, "prod")
    order = tuple(i for i in range(x.ndim) if i != d) + (d,)
    y = _prod_last(permute(x, order))
    return _unsqueeze(y, d) if keepdim else y


def argsort(x: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    """The int64 indices that sort x along `dim` (always stable: ties keep their order)."""
    return sort(x, dim, descending, stable)[1]


def _logical_reduce(x: Tensor, dim: Any, keepdim: bool, name: str) -> Tensor:
    a = x._data if isinstance(x, Tensor) else _to_array(x)
    xp = get_array_module(a)
    if isinstance(dim, tuple | list) and not dim:  # over no dim: each element's truth,
        dt = np.uint8 if a.dtype == np.uint8 else np.bool_  # as PyTorch (sum(dim=()) is all)
        return Tensor._make(xp.asarray(a != 0, dtype=dt), False)
    dims = reduce_dims(dim, a.ndim, name) if dim is not None else None
    if a.ndim == 0:
        out = xp.asarray(getattr(xp, name)(a))
    else:
        out = getattr(xp, name)(a, axis=dims, keepdims=bool(keepdim))
    # PyTorch gives uint8 for uint8 input, bool for everything else
    dt = np.uint8 if a.dtype == np.uint8 else np.bool_
    return Tensor._make(xp.asarray(out, dtype=dt), False)


def all(x: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A001
    """Whether every element (along `dim`) is nonzero; True for no elements."""
    return _logical_reduce(x, dim, keepdim, "all")


def any(x: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A001
    """Whether some element (along `dim`) is nonzero; False for no elements."""
    return _logical_reduce(x, dim, keepdim, "any")


__all__ = [
    "all",
    "any",
    "argsort",
    "argwhere",
    "cumsum",
    "diag",
    "flip",
    "gather",
    "index_select",
    "masked_fill",
    "masked_select",
    "narrow",
    "nonzero",
    "outer",
    "prod",
    "roll",
    "scatter",
    "scatter_add",
    "tril",
    "triu",
    "unbind",
]
