"""Categorical(probs=None, logits=None): one of K classes, given by (unnormalised) class
probabilities or log-probabilities along the last dim."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import ops
from ..autograd import no_grad
from ..info import finfo
from ..ops.sampling import multinomial
from ..tensor import Size, Tensor, arange, full
from . import constraints
from .distribution import Distribution
from .utils import expand_param, lazy_property, logits_to_probs, probs_to_logits


class Categorical(Distribution):
    """Class indices (int64) in [0, K); parameters of shape `batch_shape + (K,)`. probs are
    divided by their sum and logits have their logsumexp taken off, as PyTorch does."""

    arg_constraints = {
        "probs": constraints.simplex,
        "logits": constraints.independent(constraints.real, 1),
    }
    has_enumerate_support = True

    def __init__(
        self, probs: Tensor | None = None, logits: Tensor | None = None, validate_args: Any = None
    ) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            if probs.ndim < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self.probs = probs / probs.sum(-1, keepdim=True)
            self._param = self.probs
        else:
            if logits.ndim < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            self.logits = logits - ops.logsumexp(logits, -1, keepdim=True)
            self._param = self.logits
        self._num_events = self._param.shape[-1]
        batch_shape = Size(self._param.shape[:-1]) if self._param.ndim > 1 else Size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Categorical:
        new = self._get_checked_instance(Categorical, _instance)
        batch_shape = Size(tuple(batch_shape))
        param_shape = (*batch_shape, self._num_events)
        if "probs" in self.__dict__:
            new.probs = expand_param(self.probs, param_shape)
            new._param = new.probs
        if "logits" in self.__dict__:
            new.logits = expand_param(self.logits, param_shape)
            new._param = new.logits
        new._num_events = self._num_events
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def support(self) -> constraints.Constraint:
        return constraints.integer_interval(0, self._num_events - 1)

    @lazy_property
    def logits(self) -> Tensor:
        return probs_to_logits(self.probs)

    @lazy_property
    def probs(self) -> Tensor:
        return logits_to_probs(self.logits)

    @property
    def param_shape(self) -> Size:
        return Size(self._param.shape)

    @property
    def mean(self) -> Tensor:
        return full(tuple(self._extended_shape()), float("nan"), dtype=self.probs.dtype)

    @property
    def mode(self) -> Tensor:
        return self.probs.argmax(-1)

    @property
    def variance(self) -> Tensor:
        return full(tuple(self._extended_shape()), float("nan"), dtype=self.probs.dtype)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        shape = Size(tuple(sample_shape) if not isinstance(sample_shape, int) else (sample_shape,))
        with no_grad():
            probs_2d = self.probs.reshape(-1, self._num_events)
            n = int(np.prod(shape, dtype=np.int64))
            samples_2d = multinomial(probs_2d, n, True).T
            return samples_2d.reshape(*self._extended_shape(shape))

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        value = value.long().unsqueeze(-1)
        shape = tuple(np.broadcast_shapes(value.shape, self.logits.shape))
        log_pmf = self.logits.expand(*shape)
        value = value.expand(*shape)[..., :1]
        return log_pmf.gather(-1, value).squeeze(-1)

    def entropy(self) -> Tensor:
        # -inf logits (probability 0) would give 0 * -inf = nan
        logits = ops.clip(self.logits, finfo(self.logits.dtype).min, None)
        return -(logits * self.probs).sum(-1)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """The class indices along a new leading dim, expanded over the batch shape."""
        values = arange(self._num_events, device=self._param.device)
        values = values.reshape((-1,) + (1,) * len(self._batch_shape))
        return values.expand(-1, *self._batch_shape) if expand else values
