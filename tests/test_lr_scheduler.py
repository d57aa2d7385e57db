"""minigrad.optim.lr_scheduler against torch.optim.lr_scheduler: lr sequences per group over
40 epochs, state_dict round trips mid-run, resuming with last_epoch, warnings and errors."""

import warnings

import numpy as np
import pytest
from op_cases import torch_or_skip

import minigrad as mg
from minigrad import optim
from minigrad.optim import lr_scheduler


class Warmup:
    """A callable object: LambdaLR saves its attributes."""

    def __init__(self, epochs):
        self.epochs = epochs

    def __call__(self, epoch):
        return min(1.0, (epoch + 1) / self.epochs)


def _lambda(epoch):
    return 0.95**epoch


SCHEDULERS = [
    ("StepLR", {"step_size": 3, "gamma": 0.5}),
    ("StepLR", {"step_size": 1}),
    ("MultiStepLR", {"milestones": [5, 10, 10, 21], "gamma": 0.3}),
    ("ExponentialLR", {"gamma": 0.9}),
    ("CosineAnnealingLR", {"T_max": 10}),
    ("CosineAnnealingLR", {"T_max": 7, "eta_min": 0.01}),
    ("CosineAnnealingLR", {"T_max": 1, "eta_min": 0.05}),
    ("LambdaLR", {"lr_lambda": _lambda}),
    ("LambdaLR", {"lr_lambda": [_lambda, lambda e: 1.0 / (1 + e)]}),
    ("LambdaLR", {"lr_lambda": [Warmup(5), Warmup(8)]}),
]
IDS = [f"{n}-{k}" for n, k in SCHEDULERS]


def _pair(torch, name, kwargs, lrs=(0.1, 0.5), optimizer="SGD", **opt_kwargs):
    """The same two-group optimizer and scheduler in minigrad and torch."""
    ps = [mg.ones(2, requires_grad=True) for _ in lrs]
    tps = [torch.ones(2, requires_grad=True) for _ in lrs]
    opt = getattr(optim, optimizer)(
        [{"params": [p], "lr": lr} for p, lr in zip(ps, lrs, strict=True)], **opt_kwargs
    )
    topt = getattr(torch.optim, optimizer)(
        [{"params": [p], "lr": lr} for p, lr in zip(tps, lrs, strict=True)], **opt_kwargs
    )
    sched = getattr(lr_scheduler, name)(opt, **kwargs)
    tsched = getattr(torch.optim.lr_scheduler, name)(topt, **kwargs)
    return opt, sched, topt, tsched


def _epochs(opt, sched, n, seen):
    """n epochs of optimizer.step() then scheduler.step(), recording the lrs."""
    for _ in range(n):
        for p in opt.params:
            p.grad = mg.ones(p.shape)
        opt.step()
        sched.step()
        lrs = [g["lr"] for g in opt.param_groups]
        assert sched.get_last_lr() == lrs
        seen.append(lrs)


def _torch_epochs(topt, tsched, n, seen):
    for _ in range(n):
        for g in topt.param_groups:
            for p in g["params"]:
                p.grad = p.detach().clone().fill_(1.0)
        topt.step()
        tsched.step()
        seen.append(list(tsched.get_last_lr()))


@pytest.mark.parametrize("name, kwargs", SCHEDULERS, ids=IDS)
def test_lr_sequence_matches_torch_for_40_epochs(name, kwargs):
    torch = torch_or_skip()
    opt, sched, topt, tsched = _pair(torch, name, kwargs)
    assert sched.last_epoch == tsched.last_epoch == 0
    assert sched.base_lrs == tsched.base_lrs == [0.1, 0.5]
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert sched.get_last_lr() == pytest.approx(tsched.get_last_lr(), rel=1e-12, abs=0)
    ours, theirs = [], []
    _epochs(opt, sched, 40, ours)
    _torch_epochs(topt, tsched, 40, theirs)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)
    assert sched.last_epoch == tsched.last_epoch == 40


def test_parameters_move_with_the_scheduled_lr():
    p = mg.zeros(1, requires_grad=True)
    opt = optim.SGD([p], lr=1.0)
    sched = lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    for _ in range(4):  # lrs 1, 1, 0.5, 0.5
        p.grad = mg.ones(1)
        opt.step()
        sched.step()
    np.testing.assert_allclose(p.detach().numpy(), [-3.0])
    assert sched.get_last_lr() == [0.25]


@pytest.mark.parametrize("name, kwargs", SCHEDULERS, ids=IDS)
def test_state_dict_round_trip_mid_run_continues_like_torch(name, kwargs, tmp_path):
    """PyTorch's resume recipe: a fresh optimizer and scheduler, then both load_state_dicts
    (through mg.save/mg.load); the lrs continue as in an uninterrupted torch run."""
    torch = torch_or_skip()
    opt, sched, topt, tsched = _pair(torch, name, kwargs, optimizer="Adam")
    _epochs(opt, sched, 13, [])
    _torch_epochs(topt, tsched, 13, [])
    mg.save({"opt": opt.state_dict(), "sched": sched.state_dict()}, tmp_path / "ck.npz")

    ck = mg.load(tmp_path / "ck.npz")
    fresh = {**kwargs}
    objects = isinstance(kwargs.get("lr_lambda"), list) and isinstance(
        kwargs["lr_lambda"][0], Warmup
    )
    if objects:
        fresh["lr_lambda"] = [Warmup(100), Warmup(100)]  # the attributes come from the state
    ps = [mg.ones(2, requires_grad=True) for _ in range(2)]
    opt2 = optim.Adam([{"params": [p], "lr": 9.0} for p in ps])
    sched2 = getattr(lr_scheduler, name)(opt2, **fresh)
    opt2.load_state_dict(ck["opt"])
    sched2.load_state_dict(ck["sched"])
    assert sched2.last_epoch == 13 and sched2.base_lrs == [0.1, 0.5]
    assert sched2.get_last_lr() == sched.get_last_lr()
    if objects:
        assert [fn.epochs for fn in sched2.lr_lambdas] == [5, 8]
    ours, theirs = [], []
    _epochs(opt2, sched2, 25, ours)
    _torch_epochs(topt, tsched, 25, theirs)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)


def test_lambda_lr_saves_callable_objects_only():
    p = mg.ones(1, requires_grad=True)
    opt = optim.SGD([{"params": [p]}, {"params": [mg.ones(1, requires_grad=True)]}], lr=0.1)
    sched = lr_scheduler.LambdaLR(opt, [_lambda, Warmup(3)])
    state = sched.state_dict()
    assert state["lr_lambdas"] == [None, {"epochs": 3}]
    assert "optimizer" not in state
    state["lr_lambdas"][1]["epochs"] = 4
    sched.load_state_dict(state)
    assert sched.lr_lambdas[1].epochs == 4 and "lr_lambdas" in state
    with pytest.raises(ValueError, match="LambdaLR.load_state_dict: 1 lr_lambdas in the state"):
        sched.load_state_dict({**state, "lr_lambdas": [None]})


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("StepLR", {"step_size": 4, "gamma": 0.5}),
        ("MultiStepLR", {"milestones": [12, 15], "gamma": 0.5}),
        ("ExponentialLR", {"gamma": 0.9}),
        ("CosineAnnealingLR", {"T_max": 9, "eta_min": 0.02}),
        ("LambdaLR", {"lr_lambda": _lambda}),
    ],
)
def test_resuming_with_last_epoch_matches_torch(name, kwargs):
    """Constructing with last_epoch=k after loading the optimizer's state (which holds
    'initial_lr') continues the schedule as torch does."""
    torch = torch_or_skip()
    opt, sched, topt, tsched = _pair(torch, name, kwargs)
    _epochs(opt, sched, 10, [])
    _torch_epochs(topt, tsched, 10, [])
    opt2 = optim.SGD([{"params": [p]} for p in opt.params], lr=7.0)
    opt2.load_state_dict(opt.state_dict())
    topt2 = torch.optim.SGD([{"params": g["params"]} for g in topt.param_groups], lr=7.0)
    topt2.load_state_dict(topt.state_dict())
    sched2 = getattr(lr_scheduler, name)(opt2, last_epoch=10, **kwargs)
    tsched2 = getattr(torch.optim.lr_scheduler, name)(topt2, last_epoch=10, **kwargs)
    assert sched2.get_last_lr() == pytest.approx(tsched2.get_last_lr(), rel=1e-12, abs=0)
    ours, theirs = [], []
    _epochs(opt2, sched2, 20, ours)
    _torch_epochs(topt2, tsched2, 20, theirs)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)


def test_resuming_without_initial_lr_is_a_clear_error():
    opt = optim.SGD([mg.ones(1, requires_grad=True)], lr=0.1)
    with pytest.raises(KeyError, match=r"StepLR: param_groups\[0\] has no 'initial_lr'"):
        lr_scheduler.StepLR(opt, step_size=2, last_epoch=5)


@pytest.mark.parametrize(
    "name, kwargs",
    [("CosineAnnealingLR", {"T_max": 6, "eta_min": 0.01}), ("StepLR", {"step_size": 2})],
)
def test_an_lr_changed_from_outside_carries_on_like_torch(name, kwargs):
    """The chainable rules scale the groups' current lrs, as torch's do."""
    torch = torch_or_skip()
    opt, sched, topt, tsched = _pair(torch, name, kwargs)
    ours, theirs = [], []
    _epochs(opt, sched, 4, ours)
    _torch_epochs(topt, tsched, 4, theirs)
    opt.param_groups[0]["lr"] = 0.3
    topt.param_groups[0]["lr"] = 0.3
    _epochs(opt, sched, 15, ours)
    _torch_epochs(topt, tsched, 15, theirs)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("StepLR", {"step_size": 3, "gamma": 0.5}),
        ("MultiStepLR", {"milestones": [2, 5, 5], "gamma": 0.5}),
        ("ExponentialLR", {"gamma": 0.8}),
        ("CosineAnnealingLR", {"T_max": 5, "eta_min": 0.01}),
        ("LambdaLR", {"lr_lambda": _lambda}),
    ],
)
def test_step_with_an_epoch_uses_the_closed_form_and_warns(name, kwargs):
    torch = torch_or_skip()
    opt, sched, topt, tsched = _pair(torch, name, kwargs)
    for epoch in (4, 7, 5, 12):
        for o in (opt, topt):
            o.step()
        with pytest.warns(UserWarning, match="deprecated"):
            sched.step(epoch)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tsched.step(epoch)
        assert sched.last_epoch == epoch
        assert sched.get_last_lr() == pytest.approx(tsched.get_last_lr(), rel=1e-12, abs=0)


def test_warns_when_the_scheduler_steps_before_the_optimizer():
    p = mg.ones(1, requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    sched = lr_scheduler.StepLR(opt, step_size=1)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        sched.step()

    opt = optim.Adam([p], lr=0.1)
    first = lr_scheduler.ExponentialLR(opt, gamma=0.5)
    second = lr_scheduler.StepLR(opt, step_size=2)  # one wrapper serves both
    p.grad = mg.ones(1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()
        first.step()
        second.step()
    assert opt.state[p]["step"] == 1 and opt.param_groups[0]["lr"] == pytest.approx(0.05)


def test_invalid_settings():
    opt = optim.SGD([mg.ones(1, requires_grad=True)], lr=0.1)
    with pytest.raises(TypeError, match="StepLR: list is not an Optimizer"):
        lr_scheduler.StepLR([], step_size=2)
    with pytest.raises(ValueError, match="StepLR: step_size must be at least 1, got 0"):
        lr_scheduler.StepLR(opt, step_size=0)
    with pytest.raises(ValueError, match="CosineAnnealingLR: T_max must be at least 1, got 0"):
        lr_scheduler.CosineAnnealingLR(opt, T_max=0)
    with pytest.raises(ValueError, match="LambdaLR: expected 1 lr_lambdas, got 2"):
        lr_scheduler.LambdaLR(opt, [_lambda, _lambda])
    assert opt.param_groups[0]["lr"] == 0.1
