"""Values and gradients against PyTorch where ops have kinks, zeros, infinities, NaN, ties
and integer or bool inputs: places where a product with a 0/1 mask or a float64 default
would silently differ."""

import numpy as np
import pytest

import minigrad as mg
from minigrad import ops
from minigrad.nn import functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

# no -0.0: minigrad does not keep the sign of a zero through max/clamp
EDGES = [-np.inf, -2.0, -1.0, 0.0, 0.5, 1.0, 2.0, np.inf, np.nan]


def _both(fn_mg, fn_torch, values, dtype=np.float64):
    """fn on the same values in minigrad and torch: (ours y, g), (torch y, g) as arrays,
    g the gradient of y.sum()."""
    x = mg.tensor(np.array(values, dtype=dtype), requires_grad=True)
    t = torch.tensor(np.array(values, dtype=dtype), requires_grad=True)
    y, ty = fn_mg(x), fn_torch(t)
    y.sum().backward()
    ty.sum().backward()
    g = np.zeros(x.shape) if x.grad is None else x.grad.numpy()
    tg = np.zeros(tuple(t.shape)) if t.grad is None else t.grad.numpy()
    return (y.detach().numpy(), g), (ty.detach().numpy(), tg)


def _assert_like_torch(fn_mg, fn_torch, values, dtype=np.float64):
    (y, g), (ty, tg) = _both(fn_mg, fn_torch, values, dtype)
    np.testing.assert_allclose(y, ty, rtol=1e-6, equal_nan=True, err_msg="value")
    np.testing.assert_allclose(g, tg, rtol=1e-6, equal_nan=True, err_msg="gradient")
    assert y.dtype == np.dtype(str(ty.dtype)), (y.dtype, ty.dtype)


def _zeros_like_t(t):
    return torch.zeros_like(t)


# ---------------------------------------------------------------- 1. gradient gates
GATES = {
    "relu": (ops.relu, torch.relu),
    "relu_sqrt": (lambda x: ops.relu(x).sqrt(), lambda t: torch.relu(t).sqrt()),
    "relu_log": (lambda x: ops.relu(x).log(), lambda t: torch.relu(t).log()),
    "clamp_sqrt": (lambda x: x.clip(0.0, 1.0).sqrt(), lambda t: t.clamp(0.0, 1.0).sqrt()),
    "clamp_min_log": (lambda x: x.clip(min=0.0).log(), lambda t: t.clamp(min=0.0).log()),
    "clamp_max": (lambda x: -x.clip(max=0.0).sqrt(), lambda t: -t.clamp(max=0.0).sqrt()),
    "clamp_tensor": (
        lambda x: x.clip(mg.zeros(9, dtype=mg.float64), mg.ones(9, dtype=mg.float64)).sqrt(),
        lambda t: t.clamp(torch.zeros(9, dtype=t.dtype), torch.ones(9, dtype=t.dtype)).sqrt(),
    ),
    "where_sqrt": (
        lambda x: mg.where(x > 0, x, mg.zeros(9, dtype=mg.float64)).sqrt(),
        lambda t: torch.where(t > 0, t, torch.zeros(9, dtype=t.dtype)).sqrt(),
    ),
    "where_scalar_sqrt": (
        lambda x: mg.where(x > 0, x, 0.0).sqrt(),
        lambda t: torch.where(t > 0, t, 0.0).sqrt(),
    ),
    "where_scalar_first": (
        lambda x: mg.where(x > 0, 1.0, x).log(),
        lambda t: torch.where(t > 0, 1.0, t).log(),
    ),
    "maximum_sqrt": (
        lambda x: mg.maximum(x, mg.zeros(9, dtype=mg.float64)).sqrt(),
        lambda t: torch.maximum(t, torch.zeros(9, dtype=t.dtype)).sqrt(),
    ),
    "minimum": (
        lambda x: mg.minimum(x, mg.ones(9, dtype=mg.float64)),
        lambda t: torch.minimum(t, torch.ones(9, dtype=t.dtype)),
    ),
    "leaky_relu_sqrt": (
        lambda x: ops.leaky_relu(x, 0.1).sqrt(),
        lambda t: TF.leaky_relu(t, 0.1).sqrt(),
    ),
    "abs": (ops.abs, torch.abs),
    "abs_sqrt": (lambda x: ops.abs(x).sqrt(), lambda t: t.abs().sqrt()),
    "max_all_inf": (lambda x: x[:8].max() * np.inf, lambda t: t[:8].max() * np.inf),
    "max_all_nan": (lambda x: x.max(), lambda t: t.max()),
    "min_all_nan": (lambda x: x.min(), lambda t: t.min()),
    "max_dim_inf": (lambda x: x[:8].max(0)[0] * np.inf, lambda t: t[:8].max(0)[0] * np.inf),
    "min_dim_nan": (lambda x: x.min(0)[0], lambda t: t.min(0)[0]),
    "amax_inf": (lambda x: x[:8].amax() * np.inf, lambda t: t[:8].amax() * np.inf),
    "amax_nan": (lambda x: x.amax(0), lambda t: t.amax(0)),
}


@pytest.mark.parametrize("name", sorted(GATES))
def test_gates_match_torch_at_edges(name):
    _assert_like_torch(*GATES[name], EDGES)


@pytest.mark.parametrize(
    "name",
    ["relu_sqrt", "clamp_sqrt", "where_scalar_sqrt", "relu_log", "max_all_inf"],
)
def test_gates_float32(name):
    _assert_like_torch(*GATES[name], EDGES, dtype=np.float32)


def test_ties_follow_torch():
    a = [1.0, 2.0, 3.0, 3.0]
    b = [1.0, 3.0, 2.0, 3.0]
    for fm, ft in [
        (mg.maximum, torch.maximum),
        (mg.minimum, torch.minimum),
        (lambda p, q: p.clip(min=q), lambda p, q: p.clamp(min=q)),
        (lambda p, q: p.clip(max=q), lambda p, q: p.clamp(max=q)),
        (lambda p, q: p.clip(q, q + 0.5), lambda p, q: p.clamp(q, q + 0.5)),
        (lambda p, q: p.clip(q + 0.5, q), lambda p, q: p.clamp(q + 0.5, q)),  # lo > hi
    ]:
        x, y = (mg.tensor(v, dtype=mg.float64, requires_grad=True) for v in (a, b))
        tx, ty = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (a, b))
        fm(x, y).sum().backward()
        ft(tx, ty).sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())
        np.testing.assert_array_equal(y.grad.numpy(), ty.grad.numpy())
    x = mg.tensor([1.0, 3.0, 3.0, 0.0], requires_grad=True)
    t = torch.tensor([1.0, 3.0, 3.0, 0.0], requires_grad=True)
    x.max().backward()
    t.max().backward()
    np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())  # 0.5 / 0.5 on the tie


def test_gates_double_backward_match_torch():
    """Second derivatives through the gates (the gradient-penalty path)."""
    v = np.array([-1.5, -0.5, 0.3, 1.2, 2.5])
    fns = [
        (lambda x: ops.relu(x) ** 3, lambda t: torch.relu(t) ** 3),
        (lambda x: x.clip(-1.0, 1.0) ** 3, lambda t: t.clamp(-1.0, 1.0) ** 3),
        (lambda x: mg.where(x > 0, x**3, 0.0), lambda t: torch.where(t > 0, t**3, 0.0)),
        (lambda x: mg.maximum(x**3, x), lambda t: torch.maximum(t**3, t)),
        (lambda x: x.max() ** 3 + x.max(0)[0] ** 2, lambda t: t.max() ** 3 + t.max(0)[0] ** 2),
    ]
    for fm, ft in fns:
        x = mg.tensor(v, requires_grad=True)
        t = torch.tensor(v, requires_grad=True)
        (g,) = mg.grad(fm(x).sum(), x, create_graph=True)
        (tg,) = torch.autograd.grad(ft(t).sum(), t, create_graph=True)
        (gg,) = mg.grad((g * g).sum(), x)
        (tgg,) = torch.autograd.grad((tg * tg).sum(), t)
        np.testing.assert_allclose(g.detach().numpy(), tg.detach().numpy(), rtol=1e-12)
        np.testing.assert_allclose(gg.numpy(), tgg.numpy(), rtol=1e-12)


# ---------------------------------------------------------------- 2. cross_entropy
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("targets", [[-100, -100, -100], [1, -100, 1], [2, 0, 1]])
def test_cross_entropy_ignore_index_like_torch(reduction, weighted, targets):
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((3, 4))
    w = np.array([1.0, 0.5, 2.0, 0.0])
    x = mg.tensor(logits, requires_grad=True)
    t = torch.tensor(logits, requires_grad=True)
    kw = {"reduction": reduction}
    loss = F.cross_entropy(x, mg.tensor(targets), weight=mg.tensor(w) if weighted else None, **kw)
    tloss = TF.cross_entropy(
        t, torch.tensor(targets), weight=torch.tensor(w) if weighted else None, **kw
    )
    loss.sum().backward()
    tloss.sum().backward()
    np.testing.assert_allclose(loss.detach().numpy(), tloss.detach().numpy(), equal_nan=True)
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_all_ignored_gives_zero_gradient_to_parameters():
    lin = mg.nn.Linear(4, 3)
    loss = F.cross_entropy(lin(mg.randn(2, 4)), mg.tensor([-100, -100]))
    loss.backward()
    assert np.isnan(loss.item())
    for p in lin.parameters():
        np.testing.assert_array_equal(p.grad.numpy(), 0.0)


# ---------------------------------------------------------------- 3. NaN where torch is finite
def test_std_of_constant_has_zero_gradient():
    for v, dim in (([3.0, 3.0, 3.0], None), ([[1.0, 1.0], [1.0, 2.0]], 1), ([5.0], None)):
        _assert_like_torch(lambda x, d=dim: ops.std(x, d), lambda t, d=dim: t.std(d), v)

    # the method, as PyTorch programs call it, and the function form
    for v, kw in (
        ([3.0, 3.0, 3.0], {}),
        ([[1.0, 1.0], [1.0, 2.0]], {"dim": 1}),
        ([2.0, 2.0], {"unbiased": False}),
        ([[4.0, 4.0]], {"dim": 1, "keepdim": True}),
    ):
        _assert_like_torch(lambda x, k=kw: x.std(**k), lambda t, k=kw: t.std(**k), v)
        _assert_like_torch(lambda x, k=kw: mg.std(x, **k), lambda t, k=kw: torch.std(t, **k), v)


DTYPES = ["bool", "uint8", "int32", "int64", "float32", "float64"]


@pytest.mark.parametrize("da", DTYPES)
@pytest.mark.parametrize("db", DTYPES)
def test_cat_and_stack_promote_like_torch(da, db):
    a, b = np.array([1, 0, 1]).astype(da), np.array([0, 1, 1]).astype(db)
    for fm, ft in ((mg.cat, torch.cat), (mg.stack, torch.stack)):
        got = fm([mg.tensor(a), mg.tensor(b)])
        want = ft([torch.tensor(a), torch.tensor(b)])
        assert str(got.dtype) == str(want.dtype).removeprefix("torch."), (fm, da, db)
        np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_cat_of_float32_and_int64_keeps_the_gradient():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = mg.cat([x, mg.arange(3)])
    assert y.dtype == np.float32
    (y * mg.arange(5).float()).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0])


@pytest.mark.parametrize("a", [0.0, -2.0, 2.0])
@pytest.mark.parametrize("b", [0.0, 2.0, 3.0, 0.5, -1.0, 1.0])
def test_pow_tensor_tensor_at_zero_base_like_torch(a, b):
    x = mg.tensor([a], dtype=mg.float64, requires_grad=True)
    e = mg.tensor([b], dtype=mg.float64, requires_grad=True)
    tx = torch.tensor([a], dtype=torch.float64, requires_grad=True)
    te = torch.tensor([b], dtype=torch.float64, requires_grad=True)
    (x**e).sum().backward()
    (tx**te).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), equal_nan=True)
    np.testing.assert_allclose(e.grad.numpy(), te.grad.numpy(), equal_nan=True)


@pytest.mark.parametrize("c", [0, 0.0, 1, 2, 3, 0.5, 2.0, -1])
def test_pow_constant_exponent_like_torch(c):
    _assert_like_torch(lambda x: x**c, lambda t: t**c, [0.0, -2.0, 1.5, 3.0])
    (y, g), _ = _both(lambda x: (x**c) * np.inf, lambda t: (t**c) * np.inf, [0.0, 1.5])
    if c == 0:  # PyTorch: the gradient of x ** 0 is 0, whatever flows in
        np.testing.assert_array_equal(g, 0.0)


@pytest.mark.parametrize("p", [1, 3, 1.5, 0.5, 0, float("inf"), -float("inf"), 2])
@pytest.mark.parametrize("values", [[0.0, 0.0], [0.0, 2.0, -1.0], [[0.0, 0.0], [3.0, -4.0]]])
def test_norm_at_zero_like_torch(p, values):
    _assert_like_torch(lambda x: x.norm(p), lambda t: t.norm(p), values)
    if np.ndim(values) == 2:
        _assert_like_torch(lambda x: x.norm(p, dim=1), lambda t: t.norm(p, dim=1), values)


def test_norm_of_negative_p_as_pytorch_and_a_non_number_refused():
    torch = pytest.importorskip("torch")
    x = np.array([0.5, -2.0, 3.0])
    assert mg.tensor(x).norm(-1).item() == pytest.approx(torch.tensor(x).norm(-1).item())
    with pytest.raises(ValueError, match="linalg.matrix_norm: Order x not supported"):
        mg.randn(3).norm("x")


# ---------------------------------------------------------------- 4. dtypes
DTYPES = ["bool", "uint8", "int32", "int64", "float32", "float64"]
SCALARS = [True, 3, 2.5]


def _mg(dtype, shape=(3,)):
    return mg.tensor(np.ones(shape, dtype=dtype) * (dtype != "bool") + (dtype == "bool"))


def _t(dtype, shape=(3,)):
    return torch.ones(shape, dtype=getattr(torch, dtype))


@pytest.mark.parametrize("a", DTYPES)
@pytest.mark.parametrize("b", DTYPES + SCALARS)
def test_binary_result_type_table(a, b):
    tb = b if not isinstance(b, str) else _t(b)
    mb = b if not isinstance(b, str) else _mg(b)
    want = torch.result_type(_t(a), tb)
    assert str(want) == f"torch.{mg.ops.elementwise.result_dtype(_mg(a), mb)}"
    for op in ("add", "mul"):
        y = getattr(ops, op)(_mg(a), mb)
        assert str(getattr(torch, op)(_t(a), tb).dtype) == f"torch.{y.dtype}", op
        y = getattr(ops, op)(mb, _mg(a))  # the scalar (or tensor) on the left
        assert str(getattr(torch, op)(tb, _t(a)).dtype) == f"torch.{y.dtype}", op
    if a != "bool" or b not in ("bool", True):
        y = ops.div(_mg(a), mb)
        assert str(torch.div(_t(a), tb).dtype) == f"torch.{y.dtype}"


def test_zero_dim_tensors_lose_to_dims_like_torch():
    for a, b in [
        ("float32", "float64"),
        ("int32", "int64"),
        ("uint8", "int64"),
        ("int32", "float64"),
    ]:
        ours = ops.add(_mg(a), _mg(b, ())).dtype
        assert str(torch.add(_t(a), _t(b, ())).dtype) == f"torch.{ours}", (a, b)


UNARY = {
    "sqrt": (ops.sqrt, torch.sqrt),
    "exp": (ops.exp, torch.exp),
    "log": (ops.log, torch.log),
    "sigmoid": (ops.sigmoid, torch.sigmoid),
    "tanh": (ops.tanh, torch.tanh),
    "logsumexp": (lambda x: ops.logsumexp(x, 0), lambda t: torch.logsumexp(t, 0)),
    # ops.norm casts (pairwise_distance takes integers); Tensor.norm refuses, as PyTorch
    "norm": (lambda x: ops.norm(x), lambda t: torch.linalg.vector_norm(t.float())),
    "pow_half": (lambda x: x**0.5, lambda t: t**0.5),
    "pow_two": (lambda x: x**2, lambda t: t**2),
    "rpow": (lambda x: 2.0**x, lambda t: 2.0**t),
    "div": (lambda x: x / 2, lambda t: t / 2),
    "clamp_half": (lambda x: x.clip(0.5, 2), lambda t: t.clamp(0.5, 2)),
    "sum": (lambda x: x.sum(), lambda t: t.sum()),
    "sum_dim": (lambda x: x.sum(0), lambda t: t.sum(0)),
    "mean_float": (lambda x: x.mean(dtype=mg.float32), lambda t: t.mean(dtype=torch.float32)),
}


@pytest.mark.parametrize("dtype", ["bool", "uint8", "int32", "int64"])
@pytest.mark.parametrize("name", sorted(UNARY))
def test_float_ops_on_integers_like_torch(name, dtype):
    fm, ft = UNARY[name]
    v = np.array([1, 0, 3]).astype(dtype)
    y, ty = fm(mg.tensor(v)), ft(torch.tensor(v))
    assert str(ty.dtype) == f"torch.{y.dtype}"
    np.testing.assert_allclose(y.numpy(), ty.numpy(), rtol=1e-6)


@pytest.mark.parametrize("dtype", ["bool", "uint8", "int32", "int64"])
@pytest.mark.parametrize("name", ["mean", "var", "std"])
def test_mean_var_std_of_integers_are_refused_as_in_torch(name, dtype):
    v = np.array([1, 0, 3]).astype(dtype)
    with pytest.raises(RuntimeError):
        getattr(torch.tensor(v), name)()
    with pytest.raises(RuntimeError, match=f"{name}.*floating point.*{dtype}"):
        getattr(mg.tensor(v), name)()


@pytest.mark.parametrize("dtype", ["bool", "int64"])
def test_softmax_family_on_integers_gives_float32(dtype):
    """PyTorch has no integer softmax kernels; minigrad computes in the default float."""
    v = np.array([1, 0, 1]).astype(dtype)
    want = torch.tensor(v).float()
    for fm, ft in [
        (lambda x: ops.softmax(x, 0), lambda t: t.softmax(0)),
        (lambda x: ops.log_softmax(x, 0), lambda t: t.log_softmax(0)),
        (ops.softplus, TF.softplus),
    ]:
        y = fm(mg.tensor(v))
        assert y.dtype == np.float32
        np.testing.assert_allclose(y.numpy(), ft(want).numpy(), rtol=1e-6)


@pytest.mark.parametrize("dim", [(), []])
def test_empty_dim_reduces_everything(dim):
    v = np.arange(6.0).reshape(2, 3)
    t = torch.tensor(v, requires_grad=True)
    for name in ("sum", "mean", "amax", "amin", "var"):
        x = mg.tensor(v, requires_grad=True)
        y, ty = getattr(x, name)(dim=dim), getattr(t, name)(dim=dim)
        assert y.shape == tuple(ty.shape) == (), name
        np.testing.assert_allclose(y.item(), ty.item())
        if name == "var":
            continue  # PyTorch's var(dim=()) gradient is inf (its own bug); value only
        y.backward()
        t.grad = None
        ty.backward()
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy())
    x = mg.tensor(v)
    assert x.sum(dim=dim, keepdim=True).shape == (1, 1)
    np.testing.assert_allclose(x.norm(dim=dim).item(), t.norm(dim=dim).item())
    np.testing.assert_allclose(ops.std(x, dim).item(), t.std(dim=dim).item())


def test_loss_target_dtypes_like_torch():
    rng = np.random.default_rng(1)
    p = rng.uniform(0.1, 0.9, (4,)).astype(np.float32)
    for fm, ft in [(F.mse_loss, TF.mse_loss), (F.l1_loss, TF.l1_loss)]:
        for tdt in ("float64", "int64", "int32", "float32"):
            x = mg.tensor(p, requires_grad=True)
            tx = torch.tensor(p, requires_grad=True)
            tv = np.array([0, 1, 1, 0]).astype(tdt)
            y, ty = fm(x, mg.tensor(tv)), ft(tx, torch.tensor(tv))
            assert str(ty.dtype) == f"torch.{y.dtype}", (fm, tdt)
            y.backward()
            ty.backward()
            assert x.grad.dtype == np.float32
            np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-6)
    # soft-label cross-entropy promotes; a float64 target gives a float64 loss
    logits = rng.standard_normal((2, 3)).astype(np.float32)
    probs = np.full((2, 3), 1 / 3)
    y = F.cross_entropy(mg.tensor(logits), mg.tensor(probs))
    ty = TF.cross_entropy(torch.tensor(logits), torch.tensor(probs))
    assert y.dtype == np.float64 and ty.dtype == torch.float64
    np.testing.assert_allclose(y.item(), ty.item(), rtol=1e-6)


def test_loss_targets_torch_refuses_are_refused():
    x = mg.tensor([0.2, 0.7])
    with pytest.raises(TypeError, match="binary_cross_entropy: target of dtype int64"):
        F.binary_cross_entropy(x, mg.tensor([0, 1]))
    with pytest.raises(TypeError, match="binary_cross_entropy: target of dtype float64"):
        F.binary_cross_entropy(x, mg.tensor([0.0, 1.0], dtype=mg.float64))
    with pytest.raises(TypeError, match="binary_cross_entropy_with_logits: target of dtype"):
        F.binary_cross_entropy_with_logits(x, mg.tensor([0, 1]))
    logits = mg.randn(2, 3)
    for dt in (np.int32, np.int16, np.bool_):
        with pytest.raises(TypeError, match=f"nll_loss: target must hold int64.*got {dt.__name__}"):
            F.cross_entropy(logits, mg.tensor(np.array([0, 1], dtype=dt)))
    # uint8 class indices are accepted, as in PyTorch
    y = F.cross_entropy(logits, mg.tensor(np.array([0, 2], dtype=np.uint8)))
    ty = TF.cross_entropy(torch.tensor(logits.numpy()), torch.tensor([0, 2], dtype=torch.uint8))
    np.testing.assert_allclose(y.item(), ty.item(), rtol=1e-6)


# ---------------------------------------------------------------- 5. floor_divide, remainder
FD_A = [5.0, -5.0, 5.0, -5.0, 0.0, 1.0, -1.0, np.inf, 3.0, 7.5]
FD_B = [3.0, 3.0, -3.0, -3.0, 0.0, 0.0, 0.0, 2.0, np.inf, -2.0]


def test_floor_divide_and_remainder_floats_like_torch():
    a, b = np.array(FD_A), np.array(FD_B)
    for fm, ft in [(ops.floor_divide, torch.floor_divide), (ops.remainder, torch.remainder)]:
        y = fm(mg.tensor(a), mg.tensor(b))
        ty = ft(torch.tensor(a), torch.tensor(b))
        assert y.dtype == np.float64
        np.testing.assert_allclose(y.numpy(), ty.numpy(), equal_nan=True)
    x, d = mg.tensor(a, requires_grad=True), mg.tensor(b, requires_grad=True)
    tx, td = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    ops.remainder(x, d).sum().backward()
    torch.remainder(tx, td).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())
    np.testing.assert_allclose(d.grad.numpy(), td.grad.numpy(), equal_nan=True)


def test_remainder_broadcasts_scalars_and_double_backward():
    x = mg.tensor([[5.5, -2.5]], dtype=mg.float64, requires_grad=True)
    d = mg.tensor([[2.0], [-3.0]], dtype=mg.float64, requires_grad=True)
    assert mg.gradcheck(lambda p, q: ops.remainder(p, q), [x, d])
    assert mg.gradgradcheck(lambda p, q: ops.remainder(p, q) * p, [x, d])
    np.testing.assert_allclose(ops.remainder(x, 2).detach().numpy(), [[1.5, 1.5]])
    np.testing.assert_allclose(ops.remainder(7.0, mg.tensor([2.0, -2.0])).numpy(), [1.0, -1.0])


def test_floor_divide_has_no_derivative_like_torch():
    x = mg.tensor([5.0, -5.0], requires_grad=True)
    y = ops.floor_divide(x, 2.0)
    np.testing.assert_array_equal(y.detach().numpy(), [2.0, -3.0])
    with pytest.raises(RuntimeError, match="floor_divide: the derivative is not defined"):
        y.sum().backward()


@pytest.mark.parametrize("a_dt", ["int32", "int64", "uint8"])
def test_integer_floor_divide_and_remainder_like_torch(a_dt):
    a = np.array([7, 8, 9, 0], dtype=a_dt)
    b = np.array([2, 3, 4, 5], dtype=a_dt)
    for fm, ft in [(ops.floor_divide, torch.floor_divide), (ops.remainder, torch.remainder)]:
        for bm, bt in [(mg.tensor(b), torch.tensor(b)), (3, 3), (-2, -2), (2.5, 2.5)]:
            if a_dt == "uint8" and not isinstance(bm, mg.Tensor) and bm == -2:
                continue  # torch: -2 overflows uint8
            y, ty = fm(mg.tensor(a), bm), ft(torch.tensor(a), bt)
            assert str(ty.dtype) == f"torch.{y.dtype}", (fm, bm)
            np.testing.assert_array_equal(y.numpy(), ty.numpy())
    signed = np.array([7, -7, 7, -7])
    divs = np.array([2, 2, -2, -2])
    np.testing.assert_array_equal(
        ops.remainder(mg.tensor(signed), mg.tensor(divs)).numpy(),
        torch.remainder(torch.tensor(signed), torch.tensor(divs)).numpy(),
    )


def test_integer_division_by_zero_and_bool_raise():
    for op in (ops.floor_divide, ops.remainder):
        name = op.__name__
        with pytest.raises(ZeroDivisionError, match=f"{name}: integer division by zero"):
            op(mg.tensor([5, 6]), mg.tensor([1, 0]))
        with pytest.raises(ZeroDivisionError, match=name):
            op(mg.tensor([5, 6]), 0)
        with pytest.raises(TypeError, match=f"{name}: not defined for bool tensors"):
            op(mg.tensor([True]), mg.tensor([True]))
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            getattr(torch, name)(torch.tensor([5, 6]), torch.tensor([1, 0]))


@pytest.mark.parametrize(
    "a, b",
    [
        (1.0, 2.0),
        (1, 2),
        (1, 2.0),
        (True, 2),
        ("t_int64", 2.5),
        ("t_int32", 2),
        ("t_float64", 2.0),
        ("t_float32", 2),
        (0.0, "t_int64"),
        ("t_bool", False),
    ],
)
def test_where_with_python_scalars_like_torch(a, b):
    cond = np.array([True, False, True])

    def conv(v, lib):
        if isinstance(v, str):
            dt = v[2:]
            arr = np.array([1, 2, 3]).astype(dt)
            return mg.tensor(arr) if lib == "mg" else torch.tensor(arr)
        return v

    y = mg.where(mg.tensor(cond), conv(a, "mg"), conv(b, "mg"))
    ty = torch.where(torch.tensor(cond), conv(a, "t"), conv(b, "t"))
    assert str(ty.dtype) == f"torch.{y.dtype}"
    np.testing.assert_array_equal(y.numpy(), ty.numpy())


def test_where_scalars_gradient():
    x = mg.tensor([-1.0, 2.0, 3.0], requires_grad=True)
    mg.where(x > 0, 1.0, x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 0.0, 0.0])
    assert mg.gradgradcheck(
        lambda t: mg.where(t._data > 0, t**3, 0.0),
        [mg.tensor([-1.0, 2.0], dtype=mg.float64, requires_grad=True)],
    )


# ---------------------------------------------------------------- 6. other kinks
OTHERS = {
    "log_softmax_-inf": (
        lambda x: x.log_softmax(0),
        lambda t: t.log_softmax(0),
        [-np.inf, 0.0, 1.0],
    ),
    "softmax_-inf": (lambda x: x.softmax(0), lambda t: t.softmax(0), [-np.inf, 0.0, 1.0]),
    "logsumexp_all_-inf": (lambda x: x.logsumexp(0), lambda t: t.logsumexp(0), [-np.inf, -np.inf]),
    "logsumexp_-inf": (lambda x: x.logsumexp(0), lambda t: t.logsumexp(0), [-np.inf, 1.0]),
    "logsumexp_inf": (lambda x: x.logsumexp(0), lambda t: t.logsumexp(0), [np.inf, 1.0]),
    "softplus": (ops.softplus, TF.softplus, EDGES + [40.0, -800.0, 800.0]),
    "softplus_beta": (
        lambda x: F.softplus(x, beta=2.0),
        lambda t: TF.softplus(t, beta=2.0),
        EDGES + [9.0, 11.0, -800.0],
    ),
    "sigmoid": (ops.sigmoid, torch.sigmoid, EDGES + [40.0, -800.0, 800.0]),
    "log_sigmoid": (ops.log_sigmoid, TF.logsigmoid, EDGES + [40.0, -800.0, 800.0]),
    "tanh": (ops.tanh, torch.tanh, EDGES + [40.0, -800.0]),
    "exp": (ops.exp, torch.exp, EDGES),
    "log": (ops.log, torch.log, EDGES),
    "sqrt": (ops.sqrt, torch.sqrt, EDGES),
}


@pytest.mark.parametrize("name", sorted(OTHERS))
def test_other_kinks_like_torch(name):
    fm, ft, values = OTHERS[name]
    _assert_like_torch(fm, ft, values)
