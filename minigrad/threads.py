"""Elementwise NumPy work on every core the BLAS uses.

A NumPy ufunc on a large array runs on one core, while the matrix products around it use
them all. NumPy releases the GIL inside a ufunc's loop, so the same ufunc on disjoint
slices of the array runs in parallel from a few Python threads. `split(n, work)` calls
`work(lo, hi)` on one range of [0, n) per thread. One range each, not many small blocks:
every NumPy call holds the GIL while Python sets it up, so many short calls from two
threads queue for it (measured: max pooling in 64 KiB blocks on two threads ran at half
the speed of one thread).

The thread count follows PyTorch's rule: `set_num_threads(n)`, else the first of
MINIGRAD_NUM_THREADS, OMP_NUM_THREADS, OPENBLAS_NUM_THREADS, MKL_NUM_THREADS that is set,
else the cores this process may run on. Small arrays stay on the calling thread: handing a
block to another thread costs about 10 microseconds.

Kernels that use it (NumPy only; CuPy has its own kernels): ReLU and LeakyReLU, forward and
backward.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any

import numpy as np

MIN_PARALLEL = 1 << 17  # elements below which one thread does all the work

_ENV = ("MINIGRAD_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def _from_environment() -> int:
    for var in _ENV:
        text = os.environ.get(var, "").split(",")[0].strip()
        if text:
            try:
                value = int(text)
            except ValueError:
                raise ValueError(f"{var} must be a whole number of threads, got {text!r}") from None
            if value < 1:
                raise ValueError(f"{var} must be >= 1, got {value}")
            return value
    return _cores()


_threads: int | None = None  # read from the environment on first use
_pool: ThreadPoolExecutor | None = None
_lock = threading.Lock()
_inside = threading.local()  # set in pool threads: a nested split() runs inline


def get_num_threads() -> int:
    """The threads elementwise kernels use (torch.get_num_threads)."""
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


def parallel(*arrays: Any) -> bool:
    """Whether a one-pass kernel over these NumPy arrays is worth splitting over threads:
    all C-contiguous, of one size >= MIN_PARALLEL, and more than one thread."""
    first = arrays[0]
    return (
        isinstance(first, np.ndarray)
        and first.size >= MIN_PARALLEL
        and get_num_threads() > 1
        and all(
            isinstance(a, np.ndarray) and a.flags.c_contiguous and a.size == first.size
            for a in arrays
        )
    )


def flat(*arrays: Any) -> list[Any]:
    """1-D views of C-contiguous arrays (no copies), for slicing into ranges."""
    return [a.reshape(-1) for a in arrays]
