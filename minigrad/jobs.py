"""The jobs from any folder: `minigrad-gan ...` runs what `python -m train.gan ...` runs.

The jobs live in the repository's top-level `models/`, `train/` and `benchmarks/`. An install
puts those folders under `minigrad/_jobs/` instead, so that they take no generic top-level
names in site-packages. The launcher puts the folder holding them (the installed `_jobs`, or
a checkout's root) first on `sys.path`, so a user's own `models/` or `train.py` in the working
folder is never imported, and runs the job module as `python -m` would.
"""

from __future__ import annotations

import argparse
import runpy
import sys
from pathlib import Path

# job name -> module; each has a console script `minigrad-<job>` (see setup.py)
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
    runpy.run_module(module, run_name="__main__", alter_sys=True)


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
