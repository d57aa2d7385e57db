"""1-d pooling over `(N, C, L)` or unbatched `(C, L)` inputs, and adaptive max pooling in
1-d and 2-d, as torch.nn.functional.

Fixed windows run on the 2-d nodes of pool.py: a signal is an image of height 1, and
ceil_mode's last, partial window reads a few values appended on the right (-inf for max,
0 for the sum), which no window can prefer over a value of its own. Windows those nodes do
not cover (dilated ones, and adaptive ones of varying length) are gathered: each window's
argmax is found on the arrays, one kernel offset at a time, by PyTorch's rule (the first
maximum; a NaN wins and the last NaN takes it), and the values are picked with `gather`,
whose gradient is a scatter-add, so every order of derivative exists.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..backend import Array, get_array_module
from ..errors import ShapeError
from ..tensor import Tensor
from .conv1d import single
from .elementwise import scale, where
from .indexing import gather
from .pool import MaxPool2d, PoolGeometry, WindowSum, integer_mean
from .reduce import reduce_sum
from .shape import cast, clone, getitem, pad, zero_second

__all__ = [
    "adaptive_avg_pool1d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
    "avg_pool1d",
    "max_pool1d",
    "pool_out_size",
]


def pool_out_size(n: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """Number of windows along one axis, as PyTorch's pooling_output_shape: with ceil_mode
    a last partial window counts if it starts inside the input or its left padding."""
    out = (n + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
    return out


def _float_input(x: Tensor, op: str) -> None:
    if x.dtype.kind != "f":
        raise NotImplementedError(f'"{op}" not implemented for {x.dtype}')


def _settings(
    op: str, x: Tensor, kernel_size: Any, stride: Any, padding: Any, dilation: Any = 1
) -> tuple[int, int, int, int]:
    if x.ndim not in (2, 3):
        raise ShapeError(
            f"{op}: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for "
            f"input, but got:{list(x.shape)}"
        )
    k = single(kernel_size, "kernel_size", op, 1)
    s = k if stride is None or stride == () or stride == [] else single(stride, "stride", op, 1)
    p = single(padding, "padding", op, 0)
    d = single(dilation, "dilation", op, 1)
    if p > k // 2:
        raise ShapeError(
            f"{op}() padding should be at most half of kernel size, but got padding={p} and "
            f"kernel_size={k}"
        )
    return k, s, p, d


def _unbatched(fn: Any, x: Tensor, *args: Any) -> Any:
    """fn on x `(C, L...)` as a batch of one, its outputs without the batch dim."""
    out = fn(x.unsqueeze(0), *args)
    if isinstance(out, tuple):
        return tuple(o.squeeze(0) for o in out)
    return out.squeeze(0)


def _as_indices(idx: Array) -> Tensor:
    """An int64 tensor of positions, outside the graph (PyTorch's indices never need
    grad)."""
    return Tensor._make(idx.astype(np.int64, copy=False), False)


def _window_argmax(data: Array, pos: np.ndarray, valid: np.ndarray) -> Array:
    """Flat position, along the last axis of data `(..., M)`, of each window's maximum:
    window o reads positions `pos[o]` where `valid[o]` holds (`(O, S)` each). PyTorch's
    rule: start at the window's first valid place with -inf, move on to a larger value or
    a NaN. One pass per kernel offset, never per window or pixel. A window with no valid
    place (a dilated one that skips the whole input) keeps its first place at or past 0,
    as PyTorch's."""
    xp = get_array_module(data)
    out = pos.shape[0]
    rows = np.arange(out)
    first = np.zeros(out, dtype=np.int64)
    if valid.size:  # not for no windows, or windows of no places (an output size of 0)
        first = np.where(
            valid.any(axis=1),
            pos[rows, np.argmax(valid, axis=1)],
            pos[rows, np.argmax(pos >= 0, axis=1)],
        )
    idx = xp.empty(data.shape[:-1] + (out,), dtype=np.int64)
    idx[...] = xp.asarray(first)
    best = xp.full(idx.shape, -math.inf, dtype=data.dtype)
    inside = np.clip(pos, 0, max(data.shape[-1] - 1, 0))
    for j in range(pos.shape[1]):
        v = data[..., xp.asarray(inside[:, j])]
        with np.errstate(invalid="ignore"):
            better = (v > best) | xp.isnan(v)
        better &= xp.asarray(valid[:, j])
        xp.copyto(best, v, where=better)
        xp.copyto(idx, xp.asarray(pos[:, j]), where=better)
    return idx


def _gathered_max(x: Tensor, pos: np.ndarray, valid: np.ndarray) -> tuple[Tensor, Tensor]:
    """Window maxima of x `(N, C, M)` and their positions, `(N, C, O)` each; a window with
    no valid place is -inf (and passes no gradient), as PyTorch's."""
    idx = _window_argmax(x._data, pos, valid)
    xp = get_array_module(idx)
    y = gather(zero_second(x), -1, xp.minimum(idx, x.shape[-1] - 1))
    empty = ~valid.any(axis=1)
    if empty.any():
        y = where(xp.asarray(empty), -math.inf, y)
    return y, _as_indices(idx)


def max_pool1d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    """Window maxima (padding counts as -inf), as torch.nn.functional.max_pool1d.

    x `(N, C, L)` -> `(N, C, OL)`, OL = (L + 2 * padding - dilation * (K - 1) - 1) // stride
    + 1 (rounded up with ceil_mode); an unbatched `(C, L)` gives `(C, OL)`. With
    return_indices, also the int64 position along L of each window's maximum.
    """
    x, op = input, "max_pool1d"
    if not isinstance(x, Tensor):
        raise TypeError(
            f"max_pool1d(): argument 'input' (position 1) must be Tensor, not {type(x).__name__}"
        )
    k, s, p, d = _settings(op, x, kernel_size, stride, padding, dilation)
    _float_input(x, op)
    if x.ndim == 2:
        return _unbatched(max_pool1d, x, k, s, p, d, ceil_mode, return_indices)
    n = x.shape[2]
    out = pool_out_size(n, k, s, p, d, ceil_mode)
    if out < 1:
        raise ShapeError(f"{op}() Invalid computed output size: {out}")
    if d > 1:  # dilated windows: gathered
        pos = np.arange(out)[:, None] * s - p + np.arange(k) * d
        valid = (pos >= 0) & (pos < n)
        y, idx = _gathered_max(x, pos, valid)
        return (y, idx) if return_indices else y
    extra = max(0, (out - 1) * s + k - n - 2 * p)  # ceil_mode's last window
    x4 = x.unsqueeze(2)
    if extra:
        x4 = pad(x4, (0, extra), value=-math.inf)
    node = MaxPool2d(PoolGeometry((1, k), (1, s), (0, p), (1, n + extra), (1, out)))
    y = node(x4).squeeze(2)
    if not return_indices:
        return y
    # the node keeps each window's kernel offset; a window's start is o * s - p
    starts = get_array_module(x._data).arange(out) * s - p
    return y, _as_indices(node.idx[:, :, 0] + starts)


def avg_pool1d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    """Window means, as torch.nn.functional.avg_pool1d: zero padding, divided by the window
    size (clipped to the padded input, as PyTorch's ceil_mode windows) or, without
    `count_include_pad`, by the number of input values in the window.

    x `(N, C, L)` -> `(N, C, OL)`; an unbatched `(C, L)` gives `(C, OL)`.
    """
    x, op = input, "avg_pool1d"
    if not isinstance(x, Tensor):
        raise TypeError(
            f"avg_pool1d(): argument 'input' (position 1) must be Tensor, not {type(x).__name__}"
        )
    if x.ndim not in (2, 3):
        raise ShapeError(
            f"Expected 2 to 3 dimensions, but got {x.ndim}-dimensional tensor for argument #1 "
            f"'self' (while checking arguments for {op})"
        )
    k = single(kernel_size, "kernel_size", op, 1)
    s = k if stride is None or stride == () or stride == [] else single(stride, "stride", op, 1)
    p = single(padding, "padding", op, 0)
    if p > k // 2:
        raise ShapeError(
            f"pad should be at most half of effective kernel size, but got pad={p}, "
            f"kernel_size={k} and dilation=1"
        )
    if x.dtype != np.int64:  # int64 takes the integer mean, as PyTorch's
        _float_input(x, op)
    if x.ndim == 2:
        return _unbatched(avg_pool1d, x, k, s, p, ceil_mode, count_include_pad)
    wide = x.dtype.char in "fd"  # float32 or float64 (one check on their path, as before)
    if not wide and x.dtype == np.float16:  # summed in float32, rounded once, as PyTorch's
        y = avg_pool1d(cast(x, np.float32), k, s, p, ceil_mode, count_include_pad)
        return cast(y, np.float16)
    c, n = x.shape[1:]
    out = pool_out_size(n, k, s, p, 1, ceil_mode)
    if out < 1:
        raise ShapeError(
            f"Given input size: ({c}x1x{n}). Calculated output size: ({c}x1x{out}). "
            "Output size is too small"
        )
    extra = max(0, (out - 1) * s + k - n - 2 * p)
    x4 = x.unsqueeze(2)
    if extra:
        x4 = pad(x4, (0, extra))
    sums = WindowSum(PoolGeometry((1, k), (1, s), (0, p), (1, n + extra), (1, out)))(x4)
    start = np.arange(out) * s - p
    end = np.minimum(start + k, n + p)
    if count_include_pad:
        count = end - start
    else:
        count = np.minimum(end, n) - np.maximum(start, 0)
    if not wide:
        return integer_mean(sums.squeeze(2), count, op)
    xp = get_array_module(x._data)
    return scale(sums.squeeze(2), xp.asarray(1.0 / count, dtype=x.dtype))


def _adaptive_windows(n: int, out: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions `(out, S)` and validity of adaptive window i, which spans
    [floor(i n / out), ceil((i + 1) n / out)), padded to the longest window S by repeating
    its first position."""
    i = np.arange(out)
    start = (i * n) // out
    length = -((-(i + 1) * n) // out) - start
    k = np.arange(int(length.max()) if out else 0)
    valid = k < length[:, None]
    return np.where(valid, start[:, None] + k, start[:, None]), valid


def _adaptive_size(op: str, output_size: Any, dims: int) -> tuple[Any, ...]:
    """output_size as `dims` entries; None keeps that size (2-d only, as PyTorch's)."""
    size = (output_size,) * dims if isinstance(output_size, int | None) else tuple(output_size)
    if len(size) != dims:
        raise ShapeError(
            f"{op}() argument 'output_size' should contain {('one int', 'two ints')[dims - 1]} "
            f"(got {len(size)})"
        )
    if dims == 1 and size[0] is None:
        raise TypeError(
            f"{op}(): argument 'output_size' (position 2) must be tuple of ints, not NoneType"
        )
    if any(o is not None and (not isinstance(o, int) or o < 0) for o in size):
        raise ShapeError(f"{op}(): output_size must hold non-negative ints, got {output_size}")
    return size


def _adaptive_input(op: str, x: Tensor, dims: int) -> None:
    if x.ndim not in (dims + 1, dims + 2):
        raise ShapeError(
            f"Expected {dims + 1} to {dims + 2} dimensions, but got {x.ndim}-dimensional "
            f"tensor for argument #1 'self' (while checking arguments for {op})"
        )
    for a in range(x.ndim - dims, x.ndim):
        if x.shape[a] == 0:
            raise ShapeError(
                f"{op}(): Expected input to have non-zero size for non-batch dimensions, but "
                f"input has sizes {list(x.shape)} with dimension {a} being empty"
            )
    _float_input(x, op)


def adaptive_avg_pool1d(input: Tensor, output_size: Any) -> Tensor:
    """Average pooling to a fixed length OL, as torch.nn.functional.adaptive_avg_pool1d:
    window i spans [floor(i L / OL), ceil((i + 1) L / OL)). x `(N, C, L)` or `(C, L)`.
    Each window's values are gathered, the padding to the longest window masked out by
    `where` (so an inf or NaN stays in its own window), summed and scaled."""
    x, op = input, "adaptive_avg_pool1d"
    _adaptive_input(op, x, 1)
    (out,) = _adaptive_size(op, output_size, 1)
    n = x.shape[-1]
    if out == n:
        return clone(x)
    if x.dtype == np.float16:  # summed in float32 and rounded once, as PyTorch's
        return cast(adaptive_avg_pool1d(cast(x, np.float32), out), np.float16)
    pos, valid = _adaptive_windows(n, out)
    xp = get_array_module(x._data)
    g = getitem(x, (Ellipsis, xp.asarray(pos)))  # (..., OL, S)
    g = where(xp.asarray(valid), g, 0.0)
    inv = xp.asarray(1.0 / valid.sum(axis=1), dtype=x.dtype)
    return scale(reduce_sum(g, -1), inv)


def adaptive_max_pool1d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """Max pooling to a fixed length OL, as torch.nn.functional.adaptive_max_pool1d; window
    i spans [floor(i L / OL), ceil((i + 1) L / OL)). x `(N, C, L)` or `(C, L)`; with
    return_indices, also the int64 position along L of each maximum."""
    x, op = input, "adaptive_max_pool1d"
    _adaptive_input(op, x, 1)
    (out,) = _adaptive_size(op, output_size, 1)
    n = x.shape[-1]
    pos, valid = _adaptive_windows(n, out)
    y, idx = _gathered_max(x, pos, valid)
    return (y, idx) if return_indices else y


def adaptive_max_pool2d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """Max pooling to a fixed (OH, OW), as torch.nn.functional.adaptive_max_pool2d (None
    keeps that size). x `(N, C, H, W)` or `(C, H, W)`; with return_indices, also the int64
    flat position h * W + w of each maximum. A window is read row by row, so ties go to
    its first maximum in that order, as PyTorch's."""
    x, op = input, "adaptive_max_pool2d"
    if x.ndim not in (3, 4):
        raise ShapeError(f"{op}(): Expected 3D or 4D tensor, but got: {list(x.shape)}")
    _adaptive_input(op, x, 2)
    size = _adaptive_size(op, output_size, 2)
    h, w = x.shape[-2:]
    oh, ow = (h if size[0] is None else size[0]), (w if size[1] is None else size[1])
    rows, vr = _adaptive_windows(h, oh)  # (OH, SH)
    cols, vc = _adaptive_windows(w, ow)  # (OW, SW)
    # window (i, j) reads (rows[i, a], cols[j, b]) for a, b in row-major order
    span = rows.shape[1] * cols.shape[1]
    pos = (rows[:, None, :, None] * w + cols[None, :, None, :]).reshape(oh * ow, span)
    valid = (vr[:, None, :, None] & vc[None, :, None, :]).reshape(oh * ow, span)
    lead = x.shape[:-2]
    flat = x.reshape(lead + (h * w,))
    y, idx = _gathered_max(flat, pos, valid)
    y = y.reshape(lead + (oh, ow))
    return (y, idx.reshape(lead + (oh, ow))) if return_indices else y
