"""PyTorch on one thread for these tests: on a small shared machine its thread pool makes
a toy model 30 times slower, and one thread also fixes its summation order."""

import pytest


@pytest.fixture(autouse=True)
def _torch_one_thread():
    try:
        import torch
    except ImportError:
        yield
        return
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
