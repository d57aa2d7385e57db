"""ExponentialFamily: PyTorch's base class of the families whose density is
exp(<t(x), theta> - F(theta) + k(x)), with natural parameters theta, log normalizer F and
carrier measure k. Its `entropy` is the Bregman-divergence formula, by autograd."""

from __future__ import annotations

from typing import Any

from ..autograd import grad
from ..tensor import Tensor
from .distribution import Distribution


class ExponentialFamily(Distribution):
    """Subclasses give `_natural_params`, `_log_normalizer(*natural_params)` and
    `_mean_carrier_measure` (E[k(x)])."""

    @property
    def _natural_params(self) -> tuple[Tensor, ...]:
        raise NotImplementedError

    def _log_normalizer(self, *natural_params: Any) -> Tensor:
        raise NotImplementedError

    @property
    def _mean_carrier_measure(self) -> float:
        raise NotImplementedError

    def entropy(self) -> Tensor:
        """F(theta) - <theta, grad F(theta)> - E[k(x)], the gradient taken (with
        create_graph) at detached copies of the natural parameters, as PyTorch does."""
        result: Any = -self._mean_carrier_measure
        nparams = [p.detach().requires_grad_() for p in self._natural_params]
        lg_normal = self._log_normalizer(*nparams)
        gradients = grad(lg_normal.sum(), nparams, create_graph=True)
        result = result + lg_normal
        for p, g in zip(nparams, gradients, strict=False):
            result = result - (p * g).reshape(tuple(self._batch_shape) + (-1,)).sum(-1)
        return result
