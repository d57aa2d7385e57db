"""minigrad.distributions against torch.distributions: values and gradients of log_prob,
entropy, moments and kl_divergence, shapes, validation errors, sample statistics (the
draws are minigrad's own, so only their distribution is compared) and a VAE step."""

import numpy as np
import pytest

import minigrad as mg
from minigrad import distributions as D

torch = pytest.importorskip("torch")
TD = torch.distributions

DTYPES = ["float32", "float64"]
TOL = {"float32": {"rtol": 2e-5, "atol": 2e-6}, "float64": {"rtol": 1e-10, "atol": 1e-12}}


def _pair(arr, dtype, grad=True):
    arr = np.asarray(arr, dtype=dtype)
    return mg.tensor(arr, requires_grad=grad), torch.tensor(arr, requires_grad=grad)


def _close(got, want, dtype, equal_nan=True):
    want = want.detach().numpy()
    got = np.asarray(got.detach().numpy())
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    assert got.shape == want.shape, (got.shape, want.shape)
    np.testing.assert_allclose(got, want, equal_nan=equal_nan, **TOL[dtype])


def compare(fn, params, dtype, consts=()):
    """fn(lib, *params, *consts) in both libraries: equal values and equal gradients of
    the sum of the finite entries with respect to each parameter."""
    pairs = [_pair(p, dtype) for p in params]
    cpairs = [_pair(c, dtype, grad=False) for c in consts]
    got = fn(D, *[m for m, _ in pairs], *[m for m, _ in cpairs])
    want = fn(TD, *[t for _, t in pairs], *[t for _, t in cpairs])
    _close(got, want, dtype)
    finite = np.isfinite(want.detach().numpy())
    if not want.requires_grad or not finite.any():
        return
    mask = finite.astype(dtype)
    (got * mg.tensor(mask)).sum().backward()
    (torch.where(torch.tensor(finite), want, 0) * torch.tensor(mask)).sum().backward()
    for m, t in pairs:
        if t.grad is None:
            assert m.grad is None or not np.any(m.grad.numpy())
            continue
        _close(m.grad, t.grad, dtype)


rng = np.random.default_rng(0)
LOC = rng.normal(size=(3, 1))
SCALE = rng.uniform(0.5, 2.0, size=(4,))
X = rng.normal(size=(2, 3, 4))


# ---------------------------------------------------------------- Normal


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "fn",
    [
        lambda d, loc, scale, x: d.Normal(loc, scale).log_prob(x),
        lambda d, loc, scale, x: d.Normal(loc, scale).cdf(x),
        lambda d, loc, scale, x: d.Normal(loc, scale).entropy(),
        lambda d, loc, scale, x: d.Normal(loc, scale).mean,
        lambda d, loc, scale, x: d.Normal(loc, scale).variance,
        lambda d, loc, scale, x: d.Normal(loc, scale).stddev,
        lambda d, loc, scale, x: d.Normal(loc, scale).perplexity(),
    ],
)
def test_normal_values_and_grads(fn, dtype):
    compare(fn, [LOC, SCALE], dtype, consts=[X])


def test_normal_numbers_and_value_grad():
    got, want = D.Normal(0.5, 2.0), TD.Normal(0.5, 2.0)
    assert got.batch_shape == tuple(want.batch_shape) == ()
    assert got.loc.dtype == np.float32
    compare(lambda d, x: d.Normal(0.5, 2.0).log_prob(x), [X], "float64")


# ---------------------------------------------------------------- Bernoulli

PROBS = np.array([0.0, 0.2, 0.5, 0.9, 1.0])
LOGITS = np.array([-1e4, -100.0, -3.0, 0.0, 2.5, 40.0])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("attr", ["log_prob", "entropy", "mean", "variance", "logits", "probs"])
def test_bernoulli_probs(attr, dtype):
    def fn(d, p, x):
        dist = d.Bernoulli(probs=p)
        return dist.log_prob(x) if attr == "log_prob" else _get(dist, attr)

    compare(fn, [PROBS], dtype, consts=[np.array([[0.0], [1.0]])])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("attr", ["log_prob", "entropy", "mean", "variance", "probs", "mode"])
def test_bernoulli_logits(attr, dtype):
    def fn(d, lg, x):
        dist = d.Bernoulli(logits=lg)
        return dist.log_prob(x) if attr == "log_prob" else _get(dist, attr)

    compare(fn, [LOGITS], dtype, consts=[np.array([[0.0], [1.0]])])


def _get(dist, attr):
    value = getattr(dist, attr)
    return value() if callable(value) else value


def test_bernoulli_scalar_and_enumerate_support():
    got, want = D.Bernoulli(0.3), TD.Bernoulli(0.3)
    assert got.batch_shape == tuple(want.batch_shape) == ()
    b = D.Bernoulli(probs=mg.tensor([[0.1, 0.2, 0.3]]))
    t = TD.Bernoulli(probs=torch.tensor([[0.1, 0.2, 0.3]]))
    for expand in (True, False):
        np.testing.assert_array_equal(
            b.enumerate_support(expand).numpy(), t.enumerate_support(expand).numpy()
        )


# ---------------------------------------------------------------- Categorical

CAT_PROBS = np.array([[0.2, 0.3, 0.5, 0.0], [1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 7.0, 0.0]])
CAT_LOGITS = np.array([[1.0, -2.0, 0.5, 3.0], [-1e4, 0.0, -200.0, 1.0], [5.0, 5.0, 5.0, 5.0]])
CAT_VALUE = np.array([[0, 1, 2], [3, 3, 0]])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("param", ["probs", "logits"])
@pytest.mark.parametrize("attr", ["log_prob", "entropy", "probs", "logits", "mean", "variance"])
def test_categorical(attr, param, dtype):
    arr = CAT_PROBS if param == "probs" else CAT_LOGITS

    def fn(d, a):
        dist = d.Categorical(**{param: a})
        if attr == "log_prob":
            lib = mg if d is D else torch
            return dist.log_prob(lib.tensor(CAT_VALUE))
        return _get(dist, attr)

    compare(fn, [arr], dtype)


def test_categorical_mode_support_and_enumerate():
    got = D.Categorical(probs=mg.tensor(CAT_PROBS))
    want = TD.Categorical(probs=torch.tensor(CAT_PROBS))
    np.testing.assert_array_equal(got.mode.numpy(), want.mode.numpy())
    assert got.param_shape == tuple(want.param_shape)
    assert repr(got.support) == repr(want.support)
    for expand in (True, False):
        np.testing.assert_array_equal(
            got.enumerate_support(expand).numpy(), want.enumerate_support(expand).numpy()
        )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("attr", ["log_prob", "entropy", "mean", "variance", "mode"])
def test_one_hot_categorical(attr, dtype):
    value = np.eye(4)[CAT_VALUE]

    def fn(d, lg, v):
        dist = d.OneHotCategorical(logits=lg)
        return dist.log_prob(v) if attr == "log_prob" else _get(dist, attr)

    compare(fn, [CAT_LOGITS], dtype, consts=[value])
    o = D.OneHotCategorical(probs=mg.tensor(CAT_PROBS))
    t = TD.OneHotCategorical(probs=torch.tensor(CAT_PROBS))
    np.testing.assert_array_equal(o.enumerate_support().numpy(), t.enumerate_support().numpy())


# ---------------------------------------------------------------- Uniform

LOW = np.array([[-1.0], [0.5]])
HIGH = np.array([0.8, 2.0, 3.0])
U_X = np.array([-2.0, -1.0, 0.0, 0.79, 1.5, 2.9])[:, None, None]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("attr", ["log_prob", "cdf", "icdf", "entropy", "mean", "variance"])
def test_uniform(attr, dtype):
    def fn(d, lo, hi, x):
        dist = d.Uniform(lo, hi, validate_args=False)
        if attr in ("log_prob", "cdf"):
            return getattr(dist, attr)(x)
        if attr == "icdf":
            return dist.icdf(x.clamp(0, 1))
        return _get(dist, attr)

    compare(fn, [LOW, np.maximum(HIGH, 0.6)], dtype, consts=[U_X])


# ---------------------------------------------------------------- Independent


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [0, 1, 2])
def test_independent(n, dtype):
    loc, scale = rng.normal(size=(2, 3, 4)), rng.uniform(0.5, 1.5, size=(3, 4))
    x = rng.normal(size=(5, 2, 3, 4))

    def shapes(dist):
        return tuple(dist.batch_shape), tuple(dist.event_shape)

    got = D.Independent(D.Normal(mg.tensor(loc), mg.tensor(scale)), n)
    want = TD.Independent(TD.Normal(torch.tensor(loc), torch.tensor(scale)), n)
    assert shapes(got) == shapes(want)
    assert got.sample((7,)).shape == tuple(want.sample((7,)).shape)
    assert got.has_rsample
    compare(
        lambda d, lo, sc, v: d.Independent(d.Normal(lo, sc), n).log_prob(v),
        [loc, scale],
        dtype,
        consts=[x],
    )
    compare(lambda d, lo, sc: d.Independent(d.Normal(lo, sc), n).entropy(), [loc, scale], dtype)
    compare(lambda d, lo, sc: d.Independent(d.Normal(lo, sc), n).variance, [loc, scale], dtype)


def test_independent_of_one_hot_categorical_shapes():
    got = D.Independent(D.OneHotCategorical(logits=mg.zeros(2, 3, 5)), 1)
    want = TD.Independent(TD.OneHotCategorical(logits=torch.zeros(2, 3, 5)), 1)
    assert (got.batch_shape, got.event_shape) == (tuple(want.batch_shape), tuple(want.event_shape))
    assert got.sample((4,)).shape == (4, 2, 3, 5)


# ---------------------------------------------------------------- kl_divergence


@pytest.mark.parametrize("dtype", DTYPES)
def test_kl_normal(dtype):
    compare(
        lambda d, a, b, c, e: d.kl_divergence(d.Normal(a, b), d.Normal(c, e)),
        [LOC, SCALE, rng.normal(size=(4,)), rng.uniform(0.5, 2, size=(3, 1))],
        dtype,
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ["probs", "logits"])
def test_kl_bernoulli(kind, dtype):
    # torch's rule masks in place, so p and q must have one shape there
    if kind == "probs":
        p, q = np.meshgrid(PROBS, PROBS, indexing="ij")
    else:
        p, q = np.meshgrid(LOGITS, np.array([-5.0, 0.0, 1.0]), indexing="ij")
    compare(
        lambda d, a, b: d.kl_divergence(d.Bernoulli(**{kind: a}), d.Bernoulli(**{kind: b})),
        [p, q],
        dtype,
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ["probs", "logits"])
def test_kl_categorical(kind, dtype):
    arr = CAT_PROBS if kind == "probs" else CAT_LOGITS
    n = len(arr)
    p, q = np.repeat(arr[:, None, :], n, 1), np.repeat(arr[None, :, :], n, 0)
    compare(
        lambda d, a, b: d.kl_divergence(d.Categorical(**{kind: a}), d.Categorical(**{kind: b})),
        [p, q],
        dtype,
    )
    compare(
        lambda d, a, b: d.kl_divergence(
            d.OneHotCategorical(**{kind: a}), d.OneHotCategorical(**{kind: b})
        ),
        [p, q],
        dtype,
    )


@pytest.mark.parametrize("dtype", DTYPES)
def test_kl_uniform(dtype):
    compare(
        lambda d, a, b, c, e: d.kl_divergence(d.Uniform(a, b), d.Uniform(c, e)),
        [np.array([0.0, -1.0, 0.5]), np.array([1.0, 2.0, 3.0]), np.array([-0.5]), np.array([2.5])],
        dtype,
    )


@pytest.mark.parametrize("dtype", DTYPES)
def test_kl_independent(dtype):
    compare(
        lambda d, a, b, c, e: d.kl_divergence(
            d.Independent(d.Normal(a, b), 1), d.Independent(d.Normal(c, e), 1)
        ),
        [LOC, SCALE, rng.normal(size=(4,)), rng.uniform(0.5, 2, size=(3, 1))],
        dtype,
    )


def test_kl_not_implemented():
    pairs = [
        (D.Bernoulli(0.3), D.Normal(0.0, 1.0)),
        (
            D.Independent(D.Normal(mg.zeros(2, 2), 1.0), 1),
            D.Independent(D.Normal(mg.zeros(2, 2), 1.0), 2),
        ),
    ]
    for p, q in pairs:
        with pytest.raises(NotImplementedError):
            D.kl_divergence(p, q)
    assert D.kl.kl_divergence is D.kl_divergence


def test_register_kl_subclass():
    class MyNormal(D.Normal):
        pass

    p, q = MyNormal(0.0, 1.0), D.Normal(1.0, 2.0)
    np.testing.assert_allclose(
        D.kl_divergence(p, q).item(), D.kl_divergence(D.Normal(0.0, 1.0), q).item()
    )

    @D.register_kl(MyNormal, D.Normal)
    def _kl_mine(p, q):
        return mg.tensor(7.0)

    try:
        assert D.kl_divergence(p, q).item() == 7.0
        assert D.kl_divergence(q, q).item() == 0.0
    finally:
        del D.kl._KL_REGISTRY[MyNormal, D.Normal]
        D.kl._KL_MEMOIZE.clear()


# ---------------------------------------------------------------- shapes and samples


def _families(lib, dtype):
    t = mg.tensor if lib is D else torch.tensor
    f = np.dtype(dtype)
    return [
        lib.Normal(t(np.zeros((2, 3), f)), t(np.ones(3, f))),
        lib.Uniform(t(np.zeros((3,), f)), t(np.ones((2, 1), f))),
        lib.Bernoulli(probs=t(np.full((2, 3), 0.3, f))),
        lib.Bernoulli(logits=t(np.zeros(3, f))),
        lib.Categorical(logits=t(np.zeros((2, 5), f))),
        lib.Categorical(probs=t(np.ones(4, f))),
        lib.OneHotCategorical(probs=t(np.ones((3, 4), f))),
        lib.Independent(lib.Normal(t(np.zeros((2, 3), f)), t(np.ones(3, f))), 1),
        lib.Normal(0.0, 1.0),
        lib.Bernoulli(0.5),
    ]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("sample_shape", [(), (4,), (2, 5), 3])
def test_sample_shapes_and_dtypes(sample_shape, dtype):
    for got, want in zip(_families(D, dtype), _families(TD, dtype), strict=True):
        assert got.batch_shape == tuple(want.batch_shape), type(got)
        assert got.event_shape == tuple(want.event_shape), type(got)
        ss = torch.Size([sample_shape]) if isinstance(sample_shape, int) else sample_shape
        a, b = got.sample(sample_shape), want.sample(ss)
        assert a.shape == tuple(b.shape), type(got)
        assert a.dtype == np.dtype(str(b.dtype).removeprefix("torch.")), type(got)
        assert not a.requires_grad
        if want.has_rsample:
            assert got.rsample(ss).shape == tuple(want.rsample(ss).shape)
        else:
            with pytest.raises(NotImplementedError):
                got.rsample()
        assert got.log_prob(a).shape == tuple(want.log_prob(b).shape)
        assert got.entropy().shape == tuple(want.entropy().shape)


def test_expand():
    for got, want in zip(_families(D, "float64"), _families(TD, "float64"), strict=True):
        shape = (4, *want.batch_shape)
        g, w = got.expand(shape), want.expand(shape)
        assert type(g) is type(got)
        assert (g.batch_shape, g.event_shape) == (tuple(w.batch_shape), tuple(w.event_shape))
        assert g.sample((2,)).shape == tuple(w.sample((2,)).shape)
        np.testing.assert_allclose(g.entropy().numpy(), w.entropy().numpy(), rtol=1e-12)


def test_sample_statistics():
    mg.manual_seed(1)
    n = 200_000
    s = D.Normal(mg.tensor([1.0, -2.0]), mg.tensor([0.5, 3.0])).sample((n,)).numpy()
    np.testing.assert_allclose(s.mean(0), [1.0, -2.0], atol=0.03)
    np.testing.assert_allclose(s.std(0), [0.5, 3.0], rtol=0.01)
    s = D.Uniform(mg.tensor([-1.0, 2.0]), mg.tensor([1.0, 2.5])).sample((n,)).numpy()
    assert (s >= [-1.0, 2.0]).all() and (s < [1.0, 2.5]).all()
    np.testing.assert_allclose(s.mean(0), [0.0, 2.25], atol=0.01)
    s = D.Bernoulli(logits=mg.tensor([-2.0, 0.0, 3.0])).sample((n,)).numpy()
    np.testing.assert_allclose(s.mean(0), 1 / (1 + np.exp([2.0, 0.0, -3.0])), atol=0.005)
    probs = np.array([[0.1, 0.6, 0.3], [0.5, 0.0, 0.5]])
    s = D.Categorical(probs=mg.tensor(probs)).sample((n,)).numpy()
    freq = np.stack([(s == k).mean(0) for k in range(3)], -1)
    np.testing.assert_allclose(freq, probs, atol=0.005)
    s = D.OneHotCategorical(probs=mg.tensor(probs)).sample((n,)).numpy()
    np.testing.assert_allclose(s.mean(0), probs, atol=0.005)


def test_samples_follow_the_global_generator():
    dist = D.Normal(mg.zeros(3), mg.ones(3))
    mg.manual_seed(5)
    a = dist.sample((4,)).numpy()
    mg.manual_seed(5)
    np.testing.assert_array_equal(a, dist.sample((4,)).numpy())


@pytest.mark.parametrize("dtype", DTYPES)
def test_rsample_gradients(dtype):
    loc, scale = _pair(LOC, dtype)[0], _pair(SCALE, dtype)[0]
    z = D.Normal(loc, scale).rsample((5,))
    assert z.shape == (5, 3, 4) and z.dtype == np.dtype(dtype) and z.requires_grad
    eps = ((z - loc) / scale).detach().numpy()
    z.sum().backward()
    np.testing.assert_allclose(loc.grad.numpy(), np.full((3, 1), 20.0), rtol=1e-6)
    np.testing.assert_allclose(scale.grad.numpy(), eps.sum((0, 1)), rtol=1e-5, atol=1e-5)
    low, high = _pair([0.0, 1.0], dtype)[0], _pair([2.0, 5.0], dtype)[0]
    u = D.Uniform(low, high).rsample((6,))
    frac = ((u - low) / (high - low)).detach().numpy()
    u.sum().backward()
    np.testing.assert_allclose(low.grad.numpy(), (1 - frac).sum(0), rtol=1e-5)
    np.testing.assert_allclose(high.grad.numpy(), frac.sum(0), rtol=1e-5)
    with mg.no_grad():
        assert not D.Normal(loc, scale).rsample().requires_grad
    assert not D.Normal(loc, scale).sample().requires_grad


def test_lazy_logits_keep_the_graph_under_no_grad():
    p = mg.tensor([0.3, 0.6], requires_grad=True)
    dist = D.Bernoulli(probs=p)
    with mg.no_grad():
        logits = dist.logits
    assert logits.requires_grad


# ---------------------------------------------------------------- validation


def _both_raise(make):
    """make(lib, tensor) raises the same exception type in both libraries."""
    errors = []
    for lib, t in ((D, mg.tensor), (TD, torch.tensor)):
        with pytest.raises(Exception) as info:  # noqa: B017 - the type is compared below
            make(lib, t)
        errors.append(info.type)
    assert errors[0] is errors[1], errors
    return errors[0]


@pytest.mark.parametrize(
    "make",
    [
        lambda d, t: d.Normal(t([0.0]), t([0.0])),
        lambda d, t: d.Normal(t([float("nan")]), t([1.0])),
        lambda d, t: d.Normal(0.0, -1.0),
        lambda d, t: d.Normal("a", 1.0),
        lambda d, t: d.Bernoulli(probs=t([1.5])),
        lambda d, t: d.Bernoulli(logits=t([float("nan")])),
        lambda d, t: d.Bernoulli(),
        lambda d, t: d.Bernoulli(probs=t([0.5]), logits=t([0.0])),
        lambda d, t: d.Categorical(probs=t([0.5, -0.1, 0.6])),
        lambda d, t: d.Categorical(probs=t(0.5)),
        lambda d, t: d.Categorical(logits=t(0.5)),
        lambda d, t: d.Categorical(logits=t([0.0, float("nan")])),
        lambda d, t: d.OneHotCategorical(probs=t([-1.0, 2.0])),
        lambda d, t: d.Uniform(t([1.0]), t([1.0])),
        lambda d, t: d.Uniform(2.0, 1.0),
        lambda d, t: d.Independent(d.Normal(t([0.0]), t([1.0])), 2),
        lambda d, t: d.Normal(t([0.0]), t([1.0])).log_prob(t([float("nan")])),
        lambda d, t: d.Normal(t([0.0]), t([1.0])).log_prob(0.5),
        lambda d, t: d.Normal(t([0.0, 1.0]), t([1.0])).log_prob(t([0.0, 1.0, 2.0])),
        lambda d, t: d.Bernoulli(t([0.5])).log_prob(t([0.5])),
        lambda d, t: d.Categorical(t([0.5, 0.5])).log_prob(t([2])),
        lambda d, t: d.Categorical(t([0.5, 0.5])).log_prob(t([-1])),
        lambda d, t: d.OneHotCategorical(t([0.5, 0.5])).log_prob(t([1.0, 1.0])),
        lambda d, t: d.OneHotCategorical(t([0.5, 0.5])).log_prob(t([1.0, 0.0, 0.0])),
        lambda d, t: d.Uniform(t([0.0]), t([1.0])).log_prob(t([1.5])),
        lambda d, t: d.Independent(d.Normal(t([[0.0]]), t([[1.0]])), 1).log_prob(t([[-1e400]]) * 0),
    ],
)
def test_validation_errors(make):
    _both_raise(make)


def test_validation_can_be_turned_off():
    assert D.Normal(mg.tensor([0.0]), mg.tensor([-1.0]), validate_args=False).scale.item() == -1.0
    lp = D.Uniform(0.0, 1.0, validate_args=False).log_prob(mg.tensor([2.0]))
    assert np.isneginf(lp.numpy()).all()
    D.Distribution.set_default_validate_args(False)
    try:
        D.Bernoulli(probs=mg.tensor([2.0]))
    finally:
        D.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError):
        D.Bernoulli(probs=mg.tensor([2.0]))


def test_validation_messages_match():
    def message(make):
        texts = []
        for lib, t in ((D, mg.tensor), (TD, torch.tensor)):
            with pytest.raises(ValueError) as info:
                make(lib, t)
            texts.append(str(info.value).split("(")[0])
        return texts

    for make in [
        lambda d, t: d.Normal(t([0.0]), t([0.0])),
        lambda d, t: d.Bernoulli(t([0.5])).log_prob(t([0.5])),
        lambda d, t: d.Bernoulli(),
        lambda d, t: d.Normal(t([0.0]), t([1.0])).log_prob(0.5),
    ]:
        got, want = message(make)
        assert got == want


# ---------------------------------------------------------------- VAE step


@pytest.mark.parametrize("dtype", DTYPES)
def test_vae_step(dtype):
    """Encoder -> Normal posterior -> rsample -> Bernoulli decoder; loss = -log p(x|z) +
    KL(q || N(0, 1)). The draw is minigrad's, so torch reuses its eps."""
    x_np = (rng.uniform(size=(8, 6)) > 0.5).astype(dtype)
    w_enc, w_dec = rng.normal(size=(6, 4)) * 0.5, rng.normal(size=(2, 6)) * 0.5

    (we, we_t), (wd, wd_t) = _pair(w_enc, dtype), _pair(w_dec, dtype)
    x, x_t = _pair(x_np, dtype, grad=False)

    h = x @ we
    q = D.Independent(D.Normal(h[:, :2], mg.exp(h[:, 2:] * 0.5)), 1)
    z = q.rsample()
    eps = ((z - q.mean) / q.stddev).detach().numpy()
    prior = D.Independent(D.Normal(mg.zeros(2, dtype=dtype), mg.ones(2, dtype=dtype)), 1)
    recon = D.Independent(D.Bernoulli(logits=z @ wd), 1).log_prob(x)
    loss = (-recon + D.kl_divergence(q, prior)).mean()
    loss.backward()

    h_t = x_t @ we_t
    q_t = TD.Independent(TD.Normal(h_t[:, :2], torch.exp(h_t[:, 2:] * 0.5)), 1)
    z_t = q_t.mean + torch.tensor(eps) * q_t.stddev
    prior_t = TD.Independent(
        TD.Normal(torch.zeros(2, dtype=z_t.dtype), torch.ones(2, dtype=z_t.dtype)), 1
    )
    recon_t = TD.Independent(TD.Bernoulli(logits=z_t @ wd_t), 1).log_prob(x_t)
    loss_t = (-recon_t + TD.kl_divergence(q_t, prior_t)).mean()
    loss_t.backward()

    _close(loss, loss_t, dtype)
    _close(we.grad, we_t.grad, dtype)
    _close(wd.grad, wd_t.grad, dtype)


def test_subclass_without_constraints_warns():
    class Bare(D.Distribution):
        def log_prob(self, value):
            self._validate_sample(value)
            return value

    with pytest.warns(UserWarning, match="arg_constraints"):
        dist = Bare(validate_args=True)
    with pytest.warns(UserWarning, match="support"):
        dist.log_prob(mg.zeros(2))
    with pytest.raises(NotImplementedError):
        dist.rsample()
