"""Connectionist temporal classification loss, as torch.nn.functional.ctc_loss: the
forward (alpha) and backward (beta) recursions in log space, vectorised over the batch with
one step per time frame. The gradient is PyTorch's formula,
`exp(log_probs) - exp(log(sum alpha beta) + nll - log_probs)`, which assumes log_probs come
from a log_softmax (its first term is then cancelled), so the numbers are PyTorch's."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Function, first_order_only
from ..backend import get_array_module
from ..tensor import Tensor

__all__ = ["ctc_nll"]


def _logadd(*terms: Any) -> Any:
    """log(sum(exp(terms))) element-wise, -inf where every term is -inf."""
    xp = get_array_module(terms[0])
    m = terms[0]
    for t in terms[1:]:
        m = xp.maximum(m, t)
    safe = xp.where(xp.isfinite(m), m, 0)
    with np.errstate(divide="ignore"):
        total = sum(xp.exp(t - safe) for t in terms)
        return xp.where(xp.isneginf(m), -np.inf, xp.log(total) + safe)


def _shift(a: Any, k: int, fill: float) -> Any:
    """a `(N, L)` moved k places right (k > 0) or left (k < 0) along L, filled with `fill`."""
    xp = get_array_module(a)
    out = xp.full_like(a, fill)
    if k > 0:
        out[:, k:] = a[:, :-k]
    else:
        out[:, :k] = a[:, -k:]
    return out


class CTCNll(Function):
    """Per-sample negative log likelihood `(N,)` of the targets under log_probs `(T, N, C)`."""

    def __init__(
        self, labels: Any, input_lengths: Any, target_lengths: Any, blank: int, zero_infinity: bool
    ) -> None:
        self.labels, self.il, self.tl = labels, input_lengths, target_lengths
        self.blank, self.zero_infinity = blank, zero_infinity

    def forward(self, lp):
        xp = get_array_module(lp)
        t_max, n, _ = lp.shape
        labels, il, tl = self.labels, self.il, self.tl
        length = labels.shape[1]
        rows = xp.arange(n)[:, None]
        emit = lambda t: lp[t][rows, labels]  # noqa: E731  (N, L): log_probs of l'
        # a skip over a blank is allowed into a label unlike the one two places back
        prev2 = _shift(labels, 2, -1)
        self.skip = (labels != self.blank) & (labels != prev2)
        s = xp.arange(length)[None, :]
        alpha = xp.full((t_max, n, length), -np.inf, dtype=lp.dtype)
        a = xp.where(s < xp.minimum(2, 2 * tl[:, None] + 1), emit(0), -np.inf) if t_max else None
        for t in range(t_max):  # one step per frame, every sample at once
            if t:
                new = _logadd(
                    a, _shift(a, 1, -np.inf), xp.where(self.skip, _shift(a, 2, -np.inf), -np.inf)
                )
                a = xp.where((t < il)[:, None], new + emit(t), a)
            alpha[t] = a
        self.alpha = alpha
        last = xp.maximum(il - 1, 0)
        fin = alpha[last, xp.arange(n)] if t_max else xp.full((n, length), -np.inf, lp.dtype)
        end = 2 * tl
        ll = _logadd(
            fin[xp.arange(n), end],
            xp.where(tl > 0, fin[xp.arange(n), xp.maximum(end - 1, 0)], -np.inf),
        )
        ll = xp.where(il > 0, ll, xp.where(tl == 0, 0.0, -np.inf))
        nll = -ll
        self.nll = nll
        self.dead = xp.isinf(nll) & self.zero_infinity
        return xp.where(self.dead, 0, nll).astype(lp.dtype)

    def backward(self, gy):
        (lp_t,) = self.inputs
        lp = lp_t._data
        xp = get_array_module(lp)
        t_max, n, c = lp.shape
        labels, il, tl = self.labels, self.il, self.tl
        length = labels.shape[1]
        rows = xp.arange(n)[:, None]
        s = xp.arange(length)[None, :]
        end = 2 * tl[:, None]
        start_mask = (s == end) | ((s == end - 1) & (tl[:, None] > 0))
        skip_next = _shift(self.skip, -2, False)  # may s jump to s + 2
        beta = xp.full((t_max, n, length), -np.inf, dtype=lp.dtype)
        b = xp.full((n, length), -np.inf, dtype=lp.dtype)
        for t in range(t_max - 1, -1, -1):
            e = lp[t][rows, labels]
            nxt = _logadd(
                b, _shift(b, -1, -np.inf), xp.where(skip_next, _shift(b, -2, -np.inf), -np.inf)
            )
            b = xp.where(
                (t == il - 1)[:, None],
                xp.where(start_mask, e, -np.inf),
                xp.where((t < il - 1)[:, None], nxt + e, -np.inf),
            )
            beta[t] = b
        ab = self.alpha + beta  # (T, N, L)
        m = ab.max(axis=2, keepdims=True) if length else xp.zeros((t_max, n, 1), lp.dtype)
        m = xp.where(xp.isfinite(m), m, 0)
        onehot = (labels[:, :, None] == xp.arange(c)[None, None, :]).astype(lp.dtype)  # (N, L, C)
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            summed = xp.matmul(xp.exp(ab - m).transpose(1, 0, 2), onehot).transpose(1, 0, 2)
            lcab = xp.log(summed) + m
            grad = xp.exp(lp) - xp.exp(lcab + self.nll[None, :, None] - lp)
        valid = (xp.arange(t_max)[:, None] < il[None, :])[:, :, None]
        keep = valid & ~self.dead[None, :, None]
        grad = xp.where(keep, grad, 0).astype(lp.dtype)
        # a constant times gy: PyTorch has no second derivative here, and neither is faked
        g = Tensor._make(grad, False) * gy.reshape(1, n, 1)
        return first_order_only(g, "ctc_loss_backward", lp_t, gy)


def ctc_nll(
    log_probs: Tensor,
    labels: Any,
    input_lengths: Any,
    target_lengths: Any,
    blank: int,
    zero_infinity: bool,
) -> Tensor:
    """Per-sample CTC loss `(N,)`: log_probs `(T, N, C)`, labels the extended label
    sequences `(N, 2 S + 1)` (blank, y1, blank, ..., blank), lengths `(N,)` arrays."""
    return CTCNll(labels, input_lengths, target_lengths, blank, zero_infinity)(log_probs)
