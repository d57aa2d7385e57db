"""Binary search and counting, as PyTorch names them: searchsorted, bucketize, bincount.

`searchsorted` runs PyTorch's own binary search, one halving step at a time for every
value at once (about log2(n) array passes), so its answers are PyTorch's wherever the
sequence is not sorted too: a NaN value lands past the end, and a NaN in the sequence
sends the search right of it, as PyTorch's comparisons do (NumPy's searchsorted orders
NaN last instead).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Function
from ..backend import default_float, get_array_module
from ..tensor import _TYPE_NAMES, Tensor, _int_arg, _to_array, _type_name

# a dtype as PyTorch's messages spell it ('Float' for float32): one table, in tensor.py
TORCH_NAMES, torch_name = _TYPE_NAMES, _type_name

# dtypes as PyTorch's C++ messages name them (its TypeMeta names)
CXX_NAMES = {
    "float32": "float",
    "float64": "double",
    "float16": "c10::Half",
    "bfloat16": "c10::BFloat16",
    "int64": "long int",
    "int32": "int",
    "int16": "short int",
    "int8": "signed char",
    "uint8": "unsigned char",
    "bool": "bool",
    "complex64": "c10::complex<float>",
    "complex128": "c10::complex<double>",
}


def cxx_name(dtype: Any) -> str:
    """A dtype as PyTorch's C++ messages spell it ('long int' for int64)."""
    name = np.dtype(dtype).name
    return CXX_NAMES.get(name, name)


def _promoted(a: np.dtype, b: np.dtype) -> np.dtype:
    """PyTorch's promoteTypes of two tensor dtypes: a float or complex beats any integer
    (float32 with int64 is float32, complex64 with int32 complex64, where NumPy widens);
    otherwise NumPy's rule."""
    if a == b:
        return a
    if a.kind in "fc" and b.kind in "biu":
        return a
    if b.kind in "fc" and a.kind in "biu":
        return b
    return np.promote_types(a, b)


def _values(values: Any, like: Any) -> Any:
    """The values to look up as an array on like's device. A Python number is a 0-d array
    of like's dtype when its kind ranks no higher (2.5 against float16 is float16), else
    of the default dtype of its kind (2.5 against int64 is the default float), as PyTorch promotes a
    number."""
    xp = get_array_module(like)
    if isinstance(values, Tensor):
        return values._data
    if isinstance(values, bool | int | float | np.bool_ | np.integer | np.floating):
        kind = np.asarray(values).dtype.kind
        rank = {"b": 0, "u": 1, "i": 1, "f": 2}
        if rank[kind] <= rank.get(like.dtype.kind, 3):
            return xp.asarray(values).astype(like.dtype)
        return xp.asarray(values, dtype=default_float() if kind == "f" else np.int64)
    return xp.asarray(_to_array(values))


def _binary_search(bd: Any, vals: Any, sorter: Any, right: bool) -> Any:
    """PyTorch's lower/upper bound of each row of `vals` (R, m) in the row of `bd` (R, n),
    through `sorter` (R, n) when given: start moves right past mid while
    !(bd[mid] >= v) (left) or !(bd[mid] > v) (right), exactly as its kernel, so NaN and
    unsorted rows give its answers. All values step together, one halving per pass."""
    xp = get_array_module(bd)
    n = bd.shape[1]
    start = xp.zeros(vals.shape, dtype=np.int64)
    end = xp.full(vals.shape, n, dtype=np.int64)
    rows = xp.arange(bd.shape[0]).reshape(-1, 1)
    active = start < end
    while bool(active.any()):
        mid = start + ((end - start) >> 1)
        pos = xp.minimum(mid, n - 1)  # finished lanes may sit at n; their result is kept
        if sorter is not None:
            pos = sorter[rows, pos]
        mid_val = bd[rows, pos]
        with np.errstate(invalid="ignore"):
            go_right = ~(mid_val > vals) if right else ~(mid_val >= vals)
        start = xp.where(active & go_right, mid + 1, start)
        end = xp.where(active & ~go_right, mid, end)
        active = start < end
    return start


def _side(right: bool, side: str | None) -> bool:
    if side is None:
        return bool(right)
    if side not in ("left", "right"):
        raise RuntimeError(
            f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}"
        )
    if right and side == "left":
        raise RuntimeError(
            "torch.searchsorted(): side and right can't be set to opposites, got side of "
            "left while right was True"
        )
    return side == "right"


def _sorter(sorter: Any, bd: Any) -> Any:
    s = sorter._data if isinstance(sorter, Tensor) else get_array_module(bd).asarray(sorter)
    if s.dtype != np.int64:
        raise RuntimeError(
            "torch.searchsorted(): sorter must be a tensor of long dtype but got dtype "
            f"{torch_name(s.dtype)}"
        )
    if tuple(s.shape) != tuple(bd.shape):
        raise RuntimeError(
            "torch.searchsorted(): boundary and sorter must have the same size, but got "
            f"boundary tensor {list(bd.shape)}and got sorter tensor {list(s.shape)}"
        )
    if s.size and (int(s.min()) < 0 or int(s.max()) >= bd.shape[-1]):
        raise RuntimeError("torch.searchsorted(): sorter index out of range")
    return s


def searchsorted(
    sorted_sequence: Tensor,
    input: Any,  # noqa: A002 - PyTorch's name
    *,
    out_int32: bool = False,
    right: bool = False,
    side: str | None = None,
    sorter: Any = None,
) -> Tensor:
    """For each value, the index in the innermost dim of `sorted_sequence` where it would be
    inserted to keep the order: the first such place, or the last with `right=True` /
    `side='right'`. `sorted_sequence` is 1-D, or (*, n) with `input` (*, m); `sorter`
    holds the indices that sort an unsorted sequence (as `argsort`'s). A number as
    `input` gives a 0-d result. int64 indices (int32 with `out_int32`); no gradient."""
    is_right = _side(right, side)
    bd = (
        sorted_sequence._data
        if isinstance(sorted_sequence, Tensor)
        else np.asarray(_to_array(sorted_sequence))
    )
    vals = _values(input, bd)
    if vals.ndim == 0 and bd.ndim != 1:
        raise RuntimeError(
            "torch.searchsorted(): input value can be a scalar only when boundaries tensor "
            f"dimension is 1, but we got boundaries tensor dim({bd.ndim}) and input value's "
            f"dim(0) numel(1)"
        )
    if bd.ndim == 0:
        raise RuntimeError(
            "torch.searchsorted(): boundaries tensor should have positive dimension, but got "
            "0 dimension"
        )
    if bd.ndim != 1 and (vals.ndim != bd.ndim or vals.shape[:-1] != bd.shape[:-1]):
        raise RuntimeError(
            "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
            "dimensions of boundaries tensor and input value tensor must match, but we got "
            f"boundaries tensor {list(bd.shape)} and input value tensor {list(vals.shape)}"
        )
    srt = None if sorter is None else _sorter(sorter, bd)
    dt = _promoted(bd.dtype, vals.dtype)
    if dt.kind not in "iuf":
        raise NotImplementedError(
            f"\"searchsorted_out_cpu\" not implemented for '{torch_name(dt)}'"
        )
    out_dtype = np.int32 if out_int32 else np.int64
    xp = get_array_module(bd)
    if vals.size == 0:
        return Tensor._make(xp.zeros(vals.shape, dtype=out_dtype), False)
    rows = 1 if bd.ndim == 1 else int(np.prod(bd.shape[:-1]))
    flat_vals = vals.astype(dt, copy=False).reshape(rows, -1)
    flat_bd = bd.astype(dt, copy=False).reshape(rows, bd.shape[-1])
    flat_srt = None if srt is None else srt.reshape(rows, bd.shape[-1])
    found = _binary_search(flat_bd, flat_vals, flat_srt, is_right)
    return Tensor._make(xp.asarray(found.reshape(vals.shape), dtype=out_dtype), False)


def bucketize(
    input: Any,  # noqa: A002 - PyTorch's name
    boundaries: Tensor,
    *,
    out_int32: bool = False,
    right: bool = False,
) -> Tensor:
    """The bucket of each value between the sorted 1-D `boundaries`: i such that
    boundaries[i-1] < v <= boundaries[i] (right=False) or boundaries[i-1] <= v <
    boundaries[i] (right=True). searchsorted(boundaries, input) with its rules."""
    ndim = boundaries.ndim if isinstance(boundaries, Tensor) else np.ndim(boundaries)
    if ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


class BinCount(Function):
    """Sums of `weights` per bin of a fixed index array (PyTorch's bincount with weights),
    added in input order as PyTorch's loop does. PyTorch has no derivative for it: the
    result of weights that require grad does too, and its backward raises as PyTorch's."""

    uses_inputs = False
    op_name = "bincount"

    def __init__(self, index: Any, size: int) -> None:
        self.index, self.size = index, size

    def forward(self, w):
        xp = get_array_module(w)
        dt = np.float32 if w.dtype == np.float32 else np.float64
        out = xp.zeros(self.size, dtype=dt)
        xp.add.at(out, self.index, w.astype(dt, copy=False))
        return out

    def backward(self, gy):
        raise RuntimeError("the derivative for 'bincount' is not implemented.")


def bincount(
    input: Tensor,  # noqa: A002 - PyTorch's name
    weights: Tensor | None = None,
    minlength: int = 0,
) -> Tensor:
    """How often each value 0..max occurs in the 1-D non-negative integer `input` (at
    least `minlength` bins): int64 counts, or the sums of `weights` per value (float32 for
    float32 weights, float64 for every other dtype)."""
    a = input._data if isinstance(input, Tensor) else np.asarray(_to_array(input))
    if a.dtype.kind not in "iu":
        raise NotImplementedError(f"\"bincount_cpu\" not implemented for '{torch_name(a.dtype)}'")
    minlength = _int_arg("bincount", "minlength", minlength)
    if minlength < 0:
        raise RuntimeError(f"bincount: minlength should be >= 0, got {minlength}")
    xp = get_array_module(a)
    if a.ndim == 1 and a.size == 0:
        return Tensor._make(xp.zeros(int(minlength), dtype=np.int64), False)
    if a.ndim != 1 or int(a.min()) < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    size = max(int(a.max()) + 1, int(minlength))
    if weights is None:
        return Tensor._make(xp.bincount(a, minlength=size).astype(np.int64, copy=False), False)
    w = weights if isinstance(weights, Tensor) else Tensor(weights)
    if w.ndim != 1 or w.shape[0] != a.shape[0]:
        raise RuntimeError("weights should be 1-d and have the same length as input")
    return BinCount(a.astype(np.int64, copy=False), size)(w)
