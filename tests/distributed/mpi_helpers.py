"""Running the distributed tests' programs under mpiexec, or saying why they cannot run."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


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
