"""Element-wise arithmetic. Binary ops broadcast; their backward reduces each gradient back
to its input's shape with `sum_to`."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Function
from ..backend import get_array_module
from ..tensor import Tensor
from .reduce import sum_to


class Scale(Function):
    """gy * c for a fixed array c (a mask or slope map). Its own adjoint, so every
    piecewise-linear op (relu, leaky_relu, clip, abs, max) gets double backward from it."""

    uses_inputs = False

    def __init__(self, c: Any) -> None:
        self.c = c

    def forward(self, x):
        return x * self.c

    def backward(self, gy):
        return scale(gy, self.c)


def scale(x: Tensor, c: Any) -> Tensor:
    return Scale(c)(x)


class Add(Function):
    uses_inputs = False

    def forward(self, a, b):
        self.shapes = (a.shape, b.shape)
        return a + b

    def backward(self, gy):
        na, nb = self.needs_input_grad
        return (sum_to(gy, self.shapes[0]) if na else None,
                sum_to(gy, self.shapes[1]) if nb else None)


class Sub(Function):
    uses_inputs = False

    def forward(self, a, b):
        self.shapes = (a.shape, b.shape)
        return a - b

    def backward(self, gy):
        na, nb = self.needs_input_grad
        return (sum_to(gy, self.shapes[0]) if na else None,
                sum_to(-gy, self.shapes[1]) if nb else None)


class Mul(Function):
    def forward(self, a, b):
        return a * b

    def backward(self, gy):
        a, b = self.inputs
        na, nb = self.needs_input_grad
        return (sum_to(gy * b, a.shape) if na else None,
                sum_to(gy * a, b.shape) if nb else None)


class Div(Function):
    def forward(self, a, b):
        return a / b

    def backward(self, gy):
        a, b = self.inputs
        na, nb = self.needs_input_grad
        ga = gy / b
        return (sum_to(ga, a.shape) if na else None,
                sum_to(-ga * a / b, b.shape) if nb else None)


class Neg(Function):
    uses_inputs = False

    def forward(self, x):
        return -x

    def backward(self, gy):
        return -gy


class PowScalar(Function):
    """x ** c for a constant exponent c."""

    def __init__(self, c: float) -> None:
        self.c = c

    def forward(self, x):
        return x**self.c

    def backward(self, gy):
        (x,) = self.inputs
        if self.c == 2:
            return gy * (2 * x)
        return gy * (self.c * x ** (self.c - 1))


class Pow(Function):
    """a ** b for two tensors."""

    uses_outputs = True

    def forward(self, a, b):
        return a**b

    def backward(self, gy):
        a, b = self.inputs
        na, nb = self.needs_input_grad
        ga = sum_to(gy * b * a ** (b - 1), a.shape) if na else None
        gb = sum_to(gy * self.output() * log(a), b.shape) if nb else None
        return ga, gb


class Exp(Function):
    uses_inputs = False
    uses_outputs = True

    def forward(self, x):
        return get_array_module(x).exp(x)

    def backward(self, gy):
        return gy * self.output()


class Log(Function):
    def forward(self, x):
        return get_array_module(x).log(x)

    def backward(self, gy):
        return gy / self.inputs[0]


class Sqrt(Function):
    uses_inputs = False
    uses_outputs = True

    def forward(self, x):
        return get_array_module(x).sqrt(x)

    def backward(self, gy):
        return gy / (2 * self.output())


class Abs(Function):
    uses_inputs = False

    def forward(self, x):
        self.sign = get_array_module(x).sign(x)
        return abs(x)

    def backward(self, gy):
        return scale(gy, self.sign)


class Clip(Function):
    uses_inputs = False

    def __init__(self, lo: Any, hi: Any) -> None:
        self.lo, self.hi = lo, hi

    def forward(self, x):
        xp = get_array_module(x)
        inside = xp.ones(x.shape, dtype=bool)
        if self.lo is not None:
            inside &= x >= self.lo
        if self.hi is not None:
            inside &= x <= self.hi
        self.mask = inside.astype(x.dtype)
        return xp.clip(x, self.lo, self.hi)

    def backward(self, gy):
        return scale(gy, self.mask)


class Maximum(Function):
    """Element-wise max; at ties each side gets half the gradient."""

    uses_inputs = False

    def __init__(self, sign: float) -> None:
        self.sign = sign  # +1 for maximum, -1 for minimum

    def forward(self, a, b):
        self.shapes = (a.shape, b.shape)
        d = (a - b) * self.sign
        self.wa = (d > 0) + 0.5 * (d == 0)
        self.wa = self.wa.astype(np.result_type(a, b))
        return get_array_module(a).maximum(a, b) if self.sign > 0 else get_array_module(a).minimum(a, b)

    def backward(self, gy):
        na, nb = self.needs_input_grad
        return (sum_to(scale(gy, self.wa), self.shapes[0]) if na else None,
                sum_to(scale(gy, 1 - self.wa), self.shapes[1]) if nb else None)


class Where(Function):
    uses_inputs = False

    def __init__(self, cond: Any) -> None:
        self.cond = cond

    def forward(self, a, b):
        self.shapes = (a.shape, b.shape)
        return get_array_module(a).where(self.cond, a, b)

    def backward(self, gy):
        na, nb = self.needs_input_grad
        c = self.cond.astype(gy.dtype)
        return (sum_to(scale(gy, c), self.shapes[0]) if na else None,
                sum_to(scale(gy, 1 - c), self.shapes[1]) if nb else None)


def add(a: Any, b: Any) -> Tensor:
    return Add()(a, b)


def sub(a: Any, b: Any) -> Tensor:
    return Sub()(a, b)


def mul(a: Any, b: Any) -> Tensor:
    return Mul()(a, b)


def div(a: Any, b: Any) -> Tensor:
    return Div()(a, b)


def neg(x: Tensor) -> Tensor:
    return Neg()(x)


def power(a: Any, b: Any) -> Tensor:
    """a ** b; a constant exponent takes the cheaper PowScalar path."""
    if isinstance(a, Tensor) and isinstance(b, int | float):
        return PowScalar(b)(a)
    if not isinstance(a, Tensor):
        # c ** x = exp(x log c), for a constant base c > 0
        if isinstance(a, int | float) and a > 0:
            return exp(b * float(np.log(a)))
    return Pow()(a, b)


def exp(x: Tensor) -> Tensor:
    return Exp()(x)


def log(x: Tensor) -> Tensor:
    return Log()(x)


def sqrt(x: Tensor) -> Tensor:
    return Sqrt()(x)


def abs(x: Tensor) -> Tensor:  # noqa: A001 - Tensor.__abs__ and mg.abs, as in PyTorch
    return Abs()(x)


def clip(x: Tensor, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
    if min is None and max is None:
        raise ValueError("clip: at least one of min and max must be given")
    return Clip(min, max)(x)


def maximum(a: Any, b: Any) -> Tensor:
    return Maximum(1.0)(a, b)


def minimum(a: Any, b: Any) -> Tensor:
    return Maximum(-1.0)(a, b)


def where(cond: Any, a: Any, b: Any) -> Tensor:
    """Pick a where cond is true, else b; cond is a boolean array or tensor (no gradient)."""
    cond = cond._data if isinstance(cond, Tensor) else cond
    ref = a if isinstance(a, Tensor) else b
    if not isinstance(ref, Tensor):
        raise TypeError("where: at least one of a and b must be a Tensor")
    xp = get_array_module(ref._data)
    return Where(xp.asarray(cond, dtype=bool))(a, b)


def sign(x: Tensor) -> Tensor:
    return Tensor._make(get_array_module(x._data).sign(x._data), False)
