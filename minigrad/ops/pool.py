"""Pooling and upsampling over NCHW inputs, PyTorch semantics.

Windows are strided slices of the padded input, one per kernel offset, so every loop runs
over at most KH x KW offsets and never over pixels. The pairs of nodes are each other's
adjoints: max pooling gathers at the argmax (`PoolGather`) and its gradient scatters there
(`PoolScatter`); average pooling sums windows (`WindowSum`) and its gradient spreads them
back (`WindowSumT`). Upsampling is composed from reshape/broadcast (nearest, integer
factors) or two small interpolation matrices (bilinear), so it needs no node of its own.

On CuPy, the forwards of the pooling nodes are hand-written kernels (cuda_kernels.py).
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from ..autograd import Function
from ..backend import Array, get_array_module
from ..tensor import Tensor
from . import cuda_kernels
from .elementwise import scale
from .linalg import matmul
from .reduce import broadcast_to
from .shape import getitem, reshape


class PoolGeometry(NamedTuple):
    """Static settings of a pooling window; pairs are (height, width)."""

    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    in_hw: tuple[int, int]
    out_hw: tuple[int, int]


def _pad(x: Array, g: PoolGeometry, value: float) -> Array:
    (ph, pw), (h, w) = g.padding, g.in_hw
    if not (ph or pw):
        return x
    xp = get_array_module(x)
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


def _padded_zeros(gy: Array, g: PoolGeometry) -> Array:
    (ph, pw), (h, w) = g.padding, g.in_hw
    return get_array_module(gy).zeros(gy.shape[:2] + (h + 2 * ph, w + 2 * pw), dtype=gy.dtype)


def _crop(buf: Array, g: PoolGeometry) -> Array:
    (ph, pw), (h, w) = g.padding, g.in_hw
    return buf[:, :, ph : ph + h, pw : pw + w]


class MaxPool2d(Function):
    """Window maxima of x `(N, C, H, W)` -> `(N, C, OH, OW)`; the first maximum of a window
    wins (a NaN wins over numbers), as PyTorch."""

    uses_inputs = False

    def __init__(self, g: PoolGeometry) -> None:
        self.g = g

    def forward(self, x):
        if cuda_kernels.handles(x):
            y, self.idx = cuda_kernels.max_pool_forward(x, self.g)
            return y
        xp = get_array_module(x)
        xpad = _pad(x, self.g, -math.inf)
        kh, kw = self.g.kernel
        y = xpad[_window(0, 0, self.g)].copy()
        idx = xp.zeros(y.shape, dtype=np.int32)
        for k in range(1, kh * kw):
            v = xpad[_window(k // kw, k % kw, self.g)]
            better = (v > y) | xp.isnan(v)
            xp.copyto(y, v, where=better)
            idx[better] = k
        self.idx = idx
        return y

    def backward(self, gy):
        return PoolScatter(self.g, self.idx)(gy)


class PoolScatter(Function):
    """Adjoint of `PoolGather`: each gy `(N, C, OH, OW)` goes to its window's kernel offset
    `idx`; overlapping windows add up. -> `(N, C, H, W)`."""

    uses_inputs = False

    def __init__(self, g: PoolGeometry, idx: Array) -> None:
        self.g, self.idx = g, idx

    def forward(self, gy):
        if cuda_kernels.handles(gy):
            return cuda_kernels.max_pool_backward(gy, self.idx, self.g)
        buf = _padded_zeros(gy, self.g)
        kh, kw = self.g.kernel
        for k in range(kh * kw):
            buf[_window(k // kw, k % kw, self.g)] += gy * (self.idx == k).astype(gy.dtype)
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
            sel = self.idx == k
            y[sel] = xpad[_window(k // kw, k % kw, self.g)][sel]
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
        y = xpad[_window(0, 0, self.g)].copy()
        for k in range(1, kh * kw):
            y += xpad[_window(k // kw, k % kw, self.g)]
        return y

    def backward(self, gy):
        return WindowSumT(self.g)(gy)


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
        for k in range(kh * kw):
            buf[_window(k // kw, k % kw, self.g)] += gy
        return _crop(buf, self.g)

    def backward(self, ggx):
        return WindowSum(self.g)(ggx)


# ---------------------------------------------------------------------- wrappers
def _pair(v: Any, name: str, op: str, minimum: int) -> tuple[int, int]:
    pair = (v, v) if isinstance(v, int) else tuple(v)
    if len(pair) != 2 or not all(isinstance(i, int) and i >= minimum for i in pair):
        raise ValueError(f"{op}: {name} must be an int or a pair of ints >= {minimum}, got {v!r}")
    return pair  # type: ignore[return-value]


def _geometry(op: str, x: Tensor, kernel_size: Any, stride: Any, padding: Any) -> PoolGeometry:
    detail = (
        f"input of shape {x.shape}, kernel_size={kernel_size}, stride={stride}, padding={padding}"
    )
    if x.ndim != 4:
        raise ValueError(f"{op}: expected a 4-d input (N, C, H, W); {detail}")
    k = _pair(kernel_size, "kernel_size", op, 1)
    s = k if stride is None else _pair(stride, "stride", op, 1)
    p = _pair(padding, "padding", op, 0)
    if any(p[a] > k[a] // 2 for a in range(2)):
        raise ValueError(f"{op}: padding should be at most half the kernel size; {detail}")
    in_hw = tuple(x.shape[2:])
    out_hw = tuple((in_hw[a] + 2 * p[a] - k[a]) // s[a] + 1 for a in range(2))
    if min(out_hw) < 1:
        raise ValueError(f"{op}: the kernel is larger than the padded input; {detail}")
    return PoolGeometry(k, s, p, in_hw, out_hw)  # type: ignore[arg-type]


def max_pool2d(x: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0) -> Tensor:
    """Max pooling (padding counts as -inf), as torch.nn.functional.max_pool2d.

    x `(N, C, H, W)` -> `(N, C, OH, OW)`, OH = (H + 2 * padding - KH) // stride + 1.
    """
    return MaxPool2d(_geometry("max_pool2d", x, kernel_size, stride, padding))(x)


def avg_pool2d(
    x: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    count_include_pad: bool = True,
) -> Tensor:
    """Average pooling, as torch.nn.functional.avg_pool2d: zero padding, divided by the
    window size or, without `count_include_pad`, by the number of unpadded values.

    x `(N, C, H, W)` -> `(N, C, OH, OW)`.
    """
    g = _geometry("avg_pool2d", x, kernel_size, stride, padding)
    xp = get_array_module(x._data)
    if count_include_pad or not any(g.padding):
        inv = 1.0 / (g.kernel[0] * g.kernel[1])
        return WindowSum(g)(x) * inv
    counts = []
    for a in range(2):
        start = np.arange(g.out_hw[a]) * g.stride[a] - g.padding[a]
        end = np.minimum(start + g.kernel[a], g.in_hw[a])
        counts.append(end - np.maximum(start, 0))
    inv = xp.asarray(1.0 / np.outer(counts[0], counts[1]), dtype=x.dtype)
    return scale(WindowSum(g)(x), inv)


def _source_index(
    out_n: int, in_n: int, scale_factor: float | None, align_corners: bool, mode: str
) -> np.ndarray:
    """Source coordinate of each output position along one axis, computed as PyTorch does
    (nearest: in float32, with its exact paths for equal and doubled sizes)."""
    dst = np.arange(out_n)
    ratio = 1.0 / scale_factor if scale_factor else in_n / out_n
    if mode == "nearest":
        if out_n == in_n:
            return dst
        if out_n == 2 * in_n:
            return dst >> 1
        src = np.floor(dst.astype(np.float32) * np.float32(ratio)).astype(np.int64)
        return np.minimum(src, in_n - 1)
    if align_corners:
        return dst * ((in_n - 1) / (out_n - 1) if out_n > 1 else 0.0)
    return np.maximum((dst + 0.5) * ratio - 0.5, 0.0)


def _interp_matrix(src: np.ndarray, in_n: int) -> np.ndarray:
    """`(out, in)` matrix of linear-interpolation weights for source coordinates `src`."""
    i0 = np.floor(src).astype(np.int64)
    i1 = np.minimum(i0 + 1, in_n - 1)
    lam = src - i0
    m = np.zeros((src.size, in_n))
    rows = np.arange(src.size)
    m[rows, i0] += 1 - lam
    m[rows, i1] += lam
    return m


def interpolate(
    x: Tensor,
    size: Any = None,
    scale_factor: Any = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
) -> Tensor:
    """Resize x `(N, C, H, W)` to `size` or by `scale_factor`, as
    torch.nn.functional.interpolate with mode 'nearest' or 'bilinear'.
    """
    op = "interpolate"
    if x.ndim != 4:
        raise ValueError(f"{op}: expected a 4-d input (N, C, H, W), got shape {x.shape}")
    if mode not in ("nearest", "bilinear"):
        raise ValueError(f"{op}: mode must be 'nearest' or 'bilinear', got {mode!r}")
    if mode == "nearest" and align_corners is not None:
        raise ValueError(f"{op}: align_corners only applies to mode='bilinear'")
    if (size is None) == (scale_factor is None):
        raise ValueError(f"{op}: give exactly one of size and scale_factor")
    in_hw = x.shape[2:]
    if size is not None:
        out_hw = (size, size) if isinstance(size, int) else tuple(int(s) for s in size)
        factors: tuple[Any, Any] = (None, None)
    else:
        factors = (
            (scale_factor, scale_factor)
            if isinstance(scale_factor, int | float)
            else tuple(scale_factor)
        )
        out_hw = tuple(int(math.floor(in_hw[a] * factors[a])) for a in range(2))
    if len(out_hw) != 2 or min(out_hw) < 1:
        raise ValueError(f"{op}: output size {out_hw} for an input of shape {x.shape}")
    n, c, h, w = x.shape
    if mode == "nearest":
        idx = [_source_index(out_hw[a], in_hw[a], factors[a], False, mode) for a in range(2)]
        sh, sw = out_hw[0] // h, out_hw[1] // w
        if (
            sh
            and sw
            and all((i == np.arange(i.size) // r).all() for i, r in zip(idx, (sh, sw), strict=True))
        ):
            # integer factors: each value repeated in an (sh, sw) block, a broadcast
            y = broadcast_to(reshape(x, (n, c, h, 1, w, 1)), (n, c, h, sh, w, sw))
            return reshape(y, (n, c) + out_hw)
        xp = get_array_module(x._data)
        ih, iw = (xp.asarray(i, dtype=np.int64) for i in idx)
        return getitem(x, (slice(None), slice(None), ih[:, None], iw[None, :]))
    xp = get_array_module(x._data)
    mats = [
        Tensor._make(
            xp.asarray(
                _interp_matrix(
                    _source_index(out_hw[a], in_hw[a], factors[a], bool(align_corners), mode),
                    in_hw[a],
                ),
                dtype=x.dtype,
            ),
            False,
        )
        for a in range(2)
    ]
    return matmul(matmul(mats[0], x), mats[1].T)


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
