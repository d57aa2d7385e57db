"""Seeded random arrays on either device: `manual_seed` makes runs repeatable."""

from __future__ import annotations

from typing import Any

import numpy as np

from .backend import DEFAULT_DTYPE, Array, cuda_available, cupy_module, normalize_device

_seed: int | None = None
_cpu = np.random.default_rng()
_gpu: Any = None


def manual_seed(seed: int) -> None:
    """Seed the CPU generator and, when CuPy is in use, the GPU one."""
    global _seed, _cpu, _gpu
    _seed = int(seed)
    _cpu = np.random.default_rng(_seed)
    _gpu = None  # re-created from the seed on first GPU use


def manual_seed_gpu(seed: int) -> None:
    """Seed only the GPU generator (`torch.cuda.manual_seed`); without CuPy, nothing."""
    global _gpu
    _gpu = None
    if cuda_available():
        _gpu = cupy_module().random.default_rng(int(seed))


def get_state() -> dict:
    """The CPU generator's state, for checkpoints that resume a run exactly."""
    return {"bit_generator": _cpu.bit_generator.state}


def set_state(state: dict) -> None:
    _cpu.bit_generator.state = state["bit_generator"]


def generator(device: str = "cpu") -> Any:
    """The generator for `device`: numpy.random.Generator or cupy.random.Generator."""
    global _gpu
    if normalize_device(device) == "cpu":
        return _cpu
    if _gpu is None:
        cp = cupy_module()
        _gpu = cp.random.default_rng(_seed)
    return _gpu


def randn(shape: tuple[int, ...], dtype: Any = DEFAULT_DTYPE, device: str = "cpu") -> Array:
    return generator(device).standard_normal(shape, dtype=np.dtype(dtype))


def rand(shape: tuple[int, ...], dtype: Any = DEFAULT_DTYPE, device: str = "cpu") -> Array:
    return generator(device).random(shape, dtype=np.dtype(dtype))


def uniform(
    low: float, high: float, shape: tuple[int, ...], dtype: Any = DEFAULT_DTYPE, device: str = "cpu"
) -> Array:
    return (rand(shape, dtype, device) * (high - low) + low).astype(dtype, copy=False)


def randint(low: int, high: int, shape: tuple[int, ...], device: str = "cpu") -> Array:
    return generator(device).integers(low, high, size=shape)


def permutation(n: int, device: str = "cpu") -> Array:
    return generator(device).permutation(n)
