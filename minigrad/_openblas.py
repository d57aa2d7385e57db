"""How NumPy's OpenBLAS workers wait, set before NumPy is first imported.

After a product, OpenBLAS's idle worker threads spin on their cores for 2^28 cycles (about
0.14 s here) before they sleep, and inside a training step minigrad's elementwise threads
need those cores (minigrad/threads.py measures it). OpenBLAS reads OPENBLAS_THREAD_TIMEOUT
once, when NumPy loads it, so this module runs first in `import minigrad`: if NumPy is not
imported yet and the variable is not set, it sets it to 16 (2^16 cycles, some 30
microseconds). It changes no result, only how long an idle worker spins. A program that
imports NumPy before minigrad keeps OpenBLAS's default, and minigrad then keeps its
elementwise work on one thread unless told otherwise (`minigrad.set_num_threads`).
"""

from __future__ import annotations

import os
import sys

VAR = "OPENBLAS_THREAD_TIMEOUT"
VALUE = "16"

# whether this import set it (False: NumPy came first, or the variable was already set)
set_here = "numpy" not in sys.modules and VAR not in os.environ
if set_here:
    os.environ[VAR] = VALUE
