"""The autograd API against PyTorch's: grad modes on generator functions, custom Functions
(extra None gradients, setup_context, mark_dirty, once_differentiable), anomaly mode,
gradcheck's keywords, batched grad_outputs, detach_ of views, post-accumulate hooks and
the legacy names (Variable, set_detect_anomaly, is_inference)."""

import importlib
import warnings

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")

LIBS = [mg, torch]


def _t(lib, values, requires_grad=False):
    return lib.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


def _grad(t):
    return t.grad.detach().numpy().tolist()


# ------------------------------------------------------------------ grad modes
@pytest.mark.parametrize("mode", ["no_grad", "set_grad_enabled", "inference_mode"])
def test_grad_mode_decorator_covers_a_generator_body(mode):
    def run(lib):
        w = _t(lib, [2.0], requires_grad=True)
        deco = {  # made lazily: making set_grad_enabled(False) switches the mode off
            "no_grad": lambda: lib.no_grad(),
            "set_grad_enabled": lambda: lib.set_grad_enabled(False),
            "inference_mode": lambda: lib.inference_mode(),
        }[mode]()

        @deco
        def targets():
            yield w * 3
            yield w * 4

        gen = targets()
        t = next(gen)
        outside = lib.is_grad_enabled()  # the caller's mode between the steps
        u = next(gen)
        ((w - t) ** 2 + (w - u) ** 2).sum().backward()
        return t.requires_grad, u.requires_grad, outside, _grad(w)

    assert run(mg) == run(torch)


def test_enable_grad_decorator_covers_a_generator_body():
    def run(lib):
        w = _t(lib, [2.0], requires_grad=True)

        @lib.enable_grad()
        def doubled():
            yield w * 2

        with lib.no_grad():
            y = next(doubled())
        return y.requires_grad

    assert run(mg) is run(torch) is True


def test_decorated_generator_passes_send_and_return_value():
    @mg.no_grad()
    def echo():
        got = yield "first"
        assert not mg.is_grad_enabled()
        return got

    gen = echo()
    assert next(gen) == "first"
    with pytest.raises(StopIteration) as stop:
        gen.send("sent")
    assert stop.value.value == "sent" and mg.is_grad_enabled()


# ------------------------------------------------------------------ custom Functions
def test_function_backward_may_return_extra_trailing_nones():
    def run(lib):
        class Scale(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, k, bias=None):
                ctx.k = k
                return x * k

            @staticmethod
            def backward(ctx, g):
                return g * ctx.k, None, None

        x = _t(lib, [1.0, 1.0], requires_grad=True)
        Scale.apply(x, 3.0).sum().backward()
        return _grad(x)

    assert run(mg) == run(torch) == [3.0, 3.0]


def test_function_backward_extra_gradient_that_is_not_none_is_an_error():
    for lib in LIBS:

        class Bad(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, k=None):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return g, g

        x = _t(lib, [1.0], requires_grad=True)
        with pytest.raises(RuntimeError):
            Bad.apply(x).sum().backward()


def test_function_setup_context_style():
    def run(lib):
        class Mul(lib.autograd.Function):
            @staticmethod
            def forward(a, b):
                return a * b

            @staticmethod
            def setup_context(ctx, inputs, output):
                ctx.save_for_backward(*inputs)

            @staticmethod
            def backward(ctx, g):
                a, b = ctx.saved_tensors
                return g * b, g * a

        x = _t(lib, [1.0, 2.0], requires_grad=True)
        y = Mul.apply(x, x * 2)
        y.sum().backward()
        return y.detach().numpy().tolist(), _grad(x)

    assert run(mg) == run(torch) == ([2.0, 8.0], [4.0, 8.0])


def _inc(lib):
    class Inc(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 2

    return Inc


def test_mark_dirty_returns_the_input_with_the_new_history():
    def run(lib):
        a = _t(lib, [1.0, 2.0], requires_grad=True)
        b = a * 1
        c = _inc(lib).apply(b)
        same = c is b
        (c * c).sum().backward()
        return same, b.detach().numpy().tolist(), _grad(a)

    assert run(mg) == run(torch) == (True, [2.0, 3.0], [8.0, 12.0])


def test_mark_dirty_refuses_a_leaf_and_passes_under_no_grad():
    for lib in LIBS:
        a = _t(lib, [1.0], requires_grad=True)
        with pytest.raises(RuntimeError, match="leaf Variable"):
            _inc(lib).apply(a)
        d = _t(lib, [1.0])
        with lib.no_grad():
            assert _inc(lib).apply(d) is d and d.tolist() == [2.0]


def test_mark_dirty_of_a_tensor_not_returned_is_an_error():
    for lib in LIBS:

        class Dirty(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.mark_dirty(x)
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return g

        x = _t(lib, [1.0], requires_grad=True)
        with pytest.raises(RuntimeError):
            Dirty.apply(x * 1)


def _square(lib):
    once = importlib.import_module(f"{lib.__name__}.autograd.function").once_differentiable

    class Square(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @once
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 2 * x

    return Square


def test_once_differentiable():
    def run(lib):
        x = _t(lib, [1.0, 2.0], requires_grad=True)
        _square(lib).apply(x).sum().backward()
        v = _t(lib, [1.0, 1.0], requires_grad=True)
        (gx,) = lib.autograd.grad(_square(lib).apply(x), x, v, create_graph=True)
        with pytest.raises(RuntimeError, match="differentiate twice"):
            gx.sum().backward()
        return _grad(x), gx.detach().numpy().tolist(), gx.requires_grad

    assert run(mg) == run(torch) == ([2.0, 4.0], [2.0, 4.0], True)
    assert mg.autograd.function.Function is mg.autograd.Function


# ------------------------------------------------------------------ anomaly mode
def test_detect_anomaly_lets_forward_nans_pass_and_still_checks_backward():
    def run(lib):
        x = _t(lib, [-1.0, 1.0], requires_grad=True)
        with lib.autograd.detect_anomaly(), np.errstate(invalid="ignore"):
            y = lib.where(x > 0, x.log(), x * 0)
            y.sum().backward()
        return _grad(x)

    with pytest.warns(UserWarning):  # torch's "Anomaly Detection has been enabled"
        want = run(torch)
    assert run(mg) == want == [0.0, 1.0]
    # a NaN gradient raises a RuntimeError in both, naming the backward function
    for lib, name in ((mg, "'Sqrt'"), (torch, "'SqrtBackward0'")):
        x = _t(lib, [0.0], requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with lib.autograd.detect_anomaly(), pytest.raises(RuntimeError, match=name):
                (x.sqrt() * 0).sum().backward()


def test_set_detect_anomaly():
    for lib in LIBS:
        assert not lib.is_anomaly_enabled()
        with lib.autograd.set_detect_anomaly(True):
            assert lib.is_anomaly_enabled()
        assert not lib.is_anomaly_enabled()
        lib.autograd.set_detect_anomaly(True)  # called alone: from then on
        assert lib.is_anomaly_enabled()
        lib.autograd.set_detect_anomaly(False)
        assert not lib.is_anomaly_enabled()


# ------------------------------------------------------------------ gradcheck
def _bad(lib):
    class Bad(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return g * 3

    return Bad


def test_gradcheck_keywords_and_raise_exception_false():
    for lib in LIBS:
        x = _t(lib, [1.0, 2.0], requires_grad=True)
        ag = lib.autograd
        assert ag.gradcheck(_bad(lib).apply, (x,), raise_exception=False) is False
        assert ag.gradgradcheck(lambda a: a**3, (x,), raise_exception=False) is True
        ok = ag.gradcheck(
            lambda a: a**2,
            (x,),
            eps=1e-6,
            atol=1e-5,
            rtol=1e-3,
            nondet_tol=0.0,
            check_undefined_grad=True,
            check_grad_dtypes=True,
            fast_mode=True,
        )
        assert ok is True
        assert ag.gradgradcheck(lambda a: a**3, (x,), nondet_tol=1e-9, fast_mode=True)
    with pytest.raises(mg.GradcheckError):
        mg.autograd.gradcheck(_bad(mg).apply, (_t(mg, [1.0], requires_grad=True),))


def test_gradcheck_nondet_tol_catches_a_backward_that_changes():
    calls = []

    class Drift(mg.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            calls.append(1)
            return g * (2 + 1e-3 * len(calls))

    x = _t(mg, [1.0], requires_grad=True)
    assert not mg.autograd.gradcheck(Drift.apply, (x,), atol=1e-2, raise_exception=False)
    assert mg.autograd.gradcheck(Drift.apply, (x,), atol=1e-2, nondet_tol=1e-2)


# ------------------------------------------------------------------ batched grad_outputs
def test_grad_is_grads_batched():
    def run(lib):
        x = _t(lib, [1.0, 2.0], requires_grad=True)
        w = _t(lib, [3.0], requires_grad=True)
        eye = lib.tensor(np.eye(2))
        gx, gw = lib.autograd.grad(x**2 * w, (x, w), eye, is_grads_batched=True)
        return gx.detach().numpy().tolist(), gw.detach().numpy().tolist()

    assert run(mg) == run(torch) == ([[6.0, 0.0], [0.0, 12.0]], [[1.0], [4.0]])


def test_grad_is_grads_batched_with_create_graph():
    def run(lib):
        x = _t(lib, [1.0, 2.0], requires_grad=True)
        (g,) = lib.autograd.grad(
            x**3, x, lib.tensor(np.eye(2)), create_graph=True, is_grads_batched=True
        )
        (gg,) = lib.autograd.grad(g.sum(), x)
        return g.detach().numpy().tolist(), gg.numpy().tolist()

    assert run(mg) == run(torch)


# ------------------------------------------------------------------ tensors
def test_detach_inplace_of_a_view_is_refused():
    for lib in LIBS:
        x = _t(lib, [1.0, 1.0, 1.0], requires_grad=True)
        with pytest.raises(RuntimeError, match="Can't detach views in-place"):
            (x * 1)[:2].detach_()
        with pytest.raises(RuntimeError, match="Can't detach views in-place"):
            x[:2].detach_()
        y = (x * 1).detach_()  # not a view
        assert not y.requires_grad and y.grad_fn is None


def test_post_accumulate_grad_hook_must_return_none():
    for lib in LIBS:
        x = _t(lib, [1.0, 1.0], requires_grad=True)
        x.register_post_accumulate_grad_hook(lambda p: p.grad.mul_(3))
        with pytest.raises(RuntimeError, match="should return None"):
            (x * 1).sum().backward()


def test_variable_and_is_inference():
    for lib in LIBS:
        a = _t(lib, [1.0, 2.0])
        v = lib.autograd.Variable(a, requires_grad=True)
        assert v is not a and v.requires_grad and not a.requires_grad
        assert isinstance(a, lib.autograd.Variable) and not a.is_inference()
        v.data[0] = 5.0  # the same memory
        assert a.tolist() == [5.0, 2.0]
        with pytest.raises(TypeError, match="Variable data has to be a tensor"):
            lib.autograd.Variable([1.0])


def test_next_functions_walk_the_graph_as_pytorchs():
    """loss.grad_fn.next_functions: (node, index) per input, AccumulateGrad for a leaf that
    requires grad (its .variable is the leaf), None for a constant."""
    x = mg.ones(2, requires_grad=True)
    y = (x * mg.ones(2) + x.exp()).sum()
    ((add, k),) = y.grad_fn.next_functions
    assert k == 0 and add.name() == "Add" and repr(add) == "<Add>"
    (mul, _), (exp, _) = add.next_functions
    (acc, _), (const, _) = mul.next_functions
    assert acc.variable is x and acc.name() == "AccumulateGrad" and const is None
    assert acc.next_functions == ()
    assert exp.next_functions[0][0].variable is x
    tx = torch.ones(2, requires_grad=True)
    ty = (tx * torch.ones(2) + tx.exp()).sum()
    tmul = ty.grad_fn.next_functions[0][0].next_functions[0][0]
    assert tmul.next_functions[0][0].variable is tx and tmul.next_functions[1][0] is None


@pytest.mark.parametrize("materialize", [True, False])
def test_set_materialize_grads_as_pytorch(materialize):
    """With False, the gradient of an unused output reaches backward as None (True: zeros),
    and a backward that handles None gives PyTorch's input gradients."""
    torch = pytest.importorskip("torch")

    def run(T):
        seen = []

        class Split(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.set_materialize_grads(materialize)
                return x * 2, x * 3

            @staticmethod
            def backward(ctx, ga, gb):
                seen.append((ga is None, gb is None))
                g = 0
                if ga is not None:
                    g = g + ga * 2
                if gb is not None:
                    g = g + gb * 3
                return g

        x = T.tensor([1.0, -2.0], requires_grad=True)
        a, _ = Split.apply(x)
        a.sum().backward()
        return seen, x.grad.numpy()

    (seen, g), (tseen, tg) = run(mg), run(torch)
    assert seen == tseen == [(False, not materialize)]
    np.testing.assert_array_equal(g, tg)
