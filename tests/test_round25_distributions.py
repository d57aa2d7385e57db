"""Round 25 of the hostile reviews: minigrad.distributions against torch.distributions 2.13
(Normal.cdf's formula, Bernoulli.mode outside the graph, expanded parameters walked by
several backwards, constraints.dependent(...), Normal.sample's std check, the ambiguous-KL
warning and utils' tril packing)."""

import math
import warnings

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")

NAN, INF = float("nan"), float("inf")


def _np(t):
    return t.detach().numpy()


def _same(got, want, rtol=0.0, atol=0.0):
    """Equal values (NaN where NaN), dtype and shape."""
    assert str(got.dtype) == str(want.dtype).replace("torch.", "")
    assert tuple(got.shape) == tuple(want.shape)
    np.testing.assert_allclose(_np(got), _np(want), rtol=rtol, atol=atol, equal_nan=True)


# ---------------------------------------------------------------- 1. Normal.cdf


@pytest.mark.parametrize("pdt,vdt", [("float32", "float64"), ("float64", "float32")])
def test_normal_cdf_of_mixed_dtypes_is_pytorchs_formula(pdt, vdt):
    x = [[v] for v in (0.7553, 1.0, 2.0, -1.0, -5.0, INF, -INF, NAN)]
    loc = 0.0, 1.0
    got = mg.distributions.Normal(mg.tensor(loc, dtype=getattr(mg, pdt)), 1.0, False)
    want = torch.distributions.Normal(torch.tensor(loc, dtype=getattr(torch, pdt)), 1.0, False)
    # float64 results to within an ulp: the float32 scale is no longer rounded on the way
    _same(
        got.cdf(mg.tensor(x, dtype=getattr(mg, vdt))),
        want.cdf(torch.tensor(x, dtype=getattr(torch, vdt))),
        rtol=1e-15,
    )


def test_normal_cdf_at_extreme_float32_scales_as_pytorch():
    args = ([0.0, 0.0, 0.0], [3e38, 1e-45, 1e-20])
    value = [INF, 0.0, 1.0]
    got = mg.distributions.Normal(*map(mg.tensor, args), validate_args=False)
    want = torch.distributions.Normal(*map(torch.tensor, args), validate_args=False)
    _same(got.cdf(mg.tensor(value)), want.cdf(torch.tensor(value)))


def test_normal_cdf_gradients_at_a_tiny_scale_as_pytorch():
    grads = []
    for lib in (mg, torch):
        s = lib.tensor([1e-20, 1.0], requires_grad=True)
        loc = lib.tensor([0.0, 0.5], requires_grad=True)
        x = lib.tensor([1.0, 0.25], dtype=lib.float64, requires_grad=True)
        c = lib.distributions.Normal(loc, s).cdf(x)
        grads.append(lib.autograd.grad(c.sum(), (loc, s, x)))
    for g, w in zip(*grads, strict=True):
        _same(g, w, rtol=1e-6)


# ---------------------------------------------------------------- 2. Bernoulli.mode


@pytest.mark.parametrize("kind", ["probs", "logits"])
def test_bernoulli_mode_is_a_constant_as_pytorchs(kind):
    vals = [0.2, 0.5, 0.9, 0.0, 1.0] if kind == "probs" else [-1.0, 0.0, 2.0, -INF, INF]
    out = []
    for lib in (mg, torch):
        p = lib.tensor(vals, dtype=lib.float64, requires_grad=True)
        d = lib.distributions.Bernoulli(**{kind: p})
        mode = d.mode
        assert not mode.requires_grad
        (g,) = lib.autograd.grad((d.mean + mode.nan_to_num()).sum(), p)
        out.append((mode, g))
    _same(out[0][0], out[1][0])
    _same(out[0][1], out[1][1], rtol=1e-15)


def test_bernoulli_mode_of_0d_and_empty_probs():
    for shape_vals in (0.5, [], 0.7):
        got = mg.distributions.Bernoulli(probs=mg.tensor(shape_vals)).mode
        want = torch.distributions.Bernoulli(probs=torch.tensor(shape_vals)).mode
        _same(got, want)


# ------------------------------------------------- 3. broadcast parameters, two backwards


def _two_losses(lib, make, value):
    """make(lib) -> (distribution, params); log_prob's loss and entropy's, each with its
    own backward; the parameters' gradients."""
    d, params = make(lib)
    d.log_prob(value(lib)).sum().backward()
    d.entropy().sum().backward()
    return [p.grad for p in params]


def _normal_scalar_sigma(lib):
    mu = lib.tensor([0.0, 1.0], requires_grad=True)
    sigma = lib.tensor(1.5, requires_grad=True)
    return lib.distributions.Normal(mu, sigma), (mu, sigma)


def _normal_expanded(lib):
    mu = lib.tensor([0.0, 1.0], dtype=lib.float64, requires_grad=True)
    sigma = lib.tensor([[1.5], [0.5]], dtype=lib.float64, requires_grad=True)
    d = lib.distributions.Normal(mu, sigma).expand((3, 2, 2))
    return d, (mu, sigma)


def _uniform_scalar_high(lib):
    low = lib.tensor([0.0, -1.0, 0.5], requires_grad=True)
    high = lib.tensor(2.0, requires_grad=True)
    return lib.distributions.Uniform(low, high), (low, high)


def _bernoulli_logits_expanded(lib):
    logits = lib.tensor(0.3, requires_grad=True)
    return lib.distributions.Bernoulli(logits=logits).expand((4,)), (logits,)


def _independent_normal(lib):
    mu = lib.tensor([[0.0, 1.0, 2.0]], requires_grad=True)
    sigma = lib.tensor(0.7, requires_grad=True)
    d = lib.distributions.Independent(lib.distributions.Normal(mu, sigma), 1)
    return d, (mu, sigma)


@pytest.mark.parametrize(
    "make,value",
    [
        (_normal_scalar_sigma, lambda lib: lib.tensor([0.3, -0.2])),
        (_normal_expanded, lambda lib: lib.tensor([0.3, -0.2], dtype=lib.float64)),
        (_uniform_scalar_high, lambda lib: lib.tensor([1.0, 0.0, 1.5])),
        (_bernoulli_logits_expanded, lambda lib: lib.tensor([1.0, 0.0, 1.0, 1.0])),
        (_independent_normal, lambda lib: lib.tensor([0.5, 0.5, 0.5])),
    ],
)
def test_broadcast_parameters_take_two_backwards_as_pytorch(make, value):
    got = _two_losses(mg, make, value)
    want = _two_losses(torch, make, value)
    for g, w in zip(got, want, strict=True):
        _same(g, w, rtol=1e-6)


def test_expanded_parameter_keeps_double_backward_and_views():
    out = []
    for lib in (mg, torch):
        mu = lib.tensor([0.0, 1.0], requires_grad=True)
        sigma = lib.tensor(1.5, requires_grad=True)
        d = lib.distributions.Normal(mu, sigma)
        (g,) = lib.autograd.grad(d.log_prob(lib.ones(2)).sum(), sigma, create_graph=True)
        g.backward()
        (g2,) = lib.autograd.grad(d.entropy().sum(), sigma)
        with lib.no_grad():  # the expanded scale is a view: an optimizer's step shows in it
            sigma.add_(1.0)
        out.append((sigma.grad, g2, d.scale, d.sample().requires_grad))
    for g, w in zip(out[0][:3], out[1][:3], strict=True):
        _same(g, w, rtol=1e-6)
    assert out[0][3] is out[1][3] is False


def test_a_parameter_computed_from_a_freed_graph_still_refuses_as_pytorch():
    # the expand node is kept; the ops before it (a saved value) still free theirs
    for lib in (mg, torch):
        w = lib.tensor(2.0, requires_grad=True)
        sigma = lib.exp(w)
        d = lib.distributions.Normal(lib.zeros(2), sigma)
        d.entropy().sum().backward()
        with pytest.raises(RuntimeError, match="(?i)backward through the graph a second time"):
            d.entropy().sum().backward()


# ------------------------------------------------------------ 4. constraints.dependent


def test_dependent_called_declares_a_parameter_as_pytorch():
    for lib in (mg, torch):
        C = lib.distributions.constraints

        class Shifted(lib.distributions.Distribution):
            arg_constraints = {
                "low": C.dependent(is_discrete=False, event_dim=0),
                "scale": C.positive,
            }

            def __init__(self, low, scale, validate_args=None):
                self.low, self.scale = low, scale
                super().__init__(low.shape, validate_args=validate_args)

        d = Shifted(lib.tensor([1.0, 2.0]), lib.tensor([1.0, 1.0]), validate_args=True)
        con = d.arg_constraints["low"]
        assert C.is_dependent(con)
        assert (con.is_discrete, con.event_dim) == (False, 0)
        assert tuple(d.batch_shape) == (2,)
        with pytest.raises(ValueError, match="positive|GreaterThan"):
            Shifted(lib.tensor([1.0]), lib.tensor([-1.0]), validate_args=True)
        # a call keeps what it is not given; the bare one knows neither
        partial = C.dependent(event_dim=1)(is_discrete=True)
        assert (partial.is_discrete, partial.event_dim) == (True, 1)
        assert repr(partial) == "Dependent()"
        for attr in ("is_discrete", "event_dim"):
            with pytest.raises(NotImplementedError, match=f".{attr} cannot be determined"):
                getattr(C.dependent, attr)
            with pytest.raises(NotImplementedError, match=f".{attr} cannot be determined"):
                getattr(C.dependent(), attr)
        with pytest.raises(TypeError):
            C.dependent(False)  # keyword-only, as PyTorch's
        with pytest.raises(ValueError, match="Cannot determine validity of dependent"):
            C.dependent(event_dim=0).check(lib.ones(2))


# ------------------------------------------------------------- 5. Normal.sample's check


@pytest.mark.parametrize("bad", [-1.0, NAN, -INF])
@pytest.mark.parametrize("shape", [(), (2,)])
def test_normal_sample_refuses_a_negative_or_nan_scale_as_pytorch(bad, shape):
    for lib in (mg, torch):
        d = lib.distributions.Normal(
            lib.tensor([0.0, 1.0]), lib.tensor([bad, 1.0]), validate_args=False
        )
        with pytest.raises(RuntimeError, match="normal.*expects all elements of std >= 0.0"):
            d.sample(shape)
        assert d.rsample(shape).shape == (*shape, 2)  # rsample checks nothing, as PyTorch's
        assert d.sample((0,)).shape == (0, 2)  # no draws, nothing to check


def test_normal_sample_keeps_shapes_dtypes_and_zero_scale():
    for pdt in ("float32", "float64"):
        for lib in (mg, torch):
            loc = lib.tensor([0.0, 3.0], dtype=getattr(lib, pdt), requires_grad=True)
            scale = lib.tensor([0.0, 0.0], dtype=getattr(lib, pdt))
            d = lib.distributions.Normal(loc, scale, validate_args=False)
            s = d.sample((3,))
            assert str(s.dtype).replace("torch.", "") == pdt
            assert tuple(s.shape) == (3, 2) and not s.requires_grad
            np.testing.assert_array_equal(_np(s), [[0.0, 3.0]] * 3)
            assert tuple(lib.distributions.Normal(0.0, 1.0).sample((0, 2)).shape) == (0, 2)


# ------------------------------------------------- 6. Bernoulli logits, float32 confident q


def test_bernoulli_logits_kl_finite_where_pytorchs_sigmoid_rounds_to_one():
    # documented: minigrad's float32 sigmoid is correctly rounded (1 - 6e-8 at logit 17,
    # where PyTorch's rounds to 1.0 and its rule writes inf); the value is the exact KL
    p = mg.distributions.Bernoulli(logits=mg.tensor([-40.0, 0.0]))
    q = mg.distributions.Bernoulli(logits=mg.tensor([17.0, 17.0]))
    got = mg.distributions.kl_divergence(p, q)
    exact = torch.distributions.kl_divergence(
        torch.distributions.Bernoulli(logits=torch.tensor([-40.0, 0.0], dtype=torch.float64)),
        torch.distributions.Bernoulli(logits=torch.tensor([17.0, 17.0], dtype=torch.float64)),
    )
    np.testing.assert_allclose(_np(got), exact.numpy(), rtol=1e-6)
    assert got.dtype == np.float32


# ------------------------------------------------------------------ 7. ambiguous KL rule


def test_ambiguous_kl_rule_warns_and_picks_pytorchs():
    out = []
    for lib in (mg, torch):
        D = lib.distributions

        class A(D.Normal):
            pass

        class B(A):
            pass

        @D.register_kl(A, D.Normal)
        def _a(p, q, lib=lib):
            return lib.tensor(1.0)

        @D.register_kl(D.Normal, A)
        def _b(p, q, lib=lib):
            return lib.tensor(2.0)

        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            v1 = D.kl_divergence(A(0.0, 1.0), B(0.0, 1.0))
            v2 = D.kl_divergence(A(0.0, 1.0), D.Normal(0.0, 1.0))  # not ambiguous
            v3 = D.kl_divergence(B(0.0, 1.0), B(0.0, 1.0))
        out.append(([float(v1), float(v2), float(v3)], [(x.category, str(x.message)) for x in w]))
        # the memoized rule: no second warning for the same pair
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            D.kl_divergence(A(0.0, 1.0), B(0.0, 1.0))
        assert not w
        del D.kl._KL_REGISTRY[A, D.Normal], D.kl._KL_REGISTRY[D.Normal, A]
        D.kl._KL_MEMOIZE.clear()
    assert out[0] == out[1]
    assert out[0][1] == [
        (RuntimeWarning, "Ambiguous kl_divergence(A, B). Please register_kl(A, A)"),
        (RuntimeWarning, "Ambiguous kl_divergence(B, B). Please register_kl(A, A)"),
    ]


# ---------------------------------------------------------------------------- 8. utils


def test_utils_euler_constant():
    assert mg.distributions.utils.euler_constant == torch.distributions.utils.euler_constant
    assert math.isclose(mg.distributions.utils.euler_constant, 0.5772156649015329)


@pytest.mark.parametrize("n,diag", [(1, 0), (3, 0), (3, -1), (3, 2), (4, -3), (4, 1)])
@pytest.mark.parametrize("batch", [(), (2,), (2, 0)])
def test_tril_matrix_vec_round_trip_as_pytorch(n, diag, batch):
    rng = np.random.default_rng(n + 10 * abs(diag))
    m = rng.standard_normal((*batch, n, n))
    got, want = [], []
    for lib, out in ((mg, got), (torch, want)):
        u = lib.distributions.utils
        mat = lib.tensor(m, requires_grad=True)
        vec = u.tril_matrix_to_vec(mat, diag)
        back = u.vec_to_tril_matrix(vec, diag)
        w = lib.tensor(np.arange(back.numel(), dtype=np.float64).reshape(tuple(back.shape)))
        (g,) = lib.autograd.grad((back * w).sum(), mat)
        out += [vec, back, g]
    for g, w in zip(got, want, strict=True):
        _same(g, w)


def test_tril_packing_errors_as_pytorch():
    for lib in (mg, torch):
        u = lib.distributions.utils
        with pytest.raises(ValueError, match=r"diag \(3\) provided is outside \[-3, 2\]"):
            u.tril_matrix_to_vec(lib.ones(3, 3), 3)
        with pytest.raises(ValueError, match=r"diag \(-4\) provided is outside \[-3, 2\]"):
            u.tril_matrix_to_vec(lib.ones(3, 3), -4)
        # 5 entries: the root 2.7 rounds up, which PyTorch's one-sided test catches
        with pytest.raises(ValueError, match="size of last dimension is 5 which cannot"):
            u.vec_to_tril_matrix(lib.ones(5))
        # 4 entries: the root 2.4 rounds down and passes it; the assignment refuses
        with pytest.raises(RuntimeError, match="4"):
            u.vec_to_tril_matrix(lib.ones(4))
        got = u.vec_to_tril_matrix(lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64))
        assert str(got.dtype).endswith("float64") and tuple(got.shape) == (2, 2)
