"""`--distributed` for the training jobs: `mpiexec -n N python -m train.gan --distributed ...`

Every process builds the same run; the models train wrapped in DistributedDataParallel
(batch norm made SyncBatchNorm), each process on its block of every global batch
(`--batch-size` is the global batch, split evenly). Data order: the DistributedSampler's
rules, a permutation of seed + epoch dealt round-robin, so it needs no saved state. Each
process draws its own noise from its own stream (seeded seed + rank), and a checkpoint holds
every process's stream, so `--resume` with the same N continues bit for bit.

Rank 0 alone owns the run folder (lock, config, log, checkpoints, samples) and prints; the
others follow its folder's decisions (`Follower`). A process that fails ends them all:
an exception aborts the job (MPI_Abort) instead of leaving the others waiting in a
collective, a killed process is noticed by mpiexec, and a watchdog aborts a process that has
made no progress for MINIGRAD_DIST_TIMEOUT seconds (default 600: longer than rank 0's
longest epoch-end evaluation). Ctrl-C (SIGINT/SIGTERM) on any process is agreed on at the
next batch, so all stop at the same step and rank 0 saves the checkpoint. Before all that,
a job started under a launcher joins MPI first and checks its flags (`vetting`), and every
process says whether its checks passed (`start`), so a flag refused on one process ends
them all with one line each instead of leaving the others waiting for it.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

import minigrad.distributed as dist
from minigrad import Tensor, nn
from minigrad.distributed import comm as C
from train import common
from train import run as scaffold

DEFAULT_TIMEOUT = 600.0
SEED_STRIDE = 1_000_003  # rank r draws from seed + r * SEED_STRIDE


def add_flag(parser: argparse.ArgumentParser, command: str) -> None:
    parser.add_argument(
        "--distributed",
        action="store_true",
        help=f"data-parallel training over MPI: `mpiexec -n N {command} --distributed ...`; "
        "--batch-size is the global batch (docs/distributed.md)",
    )


def start(args: argparse.Namespace) -> Session | None:
    """The session of a `--distributed` run (None without the flag); a ValueError naming
    the flag when mpi4py or the MPI launcher is missing. Under a launcher, every process's
    start-up checks are agreed on here: a `StartFailed` when another process's failed."""
    with vetting():
        session = _session(args)
    if _starting.pending:
        _agree(None, session is not None)
    return session


def _session(args: argparse.Namespace) -> Session | None:
    if not getattr(args, "distributed", False):
        return None
    if importlib.util.find_spec("mpi4py") is None:
        raise ValueError(
            "--distributed needs the package mpi4py: pip install mpi4py mpich "
            '(or pip install -e ".[mpi]")'
        )
    if dist.launcher_size() == 0:
        raise ValueError(
            "--distributed: start the job under an MPI launcher, e.g. `mpiexec -n 2 python "
            "-m train.gan --distributed ...` (no mpiexec/srun environment found)"
        )
    return Session()


class StartFailed(ValueError):
    """Another process of the job failed its start-up checks (so this one stops too)."""


class _Starting:
    """Whether this process joined MPI for a start-up its processes have not yet agreed on."""

    pending = False


_starting = _Starting()


@contextlib.contextmanager
def vetting() -> Iterator[None]:
    """Around a job's start-up checks (its flags, its run folder), before `start`.

    Under a launcher of more than one process, MPI is joined first; a process whose
    checks fail then tells the others (as `start` would) before its error ends it. Without
    that, it would end without joining MPI, and the others would wait for it in MPI_Init,
    deaf to Ctrl-C, for ever. One process, or no mpi4py: the checks run as they are."""
    if not _starting.pending and not _join():
        yield
        return
    said = _Said(sys.stderr)
    try:
        with contextlib.redirect_stderr(said):  # to quote argparse's error to the others
            yield
    except BaseException as exc:
        if _starting.pending:
            _agree(_failure(exc, said.last_line()), None)
        raise


def _join() -> bool:
    """Join the launcher's MPI job now, if there is one of several processes to join."""
    if dist.launcher_size() < 2 or importlib.util.find_spec("mpi4py") is None:
        return False
    try:
        dist.init()
    except ImportError:  # mpi4py without a working MPI library: said by start()
        return False
    _starting.pending = True
    return True


class _Said:
    """A stream that writes through to `stream` and keeps the last line written."""

    def __init__(self, stream: Any) -> None:
        self.stream, self.text = stream, ""

    def write(self, text: str) -> int:
        self.text = (self.text + text)[-2000:]
        return self.stream.write(text)

    def last_line(self) -> str:
        lines = [line for line in self.text.splitlines() if line.strip()]
        return lines[-1] if lines else ""

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def _failure(exc: BaseException, said: str) -> str:
    """What ended this process's start-up, in a phrase for the others."""
    if isinstance(exc, SystemExit):  # argparse: a usage error, said on stderr (or --help)
        if ": error: " in said:
            return said.split(": error: ", 1)[1]
        return f"it exited with status {exc.code} while reading its flags"
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    if isinstance(exc, common.TRAINING_ERRORS):
        return common.error_message(exc)
    return f"{type(exc).__name__}: {exc}"


def _agree(failure: str | None, distributed: bool | None) -> None:
    """Every process says how its start-up went (failure: None if it passed; distributed:
    whether it runs --distributed). A process that passed raises StartFailed naming the
    first that failed, and every process a ValueError if only some run --distributed."""
    _starting.pending = False
    world = C.mpi().COMM_WORLD
    mine = np.array([failure is not None, -1 if distributed is None else distributed], np.int64)
    every = np.empty((world.Get_size(), 2), dtype=mine.dtype)
    _wait(world.Iallgather(mine, every))
    failed = np.flatnonzero(every[:, 0])
    if failed.size:
        said = world.allgather(failure)  # every process is here: at once
        if failure is None:
            k, more = int(failed[0]), len(failed) - 1
            others = f" (and {more} other process{'es' * (more > 1)})" if more else ""
            raise StartFailed(
                f"rank {k} of {len(every)} failed before the run started{others} "
                f"({said[k]}); stopping every process of the job"
            )
        return
    flags = every[:, 1]
    if flags.min() != flags.max():
        on = ", ".join(str(r) for r in np.flatnonzero(flags == 1))
        off = ", ".join(str(r) for r in np.flatnonzero(flags == 0))
        raise ValueError(
            f"--distributed is on for rank(s) {on} but off for rank(s) {off} of "
            f"{len(every)}: give it to every process of the job (or to none)"
        )


def _wait(request: Any) -> None:
    """Wait for a nonblocking MPI call, in Python: Ctrl-C and SIGTERM are heard meanwhile
    (MPI's blocking waits spin in C, where Python's signal handlers cannot run), and after
    MINIGRAD_DIST_TIMEOUT seconds without an answer the job ends."""
    try:
        limit = _timeout()
    except ValueError:
        limit = DEFAULT_TIMEOUT  # said by Session on this process or another
    began = time.monotonic()
    while not request.Test():
        time.sleep(0.005)
        idle = time.monotonic() - began
        if limit and idle > limit:
            sys.stderr.write(
                f"{_job_name()}: error: another process has not finished its start-up "
                f"after {idle:.0f} s (MINIGRAD_DIST_TIMEOUT={limit:g}): stopping every "
                "process of the job\n"
            )
            _abort()


ABORT_GRACE = 1.0  # seconds the launcher gets to pass on this process's last words


def _abort() -> None:
    """End the whole job (MPI_Abort) once this process's message has left it.

    The launcher reads each process's stderr and its abort request on separate channels;
    aborting at once can end the job before the message written just before it is passed
    on, so the job would stop with no word of why (seen about once in 30 runs)."""
    sys.stdout.flush()
    sys.stderr.flush()
    time.sleep(ABORT_GRACE)
    dist.abort(1)
    os._exit(1)  # MPI_Abort may return before the launcher ends this process


class Session:
    """This process's place in a distributed run, and the run's failure handling."""

    def __init__(self) -> None:
        dist.init()
        self.rank, self.world = dist.rank(), dist.world_size()
        self.writer = self.rank == 0
        self.timeout = _timeout()
        self.last_beat = time.monotonic()

    # -------------------------------------------------------------- failure handling
    def __enter__(self) -> Session:
        if not self.writer:  # rank 0 alone reports progress, to the end of the process
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115
            scaffold.QUIET = True  # and its notes on stderr
        threading.Thread(target=self._watch, daemon=True).start()
        return self

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        self.timeout = 0.0  # the watchdog stops
        if exc is not None and self.world > 1:
            # an expected failure (bad input, a full disk) in a sentence, others in full
            expected = isinstance(exc, common.TRAINING_ERRORS)
            text = "" if expected else "".join(traceback.format_exception(kind, exc, tb))
            sys.stderr.write(
                f"{text}{_job_name()}: error: rank {self.rank} of {self.world} failed "
                f"({type(exc).__name__}: {common.error_message(exc)}); stopping every "
                "process of the job\n"
            )
            _abort()

    def beat(self) -> None:
        self.last_beat = time.monotonic()

    def _watch(self) -> None:
        while self.timeout > 0:
            time.sleep(min(5.0, self.timeout / 4))
            idle = time.monotonic() - self.last_beat
            if self.timeout > 0 and idle > self.timeout:
                sys.stderr.write(
                    f"rank {self.rank} of {self.world}: no progress for {idle:.0f} s "
                    f"(MINIGRAD_DIST_TIMEOUT={self.timeout:g}); another process has probably "
                    "failed: stopping every process of the job\n"
                )
                _abort()

    # -------------------------------------------------------------- the run
    def seed(self, seed: int) -> None:
        """A stream of its own for each process (rank 0 keeps `seed`)."""
        common.seed_everything(seed + self.rank * SEED_STRIDE)

    def share(self, n: int, flag: str = "--batch-size", minimum: int = 1) -> int:
        """This process's share of `n` (a global batch size given by `flag`)."""
        if n % self.world or n // self.world < minimum:
            raise ValueError(
                f"{flag} {n} does not split into {self.world} equal shares of at least "
                f"{minimum}, one per process"
            )
        return n // self.world

    def block(self, rows: Any) -> Any:
        """This process's consecutive block of a global batch's rows."""
        b = self.share(len(rows))
        return rows[self.rank * b : (self.rank + 1) * b]

    def class_share(self, idx: Any, classes: int) -> Any:
        """This process's share of a P x K batch grouped by class: K / N images of each of
        the P classes, so that every process still has positives and negatives to mine."""
        return idx.reshape(classes, -1)[:, self.rank :: self.world].reshape(-1)

    def wrap(self, module: nn.Module) -> dist.DistributedDataParallel:
        return dist.DistributedDataParallel(nn.convert_sync_batchnorm(module))

    def batch_indices(self, n: int, batch_size: int, seed: int, epoch: int, batch: int) -> Any:
        """This process's indices of global batch `batch` of `epoch`."""
        sampler = dist.DistributedSampler(n, self.world, self.rank, seed=seed)
        sampler.set_epoch(epoch)
        b = self.share(batch_size)
        return sampler.indices()[batch * b : (batch + 1) * b]

    def rng_states(self) -> dict[str, Any]:
        """Every process's generator states, for rank 0's checkpoint (all must call)."""
        every = dist.gather_object(common.rng_state())
        out: dict[str, Any] = {"world": np.int64(self.world)}
        if self.writer:
            out.update({f"rng_rank{r}": s for r, s in enumerate(every) if r})
        return out

    def set_rng_states(self, state: dict[str, Any]) -> None:
        """Restore this process's stream from a checkpoint of a run with as many processes."""
        saved = int(state.get("world", 1))
        if saved != self.world:
            raise ValueError(
                f"--resume: the run was trained by {saved} process(es), this is {self.world}: "
                f"resume it with mpiexec -n {saved} so that it continues as it would have"
            )
        if self.rank:
            common.set_rng_state(state[f"rng_rank{self.rank}"])

    def folder(self, args: argparse.Namespace, outputs: Any, changes: Any) -> Any:
        """Rank 0's RunFolder; elsewhere a Follower of it."""
        if self.writer:
            return _Leader(args, outputs, changes)
        return Follower()

    def from_rank0(self, obj: Any) -> Any:
        """Rank 0's `obj` (e.g. a batch plan drawn from its stream), on every process."""
        return dist.broadcast_object(obj)

    def fit(self, job: Any, folder: Any, epochs: int | None = None) -> bool:
        return scaffold.fit(_Synced(job, self), folder, epochs)


def _timeout() -> float:
    """MINIGRAD_DIST_TIMEOUT in seconds (0 turns the watchdog off)."""
    text = os.environ.get("MINIGRAD_DIST_TIMEOUT", str(DEFAULT_TIMEOUT))
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value >= 0 or value == float("inf"):
        raise ValueError(f"MINIGRAD_DIST_TIMEOUT must be a number of seconds >= 0, got {text!r}")
    return value


def _job_name() -> str:
    """train.gan for `python -m train.gan`, else the script's name."""
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    return spec.name if spec is not None else os.path.basename(sys.argv[0])


class _Leader(scaffold.RunFolder):
    """Rank 0's RunFolder, which tells the followers where the run is and what it resumes."""

    def __enter__(self) -> _Leader:
        super().__enter__()
        dist.broadcast_object((str(self.path), self.saved))
        return self


class Follower:
    """What a rank other than 0 has of the run folder: its path and the resumed state;
    commits write nothing (rank 0 writes)."""

    def __init__(self) -> None:
        self.log: list[dict[str, Any]] = []
        path, self.saved = dist.broadcast_object(None)
        self.path = Path(path)

    def __enter__(self) -> Follower:
        return self

    def __exit__(self, *exc: Any) -> None:
        pass

    def commit(self, state: Any, record: Any = None) -> None:
        pass

    def remove_samples_after(self, epoch: int) -> None:
        pass

    def restored(self) -> None:
        pass  # rank 0 records the resume's changes


class _Synced:
    """The job as `scaffold.fit` drives it, plus, after each batch, a heartbeat for the
    watchdog and one agreement on Ctrl-C: if any process was asked to stop, all stop here."""

    def __init__(self, job: Any, session: Session) -> None:
        object.__setattr__(self, "_job", job)
        object.__setattr__(self, "_session", session)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._job, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._job, name, value)

    def train_batch_(self) -> dict[str, float]:
        stats = self._job.train_batch_()
        self._session.beat()
        self._agree_on_stop()
        return stats

    def end_epoch_(self, seconds: float) -> dict[str, Any]:
        record = self._job.end_epoch_(seconds)
        self._session.beat()
        self._agree_on_stop()  # a Ctrl-C while rank 0 scored the epoch
        return record

    def draw_epoch_(self) -> None:
        self._job.draw_epoch_()
        self._session.beat()
        self._agree_on_stop()  # a Ctrl-C while rank 0 drew the epoch's pictures

    def _agree_on_stop(self) -> None:
        """One agreement on Ctrl-C: if any process was asked to stop, all stop."""
        # the loop's GracefulInterrupt is the object whose method handles SIGINT now
        stop = getattr(signal.getsignal(signal.SIGINT), "__self__", None)
        if isinstance(stop, common.GracefulInterrupt):
            flag = Tensor(np.array([int(stop.signalled)]))
            dist.all_reduce(flag, "max")
            # the loop acts on this agreement alone: a signal that lands from here on
            # waits for the next agreement, on every process alike
            stop.agreed = bool(flag.item())
            if stop.agreed and not stop.signalled:
                stop.signal_name = "another process's"
