"""The graph walk (minigrad/autograd.py): accumulation, retain_graph, grad modes, mg.grad,
double backward, deep graphs, freeing, pruning, in-place detection, anomaly detection and
error messages."""

import gc
import math
import sys
import warnings
import weakref

import numpy as np
import pytest

import minigrad as mg
from minigrad import ops
from minigrad.autograd import Function


def t64(*values, requires_grad=True):
    return mg.tensor(np.array(values, dtype=np.float64), requires_grad=requires_grad)


# ------------------------------------------------------------------ graph walk
def test_diamond_sums_both_paths():
    x = t64(2.0)
    a, b = x * 3, x.exp()
    y = a * b  # d/dx 3x e^x = 3 e^x (1 + x)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 3 * np.exp(2.0) * 3.0)


def test_reused_tensor_accumulates():
    x = t64(1.5, -2.0)
    y = x * x * x + x  # 3x^2 + 1
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 3 * np.array([1.5, -2.0]) ** 2 + 1)


def test_grad_accumulates_across_backward_calls():
    x = t64(1.0, 2.0)
    (x * 2).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2 + 2, 2 + 4])


def test_leaf_grads_are_independent_writable_arrays():
    """The walk passes gradients on without copying; .grad must still be private."""
    a, b = t64(1.0, 2.0), t64(3.0, 4.0)
    (a + b).sum().backward()  # add hands the same gradient to both
    a.grad.mul_(10)
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 1.0])
    x = mg.randn(3, 4, requires_grad=True)
    x.sum().backward()  # the gradient is a read-only broadcast view inside the walk
    x.grad.zero_()
    g = mg.ones(2, 2)
    w = mg.randn(2, 2, requires_grad=True)
    (w + 0).backward(g)
    w.grad.add_(1)
    np.testing.assert_array_equal(g.numpy(), 1.0)  # the caller's gradient is untouched
    (gw,) = mg.grad((w * 1).sum(), w)
    gw.zero_()


def test_second_backward_without_retain_graph_raises():
    x = t64(1.0, 2.0)
    y = (x.exp() * 2).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time.*retain_graph=True"):
        y.backward()


def test_retain_graph_allows_second_backward():
    x = t64(1.0, 2.0)
    y = (x.exp() * 2).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 4 * np.exp([1.0, 2.0]))


def test_backward_of_freed_branch_only_fails_if_needed():
    """mg.grad w.r.t. w does not need the part of the graph an earlier backward freed."""
    x = t64(1.0, 2.0)
    a = x * 2
    a.sum().backward()
    w = t64(3.0, 4.0)
    (gw,) = mg.grad((a * w).sum(), w)
    np.testing.assert_allclose(gw.numpy(), [2.0, 4.0])
    with pytest.raises(RuntimeError, match="second time"):
        mg.grad((a * w).sum(), x)


def test_no_grad_context_and_decorators_record_nothing():
    x = t64(1.0)
    with mg.no_grad():
        y = x * 2
    assert not y.requires_grad and y.creator is None

    @mg.no_grad()
    def f(t):
        return t * 2

    @mg.no_grad
    def g(t):
        return t * 2

    for out in (f(x), g(x)):
        assert not out.requires_grad and out.creator is None
    assert mg.is_grad_enabled()
    assert (x * 2).requires_grad


def test_enable_grad_inside_no_grad():
    x = t64(1.0)
    with mg.no_grad():
        with mg.enable_grad():
            y = x * 2
        z = x * 2
        assert not mg.is_grad_enabled()
    assert y.requires_grad and not z.requires_grad

    @mg.enable_grad()
    def f(t):
        return t * 3

    with mg.no_grad():
        assert f(x).requires_grad
    with mg.set_grad_enabled(False):
        assert not (x * 2).requires_grad


def test_detach_cuts_the_graph():
    x = t64(1.0, 2.0)
    y = x * 3
    d = y.detach()
    assert not d.requires_grad and d.creator is None
    (d * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 6.0])


def test_requires_grad_errors():
    with pytest.raises(RuntimeError, match="only floating-point"):
        mg.arange(3).requires_grad_()
    with pytest.raises(RuntimeError, match="only floating-point"):
        mg.tensor([1, 2], requires_grad=True)
    y = t64(1.0) * 2
    with pytest.raises(RuntimeError, match="only allowed on leaf"):
        y.requires_grad_(False)
    x = mg.tensor([1.0])
    assert x.requires_grad_() is x and x.requires_grad


# ------------------------------------------------------------------ mg.grad
def test_grad_with_grad_outputs_leaves_dot_grad_alone():
    x = t64(1.0, 2.0, 3.0)
    y = x * x
    (g,) = mg.grad(y, x, grad_outputs=t64(1.0, 0.5, 0.0, requires_grad=False))
    np.testing.assert_allclose(g.numpy(), [2.0, 2.0, 0.0])
    assert x.grad is None and not g.requires_grad


def test_grad_of_several_outputs_and_inputs():
    x, w = t64(1.0, 2.0), t64(3.0, 4.0)
    gx, gw = mg.grad([(x * w).sum(), (x * x).sum()], [x, w])
    np.testing.assert_allclose(gx.numpy(), [3 + 2, 4 + 4])
    np.testing.assert_allclose(gw.numpy(), [1.0, 2.0])


def test_grad_wrt_intermediate_tensor():
    x = t64(1.0, 2.0)
    h = x * 3
    y = (h * h).sum()
    gh, gx = mg.grad(y, [h, x])
    np.testing.assert_allclose(gh.numpy(), 2 * 3 * np.array([1.0, 2.0]))
    np.testing.assert_allclose(gx.numpy(), 18 * np.array([1.0, 2.0]))


def test_allow_unused():
    x, unused = t64(1.0), t64(2.0)
    y = (x * 2).sum()
    with pytest.raises(RuntimeError, match="input 1 of shape \\(1,\\) was not used.*allow_unused"):
        mg.grad(y, [x, unused], retain_graph=True)
    gx, gu = mg.grad(y, [x, unused], allow_unused=True)
    assert gu is None
    np.testing.assert_allclose(gx.numpy(), [2.0])


def test_grad_argument_errors():
    x = t64(1.0, 2.0)
    with pytest.raises(RuntimeError, match="does not require grad"):
        mg.grad((x * 2).sum(), mg.tensor([1.0]))
    with pytest.raises(RuntimeError, match="only for scalar outputs.*shape \\(2,\\)"):
        mg.grad(x * 2, x)
    with pytest.raises(RuntimeError, match="grad_output of shape \\(3,\\) does not match"):
        mg.grad(x * 2, x, grad_outputs=mg.ones(3, dtype=mg.float64))
    with pytest.raises(ValueError, match="1 outputs but 2 grad_outputs"):
        mg.grad(x * 2, x, grad_outputs=[None, None])


def test_pruning_skips_branches_that_do_not_reach_the_input():
    calls = []

    class Spy(Function):
        uses_inputs = False

        def __init__(self, name):
            self.name = name

        def forward(self, a):
            return a * 1.0

        def backward(self, gy):
            calls.append(self.name)
            return gy

    x, w = t64(1.0, 2.0), t64(3.0, 4.0)
    y = (Spy("x-branch")(x) + Spy("w-branch")(w)).sum()
    mg.grad(y, w, retain_graph=True)
    assert calls == ["w-branch"]
    calls.clear()
    y.backward()
    assert sorted(calls) == ["w-branch", "x-branch"]


# ------------------------------------------------------------------ double backward
def test_gradient_of_squared_gradient_norm():
    """d/dx ||dy/dx||^2 for y = sum(x^3): dy/dx = 3x^2, so the result is 36 x^3."""
    x = t64(0.5, -1.0, 2.0)
    (g,) = mg.grad((x**3).sum(), x, create_graph=True)
    assert g.requires_grad
    (gg,) = mg.grad((g * g).sum(), x)
    np.testing.assert_allclose(gg.numpy(), 36 * np.array([0.5, -1.0, 2.0]) ** 3)


def test_backward_with_create_graph_keeps_history():
    x = t64(2.0)
    y = (x**3).sum()
    y.backward(create_graph=True)
    assert x.grad.requires_grad
    (gg,) = mg.grad(x.grad.sum(), x)
    np.testing.assert_allclose(gg.numpy(), [12.0])


def test_hessian_vector_product_matches_finite_differences():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((4, 4))
    x0, v = rng.standard_normal(4), rng.standard_normal(4)

    def f(x):
        h = mg.tanh(mg.tensor(a) @ x)
        return (h * h).sum() + (x.exp() * x).sum()

    def grad_at(x_arr):
        x = mg.tensor(x_arr, requires_grad=True)
        return mg.grad(f(x), x)[0].numpy()

    x = mg.tensor(x0, requires_grad=True)
    (g,) = mg.grad(f(x), x, create_graph=True)
    (hv,) = mg.grad((g * mg.tensor(v)).sum(), x)
    eps = 1e-6
    numeric = (grad_at(x0 + eps * v) - grad_at(x0 - eps * v)) / (2 * eps)
    np.testing.assert_allclose(hv.numpy(), numeric, rtol=1e-5, atol=1e-7)


def _mlp_gp(lib, x, ws):
    """A critic with tanh/leaky_relu/sigmoid, its WGAN-GP penalty and its parameter grads."""
    (w1, b1), (w2, b2), (w3, b3) = ws
    if lib == "mg":
        h = mg.leaky_relu(ops.linear(x, w1, b1), 0.2)
        h = mg.tanh(ops.linear(h, w2, b2))
        out = ops.linear(h, w3, b3)
        (gx,) = mg.grad(out.sum(), x, create_graph=True)
        pen = ((gx.norm(2, dim=1) - 1) ** 2).mean()
        flat = [p for wb in ws for p in wb][:-1]  # the last bias does not reach d out / dx
        return pen, mg.grad(pen, flat)
    import torch

    F = torch.nn.functional
    h = F.leaky_relu(F.linear(x, w1, b1), 0.2)
    h = torch.tanh(F.linear(h, w2, b2))
    out = F.linear(h, w3, b3)
    (gx,) = torch.autograd.grad(out.sum(), x, create_graph=True)
    pen = ((gx.norm(2, dim=1) - 1) ** 2).mean()
    flat = [p for wb in ws for p in wb][:-1]
    return pen, torch.autograd.grad(pen, flat)


def test_wgan_gp_penalty_through_mlp_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    sizes = [(6, 5), (4, 6), (1, 4)]
    arrays = [(rng.standard_normal(s) * 0.7, rng.standard_normal(s[0]) * 0.1) for s in sizes]
    x0 = rng.standard_normal((3, 5))
    mws = [tuple(mg.tensor(a, requires_grad=True) for a in wb) for wb in arrays]
    tws = [tuple(torch.tensor(a, requires_grad=True) for a in wb) for wb in arrays]
    pen, grads = _mlp_gp("mg", mg.tensor(x0, requires_grad=True), mws)
    tpen, tgrads = _mlp_gp("torch", torch.tensor(x0, requires_grad=True), tws)
    np.testing.assert_allclose(pen.item(), tpen.item(), rtol=1e-10)
    for g, tg in zip(grads, tgrads, strict=True):
        np.testing.assert_allclose(g.numpy(), tg.numpy(), rtol=1e-8, atol=1e-12)


def test_wgan_gp_penalty_gradcheck():
    rng = np.random.default_rng(2)
    x = mg.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    w1 = mg.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    w2 = mg.tensor(rng.standard_normal((1, 4)), requires_grad=True)

    def penalty(x, w1, w2):
        out = ops.linear(mg.tanh(ops.linear(x, w1)), w2)
        (gx,) = mg.grad(out.sum(), x, create_graph=True)
        return ((gx.norm(2, dim=1) - 1) ** 2).mean()

    assert mg.gradcheck(penalty, [x, w1, w2])


# ------------------------------------------------------------------ scale and memory
def test_deep_chain_does_not_recurse():
    x = t64(1.0)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)  # a recursive walk would need ~10,000 frames
    try:
        y.sum().backward()
    finally:
        sys.setrecursionlimit(limit)
    np.testing.assert_allclose(x.grad.numpy(), [1.0001**10_000], rtol=1e-9)


def test_saved_state_is_freed_after_backward():
    x = t64(1.0, 2.0)
    h = x.exp()
    f = h.creator
    href = weakref.ref(h)
    y = (h * h).sum()
    mul = y.creator.edges[0][0]  # (creator, output index)
    del h
    gc.collect()
    assert href() is not None  # the graph holds the intermediate until backward
    y.backward()
    gc.collect()
    assert href() is None, "backward must drop the saved intermediate"
    shape = {"_released", "edges", "needs_input_grad", "generation"}  # the graph's shape only
    assert set(vars(f)) == shape and set(vars(mul)) == shape


def test_a_freed_function_keeps_no_constant_input_alive():
    data = mg.tensor(np.ones((3, 2)))  # a batch: needs no gradient
    dref = weakref.ref(data)
    w = mg.tensor(np.ones((2, 2)), requires_grad=True)
    loss = (data @ w).sum()
    del data
    loss.backward()
    gc.collect()
    assert dref() is None
    assert loss.creator.edges[0][0].edges[0] is None  # MatMul's constant input


def test_second_walk_through_a_partly_freed_graph_raises_instead_of_dropping_a_branch():
    """grad(g.sum(), x) frees expm1's node (g's graph reads its output); walking y's graph
    again must raise, as PyTorch does, not return the gradient of the other branch only."""
    x = mg.tensor([-1.0, 0.5, -2.0], requires_grad=True)
    y = mg.where(x._data < 0, mg.expm1(x), x)
    (g,) = mg.grad(y.sum(), x, create_graph=True)
    mg.grad(g.sum(), x)
    with pytest.raises(RuntimeError, match="second time"):
        mg.grad(y.sum(), x)


def test_retain_graph_keeps_saved_state():
    x = t64(1.0, 2.0)
    h = x.exp()
    href = weakref.ref(h)
    y = (h * h).sum()
    del h
    y.backward(retain_graph=True)
    gc.collect()
    assert href() is not None
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 4 * np.exp(2 * np.array([1.0, 2.0])))


def test_activations_no_backward_reads_are_freed_before_backward():
    """The graph links to a computed input by its creator, not by the Tensor: conv and ReLU
    outputs that only a ReLU (mask) or a max pool (offsets) consumes are freed as soon as
    the caller drops them, before backward; the gradients are unchanged."""
    rng = np.random.default_rng(0)
    x = mg.tensor(rng.standard_normal((2, 3, 8, 8)), requires_grad=True)
    w = mg.tensor(rng.standard_normal((4, 3, 3, 3)), requires_grad=True)

    def run(keep):
        c = mg.nn.functional.conv2d(x, w, padding=1)
        r = c.relu()
        p = mg.nn.functional.max_pool2d(r, 2)
        e = p.exp()  # exp's backward reads its output: it keeps the array, not the Tensor
        loss = e.relu().sum()
        refs = [weakref.ref(t) for t in (c, r, p, e)]
        kept = (c, r, p, e) if keep else ()
        del c, r, p, e
        gc.collect()
        alive = [ref() is not None for ref in refs]
        x.grad = w.grad = None
        loss.backward()
        del kept
        return alive, x.grad.numpy(), w.grad.numpy()

    alive, gx, gw = run(keep=False)
    assert alive == [False, False, False, False]
    alive, gx_kept, gw_kept = run(keep=True)
    assert alive == [True, True, True, True]
    np.testing.assert_array_equal(gx, gx_kept)
    np.testing.assert_array_equal(gw, gw_kept)


def test_freed_output_is_rebuilt_in_the_graph_for_double_backward():
    """exp's output, dropped by the caller and read by exp's backward under create_graph,
    is rebuilt on the saved array with exp as creator: the second derivative still flows
    through it. d/dx of (d/dx sum(relu(exp x))) summed = sum(exp x)'s gradient = exp x."""
    x = t64(-1.0, 0.5, 2.0)
    y = x.exp()
    yref = weakref.ref(y)
    z = y.relu().sum()
    del y
    gc.collect()
    assert yref() is None
    (g,) = mg.autograd.grad(z, x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), np.exp([-1.0, 0.5, 2.0]))
    g.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp([-1.0, 0.5, 2.0]))


def test_hooks_of_a_dropped_intermediate_still_run():
    """A hook is a side effect the caller asked for: its tensor is kept until backward even
    when the caller drops it, and freed with the graph after."""
    x = t64(1.0, -2.0)
    h = x * 3
    seen = []
    h.register_hook(lambda g: seen.append(g.numpy().copy()))
    href = weakref.ref(h)
    y = h.relu().sum()
    del h
    gc.collect()
    assert href() is not None
    y.backward()
    (g,) = seen
    np.testing.assert_array_equal(g, [1.0, 0.0])
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 0.0])
    gc.collect()
    assert href() is None


def test_inplace_change_through_a_view_of_a_freed_output_is_detected():
    """exp saves its output's array; the output Tensor is gone but a view of it shares its
    version counter, so an in-place change through the view is still caught."""
    x = t64(1.0, 2.0)
    y = x.exp()
    v = y[:]
    z = y.relu().sum()
    del y
    gc.collect()
    with mg.no_grad():
        v.mul_(2.0)
    with pytest.raises(RuntimeError, match="Exp: output 0 of shape \\(2,\\) was modified"):
        z.backward()


# ------------------------------------------------------------------ in-place
def test_inplace_change_of_saved_input_is_detected():
    x = t64(1.0, 2.0)
    w = mg.tensor([3.0, 4.0], dtype=mg.float64)
    y = (x * w).sum()  # saves w for x's gradient
    with mg.no_grad():
        w.add_(1)
    with pytest.raises(RuntimeError, match="Mul: input 1 of shape \\(2,\\) was modified in place"):
        y.backward()


def test_data_assignment_of_saved_input_is_detected():
    x = t64(1.0, 2.0)
    y = x.log().sum()
    x.data = np.array([5.0, 6.0])
    with pytest.raises(RuntimeError, match="Log: input 0.*modified in place"):
        y.backward()


def test_inplace_change_of_saved_output_is_detected():
    x = t64(1.0, 2.0)
    e = x.exp()
    y = e.sum()
    with mg.no_grad():
        e.mul_(2)
    with pytest.raises(RuntimeError, match="Exp: output 0.*modified in place"):
        y.backward()


def test_inplace_change_of_unsaved_input_is_fine():
    x = t64(1.0, 2.0)
    c = mg.tensor([1.0, 1.0], dtype=mg.float64)
    y = (x + c).sum()  # add does not need its inputs' values
    with mg.no_grad():
        c.add_(1)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 1.0])


def test_inplace_on_graph_tensors_is_refused_in_grad_mode():
    x = t64(1.0, 2.0)
    for fn in (
        lambda: x.add_(1),
        lambda: x.mul_(2),
        lambda: x.zero_(),
        lambda: x.__setitem__(0, 5.0),
        lambda: x.fill_(0),
    ):
        with pytest.raises(RuntimeError, match="in-place change of a (leaf|tensor in a graph)"):
            fn()
    with mg.no_grad():
        x.add_(1)
    np.testing.assert_allclose(x.detach().numpy(), [2.0, 3.0])
    plain = mg.zeros(2, dtype=mg.float64)
    plain.copy_(x)  # recorded, as PyTorch's copy_
    assert plain.requires_grad and plain.creator is not None
    plain = mg.zeros(2, dtype=mg.float64)
    plain[0] = x[0]  # recorded, as PyTorch's index_put
    assert plain.requires_grad and plain.creator is not None
    h = x * 2
    h.fill_(0)  # a tensor in a graph: recorded, as PyTorch
    assert h.creator is not None and h.tolist() == [0.0, 0.0]


# ------------------------------------------------------------------ anomaly detection
def test_detect_anomaly_lets_a_forward_nan_pass():
    x = t64(-1.0, 1.0)
    with mg.detect_anomaly(), np.errstate(invalid="ignore"):
        y = x.log()  # PyTorch's anomaly mode checks only the backward's gradients
    assert np.isnan(y.detach().numpy()[0])


def test_detect_anomaly_names_backward_op():
    x = t64(0.0, 1.0)
    with mg.detect_anomaly():
        y = (x.sqrt() * 0).sum()  # finite forward; sqrt's backward gives 0 * inf = NaN at 0
        with pytest.raises(
            RuntimeError,
            match=r"Function 'Sqrt' returned nan values in its 0th output.*"
            r"created at .*test_autograd\.py:\d+",
        ):
            y.backward()


def test_detect_anomaly_lets_an_infinite_gradient_pass_as_pytorch():
    torch = pytest.importorskip("torch")
    for lib in (mg, torch):
        x = lib.tensor([0.0, 4.0], dtype=lib.float64, requires_grad=True)
        with lib.autograd.detect_anomaly(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch's "Anomaly Detection has been enabled"
            x.sqrt().sum().backward()
        assert x.grad.tolist() == [math.inf, 0.25]


def test_detect_anomaly_is_off_by_default():
    x = t64(-1.0)
    with np.errstate(invalid="ignore"):
        y = x.log()
    assert np.isnan(y.detach().numpy()).all()


# ------------------------------------------------------------------ errors
def test_backward_on_non_scalar_needs_gradient():
    x = t64(1.0, 2.0)
    with pytest.raises(RuntimeError, match="only for scalar outputs.*shape \\(2,\\)"):
        (x * 2).backward()
    (x * 2).backward(mg.ones(2, dtype=mg.float64))
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])


def test_backward_without_graph_says_so():
    with pytest.raises(RuntimeError, match="does not require grad"):
        mg.tensor([1.0]).sum().backward()


def test_backward_returning_wrong_shape_names_the_function():
    class Bad(Function):
        def forward(self, a):
            return a * 2

        def backward(self, gy):
            return gy.sum()

    with pytest.raises(RuntimeError, match="Bad.backward: gradient of shape \\(\\) for an input"):
        Bad()(t64(1.0, 2.0)).sum().backward()


class _FakeCudaArray(np.ndarray):
    """A NumPy array that reports itself as a CuPy one: device checks without a GPU."""

    __module__ = "cupy._fake"


def test_mixing_devices_names_both():
    cpu = t64(1.0, 2.0)
    gpu = mg.Tensor._make(np.ones(2).view(_FakeCudaArray), False)
    assert gpu.device == "cuda"
    with pytest.raises(
        RuntimeError,
        match="Add: expected all tensors on one device, got cpu "
        "\\(input 0\\) and cuda \\(input 1\\)",
    ):
        cpu + gpu


def test_mixing_devices_on_a_real_gpu(device):
    if device == "cpu":
        pytest.skip("needs a GPU to mix with")
    a, b = mg.randn(2), mg.randn(2, device=device)
    with pytest.raises(RuntimeError, match="cpu.*cuda"):
        a + b


def test_create_graph_gives_each_leaf_its_own_grad():
    """With create_graph=True two leaves may receive the very same gradient tensor (the
    walk passes gradients on without copying); `.grad`s edited in place must not alias,
    as in PyTorch, and must keep their history."""
    w = mg.ones(2, requires_grad=True)
    b = mg.ones(2, requires_grad=True)
    s = mg.tensor([2.0, 3.0], requires_grad=True)
    ((w + b) * s).sum().backward(create_graph=True)
    assert w.grad is not b.grad and not np.shares_memory(w.grad._data, b.grad._data)
    assert w.grad.requires_grad
    g = mg.grad(w.grad.sum(), s)[0]  # the history survives the copy
    np.testing.assert_array_equal(g.numpy(), [1.0, 1.0])
    with mg.no_grad():
        w.grad.mul_(0.5)
    np.testing.assert_array_equal(b.grad.detach().numpy(), [2.0, 3.0])
    x = mg.ones(3, requires_grad=True)
    x.sum().backward(create_graph=True)  # a broadcast (read-only) gradient
    with mg.no_grad():
        x.grad.mul_(2)
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0, 2.0])
