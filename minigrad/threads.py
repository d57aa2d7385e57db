"""Elementwise NumPy work on several cores, when asked for.

A NumPy ufunc on a large array runs on one core, while the matrix products around it use
the BLAS's threads. NumPy releases the GIL inside a ufunc's loop, so the same ufunc on
disjoint slices of the array runs in parallel from a few Python threads. `split(n, work)`
calls `work(lo, hi)` on one range of [0, n) per thread. One range each, not many small
blocks: every NumPy call holds the GIL while Python sets it up, so many short calls from two
threads queue for it (measured: max pooling in 64 KiB blocks on two threads ran at half
the speed of one thread).

The count is 1 unless `set_num_threads(n)` or MINIGRAD_NUM_THREADS says otherwise. Not the
BLAS's count, as PyTorch does, because it did not pay on the 2-core machine this was
measured on: alone, two threads made ReLU and max pooling 1.3-2x and LeakyReLU 1.4x faster,
but inside a training step, after each matrix product OpenBLAS's worker thread keeps
spinning on the second core for a while, the second elementwise thread fights it for the
core, and the DCGAN and triplet steps ran 7-10% slower with two than with one
(`OPENBLAS_THREAD_TIMEOUT=4`, which makes OpenBLAS's workers sleep at once, turned that
into a 12% gain on the triplet step). Arrays under MIN_PARALLEL values stay on the calling
thread: handing a range to another thread costs about 10 microseconds.

Kernels that use it (NumPy only; CuPy has its own kernels): ReLU and LeakyReLU forward and
backward, max pooling forward and backward, batch norm's training forward and first-order
backward, im2col, col2im and the batch-minor copy of conv's gradient.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any

import numpy as np

from .ops import layout

MIN_PARALLEL = 1 << 17  # elements below which one thread does all the work
BLOCK = 1 << 16  # elements per block of a blocked kernel (256 KiB of float32 per array)

_ENV = "MINIGRAD_NUM_THREADS"


def _from_environment() -> int:
    text = os.environ.get(_ENV, "").strip()
    if not text:
        return 1
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{_ENV} must be a whole number of threads, got {text!r}") from None
    if value < 1:
        raise ValueError(f"{_ENV} must be >= 1, got {value}")
    return value


_threads: int | None = None  # read from the environment on first use
_pool: ThreadPoolExecutor | None = None
_lock = threading.Lock()
_inside = threading.local()  # set in pool threads: a nested split() runs inline


def get_num_threads() -> int:
    """The threads elementwise kernels use (1 unless set; cf. torch.get_num_threads)."""
    global _threads
    if _threads is None:
        _threads = _from_environment()
    return _threads


def set_num_threads(n: int) -> None:
    """Use `n` threads for elementwise kernels from now on (torch.set_num_threads); the
    BLAS keeps its own setting."""
    global _threads, _pool
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads: n must be an int >= 1, got {n!r}")
    with _lock:
        _threads = n
        if _pool is not None:
            _pool.shutdown(wait=True)
            _pool = None


def _get_pool(workers: int) -> ThreadPoolExecutor:
    global _pool
    with _lock:
        if _pool is None or _pool._max_workers != workers:  # noqa: SLF001
            if _pool is not None:
                _pool.shutdown(wait=True)
            _pool = ThreadPoolExecutor(workers, thread_name_prefix="minigrad")
        return _pool


def _in_pool(lo: int, hi: int, work: Callable[[int, int], None]) -> None:
    _inside.active = True
    try:
        work(lo, hi)
    finally:
        _inside.active = False


def split(n: int, work: Callable[[int, int], None], unit: int = 1, xp: Any = np) -> None:
    """Call `work(lo, hi)` on consecutive ranges that cover [0, n) once each: one range per
    thread when the n items (of `unit` elements each: an image, say) hold at least
    MIN_PARALLEL elements and get_num_threads() > 1, else `work(0, n)` on this thread
    (always for arrays of another module `xp` than NumPy: CuPy queues its own kernels).
    `work` must touch only its own range of its outputs. An exception in any range is
    raised here."""
    threads = min(get_num_threads(), n)
    small = n * unit < MIN_PARALLEL
    if threads < 2 or small or xp is not np or getattr(_inside, "active", False):
        work(0, n)
        return
    share = -(-n // threads)
    bounds = [(lo, min(lo + share, n)) for lo in range(0, n, share)]
    pool = _get_pool(threads - 1)
    futures = [pool.submit(_in_pool, lo, hi, work) for lo, hi in bounds[1:]]
    try:
        work(*bounds[0])  # the calling thread takes the first range
    finally:
        wait(futures)  # no range outlives the call, even when one failed
    for f in futures:
        f.result()  # a worker's exception, raised here


def copy(out: Any, src: Any) -> None:
    """`out[...] = src` (same shape, any layout, either module), a share of the leading axis
    per thread."""
    xp = np if isinstance(out, np.ndarray) else None

    def work(lo: int, hi: int) -> None:
        out[lo:hi] = src[lo:hi]

    split(len(out), work, unit=out[:1].size, xp=xp)


def _layout(a: np.ndarray) -> tuple[int, ...] | None:
    """The strides in elements of a dense array's axes longer than 1 (its memory order, in
    effect), or None for an array with gaps, overlaps or negative strides."""
    if not layout.is_dense(a):
        return None
    steps = layout.strides_in_elements(a)
    return tuple(s for s, n in zip(steps, a.shape, strict=True) if n != 1)


def _uniform(arrays: tuple[Any, ...], min_size: int) -> bool:
    """NumPy arrays of one shape with >= min_size elements, all dense in one memory order."""
    first = arrays[0]
    if not (
        isinstance(first, np.ndarray)
        and first.size >= min_size
        and all(isinstance(a, np.ndarray) and a.shape == first.shape for a in arrays)
    ):
        return False
    order = _layout(first)
    return order is not None and all(_layout(a) == order for a in arrays[1:])


def parallel(*arrays: Any) -> bool:
    """Whether a one-pass kernel over these NumPy arrays is worth splitting over threads:
    of one shape with >= MIN_PARALLEL elements, all dense in one memory order (C order, or
    a convolution's batch-minor order, ...), and more than one thread."""
    return get_num_threads() > 1 and _uniform(arrays, MIN_PARALLEL)


def elementwise(kernel: Callable[..., Any], *arrays: Any, blocked: bool = False) -> None:
    """Run `kernel(*arrays)`, which writes its outputs (some of `arrays`) in place with
    `out=`: on a share of the elements per thread when `parallel(*arrays)` (as 1-D views in
    their common memory order, no copies), else once on the whole arrays, whatever their
    layout or module.

    `blocked=True` is for a kernel of several passes (LeakyReLU's forward makes four): each
    share then goes through the kernel BLOCK elements at a time, so that the second and
    later passes find their operands in the cache the first pass filled instead of reading
    them from memory again, on one thread as on several."""
    blocks = blocked and _uniform(arrays, 2 * BLOCK)
    if not (blocks or parallel(*arrays)):
        kernel(*arrays)
        return
    flat = [layout.flat_view(a) for a in arrays]
    step = BLOCK if blocks else flat[0].size  # unblocked: each share in one call

    def work(lo: int, hi: int) -> None:
        for start in range(lo, hi, step):  # a few dozen blocks, not a loop per value
            stop = min(start + step, hi)
            kernel(*(f[start:stop] for f in flat))

    split(flat[0].size, work)
