"""minigrad: a from-scratch reverse-mode autodiff engine on NumPy/CuPy, with GANs and
metric-learning models written on top of it."""

from setuptools import find_packages, setup

setup(
    name="minigrad",
    version="0.1.0",
    description="Reverse-mode automatic differentiation on NumPy and CuPy, with GANs and "
    "metric learning built on it",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.10",
    packages=find_packages(include=["minigrad*", "models*", "train*", "benchmarks*"]),
    package_data={"minigrad": ["data/*.npz", "data/*.md"]},
    install_requires=["numpy>=1.24", "pillow>=9", "tqdm>=4.60", "matplotlib>=3.6"],
    extras_require={
        # Pick the CuPy wheel that matches your CUDA toolkit (see README, "GPU").
        "gpu-cuda12": ["cupy-cuda12x>=13"],
        "gpu-cuda13": ["cupy-cuda13x>=13"],
        "gpu": ["cupy-cuda12x>=13"],
        # torch is the tests' reference only (CPU build); minigrad never imports it.
        "dev": ["pytest>=7", "hypothesis>=6.80", "ruff>=0.4", "torch==2.13.0"],
    },
    license="MIT",
)
