"""Round ten's differences from torch in nn, each case against torch itself: margin losses
that skip a NaN term (PyTorch adds a term only where it is > 0), binary_cross_entropy's
range checks, integer inputs refused where PyTorch has no integer kernel, reprs of
Sequential(l, l) and of load_state_dict's result, optimizers' param_groups key order, a
saved non-leaf tensor's requires_grad, 0-d softmax / gumbel_softmax / feature dropouts,
the exception types of F.pad / F.linear / pooling, and the deprecated F.upsample family."""

import warnings

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")

nan, inf = float("nan"), float("inf")


def _np(t):
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


def _raises_as_torch(fn, same_words=True):
    """fn(lib) raises in torch; minigrad raises an instance of torch's builtin exception
    class, and (`same_words`) its message holds torch's words."""
    with pytest.raises(Exception) as t_err:
        fn(torch)
    t_cls = next(c for c in type(t_err.value).__mro__ if c.__module__ == "builtins")
    with pytest.raises(t_cls) as m_err:
        fn(mg)
    if same_words:
        assert str(t_err.value) in str(m_err.value), (str(t_err.value), str(m_err.value))


# ---------------------------------------------------------------------- 1. margin losses and NaN
MARGIN_X = [[nan, 0.0, 0.5, 1.0], [0.2, 0.4, nan, -inf], [0.1, 0.3, 0.2, nan], [0.5, 0.1, 0.9, 0.2]]


@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_multi_margin_loss_skips_nan_terms_as_pytorch(p, weighted, reduction):
    def run(L):
        x = L.tensor(MARGIN_X, dtype=L.float64, requires_grad=True)
        w = L.tensor([0.5, 1.0, 2.0, 1.5], dtype=L.float64) if weighted else None
        loss = L.nn.functional.multi_margin_loss(
            x, L.tensor([3, 0, 3, 1]), p=p, weight=w, reduction=reduction
        )
        loss.sum().backward()
        return loss, x.grad

    (ml, mg_grad), (tl, t_grad) = run(mg), run(torch)
    np.testing.assert_allclose(_np(ml), _np(tl), rtol=1e-12)
    np.testing.assert_allclose(_np(mg_grad), _np(t_grad), rtol=1e-12)
    assert np.isfinite(_np(ml)).all()
    # away from NaN and the kinks, first and second derivatives by finite differences
    x = mg.tensor(np.random.RandomState(p).randn(3, 5), requires_grad=True)
    w = mg.tensor([0.5, 1.0, 2.0, 1.5, 0.7], dtype=mg.float64) if weighted else None
    y = mg.tensor([0, 4, 2])
    f = lambda a: mg.nn.functional.multi_margin_loss(  # noqa: E731
        a, y, p=p, margin=0.7, weight=w, reduction=reduction
    )
    assert mg.gradcheck(f, (x,))
    assert mg.gradgradcheck(f, (x,))


def test_multi_margin_loss_doc_example_with_nan_and_infs():
    def run(L):
        x = L.tensor([[nan, 0.0, -inf, inf]], requires_grad=True)
        loss = L.nn.MultiMarginLoss()(x, L.tensor([3]))
        loss.backward()
        return loss, x.grad

    (ml, mg_grad), (tl, t_grad) = run(mg), run(torch)
    assert float(ml.detach()) == float(tl.detach()) == 0.0
    np.testing.assert_array_equal(_np(mg_grad), _np(t_grad))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_multilabel_margin_loss_skips_nan_terms_as_pytorch(reduction):
    def run(L):
        x = L.tensor(MARGIN_X, dtype=L.float64, requires_grad=True)
        t = L.tensor([[3, -1, 0, 0], [0, 2, -1, 1], [3, 0, -1, 2], [1, 2, -1, 0]])
        loss = L.nn.functional.multilabel_margin_loss(x, t, reduction=reduction)
        loss.sum().backward()
        return loss, x.grad

    (ml, mg_grad), (tl, t_grad) = run(mg), run(torch)
    np.testing.assert_allclose(_np(ml), _np(tl), rtol=1e-12)
    np.testing.assert_allclose(_np(mg_grad), _np(t_grad), rtol=1e-12)


def test_multilabel_margin_loss_unbatched_nan_script_case():
    for L in (mg, torch):
        x = L.tensor([nan, 0.0, 0.5, 1.0])
        loss = L.nn.functional.multilabel_margin_loss(x, L.tensor([3, -1, 0, 0]))
        assert abs(float(loss) - 0.125) < 1e-7


# ---------------------------------------------------------------------- 2. binary_cross_entropy
@pytest.mark.parametrize(
    "inp, tgt",
    [
        ([0.5], [2.0]),
        ([0.5], [-1.0]),
        ([0.5], [nan]),
        ([0.5], [inf]),
        ([1.5], [1.0]),
        ([nan], [1.0]),
        ([-0.1], [0.0]),
        ([0.5, 2.0], [2.0, 1.0]),  # the first bad element decides: its target
        ([2.0, 0.5], [2.0, 1.0]),  # both bad there: input first
        ([[0.5, 0.2], [0.3, 0.4]], [[0.5, 0.2], [0.3, 1.0001]]),
    ],
)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_binary_cross_entropy_range_checks_as_pytorch(inp, tgt, dtype):
    def call(L):
        dt = getattr(L, dtype)
        return L.nn.functional.binary_cross_entropy(
            L.tensor(inp, dtype=dt), L.tensor(tgt, dtype=dt)
        )

    _raises_as_torch(call)


def test_binary_cross_entropy_message_names_the_value():
    with pytest.raises(RuntimeError, match=r"binary_cross_entropy: .* got target\[1\]\[0\] = 3.0"):
        mg.nn.functional.binary_cross_entropy(mg.full((2, 2), 0.5), mg.tensor([[0, 1], [3, 0.0]]))


# ---------------------------------------------------------------------- 3, 4. integer inputs
INT_DTYPES = ["int64", "int32", "uint8", "bool"]

REFUSED = {
    "rms_norm": lambda F, L, x, t: F.rms_norm(x, (4,)),
    "layer_norm": lambda F, L, x, t: F.layer_norm(x, (4,)),
    "group_norm": lambda F, L, x, t: F.group_norm(x.reshape(1, 4, 1), 2),
    "instance_norm": lambda F, L, x, t: F.instance_norm(x.reshape(1, 2, 2)),
    "batch_norm_train": lambda F, L, x, t: F.batch_norm(x.reshape(2, 2), None, None, training=True),
    "silu": lambda F, L, x, t: F.silu(x),
    "gelu": lambda F, L, x, t: F.gelu(x),
    "gelu_tanh": lambda F, L, x, t: F.gelu(x, approximate="tanh"),
    "elu": lambda F, L, x, t: F.elu(x),
    "selu": lambda F, L, x, t: F.selu(x),
    "mish": lambda F, L, x, t: F.mish(x),
    "glu": lambda F, L, x, t: F.glu(x),
    "logsigmoid": lambda F, L, x, t: F.logsigmoid(x),
    "hardswish": lambda F, L, x, t: F.hardswish(x),
    "hardsigmoid": lambda F, L, x, t: F.hardsigmoid(x),
    "mse_loss": lambda F, L, x, t: F.mse_loss(x, t),
    "smooth_l1_loss": lambda F, L, x, t: F.smooth_l1_loss(x, t),
    "smooth_l1_loss_beta0": lambda F, L, x, t: F.smooth_l1_loss(x, t, beta=0.0),
    "huber_loss": lambda F, L, x, t: F.huber_loss(x, t),
    "huber_loss_float_target": lambda F, L, x, t: F.huber_loss(x, t.double()),
    "l1_loss": lambda F, L, x, t: F.l1_loss(x, t),
    "soft_margin_loss": lambda F, L, x, t: F.soft_margin_loss(x, t),
    "soft_margin_loss_none": lambda F, L, x, t: F.soft_margin_loss(x, t, reduction="none"),
    "soft_margin_loss_float_target": lambda F, L, x, t: F.soft_margin_loss(x, t.double()),
    "hinge_embedding_loss": lambda F, L, x, t: F.hinge_embedding_loss(x, t),
    "multi_margin_loss": lambda F, L, x, t: F.multi_margin_loss(x, t[0, :1].long()),
    "multilabel_margin_loss": lambda F, L, x, t: F.multilabel_margin_loss(x, t.long()),
    "cosine_similarity": lambda F, L, x, t: F.cosine_similarity(x, t),
    "cdist": lambda F, L, x, t: L.cdist(x.reshape(2, 2), t.reshape(2, 2)),
    "cdist_x2": lambda F, L, x, t: L.cdist(x.reshape(2, 2).float(), t.reshape(2, 2)),
    "normalize": lambda F, L, x, t: F.normalize(x),
}


@pytest.mark.parametrize("dtype", INT_DTYPES)
@pytest.mark.parametrize("name", sorted(REFUSED))
def test_integer_and_bool_inputs_refused_as_pytorch(name, dtype):
    def call(L):
        dt = getattr(L, dtype)
        x = L.tensor([[-2, 0, 1, 3]]).to(dt)
        t = L.tensor([[1, 0, 1, 1]]).to(dt)
        return REFUSED[name](L.nn.functional, L, x, t)

    _raises_as_torch(call)


def test_integer_norm_script_cases():
    x = mg.tensor([[-2, 0, 1, 3]])
    with pytest.raises(NotImplementedError, match="\"rms_norm\" not implemented for 'Long'"):
        mg.nn.functional.rms_norm(x, (4,))
    with pytest.raises(NotImplementedError, match="\"batch_norm\" not implemented for 'Long'"):
        mg.nn.functional.batch_norm(x.T.contiguous(), None, None, training=True)
    with pytest.raises(NotImplementedError, match="\"batch_norm\" not implemented for 'Long'"):
        mg.nn.functional.batch_norm(x.reshape(2, 2), mg.zeros(2), mg.ones(2))
    with pytest.raises(NotImplementedError, match='"LayerNormKernelImpl" not implemented'):
        mg.nn.LayerNorm(4)(x)


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8"])
@pytest.mark.parametrize("reduction", ["none", "sum"])
@pytest.mark.parametrize("margin", [1.0, 1.5, -1.5])
def test_integer_l1_and_hinge_losses_stay_integer_as_pytorch(dtype, reduction, margin):
    def run(L):
        dt = getattr(L, dtype)
        x = L.tensor([[2, 0, 1, 3]]).to(dt)
        t = L.tensor([[1, 0, 1, 1]]).to(dt)
        y = L.tensor([[1, -1, 1, -1]])
        F = L.nn.functional
        return (
            F.l1_loss(x, t, reduction=reduction),
            F.hinge_embedding_loss(x, y, margin=margin, reduction=reduction),
            F.hinge_embedding_loss(x, y.double(), margin=margin, reduction=reduction),
        )

    if dtype == "uint8" and margin < 0:  # the margin does not fit the dtype: both refuse
        _raises_as_torch(run, same_words=False)
        return
    for m, t in zip(run(mg), run(torch), strict=True):
        assert str(m.dtype).split(".")[-1] == str(t.dtype).split(".")[-1].replace("torch.", "")
        np.testing.assert_array_equal(_np(m), _np(t))


@pytest.mark.parametrize(
    "call",
    [
        lambda L: L.nn.functional.multi_margin_loss(L.ones(2, 3).half(), L.tensor([0, 1])),
        lambda L: L.nn.functional.multilabel_margin_loss(
            L.ones(2, 3).half(), L.tensor([[0, -1, 0], [1, 2, -1]])
        ),
        lambda L: L.cdist(L.ones(2, 3).half(), L.ones(2, 3).half()),
        lambda L: L.cdist(L.ones(2, 3), L.ones(2, 3).half()),
        lambda L: L.cdist(L.ones(2, 3), L.ones(2, 3).double()),
        lambda L: L.cdist(L.ones(2, 3).double(), L.ones(2, 3)),
    ],
)
def test_float_dtypes_refused_as_pytorch(call):
    _raises_as_torch(call)


# ---------------------------------------------------------------------- 5, 6. reprs
def test_sequential_of_one_module_twice_prints_both_entries():
    reprs = []
    for L in (mg, torch):
        lin = L.nn.Linear(2, 2)
        net = L.nn.Sequential(lin, L.nn.ReLU(), lin)
        m = L.nn.Module()
        m.register_module("a", None)
        m.b = net
        m.c = lin
        reprs.append(repr(m))
        assert len(list(net.children())) == 2
    assert reprs[0] == reprs[1]


def test_load_state_dict_result_prints_as_pytorch():
    for_both = []
    for L in (mg, torch):
        m = L.nn.Linear(2, 2)
        ok = m.load_state_dict(m.state_dict())
        part = m.load_state_dict({"weight": m.weight.detach(), "extra": m.bias.detach()}, False)
        assert ok.missing_keys == [] and ok.unexpected_keys == [] and tuple(ok) == ([], [])
        assert part.missing_keys == ["bias"] and part.unexpected_keys == ["extra"]
        for_both.append((repr(ok), str(ok), repr(part), str(part), type(ok).__name__))
    assert for_both[0] == for_both[1]
    assert for_both[0][0] == "<All keys matched successfully>"


# ---------------------------------------------------------------------- 7. optimizer keys
@pytest.mark.parametrize("name", ["RMSprop", "Adagrad", "Adamax", "RAdam", "ASGD", "Rprop"])
def test_optimizer_param_group_keys_in_pytorch_order(name):
    keys = []
    for L in (mg, torch):
        opt = getattr(L.optim, name)(L.nn.Linear(2, 2).parameters(), lr=0.01)
        keys.append(
            (list(opt.param_groups[0]), list(opt.state_dict()["param_groups"][0]), opt.defaults)
        )
    assert keys[0][0] == keys[1][0]
    assert keys[0][1] == keys[1][1]
    assert list(keys[0][2]) == list(keys[1][2])


# ---------------------------------------------------------------------- 8. save / load
def test_saved_non_leaf_loads_as_a_leaf_that_requires_grad(tmp_path):
    got = []
    for L, path in ((mg, tmp_path / "m.pt"), (torch, tmp_path / "t.pt")):
        w = L.ones(2, requires_grad=True)
        with L.no_grad():
            nograd = w * 2
        L.save({"w": w, "loss": (w * 3).sum(), "nograd": nograd, "plain": L.zeros(1)}, path)
        d = L.load(path, weights_only=False)
        got.append({k: (v.requires_grad, v.is_leaf, v.grad_fn is None) for k, v in d.items()})
    assert got[0] == got[1]
    assert got[0]["loss"] == (True, True, True)


# ---------------------------------------------------------------------- 9. 0-d inputs
@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
@pytest.mark.parametrize("dim", [0, -1])
def test_softmax_of_a_0d_tensor_as_pytorch(fn, dim):
    def run(L):
        x = L.tensor(1.5, dtype=L.float64, requires_grad=True)
        y = getattr(L.nn.functional, fn)(x, dim=dim)
        (g,) = L.autograd.grad(y * 3, x, create_graph=True)
        return y, g

    (my, mgr), (ty, tgr) = run(mg), run(torch)
    assert my.shape == () and float(my.detach()) == float(ty.detach())
    assert float(mgr.detach()) == float(tgr.detach())


@pytest.mark.parametrize("hard", [False, True])
def test_gumbel_softmax_of_a_0d_tensor_is_one(hard):
    for L in (mg, torch):
        y = L.nn.functional.gumbel_softmax(L.tensor(1.5), tau=1, hard=hard)
        assert tuple(y.shape) == () and float(y) == 1.0


@pytest.mark.parametrize(
    "call",
    [
        lambda F, x: F.dropout3d(x, 0.5),
        lambda F, x: F.feature_alpha_dropout(x, 0.5, True),
        lambda F, x: F.feature_alpha_dropout(x.reshape(1), 0.5, True),
    ],
)
def test_feature_dropouts_need_two_dims_as_pytorch(call):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _raises_as_torch(lambda L: call(L.nn.functional, L.tensor(1.5)))
        # without a draw (eval, p = 0 or 1) the input passes, in both
        for L in (mg, torch):
            F = L.nn.functional
            x = L.tensor(1.5)
            assert float(F.dropout3d(x, 0.5, training=False)) == 1.5
            assert float(F.dropout3d(x, 0.0)) == 1.5
            assert float(F.dropout3d(x, 1.0)) == 0.0
            assert float(F.feature_alpha_dropout(x, 0.5, False)) == 1.5


# ---------------------------------------------------------------------- 10. exception types
@pytest.mark.parametrize(
    "call",
    [
        lambda F, L: F.pad(L.tensor(1.0), (1, 1)),
        lambda F, L: F.pad(L.tensor(1.0), (1,)),
        lambda F, L: F.pad(L.ones(2), (1, 1, 1, 1)),
        lambda F, L: F.pad(L.ones(2, 2), (1, 1, 1)),
        lambda F, L: F.pad(L.tensor(1.0), (1, 1), mode="reflect"),
        lambda F, L: F.pad([1.0], (1, 1)),
        lambda F, L: F.linear(L.tensor(1.0), L.ones(2, 3)),
        lambda F, L: F.linear(L.ones(3), L.tensor(1.0)),
        lambda F, L: F.linear([1.0], L.ones(2, 3)),
        lambda F, L: F.linear(L.ones(3), [1.0]),
        lambda F, L: F.max_pool2d(len, 2),
        lambda F, L: F.max_pool2d([[1.0]], 2),
        lambda F, L: F.avg_pool2d(None, 2),
        lambda F, L: F.max_pool3d(len, 2),
        lambda F, L: F.avg_pool3d(len, 2),
        lambda F, L: L.nn.Linear(3, 2)(L.tensor(1.0)),
    ],
)
def test_bad_arguments_raise_pytorch_exception_types(call):
    _raises_as_torch(lambda L: call(L.nn.functional, L))


def test_pad_of_a_0d_tensor_as_pytorch():
    _raises_as_torch(lambda L: L.nn.functional.pad(L.tensor(1.0, requires_grad=True), (0, 0)))
    x = mg.tensor(1.0, requires_grad=True)
    y = mg.nn.functional.pad(x, ())
    assert y.shape == () and float(y) == 1.0 and y is not x


# ---------------------------------------------------------------------- 11. F.upsample
@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("upsample", {"scale_factor": 2}),
        ("upsample", {"size": (5, 3), "mode": "bilinear", "align_corners": False}),
        ("upsample", {"size": 7, "mode": "bicubic", "align_corners": True}),
        ("upsample_nearest", {"scale_factor": 2}),
        ("upsample_nearest", {"size": (3, 5)}),
        ("upsample_bilinear", {"scale_factor": 2}),
        ("upsample_bilinear", {"size": (5, 3)}),
    ],
)
def test_deprecated_upsample_family_as_pytorch(name, kwargs):
    data = np.random.RandomState(0).randn(2, 3, 4, 3)

    def run(L):
        x = L.tensor(data, requires_grad=True)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            y = getattr(L.nn.functional, name)(x, **kwargs)
        (y * y).sum().backward()
        return y, x.grad, [(w.category, str(w.message), w.filename) for w in caught]

    (my, mgr, mw), (ty, tgr, tw) = run(mg), run(torch)
    np.testing.assert_allclose(_np(my), _np(ty), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(_np(mgr), _np(tgr), rtol=1e-10, atol=1e-12)
    assert [w[:2] for w in mw] == [w[:2] for w in tw] and len(mw) == 1
    assert mw[0][2] == __file__  # attributed to the caller


def test_to_empty_replaces_in_place_as_pytorch():
    """`Module.to_empty(device=...)`: the same Parameter objects, new storage of the same
    shapes and dtypes (zeros here; PyTorch leaves them uninitialised), recurse=False only
    the module's own; keyword-only as PyTorch's."""
    m = mg.nn.Sequential(mg.nn.Linear(2, 3), mg.nn.BatchNorm1d(3))
    w = m[0].weight
    assert m.to_empty(device="cpu") is m and m[0].weight is w
    assert m[0].weight.shape == (3, 2) and m[0].weight.abs().sum().item() == 0.0
    assert m[1].running_var.tolist() == [0.0, 0.0, 0.0]
    outer = mg.nn.Sequential(mg.nn.Linear(2, 3))
    outer.to_empty(device=None, recurse=False)  # Sequential holds no tensor of its own
    assert outer[0].weight.abs().sum().item() > 0
    tm = torch.nn.Linear(2, 3)
    with pytest.raises(TypeError):
        tm.to_empty("cpu")
    with pytest.raises(TypeError):
        m.to_empty("cpu")
