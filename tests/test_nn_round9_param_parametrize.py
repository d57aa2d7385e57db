"""Round 9: nn.utils.parametrize and nn.utils.parametrizations against torch 2.13."""

import copy
import importlib

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
from minigrad.nn.utils import parametrizations as PZ
from minigrad.nn.utils import parametrize as P

torch = pytest.importorskip("torch")
TP = torch.nn.utils.parametrize
TPZ = torch.nn.utils.parametrizations


def _np(t):
    return t.detach().numpy() if isinstance(t, torch.Tensor) else t.detach()._data


def _copy_into(m, t):
    """Copy every tensor of torch module t's state_dict into minigrad module m."""
    m.load_state_dict({k: mg.Tensor(v.detach().numpy().copy()) for k, v in t.state_dict().items()})


def _pair(ctor_t, ctor_m):
    torch.manual_seed(0)
    t = ctor_t()
    m = ctor_m()
    _copy_into(m, t)
    return t, m


class TSym(torch.nn.Module):
    def forward(self, x):
        return x.triu() + x.triu(1).mT

    def right_inverse(self, a):
        return a.triu()


class MSym(nn.Module):
    def forward(self, x):
        return x.triu() + x.triu(1).mT

    def right_inverse(self, a):
        return a.triu()


class TScale(torch.nn.Module):
    def forward(self, x):
        return 2.0 * x

    def right_inverse(self, a):
        return a / 2.0


class MScale(nn.Module):
    def forward(self, x):
        return 2.0 * x

    def right_inverse(self, a):
        return a / 2.0


class TRankOne(torch.nn.Module):
    def forward(self, x, y):
        return x.unsqueeze(-1) @ y.unsqueeze(-2)

    def right_inverse(self, z):
        return z[:, 0].clone(), z[0, :].clone()


class MRankOne(nn.Module):
    def forward(self, x, y):
        return x.unsqueeze(-1) @ y.unsqueeze(-2)

    def right_inverse(self, z):
        return z[:, 0].clone(), z[0, :].clone()


# ------------------------------------------------------------------ parametrize
def test_register_class_swap_repr_state_dict():
    t, m = _pair(lambda: torch.nn.Linear(4, 4), lambda: nn.Linear(4, 4))
    TP.register_parametrization(t, "weight", TSym())
    P.register_parametrization(m, "weight", MSym())
    assert type(m).__name__ == "ParametrizedLinear"
    assert isinstance(m, nn.Linear)
    assert P.type_before_parametrizations(m) is nn.Linear
    assert P.is_parametrized(m) and P.is_parametrized(m, "weight")
    assert not P.is_parametrized(m, "bias")
    assert repr(m).replace("MSym", "TSym") == repr(t)
    assert list(m.state_dict()) == list(t.state_dict())
    assert list(dict(m.named_parameters())) == list(dict(t.named_parameters()))
    np.testing.assert_allclose(_np(m.weight), _np(t.weight), rtol=1e-6)
    np.testing.assert_allclose(
        _np(m.parametrizations.weight.original), _np(t.parametrizations.weight.original)
    )


def test_forward_backward_matches_torch():
    t, m = _pair(lambda: torch.nn.Linear(4, 4), lambda: nn.Linear(4, 4))
    TP.register_parametrization(t, "weight", TSym())
    P.register_parametrization(m, "weight", MSym())
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    t(torch.tensor(x)).square().sum().backward()
    m(mg.Tensor(x)).square().sum().backward()
    np.testing.assert_allclose(
        _np(m.parametrizations.weight.original.grad),
        _np(t.parametrizations.weight.original.grad),
        rtol=1e-5,
        atol=1e-6,
    )


def test_assign_runs_right_inverse():
    t, m = _pair(lambda: torch.nn.Linear(3, 3), lambda: nn.Linear(3, 3))
    TP.register_parametrization(t, "weight", TSym())
    P.register_parametrization(m, "weight", MSym())
    a = np.arange(9, dtype=np.float32).reshape(3, 3)
    a = a + a.T
    orig = m.parametrizations.weight.original
    t.weight = torch.tensor(a)
    m.weight = mg.Tensor(a)
    assert m.parametrizations.weight.original is orig
    np.testing.assert_allclose(_np(m.weight), _np(t.weight))
    np.testing.assert_allclose(_np(m.weight), a)


def test_chained_parametrizations():
    t, m = _pair(lambda: torch.nn.Linear(3, 3), lambda: nn.Linear(3, 3))
    TP.register_parametrization(t, "weight", TSym())
    TP.register_parametrization(t, "weight", TScale())
    P.register_parametrization(m, "weight", MSym())
    P.register_parametrization(m, "weight", MScale())
    assert len(m.parametrizations.weight) == 2
    np.testing.assert_allclose(_np(m.weight), _np(t.weight), rtol=1e-6)
    a = np.eye(3, dtype=np.float32) * 4
    t.weight = torch.tensor(a)
    m.weight = mg.Tensor(a)
    np.testing.assert_allclose(
        _np(m.parametrizations.weight.original), _np(t.parametrizations.weight.original)
    )
    np.testing.assert_allclose(_np(m.weight), a)
    assert repr(m).replace("MS", "TS") == repr(t)


def test_tuple_right_inverse_original0_original1():
    t, m = _pair(lambda: torch.nn.Linear(3, 4), lambda: nn.Linear(3, 4))
    TP.register_parametrization(t, "weight", TRankOne())
    P.register_parametrization(m, "weight", MRankOne())
    assert list(m.state_dict()) == list(t.state_dict())
    assert list(m.state_dict()) == [
        "bias",
        "parametrizations.weight.original0",
        "parametrizations.weight.original1",
    ]
    np.testing.assert_allclose(_np(m.weight), _np(t.weight), rtol=1e-6)
    with pytest.raises(ValueError, match="Cannot leave unparametrized"):
        P.remove_parametrizations(m, "weight", leave_parametrized=False)
    P.remove_parametrizations(m, "weight")
    TP.remove_parametrizations(t, "weight")
    assert type(m) is nn.Linear
    np.testing.assert_allclose(_np(m.weight), _np(t.weight), rtol=1e-6)
    assert isinstance(m.weight, nn.Parameter)


@pytest.mark.parametrize("leave", [True, False])
def test_remove_parametrizations(leave):
    t, m = _pair(lambda: torch.nn.Linear(3, 3), lambda: nn.Linear(3, 3))
    TP.register_parametrization(t, "weight", TScale())
    P.register_parametrization(m, "weight", MScale())
    orig = m.parametrizations.weight.original
    TP.remove_parametrizations(t, "weight", leave_parametrized=leave)
    P.remove_parametrizations(m, "weight", leave_parametrized=leave)
    assert type(m) is nn.Linear
    assert not hasattr(m, "parametrizations")
    assert m.weight is orig
    assert list(m.state_dict()) == list(t.state_dict()) == ["bias", "weight"]
    np.testing.assert_allclose(_np(m.weight), _np(t.weight), rtol=1e-6)
    with pytest.raises(ValueError, match="does not have a parametrization on weight"):
        P.remove_parametrizations(m, "weight")


def test_unsafe_and_shape_dtype_errors():
    class Half(nn.Module):
        def forward(self, x):
            return x[:2]

    m = nn.Linear(3, 4)
    with pytest.raises(ValueError, match="may not change the shape"):
        P.register_parametrization(m, "weight", Half())
    assert type(m) is nn.Linear  # left whole
    P.register_parametrization(m, "weight", Half(), unsafe=True)
    assert m.weight.shape == (2, 3)
    with pytest.raises(ValueError, match="does not have a parameter, a buffer"):
        P.register_parametrization(nn.Linear(2, 2), "nope", MScale())


def test_buffer_parametrization():
    m = nn.BatchNorm1d(3)
    t = torch.nn.BatchNorm1d(3)
    P.register_parametrization(m, "running_var", MScale())
    TP.register_parametrization(t, "running_var", TScale())
    assert list(m.state_dict()) == list(t.state_dict())
    np.testing.assert_allclose(_np(m.running_var), _np(t.running_var))


def test_cached():
    calls = []

    class Count(nn.Module):
        def forward(self, x):
            calls.append(1)
            return x * 1.0

    m = nn.Linear(2, 2)
    P.register_parametrization(m, "weight", Count())
    calls.clear()
    with P.cached():
        a, b = m.weight, m.weight
        with P.cached():
            c = m.weight
    assert a is b is c and len(calls) == 1
    m.weight  # noqa: B018
    assert len(calls) == 2


def test_transfer_parametrizations_and_params():
    src = nn.Linear(3, 3)
    P.register_parametrization(src, "weight", MScale())
    dst = nn.Linear(3, 3)
    P.transfer_parametrizations_and_params(src, dst)
    assert dst.parametrizations.weight.original is src.parametrizations.weight.original
    np.testing.assert_allclose(_np(dst.weight), _np(src.weight))
    plain = nn.Linear(3, 3)
    assert P.transfer_parametrizations_and_params(nn.Linear(3, 3), plain) is plain


def test_deepcopy_and_pickle():
    m = nn.Linear(3, 3)
    P.register_parametrization(m, "weight", MScale())
    c = copy.deepcopy(m)
    assert type(c).__name__ == "ParametrizedLinear"
    np.testing.assert_allclose(_np(c.weight), _np(m.weight))
    with pytest.raises(RuntimeError, match="only supported through state_dict"):
        m.__getstate__()


def test_train_mode_follows_module():
    m = nn.Linear(3, 3).eval()
    p = MScale()
    P.register_parametrization(m, "weight", p)
    assert not p.training
    m.train()
    assert p.training


def test_save_load_round_trip(tmp_path):
    t, m = _pair(lambda: torch.nn.Linear(3, 3), lambda: nn.Linear(3, 3))
    PZ.weight_norm(m)
    path = tmp_path / "sd.pt"
    mg.save(m.state_dict(), str(path))
    m2 = PZ.weight_norm(nn.Linear(3, 3))
    m2.load_state_dict(mg.load(str(path)))
    np.testing.assert_allclose(_np(m2.weight), _np(m.weight))


# ------------------------------------------------------------------ weight_norm
@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm_matches_torch(dim):
    t, m = _pair(lambda: torch.nn.Conv2d(3, 4, 3), lambda: nn.Conv2d(3, 4, 3))
    TPZ.weight_norm(t, dim=dim)
    PZ.weight_norm(m, dim=dim)
    assert list(m.state_dict()) == list(t.state_dict())
    for k, v in t.state_dict().items():
        assert m.state_dict()[k].shape == tuple(v.shape), k
        np.testing.assert_allclose(_np(m.state_dict()[k]), _np(v), rtol=1e-6)
    assert repr(m) == repr(t)
    x = np.random.default_rng(1).standard_normal((2, 3, 5, 5)).astype(np.float32)
    t(torch.tensor(x)).square().sum().backward()
    m(mg.Tensor(x)).square().sum().backward()
    for i in (0, 1):
        np.testing.assert_allclose(
            _np(getattr(m.parametrizations.weight, f"original{i}").grad),
            _np(getattr(t.parametrizations.weight, f"original{i}").grad),
            rtol=2e-4,
            atol=1e-5,
        )


def test_weight_norm_1d_weight():
    t = torch.nn.Module()
    t.w = torch.nn.Parameter(torch.tensor([3.0, -4.0, 0.5]))
    m = nn.Module()
    m.w = nn.Parameter(mg.Tensor(np.array([3.0, -4.0, 0.5], np.float32)))
    TPZ.weight_norm(t, "w")
    PZ.weight_norm(m, "w")
    for k, v in t.state_dict().items():
        np.testing.assert_allclose(_np(m.state_dict()[k]), _np(v))
    np.testing.assert_allclose(_np(m.w), _np(t.w), rtol=1e-6)


def test_weight_norm_gradcheck_float64():
    g = mg.Tensor(np.random.default_rng(2).random((4, 1)) + 0.5, requires_grad=True)
    v = mg.Tensor(np.random.default_rng(3).standard_normal((4, 3)), requires_grad=True)
    f = PZ._WeightNorm(0)
    assert mg.gradcheck(lambda a, b: f(a, b), (g, v))
    assert mg.gradgradcheck(lambda a, b: f(a, b), (g, v))


# ------------------------------------------------------------------ spectral_norm
def _sn_pair(ctor_t, ctor_m, **kw):
    torch.manual_seed(0)
    t = ctor_t()
    m = ctor_m()
    _copy_into(m, t)
    # the power iteration's start differs (each library's generator): copy torch's u, v and
    # the weight in after registration, then compare the next accesses
    TPZ.spectral_norm(t, **kw)
    PZ.spectral_norm(m, **kw)
    _copy_into(m, t)
    return t, m


@pytest.mark.parametrize(
    "ctor, kw",
    [
        ("Linear", {}),
        ("Conv2d", {}),
        ("ConvTranspose2d", {}),
        ("ConvTranspose2d", {"dim": 0}),
        ("Linear", {"n_power_iterations": 3, "eps": 1e-6}),
    ],
)
def test_spectral_norm_matches_torch(ctor, kw):
    args = (4, 3) if ctor == "Linear" else (3, 4, 3)
    t, m = _sn_pair(lambda: getattr(torch.nn, ctor)(*args), lambda: getattr(nn, ctor)(*args), **kw)
    assert list(m.state_dict()) == list(t.state_dict())
    assert list(m.state_dict())[-2:] == [
        "parametrizations.weight.0._u",
        "parametrizations.weight.0._v",
    ]
    assert repr(m) == repr(t)
    for _ in range(3):  # training accesses run the power iteration
        np.testing.assert_allclose(_np(m.weight), _np(t.weight), rtol=2e-5, atol=1e-6)
    for k, v in t.state_dict().items():
        np.testing.assert_allclose(_np(m.state_dict()[k]), _np(v), rtol=2e-5, atol=1e-6)
    m.eval()
    t.eval()
    u = _np(m.parametrizations.weight[0]._u).copy()
    np.testing.assert_allclose(_np(m.weight), _np(t.weight), rtol=2e-5, atol=1e-6)
    np.testing.assert_array_equal(_np(m.parametrizations.weight[0]._u), u)  # eval: unchanged


def test_spectral_norm_1d_weight_and_errors():
    m = nn.Module()
    m.w = nn.Parameter(mg.Tensor(np.array([3.0, 4.0], np.float32)))
    PZ.spectral_norm(m, "w")
    np.testing.assert_allclose(_np(m.w), [0.6, 0.8], rtol=1e-6)
    assert list(m.state_dict()) == ["parametrizations.w.original"]
    with pytest.raises(IndexError, match="Dimension out of range"):
        PZ.spectral_norm(nn.Linear(2, 2), dim=2)
    with pytest.raises(ValueError, match="n_power_iterations"):
        PZ.spectral_norm(nn.Linear(2, 2), n_power_iterations=0)
    with pytest.raises(ValueError, match="has no parameter or buffer"):
        PZ.spectral_norm(nn.Linear(2, 2), "nope")


def test_spectral_norm_float64_gradcheck():
    m = PZ.spectral_norm(nn.Linear(3, 4).double()).eval()
    sn = m.parametrizations.weight[0]
    w = mg.Tensor(np.random.default_rng(0).standard_normal((4, 3)), requires_grad=True)
    assert mg.gradcheck(sn, (w,))
    assert mg.gradgradcheck(sn, (w,))


def test_sngan_discriminator_step_with_gradient_penalty():
    """A D step of SNGAN with a WGAN-GP penalty (double backward) and Adam: 3 steps."""

    def build(lib, sn):
        d = lib.nn.Sequential(
            lib.nn.Conv2d(1, 4, 3, 2, 1),
            lib.nn.LeakyReLU(0.2),
            lib.nn.Flatten(),
            lib.nn.Linear(4 * 4 * 4, 1),
        )
        sn(d[0])
        sn(d[3])
        return d

    torch.manual_seed(0)
    td = build(torch, TPZ.spectral_norm)
    md = build(mg, PZ.spectral_norm)
    _copy_into(md, td)
    topt = torch.optim.Adam(td.parameters(), lr=1e-3, betas=(0.0, 0.9))
    mopt = mg.optim.Adam(md.parameters(), lr=1e-3, betas=(0.0, 0.9))
    rng = np.random.default_rng(0)

    def step(lib, d, opt, real, fake, eps):
        real, fake, eps = (lib.tensor(a) for a in (real, fake, eps))
        xhat = (eps * real + (1 - eps) * fake).requires_grad_(True)
        out = d(xhat)
        if lib is torch:
            (g,) = torch.autograd.grad(out.sum(), xhat, create_graph=True)
        else:
            (g,) = mg.grad(out.sum(), xhat, create_graph=True)
        gp = ((g.reshape(g.shape[0], -1).norm(2, dim=1) - 1) ** 2).mean()
        loss = d(fake).mean() - d(real).mean() + 10 * gp
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    for _ in range(3):
        real = rng.standard_normal((4, 1, 8, 8)).astype(np.float32)
        fake = rng.standard_normal((4, 1, 8, 8)).astype(np.float32)
        eps = rng.random((4, 1, 1, 1)).astype(np.float32)
        lt = step(torch, td, topt, real, fake, eps)
        lm = step(mg, md, mopt, real, fake, eps)
        np.testing.assert_allclose(lm, lt, rtol=1e-4, atol=1e-5)
    for (k, v), (k2, v2) in zip(td.state_dict().items(), md.state_dict().items(), strict=True):
        assert k == k2
        np.testing.assert_allclose(_np(v2), _np(v), rtol=1e-4, atol=1e-5, err_msg=k)


# ------------------------------------------------------------------ orthogonal
def _orth_pair(shape, **kw):
    t = torch.nn.Linear(shape[1], shape[0], bias=False)
    m = nn.Linear(shape[1], shape[0], bias=False)
    w = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    with torch.no_grad():
        t.weight.copy_(torch.tensor(w))
    m.weight.data = mg.Tensor(w.copy())
    TPZ.orthogonal(t, **kw)
    PZ.orthogonal(m, **kw)
    return t, m


def test_orthogonal_square_default_matrix_exp():
    t, m = _orth_pair((4, 4))
    assert m.parametrizations.weight[0].orthogonal_map.name == "matrix_exp"
    assert list(m.state_dict()) == list(t.state_dict())
    for k, v in t.state_dict().items():
        np.testing.assert_allclose(_np(m.state_dict()[k]), _np(v), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(_np(m.weight), _np(t.weight), rtol=1e-5, atol=1e-6)
    q = _np(m.weight)
    np.testing.assert_allclose(q.T @ q, np.eye(4), atol=1e-5)
    # after a gradient step on `original` the map is the matrix exponential's
    x = np.random.default_rng(1).standard_normal((3, 4)).astype(np.float32)
    t(torch.tensor(x)).pow(3).sum().backward()
    m(mg.Tensor(x)).pow(3).sum().backward()
    to, mo = t.parametrizations.weight.original, m.parametrizations.weight.original
    np.testing.assert_allclose(_np(mo.grad), _np(to.grad), rtol=1e-4, atol=1e-5)
    with torch.no_grad():
        to -= 0.3 * to.grad
    with mg.no_grad():
        mo -= 0.3 * mo.grad
    np.testing.assert_allclose(_np(m.weight), _np(t.weight), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("shape", [(5, 3), (3, 5)])
def test_orthogonal_rectangular_householder(shape):
    t, m = _orth_pair(shape)
    assert m.parametrizations.weight[0].orthogonal_map.name == "householder"
    assert list(m.state_dict()) == list(t.state_dict())
    # the base's completion columns are random: copy torch's base to compare the map
    _copy_into(m, t)
    np.testing.assert_allclose(_np(m.weight), _np(t.weight), rtol=1e-5, atol=1e-6)
    q = _np(m.weight)
    gram = q.T @ q if shape[0] >= shape[1] else q @ q.T
    np.testing.assert_allclose(gram, np.eye(min(shape)), atol=1e-5)
    x = np.random.default_rng(1).standard_normal((2, shape[1])).astype(np.float32)
    t(torch.tensor(x)).pow(3).sum().backward()
    m(mg.Tensor(x)).pow(3).sum().backward()
    np.testing.assert_allclose(
        _np(m.parametrizations.weight.original.grad),
        _np(t.parametrizations.weight.original.grad),
        rtol=1e-4,
        atol=1e-5,
    )


def test_orthogonal_no_trivialization_householder():
    t, m = _orth_pair((5, 3), use_trivialization=False)
    for k, v in t.state_dict().items():
        np.testing.assert_allclose(_np(m.state_dict()[k]), _np(v), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(_np(m.weight), _np(t.weight), rtol=1e-4, atol=1e-5)


def test_orthogonal_errors():
    with pytest.raises(ValueError, match="Expected a matrix or batch of matrices"):
        PZ.orthogonal(nn.BatchNorm1d(3))
    with pytest.raises(ValueError, match="orthogonal_map has to be one of"):
        PZ.orthogonal(nn.Linear(2, 2), orthogonal_map="nope")


def test_matrix_exp_and_householder_gradcheck():
    rng = np.random.default_rng(0)
    a = mg.Tensor(rng.standard_normal((3, 3)) * 0.8, requires_grad=True)
    assert mg.gradcheck(PZ._matrix_exp, (a,))
    assert mg.gradgradcheck(PZ._matrix_exp, (a,))
    big = rng.standard_normal((3, 3)) * 3
    ref = torch.linalg.matrix_exp(torch.tensor(big)).numpy()
    np.testing.assert_allclose(_np(PZ._matrix_exp(mg.Tensor(big))), ref, rtol=1e-12, atol=1e-12)
    v = mg.Tensor(rng.standard_normal((4, 2)), requires_grad=True)
    tau = mg.Tensor(rng.random(2) + 0.5, requires_grad=True)
    ref = torch.linalg.householder_product(torch.tensor(v._data), torch.tensor(tau._data))
    np.testing.assert_allclose(_np(PZ._householder_product(v, tau)), ref.numpy(), atol=1e-12)
    assert mg.gradcheck(PZ._householder_product, (v, tau))
    assert mg.gradgradcheck(PZ._householder_product, (v, tau))


@pytest.mark.parametrize("shape", [(4, 4), (5, 3)])
def test_orthogonal_cayley_as_pytorch(shape):
    """The Cayley map, now that linalg.solve exists: (I + A/2)(I - A/2)^-1, as PyTorch
    solves it."""
    w0 = np.random.RandomState(0).randn(*shape).astype(np.float32)
    x0 = np.random.RandomState(1).randn(2, shape[1]).astype(np.float32)

    def run(L):
        P = importlib.import_module(L.__name__ + ".nn.utils.parametrizations")
        m = L.nn.Linear(shape[1], shape[0], bias=False)
        with L.no_grad():
            m.weight.copy_(L.tensor(w0))
        P.orthogonal(m, orthogonal_map="cayley")
        m(L.tensor(x0)).sum().backward()
        return m.weight.detach().numpy(), m.parametrizations.weight.original.grad.numpy()

    (w, g), (tw, tg) = run(mg), run(torch)
    np.testing.assert_allclose(w, tw, rtol=1e-4, atol=1e-5)
    # a tall weight's trivialization completes its base with random columns (in both), and
    # the gradient of the rows below the square part goes through them
    k = min(shape)
    np.testing.assert_allclose(g[:k], tg[:k], rtol=1e-4, atol=1e-5)
