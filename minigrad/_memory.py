"""Keep freed memory in the process for the next array (glibc's malloc on Linux).

A training step allocates and frees the same large arrays every iteration. By default
glibc hands each array above 128 KiB-32 MiB straight back to the kernel when it is freed
(`munmap`, or a trim of the heap), so the next step's array of the same size starts as
fresh pages and takes one page fault per 4 KiB on first touch. On the 2-core test machine
that cost more than the arithmetic: batch norm's forward and backward on (64, 128, 7, 7)
made 1,600 page faults and took 11.6 ms per call, 4.3 ms with the settings below (PyTorch:
230 faults, 3.8 ms); the DCGAN and triplet steps made 4,500 and 7,100 faults each.

So, once at import, arrays up to `MMAP_THRESHOLD` come from the heap and freed heap memory
is kept (`M_TRIM_THRESHOLD`), as jemalloc or tcmalloc would. Memory is still freed as soon
as the graph lets go of it, and reused by the next allocation; the process's resident size
stays at its peak instead of shrinking between steps. `MINIGRAD_KEEP_FREED_MEMORY=0`
leaves malloc as it was. Other platforms and C libraries: nothing is changed.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

MMAP_THRESHOLD = 1 << 30  # arrays up to 1 GiB from the heap
TRIM_THRESHOLD = 1 << 30  # keep up to 1 GiB of freed heap memory for reuse
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt's parameter numbers (malloc.h)

applied = False  # whether the settings took effect in this process


def keep_freed_memory() -> bool:
    """Apply the settings (once); whether they are in effect."""
    global applied
    if applied:
        return True
    if os.environ.get("MINIGRAD_KEEP_FREED_MEMORY", "1") == "0" or sys.platform != "linux":
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt  # glibc only: musl and others have no mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    applied = bool(
        mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) and mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
    return applied
