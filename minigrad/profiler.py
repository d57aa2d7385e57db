"""Where does a training step spend its time? A per-op profiler.

    with mg.profiler.profile() as prof:
        loss = model(x).sum()
        loss.backward()
    print(prof.table())

Each op's forward and backward are timed separately, with the GPU synchronised before each
clock read so asynchronous kernels are charged to the op that launched them. Ops that a
backward runs internally are counted inside that backward, not again on their own.

Python's garbage collector can run in the middle of any op: a full collection walks every
object the process holds (with PyTorch imported as well, some 400,000 of them), which took
93 ms in one LeakyReLU forward that otherwise takes 0.03 ms, and made it 20% of a profiled
MLP GAN step. Its pauses are timed on their own (`gc_stats`, a line under the table and
bars in the trace) and taken out of the op they fell in.

Profile a warm step, not a process's first: an op's first call loads its compiled kernels
(Numba's, from the on-disk cache: about a second), and the table charges that one-time
cost to the op. Where one call took most of the ops' time, the table says so under its rows.

PyTorch's spelling works too: `profile(activities=[ProfilerActivity.CPU], record_shapes=...)`
(the options are accepted; minigrad times ops on the host, synchronising a GPU first),
`record_function("name")` to time a region of your own, `prof.key_averages().table(
sort_by="cpu_time_total", row_limit=10)` and `prof.export_chrome_trace("trace.json")` (open
it in chrome://tracing or Perfetto: one bar per op's forward or backward).
"""

from __future__ import annotations

import gc
import time
from collections import defaultdict
from typing import Any

from . import autograd
from .cuda import synchronize


class profile:
    """Context manager collecting (op, phase) -> (calls, total seconds)."""

    def __init__(
        self,
        sync_gpu: bool = True,
        *,
        activities: Any = None,
        schedule: Any = None,
        on_trace_ready: Any = None,
        **options: Any,
    ) -> None:
        # PyTorch's record_shapes, profile_memory, with_stack, with_flops, use_cuda, ...:
        # accepted; what minigrad records is the same with or without them
        if schedule is not None or on_trace_ready is not None:
            raise NotImplementedError(
                "profile: schedule= and on_trace_ready= (PyTorch's wait/warmup/active steps "
                "and trace handlers) are not supported; profile the steps you want inside "
                "the `with` block and call export_chrome_trace() after it"
            )
        self.sync_gpu = sync_gpu
        self.stats: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0, 0.0])
        self.events: list[tuple[str, str, float, float]] = []  # (name, phase, start, end)
        self.wall = 0.0
        self._depth = 0
        # Python's garbage collector: collections, their seconds, and of those the seconds
        # inside timed ops (taken out of the ops' times)
        self.gc_stats = {"collections": 0, "total_s": 0.0, "in_ops_s": 0.0}
        self._gc_start = 0.0
        self._gc_mark = 0.0  # gc_stats["total_s"] when the timed op began
        self._longest = ("", "", 0.0)  # the longest single call: (op, phase, seconds)

    def __enter__(self) -> profile:
        self._saved = autograd._state.profiler
        autograd._state.profiler = self
        self._t0 = self._gc_start = time.perf_counter()
        gc.callbacks.append(self._on_gc)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.wall = time.perf_counter() - self._t0
        autograd._state.profiler = self._saved
        if self._on_gc in gc.callbacks:
            gc.callbacks.remove(self._on_gc)

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        """gc.callbacks' hook: time each collection."""
        now = time.perf_counter()
        if phase == "start":
            self._gc_start = now
            return
        self.gc_stats["collections"] += 1
        self.gc_stats["total_s"] += now - self._gc_start
        self.events.append((f"gc (generation {info['generation']})", "gc", self._gc_start, now))

    # the hooks in autograd call these two around each forward / backward
    def start(self) -> float | None:
        self._depth += 1
        if self._depth > 1:
            return None  # nested inside a timed op: counted there
        if self.sync_gpu:
            synchronize()
        self._gc_mark = self.gc_stats["total_s"]
        return time.perf_counter()

    def stop(self, t0: float | None, name: str, phase: str) -> None:
        self._depth -= 1
        if t0 is None:
            return
        if self.sync_gpu:
            synchronize()
        t1 = time.perf_counter()
        paused = self.gc_stats["total_s"] - self._gc_mark  # collections inside this op
        self.gc_stats["in_ops_s"] += paused
        took = max(t1 - t0 - paused, 0.0)
        entry = self.stats[(name, phase)]
        entry[0] += 1
        entry[1] += took
        if took > self._longest[2]:
            self._longest = (name, phase, took)
        self.events.append((name, phase, t0, t1))

    def rows(self) -> list[dict[str, Any]]:
        """One dict per (op, phase), by total time, largest first."""
        out = [
            {"op": op, "phase": phase, "calls": int(n), "total_s": t, "mean_ms": 1e3 * t / n}
            for (op, phase), (n, t) in self.stats.items()
        ]
        return sorted(out, key=lambda r: -r["total_s"])

    def table(self, limit: int | None = None, rows: list[dict[str, Any]] | None = None) -> str:
        """The rows (by total time unless given) as text. An op's share is of the time all
        ops took; a `record_function` region's is of the wall time, and it is not added to
        the ops' (they ran inside it)."""
        rows = self.rows() if rows is None else rows
        timed = sum(r["total_s"] for r in rows if r["phase"] != "region")
        lines = [f"{'op':<22}{'phase':<10}{'calls':>7}{'total ms':>11}{'mean ms':>10}{'share':>8}"]
        for r in rows[:limit]:
            whole = self.wall if r["phase"] == "region" else timed
            share = r["total_s"] / whole if whole else 0.0
            lines.append(
                f"{r['op']:<22}{r['phase']:<10}{r['calls']:>7}"
                f"{1e3 * r['total_s']:>11.2f}{r['mean_ms']:>10.3f}{share:>8.1%}"
            )
        note = self._one_call_note(timed, rows)
        if note:
            lines.append(note)
        last = (
            f"ops timed: {1e3 * timed:.1f} ms of {1e3 * self.wall:.1f} ms wall "
            "(the rest is Python between ops: optimizer, data, bookkeeping)"
        )
        g = self.gc_stats
        if g["collections"]:
            last += (
                f"; Python's garbage collector ran {g['collections']} time(s), "
                f"{1e3 * g['total_s']:.1f} ms, {1e3 * g['in_ops_s']:.1f} ms of it inside ops "
                "and not counted in their times"
            )
        lines.append(last)
        return "\n".join(lines)

    def _one_call_note(self, timed: float, rows: list[dict[str, Any]]) -> str:
        """A line for the table when one call of a row it shows took over half of its
        rows' time (and there were other calls): most often an op's first call in the
        process, loading its compiled kernels, which is not what a step costs."""
        name, phase, took = self._longest
        shown = {(r["op"], r["phase"]) for r in rows}
        calls = sum(r["calls"] for r in rows if r["phase"] != "region")
        if (name, phase) not in shown or calls < 2 or not timed or took <= timed / 2:
            return ""
        return (
            f"one {name} {phase} call took {1e3 * took:.1f} ms, {took / timed:.0%} of the ops' "
            "time: if it was the op's first call, that is mostly its compiled kernels loading; "
            "profile after an untimed warm-up step"
        )

    def __str__(self) -> str:
        return self.table()

    # ------------------------------------------------------------ PyTorch's spelling
    def key_averages(self, group_by_input_shape: bool = False) -> _Averages:
        """The per-(op, phase) totals, for `.table(sort_by=..., row_limit=...)`."""
        return _Averages(self)

    def step(self) -> None:
        """PyTorch's end-of-step mark for a schedule; minigrad records every step."""

    def export_chrome_trace(self, path: str) -> None:
        """Write the timed ops (and `record_function` regions) as Chrome trace events: open
        the file in chrome://tracing or https://ui.perfetto.dev."""
        import json

        t0 = self._t0
        events = [
            {
                "name": name,
                "cat": phase,
                "ph": "X",
                "ts": (start - t0) * 1e6,
                "dur": (end - start) * 1e6,
                "pid": 0,
                "tid": 0,
            }
            for name, phase, start, end in self.events
        ]
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"traceEvents": events, "displayTimeUnit": "ms"}, f)


class _Averages:
    """What `profile.key_averages()` returns: `table(sort_by, row_limit)` as PyTorch's.
    minigrad has one time per op (host time, the GPU synchronised), so every sort key
    ('cpu_time_total', 'self_cpu_time_total', 'cuda_time_total', ...) sorts by it, as
    `count` sorts by calls."""

    def __init__(self, prof: profile) -> None:
        self._prof = prof

    def table(self, sort_by: str | None = None, row_limit: int = 100, **kwargs: Any) -> str:
        if sort_by == "count":
            rows = sorted(self._prof.rows(), key=lambda r: -r["calls"])
            return self._prof.table(row_limit if row_limit >= 0 else None, rows)
        return self._prof.table(row_limit if row_limit >= 0 else None)

    def __str__(self) -> str:
        return self.table()


class ProfilerActivity:
    """PyTorch's activity names, accepted by `profile(activities=...)`."""

    CPU = "CPU"
    CUDA = "CUDA"
    XPU = "XPU"
    MTIA = "MTIA"


class record_function:  # noqa: N801 - PyTorch's name
    """`with record_function("data loading"):` times the block as its own row (phase
    'region') of the active profile, and as one bar in its Chrome trace; the ops inside
    are still timed on their own rows. Outside a profile it does nothing."""

    def __init__(self, name: str, args: Any = None) -> None:
        self.name = name

    def __enter__(self) -> record_function:
        self._prof = autograd._state.profiler
        self._t0 = time.perf_counter()
        if self._prof is not None and self._prof.sync_gpu:
            synchronize()
        return self

    def __exit__(self, *exc: Any) -> None:
        prof = self._prof
        if prof is None:
            return
        if prof.sync_gpu:
            synchronize()
        t1 = time.perf_counter()
        entry = prof.stats[(self.name, "region")]
        entry[0] += 1
        entry[1] += t1 - self._t0
        prof.events.append((self.name, "region", self._t0, t1))


def schedule(**kwargs: Any) -> Any:
    """PyTorch's wait/warmup/active step schedule: not supported (see `profile`)."""
    raise NotImplementedError(
        "profiler.schedule: minigrad's profile records every step inside its `with` block; "
        "profile only the steps you want"
    )


def tensorboard_trace_handler(dir_name: str, **kwargs: Any) -> Any:
    """Not supported: write a trace with `prof.export_chrome_trace(path)` after the block."""
    raise NotImplementedError(
        "profiler.tensorboard_trace_handler: not supported; call "
        "prof.export_chrome_trace('trace.json') after the profile block instead"
    )
