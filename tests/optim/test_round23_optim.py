"""Round 23 of the hostile reviews: optimizers, schedulers, clipping and save/load against
PyTorch 2.13 (complex clipping, __setstate__ and older states, nested state casts, float16
and Tensor-lr arithmetic, centered RMSprop overflow, channels_last checkpoints)."""

import copy
import io
import pickle
import warnings

import numpy as np
import pytest

import minigrad as mg
from minigrad.serialization import CorruptCheckpoint, _in_order

torch = pytest.importorskip("torch")


def _lib_dtype(lib, name):
    return getattr(lib, name)


# ---------------------------------------------------------------- complex clipping
@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf"), 3.0, 0.0])
@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
def test_clip_grad_norm_of_complex_gradients_is_the_magnitudes_norm(norm_type, dtype):
    grads = [[3 + 4j, 0j, -1 - 2j], [0.5j, 2.0 + 0j]]
    out = {}
    for lib in (torch, mg):
        ps = [lib.zeros(len(g), dtype=_lib_dtype(lib, dtype), requires_grad=True) for g in grads]
        for p, g in zip(ps, grads, strict=True):
            p.grad = lib.tensor(g, dtype=_lib_dtype(lib, dtype))
        n = lib.nn.utils.clip_grad_norm_(ps, 1.0, norm_type=norm_type)
        out[lib] = (n.item(), str(n.dtype).split(".")[-1], [p.grad.numpy().copy() for p in ps])
    (tn, tdt, tg), (mn, mdt, mgr) = out[torch], out[mg]
    assert mdt == tdt  # a real norm: float32 for complex64, float64 for complex128
    np.testing.assert_allclose(mn, tn, rtol=1e-6)
    for a, b in zip(mgr, tg, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


def test_get_total_norm_mixes_complex_and_real_gradients_as_pytorch():
    got = mg.nn.utils.get_total_norm(
        [mg.tensor([3 + 4j], dtype=mg.complex64), mg.tensor([12.0], dtype=mg.float32)]
    )
    want = torch.nn.utils.get_total_norm(
        [torch.tensor([3 + 4j], dtype=torch.complex64), torch.tensor([12.0])]
    )
    assert got.item() == want.item() == 13.0
    assert str(got.dtype) == str(want.dtype).split(".")[-1] == "float32"


def test_clip_grad_value_refuses_complex_gradients_as_pytorch():
    for lib in (torch, mg):
        p = lib.zeros(2, dtype=lib.complex64, requires_grad=True)
        p.grad = lib.tensor([3 + 4j, 0j], dtype=lib.complex64)
        with pytest.raises(NotImplementedError, match="clamp is not supported for complex"):
            lib.nn.utils.clip_grad_value_([p], 1.0)
    # minigrad checks every gradient first: a real one listed before is left as it was
    q = mg.tensor([5.0], requires_grad=True)
    q.grad = mg.tensor([5.0])
    with pytest.raises(NotImplementedError, match="complex64"):
        mg.nn.utils.clip_grad_value_([q, p], 1.0)
    assert q.grad.tolist() == [5.0]


# ---------------------------------------------------------------- older states, __setstate__
# what each PyTorch optimizer's __setstate__ fills in, with a constructor call
_OPTIMIZERS = [
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, maximize=True)),
    ("Adam", dict(lr=0.1, amsgrad=True, maximize=True)),
    ("AdamW", dict(lr=0.1, amsgrad=True, maximize=True)),
    ("RMSprop", dict(lr=0.1, momentum=0.5, centered=True, maximize=True)),
    ("Adadelta", dict(maximize=True)),
    ("Adagrad", dict(maximize=True)),
    ("Adamax", dict(maximize=True)),
    ("NAdam", dict(maximize=True, decoupled_weight_decay=True, weight_decay=0.1)),
    ("RAdam", dict(maximize=True, decoupled_weight_decay=True, weight_decay=0.1)),
    ("Rprop", dict(maximize=True)),
    ("ASGD", dict(maximize=True)),
]
_FILLED = (
    "nesterov maximize foreach differentiable fused amsgrad capturable decoupled_weight_decay "
    "momentum centered"
).split()


def _run_older_state(lib, name, kw):
    p = lib.tensor([1.0, -2.0], requires_grad=True)
    old = getattr(lib.optim, name)([p], lr=0.1).state_dict()
    for k in _FILLED:
        if not (k == "momentum" and name == "SGD"):  # SGD's has no default: KeyError
            old["param_groups"][0].pop(k, None)
    opt = getattr(lib.optim, name)([p], **kw)
    opt.load_state_dict(old)
    group = {k: v for k, v in opt.param_groups[0].items() if k != "params"}
    for _ in range(2):
        p.grad = lib.tensor([1.0, 0.5])
        opt.step()
    return group, p.detach().numpy().copy()


@pytest.mark.parametrize(("name", "kw"), _OPTIMIZERS, ids=[n for n, _ in _OPTIMIZERS])
def test_an_older_state_gets_pytorchs_defaults_not_the_current_settings(name, kw):
    want_group, want_p = _run_older_state(torch, name, kw)
    got_group, got_p = _run_older_state(mg, name, kw)
    assert got_group == want_group
    np.testing.assert_allclose(got_p, want_p, rtol=1e-6)


def test_load_state_dict_replaces_the_groups_as_pytorch():
    out = {}
    for lib in (torch, mg):
        p = lib.tensor([1.0], requires_grad=True)
        saved = lib.optim.SGD([p], lr=0.1).state_dict()
        opt = lib.optim.SGD([p], lr=0.5)
        lib.optim.lr_scheduler.StepLR(opt, 1)  # adds initial_lr, which the state lacks
        before = opt.param_groups[0]
        opt.load_state_dict(saved)
        group = opt.param_groups[0]
        out[lib] = (sorted(group), group is before, group["params"] is before["params"])
    assert out[mg] == out[torch]
    assert "initial_lr" not in out[mg][0]


def _custom_optimizer(lib):
    class MyOpt(lib.optim.Optimizer):
        def __init__(self, params, lr=0.1):
            super().__init__(params, dict(lr=lr))

        def __setstate__(self, state):
            super().__setstate__(state)
            for g in self.param_groups:
                g.setdefault("nesterov", False)

        def step(self, closure=None):
            for g in self.param_groups:
                for p in g["params"]:
                    p.data.add_(p.grad, alpha=-g["lr"])

    return MyOpt


def test_a_subclass_setstate_calling_super_runs_on_copy_and_load():
    out = {}
    for lib in (torch, mg):
        my_opt = _custom_optimizer(lib)
        p = lib.tensor([1.0], requires_grad=True)
        opt = my_opt([p])
        twin = copy.deepcopy(opt)
        copied = twin.param_groups[0]["nesterov"]
        opt.load_state_dict(opt.state_dict())
        out[lib] = (copied, opt.param_groups[0]["nesterov"], sorted(opt.defaults))
        twin_p = twin.param_groups[0]["params"][0]
        twin_p.grad = lib.tensor([1.0])
        twin.step()  # the copy's parameter, not the original's
        assert p.item() == 1.0 and twin_p.item() == pytest.approx(0.9)
    assert out[mg] == out[torch] == (False, False, ["differentiable", "lr"])


def test_load_state_dict_calls_setstate_once_and_unpickling_works():
    for lib in (torch, mg):

        class Spy(lib.optim.SGD):
            calls = []

            def __setstate__(self, state):
                self.calls.append(sorted(state))
                super().__setstate__(state)

        s = Spy([lib.zeros(2, requires_grad=True)], lr=0.1)
        s.load_state_dict(s.state_dict())
        assert Spy.calls == [["param_groups", "state"]]
    # an optimizer pickled without its hook registries (an older one) gets them back
    opt = mg.optim.Adam([mg.zeros(2, requires_grad=True)])
    state = opt.__getstate__()
    del state["_optimizer_step_pre_hooks"]
    fresh = mg.optim.Adam.__new__(mg.optim.Adam)
    fresh.__setstate__(state)
    assert fresh._optimizer_step_pre_hooks == {}
    pickle.dumps(mg.optim.SGD([mg.zeros(2, requires_grad=True)]).defaults)


def test_required_hyper_parameter_as_pytorch():
    from torch.optim.optimizer import required as torch_required

    from minigrad.optim.optimizer import required

    assert repr(required) == repr(torch_required) == "<required parameter>"
    for lib, req in ((torch, torch_required), (mg, required)):

        class Plain(lib.optim.Optimizer):
            def __init__(self, params, lr=req, momentum=0.0):
                super().__init__(params, dict(lr=lr, momentum=momentum))

        a, b = lib.zeros(1, requires_grad=True), lib.zeros(1, requires_grad=True)
        with pytest.raises(
            ValueError, match="didn't specify a value of required optimization parameter lr"
        ):
            Plain([a])
        opt = Plain([{"params": [a], "lr": 0.1}, {"params": [b], "lr": 0.2}])
        assert [g["lr"] for g in opt.param_groups] == [0.1, 0.2]


# ---------------------------------------------------------------- nested state casts
def _nested_state_load(lib):
    class Hist(lib.optim.Optimizer):
        def __init__(self, params):
            super().__init__(params, dict(lr=0.1))

        def step(self, closure=None):
            pass

    p = lib.ones(2, requires_grad=True)
    opt = Hist([p])
    t64 = lib.tensor([1.0, 2.0], dtype=lib.float64)
    hist = [t64.clone(), t64.clone()]
    state = {
        "hist": hist,
        "pair": (t64.clone(), 3),
        "meta": {"last": t64.clone(), "step": lib.tensor(4.0, dtype=lib.float64)},
        "note": "kept",
        "empty": [],
    }
    opt.load_state_dict(
        {"state": {0: state}, "param_groups": [dict(opt.state_dict()["param_groups"][0])]}
    )
    st = opt.state[p]
    dts = (
        [str(t.dtype).split(".")[-1] for t in st["hist"]],
        str(st["pair"][0].dtype).split(".")[-1],
        type(st["pair"]).__name__,
        str(st["meta"]["last"].dtype).split(".")[-1],
        str(st["meta"]["step"].dtype).split(".")[-1],
        st["note"],
        st["empty"],
    )
    return dts, st["hist"] is hist, st["meta"] is state["meta"]


def test_tensors_inside_a_custom_state_are_cast_as_pytorch():
    (got, *got_shared), (want, *want_shared) = _nested_state_load(mg), _nested_state_load(torch)
    assert got_shared == want_shared == [False, False]  # new containers
    # PyTorch's `_cast` turns a string into the text of a generator; minigrad keeps it
    assert got[:5] == want[:5] and got[6:] == want[6:] and got[5] == "kept"
    assert got[:5] == (["float32", "float32"], "float32", "tuple", "float32", "float64")


# ---------------------------------------------------------------- centered RMSprop overflow
@pytest.mark.parametrize(
    ("dtype", "big"), [("float32", 1e30), ("float64", 1e200), ("float16", 1000.0)]
)
def test_centered_rmsprop_with_a_huge_gradient_as_pytorch(dtype, big):
    out = {}
    for lib in (torch, mg):
        dt = _lib_dtype(lib, dtype)
        p = lib.tensor([1.0, 2.0, 3.0, -1.0], dtype=dt, requires_grad=True)
        opt = lib.optim.RMSprop([p], lr=0.01, centered=True, momentum=0.5)
        for g in ([big, 1.0, float("inf"), float("nan")], [1.0, -big, 2.0, 1.0]):
            p.grad = lib.tensor(g, dtype=dt)
            opt.step()
        out[lib] = p.detach().numpy().astype(np.float64)
    np.testing.assert_allclose(out[mg], out[torch], rtol=2e-3 if dtype == "float16" else 1e-6)


def test_centered_rmsprop_plain_values_unchanged():
    rng = np.random.default_rng(3)
    x = rng.standard_normal(64).astype(np.float32)
    gs = [rng.standard_normal(64).astype(np.float32) for _ in range(5)]
    out = {}
    for lib in (torch, mg):
        p = lib.tensor(x, requires_grad=True)
        opt = lib.optim.RMSprop([p], lr=0.01, centered=True)
        for g in gs:
            p.grad = lib.tensor(g)
            opt.step()
        out[lib] = p.detach().numpy()
    np.testing.assert_allclose(out[mg], out[torch], rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- Tensor lr arithmetic
@pytest.mark.parametrize(
    ("name", "kw"),
    [
        ("Adam", {}),
        ("AdamW", dict(weight_decay=0.1)),
        ("Adam", dict(amsgrad=True)),
        ("Adagrad", dict(lr_decay=0.1)),
        ("Adamax", {}),
        ("NAdam", {}),
        ("RAdam", dict(betas=(0.9, 0.5))),
        ("RMSprop", dict(momentum=0.5)),
        ("SGD", dict(momentum=0.9)),
        ("ASGD", dict(t0=2)),
    ],
)
def test_a_float32_tensor_lr_rounds_as_pytorchs_on_float64_params(name, kw):
    out = {}
    for lib in (torch, mg):
        p = lib.tensor([1.0, -2.0, 0.0], dtype=lib.float64, requires_grad=True)
        opt = getattr(lib.optim, name)([p], lr=lib.tensor(0.01), **kw)
        for t in range(4):
            p.grad = lib.tensor([0.5, 0.25, -1.0], dtype=lib.float64) * (t + 1)
            opt.step()
        out[lib] = p.detach().numpy()
    np.testing.assert_allclose(out[mg], out[torch], rtol=1e-15, atol=0)


# ---------------------------------------------------------------- float16 SGD
_SGD16 = [
    {},
    dict(momentum=0.9),
    dict(momentum=0.9, nesterov=True),
    dict(momentum=0.9, dampening=0.3, weight_decay=0.01),
    dict(weight_decay=0.1, maximize=True),
    dict(momentum=0.5, weight_decay=0.05, nesterov=True, maximize=True),
]


@pytest.mark.parametrize("kw", _SGD16)
def test_float16_sgd_rounds_once_per_op_as_pytorch(kw):
    # 1024 values: PyTorch's vectorized loop covers them all (its scalar tail, which
    # rounds after the multiply too, is not what minigrad follows)
    rng = np.random.default_rng(1)
    x = rng.standard_normal(1024).astype(np.float16)
    gs = [rng.standard_normal(1024).astype(np.float16) for _ in range(6)]
    out = {}
    for lib in (torch, mg):
        p = lib.tensor(x, requires_grad=True)
        opt = lib.optim.SGD([p], lr=0.1, **kw)
        for g in gs:
            p.grad = lib.tensor(g)
            opt.step()
        buf = opt.state[p].get("momentum_buffer") if opt.state else None
        out[lib] = (p.detach().numpy().copy(), None if buf is None else buf.numpy().copy())
    np.testing.assert_array_equal(out[mg][0], out[torch][0])
    if out[torch][1] is not None:
        np.testing.assert_array_equal(out[mg][1], out[torch][1])
    assert out[mg][0].dtype == np.float16


def test_float16_sgd_edges_and_float32_unchanged():
    for dtype, vals in (("float16", [0.0, -0.0, 65504.0, np.nan]), ("float32", [1.5, -2.0])):
        out = {}
        for lib in (torch, mg):
            dt = _lib_dtype(lib, dtype)
            for shape in ((), (0,), (len(vals),)):
                data = vals[0] if shape == () else vals[: shape[0]]
                p = lib.tensor(data, dtype=dt, requires_grad=True)
                p.grad = lib.ones(shape, dtype=dt) * -70.0
                lib.optim.SGD([p], lr=0.5, momentum=0.9).step()
                out.setdefault(lib, []).append(p.detach().numpy().copy())
        for a, b in zip(out[mg], out[torch], strict=True):
            np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------- channels_last save/load
@pytest.mark.parametrize(
    ("shape", "fmt"), [((2, 3, 4, 5), "channels_last"), ((1, 2, 3, 2, 2), "channels_last_3d")]
)
def test_save_keeps_a_channels_last_layout(shape, fmt):
    out = {}
    for lib in (torch, mg):
        n = int(np.prod(shape))
        x = lib.arange(float(n)).reshape(*shape).contiguous(memory_format=getattr(lib, fmt))
        buf = io.BytesIO()
        lib.save({"x": x, "p": lib.nn.Parameter(x.clone(memory_format=getattr(lib, fmt)))}, buf)
        buf.seek(0)
        y = lib.load(buf)
        out[lib] = [
            (tuple(t.stride()), t.is_contiguous(memory_format=getattr(lib, fmt)), t.tolist())
            for t in (y["x"], y["p"])
        ]
    assert out[mg] == out[torch]
    assert out[mg][0][1]


def test_save_keeps_a_permuted_array_and_refuses_a_bad_axis_order():
    a = np.arange(24.0).reshape(2, 3, 4).transpose(1, 2, 0).copy().transpose(2, 0, 1)
    buf = io.BytesIO()
    mg.save({"a": a, "s": a[:, ::2]}, buf)
    buf.seek(0)
    got = mg.load(buf)
    assert got["a"].strides == a.strides
    np.testing.assert_array_equal(got["a"], a)
    np.testing.assert_array_equal(got["s"], a[:, ::2])  # not dense: values only
    for bad in ([0, 0, 1], [0, 1], "012", [0, 1, 2.0]):
        with pytest.raises(CorruptCheckpoint, match="axis order"):
            _in_order(np.zeros((2, 3, 4)), bad, "load: x")


# ---------------------------------------------------------------- step overridden warning
def _first_scheduler_step_warnings(lib, when):
    p = lib.tensor([1.0], requires_grad=True)
    opt = lib.optim.SGD([p], lr=0.1)
    sched = lib.optim.lr_scheduler.StepLR(opt, 1)
    if when == "after":
        orig = opt.step
        opt.step = lambda *a, **k: orig(*a, **k)
    elif when == "copy":
        sched = copy.deepcopy(sched)
        opt = sched.optimizer
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        p.grad = lib.tensor([1.0])
        opt.step()
        sched.step()
    return [str(x.message)[:60] for x in w]


@pytest.mark.parametrize("when", ["after", "copy", "none"])
def test_scheduler_warns_when_step_is_overridden_after_it_as_pytorch(when):
    got = _first_scheduler_step_warnings(mg, when)
    assert got == _first_scheduler_step_warnings(torch, when)
    assert bool(got) == (when != "none")


def test_step_replaced_before_the_scheduler_gives_no_warning():
    p = mg.tensor([1.0], requires_grad=True)
    opt = mg.optim.SGD([p], lr=0.1)
    orig = opt.step
    opt.step = lambda *a, **k: orig(*a, **k)  # PyTorch's scheduler fails on this one
    sched = mg.optim.lr_scheduler.StepLR(opt, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p.grad = mg.tensor([1.0])
        opt.step()
        sched.step()
