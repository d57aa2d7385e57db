"""Machine limits of the numeric dtypes, as PyTorch's `torch.finfo` and `torch.iinfo`.

The numbers are NumPy's (`numpy.finfo`/`numpy.iinfo`) as Python floats and ints, and
`dtype` is the dtype's name ('float32'), as PyTorch's attribute is.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .backend import default_float


def _dtype(value: Any, op: str) -> np.dtype:
    """`value` (mg.float32, numpy.float64, float, 'int8') as a NumPy dtype; a tensor or
    array is refused, as PyTorch refuses a tensor."""
    from .tensor import Tensor

    why = f"{op}(): argument 'type' (position 1) must be a dtype, not {type(value).__name__}"
    if isinstance(value, Tensor | np.ndarray) or value is None:
        raise TypeError(why)
    from .tensor import bfloat16

    if value is bfloat16:
        return np.dtype(value)  # its own TypeError: minigrad has no bfloat16
    try:
        return np.dtype(value)
    except TypeError:
        raise TypeError(why) from None


class finfo:  # noqa: N801 - PyTorch's name
    """Limits of a floating-point dtype (float32 when none is given). A complex dtype
    gives the limits of its real part, as in PyTorch.

    bits, eps (1.0's distance to the next float), max, min (= -max), tiny and
    smallest_normal (the smallest positive normal number), resolution (10**-precision)
    and dtype (the name)."""

    def __init__(self, type: Any = None) -> None:  # noqa: A002 - PyTorch's argument name
        dt = np.dtype(default_float()) if type is None else _dtype(type, "finfo")
        if dt.kind == "c":
            dt = np.dtype(f"f{dt.itemsize // 2}")
        if dt.kind != "f":
            raise TypeError(
                "torch.finfo() requires a floating point input type. Use torch.iinfo to "
                f"handle '{dt.name}'"
            )
        info = np.finfo(dt)
        self.bits = int(info.bits)
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        self.resolution = 10.0 ** -int(info.precision)
        self.dtype = dt.name

    def __eq__(self, other: object) -> bool:
        return isinstance(other, finfo) and other.dtype == self.dtype

    def __hash__(self) -> int:
        return hash(("finfo", self.dtype))

    def __repr__(self) -> str:
        return (
            f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
            f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, "
            f"dtype={self.dtype})"
        )


class iinfo:  # noqa: N801 - PyTorch's name
    """Limits of an integer dtype: bits, max, min and dtype (the name). bool is refused,
    as in PyTorch."""

    def __init__(self, type: Any) -> None:  # noqa: A002 - PyTorch's argument name
        dt = _dtype(type, "iinfo")
        if dt.kind == "b":
            raise TypeError("torch.bool is not supported by torch.iinfo")
        if dt.kind not in "iu":
            raise TypeError(
                "torch.iinfo() requires an integer input type. Use torch.finfo to handle "
                f"'{dt.name}'"
            )
        info = np.iinfo(dt)
        self.bits = int(info.bits)
        self.max = int(info.max)
        self.min = int(info.min)
        self.dtype = dt.name

    def __eq__(self, other: object) -> bool:
        return isinstance(other, iinfo) and other.dtype == self.dtype

    def __hash__(self) -> int:
        return hash(("iinfo", self.dtype))

    def __repr__(self) -> str:
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"
