"""Every benchmark on every available backend, in one run:

    python -m benchmarks [--backend numpy cupy torch torch-cuda] [--quick] [--out DIR]

Backends: `numpy` (minigrad on the CPU), `cupy` (minigrad on a GPU), `torch` (PyTorch on the
CPU, same thread count as NumPy's BLAS) and `torch-cuda`; those this machine lacks are
reported as skipped. Workloads (benchmarks/workloads.py) are timed after warm-up runs, in
blocks of back-to-back steps that alternate between the backends (see `measure`); then
come the scaling curves (DCGAN iteration against batch size, conv2d against image size, as
PNG plots), peak host/GPU memory per model workload (each in
a fresh subprocess) and a per-op profile of the DCGAN iteration. Writes DIR/results.json
(every repeat), DIR/results.md (the tables) and the plots; prints the tables.

`--quick` uses tiny sizes and few repeats (well under a minute on a small CPU, for CI).
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import resource
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

import minigrad as mg
from minigrad import jobs
from train.common import nonneg_int, positive_int

from . import report
from .workloads import (
    BACKENDS,
    BY_NAME,
    WORKLOADS,
    Step,
    build,
    conv2d_flops,
    dcgan_flops,
    torch,
    unavailable_reason,
)

ROOT = Path(__file__).resolve().parents[1]

# timed repeats / warm-up runs, per mode. Full: at least four blocks of five per backend
# (a step of 0.2 s, DCGAN at one thread, got two with 10, and in one run of 2026-12-06 one
# slow block of the two made its ratio 1.31: minigrad's blocks 205 and 158 ms, PyTorch's
# 137 and 139); a short step gets more (min_seconds, repeats_for)
SETTINGS = {
    "full": dict(
        warmup=2,
        repeat=20,
        min_seconds=2.0,
        max_repeat=40,
        curve_warmup=1,
        curve_repeat=3,
        peak_n={"cpu": 2048, "cuda": 8192},
        mem_steps=3,
        profile_steps=3,
    ),
    "quick": dict(
        warmup=1,
        repeat=3,
        min_seconds=0.0,
        max_repeat=3,
        curve_warmup=1,
        curve_repeat=2,
        peak_n={"cpu": 512, "cuda": 1024},
        mem_steps=1,
        profile_steps=1,
    ),
}

CURVES = {
    "dcgan_batch": dict(
        title="DCGAN 28x28 training iteration against batch size",
        workload="DCGAN iteration",
        param="batch",
        full=[16, 32, 64, 128, 256],
        quick=[2, 4, 8],
        flops=dcgan_flops,
    ),
    "conv2d_size": dict(
        title="conv2d k4 s2 p1 forward+backward against image size",
        workload="conv2d 64->128 14x14 k4s2p1",
        param="size",
        full=[7, 14, 28, 56],
        quick=[7, 14],
        flops=conv2d_flops,
    ),
}

MEMORY_METHOD = (
    "Host: each (workload, backend) runs in a fresh Python subprocess that imports the same "
    "modules as every other (numpy, minigrad, models, torch when installed), runs one tiny op "
    "on the backend (thread pools, CUDA context; and a ReLU, which on minigrad's NumPy backend "
    "loads Numba and its compiled kernels, a fixed cost of the process like an import: the "
    "baseline line under the table shows it), builds the workload and runs {steps} "
    "iteration(s); its peak resident set is `resource.getrusage(RUSAGE_SELF).ru_maxrss`. "
    "The subprocess is started through a tiny launcher process, because at exec Linux carries "
    "the spawning process's peak RSS into the new process's ru_maxrss (the JSON also has "
    "/proc/self/status VmHWM as a cross-check). "
    "The table shows that peak minus the ru_maxrss of a baseline subprocess that does the "
    "same imports and tiny op but builds nothing, so it covers parameters, optimiser state, "
    "inputs and the largest live graph plus temporaries (and allocator caching). GPU: CuPy's "
    "default memory pool `total_bytes()` after each iteration (the pool keeps freed blocks, "
    "so this is its high-water mark) and `torch.cuda.max_memory_allocated()`."
)


LAUNCHER = "import subprocess, sys; sys.exit(subprocess.call(sys.argv[1:]))"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------- timing
def describe(exc: BaseException) -> str:
    """The error and the innermost frame of this repository that raised it."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if str(ROOT) in f.filename]
    where = ""
    if frames:
        f = frames[-1]
        where = f" (at {Path(f.filename).relative_to(ROOT)}:{f.lineno} in {f.name})"
    return f"{type(exc).__name__}: {exc}{where}"


def summary(
    seconds: list[float],
    flops: int | None,
    block_medians: list[float] | None = None,
    probes: list[float] | None = None,
    block_peaks: list[float] | None = None,
) -> dict[str, Any]:
    ms = [1e3 * s for s in seconds]
    out: dict[str, Any] = {
        "median_ms": float(np.median(ms)),
        "min_ms": float(min(ms)),
        "max_ms": float(max(ms)),
        "repeats_ms": ms,
    }
    if block_medians:  # one per round of blocks: the report's ratio range comes from them
        out["block_medians_ms"] = [1e3 * s for s in block_medians]
    if probes:  # the machine's state before each of those blocks (host_probe)
        out["probe_us"] = list(probes)
    if block_peaks:  # the matmul peak timed before each of those blocks
        out["block_peak_gflops"] = list(block_peaks)
    if flops:
        out["gflops"] = flops / (out["median_ms"] * 1e6)
    return out


# Each backend's steps run back to back in blocks of BLOCK, as in a training loop, and the
# blocks alternate between backends so that a change in the machine's load reaches both.
# Not step by step: after a product, OpenBLAS's idle worker threads keep spinning on their
# cores for about 0.14 s here (measured with /proc/self/task CPU times), so a torch step
# run right after a minigrad step shared a core with them. At 2 threads that made torch's
# DCGAN iteration 305 ms interleaved against 220 ms alone, and minigrad looked faster than
# it is. Before each block the clock waits SETTLE_S for such threads to go to sleep, and the
# block's first step (caches, thread wake-up) is not timed.
BLOCK = 5
SETTLE_S = 0.25

# The machine's state, read before each block: PROBE_REPEAT float32 products of
# PROBE_SIZE x PROBE_SIZE on NumPy's BLAS with this process's threads. On the 2-core test
# machine, at two threads, one took 184-218 us for minutes at a time and 264-307 us at
# others, and both libraries' steps slowed down with it (the DCGAN iteration: minigrad
# 83-90 ms and 104-112, PyTorch 68.5-75.5 and 83-88; docs/benchmarks.md). The report gives
# each run's probe, so that a run made in the slow state can be told from a regression.
PROBE_SIZE = 256
PROBE_REPEAT = 20
_probe_operand: np.ndarray | None = None


def host_probe() -> float:
    """Microseconds per PROBE_SIZE^2 float32 product on NumPy's BLAS, the mean of
    PROBE_REPEAT back to back (about 4-6 ms in all)."""
    global _probe_operand
    if _probe_operand is None:
        _probe_operand = np.full((PROBE_SIZE, PROBE_SIZE), 0.5, np.float32)
    a = _probe_operand
    t0 = time.perf_counter()
    for _ in range(PROBE_REPEAT):
        a @ a
    return (time.perf_counter() - t0) / PROBE_REPEAT * 1e6


# A workload with a FLOP count also has the float32 matmul peak of its backend timed before
# each of its blocks (PEAK_BLOCK_REPEAT products of the run's peak size, after one
# untimed), so that its share of the peak compares the step with what the machine gave in
# the same minute: the run's one peak, timed at its start, can come from the fast state
# and a model's blocks from the slow one (a run of 2026-12-05: the peak 202 GFLOP/s, the
# DCGAN blocks' probes 270-373 us, their share 54% of that peak). On that machine the peak
# itself read only about 5% lower beside slow-state blocks (189-195 against 199-211): the
# share falls there because the step slows down.
PEAK_BLOCK_REPEAT = 2


def repeats_for(repeat: int, step_s: float, min_seconds: float, max_repeat: int) -> int:
    """`repeat`, raised for a short step to a whole number of blocks that keeps each backend
    timed for about `min_seconds` (at most `max_repeat` runs): a step of a few
    milliseconds got two blocks of five, and on a machine that switches between a fast and
    a slow state within seconds two blocks are two samples of that switch (the MLP GAN
    iteration's blocks read 7.1 and 12.0 ms in one run of 2026-12-06). The full run's 2 s
    gives a step under 50 ms the 40 runs of eight blocks; from 100 ms its `repeat` (20,
    four blocks) holds."""
    if min_seconds <= 0 or step_s <= 0:
        return repeat
    wanted = min(max_repeat, math.ceil(min_seconds / step_s))
    return max(repeat, -(-wanted // BLOCK) * BLOCK)


def measure(
    builders: dict[str, Callable[[], Step]],
    warmup: int,
    repeat: int,
    flops: int | None,
    settle_s: float | None = None,
    peak_n: dict[str, int] | None = None,
    min_seconds: float = 0.0,
    max_repeat: int = 0,
) -> dict[str, Any]:
    """Build each backend's step, warm them up, then time `repeat` runs of each, in blocks
    of up to BLOCK back-to-back steps per backend, the backends' order rotating block by
    block, with `settle_s` (SETTLE_S unless given) of rest before each block and the
    machine's state read after it (host_probe, kept as each result's `probe_us`). With
    `min_seconds`, a short step gets more runs (`repeats_for`, from the slowest backend's
    last warm-up run). With `flops` and `peak_n` (each backend's matmul size), each block
    is opened by its backend's matmul peak (kept as `block_peak_gflops`), before the rest.
    A backend that fails is recorded with its error and left out of the rest."""
    settle = SETTLE_S if settle_s is None else settle_s
    results: dict[str, Any] = {}
    steps: dict[str, Step] = {}
    for name, make in builders.items():
        try:
            steps[name] = make()
        except Exception as exc:
            results[name] = {"error": describe(exc)}

    def run(name: str) -> float | None:
        b = BACKENDS[name]
        try:
            b.sync()
            t0 = time.perf_counter()
            steps[name]()
            b.sync()
            return time.perf_counter() - t0
        except Exception as exc:
            results[name] = {"error": describe(exc)}
            del steps[name]
            return None

    def block(name: str, n: int) -> tuple[list[float], float, float | None]:
        """One untimed step, then n timed ones, after the backend's matmul peak (for a
        workload with a FLOP count), the other backends' threads settling and the
        machine's state being read (host_probe; the untimed step follows it)."""
        gc.collect()  # outside the clock: a collection inside one run would bias it
        peak = None
        if flops and peak_n and name in peak_n:  # before the settle: its threads rest too
            peak = matmul_peak(name, peak_n[name], PEAK_BLOCK_REPEAT)
        if len(steps) > 1:
            time.sleep(settle)
        probe = host_probe()
        times: list[float] = []
        for i in range(n + 1):
            if name not in steps:  # it failed: its error is in results
                break
            t = run(name)
            if i and t is not None:
                times.append(t)
        return times, probe, peak

    slowest = 0.0  # the slowest backend's last warm-up run, in seconds
    for name in list(steps):  # warm-up, each backend on its own
        last = None
        for _ in range(warmup):
            if name in steps:
                last = run(name)
        if last is not None:
            slowest = max(slowest, last)
    repeat = repeats_for(repeat, slowest, min_seconds, max_repeat)
    times: dict[str, list[float]] = {name: [] for name in steps}
    medians: dict[str, list[float]] = {name: [] for name in steps}
    probes: dict[str, list[float]] = {name: [] for name in steps}
    peaks: dict[str, list[float]] = {name: [] for name in steps}
    for r in range(-(-repeat // BLOCK)):
        order = list(steps)
        k = r % max(len(order), 1)
        for name in order[k:] + order[:k]:
            ts, probe, peak = block(name, min(BLOCK, repeat - r * BLOCK))
            times[name] += ts
            if ts:
                medians[name].append(float(np.median(ts)))
                probes[name].append(probe)
                if peak is not None:
                    peaks[name].append(peak)
    for name, ts in times.items():
        if name in steps and ts:
            results[name] = summary(ts, flops, medians[name], probes[name], peaks[name])
    steps.clear()
    gc.collect()
    return results


_peak_operands: dict[tuple[str, int], tuple[Any, Any]] = {}


def matmul_peak(name: str, n: int, repeat: int = 5) -> float:
    """float32 n x n matmul GFLOP/s (median of `repeat`, after one untimed) on a backend's
    array library; the operands are made once per (backend, n)."""
    b = BACKENDS[name]
    if (name, n) in _peak_operands:
        x, y = _peak_operands[name, n]
        return _time_products(b, x, y, n, repeat)
    rng = np.random.default_rng(0)
    a_np = rng.standard_normal((n, n), dtype=np.float32)
    b_np = rng.standard_normal((n, n), dtype=np.float32)
    if name == "numpy":
        x, y = a_np, b_np
    elif name == "cupy":
        from minigrad.backend import cupy_module

        x, y = cupy_module().asarray(a_np), cupy_module().asarray(b_np)
    else:
        x, y = torch.from_numpy(a_np).to(b.device), torch.from_numpy(b_np).to(b.device)
    _peak_operands[name, n] = x, y
    return _time_products(b, x, y, n, repeat)


def _time_products(b: Any, x: Any, y: Any, n: int, repeat: int) -> float:
    ts = []
    for i in range(repeat + 1):
        b.sync()
        t0 = time.perf_counter()
        x @ y
        b.sync()
        if i:  # the first is a warm-up
            ts.append(time.perf_counter() - t0)
    return 2 * n**3 / float(np.median(ts)) / 1e9


# ---------------------------------------------------------------------- memory
def memory_child(name: str, backend: str, quick: bool, steps: int, threads: int) -> None:
    """In a fresh subprocess: build workload `name` (or nothing, for 'baseline'), run it,
    print ru_maxrss and the GPU high-water mark as JSON."""
    b = BACKENDS[backend]
    if torch is not None:
        torch.set_num_threads(threads)
    pool = None
    if backend == "cupy":
        from minigrad.backend import cupy_module

        pool = cupy_module().get_default_memory_pool()
    t = b.ns
    x = t.randn(4, 4, device=b.device)
    # thread pools, CUDA context, first allocations, Numba's runtime: in the baseline too
    (x @ x).relu().sum()
    b.sync()
    if backend == "torch-cuda":
        torch.cuda.reset_peak_memory_stats()
    gpu_peak = None
    if name != "baseline":
        w = BY_NAME[name]
        step = build(w, backend, w.params(quick))
        for _ in range(steps):
            step()
            b.sync()
            if pool is not None:
                gpu_peak = max(gpu_peak or 0, pool.total_bytes())
        if backend == "torch-cuda":
            gpu_peak = torch.cuda.max_memory_allocated()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rss_bytes = rss if sys.platform == "darwin" else rss * 1024  # Linux reports KiB
    hwm = None  # the kernel's own high-water mark of this address space, as a cross-check
    if os.path.exists("/proc/self/status"):
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    hwm = int(line.split()[1]) * 1024
    out = {"maxrss_bytes": rss_bytes, "vmhwm_bytes": hwm, "gpu_peak_bytes": gpu_peak}
    print(json.dumps(out))


def run_child(name: str, backend: str, quick: bool, steps: int, threads: int) -> dict[str, Any]:
    # Through a small launcher: at exec Linux carries the spawning process's peak RSS into
    # the child's ru_maxrss (vfork shares the parent's memory map), so a child started
    # from this large process would report at least this process's peak.
    cmd = [sys.executable, "-c", LAUNCHER, sys.executable, "-m", "benchmarks"]
    cmd += ["--memory-child", name, backend]
    cmd += ["--mem-steps", str(steps), "--mem-threads", str(threads)] + (["--quick"] * quick)
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    )
    try:
        p = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    except subprocess.TimeoutExpired:
        return {"error": "timed out after 600 s"}
    if p.returncode != 0:
        last = (p.stderr.strip().splitlines() or ["?"])[-1]
        return {"error": f"subprocess exited with {p.returncode}: {last}"}
    out = json.loads(p.stdout.strip().splitlines()[-1])
    out["maxrss_mib"] = out["maxrss_bytes"] / 2**20
    if out["gpu_peak_bytes"] is not None:
        out["gpu_peak_mib"] = out["gpu_peak_bytes"] / 2**20
    return out


def memory(
    names: list[str], backends: list[str], quick: bool, steps: int, threads: int, skip: dict
) -> dict[str, Any]:
    base = {b: run_child("baseline", b, quick, steps, threads) for b in backends}
    per: dict[str, dict[str, Any]] = {}
    for name in names:
        per[name] = {}
        for b in backends:
            if b in skip.get(name, {}):
                per[name][b] = {"skipped": skip[name][b]}
                continue
            log(f"  memory: {name} on {b}")
            r = run_child(name, b, quick, steps, threads)
            if "maxrss_bytes" in r and "maxrss_bytes" in base[b]:
                r["host_peak_mib"] = (r["maxrss_bytes"] - base[b]["maxrss_bytes"]) / 2**20
            per[name][b] = r
    return {"method": MEMORY_METHOD.format(steps=steps), "baseline": base, "workloads": per}


# ---------------------------------------------------------------------- profile
def profile_dcgan(backend: str, params: dict[str, Any], steps: int) -> dict[str, Any]:
    b = BACKENDS[backend]
    try:
        step = build(BY_NAME["DCGAN iteration"], backend, params)
        step()  # warm-up
        b.sync()
        with mg.profiler.profile() as prof:
            for _ in range(steps):
                step()
            b.sync()
        rows = prof.rows()
    except Exception as exc:
        return {"note": f"profiling failed: {describe(exc)}"}
    if not rows:
        return {
            "note": "profiler hooks not available (mg.profiler.profile() recorded no ops)",
            "wall_s": prof.wall,
            "steps": steps,
        }
    return {
        "steps": steps,
        "params": params,
        "wall_s": prof.wall,
        "timed_s": sum(r["total_s"] for r in rows),
        "rows": rows[:15],
        "table": prof.table(15),
    }


# ---------------------------------------------------------------------- main
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        prog=jobs.prog("benchmarks"), description=__doc__.split("\n\n")[0].rstrip(":")
    )
    ap.add_argument(
        "--backend",
        nargs="+",
        choices=list(BACKENDS),
        default=list(BACKENDS),
        help="backends to run, in this order; ratios are against the first "
        "(default: all; those unavailable are reported as skipped)",
    )
    ap.add_argument("--quick", action="store_true", help="tiny sizes, few repeats (CI)")
    ap.add_argument("--out", type=Path, default=Path("bench_out"), help="output directory")
    ap.add_argument("--repeat", type=positive_int, help="timed repeats per workload")
    ap.add_argument("--warmup", type=nonneg_int, help="warm-up runs per workload")
    ap.add_argument("--no-scaling", action="store_true", help="skip the scaling curves")
    ap.add_argument("--no-memory", action="store_true", help="skip the memory subprocesses")
    ap.add_argument(
        "--distributed",
        action="store_true",
        help="data-parallel scaling instead, under mpiexec -n N (benchmarks/distributed.py)",
    )
    # internal: one memory measurement in a fresh process
    ap.add_argument(
        "--memory-child", nargs=2, metavar=("WORKLOAD", "BACKEND"), help=argparse.SUPPRESS
    )
    ap.add_argument("--mem-steps", type=positive_int, default=1, help=argparse.SUPPRESS)
    ap.add_argument("--mem-threads", type=positive_int, default=1, help=argparse.SUPPRESS)
    ap.add_argument(
        "--threads",
        nargs="+",
        type=positive_int,
        metavar="N",
        help="run everything once per thread count, each in a fresh process with "
        "OPENBLAS/OMP/MKL_NUM_THREADS=N (the BLAS reads them at start-up), into "
        "OUT/threads-N, and write the ratios side by side in OUT/results.md (default: one "
        "run with the thread counts of the environment)",
    )
    ap.add_argument(
        "--runs",
        type=positive_int,
        default=1,
        metavar="R",
        help="with --threads: the whole sweep R times, into OUT/run-K/threads-N, and the "
        "ratios in OUT/results.md as mean +- std over the runs (one run is an anecdote on "
        "a shared machine; default 1: OUT/threads-N, each ratio with its range of rounds)",
    )
    args = ap.parse_args(argv)
    if args.runs > 1 and not args.threads:
        ap.error(f"--runs {args.runs} repeats a --threads sweep: give --threads too")
    return args


THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def child_rounds(tool: str, cli: list[str], threads: list[int], rounds: int) -> dict[int, list]:
    """`rounds` of json_child per thread count (each count once, in the order given, the
    order reversed every other round, so that a drift of the machine reaches every count),
    for a tool that compares with PyTorch: without it, the tool ends saying so."""
    why = unavailable_reason("torch")
    if why is not None:
        raise SystemExit(
            f"benchmarks.{tool} compares with PyTorch: {why} (pip install torch==2.13.0)"
        )
    counts = list(dict.fromkeys(threads))
    runs: dict[int, list] = {n: [] for n in counts}
    for r in range(rounds):
        for n in counts if r % 2 == 0 else counts[::-1]:
            runs[n].append(json_child(tool, cli, n, timeout_s=1800))
    return runs


def json_child(tool: str, cli: list[str], threads: int, timeout_s: int) -> Any:
    """What `python -m benchmarks.TOOL --child CLI...` prints as JSON on its last line, run
    in a fresh process with `threads` set in THREAD_VARS (the BLAS reads them at start-up);
    a failure or a child past `timeout_s` ends the tool, saying which."""
    env = os.environ | {v: str(threads) for v in THREAD_VARS}
    cmd = [sys.executable, "-m", f"benchmarks.{tool}", "--child", *cli]
    try:
        p = subprocess.run(
            cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout_s
        )
    except subprocess.TimeoutExpired:
        raise SystemExit(
            f"benchmarks.{tool}: the child at {threads} thread(s) ran past {timeout_s} s"
        ) from None
    if p.returncode:
        raise SystemExit(f"benchmarks.{tool}: the child failed:\n{p.stderr[-2000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def thread_sweep(args: argparse.Namespace) -> dict[str, Any]:
    """The whole benchmark once per `--threads` count, each in a fresh process, `--runs`
    times (the counts alternating within each run, so that a drift of the machine reaches
    every count); the ratios side by side, as mean +- std over the runs when there are
    several."""
    rest = ["--backend", *args.backend]
    rest += ["--quick"] * args.quick + ["--no-scaling"] * args.no_scaling
    rest += ["--no-memory"] * args.no_memory
    rest += [] if args.repeat is None else ["--repeat", str(args.repeat)]
    rest += [] if args.warmup is None else ["--warmup", str(args.warmup)]
    counts = list(dict.fromkeys(args.threads))
    repeats: list[dict[int, dict[str, Any]]] = []
    dirs: list[dict[str, str]] = []
    for k in range(1, args.runs + 1):
        several = args.runs > 1
        base = args.out / f"run-{k}" if several else args.out
        where, which = (f"run {k} of {args.runs}, ", f" (run {k})") if several else ("", "")
        runs: dict[int, dict[str, Any]] = {}
        for n in counts:
            sub = base / f"threads-{n}"
            log(f"--threads: {where}the run with {n} thread(s), into {sub}")
            env = os.environ | {v: str(n) for v in THREAD_VARS}
            cmd = [sys.executable, "-m", "benchmarks", *rest, "--out", str(sub)]
            p = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL)
            if p.returncode:
                raise SystemExit(
                    f"benchmarks --threads: the {n}-thread run{which} failed (exit {p.returncode})"
                )
            runs[n] = json.loads((sub / "results.json").read_text())
        repeats.append(runs)
        dirs.append({str(n): str(base / f"threads-{n}") for n in runs})
    if args.runs == 1:
        md = report.sweep_markdown(repeats[0])
        summary: dict[str, Any] = {"threads": dirs[0]}
    else:
        md = report.sweep_runs_markdown(repeats)
        summary = {"runs": dirs}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.md").write_text(md)
    (args.out / "results.json").write_text(json.dumps(summary, indent=1))
    print(md)
    return {"runs": repeats[0] if args.runs == 1 else repeats}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    if args.memory_child:
        memory_child(*args.memory_child, args.quick, args.mem_steps, args.mem_threads)
        return {}
    if args.threads:
        return thread_sweep(args)
    if args.distributed:
        from benchmarks import distributed

        return distributed.main(args.quick, args.out, args.repeat)
    mode = "quick" if args.quick else "full"
    cfg = dict(SETTINGS[mode])
    if args.repeat is not None:  # that many runs exactly, short steps too
        cfg["repeat"], cfg["min_seconds"] = args.repeat, 0.0
    if args.warmup is not None:
        cfg["warmup"] = args.warmup
    requested = list(dict.fromkeys(args.backend))
    skipped = {b: r for b in requested if (r := unavailable_reason(b)) is not None}
    backends = [b for b in requested if b not in skipped]
    load_start = os.getloadavg()[0]
    threads = report.set_threads()
    t_start = time.perf_counter()
    res: dict[str, Any] = {
        "meta": {
            "command": "python -m benchmarks " + " ".join(sys.argv[1:] if argv is None else argv),
            "mode": mode,
            "date": datetime.now().isoformat(timespec="seconds"),
            "load_start": load_start,
        },
        "machine": report.machine(),
        "versions": report.versions(),
        "threads": threads,
        "backends_requested": requested,
        "backends_run": backends,
        "backends_skipped": skipped,
        "notes": [f"backend {b} skipped: {r}" for b, r in skipped.items()],
    }
    for b, r in skipped.items():
        log(f"skipping backend {b}: {r}")

    # the float32 matmul peak of each backend's device
    gflops = {}
    for b in backends:
        n = cfg["peak_n"][BACKENDS[b].device]
        gflops[b] = matmul_peak(b, n)
    res["peak"] = {
        "size": ", ".join(f"{d} {n}x{n}" for d, n in cfg["peak_n"].items()),
        "gflops": gflops,
    }
    # the reference lines on the GFLOP/s plots: NumPy on the CPU, the best GPU library
    peak_lines = {}
    if "numpy" in gflops:
        peak_lines["CPU (numpy)"] = gflops["numpy"]
    gpu = {b: g for b, g in gflops.items() if BACKENDS[b].device == "cuda"}
    if gpu:
        best = max(gpu, key=gpu.get)
        peak_lines[f"GPU ({best})"] = gpu[best]

    # workloads
    res["timing"] = {
        "warmup": cfg["warmup"],
        "repeat": cfg["repeat"],
        "min_seconds": cfg["min_seconds"],
        "max_repeat": cfg["max_repeat"],
        "block": BLOCK,
        "settle_s": SETTLE_S,
    }
    rows, model_skips = [], {}
    for w in WORKLOADS:
        params = w.params(args.quick)
        flops = w.flop_count(params)
        row: dict[str, Any] = {"name": w.name, "kind": w.kind, "params": params, "flops": flops}
        why = w.available()
        log(f"{w.name} {params}" + (f": skipped ({why})" if why else ""))
        if why:
            row["results"] = {b: {"skipped": why} for b in backends}
            res["notes"].append(f"{w.name}: skipped: {why}")
        else:
            builders = {b: (lambda w=w, b=b, p=params: build(w, b, p)) for b in backends}
            # CPU backends only: a GPU's peak operands (8192^2) are too large to keep
            peak_n = {b: cfg["peak_n"]["cpu"] for b in backends if BACKENDS[b].device == "cpu"}
            row["results"] = measure(
                builders,
                cfg["warmup"],
                cfg["repeat"],
                flops,
                None,
                peak_n,
                cfg["min_seconds"],
                cfg["max_repeat"],
            )
        for b, r in row["results"].items():
            if "error" in r:
                res["notes"].append(f"{w.name} on {b} failed, left out: {r['error']}")
        if w.kind == "model":
            model_skips[w.name] = {
                b: r.get("error") or r.get("skipped")
                for b, r in row["results"].items()
                if "median_ms" not in r
            }
        rows.append(row)
    res["workloads"] = rows

    # scaling curves
    if backends and not args.no_scaling:
        args.out.mkdir(parents=True, exist_ok=True)
        res["scaling"] = {}
        for key, c in CURVES.items():
            w = BY_NAME[c["workload"]]
            base = w.params(args.quick)
            points = []
            for v in c["quick" if args.quick else "full"]:
                params = dict(base, **{c["param"]: v})
                log(f"scaling {key}: {c['param']}={v}")
                builders = {b: (lambda w=w, b=b, p=params: build(w, b, p)) for b in backends}
                flops = c["flops"](**params)
                results = measure(builders, cfg["curve_warmup"], cfg["curve_repeat"], flops)
                points.append(
                    {
                        "name": str(v),
                        "value": v,
                        "params": params,
                        "flops": flops,
                        "results": results,
                    }
                )
            curve = {
                "title": c["title"],
                "workload": c["workload"],
                "param": c["param"],
                "warmup": cfg["curve_warmup"],
                "repeat": cfg["curve_repeat"],
                "points": points,
                "peak_gflops": peak_lines,
            }
            try:
                report.plot_curve(curve, backends, peak_lines, args.out / f"{key}.png")
                curve["plot"] = f"{key}.png"
            except Exception as exc:
                res["notes"].append(f"plot {key} failed: {describe(exc)}")
            res["scaling"][key] = curve

    # memory, one subprocess per (workload, backend)
    if backends and not args.no_memory:
        log("memory (one subprocess each)")
        names = [w.name for w in WORKLOADS if w.kind == "model"]
        res["memory"] = memory(
            names, backends, args.quick, cfg["mem_steps"], threads["numpy_blas"], model_skips
        )

    # per-op profile of the DCGAN iteration
    res["profile"] = {}
    for b in backends:
        if BACKENDS[b].lib == "minigrad":
            log(f"profile DCGAN on {b}")
            params = BY_NAME["DCGAN iteration"].params(args.quick)
            p = profile_dcgan(b, params, cfg["profile_steps"])
            res["profile"][b] = p
            if "note" in p:
                res["notes"].append(f"profile on {b}: {p['note']}")

    load_end = os.getloadavg()[0]
    res["meta"].update(
        load_end=load_end,
        loaded=load_start >= 0.5,
        elapsed_s=time.perf_counter() - t_start,
    )
    if res["meta"]["loaded"]:
        res["notes"].append(
            f"the machine was not idle: 1-min load average {load_start:.2f} before the run "
            f"on {threads['cpus']} CPUs, so absolute times are noisy; ratios of interleaved "
            "runs are the more reliable numbers"
        )
        if threads["numpy_blas"] > 1 and load_start + threads["numpy_blas"] > threads["cpus"]:
            res["notes"].append(
                f"{threads['numpy_blas']} BLAS/torch threads on a busy {threads['cpus']}-CPU "
                "machine oversubscribe it: each parallel region waits for a descheduled "
                "thread, and torch's OpenMP threads spin between regions (also during the "
                "interleaved minigrad runs); small ops can slow down tenfold or more. For "
                "stable numbers run with OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 (both "
                "libraries follow) or OMP_WAIT_POLICY=PASSIVE"
            )

    args.out.mkdir(parents=True, exist_ok=True)
    md = report.markdown(res)
    (args.out / "results.md").write_text(md)
    with open(args.out / "results.json", "w") as f:
        json.dump(res, f, indent=1)
    print(md)
    for b, p in res["profile"].items():
        if "table" in p:
            print(f"DCGAN per-op profile on {b}:\n{p['table']}\n")
    log(
        f"wrote {args.out / 'results.json'} and {args.out / 'results.md'} "
        f"in {res['meta']['elapsed_s']:.0f} s"
    )
    return res


if __name__ == "__main__":
    main()
