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


# ------------------------------------------------------------ --runs: mean +- std over runs
def _run(ratios_by_workload, peak=100.0, load=0.5):
    """A results.json-like dict: one workload per entry of `ratios_by_workload`, each with
    numpy's and torch's medians (torch at 10 ms, numpy at ratio * 10; None: numpy failed)."""
    workloads = []
    for name, r in ratios_by_workload.items():
        res = {"torch": {"median_ms": 10.0, "gflops": 50.0}}
        if r is not None:
            res["numpy"] = {"median_ms": 10.0 * r, "gflops": 50.0 / r}
        workloads.append({"name": name, "kind": "model", "flops": 1, "results": res})
    return {
        "backends_run": ["numpy", "torch"],
        "machine": {"cpu": "test CPU"},
        "meta": {"load_start": load},
        "peak": {"gflops": {"numpy": peak, "torch": peak}},
        "workloads": workloads,
    }


def test_runs_markdown_gives_mean_std_and_range_per_thread_count():
    repeats = [
        {1: _run({"step": 1.0, "op": 2.0}), 2: _run({"step": 1.5, "op": None})},
        {1: _run({"step": 2.0, "op": 2.0}), 2: _run({"step": 2.5, "op": 3.0})},
    ]
    md = report.sweep_runs_markdown(repeats)
    assert "| workload | numpy / torch, 1 thr | numpy / torch, 2 thr |" in md
    # step: 1 thread runs 1.0 and 2.0, 2 threads 1.5 and 2.5 (sample std 0.71)
    assert "| step | 1.50 +- 0.71 (1.00-2.00) | 2.00 +- 0.71 (1.50-2.50) |" in md
    # op: numpy failed in one 2-thread run: that cell is the one run's value, said so
    assert "| op | 2.00 +- 0.00 (2.00-2.00) | 3.00 (1 runs) |" in md
    # shares of the peak: numpy at 50 / ratio GFLOP/s of a 100 GFLOP/s peak
    # (1 thread: 50 and 25; 2 threads: 33.3 and 20)
    assert "| step | 38 +- 18 (25-50) | 27 +- 9 (20-33) | 50 +- 0 (50-50) | 50 +- 0 (50-50) |" in md
    assert "| op | 25 +- 0 (25-25) | 17 (1 runs) |" in md
    assert "2 runs of one `python -m benchmarks` per thread count (1, 2)" in md


def test_the_share_of_the_peak_beside_the_blocks_is_given_with_the_runs():
    """A run whose peak came from the fast state and whose step's blocks from the slow one:
    the share of the run's peak is low, that of the peaks timed before the blocks is not."""
    runs = []
    for local in ([60.0, 80.0], [50.0, 50.0]):
        r = _run({"step": 1.0})  # numpy at 50 GFLOP/s, the run's peak 100
        r["workloads"][0]["results"]["numpy"]["block_peak_gflops"] = local
        runs.append({2: r})
    res = runs[0][2]["workloads"][0]["results"]["numpy"]
    assert report.block_peak_share(res) == pytest.approx(100 * 50 / 70)
    assert report.block_peak_share(runs[0][2]["workloads"][0]["results"]["torch"]) is None
    md = report.sweep_runs_markdown(runs)
    assert "of the matmul peak timed before each of their own blocks" in md
    # the run's peak: 50% in both runs; beside the blocks: 71% and 100%; torch has none
    assert "| step | 50 +- 0 (50-50) | 50 +- 0 (50-50) |" in md
    assert "| step | 86 +- 20 (71-100) | - |" in md
    assert report.gflops_cell(res, 100.0) == "50.0 (50%; 71%)"
    assert report.gflops_cell({"gflops": 50.0}, 100.0) == "50.0 (50%)"  # a run before it


def test_runs_markdown_with_one_value_prints_it_plainly():
    assert report.mean_std([1.234]) == "1.23"
    assert report.mean_std([1.0, 3.0], digits=1) == "2.0 +- 1.4 (1.0-3.0)"


def test_each_run_says_the_machines_state_from_its_probes():
    fast, slow = _run({"step": 1.0}), _run({"step": 1.0})
    fast["workloads"][0]["results"]["numpy"]["probe_us"] = [190.0, 210.0]
    fast["workloads"][0]["results"]["torch"]["probe_us"] = [200.0, 205.0]
    slow["workloads"][0]["results"]["numpy"]["probe_us"] = [280.0, 300.0]
    assert report.probe_text(fast) == "202 (190-210)"  # median of all four, and the range
    assert report.probe_text(slow) == "290 (280-300)"
    assert report.probe_text(_run({"step": 1.0})) == "-"  # a run from before the probe
    md = report.sweep_runs_markdown([{2: fast}, {2: slow}])
    assert "run 1: 2 thread(s) 202 (190-210); run 2: 2 thread(s) 290 (280-300)" in md
    slow["threads"] = fast["threads"] = {}
    single = report.sweep_markdown({1: slow, 2: fast})
    assert "1 thread(s) 290 (280-300), 2 thread(s) 202 (190-210)" in single
