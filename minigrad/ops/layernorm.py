"""Layer normalisation over the trailing dims, PyTorch semantics (biased variance).

`layer_norm_composite` builds it from ops: a mean, a variance, a subtraction, a square
root, a division and the affine pair, each a node of the graph, and it is what the tests
compare against. On NumPy arrays of one float dtype `LayerNorm` is one node instead: its
forward makes the same NumPy calls on the same arrays (so the same bits) without a Tensor
and a node per step, and keeps x, the means and the standard deviations. Its first-order
backward is the closed form on arrays,

    gx = (g - mean(g) - x-hat mean(g x-hat)) / std,   g = gy * weight,

with x-hat worked out again from x (the forward's bits; no x-hat array is held between
the passes). When the backward itself is recorded (`create_graph=True`), the same formula
is written with ops on x-hat and std rebuilt from x with ops, so second derivatives come
out right. On (64, 256) float32, two threads, the composite took 0.26 ms forward and 0.86
forward and backward, the node 0.05 and 0.15, PyTorch 0.02 and 0.05 (`python -m
benchmarks.sweep`; docs/benchmarks.md).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Function, is_grad_enabled
from ..tensor import Tensor
from .elementwise import numpy_float, sqrt
from .reduce import mean, reduce_sum, var_same_dtype


class LayerNorm(Function):
    """y = (x - mean) / sqrt(var + eps) * weight + bias over x's last `k` dims; weight and
    bias (each optional: `has_weight`, `has_bias`) of those dims' shape."""

    def __init__(self, k: int, eps: float, has_weight: bool, has_bias: bool) -> None:
        self.k, self.eps, self.has_weight, self.has_bias = k, eps, has_weight, has_bias

    def forward(self, x, *affine):
        t = x.dtype.type
        dims = tuple(range(x.ndim - self.k, x.ndim))
        m = int(np.prod(x.shape[x.ndim - self.k :]))
        # the composite's calls: Mean's sum / m, var_same_dtype's squared deviations
        # times 1/m, then (x - mean) / sqrt(var + eps)
        mu = x.sum(axis=dims, keepdims=True) / t(m)
        d = x - mu
        v = np.multiply(d, d)
        v = v.sum(axis=dims, keepdims=True) * t(1.0 / m)
        std = np.sqrt(v + t(self.eps))
        y = np.divide(d, std, out=d)
        if self.has_weight:
            y = np.multiply(y, affine[0], out=y)
        if self.has_bias:
            y = np.add(y, affine[-1], out=y)
        self.mu, self.std = mu, std
        return y

    def backward(self, gy):
        x = self.inputs[0]
        needs = self.needs_input_grad
        weight = self.inputs[1] if self.has_weight else None
        k = self.k
        dims = tuple(range(x.ndim - k, x.ndim))
        lead = tuple(range(x.ndim - k))
        if not is_grad_enabled():  # first order: the closed form on arrays
            return self._backward_arrays(gy._data, dims, lead)
        xc = x - mean(x, dims, keepdim=True)
        std = sqrt(var_same_dtype(x, dims, 0, True) + self.eps)
        xhat = xc / std
        g = gy * weight if weight is not None else gy
        grads: list[Tensor | None] = [None]
        if needs[0]:
            gm = mean(g, dims, keepdim=True)
            gxm = mean(g * xhat, dims, keepdim=True)
            grads[0] = (g - gm - xhat * gxm) / std
        if self.has_weight:
            grads.append(_lead_sum(gy * xhat, lead) if needs[1] else None)
        if self.has_bias:
            grads.append(_lead_sum(gy, lead) if needs[-1] else None)
        return tuple(grads)

    def _backward_arrays(
        self, gy: Any, dims: tuple[int, ...], lead: tuple[int, ...]
    ) -> tuple[Tensor | None, ...]:
        needs = self.needs_input_grad
        x = self.inputs[0]._data
        t = x.dtype.type
        m = t(int(np.prod(x.shape[x.ndim - self.k :])))
        wants_xhat = needs[0] or (self.has_weight and needs[1])
        xhat = np.divide(x - self.mu, self.std) if wants_xhat else None
        grads: list[Any] = [None]
        if needs[0]:
            g = gy * self.inputs[1]._data if self.has_weight else gy
            gm = g.sum(axis=dims, keepdims=True) / m
            gxm = (g * xhat).sum(axis=dims, keepdims=True) / m
            gx = np.multiply(xhat, gxm)
            np.subtract(g, gx, out=gx)
            gx -= gm
            gx /= self.std
            grads[0] = gx
        if self.has_weight:
            grads.append((gy * xhat).sum(axis=lead) if needs[1] else None)
        if self.has_bias:
            grads.append(gy.sum(axis=lead) if needs[-1] else None)
        return tuple(None if g is None else Tensor._make(g, False) for g in grads)


def _lead_sum(t: Tensor, lead: tuple[int, ...]) -> Tensor:
    """t summed over the leading dims `lead` (none for an unbatched input: t as it is, not
    reduce_sum's sum over every dim that an empty tuple means)."""
    return reduce_sum(t, lead) if lead else t


def fused_handles(x: Tensor, *affine: Tensor | None) -> bool:
    """Whether `LayerNorm` serves: NumPy arrays, one real float dtype (float32 or float64;
    float16 is widened before), at least one value."""
    arrays = [x._data] + [p._data for p in affine if p is not None]
    return numpy_float(*arrays) and x._data.size > 0


def layer_norm_composite(
    x: Tensor,
    k: int,
    weight: Tensor | None,
    bias: Tensor | None,
    eps: float,
) -> Tensor:
    """Layer norm over x's last k dims from ops only: every dtype and array module, the
    oracle of the tests."""
    dims = tuple(range(x.ndim - k, x.ndim))
    mu = mean(x, dims, keepdim=True)
    v = var_same_dtype(x, dims, 0, True)
    y = (x - mu) / sqrt(v + eps)
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y


def layer_norm(x: Tensor, k: int, weight: Tensor | None, bias: Tensor | None, eps: float) -> Tensor:
    """The fused node where `fused_handles`, else the composite (checked by the caller)."""
    if not fused_handles(x, weight, bias):
        return layer_norm_composite(x, k, weight, bias, eps)
    args = [p for p in (x, weight, bias) if p is not None]
    return LayerNorm(k, eps, weight is not None, bias is not None)(*args)


__all__ = ["LayerNorm", "layer_norm", "layer_norm_composite"]
