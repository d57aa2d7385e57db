"""PyTorch's legacy `CrossMapLRN2d` (x `(N, C, H, W)`), with its own forward window and its
own backward rule, which assumes another window than the forward's; minigrad copies both so
that the values and gradients are PyTorch's."""

from __future__ import annotations

import numpy as np

from ..autograd import Function, first_order_only
from ..backend import get_array_module
from ..tensor import Tensor
from .linalg import matmul


def _forward_windows(c: int, size: int) -> np.ndarray:
    """(C, C) 0/1 matrix: column c marks the channels whose squares PyTorch's running sum
    holds for channel c (it keeps channel 0 once the window slides past it)."""
    pre = int((size - 1) / 2 + 1)
    m = np.zeros((c, c))
    m[: min(pre, c), 0] = 1
    for j in range(1, c):
        m[:, j] = m[:, j - 1]
        if j < c - pre + 1:
            m[j + pre - 1, j] += 1
        if j > pre:
            m[j - pre, j] -= 1
    return m


def _backward_windows(c: int, size: int) -> np.ndarray:
    """(C, C) 0/1 matrix: column c marks the channels j in [c - p, c + size - 1 - p],
    p = int(size - (size - 1) / 2), that PyTorch's backward sums for channel c."""
    p = int(size - (size - 1) / 2)
    j, k = np.arange(c)[:, None], np.arange(c)[None, :]
    return ((j >= k - p) & (j <= k + size - 1 - p)).astype(np.float64)


def _channel_matmul(x: Tensor, m: np.ndarray) -> Tensor:
    """Mix the channels of x `(N, C, H, W)` by m `(C, C)`: out[:, c] = sum_j x[:, j] m[j, c]."""
    xp = get_array_module(x._data)
    mt = Tensor._make(xp.asarray(m.astype(x.dtype)), False)
    return matmul(x.transpose(1, 3), mt).transpose(1, 3)


class CrossMapLRN2d(Function):
    """y = x * scale^-beta, scale = k + alpha / size * (running sum of x^2 over channels)."""

    def __init__(self, size: int, alpha: float, beta: float, k: float) -> None:
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, x):
        xp = get_array_module(x)
        m = xp.asarray(_forward_windows(x.shape[1], self.size).astype(x.dtype))
        s = xp.matmul((x * x).transpose(0, 2, 3, 1), m).transpose(0, 3, 1, 2)
        self.scale = s * (self.alpha / self.size) + self.k
        self.y = x * self.scale**-self.beta
        return self.y

    def backward(self, gy):
        (x,) = self.inputs
        scale = Tensor._make(self.scale, False)
        y = Tensor._make(self.y, False)
        ratio = _channel_matmul(gy * y / scale, _backward_windows(x.shape[1], self.size))
        g = gy * scale**-self.beta - x * ratio * (2 * self.alpha * self.beta / self.size)
        # PyTorch's legacy formula treats scale and y as constants: no true second derivative
        return first_order_only(g, "cross_map_lrn2d_backward", x, gy)


def cross_map_lrn2d(
    input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0
) -> Tensor:
    """PyTorch's `CrossMapLRN2d` on x `(N, C, H, W)`."""
    if input.ndim != 4:
        raise ValueError(f"CrossMapLRN2d: Expected input to be 4D, got {input.ndim}D instead.")
    return CrossMapLRN2d(size, alpha, beta, k)(input)
