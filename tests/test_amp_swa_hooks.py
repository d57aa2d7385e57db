"""GradScaler, autocast, compile, optimizer hooks, get_total_norm/clip_grads_with_norm_ and
swa_utils against torch 2.13."""

import math
import warnings

import numpy as np
import pytest

import minigrad as mg
from minigrad import amp
from minigrad.optim import swa_utils

torch = pytest.importorskip("torch")


def _pair(shape=(3,), seed=0):
    x = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    return mg.tensor(x, requires_grad=True), torch.nn.Parameter(torch.tensor(x))


@pytest.mark.parametrize("interval", [1, 3])
def test_grad_scaler_sequence_matches_torch(interval):
    mp, tp = _pair()
    kw = dict(init_scale=8.0, growth_factor=2.0, backoff_factor=0.25, growth_interval=interval)
    ms, ts = amp.GradScaler("cpu", **kw), torch.amp.GradScaler("cpu", **kw)
    mo, to = mg.optim.SGD([mp], lr=0.1), torch.optim.SGD([tp], lr=0.1)
    for it, bad in enumerate([False, False, True, False, False, False, float("nan"), False]):
        mo.zero_grad(), to.zero_grad()
        ms.scale((mp * mp).sum()).backward()
        ts.scale((tp * tp).sum()).backward()
        if bad is not False:
            v = math.inf if bad is True else bad
            mp.grad._data[1] = v
            with torch.no_grad():
                tp.grad[1] = v
        if it % 2:
            ms.unscale_(mo), ts.unscale_(to)
            np.testing.assert_allclose(mp.grad.numpy(), tp.grad.numpy(), rtol=1e-6)
        assert (ms.step(mo) is None) == (ts.step(to) is None)
        ms.update(), ts.update()
        assert ms.get_scale() == ts.get_scale()
        assert ms.state_dict() == ts.state_dict()
        np.testing.assert_allclose(mp.detach().numpy(), tp.detach().numpy(), rtol=1e-6)


def test_grad_scaler_errors_state_and_disabled():
    mp, _ = _pair()
    s = amp.GradScaler(init_scale=4.0, growth_interval=5)
    opt = mg.optim.SGD([mp], lr=0.1)
    with pytest.raises(AssertionError, match="_scale is None"):
        s.step(opt)
    s.scale((mp * 2).sum()).backward()
    s.unscale_(opt)
    with pytest.raises(RuntimeError, match="already been called"):
        s.unscale_(opt)
    s.step(opt)
    with pytest.raises(RuntimeError, match="step\\(\\) has already been called"):
        s.step(opt)
    s.update()
    assert s.state_dict() == {
        "scale": 4.0,
        "growth_factor": 2.0,
        "backoff_factor": 0.5,
        "growth_interval": 5,
        "_growth_tracker": 1,
    }
    s2 = amp.GradScaler()
    s2.load_state_dict(s.state_dict())
    assert s2.get_scale() == 4.0 and s2._get_growth_tracker() == 1
    with pytest.raises(RuntimeError, match="empty"):
        s2.load_state_dict({})
    s.update(16.0)
    assert s.get_scale() == 16.0
    off = amp.GradScaler(enabled=False)
    loss = (mp * 2).sum()
    assert off.scale(loss) is loss and off.get_scale() == 1.0 and not off.is_enabled()
    assert off.state_dict() == {}
    mp.grad = mg.ones(3)
    before = mp.detach().numpy().copy()
    off.step(opt)
    off.update()
    np.testing.assert_allclose(mp.detach().numpy(), before - 0.1)
    with pytest.raises(ValueError, match="iterable of Tensors"):
        s.scale(3.0)
    out = s.scale([mp, (mp,)])
    assert isinstance(out, list) and isinstance(out[1], tuple)


def test_autocast_noop_and_warning(monkeypatch):
    monkeypatch.setattr(amp, "_warned", False)
    x = mg.ones(2, dtype=mg.float32)
    with pytest.warns(UserWarning, match="mixed precision is not applied"):
        with mg.autocast("cpu", dtype=mg.float16):
            y = x * 2
    assert y.dtype == x.dtype
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with mg.amp.autocast("cpu"):  # warned once already
            pass
        monkeypatch.setattr(amp, "_warned", False)
        with mg.autocast("cpu", enabled=False):
            pass

    @mg.autocast("cpu", enabled=False)
    def f(a):
        return a + 1

    assert f(1) == 2
    assert mg.cuda.amp is mg.amp.cuda_amp


def test_compile_identity():
    model = mg.nn.Linear(2, 2)
    assert mg.compile(model) is model
    assert mg.compile(model, mode="max-autotune", fullgraph=True) is model

    @mg.compile
    def f(a):
        return a * 2

    @mg.compile(dynamic=True)
    def g(a):
        return a * 3

    assert f(2) == 4 and g(2) == 6


def test_step_hooks_order_args_and_removal():
    logs = {mg: [], torch: []}
    for lib, log in logs.items():
        p = lib.zeros(2, requires_grad=True)
        p.grad = lib.ones(2)
        opt = lib.optim.SGD([p], lr=0.1)
        h1 = opt.register_step_pre_hook(
            lambda o, a, k, log=log: log.append(("pre1", len(a), a[0] is o))
        )
        opt.register_step_pre_hook(lambda o, a, k, log=log: log.append(("pre2", k)))
        h3 = opt.register_step_post_hook(lambda o, a, k, log=log: log.append(("post", len(a))))
        opt.step()
        h1.remove()
        h3.remove()
        opt.step()
    assert logs[mg] == logs[torch]
    assert logs[mg] == [("pre1", 1, True), ("pre2", {}), ("post", 1), ("pre2", {})]


def test_step_pre_hook_replaces_args_and_bad_return():
    p = mg.zeros(1, requires_grad=True)
    opt = mg.optim.LBFGS([p])
    calls = []
    opt.register_step_pre_hook(lambda o, a, k: ((o,), {"closure": lambda: calls.append(1) or 0}))
    opt.step(lambda: 1 / 0)
    assert calls
    opt2 = mg.optim.SGD([p], lr=0.1)
    opt2.register_step_pre_hook(lambda o, a, k: 5)
    with pytest.raises(RuntimeError, match="must return None or a tuple"):
        opt2.step()


def test_state_dict_hooks():
    p = mg.zeros(2, requires_grad=True)
    opt = mg.optim.SGD([p], lr=0.1)
    log = []
    opt.register_state_dict_pre_hook(lambda o: log.append("pre"))
    opt.register_state_dict_post_hook(lambda o, sd: {**sd, "extra": 1})
    sd = opt.state_dict()
    assert sd["extra"] == 1 and log == ["pre"]

    def drop_extra(o, sd):
        sd.pop("extra")
        sd["param_groups"][0]["lr"] = 0.5

    opt.register_load_state_dict_pre_hook(drop_extra)
    opt.register_load_state_dict_post_hook(lambda o: log.append("loaded"), prepend=True)
    opt.load_state_dict(sd)
    assert "extra" in sd and opt.param_groups[0]["lr"] == 0.5 and log[-1] == "loaded"


@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf, 3.0, 0.0])
@pytest.mark.parametrize("bad", [None, math.inf, math.nan])
def test_get_total_norm_and_clip_grads_with_norm(norm_type, bad):
    rng = np.random.default_rng(1)
    gs = [rng.standard_normal(s).astype(np.float32) for s in [(3,), (2, 2)]]
    if bad is not None:
        gs[1][0, 1] = bad
    mps = [mg.zeros(*g.shape, requires_grad=True) for g in gs]
    tps = [torch.zeros(*g.shape, requires_grad=True) for g in gs]
    for mp, tp, g in zip(mps, tps, gs, strict=True):
        mp.grad, tp.grad = mg.tensor(g.copy()), torch.tensor(g.copy())
    mt = mg.nn.utils.get_total_norm([p.grad for p in mps], norm_type)
    tt = torch.nn.utils.get_total_norm([p.grad for p in tps], norm_type)
    np.testing.assert_allclose(mt.numpy(), tt.numpy(), rtol=1e-6)
    assert mt.dtype == mg.float32
    mg.nn.utils.clip_grads_with_norm_(mps, 1.0, mt)
    torch.nn.utils.clip_grads_with_norm_(tps, 1.0, tt)
    for mp, tp in zip(mps, tps, strict=True):
        np.testing.assert_allclose(mp.grad.numpy(), tp.grad.numpy(), rtol=1e-6)
    if bad is not None and norm_type != 0:  # the 0-norm counts nonzeros: finite
        with pytest.raises(RuntimeError, match="non-finite"):
            mg.nn.utils.get_total_norm([p.grad for p in mps], norm_type, error_if_nonfinite=True)
        with pytest.raises(RuntimeError, match="non-finite"):
            torch.nn.utils.get_total_norm([p.grad for p in tps], norm_type, True)


def test_get_total_norm_empty():
    assert float(mg.nn.utils.get_total_norm([])) == 0.0
    mg.nn.utils.clip_grads_with_norm_([mg.zeros(2, requires_grad=True)], 1.0, mg.tensor(3.0))


def _models(seed=0):
    mg.manual_seed(seed)
    m = mg.nn.Sequential(mg.nn.Linear(3, 4), mg.nn.BatchNorm1d(4), mg.nn.Linear(4, 2))
    t = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Linear(4, 2))
    with torch.no_grad():
        for (_, a), (_, b) in zip(m.state_dict().items(), t.state_dict().items(), strict=True):
            b.copy_(torch.tensor(np.asarray(a.numpy())))
    return m, t


def _perturb(m, t, k):
    for a, b in zip(m.parameters(), t.parameters(), strict=True):
        d = np.random.default_rng(k).standard_normal(a.shape).astype(np.float32)
        a._data += d
        with torch.no_grad():
            b += torch.tensor(d)
    x = np.random.default_rng(100 + k).standard_normal((5, 3)).astype(np.float32)
    m(mg.tensor(x)), t(torch.tensor(x))  # moves the running stats


@pytest.mark.parametrize(
    "kind", ["swa", "ema_multi", "ema_avg", "swa_buffers", "ema_multi_buffers"]
)
def test_averaged_model_matches_torch(kind):
    m, t = _models()
    use_buffers = kind.endswith("buffers")
    kw_m, kw_t = {}, {}
    if kind.startswith("ema_multi"):
        kw_m["multi_avg_fn"] = swa_utils.get_ema_multi_avg_fn(0.9)
        kw_t["multi_avg_fn"] = torch.optim.swa_utils.get_ema_multi_avg_fn(0.9)
    elif kind == "ema_avg":
        kw_m["avg_fn"] = swa_utils.get_ema_avg_fn(0.9)
        kw_t["avg_fn"] = torch.optim.swa_utils.get_ema_avg_fn(0.9)
    am = swa_utils.AveragedModel(m, use_buffers=use_buffers, **kw_m)
    at = torch.optim.swa_utils.AveragedModel(t, use_buffers=use_buffers, **kw_t)
    for k in range(5):
        _perturb(m, t, k)
        am.update_parameters(m)
        at.update_parameters(t)
    assert int(am.n_averaged.item()) == int(at.n_averaged) == 5
    for (ka, a), (kb, b) in zip(am.state_dict().items(), at.state_dict().items(), strict=True):
        assert ka == kb
        np.testing.assert_allclose(np.asarray(a.numpy()), b.numpy(), rtol=2e-6, atol=1e-7)
    x = np.ones((2, 3), np.float32)
    am.eval(), at.eval()
    np.testing.assert_allclose(
        am(mg.tensor(x)).detach().numpy(), at(torch.tensor(x)).detach(), rtol=1e-5
    )


@pytest.mark.parametrize("strategy", ["cos", "linear"])
@pytest.mark.parametrize("anneal_epochs", [0, 1, 4])
def test_swalr_matches_torch(strategy, anneal_epochs):
    mp, tp = _pair()
    mo = mg.optim.SGD([{"params": [mp]}], lr=0.5)
    to = torch.optim.SGD([{"params": [tp]}], lr=0.5)
    ms = swa_utils.SWALR(mo, 0.05, anneal_epochs, strategy)
    ts = torch.optim.swa_utils.SWALR(to, 0.05, anneal_epochs, strategy)
    for _ in range(7):
        assert ms.get_last_lr() == pytest.approx(ts.get_last_lr(), rel=1e-12)
        mo.step(), to.step()
        ms.step(), ts.step()
    with pytest.raises(ValueError, match="anneal_strategy"):
        swa_utils.SWALR(mo, 0.1, anneal_strategy="exp")
    with pytest.raises(ValueError, match="anneal_epochs"):
        swa_utils.SWALR(mo, 0.1, anneal_epochs=-1)


def test_update_bn_matches_torch():
    m, t = _models(3)
    am, at = swa_utils.AveragedModel(m), torch.optim.swa_utils.AveragedModel(t)
    rng = np.random.default_rng(5)
    batches = [rng.standard_normal((4, 3)).astype(np.float32) for _ in range(3)]
    am.eval(), at.eval()
    swa_utils.update_bn([(mg.tensor(b), 0) for b in batches], am)
    torch.optim.swa_utils.update_bn([(torch.tensor(b), 0) for b in batches], at)
    assert not am.training
    bm, bt = am.module[1], at.module[1]
    assert bm.momentum == bt.momentum == 0.1
    for name in ("running_mean", "running_var", "num_batches_tracked"):
        a, b = getattr(bm, name), getattr(bt, name)
        np.testing.assert_allclose(np.asarray(a.numpy()), b.numpy(), rtol=1e-5, atol=1e-7)
