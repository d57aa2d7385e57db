"""Pooling and upsampling over NCHW inputs, PyTorch semantics.

Windows are strided slices of the padded input, one per kernel offset, so every loop runs
over at most KH x KW offsets and never over pixels. The pairs of nodes are each other's
adjoints: max pooling gathers at the argmax (`PoolGather`) and its gradient scatters there
(`PoolScatter`); average pooling sums windows (`WindowSum`) and its gradient spreads them
back (`WindowSumT`). Resizing is composed from reshape/broadcast (nearest, integer factors),
a gather per axis (nearest) or one small weight matrix per axis (linear, bicubic, area),
so it needs no node of its own.

On CuPy, the forwards of the pooling nodes are hand-written kernels (cuda_kernels.py); on
NumPy, max pooling of a batch-minor input (a convolution's output) and its gradient are
compiled loops (cpu_kernels.py) with the same results.
"""

from __future__ import annotations

import math
import operator
from typing import Any, NamedTuple

import numpy as np

from .. import threads
from ..autograd import Function, zero_link
from ..backend import Array, get_array_module
from ..errors import ShapeError, Unsupported, ValueRangeError
from ..tensor import Tensor
from . import cpu_kernels, cuda_kernels
from .conv import _pair
from .elementwise import _UINT, scale, where
from .layout import (
    flat_view,
    is_batch_minor,
    is_dense,
    memory_order,
    new_in_order,
    strides_in_elements,
)
from .reduce import broadcast_to
from .shape import cast, fresh, getitem, reshape


class PoolGeometry(NamedTuple):
    """Static settings of a pooling window; pairs are (height, width)."""

    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    in_hw: tuple[int, int]
    out_hw: tuple[int, int]


def _pad(x: Array, g: PoolGeometry, value: float) -> Array:
    """x inside a border of `value`; -inf (max pooling's padding) is the dtype's least
    value for integers, where a cast would give 0 for int8/int16 and let padding win."""
    (ph, pw), (h, w) = g.padding, g.in_hw
    if not (ph or pw):
        return x
    xp = get_array_module(x)
    if value == -math.inf and x.dtype.kind in "iu":
        value = np.iinfo(x.dtype).min
    buf = xp.full(x.shape[:2] + (h + 2 * ph, w + 2 * pw), value, dtype=x.dtype)
    buf[:, :, ph : ph + h, pw : pw + w] = x
    return buf


def _window(i: int, j: int, g: PoolGeometry) -> tuple[slice, ...]:
    """Index of the values at kernel offset (i, j) of every window, in the padded input."""
    (sh, sw), (oh, ow) = g.stride, g.out_hw
    return (
        slice(None),
        slice(None),
        slice(i, i + sh * (oh - 1) + 1, sh),
        slice(j, j + sw * (ow - 1) + 1, sw),
    )


def _padded_zeros(gy: Array, g: PoolGeometry, order: tuple[int, ...] = (0, 1, 2, 3)) -> Array:
    """Zeros of the padded input's shape (N, C, Hp, Wp), its axes in memory in `order` (the
    pooled input's own)."""
    (ph, pw), (h, w) = g.padding, g.in_hw
    shape = gy.shape[:2] + (h + 2 * ph, w + 2 * pw)
    return new_in_order(get_array_module(gy).zeros, shape, order, gy.dtype)


def _crop(buf: Array, g: PoolGeometry) -> Array:
    (ph, pw), (h, w) = g.padding, g.in_hw
    return buf[:, :, ph : ph + h, pw : pw + w]


class MaxPool2d(Function):
    """Window maxima of x `(N, C, H, W)` -> `(N, C, OH, OW)`, as PyTorch: the gradient goes
    to the first maximum of a window, never to padding; a NaN makes the window NaN and its
    last NaN takes the gradient. `idx` is the kernel offset of each window's argmax."""

    uses_inputs = False

    def __init__(self, g: PoolGeometry) -> None:
        self.g = g

    def forward(self, x):
        # the gradient comes back in x's memory order when x is dense, else in C order
        self.order = tuple(memory_order(x)) if is_dense(x) else (0, 1, 2, 3)
        if cuda_kernels.handles(x):
            y, self.idx = cuda_kernels.max_pool_forward(x, self.g)
            return y
        if cpu_kernels.handles(x) and is_batch_minor(x):  # a conv's output, as it comes
            y, self.idx = cpu_kernels.max_pool_forward(x, self.g)
            return y
        if x.dtype == np.bool_:  # (here, off the compiled paths, which take no bool)
            raise NotImplementedError("\"max_pool2d\" not implemented for 'Bool'")
        xpad = _pad(x, self.g, -math.inf)
        parts: dict[int, tuple[Array, Array]] = {}

        def work(lo: int, hi: int) -> None:  # a share of the images per thread
            parts[lo] = _max_pool(xpad[lo:hi], self.g)

        xp = get_array_module(x)
        threads.split(x.shape[0], work, unit=xpad[:1].size, xp=xp)
        shares = [parts[lo] for lo in sorted(parts)]
        if len(shares) == 1:
            y, self.idx = shares[0]
        else:
            y = xp.concatenate([p[0] for p in shares])
            self.idx = xp.concatenate([p[1] for p in shares])
        return y

    def backward(self, gy):
        return zero_link(PoolScatter(self.g, self.idx, self.order)(gy), self)


def _running_max(views: list[Array]) -> tuple[Array, Array]:
    """Elementwise maximum of equal-shape `views` and the index of the first view reaching
    it (uint8), ignoring NaN."""
    xp = get_array_module(views[0])
    if len(views) == 1:
        return views[0].copy(), xp.zeros(views[0].shape, dtype=np.uint8)
    arg = xp.greater(views[1], views[0]).view(np.uint8)
    y = xp.maximum(views[0], views[1])
    for k, v in enumerate(views[2:], 2):
        better = xp.greater(v, y).view(np.uint8)
        xp.maximum(y, v, out=y)
        better *= k  # 0 or k, and k exceeds every earlier index: a maximum selects it
        xp.maximum(arg, better, out=arg)
    return y, arg


def _max_pool(xpad: Array, g: PoolGeometry) -> tuple[Array, Array]:
    """Window maxima of the padded input and their kernel offsets (uint8 up to 256 offsets).

    A window is a (rows x columns) block, so the maximum is taken along each row first
    (column views; where the width is a multiple of the stride NumPy walks them as one flat
    loop), then down the columns: a few passes over the data instead of one strided pass
    per kernel offset. Ties go to the first row holding the maximum, then its first
    column: the first in row-major order. Windows with a NaN, or all -inf beside padding,
    are rare and redone by `_exact_argmax`.
    """
    xp = get_array_module(xpad)
    (kh, kw), (sh, sw), (oh, ow) = g.kernel, g.stride, g.out_hw
    cols = [xpad[..., j : j + sw * (ow - 1) + 1 : sw] for j in range(kw)]
    rowmax, col_arg = _running_max(cols)  # (N, C, Hp, OW)
    row_views = [slice(i, i + sh * (oh - 1) + 1, sh) for i in range(kh)]
    y, row_arg = _running_max([rowmax[:, :, r] for r in row_views])
    if kh * kw > 256:
        row_arg = row_arg.astype(np.int32)
    idx = row_arg * np.uint8(kw) if kw > 1 else row_arg
    if kw > 1:
        for i, r in enumerate(row_views):
            idx += col_arg[:, :, r] * (row_arg == i) if kh > 1 else col_arg[:, :, r]
    if xp.isnan(y).any() or (any(g.padding) and (y == -math.inf).any()):
        idx = _exact_argmax(xpad, y, g, idx.dtype)
    return y, idx


def _exact_argmax(xpad: Array, y: Array, g: PoolGeometry, dtype: Any) -> Array:
    """PyTorch's argmax rule offset by offset: start at the window's first unpadded value,
    move on to a larger value or a NaN."""
    xp = get_array_module(xpad)
    kw = g.kernel[1]
    first = [np.maximum(g.padding[a] - np.arange(g.out_hw[a]) * g.stride[a], 0) for a in (0, 1)]
    idx = xp.empty(y.shape, dtype=dtype)
    idx[...] = xp.asarray(first[0][:, None] * kw + first[1][None, :])
    best = xp.full(y.shape, -math.inf, dtype=y.dtype)
    for k in range(g.kernel[0] * kw):
        v = xpad[_window(k // kw, k % kw, g)]
        with np.errstate(invalid="ignore"):
            better = (v > best) | xp.isnan(v)
        if any(g.padding):
            better &= _unpadded(k, g, xp)
        xp.copyto(best, v, where=better)
        xp.copyto(idx, k, where=better, casting="unsafe")
    return idx


def _unpadded(k: int, g: PoolGeometry, xp: Any) -> Array:
    """`(OH, OW)` map: True where kernel offset k of each window reads the input, not
    padding."""
    inside = []
    for a, off in enumerate(divmod(k, g.kernel[1])):
        pos = np.arange(g.out_hw[a]) * g.stride[a] + off - g.padding[a]
        inside.append((pos >= 0) & (pos < g.in_hw[a]))
    return xp.asarray(np.outer(inside[0], inside[1]))


def _select(v: Array, keep: Array, out: Array | None = None) -> Array:
    """v where `keep` (bool) holds, +0 elsewhere, in one pass: a bitwise and, so an inf or
    NaN in v at a dropped place never leaks out (as it would through v * keep)."""
    xp = get_array_module(v)
    u = _UINT[v.dtype.itemsize]
    bits = xp.negative(keep.view(np.uint8), dtype=u)  # True -> all ones
    r = xp.bitwise_and(v.view(u), bits, out=None if out is None else out.view(u))
    return r.view(v.dtype)


def _argmax_places(idx: Array, steps: tuple[int, ...], first: int, g: PoolGeometry) -> Array:
    """Where, in the memory of a padded buffer (N, C, Hp, Wp) whose axes advance by
    `steps` elements, the value each window's argmax `idx` (N, C, OH, OW) points at lies,
    for images `first`, `first` + 1, ...: the kernel offset's place (a table lookup) plus
    the window's start and the image's and channel's (broadcast adds)."""
    xp = get_array_module(idx)
    n, c, oh, ow = idx.shape
    (kh, kw), (sh, sw) = g.kernel, g.stride
    k = xp.arange(kh * kw)
    offsets = k // kw * steps[2] + k % kw * steps[3]  # each kernel offset in the window
    places = offsets[idx]  # (N, C, OH, OW), intp; indexing beats take() 3x here
    places += (xp.arange(oh) * (sh * steps[2])).reshape(oh, 1) + xp.arange(ow) * (sw * steps[3])
    places += (xp.arange(first, first + n) * steps[0]).reshape(n, 1, 1, 1)
    places += (xp.arange(c) * steps[1]).reshape(c, 1, 1)
    return places


class PoolScatter(Function):
    """Adjoint of `PoolGather`: each gy `(N, C, OH, OW)` goes to its window's kernel offset
    `idx`; overlapping windows add up. -> `(N, C, H, W)`."""

    uses_inputs = False

    def __init__(self, g: PoolGeometry, idx: Array, order: tuple[int, ...] = (0, 1, 2, 3)) -> None:
        self.g, self.idx, self.order = g, idx, order

    def forward(self, gy):
        if cuda_kernels.handles(gy):
            return cuda_kernels.max_pool_backward(gy, self.idx, self.g)
        if cpu_kernels.handles(gy) and is_batch_minor(self.idx) and self.order == (1, 2, 3, 0):
            return cpu_kernels.max_pool_backward(gy, self.idx, self.g)  # batch-minor, as x
        buf = _padded_zeros(gy, self.g, self.order)  # in the pooled input's layout
        order = self.order
        flat = flat_view(buf)  # its memory, as one view
        steps = strides_in_elements(buf)
        kh, kw = self.g.kernel
        # windows that cannot overlap are written straight into the buffer
        apart = all(s >= k for s, k in zip(self.g.stride, self.g.kernel, strict=True))

        def work(lo: int, hi: int) -> None:  # a share of the images per thread
            part, g, idx = buf[lo:hi], gy[lo:hi], self.idx[lo:hi]
            if apart:  # each value lands in a place of its own: one scatter, walked in
                # the buffer's memory order
                places = _argmax_places(idx, steps, lo, self.g)
                flat[places.transpose(order)] = g.transpose(order)
                return
            for k in range(kh * kw):
                part[_window(k // kw, k % kw, self.g)] += _select(g, idx == k)

        threads.split(gy.shape[0], work, unit=buf[:1].size, xp=get_array_module(gy))
        return _crop(buf, self.g)

    def backward(self, ggx):
        return PoolGather(self.g, self.idx)(ggx)


class PoolGather(Function):
    """x `(N, C, H, W)` read at kernel offset `idx` of each window -> `(N, C, OH, OW)`: max
    pooling with its argmax fixed (the gradient of `PoolScatter`)."""

    uses_inputs = False

    def __init__(self, g: PoolGeometry, idx: Array) -> None:
        self.g, self.idx = g, idx

    def forward(self, x):
        if cuda_kernels.handles(x):
            return cuda_kernels.max_pool_gather(x, self.idx, self.g)
        xp = get_array_module(x)
        xpad = _pad(x, self.g, 0.0)
        kh, kw = self.g.kernel
        y = xp.zeros(self.idx.shape, dtype=x.dtype)
        for k in range(kh * kw):
            xp.copyto(y, xpad[_window(k // kw, k % kw, self.g)], where=self.idx == k)
        return y

    def backward(self, gy):
        return PoolScatter(self.g, self.idx)(gy)


class WindowSum(Function):
    """Sum of each window of x `(N, C, H, W)` (zero padding) -> `(N, C, OH, OW)`."""

    uses_inputs = False

    def __init__(self, g: PoolGeometry) -> None:
        self.g = g

    def forward(self, x):
        if cuda_kernels.handles(x):
            return cuda_kernels.window_sum(x, self.g)
        xpad = _pad(x, self.g, 0.0)
        kh, kw = self.g.kernel
        xp = get_array_module(x)
        y = xp.empty(xpad.shape[:2] + self.g.out_hw, dtype=x.dtype)

        def work(lo: int, hi: int) -> None:  # a share of the images per thread
            part, out = xpad[lo:hi], y[lo:hi]
            out[...] = part[_window(0, 0, self.g)]
            for k in range(1, kh * kw):
                out += part[_window(k // kw, k % kw, self.g)]

        threads.split(x.shape[0], work, unit=xpad[:1].size, xp=xp)
        return y

    def backward(self, gy):
        return zero_link(WindowSumT(self.g)(gy), self)


class WindowSumT(Function):
    """Adjoint of `WindowSum`: every gy `(N, C, OH, OW)` is added to each value of its
    window -> `(N, C, H, W)`."""

    uses_inputs = False

    def __init__(self, g: PoolGeometry) -> None:
        self.g = g

    def forward(self, gy):
        if cuda_kernels.handles(gy):
            return cuda_kernels.window_sum_t(gy, self.g)
        buf = _padded_zeros(gy, self.g)
        kh, kw = self.g.kernel

        def work(lo: int, hi: int) -> None:  # a share of the images per thread
            part, g = buf[lo:hi], gy[lo:hi]
            for k in range(kh * kw):
                part[_window(k // kw, k % kw, self.g)] += g

        threads.split(gy.shape[0], work, unit=buf[:1].size, xp=get_array_module(gy))
        return _crop(buf, self.g)

    def backward(self, ggx):
        return WindowSum(self.g)(ggx)


# ---------------------------------------------------------------------- wrappers
def _geometry(op: str, x: Tensor, kernel_size: Any, stride: Any, padding: Any) -> PoolGeometry:
    detail = (
        f"input of shape {x.shape}, kernel_size={kernel_size}, stride={stride}, padding={padding}"
    )
    if x.ndim != 4:
        raise ShapeError(
            f"{op}: expected a 4-d input (N, C, H, W) or an unbatched 3-d one (C, H, W); {detail}"
        )
    k = _pair(kernel_size, "kernel_size", op, 1)
    s = k if stride is None else _pair(stride, "stride", op, 1)
    p = _pair(padding, "padding", op, 0)
    if any(p[a] > k[a] // 2 for a in range(2)):
        raise ValueRangeError(f"{op}: padding should be at most half the kernel size; {detail}")
    in_hw = tuple(x.shape[2:])
    out_hw = tuple((in_hw[a] + 2 * p[a] - k[a]) // s[a] + 1 for a in range(2))
    if min(out_hw) < 1:
        raise ShapeError(f"{op}: the kernel is larger than the padded input; {detail}")
    return PoolGeometry(k, s, p, in_hw, out_hw)  # type: ignore[arg-type]


def max_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0) -> Tensor:
    """Max pooling (padding counts as -inf), as torch.nn.functional.max_pool2d.

    x `(N, C, H, W)` -> `(N, C, OH, OW)`, OH = (H + 2 * padding - KH) // stride + 1; an
    unbatched `(C, H, W)` gives `(C, OH, OW)`.
    """
    x = input
    if x.ndim == 3:
        return max_pool2d(x.unsqueeze(0), kernel_size, stride, padding).squeeze(0)
    return MaxPool2d(_geometry("max_pool2d", x, kernel_size, stride, padding))(x)


def avg_pool2d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    count_include_pad: bool = True,
) -> Tensor:
    """Average pooling, as torch.nn.functional.avg_pool2d: zero padding, divided by the
    window size or, without `count_include_pad`, by the number of unpadded values.

    x `(N, C, H, W)` -> `(N, C, OH, OW)`; an unbatched `(C, H, W)` gives `(C, OH, OW)`.
    """
    x = input
    if x.ndim == 3:
        out = avg_pool2d(x.unsqueeze(0), kernel_size, stride, padding, count_include_pad)
        return out.squeeze(0)
    g = _geometry("avg_pool2d", x, kernel_size, stride, padding)
    if count_include_pad or not any(g.padding):
        count: Any = g.kernel[0] * g.kernel[1]
    else:
        counts = []
        for a in range(2):
            start = np.arange(g.out_hw[a]) * g.stride[a] - g.padding[a]
            end = np.minimum(start + g.kernel[a], g.in_hw[a])
            counts.append(end - np.maximum(start, 0))
        count = np.outer(counts[0], counts[1])
    if x.dtype.char not in "fd":  # (one check on float32's path, as before)
        if x.dtype == np.float16:  # summed in float32 and rounded once, as PyTorch's
            return cast(_window_mean(cast(x, np.float32), g, count), np.float16)
        return integer_mean(WindowSum(g)(x), count, "avg_pool2d")
    return _window_mean(x, g, count)


def _window_mean(x: Tensor, g: PoolGeometry, count: Any) -> Tensor:
    """Each window's sum over its `count` (an int, or an `(OH, OW)` array), in x's dtype."""
    if isinstance(count, int):
        return WindowSum(g)(x) * (1.0 / count)
    xp = get_array_module(x._data)
    return scale(WindowSum(g)(x), xp.asarray(1.0 / count, dtype=x.dtype))


def integer_mean(sums: Tensor, count: Any, op: str) -> Tensor:
    """PyTorch's average pooling of int64: each window's sum divided by its count, the
    fraction dropped (toward zero); other integer dtypes and bool are refused as there."""
    if sums.dtype != np.int64:
        raise NotImplementedError(f'"{op}" not implemented for {sums.dtype}')
    s = sums._data
    xp = get_array_module(s)
    div = xp.asarray(count, dtype=np.int64)
    return Tensor._make(xp.abs(s) // div * xp.sign(s), False)


_LINEAR = {3: "linear", 4: "bilinear", 5: "trilinear"}
_MODES = ("nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear", "area")


def _nearest_index(
    out_n: int, in_n: int, scale_factor: float | None, exact: bool, wide: bool, path: str
) -> np.ndarray:
    """Source position of each output position, computed as PyTorch's CPU forward does:
    from the pixel's start ('nearest') or centre ('nearest-exact'), then floorf, so the
    position is rounded to float32 before the floor.

    PyTorch has two forwards. `path` 'indexed' (4-d outputs whose two sizes add up to at
    most 128) computes the scale in float32, copies equal sizes and halves the index for
    doubled ones in 'nearest' (even where a scale_factor such as 2.1 says otherwise).
    'table' (3-d, 5-d and larger 4-d outputs) precomputes the positions in the input's
    computation type, float64 for a float64 input (`wide`), else float32; its centre is
    max(0, (i + 0.5) * scale - 0.5), rounded once (the compiler fuses a multiply-add),
    plus 0.5."""
    dst = np.arange(out_n)
    if path == "indexed" and not exact and out_n in (in_n, 2 * in_n):
        return dst if out_n == in_n else dst >> 1
    f32 = np.float32
    if wide and path != "indexed":
        ratio = 1.0 / scale_factor if scale_factor else in_n / out_n
    else:
        ratio = f32(1.0 / scale_factor) if scale_factor else f32(in_n) / f32(out_n)
    if not exact:  # f32(i) * f32 ratio is a float32 product: exact in float64, then rounded
        src = (dst * np.float64(ratio)).astype(f32)
    elif path == "indexed":  # (i + 0.5) * ratio in float64, rounded once
        src = ((dst + 0.5) * np.float64(ratio)).astype(f32)
    else:
        # in float64: exact for a float32 ratio, so rounding to float32 fuses as PyTorch's
        centre = (dst + 0.5) * np.float64(ratio) - 0.5
        if not wide:
            centre = centre.astype(f32)
        src = (np.maximum(centre, 0.0).astype(np.float64) + 0.5).astype(f32)
    return np.minimum(np.floor(src).astype(np.int64), in_n - 1)


def _cubic_weights(t: np.ndarray) -> np.ndarray:
    """Keys' cubic convolution weights (A = -0.75, PyTorch's) of the four taps at offsets
    -1, 0, 1, 2 from floor(src), for the fractional parts t, in t's dtype; shape
    (len(t), 4)."""
    one = t.dtype.type(1)
    a = t.dtype.type(-0.75)

    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + one

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    return np.stack([far(t + one), near(t), near(one - t), far(one - t + one)], axis=1)


def _resize_taps(
    out_n: int, in_n: int, scale_factor: float | None, align_corners: bool, mode: str, wide: bool
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray | None]]:
    """The taps of one axis: triples (index, weight, keep), each of length out_n, such that
    output position i is the sum over taps of weight[i] * input[index[i]] (2 taps for
    linear, 4 for cubic, the widest window for area). keep is None, or for area, where a
    window narrower than the widest has a tap to spare, False there: that tap is left out
    rather than weighted 0, so a NaN or inf input reaches only the outputs whose window
    holds it (0 * inf would be NaN), as in PyTorch. Linear and cubic taps of weight 0 are
    kept, as PyTorch's kernels multiply them too; an axis whose size does not change reads
    each position twice, weighted 1 and 0 (PyTorch's 'copy', so an inf becomes NaN).

    Positions and weights are computed as PyTorch's kernels compute them: in float64 for
    a float64 input (`wide`), else in float32, which on large axes moves the result by
    up to about 1e-4 from the exact one; the floor is taken in float32 (floorf)."""
    rows = np.arange(out_n)
    if mode == "area":  # adaptive average pooling: PyTorch's integer window bounds
        start = (rows * in_n) // out_n
        end = -((-(rows + 1) * in_n) // out_n)
        width = end - start
        taps = []
        for k in range(int(width.max())):  # over the window's width, not pixels
            inside = start + k < end
            keep = None if inside.all() else inside
            taps.append((np.minimum(start + k, end - 1), 1.0 / width, keep))
        return taps
    ft = np.float64 if wide else np.float32
    if mode != "bicubic" and out_n == in_n:
        return [(rows, np.ones(out_n, ft), None), (rows, np.zeros(out_n, ft), None)]
    if align_corners:  # (a float32 product is exact in float64, then rounded once)
        ratio = ft(in_n - 1) / ft(out_n - 1) if out_n > 1 else ft(0)
        src = (rows * np.float64(ratio)).astype(ft)
    else:  # (i + 0.5) * ratio - 0.5, rounded once: the compiler fuses a multiply-add
        ratio = ft(1.0 / scale_factor) if scale_factor else ft(in_n) / ft(out_n)
        src = ((rows + 0.5) * np.float64(ratio) - 0.5).astype(ft)
    if mode != "bicubic":  # linear reads no position before the first
        src = np.maximum(src, ft(0))
    i0 = np.minimum(np.floor(src.astype(np.float32)).astype(np.int64), in_n - 1)
    lam = np.clip(src - i0, ft(0), ft(1))
    if mode == "bicubic":  # four taps, clamped to the edge (PyTorch's bounded access)
        w = _cubic_weights(lam)
        return [(np.clip(i0 - 1 + k, 0, in_n - 1), w[:, k], None) for k in range(4)]
    i1 = np.minimum(i0 + 1, in_n - 1)
    return [(i0, ft(1) - lam, None), (i1, lam, None)]


def _resample_axis(x: Tensor, taps: list, axis: int) -> Tensor:
    """Sum over taps of weight * x gathered at index, along `axis`; a tap's places whose
    keep is False add nothing."""
    xp = get_array_module(x._data)
    shape = [1] * x.ndim
    shape[axis] = -1
    out = None
    for index, weight, keep in taps:
        picked = getitem(x, (slice(None),) * axis + (xp.asarray(index, dtype=np.int64),))
        if keep is not None:
            picked = where(xp.asarray(keep.reshape(shape)), picked, 0.0)
        term = scale(picked, xp.asarray(weight.reshape(shape), dtype=x.dtype))
        out = term if out is None else out + term
    return out


def _half_weights(taps: list) -> list:
    """The taps with their weights rounded to float16, as PyTorch stores them for a float16
    input; a linear pair as PyTorch forms it, 1 - w1 from the rounded w1."""
    if len(taps) == 2:
        (i0, _, _), (i1, w1, _) = taps
        w1 = w1.astype(np.float16)
        return [(i0, (np.float32(1) - w1).astype(np.float16), None), (i1, w1, None)]
    return [(i, w.astype(np.float16), keep) for i, w, keep in taps]


def _check_interpolate(x: Tensor, mode: str, align_corners: Any, antialias: bool) -> None:
    op = "interpolate"
    if mode not in _MODES:
        raise Unsupported(f"{op}: mode must be one of {', '.join(_MODES)}; got {mode!r}")
    if x.ndim not in (3, 4, 5):  # PyTorch: NotImplementedError (Unsupported is both)
        raise Unsupported(
            f"{op}: expected a 3-d (N, C, W), 4-d (N, C, H, W) or 5-d (N, C, D, H, W) input, "
            f"got shape {x.shape}"
        )
    needs = {"linear": 3, "bilinear": 4, "bicubic": 4, "trilinear": 5}.get(mode)
    if needs is not None and x.ndim != needs:
        raise Unsupported(
            f"{op}: got a {x.ndim}-d input of shape {x.shape}, but mode={mode!r} needs a "
            f"{needs}-d input" + (f" (use {_LINEAR[x.ndim]!r})" if mode in _LINEAR.values() else "")
        )
    if align_corners is not None and needs is None:
        raise ValueError(
            f"{op}: align_corners only applies to the modes linear, bilinear, bicubic and "
            f"trilinear, not {mode!r}"
        )
    if antialias:
        raise NotImplementedError(f"{op}: antialias=True is not supported")
    if x.dtype == np.uint8 and mode in ("nearest", "nearest-exact"):
        return  # images as bytes: nearest only copies values
    if x.dtype.kind != "f":  # (complex too: PyTorch's kernels are real only)
        raise NotImplementedError(
            f"{op}: mode={mode!r} expects a real floating-point input, got {x.dtype} (uint8 "
            "images are resized by the nearest modes only; cast to float first)"
        )


def _size_entry(n: Any, size: Any) -> int:
    """One entry of interpolate's `size` as an int: anything with `__index__`, as PyTorch
    takes (an int, a NumPy integer, a one-element integer tensor); a bool is refused, as
    there."""
    op = "interpolate"
    is_bool = (
        isinstance(n, bool | np.bool_) or getattr(getattr(n, "dtype", None), "kind", "") == "b"
    )
    if not is_bool:
        try:
            return operator.index(n)
        except TypeError:
            pass
    raise TypeError(
        f"{op}: size must be an int or a tuple of ints (one-element integer tensors count), "
        f"got {size!r}"
    )


def _scale_factors(scale_factor: Any, k: int) -> tuple[float, ...]:
    """interpolate's scale_factor as floats: one number (a Python or NumPy scalar, a
    one-element tensor) for every spatial dim, or a tuple or list of them."""
    if isinstance(scale_factor, tuple | list):
        return tuple(float(f) for f in scale_factor)
    if np.ndim(scale_factor) != 0:  # (an array: PyTorch refuses it too)
        raise TypeError(
            f"interpolate: scale_factor must be a number or a tuple of numbers, got "
            f"{type(scale_factor).__name__} of shape {np.shape(scale_factor)}"
        )
    return (float(scale_factor),) * k


def interpolate(
    input: Tensor,
    size: Any = None,
    scale_factor: Any = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
) -> Tensor:
    """Resize the spatial dims of x `(N, C, W)`, `(N, C, H, W)` or `(N, C, D, H, W)` to
    `size` or by `scale_factor`, as torch.nn.functional.interpolate: modes 'nearest',
    'nearest-exact', 'linear' (3-d), 'bilinear' and 'bicubic' (4-d), 'trilinear' (5-d) and
    'area' (adaptive average pooling).

    Every mode but nearest is separable: each spatial axis is multiplied by a small
    `(out, in)` weight matrix, so the gradient is the transposed products.
    """
    x = input
    op = "interpolate"
    _check_interpolate(x, mode, align_corners, antialias)
    k = x.ndim - 2
    in_sizes = tuple(x.shape[2:])
    if (size is None) == (scale_factor is None):
        raise ValueError(f"{op}: give exactly one of size and scale_factor")
    if size is not None:
        if recompute_scale_factor:
            raise ValueError(
                f"{op}: recompute_scale_factor is not meaningful with an explicit size ({size!r})"
            )
        sizes = (size,) * k if not isinstance(size, tuple | list) else tuple(size)
        out_sizes = tuple(_size_entry(n, size) for n in sizes)
        factors: tuple[Any, ...] = (None,) * k
    else:
        factors = _scale_factors(scale_factor, k)
        if len(factors) != k:
            raise ValueError(
                f"{op}: scale_factor {scale_factor} must give one factor per spatial dim of "
                f"the input of shape {x.shape}"
            )
        if not all(math.isfinite(f) for f in factors):  # (NumPy's ValueError/OverflowError)
            raise ValueRangeError(f"{op}: scale_factor {scale_factor} is not finite")
        out_sizes = tuple(int(math.floor(in_sizes[a] * factors[a])) for a in range(k))
        if recompute_scale_factor or mode == "area":
            factors = (None,) * k  # the output size alone sets the source positions
    if len(out_sizes) != k or min(out_sizes) < (0 if mode == "area" else 1):
        raise ShapeError(f"{op}: output size {out_sizes} for an input of shape {x.shape}")
    if min(in_sizes) < 1:  # (a ZeroDivisionError, IndexError or AttributeError inside)
        raise ShapeError(
            f"{op}: input and output sizes should be greater than 0, got input {in_sizes}"
        )
    if min(out_sizes) == 0:  # 'area' (adaptive average pooling) to an empty size, as PyTorch
        empty = getitem(x, (slice(None), slice(None)) + (slice(0, 0),) * k)
        return reshape(empty, x.shape[:2] + out_sizes)
    xp = get_array_module(x._data)
    source = x  # a result that is still x or a view of it is copied (`fresh`), as PyTorch's
    if mode in ("nearest", "nearest-exact"):
        exact = mode == "nearest-exact"
        path = "indexed" if k == 2 and sum(out_sizes) <= 128 else "table"
        wide = x.dtype == np.float64
        idx = [
            _nearest_index(out_sizes[a], in_sizes[a], factors[a], exact, wide, path)
            for a in range(k)
        ]
        reps = [out_sizes[a] // in_sizes[a] for a in range(k)]
        if all(reps) and all(
            (i == np.arange(i.size) // r).all() for i, r in zip(idx, reps, strict=True)
        ):
            # integer factors: each value repeated in a block, a broadcast
            lead = x.shape[:2]
            split = sum(((n, 1) for n in in_sizes), ())
            block = sum(((n, r) for n, r in zip(in_sizes, reps, strict=True)), ())
            y = broadcast_to(reshape(x, lead + split), lead + block)
            return fresh(reshape(y, lead + out_sizes), source)  # (copied where reps are all 1)
        for a in range(k):
            if not (idx[a].size == in_sizes[a] and (idx[a] == np.arange(in_sizes[a])).all()):
                index = (slice(None),) * (2 + a) + (xp.asarray(idx[a], dtype=np.int64),)
                x = getitem(x, index)
        return fresh(x, source)
    if x.dtype == np.float16:  # worked in float32 and rounded once, as PyTorch's
        y = _interpolate_axes(cast(x, np.float32), out_sizes, factors, align_corners, mode, True)
        return cast(y, np.float16)
    return fresh(_interpolate_axes(x, out_sizes, factors, align_corners, mode), source)


def _interpolate_axes(
    x: Tensor,
    out_sizes: tuple[int, ...],
    factors: tuple[Any, ...],
    align_corners: Any,
    mode: str,
    half: bool = False,
) -> Tensor:
    """x resized to `out_sizes` one spatial axis at a time, the last first (PyTorch's
    innermost sum), in x's dtype. `half`: x is a float16 input cast to float32; PyTorch's
    1-d, 3-d and bicubic kernels keep its weights in float16 (its bilinear one does not).

    PyTorch interpolates an axis whose size does not change too: its taps weigh each value
    1 and a neighbour (linear: itself) 0, so that an inf makes NaN. On finite values that
    is the identity, so such an axis is skipped when x is all finite (one pass, where the
    taps would take five; a finite x stays finite through the other axes)."""
    wide = x.dtype == np.float64
    finite = None
    for a in reversed(range(len(out_sizes))):
        n = x.shape[2 + a]
        if out_sizes[a] == n and (mode != "bicubic" or factors[a] in (None, 1.0)):
            if finite is None:
                finite = bool(get_array_module(x._data).isfinite(x._data).all())
            if finite:
                continue
        taps = _resize_taps(out_sizes[a], n, factors[a], bool(align_corners), mode, wide)
        if half and mode in ("linear", "trilinear", "bicubic"):
            taps = _half_weights(taps)
        x = _resample_axis(x, taps, 2 + a)
    return x


__all__ = [
    "MaxPool2d",
    "PoolGather",
    "PoolGeometry",
    "PoolScatter",
    "WindowSum",
    "WindowSumT",
    "avg_pool2d",
    "interpolate",
    "max_pool2d",
]
