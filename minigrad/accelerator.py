"""`mg.accelerator`, as `torch.accelerator`: the device-agnostic way to ask for the GPU.

minigrad's one accelerator is CUDA through CuPy. Where CuPy sees a GPU the answers are those
of PyTorch on a CUDA machine (`current_accelerator()` is `device('cuda')`, indices are
CuPy's device ids); without one they are those of PyTorch's CPU-only build: no accelerator,
zero devices, and `RuntimeError` from everything that needs a device index. So the usual
first lines of a script work on both:

    device = mg.accelerator.current_accelerator().type if mg.accelerator.is_available() else "cpu"

`get_default_device`/`set_default_device` live here too (minigrad exposes them at the top
level, as PyTorch): factories take `device=` and do not read a default, so only the CPU can
be the default device.
"""

from __future__ import annotations

import warnings
from typing import Any

from . import backend, cuda
from .tensor import device as _device

__all__ = [
    "current_accelerator",
    "current_device_idx",
    "current_device_index",
    "device_count",
    "device_index",
    "is_available",
    "set_device_idx",
    "set_device_index",
    "synchronize",
]

_NONE = "Cannot access accelerator device when none is available."


def is_available() -> bool:
    """True when CuPy imports and sees at least one GPU."""
    return cuda.is_available()


def current_accelerator(check_available: bool = False) -> _device | None:
    """`device('cuda')` (no index) when a GPU is usable, else None.

    PyTorch separates the accelerator it was built for from the one available at run time
    (`check_available=True` adds the second test); minigrad has no build-time accelerator,
    so both forms answer whether CuPy sees a GPU."""
    return _device("cuda") if backend.cuda_available() else None


def device_count() -> int:
    """Number of GPUs CuPy sees (0 without one)."""
    return cuda.device_count()


def _current(fn: str) -> int:
    if not backend.cuda_available():
        raise RuntimeError(f"{fn}: {_NONE}")
    return cuda.current_device()


def current_device_index() -> int:
    """The index of the GPU in use; `RuntimeError` without one, as PyTorch's CPU build."""
    return _current("current_device_index")


def current_device_idx() -> int:
    """Deprecated name of `current_device_index` (a FutureWarning, as PyTorch)."""
    warnings.warn("Use `current_device_index` instead.", FutureWarning, stacklevel=2)
    return current_device_index()


def _device_index(device: Any, optional: bool, fn: str) -> int:
    """The index `device` (an int, a device string or a device) names, as PyTorch reads
    it: an int is taken as it is; a device must be of the accelerator's type; a device
    without an index means the current one where `optional`, else a ValueError."""
    if isinstance(device, int):
        return device
    if isinstance(device, str):
        device = _device(device)
    index = None
    if isinstance(device, _device):
        acc = current_accelerator()
        if acc is None:
            raise RuntimeError(
                f"{fn}: Accelerator expected, but device {str(device)!r} was given and none "
                "is available"
            )
        if acc.type != device.type:
            raise ValueError(f"{fn}: {device.type} doesn't match the current accelerator {acc}.")
        index = device.index
    if index is None:
        if not optional:
            raise ValueError(
                f"{fn}: Expected a device with a specified index or an integer, but got:{device}"
            )
        return _current(fn)
    return index


def _gpu(index: int, fn: str) -> Any:
    """CuPy's handle of GPU `index`, after checking that it exists."""
    if not backend.cuda_available():
        raise RuntimeError(f"{fn}: {_NONE}")
    count = device_count()
    if not 0 <= index < count:
        raise RuntimeError(
            f"{fn}: invalid device ordinal {index}: {count} GPU(s) visible, indices 0 to "
            f"{count - 1}"
        )
    return backend.cupy_module().cuda.Device(index)


def set_device_index(device: Any, /) -> None:
    """Make `device` (an index, 'cuda:i' or `device('cuda', i)`) the current GPU; a
    negative index does nothing, as PyTorch."""
    index = _device_index(device, False, "set_device_index")
    if index >= 0:
        _gpu(index, "set_device_index").use()


def set_device_idx(device: Any, /) -> None:
    """Deprecated name of `set_device_index` (a FutureWarning, as PyTorch)."""
    warnings.warn("Use `set_device_index` instead.", FutureWarning, stacklevel=2)
    set_device_index(device)


def synchronize(device: Any = None, /) -> None:
    """Wait for the queued work of one GPU (the current one unless given). Without a GPU
    it raises `RuntimeError`, as PyTorch's CPU build (use `mg.cuda.synchronize` for a call
    that is a no-op there)."""
    index = _device_index(device, True, "synchronize")
    _gpu(index, "synchronize").synchronize()


class device_index:  # noqa: N801 - PyTorch's name
    """`with mg.accelerator.device_index(i):` makes GPU i current inside the block and
    restores the previous one after it; `None` changes nothing."""

    def __init__(self, device: int | None, /) -> None:
        self.idx = device
        self.prev_idx = -1

    def __enter__(self) -> None:
        if self.idx is None:
            return
        if not isinstance(self.idx, int):
            raise TypeError(f"device_index: expected an int device index or None, got {self.idx!r}")
        self.prev_idx = _current("device_index")
        if self.idx != self.prev_idx:
            _gpu(self.idx, "device_index").use()

    def __exit__(self, *exc_info: object) -> None:
        if self.idx is not None and current_device_index() != self.prev_idx:
            _gpu(self.prev_idx, "device_index").use()


# ---------------------------------------------------------------------- default device
_default_device = _device("cpu")


def get_default_device() -> _device:
    """The device factories use when given none: always the CPU (see `set_default_device`)."""
    return _default_device


def set_default_device(device: Any) -> None:
    """Accepts the CPU (`'cpu'`, `'cpu:0'`, `device('cpu')`) or None (the CPU again).

    minigrad's factories take `device=` and read no default, so a GPU cannot be made the
    default: 'cuda' raises `RuntimeError` saying why no GPU is usable, or, with one,
    `NotImplementedError` (pass `device=` or call `.to(device)` instead). 'meta' raises
    `NotImplementedError`: minigrad has no tensors without data."""
    global _default_device
    if device is None:
        _default_device = _device("cpu")
        return
    if isinstance(device, bool) or not isinstance(device, int | str | _device):
        raise TypeError(
            "set_default_device: device must be a str, an int, a device or None, got "
            f"{type(device).__name__}"
        )
    if isinstance(device, int):  # an index of the accelerator, as PyTorch reads it
        if device < 0:
            raise RuntimeError(
                f"set_default_device: Device index must not be negative, got {device}"
            )
        device = _device("cuda", device)
    if isinstance(device, str) and device.split(":")[0] == "meta":
        raise NotImplementedError(
            "set_default_device: minigrad has no 'meta' device (tensors without data); use 'cpu'"
        )
    device = _device(device) if isinstance(device, str) else device
    if device.type == "cpu":
        _default_device = device
        return
    try:
        backend.cupy_module()
    except RuntimeError as exc:
        raise RuntimeError(f"set_default_device({str(device)!r}): {exc}") from exc
    raise NotImplementedError(
        f"set_default_device({str(device)!r}): minigrad's factories read no default device, "
        "so only the CPU can be the default; pass device= to factories or call .to(device)"
    )
