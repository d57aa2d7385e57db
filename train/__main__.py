"""`python -m train JOB [ARGS]` runs `python -m train.JOB [ARGS]`; `python -m train --help`
lists the jobs (`python -m minigrad JOB` runs them from any folder)."""

from __future__ import annotations

import argparse
import sys

from minigrad import jobs

JOBS = tuple(job for job, module in jobs.JOBS.items() if module == f"train.{job}")


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(
        prog="python -m train",
        description="Run a training job; `python -m train JOB --help` lists its flags.",
    )
    parser.add_argument("job", choices=JOBS, help="the job to run")
    parser.add_argument("args", nargs="*", default=[], metavar="ARGS", help="the job's own flags")
    job = parser.parse_args(argv[:1]).job
    jobs.run(job, argv[1:], f"python -m train {job}")


if __name__ == "__main__":
    main()
