"""minigrad: a from-scratch reverse-mode autodiff engine on NumPy/CuPy, with GANs and
metric-learning models written on top of it.

The repository keeps the jobs' packages `models/`, `train/` and `benchmarks/` at its top
level (`python -m train.gan` runs from a checkout). An install puts them under
`minigrad/_jobs/` instead, so that they take no generic names in site-packages; the
scripts (`minigrad-gan`, ...) and `python -m minigrad JOB` find them there (minigrad/jobs.py).
"""

from pathlib import Path

from setuptools import find_packages, setup

JOB_PACKAGES = ("models", "train", "benchmarks")
JOBS = ("gan", "metric", "sample", "latent", "evaluate", "embed", "benchmarks")
# The command `minigrad-JOB`: a script, not a console_scripts entry point, because an entry
# point's wrapper first imports minigrad (NumPy and all, most of its start-up), where a
# Ctrl-C would print a traceback. The script takes SIGINT/SIGTERM before that import, then
# runs minigrad.jobs.JOB(); the jobs need a POSIX system (fcntl), so no .exe wrapper is lost.
LAUNCHER = """\
#!python
\"\"\"minigrad-{job}: minigrad's {job} job, from any folder (see minigrad/jobs.py).\"\"\"

import signal
import sys


def _stop(signum, frame):
    name = signal.Signals(signum).name
    print(f"minigrad-{job}: interrupted by {{name}} while starting; nothing was written",
          file=sys.stderr)
    sys.exit(128 + signum)


# before minigrad and NumPy load; a signal the shell left ignored stays ignored
for _sig in (signal.SIGINT, signal.SIGTERM):
    if signal.getsignal(_sig) is not signal.SIG_IGN:
        signal.signal(_sig, _stop)

from minigrad.jobs import {job}  # noqa: E402

sys.exit({job}())
"""


def launchers() -> list[str]:
    """The `minigrad-JOB` scripts, written into build/launchers/ (relative paths)."""
    here = Path(__file__).resolve().parent
    folder = here / "build" / "launchers"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for job in JOBS:
        path = folder / f"minigrad-{job}"
        text = LAUNCHER.format(job=job)
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        paths.append(path.relative_to(here).as_posix())
    return paths


LONG_DESCRIPTION = """\
# minigrad

A from-scratch reverse-mode automatic differentiation engine on NumPy (CuPy on a GPU), with
a PyTorch-like API (`Tensor`, `nn`, `optim`, `no_grad`, `gradcheck`) and GANs and metric
learning built on it, written to be read: each derivative sits beside its forward.

Run the jobs from any folder: `minigrad-gan --help`, `minigrad-metric`, `minigrad-sample`,
`minigrad-latent`, `minigrad-evaluate`, `minigrad-embed`, `minigrad-benchmarks` (or
`python -m minigrad gan ...`). The bundled 5,000 MNIST digits need no download.
"""

setup(
    name="minigrad",
    version="0.1.0",
    description="Reverse-mode automatic differentiation on NumPy and CuPy, with GANs and "
    "metric learning built on it",
    long_description=LONG_DESCRIPTION,
    long_description_content_type="text/markdown",
    license="MIT",
    python_requires=">=3.10",
    packages=[
        *find_packages(include=["minigrad", "minigrad.*"]),
        *(
            f"minigrad._jobs.{pkg}"
            for pkg in find_packages(include=[f"{name}*" for name in JOB_PACKAGES])
        ),
    ],
    package_dir={f"minigrad._jobs.{name}": name for name in JOB_PACKAGES},
    package_data={"minigrad": ["data/*.npz", "data/*.md"]},
    # Numba compiles the NumPy backend's loop kernels (minigrad/ops/cpu_loops.py); where it
    # has no wheel (a Python it does not support yet) the NumPy code runs instead
    install_requires=[
        "numpy>=1.24",
        "pillow>=9",
        "tqdm>=4.60",
        "matplotlib>=3.6",
        'numba>=0.59; python_version < "3.15"',
    ],
    extras_require={
        # Pick the CuPy wheel that matches your CUDA toolkit (see README, "GPU").
        "gpu-cuda12": ["cupy-cuda12x>=13"],
        "gpu-cuda13": ["cupy-cuda13x>=13"],
        "gpu": ["cupy-cuda12x>=13"],
        # torch is the tests' reference only (CPU build); minigrad never imports it.
        # setuptools: tests/test_install.py builds and installs a wheel offline.
        "dev": ["pytest>=7", "hypothesis>=6.80", "ruff>=0.4", "torch==2.13.0", "setuptools>=70.1"],
        # mpi4py with the MPICH wheel, for jobs run under mpiexec
        "mpi": ["mpi4py>=3.1", "mpich"],
    },
    scripts=launchers(),
    classifiers=[
        "Development Status :: 3 - Alpha",
        "Intended Audience :: Education",
        "Intended Audience :: Science/Research",
        "Operating System :: OS Independent",
        "Programming Language :: Python :: 3",
        "Programming Language :: Python :: 3 :: Only",
        "Programming Language :: Python :: 3.10",
        "Programming Language :: Python :: 3.11",
        "Programming Language :: Python :: 3.12",
        "Topic :: Education",
        "Topic :: Scientific/Engineering :: Artificial Intelligence",
    ],
)
