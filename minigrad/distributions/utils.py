"""Helpers shared by the distributions: broadcasting parameters, probs <-> logits, the
lazily computed parameter and the sum over the rightmost dims."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .. import ops
from ..autograd import enable_grad
from ..backend import default_float
from ..info import finfo
from ..tensor import Tensor, tensor


def _is_number(v: Any) -> bool:
    return isinstance(v, numbers.Number) and not isinstance(v, Tensor)


def broadcast_all(*values: Any) -> tuple[Tensor, ...]:
    """Tensors broadcast to one shape (each keeps its dtype, as torch.broadcast_tensors);
    numbers become tensors of the first tensor's dtype and device, or of the default
    dtype when all are numbers."""
    if not all(isinstance(v, Tensor) or _is_number(v) for v in values):
        raise ValueError(
            "Input arguments must all be instances of Number, "
            "torch.Tensor or objects implementing __torch_function__."
        )
    ref = next((v for v in values if isinstance(v, Tensor)), None)
    dtype = default_float() if ref is None else ref.dtype
    device = "cpu" if ref is None else ref.device
    tensors = [
        v if isinstance(v, Tensor) else tensor(v, dtype=dtype, device=device) for v in values
    ]
    shape = tuple(np.broadcast_shapes(*(t.shape for t in tensors)))
    return tuple(t if t.shape == shape else t.expand(*shape) for t in tensors)


def clamp_probs(probs: Tensor) -> Tensor:
    """probs clamped into [eps, 1 - eps] of their dtype, so their logs stay finite."""
    eps = finfo(probs.dtype).eps
    return ops.clip(probs, eps, 1 - eps)


def probs_to_logits(probs: Tensor, is_binary: bool = False) -> Tensor:
    """log-odds (binary) or log-probabilities (categorical) of clamped `probs`."""
    ps = clamp_probs(probs)
    if is_binary:
        return ops.log(ps) - ops.log1p(-ps)
    return ops.log(ps)


def logits_to_probs(logits: Tensor, is_binary: bool = False) -> Tensor:
    """sigmoid (binary) or softmax over the last dim (categorical) of `logits`."""
    if is_binary:
        return ops.sigmoid(logits)
    return ops.softmax(logits, -1)


def sum_rightmost(value: Tensor, dim: int) -> Tensor:
    """value summed over its `dim` rightmost dims."""
    if dim == 0:
        return value
    return value.reshape(tuple(value.shape[: value.ndim - dim]) + (-1,)).sum(-1)


class lazy_property:  # noqa: N801 - PyTorch's name
    """A parameter computed from another on first use, then kept on the instance (so an
    instance attribute of the same name, set in __init__, takes its place). It is built
    with grad enabled, as PyTorch's, so it stays differentiable when first read inside
    no_grad."""

    def __init__(self, wrapped: Any) -> None:
        self.wrapped = wrapped
        self.__doc__ = wrapped.__doc__

    def __get__(self, instance: Any, obj_type: Any = None) -> Any:
        if instance is None:
            return self
        with enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value
