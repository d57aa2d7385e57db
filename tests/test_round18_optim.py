"""Optimizers and LR schedulers at the edges, against PyTorch 2.13: Rprop with NaN and inf
gradients, first moments with beta1 <= 0.5 (lerp's second formula), second moments of huge
gradients (addcmul's order), Tensor lrs under a scheduler (filled in place), Tensor betas,
lists in loaded param groups, and the check of a many-element Tensor lr."""

import warnings

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")

NAN, INF = float("nan"), float("inf")


def _np(t):
    return t.detach().numpy().copy()


def _equal(a, b):
    """Same values bit for bit (NaN where NaN), as arrays."""
    np.testing.assert_array_equal(_np(a), _np(b))


# ---------------------------------------------------------------- Rprop, NaN and inf grads
@pytest.mark.parametrize("maximize", [False, True])
def test_rprop_nan_or_inf_gradient_leaves_the_weight_finite_as_torch(maximize):
    grads = [[0.3, NAN, -0.2], [0.3, 0.1, INF], [0.1, 0.2, -0.3], [NAN, -0.2, 0.3]]
    got = {}
    for lib in (mg, torch):
        p = lib.tensor([1.0, -2.0, 0.5], requires_grad=True)
        opt = lib.optim.Rprop([p], lr=0.01, maximize=maximize)
        for g in grads:
            p.grad = lib.tensor(g)
            opt.step()
        got[lib] = p, opt.state[p]
    (p, st), (tp, tst) = got[mg], got[torch]
    assert np.isfinite(_np(p)).all()
    _equal(p, tp)
    _equal(st["prev"], tst["prev"])
    _equal(st["step_size"], tst["step_size"])


# ---------------------------------------------------------------- first moment, beta1 <= 0.5
GRADS = [[1000.0, -300.0, 50.0], [1e-3, 2e-3, -3e-3]]


def _run(lib, name, grads, **kw):
    p = lib.tensor([0.0, 0.0, 0.0], requires_grad=True)
    opt = getattr(lib.optim, name)([p], lr=1e-3, **kw)
    for g in grads:
        p.grad = lib.tensor(g)
        opt.step()
    return p, opt.state[p]


@pytest.mark.parametrize("name", ["Adam", "AdamW", "NAdam", "RAdam", "Adamax"])
def test_beta1_zero_keeps_the_gradient_as_first_moment(name):
    # torch's lerp_ is exact at weight 1 - beta1 = 1: exp_avg is the last gradient
    p, st = _run(mg, name, GRADS, betas=(0.0, 0.99))
    tp, tst = _run(torch, name, GRADS, betas=(0.0, 0.99))
    np.testing.assert_array_equal(_np(st["exp_avg"]), np.float32(GRADS[-1]))
    _equal(st["exp_avg"], tst["exp_avg"])
    np.testing.assert_allclose(_np(p), _np(tp), rtol=1e-6)


def test_rmsprop_centered_alpha_zero_gives_numbers_not_nan():
    # grad_avg.lerp_(g, 1) is g itself, so square_avg - grad_avg^2 is not negative
    p, st = _run(mg, "RMSprop", GRADS, alpha=0.0, centered=True)
    tp, tst = _run(torch, "RMSprop", GRADS, alpha=0.0, centered=True)
    _equal(st["grad_avg"], tst["grad_avg"])
    _equal(st["square_avg"], tst["square_avg"])
    assert np.isfinite(_np(p)).all()


# ---------------------------------------------------------------- second moment of huge grads
@pytest.mark.parametrize(
    "name,kw,key",
    [
        ("Adam", {}, "exp_avg_sq"),
        ("AdamW", {}, "exp_avg_sq"),
        ("NAdam", {}, "exp_avg_sq"),
        ("RAdam", {}, "exp_avg_sq"),
        ("RMSprop", {}, "square_avg"),
        ("RMSprop", {"alpha": 1.0}, "square_avg"),
        ("Adadelta", {}, "square_avg"),
        ("Adadelta", {"rho": 1.0}, "square_avg"),
    ],
)
def test_second_moment_of_a_huge_gradient_overflows_as_torch(name, kw, key):
    # ((1 - b2) g) g stays finite for float32 |g| ~ 1e20 where g g is inf (and inf * 0 NaN)
    got = {}
    for lib in (mg, torch):
        p = lib.tensor([1.0, -2.0], requires_grad=True)
        opt = getattr(lib.optim, name)([p], lr=1e-2, **kw)
        p.grad = lib.tensor([1e20, -3e19])
        opt.step()
        got[lib] = p, opt.state[p][key]
    (p, v), (tp, tv) = got[mg], got[torch]
    _equal(v, tv)
    # the step itself may differ in the last bit: torch's addcdiv_ fuses its multiply-add
    np.testing.assert_allclose(_np(p), _np(tp), rtol=1e-6)


def test_adadelta_acc_delta_uses_torch_order():
    got = {}
    for lib in (mg, torch):
        p = lib.tensor([1.0, -2.0], requires_grad=True)
        opt = lib.optim.Adadelta([p], lr=1.0, rho=1.0, eps=1e30)
        p.grad = lib.tensor([3e19, -1e20])
        opt.step()
        got[lib] = p, opt.state[p]["acc_delta"]
    _equal(got[mg][1], got[torch][1])
    _equal(got[mg][0], got[torch][0])


# ---------------------------------------------------------------- a Tensor lr under a scheduler
def _schedulers(lib):
    S = lib.optim.lr_scheduler
    return {
        "StepLR": lambda o: S.StepLR(o, step_size=1, gamma=0.5),
        "ExponentialLR": lambda o: S.ExponentialLR(o, 0.9),
        "CosineAnnealingLR": lambda o: S.CosineAnnealingLR(o, 4, 0.001),
        "LambdaLR": lambda o: S.LambdaLR(o, lambda e: 1 / (e + 1)),
        "CosineAnnealingWarmRestarts": lambda o: S.CosineAnnealingWarmRestarts(o, 2),
        "OneCycleLR": lambda o: S.OneCycleLR(o, max_lr=1.0, total_steps=10),
        "CyclicLR": lambda o: S.CyclicLR(o, 0.01, 0.1, step_size_up=2, cycle_momentum=False),
        "SequentialLR": lambda o: S.SequentialLR(
            o, [S.ConstantLR(o, 0.5, 2), S.ExponentialLR(o, 0.9)], [2]
        ),
        "ChainedScheduler": lambda o: S.ChainedScheduler(
            [S.ConstantLR(o, 0.5, 2), S.ExponentialLR(o, 0.9)]
        ),
        "ReduceLROnPlateau": lambda o: S.ReduceLROnPlateau(o, patience=0),
    }


@pytest.mark.parametrize("name", list(_schedulers(mg)))
def test_scheduler_fills_a_tensor_lr_in_place(name):
    got = {}
    for lib in (mg, torch):
        lr = lib.tensor(0.1)
        p = lib.tensor([1.0], requires_grad=True)
        opt = lib.optim.SGD([p], lr=lr, momentum=0.9)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sched = _schedulers(lib)[name](opt)
        values = []
        for _ in range(4):
            p.grad = lib.tensor([1.0])
            opt.step()
            sched.step(1.0) if name == "ReduceLROnPlateau" else sched.step()
            group_lr, last = opt.param_groups[0]["lr"], sched.get_last_lr()[0]
            # the group keeps the program's tensor; get_last_lr() gives a copy of it
            assert group_lr is lr
            assert isinstance(last, lib.Tensor) and last is not lr
            values.append((float(lr), float(last)))
        for base in getattr(sched, "base_lrs", []):
            assert base is not lr
        got[lib] = values, _np(p)
    assert got[mg][0] == got[torch][0]
    np.testing.assert_allclose(got[mg][1], got[torch][1], rtol=1e-6)


# ---------------------------------------------------------------- Tensor betas
@pytest.mark.parametrize("name", ["Adam", "AdamW", "NAdam", "RAdam", "Adamax"])
def test_zero_dim_tensor_betas_step_as_torch(name):
    got = {}
    for lib in (mg, torch):
        p = lib.tensor([1.0, -2.0, 0.5], requires_grad=True)
        b1, b2 = lib.tensor(0.8), lib.tensor(0.95)
        opt = getattr(lib.optim, name)([p], lr=0.1, betas=(b1, b2))
        for k in range(4):
            p.grad = lib.tensor([0.3, -0.1, 2.0]) * (k + 1)
            opt.step()
            if k == 1:
                with lib.no_grad():
                    b1.fill_(0.5)  # read at each step, as an lr tensor is
        got[lib] = _np(p)
    np.testing.assert_allclose(got[mg], got[torch], rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize(
    "betas", [lambda L: (L.tensor(0.9), 0.99), lambda L: (0.9, L.tensor(0.99)), lambda L: (0, 0.9)]
)
def test_adam_betas_must_be_both_floats_or_both_tensors(betas):
    for lib in (mg, torch):
        p = lib.tensor([1.0], requires_grad=True)
        with pytest.raises(ValueError, match="betas must be either both floats or both Tensors"):
            lib.optim.Adam([p], betas=betas(lib))


def test_one_element_tensor_betas_are_kept_zero_dim():
    for lib in (mg, torch):
        p = lib.tensor([1.0], requires_grad=True)
        opt = lib.optim.AdamW([p], betas=(lib.tensor([0.9]), lib.tensor([[0.99]])))
        assert [b.shape for b in opt.param_groups[0]["betas"]] == [(), ()]


# ---------------------------------------------------------------- lists in loaded param groups
def test_load_state_dict_keeps_lists_as_lists_and_copies_them():
    for lib in (mg, torch):
        a, b = (lib.tensor([1.0], requires_grad=True) for _ in range(2))
        src = lib.optim.SGD([{"params": [a], "tags": ["enc", "frozen"]}], lr=0.1)
        dst = lib.optim.SGD([{"params": [b]}], lr=0.1)
        dst.load_state_dict(src.state_dict())
        tags = dst.param_groups[0]["tags"]
        assert type(tags) is list and tags == ["enc", "frozen"]
        tags.append("x")
        assert src.param_groups[0]["tags"] == ["enc", "frozen"]


def test_load_state_dict_keeps_param_names_a_list_and_betas_a_tuple(tmp_path):
    path = tmp_path / "opt.pt"
    for lib in (mg, torch):
        src = lib.optim.Adam([("w", lib.tensor([1.0], requires_grad=True))])
        dst = lib.optim.Adam([("w", lib.tensor([1.0], requires_grad=True))])
        lib.save(src.state_dict(), path)
        dst.load_state_dict(lib.load(path))
        group = dst.param_groups[0]
        assert type(group["param_names"]) is list and type(group["betas"]) is tuple


# ---------------------------------------------------------------- a many-element Tensor lr
@pytest.mark.parametrize(
    "name",
    [
        "SGD",
        "Adam",
        "AdamW",
        "RMSprop",
        "Adadelta",
        "Adagrad",
        "Adamax",
        "NAdam",
        "RAdam",
        "Rprop",
        "ASGD",
    ],
)
def test_two_element_tensor_lr_is_a_value_error(name):
    for lib in (mg, torch):
        p = lib.tensor([1.0, 2.0], requires_grad=True)
        with pytest.raises(ValueError, match="Tensor lr must be 1-element"):
            getattr(lib.optim, name)([p], lr=lib.tensor([0.1, 0.2]))


@pytest.mark.parametrize("how", ["add_param_group", "assigned"])
def test_tensor_betas_in_a_list_step_as_torch(how):
    """A list of Tensor betas (a state dict keeps a saved list a list) steps as torch."""

    def run(lib):
        p = lib.nn.Parameter(lib.tensor([1.0, -2.0, 0.5], dtype=lib.float64))
        q = lib.nn.Parameter(lib.tensor([0.3], dtype=lib.float64))
        betas = [lib.tensor(0.8, dtype=lib.float64), lib.tensor(0.95, dtype=lib.float64)]
        opt = lib.optim.Adam([q], lr=0.1)
        if how == "add_param_group":
            opt.add_param_group({"params": [p], "betas": betas})
        else:
            opt.add_param_group({"params": [p]})
            opt.param_groups[1]["betas"] = betas
        for step in range(3):
            p.grad = lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64) * (step + 1)
            opt.step()
        return p.detach().numpy()

    np.testing.assert_allclose(run(mg), run(torch), rtol=1e-12)
