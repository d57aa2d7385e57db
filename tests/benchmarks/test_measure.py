"""benchmarks.measure: each backend's steps run back to back in blocks, the blocks rotate
between backends, the first step of each block is not timed, and a failing backend is
recorded and dropped without stopping the others."""

import sys
import time
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import benchmarks.__main__ as bench  # noqa: E402


@pytest.fixture
def calls(monkeypatch):
    monkeypatch.setattr(bench, "SETTLE_S", 0.0)
    monkeypatch.setattr(bench, "BLOCK", 3)
    log: list[str] = []

    def builder(name, fail_at=None):
        count = [0]

        def step():
            count[0] += 1
            log.append(name)
            if fail_at is not None and count[0] >= fail_at:
                raise ValueError(f"{name} broke")

        return lambda: step

    return log, builder


def test_blocks_alternate_and_the_first_step_of_each_is_untimed(calls):
    log, builder = calls
    res = bench.measure({"numpy": builder("numpy"), "torch": builder("torch")}, 2, 7, None)
    # warm-up 2 each; then rounds of blocks (1 untimed + up to 3 timed), order rotating
    want = ["numpy"] * 2 + ["torch"] * 2
    want += ["numpy"] * 4 + ["torch"] * 4  # round 0: 3 timed each
    want += ["torch"] * 4 + ["numpy"] * 4  # round 1: rotated
    want += ["numpy"] * 2 + ["torch"] * 2  # round 2: the 7th repeat
    assert log == want
    assert len(res["numpy"]["repeats_ms"]) == 7 and len(res["torch"]["repeats_ms"]) == 7


def test_a_failing_backend_is_recorded_and_the_other_still_timed(calls):
    log, builder = calls
    res = bench.measure({"numpy": builder("numpy", fail_at=4), "torch": builder("torch")}, 1, 5, 10)
    assert "numpy broke" in res["numpy"]["error"]
    assert len(res["torch"]["repeats_ms"]) == 5 and res["torch"]["gflops"] > 0
    assert log.count("numpy") == 4  # nothing after the failure


def test_each_round_of_blocks_leaves_its_median(calls):
    log, builder = calls
    res = bench.measure({"numpy": builder("numpy"), "torch": builder("torch")}, 0, 7, None)
    for r in res.values():
        ms = r["repeats_ms"]
        # rounds of 3, 3 and 1 timed steps, in the order they ran
        want = [float(np.median(ms[0:3])), float(np.median(ms[3:6])), ms[6]]
        assert r["block_medians_ms"] == pytest.approx(want)


def test_the_ratio_shows_its_range_over_rounds():
    from benchmarks.report import ratio

    def result(medians):
        return {"median_ms": float(np.median(medians)), "block_medians_ms": medians}

    res = {"numpy": result([12.0, 10.0, 11.0]), "torch": result([10.0, 10.0, 10.0])}
    assert ratio(res, "numpy", "torch") == "1.10 (1.00-1.20)"
    one_round = {"numpy": result([12.0]), "torch": result([10.0])}
    assert ratio(one_round, "numpy", "torch") == "1.20"
    older = {"numpy": {"median_ms": 3.0}, "torch": {"median_ms": 2.0}}  # a run without them
    assert ratio(older, "numpy", "torch") == "1.50"
    failed = {"numpy": {"error": "x"}, "torch": result([10.0, 10.0])}
    assert ratio(failed, "numpy", "torch") == "-"
    uneven = {"numpy": result([12.0, 10.0]), "torch": result([10.0, 10.0, 10.0])}
    assert ratio(uneven, "numpy", "torch") == f"{11.0 / 10.0:.2f}"


def test_each_block_reads_the_machines_state_first(calls, monkeypatch):
    log, builder = calls
    readings = iter(range(100, 200))

    def probe():
        log.append("probe")
        return float(next(readings))

    monkeypatch.setattr(bench, "host_probe", probe)
    res = bench.measure({"numpy": builder("numpy"), "torch": builder("torch")}, 0, 4, None)
    # two rounds (3 timed, then 1), each block opened by a probe before its untimed step
    assert (
        log
        == ["probe"]
        + ["numpy"] * 4
        + ["probe"]
        + ["torch"] * 4
        + ["probe"]
        + ["torch"] * 2
        + ["probe"]
        + ["numpy"] * 2
    )
    assert res["numpy"]["probe_us"] == [100.0, 103.0]
    assert res["torch"]["probe_us"] == [101.0, 102.0]
    assert len(res["numpy"]["probe_us"]) == len(res["numpy"]["block_medians_ms"])


def test_the_probe_times_real_products():
    us = bench.host_probe()
    assert 0 < us < 1e6  # microseconds per 256^3 product: a real, finite measurement


def test_a_workload_with_flops_times_its_backends_peak_before_each_block(calls, monkeypatch):
    """The matmul peak of the block's own backend opens each block, before the probe and
    the untimed step; one value per block is kept, beside the probe's."""
    log, builder = calls
    peaks = iter(range(200, 300))

    def peak(name, n, repeat):
        log.append(f"peak {name} {n} x{repeat}")
        return float(next(peaks))

    def probe():
        log.append("probe")
        return 1.0

    monkeypatch.setattr(bench, "matmul_peak", peak)
    monkeypatch.setattr(bench, "host_probe", probe)
    sizes = {"numpy": 64, "torch": 32}
    both = {"numpy": builder("numpy"), "torch": builder("torch")}
    res = bench.measure(both, 0, 4, 10, None, sizes)
    n = bench.PEAK_BLOCK_REPEAT
    assert log == (
        [f"peak numpy 64 x{n}", "probe"]
        + ["numpy"] * 4
        + [f"peak torch 32 x{n}", "probe"]
        + ["torch"] * 4
        + [f"peak torch 32 x{n}", "probe"]
        + ["torch"] * 2
        + [f"peak numpy 64 x{n}", "probe"]
        + ["numpy"] * 2
    )
    assert res["numpy"]["block_peak_gflops"] == [200.0, 203.0]
    assert res["torch"]["block_peak_gflops"] == [201.0, 202.0]
    # no FLOP count, or no sizes: no peak, and no field
    log.clear()
    for flops, sz in ((None, sizes), (10, None)):
        res = bench.measure({"numpy": builder("numpy")}, 0, 2, flops, None, sz)
        assert "block_peak_gflops" not in res["numpy"]
    assert not any(e.startswith("peak") for e in log)
    # a backend left out of the sizes (a GPU's) gets none either
    both = {"numpy": builder("numpy"), "torch": builder("torch")}
    res = bench.measure(both, 0, 2, 10, None, {"numpy": 8})
    assert "block_peak_gflops" in res["numpy"] and "block_peak_gflops" not in res["torch"]


def test_the_peak_times_real_products_and_keeps_its_operands():
    first = bench.matmul_peak("numpy", 64, 2)
    x, y = bench._peak_operands["numpy", 64]
    again = bench.matmul_peak("numpy", 64, 2)
    assert bench._peak_operands["numpy", 64][0] is x  # made once
    assert first > 0 and again > 0 and np.isfinite(again)


def test_a_short_step_gets_whole_blocks_up_to_the_cap(monkeypatch):
    monkeypatch.setattr(bench, "BLOCK", 5)
    assert bench.repeats_for(10, 0.008, 0.6, 40) == 40  # 75 wanted, capped at 40
    assert bench.repeats_for(10, 0.05, 0.6, 40) == 15  # 12 wanted: whole blocks
    assert bench.repeats_for(10, 0.2, 0.6, 40) == 10  # long steps keep `repeat`
    assert bench.repeats_for(10, 0.008, 0.0, 40) == 10  # no minimum: `repeat` exactly
    assert bench.repeats_for(10, 0.0, 0.6, 40) == 10  # no warm-up time to go by


def test_measure_takes_its_repeats_from_the_slowest_warm_up(calls, monkeypatch):
    log, builder = calls  # BLOCK 3, no settle
    seen = []

    def fake_repeats(repeat, step_s, min_seconds, max_repeat):
        seen.append((repeat, step_s, min_seconds, max_repeat))
        return 7

    monkeypatch.setattr(bench, "repeats_for", fake_repeats)

    def slow(name, seconds):
        def step():
            log.append(name)
            t0 = time.perf_counter()
            while time.perf_counter() - t0 < seconds:
                pass

        return lambda: step

    builders = {"numpy": slow("numpy", 0.004), "torch": slow("torch", 0.001)}
    res = bench.measure(builders, 1, 3, None, None, None, min_seconds=0.5, max_repeat=30)
    ((repeat, step_s, min_seconds, max_repeat),) = seen
    assert (repeat, min_seconds, max_repeat) == (3, 0.5, 30)
    assert step_s >= 0.004  # the slower backend's warm-up run
    for r in res.values():  # its answer is the number of timed runs: blocks of 3, 3 and 1
        assert len(r["repeats_ms"]) == 7 and len(r["block_medians_ms"]) == 3


def test_full_mode_gives_a_long_step_four_blocks():
    """A step of 0.2 s (DCGAN at one thread) gets four blocks per backend in the full run,
    not the two that let one slow block decide its ratio; a short one still gets 40 runs."""
    full = bench.SETTINGS["full"]
    args = full["min_seconds"], full["max_repeat"]
    assert bench.repeats_for(full["repeat"], 0.2, *args) == 4 * bench.BLOCK
    assert bench.repeats_for(full["repeat"], 0.5, *args) == 4 * bench.BLOCK
    assert bench.repeats_for(full["repeat"], 0.008, *args) == 40
