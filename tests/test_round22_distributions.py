"""Round 22, distributions against torch.distributions: enumerate_support on the base
class and Independent, the rest of PyTorch's constraints (check values, shapes,
event_dim, is_discrete, repr), ExponentialFamily (class hierarchy, natural parameters,
Bregman-divergence entropy and KL) and sample_n's deprecation warning."""

import warnings

import numpy as np
import pytest

import minigrad as mg
from minigrad import distributions as D

torch = pytest.importorskip("torch")
TD = torch.distributions
LIBS = [(mg, D), (torch, TD)]


def _both(fn):
    """fn(T, dists) for minigrad then torch."""
    return [fn(T, dists) for T, dists in LIBS]


def _raises(fn):
    """(type, message) of what fn raises, or its result."""
    try:
        return fn()
    except Exception as e:  # noqa: BLE001 - compared between the libraries
        return type(e).__name__, str(e)


def _arr(x):
    return np.asarray(x.detach().numpy())


def _same(got, want, rtol=1e-6, atol=1e-7):
    got, want = _arr(got), _arr(want)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    assert got.shape == want.shape, (got.shape, want.shape)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


# ---------------------------------------------------------------- enumerate_support


@pytest.mark.parametrize("expand", [True, False])
@pytest.mark.parametrize(
    "make",
    [
        lambda T, d: d.Bernoulli(T.tensor([0.3, 0.4])),
        lambda T, d: d.Bernoulli(T.tensor([[0.3, 0.4], [0.1, 0.9]], dtype=T.float64)),
        lambda T, d: d.Categorical(T.tensor([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]])),
        lambda T, d: d.Bernoulli(0.3),
    ],
)
def test_independent_zero_enumerate_support(make, expand):
    got, want = _both(lambda T, d: d.Independent(make(T, d), 0))
    assert got.has_enumerate_support is want.has_enumerate_support is True
    _same(got.enumerate_support(expand), want.enumerate_support(expand))
    _same(got.enumerate_support(expand=expand), want.enumerate_support(expand=expand))


def test_independent_cartesian_product_raises():
    got, want = _both(lambda T, d: d.Independent(d.Bernoulli(T.tensor([[0.3, 0.4]])), 1))
    assert got.has_enumerate_support is want.has_enumerate_support is False
    err = _raises(got.enumerate_support)
    assert err == _raises(want.enumerate_support)
    assert err == ("NotImplementedError", "Enumeration over cartesian product is not implemented")
    got, want = _both(lambda T, d: d.Independent(d.Normal(T.zeros(2), T.ones(2)), 0))
    assert got.has_enumerate_support is want.has_enumerate_support is False
    assert _raises(got.enumerate_support) == _raises(want.enumerate_support)


def test_base_enumerate_support_raises():
    def custom(T, d):
        class Coin(d.Distribution):
            arg_constraints = {}

        return Coin(validate_args=False)

    for make in [
        lambda T, d: d.Normal(0.0, 1.0),
        lambda T, d: d.Uniform(T.zeros(2), T.ones(2)),
        custom,
    ]:
        got, want = _both(make)
        assert got.has_enumerate_support is want.has_enumerate_support is False
        for kw in ({}, {"expand": False}):
            err = _raises(lambda g=got, k=kw: g.enumerate_support(**k))
            assert err == _raises(lambda w=want, k=kw: w.enumerate_support(**k))
            assert err == ("NotImplementedError", "")
    assert D.Distribution.has_enumerate_support is TD.Distribution.has_enumerate_support


@pytest.mark.parametrize(
    "make",
    [
        lambda T, d: d.Normal(0.0, 1.0),
        lambda T, d: d.Uniform(0.0, 1.0),
        lambda T, d: d.Bernoulli(0.3),
        lambda T, d: d.Categorical(T.tensor([0.5, 0.5])),
        lambda T, d: d.OneHotCategorical(T.tensor([0.5, 0.5])),
        lambda T, d: d.Independent(d.Bernoulli(T.tensor([0.5, 0.5])), 0),
        lambda T, d: d.Independent(d.Bernoulli(T.tensor([0.5, 0.5])), 1),
        lambda T, d: d.Independent(d.Categorical(T.ones(2, 3)), 1),
    ],
)
def test_has_enumerate_support(make):
    got, want = _both(make)
    assert got.has_enumerate_support == want.has_enumerate_support


# ---------------------------------------------------------------- constraints

C_MG, C_T = D.constraints, TD.constraints

SCALARS = [-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 3.0, float("inf"), float("nan")]


def _scalar_constraints(c):
    return {
        "nonnegative": c.nonnegative,
        "nonnegative_integer": c.nonnegative_integer,
        "positive_integer": c.positive_integer,
        "half_open_interval": c.half_open_interval(-1.0, 1.0),
        "half_open_interval_int": c.half_open_interval(0, 2),
        "greater_than_eq": c.greater_than_eq(0.5),
        "greater_than_eq_neg": c.greater_than_eq(-1),
    }


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
@pytest.mark.parametrize("name", list(_scalar_constraints(C_T)))
def test_scalar_constraints(name, dtype):
    got, want = _scalar_constraints(C_MG)[name], _scalar_constraints(C_T)[name]
    assert repr(got) == repr(want)
    assert got.event_dim == want.event_dim
    assert got.is_discrete == want.is_discrete
    assert isinstance(got, C_MG.Constraint)
    vals = np.array(SCALARS if dtype != "int64" else [-2, -1, 0, 1, 2, 3]).astype(dtype)
    for arr in (vals, vals.reshape(-1, 1)[:4].reshape(2, 2), np.asarray(vals[4])):
        _same(got.check(mg.tensor(arr)), want.check(torch.tensor(arr)))


MATRICES = {
    "identity": np.eye(3),
    "pd": np.array([[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]]),
    "psd_singular": np.array([[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 2.0]]),
    "indefinite": np.array([[1.0, 2.0, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 1.0]]),
    "nonsymmetric": np.array([[1.0, 0.3, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]),
    "nearly_symmetric": np.array([[1.0, 0.3 + 1e-9, 0.0], [0.3, 1.0, 0.0], [0.0, 0.0, 1.0]]),
    "lower": np.array([[2.0, 0.0, 0.0], [1.0, 3.0, 0.0], [-1.0, 0.5, 1.0]]),
    "lower_zero_diag": np.array([[2.0, 0.0, 0.0], [1.0, 0.0, 0.0], [-1.0, 0.5, 1.0]]),
    "corr_cholesky": np.array([[1.0, 0.0, 0.0], [0.6, 0.8, 0.0], [0.0, 0.6, 0.8]]),
    "corr_cholesky_off": np.array([[1.0, 0.0, 0.0], [0.6, 0.81, 0.0], [0.0, 0.6, 0.8]]),
    "negative_diag": -np.eye(3),
    "zeros": np.zeros((3, 3)),
    "nan": np.full((3, 3), np.nan),
}


def _matrix_constraints(c):
    return {
        "lower_triangular": c.lower_triangular,
        "lower_cholesky": c.lower_cholesky,
        "corr_cholesky": c.corr_cholesky,
        "square": c.square,
        "symmetric": c.symmetric,
        "positive_semidefinite": c.positive_semidefinite,
        "positive_definite": c.positive_definite,
    }


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", list(_matrix_constraints(C_T)))
def test_matrix_constraints(name, dtype):
    got, want = _matrix_constraints(C_MG)[name], _matrix_constraints(C_T)[name]
    assert repr(got) == repr(want)
    assert got.event_dim == want.event_dim == 2
    assert got.is_discrete == want.is_discrete
    for key, m in MATRICES.items():
        arr = m.astype(dtype)
        _same(got.check(mg.tensor(arr)), want.check(torch.tensor(arr)))
        assert bool(got.check(mg.tensor(arr))) == bool(want.check(torch.tensor(arr))), key
    # batches: all of one kind, mixed, and with extra batch dims
    stack = np.stack(list(MATRICES.values())).astype(dtype)
    goods = np.stack([MATRICES["identity"], MATRICES["pd"]]).astype(dtype)
    for arr in (stack, goods, stack.reshape(13, 1, 3, 3), goods.reshape(1, 2, 3, 3)):
        _same(got.check(mg.tensor(arr)), want.check(torch.tensor(arr)))


@pytest.mark.parametrize("name", ["square", "symmetric", "positive_definite"])
def test_non_square_matrices(name):
    got, want = _matrix_constraints(C_MG)[name], _matrix_constraints(C_T)[name]
    for shape in [(2, 3), (4, 2, 3), (3, 2)]:
        arr = np.arange(np.prod(shape), dtype="float64").reshape(shape)
        _same(got.check(mg.tensor(arr)), want.check(torch.tensor(arr)))


@pytest.mark.parametrize("dtype", ["float32", "int64"])
def test_multinomial_constraint(dtype):
    got, want = C_MG.multinomial(5), C_T.multinomial(5)
    assert repr(got) == repr(want)
    assert (got.event_dim, got.is_discrete) == (want.event_dim, want.is_discrete) == (1, True)
    arr = np.array([[1, 2, 2], [3, 3, 0], [0, 0, 0], [-1, 3, 1], [5, 0, 0]]).astype(dtype)
    for a in (arr, arr[0], arr.reshape(5, 1, 3)):
        _same(got.check(mg.tensor(a)), want.check(torch.tensor(a)))


def _combined(c):
    return {
        "cat": c.cat([c.positive, c.real, c.unit_interval], dim=-1, lengths=[2, 1, 1]),
        "cat_default": c.cat([c.positive, c.nonnegative_integer], dim=0),
        "cat_vector": c.cat([c.simplex, c.real_vector], dim=-1, lengths=[2, 2]),
        "stack": c.stack([c.positive, c.real, c.boolean, c.nonnegative], dim=-1),
        "stack_dim0": c.stack([c.positive, c.boolean], dim=0),
        "stack_vector": c.stack([c.simplex, c.real_vector], dim=-2),
    }


@pytest.mark.parametrize("name", list(_combined(C_T)))
def test_cat_and_stack(name):
    got, want = _combined(C_MG)[name], _combined(C_T)[name]
    assert repr(got) == repr(want)
    assert got.event_dim == want.event_dim
    assert got.is_discrete == want.is_discrete
    rng = np.random.default_rng(0)
    if name.endswith("dim0"):
        shapes = [(2, 4), (2, 3, 4), (2,)]
    elif name == "cat_default":
        shapes = [(2, 3), (2,)]
    elif name.endswith("vector"):
        shapes = [(2, 4), (3, 2, 4)] if name.startswith("cat") else [(3, 2, 2), (4, 3, 2, 2)]
    else:
        shapes = [(4,), (3, 4), (2, 3, 4)]
    for shape in shapes:
        for arr in (rng.choice([-1.0, 0.0, 0.5, 1.0, 2.0], size=shape), np.full(shape, 0.5)):
            _same(got.check(mg.tensor(arr)), want.check(torch.tensor(arr)))


def test_cat_stack_errors():
    for c in (C_MG, C_T):
        with pytest.raises(AssertionError):
            c.cat([c.real, 1.0])
        with pytest.raises(AssertionError):
            c.cat([c.real, c.real], lengths=[1])
        with pytest.raises(AssertionError):
            c.stack([c.real, "x"])
    a = np.zeros(3)
    assert _raises(lambda: C_MG.cat([C_MG.real], dim=1).check(mg.tensor(a))) == _raises(
        lambda: C_T.cat([C_T.real], dim=1).check(torch.tensor(a))
    )
    assert _raises(lambda: C_MG.stack([C_MG.real], dim=-2).check(mg.tensor(a))) == _raises(
        lambda: C_T.stack([C_T.real], dim=-2).check(torch.tensor(a))
    )


def test_constraints_public_names():
    names = [
        "nonnegative",
        "nonnegative_integer",
        "positive_integer",
        "half_open_interval",
        "greater_than_eq",
        "lower_triangular",
        "lower_cholesky",
        "positive_definite",
        "positive_semidefinite",
        "square",
        "symmetric",
        "corr_cholesky",
        "cat",
        "stack",
        "multinomial",
    ]
    for n in names:
        assert n in C_MG.__all__
        assert type(getattr(C_MG, n)).__name__ == type(getattr(C_T, n)).__name__, n


def test_user_distribution_with_new_constraints():
    def make(T, d):
        class Rate(d.Distribution):
            arg_constraints = {"rate": d.constraints.nonnegative}
            support = d.constraints.nonnegative_integer

            def __init__(self, rate):
                self.rate = rate
                super().__init__(T.Size(rate.shape))

        return Rate

    got, want = _both(make)
    ok = np.array([0.0, 2.0])
    got(mg.tensor(ok))._validate_sample(mg.tensor([1.0, 3.0]))
    want(torch.tensor(ok))._validate_sample(torch.tensor([1.0, 3.0]))
    bad = np.array([-1.0, 2.0])
    for cls, T in ((got, mg), (want, torch)):
        with pytest.raises(ValueError, match="to satisfy the constraint GreaterThanEq"):
            cls(T.tensor(bad))
        with pytest.raises(ValueError, match="IntegerGreaterThan\\(lower_bound=0\\)"):
            cls(T.tensor(ok))._validate_sample(T.tensor([0.5, 1.0]))


# ---------------------------------------------------------------- ExponentialFamily


@pytest.mark.parametrize(
    "make",
    [
        lambda T, d: d.Normal(0.0, 1.0),
        lambda T, d: d.Bernoulli(0.3),
        lambda T, d: d.Categorical(T.tensor([0.5, 0.5])),
        lambda T, d: d.OneHotCategorical(T.tensor([0.5, 0.5])),
        lambda T, d: d.Uniform(0.0, 1.0),
        lambda T, d: d.Independent(d.Normal(T.zeros(2), T.ones(2)), 1),
    ],
)
def test_exponential_family_hierarchy(make):
    got, want = _both(make)
    assert isinstance(got, D.ExponentialFamily) == isinstance(want, TD.ExponentialFamily)
    assert isinstance(got, D.Distribution)
    names = [c.__name__ for c in type(got).__mro__ if c is not object]
    # torch's Distribution also derives from typing.Generic
    assert names == [
        c.__name__ for c in type(want).__mro__ if c.__name__ not in ("object", "Generic")
    ]
    assert D.exp_family.ExponentialFamily is D.ExponentialFamily


def _normal(T, d, dtype):
    loc = T.tensor(np.array([[0.5, -1.0, 3.0], [0.0, 2.0, -0.2]], dtype=dtype))
    scale = T.tensor(np.array([[1.5, 0.3, 2.0], [0.1, 1.0, 7.0]], dtype=dtype))
    return d.Normal(loc, scale)


def _bernoulli_probs(T, d, dtype):
    return d.Bernoulli(probs=T.tensor(np.array([0.1, 0.5, 0.9, 0.3], dtype=dtype)))


def _bernoulli_logits(T, d, dtype):
    return d.Bernoulli(logits=T.tensor(np.array([[-3.0, 0.0], [2.0, 0.7]], dtype=dtype)))


EXPFAMS = [
    _normal,
    _bernoulli_probs,
    _bernoulli_logits,
    lambda T, d, dtype: d.Normal(0.5, 2.0),
    lambda T, d, dtype: d.Bernoulli(0.25),
]
TOL = {"float32": {"rtol": 1e-5, "atol": 1e-6}, "float64": {"rtol": 1e-10, "atol": 1e-12}}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("make", EXPFAMS)
def test_exponential_family_entropy(make, dtype):
    got, want = _both(lambda T, d: make(T, d, dtype))
    dtype = str(want.mean.dtype).split(".")[-1]  # the number-parameter ones are float32
    assert got._mean_carrier_measure == want._mean_carrier_measure == 0
    gp, wp = got._natural_params, want._natural_params
    assert len(gp) == len(wp)
    for g, w in zip(gp, wp, strict=True):
        _same(g, w, **TOL[dtype])
    _same(got._log_normalizer(*gp), want._log_normalizer(*wp), **TOL[dtype])
    ent = D.ExponentialFamily.entropy(got)
    _same(ent, TD.ExponentialFamily.entropy(want), **TOL[dtype])
    # the Bregman-divergence entropy is the closed form
    _same(ent, got.entropy(), **TOL[dtype])
    _same(ent, want.entropy(), **TOL[dtype])
    assert ent.requires_grad == TD.ExponentialFamily.entropy(want).requires_grad


def test_exponential_family_abstract_methods():
    for d in (D, TD):

        class Fam(d.ExponentialFamily):
            arg_constraints = {}

        f = Fam(validate_args=False)
        with pytest.raises(NotImplementedError):
            f._natural_params  # noqa: B018
        with pytest.raises(NotImplementedError):
            f._log_normalizer(1.0)
        with pytest.raises(NotImplementedError):
            f._mean_carrier_measure  # noqa: B018
        with pytest.raises(NotImplementedError):
            f.entropy()


def _exponential(T, d):
    """A user's exponential family (the Exponential distribution, rate lambda): natural
    parameter -lambda, log normalizer -log(-x), carrier measure 0."""

    class Expo(d.ExponentialFamily):
        arg_constraints = {"rate": d.constraints.positive}
        support = d.constraints.nonnegative
        _mean_carrier_measure = 0

        def __init__(self, rate):
            self.rate = rate
            super().__init__(T.Size(rate.shape))

        @property
        def _natural_params(self):
            return (-self.rate,)

        def _log_normalizer(self, x):
            return -T.log(-x)

    return Expo


def test_user_exponential_family_entropy_and_kl():
    got_cls, want_cls = _both(_exponential)
    a, b = np.array([0.5, 1.0, 3.0]), np.array([2.0, 1.0, 0.1])
    p, q = got_cls(mg.tensor(a)), got_cls(mg.tensor(b))
    tp, tq = want_cls(torch.tensor(a)), want_cls(torch.tensor(b))
    _same(p.entropy(), tp.entropy(), rtol=1e-12)
    np.testing.assert_allclose(p.entropy().detach().numpy(), 1 - np.log(a), rtol=1e-12)
    # the ExponentialFamily KL rule, by Bregman divergence
    _same(D.kl_divergence(p, q), TD.kl_divergence(tp, tq), rtol=1e-12)
    np.testing.assert_allclose(
        D.kl_divergence(p, q).detach().numpy(), np.log(a / b) + b / a - 1, rtol=1e-12
    )


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_kl_same_family_unchanged(dtype):
    """Normal/Normal and Bernoulli/Bernoulli keep their own rules; the ExponentialFamily
    rule is a fallback."""
    got_p, want_p = _both(lambda T, d: _normal(T, d, dtype))
    got_q, want_q = _both(lambda T, d: d.Normal(T.tensor(np.array(0.3, dtype)), 1.5))
    _same(D.kl_divergence(got_p, got_q), TD.kl_divergence(want_p, want_q), **TOL[dtype])
    got_p, want_p = _both(lambda T, d: _bernoulli_probs(T, d, dtype))
    got_q, want_q = _both(lambda T, d: d.Bernoulli(T.tensor(np.array(0.6, dtype))))
    _same(D.kl_divergence(got_p, got_q), TD.kl_divergence(want_p, want_q), **TOL[dtype])


def test_kl_between_exponential_families_raises():
    for mk_p, mk_q in [
        (lambda T, d: d.Normal(0.0, 1.0), lambda T, d: d.Bernoulli(0.3)),
        (lambda T, d: d.Bernoulli(0.3), lambda T, d: d.Normal(0.0, 1.0)),
    ]:
        (gp, wp), (gq, wq) = _both(mk_p), _both(mk_q)
        err = _raises(lambda gp=gp, gq=gq: D.kl_divergence(gp, gq))
        assert err == _raises(lambda wp=wp, wq=wq: TD.kl_divergence(wp, wq))
        assert err[0] == "NotImplementedError"


# ---------------------------------------------------------------- sample_n


def test_sample_n_warns():
    records = []
    for T, d in LIBS:
        dist = d.Normal(T.zeros(3), T.ones(3))
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            out = dist.sample_n(4)
        assert tuple(out.shape) == (4, 3)
        assert len(w) == 1
        records.append((w[0].category, str(w[0].message), w[0].filename))
    assert records[0] == records[1]
    assert records[0][0] is FutureWarning
    assert records[0][2] == __file__
    assert D.Distribution.sample_n.__deprecated__ == TD.Distribution.sample_n.__deprecated__
    with pytest.warns(FutureWarning, match=r"`sample_n\(n\)` will be deprecated"):
        D.Bernoulli(0.5).sample_n(2)
