"""PyTorch names a ported program expects, compared with PyTorch itself: hooks,
retain_grad, clone, from_numpy, device, dtype names, function forms, and
`autograd.Function` in PyTorch's static forward(ctx, ...) form."""

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")


def both(arr, requires_grad=False):
    return (
        mg.tensor(arr, dtype=mg.float64, requires_grad=requires_grad),
        torch.tensor(arr, dtype=torch.float64, requires_grad=requires_grad),
    )


# ---------------------------------------------------------------------- hooks
def test_register_hook_and_retain_grad_match_torch():
    results = []
    for lib in (mg, torch):
        x = lib.tensor([1.0, -2.0, 3.0], dtype=lib.float64, requires_grad=True)
        seen = []
        x.register_hook(lambda g, seen=seen: seen.append(g.detach().clone()))
        x.register_hook(lambda g: g * 2)  # replaces the leaf's gradient
        h = x * 3
        h.retain_grad()
        h.register_hook(lambda g: g + 1)  # runs before retain_grad stores it
        (h * h).sum().backward()
        results.append((x.grad.tolist(), h.grad.tolist(), seen[0].tolist(), h.retains_grad))
    assert results[0] == results[1]


def test_hook_handle_remove_and_grad_function():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    handle = x.register_hook(lambda g: g * 10)
    (gx,) = mg.grad((x * x).sum(), x)
    assert gx.tolist() == [20.0, 40.0]  # torch.autograd.grad runs leaf hooks too
    handle.remove()
    handle.remove()  # twice is harmless
    (x * x).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]


def test_hook_errors():
    with pytest.raises(RuntimeError, match="does not require grad"):
        mg.ones(2).register_hook(lambda g: g)
    with pytest.raises(RuntimeError, match="does not require grad"):
        mg.ones(2).retain_grad()
    x = mg.ones(2, requires_grad=True)
    x.register_hook(lambda g: mg.ones(3))
    with pytest.raises(RuntimeError, match="changed its gradient's shape"):
        (x * 2).sum().backward()


def test_retain_grad_on_leaf_is_a_no_op_and_accumulates_on_non_leaf():
    x = mg.ones(2, requires_grad=True)
    x.retain_grad()
    assert not x.retains_grad
    h = x * 2
    h.retain_grad()
    h.sum().backward(retain_graph=True)
    h.sum().backward()
    assert h.grad.tolist() == [2.0, 2.0] and x.grad.tolist() == [4.0, 4.0]
    with pytest.warns(UserWarning, match="non-leaf"):  # as PyTorch's
        assert (x * 2).grad is None


# ---------------------------------------------------------------------- small surface
def test_clone_is_a_differentiable_copy():
    x, tx = both([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    c = x.T.clone()
    assert c._data.flags.c_contiguous
    with mg.no_grad():
        c.detach().mul_(0)  # its own storage
    assert x.tolist() == tx.tolist()
    (x.clone() * x).sum().backward()
    (tx.clone() * tx).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())
    assert mg.gradcheck(lambda a: a.clone() * a, [x])


def test_from_numpy_shares_memory():
    a = np.arange(3, dtype=np.float64)
    t = mg.from_numpy(a)
    assert t.dtype == np.float64 and torch.from_numpy(a).dtype == torch.float64
    a[0] = 7
    t[1].add_(5)
    assert t.tolist() == [7.0, 6.0, 2.0] and a.tolist() == [7.0, 6.0, 2.0]
    with pytest.raises(TypeError, match="from_numpy"):
        mg.from_numpy([1, 2])


def test_device_objects():
    dev = mg.device("cuda" if mg.cuda.is_available() else "cpu")
    t = mg.ones(2).to(dev)
    assert t.device == dev.type and t.is_cuda == (dev.type == "cuda")
    assert mg.device("cpu") == "cpu" and mg.device("cuda:0") == mg.device("cuda", 0)
    assert str(mg.device("cuda:1")) == "cuda:1" and repr(mg.device("cpu")) == "device(type='cpu')"
    assert mg.ones(1).device == mg.device("cpu")
    with pytest.raises(ValueError, match="unknown device"):
        mg.device("tpu")


def test_dtype_names_and_casts_match_torch():
    a = [1.7, -2.2, 0.0]
    t, tt = mg.tensor(a), torch.tensor(a)
    for mine, theirs in [(mg.long, torch.long), (mg.int, torch.int), (mg.bool, torch.bool)]:
        assert t.to(mine).tolist() == tt.to(theirs).tolist()
    assert t.long().dtype == np.int64 and t.int().dtype == np.int32
    assert t.bool().tolist() == tt.bool().tolist()
    assert t.type(mg.double).dtype == np.float64 and t.type() == "float32"
    assert mg.float == np.float32 and mg.double == np.float64 and mg.half == np.float16
    # the dtype objects tensors carry, so `is`, sets and dicts work as with torch's dtypes
    assert mg.ones(1).dtype is mg.float and mg.ones(1, dtype=mg.half).dtype is mg.float16
    assert mg.arange(2).dtype in {mg.long, mg.int} and {mg.bool: 1}[(t > 0).dtype] == 1
    assert mg.zeros(2, dtype=mg.long).dtype == np.int64
    assert mg.ones(2).to(mg.float).dtype == np.float32


def test_comparison_methods_mm_t_match_torch():
    a = np.array([[1.0, 2.0], [2.0, np.nan]])
    b = np.array([[2.0, 2.0], [1.0, np.nan]])
    (x, tx), (y, ty) = both(a), both(b)
    for name in ("eq", "ne", "lt", "le", "gt", "ge"):
        assert getattr(x, name)(y).tolist() == getattr(tx, name)(ty).tolist(), name
        assert getattr(mg, name)(x, 2.0).tolist() == getattr(torch, name)(tx, 2.0).tolist()
    x, tx = both([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert x.t().tolist() == tx.t().tolist()
    assert x.mm(x.t()).tolist() == tx.mm(tx.t()).tolist()
    assert mg.mm(x, x.t()).tolist() == torch.mm(tx, tx.t()).tolist()
    assert mg.tensor([1.0, 2.0]).t().tolist() == [1.0, 2.0]
    assert mg.tensor(3.0).t().item() == 3.0
    with pytest.raises(RuntimeError, match="t\\(\\) expects"):
        mg.ones(2, 2, 2).t()
    with pytest.raises(RuntimeError, match="mm: expects two 2-D"):
        mg.mm(mg.ones(3), mg.ones(3))


def test_floordiv_and_mod_dunders_match_torch():
    a = np.array([7.0, -7.0, 7.5, -0.5])
    b = np.array([2.0, 2.0, -2.0, 3.0])
    (x, tx), (y, ty) = both(a), both(b)
    for mine, theirs in [(x // y, tx // ty), (x % y, tx % ty), (x // 2, tx // 2), (x % 2, tx % 2)]:
        np.testing.assert_allclose(mine.numpy(), theirs.numpy())
    np.testing.assert_allclose((9 // y).numpy(), (9 // ty).numpy())
    np.testing.assert_allclose((9 % y).numpy(), (9 % ty).numpy())
    i, ti = mg.tensor([7, -7]), torch.tensor([7, -7])
    assert (i // 2).tolist() == (ti // 2).tolist() and (i % 3).tolist() == (ti % 3).tolist()


def test_function_forms_match_torch():
    a = np.array([[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]])
    x, tx = both(a)
    assert mg.sum(x).item() == torch.sum(tx).item()
    assert mg.sum(x, 1, keepdim=True).tolist() == torch.sum(tx, 1, keepdim=True).tolist()
    assert mg.mean(x, 0).tolist() == torch.mean(tx, 0).tolist()
    assert mg.max(x).item() == torch.max(tx).item()
    assert mg.min(x).item() == torch.min(tx).item()
    mv, mi = mg.max(x, 1)
    tv, ti = torch.max(tx, 1)
    assert mv.tolist() == tv.tolist() and mi.tolist() == ti.tolist()
    assert mg.max(x, mg.ones(2, 3, dtype=mg.float64) * 3).tolist() == [[3, 5, 3], [4, 3, 6]]
    np.testing.assert_allclose(mg.std(x).item(), torch.std(tx).item())
    np.testing.assert_allclose(mg.std(x, 1).numpy(), torch.std(tx, 1).numpy())
    assert mg.pow(x, 2).tolist() == torch.pow(tx, 2).tolist()
    np.testing.assert_allclose(mg.pow(2, x).numpy(), torch.pow(2, tx).numpy())
    assert mg.clamp(x, 2, 4).tolist() == torch.clamp(tx, 2, 4).tolist()
    assert mg.flatten(x).tolist() == torch.flatten(tx).tolist()
    assert mg.numel(x) == torch.numel(tx) == 6
    assert mg.is_tensor(x) and not mg.is_tensor(a)
    assert mg.zeros_like(x).tolist() == torch.zeros_like(tx).tolist()
    assert mg.t(x).tolist() == torch.t(tx).tolist()
    b = np.arange(12.0).reshape(2, 3, 2)
    (p, tp), (q, tq) = both(b), both(b.transpose(0, 2, 1))
    assert mg.bmm(p, q).tolist() == torch.bmm(tp, tq).tolist()
    with pytest.raises(RuntimeError, match="bmm"):
        mg.bmm(x, x)


def test_random_like_follow_manual_seed():
    x = mg.zeros(3, 2, dtype=mg.float64)
    mg.manual_seed(1)
    r, u = mg.randn_like(x), mg.rand_like(x)
    assert r.shape == u.shape == (3, 2) and r.dtype == u.dtype == np.float64
    mg.manual_seed(1)
    assert mg.randn_like(x).tolist() == r.tolist() and mg.rand_like(x).tolist() == u.tolist()
    assert ((u.numpy() >= 0) & (u.numpy() < 1)).all()


# ---------------------------------------------------------------------- autograd.Function
class MyReLU(mg.autograd.Function):
    """The custom-op example from PyTorch's documentation, as written there."""

    @staticmethod
    def forward(ctx, input):  # noqa: A002
        ctx.save_for_backward(input)
        return input.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_output):
        (input,) = ctx.saved_tensors  # noqa: A001
        grad_input = grad_output.clone()
        grad_input[input < 0] = 0
        return grad_input


class TorchReLU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input):  # noqa: A002
        ctx.save_for_backward(input)
        return input.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_output):
        (input,) = ctx.saved_tensors  # noqa: A001
        grad_input = grad_output.clone()
        grad_input[input < 0] = 0
        return grad_input


def test_pytorch_docs_custom_relu():
    a = np.array([[-1.5, 2.0], [0.5, -0.25]])
    x, tx = both(a, requires_grad=True)
    y, ty = MyReLU.apply(x), TorchReLU.apply(tx)
    assert y.tolist() == ty.tolist()
    assert type(y.grad_fn) is MyReLU and y.requires_grad
    (y * y).sum().backward()
    (ty * ty).sum().backward()
    assert x.grad.tolist() == tx.grad.tolist()
    assert mg.gradcheck(MyReLU.apply, [x])
    with mg.no_grad():
        z = MyReLU.apply(x)
    assert not z.requires_grad and z.grad_fn is None


class ScaledMul(mg.autograd.Function):
    """Non-Tensor argument, needs_input_grad, two outputs, written with minigrad ops."""

    @staticmethod
    def forward(ctx, a, b, scale):
        ctx.save_for_backward(a, b)
        ctx.scale = scale
        ctx.seen_needs = ctx.needs_input_grad
        return a * b * scale, (a + b).argmax()

    @staticmethod
    def backward(ctx, g, g_idx):
        a, b = ctx.saved_tensors
        ctx.backward_needs = ctx.needs_input_grad
        ga = g * b * ctx.scale if ctx.needs_input_grad[0] else None
        gb = g * a * ctx.scale if ctx.needs_input_grad[1] else None
        return ga, gb, None


def test_ctx_function_non_tensor_args_needs_input_grad_multiple_outputs():
    a = mg.tensor([1.0, 2.0, 3.0], dtype=mg.float64, requires_grad=True)
    b = mg.tensor([0.5, -1.0, 2.0], dtype=mg.float64)
    y, idx = ScaledMul.apply(a, b, 3.0)
    ctx = y.grad_fn
    assert ctx.seen_needs == (True, False, False)
    assert idx.item() == 2 and not idx.requires_grad
    y.sum().backward()
    # saved tensors freed after use; the graph's shape stays
    assert set(ctx.__dict__) == {"_released", "edges", "needs_input_grad", "generation"}
    assert ctx.edges[1] is None  # b, which needs no gradient, is not kept
    np.testing.assert_allclose(a.grad.numpy(), b.numpy() * 3)
    b.requires_grad_()
    assert mg.gradcheck(lambda p, q: ScaledMul.apply(p, q, 0.5)[0], [a, b])
    assert mg.gradgradcheck(lambda p, q: ScaledMul.apply(p, q, 0.5)[0], [a, b])


def test_ctx_function_double_backward():
    class Cube(mg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x**2

    x, tx = both([0.5, -2.0], requires_grad=True)
    (g,) = mg.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
    (tg,) = torch.autograd.grad((tx**3).sum(), tx, create_graph=True)
    g.sum().backward()
    tg.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())
    assert mg.gradgradcheck(Cube.apply, [x])


def test_ctx_function_mark_non_differentiable_and_version_check():
    class SortVals(mg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            idx = mg.tensor(np.argsort(x.detach().numpy()))
            ctx.mark_non_differentiable(idx)
            ctx.save_for_backward(idx)
            return x[idx], idx

        @staticmethod
        def backward(ctx, g, _):
            (idx,) = ctx.saved_tensors
            gx = mg.zeros(g.shape, dtype=g.dtype)
            gx[idx] = g
            return gx

    x = mg.tensor([3.0, 1.0, 2.0], dtype=mg.float64, requires_grad=True)
    v, idx = SortVals.apply(x)
    assert not idx.requires_grad and v.requires_grad
    (v * mg.tensor([1.0, 2.0, 3.0], dtype=mg.float64)).sum().backward(retain_graph=True)
    assert x.grad.tolist() == [3.0, 1.0, 2.0]
    idx.fill_(0)  # a saved tensor changed in place
    with pytest.raises(RuntimeError, match="saved tensor 0 .* modified in place"):
        v.sum().backward()


def test_ctx_function_returning_its_input_and_errors():
    class Ident(mg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 2

    x = mg.ones(2, requires_grad=True)
    y = Ident.apply(x)
    assert y is not x and x.is_leaf and y.grad_fn is not None
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]

    class Wrong(mg.autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            return x * k

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(RuntimeError, match="returned 1 gradients for 2 forward arguments"):
        Wrong.apply(x, 2.0).sum().backward()

    class GradForConstant(Wrong):
        @staticmethod
        def backward(ctx, g):
            return g, g

    with pytest.raises(RuntimeError, match="argument 1, which is not a Tensor"):
        GradForConstant.apply(x, 2.0).sum().backward()
    assert Ident.apply(1.0) == 1.0  # no Tensor: forward's result, as PyTorch's
    with pytest.raises(TypeError, match="applied through an instance"):
        mg.ops.shape.Clone.apply(x)
    with pytest.raises(RuntimeError, match="second time"):
        y = Ident.apply(x)
        y.sum().backward()
        _ = y.grad_fn.saved_tensors


def test_autograd_module_functions_match_torch():
    x, tx = both([1.0, 2.0], requires_grad=True)
    w, tw = both([3.0, -1.0], requires_grad=True)
    outs = [(x * w).sum(), (x * x).sum()]
    touts = [(tx * tw).sum(), (tx * tx).sum()]
    mg.autograd.backward(outs, [mg.tensor(1.0, dtype=mg.float64), mg.tensor(2.0, dtype=mg.float64)])
    torch.autograd.backward(
        touts,
        [torch.tensor(1.0, dtype=torch.float64)] * 1 + [torch.tensor(2.0, dtype=torch.float64)],
    )
    assert x.grad.tolist() == tx.grad.tolist() and w.grad.tolist() == tw.grad.tolist()
    mg.autograd.backward((x * w).sum(), inputs=[w])
    torch.autograd.backward((tx * tw).sum(), inputs=[tw])
    assert x.grad.tolist() == tx.grad.tolist() and w.grad.tolist() == tw.grad.tolist()
    (g,) = mg.autograd.grad((x**3).sum(), [x])
    (tg,) = torch.autograd.grad((tx**3).sum(), [tx])
    assert g.tolist() == tg.tolist()


@pytest.mark.parametrize(
    "start,end,steps,dtype",
    [
        (-np.pi, np.pi, 2000, None),
        (0, 1, 5, None),
        (2, -3, 7, "float64"),
        (0, 10, 11, "int64"),
        (1.5, 1.5, 1, None),
        (0, 1, 0, None),
        (0, 1, 2, None),
    ],
)
def test_linspace_like_torch(start, end, steps, dtype):
    got = mg.linspace(start, end, steps, dtype=dtype)
    want = torch.linspace(start, end, steps, dtype=None if dtype is None else getattr(torch, dtype))
    assert str(got.dtype) == str(want.dtype).removeprefix("torch.")
    assert got.shape == tuple(want.shape)
    if steps:
        assert got.numpy()[0] == want.numpy()[0] and got.numpy()[-1] == want.numpy()[-1]
    # one rounding of the ends' magnitude (near 0 the values' own ulps are far finer)
    eps = np.finfo(got.dtype).eps if got.dtype.kind == "f" else 0
    tol = 2 * eps * max(abs(start), abs(end))
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=0, atol=tol)


def test_linspace_refuses_bad_steps():
    for steps in (-1, 2.5, True):
        with pytest.raises(ValueError, match="linspace: steps"):
            mg.linspace(0, 1, steps)


def test_autograd_module_has_gradcheck_as_torch():
    from minigrad.autograd import gradcheck, gradgradcheck

    x = mg.tensor([0.5, -1.5, 2.0], dtype=mg.float64, requires_grad=True)
    assert gradcheck(lambda a: (a * a.exp()).sum(), (x,))
    assert gradgradcheck(lambda a: (a * a.exp()).sum(), (x,))
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        mg.autograd.nothing_here  # noqa: B018
