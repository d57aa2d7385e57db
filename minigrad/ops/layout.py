"""Memory layouts of n-d arrays (NumPy or CuPy): strides in elements, the order of the axes
in memory, whether an array is dense, and new arrays with a chosen axis order. A
convolution's output is batch-minor (N varies fastest), and the ops after it keep that
order so that their passes do not walk memory with large strides."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..backend import Array


def strides_in_elements(a: Array) -> tuple[int, ...]:
    """Strides in elements, as the CUDA kernels and flat scatters index."""
    return tuple(s // a.itemsize for s in a.strides)


def memory_order(a: Array) -> list[int]:
    """Axes of `a` from the slowest to the fastest in memory."""
    return sorted(range(a.ndim), key=lambda d: -abs(a.strides[d]))


def is_dense(a: Array) -> bool:
    """No gaps, no overlap, no negative strides: the flat index m reaches every element."""
    expected = a.itemsize
    for d in reversed(memory_order(a)):
        if a.shape[d] != 1:
            if a.strides[d] != expected:
                return False
            expected *= a.shape[d]
    return True


def is_batch_minor(a: Array) -> bool:
    """Whether `a (N, C, H, W)` keeps each channel's values batch-minor: the batch fastest in
    memory, then the columns, then the rows (a convolution's output and the ops after it
    are laid out so). The channels may have any stride; an axis of length 1 any stride too
    (NumPy's copies give them other ones), and an empty array is in every layout, as
    NumPy's contiguity flags hold."""
    if a.size == 0:
        return True
    n, c, h, w = a.shape
    s_n, s_c, s_h, s_w = a.strides
    item = a.itemsize
    return (
        (n == 1 or s_n == item) and (w == 1 or s_w == n * item) and (h == 1 or s_h == w * n * item)
    )


def flat_view(a: Array) -> Array:
    """A dense array as a 1-D view of its memory (its axes in memory order are
    C-contiguous, so the reshape copies nothing). A C-contiguous array is reshaped as it
    is: the same view, without sorting its axes (the compiled kernels take several flat
    views per call, and the sort cost more than a small array's pass)."""
    if a.flags.c_contiguous:
        return a.reshape(-1)
    return a.transpose(memory_order(a)).reshape(-1)


def new_in_order(
    make: Callable[..., Array], shape: Sequence[int], order: Sequence[int], dtype: Any
) -> Array:
    """A dense array of `shape` from `make` (`xp.empty`, `xp.zeros`), with axis `order[0]`
    slowest in memory and `order[-1]` fastest (NumPy's order='K' for a chosen order)."""
    buf = make([shape[d] for d in order], dtype=dtype)
    return buf.transpose(tuple(int(d) for d in np.argsort(order)))


# elements per block of a transposing copy: 64 KiB of float32, so that the block of the
# source a copy reads stays in the L2 cache while the destination's rows are written
COPY_BLOCK = 1 << 14


def copy(out: np.ndarray, src: np.ndarray) -> None:
    """`out[...] = src` for NumPy arrays of one shape, in blocks when their fastest axes
    differ. NumPy walks such a copy in `out`'s order and then reads `src` with a large
    stride: a batch-minor (N, C, H, W) array (a convolution's gradient or output) copied
    into C order reads one value per cache line, 7-12x slower than this (on a 2-core Xeon,
    one thread: (64, 64, 14, 14) 4.6 ms against 0.65-0.74, (192, 32, 28, 28) 32 ms against
    2.7). Here the axes that are slow in `src` (its channels, then its rows) are cut into
    ranges, each holding about COPY_BLOCK elements, and each block is one NumPy copy whose
    reads stay in the cache. Arrays whose fastest axes agree, or small ones, take one copy."""
    if out.size <= COPY_BLOCK:  # 0-d and empty arrays too
        out[...] = src
        return
    f_out, f_src = memory_order(out)[-1], memory_order(src)[-1]
    if f_out == f_src or out.shape[f_out] == 1:
        out[...] = src
        return
    # the axes to cut, slowest in `src` first: cut each one whole while a single index of
    # it still holds a block or more, then the next one into ranges of a block in all
    cuts: list[tuple[int, int]] = []
    block = out.size
    for d in memory_order(src):
        if block <= COPY_BLOCK:
            break
        if d in (f_out, f_src) or out.shape[d] == 1:
            continue
        inner = block // out.shape[d]
        step = 1 if inner >= COPY_BLOCK else max(1, COPY_BLOCK // inner)
        cuts.append((d, step))
        block = inner * step
    if not cuts:
        out[...] = src
        return
    # every combination of the cut ranges, one copy each (a loop, not a recursive closure:
    # a closure that calls itself is a reference cycle, which would keep `src` alive until
    # the garbage collector runs)
    axes = [d for d, _ in cuts]
    ranges = [[slice(lo, lo + step) for lo in range(0, out.shape[d], step)] for d, step in cuts]
    index = [slice(None)] * out.ndim
    for combo in itertools.product(*ranges):
        for d, r in zip(axes, combo, strict=True):
            index[d] = r
        block_index = tuple(index)
        out[block_index] = src[block_index]


def c_order_copy(a: np.ndarray) -> np.ndarray:
    """A C-ordered copy of a NumPy array, through `copy` (blocked when `a`'s fastest axis
    is another one)."""
    out = np.empty(a.shape, dtype=a.dtype)
    copy(out, a)
    return out
