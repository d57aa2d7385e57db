"""minigrad.optim.LBFGS against torch.optim.LBFGS: every closure call (where it evaluates,
the loss there, how many calls per step) and every step's loss and parameters, on
Rosenbrock and small minigrad.nn models, with and without the strong-Wolfe line search, in
float64 and float32; the stopping rules, consecutive steps, the state and its state_dict
round trip, parameters without gradients, and PyTorch's errors.

Tolerances. Both libraries compute the loss, its gradient and the dot products with
different but equally valid roundings (summation order, fused multiply-adds), so the first
iterates already differ by an ulp or so. L-BFGS then amplifies these differences: along
Rosenbrock's curved valley by about 10x every five evaluations, on the well-conditioned
models hardly at all. The float64 runs below stay within 1e-9 of PyTorch's, relative to
the size of the compared vector (measured: at most about 1e-11); the float32 runs start at
about 1e-7 and are kept short enough that 1e-4 holds with a margin of 10x or more. Runs of
minigrad against itself (the state_dict round trip) must agree exactly.
"""

import copy

import numpy as np
import pytest

import minigrad as mg
from minigrad import optim

torch = pytest.importorskip("torch")

RTOL = {"float64": 1e-9, "float32": 1e-4}
# ro = 1 / y.s, H_diag = y.s / y.y and the two-loop coefficients come from y = g_new - g_old,
# which cancels leading digits: in float32 they differ by up to 2e-4 (measured over seeds)
STATE_RTOL = {"float64": 1e-9, "float32": 3e-3}


# ------------------------------------------------------------------- problems
def _rosenbrock(x):
    return (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()


def rosenbrock(x0, dtype):
    """f(x) = sum 100 (x[i+1] - x[i]^2)^2 + (1 - x[i])^2 from x0."""

    def make(lib):
        x = lib.tensor(np.asarray(x0, dtype=dtype), requires_grad=True)
        return [x], lambda: _rosenbrock(x)

    return make


def _data(dtype, logistic):
    rng = np.random.default_rng(1)
    inputs = rng.standard_normal((32, 5)).astype(dtype)
    w = rng.standard_normal((5, 1))
    target = inputs @ w + 0.1 * rng.standard_normal((32, 1))
    if logistic:  # labels drawn with probability sigmoid(target): not separable
        target = (rng.random((32, 1)) < 1 / (1 + np.exp(-target))).astype(float)
    return inputs, target.astype(dtype)


def linear_model(dtype, logistic=False):
    """Least squares (mse) or logistic regression (bce with logits) with one nn.Linear,
    the same initial weights in both libraries."""
    inputs, target = _data(dtype, logistic)
    layer = mg.nn.Linear(5, 1, dtype=getattr(mg, dtype))
    weights = [layer.weight.detach().numpy().copy(), layer.bias.detach().numpy().copy()]

    def make(lib):
        model = lib.nn.Linear(5, 1, dtype=getattr(lib, dtype))
        with lib.no_grad():
            model.weight.copy_(lib.tensor(weights[0]))
            model.bias.copy_(lib.tensor(weights[1]))
        x, y = lib.tensor(inputs), lib.tensor(target)
        F = lib.nn.functional
        loss = F.binary_cross_entropy_with_logits if logistic else F.mse_loss
        return list(model.parameters()), lambda: loss(model(x), y)

    return make


def _flat(params):
    return np.concatenate([p.detach().numpy().ravel() for p in params])


def run(lib, make, steps, **kwargs):
    """`steps` calls of LBFGS.step; records each closure call's point and loss, and each
    step's returned loss, parameters and closure calls so far."""
    params, loss_fn = make(lib)
    opt = lib.optim.LBFGS(params, **kwargs)
    evals = []

    def closure():
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        evals.append((_flat(params), loss.item()))
        return loss

    per_step = []
    for _ in range(steps):
        loss = opt.step(closure)
        per_step.append((loss.item(), _flat(params), len(evals)))
    return {"evals": evals, "steps": per_step, "opt": opt, "params": params}


def assert_close(got, want, rtol):
    """Within rtol of want's scale (at least 1): a coordinate that passes near zero on the
    way is held to the accuracy of the whole vector, not to its own tiny size."""
    want = np.asarray(want)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * max(1.0, np.abs(want).max()))


def assert_same_run(got, want, dtype):
    """The same closure calls per step, at the same points with the same losses, and the
    same losses and parameters after each step."""
    rtol = RTOL[dtype]
    assert [n for *_, n in got["steps"]] == [n for *_, n in want["steps"]]
    for (x, f), (tx, tf) in zip(got["evals"], want["evals"], strict=True):
        assert x.dtype == tx.dtype == np.dtype(dtype)
        assert_close(x, tx, rtol)
        assert_close(f, tf, rtol)
    for (f, x, _), (tf, tx, _) in zip(got["steps"], want["steps"], strict=True):
        assert_close(x, tx, rtol)
        assert_close(f, tf, rtol)
    st, tst = _state(got["opt"]), _state(want["opt"])
    assert st["func_evals"] == tst["func_evals"] == len(got["evals"])
    assert st["n_iter"] == tst["n_iter"]


def _state(opt):
    return opt.state[opt.param_groups[0]["params"][0]]


def compare(make, steps, dtype, **kwargs):
    got = run(mg, make, steps, **kwargs)
    want = run(torch, make, steps, **kwargs)
    assert_same_run(got, want, dtype)
    return got, want


X2 = [-1.2, 1.0]
X10 = np.linspace(-1.5, 1.2, 10)


# ---------------------------------------------------------------- trajectories
@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
@pytest.mark.parametrize("x0, max_iter", [(X2, 20), (X10, 8)], ids=["2d", "10d"])
def test_rosenbrock_float64(x0, max_iter, line_search_fn):
    # 10-D: shorter steps (about 30 evaluations), where the differences stay near 1e-11
    lr = 1 if line_search_fn else 0.1  # a unit fixed step diverges on Rosenbrock
    kwargs = dict(lr=lr, max_iter=max_iter, line_search_fn=line_search_fn)
    got, _ = compare(rosenbrock(x0, "float64"), 3, "float64", **kwargs)
    losses = [f for f, *_ in got["steps"]]
    assert losses == sorted(losses, reverse=True)
    if line_search_fn and len(x0) == 2:  # converges within the three steps
        assert got["steps"][-1][0] < 1e-6


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
@pytest.mark.parametrize("x0", [X2, X10], ids=["2d", "10d"])
def test_rosenbrock_float32(x0, line_search_fn):
    # one step of 8 iterations: float32 roundings grow quickly along the valley
    lr = 1 if line_search_fn else 0.1
    compare(
        rosenbrock(x0, "float32"), 1, "float32", lr=lr, max_iter=8, line_search_fn=line_search_fn
    )


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
@pytest.mark.parametrize("logistic", [False, True], ids=["least_squares", "logistic"])
def test_linear_models(logistic, line_search_fn, dtype):
    # float32 stops short of convergence, where the loss changes by its rounding and the
    # tolerance_change test would compare rounding noise
    steps, max_iter = (3, 10) if dtype == "float64" else (2, 4)
    make = linear_model(dtype, logistic)
    got, want = compare(make, steps, dtype, max_iter=max_iter, line_search_fn=line_search_fn)
    assert got["steps"][-1][0] < got["steps"][0][0]
    for p, tp in zip(got["params"], want["params"], strict=True):
        assert p.shape == tuple(tp.shape) and p.dtype == np.dtype(dtype)


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_history_smaller_than_iterations(line_search_fn):
    lr = 1 if line_search_fn else 0.05
    kwargs = dict(lr=lr, max_iter=15, history_size=3, line_search_fn=line_search_fn)
    got, want = compare(rosenbrock(X10, "float64"), 2, "float64", **kwargs)
    for key in ("old_dirs", "old_stps", "ro"):
        assert len(_state(got["opt"])[key]) == len(_state(want["opt"])[key]) == 3
    assert len(_state(got["opt"])["al"]) == 3


# ---------------------------------------------------------------- stopping rules
# (start, settings, closure calls after each of three steps, as PyTorch makes them)
STOPS = {
    # a fixed step skips the evaluation after its last iteration: max_iter calls per step
    "max_iter": (X10, dict(lr=0.1, max_iter=4), [4, 8, 12]),
    "max_iter_wolfe": (X10, dict(max_iter=4, line_search_fn="strong_wolfe"), [5, 10, 16]),
    "max_eval": (X10, dict(lr=0.1, max_iter=50, max_eval=7), [7, 14, 21]),
    # a line search may use up the evaluations left, never more
    "max_eval_wolfe": (
        X10,
        dict(max_iter=50, max_eval=9, line_search_fn="strong_wolfe"),
        [9, 18, 27],
    ),
    # no evaluations left for the line search beyond its first point
    "max_eval_1_wolfe": (X10, dict(max_eval=1, line_search_fn="strong_wolfe"), [2, 4, 6]),
    # max_eval defaults to max_iter * 5 // 4 = 10
    "default_max_eval_wolfe": (X10, dict(max_iter=8, line_search_fn="strong_wolfe"), [9, 19, 30]),
    # converged in the first step; the next ones stop at their first evaluation
    "tolerance_grad": (
        X2,
        dict(max_iter=100, tolerance_grad=1e-2, line_search_fn="strong_wolfe"),
        [42, 43, 44],
    ),
    "tolerance_change": (X10, dict(lr=0.1, max_iter=100, tolerance_change=1e-3), [100, 159, 161]),
    "tolerance_change_wolfe": (
        X2,
        dict(max_iter=100, tolerance_change=1e-4, line_search_fn="strong_wolfe"),
        [40, 41, 42],
    ),
}


@pytest.mark.parametrize("x0, kwargs, calls", STOPS.values(), ids=STOPS.keys())
def test_stopping_rules_count_closure_calls_as_torch(x0, kwargs, calls):
    got, _ = compare(rosenbrock(x0, "float64"), 3, "float64", **kwargs)
    assert [n for *_, n in got["steps"]] == calls


def test_tolerance_grad_stops_at_the_first_evaluation():
    # at the minimum the first gradient is already below tolerance_grad
    got, want = compare(rosenbrock([1.0, 1.0, 1.0], "float64"), 2, "float64")
    assert [n for *_, n in got["steps"]] == [1, 2]
    assert set(_state(got["opt"])) == set(_state(want["opt"])) == {"func_evals", "n_iter"}


def test_consecutive_steps_continue_one_run():
    """Many short steps follow PyTorch's run: the memory, the last step size and the
    previous gradient carry over from one step to the next."""
    kwargs = dict(max_iter=2, max_eval=10, history_size=4, line_search_fn="strong_wolfe")
    got, _ = compare(rosenbrock(X2, "float64"), 8, "float64", **kwargs)
    assert _state(got["opt"])["n_iter"] == 16
    # not the same as restarting: a fresh optimizer per step takes other steps
    params, loss_fn = rosenbrock(X2, "float64")(mg)
    for _ in range(8):
        opt = optim.LBFGS(params, **kwargs)
        opt.step(lambda opt=opt: _backward(opt, loss_fn))
    assert not np.allclose(_flat(params), got["steps"][-1][1])


def _backward(opt, loss_fn):
    opt.zero_grad()
    loss = loss_fn()
    loss.backward()
    return loss


# ---------------------------------------------------------------- state
def _assert_state_like_torch(state, tstate, dtype):
    assert set(state) == set(tstate)
    for key, v in state.items():
        tv = tstate[key]
        if isinstance(tv, list):
            assert isinstance(v, list) and len(v) == len(tv), key
            pairs = list(zip(v, tv, strict=True))
        else:
            pairs = [(v, tv)]
        for a, b in pairs:
            if b is None:
                assert a is None, key
            elif isinstance(b, torch.Tensor):
                assert isinstance(a, mg.Tensor) and a.shape == tuple(b.shape), key
                assert a.dtype == np.dtype(dtype), key
                assert_close(a.numpy(), b.numpy(), STATE_RTOL[dtype])
            else:
                assert type(a) is type(b), key
                assert_close(a, b, STATE_RTOL[dtype])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_state_as_torch_keeps_it(line_search_fn, dtype):
    got, want = compare(
        linear_model(dtype), 2, dtype, max_iter=4, history_size=3, line_search_fn=line_search_fn
    )
    state = got["opt"].state_dict()
    tstate = want["opt"].state_dict()
    assert list(state["state"]) == list(tstate["state"]) == [0]
    assert state["param_groups"] == tstate["param_groups"]
    _assert_state_like_torch(state["state"][0], tstate["state"][0], dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_state_dict_round_trip_continues_the_run(tmp_path, line_search_fn, dtype):
    kwargs = dict(lr=1 if line_search_fn else 0.1, max_iter=3, history_size=4)
    kwargs["line_search_fn"] = line_search_fn
    make = rosenbrock(X10, dtype)
    whole = run(mg, make, 5, **kwargs)

    first = run(mg, make, 2, **kwargs)
    mg.save(first["opt"].state_dict(), tmp_path / "lbfgs.pt")
    params = [mg.tensor(p.detach().numpy(), requires_grad=True) for p in first["params"]]
    opt = optim.LBFGS(params, **{**kwargs, "lr": 123.0})  # the saved settings win
    opt.load_state_dict(mg.load(tmp_path / "lbfgs.pt"))
    assert opt.param_groups[0]["lr"] == kwargs["lr"]
    rest = []
    for _ in range(3):
        loss = opt.step(lambda: _backward(opt, lambda: _rosenbrock(params[0])))
        rest.append((loss.item(), _flat(params)))

    for (f, x, _), (rf, rx) in zip(whole["steps"][2:], rest, strict=True):
        assert f == rf
        np.testing.assert_array_equal(x, rx)
    assert _state(opt)["func_evals"] == _state(whole["opt"])["func_evals"]
    assert _state(opt)["n_iter"] == _state(whole["opt"])["n_iter"]
    if dtype == "float64":  # the same iterates as PyTorch's uninterrupted run too
        want = run(torch, make, 5, **kwargs)
        assert_close(rest[-1][1], want["steps"][-1][1], RTOL[dtype])


def test_load_state_dict_copies_and_casts_the_state():
    got = run(mg, linear_model("float64"), 1, max_iter=3)
    saved = copy.deepcopy(got["opt"].state_dict())
    model = mg.nn.Linear(5, 1)  # float32 parameters: the state is cast to them
    opt = optim.LBFGS(model.parameters())
    opt.load_state_dict(saved)
    state = _state(opt)
    assert state["d"].dtype == np.float32 and state["d"].shape == (6,)
    assert all(s.dtype == np.float32 for s in state["old_dirs"])
    assert state["func_evals"] == saved["state"][0]["func_evals"]
    saved["state"][0]["d"]._data[...] = 0  # the loaded state is a copy
    assert np.any(state["d"].numpy() != 0)


# ---------------------------------------------------------------- gradients
@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_parameters_without_grad_count_as_zero_gradient(line_search_fn):
    frozen = np.array([0.5, -2.0])

    def make(lib):
        x = lib.tensor(np.array([-1.2, 1.0, 0.3]), requires_grad=True)
        unused = lib.tensor(frozen.copy(), requires_grad=True)  # never reaches the loss
        no_grad = lib.tensor(np.array([3.0]))  # requires_grad=False
        return [unused, x, no_grad], lambda: _rosenbrock(x)

    kwargs = dict(lr=1 if line_search_fn else 0.1, max_iter=10, line_search_fn=line_search_fn)
    got, want = compare(make, 2, "float64", **kwargs)
    unused, _, no_grad = got["params"]
    assert unused.grad is None and no_grad.grad is None
    np.testing.assert_array_equal(unused.detach().numpy(), frozen)
    np.testing.assert_array_equal(no_grad.numpy(), [3.0])
    d = _state(got["opt"])["d"].numpy()
    assert d.shape == (6,) and np.all(d[:2] == 0) and d[5] == 0


# ---------------------------------------------------------------- arguments
def _param(lib):
    return lib.ones(2, requires_grad=True)


def _step(opt):
    x = opt.param_groups[0]["params"][0]
    return opt.step(lambda: _backward(opt, lambda: (x**2).sum() + 1))


def _second_group_then_step(lib):
    opt = lib.optim.LBFGS([_param(lib)])
    opt.add_param_group({"params": [_param(lib)]})
    return _step(opt)


ERRORS = {
    "two_groups": lambda lib: lib.optim.LBFGS(
        [{"params": [_param(lib)]}, {"params": [_param(lib)], "lr": 0.1}]
    ),
    "negative_lr": lambda lib: lib.optim.LBFGS([_param(lib)], lr=-1.0),
    "lr_tensor_of_two": lambda lib: lib.optim.LBFGS([_param(lib)], lr=lib.tensor([0.1, 0.2])),
    "unknown_line_search": lambda lib: _step(lib.optim.LBFGS([_param(lib)], line_search_fn="x")),
    "second_group_at_step": _second_group_then_step,
    "no_closure": lambda lib: lib.optim.LBFGS([_param(lib)]).step(),
    "none_closure": lambda lib: lib.optim.LBFGS([_param(lib)]).step(None),
}


@pytest.mark.parametrize("case", ERRORS.values(), ids=ERRORS.keys())
def test_errors_as_torch(case):
    raised = []
    for lib in (mg, torch):
        with pytest.raises(Exception) as info:
            case(lib)
        raised.append((type(info.value), str(info.value)))
    assert raised[0] == raised[1]


def test_defaults_and_lr_tensor():
    p, tp = mg.zeros(2, requires_grad=True), torch.zeros(2, requires_grad=True)
    group = optim.LBFGS([p], max_iter=9).param_groups[0]
    tgroup = torch.optim.LBFGS([tp], max_iter=9).param_groups[0]
    assert {k: v for k, v in group.items() if k != "params"} == {
        k: v for k, v in tgroup.items() if k != "params"
    }
    assert group["max_eval"] == 11
    with pytest.raises(ValueError, match="Tensor lr must be 1-element"):
        optim.LBFGS([p], lr=mg.tensor([0.1, 0.2]))

    # a one-element tensor lr is read as its number
    make = rosenbrock(X2, "float64")
    got = run(mg, make, 2, lr=mg.tensor(0.1, dtype=mg.float64))
    want = run(torch, make, 2, lr=torch.tensor(0.1, dtype=torch.float64))
    assert_same_run(got, want, "float64")
