"""minigrad.nn.functional: gradcheck and gradgradcheck (float64) for every function,
forward and gradients against torch.nn.functional where torch imports, edge cases."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from op_cases import torch_or_skip

import minigrad as mg
import minigrad.nn.functional as F

REDUCTIONS = ["mean", "sum", "none"]


def _rng(seed=0):
    return np.random.default_rng(seed)


def _mg_const(a):
    return mg.Tensor(np.asarray(a))


def check(fn, *arrays, torch_cmp=True, gg=True, atol=1e-10):
    """fn(F, T, *xs): F is a functional namespace, T turns a constant array into that
    framework's tensor. Checks gradients numerically, then against torch."""
    xs = [mg.Tensor(a.copy(), requires_grad=True) for a in arrays]

    def f(*t):
        return fn(F, _mg_const, *t)

    mg.gradcheck(f, xs)
    if gg:
        mg.gradgradcheck(f, xs)
    if not torch_cmp:
        return
    torch = torch_or_skip()
    import torch.nn.functional as TF

    out = f(*xs)
    tx = [torch.tensor(a, requires_grad=True) for a in arrays]
    tout = fn(TF, lambda a: torch.from_numpy(np.array(a)), *tx)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-9, atol=atol)
    gy = _rng(5).standard_normal(out.shape)
    got = mg.grad(out, xs, grad_outputs=mg.Tensor(gy), allow_unused=True)
    want = torch.autograd.grad(tout, tx, grad_outputs=torch.from_numpy(gy), allow_unused=True)
    for g, w in zip(got, want, strict=True):
        g = np.zeros_like(w.numpy()) if g is None else g.numpy()
        w = np.zeros_like(g) if w is None else w.numpy()
        np.testing.assert_allclose(g, w, rtol=1e-9, atol=atol)


R = _rng(0)
X34 = R.standard_normal((3, 4))
PROBS = R.uniform(0.05, 0.95, (3, 4))
TARGET01 = R.uniform(0, 1, (3, 4))
LABELS = np.array([0, 3, 1])
LABELS_2D = R.integers(0, 4, (3, 2))
W4 = R.uniform(0.5, 2, 4)
W31 = R.uniform(0.5, 2, (3, 1))
POS_W = R.uniform(0.5, 3, 4)

CASES = {
    "linear": (
        lambda F, T, x, w, b: F.linear(x, w, b),
        [R.standard_normal((4, 3)), R.standard_normal((5, 3)), R.standard_normal(5)],
    ),
    "linear_3d_nobias": (
        lambda F, T, x, w: F.linear(x, w),
        [R.standard_normal((2, 4, 3)), R.standard_normal((5, 3))],
    ),
    "relu": (lambda F, T, x: F.relu(x), [X34]),
    "leaky_relu": (lambda F, T, x: F.leaky_relu(x, 0.2), [X34]),
    "sigmoid": (lambda F, T, x: F.sigmoid(x), [X34]),
    "tanh": (lambda F, T, x: F.tanh(x), [X34]),
    "softplus": (lambda F, T, x: F.softplus(x), [X34 * 3]),
    "softplus_beta": (lambda F, T, x: F.softplus(x, beta=2.0, threshold=3.0), [X34 * 3]),
    "log_sigmoid": (lambda F, T, x: F.logsigmoid(x), [X34 * 3]),
    "softmax": (lambda F, T, x: F.softmax(x, dim=1), [X34]),
    "log_softmax": (lambda F, T, x: F.log_softmax(x, dim=0), [X34]),
    "mse_loss": (lambda F, T, x, y: F.mse_loss(x, y), [X34, R.standard_normal((3, 4))]),
    "l1_loss": (lambda F, T, x: F.l1_loss(x, T(X34 + 0.5), reduction="sum"), [X34 * 2]),
    "bce": (lambda F, T, x: F.binary_cross_entropy(x, T(TARGET01)), [PROBS]),
    "bce_weight": (
        lambda F, T, x: F.binary_cross_entropy(x, T(TARGET01), weight=T(W4), reduction="none"),
        [PROBS],
    ),
    "bce_target_grad": (lambda F, T, x, y: F.binary_cross_entropy(x, y), [PROBS, TARGET01]),
    "bce_logits": (lambda F, T, x: F.binary_cross_entropy_with_logits(x, T(TARGET01)), [X34 * 3]),
    "bce_logits_weights": (
        lambda F, T, x: F.binary_cross_entropy_with_logits(
            x, T(TARGET01), weight=T(W31), reduction="sum", pos_weight=T(POS_W)
        ),
        [X34 * 3],
    ),
    "cross_entropy": (lambda F, T, x: F.cross_entropy(x, T(LABELS)), [X34]),
    "cross_entropy_nd": (
        lambda F, T, x: F.cross_entropy(x, T(LABELS_2D), reduction="none"),
        [R.standard_normal((3, 4, 2))],
    ),
    "cross_entropy_probs": (
        lambda F, T, x: F.cross_entropy(x, T(np.full((3, 4), 0.25)), weight=T(np.arange(1.0, 5.0))),
        [X34],
    ),
    "nll_loss_weight_ignore": (
        lambda F, T, x: F.nll_loss(
            x, T(np.array([0, -100, 2])), weight=T(np.array([1.0, 2.0, 0.5, 3.0]))
        ),
        [X34],
    ),
    "nll_loss_sum": (lambda F, T, x: F.nll_loss(x, T(LABELS), reduction="sum"), [X34]),
    "normalize": (lambda F, T, x: F.normalize(x, p=2.0, dim=1), [X34]),
    "normalize_dim0": (lambda F, T, x: F.normalize(x, dim=0), [X34]),
    "pairwise_distance": (
        lambda F, T, a, b: F.pairwise_distance(a, b),
        [X34, R.standard_normal((3, 4))],
    ),
    "pairwise_distance_keepdim": (
        lambda F, T, a, b: F.pairwise_distance(a, b, keepdim=True),
        [X34, R.standard_normal(4)],
    ),
    "cosine_similarity": (
        lambda F, T, a, b: F.cosine_similarity(a, b),
        [X34, R.standard_normal((3, 4))],
    ),
    "cosine_similarity_dim0": (
        lambda F, T, a, b: F.cosine_similarity(a, b, dim=0),
        [X34, R.standard_normal((3, 4))],
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradcheck_gradgradcheck_and_torch(name):
    fn, arrays = CASES[name]
    check(fn, *arrays)


@pytest.mark.parametrize("p", [1.0, 3.0])
def test_norms_other_than_2(p):
    check(lambda F, T, a, b: F.pairwise_distance(a, b, p=p), X34, R.standard_normal((3, 4)))


@settings(max_examples=15, deadline=None)
@given(
    shape=st.lists(st.integers(1, 3), min_size=1, max_size=3).map(tuple),
    reduction=st.sampled_from(REDUCTIONS),
    loss=st.sampled_from(
        ["mse_loss", "l1_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits"]
    ),
    seed=st.integers(0, 2**16),
)
def test_elementwise_losses_any_shape_and_reduction(shape, reduction, loss, seed):
    rng = _rng(seed)
    if loss == "binary_cross_entropy":
        x = rng.uniform(0.05, 0.95, shape)
    else:
        x = rng.standard_normal(shape) * 2
    target = rng.uniform(0, 1, shape)
    check(lambda F, T, x: getattr(F, loss)(x, T(target), reduction=reduction), x)


@settings(max_examples=10, deadline=None)
@given(
    n=st.integers(1, 3),
    c=st.integers(2, 4),
    extra=st.lists(st.integers(1, 2), max_size=2).map(tuple),
    reduction=st.sampled_from(REDUCTIONS),
    seed=st.integers(0, 2**16),
)
def test_cross_entropy_any_shape_and_reduction(n, c, extra, reduction, seed):
    rng = _rng(seed)
    x = rng.standard_normal((n, c) + extra)
    t = rng.integers(0, c, (n,) + extra)
    check(lambda F, T, x: F.cross_entropy(x, T(t), reduction=reduction), x)


def test_bce_with_logits_is_finite_at_extreme_logits():
    x = mg.tensor([1e4, -1e4, 1e4, -1e4], dtype=mg.float64, requires_grad=True)
    y = mg.tensor([1.0, 0.0, 0.0, 1.0], dtype=mg.float64)
    loss = F.binary_cross_entropy_with_logits(x, y, reduction="none")
    np.testing.assert_allclose(loss.detach().numpy(), [0, 0, 1e4, 1e4])
    (g,) = mg.grad(loss.sum(), x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), [0, 0, 1, -1])
    (gg,) = mg.grad(g.sum(), x)
    assert np.all(np.isfinite(gg.numpy()))
    # float32 too: softplus, not log(sigmoid), so no log(0)
    x32 = mg.tensor([1e4, -1e4], requires_grad=True)
    out = F.binary_cross_entropy_with_logits(x32, mg.tensor([0.0, 1.0]))
    out.backward()
    assert out.item() == pytest.approx(1e4) and np.all(np.isfinite(x32.grad.numpy()))


def test_bce_at_probabilities_0_and_1_matchestorch_or_skip():
    x = np.array([0.0, 1.0, 0.0, 1.0, 0.5])
    y = np.array([1.0, 0.0, 0.0, 1.0, 0.3])
    xm = mg.tensor(x, dtype=mg.float64, requires_grad=True)
    loss = F.binary_cross_entropy(xm, y, reduction="none")
    np.testing.assert_allclose(loss.detach().numpy()[:4], [100, 100, 0, 0])
    loss.sum().backward()
    assert np.all(np.isfinite(xm.grad.numpy()))
    torch = torch_or_skip()
    tx = torch.tensor(x, requires_grad=True)
    tl = torch.nn.functional.binary_cross_entropy(tx, torch.tensor(y), reduction="none")
    tl.sum().backward()
    np.testing.assert_allclose(loss.detach().numpy(), tl.detach().numpy(), rtol=1e-12)
    # torch clamps x (1 - x) at a float32 1e-12, minigrad at the float64 one
    np.testing.assert_allclose(xm.grad.numpy(), tx.grad.numpy(), rtol=1e-8)


def test_bce_rejects_values_outside_0_1():
    with pytest.raises(ValueError, match="binary_cross_entropy"):
        F.binary_cross_entropy(mg.tensor([1.5]), mg.tensor([1.0]))


def _finite_through_second_order(fn, *tensors):
    out = fn(*tensors)
    assert np.all(np.isfinite(out.detach().numpy()))
    gs = mg.grad(out.sum(), tensors, create_graph=True)
    for g in gs:
        assert np.all(np.isfinite(g.detach().numpy()))
    ggs = mg.grad(sum((g * g).sum() for g in gs), tensors, allow_unused=True)
    for gg in ggs:
        assert gg is None or np.all(np.isfinite(gg.numpy()))
    return out, gs


def test_normalize_zero_vector_finite_to_second_order():
    x = mg.zeros(2, 3, dtype=mg.float64, requires_grad=True)
    out, (g,) = _finite_through_second_order(lambda x: F.normalize(x, dim=1), x)
    np.testing.assert_array_equal(out.detach().numpy(), 0)
    # the clamp passes no gradient to the norm, so d out / dx = I / eps, as in PyTorch
    np.testing.assert_allclose(g.detach().numpy(), 1e12)


def test_normalize_zero_row_matchestorch_or_skip():
    # no gradcheck here: at a zero row, x / max(||x||, eps) is not smooth on the scale of
    # finite differences
    x = np.array([[0.0, 0.0, 0.0], [1.0, -2.0, 2.0]])
    xm = mg.tensor(x, requires_grad=True)
    F.normalize(xm).sum().backward()
    torch = torch_or_skip()
    tx = torch.tensor(x, requires_grad=True)
    torch.nn.functional.normalize(tx).sum().backward()
    np.testing.assert_allclose(xm.grad.numpy(), tx.grad.numpy(), rtol=1e-12)


def test_pairwise_distance_of_equal_vectors_finite_to_second_order():
    a = mg.ones(3, 4, dtype=mg.float64, requires_grad=True)
    b = mg.ones(3, 4, dtype=mg.float64, requires_grad=True)
    out, _ = _finite_through_second_order(F.pairwise_distance, a, b)
    np.testing.assert_allclose(out.detach().numpy(), 1e-6 * 2)  # ||eps * 1||, D = 4


def test_cosine_similarity_of_zero_vectors_finite_to_second_order():
    a = mg.zeros(3, 4, dtype=mg.float64, requires_grad=True)
    b = mg.tensor(_rng().standard_normal((3, 4)), requires_grad=True)
    out, _ = _finite_through_second_order(F.cosine_similarity, a, b)
    np.testing.assert_array_equal(out.detach().numpy(), 0)


@pytest.mark.parametrize("loss", ["binary_cross_entropy", "binary_cross_entropy_with_logits"])
def test_shape_mismatch_names_loss_and_shapes(loss):
    x = mg.full((4, 1), 0.5, requires_grad=True)
    with pytest.raises(ValueError, match=rf"{loss}.*\(4, 1\).*\(4,\)"):
        getattr(F, loss)(x, mg.full((4,), 0.5))


@pytest.mark.parametrize("loss", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"])
def test_shape_mismatch_of_regression_losses_warns_and_broadcasts(loss):
    """As PyTorch: an (N, 1) prediction against an (N,) target broadcasts to (N, N), with a
    warning that names the loss and both shapes."""
    torch = pytest.importorskip("torch")
    a, b = np.arange(4.0).reshape(4, 1), np.arange(4.0) * 0.5
    with pytest.warns(UserWarning, match=rf"{loss}.*\(4,\).*\(4, 1\)"):
        got = getattr(F, loss)(mg.tensor(a), mg.tensor(b))
    with pytest.warns(UserWarning):
        want = getattr(torch.nn.functional, loss)(torch.tensor(a), torch.tensor(b))
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12)


def test_nll_and_cross_entropy_target_shape_errors():
    x = mg.randn(4, 3)
    with pytest.raises(ValueError, match=r"nll_loss.*\(4, 3\).*\(4,\).*\(4, 3\)"):
        F.nll_loss(x, mg.zeros(4, 3, dtype=mg.int64))
    with pytest.raises(ValueError, match=r"cross_entropy.*\(4, 3\).*\(4, 2\)"):
        F.cross_entropy(x, mg.zeros(4, 2))
    with pytest.raises(IndexError, match="out of range"):
        F.nll_loss(x, mg.tensor([0, 1, 2, 3]))
    with pytest.raises(ValueError, match="reduction"):
        F.mse_loss(x, x, reduction="avg")


@pytest.mark.filterwarnings("ignore:invalid value encountered")
def test_cross_entropy_all_ignored_is_nan_liketorch_or_skip():
    x = mg.randn(2, 3)
    out = F.cross_entropy(x, mg.tensor([-100, -100]))
    assert np.isnan(out.item())


def test_losses_keep_float32_on_device(device):
    x = mg.randn(4, 3, device=device, requires_grad=True)
    for loss in (
        F.mse_loss(x, mg.zeros(4, 3, device=device)),
        F.binary_cross_entropy_with_logits(x, mg.ones(4, 3, device=device)),
        F.binary_cross_entropy(F.sigmoid(x), mg.ones(4, 3, device=device)),
        F.cross_entropy(x, mg.tensor([0, 1, 2, 0], device=device)),
        F.mse_loss(x, mg.zeros(4, 3, dtype=mg.int64, device=device)),  # int target: float32
    ):
        assert loss.dtype == np.float32 and loss.device == device and loss.shape == ()
        loss.backward()
    assert x.grad.device == device


def test_dropout_train_eval_and_gradient(device):
    x = mg.ones(200, 50, device=device, requires_grad=True)
    y = F.dropout(x, 0.3, training=True)
    kept = y.detach().numpy() != 0
    assert 0.65 < kept.mean() < 0.75
    np.testing.assert_allclose(y.detach().numpy()[kept], 1 / 0.7, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.detach().numpy())
    assert F.dropout(x, 0.3, training=False) is x
    assert F.dropout(x, 0.0) is x
    np.testing.assert_array_equal(F.dropout(x, 1.0).detach().numpy(), 0)
    with pytest.raises(ValueError, match="probability"):
        F.dropout(x, 1.5)


def test_dropout_mask_is_seeded():
    mg.manual_seed(3)
    a = F.dropout(mg.ones(10, 10), 0.5).numpy()
    mg.manual_seed(3)
    b = F.dropout(mg.ones(10, 10), 0.5).numpy()
    np.testing.assert_array_equal(a, b)


def test_dropout_double_backward():
    x = mg.tensor(_rng().standard_normal((3, 4)), requires_grad=True)

    def f(x):
        mg.manual_seed(1)  # the same mask on every call, so finite differences see one f
        return F.dropout(x * x, 0.5)

    mg.gradcheck(f, [x])
    mg.gradgradcheck(f, [x])


def test_softmax_implicit_dim_warns_and_follows_torch_rule():
    x = mg.randn(2, 3)
    with pytest.warns(UserWarning, match="implicit dim"):
        y = F.softmax(x)
    np.testing.assert_allclose(y.numpy().sum(axis=1), 1, rtol=1e-6)
