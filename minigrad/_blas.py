"""Prime NumPy's BLAS with one mid-sized float32 product at import.

Measured on the 2-core test machine (an "AMD EPYC" virtual CPU, NumPy 2.4 with its bundled
OpenBLAS 0.3.31, which picks its Haswell kernels there), one thread: until a process has
run one float32 product whose sides are all about 384 or more, some mid-sized products
run at a third of the speed they reach afterwards, for as long as the process lives.
(128, 512) @ (512, 128), the weight gradient of a 128-unit layer on a batch of 512, takes
1.69 ms (10 GFLOP/s) before and 0.48 ms (35 GFLOP/s) after; (128, 128) @ (128, 128) runs at
full speed either way. The 2-D grid GAN never multiplies anything that large, so all of
its 50,000 steps ran in the slow state (22.8 ms a step, 19.8 ms primed); the DCGAN job's
steps were 7-12% slower than with the product primed.

One (384, 384) @ (384, 384) product at import (about 3 ms) moves the process to the fast
state. It changes no result: a BLAS computes each product the same way in either state.
`MINIGRAD_PRIME_BLAS=0` skips it; `python -m benchmarks.blas_prime` measures both states
on this machine. Where the same OpenBLAS picks its SkylakeX (AVX-512) kernels instead (the
2-core machine of the 2026-12 measurements) there is no slow state to leave: primed and
unprimed took the same time on every case (ratios 1.00-1.01).
"""

from __future__ import annotations

import os

import numpy as np

SIZE = 384  # (256, 256) @ (256, 256) did not move the process out of the slow state

primed = False  # whether the product ran in this process


def prime() -> bool:
    """Run the priming product once, unless MINIGRAD_PRIME_BLAS=0; whether it ran."""
    global primed
    if not primed and os.environ.get("MINIGRAD_PRIME_BLAS", "1") != "0":
        a = np.ones((SIZE, SIZE), np.float32)
        a @ a
        primed = True
    return primed
