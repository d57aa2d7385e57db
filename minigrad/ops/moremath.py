"""More element-wise math, as PyTorch names it: reciprocal, exp2, log2, log10, tan, atan,
asin, acos, sinh, cosh, asinh, acosh, atanh, atan2, fmod and nan_to_num. Integer and
bool inputs compute in the default float (PyTorch's rule for float-valued ops); each backward is
written with ops, so every order of derivative is available."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Function
from ..backend import get_array_module
from ..tensor import Tensor
from .elementwise import (
    Mask,
    _integer_operands,
    keep_bits,
    promote,
    promote_float,
    scale,
    sqrt,
    to_float,
    where,
)
from .reduce import sum_to

_LN2 = float(np.log(2.0))
_LN10 = float(np.log(10.0))


def _tensor(x: Any, op: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(x).__name__}")
    return x


class Unary(Function):
    """y = xp.<name>(x) with a backward given as a function of (gy, x, y) in ops. NumPy's
    warnings for values outside the domain (NaN, inf: PyTorch's results) are silenced.
    float32 and float16 are computed in float64 and rounded: NumPy's float32 kernels are
    off by up to 3 ulps, the rounded float64 value agrees with PyTorch's almost always."""

    def __init__(self, name: str, grad: Any, needs_x: bool, needs_y: bool) -> None:
        self.op_name, self.grad = name, grad
        self.uses_inputs, self.uses_outputs = needs_x, needs_y

    def forward(self, x):
        xp = get_array_module(x)
        fn = getattr(xp, _NUMPY.get(self.op_name, self.op_name))
        with np.errstate(all="ignore"):
            if x.dtype.itemsize < 8 and self.op_name != "reciprocal":
                return fn(x.astype(np.float64)).astype(x.dtype)
            return fn(x)

    def backward(self, gy):
        x = self.inputs[0] if self.uses_inputs else None
        y = self.output() if self.uses_outputs else None
        return self.grad(gy, x, y)


_NUMPY = {
    "asin": "arcsin",
    "acos": "arccos",
    "atan": "arctan",
    "asinh": "arcsinh",
    "acosh": "arccosh",
    "atanh": "arctanh",
}


def _one_minus_square(x: Tensor) -> Tensor:
    return 1 - x * x


# name: (gradient from (gy, x, y), backward reads x, backward reads y)
_UNARY = {
    "reciprocal": (lambda gy, x, y: gy * -(y * y), False, True),
    "exp2": (lambda gy, x, y: gy * (y * _LN2), False, True),
    "log2": (lambda gy, x, y: gy / (x * _LN2), True, False),
    "log10": (lambda gy, x, y: gy / (x * _LN10), True, False),
    "tan": (lambda gy, x, y: gy * (1 + y * y), False, True),
    "atan": (lambda gy, x, y: gy / (1 + x * x), True, False),
    "asin": (lambda gy, x, y: gy / sqrt(_one_minus_square(x)), True, False),
    "acos": (lambda gy, x, y: -gy / sqrt(_one_minus_square(x)), True, False),
    "sinh": (lambda gy, x, y: gy * cosh(x), True, False),
    "cosh": (lambda gy, x, y: gy * sinh(x), True, False),
    "asinh": (lambda gy, x, y: gy / sqrt(x * x + 1), True, False),
    "acosh": (lambda gy, x, y: gy / sqrt(x * x - 1), True, False),
    "atanh": (lambda gy, x, y: gy / _one_minus_square(x), True, False),
}


def _unary(name: str, x: Tensor) -> Tensor:
    grad, nx, ny = _UNARY[name]
    return Unary(name, grad, nx, ny)(to_float(_tensor(x, name)))


def reciprocal(x: Tensor) -> Tensor:
    """1 / x (inf at 0); integer input gives the default float, as in PyTorch."""
    return _unary("reciprocal", x)


def exp2(x: Tensor) -> Tensor:
    return _unary("exp2", x)


def log2(x: Tensor) -> Tensor:
    return _unary("log2", x)


def log10(x: Tensor) -> Tensor:
    return _unary("log10", x)


def tan(x: Tensor) -> Tensor:
    return _unary("tan", x)


def atan(x: Tensor) -> Tensor:
    return _unary("atan", x)


def asin(x: Tensor) -> Tensor:
    return _unary("asin", x)


def acos(x: Tensor) -> Tensor:
    return _unary("acos", x)


def sinh(x: Tensor) -> Tensor:
    return _unary("sinh", x)


def cosh(x: Tensor) -> Tensor:
    return _unary("cosh", x)


def asinh(x: Tensor) -> Tensor:
    return _unary("asinh", x)


def acosh(x: Tensor) -> Tensor:
    return _unary("acosh", x)


def atanh(x: Tensor) -> Tensor:
    return _unary("atanh", x)


class Atan2(Function):
    """atan2(y, x), the angle of (x, y); d/dy = x / r2, d/dx = -y / r2, and 0 at the
    origin, as PyTorch's."""

    op_name = "atan2"

    def forward(self, y, x):
        xp = get_array_module(y)
        with np.errstate(all="ignore"):
            if y.dtype.itemsize < 8:  # NumPy's float32 arctan2 is off by an ulp or two
                return xp.arctan2(y.astype(np.float64), x.astype(np.float64)).astype(y.dtype)
            return xp.arctan2(y, x)

    def backward(self, g):
        y, x = self.inputs
        ny, nx = self.needs_input_grad
        r2 = x * x + y * y
        origin = r2._data == 0
        if bool(origin.any()):  # a safe divisor there, and a zero gradient
            inv = where(origin, 0.0, 1 / where(origin, 1.0, r2))
        else:
            inv = 1 / r2
        gy = sum_to(g * x * inv, y.shape) if ny else None
        gx = sum_to(-g * y * inv, x.shape) if nx else None
        return gy, gx


def atan2(input: Tensor, other: Any) -> Tensor:  # noqa: A002 - PyTorch's name
    """The angle of (other, input) in (-pi, pi]; integer operands give the default float."""
    a, b = promote_float(input, other)
    return Atan2()(a, b)


class Fmod(Function):
    """a - b * trunc(a / b): the sign of the dividend (C's fmod). d/da = 1,
    d/db = -trunc(a / b), as PyTorch."""

    op_name = "fmod"

    def forward(self, a, b):
        with np.errstate(all="ignore"):
            return get_array_module(a).fmod(a, b)

    def backward(self, gy):
        a, b = self.inputs
        na, nb = self.needs_input_grad
        gb = None
        if nb:
            with np.errstate(all="ignore"):
                q = get_array_module(a._data).trunc(a._data / b._data)
            gb = sum_to(scale(gy, -q), b.shape)
        return sum_to(gy, a.shape) if na else None, gb


def fmod(input: Tensor, other: Any) -> Tensor:  # noqa: A002
    """The remainder with the dividend's sign (`remainder` takes the divisor's). Integer
    division by zero raises ZeroDivisionError, as PyTorch; float gives NaN."""
    a, b = promote(input, other)
    _integer_operands(a, b, "fmod")
    return Fmod()(a, b)


class NanToNum(Function):
    """NaN, +inf and -inf replaced by numbers; the gradient passes where x is finite and
    is 0 at the replaced elements, as PyTorch's."""

    uses_inputs = False
    op_name = "nan_to_num"

    def __init__(self, nan: float, posinf: Any, neginf: Any) -> None:
        self.nan, self.posinf, self.neginf = nan, posinf, neginf

    def forward(self, x):
        xp = get_array_module(x)
        self.bits = keep_bits(xp.isfinite(x), x.dtype)
        return xp.nan_to_num(x, nan=self.nan, posinf=self.posinf, neginf=self.neginf)

    def backward(self, gy):
        return Mask(self.bits)(gy)


def nan_to_num(
    x: Tensor, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None
) -> Tensor:
    """NaN -> `nan`, inf -> `posinf` (the dtype's largest finite value by default), -inf
    -> `neginf` (the most negative); `nan=None` is 0, as PyTorch's. Integer and bool
    tensors come back as a copy."""
    x = _tensor(x, "nan_to_num")
    if nan is None:
        nan = 0.0
    if x.dtype.kind not in "fc":
        return x.clone()
    return NanToNum(nan, posinf, neginf)(x)


__all__ = [
    "acos",
    "acosh",
    "asin",
    "asinh",
    "atan",
    "atan2",
    "atanh",
    "cosh",
    "exp2",
    "fmod",
    "log10",
    "log2",
    "nan_to_num",
    "reciprocal",
    "sinh",
    "tan",
]
