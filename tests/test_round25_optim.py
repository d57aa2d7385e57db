"""Round 25 of the hostile reviews: optimizers against PyTorch 2.13 (LBFGS on complex
parameters and its line search's tolerance, Tensor hyper-parameters, float16 moments,
state that belongs to no parameter, PyTorch's positional switches)."""

import io

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")


def _same(a, b):
    """Bit-for-bit equal arrays, NaNs equal."""
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and bool(np.all((a == b) | (np.isnan(a) & np.isnan(b))))


# ---------------------------------------------------------------- LBFGS


def _lbfgs_complex_run(lib, x0, dtype, **kw):
    """|x|^2 + |x|^4 summed, the gradient set in the closure (2 x (1 + 2 |x|^2))."""
    x = lib.tensor(np.array(x0, dtype=dtype)).requires_grad_()
    opt = lib.optim.LBFGS([x], **kw)
    losses = []

    def closure():
        opt.zero_grad()
        a = x.detach().numpy()
        r2 = (a * a.conj()).real
        x.grad = lib.tensor(2 * a * (1 + 2 * r2))
        return lib.tensor(float((r2 + r2**2).sum()))

    for _ in range(2):
        losses.append(float(opt.step(closure)))
    return x.detach().numpy().copy(), losses, opt.state[x]["func_evals"]


@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
@pytest.mark.parametrize("x0", [[1.5 + 0.5j, -0.7 + 2j], [1 + 0.2j, 0.5 - 0.1j]])
@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_steps_complex_parameters_as_real_pairs(dtype, x0, line_search_fn):
    # PyTorch views complex parameters and gradients as real pairs (view_as_real); the
    # complex dot product here made g.d = sum g^2 and the first x0 never moved
    kw = dict(lr=0.5, max_iter=5, line_search_fn=line_search_fn)
    got = _lbfgs_complex_run(mg, x0, dtype, **kw)
    want = _lbfgs_complex_run(torch, x0, dtype, **kw)
    tol = 1e-10 if dtype == np.complex128 else 2e-5
    np.testing.assert_allclose(got[0], want[0], rtol=tol, atol=tol)
    np.testing.assert_allclose(got[1], want[1], rtol=tol)
    assert got[2] == want[2]
    assert got[0].dtype == dtype


def test_lbfgs_complex_state_is_real_and_mixes_with_real_parameters():
    def run(lib):
        a = lib.tensor(np.array([1.0 + 1j, -0.5 + 0.25j])).requires_grad_()
        b = lib.tensor(np.array([0.3, -2.0])).requires_grad_()
        c = lib.tensor(np.array([2.0 + 0j])).requires_grad_()  # never gets a gradient
        opt = lib.optim.LBFGS([a, b, c], lr=1, max_iter=6, line_search_fn="strong_wolfe")

        def closure():
            opt.zero_grad()
            va, vb = a.detach().numpy(), b.detach().numpy()
            a.grad = lib.tensor(4 * va)
            b.grad = lib.tensor(2 * vb + 0.1)
            return lib.tensor(float(2 * (abs(va) ** 2).sum() + (vb**2 + 0.1 * vb).sum()))

        opt.step(closure)
        st = opt.state[a]
        return a.detach().numpy(), b.detach().numpy(), st["d"].numpy(), opt._numel()

    got, want = run(mg), run(torch)
    for g, w in zip(got[:3], want[:3], strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)
    assert got[2].dtype == np.float64 and got[2].shape == (8,)
    assert got[3] == want[3] == 8


def _wolfe_run(lib, tolerance_change, dtype):
    x = lib.tensor(np.array([3.0, -2.0], dtype=dtype)).requires_grad_()
    opt = lib.optim.LBFGS(
        [x], max_iter=10, tolerance_change=tolerance_change, line_search_fn="strong_wolfe"
    )

    def closure():
        opt.zero_grad()
        loss = (10 * x**2 + (20 * x).sin()).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return x.detach().numpy().copy(), opt.state[x]["func_evals"]


@pytest.mark.parametrize("dtype", [np.float64])  # (float32 differs by rounding near the end)
@pytest.mark.parametrize("tolerance_change", [1e-9, 0.1, 0.5])
def test_lbfgs_line_search_keeps_pytorchs_own_tolerance(tolerance_change, dtype):
    # PyTorch's step calls _strong_wolfe without tolerance_change: its zoom uses 1e-9
    got, want = _wolfe_run(mg, tolerance_change, dtype), _wolfe_run(torch, tolerance_change, dtype)
    tol = 1e-10 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(got[0], want[0], rtol=tol, atol=tol)
    assert got[1] == want[1]


# ---------------------------------------------------------------- Tensor hyper-parameters


def _trajectory(lib, name, make_kw, dtype, steps=12):
    """Parameters and state after each of `steps` steps with fixed varied gradients."""
    rng = np.random.default_rng(3)
    x0 = rng.standard_normal(5).astype(dtype)
    grads = [rng.standard_normal(5).astype(dtype) for _ in range(3)]
    p = lib.tensor(x0.copy()).requires_grad_()
    opt = getattr(lib.optim, name)([p], **make_kw(lib))
    out = []
    for i in range(steps):
        p.grad = lib.tensor(grads[i % 3])
        opt.step()
        out.append(p.detach().numpy().astype(np.float64).copy())
    state = {k: v.numpy().astype(np.float64) for k, v in opt.state[p].items() if v.ndim}
    return np.array(out), state


def _t(lib, v):
    return lib.tensor(v)


TENSOR_CASES = [
    ("Adam", lambda L: dict(lr=0.1, betas=(_t(L, 0.9), _t(L, 0.999)))),
    ("Adam", lambda L: dict(lr=_t(L, 0.1), betas=(_t(L, 0.9), _t(L, 0.999)), amsgrad=True)),
    ("AdamW", lambda L: dict(lr=0.1, betas=(_t(L, 0.9), _t(L, 0.999)))),
    ("AdamW", lambda L: dict(lr=0.1, weight_decay=_t(L, 0.1))),
    ("NAdam", lambda L: dict(lr=0.1, betas=(_t(L, 0.9), _t(L, 0.999)))),
    ("RAdam", lambda L: dict(lr=0.1, betas=(_t(L, 0.9), _t(L, 0.999)))),
    ("Adamax", lambda L: dict(lr=0.1, betas=(_t(L, 0.9), _t(L, 0.999)))),
    ("Adagrad", lambda L: dict(lr=0.1, lr_decay=_t(L, 0.05))),
    ("ASGD", lambda L: dict(lr=0.1, lambd=_t(L, 0.01), t0=_t(L, 3.0))),
    ("SGD", lambda L: dict(lr=0.1, momentum=_t(L, 0.9), dampening=_t(L, 0.1))),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("name", "make_kw"), TENSOR_CASES)
def test_tensor_hyper_parameters_round_as_pytorchs_0d_tensors(name, make_kw, dtype):
    # PyTorch works 1 - beta2**step, lr / bias_correction1, 1 - lr * weight_decay in the
    # tensors' float32; reading them as Python floats drifted by up to 7e-6 (RAdam's first
    # rectified step by 1.9e-3)
    got = _trajectory(mg, name, make_kw, dtype)
    want = _trajectory(torch, name, make_kw, dtype)
    # what is left: fused multiply-adds and PyTorch's float32 sqrt, in the last bit
    tol = 3e-7 if dtype == np.float64 else 1e-6
    np.testing.assert_allclose(got[0], want[0], rtol=tol, atol=tol)
    assert got[1].keys() == want[1].keys()
    for k in want[1]:
        np.testing.assert_allclose(got[1][k], want[1][k], rtol=tol, atol=tol)


def test_radam_tensor_betas_first_rectified_step():
    def steps(lib):
        p = lib.zeros(3, requires_grad=True)
        opt = lib.optim.RAdam([p], lr=0.1, betas=(lib.tensor(0.9), lib.tensor(0.999)))
        out = []
        for _ in range(8):
            p.grad = lib.ones(3)
            opt.step()
            out.append(p.tolist()[0])
        return np.diff(np.r_[0.0, out])

    got, want = steps(mg), steps(torch)
    # step 6 switches the rectification on: 1.9e-3 apart before, a last-bit lerp now
    np.testing.assert_allclose(got, want, rtol=2e-5)


def test_float_and_tensor_betas_groups_do_not_share_cached_scalars():
    # the compiled Adam pass caches its step scalars by value: a float 0.5 and a Tensor
    # 0.5 are equal numbers but round 1 - 0.5**t differently (float64 and float32), so
    # each group steps as it does alone
    def run(betas_list):
        ps = [mg.tensor(np.full(4, 1.0, np.float32)).requires_grad_() for _ in betas_list]
        groups = [{"params": [p], "betas": b} for p, b in zip(ps, betas_list, strict=True)]
        opt = mg.optim.Adam(groups, lr=0.3)
        for _ in range(4):
            for p in ps:
                p.grad = mg.tensor(np.full(4, 0.3, np.float32))
            opt.step()
        return [p.detach().numpy() for p in ps]

    floats, tensors = (0.5, 0.75), (mg.tensor(0.5), mg.tensor(0.75))
    both = run([floats, tensors])
    assert _same(both[0], run([floats])[0])
    assert _same(both[1], run([tensors])[0])
    assert not _same(both[0], both[1])


def test_tensor_betas_from_cyclic_momentum():
    # CyclicLR's cycle_momentum writes (float, Tensor) betas into an Adam built with
    # Tensor betas
    def run(lib):
        p = lib.tensor(np.ones(3, np.float32)).requires_grad_()
        opt = lib.optim.Adam([p], lr=0.1, betas=(lib.tensor(0.9), lib.tensor(0.999)))
        sched = lib.optim.lr_scheduler.CyclicLR(opt, 0.01, 0.1, step_size_up=3)
        for _ in range(8):
            p.grad = lib.tensor(np.full(3, 0.5, np.float32))
            opt.step()
            sched.step()
        return p.detach().numpy()

    np.testing.assert_allclose(run(mg), run(torch), rtol=1e-6)


# ---------------------------------------------------------------- float16 moments

HALF_CASES = [
    ("Adam", dict(lr=1e-3, eps=1e-4)),
    ("Adam", dict(lr=1e-2, weight_decay=0.1, amsgrad=True)),
    ("Adam", dict(lr=1e-2, betas=(0.3, 0.99), maximize=True)),
    ("AdamW", dict(lr=1e-2)),
    ("NAdam", dict(lr=1e-2)),
    ("NAdam", dict(lr=1e-2, weight_decay=0.1, decoupled_weight_decay=True)),
    ("RAdam", dict(lr=1e-2)),
    ("RAdam", dict(lr=1e-2, weight_decay=0.1)),
    ("Adamax", dict(lr=1e-2)),
    ("RMSprop", dict(lr=1e-2)),
    ("RMSprop", dict(lr=1e-2, momentum=0.9, centered=True)),
    ("Adagrad", dict(lr=1e-2, lr_decay=0.01, weight_decay=0.1)),
    ("Adadelta", dict(lr=1.0)),
]


@pytest.mark.parametrize(("name", "kw"), HALF_CASES)
def test_float16_moments_round_once_per_pytorch_op(name, kw):
    # PyTorch's float16 lerp_, mul_, addcmul_, addcdiv_ work in float32 and round once;
    # NumPy's float16 ops rounded every multiply and add (575 ulps apart in 3 steps)
    rng = np.random.default_rng(6)
    # a multiple of PyTorch's vector width: its scalar tail of an array rounds some
    # products twice (as documented for SGD)
    n = 2048
    scales = rng.choice([1e-4, 1e-2, 1, 100], (4, n))
    grads = (rng.standard_normal((4, n)) * scales).astype(np.float16)
    x0 = rng.standard_normal(n).astype(np.float16)
    res = {}
    for lib in (torch, mg):
        p = lib.tensor(x0.copy()).requires_grad_()
        opt = getattr(lib.optim, name)([p], **kw)
        for g in list(grads) * 2:
            p.grad = lib.tensor(g)
            opt.step()
        state = {k: v.numpy().copy() for k, v in opt.state[p].items()}
        res[lib] = p.detach().numpy().copy(), state
    (gp, gs), (wp, ws) = res[mg], res[torch]
    assert gp.dtype == np.float16 and _same(gp, wp)
    assert gs.keys() == ws.keys()
    for k in ws:
        assert gs[k].dtype == ws[k].dtype, k
        assert _same(gs[k], ws[k]), k


def test_float16_adam_exp_avg_is_lerp_rounded_once():
    g = np.array([1e-4, 3e-5, 6.0e-6, 100.0, 0.3, 7e-7, 0.0], dtype=np.float16)
    res = {}
    for lib in (torch, mg):
        p = lib.zeros(7, dtype=lib.float16, requires_grad=True)
        opt = lib.optim.Adam([p], lr=1e-3, eps=1e-4)
        p.grad = lib.tensor(g)
        opt.step()
        st = opt.state[p]
        res[lib] = [a.numpy().copy() for a in (st["exp_avg"], st["exp_avg_sq"], p.detach())]
    for got, want in zip(res[mg], res[torch], strict=True):
        assert _same(got, want)


# ---------------------------------------------------------------- load_state_dict


def _custom_sgd(lib):
    class MySGD(lib.optim.SGD):
        def step(self, closure=None):
            self.state["global"]["n"] = self.state["global"].get("n", 0) + 1
            return super().step(closure)

    return MySGD


@pytest.mark.parametrize("through_file", [False, True])
def test_load_state_dict_keeps_state_that_is_no_parameters(through_file):
    for lib in (torch, mg):
        cls = _custom_sgd(lib)
        p = lib.nn.Parameter(lib.ones(2))
        opt = cls([p], lr=0.1, momentum=0.9)
        for _ in range(3):
            opt.zero_grad()
            (p**2).sum().backward()
            opt.step()
        sd = opt.state_dict()
        assert list(sd["state"]) == [0, "global"] or list(sd["state"]) == ["global", 0]
        if through_file:
            buf = io.BytesIO()
            lib.save(sd, buf)
            buf.seek(0)
            sd = lib.load(buf)
        sd["state"][5] = {"x": 1}  # an id that names no parameter: kept as it is
        q = lib.nn.Parameter(lib.ones(2))
        opt2 = cls([q], lr=0.1, momentum=0.9)
        opt2.load_state_dict(sd)
        assert opt2.state["global"] == {"n": 3}, lib
        assert opt2.state[5] == {"x": 1}, lib
        np.testing.assert_allclose(
            opt2.state[q]["momentum_buffer"].numpy(), opt.state[p]["momentum_buffer"].numpy()
        )
        opt2.zero_grad()
        (q**2).sum().backward()
        opt2.step()
        assert opt2.state["global"] == {"n": 4}


# ---------------------------------------------------------------- positional switches


def test_positional_switches_as_pytorch_orders_them():
    for lib in (torch, mg):
        p = lib.nn.Parameter(lib.ones(2))
        # RMSprop(params, lr, alpha, eps, wd, momentum, centered, capturable, foreach,
        # maximize, differentiable)
        opt = lib.optim.RMSprop([p], 0.01, 0.99, 1e-8, 0, 0, False, False, None, True, False)
        assert opt.param_groups[0]["maximize"] is True
        opt = lib.optim.Adadelta([p], 1.0, 0.9, 1e-6, 0, True)
        assert opt.param_groups[0]["foreach"] is True
        # ASGD(params, lr, lambd, alpha, t0, wd, foreach, maximize, differentiable, capturable)
        opt = lib.optim.ASGD([p], 0.01, 1e-4, 0.75, 1e6, 0, None, True, False, False)
        assert opt.param_groups[0]["maximize"] is True
    p = mg.nn.Parameter(mg.ones(2))
    with pytest.raises(ValueError, match="capturable=True is not supported"):
        mg.optim.RMSprop([p], 0.01, 0.99, 1e-8, 0, 0, False, True)
    with pytest.raises(ValueError, match="differentiable=True is not supported"):
        mg.optim.ASGD([p], 0.01, 1e-4, 0.75, 1e6, 0, None, False, True)


def test_positional_maximize_steps_as_pytorch():
    def run(lib):
        p = lib.tensor(np.array([1.0, -2.0])).requires_grad_()
        opt = lib.optim.RMSprop([p], 0.01, 0.99, 1e-8, 0, 0, False, False, None, True)
        for _ in range(3):
            p.grad = lib.tensor(np.array([0.5, 0.25]))
            opt.step()
        return p.detach().numpy()

    np.testing.assert_allclose(run(mg), run(torch), rtol=1e-12)
