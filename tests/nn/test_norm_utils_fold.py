"""nn.utils.spectral_norm / weight_norm, F.unfold / F.fold (nn.Unfold / nn.Fold) and
nn.Bilinear against PyTorch. Spectral norm's u and v come from minigrad's generator, so
the tests copy torch's state (weight_orig, weight_u, weight_v) in and then compare every
training step; everything else is deterministic and compared directly."""

import warnings

import numpy as np
import pytest
from op_cases import torch_or_skip

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import nn
from minigrad.nn.utils import (
    remove_spectral_norm,
    remove_weight_norm,
    spectral_norm,
    weight_norm,
)


def _np(t):
    return t.detach().numpy()


def _copy_state(tm, m):
    """torch module's state into the minigrad one (keys must agree)."""
    assert list(m.state_dict()) == list(tm.state_dict())
    m.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})


def _pair_modules(torch, kind, dtype):
    """The same layer in both libraries, float64 or float32."""
    tdt = getattr(torch, np.dtype(dtype).name)
    if kind == "linear":
        return torch.nn.Linear(5, 3).to(tdt), nn.Linear(5, 3, dtype=dtype), (4, 5)
    if kind == "conv":
        tm, m = torch.nn.Conv2d(2, 3, 3, padding=1).to(tdt), nn.Conv2d(2, 3, 3, padding=1)
        return tm, m, (2, 2, 5, 5)
    return torch.nn.ConvTranspose2d(3, 2, 3).to(tdt), nn.ConvTranspose2d(3, 2, 3), (2, 3, 4, 4)


# ---------------------------------------------------------------------- spectral_norm
@pytest.mark.parametrize("kind", ["linear", "conv", "convT"])
@pytest.mark.parametrize("n_iter", [1, 3])
def test_spectral_norm_matches_torch_over_training_steps(kind, n_iter):
    torch = torch_or_skip()
    torch.manual_seed(0)
    tm, m, xshape = _pair_modules(torch, kind, np.float64)
    m = m.double()
    torch.nn.utils.spectral_norm(tm, n_power_iterations=n_iter)
    spectral_norm(m, n_power_iterations=n_iter)
    _copy_state(tm, m)
    topt = torch.optim.SGD(tm.parameters(), lr=0.1)
    opt = mg.optim.SGD(m.parameters(), lr=0.1)
    rng = np.random.default_rng(1)
    for _ in range(4):
        x = rng.standard_normal(xshape)
        ty, y = tm(torch.tensor(x)), m(mg.tensor(x))
        np.testing.assert_allclose(_np(y), _np(ty), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(_np(m.weight), _np(tm.weight), rtol=1e-10, atol=1e-12)
        for name in ("weight_u", "weight_v"):
            np.testing.assert_allclose(
                _np(getattr(m, name)), _np(getattr(tm, name)), rtol=1e-10, atol=1e-12
            )
        (ty**2).sum().backward()
        (y**2).sum().backward()
        np.testing.assert_allclose(
            _np(m.weight_orig.grad), _np(tm.weight_orig.grad), rtol=1e-9, atol=1e-12
        )
        topt.step()
        opt.step()
        topt.zero_grad()
        opt.zero_grad()


def test_spectral_norm_float32_close_to_torch():
    torch = torch_or_skip()
    torch.manual_seed(0)
    tm, m = torch.nn.Linear(6, 4), nn.Linear(6, 4)
    torch.nn.utils.spectral_norm(tm)
    spectral_norm(m)
    _copy_state(tm, m)
    x = np.random.default_rng(0).standard_normal((3, 6)).astype(np.float32)
    y = m(mg.tensor(x))
    assert y.dtype == np.float32 and m.weight_u.dtype == np.float32
    np.testing.assert_allclose(_np(y), _np(tm(torch.tensor(x))), rtol=1e-5, atol=1e-6)


def test_spectral_norm_state_dict_keys_shapes_and_attributes():
    torch = torch_or_skip()
    for kind in ("linear", "conv", "convT"):
        tm, m, _ = _pair_modules(torch, kind, np.float32)
        torch.nn.utils.spectral_norm(tm)
        spectral_norm(m)
        tsd, sd = tm.state_dict(), m.state_dict()
        assert list(sd) == list(tsd)
        assert [tuple(v.shape) for v in sd.values()] == [tuple(v.shape) for v in tsd.values()]
        assert [n for n, _ in m.named_parameters()] == [n for n, _ in tm.named_parameters()]
        assert [n for n, _ in m.named_buffers()] == [n for n, _ in tm.named_buffers()]
        # u, v unit vectors; weight readable before the first forward, not a parameter
        assert abs(np.linalg.norm(_np(m.weight_u)) - 1) < 1e-6
        assert abs(np.linalg.norm(_np(m.weight_v)) - 1) < 1e-6
        assert not isinstance(m.weight, nn.Parameter)
        np.testing.assert_array_equal(_np(m.weight), _np(m.weight_orig))
    # transposed convolutions normalise along dim 1 (output channels): u has 2 entries
    assert m.weight_u.shape == (2,)


def test_spectral_norm_eval_mode_keeps_u_v():
    torch = torch_or_skip()
    torch.manual_seed(0)
    tm, m = torch.nn.Linear(5, 3).double(), nn.Linear(5, 3).double()
    torch.nn.utils.spectral_norm(tm)
    spectral_norm(m)
    _copy_state(tm, m)
    x = np.random.default_rng(0).standard_normal((2, 5))
    tm(torch.tensor(x)), m(mg.tensor(x))  # one training step moves u, v
    tm.eval(), m.eval()
    u, v = _np(m.weight_u).copy(), _np(m.weight_v).copy()
    for _ in range(2):
        np.testing.assert_allclose(
            _np(m(mg.tensor(x))), _np(tm(torch.tensor(x))), rtol=1e-10, atol=1e-12
        )
    np.testing.assert_array_equal(_np(m.weight_u), u)
    np.testing.assert_array_equal(_np(m.weight_v), v)
    with mg.no_grad():
        m.train()(mg.tensor(x))
    assert not np.array_equal(_np(m.weight_v), v)


def test_remove_spectral_norm_matches_torch():
    torch = torch_or_skip()
    torch.manual_seed(0)
    tm, m = torch.nn.Conv2d(2, 3, 3).double(), nn.Conv2d(2, 3, 3).double()
    torch.nn.utils.spectral_norm(tm)
    spectral_norm(m)
    _copy_state(tm, m)
    x = np.random.default_rng(0).standard_normal((1, 2, 4, 4))
    tm(torch.tensor(x)), m(mg.tensor(x))
    torch.nn.utils.remove_spectral_norm(tm)
    remove_spectral_norm(m)
    assert list(m.state_dict()) == list(tm.state_dict()) == ["bias", "weight"]
    assert isinstance(m.weight, nn.Parameter) and m.weight.requires_grad
    assert not m._forward_pre_hooks
    np.testing.assert_allclose(_np(m.weight), _np(tm.weight), rtol=1e-10)
    with pytest.raises(ValueError, match="spectral_norm of 'weight' not found"):
        remove_spectral_norm(m)


def test_spectral_norm_errors():
    m = spectral_norm(nn.Linear(3, 2))
    with pytest.raises(RuntimeError, match="Cannot register two spectral_norm hooks"):
        spectral_norm(m)
    with pytest.raises(ValueError, match="n_power_iterations to be positive"):
        spectral_norm(nn.Linear(3, 2), n_power_iterations=0)
    with pytest.raises(ValueError, match="parameter `bias` is None"):
        spectral_norm(nn.Linear(3, 2, bias=False), name="bias")


def test_spectral_norm_retained_graph_survives_next_update():
    """The power iteration of a later forward updates u, v in place; an earlier graph keeps
    the values it used."""
    m = spectral_norm(nn.Linear(4, 3).double())
    x = mg.tensor(np.random.default_rng(0).standard_normal((2, 4)))
    y1 = m(x).sum()
    m(x)
    y1.backward()
    assert m.weight_orig.grad is not None


def test_sngan_discriminator_step_matches_torch():
    """A tiny SN-GAN discriminator (hinge loss, Adam) with torch's buffers copied in."""
    torch = torch_or_skip()
    torch.manual_seed(0)
    tsn, TN = torch.nn.utils.spectral_norm, torch.nn
    td = TN.Sequential(
        tsn(TN.Conv2d(1, 4, 4, 2, 1)),
        TN.LeakyReLU(0.2),
        tsn(TN.Conv2d(4, 8, 4, 2, 1)),
        TN.LeakyReLU(0.2),
        TN.Flatten(),
        tsn(TN.Linear(8 * 2 * 2, 1)),
    ).double()
    d = nn.Sequential(
        spectral_norm(nn.Conv2d(1, 4, 4, 2, 1)),
        nn.LeakyReLU(0.2),
        spectral_norm(nn.Conv2d(4, 8, 4, 2, 1)),
        nn.LeakyReLU(0.2),
        nn.Flatten(),
        spectral_norm(nn.Linear(8 * 2 * 2, 1)),
    ).double()
    _copy_state(td, d)
    topt = torch.optim.Adam(td.parameters(), lr=2e-4, betas=(0.0, 0.9))
    opt = mg.optim.Adam(d.parameters(), lr=2e-4, betas=(0.0, 0.9))
    rng = np.random.default_rng(0)
    for _ in range(3):
        real, fake = rng.standard_normal((2, 4, 1, 8, 8))
        tl = (
            torch.relu(1 - td(torch.tensor(real))).mean()
            + torch.relu(1 + td(torch.tensor(fake))).mean()
        )
        loss = F.relu(1 - d(mg.tensor(real))).mean() + F.relu(1 + d(mg.tensor(fake))).mean()
        np.testing.assert_allclose(loss.item(), tl.item(), rtol=1e-10)
        topt.zero_grad()
        opt.zero_grad()
        tl.backward()
        loss.backward()
        topt.step()
        opt.step()
    for (k, v), (tk, tv) in zip(d.state_dict().items(), td.state_dict().items(), strict=True):
        assert k == tk
        np.testing.assert_allclose(_np(v), _np(tv), rtol=1e-8, atol=1e-10)


# ---------------------------------------------------------------------- weight_norm
@pytest.mark.parametrize("kind", ["linear", "conv", "convT"])
@pytest.mark.parametrize("dim", [0, 1, None, -2])
def test_weight_norm_matches_torch_over_training_steps(kind, dim):
    torch = torch_or_skip()
    torch.manual_seed(0)
    tm, m, xshape = _pair_modules(torch, kind, np.float64)
    m = m.double()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        torch.nn.utils.weight_norm(tm, dim=dim)
    with pytest.warns(FutureWarning, match="deprecated"):
        weight_norm(m, dim=dim)
    assert list(m.state_dict()) == list(tm.state_dict())
    assert m.weight_g.shape == tuple(tm.weight_g.shape)
    _copy_state(tm, m)
    topt = torch.optim.SGD(tm.parameters(), lr=0.1)
    opt = mg.optim.SGD(m.parameters(), lr=0.1)
    rng = np.random.default_rng(1)
    for _ in range(3):
        x = rng.standard_normal(xshape)
        ty, y = tm(torch.tensor(x)), m(mg.tensor(x))
        np.testing.assert_allclose(_np(y), _np(ty), rtol=1e-10, atol=1e-12)
        (ty**2).sum().backward()
        (y**2).sum().backward()
        for name in ("weight_g", "weight_v"):
            np.testing.assert_allclose(
                _np(getattr(m, name).grad), _np(getattr(tm, name).grad), rtol=1e-9, atol=1e-12
            )
        topt.step()
        opt.step()
        topt.zero_grad()
        opt.zero_grad()
    torch.nn.utils.remove_weight_norm(tm)
    remove_weight_norm(m)
    assert list(m.state_dict()) == list(tm.state_dict())
    assert isinstance(m.weight, nn.Parameter)
    np.testing.assert_allclose(_np(m.weight), _np(tm.weight), rtol=1e-10)


def test_weight_norm_initial_weight_and_errors():
    with pytest.warns(FutureWarning):
        m = weight_norm(nn.Linear(4, 3))
    # at apply time g = ||v|| row-wise, so the weight is unchanged
    np.testing.assert_allclose(_np(m.weight), _np(m.weight_v), rtol=1e-6)
    with pytest.raises(RuntimeError, match="Cannot register two weight_norm hooks"):
        with pytest.warns(FutureWarning):
            weight_norm(m)
    remove_weight_norm(m)
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found"):
        remove_weight_norm(m)


# ---------------------------------------------------------------------- unfold / fold
FOLD_CASES = [
    ((2, 3, 5, 6), dict(kernel_size=2)),
    ((2, 3, 7, 6), dict(kernel_size=(3, 2), dilation=(2, 1), padding=(1, 2), stride=(2, 3))),
    ((1, 2, 6, 6), dict(kernel_size=3, dilation=2, padding=2, stride=2)),
    ((2, 1, 4, 5), dict(kernel_size=1, padding=1, stride=2)),
    ((2, 2, 4, 4), dict(kernel_size=1)),
    ((3, 5, 6), dict(kernel_size=2, stride=(1, 2))),  # unbatched
    ((0, 2, 4, 4), dict(kernel_size=2)),  # empty batch
]


@pytest.mark.parametrize("shape,kw", FOLD_CASES)
def test_unfold_fold_match_torch(shape, kw):
    torch = torch_or_skip()
    TF = torch.nn.functional
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape)
    tx = torch.tensor(x, requires_grad=True)
    ty = TF.unfold(tx, **kw)
    y = F.unfold(mg.tensor(x, requires_grad=True), **kw)
    assert y.shape == tuple(ty.shape)
    np.testing.assert_array_equal(_np(y), _np(ty))
    cols = rng.standard_normal(tuple(ty.shape))
    size = shape[-2:]
    tz = TF.fold(torch.tensor(cols, requires_grad=True), size, **kw)
    z = F.fold(mg.tensor(cols), size, **kw)
    assert z.shape == tuple(tz.shape)
    np.testing.assert_allclose(_np(z), _np(tz), rtol=1e-12, atol=1e-12)
    # module forms
    np.testing.assert_array_equal(_np(nn.Unfold(**kw)(mg.tensor(x))), _np(ty))
    np.testing.assert_allclose(_np(nn.Fold(size, **kw)(mg.tensor(cols))), _np(tz), atol=1e-12)


@pytest.mark.parametrize("shape,kw", [c for c in FOLD_CASES if c[0][0] != 0])
def test_unfold_fold_gradcheck_and_double_backward(shape, kw):
    rng = np.random.default_rng(0)
    x = mg.tensor(rng.standard_normal(shape), requires_grad=True)
    assert mg.gradcheck(lambda t: F.unfold(t, **kw), [x])
    assert mg.gradgradcheck(lambda t: F.unfold(t, **kw) ** 2, [x])
    cols = F.unfold(x, **kw).detach().numpy()
    c = mg.tensor(rng.standard_normal(cols.shape), requires_grad=True)
    assert mg.gradcheck(lambda t: F.fold(t, shape[-2:], **kw), [c])
    assert mg.gradgradcheck(lambda t: F.fold(t, shape[-2:], **kw) ** 2, [c])


def test_unfold_fold_gradients_match_torch():
    torch = torch_or_skip()
    TF = torch.nn.functional
    kw = dict(kernel_size=(2, 3), dilation=(1, 2), padding=1, stride=(2, 1))
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 7))
    tx, mx = torch.tensor(x, requires_grad=True), mg.tensor(x, requires_grad=True)
    tfolded = TF.fold(TF.unfold(tx, **kw) * 3, (6, 7), **kw)
    folded = F.fold(F.unfold(mx, **kw) * 3, (6, 7), **kw)
    np.testing.assert_allclose(_np(folded), _np(tfolded), rtol=1e-12)
    (tfolded**3).sum().backward()
    (folded**3).sum().backward()
    np.testing.assert_allclose(_np(mx.grad), _np(tx.grad), rtol=1e-12)


def test_unfold_does_not_alias_input():
    x = mg.tensor(np.ones((1, 2, 3, 3)))
    y = F.unfold(x, 1)
    x.data.mul_(2.0)
    assert np.all(_np(y) == 1)


def test_unfold_fold_errors_match_torch():
    torch = torch_or_skip()
    TF = torch.nn.functional
    cases = [
        ("unfold", (1, 2, 3, 3), (4,), {}),  # kernel larger than the input
        ("unfold", (1, 2, 3, 3), (2,), dict(stride=0)),
        ("unfold", (1, 2, 3, 3), (2,), dict(padding=-1)),
        ("unfold", (1, 2, 3, 3), (2,), dict(dilation=0)),
        ("unfold", (1, 2, 3, 3), ((2, 2, 2),), {}),
        ("unfold", (3, 3), (2,), {}),
        ("fold", (1, 8, 5), ((3, 3), 2), {}),  # wrong number of blocks
        ("fold", (1, 7, 4), ((3, 3), 2), {}),  # channels not divisible by the kernel
        ("fold", (2, 1, 8, 4), ((3, 3), 2), {}),
        ("fold", (1, 8, 4), ((3, 3), 4), {}),
    ]
    for name, shape, args, kw in cases:
        x = np.zeros(shape)
        with pytest.raises((RuntimeError, IndexError)) as texc:
            getattr(TF, name)(torch.tensor(x), *args, **kw)
        with pytest.raises(RuntimeError) as exc:
            getattr(F, name)(mg.tensor(x), *args, **kw)
        if texc.type is RuntimeError and "components must be" in str(texc.value):
            assert str(exc.value) == str(texc.value)


# ---------------------------------------------------------------------- bilinear
@pytest.mark.parametrize("lead", [(4,), (2, 3), ()])
@pytest.mark.parametrize("bias", [True, False])
def test_bilinear_matches_torch(lead, bias):
    torch = torch_or_skip()
    torch.manual_seed(0)
    tm = torch.nn.Bilinear(3, 5, 2, bias=bias).double()
    m = nn.Bilinear(3, 5, 2, bias=bias, dtype=np.float64)
    _copy_state(tm, m)
    rng = np.random.default_rng(0)
    x1, x2 = rng.standard_normal(lead + (3,)), rng.standard_normal(lead + (5,))
    t1, t2 = torch.tensor(x1, requires_grad=True), torch.tensor(x2, requires_grad=True)
    m1, m2 = mg.tensor(x1, requires_grad=True), mg.tensor(x2, requires_grad=True)
    ty, y = tm(t1, t2), m(m1, m2)
    assert y.shape == tuple(ty.shape)
    np.testing.assert_allclose(_np(y), _np(ty), rtol=1e-12, atol=1e-12)
    (ty**2).sum().backward()
    (y**2).sum().backward()
    for a, b in [(m1, t1), (m2, t2), (m.weight, tm.weight)] + ([(m.bias, tm.bias)] if bias else []):
        np.testing.assert_allclose(_np(a.grad), _np(b.grad), rtol=1e-10, atol=1e-12)


def test_bilinear_gradcheck_and_double_backward():
    rng = np.random.default_rng(0)
    xs = [
        mg.tensor(rng.standard_normal(s), requires_grad=True)
        for s in [(3, 2), (3, 4), (5, 2, 4), (5,)]
    ]
    assert mg.gradcheck(F.bilinear, xs)
    assert mg.gradgradcheck(F.bilinear, xs)


def test_bilinear_init_repr_and_errors():
    torch = torch_or_skip()
    m = nn.Bilinear(4, 3, 5)
    assert repr(m) == repr(torch.nn.Bilinear(4, 3, 5))
    assert m.weight.shape == (5, 4, 3) and m.bias.shape == (5,)
    assert m.weight.dtype == np.float32
    bound = 1 / np.sqrt(4)
    for p in (m.weight, m.bias):
        assert np.all(np.abs(_np(p)) <= bound) and np.std(_np(p)) > bound / 4
    zeros32 = (mg.tensor(np.zeros((0, 4), np.float32)), mg.tensor(np.zeros((0, 3), np.float32)))
    assert m(*zeros32).shape == (0, 5)
    w = mg.tensor(np.zeros((6, 4, 5)))
    with pytest.raises(RuntimeError, match="batch dimensions do not match at dim 0"):
        F.bilinear(mg.tensor(np.zeros((3, 4))), mg.tensor(np.zeros((2, 5))), w)
    with pytest.raises(RuntimeError, match="input2 size does not match weight size: got 4"):
        F.bilinear(mg.tensor(np.zeros((3, 4))), mg.tensor(np.zeros((3, 4))), w)
    with pytest.raises(RuntimeError, match="bias size does not match"):
        F.bilinear(mg.tensor(np.zeros(4)), mg.tensor(np.zeros(5)), w, mg.tensor(np.zeros(7)))
