"""Pooling in any number of spatial dims, as torch.nn.functional: max pooling with
dilation, ceil_mode and indices, average pooling with ceil_mode and divisor_override,
adaptive max pooling, LP pooling and max unpooling, over x `(N, C, *S)` or unbatched
`(C, *S)`.

Max pooling gathers: each axis gives its window positions `(O_a, K_a)`, their outer
product the flat positions of every window in PyTorch's scan order (first axis slowest),
and pool1d's `_gathered_max` picks each window's maximum by PyTorch's rule (the first
maximum; a NaN wins). The values come out of `gather`, whose gradient is a scatter-add, so
every order of derivative exists; the input passes through `ZeroSecond` (shape.py) first,
so the gradient is linked back to it with derivative zero, as MaxPool2d's is. Average
pooling adds one shifted slice per kernel offset and divides by PyTorch's per-window
count, the outer product of the per-axis counts. Fractional max pooling gathers too, its
windows placed per plane by random samples, as PyTorch's.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from .. import random
from ..backend import get_array_module
from ..errors import ValueRangeError
from ..tensor import Tensor
from .indexing import gather, scatter
from .pool1d import _adaptive_windows, _float_input, _gathered_max, pool_out_size
from .shape import cast, pad, reshape, zero_second

__all__ = [
    "adaptive_max_pool_nd",
    "avg_pool_nd",
    "fractional_max_pool_nd",
    "max_pool_nd",
    "max_unpool_nd",
]

_WORDS = {1: "one int", 2: "two ints", 3: "three ints"}


def _tuple(v: Any, n: int, name: str, op: str) -> tuple[int, ...]:
    t = (v,) * n if isinstance(v, int | np.integer) else tuple(v)
    if len(t) == 1:
        t = t * n
    if len(t) != n:
        raise RuntimeError(f"{op}: {name} must either be a single int, or a tuple of {_WORDS[n]}")
    return tuple(int(i) for i in t)


def _batched(x: Tensor, n: int, op: str) -> tuple[Tensor, bool]:
    """x as `(N, C, *S)`; True when it came unbatched."""
    if x.ndim not in (n + 1, n + 2) or any(s == 0 for s in x.shape[-n:]):
        raise RuntimeError(
            f"non-empty {n + 1}D or {n + 2}D (batch mode) tensor expected for input"
            if op.startswith("max")
            else f"{op}: expected a {n + 1}D or {n + 2}D input with non-zero spatial sizes, "
            f"got {list(x.shape)}"
        )
    return (x.unsqueeze(0), True) if x.ndim == n + 1 else (x, False)


def _settings(
    op: str, x: Tensor, n: int, kernel_size: Any, stride: Any, padding: Any, dilation: Any
) -> tuple[tuple[int, ...], ...]:
    k = _tuple(kernel_size, n, "kernel_size", op)
    no_stride = stride is None or (isinstance(stride, list | tuple) and len(stride) == 0)
    s = k if no_stride else _tuple(stride, n, "stride", op)
    p = _tuple(padding, n, "pad", op)
    d = _tuple(dilation, n, "dilation", op)
    if min(k) <= 0:
        raise RuntimeError(f"kernel size should be greater than zero, but got kernel_size={k}")
    if min(s) <= 0:
        raise RuntimeError("stride should not be zero")
    if min(d) <= 0:
        raise RuntimeError(f"dilation should be greater than zero, but got dilation={d}")
    for ka, pa, da in zip(k, p, d, strict=True):
        if pa < 0 or pa > ka // 2:  # half the kernel, not the dilated window, as PyTorch's
            raise RuntimeError(
                f"pad should be smaller than or equal to half of kernel size, but got pad={pa}, "
                f"kernel_size={ka} (dilation={da})"
            )
    return k, s, p, d


def _out_sizes(
    x: Tensor, n: int, k: Any, s: Any, p: Any, d: Any, ceil_mode: bool
) -> tuple[int, ...]:
    sizes = x.shape[-n:]
    out = tuple(pool_out_size(*a, ceil_mode) for a in zip(sizes, k, s, p, d, strict=True))
    if min(out) < 1:
        shown = "x".join(str(v) for v in (x.shape[1],) + tuple(sizes))
        got = "x".join(str(v) for v in (x.shape[1],) + out)
        raise RuntimeError(
            f"Given input size: ({shown}). Calculated output size: ({got}). Output size is "
            "too small"
        )
    return out


def _flat_windows(axes: list[tuple[np.ndarray, np.ndarray]], sizes: tuple[int, ...]):
    """Flat positions `(O, S)` and validity of N-d windows from per-axis ones `(O_a, K_a)`:
    outputs and kernel offsets both in row-major order."""
    pos, valid = np.zeros((1, 1), dtype=np.int64), np.ones((1, 1), dtype=bool)
    for (p_a, v_a), n_a in zip(axes, sizes, strict=True):
        o, k = p_a.shape
        pos = (pos[:, None, :, None] * n_a + p_a[None, :, None, :]).reshape(-1, pos.shape[1] * k)
        valid = (valid[:, None, :, None] & v_a[None, :, None, :]).reshape(-1, valid.shape[1] * k)
    return pos, valid


def max_pool_nd(
    input: Tensor,
    n: int,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
    op: str = "max_pool3d",
) -> Any:
    """Window maxima over the last n dims (padding never wins); with return_indices also the
    int64 flat position of each maximum within its `(C, *S)` slice, as PyTorch's."""
    x, unbatched = _batched(input, n, op)
    _float_input(x, op)
    k, s, p, d = _settings(op, x, n, kernel_size, stride, padding, dilation)
    out = _out_sizes(x, n, k, s, p, d, ceil_mode)
    sizes = tuple(x.shape[-n:])
    axes = []
    for a in range(n):
        pos = np.arange(out[a])[:, None] * s[a] - p[a] + np.arange(k[a])[None, :] * d[a]
        axes.append((pos, (pos >= 0) & (pos < sizes[a])))
    pos, valid = _flat_windows(axes, sizes)
    # an invalid place never wins; any in-range stand-in keeps the flat arithmetic simple
    pos = np.where(valid, pos, 0)
    lead = x.shape[:2]
    y, idx = _gathered_max(reshape(x, lead + (math.prod(sizes),)), pos, valid)
    y, idx = reshape(y, lead + out), reshape(idx, lead + out)
    if unbatched:
        y, idx = y.squeeze(0), idx.squeeze(0)
    return (y, idx) if return_indices else y


def _avg_counts(size: int, k: int, s: int, p: int, out: int, include_pad: bool) -> np.ndarray:
    """PyTorch's divisor per window along one axis: the window clipped to the padded input,
    or (without count_include_pad) to the input itself."""
    start = np.arange(out) * s - p
    end = np.minimum(start + k, size + p)
    if include_pad:
        return end - start
    return np.minimum(end, size) - np.maximum(start, 0)


def avg_pool_nd(
    input: Tensor,
    n: int,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
    op: str = "avg_pool3d",
) -> Tensor:
    """Window means over the last n dims with PyTorch's divisors. float16 is summed in
    float32 and rounded once, as PyTorch's. The input passes through `zero_second`, so the
    gradient is linked to it with derivative zero, as avg_pool2d's (and PyTorch's) is."""
    x, unbatched = _batched(input, n, op)
    _float_input(x, op)
    k, s, p, d = _settings(op, x, n, kernel_size, stride, padding, 1)
    if divisor_override is not None and (
        isinstance(divisor_override, bool) or not isinstance(divisor_override, numbers.Integral)
    ):
        raise TypeError(
            f"{op}(): argument 'divisor_override' must be int, not "
            f"{type(divisor_override).__name__}"
        )
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    if x.dtype == np.float16:
        y = avg_pool_nd(
            cast(x, np.float32), n, k, s, p, ceil_mode, count_include_pad, divisor_override, op
        )
        y = cast(y, np.float16)
        return y.squeeze(0) if unbatched else y
    sizes = tuple(x.shape[-n:])
    if n == 3 and any(sz < ka for sz, ka in zip(sizes, k, strict=True)):
        # PyTorch's avg_pool3d checks the input itself, whatever padding or ceil_mode add
        raise RuntimeError(
            f"{op}: input image (T: {sizes[0]} H: {sizes[1]} W: {sizes[2]}) smaller than "
            f"kernel size (kT: {k[0]} kH: {k[1]} kW: {k[2]})"
        )
    out = _out_sizes(x, n, k, s, p, d, ceil_mode)
    # zeros on the left by padding, on the right as far as the last window reads
    right = [
        max(0, (o - 1) * sa + ka - sz - pa)
        for o, sa, ka, sz, pa in zip(out, s, k, sizes, p, strict=True)
    ]
    widths = tuple(w for a in reversed(range(n)) for w in (p[a], right[a]))
    x0 = zero_second(x)
    xpad = pad(x0, widths) if any(widths) else x0
    total = None
    for offset in np.ndindex(*k):  # one strided slice per kernel offset
        index = (slice(None), slice(None)) + tuple(
            slice(o, o + sa * (m - 1) + 1, sa) for o, sa, m in zip(offset, s, out, strict=True)
        )
        part = xpad[index]
        total = part if total is None else total + part
    xp = get_array_module(x._data)
    if divisor_override is not None:
        y = total / float(divisor_override)
    else:
        count = np.ones(out)
        for a in range(n):
            c = _avg_counts(sizes[a], k[a], s[a], p[a], out[a], count_include_pad)
            count = count * c.reshape((-1,) + (1,) * (n - 1 - a))
        y = total / Tensor._make(xp.asarray(count.astype(x.dtype)), False)
    return y.squeeze(0) if unbatched else y


def adaptive_max_pool_nd(
    input: Tensor, n: int, output_size: Any, return_indices: bool = False, op: str = ""
) -> Any:
    """Max pooling to a fixed output size over the last n dims (None keeps a size); window
    i spans [floor(i L / O), ceil((i + 1) L / O)) along each axis."""
    x, unbatched = _batched(input, n, op)
    _float_input(x, op)
    size = (output_size,) * n if isinstance(output_size, int | None) else tuple(output_size)
    if len(size) != n:
        raise RuntimeError(f"{op}: output_size must be {n} ints, got {output_size}")
    sizes = tuple(x.shape[-n:])
    out = tuple(sz if o is None else int(o) for o, sz in zip(size, sizes, strict=True))
    if min(out) < 0:
        raise ValueRangeError(f"{op}: output_size must hold non-negative ints, got {output_size}")
    if 0 in out and 0 not in sizes:  # an empty result, as PyTorch's (still in the graph)
        y = x[(...,) + (slice(0, 1),) * n].expand(x.shape[:2] + out)
        idx = Tensor._make(get_array_module(x._data).empty(y.shape, np.int64), False)
        if unbatched:
            y, idx = y.squeeze(0), idx.squeeze(0)
        return (y, idx) if return_indices else y
    pos, valid = _flat_windows(
        [_adaptive_windows(sz, o) for sz, o in zip(sizes, out, strict=True)], sizes
    )
    lead = x.shape[:2]
    y, idx = _gathered_max(reshape(x, lead + (math.prod(sizes),)), pos, valid)
    y, idx = reshape(y, lead + out), reshape(idx, lead + out)
    if unbatched:
        y, idx = y.squeeze(0), idx.squeeze(0)
    return (y, idx) if return_indices else y


def max_unpool_nd(
    input: Tensor,
    indices: Tensor,
    n: int,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    output_size: Any = None,
    op: str = "max_unpool2d",
) -> Tensor:
    """Zeros of the pooled-from size with each value written at its index (a flat position
    within its `(C, *S)` slice), as PyTorch's; the gradient reads the output's at the
    indices."""
    x = input
    k = _tuple(kernel_size, n, "kernel_size", op)
    no_stride = stride is None or (isinstance(stride, list | tuple) and len(stride) == 0)
    s = k if no_stride else _tuple(stride, n, "stride", op)
    p = _tuple(padding, n, "padding", op)
    if x.ndim not in (n + 1, n + 2):
        raise RuntimeError(f"{op}: expected a {n + 1}D or {n + 2}D input, got {list(x.shape)}")
    if tuple(indices.shape) != tuple(x.shape):
        raise RuntimeError(
            f"Expected shape of indices to be same as that of the input tensor "
            f"({list(x.shape)}) but got indices tensor with shape: {list(indices.shape)}"
        )
    default = tuple((x.shape[x.ndim - n + a] - 1) * s[a] - 2 * p[a] + k[a] for a in range(n))
    if output_size is None:
        out = default
    else:
        out = tuple(int(v) for v in output_size)
        if len(out) == n + 2 or (len(out) == n + 1 and x.ndim == n + 1):
            out = out[-n:]
        if len(out) != n:
            raise ValueError(
                f"output_size should be a sequence containing {n} or {n + 2} elements, but it "
                f"has a length of '{len(out)}'"
            )
        for a in range(n):
            lo, hi = default[a] - s[a], default[a] + s[a]
            if not lo < out[a] < hi:
                raise ValueError(
                    f'invalid output_size "{list(out)}" (dim {a} must be between {lo} and {hi})'
                )
    lead = x.shape[: x.ndim - n]
    m = math.prod(out)
    idx = indices._data if isinstance(indices, Tensor) else np.asarray(indices)
    if idx.dtype != np.int64:  # (as PyTorch's, which names the dtype as its C++ type)
        raise RuntimeError(f"{op}: elements in indices should be type int64 but got: {idx.dtype}")
    if idx.size and (idx.min() < 0 or idx.max() >= m):
        raise RuntimeError(
            f"Found an invalid max index: {int(idx.max() if idx.max() >= m else idx.min())} "
            f"(output volumes are of size {'x'.join(str(o) for o in out)}"
        )
    xp = get_array_module(x._data)
    zeros = Tensor._make(xp.zeros(lead + (m,), dtype=x.dtype), False)
    per_plane = (math.prod(x.shape[len(lead) :]),)  # explicit: a batch of 0 has no -1
    flat = scatter(zeros, -1, reshape(indices, lead + per_plane), reshape(x, lead + per_plane))
    return reshape(flat, lead + out)


def _fractional_starts(u: np.ndarray, size: int, out: int, k: int) -> np.ndarray:
    """Window starts `(..., out)` along one axis for samples u `(...)`, as PyTorch's
    generate_intervals, in u's own precision: start i = int((i + u) * alpha) - int(u *
    alpha) with alpha = (size - k) / (out - 1); the last window ends at the input's end."""
    dt = u.dtype.type
    starts = np.empty(u.shape + (out,), dtype=np.int64)
    if out > 1:
        alpha = dt(size - k) / dt(out - 1)
        i = np.arange(out - 1).astype(u.dtype)
        span = ((i + u[..., None]) * alpha).astype(np.int64)  # truncation, as a C++ cast
        starts[..., :-1] = span - (u * alpha).astype(np.int64)[..., None]
    if out > 0:
        starts[..., -1] = size - k
    return starts


def _fractional_settings(
    op: str, x: Tensor, n: int, kernel_size: Any, output_size: Any, output_ratio: Any
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The kernel and output sizes, each n ints, checked as PyTorch checks them."""
    k = _tuple(kernel_size, n, "kernel_size", op)
    if min(k) <= 0:  # (PyTorch's functional pools empty windows to -inf)
        raise ValueRangeError(f"{op}: kernel_size must be greater than 0, but got {k}")
    sizes = tuple(x.shape[-n:])
    if output_size is None and output_ratio is None:
        raise ValueError(f"{op} requires specifying either an output_size or an output_ratio")
    if output_size is None:
        ratio = (output_ratio,) * n if isinstance(output_ratio, int | float) else output_ratio
        ratio = tuple(ratio) * (n if len(ratio) == 1 else 1)
        if len(ratio) != n:
            raise ValueError(f"{op}: output_ratio must be one number or {n}, got {output_ratio}")
        out = tuple(int(sz * r) for sz, r in zip(sizes, ratio, strict=True))
    else:
        out = _tuple(output_size, n, "output_size", op)
    if min(out) < 0:
        raise ValueRangeError(f"{op}: output_size must not be negative, got {out}")
    names = ("time", "height", "width")[3 - n :]
    for a in range(n):
        # PyTorch's 3-d pool needs one input place to spare; its 2-d pool does not
        fits = out[a] + k[a] - 1 < sizes[a] if n == 3 else out[a] + k[a] - 1 <= sizes[a]
        if not fits:
            raise RuntimeError(
                f"{op}(): pool {names[a]} {k[a]} too large relative to input {names[a]} "
                f"{sizes[a]} (output size {out[a]})"
            )
    return k, out


def _fractional_samples(op: str, x: Tensor, n: int, samples: Any) -> np.ndarray:
    """The per-plane samples `(N, C, n)` (drawn from minigrad's generator when None, as
    PyTorch draws torch.rand), checked as PyTorch checks them."""
    nb, c = x.shape[:2]
    if samples is None:
        return random.rand((nb, c, n), x.dtype)
    u = samples._data if isinstance(samples, Tensor) else np.asarray(samples)
    if u.ndim != 3:
        raise RuntimeError(f"{op}: expected _random_samples to have 3 dimensions, got {u.ndim}")
    if u.shape[0] < nb or u.shape[1] != c or u.shape[2] != n:
        raise RuntimeError(
            f"{op}: expected _random_samples of shape ({nb} or more, {c}, {n}) for an input of "
            f"shape {x.shape}, got {tuple(u.shape)}"
        )
    if u.dtype != x.dtype:
        raise RuntimeError(
            f"{op}: expected _random_samples of the input's dtype {x.dtype}, got {u.dtype}"
        )
    u = np.asarray(u[:nb]) if get_array_module(u) is np else u[:nb].get()
    if u.size and not ((u >= 0) & (u <= 1)).all():  # (PyTorch would read out of bounds)
        raise ValueRangeError(f"{op}: _random_samples must lie in [0, 1]")
    return u


def fractional_max_pool_nd(
    input: Tensor,
    n: int,
    kernel_size: Any,
    output_size: Any = None,
    output_ratio: Any = None,
    return_indices: bool = False,
    _random_samples: Any = None,
    op: str = "fractional_max_pool2d",
) -> Any:
    """Fractional max pooling over the last n dims, as PyTorch's (Graham, 2015): per plane,
    window starts along each axis come from a sample u in [0, 1] (`_random_samples`,
    `(N, C, n)`; for 2-d, u[0] is the width's, u[1] the height's, PyTorch's order; for 3-d,
    time, height, width), windows of `kernel_size`, no padding. Each window's maximum by
    PyTorch's rule (the first maximum; a NaN wins, the last NaN taking it); with
    return_indices also its int64 flat position within the `(*S)` plane."""
    x = input
    if x.ndim not in (n + 1, n + 2):
        raise RuntimeError(
            f"{op}(): expected a {n + 1}D or {n + 2}D input, but got shape {list(x.shape)}"
        )
    unbatched = x.ndim == n + 1
    if unbatched:
        x = x.unsqueeze(0)
    if any(s == 0 for s in x.shape[1:]):
        raise RuntimeError(
            f"{op}(): expected an input of non-zero size in its non-batch dims, got shape "
            f"{list(input.shape)}"
        )
    _float_input(x, op)
    k, out = _fractional_settings(op, x, n, kernel_size, output_size, output_ratio)
    u = _fractional_samples(op, x, n, _random_samples)
    if n == 2:
        u = u[..., ::-1]  # PyTorch's 2-d samples are (width, height)
    sizes = tuple(x.shape[-n:])
    # flat positions (N, C, O, K) of every window's places, outputs and kernel offsets
    # each in row-major order
    pos = np.zeros(x.shape[:2] + (1, 1), dtype=np.int64)
    for a in range(n):
        starts = _fractional_starts(np.ascontiguousarray(u[..., a]), sizes[a], out[a], k[a])
        p_a = starts[..., :, None] + np.arange(k[a])  # (N, C, O_a, K_a)
        o, kk = pos.shape[2], pos.shape[3]
        pos = pos[:, :, :, None, :, None] * sizes[a] + p_a[:, :, None, :, None, :]
        pos = pos.reshape(x.shape[:2] + (o * out[a], kk * k[a]))
    xp = get_array_module(x._data)
    flat = reshape(zero_second(x), x.shape[:2] + (math.prod(sizes),))
    m = pos.shape[2]
    best_at = xp.asarray(pos[..., 0]) if pos.size else xp.zeros(x.shape[:2] + (m,), np.int64)
    best = xp.full(best_at.shape, -math.inf, dtype=x.dtype)
    data = flat._data
    for j in range(pos.shape[3]):  # PyTorch's scan: move on to a larger value or a NaN
        at = xp.asarray(pos[..., j])
        v = xp.take_along_axis(data, at, axis=-1)
        with np.errstate(invalid="ignore"):
            better = (v > best) | xp.isnan(v)
        xp.copyto(best, v, where=better)
        xp.copyto(best_at, at, where=better)
    y = reshape(gather(flat, -1, best_at), x.shape[:2] + out)
    idx = Tensor._make(best_at.reshape(x.shape[:2] + out), False)
    if unbatched:
        y, idx = y.squeeze(0), idx.squeeze(0)
    return (y, idx) if return_indices else y
