"""What `python -m benchmarks` writes: the machine's description (device, versions, thread
counts), the markdown tables and the scaling plots (matplotlib's Agg canvas, no pyplot)."""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import minigrad as mg

from .workloads import BACKENDS, same_device_torch, torch


# ---------------------------------------------------------------------- the machine
def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def gpu_name() -> str | None:
    if mg.cuda.is_available():
        from minigrad.backend import cupy_module

        name = cupy_module().cuda.runtime.getDeviceProperties(0)["name"]
        return name.decode() if isinstance(name, bytes) else str(name)
    if torch is not None and torch.cuda.is_available():
        return torch.cuda.get_device_name(0)
    return None


def versions() -> dict[str, str | None]:
    cupy = None
    if mg.cuda.is_available():
        from minigrad.backend import cupy_module

        cupy = cupy_module().__version__
    import matplotlib

    from minigrad.ops import cpu_kernels

    numba = None
    if cpu_kernels.available():
        import numba as nb

        # "off": installed, but MINIGRAD_CPU_KERNELS=numpy runs the NumPy code
        numba = nb.__version__ if cpu_kernels.enabled() else f"{nb.__version__} (off)"
    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numba": numba,
        "minigrad": mg.__version__,
        "torch": None if torch is None else torch.__version__,
        "cupy": cupy,
        "matplotlib": matplotlib.__version__,
    }


def blas_threads() -> tuple[int, str]:
    """NumPy's BLAS thread count and where it was read: threadpoolctl when installed; else,
    for OpenBLAS, the count `minigrad.threads.blas_threads` reads (the variables in the
    order OpenBLAS reads them, no more than the usable cores), the count minigrad's own
    thread default follows; else the variables MKL/OpenMP read, else the usable cores."""
    try:
        from threadpoolctl import threadpool_info

        blas = [p for p in threadpool_info() if p.get("user_api") == "blas"]
        if blas:
            return int(blas[0]["num_threads"]), f"threadpoolctl ({blas[0]['internal_api']})"
    except ImportError:
        pass
    if mg.threads.numpy_blas_is_openblas():
        n = mg.threads.blas_threads()
        var, asked = mg.threads.blas_thread_setting()
        where = "usable cores" if var is None else f"${var}"
        if asked is not None and asked > n:
            where += f", capped at the {n} usable cores"
        return n, f"{where}, as OpenBLAS reads it (threadpoolctl not installed)"
    for var in ("MKL_NUM_THREADS", "OMP_NUM_THREADS"):
        value = os.environ.get(var, "").split(",")[0]
        if value.isdigit() and int(value) > 0:
            return int(value), f"${var} (threadpoolctl not installed)"
    cores = mg.threads.usable_cores()
    return cores, "usable cores (threadpoolctl not installed)"


def set_threads() -> dict[str, Any]:
    """Give torch NumPy's BLAS thread count; return both counts and their sources."""
    n, source = blas_threads()
    info: dict[str, Any] = {"numpy_blas": n, "numpy_blas_source": source, "cpus": os.cpu_count()}
    if torch is not None:
        torch.set_num_threads(n)
        info["torch"] = torch.get_num_threads()
        info["torch_interop"] = torch.get_num_interop_threads()
    info["minigrad_elementwise"] = mg.get_num_threads()
    info["openblas_parks"] = mg.threads.openblas_parks()
    info["env"] = {k: os.environ.get(k) for k in THREAD_ENV}
    info["note"] = (
        "minigrad's matmuls (conv via im2col) use the BLAS threads; its elementwise work "
        "runs on minigrad_elementwise threads (minigrad.threads: MINIGRAD_NUM_THREADS when "
        "set, else the BLAS's count where OpenBLAS's idle workers sleep soon after a "
        "product (openblas_parks, OPENBLAS_THREAD_TIMEOUT <= 20), else 1)"
    )
    return info


# read by OpenBLAS / MKL / OpenMP (torch) at start-up; recorded with the results
THREAD_ENV = (
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OMP_NUM_THREADS",
    "OMP_WAIT_POLICY",
    "OPENBLAS_THREAD_TIMEOUT",
    "MINIGRAD_NUM_THREADS",
)


def machine() -> dict[str, Any]:
    return {
        "cpu": cpu_model(),
        "gpu": gpu_name(),
        "host": platform.node(),
        "platform": platform.platform(),
        "executable": sys.executable,
    }


# ---------------------------------------------------------------------- tables
def fmt_time(r: dict[str, Any] | None) -> str:
    if r is None:
        return "-"
    if "median_ms" not in r:
        return "error" if "error" in r else "skipped"
    return f"{r['median_ms']:.2f} ({r['min_ms']:.2f}-{r['max_ms']:.2f})"


def ratio_columns(backends: list[str]) -> list[tuple[str, str, str]]:
    """(header, numerator, denominator): each backend against the first, then each minigrad
    backend against torch on its device."""
    pairs = [(b, backends[0]) for b in backends[1:]]
    pairs += [(b, same_device_torch(b)) for b in backends if same_device_torch(b) in backends]
    pairs = list(dict.fromkeys(pairs))  # in order, without repeats
    return [(f"{n} / {d}", n, d) for n, d in pairs]


def median_ratio(results: dict[str, Any], num: str, den: str) -> float | None:
    """`num`'s median time over `den`'s, or None where either has none."""
    a, b = results.get(num, {}), results.get(den, {})
    if not ("median_ms" in a and "median_ms" in b and b["median_ms"] > 0):
        return None
    return a["median_ms"] / b["median_ms"]


def probes(res: dict[str, Any]) -> list[float]:
    """Every host_probe of a run (microseconds per product, one before each timed block)."""
    return [
        p
        for row in res.get("workloads", [])
        for r in row.get("results", {}).values()
        for p in r.get("probe_us", [])
    ]


def probe_text(res: dict[str, Any]) -> str:
    """A run's probes as `median (lowest-highest)` in us, or "-" for a run without them."""
    ps = probes(res)
    if not ps:
        return "-"
    return f"{np.median(ps):.0f} ({min(ps):.0f}-{max(ps):.0f})"


PROBE_NOTE = (
    "host probe before each block: microseconds per 256 x 256 float32 product on NumPy's "
    "BLAS with the process's threads, median (lowest-highest) over the run's blocks; on the "
    "2-core test machine, at two threads, about 185-220 in its fast state and 265-310 in "
    "its slow one, where every step slows down (docs/benchmarks.md)"
)


def ratio(results: dict[str, Any], num: str, den: str) -> str:
    """The ratio of the two medians, then, where both ran more than one round of blocks,
    the lowest and highest ratio of one round's block medians: how far the machine's noise
    moved it within this run."""
    r = median_ratio(results, num, den)
    if r is None:
        return "-"
    a, b = results[num], results[den]
    text = f"{r:.2f}"
    na, nb = a.get("block_medians_ms", []), b.get("block_medians_ms", [])
    if len(na) == len(nb) > 1 and min(nb) > 0:
        per_round = [n / d for n, d in zip(na, nb, strict=True)]
        text += f" ({min(per_round):.2f}-{max(per_round):.2f})"
    return text


def timing_table(rows: list[dict[str, Any]], backends: list[str], label: str = "workload"):
    cols = ratio_columns(backends)
    head = [label] + [f"{b} ms" for b in backends] + [c[0] for c in cols]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        res = row["results"]
        cells = [row["name"]] + [fmt_time(res.get(b)) for b in backends]
        cells += [ratio(res, n, d) for _, n, d in cols]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def block_peak_share(result: dict[str, Any]) -> float | None:
    """A result's GFLOP/s as a share (%) of the median matmul peak timed before its own
    blocks (`block_peak_gflops`, the same minutes of the machine); None without them."""
    peaks = result.get("block_peak_gflops")
    if "gflops" not in result or not peaks:
        return None
    return 100 * result["gflops"] / float(np.median(peaks))


def gflops_cell(result: dict[str, Any], peak: float | None) -> str:
    """A result's GFLOP/s, with its share of `peak` (the matmul GFLOP/s of the same run)
    when given, and of the peak timed beside its blocks where there is one; "-" when the
    result has none."""
    if "gflops" not in result:
        return "-"
    cell = f"{result['gflops']:.1f}"
    local = block_peak_share(result)
    if peak:
        cell += f" ({result['gflops'] / peak:.0%}" + (f"; {local:.0f}%" if local else "") + ")"
    return cell


def gflops_table(
    rows: list[dict[str, Any]],
    backends: list[str],
    label: str,
    peak: dict[str, float] | None = None,
) -> str:
    """GFLOP/s per backend; with `peak` (each backend's matmul GFLOP/s in the same run),
    also the share of that peak, and of the peak timed beside the step's blocks."""
    head = [label] + [
        f"{b} GFLOP/s" + (" (% of its matmul peak; of the peak beside its blocks)" if peak else "")
        for b in backends
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        cells = [row["name"]]
        for b in backends:
            cells.append(gflops_cell(row["results"].get(b, {}), (peak or {}).get(b)))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def memory_table(mem: dict[str, Any], backends: list[str]) -> str:
    head = ["workload"] + [f"{b} host MiB" for b in backends]
    gpu = [b for b in backends if BACKENDS[b].device == "cuda"]
    head += [f"{b} GPU MiB" for b in gpu]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, per in mem["workloads"].items():
        cells = [name]
        for b in backends:
            r = per.get(b, {})
            cells.append(f"{r['host_peak_mib']:.0f}" if "host_peak_mib" in r else "-")
        for b in gpu:
            r = per.get(b, {})
            cells.append(f"{r['gpu_peak_mib']:.0f}" if r.get("gpu_peak_mib") is not None else "-")
        lines.append("| " + " | ".join(cells) + " |")
    base = ", ".join(
        f"{b} {r['maxrss_mib']:.0f} MiB" for b, r in mem["baseline"].items() if "maxrss_mib" in r
    )
    lines.append("")
    lines.append(f"Baseline ru_maxrss subtracted (imports and the tiny op): {base or '-'}.")
    return "\n".join(lines)


def profile_table(rows: list[dict[str, Any]]) -> str:
    lines = ["| op | phase | calls | total ms | mean ms | share |", "|---|---|---|---|---|---|"]
    timed = sum(r["total_s"] for r in rows) or 1.0
    for r in rows:
        lines.append(
            f"| {r['op']} | {r['phase']} | {r['calls']} | {1e3 * r['total_s']:.2f} | "
            f"{r['mean_ms']:.3f} | {r['total_s'] / timed:.1%} |"
        )
    return "\n".join(lines)


def markdown(res: dict[str, Any]) -> str:
    meta, backends = res["meta"], res["backends_run"]
    th = res["threads"]
    out = [
        "# minigrad benchmarks",
        "",
        f"- command: `{meta['command']}` ({meta['mode']} mode), {meta['date']}",
        f"- CPU: {res['machine']['cpu']} ({th['cpus']} CPUs); GPU: {res['machine']['gpu'] or '-'}",
        "- versions: " + ", ".join(f"{k} {v}" for k, v in res["versions"].items() if v),
        f"- threads: NumPy BLAS {th['numpy_blas']} ({th['numpy_blas_source']}), "
        f"torch {th.get('torch', '-')} (intra-op, set to match); {th['note']}; environment: "
        + (
            ", ".join(f"{k}={v}" for k, v in th["env"].items() if v)
            or "none of " + "/".join(THREAD_ENV) + " set"
        ),
        f"- load average (1 min) at start / end: {meta['load_start']:.2f} / "
        f"{meta['load_end']:.2f}" + (" (the machine was shared)" if meta["loaded"] else ""),
        f"- {PROBE_NOTE}: {probe_text(res)}",
        "- float32 matmul peak ("
        + res["peak"]["size"]
        + "): "
        + ", ".join(f"{b} {g:.1f} GFLOP/s" for b, g in res["peak"]["gflops"].items()),
        f"- backends run: {', '.join(backends) or '-'}",
    ]
    for b, why in res["backends_skipped"].items():
        out.append(f"- backend {b} skipped: {why}")
    t = res["timing"]
    out += [
        "",
        "## Timings",
        "",
        f"Median (min-max) in ms over {t['repeat']} timed repeats after {t['warmup']} warm-up "
        + (
            f"runs (a short step more: whole blocks for about {t['min_seconds']} s of steps "
            f"per backend at the slower backend's warm-up time, up to {t['max_repeat']})"
            if t.get("min_seconds")
            else "runs"
        )
        + f", in blocks of up to {t.get('block', '?')} back-to-back steps (the first of each "
        f"untimed, after a {t.get('settle_s', '?')} s pause for idle BLAS threads to sleep) "
        "that rotate between the backends, so drift and other load hit all alike; GPU work "
        "is synchronised before each clock read. Ops: one forward+backward; models: one "
        "training iteration. Ratios divide median times "
        "(above 1: the numerator is slower); in brackets, the lowest and highest ratio of "
        "one round's block medians, where there was more than one round (the ratio of the "
        "medians over all rounds can fall outside it when the times also moved within "
        "rounds).",
        "",
        timing_table(res["workloads"], backends),
        "",
        gflops_table(
            [w for w in res["workloads"] if w["flops"]],
            backends,
            "workload",
            res.get("peak", {}).get("gflops"),
        ),
    ]
    sc = res.get("scaling")
    if sc:
        out += ["", "## Scaling", ""]
        for key, curve in sc.items():
            out += [
                f"### {curve['title']}",
                "",
                f"![{key}]({curve['plot']})" if curve.get("plot") else "(no plot)",
                "",
                timing_table(curve["points"], backends, curve["param"]),
                "",
                gflops_table(curve["points"], backends, curve["param"]),
                "",
            ]
    mem = res.get("memory")
    if mem:
        out += ["## Peak memory", "", mem["method"], "", memory_table(mem, backends), ""]
    prof = res.get("profile") or {}
    out += ["## DCGAN iteration, per op (mg.profiler)", ""]
    if not prof:
        out.append("not run (no minigrad backend)")
    for b, p in prof.items():
        if "rows" in p and p["rows"]:
            out += [
                f"{b}: {p['steps']} iterations, {1e3 * p['timed_s']:.1f} ms in ops of "
                f"{1e3 * p['wall_s']:.1f} ms wall; top {len(p['rows'])} by total time:",
                "",
                profile_table(p["rows"]),
                "",
            ]
        else:
            out += [f"{b}: {p.get('note', 'profiler hooks not available')}", ""]
    if res["notes"]:
        out += ["## Notes", ""] + [f"- {n}" for n in res["notes"]]
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------- plots
def plot_curve(curve: dict[str, Any], backends: list[str], peak: dict[str, float], path: Path):
    """Time and achieved GFLOP/s against the curve's parameter, one line per backend, with
    the measured matmul peak of each device as a dashed line."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import ScalarFormatter

    fig = Figure(figsize=(10, 4))
    FigureCanvasAgg(fig)
    ax_t, ax_g = fig.subplots(1, 2)
    xs = [p["value"] for p in curve["points"]]
    for b in backends:
        pts = [
            (p["value"], p["results"][b])
            for p in curve["points"]
            if "median_ms" in p["results"].get(b, {})
        ]
        if not pts:
            continue
        x = [v for v, _ in pts]
        ax_t.plot(x, [r["median_ms"] for _, r in pts], "o-", label=b)
        ax_t.fill_between(
            x, [r["min_ms"] for _, r in pts], [r["max_ms"] for _, r in pts], alpha=0.2
        )
        if all("gflops" in r for _, r in pts):
            ax_g.plot(x, [r["gflops"] for _, r in pts], "o-", label=b)
    for name, g in peak.items():
        ax_g.axhline(g, ls="--", lw=1, color="grey")
        ax_g.annotate(f"{name} matmul peak {g:.0f}", (xs[0], g), va="bottom", fontsize=8)
    for ax in (ax_t, ax_g):
        ax.set_xscale("log", base=2)
        ax.set_xticks(xs, [str(v) for v in xs])
        ax.set_xlabel(curve["param"])
        ax.grid(True, alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend()
    ax_t.set_yscale("log")
    ax_t.yaxis.set_major_formatter(ScalarFormatter())
    ax_t.set_ylabel("ms (median, min-max band)")
    ax_g.set_ylabel("achieved GFLOP/s")
    ax_g.set_ylim(bottom=0)
    fig.suptitle(curve["title"])
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def sweep_markdown(runs: dict[int, dict[str, Any]]) -> str:
    """`--threads`: each minigrad backend against PyTorch on its device, one column per
    thread count, and each model step's share of the matmul peak of its own run."""
    first = next(iter(runs.values()))
    counts = list(runs)
    out = [
        "# minigrad benchmarks, by thread count",
        "",
        "- commands: one `python -m benchmarks` run per count, each in a fresh process with "
        "OPENBLAS/OMP/MKL_NUM_THREADS set (minigrad's elementwise threads as minigrad.threads "
        "decides: "
        + ", ".join(
            f"{n} thread(s) {r['threads'].get('minigrad_elementwise', '?')}"
            for n, r in runs.items()
        )
        + "); the full tables are in threads-N/",
        f"- CPU: {first['machine']['cpu']}; load average (1 min) at the start of each run: "
        + ", ".join(f"{n} thread(s) {r['meta']['load_start']:.2f}" for n, r in runs.items()),
        f"- {PROBE_NOTE}: " + ", ".join(f"{n} thread(s) {probe_text(r)}" for n, r in runs.items()),
        "",
        "Ratios of medians, the backends timed in alternating blocks of steps (above 1: "
        "minigrad is slower); in brackets, the lowest and highest ratio of one round's "
        "block medians (the ratio of the medians over all rounds can fall outside it when "
        "the times also moved within rounds).",
        "",
    ]

    def ratio_cell(i: int, num: str, den: str, k: int) -> str:
        return ratio(runs[k]["workloads"][i]["results"], num, den)

    def share_cell(i: int, b: str, k: int) -> str:
        peak = runs[k]["peak"]["gflops"].get(b)
        return gflops_cell(runs[k]["workloads"][i]["results"].get(b, {}), peak) if peak else "-"

    caption = (
        "Model steps' GFLOP/s as a share of the float32 matmul peak of the same run (after "
        "the semicolon: of the peak timed before the step's own blocks):"
    )
    tables = _sweep_tables(first, counts, ratio_cell, [(caption, share_cell)])
    return "\n".join(out + tables) + "\n"


def _sweep_tables(
    first: dict[str, Any],
    counts: list[int],
    ratio_cell: Callable[[int, str, str, int], str],
    shares: list[tuple[str, Callable[[int, str, int], str]]],
) -> list[str]:
    """The tables of a `--threads` sweep, as markdown lines: each minigrad backend against
    PyTorch on its device per workload (`ratio_cell(i, num, den, count)`), then, for each
    (caption, share_cell) of `shares`, each model step's share of a matmul peak per backend
    (`share_cell(i, backend, count)`), one column per thread count. `first` is a run's
    results, for the workloads and backends."""
    backends = first["backends_run"]
    pairs = [(b, same_device_torch(b)) for b in backends if same_device_torch(b) in backends]
    head = ["workload"] + [f"{n} / {d}, {k} thr" for n, d in pairs for k in counts]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for i, w in enumerate(first["workloads"]):
        cells = [w["name"]] + [ratio_cell(i, n, d, k) for n, d in pairs for k in counts]
        out.append("| " + " | ".join(cells) + " |")
    head = ["workload"] + [f"{b}, {k} thr" for b in backends for k in counts]
    for caption, share_cell in shares:
        out += ["", caption, ""]
        out += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for i, w in enumerate(first["workloads"]):
            if w["kind"] != "model" or not w["flops"]:
                continue
            cells = [w["name"]] + [share_cell(i, b, k) for b in backends for k in counts]
            out.append("| " + " | ".join(cells) + " |")
    return out


def mean_std(values: list[float], digits: int = 2) -> str:
    """`mean +- std (min-max)` of several runs' values (the sample std), or the one value."""
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    v = np.asarray(values, dtype=float)
    f = f".{digits}f"
    return f"{v.mean():{f}} +- {v.std(ddof=1):{f}} ({v.min():{f}}-{v.max():{f}})"


def sweep_runs_markdown(repeats: list[dict[int, dict[str, Any]]]) -> str:
    """`--threads` with `--runs R`: each minigrad backend against PyTorch on its device, one
    column per thread count, as mean +- std (min-max) over the runs of each run's ratio of
    medians; then each model step's share of the matmul peak of its own run, the same way.
    A cell that some runs lack says over how many runs it was taken."""
    first = next(iter(repeats[0].values()))
    counts = list(repeats[0])
    loads = [f"{r['meta']['load_start']:.2f}" for runs in repeats for r in runs.values()]
    out = [
        "# minigrad benchmarks, by thread count, over several runs",
        "",
        f"- commands: {len(repeats)} runs of one `python -m benchmarks` per thread count "
        f"({', '.join(str(n) for n in counts)}), each in a fresh process with "
        "OPENBLAS/OMP/MKL_NUM_THREADS set, the counts alternating within each run; the full "
        "tables are in run-K/threads-N/",
        f"- CPU: {first['machine']['cpu']}; load average (1 min) at the start of each "
        f"process: {', '.join(loads)}",
        f"- {PROBE_NOTE}: "
        + "; ".join(
            f"run {k}: " + ", ".join(f"{n} thread(s) {probe_text(r)}" for n, r in runs.items())
            for k, runs in enumerate(repeats, 1)
        ),
        "",
        "Each run's ratio of medians (above 1: minigrad is slower), the backends timed in "
        "alternating blocks of steps; here the mean +- sample standard deviation over the "
        "runs, and in brackets the lowest and highest run.",
        "",
    ]

    def cell(values: list[float], digits: int = 2) -> str:
        if not values:
            return "-"
        text = mean_std(values, digits)
        return text if len(values) == len(repeats) else f"{text} ({len(values)} runs)"

    def ratio_cell(i: int, num: str, den: str, k: int) -> str:
        found = (median_ratio(runs[k]["workloads"][i]["results"], num, den) for runs in repeats)
        return cell([r for r in found if r is not None])

    def share_cell(i: int, b: str, k: int) -> str:
        shares = []
        for runs in repeats:
            r = runs[k]["workloads"][i]["results"].get(b, {})
            peak = runs[k]["peak"]["gflops"].get(b)
            if "gflops" in r and peak:
                shares.append(100 * r["gflops"] / peak)
        return cell(shares, digits=0)

    def local_share_cell(i: int, b: str, k: int) -> str:
        results = (runs[k]["workloads"][i]["results"].get(b, {}) for runs in repeats)
        found = (block_peak_share(r) for r in results)
        return cell([s for s in found if s is not None], digits=0)

    caption = "Model steps' GFLOP/s as a share (%) of the float32 matmul peak of the same run:"
    shares = [
        (caption, share_cell),
        (
            "The same steps' GFLOP/s as a share (%) of the matmul peak timed before each of "
            "their own blocks (the median of those; the run's peak above is timed once, at its "
            "start, and can come from another state of the machine than the step's blocks):",
            local_share_cell,
        ),
    ]
    return "\n".join(out + _sweep_tables(first, counts, ratio_cell, shares)) + "\n"
