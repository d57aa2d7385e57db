"""Special functions, as PyTorch names them: lgamma, digamma, polygamma, erfinv, erfc, sinc,
logit, xlogy, xlog1py and entr. Each forward is vectorised NumPy or
CuPy code (series, recurrences and asymptotic expansions, no SciPy), computed in float64
and rounded to the input's float dtype; integer and bool input gives the default float.
Each backward is written with ops, so every order of derivative is available.

digamma, trigamma (polygamma(1)) and the Hurwitz zeta behind polygamma(n >= 2) follow
PyTorch's own algorithms step by step (its trigamma is accurate to about 1e-9 only), so the
values and the special cases agree with it; lgamma and erfinv are accurate to float64."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..autograd import Function
from ..backend import default_float, get_array_module
from ..errors import DtypeError
from ..tensor import Tensor
from . import cpu_kernels
from .elementwise import (
    cos,
    erf_array,
    exp,
    log,
    promote,
    promote_float,
    real_only,
    result_dtype,
    sin,
    to_float,
    where,
)
from .reduce import float16_widened, sum_to

_PI = math.pi
_SQRT_PI = math.sqrt(math.pi)
_SQRT2 = math.sqrt(2.0)
_SQRT_2PI = math.sqrt(2 * math.pi)
_MACHEP = 1.11022302462515654042e-16


def _tensor(x: Any, op: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(x).__name__}")
    return x


# ---------------------------------------------------------------------- array kernels
# All take and return float64 arrays; NumPy's warnings are silenced by the caller.


def _zeta_array(s: Any, q: Any) -> Any:
    """The Hurwitz zeta function sum_k (q + k)^-s, Cephes' `zeta` as PyTorch runs it: the
    direct sum until q + k > 9 (or converged), then Euler-Maclaurin with 12 Bernoulli terms.
    inf at s == 1 and at integer q <= 0; NaN for s < 1 and for q < 0 with s not integral."""
    xp = get_array_module(q)
    s, q = xp.broadcast_arrays(xp.asarray(s, dtype=np.float64), q)
    shape = q.shape
    s, q = s.ravel(), q.ravel()
    total = q**-s
    a, b = q.copy(), xp.zeros_like(q)
    done = xp.zeros(q.shape, dtype=bool)
    # the direct sum, one pass per term over the elements still summing. Poles (integer
    # q <= 0, q = -inf) and the NaN cases never enter: their values are set at the end. A
    # q far below 0 takes -q terms, as in PyTorch: those are first summed in blocks
    # (_far_left) up to q + k = -_FAR, in PyTorch's order.
    integer_q = q == xp.floor(q)
    undefined = ((q <= 0) & integer_q) | ((q <= 0) & (s != xp.floor(s))) | (s <= 1)
    live = xp.nonzero(~undefined & (q != -np.inf))[0]
    far = live[q[live] < -_FAR]
    if far.size:
        _far_left(s, total, a, b, done, far)
        live = live[~done[live]]
    i = 0
    while live.size:
        i += 1
        sl = s[live]
        a[live] += 1
        bl = a[live] ** -sl
        b[live] = bl
        tl = total[live] + bl
        total[live] = tl
        converged = (-_MACHEP * tl < bl) & (bl < _MACHEP * tl)
        done[live] = converged
        live = live[~converged & ((i < 9) | (a[live] <= 9.0))]
    w = a
    em = ~done
    total = xp.where(em, total + b * w / (s - 1) - 0.5 * b, total)
    acc, k = xp.ones_like(q), 0.0
    for c in _ZETA_A:
        acc = acc * (s + k)
        b = b / w
        t = acc * b / c
        total = xp.where(em, total + t, total)
        em &= ~(xp.abs(t / total) < _MACHEP)
        acc = acc * (s + k + 1)
        b = b / w
        k += 2.0
    total = xp.where((q <= 0) & ~integer_q & (s != xp.floor(s)), np.nan, total)
    total = xp.where((q <= 0) & integer_q, np.inf, total)
    total = xp.where(s < 1, np.nan, total)
    return xp.where(s == 1, np.inf, total).reshape(shape)


_FAR, _BLOCK = 64.0, 1 << 16


def _far_left(s: Any, total: Any, a: Any, b: Any, done: Any, far: Any) -> None:
    """The direct sum of _zeta_array for the elements `far` (q < -_FAR), in place: term by
    term in PyTorch's order (a cumulative sum continues the running total), a block of
    terms at a time, until q + k reaches -_FAR or the sum converges. Time grows with -q,
    as PyTorch's does, but at NumPy's speed per term instead of a pass per term."""
    xp = get_array_module(total)
    for j in far.tolist():
        sj, tot, aj = s[j], total[j], a[j]
        while not done[j] and aj < -_FAR:
            m = int(min(_BLOCK, max(1.0, math.floor(-_FAR - aj))))
            ks = aj + xp.arange(1, m + 1, dtype=np.float64)
            bs = ks**-sj
            seq = xp.cumsum(xp.concatenate([xp.asarray([tot]), bs]))[1:]
            converged = xp.nonzero((-_MACHEP * seq < bs) & (bs < _MACHEP * seq))[0]
            last = int(converged[0]) if converged.size else m - 1
            tot, aj, b[j] = seq[last], ks[last], bs[last]
            done[j] = converged.size > 0
        total[j], a[j] = tot, aj


# (2k)! / B_2k, Cephes' table
_ZETA_A = (
    12.0,
    -720.0,
    30240.0,
    -1209600.0,
    47900160.0,
    -1.8924375803183791606e9,
    7.47242496e10,
    -2.950130727918164224e12,
    1.1646782814350067249e14,
    -4.5979787224074726105e15,
    1.8152105401943546773e17,
    -7.1661652561756670113e18,
)

_EULER = 0.57721566490153286061
# lgamma(2 + z) = (1 - gamma) z + sum_k>=2 (-1)^k (zeta(k) - 1) / k z^k, |z| <= 1/2:
# the terms fall as 4^-k, so 30 reach float64 rounding.
_K = np.arange(2.0, 31.0)
_LGAMMA2 = np.concatenate(
    [
        [0.0, 1.0 - _EULER],
        (-1.0) ** _K * _zeta_array(_K, 2.0) / _K,
    ]
)
# Stirling's series: B_2k / (2k (2k - 1)) x^(1 - 2k), k = 1..8
_STIRLING = (
    1 / 12,
    -1 / 360,
    1 / 1260,
    -1 / 1680,
    1 / 1188,
    -691 / 360360,
    1 / 156,
    -3617 / 122400,
)


def _lgamma2(xp: Any, z: Any) -> Any:
    """lgamma(2 + z) for |z| <= 1/2 by its Taylor series (Horner)."""
    acc = xp.zeros_like(z)
    for c in _LGAMMA2[:0:-1]:
        acc = (acc + c) * z
    return acc


def _lgamma_positive(xp: Any, x: Any) -> Any:
    """lgamma for x > 0: the Taylor series around 2 after one or two steps of
    lgamma(x) = lgamma(x + 1) - log(x) (exact near the zeros at 1 and 2), products of the
    recurrence up to 10, and Stirling's series beyond."""
    tiny = xp.where(x < 0.5, x, 0.25)
    small = _lgamma2(xp, tiny) - xp.log(tiny) - xp.log1p(tiny)
    near1 = xp.where((x >= 0.5) & (x < 1.5), x - 1, 0.0)
    one = _lgamma2(xp, near1) - xp.log1p(near1)
    mid = (x >= 1.5) & (x < 10)
    m = xp.where(mid, xp.floor(x - 1.5), 0.0)
    t = xp.where(mid, x - m, 2.0)  # in [1.5, 2.5); exact
    prod = xp.ones_like(x)
    for i in range(8):
        prod = prod * xp.where(i < m, t + i, 1.0)
    two = _lgamma2(xp, t - 2) + xp.log(prod)
    big = xp.where(x >= 10, x, 10.0)
    r, r2 = 1 / big, 1 / (big * big)
    series = xp.zeros_like(x)
    for c in _STIRLING[::-1]:
        series = series * r2 + c
    stirling = (big - 0.5) * xp.log(big) - big + 0.5 * math.log(2 * _PI) + series * r
    out = xp.where(x < 0.5, small, xp.where(x < 1.5, one, two))
    return xp.where(x >= 10, stirling, out)


def _lgamma_array(x: Any) -> Any:
    """log|Gamma(x)|: inf at 0, negative integers and +-inf; the reflection formula
    log(pi / |sin(pi x)|) - lgamma(1 - x) below 0."""
    xp = get_array_module(x)
    neg = x < 0
    z = xp.where(neg, 1 - x, x)
    pos = _lgamma_positive(xp, xp.where(xp.isfinite(z) & (z > 0), z, 1.0))
    r = x - xp.round(x)  # sin(pi r) = +-sin(pi x), without the rounding of pi * x
    refl = math.log(_PI) - xp.log(xp.abs(xp.sin(_PI * r))) - pos
    out = xp.where(neg, refl, pos)
    pole = ((x <= 0) & (x == xp.floor(x))) | xp.isinf(x)
    out = xp.where(pole, np.inf, out)
    return xp.where(xp.isnan(x), np.nan, out)


_PSI_10 = 2.25175258906672110764
_DIGAMMA_A = (
    8.33333333333333333333e-2,
    -2.10927960927960927961e-2,
    7.57575757575757575758e-3,
    -4.16666666666666666667e-3,
    3.96825396825396825397e-3,
    -8.33333333333333333333e-3,
    8.33333333333333333333e-2,
)


def _digamma_positive(xp: Any, x: Any) -> Any:
    result = xp.zeros_like(x)
    for _ in range(10):  # x > 0 reaches 10 in at most 10 steps
        low = x < 10
        result = result - xp.where(low, 1 / x, 0.0)
        x = xp.where(low, x + 1, x)
    z = 1 / (x * x)
    poly = xp.zeros_like(x)
    for c in _DIGAMMA_A:
        poly = poly * z + c
    y = xp.where(x < 1.0e17, z * poly, 0.0)
    return xp.where(x == 10, result + _PSI_10, result + xp.log(x) - 0.5 / x - y)


def _digamma_array(x: Any) -> Any:
    """PyTorch's calc_digamma: recurrence up to 10, asymptotic series, reflection below 0.
    -inf at +0, +inf at -0, NaN at negative integers and -inf."""
    xp = get_array_module(x)
    neg = x < 0
    pos = _digamma_positive(xp, xp.where(neg, 1 - x, xp.where(x == 0, 1.0, x)))
    r = xp.fmod(x, 1.0)  # tan(pi r) is more accurate than tan(pi x)
    out = xp.where(neg, pos - _PI / xp.tan(_PI * r), pos)
    out = xp.where(x == 0, xp.copysign(np.inf, -x), out)
    return xp.where(neg & (x == xp.trunc(x)), np.nan, out)


def _trigamma_array(x: Any, dtype: Any = np.float64) -> Any:
    """PyTorch's calc_trigamma: reflection below 1/2, six steps of the recurrence, a short
    asymptotic series (PyTorch's values, about 1e-9 relative; kept to agree with it)."""
    xp = get_array_module(x)
    low = x < 0.5
    sign = xp.where(low, -1.0, 1.0)
    # pi x formed in the input's dtype, as PyTorch's float kernel: poles are not exact
    sin_pi_x = xp.sin((np.dtype(dtype).type(_PI) * x.astype(dtype)).astype(np.float64))
    result = xp.where(low, -(_PI * _PI) / (sin_pi_x * sin_pi_x), 0.0)
    x = xp.where(low, 1 - x, x)
    for _ in range(6):
        result = result + 1 / (x * x)
        x = x + 1
    ixx = 1 / (x * x)
    result = result + (1 + 1 / (2 * x) + ixx * (1 / 6 - ixx * (1 / 30 - ixx * (1 / 42)))) / x
    return sign * result


def _polygamma_array(n: int, x: Any, dtype: Any = np.float64) -> Any:
    if n == 0:
        return _digamma_array(x)
    if n == 1:
        return _trigamma_array(x, dtype)
    factor = (1.0 if n % 2 else -1.0) * math.exp(math.lgamma(n + 1.0))
    return factor * _zeta_array(float(n + 1), x)


def _exp_neg_square(xp: Any, x: Any) -> Any:
    """exp(-x^2) without the rounding of x^2: x = hi + lo with hi's square exact."""
    hi = x.astype(np.float32).astype(np.float64)
    return xp.exp(-hi * hi) * xp.exp(-(x - hi) * (x + hi))


# erfc's continued fraction converges slowly near 1: the terms each range of c needs
# for float64 (checked against the Faddeeva erfcx PyTorch uses)
_CF_TIERS = ((1.1, 250), (1.45, 160), (1.85, 100), (2.8, 60), (np.inf, 30))


def _erfc_cf(xp: Any, c: Any) -> tuple[Any, Any]:
    """For c >= 1: (erfcx(c), erfc(c)) = (1, exp(-c^2)) / (sqrt(pi) f), f erfc's
    continued fraction c + (1/2) / (c + 1 / (c + (3/2) / (c + ...))), with as many terms
    as the range of c needs (_CF_TIERS); each tier runs on its own elements."""
    flat = xp.asarray(c, dtype=np.float64).ravel()
    f = flat.copy()
    low = -np.inf
    for high, terms in _CF_TIERS:
        idx = xp.nonzero((flat >= low) & (flat < high))[0]
        if idx.size:
            ci = flat[idx]
            fi = ci
            for k in range(terms, 0, -1):
                fi = ci + (k / 2) / fi
            f[idx] = fi
        low = high
    f = f.reshape(xp.shape(c))
    erfcx = 1 / (_SQRT_PI * f)
    return erfcx, erfcx * _exp_neg_square(xp, c)


def _erfc_array(x: Any) -> Any:
    """erfc with relative accuracy in the right tail: 1 - erf below 1, the continued
    fraction from 1, 2 - erfc(-x) below 0 (compiled: the C library's erfc)."""
    if cpu_kernels.handles(x):
        return cpu_kernels.erf(x, complement=True)
    xp = get_array_module(x)
    a = xp.minimum(xp.abs(x), 40.0)  # NaN stays NaN
    c = xp.where(a >= 1, a, 1.0)
    tail = _erfc_cf(xp, c)[1]
    mid = 1 - erf_array(a)
    pos = xp.where(a >= 1, tail, mid)
    return xp.where(x < 0, 2 - pos, pos)


def _erfcx_positive(x: Any) -> Any:
    """exp(x^2) erfc(x) for x >= 0."""
    xp = get_array_module(x)
    c = xp.where(x >= 1, x, 1.0)
    small = xp.where(x < 1, x, 0.0)
    return xp.where(x >= 1, _erfc_cf(xp, c)[0], xp.exp(small * small) * (1 - erf_array(small)))


def _giles(xp: Any, w: Any) -> Any:
    """Giles' single-precision erfinv(y) / y as a function of w = -log(1 - y^2)."""
    lo, hi = w - 2.5, xp.sqrt(w) - 3.0
    p_lo = xp.full_like(w, 2.81022636e-08)
    for c in (
        3.43273939e-07,
        -3.5233877e-06,
        -4.39150654e-06,
        0.00021858087,
        -0.00125372503,
        -0.00417768164,
        0.246640727,
        1.50140941,
    ):
        p_lo = c + p_lo * lo
    p_hi = xp.full_like(w, -0.000200214257)
    for c in (
        0.000100950558,
        0.00134934322,
        -0.00367342844,
        0.00573950773,
        -0.0076224613,
        0.00943887047,
        1.00167406,
        2.83297682,
    ):
        p_hi = c + p_hi * hi
    return xp.where(w < 5, p_lo, p_hi)


def _erfcinv_tail(xp: Any, q: Any) -> Any:
    """erfcinv(q) for 0 < q <= 1/2: Giles' start, then Newton steps on log(erfc(x)) -
    log(q) = log(erfcx(x)) - x^2 - log(q), nearly quadratic in x, so it converges from a
    rough start and keeps relative accuracy in q (erfinv near +-1)."""
    x = xp.maximum(_giles(xp, -xp.log(q * (2 - q))) * (1 - q), 0.4)
    log_q = xp.log(q)
    for _ in range(6):
        ex = _erfcx_positive(x)
        x = x + (xp.log(ex) - x * x - log_q) * (_SQRT_PI / 2) * ex
    return x


def _erfinv_center(xp: Any, y: Any) -> Any:
    """erfinv(y) for |y| <= 1/2: Giles' start, three Newton steps on erf(x) - y."""
    x = _giles(xp, -xp.log1p(-y * y)) * y
    for _ in range(3):
        x = x - (erf_array(x) - y) / ((2 / _SQRT_PI) * xp.exp(-x * x))
    return x


def _erfinv_array(y: Any) -> Any:
    """The inverse of erf on [-1, 1]: +-inf at +-1, NaN outside, +-0 kept."""
    xp = get_array_module(y)
    a = xp.abs(y)
    center = _erfinv_center(xp, xp.where(a <= 0.5, y, 0.0))
    q = xp.where((a > 0.5) & (a < 1), 1 - a, 0.5)  # exact: Sterbenz
    out = xp.where(a <= 0.5, center, xp.copysign(_erfcinv_tail(xp, q), y))
    out = xp.where(a == 1, xp.copysign(np.inf, y), out)
    out = xp.where((a > 1) | xp.isnan(y), np.nan, out)
    return xp.where(y == 0, y, out)


def _entr_array(x: Any) -> Any:
    xp = get_array_module(x)
    safe = xp.where(x > 0, x, 1.0)
    out = xp.where(x > 0, -safe * xp.log(safe), xp.where(x == 0, 0.0, -np.inf))
    return xp.where(xp.isnan(x), np.nan, out)


# ---------------------------------------------------------------------- round 9 kernels
_SQRT1_2 = math.sqrt(0.5)


def _chbevl(xp: Any, x: Any, coeffs: Any) -> Any:
    """Cephes' Clenshaw sum of a Chebyshev series, 0.5 (b0 - b2)."""
    b0, b1, b2 = xp.full_like(x, coeffs[0]), xp.zeros_like(x), xp.zeros_like(x)
    for c in coeffs[1:]:
        b2, b1 = b1, b0
        b0 = x * b1 - b2 + c
    return 0.5 * (b0 - b2)


def _polevl(xp: Any, x: Any, coeffs: Any) -> Any:
    acc = xp.full_like(x, coeffs[0])
    for c in coeffs[1:]:
        acc = acc * x + c
    return acc


# Cephes' Chebyshev coefficients (PyTorch's tables): exp(-x) I0(x) on [0, 8], exp(-x)
# sqrt(x) I0(x) on [8, inf) in 32/x - 2, and the same for I1 (divided by x on [0, 8])
_I0E_A = (
    -4.41534164647933937950e-18, 3.33079451882223809783e-17, -2.43127984654795469359e-16,
    1.71539128555513303061e-15, -1.16853328779934516808e-14, 7.67618549860493561688e-14,
    -4.85644678311192946090e-13, 2.95505266312963983461e-12, -1.72682629144155570723e-11,
    9.67580903537323691224e-11, -5.18979560163526290666e-10, 2.65982372468238665035e-9,
    -1.30002500998624804212e-8, 6.04699502254191894932e-8, -2.67079385394061173391e-7,
    1.11738753912010371815e-6, -4.41673835845875056359e-6, 1.64484480707288970893e-5,
    -5.75419501008210370398e-5, 1.88502885095841655729e-4, -5.76375574538582365885e-4,
    1.63947561694133579842e-3, -4.32430999505057594430e-3, 1.05464603945949983183e-2,
    -2.37374148058994688156e-2, 4.93052842396707084878e-2, -9.49010970480476444210e-2,
    1.71620901522208775349e-1, -3.04682672343198398683e-1, 6.76795274409476084995e-1,
)  # fmt: skip
_I0E_B = (
    -7.23318048787475395456e-18, -4.83050448594418207126e-18, 4.46562142029675999901e-17,
    3.46122286769746109310e-17, -2.82762398051658348494e-16, -3.42548561967721913462e-16,
    1.77256013305652638360e-15, 3.81168066935262242075e-15, -9.55484669882830764870e-15,
    -4.15056934728722208663e-14, 1.54008621752140982691e-14, 3.85277838274214270114e-13,
    7.18012445138366623367e-13, -1.79417853150680611778e-12, -1.32158118404477131188e-11,
    -3.14991652796324136454e-11, 1.18891471078464383424e-11, 4.94060238822496958910e-10,
    3.39623202570838634515e-9, 2.26666899049817806459e-8, 2.04891858946906374183e-7,
    2.89137052083475648297e-6, 6.88975834691682398426e-5, 3.36911647825569408990e-3,
    8.04490411014108831608e-1,
)  # fmt: skip
_I1E_A = (
    2.77791411276104639959e-18, -2.11142121435816608115e-17, 1.55363195773620046921e-16,
    -1.10559694773538630805e-15, 7.60068429473540693410e-15, -5.04218550472791168711e-14,
    3.22379336594557470981e-13, -1.98397439776494371520e-12, 1.17361862988909016308e-11,
    -6.66348972350202774223e-11, 3.62559028155211703701e-10, -1.88724975172282928790e-9,
    9.38153738649577178388e-9, -4.44505912879632808065e-8, 2.00329475355213526229e-7,
    -8.56872026469545474066e-7, 3.47025130813767847674e-6, -1.32731636560394358279e-5,
    4.78156510755005422638e-5, -1.61760815825896745588e-4, 5.12285956168575772895e-4,
    -1.51357245063125314899e-3, 4.15642294431288815669e-3, -1.05640848946261981558e-2,
    2.47264490306265168283e-2, -5.29459812080949914269e-2, 1.02643658689847095384e-1,
    -1.76416518357834055153e-1, 2.52587186443633654823e-1,
)  # fmt: skip
_I1E_B = (
    7.51729631084210481353e-18, 4.41434832307170791151e-18, -4.65030536848935832153e-17,
    -3.20952592199342395980e-17, 2.96262899764595013876e-16, 3.30820231092092828324e-16,
    -1.88035477551078244854e-15, -3.81440307243700780478e-15, 1.04202769841288027642e-14,
    4.27244001671195135429e-14, -2.10154184277266431302e-14, -4.08355111109219731823e-13,
    -7.19855177624590851209e-13, 2.03562854414708950722e-12, 1.41258074366137813316e-11,
    3.25260358301548823856e-11, -1.89749581235054123450e-11, -5.58974346219658380687e-10,
    -3.83538038596423702205e-9, -2.63146884688951950684e-8, -2.51223623787020892529e-7,
    -3.88256480887769039346e-6, -1.10588938762623716291e-4, -9.76109749136146840777e-3,
    7.78576235018280120474e-1,
)  # fmt: skip


def _bessel_i(x: Any, order: int, scaled: bool) -> Any:
    """Cephes' i0, i0e, i1, i1e as PyTorch runs them: with a = |x|, the series A in
    a/2 - 2 up to 8 and B in 32/a - 2 over sqrt(a) beyond, times exp(a) unless scaled
    (so i0(+-inf) is NaN, inf/inf, as in PyTorch). i1 and i1e are odd (x times the
    series up to 8); i1(-0.0) is +0."""
    xp = get_array_module(x)
    a = xp.abs(x)
    near = a <= 8
    sa = xp.where(near, a, 0.0)
    sb = xp.where(near, 16.0, a)  # NaN and inf stay
    coeffs = (_I0E_A, _I0E_B) if order == 0 else (_I1E_A, _I1E_B)
    low = _chbevl(xp, sa / 2 - 2, coeffs[0])
    if order == 1:
        low = low * sa
    high = _chbevl(xp, 32 / sb - 2, coeffs[1]) / xp.sqrt(sb)
    if not scaled:
        low, high = xp.exp(sa) * low, xp.exp(sb) * high
    out = xp.where(near, low, high)
    return xp.where(x < 0, -out, out) if order == 1 else out


_NDTRI_P0 = (
    -5.99633501014107895267e1, 9.80010754185999661536e1, -5.66762857469070293439e1,
    1.39312609387279679503e1, -1.23916583867381258016e0,
)  # fmt: skip
_NDTRI_Q0 = (
    1.0, 1.95448858338141759834e0, 4.67627912898881538453e0, 8.63602421390890590575e1,
    -2.25462687854119370527e2, 2.00260212380060660359e2, -8.20372256168333339912e1,
    1.59056225126211695515e1, -1.18331621121330003142e0,
)  # fmt: skip
_NDTRI_P1 = (
    4.05544892305962419923e0, 3.15251094599893866154e1, 5.71628192246421288162e1,
    4.40805073893200834700e1, 1.46849561928858024014e1, 2.18663306850790267539e0,
    -1.40256079171354495875e-1, -3.50424626827848203418e-2, -8.57456785154685413611e-4,
)  # fmt: skip
_NDTRI_Q1 = (
    1.0, 1.57799883256466749731e1, 4.53907635128879210584e1, 4.13172038254672030440e1,
    1.50425385692907503408e1, 2.50464946208309415979e0, -1.42182922854787788574e-1,
    -3.80806407691578277194e-2, -9.33259480895457427372e-4,
)  # fmt: skip
_NDTRI_P2 = (
    3.23774891776946035970e0, 6.91522889068984211695e0, 3.93881025292474443415e0,
    1.33303460815807542389e0, 2.01485389549179081538e-1, 1.23716634817820021358e-2,
    3.01581553508235416007e-4, 2.65806974686737550832e-6, 6.23974539184983293730e-9,
)  # fmt: skip
_NDTRI_Q2 = (
    1.0, 6.02427039364742014255e0, 3.67983563856160859403e0, 1.37702099489081330271e0,
    2.16236993594496635890e-1, 1.34204006088543189037e-2, 3.28014464682127739104e-4,
    2.89247864745380683936e-6, 6.79019408009981274425e-9,
)  # fmt: skip
_EXP_M2 = 0.13533528323661269189  # exp(-2)


def _ndtri_array(y0: Any) -> Any:
    """Cephes' ndtri, the inverse of ndtr, as PyTorch runs it: a rational function of
    y - 1/2 in the middle, of 1/sqrt(-2 log y) in the tails (y or 1 - y below exp(-2)).
    -inf at 0 (also -0.0), inf at 1, NaN outside [0, 1]."""
    xp = get_array_module(y0)
    upper = y0 > 1 - _EXP_M2
    y = xp.where(upper, 1 - y0, y0)
    mid = y > _EXP_M2
    ym = xp.where(mid, y - 0.5, 0.0)
    y2 = ym * ym
    center = (ym + ym * (y2 * _polevl(xp, y2, _NDTRI_P0) / _polevl(xp, y2, _NDTRI_Q0))) * (
        _SQRT_2PI
    )
    yt = xp.where(mid | ~(y > 0), _EXP_M2, y)
    x = xp.sqrt(-2.0 * xp.log(yt))
    x0 = x - xp.log(x) / x
    z = 1 / x
    x1 = xp.where(
        x < 8,
        z * _polevl(xp, z, _NDTRI_P1) / _polevl(xp, z, _NDTRI_Q1),
        z * _polevl(xp, z, _NDTRI_P2) / _polevl(xp, z, _NDTRI_Q2),
    )
    tail = xp.where(upper, x0 - x1, x1 - x0)
    out = xp.where(mid, center, tail)
    out = xp.where(y0 == 0, -np.inf, xp.where(y0 == 1, np.inf, out))
    return xp.where((y0 < 0) | (y0 > 1) | xp.isnan(y0), np.nan, out)


def _ndtr_array(x: Any) -> Any:
    """The standard normal CDF, erfc(-x / sqrt(2)) / 2, with relative accuracy in the left
    tail (PyTorch's (1 + erf(x / sqrt(2))) / 2 underflows to 0 below about -8.3)."""
    return 0.5 * _erfc_array(-x * _SQRT1_2)


def _erfcx_array(x: Any) -> Any:
    """exp(x^2) erfc(x), accurate for large x (about 1 / (sqrt(pi) x)): the continued
    fraction from 2, exp(x^2) (1 - erf(x)) below, 2 exp(x^2) - erfcx(-x) below 0 (inf
    below about -26.6). NaN stays NaN; erfcx(inf) = 0."""
    xp = get_array_module(x)
    a = xp.abs(x)
    pos = _erfcx_positive(xp.where(xp.isnan(a), 0.0, xp.minimum(a, 1e300)))
    pos = xp.where(a == np.inf, 0.0, pos)
    neg = 2 / _exp_neg_square(xp, xp.where(a < 27, a, 27.0)) - pos
    out = xp.where(x < 0, xp.where(a < 27, neg, np.inf), pos)
    return xp.where(xp.isnan(x), x, out)


def _log_ndtr_array(x: Any) -> Any:
    """log(ndtr(x)), accurate in both tails: log(erfcx(-x / sqrt(2)) / 2) - x^2 / 2 below
    -1 (so it is about -x^2/2 far left, not -inf), log1p(-erfc(x / sqrt(2)) / 2) above."""
    xp = get_array_module(x)
    left = x < -1
    t = xp.where(left, x, -1.0) * _SQRT1_2
    lo = xp.log(_erfcx_array(-t) / 2) - xp.where(left, x, -1.0) ** 2 * 0.5
    lo = xp.where(x == -np.inf, -np.inf, lo)
    hi_side = xp.log1p(-_erfc_array(xp.where(left, 0.0, x) * _SQRT1_2) / 2)
    return xp.where(left, lo, hi_side)


# ---- the regularized incomplete gamma functions, PyTorch's (SciPy's) algorithm
_LANCZOS_G = 6.024680040776729583740234375
_LANCZOS_NUM = (
    0.006061842346248906525783753964555936883222, 0.5098416655656676188125178644804694509993,
    19.51992788247617482847860966235652136208, 449.9445569063168119446858607650988409623,
    6955.999602515376140356310115515198987526, 75999.29304014542649875303443598909137092,
    601859.6171681098786670226533699352302507, 3481712.15498064590882071018964774556468,
    14605578.08768506808414169982791359218571, 43338889.32467613834773723740590533316085,
    86363131.28813859145546927288977868422342, 103794043.1163445451906271053616070238554,
    56906521.91347156388090791033559122686859,
)  # fmt: skip
_LANCZOS_DEN = (
    1.0, 66.0, 1925.0, 32670.0, 357423.0, 2637558.0, 13339535.0, 45995730.0, 105258076.0,
    150917976.0, 120543840.0, 39916800.0, 0.0,
)  # fmt: skip
_MAXLOG = 7.09782712893383996843e2
_IGAM_MAXITER = 2000
_BIG, _BIGINV = 4.503599627370496e15, 2.22044604925031308085e-16
# PyTorch's 2 pi in the asymptotic series is formed from a float32 pi (c10::pi<float>)
_TWO_PI_F32 = 2 * float(np.float32(_PI))
# DLMF 8.12 (Temme) coefficients d[k][n], 25 x 25, PyTorch's and SciPy's table
_IGAM_D = np.array(
    """
-0.3333333333333333 0.08333333333333333 -0.014814814814814815 0.0011574074074074073
0.0003527336860670194 -0.0001787551440329218 3.919263178522438e-05 -2.1854485106799924e-06
-1.85406221071516e-06 8.296711340953087e-07 -1.7665952736826078e-07 6.707853543401498e-09
1.0261809784240309e-08 -4.382036018453353e-09 9.14769958223679e-10 -2.551419399494625e-11
-5.830772132550426e-11 2.4361948020667415e-11 -5.0276692801141755e-12
1.1004392031956135e-13 3.3717632624009856e-13 -1.392388722418162e-13 2.8534893807047445e-14
-5.139111834242572e-16 -1.9752288294349442e-15 -0.001851851851851852 -0.003472222222222222
0.0026455026455026454 -0.0009902263374485596 0.00020576131687242798 -4.018775720164609e-07
-1.8098550334489977e-05 7.64916091608111e-06 -1.6120900894563446e-06 4.647127802807434e-09
1.378633446915721e-07 -5.752545603517705e-08 1.1951628599778148e-08 -1.7543241719747647e-11
-1.0091543710600413e-09 4.162792991842583e-10 -8.56390702649298e-11 6.067215101604758e-14
7.1624989648114856e-12 -2.933186643771437e-12 5.996696365683689e-13 -2.1671786527323313e-16
-4.978339972369262e-14 2.0291628823713425e-14 -4.13125571381061e-15 0.004133597883597883
-0.0026813271604938273 0.0007716049382716049 2.0093878600823047e-06 -0.00010736653226365161
5.2923448829120125e-05 -1.2760635188618728e-05 3.423578734096138e-08 1.3721957309062932e-06
-6.298992138380055e-07 1.4280614206064242e-07 -2.0477098421990866e-10
-1.409252991086752e-08 6.228974084922022e-09 -1.3670488396617112e-09 9.428356159014678e-13
1.2872252400089318e-10 -5.5645956134363323e-11 1.197593554636698e-11
-4.1689782251838634e-15 -1.0940640427884595e-12 4.662239946390136e-13
-9.905105763906907e-14 1.8931876768373515e-17 8.859221872591127e-15 0.0006494341563786008
0.00022947209362139917 -0.0004691894943952557 0.00026772063206283885 -7.561801671883977e-05
-2.396505113867297e-07 1.1082654115347302e-05 -5.6749528269915965e-06
1.4230900732435883e-06 -2.7861080291528143e-11 -1.6958404091930278e-07
8.099464905388083e-08 -1.9111168485973655e-08 2.3928620439808118e-12 2.0620131815488797e-09
-9.460496661855133e-10 2.1541049775774907e-10 -1.388823336813903e-14
-2.1894761681963938e-11 9.790998951171684e-12 -2.178219188018096e-12 6.208819573407901e-17
2.126978363279737e-13 -9.344688791517433e-14 2.045367122678285e-14 -0.0008618882909167117
0.0007840392217200666 -0.0002990724803031902 -1.4638452578843418e-06 6.641498215465122e-05
-3.968365047179435e-05 1.1375726970678419e-05 2.507497226237533e-10 -1.6954149536558305e-06
8.907507532205309e-07 -2.292934834000805e-07 2.956794137544049e-11 2.8865829742708783e-08
-1.4189739437803219e-08 3.4463580499464896e-09 -2.3024517174528067e-13
-3.9409233028046403e-10 1.86023389685045e-10 -4.356323005056618e-11 1.278600101629623e-15
4.67927502665792e-12 -2.149246470613483e-12 4.908815614809652e-13 -6.33859148489156e-18
-5.045332069080094e-14 -0.00033679855336635813 -6.972813758365858e-05 0.0002772753244959392
-0.00019932570516188847 6.797780477937208e-05 1.419062920643967e-07 -1.3594048189768693e-05
8.018470256334202e-06 -2.291481176508095e-06 -3.252473551298454e-10 3.4652846491085265e-07
-1.8447187191171344e-07 4.8240967037894184e-08 -1.7989466721743514e-14
-6.306194500013523e-09 3.162417628774568e-09 -7.840924253697429e-10 5.192679165254041e-15
9.358944242306784e-11 -4.513426216163278e-11 1.0799129993116828e-11 -3.661886712685252e-17
-1.210902069055155e-12 5.680743584990564e-13 -1.3249659916340829e-13 0.0005313079364639922
-0.0005921664373536939 0.0002708782096718045 7.902353232660328e-07 -8.153969367561969e-05
5.61168275310625e-05 -1.8329116582843375e-05 -3.0796134506033047e-09 3.465155368803609e-06
-2.0291327396058603e-06 5.788792863149004e-07 2.338630673826657e-13 -8.828600746330484e-08
4.7435958880408125e-08 -1.2545415020710382e-08 8.649648858010293e-14 1.6846058979264062e-09
-8.575492823577594e-10 2.1598224929232125e-10 -7.613230520476153e-16
-2.6639822008536144e-11 1.3065700536611057e-11 -3.1799163902367977e-12
4.710976121367431e-18 3.6902800842763465e-13 0.00034436760689237765 5.171790908260592e-05
-0.00033493161081142234 0.0002812695154763237 -0.00010976582244684731
-1.2741009095484485e-07 2.7744451511563645e-05 -1.8263488805711332e-05
5.7876949497350525e-06 4.93875893393627e-10 -1.0595367014026043e-06 6.166714376110408e-07
-1.7562973359060463e-07 -1.297447328701544e-12 2.695423606288966e-08
-1.4578352908731272e-08 3.887645959386175e-09 -3.881002251019412e-17 -5.327994173877286e-10
2.7437977643314844e-10 -6.995796092070568e-11 2.589986387486848e-17 8.856689099669639e-12
-4.403168815871311e-12 1.0865561947091654e-12 -0.0006526239185953094 0.0008394987206720873
-0.000438297098541721 -6.969091458420552e-07 0.00016644846642067547 -0.00012783517679769218
4.629953263691304e-05 4.557909867922708e-09 -1.0595271125805195e-05 6.783342904865167e-06
-2.1075476666258803e-06 -1.7213731432817144e-11 3.773587741611098e-07
-2.1867506700122867e-07 6.220228804018927e-08 6.597703826733e-16 -9.590386497425686e-09
5.213214492280807e-09 -1.3991589583935709e-09 5.382058999060575e-16 1.9484714275467745e-10
-1.0127287556389682e-10 2.6077347197254926e-11 -5.090418699993299e-18
-3.3721464474854593e-12 -0.0005967612901927463 -7.204895416020011e-05 0.0006782308837667328
-0.0006401475260262758 0.00027750107634328704 1.819700838046515e-07 -8.479507117068503e-05
6.105192082501531e-05 -2.1073920183404862e-05 -8.858589014125599e-10 4.5284535953805374e-06
-2.8427815022504407e-06 8.708234177864641e-07 3.6886101871706966e-12 -1.534469519070206e-07
8.862466778790695e-08 -2.5184812301826817e-08 -1.0225912098215092e-14 3.896947075815478e-09
-2.1267304792235634e-09 5.737013552805138e-10 -1.887749850169741e-19 -8.093153869465787e-11
4.23827232834492e-11 -1.1002224534207727e-11 0.0013324454494800656 -0.0019144384985654776
0.0011089369134596636 9.9324041226423e-07 -0.0005087450129309319 0.00042735056665392886
-0.000168588537679108 -8.1301893922785e-09 4.5284402370562144e-05 -3.127053674781734e-05
1.044986828530338e-05 4.8435226265680926e-11 -2.148256587345626e-06 1.329369701097492e-06
-4.029569309210103e-07 -1.756787766632329e-13 7.014504316366825e-08 -4.040787734999483e-08
1.1474026743371962e-08 3.9642746853563326e-18 -1.7804938269892715e-09 9.748026254873165e-10
-2.6405338676507616e-10 5.794875163403742e-18 3.764774955354384e-11 0.001579727660730835
0.00016251626278391583 -0.0020633421035543276 0.00213896861856891 -0.0010108559391263003
-3.99127055299192e-07 0.0003623502508476469 -0.00028143901463712157 0.00010449513336495887
2.12114184918303e-09 -2.5779417251947842e-05 1.7281818956040464e-05 -5.641377387290428e-06
-1.1024320105776174e-11 1.1223224418895176e-06 -6.869339637952674e-07
2.0653236975414888e-07 4.6714772409838506e-14 -3.5609886164949055e-08
2.0470855345905963e-08 -5.809173863328336e-09 -1.332821287582869e-16 9.035460439133513e-10
-4.959878251733084e-10 1.3481607129399748e-10 -0.004072512119514016 0.00640336283380807
-0.004041016108167662 -2.183732802866233e-06 0.002174044180125464 -0.001970044051841889
0.0008359546974796246 1.9445447567109655e-08 -0.000257793871204217 0.00019009987368139304
-6.769649993743896e-05 -1.4440629666426571e-10 1.5712512518742267e-05
-1.0304008744776892e-05 3.304517767401387e-06 7.982976024232571e-13 -6.4097794149313e-07
3.8894624761300054e-07 -1.161834764494887e-07 -2.816808630596451e-15 1.9878012911297094e-08
-1.1407719956357511e-08 3.2355857064185554e-09 4.175946829345594e-20 -5.042311271810582e-10
-0.0059475779383993 -0.0005401647678926045 0.00879104135507679 -0.009857631558785612
0.005013469503102154 1.2807521786221875e-06 -0.0020626019342754685 0.0017109128573523059
-0.000676953127141338 -6.901154567656214e-09 0.00018855128143995903 -0.0001339521566349197
4.626318303352804e-05 4.003423061332135e-11 -1.0255652921494033e-05 6.612086372797651e-06
-2.0913022027253007e-06 -2.0951775649603836e-13 3.975602904199325e-07
-2.395621197881589e-07 7.118288338214586e-08 8.925574873053455e-16 -1.2101547235064675e-08
6.935061824833439e-09 -1.96614644538561e-09 0.01740202778752271 -0.029527880945699123
0.020045875571402798 7.0289515966903405e-06 -0.012375421071343148 0.011976293444235253
-0.0054156038466518525 -6.329089339641862e-08 0.0018855118129005065 -0.001473473274825001
0.0005551581009770838 5.240683441255066e-10 -0.00014357913535784837 9.91812932249433e-05
-3.346083474947831e-05 -3.575583729109899e-12 7.1560851960630075e-06 -4.551680262815553e-06
1.4236576649271474e-06 1.8803149082089665e-14 -2.662340389892921e-07 1.5950642189595716e-07
-4.71875146738411e-08 -6.510787295875518e-17 7.979509102674624e-09 0.03024912416090589
0.0024817436002649977 -0.049939134373457025 0.05991564300930787 -0.03248320760162339
-5.721296865210344e-06 0.015085251778569354 -0.013261324005088445 0.0055515262632426145
3.026318225703001e-08 -0.0017229548406756724 0.0012893570099929638 -0.00046845138348319875
-1.830259937893045e-10 0.00011449739014822654 -7.737856522124447e-05 2.5625836246985202e-05
1.0766165333192815e-12 -5.324680928242262e-06 3.349634863064464e-06 -1.0381253128684019e-06
-5.608909920621128e-15 1.9150821930676592e-07 -1.1418365800203487e-07
3.3654425209171787e-08 -0.09905102088015905 0.17954011706123485 -0.12989606383463778
-3.1478872752284355e-05 0.09051063527684813 -0.0928288244111844 0.04441211283987781
2.7779236316835886e-07 -0.017229543805449696 0.014182925050891573 -0.005621416163374734
-2.39598509186381e-09 0.0016029634366079909 -0.0011606784674435774 0.00041001337768153875
1.836580075409066e-11 -9.58442565636559e-05 6.364306233776471e-05 -2.076250624489065e-05
-1.1806020912804483e-13 4.213180823912065e-06 -2.626224133701247e-06 8.077062049493066e-07
6.012591212363273e-16 -1.472973737401884e-07 -0.19994542198219728 -0.015056113040026424
0.36470239469348487 -0.4643519231173355 0.26640934719197895 3.403826602714719e-05
-0.13784338709329624 0.1276467178337056 -0.056213828755200985 -1.753150885483011e-07
0.019235592956768112 -0.015088821281095314 0.005740185445135012 1.0622382710310225e-09
-0.0015335082692563998 0.0010819320643228215 -0.0003737251019394566 -6.617090972903199e-12
8.426361738090962e-05 -5.515070682748348e-05 1.776953644834807e-05 3.882792321020553e-14
-3.53513697488768e-06 2.186583213004527e-06 -6.68128494476256e-07 0.7243860850402943
-1.3918010932653375 1.0654143352413967 0.0001876173868950258 -0.827055011761527
0.8935243334782842 -0.44971003995291337 -1.6107401567546651e-06 0.1923559016527109
-0.1659770216004261 0.06888222268181433 1.3910091724608687e-08 -0.02146911561508663
0.016228980898865892 -0.005979601617258426 -1.1287469112826745e-10 0.0015167451119784856
-0.00104786342935539 0.0003553907288912642 8.170432211180152e-13 -7.77730134424524e-05
5.029141389700772e-05 -1.6035083867000518e-05 1.2469354315487606e-14 3.1369106244517616e-06
1.6668949727276812 0.1165462765994632 -3.3288393225018904 4.469232548286404
-2.6977693045875806 -0.0002600667859891061 1.5389017615694538 -1.4937962361134611
0.6888196463323315 1.3077482004552384e-06 -0.2576296332559629 0.21097676102125448
-0.08371440835921988 -7.792042888135476e-09 0.0242679230648336 -0.017813678334552312
0.006397033038890006 4.943080709048052e-11 -0.0015554602758465635 0.0010561196919903215
-0.000352771844604729 9.300233464502246e-14 7.528585502655717e-05 -4.818651556915635e-05
1.5227271505597605e-05 -6.618829886137293 13.397985455142589 -10.789350606845145
-0.0014352254537875018 9.23336945961898 -10.456552819547769 5.510552602903347
1.2024439690716742e-05 -2.5762961164755818 2.320744274538718 -1.0045728797216285
-1.0207833290021913e-07 0.3397509217116947 -0.2672051745075747 0.10235252851562705
8.432973048487163e-10 -0.027998284958442594 0.020066274144976814 -0.007055436891508624
1.9402238183698188e-12 0.0016562888105449611 -0.0011082898580743682 0.0003654545161310169
-5.129003202697179e-11 -7.634010369686903e-05 -17.112706061976095 -1.1208044642899115
37.131966511885445 -52.29827102534896 33.058589696624615 0.002479129897620022
-20.61089403411526 20.88672775145582 -10.045703956517752 -1.2238783449063012e-05
4.077013427422114 -3.473667358470195 1.4329352617312006 7.135991441187971e-08
-0.4479725715911561 0.3411266608064446 -0.12699786326594922 -2.895367726908153e-10
0.03312577627825986 -0.023274087021036102 0.008039999350364889 -1.177805216235265e-09
-0.001832162489107167 0.0012108282933588664 -0.0003947994124682252 73.89033153567425
-156.80141270402274 132.2177542759164 0.013692876877324546 -123.66496885920151
146.2068939106273 -80.36558772486535 -0.00011259851148881298 40.77013219617994
-38.21034001327303 17.19522294277362 9.351970795516835e-07 -6.271615990774704
5.116899907185264 -2.0319658112299095 -4.950721558276154e-09 0.596263972943326
-0.44220765337238094 0.16079998700166273 -2.4733786203223403e-08 -0.040307574759979765
0.02784905074709787 -0.009475185899205422 6.419922235909132e-06 0.002125018077469946
212.1683709838252 13.107863022633868 -496.9828593287175 731.215952669692 -482.1382172089085
-0.028817248692894887 326.167203029471 -343.8934028008712 171.95193870816232
0.00014038077378096157 -75.2594195897599 66.51969984520935 -28.447519748152462
-7.613702615875392e-07 9.540223710530437 -7.517530111331138 2.894399756887196
-4.66121949995382e-07 -0.8061514959879409 0.5848300657063102 -0.20845408972964957
0.00014765818959305816 0.05100043386375302 -0.03306625214188366 0.015109265210467774
-989.5964309832236 2192.555536090523 -1928.3586782723355 -0.15925738122215252
1956.9985945919857 -2407.2514765081555 1375.6149959336497 0.0012920735237496668
-752.5941715948055 731.7166874220871 -341.37023466220063 -9.985739026060805e-06
133.56313181291574 -112.76295161252794 46.31039609820446 -7.923738713361476e-06
-14.510726927018647 11.111771248100563 -4.169081794527089 0.0031008219800117806
1.1220095449981469 -0.7605237992614992 0.36262236505085255 0.2216867741940747
0.48683443692930506""".split(),
    dtype=np.float64,
).reshape(25, 25)


def _lanczos_sum_expg_scaled(xp: Any, a: Any) -> Any:
    """SciPy's ratevl of the Lanczos sum: a polynomial ratio in a, or in 1/a above 1."""
    big = xp.abs(a) > 1
    y = xp.where(big, 1 / a, a)
    num = xp.where(big, _polevl(xp, y, _LANCZOS_NUM[::-1]), _polevl(xp, y, _LANCZOS_NUM))
    den = xp.where(big, _polevl(xp, y, _LANCZOS_DEN[::-1]), _polevl(xp, y, _LANCZOS_DEN))
    return num / den


def _igam_fac(xp: Any, a: Any, x: Any) -> Any:
    """x^a exp(-x) / Gamma(a), by the Lanczos form where a and x are close."""
    far = xp.abs(a - x) > 0.4 * xp.abs(a)
    ax = a * xp.log(x) - x - _lgamma_array(a)
    direct = xp.where(ax < -_MAXLOG, 0.0, xp.exp(ax))
    fac = a + _LANCZOS_G - 0.5
    res = xp.sqrt(fac / math.e) / _lanczos_sum_expg_scaled(xp, a)
    small = res * xp.exp(a - x) * (x / fac) ** a
    numfac = (x - a - _LANCZOS_G + 0.5) / fac
    large = res * xp.exp(a * (xp.log1p(numfac) - numfac) + x * (0.5 - _LANCZOS_G) / fac)
    return xp.where(far, direct, xp.where((a < 200) & (x < 200), small, large))


def _igam_series(xp: Any, a: Any, x: Any) -> Any:
    """The lower function by DLMF 8.11.4, sum_k x^k / ((a + 1) ... (a + k))."""
    ax = _igam_fac(xp, a, x)
    r, c, ans = a.copy(), xp.ones_like(a), xp.ones_like(a)
    live = xp.nonzero(ax != 0)[0]
    for _ in range(_IGAM_MAXITER):
        if not live.size:
            break
        r[live] += 1
        c[live] *= x[live] / r[live]
        ans[live] += c[live]
        live = live[~(c[live] <= _MACHEP * ans[live])]
    return xp.where(ax == 0, 0.0, ans * ax / a)


def _igamc_series(xp: Any, a: Any, x: Any) -> Any:
    """The upper function by DLMF 8.7.3, for x <= 1.1."""
    fac, total = xp.ones_like(a), xp.zeros_like(a)
    live = xp.arange(a.size)
    for n in range(1, _IGAM_MAXITER):
        if not live.size:
            break
        fac[live] *= -x[live] / n
        term = fac[live] / (a[live] + n)
        total[live] += term
        live = live[~(xp.abs(term) <= _MACHEP * xp.abs(total[live]))]
    logx = xp.log(x)
    first = -xp.expm1(a * logx - _lgamma_array(1 + a))
    return first - xp.exp(a * logx - _lgamma_array(a)) * total


def _igamc_cf(xp: Any, a: Any, x: Any) -> Any:
    """The upper function by its continued fraction, DLMF 8.9.2, for x > 1.1, x >= a."""
    ax = _igam_fac(xp, a, x)
    y = 1 - a
    z = x + y + 1
    c = xp.zeros_like(a)
    pkm2, qkm2, pkm1, qkm1 = xp.ones_like(a), x.copy(), x + 1, z * x
    ans = pkm1 / qkm1
    live = xp.nonzero(ax != 0)[0]
    for _ in range(_IGAM_MAXITER):
        if not live.size:
            break
        c[live] += 1
        y[live] += 1
        z[live] += 2
        yc = y[live] * c[live]
        pk = pkm1[live] * z[live] - pkm2[live] * yc
        qk = qkm1[live] * z[live] - qkm2[live] * yc
        nz = qk != 0
        r = pk / xp.where(nz, qk, 1.0)
        t = xp.where(nz, xp.abs((ans[live] - r) / r), 1.0)
        ans[live] = xp.where(nz, r, ans[live])
        pkm2[live], pkm1[live], qkm2[live], qkm1[live] = pkm1[live], pk, qkm1[live], qk
        big = xp.abs(pk) > _BIG
        scale_ = xp.where(big, _BIGINV, 1.0)
        for arr in (pkm2, pkm1, qkm2, qkm1):
            arr[live] *= scale_
        live = live[~(t <= _MACHEP)]
    return xp.where(ax == 0, 0.0, ans * ax)


def _igam_asymptotic(xp: Any, a: Any, x: Any, lower: bool) -> Any:
    """The uniform asymptotic expansion (DLMF 8.12.3/8.12.4) for large a with x near a:
    erfc in eta sqrt(a/2) plus a series in eta and 1/a (Temme's coefficients)."""
    sgn = -1.0 if lower else 1.0
    sigma = (x - a) / a
    lam = x / a
    eta = xp.sqrt(-2 * (xp.log1p(sigma) - sigma))
    eta = xp.where(lam > 1, eta, xp.where(lam < 1, -eta, 0.0))
    res = 0.5 * _erfc_array(sgn * eta * xp.sqrt(a / 2))
    etapow = [xp.ones_like(a)]
    for _ in range(1, 25):
        etapow.append(etapow[-1] * eta)
    total, afac = xp.zeros_like(a), xp.ones_like(a)
    absold = xp.full_like(a, np.inf)
    active = xp.ones(a.shape, dtype=bool)
    for k in range(25):
        ck = xp.full_like(a, _IGAM_D[k, 0])
        summing = xp.ones(a.shape, dtype=bool)
        for n in range(1, 25):
            ckterm = _IGAM_D[k, n] * etapow[n]
            ck = xp.where(summing, ck + ckterm, ck)
            summing &= ~(xp.abs(ckterm) < _MACHEP * xp.abs(ck))
        term = ck * afac
        absterm = xp.abs(term)
        active &= ~(absterm > absold)
        total = xp.where(active, total + term, total)
        active &= ~(absterm < _MACHEP * xp.abs(total))
        absold, afac = absterm, afac / a
    return res + sgn * xp.exp(-0.5 * a * eta * eta) * total / xp.sqrt(_TWO_PI_F32 * a)


def _igamma_array(a: Any, x: Any, upper: bool) -> Any:
    """P(a, x) (Q(a, x) if upper), each element by PyTorch's choice of method: the
    asymptotic series for large a near x, the power series, 1 - the other function, the
    continued fraction or the upper series; SciPy's boundary values."""
    xp = get_array_module(x)
    a, x = xp.broadcast_arrays(a, x)
    shape = a.shape
    a, x = a.ravel(), x.ravel()
    out = xp.full(a.shape, np.nan)
    ok = (a > 0) & (x > 0) & xp.isfinite(a) & xp.isfinite(x)
    rel = xp.abs(x - a) / xp.where(ok, a, 1.0)
    asym = ok & (((a > 20) & (a < 200) & (rel < 0.3)) | ((a > 200) & (rel < 4.5 / xp.sqrt(a))))
    rest = ok & ~asym
    # which kernel each remaining element takes, for the upper function Q
    q_cf = rest & (x > 1.1) & (x >= a)
    q_useries = rest & (x <= 1.1) & ~(x > 1.1)
    lo = x <= 0.5
    p_first = xp.where(lo, -0.4 / xp.log(xp.where(lo, x, 0.5)) < a, x * 1.1 < a)
    q_useries &= ~p_first
    if not upper:  # P: 1 - Q where x > 1 and x > a (Q by cf or the upper series)
        one_minus = rest & (x > 1) & (x > a)
        q_cf &= one_minus
        q_useries &= one_minus
        p_series = rest & ~one_minus
    else:
        p_series = rest & ~q_cf & ~q_useries

    def put(mask: Any, fn: Any, to_q: bool) -> None:
        idx = xp.nonzero(mask)[0]
        if idx.size:
            v = fn(xp, a[idx], x[idx])
            # v is Q if to_q else P; store the requested function
            out[idx] = v if to_q == upper else 1 - v

    if asym.any():
        idx = xp.nonzero(asym)[0]
        out[idx] = _igam_asymptotic(xp, a[idx], x[idx], lower=not upper)
    put(p_series, _igam_series, False)
    put(q_cf, _igamc_cf, True)
    put(q_useries, _igamc_series, True)
    # SciPy's boundaries, in PyTorch's order (so a NaN loses to an earlier rule): x < 0
    # or a < 0, a == 0 (1 for x > 0), x == 0 (0), a == inf (0, NaN at x == inf), x == inf
    edge = xp.where(xp.isinf(x), 1.0, np.nan)
    edge = xp.where(xp.isinf(a), xp.where(xp.isinf(x), np.nan, 0.0), edge)
    edge = xp.where(x == 0, 0.0, edge)
    edge = xp.where(a == 0, xp.where(x > 0, 1.0, np.nan), edge)
    edge = xp.where((x < 0) | (a < 0), np.nan, edge)
    at_edge = (x < 0) | (a < 0) | (a == 0) | (x == 0) | xp.isinf(a) | xp.isinf(x)
    out = xp.where(at_edge, (1 - edge) if upper else edge, out)
    return out.reshape(shape)


# ---------------------------------------------------------------------- Functions
class Special(Function):
    """y = kernel(x), computed in float64 and rounded to x's dtype; the backward is a
    function of (gy, x, y) written with ops."""

    def __init__(self, name: str, kernel: Any, grad: Any, needs_x: bool, needs_y: bool) -> None:
        self.op_name, self.kernel, self.grad = name, kernel, grad
        self.uses_inputs, self.uses_outputs = needs_x, needs_y

    def forward(self, x):
        if self.op_name == "polygamma":
            y = self.kernel(x.astype(np.float64), x.dtype)
        else:
            y = self.kernel(x.astype(np.float64))
        return y.astype(x.dtype, copy=False)

    def backward(self, gy):
        x = self.inputs[0] if self.uses_inputs else None
        y = self.output() if self.uses_outputs else None
        return self.grad(gy, x, y)


def _special(name: str, x: Tensor, kernel: Any, grad: Any, nx: bool, ny: bool) -> Tensor:
    return Special(name, kernel, grad, nx, ny)(to_float(real_only(_tensor(x, name), name)))


def lgamma(x: Tensor) -> Tensor:
    """log|Gamma(x)|; inf at 0, negative integers and +-inf. d/dx = digamma(x)."""
    return _special("lgamma", x, _lgamma_array, lambda gy, x, y: gy * digamma(x), True, False)


def digamma(x: Tensor) -> Tensor:
    """d/dx lgamma(x); -inf at +0, +inf at -0, NaN at negative integers. d/dx =
    polygamma(1, x)."""
    return polygamma(0, x)


def polygamma(n: int, x: Tensor) -> Tensor:
    """The n-th derivative of digamma, n >= 0; d/dx = polygamma(n + 1, x)."""
    if isinstance(n, bool) or not isinstance(n, int | np.integer):
        raise TypeError(f"polygamma: n must be an int, got {type(n).__name__}")
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    n = int(n)
    name = "digamma" if n == 0 else "polygamma"
    return _special(
        name,
        x,
        lambda a, dt=np.float64: _polygamma_array(n, a, dt),
        lambda gy, x, y: gy * polygamma(n + 1, x),
        True,
        False,
    )


def erfinv(x: Tensor) -> Tensor:
    """The inverse of erf: +-inf at +-1, NaN outside [-1, 1]. d/dx = sqrt(pi)/2 exp(y^2)."""
    return _special(
        "erfinv", x, _erfinv_array, lambda gy, x, y: gy * (exp(y * y) * (_SQRT_PI / 2)), False, True
    )


def erfc(x: Tensor) -> Tensor:
    """1 - erf(x), accurate in the right tail. d/dx = -2/sqrt(pi) exp(-x^2)."""
    return _special(
        "erfc", x, _erfc_array, lambda gy, x, y: gy * (exp(-(x * x)) * (-2 / _SQRT_PI)), True, False
    )


def entr(x: Tensor) -> Tensor:
    """-x log(x) for x > 0, 0 at 0, -inf below. d/dx = -(1 + log(x))."""
    return _special("entr", x, _entr_array, lambda gy, x, y: gy * -(log(x) + 1), True, False)


class Sinc(Function):
    """sin(pi x) / (pi x), 1 at 0, computed in x's dtype as PyTorch's float kernel does
    (float16 is widened to float32 first, as PyTorch computes half in float, so sinc of an
    integer rounds to 0). The gradient is
    PyTorch's composition, (pi x cos(pi x) - sin(pi x)) / (x x pi), masked to 0 at x = 0,
    so its second derivative rounds as PyTorch's does."""

    op_name = "sinc"

    def forward(self, x):
        xp = get_array_module(x)
        wide = float16_widened(x)
        product = wide.dtype.type(_PI) * wide
        y = (xp.sin(product) / product).astype(x.dtype)
        return xp.where(x == 0, x.dtype.type(1), y)

    def backward(self, gy):
        (x,) = self.inputs
        px = x * _PI
        squared_pi = x * x * _PI
        out = gy * (px * cos(px) - sin(px)) / squared_pi
        return where(squared_pi._data == 0, 0.0, out)


def sinc(x: Tensor) -> Tensor:
    """The normalised sinc, sin(pi x) / (pi x), with sinc(0) = 1."""
    return Sinc()(to_float(_tensor(x, "sinc")))


class Logit(Function):
    """log(z / (1 - z)) with z = x clamped to [eps, 1 - eps] when eps is given. The
    gradient is 1 / (x (1 - x)) (inf at 0 and 1); outside [0, 1] NaN without eps, 0 outside
    [eps, 1 - eps] with it, as PyTorch's."""

    op_name = "logit"

    def __init__(self, eps: float | None) -> None:
        self.eps = eps

    def forward(self, x):
        xp = get_array_module(x)
        z = x
        if self.eps is not None:  # PyTorch's order, which matters for eps > 0.5: low first
            lo, hi = x.dtype.type(self.eps), x.dtype.type(1 - self.eps)
            z = xp.where(x < lo, lo, xp.where(x > hi, hi, x))
        ratio = z / (1 - z)
        return xp.log(ratio.astype(np.float64)).astype(x.dtype)

    def backward(self, gy):
        (x,) = self.inputs
        gx = gy / (x * (1 - x) + 0.0)  # (+ 0.0: +inf at x = -0.0, as PyTorch's dy * inf)
        if self.eps is None:
            outside = (x._data < 0) | (x._data > 1)
            return where(outside, np.nan, gx) if bool(outside.any()) else gx
        outside = (x._data < self.eps) | (x._data > 1 - self.eps)
        return where(outside, 0.0, gx) if bool(outside.any()) else gx


def logit(x: Tensor, eps: float | None = None) -> Tensor:
    """The inverse of sigmoid; with eps, x is first clamped to [eps, 1 - eps] (a negative
    eps is no eps, as in PyTorch)."""
    eps = None if eps is None or float(eps) < 0 else float(eps)
    return Logit(eps)(to_float(real_only(_tensor(x, "logit"), "logit")))


class XLogY(Function):
    """x log(y) (log1p(y) for xlog1py): 0 where x == 0, NaN where y is NaN. Gradients as
    PyTorch's: d/dx = log(y) except 0 where x == 0 and y <= 0 (y <= -1), d/dy = x / y
    (x / (1 + y))."""

    def __init__(self, log1p: bool) -> None:
        self.log1p = log1p
        self.op_name = "xlog1py" if log1p else "xlogy"

    def forward(self, x, y):
        xp = get_array_module(x)
        y64 = y.astype(np.float64)
        logy = (xp.log1p(y64) if self.log1p else xp.log(y64)).astype(x.dtype)
        out = x * logy
        out = xp.where(x == 0, x.dtype.type(0), out)
        return xp.where(xp.isnan(y), x.dtype.type(np.nan), out)

    def backward(self, g):
        x, y = self.inputs
        nx, ny = self.needs_input_grad
        gx = gy = None
        if nx:
            gx = XLogY(self.log1p)(g, y)
            edge = (x._data == 0) & (y._data <= (-1 if self.log1p else 0))
            if bool(edge.any()):
                gx = where(edge, 0.0, gx)
            gx = sum_to(gx, x.shape)
        if ny:
            gy = sum_to(g * x / ((y + 1) if self.log1p else y), y.shape)
        return gx, gy


def _xlogy(x: Any, y: Any, log1p: bool, op: str) -> Tensor:
    if not isinstance(x, Tensor) and not isinstance(y, Tensor):
        raise TypeError(f"{op}: expected at least one Tensor operand")
    a, b = promote_float(x, y)
    return XLogY(log1p)(real_only(a, op), b)


def xlogy(input: Any, other: Any) -> Tensor:  # noqa: A002 - PyTorch's name
    """input * log(other), 0 where input == 0 (unless other is NaN)."""
    return _xlogy(input, other, False, "xlogy")


def xlog1py(input: Any, other: Any) -> Tensor:  # noqa: A002 - PyTorch's name
    """input * log1p(other), 0 where input == 0 (unless other is NaN)."""
    return _xlogy(input, other, True, "xlog1py")


# ---------------------------------------------------------------------- round 9 functions
def _float_operand(x: Any, name: str, half: bool = True) -> Tensor:
    """x as a float tensor (integers and bool give the default float); float16 raises PyTorch's
    error where its CPU kernel has no Half version."""
    x = to_float(real_only(_tensor(x, name), name))
    if x.dtype == np.float16 and not half:
        raise NotImplementedError(f"\"{name}_cpu\" not implemented for 'Half'")
    return x


def _unary(name: str, x: Any, kernel: Any, grad: Any, nx: bool, ny: bool, half: bool) -> Tensor:
    return Special(name, kernel, grad, nx, ny)(_float_operand(x, name, half))


def ndtr(x: Tensor) -> Tensor:
    """The standard normal CDF, (1 + erf(x / sqrt(2))) / 2, computed as erfc(-x / sqrt(2))
    / 2 so the left tail keeps its relative accuracy. d/dx = exp(-x^2 / 2) / sqrt(2 pi)."""
    return _unary(
        "ndtr",
        x,
        _ndtr_array,
        lambda gy, x, y: gy * (exp(x * x * -0.5) * (1 / _SQRT_2PI)),
        True,
        False,
        True,
    )


def log_ndtr(x: Tensor) -> Tensor:
    """log(ndtr(x)), accurate in both tails. d/dx = exp(-(y + x^2 / 2)) / sqrt(2 pi), y
    the result (PyTorch's formula)."""
    return _unary(
        "log_ndtr",
        x,
        _log_ndtr_array,
        lambda gy, x, y: gy * (1 / _SQRT_2PI) * exp(-(y + x * x / 2)),
        True,
        True,
        False,
    )


def ndtri(x: Tensor) -> Tensor:
    """The inverse of ndtr on [0, 1] (Cephes): -inf at 0, inf at 1, NaN outside.
    d/dx = sqrt(2 pi) exp(y^2 / 2)."""
    return _unary(
        "ndtri",
        x,
        _ndtri_array,
        lambda gy, x, y: gy * _SQRT_2PI * exp(y * y / 2),
        False,
        True,
        False,
    )


def erfcx(x: Tensor) -> Tensor:
    """The scaled complementary error function exp(x^2) erfc(x), accurate for large x
    (about 1 / (sqrt(pi) x)); inf below about -26.6. d/dx = 2 x y - 2 / sqrt(pi)."""
    return _unary(
        "erfcx",
        x,
        _erfcx_array,
        lambda gy, x, y: (2.0 * x * y - 2.0 / _SQRT_PI) * gy,
        True,
        True,
        False,
    )


def _sgn(x: Tensor) -> Tensor:
    return Tensor._make(get_array_module(x._data).sign(x._data), False)


def _tiny_safe(x: Tensor) -> tuple[Any, Tensor]:
    """PyTorch's guard in the i1/i1e backward: |x| <= eps is replaced by eps."""
    eps = float(np.finfo(x.dtype).eps)
    tiny = ~(get_array_module(x._data).abs(x._data) > eps)
    return tiny, where(tiny, eps, x)


def i0(x: Tensor) -> Tensor:
    """The modified Bessel function of the first kind of order 0, I0(x) = sum_k
    (x/2)^(2k) / (k!)^2 (Cephes' Chebyshev expansions). d/dx = i1(x)."""
    return _unary(
        "i0", x, lambda a: _bessel_i(a, 0, False), lambda gy, x, y: gy * i1(x), True, False, True
    )


def i0e(x: Tensor) -> Tensor:
    """exp(-|x|) I0(x). d/dx = i1e(x) - sgn(x) y."""
    return _unary(
        "i0e",
        x,
        lambda a: _bessel_i(a, 0, True),
        lambda gy, x, y: gy * (i1e(x) - _sgn(x) * y),
        True,
        True,
        True,
    )


def _i1_grad(gy: Tensor, x: Tensor, y: Tensor) -> Tensor:
    tiny, safe = _tiny_safe(x)
    return gy * where(tiny, 0.5, i0(safe) - y / safe)


def _i1e_grad(gy: Tensor, x: Tensor, y: Tensor) -> Tensor:
    tiny, safe = _tiny_safe(x)
    return gy * where(tiny, 0.5, i0e(safe) - y * (_sgn(safe) + 1 / safe))


def i1(x: Tensor) -> Tensor:
    """The modified Bessel function of the first kind of order 1, I1(x) = sum_k
    (x/2)^(2k+1) / (k! (k+1)!). d/dx = i0(x) - y / x (1/2 for |x| <= eps, PyTorch's
    guard)."""
    return _unary("i1", x, lambda a: _bessel_i(a, 1, False), _i1_grad, True, True, True)


def i1e(x: Tensor) -> Tensor:
    """exp(-|x|) I1(x). d/dx = i0e(x) - y (sgn(x) + 1 / x) (1/2 for |x| <= eps)."""
    return _unary("i1e", x, lambda a: _bessel_i(a, 1, True), _i1e_grad, True, True, True)


class Special2(Function):
    """y = kernel(a, b) of two broadcast float operands, computed in float64. PyTorch
    differentiates these only in the second operand; asking for the first raises its
    NotImplementedError."""

    def __init__(self, name: str, kernel: Any, grad_b: Any, what: str) -> None:
        self.op_name, self.kernel, self.grad_b, self.what = name, kernel, grad_b, what

    def forward(self, a, b):
        y = self.kernel(a.astype(np.float64), b.astype(np.float64))
        return y.astype(a.dtype, copy=False)

    def backward(self, g):
        a, b = self.inputs
        if self.needs_input_grad[0]:
            raise NotImplementedError(f"the derivative for '{self.what}' is not implemented.")
        gb = sum_to(self.grad_b(g, a, b), b.shape) if self.needs_input_grad[1] else None
        return None, gb


def zeta(input: Any, other: Any) -> Tensor:  # noqa: A002 - PyTorch's name
    """The Hurwitz zeta function sum_k (other + k)^-input (Cephes; PyTorch's values): inf
    at input == 1, NaN for input < 1. Either operand may be a number. Differentiable in
    `other` only: d/dq zeta(x, q) = -x zeta(x + 1, q)."""
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError("zeta: expected at least one Tensor operand")
    dt = result_dtype(input, other)
    if dt == np.float16:
        raise NotImplementedError("\"zeta_cpu\" not implemented for 'Half'")
    a, b = promote_float(input, other)
    return Special2("zeta", _zeta_array, lambda g, x, q: g * -x * zeta(x + 1.0, q), "zeta")(a, b)


def _igamma(a: Any, x: Any, upper: bool) -> Tensor:
    name = "igammac" if upper else "igamma"
    _tensor(a, name), _tensor(x, name)
    dt = result_dtype(a, x)
    if dt.kind not in "f":
        from .search import torch_name

        raise NotImplementedError(f"\"{name}_cpu\" not implemented for '{torch_name(dt)}'")
    a, x = promote(a, x)
    sign = -1.0 if upper else 1.0

    def grad(g: Tensor, a: Tensor, x: Tensor) -> Tensor:
        return g * (sign * exp((a - 1) * log(x) - x - lgamma(a)))

    kernel = lambda p, q: _igamma_array(p, q, upper)  # noqa: E731
    return Special2(name, kernel, grad, f"{name}: input")(a, x)


def gammainc(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
    """The regularized lower incomplete gamma function P(a, x) = gamma(a, x) / Gamma(a)
    (torch.igamma; SciPy's algorithm). Differentiable in x only: d/dx = x^(a-1) e^-x /
    Gamma(a)."""
    return _igamma(input, other, False)


def gammaincc(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
    """The regularized upper incomplete gamma function Q(a, x) = 1 - P(a, x)
    (torch.igammac). Differentiable in x only: d/dx = -x^(a-1) e^-x / Gamma(a)."""
    return _igamma(input, other, True)


igamma, igammac = gammainc, gammaincc


def multigammaln(x: Tensor, p: int) -> Tensor:
    """The multivariate log-gamma function of dimension p (torch.mvlgamma):
    p (p - 1) / 4 log(pi) + sum_{j<p} lgamma(x - j / 2), composed of lgamma, so every
    derivative follows (d/dx = sum_j digamma(x - j / 2))."""
    if isinstance(p, bool) or not isinstance(p, int | np.integer):
        raise TypeError(f"multigammaln(): argument 'p' must be int, not {type(p).__name__}")
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    p = int(p)
    x = _tensor(x, "multigammaln")
    if x.dtype == np.bool_:
        raise DtypeError("multigammaln: the input tensor may not be a boolean tensor")
    x = to_float(x)
    xp = get_array_module(x._data)
    args = Tensor._make(((xp.arange(p, dtype=np.float64) - (p - 1)) / 2).astype(x.dtype), False)
    return lgamma(x.unsqueeze(-1) + args).sum(-1) + p * (p - 1) * math.log(_PI) / 4


mvlgamma = multigammaln


# ---------------------------------------------------------------------- round 10 kernels
# PyTorch's Bessel, Airy and orthogonal-polynomial forwards (ATen/native/Math.h): the
# Cephes rational approximations and Chebyshev series with its coefficient tables, and
# the three-term recurrences with its special cases. Each kernel runs in the dtype of
# its input array (float32 or float64) exactly as PyTorch's scalar code does, so the
# overflow thresholds (exp in float32) and the float32 rounding follow it.
_PIO4 = 0.785398163397448309615660845819875721
_3PIO4 = 2.356194490192344928846982537459627163
_SQ2OPI = 0.797884560802865355879892119868763737  # sqrt(2 / pi)
_TWOOPI = 0.636619772367581343075535053490057448  # 2 / pi

_J0_PP = (
    7.96936729297347051624e-04, 8.28352392107440799803e-02, 1.23953371646414299388e00,
    5.44725003058768775090e00, 8.74716500199817011941e00, 5.30324038235394892183e00,
    9.99999999999999997821e-01,
)  # fmt: skip
_J0_PQ = (
    9.24408810558863637013e-04, 8.56288474354474431428e-02, 1.25352743901058953537e00,
    5.47097740330417105182e00, 8.76190883237069594232e00, 5.30605288235394617618e00,
    1.00000000000000000218e00,
)  # fmt: skip
_J0_QP = (
    -1.13663838898469149931e-02, -1.28252718670509318512e00, -1.95539544257735972385e01,
    -9.32060152123768231369e01, -1.77681167980488050595e02, -1.47077505154951170175e02,
    -5.14105326766599330220e01, -6.05014350600728481186e00,
)  # fmt: skip
_J0_QQ = (
    6.43178256118178023184e01, 8.56430025976980587198e02, 3.88240183605401609683e03,
    7.24046774195652478189e03, 5.93072701187316984827e03, 2.06209331660327847417e03,
    2.42005740240291393179e02,
)  # fmt: skip
_J0_RP = (
    -4.79443220978201773821e09, 1.95617491946556577543e12, -2.49248344360967716204e14,
    9.70862251047306323952e15,
)  # fmt: skip
_J0_RQ = (
    4.99563147152651017219e02, 1.73785401676374683123e05, 4.84409658339962045305e07,
    1.11855537045356834862e10, 2.11277520115489217587e12, 3.10518229857422583814e14,
    3.18121955943204943306e16, 1.71086294081043136091e18,
)  # fmt: skip
_Y0_YP = (
    1.55924367855235737965e04, -1.46639295903971606143e07, 5.43526477051876500413e09,
    -9.82136065717911466409e11, 8.75906394395366999549e13, -3.46628303384729719441e15,
    4.42733268572569800351e16, -1.84950800436986690637e16,
)  # fmt: skip
_Y0_YQ = (
    1.04128353664259848412e03, 6.26107330137134956842e05, 2.68919633393814121987e08,
    8.64002487103935000337e10, 2.02979612750105546709e13, 3.17157752842975028269e15,
    2.50596256172653059228e17,
)  # fmt: skip
_J1_PP = (
    7.62125616208173112003e-04, 7.31397056940917570436e-02, 1.12719608129684925192e00,
    5.11207951146807644818e00, 8.42404590141772420927e00, 5.21451598682361504063e00,
    1.00000000000000000254e00,
)  # fmt: skip
_J1_PQ = (
    5.71323128072548699714e-04, 6.88455908754495404082e-02, 1.10514232634061696926e00,
    5.07386386128601488557e00, 8.39985554327604159757e00, 5.20982848682361821619e00,
    9.99999999999999997461e-01,
)  # fmt: skip
_J1_QP = (
    5.10862594750176621635e-02, 4.98213872951233449420e00, 7.58238284132545283818e01,
    3.66779609360150777800e02, 7.10856304998926107277e02, 5.97489612400613639965e02,
    2.11688757100572135698e02, 2.52070205858023719784e01,
)  # fmt: skip
_J1_QQ = (
    7.42373277035675149943e01, 1.05644886038262816351e03, 4.98641058337653607651e03,
    9.56231892404756170795e03, 7.99704160447350683650e03, 2.82619278517639096600e03,
    3.36093607810698293419e02,
)  # fmt: skip
_J1_RP = (
    -8.99971225705559398224e08, 4.52228297998194034323e11, -7.27494245221818276015e13,
    3.68295732863852883286e15,
)  # fmt: skip
_J1_RQ = (
    6.20836478118054335476e02, 2.56987256757748830383e05, 8.35146791431949253037e07,
    2.21511595479792499675e10, 4.74914122079991414898e12, 7.84369607876235854894e14,
    8.95222336184627338078e16, 5.32278620332680085395e18,
)  # fmt: skip
_Y1_YP = (
    1.26320474790178026440e09, -6.47355876379160291031e11, 1.14509511541823727583e14,
    -8.12770255501325109621e15, 2.02439475713594898196e17, -7.78877196265950026825e17,
)  # fmt: skip
_Y1_YQ = (
    5.94301592346128195359e02, 2.35564092943068577943e05, 7.34811944459721705660e07,
    1.87601316108706159478e10, 3.88231277496238566008e12, 6.20557727146953693363e14,
    6.87141087355300489866e16, 3.97270608116560655612e18,
)  # fmt: skip
_K0_A = (
    1.37446543561352307156e-16, 4.25981614279661018399e-14, 1.03496952576338420167e-11,
    1.90451637722020886025e-09, 2.53479107902614945675e-07, 2.28621210311945178607e-05,
    1.26461541144692592338e-03, 3.59799365153615016266e-02, 3.44289899924628486886e-01,
    -5.35327393233902768720e-01,
)  # fmt: skip
_K0_B = (
    5.30043377268626276149e-18, -1.64758043015242134646e-17, 5.21039150503902756861e-17,
    -1.67823109680541210385e-16, 5.51205597852431940784e-16, -1.84859337734377901440e-15,
    6.34007647740507060557e-15, -2.22751332699166985548e-14, 8.03289077536357521100e-14,
    -2.98009692317273043925e-13, 1.14034058820847496303e-12, -4.51459788337394416547e-12,
    1.85594911495471785253e-11, -7.95748924447710747776e-11, 3.57739728140030116597e-10,
    -1.69753450938905987466e-09, 8.57403401741422608519e-09, -4.66048989768794782956e-08,
    2.76681363944501510342e-07, -1.83175552271911948767e-06, 1.39498137188764993662e-05,
    -1.28495495816278026384e-04, 1.56988388573005337491e-03, -3.14481013119645005427e-02,
    2.44030308206595545468e00,
)  # fmt: skip
_K1_A = (
    -7.02386347938628759343e-18, -2.42744985051936593393e-15, -6.66690169419932900609e-13,
    -1.41148839263352776110e-10, -2.21338763073472585583e-08, -2.43340614156596823496e-06,
    -1.73028895751305206302e-04, -6.97572385963986435018e-03, -1.22611180822657148235e-01,
    -3.53155960776544875667e-01, 1.52530022733894777053e00,
)  # fmt: skip
_K1_B = (
    -5.75674448366501715755e-18, 1.79405087314755922667e-17, -5.68946255844285935196e-17,
    1.83809354436663880070e-16, -6.05704724837331885336e-16, 2.03870316562433424052e-15,
    -7.01983709041831346144e-15, 2.47715442448130437068e-14, -8.97670518232499435011e-14,
    3.34841966607842919884e-13, -1.28917396095102890680e-12, 5.13963967348173025100e-12,
    -2.12996783842756842877e-11, 9.21831518760500529508e-11, -4.19035475934189648750e-10,
    2.01504975519703286596e-09, -1.03457624656780970260e-08, 5.74108412545004946722e-08,
    -3.50196060308781257119e-07, 2.40648494783721712015e-06, -1.93619797416608296024e-05,
    1.95215518471351631108e-04, -2.85781685962277938680e-03, 1.03923736576817238437e-01,
    2.72062619048444266945e00,
)  # fmt: skip
_AIRY_AN = (
    3.46538101525629032477e-01, 1.20075952739645805542e01, 7.62796053615234516538e01,
    1.68089224934630576269e02, 1.59756391350164413639e02, 7.05360906840444183113e01,
    1.40264691163389668864e01, 9.99999999999999995305e-01,
)  # fmt: skip
_AIRY_AD = (
    5.67594532638770212846e-01, 1.47562562584847203173e01, 8.45138970141474626562e01,
    1.77318088145400459522e02, 1.64234692871529701831e02, 7.14778400825575695274e01,
    1.40959135607834029598e01, 1.00000000000000000470e00,
)  # fmt: skip
_AIRY_AFN = (
    -1.31696323418331795333e-01, -6.26456544431912369773e-01, -6.93158036036933542233e-01,
    -2.79779981545119124951e-01, -4.91900132609500318020e-02, -4.06265923594885404393e-03,
    -1.59276496239262096340e-04, -2.77649108155232920844e-06, -1.67787698489114633780e-08,
)  # fmt: skip
_AIRY_AFD = (
    1.33560420706553243746e01, 3.26825032795224613948e01, 2.67367040941499554804e01,
    9.18707402907259625840e00, 1.47529146771666414581e00, 1.15687173795188044134e-01,
    4.40291641615211203805e-03, 7.54720348287414296618e-05, 4.51850092970580378464e-07,
)  # fmt: skip
_AIRY_AGN = (
    1.97339932091685679179e-02, 3.91103029615688277255e-01, 1.06579897599595591108e00,
    9.39169229816650230044e-01, 3.51465656105547619242e-01, 6.33888919628925490927e-02,
    5.85804113048388458567e-03, 2.82851600836737019778e-04, 6.98793669997260967291e-06,
    8.11789239554389293311e-08, 3.41551784765923618484e-10,
)  # fmt: skip
_AIRY_AGD = (
    9.30892908077441974853e00, 1.98352928718312140417e01, 1.55646628932864612953e01,
    5.47686069422975497931e00, 9.54293611618961883998e-01, 8.64580826352392193095e-02,
    4.12656523824222607191e-03, 1.01259085116509135510e-04, 1.17166733214413521882e-06,
    4.91834570062930015649e-09,
)  # fmt: skip
_SQRT_1_PI = 5.64189583547756286948e-01  # 1 / sqrt(pi)


def _poly(xp: Any, x: Any, coeffs: Any) -> Any:
    """Horner's rule in x's dtype (the coefficients rounded to it, as PyTorch's T(c))."""
    acc = xp.full_like(x, coeffs[0])
    for c in coeffs[1:]:
        acc = acc * x + x.dtype.type(c)
    return acc


def _clenshaw(xp: Any, t: Any, coeffs: Any) -> Any:
    """PyTorch's Clenshaw loop, 0.5 (a - p), in t's dtype."""
    p, q, a = xp.zeros_like(t), xp.zeros_like(t), xp.full_like(t, coeffs[0])
    for c in coeffs[1:]:
        p, q = q, a
        a = t * q - p + t.dtype.type(c)
    return 0.5 * (a - p)


def _j_far(xp: Any, a: Any, order: int, y: bool) -> Any:
    """The Hankel asymptotic form of J0, J1, Y0, Y1 for a > 5 (Cephes' P/Q rationals)."""
    if order == 0:
        w, tabs, shift = 25.0 / (a * a), (_J0_PP, _J0_PQ, _J0_QP, _J0_QQ), _PIO4
    else:
        w, tabs, shift = 5.0 / a * (5.0 / a), (_J1_PP, _J1_PQ, _J1_QP, _J1_QQ), _3PIO4
    pp, pq, qp, qq = (_poly(xp, w, c) for c in tabs)
    s, c = xp.sin(a - shift), xp.cos(a - shift)
    if y:
        return (pp / pq * s + 5.0 / a * (qp / qq) * c) * _SQ2OPI / xp.sqrt(a)
    return (pp / pq * c - 5.0 / a * (qp / qq) * s) * _SQ2OPI / xp.sqrt(a)


def _bessel_j0_array(x: Any) -> Any:
    xp = get_array_module(x)
    a = xp.abs(x)
    z = a * a
    near = (z - 5.78318596294678452118e00) * (z - 3.04712623436620863991e01)
    near = near * _poly(xp, z, _J0_RP) / _poly(xp, z, _J0_RQ)
    near = xp.where(a < 0.00001, 1.0 - z / 4.0, near)
    return xp.where(a <= 5.0, near, _j_far(xp, a, 0, False))


def _bessel_j1_array(x: Any) -> Any:
    xp = get_array_module(x)
    a = xp.abs(x)
    z = x * x
    near = _poly(xp, z, _J1_RP) / _poly(xp, z, _J1_RQ) * x
    near = near * (z - 1.46819706421238932572e01) * (z - 4.92184563216946036703e01)
    far = _j_far(xp, a, 1, False)
    return xp.where(a <= 5.0, near, xp.where(x < 0, -far, far))


def _bessel_y0_array(x: Any) -> Any:
    xp = get_array_module(x)
    z = x * x
    near = _poly(xp, z, _Y0_YP) / _poly(xp, z, _Y0_YQ)
    near = near + _TWOOPI * xp.log(x) * _bessel_j0_array(x)
    near = xp.where(x == 0, -np.inf, xp.where(x < 0, np.nan, near))
    return xp.where(x <= 5.0, near, _j_far(xp, x, 0, True))


def _bessel_y1_array(x: Any) -> Any:
    xp = get_array_module(x)
    z = x * x
    near = x * (_poly(xp, z, _Y1_YP) / _poly(xp, z, _Y1_YQ))
    near = near + _TWOOPI * (_bessel_j1_array(x) * xp.log(x) - 1.0 / x)
    near = xp.where(x == 0, -np.inf, xp.where(x < 0, np.nan, near))
    return xp.where(x <= 5.0, near, _j_far(xp, x, 1, True))


def _mod_bessel_i_array(x: Any, order: int) -> Any:
    """modified_bessel_i0 / i1: PyTorch's own code (not torch.i0's): the Chebyshev series
    of exp(-|x|) I(|x|) times exp(|x|), so +-inf gives NaN (inf / inf)."""
    xp = get_array_module(x)
    a = xp.abs(x)
    tabs = (_I0E_A, _I0E_B) if order == 0 else (_I1E_A, _I1E_B)
    e = xp.exp(a)
    if order == 0:
        near = e * _clenshaw(xp, a / 2.0 - 2.0, tabs[0])
    else:
        near = _clenshaw(xp, a / 2.0 - 2.0, tabs[0]) * a * e
    far = e * _clenshaw(xp, 32.0 / a - 2.0, tabs[1]) / xp.sqrt(a)
    out = xp.where(a <= 8.0, near, far)
    return xp.where(x < 0, -out, out) if order == 1 else out


def _mod_bessel_k_array(x: Any, order: int, scaled: bool) -> Any:
    """modified_bessel_k0 / k1 and their exp(x)-scaled forms: inf at 0, NaN below."""
    xp = get_array_module(x)
    if order == 0 and not scaled:  # PyTorch's log(0.5 * x) here is in double precision
        lg = xp.log(0.5 * x.astype(np.float64))
        near = _clenshaw(xp, x * x - 2.0, _K0_A) - lg * _mod_bessel_i_array(x, 0)
        near = near.astype(x.dtype)
    elif order == 0:
        near = _clenshaw(xp, x * x - 2.0, _K0_A) - xp.log(0.5 * x) * _mod_bessel_i_array(x, 0)
    else:
        near = xp.log(0.5 * x) * _mod_bessel_i_array(x, 1) + _clenshaw(xp, x * x - 2.0, _K1_A) / x
    far = _clenshaw(xp, 8.0 / x - 2.0, _K0_B if order == 0 else _K1_B)
    if scaled:
        near, far = near * xp.exp(x), far / xp.sqrt(x)
    else:
        far = xp.exp(-x) * far / xp.sqrt(x)
    out = xp.where(x <= 2.0, near, far)
    return xp.where(x == 0, np.inf, xp.where(x < 0, np.nan, out))


def _spherical_j0_array(x: Any) -> Any:
    xp = get_array_module(x)
    z = x * x
    acc = xp.full_like(x, 1.0 / 6227020800.0)
    for c in (-1.0 / 39916800.0, 1.0 / 362880.0, -1.0 / 5040.0, 1.0 / 120.0, -1.0 / 6.0):
        acc = c + z * acc
    near = 1.0 + z * acc
    out = xp.where(xp.abs(x) < 0.5, near, xp.sin(x) / x)
    return xp.where(xp.isinf(x), 0.0, out)


def _airy_ai_array(x: Any) -> Any:
    """Cephes' airy as PyTorch keeps it: the asymptotic forms below -2.09 and from 2.09
    on, the Maclaurin series (to machine epsilon of x's dtype) between; NaN at +-inf, 0
    beyond 103.892."""
    xp = get_array_module(x)
    # x < -2.09: the oscillating asymptotic form
    s = xp.sqrt(-x)
    zeta_m = -2.0 * x * s / 3.0
    z = 1.0 / zeta_m
    zz = z * z
    afn, afd = _poly(xp, zz, _AIRY_AFN), _poly(xp, zz, _AIRY_AFD)
    agn, agd = _poly(xp, zz, _AIRY_AGN), _poly(xp, zz, _AIRY_AGD)
    t = zeta_m + 0.25 * _PI
    left = (
        _SQRT_1_PI / xp.sqrt(s) * (xp.sin(t) * (1.0 + zz * afn / afd) - xp.cos(t) * (z * agn / agd))
    )
    # x >= 2.09: the decaying asymptotic form
    zeta = 2.0 * x * xp.sqrt(x) / 3.0
    an, ad = _poly(xp, 1.0 / zeta, _AIRY_AN), _poly(xp, 1.0 / zeta, _AIRY_AD)
    right = _SQRT_1_PI * (an / ad) / (2.0 * xp.sqrt(xp.sqrt(x)) * xp.exp(zeta))
    # the series f - c g, per element until |m / f| <= eps
    mid = (x >= -2.09) & (x < 2.09) | xp.isnan(x)
    xm = xp.where(mid, x, 0.0)
    f, g, k = xp.ones_like(xm), xm.copy(), xp.ones_like(xm)
    m, n, z3 = xp.ones_like(xm), xm.copy(), xm * xm * xm
    eps = np.finfo(x.dtype).eps
    f, g, k, m, n, z3 = (v.reshape(-1) for v in (f, g, k, m, n, z3))
    live = xp.nonzero(mid.reshape(-1))[0]
    while live.size:
        kl, ml, nl, zl = k[live], m[live], n[live], z3[live]
        ml = ml * zl
        kl = kl + 1.0
        ml = ml / kl
        nl = nl * zl
        kl = kl + 1.0
        nl = nl / kl
        ml = ml / kl
        fl = f[live] + ml
        kl = kl + 1.0
        nl = nl / kl
        g[live] = g[live] + nl
        f[live], k[live], m[live], n[live] = fl, kl, ml, nl
        live = live[xp.abs(ml / fl) > eps]
    series = (0.355028053887817239260 * f - 0.258819403792806798405 * g).reshape(x.shape)
    out = xp.where(x < -2.09, left, xp.where(x >= 2.09, right, series))
    out = xp.where(x > 103.892, 0.0, out)
    return xp.where(xp.isinf(x), np.nan, out)


def _degree(n: Any) -> Any:
    """PyTorch's static_cast<int64_t>(n) of a float degree: truncated toward 0; NaN, +-inf
    and out-of-range values become INT64_MIN on x86, so they give 0 like any n < 0."""
    xp = get_array_module(n)
    ok = xp.isfinite(n) & (xp.abs(n) < 2.0**63)
    return xp.where(ok, xp.trunc(xp.where(ok, n, 0)), -1).astype(np.int64)


class _Cases:
    """The result built case by case in PyTorch's order: each `put` fills the elements
    that no earlier case took."""

    def __init__(self, xp: Any, x: Any, n: Any) -> None:
        self.xp, self.out = xp, xp.zeros_like(x)
        self.todo = n >= 0  # n < 0 gives 0

    def put(self, mask: Any, value: Any) -> None:
        m = self.todo & mask
        self.out = self.xp.where(m, value, self.out)
        self.todo = self.todo & ~m


def _recurrence(
    cases: _Cases, x: Any, n: Any, p: Any, q: Any, step: Any, k0: int, stop: int
) -> None:
    """Fill the remaining elements (all with n >= 2) by r = step(k, x, q, p), p, q = q, r
    for k = k0 .. n - stop (inclusive), PyTorch's loop; elements leave once q is NaN (their
    value stays NaN)."""
    xp = cases.xp
    idx = xp.nonzero(cases.todo.reshape(-1))[0]
    xs, ns = x.reshape(-1)[idx], n.reshape(-1)[idx]
    ps, qs = p.reshape(-1)[idx], q.reshape(-1)[idx]
    live = xp.arange(idx.size)
    k = k0
    while live.size:
        r = step(k, xs[live], qs[live], ps[live])
        ps[live], qs[live] = qs[live], r
        k += 1
        live = live[(k <= ns[live] - stop) & ~xp.isnan(r)]
    out = cases.out.reshape(-1).copy()
    out[idx] = qs
    cases.out = out.reshape(cases.out.shape)


def _fms(a: Any, b: Any, c: Any) -> Any:
    """a * b - c rounded once, as PyTorch's CPU kernels (built with FMA contraction)
    compute the recurrence steps: float32 through float64 (a * b exact there, so it does
    not overflow before the subtraction); float64 plainly."""
    if a.dtype == np.float32:
        return (a.astype(np.float64) * b - c).astype(np.float32)
    return a * b - c


def _even(n: Any) -> Any:
    return n % 2 == 0


def _chebyshev_array(x: Any, n: Any, kind: str, shifted: bool) -> Any:
    """Chebyshev polynomials T, U, V, W and their shifted forms (of 2x - 1) on [0, 1], as
    PyTorch evaluates them: the values at the interval's ends, the trigonometric closed
    form inside it for n above a threshold (6 for T and the shifted ones, 4 for shifted W,
    8 for U, V, W), else the recurrence y_{k+1} = 2 t y_k - y_{k-1}."""
    xp = get_array_module(x)
    nf = n.astype(x.dtype)
    c = _Cases(xp, x, n)
    t = x + x - 1.0 if shifted else x
    one, zero = x.dtype.type(1.0), x.dtype.type(0.0)
    odd_sign = xp.where(_even(n), one, -one)
    if shifted:
        hi, lo = x == 1.0, x == 0.0
    else:
        hi, lo = (xp.abs(x) == 1.0) & (x > 0), (xp.abs(x) == 1.0) & ~(x > 0)
    if kind == "t":
        c.put(hi, one), c.put(lo, odd_sign)
    elif kind == "u":
        c.put(hi, nf + 1.0), c.put(lo, odd_sign * (nf + 1.0))
    elif kind == "v":
        c.put(hi, one), c.put(lo, odd_sign * (nf + nf + 1.0))
    else:
        c.put(hi, nf + nf + 1.0), c.put(lo, odd_sign)
    limit = 6 if kind == "t" or shifted else 8
    if kind == "w" and shifted:
        limit = 4
    inside = (n > limit) & (xp.abs(t) < 1.0)
    th = xp.arccos(xp.where(inside, t, zero))
    if kind == "t":
        c.put(inside, xp.cos(nf * th))
    elif kind == "u":
        s = xp.sin(th)
        c.put(inside & (s != 0.0), xp.sin((nf + 1.0) * th) / s)
        c.put(inside, (nf + 1.0) * xp.cos((nf + 1.0) * th) / t)
    elif kind == "v":
        c.put(inside & (xp.sin(th / 2.0) != 1.0), xp.cos((nf + 0.5) * th) / xp.cos(th / 2.0))
        c.put(inside, odd_sign * (nf + nf + 1.0))
    else:
        c.put(inside & (xp.cos(th / 2.0) != 1.0), xp.sin((nf + 0.5) * th) / xp.sin(th / 2.0))
        if not shifted:
            c.put(inside & (x > 0), nf + nf + 1.0)
        c.put(inside, odd_sign)
    first = {"t": t, "u": t + t, "v": t + t - 1.0, "w": t + t + 1.0}[kind]
    c.put(n == 0, one)
    c.put(n == 1, first)
    tt = t + t
    _recurrence(c, tt, n, xp.ones_like(x), first, lambda k, a, q, p: _fms(a, q, p), 2, 0)
    return c.out


def _hermite_array(x: Any, n: Any, physicists: bool, dtype: Any) -> Any:
    """Hermite polynomials H_n (physicists') and He_n (probabilists') by their recurrences;
    NaN beyond PyTorch's degree limit (128 for float32, 512 for float64)."""
    xp = get_array_module(x)
    c = _Cases(xp, x, n)
    c.put(n == 0, x.dtype.type(1.0))
    first = x + x if physicists else x
    c.put(n == 1, first)
    c.put(n > (128 if np.dtype(dtype) == np.float32 else 512), x.dtype.type(np.nan))
    if physicists:  # r = 2x q - k p for k = 2, 4, .. < 2n
        step = lambda k, a, q, p: _fms(a + a, q, (2 * k) * p)  # noqa: E731
        _recurrence(c, x, n, xp.ones_like(x), first, step, 1, 1)
    else:  # r = x q - k p for k = 1 .. n - 1
        _recurrence(c, x, n, xp.ones_like(x), first, lambda k, a, q, p: _fms(a, q, k * p), 1, 1)
    return c.out


def _laguerre_array(x: Any, n: Any) -> Any:
    xp = get_array_module(x)
    c = _Cases(xp, x, n)
    one = x.dtype.type(1.0)
    c.put(xp.abs(x) == 0.0, one)
    c.put(n == 0, one)
    c.put(n == 1, one - x)
    step = lambda k, a, q, p: _fms((k + k) + (1.0 - a), q, k * p) / (k + 1)  # noqa: E731
    _recurrence(c, x, n, xp.ones_like(x), one - x, step, 1, 1)
    return c.out


def _legendre_array(x: Any, n: Any) -> Any:
    xp = get_array_module(x)
    c = _Cases(xp, x, n)
    one = x.dtype.type(1.0)
    end = xp.abs(x) == 1.0
    c.put(end & ((x > 0) | _even(n)), one)
    c.put(end, -one)
    c.put(n == 0, one)
    c.put(n == 1, x)
    step = lambda k, a, q, p: _fms((k + k + 1) * a, q, k * p) / (k + 1)  # noqa: E731
    _recurrence(c, x, n, xp.ones_like(x), x, step, 1, 1)
    return c.out


# ---------------------------------------------------------------------- round 10 functions
def _compute(kernel: Any, *arrays: Any) -> Any:
    with np.errstate(all="ignore"):
        return kernel(*arrays)


def _no_grad_unary(name: str, x: Any, kernel: Any) -> Tensor:
    """PyTorch has no derivative formula for these: the result never requires grad (and
    an input that does is no error)."""
    x = _float_operand(x, name, half=False)
    return Tensor._make(_compute(kernel, x._data), False)


def _no_grad_binary(name: str, x: Any, n: Any, kernel: Any) -> Tensor:
    """kernel(x, n, dtype) of x and the degree n, each a tensor or a number, broadcast
    and promoted as PyTorch does (integer results give the default float); no gradient."""
    if not isinstance(x, Tensor) and not isinstance(n, Tensor):
        raise TypeError(f"special_{name}(): expected at least one Tensor operand")
    dt = result_dtype(x, n)
    if dt.kind != "f":
        dt = default_float()
    if dt == np.float16:
        raise NotImplementedError(f"\"{name}_cpu\" not implemented for 'Half'")
    ref = x if isinstance(x, Tensor) else n
    xp = get_array_module(ref._data)

    def arr(v: Any) -> Any:
        return xp.asarray(v._data if isinstance(v, Tensor) else v).astype(dt)

    a, b = xp.broadcast_arrays(arr(x), arr(n))
    y = _compute(lambda p, q: kernel(p, _degree(q), dt), xp.array(a), b)
    return Tensor._make(y, False)


def bessel_j0(input: Any) -> Tensor:  # noqa: A002 - PyTorch's name
    """The Bessel function of the first kind of order 0 (Cephes' rationals, PyTorch's
    values). Not differentiable: the result does not require grad."""
    return _no_grad_unary("bessel_j0", input, _bessel_j0_array)


def bessel_j1(input: Any) -> Tensor:  # noqa: A002 - PyTorch's name
    """The Bessel function of the first kind of order 1. No gradient."""
    return _no_grad_unary("bessel_j1", input, _bessel_j1_array)


def bessel_y0(input: Any) -> Tensor:  # noqa: A002 - PyTorch's name
    """The Bessel function of the second kind of order 0: -inf at 0, NaN for x < 0. No
    gradient."""
    return _no_grad_unary("bessel_y0", input, _bessel_y0_array)


def bessel_y1(input: Any) -> Tensor:  # noqa: A002 - PyTorch's name
    """The Bessel function of the second kind of order 1: -inf at 0, NaN for x < 0. No
    gradient."""
    return _no_grad_unary("bessel_y1", input, _bessel_y1_array)


def modified_bessel_i0(input: Any) -> Tensor:  # noqa: A002 - PyTorch's name
    """I0(x), PyTorch's modified_bessel_i0 (NaN at +-inf, unlike i0). No gradient."""
    return _no_grad_unary("modified_bessel_i0", input, lambda a: _mod_bessel_i_array(a, 0))


def modified_bessel_i1(input: Any) -> Tensor:  # noqa: A002 - PyTorch's name
    """I1(x), odd, NaN at +-inf. No gradient."""
    return _no_grad_unary("modified_bessel_i1", input, lambda a: _mod_bessel_i_array(a, 1))


def modified_bessel_k0(input: Any) -> Tensor:  # noqa: A002 - PyTorch's name
    """K0(x): inf at 0, NaN for x < 0. No gradient."""
    return _no_grad_unary("modified_bessel_k0", input, lambda a: _mod_bessel_k_array(a, 0, False))


def modified_bessel_k1(input: Any) -> Tensor:  # noqa: A002 - PyTorch's name
    """K1(x): inf at 0, NaN for x < 0. No gradient."""
    return _no_grad_unary("modified_bessel_k1", input, lambda a: _mod_bessel_k_array(a, 1, False))


def scaled_modified_bessel_k0(x: Any) -> Tensor:
    """exp(x) K0(x). No gradient."""
    return _no_grad_unary("scaled_modified_bessel_k0", x, lambda a: _mod_bessel_k_array(a, 0, True))


def scaled_modified_bessel_k1(x: Any) -> Tensor:
    """exp(x) K1(x). No gradient."""
    return _no_grad_unary("scaled_modified_bessel_k1", x, lambda a: _mod_bessel_k_array(a, 1, True))


def spherical_bessel_j0(x: Any) -> Tensor:
    """sin(x) / x (a Taylor polynomial for |x| < 1/2), 0 at +-inf. No gradient."""
    return _no_grad_unary("spherical_bessel_j0", x, _spherical_j0_array)


def airy_ai(x: Any) -> Tensor:
    """The Airy function Ai(x) (Cephes): NaN at +-inf, 0 beyond 103.892. No gradient."""
    return _no_grad_unary("airy_ai", x, _airy_ai_array)


def _chebyshev(kind: str, shifted: bool) -> Any:
    name = ("shifted_" if shifted else "") + f"chebyshev_polynomial_{kind}"

    def f(x: Any, n: Any) -> Tensor:
        kernel = lambda a, m, dt: _chebyshev_array(a, m, kind, shifted)  # noqa: E731
        return _no_grad_binary(name, x, n, kernel)

    f.__name__ = f.__qualname__ = name
    kind_name = {"t": "first", "u": "second", "v": "third", "w": "fourth"}[kind]
    f.__doc__ = (
        f"The {'shifted ' if shifted else ''}Chebyshev polynomial of the {kind_name} kind"
        f"{' of 2x - 1' if shifted else ''}; n is truncated toward 0 (0 for n < 0), x and n "
        "are tensors or numbers, broadcast. No gradient."
    )
    return f


chebyshev_polynomial_t = _chebyshev("t", False)
chebyshev_polynomial_u = _chebyshev("u", False)
chebyshev_polynomial_v = _chebyshev("v", False)
chebyshev_polynomial_w = _chebyshev("w", False)
shifted_chebyshev_polynomial_t = _chebyshev("t", True)
shifted_chebyshev_polynomial_u = _chebyshev("u", True)
shifted_chebyshev_polynomial_v = _chebyshev("v", True)
shifted_chebyshev_polynomial_w = _chebyshev("w", True)


def hermite_polynomial_h(x: Any, n: Any) -> Tensor:
    """The physicists' Hermite polynomial H_n(x) (NaN for n above 128 in float32, 512 in
    float64, as in PyTorch). No gradient."""
    kernel = lambda a, m, dt: _hermite_array(a, m, True, dt)  # noqa: E731
    return _no_grad_binary("hermite_polynomial_h", x, n, kernel)


def hermite_polynomial_he(x: Any, n: Any) -> Tensor:
    """The probabilists' Hermite polynomial He_n(x). No gradient."""
    kernel = lambda a, m, dt: _hermite_array(a, m, False, dt)  # noqa: E731
    return _no_grad_binary("hermite_polynomial_he", x, n, kernel)


def laguerre_polynomial_l(x: Any, n: Any) -> Tensor:
    """The Laguerre polynomial L_n(x) (1 at x == 0). No gradient."""
    return _no_grad_binary("laguerre_polynomial_l", x, n, lambda a, m, dt: _laguerre_array(a, m))


def legendre_polynomial_p(x: Any, n: Any) -> Tensor:
    """The Legendre polynomial P_n(x). No gradient."""
    return _no_grad_binary("legendre_polynomial_p", x, n, lambda a, m, dt: _legendre_array(a, m))


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
    "erfc",
    "erfcx",
    "erfinv",
    "gammainc",
    "gammaincc",
    "hermite_polynomial_h",
    "hermite_polynomial_he",
    "i0",
    "i0e",
    "i1",
    "i1e",
    "igamma",
    "igammac",
    "laguerre_polynomial_l",
    "legendre_polynomial_p",
    "lgamma",
    "log_ndtr",
    "logit",
    "modified_bessel_i0",
    "modified_bessel_i1",
    "modified_bessel_k0",
    "modified_bessel_k1",
    "multigammaln",
    "mvlgamma",
    "ndtr",
    "ndtri",
    "polygamma",
    "scaled_modified_bessel_k0",
    "scaled_modified_bessel_k1",
    "shifted_chebyshev_polynomial_t",
    "shifted_chebyshev_polynomial_u",
    "shifted_chebyshev_polynomial_v",
    "shifted_chebyshev_polynomial_w",
    "sinc",
    "spherical_bessel_j0",
    "xlog1py",
    "xlogy",
    "zeta",
]
