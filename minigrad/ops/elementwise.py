"""Element-wise arithmetic. Binary ops broadcast; their backward reduces each gradient back
to its input's shape with `sum_to`."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import threads
from ..autograd import Function, is_grad_enabled, zero_link
from ..backend import Array, default_complex, default_float, get_array_module
from ..errors import DtypeError, IntegerDivisionByZero, ShapeError, Unsupported, ValueRangeError
from ..tensor import Tensor, _fill_bounds, _to_array, _type_name, check_fill_scalar
from . import cpu_kernels
from .reduce import ordered, sum_to
from .search import _promoted
from .shape import cast

_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def _scalar_dtype(category: int) -> np.dtype:
    """The dtype a Python/NumPy scalar of a category takes in promotion: bool, int64, the
    default float, the default complex."""
    if category == 2:
        return default_float()
    if category == 3:
        return default_complex()
    return np.dtype(np.bool_) if category == 0 else np.dtype(np.int64)


def result_dtype(*operands: Any) -> np.dtype:
    """PyTorch's type promotion (its ResultTypeState). Operands are promoted within three
    ranks: tensors with dims, 0-d tensors and arrays, and Python/NumPy scalars (those give
    bool, int64, the default float, the default complex). Then a lower rank counts only
    where its category is higher: float32 (N,) with a float64 0-d tensor stays float32,
    int64 * 2.5 is the default float, and a complex operand of a lower rank takes the
    width of a float above it (float64 (N,) * 1j is complex128, float32 (N,) with a
    complex128 0-d tensor complex64)."""
    ranks: list[np.dtype | None] = [None, None, None]  # scalars, 0-d, with dims
    for v in operands:
        if isinstance(v, bool | int | float | complex | np.generic):
            kind = np.asarray(v).dtype.kind
            if kind not in _CATEGORY:
                raise TypeError(f"unsupported operand type for a tensor op: {type(v).__name__}")
            dt, rank = _scalar_dtype(_CATEGORY[kind]), 0
        else:
            if isinstance(v, Tensor):
                a = v._data
            else:
                try:
                    a = _to_array(v)
                except (RuntimeError, ValueError):  # None, a string, a list holding None
                    raise TypeError(
                        f"unsupported operand type for a tensor op: {type(v).__name__} ({v!r:.40})"
                    ) from None
            dt, rank = a.dtype, 2 if a.ndim else 1
        ranks[rank] = dt if ranks[rank] is None else _promoted(ranks[rank], dt)
    wrapped, zero, dims = ranks
    return _combine(dims, _combine(zero, wrapped))


_COMPLEX_OF = {2: np.dtype(np.complex64), 4: np.dtype(np.complex64), 8: np.dtype(np.complex128)}


def _combine(higher: np.dtype | None, lower: np.dtype | None) -> np.dtype:
    """PyTorch's combine_categories: the higher rank's dtype unless the lower rank's
    category is higher (then their promotion; a complex below a float takes the float's
    width)."""
    if higher is None:
        return lower
    if lower is None or higher.kind == "c":
        return higher
    if lower.kind == "c":
        return _COMPLEX_OF[higher.itemsize] if higher.kind == "f" else lower
    if higher.kind == "f":
        return higher
    if higher.kind == "b" or lower.kind == "f":
        return _promoted(higher, lower)
    return higher


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


def promote_float(a: Any, b: Any) -> tuple[Tensor, Tensor]:
    """Both operands of an op with a float result (true division, atan2, xlogy, ...) as
    tensors of one float dtype: `promote`'s, or where the operands' common dtype is an
    integer or bool one, the default float, each operand cast to it directly. Not through the
    common integer dtype, which need not hold the other's values: a 0-d int64 -1 with a
    uint8 tensor is uint8, where -1 becomes 255; a uint8 tensor and the number 256 have
    no common integer dtype at all."""
    if result_dtype(a, b).kind in "biu":
        a = cast(a, default_float()) if isinstance(a, Tensor) else a
        b = cast(b, default_float()) if isinstance(b, Tensor) else b
    return promote(a, b)


def _plain(gy: Tensor, *meta: tuple[Any, Any]) -> bool:
    """Whether a binary op's backward may work on the arrays, no node per step: nothing is
    recorded (a first-order backward), gy is a NumPy array and every input (`_in_meta`'s
    (shape, dtype)) has its shape and dtype, so no broadcast to sum away and no promotion
    (the ops would compute the same values, through a node each)."""
    if is_grad_enabled():
        return False
    g = gy._data
    if type(g) is not np.ndarray:
        return False
    shape, dtype = g.shape, g.dtype
    for s, d in meta:
        if s != shape or d != dtype:
            return False
    return True


def _same(a: Any, b: Any) -> bool:
    """The fast path, no promotion needed: two tensors of one dtype, or a float tensor and a
    Python int or float (`Function.apply` gives the number the tensor's dtype); not for a
    float16 tensor and a number (`_half_and_number`)."""
    if isinstance(a, Tensor):
        if isinstance(b, Tensor):
            return a._data.dtype == b._data.dtype
        return type(b) in _NUMBERS and a._data.dtype.kind == "f" and a._data.itemsize > 2
    return (
        type(a) in _NUMBERS
        and isinstance(b, Tensor)
        and b._data.dtype.kind == "f"
        and b._data.itemsize > 2
    )


def _half_and_number(a: Any, b: Any) -> bool:
    """A float16 tensor and a number (Python's, NumPy's, or a 0-d tensor after an n-d one):
    PyTorch computes `*` and `/` of these in float32 and rounds once, so the number need
    not fit float16 (`h / 1e5`: 1e5 is inf in float16, and the quotient was 0; `h * 1e-8`:
    1e-8 is 0 there). Its `+` and `-` round a Python number to float16 first (`h - 1e5` is
    -inf), and so do minigrad's."""
    t, v = (a, b) if isinstance(a, Tensor) and a._data.dtype == np.float16 else (b, a)
    if not isinstance(t, Tensor) or t._data.dtype != np.float16:
        return False
    if type(v) in _NUMBERS or isinstance(v, np.floating | np.integer):
        return True
    return (  # a 0-d tensor on the right only: on the left PyTorch rounds it to float16
        v is b
        and isinstance(v, Tensor)
        and v.ndim == 0 < t.ndim
        and v._data.dtype.kind in "fiu"
        and v._data.dtype != np.float16
    )


def _half_and_python_number(a: Any, b: Any) -> bool:
    t, v = (a, b) if isinstance(a, Tensor) else (b, a)
    return type(v) in _NUMBERS and isinstance(t, Tensor) and t._data.dtype == np.float16


def _half_tensor_first(a: Any, b: Any) -> bool:
    """A float16 tensor, then a number: PyTorch's floor and rounded divisions work these in
    float32 (`x // 0.1`), while a number first (`0.1 // x`) is rounded to float16 first."""
    return isinstance(a, Tensor) and a._data.dtype == np.float16 and _half_and_number(a, b)


def _in_float32(op: Callable[[Any, Any], Tensor], a: Any, b: Any) -> Tensor:
    """`op(a, b)` for a float16 tensor and a number, worked in float32, rounded to float16."""
    a = cast(a, np.float32) if isinstance(a, Tensor) else a
    b = cast(b, np.float32) if isinstance(b, Tensor) else b
    return cast(op(a, b), np.float16)


_NUMBERS = (float, int)


class Scale(Function):
    """gy * c for a fixed array c (a mask or slope map). Its own adjoint, so every
    piecewise-linear op (relu, leaky_relu, clip, abs, max) gets double backward from it."""

    uses_inputs = False

    def __init__(self, c: Any) -> None:
        self.c = c

    def forward(self, x):
        c = self.c
        if threads.parallel(x, c) and c.shape == x.shape and c.dtype == x.dtype:
            out = np.empty_like(x)
            threads.elementwise(lambda x, c, out: np.multiply(x, c, out=out), x, c, out)
            return out
        return x * c  # broadcasting, promoting, or on one thread

    def backward(self, gy):
        return scale(gy, self.c)


def scale(x: Tensor, c: Any) -> Tensor:
    return Scale(c)(x)


_UINT = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}


def keep_bits(keep: Any, dtype: Any, invert: bool = False) -> Any:
    """A boolean mask (or its negation) as all-ones/all-zeros words of `dtype`'s width
    (64-bit words for complex128's 16 bytes: Mask then selects with where)."""
    xp = get_array_module(keep)
    bits = xp.asarray(keep).astype(_UINT.get(np.dtype(dtype).itemsize, np.uint64))
    if invert:
        bits -= 1  # True -> 0, False -> all ones (unsigned wrap-around)
    else:
        xp.negative(bits, out=bits)
    return bits


class Mask(Function):
    """gy (times an optional weight map c) where the mask holds, +0 elsewhere: the gradient
    gate of relu, clamp, where and max. A select, not a product, so an inf or NaN gradient
    at a dropped element gives 0 as in PyTorch (inf * 0 is NaN). `bits` comes from
    `keep_bits`; the select is a bitwise and, as fast as a product. Its own adjoint."""

    uses_inputs = False

    def __init__(self, bits: Any, c: Any = None) -> None:
        self.bits, self.c = bits, c

    def forward(self, gy):
        xp = get_array_module(gy)
        if self.c is not None:
            with np.errstate(invalid="ignore"):  # inf * 0 at dropped elements: selected away
                gy = gy * self.c
        if self.bits.dtype.itemsize != gy.dtype.itemsize:
            return xp.where(self.bits != 0, gy, gy.dtype.type(0))
        out = xp.bitwise_and(gy.view(self.bits.dtype), self.bits)
        return out.view(gy.dtype)

    def backward(self, ggx):
        return Mask(self.bits, self.c)(ggx)


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
        if nb and _plain(gy, *self._in_meta):  # -gy on the array
            return gy if na else None, Tensor._make(np.negative(gy._data), False)
        return (
            sum_to(gy, self.shapes[0]) if na else None,
            sum_to(-gy, self.shapes[1]) if nb else None,
        )


class Mul(Function):
    def forward(self, a, b):
        return a * b

    def inputs_read(self, needs):
        na, nb = needs
        return nb, na  # a's gradient reads b, b's reads a

    def backward(self, gy):
        a, b = self.inputs  # None where no gradient reads it
        na, nb = self.needs_input_grad
        (sa, _), (sb, _) = self._in_meta
        if _plain(gy, *self._in_meta):  # the same products, on the arrays
            g = gy._data
            return (
                Tensor._make(g * b._data, False) if na else None,
                Tensor._make(g * a._data, False) if nb else None,
            )
        return (sum_to(gy * b, sa) if na else None, sum_to(gy * a, sb) if nb else None)


class Div(Function):
    def forward(self, a, b):
        return a / b

    def inputs_read(self, needs):
        return needs[1], True  # a only for b's gradient

    def backward(self, gy):
        a, b = self.inputs  # a is None when b needs no gradient
        na, nb = self.needs_input_grad
        (sa, _), (sb, _) = self._in_meta
        if _plain(gy, *self._in_meta):  # the same steps, in the same order, on the arrays
            g = gy._data / b._data
            gb = None
            if nb and g.dtype == np.float16:
                gb = _divisor_grad_half(gy._data, a._data, b._data)
            elif nb:
                gb = np.negative(g) * a._data / b._data
            return (
                Tensor._make(g, False) if na else None,
                None if gb is None else Tensor._make(gb, False),
            )
        ga = gy / b
        if not nb:
            return sum_to(ga, sa) if na else None, None
        if gy.dtype == np.float16:  # PyTorch's steps, as `_divisor_grad_half`
            return sum_to(ga, sa) if na else None, sum_to(-gy * (a / b / b), sb)
        return sum_to(ga, sa) if na else None, sum_to(-ga * a / b, sb)


def _divisor_grad_half(gy: Any, a: Any, b: Any) -> Any:
    """d(a / b)/db of float16 arrays in PyTorch's steps, each rounded to float16:
    -gy * ((a / b) / b). (-gy / b) * a / b, the other dtypes' steps, is closer to the exact
    value but differed from PyTorch's by 1-3 units in the last place in 37% of values."""
    q = np.divide(a, b, out=np.empty_like(a))  # (0-d too: an array, no scalar)
    np.divide(q, b, out=q)
    return np.multiply(np.negative(gy), q, out=q)


class Neg(Function):
    uses_inputs = False

    def forward(self, x):
        return -x

    def backward(self, gy):
        if _plain(gy, *self._in_meta):
            return Tensor._make(np.negative(gy._data), False)
        return -gy


class PowScalar(Function):
    """x ** c for a constant exponent c."""

    def __init__(self, c: float) -> None:
        self.c = c

    @property
    def _saved_exponent(self) -> float:  # PyTorch's name for it (grad_fn._saved_exponent)
        return self.c

    def forward(self, x):
        c = self.c
        rsqrt = c == -0.5 and x.dtype.kind == "f" and x.dtype != np.float16
        if x.dtype.kind == "f" and c in (3, -2) or rsqrt:
            # PyTorch's CPU kernel multiplies for 3 and -2 (float16 in float32, rounded
            # once) and takes rsqrt for -0.5 (not in float16): its values bit for bit, where
            # NumPy's pow rounds otherwise, is ~100x slower on negative float32 bases, and
            # gives 0 and inf for (-inf) ** -0.5 and (-0.0) ** -0.5 (rsqrt: NaN and -inf)
            xp = get_array_module(x)
            w = x.astype(xp.float32) if x.dtype == xp.float16 else x
            y = w * w * w if c == 3 else 1 / (w * w) if c == -2 else 1 / xp.sqrt(w)
            return y.astype(x.dtype, copy=False)
        if c == 0.5 and x.dtype == np.float16:
            # PyTorch's float16 kernel takes C's pow here: inf at -inf and +0.0 at -0.0
            # (adding 0 turns sqrt's -0.0 into +0.0)
            xp = get_array_module(x)
            w = x.astype(xp.float32)
            return xp.where(w == -xp.inf, xp.inf, xp.sqrt(w) + 0).astype(x.dtype)
        return x**c

    def backward(self, gy):
        (x,) = self.inputs
        if self.c == 0:  # zero even where gy is inf or NaN, as PyTorch
            return Tensor._make(get_array_module(gy._data).zeros_like(gy._data), False)
        if self.c == 2:
            return gy * (2 * x)
        return gy * (self.c * x ** (self.c - 1))


class Pow(Function):
    """a ** b for two tensors. PyTorch's conventions: the gradient wrt a is 0 where b = 0,
    and the gradient wrt b is 0 where a = 0 and b >= 0 (not 0 * log 0 = NaN)."""

    uses_outputs = True

    def forward(self, a, b):
        if a.dtype.kind in "iu" and b.dtype.kind == "i" and b.size and bool((b < 0).any()):
            return _integer_pow(a, b)
        y = get_array_module(a).asarray(a**b)  # (0-d ** 0-d is a NumPy scalar)
        if b.size == 1 and a.dtype.kind == "f" and b.reshape(-1)[0] == 0.5:
            # NumPy takes sqrt for a broadcast 0.5 (its values agree with PyTorch's to the
            # last bit more often than pow's), but PyTorch's pow gives inf and +0.0 for
            # (-inf) ** 0.5 and (-0.0) ** 0.5, where sqrt gives NaN and -0.0 (+ 0 fixes that)
            xp = get_array_module(y)
            xp.add(y, 0, out=y)
            at = xp.isneginf(a)
            if at.any():
                y[xp.broadcast_to(at, y.shape)] = np.inf
        return y

    def backward(self, gy):
        a, b = self.inputs
        na, nb = self.needs_input_grad
        ga = gb = None
        if na:
            ga = where(b._data == 0, 0.0, gy * b * a ** (b - 1))
            ga = sum_to(ga, a.shape)
        if nb:
            at_zero = (a._data == 0) & (b._data >= 0)
            gb = sum_to(gy * where(at_zero, 0.0, self.output() * log(a)), b.shape)
        return ga, gb


def _integer_pow(a: Array, b: Array) -> Array:
    """Integer a ** b with negative exponents in the tensor b, as PyTorch computes them
    (NumPy refuses): 1 for a = 1, +-1 for a = -1 (by b's parity), 0 for any other a."""
    xp = get_array_module(a, b)
    neg = b < 0
    y = a ** xp.where(neg, 0, b)
    ones = y.dtype.type(1)
    odd = (b % 2) != 0
    at_neg = xp.where(a == 1, ones, xp.where(a == -1, xp.where(odd, -ones, ones), 0))
    return xp.where(neg, at_neg, y).astype(y.dtype, copy=False)


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
    """|x|; the gradient is gy * sign(x), 0 at x = 0 and at NaN, as in PyTorch. The sign
    is made from the saved x when the backward runs (PyTorch's AbsBackward0 saves x too),
    so a forward under no_grad, or one never differentiated, is a single pass: (64, 256)
    float32, 23 us with the sign made up front, when it took four passes."""

    def forward(self, x):
        return get_array_module(x).abs(x)  # not `abs`: this module's abs() is the op wrapper

    def backward(self, gy):
        x = self.inputs[0]._data
        sign = (x > 0).astype(x.dtype)
        sign -= x < 0  # sign, but 0 (not NaN) at NaN
        return zero_link(scale(gy, sign), self)


class Clip(Function):
    uses_inputs = False

    def __init__(self, lo: Any, hi: Any) -> None:
        self.lo, self.hi = lo, hi

    def forward(self, x):
        xp = get_array_module(x)
        # PyTorch passes the gradient where lo <= x <= hi (bounds included), 0 elsewhere
        # (NaN included)
        if self.lo is None:
            inside = x <= self.hi
        else:
            inside = x >= self.lo
            if self.hi is not None:
                inside &= x <= self.hi
        self.bits = keep_bits(inside, x.dtype)
        return xp.clip(x, self.lo, self.hi)

    def backward(self, gy):
        return Mask(self.bits)(gy)


class ClampTensor(Function):
    """clamp with tensor bounds (either may be absent). PyTorch's gradient rule: x gets gy
    where lo <= x <= hi, lo where x < lo (and lo < hi), hi where x > hi (or hi < lo);
    no split at ties."""

    uses_inputs = False

    def __init__(self, has_lo: bool, has_hi: bool) -> None:
        self.has_lo, self.has_hi = has_lo, has_hi

    def forward(self, x, *bounds):
        xp = get_array_module(x)
        lo = bounds[0] if self.has_lo else None
        hi = bounds[-1] if self.has_hi else None
        y = x if lo is None else xp.maximum(x, lo)
        y = y if hi is None else xp.minimum(y, hi)
        if lo is not None and hi is not None:
            keep = [(x >= lo) & (x <= hi), (x < lo) & (lo < hi), (x > hi) | (hi < lo)]
        elif lo is not None:
            keep = [x >= lo, x < lo]
        else:
            keep = [x <= hi, x > hi]
        self.bits = [keep_bits(xp.broadcast_to(k, y.shape), y.dtype) for k in keep]
        self.shapes = [x.shape] + [b.shape for b in bounds]
        return y

    def backward(self, gy):
        return tuple(
            sum_to(Mask(bits)(gy), shape) if need else None
            for bits, shape, need in zip(self.bits, self.shapes, self.needs_input_grad, strict=True)
        )


class Maximum(Function):
    """Element-wise max (sign +1) or min (sign -1). PyTorch's gradient rule: each side gets
    half at ties, 0 where it loses, all of it otherwise (so both at a NaN)."""

    uses_inputs = False

    def __init__(self, sign: float) -> None:
        self.sign = sign  # +1 for maximum, -1 for minimum

    def forward(self, a, b):
        xp = get_array_module(a)
        y = xp.maximum(a, b) if self.sign > 0 else xp.minimum(a, b)
        self.shapes = (a.shape, b.shape)
        if y.dtype.kind not in "fc":  # bool and integer tensors get no gradient
            return y
        a_loses, b_loses = (a < b, a > b) if self.sign > 0 else (a > b, a < b)
        self.half = xp.where(a == b, y.dtype.type(0.5), y.dtype.type(1))
        self.bits = [
            keep_bits(xp.broadcast_to(m, y.shape), y.dtype, invert=True) for m in (a_loses, b_loses)
        ]
        return y

    def backward(self, gy):
        return tuple(
            sum_to(Mask(bits, self.half)(gy), shape) if need else None
            for bits, shape, need in zip(self.bits, self.shapes, self.needs_input_grad, strict=True)
        )


class FloorDivide(Function):
    """floor(a / b), rounding toward -inf. Not differentiable, as in PyTorch."""

    uses_inputs = False
    op_name = "floor_divide"

    def forward(self, a, b):
        return get_array_module(a).floor_divide(a, b)

    def backward(self, gy):
        raise RuntimeError("floor_divide: the derivative is not defined (as in PyTorch)")


def float_remainder(a: Any, b: Any) -> Any:
    """PyTorch's float remainder kernel on arrays: fmod, plus b where a non-zero result's
    sign differs from b's. A zero result keeps fmod's sign (the dividend's), so -4 % 2 is
    -0.0 and 4 % -2 is 0.0 (NumPy's floor-mod gives the divisor's sign)."""
    xp = get_array_module(a)
    with np.errstate(invalid="ignore"):
        m = xp.fmod(a, b)
        return xp.where((m != 0) & ((b < 0) != (m < 0)), m + b, m)


class Remainder(Function):
    """a - b * floor(a / b): the sign of the divisor. d/da = 1, d/db = -floor(a / b)."""

    op_name = "remainder"

    def forward(self, a, b):
        if a.dtype.kind not in "fc":
            return get_array_module(a).remainder(a, b)
        return float_remainder(a, b)

    def backward(self, gy):
        a, b = self.inputs
        na, nb = self.needs_input_grad
        gb = None
        if nb:
            q = get_array_module(a._data).floor_divide(a._data, b._data)
            gb = sum_to(scale(gy, -q), b.shape)
        return sum_to(gy, a.shape) if na else None, gb


def numpy_float(*arrays: Any) -> bool:
    """Whether these are NumPy arrays of one dtype, float32 or float64: what the one-node
    versions of composite ops (layer norm, smooth L1 and Huber, the ELU family) work on."""
    dtype = arrays[0].dtype if arrays and type(arrays[0]) is np.ndarray else None
    if dtype not in (np.float32, np.float64):
        return False
    return all(type(a) is np.ndarray and a.dtype == dtype for a in arrays)


def dense_gradient(g: Any, like: Any) -> Any:
    """A first-order gradient as an array of `like`'s dtype, copied C-ordered where `like`
    is and g is not (a mean's gradient is a broadcast view), so that the compiled selects
    (`where_arrays`) run on it branch-free: 40 us faster each on (64, 256)."""
    g = np.asarray(g, dtype=like.dtype)
    if not g.flags.c_contiguous and like.flags.c_contiguous:
        g = np.ascontiguousarray(g)
    return g


def where_arrays(cond: Any, a: Any, b: Any) -> Any:
    """xp.where(cond, a, b) of arrays (a NumPy scalar is a single value), branch-free where
    cpu_kernels.select serves: 10-20x faster than NumPy's on a mask with no pattern, the
    same bits."""
    if type(cond) is np.ndarray:  # (a CuPy array has no implicit NumPy view)
        a1, b1 = np.asarray(a), np.asarray(b)
        if cpu_kernels.select_handles(cond, a1, b1):
            return cpu_kernels.select(cond, a1, b1)
    return get_array_module(a, b).where(cond, a, b)


class Where(Function):
    uses_inputs = False

    def __init__(self, cond: Any) -> None:
        self.cond = cond

    def forward(self, a, b):
        self.shapes = (a.shape, b.shape)
        return where_arrays(self.cond, a, b)

    def backward(self, gy):
        cond = get_array_module(gy._data).broadcast_to(self.cond, gy.shape)
        bits = (keep_bits(cond, gy.dtype), keep_bits(cond, gy.dtype, invert=True))
        return tuple(
            sum_to(Mask(b)(gy), shape) if need else None
            for b, shape, need in zip(bits, self.shapes, self.needs_input_grad, strict=True)
        )


def check_scalar_fits(op: str, value: Any, dtype: np.dtype) -> None:
    """PyTorch's refusal of a finite float number beyond a float dtype's range where it
    converts a number argument to that dtype (clamp's bounds, where's number, add/sub's
    alpha); the range is the fills' (`tensor._fill_bounds`). Elementwise `+` and `*` take
    such a number as inf, in both libraries."""
    if isinstance(value, float | np.floating) and math.isfinite(value):
        kind, _, high = _fill_bounds(dtype)
        if kind in "fc" and not -high <= value <= high:
            raise ValueRangeError(
                f"{op}: value {value!r} cannot be converted to {dtype} without overflow"
            )


def check_scalar_factor(op: str, name: str, value: Any, dtype: np.dtype) -> None:
    """PyTorch's checks of a Number multiplier (`alpha`, `beta`) against the result dtype:
    a bool one only for a bool result, no float one for an integer or bool result, no
    complex one for a real result."""
    if isinstance(value, Tensor):
        value = value.item()
    if isinstance(value, bool | np.bool_) and dtype.kind != "b":
        raise RuntimeError(
            f"{op}: Boolean {name} only supported for Boolean results (got {name}={value!r} "
            f"for {dtype} tensors)."
        )
    if dtype.kind in "biu" and not isinstance(value, int | np.integer | np.bool_):
        why = f"; its result can't be cast to the tensor's dtype {dtype}" if op[-1] == "_" else ""
        raise RuntimeError(
            f"{op}: For integral input tensors, argument {name} must not be a floating point "
            f"number (got {name}={value!r} for {dtype} tensors{why})."
        )
    if dtype.kind != "c" and isinstance(value, complex | np.complexfloating):
        raise RuntimeError(
            f"{op}: For non-complex input tensors, argument {name} must not be a complex "
            f"number (got {name}={value!r})."
        )


def scaled_other(op: str, a: Any, b: Any, alpha: Any) -> Any:
    """alpha * b for `a + alpha * b`, as PyTorch's add/sub: alpha is checked against the
    result dtype and, for a bool result, read as a bool (so the sum is a logical or)."""
    if type(alpha) is int and alpha == 1:
        return b
    # a float result: none of the checks below can refuse
    float_result = (
        type(alpha) in (int, float) and isinstance(a, Tensor) and a._data.dtype.kind == "f"
    )
    if float_result and (not isinstance(b, Tensor) or b._data.dtype == a._data.dtype):
        check_scalar_fits(op, alpha, a._data.dtype)
        return b * alpha  # the common case: nothing to cast either
    dt = result_dtype(a, b)
    widen = dt.kind in "fci" or (
        dt.kind == "u" and not (isinstance(alpha, int | float) and alpha < 0)
    )
    if isinstance(b, Tensor) and b.dtype != dt and widen and np.can_cast(b.dtype, dt):
        # widened to the result's dtype first, as PyTorch: int8 * 3 wrapped before a float32
        # sum saw it, and bool * 3 made an int32 sum int64 (a narrowing 0-d operand, a 0-d
        # int64 -3 for a uint8 sum, keeps its own dtype: it would not fit; so does any
        # operand of an unsigned sum with a negative alpha, which wraps as PyTorch's)
        b = b.to(dtype=dt)
    if float_result:
        check_scalar_fits(op, alpha, dt)
        return b * alpha
    check_scalar_factor(op, "alpha", alpha, dt)
    if dt.kind == "b":
        return b if alpha else b & False if isinstance(b, Tensor) else False
    return b * alpha


_SUB_BOOLS = (
    "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
    "`logical_xor()` operator instead."
)
_SUB_BOOL = (
    "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying "
    "to invert a mask, use the `~` or `logical_not()` operator instead."
)
_NEG_BOOL = (
    "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to "
    "invert a mask, use the `~` or `logical_not()` operator instead."
)


def _is_bool(v: Any) -> bool:
    if isinstance(v, Tensor):
        return v._data.dtype.kind == "b"
    if type(v) in (int, float):
        return False
    return isinstance(v, bool | np.bool_) or getattr(v, "dtype", None) == np.bool_


def check_sub(a: Any, b: Any) -> None:
    """PyTorch refuses a bool operand (tensor or Python bool) in a subtraction."""
    ba, bb = _is_bool(a), _is_bool(b)
    if ba or bb:
        raise RuntimeError(_SUB_BOOLS if ba and bb else _SUB_BOOL)


# PyTorch's CPU loop for two float16 tensors of one shape takes 32 values a step (two
# vectors of 16) and the last n % 32 one by one, each way rounding differently
_HALF_VECTOR_STEP = 32


class HalfAddAlpha(Function):
    """a + alpha * b for float16 tensors, as PyTorch's kernel: its vector loop rounds alpha
    to float16, works the sum in float32 and rounds once; its scalar loop (the last n % 32
    values of same-shape operands) rounds alpha * b to float16 too, then the sum. The
    gradients are PyTorch's (gy for a, gy * alpha with the unrounded alpha for b)."""

    uses_inputs = False

    def __init__(self, alpha: float) -> None:
        self.alpha = alpha

    def forward(self, a, b):
        self.shapes = (a.shape, b.shape)
        xp = get_array_module(a)
        wa, wb = a.astype(np.float32), b.astype(np.float32)
        alpha = np.float32(np.float16(self.alpha))
        with np.errstate(over="ignore", invalid="ignore"):
            out = (wa + alpha * wb).astype(np.float16)
            tail = a.size % _HALF_VECTOR_STEP if a.shape == b.shape else 0
            if tail:
                flat, fa, fb = out.reshape(-1), wa.reshape(-1)[-tail:], wb.reshape(-1)[-tail:]
                scaled = (fb * alpha).astype(np.float16).astype(np.float32)
                flat[-tail:] = (fa + scaled).astype(np.float16)
        return xp.asarray(out)

    def backward(self, gy):
        na, nb = self.needs_input_grad
        return (
            sum_to(gy, self.shapes[0]) if na else None,
            sum_to(mul(gy, self.alpha), self.shapes[1]) if nb else None,
        )


def _half_with_alpha(a: Any, b: Any, alpha: Any) -> bool:
    """float16 tensors in add/sub with an alpha (HalfAddAlpha): rounding alpha * b to
    float16 first, minigrad's sums differed from PyTorch's in 1094 of 4000 values."""
    return (
        not (type(alpha) is int and alpha == 1)
        and type(alpha) in (int, float)
        and isinstance(a, Tensor)
        and a._data.dtype == np.float16
        and isinstance(b, Tensor)
        and b._data.dtype == np.float16
    )


def add(a: Any, b: Any, *, alpha: Any = 1) -> Tensor:
    """a + alpha * b (PyTorch's `add`)."""
    if _half_with_alpha(a, b, alpha):
        check_scalar_fits("add", alpha, np.dtype(np.float16))
        return HalfAddAlpha(alpha)(a, b)
    b = scaled_other("add", a, b, alpha)
    if not _same(a, b):
        if _half_and_python_number(a, b):  # the number rounded to float16, as PyTorch
            return Add()(a, b)
        a, b = promote(a, b)
    return Add()(a, b)


def sub(a: Any, b: Any, *, alpha: Any = 1) -> Tensor:
    """a - alpha * b (PyTorch's `sub`); a bool operand raises, as PyTorch's."""
    check_sub(a, b)
    if _half_with_alpha(a, b, alpha):
        check_scalar_fits("sub", alpha, np.dtype(np.float16))
        return HalfAddAlpha(-alpha)(a, b)
    b = scaled_other("sub", a, b, alpha)
    if not _same(a, b):
        if _half_and_python_number(a, b):  # the number rounded to float16, as PyTorch
            return Sub()(a, b)
        a, b = promote(a, b)
    return Sub()(a, b)


def mul(a: Any, b: Any) -> Tensor:
    if not _same(a, b):
        if _half_and_number(a, b):
            return _in_float32(mul, a, b)
        a, b = promote(a, b)
    return Mul()(a, b)


def div(a: Any, b: Any) -> Tensor:
    """True division; integer operands give the default float dtype, as in PyTorch."""
    if not _same(a, b):
        if _half_and_number(a, b):
            return _in_float32(div, a, b)
        a, b = promote_float(a, b)
    elif isinstance(a, Tensor) and a._data.dtype.kind in "biu":  # two tensors of one dtype
        a, b = cast(a, default_float()), cast(b, default_float())
    return Div()(a, b)


def neg(x: Tensor) -> Tensor:
    if x._data.dtype.kind == "b":
        raise RuntimeError(_NEG_BOOL)
    return Neg()(x)


def numpy_pow_is_torchs(c: float, dtype: Any) -> bool:
    """Whether NumPy's in-place power by a number c gives the values of `x ** c` (else
    PowScalar computes them its own way, as PyTorch's kernel: 3, -2, -0.5, and 0.5)."""
    kind = np.dtype(dtype).kind
    if kind != "f":
        return kind != "c"  # complex: PowScalar's, whose edge values NumPy's in-place misses
    if not -_HALF_MAX <= c <= _HALF_MAX and dtype == np.float16:
        return False  # `**` refuses it (`_check_half_exponent`), where NumPy's pow does not
    return c not in (3, -2, -0.5, 0.5)


_HALF_MAX = float(np.finfo(np.float16).max)


def _check_half_exponent(c: float) -> None:
    """PyTorch converts a number exponent of a float16 base to float16 and refuses one
    beyond its range (`h ** 1e5`), as it refuses such a fill; NumPy's pow took it and gave
    0, 1 and inf. inf and NaN are exponents float16 holds."""
    if isinstance(c, int) or math.isfinite(c):
        raise ValueRangeError(f"pow: value {c!r} cannot be converted to float16 without overflow")


def power(a: Any, b: Any) -> Tensor:
    """a ** b; a constant exponent takes the cheaper PowScalar path. Two bool operands
    raise NotImplementedError, as PyTorch's, except a bool tensor to a Python bool power
    (False gives all True, True a copy)."""
    if isinstance(a, Tensor) and isinstance(b, bool) and a._data.dtype.kind == "b":
        return a.clone() if b else Tensor._make(get_array_module(a._data).ones_like(a._data), False)
    if _is_bool(a) and _is_bool(b):
        raise NotImplementedError("\"pow\" not implemented for 'Bool' (pow of two bool operands)")
    if isinstance(b, np.generic) and not isinstance(b, np.bool_):
        b = b.item()  # a NumPy scalar is a number, as PyTorch's: x32 ** np.float64(2) is float32
    if isinstance(a, Tensor) and isinstance(b, int | float) and not isinstance(b, bool):
        if a.dtype.kind in "biu" and type(b) is int and b < 0:  # before a cast to uint8 fails
            raise RuntimeError(
                f"Integers to negative integer powers are not allowed ({a.dtype} ** {b})."
            )
        if a.dtype.kind in "biu":  # int ** 0.5 is the default float, bool ** 2 is int64
            a = cast(a, result_dtype(a, b))
        elif not -_HALF_MAX <= b <= _HALF_MAX and a._data.dtype == np.float16:
            _check_half_exponent(b)
        return PowScalar(b)(a)
    # a number to a tensor power (2 ** x) is a power, not exp(x * log 2): that gave
    # 2.0 ** 3.0 = 7.999999999999998 and inf ** 0 = NaN
    if not _same(a, b):
        a, b = promote(a, b)
    return Pow()(a, b)


def to_float(x: Tensor) -> Tensor:
    """x, or for an integer or bool x its cast to the default float: PyTorch's
    rule for float-valued ops (sqrt, exp, mean, softmax...)."""
    try:
        kind = x._data.dtype.kind
    except AttributeError:  # a list or an array: PyTorch's TypeError, not an AttributeError
        raise TypeError(f"expected a Tensor as input, got {type(x).__name__} ({x!r:.40})") from None
    return x if kind in "fc" else cast(x, default_float())


def exp(x: Tensor) -> Tensor:
    return Exp()(to_float(x))


def log(x: Tensor) -> Tensor:
    return Log()(to_float(x))


def sqrt(x: Tensor) -> Tensor:
    return Sqrt()(to_float(x))


def abs(x: Tensor) -> Tensor:  # noqa: A001 - Tensor.__abs__ and mg.abs, as in PyTorch
    if x._data.dtype.kind == "b":
        raise NotImplementedError("\"abs_cpu\" not implemented for 'Bool' (abs of a bool tensor)")
    return Abs()(x)


def check_bounds(op: str, min: Any, max: Any) -> None:  # noqa: A002
    """PyTorch's refusal of a clamp with neither bound."""
    if min is None and max is None:
        raise ValueRangeError(f"{op}: At least one of 'min' or 'max' must not be None")


def clip(x: Tensor, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
    """Clamp to [min, max]. Tensor bounds broadcast and get gradients, as in PyTorch."""
    check_bounds("clamp", min, max)
    ordered(x.dtype, "clamp")
    # NumPy scalars are numbers, as PyTorch takes them (a float32 x stays float32)
    min, max = (b.item() if isinstance(b, np.generic) else b for b in (min, max))  # noqa: A001
    bounds = [b for b in (min, max) if b is not None]
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        dt = result_dtype(x, *bounds)
        if dt.kind == "b":
            check_bool_clamp("clamp", min, max)
        x, *bounds = [_as_dtype(v, dt, x) for v in (x, *bounds)]
        return ClampTensor(min is not None, max is not None)(x, *bounds)
    if x._data.dtype.kind in "biu":  # an int tensor clamped to 0.5 is the default float
        x = cast(x, result_dtype(x, *bounds))
    min, max = clamp_numbers("clamp", x._data.dtype, min, max)  # noqa: A001
    return Clip(min, max)(x)


def check_bool_clamp(op: str, min: Any, max: Any) -> None:  # noqa: A002
    """PyTorch has no bool clamp kernel: a clamp whose result would be bool is refused,
    naming the kernel PyTorch names (`b.clamp(max=True)`). One tensor bound alone is a
    `minimum`/`maximum` there, which bool tensors have."""
    given = [b for b in (min, max) if b is not None]
    if len(given) == 1 and isinstance(given[0], Tensor):
        return
    if all(isinstance(b, Tensor) for b in given):
        kernel = "clamp_cpu"
    else:
        kernel = (
            "clamp_scalar_cpu"
            if len(given) == 2
            else f"clamp_{'max' if min is None else 'min'}_scalar_cpu"
        )
    raise NotImplementedError(
        f"\"{kernel}\" not implemented for 'Bool' ({op} of a bool tensor with bool bounds "
        f"min={min!r}, max={max!r}; clamp its int() or float() instead)"
    )


def clamp_numbers(op: str, dtype: np.dtype, min: Any, max: Any) -> tuple[Any, Any]:  # noqa: A002
    """A clamp's number bounds for a result of `dtype`, as PyTorch converts them: refused
    for bool (no kernel); for an integer dtype, an int is taken as a fill of it takes one
    (uint8's -1 is 255, so `clamp(max=-1)` changes nothing; one beyond PyTorch's range is
    refused); for a float dtype, a finite float beyond the dtype's range is refused."""
    if dtype.kind == "b":
        check_bool_clamp(op, min, max)
    if dtype.kind in "iu":
        return tuple(None if b is None else check_fill_scalar(op, b, dtype) for b in (min, max))
    for bound in (min, max):
        check_scalar_fits(op, bound, dtype)
    return min, max


def _as_dtype(v: Any, dt: np.dtype, like: Tensor) -> Tensor:
    """v as a tensor of dtype dt on `like`'s device (tensors cast differentiably)."""
    if isinstance(v, Tensor):
        return cast(v, dt)
    return Tensor._make(_to_array(v, dt, like.device), False)


def maximum(a: Any, b: Any) -> Tensor:
    if not _same(a, b):
        a, b = promote(a, b)
    ordered(a.dtype, "maximum")
    return Maximum(1.0)(a, b)


def minimum(a: Any, b: Any) -> Tensor:
    if not _same(a, b):
        a, b = promote(a, b)
    ordered(a.dtype, "minimum")
    return Maximum(-1.0)(a, b)


def where(cond: Any, a: Any = None, b: Any = None) -> Any:
    """Pick a where cond is true, else b; cond is a boolean array or tensor (no gradient).
    a and b may be Python scalars; the dtype follows PyTorch's promotion. `where(cond)`
    alone is `nonzero(cond, as_tuple=True)`, as in PyTorch."""
    if a is None and b is None:
        from .indexing import nonzero

        return nonzero(
            cond if isinstance(cond, Tensor) else Tensor._make(_to_array(cond), False),
            as_tuple=True,
        )
    if a is None or b is None:
        raise TypeError("where: give both values, where(cond, a, b), or neither")
    if not (isinstance(a, Tensor) and isinstance(b, Tensor)):
        dt = result_dtype(a, b)
        if dt != np.float16:  # PyTorch's float16 where takes the number as inf
            check_scalar_fits("where", b if isinstance(a, Tensor) else a, dt)
            check_scalar_fits("where", a if isinstance(a, Tensor) else b, dt)
    cond = cond._data if isinstance(cond, Tensor) else cond
    ref = a if isinstance(a, Tensor) else b
    if not isinstance(ref, Tensor):  # two constants: a constant result on cond's device
        xp = get_array_module(cond)
        dt = result_dtype(a, b)
        y = xp.where(xp.asarray(cond, dtype=bool), xp.asarray(a, dt), xp.asarray(b, dt))
        return Tensor._make(y, False)
    xp = get_array_module(ref._data)
    if not _same(a, b):
        a, b = promote(a, b)
    return Where(xp.asarray(cond, dtype=bool))(a, b)


# PyTorch's kernel names in its "not implemented for 'ComplexFloat'" messages
_ROUNDING_KERNELS = {
    "floor_divide": "div_floor_cpu",
    "div(rounding_mode='floor')": "div_floor_cpu",
    "div(rounding_mode='trunc')": "div_trunc_cpu",
}


def _integer_operands(a: Tensor, b: Tensor, op: str) -> None:
    """PyTorch's checks for the rounding divisions and remainders (operands promoted): no
    bool, no complex, no integer division by zero."""
    kind = a._data.dtype.kind
    if kind == "b":  # PyTorch's NotImplementedError (also a TypeError here)
        raise Unsupported(f"{op}: not defined for bool tensors, as in PyTorch")
    if kind == "c":  # (NumPy's TypeError named neither the op nor the dtype)
        kernel = _ROUNDING_KERNELS.get(op, f"{op}_cpu")
        raise Unsupported(f"{op}: \"{kernel}\" not implemented for '{_type_name(a.dtype)}'")
    if a._data.dtype.kind in "iu" and bool((b._data == 0).any()):
        try:
            shape = np.broadcast_shapes(a.shape, b.shape)
        except ValueError:
            raise ShapeError(f"{op}: shapes {a.shape} and {b.shape} do not broadcast") from None
        if 0 not in shape:  # nothing divided: no error
            raise IntegerDivisionByZero(f"{op}: integer division by zero")


def floor_divide(a: Any, b: Any) -> Tensor:
    """a // b rounded toward -inf (PyTorch's floor_divide). Integer division by zero raises
    ZeroDivisionError; float division by zero gives inf or NaN. No gradient."""
    if not _same(a, b) and _half_tensor_first(a, b):  # in float32, as PyTorch (x // 0.1)
        return _in_float32(floor_divide, a, b)
    a, b = promote(a, b)
    _integer_operands(a, b, "floor_divide")
    return FloorDivide()(a, b)


def remainder(a: Any, b: Any) -> Tensor:
    """a % b with the sign of the divisor (PyTorch's remainder, Python's %)."""
    a, b = promote(a, b)
    _integer_operands(a, b, "remainder")
    return Remainder()(a, b)


def sign(x: Tensor) -> Tensor:
    return Tensor._make(get_array_module(x._data).sign(x._data), False)


class Sin(Function):
    def forward(self, x):
        with np.errstate(invalid="ignore"):  # sin(inf) is NaN, as in PyTorch, silently
            return get_array_module(x).sin(x)

    def backward(self, gy):
        return gy * cos(self.inputs[0])


class Cos(Function):
    def forward(self, x):
        with np.errstate(invalid="ignore"):  # cos(inf) is NaN, as in PyTorch, silently
            return get_array_module(x).cos(x)

    def backward(self, gy):
        return gy * -sin(self.inputs[0])


def sin(x: Tensor) -> Tensor:
    return Sin()(to_float(x))


def cos(x: Tensor) -> Tensor:
    return Cos()(to_float(x))


_ERF_TERMS = 40  # enough for both series below to reach float64 rounding (~1e-15)


def erf_array(x: Any) -> Any:
    """erf(x) element-wise, NumPy or CuPy, without SciPy. Computed in float64 and returned in
    x's dtype; absolute error about 1e-15 against `math.erf`. For |x| < 2 the series
    2/sqrt(pi) exp(-x^2) sum 2^n x^(2n+1) / (2n+1)!! (all terms positive, no cancellation);
    above, 1 - erfc(x) with erfc's continued fraction; erf is 1 in float64 beyond 6."""
    if cpu_kernels.handles(x):  # the C library's erf, compiled: 10x faster or more
        return cpu_kernels.erf(x)
    xp = get_array_module(x)
    x64 = x.astype(np.float64)
    a = xp.minimum(xp.abs(x64), 6.0)  # NaN stays NaN
    small = a < 2.0
    s = xp.where(small, a, 0.0)
    s2, term = 2 * s * s, s
    total = s
    for n in range(1, _ERF_TERMS):
        term = term * s2 / (2 * n + 1)
        total = total + term
    series = (2 / np.sqrt(np.pi)) * xp.exp(-s * s) * total
    c = xp.where(small, 2.0, a)
    f = c  # erfc(c) = exp(-c^2) / sqrt(pi) / (c + (1/2) / (c + 1 / (c + (3/2) / (c + ...))))
    for k in range(_ERF_TERMS, 0, -1):
        f = c + (k / 2) / f
    tail = 1 - xp.exp(-c * c) / np.sqrt(np.pi) / f
    return xp.copysign(xp.where(small, series, tail), x64).astype(x.dtype)


class Erf(Function):
    """The error function; d erf(x)/dx = 2/sqrt(pi) exp(-x^2)."""

    def forward(self, x):
        return erf_array(x)

    def backward(self, gy):
        (x,) = self.inputs
        return gy * (exp(-(x * x)) * (2 / np.sqrt(np.pi)))


def real_only(x: Tensor, name: str) -> Tensor:
    """x, refused where complex as PyTorch's kernels refuse it (NumPy's work on the real
    part only: erf(1+2j) gave 0.8427+0j)."""
    if x.dtype.kind == "c":
        raise NotImplementedError(f"\"{name}_cpu\" not implemented for '{_type_name(x.dtype)}'")
    return x


def erf(x: Tensor) -> Tensor:
    return Erf()(to_float(real_only(x, "erf")))


def _trunc_divide(xp: Any, a: Any, b: Any) -> Any:
    """a / b rounded toward zero; integers without a float round trip."""
    if a.dtype.kind == "f":
        return xp.trunc(a / b)
    q = xp.floor_divide(a, b)
    # floor and trunc differ where the division is inexact and the signs differ
    return q + ((xp.remainder(a, b) != 0) & ((a < 0) != (b < 0)))


class RoundedDiv(Function):
    """a / b rounded toward zero ('trunc') or -inf ('floor'). Piecewise constant: its
    gradient is zero, as PyTorch's `div(..., rounding_mode=...)` defines it."""

    uses_inputs = False

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.op_name = f"div(rounding_mode={mode!r})"

    def forward(self, a, b):
        xp = get_array_module(a)
        self.shapes = (a.shape, b.shape)
        with np.errstate(divide="ignore", invalid="ignore"):  # float x / 0: inf or NaN
            if self.mode == "floor":
                return xp.floor_divide(a, b)
            return _trunc_divide(xp, a, b)

    def backward(self, gy):
        xp = get_array_module(gy._data)
        return tuple(
            Tensor._make(xp.zeros(shape, dtype=gy.dtype), False) if need else None
            for shape, need in zip(self.shapes, self.needs_input_grad, strict=True)
        )


_ROUNDING_MODES = (None, "trunc", "floor")


def div_rounded(a: Any, b: Any, rounding_mode: str | None = None) -> Tensor:
    """PyTorch's `div(a, b, rounding_mode=)`: None is true division; 'trunc' and 'floor'
    round the quotient and keep the promoted dtype (integers stay integers)."""
    if rounding_mode not in _ROUNDING_MODES:
        raise ValueRangeError(
            f"div: rounding_mode must be one of {_ROUNDING_MODES}, got {rounding_mode!r}"
        )
    if rounding_mode is None:
        return div(a, b)
    if not _same(a, b) and _half_tensor_first(a, b):  # in float32, as PyTorch
        return _in_float32(lambda x, y: div_rounded(x, y, rounding_mode), a, b)
    a, b = promote(a, b)
    _integer_operands(a, b, f"div(rounding_mode={rounding_mode!r})")
    return RoundedDiv(rounding_mode)(a, b)


def _test(x: Tensor, name: str) -> Tensor:
    xp = get_array_module(x._data)
    return Tensor._make(xp.asarray(getattr(xp, name)(x._data)), False)


def isnan(x: Tensor) -> Tensor:
    """A bool tensor: True where x is NaN (never for integer or bool x)."""
    return _test(x, "isnan")


def isinf(x: Tensor) -> Tensor:
    return _test(x, "isinf")


def isfinite(x: Tensor) -> Tensor:
    return _test(x, "isfinite")


def _real_test(x: Tensor, name: str) -> Tensor:
    """`_test` for the tests PyTorch refuses on complex tensors (NumPy's TypeError named
    neither the op nor the dtype): signbit's NotImplementedError, isposinf's RuntimeError."""
    if x._data.dtype.kind == "c":
        dt = _type_name(x.dtype)
        if name == "signbit":
            raise Unsupported(f"signbit is not implemented for complex tensors (got {dt}).")
        raise DtypeError(f"{name} does not support complex inputs (got {dt}).")
    return _test(x, name)


def isposinf(x: Tensor) -> Tensor:
    return _real_test(x, "isposinf")


def isneginf(x: Tensor) -> Tensor:
    return _real_test(x, "isneginf")


def signbit(x: Tensor) -> Tensor:
    """True where the sign bit is set: negative numbers, -0.0 and NaNs with the bit."""
    return _real_test(x, "signbit")
