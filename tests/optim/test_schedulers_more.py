"""The schedulers added after the first five, against torch.optim.lr_scheduler: 40-step lr
(and momentum) sequences, get_last_lr(), state_dict()/load_state_dict() resumed mid-way
(also through mg.save/mg.load), and the `_LRScheduler` alias."""

import warnings

import numpy as np
import pytest

import minigrad as mg
from minigrad.optim import lr_scheduler

torch = pytest.importorskip("torch")


def _optimizer(lib, name="SGD"):
    a = lib.tensor(np.ones(2, np.float32), requires_grad=True)
    b = lib.tensor(np.ones(1, np.float32), requires_grad=True)
    kwargs = dict(momentum=0.9) if name == "SGD" else {}
    groups = [{"params": [a]}, {"params": [b], "lr": 0.5}]
    return getattr(lib.optim, name)(groups, lr=0.1, **kwargs)


def _record(opt, sched):
    g = opt.param_groups[0]
    return (
        *sched.get_last_lr(),
        *(group["lr"] for group in opt.param_groups),
        g.get("momentum", -1.0),
        g["betas"][0] if "betas" in g else -1.0,
    )


CASES = {
    "OneCycleLR": (lambda S, o: S.OneCycleLR(o, max_lr=1.0, total_steps=41), "SGD"),
    "OneCycleLR-three-phase-linear": (
        lambda S, o: S.OneCycleLR(
            o,
            max_lr=[1.0, 2.0],
            total_steps=45,
            three_phase=True,
            anneal_strategy="linear",
            pct_start=0.25,
            div_factor=10.0,
            final_div_factor=100.0,
        ),
        "Adam",
    ),
    "OneCycleLR-epochs-no-momentum": (
        lambda S, o: S.OneCycleLR(
            o, max_lr=0.3, epochs=5, steps_per_epoch=9, cycle_momentum=False, pct_start=0.4
        ),
        "SGD",
    ),
    "LinearLR": (lambda S, o: S.LinearLR(o, start_factor=0.25, total_iters=7), "SGD"),
    "LinearLR-decay": (
        lambda S, o: S.LinearLR(o, start_factor=1.0, end_factor=0.1, total_iters=30),
        "SGD",
    ),
    "ConstantLR": (lambda S, o: S.ConstantLR(o, factor=0.5, total_iters=4), "SGD"),
    "PolynomialLR": (lambda S, o: S.PolynomialLR(o, total_iters=30, power=2.0), "SGD"),
    "MultiplicativeLR": (
        lambda S, o: S.MultiplicativeLR(o, [lambda e: 0.95, lambda e: 1.0 - 0.01 * (e % 3)]),
        "SGD",
    ),
    "CosineAnnealingWarmRestarts": (
        lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=2, eta_min=0.01),
        "SGD",
    ),
    "CosineAnnealingWarmRestarts-T_mult-1": (
        lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=7),
        "Adam",
    ),
    "CyclicLR-triangular": (
        lambda S, o: S.CyclicLR(o, 0.01, 0.1, step_size_up=4, step_size_down=6),
        "SGD",
    ),
    "CyclicLR-triangular2-beta1": (
        lambda S, o: S.CyclicLR(o, [0.01, 0.02], 0.1, step_size_up=3, mode="triangular2"),
        "Adam",
    ),
    "CyclicLR-exp_range": (
        lambda S, o: S.CyclicLR(
            o, 0.01, 0.1, step_size_up=5, mode="exp_range", gamma=0.97, cycle_momentum=False
        ),
        "SGD",
    ),
    "SequentialLR": (
        lambda S, o: S.SequentialLR(
            o,
            [S.LinearLR(o, 0.1, total_iters=5), S.ExponentialLR(o, 0.9), S.StepLR(o, 3)],
            milestones=[5, 12],
        ),
        "SGD",
    ),
    "SequentialLR-warmup-cosine": (
        lambda S, o: S.SequentialLR(
            o,
            [S.ConstantLR(o, 0.2, total_iters=3), S.CosineAnnealingLR(o, T_max=20, eta_min=0.001)],
            milestones=[6],
        ),
        "SGD",
    ),
    "ChainedScheduler": (
        lambda S, o: S.ChainedScheduler([S.ConstantLR(o, 0.5, 6), S.ExponentialLR(o, 0.95)]),
        "SGD",
    ),
}


def _run(lib, make, opt_name, steps=40):
    opt = _optimizer(lib, opt_name)
    sched = make(lib.optim.lr_scheduler, opt)
    out = [_record(opt, sched)]
    for _ in range(steps):
        opt.step()
        sched.step()
        out.append(_record(opt, sched))
    return out


def _assert_same(ours, theirs):
    assert len(ours) == len(theirs)
    for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        assert a == pytest.approx(b, rel=1e-12, abs=1e-15), f"step {i}: {a} != {b}"


@pytest.mark.parametrize("case", list(CASES))
def test_40_step_sequences_match_torch(case):
    make, opt_name = CASES[case]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _assert_same(_run(mg, make, opt_name), _run(torch, make, opt_name))


def _resumed(lib, make, opt_name, path, split=17, steps=40):
    """Run `split` steps, checkpoint optimizer and scheduler, build fresh ones, load, go on."""
    opt = _optimizer(lib, opt_name)
    sched = make(lib.optim.lr_scheduler, opt)
    out = [_record(opt, sched)]
    for _ in range(split):
        opt.step()
        sched.step()
        out.append(_record(opt, sched))
    if lib is mg:
        mg.save({"opt": opt.state_dict(), "sched": sched.state_dict()}, path)
        saved = mg.load(path)
    else:
        saved = {"opt": opt.state_dict(), "sched": sched.state_dict()}
    opt = _optimizer(lib, opt_name)
    sched = make(lib.optim.lr_scheduler, opt)
    sched.load_state_dict(saved["sched"])  # torch's documented order: scheduler first
    opt.load_state_dict(saved["opt"])
    for _ in range(steps - split):
        opt.step()
        sched.step()
        out.append(_record(opt, sched))
    return out


@pytest.mark.parametrize("case", list(CASES))
def test_state_dict_round_trip_mid_way_matches_torch(case, tmp_path):
    make, opt_name = CASES[case]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = _resumed(mg, make, opt_name, tmp_path / "ck.npz")
        theirs = _resumed(torch, make, opt_name, None)
        _assert_same(ours, theirs)
        _assert_same(ours, _run(torch, make, opt_name))


METRICS = [1.0, 0.9, 0.95, 0.95, 0.94, 0.96, 0.97, 0.9, 0.89, 0.9, 0.91, 0.92, 0.93, 0.85]
METRICS = (METRICS + [0.86, 0.86, 0.87, 0.9]) * 3
PLATEAU = [
    dict(patience=2),
    dict(
        mode="max",
        patience=1,
        cooldown=2,
        threshold=0.05,
        threshold_mode="abs",
        factor=0.5,
        min_lr=[0.01, 0.2],
    ),
    dict(patience=0, cooldown=1, threshold=0.01, min_lr=0.003),
    dict(mode="max", threshold_mode="rel", threshold=0.02, patience=1, eps=0.05),
    dict(mode="min", threshold_mode="abs", threshold=0.0, patience=3, factor=0.3, cooldown=3),
]


def _plateau(lib, kwargs, path=None, split=None):
    opt = _optimizer(lib)
    sched = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
    out = [tuple(sched.get_last_lr())]
    for i, m in enumerate(METRICS[:40]):
        if i == split:
            state = sched.state_dict()
            if path is not None:
                mg.save(state, path)
                state = mg.load(path)
            lrs = [g["lr"] for g in opt.param_groups]
            opt = _optimizer(lib)
            for g, lr in zip(opt.param_groups, lrs, strict=True):
                g["lr"] = lr
            sched = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
            sched.load_state_dict(state)
        opt.step()
        sched.step(lib.tensor(m) if i % 2 else m)
        out.append(tuple(sched.get_last_lr()) + (sched.num_bad_epochs, sched.cooldown_counter))
    return out


@pytest.mark.parametrize("kwargs", PLATEAU, ids=[str(k) for k in PLATEAU])
def test_reduce_lr_on_plateau_matches_torch(kwargs, tmp_path):
    theirs = _plateau(torch, kwargs)
    _assert_same(_plateau(mg, kwargs), theirs)
    _assert_same(_plateau(mg, kwargs, tmp_path / "s.npz", split=19), theirs)


def test_lr_scheduler_alias_and_custom_subclass():
    assert issubclass(lr_scheduler._LRScheduler, lr_scheduler.LRScheduler)

    class Halve(lr_scheduler._LRScheduler):
        def get_lr(self):
            return [base * 0.5**self.last_epoch for base in self.base_lrs]

    opt = _optimizer(mg)
    sched = Halve(opt)
    for _ in range(3):
        opt.step()
        sched.step()
    assert sched.get_last_lr() == [0.1 * 0.125, 0.5 * 0.125]


def test_errors_are_torchs():
    for lib in (mg, torch):
        S, opt = lib.optim.lr_scheduler, _optimizer(lib)
        with pytest.raises(ValueError, match="total_steps OR"):
            S.OneCycleLR(opt, max_lr=1.0)
        with pytest.raises(ValueError, match="anneal_strategy"):
            S.OneCycleLR(opt, max_lr=1.0, total_steps=5, anneal_strategy="exp")
        with pytest.raises(ValueError, match="Factor should be < 1.0"):
            S.ReduceLROnPlateau(opt, factor=1.0)
        with pytest.raises(ValueError, match="T_0"):
            S.CosineAnnealingWarmRestarts(opt, T_0=0)
        with pytest.raises(ValueError, match="number of milestone"):
            S.SequentialLR(opt, [S.ConstantLR(opt), S.ConstantLR(opt)], milestones=[1, 2])
        with pytest.raises(ValueError, match="ReduceLROnPlateau"):
            S.ChainedScheduler([S.ReduceLROnPlateau(opt)])
        with pytest.raises(ValueError, match="momentum"):
            S.CyclicLR(lib.optim.Adadelta([lib.ones(1, requires_grad=True)]), 0.1, 1.0)
        sched = S.OneCycleLR(opt, max_lr=1.0, total_steps=2)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sched.step()
            sched.step()
            with pytest.raises(ValueError, match="Tried to step 3 times"):
                sched.step()
