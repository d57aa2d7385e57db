"""Shrinkage and thresholding activations, as PyTorch names them: hardshrink, softshrink,
threshold, celu, rrelu, tanhshrink and softsign.

The piecewise-linear ones (hardshrink, softshrink, threshold, rrelu) are Functions whose
gradient is a `Mask` (a select: 0 where the input was dropped, even for an inf gradient)
or a `Scale` by a slope map, each its own adjoint. celu, tanhshrink and softsign are
compositions of ops, as in PyTorch, so every derivative comes from those.

Scalar arguments are converted to the input's dtype first, with PyTorch's overflow check
(`scalar_as`), so the comparisons at the thresholds are PyTorch's."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import random
from ..autograd import Function, zero_link
from ..backend import get_array_module
from ..tensor import Tensor
from .activation import tanh
from .elementwise import Mask, Scale, clip, keep_bits, where
from .elementwise import abs as absolute
from .pointwise import ExpLinear, exp_branch
from .shape import cast


def scalar_as(value: Any, dtype: Any, op: str, name: str) -> Any:
    """`value` as a NumPy scalar of `dtype`, refused where PyTorch refuses it: a finite float
    beyond the float dtype's range; for an integer dtype a NaN, an infinity or a value out of
    range (a float is then truncated; a negative int wraps into an unsigned dtype)."""
    dt = np.dtype(dtype)
    if isinstance(value, Tensor):
        value = value.item()
    if dt.kind == "f":
        v = float(value)
        top = float(np.finfo(dt).max)
        if math.isfinite(v) and not -top <= v <= top:
            raise RuntimeError(f"{op}: {name}={value} cannot be converted to {dt} without overflow")
        return dt.type(v)
    info = np.iinfo(dt)
    if isinstance(value, int | np.integer):
        v = int(value)
        wraps = info.min == 0 and v < 0 and -v <= info.max
        if v > info.max or (v < info.min and not wraps):
            raise RuntimeError(f"{op}: {name}={value} cannot be converted to {dt} without overflow")
        return dt.type(v % (info.max + 1) if wraps else v)
    v = float(value)
    if not info.min <= v <= info.max:  # NaN fails both comparisons
        raise RuntimeError(f"{op}: {name}={value} cannot be converted to {dt} without overflow")
    return dt.type(math.trunc(v))


def _floating(x: Tensor, op: str) -> None:
    """PyTorch's kernels of these ops exist for floating dtypes only."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected a Tensor input, got {type(x).__name__}")
    if x.dtype.kind != "f":
        raise NotImplementedError(f"{op}: not implemented for {x.dtype} tensors (as in PyTorch)")


class Hardshrink(Function):
    """x where |x| > lambd (NaN included), else 0. The gradient passes where x is kept."""

    uses_inputs = False
    op_name = "hardshrink"

    def __init__(self, lambd: Any) -> None:
        self.lambd = lambd  # a scalar of the input's dtype

    def forward(self, x):
        drop = (x >= -self.lambd) & (x <= self.lambd)
        self.bits = keep_bits(drop, x.dtype, invert=True)
        return get_array_module(x).where(drop, x.dtype.type(0), x)

    def backward(self, gy):
        return zero_link(Mask(self.bits)(gy), self)


class Softshrink(Function):
    """x - lambd above lambd, x + lambd below -lambd, +0.0 between (PyTorch's vectorised
    CPU body; its scalar tail gives -0.0 for a negative x), NaN kept. The gradient passes
    outside [-lambd, lambd] and at NaN."""

    uses_inputs = False
    op_name = "softshrink"

    def __init__(self, lambd: Any) -> None:
        self.lambd = lambd

    def forward(self, x):
        xp = get_array_module(x)
        lo, hi = -self.lambd, self.lambd
        self.bits = keep_bits((x >= lo) & (x <= hi), x.dtype, invert=True)
        y = xp.where(x > hi, x - hi, xp.where(x < lo, x + hi, x.dtype.type(0)))
        return xp.where(xp.isnan(x), x, y)

    def backward(self, gy):
        return zero_link(Mask(self.bits)(gy), self)


class Threshold(Function):
    """x where x > threshold (NaN included), else value; the gradient passes where x is
    kept. Integer tensors too (outside the graph), as PyTorch's."""

    uses_inputs = False
    op_name = "threshold"

    def __init__(self, threshold: Any, value: Any) -> None:
        self.threshold, self.value = threshold, value

    def forward(self, x):
        drop = x <= self.threshold
        self.bits = keep_bits(drop, x.dtype, invert=True) if x.dtype.kind == "f" else None
        return get_array_module(x).where(drop, self.value, x)

    def backward(self, gy):
        return zero_link(Mask(self.bits)(gy), self)


class RReLU(Function):
    """x times a slope map `c`: 1 where x is kept, else its slope. The gradient is a
    `Scale` by the same map (PyTorch's noise * grad), its own adjoint."""

    uses_inputs = False
    op_name = "rrelu"

    def __init__(self, slopes: Any, training: bool) -> None:
        self.slopes, self.training = slopes, training

    def forward(self, x):
        xp = get_array_module(x)
        one = x.dtype.type(1)
        if self.training:  # drawn slopes; kept unless x <= 0 (NaN kept: PyTorch's noise 1)
            self.c = xp.where(x <= 0, self.slopes.astype(x.dtype), one)
        else:  # one slope; kept where x > 0 (NaN takes the slope: PyTorch's leaky_relu)
            self.c = xp.where(x > 0, one, x.dtype.type(self.slopes))
        return x * self.c  # inf * 0 for a zero slope: NaN, as PyTorch's

    def backward(self, gy):
        return zero_link(Scale(self.c)(gy), self)


# ---------------------------------------------------------------------- wrappers
def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x where x < -lambd or x > lambd, else 0 (lambd may be negative: then nothing is
    zeroed)."""
    _floating(input, "hardshrink")
    return Hardshrink(scalar_as(lambd, input.dtype, "hardshrink", "lambd"))(input)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x - lambd where x > lambd, x + lambd where x < -lambd, else 0; lambd in
    [0, the dtype's largest finite value], as PyTorch requires."""
    _floating(input, "softshrink")
    top = float(np.finfo(input.dtype).max)
    v = float(lambd.item() if isinstance(lambd, Tensor) else lambd)
    if not 0 <= v <= top:  # NaN fails too
        raise RuntimeError(
            f"softshrink: lambda must be in range [0, {top:g}] for input dtype {input.dtype}, "
            f"but found {lambd}"
        )
    return Softshrink(scalar_as(v, input.dtype, "softshrink", "lambd"))(input)


def threshold(input: Tensor, threshold: float, value: float) -> Tensor:
    """x where x > threshold, else value. Integer tensors take both scalars truncated to
    their dtype; bool tensors are refused, as in PyTorch."""
    x = input
    if not isinstance(x, Tensor):
        raise TypeError(f"threshold: expected a Tensor input, got {type(x).__name__}")
    if x.dtype.kind not in "fiu":
        raise NotImplementedError(f"threshold: not implemented for {x.dtype} tensors")
    th = scalar_as(threshold, x.dtype, "threshold", "threshold")
    return Threshold(th, scalar_as(value, x.dtype, "threshold", "value"))(x)


def celu(input: Tensor, alpha: float = 1.0) -> Tensor:
    """max(0, x) + min(0, alpha (exp(x / alpha) - 1)); alpha must not be 0. The slope at 0
    is 1 and the second derivative there 0, as PyTorch's. The exponential branch sees
    min(x, 0), so a large positive x cannot overflow it into a NaN gradient."""
    x = input
    _floating(x, "celu")
    a = float(alpha.item() if isinstance(alpha, Tensor) else alpha)
    if a == 0:
        raise RuntimeError("celu: ZeroDivisionError: alpha cannot be 0 for CELU")
    scalar_as(a, x.dtype, "celu", "alpha")  # PyTorch's overflow check
    # x * (1 / alpha), as PyTorch's kernel (its input_scale), not x / alpha
    if x.dtype == np.float16:  # worked in float32 and rounded once, as PyTorch's
        return cast(celu(cast(x, np.float32), alpha), np.float16)
    if ExpLinear.handles(x):  # one node: the composite below, its bits
        return ExpLinear(1.0 / a, a, None, None)(x)
    neg = exp_branch(clip(x, None, 0.0) * (1.0 / a)) * a
    return where(x._data < 0, neg, x)


def rrelu(
    input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False
) -> Tensor:
    """Randomized leaky ReLU: x where x > 0, else x times a slope drawn uniformly from
    [lower, upper] per element in training (from minigrad's global generator, so
    `manual_seed` repeats it), (lower + upper) / 2 in eval."""
    x = input
    _floating(x, "rrelu")
    lo, hi = float(lower), float(upper)
    for name, v in (("lower", lo), ("upper", hi)):
        if not math.isfinite(v):
            raise RuntimeError(f"rrelu: {name} bound must be finite, got {v}")
    if lo > hi:
        raise RuntimeError(
            f"rrelu: Lower bound should be less than or equal to the upper bound, got "
            f"lower={lower}, upper={upper}"
        )
    if training and x.dtype == np.float16:
        raise NotImplementedError("rrelu: training mode is not implemented for float16 tensors")
    if not training:
        return RReLU((lo + hi) / 2, False)(x)
    # drawn in float64 and rounded to x's dtype, as PyTorch's uniform_real_distribution<double>
    return RReLU(random.uniform(lo, hi, x.shape, np.float64, x.device), True)(x)


def tanhshrink(input: Tensor) -> Tensor:
    """x - tanh(x); integer input gives the default float, as PyTorch's."""
    x = input
    if x.dtype == np.bool_:
        raise RuntimeError("tanhshrink: subtraction with a bool tensor is not supported")
    return x - tanh(x)


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|); integer input gives the default float, and inf gives NaN (inf / inf), as in
    PyTorch."""
    x = input
    if x.dtype == np.bool_:
        raise NotImplementedError("softsign: abs is not implemented for bool tensors")
    return x / (absolute(x) + 1)  # inf / inf: NaN, as PyTorch's


__all__ = [
    "celu",
    "hardshrink",
    "rrelu",
    "scalar_as",
    "softshrink",
    "softsign",
    "tanhshrink",
    "threshold",
]
