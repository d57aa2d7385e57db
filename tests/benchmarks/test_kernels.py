"""benchmarks.kernels: the kernels alone, timed in blocks as the workloads are (the first
run of each block untimed, the blocks alternating between the libraries), a row per case
with both libraries and their ratio, and a failing case named in the error."""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import benchmarks.__main__ as bench  # noqa: E402
import benchmarks.kernels as kernels  # noqa: E402

torch = pytest.importorskip("torch")


def _small_cases(log):
    """One small case whose bodies log which library ran."""

    def mg_body(x):
        log.append("minigrad")
        return x * 2.0

    def torch_body(x):
        log.append("torch")
        return x * 2.0

    rng = np.random.default_rng(0)
    return [
        dict(
            name="double 4x3",
            arrays={"x": rng.standard_normal((4, 3)).astype(np.float32)},
            out=(4, 3),
            mg=mg_body,
            torch=torch_body,
            flops=24,
        )
    ]


@pytest.fixture
def small(monkeypatch):
    log = []
    monkeypatch.setattr(kernels, "_cases", lambda rng: _small_cases(log))
    monkeypatch.setattr(kernels, "matmul_gflops", lambda: {"numpy": 1.0, "torch": 1.0})
    monkeypatch.setattr(bench, "BLOCK", 3)
    return log


def test_runs_in_blocks_with_the_first_run_of_each_untimed(small):
    report = kernels.run(repeat=6, warmup=1, threads=1, pause=0.0)
    # warm-up 1 each, then blocks of 1 untimed + 3 timed, two blocks each, alternating
    # (the order rotates each round)
    assert small == ["minigrad", "torch"] + (["minigrad"] * 4 + ["torch"] * 4) + (
        ["torch"] * 4 + ["minigrad"] * 4
    )
    (row,) = report["results"]
    for lib in ("minigrad", "torch"):
        assert len(row[lib]["repeats_ms"]) == 6
        assert row[lib]["min_ms"] <= row[lib]["median_ms"] <= row[lib]["max_ms"]
        assert row[lib]["gflops"] == pytest.approx(24 / (row[lib]["median_ms"] * 1e6))
    assert row["ratio"] == pytest.approx(row["minigrad"]["median_ms"] / row["torch"]["median_ms"])
    assert report["pause_s"] == 0.0 and report["repeat"] == 6


def test_the_pause_comes_before_each_block(small, monkeypatch):
    sleeps = []
    monkeypatch.setattr(bench.time, "sleep", sleeps.append)
    kernels.run(repeat=6, warmup=0, threads=1, pause=0.125)
    assert sleeps == [0.125] * 4  # two blocks per library


def test_a_failing_case_is_named(monkeypatch):
    def broken(x):
        raise ValueError("no kernel")

    case = _small_cases([])[0] | {"mg": broken}
    monkeypatch.setattr(kernels, "_cases", lambda rng: [case])
    monkeypatch.setattr(kernels, "matmul_gflops", lambda: {"numpy": 1.0})
    with pytest.raises(RuntimeError, match=r"double 4x3 on minigrad: .*no kernel"):
        kernels.run(repeat=2, warmup=0, threads=1, pause=0.0)


def test_the_real_cases_give_a_table_and_json(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(bench, "BLOCK", 1)
    out = tmp_path / "k.json"
    kernels.main(
        ["--repeat", "1", "--warmup", "0", "--threads", "1", "--pause", "0", "--json", str(out)]
    )
    text = capsys.readouterr().out
    data = json.loads(out.read_text())
    names = [r["name"] for r in data["results"]]
    assert names == [c["name"] for c in kernels._cases(np.random.default_rng(0))]
    for r in data["results"]:
        assert r["name"] in text and r["ratio"] > 0
    assert "its 3 NumPy GEMMs alone" in text
