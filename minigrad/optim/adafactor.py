"""Adafactor (Shazeer and Stern, 2018) as PyTorch 2.13's `torch.optim.Adafactor`: the
second moment of a parameter with two or more dims kept factored, as row and column means
of the squared gradient over its last two dims; lr caps the relative step size and scales
the decoupled weight decay."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..backend import get_array_module, to_device
from ..tensor import Tensor
from .optimizer import Optimizer, _advance, _closure_loss, _lerp_, _scalar, _zeros

__all__ = ["Adafactor"]


class Adafactor(Optimizer):
    """PyTorch's defaults: lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3) (None: the machine
    epsilon of the first updated parameter's dtype), d=1.0 (update clipping), no weight
    decay. State per parameter: 'step', and 'row_var'/'col_var' (shapes `(*, m, 1)` and
    `(*, 1, n)`) for >= 2-d parameters, else 'variance'."""

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1e-2,
        beta2_decay: float = -0.8,
        eps: tuple[float | None, float] = (None, 1e-3),
        d: float = 1.0,
        weight_decay: float = 0.0,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
    ) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= d:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        defaults = {
            "lr": lr,
            "beta2_decay": beta2_decay,
            "eps": eps,
            "d": d,
            "weight_decay": weight_decay,
            "foreach": foreach,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _init_state(self, p: Tensor, group: dict[str, Any], state: dict[str, Any]) -> None:
        if p.grad.dtype.kind == "c":
            raise RuntimeError("Adafactor does not support complex parameters")
        state["step"] = _scalar(0.0)
        g = p.grad._data
        if g.ndim > 1:
            xp = get_array_module(g)
            state["row_var"] = Tensor._make(xp.zeros((*g.shape[:-1], 1), g.dtype), False)
            state["col_var"] = Tensor._make(
                xp.zeros((*g.shape[:-2], 1, g.shape[-1]), g.dtype), False
            )
        else:
            state["variance"] = _zeros(g)

    def _load_entry(self, p: Tensor, j: Any, key: str, v: Any) -> Any:
        """The factored moments are shaped `(*, m, 1)` and `(*, 1, n)`, not as the
        parameter: copies in its dtype on its device."""
        if key in ("row_var", "col_var") and isinstance(v, Tensor):
            a = to_device(v._data, p.device)
            return Tensor._make(a.astype(p.dtype, copy=True), False)
        return super()._load_entry(p, j, key, v)

    def step(self, closure: Any = None) -> Any:
        """One update of each parameter with a gradient. As PyTorch's, eps1=None becomes
        the machine epsilon of the dtype of the first such parameter of each group."""
        loss = _closure_loss(closure)
        for group in self._groups():
            eps1, eps2 = group["eps"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                st = self.state[p]
                if not st:
                    self._init_state(p, group, st)
                if eps1 is None:
                    eps1 = float(np.finfo(p.dtype).eps)
                self._adafactor(p, group, st, eps1, eps2)
                p._vc.value += 1
        return loss

    def _adafactor(
        self, p: Tensor, group: dict[str, Any], state: dict[str, Any], eps1: float, eps2: float
    ) -> None:
        lr, d, wd = group["lr"], group["d"], group["weight_decay"]
        x = p._data
        xp = get_array_module(x)
        grad = -p.grad._data if group["maximize"] else p.grad._data
        t = _advance(state["step"])
        one_minus_beta2_t = t ** group["beta2_decay"]
        rho_t = min(lr, 1 / t**0.5)
        numel = max(x.size, 1)
        alpha = max(eps2, float(np.sqrt((x.astype(np.float64) ** 2).sum())) / numel**0.5) * rho_t
        if wd != 0:
            x *= 1 - lr * wd
        if grad.ndim > 1:
            row_var, col_var = state["row_var"]._data, state["col_var"]._data
            g2 = grad * grad
            row_mean = g2.sum(-1, keepdims=True) / grad.shape[-1]
            _lerp_(xp, row_var, row_mean.astype(row_var.dtype), one_minus_beta2_t)
            col_mean = g2.sum(-2, keepdims=True) / grad.shape[-2]
            _lerp_(xp, col_var, col_mean.astype(col_var.dtype), one_minus_beta2_t)
            var_estimate = row_var @ col_var
            var_estimate /= xp.maximum(row_var.mean(-2, keepdims=True), eps1).astype(x.dtype)
        else:
            variance = state["variance"]._data
            _lerp_(xp, variance, grad * grad, one_minus_beta2_t)
            var_estimate = variance.copy()
        update = 1.0 / xp.sqrt(xp.maximum(var_estimate, eps1 * eps1))
        update = (update * grad).astype(x.dtype, copy=False)
        unorm = float(np.sqrt((update.astype(np.float64) ** 2).sum()))
        denom = max(1.0, unorm / (max(update.size, 1) ** 0.5 * d))
        x -= (alpha / denom) * update
