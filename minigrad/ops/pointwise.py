"""More element-wise ops, as PyTorch names them: rounding (floor, ceil, round, trunc,
sign: piecewise constant, zero gradient), square, rsqrt, log1p, expm1, lerp, hardtanh,
the logical ops and isclose / allclose / equal (bool results outside the graph)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Function, is_grad_enabled, zero_link
from ..backend import default_float, get_array_module
from ..errors import ShapeError, ValueRangeError
from ..tensor import Tensor, _to_array
from . import activation
from .elementwise import (
    Mask,
    clip,
    dense_gradient,
    exp,
    keep_bits,
    log,
    numpy_float,
    ordered,
    power,
    result_dtype,
    to_float,
    where,
    where_arrays,
)
from .reduce import reduce_dims, reduce_sum, sum_to
from .shape import cast


class Rounding(Function):
    """A piecewise-constant op (floor, ceil, round, trunc, sign): its gradient is zero
    everywhere, as PyTorch defines it, and so are all higher ones."""

    uses_inputs = False

    def __init__(self, name: str, decimals: int = 0) -> None:
        self.op_name, self.decimals = name, decimals

    def forward(self, x):
        xp = get_array_module(x)
        if self.op_name == "sign":
            if x.dtype.kind == "b":
                return x.copy()
            # (x > 0) - (x < 0): 0 at NaN, as PyTorch (NumPy's sign gives NaN)
            return (x > 0).astype(x.dtype) - (x < 0).astype(x.dtype)
        if x.dtype.kind in "biu":
            return x.copy()  # integers are already whole (PyTorch returns a copy)
        if self.op_name == "round" and self.decimals:
            if x.dtype == np.float16:  # x * 10^d in float32, rounded once, as PyTorch's:
                return xp.round(x.astype(np.float32), self.decimals).astype(x.dtype)
            return xp.round(x, self.decimals)  # in float16 2041 * 100 was inf
        return getattr(xp, {"round": "rint"}.get(self.op_name, self.op_name))(x)

    def backward(self, gy):
        xp = get_array_module(gy._data)
        return Tensor._make(xp.zeros_like(gy._data), False)


def _rounding(x: Tensor, name: str, decimals: int = 0) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}: expected a Tensor, got {type(x).__name__}")
    if x.dtype.kind == "c" and name != "sign":  # NumPy rounds each part
        raise NotImplementedError(f"{name} is not supported for complex tensors ({x.dtype})")
    if x.dtype.kind == "b" and name in ("floor", "ceil", "trunc", "fix", "round"):
        kernel = "trunc" if name == "fix" else name
        raise NotImplementedError(f"\"{kernel}_vml_cpu\" not implemented for 'Bool' ({name})")
    return Rounding(name, decimals)(x)


def floor(x: Tensor) -> Tensor:
    return _rounding(x, "floor")


def ceil(x: Tensor) -> Tensor:
    return _rounding(x, "ceil")


def trunc(x: Tensor) -> Tensor:
    return _rounding(x, "trunc")


def round(x: Tensor, decimals: int = 0) -> Tensor:  # noqa: A001 - PyTorch's name
    """Round half to even (as PyTorch); `decimals` rounds to that many decimal places."""
    if isinstance(decimals, bool) or not isinstance(decimals, int | np.integer):
        raise TypeError(f"round(): argument 'decimals' must be int, not {type(decimals).__name__}")
    if x.dtype.kind in "biu" and decimals:
        raise RuntimeError(f"round: decimals={decimals} is not supported for {x.dtype} tensors")
    return _rounding(x, "round", int(decimals))


def sign(x: Tensor) -> Tensor:
    """-1, 0 or +1 (0 at NaN, as in PyTorch); bool stays bool. Zero gradient. Complex
    input raises, as PyTorch's (`sgn` gives z / |z|)."""
    if isinstance(x, Tensor) and x.dtype.kind == "c":
        raise NotImplementedError(
            "sign: unlike NumPy's, sign is not intended to support complex numbers (as "
            f"PyTorch's; got {x.dtype}). Please use sgn instead."
        )
    return _rounding(x, "sign")


def sigmoid(input: Tensor) -> Tensor:  # noqa: A002
    """1 / (1 + exp(-x)); complex input gives the complex sigmoid, as PyTorch's."""
    if input.dtype.kind == "c":
        return 1 / (1 + exp(-input))
    return activation.sigmoid(input)


def logsumexp(x: Tensor, dim: Any, keepdim: bool = False) -> Tensor:
    """log(sum(exp(x))) over `dim` (required, as PyTorch's; a tuple of dims too), stably.
    For complex x, as PyTorch's: the largest real part m is taken out, log(sum(exp(x - m)))
    + m, so the imaginary part is that of the principal log of the shifted sum."""
    if x.dtype.kind != "c":
        return activation.logsumexp(x, dim, keepdim)
    dims = reduce_dims(dim, x.ndim, "logsumexp")
    if x.numel() == 0:
        return log(reduce_sum(exp(x), dims, keepdim))
    xp = get_array_module(x._data)
    m = x._data.real.max(axis=dims, keepdims=True)
    m = xp.where(xp.abs(m) == xp.inf, 0, m)
    kept = m if keepdim else m.reshape(reduce_sum(x, dims, False).shape)
    total = reduce_sum(exp(x - Tensor._make(m, False)), dims, keepdim)
    return log(total) + Tensor._make(kept, False)


def square(x: Tensor) -> Tensor:
    """x * x; bool gives int64, as in PyTorch."""
    return power(x, 2)


class Rsqrt(Function):
    uses_inputs = False
    uses_outputs = True

    def forward(self, x):
        xp = get_array_module(x)
        w = x.astype(xp.float32) if x.dtype == xp.float16 else x  # half: rounded once
        with np.errstate(divide="ignore", invalid="ignore"):  # 0 -> inf, < 0 -> NaN
            return (1 / xp.sqrt(w)).astype(x.dtype, copy=False)

    def backward(self, gy):
        y = self.output()
        return (gy * -0.5) * y**3  # PyTorch's order of operations: its last bits too


def rsqrt(x: Tensor) -> Tensor:
    return Rsqrt()(to_float(x))


def complex_log1p(z: Any) -> Any:
    """log(1 + z) of a complex array by PyTorch's CPU formula (Kahan's): with u = 1 + z,
    log(u) * z / (u - 1), which keeps the real part of a small z (NumPy's log(1 + z) loses
    it: log1p(1e-9+2e-9j) in complex64 came out as 2e-9j)."""
    xp = get_array_module(z)
    one = z.dtype.type(1)
    with np.errstate(all="ignore"):
        u = z + one
        d = u - one
        log_u = xp.log(u)
        return xp.where(u == one, z, xp.where(d == z, log_u, log_u * (z / d)))


class Log1p(Function):
    def forward(self, x):
        if x.dtype.kind == "c":
            return complex_log1p(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return get_array_module(x).log1p(x)

    def backward(self, gy):
        return gy / (self.inputs[0] + 1)


def log1p(x: Tensor) -> Tensor:
    return Log1p()(to_float(x))


class Expm1(Function):
    uses_inputs = False
    uses_outputs = True

    def forward(self, x):
        with np.errstate(over="ignore"):
            if x.dtype == np.float32 and isinstance(x, np.ndarray):
                # in float64, rounded once: NumPy's float32 expm1 is an ulp off at places
                # (expm1(1) = 1.7182817 for 1.7182819); PyTorch's vector kernels give either,
                # by CPU
                return np.expm1(x.astype(np.float64)).astype(np.float32)
            return get_array_module(x).expm1(x)

    def backward(self, gy):
        return gy * (self.output() + 1)


def expm1(x: Tensor) -> Tensor:
    return Expm1()(to_float(x))


class ExpBranch(Expm1):
    """exp(x) - 1 as the negative branch of elu, selu and celu: its gradient is exp(x)
    itself, as PyTorch's elu_backward computes it. Expm1's gradient, its output + 1,
    cancels where x is far below 0 (zero below about -17 in float32, where exp(x) is 4e-8)."""

    uses_inputs = True
    uses_outputs = False

    def forward(self, x):  # in x's dtype: the fused elu/selu/celu kernels' bits
        with np.errstate(over="ignore"):
            return get_array_module(x).expm1(x)

    def backward(self, gy):
        return gy * exp(self.inputs[0])


def exp_branch(x: Tensor) -> Tensor:
    """expm1(x) with the gradient exp(x) (see ExpBranch)."""
    return ExpBranch()(to_float(x))


class ExpLinear(Function):
    """The ELU family in one node: y = neg_scale expm1(in_scale min(x, 0)) where x < 0,
    zero_scale x where x = 0, pos_scale x elsewhere (NaN included); a None scale is no
    product at all. elu is (None, alpha, alpha, None), selu (None, alpha scale, alpha
    scale, scale), celu (1 / alpha, alpha, None, None). The forward makes the NumPy calls
    of the composite of ops that elu, selu and celu are built from where this node does
    not serve (clip, expm1, the products, two wheres), and the first-order backward its
    nodes' calls (ExpBranch's exp of its input, the masks, the products), so both give its
    bits; a recorded backward makes the same steps with ops (the same first derivatives,
    bit for bit). For NumPy float32 and float64 arrays (`handles`)."""

    def __init__(self, in_scale: Any, neg_scale: Any, zero_scale: Any, pos_scale: Any) -> None:
        self.scales = in_scale, neg_scale, zero_scale, pos_scale

    @staticmethod
    def handles(x: Tensor) -> bool:
        return numpy_float(x._data)

    def _exp_input(self, x: Any) -> Any:
        """The exponential's input: the composite's clip and product."""
        t, in_scale = x.dtype.type, self.scales[0]
        c = np.clip(x, None, 0.0)
        return c if in_scale is None else c * t(in_scale)

    def forward(self, x):
        t, (_, neg_scale, zero_scale, pos_scale) = x.dtype.type, self.scales
        with np.errstate(over="ignore"):
            neg = np.expm1(self._exp_input(x))
        if neg_scale is not None:
            neg = neg * t(neg_scale)
        pos = x if pos_scale is None else x * t(pos_scale)
        if zero_scale is not None:
            pos = where_arrays(x == 0, x * t(zero_scale), pos)
        return where_arrays(x < 0, neg, pos)

    def backward(self, gy):
        x = self.inputs[0]
        in_scale, neg_scale, zero_scale, pos_scale = self.scales
        if not is_grad_enabled():
            return Tensor._make(self._backward_arrays(gy._data, x._data), False)
        # the same steps as _backward_arrays, with ops (first order: the same bits)
        a = x._data
        below = a < 0
        g = where(below, gy, 0.0)
        if neg_scale is not None:
            g = g * neg_scale
        c = clip(x, None, 0.0)
        g = g * exp(c if in_scale is None else c * in_scale)
        if in_scale is not None:
            g = g * in_scale
        g = where(a <= 0.0, g, 0.0)
        gp = where(below, 0.0, gy)
        if zero_scale is None:
            return g + (gp if pos_scale is None else gp * pos_scale)
        at_zero = a == 0
        gz = where(at_zero, gp, 0.0) * zero_scale
        rest = where(at_zero, 0.0, gp)
        return g + gz + (rest if pos_scale is None else rest * pos_scale)

    def _backward_arrays(self, gy: Any, x: Any) -> Any:
        t = x.dtype.type
        in_scale, neg_scale, zero_scale, pos_scale = self.scales
        zero = t(0)
        gy = dense_gradient(gy, x)
        below = x < 0
        # the exponential branch: where's mask, the scale, ExpBranch's exp of its input,
        # the input's scale, then clip's mask (x <= 0)
        g = where_arrays(below, gy, zero)
        if neg_scale is not None:
            g = g * t(neg_scale)
        with np.errstate(over="ignore"):
            g = g * np.exp(self._exp_input(x))
        if in_scale is not None:
            g = g * t(in_scale)
        g = where_arrays(x <= 0.0, g, zero)
        # the other branch: where's other mask, then the zero's where and its products
        gp = where_arrays(below, zero, gy)
        if zero_scale is None:
            return g + (gp if pos_scale is None else gp * t(pos_scale))
        at_zero = x == 0
        gz = where_arrays(at_zero, gp, zero) * t(zero_scale)
        rest = where_arrays(at_zero, zero, gp)
        return g + gz + (rest if pos_scale is None else rest * t(pos_scale))


def lerp(start: Tensor, end: Any, weight: Any) -> Tensor:
    """start + weight * (end - start), with PyTorch's two formulas (the one from `end` for
    |weight| >= 0.5), so the values match to the bit. start and end share one float
    dtype, as PyTorch requires."""
    if not isinstance(start, Tensor):
        raise TypeError(f"lerp: expected a Tensor input, got {type(start).__name__}")
    end_dt = end.dtype if isinstance(end, Tensor) else _to_array(end).dtype
    if start.dtype.kind not in "fc" or end_dt != start.dtype:
        # PyTorch: NotImplementedError for integer inputs, RuntimeError for mixed floats
        raise (NotImplementedError if start.dtype.kind not in "fc" else RuntimeError)(
            f"lerp: expected start and end of one floating-point dtype, got {start.dtype} "
            f"and {end_dt}"
        )
    if not isinstance(end, Tensor):
        end = Tensor._make(_to_array(end, start.dtype, start.device), False)
    if isinstance(weight, Tensor) and weight.dtype != start.dtype:
        if weight.ndim:  # PyTorch takes a 0-d weight of another dtype as a number
            raise RuntimeError(f"lerp: expected weight of dtype {start.dtype}, got {weight.dtype}")
        weight = cast(weight, start.dtype)
    if start.dtype == np.float16:  # worked in float32 and rounded once, as PyTorch's kernel
        w32 = cast(weight, np.float32) if isinstance(weight, Tensor) else weight
        return cast(lerp(cast(start, np.float32), cast(end, np.float32), w32), np.float16)
    if isinstance(weight, Tensor):
        return Lerp(None)(start, end, weight)
    return Lerp(float(weight))(start, end)


class Lerp(Function):
    """start + weight * (end - start), computed from `end` where |weight| >= 0.5, as
    PyTorch's kernel (so the values match to the bit), with PyTorch's gradients: gy * (1 -
    weight), gy * weight and gy * (end - start). Differentiating the two branches instead
    gave NaN (0 * inf) where a weight or an end is infinite. A number weight is `w`."""

    def __init__(self, w: float | None) -> None:
        self.w = w

    def forward(self, start, end, weight=None):
        xp = get_array_module(start)
        w = self.w if weight is None else weight
        diff = end - start
        if weight is None:
            return start + w * diff if abs(w) < 0.5 else end - diff * (1 - w)
        return xp.where(xp.abs(w) < 0.5, start + w * diff, end - diff * (1 - w))

    def inputs_read(self, needs):
        if len(needs) == 2:  # a number weight: no input value is read
            return False, False
        ends = needs[2]  # the weight's gradient reads end - start
        return ends, ends, needs[0] or needs[1]

    def backward(self, gy):
        start, end, *weight = self.inputs  # weight: [the weight tensor], or []; None if unread
        w = weight[0] if weight else self.w
        need = self.needs_input_grad
        (start_shape, _), (end_shape, _), *_ = self._in_meta
        grads = [
            sum_to(gy * (1 - w), start_shape) if need[0] else None,
            sum_to(gy * w, end_shape) if need[1] else None,
        ]
        if weight:
            grads.append(sum_to(gy * (end - start), w.shape) if need[2] else None)
        return tuple(grads)


class Hardtanh(Function):
    """clamp(x, lo, hi) with PyTorch's hardtanh gradient: 0 at and beyond the bounds (clamp
    passes it at the bounds), gy elsewhere, NaN included."""

    uses_inputs = False
    op_name = "hardtanh"

    def __init__(self, lo: float, hi: float) -> None:
        self.lo, self.hi = lo, hi

    def forward(self, x):
        xp = get_array_module(x)
        self.bits = keep_bits((x <= self.lo) | (x >= self.hi), x.dtype, invert=True)
        return xp.clip(x, self.lo, self.hi)

    def backward(self, gy):
        return zero_link(Mask(self.bits)(gy), self)


def hardtanh(x: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    # NumPy scalars are numbers, as PyTorch takes them (a float32 x stays float32)
    min_val, max_val = (v.item() if isinstance(v, np.generic) else v for v in (min_val, max_val))
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val {min_val} must not exceed max_val {max_val}")
    ordered(x.dtype, "hardtanh")
    if x.dtype.kind == "b":
        raise RuntimeError("hardtanh: bool inputs are not supported (as in PyTorch)")
    if x.dtype.kind in "iu":
        # PyTorch truncates the bounds to the integer dtype: hardtanh(ints, -0.5, 1.5)
        # clamps to [0, 1]; an integer tensor has no gradient
        info = np.iinfo(x.dtype)
        if info.min == 0 and (int(min_val) < 0 or int(max_val) < 0):  # truncated first
            raise RuntimeError(
                f"hardtanh: cannot clamp an unsigned {x.dtype} tensor to negative limits "
                f"({min_val}, {max_val}), as in PyTorch"
            )
        lo = min(max(int(min_val), info.min), info.max)
        hi = min(max(int(max_val), info.min), info.max)
        xp = get_array_module(x._data)
        return Tensor._make(xp.clip(x._data, lo, hi).astype(x.dtype), False)
    return Hardtanh(min_val, max_val)(x)


# ---------------------------------------------------------------------- logical
def _array(v: Any, like: Any = None) -> Any:
    if isinstance(v, Tensor):
        return v._data
    if like is not None:
        return get_array_module(like).asarray(_to_array(v))
    return _to_array(v)


def _bool(arr: Any) -> Tensor:
    return Tensor._make(get_array_module(arr).asarray(arr, dtype=np.bool_), False)


def logical_not(x: Tensor) -> Tensor:
    """True where x is zero (NaN counts as nonzero), a bool tensor."""
    a = _array(x)
    return _bool(get_array_module(a).logical_not(a))


def _logical(name: str, a: Any, b: Any) -> Tensor:
    x = _array(a)
    y = _array(b, x)
    xp = get_array_module(x)
    try:
        return _bool(getattr(xp, name)(x, y))
    except ValueError:
        raise RuntimeError(
            f"{name}: shapes {tuple(np.shape(x))} and {tuple(np.shape(y))} do not broadcast"
        ) from None


def logical_and(a: Tensor, b: Any) -> Tensor:
    return _logical("logical_and", a, b)


def logical_or(a: Tensor, b: Any) -> Tensor:
    return _logical("logical_or", a, b)


def logical_xor(a: Tensor, b: Any) -> Tensor:
    return _logical("logical_xor", a, b)


def isclose(
    a: Tensor, b: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
) -> Tensor:
    """|a - b| <= atol + rtol * |b| (or a == b), a bool tensor. As in PyTorch, a and b must
    share one dtype."""
    for name, tol in (("rtol", rtol), ("atol", atol)):
        if not tol >= 0:  # NaN too
            raise ValueRangeError(
                f"isclose: {name} must be greater than or equal to zero, but got {tol}"
            )
    x, y = _array(a), _array(b, _array(a))
    if x.dtype != y.dtype:
        raise RuntimeError(f"isclose: expected a and b of one dtype, got {x.dtype} and {y.dtype}")
    try:
        np.broadcast_shapes(x.shape, y.shape)
    except ValueError:
        raise ShapeError(
            f"isclose: the shapes {tuple(x.shape)} and {tuple(y.shape)} do not broadcast"
        ) from None
    xp = get_array_module(x)
    with np.errstate(invalid="ignore", over="ignore"):
        if x.dtype.kind == "b":  # as numbers in the default dtype, PyTorch's (atol=1: all close)
            x, y = x.astype(default_float()), y.astype(default_float())
        elif x.dtype.kind in "iu":
            x, y = x.astype(np.float64), y.astype(np.float64)
        close = x == y
        diff = xp.abs(x - y)
        close |= xp.isfinite(diff) & (diff <= atol + rtol * xp.abs(y))
        if equal_nan:
            close |= xp.isnan(x) & xp.isnan(y)
    return _bool(close)


def allclose(
    a: Tensor, b: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
) -> bool:
    return bool(isclose(a, b, rtol, atol, equal_nan)._data.all())


def equal(a: Tensor, b: Tensor) -> bool:
    """True when a and b have one shape and equal elements (NaN is never equal)."""
    x, y = _array(a), _array(b)
    if tuple(x.shape) != tuple(y.shape):
        return False
    dt = result_dtype(a, b)
    return bool(get_array_module(x).array_equal(x.astype(dt), y.astype(dt)))


__all__ = [
    "allclose",
    "ceil",
    "equal",
    "expm1",
    "floor",
    "hardtanh",
    "isclose",
    "lerp",
    "log1p",
    "logical_and",
    "logical_not",
    "logical_or",
    "logical_xor",
    "round",
    "rsqrt",
    "sign",
    "square",
    "trunc",
]
