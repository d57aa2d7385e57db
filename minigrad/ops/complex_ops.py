"""Complex tensors from real ones, as PyTorch's `complex(real, imag)` and `polar(abs,
angle)`. Forward only: minigrad has no complex autograd (docs/pytorch-differences.md), so an
input that requires grad is refused here, where the graph would begin, not at backward.
There is no `view_as_complex`: a minigrad view is made by its view ops, and a complex
view of a float array's memory is none of them."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..backend import get_array_module
from ..tensor import Tensor
from .search import torch_name

_COMPLEX_OF = {np.dtype(np.float32): np.complex64, np.dtype(np.float64): np.complex128}


def _pair(op: str, a: Any, b: Any, names: tuple[str, str]) -> tuple[Any, Any]:
    """The arrays of two real tensors of one dtype (float32 or float64), as PyTorch's
    `op` takes them; they broadcast."""
    for name, t in zip(names, (a, b), strict=True):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}(): argument '{name}' must be Tensor, not {type(t).__name__}")
        if t.requires_grad:
            raise NotImplementedError(
                f"{op}: '{name}' requires grad, and minigrad has no complex autograd (a "
                f"complex result would give wrong gradients): detach() it first"
            )
    if a.dtype not in _COMPLEX_OF or b.dtype not in _COMPLEX_OF:
        raise RuntimeError(
            f"{op}: expected both inputs to be Float or Double tensors (minigrad has no "
            f"complex32 for Half), but got {torch_name(a.dtype)} and {torch_name(b.dtype)}"
        )
    if a.dtype != b.dtype:
        raise RuntimeError(
            f"{op}: expected object of scalar type {torch_name(a.dtype)} but got scalar type "
            f"{torch_name(b.dtype)} for second argument '{names[1]}'"
        )
    return a._data, b._data


def complex(real: Tensor, imag: Tensor) -> Tensor:  # noqa: A001 - torch.complex
    """`real + imag * 1j`: complex64 from float32 tensors, complex128 from float64."""
    re, im = _pair("complex", real, imag, ("real", "imag"))
    xp = get_array_module(re)
    out = xp.empty(np.broadcast_shapes(re.shape, im.shape), dtype=_COMPLEX_OF[real.dtype])
    out.real, out.imag = re, im
    return Tensor(out)


def polar(abs: Tensor, angle: Tensor) -> Tensor:  # noqa: A002 - PyTorch's argument name
    """`abs * (cos(angle) + sin(angle) * 1j)`, computed in the inputs' dtype as PyTorch's
    (`polar(2, pi / 2)` in float32 has the real part -8.7423e-08)."""
    r, theta = _pair("polar", abs, angle, ("abs", "angle"))
    xp = get_array_module(r)
    out = xp.empty(np.broadcast_shapes(r.shape, theta.shape), dtype=_COMPLEX_OF[abs.dtype])
    out.real, out.imag = r * xp.cos(theta), r * xp.sin(theta)
    return Tensor(out)
