"""Tensors of evenly spaced powers and of triangle indices, as PyTorch's `logspace`,
`tril_indices` and `triu_indices`. None requires grad unless asked; none is a graph node.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .backend import default_complex, default_float
from .ops.search import torch_name
from .tensor import Tensor, _check_int_range, _int_arg, check_fill_scalar, linspace


def _number(value: Any, name: str) -> Any:
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(
                f"logspace only supports 0-dimensional start and end tensors, but got {name} "
                f"with {value.ndim} dimension(s)."
            )
        return value.item()
    return value


def logspace(
    start: Any,
    end: Any,
    steps: int,
    base: float = 10.0,
    *,
    dtype: Any = None,
    layout: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """`steps` values base**e for e evenly spaced from `start` to `end`, float32 unless
    `dtype`. As PyTorch's kernel: start and end are first cast to the dtype, the exponents
    are counted up from start for the first half and down from end for the second, and
    the powers are taken in float64 and cast (truncated for an integer dtype, whose base
    is first rounded to float32)."""
    if isinstance(steps, bool) or not isinstance(steps, int | np.integer):
        raise TypeError(f"logspace(): argument 'steps' must be int, not {type(steps).__name__}")
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    start, end = _number(start, "start"), _number(end, "end")
    if dtype is None and any(isinstance(v, complex | np.complexfloating) for v in (start, end)):
        dtype = default_complex()  # a complex end gives the default complex, as PyTorch's
    dt = np.dtype(default_float() if dtype is None else dtype)
    if dt.kind not in "iufc":
        raise NotImplementedError(f"\"logspace_cpu\" not implemented for '{torch_name(dt)}'")
    if dt.kind == "c":  # base ** (linspace's exponents), in complex128
        exponent = linspace(start, end, steps, dtype=np.complex128)._data
        arr = np.power(np.complex128(base), exponent).astype(dt)
        return Tensor(arr, dtype=dt, device=device, requires_grad=requires_grad)
    if dt.kind in "iu":  # ends beyond the dtype (or NaN) are refused, -1 wraps (uint8: 255)
        start, end = (check_fill_scalar("logspace", v, dt) for v in (start, end))
    if steps == 1:  # filled with base ** start, which must fit, as PyTorch's fill_
        value = np.full(1, math.pow(float(base), float(start)))
        if dt.kind in "iu":
            _check_int_range(value, dt)
        arr = value.astype(dt)
    else:
        s, e = dt.type(start), dt.type(end)
        if dt.kind in "iu":  # C++'s integer promotion: the difference is never wrapped
            diff, b = np.float64(int(e) - int(s)), np.float64(np.float32(base))
        else:
            diff, b = np.float64(e - s), np.float64(base)
        step = diff / np.float64(steps - 1)
        i = np.arange(steps, dtype=np.float64)
        up = np.float64(s) + step * i
        down = np.float64(e) - step * (np.float64(steps - 1) - i)
        exponent = np.where(i < steps // 2, up, down)
        # C's pow is (nearly always) correctly rounded; NumPy's vectorised float64 power
        # is off by an ulp one time in 20, the extended-precision one one time in 1000
        with np.errstate(over="ignore", invalid="ignore"):
            wide = np.power(np.longdouble(b), exponent.astype(np.longdouble))
            arr = wide.astype(np.float64).astype(dt)
    return Tensor(arr, dtype=dt, device=device, requires_grad=requires_grad)


def _triangle_indices(
    row: int, col: int, offset: int, dtype: Any, device: Any, lower: bool
) -> Tensor:
    name = "tril_indices" if lower else "triu_indices"
    row, col = _int_arg(name, "row", row), _int_arg(name, "col", col)
    offset = _int_arg(name, "offset", offset)
    if row < 0:
        raise RuntimeError(f"row must be non-negative, got{row}")
    if col < 0:
        raise RuntimeError(f"col must be non-negative, got{col}")
    dt = np.dtype(np.int64 if dtype is None else dtype)
    if dt.kind not in "iu":
        raise NotImplementedError(f"\"{name}\" not implemented for '{torch_name(dt)}'")
    if lower:
        keep = np.tri(row, col, int(offset), dtype=bool)
    else:
        keep = ~np.tri(row, col, int(offset) - 1, dtype=bool)
    rows, cols = np.nonzero(keep)  # row-major order, as PyTorch's
    return Tensor(np.stack([rows, cols]).astype(dt), dtype=dt, device=device)


def tril_indices(
    row: int,
    col: int,
    offset: int = 0,
    *,
    dtype: Any = np.int64,
    device: Any = "cpu",
    layout: Any = None,
) -> Tensor:
    """The (2, N) coordinates of the lower triangle of a row x col matrix (on and below
    the `offset`-th diagonal), row by row."""
    return _triangle_indices(row, col, offset, dtype, device, True)


def triu_indices(
    row: int,
    col: int,
    offset: int = 0,
    *,
    dtype: Any = np.int64,
    device: Any = "cpu",
    layout: Any = None,
) -> Tensor:
    """The (2, N) coordinates of the upper triangle of a row x col matrix (on and above
    the `offset`-th diagonal), row by row."""
    return _triangle_indices(row, col, offset, dtype, device, False)
