"""`import minigrad` before NumPy sets OPENBLAS_THREAD_TIMEOUT=18, so NumPy's idle OpenBLAS
workers sleep soon after a product, and the elementwise threads then default to the BLAS's
count; otherwise (NumPy first, or the variable set to a long spin) they stay at one. Each
case runs in a fresh interpreter: import order is the point."""

import json
import os
import subprocess
import sys

import pytest

from minigrad import threads

PROBE = """
import json, os, sys
{first}
import minigrad as mg
from minigrad import _openblas
print(json.dumps({{"threads": mg.get_num_threads(),
                  "timeout": os.environ.get("OPENBLAS_THREAD_TIMEOUT"),
                  "set_here": _openblas.set_here}}))
"""

CLEAN = ("OPENBLAS_THREAD_TIMEOUT", "MINIGRAD_NUM_THREADS", "GOTO_NUM_THREADS") + threads.BLAS_ENV


def _last_line(code: str, **env: str) -> str:
    """The last line `code` prints in a fresh interpreter, in this environment without the
    thread variables, plus `env`."""
    e = {k: v for k, v in os.environ.items() if k not in CLEAN} | env
    p = subprocess.run(
        [sys.executable, "-c", code], env=e, capture_output=True, text=True, timeout=120
    )
    assert p.returncode == 0, p.stderr[-2000:]
    return p.stdout.strip().splitlines()[-1]


def _probe(first: str = "", **env: str) -> dict:
    return json.loads(_last_line(PROBE.format(first=first), **env))


_usable_cores = threads.usable_cores
needs_openblas = pytest.mark.skipif(
    not threads.numpy_blas_is_openblas(), reason="NumPy's BLAS is not OpenBLAS"
)


@needs_openblas
def test_minigrad_first_sets_the_timeout_and_takes_the_blas_thread_count():
    n = min(2, _usable_cores())
    got = _probe(OPENBLAS_NUM_THREADS=str(n))
    assert got == {"threads": n, "timeout": "18", "set_here": True}
    assert _probe(OMP_NUM_THREADS=str(n))["threads"] == n  # OpenBLAS's own order
    assert _probe(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS=str(n))["threads"] == 1
    assert _probe(OPENBLAS_NUM_THREADS="none", OMP_NUM_THREADS=str(n))["threads"] == n
    assert _probe()["threads"] == _usable_cores()
    # no more than the usable cores, as OpenBLAS
    assert _probe(OPENBLAS_NUM_THREADS=str(_usable_cores() + 3))["threads"] == _usable_cores()


def test_numpy_first_keeps_openblas_default_and_one_thread():
    got = _probe(first="import numpy", OPENBLAS_NUM_THREADS="3")
    assert got == {"threads": 1, "timeout": None, "set_here": False}


@needs_openblas
def test_a_timeout_set_by_the_user_is_kept_and_decides():
    long_spin = _probe(OPENBLAS_THREAD_TIMEOUT="28", OPENBLAS_NUM_THREADS="2")
    assert long_spin == {"threads": 1, "timeout": "28", "set_here": False}
    n = min(2, _usable_cores())
    short = _probe(first="import numpy", OPENBLAS_THREAD_TIMEOUT="4", OPENBLAS_NUM_THREADS="2")
    assert short == {"threads": n, "timeout": "4", "set_here": False}
    bad = _probe(OPENBLAS_THREAD_TIMEOUT="soon", OPENBLAS_NUM_THREADS="2")
    assert bad["threads"] == 1 and bad["timeout"] == "soon"


def test_minigrad_num_threads_overrides_the_default():
    assert _probe(MINIGRAD_NUM_THREADS="1", OPENBLAS_NUM_THREADS="2")["threads"] == 1
    assert _probe(first="import numpy", MINIGRAD_NUM_THREADS="3")["threads"] == 3


SPIN = """
import os, time
{first}
import minigrad
import numpy as np

def other_threads_cpu():
    total = 0
    for t in os.listdir("/proc/self/task"):
        if t != str(os.getpid()):
            with open(f"/proc/self/task/{{t}}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks
    return total

a = np.ones((512, 512), np.float32)
a @ a
time.sleep(0.5)
a @ a  # the workers' last product
before = other_threads_cpu()
time.sleep(0.1)
print(other_threads_cpu() - before)
"""


@needs_openblas
@pytest.mark.skipif(
    not os.path.isdir("/proc/self/task") or _usable_cores() < 2,
    reason="needs Linux /proc and two usable cores",
)
def test_openblas_workers_stop_spinning_after_a_product():
    """CPU time of the non-main threads in the 0.1 s after a product: OpenBLAS's worker
    spins through all of it by default (10 ticks of 10 ms measured), and sleeps at once
    with minigrad imported first."""

    def ticks(first: str) -> int:
        return int(_last_line(SPIN.format(first=first), OPENBLAS_NUM_THREADS="2"))

    # the control first: NumPy imported first, OpenBLAS's default worker spins. On a busy
    # machine the spinning thread is not scheduled and its ticks drop, so the measure
    # cannot tell spin from sleep: tried three times, then the test skips as inconclusive
    # (it failed a user's busy-machine run of the README's test command before).
    for _ in range(3):
        control = ticks(first="import numpy")
        if control >= 3:
            break
    else:
        pytest.skip(
            f"inconclusive: OpenBLAS's spinning default worker showed {control} ticks of "
            "10 ms (3 or more expected); the machine is too busy to measure spin"
        )
    assert ticks(first="") <= 2
