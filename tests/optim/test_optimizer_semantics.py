"""Optimizer semantics against torch.optim: state as a defaultdict of Tensors, step(closure),
add_param_group checks, the state_dict layout and round trip (also from the earlier NumPy
format), and 30-step trajectories of Adagrad, Adamax, NAdam, RAdam, Rprop and ASGD with
their special options, in float32 and float64."""

import warnings

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn, optim

torch = pytest.importorskip("torch")


# ---------------------------------------------------------------------- state
def _custom_sgd(lib):
    """The custom-optimizer pattern of torch's docs and tutorials."""

    class MySGD(lib.optim.Optimizer):
        def __init__(self, params, lr=0.1):
            super().__init__(params, dict(lr=lr))

        @lib.no_grad()
        def step(self, closure=None):
            for g in self.param_groups:
                for p in g["params"]:
                    st = self.state[p]
                    if len(st) == 0:
                        st["step"] = 0
                    st["step"] += 1
                    p.add_(p.grad, alpha=-g["lr"] * st["step"])

    return MySGD


def test_state_is_a_defaultdict_for_custom_optimizers():
    got = []
    for lib in (mg, torch):
        p = lib.nn.Parameter(lib.tensor(np.ones(2, np.float32)))
        opt = _custom_sgd(lib)([p])
        for _ in range(2):
            opt.zero_grad()
            (p * p).sum().backward()
            opt.step()
        got.append((p.detach().numpy().copy(), opt.state[p]["step"]))
    np.testing.assert_allclose(got[0][0], got[1][0], rtol=1e-6)
    assert got[0][1] == got[1][1] == 2
    q = mg.ones(1, requires_grad=True)
    assert q not in opt.state and len(optim.SGD([q], lr=0.1).state) == 0


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("Adam", dict(amsgrad=True)),
        ("AdamW", {}),
        ("RMSprop", dict(momentum=0.9, centered=True)),
        ("Adadelta", {}),
        ("SGD", dict(lr=0.1, momentum=0.9)),
        ("Adagrad", {}),
        ("Adamax", {}),
        ("NAdam", {}),
        ("RAdam", {}),
        ("Rprop", {}),
        ("ASGD", {}),
    ],
)
def test_state_values_are_tensors_like_torchs(name, kwargs):
    """Same keys in the same order, Tensors of the same dtype and shape ('step' a 0-d
    float32 tensor), so `state['exp_avg'].norm()` and `state['step'].item()` work."""
    states = []
    for lib in (mg, torch):
        p = lib.tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)
        opt = getattr(lib.optim, name)([p], **kwargs)
        for _ in range(3):
            opt.zero_grad()
            (p * p).sum().backward()
            opt.step()
        states.append(opt.state[p])
    ours, theirs = states
    assert list(ours) == list(theirs)
    for k, v in theirs.items():
        assert isinstance(ours[k], mg.Tensor), k
        assert ours[k].shape == tuple(v.shape), k
        assert str(ours[k].dtype) == str(v.dtype).replace("torch.", ""), k
        np.testing.assert_allclose(ours[k].numpy(), v.numpy(), rtol=1e-6, atol=1e-12)
        assert float(ours[k].norm()) == pytest.approx(float(v.norm()), rel=1e-6)
    if "step" in theirs:
        assert ours["step"].item() == theirs["step"].item() == 3.0


def test_adam_state_is_updated_in_place():
    """The step writes into the state's arrays: a reference taken earlier sees the update."""
    p = mg.tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
    opt = optim.Adam([p], lr=0.1)
    p.grad = mg.ones(2)
    opt.step()
    m, step = opt.state[p]["exp_avg"], opt.state[p]["step"]
    p.grad = mg.ones(2)
    opt.step()
    assert opt.state[p]["exp_avg"] is m and opt.state[p]["step"] is step
    np.testing.assert_allclose(m.numpy(), 1 - 0.9**2, rtol=1e-6)
    assert step.item() == 2.0


# ---------------------------------------------------------------------- step(closure)
@pytest.mark.parametrize(
    "name", ["SGD", "Adam", "AdamW", "RMSprop", "Adadelta", "Adagrad", "Rprop"]
)
def test_step_with_closure_returns_its_loss_and_records_grad(name):
    results = []
    for lib in (mg, torch):
        p = lib.tensor(np.array([1.0, -2.0], np.float32), requires_grad=True)
        opt = getattr(lib.optim, name)([p], lr=0.1)
        calls = []

        def closure(lib=lib, p=p, opt=opt, calls=calls):
            calls.append(lib.is_grad_enabled())
            opt.zero_grad()
            loss = (p * p).sum()
            loss.backward()
            return loss

        with lib.no_grad():  # the closure still records: step enables grad for it
            losses = [float(opt.step(closure)) for _ in range(3)]
        results.append((losses, calls, p.detach().numpy().copy()))
    (ours, our_calls, our_p), (theirs, their_calls, their_p) = results
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    assert our_calls == their_calls == [True] * 3
    np.testing.assert_allclose(our_p, their_p, rtol=1e-6)
    assert optim.SGD([mg.ones(1, requires_grad=True)], lr=0.1).step() is None


# ---------------------------------------------------------------------- add_param_group
def test_add_param_group_rejects_sets_and_shared_params_as_torch():
    for lib in (mg, torch):
        a = lib.nn.Parameter(lib.tensor(np.ones(1, np.float32)))
        b = lib.nn.Parameter(lib.tensor(np.ones(1, np.float32)))
        opt = lib.optim.SGD([a], lr=0.1)
        with pytest.raises(TypeError, match="ordered collections"):
            opt.add_param_group({"params": {b}})
        with pytest.raises(ValueError, match="more than one parameter group"):
            opt.add_param_group({"params": [b, a]})
        with pytest.raises(TypeError, match="must be a dict"):
            opt.add_param_group([b])
        with pytest.warns(UserWarning, match="duplicate parameters"):
            lib.optim.SGD([b, b], lr=0.1)
        with pytest.raises(ValueError, match="with/without names"):
            opt.add_param_group({"params": [("b", b)]})
        group = {"params": [b], "lr": 0.5}
        opt.add_param_group(group)
        assert opt.param_groups[1] is group and group["momentum"] == 0  # filled in place


# ---------------------------------------------------------------------- state_dict
def _trained(lib, name, kwargs, steps=3):
    lib.manual_seed(0)
    ps = [
        lib.tensor(np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3), requires_grad=True),
        lib.tensor(np.float32(0.5), requires_grad=True),
    ]
    opt = getattr(lib.optim, name)([{"params": [ps[0]]}, {"params": [ps[1]], "lr": 0.01}], **kwargs)
    for _ in range(steps):
        opt.zero_grad()
        ((ps[0] ** 2).sum() + ps[1].sin()).backward()
        opt.step()
    return ps, opt


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("SGD", dict(lr=0.1, momentum=0.9)),
        ("Adam", dict(amsgrad=True)),
        ("NAdam", {}),
        ("ASGD", dict(t0=1)),
    ],
)
def test_state_dict_layout_is_torchs(name, kwargs):
    """Int keys, groups with every torch setting and 'params' as indices, Tensors that are
    the live state (editing them edits the optimizer, as in torch)."""
    ours, theirs = _trained(mg, name, kwargs)[1], _trained(torch, name, kwargs)[1]
    sd, tsd = ours.state_dict(), theirs.state_dict()
    assert list(sd) == ["state", "param_groups"]
    assert list(sd["state"]) == list(tsd["state"]) == [0, 1]
    assert sd["param_groups"] == tsd["param_groups"]
    for i in (0, 1):
        assert list(sd["state"][i]) == list(tsd["state"][i])
        for k, v in tsd["state"][i].items():
            assert isinstance(sd["state"][i][k], mg.Tensor)
            np.testing.assert_allclose(sd["state"][i][k].numpy(), v.numpy(), rtol=1e-5, atol=1e-7)
    key = next(k for k in tsd["state"][0] if k != "step")
    sd["state"][0][key].numpy()[...] = 99.0
    assert float(ours.state[ours.param_groups[0]["params"][0]][key].numpy().flat[0]) == 99.0


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
        ("Adam", dict(amsgrad=True, weight_decay=0.1)),
        ("RMSprop", dict(momentum=0.5, centered=True)),
        ("Adagrad", dict(lr_decay=0.1)),
        ("Adamax", {}),
        ("NAdam", dict(weight_decay=0.1)),
        ("RAdam", {}),
        ("Rprop", {}),
        ("ASGD", dict(t0=2)),
    ],
)
def test_state_dict_round_trip_through_save_load_matches_torch(name, kwargs, tmp_path):
    """Save mid-way with mg.save, load into a fresh optimizer, continue: the same numbers
    as torch's uninterrupted run; torch can load our state_dict as well."""
    (ps, opt), (tps, topt) = _trained(mg, name, kwargs), _trained(torch, name, kwargs)
    mg.save(opt.state_dict(), tmp_path / "opt.npz")
    opt2 = getattr(optim, name)([{"params": [ps[0]]}, {"params": [ps[1]]}], lr=123.0)
    opt2.load_state_dict(mg.load(tmp_path / "opt.npz"))
    assert opt2.param_groups[1]["lr"] == 0.01
    for p in ps:
        for k, v in opt2.state[p].items():
            assert isinstance(v, mg.Tensor) and v is not opt.state[p][k], k
    # torch reads the same layout: its own optimizer loads ours (numbers as torch tensors)
    sd = opt.state_dict()
    tsd = {
        "state": {
            i: {k: torch.tensor(v.numpy()) for k, v in s.items()} for i, s in sd["state"].items()
        },
        "param_groups": sd["param_groups"],
    }
    copies = [torch.tensor(p.detach().numpy(), requires_grad=True) for p in ps]
    topt2 = getattr(torch.optim, name)([{"params": [copies[0]]}, {"params": [copies[1]]}])
    topt2.load_state_dict(tsd)
    for qs, o in ((ps, opt2), (tps, topt), (copies, topt2)):
        for _ in range(3):
            o.zero_grad()
            ((qs[0] ** 2).sum() + qs[1].sin()).backward()
            o.step()
    for p, tp, cp in zip(ps, tps, copies, strict=True):
        np.testing.assert_allclose(p.detach().numpy(), tp.detach().numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(cp.detach().numpy(), tp.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_loads_a_state_dict_in_the_earlier_numpy_format():
    """Checkpoints written before the state held Tensors: NumPy buffers and an int step."""
    mg.manual_seed(0)
    model = nn.Linear(3, 2)
    opt = optim.Adam(model.parameters(), lr=0.1)
    x = mg.tensor(np.ones((4, 3), np.float32))
    for _ in range(2):
        opt.zero_grad()
        model(x).square().mean().backward()
        opt.step()
    sd = opt.state_dict()
    old = {
        "state": {
            i: {k: (int(v.item()) if k == "step" else v.numpy().copy()) for k, v in s.items()}
            for i, s in sd["state"].items()
        },
        "param_groups": [dict(g) for g in sd["param_groups"]],
    }
    opt2 = optim.Adam(model.parameters())
    opt2.load_state_dict(old)
    for p in model.parameters():
        st = opt2.state[p]
        assert st["step"].item() == 2 and st["step"].dtype == np.float32
        assert isinstance(st["exp_avg"], mg.Tensor)
    opt2.zero_grad()
    model(x).square().mean().backward()
    opt2.step()
    assert all(opt2.state[p]["step"].item() == 3 for p in model.parameters())


# ---------------------------------------------------------------------- new optimizers
TRAJECTORIES = [
    ("Adagrad", {}),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.5, weight_decay=0.1)),
    ("Adagrad", dict(lr=0.05, eps=1e-6, maximize=True)),
    ("Adamax", {}),
    ("Adamax", dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.1)),
    ("Adamax", dict(lr=0.01, maximize=True)),
    ("NAdam", {}),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, momentum_decay=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", {}),
    ("RAdam", dict(lr=0.01, weight_decay=0.1, betas=(0.8, 0.9))),
    ("RAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("Rprop", {}),
    ("Rprop", dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-4, 0.2))),
    ("Rprop", dict(maximize=True)),
    ("ASGD", {}),
    ("ASGD", dict(lr=0.05, lambd=0.01, alpha=0.5, t0=10, weight_decay=0.1)),
    ("ASGD", dict(lr=0.01, t0=5, maximize=True)),
]


def _trajectory(lib, name, kwargs, dtype, steps=30):
    rng = np.random.default_rng(0)
    values = [rng.standard_normal((3, 4)), rng.standard_normal(4), np.array(0.3)]
    targets = [rng.standard_normal(v.shape) for v in values]
    ps = [lib.tensor(v.astype(dtype), requires_grad=True) for v in values]
    extra = {"foreach": False} if lib is torch else {}
    opt = getattr(lib.optim, name)(ps, **kwargs, **extra)
    sign = -1 if kwargs.get("maximize") else 1
    for _ in range(steps):
        opt.zero_grad()
        loss = sum(
            ((p - lib.tensor(t.astype(dtype))) ** 2).sum() + (p * 0.5).sin().sum()
            for p, t in zip(ps, targets, strict=True)
        )
        (sign * loss).backward()
        opt.step()
    return ps, opt


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, kwargs", TRAJECTORIES, ids=[f"{n}-{k}" for n, k in TRAJECTORIES])
def test_new_optimizers_follow_torch_for_30_steps(name, kwargs, dtype):
    tol = dict(rtol=1e-10, atol=1e-12) if dtype == np.float64 else dict(rtol=1e-5, atol=1e-6)
    ps, opt = _trajectory(mg, name, kwargs, dtype)
    tps, topt = _trajectory(torch, name, kwargs, dtype)
    for p, tp in zip(ps, tps, strict=True):
        assert p.dtype == dtype
        np.testing.assert_allclose(p.detach().numpy(), tp.detach().numpy(), **tol)
        for k, v in topt.state[tp].items():  # ASGD's average, NAdam's mu_product too
            np.testing.assert_allclose(opt.state[p][k].numpy(), v.numpy(), **tol, err_msg=k)


@pytest.mark.parametrize("name", ["Adagrad", "Adamax", "NAdam", "RAdam", "Rprop", "ASGD"])
def test_new_optimizers_defaults_and_checks_are_torchs(name):
    ours = getattr(optim, name)([mg.ones(2, requires_grad=True)])
    theirs = getattr(torch.optim, name)([torch.ones(2, requires_grad=True)])
    assert ours.defaults == theirs.defaults
    assert set(ours.param_groups[0]) == set(theirs.param_groups[0])
    with pytest.raises(ValueError):
        getattr(optim, name)([mg.ones(2, requires_grad=True)], lr=-1.0)
    with pytest.raises(ValueError, match="not supported"):
        getattr(optim, name)([mg.ones(2, requires_grad=True)], differentiable=True)


def test_adagrad_makes_its_state_at_construction_as_torch():
    p = mg.ones(2, requires_grad=True)
    opt = optim.Adagrad([p], initial_accumulator_value=0.25)
    assert opt.state[p]["step"].item() == 0.0
    np.testing.assert_array_equal(opt.state[p]["sum"].numpy(), 0.25)


def test_radam_and_nadam_skip_params_without_grad():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for cls in (optim.NAdam, optim.RAdam, optim.Rprop, optim.ASGD):
            a, b = mg.ones(2, requires_grad=True), mg.ones(2, requires_grad=True)
            opt = cls([a, b])
            a.grad = mg.ones(2)
            opt.step()
            assert b not in opt.state and b._version == 0 and a._version == 1
