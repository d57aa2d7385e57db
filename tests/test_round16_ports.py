"""What ports of the PyTorch tutorials (extending autograd, autograd mechanics, nn.Module)
found missing or different, checked against PyTorch 2.13 itself."""

import warnings

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")

LIBS = (mg, torch)


def _run(fn):
    return [fn(L) for L in LIBS]


def test_node_pre_and_post_hooks_and_metadata():
    def fn(L):
        x = L.tensor([1.0, -2.0, 3.0], requires_grad=True)
        y = (x * 2).relu()
        s = y.sum()
        seen = []
        pre = s.grad_fn.register_prehook(lambda go: (go[0] * 10,))
        y.grad_fn.register_hook(lambda gi, go: seen.append((gi[0].tolist(), go[0].tolist())))
        s.grad_fn.metadata["step"] = 3
        s.backward(retain_graph=True)
        first = (x.grad.tolist(), seen[:], dict(s.grad_fn.metadata))
        pre.remove()
        x.grad = None
        y.grad_fn.register_hook(lambda gi, go: (gi[0] * 0.5,))  # replaces grad_inputs
        s.backward()
        return first, x.grad.tolist()

    m, t = _run(fn)
    assert m == t


def test_post_hook_sees_zeros_where_a_gradient_is_zero_by_construction():
    def fn(L):
        x = L.tensor([1.0, -1.0, 0.5], requires_grad=True)
        y = L.nn.functional.leaky_relu(x, 0.0)  # a relu: its input gradient has exact zeros
        got = []
        y.grad_fn.register_hook(lambda gi, go: got.append([g.tolist() for g in gi]))
        y.sum().backward()
        return got, x.grad.tolist()

    m, t = _run(fn)
    assert m == t


def test_base_of_views():
    for L in LIBS:
        x = L.ones(2, 3, requires_grad=True)
        h = x * 2
        v = h.view(6)
        assert v._base is h and v[1:]._base is h and x.t()._base is x
        assert h._base is None and x._base is None and h.detach()._base is None
        assert v._is_view() and not h._is_view()
        with L.no_grad():
            n = h.view(6)
        assert n._base is h


def test_function_apply_without_tensors_and_an_instance_call():
    for L in LIBS:

        class Scale(L.autograd.Function):
            @staticmethod
            def forward(ctx, x, k):
                return x * k

            @staticmethod
            def backward(ctx, g):
                return g * 2, None

        assert Scale.apply(3.0, 2) == 6.0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # PyTorch's, before it raises
            with pytest.raises(RuntimeError):
                Scale()(L.ones(2), 2)


def test_parameter_dict_operators():
    def fn(L):
        nn = L.nn
        a = nn.ParameterDict({"x": nn.Parameter(L.ones(1)), "y": nn.Parameter(L.zeros(1))})
        b = a | {"z": L.ones(2)}
        c = {"w": L.ones(1)} | a
        a |= {"q": L.ones(1)}
        d = a.fromkeys(["m", "n"], L.ones(3))
        return (
            type(b).__name__,
            list(b.keys()),
            b["x"] is a["x"],
            type(c).__name__,
            list(c.keys()),
            list(a.keys()),
            len(list(a.parameters())),
            list(reversed(a)),
            list(d.keys()),
            d["m"] is d["n"],
            list(a.fromkeys(["k"]).keys()),
        )

    m, t = _run(fn)
    assert m == t


def test_gradcheck_of_float32_warns_and_runs():
    for L in LIBS:
        x = L.tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
        with pytest.warns(UserWarning):
            ok = L.autograd.gradcheck(lambda t: (t * t).sum(), (x,), eps=1e-3, atol=1e-2, rtol=1e-2)
        assert ok


@pytest.mark.parametrize(
    "dims,kw",
    [
        (1, dict(stride=2, padding=1)),
        (2, dict(stride=2, padding=1)),
        (2, dict(stride=1, padding=2, dilation=2, groups=3)),
        (3, dict(stride=(1, 2, 1), padding=1)),
    ],
)
def test_nn_grad_conv_input_and_weight(dims, kw):
    rng = np.random.default_rng(dims)
    xs = rng.standard_normal((2, 6) + (7,) * dims)
    ws = rng.standard_normal((6, 6 // kw.get("groups", 1)) + (3,) * dims)
    outs = []
    for L in LIBS:
        conv = getattr(L.nn.functional, f"conv{dims}d")
        x, w = L.tensor(xs), L.tensor(ws)
        y = conv(x, w, **kw)
        gy = L.tensor(np.random.default_rng(9).standard_normal(tuple(y.shape)))
        gi = getattr(L.nn.grad, f"conv{dims}d_input")(x.shape, w, gy, **kw)
        gw = getattr(L.nn.grad, f"conv{dims}d_weight")(x, w.shape, gy, **kw)
        outs.append((gi.detach().numpy(), gw.detach().numpy()))
    for a, b in zip(*outs, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)


def test_nn_grad_is_differentiable_in_grad_mode():
    x = mg.randn(1, 2, 5, 5, dtype=mg.float64)
    w = mg.randn(3, 2, 3, 3, dtype=mg.float64, requires_grad=True)
    gy = mg.randn(1, 3, 3, 3, dtype=mg.float64, requires_grad=True)
    assert mg.gradcheck(lambda w, gy: mg.nn.grad.conv2d_input(x.shape, w, gy), (w, gy))
    assert mg.gradcheck(lambda gy: mg.nn.grad.conv2d_weight(x, w.shape, gy), (gy,))


def test_nan_to_num_out():
    for L in LIBS:
        t = L.tensor([float("nan"), 1.0, float("inf"), -float("inf")])
        assert L.nan_to_num(t, nan=0.0, posinf=1e5, neginf=-1e5, out=t) is t
        assert t.tolist() == [0.0, 1.0, 1e5, -1e5]
        with pytest.raises(RuntimeError):  # out of another dtype
            L.nan_to_num(L.ones(2), out=L.empty(2, dtype=L.float64))


@pytest.mark.parametrize(
    "call,exc",
    [
        (lambda L: L.nn.functional.pad(L.ones(1, 1, 4, 4), (-3, -2, 0, 0)), RuntimeError),
        (
            lambda L: L.nn.functional.pad(L.ones(1, 1, 4, 4), (1, 1), mode="bogus"),
            NotImplementedError,
        ),
        (lambda L: L.nn.functional.pad(L.ones(1, 1, 4, 4), (1, 1, 1)), RuntimeError),
    ],
)
def test_pad_errors_are_pytorchs_types(call, exc):
    for L in LIBS:
        with pytest.raises(exc):
            call(L)


@pytest.mark.parametrize(
    "hook,exc",
    [
        (lambda go: (go[0], go[0]), RuntimeError),  # a wrong count
        (lambda go: go[0], TypeError),  # not a tuple
        (lambda go: (go[0][:1],), RuntimeError),  # another shape
        (lambda go: (go[0].float(),), RuntimeError),  # another dtype
    ],
)
def test_node_prehook_results_are_checked_as_pytorchs(hook, exc):
    for L in LIBS:
        x = L.ones(3, dtype=L.float64, requires_grad=True)
        y = x * x
        y.grad_fn.register_prehook(hook)
        with pytest.raises(exc):
            y.sum().backward()


def test_node_posthook_may_not_replace_a_missing_gradient():
    for L in LIBS:
        x = L.ones(3, requires_grad=True)
        y = x * L.ones(3)  # the second input needs no gradient
        y.grad_fn.register_hook(lambda gi, go, L=L: (gi[0], L.ones(3)))
        with pytest.raises(RuntimeError):
            y.sum().backward()


def test_an_instance_apply_and_a_no_tensor_apply_as_pytorch():
    for L in LIBS:

        class Double(L.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return g * 2

        class Make(L.autograd.Function):
            lib = L

            @staticmethod
            def forward(ctx, n):
                return Make.lib.ones(n, requires_grad=True)

            @staticmethod
            def backward(ctx, g):
                return None

        x = L.ones(2, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            Double().apply(x).sum().backward()
        assert x.grad.tolist() == [2.0, 2.0]
        out = Make.apply(3)
        assert not out.requires_grad and out.grad_fn is None


def test_nn_grad_under_no_grad_builds_no_graph():
    x = mg.randn(1, 2, 5, 5)
    w = mg.randn(3, 2, 3, 3, requires_grad=True)
    gy = mg.randn(1, 3, 3, 3, requires_grad=True)
    with mg.no_grad():
        gi = mg.nn.grad.conv2d_input(x.shape, w, gy)
        gw = mg.nn.grad.conv2d_weight(x, w.shape, gy)
    assert not gi.requires_grad and gi.grad_fn is None
    assert not gw.requires_grad and gw.grad_fn is None
