"""minigrad.autograd.functional (minigrad/autograd_functional.py) against
torch.autograd.functional: vjp, jvp, jacobian, hessian, vhp and hvp on the same float64
data, with the same tuple / Tensor nesting, shapes and values, the same strict-mode and
`v` errors, and create_graph results that differentiate again to the same gradients."""

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")
F = mg.autograd.functional
# torch's forward mode (vmap) warns about torch.jit.script on its own
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated")
TF = torch.autograd.functional

ATOL, RTOL = 1e-12, 1e-10


def pair(*shapes, seed=0):
    """The same random float64 inputs for minigrad and torch: (mg tuple, torch tuple)."""
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s) for s in shapes]
    return tuple(mg.tensor(a) for a in arrays), tuple(torch.tensor(a) for a in arrays)


def same(got, want, atol=ATOL, rtol=RTOL, grad_flag=True):
    """The same nesting (Tensor, tuple or list), shapes, values and requires_grad."""
    if isinstance(want, torch.Tensor):
        assert isinstance(got, mg.Tensor), type(got)
        assert tuple(got.shape) == tuple(want.shape), (got.shape, want.shape)
        assert got.dtype == mg.float64
        assert not grad_flag or got.requires_grad == want.requires_grad
        np.testing.assert_allclose(
            got.detach().numpy(), want.detach().numpy(), atol=atol, rtol=rtol
        )
        return
    assert type(got) is type(want) and type(want) in (tuple, list), (type(got), type(want))
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        same(g, w, atol, rtol, grad_flag)


def unpack(xs, single):
    return xs[0] if single else xs


# functions written with methods and operators only, so one body serves both libraries
def scalar_fn(x):
    return (x.tanh() ** 3).sum() * x.exp().sum()


def vector_fn(x):
    return x.tanh() * x.exp() + x * x


def two_in_one_out(x, w):
    return (x @ w).tanh()


def two_in_two_out(x, w):
    return (x @ w).relu(), x.exp() * w.sum()


def mlp(x, w1, w2):
    return ((x @ w1).tanh() @ w2).relu() + (x @ w1).exp().sum()


def mlp_loss(x, w1, w2):
    return (((x @ w1).tanh() @ w2).exp() ** 2).mean()


def zero_d(x):
    return (x.exp() * x).tanh()


def mixed_zero_d(s, x):
    return (s * x).exp(), s.tanh() * 3


# (function, input shapes, single Tensor input?)
CASES = {
    "scalar": (scalar_fn, [(4,)], True),
    "vector": (vector_fn, [(2, 3)], True),
    "two_in_one_out": (two_in_one_out, [(2, 3), (3, 4)], False),
    "two_in_two_out": (two_in_two_out, [(2, 3), (3, 2)], False),
    "mlp": (mlp, [(2, 3), (3, 4), (4, 2)], False),
    "zero_d": (zero_d, [()], True),
    "mixed_zero_d": (mixed_zero_d, [(), (3,)], False),
}
SCALAR_CASES = {
    "scalar": (scalar_fn, [(4,)], True),
    "mlp_loss": (mlp_loss, [(2, 3), (3, 4), (4, 2)], False),
    "zero_d": (zero_d, [()], True),
    "tuple_of_one": (scalar_fn, [(3,)], False),
}


def outputs_like(fn, tx):
    """Random v shaped like fn's outputs (torch), as (mg, torch) in fn's nesting."""
    out = fn(*tx)
    single = isinstance(out, torch.Tensor)
    mv, tv = pair(*[o.shape for o in ((out,) if single else out)], seed=1)
    return unpack(mv, single), unpack(tv, single)


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("create_graph", [False, True])
def test_vjp_jvp_match_torch(name, create_graph):
    fn, shapes, single = CASES[name]
    mx, tx = pair(*shapes)
    mv, tv = outputs_like(fn, tx)
    got = F.vjp(fn, unpack(mx, single), mv, create_graph=create_graph)
    same(got, TF.vjp(fn, unpack(tx, single), tv, create_graph=create_graph))
    mu, tu = pair(*shapes, seed=2)
    got = F.jvp(fn, unpack(mx, single), unpack(mu, single), create_graph=create_graph)
    same(got, TF.jvp(fn, unpack(tx, single), unpack(tu, single), create_graph=create_graph))


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("vectorize", [False, True])
def test_jacobian_matches_torch(name, vectorize):
    fn, shapes, single = CASES[name]
    mx, tx = pair(*shapes)
    got = F.jacobian(fn, unpack(mx, single), vectorize=vectorize)
    same(got, TF.jacobian(fn, unpack(tx, single), vectorize=vectorize))


@pytest.mark.parametrize("name", CASES)
def test_forward_mode_jacobian_matches_torch(name):
    fn, shapes, single = CASES[name]
    mx, tx = pair(*shapes)
    got = F.jacobian(fn, unpack(mx, single), vectorize=True, strategy="forward-mode")
    want = TF.jacobian(fn, unpack(tx, single), vectorize=True, strategy="forward-mode")
    same(got, want)


@pytest.mark.parametrize("name", SCALAR_CASES)
@pytest.mark.parametrize("vectorize", [False, True])
def test_hessian_matches_torch(name, vectorize):
    fn, shapes, single = SCALAR_CASES[name]
    mx, tx = pair(*shapes)
    got = F.hessian(fn, unpack(mx, single), vectorize=vectorize)
    same(got, TF.hessian(fn, unpack(tx, single), vectorize=vectorize))


@pytest.mark.parametrize("name", SCALAR_CASES)
def test_forward_over_reverse_hessian_matches_torch(name):
    fn, shapes, single = SCALAR_CASES[name]
    mx, tx = pair(*shapes)
    kw = {"vectorize": True, "outer_jacobian_strategy": "forward-mode"}
    got, want = F.hessian(fn, unpack(mx, single), **kw), TF.hessian(fn, unpack(tx, single), **kw)
    # torch's result keeps a graph here (its dual inputs are set to require grad) though
    # create_graph=False; minigrad's is detached, as everywhere else
    same(got, want, grad_flag=False)


@pytest.mark.parametrize("name", SCALAR_CASES)
@pytest.mark.parametrize("op", ["vhp", "hvp"])
def test_vhp_hvp_match_torch(name, op):
    fn, shapes, single = SCALAR_CASES[name]
    mx, tx = pair(*shapes)
    mv, tv = pair(*shapes, seed=3)
    got = getattr(F, op)(fn, unpack(mx, single), unpack(mv, single))
    same(got, getattr(TF, op)(fn, unpack(tx, single), unpack(tv, single)))


def test_v_may_be_none_for_one_element():
    (mx,), (tx,) = pair(())
    same(F.vjp(zero_d, mx), TF.vjp(zero_d, tx))
    same(F.jvp(zero_d, mx), TF.jvp(zero_d, tx))
    same(F.vhp(zero_d, mx), TF.vhp(zero_d, tx))
    same(F.hvp(zero_d, mx), TF.hvp(zero_d, tx))
    (mx,), (tx,) = pair((3,))
    same(F.vjp(scalar_fn, mx), TF.vjp(scalar_fn, tx))


# ------------------------------------------------------------------ independent inputs
def ignores_y(x, y):
    return x.exp() * 2


def ignores_y_scalar(x, y):
    return (x.exp() * x).sum()


@pytest.mark.parametrize("vectorize", [False, True])
def test_independent_input_gives_zeros_when_not_strict(vectorize):
    mx, tx = pair((3,), (2,))
    same(F.jacobian(ignores_y, mx, vectorize=vectorize), TF.jacobian(ignores_y, tx))
    same(F.hessian(ignores_y_scalar, mx, vectorize=vectorize), TF.hessian(ignores_y_scalar, tx))
    mv, tv = pair((3,), seed=1)
    same(F.vjp(ignores_y, mx, mv[0]), TF.vjp(ignores_y, tx, tv[0]))
    mu, tu = pair((3,), (2,), seed=2)
    same(F.jvp(ignores_y, mx, mu), TF.jvp(ignores_y, tx, tu))
    same(F.vhp(ignores_y_scalar, mx, mu), TF.vhp(ignores_y_scalar, tx, tu))
    same(F.hvp(ignores_y_scalar, mx, mu), TF.hvp(ignores_y_scalar, tx, tu))


def _both_raise(call, exc, match, exact=False):
    """The call raises exc matching `match` with minigrad's module and with torch's (with
    `exact`, the very same message)."""
    messages = []
    for lib, make in ((F, mg.tensor), (TF, torch.tensor)):
        with pytest.raises(exc, match=match) as info:
            call(lib, make)
        messages.append(str(info.value))
    assert not exact or messages[0] == messages[1], messages


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda F, t: F.vjp(ignores_y, (t([1.0]), t([2.0])), t([1.0]), strict=True), "input 1"),
        (lambda F, t: F.jacobian(ignores_y, (t([1.0]), t([2.0])), strict=True), "input 1"),
        (
            lambda F, t: F.jvp(ignores_y, (t([1.0]), t([2.0])), (t([1.0]), t([1.0])), strict=True),
            "independent of input 1",
        ),
        (
            lambda F, t: F.hessian(ignores_y_scalar, (t([1.0]), t([2.0])), strict=True),
            "jacobian of the user-provided function with respect to input 1",
        ),
        (
            lambda F, t: F.vhp(
                ignores_y_scalar, (t([1.0]), t([2.0])), (t([1.0]), t([1.0])), True, True
            ),
            "independent of input 1",
        ),
        (
            lambda F, t: F.hvp(
                ignores_y_scalar, (t([1.0]), t([2.0])), (t([1.0]), t([1.0])), strict=True
            ),
            "independent of input 1",
        ),
        # an output that does not require grad at all
        (lambda F, t: F.vjp(lambda x: x.detach() * 2, t([1.0]), t([1.0]), strict=True), "Output 0"),
        (lambda F, t: F.jacobian(lambda x: x.detach(), t([1.0]), strict=True), "Output 0"),
        # a linear function: its gradient does not depend on the input
        (lambda F, t: F.hessian(lambda x: (x * 3).sum(), t([1.0, 2.0]), strict=True), "linear"),
        (lambda F, t: F.vhp(lambda x: (x * 3).sum(), t([1.0]), t([1.0]), strict=True), "linear"),
    ],
)
def test_strict_errors_match_torch(call, match):
    _both_raise(call, RuntimeError, match, exact=True)


def test_output_without_grad_gives_zeros_when_not_strict():
    mx, tx = pair((3,))
    const = lambda x: x.detach() * 2  # noqa: E731
    same(F.jacobian(const, mx[0]), TF.jacobian(const, tx[0]))
    same(F.vjp(const, mx[0], mx[0]), TF.vjp(const, tx[0], tx[0]))
    same(F.jvp(const, mx[0], mx[0]), TF.jvp(const, tx[0], tx[0]))
    linear = lambda x: (x * 3).sum()  # noqa: E731
    same(F.hessian(linear, mx[0]), TF.hessian(linear, tx[0]))
    same(F.hvp(linear, mx[0], mx[0]), TF.hvp(linear, tx[0], tx[0]))


# ------------------------------------------------------------------ create_graph
def _leaves(shapes):
    mx, tx = pair(*shapes)
    return (
        tuple(x.requires_grad_(True) for x in mx),
        tuple(x.requires_grad_(True) for x in tx),
    )


def _flat_sum(res, lib):
    """A scalar from every Tensor of a nested result, weighted so no entry cancels."""
    parts = res if isinstance(res, tuple) else (res,)
    total = 0
    for p in parts:
        if isinstance(p, tuple):
            total = total + _flat_sum(p, lib)
        else:
            total = total + (p * p).sum() + p.sum()
    return total


@pytest.mark.parametrize(
    "op",
    ["jacobian", "jacobian_vectorized", "hessian", "vjp", "jvp", "vhp", "hvp"],
)
def test_create_graph_then_backward_matches_torch(op):
    if op in ("hessian", "vhp", "hvp"):
        fn, shapes = mlp_loss, [(2, 3), (3, 4), (4, 2)]
    else:
        fn, shapes = mlp, [(2, 3), (3, 4), (4, 2)]
    mx, tx = _leaves(shapes)

    def run(lib, xs, make):
        if op == "jacobian_vectorized":
            return lib.jacobian(fn, xs, create_graph=True, vectorize=True)
        if op in ("jacobian", "hessian"):
            return getattr(lib, op)(fn, xs, create_graph=True)
        if op == "vjp":
            out = fn(*(x.detach() for x in xs))
            v = make(np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape)))
        else:
            v = tuple(make(np.linspace(-1, 1, x.numel()).reshape(tuple(x.shape))) for x in xs)
        return getattr(lib, op)(fn, xs, v, create_graph=True)

    got, want = run(F, mx, mg.tensor), run(TF, tx, torch.tensor)
    same(got, want)
    _flat_sum(got, mg).backward()
    _flat_sum(want, torch).backward()
    for m, t in zip(mx, tx, strict=True):
        np.testing.assert_allclose(m.grad.numpy(), t.grad.numpy(), atol=1e-10, rtol=1e-9)


def test_results_do_not_require_grad_without_create_graph():
    mx, _ = _leaves([(2, 3), (3, 4), (4, 2)])
    jac = F.jacobian(mlp, mx)
    assert not jac[0].requires_grad
    out, grads = F.vjp(mlp_loss, mx)
    assert not out.requires_grad and not any(g.requires_grad for g in grads)
    assert all(x.grad is None for x in mx)  # the caller's leaves are left alone


def test_works_inside_no_grad():
    mx, tx = pair((4,))
    with mg.no_grad():
        got = F.hessian(scalar_fn, mx[0])
    with torch.no_grad():
        want = TF.hessian(scalar_fn, tx[0])
    same(got, want)


# ------------------------------------------------------------------ empty inputs
def test_empty_inputs_match_torch():
    mx, tx = pair((0, 3))
    mv, tv = pair((0, 3), seed=1)
    double = lambda x: x * 2  # noqa: E731
    square_sum = lambda x: (x * x).sum()  # noqa: E731
    same(F.vjp(double, mx[0], mv[0]), TF.vjp(double, tx[0], tv[0]))
    same(F.jvp(double, mx[0], mv[0]), TF.jvp(double, tx[0], tv[0]))
    same(F.vhp(square_sum, mx[0], mv[0]), TF.vhp(square_sum, tx[0], tv[0]))
    same(F.hvp(square_sum, mx[0], mv[0]), TF.hvp(square_sum, tx[0], tv[0]))
    same(F.jacobian(square_sum, mx[0]), TF.jacobian(square_sum, tx[0]))
    # an empty output: torch's reverse mode fails to stack no rows; minigrad gives the
    # empty jacobian, the one torch's forward mode gives
    kw = {"vectorize": True, "strategy": "forward-mode"}
    want = TF.jacobian(double, tx[0], **kw)
    same(F.jacobian(double, mx[0]), want)
    same(F.jacobian(double, mx[0], vectorize=True), want)
    same(F.jacobian(double, mx[0], **kw), want)
    assert F.hessian(square_sum, mx[0]).shape == (0, 3, 0, 3)


# ------------------------------------------------------------------ argument errors
@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda F, t: F.vjp(vector_fn, t([1.0, 2.0]), t([1.0])), RuntimeError, "invalid size"),
        (lambda F, t: F.vjp(vector_fn, t([1.0, 2.0])), RuntimeError, "can only be None"),
        (lambda F, t: F.jvp(vector_fn, t([1.0, 2.0])), RuntimeError, "can only be None"),
        (
            lambda F, t: F.jvp(two_in_one_out, (t([[1.0]]), t([[2.0]])), (t([[1.0]]),)),
            RuntimeError,
            "invalid length: should be 2 but got 1",
        ),
        (
            lambda F, t: F.jvp(two_in_one_out, (t([[1.0]]), t([[2.0]])), (t([[1.0]]), t([1.0]))),
            RuntimeError,
            "Entry 1 in v has invalid size",
        ),
        (
            lambda F, t: F.vjp(vector_fn, t([1.0]), (t([1.0]), t([1.0]))),
            RuntimeError,
            "should contain a single Tensor",
        ),
        (lambda F, t: F.vjp(lambda x: 3.0, t([1.0]), t([1.0])), TypeError, "has type"),
        (lambda F, t: F.jacobian(vector_fn, [t([1.0])]), TypeError, "inputs given to jacobian"),
        (lambda F, t: F.vjp(vector_fn, t([1.0]), 1.0), TypeError, "The v given to vjp"),
        (lambda F, t: F.hessian(vector_fn, t([1.0, 2.0])), RuntimeError, "single element"),
        (lambda F, t: F.hessian(lambda x: (x, x), t([1.0])), RuntimeError, "single Tensor"),
        (lambda F, t: F.hvp(vector_fn, t([1.0, 2.0]), t([1.0, 2.0])), RuntimeError, "hvp"),
        (lambda F, t: F.jacobian(vector_fn, t([1.0]), strategy="x"), AssertionError, "strategy"),
        (
            lambda F, t: F.jacobian(vector_fn, t([1.0]), strict=True, vectorize=True),
            RuntimeError,
            "not supported together",
        ),
        (
            lambda F, t: F.jacobian(vector_fn, t([1.0]), strategy="forward-mode"),
            NotImplementedError,
            "only implemented for `vectorize=True`",
        ),
        (
            lambda F, t: F.jacobian(
                vector_fn, t([1.0]), create_graph=True, vectorize=True, strategy="forward-mode"
            ),
            NotImplementedError,
            "forward-mode",
        ),
        (
            lambda F, t: F.jacobian(vector_fn, t([1.0]), strict=True, strategy="forward-mode"),
            RuntimeError,
            "forward-mode",
        ),
    ],
)
def test_argument_errors_match_torch(call, exc, match):
    _both_raise(call, exc, match)


def test_registered_as_a_module():
    import sys

    from minigrad.autograd.functional import hessian, jacobian

    assert mg.autograd.functional is sys.modules["minigrad.autograd.functional"]
    assert jacobian is F.jacobian and hessian is F.hessian
    assert set(F.__all__) == {"vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"}
