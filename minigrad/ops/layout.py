"""Memory layouts of n-d arrays (NumPy or CuPy): strides in elements, the order of the axes
in memory, whether an array is dense, and new arrays with a chosen axis order. A
convolution's output is batch-minor (N varies fastest), and the ops after it keep that
order so that their passes do not walk memory with large strides."""

from __future__ import annotations

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


def flat_view(a: Array) -> Array:
    """A dense array as a 1-D view of its memory (its axes in memory order are
    C-contiguous, so the reshape copies nothing)."""
    return a.transpose(memory_order(a)).reshape(-1)


def new_in_order(
    make: Callable[..., Array], shape: Sequence[int], order: Sequence[int], dtype: Any
) -> Array:
    """A dense array of `shape` from `make` (`xp.empty`, `xp.zeros`), with axis `order[0]`
    slowest in memory and `order[-1]` fastest (NumPy's order='K' for a chosen order)."""
    buf = make([shape[d] for d in order], dtype=dtype)
    return buf.transpose(tuple(int(d) for d in np.argsort(order)))
