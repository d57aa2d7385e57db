"""Stochastic weight averaging, as `torch.optim.swa_utils`: `AveragedModel` (an equal-weight
or exponential average of a model's parameters), `SWALR` (anneal each group's lr to a
fixed SWA lr) and `update_bn` (recompute batchnorm statistics for the averaged weights).

The built-in averages write into the averaged model's arrays in place, with PyTorch's
formulas: SWA a + (p - a) / (n + 1), EMA a.lerp_(p, 1 - decay).
"""

from __future__ import annotations

import copy
import itertools
import math
import warnings
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ..autograd import no_grad
from ..backend import Array, get_array_module, to_device
from ..nn.module import Module
from ..nn.norm import _BatchNorm
from ..tensor import Tensor, get_default_dtype
from .lr_scheduler import LRScheduler, _per_group
from .optimizer import Optimizer, _lerp_

__all__ = [
    "SWALR",
    "AveragedModel",
    "get_ema_avg_fn",
    "get_ema_multi_avg_fn",
    "get_swa_avg_fn",
    "get_swa_multi_avg_fn",
    "update_bn",
]


def _is_float(a: Array) -> bool:
    return a.dtype.kind in "fc"


def _swa_step(a: Array, b: Array, n: int) -> None:
    """a += (b - a) / (n + 1), PyTorch's `get_swa_avg_fn` with an integer count: true
    division (integer arrays in the default float dtype, the result truncated back)."""
    if _is_float(a):
        a += (b - a) / a.dtype.type(n + 1)
    else:
        dt = np.dtype(get_default_dtype())
        a[...] = (a + (b - a).astype(dt) / dt.type(n + 1)).astype(a.dtype)


def get_ema_multi_avg_fn(decay: float = 0.999) -> Callable[[list, list, Any], None]:
    """An in-place EMA update of lists of Tensors: ema.lerp_(p, 1 - decay)."""

    def ema_update(ema_param_list: list[Tensor], current_param_list: list[Tensor], _: Any) -> None:
        with no_grad():
            for e, p in zip(ema_param_list, current_param_list, strict=True):
                a, b = e._data, p._data
                if _is_float(a):
                    _lerp_(get_array_module(a), a, b, 1 - decay)
                else:
                    a[...] = (a * decay + b * (1 - decay)).astype(a.dtype)
                e._version += 1

    return ema_update


def get_swa_multi_avg_fn() -> Callable[[list, list, Any], None]:
    """An in-place equal-weight update of lists of Tensors: a.lerp_(p, 1 / (n + 1))."""

    def swa_update(avg_param_list: list[Tensor], current_param_list: list[Tensor], n: Any) -> None:
        n = int(n.item() if isinstance(n, Tensor) else n)
        with no_grad():
            for e, p in zip(avg_param_list, current_param_list, strict=True):
                a, b = e._data, p._data
                if _is_float(a):
                    _lerp_(get_array_module(a), a, b, 1 / (n + 1))
                else:
                    _swa_step(a, b, n)
                e._version += 1

    return swa_update


def get_ema_avg_fn(decay: float = 0.999) -> Callable[[Tensor, Tensor, Any], Tensor]:
    """avg_fn(ema, p, n) = decay * ema + (1 - decay) * p, a new Tensor."""

    def ema_update(ema_param: Tensor, current_param: Tensor, num_averaged: Any) -> Tensor:
        return decay * ema_param + (1 - decay) * current_param

    return ema_update


def get_swa_avg_fn() -> Callable[[Tensor, Tensor, Any], Tensor]:
    """avg_fn(a, p, n) = a + (p - a) / (n + 1), a new Tensor."""

    def swa_update(averaged_param: Tensor, current_param: Tensor, num_averaged: Any) -> Tensor:
        return averaged_param + (current_param - averaged_param) / (num_averaged + 1)

    return swa_update


class AveragedModel(Module):
    """A deep copy of `model` whose parameters (and buffers, with `use_buffers=True`) are
    the running average of `model`'s at each `update_parameters(model)`: equal-weight (SWA)
    by default, or as `avg_fn(avg, p, n)` (returns the new average) or
    `multi_avg_fn(avg_list, p_list, n)` (updates in place) say, e.g. `get_ema_multi_avg_fn`.
    The first update copies. Without `use_buffers` the buffers are copied from `model` at
    each update. `n_averaged` (a long 0-d buffer) counts the updates; calling it runs the copy.
    """

    def __init__(
        self,
        model: Module,
        device: Any = None,
        avg_fn: Callable[[Tensor, Tensor, Any], Tensor] | None = None,
        multi_avg_fn: Callable[[list, list, Any], None] | None = None,
        use_buffers: bool = False,
    ) -> None:
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = copy.deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        n = Tensor._make(to_device(np.array(0, dtype=np.int64), device or "cpu"), False)
        self.register_buffer("n_averaged", n)
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self.module(*args, **kwargs)

    def update_parameters(self, model: Module) -> None:
        """Fold `model`'s current parameters (and buffers) into the average."""
        if self.use_buffers:
            own: Iterable[Tensor] = itertools.chain(self.module.parameters(), self.module.buffers())
            theirs: Iterable[Tensor] = itertools.chain(model.parameters(), model.buffers())
        else:
            own, theirs = self.parameters(), model.parameters()
        n = int(self.n_averaged.item())
        own_d, theirs_d = [], []
        for a, p in zip(own, theirs, strict=False):  # zip, as PyTorch's: extra ones are left
            pd = Tensor._make(to_device(p._data, a.device), False)
            own_d.append(a.detach())
            theirs_d.append(pd)
            if n == 0:
                a._data[...] = pd._data
                a._version += 1
        if n > 0:
            if self.avg_fn is None:
                fn = self.multi_avg_fn or _default_multi_avg
                for dev in dict.fromkeys(t.device for t in own_d):
                    for dt in dict.fromkeys(t.dtype for t in own_d if t.device == dev):
                        idx = [i for i, t in enumerate(own_d) if t.device == dev and t.dtype == dt]
                        count = Tensor._make(to_device(np.array(n, dtype=np.int64), dev), False)
                        fn([own_d[i] for i in idx], [theirs_d[i] for i in idx], count)
            else:
                with no_grad():
                    for a, p in zip(own_d, theirs_d, strict=True):
                        count = Tensor._make(
                            to_device(np.array(n, dtype=np.int64), a.device), False
                        )
                        new = self.avg_fn(a, p, count)
                        a._data[...] = new._data if isinstance(new, Tensor) else new
                        a._version += 1
        if not self.use_buffers:
            # the buffers follow the source model when they are not averaged
            for b, mb in zip(self.module.buffers(), model.buffers(), strict=False):
                b._data[...] = to_device(mb._data, b.device)
                b._version += 1
        self.n_averaged._data[...] = n + 1
        self.n_averaged._version += 1


def _default_multi_avg(own: list[Tensor], theirs: list[Tensor], n: Tensor) -> None:
    """PyTorch's default on the CPU: get_swa_avg_fn's a + (p - a) / (n + 1) per tensor."""
    count = int(n.item())
    with no_grad():
        for e, p in zip(own, theirs, strict=True):
            _swa_step(e._data, p._data, count)
            e._version += 1


def update_bn(loader: Iterable[Any], model: Module, device: Any = None) -> None:
    """Recompute the running statistics of every batchnorm in `model` with one pass over
    `loader` (batches, or tuples/lists whose first item is the input), as a cumulative
    average (momentum None); momentum and train/eval mode are restored after."""
    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    for batch in loader:
        if isinstance(batch, list | tuple):
            batch = batch[0]
        if device is not None:
            batch = batch.to(device)
        model(batch)
    for module, momentum in momenta.items():
        module.momentum = momentum
    model.train(was_training)


class SWALR(LRScheduler):
    """Anneal each group's lr from its value to `swa_lr` over `anneal_epochs` steps, along
    a cosine ('cos') or a line ('linear'), then hold it (PyTorch's chainable rule)."""

    def __init__(
        self,
        optimizer: Optimizer,
        swa_lr: float | list[float],
        anneal_epochs: int = 10,
        anneal_strategy: str = "cos",
        last_epoch: int = -1,
    ) -> None:
        swa_lrs = _per_group("SWALR", "swa_lr", optimizer, swa_lr)
        for lr, group in zip(swa_lrs, optimizer.param_groups, strict=True):
            group["swa_lr"] = lr
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(
                f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}"
            )
        self._anneal_strategy = anneal_strategy
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    def anneal_func(self, t: float) -> float:
        if self._anneal_strategy == "cos":
            return (1 - math.cos(math.pi * t)) / 2
        return t

    @staticmethod
    def _get_initial_lr(lr: float, swa_lr: float, alpha: float) -> float:
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def step(self, epoch: int | None = None) -> None:
        # PyTorch's LRScheduler.step flags the get_lr call it makes (the flag is in
        # state_dict); get_lr called from anywhere else warns
        self._get_lr_called_within_step = True
        try:
            super().step(epoch)
        finally:
            self._get_lr_called_within_step = False

    def get_lr(self) -> list[float]:
        if not getattr(self, "_get_lr_called_within_step", False):
            warnings.warn(
                "To get the last learning rate computed by the scheduler, please use "
                "`get_last_lr()`.",
                UserWarning,
                stacklevel=2,
            )
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_alpha = self.anneal_func(max(0, min(1, (step - 1) / max(1, self.anneal_epochs))))
        groups = self.optimizer.param_groups
        prev_lrs = [self._get_initial_lr(g["lr"], g["swa_lr"], prev_alpha) for g in groups]
        alpha = self.anneal_func(max(0, min(1, step / max(1, self.anneal_epochs))))
        return [
            g["swa_lr"] * alpha + lr * (1 - alpha) for g, lr in zip(groups, prev_lrs, strict=True)
        ]
