"""Where does a training step spend its time? A per-op profiler.

    with mg.profiler.profile() as prof:
        loss = model(x).sum()
        loss.backward()
    print(prof.table())

Each op's forward and backward are timed separately, with the GPU synchronised before each
clock read so asynchronous kernels are charged to the op that launched them. Ops that a
backward runs internally are counted inside that backward, not again on their own.
"""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any

from . import autograd
from .cuda import synchronize


class profile:
    """Context manager collecting (op, phase) -> (calls, total seconds)."""

    def __init__(self, sync_gpu: bool = True) -> None:
        self.sync_gpu = sync_gpu
        self.stats: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0, 0.0])
        self.wall = 0.0
        self._depth = 0

    def __enter__(self) -> profile:
        self._saved = autograd._state.profiler
        autograd._state.profiler = self
        self._t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.wall = time.perf_counter() - self._t0
        autograd._state.profiler = self._saved

    # the hooks in autograd call these two around each forward / backward
    def start(self) -> float | None:
        self._depth += 1
        if self._depth > 1:
            return None  # nested inside a timed op: counted there
        if self.sync_gpu:
            synchronize()
        return time.perf_counter()

    def stop(self, t0: float | None, name: str, phase: str) -> None:
        self._depth -= 1
        if t0 is None:
            return
        if self.sync_gpu:
            synchronize()
        entry = self.stats[(name, phase)]
        entry[0] += 1
        entry[1] += time.perf_counter() - t0

    def rows(self) -> list[dict[str, Any]]:
        """One dict per (op, phase), by total time, largest first."""
        out = [
            {"op": op, "phase": phase, "calls": int(n), "total_s": t, "mean_ms": 1e3 * t / n}
            for (op, phase), (n, t) in self.stats.items()
        ]
        return sorted(out, key=lambda r: -r["total_s"])

    def table(self, limit: int | None = None) -> str:
        rows = self.rows()
        timed = sum(r["total_s"] for r in rows)
        lines = [f"{'op':<22}{'phase':<10}{'calls':>7}{'total ms':>11}{'mean ms':>10}{'share':>8}"]
        for r in rows[:limit]:
            share = r["total_s"] / timed if timed else 0.0
            lines.append(
                f"{r['op']:<22}{r['phase']:<10}{r['calls']:>7}"
                f"{1e3 * r['total_s']:>11.2f}{r['mean_ms']:>10.3f}{share:>8.1%}"
            )
        lines.append(
            f"ops timed: {1e3 * timed:.1f} ms of {1e3 * self.wall:.1f} ms wall "
            "(the rest is Python between ops: optimizer, data, bookkeeping)"
        )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()
