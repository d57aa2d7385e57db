"""minigrad keeps freed memory for reuse (glibc): a training-like loop of large arrays
stops page-faulting once minigrad is imported; MINIGRAD_KEEP_FREED_MEMORY=0 opts out."""

import os
import subprocess
import sys

import pytest

PROBE = """
import resource, numpy as np
import minigrad as mg
from minigrad import _memory
from minigrad.nn import functional as F
# 36 MB arrays: above the 32 MiB up to which glibc's own dynamic threshold would move
# freed arrays of one size to the heap once they have been freed a few times
x = np.random.default_rng(0).standard_normal((16, 128, 66, 66)).astype(np.float32)
w, b = np.ones(128, np.float32), np.zeros(128, np.float32)


def step():  # batch norm's forward and backward: a few large arrays made and freed
    tx, tw, tb = (mg.tensor(a, requires_grad=True) for a in (x, w, b))
    F.batch_norm(tx, None, None, tw, tb, training=True).sum().backward()


for _ in range(2):
    step()
r0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(5):
    step()
print(_memory.applied, (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - r0) / 5)
"""


def _probe(**env):
    base = {k: v for k, v in os.environ.items() if k != "MINIGRAD_KEEP_FREED_MEMORY"}
    p = subprocess.run(
        [sys.executable, "-c", PROBE], env=base | env, capture_output=True, text=True, timeout=120
    )
    assert p.returncode == 0, p.stderr
    applied, faults = p.stdout.split()
    return applied == "True", float(faults)


@pytest.mark.skipif(sys.platform != "linux", reason="glibc's mallopt only")
def test_freed_arrays_are_reused_without_page_faults():
    applied, faults = _probe()
    if not applied:
        pytest.skip("this C library has no mallopt (not glibc)")
    assert faults < 50  # measured: none
    applied_off, faults_off = _probe(MINIGRAD_KEEP_FREED_MEMORY="0")
    # measured 1,600-2,200 a step (fewer than 4 KiB pages would make: huge pages)
    assert not applied_off and faults_off > 500
