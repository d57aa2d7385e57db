"""nn.utils.prune against torch.nn.utils.prune: the pruning tutorial's steps, masks of every
deterministic method (ties included, which follow PyTorch's CPU topk), iterative pruning
through PruningContainer, global pruning, remove, state_dict round trips, hooks, gradients,
errors; the random methods by their properties."""

import copy
import math
import re

import numpy as np
import pytest
from op_cases import torch_or_skip

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import nn
from minigrad.nn.utils import prune
from minigrad.nn.utils.prune import _topk_positions


def _libs():
    """torch and its prune module, or skip."""
    torch = torch_or_skip()
    import torch.nn.utils.prune as tprune

    return torch, tprune


def _same(x, tx):
    """Same shape, dtype and values (NaN equal to NaN)."""
    tx = tx.detach()
    assert tuple(x.shape) == tuple(tx.shape)
    assert x.dtype == np.dtype(str(tx.dtype).removeprefix("torch."))
    np.testing.assert_array_equal(x.detach().numpy(), tx.numpy())


def _holders(torch, arrays, dtype=np.float32):
    """A bare module with the given arrays as Parameters, in both libraries."""
    m, tm = nn.Module(), torch.nn.Module()
    for name, a in arrays.items():
        a = np.array(a, dtype=dtype)
        setattr(m, name, nn.Parameter(mg.tensor(a)))
        tm.register_parameter(name, torch.nn.Parameter(torch.from_numpy(a.copy())))
    return m, tm


def _layers(torch, kind="conv", seed=0, dtype=np.float32):
    """A Conv2d(3, 4, 2) or Linear(5, 4) with the same parameters in both libraries."""
    torch.manual_seed(seed)
    if kind == "conv":
        m, tm = nn.Conv2d(3, 4, 2), torch.nn.Conv2d(3, 4, 2)
    else:
        m, tm = nn.Linear(5, 4), torch.nn.Linear(5, 4)
    if dtype == np.float64:
        m.double()
        tm.double()
    for name, p in tm.named_parameters():
        getattr(m, name).data = mg.tensor(p.detach().numpy().copy())
    return m, tm


def _names(items):
    return [name for name, _ in items]


def _hook_types(module):
    return [type(h).__name__ for h in module._forward_pre_hooks.values()]


def _message(e):
    """An error message with the library's own names made neutral."""
    text = str(e).replace("torch.Size", "minigrad.Size").replace("torch.nn.", "minigrad.nn.")
    return re.sub(r" at 0x[0-9a-f]+", "", text)


# ---------------------------------------------------------------------- the tutorial
def _lenet(nn_, F_):
    class LeNet(nn_.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn_.Conv2d(1, 6, 3)
            self.conv2 = nn_.Conv2d(6, 16, 3)
            self.fc1 = nn_.Linear(16 * 5 * 5, 120)
            self.fc2 = nn_.Linear(120, 84)
            self.fc3 = nn_.Linear(84, 10)

        def forward(self, x):
            x = F_.max_pool2d(F_.relu(self.conv1(x)), (2, 2))
            x = F_.max_pool2d(F_.relu(self.conv2(x)), 2)
            x = x.flatten(start_dim=1)
            x = F_.relu(self.fc1(x))
            x = F_.relu(self.fc2(x))
            return self.fc3(x)

    return LeNet()


def _lenets(torch, seed):
    torch.manual_seed(seed)
    tm = _lenet(torch.nn, torch.nn.functional)
    m = _lenet(nn, F)
    m.load_state_dict({k: mg.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    return m, tm


def _sparsity(lib, model):
    """The tutorial's global-pruning printout."""
    names = ["conv1", "conv2", "fc1", "fc2", "fc3"]
    lines = []
    for nm in names:
        w = getattr(model, nm).weight
        lines.append(f"{nm}: {100.0 * float(lib.sum(w == 0)) / float(w.nelement()):.2f}%")
    zeros = sum(float(lib.sum(getattr(model, nm).weight == 0)) for nm in names)
    total = sum(getattr(model, nm).weight.nelement() for nm in names)
    return lines + [f"global: {100.0 * zeros / total:.2f}%"]


def test_pruning_tutorial_port():
    """The PyTorch pruning tutorial step by step, with equal weights; the random mask of
    its first step is checked by count, then torch's copied in so the rest can match."""
    torch, tprune = _libs()
    model, tmodel = _lenets(torch, 0)
    module, tmodule = model.conv1, tmodel.conv1
    assert _names(module.named_parameters()) == ["weight", "bias"]
    assert list(module.named_buffers()) == []

    prune.random_unstructured(module, name="weight", amount=0.3)
    tprune.random_unstructured(tmodule, name="weight", amount=0.3)
    assert _names(module.named_parameters()) == _names(tmodule.named_parameters())
    assert _names(module.named_buffers()) == ["weight_mask"]
    assert int((module.weight_mask == 0).sum()) == 16 == int((tmodule.weight_mask == 0).sum())
    assert not isinstance(module.weight, nn.Parameter) and module.weight.grad_fn is not None
    assert _hook_types(module) == _hook_types(tmodule) == ["RandomUnstructured"]
    module.weight_mask.copy_(mg.tensor(tmodule.weight_mask.numpy()))
    x = np.random.default_rng(0).standard_normal((2, 1, 28, 28)).astype(np.float32)
    np.testing.assert_allclose(
        model(mg.tensor(x)).detach().numpy(),
        tmodel(torch.from_numpy(x)).detach().numpy(),
        rtol=1e-4,
        atol=1e-6,
    )
    _same(module.weight, tmodule.weight)

    prune.l1_unstructured(module, name="bias", amount=3)
    tprune.l1_unstructured(tmodule, name="bias", amount=3)
    assert _names(module.named_parameters()) == ["weight_orig", "bias_orig"]
    assert _names(module.named_buffers()) == ["weight_mask", "bias_mask"]
    _same(module.bias, tmodule.bias)
    assert _hook_types(module) == _hook_types(tmodule)

    prune.ln_structured(module, name="weight", amount=0.5, n=2, dim=0)
    tprune.ln_structured(tmodule, name="weight", amount=0.5, n=2, dim=0)
    _same(module.weight, tmodule.weight)
    _same(module.weight_mask, tmodule.weight_mask)
    hook = next(h for h in module._forward_pre_hooks.values() if h._tensor_name == "weight")
    assert [type(h).__name__ for h in hook] == ["RandomUnstructured", "LnStructured"]
    assert list(model.state_dict().keys()) == list(tmodel.state_dict().keys())

    prune.remove(module, "weight")
    tprune.remove(tmodule, "weight")
    assert _names(module.named_parameters()) == _names(tmodule.named_parameters())
    assert _names(module.named_buffers()) == ["bias_mask"]
    _same(module.weight, tmodule.weight)

    new_model, tnew_model = _lenets(torch, 1)
    for (_, m), (_, tm) in zip(new_model.named_modules(), tnew_model.named_modules(), strict=True):
        amount = 0.2 if isinstance(m, nn.Conv2d) else 0.4 if isinstance(m, nn.Linear) else 0
        if amount:
            assert type(tm).__name__ == type(m).__name__
            prune.l1_unstructured(m, name="weight", amount=amount)
            tprune.l1_unstructured(tm, name="weight", amount=amount)
    assert list(dict(new_model.named_buffers())) == list(dict(tnew_model.named_buffers()))
    for (_, b), (_, tb) in zip(new_model.named_buffers(), tnew_model.named_buffers(), strict=True):
        _same(b, tb)

    model, tmodel = _lenets(torch, 2)
    names = ["conv1", "conv2", "fc1", "fc2", "fc3"]
    prune.global_unstructured(
        [(getattr(model, n), "weight") for n in names],
        pruning_method=prune.L1Unstructured,
        amount=0.2,
    )
    tprune.global_unstructured(
        [(getattr(tmodel, n), "weight") for n in names],
        pruning_method=tprune.L1Unstructured,
        amount=0.2,
    )
    assert _sparsity(mg, model) == _sparsity(torch, tmodel)

    def foobar(lib_prune):
        class FooBarPruningMethod(lib_prune.BasePruningMethod):
            PRUNING_TYPE = "unstructured"

            def compute_mask(self, t, default_mask):
                mask = default_mask.clone()
                mask.flatten()[::2] = 0
                return mask

        return FooBarPruningMethod

    foobar(prune).apply(model.fc3, "bias")
    foobar(tprune).apply(tmodel.fc3, "bias")
    _same(model.fc3.bias_mask, tmodel.fc3.bias_mask)


# ---------------------------------------------------------------------- deterministic masks
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(3, 4), (12,), (2, 3, 2)])
@pytest.mark.parametrize("amount", [0, 1, 5, 12, 0.0, 0.3, 0.5, 0.625, 1.0, False])
def test_l1_unstructured_matches_torch(amount, shape, dtype):
    torch, tprune = _libs()
    w = np.random.default_rng(3).standard_normal(shape)
    m, tm = _holders(torch, {"w": w}, dtype)
    assert prune.l1_unstructured(m, "w", amount) is m
    tprune.l1_unstructured(tm, "w", amount)
    _same(m.w_mask, tm.w_mask)
    _same(m.w, tm.w)
    _same(m.w_orig, tm.w_orig)
    assert m.w_orig.requires_grad


@pytest.mark.parametrize("amount", [0, 1, 0.4, 0.5, 0.6])
def test_l1_unstructured_zero_d_and_empty(amount):
    torch, tprune = _libs()
    for shape in [(), (0, 3), (0,)]:
        if shape != () and isinstance(amount, int) and amount > 0:
            continue
        m, tm = _holders(torch, {"w": np.full(shape, -2.0)})
        prune.l1_unstructured(m, "w", amount)
        tprune.l1_unstructured(tm, "w", amount)
        _same(m.w_mask, tm.w_mask)
        _same(m.w, tm.w)


def _tie_values(kind, n, rng):
    if kind == "zeros":
        v = np.zeros(n)
        live = rng.random(n) < 0.3
        v[live] = rng.standard_normal(int(live.sum()))
        return v * rng.choice([-1, 1], n)  # -0.0 and 0.0 tie
    if kind == "ints":
        return rng.integers(-2, 3, n).astype(np.float64)
    if kind == "sorted":
        return np.sort(rng.integers(0, 3, n)).astype(np.float64)[::-1].copy()
    v = rng.integers(0, 3, n).astype(np.float64)
    v[rng.random(n) < 0.1] = np.nan
    v[rng.random(n) < 0.1] = -np.inf
    return v


@pytest.mark.parametrize("kind", ["zeros", "ints", "sorted", "nan_inf"])
@pytest.mark.parametrize("n", [7, 130, 1000, 6000])
@pytest.mark.parametrize("amount", [0.005, 0.3, 0.9])
def test_l1_unstructured_ties_match_torch(kind, n, amount):
    """Equal magnitudes across the k-th place: the same entries as PyTorch's topk picks,
    on both of its paths (partial_sort for k * 64 <= n, nth_element otherwise)."""
    torch, tprune = _libs()
    w = _tie_values(kind, n, np.random.default_rng(n))
    m, tm = _holders(torch, {"w": w})
    prune.l1_unstructured(m, "w", amount)
    tprune.l1_unstructured(tm, "w", amount)
    _same(m.w_mask, tm.w_mask)


def test_topk_positions_match_torch_topk():
    """The tie emulation itself, on many small tie-heavy rows, both directions."""
    torch = torch_or_skip()
    rng = np.random.default_rng(0)
    for _ in range(300):
        n = int(rng.choice([1, 2, 3, 4, 5, 9, 17, 64, 65, 129, 300, 2000]))
        v = rng.integers(0, int(rng.integers(1, 5)), n).astype(np.float32)
        if rng.random() < 0.2:
            v[rng.random(n) < 0.2] = np.nan
        k = int(rng.integers(0, n + 1)) if rng.random() < 0.7 else int(rng.integers(0, n // 64 + 2))
        k = min(k, n)
        largest = bool(rng.integers(0, 2))
        expected = torch.topk(torch.from_numpy(v), k, largest=largest).indices.numpy()
        assert sorted(_topk_positions(v, k, largest).tolist()) == sorted(expected.tolist())


@pytest.mark.parametrize("dim", [0, 1, -1, 2, -3])
@pytest.mark.parametrize("n", [1, 2, 3, 0.5, 0, -1, math.inf, -math.inf, "fro", "nuc"])
@pytest.mark.parametrize("amount", [0, 1, 2, 0.5, 1.0])
def test_ln_structured_matches_torch(n, dim, amount):
    """Channels of equal norm included (a copied channel, an all-zero one)."""
    torch, tprune = _libs()
    w = np.random.default_rng(1).standard_normal((4, 3, 5))
    w[1] = w[0]
    w[:, 2] = w[:, 0]
    w[3] = 0
    w[..., 4] = 0
    m, tm = _holders(torch, {"w": w})
    prune.ln_structured(m, "w", amount, n, dim)
    tprune.ln_structured(tm, "w", amount, n, dim)
    _same(m.w_mask, tm.w_mask)
    _same(m.w, tm.w)


@pytest.mark.parametrize("dim", [0, 1, 3, -2])
@pytest.mark.parametrize("n", [2, 1, math.inf, -math.inf, 0])
def test_ln_structured_conv_weight(n, dim):
    torch, tprune = _libs()
    m, tm = _layers(torch, "conv", seed=4)
    prune.ln_structured(m, "weight", 0.5, n=n, dim=dim)
    tprune.ln_structured(tm, "weight", 0.5, n=n, dim=dim)
    _same(m.weight_mask, tm.weight_mask)
    _same(m.weight, tm.weight)


def test_importance_scores_match_torch():
    torch, tprune = _libs()
    rng = np.random.default_rng(5)
    scores = rng.standard_normal((4, 5))
    for dtype in (np.float32, np.float64):
        m, tm = _layers(torch, "linear")
        s, ts = mg.tensor(scores.astype(dtype)), torch.from_numpy(scores.astype(dtype))
        prune.l1_unstructured(m, "weight", 7, importance_scores=s)
        tprune.l1_unstructured(tm, "weight", 7, importance_scores=ts)
        _same(m.weight_mask, tm.weight_mask)
        prune.ln_structured(m, "weight", 2, n=1, dim=1, importance_scores=s)
        tprune.ln_structured(tm, "weight", 2, n=1, dim=1, importance_scores=ts)
        _same(m.weight_mask, tm.weight_mask)
    m, tm = _layers(torch, "linear")
    prune.ln_structured(m, "weight", 1, n=2, dim=0, importance_scores=s)
    tprune.ln_structured(tm, "weight", 1, n=2, dim=0, importance_scores=ts)
    _same(m.weight_mask, tm.weight_mask)  # float64, as the scores: PyTorch's
    ints = np.arange(20).reshape(4, 5) % 7
    prune.l1_unstructured(m, "weight", 3, importance_scores=mg.tensor(ints))
    tprune.l1_unstructured(tm, "weight", 3, importance_scores=torch.from_numpy(ints))
    _same(m.weight_mask, tm.weight_mask)  # int64 now: the container casts to the scores'
    _same(m.weight, tm.weight)


# ---------------------------------------------------------------------- iterative pruning
def _steps(lib, lib_prune, mask):
    return [
        lambda m: lib_prune.l1_unstructured(m, "weight", 0.3),
        lambda m: lib_prune.ln_structured(m, "weight", 1, n=2, dim=0),
        lambda m: lib_prune.l1_unstructured(m, "weight", 5),
        lambda m: lib_prune.custom_from_mask(m, "weight", mask),
        lambda m: lib_prune.ln_structured(m, "weight", 0.5, n=1, dim=1),
        lambda m: lib_prune.identity(m, "weight"),
        lambda m: lib_prune.l1_unstructured(m, "bias", 2),
        lambda m: lib_prune.ln_structured(m, "weight", 1, n=math.inf, dim=-1),
    ]


def test_iterative_pruning_matches_torch():
    """Each new method acts only on what is still unpruned; the hook becomes a
    PruningContainer that keeps the history."""
    torch, tprune = _libs()
    m, tm = _layers(torch, "conv", seed=6)
    mask = np.random.default_rng(6).random((4, 3, 2, 2)) < 0.8
    steps = _steps(mg, prune, mg.tensor(mask))
    tsteps = _steps(torch, tprune, torch.from_numpy(mask))
    for step, tstep in zip(steps, tsteps, strict=True):
        step(m)
        tstep(tm)
        _same(m.weight_mask, tm.weight_mask)
        _same(m.weight, tm.weight)
        assert _hook_types(m) == _hook_types(tm)
        assert _names(m.named_parameters()) == _names(tm.named_parameters())
    (container,) = [h for h in m._forward_pre_hooks.values() if h._tensor_name == "weight"]
    assert isinstance(container, prune.PruningContainer) and len(container) == 7
    assert [type(h).__name__ for h in container] == [
        "L1Unstructured",
        "LnStructured",
        "L1Unstructured",
        "CustomFromMask",
        "LnStructured",
        "Identity",
        "LnStructured",
    ]
    assert isinstance(container[1], prune.LnStructured) and container[-1].dim == -1


def test_pruning_again_after_remove_breaks_ties_as_torch():
    """After remove, the pruned zeros tie: which of them a new l1 pass picks is PyTorch's."""
    torch, tprune = _libs()
    m, tm = _layers(torch, "conv", seed=7)
    for amount in (0.5, 0.25, 0.3):
        prune.l1_unstructured(m, "weight", amount)
        tprune.l1_unstructured(tm, "weight", amount)
        _same(m.weight_mask, tm.weight_mask)
        prune.remove(m, "weight")
        tprune.remove(tm, "weight")
        _same(m.weight, tm.weight)
    m, tm = _holders(torch, {"w": np.zeros((6, 4))})  # zero-initialised: all tied
    prune.ln_structured(m, "w", 2, n=1, dim=0)
    tprune.ln_structured(tm, "w", 2, n=1, dim=0)
    prune.l1_unstructured(m, "w", 5)
    tprune.l1_unstructured(tm, "w", 5)
    _same(m.w_mask, tm.w_mask)


# ---------------------------------------------------------------------- global pruning
@pytest.mark.parametrize("amount", [0, 7, 0.2, 0.75, 1.0])
def test_global_unstructured_matches_torch(amount):
    """Several modules and kinds of parameter (conv and linear weights, a bias, a float64
    module, one pruned before, one ranked by its own importance scores)."""
    torch, tprune = _libs()
    conv, tconv = _layers(torch, "conv", seed=8)
    lin, tlin = _layers(torch, "linear", seed=9)
    dbl, tdbl = _layers(torch, "linear", seed=10, dtype=np.float64)
    prune.l1_unstructured(lin, "weight", 6)
    tprune.l1_unstructured(tlin, "weight", 6)
    scores = np.random.default_rng(1).standard_normal((4,)).astype(np.float32)
    params = [(conv, "weight"), (lin, "weight"), (lin, "bias"), (dbl, "weight")]
    tparams = [(tconv, "weight"), (tlin, "weight"), (tlin, "bias"), (tdbl, "weight")]
    out = prune.global_unstructured(
        iter(params),
        prune.L1Unstructured,
        importance_scores={(lin, "bias"): mg.tensor(scores)},
        amount=amount,
    )
    tprune.global_unstructured(
        tparams,
        tprune.L1Unstructured,
        importance_scores={(tlin, "bias"): torch.from_numpy(scores)},
        amount=amount,
    )
    assert out is None
    for (mod, name), (tmod, _) in zip(params, tparams, strict=True):
        _same(getattr(mod, name + "_mask"), getattr(tmod, name + "_mask"))
        _same(getattr(mod, name), getattr(tmod, name))
        assert _hook_types(mod) == _hook_types(tmod)


def test_global_unstructured_random_and_ties():
    torch, tprune = _libs()
    a, ta = _holders(torch, {"w": np.zeros((5, 8)), "b": np.ones(8)})
    prune.global_unstructured([(a, "w"), (a, "b")], prune.L1Unstructured, amount=13)
    tprune.global_unstructured([(ta, "w"), (ta, "b")], tprune.L1Unstructured, amount=13)
    _same(a.w_mask, ta.w_mask)
    _same(a.b_mask, ta.b_mask)
    m1, m2 = nn.Linear(20, 10), nn.Conv2d(2, 3, 3)
    prune.l1_unstructured(m1, "weight", 50)
    params = [(m1, "weight"), (m2, "weight"), (m2, "bias")]
    prune.global_unstructured(params, pruning_method=prune.RandomUnstructured, amount=0.25)
    zeros = sum(int((getattr(m, n + "_mask") == 0).sum()) for m, n in params)
    assert zeros == 50 + round(0.25 * (150 + 54 + 3))
    # the 50 entries pruned before stay pruned
    assert int(((m1.weight_mask == 0) & (m1.weight_orig == 0)).sum()) == 0


# ---------------------------------------------------------------------- random methods
@pytest.mark.parametrize("amount", [0, 1, 17, 0.3, 1.0])
def test_random_unstructured_properties(amount):
    m = nn.Conv2d(3, 4, 3)
    prune.random_unstructured(m, "weight", amount)
    k = amount if isinstance(amount, int) else round(amount * 108)
    assert int((m.weight_mask == 0).sum()) == k
    np.testing.assert_array_equal(
        m.weight.detach().numpy(), (m.weight_mask * m.weight_orig).detach().numpy()
    )
    before = m.weight_mask.numpy().copy()
    prune.random_unstructured(m, "weight", 0.5)  # half of the rest
    after = m.weight_mask.numpy()
    assert int((after == 0).sum()) == k + round(0.5 * (108 - k))
    assert np.all(after <= before)


def test_random_methods_use_minigrads_generator():
    masks = []
    for seed in (0, 0, 1):
        mg.manual_seed(seed)
        m = nn.Linear(10, 10)
        prune.random_unstructured(m, "weight", 50)
        prune.random_structured(m, "weight", 5, dim=1)
        masks.append(m.weight_mask.numpy())
    np.testing.assert_array_equal(masks[0], masks[1])
    assert not np.array_equal(masks[0], masks[2])


@pytest.mark.parametrize("dim", [0, 1, -1, 3])
def test_random_structured_properties(dim):
    m = nn.Conv2d(6, 8, 4)
    prune.l1_unstructured(m, "weight", 100)
    first = m.weight_mask.numpy().copy()
    size = m.weight.shape[dim]
    prune.random_structured(m, "weight", 2, dim=dim)
    mask = m.weight_mask.numpy()
    other = tuple(d for d in range(4) if d != dim % 4)
    dead = mask.sum(axis=other) == 0
    assert dead.sum() == 2
    assert np.all(mask <= first)
    alive = np.moveaxis(mask, dim, 0)[~dead]
    np.testing.assert_array_equal(alive, np.moveaxis(first, dim, 0)[~dead])
    prune.random_structured(m, "weight", 0.5, dim=dim)  # half of the live channels
    dead2 = m.weight_mask.numpy().sum(axis=other) == 0
    assert dead2.sum() == 2 + round(0.5 * (size - 2))
    assert np.all(dead2[dead])


# ---------------------------------------------------------------------- mechanics
def test_hooks_parameters_and_attributes():
    torch, tprune = _libs()
    m, tm = _layers(torch, "linear")
    for lib_prune, mod in ((prune, m), (tprune, tm)):
        lib_prune.l1_unstructured(mod, "weight", 3)
        lib_prune.l1_unstructured(mod, "bias", 1)
        lib_prune.l1_unstructured(mod, "weight", 3)
    assert _hook_types(m) == _hook_types(tm) == ["L1Unstructured", "PruningContainer"]
    keys = list(m._forward_pre_hooks)
    assert keys == sorted(keys)
    assert "weight" not in m._parameters and "weight" in m.__dict__
    assert prune.is_pruned(m) and prune.is_pruned(nn.Sequential(nn.ReLU(), nn.Sequential(m)))
    assert not prune.is_pruned(nn.Sequential(nn.Linear(2, 2)))
    # the pre-hook recomputes the pruned tensor from the current weight_orig and mask
    with mg.no_grad():
        m.weight_orig.mul_(2.0)
        m.weight_mask.fill_(1.0)
    m(mg.ones(1, 5))
    np.testing.assert_array_equal(m.weight.detach().numpy(), m.weight_orig.detach().numpy())


def test_remove_makes_pruning_permanent():
    torch, tprune = _libs()
    m, tm = _layers(torch, "linear", dtype=np.float64)
    prune.ln_structured(m, "weight", 2, n=1, dim=1)
    tprune.ln_structured(tm, "weight", 2, n=1, dim=1)
    orig = m.weight_orig
    m(mg.ones(2, 5)).sum().backward()
    grad = orig.grad.numpy().copy()
    assert prune.remove(m, "weight") is m
    tprune.remove(tm, "weight")
    assert m.weight is orig and isinstance(m.weight, nn.Parameter) and m.weight.requires_grad
    np.testing.assert_array_equal(m.weight.grad.numpy(), grad)
    _same(m.weight, tm.weight)
    assert _names(m.named_parameters()) == _names(tm.named_parameters()) == ["bias", "weight"]
    assert list(m.named_buffers()) == [] and not prune.is_pruned(m)
    assert list(m._forward_pre_hooks) == []
    with pytest.raises(ValueError) as err:
        prune.remove(m, "weight")
    with pytest.raises(ValueError) as terr:
        tprune.remove(tm, "weight")
    assert _message(err.value) == _message(terr.value)
    prune.l1_unstructured(m, "bias", 1)
    prune.l1_unstructured(m, "weight", 1)
    prune.remove(m, "bias")
    assert _hook_types(m) == ["L1Unstructured"] and "weight_mask" in m._buffers


def test_state_dict_round_trips():
    torch, tprune = _libs()
    m, tm = _layers(torch, "conv", seed=11)
    prune.l1_unstructured(m, "weight", 0.4)
    prune.random_unstructured(m, "bias", 1)
    tprune.l1_unstructured(tm, "weight", 0.4)
    tprune.random_unstructured(tm, "bias", 1)
    assert (
        list(m.state_dict())
        == list(tm.state_dict())
        == [
            "weight_orig",
            "bias_orig",
            "weight_mask",
            "bias_mask",
        ]
    )
    # PyTorch's state into the minigrad model: the same forward
    m.load_state_dict({k: mg.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    x = np.random.default_rng(2).standard_normal((2, 3, 5, 5)).astype(np.float32)
    np.testing.assert_allclose(
        m(mg.tensor(x)).detach().numpy(), tm(torch.from_numpy(x)).detach().numpy(), rtol=1e-5
    )
    # and into another pruned model, which then computes with the loaded mask
    other = nn.Conv2d(3, 4, 2)
    prune.identity(other, "weight")
    prune.identity(other, "bias")
    other.load_state_dict(m.state_dict())
    np.testing.assert_array_equal(
        other(mg.tensor(x)).detach().numpy(), m(mg.tensor(x)).detach().numpy()
    )
    # an unpruned model lacks the keys, as PyTorch reports
    res = nn.Conv2d(3, 4, 2).load_state_dict(m.state_dict(), strict=False)
    tres = torch.nn.Conv2d(3, 4, 2).load_state_dict(tm.state_dict(), strict=False)
    assert res.missing_keys == tres.missing_keys == ["weight", "bias"]
    assert res.unexpected_keys == tres.unexpected_keys
    with pytest.raises(RuntimeError, match="weight_orig"):
        nn.Conv2d(3, 4, 2).load_state_dict(m.state_dict())


def test_gradients_reach_weight_orig_masked():
    torch, tprune = _libs()
    m, tm = _layers(torch, "linear", seed=12, dtype=np.float64)
    for lib_prune, mod in ((prune, m), (tprune, tm)):
        lib_prune.l1_unstructured(mod, "weight", 0.3)
        lib_prune.ln_structured(mod, "weight", 1, n=2, dim=0)
        lib_prune.l1_unstructured(mod, "bias", 2)
    x = np.random.default_rng(3).standard_normal((6, 5))
    (m(mg.tensor(x)) ** 2).sum().backward()
    (tm(torch.from_numpy(x)) ** 2).sum().backward()
    for name in ("weight_orig", "bias_orig"):
        g, tg = getattr(m, name).grad, getattr(tm, name).grad
        np.testing.assert_allclose(g.numpy(), tg.numpy(), rtol=1e-12, atol=1e-14)
    assert np.all(m.weight_orig.grad.numpy()[m.weight_mask.numpy() == 0] == 0)
    assert m.weight_mask.grad is None and not m.weight_mask.requires_grad
    w = mg.tensor(m.weight_orig.detach().numpy(), requires_grad=True)
    xs = mg.tensor(x)

    def f(w):
        return mg.func.functional_call(m, {"weight_orig": w}, (xs,)) ** 2

    assert mg.gradcheck(f, (w,))
    assert mg.gradgradcheck(f, (w,))


def test_prune_method_on_a_tensor():
    torch, tprune = _libs()
    rng = np.random.default_rng(4)
    t = rng.standard_normal((4, 6))
    scores = rng.standard_normal((4, 6))
    default = (rng.random((4, 6)) < 0.7).astype(np.float64)
    cases = [
        (lambda p: p.L1Unstructured(5), {}),
        (lambda p: p.L1Unstructured(0.5), {"scores": scores}),
        (lambda p: p.LnStructured(2, n=1, dim=1), {"default": default}),
        (lambda p: p.Identity(), {}),
    ]
    for make, kw in cases:
        args = {}
        targs = {}
        if "scores" in kw:
            args["importance_scores"] = mg.tensor(kw["scores"])
            targs["importance_scores"] = torch.from_numpy(kw["scores"])
        if "default" in kw:
            args["default_mask"] = mg.tensor(kw["default"])
            targs["default_mask"] = torch.from_numpy(kw["default"])
        _same(
            make(prune).prune(mg.tensor(t), **args),
            make(tprune).prune(torch.from_numpy(t), **targs),
        )
    x = mg.tensor(t, requires_grad=True)
    assert mg.gradcheck(lambda x: prune.L1Unstructured(7).prune(x), (x,))


def test_identity_and_custom_from_mask():
    torch, tprune = _libs()
    for mask in ([0, 1, 0, 1], [True, False, True, True], [0.0, 1.0, 1.0, 0.0]):
        m, tm = _layers(torch, "linear")
        prune.custom_from_mask(m, "bias", mg.tensor(mask))
        tprune.custom_from_mask(tm, "bias", torch.tensor(mask))
        _same(m.bias_mask, tm.bias_mask)
        _same(m.bias, tm.bias)
    prune.identity(m, "weight")
    tprune.identity(tm, "weight")
    _same(m.weight_mask, tm.weight_mask)
    _same(m.weight, tm.weight)


def test_dtype_change_after_pruning():
    torch, tprune = _libs()
    m, tm = _layers(torch, "linear")
    prune.l1_unstructured(m, "weight", 4)
    tprune.l1_unstructured(tm, "weight", 4)
    m.double()
    tm.double()
    x = np.ones((1, 5))
    np.testing.assert_allclose(
        m(mg.tensor(x)).detach().numpy(), tm(torch.from_numpy(x)).detach().numpy(), rtol=1e-6
    )
    _same(m.weight, tm.weight)
    _same(m.weight_mask, tm.weight_mask)


def test_deepcopy_as_torch():
    """Copying fails while the pruned tensor is a graph node, as PyTorch's; after a forward
    under no_grad the copy works and prunes its own parameters."""
    torch, tprune = _libs()
    m, tm = _layers(torch, "linear")
    prune.l1_unstructured(m, "weight", 4)
    tprune.l1_unstructured(tm, "weight", 4)
    with pytest.raises(RuntimeError) as err:
        copy.deepcopy(m)
    with pytest.raises(RuntimeError) as terr:
        copy.deepcopy(tm)
    assert str(err.value) == str(terr.value)
    with mg.no_grad():
        m(mg.ones(1, 5))
    c = copy.deepcopy(m)
    assert c.weight_orig is not m.weight_orig and _hook_types(c) == ["L1Unstructured"]
    with mg.no_grad():
        c.weight_orig.fill_(1.0)
    c(mg.ones(1, 5))
    np.testing.assert_array_equal(c.weight.detach().numpy(), m.weight_mask.numpy())
    assert not np.array_equal(m.weight.detach().numpy(), c.weight.detach().numpy())
    with pytest.raises(RuntimeError):  # the copy's own weight is a graph node now
        copy.deepcopy(c)


def test_non_contiguous_parameter():
    """PyTorch's l1_unstructured fails on a transposed parameter (a view(-1) of it); here
    it prunes, as PyTorch does the contiguous copy."""
    torch, tprune = _libs()
    w = np.random.default_rng(5).standard_normal((4, 3))
    m = nn.Module()
    m.w = nn.Parameter(mg.tensor(w).t())
    tm = torch.nn.Module()
    tm.w = torch.nn.Parameter(torch.from_numpy(w).t())
    with pytest.raises(RuntimeError):
        tprune.l1_unstructured(tm, "w", 5)
    tm.w = torch.nn.Parameter(torch.from_numpy(w).t().contiguous())
    prune.l1_unstructured(m, "w", 5)
    tprune.l1_unstructured(tm, "w", 5)
    _same(m.w_mask, tm.w_mask)


# ---------------------------------------------------------------------- errors
def _error_cases(lib, nn_, p):
    def lin():
        return nn_.Linear(3, 2)

    def two(first, second):
        m = lin()
        first(m)
        second(m)

    return {
        "amount_neg": lambda: p.l1_unstructured(lin(), "weight", -1),
        "amount_float": lambda: p.random_unstructured(lin(), "weight", 1.5),
        "amount_type": lambda: p.L1Unstructured("a"),
        "amount_true": lambda: p.l1_unstructured(lin(), "weight", True),
        "amount_true_random": lambda: p.random_structured(lin(), "weight", True, 0),
        "amount_big": lambda: p.l1_unstructured(lin(), "weight", 7),
        "amount_big_second": lambda: two(
            lambda m: p.l1_unstructured(m, "weight", 3), lambda m: p.l1_unstructured(m, "weight", 4)
        ),
        "channels_big": lambda: p.ln_structured(lin(), "weight", 3, 2, 0),
        "dim_big": lambda: p.ln_structured(lin(), "weight", 1, 2, 2),
        "dim_neg_container": lambda: two(
            lambda m: p.l1_unstructured(m, "weight", 1),
            lambda m: p.ln_structured(m, "weight", 1, 2, -3),
        ),
        "one_dim": lambda: p.random_structured(lin(), "bias", 1, 0),
        "nuc_2d": lambda: p.ln_structured(lin(), "weight", 1, "nuc", 0),
        "fro_4d": lambda: p.ln_structured(nn_.Conv2d(2, 3, 2), "weight", 1, "fro", 0),
        "order": lambda: p.ln_structured(nn_.Conv1d(2, 3, 2), "weight", 1, "abc", 0),
        "int_scores": lambda: p.ln_structured(
            lin(), "weight", 1, 2, 0, importance_scores=lib.ones(2, 3, dtype=lib.int64)
        ),
        "scores_shape": lambda: p.l1_unstructured(
            lin(), "weight", 1, importance_scores=lib.ones(3, 2)
        ),
        "mask_shape": lambda: p.custom_from_mask(lin(), "bias", lib.tensor([1, 0, 1])),
        "missing": lambda: p.l1_unstructured(lin(), "nope", 1),
        "prune_buffer": lambda: p.l1_unstructured(nn_.BatchNorm1d(3), "running_mean", 5),
        "remove": lambda: p.remove(lin(), "weight"),
        "global_iter": lambda: p.global_unstructured(3, p.L1Unstructured, amount=1),
        "global_scores": lambda: p.global_unstructured(
            [(lin(), "weight")], p.L1Unstructured, importance_scores=[1], amount=1
        ),
        "global_structured": lambda: p.global_unstructured(
            [(lin(), "weight")], p.RandomStructured, amount=1
        ),
        "container_type": lambda: p.PruningContainer(p.Identity()).add_pruning_method(3),
        "container_many": lambda: p.PruningContainer(p.Identity(), p.Identity()),
        "abstract": lambda: type("X", (p.BasePruningMethod,), {})(),
    }


@pytest.mark.parametrize("case", list(_error_cases(mg, nn, prune)))
def test_errors_match_torch(case):
    torch, tprune = _libs()
    with pytest.raises(Exception) as err:
        _error_cases(mg, nn, prune)[case]()
    with pytest.raises(Exception) as terr:
        _error_cases(torch, torch.nn, tprune)[case]()
    assert isinstance(err.value, type(terr.value))  # minigrad's may be a dual class
    if case not in ("container_type", "prune_buffer"):  # these name a class of each library
        assert _message(err.value) == _message(terr.value)


def test_container_and_custom_method_errors():
    torch, tprune = _libs()
    for p in (prune, tprune):
        a = p.L1Unstructured(1)
        a._tensor_name = "w"
        b = p.L1Unstructured(1)
        b._tensor_name = "b"
        with pytest.raises(ValueError, match="Can only add pruning methods acting on"):
            p.PruningContainer(a).add_pruning_method(b)

    def custom(p, kind):
        class Custom(p.BasePruningMethod):
            PRUNING_TYPE = kind

            def compute_mask(self, t, default_mask):
                return default_mask

        return Custom

    for kind, exc in (("structured", AttributeError), ("weird", ValueError)):
        msgs = []
        for lib, p in ((mg, prune), (torch, tprune)):
            m = lib.nn.Linear(3, 2)
            p.l1_unstructured(m, "weight", 1)
            with pytest.raises(exc) as err:
                custom(p, kind).apply(m, "weight")
            msgs.append(str(err.value))
        assert msgs[0] == msgs[1]


def test_failed_pruning_leaves_the_module_as_it_was():
    """Unlike PyTorch (which may drop the existing hook, or reorder the parameters), an
    error leaves the module, its hooks and the container's history unchanged."""
    m = nn.Linear(3, 2)
    with pytest.raises(ValueError):
        prune.l1_unstructured(m, "weight", 7)
    assert _names(m.named_parameters()) == ["weight", "bias"] and not prune.is_pruned(m)
    assert "weight" not in m.__dict__ and list(m.named_buffers()) == []
    prune.l1_unstructured(m, "weight", 1)
    prune.l1_unstructured(m, "weight", 1)
    hooks = list(m._forward_pre_hooks.items())
    mask = m.weight_mask
    for bad in (
        lambda: prune.l1_unstructured(m, "weight", -1),
        lambda: prune.l1_unstructured(m, "weight", 5),
        lambda: prune.ln_structured(m, "weight", 1, "nuc", 0),
        lambda: prune.l1_unstructured(m, "weight", 1, importance_scores=mg.ones(3)),
    ):
        with pytest.raises((ValueError, RuntimeError, AssertionError)):
            bad()
        assert list(m._forward_pre_hooks.items()) == hooks and len(hooks[0][1]) == 2
        assert m.weight_mask is mask and _names(m.named_parameters()) == ["bias", "weight_orig"]
    assert int((m.weight_mask == 0).sum()) == 2
