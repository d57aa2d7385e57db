"""minigrad.special and the special functions against PyTorch: values on dense grids with
special points, float32 and float64, int promotion, empty and 0-d input, gradients."""

import numpy as np
import pytest
import torch

import minigrad as mg

INF, NAN = np.inf, np.nan
GRID = np.concatenate(
    [
        np.linspace(-12, 25, 3701),
        np.geomspace(1e-8, 1e8, 161),
        [0.0, -0.0, -1.0, -2.0, -3.0, 1.0, 2.0, 0.5, INF, -INF, NAN, 1e-300],
    ]
)
UNIT = np.concatenate([np.linspace(-1.2, 1.2, 2401), 1 - np.geomspace(1e-15, 0.5, 60), [NAN]])
TOL = {np.float32: (2e-6, 1e-6), np.float64: (1e-12, 1e-13)}

UNARY = [
    ("lgamma", mg.lgamma, torch.lgamma, GRID),
    ("digamma", mg.digamma, torch.digamma, GRID),
    ("erfinv", mg.erfinv, torch.erfinv, UNIT),
    ("sinc", mg.sinc, torch.sinc, GRID),
    ("logit", mg.logit, torch.logit, UNIT),
    ("erfc", mg.special.erfc, torch.special.erfc, GRID),
    ("entr", mg.special.entr, torch.special.entr, GRID),
    ("gammaln", mg.special.gammaln, torch.special.gammaln, GRID),
    ("psi", mg.special.psi, torch.special.psi, GRID),
] + [
    (f"polygamma{n}", lambda x, n=n: mg.polygamma(n, x), lambda x, n=n: torch.polygamma(n, x), GRID)
    for n in (1, 2, 3, 4)
]


def check(ours, ref, dtype):
    rtol, atol = TOL[dtype]
    ours = ours.detach().numpy() if isinstance(ours, mg.Tensor) else ours
    ref = ref.detach().numpy()
    assert ours.dtype == ref.dtype and ours.shape == ref.shape
    np.testing.assert_allclose(ours, ref, rtol=rtol, atol=atol, equal_nan=True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,fn,ref,grid", UNARY, ids=[u[0] for u in UNARY])
def test_values(name, fn, ref, grid, dtype):
    x = grid.astype(dtype)
    with np.errstate(all="ignore"):
        ours = fn(mg.tensor(x))
    want = ref(torch.tensor(x))
    if dtype is np.float32 and name.startswith(("lgamma", "gammaln", "digamma", "psi", "poly")):
        # near the roots float32's own rounding (PyTorch's float kernels) dominates
        rtol = atol = 1e-5
        np.testing.assert_allclose(ours.numpy(), want.numpy(), rtol=rtol, atol=atol, equal_nan=True)
    else:
        check(ours, want, dtype)


@pytest.mark.parametrize("eps", [None, 0.0, 0.1, 0.3])
def test_logit_eps_and_grad(eps):
    x = np.array([0.0, 1.0, -0.5, 1.5, 0.5, 0.05, 0.95, 0.2, NAN])
    t = torch.tensor(x, requires_grad=True)
    m = mg.tensor(x, requires_grad=True)
    check(m.logit(eps), torch.logit(t, eps).detach(), np.float64)
    (gt,) = torch.autograd.grad(torch.logit(t, eps).sum(), t)
    (gm,) = mg.grad(mg.logit(m, eps).sum(), m)
    check(gm, gt, np.float64)


@pytest.mark.parametrize("name", ["xlogy", "xlog1py"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_xlogy(name, dtype):
    a = np.array([0.0, 0.0, 0.0, 1.0, 2.0, 0.0, 3.0, -1.5], dtype)
    b = np.array([0.0, NAN, -1.0, 0.0, -1.0, INF, 2.5, 7.0], dtype)
    fm, ft = getattr(mg.special, name), getattr(torch.special, name)
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    ma, mb = mg.tensor(a, requires_grad=True), mg.tensor(b, requires_grad=True)
    check(fm(ma, mb), ft(ta, tb).detach(), dtype)
    want = torch.autograd.grad(ft(ta, tb).sum(), [ta, tb])
    got = mg.grad(fm(ma, mb).sum(), [ma, mb])
    for g, w in zip(got, want, strict=True):
        check(g, w, dtype)
    # scalars on either side, broadcasting, int promotion
    check(fm(2, mb), ft(2, tb).detach(), dtype)
    check(fm(ma, 3.0), ft(ta, 3.0).detach(), dtype)
    check(
        fm(mg.tensor([1, 2]), mg.tensor([[3], [4]])),
        ft(torch.tensor([1, 2]), torch.tensor([[3], [4]])),
        np.float32,
    )
    assert mg.xlogy(mg.tensor([1.0]), 2.0).dtype == mg.float32


def test_int_empty_zero_d():
    ints = np.array([1, 2, 3, 5])
    for fm, ft in [
        (mg.lgamma, torch.lgamma),
        (mg.digamma, torch.digamma),
        (mg.sinc, torch.sinc),
        (mg.erfinv, torch.erfinv),
    ]:
        check(fm(mg.tensor(ints)), ft(torch.tensor(ints)), np.float32)
        check(fm(mg.zeros(0)), ft(torch.zeros(0)), np.float32)
        check(
            fm(mg.tensor(0.25, dtype=mg.float64)),
            ft(torch.tensor(0.25, dtype=torch.float64)),
            np.float64,
        )
    check(mg.polygamma(2, mg.tensor(ints)), torch.polygamma(2, torch.tensor(ints)), np.float32)
    check(mg.Tensor.polygamma(mg.tensor(3.5), 1), torch.tensor(3.5).polygamma(1), np.float32)
    with pytest.raises(RuntimeError):
        mg.polygamma(-1, mg.tensor(1.0))


def test_special_grads_match_torch():
    x = np.array([0.0, -0.0, -1.0, 2.0, 0.3, -2.5, 7.0])
    for fm, ft in [
        (mg.lgamma, torch.lgamma),
        (mg.digamma, torch.digamma),
        (lambda v: mg.polygamma(2, v), lambda v: torch.polygamma(2, v)),
        (mg.sinc, torch.sinc),
        (mg.special.entr, torch.special.entr),
        (mg.special.erfc, torch.special.erfc),
    ]:
        t, m = torch.tensor(x, requires_grad=True), mg.tensor(x, requires_grad=True)
        (gt,) = torch.autograd.grad(ft(t).sum(), t, create_graph=True)
        (gm,) = mg.grad(fm(m).sum(), m, create_graph=True)
        check(gm, gt.detach(), np.float64)
    u = np.array([-1.0, 1.0, 0.0, 0.5, -0.9])
    t, m = torch.tensor(u, requires_grad=True), mg.tensor(u, requires_grad=True)
    check(
        mg.grad(mg.erfinv(m).sum(), m)[0], torch.autograd.grad(t.erfinv().sum(), t)[0], np.float64
    )


POSITIVE = [
    ("lgamma", mg.lgamma, 0.3, 6.0),
    ("lgamma_neg", mg.lgamma, -2.8, -2.2),
    ("digamma", mg.digamma, 0.3, 6.0),
    ("polygamma1", lambda x: mg.polygamma(1, x), 0.3, 6.0),
    ("polygamma3", lambda x: mg.polygamma(3, x), 0.3, 6.0),
    ("erfinv", mg.erfinv, -0.9, 0.9),
    ("erfc", mg.special.erfc, -2.0, 3.0),
    ("sinc", mg.sinc, 0.1, 3.0),
    ("logit", mg.logit, 0.05, 0.95),
    ("entr", mg.special.entr, 0.1, 3.0),
]


@pytest.mark.parametrize("name,fn,lo,hi", POSITIVE, ids=[p[0] for p in POSITIVE])
def test_gradcheck(name, fn, lo, hi):
    x = mg.tensor(np.random.default_rng(0).uniform(lo, hi, (3, 4)), requires_grad=True)
    assert mg.gradcheck(fn, (x,))
    if name != "polygamma1":  # trigamma's derivative, polygamma(2), is a different algorithm
        assert mg.gradgradcheck(fn, (x,))


def test_xlogy_gradgradcheck():
    rng = np.random.default_rng(1)
    a = mg.tensor(rng.uniform(-2, 2, (3, 1)), requires_grad=True)
    b = mg.tensor(rng.uniform(0.2, 3, (1, 4)), requires_grad=True)
    for f in (mg.special.xlogy, mg.special.xlog1py):
        assert mg.gradcheck(f, (a, b))
        assert mg.gradgradcheck(f, (a, b))


def test_sinc_second_derivative_like_torch():
    t = torch.tensor([0.0, 1.0, 0.3], dtype=torch.float64, requires_grad=True)
    m = mg.tensor([0.0, 1.0, 0.3], dtype=mg.float64, requires_grad=True)
    (gt,) = torch.autograd.grad(t.sinc().sum(), t, create_graph=True)
    (gm,) = mg.grad(m.sinc().sum(), m, create_graph=True)
    check(mg.grad(gm.sum(), m)[0], torch.autograd.grad(gt.sum(), t)[0], np.float64)


def test_namespace_aliases():
    x = mg.tensor([[0.5, -1.0, 2.0]])
    t = torch.tensor([[0.5, -1.0, 2.0]])
    check(mg.special.expit(x), torch.special.expit(t), np.float32)
    check(mg.special.logsumexp(x, 1), torch.special.logsumexp(t, 1), np.float32)
    check(mg.special.softmax(x, 1), torch.special.softmax(t, 1), np.float32)
    check(mg.special.log_softmax(x, 1), torch.special.log_softmax(t, 1), np.float32)
    for name in ("erf", "exp2", "expm1", "log1p", "sinc", "digamma", "gammaln", "erfinv"):
        check(getattr(mg.special, name)(x), getattr(torch.special, name)(t), np.float32)


@pytest.mark.parametrize(
    "values",
    [
        [0.0, 2.0, NAN, 3.0],
        [2.0, 0.0, NAN, 3.0],
        [2.0, NAN, 0.0, 3.0],
        [2.0, 0.0, 5.0, 0.0, 3.0],
        [INF, 0.0, 2.0],
        [0.0, INF, 2.0],
        [0.0, 2.0, 0.0, NAN],
    ],
)
def test_cumprod_grad_zero_and_nan(values):
    t = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    m = mg.tensor(values, dtype=mg.float64, requires_grad=True)
    gt = torch.autograd.grad(t.cumprod(0).sum(), t)[0]
    gm = mg.grad(m.cumprod(0).sum(), m)[0]
    check(gm, gt, np.float64)
