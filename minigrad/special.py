"""torch.special's names: the special functions of `ops.special` and aliases of the
existing element-wise ops (expit = sigmoid, gammaln = lgamma, psi = digamma,
multigammaln = mvlgamma, round = mg.round). Each takes PyTorch's `out=` (minigrad/_out.py),
but softmax and log_softmax, whose torch.special forms take none."""

from __future__ import annotations

from typing import Any

from . import _out
from .nn import functional as _F
from .ops import erf, exp2, expm1, log1p, logsumexp
from .ops import pointwise as _pointwise
from .ops import sigmoid as expit
from .ops.special import (
    airy_ai,
    bessel_j0,
    bessel_j1,
    bessel_y0,
    bessel_y1,
    chebyshev_polynomial_t,
    chebyshev_polynomial_u,
    chebyshev_polynomial_v,
    chebyshev_polynomial_w,
    digamma,
    entr,
    erfc,
    erfcx,
    erfinv,
    gammainc,
    gammaincc,
    hermite_polynomial_h,
    hermite_polynomial_he,
    i0,
    i0e,
    i1,
    i1e,
    laguerre_polynomial_l,
    legendre_polynomial_p,
    lgamma,
    log_ndtr,
    logit,
    modified_bessel_i0,
    modified_bessel_i1,
    modified_bessel_k0,
    modified_bessel_k1,
    multigammaln,
    ndtr,
    ndtri,
    polygamma,
    scaled_modified_bessel_k0,
    scaled_modified_bessel_k1,
    shifted_chebyshev_polynomial_t,
    shifted_chebyshev_polynomial_u,
    shifted_chebyshev_polynomial_v,
    shifted_chebyshev_polynomial_w,
    sinc,
    spherical_bessel_j0,
    xlog1py,
    xlogy,
    zeta,
)

gammaln = lgamma
psi = digamma

__all__ = [
    "airy_ai",
    "bessel_j0",
    "bessel_j1",
    "bessel_y0",
    "bessel_y1",
    "chebyshev_polynomial_t",
    "chebyshev_polynomial_u",
    "chebyshev_polynomial_v",
    "chebyshev_polynomial_w",
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
    "hermite_polynomial_h",
    "hermite_polynomial_he",
    "i0",
    "i0e",
    "i1",
    "i1e",
    "laguerre_polynomial_l",
    "legendre_polynomial_p",
    "log1p",
    "log_ndtr",
    "log_softmax",
    "logit",
    "logsumexp",
    "modified_bessel_i0",
    "modified_bessel_i1",
    "modified_bessel_k0",
    "modified_bessel_k1",
    "multigammaln",
    "ndtr",
    "ndtri",
    "polygamma",
    "psi",
    "round",
    "scaled_modified_bessel_k0",
    "scaled_modified_bessel_k1",
    "shifted_chebyshev_polynomial_t",
    "shifted_chebyshev_polynomial_u",
    "shifted_chebyshev_polynomial_v",
    "shifted_chebyshev_polynomial_w",
    "sinc",
    "softmax",
    "spherical_bessel_j0",
    "xlog1py",
    "xlogy",
    "zeta",
]


def round(input: Any, decimals: int = 0) -> Any:  # noqa: A001, A002 - PyTorch's names
    """Round half to even, to `decimals` places: an int, as PyTorch's argument parser asks
    (a float or bool `decimals` raises TypeError, in `round`)."""
    return _pointwise.round(input, decimals)


def softmax(input: Any, dim: int, *, dtype: Any = None) -> Any:  # noqa: A002 - PyTorch's
    """softmax along `dim`, which torch.special's requires (nn.functional's may pick one)."""
    return _F.softmax(input, dim, dtype=dtype)


def log_softmax(input: Any, dim: int, *, dtype: Any = None) -> Any:  # noqa: A002
    """log_softmax along `dim`, which torch.special's requires."""
    return _F.log_softmax(input, dim, dtype=dtype)


# PyTorch's out= on each function named in _out.SPECIAL_RULES. Keep this last: it wraps the
# names as finally defined above
_out.install(globals(), rules=_out.SPECIAL_RULES)
