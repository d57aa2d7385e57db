"""Module state_dict hooks, lazy shapes from a parent's load, old weight_norm checkpoints,
EmbeddingBag's scale_grad_by_freq and a few reprs, each against torch 2.13."""

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn

torch = pytest.importorskip("torch")


def both(run):
    return run(mg), run(torch)


def test_state_dict_and_load_hooks_order_and_arguments():
    def run(lib):
        net = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.Sequential(lib.nn.Linear(2, 1)))
        log = []
        for name, m in net.named_modules():
            m.register_state_dict_pre_hook(
                lambda mod, prefix, keep, n=name: log.append(("pre", n, prefix, keep))
            )
            m.register_state_dict_post_hook(
                lambda mod, sd, prefix, meta, n=name: log.append(("post", n, prefix, len(sd)))
            )
            m.register_load_state_dict_pre_hook(
                lambda mod, sd, prefix, meta, strict, mk, uk, em, n=name: log.append(
                    ("lpre", n, prefix, mod is net.get_submodule(n), strict, len(sd))
                )
            )
            m.register_load_state_dict_post_hook(
                lambda mod, keys, n=name: log.append(("lpost", n, list(keys.missing_keys)))
            )
        sd = net.state_dict(keep_vars=True)
        del sd["1.0.bias"]
        res = net.load_state_dict(sd, strict=False)
        return log, list(res.missing_keys), list(res.unexpected_keys)

    got, want = both(run)
    assert got == want


def test_post_hook_clears_missing_keys_and_removable_handles():
    def run(lib):
        m = lib.nn.Linear(2, 2)
        h = m.register_load_state_dict_post_hook(lambda mod, keys: keys.missing_keys.clear())
        ok = m.load_state_dict({"weight": lib.zeros(2, 2)})
        h.remove()
        try:
            m.load_state_dict({"weight": lib.zeros(2, 2)})
            err = None
        except RuntimeError as e:
            err = str(e)
        return list(ok.missing_keys), err

    (got_ok, got_err), (want_ok, want_err) = both(run)
    assert got_ok == want_ok == []
    assert got_err == want_err


def test_private_pre_hook_without_module_renames_keys_and_state_dict_hook_returns():
    def run(lib):
        m = lib.nn.Linear(2, 1)

        def rename(sd, prefix, *rest):
            if prefix + "w" in sd:
                sd[prefix + "weight"] = sd.pop(prefix + "w")

        m._register_load_state_dict_pre_hook(rename)
        m.load_state_dict({"w": lib.ones(1, 2), "bias": lib.zeros(1)})
        m._register_state_dict_hook(lambda mod, sd, prefix, meta: {"only": meta["version"]})
        return m.weight.detach().sum().item(), dict(m.state_dict())

    assert both(run)[0] == both(run)[1]


def test_public_post_hook_must_return_none():
    def run(lib):
        m = lib.nn.Linear(1, 1)
        m.register_state_dict_post_hook(lambda *a: {})
        with pytest.raises(RuntimeError, match="state_dict post-hook must return None"):
            m.state_dict()
        return True

    both(run)


def test_load_from_state_dict_override_and_failed_load_is_undone():
    class Old(nn.Linear):
        def _load_from_state_dict(self, sd, prefix, *rest):
            if prefix + "W" in sd:
                sd[prefix + "weight"] = sd.pop(prefix + "W")
            super()._load_from_state_dict(sd, prefix, *rest)

    net = nn.Sequential(Old(2, 2))
    net.load_state_dict({"0.W": mg.ones(2, 2), "0.bias": mg.zeros(2)})
    assert net[0].weight.detach().numpy().sum() == 4
    before = net[0].weight.detach().numpy().copy()
    with pytest.raises(RuntimeError, match=r'Unexpected key\(s\) in state_dict: "x"\. '):
        net.load_state_dict({"0.weight": mg.zeros(2, 2), "0.bias": mg.zeros(2), "x": 1})
    np.testing.assert_array_equal(net[0].weight.detach().numpy(), before)


def test_lazy_module_inside_a_parent_takes_shapes_from_load_state_dict():
    src = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))
    dst = nn.Sequential(nn.LazyLinear(3), nn.LazyBatchNorm1d())
    dst.load_state_dict(src.state_dict())
    tdst = torch.nn.Sequential(torch.nn.LazyLinear(3), torch.nn.LazyBatchNorm1d())
    tsrc = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3))
    tdst.load_state_dict(tsrc.state_dict())
    assert [tuple(p.shape) for p in dst.parameters()] == [tuple(p.shape) for p in tdst.parameters()]
    assert repr(dst) == repr(tdst)
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    np.testing.assert_allclose(
        dst.eval()(mg.tensor(x)).detach().numpy(),
        src.eval()(mg.tensor(x)).detach().numpy(),
        rtol=1e-6,
    )
    assert type(dst[0]) is nn.Linear


def test_parametrized_weight_norm_loads_old_weight_g_v_checkpoint():
    g = np.random.default_rng(1).standard_normal((3, 1))
    v = np.random.default_rng(2).standard_normal((3, 2))
    bias = np.zeros(3)

    def run(lib):
        m = lib.nn.utils.parametrizations.weight_norm(lib.nn.Linear(2, 3).double())
        wrapper = lib.nn.Sequential(m)
        sd = {"0.weight_g": lib.tensor(g), "0.weight_v": lib.tensor(v), "0.bias": lib.tensor(bias)}
        wrapper.load_state_dict(sd)
        return m.weight.detach().numpy(), sorted(wrapper.state_dict())

    (gw, gk), (tw, tk) = both(run)
    np.testing.assert_allclose(gw, tw, rtol=1e-12)
    assert gk == tk


@pytest.mark.parametrize("mode", ["sum", "mean"])
@pytest.mark.parametrize("padding_idx", [None, 2])
def test_embedding_bag_scale_grad_by_freq(mode, padding_idx):
    rng = np.random.default_rng(3)
    w = rng.standard_normal((6, 3))
    inp, off = np.array([1, 2, 1, 1, 4, 2, 5, 0]), np.array([0, 3, 6])
    gy = rng.standard_normal((3, 3))
    kw = dict(mode=mode, scale_grad_by_freq=True, padding_idx=padding_idx)
    m = nn.EmbeddingBag(6, 3, _weight=mg.tensor(w), **kw)
    t = torch.nn.EmbeddingBag(6, 3, _weight=torch.tensor(w), **kw)
    out = m(mg.tensor(inp), mg.tensor(off))
    tout = t(torch.tensor(inp), torch.tensor(off))
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-12)
    out.backward(mg.tensor(gy))
    tout.backward(torch.tensor(gy))
    np.testing.assert_allclose(m.weight.grad.numpy(), t.weight.grad.numpy(), rtol=1e-12)


def test_embedding_bag_scale_grad_by_freq_max_mode_and_max_norm():
    w = np.random.default_rng(4).standard_normal((5, 2)) * 3
    inp = np.array([[0, 1, 1], [3, 1, 0]])
    m = nn.EmbeddingBag(5, 2, max_norm=1.0, scale_grad_by_freq=True, _weight=mg.tensor(w))
    t = torch.nn.EmbeddingBag(5, 2, max_norm=1.0, scale_grad_by_freq=True, _weight=torch.tensor(w))
    m(mg.tensor(inp)).sum().backward()
    t(torch.tensor(inp)).sum().backward()
    np.testing.assert_allclose(m.weight.detach().numpy(), t.weight.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(m.weight.grad.numpy(), t.weight.grad.numpy(), rtol=1e-12)
    bad = nn.EmbeddingBag(5, 2, mode="max", scale_grad_by_freq=True)
    with pytest.raises(ValueError, match="max mode does not support scaling"):
        bad(mg.tensor(inp))


def test_reprs_match_torch():
    def run(lib):
        n = lib.nn
        p32 = n.Parameter(lib.zeros(2, 3))
        p64 = n.Parameter(lib.zeros(2, dtype=lib.float64))
        return [
            repr(n.EmbeddingBag(5, 3)),
            repr(n.EmbeddingBag(5, 3, 1.0, 3.0, True, "sum", padding_idx=1)),
            repr(n.EmbeddingBag(5, 3, max_norm=2)),
            repr(n.Hardsigmoid(inplace=True)),
            repr(n.Hardswish(True)),
            repr(n.Upsample()),
            repr(n.UpsamplingNearest2d()),
            repr(n.Upsample(size=3)),
            repr(n.UpsamplingNearest2d(scale_factor=2)),
            repr(n.Sequential(n.ParameterList([p32, p64]))),
            repr(n.ParameterList([p32])),
            repr(n.ParameterList()),
            repr(n.ParameterDict({"a": p32, "b": p64})),
            repr(n.ParameterDict()),
        ]

    got, want = both(run)
    assert got == [w.replace("torch.", "minigrad.") for w in want]
