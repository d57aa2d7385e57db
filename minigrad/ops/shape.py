"""Shape manipulation, indexing, joining, padding, dtype casts and device moves."""

from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np

from .. import autograd, return_types
from ..autograd import Function, is_grad_enabled, zero_link
from ..backend import fp_ignored, get_array_module, to_device
from ..errors import ShapeError, ValueRangeError, warn_user
from ..tensor import VIEW_DEPTH, Tensor, _int_arg, _is_int, check_fill_scalar
from .reduce import expand, normalize_dim, normalize_dims, ordered


class Reshape(Function):
    uses_inputs = False

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape

    def forward(self, x):
        self.x_shape = x.shape
        try:
            return x.reshape(self.shape)
        except ValueError:
            raise ShapeError(
                f"reshape: cannot view shape {x.shape} ({x.size} elements) as {self.shape}"
            ) from None

    def backward(self, gy):
        return reshape(gy, self.x_shape)


def reshape(x: Tensor, shape: tuple[int, ...]) -> Tensor:
    if x.shape == tuple(shape):
        return x
    if shape and min(shape) < 0:  # PyTorch's rule: one -1 at most, no other negative size
        if min(shape) < -1:
            raise ShapeError(f"invalid shape dimension {min(shape)} in shape {tuple(shape)}")
        if list(shape).count(-1) > 1:
            raise ShapeError(f"only one dimension can be inferred, shape {tuple(shape)}")
    if isinstance(x._data, np.generic):  # a 0-d result: an array, which a view can share
        x._shareable()
    out = Reshape(tuple(shape))(x)
    # a view (NumPy copies where the layout allows none)
    if out._vc is x._vc or _empty_view(x, out):
        _note_view(x, out, ReshapeStep, out._data.shape)
    return out


class ViewStep:
    """How a view was made from its base, other than by a basic index: `array(a)` is the
    view of array a, `apply(base)` makes it again from a tensor (recorded), and
    `write(base, value)` records base's new value when the view's is `value` (an
    in-place change through the view, `Tensor._record_change`)."""

    __slots__ = ()


class ShapeStep(ViewStep):
    """How a view made by `reshape` (ReshapeStep: view, flatten, squeeze, unsqueeze,
    unflatten, an expand that only adds size-1 dims) or `permute` (PermuteStep: t(),
    transpose, movedim) came from its base: it holds every element of the base once, so
    a change through the view is written back as the base's whole new value (`back`),
    and the view is then made again from the new base (`apply`), as `h[index]` is for a
    view by indexing."""

    __slots__ = ()

    def back(self, value: Tensor, base: Tensor) -> Tensor:
        raise NotImplementedError

    def write(self, base: Tensor, value: Tensor) -> None:
        """base's new value is the one whose view is `value`, in new memory (a clone):
        `value`'s array may be one a backward saved, which later writes through the base
        must not reach."""
        new = clone(self.back(value, base))
        base._record_change(lambda _: new, base._view_base())


class ReshapeStep(ShapeStep):
    __slots__ = ("shape",)

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape

    def array(self, a: Any) -> Any:
        return a.reshape(self.shape)  # (NumPy copies where reshape cannot view)

    def apply(self, base: Tensor) -> Tensor:
        return Reshape(self.shape)(base)

    def back(self, value: Tensor, base: Tensor) -> Tensor:
        return reshape(value, base.shape)


class PermuteStep(ShapeStep):
    __slots__ = ("axes",)

    def __init__(self, axes: tuple[int, ...]) -> None:
        self.axes = axes

    def array(self, a: Any) -> Any:
        return a.transpose(self.axes)

    def apply(self, base: Tensor) -> Tensor:
        return Permute(self.axes)(base)

    def back(self, value: Tensor, base: Tensor) -> Tensor:
        return permute(value, tuple(int(i) for i in np.argsort(self.axes)))


def _empty_view(x: Tensor, out: Tensor, k: int = 0) -> bool:
    """Whether `out`, output k of a view op on x that does not share x's version counter,
    is an empty view of x, then made to share it. NumPy sees no memory shared by an empty
    array (`autograd.share_version_counters`), but PyTorch's empty views are views: a
    change through one with a value that requires grad (`buf[n:].copy_(w)`, n the length)
    reaches x, which then requires grad too. False for a copy (a reshape with no view).
    Called only past the `out._vc is x._vc` test, so views with memory pay nothing."""
    if out._data.size:
        return False
    out._vc = x._vc
    node = out.creator
    if node is not None:  # detach_ refuses it, as any view's
        node._view_outputs = (*node.__dict__.get("_view_outputs", ()), k)
    return True


def _note_view(x: Tensor, out: Tensor, kind: Any, arg: Any) -> None:
    """Note on `out`, a view of `x`, its base (kept alive, as PyTorch's `_base`), how it was
    made (`arg` a basic index where `kind` is None, else the ViewStep `kind(arg)`, made
    when needed), the grad mode it was made in and how many views deep it is: an in-place
    change through it in a graph, or with an operand that requires grad (`h.t()[1] += w`,
    `z.view(2, 3)[0] = w`), is then written into x (Tensor._view_base); so is one through
    a view of a view that is gone once the line is read (the `h.t()` there). Beyond
    VIEW_DEPTH views deep (`x = x.view(..)` in a loop) nothing is noted, so that the
    chain behind does not live on."""
    noted = x.__dict__.get("_view_of")
    depth = 1 if noted is None else noted[4] + 1
    if depth > VIEW_DEPTH:
        return
    out.__dict__["_view_of"] = (x, kind, arg, autograd._state.grad_enabled, depth)
    if "_data_alias" in x.__dict__:  # a view of `t.data` is outside the graph too
        out.__dict__["_data_alias"] = True


class Permute(Function):
    uses_inputs = False

    def __init__(self, axes: tuple[int, ...]) -> None:
        self.axes = axes

    def forward(self, x):
        return x.transpose(self.axes)

    def backward(self, gy):
        return permute(gy, tuple(int(i) for i in np.argsort(self.axes)))


def permute(x: Tensor, dims: tuple[int, ...]) -> Tensor:
    if len(dims) != x.ndim:  # before the dims are read: PyTorch's RuntimeError
        raise ShapeError(
            f"permute: {len(dims)} dims {tuple(dims)} given for a {x.ndim}-d tensor; the "
            "number of dims must match"
        )
    axes = normalize_dims(dims, x.ndim, "permute") or ()
    if sorted(axes) != list(range(x.ndim)):
        raise ShapeError(f"permute: dims {dims} are not a permutation of a {x.ndim}-d tensor's")
    if axes == tuple(range(x.ndim)):
        return x
    out = Permute(axes)(x)
    if out._vc is x._vc or _empty_view(x, out):
        _note_view(x, out, PermuteStep, axes)
    return out


def transpose(x: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap two dimensions (PyTorch's meaning, not NumPy's full reversal)."""
    d0, d1 = normalize_dims((dim0, dim1), x.ndim, "transpose")
    if x.ndim == 0:  # dims 0 and -1 name the 0-d tensor's one place, as in PyTorch
        return permute(x, ())
    axes = list(range(x.ndim))
    axes[d0], axes[d1] = axes[d1], axes[d0]
    return permute(x, tuple(axes))


def squeeze_dims(dim: Any, ndim: int, op: str) -> tuple[int, ...]:
    """squeeze's `dim` (an int or a sequence) as non-negative axes; a dim named twice is
    refused, as PyTorch refuses it (`squeeze((0, -2))` of a 2-d tensor)."""
    dims = normalize_dims(dim, ndim, op)
    if len(set(dims)) != len(dims):
        twice = next(d for k, d in enumerate(dims) if d in dims[:k])
        raise RuntimeError(f"{op}: dim {twice} appears multiple times in the list of dims")
    return dims


def squeeze(x: Tensor, dim: Any = None) -> Tensor:
    if dim is None:
        return reshape(x, tuple(n for n in x.shape if n != 1))
    dims = squeeze_dims(dim, x.ndim, "squeeze")
    return reshape(x, tuple(n for i, n in enumerate(x.shape) if not (i in dims and n == 1)))


def unsqueeze(x: Tensor, dim: int) -> Tensor:
    if type(dim) is not int:
        dim = _int_arg("unsqueeze", "dim", dim)
    if not -x.ndim - 1 <= dim <= x.ndim:
        raise IndexError(f"unsqueeze: dim {dim} out of range for a {x.ndim}-d tensor")
    d = dim % (x.ndim + 1)
    return reshape(x, x.shape[:d] + (1,) + x.shape[d:])


def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """x with dims start_dim..end_dim merged into one; a 0-d x becomes 1-d (its dims
    are checked as a 1-d tensor's: -1 and 0 only, as PyTorch's)."""
    s, e = normalize_dims((start_dim, end_dim), x.ndim, "flatten")
    if x.ndim == 0:
        return reshape(x, (1,))
    if s > e:
        raise RuntimeError(
            f"flatten() has invalid args: start_dim cannot come after end_dim (got start_dim="
            f"{start_dim}, end_dim={end_dim} for a tensor of shape {x.shape})"
        )
    n = int(np.prod(x.shape[s : e + 1]))
    return reshape(x, x.shape[:s] + (n,) + x.shape[e + 1 :])


class TwoStep:
    """An index PyTorch applies in two steps: its integers first (each removes its
    dimension, a view), then the rest. NumPy instead treats integers next to array indices
    as array indices, so `x[0, :, [0, 1, 2]]` would put the list's dimension first."""

    __slots__ = ("first", "rest")

    def __init__(self, first: tuple, rest: tuple) -> None:
        self.first, self.rest = first, rest

    def get(self, a: Any) -> Any:
        return a[self.first][self.rest]

    def set(self, a: Any, value: Any) -> None:
        a[self.first][self.rest] = value  # a[first] is a view: the write reaches a

    def add_at(self, xp: Any, a: Any, value: Any) -> None:
        xp.add.at(a[self.first], self.rest, value)


def _index_item(i: Any) -> Any:
    """One entry of an index as NumPy should see it: a Tensor's array (a 0-d integer one
    becomes an int, a view as in PyTorch; a uint8 one a mask, PyTorch's deprecated
    rule), an empty list an empty integer array, other arrays copied (a later change to
    the index tensor must not change the gradient)."""
    if isinstance(i, np.bool_):  # PyTorch takes Python's True/False only, not NumPy's
        raise IndexError(
            f"indexing: a NumPy bool ({i!r}) is not a valid index, as in PyTorch: index with a "
            "Python bool (bool(b)) or a bool tensor"
        )
    if isinstance(i, Tensor | np.ndarray) and i.dtype == np.uint8:
        warn_user(  # a NumPy uint8 array too: PyTorch makes it a tensor, then a mask
            "indexing with a uint8 tensor is deprecated, as in PyTorch: it is read as a "
            "mask; index with a bool tensor instead (mask.bool())"
        )
        return (i._data if isinstance(i, Tensor) else i).astype(bool)
    if isinstance(i, Tensor):
        i = i._data
    else:
        if isinstance(i, list):
            i = np.asarray(i) if i else np.zeros(0, dtype=np.intp)
        if isinstance(i, np.ndarray) and i.dtype.kind == "f":
            # a float list or NumPy array (np.array([]) is float64): PyTorch truncates it to
            # integers, as it does Python floats; a float *tensor* index stays refused
            if not np.isfinite(i).all():
                raise IndexError(f"index {i[~np.isfinite(i)][0]} is not a finite integer")
            i = i.astype(np.intp)
    if not hasattr(i, "dtype") or isinstance(i, np.generic):
        return i
    if i.ndim == 0 and i.dtype.kind in "iu":
        return int(i)
    return i.copy()


def _sequence_as_tuple(index: list) -> bool:
    """PyTorch's rule: a short list holding a sequence, tensor, slice, None or `...` is a
    tuple of indices (`x[[[0, 1], [1, 0]]]` is `x[[0, 1], [1, 0]]`), else an array."""
    return len(index) < 32 and any(
        isinstance(i, list | tuple | Tensor | np.ndarray | slice) or i is None or i is Ellipsis
        for i in index
    )


def _is_mask(i: Any) -> bool:
    return hasattr(i, "dtype") and i.dtype.kind == "b" and not isinstance(i, np.generic)


def _span(i: Any) -> int:
    """How many of the indexed tensor's dims an index entry consumes."""
    if i is None or isinstance(i, bool | np.bool_):
        return 0
    return i.ndim if _is_mask(i) else 1


_PLAIN_INDEX = (int, slice, type(None), type(Ellipsis))  # never a mask: no check


def check_masks(items: tuple, shape: tuple[int, ...]) -> None:
    """PyTorch's rule: a bool mask's shape equals the dims it indexes. (NumPy lets a
    zero-size mask dim pass against any size and reports other mismatches itself.)"""
    if not any(_is_mask(i) and i.ndim for i in items):
        return
    rest = len(shape) - sum(_span(i) for i in items if i is not Ellipsis)
    dim = 0
    for i in items:
        if i is Ellipsis:
            dim += max(rest, 0)
            continue
        if _is_mask(i):
            for j, (m, n) in enumerate(zip(i.shape, shape[dim:], strict=False)):
                if m != n:
                    raise IndexError(
                        f"The shape of the mask {list(i.shape)} at index {j} does not match "
                        f"the shape of the indexed tensor {list(shape)} at index {dim + j}"
                    )
        dim += _span(i)


def normalize_index(index: Any, shape: tuple[int, ...] | None = None) -> Any:
    """An index with PyTorch's meaning, for NumPy: Tensors become their arrays, and a
    tuple mixing integers with array indices becomes a `TwoStep`. With the indexed
    tensor's `shape`, bool masks are checked against it."""
    if isinstance(index, TwoStep):
        return index
    if isinstance(index, list) and _sequence_as_tuple(index):
        index = tuple(index)
    if not isinstance(index, tuple):
        item = _index_item(index)
        if shape is not None and not isinstance(item, _PLAIN_INDEX):
            check_masks((item,), shape)
        return item
    items = tuple(_index_item(i) for i in index)
    if shape is not None:
        for i in items:
            if not isinstance(i, _PLAIN_INDEX):  # an array (maybe a mask) among the items
                check_masks(items, shape)
                items = _without_empty_ellipsis(items, shape)
                break
    if not any(_is_int(i) for i in items) or not any(hasattr(i, "ndim") for i in items):
        return items
    first, rest = [], []
    for i in items:
        if _is_int(i):
            first.append(i)
        elif i is None:
            rest.append(i)
        elif i is Ellipsis:
            first.append(i)
            rest.append(i)
        else:
            # a mask spans as many dimensions as it has
            first += [slice(None)] * (i.ndim if hasattr(i, "dtype") and i.dtype.kind == "b" else 1)
            rest.append(i)
    if not any(i is Ellipsis for i in first):  # a[first] is then a 0-d view, not a scalar,
        first.append(Ellipsis)  # where the integers take every dim
    return TwoStep(tuple(first), tuple(rest))


def _without_empty_ellipsis(items: tuple, shape: tuple[int, ...]) -> tuple:
    """The index without a `...` that stands for no dims: NumPy takes array indices on
    either side of it as apart (their dims go first), PyTorch as next to each other
    (`x[:, [0, 1], ..., [1, 2]]` on (2, 4, 5) is (2, 2), where NumPy gave its transpose)."""
    if not any(i is Ellipsis for i in items):
        return items
    if len(shape) - sum(_span(i) for i in items if i is not Ellipsis) > 0:
        return items
    return tuple(i for i in items if i is not Ellipsis)


def _is_basic(index: Any) -> bool:
    """Basic indices (ints, slices, None, ...) never select an element twice."""
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, int | np.integer | slice | type(None) | type(Ellipsis)) for i in items)


def _view_index(index: Any) -> Any:
    """A basic index ending in `...`, so that selecting single elements gives a 0-d view
    (as PyTorch's `t[0]`) rather than NumPy's scalar copy; other indices unchanged."""
    if not _is_basic(index):
        return index
    items = index if isinstance(index, tuple) else (index,)
    if any(i is Ellipsis for i in items):
        return index
    return (*items, Ellipsis)


def add_at(xp: Any, out: Any, index: Any, value: Any, wide: bool = False) -> Any:
    """`out` with `value` added at `index` in index order (NumPy's `add.at`: repeats
    accumulate), returned. With `wide` a float16 `out` accumulates in float32 and is
    rounded once, as PyTorch's CPU scatter_add (also gather's backward and index_add of
    slices) does; its index_put and `x[idx]`'s backward add in float16, and so does this
    without `wide`. A copy only for float16: the other dtypes add into `out` itself."""
    if wide and out.dtype == np.float16:
        acc = out.astype(np.float32)
        add_at(xp, acc, index, value.astype(np.float32))
        return acc.astype(np.float16)
    if isinstance(index, TwoStep):
        index.add_at(xp, out, value)
    else:
        xp.add.at(out, index, value)
    return out


class GetItem(Function):
    """x[index]. `wide`: its backward adds float16 repeats in float32 (`add_at`), for
    gather and index_select, whose PyTorch backward is scatter_add or index_add."""

    uses_inputs = False

    def __init__(self, index: Any, wide: bool = False) -> None:
        self.index, self.wide = index, wide

    def forward(self, x):
        self.x_shape, self.x_dtype = x.shape, x.dtype
        try:
            if isinstance(self.index, TwoStep):
                y = self.index.get(x)
            else:
                y = x[self.index]
        except IndexError as exc:
            raise IndexError(f"getitem: {exc} (tensor of shape {x.shape})") from None
        if not y.flags.c_contiguous and not _is_basic(self.index):
            # an advanced index gives a new array, which PyTorch lays out row-major (NumPy
            # may not: x[:, idx]); row-major, a later .view() of it is a view, as there
            y = get_array_module(y).ascontiguousarray(y)
        return y

    def backward(self, gy):
        return GetItemGrad(self.index, self.x_shape, self.wide)(gy)


class GetItemGrad(Function):
    """Scatter gy into zeros of the source shape; repeated indices accumulate (float16 in
    float32 with `wide`, see `add_at`)."""

    uses_inputs = False

    def __init__(self, index: Any, shape: tuple[int, ...], wide: bool = False) -> None:
        self.index, self.shape, self.wide = index, shape, wide

    def forward(self, gy):
        xp = get_array_module(gy)
        gx = xp.zeros(self.shape, dtype=gy.dtype)
        if not isinstance(self.index, TwoStep) and _is_basic(self.index):
            gx[self.index] = gy
            return gx
        # integer or boolean array indices may repeat: accumulate
        return add_at(xp, gx, self.index, gy, self.wide)

    def backward(self, ggx):
        return getitem(ggx, self.index)


class IndexPut(Function):
    """`v` written into zeros of `shape` at `index`, as PyTorch's index_put: with a repeated
    index one write wins (NumPy's assignment, the last); the gradient of `v` reads every
    written position, as PyTorch's."""

    uses_inputs = False

    def __init__(self, index: Any, shape: tuple[int, ...]) -> None:
        self.index, self.shape = index, shape

    def forward(self, v):
        out = get_array_module(v).zeros(self.shape, dtype=v.dtype)
        if isinstance(self.index, TwoStep):
            self.index.set(out, v)
        else:
            out[self.index] = v
        return out

    def backward(self, gy):
        return getitem(gy, self.index)


def getitem(x: Tensor, index: Any) -> Tensor:
    """x[index]; basic indices (ints, slices, None, ...) give views, as in PyTorch. A view
    that is not recorded (x needs no grad) notes its base and index all the same: an
    in-place change through it with an operand that requires grad (`z[:, i] += w`) is
    then written into x (Tensor._view_base)."""
    idx = _view_index(normalize_index(index, x.shape))
    if isinstance(x._data, np.generic):  # a 0-d result: an array, which a view can share
        x._shareable()
    out = GetItem(idx)(x)
    if out._vc is x._vc or (not out._data.size and _is_basic(idx) and _empty_view(x, out)):
        _note_view(x, out, None, idx)  # a basic index: a view
    return out


class Cat(Function):
    uses_inputs = False

    def __init__(self, dim: int) -> None:
        self.dim = dim

    def forward(self, *xs):
        self.sizes = [x.shape[self.dim] for x in xs]
        return get_array_module(*xs).concatenate(xs, axis=self.dim)

    def backward(self, gy):
        return split(gy, self.sizes, self.dim)


def cat(tensors: Any, dim: int = 0) -> Tensor:
    """Join tensors along `dim`. As PyTorch, a 1-d empty tensor (`tensor([])`, the start of
    an accumulation) fits whatever the others' shape, and its dtype still counts in the
    promotion: a Tensor one joins as an empty slice of the others' shape (so one that
    requires grad makes the result require grad, and gets its empty gradient), other
    empty values are skipped."""
    if isinstance(tensors, Tensor):  # cat(t) joined t's rows; PyTorch refuses
        raise TypeError("cat(): argument 'tensors' must be a sequence of Tensors, not Tensor")
    tensors = list(tensors)
    if not tensors:
        raise ValueError("cat: expected a non-empty sequence of tensors")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):  # a list beside a float32 tensor gave float64
            raise TypeError(
                f"cat(): expected Tensor as element {i} in argument 0, but got {type(t).__name__}"
            )
    if len(tensors) > 1:
        legacy_empty = [np.shape(t._data if isinstance(t, Tensor) else t) == (0,) for t in tensors]
        if any(legacy_empty) and not all(legacy_empty):
            from .elementwise import result_dtype  # elementwise imports this module

            dt = result_dtype(*[t if isinstance(t, Tensor) else np.asarray(t) for t in tensors])
            full = [t for t, e in zip(tensors, legacy_empty, strict=True) if not e]
            like = np.shape(full[0]._data if isinstance(full[0], Tensor) else full[0])
            if like:  # (a 0-d one raises below)
                d = normalize_dim(dim, len(like), "cat")
                like = like[:d] + (0,) + like[d + 1 :]
            kept = [
                reshape(t, like) if e and like else t
                for t, e in zip(tensors, legacy_empty, strict=True)
                if isinstance(t, Tensor) or not e
            ]
            tensors = [cast(t, dt) if isinstance(t, Tensor) else t for t in kept]
    for i, t in enumerate(tensors):
        if np.ndim(t._data if isinstance(t, Tensor) else t) == 0:
            raise ShapeError(
                f"cat: zero-dimensional tensor (at position {i}) cannot be concatenated"
            )
    ref = next(t for t in tensors if isinstance(t, Tensor))
    d = normalize_dim(dim, ref.ndim, "cat")
    for i, t in enumerate(tensors):
        shape = np.shape(t._data if isinstance(t, Tensor) else t)
        if len(shape) != ref.ndim or any(
            a != b for j, (a, b) in enumerate(zip(shape, ref.shape, strict=True)) if j != d
        ):
            raise ShapeError(
                f"cat: tensor {i} has shape {tuple(shape)}, which does not match "
                f"{ref.shape} outside dim {d}"
            )
    # PyTorch's type promotion: float32 with int64 gives float32, not NumPy's float64
    from .elementwise import result_dtype  # elementwise imports this module

    dt = result_dtype(*[t if isinstance(t, Tensor) else np.asarray(t) for t in tensors])
    tensors = [cast(t if isinstance(t, Tensor) else Tensor(t, dtype=dt), dt) for t in tensors]
    return Cat(d)(*tensors)


def stack(tensors: Any, dim: int = 0) -> Tensor:
    if isinstance(tensors, Tensor):  # stack(t) stacked t's rows; PyTorch refuses
        raise TypeError("stack(): argument 'tensors' must be a sequence of Tensors, not Tensor")
    tensors = list(tensors)
    if not tensors:
        raise ValueRangeError("stack expects a non-empty TensorList (got an empty sequence)")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):  # a list gave "'list' object has no attribute 'shape'"
            raise TypeError(
                f"stack(): expected Tensor as element {i} in argument 0, but got {type(t).__name__}"
            )
    shapes = {t.shape for t in tensors}
    if len(shapes) != 1:
        raise ShapeError(f"stack: tensors must share one shape, got {sorted(shapes)}")
    return cat([unsqueeze(t, dim) for t in tensors], dim)


class Split(Function):
    uses_inputs = False

    def __init__(self, sizes: list[int], dim: int) -> None:
        self.sizes, self.dim = sizes, dim

    def forward(self, x):
        bounds = np.cumsum(self.sizes)[:-1].tolist()
        return tuple(get_array_module(x).split(x, bounds, axis=self.dim))

    def backward(self, *gys):
        return cat(list(gys), self.dim)


def split(x: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """PyTorch's split: an int is the size of each chunk (the last may be smaller; 0 only
    for an empty dim, which gives one empty chunk), a list gives each chunk's size."""
    if x.ndim == 0:
        raise ShapeError("split: expects at least a 1-dimensional tensor, got a 0-d one")
    d = normalize_dim(dim, x.ndim, "split")
    n = x.shape[d]
    sections = split_size_or_sections
    if not isinstance(sections, tuple | list) and not (
        isinstance(sections, Tensor) and sections.ndim == 1
    ):
        step = _int_arg("split", "split_size", sections)
        if step < 0 or (step == 0 and n):
            raise ValueRangeError(
                f"split: split_size must be positive (0 only for an empty dim), got {step} "
                f"for dim {d} of size {n}"
            )
        sizes = [min(step, n - i) for i in range(0, n, step)] if step else []
        sizes = sizes or [0]
    else:
        sizes = [_int_arg("split", "split_size", s) for s in sections]
        if any(s < 0 for s in sizes):
            raise ValueRangeError(f"split: sizes must be non-negative, got {sizes}")
        if sum(sizes) != n:
            raise ShapeError(f"split: sizes {sizes} do not add up to dim {d} of size {n}")
    out = Split(sizes, d)(x)
    out = out if isinstance(out, tuple) else (out,)
    lo = 0
    for k, (part, n) in enumerate(zip(out, sizes, strict=True)):
        # noted, so that a change through it is checked (refused)
        if part._vc is x._vc or _empty_view(x, part, k):
            idx = (slice(None),) * d + (slice(lo, lo + n), Ellipsis)
            _note_view(x, part, WindowStep, (idx, "split, chunk or unbind"))
        lo += n
    return out


def strided_index(x: Tensor, size: tuple, stride: tuple, storage_offset: int, op: str) -> Any:
    """The flat (row-major) positions in x that `x.as_strided(size, stride, storage_offset)`
    reads, an int64 array of shape `size`, after PyTorch's checks. x must be contiguous:
    PyTorch reads its storage, which for another layout is not the row-major order."""
    if len(size) != len(stride):
        raise ShapeError(
            f"{op}: mismatch in length of strides and shape: {len(stride)} strides for "
            f"{len(size)} sizes"
        )
    if any(n < 0 for n in size) or any(n < 0 for n in stride) or storage_offset < 0:
        raise ValueRangeError(
            f"{op}: sizes {size}, strides {stride} and storage_offset {storage_offset} "
            "must be non-negative"
        )
    if not x.is_contiguous():
        raise NotImplementedError(
            f"{op}: only a tensor that owns its row-major memory is supported (got shape "
            f"{x.shape}, strides {x.stride()}, offset {x.storage_offset()}); call .clone() "
            "first"
        )
    xp = get_array_module(x._data)
    idx = xp.full(size, storage_offset, dtype=np.int64)
    for k, (n, st) in enumerate(zip(size, stride, strict=True)):
        shape = [1] * len(size)
        shape[k] = n
        idx = idx + (xp.arange(n, dtype=np.int64) * st).reshape(shape)
    if idx.size and int(idx.max()) >= x.numel():
        raise ShapeError(
            f"{op}: sizes {list(size)}, strides {list(stride)} and storage offset "
            f"{storage_offset} need {int(idx.max()) + 1} elements, beyond the {x.numel()} of "
            "the tensor"
        )
    return idx


def as_strided(x: Tensor, size: Any, stride: Any, storage_offset: int = 0) -> Tensor:
    """PyTorch's as_strided on a tensor that owns its row-major memory: element i of the
    result is the flat element `storage_offset + sum(i_k * stride_k)` of x. A view of x,
    as PyTorch's (read-only where elements overlap), differentiable: entries read several
    times get the sum of their gradients, as PyTorch's. A view of other memory
    (non-contiguous, or with a storage offset) raises: PyTorch reads the whole storage
    there, which minigrad does not keep."""
    size, stride = tuple(int(n) for n in size), tuple(int(n) for n in stride)
    if x.storage_offset() != 0:
        raise NotImplementedError(
            "as_strided: only a tensor that owns its row-major memory is supported (got shape "
            f"{x.shape}, strides {x.stride()}, offset {x.storage_offset()}); call .clone() "
            "first"
        )
    idx = strided_index(x, size, stride, storage_offset, "as_strided")
    x._shareable()
    out = AsStrided(size, stride, storage_offset, idx)(x)
    if out._vc is x._vc or _empty_view(x, out):
        _note_view(x, out, WindowStep, (AsStrided(size, stride, storage_offset, idx), "as_strided"))
    if _overlapping(size, stride):
        out.__dict__["_overlapping"] = True  # read-only: named in the refusal of a write
    return out


def _overlapping(size: tuple[int, ...], stride: tuple[int, ...]) -> bool:
    """Whether two elements of an as_strided view may be one memory location: some dim
    with more than one element does not step past everything the smaller strides cover
    (conservative: a layout that interleaves without overlapping counts as overlapping)."""
    reach = 0
    for st, n in sorted((st, n) for st, n in zip(stride, size, strict=True) if n > 1):
        if st <= reach:
            return True
        reach += st * (n - 1)
    return False


class AsStrided(Function):
    """`as_strided` of a tensor that owns its row-major memory: a strided view of it,
    writable where no two elements share a location. Backward adds each element's
    gradient to the flat position it reads (`idx`), summing repeats."""

    uses_inputs = False

    def __init__(self, size: tuple, stride: tuple, offset: int, idx: Any) -> None:
        self.size, self.stride, self.offset, self.idx = size, stride, offset, idx

    def forward(self, x):
        self.x_shape = x.shape
        flat = x.reshape(-1)[self.offset :]  # x owns its row-major memory: views
        strides = tuple(st * flat.itemsize for st in self.stride)
        return _strided(flat, self.size, strides, not _overlapping(self.size, self.stride))

    def backward(self, gy):
        n = math.prod(self.x_shape)
        return reshape(GetItemGrad(self.idx, (n,))(gy), self.x_shape)


def _windows(a: Any, d: int, size: int, step: int) -> Any:
    """Every window of `size` elements along dim d of array a, `step` apart, as a new last
    dim: a strided view of a, writable only where no two windows overlap (step >= size),
    as PyTorch refuses writes through overlapping ones."""
    count = (a.shape[d] - size) // step + 1
    shape = a.shape[:d] + (count,) + a.shape[d + 1 :] + (size,)
    strides = a.strides[:d] + (a.strides[d] * step,) + a.strides[d + 1 :] + (a.strides[d],)
    return _strided(a, shape, strides, not _windows_overlap(a.shape[d], size, step))


def _windows_overlap(n: int, size: int, step: int) -> bool:
    """Whether two of the windows of `size`, `step` apart, along a dim of n share an
    element: more than one window, less than a window apart."""
    return step < size and (n - size) // step > 0


def _strided(a: Any, shape: tuple, strides: tuple, distinct: bool) -> Any:
    """A view of array a's memory with `shape` and byte `strides`, writable (where a is)
    only when its elements are `distinct` locations; CuPy has no read-only arrays."""
    if isinstance(a, np.ndarray):
        writeable = distinct and a.flags.writeable
        return np.lib.stride_tricks.as_strided(a, shape, strides, writeable=writeable)
    return get_array_module(a).lib.stride_tricks.as_strided(a, shape, strides)


class Unfold(Function):
    """`Tensor.unfold`: the windows as a view of x. Backward adds each window's gradient
    back where it came from (UnfoldGrad), summing where windows overlap."""

    uses_inputs = False

    def __init__(self, d: int, size: int, step: int) -> None:
        self.d, self.size, self.step = d, size, step

    def forward(self, x):
        self.x_shape = x.shape
        return _windows(x, self.d, self.size, self.step)

    def backward(self, gy):
        return UnfoldGrad(self.x_shape, self.d, self.size, self.step)(gy)


class UnfoldGrad(Function):
    """Zeros of `shape` with each window's gradient added back: one strided add per offset
    in the window (no loop over the windows themselves)."""

    uses_inputs = False

    def __init__(self, shape: tuple[int, ...], d: int, size: int, step: int) -> None:
        self.shape, self.d, self.size, self.step = shape, d, size, step

    def forward(self, g):
        gx = get_array_module(g).zeros(self.shape, dtype=g.dtype)
        count = g.shape[self.d]
        for k in reversed(range(self.size)):  # PyTorch's order: the same rounding
            at = (slice(None),) * self.d + (slice(k, k + self.step * (count - 1) + 1, self.step),)
            gx[at] += g[..., k]
        return gx

    def backward(self, gg):
        return Unfold(self.d, self.size, self.step)(gg)


class WindowStep(ViewStep):
    """How `unfold`, `as_strided` or `split` (chunk, unbind) made a view: `make(base)` the
    view op, named `name`. Noted so that a change through the view in grad mode is
    checked as any view's (one made under no_grad of a tensor that requires grad is
    refused), but a recorded change is not written through: refused, as PyTorch refuses
    it for the views split returns."""

    __slots__ = ("make", "name")

    def __init__(self, arg: tuple[Any, str]) -> None:
        make, self.name = arg
        # split notes a basic index (a tuple), made a GetItem only here, when needed: the
        # split of an LSTM's gates runs every time step
        self.make = GetItem(make) if isinstance(make, tuple) else make

    def array(self, a: Any) -> Any:
        return self.make.forward(a)

    def apply(self, base: Tensor) -> Tensor:
        return self.make(base)

    def write(self, base: Tensor, value: Tensor) -> None:
        raise RuntimeError(
            f"in-place change, in a graph, through a view made by {self.name} (shape "
            f"{tuple(value.shape)}) of a tensor of shape {base.shape}: minigrad does not write "
            "it through; use the out-of-place op (or make the view of a clone)"
        )


class RefusedView(Function):
    """The history given to a view, made again after a recorded in-place change of its
    base (`Tensor._refresh_aliases`), that PyTorch refuses to use in autograd from then on:
    an output of split, chunk or unbind, or a view made under no_grad of a tensor that
    requires grad. Its values are the new ones; a gradient through it raises."""

    uses_inputs = False

    def __init__(self, view: Any, what: str) -> None:
        self.view, self.what = view, what  # view(array): the view of the base's array

    def forward(self, x):
        return self.view(x)

    def backward(self, gy):
        raise RuntimeError(
            f"{self.what} (shape {tuple(gy.shape)}) is a view whose base, or another view of "
            "it, was changed in place in a graph after it was made: such a view can't be used "
            "in a gradient, as in PyTorch; make the view again after the change, or change a "
            "clone"
        )


def unfold(x: Tensor, d: int, size: int, step: int) -> Tensor:
    """`x.unfold(d, size, step)` for a checked dim d: a view of x, as PyTorch's (a change
    of x is seen through it; a write through it reaches x where windows do not overlap,
    and raises where they do)."""
    x._shareable()
    out = Unfold(d, size, step)(x)
    if out._vc is x._vc or _empty_view(x, out):
        _note_view(x, out, WindowStep, (Unfold(d, size, step), "unfold"))
    if _windows_overlap(x.shape[d], size, step):
        out.__dict__["_overlapping"] = True  # named in the refusal of a write
    return out


def chunk(x: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """PyTorch's chunk: pieces of ceil(n / chunks) along `dim` (fewer pieces when they
    run out); an empty dim gives `chunks` empty pieces, as PyTorch's."""
    chunks = _int_arg("chunk", "chunks", chunks)
    if chunks <= 0:
        raise ValueRangeError(f"chunk: chunks must be a positive int, got {chunks!r}")
    if x.ndim == 0:
        raise ShapeError("chunk: expects at least a 1-dimensional tensor, got a 0-d one")
    d = normalize_dim(dim, x.ndim, "chunk")
    n = x.shape[d]
    if n == 0:
        out = Split([0] * int(chunks), d)(x)
        return out if isinstance(out, tuple) else (out,)
    return split(x, -(-n // int(chunks)), dim)


class Pad(Function):
    uses_inputs = False

    def __init__(self, widths: tuple[tuple[int, int], ...], value: float) -> None:
        self.widths, self.value = widths, value

    def forward(self, x):
        xp = get_array_module(x)
        return xp.pad(x, self.widths, mode="constant", constant_values=self.value)

    def backward(self, gy):
        index = tuple(slice(lo, gy.shape[i] - hi) for i, (lo, hi) in enumerate(self.widths))
        return getitem(gy, index)


def _pad_source(n: int, lo: int, hi: int, mode: str) -> np.ndarray:
    """The source position of each of the n + lo + hi positions of a padded axis."""
    j = np.arange(-lo, n + hi)
    if mode == "reflect":  # the edge value is not repeated: 2 1 | 0 1 2 3 | 2 1
        j = np.abs(j)
        return np.where(j >= n, 2 * (n - 1) - j, j)
    if mode == "replicate":  # 0 0 | 0 1 2 3 | 3 3
        return np.clip(j, 0, n - 1)
    return j % n  # circular: 2 3 | 0 1 2 3 | 0 1


def _pad_by_index(x: Tensor, widths: list[tuple[int, int]], mode: str, pad: Any) -> Tensor:
    """reflect, replicate or circular padding: each padded axis is gathered from source
    positions (the gradient adds back). As PyTorch's, reflect and replicate read a negative
    width as positions of the input itself (reflect (-1, 2) of [0 1 2] is [1 2 1 0]), while
    circular crops first. reflect and replicate give a gradient linked to x with derivative
    zero (`zero_second`), as PyTorch's, whose backward is a kernel of its own; circular,
    composed there of slices, has no link, as here. Neither takes bool, as in PyTorch."""
    source = x
    if mode != "circular":
        if x.dtype == np.bool_:
            name = "reflection" if mode == "reflect" else "replication"
            raise NotImplementedError(
                f"pad: \"{name}_pad{len(pad) // 2}d\" not implemented for 'Bool' (mode={mode!r})"
            )
        x = zero_second(x)
    # a dim left with fewer than 0 elements is refused; PyTorch's 1-d reflect and replicate
    # kernels (two widths) also refuse 0, its 2-d and 3-d ones give an empty result
    least = 1 if mode != "circular" and len(pad) == 2 else 0
    for d, (lo, hi) in enumerate(widths):
        n = x.shape[d]
        if (lo or hi) and n + lo + hi < least:
            raise RuntimeError(
                f"pad: mode={mode!r} padding {pad} leaves dim {d} (of size {n}, input shape "
                f"{x.shape}) {n + lo + hi} elements; the input is too small"
            )
    if mode == "circular" and any(lo < 0 or hi < 0 for lo, hi in widths):
        x = getitem(
            x,
            tuple(
                slice(-min(lo, 0), n + min(hi, 0))
                for n, (lo, hi) in zip(x.shape, widths, strict=True)
            ),
        )
        widths = [(max(lo, 0), max(hi, 0)) for lo, hi in widths]
    xp = get_array_module(x._data)
    for d, (lo, hi) in enumerate(widths):
        if not (lo or hi):
            continue
        n = x.shape[d]
        if n == 0:
            raise RuntimeError(
                f"pad: mode={mode!r} cannot pad dim {d}, of size 0 (padding {pad}, input "
                f"shape {x.shape}): there is no value to repeat"
            )
        # replicate takes any width (the edge repeats); reflect needs widths below the
        # size, circular at most the size, as PyTorch's
        if mode != "replicate" and (max(lo, hi) >= n if mode == "reflect" else max(lo, hi) > n):
            rule = "less than" if mode == "reflect" else "at most"
            raise RuntimeError(
                f"pad: mode={mode!r} needs each padding {rule} the size of its dim, got "
                f"padding {pad} for dim {d} of size {n} (input shape {x.shape})"
            )
        idx = xp.asarray(_pad_source(n, lo, hi, mode))
        x = GetItem((slice(None),) * d + (idx,))(x)
    return fresh(x, source)


class ZeroSecond(Function):
    """x itself, in front of an op whose gradient does not depend on x (a max pool that
    gathers, an average pool or padding by index built from slices and gathers): its
    backward hands on the gradient linked to x with derivative zero (a `ZeroLink` under
    create_graph), as MaxPool2d's is, so that gradient requires grad and differentiating
    it again gives zeros for x, as PyTorch's, not an error."""

    uses_inputs = False

    def forward(self, x):
        return x

    def backward(self, gy):
        return zero_link(gy, self)


def zero_second(x: Tensor) -> Tensor:
    """x through `ZeroSecond` where a graph is recorded through it, else x itself."""
    return ZeroSecond()(x) if x.requires_grad and is_grad_enabled() else x


def check_pad_value(op: str, value: Any, dtype: Any) -> Any:
    """`value` as a padding of `dtype` may take it, as PyTorch's padding checks it: the
    fills' rule (`check_fill_scalar`: 1e6 in float16 is refused), and no negative number
    for an unsigned dtype (where a fill wraps -1 to 255)."""
    check_fill_scalar(op, value, dtype)
    if np.dtype(dtype).kind == "u" and not isinstance(value, Tensor | bool) and value < 0:
        raise ValueRangeError(
            f"{op}: value {value} cannot be converted to {np.dtype(dtype).name} without overflow"
        )
    return value


def pad(
    input: Tensor, pad: tuple[int, ...], mode: str = "constant", value: float | None = None
) -> Tensor:
    """PyTorch's F.pad: `pad` lists (left, right) pairs starting from the last dimension.
    mode 'constant' pads with `value` (any number of dims); 'reflect', 'replicate' and
    'circular' pad the last 1, 2 or 3 dims of an input with one or two dims more (an
    unbatched (C, ...) or a batch (N, C, ...)), as PyTorch's."""
    x = input
    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise NotImplementedError(  # (a RuntimeError, as PyTorch's)
            f"pad: mode must be 'constant', 'reflect', 'replicate' or 'circular', got {mode!r}"
        )
    if not isinstance(pad, tuple | list) or not all(
        _is_int(p) for p in pad
    ):  # F.pad(x, ((k - 1) / 2,) * 2) padded by int(1.5); PyTorch refuses
        got = type(pad).__name__ if not isinstance(pad, tuple | list) else pad
        raise TypeError(f"pad: `pad` must be a tuple of ints, got {got!r}")
    if len(pad) % 2 or len(pad) // 2 > x.ndim:
        raise ValueRangeError(f"pad: {pad} must hold (left, right) pairs for at most {x.ndim} dims")
    if not len(pad):
        return clone(x)
    widths = [(0, 0)] * x.ndim
    for k in range(len(pad) // 2):
        widths[x.ndim - 1 - k] = (int(pad[2 * k]), int(pad[2 * k + 1]))
    if mode != "constant":
        k = len(pad) // 2
        if k not in (1, 2, 3) or x.ndim not in (k + 1, k + 2):
            raise NotImplementedError(
                f"pad: mode={mode!r} pads the last 1, 2 or 3 dims of an input with one or two "
                f"dims more; got {len(pad)} padding values for an input of shape {x.shape}"
            )
        if value:
            raise RuntimeError(f"pad: mode {mode!r} takes no value argument, got value={value}")
        return _pad_by_index(x, widths, mode, tuple(pad))
    value = 0.0 if value is None else check_pad_value("pad", value, x.dtype)
    if any(lo < 0 or hi < 0 for lo, hi in widths):
        # a negative width crops the input, as PyTorch's narrow, which refuses to crop more
        # than the dim holds even where the padding would make up for it; here the positive
        # part is padded, then sliced
        crop = []
        for d, (lo, hi) in enumerate(widths):
            if x.shape[d] + min(lo, 0) + min(hi, 0) < 0:
                raise ValueRangeError(
                    f"pad: {tuple(pad)} crops dim {d} (of size {x.shape[d]}, input shape "
                    f"{x.shape}) by {-min(lo, 0) - min(hi, 0)} elements; it holds too few"
                )
            n = x.shape[d] + max(lo, 0) + max(hi, 0)
            crop.append(slice(-min(lo, 0), n + min(hi, 0)))
        grown = Pad(tuple((max(lo, 0), max(hi, 0)) for lo, hi in widths), value)(x)
        return getitem(grown, tuple(crop))
    return Pad(tuple(widths), value)(x)


def fresh(out: Tensor, x: Tensor) -> Tensor:
    """`out`, or a copy of it where it is x or a view of x (they share a version counter):
    for ops that give PyTorch's new tensor but reach an identity here (pixel_shuffle(x, 1),
    a same-size interpolate, diff(n=0), a product over a size-1 dim), so that a change of
    the result does not reach x."""
    return clone(out) if out._vc is x._vc else out


class Clone(Function):
    uses_inputs = False

    def forward(self, x):
        return x.copy()

    def backward(self, gy):
        return gy


def clone(x: Tensor) -> Tensor:
    """A copy of x on its own storage; the gradient passes through unchanged."""
    return Clone()(x)


class Cast(Function):
    uses_inputs = False

    def __init__(self, dtype: Any) -> None:
        self.dtype = dtype

    def forward(self, x):
        self.x_dtype = x.dtype
        with np.errstate(over="ignore"):  # float64 -> float32 beyond its range is inf
            return x.astype(self.dtype)

    def backward(self, gy):
        return cast(gy, self.x_dtype)


def cast(x: Tensor, dtype: Any) -> Tensor:
    """x as `dtype`; differentiable between float dtypes, cut from the graph otherwise (an
    integer or bool tensor cannot require grad)."""
    dtype = np.dtype(dtype)
    if x.dtype == dtype:
        return x
    if dtype.kind not in "fc":
        with fp_ignored():  # NaN or inf to an integer: NumPy's value, without its warning
            return Tensor._make(x._data.astype(dtype), False)
    return Cast(dtype)(x)


class Move(Function):
    """Copy to another device; the gradient travels back."""

    uses_inputs = False

    def __init__(self, device: str) -> None:
        self.device = device

    def forward(self, x):
        self.x_device = "cuda" if type(x).__module__.startswith("cupy") else "cpu"
        return to_device(x, self.device)

    def backward(self, gy):
        return move(gy, self.x_device)


def move(x: Tensor, device: str) -> Tensor:
    if x.device == device:
        return x
    return Move(device)(x)


class Repeat(Function):
    """Tile x `reps` times along each dim (x already has len(reps) dims). The gradient sums
    the tiles: gy viewed as (r0, n0, r1, n1, ...) summed over the r axes."""

    uses_inputs = False

    def __init__(self, reps: tuple[int, ...]) -> None:
        self.reps = reps

    def forward(self, x):
        self.x_shape = x.shape
        return get_array_module(x).tile(x, self.reps)

    def backward(self, gy):
        split_shape = tuple(v for r, n in zip(self.reps, self.x_shape, strict=True) for v in (r, n))
        tiles = tuple(range(0, 2 * len(self.reps), 2))
        return reshape(gy, split_shape).sum(dim=tiles) if tiles else gy


def repeat(x: Tensor, sizes: tuple[int, ...]) -> Tensor:
    """PyTorch's Tensor.repeat: a copy tiled `sizes[i]` times along dim i; extra leading
    sizes add new dims."""
    try:  # ints, or what stands for one (a 0-d integer tensor); not floats or bools
        if any(isinstance(s, bool) for s in sizes):
            raise TypeError
        sizes = tuple(operator.index(s) for s in sizes)
    except TypeError:
        why = f"repeat(): argument 'repeats' must be a tuple of ints, got {sizes!r}"
        raise TypeError(why) from None
    if len(sizes) < x.ndim:
        raise RuntimeError(
            f"repeat: number of repeat dims ({len(sizes)}) can not be smaller than the "
            f"number of dims of the tensor ({x.ndim}, shape {x.shape})"
        )
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"repeat: repeats must be non-negative, got {sizes}")
    x = reshape(x, (1,) * (len(sizes) - x.ndim) + x.shape)
    return Repeat(sizes)(x)


class TakeAlong(Function):
    """x's elements at `index` along one dim (take_along_axis). Each index appears once per
    slice (a sort order), so the gradient is a plain scatter, and vice versa."""

    uses_inputs = False

    def __init__(self, index: Any, dim: int, shape: tuple[int, ...]) -> None:
        self.index, self.dim, self.shape = index, dim, shape

    def forward(self, x):
        return get_array_module(x).take_along_axis(x, self.index, axis=self.dim)

    def backward(self, gy):
        return PutAlong(self.index, self.dim, self.shape)(gy)


class PutAlong(Function):
    """gy scattered into zeros of `shape` at `index` along one dim: TakeAlong's adjoint."""

    uses_inputs = False

    def __init__(self, index: Any, dim: int, shape: tuple[int, ...]) -> None:
        self.index, self.dim, self.shape = index, dim, shape

    def forward(self, gy):
        xp = get_array_module(gy)
        gx = xp.zeros(self.shape, dtype=gy.dtype)
        # put_along_axis spelled as a fancy index (CuPy lacks it): aranges on the other dims
        where = [
            xp.arange(n).reshape([-1 if i == j else 1 for j in range(gy.ndim)])
            for i, n in enumerate(gy.shape)
        ]
        where[self.dim] = self.index
        gx[tuple(where)] = gy
        return gx

    def backward(self, ggx):
        return TakeAlong(self.index, self.dim, self.shape)(ggx)


def _sort_order(a: Any, d: int, descending: bool) -> Any:
    """Stable argsort along d. NaN sorts above everything, as in PyTorch: last ascending,
    first descending. Descending order is a stable ascending sort of the reversed array,
    read backwards, so ties keep their original order."""
    xp = get_array_module(a)
    if not descending:
        return xp.argsort(a, axis=d, kind="stable")
    n = a.shape[d]
    rev = xp.flip(a, axis=d)
    order = xp.flip(xp.argsort(rev, axis=d, kind="stable"), axis=d)
    return n - 1 - order


def _sorted_pair(x: Tensor, order: Any, d: int, kind: type) -> Any:
    order = order.astype(np.int64, copy=False)
    values = TakeAlong(order, d, x.shape)(x)
    return kind(values, Tensor._make(order, False))


def sort(
    x: Tensor, dim: int = -1, descending: bool = False, stable: bool = False
) -> return_types.sort:
    """PyTorch's sort: (values, indices) along `dim`, differentiable in values. Always
    stable (PyTorch allows any order of ties when stable=False); NaN counts as largest."""
    ordered(x.dtype, "sort")
    if x.ndim == 0:
        normalize_dim(dim, 0, "sort")  # one int: a tuple is a TypeError, as in PyTorch
        zero = get_array_module(x._data).zeros((), np.int64)
        return return_types.sort(clone(x), Tensor._make(zero, False))
    d = normalize_dim(dim, x.ndim, "sort")
    return _sorted_pair(x, _sort_order(x._data, d, descending), d, return_types.sort)


def topk(
    x: Tensor,
    k: int,
    dim: int = -1,
    largest: bool = True,
    sorted: bool = True,  # noqa: A002
) -> return_types.topk:
    """PyTorch's topk: the k largest (or smallest) elements along `dim` and their indices,
    differentiable in values. Always returned sorted (`sorted=False` allows any order);
    NaN counts as largest; among ties the order differs from PyTorch's unspecified one."""
    if x.dtype.kind == "b":
        raise RuntimeError("topk does not support bool dtypes (as in PyTorch); use .int()")
    ordered(x.dtype, "topk")
    k = _int_arg("topk", "k", k)
    n = x.shape[normalize_dim(dim, x.ndim, "topk")] if x.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError(f"topk: selected index k={k} out of range for a dim of size {n}")
    if x.ndim == 0:
        return return_types.topk(*sort(x, dim))
    d = normalize_dim(dim, x.ndim, "topk")
    order = _sort_order(x._data, d, largest)
    index = [slice(None)] * x.ndim
    index[d] = slice(0, k)
    return _sorted_pair(x, order[tuple(index)], d, return_types.topk)


__all__ = [
    "cast",
    "cat",
    "chunk",
    "clone",
    "expand",
    "flatten",
    "getitem",
    "move",
    "normalize_index",
    "pad",
    "permute",
    "repeat",
    "reshape",
    "sort",
    "split",
    "squeeze",
    "stack",
    "topk",
    "transpose",
    "unsqueeze",
]
