"""minigrad: a from-scratch reverse-mode autodiff engine on NumPy/CuPy, with GANs and
metric-learning models written on top of it.

The repository keeps the jobs' packages `models/`, `train/` and `benchmarks/` at its top
level (`python -m train.gan` runs from a checkout). An install puts them under
`minigrad/_jobs/` instead, so that they take no generic names in site-packages; the console
scripts (`minigrad-gan`, ...) and `python -m minigrad JOB` find them there (minigrad/jobs.py).
"""

from setuptools import find_packages, setup

JOB_PACKAGES = ("models", "train", "benchmarks")

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
    install_requires=["numpy>=1.24", "pillow>=9", "tqdm>=4.60", "matplotlib>=3.6"],
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
    entry_points={
        "console_scripts": [
            f"minigrad-{job} = minigrad.jobs:{job}"
            for job in ("gan", "metric", "sample", "latent", "evaluate", "embed", "benchmarks")
        ]
    },
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
