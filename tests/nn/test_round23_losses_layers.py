"""Round 23 of the hostile reviews, losses and layers, each case against PyTorch 2.13:
kl_div's 'batchmean' under broadcasting, the dtype of mse/l1/smooth_l1 with a 0-d target,
linear_cross_entropy / LinearCrossEntropyLoss / NLLLoss2d, cosine_embedding_loss's
broadcasting, the deprecated 'elementwise_mean', int64-only margin-loss targets, weights
that require grad, smooth L1's second derivative at NaN, a negative label_smoothing, zero
classes, dropout2d of a 1-d input, in-place dropout3d/dropout1d identity, F.selu_ and a
non-bool `bidirectional`."""

import warnings

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")

NAN, INF = float("nan"), float("inf")
LIBS = (torch, mg)


def _np(t):
    return t.detach().numpy()


def _dt(t):
    return str(t.dtype).split(".")[-1]


def _run(fn, *arrays, grad=()):
    """fn(L, *tensors) in both libraries: [(value, dtype, grads of the inputs in `grad`)]."""
    out = []
    for L in LIBS:
        ts = [L.tensor(a, requires_grad=i in grad) for i, a in enumerate(arrays)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            y = fn(L, *ts)
        gs = []
        if grad:
            w = np.linspace(0.5, 1.5, y.numel()).reshape(tuple(y.shape))
            gs = L.autograd.grad((y * L.tensor(w, dtype=y.dtype)).sum(), [ts[i] for i in grad])
        out.append((_np(y), _dt(y), [_np(g) for g in gs]))
    return out


def _same(fn, *arrays, grad=(), rtol=1e-12, atol=1e-12):
    (tv, tdt, tg), (mv, mdt, mgr) = _run(fn, *arrays, grad=grad)
    assert mdt == tdt
    np.testing.assert_allclose(mv, tv, rtol=rtol, atol=atol, equal_nan=True)
    for a, b in zip(tg, mgr, strict=True):
        np.testing.assert_allclose(b, a, rtol=rtol, atol=atol, equal_nan=True)


def _raises_as_torch(fn, words=None):
    """fn(L) raises in both, minigrad an instance of torch's builtin class (its message
    holding `words` when given)."""
    with pytest.raises(Exception) as t_err:
        fn(torch)
    cls = next(c for c in type(t_err.value).__mro__ if c.__module__ == "builtins")
    with pytest.raises(cls) as m_err:
        fn(mg)
    if words is not None:
        assert words in str(m_err.value), str(m_err.value)
    return m_err.value


# ---------------------------------------------------------------------- 1. kl_div batchmean
KL_X = np.log(np.array([[0.2, 0.3, 0.5]]))
KL_T = np.array([[0.1, 0.6, 0.3], [0.3, 0.3, 0.4], [0.5, 0.25, 0.25]])


@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_batchmean_divides_by_the_inputs_batch_not_the_broadcast_one(log_target):
    t = np.log(KL_T) if log_target else KL_T
    f = lambda L, x, y: L.nn.functional.kl_div(  # noqa: E731
        x, y, reduction="batchmean", log_target=log_target
    )
    _same(f, KL_X, t, grad=(0, 1))
    # the input larger than the target: its own batch, as before
    _same(f, np.log(KL_T), t[:1], grad=(0,))
    _same(f, KL_X[0, 0], t[0], grad=(0,))  # a 0-d input: the sum itself
    _same(f, np.zeros((0, 3)), np.zeros((0, 3)))  # sum / 0: NaN in both


def test_kl_div_elementwise_mean_warns_only_its_deprecation():
    for L in LIBS:
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            L.nn.functional.kl_div(L.tensor(KL_X), L.tensor(KL_T), reduction="elementwise_mean")
        assert [str(m.message)[:26] for m in w] == ["reduction='elementwise_mea"], L


# ------------------------------------------------------------------ 2. promotion after broadcast
@pytest.mark.parametrize(
    "name, kw",
    [("mse_loss", {}), ("l1_loss", {}), ("smooth_l1_loss", {}), ("smooth_l1_loss", {"beta": 0})],
)
@pytest.mark.parametrize(
    "x_dt, x_shape, t_dt, t_shape",
    [
        ("float32", (3,), "float64", ()),
        ("float64", (), "float32", (3,)),
        ("float32", (), "float64", ()),
        ("float16", (3,), "int64", ()),
        ("float32", (3,), "float64", (3,)),
        ("float32", (0,), "float64", ()),
    ],
)
def test_regression_losses_promote_a_0d_target_as_one_with_dims(
    name, kw, x_dt, x_shape, t_dt, t_shape
):
    x = np.resize(np.array([0.1, 0.2, 0.3]), x_shape).astype(x_dt)
    t = np.resize(np.array([1.0 / 3.0, 1.5, -2.0]), t_shape).astype(t_dt)
    fn = lambda L, a, b: getattr(L.nn.functional, name)(a, b, **kw)  # noqa: E731
    tol = 1e-3 if x_dt == "float16" else 1e-7
    _same(fn, x, t, grad=(0,), rtol=tol, atol=tol)


def test_l1_loss_of_integers_promotes_after_broadcast():
    fn = lambda L, a, b: L.nn.functional.l1_loss(a, b, reduction="none")  # noqa: E731
    _same(fn, np.array([1, 2], np.int32), np.array(3, np.int64))


def test_huber_loss_with_a_0d_float64_target_follows_smooth_l1():
    """PyTorch's huber_loss refuses mixed float dtypes (documented); minigrad promotes as
    smooth_l1_loss does, so the 0-d target counts as one with dims there too."""
    x = mg.tensor([0.1, 0.2, 0.3])
    t = mg.tensor(1.0 / 3.0, dtype=mg.float64)
    with pytest.warns(UserWarning, match="target size"):
        h = mg.nn.functional.huber_loss(x, t)
    with pytest.warns(UserWarning, match="target size"):
        s = mg.nn.functional.smooth_l1_loss(x, t)
    assert h.dtype == s.dtype == mg.float64 and h.item() == s.item()


# ---------------------------------------------------------------------- 3. the missing losses
def _lce_arrays(out_features=(), unbatched=False, prob=False, n=4, c=5, k=3):
    rng = np.random.default_rng(len(out_features) + 2 * unbatched + 4 * prob)
    x = rng.standard_normal((k,) if unbatched else (n, k))
    w = rng.standard_normal((c, *out_features, k))
    b = rng.standard_normal((c, *out_features))
    lead = () if unbatched else (n,)
    if prob:
        t = rng.dirichlet(np.ones(c), lead + out_features)
        t = np.moveaxis(t, -1, len(lead))
    else:
        t = rng.integers(0, c, lead + out_features)
        if t.ndim:
            t.reshape(-1)[0] = 1  # a target the ignore_index cases drop
    return x, w, b, t


@pytest.mark.parametrize("out_features", [(), (2,), (2, 3)])
@pytest.mark.parametrize("unbatched", [False, True])
@pytest.mark.parametrize("prob", [False, True])
@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"reduction": "none"},
        {"reduction": "sum", "label_smoothing": 0.2},
        {"bias": True, "weight": True, "ignore_index": 1},
        {"bias": True, "weight": True, "label_smoothing": 0.1, "reduction": "mean"},
    ],
)
def test_linear_cross_entropy_matches_pytorch(out_features, unbatched, prob, kw):
    if unbatched and out_features:
        return  # refused in both (the errors test below)
    kw = dict(kw)
    if prob and "ignore_index" in kw:
        return
    x, w, b, t = _lce_arrays(out_features, unbatched, prob)
    use_bias, use_weight = kw.pop("bias", False), kw.pop("weight", False)

    def fn(L, x, w, b, t):
        extra = dict(kw)
        if use_bias:
            extra["linear_bias"] = b
        if use_weight:
            extra["weight"] = L.tensor([0.5, 1.0, 2.0, 1.5, 0.7], dtype=L.float64)
        return L.nn.functional.linear_cross_entropy(x, w, t, **extra)

    grads = (0, 1) + (2,) * use_bias + (3,) * prob
    _same(fn, x, w, b, t, grad=grads)


def test_linear_cross_entropy_equals_cross_entropy_of_the_logits_and_errors():
    x, w, _, t = _lce_arrays()
    got = mg.nn.functional.linear_cross_entropy(mg.tensor(x), mg.tensor(w), mg.tensor(t))
    ref = mg.nn.functional.cross_entropy(mg.tensor(x) @ mg.tensor(w).t(), mg.tensor(t))
    assert got.item() == ref.item()
    W3 = np.zeros((5, 2, 3))
    cases = [
        (
            lambda L: L.nn.functional.linear_cross_entropy(
                L.zeros(2, 2, 3), L.zeros(5, 3), L.zeros(2, dtype=L.int64)
            ),
            "dimensionality 1 or 2",
        ),
        (
            lambda L: L.nn.functional.linear_cross_entropy(
                L.zeros(2, 3), L.zeros(3), L.zeros(2, dtype=L.int64)
            ),
            "at least 2",
        ),
        (
            lambda L: L.nn.functional.linear_cross_entropy(
                L.zeros(2, 4), L.zeros(5, 3), L.zeros(2, dtype=L.int64)
            ),
            "got 4 and 3",
        ),
        (
            lambda L: L.nn.functional.linear_cross_entropy(
                L.zeros(2, 3), L.zeros(5, 3), L.zeros(2, dtype=L.int64), linear_bias=L.zeros(4)
            ),
            "expected linear_bias shape (5,)",
        ),
        (
            lambda L: L.nn.functional.linear_cross_entropy(
                L.zeros(3), L.tensor(W3), L.zeros(2, dtype=L.int64)
            ),
            "requires batched input",
        ),
        (
            lambda L: L.nn.functional.linear_cross_entropy(
                L.zeros(2, 3), L.zeros(5, 3), L.zeros(2, 5), ignore_index=-100
            ),
            "ignore_index cannot be specified",
        ),
    ]
    for fn, words in cases:
        _raises_as_torch(fn, words)
    with pytest.raises(NotImplementedError, match="options"):
        mg.nn.functional.linear_cross_entropy(
            mg.zeros(2, 3), mg.zeros(5, 3), mg.zeros(2, dtype=mg.int64), options=object()
        )


@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("out_features", [(), (2,)])
def test_linear_cross_entropy_module_matches_pytorch(bias, out_features):
    kw = dict(out_features=out_features, bias=bias, weight=None, label_smoothing=0.1)
    tm = torch.nn.LinearCrossEntropyLoss(3, 5, **kw, dtype=torch.float64)
    mm = mg.nn.LinearCrossEntropyLoss(3, 5, **kw, dtype=mg.float64)
    assert repr(mm) == repr(tm)
    assert list(mm.state_dict()) == list(tm.state_dict())
    assert [n for n, _ in mm.named_parameters()] == [n for n, _ in tm.named_parameters()]
    mm.load_state_dict({k: mg.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    x, _, _, t = _lce_arrays(out_features)
    tl, ml = tm(torch.tensor(x), torch.tensor(t)), mm(mg.tensor(x), mg.tensor(t))
    tl.backward()
    ml.backward()
    np.testing.assert_allclose(ml.item(), tl.item(), rtol=1e-12)
    for (_, tp), (_, mp) in zip(tm.named_parameters(), mm.named_parameters(), strict=True):
        np.testing.assert_allclose(mp.grad.numpy(), tp.grad.numpy(), rtol=1e-12, atol=1e-14)
    w = np.array([0.5, 1.0, 2.0, 1.5, 0.7])
    for L in LIBS:
        m = L.nn.LinearCrossEntropyLoss(3, 5, weight=L.tensor(w))
        assert list(m.state_dict()) == ["weight", "linear.weight"]
    _raises_as_torch(lambda L: L.nn.LinearCrossEntropyLoss(3, 5, weight=L.ones(4)), "(5,)")
    _raises_as_torch(lambda L: L.nn.LinearCrossEntropyLoss(3, 5, label_smoothing=-0.1), "[0, 1]")


def test_nll_loss2d_is_nll_loss_with_pytorchs_future_warning():
    rng = np.random.default_rng(3)
    x = np.log(rng.dirichlet(np.ones(3), (2, 4, 4))).transpose(0, 3, 1, 2)
    t = rng.integers(0, 3, (2, 4, 4))
    vals = []
    for L in LIBS:
        with pytest.warns(FutureWarning, match="`NLLLoss2d` has been deprecated"):
            m = L.nn.NLLLoss2d(weight=L.tensor([1.0, 2.0, 0.5], dtype=L.float64), ignore_index=2)
        assert isinstance(m, L.nn.NLLLoss) and repr(m) == "NLLLoss2d()"
        vals.append(m(L.tensor(x), L.tensor(t)).item())
    np.testing.assert_allclose(vals[1], vals[0], rtol=1e-12)
    from minigrad.nn.modules.loss import LinearCrossEntropyLoss, NLLLoss2d  # PyTorch's path

    assert NLLLoss2d is mg.nn.NLLLoss2d and LinearCrossEntropyLoss is mg.nn.LinearCrossEntropyLoss


# ---------------------------------------------------------------------- 4. cosine_embedding_loss
A = np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]])


@pytest.mark.parametrize(
    "x1, x2, y",
    [
        (A, A[1:2] * 0.7, [1.0, -1.0, 1.0]),
        (A, A[1:2], [-1.0]),
        (A[:1], A[1:2], [1.0, -1.0, 1.0]),
        (A, A[:, :1], [1.0, -1.0, -1.0]),
        (A, np.ones((1, 1)), [1.0, -1.0, 1.0]),
        (A[0], A[1], 1.0),
        (A[:0], A[:0], np.zeros(0)),
    ],
)
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_cosine_embedding_loss_broadcasts_as_pytorch(x1, x2, y, reduction):
    fn = lambda L, a, b, c: L.nn.functional.cosine_embedding_loss(  # noqa: E731
        a, b, c, margin=0.1, reduction=reduction
    )
    _same(fn, np.asarray(x1), np.asarray(x2), np.asarray(y), grad=(0, 1))


@pytest.mark.parametrize(
    "shapes, words",
    [
        (((3, 2), (2, 2), (3,)), "do not broadcast"),
        (((3, 2), (3, 2), (4,)), "do not broadcast"),
        (((3, 2), (1, 2), ()), "0D target tensor expects 1D input tensors"),
        (((2,), (1, 2), (3,)), "1D target tensor expects 2D input tensors"),
        (((2,), (2,), (1,)), "1D target tensor expects 2D input tensors"),
        (((1, 3, 2), (1, 3, 2), (1, 3)), "0D or 1D target tensor expected"),
    ],
)
def test_cosine_embedding_loss_shape_errors(shapes, words):
    a, b, c = (np.ones(s) for s in shapes)
    _raises_as_torch(
        lambda L: L.nn.functional.cosine_embedding_loss(L.tensor(a), L.tensor(b), L.tensor(c)),
        words,
    )


# ---------------------------------------------------------------------- 5. 'elementwise_mean'
_X = np.array([[0.2, 0.9, 0.4], [0.5, 0.3, 0.7]])
_I = np.array([1, 0])
_S = np.array([1.0, -1.0])
_ELEMENTWISE = {
    "mse_loss": lambda L, F, r: F.mse_loss(L.tensor(_X), L.tensor(_X * 0.5), reduction=r),
    "l1_loss": lambda L, F, r: F.l1_loss(L.tensor(_X), L.tensor(_X * 0.5), reduction=r),
    "smooth_l1_loss": lambda L, F, r: F.smooth_l1_loss(L.tensor(_X), L.tensor(-_X), reduction=r),
    "huber_loss": lambda L, F, r: F.huber_loss(L.tensor(_X), L.tensor(-_X), reduction=r),
    "kl_div": lambda L, F, r: F.kl_div(L.tensor(np.log(_X)), L.tensor(_X), reduction=r),
    "bce": lambda L, F, r: F.binary_cross_entropy(
        L.tensor(_X), L.tensor(_X[::-1].copy()), reduction=r
    ),
    "bce_logits": lambda L, F, r: F.binary_cross_entropy_with_logits(
        L.tensor(_X), L.tensor(_X), reduction=r
    ),
    "nll_loss": lambda L, F, r: F.nll_loss(L.tensor(_X), L.tensor(_I), reduction=r),
    "cross_entropy": lambda L, F, r: F.cross_entropy(L.tensor(_X), L.tensor(_I), reduction=r),
    "cross_entropy_prob": lambda L, F, r: F.cross_entropy(L.tensor(_X), L.tensor(_X), reduction=r),
    "margin_ranking": lambda L, F, r: F.margin_ranking_loss(
        L.tensor(_X[0, :2]), L.tensor(_X[1, :2]), L.tensor(_S), reduction=r
    ),
    "hinge_embedding": lambda L, F, r: F.hinge_embedding_loss(
        L.tensor(_X), L.tensor(np.sign(_X - 0.45)), reduction=r
    ),
    "cosine_embedding": lambda L, F, r: F.cosine_embedding_loss(
        L.tensor(_X), L.tensor(_X[::-1].copy()), L.tensor(_S), reduction=r
    ),
    "soft_margin": lambda L, F, r: F.soft_margin_loss(
        L.tensor(_X), L.tensor(np.sign(_X - 0.45)), reduction=r
    ),
    "multilabel_margin": lambda L, F, r: F.multilabel_margin_loss(
        L.tensor(_X), L.tensor([[2, -1, 0], [0, 1, -1]]), reduction=r
    ),
    "multi_margin": lambda L, F, r: F.multi_margin_loss(L.tensor(_X), L.tensor(_I), reduction=r),
    "triplet_margin": lambda L, F, r: F.triplet_margin_loss(
        L.tensor(_X), L.tensor(_X * 2), L.tensor(-_X), reduction=r
    ),
    "ctc": lambda L, F, r: F.ctc_loss(
        L.tensor(np.log(np.full((4, 2, 3), 1 / 3))),
        L.tensor([[1, 2], [1, 1]]),
        L.tensor([4, 4]),
        L.tensor([2, 2]),
        reduction=r,
    ),
    "linear_cross_entropy": lambda L, F, r: F.linear_cross_entropy(
        L.tensor(_X), L.tensor(_X[::-1].copy()), L.tensor(_I), reduction=r
    ),
    "MSELoss": lambda L, F, r: L.nn.MSELoss(reduction=r)(L.tensor(_X), L.tensor(-_X)),
    "CrossEntropyLoss": lambda L, F, r: L.nn.CrossEntropyLoss(reduction=r, label_smoothing=0.1)(
        L.tensor(_X), L.tensor(_I)
    ),
}


@pytest.mark.parametrize("name", list(_ELEMENTWISE))
def test_elementwise_mean_is_mean_with_pytorchs_warning(name):
    fn = _ELEMENTWISE[name]
    vals = []
    for L in LIBS:
        F = L.nn.functional
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            got = fn(L, F, "elementwise_mean").item()
        msgs = [str(m.message) for m in w]
        assert (
            "reduction='elementwise_mean' is deprecated. Please use reduction='mean' instead."
            in msgs
        )
        assert all(m.category is UserWarning for m in w)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert got == fn(L, F, "mean").item()
        vals.append(got)
    np.testing.assert_allclose(vals[1], vals[0], rtol=1e-12)


@pytest.mark.parametrize(
    "fn",
    [
        lambda L, r: L.nn.functional.poisson_nll_loss(L.tensor(_X), L.tensor(_X), reduction=r),
        lambda L, r: L.nn.functional.gaussian_nll_loss(
            L.tensor(_X), L.tensor(_X), L.ones(2, 3), reduction=r
        ),
        lambda L, r: L.nn.functional.multilabel_soft_margin_loss(
            L.tensor(_X), L.tensor(_X), reduction=r
        ),
        lambda L, r: L.nn.functional.triplet_margin_with_distance_loss(
            L.tensor(_X), L.tensor(_X), L.tensor(_X), reduction=r
        ),
    ],
)
def test_losses_pytorch_writes_in_python_still_refuse_elementwise_mean(fn):
    _raises_as_torch(lambda L: fn(L, "elementwise_mean"))


def test_other_reductions_still_refused():
    _raises_as_torch(lambda L: L.nn.functional.mse_loss(L.zeros(2), L.zeros(2), reduction="avg"))
    _raises_as_torch(
        lambda L: L.nn.functional.nll_loss(L.zeros(2, 3), L.tensor([0, 1]), reduction="elementwise")
    )


# ---------------------------------------------------------------------- 6, 7. int64 targets only
@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "int16", "uint8", "bool"])
def test_margin_loss_targets_must_be_int64(dtype):
    x = np.array([[0.1, 0.2, 0.4, 0.8]])
    mlm = np.array([[0.9, 2.7, -1, 0]]) if dtype.startswith("float") else np.array([[3, 0, 1, 1]])
    mlm = mlm.astype(dtype)
    err = _raises_as_torch(
        lambda L: L.nn.functional.multilabel_margin_loss(L.tensor(x), L.tensor(mlm))
    )
    assert "multilabel_margin_loss: target must hold int64" in str(err)
    mm = np.array([1]).astype(dtype)
    err = _raises_as_torch(lambda L: L.nn.functional.multi_margin_loss(L.tensor(x), L.tensor(mm)))
    assert "multi_margin_loss: target must hold int64" in str(err)
    err = _raises_as_torch(lambda L: L.nn.MultiMarginLoss()(L.tensor(x), L.tensor(mm)))


@pytest.mark.parametrize("t", [[[3, -2, 0, 1]], [[0, -1, 5, 1]], [[0, -1, -2, 1]], [[4, -1, 0, 0]]])
def test_multilabel_margin_loss_target_out_of_range_past_the_end_too(t):
    x = np.array([[0.1, 0.2, 0.4, 0.8]])
    _raises_as_torch(
        lambda L: L.nn.functional.multilabel_margin_loss(L.tensor(x), L.tensor(t)),
        "argument #2 'target' is out of range",
    )


@pytest.mark.parametrize(
    "t", [[[3, 0, -1, 1]], [[-1, 3, 2, 1]], [[0, 1, 2, 3]], [[2, 2, -1, -1]], [[1, -1, 1, -1]]]
)
def test_multilabel_margin_loss_int64_targets_unchanged(t):
    x = np.array([[0.1, 0.2, 0.4, 0.8]])
    fn = lambda L, a, b: L.nn.functional.multilabel_margin_loss(a, b, reduction="none")  # noqa: E731
    _same(fn, x, np.array(t), grad=(0,))
    _same(fn, x[0], np.array(t[0]), grad=(0,))


# ---------------------------------------------------------------------- 8. weights requiring grad
_BCE = {
    ("binary_cross_entropy", "weight"): lambda L, x, y, w: L.nn.functional.binary_cross_entropy(
        x, y, weight=w
    ),
    ("binary_cross_entropy_with_logits", "weight"): lambda L, x, y, w: (
        L.nn.functional.binary_cross_entropy_with_logits(x, y, weight=w)
    ),
    ("binary_cross_entropy_with_logits", "pos_weight"): lambda L, x, y, w: (
        L.nn.functional.binary_cross_entropy_with_logits(x, y, pos_weight=w)
    ),
    ("BCEWithLogitsLoss", "pos_weight"): lambda L, x, y, w: L.nn.BCEWithLogitsLoss(pos_weight=w)(
        x, y
    ),
}


@pytest.mark.parametrize("key", list(_BCE))
@pytest.mark.parametrize("x_grad", [True, False])
def test_bce_weights_that_require_grad_are_refused(key, x_grad):
    fn = _BCE[key]
    name = key[0] if key[0] != "BCEWithLogitsLoss" else "binary_cross_entropy_with_logits"

    def call(L):
        x = L.tensor([0.3, 0.8], requires_grad=x_grad)
        return fn(L, x, L.tensor([1.0, 0.0]), L.tensor([2.0, 3.0], requires_grad=True))

    _raises_as_torch(
        call,
        f"The function '{name}' is not differentiable with respect to argument '{key[1]}'. "
        "This input cannot have requires_grad True.",
    )
    vals = []
    for L in LIBS:  # outside grad mode both compute, and a detached weight gives x's gradient
        with L.no_grad():
            vals.append(call(L).item())
        x = L.tensor([0.3, 0.8], requires_grad=True)
        fn(L, x, L.tensor([1.0, 0.0]), L.tensor([2.0, 3.0], requires_grad=True).detach()).backward()
        vals.append(x.grad.numpy())
    np.testing.assert_allclose(vals[2], vals[0], rtol=1e-6)
    np.testing.assert_allclose(vals[3], vals[1], rtol=1e-6)


# ---------------------------------------------------------------------- 9. second derivative at NaN
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize(
    "name, kw",
    [("smooth_l1_loss", {}), ("smooth_l1_loss", {"beta": 0.5}), ("huber_loss", {"delta": 2.0})],
)
@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_smooth_l1_and_huber_second_derivative_at_nan_is_zero(dtype, name, kw, reduction):
    xs = [NAN, 0.5, -3.0, INF, 0.2, 0.0]
    ys = [1.0, 0.0, 0.0, 0.0, NAN, 0.0]
    res = []
    for L in LIBS:
        dt = getattr(L, dtype)
        x = L.tensor(xs, dtype=dt, requires_grad=True)
        loss = getattr(L.nn.functional, name)(x, L.tensor(ys, dtype=dt), reduction=reduction, **kw)
        (g1,) = L.autograd.grad(loss, x, retain_graph=True)  # first order, nothing recorded
        (g,) = L.autograd.grad(loss, x, create_graph=True)
        (g2,) = L.autograd.grad((g * L.tensor([3.0, 1.0, 2.0, 1.0, 1.5, 2.5], dtype=dt)).sum(), x)
        res.append([_np(loss), _np(g1), _np(g), _np(g2)])
    for t, m in zip(*res, strict=True):
        np.testing.assert_allclose(m, t, rtol=1e-3, equal_nan=True)
    np.testing.assert_array_equal(res[1][1], res[1][2])  # recorded or not: the same gradient


# ---------------------------------------------------------------------- 10. label_smoothing < 0
@pytest.mark.parametrize("ls", [-0.1, -5.0, NAN, 0.0, 1.0])
@pytest.mark.parametrize("prob", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_negative_or_nan_label_smoothing_smooths_nothing(ls, prob, weighted):
    x = np.array([[0.2, 0.9, -0.4], [1.5, -0.3, 0.0]])
    t = np.array([[0.1, 0.6, 0.3], [0.5, 0.5, 0.0]]) if prob else np.array([1, 0])

    def fn(L, a, b):
        w = L.tensor([0.5, 2.0, 1.0], dtype=L.float64) if weighted else None
        return L.nn.functional.cross_entropy(a, b, weight=w, label_smoothing=ls)

    _same(fn, x, t, grad=(0,))
    m = mg.nn.CrossEntropyLoss(label_smoothing=ls)(mg.tensor(x), mg.tensor(t))
    assert m.item() == pytest.approx(
        torch.nn.CrossEntropyLoss(label_smoothing=ls)(torch.tensor(x), torch.tensor(t)).item(),
        rel=1e-12,
    )


def test_cross_entropy_label_smoothing_above_one_still_raises():
    _raises_as_torch(
        lambda L: L.nn.functional.cross_entropy(
            L.zeros(2, 3), L.tensor([0, 1]), label_smoothing=1.5
        ),
        "label_smoothing must be between 0.0 and 1.0",
    )


# ---------------------------------------------------------------------- zero classes
_C0 = [
    ("ce (0,0)", lambda L, F, x: F.cross_entropy(x, L.zeros(0, dtype=L.int64)), (0, 0)),
    (
        "ce (0,0) ls",
        lambda L, F, x: F.cross_entropy(x, L.zeros(0, dtype=L.int64), label_smoothing=0.1),
        (0, 0),
    ),
    ("ce (0,0,3)", lambda L, F, x: F.cross_entropy(x, L.zeros(0, 3, dtype=L.int64)), (0, 0, 3)),
    ("ce (2,0,0)", lambda L, F, x: F.cross_entropy(x, L.zeros(2, 0, dtype=L.int64)), (2, 0, 0)),
    ("nll ignored", lambda L, F, x: F.nll_loss(x, L.tensor([-100, -100])), (2, 0)),
    (
        "nll ignored w",
        lambda L, F, x: F.nll_loss(x, L.tensor([-100, -100]), weight=L.zeros(0)),
        (2, 0),
    ),
    ("nll unbatched", lambda L, F, x: F.nll_loss(x, L.tensor(-100)), (0,)),
    ("ce ignored", lambda L, F, x: F.cross_entropy(x, L.tensor([-100, -100])), (2, 0)),
    (
        "ce ignored ls",
        lambda L, F, x: F.cross_entropy(x, L.tensor([-100, -100]), label_smoothing=0.2),
        (2, 0),
    ),
    (
        "ce ignored ls w",
        lambda L, F, x: F.cross_entropy(
            x, L.tensor([-100, -100]), label_smoothing=0.2, weight=L.zeros(0)
        ),
        (2, 0),
    ),
    ("ce prob", lambda L, F, x: F.cross_entropy(x, L.zeros(2, 0)), (2, 0)),
    ("ce prob ls", lambda L, F, x: F.cross_entropy(x, L.zeros(2, 0), label_smoothing=0.1), (2, 0)),
    ("ce prob unbatched", lambda L, F, x: F.cross_entropy(x, L.zeros(0)), (0,)),
    ("ce prob (0,3)", lambda L, F, x: F.cross_entropy(x, L.zeros(0, 3)), (0, 3)),
    ("ce prob (2,0,3)", lambda L, F, x: F.cross_entropy(x, L.zeros(2, 0, 3)), (2, 0, 3)),
]


@pytest.mark.parametrize("case", _C0, ids=[c[0] for c in _C0])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_zero_classes_as_pytorch(case, reduction):
    _, fn, shape = case
    got = []
    for L in LIBS:
        x = L.zeros(*shape, requires_grad=True)
        F = L.nn.functional
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            y = fn(L, _Reduce(F, reduction), x)
        assert y.requires_grad
        y.sum().backward()
        got.append((_np(y), tuple(x.grad.shape)))
    (tv, tg), (mv, mgs) = got
    assert mgs == tg and mv.shape == tv.shape
    np.testing.assert_array_equal(mv, tv)  # NaN where PyTorch's is


class _Reduce:
    """`F` with the loss functions' reduction fixed."""

    def __init__(self, F, reduction):
        self.F, self.reduction = F, reduction

    def __getattr__(self, name):
        fn = getattr(self.F, name)
        return lambda *a, **k: fn(*a, reduction=self.reduction, **k)


def test_nll_loss_zero_classes_kept_target_is_out_of_range():
    _raises_as_torch(lambda L: L.nn.functional.nll_loss(L.zeros(2, 0), L.tensor([0, -100])))


# ---------------------------------------------------------------------- layers: dropout
@pytest.mark.parametrize("shape", [(4,), (), (0,)])
@pytest.mark.parametrize("p, training", [(0.5, False), (0.0, True), (1.0, True), (0.5, True)])
@pytest.mark.parametrize("inplace", [False, True])
def test_dropout2d_of_a_1d_input_as_pytorch(shape, p, training, inplace):
    res = []
    for L in LIBS:
        x = L.ones(shape)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            try:
                out = L.nn.functional.dropout2d(x, p, training, inplace)
                res.append((_np(out), out is x, _np(x)))
            except RuntimeError:
                res.append("raises")
        assert any("dropout2d" in str(m.message) for m in w)  # the deprecation, in both
    if res[0] == "raises":
        assert res[1] == "raises"
        return
    (tv, tis, tx), (mv, mis, mx) = res
    np.testing.assert_array_equal(mv, tv)
    np.testing.assert_array_equal(mx, tx)
    assert mis == tis


def test_dropout2d_module_eval_returns_a_1d_input():
    for L in LIBS:
        m = L.nn.Dropout2d(0.5).eval()
        x = L.ones(4)
        with pytest.warns(UserWarning, match="dropout2d"):
            assert m(x) is x


@pytest.mark.parametrize(
    "fn, shape",
    [
        ("dropout3d", (4, 4, 3)),
        ("dropout3d", (3, 2, 2, 2)),
        ("dropout3d", (2, 3, 2, 2, 2)),
        ("dropout1d", (3, 4)),
        ("dropout1d", (2, 3, 4)),
        ("dropout2d", (2, 3, 4)),
    ],
)
@pytest.mark.parametrize("p, training", [(0.0, True), (0.5, False), (0.0, False), (1.0, True)])
@pytest.mark.parametrize("inplace", [True, False])
def test_in_place_feature_dropout_returns_the_input_itself(fn, shape, p, training, inplace):
    module = {"dropout3d": "Dropout3d", "dropout1d": "Dropout1d", "dropout2d": "Dropout2d"}[fn]
    res = []
    for L in LIBS:
        x, y = L.ones(*shape), L.ones(*shape)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = getattr(L.nn.functional, fn)(x, p, training, inplace)
            m_out = getattr(L.nn, module)(p, inplace=inplace).train(training)(y)
        res.append((out is x, m_out is y, _np(out), _np(x)))
    assert res[1][:2] == res[0][:2]
    np.testing.assert_array_equal(res[1][2], res[0][2])
    np.testing.assert_array_equal(res[1][3], res[0][3])


# ---------------------------------------------------------------------- layers: selu_, rnn flags
def test_selu_in_place_as_pytorch():
    vals = np.array([[-1.0, 2.0, 0.0], [-0.3, 0.7, -4.0]])
    res = []
    for L in LIBS:
        base = L.tensor(vals)
        view = base.t()
        out = L.nn.functional.selu_(view)
        res.append((out is view, _np(base)))
        leaf = L.tensor(vals, requires_grad=True)
        h = leaf * 1.0
        L.nn.functional.selu_(h).sum().backward()
        res.append(_np(leaf.grad))
    assert res[0][0] and res[2][0]
    np.testing.assert_allclose(res[2][1], res[0][1], rtol=1e-12)
    np.testing.assert_allclose(res[3], res[1], rtol=1e-12)
    _raises_as_torch(lambda L: L.nn.functional.selu_(L.tensor([1.0], requires_grad=True)))


@pytest.mark.parametrize("cls", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("flag", [1, 0, "yes", None])
def test_rnn_bidirectional_must_be_a_bool(cls, flag):
    def run(L):
        return getattr(L.nn, cls)(3, 4, bidirectional=flag)(L.zeros(2, 1, 3))

    err = _raises_as_torch(run)
    assert "bidirectional should be of type bool" in str(err)
    for L in LIBS:  # a bool is taken
        assert tuple(getattr(L.nn, cls)(3, 4, bidirectional=True)(L.zeros(2, 1, 3))[0].shape) == (
            2,
            1,
            8,
        )
