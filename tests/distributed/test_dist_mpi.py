"""The distributed checks under `mpiexec -n 2` (tests/distributed/worker_checks.py): one
launch runs them all, each test reads its verdict. Skipped, saying why, without mpi4py or
mpiexec."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def mpi_skip_reason() -> str | None:
    if importlib.util.find_spec("mpi4py") is None:
        return "mpi4py is not installed (pip install mpi4py mpich, or the mpi extra)"
    if shutil.which("mpiexec") is None:
        return "no mpiexec on PATH (pip install mpich, or load your MPI)"
    return None


def mpi_env() -> dict[str, str]:
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    for name in ("PMI_SIZE", "PMI_RANK", "OMPI_COMM_WORLD_SIZE", "PMIX_SIZE"):
        env.pop(name, None)  # a launcher's variables, should pytest itself run under one
    return env


def run_mpi(args: list[str], n: int = 2, timeout: float = 120) -> subprocess.CompletedProcess:
    cmd = ["mpiexec", "-n", str(n), sys.executable, "-m", "mpi4py", *args]
    return subprocess.run(
        cmd, cwd=ROOT, env=mpi_env(), capture_output=True, text=True, timeout=timeout
    )


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
    ],
)
def test_two_processes(verdicts, check):
    assert verdicts["world"] == 2
    assert verdicts[check] == "", verdicts[check]
    assert verdicts["worst"][check] <= 1e-6
