"""minigrad.optim against hand-computed first steps and torch.optim over several steps
(float64), plus state_dict round trips that continue bit for bit."""

import math

import numpy as np
import pytest
from op_cases import torch_or_skip

import minigrad as mg
from minigrad import nn, optim


def _grad_of(p):
    """A deterministic, nonlinear stand-in for a loss gradient."""
    return np.sin(3 * p) + 0.1 * p + 0.05


def _params(seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((3, 4)), rng.standard_normal(5)]


CONFIGS = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.1, "momentum": 0.8, "nesterov": True, "weight_decay": 0.1}),
    ("Adam", {}),
    ("Adam", {"lr": 0.01, "betas": (0.8, 0.9), "eps": 1e-6, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),
    ("RMSprop", {}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "momentum": 0.5, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01, "centered": True}),
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.9, "eps": 1e-4}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.1, "maximize": True}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1, "maximize": True, "amsgrad": True}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("AdamW", {}),
    ("AdamW", {"lr": 0.01, "betas": (0.8, 0.9), "weight_decay": 0.5, "amsgrad": True}),
    ("AdamW", {"lr": 0.01, "maximize": True}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.5, "weight_decay": 0.1, "maximize": True}),
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.8, "eps": 1e-4, "weight_decay": 0.1}),
    ("Adadelta", {"maximize": True, "weight_decay": 0.1}),
]


@pytest.mark.parametrize("name, kwargs", CONFIGS, ids=[f"{n}-{k}" for n, k in CONFIGS])
def test_matches_torch_for_five_steps(name, kwargs):
    torch = torch_or_skip()
    arrays = _params()
    ps = [mg.Tensor(a.copy(), requires_grad=True) for a in arrays]
    tps = [torch.tensor(a.copy(), requires_grad=True) for a in arrays]
    opt = getattr(optim, name)(ps, **kwargs)
    topt = getattr(torch.optim, name)(tps, **kwargs)
    for _ in range(5):
        for p, tp in zip(ps, tps, strict=True):
            g = _grad_of(p.detach().numpy())
            p.grad = mg.Tensor(g)
            tp.grad = torch.from_numpy(g.copy())
        opt.step()
        topt.step()
        for p, tp in zip(ps, tps, strict=True):
            np.testing.assert_allclose(
                p.detach().numpy(), tp.detach().numpy(), rtol=1e-10, atol=1e-12
            )


ZERO_D = [
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.5, "dampening": 0.2, "maximize": True}),
    ("Adam", {"lr": 0.1}),
    ("Adam", {"lr": 0.1, "amsgrad": True, "weight_decay": 0.1}),
    ("AdamW", {"lr": 0.1, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9, "centered": True, "weight_decay": 0.1}),
    ("Adadelta", {"lr": 0.5}),
]


def _loss_steps(opt, ps, torch_opt, tps, steps):
    """`steps` steps of both optimizers on f(p) = p^3 / 3 - 2 p summed, gradients from
    each library's own backward (minigrad's are NumPy scalars for 0-d parameters)."""
    for _ in range(steps):
        opt.zero_grad()
        sum(((p * p * p) * (1 / 3) - p * 2).sum() for p in ps).backward()
        opt.step()
        torch_opt.zero_grad()
        sum(((p * p * p) * (1 / 3) - p * 2).sum() for p in tps).backward()
        torch_opt.step()


def _assert_close_to_torch(ps, tps, dtype):
    tol = dict(rtol=1e-10, atol=1e-12) if dtype == np.float64 else dict(rtol=1e-5, atol=1e-6)
    for p, tp in zip(ps, tps, strict=True):
        assert p.dtype == dtype and p.shape == tuple(tp.shape)
        np.testing.assert_allclose(p.detach().numpy(), tp.detach().numpy(), **tol)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name, kwargs", ZERO_D, ids=[f"{n}-{k}" for n, k in ZERO_D])
def test_zero_dim_parameters_match_torch_through_a_state_dict_round_trip(
    name, kwargs, dtype, tmp_path
):
    """A 0-d parameter next to a vector: several steps, then a checkpoint through
    `mg.save`/`mg.load` into a fresh optimizer that continues exactly like torch's."""
    torch = torch_or_skip()
    values = [np.array(0.7, dtype=dtype), np.array([-1.3, 0.4, 2.0], dtype=dtype)]
    ps = [mg.tensor(v.copy(), requires_grad=True) for v in values]
    tps = [torch.tensor(v.copy(), requires_grad=True) for v in values]
    opt = getattr(optim, name)(ps, **kwargs)
    topt = getattr(torch.optim, name)(tps, **kwargs)
    _loss_steps(opt, ps, topt, tps, 4)
    _assert_close_to_torch(ps, tps, dtype)

    mg.save(opt.state_dict(), tmp_path / "opt.npz")
    opt2 = getattr(optim, name)(ps, lr=123.0)
    opt2.load_state_dict(mg.load(tmp_path / "opt.npz"))
    assert opt2.param_groups[0]["lr"] == kwargs.get("lr", opt.defaults["lr"])
    for p in ps:
        for k, v in opt2.state[p].items():
            assert isinstance(v, mg.Tensor), k  # Tensors, as torch's state
            if k == "step":
                assert v.shape == () and v.dtype == np.float32 and v.item() == 4
            else:
                assert v.shape == p.shape and v.dtype == dtype, k
                assert v is not opt.state[p][k]
                np.testing.assert_array_equal(v.numpy(), opt.state[p][k].numpy())
    _loss_steps(opt2, ps, topt, tps, 4)
    _assert_close_to_torch(ps, tps, dtype)


def test_zero_dim_state_loaded_from_python_numbers_becomes_tensors():
    """A state dict holding plain numbers for a 0-d parameter's buffers (a hand-written or
    converted checkpoint) loads as Tensors the updates can change in place."""
    p = mg.tensor(1.0, requires_grad=True)
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    state = {
        "state": {0: {"momentum_buffer": 0.5}},
        "param_groups": [{**opt.param_groups[0], "params": [0]}],
    }
    opt.load_state_dict(state)
    buf = opt.state[p]["momentum_buffer"]
    assert isinstance(buf, mg.Tensor) and buf.shape == () and buf.dtype == np.float32
    p.grad = mg.tensor(1.0)
    opt.step()
    assert opt.state[p]["momentum_buffer"] is buf
    assert buf.item() == pytest.approx(0.9 * 0.5 + 1.0)
    assert p.detach().numpy() == pytest.approx(1.0 - 0.1 * 1.45)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adadelta"])
def test_defaults_are_torchs(name):
    torch = torch_or_skip()
    p = mg.ones(2, requires_grad=True)
    ours = getattr(optim, name)([p]).defaults
    theirs = getattr(torch.optim, name)([torch.ones(2, requires_grad=True)]).defaults
    assert ours == {k: theirs[k] for k in ours}
    if name == "AdamW":
        assert ours["weight_decay"] == 1e-2 and ours["decoupled_weight_decay"]


def test_torch_only_switches_and_unknown_options():
    p = [mg.ones(1, requires_grad=True)]
    optim.Adam(p, foreach=True, fused=None, capturable=False, differentiable=False)
    with pytest.raises(TypeError, match="SGD: unknown option 'betas'"):
        optim.SGD(p, lr=0.1, betas=(0.9, 0.99))
    with pytest.raises(TypeError, match="AdamW: unknown option 'momentum'"):
        optim.AdamW(p, momentum=0.9)
    with pytest.raises(ValueError, match="Adam: fused=True is not supported"):
        optim.Adam(p, fused=True)
    with pytest.raises(ValueError, match="RMSprop: differentiable=True is not supported"):
        optim.RMSprop(p, differentiable=True)
    with pytest.raises(ValueError, match="Adadelta: invalid rho 1.5"):
        optim.Adadelta(p, rho=1.5)
    with pytest.raises(ValueError, match="AdamW: invalid weight_decay -1"):
        optim.AdamW(p, weight_decay=-1)


def test_loading_a_state_dict_without_newer_settings_keeps_their_defaults():
    """Checkpoints written before `maximize` existed still load and resume."""
    p = mg.ones(2, requires_grad=True)
    opt = optim.Adam([p], lr=0.1)
    p.grad = mg.ones(2)
    opt.step()
    sd = opt.state_dict()
    for key in ("maximize", "decoupled_weight_decay"):
        del sd["param_groups"][0][key]
    opt2 = optim.Adam([p])
    opt2.load_state_dict(sd)
    assert opt2.param_groups[0]["lr"] == 0.1 and opt2.param_groups[0]["maximize"] is False
    opt2.step()
    assert opt2.state[p]["step"] == 2


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("SGD", {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.1}),
        ("Adam", {"lr": 0.1, "amsgrad": True}),
        ("AdamW", {"lr": 0.1}),
        ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5}),
        ("Adadelta", {"weight_decay": 0.1}),
    ],
)
def test_empty_non_contiguous_and_nan_parameters_match_torch(name, kwargs):
    """A (0, 3) parameter, a transposed (non-contiguous) one updated in place through its
    view, and a NaN gradient that poisons only its own parameter."""
    torch = torch_or_skip()
    rng = np.random.default_rng(3)
    base = rng.standard_normal((4, 3))
    values = [np.zeros((0, 3)), base.T, np.array([1.0, 2.0])]
    ps = [mg.Tensor(v, requires_grad=True) for v in values]  # no copy: ps[1] is a view
    assert not ps[1]._data.flags.c_contiguous
    tps = [torch.tensor(v.copy(), requires_grad=True) for v in values]
    opt = getattr(optim, name)(ps, **kwargs)
    topt = getattr(torch.optim, name)(tps, **kwargs)
    for step in range(3):
        for p, tp in zip(ps, tps, strict=True):
            g = _grad_of(tp.detach().numpy())
            if step == 1 and p.shape == (2,):
                g[0] = np.nan
            p.grad = mg.Tensor(g)
            tp.grad = torch.from_numpy(g.copy())
        opt.step()
        topt.step()
    for p, tp in zip(ps, tps, strict=True):
        np.testing.assert_allclose(p.detach().numpy(), tp.detach().numpy(), rtol=1e-10)
    assert np.isnan(ps[2].detach().numpy()[0]) and np.isfinite(ps[1].detach().numpy()).all()


def _one_step(opt_cls, p0, g, **kw):
    p = mg.tensor([p0], dtype=mg.float64, requires_grad=True)
    opt = opt_cls([p], **kw)
    p.grad = mg.tensor([g], dtype=mg.float64)
    opt.step()
    return p.detach().numpy()[0], opt


def test_first_steps_by_hand():
    p0, g = 2.0, 0.5
    assert _one_step(optim.SGD, p0, g, lr=0.1)[0] == pytest.approx(p0 - 0.1 * g)
    # momentum: the first step seeds the buffer with the gradient itself
    assert _one_step(optim.SGD, p0, g, lr=0.1, momentum=0.9)[0] == pytest.approx(p0 - 0.1 * g)
    # nesterov: g + momentum * buf, with buf = g on the first step
    got = _one_step(optim.SGD, p0, g, lr=0.1, momentum=0.9, nesterov=True)[0]
    assert got == pytest.approx(p0 - 0.1 * (g + 0.9 * g))
    # weight decay adds wd * p to the gradient
    got = _one_step(optim.SGD, p0, g, lr=0.1, weight_decay=0.2)[0]
    assert got == pytest.approx(p0 - 0.1 * (g + 0.2 * p0))
    # Adam: bias-corrected m / sqrt(v) is sign(g) on step 1
    got, opt = _one_step(optim.Adam, p0, g, lr=0.01)
    m_hat, v_hat = g, g * g
    assert got == pytest.approx(p0 - 0.01 * m_hat / (math.sqrt(v_hat) + 1e-8), rel=1e-12)
    assert opt.state[opt.params[0]]["step"] == 1
    # RMSprop: v = (1 - alpha) g^2
    got = _one_step(optim.RMSprop, p0, g, lr=0.01, alpha=0.99)[0]
    assert got == pytest.approx(p0 - 0.01 * g / (math.sqrt(0.01 * g * g) + 1e-8), rel=1e-12)
    # centered: divide by sqrt(v - mean^2)
    got = _one_step(optim.RMSprop, p0, g, lr=0.01, alpha=0.9, centered=True)[0]
    v, mean = 0.1 * g * g, 0.1 * g
    assert got == pytest.approx(p0 - 0.01 * g / (math.sqrt(v - mean**2) + 1e-8), rel=1e-12)


@pytest.mark.parametrize("opt_cls", [optim.SGD, optim.Adam, optim.RMSprop])
def test_skips_params_without_grad_and_bumps_version(opt_cls, device):
    a = mg.ones(3, device=device, requires_grad=True)
    b = mg.ones(3, device=device, requires_grad=True)
    opt = opt_cls([a, b], lr=0.1)
    a.grad = mg.ones(3, device=device)
    opt.step()
    assert not np.allclose(a.detach().numpy(), 1) and a._version == 1
    np.testing.assert_array_equal(b.detach().numpy(), 1)
    assert b._version == 0 and b not in opt.state
    assert a.dtype == np.float32 and a.device == device


def test_zero_grad_and_lr_attribute():
    p = mg.ones(2, requires_grad=True)
    opt = optim.SGD([p], lr=0.5)
    p.sum().backward()  # p.grad is a read-only broadcast view here
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(p.grad.numpy(), 0)
    opt.zero_grad()
    assert p.grad is None
    assert opt.lr == 0.5 and opt.params == [p]
    opt.lr = 0.1
    assert opt.param_groups[0]["lr"] == 0.1
    p.grad = mg.ones(2)
    opt.step()
    np.testing.assert_allclose(p.detach().numpy(), 0.9)


def test_param_groups_have_their_own_settings():
    a = mg.ones(2, requires_grad=True)
    b = mg.ones(2, requires_grad=True)
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 1.0}], lr=0.1, momentum=0.5)
    assert opt.param_groups[1]["momentum"] == 0.5
    a.grad, b.grad = mg.ones(2), mg.ones(2)
    opt.step()
    np.testing.assert_allclose(a.detach().numpy(), 0.9)
    np.testing.assert_allclose(b.detach().numpy(), 0.0)
    with pytest.raises(ValueError, match="two groups"):
        optim.SGD([{"params": [a]}, {"params": [a]}], lr=0.1)


def test_invalid_settings():
    p = [mg.ones(1, requires_grad=True)]
    with pytest.raises(ValueError):
        optim.SGD(p, lr=-1)
    with pytest.raises(ValueError, match="nesterov"):
        optim.SGD(p, lr=0.1, nesterov=True)
    with pytest.raises(ValueError):
        optim.Adam(p, betas=(1.0, 0.9))
    with pytest.raises(ValueError, match="empty"):
        optim.Adam([])
    with pytest.raises(TypeError, match=r"SGD: params should be an iterable.*shape \(3,\)"):
        optim.SGD(mg.ones(3, requires_grad=True), lr=0.1)


def _train(model, opt, steps, seed):
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        x = mg.tensor(rng.standard_normal((8, 3)), dtype=mg.float32)
        loss = (model(x) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()


@pytest.mark.parametrize(
    "make",
    [
        lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
        lambda ps: optim.Adam(ps, lr=0.01, amsgrad=True),
        lambda ps: optim.RMSprop(ps, lr=0.01, momentum=0.9, centered=True),
    ],
)
def test_state_dict_round_trip_through_save_load_resumes_bit_for_bit(make, tmp_path):
    mg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    opt = make(model.parameters())
    _train(model, opt, 3, seed=1)
    mg.save({"model": model.state_dict(), "optim": opt.state_dict()}, tmp_path / "ck.npz")
    _train(model, opt, 3, seed=2)

    ck = mg.load(tmp_path / "ck.npz")
    mg.manual_seed(5)  # a different init: everything must come from the checkpoint
    model2 = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    opt2 = make(model2.parameters())
    opt2.param_groups[0]["lr"] = 123.0  # settings come from the checkpoint too
    model2.load_state_dict(ck["model"])
    opt2.load_state_dict(ck["optim"])
    _train(model2, opt2, 3, seed=2)
    for p, p2 in zip(model.parameters(), model2.parameters(), strict=True):
        np.testing.assert_array_equal(p.detach().numpy(), p2.detach().numpy())


def test_state_dict_is_live_as_torchs_and_load_checks_sizes():
    p = mg.ones(3, requires_grad=True)
    opt = optim.Adam([p])
    p.grad = mg.ones(3)
    opt.step()
    sd = opt.state_dict()
    assert sd["state"][0]["step"].item() == 1 and sd["param_groups"][0]["params"] == [0]
    assert sd["state"][0] is opt.state[p]  # torch's state_dict holds the live state too
    other = optim.Adam([mg.ones(3, requires_grad=True), mg.ones(1, requires_grad=True)])
    with pytest.raises(ValueError, match="group 0 has 1 parameters in the state but 2"):
        other.load_state_dict(sd)
    wrong = optim.Adam([mg.ones(4, requires_grad=True)])
    with pytest.raises(ValueError, match="shape"):
        wrong.load_state_dict(sd)


# ---------------------------------------------------------------------- EMA
def test_ema_follows_the_warm_up_rule_then_the_decay(tmp_path):
    """Each update moves every average to d * a + (1 - d) * p with
    d = min(decay, (1 + t) / (10 + t)); computed here by hand in float64."""
    w = mg.tensor(np.zeros((2, 3)), requires_grad=True)
    b = mg.tensor(np.ones(3), requires_grad=True)
    ema = optim.EMA([w, b], decay=0.6)
    expect = [np.zeros((2, 3)), np.ones(3)]
    rng = np.random.default_rng(0)
    for t in range(1, 20):  # the warm-up rule until t = 13, the decay 0.6 after
        for p in (w, b):
            p._data[...] = rng.standard_normal(p.shape)
        ema.update()
        d = min(0.6, (1 + t) / (10 + t))
        expect = [d * e + (1 - d) * p.detach().numpy() for e, p in zip(expect, (w, b), strict=True)]
        for a, e in zip(ema.averages, expect, strict=True):
            np.testing.assert_allclose(a, e, rtol=1e-12)
    assert ema.num_updates == 19


def test_ema_bias_correction_is_the_zero_started_average_divided_by_1_minus_d_t(tmp_path):
    """bias_correction=True: the average equals r_t / (1 - d^t) with r_t = d r_{t-1} +
    (1 - d) p_t from r_0 = 0 (Adam's moments), by hand in float64: the first update copies
    the parameters and the initial weights leave no trace. The option survives a save and
    load; a state saved before it existed loads as the warm-up rule."""
    w = mg.tensor(np.full((2, 3), 5.0), requires_grad=True)
    ema = optim.EMA([w], decay=0.9, bias_correction=True)
    raw = np.zeros((2, 3))
    rng = np.random.default_rng(1)
    for t in range(1, 40):
        w._data[...] = rng.standard_normal(w.shape)
        ema.update()
        raw = 0.9 * raw + 0.1 * w.detach().numpy()
        np.testing.assert_allclose(ema.averages[0], raw / (1 - 0.9**t), rtol=1e-12)
        if t == 1:
            np.testing.assert_array_equal(ema.averages[0], w.detach().numpy())
    mg.save(ema.state_dict(), tmp_path / "ema.npz")
    other = optim.EMA([mg.tensor(np.zeros((2, 3)))])
    other.load_state_dict(mg.load(tmp_path / "ema.npz"))
    assert other.bias_correction is True and other.num_updates == 39
    old = {k: v for k, v in ema.state_dict().items() if k != "bias_correction"}
    other.load_state_dict(old)
    assert other.bias_correction is False


def test_ema_swapped_restores_and_state_round_trips(tmp_path):
    net = nn.Linear(3, 2)
    ema = optim.EMA(net.parameters(), decay=0.9)
    opt = optim.SGD(net.parameters(), lr=0.5)
    x = mg.randn(4, 3)
    for _ in range(3):
        opt.zero_grad()
        (net(x) ** 2).sum().backward()
        opt.step()
        ema.update()
    own = [p.detach().numpy().copy() for p in net.parameters()]
    versions = [p._version for p in net.parameters()]
    with ema.swapped():
        for p, a in zip(net.parameters(), ema.averages, strict=True):
            np.testing.assert_array_equal(p.detach().numpy(), a)
        p._data += 1.0  # an in-place change inside the block leaves the averages alone
    for p, o, v in zip(net.parameters(), own, versions, strict=True):
        np.testing.assert_array_equal(p.detach().numpy(), o)
        assert p._version > v  # a graph saved inside the block cannot backward later
    assert not np.array_equal(ema.averages[-1], own[-1] + 1.0)
    mg.save(ema.state_dict(), tmp_path / "ema.npz")
    other = optim.EMA(nn.Linear(3, 2).parameters(), decay=0.1)
    other.load_state_dict(mg.load(tmp_path / "ema.npz"))
    assert other.decay == 0.9 and other.num_updates == 3
    for a, b in zip(other.averages, ema.averages, strict=True):
        np.testing.assert_array_equal(a, b)
    other.copy_to()
    for p, a in zip(other.params, ema.averages, strict=True):
        np.testing.assert_array_equal(p.detach().numpy(), a)


def test_ema_rejects_bad_settings_and_states():
    net = nn.Linear(3, 2)
    with pytest.raises(ValueError, match="EMA: invalid decay 1.0"):
        optim.EMA(net.parameters(), decay=1.0)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.EMA([])
    state = optim.EMA(nn.Linear(3, 5).parameters()).state_dict()
    with pytest.raises(ValueError, match=r"average 0 has shape \(5, 3\), the parameter \(2, 3\)"):
        optim.EMA(net.parameters()).load_state_dict(state)
    with pytest.raises(ValueError, match="1 averages in the state but 2 parameters"):
        optim.EMA(net.parameters()).load_state_dict({**state, "averages": {0: np.zeros((2, 3))}})
