"""Round 24 of the hostile reviews: function transforms and autograd helpers against
PyTorch 2.13 (gradients user code still holds, once_differentiable under create_graph,
relu's higher derivatives, torch.compiler, BatchNorm statistics, Functions in transforms)."""

import numpy as np
import pytest

import minigrad as mg
from minigrad.autograd import Function, zero_link

torch = pytest.importorskip("torch")

LIBS = [mg, torch]


def _lists(ts):
    return [t.detach().numpy().tolist() for t in ts]


# ------------------------------------------------------- gradients user code still holds
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_leaf_hook_that_logs_keeps_each_backwards_gradient(dtype):
    """The logged tensor became w.grad, and the next backward accumulated into it."""

    def run(lib):
        log = []
        w = lib.tensor([1.0, 2.0, 3.0], dtype=getattr(lib, dtype), requires_grad=True)
        w.register_hook(lambda g: log.append(g))
        scale = lib.tensor([1.0, 10.0, 100.0], dtype=getattr(lib, dtype))
        for _ in range(3):
            (w * scale).sum().backward()
        return _lists(log), w.grad.tolist()

    assert run(mg) == run(torch) == ([[1.0, 10.0, 100.0]] * 3, [3.0, 30.0, 300.0])


def test_a_non_leaf_hook_that_logs_keeps_its_gradient():
    """Add passes its gradient on unchanged: the logged tensor became x.grad."""

    def run(lib):
        log = []
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        for _ in range(2):
            y = x + 1
            y.register_hook(lambda g: log.append(g))
            (y * lib.tensor([1.0, 10.0, 100.0])).sum().backward()
        return _lists(log), x.grad.tolist()

    assert run(mg) == run(torch) == ([[1.0, 10.0, 100.0]] * 2, [2.0, 20.0, 200.0])


def test_a_logged_parameter_gradient_survives_zero_grad_keeping_the_tensors():
    def run(lib):
        log = []
        p = lib.nn.Parameter(lib.tensor([1.0, 2.0]))
        p.register_hook(lambda g: log.append(g))
        opt = lib.optim.SGD([p], lr=0.1)
        for step in range(2):
            opt.zero_grad(set_to_none=False)
            (p * lib.tensor([3.0, 4.0]) * (step + 1)).sum().backward()
            opt.step()
        return _lists(log), p.detach().numpy().round(6).tolist()

    assert run(mg) == run(torch)
    assert run(mg)[0] == [[3.0, 4.0], [6.0, 8.0]]


def test_a_custom_functions_backward_result_kept_by_the_user_is_not_rewritten():
    def run(lib):
        keep = []

        class Twice(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 1

            @staticmethod
            def backward(ctx, g):
                r = g * 2
                keep.append(r)
                return r

        x = lib.ones(3, requires_grad=True)
        Twice.apply(x).sum().backward()
        Twice.apply(x).sum().backward()
        return _lists(keep), x.grad.tolist()

    assert run(mg) == run(torch) == ([[2.0] * 3] * 2, [4.0] * 3)


# ------------------------------------------------ once_differentiable under create_graph
def _once_square(lib):
    class OnceSquare(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**2

        @staticmethod
        @lib.autograd.function.once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    return OnceSquare


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_penalty_on_a_once_differentiable_gradient_runs_as_pytorch(dtype):
    """The gradient was tied to the saved x, so it required grad and the penalty's
    backward raised; PyTorch ties it to the incoming gradients only (constants here)."""

    def run(lib):
        f = _once_square(lib)
        x = lib.tensor([1.0, 2.0, 3.0], dtype=getattr(lib, dtype), requires_grad=True)
        (g,) = lib.autograd.grad(f.apply(x).sum(), x, create_graph=True)
        ((x**3).sum() + g.pow(2).sum()).backward()
        return g.requires_grad, g.tolist(), x.grad.tolist()

    assert run(mg) == run(torch) == (False, [2.0, 4.0, 6.0], [3.0, 12.0, 27.0])


def test_once_differentiable_gradients_still_refuse_where_pytorch_does():
    def run(lib):
        f = _once_square(lib)
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        v = lib.ones(2, requires_grad=True)  # an incoming gradient that requires grad
        (g,) = lib.autograd.grad(f.apply(x), x, v, create_graph=True)
        with pytest.raises(RuntimeError, match="differentiate twice"):
            g.sum().backward()
        empty = lib.zeros(0, requires_grad=True)
        (ge,) = lib.autograd.grad(f.apply(empty).sum(), empty, create_graph=True)
        return g.requires_grad, ge.requires_grad, tuple(ge.shape)

    assert run(mg) == run(torch) == (True, False, (0,))
    # minigrad's hessian differentiates backward again: there it still refuses (PyTorch's
    # gives zeros; test_round21_semantics covers func.jvp, jacfwd and hessian)
    with pytest.raises(RuntimeError, match="once_differentiable"):
        mg.autograd.functional.hessian(lambda a: _once_square(mg).apply(a).sum(), mg.ones(2))


# ---------------------------------------------------- every order of relu's derivative
class _ReluEveryOrder(Function):
    """relu with the gradient link that survives every order (`zero_link(every_order=True)`),
    the node ReLU's backward is to use: the oracle for the mechanism below."""

    uses_inputs = False

    def forward(self, x):
        self.keep = x > 0
        return np.where(self.keep, x, 0).astype(x.dtype)

    def backward(self, gy):
        mask = mg.tensor(self.keep.astype(gy.dtype))
        return zero_link(gy * mask, self, every_order=True)


def _orders(lib, relu, x0, n=3):
    """requires_grad of the 1st..nth derivative of relu(x).sum(), each with create_graph,
    and the last derivative's values."""
    x = lib.tensor(x0, requires_grad=True)
    out, flags = relu(x).sum(), []
    for _ in range(n):
        (g,) = lib.autograd.grad(out, x, create_graph=True, allow_unused=True)
        if g is None:
            flags.append(None)
            break
        flags.append(g.requires_grad)
        if not g.requires_grad:
            break
        out = g.sum()
    # (+ 0: PyTorch's abs gives an unallocated zero tensor, which tolist refuses)
    return flags, None if g is None else (g.detach() + 0).tolist()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_zero_link_for_every_order_keeps_the_input_in_each_derivatives_graph(dtype):
    x0 = np.array([0.5, -1.0, 2.0, 0.0], dtype=dtype)
    want = _orders(torch, torch.relu, x0, n=4)
    assert _orders(mg, lambda x: _ReluEveryOrder()(x), x0, n=4) == want
    assert want == ([True] * 4, [0.0] * 4)
    # the zeros are walked back through the graph before x, as PyTorch's
    for lib, relu in ((mg, lambda x: _ReluEveryOrder()(x)), (torch, torch.relu)):
        x = lib.tensor(x0, requires_grad=True)
        (g,) = lib.autograd.grad(relu(x * 2).pow(2).sum(), x, create_graph=True)
        (h,) = lib.autograd.grad(g.sum(), x, create_graph=True)
        assert h.requires_grad and h.tolist() == [8.0, 0.0, 8.0, 0.0]


@pytest.mark.parametrize(
    "op", ["leaky_relu", "hardtanh", "abs", "relu6", "max_pool1d", "hardshrink"]
)
def test_other_piecewise_linear_ops_stop_at_the_third_order_as_pytorch(op):
    """Only relu's link survives every order in PyTorch (its formula reads the result)."""
    x0 = np.array([[[0.5, -1.0, 2.0, 3.0]]])

    def f(lib):
        fn = getattr(lib.nn.functional, op, None) or getattr(lib, op)
        return (lambda x: fn(x, 2)) if op == "max_pool1d" else fn

    assert _orders(mg, f(mg), x0) == _orders(torch, f(torch), x0)


def test_hessian_of_relu_with_create_graph_requires_grad_as_pytorch():
    x0 = np.array([0.5, -1.0, 2.0], dtype=np.float32)
    for strict in (False, True):
        got = mg.autograd.functional.hessian(
            lambda x: x.relu().sum(), mg.tensor(x0), create_graph=True, strict=strict
        )
        want = torch.autograd.functional.hessian(
            lambda x: x.relu().sum(), torch.tensor(x0), create_graph=True, strict=strict
        )
        assert got.requires_grad == want.requires_grad is True
        assert got.tolist() == want.tolist()
    assert _orders(mg, mg.relu, x0) == _orders(torch, torch.relu, x0)


# ------------------------------------------------------------- torch.compiler's names
def test_compiler_names_run_eagerly_as_pytorch_outside_compile():
    for lib in LIBS:

        @lib.compiler.disable
        def f(x):
            return x * 2

        @lib.compiler.disable(recursive=False)
        def h(x):
            return x + 1

        assert f(lib.ones(2)).tolist() == [2.0, 2.0] and h(lib.ones(1)).tolist() == [2.0]
        assert lib.compiler.is_compiling() is False
        assert lib.compiler.is_dynamo_compiling() is False
        assert lib.compiler.is_exporting() is False
        assert lib._dynamo.is_compiling() is False
        assert lib.compiler.reset() is None
        assert lib.compiler.allow_in_graph(f) is f
        assert lib.compiler.assume_constant_result(f) is f
    model = mg.nn.Linear(2, 2)
    assert mg.compiler.compile(model) is model


def test_autocast_cache_flag_as_pytorch():
    def run(lib):
        seen = [lib.is_autocast_cache_enabled()]
        try:
            lib.set_autocast_cache_enabled(False)
            seen.append(lib.is_autocast_cache_enabled())
            with lib.autocast("cpu"):  # cache_enabled=None keeps the current flag
                seen.append(lib.is_autocast_cache_enabled())
            lib.set_autocast_cache_enabled(True)
            with lib.autocast("cpu", enabled=False, cache_enabled=False):
                seen.append(lib.is_autocast_cache_enabled())
            seen.append(lib.is_autocast_cache_enabled())
            for bad in (1, None):
                with pytest.raises(TypeError, match="must be a bool"):
                    lib.set_autocast_cache_enabled(bad)
        finally:
            lib.set_autocast_cache_enabled(True)
        return seen

    assert run(mg) == run(torch) == [True, False, False, False, True]


# ------------------------------------------------------ BatchNorm's running statistics
@pytest.mark.parametrize("training", [False, True])
@pytest.mark.parametrize("which", ["running_mean", "running_var"])
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_running_statistics_that_require_grad_are_refused_as_pytorch(training, which, dtype):
    x0 = np.random.default_rng(2).standard_normal((4, 3))

    def run(lib, grad_mode=True, shape=None):
        dt = getattr(lib, dtype)
        x = lib.tensor(x0, dtype=dt) if shape is None else lib.zeros(shape, dtype=dt)
        stats = {
            "running_mean": lib.zeros(3, dtype=dt, requires_grad=which == "running_mean"),
            "running_var": lib.ones(3, dtype=dt, requires_grad=which == "running_var"),
        }
        with lib.set_grad_enabled(grad_mode):
            try:
                y = lib.nn.functional.batch_norm(x, **stats, training=training)
            except RuntimeError as e:
                return str(e)
        return y.requires_grad, tuple(y.shape)

    want = run(torch)
    assert run(mg) == want
    assert f"with respect to argument '{which}'" in want
    # without grad mode, and on an empty input, both run
    assert run(mg, False) == run(torch, False) == (False, (4, 3))
    assert run(mg, shape=(0, 3)) == run(torch, shape=(0, 3)) == (False, (0, 3))
    assert run(mg, shape=(2, 3, 0)) == run(torch, shape=(2, 3, 0)) == (False, (2, 3, 0))


def test_func_grad_with_respect_to_batchnorm_buffers_is_refused_as_pytorch():
    x0 = np.random.default_rng(3).standard_normal((4, 3)).astype(np.float32)
    for lib in LIBS:
        m = lib.nn.BatchNorm1d(3).eval()
        buffers = {"running_mean": lib.zeros(3), "running_var": lib.ones(3) * 2}

        def loss(b, m=m, lib=lib):
            return lib.func.functional_call(m, b, (lib.tensor(x0),)).pow(2).sum()

        with pytest.raises(RuntimeError, match="not differentiable with respect to argument"):
            lib.func.grad(loss)(buffers)
    # the weight and bias are differentiable, as before
    got = mg.func.grad(
        lambda p: mg.func.functional_call(mg.nn.BatchNorm1d(3).eval(), p, (mg.tensor(x0),)).sum()
    )({"weight": mg.ones(3), "bias": mg.zeros(3)})
    assert got["bias"].tolist() == [4.0, 4.0, 4.0]


# ------------------------------------------------ custom Functions inside func transforms
def _exp_function(lib, style):
    if style == "ctx":

        class Exp(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                y = x.exp()
                ctx.save_for_backward(y)
                return y

            @staticmethod
            def backward(ctx, g):
                (y,) = ctx.saved_tensors
                return g * y

        return Exp

    class Exp(lib.autograd.Function):
        generate_vmap_rule = style == "generate"

        @staticmethod
        def forward(x):
            return x.exp()

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(output)

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return g * y

    if style == "vmap":
        Exp.vmap = staticmethod(lambda info, in_dims, x: (Exp.apply(x), in_dims[0]))
    return Exp


_TRANSFORMS = {
    "grad": lambda F, E, x: F.grad(lambda a: E.apply(a).sum())(x),
    "vjp": lambda F, E, x: F.vjp(E.apply, x)[1](x * 0 + 1),
    "vmap": lambda F, E, x: F.vmap(E.apply)(x),
    "vmap_unbatched": lambda F, E, x: F.vmap(lambda a: E.apply(x) + a)(x),
    "jacrev": lambda F, E, x: F.jacrev(E.apply)(x),
    "grad_of_grad": lambda F, E, x: F.grad(lambda b: F.grad(lambda a: E.apply(a).sum())(b).sum())(
        x
    ),
}


@pytest.mark.parametrize("transform", sorted(_TRANSFORMS))
@pytest.mark.parametrize("style", ["ctx", "setup", "generate", "vmap"])
def test_custom_functions_inside_transforms_are_refused_or_run_as_pytorch(style, transform):
    def run(lib):
        x = lib.tensor([0.0, 1.0], dtype=lib.float64)
        try:
            out = _TRANSFORMS[transform](lib.func, _exp_function(lib, style), x)
        except RuntimeError as e:
            msg = str(e)
            return "setup_context" if "setup_context staticmethod" in msg else msg[:40]
        out = out[0] if isinstance(out, tuple) else out
        return np.round(out.detach().numpy(), 6).tolist()

    assert run(mg) == run(torch)
    # outside transforms every style runs
    x = mg.tensor([0.0, 1.0], requires_grad=True)
    _exp_function(mg, style).apply(x).sum().backward()
    assert x.grad.tolist() == pytest.approx([1.0, np.e])


@pytest.mark.parametrize("use_input_stats", [True, False])
def test_instance_norm_refuses_running_stats_that_require_grad_as_pytorch(use_input_stats):
    for lib in (torch, mg):
        x = lib.ones(2, 3, 4)
        rm, rv = lib.zeros(3, requires_grad=True), lib.ones(3)
        with pytest.raises(RuntimeError, match="not differentiable with respect to argument"):
            lib.nn.functional.instance_norm(x, rm, rv, use_input_stats=use_input_stats)
        with lib.no_grad():  # grad mode off: nothing is refused
            lib.nn.functional.instance_norm(x, rm, rv, use_input_stats=use_input_stats)
        # an empty input is not refused (no statistics are read)
        lib.nn.functional.instance_norm(lib.ones(0, 3, 4), rm, rv, use_input_stats=False)
