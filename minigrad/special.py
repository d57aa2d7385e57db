"""torch.special's names: the special functions of `ops.special` and aliases of the
existing element-wise ops (expit = sigmoid, gammaln = lgamma, psi = digamma)."""

from __future__ import annotations

from .nn.functional import log_softmax, softmax
from .ops import erf, exp2, expm1, log1p, logsumexp
from .ops import sigmoid as expit
from .ops.special import (
    digamma,
    entr,
    erfc,
    erfinv,
    lgamma,
    logit,
    polygamma,
    sinc,
    xlog1py,
    xlogy,
)

gammaln = lgamma
psi = digamma

__all__ = [
    "digamma",
    "entr",
    "erf",
    "erfc",
    "erfinv",
    "exp2",
    "expit",
    "expm1",
    "gammaln",
    "log1p",
    "log_softmax",
    "logit",
    "logsumexp",
    "polygamma",
    "psi",
    "sinc",
    "softmax",
    "xlog1py",
    "xlogy",
]
