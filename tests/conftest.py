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
