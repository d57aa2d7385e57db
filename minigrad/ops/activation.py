"""Activations and the softmax family.

ReLU and LeakyReLU run as compiled loops on NumPy arrays where Numba is present
(cpu_kernels.py, one pass each, the same bits as the NumPy code below)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import threads
from ..autograd import Function, _second_backward_error, is_grad_enabled, zero_link
from ..backend import get_array_module
from ..tensor import Tensor, _type_name
from . import cpu_kernels, cuda_kernels
from .elementwise import _UINT, Mask, Scale, exp, to_float, where
from .reduce import (
    _keep_shape,
    array_sum,
    normalize_dim,
    ordered,
    reduce_dims,
    reduce_sum,
    sum_to,
)
from .search import torch_name
from .shape import cast


class ReLU(Function):
    """max(x, 0). The gradient is gy where x > 0 or x is NaN, else 0 even where gy is inf or
    NaN (PyTorch's threshold_backward)."""

    uses_inputs = False

    def forward(self, x):
        if cpu_kernels.handles(x) and cpu_kernels.same_layout(x):
            y, self.drop = cpu_kernels.relu_forward(x)
            return y
        xp = get_array_module(x)
        zero = x.dtype.type(0)
        # both in x's memory order: a convolution's output is batch-minor (N varies
        # fastest), and a C-ordered mask made this a strided walk (4x slower)
        y, self.drop = xp.empty_like(x), xp.empty_like(x, dtype=np.bool_)

        def kernel(x: Any, y: Any, drop: Any) -> None:
            xp.less_equal(x, zero, out=drop)  # one byte per value until the backward
            # maximum, not x * mask (-inf * 0 is NaN), against zeros in y: NumPy's maximum
            # with a scalar zero takes an unvectorised path, 2.6x slower on (512, 128).
            # The zeros are written block by block (blocked=True), so that maximum finds
            # them, and x, in the cache
            y.fill(zero)
            xp.maximum(x, y, out=y)

        threads.elementwise(kernel, x, y, self.drop, blocked=True)
        return y

    def backward(self, gy):
        if is_grad_enabled() or gy.ndim == 0:  # recorded (or a 0-d scalar): the node
            return zero_link(Mask(_keep_bits(self.drop, gy._data))(gy), self, every_order=True)
        # first order: the select in place, into a gradient array of its own (not a view
        # of the bits, which a leaf's .grad would have to copy)
        g = _in_layout_of(gy._data, self.drop)
        if g is not None:
            return Tensor._make(cpu_kernels.relu_backward(self.drop, g), False)
        xp = get_array_module(gy._data)
        out = xp.empty_like(gy._data)
        bits = out.view(_UINT[out.itemsize])

        def kernel(drop: Any, g: Any, bits: Any) -> None:  # two passes, block by block
            _keep_bits(drop, g, bits)
            xp.bitwise_and(g, bits, out=bits)

        threads.elementwise(kernel, self.drop, gy._data.view(bits.dtype), bits, blocked=True)
        return Tensor._make(out, False)


def _in_layout_of(g: Any, saved: Any) -> Any:
    """Gradient `g` in the memory order of the mask `saved`, for a compiled one-pass
    kernel over both: g itself where it is in that order, a compiled copy where the two
    differ and one is C-ordered, the other batch-minor; else None (NumPy's loops then
    take both as they are). In the DCGAN step, G's ReLU after its first batch norm
    (C-ordered, as the Linear before it) gets a batch-minor gradient from the transposed
    conv after it: its backward on (64, 128, 7, 7) took 723 us (median in the step) on
    NumPy's strided loops, 425 with the copy and the one-pass kernel; D's last LeakyReLU,
    435 against 284 (its gradient now comes back batch-minor from the Linear: 143)."""
    if not (cpu_kernels.handles(g) and type(saved) is np.ndarray):
        return None
    if cpu_kernels.same_layout(saved, g):
        return g
    copy = cpu_kernels.relayout(g, saved)
    return copy if copy is not None and cpu_kernels.same_layout(saved, copy) else None


def _keep_bits(drop: Any, like: Any, out: Any = None) -> Any:
    """All-ones words of `like`'s width where `drop` (bool) is False, zeros where True, in
    `like`'s memory order (the select that follows then runs in one order; a 1-byte mask
    read across orders costs less than a 4-byte pass): one pass (False - 1 wraps around
    to all ones), into `out` when given."""
    xp = get_array_module(drop)
    bits = xp.empty_like(like, dtype=_UINT[like.dtype.itemsize]) if out is None else out
    return xp.subtract(drop.view(np.uint8), 1, out=bits, dtype=bits.dtype)


class LeakyReLU(Function):
    """max(x, 0) + slope * min(x, 0). The gradient multiplies by a fixed slope map (1 or
    `slope`), so it is a `Scale` node (`LeakyReLUGrad`) whose backward is itself."""

    uses_inputs = False
    shared = False  # whether a recorded LeakyReLUGrad holds the slope map too

    def __init__(self, slope: float) -> None:
        self.slope = slope

    def forward(self, x):
        if cuda_kernels.handles(x):
            y, self.slopes = cuda_kernels.leaky_relu_forward(x, self.slope)
            return y
        if cpu_kernels.handles(x) and cpu_kernels.same_layout(x):
            y, self.slopes = cpu_kernels.leaky_relu_forward(x, self.slope)
            return y
        # mask * (1 - slope) + slope: three cheap passes; np.where with scalar branches
        # takes a slow broadcasting path (about 8x slower on a 64x128x14x14 input)
        xp = get_array_module(x)
        a, b = x.dtype.type(1 - self.slope), x.dtype.type(self.slope)
        if a + b != 1:  # a slope so large (or inf) that 1 - slope + slope is not 1 here
            one = x.dtype.type(1)
            self.slopes = xp.where(x > 0, one, b).astype(x.dtype, copy=False)
            with np.errstate(invalid="ignore", over="ignore"):  # 0 * inf: NaN, as PyTorch
                return x * self.slopes
        y, self.slopes = xp.empty_like(x), xp.empty_like(x)

        def kernel(x: Any, y: Any, slopes: Any) -> None:
            xp.greater(x, 0, out=slopes)
            slopes *= a
            slopes += b
            xp.multiply(x, slopes, out=y)

        threads.elementwise(kernel, x, y, self.slopes, blocked=True)
        return y

    def backward(self, gy):
        slopes = self.slopes
        if slopes is None:  # consumed by a last backward that then failed further on
            raise _second_backward_error(type(self).__name__)
        if is_grad_enabled():
            # recorded: the LeakyReLUGrad node keeps the map for a double backward, and a
            # later walk (R1's or WGAN-GP's penalty, backed through with the loss) reads it
            # after this node's last use: never write into it from now on
            self.shared = True
        g = gy._data
        if (
            self.shared
            or not self.last_use  # retain_graph: the map is read again
            or not isinstance(g, np.ndarray)
            or g.shape != slopes.shape
            or g.dtype != slopes.dtype
        ):
            return zero_link(LeakyReLUGrad(slopes)(gy), self)
        # the last use of the slope map: the gradient goes into it, in place (no new
        # array, and no pass of memory reads that writing a fresh one costs)
        self.slopes = None
        same = _in_layout_of(g, slopes)
        if same is not None:
            return Tensor._make(cpu_kernels.scale_(same, slopes), False)
        threads.elementwise(lambda g, c: np.multiply(g, c, out=c), g, slopes)
        return Tensor._make(slopes, False)


class LeakyReLUGrad(Scale):
    """`Scale` by LeakyReLU's slope map, its own adjoint; on CuPy a hand-written kernel."""

    def forward(self, gy):
        if cuda_kernels.handles(gy, self.c):
            return cuda_kernels.leaky_relu_backward(gy, self.c)
        return super().forward(gy)

    def backward(self, ggx):
        return LeakyReLUGrad(self.c)(ggx)


class PReLU(Function):
    """x where x > 0, else w * x, for a weight w that broadcasts against x.

    Recorded (create_graph=True), the gradients are PyTorch's: both are tied to their
    inputs by zero links (d(grad_x)/dx and d(grad_w)/dw are 0), and their own derivatives
    take x = 0 as positive (PyTorch's double backward masks with x >= 0), while their
    values at x = 0 stay the first-order ones (gy * w and gy * x)."""

    def forward(self, x, w):
        xp = get_array_module(x)
        self.pos = x > 0
        return xp.where(self.pos, x, w * x)

    def inputs_read(self, needs):
        nx, nw = needs
        # x for the weight's gradient, and for x's own when recorded (its mask is x >= 0);
        # w for x's
        return nx or nw, nx

    def backward(self, gy):
        x, w = self.inputs
        nx, nw = self.needs_input_grad
        if not is_grad_enabled():  # first order only: the forward's mask
            gx = where(self.pos, gy, gy * w) if nx else None
            gw = sum_to(where(self.pos, 0.0, gy * x), self._in_meta[1][0]) if nw else None
            return gx, gw
        xp = get_array_module(x._data)
        nonneg = x._data >= 0
        zero = nonneg & ~self.pos
        zero = zero if bool(zero.any()) else None
        gx = gw = None
        if nx:
            gx = where(nonneg, gy, gy * w)
            if zero is not None:  # the value at 0 is gy * w; its derivatives stay x >= 0's
                gx._data = xp.where(zero, (gy._data * w._data).astype(gx.dtype), gx._data)
            gx = zero_link(gx, self, 0)
        if nw:
            terms = where(nonneg, 0.0, gy * x)
            if zero is not None:  # gy * 0: NaN for an infinite gy, as PyTorch's
                terms._data = xp.where(zero, (gy._data * x._data).astype(terms.dtype), terms._data)
            gw = zero_link(sum_to(terms, self._in_meta[1][0]), self, 1)
        return gx, gw


class Sigmoid(Function):
    uses_inputs = False
    uses_outputs = True

    def forward(self, x):
        return _sigmoid(x)

    def backward(self, gy):
        y = self.output()
        return gy * (1 - y) * y  # PyTorch's order of operations: its last bits too


class Tanh(Function):
    """tanh(x); the gradient is gy (1 - y^2), from the saved output."""

    uses_inputs = False
    uses_outputs = True

    def forward(self, x):
        if type(x) is np.ndarray and x.dtype.itemsize < 8:
            # NumPy's float32 tanh is an ulp off in a third of its values and stops short
            # of 1 (0.99999994 up to |x| = 10, where the correctly rounded value is 1 from
            # 9.01, so 1 - y*y, the gradient, stays nonzero); in float64 and rounded once it
            # is correctly rounded, as PyTorch's nearly always is. Dense float32: one
            # compiled SIMD pass (cpu_kernels.tanh), the same bits as NumPy's float64
            # tanh rounded to float32 for every float32 value (tested over all 2^32)
            if cpu_kernels.float32_pass_handles(x):
                return cpu_kernels.tanh(x)
            return np.tanh(x, dtype=np.float64).astype(x.dtype)
        return get_array_module(x).tanh(x)

    def backward(self, gy):
        g, y = gy._data, self._saved_outputs[0]
        if not is_grad_enabled() and type(g) is type(y) is np.ndarray and g.dtype == y.dtype:
            # first order: the same three steps on arrays, into one new array (in one
            # compiled pass where g is, or is copied into, y's layout, as ReLU's backward)
            same = _in_layout_of(g, y)
            if same is not None:
                return Tensor._make(cpu_kernels.tanh_backward(y, same), False)
            half = y.dtype == _FLOAT16  # float32 steps, rounded once, as PyTorch's kernel
            w = y.astype(np.float32) if half else y
            out = np.multiply(w, w, out=np.empty_like(w))  # (0-d too: an array, no scalar)
            np.subtract(1, out, out=out)
            np.multiply(g, out, out=out)
            return Tensor._make(out.astype(y.dtype) if half else out, False)
        y = self.output()
        if y.dtype == _FLOAT16:  # worked in float32 and rounded once, as above
            y32 = cast(y, np.float32)
            return cast(cast(gy, np.float32) * (1 - y32 * y32), np.float16)
        return gy * (1 - y * y)


def _worked_in(x: Any, xp: Any) -> Any:
    """The dtype sigmoid and softplus work in: float64 on NumPy, rounded once at the end
    (float32 results correctly rounded); on CuPy x's own (float16 in float32), since most
    GPUs run float64 at 1/32 to 1/64 of float32's rate, as PyTorch's CUDA kernels do."""
    if xp is np:
        return np.float64
    return xp.float32 if x.dtype == xp.float16 else x.dtype


def _exp_minus_abs(w: Any, xp: Any) -> Any:
    """exp(-|w|) into a new array of w's dtype (out= throughout: a 0-d w gives an array, not
    a NumPy scalar): sigmoid's and softplus's one exponential, which never overflows."""
    e = xp.empty_like(w)
    xp.abs(w, out=e)
    xp.negative(e, out=e)
    xp.exp(e, out=e)
    return e


def _sigmoid(x: Any) -> Any:
    """1 / (1 + exp(-x)) of an array, from e = exp(-|x|) only: 1 / (1 + e) for x >= 0,
    e / (1 + e) below, so nothing overflows and both tails keep their relative precision.
    Worked in float64 and rounded once to x's dtype (`_worked_in`): float32 comes out
    correctly rounded but where the exact value lies within float64's error of a midpoint
    (3 of the 2^32 float32 values; worked in float32 it was an ulp off in 929 of 2,000
    normal values, times 5). Dense float32 arrays take the same steps in one compiled pass
    (cpu_kernels.sigmoid). The numerator is max(e, x >= 0), not a select: NumPy's `where`
    on a random mask took 5.6 ns a value, its branches mispredicted, where the whole
    sigmoid now takes 2-5 ns."""
    if cpu_kernels.float32_pass_handles(x):  # the same steps in one compiled SIMD pass
        return cpu_kernels.sigmoid(x)
    xp = get_array_module(x)
    w = x.astype(_worked_in(x, xp), copy=False)
    e = _exp_minus_abs(w, xp)
    num = xp.maximum(e, w >= 0)  # 1 where x >= 0 (e <= 1 there), else e; NaN stays NaN
    e += 1
    xp.divide(num, e, out=e)
    return e.astype(x.dtype, copy=False)


def _softplus(x: Any) -> Any:
    """log(1 + exp(x)) of an array as max(x, 0) + log1p(exp(-|x|)): no overflow, exact
    far right (x itself) and far left (exp(x)). Worked in float64 and rounded once to x's
    dtype (`_worked_in`): float32 comes out correctly rounded, where NumPy's float32
    logaddexp(0, x) was an ulp off in 432 of 3,000 values and took 17 ns a value (one at a
    time) against 3-6 here ((64, 256): 95 against 470 us). NaN stays NaN, softplus(-inf) =
    0, softplus(inf) = inf."""
    xp = get_array_module(x)
    w = xp.array(x, dtype=_worked_in(x, xp))  # a copy (written below), an array even of a scalar
    t = _exp_minus_abs(w, xp)
    xp.log1p(t, out=t)
    xp.maximum(w, 0, out=w)
    w += t
    return w.astype(x.dtype, copy=False)


def _reciprocal(beta: float) -> float:
    """1 / beta; for beta 0, +inf (-inf for -0.0): softplus is log(2) / 0 there, inf, as
    PyTorch's (a ZeroDivisionError before)."""
    return 1.0 / beta if beta != 0 else math.copysign(math.inf, beta)


class Softplus(Function):
    """log(1 + exp(beta x)) / beta, computed without overflow, and x itself where
    beta x > threshold (PyTorch's F.softplus; no threshold: the formula everywhere). One
    node, as PyTorch's: the gradient is gy sigmoid(beta x), gy where over the threshold.
    A first-order backward works on the arrays, without a node per step (a GAN's loss
    runs it on every step)."""

    def __init__(self, beta: float = 1.0, threshold: float | None = None) -> None:
        self.beta, self.threshold = beta, threshold

    def forward(self, x):
        xp = get_array_module(x)
        bx = x if self.beta == 1 else x * self.beta
        y = _softplus(bx)
        if self.beta != 1:
            y = y * _reciprocal(self.beta)
        if self.threshold is not None:
            y = xp.where(bx > self.threshold, x, y)
        return y

    def backward(self, gy):
        beta, threshold = self.beta, self.threshold
        x = self.inputs[0]
        if not is_grad_enabled():  # first order: arrays in, one array out
            xa, g = x._data, gy._data
            bx = xa if beta == 1 else xa * beta
            gx = g * _sigmoid(bx)
            if threshold is not None:
                gx = get_array_module(gx).where(bx > threshold, g, gx)
            return Tensor._make(gx, False)
        bx = x if beta == 1 else x * beta
        gx = gy * sigmoid(bx)
        if threshold is None:
            return gx
        return where(bx._data > threshold, gy, gx)


class LogSumExp(Function):
    uses_outputs = True

    def __init__(self, dims: tuple[int, ...] | None, keepdim: bool) -> None:
        self.dims, self.keepdim = dims, keepdim

    def forward(self, x):
        xp = get_array_module(x)
        if x.size == 0:  # an empty sum: log 0 = -inf, as PyTorch's (max has no identity)
            m = xp.zeros(_keep_shape(x.shape, self.dims), dtype=x.dtype)
        else:
            m = x.max(axis=self.dims, keepdims=True)
            m = xp.where(xp.isfinite(m), m, 0)
        y = xp.log(array_sum(xp.exp(x - m), self.dims, True)) + m
        return (
            y
            if self.keepdim
            else y.reshape(
                tuple(
                    n for i, n in enumerate(x.shape) if self.dims is not None and i not in self.dims
                )
            )
        )

    def backward(self, gy):
        (x,) = self.inputs
        y = self.output()
        if not self.keepdim:
            keep = _keep_shape(x.shape, self.dims)
            gy, y = gy.reshape(keep), y.reshape(keep)
        return gy * exp(x - y)


def _no_complex_kernel(op: str, dt: Any) -> None:
    """Refuse a complex input to `op` as PyTorch's CPU kernel does."""
    raise NotImplementedError(
        f"{op}: \"{op}_lastdim_kernel_impl\" not implemented for '{_type_name(dt)}'"
    )


class Softmax(Function):
    uses_inputs = False
    uses_outputs = True

    def __init__(self, dim: int) -> None:
        self.dim = dim

    def forward(self, x):
        xp = get_array_module(x)
        if x.dtype.kind == "c":  # PyTorch has no complex kernel (the result came out complex)
            _no_complex_kernel("softmax", x.dtype)
        if x.shape[self.dim] == 0:  # nothing to normalise (an attention over no keys)
            return xp.empty_like(x)
        w = x.astype(xp.float32) if x.dtype == xp.float16 else x  # rounded once, as PyTorch
        e = xp.exp(w - w.max(axis=self.dim, keepdims=True))
        return (e / array_sum(e, self.dim, True)).astype(x.dtype, copy=False)

    def backward(self, gy):
        y = self.output()
        gx = y * gy
        return gx - y * reduce_sum(gx, self.dim, keepdim=True)


class LogSoftmax(Function):
    uses_inputs = False
    uses_outputs = True

    def __init__(self, dim: int) -> None:
        self.dim = dim

    def forward(self, x):
        xp = get_array_module(x)
        if x.dtype.kind == "c":
            _no_complex_kernel("log_softmax", x.dtype)
        if x.shape[self.dim] == 0:
            return xp.empty_like(x)
        w = x.astype(xp.float32) if x.dtype == xp.float16 else x  # rounded once, as PyTorch
        z = w - w.max(axis=self.dim, keepdims=True)
        return (z - xp.log(array_sum(xp.exp(z), self.dim, True))).astype(x.dtype, copy=False)

    def backward(self, gy):
        y = self.output()
        return gy - exp(y) * reduce_sum(gy, self.dim, keepdim=True)


class HalfLogSoftmax(Function):
    """log_softmax of float16 x as PyTorch's kernels compute it: in float32, rounded to
    float16 once; but along the last dim on the CPU (`last`) its sum of exponentials and
    that sum's log are float16 on the way (a sum past 65504 is inf, each value then -inf).
    The gradient, gy - exp(y) * sum(gy), is worked in float32 from the float16 output y
    and rounded once, as PyTorch's backward kernel (from the float32 y it differed in the
    last bit)."""

    uses_inputs = False
    uses_outputs = True

    def __init__(self, dim: int, last: bool) -> None:
        self.dim, self.last = dim, last

    def forward(self, x):
        xp = get_array_module(x)
        if x.shape[self.dim] == 0:
            return xp.empty_like(x)
        w = x.astype(xp.float32)
        z = w - w.max(axis=self.dim, keepdims=True)
        total = array_sum(xp.exp(z), self.dim, True)
        if self.last:
            with np.errstate(over="ignore"):
                total = total.astype(x.dtype).astype(xp.float32)
            lse = xp.log(total).astype(x.dtype).astype(xp.float32)
        else:
            lse = xp.log(total)
        return (z - lse).astype(x.dtype)

    def backward(self, gy):
        g, y = cast(gy, np.float32), cast(self.output(), np.float32)
        return cast(g - exp(y) * reduce_sum(g, self.dim, keepdim=True), np.float16)


def float_kernel(x: Tensor, kernel: str, real: bool = False) -> None:
    """Refuse an integer or bool x (and with `real`, a complex one) as PyTorch's
    floating-point-only kernel `kernel` does (NotImplementedError with its words:
    "silu_cpu" not implemented for 'Long')."""
    if x.dtype.kind not in ("f" if real else "fc"):
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{torch_name(x.dtype)}'")


def relu(input: Tensor) -> Tensor:
    x = input
    if x.dtype.kind == "b":
        raise RuntimeError("relu: Boolean inputs not supported for relu")
    ordered(x.dtype, "relu")  # max(0, z) has no meaning; NumPy compared real parts
    return ReLU()(x)


_FLOAT16 = np.dtype(np.float16)
_FLOAT32_MAX = float(np.finfo(np.float32).max)


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    dt = x.dtype
    if dt.kind != "f":
        float_kernel(x, "leaky_relu_cpu", real=True)
    # PyTorch's overflow check, in the dtype the kernel works in (float32 for float16 and
    # float32, float64 for float64): a float within float32's range passes for all three
    # (a layer's slope, checked on every call, without a call: 3 of a 14 us (2, 4) call)
    if not (type(negative_slope) is float and -_FLOAT32_MAX <= negative_slope <= _FLOAT32_MAX):
        from .shrink import scalar_as  # shrink imports this module

        work = np.float32 if dt == _FLOAT16 else dt
        scalar_as(negative_slope, work, "leaky_relu", "negative_slope")
    if dt == _FLOAT16:  # worked in float32 and rounded once, as PyTorch's
        return LeakyReLU(negative_slope)(x.float()).half()
    return LeakyReLU(negative_slope)(x)


def sigmoid(input: Tensor) -> Tensor:
    return Sigmoid()(to_float(input))


def tanh(input: Tensor) -> Tensor:
    x = input
    return Tanh()(to_float(x))


def softplus(x: Tensor, beta: float = 1.0, threshold: float | None = None) -> Tensor:
    """log(1 + exp(beta x)) / beta, x itself where beta x > threshold (see Softplus). An
    integer or bool x is computed in the default float (PyTorch has no kernel for them and
    raises; docs/pytorch-differences.md); a complex x is refused, as PyTorch does."""
    if x.dtype.kind == "c":
        float_kernel(x, "softplus_cpu", real=True)
    return Softplus(beta, threshold)(to_float(x))


def log_sigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(x)) = -softplus(-x), stable for large |x|; real floating x only, as
    PyTorch."""
    x = input
    float_kernel(x, "log_sigmoid_cpu", real=True)
    return -softplus(-x)


def _one_dim(dim: Any, x: Tensor, op: str) -> int:
    if dim is None:
        raise TypeError(f"{op}: dim must be given")
    d = normalize_dim(dim, x.ndim, op)
    return d


def softmax(x: Tensor, dim: int = -1) -> Tensor:
    d = _one_dim(dim, x, "softmax")
    if x.ndim == 0:  # a single value: softmax of a (1,) vector, 1 (as PyTorch)
        return softmax(x.reshape(1), 0).reshape(())
    return Softmax(d)(to_float(x))


def log_softmax(x: Tensor, dim: int = -1) -> Tensor:
    d = _one_dim(dim, x, "log_softmax")
    if x.ndim == 0:  # a single value: 0, as PyTorch
        return log_softmax(x.reshape(1), 0).reshape(())
    x = to_float(x)
    if x.dtype == np.float16:
        return HalfLogSoftmax(d, d == x.ndim - 1 and type(x._data) is np.ndarray)(x)
    return LogSoftmax(d)(x)


def logsumexp(x: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    return LogSumExp(reduce_dims(dim, x.ndim, "logsumexp"), keepdim)(to_float(x))
