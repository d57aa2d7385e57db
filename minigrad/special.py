"""torch.special's names: the special functions of `ops.special` and aliases of the
existing element-wise ops (expit = sigmoid, gammaln = lgamma, psi = digamma,
multigammaln = mvlgamma, round = mg.round)."""

from __future__ import annotations

from .nn.functional import log_softmax, softmax
from .ops import erf, exp2, expm1, log1p, logsumexp
from .ops import sigmoid as expit
from .ops.pointwise import round  # noqa: A004 - PyTorch's name
from .ops.special import (
    digamma,
    entr,
    erfc,
    erfcx,
    erfinv,
    gammainc,
    gammaincc,
    i0,
    i0e,
    i1,
    i1e,
    lgamma,
    log_ndtr,
    logit,
    multigammaln,
    ndtr,
    ndtri,
    polygamma,
    sinc,
    xlog1py,
    xlogy,
    zeta,
)

gammaln = lgamma
psi = digamma

__all__ = [
    "digamma",
    "entr",
    "erf",
    "erfc",
    "erfcx",
    "erfinv",
    "exp2",
    "expit",
    "expm1",
    "gammainc",
    "gammaincc",
    "gammaln",
    "i0",
    "i0e",
    "i1",
    "i1e",
    "log1p",
    "log_ndtr",
    "log_softmax",
    "logit",
    "logsumexp",
    "multigammaln",
    "ndtr",
    "ndtri",
    "polygamma",
    "psi",
    "round",
    "sinc",
    "softmax",
    "xlog1py",
    "xlogy",
    "zeta",
]
