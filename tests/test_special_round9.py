"""mg.special, round 9: zeta, ndtr, log_ndtr, ndtri, erfcx, i0, i0e, i1, i1e, gammainc,
gammaincc, multigammaln and round, against torch 2.13 (values on dense grids with both
tails, special values, dtypes, errors, first and second derivatives)."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")

S = mg.special

GRID = np.concatenate(
    [
        np.linspace(-30, 30, 3001),
        np.geomspace(1e-300, 1e3, 600),
        -np.geomspace(1e-300, 1e3, 600),
        [5e-324, -5e-324, 1e-310, 8.0, -8.0, 26.6, -26.6, -26.7, 700, 709.7, 713, 1e8, -1e8],
        [1e300, -1e300],
    ]
)
SPECIAL = np.array([0.0, -0.0, np.inf, -np.inf, np.nan])


def _mg(name, *args):
    return getattr(S, name)(*[mg.tensor(a) if isinstance(a, np.ndarray) else a for a in args])


def _torch(name, *args):
    conv = [torch.from_numpy(a) if isinstance(a, np.ndarray) else a for a in args]
    return getattr(torch.special, name)(*conv)


def _close(got, want, rtol, atol=0.0):
    """Same NaN/inf pattern and signs of infinities; finite values within rtol/atol."""
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    assert np.array_equal(np.isnan(got), np.isnan(want))
    inf = np.isinf(want)
    assert np.array_equal(got[inf], want[inf])
    fin = np.isfinite(want)
    assert np.isfinite(got[fin]).all()
    err = np.abs(got[fin] - want[fin])
    bound = atol + rtol * np.abs(want[fin])
    worst = np.argmax(err - bound) if err.size else 0
    assert (err <= bound).all(), (got[fin][worst], want[fin][worst])


# (name, float64 rtol against torch, float64 atol, grid restriction)
UNARY64 = [
    # torch's ndtr is (1 + erf(x/sqrt2)) / 2, 0 below -8.3; minigrad's keeps the left tail,
    # so they agree to torch's own absolute error
    ("ndtr", 1e-15, 2.3e-16),
    ("log_ndtr", 1e-14, 0.0),
    # torch's 2 exp(x^2) below -6.1 rounds x^2 (up to 6e-14 relative); minigrad's does not
    ("erfcx", 1e-13, 0.0),
    ("i0", 4e-15, 0.0),
    ("i0e", 4e-15, 0.0),
    ("i1", 4e-15, 0.0),
    ("i1e", 4e-15, 0.0),
]


@pytest.mark.parametrize("name,rtol,atol", UNARY64)
def test_unary_float64_grid(name, rtol, atol):
    x = np.concatenate([GRID, SPECIAL])
    got = _mg(name, x)
    assert got.dtype == np.float64
    _close(got.numpy(), _torch(name, x).numpy(), rtol, atol)


def test_ndtri_float64_grid():
    y = np.concatenate(
        [
            np.linspace(0, 1, 20001),
            np.geomspace(1e-320, 0.2, 2000),
            1 - np.geomspace(1e-17, 0.2, 2000),
            [-0.0, 1.0000001, -1e-300, 2, np.nan, np.inf, -np.inf],
        ]
    )
    _close(_mg("ndtri", y).numpy(), _torch("ndtri", y).numpy(), 2e-15)


@pytest.mark.parametrize("name", ["ndtr", "log_ndtr", "ndtri", "erfcx", "i0", "i0e", "i1", "i1e"])
def test_special_values_and_signed_zeros(name):
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-310, -1e-310])
    got, want = _mg(name, x).numpy(), _torch(name, x).numpy()
    assert np.array_equal(got, want, equal_nan=True)
    num = ~np.isnan(want)
    assert np.array_equal(np.signbit(got[num]), np.signbit(want[num]))


# float32 against torch's float kernels, in float32 ulp over |x| <= 7.5: minigrad's float32
# is the float64 value rounded (0.5 ulp from exact, checked against mpmath), torch's
# float kernels are off by up to these (its float i1/i1e tables are truncated, its float
# erfcx rounds x^2 inside exp, its float log1p(-erfc/2) loses bits, and its
# ndtr is 1 + erf(x / sqrt2) in float, absolute error 6e-8)
F32_ULP = {"ndtr": 2, "log_ndtr": 12, "erfcx": 8, "i0": 4, "i0e": 4, "i1": 14, "i1e": 10}


@pytest.mark.parametrize("name", sorted(F32_ULP))
def test_float32_is_the_rounded_float64_value(name):
    x = np.linspace(-12, 12, 4801).astype(np.float32)
    got = _mg(name, x).numpy()
    assert got.dtype == np.float32
    with np.errstate(over="ignore"):  # erfcx far left: inf in float32
        ref = _mg(name, x.astype(np.float64)).numpy().astype(np.float32)
    assert np.array_equal(got, ref, equal_nan=True)
    want = _torch(name, x).numpy().astype(np.float64)
    body = np.abs(x) <= (3 if name in ("erfcx", "log_ndtr") else 7.5)
    ulp = np.spacing(np.abs(want[body]).astype(np.float32)).astype(np.float64)
    if name == "ndtr":
        ulp = np.maximum(ulp, 3e-8)
    assert (np.abs(got[body] - want[body]) <= F32_ULP[name] * ulp).all()


def test_ndtri_float32():
    y = np.linspace(0, 1, 10001).astype(np.float32)
    got = _mg("ndtri", y).numpy()
    want = _torch("ndtri", y).numpy().astype(np.float64)
    assert got.dtype == np.float32
    fin = np.isfinite(want)
    ulp = np.spacing(np.abs(want[fin]).astype(np.float32)).astype(np.float64)
    assert (np.abs(got[fin] - want[fin]) <= 4 * ulp).all()
    assert np.array_equal(got[~fin], want[~fin])


def test_log_ndtr_tails_are_accurate():
    # far left about -x^2/2 (not -inf), far right about -ndtr(-x) (not 0 too early)
    x = np.array([-1e10, -1e5, -40.0, -10.0, 5.0, 8.0, 30.0])
    got = _mg("log_ndtr", x).numpy()
    _close(got, _torch("log_ndtr", x).numpy(), 1e-14)
    assert got[0] == pytest.approx(-5e19, rel=1e-12)
    assert got[-2] == pytest.approx(-6.220960574271784e-16, rel=1e-13)


def test_ndtr_left_tail_keeps_relative_accuracy():
    got = _mg("ndtr", np.array([-10.0, -20.0, -37.0]))
    # erfc(x / sqrt2) / 2 references (identity: ndtr(x) = erfc(-x / sqrt2) / 2)
    # (x / sqrt2 rounds: relative 2 t^2 eps, 1.5e-13 at -37, in either)
    want = torch.special.erfc(torch.tensor([10.0, 20.0, 37.0], dtype=torch.float64) / 2**0.5) / 2
    _close(got.numpy(), want.numpy(), 5e-13)


def test_erfcx_accurate_for_large_x():
    x = np.array([1.0, 2.0, 5.0, 50.0, 51.0, 1e4, 1e7, 1e9, 1e300])
    got = _mg("erfcx", x).numpy()
    _close(got, _torch("erfcx", x).numpy(), 1e-15)
    assert got[-1] == pytest.approx(1 / np.sqrt(np.pi) / 1e300, rel=1e-15)


@pytest.mark.parametrize("name", ["ndtr", "log_ndtr", "ndtri", "erfcx", "i0", "i0e", "i1", "i1e"])
def test_integer_and_bool_give_float32(name):
    for arr in (np.array([0, 1, 2]), np.array([True, False])):
        got = _mg(name, arr)
        want = _torch(name, arr)
        assert got.dtype == np.float32 and want.dtype == torch.float32
        _close(got.numpy(), want.numpy(), 5e-7)


@pytest.mark.parametrize("name", ["ndtr", "i0", "i0e", "i1", "i1e"])
def test_float16_supported(name):
    x = np.array([0.3, 1.0, -7.5, 3.0, 20.0, 0.0], dtype=np.float16)
    got = _mg(name, x).numpy()
    want = _torch(name, x).numpy()
    assert got.dtype == np.float16
    _close(got, want, 2e-3)


@pytest.mark.parametrize("name", ["log_ndtr", "ndtri", "erfcx"])
def test_float16_not_implemented(name):
    x = np.array([0.5], dtype=np.float16)
    with pytest.raises(NotImplementedError) as want:
        _torch(name, x)
    with pytest.raises(NotImplementedError) as got:
        _mg(name, x)
    assert str(got.value) == str(want.value)


GRAD_X = np.concatenate([np.linspace(-9, 9, 181), [0.0, -0.0, 1e-20, -1e-20, 1e-300]])


def _grads(fm, ft, x):
    xm = mg.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    (gm,) = mg.autograd.grad(fm(xm).sum(), xm, create_graph=True)
    (gt,) = torch.autograd.grad(ft(xt).sum(), xt, create_graph=True)
    (hm,) = mg.autograd.grad(gm.sum(), xm)
    (ht,) = torch.autograd.grad(gt.sum(), xt)
    return gm.detach().numpy(), gt.detach().numpy(), hm.detach().numpy(), ht.numpy()


@pytest.mark.parametrize("name", ["ndtr", "log_ndtr", "erfcx", "i0", "i0e", "i1", "i1e"])
def test_first_and_second_derivatives_match_torch(name):
    gm, gt, hm, ht = _grads(getattr(S, name), getattr(torch.special, name), GRAD_X)
    _close(gm, gt, 1e-12, 1e-300)
    _close(hm, ht, 1e-10, 1e-300)


def test_ndtri_derivatives_match_torch():
    y = np.concatenate([np.linspace(0, 1, 201), [1e-300, 2.0, -0.5]])
    gm, gt, hm, ht = _grads(S.ndtri, torch.special.ndtri, y)
    _close(gm, gt, 1e-13)
    _close(hm, ht, 1e-13)


@pytest.mark.parametrize(
    "name,lo,hi", [("ndtr", -4, 4), ("log_ndtr", -6, 4), ("ndtri", 0.05, 0.95), ("erfcx", -3, 5)]
)
def test_gradcheck_normal_family(name, lo, hi):
    x = mg.tensor(np.linspace(lo, hi, 7), requires_grad=True)
    fn = getattr(S, name)
    assert mg.autograd.gradcheck(fn, (x,))
    assert mg.autograd.gradgradcheck(fn, (x,))


@pytest.mark.parametrize("name", ["i0", "i0e", "i1", "i1e"])
def test_gradcheck_bessel_i(name):
    x = mg.tensor(np.array([-9.0, -3.3, -0.7, 0.4, 2.5, 8.5, 12.0]), requires_grad=True)
    fn = getattr(S, name)
    assert mg.autograd.gradcheck(fn, (x,))
    assert mg.autograd.gradgradcheck(fn, (x,))


def test_i0_is_mg_special_i0_and_matches_torch_i0():
    x = np.linspace(-20, 20, 401)
    _close(S.i0(mg.tensor(x)).numpy(), torch.i0(torch.from_numpy(x)).numpy(), 4e-15)


# ---------------------------------------------------------------------- zeta
ZS = np.concatenate([np.linspace(-3, 60, 127), [1.0, 1 + 1e-10, 2, 3, 0.5, np.inf, np.nan, 100]])
ZQ = np.concatenate(
    [np.linspace(0.01, 40, 161), [0.0, -0.0, 1e-300, -1.0, -2.0, np.inf, -np.inf, np.nan, 1e10]]
)


def test_zeta_float64_grid():
    s, q = (v.ravel() for v in np.meshgrid(ZS, ZQ, indexing="ij"))
    _close(_mg("zeta", s, q).numpy(), _torch("zeta", s, q).numpy(), 1e-13)


def test_zeta_negative_q():
    # non-integer q < 0 with integer s: a direct sum, as torch's (cancellation far left)
    s, q = (v.ravel() for v in np.meshgrid([2.0, 3.0, 4.0, 7.0], np.linspace(-9.75, -0.25, 39)))
    _close(_mg("zeta", s, q).numpy(), _torch("zeta", s, q).numpy(), 1e-10)


def test_zeta_float32_and_promotion():
    s = np.linspace(1.5, 20, 38).astype(np.float32)
    q = np.linspace(0.1, 30, 38).astype(np.float32)
    got = _mg("zeta", s, q)
    assert got.dtype == np.float32
    _close(got.numpy(), _torch("zeta", s, q).numpy(), 2.5e-7)
    mixed = S.zeta(mg.tensor(s), mg.tensor(q.astype(np.float64)))
    assert mixed.dtype == np.float64
    assert S.zeta(mg.tensor(np.array(2.0)), mg.tensor(q)).dtype == np.float32
    ints = S.zeta(mg.tensor(np.array([2, 3])), mg.tensor(np.array([1, 2])))
    assert ints.dtype == np.float32
    assert np.array_equal(
        ints.numpy(), torch.special.zeta(torch.tensor([2, 3]), torch.tensor([1, 2]))
    )
    assert S.zeta(mg.tensor(np.array([True])), mg.tensor(np.array([True]))).numpy()[0] == np.inf


def test_zeta_scalar_operands():
    q = np.linspace(0.5, 5, 10)
    _close(S.zeta(2.0, mg.tensor(q)).numpy(), torch.special.zeta(2.0, torch.from_numpy(q)), 1e-14)
    _close(
        S.zeta(mg.tensor(q + 1), 1.5).numpy(),
        torch.special.zeta(torch.from_numpy(q + 1), 1.5),
        1e-14,
    )
    assert S.zeta(2, mg.tensor(np.array([1, 2]))).dtype == np.float32
    with pytest.raises(TypeError):
        S.zeta(2.0, 1.0)


def test_zeta_half_not_implemented():
    h = np.array([2.0], dtype=np.float16)
    with pytest.raises(NotImplementedError, match="\"zeta_cpu\" not implemented for 'Half'"):
        S.zeta(mg.tensor(h), mg.tensor(h))


def test_zeta_gradients():
    s = np.linspace(1.5, 9, 16)
    q = np.linspace(0.2, 30, 16)
    qm, qt = mg.tensor(q, requires_grad=True), torch.tensor(q, requires_grad=True)
    (gm,) = mg.autograd.grad(S.zeta(mg.tensor(s), qm).sum(), qm, create_graph=True)
    (gt,) = torch.autograd.grad(
        torch.special.zeta(torch.tensor(s), qt).sum(), qt, create_graph=True
    )
    _close(gm.detach().numpy(), gt.detach().numpy(), 1e-13)
    (hm,) = mg.autograd.grad(gm.sum(), qm)
    (ht,) = torch.autograd.grad(gt.sum(), qt)
    _close(hm.numpy(), ht.numpy(), 1e-13)
    qq = mg.tensor(np.array([0.5, 1.7, 4.0]), requires_grad=True)
    assert mg.autograd.gradcheck(lambda v: S.zeta(3.0, v), (qq,))
    assert mg.autograd.gradgradcheck(lambda v: S.zeta(3.0, v), (qq,))


def test_zeta_derivative_in_x_not_implemented():
    x = mg.tensor(np.array([2.0, 3.0]), requires_grad=True)
    with pytest.raises(NotImplementedError, match="the derivative for 'zeta' is not implemented."):
        mg.autograd.grad(S.zeta(x, mg.tensor(np.array([1.0, 2.0]))).sum(), x)


# ---------------------------------------------------------------------- gammainc
IG = np.concatenate([np.geomspace(1e-3, 1e4, 90), [0.5, 1, 2, 20, 20.5, 200, 201]])
IG_EDGE = np.array([0.0, -0.0, -1.0, np.inf, np.nan, 1e-300])


@pytest.mark.parametrize("name", ["gammainc", "gammaincc"])
def test_gammainc_float64_grid(name):
    a, x = (v.ravel() for v in np.meshgrid(IG, IG, indexing="ij"))
    got, want = _mg(name, a, x).numpy(), _torch(name, a, x).numpy()
    tiny = np.abs(want) < 1e-290  # products of exp underflow differently
    got, want = np.where(tiny, 0, got), np.where(tiny, 0, want)
    # a log(x) - x - lgamma(a) cancels for large a: both sides lose ~eps * a there
    small = a <= 100
    _close(got[small], want[small], 5e-13)
    _close(got[~small], want[~small], 2e-11)


@pytest.mark.parametrize("name", ["gammainc", "gammaincc"])
def test_gammainc_boundaries_in_torch_order(name):
    vals = np.concatenate([IG_EDGE, [0.5, 3.0]])
    a, x = (v.ravel() for v in np.meshgrid(vals, vals, indexing="ij"))
    got, want = _mg(name, a, x).numpy(), _torch(name, a, x).numpy()
    assert np.array_equal(np.isnan(got), np.isnan(want))
    _close(got, want, 1e-14)


@pytest.mark.parametrize("name", ["gammainc", "gammaincc"])
def test_gammainc_float32_and_float16(name):
    a, x = (v.ravel() for v in np.meshgrid(IG[::3], IG[::3], indexing="ij"))
    for dt, rtol in ((np.float32, 5e-4), (np.float16, 2e-2)):
        got = _mg(name, a.astype(dt), x.astype(dt))
        assert got.dtype == dt
        want = _torch(name, a.astype(dt), x.astype(dt)).numpy()
        ok = np.abs(want) > np.finfo(dt).tiny * 1e4  # torch's float kernel flushes early
        _close(got.numpy()[ok], want[ok], rtol, np.finfo(dt).eps)
        ref = _mg(name, a.astype(dt).astype(np.float64), x.astype(dt).astype(np.float64))
        assert np.array_equal(got.numpy(), ref.numpy().astype(dt), equal_nan=True)


def test_gammainc_promotion_broadcast_and_errors():
    a32 = mg.tensor(np.array([1.0, 2.0], dtype=np.float32))
    assert S.gammainc(a32, mg.tensor(np.array([[1.0], [2.0]]))).shape == (2, 2)
    assert S.gammainc(a32, mg.tensor(np.array([1.0, 2.0]))).dtype == np.float64
    with pytest.raises(NotImplementedError, match="\"igamma_cpu\" not implemented for 'Long'"):
        S.gammainc(mg.tensor(np.array([1, 2])), mg.tensor(np.array([1, 2])))
    with pytest.raises(TypeError):
        S.gammaincc(a32, 1.0)


@pytest.mark.parametrize("name", ["gammainc", "gammaincc"])
def test_gammainc_gradients(name):
    a = np.linspace(0.1, 30, 40)
    x = np.linspace(0.01, 40, 40)
    xm, xt = mg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (gm,) = mg.autograd.grad(getattr(S, name)(mg.tensor(a), xm).sum(), xm, create_graph=True)
    tf = getattr(torch.special, name)
    (gt,) = torch.autograd.grad(tf(torch.tensor(a), xt).sum(), xt, create_graph=True)
    _close(gm.detach().numpy(), gt.detach().numpy(), 1e-13)
    (hm,) = mg.autograd.grad(gm.sum(), xm)
    (ht,) = torch.autograd.grad(gt.sum(), xt)
    _close(hm.numpy(), ht.numpy(), 1e-13)
    xx = mg.tensor(np.array([0.3, 1.5, 4.0, 9.0]), requires_grad=True)
    aa = mg.tensor(np.array([0.5, 2.0, 3.5, 8.0]))
    fn = lambda v: getattr(S, name)(aa, v)  # noqa: E731
    assert mg.autograd.gradcheck(fn, (xx,))
    assert mg.autograd.gradgradcheck(fn, (xx,))


@pytest.mark.parametrize("name,what", [("gammainc", "igamma"), ("gammaincc", "igammac")])
def test_gammainc_derivative_in_a_not_implemented(name, what):
    a = mg.tensor(np.array([1.0, 2.0]), requires_grad=True)
    with pytest.raises(NotImplementedError, match=f"the derivative for '{what}: input'"):
        mg.autograd.grad(getattr(S, name)(a, mg.tensor(np.array([1.0, 2.0]))).sum(), a)


# ---------------------------------------------------------------------- multigammaln, round
@pytest.mark.parametrize("p", [1, 2, 3, 5])
def test_multigammaln(p):
    x = np.concatenate([np.linspace(-3, 30, 331), [np.nan, np.inf, 0.5, 1.0]])
    for dt, rtol in ((np.float64, 1e-14), (np.float32, 1e-6)):
        got = S.multigammaln(mg.tensor(x.astype(dt)), p)
        assert got.dtype == dt
        want = torch.special.multigammaln(torch.from_numpy(x.astype(dt)), p).numpy()
        _close(got.numpy(), want, rtol, 2 * np.finfo(dt).eps)
    gm, gt, hm, ht = _grads(
        lambda v: S.multigammaln(v, p), lambda v: torch.special.multigammaln(v, p), x[:300]
    )
    _close(gm, gt, 1e-12, 1e-14)
    _close(hm, ht, 1e-9, 1e-12)


def test_multigammaln_dtypes_and_errors():
    ints = S.multigammaln(mg.tensor(np.array([3, 4])), 2)
    assert ints.dtype == np.float32
    _close(ints.numpy(), torch.special.multigammaln(torch.tensor([3, 4]), 2).numpy(), 1e-6)
    assert S.multigammaln(mg.tensor(np.array(2.5)), 2).shape == ()
    with pytest.raises(RuntimeError, match="p has to be greater than or equal to 1"):
        S.multigammaln(mg.tensor(np.array([3.0])), 0)
    with pytest.raises(TypeError):
        S.multigammaln(mg.tensor(np.array([3.0])), 2.0)
    x = mg.tensor(np.array([2.5, 3.5, 7.0]), requires_grad=True)
    assert mg.autograd.gradgradcheck(lambda v: S.multigammaln(v, 3), (x,))


def test_special_round_and_names():
    x = np.array([1.25, 2.5, -0.55, 3.14159])
    got = S.round(mg.tensor(x), decimals=2).numpy()
    assert np.array_equal(got, torch.special.round(torch.from_numpy(x), decimals=2).numpy())
    for name in [
        "zeta",
        "ndtr",
        "log_ndtr",
        "ndtri",
        "erfcx",
        "i0",
        "i0e",
        "i1",
        "i1e",
        "gammainc",
        "gammaincc",
        "multigammaln",
        "round",
    ]:
        assert callable(getattr(S, name)) and name in S.__all__
