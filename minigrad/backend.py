"""The one place that knows about array modules: NumPy on the CPU, CuPy on a GPU.

Ops call `get_array_module(array)` and never import CuPy themselves. CuPy is imported the
first time a GPU is asked for; without it, `cupy_module()` raises an error that says how to
install the `gpu` extra.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

# ---------------------------------------------------------------------- floating point
# IEEE results (1/0 = inf, 0/0 = NaN, exp overflow) are values, as in PyTorch, not NumPy
# RuntimeWarnings: every op runs with NumPy's floating-point errors ignored. That state is a
# context variable (NumPy 2); setting it directly costs 0.1 us, np.errstate's 0.7 us.
try:
    from numpy._core._ufunc_config import _extobj_contextvar as _FP_STATE

    with np.errstate(all="ignore"):
        _FP_QUIET = _FP_STATE.get()
except (ImportError, AttributeError):  # another NumPy: the public, slower way
    _FP_STATE = None


def quiet_fp() -> Any:
    """Start ignoring NumPy's floating-point errors here; pass the result to `loud_fp`."""
    if _FP_STATE is not None:
        return _FP_STATE.set(_FP_QUIET)
    state = np.errstate(all="ignore")
    state.__enter__()
    return state


def loud_fp(token: Any) -> None:
    """Undo the matching `quiet_fp`."""
    if _FP_STATE is not None:
        _FP_STATE.reset(token)
    else:
        token.__exit__(None, None, None)


class fp_ignored:
    """`quiet_fp`/`loud_fp` around a block: `with fp_ignored(): ...`."""

    def __enter__(self) -> None:
        self.token = quiet_fp()

    def __exit__(self, *exc: object) -> None:
        loud_fp(self.token)


Array = Any  # numpy.ndarray or cupy.ndarray
ArrayModule = ModuleType

# the dtype Python floats and the float factories (zeros, randn, a layer's parameters)
# take: float32 unless set_default_dtype changed it; read it through default_float()
_default_float = np.dtype(np.float32)


def default_float() -> np.dtype:
    """The default float dtype: float32, or what `minigrad.set_default_dtype` set."""
    return _default_float


def default_complex() -> np.dtype:
    """The complex dtype Python complex numbers take: complex128 beside a float64 default,
    else complex64 (PyTorch's pairing; minigrad has no complex32)."""
    return np.dtype(np.complex128 if _default_float == np.float64 else np.complex64)


def set_default_float(dtype: np.dtype) -> None:
    """Make `dtype` (float16, float32 or float64, already checked) the default float."""
    global _default_float
    _default_float = np.dtype(dtype)


_INSTALL_HINT = (
    "CuPy is not installed: install the GPU extra matching your CUDA version, "
    "`pip install -e .[gpu-cuda12]` or `pip install -e .[gpu-cuda13]`"
)

_cupy: ModuleType | None = None
_cupy_error: str | None = None


def _load_cupy() -> ModuleType | None:
    """Import CuPy once; remember why it failed instead of raising."""
    global _cupy, _cupy_error
    if _cupy is None and _cupy_error is None:
        try:
            import cupy

            cupy.cuda.runtime.getDeviceCount()
            _cupy = cupy
        except Exception as exc:  # ImportError, or CUDA present but no device
            _cupy_error = f"{type(exc).__name__}: {exc}"
    return _cupy


def cuda_available() -> bool:
    """True when CuPy imports and sees at least one GPU."""
    return _load_cupy() is not None


def cupy_module() -> ModuleType:
    """CuPy, or a RuntimeError saying why it cannot be used."""
    cp = _load_cupy()
    if cp is None:
        if _cupy_error and _cupy_error.startswith(("ImportError", "ModuleNotFoundError")):
            raise RuntimeError(f"device 'cuda' requested but {_INSTALL_HINT}")
        raise RuntimeError(f"device 'cuda' requested but CuPy cannot use a GPU ({_cupy_error})")
    return cp


def is_cupy_array(a: Any) -> bool:
    # Checking the type's module avoids importing CuPy just to ask; a NumPy array, the
    # common case on every op, is answered first.
    cls = type(a)
    return cls is not np.ndarray and cls.__module__.startswith("cupy")


def get_array_module(*arrays: Any) -> ArrayModule:
    """`cupy` if any argument is a CuPy array, else `numpy`."""
    for a in arrays:
        if is_cupy_array(a):
            return _cupy if _cupy is not None else cupy_module()
    return np


def device_of(a: Any) -> str:
    return "cuda" if is_cupy_array(a) else "cpu"


def normalize_device(device: Any) -> str:
    name = "cpu" if device is None else str(device)
    base = name.split(":")[0]
    if base not in ("cpu", "cuda"):  # PyTorch's RuntimeError; a ValueError too
        from .errors import ValueRangeError

        raise ValueRangeError(f"unknown device {device!r}: expected 'cpu' or 'cuda'")
    return base


def to_device(a: Any, device: str) -> Array:
    """Move an array (or anything np.asarray accepts) to `device`."""
    device = normalize_device(device)
    if device == "cpu":
        return as_numpy(a)
    cp = cupy_module()
    return cp.asarray(a)


def as_numpy(a: Any) -> np.ndarray:
    if is_cupy_array(a):
        return a.get()
    return np.asarray(a)


# ---------------------------------------------------------------------- determinism
_deterministic = {"mode": False, "warn_only": False}


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """PyTorch's switch. minigrad's ops are deterministic already (the same inputs and
    seed give the same bits on one machine and thread count), so it only records the
    setting for `are_deterministic_algorithms_enabled`."""
    _deterministic.update(mode=bool(mode), warn_only=bool(warn_only))


def are_deterministic_algorithms_enabled() -> bool:
    return _deterministic["mode"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return _deterministic["warn_only"]


# ---------------------------------------------------------------------- float32 products
_matmul_precision = ["highest"]


def set_float32_matmul_precision(precision: str) -> None:
    """PyTorch's switch for TF32/bfloat16 products inside float32 ones. minigrad's float32
    products are NumPy's and CuPy's full-precision ones whatever it says, so the setting is
    only recorded for `get_float32_matmul_precision`. A value other than 'highest', 'high'
    or 'medium' warns and changes nothing, as in PyTorch."""
    if precision not in ("highest", "high", "medium"):
        from .errors import warn_user

        warn_user(
            f"set_float32_matmul_precision: {precision!r} is not one of 'highest', 'high', or "
            "'medium'; the call has no effect"
        )
        return
    _matmul_precision[0] = precision


def get_float32_matmul_precision() -> str:
    return _matmul_precision[0]
