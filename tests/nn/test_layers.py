"""minigrad.nn layers and init: shapes, default init against PyTorch's bounds, Dropout
modes, Embedding gradients, containers, reprs."""

import math
from collections import OrderedDict

import numpy as np
import pytest
from op_cases import torch_or_skip

import minigrad as mg
from minigrad import nn
from minigrad.nn import init


def test_linear_shapes_and_matches_formula(device):
    layer = nn.Linear(5, 3).to(device)
    x = mg.randn(4, 5, device=device)
    y = layer(x)
    assert y.shape == (4, 3) and y.device == device
    w, b = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    np.testing.assert_allclose(y.detach().numpy(), x.numpy() @ w.T + b, rtol=1e-5, atol=1e-6)
    assert layer(mg.randn(2, 7, 5, device=device)).shape == (2, 7, 3)
    y.sum().backward()
    assert layer.weight.grad.shape == (3, 5) and layer.bias.grad.shape == (3,)


def test_linear_without_bias_and_dtype():
    layer = nn.Linear(4, 2, bias=False, dtype=mg.float64)
    assert layer.bias is None and [n for n, _ in layer.named_parameters()] == ["weight"]
    assert layer.weight.dtype == np.float64
    assert repr(layer) == "Linear(in_features=4, out_features=2, bias=False)"


def test_linear_default_init_within_pytorch_bounds():
    fan_in = 400
    layer = nn.Linear(fan_in, 300)
    w, b = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    bound = 1 / math.sqrt(fan_in)  # kaiming_uniform(a=sqrt(5)) gives the same bound
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    # uniform on [-bound, bound]: mean 0, std bound / sqrt(3), and it fills the range
    assert abs(w.mean()) < 0.01 * bound
    assert w.std() == pytest.approx(bound / math.sqrt(3), rel=0.02)
    assert np.abs(w).max() > 0.99 * bound
    torch = torch_or_skip()
    tw = torch.nn.Linear(fan_in, 300).weight.detach().numpy()
    assert w.std() == pytest.approx(tw.std(), rel=0.03)


@pytest.mark.parametrize(
    "fn, kwargs, std",
    [
        (init.kaiming_normal_, {"nonlinearity": "relu"}, math.sqrt(2 / 200)),
        (init.kaiming_normal_, {"mode": "fan_out", "nonlinearity": "relu"}, math.sqrt(2 / 300)),
        (init.kaiming_uniform_, {"a": 0.2}, math.sqrt(2 / 1.04 / 200)),
        (init.xavier_uniform_, {"gain": 2.0}, 2 * math.sqrt(2 / 500)),
        (init.xavier_normal_, {}, math.sqrt(2 / 500)),
        (init.normal_, {"mean": 0.0, "std": 0.02}, 0.02),
        (init.uniform_, {"a": -3.0, "b": 3.0}, math.sqrt(3)),
    ],
)
def test_init_statistics(fn, kwargs, std, device):
    t = mg.zeros(300, 200, device=device)
    out = fn(t, **kwargs)
    assert out is t and t._version == 1
    a = t.numpy()
    assert a.std() == pytest.approx(std, rel=0.03)
    assert abs(a.mean()) < 0.02 * std + 1e-4


def test_init_conv_fans_and_gains():
    w = mg.zeros(16, 8, 3, 3)
    assert init._calculate_fan_in_and_fan_out(w) == (72, 144)
    with pytest.raises(ValueError, match="at least 2 dims"):
        init._calculate_fan_in_and_fan_out(mg.zeros(5))
    assert init.calculate_gain("relu") == math.sqrt(2)
    assert init.calculate_gain("tanh") == 5 / 3
    assert init.calculate_gain("conv2d") == 1
    assert init.calculate_gain("leaky_relu", 0.2) == math.sqrt(2 / 1.04)
    with pytest.raises(ValueError):
        init.calculate_gain("gelu")
    torch = torch_or_skip()
    for name, param in [("leaky_relu", None), ("selu", None), ("sigmoid", None)]:
        assert init.calculate_gain(name, param) == torch.nn.init.calculate_gain(name, param)
    assert init._calculate_fan_in_and_fan_out(w) == torch.nn.init._calculate_fan_in_and_fan_out(
        torch.zeros(16, 8, 3, 3)
    )


def test_init_constants_and_no_graph():
    p = nn.Parameter(mg.zeros(2, 3))
    init.constant_(p, 0.5)  # a leaf that requires grad: init writes outside the graph
    np.testing.assert_array_equal(p.detach().numpy(), 0.5)
    init.ones_(p)
    init.zeros_(p)
    assert p._version == 3 and p.requires_grad and p.grad is None
    np.testing.assert_array_equal(p.detach().numpy(), 0)
    h = mg.zeros(50, 50, dtype=mg.float16)
    init.normal_(h)
    assert h.dtype == np.float16 and h.numpy().std() > 0.5


def test_init_is_seeded():
    mg.manual_seed(7)
    a = nn.Linear(3, 3).weight.detach().numpy()
    mg.manual_seed(7)
    b = nn.Linear(3, 3).weight.detach().numpy()
    np.testing.assert_array_equal(a, b)


def test_embedding_lookup_and_repeated_index_gradients(device):
    emb = nn.Embedding(10, 4).to(device)
    idx = mg.tensor([[1, 2, 1], [1, 9, 0]], device=device)
    out = emb(idx)
    assert out.shape == (2, 3, 4)
    np.testing.assert_array_equal(out.detach().numpy()[0, 0], emb.weight.detach().numpy()[1])
    (out * 2).sum().backward()
    g = emb.weight.grad.numpy()
    np.testing.assert_array_equal(g[1], 6)  # index 1 appears three times
    np.testing.assert_array_equal(g[[0, 2, 9]], 2)
    np.testing.assert_array_equal(g[[3, 4, 5, 6, 7, 8]], 0)


def test_embedding_init_padding_and_errors():
    emb = nn.Embedding(1000, 20, padding_idx=0)
    w = emb.weight.detach().numpy()
    assert w[1:].std() == pytest.approx(1.0, rel=0.03)
    np.testing.assert_array_equal(w[0], 0)
    out = emb(np.array([0, 3, 0]))
    out.sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.numpy()[0], 0)
    np.testing.assert_array_equal(emb.weight.grad.numpy()[3], 1)
    assert repr(emb) == "Embedding(1000, 20, padding_idx=0)"
    with pytest.raises(TypeError, match="integers"):
        emb(mg.tensor([0.0, 1.0]))


def test_embedding_double_backward():
    emb = nn.Embedding(5, 3, dtype=mg.float64)
    idx = np.array([0, 2, 2, 4])
    mg.gradgradcheck(lambda w: mg.nn.functional.tanh(w[idx]) ** 2, [emb.weight])


def test_dropout_module_train_and_eval():
    d = nn.Dropout(0.5)
    x = mg.ones(100, 100)
    y = d(x).numpy()
    assert set(np.unique(y)) == {0.0, 2.0}
    assert 0.45 < (y == 0).mean() < 0.55
    d.eval()
    assert d(x) is x
    assert repr(d) == "Dropout(p=0.5, inplace=False)"
    with pytest.raises(ValueError):
        nn.Dropout(-0.1)


def test_activation_modules_match_functional():
    x = mg.tensor(np.linspace(-3, 3, 13))
    F = nn.functional
    pairs = [
        (nn.ReLU(), F.relu(x)),
        (nn.LeakyReLU(0.2), F.leaky_relu(x, 0.2)),
        (nn.Tanh(), F.tanh(x)),
        (nn.Sigmoid(), F.sigmoid(x)),
        (nn.Softplus(beta=2.0), F.softplus(x, beta=2.0)),
        (nn.Identity(3, key=1), x),
    ]
    for m, want in pairs:
        np.testing.assert_array_equal(m(x).numpy(), want.numpy())
    np.testing.assert_array_equal(nn.LeakyReLU()(x).numpy()[0], -0.03)
    assert repr(nn.LeakyReLU(0.2, inplace=True)) == "LeakyReLU(negative_slope=0.2, inplace=True)"
    assert repr(nn.ReLU()) == "ReLU()"
    assert repr(nn.Softplus()) == "Softplus(beta=1.0, threshold=20.0)"


def test_flatten():
    x = mg.randn(2, 3, 4, 5)
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 1)(x).shape == (6, 4, 5)
    assert nn.Flatten(1, 2)(x).shape == (2, 12, 5)
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"


def test_loss_modules():
    x = mg.randn(4, 3, requires_grad=True)
    t = mg.tensor([0, 2, 1, 1])
    F = nn.functional
    assert nn.CrossEntropyLoss()(x, t).item() == pytest.approx(F.cross_entropy(x, t).item())
    y = mg.rand(4, 3)
    assert nn.MSELoss(reduction="sum")(x, y).item() == pytest.approx(
        F.mse_loss(x, y, reduction="sum").item()
    )
    assert nn.BCEWithLogitsLoss()(x, y).item() == pytest.approx(
        F.binary_cross_entropy_with_logits(x, y).item()
    )
    assert nn.BCELoss()(F.sigmoid(x), y).item() == pytest.approx(
        F.binary_cross_entropy_with_logits(x, y).item(), rel=1e-5
    )
    assert nn.L1Loss(reduction="none")(x, y).shape == (4, 3)
    assert repr(nn.MSELoss(reduction="sum")) == "MSELoss()"  # as PyTorch's: no settings shown


def test_sequential_indexing_and_forward():
    seq = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    assert len(seq) == 3 and isinstance(seq[-1], nn.Linear) and isinstance(seq[1], nn.ReLU)
    x = mg.randn(5, 3)
    with mg.no_grad():
        np.testing.assert_allclose(seq(x).numpy(), seq[2](seq[1](seq[0](x))).numpy())
    head = seq[:2]
    assert isinstance(head, nn.Sequential) and len(head) == 2 and head[0] is seq[0]
    assert [type(m).__name__ for m in seq] == ["Linear", "ReLU", "Linear"]
    assert [n for n, _ in seq.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    with pytest.raises(IndexError):
        seq[3]
    seq.append(nn.Tanh())
    assert len(seq) == 4 and seq(x).shape == (5, 2)
    with pytest.raises(TypeError):
        nn.Sequential(lambda x: x)
    assert repr(nn.Sequential(nn.ReLU())) == "Sequential(\n  (0): ReLU()\n)"


def test_sequential_from_ordered_dict():
    seq = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.Tanh())]))
    assert seq.fc is seq[0] and seq.act is seq[1]
    assert list(seq.state_dict()) == ["fc.weight", "fc.bias"]


def test_module_list():
    ml = nn.ModuleList([nn.Linear(2, 2), nn.ReLU()])
    ml.append(nn.Linear(2, 3))
    ml.extend([nn.Tanh()])
    assert len(ml) == 4 and isinstance(ml[-1], nn.Tanh) and isinstance(ml[2], nn.Linear)
    assert [type(m).__name__ for m in ml] == ["Linear", "ReLU", "Linear", "Tanh"]
    ml.insert(0, nn.Identity())
    assert isinstance(ml[0], nn.Identity) and isinstance(ml[1], nn.Linear)
    del ml[0]
    assert [n for n, _ in ml.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert isinstance(ml[1:], nn.ModuleList) and len(ml[1:]) == 3

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = nn.ModuleList(nn.Linear(2, 2) for _ in range(3))

    assert len(list(Net().parameters())) == 6
    with pytest.raises(TypeError):
        ml.append(3)
    with pytest.raises(IndexError):
        ml[10]


# ---------------------------------------------------------------------- containers vs PyTorch
def _tags(seq):
    """(key, in_features) per child, to compare minigrad and PyTorch containers."""
    return [(k, m.in_features) for k, m in seq.named_children()]


def _sequential_script(nn_mod):
    s = nn_mod.Sequential(*[nn_mod.Linear(i + 1, 1) for i in range(4)])
    log = []
    del s[0]
    s.append(nn_mod.Linear(10, 1))  # old code overwrote key "3"
    log.append(_tags(s))
    s.insert(1, nn_mod.Linear(20, 1))
    s.insert(-1, nn_mod.Linear(21, 1))
    s.insert(len(s), nn_mod.Linear(22, 1))
    log.append(_tags(s))
    log.append(s.pop(2).in_features)
    log.append(_tags(s))
    del s[1:3]
    log.append(_tags(s))
    s.extend([nn_mod.Linear(30, 1), nn_mod.Linear(31, 1)])
    log.append(_tags(s))
    log.append(_tags(s[1:3]))
    log.append(type(s[::2]).__name__)
    log.append([m.in_features for m in s] + [len(s), s[-1].in_features])
    return log


def test_sequential_matches_pytorch():
    torch = pytest.importorskip("torch")
    assert _sequential_script(nn) == _sequential_script(torch.nn)


def test_sequential_delete_then_append_keeps_every_layer():
    s = nn.Sequential(nn.Linear(1, 1), nn.Linear(2, 1), nn.Linear(3, 1))
    del s[0]
    s.append(nn.Linear(4, 1))
    assert [k for k, _ in s.named_children()] == ["0", "1", "2"]
    assert [m.in_features for m in s] == [2, 3, 4]
    assert len(list(s.parameters())) == 6
    named = nn.Sequential(OrderedDict(a=nn.Linear(1, 1), b=nn.Linear(2, 1)))
    assert [k for k, _ in named[1:].named_children()] == ["b"]  # slicing keeps names
    with pytest.raises(IndexError, match="insert: index 5"):
        s.insert(5, nn.Identity())
    with pytest.raises(TypeError, match="append: int is not a Module"):
        s.append(3)
    with pytest.raises(TypeError, match="indices must be integers"):
        s["0"]
    with pytest.raises(IndexError, match="index -4 out of range for 3"):
        del s[-4]


def _modulelist_script(nn_mod):
    ml = nn_mod.ModuleList([nn_mod.Linear(i + 1, 1) for i in range(3)])
    log = []
    del ml[0]
    ml.append(nn_mod.Linear(10, 1))
    log.append(_tags(ml))
    ml.insert(0, nn_mod.Linear(20, 1))
    ml.insert(2, nn_mod.Linear(21, 1))  # PyTorch's insert breaks on negative indices
    log.append(_tags(ml))
    log.append(ml.pop(1).in_features)
    log.append(_tags(ml))
    ml[-1] = nn_mod.Linear(30, 1)
    ml += [nn_mod.Linear(31, 1)]
    log.append(_tags(ml))
    log.append(_tags(ml[1:3]) + _tags(ml + nn_mod.ModuleList([nn_mod.Linear(40, 1)])))
    del ml[::2]
    log.append(_tags(ml))
    return log


def test_module_list_matches_pytorch():
    torch = pytest.importorskip("torch")
    assert _modulelist_script(nn) == _modulelist_script(torch.nn)


def _moduledict_script(nn_mod):
    md = nn_mod.ModuleDict({"b": nn_mod.Linear(1, 1), "a": nn_mod.Linear(2, 1)})
    md.update([("c", nn_mod.Linear(3, 1))])
    md["b"] = nn_mod.Linear(4, 1)
    log = [_tags(md), list(md), list(md.keys()), "a" in md, len(md)]
    log.append(md.pop("a").in_features)
    del md["c"]
    log.append([m.in_features for m in md.values()] + [k for k, _ in md.items()])
    md.clear()
    log.append(len(md))
    return log


def test_module_list_negative_insert_is_list_insert():
    ml = nn.ModuleList([nn.Linear(1, 1), nn.Linear(2, 1)])
    ml.insert(-1, nn.Linear(3, 1))
    assert [(k, m.in_features) for k, m in ml.named_children()] == [("0", 1), ("1", 3), ("2", 2)]


def test_module_dict_matches_pytorch():
    torch = pytest.importorskip("torch")
    assert _moduledict_script(nn) == _moduledict_script(torch.nn)
    md = nn.ModuleDict({"x": nn.Linear(2, 3)})
    assert [n for n, _ in md.named_parameters()] == ["x.weight", "x.bias"]
    with pytest.raises(KeyError, match="no module named 'y'"):
        md["y"]
    with pytest.raises(TypeError, match="str is not a Module"):
        md["y"] = "relu"
    with pytest.raises(ValueError, match="element 0 should be a \\(name, module\\) pair"):
        md.update([nn.Linear(1, 1)])
    with pytest.raises(KeyError, match="without '.'"):
        md["a.b"] = nn.Identity()


def test_init_accepts_data_views_and_arrays():
    w = nn.Parameter(mg.zeros(4, 6))
    out = init.normal_(w.data, 1.0, 0.5)
    assert isinstance(out, mg.Tensor) and w.requires_grad
    assert w.detach().numpy().std() > 0.1  # written through to the parameter
    raw = np.zeros((3, 4), dtype=np.float64)
    assert init.constant_(raw, 2.5) is raw and (raw == 2.5).all()
    assert init.xavier_uniform_(raw) is raw and raw.dtype == np.float64 and raw.std() > 0
    strided = np.zeros((4, 6), dtype=np.float32)
    init.ones_(strided[:, ::2])  # a non-contiguous view is filled in place
    assert strided.sum() == 12 and (strided[:, 1::2] == 0).all()
    init.kaiming_normal_(w.data, mode="fan_out", nonlinearity="relu")
    with pytest.raises(TypeError, match="init.normal_: random fill needs a float tensor"):
        init.normal_(mg.zeros(3, dtype=mg.int64))
    with pytest.raises(TypeError, match="init.uniform_: expected a Tensor or an array, got list"):
        init.uniform_([1.0, 2.0])


# ---------------------------------------------------------------------- PReLU, triplet, distances
@pytest.mark.parametrize(
    ("shape", "n"), [((4, 3, 2, 2), 3), ((5, 3), 3), ((4, 3, 2), 1), ((), 1), ((6,), 1)]
)
def test_prelu_matches_pytorch(shape, n):
    torch = torch_or_skip()
    x = np.random.default_rng(1).standard_normal(shape)
    if x.size:
        x.flat[0] = 0.0  # PyTorch's gradient at 0 takes the slope
    w = np.linspace(0.1, 0.4, n)
    mx, mw = mg.tensor(x, requires_grad=True), mg.tensor(w, requires_grad=True)
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    out, ref = nn.functional.prelu(mx, mw), torch.nn.functional.prelu(tx, tw)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-12)
    gy = np.random.default_rng(2).standard_normal(shape)
    out.backward(mg.tensor(gy))
    ref.backward(torch.tensor(gy))
    np.testing.assert_allclose(mx.grad.numpy(), tx.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(mw.grad.numpy(), tw.grad.numpy(), rtol=1e-12)


def test_prelu_module_init_gradcheck_and_errors():
    m = nn.PReLU(3, init=0.1)
    assert [n for n, _ in m.named_parameters()] == ["weight"] and m.weight.shape == (3,)
    np.testing.assert_allclose(m.weight.detach().numpy(), 0.1)
    assert nn.PReLU().weight.detach().numpy().tolist() == [0.25]
    assert repr(nn.PReLU(3)) == "PReLU(num_parameters=3)"
    x = mg.tensor(np.random.default_rng(0).standard_normal((2, 3, 4)) + 0.05, requires_grad=True)
    w = mg.tensor([0.2, -0.3, 0.5], dtype=mg.float64, requires_grad=True)
    mg.gradcheck(nn.functional.prelu, (x, w))
    mg.gradgradcheck(nn.functional.prelu, (x, w))
    with pytest.raises(RuntimeError, match="parameter numbers = 3 and channel size = 4"):
        m(mg.ones(2, 4))
    with pytest.raises(RuntimeError, match="parameter numbers = 3 and channel size = 1"):
        m(mg.ones(3))


def _triplets(shape, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) for _ in range(3)]


@pytest.mark.parametrize("shape", [(6, 4), (4,), (2, 3, 4)])
@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("p", [1.0, 2.0, 3.0])
def test_triplet_margin_loss_matches_pytorch(shape, swap, p):
    torch = torch_or_skip()
    arrays = _triplets(shape)
    for reduction in ("mean", "sum", "none"):
        ours = nn.TripletMarginLoss(margin=0.7, p=p, swap=swap, reduction=reduction)
        theirs = torch.nn.TripletMarginLoss(margin=0.7, p=p, swap=swap, reduction=reduction)
        mts = [mg.tensor(a, requires_grad=True) for a in arrays]
        tts = [torch.tensor(a, requires_grad=True) for a in arrays]
        out, ref = ours(*mts), theirs(*tts)
        np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-10)
        out.sum().backward()
        ref.sum().backward()
        for m, t in zip(mts, tts, strict=True):
            np.testing.assert_allclose(m.grad.numpy(), t.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_triplet_margin_loss_identical_inputs_eps_and_errors():
    torch = torch_or_skip()
    z = np.zeros((3, 2))  # identical points: eps keeps the norm off its kink, as PyTorch
    mts = [mg.tensor(z, requires_grad=True) for _ in range(3)]
    tts = [torch.tensor(z, requires_grad=True) for _ in range(3)]
    nn.functional.triplet_margin_loss(*mts, swap=True).backward()
    torch.nn.functional.triplet_margin_loss(*tts, swap=True).backward()
    for m, t in zip(mts, tts, strict=True):
        assert np.isfinite(m.grad.numpy()).all()
        np.testing.assert_allclose(m.grad.numpy(), t.grad.numpy(), rtol=1e-9)
    a = mg.ones(2, 3)
    with pytest.raises(RuntimeError, match="anchor 2D, positive 1D, and negative 2D"):
        nn.functional.triplet_margin_loss(a, mg.ones(3), a)
    with pytest.raises(ValueError, match="margin must be greater than 0, got 0"):
        nn.functional.triplet_margin_loss(a, a, a, margin=0)
    with pytest.raises(ValueError, match="triplet_margin_loss: reduction"):
        nn.functional.triplet_margin_loss(a, a, a, reduction="avg")


def test_distance_modules_match_pytorch():
    torch = torch_or_skip()
    x1, x2, _ = _triplets((5, 4), seed=3)
    for ours, theirs in [
        (nn.PairwiseDistance(), torch.nn.PairwiseDistance()),
        (nn.PairwiseDistance(p=1.0, keepdim=True), torch.nn.PairwiseDistance(p=1.0, keepdim=True)),
        (nn.CosineSimilarity(), torch.nn.CosineSimilarity()),
        (nn.CosineSimilarity(dim=0), torch.nn.CosineSimilarity(dim=0)),
    ]:
        out = ours(mg.tensor(x1), mg.tensor(x2)).numpy()
        ref = theirs(torch.tensor(x1), torch.tensor(x2)).numpy()
        assert out.shape == ref.shape
        np.testing.assert_allclose(out, ref, rtol=1e-12)
    # broadcasting and 1-d/0-d inputs, as torch
    for s1, s2 in [((1, 4), (5, 4)), ((4,), (4,)), ((), ())]:
        a, b = np.ones(s1), np.zeros(s2) + 0.5
        out = nn.functional.pairwise_distance(mg.tensor(a), mg.tensor(b)).numpy()
        ref = torch.nn.functional.pairwise_distance(torch.tensor(a), torch.tensor(b)).numpy()
        assert out.shape == ref.shape
        np.testing.assert_allclose(out, ref, rtol=1e-12)


def test_dropout2d_zeros_whole_channels():
    x = mg.ones(8, 16, 3, 3)
    m = nn.Dropout2d(0.5)
    y = m(x).numpy()
    per_channel = y.reshape(8, 16, 9)
    assert ((per_channel == 0).all(-1) | (per_channel == 2.0).all(-1)).all()
    assert 0.3 < (per_channel[..., 0] == 0).mean() < 0.7
    assert m.eval()(x) is x
    with pytest.warns(UserWarning, match="dropout2d: received a 3-d input"):
        y3 = nn.Dropout2d(0.5)(mg.ones(4, 8, 5)).numpy()
    assert ((y3 == 0).all(-1) | (y3 == 2.0).all(-1)).all()
    with pytest.raises(ValueError, match="dropout2d: expected an input of 2 or more dims"):
        nn.Dropout2d()(mg.ones(3))
    # 5-d and more: PyTorch's deprecated reading, warned also in evaluation (its warning)
    with pytest.warns(UserWarning, match="dropout2d: received a 5-d input"):
        y5 = nn.Dropout2d(0.5)(mg.ones(4, 8, 2, 3, 2)).numpy().reshape(4, 8, -1)
    assert ((y5 == 0).all(-1) | (y5 == 2.0).all(-1)).all() and (y5 == 0).any()
    x5 = mg.ones(2, 3, 2, 2, 2)
    with pytest.warns(UserWarning, match="5-d input"):
        assert nn.Dropout2d(0.5).eval()(x5) is x5
    with pytest.raises(ValueError, match="dropout2d: probability"):
        nn.functional.dropout2d(x, 1.5)


def test_pytorch_constructor_arguments():
    torch = torch_or_skip()
    # positional order as in PyTorch: AvgPool2d's 4th is ceil_mode, 5th count_include_pad
    x = np.arange(2 * 3 * 5 * 5, dtype=np.float32).reshape(2, 3, 5, 5)
    ours = nn.AvgPool2d(3, 2, 1, False, False)(mg.tensor(x)).numpy()
    ref = torch.nn.AvgPool2d(3, 2, 1, False, False)(torch.tensor(x)).numpy()
    np.testing.assert_allclose(ours, ref, rtol=1e-6)
    # ceil_mode, return_indices and dilation are supported (tests/test_nn_round9_layers.py)
    assert nn.AvgPool2d(2, ceil_mode=True)(mg.tensor(x)).shape == (2, 3, 3, 3)
    assert nn.MaxPool2d(2, 2, 0, 2)(mg.tensor(x)).shape == (2, 3, 2, 2)
    assert nn.MaxPool2d(2, 2, 0, 1, False, False)(mg.tensor(x)).shape == (2, 3, 2, 2)
    # Conv2d: padding_mode sits before device, and 'same'/'valid' padding
    conv = nn.Conv2d(3, 4, 3, 1, "same", 1, 1, False, "zeros", "cpu", mg.float64)
    assert conv.bias is None and conv.padding == "same" and conv.weight.dtype == np.float64
    assert conv(mg.tensor(x, dtype=mg.float64)).shape == (2, 4, 5, 5)
    assert nn.Conv2d(3, 4, 3, padding="valid").padding == "valid"
    assert nn.Conv2d(3, 4, 5, padding="same", dilation=2)(mg.tensor(x)).shape == (2, 4, 5, 5)
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv2d(3, 4, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match='Only "zeros" padding mode is supported'):
        nn.ConvTranspose2d(3, 4, 3, padding_mode="reflect")  # PyTorch's words
    with pytest.raises(ValueError, match="padding='same' is not supported for strided"):
        nn.Conv2d(3, 4, 3, stride=2, padding="same")
    # an even kernel pads one more at the bottom and right, as PyTorch
    assert nn.Conv2d(3, 4, 4, padding="same")(mg.tensor(x)).shape == (2, 4, 5, 5)
    with pytest.raises(ValueError, match="Invalid padding string 'full'"):
        nn.Conv2d(3, 4, 3, padding="full")
    t = nn.ConvTranspose2d(3, 4, 4, 2, 1, 0, 1, False, 1, "zeros", "cpu", None)
    assert t.bias is None and t(mg.tensor(x)).shape == (2, 4, 10, 10)
    # PyTorch's inplace= flags and bias=False everywhere they exist
    for layer in (nn.ReLU(True), nn.LeakyReLU(0.2, True), nn.Dropout(0.0, True)):
        np.testing.assert_array_equal(layer(mg.tensor(x)).numpy(), np.maximum(x, 0))
    assert nn.Dropout2d(0.0, inplace=True)(mg.tensor(x)).shape == x.shape
    assert nn.Linear(3, 2, bias=False).bias is None
    assert nn.functional.dropout(mg.tensor(x), 0.0, True, True).shape == x.shape
    bn = nn.BatchNorm2d(3, eps=1e-3, momentum=0.2, affine=False, track_running_stats=False)
    assert bn.weight is None and bn.running_mean is None


@pytest.mark.parametrize(
    "make",
    [
        lambda nn: nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 2)]),
        lambda nn: nn.ModuleList(),
        lambda nn: nn.ModuleList([nn.Sequential(nn.Linear(2, 2), nn.Tanh()) for _ in range(3)]),
        lambda nn: nn.LayerNorm(4),
        lambda nn: nn.LayerNorm((2, 3), elementwise_affine=False),
        lambda nn: nn.LayerNorm(4, bias=False),
    ],
)
def test_list_and_layer_norm_reprs_are_pytorchs(make):
    torch = pytest.importorskip("torch")
    assert repr(make(nn)) == repr(make(torch.nn))
