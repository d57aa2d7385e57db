"""Special functions, as PyTorch names them: lgamma, digamma, polygamma, erfinv, erfc, sinc,
logit, xlogy, xlog1py and entr. Each forward is vectorised NumPy or
CuPy code (series, recurrences and asymptotic expansions, no SciPy), computed in float64
and rounded to the input's float dtype; integer and bool input gives float32. Each backward
is written with ops, so every order of derivative is available.

digamma, trigamma (polygamma(1)) and the Hurwitz zeta behind polygamma(n >= 2) follow
PyTorch's own algorithms step by step (its trigamma is accurate to about 1e-9 only), so the
values and the special cases agree with it; lgamma and erfinv are accurate to float64."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..autograd import Function
from ..backend import get_array_module
from ..tensor import Tensor
from .elementwise import cos, erf_array, exp, log, promote, result_dtype, sin, to_float, where
from .reduce import sum_to

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


_CF_TERMS = 40


def _erfc_cf(xp: Any, c: Any) -> tuple[Any, Any]:
    """For c >= 2: (erfcx(c), erfc(c)) = (1, exp(-c^2)) / (sqrt(pi) f), f erfc's
    continued fraction c + (1/2) / (c + 1 / (c + (3/2) / (c + ...)))."""
    f = c
    for k in range(_CF_TERMS, 0, -1):
        f = c + (k / 2) / f
    erfcx = 1 / (_SQRT_PI * f)
    return erfcx, erfcx * _exp_neg_square(xp, c)


def _erfc_array(x: Any) -> Any:
    """erfc with relative accuracy in the right tail: 1 - erf below 1/2, the continued
    fraction from 2, 2 - erfc(-x) below 0."""
    xp = get_array_module(x)
    a = xp.minimum(xp.abs(x), 40.0)  # NaN stays NaN
    c = xp.where(a >= 2, a, 2.0)
    tail = _erfc_cf(xp, c)[1]
    mid = 1 - erf_array(a)
    pos = xp.where(a >= 2, tail, mid)
    return xp.where(x < 0, 2 - pos, pos)


def _erfcx_positive(x: Any) -> Any:
    """exp(x^2) erfc(x) for x > 0."""
    xp = get_array_module(x)
    c = xp.where(x >= 2, x, 2.0)
    small = xp.where(x < 2, x, 0.0)
    return xp.where(x >= 2, _erfc_cf(xp, c)[0], xp.exp(small * small) * (1 - erf_array(small)))


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
    return Special(name, kernel, grad, nx, ny)(to_float(_tensor(x, name)))


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
        wide = x.astype(np.float32) if x.dtype == np.float16 else x
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
        gx = gy / (x * (1 - x))
        if self.eps is None:
            outside = (x._data < 0) | (x._data > 1)
            return where(outside, np.nan, gx) if bool(outside.any()) else gx
        outside = (x._data < self.eps) | (x._data > 1 - self.eps)
        return where(outside, 0.0, gx) if bool(outside.any()) else gx


def logit(x: Tensor, eps: float | None = None) -> Tensor:
    """The inverse of sigmoid; with eps, x is first clamped to [eps, 1 - eps] (a negative
    eps is no eps, as in PyTorch)."""
    eps = None if eps is None or float(eps) < 0 else float(eps)
    return Logit(eps)(to_float(_tensor(x, "logit")))


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
    dt = result_dtype(x, y)
    a, b = promote(x, y)
    if dt.kind not in "fc":
        a, b = to_float(a), to_float(b)
    return XLogY(log1p)(a, b)


def xlogy(input: Any, other: Any) -> Tensor:  # noqa: A002 - PyTorch's name
    """input * log(other), 0 where input == 0 (unless other is NaN)."""
    return _xlogy(input, other, False, "xlogy")


def xlog1py(input: Any, other: Any) -> Tensor:  # noqa: A002 - PyTorch's name
    """input * log1p(other), 0 where input == 0 (unless other is NaN)."""
    return _xlogy(input, other, True, "xlog1py")


__all__ = [
    "digamma",
    "entr",
    "erfc",
    "erfinv",
    "lgamma",
    "logit",
    "polygamma",
    "sinc",
    "xlog1py",
    "xlogy",
]
