"""Matrix products. The backward of a product is two more products, so it is itself
differentiable."""

from __future__ import annotations

from typing import Any

from ..autograd import Function
from ..tensor import Tensor
from .elementwise import _same, promote
from .reduce import reduce_sum, sum_to
from .shape import reshape, transpose


class MatMul(Function):
    """a @ b for a, b with at least 2 dims; leading (batch) dims broadcast."""

    def forward(self, a, b):
        return a @ b

    def backward(self, gy):
        a, b = self.inputs
        na, nb = self.needs_input_grad
        ga = sum_to(matmul(gy, transpose(b, -1, -2)), a.shape) if na else None
        gb = sum_to(matmul(transpose(a, -1, -2), gy), b.shape) if nb else None
        return ga, gb


def matmul(a: Any, b: Any) -> Tensor:
    """NumPy/PyTorch matmul semantics: 1-d operands (a vector dot gives a 0-d tensor) and
    broadcast batch dims. Mixed dtypes promote as the element-wise ops do."""
    if not _same(a, b):
        a, b = promote(a, b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: both operands need at least 1 dim, got {a.shape} @ {b.shape}")
    if a.shape[-1] != b.shape[0 if b.ndim == 1 else -2]:
        raise ValueError(
            f"matmul: shapes {a.shape} and {b.shape} do not align "
            f"({a.shape[-1]} != {b.shape[0 if b.ndim == 1 else -2]})"
        )
    a2 = reshape(a, (1,) + a.shape) if a.ndim == 1 else a
    b2 = reshape(b, b.shape + (1,)) if b.ndim == 1 else b
    y = MatMul()(a2, b2)
    if a.ndim == 1 or b.ndim == 1:
        shape = y.shape[:-2]
        shape += () if a.ndim == 1 else y.shape[-2:-1]
        shape += () if b.ndim == 1 else y.shape[-1:]
        y = reshape(y, shape)
    return y


class Linear(Function):
    """y = x W^T + b in one node: x (N, in), W (out, in), b (out,)."""

    def forward(self, x, W, b=None):
        y = x @ W.T
        if b is not None:
            y += b
        return y

    def backward(self, gy):
        x, W = self.inputs[:2]
        nx, nW = self.needs_input_grad[:2]
        gx = matmul(gy, W) if nx else None
        gW = matmul(transpose(gy, 0, 1), x) if nW else None
        if len(self.inputs) == 2:
            return gx, gW
        gb = reduce_sum(gy, 0) if self.needs_input_grad[2] else None
        return gx, gW, gb


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x (..., in) @ weight.T (in, out) + bias (out,)."""
    if x.shape[-1] != weight.shape[-1]:
        raise ValueError(
            f"linear: input of shape {x.shape} has {x.shape[-1]} features but the weight "
            f"{weight.shape} expects {weight.shape[-1]}"
        )
    lead = x.shape[:-1]
    x2 = reshape(x, (-1, x.shape[-1])) if x.ndim != 2 else x
    args = (x2, weight) if bias is None else (x2, weight, bias)
    y = Linear()(*args)
    return reshape(y, lead + (weight.shape[0],)) if x.ndim != 2 else y
