"""Edge cases of the edge-based graph (nodes link to inputs by (creator, output index) and
keep input Tensors / output arrays only when their backward reads them): dropped
intermediates, double backward, multi-output ops, hooks, grad(), retain_graph, in-place
detection, custom Functions, nn layers, viz and memory, checked against PyTorch."""

import gc
import weakref

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import minigrad as mg  # noqa: E402
from minigrad.autograd import Function  # noqa: E402

RTOL = 1e-10
ATOL = 1e-12


def pair(values):
    """The same float64 values as a minigrad and a torch leaf that require grad."""
    a = np.array(values, dtype=np.float64)
    return (
        mg.tensor(a.copy(), requires_grad=True),
        torch.tensor(a.copy(), dtype=torch.float64, requires_grad=True),
    )


def close(m, t, rtol=RTOL, atol=ATOL):
    m = m.detach().numpy() if hasattr(m, "detach") else np.asarray(m)
    t = t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)
    np.testing.assert_allclose(m, t, rtol=rtol, atol=atol)


def collect():
    """Collect young cycles only: a full gc.collect() takes ~0.2 s with torch loaded, and
    everything these tests make is young."""
    gc.collect(1)


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


# ------------------------------------------------------------------ dropped intermediates,
# create_graph and double backward, per op whose backward reads outputs and/or inputs
UNARY = {
    "exp": (lambda x: x.exp(), lambda x: x.exp()),
    "sigmoid": (lambda x: x.sigmoid(), lambda x: x.sigmoid()),
    "tanh": (lambda x: x.tanh(), lambda x: x.tanh()),
    "softmax": (lambda x: x.softmax(-1), lambda x: x.softmax(-1)),
    "log_softmax": (lambda x: x.log_softmax(-1), lambda x: x.log_softmax(-1)),
    "sqrt": (lambda x: (x * x + 1).sqrt(), lambda x: (x * x + 1).sqrt()),
    "pow_tensor": (
        lambda x: (x * x + 1) ** (x * 0.5),
        lambda x: (x * x + 1) ** (x * 0.5),
    ),
    "pow_scalar": (lambda x: x**3, lambda x: x**3),
    "norm_dim": (lambda x: x.norm(dim=-1, keepdim=True), lambda x: x.norm(dim=-1, keepdim=True)),
    "norm_all": (lambda x: x.norm(), lambda x: x.norm()),
    "norm_p3": (lambda x: x.norm(p=3, dim=-1), lambda x: x.norm(p=3, dim=-1)),
    "std": (lambda x: x.std(-1), lambda x: x.std(-1)),
    "logsumexp": (lambda x: x.logsumexp(-1), lambda x: x.logsumexp(-1)),
    "log": (lambda x: (x * x + 1).log(), lambda x: (x * x + 1).log()),
    "softplus": (
        lambda x: mg.nn.functional.softplus(x),
        lambda x: torch.nn.functional.softplus(x),
    ),
    "sin_cos": (lambda x: x.sin() * x.cos(), lambda x: x.sin() * x.cos()),
    "div": (lambda x: x / (x * x + 1), lambda x: x / (x * x + 1)),
    "matmul": (lambda x: x @ x.T, lambda x: x @ x.T),
}


def _penalty(lib, fn, x, w):
    """A gradient penalty: |d sum(w * fn(2x)) / dx|^2, with every intermediate dropped by
    the caller before the grad call."""
    grad = mg.autograd.grad if lib == "mg" else torch.autograd.grad
    h = x * 2
    y = fn(h)
    out = (y * w).sum()
    del h, y
    collect()
    (g,) = grad(out, x, create_graph=True)
    return g, (g * g).sum()


@pytest.mark.parametrize("name", sorted(UNARY))
def test_first_order_with_dropped_intermediates(name):
    fm, ft = UNARY[name]
    xm, xt = pair(rand(3, 4) * 0.5)
    h = xm * 2
    y = fm(h)
    wm = mg.tensor(rand(*y.shape, seed=1))
    loss_m = (y * wm).sum()
    del h, y
    collect()
    loss_m.backward()
    (ft(xt * 2) * torch.tensor(rand(*ft(xt * 2).shape, seed=1))).sum().backward()
    close(xm.grad, xt.grad)


@pytest.mark.parametrize("name", sorted(UNARY))
def test_gradient_penalty_with_dropped_intermediates(name):
    fm, ft = UNARY[name]
    xm, xt = pair(rand(3, 4) * 0.5)
    shape = tuple(ft(xt).shape)
    wm = mg.tensor(rand(*shape, seed=1), requires_grad=True)
    wt = torch.tensor(rand(*shape, seed=1), requires_grad=True)
    gm, pm = _penalty("mg", fm, xm, wm)
    gt, pt = _penalty("torch", ft, xt, wt)
    close(gm, gt)
    close(pm, pt)
    pm.backward()
    pt.backward()
    close(xm.grad, xt.grad, rtol=1e-9)
    close(wm.grad, wt.grad, rtol=1e-9)


@pytest.mark.parametrize("name", ["exp", "sigmoid", "tanh", "softmax", "log_softmax", "sqrt"])
def test_third_order_through_rebuilt_outputs(name):
    fm, ft = UNARY[name]
    xm, xt = pair([0.3, -0.7, 1.1])
    res = []
    for lib, x, f in (("mg", xm, fm), ("torch", xt, ft)):
        grad = mg.autograd.grad if lib == "mg" else torch.autograd.grad
        y = f(x * 1.5)
        z = (y * y).sum()
        del y
        collect()
        (g1,) = grad(z, x, create_graph=True)
        (g2,) = grad((g1 * g1).sum(), x, create_graph=True)
        (g3,) = grad(g2.sum(), x)
        res.append((g1, g2, g3))
    for m, t in zip(*res, strict=True):
        close(m, t, rtol=1e-8, atol=1e-10)


def test_create_graph_backward_into_grad_then_backward_again():
    """backward(create_graph=True) leaves a differentiable .grad whose graph reads the
    rebuilt output of a dropped exp."""
    xm, xt = pair([0.2, -0.4])
    for x in (xm, xt):
        y = (x * 3).exp()
        z = y.sum()
        del y
        collect()
        z.backward(create_graph=True)
        g = x.grad
        x.grad = None
        (g * g).sum().backward()
    close(xm.grad, xt.grad)


def test_create_graph_without_retain_graph_then_second_backward_raises():
    """grad(create_graph=True, retain_graph=False) frees exp's saved output; the second
    backward needs it (PyTorch raises too)."""
    x = mg.tensor(np.array([0.5, -1.0]), requires_grad=True)
    y = x.exp()
    z = (y * 1.0).sum()
    del y
    (g,) = mg.autograd.grad(z, x, create_graph=True, retain_graph=False)
    with pytest.raises(RuntimeError, match="second time"):
        g.sum().backward()


# ------------------------------------------------------------------ multi-output ops
def test_split_some_outputs_dropped_and_unused():
    xm, xt = pair(rand(7, 3))
    res = []
    for x, split in ((xm, mg.split), (xt, torch.split)):
        h = x * 1.0
        a, b, c, d = split(h, 2, 0)
        loss = (a.exp() * 2).sum() + (c * c).sum()  # b and d unused
        del h, a, b, c, d
        collect()
        loss.backward()
        res.append(x.grad)
    close(*res)


def test_chunk_each_output_index_gets_its_own_gradient():
    xm, xt = pair(rand(6, 2))
    res = []
    for x, chunk in ((xm, mg.chunk), (xt, torch.chunk)):
        parts = chunk(x * 1.0, 3, 0)
        loss = sum(((k + 1) * p * p).sum() for k, p in enumerate(parts))
        del parts
        collect()
        loss.backward()
        res.append(x.grad)
    close(*res)


def test_split_grad_wrt_each_output():
    xm, xt = pair(rand(6, 2))
    res = []
    for x, lib in ((xm, mg), (xt, torch)):
        parts = (x * 1.0).split([1, 2, 3], 1 - 1)
        loss = (parts[0] * 3).sum() + (parts[2].exp()).sum()
        grad = mg.autograd.grad if lib is mg else torch.autograd.grad
        gs = grad(loss, list(parts), allow_unused=True)
        res.append(gs)
    gm, gt = res
    close(gm[0], gt[0])
    assert gm[1] is None and gt[1] is None
    close(gm[2], gt[2])


def test_split_hooks_on_some_outputs_dropped():
    xm, xt = pair(rand(4, 2))
    res = []
    for x in (xm, xt):
        seen = []
        a, b = (x * 1.0).split(2, 0)
        a.register_hook(lambda g, s=seen: (s.append(("a", g.detach().numpy().copy())), g * 3)[1])
        b.register_hook(lambda g, s=seen: s.append(("b", g.detach().numpy().copy())))
        loss = (a * a).sum() + b.sum()
        del a, b
        collect()
        loss.backward()
        res.append((x.grad, seen))
    close(res[0][0], res[1][0])
    assert [n for n, _ in res[0][1]] == sorted(n for n, _ in res[1][1])
    for (_, gm), (_, gt) in zip(
        sorted(res[0][1], key=lambda p: p[0]), sorted(res[1][1], key=lambda p: p[0]), strict=True
    ):
        close(gm, gt)


def test_split_hook_on_unused_output():
    """A hook on an output that gets no gradient. PyTorch calls it with None; minigrad
    does not call it (as before the change). The gradient is unaffected either way."""
    res = []
    for x in pair(rand(4)):
        a, b = (x * 1.0).split(2)
        b.register_hook(lambda g: g)
        a.sum().backward()
        res.append(x.grad)
    close(*res)


def test_max_with_indices_values_only_then_dropped():
    xm, xt = pair(rand(3, 5))
    res = []
    for x in (xm, xt):
        v, i = (x * 2).max(dim=1)
        loss = (v * v).sum()
        del v, i
        collect()
        loss.backward()
        res.append(x.grad)
    close(*res)


def test_sort_topk_values():
    xm, xt = pair(rand(3, 5))
    res = []
    for x in (xm, xt):
        s = (x * 1.0).sort(dim=1)
        t = (x * 1.0).topk(2, dim=1)
        loss = (s.values * s.values).sum() + t.values.exp().sum()
        del s, t
        collect()
        loss.backward()
        res.append(x.grad)
    close(*res)


# ------------------------------------------------------------------ hooks and retain_grad
def test_hook_replaces_gradient_of_dropped_intermediate():
    res = []
    for x in pair([1.0, -2.0, 3.0]):
        h = x.exp()
        h.register_hook(lambda g: g * 10)
        loss = (h * x).sum()
        del h
        collect()
        loss.backward()
        res.append(x.grad)
    close(*res)


def test_hook_removed_with_handle_is_not_called():
    res = []
    for x in pair([1.0, -2.0]):
        h = x * 2
        calls = []
        handle = h.register_hook(lambda g, c=calls: (c.append(1), g * 100)[1])
        h.register_hook(lambda g: g + 1)
        handle.remove()
        loss = (h * h).sum()
        del h
        collect()
        loss.backward()
        assert calls == []
        res.append(x.grad)
    close(*res)


def test_hook_on_tensor_used_twice_runs_once_with_the_sum():
    res = []
    for x in pair([1.0, -2.0]):
        h = x.tanh()
        seen = []
        h.register_hook(lambda g, s=seen: s.append(g.detach().numpy().copy()))
        loss = (h * 3).sum() + (h * h).sum()
        del h
        loss.backward()
        assert len(seen) == 1
        res.append((seen[0], x.grad))
    close(res[0][0], res[1][0])
    close(res[0][1], res[1][1])


def test_hook_on_root_replaces_its_gradient():
    res = []
    for x in pair([1.0, -2.0]):
        y = (x.sigmoid() * 2).sum()
        y.register_hook(lambda g: g * 5)
        y.backward()
        res.append(x.grad)
    close(*res)


def test_hook_on_grad_target_and_intermediates():
    res = []
    for lib, x in zip(("mg", "torch"), pair([1.0, -2.0, 0.5]), strict=True):
        grad = mg.autograd.grad if lib == "mg" else torch.autograd.grad
        h = x * 2
        k = h.exp()
        calls = []
        h.register_hook(lambda g, c=calls: (c.append("h"), g * 3)[1])
        k.register_hook(lambda g, c=calls: (c.append("k"), g * 7)[1])
        loss = (k * h).sum()
        del k
        collect()
        (gh,) = grad(loss, h)
        res.append((gh, calls))
    close(res[0][0], res[1][0])
    assert res[0][1] == res[1][1]


def test_hooks_with_create_graph_return_differentiable_gradients():
    res = []
    for lib, x in zip(("mg", "torch"), pair([0.3, -0.8]), strict=True):
        grad = mg.autograd.grad if lib == "mg" else torch.autograd.grad
        h = x.sigmoid()
        h.register_hook(lambda g, h=h: g * h)
        loss = (h * h).sum()
        (g,) = grad(loss, x, create_graph=True)
        (gg,) = grad(g.sum(), x)
        res.append((g, gg))
    close(res[0][0], res[1][0])
    close(res[0][1], res[1][1])


def test_retain_grad_on_kept_and_dropped_intermediates():
    res = []
    for x in pair([1.0, -2.0, 0.5]):
        h = x.tanh()
        h.retain_grad()
        k = h * 2
        k.retain_grad()
        loss = (k.exp()).sum()
        del k
        loss.backward()
        res.append((h.grad, x.grad))
    close(res[0][0], res[1][0])
    close(res[0][1], res[1][1])


def test_retain_grad_and_hook_order():
    """retain_grad stores the gradient after the hooks, as PyTorch."""
    res = []
    for x in pair([1.0, 2.0]):
        h = x * 2
        h.retain_grad()
        h.register_hook(lambda g: g * 10)
        (h * h).sum().backward()
        res.append((h.grad, x.grad))
    close(res[0][0], res[1][0])
    close(res[0][1], res[1][1])


def test_post_accumulate_grad_hook_on_leaf_used_twice():
    res = []
    for x in pair([1.0, -2.0]):
        seen = []
        x.register_post_accumulate_grad_hook(
            lambda p, s=seen: s.append(p.grad.detach().numpy().copy())
        )
        h = x.exp()
        loss = (h * x).sum() + (x * 3).sum()
        del h
        loss.backward()
        assert len(seen) == 1
        res.append((seen[0], x.grad))
    close(res[0][0], res[1][0])
    close(res[0][1], res[1][1])


def test_hook_on_dropped_intermediate_with_retain_graph_runs_each_backward():
    x = mg.tensor(np.array([1.0, 2.0]), requires_grad=True)
    h = x.exp()
    calls = []
    h.register_hook(lambda g: calls.append(1))
    loss = (h * h).sum()
    del h
    collect()
    loss.backward(retain_graph=True)
    loss.backward()
    assert len(calls) == 2
    np.testing.assert_allclose(x.grad.numpy(), 2 * 2 * np.exp(2 * np.array([1.0, 2.0])))


# ------------------------------------------------------------------ grad() inputs
def test_grad_non_leaf_inputs_and_allow_unused_and_duplicates():
    res = []
    for lib, x in zip(("mg", "torch"), pair([1.0, -2.0, 0.5]), strict=True):
        grad = mg.autograd.grad if lib == "mg" else torch.autograd.grad
        h = x.exp()
        k = h * x
        u = x * 5  # unused
        y = (k.sigmoid() + h).sum()
        gs = grad(y, [h, k, x, h, u], allow_unused=True)
        res.append(gs)
    for m, t in zip(*res, strict=True):
        if t is None:
            assert m is None
        else:
            close(m, t)


def test_grad_unused_without_allow_unused_raises():
    x = mg.tensor(np.array([1.0]), requires_grad=True)
    u = mg.tensor(np.array([1.0]), requires_grad=True)
    with pytest.raises(RuntimeError, match="not used"):
        mg.autograd.grad((x * 2).sum(), [x, u])


def test_grad_root_is_also_an_input():
    res = []
    for lib, x in zip(("mg", "torch"), pair([1.0, -2.0]), strict=True):
        grad = mg.autograd.grad if lib == "mg" else torch.autograd.grad
        y = x.exp()
        z = y * 2
        gs = grad((z.sum(), y.sum()), (y, x))
        res.append(gs)
    for m, t in zip(*res, strict=True):
        close(m, t)


def test_grad_of_output_wrt_itself_and_multi_output_root():
    res = []
    for lib, x in zip(("mg", "torch"), pair(rand(4)), strict=True):
        grad = mg.autograd.grad if lib == "mg" else torch.autograd.grad
        a, b = (x * 1.0).split(2)
        ga = (
            torch.ones(2, dtype=torch.float64) * 3
            if lib == "torch"
            else mg.ones(2, dtype=mg.float64) * 3
        )
        gb = (
            torch.ones(2, dtype=torch.float64) * 5
            if lib == "torch"
            else mg.ones(2, dtype=mg.float64) * 5
        )
        gs = grad((a, b), (x, a, b), grad_outputs=(ga, gb))
        res.append(gs)
    for m, t in zip(*res, strict=True):
        close(m, t)


def test_grad_does_not_touch_dot_grad_and_backward_inputs_non_leaf():
    res = []
    for x in pair([1.0, 2.0]):
        h = x.exp()
        k = h * 3
        loss = (k * k).sum()
        loss.backward(inputs=[h])
        assert x.grad is None
        res.append(h.grad)
    close(*res)


# ------------------------------------------------------------------ retain_graph
def test_retain_graph_then_second_backward_with_dropped_outputs():
    res = []
    for x in pair([0.1, -0.5, 0.9]):
        y = (x * 2).softmax(-1)
        z = (y.log() * y).sum() + (x * 1.0).norm()
        del y
        collect()
        z.backward(retain_graph=True)
        z.backward()
        res.append(x.grad)
    close(*res)


@pytest.mark.parametrize("name", ["exp", "sigmoid", "softmax", "norm_all", "pow_tensor"])
def test_second_backward_without_retain_graph_raises(name):
    fm, _ = UNARY[name]
    x = mg.tensor(rand(2, 3), requires_grad=True)
    y = fm(x * 1.0)
    z = (y * y).sum()
    del y
    z.backward()
    with pytest.raises(RuntimeError, match="second time"):
        z.backward()
    with pytest.raises(RuntimeError, match="second time"):
        mg.autograd.grad(z, x)


def test_grad_through_freed_part_raises_but_unfreed_part_works():
    x = mg.tensor(np.array([1.0, 2.0]), requires_grad=True)
    h = x.exp()
    z = (h * h).sum()
    (gh,) = mg.autograd.grad(z, h)  # frees the nodes above h only
    np.testing.assert_allclose(gh.numpy(), 2 * np.exp([1.0, 2.0]))
    with pytest.raises(RuntimeError, match="second time"):
        z.backward()
    (gx,) = mg.autograd.grad(h.sum(), x)  # exp was not walked: still there
    np.testing.assert_allclose(gx.numpy(), np.exp([1.0, 2.0]))


# ------------------------------------------------------------------ in-place detection
def _inplace_cases():
    def saved_input_view(x):
        h = x * 2
        z = (h * h).sum()
        v = h[0:1]
        return z, v

    def saved_input_detach(x):
        h = x * 2
        z = (h * h).sum()
        return z, h.detach()

    def saved_output_view(x):
        y = x.exp()
        z = y.sum()
        return z, y.reshape(2, 1)

    def saved_output_detach(x):
        y = x.sigmoid()
        z = y.sum()
        return z, y.detach()

    def saved_output_of_softmax(x):
        y = (x * 1.0).softmax(-1)
        z = (y * mg.tensor(np.array([1.0, 2.0]))).sum()
        return z, y[:]

    def leaf_saved(x):
        return (x * x).sum(), x

    def norm_input_view(x):
        h = x * 1.0
        return h.norm(), h.reshape(2)

    return {
        "saved_input_view": saved_input_view,
        "saved_input_detach": saved_input_detach,
        "saved_output_view": saved_output_view,
        "saved_output_detach": saved_output_detach,
        "saved_output_of_softmax": saved_output_of_softmax,
        "leaf_saved": leaf_saved,
        "norm_input_view": norm_input_view,
    }


@pytest.mark.parametrize("case", sorted(_inplace_cases()))
def test_inplace_change_after_forward_is_caught_through_survivors(case):
    x = mg.tensor(np.array([1.0, 2.0]), requires_grad=True)
    z, alias = _inplace_cases()[case](x)
    collect()
    with mg.no_grad():
        alias.mul_(2.0)
    with pytest.raises(RuntimeError, match="modified"):
        z.backward()


def test_inplace_change_of_saved_output_itself_is_caught():
    x = mg.tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x.tanh()
    z = y.sum()
    with mg.no_grad():
        y.add_(1.0)
    with pytest.raises(RuntimeError, match="modified"):
        z.backward()


def test_data_assignment_on_saved_output_does_not_change_gradient():
    x = mg.tensor(np.array([0.5, -1.0]), requires_grad=True)
    y = x.exp()
    z = y.sum()
    y.data = mg.zeros(2, dtype=mg.float64)
    z.backward()  # the forward's value counts, as in PyTorch
    np.testing.assert_allclose(x.grad.numpy(), np.exp([0.5, -1.0]))


def test_augmented_assignment_on_non_leaf_is_recorded_and_not_an_alias():
    """`y += 1` on outputs whose backward reads them (exp, sigmoid) is recorded out of place
    in minigrad; the numbers are those of the out-of-place program (PyTorch would refuse
    the in-place change of a saved output at backward)."""
    xm, xt = pair([0.5, -1.0, 2.0])
    y = xm.exp()
    y += 1
    y *= xm
    s = xm.sigmoid()
    s -= 0.5
    s /= 2
    h = xm * 3
    z = h.softmax(-1) * 1.0
    z += h
    (y.sum() + (s * s).sum() + (z * z).sum()).backward()
    y = (xt.exp() + 1) * xt
    s = (xt.sigmoid() - 0.5) / 2
    h = xt * 3
    z = h.softmax(-1) * 1.0 + h
    (y.sum() + (s * s).sum() + (z * z).sum()).backward()
    close(xm.grad, xt.grad)


def test_augmented_assignment_of_dropped_split_output_and_reshape_view():
    res = []
    for x in pair(rand(4)):
        h = x * 2
        v = h.reshape(2, 2)
        del h
        collect()
        v += 1  # no other tensor on v's storage is left
        v = v * v
        v.sum().backward()
        res.append(x.grad)
    close(*res)


def test_augmented_assignment_with_a_live_view_reaches_it():
    x = mg.tensor(np.array([1.0, 2.0]), requires_grad=True)
    h = x * 2
    v = h[:]
    h += 1
    assert v.tolist() == [3.0, 5.0]
    (v * v).sum().backward()
    assert x.grad.tolist() == [12.0, 20.0]


def test_augmented_assignment_after_output_was_rebuilt_by_backward():
    """After a create_graph backward rebuilt exp's output, `y += 1` on a fresh exp output
    (or a later one) must not see a stale alias."""
    x = mg.tensor(np.array([0.5, -1.0]), requires_grad=True)
    y = x.exp()
    z = (y * 1.0).sum()
    del y
    (g,) = mg.autograd.grad(z, x, create_graph=True)
    y2 = x.exp()
    y2 += 1
    (y2 * g).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp([0.5, -1.0]) * (np.exp([0.5, -1.0]) * 2 + 1))


# ------------------------------------------------------------------ custom Functions
class MgExp(Function):
    @staticmethod
    def forward(ctx, x):
        y = x.exp()
        ctx.save_for_backward(y)  # saves an output
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y


class TorchExp(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        y = x.exp()
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y


class MgSortish(Function):
    """Two outputs, one non-differentiable, plus a non-Tensor argument and output."""

    @staticmethod
    def forward(ctx, x, scale):
        ctx.save_for_backward(x)
        ctx.scale = scale
        idx = mg.tensor(np.argsort(x.detach().numpy()))
        ctx.mark_non_differentiable(idx)
        return x * scale, idx, x * x

    @staticmethod
    def backward(ctx, g, gidx, g2):
        (x,) = ctx.saved_tensors
        assert ctx.needs_input_grad == (True, False)
        return g * ctx.scale + g2 * 2 * x, None


class TorchSortish(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, scale):
        ctx.save_for_backward(x)
        ctx.scale = scale
        idx = torch.argsort(x)
        ctx.mark_non_differentiable(idx)
        return x * scale, idx, x * x

    @staticmethod
    def backward(ctx, g, gidx, g2):
        (x,) = ctx.saved_tensors
        return g * ctx.scale + g2 * 2 * x, None


class MgIdentity(Function):
    @staticmethod
    def forward(ctx, x):
        return x

    @staticmethod
    def backward(ctx, g):
        return g * 2


class TorchIdentity(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x

    @staticmethod
    def backward(ctx, g):
        return g * 2


def test_custom_function_saving_output_dropped_and_double_backward():
    res = []
    for lib, x in zip(("mg", "torch"), pair([0.3, -1.2]), strict=True):
        grad = mg.autograd.grad if lib == "mg" else torch.autograd.grad
        f = MgExp if lib == "mg" else TorchExp
        y = f.apply(x * 2)
        z = (y * y).sum()
        del y
        collect()
        (g,) = grad(z, x, create_graph=True)
        (g * g).sum().backward()
        res.append((g, x.grad))
    close(res[0][0], res[1][0])
    close(res[0][1], res[1][1])


def test_custom_function_multi_output_non_differentiable():
    res = []
    for lib, x in zip(("mg", "torch"), pair([0.3, -1.2, 2.0]), strict=True):
        f = MgSortish if lib == "mg" else TorchSortish
        a, idx, b = f.apply(x * 1.0, 3.0)
        assert not idx.requires_grad
        loss = (a * a).sum() + b.sum()
        del a, b
        collect()
        loss.backward()
        res.append(x.grad)
    close(*res)


def test_custom_function_only_second_output_used():
    res = []
    for lib, x in zip(("mg", "torch"), pair([0.3, -1.2, 2.0]), strict=True):
        f = MgSortish if lib == "mg" else TorchSortish
        _, _, b = f.apply(x * 1.0, 3.0)
        (b * b).sum().backward()
        res.append(x.grad)
    close(*res)


def test_custom_function_returning_input_as_is():
    res = []
    for lib, x in zip(("mg", "torch"), pair([0.3, -1.2]), strict=True):
        f = MgIdentity if lib == "mg" else TorchIdentity
        h = x * 1.0
        y = f.apply(h)
        z = (y * h).sum() + f.apply(x).sum()
        del y, h
        collect()
        z.backward()
        res.append(x.grad)
    close(*res)


def test_custom_function_saved_tensor_modified_in_place_raises():
    x = mg.tensor(np.array([0.3, -1.2]), requires_grad=True)
    y = MgExp.apply(x)
    z = y.sum()
    with mg.no_grad():
        y.mul_(2)
    with pytest.raises(RuntimeError, match="modified"):
        z.backward()


def test_custom_function_graph_freed_after_backward_and_on_drop():
    x = mg.tensor(np.array([0.3, -1.2]), requires_grad=True)
    y = MgExp.apply(x)
    node = weakref.ref(y.creator)
    z = (y * 2).sum()
    del y
    z.backward()
    del z
    collect()
    assert node() is None
    y = MgExp.apply(x)
    node = weakref.ref(y.creator)
    del y
    collect()
    assert node() is None


# ------------------------------------------------------------------ nn layers
def _nets():
    torch.manual_seed(0)
    tnet = torch.nn.Sequential(
        torch.nn.Conv2d(2, 4, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(4, 3, 3),
        torch.nn.Tanh(),
        torch.nn.Flatten(),
        torch.nn.Linear(3 * 2 * 2, 5),
    ).double()
    mnet = mg.nn.Sequential(
        mg.nn.Conv2d(2, 4, 3, padding=1),
        mg.nn.ReLU(),
        mg.nn.MaxPool2d(2),
        mg.nn.Conv2d(4, 3, 3),
        mg.nn.Tanh(),
        mg.nn.Flatten(),
        mg.nn.Linear(3 * 2 * 2, 5),
    ).double()
    mparams = list(mnet.parameters())
    tparams = list(tnet.parameters())
    assert len(mparams) == len(tparams)
    for pm, pt in zip(mparams, tparams, strict=True):
        pm.data = mg.tensor(pt.detach().numpy().copy())
    return mnet, tnet, mparams, tparams


@pytest.mark.parametrize("loss_name", ["cross_entropy", "mse", "nll"])
def test_small_cnn_gradients_match_torch(loss_name):
    mnet, tnet, mparams, tparams = _nets()
    x = rand(3, 2, 8, 8)
    target = np.array([0, 3, 4])
    xm = mg.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    om, ot = mnet(xm), tnet(xt)
    close(om, ot)
    if loss_name == "cross_entropy":
        lm = mg.nn.CrossEntropyLoss()(om, mg.tensor(target))
        lt = torch.nn.CrossEntropyLoss()(ot, torch.tensor(target))
    elif loss_name == "nll":
        lm = mg.nn.functional.nll_loss(om.log_softmax(-1), mg.tensor(target))
        lt = torch.nn.functional.nll_loss(ot.log_softmax(-1), torch.tensor(target))
    else:
        tgt = rand(3, 5, seed=3)
        lm = mg.nn.MSELoss()(om.sigmoid(), mg.tensor(tgt))
        lt = torch.nn.MSELoss()(ot.sigmoid(), torch.tensor(tgt))
    del om, ot
    collect()
    close(lm, lt)
    lm.backward()
    lt.backward()
    close(xm.grad, xt.grad, rtol=1e-9, atol=1e-12)
    for pm, pt in zip(mparams, tparams, strict=True):
        close(pm.grad, pt.grad, rtol=1e-9, atol=1e-12)


def test_small_cnn_input_gradient_penalty_matches_torch():
    mnet, tnet, mparams, tparams = _nets()
    x = rand(2, 2, 8, 8)
    xm = mg.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    res = []
    for net, xx, grad in ((mnet, xm, mg.autograd.grad), (tnet, xt, torch.autograd.grad)):
        out = net(xx).logsumexp(-1).sum()
        (g,) = grad(out, xx, create_graph=True)
        pen = (g * g).sum()
        pen.backward()
        res.append((g, pen))
    close(res[0][0], res[1][0], rtol=1e-9)
    close(res[0][1], res[1][1], rtol=1e-9)
    close(xm.grad, xt.grad, rtol=1e-8, atol=1e-12)
    for pm, pt in zip(mparams, tparams, strict=True):
        close(pm.grad, pt.grad, rtol=1e-8, atol=1e-12)


def test_batchnorm_training_matches_torch():
    torch.manual_seed(0)
    tbn = torch.nn.BatchNorm2d(3).double()
    mbn = mg.nn.BatchNorm2d(3).double()
    with torch.no_grad():
        tbn.weight.copy_(torch.tensor(rand(3, seed=5)))
        tbn.bias.copy_(torch.tensor(rand(3, seed=6)))
    mbn.weight.data = mg.tensor(tbn.weight.detach().numpy().copy())
    mbn.bias.data = mg.tensor(tbn.bias.detach().numpy().copy())
    x = rand(4, 3, 5, 5)
    xm = mg.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    for bn, xx in ((mbn, xm), (tbn, xt)):
        h = xx * 2
        y = bn(h)
        loss = (y.sigmoid() * y).sum()
        del h, y
        collect()
        loss.backward()
    close(xm.grad, xt.grad, rtol=1e-8, atol=1e-10)
    close(mbn.weight.grad, tbn.weight.grad, rtol=1e-8)
    close(mbn.bias.grad, tbn.bias.grad, rtol=1e-8)


# ------------------------------------------------------------------ viz
def test_to_dot_with_dropped_intermediates():
    x = mg.tensor(rand(2, 3), requires_grad=True)
    w = mg.tensor(rand(3, 4), requires_grad=True)
    h = x @ w
    r = h.relu()
    a, b = r.split(2, 1)
    y = (a.exp() * b.sigmoid()).sum()
    del h, r, a, b
    collect()
    dot = mg.viz.to_dot(y, {"x": x, "w": w})
    for op in ("MatMul", "ReLU", "Split", "Exp", "Sigmoid", "Mul", "Sum"):
        assert f'label="{op}' in dot, op
    assert dot.count("shape=box") == 7
    assert "x\\n(2, 3)" in dot and "w\\n(3, 4)" in dot
    # Split has two consumers (exp and sigmoid): two arrows into the same box
    split_id = [ln.split()[0] for ln in dot.splitlines() if 'label="Split' in ln][0]
    assert sum(1 for ln in dot.splitlines() if ln.strip().endswith(f"-> {split_id};")) == 2
    y.backward()
    with pytest.raises(RuntimeError, match="freed"):
        mg.viz.to_dot(y)


# ------------------------------------------------------------------ memory
def test_unread_intermediates_freed_read_ones_kept():
    x = mg.tensor(rand(4, 4), requires_grad=True)
    h1 = x * 2  # read by Mul below (input)
    h2 = h1 * h1  # read by nothing: relu keeps a mask
    h3 = h2.relu()  # read by nothing: exp saves its own output array
    h4 = h3.exp()  # exp's output: the Tensor is not needed
    h5 = h4.sum(1)  # consumed by log (reads its input)
    loss = h5.log().sum()
    refs = {
        n: weakref.ref(t)
        for n, t in zip(("h1", "h2", "h3", "h4", "h5"), (h1, h2, h3, h4, h5), strict=True)
    }
    del h1, h2, h3, h4, h5
    collect()
    alive = {n: r() is not None for n, r in refs.items()}
    assert alive == {"h1": True, "h2": False, "h3": False, "h4": False, "h5": True}
    loss.backward()
    collect()
    assert all(r() is None for r in refs.values())


def _graph_refs(y):
    """Weak references to every node of y's graph."""
    out, stack, seen = [], [y.creator], set()
    while stack:
        f = stack.pop()
        if f is None or id(f) in seen:
            continue
        seen.add(id(f))
        out.append(weakref.ref(f))
        stack.extend(e[0] for e in f.edges if type(e) is tuple)
    return out


@pytest.mark.parametrize("hooks", [False, True])
@pytest.mark.parametrize("retain", [False, True])
def test_graph_freed_after_backward(hooks, retain):
    x = mg.tensor(rand(3, 4), requires_grad=True)
    h = x.exp()
    a, b = (h * 2).split(2, 1)
    k = a.sigmoid() * b.tanh()
    if hooks:
        h.register_hook(lambda g: g * 2)
        k.register_hook(lambda g: None)
        k.retain_grad()
    y = k.softmax(-1).norm()
    refs = _graph_refs(y)
    trefs = [weakref.ref(t) for t in (h, a, b, k)]
    assert len(refs) >= 8
    del h, a, b, k
    y.backward(retain_graph=retain)
    del y
    collect()
    assert all(r() is None for r in refs)
    assert all(r() is None for r in trefs)


def test_graph_freed_by_refcount_alone_without_hooks():
    """No reference cycle in a plain graph: dropped before (or after) backward, it goes at
    once, without the cycle collector (as PyTorch's)."""
    gc.disable()
    try:
        x = mg.tensor(rand(3, 4), requires_grad=True)
        for do_backward in (False, True):
            h = x.exp()
            a, b = (h * 2).split(2, 1)
            y = (a.sigmoid() * b.tanh()).softmax(-1).norm()
            refs = _graph_refs(y)
            del h, a, b
            if do_backward:
                (g,) = mg.autograd.grad(y, x, create_graph=True)
                g.sum().backward()
                del g
            del y
            assert all(r() is None for r in refs), do_backward
    finally:
        gc.enable()


def test_graph_with_dropped_hooked_tensor_freed_when_never_backwarded():
    x = mg.tensor(rand(3), requires_grad=True)
    h = x.exp()
    h.register_hook(lambda g: g)
    y = (h * 2).sum()
    refs = _graph_refs(y)
    href = weakref.ref(h)
    del h, y
    collect()
    assert href() is None
    assert all(r() is None for r in refs)


def test_grad_partial_walk_keeps_unwalked_nodes_and_frees_walked():
    x = mg.tensor(rand(3), requires_grad=True)
    h = x.exp()
    hnode = weakref.ref(h.creator)
    k = h.sigmoid()
    knode = weakref.ref(k.creator)
    y = (k * 2).sum()
    del k
    mg.autograd.grad(y, h)
    collect()
    assert hnode() is not None  # not walked
    assert not hasattr(knode(), "_saved_outputs")  # walked and released
    del h, y
    collect()
    assert hnode() is None and knode() is None


# ------------------------------------------------------------------ more: nesting, pruning
def _ck_body(x):
    return (x.exp() * x).sigmoid()


class MgCheckpoint(Function):
    """Recomputes its forward in backward and differentiates it with a nested grad()."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _ck_body(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        with mg.enable_grad():
            xd = x.detach().requires_grad_()
            y = _ck_body(xd)
            (gx,) = mg.autograd.grad(y, xd, g)
        return gx


class TorchCheckpoint(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _ck_body(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        with torch.enable_grad():
            xd = x.detach().requires_grad_()
            y = _ck_body(xd)
            (gx,) = torch.autograd.grad(y, xd, g)
        return gx


def test_nested_grad_inside_custom_backward_with_hooked_dropped_input():
    res = []
    for lib, x in zip(("mg", "torch"), pair([0.5, -1.0, 2.0]), strict=True):
        ck = MgCheckpoint if lib == "mg" else TorchCheckpoint
        h = x * 2
        seen = []
        h.register_hook(lambda g, s=seen: s.append(1))
        y = ck.apply(h)
        del h
        (y * y).sum().backward()
        res.append((x.grad, seen))
    close(res[0][0], res[1][0])
    assert res[0][1] == res[1][1] == [1]


def test_backward_inputs_prunes_hooks_off_the_path_and_hooked_leaf_under_create_graph():
    res = []
    xm, xt = pair([0.5, -1.0])
    wm, wt = pair([1.5, 2.0])
    for lib, x, w in (("mg", xm, wm), ("torch", xt, wt)):
        grad = mg.autograd.grad if lib == "mg" else torch.autograd.grad
        x.register_hook(lambda g, x=x: g * x)
        h = (x * w).tanh()
        calls = []
        h.register_hook(lambda g, c=calls: (c.append("h"), g * 2)[1])
        k = x.exp()
        k.register_hook(lambda g, c=calls: (c.append("k"), g * 3)[1])
        loss = (h * k).sum()
        del h, k
        loss.backward(inputs=[w], retain_graph=True)
        first = list(calls)
        (g,) = grad(loss, x, create_graph=True)
        (gg,) = grad(g.sum(), w)
        res.append((w.grad, x.grad, first, sorted(calls), g, gg))
    m, t = res
    close(m[0], t[0])
    assert m[1] is None and t[1] is None
    assert m[2] == t[2] == ["h"]
    assert m[3] == t[3]
    close(m[4], t[4])
    close(m[5], t[5])


def test_gradgradcheck_through_rebuilt_outputs():
    x = mg.tensor(np.array([[0.5, -1.0, 2.0]]), requires_grad=True)

    def fn(x):
        y = (x.exp() * x).sigmoid().softmax(-1)
        return y.log_softmax(-1) * y.sqrt()

    assert mg.gradcheck(fn, (x,))
    assert mg.gradgradcheck(fn, (x,))


def test_optimizer_like_update_of_parameter_after_forward_raises():
    """Only where the backward reads the weight: for the input's gradient."""
    lin = mg.nn.Linear(3, 2).double()
    x = mg.tensor(rand(4, 3), requires_grad=True)
    loss = lin(x).tanh().sum()
    with mg.no_grad():
        lin.weight.sub_(0.1)
    with pytest.raises(RuntimeError, match="modified"):
        loss.backward()


@pytest.mark.parametrize("op", ["linear", "matmul"])
def test_weight_changed_in_place_when_the_input_needs_no_gradient_as_pytorch(op):
    """The weight's gradient reads the input, not the weight: PyTorch saves the weight only
    for the input's gradient, so changing it in place (an optimizer step between forward
    and backward) is no error, and the gradient is that of the forward's values."""
    torch = pytest.importorskip("torch")
    x0, w0 = rand(4, 3), rand(2, 3)

    def run(T):
        x = T.tensor(x0)
        w = T.tensor(w0, requires_grad=True)
        y = T.nn.functional.linear(x, w) if op == "linear" else x @ w.T
        loss = y.tanh().sum()
        with T.no_grad():
            w.sub_(0.1)
        loss.backward()
        return w.grad.numpy()

    np.testing.assert_allclose(run(mg), run(torch), rtol=1e-12)


def test_custom_function_saved_output_changed_through_view_raises():
    x = mg.tensor(np.array([0.3, -1.2]), requires_grad=True)
    y = MgExp.apply(x)
    v = y[:]
    z = (y * 2).sum()
    del y
    with mg.no_grad():
        v.add_(1)
    with pytest.raises(RuntimeError, match="modified"):
        z.backward()


def test_data_assignment_on_saved_output_with_live_view():
    x = mg.tensor(np.array([0.5, -1.0]), requires_grad=True)
    y = x.sigmoid()
    v = y[:]  # noqa: F841 - keeps the old counter alive
    z = y.sum()
    y.data = mg.tensor(np.array([0.5, 0.5]))
    z.backward()
    s = 1 / (1 + np.exp(-np.array([0.5, -1.0])))
    np.testing.assert_allclose(x.grad.numpy(), s * (1 - s))


def test_retain_grad_on_grad_target_matches_torch():
    res = []
    for lib, x in zip(("mg", "torch"), pair([0.5, -1.0]), strict=True):
        grad = mg.autograd.grad if lib == "mg" else torch.autograd.grad
        h = x * 3
        h.retain_grad()
        grad((h * h).sum(), h)
        res.append(h.grad)
    assert res[0] is not None
    close(*res)


@pytest.mark.parametrize(
    "op",
    [
        lambda h: h * 2.0,
        lambda h: 2.0 * h,
        lambda h: h / 4.0,
        lambda h: h * mg.tensor(np.full(3, 2.0)),
        lambda h: mg.nn.functional.dropout(h, 0.5),
    ],
)
def test_mul_by_constant_does_not_pin_the_tensor(op):
    """Mul and Div keep an input only when a gradient reads it: h * 2.0 (and dropout's
    mask product) does not keep h alive, as PyTorch saves only what it needs."""
    mg.manual_seed(0)
    x = mg.tensor(rand(3), requires_grad=True)
    h = x * x
    ref = weakref.ref(h)
    y = op(h)
    g = 2 * rand(3) * (y.detach().numpy() / (rand(3) ** 2))  # d(op(x^2))/dx = 2x op'(.)
    del h
    collect()
    assert ref() is None
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), g, rtol=1e-12)


def test_mul_and_div_keep_what_the_other_gradient_reads():
    """Both need a gradient: both inputs are kept, and an in-place change of either after
    the forward is caught; a constant divisor is kept (a's gradient is gy / b)."""
    a, b = mg.tensor(rand(3), requires_grad=True), mg.tensor(rand(3) + 1, requires_grad=True)
    for f in (lambda a, b: a * b, lambda a, b: a / b):
        y = f(a, b)
        assert all(t is not None for t in y.creator.inputs)
        with mg.no_grad():
            b.add_(1.0)
        with pytest.raises(RuntimeError, match="modified in place"):
            y.sum().backward()
    c = mg.tensor(rand(3) + 1)
    y = a / c
    assert y.creator.inputs[0] is None and y.creator.inputs[1] is c


# ------------------------------------------------------------ the implicit root gradient
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("shape", [(), (1,), (1, 1)])
def test_backward_without_a_gradient_seeds_a_one_of_the_outputs_kind(dtype, shape):
    """`y.backward()` of a one-value y seeds the walk with a one of y's shape and dtype, as
    PyTorch's: the leaf's gradient, and a hook's view of the seed, match PyTorch's."""
    seen = {}
    for name, lib in (("mg", mg), ("torch", torch)):
        x = lib.tensor(np.full(shape, 1.5), dtype=getattr(lib, dtype), requires_grad=True)
        y = x * 3
        y.register_hook(lambda g, name=name: seen.__setitem__(name, g.clone()))
        y.backward()
        assert tuple(x.grad.shape) == shape
        assert str(x.grad.dtype).endswith(dtype)
        seen[name + "_grad"] = x.grad.tolist()
    assert tuple(seen["mg"].shape) == tuple(seen["torch"].shape) == shape
    assert str(seen["mg"].dtype) == str(seen["torch"].dtype).replace("torch.", "")
    assert seen["mg"].tolist() == seen["torch"].tolist()
    assert seen["mg_grad"] == seen["torch_grad"]


def test_backward_without_a_gradient_refuses_two_values_and_an_empty_output():
    for lib in (mg, torch):
        for value in ([1.0, 2.0], []):
            x = lib.tensor(value, requires_grad=True)
            with pytest.raises(RuntimeError, match="implicitly"):
                (x * 2).backward()
