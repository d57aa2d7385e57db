"""Shared fixtures: `xp_device` runs a test on every available backend."""

import numpy as np
import pytest

import minigrad as mg

DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.gpu)]


@pytest.fixture(params=DEVICES)
def device(request):
    """Each test using this runs on the CPU and, when CuPy sees a GPU, on the GPU."""
    if request.param == "cuda" and not mg.cuda.is_available():
        pytest.skip("no CuPy GPU available")
    return request.param


@pytest.fixture(autouse=True)
def _seed():
    mg.manual_seed(0)
    np.random.seed(0)


def pytest_configure(config):
    """In CI the PyTorch comparisons must run, not skip: the dev extra installs the pinned
    reference (torch==2.13.0, CPU), and a CI run without it is a broken install."""
    import os

    if os.environ.get("CI"):
        try:
            import torch
        except ImportError as exc:
            raise pytest.UsageError(
                f"CI is set but torch cannot be imported ({exc}); install the dev extra: "
                'pip install -e ".[dev]"'
            ) from exc
        if not torch.__version__.startswith("2.13.0"):
            raise pytest.UsageError(
                f"CI compares against torch 2.13.0, found {torch.__version__}; "
                'install the dev extra: pip install -e ".[dev]"'
            )
