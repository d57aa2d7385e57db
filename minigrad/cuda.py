"""`mg.cuda.is_available()`, as in PyTorch."""

from .backend import cuda_available


def is_available() -> bool:
    return cuda_available()


def synchronize() -> None:
    """Wait for queued GPU work (no-op without a GPU); benchmarks call it before reading
    the clock."""
    if cuda_available():
        from .backend import cupy_module

        cupy_module().cuda.get_current_device().synchronize()
