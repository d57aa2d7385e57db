"""Bernoulli(probs=None, logits=None): one coin flip, given by its probability of 1 or
by its log-odds."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import ops
from ..autograd import no_grad
from ..nn.functional import LogitsBCE
from ..ops.sampling import bernoulli
from ..ops.search import torch_name
from ..tensor import Size, Tensor, arange
from . import constraints
from .distribution import Distribution
from .exp_family import ExponentialFamily
from .utils import (
    _is_number,
    broadcast_all,
    expand_param,
    lazy_property,
    logits_to_probs,
    probs_to_logits,
)


def _bce_with_logits(logits: Tensor, target: Tensor) -> Tensor:
    """-[t log sigmoid(x) + (1 - t) log sigmoid(-x)], elementwise, as PyTorch's
    binary_cross_entropy_with_logits computes it: (1 - t) x + softplus(-x), with its
    closed-form gradients. An infinite logit gives NaN where PyTorch's does (0 * inf at
    a hard target: log_prob(1) at logits -inf is NaN, not -inf)."""
    return LogitsBCE()(logits, target)


def _check_value_dtype(logits: Tensor, value: Tensor) -> None:
    """PyTorch's errors for a value the in-place `(1 - value).mul_(logits)` of its
    binary_cross_entropy_with_logits refuses: bool (no `1 - value`) and integers (a float
    result cannot be written back into them)."""
    if value.dtype == np.bool_:
        raise RuntimeError(
            "Subtraction, the `-` operator, with two bool tensors is not supported. "
            "Use the `^` or `logical_xor()` operator instead."
        )
    if value.dtype.kind in "iu":
        raise RuntimeError(
            f"result type {torch_name(logits.dtype)} can't be cast to the desired output "
            f"type {torch_name(value.dtype)}"
        )


class Bernoulli(ExponentialFamily):
    """Values in {0, 1} (float, in the parameter's dtype); exactly one of `probs` and
    `logits`. The other is derived on first use (logits from probs clamped to
    [eps, 1 - eps])."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True
    _mean_carrier_measure = 0

    def __init__(
        self, probs: Any = None, logits: Any = None, validate_args: bool | None = None
    ) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            is_scalar = _is_number(probs)
            (self.probs,) = broadcast_all(probs)
            self._param = self.probs
        else:
            is_scalar = _is_number(logits)
            (self.logits,) = broadcast_all(logits)
            self._param = self.logits
        batch_shape = Size() if is_scalar else Size(self._param.shape)
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Bernoulli:
        new = self._get_checked_instance(Bernoulli, _instance)
        batch_shape = Size(tuple(batch_shape))
        if "probs" in self.__dict__:
            new.probs = expand_param(self.probs, batch_shape)
            new._param = new.probs
        if "logits" in self.__dict__:
            new.logits = expand_param(self.logits, batch_shape)
            new._param = new.logits
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @lazy_property
    def logits(self) -> Tensor:
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self) -> Tensor:
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def param_shape(self) -> Size:
        return Size(self._param.shape)

    @property
    def mean(self) -> Tensor:
        return self.probs

    @property
    def mode(self) -> Tensor:
        """1 where probs >= 1/2, else 0, and NaN at exactly 1/2 (no single mode): a
        constant, outside the graph, as PyTorch's `(probs >= 0.5).to(probs)`."""
        probs = self.probs.detach()
        return ops.where(probs == 0.5, float("nan"), (probs >= 0.5).to(probs.dtype))

    @property
    def variance(self) -> Tensor:
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        with no_grad():
            return bernoulli(self.probs.expand(*shape))

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        _check_value_dtype(logits, value)
        out = -_bce_with_logits(logits, value)
        # PyTorch's loss is computed in place in (1 - value): a float value's dtype wins
        return out if out.dtype == value.dtype else out.to(value.dtype)

    def entropy(self) -> Tensor:
        return _bce_with_logits(self.logits, self.probs)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """0 and 1 along a new leading dim, expanded over the batch shape when `expand`."""
        values = arange(2, dtype=self._param.dtype, device=self._param.device)
        values = values.reshape((-1,) + (1,) * len(self._batch_shape))
        return values.expand(-1, *self._batch_shape) if expand else values

    @property
    def _natural_params(self) -> tuple[Tensor]:
        return (ops.logit(self.probs),)

    def _log_normalizer(self, x: Tensor) -> Tensor:  # type: ignore[override]
        return ops.log1p(ops.exp(x))
