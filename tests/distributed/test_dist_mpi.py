"""The distributed checks under `mpiexec -n 2` (tests/distributed/worker_checks.py): one
launch runs them all, each test reads its verdict. Skipped, saying why, without mpi4py or
mpiexec."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mpi_helpers import mpi_skip_reason, run_mpi

HERE = Path(__file__).resolve().parent


pytestmark = pytest.mark.skipif(mpi_skip_reason() is not None, reason=str(mpi_skip_reason()))


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("mpi") / "checks.json"
    proc = run_mpi([str(HERE / "worker_checks.py"), str(out)])
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads(out.read_text())


@pytest.mark.parametrize(
    "check",
    [
        "collectives",
        "mlp_gan",
        "dcgan_syncbn",
        "wgan_gp_critic",
        "gp_through_syncbn",
        "overlap_on_off",
        "no_sync",
        "sampler",
        "unused_parameter",
    ],
)
def test_two_processes(verdicts, check):
    assert verdicts["world"] == 2
    assert verdicts[check] == "", verdicts[check]
    assert verdicts["worst"][check] <= 1e-6
