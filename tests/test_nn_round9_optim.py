"""Round 9: optimizer reprs and scheduler state_dict keys / get_lr warning against torch."""

import warnings

import pytest

import minigrad as mg

torch = pytest.importorskip("torch")

OPTIMIZERS = [
    ("SGD", {}),
    ("SGD", {"lr": 0.5, "momentum": 0.9, "nesterov": True}),
    ("Adam", {}),
    ("Adam", {"lr": 0.01, "betas": (0.8, 0.9), "weight_decay": 0.1, "amsgrad": True}),
    ("AdamW", {}),
    ("Adagrad", {}),
    ("Adagrad", {"lr_decay": 0.1, "initial_accumulator_value": 0.5}),
    ("Adadelta", {}),
    ("Adamax", {}),
    ("ASGD", {}),
    ("NAdam", {}),
    ("RAdam", {}),
    ("RMSprop", {}),
    ("RMSprop", {"momentum": 0.5, "centered": True}),
    ("Rprop", {}),
    ("LBFGS", {}),
]


@pytest.mark.parametrize("name, kw", OPTIMIZERS)
def test_optimizer_repr(name, kw):
    t = getattr(torch.optim, name)([torch.nn.Parameter(torch.zeros(2))], **kw)
    m = getattr(mg.optim, name)([mg.nn.Parameter(mg.zeros(2))], **kw)
    assert repr(m) == repr(t)


@pytest.mark.parametrize("name", sorted({n for n, _ in OPTIMIZERS} - {"LBFGS"}))
def test_optimizer_repr_two_groups(name):
    def groups(lib, param):
        return [{"params": [param()]}, {"params": [param()], "lr": 0.1}]

    t = getattr(torch.optim, name)(groups(torch, lambda: torch.nn.Parameter(torch.zeros(2))))
    m = getattr(mg.optim, name)(groups(mg, lambda: mg.nn.Parameter(mg.zeros(2))))
    assert repr(m) == repr(t)


def _scheduler(lib, optim, name):
    sched = lib.optim.lr_scheduler
    params = (
        [torch.nn.Parameter(torch.zeros(2))] if lib is torch else [mg.nn.Parameter(mg.zeros(2))]
    )
    opt = lib.optim.SGD(params, lr=0.1, momentum=0.9)
    args = {
        "LambdaLR": {"lr_lambda": lambda e: 0.9**e},
        "MultiplicativeLR": {"lr_lambda": lambda e: 0.9},
        "StepLR": {"step_size": 2},
        "MultiStepLR": {"milestones": [1, 3]},
        "ConstantLR": {},
        "LinearLR": {},
        "ExponentialLR": {"gamma": 0.9},
        "PolynomialLR": {},
        "CosineAnnealingLR": {"T_max": 5},
        "CosineAnnealingWarmRestarts": {"T_0": 3},
        "CyclicLR": {"base_lr": 0.01, "max_lr": 0.1},
        "OneCycleLR": {"max_lr": 0.1, "total_steps": 10},
        "ReduceLROnPlateau": {},
    }
    if name == "SequentialLR":
        return sched.SequentialLR(
            opt, [sched.ConstantLR(opt), sched.ExponentialLR(opt, 0.9)], milestones=[2]
        )
    if name == "ChainedScheduler":
        return sched.ChainedScheduler([sched.ConstantLR(opt), sched.ExponentialLR(opt, 0.9)])
    return getattr(sched, name)(opt, **args[name])


CHAINABLE = [
    "LambdaLR",
    "MultiplicativeLR",
    "StepLR",
    "MultiStepLR",
    "ConstantLR",
    "LinearLR",
    "ExponentialLR",
    "PolynomialLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "OneCycleLR",
]


@pytest.mark.parametrize(
    "name", CHAINABLE + ["ReduceLROnPlateau", "SequentialLR", "ChainedScheduler"]
)
def test_scheduler_state_dict_keys(name):
    t, m = _scheduler(torch, None, name), _scheduler(mg, None, name)
    assert sorted(m.state_dict()) == sorted(t.state_dict())
    if name in CHAINABLE:
        assert m.state_dict()["_get_lr_called_within_step"] is False


@pytest.mark.parametrize("name", CHAINABLE)
def test_get_lr_outside_step_warns(name):
    m = _scheduler(mg, None, name)
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        m.get_lr()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m.optimizer.step()
        m.step()  # step itself does not warn
