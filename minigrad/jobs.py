"""The jobs from any folder: `minigrad-gan ...` runs what `python -m train.gan ...` runs.

The jobs live in the repository's top-level `models/`, `train/` and `benchmarks/`. An install
puts those folders under `minigrad/_jobs/` instead, so that they take no generic top-level
names in site-packages. The launcher puts the folder holding them (the installed `_jobs`, or
a checkout's root) first on `sys.path`, so a user's own `models/` or `train.py` in the working
folder is never imported, and runs the job module as `python -m` would.
"""

from __future__ import annotations

import argparse
import os
import runpy
import signal
import sys
from pathlib import Path

# job name -> module; each has a script `minigrad-<job>` (setup.py's LAUNCHER)
JOBS = {
    "gan": "train.gan",
    "metric": "train.metric",
    "sample": "train.sample",
    "latent": "train.latent",
    "evaluate": "train.evaluate",
    "embed": "train.embed",
    "benchmarks": "benchmarks",
}
PACKAGES = ("models", "train", "benchmarks")

_launched_as: dict[str, str] = {}  # module -> the command that started it


def prog(module: str) -> str:
    """The command a job's usage line shows: how this process started it."""
    return _launched_as.get(module, f"python -m {module}")


def jobs_root() -> Path:
    """The folder holding `models/`, `train/` and `benchmarks/`: the installed
    `minigrad/_jobs`, or the root of a checkout (an editable install)."""
    here = Path(__file__).resolve().parent
    for root in (here / "_jobs", here.parent):
        if all((root / name / "__init__.py").is_file() for name in PACKAGES):
            return root
    raise RuntimeError(
        f"minigrad's jobs are missing: neither {here / '_jobs'} nor {here.parent} holds "
        f"{', '.join(PACKAGES)}; reinstall minigrad"
    )


def run(job: str, argv: list[str], command: str) -> None:
    """Run `job` with `argv` as `python -m` runs its module; usage shows `command`."""
    module = JOBS[job]
    root = str(jobs_root())
    sys.path[:] = [root, *(p for p in sys.path if p != root)]
    _launched_as[module] = command
    sys.argv = [command, *argv]
    starting = _say_interrupted_while_starting(command)
    for sig in starting:  # `python -m minigrad`'s own, from before the package loaded
        starting[sig] = _before_package.get(sig, starting[sig])
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    finally:
        for sig, previous in starting.items():
            if signal.getsignal(sig) is _starting_handlers.get(command):  # not the job's own
                signal.signal(sig, previous)


_starting_handlers: dict[str, object] = {}  # command -> its handler while the job loads


def _say_interrupted_while_starting(command: str) -> dict[int, object]:
    """While the job's modules load (train/, models/ and their imports), Ctrl-C or SIGTERM
    prints one line and exits 130/143, as `python -m train.JOB` does (train/__init__.py),
    instead of a traceback from inside an import; the job's main() then installs its own
    handlers. A signal the shell left ignored stays ignored. Returns the handlers
    replaced, {signal: previous}."""

    def stop(signum: int, frame: object) -> None:
        name = signal.Signals(signum).name
        print(
            f"{command}: interrupted by {name} while starting; nothing was written", file=sys.stderr
        )
        sys.stderr.flush()
        # _exit, not sys.exit: the signal may land inside an import (NumPy's C modules),
        # where a SystemExit turns into an ImportError and two tracebacks
        os._exit(128 + signum)

    _starting_handlers[command] = stop
    replaced = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        if signal.getsignal(sig) is not signal.SIG_IGN:
            replaced[sig] = signal.signal(sig, stop)
    return replaced


_before_package: dict[int, object] = {}  # signal -> its handler before the package loaded


def _running_as_python_m_minigrad() -> bool:
    """Whether this process is `python -m minigrad ...` locating its module: runpy's
    `_run_module_as_main` for "minigrad" is on the stack (and sys.argv[0] is "-m" until
    runpy sets it). An `import minigrad` anywhere else (a user's program, `python -m
    theirs`, a `-c` command) is not, and gets no handler."""
    if sys.argv[:1] != ["-m"]:
        return False
    frame = sys._getframe()
    while frame is not None:
        if (
            frame.f_code.co_name == "_run_module_as_main"
            and frame.f_globals.get("__name__") == "runpy"
        ):
            return frame.f_locals.get("mod_name") == "minigrad"
        frame = frame.f_back
    return False


def say_interrupted_while_the_package_loads() -> None:
    """Called at the top of minigrad/__init__.py. For `python -m minigrad JOB` only:
    Ctrl-C or SIGTERM while the package loads (NumPy and the rest, before
    minigrad/__main__.py runs) prints the job's one line and exits 130/143, as `python -m
    train.JOB` does, instead of a traceback from inside an import. `run` takes over."""
    if not _running_as_python_m_minigrad():
        return
    args = sys.argv[1:]
    job = args[0] if args and args[0] in JOBS else None
    command = "python -m minigrad" + (f" {job}" if job else "")
    _before_package.update(_say_interrupted_while_starting(command))


def main(argv: list[str] | None = None) -> None:
    """`python -m minigrad JOB [ARGS]`: the jobs without the console scripts on PATH."""
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(
        prog="python -m minigrad",
        description="Run a minigrad job; `python -m minigrad JOB --help` lists its flags.",
    )
    parser.add_argument("job", choices=list(JOBS), help="the job to run")
    parser.add_argument("args", nargs="*", default=[], metavar="ARGS", help="the job's own flags")
    job = parser.parse_args(argv[:1]).job
    run(job, argv[1:], f"python -m minigrad {job}")


def _script(job: str) -> None:
    run(job, sys.argv[1:], f"minigrad-{job}")


# console scripts, one per job
def gan() -> None:
    _script("gan")


def metric() -> None:
    _script("metric")


def sample() -> None:
    _script("sample")


def latent() -> None:
    _script("latent")


def evaluate() -> None:
    _script("evaluate")


def embed() -> None:
    _script("embed")


def benchmarks() -> None:
    _script("benchmarks")
