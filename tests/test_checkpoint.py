"""minigrad.utils.checkpoint (minigrad/utils/checkpoint.py) against torch.utils.checkpoint:
the same outputs and gradients as the function run without checkpointing (and as PyTorch's
on the same weights), parameters used inside, keyword tensors, tuple outputs and outputs
that need no gradient; the random draws replayed; PyTorch's warnings and errors for each
variant; double backward through the non-reentrant one; and the intermediate values of the
function are not kept alive between forward and backward."""

import gc
import warnings
import weakref
from types import SimpleNamespace

import numpy as np
import pytest

import minigrad as mg
from minigrad.utils.checkpoint import CheckpointError, checkpoint, checkpoint_sequential

torch = pytest.importorskip("torch")
tcp = pytest.importorskip("torch.utils.checkpoint")
F = mg.nn.functional
VARIANTS = [True, False]  # use_reentrant


def same(got, want, atol=1e-12, rtol=1e-10):
    if isinstance(want, torch.Tensor | mg.Tensor):
        want = want.detach().numpy()
    np.testing.assert_allclose(got.detach().numpy(), want, atol=atol, rtol=rtol)


def copy_to_torch(module, tmodule):
    """tmodule takes module's parameters and buffers (by name)."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            tmodule.get_parameter(name).copy_(torch.tensor(p.detach().numpy()))
        for name, b in module.named_buffers():
            tmodule.get_buffer(name).copy_(torch.tensor(b.numpy()))
    return tmodule


def grads(tensors):
    return [None if t.grad is None else t.grad.numpy().copy() for t in tensors]


def caught_warnings(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn()
    return [(w.category, str(w.message)) for w in caught]


# ------------------------------------------------------------------ same numbers as plain


def mlp():
    mg.manual_seed(1)
    lin1, lin2 = mg.nn.Linear(4, 8).double(), mg.nn.Linear(8, 3).double()

    def fn(x):
        h = mg.tanh(lin1(x))
        h = F.dropout(h, 0.3)  # random: the recomputation must draw the same mask
        return (lin2(h) * h.sum(-1, keepdim=True)).exp()

    return fn, [*lin1.parameters(), *lin2.parameters()]


@pytest.mark.parametrize("reentrant", VARIANTS)
@pytest.mark.parametrize("preserve", [True, False])
def test_gradients_equal_plain_run_with_dropout(reentrant, preserve):
    fn, params = mlp()
    x = mg.randn(5, 4, dtype=mg.float64, requires_grad=True)
    state = mg.random.get_rng_state()
    y = checkpoint(fn, x, use_reentrant=reentrant, preserve_rng_state=preserve)
    after_forward = mg.rand(3)  # the stream goes on from the forward's draws
    y.sum().backward()
    got = grads([x, *params])
    next_draw = mg.rand(3)
    for t in [x, *params]:
        t.grad = None
    mg.random.set_rng_state(state)
    y_plain = fn(x)
    same(after_forward, mg.rand(3))
    y_plain.sum().backward()
    if preserve:  # the recomputation drew from a copy: the stream is as it was
        same(next_draw, mg.rand(3))
    same(y, y_plain)
    want = grads([x, *params])
    if preserve:
        for g, w in zip(got, want, strict=True):
            np.testing.assert_allclose(g, w, atol=1e-12, rtol=1e-10)
    else:  # another mask in the recomputation: other gradients
        assert any(not np.allclose(g, w) for g, w in zip(got, want, strict=True))


def conv_block():
    mg.manual_seed(2)
    net = mg.nn.Sequential(
        mg.nn.Conv2d(3, 4, 3, padding=1),
        mg.nn.BatchNorm2d(4),
        mg.nn.ReLU(),
        mg.nn.MaxPool2d(2),
        mg.nn.Conv2d(4, 2, 3),
        mg.nn.LeakyReLU(0.2),
    ).double()
    tnet = torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 3, padding=1),
        torch.nn.BatchNorm2d(4),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(4, 2, 3),
        torch.nn.LeakyReLU(0.2),
    ).double()
    return net, copy_to_torch(net, tnet)


@pytest.mark.parametrize("reentrant", VARIANTS)
def test_conv_net_matches_torch(reentrant):
    """Parameters inside the function get their gradients; BatchNorm's running stats are
    updated by the forward and again by the recomputation, as in PyTorch."""
    net, tnet = conv_block()
    xa = np.random.default_rng(0).standard_normal((2, 3, 8, 8))
    x = mg.tensor(xa, requires_grad=True)
    tx = torch.tensor(xa, requires_grad=True)
    y = checkpoint(net, x, use_reentrant=reentrant)
    ty = tcp.checkpoint(tnet, tx, use_reentrant=reentrant)
    same(y, ty)
    (y * y).sum().backward()
    (ty * ty).sum().backward()
    same(x.grad, tx.grad, atol=1e-10)
    for p, tp in zip(net.parameters(), tnet.parameters(), strict=True):
        same(p.grad, tp.grad, atol=1e-10)
    for b, tb in zip(net.buffers(), tnet.buffers(), strict=True):
        same(b, tb)


@pytest.mark.parametrize("reentrant", VARIANTS)
def test_tuple_outputs_and_outputs_without_grad(reentrant):
    """An integer output gets no gradient; an unused float output gets zeros."""

    def fn(a, b):
        return a * b, (a + b).argmax(), (a - b).exp()

    def run(lib, a, b):
        ckpt = checkpoint if lib is mg else tcp.checkpoint
        prod, idx, unused = ckpt(fn, a, b, use_reentrant=reentrant)
        assert prod.requires_grad and unused.requires_grad and not idx.requires_grad
        (prod * prod).sum().backward()
        return prod, idx

    xa, wa = np.random.default_rng(1).standard_normal((2, 3, 4))
    x, w = mg.tensor(xa, requires_grad=True), mg.tensor(wa, requires_grad=True)
    tx, tw = torch.tensor(xa, requires_grad=True), torch.tensor(wa, requires_grad=True)
    (prod, idx), (tprod, tidx) = run(mg, x, w), run(torch, tx, tw)
    same(prod, tprod)
    assert idx.item() == tidx.item() and idx.dtype == mg.int64
    same(x.grad, tx.grad)
    same(w.grad, tw.grad)


@pytest.mark.parametrize("reentrant", VARIANTS)
def test_some_inputs_without_grad_and_non_tensor_arguments(reentrant):
    def fn(a, scale, b, name):
        assert name == "n"
        return (a * scale + b).sin()

    xa, ba = np.random.default_rng(2).standard_normal((2, 5))
    x, b = mg.tensor(xa, requires_grad=True), mg.tensor(ba)
    tx, tb = torch.tensor(xa, requires_grad=True), torch.tensor(ba)
    y = checkpoint(fn, x, 3.0, b, "n", use_reentrant=reentrant)
    ty = tcp.checkpoint(fn, tx, 3.0, tb, "n", use_reentrant=reentrant)
    y.sum().backward()
    ty.sum().backward()
    same(x.grad, tx.grad)
    assert b.grad is None and tb.grad is None


def test_keyword_tensor_arguments_non_reentrant():
    def fn(a, *, scale, shift=0.0):
        return (a * scale).exp().sum() + shift

    xa, sa = np.random.default_rng(3).standard_normal((2, 4))
    x, s = mg.tensor(xa, requires_grad=True), mg.tensor(sa, requires_grad=True)
    tx, ts = torch.tensor(xa, requires_grad=True), torch.tensor(sa, requires_grad=True)
    y = checkpoint(fn, x, scale=s, shift=1.0, use_reentrant=False)
    ty = tcp.checkpoint(fn, tx, scale=ts, shift=1.0, use_reentrant=False)
    same(y, ty)
    got = mg.grad(y, [x, s])
    want = torch.autograd.grad(ty, [tx, ts])
    for g, w in zip(got, want, strict=True):
        same(g, w)


@pytest.mark.parametrize("reentrant", VARIANTS)
def test_edge_shapes_and_dtypes(reentrant):
    """0-d and empty inputs, float32, a non-contiguous input."""
    for xa in [np.array(0.7), np.zeros((0, 3)), np.arange(12.0).reshape(3, 4).T / 7]:
        for dtype, tdtype in [(mg.float64, torch.float64), (mg.float32, torch.float32)]:
            x = mg.tensor(xa, dtype=dtype).requires_grad_()
            tx = torch.tensor(xa, dtype=tdtype, requires_grad=True)
            x_in = x.t() if x.ndim == 2 else x * 1  # not contiguous / not a leaf
            tx_in = tx.t() if tx.ndim == 2 else tx * 1
            y = checkpoint(lambda a: (a.exp() * a).sum(), x_in, use_reentrant=reentrant)
            ty = tcp.checkpoint(lambda a: (a.exp() * a).sum(), tx_in, use_reentrant=reentrant)
            y.backward()
            ty.backward()
            assert y.dtype == dtype
            same(x.grad, tx.grad, atol=1e-6, rtol=1e-6)


# ------------------------------------------------------------------ warnings and errors


def test_use_reentrant_left_out_warns_and_means_true():
    x = mg.randn(3, requires_grad=True)
    got = caught_warnings(lambda: checkpoint(lambda a: a * 2, x))
    want = caught_warnings(
        lambda: tcp.checkpoint(lambda a: a * 2, torch.randn(3, requires_grad=True))
    )
    assert [(c, m.replace("torch.", "minigrad.")) for c, m in want] == got
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y = checkpoint(lambda a: a * 2, x)
    assert y.grad_fn.name() == "CheckpointFunction"  # the reentrant one
    with pytest.raises(RuntimeError, match="use_reentrant=True"):
        mg.grad(y.sum(), x)
    got = caught_warnings(lambda: checkpoint_sequential([mg.nn.ReLU()] * 2, 1, x))
    want = caught_warnings(
        lambda: tcp.checkpoint_sequential(
            [torch.nn.ReLU()] * 2, 1, torch.ones(2, requires_grad=True)
        )
    )
    assert [(c, m.replace("torch.", "minigrad.")) for c, m in want] == got


def outcome(fn):
    try:
        fn()
    except Exception as exc:  # compared with torch's
        return type(exc), str(exc).replace("torch.", "minigrad.")
    return None, ""


MG = SimpleNamespace(ckpt=checkpoint, seq=checkpoint_sequential, nn=mg.nn, grad=mg.grad)
TORCH = SimpleNamespace(
    ckpt=tcp.checkpoint, seq=tcp.checkpoint_sequential, nn=torch.nn, grad=torch.autograd.grad
)


def both(make):
    """make(lib, x) run with minigrad and with torch: (minigrad's outcome, torch's)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = outcome(lambda: make(MG, mg.randn(3, requires_grad=True)))
        want = outcome(lambda: make(TORCH, torch.randn(3, requires_grad=True)))
    return got, want


def sin_sum(a):
    return (a.sin() * a).sum()


def twice(y):
    y.backward()
    y.backward()


ERRORS = {
    "reentrant grad()": lambda L, x: L.grad(L.ckpt(sin_sum, x, use_reentrant=True), x),
    "reentrant backward(inputs=)": lambda L, x: L.ckpt(sin_sum, x, use_reentrant=True).backward(
        inputs=[x]
    ),
    "reentrant kwargs": lambda L, x: L.ckpt(lambda a, s, t: a, x, s=2, t=3, use_reentrant=True),
    "reentrant context_fn": lambda L, x: L.ckpt(
        sin_sum, x, use_reentrant=True, context_fn=lambda: (None, None)
    ),
    "reentrant debug": lambda L, x: L.ckpt(sin_sum, x, use_reentrant=True, debug=True),
    "reentrant detached output": lambda L, x: (
        L.ckpt(lambda a: a.detach() * 2, x, use_reentrant=True).sum().backward()
    ),
    "determinism_check": lambda L, x: L.ckpt(
        sin_sum, x, use_reentrant=False, determinism_check="foo"
    ),
    "non-reentrant twice": lambda L, x: twice(L.ckpt(sin_sum, x, use_reentrant=False)),
    "reentrant twice": lambda L, x: twice(L.ckpt(sin_sum, x, use_reentrant=True)),
    "sequential kwargs": lambda L, x: L.seq([L.nn.ReLU()] * 2, 1, x, use_reentrant=False, foo=1),
    "sequential too many segments": lambda L, x: L.seq(
        [L.nn.ReLU()] * 2, 3, x, use_reentrant=False
    ),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_match_torch(name):
    got, want = both(ERRORS[name])
    assert want[0] is not None
    assert got[0] is want[0]
    if name.endswith("twice"):  # the same error; minigrad's text names the node
        assert "second time" in got[1]
    else:
        assert got[1] == want[1]


@pytest.mark.parametrize("reentrant", VARIANTS)
def test_no_input_requires_grad(reentrant):
    """Reentrant: PyTorch's warning, the output needs no grad and the parameters get no
    gradient. Non-reentrant: the parameters inside get theirs."""
    lin = mg.nn.Linear(3, 2)
    tlin = copy_to_torch(lin, torch.nn.Linear(3, 2))
    xa = np.random.default_rng(4).standard_normal((2, 3)).astype(np.float32)
    got = caught_warnings(lambda: checkpoint(lin, mg.tensor(xa), use_reentrant=reentrant))
    want = caught_warnings(lambda: tcp.checkpoint(tlin, torch.tensor(xa), use_reentrant=reentrant))
    assert got == want
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y = checkpoint(lin, mg.tensor(xa), use_reentrant=reentrant)
        ty = tcp.checkpoint(tlin, torch.tensor(xa), use_reentrant=reentrant)
    assert y.requires_grad == ty.requires_grad == (not reentrant)
    if not reentrant:
        y.sum().backward()
        ty.sum().backward()
        same(lin.weight.grad, tlin.weight.grad, atol=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y = checkpoint(lambda: lin(mg.tensor(xa)), use_reentrant=reentrant)  # no arguments
        ty = tcp.checkpoint(lambda: tlin(torch.tensor(xa)), use_reentrant=reentrant)
    assert y.requires_grad == ty.requires_grad


@pytest.mark.parametrize("reentrant", VARIANTS)
def test_results_under_no_grad_and_dict_outputs(reentrant):
    x, tx = mg.randn(3, requires_grad=True), torch.randn(3, requires_grad=True)
    with mg.no_grad():
        y = checkpoint(sin_sum, x, use_reentrant=reentrant)
    with torch.no_grad():
        ty = tcp.checkpoint(sin_sum, tx, use_reentrant=reentrant)
    assert y.requires_grad == ty.requires_grad is False
    out = checkpoint(lambda a: {"a": a * 2}, x, use_reentrant=reentrant)
    tout = tcp.checkpoint(lambda a: {"a": a * 2}, tx, use_reentrant=reentrant)
    assert type(out) is dict and out["a"].requires_grad == tout["a"].requires_grad
    y = checkpoint(lambda a: a, x, use_reentrant=reentrant)
    ty = tcp.checkpoint(lambda a: a, tx, use_reentrant=reentrant)
    assert (y is x) == (ty is tx)


@pytest.mark.parametrize("reentrant", VARIANTS)
def test_retain_graph_second_backward(reentrant):
    x = mg.randn(4, dtype=mg.float64, requires_grad=True)
    y = checkpoint(sin_sum, x, use_reentrant=reentrant)
    y.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * first)


def test_reentrant_create_graph_gives_plain_gradients_as_torch():
    """PyTorch's reentrant checkpoint runs its inner backward without a graph: the
    gradients of a backward(create_graph=True) do not require grad."""
    x = mg.randn(3, dtype=mg.float64, requires_grad=True)
    tx = torch.tensor(x.detach().numpy(), requires_grad=True)
    checkpoint(sin_sum, x, use_reentrant=True).backward(create_graph=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's warning about create_graph on leaves
        tcp.checkpoint(sin_sum, tx, use_reentrant=True).backward(create_graph=True)
    same(x.grad, tx.grad)
    assert x.grad.requires_grad == tx.grad.requires_grad is False


def test_non_reentrant_recomputation_errors():
    x = mg.randn(3, dtype=mg.float64, requires_grad=True)
    calls = []

    def other_ops(a):
        calls.append(1)
        return a.exp() if len(calls) == 1 else a.sin().cos()

    y = checkpoint(other_ops, x, use_reentrant=False, debug=True)
    with pytest.raises(CheckpointError, match="Exp where the recomputation ran Cos") as info:
        y.sum().backward()
    assert "Operations whose values were dropped" in str(info.value)
    assert isinstance(info.value, RuntimeError)

    calls.clear()

    def other_shape(a):
        calls.append(1)
        return (a[:2] if len(calls) > 1 else a).exp().sum()

    y = checkpoint(other_shape, x, use_reentrant=False)
    with pytest.raises(CheckpointError, match="different metadata"):
        y.backward()
    with pytest.raises(ValueError, match="debug=True is incompatible with non-default context_fn"):
        checkpoint(sin_sum, x, use_reentrant=False, debug=True, context_fn=lambda: (None, None))
    z = x * 1
    y = checkpoint(sin_sum, z, use_reentrant=False)
    z.mul_(2)
    with pytest.raises(RuntimeError, match="modified in place since it was passed"):
        y.backward()


def test_returning_a_tensor_from_outside_is_refused_clearly():
    x = mg.randn(3, dtype=mg.float64, requires_grad=True)
    w = mg.randn(3, dtype=mg.float64, requires_grad=True)
    h = (w * 3).exp()  # computed outside, captured, returned
    y, z = checkpoint(lambda a: (a.sin(), h), x, use_reentrant=False)
    with pytest.raises(CheckpointError, match="did not compute"):
        (y.sum() + z.sum()).backward()


# ------------------------------------------------------------ non-reentrant's extras


def test_grad_of_parameters_inside_and_partial_grad():
    fn, params = mlp()
    x = mg.randn(5, 4, dtype=mg.float64, requires_grad=True)
    state = mg.random.get_rng_state()
    y = checkpoint(fn, x, use_reentrant=False)
    (gw,) = mg.grad(y.sum(), [params[2]])  # only lin2.weight: a pruned walk
    mg.random.set_rng_state(state)
    (want,) = mg.grad(fn(x).sum(), [params[2]])
    same(gw, want)


def test_double_backward_matches_plain_and_torch():
    wa, xa = np.random.default_rng(5).standard_normal((2, 4))
    w, x = mg.tensor(wa, requires_grad=True), mg.tensor(xa, requires_grad=True)
    tw, tx = torch.tensor(wa, requires_grad=True), torch.tensor(xa, requires_grad=True)

    def fn(a, lib):
        return (lib.tanh(a * (w if lib is mg else tw)) ** 3).sum()

    y = checkpoint(fn, x, mg, use_reentrant=False)
    ty = tcp.checkpoint(fn, tx, torch, use_reentrant=False)
    g = mg.grad(y, [x, w], create_graph=True)
    tg = torch.autograd.grad(ty, [tx, tw], create_graph=True)
    assert all(t.requires_grad for t in g)
    gg = mg.grad((g[0] * g[1]).sum(), [x, w])
    tgg = torch.autograd.grad((tg[0] * tg[1]).sum(), [tx, tw])
    for a, b in zip([*g, *gg], [*tg, *tgg], strict=True):
        same(a, b)
    checkpoint(fn, x, mg, use_reentrant=False).backward(create_graph=True)  # into .grad
    assert x.grad.requires_grad and w.grad.requires_grad
    same(x.grad, tg[0])
    for a, b in zip(mg.grad((x.grad * w.grad).sum(), [x, w]), tgg, strict=True):
        same(a, b)


def test_gradcheck_and_gradgradcheck_through_checkpoint():
    rng = np.random.default_rng(6)
    w = mg.tensor(rng.standard_normal((3, 3)), requires_grad=True)
    x = mg.tensor(rng.standard_normal((2, 3)), requires_grad=True)

    def fn(a, b):
        return checkpoint(lambda p, q: (p @ q).sigmoid() * p, a, b, use_reentrant=False)

    assert mg.gradcheck(fn, [x, w])
    assert mg.gradgradcheck(fn, [x, w])


def test_nested_checkpoints():
    rng = np.random.default_rng(7)
    xa, wa = rng.standard_normal((2, 3))
    x, w = mg.tensor(xa, requires_grad=True), mg.tensor(wa, requires_grad=True)
    tx, tw = torch.tensor(xa, requires_grad=True), torch.tensor(wa, requires_grad=True)

    def outer(a, ckpt, weight):
        inner = ckpt(lambda b: (b * weight).tanh(), a.exp(), use_reentrant=False)
        return inner.sin().sum()

    y = checkpoint(outer, x, checkpoint, w, use_reentrant=False)
    ty = tcp.checkpoint(outer, tx, tcp.checkpoint, tw, use_reentrant=False)
    g = mg.grad(y, [x, w], create_graph=True)
    tg = torch.autograd.grad(ty, [tx, tw], create_graph=True)
    gg = mg.grad(g[0].sum() + g[1].sum(), [x, w])
    tgg = torch.autograd.grad(tg[0].sum() + tg[1].sum(), [tx, tw])
    for a, b in zip([*g, *gg], [*tg, *tgg], strict=True):
        same(a, b)


def test_captured_tensor_with_history():
    """A tensor computed outside and used inside (not an argument) keeps its graph."""
    xa, wa = np.random.default_rng(8).standard_normal((2, 3))
    x, w = mg.tensor(xa, requires_grad=True), mg.tensor(wa, requires_grad=True)
    tx, tw = torch.tensor(xa, requires_grad=True), torch.tensor(wa, requires_grad=True)
    h, th = (w * 3).exp(), (tw * 3).exp()
    y = checkpoint(lambda a: (a * h).sin().sum(), x, use_reentrant=False)
    ty = tcp.checkpoint(lambda a: (a * th).sin().sum(), tx, use_reentrant=False)
    y.backward()
    ty.backward()
    same(x.grad, tx.grad)
    same(w.grad, tw.grad)


def test_custom_function_and_hooks_inside():
    class ExpFn(mg.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            out = a.exp()
            ctx.save_for_backward(out)
            return out

        @staticmethod
        def backward(ctx, g):
            (out,) = ctx.saved_tensors
            return g * out

    seen = []

    def fn(a):
        h = ExpFn.apply(a * 2)
        h.register_hook(lambda g: seen.append(g.shape))
        return (h * h).sum()

    x = mg.randn(3, dtype=mg.float64, requires_grad=True)
    y = checkpoint(fn, x, use_reentrant=False)
    (g,) = mg.grad(y, x)
    same(g, 4 * (4 * x).exp())
    assert seen == [(3,)]


def test_context_fn_contexts_are_entered():
    entered = []

    class Ctx:
        def __init__(self, name):
            self.name = name

        def __enter__(self):
            entered.append(self.name)

        def __exit__(self, *exc):
            return False

    x = mg.randn(3, requires_grad=True)
    y = checkpoint(sin_sum, x, use_reentrant=False, context_fn=lambda: (Ctx("fwd"), Ctx("re")))
    assert entered == ["fwd"]
    y.backward()
    assert entered == ["fwd", "re"]


def test_checkpoint_sequential_matches_torch():
    net, tnet = conv_block()
    for reentrant in VARIANTS:
        for segments in (1, 2, 3):
            xa = np.random.default_rng(segments).standard_normal((2, 3, 8, 8))
            x, tx = mg.tensor(xa, requires_grad=True), torch.tensor(xa, requires_grad=True)
            funcs = net if segments != 2 else list(net)
            tfuncs = tnet if segments != 2 else list(tnet)
            y = checkpoint_sequential(funcs, segments, x, use_reentrant=reentrant)
            ty = tcp.checkpoint_sequential(tfuncs, segments, tx, use_reentrant=reentrant)
            same(y, ty)
            y.sum().backward()
            ty.sum().backward()
            same(x.grad, tx.grad, atol=1e-10)
            for p, tp in zip(net.parameters(), tnet.parameters(), strict=True):
                same(p.grad, tp.grad, atol=1e-10)


# ------------------------------------------------------------------------------ memory


def tracked(store):
    """A function whose intermediate arrays are watched through weak references."""

    def fn(a):
        h = a.exp()
        m = h * h  # Mul keeps h for its backward
        store.append((weakref.ref(h._data), weakref.ref(m._data)))
        return (m.sin() * h).sum()

    return fn


@pytest.mark.parametrize("reentrant", [None, *VARIANTS])
def test_intermediates_not_kept_between_forward_and_backward(reentrant):
    store = []
    fn = tracked(store)
    x = mg.randn(1000, dtype=mg.float64, requires_grad=True)
    if reentrant is None:  # the control: without checkpoint the graph keeps them
        y = fn(x)
    else:
        y = checkpoint(fn, x, use_reentrant=reentrant)
    alive = [ref() is not None for ref in store[0]]
    assert alive == ([True, True] if reentrant is None else [False, False])
    y.backward()
    assert len(store) == (1 if reentrant is None else 2)  # recomputed once in backward
    gc.collect()
    assert all(ref() is None for pair in store for ref in pair)  # and freed after it
    h, m = x.exp(), (2 * x).exp()
    same(x.grad, m.cos() * 2 * m * h + m.sin() * h)


def test_checkpoint_sequential_keeps_only_segment_boundaries():
    store = []

    def layer(a):
        h = (a * 1.5).tanh()
        store.append(weakref.ref(h._data))
        return h * a

    x = mg.randn(500, dtype=mg.float64, requires_grad=True)
    y = checkpoint_sequential([layer] * 6, 3, x, use_reentrant=False)
    # the last segment runs plainly (its two layers keep theirs), the others keep nothing
    assert [ref() is not None for ref in store] == [False] * 4 + [True] * 2
    y.sum().backward()
    tx = torch.tensor(x.detach().numpy(), requires_grad=True)
    t = tx
    for _ in range(6):
        t = (t * 1.5).tanh() * t
    t.sum().backward()
    same(x.grad, tx.grad)


@pytest.mark.parametrize("reentrant", VARIANTS)
def test_in_place_change_of_the_output(reentrant):
    xa = np.random.default_rng(9).standard_normal(4)
    x, tx = mg.tensor(xa, requires_grad=True), torch.tensor(xa, requires_grad=True)
    y = checkpoint(lambda a: a.exp(), x, use_reentrant=reentrant)
    ty = tcp.checkpoint(lambda a: a.exp(), tx, use_reentrant=reentrant)
    y.mul_(2)
    ty.mul_(2)
    (y * y).sum().backward()
    (ty * ty).sum().backward()
    same(x.grad, tx.grad)


def test_graph_stays_inspectable_between_forward_and_backward():
    """Dropping the values keeps the graph's shape: grad_fn and next_functions as usual."""
    w = mg.randn(3, requires_grad=True)

    def fn(a):
        return (a.exp() * w).sum()

    x = mg.randn(3, requires_grad=True)
    y, plain = checkpoint(fn, x, use_reentrant=False), fn(x)

    def names(node, depth):
        if node is None or depth == 0:
            return []
        return [node.name()] + [n for nxt, _ in node.next_functions for n in names(nxt, depth - 1)]

    assert names(y.grad_fn, 4) == names(plain.grad_fn, 4)
