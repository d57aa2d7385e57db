"""Round 26 of the hostile reviews: autograd engine edges (grad modes, frozen leaves,
grad_dtype, anomaly mode across threads, custom Functions, hooks) against PyTorch 2.13."""

import threading
import warnings

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as mnn

torch = pytest.importorskip("torch")

LIBS = [(mg, mnn), (torch, torch.nn)]


def raises(fn, *args):
    """(exception type name, message) of what fn raised, or None."""
    try:
        fn(*args)
    except Exception as e:  # (the test compares what each library raised)
        return type(e).__name__, str(e)
    return None


def values(t):
    return None if t is None else np.asarray(t.detach().numpy(), dtype=np.float64).tolist()


def dtype_name(t):
    return str(t.dtype).replace("torch.", "")


# ---------------------------------------------------------------- 1. inference_mode(False)
def _inference_false_cases(lib):
    x = lib.tensor([1.0], requires_grad=True)
    with lib.no_grad(), lib.inference_mode(False):
        a = ((x * 2).requires_grad, lib.is_grad_enabled(), lib.is_inference_mode_enabled())
    with lib.inference_mode(), lib.inference_mode(False):
        b = ((x * 2).requires_grad, lib.is_grad_enabled(), lib.is_inference_mode_enabled())
    with lib.inference_mode(), lib.inference_mode(mode=True):
        c = ((x * 2).requires_grad, lib.is_grad_enabled(), lib.is_inference_mode_enabled())

    @lib.inference_mode(mode=False)
    def step(x):
        return (x * 2).requires_grad

    def gen(x):
        yield (x * 2).requires_grad
        yield lib.is_grad_enabled()

    with lib.no_grad():
        d = step(x)
        e = list(lib.inference_mode(False)(gen)(x))
        after = lib.is_grad_enabled()
    return a, b, c, d, e, after, lib.is_grad_enabled()


def test_inference_mode_false_turns_grad_on_as_pytorch():
    got, want = _inference_false_cases(mg), _inference_false_cases(torch)
    assert got == want
    assert got[0] == (True, True, False) and got[3] is True and got[5] is False


# ---------------------------------------------------- 2. a leaf frozen before the backward
def _frozen(lib, nn, how, create_graph):
    lib.manual_seed(0)
    m = nn.Linear(2, 1)
    w = lib.tensor([1.0, 2.0], requires_grad=True)
    calls = []
    w.register_hook(lambda g: calls.append(("hook", values(g))))
    w.register_post_accumulate_grad_hook(lambda t: calls.append(("post", values(t.grad))))
    loss = m(lib.ones(1, 2)).sum() + (w * w).sum()
    for p in m.parameters():
        p.requires_grad = False
    if how == "method":
        w.requires_grad_(False)
    else:
        w.requires_grad = False
    loss.backward(create_graph=create_graph)
    return m.weight.grad, m.bias.grad, w.grad, calls


@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True")
@pytest.mark.parametrize("how", ["attribute", "method"])
@pytest.mark.parametrize("create_graph", [False, True])
def test_leaf_frozen_between_forward_and_backward_gets_no_grad(how, create_graph):
    got = _frozen(mg, mnn, how, create_graph)
    want = _frozen(torch, torch.nn, how, create_graph)
    assert got[:3] == want[:3] == (None, None, None)
    # the tensor hook and the post-accumulate hook still run, as in PyTorch
    assert got[3] == want[3] == [("hook", [2.0, 4.0]), ("post", None)]


def test_frozen_leaf_keeps_its_old_grad_and_unfrozen_one_accumulates():
    out = []
    for lib, _ in LIBS:
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        (w * 2).sum().backward()
        y = (w * 3).sum()
        w.requires_grad = False
        y.backward()
        kept = values(w.grad)
        v = lib.tensor([1.0, 2.0], requires_grad=True)
        y = (v * 3).sum()
        v.requires_grad = False
        v.requires_grad = True
        y.backward()
        out.append((kept, values(v.grad)))
    assert out[0] == out[1] == ([2.0, 2.0], [3.0, 3.0])


# ------------------------------------------------------------------------ 3. grad_dtype
def test_grad_dtype_reading_defaults_and_leaf_only():
    for lib, _ in LIBS:
        x = lib.tensor([1.0, 2.0], dtype=lib.float16, requires_grad=True)
        assert dtype_name(x) == "float16" and str(x.grad_dtype).endswith("float16")
        assert str(lib.tensor([1, 2]).grad_dtype).endswith("int64")
        assert str(lib.zeros(0).grad_dtype).endswith("float32")
        y = x * 2
        with pytest.raises(RuntimeError, match="grad_dtype can only be accessed on leaf"):
            y.grad_dtype  # noqa: B018
        with pytest.raises(RuntimeError, match="grad_dtype can only be set on leaf"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # PyTorch's non-leaf .grad warning
                y.grad_dtype = lib.float32
        with pytest.raises(RuntimeError, match="grad_dtype must be a"):
            x.grad_dtype = "float32"
        with pytest.raises(RuntimeError, match="grad_dtype must be a"):
            x.grad_dtype = 1
        y.detach_()  # a leaf now: the default again
        assert str(y.grad_dtype).endswith("float16")


def _accumulate_in_grad_dtype(lib, shape, grad_dtype):
    x = lib.full(shape, 1000.0, dtype=lib.float16).requires_grad_()
    x.grad_dtype = grad_dtype
    seen = []
    x.register_hook(lambda g: seen.append(dtype_name(g)))
    for _ in range(3):
        (x * 0.3).sum().backward()
    y = (x * 0.3).sum() + (x * 0.7001).sum()  # two gradients summed in grad_dtype
    x.grad = None
    y.backward()
    (g,) = lib.autograd.grad((x * 0.3).sum(), x)
    return values(x.grad), dtype_name(x.grad), seen, dtype_name(g), values(g)


@pytest.mark.parametrize("shape", [(2,), (), (0,)])
@pytest.mark.parametrize("name", ["float32", "float64"])
def test_grad_dtype_accumulates_in_that_dtype_as_pytorch(shape, name):
    got = _accumulate_in_grad_dtype(mg, shape, getattr(mg, name))
    want = _accumulate_in_grad_dtype(torch, shape, getattr(torch, name))
    assert got == want
    assert got[1] == name


def test_grad_dtype_set_after_the_forward_and_on_a_root_leaf():
    out = []
    for lib, _ in LIBS:
        x = lib.tensor([1000.0, 2.0], dtype=lib.float16, requires_grad=True)
        y = (x * 0.3).sum()
        x.grad_dtype = lib.float32
        y.backward()
        r = lib.tensor([1.0], dtype=lib.float16, requires_grad=True)
        r.grad_dtype = lib.float32
        r.backward(lib.tensor([0.5], dtype=lib.float16))
        f = lib.tensor([1000.1], requires_grad=True)
        f.grad_dtype = lib.float16  # narrower than the tensor: rounded to float16
        (f * 3.3).sum().backward()
        out.append((values(x.grad), dtype_name(x.grad), dtype_name(r.grad), values(f.grad)))
    assert out[0] == out[1]


def test_grad_dtype_create_graph_gradient_is_cast_in_the_graph():
    out = []
    for lib, _ in LIBS:
        x = lib.tensor([1.5, -2.0], dtype=lib.float16, requires_grad=True)
        x.grad_dtype = lib.float32
        (g,) = lib.autograd.grad((x * x * x).sum(), x, create_graph=True)
        (gg,) = lib.autograd.grad(g.sum(), x)
        out.append((dtype_name(g), g.requires_grad, values(g), dtype_name(gg), values(gg)))
    assert out[0] == out[1]


def test_grad_dtype_checks_assigned_grads_and_none_allows_any():
    for lib, _ in LIBS:
        x = lib.tensor([1.0, 2.0], dtype=lib.float16, requires_grad=True)
        x.grad_dtype = lib.float32
        for wrong in (lib.float16, lib.float64):
            with pytest.raises(RuntimeError, match="assign a gradient"):
                x.grad = lib.ones(2, dtype=wrong)
        x.grad = lib.ones(2)
        assert dtype_name(x.grad) == "float32"
        with pytest.raises(RuntimeError, match="Cannot set grad_dtype"):
            x.grad_dtype = lib.float64  # a float32 gradient is there
        x.grad_dtype = lib.float32  # the same: fine
        x.grad_dtype = None
        assert x.grad_dtype is None
        x.grad = None
        x.grad_dtype = lib.float64
        assert str(x.grad_dtype).endswith("float64")
        y = lib.tensor([1.0, 2.0], requires_grad=True)
        y.grad_dtype = None
        y.grad = lib.zeros(2, dtype=lib.float64)
        (y * 3).sum().backward()
        assert dtype_name(y.grad) == "float64" and values(y.grad) == [3.0, 3.0]
        h = lib.tensor([1.0], dtype=lib.float16, requires_grad=True)
        h.grad_dtype = None
        (h * 3).sum().backward()
        assert dtype_name(h.grad) == "float16"
        h.grad = lib.zeros(1, dtype=lib.int64)
        with pytest.raises(RuntimeError, match="can't be cast to the desired output type"):
            (h * 0.1).sum().backward()


def test_grad_dtype_is_not_copied_and_default_follows_data():
    import copy
    import pickle

    for lib, _ in LIBS:
        x = lib.tensor([1.0], dtype=lib.float16, requires_grad=True)
        assert str(x.grad_dtype).endswith("float16")
        x.data = lib.zeros(1, dtype=lib.float64)
        assert str(x.grad_dtype).endswith("float64")  # the default follows the dtype
        x.grad_dtype = lib.float32
        x.data = lib.zeros(1, dtype=lib.float16)
        assert str(x.grad_dtype).endswith("float32")  # a set one stays
        for c in (copy.deepcopy(x), pickle.loads(pickle.dumps(x)), x.detach()):
            assert str(c.grad_dtype).endswith("float16")


def test_grad_dtype_bfloat16_is_refused_by_name():
    x = mg.tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match="bfloat16"):
        x.grad_dtype = mg.bfloat16


# ------------------------------------------------------------- 4. anomaly mode per process
def _nan_in_thread(lib):
    out = {}

    def worker():
        out["on"] = lib.is_anomaly_enabled()
        out["check_nan"] = lib.is_anomaly_check_nan_enabled()
        x = lib.tensor([0.0, 1.0], requires_grad=True)
        try:
            (x / x).sum().backward()
            out["result"] = "no error"
        except RuntimeError as e:
            out["result"] = "nan" if "returned nan values in its 1th output" in str(e) else str(e)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lib.autograd.set_detect_anomaly(True)
        try:
            t = threading.Thread(target=worker)
            t.start()
            t.join()
        finally:
            lib.autograd.set_detect_anomaly(False)
        with lib.autograd.detect_anomaly(check_nan=False):
            t = threading.Thread(target=lambda: out.update(inner=lib.is_anomaly_enabled()))
            t.start()
            t.join()
    return out


def test_anomaly_mode_set_in_one_thread_checks_backward_in_another():
    got, want = _nan_in_thread(mg), _nan_in_thread(torch)
    assert got == want == {"on": True, "check_nan": True, "result": "nan", "inner": True}
    assert not mg.is_anomaly_enabled()


def test_anomaly_mode_still_checks_the_node_not_the_ops_of_its_backward():
    x = mg.tensor([0.0, 1.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with mg.autograd.detect_anomaly():
            y = (x / x).sum()
            with pytest.raises(RuntimeError, match="Function 'Div' returned nan .*created at"):
                y.backward()
            (x * 2).sum().backward()  # no NaN: no error
    assert values(x.grad) == [2.0, 2.0]


# --------------------------------------------- 5. custom backward with a broadcast gradient
def _expandable(lib, x_shape, s_shape):
    class Scale(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, s):
            ctx.save_for_backward(x, s)
            return x * s

        @staticmethod
        def backward(ctx, g):
            x, s = ctx.saved_tensors
            return g * s, g * x  # g * x has x's shape, larger than s's

    x = lib.ones(*x_shape).requires_grad_()
    s = (lib.arange(int(np.prod(s_shape))) + 2.0).reshape(s_shape).requires_grad_()
    Scale.apply(x, s).sum().backward()
    (gg,) = lib.autograd.grad(
        Scale.apply(x.double(), s.double()).sum(), s, create_graph=False, allow_unused=True
    )
    return tuple(s.grad.shape), values(s.grad), dtype_name(s.grad), values(gg)


@pytest.mark.parametrize(
    "x_shape, s_shape",
    [((3, 2), (2,)), ((3, 2), (1, 2)), ((3, 2), ()), ((4, 3, 2), (3, 1)), ((0, 2), (2,))],
)
def test_custom_backward_gradient_of_a_broadcast_shape_is_summed_as_pytorch(x_shape, s_shape):
    got, want = _expandable(mg, x_shape, s_shape), _expandable(torch, x_shape, s_shape)
    assert got == want


def test_custom_backward_gradient_of_a_shape_that_does_not_broadcast_is_refused():
    for lib, _ in LIBS:

        class Bad(lib.autograd.Function):
            @staticmethod
            def forward(ctx, s):
                return s * 1

            @staticmethod
            def backward(ctx, g):
                return g.new_ones(3, 3)

        s = lib.ones(2, requires_grad=True)
        with pytest.raises(RuntimeError, match=r"Bad.*\(3, 3\)|\[3, 3\]"):
            Bad.apply(s).sum().backward()


# ------------------------------------------------ 6. detach_() of a saved non-leaf input
@pytest.mark.parametrize(
    "op",
    [
        lambda y, w: y * y,
        lambda y, w: y * w,
        lambda y, w: w / y,
        lambda y, w: y.log(),
        lambda y, w: y.abs(),
        lambda y, w: y + w,  # saves nothing: no error in either
        lambda y, w: y.exp(),  # saves its output: no error in either
    ],
)
def test_detach_in_place_of_a_saved_non_leaf_is_refused_as_pytorch(op):
    out = []
    for lib, _ in LIBS:
        x = lib.tensor([0.5, 2.0], requires_grad=True)
        w = lib.tensor([3.0, 4.0], requires_grad=True)
        y = x * 2
        z = op(y, w)
        y.detach_()
        err = raises(lambda: z.sum().backward())  # noqa: B023
        refused = err is not None and "detached in-place, i.e. with .detach_()" in err[1]
        out.append((refused, None if refused else values(x.grad)))
    assert out[0][0] == out[1][0]
    if not out[0][0]:
        np.testing.assert_allclose(out[0][1], out[1][1], rtol=1e-6)


def test_detach_in_place_refused_under_grad_of_the_other_input_and_custom_fn_passes():
    for lib, _ in LIBS:
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        w = lib.tensor([3.0, 4.0], requires_grad=True)
        y = x * 2
        z = y * w
        y.detach_()
        with pytest.raises(RuntimeError, match="detached in-place"):
            lib.autograd.grad(z.sum(), w)

        class Square(lib.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                ctx.save_for_backward(a)
                return a * a

            @staticmethod
            def backward(ctx, g):
                (a,) = ctx.saved_tensors
                return 2 * g * a

        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        z = Square.apply(y)
        y.detach_()
        z.sum().backward()  # PyTorch's custom Functions do not check: neither does minigrad
        assert values(x.grad) == [8.0, 16.0]


# ---------------------------------------------------------- 7. backward returning a list
@pytest.mark.parametrize("n", [1, 2])
def test_custom_backward_returning_a_list_is_one_gradient_as_pytorch(n):
    for lib, _ in LIBS:

        class F(lib.autograd.Function):
            @staticmethod
            def forward(ctx, *xs):
                out = xs[0] * 1
                for t in xs[1:]:
                    out = out + t
                return out

            @staticmethod
            def backward(ctx, g):
                return [g] * n

        xs = [lib.ones(2, requires_grad=True) for _ in range(n)]
        err = raises(lambda: F.apply(*xs).sum().backward())  # noqa: B023
        assert err is not None and err[0] == "RuntimeError"
        if n == 2:
            assert "1 gradients for 2" in err[1] or "expected 2, got 1" in err[1]
        else:
            assert "list" in err[1]


# ------------------------------------------------------------- 9. needs_input_grad fixed
def _needs(lib):
    seen = []

    class F(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a, b, k):
            ctx.save_for_backward(a, b)
            return a * b * k

        @staticmethod
        def backward(ctx, g):
            seen.append(ctx.needs_input_grad)
            a, b = ctx.saved_tensors
            return g * b * 2, g * a * 2, None

    w = lib.tensor([1.0, 2.0], requires_grad=True)
    v = lib.tensor([3.0, 4.0], requires_grad=True)
    c = lib.tensor([5.0, 6.0])
    (gw,) = lib.autograd.grad(F.apply(w, v, 2).sum(), w)
    F.apply(w, v, 2).sum().backward(inputs=[v])
    stored = (w.grad, values(v.grad))  # backward(inputs=[v]) stores nothing in w.grad
    F.apply(w, c, 2).sum().backward()
    return seen, values(gw), stored, values(w.grad), c.grad


def test_needs_input_grad_is_fixed_at_forward_and_unasked_grads_are_not_stored():
    got, want = _needs(mg), _needs(torch)
    assert got[0] == want[0] == [(True, True, False), (True, True, False), (True, False, False)]
    assert got[1:] == want[1:]
    assert got[2] == (None, [2.0, 4.0]) and got[3] == [10.0, 12.0]


# ------------------------------------------------------ 10. hooks on an unused output
def _clipped_half_with_penalty(lib):
    """A hook on one half of a chunked activation, then a gradient penalty: in the second
    backward that half gets no (PyTorch: a zero) gradient through relu's double backward."""
    lib.manual_seed(0)
    w1 = lib.tensor(np.linspace(-1, 1, 24, dtype=np.float32).reshape(8, 3), requires_grad=True)
    w2 = lib.tensor(np.linspace(1, -1, 8, dtype=np.float32).reshape(1, 8), requires_grad=True)
    x = lib.tensor(np.linspace(-2, 2, 15, dtype=np.float32).reshape(5, 3), requires_grad=True)
    a, b = (x @ w1.T).chunk(2, dim=1)
    a.register_hook(lambda g: g.clamp(-1, 1))  # an ordinary hook: it needs a tensor
    out = (lib.cat([lib.relu(a), b * b], 1) @ w2.T).sum()
    (g,) = lib.autograd.grad(out, x, create_graph=True)
    ((g.norm(dim=1) - 1) ** 2).mean().backward()
    return values(w1.grad), values(w2.grad)


def test_hook_on_an_output_without_gradient_is_not_called_with_none():
    """Calling such hooks with None (as PyTorch does where no node made zeros) crashed an
    ordinary hook in a double backward, where PyTorch passes zeros: minigrad does not call
    them (documented)."""
    got, want = _clipped_half_with_penalty(mg), _clipped_half_with_penalty(torch)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-5, atol=1e-6)
    x = mg.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    c, d = (x * 1).chunk(2)
    seen = []
    c.register_hook(seen.append)
    (d * 3).sum().backward()
    assert seen == [] and values(x.grad) == [0.0, 0.0, 3.0, 3.0]


# ----------------------------------------------- 11. module hook changing a gradient's size
@pytest.mark.parametrize("kind", ["pre", "post"])
@pytest.mark.parametrize("change", ["sum", "expand", "double"])
def test_module_backward_hook_changing_size_or_dtype_names_the_hook(kind, change):
    def alter(g):
        if change == "sum":
            return g.sum()
        if change == "expand":
            return g.expand(3, *g.shape)
        return g.double()

    def my_hook(mod, *grads):
        return (alter(grads[0][0]),)

    msgs = []
    for lib, nn in LIBS:
        m = nn.Linear(2, 1)
        if kind == "pre":
            m.register_full_backward_pre_hook(my_hook)
        else:
            m.register_full_backward_hook(my_hook)
        x = lib.ones(1, 2, requires_grad=True)
        err = raises(lambda: m(x).sum().backward())  # noqa: B023
        assert err is not None and err[0] == "RuntimeError"
        msgs.append(err[1])
    what = "type" if change == "double" else "size"
    assert f"has changed the {what} of value" in msgs[0] and f"the {what} of value" in msgs[1]
    assert "'my_hook'" in msgs[0] and "Linear" in msgs[0]


@pytest.mark.parametrize("dtype", ["int64", "int32", "bool"])
def test_grad_dtype_refuses_integer_dtypes(dtype):
    """An integer grad_dtype truncated every gradient (an SGD step then did nothing);
    PyTorch's backward fails on it: minigrad refuses it when set."""
    x = mg.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point or complex"):
        x.grad_dtype = getattr(mg, dtype)
    assert x.grad_dtype == mg.float32


def test_a_builtin_ops_wrongly_shaped_gradient_is_refused_not_summed(monkeypatch):
    """Only custom Functions' broadcast-shaped gradients are summed down (PyTorch's engine
    rule); one of minigrad's own ops giving one is a wrong formula, and is reported."""
    from minigrad.ops.elementwise import Mul

    orig = Mul.backward

    def wrong(self, gy):
        ga, gb = orig(self, gy)
        return (ga.expand(3, *ga.shape) if ga is not None else None), gb

    monkeypatch.setattr(Mul, "backward", wrong)
    x = mg.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Mul.backward: gradient of shape \(3, 2\)"):
        (x * mg.ones(2)).sum().backward()
