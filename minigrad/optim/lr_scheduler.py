"""Learning-rate schedulers with PyTorch's semantics: `StepLR`, `MultiStepLR`,
`ExponentialLR`, `CosineAnnealingLR`, `LambdaLR`.

A scheduler writes `param_groups[i]['lr']` of its optimizer. Constructing one records each
group's `initial_lr` (when `last_epoch=-1`) and performs the initial step, so the lrs are
those of epoch 0; call `scheduler.step()` after `optimizer.step()`, once per epoch. Most
schedulers are chainable, as in PyTorch: each step scales the group's current lr, so a
change made from outside carries on.
"""

from __future__ import annotations

import functools
import math
import types
import warnings
import weakref
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from .optimizer import Optimizer

__all__ = [
    "CosineAnnealingLR",
    "ExponentialLR",
    "LRScheduler",
    "LambdaLR",
    "MultiStepLR",
    "StepLR",
]


def _mark_optimizer_steps(optimizer: Optimizer) -> None:
    """Wrap `optimizer.step` (once per optimizer) so that a scheduler can tell whether the
    optimizer stepped before the scheduler's first step."""
    step = optimizer.step
    func = getattr(step, "__func__", None)
    if func is None or getattr(step, "_marks_calls", False):
        return  # already wrapped, or replaced by a plain function: leave it alone
    ref = weakref.ref(optimizer)  # no cycle optimizer -> wrapper -> optimizer

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        opt = ref()
        opt._opt_called = True
        return func(opt, *args, **kwargs)

    wrapper._marks_calls = True
    optimizer.step = wrapper


class LRScheduler:
    """Base class: subclasses define `get_lr()` (the chainable rule, reading the groups'
    current lrs) and may define `_get_closed_form_lr()` (lr as a function of the epoch)."""

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        name = type(self).__name__
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{name}: {type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"{name}: param_groups[{i}] has no 'initial_lr' to resume from "
                        f"last_epoch={last_epoch}; load the optimizer's state_dict first, or "
                        "use last_epoch=-1 for a fresh run"
                    )
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        _mark_optimizer_steps(optimizer)
        self._initial_step()

    def _initial_step(self) -> None:
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self) -> list[float]:
        raise NotImplementedError(f"{type(self).__name__}.get_lr")

    def get_last_lr(self) -> list[float]:
        """The lrs the last `step()` (or the constructor) set, one per group."""
        return self._last_lr

    def step(self, epoch: int | None = None) -> None:
        """Advance one epoch. `epoch` (deprecated in PyTorch too) jumps to that epoch with
        the closed form where the scheduler has one."""
        if (
            self._step_count == 1
            and getattr(self.optimizer.step, "_marks_calls", False)
            and not getattr(self.optimizer, "_opt_called", False)
        ):
            warnings.warn(
                "Detected call of `lr_scheduler.step()` before `optimizer.step()`: call them "
                "in the opposite order, or the first value of the schedule is skipped",
                UserWarning,
                stacklevel=2,
            )
        self._step_count += 1
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            warnings.warn(
                "scheduler.step(epoch) is deprecated, as in PyTorch: call scheduler.step()",
                UserWarning,
                stacklevel=2,
            )
            self.last_epoch = epoch
            closed_form = getattr(self, "_get_closed_form_lr", None)
            values = closed_form() if closed_form is not None else self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values, strict=True):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        """Every attribute but the optimizer (PyTorch's layout), safe to save with `mg.save`."""
        return {k: v for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.__dict__.update(state_dict)

    def _current_lrs(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]


class LambdaLR(LRScheduler):
    """lr = initial_lr * lr_lambda(epoch); `lr_lambda` is one function or one per group.
    `state_dict` keeps the attributes of callable objects, not functions or lambdas."""

    def __init__(
        self,
        optimizer: Optimizer,
        lr_lambda: Callable[[int], float] | list[Callable[[int], float]],
        last_epoch: int = -1,
    ) -> None:
        self.optimizer = optimizer
        n = len(optimizer.param_groups)
        if isinstance(lr_lambda, list | tuple):
            if len(lr_lambda) != n:
                raise ValueError(f"LambdaLR: expected {n} lr_lambdas, got {len(lr_lambda)}")
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * n
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [
            base_lr * fn(self.last_epoch)
            for fn, base_lr in zip(self.lr_lambdas, self.base_lrs, strict=True)
        ]

    def state_dict(self) -> dict[str, Any]:
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "lr_lambdas")}
        state["lr_lambdas"] = [
            None if isinstance(fn, types.FunctionType) else fn.__dict__.copy()
            for fn in self.lr_lambdas
        ]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state = dict(state_dict)
        saved = state.pop("lr_lambdas")
        if len(saved) != len(self.lr_lambdas):
            raise ValueError(
                f"LambdaLR.load_state_dict: {len(saved)} lr_lambdas in the state but "
                f"{len(self.lr_lambdas)} in the scheduler"
            )
        self.__dict__.update(state)
        for fn, attrs in zip(self.lr_lambdas, saved, strict=True):
            if attrs is not None:
                fn.__dict__.update(attrs)


class StepLR(LRScheduler):
    """Multiply the lr by `gamma` every `step_size` epochs."""

    def __init__(
        self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        if step_size < 1:
            raise ValueError(f"StepLR: step_size must be at least 1, got {step_size}")
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        return [lr * self.gamma ** (self.last_epoch // self.step_size) for lr in self.base_lrs]


class MultiStepLR(LRScheduler):
    """Multiply the lr by `gamma` at each milestone epoch (twice if it is listed twice)."""

    def __init__(
        self,
        optimizer: Optimizer,
        milestones: Iterable[int],
        gamma: float = 0.1,
        last_epoch: int = -1,
    ) -> None:
        self.milestones = Counter(milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch not in self.milestones:
            return self._current_lrs()
        factor = self.gamma ** self.milestones[self.last_epoch]
        return [lr * factor for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        passed = sum(n for m, n in self.milestones.items() if m <= self.last_epoch)
        return [lr * self.gamma**passed for lr in self.base_lrs]

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        super().load_state_dict(state_dict)
        # `mg.load` gives a plain dict back
        self.milestones = Counter({int(m): int(n) for m, n in self.milestones.items()})


class ExponentialLR(LRScheduler):
    """Multiply the lr by `gamma` every epoch."""

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        # the constructor's step must not move a resumed schedule one epoch ahead
        if self._is_initial:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        return [lr * self.gamma**self.last_epoch for lr in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """Cosine annealing from initial_lr down to `eta_min` over `T_max` epochs, then back up
    (no restarts), with PyTorch's recursive rule
    lr_t = eta_min + (lr_{t-1} - eta_min) * (1 + cos(pi t / T_max)) / (1 + cos(pi (t-1) / T_max)),
    which follows lrs changed from outside."""

    def __init__(
        self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1
    ) -> None:
        if T_max < 1:
            raise ValueError(f"CosineAnnealingLR: T_max must be at least 1, got {T_max}")
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        t, T, eta_min = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return self._current_lrs()
        if self._step_count == 1 and t > 0:
            return [
                eta_min + (base_lr - eta_min) * (1 + math.cos(t * math.pi / T)) / 2
                for base_lr in self.base_lrs
            ]
        if (t - 1 - T) % (2 * T) == 0:  # the step up from the minimum: 1 + cos(...) is 0
            return [
                lr + (base_lr - eta_min) * (1 - math.cos(math.pi / T)) / 2
                for base_lr, lr in zip(self.base_lrs, self._current_lrs(), strict=True)
            ]
        return [
            (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T)) * (lr - eta_min)
            + eta_min
            for lr in self._current_lrs()
        ]

    def _get_closed_form_lr(self) -> list[float]:
        return [
            self.eta_min
            + (base_lr - self.eta_min) * (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
            for base_lr in self.base_lrs
        ]
