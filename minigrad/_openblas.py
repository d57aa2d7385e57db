"""How NumPy's OpenBLAS workers wait, set before NumPy is first imported.

After a product, OpenBLAS's idle worker threads spin on their cores for 2^28 cycles (about
0.14 s here) before they sleep, and inside a training step minigrad's elementwise threads
need those cores (minigrad/threads.py measures it). OpenBLAS reads OPENBLAS_THREAD_TIMEOUT
once, when NumPy loads it, so this module runs first in `import minigrad`: if NumPy is not
imported yet and the variable is not set, it sets it to 18 (2^18 cycles, some 0.1 ms:
longer than most gaps between the products of a small model's step; the convolutional
steps, whose elementwise threads follow their products, measured no slower than at 16,
while at 20 the triplet iteration did; threads.py has the figures). It changes no
result, only how long an idle worker spins. A program that
imports NumPy before minigrad keeps OpenBLAS's default, and minigrad then keeps its
elementwise work on one thread unless told otherwise (`minigrad.set_num_threads`).
"""

from __future__ import annotations

import os
import sys

VAR = "OPENBLAS_THREAD_TIMEOUT"
VALUE = "18"

# whether this import set it (False: NumPy came first, or the variable was already set)
set_here = "numpy" not in sys.modules and VAR not in os.environ
if set_here:
    os.environ[VAR] = VALUE
