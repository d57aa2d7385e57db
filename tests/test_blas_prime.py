"""minigrad primes NumPy's BLAS with one mid-sized product at import (minigrad/_blas.py);
MINIGRAD_PRIME_BLAS=0 opts out, and no result depends on it: the products and a short
training run give the same bits either way. (How fast each state is belongs to
`python -m benchmarks.blas_prime`, not to a test.)"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from train import common

PROBE = """
import hashlib, json, sys
import numpy as np
import minigrad as mg
from minigrad import _blas
from train import gan

rng = np.random.default_rng(0)
digest = hashlib.sha256()
for m, k, n in [(128, 512, 128), (512, 256, 128), (3, 1, 5), (0, 4, 2), (1, 384, 1)]:
    a = rng.standard_normal((m, k), dtype=np.float32)
    b = rng.standard_normal((k, n), dtype=np.float32)
    digest.update((a @ b).tobytes())
    digest.update((a[:, ::-1] @ b.T.copy().T).tobytes())  # views: reversed, F-ordered
x = mg.tensor(rng.standard_normal((512, 128), dtype=np.float32), requires_grad=True)
w = mg.tensor(rng.standard_normal((128, 128), dtype=np.float32), requires_grad=True)
mg.nn.functional.linear(x, w).sum().backward()
digest.update(w.grad.numpy().tobytes())
run = sys.argv[1]
gan.main(["--dataset", "grid", "--steps", "3", "--steps-per-epoch", "3", "--hidden", "16",
          "--eval-samples", "0", "--device", "cpu", "--out", run])
print(json.dumps({"primed": _blas.primed, "digest": digest.hexdigest()}))
"""


def _probe(run_dir, **env):
    base = {k: v for k, v in os.environ.items() if k != "MINIGRAD_PRIME_BLAS"}
    p = subprocess.run(
        [sys.executable, "-c", PROBE, str(run_dir)],
        env=base | env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout.strip().splitlines()[-1])


def _array(value):
    """A state entry's values: a minigrad Tensor's, or a saved NumPy array's."""
    return value.numpy() if hasattr(value, "numpy") else np.asarray(value)


@pytest.mark.parametrize("threads", ["1", "2"])
def test_priming_is_on_by_default_can_be_skipped_and_changes_no_bits(tmp_path, threads):
    threads_env = {"OPENBLAS_NUM_THREADS": threads, "OMP_NUM_THREADS": threads}
    on = _probe(tmp_path / "on", **threads_env)
    off = _probe(tmp_path / "off", MINIGRAD_PRIME_BLAS="0", **threads_env)
    assert on["primed"] is True and off["primed"] is False
    assert on["digest"] == off["digest"]
    sa = common.load_checkpoint(tmp_path / "on")["state"]
    sb = common.load_checkpoint(tmp_path / "off")["state"]
    arrays = [(sa[n], sb[n]) for n in ("G", "D")] + [
        (sa["ema_G"]["averages"], sb["ema_G"]["averages"])
    ]
    for a, b in arrays:
        assert a.keys() == b.keys()
        for k in a:
            assert _array(a[k]).tobytes() == _array(b[k]).tobytes(), k
