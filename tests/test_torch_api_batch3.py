"""A third batch of PyTorch semantics, each compared with PyTorch itself: var/std (and
var_mean/std_mean) accumulated in float64 and rounded once, mean divided by n; F.pad's
reflect/replicate/circular modes and their layers, ConstantPad3d/ZeroPad3d; interpolate
over 3-d, 4-d and 5-d inputs in every mode (nearest, nearest-exact, linear, bilinear,
bicubic, trilinear, area); hardtanh/relu6 on integers; elu's second derivative at 0;
0-d scatter and swapaxes; the losses' legacy size_average/reduce arguments, their
positions, the element weights of mse/l1/huber and the loss modules' weight buffers."""

import warnings

import numpy as np
import pytest
from torch_ref import both, same

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def forward_backward(fn_mg, fn_torch, arr, atol, seed=0):
    """Values and input gradients (a random output weight) of fn, float32 or float64."""
    x = mg.tensor(arr, requires_grad=True)
    tx = torch.tensor(arr, requires_grad=True)
    y, ty = fn_mg(x), fn_torch(tx)
    same(y, ty, atol=atol)
    w = np.random.default_rng(seed).standard_normal(tuple(ty.shape)).astype(arr.dtype)
    (y * mg.tensor(w)).sum().backward()
    (ty * torch.tensor(w)).sum().backward()
    same(x.grad, tx.grad, atol=atol)


# ---------------------------------------------------------------------- var, std, mean
@pytest.mark.parametrize("op", ["var", "std"])
def test_var_std_float32_match_pytorch_to_the_bit(op):
    rng = np.random.default_rng(0)
    for _trial in range(60):
        shape = tuple(int(n) for n in rng.integers(1, 9, size=rng.integers(1, 4)))
        a = (rng.standard_normal(shape) * 10 ** rng.uniform(-3, 3)).astype(np.float32)
        x, tx = both(a, "float32")
        dim = int(rng.integers(0, len(shape)))
        for kw in ({}, {"dim": dim}, {"dim": dim, "keepdim": True}):
            if kw.get("dim") is not None and shape[dim] == 1:
                continue  # one value: PyTorch warns (and gives NaN, as does minigrad)
            same(getattr(x, op)(**kw), getattr(tx, op)(**kw))


def test_var_std_do_not_overflow_float32():
    """Squares of values above 1.8e19 overflow float32; PyTorch accumulates in float64."""
    a = np.array([3e19, -3e19, 1e19], np.float32)
    x, tx = both(a, "float32")
    same(x.std(), tx.std())
    same(x.var(correction=0), tx.var(correction=0))
    assert np.isfinite(x.std().item())


def test_var_std_float32_gradients_and_dtype():
    a = np.random.default_rng(1).standard_normal((4, 5)).astype(np.float32)
    for op in ("var", "std"):
        forward_backward(
            lambda t, op=op: getattr(t, op)(1), lambda t, op=op: getattr(t, op)(1), a, 1e-6
        )
    x = mg.tensor(a)
    assert x.var().dtype == np.float32 and x.std(0).dtype == np.float32
    assert mg.tensor(a.astype(np.float16)).var().dtype == np.float16


def test_var_mean_and_std_mean_round_once():
    x, tx = both([1.0, 2.0, 4.0], "float32")
    for got, want in zip(mg.var_mean(x), torch.var_mean(tx), strict=True):
        same(got, want)
    for got, want in zip(mg.std_mean(x, 0), torch.std_mean(tx, 0), strict=True):
        same(got, want)


def test_mean_divides_by_n():
    """7 / 3 in float32 is 2.3333333; 7 * (1 / 3) would be 2.3333335."""
    x, tx = both([1.0, 2.0, 4.0], "float32")
    same(x.mean(), tx.mean())
    xg = mg.tensor(np.float32([1, 2, 4]), requires_grad=True)
    xg.mean().backward()
    assert xg.grad.numpy()[0] == np.float32(1) / np.float32(3)


def test_normalisation_layers_keep_their_dtype_and_values():
    """layer_norm and group_norm compute the variance in the input's own dtype."""
    a = np.random.default_rng(2).standard_normal((2, 4, 3)).astype(np.float32)
    forward_backward(
        lambda t: F.layer_norm(t, (3,)), lambda t: TF.layer_norm(t, (3,)), a, atol=1e-5
    )
    forward_backward(lambda t: F.group_norm(t, 2), lambda t: TF.group_norm(t, 2), a, atol=1e-5)


# ---------------------------------------------------------------------- pad modes
PAD_CASES = [
    ((2, 5), (2, 1)),
    ((1, 3, 5), (1, 3)),
    ((1, 3, 5), (-1, 2)),
    ((2, 4, 5), (1, 2, 3, 0)),
    ((1, 2, 4, 5), (0, 3, 2, 2)),
    ((1, 2, 4, 5), (-1, 2, 1, -2)),
    ((2, 3, 4, 5), (1, 1, 2, 2, 1, 2)),
    ((1, 2, 3, 4, 5), (2, 1, 1, 0, 2, 2)),
]


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape,pad", PAD_CASES)
def test_pad_modes_match_pytorch(mode, shape, pad):
    a = np.random.default_rng(3).standard_normal(shape)
    forward_backward(lambda t: F.pad(t, pad, mode), lambda t: TF.pad(t, pad, mode), a, 1e-12)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_pad_modes_second_derivative(mode):
    a = np.random.default_rng(4).standard_normal((1, 2, 3, 4))
    x = mg.tensor(a, requires_grad=True)

    def f(t):
        return (F.pad(t, (2, 1, 1, 2), mode) ** 3).sum()

    assert mg.gradcheck(f, [x]) and mg.gradgradcheck(f, [x])


@pytest.mark.parametrize(
    "shape,pad,mode",
    [
        ((1, 2, 4), (4, 1), "reflect"),  # reflect: padding must be below the size
        ((1, 2, 4), (5, 1), "circular"),  # circular: wraps at most once
        ((4,), (1, 1), "reflect"),  # a 1-d input has no channel dim
        ((1, 1, 1, 4), (1, 1), "replicate"),  # one padded dim needs a 2-d or 3-d input
        ((2, 4), (1, 1, 1, 1), "reflect"),
        ((1, 2, 0), (1, 1), "replicate"),  # nothing to replicate
    ],
)
def test_pad_modes_refuse_what_pytorch_refuses(shape, pad, mode):
    with pytest.raises((RuntimeError, NotImplementedError)):
        TF.pad(torch.zeros(shape), pad, mode)
    with pytest.raises((RuntimeError, NotImplementedError), match="pad"):
        F.pad(mg.zeros(*shape), pad, mode)


def test_pad_mode_errors_name_the_problem():
    with pytest.raises(NotImplementedError, match="'edge'"):  # PyTorch's type
        F.pad(mg.zeros(1, 2, 3), (1, 1), "edge")
    with pytest.raises(RuntimeError, match="value"):
        F.pad(mg.zeros(1, 2, 3), (1, 1), "reflect", 1.0)
    # value=None and 0 are accepted, as PyTorch's
    assert F.pad(mg.zeros(1, 2, 3), (1, 1), "reflect", None).shape == (1, 2, 5)
    assert F.pad(mg.zeros(1, 2, 3), (1, 1), "constant", None).shape == (1, 2, 5)


LAYERS = [
    ("ReflectionPad1d", 2, (2, 3, 5)),
    ("ReflectionPad2d", (1, 2, 0, 3), (1, 2, 4, 5)),
    ("ReflectionPad3d", 1, (1, 1, 3, 3, 3)),
    ("ReplicationPad1d", (3, 0), (3, 5)),
    ("ReplicationPad2d", 2, (2, 4, 5)),
    ("ReplicationPad3d", (1, 0, 2, 1, 0, 1), (1, 2, 3, 3, 3)),
    ("CircularPad1d", 2, (1, 2, 4)),
    ("CircularPad2d", (1, 0, 2, 1), (1, 2, 3, 4)),
    ("CircularPad3d", 1, (1, 1, 2, 3, 3)),
    ("ZeroPad3d", (1, 0, 2, 1, 0, 1), (1, 2, 3, 3, 3)),
]


@pytest.mark.parametrize("name,padding,shape", LAYERS)
def test_pad_layers_match_pytorch(name, padding, shape):
    a = np.random.default_rng(5).standard_normal(shape)
    layer, tlayer = getattr(nn, name)(padding), getattr(torch.nn, name)(padding)
    forward_backward(layer, tlayer, a, 1e-12)


def test_constant_pad3d_value():
    a = np.ones((1, 1, 1, 2, 2))
    layer, tlayer = (
        nn.ConstantPad3d((1, 0, 0, 1, 1, 1), 2.5),
        torch.nn.ConstantPad3d((1, 0, 0, 1, 1, 1), 2.5),
    )
    forward_backward(layer, tlayer, a, 0.0)
    with pytest.raises(ValueError, match="ReflectionPad2d"):
        nn.ReflectionPad2d((1, 2, 3))


# ---------------------------------------------------------------------- interpolate
def _interp_cases():
    rng = np.random.default_rng(6)
    cases = []
    for nd, modes in (
        (3, ["nearest", "nearest-exact", "linear", "area"]),
        (4, ["nearest", "nearest-exact", "bilinear", "bicubic", "area"]),
        (5, ["nearest", "nearest-exact", "trilinear", "area"]),
    ):
        for mode in modes:
            for trial in range(6):
                shape = (2, 2) + tuple(int(v) for v in rng.integers(1, 6, size=nd - 2))
                if trial % 3 == 0:
                    kw = {"size": tuple(int(v) for v in rng.integers(1, 11, size=nd - 2))}
                elif trial % 3 == 1:
                    kw = {"scale_factor": float(rng.choice([0.5, 1.5, 2.0, 3.0, 0.7, 1.0]))}
                else:
                    factors = rng.choice([0.5, 1.5, 2.0, 3.0, 1.0, 1.7], size=nd - 2)
                    kw = {"scale_factor": tuple(float(f) for f in factors)}
                if mode in ("linear", "bilinear", "bicubic", "trilinear"):
                    kw["align_corners"] = bool(trial % 2)
                if trial == 4:
                    kw["recompute_scale_factor"] = True
                cases.append((shape, mode, kw))
    return cases


@pytest.mark.parametrize("shape,mode,kw", _interp_cases())
def test_interpolate_matches_pytorch(shape, mode, kw):
    a = np.random.default_rng(7).standard_normal(shape).astype(np.float32)
    try:
        empty = TF.interpolate(torch.tensor(a), mode=mode, **kw).numel() == 0
    except RuntimeError:  # PyTorch refuses some empty outputs, returns others
        empty = True
    if empty:
        with pytest.raises(ValueError, match="output size"):
            F.interpolate(mg.tensor(a), mode=mode, **kw)
        return
    forward_backward(
        lambda t: F.interpolate(t, mode=mode, **kw),
        lambda t: TF.interpolate(t, mode=mode, **kw),
        a,
        atol=2e-5,
    )


def test_interpolate_nearest_forward_follows_pytorch_per_rank():
    """PyTorch's 4-d nearest takes exact paths for a doubled size even when scale_factor
    says 2.3; its 3-d and 5-d forwards compute from the factor. minigrad's forward follows
    both (PyTorch's own 3-d/5-d backward uses the exact paths there, so it disagrees with
    its forward; minigrad's gradient is its forward's)."""
    for shape in ((1, 1, 2), (1, 1, 3, 3), (1, 1, 2, 2, 3)):
        a = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
        want = TF.interpolate(torch.tensor(a), scale_factor=2.3, mode="nearest")
        same(F.interpolate(mg.tensor(a), scale_factor=2.3, mode="nearest"), want)


def test_interpolate_bicubic_second_derivative():
    x = mg.tensor(np.random.default_rng(8).standard_normal((1, 1, 3, 4)), requires_grad=True)

    def f(t):
        return (F.interpolate(t, size=(5, 6), mode="bicubic") ** 2).sum()

    assert mg.gradcheck(f, [x]) and mg.gradgradcheck(f, [x])


@pytest.mark.parametrize(
    "shape,kw,match",
    [
        ((1, 1, 4, 4), {"scale_factor": 2, "mode": "linear"}, "3-d"),
        ((1, 1, 4), {"scale_factor": 2, "mode": "bilinear"}, "4-d"),
        ((1, 1, 4, 4), {"scale_factor": 2, "mode": "trilinear"}, "5-d"),
        ((1, 4), {"scale_factor": 2}, "3-d"),
        ((1, 1, 4, 4), {"scale_factor": 2, "mode": "nearest", "align_corners": True}, "align"),
        ((1, 1, 4, 4), {"scale_factor": 2, "mode": "cubic"}, "'cubic'"),
        ((1, 1, 4, 4), {"scale_factor": (2, 2, 2)}, "one factor per"),
        ((1, 1, 4, 4), {}, "exactly one"),
    ],
)
def test_interpolate_errors_name_the_problem(shape, kw, match):
    with pytest.raises(ValueError, match=match):
        F.interpolate(mg.zeros(*shape), **kw)


def test_upsample_takes_the_new_modes():
    a = np.random.default_rng(9).standard_normal((1, 2, 3, 3, 3)).astype(np.float32)
    m = nn.Upsample(scale_factor=2, mode="trilinear", align_corners=False)
    tm = torch.nn.Upsample(scale_factor=2, mode="trilinear", align_corners=False)
    forward_backward(m, tm, a, 2e-5)


# ---------------------------------------------------------------------- small ops
def test_hardtanh_and_relu6_on_integers():
    for dt, tdt in ((np.int64, torch.int64), (np.uint8, torch.uint8), (np.int32, torch.int32)):
        a = np.array([-3, 0, 3, 7, 200]).astype(dt)  # -3 wraps to 253 in uint8
        t = torch.tensor(a, dtype=tdt)
        same(F.hardtanh(mg.tensor(a), -0.5, 1.5), TF.hardtanh(t, -0.5, 1.5))  # -0.5 -> 0
        if dt is np.uint8:  # a limit still negative after truncation: both refuse
            with pytest.raises(RuntimeError):
                TF.hardtanh(t, -1.0, 1.5)
            with pytest.raises(RuntimeError, match="negative limits"):
                F.hardtanh(mg.tensor(a), -1.0, 1.5)
        same(F.relu6(mg.tensor(a)), TF.relu6(torch.tensor(a, dtype=tdt)))
    with pytest.raises(RuntimeError, match="bool"):
        F.hardtanh(mg.tensor([True, False]))


def test_elu_first_and_second_derivatives_at_the_kink():
    for alpha in (1.0, 0.5):
        grads = []
        for lib, fn in ((mg, F.elu), (torch, TF.elu)):
            t = lib.tensor([0.0, -1.0, 1.0, float("nan")], dtype=lib.float64, requires_grad=True)
            (g,) = lib.autograd.grad(fn(t, alpha).sum(), t, create_graph=True)
            (gg,) = lib.autograd.grad(g.sum(), t)
            grads.append((g.detach().numpy(), gg.numpy()))
        for got, want in zip(*grads, strict=True):
            np.testing.assert_array_equal(got, want)


def test_zero_dim_scatter_and_swapaxes():
    x, tx = both(5.0, "float32")
    same(
        x.scatter(0, mg.tensor(0), mg.tensor(7.0)),
        tx.scatter(0, torch.tensor(0), torch.tensor(7.0)),
    )
    same(
        x.scatter_add(0, mg.tensor(0), mg.tensor(7.0)),
        tx.scatter_add(0, torch.tensor(0), torch.tensor(7.0)),
    )
    same(x.swapaxes(0, -1), tx.swapaxes(0, -1))
    same(x.transpose(0, 0), tx.transpose(0, 0))
    with pytest.raises(IndexError):
        x.swapaxes(0, 1)


def test_median_of_an_empty_integer_tensor_is_refused():
    """PyTorch returns an undefined value (NaN cast to the integer dtype)."""
    with pytest.raises(RuntimeError, match="empty int64"):
        mg.tensor([], dtype=mg.int64).median()
    assert np.isnan(mg.tensor([]).median().item())


# ---------------------------------------------------------------------- losses
LEGACY = [(None, None), (True, True), (False, True), (True, False), (None, False), (False, None)]


@pytest.mark.parametrize("size_average,reduce", LEGACY)
def test_legacy_reduction_arguments_match_pytorch(size_average, reduce):
    rng = np.random.default_rng(10)
    p = rng.uniform(0.05, 0.95, (4, 3))
    y = rng.uniform(0, 1, (4, 3))
    labels = np.array([0, 2, 1, 1])
    kw = {"size_average": size_average, "reduce": reduce}
    pairs = [
        (lambda L, t: L.mse_loss(t(p), t(y), **kw)),
        (lambda L, t: L.l1_loss(t(p), t(y), **kw)),
        (lambda L, t: L.smooth_l1_loss(t(p), t(y), **kw)),
        (lambda L, t: L.kl_div(t(np.log(p)), t(y), **kw)),
        (lambda L, t: L.binary_cross_entropy(t(p), t(y), None, size_average, reduce)),
        (lambda L, t: L.binary_cross_entropy_with_logits(t(p), t(y), **kw)),
        (lambda L, t: L.nll_loss(t(np.log(p)), t(labels), None, size_average, -100, reduce)),
        (lambda L, t: L.cross_entropy(t(p), t(labels), None, size_average, 1, reduce)),
        (lambda L, t: L.triplet_margin_loss(t(p), t(y), t(p[::-1].copy()), **kw)),
    ]
    for f in pairs:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            got = f(F, mg.tensor)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            want = f(TF, torch.tensor)
        same(got, want, atol=1e-12)
        legacy = size_average is not None or reduce is not None
        assert any("size_average" in str(w.message) for w in caught) == legacy


@pytest.mark.parametrize("size_average,reduce", LEGACY[1:])
def test_legacy_reduction_arguments_of_loss_modules(size_average, reduce):
    rng = np.random.default_rng(11)
    p, y = rng.uniform(0.05, 0.95, (4, 3)), rng.uniform(0, 1, (4, 3))
    labels = np.array([0, 2, 1, 1])
    for name, args in (
        ("MSELoss", (p, y)),
        ("L1Loss", (p, y)),
        ("SmoothL1Loss", (p, y)),
        ("BCELoss", (p, y)),
        ("BCEWithLogitsLoss", (p, y)),
        ("CrossEntropyLoss", (p, labels)),
        ("NLLLoss", (np.log(p), labels)),
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = getattr(nn, name)(size_average=size_average, reduce=reduce)
            tm = getattr(torch.nn, name)(size_average=size_average, reduce=reduce)
        assert m.reduction == tm.reduction, name
        same(m(*map(mg.tensor, args)), tm(*map(torch.tensor, args)), atol=1e-12)


def test_loss_modules_take_pytorch_positional_arguments():
    """NLLLoss(weight, size_average, ignore_index, ...): the third is ignore_index."""
    logp = np.log(np.full((3, 4), 0.25)) + np.arange(12).reshape(3, 4) * 0.01
    labels = np.array([1, 2, 3])
    w = np.array([1.0, 2.0, 3.0, 4.0])
    m = nn.NLLLoss(mg.tensor(w), None, 2)
    tm = torch.nn.NLLLoss(torch.tensor(w), None, 2)
    same(m(mg.tensor(logp), mg.tensor(labels)), tm(torch.tensor(logp), torch.tensor(labels)))
    m = nn.CrossEntropyLoss(None, None, 1, None, "sum", 0.1)
    tm = torch.nn.CrossEntropyLoss(None, None, 1, None, "sum", 0.1)
    same(
        m(mg.tensor(logp), mg.tensor(labels)),
        tm(torch.tensor(logp), torch.tensor(labels)),
        atol=1e-12,
    )


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
def test_element_weights_match_pytorch(name, reduction):
    rng = np.random.default_rng(12)
    p, y, w = rng.standard_normal((4, 3)), rng.standard_normal((4, 3)), rng.uniform(0, 2, (4, 3))
    x, tx = both(p, requires_grad=True)
    got = getattr(F, name)(x, mg.tensor(y), reduction=reduction, weight=mg.tensor(w))
    want = getattr(TF, name)(tx, torch.tensor(y), reduction=reduction, weight=torch.tensor(w))
    same(got, want, atol=1e-12)
    got.sum().backward()
    want.sum().backward()
    same(x.grad, tx.grad, atol=1e-12)
    with pytest.raises(ValueError, match="weight"):
        getattr(F, name)(x, mg.tensor(y), weight=mg.ones(3))


def test_loss_weights_are_buffers():
    w = mg.tensor([1.0, 2.0, 3.0])
    for name in ("CrossEntropyLoss", "NLLLoss", "BCELoss"):
        m, tm = getattr(nn, name)(w), getattr(torch.nn, name)(torch.tensor([1.0, 2.0, 3.0]))
        assert list(m.state_dict()) == list(tm.state_dict()) == ["weight"]
    m = nn.BCEWithLogitsLoss(pos_weight=mg.tensor([2.0]))
    tm = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor([2.0]))
    assert list(m.state_dict()) == list(tm.state_dict()) == ["pos_weight"]
    assert list(nn.CrossEntropyLoss().state_dict()) == []
    with pytest.raises(TypeError, match="weight must be a Tensor"):
        nn.CrossEntropyLoss([1.0, 2.0])


# ---------------------------------------------------------------------- inplace, input=
INPLACE = [
    ("relu", {}),
    ("leaky_relu", {"negative_slope": 0.2}),
    ("elu", {"alpha": 0.5}),
    ("selu", {}),
    ("silu", {}),
    ("hardtanh", {"min_val": -0.5, "max_val": 0.5}),
    ("relu6", {}),
    ("hardswish", {}),
    ("hardsigmoid", {}),
    ("mish", {}),
]


@pytest.mark.parametrize("name,kw", INPLACE)
def test_inplace_activations_change_the_input_as_pytorch(name, kw):
    """`inplace=True` writes into the input: an alias sees the result, the gradient flows
    through the recorded change, and a leaf that requires grad is refused."""
    data = np.array([-2.0, -0.5, 0.0, 0.4, 3.0])
    results = []
    for lib, fn in ((mg, getattr(F, name)), (torch, getattr(TF, name))):
        w = lib.tensor(np.ones(5), requires_grad=True)
        h = w * lib.tensor(data)
        alias = h
        out = fn(h, inplace=True, **kw)
        assert out is h
        (out * lib.tensor(np.arange(5.0))).sum().backward()
        results.append((alias.detach().numpy().copy(), w.grad.numpy().copy()))
        with pytest.raises(RuntimeError):
            fn(lib.tensor(data, requires_grad=True), inplace=True, **kw)
    for got, want in zip(*results, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


def test_inplace_modules_and_underscore_functions():
    x, tx = both([-1.0, 0.0, 2.0])
    for m, tm in (
        (nn.ReLU(True), torch.nn.ReLU(True)),
        (nn.LeakyReLU(0.1, True), torch.nn.LeakyReLU(0.1, True)),
        (nn.ELU(inplace=True), torch.nn.ELU(inplace=True)),
        (nn.Hardtanh(inplace=True), torch.nn.Hardtanh(inplace=True)),
    ):
        a, ta = x.clone(), tx.clone()
        assert m(a) is a and tm(ta) is ta
        same(a, ta)
    for name in ("relu_", "leaky_relu_", "elu_", "hardtanh_"):
        a, ta = x.clone(), tx.clone()
        assert getattr(F, name)(a) is a
        getattr(TF, name)(ta)
        same(a, ta)
    # Dropout in place: the kept values are scaled in the input itself
    a = mg.ones(1000)
    assert nn.Dropout(0.5, inplace=True)(a) is a
    assert set(np.unique(a.numpy())) <= {0.0, 2.0}


def test_input_keyword_as_pytorch():
    x = mg.tensor([[0.5, -1.0], [2.0, 0.0]])
    assert F.mse_loss(input=x, target=mg.zeros(2, 2)).item() == pytest.approx(1.3125)
    assert F.cross_entropy(input=x, target=mg.tensor([0, 1])).shape == ()
    assert F.relu(input=x).shape == (2, 2)
    assert F.linear(input=x, weight=mg.eye(2)).shape == (2, 2)
    assert F.pad(input=x, pad=(1, 1)).shape == (2, 4)
    assert F.conv2d(input=mg.zeros(1, 1, 3, 3), weight=mg.zeros(1, 1, 2, 2)).shape == (1, 1, 2, 2)


# ---------------------------------------------------------------------- conv padding
@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize(
    "padding,kernel,dilation", [(1, 3, 1), ("same", 4, 1), ("same", (2, 3), (1, 2)), ((2, 1), 3, 1)]
)
def test_conv2d_padding_modes_and_even_same(mode, padding, kernel, dilation):
    t = torch.nn.Conv2d(3, 4, kernel, padding=padding, dilation=dilation, padding_mode=mode)
    m = nn.Conv2d(3, 4, kernel, padding=padding, dilation=dilation, padding_mode=mode)
    t = t.double()
    m = m.to(mg.float64)
    m.weight.data = mg.tensor(t.weight.detach().numpy())
    m.bias.data = mg.tensor(t.bias.detach().numpy())
    a = np.random.default_rng(13).standard_normal((2, 3, 6, 7))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch's note on even kernels with 'same'
        forward_backward(m, t, a, 1e-12)
    assert m.padding == t.padding and repr(m) == repr(t)


# ---------------------------------------------------------------------- more losses
def _loss_cases():
    rng = np.random.default_rng(14)
    sign = lambda *s: rng.choice([1.0, -1.0], s)  # noqa: E731
    tie = rng.standard_normal(6)
    return [
        (
            "margin_ranking_loss",
            [rng.standard_normal(6), rng.standard_normal(6)],
            {"target": sign(6), "margin": 0.2},
        ),
        ("margin_ranking_loss", [tie + 0.2, tie], {"target": np.ones(6), "margin": 0.2}),
        ("hinge_embedding_loss", [np.r_[rng.uniform(0, 2, 5), 1.0]], {"target": sign(6)}),
        (
            "hinge_embedding_loss",
            [rng.uniform(0, 2, (3, 4))],
            {"target": rng.choice([1.0, -1.0, 0.0], (3, 4)), "margin": 1.5},
        ),
        (
            "cosine_embedding_loss",
            [rng.standard_normal((5, 3)), rng.standard_normal((5, 3))],
            {"target": sign(5), "margin": 0.1},
        ),
        (
            "cosine_embedding_loss",
            [rng.standard_normal(3), rng.standard_normal(3)],
            {"target": np.array(-1.0)},
        ),
        ("soft_margin_loss", [rng.standard_normal((4, 3)) * 30], {"target": sign(4, 3)}),
        (
            "multilabel_soft_margin_loss",
            [rng.standard_normal((4, 3)) * 5],
            {"target": rng.choice([1.0, 0.0], (4, 3)), "weight": rng.uniform(0, 2, 3)},
        ),
        ("multi_margin_loss", [rng.standard_normal((5, 4))], {"target": rng.integers(0, 4, 5)}),
        (
            "multi_margin_loss",
            [rng.standard_normal((5, 4))],
            {
                "target": rng.integers(0, 4, 5),
                "p": 2,
                "margin": 0.5,
                "weight": rng.uniform(0, 2, 4),
            },
        ),
        (
            "multi_margin_loss",
            [np.array([[1.0, 0.0, 0.5], [0.0, 1.0, 0.0]])],
            {"target": np.array([0, 1])},
        ),
        ("multi_margin_loss", [rng.standard_normal(4)], {"target": np.array(2)}),
        (
            "poisson_nll_loss",
            [rng.standard_normal((4, 3))],
            {"target": rng.poisson(2, (4, 3)).astype(float)},
        ),
        (
            "poisson_nll_loss",
            [rng.uniform(0.1, 3, (4, 3))],
            {"target": rng.poisson(2, (4, 3)).astype(float), "log_input": False, "full": True},
        ),
        (
            "gaussian_nll_loss",
            [
                rng.standard_normal((4, 3)),
                rng.standard_normal((4, 3)),
                np.r_[rng.uniform(0, 2, 9), 0, 1e-8, 2].reshape(4, 3),
            ],
            {},
        ),
        (
            "gaussian_nll_loss",
            [rng.standard_normal((4, 3)), rng.standard_normal((4, 3)), rng.uniform(0.1, 2, (4, 1))],
            {"full": True},
        ),
        (
            "gaussian_nll_loss",
            [rng.standard_normal((4, 3)), rng.standard_normal((4, 3)), rng.uniform(0.1, 2, 4)],
            {},
        ),
    ]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name,arrays,kw", _loss_cases())
def test_more_losses_match_pytorch(name, arrays, kw, reduction):
    """Values and the gradients of every float input, at kinks and ties too (an exact
    margin, a zero hinge term, a clamped variance)."""
    xs = [mg.tensor(a, requires_grad=True) for a in arrays]
    txs = [torch.tensor(a, requires_grad=True) for a in arrays]
    mkw = {k: mg.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
    tkw = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
    y = getattr(F, name)(*xs, **mkw, reduction=reduction)
    ty = getattr(TF, name)(*txs, **tkw, reduction=reduction)
    same(y, ty, rtol=1e-12, atol=1e-12)
    w = np.random.default_rng(15).standard_normal(tuple(ty.shape))
    (y * mg.tensor(w)).sum().backward()
    (ty * torch.tensor(w)).sum().backward()
    for x, tx in zip(xs, txs, strict=True):
        same(x.grad, tx.grad, rtol=1e-7, atol=1e-12)


def test_more_loss_modules():
    rng = np.random.default_rng(16)
    a, b = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    y = rng.choice([1.0, -1.0], 4)
    for m, tm, args in (
        (nn.MarginRankingLoss(0.3), torch.nn.MarginRankingLoss(0.3), (a[:, 0], b[:, 0], y)),
        (nn.HingeEmbeddingLoss(2.0), torch.nn.HingeEmbeddingLoss(2.0), (np.abs(a[:, 0]), y)),
        (nn.CosineEmbeddingLoss(0.1), torch.nn.CosineEmbeddingLoss(0.1), (a, b, y)),
        (nn.SoftMarginLoss(), torch.nn.SoftMarginLoss(), (a, np.sign(b))),
        (nn.MultiLabelSoftMarginLoss(), torch.nn.MultiLabelSoftMarginLoss(), (a, (b > 0) * 1.0)),
        (nn.MultiMarginLoss(2, 0.5), torch.nn.MultiMarginLoss(2, 0.5), (a, np.array([0, 2, 1, 1]))),
        (nn.PoissonNLLLoss(), torch.nn.PoissonNLLLoss(), (a, np.abs(b))),
        (nn.GaussianNLLLoss(), torch.nn.GaussianNLLLoss(), (a, b, np.ones((4, 1)))),
    ):
        same(m(*map(mg.tensor, args)), tm(*map(torch.tensor, args)), rtol=1e-12)
    with pytest.raises(ValueError, match="p == 1 and p == 2"):
        nn.MultiMarginLoss(3)
    with pytest.raises(RuntimeError, match="integral"):
        F.kl_div(mg.zeros(3), mg.tensor([1, 0, 0]))


# ---------------------------------------------------------------------- embedding options
@pytest.mark.parametrize("norm_type", [2.0, 1.0])
def test_embedding_max_norm_and_scale_grad_by_freq(norm_type):
    rng = np.random.default_rng(17)
    w = (rng.standard_normal((6, 3)) * 2).astype(np.float32)
    idx = np.array([[0, 2, 2], [5, 0, 2]])
    m = nn.Embedding(6, 3, None, 1.5, norm_type, True)
    tm = torch.nn.Embedding(6, 3, None, 1.5, norm_type, True)
    m.weight.data = mg.tensor(w.copy())
    with torch.no_grad():
        tm.weight.copy_(torch.tensor(w))
    y, ty = m(mg.tensor(idx)), tm(torch.tensor(idx))
    same(y, ty, rtol=1e-6)
    same(m.weight, tm.weight, rtol=1e-6)  # the used rows renormalised in place
    g = rng.standard_normal(ty.shape).astype(np.float32)
    y.backward(mg.tensor(g))
    ty.backward(torch.tensor(g))
    same(m.weight.grad, tm.weight.grad, rtol=1e-6)
    assert repr(m) == repr(tm)


def test_embedding_from_pretrained_and_positions():
    w = mg.tensor(np.arange(12.0, dtype=np.float32).reshape(4, 3))
    e = nn.Embedding.from_pretrained(w)
    te = torch.nn.Embedding.from_pretrained(torch.tensor(w.numpy()))
    assert e.weight.requires_grad == te.weight.requires_grad is False
    same(e(mg.tensor([3, 1])), te(torch.tensor([3, 1])))
    e = nn.Embedding.from_pretrained(w, freeze=False, padding_idx=1)
    assert e.weight.requires_grad and e.padding_idx == 1
    with pytest.raises(ValueError, match="2-D"):
        nn.Embedding.from_pretrained(mg.zeros(3))
    with pytest.raises(NotImplementedError, match="sparse"):
        nn.Embedding(3, 2, sparse=True)


def test_module_forward_takes_input_keyword():
    """PyTorch's layers name their argument `input`: layer(input=x) works in both."""
    x = np.random.default_rng(18).standard_normal((2, 3, 4, 4)).astype(np.float32)
    for layer in (
        nn.Conv2d(3, 2, 3),
        nn.ReLU(),
        nn.LeakyReLU(0.2),
        nn.BatchNorm2d(3),
        nn.MaxPool2d(2),
        nn.AvgPool2d(2),
        nn.Flatten(),
        nn.Dropout(0.0),
        nn.Identity(),
        nn.Upsample(scale_factor=2),
        nn.Sequential(nn.ReLU()),
    ):
        assert layer(input=mg.tensor(x)).shape == layer(mg.tensor(x)).shape
    assert nn.Linear(4, 2)(input=mg.tensor(x)).shape == (2, 3, 4, 2)


def test_pool_functions_take_pytorch_positions():
    """avg_pool2d's 5th argument is ceil_mode, its 6th count_include_pad."""
    a = np.random.default_rng(19).standard_normal((1, 2, 5, 5)).astype(np.float32)
    x, tx = both(a, "float32")
    same(
        F.avg_pool2d(x, 3, 2, 1, False, False), TF.avg_pool2d(tx, 3, 2, 1, False, False), rtol=1e-6
    )
    same(F.max_pool2d(x, 3, 2, 1, 1, False, False), TF.max_pool2d(tx, 3, 2, 1, 1, False, False))
    # ceil_mode and return_indices are supported (tests/test_nn_round9_layers.py)
    same(F.avg_pool2d(x, 3, 2, 1, True), TF.avg_pool2d(tx, 3, 2, 1, True), rtol=1e-6)
    same(F.max_pool2d(x, 2, return_indices=True)[0], TF.max_pool2d(tx, 2, return_indices=True)[0])
