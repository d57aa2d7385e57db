"""Element-wise arithmetic. Binary ops broadcast; their backward reduces each gradient back
to its input's shape with `sum_to`."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Function
from ..backend import DEFAULT_DTYPE, get_array_module
from ..tensor import Tensor, _to_array
from .reduce import sum_to
from .shape import cast

_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}
_SCALAR_DTYPE = {
    0: np.dtype(np.bool_),
    1: np.dtype(np.int64),
    2: np.dtype(DEFAULT_DTYPE),
    3: np.dtype(np.complex64),
}


def result_dtype(*operands: Any) -> np.dtype:
    """PyTorch's type promotion. The highest category (bool < int < float < complex) among
    all operands wins; within it, tensors with dims decide over 0-d tensors and arrays,
    which decide over Python/NumPy scalars (those give bool, int64, float32, complex64).
    So float32 (N,) with a float64 0-d tensor stays float32, int64 * 2.5 is float32."""
    ranked = []  # (category, rank, dtype); rank 2: has dims, 1: 0-d, 0: scalar
    for v in operands:
        if isinstance(v, Tensor):
            dt, rank = v._data.dtype, 2 if v._data.ndim else 1
        elif isinstance(v, bool | int | float | complex | np.generic):
            dt = np.asarray(v).dtype
            ranked.append((_CATEGORY[dt.kind], 0, _SCALAR_DTYPE[_CATEGORY[dt.kind]]))
            continue
        else:
            a = _to_array(v)
            dt, rank = a.dtype, 2 if a.ndim else 1
        ranked.append((_CATEGORY[dt.kind], rank, dt))
    top = max(c for c, _, _ in ranked)
    best = max(r for c, r, _ in ranked if c == top)
    return np.result_type(*[dt for c, r, dt in ranked if c == top and r == best])


def promote(a: Any, b: Any) -> tuple[Tensor, Tensor]:
    """Both operands as tensors of `result_dtype(a, b)` on the tensor operand's device;
    tensors are cast differentiably, so each gradient comes back in its input's dtype."""
    dt = result_dtype(a, b)
    ref = a if isinstance(a, Tensor) else b
    xp = get_array_module(ref._data)

    def conv(v: Any) -> Tensor:
        if isinstance(v, Tensor):
            return cast(v, dt)
        return Tensor._make(xp.asarray(_to_array(v, dt, ref.device)), False)

    return conv(a), conv(b)


def _same(a: Any, b: Any) -> bool:
    """The fast path, no promotion needed: two tensors of one dtype, or a float tensor and a
    Python int or float (`Function.apply` gives the number the tensor's dtype)."""
    if isinstance(a, Tensor):
        if isinstance(b, Tensor):
            return a._data.dtype == b._data.dtype
        return type(b) in _NUMBERS and a._data.dtype.kind == "f"
    return type(a) in _NUMBERS and isinstance(b, Tensor) and b._data.dtype.kind == "f"


_NUMBERS = (float, int)


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
        return (
            sum_to(gy, self.shapes[0]) if na else None,
            sum_to(gy, self.shapes[1]) if nb else None,
        )


class Sub(Function):
    uses_inputs = False

    def forward(self, a, b):
        self.shapes = (a.shape, b.shape)
        return a - b

    def backward(self, gy):
        na, nb = self.needs_input_grad
        return (
            sum_to(gy, self.shapes[0]) if na else None,
            sum_to(-gy, self.shapes[1]) if nb else None,
        )


class Mul(Function):
    def forward(self, a, b):
        return a * b

    def backward(self, gy):
        a, b = self.inputs
        na, nb = self.needs_input_grad
        return (sum_to(gy * b, a.shape) if na else None, sum_to(gy * a, b.shape) if nb else None)


class Div(Function):
    def forward(self, a, b):
        return a / b

    def backward(self, gy):
        a, b = self.inputs
        na, nb = self.needs_input_grad
        ga = gy / b
        return (sum_to(ga, a.shape) if na else None, sum_to(-ga * a / b, b.shape) if nb else None)


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
        if self.c == 0:
            return gy * 0.0
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
        xp = get_array_module(x)
        self.sign = xp.sign(x)
        return xp.abs(x)  # not `abs`: this module's abs() is the op wrapper

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
        return (
            get_array_module(a).maximum(a, b)
            if self.sign > 0
            else get_array_module(a).minimum(a, b)
        )

    def backward(self, gy):
        na, nb = self.needs_input_grad
        return (
            sum_to(scale(gy, self.wa), self.shapes[0]) if na else None,
            sum_to(scale(gy, 1 - self.wa), self.shapes[1]) if nb else None,
        )


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
        return (
            sum_to(scale(gy, c), self.shapes[0]) if na else None,
            sum_to(scale(gy, 1 - c), self.shapes[1]) if nb else None,
        )


def add(a: Any, b: Any) -> Tensor:
    if not _same(a, b):
        a, b = promote(a, b)
    return Add()(a, b)


def sub(a: Any, b: Any) -> Tensor:
    if not _same(a, b):
        a, b = promote(a, b)
    return Sub()(a, b)


def mul(a: Any, b: Any) -> Tensor:
    if not _same(a, b):
        a, b = promote(a, b)
    return Mul()(a, b)


def div(a: Any, b: Any) -> Tensor:
    """True division; integer operands give the default float dtype, as in PyTorch."""
    if not _same(a, b):
        a, b = promote(a, b)
    if isinstance(a, Tensor) and a._data.dtype.kind in "biu":
        a, b = cast(a, DEFAULT_DTYPE), cast(b, DEFAULT_DTYPE)
    return Div()(a, b)


def neg(x: Tensor) -> Tensor:
    return Neg()(x)


def power(a: Any, b: Any) -> Tensor:
    """a ** b; a constant exponent takes the cheaper PowScalar path."""
    if isinstance(a, Tensor) and isinstance(b, int | float) and not isinstance(b, bool):
        if isinstance(b, float) and a.dtype.kind in "biu":
            a = cast(a, DEFAULT_DTYPE)
        return PowScalar(b)(a)
    if not isinstance(a, Tensor) and isinstance(a, int | float) and a > 0:
        if b.dtype.kind in "fc":
            # c ** x = exp(x log c), for a constant base c > 0
            return exp(b * float(np.log(a)))
    if not _same(a, b):
        a, b = promote(a, b)
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
    """Clamp to [min, max]. Tensor bounds broadcast and get gradients, as in PyTorch."""
    if min is None and max is None:
        raise ValueError("clip: at least one of min and max must be given")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        y = x if min is None else maximum(x, min)
        return y if max is None else minimum(y, max)
    return Clip(min, max)(x)


def maximum(a: Any, b: Any) -> Tensor:
    if not _same(a, b):
        a, b = promote(a, b)
    return Maximum(1.0)(a, b)


def minimum(a: Any, b: Any) -> Tensor:
    if not _same(a, b):
        a, b = promote(a, b)
    return Maximum(-1.0)(a, b)


def where(cond: Any, a: Any, b: Any) -> Tensor:
    """Pick a where cond is true, else b; cond is a boolean array or tensor (no gradient)."""
    cond = cond._data if isinstance(cond, Tensor) else cond
    ref = a if isinstance(a, Tensor) else b
    if not isinstance(ref, Tensor):
        raise TypeError("where: at least one of a and b must be a Tensor")
    xp = get_array_module(ref._data)
    if not _same(a, b):
        a, b = promote(a, b)
    return Where(xp.asarray(cond, dtype=bool))(a, b)


def sign(x: Tensor) -> Tensor:
    return Tensor._make(get_array_module(x._data).sign(x._data), False)
