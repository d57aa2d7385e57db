"""Structural and statistical ops, as PyTorch names them: dot, mv, diagonal, trace,
cumprod, movedim, count_nonzero, median, unique, meshgrid, tile, repeat_interleave,
hstack / vstack / column_stack / dstack, atleast_1d/2d/3d, tensor_split, diff and
var_mean / std_mean.

The differentiable ones are compositions of existing ops (index, slice, permute, cat,
mul), or Functions whose backward is written with ops, so higher derivatives come free.
"""

from __future__ import annotations

import builtins
import warnings
from typing import Any

import numpy as np

from .. import return_types
from ..autograd import Function, no_derivative
from ..backend import get_array_module
from ..errors import Unsupported
from ..tensor import (
    _UNBIASED,
    Tensor,
    _correction,
    _float_statistic,
    _int_arg,
    _int_tuple,
    _to_array,
    _type_name,
)
from .elementwise import scale, where
from .indexing import Flip, _dim, index_select, narrow, scan
from .indexing import cumsum as _cumsum
from .linalg import matmul
from .pointwise import logical_xor
from .reduce import (
    _wide,
    broadcast_to,
    mean,
    normalize_dim,
    normalize_dims,
    ordered,
    reduce_dims,
    reduce_sum,
    std,
    var,
)
from .shape import (
    TakeAlong,
    ViewStep,
    _empty_view,
    _note_view,
    cast,
    cat,
    clone,
    getitem,
    permute,
    repeat,
    reshape,
)


def _tensor(x: Any, op: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(x).__name__}")
    return x


# ---------------------------------------------------------------------- products
def dot(a: Tensor, b: Tensor) -> Tensor:
    """The inner product of two 1-D tensors of one size and dtype, a 0-d tensor."""
    if _tensor(a, "dot").ndim != 1 or _tensor(b, "dot").ndim != 1:
        raise RuntimeError(f"dot: expects two 1-D tensors, got shapes {a.shape} and {b.shape}")
    if a.shape != b.shape:
        raise RuntimeError(
            f"dot: inconsistent tensor size, expected tensors of one size, got {a.shape[0]} "
            f"and {b.shape[0]} elements"
        )
    if a.dtype != b.dtype:
        raise RuntimeError(
            f"dot: expected both vectors to have one dtype, got {a.dtype} and {b.dtype}"
        )
    return matmul(a, b)


def mv(a: Tensor, v: Tensor) -> Tensor:
    """The product of a 2-D matrix (n, m) and a 1-D vector (m,), a vector (n,)."""
    if _tensor(a, "mv").ndim != 2 or _tensor(v, "mv").ndim != 1:
        raise RuntimeError(
            f"mv: expects a 2-D matrix and a 1-D vector, got shapes {a.shape} and {v.shape}"
        )
    if a.shape[1] != v.shape[0]:
        raise RuntimeError(
            f"mv: size mismatch, matrix of shape {a.shape} and vector of shape {v.shape}"
        )
    if a.dtype != v.dtype:
        raise RuntimeError(
            f"mv: expected matrix and vector of one dtype, got {a.dtype} and {v.dtype}"
        )
    return matmul(a, v)


# ---------------------------------------------------------------------- diagonal, trace
def _diagonal_view(a: Any, offset: int, d1: int, d2: int) -> Any:
    """The diagonal of array `a` as a view that writes reach `a` through (NumPy's own is
    read-only; an expanded `a` keeps it so)."""
    v = get_array_module(a).diagonal(a, offset, d1, d2)
    flags = getattr(v, "flags", None)
    if any(st == 0 and n > 1 for st, n in zip(v.strides, v.shape, strict=True)):
        return v  # elements sharing memory (an expanded `a`): read-only, as PyTorch refuses
    if flags is not None and hasattr(flags, "writeable") and not flags.writeable:
        try:
            flags.writeable = True
        except ValueError:  # `a` itself is read-only
            pass
    return v


class Diagonal(Function):
    """The `offset`-th diagonal of the (d1, d2) planes, as a last dim: a view of x, as
    PyTorch's. Backward puts the gradient on the diagonal of zeros (DiagonalEmbed)."""

    uses_inputs = False

    def __init__(self, offset: int, d1: int, d2: int) -> None:
        self.offset, self.d1, self.d2 = offset, d1, d2

    def forward(self, x):
        self.x_shape = x.shape
        return _diagonal_view(x, self.offset, self.d1, self.d2)

    def backward(self, gy):
        return DiagonalEmbed(self.x_shape, self.offset, self.d1, self.d2)(gy)


class DiagonalEmbed(Function):
    """g placed on the diagonal Diagonal reads, in zeros of `shape`."""

    uses_inputs = False

    def __init__(self, shape: tuple[int, ...], offset: int, d1: int, d2: int) -> None:
        self.shape, self.offset, self.d1, self.d2 = shape, offset, d1, d2

    def forward(self, g):
        out = get_array_module(g).zeros(self.shape, dtype=g.dtype)
        _diagonal_view(out, self.offset, self.d1, self.d2)[...] = g
        return out

    def backward(self, gg):
        return Diagonal(self.offset, self.d1, self.d2)(gg)


class DiagStep(ViewStep):
    """How `diagonal(offset, d1, d2)` made a view: a change through it is written into the
    base as `diagonal_scatter`."""

    __slots__ = ("offset", "d1", "d2")

    def __init__(self, arg: tuple[int, int, int]) -> None:
        self.offset, self.d1, self.d2 = arg

    def array(self, a: Any) -> Any:
        return _diagonal_view(a, self.offset, self.d1, self.d2)

    def apply(self, base: Tensor) -> Tensor:
        return Diagonal(self.offset, self.d1, self.d2)(base)

    def write(self, base: Tensor, value: Tensor) -> None:
        from .scatter_ops import diagonal_scatter

        o, d1, d2 = self.offset, self.d1, self.d2
        base._record_change(
            lambda before: diagonal_scatter(before, value, o, d1, d2), base._view_base()
        )


def diagonal(x: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The `offset`-th diagonal of the (dim1, dim2) planes, as a last dim: a view, as in
    PyTorch (`A.diagonal().add_(eps)` changes A)."""
    x = _tensor(x, "diagonal")
    if x.ndim < 2:
        raise RuntimeError(f"diagonal: expects a tensor with at least 2 dims, got shape {x.shape}")
    d1, d2 = normalize_dims((dim1, dim2), x.ndim, "diagonal")
    if d1 == d2:
        raise RuntimeError(f"diagonal: dim1 and dim2 can't be the same dim ({dim1}, {dim2})")
    offset = _int_arg("diagonal", "offset", offset)
    out = Diagonal(offset, d1, d2)(x)
    if out._vc is x._vc or _empty_view(x, out):
        _note_view(x, out, DiagStep, (offset, d1, d2))
    return out


def trace(x: Tensor) -> Tensor:
    """The sum of a matrix's main diagonal; integer matrices sum in int64."""
    if _tensor(x, "trace").ndim != 2:
        raise RuntimeError(f"trace: expected a matrix (2-D tensor), got shape {x.shape}")
    if x.dtype.kind == "b":
        raise RuntimeError("trace: not implemented for bool tensors (as in PyTorch)")
    d = diagonal(x)
    return reduce_sum(cast(d, np.int64) if d.dtype.kind in "iu" else d)


# ---------------------------------------------------------------------- cumprod
def _shift(t: Tensor, s: int, d: int, fill: float) -> Tensor:
    """t moved `s` places up along dim d, the first s places filled with `fill`."""
    n = t.shape[d]
    xp = get_array_module(t._data)
    pad_shape = list(t.shape)
    pad_shape[d] = builtins.min(s, n)
    pad = Tensor._make(xp.full(tuple(pad_shape), fill, dtype=t.dtype), False)
    if s >= n:
        return pad
    return cat([pad, narrow(t, d, 0, n - s)], d)


def _scan_prod(x: Tensor, d: int) -> Tensor:
    """Inclusive running product by doubling (log2 n products), no division."""
    n, s = x.shape[d], 1
    while s < n:
        x = x * _shift(x, s, d, 1)
        s *= 2
    return x


class CumProd(Function):
    """Running product along a dim (PyTorch's order and accumulation type). The gradient,
    exact where x has zeros: gx_i = E_i R_i with E the exclusive running product and
    R_i = gy_i + x_(i+1) R_(i+1) a linear recurrence, both computed as log-depth scans of
    products and sums, so the backward is differentiable to every order."""

    op_name = "cumprod"

    def __init__(self, dim: int) -> None:
        self.dim = dim

    def forward(self, x):
        # PyTorch's CPU accumulation types: float32 multiplies in float64, float16 in float32
        acc = {np.dtype(np.float32): np.float64, np.dtype(np.float16): np.float32}.get(x.dtype)
        if acc is not None:
            return get_array_module(x).cumprod(x.astype(acc), axis=self.dim).astype(x.dtype)
        # in x's own dtype: NumPy widens int32/int16/uint8 products, PyTorch keeps (and wraps)
        own = x.dtype if x.dtype.kind in "iuf" else None
        return get_array_module(x).cumprod(x, axis=self.dim, dtype=own)

    def backward(self, gy):
        (x,) = self.inputs
        d = self.dim
        if x.shape[d] == 1:  # y = x: the gradient as it came, inf or NaN in x or not
            return gy
        excl = _shift(_scan_prod(x, d), 1, d, 1)
        xp = get_array_module(x._data)
        zero = x._data == 0
        finite = bool(xp.isfinite(x._data).all())
        if not bool(zero.any()) and not finite:
            # no zero, and an inf or NaN: PyTorch's division, sum_(j>=i) gy_j y_j / x_i (at
            # an inf x_i that is inf / inf, NaN, as PyTorch's)
            flip = Flip((d,))
            return flip(_cumsum(flip(gy * _scan_prod(x, d)), d)) / x
        if finite:
            return excl * _suffix_recurrence(gy, x, d)
        # A zero and a NaN or inf: PyTorch's rule, 0 after the first zero z1 whatever
        # follows; before it only the outputs before z1 count, at it only those before the
        # second zero, so a NaN or inf beyond reaches neither. Two recurrences, each cut at
        # its segment (first order as PyTorch; the constant 0s drop some second-order terms).
        count = xp.cumsum(zero, axis=d)
        before, segment = count == 0, count == 1
        r_before = _suffix_recurrence(where(before, gy, 0.0), where(before, x, 0.0), d)
        r_first = _suffix_recurrence(where(segment, gy, 0.0), where(segment, x, 0.0), d)
        first = segment & zero
        gx = where(before, excl * r_before, where(first, excl * r_first, 0.0))
        odd = before & ~xp.isfinite(x._data)  # PyTorch divides there: inf / inf, NaN / NaN
        return where(odd, np.nan, gx) if bool(odd.any()) else gx


def _suffix_recurrence(gy: Tensor, x: Tensor, d: int) -> Tensor:
    """R_i = gy_i + x_(i+1) R_(i+1) along dim d, as a log-depth scan (no division). Each
    step adds a * (b moved s places) only where something moved in: an inf in `a` times
    the zeros moved in would be NaN (the gradient beside an inf after a zero)."""
    n = x.shape[d]
    b = Flip((d,))(gy)
    a = _shift(Flip((d,))(x), 1, d, 0)
    xp = get_array_module(x._data)
    place = xp.arange(n).reshape((n,) + (1,) * (x.ndim - 1 - d))
    s = 1
    while s < n:
        b = b + where(place >= s, a * _shift(b, s, d, 0), 0.0)
        if 2 * s < n:
            a = a * _shift(a, s, d, 0)
        s *= 2
    return Flip((d,))(b)


def cumprod(x: Tensor, dim: int, dtype: Any = None) -> Tensor:
    """Running product along `dim`; bool and integer input multiply in int64 unless
    `dtype`. Gradients are exact at zeros, at every order."""
    return scan(CumProd, _tensor(x, "cumprod"), dim, dtype, "cumprod")


# ---------------------------------------------------------------------- layout
def movedim(x: Tensor, source: Any, destination: Any) -> Tensor:
    """x with the dims at `source` moved to `destination` (ints or sequences of one
    length), the other dims keeping their order."""
    x = _tensor(x, "movedim")
    src = _int_tuple(source, "movedim", "source")
    dst = _int_tuple(destination, "movedim", "destination")
    if len(src) != len(dst):
        raise RuntimeError(
            f"movedim: invalid source or destination dims: source ({list(src)} dims) should "
            f"contain the same number of dims as destination ({list(dst)} dims)"
        )
    if x.ndim == 0:
        normalize_dims(src, 0, "movedim")
        normalize_dims(dst, 0, "movedim")
        return x
    s = normalize_dims(src, x.ndim, "movedim") or ()
    t = normalize_dims(dst, x.ndim, "movedim") or ()
    if len(set(s)) != len(s) or len(set(t)) != len(t):
        raise RuntimeError(
            f"movedim: repeated dim in source {list(src)} or destination {list(dst)}"
        )
    order = [i for i in range(x.ndim) if i not in s]
    for dest, so in sorted(zip(t, s, strict=True)):
        order.insert(dest, so)
    return permute(x, tuple(order))


def count_nonzero(x: Tensor, dim: Any = None) -> Tensor:
    """How many elements (along `dim`, an int or a tuple) are nonzero; int64."""
    a = _tensor(x, "count_nonzero")._data
    xp = get_array_module(a)
    dims = reduce_dims(dim, a.ndim, "count_nonzero") if dim is not None else None
    out = (a != 0).sum(axis=dims) if a.ndim else (a != 0)
    return Tensor._make(xp.asarray(out, dtype=np.int64), False)


# ---------------------------------------------------------------------- median
class MedianAll(Function):
    """The lower median of all elements (NaN if any is NaN). Its gradient is spread evenly
    over the elements equal to the median, as PyTorch's."""

    uses_inputs = False
    op_name = "median"

    def forward(self, x):
        xp = get_array_module(x)
        flat = x.reshape(-1)
        self.shape = x.shape
        if flat.size == 0:
            if x.dtype.kind != "f":
                # PyTorch returns NaN cast to the integer dtype there, an undefined value
                raise RuntimeError(f"median: an empty {x.dtype} tensor has no median")
            self.share = xp.zeros(x.shape, dtype=x.dtype)
            return xp.asarray(np.nan, dtype=x.dtype)
        nan = xp.isnan(flat) if x.dtype.kind == "f" else xp.zeros(flat.shape, dtype=bool)
        if bool(nan.any()):
            m = xp.asarray(np.nan, dtype=x.dtype)
            hit = xp.isnan(x)
        else:
            m = xp.sort(flat)[(flat.size - 1) // 2]
            hit = x == m
        self.share = (hit / hit.sum()).astype(x.dtype)
        return xp.asarray(m, dtype=x.dtype)

    def backward(self, gy):
        return scale(broadcast_to(gy, self.shape), self.share)


def median(x: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    """The lower of the two middle values. Without `dim`, of all elements, a 0-d tensor;
    with an int `dim`, PyTorch's (values, indices) pair along it (ties: the first in the
    input's order). NaN counts as the largest value but is the result wherever present."""
    x = _tensor(x, "median")
    ordered(x.dtype, "median")
    if x.dtype.kind == "b":
        raise RuntimeError("median: not implemented for bool tensors (as in PyTorch)")
    if dim is None:
        return MedianAll()(x)
    return median_along(x, dim, keepdim)


def median_along(
    x: Tensor, dim: Any, keepdim: bool, op: str = "median", skip_nan: bool = False
) -> Any:
    """(values, indices) of the lower middle value along `dim`, from a stable sort (ties:
    the first in the input's order). NaN sorts last; `median` returns it wherever present,
    `nanmedian` (`skip_nan`) takes the middle of the other values (index 0 if none)."""
    if x.ndim == 0:
        normalize_dim(dim, 0, op)  # one int: a tuple is a TypeError, as in PyTorch
        zero = get_array_module(x._data).zeros((), np.int64)
        return getattr(return_types, op)(clone(x), Tensor._make(zero, False))
    d = _dim(dim, x, op)
    n = x.shape[d]
    if n == 0:
        raise IndexError(f"{op}: dim {dim} of the input of shape {x.shape} has no elements")
    xp = get_array_module(x._data)
    order = xp.argsort(x._data, axis=d, kind="stable")  # NaN last, in input order
    if skip_nan:
        count = (~xp.isnan(x._data)).sum(axis=d, keepdims=True)
        pos = xp.maximum(count - 1, 0) // 2
    elif x.dtype.kind == "f":
        nans = xp.isnan(x._data).sum(axis=d, keepdims=True)
        pos = xp.where(nans > 0, n - nans, (n - 1) // 2)
    else:
        pos = xp.full(x.shape[:d] + (1,) + x.shape[d + 1 :], (n - 1) // 2)
    idx = xp.take_along_axis(order, pos, axis=d).astype(np.int64)
    values = TakeAlong(idx, d, x.shape)(x)
    if not keepdim:
        values = reshape(values, x.shape[:d] + x.shape[d + 1 :])
        idx = idx.reshape(values.shape)
    return getattr(return_types, op)(values, Tensor._make(idx, False))


# ---------------------------------------------------------------------- unique
def unique_dim(shape: tuple[int, ...], dim: int, op: str) -> int:
    """unique's (and unique_consecutive's) `dim`, normalized; an empty tensor whose empty
    dims are all unselected is refused, as PyTorch refuses it (there are no slices to
    compare, yet the selected dim has entries)."""
    d = normalize_dim(dim, len(shape), op)  # one int: dim=(0, 1) is a TypeError
    if shape.count(0) > 1:
        raise RuntimeError(
            f"{op}: Number of zero sized dimensions is more than one, so unique cannot be "
            f"applied (shape {shape}, dim {dim})"
        )
    if shape[d] != 0 and 0 in shape:
        raise RuntimeError(
            f"{op}: There are 0 sized dimensions, and they aren't selected, so unique cannot "
            f"be applied (shape {shape}, dim {dim})"
        )
    return d


def refuse_complex(dtype: np.dtype, op: str, kernel: str) -> None:
    """PyTorch's NotImplementedError for a complex tensor in an op with no complex kernel
    (unique sorts; NumPy orders complex numbers by their real part, then the imaginary)."""
    if dtype.kind == "c":
        raise Unsupported(f"{op}: \"{kernel}\" not implemented for '{_type_name(dtype)}'")


def unique(
    x: Tensor,
    sorted: bool = True,  # noqa: A002 - PyTorch's name
    return_inverse: bool = False,
    return_counts: bool = False,
    dim: int | None = None,
) -> Any:
    """The distinct elements (or slices along `dim`), in ascending order, with PyTorch's
    optional int64 `inverse` (where each input element went) and `counts`. Every NaN is
    distinct from every other, as in PyTorch. Not differentiable; always sorted."""
    a = _tensor(x, "unique")._data
    refuse_complex(a.dtype, "unique", "unique" if dim is None else "unique_dim")
    xp = get_array_module(a)
    if dim is not None and a.ndim == 1:  # NumPy's axis= path takes NaNs as equal
        unique_dim(a.shape, dim, "unique")
        dim = None
    if dim is None:
        out, inv, cnt = xp.unique(
            a.reshape(-1), return_inverse=True, return_counts=True, equal_nan=False
        )
        inv = inv.reshape(a.shape)
    else:
        if a.ndim == 0:  # (a tuple dim is a TypeError first, as PyTorch's)
            raise IndexError(
                f"unique: dim {_int_arg('unique', 'dim', dim)} out of range for a 0-d tensor"
            )
        d = unique_dim(a.shape, dim, "unique")
        if a.shape[d] == 0:
            out, inv, cnt = a, xp.zeros(0, np.int64), xp.zeros(0, np.int64)
        else:
            out, inv, cnt = xp.unique(a, return_inverse=True, return_counts=True, axis=d)
            inv = inv.reshape(-1)
    result = [no_derivative("unique", xp.ascontiguousarray(out), x)]
    if return_inverse:
        result.append(Tensor._make(inv.astype(np.int64), False))
    if return_counts:
        result.append(Tensor._make(cnt.astype(np.int64), False))
    return result[0] if len(result) == 1 else tuple(result)


# ---------------------------------------------------------------------- grids, tiles
def meshgrid(*tensors: Any, indexing: str | None = None) -> tuple[Tensor, ...]:
    """Coordinate grids from 0-d or 1-d tensors: with indexing='ij' (the default, with
    PyTorch's warning when not given) output i varies along dim i; 'xy' swaps the first
    two dims. Each grid is an expanded (read-only) view; gradients sum back."""
    if len(tensors) == 1 and isinstance(tensors[0], list | tuple):
        tensors = tuple(tensors[0])
    if not tensors:
        raise RuntimeError("meshgrid: expects a non-empty list of tensors")
    if indexing is None:
        warnings.warn(
            "torch.meshgrid: in an upcoming release, it will be required to pass the "
            "indexing argument.",
            UserWarning,
            stacklevel=2,
        )
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    for i, t in enumerate(tensors):
        if _tensor(t, "meshgrid").ndim > 1:
            raise RuntimeError(f"meshgrid: tensor {i} must be 0-d or 1-d, got shape {t.shape}")
        if t.dtype != tensors[0].dtype or t.device != tensors[0].device:
            raise RuntimeError(
                f"meshgrid: expects all tensors to have one dtype and device, got "
                f"{tensors[0].dtype} and {t.dtype}"
            )
    sizes = [t.numel() for t in tensors]
    axes = list(range(len(tensors)))
    if indexing == "xy" and len(tensors) >= 2:
        axes[0], axes[1] = 1, 0
        sizes[0], sizes[1] = sizes[1], sizes[0]
    out = []
    for t, ax in zip(tensors, axes, strict=True):
        shape = [1] * len(tensors)
        shape[ax] = t.numel()
        out.append(broadcast_to(reshape(t, tuple(shape)), tuple(sizes)))
    return tuple(out)


def tile(x: Tensor, dims: Any) -> Tensor:
    """x repeated `dims[i]` times along dim i; a shorter `dims` is padded with leading 1s
    (unlike `repeat`)."""
    x = _tensor(x, "tile")
    reps = _int_tuple(dims, "tile", "dims")
    reps = (1,) * (x.ndim - len(reps)) + reps
    return repeat(x, reps)


def repeat_interleave(
    x: Tensor, repeats: Any = None, dim: int | None = None, *, output_size: int | None = None
) -> Tensor:
    """Each element (or slice along `dim`) repeated `repeats` times in place: an int, or a
    tensor with one count per slice. Without `dim` x is flattened first. Called with a
    1-D int tensor alone, the indices 0..n-1 each repeated that many times."""
    x = _tensor(x, "repeat_interleave")
    if repeats is None:
        counts = x._data
        if counts.ndim > 1 or counts.dtype.kind not in "iu":
            raise RuntimeError(
                f"repeat_interleave: repeats must be a 0-d or 1-d integer tensor, got shape "
                f"{x.shape} and dtype {x.dtype}"
            )
        xp = get_array_module(counts)
        if counts.size and int(counts.min()) < 0:
            raise RuntimeError("repeat_interleave: repeats can not be negative")
        return Tensor._make(xp.repeat(xp.arange(counts.size), counts.reshape(-1)), False)
    if dim is None:
        x, d = reshape(x, (-1,)), 0
    elif x.ndim == 0:
        normalize_dim(dim, 0, "repeat_interleave")  # one int, as in PyTorch
        x, d = reshape(x, (1,)), 0
    else:
        d = _dim(dim, x, "repeat_interleave")
    n = x.shape[d]
    xp = get_array_module(x._data)
    r = repeats._data if isinstance(repeats, Tensor) else _to_array(repeats)
    r = xp.asarray(r)
    if r.dtype.kind not in "iu":
        raise RuntimeError(f"repeat_interleave: repeats must be integers, got dtype {r.dtype}")
    if r.ndim > 1 or (r.size != 1 and r.size != n):
        raise RuntimeError(
            f"repeat_interleave: repeats of shape {tuple(r.shape)} must have one element or "
            f"{n} (the size of dim {d})"
        )
    if r.size and int(r.min()) < 0:
        raise RuntimeError("repeat_interleave: repeats can not be negative")
    r = xp.broadcast_to(r.reshape(-1), (n,))
    index = xp.repeat(xp.arange(n), r)
    if output_size is not None and int(output_size) != index.size:
        raise RuntimeError(
            f"repeat_interleave: output_size {output_size} does not match the {index.size} "
            "elements the repeats give"
        )
    return index_select(x, d, Tensor._make(index, False))


# ---------------------------------------------------------------------- stacking
def _atleast(nd: int, tensors: tuple, name: str) -> Any:
    if len(tensors) == 1 and isinstance(tensors[0], list | tuple):
        return tuple(_atleast(nd, (t,), name) for t in tensors[0])
    out = []
    for t in tensors:
        _tensor(t, name)
        if t.ndim >= nd:
            out.append(t)
        elif nd == 3 and t.ndim == 2:
            out.append(reshape(t, t.shape + (1,)))
        elif nd == 3 and t.ndim == 1:
            out.append(reshape(t, (1,) + t.shape + (1,)))
        else:
            out.append(reshape(t, (1,) * (nd - t.ndim) + t.shape))
    return out[0] if len(out) == 1 else tuple(out)


def atleast_1d(*tensors: Any) -> Any:
    return _atleast(1, tensors, "atleast_1d")


def atleast_2d(*tensors: Any) -> Any:
    """0-d -> (1, 1), (n,) -> (1, n); more dims as they are."""
    return _atleast(2, tensors, "atleast_2d")


def atleast_3d(*tensors: Any) -> Any:
    """0-d -> (1, 1, 1), (n,) -> (1, n, 1), (m, n) -> (m, n, 1), as PyTorch's."""
    return _atleast(3, tensors, "atleast_3d")


def _list(tensors: Any, name: str) -> list[Tensor]:
    ts = list(tensors)
    if not ts:
        raise RuntimeError(f"{name}: expects a non-empty sequence of tensors")
    return [_tensor(t, name) for t in ts]


def hstack(tensors: Any) -> Tensor:
    """1-D tensors joined end to end; others along dim 1."""
    ts = [atleast_1d(t) for t in _list(tensors, "hstack")]
    return cat(ts, 0 if ts[0].ndim == 1 else 1)


def vstack(tensors: Any) -> Tensor:
    """Rows stacked: each tensor made at least 2-D, joined along dim 0."""
    return cat([atleast_2d(t) for t in _list(tensors, "vstack")], 0)


row_stack = vstack


def dstack(tensors: Any) -> Tensor:
    return cat([atleast_3d(t) for t in _list(tensors, "dstack")], 2)


def column_stack(tensors: Any) -> Tensor:
    """0-d and 1-d tensors as columns (n, 1), others as they are, joined along dim 1."""
    ts = _list(tensors, "column_stack")
    return cat([reshape(t, (t.numel(), 1)) if t.ndim <= 1 else t for t in ts], 1)


def tensor_split(x: Tensor, indices_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """x split along `dim` into `n` near-equal parts (the first `size % n` one longer), or
    at the given indices (clamped, as Python slices). Each part is a view."""
    x = _tensor(x, "tensor_split")
    if x.ndim == 0:
        raise RuntimeError("tensor_split: expected at least a 1-dimensional tensor")
    d = _dim(dim, x, "tensor_split")
    n = x.shape[d]
    ios = indices_or_sections
    if isinstance(ios, Tensor):
        if ios.dtype.kind not in "iu" or ios.ndim > 1:
            raise RuntimeError(
                "tensor_split: indices_or_sections must be a 0-d or 1-d int64 tensor, got "
                f"shape {ios.shape} and dtype {ios.dtype}"
            )
        ios = int(ios.item()) if ios.ndim == 0 else [int(i) for i in ios.tolist()]
    if isinstance(ios, int | np.integer):
        k = int(ios)
        if k <= 0:
            raise RuntimeError(f"tensor_split: number of sections must be larger than 0, got {k}")
        q, rem = divmod(n, k)
        sizes = [q + 1] * rem + [q] * (k - rem)
        bounds = np.concatenate([[0], np.cumsum(sizes)]).tolist()
    else:
        idx = [builtins.min(builtins.max(int(i) + (n if int(i) < 0 else 0), 0), n) for i in ios]
        bounds = [0, *idx, n]
    parts = []
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        hi = builtins.max(lo, hi)
        parts.append(getitem(x, (slice(None),) * d + (slice(lo, hi),)))
    return tuple(parts)


# ---------------------------------------------------------------------- diff, statistics
def diff(x: Tensor, n: int = 1, dim: int = -1, prepend: Any = None, append: Any = None) -> Tensor:
    """The n-th forward difference along `dim` (x[1:] - x[:-1], n times), after joining
    `prepend` and `append`; bool tensors give logical xor, as in PyTorch. n=0 gives a copy
    of x alone (PyTorch's: prepend/append are checked, not joined)."""
    x = _tensor(x, "diff")
    if x.ndim == 0:
        raise RuntimeError("diff: expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"diff: order must be non-negative but got {n}")
    d = _dim(dim, x, "diff")
    parts = [
        t if isinstance(t, Tensor) else Tensor(_to_array(t))
        for t in (prepend, x, append)
        if t is not None
    ]
    if n == 0:  # x itself, in a new tensor: PyTorch checks prepend/append but joins nothing
        _diff_edges_fit(x, d, parts)
        return clone(x)
    if len(parts) > 1:
        x = cat(parts, d)
    for _ in range(n):
        m = x.shape[d]
        if m == 0:
            break
        hi, lo = narrow(x, d, 1, m - 1), narrow(x, d, 0, m - 1)
        x = logical_xor(hi, lo) if x.dtype.kind == "b" else hi - lo
    return x


def _diff_edges_fit(x: Tensor, d: int, parts: list[Tensor]) -> None:
    """Refuse a prepend/append whose shape differs from x's outside dim d, in PyTorch's
    words (diff with n=0 checks them, though it does not use them)."""
    for t in parts:
        if t.ndim != x.ndim:
            raise RuntimeError(
                "diff expects prepend or append to be the same dimension as input "
                f"(input has {x.ndim} dims, prepend/append {t.ndim})"
            )
        for i, (a, b) in enumerate(zip(x.shape, t.shape, strict=True)):
            if i != d and a != b:
                raise RuntimeError(
                    "diff expects the shape of tensor to prepend or append to match that of "
                    f"input except along the differencing dimension; input.size({i}) = {a}, "
                    f"but got tensor.size({i}) = {b}"
                )


def _spread_and_mean(
    spread: Any, op: str, x: Any, dim: Any, unbiased: bool, keepdim: bool, correction: Any
) -> tuple[Tensor, Tensor]:
    """(spread(x), mean(x)) over `dim`, spread being var or std. float16/float32 inputs are
    computed from one float64 copy, each result rounded once, as PyTorch's Welford pass
    gives them."""
    from .elementwise import to_float

    dim, c = _correction(op, dim, unbiased, correction)
    x = _tensor(x, op)
    _float_statistic(op, x)  # as `std`/`var`: integers refused, complex not supported
    x = to_float(x)
    if not _wide(x):
        return spread(x, dim, c, keepdim, op=op), mean(x, dim, keepdim)
    wide = cast(x, np.float64)
    return (
        cast(spread(wide, dim, c, keepdim, op=op), x.dtype),
        cast(mean(wide, dim, keepdim), x.dtype),
    )


def var_mean(
    x: Tensor,
    dim: Any = None,
    unbiased: Any = _UNBIASED,
    keepdim: bool = False,
    *,
    correction: Any = None,
) -> tuple[Tensor, Tensor]:
    """(variance, mean) over `dim`, Bessel-corrected unless `unbiased=False` or
    `correction=0`."""
    return _spread_and_mean(var, "var_mean", x, dim, unbiased, keepdim, correction)


def std_mean(
    x: Tensor,
    dim: Any = None,
    unbiased: Any = _UNBIASED,
    keepdim: bool = False,
    *,
    correction: Any = None,
) -> tuple[Tensor, Tensor]:
    """(standard deviation, mean) over `dim`."""
    return _spread_and_mean(std, "std_mean", x, dim, unbiased, keepdim, correction)


__all__ = [
    "atleast_1d",
    "atleast_2d",
    "atleast_3d",
    "column_stack",
    "count_nonzero",
    "cumprod",
    "diagonal",
    "diff",
    "dot",
    "dstack",
    "hstack",
    "median",
    "meshgrid",
    "movedim",
    "mv",
    "repeat_interleave",
    "row_stack",
    "std_mean",
    "tensor_split",
    "tile",
    "trace",
    "unique",
    "var_mean",
    "vstack",
]
