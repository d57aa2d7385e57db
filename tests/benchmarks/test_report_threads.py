"""benchmarks.report.blas_threads: without threadpoolctl, the count it reports for NumPy's
OpenBLAS is the one minigrad.threads reads (the variables in OpenBLAS's order, capped at the
usable cores), and the source names the variable that decided it."""

import builtins
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import benchmarks.report as report  # noqa: E402
import minigrad as mg  # noqa: E402

VARS = ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


@pytest.fixture
def no_threadpoolctl(monkeypatch):
    real_import = builtins.__import__

    def guarded(name, *args, **kwargs):
        if name == "threadpoolctl":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", guarded)
    for var in VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(mg.threads, "usable_cores", lambda: 2)
    monkeypatch.setattr(mg.threads, "numpy_blas_is_openblas", lambda: True)
    return monkeypatch


@pytest.mark.parametrize(
    "env, count, source",
    [
        ({}, 2, "usable cores"),
        ({"OMP_NUM_THREADS": "1"}, 1, "$OMP_NUM_THREADS"),
        ({"GOTO_NUM_THREADS": "1", "OMP_NUM_THREADS": "2"}, 1, "$GOTO_NUM_THREADS"),
        ({"OPENBLAS_NUM_THREADS": " 1 ", "GOTO_NUM_THREADS": "2"}, 1, "$OPENBLAS_NUM_THREADS"),
        ({"OPENBLAS_NUM_THREADS": "abc", "OMP_NUM_THREADS": "1"}, 1, "$OMP_NUM_THREADS"),
        ({"OPENBLAS_NUM_THREADS": "0", "OMP_NUM_THREADS": "1"}, 1, "$OMP_NUM_THREADS"),
        ({"OPENBLAS_NUM_THREADS": "8"}, 2, "$OPENBLAS_NUM_THREADS, capped at the 2 usable"),
        ({"MKL_NUM_THREADS": "1"}, 2, "usable cores"),  # OpenBLAS does not read MKL's
    ],
)
def test_openblas_count_and_source_agree_with_minigrad(no_threadpoolctl, env, count, source):
    for var, value in env.items():
        no_threadpoolctl.setenv(var, value)
    n, where = report.blas_threads()
    assert n == count == mg.threads.blas_threads()
    assert where.startswith(source)
    assert "threadpoolctl not installed" in where


def test_another_blas_reads_mkl_and_openmp_variables(no_threadpoolctl):
    no_threadpoolctl.setattr(mg.threads, "numpy_blas_is_openblas", lambda: False)
    no_threadpoolctl.setenv("MKL_NUM_THREADS", "1")
    assert report.blas_threads() == (1, "$MKL_NUM_THREADS (threadpoolctl not installed)")
    no_threadpoolctl.delenv("MKL_NUM_THREADS")
    assert report.blas_threads() == (2, "usable cores (threadpoolctl not installed)")
