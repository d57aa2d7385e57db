"""Elementwise NumPy work on several cores, when asked for.

A NumPy ufunc on a large array runs on one core, while the matrix products around it use
the BLAS's threads. NumPy releases the GIL inside a ufunc's loop, so the same ufunc on
disjoint slices of the array runs in parallel from a few Python threads. `split(n, work)`
calls `work(lo, hi)` on one range of [0, n) per thread. One range each, not many small
blocks: every NumPy call holds the GIL while Python sets it up, so many short calls from two
threads queue for it (measured: max pooling in 64 KiB blocks on two threads ran at half
the speed of one thread).

The count: `set_num_threads(n)`, else MINIGRAD_NUM_THREADS, else the BLAS's own count
(OPENBLAS_NUM_THREADS, GOTO_NUM_THREADS, OMP_NUM_THREADS, else the usable cores, the order
OpenBLAS reads them in), but that only where NumPy's BLAS is OpenBLAS and its idle workers go
to sleep soon after a product (`openblas_parks()`), else 1. The reason, measured on the
2-core machine this was written on: after a product, OpenBLAS's worker threads keep
spinning on their cores for about 0.14 s (2^28 cycles, its default), so inside a training
step every elementwise thread fights one of them for a core. With that default the DCGAN
and triplet steps ran 7-10% slower on two elementwise threads than on one. With
OPENBLAS_THREAD_TIMEOUT=16 (2^16 cycles, some 30 microseconds, still longer than the gaps
between the products of one layer) the same two threads took the DCGAN step from 1.27x
PyTorch's time to 1.18-1.20x and the triplet step from 1.32x to 1.12-1.15x
(docs/benchmarks.md). The default is now 18 (2^18 cycles, some 0.1 ms): a small model's
products come further apart than 30 microseconds, so at 16 each found the worker asleep
and waited for it to wake. Measured on the MLP GAN step (batch 64, two threads, five
processes each, alternating): 6.5-6.9 ms at 16 (one outlier at 10.3), 6.2-6.6 at 18, the
step's Linear products 3.41-3.46 ms against 3.03-3.17; the DCGAN steps, the triplet step
and iteration, conv2d, conv_transpose2d and batch norm stayed within their noise (DCGAN
86.7-88.9 ms against 87.5-89.8, conv_transpose2d 17.4-20.0 against 17.7-19.6). At 20
(0.4 ms) the triplet iteration, whose pooling splits follow its products, slowed from
about 9.0 to 10.2-10.5 ms.
`import minigrad` sets OPENBLAS_THREAD_TIMEOUT=18 when it runs before NumPy is first
imported and the variable is not set (minigrad/_openblas.py); a program that imports NumPy
first keeps OpenBLAS's default and one elementwise thread, unless it sets either variable
itself.
Those 2^18 cycles have a cost of their own: right after a product the worker still spins
on the other core, and a split() there waits for its crew thread to get that core. After
a 512 x 512 product the crew started its range about 100 us after the call (10 us back
to back), even when it had been spinning all along. Spinning, it started after 15-17 us
at OPENBLAS_THREAD_TIMEOUT=4 to 10, but the steps above were slower at 15 (the MLP GAN
iteration 6.4-7.1 ms against 5.3-5.8). So a short kernel that follows a product stays on
one thread until its work is worth that wait: Tanh (a generator's output,
MIN_PARALLEL_TANH) and the outer product of a one-output Linear's input gradient
(cpu_kernels.MIN_PARALLEL_OUTER). Handing the ranges out on demand (four per thread, each
thread taking the next one free), so that a late crew thread would take fewer, made the
DCGAN iteration's kernels slower, not faster: LeakyReLU's forward on 0.4 M values 186-194
us against 148, batch norm's backward 209-217 against 133 (medians in one process,
alternating for 90 s), the threads queueing for the GIL between ranges.
The calling thread's range is sized from its call site's past splits instead (BALANCE,
`_caller_items`): the crew starts its range 25-50 us after the caller starts its own, so the
caller takes a little more. Toggled in one process, blocks of steps alternating (medians of
14-20 pairs, balanced / even): the DCGAN iteration 0.94, 0.91 and 0.99 in three runs, its
example form 1.00 and 0.90, WGAN-GP 0.95 and 0.99, max and average pooling's forward and
backward 0.88 and 0.90, the other ops and the triplet step 0.98-1.00; the MLP GAN step, which
splits nothing, 1.005 (the method's noise).
Arrays under MIN_PARALLEL values stay on the calling thread (MIN_PARALLEL_ELEMENTWISE for
the NumPy code's one-pass elementwise kernels, which are bound by memory). The ranges go to
a crew of threads started once, which spin for a moment between ranges, as OpenMP's do
(see "the crew" below): an empty split() takes about 10 microseconds here, where waking a
sleeping thread for each range took about 60.

Kernels that use it (NumPy only; CuPy has its own kernels): ReLU and LeakyReLU forward and
backward, max pooling forward and backward, batch norm's training forward and first-order
backward, im2col, col2im, the batch-minor copy of conv's gradient and the C-order copy of a
leaf's batch-minor gradient; the compiled loops
of ops/cpu_kernels.py (the same kernels and Adam's step, each one call per thread without
the GIL) and Winograd's transforms (ops/winograd.py) from their own MIN_PARALLEL and
MIN_PARALLEL_PASS, and Winograd's batches of products (`products`, below). The thresholds
above are the NumPy code's.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from . import _openblas
from .backend import loud_fp, quiet_fp
from .ops import layout

MIN_PARALLEL = 1 << 17  # elements below which one thread does all the work
# elements below which an elementwise kernel (ReLU, LeakyReLU, a Scale) stays on one
# thread: these passes are bound by memory, which a second thread barely widens here. On
# two threads against one, forward and backward: LeakyReLU 4.6-4.7 against 4.6 ms on
# 1.6 M values, 16.3 against 16.1 on 6.4 M; ReLU 5.3-5.5 against 4.6-4.7 on 1.6 M, 14.2
# against 16.2-19.4 on 6.4 M and 26-27 against 31 on 12.8 M
MIN_PARALLEL_ELEMENTWISE = 1 << 22
BLOCK = 1 << 16  # elements per block of a blocked kernel (256 KiB of float32 per array)

_ENV = "MINIGRAD_NUM_THREADS"
PARK_ENV = _openblas.VAR  # log2 of the cycles an idle OpenBLAS worker spins
PARK_MAX = 20  # up to 2^20 cycles (about 0.4 ms) counts as parking soon
# the order OpenBLAS reads its thread count in (then it takes the usable cores)
BLAS_ENV = ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS")


def _from_environment() -> int:
    text = os.environ.get(_ENV, "").strip()
    if not text:
        return blas_threads() if openblas_parks() else 1
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{_ENV} must be a whole number of threads, got {text!r}") from None
    if value < 1:
        raise ValueError(f"{_ENV} must be >= 1, got {value}")
    return value


def _positive_int(text: str | None) -> int | None:
    try:
        value = int((text or "").strip())
    except ValueError:
        return None
    return value if value > 0 else None


def usable_cores() -> int:
    """The cores this process may run on (its affinity on Linux, else every core)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def numpy_blas_is_openblas() -> bool:
    """Whether NumPy was built with OpenBLAS (False where NumPy, before 1.26, does not say)."""
    try:
        blas = np.__config__.CONFIG["Build Dependencies"]["blas"]["name"]
    except (AttributeError, KeyError, TypeError):
        return False
    return "openblas" in str(blas).lower()


def blas_thread_setting() -> tuple[str | None, int | None]:
    """The variable OpenBLAS takes its thread count from and the count it asks for: the
    first of BLAS_ENV that holds an integer >= 1, else (None, None) (the usable cores)."""
    for var in BLAS_ENV:
        value = _positive_int(os.environ.get(var))
        if value is not None:
            return var, value
    return None, None


def blas_threads() -> int:
    """The threads OpenBLAS uses for a product, as it reads them from the environment."""
    cores = usable_cores()
    _, value = blas_thread_setting()
    return cores if value is None else min(value, cores)  # no more than the usable cores


def openblas_parks() -> bool:
    """Whether NumPy's BLAS is OpenBLAS and OPENBLAS_THREAD_TIMEOUT makes its idle workers
    sleep within 2^PARK_MAX cycles of their last product (instead of spinning for 2^28)."""
    timeout = _positive_int(os.environ.get(PARK_ENV))
    return timeout is not None and timeout <= PARK_MAX and numpy_blas_is_openblas()


# how long a crew thread spins for its next job before it sleeps: up to SPIN_TRIES calls
# of sched_yield, about 0.1 ms on the machine of these measurements (0.5 us each)
SPIN_TRIES = 200
# yields a crew thread makes between seeing a job and taking the GIL (_Worker._next_job)
GRACE_TRIES = 4
# how long split()'s caller spins for the crew's shares, about 10 ms here: a share takes
# up to a few milliseconds, and a caller that sleeps is woken by the crew thread, which
# makes Linux move it onto that thread's core (see _move_off)
CALLER_SPIN_TRIES = 20_000

_threads: int | None = None  # read from the environment on first use
_crew: list[_Worker] | None = None  # split()'s threads, started on first use
_lock = threading.Lock()  # held by the split() that is using the crew
_holder: int | None = None  # the thread that holds it
_inside = threading.local()  # set in crew threads: a nested split() runs inline


def get_num_threads() -> int:
    """The threads elementwise kernels use (cf. torch.get_num_threads); see the module's
    docstring for the default."""
    global _threads
    if _threads is None:
        _threads = _from_environment()
    return _threads


def set_num_threads(n: int) -> None:
    """Use `n` threads for elementwise kernels from now on (torch.set_num_threads); the
    BLAS keeps its own setting."""
    global _threads
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads: n must be an int >= 1, got {n!r}")
    if getattr(_inside, "active", False) or _holder == threading.get_ident():
        # from the work of a split() in flight, which this thread would wait for: the
        # count holds from the next split(), which resizes the crew
        _threads = n
        return
    with _lock:  # after any split() in flight
        _threads = n
        _disband()


# ------------------------------------------------------------------ the crew
# split() hands each range but the first to a thread of its own, started once and kept.
# Handing a range over is the cost that decides which arrays are worth splitting, so it
# is kept small the way OpenMP keeps it: after a range, a crew thread waits for the next
# one by spinning (a loop that checks a flag and calls sched_yield, compiled without the
# GIL in ops/cpu_loops.py) for about 0.1 ms before it goes to sleep on a lock, and
# split()'s caller waits for the crew the same way. Measured on the 2-core virtual
# machine of these measurements, medians of back-to-back calls: an empty split() took 59-60
# us with concurrent.futures (a sleeping thread woken for every range) and 33 with the
# crew, most of it the GIL passing between two threads that each run Python; LeakyReLU's
# forward on 1.6 M floats took 0.27-0.34 ms on one thread, 0.23-0.25 on two with
# concurrent.futures and 0.20-0.22 with the crew. A crew thread then still slept on the
# GIL at both ends of a range; with that gone (_Worker._next_job) an empty split() takes
# 9-11 us. A sleeping thread is also slow to wake
# here after the machine idled. Which thread waits for what is decided by counters, so a
# wait cut short leaves nothing out of step (see _Worker). Where the spin cannot be
# compiled (no Numba, MINIGRAD_CPU_KERNELS=numpy) the threads sleep. Which core each
# thread runs on matters too: see _move_off.
class _Worker:
    """One crew thread: takes a job, runs it, reports it done, waits for the next.

    Two counters in `flags` say what happened, and only ever grow: jobs handed over (written
    by split()'s caller) and jobs done (by the thread). Each side waits for the other's
    counter, spinning first and then sleeping on a lock that the other side releases after
    it counts: the locks only wake, the counters decide. So a wait cut short anywhere (by
    Ctrl-C in the caller, say) leaves nothing out of step: a wake-up left over makes the
    next wait look at its counter once more, and a new job is handed over only once the
    last one is done."""

    def __init__(self, index: int, spin: Callable[..., bool] | None) -> None:
        self.flags = np.zeros(2, np.int64)  # [jobs handed over, jobs done]
        self.go, self.done = threading.Lock(), threading.Lock()  # wake-ups for each side
        self.go.acquire()
        self.done.acquire()
        self.job: Callable[[], None] | None = None
        self.error: BaseException | None = None  # what the last job raised
        self.caller_cpu = -1  # the core split()'s caller was on when it handed the job over
        self.began = self.ended = 0.0  # when the last job started and ended (perf_counter)
        self.spin = spin
        self.pid = os.getpid()  # a forked child has the object but not the thread
        self.thread = threading.Thread(target=self._serve, name=f"minigrad-{index}", daemon=True)
        self.thread.start()

    def _wait(self, slot: int, count: int, lock: threading.Lock, tries: int = 0) -> None:
        """Until flags[slot] >= count: spin a while (`tries`, else SPIN_TRIES), then sleep
        on `lock`."""
        if self.spin is not None and self.spin(
            self.flags, slot, count, tries or SPIN_TRIES, -1, 0, 0
        ):
            return
        self._sleep(slot, count, lock)

    def _next_job(self, done: int) -> None:
        """The crew thread's wait: report `done` jobs done, then wait for job `done` + 1.

        Both ends of a job cost a wake-up on the GIL if done the plain way, since CPython's
        take_gil sleeps at once when another thread holds the GIL, and the wake-up took
        about 25 us on the virtual machine of these measurements. So the report is written
        by the compiled spin, after the GIL is let go: split()'s caller, which spins for it,
        then finds the GIL free. And once a job came, the spin yields GRACE_TRIES times
        more before the thread goes for the GIL: by then the caller, which handed the job
        over just before it started its own range, is inside that range without the GIL.
        An empty split() took 33-37 us, 10-11 us with both; LeakyReLU's forward on 0.8 M
        floats 93-109 us, 64-72."""
        if self.spin is None:
            self.flags[1] = done
            self._wake(self.done)
        else:
            came = self.spin(self.flags, 0, done + 1, SPIN_TRIES, 1, done, GRACE_TRIES)
            self._wake(self.done)  # a caller that stopped spinning sleeps on it
            if came:
                return
        self._sleep(0, done + 1, self.go)

    def _sleep(self, slot: int, count: int, lock: threading.Lock) -> None:
        """Until flags[slot] >= count: sleep on `lock`."""
        while self.flags[slot] < count:
            if os.getpid() != self.pid:
                raise RuntimeError(
                    "minigrad.threads.split: this process was forked from inside the work "
                    "of a split(), and the ranges it handed to other threads do not run in "
                    "the child; fork before or after a split(), not inside one"
                )
            lock.acquire()  # a release since the last look, or the next one

    @staticmethod
    def _wake(lock: threading.Lock) -> None:
        try:
            lock.release()
        except RuntimeError:  # released already: a wake-up is waiting
            pass

    def _serve(self) -> None:
        _inside.active = True
        allowed = os.sched_getaffinity(0) if _getcpu is not None else set()
        done = 0
        while True:
            self._next_job(done)
            job = self.job
            if job is None:  # disbanded
                return
            if _getcpu is not None and _getcpu() == self.caller_cpu:
                _move_off(self.caller_cpu, allowed)  # or the shares take turns on one core
            fp = quiet_fp()  # as the calling op: IEEE results, no NumPy warnings
            self.began = time.perf_counter()
            try:
                job()
            except BaseException as exc:  # noqa: BLE001 - raised by the caller
                self.error = exc
            finally:
                self.ended = time.perf_counter()
                loud_fp(fp)
            job = self.job = None  # no reference left to the work's arrays
            done += 1

    def start(self, job: Callable[[], None] | None) -> None:
        """Hand `job` over (None: stop), once the last job is done (it still runs if the
        split() that handed it over was interrupted)."""
        self._wait(1, int(self.flags[0]), self.done)
        self.job, self.error = job, None
        self.caller_cpu = -1 if _getcpu is None else _getcpu()
        self.flags[0] += 1
        self._wake(self.go)

    def finish(self) -> BaseException | None:
        """Wait for the job handed over; the exception it raised, if any."""
        self._wait(1, int(self.flags[0]), self.done, CALLER_SPIN_TRIES)
        error, self.error = self.error, None
        return error


def _cpu_getter() -> Callable[[], int] | None:
    """The C library's sched_getcpu (the core the calling thread is on), where threads have
    affinities of their own to set (Linux), else None."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    try:
        getcpu = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").sched_getcpu
    except (OSError, AttributeError):
        return None
    getcpu.argtypes, getcpu.restype = [], ctypes.c_int
    return getcpu


_getcpu = _cpu_getter()


def _move_off(cpu: int, allowed: set[int]) -> None:
    """Move the calling crew thread off core `cpu` (its caller's) now, and keep it off:
    its cores become `allowed` (those it started with) without `cpu`. Nothing happens
    where `cpu` is the only one.

    Linux wakes a sleeping thread on the core of the thread that wakes it. After a pause
    the crew thread has gone to sleep, split()'s caller wakes it, and from then on the two
    took turns on one core: the crew thread waits for the GIL while the caller holds it,
    sleeps on it, and is woken onto the caller's core again; the caller's share runs first
    and the crew's after it. Measured here after a 0.1 s pause, 40 splits of two 0.325 ms
    shares: the two shares started on one core in 302 of 320 splits, and a split took
    0.67-0.73 ms where back to back (0 of 320 on one core) it took 0.37; batch norm's
    forward and backward on two threads stayed at 0.98 ms for steps 10 to 40 after the
    pause, 0.67-0.76 back to back. Moving the crew thread off and back on (its cores as
    before) did not last: the next wake-up put it back. Nor did keeping it off alone: the
    caller, asleep while it waited for the crew, was woken onto the crew's core in turn.
    So the crew thread stays off its caller's core, and the caller waits for the crew by
    spinning (CALLER_SPIN_TRIES) instead of sleeping. With both: a split 0.39 ms after the
    pause and 0 of 320 on one core; batch norm 0.78 ms for steps 10 to 40."""
    others = allowed - {cpu}
    if others:
        try:
            os.sched_setaffinity(0, others)
        except OSError:  # the affinity may not be changed here: stay
            pass


def _spinner() -> Callable[..., bool] | None:
    from .ops import cpu_kernels  # not at import: cpu_kernels imports this module

    return cpu_kernels.spinner()


def _get_crew(workers: int) -> list[_Worker]:
    """`workers` crew threads (called with _lock held)."""
    global _crew
    if _crew is None or len(_crew) != workers:
        _disband()
        spin = _spinner()
        _crew = [_Worker(i + 1, spin) for i in range(workers)]
    return _crew


def _disband() -> None:
    """Stop the crew threads (called with _lock held, no job in flight)."""
    global _crew
    crew, _crew = _crew, None
    for worker in crew or ():
        worker.start(None)
        worker.thread.join()


def _after_fork_in_child() -> None:
    """A forked child has the parent's objects but none of its other threads: forget the
    crew (the next split() starts its own) and a lock a split() in flight held."""
    global _crew, _lock, _holder
    _crew, _lock, _holder = None, threading.Lock(), None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


# How split() sizes the calling thread's range. The crew starts its range later than the
# caller starts its own: a crew thread must be woken and take the GIL, and after a matrix
# product OpenBLAS's worker still spins on its core. In the DCGAN iteration on two threads
# the crew started 50-126 us after the call, the caller 23-47 us (medians per kind of
# split), and with even ranges the caller then waited 47-117 us for the crew at the end of
# each, 5.2 ms of a 99.6 ms step. So each call site (its `key`) keeps moving averages of
# how much later the crew starts than the caller and of the seconds per element each side
# takes, and the caller's range is sized so that both are expected to end together.
BALANCE = True  # False: even ranges, as before the averages
BALANCE_WEIGHT = 0.25  # of the newest split in the moving averages
_balance: dict[Any, list[float]] = {}  # key -> [crew's extra lag s, caller s/elem, crew s/elem]


def _caller_items(n: int, threads: int, unit: int, seen: list[float] | None) -> int:
    """Items of the calling thread's range: n / threads before anything was seen, else the
    m for which m items on this thread end with (n - m) / (threads - 1) on each crew
    thread, started `lag` seconds later (m unit c = lag + (n - m) unit w / k), kept within
    [n / (2 threads), n - k] so that every thread has a range."""
    even = -(-n // threads)
    k = threads - 1
    if not BALANCE or seen is None:
        return even
    lag, c, w = seen
    per_item = unit * (c + w / k)
    if not per_item > 0:  # items of no elements, or times below the clock's resolution
        return even
    m = round((lag + n * unit * w / k) / per_item)
    return min(max(m, -(-n // (2 * threads)), 1), n - k)


def _learn(
    key: Any, began: float, ended: float, mine: int, crew: list[_Worker], theirs: int
) -> None:
    """Fold one split's times into `key`'s moving averages: the crew's start after the
    caller's (its first thread's), and each side's seconds per element."""
    if mine <= 0 or theirs <= 0 or not crew:
        return
    lag = crew[0].began - began
    c = (ended - began) / mine
    w = sum(worker.ended - worker.began for worker in crew) / theirs
    seen = _balance.get(key)
    if seen is None:
        _balance[key] = [lag, c, w]
        return
    a = BALANCE_WEIGHT
    for i, v in enumerate((lag, c, w)):
        seen[i] += a * (v - seen[i])


def split(
    n: int,
    work: Callable[[int, int], None],
    unit: int = 1,
    xp: Any = np,
    min_size: int = MIN_PARALLEL,
    blas: tuple[Any, Any] | None = None,
    key: Any = None,
) -> None:
    """Call `work(lo, hi)` on consecutive ranges that cover [0, n) once each: one range per
    thread when the n items (of `unit` elements each: an image, say) hold at least
    `min_size` elements and get_num_threads() > 1, else `work(0, n)` on this thread
    (always for arrays of another module `xp` than NumPy: CuPy queues its own kernels).
    `work` must touch only its own range of its outputs, and give the same values whatever
    the ranges. An exception in any range is raised here. With `blas`
    (blas_thread_calls()), the BLAS's thread count is 1 while the ranges run over the
    crew, and is set back after (products). The calling thread's range is sized from the
    last splits of the same `key` (default: work's code, one per call site; see
    `_caller_items`)."""
    threads = min(get_num_threads(), n)
    small = n * unit < min_size
    if threads < 2 or small or xp is not np or getattr(_inside, "active", False):
        work(0, n)
        return
    global _holder
    lock = _lock  # (a fork in a range gives the child a new _lock)
    if not lock.acquire(blocking=False):  # another thread's split() has the crew
        work(0, n)
        return
    _holder = threading.get_ident()
    started: list[_Worker] = []
    blas_before = None
    try:
        if blas is not None:  # products(): the BLAS on one thread while the crew is ours
            blas_before = blas[1]()
            blas[0](1)
        if key is None:
            key = getattr(work, "__code__", None)
        m = _caller_items(n, threads, unit, _balance.get(key))
        rest = n - m  # the crew's, in equal ranges
        share = -(-rest // (threads - 1))
        bounds = [(0, m)] + [(lo, min(lo + share, n)) for lo in range(m, n, share)]
        crew = _get_crew(get_num_threads() - 1)  # a prefix when n has fewer items
        try:
            for worker, (lo, hi) in zip(crew[: len(bounds) - 1], bounds[1:], strict=True):
                worker.start(lambda lo=lo, hi=hi: work(lo, hi))
                started.append(worker)
            began = time.perf_counter()
            work(0, m)  # the calling thread takes the first range
            ended = time.perf_counter()
        finally:  # no range outlives the call, even when one failed
            errors = [worker.finish() for worker in started]
        if key is not None and all(e is None for e in errors):
            _learn(key, began, ended, m * unit, started, rest * unit)
    finally:
        if blas_before is not None:
            blas[0](blas_before)
        _holder = None
        lock.release()
    for error in errors:
        if error is not None:
            raise error  # a crew thread's exception, raised here


# ------------------------------------------------------------------ batches of products
# Winograd's passes are batches of 16 or 25 independent products, each small: (128, 256) @
# (256, 256) on DCGAN's layer. np.matmul runs them one after another, and OpenBLAS splits
# each over its threads, meeting them 25 times a pass. Given to the crew instead, a share
# of the batch per thread, each product on one BLAS thread (OpenBLAS's count set to 1 for
# the call, through its own openblas_set_num_threads, and set back after), the batch took
# 3.13 ms against 3.53 ((25, 128, 256) @ (25, 256, 256)), 2.77 against 3.36 ((25, 256, 128)
# @ (25, 128, 256)), and OpenBLAS's workers, never woken, leave the second core to the crew.
# (On two threads each, the crew's products and OpenBLAS's own took 24 ms: the count must
# be 1 while the crew runs them.) Medians of 50 on the 2-core Intel machine of
# docs/benchmarks.md; one thread: 6.01 and 4.67 ms. False runs every batch through
# np.matmul as it is.
SPLIT_PRODUCTS = True
_BLAS_SYMBOLS = (  # (set, get) in NumPy's own OpenBLAS wheels' names, then the plain ones
    ("scipy_openblas_set_num_threads64_", "scipy_openblas_get_num_threads64_"),
    ("scipy_openblas_set_num_threads", "scipy_openblas_get_num_threads"),
    ("openblas_set_num_threads64_", "openblas_get_num_threads64_"),
    ("openblas_set_num_threads", "openblas_get_num_threads"),
)
_blas_calls: tuple[Any, Any] | None | bool = False  # False: not looked for yet


def _openblas_paths() -> list[str]:
    """The OpenBLAS libraries this process has loaded (Linux: from /proc/self/maps)."""
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as f:
            paths = {line.split()[-1] for line in f if "openblas" in line.lower()}
    except OSError:
        return []
    return sorted(p for p in paths if p.startswith("/"))


def numpy_openblas(paths: list[str], numpy_dir: str) -> str | None:
    """Which of the loaded OpenBLAS libraries `paths` is NumPy's: the one in NumPy's own
    tree (a wheel's numpy.libs beside numpy_dir), else the only one loaded; None where
    several are and none is NumPy's (SciPy's wheels bring a copy of their own, and setting
    the wrong copy's count would leave NumPy's products on two threads in each crew
    thread, seven times slower)."""
    own = [p for p in paths if p.startswith((numpy_dir + ".libs" + os.sep, numpy_dir + os.sep))]
    if own:
        return own[0]
    return paths[0] if len(paths) == 1 else None


def _find_blas_calls() -> tuple[Any, Any] | None:
    """(set, get) of NumPy's OpenBLAS's thread count, looked up in its loaded library."""
    if not numpy_blas_is_openblas():
        return None
    path = numpy_openblas(_openblas_paths(), os.path.dirname(np.__file__))
    if path is None:
        return None
    try:
        lib = ctypes.CDLL(path)
    except OSError:
        return None
    for set_name, get_name in _BLAS_SYMBOLS:
        setter, getter = getattr(lib, set_name, None), getattr(lib, get_name, None)
        if setter is not None and getter is not None:
            setter.argtypes, setter.restype = [ctypes.c_int], None
            getter.argtypes, getter.restype = [], ctypes.c_int
            return setter, getter
    return None


def blas_thread_calls() -> tuple[Any, Any] | None:
    """(set, get) of the thread count of NumPy's OpenBLAS, or None where NumPy's BLAS is
    not OpenBLAS or its library cannot be told (then batches stay in np.matmul); looked up
    once."""
    global _blas_calls
    if _blas_calls is False:
        _blas_calls = _find_blas_calls()
    return _blas_calls


def products(n: int, work: Callable[[int, int], None]) -> None:
    """Call `work(lo, hi)` on ranges covering [0, n) of a batch of n independent matrix
    products (`work` runs np.matmul on its share): a share per crew thread, each product
    on one BLAS thread, where SPLIT_PRODUCTS, more than one thread, a batch of two or more
    and OpenBLAS's thread count within reach (blas_thread_calls) allow it, and the crew is
    free; else `work(0, n)` here, with the BLAS's own threads. While the crew runs the
    shares, a BLAS call from another thread of the program also runs on one thread."""
    calls = blas_thread_calls() if SPLIT_PRODUCTS else None
    if calls is None:
        work(0, n)
    else:  # the count changes only while this call holds the crew (see split)
        split(n, work, min_size=0, blas=calls)


def copy(out: Any, src: Any) -> None:
    """`out[...] = src` (same shape, any layout, either module), a share of the leading axis
    per thread."""
    xp = np if isinstance(out, np.ndarray) else None

    def work(lo: int, hi: int) -> None:
        out[lo:hi] = src[lo:hi]

    split(len(out), work, unit=out[:1].size, xp=xp)


def _layout(a: np.ndarray) -> tuple[int, ...] | None:
    """The strides in elements of a dense array's axes longer than 1 (its memory order, in
    effect), or None for an array with gaps, overlaps or negative strides."""
    if not layout.is_dense(a):
        return None
    steps = layout.strides_in_elements(a)
    return tuple(s for s, n in zip(steps, a.shape, strict=True) if n != 1)


def _uniform(arrays: tuple[Any, ...], min_size: int) -> bool:
    """NumPy arrays of one shape with >= min_size elements, all dense in one memory order."""
    first = arrays[0]
    if not (
        isinstance(first, np.ndarray)
        and first.size >= min_size
        and all(isinstance(a, np.ndarray) and a.shape == first.shape for a in arrays)
    ):
        return False
    order = _layout(first)
    return order is not None and all(_layout(a) == order for a in arrays[1:])


def same_layout(arrays: tuple[Any, ...]) -> bool:
    """NumPy arrays of one shape, all dense in one memory order: their 1-D views in memory
    order (layout.flat_view) line up value for value."""
    first = arrays[0]
    for a in arrays:  # the common case, without working out each array's order
        if not (isinstance(a, np.ndarray) and a.flags.c_contiguous and a.shape == first.shape):
            return _uniform(arrays, 0)
    return True


def parallel(*arrays: Any) -> bool:
    """Whether a one-pass kernel over these NumPy arrays is worth splitting over threads:
    of one shape with >= MIN_PARALLEL_ELEMENTWISE elements, all dense in one memory order
    (C order, or a convolution's batch-minor order, ...), and more than one thread."""
    return get_num_threads() > 1 and _uniform(arrays, MIN_PARALLEL_ELEMENTWISE)


def elementwise(kernel: Callable[..., Any], *arrays: Any, blocked: bool = False) -> None:
    """Run `kernel(*arrays)`, which writes its outputs (some of `arrays`) in place with
    `out=`: on a share of the elements per thread when `parallel(*arrays)` (as 1-D views in
    their common memory order, no copies), else once on the whole arrays, whatever their
    layout or module.

    `blocked=True` is for a kernel of several passes (LeakyReLU's forward makes four): on
    one thread the kernel then goes through the arrays BLOCK elements at a time, so that the
    second and later passes find their operands in the cache the first pass filled instead
    of reading them from memory again. Not when the arrays are split over threads: there
    every NumPy call hands the GIL from one thread to the other, and a few dozen blocks per
    thread cost more than the cache saves (measured: LeakyReLU forward and backward on two
    threads 3.6-3.8 ms unblocked, 4.0-4.3 blocked, 4.5 on one thread)."""
    split_it = parallel(*arrays)
    blocks = blocked and not split_it and _uniform(arrays, 2 * BLOCK)
    if not (blocks or split_it):
        kernel(*arrays)
        return
    flat = [layout.flat_view(a) for a in arrays]
    if split_it:  # a share per thread, each in one call
        split(
            flat[0].size,
            lambda lo, hi: kernel(*(f[lo:hi] for f in flat)),
            min_size=MIN_PARALLEL_ELEMENTWISE,
            key=getattr(kernel, "__code__", kernel),
        )
        return
    for start in range(0, flat[0].size, BLOCK):  # a few dozen blocks, on this thread
        kernel(*(f[start : start + BLOCK] for f in flat))
