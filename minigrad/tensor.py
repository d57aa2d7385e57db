"""Tensor: an n-d array (NumPy or CuPy) plus what autograd needs to know about it.

`_data` is the array, `grad` the accumulated gradient (a Tensor), `creator` the Function
that made it (None for leaves), `generation` its depth in the graph, `_version` a counter
that in-place changes bump so a backward that needs the old value can refuse. Views and
`detach()` share their base's counter (`_vc`), so a change through any alias is seen.
Operators are one-line calls into `minigrad.ops`.
"""

from __future__ import annotations

import copy
import functools
import inspect
import math
import numbers
import os
import sys
import warnings
import weakref
from typing import Any

import numpy as np

from . import autograd, random
from .backend import (
    Array,
    as_numpy,
    cupy_module,
    default_complex,
    default_float,
    device_of,
    fp_ignored,
    get_array_module,
    is_cupy_array,
    normalize_device,
    set_default_float,
    to_device,
)
from .errors import (
    DtypeError,
    IntegerDivisionByZero,
    ShapeError,
    ValueRangeError,
    broadcast_errors,
    warn_user,
)

# NumPy's dtype objects, as `Tensor.dtype` gives them: so `x.dtype is mg.float16` and
# `x.dtype in {mg.float16, mg.float32}` hold as in PyTorch (NumPy's scalar types compare
# equal to them but hash apart, so a set or dict of those missed every tensor's dtype)
float16 = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int8 = np.dtype(np.int8)
int16 = np.dtype(np.int16)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
uint8 = np.dtype(np.uint8)
uint16 = np.dtype(np.uint16)  # (PyTorch's unsigned dtypes beyond uint8 have few ops)
uint32 = np.dtype(np.uint32)
uint64 = np.dtype(np.uint64)
bool_ = np.dtype(np.bool_)


class _NoBFloat16:
    """`minigrad.bfloat16`: a name PyTorch programs read even when they never use it
    (nanoGPT's `{'float32': torch.float32, 'bfloat16': torch.bfloat16, ...}[dtype]`).
    NumPy has no bfloat16, so any use as a dtype raises a TypeError saying so: NumPy reads
    an object's `.dtype` when it is given one as a dtype, and this one refuses."""

    @property
    def dtype(self) -> Any:
        raise TypeError(
            "minigrad has no bfloat16 dtype (NumPy has none): use float32, or float16 for "
            "half precision"
        )

    def __repr__(self) -> str:
        return "minigrad.bfloat16"

    def __reduce__(self) -> str:
        return "bfloat16"  # pickles by name: the one instance

    itemsize = 2  # PyTorch's, for size tables that never use the dtype

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # Python's own probes (copy, pickle): plain
            raise AttributeError(name)
        raise AttributeError(
            f"minigrad.bfloat16 has no attribute {name!r}: minigrad has no bfloat16 dtype "
            "(NumPy has none), only the name; use float32, or float16 for half precision"
        )


bfloat16 = _NoBFloat16()


# what a comparison takes besides Tensors and NumPy scalars (CuPy arrays are tested apart)
_COMPARABLE = (int, float, complex, np.ndarray)


class OperandTypeError(TypeError):
    """A comparison's operand that is neither a Tensor nor a number: the named comparisons
    (eq, lt, ...) raise it, the operators turn it into NotImplemented."""


def _to_array(data: Any, dtype: Any = None, device: str | None = None) -> Array:
    """Array from data, with PyTorch's dtype rule: Python floats take the default float
    dtype, float32 unless `set_default_dtype` changed it (complex numbers complex64, or
    complex128 beside a float64 default), arrays keep theirs."""
    if isinstance(data, Tensor):
        data = data._data
    is_array = True
    if is_cupy_array(data):
        arr = data
    else:
        is_array = isinstance(data, np.ndarray | np.generic)
        wide, loose = None, True
        if isinstance(data, list | tuple):
            data, wide, loose = _scan(data)
        try:
            arr = np.asarray(data)
        except ValueError:
            _ragged(data)
            raise
        if arr.dtype.kind not in "biufc":
            arr = _not_numbers(arr, is_array, data, dtype)
        elif not is_array and (
            arr.dtype == np.uint64
            or (arr.dtype == np.float64 and arr.size and wide is None and not loose)
        ):  # a Python int beyond int64 (NumPy makes ints beside one a float64, or uint64)
            arr = _big_ints(data, dtype)
        if dtype is None and not is_array:
            # Python floats take the default float, complex numbers the default complex
            # (complex64), as PyTorch's, unless an element's own dtype is wider; without
            # Python floats, the elements' own widest dtype
            if arr.dtype in (np.float64, np.complex128) or (
                wide is not None and not loose and arr.dtype != wide and arr.dtype.kind in "fc"
            ):  # NumPy widens int16 + float16 to float32; PyTorch keeps float16
                complex_ = arr.dtype.kind == "c"
                default = default_complex() if complex_ else default_float()
                if wide is None:
                    want = default
                elif loose:
                    want = np.result_type(default, wide)
                else:
                    want = np.result_type(wide, np.complex64) if complex_ else wide
                arr = arr.astype(want, copy=False) if complex_ else _narrowed(arr, want)
    if is_array:
        _check_native(arr)
    if dtype is not None:
        dtype = np.dtype(dtype)
        if not is_array and dtype.kind in "iu" and arr.dtype.kind in "iuf" and arr.size:
            _check_int_range(arr, dtype)
        if not is_array and arr.dtype.kind == "c" and dtype.kind not in "cb" and arr.size:
            raise TypeError(f"must be real number, not complex (a {dtype} tensor of {data!r})")
        if not is_array and dtype == np.uint64 and arr.dtype.kind == "f" and loose:
            raise TypeError(
                f"an integer is required: a uint64 tensor takes no Python floats ({data!r}), "
                "as PyTorch's"
            )
        arr = _narrowed(arr, dtype)
    if device is not None and device_of(arr) != normalize_device(device):
        arr = to_device(arr, device)
    return arr


_SUPPORTED = (
    "float64, float32, float16, complex64, complex128, int64, int32, int16, int8, uint64, "
    "uint32, uint16, uint8, and bool"
)


def _check_native(arr: np.ndarray) -> None:
    """A NumPy array's dtype as tensors take it, else refused as PyTorch refuses it:
    longdouble by name, another byte order with PyTorch's ValueError (a '>f4' tensor
    compared unequal to float32 and failed in backward)."""
    if arr.dtype.itemsize > (16 if arr.dtype.kind == "c" else 8):
        _not_numbers(arr, True)
    if not arr.dtype.isnative:
        raise ValueError(
            f"given numpy array has byte order different from the native byte order (dtype "
            f"{arr.dtype.str}). Conversion between byte orders is currently not supported: "
            "convert it first with array.astype(array.dtype.newbyteorder('='))"
        )


def _not_numbers(
    arr: np.ndarray, is_array: bool, data: Any = None, dtype: Any = None
) -> np.ndarray:
    """Python numbers NumPy kept as objects (an int beyond int64 beside floats: PyTorch's
    float result), else refuse what is not numbers, as PyTorch: a NumPy array of objects,
    strings or dates (TypeError naming its type), an int beyond int64 alone (ValueError),
    a list holding None or another object (RuntimeError), a string (TypeError; strings in
    a list, ValueError). NumPy would make an object array that fails later, far away."""
    if is_array:
        raise TypeError(
            f"can't convert np.ndarray of type numpy.{arr.dtype.type.__name__}. "
            f"The only supported types are: {_SUPPORTED}."
        )
    if arr.dtype.kind in "US":
        if arr.ndim == 0:
            raise TypeError("new(): invalid data type 'str'")
        raise ValueError("too many dimensions 'str'")  # PyTorch's words for a string list
    values = list(arr.flat)
    bad = [v for v in values if not isinstance(v, _NUMBER_TYPES)]
    if not bad:  # numbers only: an int too large for int64 made them objects
        complex_ = any(isinstance(v, complex | np.complexfloating) for v in values)
        if (
            dtype is None
            and not complex_
            and any(isinstance(v, float | np.floating) for v in values)
        ):
            return arr.astype(np.float64)
        return _big_ints(data, dtype)
    raise RuntimeError(f"Could not infer dtype of {type(bad[0]).__name__}")


_NUMBER_TYPES = (bool, int, float, complex, np.number, np.bool_)


def _flat_numbers(data: Any) -> list:
    """The numbers of a nested list, in order."""
    if isinstance(data, list | tuple):
        return [v for x in data for v in _flat_numbers(x)]
    if isinstance(data, np.ndarray | np.generic):
        return np.ravel(data).tolist()
    return [data]


def _big_ints(data: Any, dtype: Any) -> np.ndarray:
    """Python numbers holding an int beyond int64, as PyTorch reads them: into a float,
    complex or bool `dtype` (or beside a complex number without one) as those values,
    into uint64 when they fit it; else PyTorch's errors, naming the value (NumPy's int64
    would overflow)."""
    values = _flat_numbers(data)
    big = next(v for v in values if isinstance(v, int) and not -(2**63) <= v < 2**63)
    kind = None if dtype is None else np.dtype(dtype).kind
    if kind is None and any(isinstance(v, complex) for v in values):
        kind = "c"
    if kind in ("f", "c", "b"):
        wide = {"f": np.float64, "c": np.complex128, "b": np.bool_}[kind]
        try:
            return np.asarray(data, dtype=wide)
        except OverflowError:
            raise OverflowError(f"int too large to convert to float: {big}") from None
    if np.dtype(dtype or np.int64) == np.uint64:
        if any(isinstance(v, float) for v in values):
            raise TypeError(f"an integer is required: a uint64 tensor of {data!r}")
        bad = next((v for v in values if isinstance(v, int) and not 0 <= v < 2**64), None)
        if bad is not None:
            why = "can't convert negative int to unsigned" if bad < 0 else "int too big to convert"
            raise OverflowError(f"{why}: {bad} into uint64")
        return np.asarray(data, dtype=np.uint64)
    raise ValueError(
        f"Overflow when unpacking long long: {big} is beyond int64 (give dtype=uint64, or a "
        "float dtype, to hold it)"
    )


_F32_MAX = float(np.finfo(np.float32).max)
_INT_RANGE = {
    np.dtype(t).char: (int(np.iinfo(t).min), int(np.iinfo(t).max))
    for t in (np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64)
}


def _setitem_number(value: Any, dtype: Any) -> Any:
    """A number written into a tensor by `t[i] = value`, checked as PyTorch's fill: NaN,
    inf or an out-of-range number into an integer dtype, or a finite number beyond
    float32's range, is a ValueRangeError (NumPy raised ValueError or OverflowError, or
    wrote inf); a negative int wraps into an unsigned dtype (-1 is 255 in uint8), and
    float16 takes inf for a number beyond its range, as PyTorch's."""
    kind = dtype.kind
    if kind == "f":  # the common cases first, without the general check
        # float64 takes any number and float16 inf; NaN and inf fill float32 too
        if dtype.itemsize != 4 or -_F32_MAX <= value <= _F32_MAX or not math.isfinite(value):
            return value
    elif kind in "iu" and type(value) is int:
        low, high = _INT_RANGE[dtype.char]
        if low <= value <= high:
            return value
    elif kind not in "iu":
        return value
    value = check_fill_scalar("__setitem__", value, dtype)
    if dtype.kind == "u" and value < 0:
        value = int(value) % (1 << (8 * dtype.itemsize))
    return value


_NO_GRAD_VIEW = (
    "in-place change, in grad mode, of a view (shape {shape}) that was made under no_grad, "
    "as PyTorch refuses it: make the view outside no_grad, or change it under no_grad"
)


def _address(a: Any) -> int:
    """The address of an array's first element (NumPy or CuPy)."""
    return int(a.data.ptr) if is_cupy_array(a) else int(a.__array_interface__["data"][0])


def _array_key(a: Any) -> tuple:
    """What tells two arrays are the same view of the same memory."""
    return (_address(a), a.shape, a.strides, str(a.dtype))


def _lay_out_as(out: Any, old: Any) -> None:
    """Give tensor `out` the memory layout of array `old` (same shape, dense), in a copy
    if it has another: views of old made again from out then share its memory."""
    a = out._data
    if a.strides == old.strides or a.shape != old.shape:
        return
    laid = get_array_module(a).empty_like(old)  # (order 'K': old's strides, old being dense)
    laid[...] = a
    out._data = laid


def _index_in(a: Any, base: Any) -> tuple[int, ...] | None:
    """The index in `base`, a dense array, of the first element of array a, when a lies
    in base's memory with non-negative strides that stay inside it; else None."""
    if a.dtype != base.dtype or not a.size or not base.size or min(a.strides, default=0) < 0:
        return None
    rest = _address(a) - _address(base)
    last = rest + sum((n - 1) * s for n, s in zip(a.shape, a.strides, strict=True))
    if rest < 0 or last + a.itemsize > base.nbytes:
        return None
    index = [0] * base.ndim
    for d in sorted(range(base.ndim), key=lambda d: -base.strides[d]):
        if base.shape[d] > 1:  # (a size-1 dim's stride is any number)
            index[d], rest = divmod(rest, base.strides[d])
    if rest or any(i >= n for i, n in zip(index, base.shape, strict=True)):
        return None
    return tuple(index)


class _Unbiased:
    """The default of var's and std's `unbiased` (true), told apart from an explicit True:
    PyTorch refuses `unbiased` given together with `correction`."""

    def __bool__(self) -> bool:
        return True

    def __repr__(self) -> str:
        return "True"


_UNBIASED = _Unbiased()


def _correction(op: str, dim: Any, unbiased: Any, correction: Any) -> tuple[Any, Any]:
    """(dim, correction) of var, std, var_mean or std_mean: `op(x, False)` is PyTorch's
    `unbiased` overload; `unbiased` and `correction` together are a TypeError, as in
    PyTorch (the one given was silently preferred)."""
    if isinstance(dim, bool):
        if unbiased is not _UNBIASED:
            raise TypeError(f"{op}() received both an unbiased flag as dim ({dim}) and unbiased")
        dim, unbiased = None, dim
    if correction is None:
        return dim, 1 if unbiased else 0
    if unbiased is not _UNBIASED:
        raise TypeError(
            f"{op}() received an invalid combination of arguments: unbiased={unbiased!r} and "
            f"correction={correction!r}; give only one of them"
        )
    return dim, correction


def _is_int(i: Any) -> bool:
    """An int, NumPy's or Python's, and not a bool (where PyTorch wants an int, a float or
    a bool is a TypeError: pixel_shuffle(x, 1.5) would run as a factor of 1)."""
    return isinstance(i, int | np.integer) and not isinstance(i, bool | np.bool_)


def _int_arg(op: str, name: str, value: Any) -> int:
    """`value` as an int, refused (TypeError, as PyTorch's) where it is a float, a bool or
    None: pixel_shuffle(x, 1.5) ran as a factor of 1, narrow(1, 0.5, 2) from 0. A 0-d
    integer tensor counts as its value, as in PyTorch."""
    if type(value) is int:
        return value
    if _is_int(value):
        return int(value)
    if isinstance(value, Tensor) and value.dtype.kind in "iu" and value.ndim == 0:
        return int(value.item())
    raise TypeError(
        f"{op}(): argument '{name}' must be int, not {type(value).__name__} ({value!r:.40})"
    )


def _int_tuple(value: Any, op: str, name: str) -> tuple[int, ...]:
    """An int, or a tuple or list of them, as a tuple of ints (`_int_arg` for each)."""
    if isinstance(value, tuple | list):
        return tuple(_int_arg(op, name, v) for v in value)
    return (_int_arg(op, name, value),)


# what copy.deepcopy and pickle leave out (Tensor.__getstate__)
_NOT_COPIED = frozenset(
    (
        "_view_of",
        "_data_alias",
        "_refresh",
        "_keep_layout",
        "_custom_view",
        "_data_aliases",
        "_data_of",
        "_shared",  # a shared-memory block (minigrad.multiprocessing): a copy has its own
        "_grad_dtype",  # as PyTorch's deepcopy and pickle, which give the default back
    )
)

# how many views deep a view still notes its base (ops.shape._note_view): `x = x.view(..)`
# in a loop would otherwise keep every earlier view alive
VIEW_DEPTH = 32


def _check_index_put_dtype(index: Any, value: Tensor, dtype: Any) -> None:
    """PyTorch's index_put refuses a tensor value of another dtype (`ints[idx] = floats`
    would truncate 1.7 to 1) behind an integer index tensor or list; a basic index (a 0-d
    integer tensor counts as one) casts, and so does one bool mask given one value (written
    by masked_fill). Two masks are no masked_fill, and a 0-d bool tensor, or a bool in a
    tuple (`x[0, True]`), is an integer index tensor there ([0] or []): both refuse."""
    masks, integers = 0, False
    for i in index if isinstance(index, tuple) else (index,):
        if isinstance(i, Tensor):
            a = i._data
        elif isinstance(i, list | np.ndarray) or is_cupy_array(i):
            a = np.asarray(i) if isinstance(i, list) else i
        else:  # an int, a slice, None or ...; a lone bool is basic (`x[True] = v` casts)
            integers = integers or (type(i) is bool and isinstance(index, tuple))
            continue
        if a.dtype.kind == "b" and a.ndim:
            masks += 1
        elif a.ndim or a.dtype.kind == "b":
            integers = True
    if integers or masks > 1 or (masks and value.numel() != 1):
        raise DtypeError(
            f"__setitem__: Index put requires the source and destination dtypes match, got "
            f"{dtype} for the destination and {value.dtype} for the source"
        )


def _is_byte(i: Any) -> bool:
    return isinstance(i, Tensor | np.ndarray) and i.dtype == np.uint8


def check_byte_mask_fill(op: str, index: Any, value: Any, shape: tuple, *, put: bool) -> None:
    """PyTorch writes a single value through a lone mask index with `masked_fill_`, which
    takes bool masks only, so `x[uint8_mask] = 0` and `index_put_((uint8_mask,), v)` are
    refused there (a value of several elements is written through the mask read as bool,
    with the deprecation warning). In `t[...] =` (`put` False) a 0-d tensor is no tensor
    index (an int, or True/False) and a Python bool is one; in index_put every entry is."""
    entries = index if isinstance(index, tuple | list) else (index,)
    if not any(_is_byte(i) for i in entries):  # the common case: one scan, no more
        return
    from .ops.shape import _sequence_as_tuple, check_masks

    if isinstance(index, list) and not _sequence_as_tuple(index):
        return  # a list of tensors read as one integer index
    tensors = [
        i
        for i in entries
        if isinstance(i, list | tuple | bool)
        or (isinstance(i, Tensor | np.ndarray) and (put or i.ndim))
    ]
    if len(tensors) != 1 or not _is_byte(tensors[0]):
        return
    if isinstance(value, Tensor | np.ndarray):
        if (value.size if isinstance(value, np.ndarray) else value.numel()) != 1:
            return
    elif not isinstance(value, numbers.Number | np.generic):
        return
    mask = tensors[0]
    as_bool = (mask._data if isinstance(mask, Tensor) else mask).astype(bool)
    check_masks(tuple(as_bool if i is mask else i for i in entries), shape)  # its IndexError
    raise RuntimeError(
        f"{op}: masked_fill_ only supports boolean masks, but got mask with dtype unsigned "
        f"char (uint8, shape {tuple(mask.shape)}): one value written through a lone mask "
        "goes to masked_fill_, as in PyTorch; index with mask.bool()"
    )


def _without_leading_ones(shape: tuple[int, ...]) -> tuple[int, ...]:
    """`shape` less its leading 1s: what PyTorch writes with `t[index] = value` (a value of
    shape (1,) or (1, 1) fills a single element; broadcasting puts the 1s back elsewhere)."""
    k = 0
    while k < len(shape) and shape[k] == 1:
        k += 1
    return tuple(shape[k:])


def _narrowed(arr: np.ndarray, dtype: Any) -> np.ndarray:
    """`arr` in `dtype`; a float too large for float16 becomes inf without NumPy's
    "overflow encountered in cast" warning, as PyTorch's `tensor(1e5, dtype=float16)` (and
    `half_tensor + 1e5`) does. Only for float16, where such numbers are common: the
    warning filter costs a microsecond, too much for every float32 tensor made."""
    if dtype is np.float16 or dtype == np.float16:
        with np.errstate(over="ignore"):
            return arr.astype(dtype, copy=False)
    return arr.astype(dtype, copy=False)


def _check_int_range(arr: np.ndarray, dtype: np.dtype) -> None:
    """Python numbers that do not fit integer `dtype` are refused, as PyTorch refuses them
    (NumPy would wrap 256 to 0 in uint8)."""
    info = np.iinfo(dtype)
    if arr.dtype.kind == "f" and not bool(np.isfinite(arr).all()):  # NaN became int64 min
        bad = arr[~np.isfinite(arr)].flat[0]
        raise RuntimeError(f"value cannot be converted to type {dtype} without overflow: {bad}")
    lo, hi = int(arr.min()), int(arr.max())  # exact: 2.0**63 equals float(int64's max)
    if lo < info.min or hi > info.max:
        bad = lo if lo < info.min else hi
        raise RuntimeError(f"value cannot be converted to type {dtype} without overflow: {bad}")


_PLAIN = frozenset((float, int, bool))


def _scan(data: list | tuple) -> tuple[Any, Any, bool]:
    """A nested list as NumPy should read it: each Tensor, which must hold one element,
    replaced by its (CPU) 0-d array, so `tensor([t1, t2])` gives their values, as in
    PyTorch (a (1,) tensor too); the widest float or complex dtype of its arrays, NumPy
    scalars and tensors (None without any); and whether it holds a Python float or complex
    number. PyTorch's result takes that widest dtype, or the default float where Python
    floats are there and the default is wider (float64 and complex128 elements keep their
    width; ints beside float32 tensors give float32). Lists of plain numbers are passed
    over at C speed."""
    types = set(map(type, data))
    if types <= _PLAIN:
        return data, None, float in types
    out, changed, wide, loose = [], False, None, bool(types & {float, complex})
    for x in data:
        if isinstance(x, Tensor) and x._data.size != 1 and isinstance(data[0], list | tuple):
            # after a list, PyTorch reads a tensor as a sequence too: [[1.5, 2.], ones(2)]
            x, changed = as_numpy(x._data), True
        elif isinstance(x, Tensor):
            if x._data.size != 1:  # PyTorch reads each as a Python scalar
                raise ValueError(
                    f"tensor(): a list may hold only one-element tensors (read as numbers), "
                    f"got one of shape {x.shape}; use stack() or cat() to join tensors"
                )
            x, changed = as_numpy(x._data).reshape(()), True
        elif isinstance(x, list | tuple):
            y, w, lo = _scan(x)
            changed, x, loose = changed or y is not x, y, loose or lo
            if w is not None:
                wide = w if wide is None or w == wide else np.result_type(wide, w)
        dtype = getattr(x, "dtype", None)  # (np.dtype == None compares to float64: test None first)
        if dtype is not None and dtype.kind in "fc":
            wide = dtype if wide is None or dtype == wide else np.result_type(wide, dtype)
        out.append(x)
    return (out if changed else data), wide, loose


def _ragged(data: Any, dim: int = 0) -> None:
    """Raise PyTorch's message for a nested list whose rows differ in length (NumPy's
    "inhomogeneous shape" otherwise)."""
    if not isinstance(data, list | tuple) or not data:
        return
    first = data[0]
    rows = list | tuple | np.ndarray  # (an array: a tensor after a list, read as a row)
    n = len(first) if isinstance(first, list | tuple) else None
    for x in data:
        if isinstance(x, np.ndarray) and x.ndim == 0:
            x = None  # a 0-d array is a number
        if isinstance(x, rows) != (n is not None):
            raise TypeError(
                "not a sequence" if n is not None else "tensor(): a list mixes numbers and lists"
            )
        if n is not None and len(x) != n:
            raise ValueError(f"expected sequence of length {n} at dim {dim + 1} (got {len(x)})")
    for x in data:
        _ragged(x, dim + 1)


class VersionCounter:
    """How many in-place changes a storage has seen; shared by a tensor and its views."""

    __slots__ = ("value", "__weakref__")  # a graph node checks it through a weak reference

    def __init__(self, value: int = 0) -> None:
        self.value = value


class RemovableHandle:
    """What every `register_*hook` returns (tensors', modules', optimizers'), as PyTorch's
    `torch.utils.hooks.RemovableHandle`: `remove()` unregisters the hook from each store it
    went into; usable as a context manager that removes it on exit."""

    _next_id = 0

    def __init__(self, hooks: dict[int, Any], *extra: dict[int, Any]) -> None:
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1
        self._stores = (hooks, *extra)

    def remove(self) -> None:
        for store in self._stores:
            store.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _old_overload(name: str, old: str, new: str) -> None:
    """PyTorch's warning for a deprecated argument order it still accepts, such as
    `ema.add_(1 - decay, p)` (the number first), which older GAN code uses."""
    frame, level = sys._getframe(1), 2  # point the warning at the user's line
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame, level = frame.f_back, level + 1
    warnings.warn(
        f"This overload of {name} is deprecated:\n\t{name}({old})\nConsider using one of "
        f"the following signatures instead:\n\t{name}({new})",
        UserWarning,
        stacklevel=level,
    )


def _scale_first(name: str, args: tuple, value: Any) -> tuple:
    """addcmul/addcdiv's arguments (tensor1, tensor2, value) from either PyTorch order:
    (tensor1, tensor2, value=v) or the deprecated (v, tensor1, tensor2)."""
    if len(args) == 3:
        _old_overload(
            name,
            "Number value, Tensor tensor1, Tensor tensor2",
            "Tensor tensor1, Tensor tensor2, *, Number value = 1",
        )
        return args[1], args[2], args[0]
    if len(args) != 2:
        raise TypeError(f"{name}() takes 2 tensors (tensor1, tensor2), got {len(args)} arguments")
    return args[0], args[1], value


def _addc_keywords(name: str, tensors: tuple, tensor1: Any, tensor2: Any) -> tuple:
    """addcmul/addcdiv's two tensors given by position, by PyTorch's keywords
    (`x.addcmul(tensor1=a, tensor2=b)`), or the first by position and the second by
    keyword."""
    if tensor1 is not None:
        if tensors:
            raise TypeError(f"{name}() got multiple values for argument 'tensor1'")
        tensors = (tensor1,)
    if tensor2 is not None:
        if len(tensors) != 1:
            raise TypeError(f"{name}() takes tensor2= after exactly one tensor1, got {tensors}")
        tensors = (*tensors, tensor2)
    return tensors


def _addc_args(name: str, x: Tensor, args: tuple, value: Any) -> tuple:
    """addcmul/addcdiv's (tensor1, tensor2, value) with PyTorch's dtype rules: no integer
    division in addcdiv, no bool result, and `value` truncated to an integer result's
    type (addcmul of int64 tensors with value=2.7 scales by 2)."""
    from .ops.elementwise import result_dtype

    tensor1, tensor2, value = _scale_first(name, args, value)
    kinds = [t.dtype.kind if isinstance(t, Tensor) else "f" for t in (tensor1, tensor2)]
    if name.startswith("addcdiv") and all(k in "biu" for k in kinds):
        raise RuntimeError(
            f"{name}: Integer division with addcdiv is no longer supported (tensor1 of "
            f"{tensor1.dtype} and tensor2 of {tensor2.dtype}); use (input + value * "
            "trunc(tensor1 / tensor2)).to(input.dtype) for integer inputs, or float tensors."
        )
    dt = result_dtype(x, tensor1, tensor2)
    if dt.kind == "b":
        raise NotImplementedError(f"\"{name.rstrip('_')}_cpu_out\" not implemented for 'Bool'")
    if dt.kind in "iu":
        value = int(value)
    # in the result's dtype from the start, as PyTorch: two uint8 images multiplied in
    # uint8 wrapped before the float accumulator saw them
    tensor1, tensor2 = (
        t.to(dtype=dt) if isinstance(t, Tensor) and t.dtype != dt else t for t in (tensor1, tensor2)
    )
    return tensor1, tensor2, value


def _addc(x: Tensor, t1: Tensor, t2: Tensor, value: Any, divide: bool) -> Tensor:
    """x + (t1 * value) * t2, or / t2 (PyTorch's order; t1 and t2 already in the result's
    dtype, `_addc_args`). float16 is worked in float32 and rounded once, as PyTorch's
    kernel does: rounding the product to float16 first lost hundreds of ulps where the
    terms cancel (-4 + 0.5 * 2.999 * 2.669 gave 0.0039 for 0.0023)."""
    if t1.dtype == np.float16 and x.dtype == np.float16:  # one float16 node
        return _ops().extra.HalfAddc(value, divide)(x, t1, t2)
    if t1.dtype == np.float16:  # x of another dtype (uint8): promoted in float32
        wide = [t.float() if t.dtype == np.float16 else t for t in (x, t1, t2)]
        return _addc(*wide, value, divide).to(np.float16)
    scaled = t1 * value
    return x + (scaled / t2 if divide else scaled * t2)


class memory_format:  # noqa: N801 - PyTorch's name
    """A memory layout, as PyTorch's `torch.memory_format`: `contiguous_format` (row-major),
    `channels_last` (NHWC order of a 4-d tensor's elements), `channels_last_3d` (NDHWC)
    and `preserve_format`. minigrad's ops take any strides, so a layout changes where the
    elements lie in memory (what `stride()` and `is_contiguous(memory_format=...)` see),
    never a result."""

    def __init__(self, name: str, order: tuple[int, ...] | None) -> None:
        self.name, self.order = name, order  # order: the dims from outermost to innermost

    def __repr__(self) -> str:
        return f"minigrad.{self.name}"


_MemoryFormat = memory_format  # the class, where a parameter takes its name
contiguous_format = memory_format("contiguous_format", None)
legacy_contiguous_format = contiguous_format  # the same object, as in PyTorch
channels_last = memory_format("channels_last", (0, 2, 3, 1))
channels_last_3d = memory_format("channels_last_3d", (0, 2, 3, 4, 1))
preserve_format = memory_format("preserve_format", None)


class layout:  # noqa: N801 - PyTorch's name
    """A tensor layout, as PyTorch's `torch.layout`: minigrad has dense (strided) tensors only."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"minigrad.{self.name}"


strided = layout("strided")


def _check_layout(value: Any) -> None:
    """A factory's `layout`: None or `strided`, the only one minigrad has."""
    if value is not None and value is not strided:
        from .errors import Unsupported

        raise Unsupported(f"layout {value!r}: minigrad has dense (strided) tensors only")


def _factory(fn: Any) -> Any:
    """A factory that also takes PyTorch's `layout=` (None or `strided`, the only layout
    minigrad has) and `pin_memory=False` (pinned host memory is a CUDA feature that minigrad
    does not have: True is refused), both checked and then dropped."""

    @functools.wraps(fn)
    def factory(*args: Any, layout: Any = None, pin_memory: bool = False, **kwargs: Any) -> Any:
        _check_layout(layout)
        if pin_memory:
            from .errors import Unsupported

            raise Unsupported(f"{fn.__name__}: pin_memory=True (minigrad has no pinned memory)")
        return fn(*args, **kwargs)

    sig = inspect.signature(fn)
    extra = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default)
        for name, default in (("layout", None), ("pin_memory", False))
    ]
    factory.__signature__ = sig.replace(parameters=[*sig.parameters.values(), *extra])
    return factory


def _format_order(fmt: Any, ndim: int, op: str) -> tuple[int, ...] | None:
    """The dims of `fmt` from outermost to innermost (None: row-major or as it is); a
    `memory_format=None` is the op's default, as PyTorch's clone and factories take it."""
    if fmt is None:
        return None
    if not isinstance(fmt, memory_format):
        raise TypeError(f"{op}: memory_format must be a minigrad.memory_format, got {fmt!r}")
    if fmt.order is not None and len(fmt.order) != ndim:
        want = "4" if fmt is channels_last else "5"
        raise RuntimeError(f"required rank {want} tensor to use {fmt.name} format")
    return fmt.order


def _in_format(arr: Any, order: tuple[int, ...]) -> Any:
    """The same values, laid out in memory with `order`'s dims outermost to innermost."""
    xp = get_array_module(arr)
    back = tuple(int(i) for i in np.argsort(order))
    return xp.ascontiguousarray(arr.transpose(order)).transpose(back)


class Size(tuple):
    """A shape, as torch.Size: what `x.shape` and `x.size()` return. A tuple of ints with
    `numel()`; slicing it, adding a tuple to it or repeating it gives a Size again, and
    `Tensor(size)` reads it as a shape where `Tensor(tuple)` reads data, as in PyTorch.
    `print` and `repr` show `minigrad.Size([2, 3])`; in an f-string it reads `(2, 3)`."""

    __slots__ = ()

    def numel(self) -> int:
        n = 1
        for k in self:
            n *= int(k)
        return n

    def __getitem__(self, index: Any) -> Any:
        got = tuple.__getitem__(self, index)
        return Size(got) if type(index) is slice else got

    def __add__(self, other: Any) -> Any:
        got = tuple.__add__(self, other)
        return got if got is NotImplemented else Size(got)

    def __radd__(self, other: Any) -> Any:
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple(other) + tuple(self))

    def __mul__(self, n: Any) -> Any:
        got = tuple.__mul__(self, n)
        return got if got is NotImplemented else Size(got)

    __rmul__ = __mul__

    def __repr__(self) -> str:
        return f"minigrad.Size({list(self)})"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        # f"{x.shape}" reads as the tuple "(2, 3)", as every error message shows a shape;
        # print(x.shape) and repr show minigrad.Size([2, 3])
        return format(tuple(self), spec)

    def __reduce__(self) -> Any:
        return (Size, (tuple(self),))


def _legacy_data(args: tuple, dtype: Any) -> Any:
    """What `Tensor(*args)` holds (see Tensor.__init__)."""
    if len(args) == 1:
        data = args[0]
        if isinstance(data, Size) or type(data) is int:
            return np.zeros(tuple(data) if isinstance(data, Size) else (data,), default_float())
        if isinstance(data, list | tuple) and dtype is None:
            return _to_array(data, default_float())
        return data
    if not args:
        return np.zeros((0,), default_float())
    if all(type(a) is int for a in args):
        return np.zeros(args, default_float())
    got = ", ".join(type(a).__name__ for a in args)
    raise TypeError(
        f"Tensor(): expected one data argument (a list, an array, a tensor) or a shape of "
        f"ints, got ({got})"
    )


class Tensor:
    """An n-d array that can record the operations applied to it."""

    __slots__ = (
        "_data",
        "_grad",
        "requires_grad",
        "creator",
        "generation",
        "_out_index",
        "_vc",
        "_hooks",
        "_post_hooks",
        "_retains_grad",
        "__weakref__",
        "__dict__",  # attributes programs set on tensors (`p._no_weight_decay = True`)
    )
    # NumPy defers `ndarray * Tensor` to Tensor.__rmul__ when this is higher than its own.
    __array_priority__ = 1000

    def __init__(
        self, *data: Any, requires_grad: bool = False, dtype: Any = None, device: Any = None
    ) -> None:
        """`Tensor(data)` wraps an array, a tensor's array or a scalar, keeping its dtype
        (the array is not copied). PyTorch's legacy constructor forms work too: a Python
        list or tuple becomes the default float dtype (`Tensor([1, 2])` is float32),
        `Tensor()` is empty, and `Tensor(2, 3)` or `Tensor(mg.Size([2, 3]))` is a default-float
        tensor of that shape (of zeros; PyTorch leaves it uninitialised)."""
        self._data = _to_array(_legacy_data(data, dtype), dtype, device)
        self._grad: Tensor | None = None
        self.requires_grad = bool(requires_grad)
        if self.requires_grad and self._data.dtype.kind not in "fc":
            raise RuntimeError(
                f"only floating-point tensors can require gradients, got {self._data.dtype}"
            )
        self.creator: autograd.Function | None = None
        self.generation = 0
        self._out_index = 0  # which of its creator's outputs it is
        self._vc = VersionCounter()
        self._hooks: dict[int, Any] | None = None
        self._post_hooks: dict[int, Any] | None = None
        self._retains_grad = False

    @classmethod
    def _make(cls, data: Array, requires_grad: bool) -> Tensor:
        """Wrap an array without checks (the hot path of every op)."""
        t = cls.__new__(cls)
        t._data = data
        t._grad = None
        t.requires_grad = requires_grad
        t.creator = None
        t.generation = 0
        t._out_index = 0
        t._vc = VersionCounter()
        t._hooks = None
        t._post_hooks = None
        t._retains_grad = False
        return t

    @property
    def grad(self) -> Tensor | None:
        """The gradient backward accumulated here (leaves, and tensors that retain grad).

        Reading it on a non-leaf that does not retain grad warns, as PyTorch: backward never
        fills it, so the None read there is almost always a mistaken tensor."""
        if self._grad is None and self.creator is not None and not self._retains_grad:
            warn_user(
                f"The .grad attribute of a non-leaf tensor (shape {self.shape}, "
                f"grad_fn={type(self.creator).__name__}) is being accessed; backward does not "
                "populate it. Call .retain_grad() on it before backward if you want its "
                "gradient, or read .grad on the leaf tensor you meant."
            )
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(
                    f"assigned grad must be a Tensor or None, got {type(value).__name__}"
                )
            if value is self:  # the next backward would add into the tensor itself
                raise RuntimeError("can't assign Variable as its own grad (x.grad = x)")
            if value._data.shape != self._data.shape:  # (the arrays' tuples, not Sizes)
                raise RuntimeError(
                    f"attempting to assign a gradient of shape {value.shape} to a tensor of "
                    f"shape {self.shape}; they must be the same"
                )
            if type(value._data) is not type(self._data) and value.device != self.device:
                raise RuntimeError(
                    f"attempting to assign a gradient on {value.device} to a tensor on "
                    f"{self.device}"
                )
            if value.dtype != self.dtype or autograd._grad_dtype_set:
                self._check_grad_dtype(value.dtype)
        self._grad = value

    def _check_grad_dtype(self, dtype: np.dtype) -> None:
        """Refuse a `.grad` of a dtype other than `grad_dtype` (the tensor's own unless set;
        None takes any), as PyTorch: an optimizer would step in the grad's dtype."""
        want = self.__dict__.get("_grad_dtype", self.dtype)
        if want is not None and dtype != want:
            raise RuntimeError(
                f"attempting to assign a gradient of dtype {dtype} to a tensor of "
                f"{'dtype' if want == self.dtype else 'grad_dtype'} {want}; they must be the "
                "same (set the tensor's grad_dtype to another dtype, or to None to allow any)"
            )

    @property
    def grad_dtype(self) -> np.dtype | None:
        """The dtype `.grad` has (PyTorch 2.13's): the tensor's own unless set. Set on a
        leaf, every gradient that flows into it is cast to it, so a float16 parameter can
        accumulate its gradient in float32; None lets `.grad` be assigned any dtype and
        keeps what backward gives."""
        if self.creator is not None:
            raise RuntimeError(
                f"grad_dtype can only be accessed on leaf tensors (this one, of shape "
                f"{self.shape}, was made by {type(self.creator).__name__})"
            )
        return self.__dict__.get("_grad_dtype", self.dtype)

    @grad_dtype.setter
    def grad_dtype(self, value: Any) -> None:
        if self.creator is not None:
            raise RuntimeError(
                f"grad_dtype can only be set on leaf tensors (this one, of shape "
                f"{self.shape}, was made by {type(self.creator).__name__})"
            )
        if value is not None:
            if not _is_dtype(value):
                raise RuntimeError(
                    f"grad_dtype must be a dtype or None, but got {type(value).__name__}"
                )
            value = _as_dtype(value, "grad_dtype")  # (bfloat16: minigrad has none)
            if np.dtype(value).kind not in "fc":  # PyTorch's backward fails on it later
                raise RuntimeError(
                    f"grad_dtype must be a floating point or complex dtype, got {value}: "
                    "gradients would be truncated to it"
                )
            if self._grad is not None and self._grad.dtype != value:
                raise RuntimeError(
                    f"Cannot set grad_dtype to {value} because there is already a gradient "
                    f"with dtype {self._grad.dtype} (shape {self.shape}). Clear the gradient "
                    "(.grad = None) before changing grad_dtype, or keep its dtype"
                )
            autograd.note_grad_dtype()
        self.__dict__["_grad_dtype"] = value

    @property
    def _version(self) -> int:
        return self._vc.value

    @_version.setter
    def _version(self, value: int) -> None:
        self._vc.value = value

    # ------------------------------------------------------------------ properties
    @property
    def data(self) -> Tensor:
        """A tensor on the same storage, outside the graph, as PyTorch's `.data`: changes
        through it reach this tensor but, unlike `detach()`, bump only its own version
        counter, so autograd does not see them. The raw array is `._data`."""
        a = self._data
        out = Tensor._make(self._shareable() if isinstance(a, np.generic) else a, False)
        out.__dict__["_data_alias"] = True  # in-place changes through it are never recorded
        of = self.__dict__.get("_data_of")  # `.data` of a `.data`: kept by that one's tensor
        owner = self if of is None or of() is None else of()
        if "_view_of" in owner.__dict__:  # `.data` of a view: kept by the view's root
            chain = owner._view_chain()
            owner = chain[-1][0] if chain else owner
        if owner.creator is not None or not owner.requires_grad:  # may see a recorded change
            owner.__dict__.setdefault("_data_aliases", weakref.WeakSet()).add(out)
            out.__dict__["_data_of"] = weakref.ref(owner)  # (not its graph kept alive)
        return out

    @data.setter
    def data(self, value: Any) -> None:
        """`t.data = other`: t takes other's values, as PyTorch's: a Tensor's array itself
        (its dtype and shape, shared), or an array or list converted to t's dtype."""
        if isinstance(value, Tensor):
            if self.requires_grad and value.dtype.kind not in "fc":  # an int Parameter
                raise RuntimeError(
                    "data set to a tensor that requires gradients must be floating point or "
                    f"complex dtype, got {value.dtype}"
                )
            self._data = value._data
        else:
            self._data = _to_array(value, self._data.dtype, self.device)
        # new storage: former views (and `.data`s) no longer alias this tensor
        self._vc = VersionCounter(self._version + 1)
        self.__dict__.pop("_data_aliases", None)

    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def device(self) -> device:
        """'cpu' or 'cuda': a `str` with PyTorch's `.type` and `.index` (`x.device.type`)."""
        return _TENSOR_DEVICES[device_of(self._data)]

    @property
    def is_cuda(self) -> bool:
        return self.device == "cuda"

    @property
    def is_leaf(self) -> bool:
        return self.creator is None

    @property
    def grad_fn(self) -> autograd.Function | None:
        return self.creator

    @property
    def T(self) -> Tensor:
        """The dims reversed; on other than 2 dims it warns, as PyTorch (`x.mT` transposes
        the last two, `x.permute(...)` reverses them without a warning)."""
        if self.ndim != 2:
            warn_user(
                "Tensor.T is deprecated on 0-D tensors; it is the identity there"
                if self.ndim == 0
                else f"x.T on a tensor of {self.ndim} dimensions (other than 2) to reverse its "
                "shape is deprecated, as in PyTorch: use x.mT to transpose batches of matrices "
                "or x.permute(*range(x.ndim - 1, -1, -1)) to reverse the dimensions"
            )
        return self.permute(*reversed(range(self.ndim)))

    def size(self, dim: int | None = None) -> Any:
        return Size(self._data.shape) if dim is None else self._data.shape[dim]

    def numel(self) -> int:
        return int(self._data.size)

    def dim(self) -> int:
        return self.ndim

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __repr__(self) -> str:
        from . import _tensor_str  # PyTorch's printing rules and print options

        return _tensor_str.tensor_repr(self)

    def __hash__(self) -> int:
        return id(self)

    def __contains__(self, element: Any) -> bool:
        """`v in t`: whether any entry equals v, as PyTorch's. Any number is a scalar there
        (complex, NumPy's too), but a NumPy bool is not."""
        if not isinstance(element, Tensor | numbers.Number):
            raise RuntimeError(
                f"Tensor.__contains__ only supports Tensor or scalar, got {type(element).__name__}"
            )
        other = element._data if isinstance(element, Tensor) else element
        return bool((self._data == other).any())

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(f"the truth value of a tensor of shape {self.shape} is ambiguous")
        return bool(self._data)

    def _real_item(self, what: str) -> Any:
        """The one value as a real number: a complex one only with no imaginary part, as
        PyTorch's float(t) and int(t)."""
        value = self.item()
        if isinstance(value, complex):
            if value.imag != 0:
                raise RuntimeError(
                    f"value cannot be converted to type {what} without overflow: {value}"
                )
            value = value.real
        return value

    def __float__(self) -> float:
        return float(self._real_item("double"))

    def __complex__(self) -> complex:
        return complex(self.item())

    def __index__(self) -> int:
        """An integer (or bool) tensor of one element as an index (`xs[t]`, `range(t)`),
        as in PyTorch."""
        if self.dtype.kind not in "biu" or self._data.size != 1:
            raise TypeError(
                "only integer tensors of a single element can be converted to an index, "
                f"got shape {self.shape} and dtype {self.dtype}"
            )
        return int(self.item())

    def __format__(self, spec: str) -> str:
        """A 0-d tensor formats as its number (`f"{loss:.4f}"`), as in PyTorch."""
        if self.ndim == 0:
            return format(self.item(), spec)
        return object.__format__(self, spec)

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        """`np.asarray(t)`: the CPU array itself (no copy), as PyTorch's `__array__`;
        refused for a tensor that requires grad while grad mode is on (as `numpy()`), or
        that lives on the GPU."""
        if self.requires_grad and autograd.is_grad_enabled():
            raise RuntimeError(
                "can't convert a tensor that requires grad to a NumPy array; use t.detach().numpy()"
            )
        if self.device != "cpu":
            raise TypeError(f"can't convert a {self.device} tensor to a NumPy array; use .cpu()")
        arr = self._shareable()  # a 0-d result's array, shared as a larger one's is
        if dtype is not None and arr.dtype != np.dtype(dtype):
            return arr.astype(dtype)
        return arr.copy() if copy else arr

    def __array_wrap__(self, array: Any, context: Any = None, return_scalar: bool = False) -> Any:
        """A NumPy ufunc's result on a tensor (`np.sin(t)`, `np.add(a, t)`) as a tensor
        sharing its memory, as PyTorch's `__array_wrap__`: a 0-d result stays a 0-d tensor
        and a bool one is uint8, as there. A dtype no tensor holds stays an array."""
        if not isinstance(array, np.ndarray) or array.dtype.kind not in "biufc":
            return array
        if array.dtype.itemsize > (16 if array.dtype.kind == "c" else 8):  # longdouble
            return array
        if array.dtype.kind == "b":
            array = array.astype(np.uint8)
        return Tensor._make(array, False)

    def __int__(self) -> int:
        """The value truncated to an int, as PyTorch's: a float's whatever its size, but a
        complex one's real part only within int64 (it is converted as a C++ complex)."""
        value = self.item()
        if isinstance(value, complex):
            value = self._real_item("int64_t")
            if not -(2.0**63) <= value < 2.0**63:  # NaN and inf too
                raise RuntimeError(
                    f"value cannot be converted to type int64_t without overflow: {value} "
                    f"(int() of a {self.dtype} tensor)"
                )
        return int(value)

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.shape[0]))

    # ------------------------------------------------------------------ conversion
    def item(self) -> Any:
        """The value of a one-element tensor as a Python number (float, int, bool or
        complex), outside the graph: `loss.item()` to log a loss."""
        if self._data.size != 1:
            raise ShapeError(
                "item(): only one element tensors can be converted to Python scalars, got "
                f"shape {self.shape}"
            )
        return self._data.reshape(()).item()

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """A NumPy array (copied from the GPU when needed). Refuses a tensor that requires
        grad while grad mode is on, like PyTorch: call `.detach()` first, or pass
        `force=True` (detaches, as PyTorch's). Under no_grad, and so in a custom Function's
        forward and backward, the array comes back (NumPy code inside a Function)."""
        if self.requires_grad and not force and autograd.is_grad_enabled():
            raise RuntimeError(
                "numpy(): tensor requires grad; call .detach().numpy() to leave the graph"
            )
        return as_numpy(self._shareable())

    def tolist(self) -> Any:
        return as_numpy(self._data).tolist()

    def detach(self) -> Tensor:
        """The same data, cut from the graph; it shares the version counter, so an in-place
        change through it is caught by a backward that saved the old value."""
        a = self._data
        t = Tensor._make(self._shareable() if isinstance(a, np.generic) else a, False)
        t._alias_of(self)
        return t

    def _alias_of(self, source: Tensor) -> None:
        """Make self, a new tensor outside any graph on source's array (`detach()`,
        `nn.Parameter(t)`), another name for that memory, as PyTorch's: it shares source's
        version counter, so a recorded change of source finds it (`_aliases`) and gives it
        the new array; a `t.data` source registers it with t as well, so a change of t
        reaches it after that `t.data` is gone (`nn.Parameter(t.data)`)."""
        self._vc = source._vc
        of = source.__dict__.get("_data_of")
        if of is not None and (owner := of()) is not None:
            aliases = owner.__dict__.get("_data_aliases", ())
            # still registered (not after `t.data = other`); `in` would compare values
            if any(a is source for a in aliases):
                aliases.add(self)
                self.__dict__["_data_of"] = of

    def __getstate__(self) -> tuple[dict, dict]:
        """What pickle (and `copy.copy`) keep: every attribute but a view's note of its
        base (`_view_of`: the copy is a tensor of its own, as documented, and a view of a
        tensor in a graph does not drag the base and its graph along), the mark of `t.data`
        (changes of the copy are recorded as any tensor's), hooks (as PyTorch's copy
        has none) and `.grad` (PyTorch's pickle leaves it out; `__deepcopy__` keeps it); a
        graph's result comes out a leaf that keeps its requires_grad."""
        slots = {
            k: getattr(self, k)
            for k in Tensor.__slots__
            if k not in ("__weakref__", "__dict__") and hasattr(self, k)
        }
        slots["_hooks"] = slots["_post_hooks"] = None
        slots["_grad"] = None
        if slots.get("creator") is not None:  # a result in a graph: the copy is a leaf, as
            # PyTorch's pickle gives (the graph, held through weak references, stays behind)
            slots.update(creator=None, generation=0, _out_index=0, _retains_grad=False)
        return {k: v for k, v in self.__dict__.items() if k not in _NOT_COPIED}, slots

    def __deepcopy__(self, memo: dict) -> Tensor:
        """`copy.deepcopy`: pickle's state, deep-copied, plus a leaf's `.grad` (copied too,
        or the copy of it made elsewhere in the same deepcopy), as PyTorch's deepcopy keeps
        it. (A Parameter's own `__deepcopy__` drops it, as PyTorch's.)"""
        if id(self) in memo:
            return memo[id(self)]
        attributes, slots = self.__getstate__()
        if self.creator is None:
            slots["_grad"] = self._grad
        out = type(self).__new__(type(self))
        memo[id(self)] = out
        out.__setstate__(copy.deepcopy((attributes, slots), memo))
        return out

    def __setstate__(self, state: tuple[dict, dict]) -> None:
        """__getstate__ undone; an array that pickle rebuilt gets minigrad's dtype object
        back (NumPy unpickles an equal but new one), so `x.dtype is mg.float32` holds after
        pickle as with PyTorch's dtypes (copy.deepcopy and mg.load keep it already)."""
        attributes, slots = state
        self.__dict__.update(attributes or {})
        for k, v in (slots or {}).items():
            setattr(self, k, v)
        a = getattr(self, "_data", None)
        if isinstance(a, np.ndarray) and a.dtype.fields is None:
            own = np.dtype(a.dtype.type)
            if a.dtype is not own and a.dtype == own:
                self._data = a.view(own)

    def _shareable(self) -> Array:
        """self's array, first made a 0-d array where it is a NumPy scalar, as NumPy's ops
        give for 0-d results: a view or `detach()` of a scalar would be a copy, and a change
        through it (`s = x.sum(); s.view(1).add_(1)`) would not reach self."""
        a = self._data
        if isinstance(a, np.generic):
            a = self._data = np.array(a)
        return a

    def share_memory_(self) -> Tensor:
        """Move the values into shared memory, seen by processes this one starts
        (minigrad.multiprocessing). Returns self."""
        from .multiprocessing import share_memory_

        return share_memory_(self)

    def is_shared(self) -> bool:
        from .multiprocessing import is_shared

        return is_shared(self)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if self.creator is not None and not requires_grad:
            raise RuntimeError("requires_grad_(False) is only allowed on leaf tensors")
        if requires_grad and self.dtype.kind not in "fc":
            raise RuntimeError(
                f"only floating-point tensors can require gradients, got {self.dtype}"
            )
        self.requires_grad = requires_grad
        return self

    def to(
        self,
        device: Any = None,
        dtype: Any = None,
        non_blocking: bool = False,
        copy: bool = False,
        memory_format: Any = None,
    ) -> Tensor:
        """Move to `device` and/or cast to `dtype`, or to another tensor's device and dtype
        (`x.to(y)`); differentiable like PyTorch's. `copy=True` always gives a new tensor;
        `non_blocking` changes nothing here; `memory_format` lays the result out so."""
        from .ops import shape as _shape

        if memory_format is not None and memory_format is not preserve_format:
            out = self.to(device, dtype, non_blocking, copy)
            return out.contiguous(memory_format=memory_format)

        if isinstance(device, Tensor | type | np.dtype | _NoBFloat16) and isinstance(dtype, bool):
            # to(dtype, non_blocking, copy) and to(other, non_blocking, copy), positionally
            dtype, non_blocking, copy = None, dtype, non_blocking
        if isinstance(device, Tensor):
            device, dtype = device.device, device.dtype if dtype is None else dtype
        if isinstance(device, type | np.dtype | _NoBFloat16) and dtype is None:
            device, dtype = None, device
        if copy:
            out = self.to(device, dtype)
            return out.clone() if out is self else out
        out = self
        if dtype is not None and np.dtype(dtype) != self.dtype:
            out = _shape.cast(out, np.dtype(dtype))
        if device is not None and normalize_device(device) != self.device:
            out = _shape.move(out, normalize_device(device))
        return out

    def cpu(self) -> Tensor:
        return self.to("cpu")

    def cuda(self) -> Tensor:
        return self.to("cuda")

    def double(self, memory_format: Any = None) -> Tensor:
        return self.to(dtype=np.float64, memory_format=memory_format)

    def float(self, memory_format: Any = None) -> Tensor:
        return self.to(dtype=np.float32, memory_format=memory_format)

    def half(self, memory_format: Any = None) -> Tensor:
        return self.to(dtype=np.float16, memory_format=memory_format)

    def bfloat16(self, memory_format: Any = None) -> Tensor:
        """Refused, naming the dtypes there are: minigrad has no bfloat16."""
        return self.to(dtype=bfloat16, memory_format=memory_format)

    def long(self, memory_format: Any = None) -> Tensor:
        return self.to(dtype=np.int64, memory_format=memory_format)

    def int(self, memory_format: Any = None) -> Tensor:
        return self.to(dtype=np.int32, memory_format=memory_format)

    def bool(self, memory_format: Any = None) -> Tensor:
        return self.to(dtype=np.bool_, memory_format=memory_format)

    def cfloat(self, memory_format: Any = None) -> Tensor:
        return self.to(dtype=np.complex64, memory_format=memory_format)

    def cdouble(self, memory_format: Any = None) -> Tensor:
        return self.to(dtype=np.complex128, memory_format=memory_format)

    def type(self, dtype: Any = None, non_blocking: bool = False) -> Any:
        """The dtype's name without an argument; else the tensor cast to `dtype`: a dtype, a
        legacy class (`mg.DoubleTensor`), or its name as PyTorch programs write it
        ('torch.DoubleTensor'; 'torch.cuda.FloatTensor' moves it to the GPU too)."""
        if dtype is None:
            return str(self.dtype)
        from . import legacy

        if isinstance(dtype, str) and dtype.endswith("Tensor"):
            device = "cuda" if ".cuda." in dtype else None
            name = dtype.rsplit(".", 1)[-1]
            if name == "Tensor":  # 'torch.Tensor' is the default float's tensor type
                return self.to(device, dtype=default_float())
            kind = getattr(legacy, name, None)
            if not isinstance(kind, legacy._TypedTensor):
                raise ValueError(f"type: invalid type {dtype!r}")
            return self.to(device, dtype=kind.dtype)
        if isinstance(dtype, legacy._TypedTensor):
            return self.to(dtype=dtype.dtype)
        return self.to(dtype=dtype)

    def type_as(self, other: Tensor) -> Tensor:
        return self.to(dtype=other.dtype)

    # ------------------------------------------------------------------ autograd
    def backward(
        self,
        gradient: Any = None,
        retain_graph: bool | None = None,
        create_graph: bool = False,
        inputs: Any = None,
    ) -> None:
        """Add d self / d leaf to the `.grad` of every leaf that requires grad (of `inputs`
        only, if given), walking the graph back from this tensor (docs/autograd.md).

        gradient: d L / d self, self's shape; needed unless self has one element (then 1).
        retain_graph: keep the nodes' saved values for another backward through this graph
        (by default they are freed as the walk uses them, and a second walk raises).
        create_graph: record the walk itself, so that the gradients can be differentiated
        again (second derivatives, a gradient penalty); implies retain_graph.
        Gradients add up across calls: clear them (`optimizer.zero_grad()`) between steps."""
        autograd.backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def register_hook(self, hook: Any) -> RemovableHandle:
        """Call `hook(grad)` when this tensor's gradient has been computed; a Tensor it
        returns replaces the gradient. Returns a handle whose `remove()` undoes this."""
        if not self.requires_grad:
            raise RuntimeError(f"register_hook: tensor of shape {self.shape} does not require grad")
        if self._hooks is None:
            self._hooks = {}
            if self.creator is not None:
                # the graph links to a computed tensor without keeping it alive; one with
                # hooks must outlive the caller's reference to run them: its creator keeps
                # it until backward frees the creator
                self.creator._keep_alive(self)
        handle = RemovableHandle(self._hooks)
        self._hooks[handle.id] = hook
        return handle

    def register_post_accumulate_grad_hook(self, hook: Any) -> RemovableHandle:
        """Call `hook(self)` on a leaf once `backward()` has added its finished gradient to
        `.grad`, while the rest of the graph is still being walked (as PyTorch; data-parallel
        training starts its gradient all-reduce there). Returns a removable handle."""
        if not self.requires_grad or self.creator is not None:
            raise RuntimeError(
                f"register_post_accumulate_grad_hook: tensor of shape {self.shape} is not a "
                "leaf that requires grad"
            )
        if self._post_hooks is None:
            self._post_hooks = {}
        handle = RemovableHandle(self._post_hooks)
        self._post_hooks[handle.id] = hook
        return handle

    def retain_grad(self) -> None:
        """Keep `.grad` on this non-leaf tensor after backward (leaves always keep it)."""
        if not self.requires_grad:
            raise RuntimeError(f"retain_grad: tensor of shape {self.shape} does not require grad")
        if self.creator is not None:
            self._retains_grad = True

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    # ------------------------------------------------------------------ in place
    def _read_only(self) -> bool:
        """Whether self's memory refuses writes: an expanded view, overlapping windows
        (unfold, as_strided), or a NumPy array the program made read-only. A NumPy scalar
        is not: it gets an array."""
        return hasattr(self._data, "__setitem__") and not getattr(self._data.flags, "writeable", 1)

    def _inplace(self, what: str, other: Any = None) -> None:
        """Refuse an in-place change autograd could not follow, as PyTorch does; make a 0-d
        NumPy scalar writable. Callers bump the version once the write has succeeded."""
        if self._read_only():
            if (
                0 in self._data.strides
                or "_overlapping" in self.__dict__
                or any("_overlapping" in b.__dict__ for b, _ in self._view_chain())
            ):
                as_torch = (  # PyTorch lets an index write each shared location once
                    "minigrad refuses any write into one (PyTorch allows an index that "
                    "reaches each memory location once)"
                    if what == "__setitem__"
                    else "as PyTorch refuses"
                )
                raise RuntimeError(
                    f"{what}: tensor of shape {self.shape} is a view whose elements share "
                    "memory (an expanded tensor, or overlapping windows of unfold or "
                    f"as_strided), {as_torch}; clone() it before changing it in place"
                )
            raise RuntimeError(
                f"{what}: tensor of shape {self.shape} holds a read-only NumPy array (as "
                "np.broadcast_to or a read-only memory map gives); clone() it before changing "
                "it in place"
            )
        if autograd.is_grad_enabled():
            if self.requires_grad:
                kind = (
                    "a leaf tensor that requires grad"
                    if self.creator is None
                    else "a tensor in a graph"
                )
                raise RuntimeError(
                    f"{what}: in-place change of {kind} (shape {self.shape}); wrap it in "
                    "`with mg.no_grad():` or use the out-of-place op"
                )
            if isinstance(other, Tensor) and other.requires_grad and not self._through_data_alias():
                # in-place ops are not recorded: the gradient to `other` would be lost
                raise RuntimeError(
                    f"{what}: the value (shape {other.shape}) requires grad but in-place "
                    "changes are not recorded; use an out-of-place op (cat, where, +)"
                )
        self._shareable()  # a NumPy scalar (a 0-d op result) cannot be written to

    def _check_float(self, what: str) -> None:
        if self.dtype.kind != "f":
            raise RuntimeError(f"{what}: expects a floating-point tensor, got {self.dtype}")

    def _operand(self, what: str, other: Any) -> Any:
        """`other` as an array on self's device, or a Python scalar kept as is (it takes
        self's dtype). A 0-d float operand takes a float self's dtype, as PyTorch's
        0-d tensors do in type promotion."""
        if isinstance(other, int | float | bool):
            return other
        if isinstance(other, Tensor):
            if other.device != self.device:
                raise RuntimeError(f"{what}: tensor on {self.device} and operand on {other.device}")
            arr = other._data
        else:
            arr = _to_array(other, device=self.device)
        if arr.ndim == 0 and arr.dtype.kind == "f" and self.dtype.kind == "f":
            arr = arr.astype(self.dtype)
        return arr

    def _ufunc_(self, what: str, name: str, other: Any) -> Tensor:
        """self = xp.<name>(self, other), written into self's memory. As in PyTorch, the
        result type must cast to self's dtype: `int_tensor += 1.5` is an error, a float32
        tensor += a float64 one stays float32. In a graph (`loss += term`, `h.mul_(m)`
        inside a forward), recorded on a stand-in for self's old value (`_record_with`), so
        every name bound to self sees the new value, as in PyTorch."""
        if name == "subtract":
            _ops().elementwise.check_sub(self, other)
        op_name = _RECORDED_BINARY.get(name)
        if op_name is not None:
            op = getattr(_ops(), op_name)
            done = self._record_with(what, lambda before: op(before, other), other)
            if done is not None:
                return done
        self._inplace(what, other)
        kind = self._data.dtype.kind
        if name == "power" and kind in "fc" and not self._plain_power(other):
            # the values of `**` (rsqrt for -0.5, C's pow for a tensor's 0.5, products for 3
            # and -2, as PyTorch's kernel), written back
            with autograd.no_grad():
                theirs = other.detach() if isinstance(other, Tensor) else other
                return self._write_(what, _ops().power(self.detach(), theirs))
        if name == "power" and kind in "biu" and _is_int(other) and other < 0:
            raise RuntimeError(
                f"{what}: Integers to negative integer powers are not allowed (a {self.dtype} "
                f"tensor to the power {other})"
            )
        arr = self._operand(what, other)
        xp = get_array_module(self._data)
        arr_kind = (arr.dtype if hasattr(arr, "dtype") else np.asarray(arr).dtype).kind
        # an integer tensor takes any integer result, wrapped into its dtype, as PyTorch's
        # (uint8 += an int64 tensor), where NumPy's same_kind refuses a signed one; a 0-d
        # integer operand is first taken in the tensor's dtype, as PyTorch types it
        # (uint8 //= tensor(-3) divides by 253)
        if name == "power" and kind == "b" and arr_kind == "b":
            # bool ** bool is bool, as PyTorch's (NumPy has no such loop to write in place)
            with autograd.no_grad():
                theirs = other.detach() if isinstance(other, Tensor) else other
                return self._write_(what, _ops().power(self.detach(), theirs))
        wrap = name != "true_divide" and kind in "iu" and arr_kind in "biu"
        if wrap and np.ndim(arr) == 0 and not isinstance(other, int):
            arr = xp.asarray(arr).astype(self._data.dtype)
        if kind in "fc" and arr_kind in "biu" and hasattr(arr, "dtype"):
            # a float tensor and an integer one: the integers in the float dtype first, as
            # PyTorch's promotion has it, where NumPy works float32 * int32 in float64 and
            # rounds once (236 of 1000 products differed in the last bit; float16 *= 100000
            # gave 0 * 100000 = 0 where PyTorch's 0 * inf is NaN). One value is PyTorch's
            # scalar operand, which a float16 op takes in float32 (100000 stays finite)
            wide = arr.size == 1 and self._data.dtype == np.float16 and name in _SCALAR_KERNELS
            with np.errstate(over="ignore"):
                arr = arr.astype(np.float32 if wide else self._data.dtype)
        ufunc = getattr(xp, name)
        if name == "remainder" and self._data.dtype.kind == "f":  # PyTorch's signed zeros
            ufunc = _float_remainder_into
        if name == "power" and self._data.dtype.kind in "iu":
            exponent = np.asarray(arr)
            if exponent.dtype.kind == "i" and exponent.size and bool((exponent < 0).any()):
                ufunc = _integer_power_into  # negative integer exponents, as PyTorch's
        if (
            name in ("multiply", "true_divide", "floor_divide")
            and self._data.dtype == np.float16
            and not np.ndim(arr)
        ):
            # a float16 tensor and a number: worked in float32 and rounded once, as PyTorch
            # (h /= 1e5 divided by inf, 1e5 in float16, and gave 0; h //= 0.1)
            value = other._data if isinstance(other, Tensor) else other
            if np.asarray(value).dtype.kind in "fiub":
                with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                    wide = ufunc(self._data.astype(np.float32), np.float32(value))
                    self._data[...] = wide.astype(np.float16)
                self._version += 1
                return self
        try:
            # overflow, division by zero and NaN give IEEE values silently, as PyTorch's
            with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
                ufunc(self._data, arr, out=self._data, casting="unsafe" if wrap else "same_kind")
        except TypeError:
            theirs = f"{type(arr).__name__} {arr!r}" if np.ndim(arr) == 0 else arr.dtype
            why = " (true division gives floats)" if name == "true_divide" else ""
            raise RuntimeError(
                f"{what}: the result of {self.dtype} and {theirs} can't be cast to the "
                f"tensor's dtype {self.dtype}{why}; in-place ops keep the dtype"
            ) from None
        except ValueError as exc:
            raise RuntimeError(
                f"{what}: operand of shape {np.shape(arr)} does not broadcast to the "
                f"tensor's shape {self.shape} ({exc})"
            ) from None
        self._version += 1
        return self

    def _plain_power(self, exponent: Any) -> bool:
        """Whether NumPy's in-place power by `exponent` gives the values of `**`: a number
        other than those PowScalar computes its own way."""
        elementwise = _ops().elementwise
        return isinstance(exponent, int | float) and elementwise.numpy_pow_is_torchs(
            exponent, self._data.dtype
        )

    def add_(self, other: Any, alpha: Any = 1) -> Tensor:
        if isinstance(alpha, Tensor) and not isinstance(other, Tensor):  # (add_(2.0, t))
            _old_overload("add_", "Number alpha, Tensor other", "Tensor other, *, Number alpha = 1")
            other, alpha = alpha, other
        if _ops().elementwise._half_with_alpha(self, other, alpha):  # float16: as add's
            return self._op_("add_", lambda b: _ops().add(b, other, alpha=alpha), other)
        if not (type(alpha) is int and alpha == 1):
            if not isinstance(other, Tensor):
                other = Tensor._make(_to_array(other), False)
            other = _ops().elementwise.scaled_other("add_", self, other, alpha)
        return self._ufunc_("add_", "add", other)

    def sub_(self, other: Any, alpha: Any = 1) -> Tensor:
        if isinstance(alpha, Tensor) and not isinstance(other, Tensor):  # (sub_(2.0, t))
            _old_overload("sub_", "Number alpha, Tensor other", "Tensor other, *, Number alpha = 1")
            other, alpha = alpha, other
        if _ops().elementwise._half_with_alpha(self, other, alpha):  # float16: as sub's
            return self._op_("sub_", lambda b: _ops().sub(b, other, alpha=alpha), other)
        if not (type(alpha) is int and alpha == 1):
            if not isinstance(other, Tensor):
                other = Tensor._make(_to_array(other), False)
            other = _ops().elementwise.scaled_other("sub_", self, other, alpha)
        return self._ufunc_("sub_", "subtract", other)

    def mul_(self, other: Any) -> Tensor:
        return self._ufunc_("mul_", "multiply", other)

    def div_(self, other: Any, *, rounding_mode: str | None = None) -> Tensor:
        if rounding_mode is None:
            return self._ufunc_("div_", "true_divide", other)
        fn = lambda b: _ops().div_rounded(b, other, rounding_mode)  # noqa: E731
        return self._op_("div_", fn, other)

    def pow_(self, exponent: Any) -> Tensor:
        if self.dtype.kind == "b" and isinstance(exponent, Tensor) and exponent.dtype.kind == "b":
            raise NotImplementedError(
                "\"pow\" not implemented for 'Bool' (pow_ of two bool tensors)"
            )
        return self._ufunc_("pow_", "power", exponent)

    def _unary_(self, what: str, name: str, float_only: bool) -> Tensor:
        """self = xp.<name>(self) in self's memory, with the rules of the other in-place ops;
        a float-valued op (exp_, sqrt_) refuses an integer or bool tensor, as PyTorch."""
        if float_only and self.dtype.kind not in "fc":
            raise RuntimeError(
                f"{what}: the result is floating-point and can't be written into a "
                f"{self.dtype} tensor; in-place ops keep the dtype"
            )
        if name == "negative" and self.dtype.kind == "b":
            raise RuntimeError(f"{what}: negation of a bool tensor; {_ops().elementwise._NEG_BOOL}")
        if name == "absolute" and self.dtype.kind == "b":
            raise NotImplementedError(f"\"abs_cpu\" not implemented for 'Bool' ({what})")
        if name in _RECORDED_UNARY:
            done = self._record_with(what, getattr(_ops(), _RECORDED_UNARY[name]))
            if done is not None:
                return done
        self._inplace(what)
        xp, data = get_array_module(self._data), self._data
        with fp_ignored():
            if name == "negative" and not (data.flags.c_contiguous or data.flags.f_contiguous):
                # NumPy 2.4's in-place negative over some strides (a (n, 4) float32 column)
                # negates the wrong elements: written through a temporary instead
                data[...] = xp.negative(data)
            else:
                getattr(xp, name)(data, out=data)
        self._version += 1
        return self

    def exp_(self) -> Tensor:
        return self._unary_("exp_", "exp", True)

    def sqrt_(self) -> Tensor:
        return self._unary_("sqrt_", "sqrt", True)

    def abs_(self) -> Tensor:
        if self.dtype.kind == "c":  # |z| is real: it cannot be written back
            raise RuntimeError("In-place abs is not supported for complex tensors.")
        return self._unary_("abs_", "absolute", False)

    def neg_(self) -> Tensor:
        return self._unary_("neg_", "negative", False)

    def _recorded_iop(self, other: Any, through_view: bool = True) -> Any:
        """Whether `self op= other` must be recorded in the graph: in grad mode, self is a
        non-leaf that requires grad, or other requires grad. PyTorch records such an
        in-place op on the tensor; minigrad records it on a stand-in and self takes over
        the result in a new array (`_record_change`), which gives PyTorch's numbers as long
        as no other tensor shares self's memory. One exception: self is a view of a tensor
        h (`h[i]` for a basic index, `h.view(..)`, `h.t()`, `h.diagonal()`, or a view of
        such a view) and no other tensor shares their memory, as in `h[:, 2] += w`; then
        (h, step) is returned and the change is written into h (`h[index] = new`, or h's
        whole new value). Any other sharing is an error."""
        if not autograd.is_grad_enabled():
            return False
        if self.requires_grad and self.creator is None:
            return False  # a leaf that requires grad: `_inplace` refuses, as PyTorch
        if self._read_only():
            return False  # an expanded or overlapping view, a read-only array: `_inplace` refuses
        other_grad = isinstance(other, Tensor) and other.requires_grad
        if not (other_grad or (self.requires_grad and self.creator is not None)):
            if "_view_of" in self.__dict__:  # a view of a tensor that requires grad
                chain = self._view_chain()
                if chain and chain[-1][0].requires_grad:
                    self._refuse_no_grad_views(chain)
            return False
        if self._through_data_alias():
            return False  # `t.data.copy_(w)`: written into t's memory, outside the graph
        self.__dict__.pop("_refresh", None)  # left by a change that failed before it ran
        if "_custom_view" in self.__dict__ and self.creator is not None:
            raise RuntimeError(
                f"in-place change of an output (shape {self.shape}) of the custom "
                f"autograd.Function {type(self.creator).__name__} that is a view of its input, "
                "in a graph: refused, as PyTorch refuses it; clone the output first"
            )
        # refs to the counter: self's slot and getrefcount's argument; more are aliases
        refs = sys.getrefcount(self._vc)
        if refs > 2 or self.__dict__.get("_data_aliases"):
            # a view h[i] (or h[i][j], ...): the change is written into its bases
            chain = self._view_chain() if through_view else []
            if chain:
                self._refuse_no_grad_views(chain)
                for base, _ in chain:  # as PyTorch refuses it
                    if base.requires_grad and base.creator is None:
                        raise RuntimeError(
                            f"in-place change of a view of a leaf tensor that requires grad "
                            f"(shape {base.shape}, the view {self.shape}); wrap it in "
                            "`with mg.no_grad():` or use the out-of-place op"
                        )
            data = any(t.__dict__.get("_data_aliases") for t in [self] + [b for b, _ in chain])
            if refs > 2 + len(chain) or data:  # other tensors on this memory: made again after
                aliases = self._aliases(chain, refs > 2 + len(chain))
                if aliases is None:
                    raise RuntimeError(
                        f"in-place change of a tensor of shape {self.shape} that shares "
                        "memory with another tensor in grad mode, where that tensor can't "
                        "be made again from the new value: an output of a custom "
                        "autograd.Function that is a view of its input (PyTorch refuses it "
                        "too), a view more than 32 views deep, a view whose base changed its "
                        "shape in place since, or any alias of a tensor whose memory has gaps; "
                        "use the out-of-place op, or clone the other tensor first"
                    )
                self.__dict__["_refresh"] = aliases
                (chain[-1][0] if chain else self).__dict__["_keep_layout"] = True
            if chain:
                return chain[0]
        return True

    def _aliases(self, chain: list[tuple[Tensor, Any]], search: bool = True) -> list | None:
        """Before a recorded change of self (in new memory, `_record_change`): the other
        tensors on the memory of self and of its `chain` of bases, which PyTorch's change
        reaches too, in an order in which `_refresh_aliases` can make each again from the
        new value:
        - a view noted by its view op (`h.view(-1)`, `h.t()`, `h[0]`) of self, of a base in
          the chain or of another tensor in the list: made again by its view op, in the
          grad mode it was made in, so in a graph its history is the new value's, as
          PyTorch rebases a view's grad_fn;
        - another tensor outside any view's history on the very array of one of those
          (`h.detach()`, `h.data`, or h itself for a change through `h.detach()`), or on a
          part of the root's memory (`h[-1].detach()`): given the same array in the new
          memory, its history kept, as in PyTorch.
        The root (self, or the last base of the chain) must be dense: its new array is then
        given the old one's layout (`_record_change`), so that every view made again shares
        it. None when another tensor is neither, or the root is not dense: the change is
        then refused. It searches the garbage collector's objects, which is done only when
        such tensors exist (the reference count of self's version counter says so)."""
        import gc

        from .ops import layout

        known = [self] + [base for base, _ in chain]  # made again by the change itself
        root = known[-1]._data
        if root.size and not layout.is_dense(root):
            return None
        done = {id(t) for t in known}
        keys = {_array_key(t._data): t for t in known}
        found = gc.get_referrers(self._vc) if search else []
        data = [a for t in known for a in t.__dict__.get("_data_aliases", ())]  # `.data`
        for d in data:  # with the views of it (which share its own version counter)
            found += [d] + (gc.get_referrers(d._vc) if sys.getrefcount(d._vc) > 2 else [])
        todo = [o for o in found if isinstance(o, Tensor) and id(o) not in done]
        order: list = []
        while todo:
            left = []
            for o in todo:
                if "_custom_view" in o.__dict__:
                    return None  # a custom Function's view of its input: PyTorch refuses it
                note = o.__dict__.get("_view_of")
                view = None if note is None else o._view_base()
                if view is not None and (o.creator is None or o._is_graph_view()):
                    if id(view[0]) not in done:
                        left.append(o)
                        continue
                    order.append((o, None))
                elif note is not None and note[3]:
                    return None  # a view in grad mode whose base changed shape since
                elif o._is_graph_view():
                    return None  # a view too deep to be noted
                elif _array_key(o._data) in keys:
                    order.append((o, keys[_array_key(o._data)]))
                elif (at := _index_in(o._data, root)) is not None:
                    order.append((o, at))  # a part of root's memory: root's index there
                else:
                    return None
                done.add(id(o))
                keys.setdefault(_array_key(o._data), o)
            if len(left) == len(todo):
                return None
            todo = left
        return order

    def _refresh_aliases(self, order: list) -> None:
        """After a recorded change of self: the tensors `_aliases` listed, in its order,
        made again from their bases' new values (views), given the new array of the tensor
        whose array they had, or the same part of the root's new memory. The shared version
        counter was bumped, so a backward that saved one of them (its old value) refuses to
        run, as PyTorch's does."""
        from .ops.shape import GetItem, RefusedView, ViewStep, WindowStep

        root = ([self] + [base for base, _ in self._view_chain()])[-1]
        version = self._vc.value  # the change bumped it; making views again must not
        for t, source in order:
            if isinstance(source, tuple):  # root's index of t's first element
                start = root._data[tuple(slice(i, None) for i in source)]
                xp = get_array_module(start)
                t._data = xp.lib.stride_tricks.as_strided(start, t._data.shape, t._data.strides)
                continue
            if source is not None:
                t._data = source._data
                continue
            base, kind, arg, grad_mode = t.__dict__["_view_of"][:4]
            step = arg if kind is None else kind(arg)
            view = step.array if isinstance(step, ViewStep) else lambda a, i=step: a[i]
            if isinstance(step, WindowStep) and step.name.startswith("split"):
                new = RefusedView(view, "an output of split, chunk or unbind")(base)
            elif not grad_mode and base.requires_grad:
                new = RefusedView(view, "a view made under no_grad")(base)
            else:
                with autograd.set_grad_enabled(grad_mode):
                    new = step.apply(base) if isinstance(step, ViewStep) else GetItem(step)(base)
            if t.creator is None and new.creator is None:
                t._data = new._data
                continue
            before = t._stand_in()
            t._become(new, before)
            before._hooks = None  # as for a change through a view (`_record_change`)
        # (`_become` bumped the shared counter once per view, after the change's own node
        # noted its output's version: exp_ with a live view then refused at backward)
        self._vc.value = version

    @property
    def _base(self) -> Tensor | None:
        """The tensor a view was made from, the first of its chain of bases that is no view,
        as PyTorch's `_base`; None for a tensor that is no view (or one minigrad does not
        note: an expand that repeats values, a dtype view)."""
        chain = self._view_chain()
        return chain[-1][0] if chain else None

    def _is_view(self) -> bool:
        return self._base is not None

    def _views(self, base: Tensor, index: Any) -> bool:
        """Whether self is the recorded view `base[index]` (a basic index)."""
        from .ops.shape import _view_index, normalize_index

        view = self._view_base()
        if view is None or view[0] is not base:
            return False
        try:
            return bool(view[1] == _view_index(normalize_index(index, base.shape)))
        except (TypeError, ValueError, IndexError):  # an index that is no basic index
            return False

    def _made_under_no_grad(self) -> bool:
        """Whether self is a view that its view op noted as made under no_grad."""
        noted = self.__dict__.get("_view_of")
        return noted is not None and noted[3] is False

    def _refuse_no_grad_views(self, chain: list[tuple[Tensor, Any]]) -> None:
        """Refuse, as PyTorch, a change in grad mode through a view made under no_grad, or
        through a view of one (m = h.t() under no_grad, then m[1].mul_(2)): self and the
        bases of its `chain` but the last are the views."""
        views = [self] + [base for base, _ in chain[:-1]]
        if any(v._made_under_no_grad() for v in views):
            raise RuntimeError(_NO_GRAD_VIEW.format(shape=self.shape))

    def _through_data_alias(self) -> bool:
        """Whether self is `t.data`, or a view of it: PyTorch writes changes through it
        into t's memory without autograd, and so does minigrad (recording them would give
        self a new array, and t would never see the change)."""
        if "_data_alias" in self.__dict__:
            return True
        return any("_data_alias" in base.__dict__ for base, _ in self._view_chain())

    def _view_chain(self) -> list[tuple[Tensor, Any]]:
        """[(h, i), (g, j), ...] for self = h[i] with h = g[j] ...: the bases up to the
        first that is no such view."""
        chain: list[tuple[Tensor, Any]] = []
        t = self
        while len(chain) < VIEW_DEPTH and (view := t._view_base()) is not None:
            chain.append(view)
            t = view[0]
        return chain

    def _view_base(self) -> tuple[Tensor, Any] | None:
        """(h, step) when self is a view of h that shares self's memory, else None. `step`
        is a basic index for `h[index]`, or an `ops.shape.ViewStep` for a view by reshape,
        permute (view, flatten, t(), transpose, ...), diagonal, unfold, as_strided or
        split, as the view op noted it (`ops.shape._note_view`; the view keeps its base,
        as PyTorch's `_base`)."""
        from .ops.shape import ViewStep

        noted = self.__dict__.get("_view_of")
        if noted is None:
            return None
        base, kind = noted[0], noted[1]
        if base._vc is not self._vc:
            return None
        index = noted[2] if kind is None else kind(noted[2])
        # still that view of base: not if base changed shape or layout in place since
        # (t_(), unsqueeze_()), when the index would name other elements
        try:
            probe = index.array(base._data) if isinstance(index, ViewStep) else base._data[index]
        except (IndexError, TypeError, ValueError):
            return None
        mine = self._data
        if probe.shape != mine.shape or probe.strides != mine.strides:
            return None
        if _address(probe) != _address(mine):
            return None
        return base, index

    def _record_with(self, what: str, fn: Any, *operands: Any) -> Tensor | None:
        """Record `self = fn(self)` on a tensor in a graph, or when an operand requires
        grad, as PyTorch records `h += w`, `h.exp_()`, `h.addcmul_(a, b)`: on a stand-in for
        self's old value (`_record_change`). None when nothing is recorded."""
        if not autograd.is_grad_enabled():  # the common case (no_grad updates): no search
            return None
        grad_operand = next(
            (o for o in operands if isinstance(o, Tensor) and o.requires_grad), None
        )
        mode = self._recorded_iop(grad_operand)
        if not mode:
            return None
        view = mode if type(mode) is tuple else None
        first = operands[0] if operands else None  # named in a shape error
        return self._record_change(lambda b: self._checked_result(what, fn(b), first), view)

    def _record_change(self, compute: Any, view: Any = None) -> Tensor:
        """An in-place change in a graph: `compute(before)` runs on a stand-in for self's
        old value, and self takes over its result (`_become`). For a view `h[index]`
        (`view` is (h, index)) the result is written into h as `h[index] = new`, and self
        becomes `h[index]` again, a view of h's new value (later writes through it reach h,
        as in PyTorch)."""
        from .ops.shape import GetItem, ViewStep

        before = self._stand_in()
        aliases = self.__dict__.pop("_refresh", None)  # other tensors on self's memory
        out = compute(before)
        if self.__dict__.pop("_keep_layout", False) and view is None:
            out._shareable()  # a 0-d result as an array that aliases can share
            _lay_out_as(out, before._data)  # the root of live aliases: its old layout
        if view is not None:
            base, step = view
            if isinstance(step, ViewStep):  # h.view(-1), h.t(), h.diagonal()
                step.write(base, out)
                out = step.apply(base)
            else:
                base._record_setitem(step, out, base._view_base())  # on up a chain h[i][j]
                out = GetItem(step)(base)  # shares base's new memory and version counter
        self._become(out, before)
        if view is not None:
            # PyTorch's gradient reaches the base without passing the view's old value, so
            # hooks registered on the view before the change are never called
            before._hooks = None
        if aliases is not None:
            self._refresh_aliases(aliases)
        return self

    def _stand_in(self) -> Tensor:
        """A tensor for self's value before a recorded change (`_become` gives it self's
        place): self's array, creator and place among its outputs, and a version counter of
        its own."""
        before = Tensor._make(self._data, self.requires_grad)
        before.creator, before.generation = self.creator, self.generation
        before._out_index = self._out_index
        before._vc = VersionCounter(self._vc.value)
        return before

    def _checked_result(self, what: str, out: Tensor, other: Any) -> Tensor:
        """`out` as the new value of self: same shape, self's dtype (same-kind cast)."""
        if out.shape != self.shape:
            raise RuntimeError(
                f"{what}: operand of shape {tuple(np.shape(other))} does not broadcast to "
                f"the tensor's shape {self.shape}"
            )
        if out.dtype != self.dtype:
            if not np.can_cast(out.dtype, self.dtype, "same_kind"):
                raise RuntimeError(
                    f"{what}: the result of {self.dtype} and {out.dtype} can't be cast to "
                    f"the tensor's dtype {self.dtype}; in-place ops keep the dtype"
                )
            out = out.to(dtype=self.dtype)
        return out

    def _become(self, out: Tensor, before: Tensor) -> None:
        """Take over `out`'s value and place in the graph; `before` takes self's old place
        (its creator's output, and hooks registered so far, which PyTorch fires with the
        gradient of the value before the change). self's version counter is bumped, so a
        backward that saved self (the old value) refuses to run, as PyTorch's does."""
        old = self.creator
        if old is not None and hasattr(old, "outputs"):
            k = self._out_index
            old.outputs[k] = weakref.ref(before)
            if getattr(old, "_out_counters", None) is not None:
                # its saved output array is unchanged (self gets a new one): still good
                old._out_counters[k] = weakref.ref(before._vc)
            kept = old.__dict__.get("_kept")
            if kept:  # the hooks' tensor, held until backward: now `before`
                old._kept = [before if t is self else t for t in kept]
        before._hooks, self._hooks = self._hooks, None
        self._data, self.requires_grad = out._data, out.requires_grad
        self.creator, self.generation = out.creator, out.generation
        self._out_index = out._out_index
        self._version += 1
        new = out.creator
        if new is not None:
            k = out._out_index
            new.outputs[k] = weakref.ref(self)
            if getattr(new, "_out_counters", None) is not None:
                new._out_counters[k] = weakref.ref(self._vc)
                versions = list(new._out_versions)
                versions[k] = self._vc.value
                new._out_versions = tuple(versions)

    def __iadd__(self, other: Any) -> Tensor:
        return self._ufunc_("+=", "add", other)

    def __isub__(self, other: Any) -> Tensor:
        return self._ufunc_("-=", "subtract", other)

    def __imul__(self, other: Any) -> Tensor:
        return self._ufunc_("*=", "multiply", other)

    def __itruediv__(self, other: Any) -> Tensor:
        return self._ufunc_("/=", "true_divide", other)

    def __ipow__(self, other: Any) -> Tensor:
        return self._ufunc_("**=", "power", other)

    def __ifloordiv__(self, other: Any) -> Tensor:
        self._integer_division("//=", other)
        return self._ufunc_("//=", "floor_divide", other)

    def __imod__(self, other: Any) -> Tensor:
        self._integer_division("%=", other)
        return self._ufunc_("%=", "remainder", other)

    def __iand__(self, other: Any) -> Tensor:
        return self._bitwise_("&=", "bitwise_and", other)

    def __ior__(self, other: Any) -> Tensor:
        return self._bitwise_("|=", "bitwise_or", other)

    def __ixor__(self, other: Any) -> Tensor:
        return self._bitwise_("^=", "bitwise_xor", other)

    # No __imatmul__, as in PyTorch: `a @= b` is `a = a @ b`, a new tensor.

    def _integer_division(self, what: str, other: Any) -> None:
        """PyTorch's checks before an in-place `//=` or `%=`: a bool tensor is refused and
        an integer division by zero raises ZeroDivisionError (NumPy would write 0)."""
        if self.dtype.kind == "b":
            raise TypeError(f"{what}: not defined for bool tensors, as in PyTorch")
        if self.dtype.kind == "c":  # (NumPy's ufuncs have no complex loop: a cast error)
            kernel = "div_floor_cpu" if "floor" in what or what == "//=" else "remainder_cpu"
            raise NotImplementedError(
                f"{what}: \"{kernel}\" not implemented for '{_type_name(self._data.dtype)}'"
            )
        if self.dtype.kind in "iu":
            arr = other._data if isinstance(other, Tensor) else np.asarray(other)
            if arr.dtype.kind in "iub" and bool((arr == 0).any()) and self._data.size:
                raise IntegerDivisionByZero(f"{what}: integer division by zero")

    def _bitwise_(self, what: str, name: str, other: Any) -> Tensor:
        """`self &= other` (|=, ^=) in place, for bool and integer tensors only."""
        theirs = other.dtype if isinstance(other, Tensor) else np.asarray(other).dtype
        for dtype in (self.dtype, theirs):
            if dtype.kind not in "biu":
                raise RuntimeError(f"{what}: bitwise ops take bool or integer tensors, got {dtype}")
        return self._ufunc_(what, name, other)

    def resize_(self, *sizes: Any, memory_format: Any = None) -> Tensor:
        """Change the shape in place, as PyTorch's: the same shape leaves the tensor as it
        is; otherwise its values are read in order (C order) into the new shape: a smaller
        one keeps the first values (a view of the same memory), a larger one keeps them
        all and fills the rest with zeros (PyTorch leaves them uninitialised). A larger
        shape takes new memory: other views of the old tensor keep the old memory. A
        non-contiguous tensor resized to another non-empty shape raises (PyTorch reads its
        storage order, which minigrad does not keep)."""
        if memory_format not in (None, contiguous_format, preserve_format):
            raise NotImplementedError(f"resize_: memory_format={memory_format} is not supported")
        shape = _shape_args(sizes, "resize_")
        if any(n < 0 for n in shape):
            raise RuntimeError(f"resize_: sizes must be non-negative, got {tuple(shape)}")
        if self.requires_grad:
            raise RuntimeError(
                f"resize_: cannot resize a tensor that requires grad (shape {self.shape})"
            )
        shape = tuple(int(n) for n in shape)
        if shape == self.shape:
            return self
        old = self._data
        n = math.prod(shape)
        if not old.flags.c_contiguous and n:
            raise NotImplementedError(
                f"resize_: a non-contiguous tensor (shape {self.shape}, strides "
                f"{self.stride()}) resized to {shape}; call .contiguous() first"
            )
        xp = get_array_module(old)
        if n == 0:
            self._data = xp.empty(shape, dtype=old.dtype)
        elif n <= old.size:
            self._data = old.reshape(-1)[:n].reshape(shape)
        else:
            new = xp.zeros(n, dtype=old.dtype)
            new[: old.size] = old.reshape(-1)
            self._data = new.reshape(shape)
        self._version += 1
        return self

    def cholesky_solve(self, input2: Tensor, upper: bool = False) -> Tensor:
        """`minigrad.cholesky_solve(self, input2, upper)`: self is B, input2 the factor."""
        from . import linalg

        return linalg.cholesky_solve(self, input2, upper)

    def cholesky_inverse(self, upper: bool = False) -> Tensor:
        from . import linalg

        return linalg.cholesky_inverse(self, upper)

    def as_strided(self, size: Any, stride: Any, storage_offset: int = 0) -> Tensor:
        """See `minigrad.as_strided` (a copy here, PyTorch's is a view)."""
        return _ops().as_strided(self, size, stride, storage_offset)

    def resize_as_(self, other: Tensor, memory_format: Any = None) -> Tensor:
        """resize_ to `other`'s shape."""
        return self.resize_(other.shape, memory_format=memory_format)

    def zero_(self) -> Tensor:
        return self.fill_(0)

    def fill_(self, value: Any) -> Tensor:
        value = fill_value("fill_", value, self.dtype)
        everywhere = get_array_module(self._data).ones(self.shape, dtype=bool)
        done = self._record_with("fill_", lambda b: _ops().where(everywhere, value, b), value)
        if done is not None:
            return done
        self._inplace("fill_", value)
        self._data[...] = value._data if isinstance(value, Tensor) else value
        self._version += 1
        return self

    def copy_(self, src: Any, non_blocking: bool = False) -> Tensor:
        """self's values from src (broadcast, cast), as PyTorch's; `non_blocking` is taken
        and changes nothing (copies finish before returning)."""
        if src is None or isinstance(src, str):
            raise TypeError(f"copy_(): argument 'other' must be Tensor, not {type(src).__name__}")
        arr = src._data if isinstance(src, Tensor) else src
        shape = tuple(np.shape(arr))
        try:
            fits = np.broadcast_shapes(shape, self.shape) == self.shape
        except ValueError:
            fits = False
        if not fits:
            raise RuntimeError(f"copy_: source of shape {shape} into shape {self.shape}")
        if not isinstance(src, Tensor) and self.requires_grad and autograd.is_grad_enabled():
            src = Tensor._make(get_array_module(self._data).asarray(arr), False)  # `h.copy_(5.0)`
        if isinstance(src, Tensor) and self.dtype.kind in "fc":
            # recorded in a graph (buf.copy_(w) with w requiring grad, or buf in a graph), as
            # PyTorch's: the new value is src (cast, moved, broadcast) selected everywhere
            # over the old one, whose gradient is then 0 (and a tensor in a graph stays in it)
            def fn(before: Tensor) -> Tensor:
                v = src.to(device=self.device, dtype=self.dtype)
                everywhere = get_array_module(self._data).ones(self.shape, dtype=bool)
                return _ops().where(everywhere, v, before)

            done = self._record_with("copy_", fn, src)
            if done is not None:
                return done
        # into an integer or bool tensor nothing is differentiable: src's grad is no bar
        self._inplace("copy_", src if self.dtype.kind in "fc" else None)
        if device_of(arr) != self.device:
            arr = to_device(arr, self.device)
        with np.errstate(over="ignore", invalid="ignore"):  # beyond the dtype: inf, silently
            self._data[...] = get_array_module(self._data).asarray(arr)
        self._version += 1
        return self

    def clamp_(self, min: float | None = None, max: float | None = None) -> Tensor:  # noqa: A002
        """Clamp in place; bounds are taken as `clamp` takes them (`clamp_numbers`), and
        one that would promote an integer or bool tensor (a float, or an int for a bool
        one) is refused, as PyTorch refuses writing the promoted result back."""
        elementwise = _ops().elementwise
        elementwise.check_bounds("clamp_", min, max)
        elementwise.ordered(self.dtype, "clamp_")
        if self.dtype.kind in "biu":  # PyTorch's canCast: no float into an integer, no
            # number into a bool (an int64 bound into uint8 is fine)
            dt = elementwise.result_dtype(self, *(b for b in (min, max) if b is not None))
            if dt.kind in "fc" or (self.dtype.kind == "b" and dt.kind != "b"):
                raise RuntimeError(
                    f"clamp_: result type {_type_name(dt)} can't be cast to the desired output "
                    f"type {_type_name(self.dtype)} (bounds {min}, {max} on a {self.dtype} "
                    "tensor)"
                )
        if not isinstance(min, Tensor) and not isinstance(max, Tensor):
            min, max = elementwise.clamp_numbers("clamp_", self.dtype, min, max)  # noqa: A001
        done = self._record_with("clamp_", lambda b: _ops().clip(b, min, max), min, max)
        if done is not None:
            return done
        bounds = [b for b in (min, max) if isinstance(b, Tensor)]
        if bounds:  # clamped as clip clamps (promoted, broadcast), then written back
            with autograd.no_grad():
                return self._write_("clamp_", _ops().clip(self.detach(), min, max), *bounds)
        self._inplace("clamp_")
        xp = get_array_module(self._data)
        with broadcast_errors("clamp_"):
            xp.clip(self._data, min, max, out=self._data)
        self._version += 1
        return self

    def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator: Any = None) -> Tensor:
        """Fill with N(mean, std^2) from `minigrad.random` (so `manual_seed` governs it),
        or from `generator`."""
        self._inplace("normal_")
        self._check_drawable("normal_")
        if not float(std) >= 0:  # a negative or NaN std drew as its absolute value
            raise RuntimeError(f"normal_: expects std >= 0.0, but found std {std}")
        x = random.randn(self.shape, _draw_dtype(self.dtype), self.device, generator)
        # complex: each part N(mean, std^2 / 2), as PyTorch's
        self._data[...] = x * std + (mean * (1 + 1j) if x.dtype.kind == "c" else mean)
        self._version += 1
        return self

    def uniform_(self, a: float = 0.0, b: float = 1.0, *, generator: Any = None) -> Tensor:
        """Fill with U(a, b) from `minigrad.random`, or from `generator`."""
        self._inplace("uniform_")
        self._check_drawable("uniform_")
        random.check_uniform_range(a, b)
        # float16 draws in float16: a float32 draw just below b can round up to b on write
        dt = np.float16 if self.dtype == np.float16 else _draw_dtype(self.dtype)
        self._data[...] = random.uniform(a, b, self.shape, dt, self.device, generator)
        self._version += 1
        return self

    def _check_drawable(self, what: str) -> None:
        if self.dtype.kind not in "fc":
            raise NotImplementedError(
                f"{what}: not implemented for {self.dtype} tensors; fill a floating-point "
                "tensor and convert it"
            )

    def __setitem__(self, index: Any, value: Any) -> None:
        from .ops.shape import TwoStep, normalize_index

        if value is None or isinstance(value, str):  # NumPy would write NaN (or fail later)
            raise TypeError(f"can't assign a {type(value).__name__} to a {self.dtype} tensor")
        check_byte_mask_fill("__setitem__", index, value, self._data.shape, put=False)
        if isinstance(value, Tensor) and value.dtype != self.dtype:
            _check_index_put_dtype(index, value, self.dtype)
        elif type(value) in (int, float) or isinstance(value, np.integer | np.floating):
            value = _setitem_number(value, self.dtype)
        elif isinstance(value, list | tuple | np.ndarray) and self.dtype.kind in "biu":
            kind = np.asarray(value).dtype.kind
            if kind in "fc":  # NumPy would truncate 1.7 to 1 without a word
                raise TypeError(
                    f"__setitem__: can't assign a {type(value).__name__} of "
                    f"{'floats' if kind == 'f' else 'complex numbers'} to a {self.dtype} "
                    "tensor (PyTorch refuses any list or array here); convert it with "
                    "mg.tensor(...).to(dtype) to say how to round"
                )
        if isinstance(value, Tensor) and value._vc is self._vc and value._views(self, index):
            return  # `h[i] += w`'s closing `h[i] = h[i]`: the change already went through
        # an integer or bool tensor has no gradient: a value that requires grad is written
        # as its numbers (truncated), as in PyTorch
        mode = self._recorded_iop(value) if self.dtype.kind in "fc" else None
        if mode:  # through one view `row = h[0]; row[1] = w` too: written into h
            self._record_setitem(index, value, mode if type(mode) is tuple else None)
            return
        self._inplace("__setitem__", value if self.dtype.kind in "fc" else None)
        value = value._data if isinstance(value, Tensor) else value
        if getattr(value, "ndim", 0) and value.shape[0] == 1:  # a[0] = t of shape (1,)
            value = value.reshape(_without_leading_ones(value.shape))
        index = normalize_index(index, self.shape)
        try:
            if isinstance(index, TwoStep):
                with np.errstate(over="ignore"):  # float16 takes inf beyond its range
                    index.set(self._data, value)
            else:  # a value beyond the dtype's range becomes inf, silently, as PyTorch's
                with np.errstate(over="ignore", invalid="ignore"):
                    self._data[index] = value
        except ValueError as exc:  # NumPy's broadcast or mask-count failure
            raise ShapeError(f"__setitem__: {exc} (tensor of shape {self.shape})") from None
        self._version += 1

    def _record_setitem(self, index: Any, value: Any, view: Any = None) -> None:
        """`h[index] = value` in a graph, as PyTorch records it: the new value is
        where(selected, value placed there, old value), so the old value's gradient is cut
        at the written positions and `value` gets the gradient read from them. When self
        is a view `base[i]` (`view` is (base, i), see `_recorded_iop`) the new value is
        written into base as well."""
        from .ops.shape import IndexPut, TwoStep, _view_index, normalize_index

        ops = _ops()
        idx = _view_index(normalize_index(index, self.shape))
        xp = get_array_module(self._data)
        mask = xp.zeros(self.shape, dtype=bool)
        picked = idx.get(mask) if isinstance(idx, TwoStep) else mask[idx]
        if isinstance(idx, TwoStep):
            idx.set(mask, True)
        else:
            mask[idx] = True
        v = value if isinstance(value, Tensor) else as_tensor(value, device=self.device)
        if v.dtype != self.dtype:
            if not np.can_cast(v.dtype, self.dtype, "same_kind"):
                raise RuntimeError(
                    f"__setitem__: a value of {v.dtype} can't be written into a {self.dtype} tensor"
                )
            v = v.to(dtype=self.dtype)
        if v.ndim and v.shape[0] == 1:
            v = v.reshape(_without_leading_ones(v.shape))
        try:
            v = ops.broadcast_to(v, picked.shape)
        except ValueError:
            raise RuntimeError(
                f"__setitem__: value of shape {v.shape} does not broadcast to the selected "
                f"shape {picked.shape}"
            ) from None
        placed = IndexPut(idx, self.shape)(v)
        self._record_change(lambda before: ops.where(mask, placed, before), view)

    # ------------------------------------------------------------------ operators
    def __add__(self, other: Any) -> Tensor:
        return _ops().add(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return _ops().add(other, self)

    def __sub__(self, other: Any) -> Tensor:
        return _ops().sub(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return _ops().sub(other, self)

    def __mul__(self, other: Any) -> Tensor:
        return _ops().mul(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return _ops().mul(other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return _ops().div(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        """`2 / y`: PyTorch's `y.reciprocal() * 2`, its numbers (a float16 reciprocal
        rounded before the product) and its graph (the reciprocal keeps its output, not y,
        so y may change in place before the backward)."""
        ops = _ops()
        return ops.mul(ops.reciprocal(self), other)

    def __pow__(self, other: Any) -> Tensor:
        return _ops().power(self, other)

    def __rpow__(self, other: Any) -> Tensor:
        return _ops().power(other, self)

    def __neg__(self) -> Tensor:
        return _ops().neg(self)

    def __pos__(self) -> Tensor:
        """`+t` is t itself, as PyTorch's `positive`, which refuses a bool tensor."""
        return _ops().positive(self)

    def __abs__(self) -> Tensor:
        return _ops().abs(self)

    def __matmul__(self, other: Any) -> Tensor:
        return _ops().matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return _ops().matmul(other, self)

    def __getitem__(self, index: Any) -> Tensor:
        return _ops().getitem(self, index)

    # Comparisons give boolean tensors outside the graph.
    def _compare(self, other: Any, name: str) -> Tensor:
        a = self._data
        if isinstance(other, Tensor):
            other_tensor, other = other, other._data
            if other.dtype != a.dtype:
                # both cast to PyTorch's promoted dtype first, where NumPy would widen both
                # and compare the numbers: uint8 < tensor(-3, int8) compares with 253, and
                # int32 2049 == float16 2048 is True (2049 is 2048 in float16)
                dt = _ops().elementwise.result_dtype(self, other_tensor)
                with np.errstate(all="ignore"):  # 70000.0 into float16 is inf, silently
                    a, other = a.astype(dt, copy=False), other.astype(dt, copy=False)
        elif isinstance(other, np.generic):  # a NumPy scalar is a number, as in PyTorch:
            return self._compare(other.item(), name)  # float32 == np.float64(0.1) is True
        elif not isinstance(other, _COMPARABLE) and not is_cupy_array(other):
            # a Decimal, a Fraction, a list, another library's tensor: PyTorch's eq()/lt()
            # raise a TypeError, and its operators return NotImplemented (below), so == is
            # then Python's identity and < a TypeError
            raise OperandTypeError(
                f"{name.strip('_')}(): argument 'other' must be a Tensor or a number, not "
                f"{type(other).__name__}"
            )
        elif a.dtype.kind in "biu" and isinstance(other, float | np.floating):
            # the default float, as PyTorch's: int64 16777217 == 16777216.0 is True
            a = a.astype(_ops().elementwise.result_dtype(self, other))
        elif a.dtype.kind != "c" and isinstance(other, complex | np.complexfloating):
            a = a.astype(_ops().elementwise.result_dtype(self, other))
        if a.dtype.kind == "c" and name in _ORDERINGS:  # NumPy orders by the real part
            raise NotImplementedError(
                f'"{name.strip("_")}_cpu" not implemented for complex tensors ({a.dtype})'
            )
        try:  # not `with broadcast_errors`: a comparison is too cheap for a context manager
            return Tensor._make(getattr(a, name)(other), False)
        except ValueError:
            with broadcast_errors(name.strip("_")):
                raise

    def __lt__(self, other: Any) -> Tensor:
        try:
            return self._compare(other, "__lt__")
        except OperandTypeError:
            return NotImplemented

    def __le__(self, other: Any) -> Tensor:
        try:
            return self._compare(other, "__le__")
        except OperandTypeError:
            return NotImplemented

    def __gt__(self, other: Any) -> Tensor:
        try:
            return self._compare(other, "__gt__")
        except OperandTypeError:
            return NotImplemented

    def __ge__(self, other: Any) -> Tensor:
        try:
            return self._compare(other, "__ge__")
        except OperandTypeError:
            return NotImplemented

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        if other is None:  # `t == None` is False, as in PyTorch
            return False
        try:
            return self._compare(other, "__eq__")
        except OperandTypeError:
            return NotImplemented

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        if other is None:
            return True
        try:
            return self._compare(other, "__ne__")
        except OperandTypeError:
            return NotImplemented

    def __floordiv__(self, other: Any) -> Tensor:
        return _ops().floor_divide(self, other)

    def __rfloordiv__(self, other: Any) -> Tensor:
        return _ops().floor_divide(other, self)

    def __mod__(self, other: Any) -> Tensor:
        return _ops().remainder(self, other)

    def __rmod__(self, other: Any) -> Tensor:
        return _ops().remainder(other, self)

    def eq(self, other: Any) -> Tensor:
        return self._compare(other, "__eq__")

    def ne(self, other: Any) -> Tensor:
        return self._compare(other, "__ne__")

    def lt(self, other: Any) -> Tensor:
        return self._compare(other, "__lt__")

    def le(self, other: Any) -> Tensor:
        return self._compare(other, "__le__")

    def gt(self, other: Any) -> Tensor:
        return self._compare(other, "__gt__")

    def ge(self, other: Any) -> Tensor:
        return self._compare(other, "__ge__")

    def __invert__(self) -> Tensor:
        return Tensor._make(~self._data, False)

    # & | ^ are bitwise_and/or/xor, with PyTorch's type promotion (int32 & a 0-d int64
    # tensor is int32; NumPy's operators made it int64); two tensors of one integer or bool
    # dtype (masks combined) need none, and take NumPy's operator directly
    def _same_bits(self, other: Any) -> bool:
        return (
            isinstance(other, Tensor)
            and other._data.dtype == self._data.dtype
            and self._data.dtype.kind in "biu"
        )

    def __and__(self, other: Any) -> Tensor:
        if self._same_bits(other):
            return self._compare(other, "__and__")
        return _ops().bitwise_and(self, other)

    def __or__(self, other: Any) -> Tensor:
        if self._same_bits(other):
            return self._compare(other, "__or__")
        return _ops().bitwise_or(self, other)

    def __xor__(self, other: Any) -> Tensor:
        if self._same_bits(other):
            return self._compare(other, "__xor__")
        return _ops().bitwise_xor(self, other)

    def __rand__(self, other: Any) -> Tensor:
        return _ops().bitwise_and(other, self)

    def __ror__(self, other: Any) -> Tensor:
        return _ops().bitwise_or(other, self)

    def __rxor__(self, other: Any) -> Tensor:
        return _ops().bitwise_xor(other, self)

    # ------------------------------------------------------------------ methods
    def add(self, other: Any, *old: Any, alpha: Any = 1) -> Tensor:
        """self + alpha * other, as PyTorch's (also its deprecated `add(alpha, other)`)."""
        if old:
            _old_overload("add", "Number alpha, Tensor other", "Tensor other, *, Number alpha = 1")
            (other, alpha) = (old[0], other)
        return _ops().add(self, other, alpha=alpha)

    def sub(self, other: Any, *old: Any, alpha: Any = 1) -> Tensor:
        """self - alpha * other, as PyTorch's (also its deprecated `sub(alpha, other)`)."""
        if old:
            _old_overload("sub", "Number alpha, Tensor other", "Tensor other, *, Number alpha = 1")
            (other, alpha) = (old[0], other)
        return _ops().sub(self, other, alpha=alpha)

    def mul(self, other: Any) -> Tensor:
        return _ops().mul(self, other)

    def div(self, other: Any, *, rounding_mode: str | None = None) -> Tensor:
        return _ops().div_rounded(self, other, rounding_mode)

    divide = div

    def neg(self) -> Tensor:
        return _ops().neg(self)

    def matmul(self, other: Any) -> Tensor:
        return _ops().matmul(self, other)

    def mm(self, other: Any) -> Tensor:
        return mm(self, other)

    def clone(self, *, memory_format: Any = preserve_format) -> Tensor:
        """A differentiable copy on its own storage (row-major, or laid out as
        `memory_format` says)."""
        from .ops.shape import clone

        out = clone(self)
        order = _format_order(memory_format, self.ndim, "clone")
        if order is not None:
            out._data = _in_format(out._data, order)  # its own fresh array: no alias
        return out

    def contiguous(self, memory_format: Any = contiguous_format) -> Tensor:
        """self when its memory is already laid out as `memory_format` (row-major by
        default), else such a copy (differentiable, with its own storage and version
        counter), as PyTorch's `contiguous()`."""
        if self.is_contiguous(memory_format):
            return self
        return self.clone(memory_format=memory_format)

    def is_contiguous(self, memory_format: Any = contiguous_format) -> bool:
        """Whether the elements lie in memory in `memory_format`'s order with no gaps
        (dims of size 1 may have any stride), as PyTorch's."""
        if not isinstance(memory_format, _MemoryFormat) or memory_format.order is None:
            _format_order(memory_format, self.ndim, "is_contiguous")  # a non-format raises
            return bool(self._data.flags.c_contiguous)
        order = memory_format.order
        if len(order) != self.ndim:
            return False
        shape, strides = self.shape, self.stride()
        expected = 1
        for d in reversed(order):
            if shape[d] != 1:
                if strides[d] != expected:
                    return False
                expected *= shape[d]
        return True

    @property
    def is_sparse(self) -> bool:
        """False: minigrad's tensors are dense."""
        return False

    @property
    def is_meta(self) -> bool:
        """False: every tensor holds its values (no meta device)."""
        return False

    @property
    def is_quantized(self) -> bool:
        """False: minigrad has no quantized tensors."""
        return False

    @property
    def is_mkldnn(self) -> bool:
        """False: minigrad has no MKL-DNN layout."""
        return False

    @property
    def is_nested(self) -> bool:
        """False: minigrad has no nested tensors."""
        return False

    @property
    def output_nr(self) -> int:
        """Which output of its grad_fn this tensor is (0 for a leaf), as PyTorch's: the
        second chunk of `x.chunk(2)` is 1."""
        return self._out_index if self.creator is not None else 0

    def as_subclass(self, cls: type) -> Tensor:
        """This tensor's data as an instance of `cls`, a Tensor subclass, as PyTorch's: a
        view (writes go both ways) that stays in the graph, as an alias of self."""
        if not (isinstance(cls, type) and issubclass(cls, Tensor)):
            raise TypeError(
                "Creating a Tensor subclass from a class that does not inherit from Tensor is "
                f"not possible (as_subclass got {cls!r}). Make sure your class inherits from "
                "Tensor."
            )
        out = self[...]
        try:
            out.__class__ = cls
        except TypeError:  # a subclass that adds __slots__ lays out its objects differently
            raise TypeError(
                f"as_subclass: {cls.__name__} adds __slots__ to Tensor's, so a tensor cannot "
                "become one; give it no __slots__ (or `__slots__ = ()`)"
            ) from None
        return out

    @property
    def layout(self) -> layout:
        """`minigrad.strided`: minigrad's tensors are dense."""
        return strided

    def t(self) -> Tensor:
        """Transpose of a tensor with at most 2 dims, as PyTorch's `t()`."""
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, got {self.ndim}")
        return self.permute(*reversed(range(self.ndim)))

    def exp(self) -> Tensor:
        return _ops().exp(self)

    def log(self) -> Tensor:
        return _ops().log(self)

    def sqrt(self) -> Tensor:
        return _ops().sqrt(self)

    def abs(self) -> Tensor:
        return _ops().abs(self)

    def sin(self) -> Tensor:
        return _ops().sin(self)

    def cos(self) -> Tensor:
        return _ops().cos(self)

    def erf(self) -> Tensor:
        return _ops().erf(self)

    def erfc(self) -> Tensor:
        return _ops().erfc(self)

    def erfinv(self) -> Tensor:
        return _ops().erfinv(self)

    def lgamma(self) -> Tensor:
        return _ops().lgamma(self)

    def digamma(self) -> Tensor:
        return _ops().digamma(self)

    def polygamma(self, n: int) -> Tensor:
        return _ops().polygamma(n, self)

    def sinc(self) -> Tensor:
        return _ops().sinc(self)

    def logit(self, eps: float | None = None) -> Tensor:
        return _ops().logit(self, eps)

    def xlogy(self, other: Any) -> Tensor:
        return _ops().xlogy(self, other)

    # ---- linear algebra (minigrad.linalg), as torch.Tensor's methods
    def inverse(self) -> Tensor:
        from . import linalg

        return linalg.inv(self)

    def det(self) -> Tensor:
        from . import linalg

        return linalg.det(self)

    def logdet(self) -> Tensor:
        from . import linalg

        return linalg.logdet(self)

    def slogdet(self) -> Any:
        from . import linalg, return_types

        return return_types.slogdet(*linalg.slogdet(self))

    def cholesky(self, upper: bool = False) -> Tensor:
        from . import linalg

        return linalg.cholesky(self, upper=upper)

    def pinverse(self, rcond: float = 1e-15) -> Tensor:
        from . import linalg

        return linalg.pinv(self, rtol=rcond)

    def matrix_power(self, n: int) -> Tensor:
        from . import linalg

        return linalg.matrix_power(self, n)

    def matrix_exp(self) -> Tensor:
        from . import linalg

        return linalg.matrix_exp(self)

    def svd(self, some: bool = True, compute_uv: bool = True) -> Any:
        """torch.svd's form: (U, S, V), V not transposed; `some=False` gives full U and V.
        Without `compute_uv`, U and V are zeros of shape (..., m, m) and (..., n, n)
        whatever `some` says, as PyTorch documents; S keeps its gradient."""
        from . import linalg, return_types

        if not compute_uv:
            S = linalg.svdvals(self)
            xp, (m, n) = get_array_module(self._data), self.shape[-2:]
            zeros = [xp.zeros(self.shape[:-2] + (k, k), self._data.dtype) for k in (m, n)]
            return return_types.svd(Tensor._make(zeros[0], False), S, Tensor._make(zeros[1], False))
        U, S, Vh = linalg.svd(self, full_matrices=not some)
        return return_types.svd(U, S, Vh.transpose(-2, -1))

    def qr(self, some: bool = True) -> Any:
        from . import linalg, return_types

        return return_types.qr(*linalg.qr(self, "reduced" if some else "complete"))

    # ---- special functions (mg.special / ops.special), as torch.Tensor's methods
    def i0(self) -> Tensor:
        return _ops().special.i0(self)

    def igamma(self, other: Tensor) -> Tensor:
        return _ops().special.gammainc(self, other)

    def igammac(self, other: Tensor) -> Tensor:
        return _ops().special.gammaincc(self, other)

    def mvlgamma(self, p: int) -> Tensor:
        return _ops().special.multigammaln(self, p)

    def i0_(self) -> Tensor:
        return self._float_write_("i0_", _ops().special.i0)

    def igamma_(self, other: Tensor) -> Tensor:
        return self._float_write_("igamma_", lambda t: _ops().special.gammainc(t, other))

    def igammac_(self, other: Tensor) -> Tensor:
        return self._float_write_("igammac_", lambda t: _ops().special.gammaincc(t, other))

    def mvlgamma_(self, p: int) -> Tensor:
        return self._float_write_("mvlgamma_", lambda t: _ops().special.multigammaln(t, p))

    def erf_(self) -> Tensor:
        return self._float_write_("erf_", _ops().erf)

    def erfc_(self) -> Tensor:
        return self._float_write_("erfc_", _ops().special.erfc)

    def erfinv_(self) -> Tensor:
        return self._float_write_("erfinv_", _ops().special.erfinv)

    def lgamma_(self) -> Tensor:
        return self._float_write_("lgamma_", _ops().special.lgamma)

    def digamma_(self) -> Tensor:
        return self._float_write_("digamma_", _ops().special.digamma)

    def polygamma_(self, n: int) -> Tensor:
        return self._float_write_("polygamma_", lambda t: _ops().special.polygamma(n, t))

    def sinc_(self) -> Tensor:
        return self._float_write_("sinc_", _ops().special.sinc)

    def logit_(self, eps: float | None = None) -> Tensor:
        return self._float_write_("logit_", lambda t: _ops().special.logit(t, eps))

    def xlogy_(self, other: Any) -> Tensor:
        return self._float_write_("xlogy_", lambda t: _ops().special.xlogy(t, other))

    def isnan(self) -> Tensor:
        return _ops().isnan(self)

    def isinf(self) -> Tensor:
        return _ops().isinf(self)

    def isposinf(self) -> Tensor:
        return _ops().isposinf(self)

    def isneginf(self) -> Tensor:
        return _ops().isneginf(self)

    def signbit(self) -> Tensor:
        return _ops().signbit(self)

    def nansum(self, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
        return _ops().nansum(self, dim, keepdim, dtype=dtype)

    def nanmean(self, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
        return _ops().nanmean(self, dim, keepdim, dtype=dtype)

    def isfinite(self) -> Tensor:
        return _ops().isfinite(self)

    def clip(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
        return _ops().clip(self, min, max)

    clamp = clip

    def maximum(self, other: Any) -> Tensor:
        return _ops().maximum(self, other)

    def minimum(self, other: Any) -> Tensor:
        return _ops().minimum(self, other)

    def pow(self, exponent: Any) -> Tensor:
        return _ops().power(self, exponent)

    def tanh(self) -> Tensor:
        return _ops().tanh(self)

    def sigmoid(self) -> Tensor:
        return _ops().sigmoid(self)

    def prelu(self, weight: Tensor) -> Tensor:
        """x where x > 0, else weight * x, as torch.nn.functional.prelu."""
        from .nn.functional import prelu

        return prelu(self, weight)

    def relu(self) -> Tensor:
        return _ops().relu(self)

    def hardshrink(self, lambd: float = 0.5) -> Tensor:
        return _ops().hardshrink(self, lambd)

    def softmax(self, dim: int, dtype: Any = None) -> Tensor:
        """softmax along `dim` (required, as PyTorch's); `dtype` (a float one) casts the input
        first, as PyTorch's."""
        return _ops().softmax(_cast_for("softmax", self, dtype), dim)

    def log_softmax(self, dim: int, dtype: Any = None) -> Tensor:
        """log_softmax along `dim` (required); `dtype` (a float one) casts the input first."""
        return _ops().log_softmax(_cast_for("log_softmax", self, dtype), dim)

    def logsumexp(self, dim: Any, keepdim: bool = False) -> Tensor:
        return _ops().logsumexp(self, dim, keepdim)

    def sum(
        self, dim: Any = None, keepdim: bool = False, *, dtype: Any = None, **np_kw: Any
    ) -> Tensor:
        """The sum over `dim`; `dtype` casts the input first, as PyTorch's."""
        dim, keepdim = _dim_args(dim, keepdim, np_kw)
        return _ops().reduce_sum(self, dim, keepdim, dtype)

    def mean(
        self, dim: Any = None, keepdim: bool = False, *, dtype: Any = None, **np_kw: Any
    ) -> Tensor:
        """The mean over `dim`; `dtype` casts the input first, as PyTorch's. An integer or
        bool tensor needs a float `dtype` (PyTorch raises too)."""
        dim, keepdim = _dim_args(dim, keepdim, np_kw)
        x = self if dtype is None else self.to(dtype=dtype)
        _float_statistic("mean", x)
        return _ops().mean(x, dim, keepdim)

    def var(
        self,
        dim: Any = None,
        unbiased: Any = _UNBIASED,
        keepdim: bool = False,
        *,
        correction: int | None = None,
        **np_kw: Any,
    ) -> Tensor:
        dim, correction = _correction("var", dim, unbiased, correction)
        dim, keepdim = _dim_args(dim, keepdim, np_kw)
        _float_statistic("var", self)
        return _ops().var(self, dim, correction, keepdim)

    def std(
        self,
        dim: Any = None,
        unbiased: Any = _UNBIASED,
        keepdim: bool = False,
        *,
        correction: int | None = None,
        **np_kw: Any,
    ) -> Tensor:
        dim, correction = _correction("std", dim, unbiased, correction)
        dim, keepdim = _dim_args(dim, keepdim, np_kw)
        _float_statistic("std", self)
        return _ops().std(self, dim, correction, keepdim)

    def max(self, dim: Any = None, keepdim: bool = False, **np_kw: Any) -> Any:
        """Largest element; with an int `dim`, PyTorch's (values, indices) pair; with a
        tensor, the element-wise maximum."""
        if "other" in np_kw:  # x.max(other=y), PyTorch's name for the tensor form
            return _other_form("max", self, dim, keepdim, np_kw)
        if isinstance(dim, Tensor):
            return _ops().maximum(self, dim)
        _one_dim("max", dim)  # (NumPy's axis= may name several: np.max(t, axis=(0, 1)))
        dim, keepdim = _dim_args(dim, keepdim, np_kw)
        return _ops().max_reduce(self, dim, keepdim)

    def min(self, dim: Any = None, keepdim: bool = False, **np_kw: Any) -> Any:
        if "other" in np_kw:  # x.min(other=y), PyTorch's name for the tensor form
            return _other_form("min", self, dim, keepdim, np_kw)
        if isinstance(dim, Tensor):
            return _ops().minimum(self, dim)
        _one_dim("min", dim)  # (NumPy's axis= may name several: np.min(t, axis=(0, 1)))
        dim, keepdim = _dim_args(dim, keepdim, np_kw)
        return _ops().min_reduce(self, dim, keepdim)

    def amax(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        return _ops().amax(self, dim, keepdim)

    def amin(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        return _ops().amin(self, dim, keepdim)

    def argmax(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        return _ops().argmax(self, dim, keepdim)

    def argmin(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        return _ops().argmin(self, dim, keepdim)

    def triangular_solve(
        self, A: Tensor, upper: bool = True, transpose: bool = False, unitriangular: bool = False
    ) -> Any:
        from .linalg import triangular_solve

        return triangular_solve(self, A, upper, transpose, unitriangular)

    def norm(
        self, p: Any = "fro", dim: Any = None, keepdim: bool = False, dtype: Any = None
    ) -> Tensor:
        """The p-norm over `dim`, as PyTorch's `Tensor.norm`/`torch.norm`: integer and
        bool tensors are refused (cast them to float); `dtype` casts first (a wider one
        only). As PyTorch's, 'fro' (the default) over at most two dims is the 2-norm;
        another string, or 'fro' over more dims, is a matrix norm, which needs exactly two
        dims (`dim=None` is all of them), so `x3d.norm(dim=(0, 1, 2))` is refused; p=None
        is the 2-norm over any dims. `dim` is an int (a NumPy integer or a 0-d tensor too)
        or a sequence."""
        from .linalg import matrix_norm, vector_norm

        if p is None:  # the 2-norm over the dims, however many
            p = 2
        if dim is None:
            dims = None
        elif isinstance(dim, int | np.integer) or (isinstance(dim, Tensor) and dim.ndim == 0):
            dims = (dim,)
        else:
            dims = tuple(dim)
        if isinstance(p, str) and not (p == "fro" and (dims is None or len(dims) <= 2)):
            dims = tuple(range(self.ndim)) if dims is None else dims
            return matrix_norm(self, p, dims, keepdim, dtype=dtype)
        return vector_norm(self, 2 if isinstance(p, str) else p, dim, keepdim, dtype=dtype)

    def reshape(self, *sizes: Any, shape: Any = None) -> Tensor:
        sizes = _star_or_keyword("reshape", "shape", sizes, shape)
        return self._viewed(_ops().reshape(self, _shape_args(sizes, "reshape", "shape")))

    def _viewed(self, out: Tensor) -> Tensor:
        """A view op's result, made a new tensor where the op changed nothing
        (`x.view(x.shape)`, an identity `permute`, a `squeeze` of no size-1 dim), as
        PyTorch's view ops always give one: a hook, `requires_grad_` or `retain_grad` on
        the view then acts on the view, not on self. It is `self[...]`, sharing self's
        memory and version counter."""
        return _ops().getitem(self, Ellipsis) if out is self else out

    def view(self, *shape: Any, size: Any = None, dtype: Any = None) -> Tensor:
        """`reshape`, sharing memory wherever NumPy can (a view PyTorch refuses, as of a
        transposed tensor, is a copy here: minigrad's convolutions keep batch-minor arrays
        that PyTorch's layout rules would not describe). `view(dtype)` reinterprets the
        bytes as another dtype (no gradient), as PyTorch's."""
        if dtype is not None:
            if size is not None:
                raise TypeError("view() takes size= or dtype=, not both")
            shape = _star_or_keyword("view", "dtype", shape, dtype)
        else:
            shape = _star_or_keyword("view", "size", shape, size)
        if len(shape) == 1 and isinstance(shape[0], type | np.dtype | _NoBFloat16):
            return self._view_dtype(np.dtype(shape[0]))
        return self._viewed(_ops().reshape(self, _shape_args(shape)))

    def data_ptr(self) -> int:
        """The address of the first element, as PyTorch's: equal for tensors that start at
        the same memory (tied weights, a view at offset 0). A 0-d tensor held as a NumPy
        scalar gets an array of its own first, so its address stays put."""
        return _address(self._shareable())

    def const_data_ptr(self) -> int:
        """`data_ptr()`, as PyTorch's read-only twin of it."""
        return self.data_ptr()

    def storage_offset(self) -> int:
        """Elements between the start of the memory this tensor views and its first element
        (0 for a tensor that owns its memory), as PyTorch's."""
        data = self._data
        root = data
        while (up := getattr(root, "base", None)) is not None:
            if not hasattr(up, "dtype"):  # as_strided's holder of its source array
                up = getattr(up, "base", None)
                if not hasattr(up, "dtype"):
                    break
            root = up
        if root is data:
            return 0
        return (_address(data) - _address(root)) // data.itemsize

    def _view_dtype(self, dtype: np.dtype) -> Tensor:
        """`view(dtype)`: the bytes of self as `dtype`, sharing memory and version counter;
        with another element size the last dimension scales (PyTorch's rules)."""
        old, new = self.dtype.itemsize, dtype.itemsize
        if old != new:
            what = (
                f"to view {_type_name(self.dtype)} as {_type_name(dtype)} (different element sizes)"
            )
            if self.ndim == 0:
                raise RuntimeError(f"self.dim() cannot be 0 {what}")
            if new > old and self.shape[-1] % (new // old):
                raise RuntimeError(
                    f"self.size(-1) must be divisible by {new // old} {what}, but got "
                    f"{self.shape[-1]}"
                )
            if self.numel() and self.stride(-1) != 1:
                raise RuntimeError(f"self.stride(-1) must be 1 {what}, but got {self.stride(-1)}")
            if new > old and self.numel():
                offset = self.storage_offset()
                if offset % (new // old):
                    raise RuntimeError(
                        f"self.storage_offset() must be divisible by {new // old} {what}, but "
                        f"got {offset}"
                    )
                for d in range(self.ndim - 1):
                    if self.stride(d) % (new // old):
                        raise RuntimeError(
                            f"self.stride({d}) must be divisible by {new // old} {what}, but "
                            f"got {self.stride(d)}"
                        )
        out = Tensor._make(self._shareable().view(dtype), False)
        out._vc = self._vc
        return out

    def view_as(self, other: Tensor) -> Tensor:
        return self.view(other.shape)

    def reshape_as(self, other: Tensor) -> Tensor:
        if not isinstance(other, Tensor):
            raise TypeError(
                "reshape_as(): argument 'other' (position 1) must be Tensor, not "
                f"{type(other).__name__}"
            )
        return self.reshape(other.shape)

    def unflatten(self, dim: int, sizes: Any) -> Tensor:
        return self._viewed(_ops().unflatten(self, dim, sizes))

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        return self._viewed(_ops().transpose(self, dim0, dim1))

    def permute(self, *order: Any, dims: Any = None) -> Tensor:
        dims = _star_or_keyword("permute", "dims", order, dims)
        return self._viewed(_ops().permute(self, _shape_args(dims, "permute", "dims")))

    def squeeze(self, dim: Any = None) -> Tensor:
        return self._viewed(_ops().squeeze(self, dim))

    def unsqueeze(self, dim: int) -> Tensor:
        return _ops().unsqueeze(self, dim)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        return _ops().flatten(self, start_dim, end_dim)

    def expand(self, *shape: Any, size: Any = None) -> Tensor:
        shape = _star_or_keyword("expand", "size", shape, size)
        return self._viewed(_ops().expand(self, _shape_args(shape, "expand")))

    def broadcast_to(self, *shape: Any, size: Any = None) -> Tensor:
        shape = _star_or_keyword("broadcast_to", "size", shape, size)
        return self._viewed(_ops().broadcast_to(self, _shape_args(shape, "broadcast_to")))

    def expand_as(self, other: Tensor) -> Tensor:
        return self._viewed(_ops().broadcast_to(self, other.shape))

    def split(self, split_size: Any, dim: int = 0) -> tuple[Tensor, ...]:
        return _ops().split(self, split_size, dim)

    def chunk(self, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
        return _ops().chunk(self, chunks, dim)

    unsafe_chunk = chunk  # PyTorch's unchecked variants: the same views here
    unsafe_split = split

    def repeat(self, *sizes: Any, repeats: Any = None) -> Tensor:
        sizes = _star_or_keyword("repeat", "repeats", sizes, repeats)
        return _ops().repeat(self, _shape_args(sizes, "repeat", "repeats"))

    def sort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> Any:
        return _ops().sort(self, dim, descending, stable)

    def topk(
        self,
        k: int,
        dim: int = -1,
        largest: bool = True,
        sorted: bool = True,  # noqa: A002
    ) -> Any:
        return _ops().topk(self, k, dim, largest, sorted)

    def kthvalue(self, k: int, dim: int = -1, keepdim: bool = False) -> Any:
        return _ops().kthvalue(self, k, dim, keepdim)

    def cummax(self, dim: int) -> Any:
        return _ops().cummax(self, dim)

    def cummin(self, dim: int) -> Any:
        return _ops().cummin(self, dim)

    # ------------------------------------------------------------------ more PyTorch ops
    def masked_fill(self, mask: Any, value: Any) -> Tensor:
        return _ops().masked_fill(self, mask, value)

    def masked_fill_(self, mask: Any, value: Any) -> Tensor:
        """Write `value` where the bool mask (broadcast to self's shape) is True."""
        from .ops import indexing

        done = self._record_with(
            "masked_fill_", lambda b: indexing.masked_fill(b, mask, value), value
        )
        if done is not None:
            return done

        m = indexing._mask_array(mask, self, "masked_fill_")
        try:
            fits = np.broadcast_shapes(tuple(m.shape), self.shape) == self.shape
        except ValueError:
            fits = False
        if not fits:
            raise RuntimeError(
                f"masked_fill_: mask of shape {tuple(m.shape)} does not broadcast to the "
                f"tensor's shape {self.shape}"
            )
        self._inplace("masked_fill_", value)
        fill = indexing.fill_value(value, self, "masked_fill_")
        get_array_module(self._data).copyto(self._data, fill, where=m)
        self._version += 1
        return self

    def masked_select(self, mask: Any) -> Tensor:
        return _ops().masked_select(self, mask)

    def all(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        return _ops().all(self, dim, keepdim)

    def any(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        return _ops().any(self, dim, keepdim)

    def gather(self, dim: int, index: Any, *, sparse_grad: bool = False) -> Tensor:
        return _ops().gather(self, dim, index, sparse_grad=sparse_grad)

    def scatter(
        self, dim: int, index: Any, src: Any = None, value: Any = None, reduce: Any = None
    ) -> Tensor:
        return _ops().scatter(self, dim, index, src, value, reduce)

    def scatter_add(self, dim: int, index: Any, src: Tensor) -> Tensor:
        return _ops().scatter_add(self, dim, index, src)

    def scatter_(
        self, dim: int, index: Any, src: Any = None, value: Any = None, reduce: Any = None
    ) -> Tensor:
        fn = lambda b: _ops().scatter(b, dim, index, src, value, reduce)  # noqa: E731
        return self._op_("scatter_", fn, *[v for v in (src, value) if isinstance(v, Tensor)])

    def scatter_add_(self, dim: int, index: Any, src: Tensor) -> Tensor:
        """Recorded in a graph (`out.scatter_add_(0, idx, messages)`), as `index_add_`."""
        fn = lambda b: _ops().scatter_add(b, dim, index, src)  # noqa: E731
        return self._op_("scatter_add_", fn, src)

    def index_select(self, dim: int, index: Any) -> Tensor:
        return _ops().index_select(self, dim, index)

    def index_add(self, dim: int, index: Any, source: Tensor, *, alpha: Any = 1) -> Tensor:
        return _ops().index_add(self, dim, index, source, alpha=alpha)

    def index_add_(self, dim: int, index: Any, source: Tensor, *, alpha: Any = 1) -> Tensor:
        """Add alpha * source along `dim` at `index` (recorded in a graph, as `add_`)."""
        ops = _ops()
        done = self._record_with(
            "index_add_", lambda b: ops.index_add(b, dim, index, source, alpha=alpha), source
        )
        if done is not None:
            return done
        with autograd.no_grad():
            out = ops.index_add(self.detach(), dim, index, source, alpha=alpha)
        return self._write_("index_add_", out, source)

    def index_put(self, indices: Any, values: Tensor, accumulate: bool = False) -> Tensor:
        return _ops().index_put(self, indices, values, accumulate)

    def index_put_(self, indices: Any, values: Tensor, accumulate: bool = False) -> Tensor:
        """Write (or add) `values` at `self[indices]` (recorded in a graph, as `add_`)."""
        ops = _ops()
        done = self._record_with(
            "index_put_", lambda b: ops.index_put(b, indices, values, accumulate), values
        )
        if done is not None:
            return done
        with autograd.no_grad():
            out = ops.index_put(self.detach(), indices, values, accumulate)
        return self._write_("index_put_", out, values)

    def take_along_dim(self, indices: Any, dim: int | None = None) -> Tensor:
        return _ops().take_along_dim(self, indices, dim)

    def bincount(self, weights: Any = None, minlength: int = 0) -> Tensor:
        return _ops().bincount(self, weights, minlength)

    def where(self, condition: Any, other: Any) -> Tensor:
        """`where(condition, self, other)`."""
        return _ops().where(condition, self, other)

    def nonzero(self, as_tuple: bool = False) -> Any:
        return _ops().nonzero(self, as_tuple)

    def argwhere(self) -> Tensor:
        return _ops().nonzero(self)

    def cumsum(self, dim: int, dtype: Any = None) -> Tensor:
        return _ops().cumsum(self, dim, dtype)

    def prod(self, dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Tensor:
        return _ops().prod(self, dim, keepdim, dtype)

    def argsort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
        return _ops().argsort(self, dim, descending, stable)

    def tril(self, diagonal: int = 0) -> Tensor:
        return _ops().tril(self, diagonal)

    def triu(self, diagonal: int = 0) -> Tensor:
        return _ops().triu(self, diagonal)

    def tril_(self, diagonal: int = 0) -> Tensor:  # recorded in a graph, as PyTorch's
        return self._op_("tril_", lambda b: _ops().tril(b, diagonal))

    def triu_(self, diagonal: int = 0) -> Tensor:
        return self._op_("triu_", lambda b: _ops().triu(b, diagonal))

    def floor(self) -> Tensor:
        return _ops().floor(self)

    def ceil(self) -> Tensor:
        return _ops().ceil(self)

    def round(self, decimals: int = 0) -> Tensor:
        return _ops().round(self, decimals)

    def trunc(self) -> Tensor:
        return _ops().trunc(self)

    fix = trunc

    def sign(self) -> Tensor:
        return _ops().sign(self)

    def square(self) -> Tensor:
        return _ops().square(self)

    def rsqrt(self) -> Tensor:
        return _ops().rsqrt(self)

    def log1p(self) -> Tensor:
        return _ops().log1p(self)

    def expm1(self) -> Tensor:
        return _ops().expm1(self)

    def clamp_min(self, min: Any) -> Tensor:  # noqa: A002
        return _ops().clip(self, min, None)

    def clamp_max(self, max: Any) -> Tensor:  # noqa: A002
        return _ops().clip(self, None, max)

    def clamp_min_(self, min: Any) -> Tensor:  # noqa: A002
        return self.clamp_(min, None)

    def clamp_max_(self, max: Any) -> Tensor:  # noqa: A002
        return self.clamp_(None, max)

    def flip(self, *order: Any, dims: Any = None) -> Tensor:
        dims = _star_or_keyword("flip", "dims", order, dims)
        if not dims:
            raise TypeError("flip() missing 1 required argument: 'dims' (a list of dims)")
        return _ops().flip(self, _shape_args(dims, "flip", "dims"))

    def fliplr(self) -> Tensor:
        if self.ndim < 2:
            raise RuntimeError(f"fliplr: Input must be >= 2-d, got shape {self.shape}")
        return _ops().flip(self, (1,))

    def flipud(self) -> Tensor:
        if self.ndim < 1:
            raise RuntimeError("flipud: Input must be >= 1-d, got a 0-d tensor")
        return _ops().flip(self, (0,))

    def roll(self, shifts: Any, dims: Any = None) -> Tensor:
        return _ops().roll(self, shifts, dims)

    def unbind(self, dim: int = 0) -> tuple[Tensor, ...]:
        return _ops().unbind(self, dim)

    def narrow(self, dim: int, start: Any, length: int) -> Tensor:
        return _ops().narrow(self, dim, start, length)

    def select(self, dim: int, index: int) -> Tensor:
        """The slice at `index` along `dim`, that dim dropped (`x[:, i]` for dim 1): a view,
        as PyTorch's."""
        if self.ndim == 0:
            raise IndexError("select() cannot be applied to a 0-dim tensor.")
        dim, index = _int_arg("select", "dim", dim), _int_arg("select", "index", index)
        d = dim + self.ndim if -self.ndim <= dim < 0 else dim
        if not 0 <= d < self.ndim:
            raise IndexError(
                f"Dimension out of range (expected to be in range of [{-self.ndim}, "
                f"{self.ndim - 1}], but got {dim})"
            )
        n = self.shape[d]
        if not -n <= index < n:
            raise IndexError(
                f"select(): index {index} out of range for tensor of size {self.shape} at "
                f"dimension {dim}"
            )
        return self[(slice(None),) * d + (index,)]

    def new(self, *args: Any) -> Tensor:
        """PyTorch's legacy `x.new(...)`: the forms of `Tensor(...)` (data, or a shape of
        ints), in x's dtype and on x's device."""
        return Tensor(*args, dtype=self.dtype, device=self.device)

    def diag(self, diagonal: int = 0) -> Tensor:
        return _ops().diag(self, diagonal)

    def outer(self, other: Tensor) -> Tensor:
        return _ops().outer(self, other)

    def logical_and(self, other: Any) -> Tensor:
        return _ops().logical_and(self, other)

    def logical_or(self, other: Any) -> Tensor:
        return _ops().logical_or(self, other)

    def logical_xor(self, other: Any) -> Tensor:
        return _ops().logical_xor(self, other)

    def logical_not(self) -> Tensor:
        return _ops().logical_not(self)

    def isclose(
        self, other: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
    ) -> Tensor:
        return _ops().isclose(self, other, rtol, atol, equal_nan)

    def allclose(
        self, other: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
    ) -> bool:
        return _ops().allclose(self, other, rtol, atol, equal_nan)

    def equal(self, other: Tensor) -> bool:
        return _ops().equal(self, other)

    def lerp(self, end: Any, weight: Any) -> Tensor:
        return _ops().lerp(self, end, weight)

    def addcmul(
        self, *tensors: Any, tensor1: Any = None, tensor2: Any = None, value: float = 1
    ) -> Tensor:
        """self + value * tensor1 * tensor2 (PyTorch's order of rounding); `value` is cast
        to an integer result's dtype, as PyTorch's."""
        tensors = _addc_keywords("addcmul", tensors, tensor1, tensor2)
        tensor1, tensor2, value = _addc_args("addcmul", self, tensors, value)
        return _addc(self, tensor1, tensor2, value, divide=False)

    def addcdiv(
        self, *tensors: Any, tensor1: Any = None, tensor2: Any = None, value: float = 1
    ) -> Tensor:
        """self + value * tensor1 / tensor2 (PyTorch's order of rounding)."""
        tensors = _addc_keywords("addcdiv", tensors, tensor1, tensor2)
        tensor1, tensor2, value = _addc_args("addcdiv", self, tensors, value)
        return _addc(self, tensor1, tensor2, value, divide=True)

    # ------------------------------------------------------------------ batch 2 of PyTorch ops
    def bmm(self, other: Tensor) -> Tensor:
        if self.ndim != 3 or other.ndim != 3 or self.shape[0] != other.shape[0]:
            raise RuntimeError(
                f"bmm: expects two 3-D tensors with one batch size, got {self.shape} and "
                f"{other.shape}"
            )
        return _ops().matmul(self, other)

    def dot(self, other: Tensor) -> Tensor:
        return _ops().dot(self, other)

    def mv(self, vec: Tensor) -> Tensor:
        return _ops().mv(self, vec)

    def diagonal(self, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
        return _ops().diagonal(self, offset, dim1, dim2)

    def trace(self) -> Tensor:
        return _ops().trace(self)

    def cumprod(self, dim: int, dtype: Any = None) -> Tensor:
        return _ops().cumprod(self, dim, dtype)

    def reciprocal(self) -> Tensor:
        return _ops().reciprocal(self)

    def exp2(self) -> Tensor:
        return _ops().exp2(self)

    def log2(self) -> Tensor:
        return _ops().log2(self)

    def log10(self) -> Tensor:
        return _ops().log10(self)

    def tan(self) -> Tensor:
        return _ops().tan(self)

    def atan(self) -> Tensor:
        return _ops().atan(self)

    def asin(self) -> Tensor:
        return _ops().asin(self)

    def acos(self) -> Tensor:
        return _ops().acos(self)

    def sinh(self) -> Tensor:
        return _ops().sinh(self)

    def cosh(self) -> Tensor:
        return _ops().cosh(self)

    def asinh(self) -> Tensor:
        return _ops().asinh(self)

    def acosh(self) -> Tensor:
        return _ops().acosh(self)

    def atanh(self) -> Tensor:
        return _ops().atanh(self)

    arctan, arcsin, arccos = atan, asin, acos
    arcsinh, arccosh, arctanh = asinh, acosh, atanh

    def atan2(self, other: Any) -> Tensor:
        return _ops().atan2(self, other)

    arctan2 = atan2

    def fmod(self, other: Any) -> Tensor:
        return _ops().fmod(self, other)

    def remainder(self, other: Any) -> Tensor:
        return _ops().remainder(self, other)

    def floor_divide(self, other: Any) -> Tensor:
        return _ops().floor_divide(self, other)

    def true_divide(self, other: Any) -> Tensor:
        return _ops().div(self, other)

    def nan_to_num(
        self, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None
    ) -> Tensor:
        return _ops().nan_to_num(self, nan, posinf, neginf)

    def movedim(self, source: Any, destination: Any) -> Tensor:
        return self._viewed(_ops().movedim(self, source, destination))

    moveaxis = movedim

    def swapaxes(self, axis0: int, axis1: int) -> Tensor:
        return self.transpose(axis0, axis1)

    def swapdims(self, dim0: int, dim1: int) -> Tensor:
        return self.swapaxes(dim0, dim1)

    def nelement(self) -> int:
        return self.numel()

    def ndimension(self) -> int:
        return self.ndim

    def count_nonzero(self, dim: Any = None) -> Tensor:
        return _ops().count_nonzero(self, dim)

    def median(self, dim: Any = None, keepdim: bool = False) -> Any:
        return _ops().median(self, dim, keepdim)

    def unique(
        self,
        sorted: bool = True,  # noqa: A002
        return_inverse: bool = False,
        return_counts: bool = False,
        dim: int | None = None,
    ) -> Any:
        return _ops().unique(self, sorted, return_inverse, return_counts, dim)

    def tile(self, *order: Any, dims: Any = None) -> Tensor:
        dims = _star_or_keyword("tile", "dims", order, dims)
        if not dims:
            raise TypeError("tile() missing 1 required argument: 'dims' (repeats per dim)")
        return _ops().tile(self, _shape_args(dims, "tile", "dims"))

    def repeat_interleave(
        self, repeats: Any = None, dim: int | None = None, *, output_size: int | None = None
    ) -> Tensor:
        return _ops().repeat_interleave(self, repeats, dim, output_size=output_size)

    def tensor_split(
        self,
        indices_or_sections: Any = None,
        dim: int = 0,
        *,
        sections: Any = None,
        indices: Any = None,
    ) -> tuple[Tensor, ...]:
        """Split into `sections` near-equal parts or at `indices` (PyTorch's two keyword
        forms), or by `indices_or_sections` given by position."""
        given = [v for v in (indices_or_sections, sections, indices) if v is not None]
        if len(given) != 1:
            raise TypeError(
                "tensor_split() takes exactly one of indices_or_sections (by position), "
                f"sections= or indices=, got {len(given)}"
            )
        if sections is not None and not _is_int(sections):
            raise TypeError(f"tensor_split(): sections= must be an int, got {sections!r}")
        if indices is not None and not isinstance(indices, list | tuple | Tensor):
            raise TypeError(f"tensor_split(): indices= must be a sequence of ints, got {indices!r}")
        return _ops().tensor_split(self, given[0], dim)

    def diff(self, n: int = 1, dim: int = -1, prepend: Any = None, append: Any = None) -> Tensor:
        return _ops().diff(self, n, dim, prepend, append)

    def bernoulli(self, p: Any = None, *, generator: Any = None) -> Tensor:
        from ._more_api import bernoulli  # recorded with a zero gradient, as PyTorch's

        return bernoulli(self, p, generator=generator)

    def multinomial(
        self, num_samples: int, replacement: bool = False, *, generator: Any = None
    ) -> Tensor:
        return _ops().multinomial(self, num_samples, replacement, generator=generator)

    def bernoulli_(self, p: Any = 0.5, *, generator: Any = None) -> Tensor:
        """Fill with 0/1 draws, 1 with probability p (a number or a broadcast tensor)."""
        from .ops import sampling

        self._inplace("bernoulli_", p)
        sampling.bernoulli_fill(self, p, generator, "bernoulli_")
        self._version += 1
        return self

    def random_(self, *args: Any, to: Any = None, generator: Any = None) -> Tensor:
        """Fill with integers uniform on [from, to) (`random_(to)`, `random_(from, to)`)."""
        from .ops import sampling

        self._inplace("random_")
        sampling.random_fill(self, args, to, generator)
        self._version += 1
        return self

    def exponential_(self, lambd: float = 1.0, *, generator: Any = None) -> Tensor:
        """Fill with draws from the exponential distribution of rate `lambd`."""
        from .ops import sampling

        self._inplace("exponential_")
        sampling.exponential_fill(self, lambd, generator)
        self._version += 1
        return self

    # in-place changes of shape: the same memory seen with other dims
    def _restride_(self, what: str, arr: Any) -> Tensor:
        if autograd.is_grad_enabled() and self.requires_grad:
            kind = (
                "a leaf tensor that requires grad"
                if self.creator is None
                else "a tensor in a graph"
            )
            raise RuntimeError(
                f"{what}: in-place change of {kind} (shape {self.shape}); wrap it in "
                "`with mg.no_grad():` or use the out-of-place op"
            )
        self._data = arr
        self._version += 1
        return self

    def squeeze_(self, dim: Any = None) -> Tensor:
        xp = get_array_module(self._data)
        if dim is None:
            axes = tuple(i for i, n in enumerate(self.shape) if n == 1)
        else:
            dims = _ops().shape.squeeze_dims(dim, self.ndim, "squeeze_")
            axes = tuple(i for i in dims if self.ndim and self.shape[i] == 1)
        return self._restride_("squeeze_", xp.squeeze(self._data, axis=axes))

    def unsqueeze_(self, dim: int) -> Tensor:
        if not -self.ndim - 1 <= dim <= self.ndim:
            raise IndexError(f"unsqueeze_: dim {dim} out of range for a {self.ndim}-d tensor")
        xp = get_array_module(self._data)
        return self._restride_("unsqueeze_", xp.expand_dims(self._data, dim % (self.ndim + 1)))

    def transpose_(self, dim0: int, dim1: int) -> Tensor:
        from .ops.reduce import normalize_dims

        if self.ndim == 0:
            normalize_dims((dim0, dim1), 0, "transpose_")
            return self._restride_("transpose_", self._data)
        d0, d1 = normalize_dims((dim0, dim1), self.ndim, "transpose_")
        xp = get_array_module(self._data)
        return self._restride_("transpose_", xp.swapaxes(self._data, d0, d1))

    def t_(self) -> Tensor:
        if self.ndim > 2:
            raise RuntimeError(f"t_() expects a tensor with <= 2 dimensions, got {self.ndim}")
        return self._restride_("t_", self._data.T)

    def relu_(self) -> Tensor:
        return self._apply_("relu_", _ops().relu)

    def _apply_(self, what: str, fn: Any, float_only: bool = False) -> Tensor:
        """self = fn(self) in place: outside a graph written into self's memory (the
        rules of `_write_`); on a tensor in a graph recorded, as PyTorch records it
        (`_record_change`)."""
        if float_only and self.dtype.kind not in "fc":
            raise RuntimeError(
                f"{what}: the result is floating-point and can't be written into a "
                f"{self.dtype} tensor; in-place ops keep the dtype"
            )
        done = self._record_with(what, fn)
        if done is not None:
            return done
        with autograd.no_grad():
            out = fn(self.detach())
        return self._write_(what, out)

    def _float_write_(self, what: str, fn: Any) -> Tensor:
        return self._apply_(what, fn, float_only=True)

    def sigmoid_(self) -> Tensor:
        return self._float_write_("sigmoid_", _ops().sigmoid)

    def tanh_(self) -> Tensor:
        return self._float_write_("tanh_", _ops().tanh)

    # the other element-wise functions in place (floor_, log1p_, ...), as PyTorch's
    def floor_(self) -> Tensor:
        return self._apply_("floor_", _ops().floor)

    def ceil_(self) -> Tensor:
        return self._apply_("ceil_", _ops().ceil)

    def trunc_(self) -> Tensor:
        return self._apply_("trunc_", _ops().trunc)

    fix_ = trunc_

    def round_(self, decimals: int = 0) -> Tensor:
        return self._apply_("round_", lambda t: _ops().round(t, decimals=decimals))

    def sign_(self) -> Tensor:
        return self._apply_("sign_", _ops().sign)

    def square_(self) -> Tensor:
        return self._apply_("square_", _ops().square)

    def rsqrt_(self) -> Tensor:
        return self._float_write_("rsqrt_", _ops().rsqrt)

    def log1p_(self) -> Tensor:
        return self._float_write_("log1p_", _ops().log1p)

    def expm1_(self) -> Tensor:
        return self._float_write_("expm1_", _ops().expm1)

    def reciprocal_(self) -> Tensor:
        return self._float_write_("reciprocal_", _ops().reciprocal)

    def log_(self) -> Tensor:
        return self._float_write_("log_", _ops().log)

    def log2_(self) -> Tensor:
        return self._float_write_("log2_", _ops().log2)

    def log10_(self) -> Tensor:
        return self._float_write_("log10_", _ops().log10)

    def exp2_(self) -> Tensor:
        return self._float_write_("exp2_", _ops().exp2)

    def sin_(self) -> Tensor:
        return self._float_write_("sin_", _ops().sin)

    def cos_(self) -> Tensor:
        return self._float_write_("cos_", _ops().cos)

    def tan_(self) -> Tensor:
        return self._float_write_("tan_", _ops().tan)

    def clip_(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
        return self.clamp_(min, max)

    # in place, with the rules of the other in-place methods
    def _write_(self, what: str, result: Tensor, *operands: Any) -> Tensor:
        """Write `result` (computed from self's values) into self's memory: the checks of
        `_inplace` for self and each operand, PyTorch's casting rule, shapes kept."""
        self._inplace(what)
        for other in operands:
            self._inplace(what, other)
        arr = result._data
        if tuple(arr.shape) != self.shape:
            raise RuntimeError(
                f"{what}: the result of shape {tuple(arr.shape)} does not match the tensor's "
                f"shape {self.shape}"
            )
        # PyTorch's rule: no result of a higher kind (float into int, int into bool); within
        # a kind any width, an integer result wrapped into the dtype (uint8 from int64)
        category = _ops().elementwise._CATEGORY
        if category[arr.dtype.kind] > category[self.dtype.kind]:
            raise RuntimeError(
                f"{what}: the result type {arr.dtype} can't be cast to the tensor's dtype "
                f"{self.dtype}; in-place ops keep the dtype"
            )
        with np.errstate(over="ignore", invalid="ignore"):  # a float64 result beyond float32
            self._data[...] = arr  # is inf, as PyTorch's cast (NumPy warns)
        self._version += 1
        return self

    def addcmul_(
        self, *tensors: Any, tensor1: Any = None, tensor2: Any = None, value: float = 1
    ) -> Tensor:
        tensors = _addc_keywords("addcmul_", tensors, tensor1, tensor2)
        return self._addc_("addcmul_", tensors, value, divide=False)

    def addcdiv_(
        self, *tensors: Any, tensor1: Any = None, tensor2: Any = None, value: float = 1
    ) -> Tensor:
        tensors = _addc_keywords("addcdiv_", tensors, tensor1, tensor2)
        return self._addc_("addcdiv_", tensors, value, divide=True)

    def _addc_(self, what: str, tensors: tuple, value: Any, divide: bool) -> Tensor:
        """addcmul_ / addcdiv_: self += value * t1 * t2 (or / t2), recorded in a graph."""
        tensor1, tensor2, value = _addc_args(what, self, tensors, value)
        done = self._record_with(
            what, lambda b: _addc(b, tensor1, tensor2, value, divide), tensor1, tensor2
        )
        if done is not None:
            return done
        if tensor1.dtype == np.float16:  # worked in float32, rounded once into self
            with autograd.no_grad():
                new = _addc(self.detach(), tensor1.detach(), tensor2.detach(), value, divide)
            return self._write_(what, new, tensor1, tensor2)
        self._inplace(what, tensor1)
        self._inplace(what, tensor2)
        with autograd.no_grad():
            scaled = _ops().mul(tensor1, value)
            other = scaled / tensor2 if divide else scaled * tensor2
        return self._ufunc_(what, "add", other)

    def lerp_(self, end: Any, weight: Any) -> Tensor:
        ops = _ops()
        done = self._record_with("lerp_", lambda b: ops.lerp(b, end, weight), end, weight)
        if done is not None:
            return done
        with autograd.no_grad():
            out = ops.lerp(self.detach(), end, weight)
        return self._write_("lerp_", out, end, weight)

    def fmod_(self, other: Any) -> Tensor:
        ops = _ops()
        done = self._record_with("fmod_", lambda b: ops.fmod(b, other), other)
        if done is not None:
            return done
        with autograd.no_grad():
            out = ops.fmod(self.detach(), other)
        return self._write_("fmod_", out, other)

    def detach_(self) -> Tensor:
        """Cut this tensor from its graph in place: it becomes a leaf that does not
        require grad. A view made in the graph (`(x * 1)[:2]`, `x.view(...)`) is refused,
        as PyTorch's; use detach()."""
        if self._is_graph_view():
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        if self.creator is not None:  # a node that saved it then refuses, as PyTorch's
            autograd.note_in_place_detach()
        self.creator = None
        self.generation = 0
        self._out_index = 0
        self.requires_grad = False
        return self

    def _is_graph_view(self) -> bool:
        """Whether self was made in a graph as a view of its creator's input (its array
        shares the input's memory)."""
        node = self.creator
        return node is not None and self._out_index in node.__dict__.get("_view_outputs", ())

    def is_inference(self) -> bool:
        """False: minigrad has no inference tensors (`inference_mode` is `no_grad`)."""
        return False

    # ------------------------------------------------------------------ creation, layout
    def new_zeros(
        self, *sizes: Any, size: Any = None, dtype: Any = None, device: Any = None,
        requires_grad: bool = False,
    ) -> Tensor:  # fmt: skip
        """zeros of `size` with self's dtype and device unless given."""
        return self.new_full(_new_size("new_zeros", sizes, size), 0, dtype, device, requires_grad)

    def new_ones(
        self, *sizes: Any, size: Any = None, dtype: Any = None, device: Any = None,
        requires_grad: bool = False,
    ) -> Tensor:  # fmt: skip
        return self.new_full(_new_size("new_ones", sizes, size), 1, dtype, device, requires_grad)

    def new_empty(
        self, *sizes: Any, size: Any = None, dtype: Any = None, device: Any = None,
        requires_grad: bool = False,
    ) -> Tensor:  # fmt: skip
        """Like new_zeros (minigrad's empty tensors hold zeros)."""
        return self.new_full(_new_size("new_empty", sizes, size), 0, dtype, device, requires_grad)

    def new_full(
        self,
        size: Any,
        fill_value: Any,
        dtype: Any = None,
        device: Any = None,
        requires_grad: bool = False,
    ) -> Tensor:
        dtype = self.dtype if dtype is None else dtype
        return full(size, fill_value, dtype, device or self.device, requires_grad)

    def new_tensor(
        self, data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
    ) -> Tensor:
        """A copy of `data` with self's dtype and device unless given (as PyTorch)."""
        dtype = self.dtype if dtype is None else dtype
        return tensor(data, dtype, requires_grad, device or self.device)

    def is_floating_point(self) -> bool:
        return self.dtype.kind == "f"

    def is_complex(self) -> bool:
        return self.dtype.kind == "c"

    def element_size(self) -> int:
        """Bytes per element."""
        return int(self._data.itemsize)

    @property
    def itemsize(self) -> int:
        return int(self._data.itemsize)

    @property
    def nbytes(self) -> int:
        """Bytes the elements take (numel * element_size)."""
        return int(self._data.size * self._data.itemsize)

    def stride(self, dim: int | None = None) -> Any:
        """Steps between neighbours along each dim, in elements (0 along an expanded dim)."""
        item = self._data.itemsize
        st = tuple(int(s) // item for s in getattr(self._data, "strides", ()))
        if dim is None:
            return st
        if not -max(self.ndim, 1) <= dim < max(self.ndim, 1) or self.ndim == 0:
            raise IndexError(f"stride: dim {dim} out of range for a tensor with {self.ndim} dims")
        return st[dim]

    @property
    def mT(self) -> Tensor:  # noqa: N802 - PyTorch's name
        """The last two dims swapped (a batch of matrices transposed); a 0-d tensor is
        itself (PyTorch's deprecated identity there)."""
        if self.ndim == 0:
            return self
        if self.ndim < 2:
            raise RuntimeError(
                f"tensor.mT is only supported on matrices or batches of matrices. "
                f"Got {self.ndim}-D tensor."
            )
        return self.transpose(-2, -1)

    # ------------------------------------------------------------------ conjugates of real tensors
    # PyTorch's complex-aware names, as generic code calls them on real tensors: there they
    # are the tensor itself (conj, real), transposes (mH, adjoint, H) or constants (angle).
    # minigrad's complex tensors hold values but take none of these: refused by name.
    def _real_only(self, name: str) -> None:
        if self.dtype.kind == "c":
            raise NotImplementedError(
                f"{name}: minigrad does not take the conjugate, real or imaginary part of a "
                f"complex tensor ({self.dtype}); its complex support is values only"
            )

    def conj(self) -> Tensor:
        """self: the conjugate of a real tensor is itself (PyTorch returns self too)."""
        self._real_only("conj")
        return self

    def resolve_conj(self) -> Tensor:
        self._real_only("resolve_conj")
        return self

    def resolve_neg(self) -> Tensor:
        self._real_only("resolve_neg")
        return self

    def is_conj(self) -> bool:
        return False

    def is_neg(self) -> bool:
        return False

    @property
    def real(self) -> Tensor:
        """self, for a real tensor (as PyTorch's: the same tensor, not a copy)."""
        self._real_only("real")
        return self

    @property
    def imag(self) -> Tensor:
        self._real_only("imag")
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")

    def isreal(self) -> Tensor:
        """True everywhere for a real tensor; for a complex one, where the imaginary part
        is 0."""
        xp = get_array_module(self._data)
        if self.dtype.kind == "c":
            return Tensor._make(self._data.imag == 0, False)
        return Tensor._make(xp.ones(self.shape, dtype=np.bool_), False)

    def adjoint(self) -> Tensor:
        """The last two dims swapped (the conjugate of a real tensor is itself); a 0-d
        tensor is itself."""
        self._real_only("adjoint")
        if self.ndim == 0:
            return self
        if self.ndim < 2:
            raise RuntimeError(
                f"tensor.adjoint() is only supported on matrices or batches of matrices. "
                f"Got {self.ndim}-D tensor."
            )
        return self.transpose(-2, -1)

    @property
    def mH(self) -> Tensor:  # noqa: N802 - PyTorch's name
        """`adjoint()`: the last two dims swapped, for a real tensor."""
        self._real_only("mH")
        if self.ndim == 1:
            raise RuntimeError(
                "tensor.mH is only supported on matrices or batches of matrices. Got 1-D tensor."
            )
        return self.adjoint()

    @property
    def H(self) -> Tensor:  # noqa: N802 - PyTorch's name
        """The transpose of a real matrix (2-D only; a 0-d tensor is itself)."""
        self._real_only("H")
        if self.ndim not in (0, 2):
            raise RuntimeError(
                f"tensor.H is only supported on matrices (2-D tensors). Got {self.ndim}-D "
                f"tensor. For batches of matrices, consider using tensor.mH"
            )
        return self.adjoint()

    def angle(self) -> Tensor:
        """The argument of a real number: pi where x < 0, 0 elsewhere (0 at -0.0 and inf,
        NaN at NaN); integer input gives the default float. Its gradient is 0, as
        PyTorch's for real input."""
        self._real_only("angle")
        return _ops().angle(self)

    def narrow_copy(self, dim: int, start: Any, length: int) -> Tensor:
        """`narrow`, copied into memory of its own."""
        return self.narrow(dim, start, length).clone()

    def pin_memory(self, device: Any = None) -> Tensor:
        """self: page-locked memory speeds host-to-GPU copies in PyTorch; minigrad's copies
        to CuPy take no such hint, so nothing changes."""
        return self

    def is_pinned(self, device: Any = None) -> bool:
        return False

    def frexp(self) -> Any:
        """(mantissa, exponent): x = mantissa * 2**exponent, |mantissa| in [0.5, 1) (0 for
        0), the exponent int32, as PyTorch's."""
        return _ops().frexp(self)

    # ------------------------------------------------------------------ more of PyTorch's ops
    def _op_(self, what: str, fn: Any, *operands: Any) -> Tensor:
        """self = fn(self) in place, where fn also reads `operands`: recorded in a graph
        (also when only an operand requires grad), else written into self's memory with
        the checks of `_write_`."""
        done = self._record_with(what, fn, *operands)
        if done is not None:
            return done
        with autograd.no_grad():
            out = fn(self.detach())
        return self._write_(what, out, *[o for o in operands if isinstance(o, Tensor)])

    def addmm(self, *args: Any, beta: Any = 1, alpha: Any = 1, **mats: Any) -> Tensor:
        mat1, mat2, beta, alpha = _legacy_scalars_first("addmm", args, mats, beta, alpha)
        return _ops().addmm(self, mat1, mat2, beta=beta, alpha=alpha)

    def addmm_(self, *args: Any, beta: Any = 1, alpha: Any = 1, **mats: Any) -> Tensor:
        mat1, mat2, beta, alpha = _legacy_scalars_first("addmm_", args, mats, beta, alpha)
        fn = lambda b: _ops().addmm(b, mat1, mat2, beta=beta, alpha=alpha)  # noqa: E731
        return self._op_("addmm_", fn, mat1, mat2)

    def addmv(self, mat: Tensor, vec: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        return _ops().addmv(self, mat, vec, beta=beta, alpha=alpha)

    def addmv_(self, mat: Tensor, vec: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        fn = lambda b: _ops().addmv(b, mat, vec, beta=beta, alpha=alpha)  # noqa: E731
        return self._op_("addmv_", fn, mat, vec)

    def addr(self, vec1: Tensor, vec2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        return _ops().addr(self, vec1, vec2, beta=beta, alpha=alpha)

    def addr_(self, vec1: Tensor, vec2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        fn = lambda b: _ops().addr(b, vec1, vec2, beta=beta, alpha=alpha)  # noqa: E731
        return self._op_("addr_", fn, vec1, vec2)

    def baddbmm(self, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        return _ops().baddbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def baddbmm_(self, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        fn = lambda b: _ops().baddbmm(b, batch1, batch2, beta=beta, alpha=alpha)  # noqa: E731
        return self._op_("baddbmm_", fn, batch1, batch2)

    def addbmm(self, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        return _ops().addbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def addbmm_(self, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        fn = lambda b: _ops().addbmm(b, batch1, batch2, beta=beta, alpha=alpha)  # noqa: E731
        return self._op_("addbmm_", fn, batch1, batch2)

    def kron(self, other: Tensor) -> Tensor:
        return _ops().kron(self, other)

    def cross(self, other: Tensor, dim: int | None = None) -> Tensor:
        return _ops().cross(self, other, dim)

    def inner(self, other: Tensor) -> Tensor:
        return _ops().inner(self, other)

    def vdot(self, other: Tensor) -> Tensor:
        return _ops().vdot(self, other)

    def ger(self, vec2: Tensor) -> Tensor:
        return _ops().outer(self, vec2)

    def dist(self, other: Tensor, p: Any = 2) -> Tensor:
        return _ops().dist(self, other, p)

    def rot90(self, k: int = 1, dims: Any = (0, 1)) -> Tensor:
        return _ops().rot90(self, k, dims)

    def diag_embed(self, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
        return _ops().diag_embed(self, offset, dim1, dim2)

    def diagflat(self, offset: int = 0) -> Tensor:
        return _ops().diagflat(self, offset)

    def cov(self, *, correction: int = 1, fweights: Any = None, aweights: Any = None) -> Tensor:
        return _ops().cov(self, correction=correction, fweights=fweights, aweights=aweights)

    def corrcoef(self) -> Tensor:
        return _ops().corrcoef(self)

    def quantile(
        self, q: Any, dim: Any = None, keepdim: bool = False, *, interpolation: str = "linear"
    ) -> Tensor:
        return _ops().quantile(self, q, dim, keepdim, interpolation=interpolation)

    def nanquantile(
        self, q: Any, dim: Any = None, keepdim: bool = False, *, interpolation: str = "linear"
    ) -> Tensor:
        return _ops().nanquantile(self, q, dim, keepdim, interpolation=interpolation)

    def nanmedian(self, dim: Any = None, keepdim: bool = False) -> Any:
        return _ops().nanmedian(self, dim, keepdim)

    def mode(self, dim: int = -1, keepdim: bool = False) -> Any:
        return _ops().mode(self, dim, keepdim)

    def aminmax(self, *, dim: Any = None, keepdim: bool = False) -> Any:
        return _ops().aminmax(self, dim=dim, keepdim=keepdim)

    def histc(self, bins: int = 100, min: Any = 0, max: Any = 0) -> Tensor:  # noqa: A002
        return _ops().histc(self, bins, min, max)

    def histogram(self, bins: Any = 100, **kwargs: Any) -> Any:
        """`minigrad.histogram(self, bins, range=, weight=, density=)`."""
        from ._more_api import histogram

        return histogram(self, bins, **kwargs)

    def msort(self) -> Tensor:
        return _ops().msort(self)

    def unique_consecutive(
        self, return_inverse: bool = False, return_counts: bool = False, dim: Any = None
    ) -> Any:
        return _ops().unique_consecutive(self, return_inverse, return_counts, dim)

    def logaddexp(self, other: Any) -> Tensor:
        return _ops().logaddexp(self, other)

    def logaddexp2(self, other: Any) -> Tensor:
        return _ops().logaddexp2(self, other)

    def logcumsumexp(self, dim: int) -> Tensor:
        return _ops().logcumsumexp(self, dim)

    def hypot(self, other: Any) -> Tensor:
        return _ops().hypot(self, other)

    def hypot_(self, other: Any) -> Tensor:
        return self._op_("hypot_", lambda b: _ops().hypot(b, other), other)

    def copysign(self, other: Any) -> Tensor:
        return _ops().copysign(self, other)

    def copysign_(self, other: Any) -> Tensor:
        return self._op_("copysign_", lambda b: _ops().copysign(b, other), other)

    def heaviside(self, values: Any) -> Tensor:
        return _ops().heaviside(self, values)

    def heaviside_(self, values: Any) -> Tensor:
        return self._op_("heaviside_", lambda b: _ops().heaviside(b, values), values)

    def fmax(self, other: Any) -> Tensor:
        return _ops().fmax(self, other)

    def fmin(self, other: Any) -> Tensor:
        return _ops().fmin(self, other)

    def float_power(self, exponent: Any) -> Tensor:
        return _ops().float_power(self, exponent)

    def float_power_(self, exponent: Any) -> Tensor:
        if self.dtype != np.float64:
            raise RuntimeError(
                f"the base given to float_power_ has dtype {self.dtype} but the operation's "
                "result requires dtype float64"
            )
        return self._op_("float_power_", lambda b: _ops().float_power(b, exponent), exponent)

    def nextafter(self, other: Any) -> Tensor:
        return _ops().nextafter(self, other)

    def nextafter_(self, other: Any) -> Tensor:
        return self._op_("nextafter_", lambda b: _ops().nextafter(b, other), other)

    def frac(self) -> Tensor:
        return _ops().frac(self)

    def frac_(self) -> Tensor:
        return self._apply_("frac_", _ops().frac)

    def deg2rad(self) -> Tensor:
        return _ops().deg2rad(self)

    def deg2rad_(self) -> Tensor:
        return self._apply_("deg2rad_", _ops().deg2rad)

    def rad2deg(self) -> Tensor:
        return _ops().rad2deg(self)

    def rad2deg_(self) -> Tensor:
        return self._apply_("rad2deg_", _ops().rad2deg)

    def gcd(self, other: Any) -> Tensor:
        return _ops().gcd(self, other)

    def gcd_(self, other: Any) -> Tensor:
        return self._op_("gcd_", lambda b: _ops().gcd(b, other), other)

    def lcm(self, other: Any) -> Tensor:
        return _ops().lcm(self, other)

    def lcm_(self, other: Any) -> Tensor:
        return self._op_("lcm_", lambda b: _ops().lcm(b, other), other)

    def ldexp(self, other: Any) -> Tensor:
        return _ops().ldexp(self, other)

    def ldexp_(self, other: Any) -> Tensor:
        return self._op_("ldexp_", lambda b: _ops().ldexp(b, other), other)

    def sgn(self) -> Tensor:
        return _ops().sgn(self)

    def sgn_(self) -> Tensor:
        return self._apply_("sgn_", _ops().sgn)

    def positive(self) -> Tensor:
        return _ops().positive(self)

    negative, negative_ = neg, neg_
    absolute, absolute_ = abs, abs_  # noqa: A003 - the method, as PyTorch's alias
    multiply, multiply_ = mul, mul_
    subtract, subtract_ = sub, sub_

    def true_divide_(self, other: Any) -> Tensor:
        return self.div_(other)

    def divide_(self, other: Any, *, rounding_mode: str | None = None) -> Tensor:
        return self.div_(other, rounding_mode=rounding_mode)

    def remainder_(self, other: Any) -> Tensor:
        self._integer_division("remainder_", other)
        return self._ufunc_("remainder_", "remainder", other)

    def floor_divide_(self, other: Any) -> Tensor:
        self._integer_division("floor_divide_", other)
        return self._ufunc_("floor_divide_", "floor_divide", other)

    # comparisons in place: self becomes 1 where true, 0 where false, in its dtype
    def eq_(self, other: Any) -> Tensor:
        return self._op_("eq_", lambda b: b.eq(other), other)

    def ne_(self, other: Any) -> Tensor:
        return self._op_("ne_", lambda b: b.ne(other), other)

    def lt_(self, other: Any) -> Tensor:
        return self._op_("lt_", lambda b: b.lt(other), other)

    def le_(self, other: Any) -> Tensor:
        return self._op_("le_", lambda b: b.le(other), other)

    def gt_(self, other: Any) -> Tensor:
        return self._op_("gt_", lambda b: b.gt(other), other)

    def ge_(self, other: Any) -> Tensor:
        return self._op_("ge_", lambda b: b.ge(other), other)

    greater, greater_, greater_equal, greater_equal_ = gt, gt_, ge, ge_
    less, less_, less_equal, less_equal_ = lt, lt_, le, le_
    not_equal, not_equal_ = ne, ne_

    def logical_and_(self, other: Any) -> Tensor:
        return self._op_("logical_and_", lambda b: _ops().logical_and(b, other), other)

    def logical_or_(self, other: Any) -> Tensor:
        return self._op_("logical_or_", lambda b: _ops().logical_or(b, other), other)

    def logical_xor_(self, other: Any) -> Tensor:
        return self._op_("logical_xor_", lambda b: _ops().logical_xor(b, other), other)

    def logical_not_(self) -> Tensor:
        return self._apply_("logical_not_", _ops().logical_not)

    # the trigonometric and hyperbolic functions in place
    def acos_(self) -> Tensor:
        return self._float_write_("acos_", _ops().acos)

    def asin_(self) -> Tensor:
        return self._float_write_("asin_", _ops().asin)

    def atan_(self) -> Tensor:
        return self._float_write_("atan_", _ops().atan)

    def cosh_(self) -> Tensor:
        return self._float_write_("cosh_", _ops().cosh)

    def sinh_(self) -> Tensor:
        return self._float_write_("sinh_", _ops().sinh)

    def acosh_(self) -> Tensor:
        return self._float_write_("acosh_", _ops().acosh)

    def asinh_(self) -> Tensor:
        return self._float_write_("asinh_", _ops().asinh)

    def atanh_(self) -> Tensor:
        return self._float_write_("atanh_", _ops().atanh)

    def atan2_(self, other: Any) -> Tensor:
        self._check_float("atan2_")
        return self._op_("atan2_", lambda b: _ops().atan2(b, other), other)

    arccos_, arcsin_, arctan_, arctan2_ = acos_, asin_, atan_, atan2_
    arccosh_, arcsinh_, arctanh_ = acosh_, asinh_, atanh_

    def cumsum_(self, dim: int, *, dtype: Any = None) -> Tensor:
        return self._apply_("cumsum_", lambda b: _ops().cumsum(b, dim, dtype))

    def cumprod_(self, dim: int, *, dtype: Any = None) -> Tensor:
        return self._apply_("cumprod_", lambda b: _ops().cumprod(b, dim, dtype))

    def nan_to_num_(
        self, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None
    ) -> Tensor:
        return self._apply_("nan_to_num_", lambda b: _ops().nan_to_num(b, nan, posinf, neginf))

    # bitwise ops (integer and bool tensors) and the shift operators
    def bitwise_and(self, other: Any) -> Tensor:
        return _ops().bitwise_and(self, other)

    def bitwise_or(self, other: Any) -> Tensor:
        return _ops().bitwise_or(self, other)

    def bitwise_xor(self, other: Any) -> Tensor:
        return _ops().bitwise_xor(self, other)

    def bitwise_not(self) -> Tensor:
        return _ops().bitwise_not(self)

    def bitwise_left_shift(self, other: Any) -> Tensor:
        return _ops().bitwise_left_shift(self, other)

    def bitwise_right_shift(self, other: Any) -> Tensor:
        return _ops().bitwise_right_shift(self, other)

    def bitwise_and_(self, other: Any) -> Tensor:
        return self._bitwise_("bitwise_and_", "bitwise_and", other)

    def bitwise_or_(self, other: Any) -> Tensor:
        return self._bitwise_("bitwise_or_", "bitwise_or", other)

    def bitwise_xor_(self, other: Any) -> Tensor:
        return self._bitwise_("bitwise_xor_", "bitwise_xor", other)

    def bitwise_not_(self) -> Tensor:
        return self._apply_("bitwise_not_", _ops().bitwise_not)

    def bitwise_left_shift_(self, other: Any) -> Tensor:
        fn = lambda b: _ops().bitwise_left_shift(b, other)  # noqa: E731
        return self._op_("bitwise_left_shift_", fn, other)

    def bitwise_right_shift_(self, other: Any) -> Tensor:
        fn = lambda b: _ops().bitwise_right_shift(b, other)  # noqa: E731
        return self._op_("bitwise_right_shift_", fn, other)

    def __lshift__(self, other: Any) -> Tensor:
        return _ops().bitwise_left_shift(self, other)

    def __rlshift__(self, other: Any) -> Tensor:
        return _ops().bitwise_left_shift(other, self)

    def __rshift__(self, other: Any) -> Tensor:
        return _ops().bitwise_right_shift(self, other)

    def __rrshift__(self, other: Any) -> Tensor:
        return _ops().bitwise_right_shift(other, self)

    def __ilshift__(self, other: Any) -> Tensor:
        return self.bitwise_left_shift_(other)

    def __irshift__(self, other: Any) -> Tensor:
        return self.bitwise_right_shift_(other)

    # shape and indexing
    def ravel(self) -> Tensor:
        return _ops().ravel(self)

    def sum_to_size(self, *size: Any) -> Tensor:
        return _ops().sum_to_size(self, *size)

    def take(self, index: Any) -> Tensor:
        return _ops().take(self, index)

    def put(self, index: Any, source: Tensor, accumulate: bool = False) -> Tensor:
        return _ops().put(self, index, source, accumulate)

    def put_(self, index: Any, source: Tensor, accumulate: bool = False) -> Tensor:
        return self._op_("put_", lambda b: _ops().put(b, index, source, accumulate), source)

    def scatter_reduce(
        self, dim: int, index: Any, src: Tensor, reduce: str, *, include_self: bool = True
    ) -> Tensor:
        return _ops().scatter_reduce(self, dim, index, src, reduce, include_self=include_self)

    def scatter_reduce_(
        self, dim: int, index: Any, src: Tensor, reduce: str, *, include_self: bool = True
    ) -> Tensor:
        _ops().scatter_ops.check_reduce_args("scatter_reduce_", reduce, include_self)

        def fn(b: Tensor) -> Tensor:
            return _ops().scatter_reduce(b, dim, index, src, reduce, include_self=include_self)

        return self._op_("scatter_reduce_", fn, src)

    def index_copy(self, dim: int, index: Any, source: Tensor) -> Tensor:
        return _ops().index_copy(self, dim, index, source)

    def index_copy_(self, dim: int, index: Any, source: Tensor) -> Tensor:
        fn = lambda b: _ops().index_copy(b, dim, index, source)  # noqa: E731
        return self._op_("index_copy_", fn, source)

    def index_fill(self, dim: int, index: Any, value: Any) -> Tensor:
        return _ops().index_fill(self, dim, index, value)

    def index_fill_(self, dim: int, index: Any, value: Any) -> Tensor:
        fn = lambda b: _ops().index_fill(b, dim, index, value)  # noqa: E731
        return self._op_("index_fill_", fn, value)

    def index_reduce(
        self, dim: int, index: Any, source: Tensor, reduce: str, *, include_self: bool = True
    ) -> Tensor:
        return _ops().index_reduce(self, dim, index, source, reduce, include_self=include_self)

    def index_reduce_(
        self, dim: int, index: Any, source: Tensor, reduce: str, *, include_self: bool = True
    ) -> Tensor:
        _ops().scatter_ops.check_reduce_args("index_reduce_", reduce, include_self)

        def fn(b: Tensor) -> Tensor:
            return _ops().index_reduce(b, dim, index, source, reduce, include_self=include_self)

        return self._op_("index_reduce_", fn, source)

    def masked_scatter(self, mask: Any, source: Tensor) -> Tensor:
        return _ops().masked_scatter(self, mask, source)

    def masked_scatter_(self, mask: Any, source: Tensor) -> Tensor:
        m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
        try:
            fits = np.broadcast_shapes(tuple(m.shape), self.shape) == self.shape
        except ValueError:
            fits = False
        if not fits:
            raise RuntimeError(
                f"masked_scatter_: mask of shape {tuple(m.shape)} does not broadcast to the "
                f"tensor's shape {self.shape}"
            )
        fn = lambda b: _ops().masked_scatter(b, mask, source)  # noqa: E731
        return self._op_("masked_scatter_", fn, source)

    def diagonal_scatter(
        self, src: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1
    ) -> Tensor:
        return _ops().diagonal_scatter(self, src, offset, dim1, dim2)

    def select_scatter(self, src: Tensor, dim: int, index: int) -> Tensor:
        return _ops().select_scatter(self, src, dim, index)

    def as_strided_scatter(
        self, src: Tensor, size: Any, stride: Any, storage_offset: int | None = None
    ) -> Tensor:
        return _ops().as_strided_scatter(self, src, size, stride, storage_offset)

    def slice_scatter(
        self,
        src: Tensor,
        dim: int = 0,
        start: int | None = None,
        end: int | None = None,
        step: int = 1,
    ) -> Tensor:
        return _ops().slice_scatter(self, src, dim, start, end, step)

    def fill_diagonal_(self, fill_value: Any, wrap: bool = False) -> Tensor:
        """Write fill_value on the main diagonal (all dims equal, or a matrix; `wrap`
        restarts it below a tall matrix's square part, as NumPy's fill_diagonal)."""
        fill_value = check_fill_scalar("fill_diagonal_", fill_value, self.dtype)
        mask = _ops().fill_diagonal_mask(self, wrap)
        fn = lambda b: _ops().masked_fill(b, mask, fill_value)  # noqa: E731
        return self._op_("fill_diagonal_", fn, fill_value)

    def renorm(self, p: Any, dim: int, maxnorm: Any) -> Tensor:
        """Each slice along `dim` whose p-norm exceeds maxnorm scaled down to it (by
        maxnorm / (norm + 1e-7), as PyTorch). float16's norms and factors are float32,
        PyTorch's accumulate type, the factor rounded to float16 for the multiply."""
        from .ops.reduce import normalize_dim

        if self.ndim <= 1:
            raise RuntimeError(
                f"renorm: input needs at least 2 dimensions, got {self.ndim} dimensions"
            )
        if self.dtype.kind not in "fc":  # PyTorch's vector_norm refuses it; no float result
            raise RuntimeError(
                "renorm: Expected a floating point or complex tensor as input. Got "
                f"{_type_name(self.dtype)}"
            )
        if p <= 0:
            raise RuntimeError(f"renorm: non-positive-norm not supported, got p={p}")
        if maxnorm < 0:
            raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
        d = normalize_dim(dim, self.ndim, "renorm")
        others = tuple(i for i in range(self.ndim) if i != d)
        wide = _ops().cast(self, np.float32) if self.dtype == np.float16 else self
        with autograd.no_grad():
            big = _ops().norm(wide, p, others, True)._data > maxnorm
        # the norms of the scaled slices only: the slices left alone keep theirs out of the
        # gradient (a NaN there gave NaN through the unused branch; PyTorch passes the
        # gradient through unchanged)
        norms = _ops().norm(_ops().where(big, wide, 0.0), p, others, True)
        factor = _ops().where(big, maxnorm / (norms + 1e-7), 1.0)
        if wide is not self:
            factor = _ops().cast(factor, self.dtype)
        return self * factor

    def renorm_(self, p: Any, dim: int, maxnorm: Any) -> Tensor:
        return self._float_write_("renorm_", lambda b: b.renorm(p, dim, maxnorm))

    def unfold(self, dimension: int, size: int, step: int) -> Tensor:
        """Every window of `size` elements along `dimension`, `step` apart, as a new last
        dim; the windows' dim takes `dimension`'s place: a view of self, as PyTorch's.
        Overlaps add their gradients."""
        from .ops.reduce import normalize_dims

        d = normalize_dims(dimension, max(self.ndim, 1), "unfold")[0]  # 0-d: as a 1-d's
        n = self.shape[d] if self.ndim else 1
        if size > n:
            raise RuntimeError(
                f"maximum size for tensor at dimension {dimension} is {n} but size is {size}"
            )
        if step <= 0:
            raise RuntimeError(f"step is {step} but must be > 0")
        if self.ndim == 0:
            return self.reshape(1)[:size]  # one window of the value, or none of size 0
        from .ops.shape import unfold

        return unfold(self, d, size, step)

    def swapaxes_(self, axis0: int, axis1: int) -> Tensor:
        return self.transpose_(axis0, axis1)

    swapdims_ = swapaxes_

    def split_with_sizes(self, split_sizes: Any, dim: int = 0) -> tuple[Tensor, ...]:
        from .ops.reduce import normalize_dim

        sizes = [_int_arg("split_with_sizes", "split_sizes", s) for s in split_sizes]
        n = self.shape[normalize_dim(dim, self.ndim, "split_with_sizes")]
        if sum(sizes) != n or any(s < 0 for s in sizes):
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's "
                f"size at dimension {dim}), but got split_sizes={sizes}"
            )
        return _ops().split(self, sizes, dim)

    def _split_along(self, name: str, dim: int, least: int, sections: Any) -> tuple:
        if self.ndim < least:
            raise RuntimeError(
                f"torch.{name} requires a tensor with at least {least} dimension, but got a "
                f"tensor with {self.ndim} dimensions!"
            )
        if isinstance(sections, int) and (sections == 0 or self.shape[dim] % sections):
            raise RuntimeError(
                f"torch.{name} attempted to split along dimension {dim}, but the size of the "
                f"dimension {self.shape[dim]} is not divisible by the split_size {sections}!"
            )
        return _ops().tensor_split(self, sections, dim)

    def vsplit(self, indices_or_sections: Any) -> tuple[Tensor, ...]:
        return self._split_along("vsplit", 0, 2, indices_or_sections)

    def hsplit(self, indices_or_sections: Any) -> tuple[Tensor, ...]:
        return self._split_along("hsplit", 1 if self.ndim > 1 else 0, 1, indices_or_sections)

    def dsplit(self, indices_or_sections: Any) -> tuple[Tensor, ...]:
        return self._split_along("dsplit", 2, 3, indices_or_sections)

    # random fills in place, from minigrad's generator (or `generator`)
    def log_normal_(self, mean: float = 1.0, std: float = 2.0, *, generator: Any = None) -> Tensor:
        """Fill with exp(N(mean, std^2)) draws."""
        self._inplace("log_normal_")
        self._check_float("log_normal_")
        if not std > 0:
            raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std}")
        xp = get_array_module(self._data)
        x = random.randn(self.shape, _draw_dtype(self.dtype), self.device, generator)
        self._data[...] = xp.exp(x * std + mean)
        self._version += 1
        return self

    def cauchy_(self, median: float = 0.0, sigma: float = 1.0, *, generator: Any = None) -> Tensor:
        """Fill with draws from the Cauchy distribution: median + sigma tan(pi (u - 1/2))."""
        self._inplace("cauchy_")
        self._check_float("cauchy_")
        if not sigma > 0:
            raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma}")
        xp = get_array_module(self._data)
        u = random.uniform(0.0, 1.0, self.shape, _draw_dtype(self.dtype), self.device, generator)
        self._data[...] = median + sigma * xp.tan(np.pi * (u - 0.5))
        self._version += 1
        return self

    def geometric_(self, p: float, *, generator: Any = None) -> Tensor:
        """Fill with the number of Bernoulli(p) trials up to the first success (>= 1)."""
        if not 0 < p < 1:
            raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p}")
        self._inplace("geometric_")
        xp = get_array_module(self._data)
        u = random.uniform(0.0, 1.0, self.shape, np.float64, self.device, generator)
        self._data[...] = xp.ceil(xp.log1p(-u) / np.log1p(-p)).clip(1, None)
        self._version += 1
        return self

    # casts and questions about the tensor
    def byte(self, memory_format: Any = None) -> Tensor:
        return self.to(dtype=np.uint8, memory_format=memory_format)

    def char(self, memory_format: Any = None) -> Tensor:
        return self.to(dtype=np.int8, memory_format=memory_format)

    def short(self, memory_format: Any = None) -> Tensor:
        return self.to(dtype=np.int16, memory_format=memory_format)

    def is_signed(self) -> bool:
        return self.dtype.kind in "ifc"

    def is_nonzero(self) -> bool:
        if self.numel() == 0:
            raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
        if self.numel() > 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self.item())

    def is_same_size(self, other: Tensor) -> bool:
        return self.shape == other.shape

    @property
    def is_cpu(self) -> bool:
        return self.device == "cpu"

    def get_device(self) -> int:
        """-1 on the CPU, else the GPU's index (minigrad uses one: 0)."""
        return -1 if self.device == "cpu" else 0

    def new_empty_strided(
        self,
        size: Any,
        stride: Any,
        *,
        dtype: Any = None,
        device: Any = None,
        requires_grad: bool = False,
    ) -> Tensor:
        """new_empty of `size` (zeros; the strides are not kept: minigrad's new arrays are
        contiguous)."""
        return self.new_full(tuple(size), 0, dtype, device, requires_grad)

    def apply_(self, callable: Any) -> Tensor:  # noqa: A002
        """Replace each element x by callable(x) (a Python function: CPU only, slow)."""
        if self.device != "cpu":
            raise TypeError("apply_ is only implemented on CPU tensors")
        self._inplace("apply_")
        if self._data.size:
            self._data[...] = np.vectorize(callable, otypes=[self.dtype])(self._data)
        self._version += 1
        return self

    def map_(self, tensor: Tensor, callable: Any) -> Tensor:  # noqa: A002
        """Replace each x by callable(x, y) with y from `tensor` (broadcast to self)."""
        if self.device != "cpu":
            raise TypeError("map_ is only implemented on CPU tensors")
        self._inplace("map_", tensor)
        other = np.broadcast_to(tensor._data, self.shape)
        if self._data.size:
            self._data[...] = np.vectorize(callable, otypes=[self.dtype])(self._data, other)
        self._version += 1
        return self


def _cast_for(op: str, x: Tensor, dtype: Any) -> Tensor:
    """x in `dtype` for an op that computes in it (softmax's `dtype=`): a float or complex
    one, as PyTorch (an integer softmax is NotImplementedError there)."""
    if dtype is None:
        return x
    dt = np.dtype(dtype)
    if dt.kind not in "fc":
        raise NotImplementedError(f"{op}: not implemented for dtype={dt.name}; pass a float dtype")
    return x.to(dtype=dt)


def _legacy_scalars_first(op: str, args: tuple, mats: dict, beta: Any, alpha: Any) -> tuple:
    """(mat1, mat2, beta, alpha) from `op(mat1, mat2)` (positional or by keyword) or PyTorch's
    deprecated forms with the scalars first, `op(beta, alpha, mat1, mat2)` and
    `op(beta, mat1, mat2)` (older code, such as the usual center-loss implementation, writes
    `addmm_(1, -2, x, c.t())`)."""
    unknown = set(mats) - {"mat1", "mat2"}
    if unknown:
        raise TypeError(f"{op}() got an unexpected keyword argument {sorted(unknown)[0]!r}")
    args = args + tuple(mats[k] for k in ("mat1", "mat2") if k in mats)
    lead = len(args) - 2
    if lead in (1, 2) and all(isinstance(a, int | float | np.number) for a in args[:lead]):
        if all(isinstance(a, Tensor) for a in args[lead:]):
            form = "beta, alpha, mat1, mat2" if lead == 2 else "beta, mat1, mat2"
            warn_user(
                f"this overload of {op} is deprecated, as in PyTorch: {op}({form}); use "
                f"{op}(mat1, mat2, beta=beta, alpha=alpha)"
            )
            beta, alpha = (list(args[:lead]) + [alpha])[:2]
            args = args[lead:]
    if len(args) != 2 or not all(isinstance(a, Tensor) for a in args):
        raise TypeError(
            f"{op}() takes two tensors mat1 and mat2 (and keywords beta, alpha), got "
            f"{tuple(type(a).__name__ for a in args)}"
        )
    return args[0], args[1], beta, alpha


def _fill_scalar(op: str, value: Any) -> Any:
    """`value` as a fill: a 0-d tensor, or a number (a 0-d array's); anything else is
    refused, with PyTorch's TypeError for what is not a number."""
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise ShapeError(
                f"{op} only supports a 0-dimension value tensor, but got one with "
                f"{value.ndim} dimensions (shape {value.shape})"
            )
        return value
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]  # a NumPy scalar
    if not isinstance(value, int | float | complex | np.number | np.bool_):
        raise TypeError(
            f"{op}: the value must be a number or a 0-d tensor, got {type(value).__name__}"
        )
    return value


def fill_value(op: str, value: Any, dtype: Any) -> Any:
    """What `fill_` (and `nn.init.constant_`) writes: `check_fill_scalar`'s value, and a
    complex number of no imaginary part as its real part into a real dtype (2+0j fills 2,
    as PyTorch's fill_; a non-zero imaginary part is refused there)."""
    value = check_fill_scalar(op, value, dtype)
    if isinstance(value, complex | np.complexfloating) and np.dtype(dtype).kind != "c":
        return value.real
    return value


def check_fill_scalar(op: str, value: Any, dtype: Any) -> Any:
    """`value` as a fill of `dtype` may take it, refusing a Python number the dtype cannot
    hold, as PyTorch's fills do ("value cannot be converted to type ... without overflow"):
    a non-finite or out-of-range value for an integer dtype, a finite value beyond a float
    dtype's largest (-9e15 in float16 would become -inf). Unsigned dtypes take negative
    ints down to -max, which wrap (-1 fills uint8 with 255); inf and NaN fill float tensors;
    bool takes anything. A 0-d tensor value is returned as it is (cast, as PyTorch's); a
    larger one, a list or an array is refused, as PyTorch refuses it."""
    value = _fill_scalar(op, value)
    if isinstance(value, Tensor | bool | np.bool_):
        return value
    kind, low, high = _fill_bounds(dtype)
    if kind == "b":
        return value
    is_complex = isinstance(value, complex | np.complexfloating)
    if is_complex and kind != "c" and value.imag != 0:  # the imaginary part would be lost
        raise ValueRangeError(
            f"{op}: value {value!r} cannot be converted to {np.dtype(dtype).name} without "
            "overflow (a real dtype drops the imaginary part)"
        )
    for v in (value.real, value.imag) if is_complex else (value,):
        if kind in "iu":
            wraps = kind == "u" and isinstance(v, int | np.integer)
            bad = not math.isfinite(v) or not (-high if wraps else low) <= v <= high
        else:
            bad = math.isfinite(v) and abs(float(v)) > high  # (a float32 v would cast high)
        if bad:
            raise ValueRangeError(
                f"{op}: value {value!r} cannot be converted to {np.dtype(dtype).name} "
                "without overflow"
            )
    if kind == "u" and not is_complex and value < 0:
        return int(value) % (high + 1)  # two's complement, as PyTorch
    return value


@functools.lru_cache(maxsize=64)
def _fill_bounds(dtype: Any) -> tuple[str, Any, Any]:
    """A dtype's kind and the range a fill of it takes: (low, high) integers, or (None,
    largest finite) for a float or complex part."""
    dt = np.dtype(dtype)
    if dt.kind in "iu":
        info = np.iinfo(dt)
        return dt.kind, int(info.min), int(info.max)
    if dt.kind in "fc":
        return dt.kind, None, float(np.finfo(dt.type(0).real.dtype).max)
    return "b", None, None


def _integer_power_into(a: Any, b: Any, out: Any, casting: str) -> None:
    """`a **= b` for integers with negative exponents in b (NumPy refuses them)."""
    from .ops.elementwise import _integer_pow

    xp = get_array_module(a)
    _copy_result(out, _integer_pow(a, xp.asarray(b)).astype(out.dtype, casting=casting), casting)


def _copy_result(out: Any, result: Any, casting: str) -> None:
    """Write an in-place op's `result` into `out`, as the ufuncs' `out=` does: a result of
    another shape raises ValueError (`_ufunc_` words it), where a copy would drop its leading
    size-1 dims (x of shape (3,) `%=` one of shape (1, 3), which PyTorch refuses)."""
    if result.shape != out.shape:
        raise ValueError(
            f"output with shape {list(out.shape)} doesn't match the broadcast shape "
            f"{list(result.shape)}"
        )
    get_array_module(out).copyto(out, result, casting=casting)


def _draw_dtype(dtype: Any) -> Any:
    # the generators draw float32/float64 (and complex from them); float16 is cast on write
    return dtype if dtype in (np.float32, np.float64, np.complex64, np.complex128) else np.float32


_OPS: Any = None


# in-place ops recorded in a graph (`h.mul_(m)`, `h.exp_()`): NumPy name -> minigrad.ops op
_RECORDED_BINARY = {
    "add": "add",
    "subtract": "sub",
    "multiply": "mul",
    "true_divide": "div",
    "power": "power",
    "floor_divide": "floor_divide",
    "remainder": "remainder",
}
_RECORDED_UNARY = {"exp": "exp", "sqrt": "sqrt", "absolute": "abs", "negative": "neg"}


def _float_remainder_into(a: Any, b: Any, out: Any, casting: str) -> None:
    """`np.remainder(a, b, out=out)` with PyTorch's signed zeros (`%=` on floats)."""
    from .ops.elementwise import float_remainder

    _copy_result(out, float_remainder(a, b), casting)


def _ops():
    """minigrad.ops, imported on first use (it imports this module) and kept."""
    global _OPS
    if _OPS is None:
        from . import ops

        _OPS = ops
    return _OPS


def _float_or_complex(x: Tensor, op: str) -> None:
    """PyTorch's refusal of an integer or bool input to a norm (it does not cast)."""
    if x.dtype.kind not in "fc":
        raise RuntimeError(
            f"{op}: Expected a floating point or complex tensor as input. Got {_type_name(x.dtype)}"
        )


def _float_statistic(op: str, x: Tensor) -> None:
    """mean, var and std of an integer or bool tensor are refused, as in PyTorch (the
    result's float dtype would be a guess); a complex var or std is not supported."""
    kind = x.dtype.kind
    if kind in "biu":
        raise RuntimeError(
            f"{op}(): could not infer the output dtype: the input must be a floating point "
            f"tensor, got {x.dtype} (cast it first, e.g. {op}(x.float()))"
        )
    if kind == "c" and op != "mean":
        raise NotImplementedError(f"{op}(): complex tensors are not supported")


def _one_dim(op: str, dim: Any) -> None:
    """max's and min's `dim` is one dim (their indices are along it), as PyTorch's: a tuple
    or list there is refused (amax and amin take several)."""
    if isinstance(dim, (tuple, list)):
        raise TypeError(
            f"{op}(): dim must be one int, got {dim!r} (a{'m' + op[1:]} reduces over several)"
        )


def _dim_args(dim: Any, keepdim: bool, np_kw: dict) -> tuple[Any, bool]:
    """Accept NumPy's `axis`/`keepdims` spellings beside PyTorch's `dim`/`keepdim`."""
    if "axis" in np_kw:
        if dim is not None:
            raise TypeError("pass either dim or axis, not both")
        dim = np_kw.pop("axis")
    if "keepdims" in np_kw:
        keepdim = np_kw.pop("keepdims")
    if np_kw.get("out", 0) is None:  # NumPy's functions (np.mean(t)) pass out=None
        del np_kw["out"]
    if np_kw:
        raise TypeError(f"unexpected keyword arguments {sorted(np_kw)}")
    if isinstance(dim, list):
        dim = tuple(dim)
    return dim, bool(keepdim)


_TYPE_NAMES = {
    "float16": "Half",
    "float32": "Float",
    "float64": "Double",
    "complex64": "ComplexFloat",
    "complex128": "ComplexDouble",
    "int8": "Char",
    "uint8": "Byte",
    "int16": "Short",
    "int32": "Int",
    "int64": "Long",
    "bool": "Bool",
}


def _type_name(dtype: np.dtype) -> str:
    """PyTorch's scalar-type name of a dtype ("Float" for float32), as its messages say."""
    return _TYPE_NAMES.get(np.dtype(dtype).name, np.dtype(dtype).name)


def _new_size(op: str, sizes: tuple, size: Any) -> tuple[int, ...]:
    """new_zeros/new_ones/new_empty's size: given as ints, one sequence, or `size=`."""
    if size is None:
        return _shape_args(sizes, op)
    if sizes:
        raise TypeError(f"{op}() got the size twice: as {sizes} and as size={size}")
    return _shape_args((size,), op)


_ORDERINGS = frozenset(("__lt__", "__le__", "__gt__", "__ge__"))
# the float16 in-place kernels that take a one-element operand as a float32 scalar
_SCALAR_KERNELS = frozenset(("multiply", "true_divide"))

# Python's operators on a tensor and a list or tuple: PyTorch's dunders return NotImplemented,
# so `t + [1, 2]` is Python's TypeError and `t == [1., 2.]` is False (identity), where NumPy
# would take the list as an array. One wrapper for all of them, made once at import.
_SEQUENCE_OPERATORS = tuple(
    f"__{p}{name}__"
    for name in ("add sub mul truediv floordiv mod pow matmul and or xor lshift rshift".split())
    for p in ("", "r", "i")
    if not (p == "i" and name == "matmul")
) + ("__lt__", "__le__", "__gt__", "__ge__", "__eq__", "__ne__")


def _refusing_sequences(method: Any) -> Any:
    @functools.wraps(method)
    def operator(self: Tensor, other: Any) -> Any:
        if isinstance(other, list | tuple | str):
            return NotImplemented
        return method(self, other)

    return operator


for _name in _SEQUENCE_OPERATORS:
    if _name in Tensor.__dict__:
        setattr(Tensor, _name, _refusing_sequences(Tensor.__dict__[_name]))


def _other_form(op: str, x: Tensor, dim: Any, keepdim: bool, kw: dict) -> Tensor:
    """`x.max(other=y)` / `torch.min(x, other=y)`: the element-wise form, with a tensor
    `other` and nothing else (PyTorch's parser takes no dim or keepdim beside it)."""
    other = kw.pop("other")
    if not isinstance(other, Tensor) or dim is not None or keepdim or kw:
        raise TypeError(
            f"{op}(): other= takes a Tensor, alone (the element-wise form {op}(input, "
            f"other)); got other={type(other).__name__}"
            + (f", dim={dim!r}" if dim is not None else "")
            + (", keepdim=True" if keepdim else "")
            + (f", {sorted(kw)}" if kw else "")
        )
    return getattr(_ops(), "maximum" if op == "max" else "minimum")(x, other)


def _star_or_keyword(op: str, name: str, args: tuple, given: Any) -> tuple:
    """Sizes or dims given by position (`x.view(2, 3)`), or as the one keyword PyTorch
    names them by (`x.view(size=(2, 3))`, `x.permute(dims=(1, 0))`), not both."""
    if given is None:
        return args
    if args:
        raise TypeError(f"{op}() got multiple values for argument '{name}'")
    return (given,)


def _shape_args(shape: tuple, op: str | None = "view", name: str = "size") -> tuple[int, ...]:
    """Sizes or dims given as ints or as one tuple/list, each an int (a float or a bool is
    PyTorch's TypeError: x.reshape((2.0, 6)) would pass where it matched x's shape); not
    checked for op None (the factories check theirs in _checked_size)."""
    if len(shape) == 1 and isinstance(shape[0], tuple | list):
        shape = shape[0]
    out = tuple(shape)
    if op is None:
        return out
    for n in out:
        if type(n) is not int:
            return tuple(_int_arg(op, name, v) for v in out)
    return out


# ---------------------------------------------------------------------- factories
def tensor(
    data: Any,
    dtype: Any = None,
    requires_grad: bool = False,
    device: Any = "cpu",
    pin_memory: bool = False,
) -> Tensor:
    """A new leaf tensor holding a copy of `data` (floats take the default float dtype).

    Given a tensor it warns, as PyTorch: `t.detach().clone()` is the way to copy one.
    `pin_memory=True` is refused: pinned host memory is a CUDA feature minigrad lacks."""
    if pin_memory:
        from .errors import Unsupported

        raise Unsupported("tensor: pin_memory=True (minigrad has no pinned memory)")
    if isinstance(data, Tensor):
        warn_user(
            "minigrad.tensor(t) on a tensor: use t.detach().clone() (or "
            "t.detach().clone().requires_grad_(True)) to copy a tensor"
        )
    arr = _to_array(data, dtype, device)
    if arr is data or (isinstance(data, Tensor) and arr is data._data):
        arr = arr.copy()
    return Tensor(arr, requires_grad=requires_grad)


def as_tensor_like(value: Any, like: Tensor) -> Tensor:
    """A constant as a tensor on `like`'s device. A 0-d constant (Python or NumPy scalar,
    0-d array) takes a floating `like`'s dtype, as PyTorch's scalars do, so
    `float32_tensor * 2.0` and `float32_tensor * np.float64(2)` stay float32."""
    xp = get_array_module(like._data)
    if isinstance(value, int | float | bool):
        if like.dtype == np.float16:  # a number beyond float16 is inf there, silently
            with np.errstate(over="ignore"):
                return Tensor._make(xp.asarray(value, dtype=like.dtype), False)
        if like.dtype.kind in "fc" or isinstance(value, int | bool):
            if not -3.0e38 < value < 3.0e38 and like.dtype.kind in "fc":
                with np.errstate(over="ignore"):  # inf, silently, as PyTorch's `x * 1e39`
                    return Tensor._make(xp.asarray(value, dtype=like.dtype), False)
            return Tensor._make(xp.asarray(value, dtype=like.dtype), False)
        return Tensor._make(xp.asarray(value, dtype=default_float()), False)
    arr = _to_array(value, None, like.device)
    if arr.ndim == 0 and like.dtype.kind in "fc" and arr.dtype.kind in "biuf":
        arr = arr.astype(like.dtype)
    return Tensor._make(arr, False)


def _shape(shape: tuple, size: Any = None, fn: str = "") -> tuple[int, ...]:
    """A factory's shape: its positional ints (or one tuple/list), or PyTorch's `size=`
    keyword; both at once is PyTorch's TypeError."""
    if size is None:
        return _checked_size(_shape_args(shape, None), fn)
    if shape:
        raise TypeError(f"{fn}() got multiple values for argument 'size'")
    if not isinstance(size, tuple | list):
        raise TypeError(f"{fn}(): argument 'size' must be tuple of ints, not {type(size).__name__}")
    return _checked_size(tuple(size), fn)


def _checked_size(shape: tuple, fn: str) -> tuple:
    """A new tensor's shape, refused as PyTorch refuses it: a size that is not an integer
    (TypeError), a negative one (RuntimeError)."""
    if all(type(d) is int and d >= 0 for d in shape):
        return shape
    for d in shape:
        if not isinstance(d, int | np.integer) and not (isinstance(d, Tensor) and d.ndim == 0):
            raise TypeError(
                f"{fn}(): argument 'size' must be tuple of ints, but found element of type "
                f"{type(d).__name__}"
            )
    if any(d < 0 for d in shape):
        bad = next(int(d) for d in shape if d < 0)
        raise RuntimeError(
            f"Trying to create tensor with negative dimension {bad}: {[int(d) for d in shape]}"
        )
    return shape


def _new(arr: Array, requires_grad: bool) -> Tensor:
    return Tensor(arr, requires_grad=requires_grad)


def _xp(device: Any):
    return cupy_module() if normalize_device(device) == "cuda" else np


@_factory
def zeros(
    *shape: Any,
    size: Any = None,
    dtype: Any = None,
    device: Any = "cpu",
    requires_grad: bool = False,
) -> Tensor:
    dtype = default_float() if dtype is None else dtype
    return _new(_xp(device).zeros(_shape(shape, size, "zeros"), dtype=dtype), requires_grad)


@_factory
def ones(
    *shape: Any,
    size: Any = None,
    dtype: Any = None,
    device: Any = "cpu",
    requires_grad: bool = False,
) -> Tensor:
    dtype = default_float() if dtype is None else dtype
    return _new(_xp(device).ones(_shape(shape, size, "ones"), dtype=dtype), requires_grad)


@_factory
def full(
    size: Any, fill_value: Any, dtype: Any = None, device: Any = "cpu", requires_grad: bool = False
) -> Tensor:
    """A tensor of `fill_value`; its dtype follows the value (bool, int64 or the default
    float) as in PyTorch unless `dtype` is given."""
    if dtype is None:
        # the kind of the value gives the dtype, as PyTorch's (bool, int64, the default
        # float or complex): a NumPy scalar or a 0-d tensor is a number, np.float64 and a
        # float64 tensor give float32; PyTorch takes a NumPy bool as a float
        value = _fill_scalar("full", fill_value)
        if isinstance(value, Tensor):
            value = value.item()
        if isinstance(value, np.bool_):
            value = 1.0 if value else 0.0
        elif isinstance(value, np.generic):
            value = value.item()
        dtype = _to_array(value).dtype
    if isinstance(fill_value, Tensor):  # checked as the number it holds, as PyTorch's full
        fill_value = _fill_scalar("full", fill_value).item()
    if np.dtype(dtype) == np.uint64 and isinstance(fill_value, int) and fill_value < -(2**63):
        # PyTorch reads a negative fill as an int64 before it wraps
        raise OverflowError(f"full: can't convert negative int {fill_value} to unsigned (uint64)")
    fill_value = check_fill_scalar("full", fill_value, dtype)
    if np.dtype(dtype).kind == "b" and isinstance(fill_value, int | float | complex):
        fill_value = bool(fill_value)  # (NumPy refuses an int beyond int64 for bool)
    if isinstance(fill_value, complex | np.complexfloating) and np.dtype(dtype).kind != "c":
        fill_value = fill_value.real  # (no imaginary part, as checked: NumPy would warn)
    shape = _checked_size((size,) if isinstance(size, int) else tuple(size), "full")
    return _new(_xp(device).full(shape, fill_value, dtype=dtype), requires_grad)


def _laid_out(out: Tensor, memory_format: Any) -> Tensor:
    """A `*_like` result in the layout `memory_format` asks for: PyTorch's default,
    preserve_format, and contiguous_format are row-major here (the values are the same)."""
    if memory_format is None or memory_format is preserve_format:
        return out
    return out.contiguous(memory_format=memory_format)


def _like(
    t: Tensor,
    make: Any,
    dtype: Any,
    requires_grad: bool,
    layout: Any,
    memory_format: Any,
) -> Tensor:
    """What zeros_like, ones_like, rand_like and randn_like share: the layout check, t's
    shape and (unless given) dtype for `make(shape, dtype)` (an array), and the layout
    asked for."""
    _check_layout(layout)
    out = _new(make(t.shape, t.dtype if dtype is None else dtype), requires_grad)
    return _laid_out(out, memory_format)


def _module_of(t: Tensor, device: Any) -> Any:
    """The array module of `device`, or of t's own device when None."""
    return get_array_module(t._data) if device is None else _xp(device)


def zeros_like(
    t: Tensor,
    dtype: Any = None,
    requires_grad: bool = False,
    *,
    layout: Any = None,
    device: Any = None,
    memory_format: Any = None,
) -> Tensor:
    def make(shape: tuple, dt: Any) -> Any:
        return _module_of(t, device).zeros(shape, dtype=dt)

    return _like(t, make, dtype, requires_grad, layout, memory_format)


def ones_like(
    t: Tensor,
    dtype: Any = None,
    requires_grad: bool = False,
    *,
    layout: Any = None,
    device: Any = None,
    memory_format: Any = None,
) -> Tensor:
    def make(shape: tuple, dt: Any) -> Any:
        return _module_of(t, device).ones(shape, dtype=dt)

    return _like(t, make, dtype, requires_grad, layout, memory_format)


def full_like(
    t: Tensor,
    fill_value: Any,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    *,
    layout: Any = None,
    memory_format: Any = None,
) -> Tensor:
    """A tensor of t's shape (and dtype and device unless given) filled with fill_value;
    `layout` (strided only) and `memory_format`, as PyTorch's."""
    _check_layout(layout)
    out = full(
        t.shape, fill_value, t.dtype if dtype is None else dtype, device or t.device, requires_grad
    )
    return _laid_out(out, memory_format)


@_factory
def empty(
    *shape: Any,
    size: Any = None,
    dtype: Any = None,
    device: Any = "cpu",
    requires_grad: bool = False,
    memory_format: Any = contiguous_format,
) -> Tensor:
    """An uninitialised tensor in PyTorch; here it holds zeros (laid out as
    `memory_format` says)."""
    shape = _shape(shape, size, "empty")
    out = zeros(shape, dtype=dtype, device=device, requires_grad=requires_grad)
    order = _format_order(memory_format, len(shape), "empty")
    if order is not None:
        out._data = _in_format(out._data, order)
    return out


def empty_strided(
    size: Any,
    stride: Any,
    *,
    dtype: Any = None,
    layout: Any = None,
    device: Any = "cpu",
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """A tensor of `size` with the given `stride`s, in elements (PyTorch's empty_strided):
    a strided view of a zero-filled buffer of the storage the strides span (1 + sum of
    (size - 1) * stride), so `stride()` and `is_contiguous()` are those asked for."""
    _check_layout(layout)
    size, stride = tuple(int(n) for n in size), tuple(int(n) for n in stride)
    if len(size) != len(stride):
        raise ShapeError(
            f"empty_strided: dimensionality of sizes ({len(size)}) must match dimensionality "
            f"of strides ({len(stride)}): sizes {list(size)}, strides {list(stride)}"
        )
    if any(n < 0 for n in size):
        raise RuntimeError(
            f"empty_strided: Trying to create tensor with negative dimension: {list(size)}"
        )
    if any(n < 0 for n in stride):
        raise RuntimeError(
            f"empty_strided: negative strides are not supported: sizes {list(size)}, strides "
            f"{list(stride)}"
        )
    n = 0 if 0 in size else 1 + sum((a - 1) * b for a, b in zip(size, stride, strict=True))
    base = zeros(n, dtype=dtype, device=device)._data
    xp = get_array_module(base)
    arr = xp.lib.stride_tricks.as_strided(base, size, [k * base.itemsize for k in stride])
    if any(n > 1 and k == 0 for n, k in zip(size, stride, strict=True)):
        # elements that share memory for certain: writes refused, as an expanded tensor's
        # (PyTorch's check finds the same overlap)
        arr.flags.writeable = False
    out = Tensor._make(arr, False)
    if requires_grad:
        out.requires_grad_(True)
    return out


def empty_like(
    t: Tensor,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    *,
    layout: Any = None,
    memory_format: Any = None,
) -> Tensor:
    """Like t (shape, dtype, device); holds zeros."""
    return full_like(t, 0, dtype, device, requires_grad, layout=layout, memory_format=memory_format)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """`data` as a tensor without a copy where it can be one: a Tensor of the asked dtype
    and device is returned itself, a NumPy array of that dtype is shared; lists are
    copied (floats take the default float dtype)."""
    if isinstance(data, Tensor):
        return data.to(device, dtype)
    return Tensor._make(_to_array(data, dtype, device), False)


def get_default_dtype() -> Any:
    """The dtype Python floats and the float factories take: float32, unless
    `set_default_dtype` changed it."""
    return default_float()


def set_default_dtype(d: Any) -> None:
    """Make `d` (float16, float32 or float64) the dtype that Python floats, the float
    factories (`zeros`, `randn`, `arange(0.5)`, ...), new layers' parameters and the float
    results of integer ops (`int_tensor / 2`, `sqrt`) take, as PyTorch's
    `set_default_dtype`; complex numbers then take complex128 beside float64, else
    complex64. Tensors already made keep their dtype."""
    dt = _default_dtype_arg(d, "set_default_dtype")
    if dt is None:
        raise TypeError(
            f"set_default_dtype: only floating-point types are supported as the default "
            f"type, got {d!r}"
        )
    set_default_float(dt)


def set_default_tensor_type(t: Any) -> None:
    """PyTorch's older form of `set_default_dtype` (deprecated there, with a warning):
    `t` is a floating legacy class (`mg.DoubleTensor`) or its name ('torch.DoubleTensor');
    a 'torch.cuda.' name also asks for the GPU, which minigrad's default device does not
    follow here: use `set_default_device`."""
    from . import legacy

    warn_user(
        "set_default_tensor_type() is deprecated (as in PyTorch 2.1 and later): use "
        "set_default_dtype() and set_default_device()",
        UserWarning,
    )
    kind = t
    if isinstance(t, str):
        kind = getattr(legacy, t.rsplit(".", 1)[-1], None) if t.startswith("torch.") else None
        if kind is None:
            raise TypeError(f"set_default_tensor_type: invalid type string {t!r}")
    if not isinstance(kind, legacy._TypedTensor):
        raise TypeError(
            f"set_default_tensor_type: invalid type object {t!r}: only floating-point types "
            f"are supported as the default type"
        )
    if kind.dtype.kind != "f":
        raise TypeError(
            f"set_default_tensor_type({kind.__name__}): only floating-point types are "
            f"supported as the default type"
        )
    set_default_float(kind.dtype)


def _default_dtype_arg(d: Any, op: str) -> np.dtype | None:
    """`d` as a float16/float32/float64 NumPy dtype, or None when it is another dtype;
    anything that is not a dtype at all is a TypeError naming `op`."""
    dt = _as_dtype(d, op)
    return dt if dt in (np.float16, np.float32, np.float64) else None


def _is_dtype(obj: Any) -> bool:
    """Whether obj names a dtype: a NumPy dtype (`mg.float32` is one), a NumPy scalar type
    (`numpy.float32`) or minigrad's bfloat16 name."""
    return (
        isinstance(obj, np.dtype | _NoBFloat16)
        or isinstance(obj, type)
        and issubclass(obj, np.generic)
        and obj is not np.generic
    )


def _as_dtype(d: Any, op: str) -> np.dtype:
    """`d` as a NumPy dtype; bfloat16 (which NumPy lacks) and what is not a dtype are a
    TypeError naming `op`."""
    if isinstance(d, _NoBFloat16):
        raise TypeError(f"{op}: minigrad has no bfloat16 (NumPy has none)")
    if not _is_dtype(d):
        raise TypeError(f"{op}(): argument must be a dtype, not {type(d).__name__}")
    return np.dtype(d)


def is_floating_point(t: Tensor) -> bool:
    return t.dtype.kind == "f"


def zeros_like_meta(shape: tuple, dtype: Any, like: Tensor) -> Tensor:
    xp = get_array_module(like._data)
    return Tensor._make(xp.zeros(shape, dtype=dtype), False)


@_factory
def randn(
    *shape: Any,
    size: Any = None,
    generator: Any = None,
    dtype: Any = None,
    device: Any = "cpu",
    requires_grad: bool = False,
) -> Tensor:
    shape = _shape(shape, size, "randn")
    arr = random.randn(shape, dtype, normalize_device(device), generator)
    return _new(arr, requires_grad)


@_factory
def rand(
    *shape: Any,
    size: Any = None,
    generator: Any = None,
    dtype: Any = None,
    device: Any = "cpu",
    requires_grad: bool = False,
) -> Tensor:
    shape = _shape(shape, size, "rand")
    arr = random.rand(shape, dtype, normalize_device(device), generator)
    return _new(arr, requires_grad)


@_factory
def randint(
    low: Any = None,
    high: Any = None,
    size: Any = None,
    *,
    generator: Any = None,
    dtype: Any = None,
    device: Any = "cpu",
    requires_grad: bool = False,
) -> Tensor:
    """Integers drawn uniformly from [low, high), int64 unless `dtype`; as PyTorch's,
    `randint(high, size)` draws from [0, high)."""
    if size is None:
        if high is None or not isinstance(high, tuple | list):
            raise TypeError("randint: give the size, as randint(high, size) or (low, high, size)")
        low, high, size = 0, low, high
    elif low is None:  # randint(high=5, size=(2,))
        low = 0
    elif high is None:  # randint(5, size=(2,))
        low, high = 0, low
    for name, v in (("low", low), ("high", high)):
        if isinstance(v, Tensor):
            v = v.item()
        if not _is_int(v):
            raise TypeError(f"randint: {name} must be an int, got {v!r}")
    low, high = int(low), int(high)
    _check_long("randint", low, high)
    if low >= high:
        raise RuntimeError(
            f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
        )
    if dtype is not None:
        dt = np.dtype(dtype)
        check_random_dtype("randint", dt)  # (a complex64 randint was drawn and cast)
        lo, hi = (0, 1) if dt.kind == "b" else _dtype_range(dt)
        if low < lo or high - 1 > hi:  # they wrapped around (uint8 255 from -1)
            raise RuntimeError(
                f"randint: [{low}, {high}) is out of bounds for {dt} (values {lo} to {hi})"
            )
    if not isinstance(size, tuple | list):  # randint(0, 5, 3): "'int' is not iterable"
        raise TypeError(f"randint(): argument 'size' must be a tuple of ints, not {size!r}")
    arr = random.randint(
        low, high, _checked_size(tuple(size), "randint"), normalize_device(device), generator
    )
    if dtype is not None:
        arr = arr.astype(np.dtype(dtype))
    return _new(arr, requires_grad)


def _check_long(op: str, *values: int) -> None:
    """PyTorch takes random bounds as C++ longs: one outside int64 is its ValueError
    (randint(0, 2**63) drew from [0, 2**63) in int64)."""
    for v in values:
        if not -(2**63) <= v < 2**63:
            raise ValueError(
                f"{op}: the bound {v} is outside int64: Overflow when unpacking long long"
            )


def _dtype_range(dt: np.dtype) -> tuple[float, float]:
    """The smallest and largest value of a numeric dtype (for floats, the integers they
    hold exactly)."""
    if dt.kind in "iu":
        return _INT_RANGE[dt.char]
    top = 2 ** (np.finfo(dt).nmant + 1)
    return -top, top


def _range_bounds(prefix: str, start: Any, end: Any, step: Any) -> list[float]:
    """start, end and step as floats, refused as PyTorch's arange and range refuse them
    (its messages, after `prefix`): non-finite bounds, a zero or NaN step, a step pointing
    away from `end`."""
    values = [float(v.item() if isinstance(v, Tensor) else v) for v in (start, end, step)]
    if not all(math.isfinite(v) for v in values[:2]):
        raise RuntimeError(f"{prefix}unsupported range: {start} -> {end}")
    if values[2] == 0 or math.isnan(values[2]):
        raise RuntimeError(f"{prefix}step must be nonzero")
    if (values[2] > 0 and values[1] < values[0]) or (values[2] < 0 and values[1] > values[0]):
        raise RuntimeError(f"{prefix}upper bound and lower bound inconsistent with step sign")
    return values


def _range_number(op: str, name: str, value: Any) -> Any:
    """A bound of arange: a number or a 0-d tensor, as PyTorch's parser takes it; a
    complex one with no imaginary part is its real part (a float: `arange(2+0j)` is
    float32, as PyTorch's), another is refused."""
    if isinstance(value, Tensor) and value.ndim != 0:
        raise TypeError(
            f"{op}(): argument '{name}' must be Number, not a Tensor of shape {value.shape}"
        )
    number = value.item() if isinstance(value, Tensor) else value
    if isinstance(number, complex | np.complexfloating):
        if number.imag != 0:
            raise RuntimeError(
                f"{op}(): argument '{name}' = {number} has an imaginary part: value cannot "
                "be converted to type double without overflow"
            )
        return number.real
    return value


def _no_kernel(op: str, dtype: Any, kinds: str) -> None:
    """PyTorch's NotImplementedError for a dtype its `op` kernel lacks."""
    dt = np.dtype(dtype)
    if dt.kind not in kinds:
        from .ops.search import torch_name

        raise NotImplementedError(f"\"{op}\" not implemented for '{torch_name(dt)}'")


@_factory
def arange(
    start: float | None = None,
    end: float | None = None,
    step: float = 1,
    dtype: Any = None,
    device: Any = "cpu",
    *,
    requires_grad: bool = False,
) -> Tensor:
    """`start`, `start + step`, ... up to but not including `end` (`arange(end)` and
    `arange(end=...)` start at 0), as PyTorch's: int64 for integer bounds, else the default
    float; 0-d tensors are numbers, larger ones refused; bool and complex dtypes refused."""
    if start is None and end is None:
        raise TypeError("arange() missing required argument 'end'")
    if end is None:
        start, end = 0, start
    elif start is None:
        start = 0
    start, end, step = (
        _range_number("arange", name, v)
        for name, v in (("start", start), ("end", end), ("step", step))
    )
    if dtype is not None:
        _no_kernel("arange_cpu", dtype, "iuf")
    values = _range_bounds("", start, end, step)
    if dtype is not None and np.dtype(dtype).kind in "iu":
        # PyTorch's integer arange truncates the bounds and the step to integers first:
        # arange(-2.5, 2, dtype=long) is [-2, -1, 0, 1], and a step of 0.5 is refused
        start, end, step = (
            int(v.item() if isinstance(v, Tensor) else v) for v in (start, end, step)
        )
        if step == 0:
            raise ValueRangeError(
                "arange: step must be nonzero (the step truncates to 0 for an integer dtype)"
            )
        _range_bounds("", start, end, step)
    arr = np.arange(start, end, step)
    if arr.dtype.kind == "f":
        # start + i * step in float64, as PyTorch's kernel, then cast: NumPy steps by
        # (start + step) - start, whose error grows with i (arange(1e9, 1e9 + 10, 1e-3)
        # ended 5e-4 short)
        first, _, by = values
        arr = first + np.arange(arr.size, dtype=np.float64) * by
        if dtype is None:
            arr = arr.astype(default_float())
    return Tensor(arr, dtype=dtype, device=device, requires_grad=requires_grad)


def range_(
    start: float,
    end: float,
    step: float = 1,
    dtype: Any = None,
    device: Any = "cpu",
    *,
    requires_grad: bool = False,
) -> Tensor:
    """PyTorch's deprecated `torch.range` (exported as `minigrad.range`): `start` to `end`
    *inclusive*, the default float unless `dtype`, int((end - start) / step + 1) values `start + i *
    step` computed in float64. It warns, as PyTorch: `arange` stops before `end`."""
    warn_user(
        "minigrad.range is deprecated, as torch.range: its end is inclusive, unlike Python's "
        "range; use minigrad.arange, which gives values in [start, end)"
    )
    start, end, step = (
        _range_number("range", name, v)
        for name, v in (("start", start), ("end", end), ("step", step))
    )
    values = _range_bounds("range: ", start, end, step)
    n = int((values[1] - values[0]) / values[2] + 1)
    arr = values[0] + np.arange(n, dtype=np.float64) * values[2]
    arr = arr.astype(default_float() if dtype is None else dtype)
    return Tensor(arr, device=device, requires_grad=requires_grad)


@_factory
def linspace(
    start: float,
    end: float,
    steps: int,
    dtype: Any = None,
    device: Any = "cpu",
    requires_grad: bool = False,
) -> Tensor:
    """`steps` evenly spaced values from `start` to `end`, the default float (complex for a
    complex end) unless `dtype`. Computed in the result's dtype with PyTorch's rule (the
    first half counted up from `start`, the second half down from `end`), so both ends are
    exact; float32 and float64 values are PyTorch's bit for bit (`_float_linspace`), and so
    are integer ones (`_int_linspace`). Ends are numbers or 0-d tensors; bool is refused,
    as PyTorch's."""
    if isinstance(steps, bool) or not isinstance(steps, int | np.integer) or steps < 0:
        raise ValueRangeError(f"linspace: steps must be a non-negative int, got {steps!r}")
    start, end = _linspace_ends("linspace", start, end)
    complex_ = isinstance(start, complex | np.complexfloating) or isinstance(
        end, complex | np.complexfloating
    )
    if dtype is None:
        dt = default_complex() if complex_ else np.dtype(default_float())
    else:
        dt = np.dtype(dtype)
        _no_kernel("linspace_cpu", dt, "iufc")
        if complex_ and dt.kind != "c":
            raise RuntimeError(
                f"torch.linspace(): inferred dtype complex can't be safely cast to passed "
                f"dtype {dt} (start={start!r}, end={end!r})"
            )
    if dt.kind in "iu":  # the ends cast to the dtype first, as PyTorch's: 2.7 counts as 2,
        # -1 is 255 in uint8 (an integer end wraps as a fill does; one beyond the dtype is refused)
        start, end = (int(check_fill_scalar("linspace", v, dt)) for v in (start, end))
        arr = _int_linspace(start, end, steps)
    elif dt in (np.float32, np.float64):
        arr = _float_linspace(start, end, steps, dt)
    else:  # float16 (each op rounded to half, as c10::Half's) and complex
        i = np.arange(steps, dtype=dt)
        step = (dt.type(end) - dt.type(start)) / dt.type(max(steps - 1, 1))
        first = np.arange(steps) < steps // 2
        arr = np.where(first, dt.type(start) + i * step, dt.type(end) - (steps - 1 - i) * step)
    if steps == 1:
        arr[...] = start  # one step is `start`, as in PyTorch
    return Tensor(arr.astype(dt), dtype=dt, device=device, requires_grad=requires_grad)


def _linspace_ends(op: str, start: Any, end: Any) -> tuple[Any, Any]:
    """linspace's ends as numbers: 0-d tensors are read, larger ones refused as PyTorch's."""
    if any(isinstance(v, Tensor) and v.ndim != 0 for v in (start, end)):
        dims = [v.ndim if isinstance(v, Tensor) else 0 for v in (start, end)]
        raise RuntimeError(
            f"{op} only supports 0-dimensional start and end tensors, but got start with "
            f"{dims[0]} dimension(s) and end with {dims[1]} dimension(s)."
        )
    return tuple(v.item() if isinstance(v, Tensor) else v for v in (start, end))


def _fma(a: Any, b: Any, c: Any) -> Any:
    """c + a * b rounded once (float64), as a fused multiply-add gives it: Dekker's exact
    product (Veltkamp's split) and Knuth's exact sum, so the one rounding is the last."""
    p = a * b
    split = 134217729.0 * a  # 2**27 + 1
    a_hi = split - (split - a)
    split = 134217729.0 * b
    b_hi = split - (split - b)
    a_lo, b_lo = a - a_hi, b - b_hi
    p_err = ((a_hi * b_hi - p) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo
    s = c + p
    back = s - p
    s_err = (c - back) + (p - (s - back))
    return s + (s_err + p_err)


def _fma32(a: Any, b: Any, c: Any) -> Any:
    """c + a * b for float32 a, b, c, rounded once to float32, as a fused multiply-add
    gives it: the product is exact in float64 and so is the sum's error (Knuth's), which
    moves an inexact float64 sum to its odd neighbour ("round to odd") so that the cast to
    float32 rounds as the exact value would (no double rounding)."""
    p = a.astype(np.float64) * b.astype(np.float64)
    c = np.float64(c)
    s = p + c
    back = s - p
    err = (c - back) + (p - (s - back))
    even = (s.view(np.int64) & 1) == 0
    odd = np.nextafter(s, np.where(err > 0, np.inf, -np.inf))
    return np.where((err != 0) & np.isfinite(err) & even, odd, s).astype(np.float32)


def _float_linspace(start: Any, end: Any, steps: int, dt: np.dtype) -> np.ndarray:
    """A float32/float64 linspace as PyTorch's CPU kernel computes it: the ends cast to
    the dtype, the step `(end - start) / (steps - 1)` in it, then `start + step * i` for
    the first half and `end - step * (steps - 1 - i)` for the second, each a fused
    multiply-add as the compiled kernel has them (on x86-64 with AVX2 or AVX-512, the
    kernels PyTorch runs there, and on ARM). Rounded twice instead, a third of the values
    were an ulp off, and `histogram`'s edges with them: data on a decimal grid that sits
    on an edge then fell in the neighbouring bin."""
    t = dt.type
    with np.errstate(all="ignore"):
        lo, hi = t(start), t(end)
        step = (hi - lo) / t(max(steps - 1, 1))
        n = np.arange(steps)
        i, k = n.astype(dt), (steps - 1 - n).astype(dt)  # PyTorch's int64 counts, cast
        fma = _fma if dt == np.float64 else _fma32
        up = fma(np.full(steps, step, dt), i, lo)
        down = fma(np.full(steps, -step, dt), k, hi)
        # (Veltkamp's split overflows for float64 ends near 1e308: one rounding more there)
        up = np.where(np.isfinite(up), up, lo + step * i)
        down = np.where(np.isfinite(down), down, hi - step * k)
    return np.where(n < steps // 2, up, down).astype(dt)


def _int_linspace(start: int, end: int, steps: int) -> np.ndarray:
    """An integer linspace as PyTorch's CPU kernel computes it (float64 values, truncated):
    the step from the truncated ends, `start + step * i` for the first half and
    `end - step * (steps - 1 - i)` for the second, each with a fused multiply-add, as the
    compiled kernel has it. The one rounding matters here: 6 - 3 * (15 / 9) is 1.0 in two
    roundings but 0.99999999999999978 in one, which truncates to 0 (linspace(-9, 6, 10))."""
    i = np.arange(steps, dtype=np.float64)
    step = (float(end) - float(start)) / max(steps - 1, 1)
    with np.errstate(all="ignore"):
        up = _fma(np.float64(step), i, np.float64(start))
        down = _fma(np.float64(-step), (steps - 1) - i, np.float64(end))
    return np.trunc(np.where(i < steps // 2, up, down))


def randn_like(
    t: Tensor,
    dtype: Any = None,
    requires_grad: bool = False,
    *,
    generator: Any = None,
    layout: Any = None,
    device: Any = None,
    memory_format: Any = None,
) -> Tensor:
    def make(shape: tuple, dt: Any) -> Any:
        return random.randn(shape, dt, device or t.device, generator)

    return _like(t, make, dtype, requires_grad, layout, memory_format)


def rand_like(
    t: Tensor,
    dtype: Any = None,
    requires_grad: bool = False,
    *,
    generator: Any = None,
    layout: Any = None,
    device: Any = None,
    memory_format: Any = None,
) -> Tensor:
    def make(shape: tuple, dt: Any) -> Any:
        return random.rand(shape, dt, device or t.device, generator)

    return _like(t, make, dtype, requires_grad, layout, memory_format)


def randint_like(
    t: Tensor,
    low: int = 0,
    high: int | None = None,
    *,
    generator: Any = None,
    dtype: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Integers from [low, high) shaped like t, in t's dtype unless `dtype`; as PyTorch's,
    randint_like(t, high) draws from [0, high), and the bounds must fit the dtype (uint8's
    [0, 300) is refused, as PyTorch refuses it, where the values wrapped around)."""
    if high is None:
        low, high = 0, low
    bounds = []
    for name, v in (("low", low), ("high", high)):
        if isinstance(v, Tensor):  # a 0-d tensor, as PyTorch's (its float 5.0 too)
            if v.ndim:
                raise RuntimeError(f"randint_like: {name} must be a scalar tensor, got {v.shape}")
            v = int(v.item())
        if not _is_int(v):
            raise TypeError(f"randint_like(): argument '{name}' must be an int, got {v!r}")
        bounds.append(int(v))
    low, high = bounds
    _check_long("randint_like", low, high)
    dt = np.dtype(t.dtype if dtype is None else dtype)
    check_random_dtype("randint_like", dt)
    if low >= high:
        raise RuntimeError(
            f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
        )
    check_random_bounds("randint_like", low, high - 1, dt)
    arr = random.randint(low, high, t.shape, t.device, generator)
    return _new(arr.astype(dt), requires_grad)


def check_random_dtype(op: str, dt: np.dtype) -> None:
    """PyTorch's refusal of a dtype random integers cannot be drawn into (complex)."""
    if dt.kind not in "biuf":
        raise RuntimeError(
            f"{op}: check_random_bounds handles only integral, floating-point and boolean "
            f"types, got {dt}"
        )


def check_random_bounds(op: str, low: int, last: int, dt: np.dtype) -> None:
    """PyTorch's check of random bounds [low, last] against the dtype drawn into
    (randint_like's, and random_'s in ops/sampling.py): `from` and `to - 1` must be
    values of it (a RuntimeError naming its C++ type, as PyTorch's); for a float, beyond
    the integers it holds exactly is a warning (uint8's [0, 300) wrapped 256..299 around)."""
    from .ops.search import cxx_name

    check_random_dtype(op, dt)  # (a complex dtype: NumPy's KeyError from the table below)
    if dt.kind == "f":
        most = float(np.finfo(dt).max)
        least, exact = -most, 2 ** (np.finfo(dt).nmant + 1)
    else:
        least, most = (0, 1) if dt.kind == "b" else _INT_RANGE[dt.char]
        exact = None
    for name, value in (("from", low), ("to - 1", last)):
        if not least <= value <= most:
            raise RuntimeError(
                f"{op}: {name} is out of bounds for {cxx_name(dt)}: {name} = {value} is "
                f"outside {dt} (from {least} to {most})"
            )
        if exact is not None and abs(value) > exact:
            warn_user(
                f"{op}: {name} is out of bounds [-(2^{exact.bit_length() - 1}), "
                f"2^{exact.bit_length() - 1}]. Due to precision limitations {cxx_name(dt)} can "
                "support discrete uniform distribution only within this range"
            )


@_factory
def eye(
    n: int,
    m: int | None = None,
    dtype: Any = None,
    device: Any = "cpu",
    requires_grad: bool = False,
) -> Tensor:
    """An n x m identity matrix (m defaults to n), of the default float dtype unless
    `dtype` says otherwise."""
    n = _int_arg("eye", "n", n)
    m = n if m is None else _int_arg("eye", "m", m)
    if n < 0 or m < 0:
        raise RuntimeError(f"eye: n and m must be non-negative, got n={n}, m={m}")
    dtype = default_float() if dtype is None else dtype
    return _new(_xp(device).eye(n, m, dtype=dtype), requires_grad)


@_factory
def randperm(
    n: int,
    *,
    generator: Any = None,
    dtype: Any = np.int64,
    device: Any = "cpu",
    requires_grad: bool = False,
) -> Tensor:
    """A random permutation of 0..n-1 (int64) from minigrad's generator, so `manual_seed`
    makes it repeatable."""
    if isinstance(n, Tensor) and n.numel() == 1 and n.dtype.kind in "iu":
        n = int(n.item())  # a 0-d (or one-element) integer tensor, as PyTorch takes it
    if not _is_int(n):
        raise TypeError(f"randperm: n must be an int, got {n!r}")
    if n < 0:
        raise RuntimeError(f"randperm: n must be non-negative, got {n}")
    dt = np.dtype(np.int64 if dtype is None else dtype)
    if n and dt.kind != "b" and n - 1 > _dtype_range(dt)[1]:  # uint8: 300 wrapped to 44
        raise RuntimeError(f"randperm: n={n} values do not fit {dt}")
    arr = random.permutation(int(n), normalize_device(device), generator)
    return _new(arr.astype(np.int64 if dtype is None else dtype, copy=False), requires_grad)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing `array`'s memory (and dtype), as `torch.from_numpy`."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    if array.dtype.kind not in "biufc":
        _not_numbers(array, True)
    _check_native(array)
    return Tensor._make(array, False)


def is_tensor(obj: Any) -> bool:
    return isinstance(obj, Tensor)


def numel(t: Tensor) -> int:
    return t.numel()


def mm(a: Tensor, b: Tensor) -> Tensor:
    """Matrix product of two 2-D tensors (use `matmul` for batches or vectors)."""
    if a.ndim != 2 or b.ndim != 2:
        raise RuntimeError(f"mm: expects two 2-D tensors, got shapes {a.shape} and {b.shape}")
    return _ops().matmul(a, b)


def spmm(a: Tensor, b: Tensor) -> Tensor:
    """`torch.spmm(a, b)`, a sparse matrix times a dense one; minigrad has no sparse
    tensors, so this is `mm` of the two dense tensors (pytorch/examples' GCN calls it on a
    dense adjacency matrix)."""
    return mm(a, b)


class device(str):  # noqa: N801 - PyTorch's name
    """`mg.device("cuda")`, and what `Tensor.device` returns: a device name with PyTorch's
    `.type` and `.index`. It is a `str` ('cpu', 'cuda', 'cuda:1'), so it is usable wherever a
    device string is and compares and hashes as one (`x.device == "cpu"`)."""

    __slots__ = ("_type", "_index")

    def __new__(cls, type: Any, index: int | None = None) -> device:  # noqa: A002
        if isinstance(type, device) and index is None:
            return type
        name = str(type)
        if ":" in name:
            name, idx = name.split(":", 1)
            index = int(idx)
        kind = normalize_device(name)
        return cls._made(kind if index is None else f"{kind}:{index}", kind, index)

    @classmethod
    def _made(cls, name: str, kind: str, index: int | None) -> device:
        self = super().__new__(cls, name)
        self._type, self._index = kind, index
        return self

    @property
    def type(self) -> str:  # read-only, as PyTorch's
        return self._type

    @property
    def index(self) -> int | None:  # PyTorch's attribute: shadows str.index, which it lacks
        return self._index

    def __reduce__(self) -> tuple:
        return device._made, (str(self), self._type, self._index)

    def __repr__(self) -> str:
        idx = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{idx})"


# what `Tensor.device` returns: the plain name ('cuda', as minigrad's code compares it),
# with PyTorch's index (0: minigrad uses CuPy's current GPU) for `x.device.index`
_TENSOR_DEVICES = {"cpu": device._made("cpu", "cpu", None), "cuda": device._made("cuda", "cuda", 0)}
