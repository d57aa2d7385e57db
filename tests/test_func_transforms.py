"""minigrad.func (minigrad/func.py) against torch.func: grad, grad_and_value, vjp, jvp,
jacrev, jacfwd, hessian, vmap and stack_module_state on the same data, with the same
pytree nesting, shapes, dtypes, values, requires_grad flags and errors; nesting
(grad of grad, jacrev of jacrev, jacfwd of jacrev, vmap of grad), per-sample gradients
of a small MLP and a vmapped ensemble."""

import collections
import functools

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as mnn
import minigrad.nn.functional as mF

torch = pytest.importorskip("torch")
tnn = torch.nn
tF = torch.nn.functional
# torch's jacfwd / vmap warn about torch.jit.script on their own
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated")

TOL = {np.float64: (1e-10, 1e-12), np.float32: (2e-5, 2e-6)}


class Side:
    """One library as the test cases see it: `lib` (torch or minigrad), `func` (its
    torch.func), `F`, `nn` and `t(array)` making a tensor of it."""

    def __init__(self, lib, func, F, nn):
        self.lib, self.func, self.F, self.nn = lib, func, F, nn

    def t(self, a, requires_grad=False):
        x = self.lib.tensor(np.asarray(a))
        return x.requires_grad_() if requires_grad else x

    def dtype(self, np_dtype):
        return getattr(self.lib, np.dtype(np_dtype).name)


T = Side(torch, torch.func, tF, tnn)
M = Side(mg, mg.func, mF, mnn)
P = collections.namedtuple("P", "a b")


def data(*shapes, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(dtype) for s in shapes]


def _dtype_name(d):
    return str(d).replace("torch.", "")


def same(got, want, dtype=np.float64, grad_flag=True):
    """The same pytree (types, keys, lengths), and at the leaves the same shapes, dtypes,
    values (float tolerance by `dtype`) and requires_grad."""
    rtol, atol = TOL[np.dtype(dtype).type]
    if isinstance(want, torch.Tensor):
        assert isinstance(got, mg.Tensor), type(got)
        assert tuple(got.shape) == tuple(want.shape), (got.shape, want.shape)
        assert _dtype_name(got.dtype) == _dtype_name(want.dtype), (got.dtype, want.dtype)
        if grad_flag:
            assert got.requires_grad == want.requires_grad, (got.requires_grad, want)
        np.testing.assert_allclose(
            got.detach().numpy(), want.detach().numpy(), rtol=rtol, atol=atol
        )
        return
    assert type(got) is type(want), (type(got), type(want))
    if isinstance(want, dict):
        assert list(got) == list(want)
        for k in want:
            same(got[k], want[k], dtype, grad_flag)
    elif isinstance(want, tuple | list):
        assert len(got) == len(want)
        for g, w in zip(got, want, strict=True):
            same(g, w, dtype, grad_flag)
    else:
        assert got == want


def both(case, dtype=np.float64, grad_flag=True):
    """Run case(side) for torch and minigrad and compare the results."""
    want = case(T)
    got = case(M)
    same(got, want, dtype, grad_flag)
    return got, want


def _norm_msg(msg):
    return msg.replace("torch.", "").replace("Size(", "(")


def same_error(case, message=True):
    """case raises for torch; minigrad raises the same exception type and, unless
    message=False, the same message (dtype and Size spellings aside)."""
    with pytest.raises(Exception) as want:
        case(T)
    with pytest.raises(type(want.value)) as got:
        case(M)
    if message:
        assert _norm_msg(str(got.value)) == _norm_msg(str(want.value))


# functions written with methods and operators only, so one body serves both libraries
def scalar_fn(x):
    # (x.exp() * 0.5).sum(), not x.exp().sum() * 0.5: torch's jacfwd turns a 0-d float32
    # tensor times a Python float into float64
    return (x.sin() * x * x).sum() + (x.exp() * 0.5).sum()


def vector_fn(x):
    return x.tanh() * x.exp().sum() + x * x


def two_args(x, w):
    return ((x @ w).tanh() ** 2).sum()


DTYPES = [np.float64, np.float32]


# ---------------------------------------------------------------------------- grad
@pytest.mark.parametrize("dtype", DTYPES)
def test_grad_matches_and_is_detached(dtype):
    (a,) = data((5,), dtype=dtype)
    got, _ = both(lambda S: S.func.grad(scalar_fn)(S.t(a)), dtype)
    assert not got.requires_grad and got.creator is None
    both(lambda S: S.func.grad(lambda x: scalar_fn(x))(S.t(np.float64(0.7)).to(S.dtype(dtype))))


@pytest.mark.parametrize("dtype", DTYPES)
def test_grad_argnums_and_pytrees(dtype):
    x, w = data((3, 4), (4, 2), dtype=dtype)
    for argnums in (0, 1, -1, (0, 1), (1, 0), (-2,)):
        both(lambda S, n=argnums: S.func.grad(two_args, argnums=n)(S.t(x), S.t(w)), dtype)

    def f(d, scale, *, shift):
        return ((d["a"] * d["b"][0]).sum() + d["b"][1].sum() * scale + shift).tanh()

    both(
        lambda S: S.func.grad(f)(
            {"a": S.t(x), "b": [S.t(x), S.t(w)]}, 2.0, shift=S.t(np.array(0.5, dtype))
        ),
        dtype,
    )
    both(lambda S: S.func.grad(lambda p: (p.a * p.b).sum())(P(S.t(x), S.t(x))), dtype)
    # the same tensor passed twice is two inputs, each with its own gradient
    both(lambda S: S.func.grad(lambda u, v: (u * v).sum(), argnums=(0, 1))(S.t(x), S.t(x)))


def test_grad_unused_and_constant_outputs_give_zeros():
    x, w = data((3,), (3,))
    both(lambda S: S.func.grad(lambda a, b: b.sum())(S.t(x), S.t(w)))
    both(lambda S: S.func.grad(lambda a: a.detach().sum())(S.t(x)))
    both(lambda S: S.func.grad(lambda a: a.sum().int())(S.t(x)))
    both(lambda S: S.func.grad(lambda a: S.lib.zeros(()))(S.t(x)))


@pytest.mark.parametrize("dtype", DTYPES)
def test_grad_has_aux_and_grad_and_value(dtype):
    (x,) = data((4,), dtype=dtype)

    def f(a):
        return (a**3).sum(), {"sq": a * a, "list": [a.sum()]}

    got, _ = both(lambda S: S.func.grad(f, has_aux=True)(S.t(x)), dtype)
    assert not got[1]["sq"].requires_grad
    both(lambda S: S.func.grad_and_value(scalar_fn)(S.t(x)), dtype)
    both(lambda S: S.func.grad_and_value(f, has_aux=True)(S.t(x)), dtype)
    both(
        lambda S: S.func.grad_and_value(two_args, argnums=(0, 1))(
            S.t(x[:2, None]), S.t(x[None, :2])
        ),
        dtype,
    )
    # grad_and_value nested: the value of a gradient's sum and its own gradient
    both(lambda S: S.func.grad_and_value(lambda a: S.func.grad(scalar_fn)(a).sum())(S.t(x)), dtype)


@pytest.mark.parametrize(
    "case",
    [
        lambda S, x: S.func.grad(lambda a: a)(x),
        lambda S, x: S.func.grad(lambda a: a.sum(), argnums=1)(x),
        lambda S, x: S.func.grad(lambda a: a.sum(), argnums=-2)(x),
        lambda S, x: S.func.grad(lambda a: a.sum(), argnums=(0, 0))(x),
        lambda S, x: S.func.grad(lambda a: a.sum(), argnums=())(x),
        lambda S, x: S.func.grad(lambda a: a.sum(), argnums=[0])(x),
        lambda S, x: S.func.grad(lambda a: a.sum(), argnums=0.0)(x),
        lambda S, x: S.func.grad(lambda a: a.sum(), argnums=(0, 1.0))(x, x),
        lambda S, x: S.func.grad(lambda a: a.sum())(x.long()),
        lambda S, x: S.func.grad(lambda a: 3.0)(x),
        lambda S, x: S.func.grad(lambda a: a.sum())(3.0),
        lambda S, x: S.func.grad(lambda d: d["a"].sum())({"a": x, "b": 3}),
        lambda S, x: S.func.grad(lambda a: a.sum())(a=x),
        lambda S, x: S.func.grad(lambda a: a.sum(), has_aux=True)(x),
        lambda S, x: S.func.grad(lambda a: (a.sum(),), has_aux=True)(x),
        lambda S, x: S.func.grad(lambda a: [a.sum(), a], has_aux=True)(x),
        lambda S, x: S.func.grad(lambda a: (a.sum(), 3), has_aux=True)(x),
        lambda S, x: S.func.grad(lambda a: (a.sum(), None), has_aux=True)(x),
        lambda S, x: S.func.grad_and_value(lambda a: a * 2)(x),
    ],
)
def test_grad_errors(case):
    (x,) = data((3,))
    same_error(lambda S: case(S, S.t(x)))


def test_grad_of_grad_and_closures():
    (x,) = data((4,))
    s = np.float64(0.3)
    # scalar second and third derivatives
    both(lambda S: S.func.grad(S.func.grad(lambda a: a.sin() * a**3))(S.t(s)))
    both(lambda S: S.func.grad(S.func.grad(S.func.grad(lambda a: a.sin() * a**3)))(S.t(s)))
    # Hessian-vector product as grad of a grad
    v = x[::-1].copy()
    both(lambda S: S.func.grad(lambda a: (S.func.grad(scalar_fn)(a) * S.t(v)).sum())(S.t(x)))

    # an inner transform treats the outer variable it closes over as a constant
    def outer(S):
        def f(a):
            inner = S.func.grad(lambda y: (a * y).sum())(a)  # d/dy (a . y) = a
            return (a * inner).sum() * a.sum()

        return S.func.grad(f)(S.t(x))

    both(outer)

    # closure over a constant that is the inner input's value
    def grad_wrt_closure(S):
        c = S.t(x)
        return S.func.grad(lambda a: S.func.grad(lambda y: (y * a).sin().sum())(c).sum())(S.t(x))

    both(grad_wrt_closure)


def test_grad_stays_attached_only_when_outside_needs_it():
    (x,) = data((4,))
    (w,) = data((4,), seed=1)

    def f(S, wt):
        return lambda a: (wt * a**3).sum()

    # input requiring grad: the gradient is attached, and backward gives f'' . 1
    def attached(S):
        xr = S.t(x, requires_grad=True)
        g = S.func.grad(f(S, S.t(w)))(xr)
        g.sum().backward()
        return g, xr.grad

    both(attached, grad_flag=False)
    got = attached(M)[0]
    assert got.requires_grad
    # a closed-over tensor that requires grad keeps the result attached to it
    got, _ = both(lambda S: S.func.grad(f(S, S.t(w, requires_grad=True)))(S.t(x)), grad_flag=False)
    assert got.requires_grad

    def through_closure(S):
        wr = S.t(w, requires_grad=True)
        S.func.grad(f(S, wr))(S.t(x)).sum().backward()
        return wr.grad

    both(through_closure)

    # under no_grad nothing is recorded
    def no_grad(S):
        with S.lib.no_grad():
            return S.func.grad(f(S, S.t(w, requires_grad=True)))(S.t(x, requires_grad=True))

    got, _ = both(no_grad)
    assert not got.requires_grad


def test_grad_gradcheck_and_gradgradcheck():
    (x,) = data((4,))
    g = mg.func.grad(scalar_fn)
    xr = mg.tensor(x, requires_grad=True)
    assert mg.gradcheck(g, (xr,))
    assert mg.gradgradcheck(g, (xr,))
    assert mg.gradcheck(lambda a: mg.func.jacrev(vector_fn)(a), (xr,))
    assert mg.gradcheck(lambda a: mg.func.jvp(vector_fn, (a,), (a.cos(),))[1], (xr,))
    assert mg.gradcheck(
        lambda a: mg.func.vmap(scalar_fn)(a), (mg.tensor(x[None].repeat(3, 0), requires_grad=True),)
    )


def test_grad_nan_inf_and_noncontiguous():
    x = np.array([np.nan, np.inf, -1.0, 0.0])
    both(lambda S: S.func.grad(lambda a: (a * a).sum())(S.t(x)))
    (m,) = data((4, 3))
    both(lambda S: S.func.grad(lambda a: (a.sin() * a).sum())(S.t(m).t()))
    both(lambda S: S.func.grad(lambda a: a.exp().sum())(S.t(m)[:, ::2]))
    both(lambda S: S.func.vmap(S.func.grad(lambda a: (a * a.exp()).sum()), in_dims=1)(S.t(m)[::2]))


# ---------------------------------------------------------------------------- vjp
@pytest.mark.parametrize("dtype", DTYPES)
def test_vjp_matches(dtype):
    x, w, v, u = data((3, 4), (4, 2), (3, 2), (3,), dtype=dtype)

    def case(S):
        out, fn = S.func.vjp(lambda a, b: {"y": (a @ b).tanh(), "s": [a.sum(1)]}, S.t(x), S.t(w))
        cot = {"y": S.t(v), "s": [S.t(u)]}
        return out, fn(cot), fn(cot)  # vjp_fn may be called twice

    got, _ = both(case, dtype)
    assert not got[0]["y"].requires_grad

    both(
        lambda S: S.func.vjp(lambda a: (a * 2, a.sum()), S.t(x), has_aux=False)[1](
            (S.t(x), S.t(np.float64(1.0)).to(S.dtype(dtype)))
        ),
        dtype,
    )

    def aux(S):
        out, fn, a = S.func.vjp(lambda a: (a.exp(), [a * 3]), S.t(x), has_aux=True)
        return out, fn(S.t(x)), a

    both(aux, dtype)


def test_vjp_cotangent_that_requires_grad_and_zeros():
    (x,) = data((3,))

    def case(S):
        _, fn = S.func.vjp(lambda a: a.sin(), S.t(x))
        v = S.t(x[::-1].copy(), requires_grad=True)
        (r,) = fn(v)
        (r * r).sum().backward()
        return r, v.grad

    both(case)
    both(lambda S: S.func.vjp(lambda a, b: a * 2, S.t(x), S.t(x))[1](S.t(x)))
    both(lambda S: S.func.vjp(lambda a: S.t(x) * 2, S.t(x))[1](S.t(x)))


@pytest.mark.parametrize(
    "case",
    [
        lambda S, x: S.func.vjp(lambda a: a * 2, x)[1]((x,)),
        lambda S, x: S.func.vjp(lambda a: (a, a), x)[1]([x, x]),
        lambda S, x: S.func.vjp(lambda a: a * 2, x)[1](3.0),
        lambda S, x: S.func.vjp(lambda a: a.int(), x),
        lambda S, x: S.func.vjp(lambda a: 3, x),
        lambda S, x: S.func.vjp(lambda a: None, x),
        lambda S, x: S.func.vjp(lambda a: (), x),
        lambda S, x: S.func.vjp(lambda a: a * 2, x.long()),
        lambda S, x: S.func.vjp(lambda a: a * 2, 3.0),
        lambda S, x: S.func.vjp(lambda a: a * 2, x, has_aux=True),
        lambda S, x: S.func.vjp(lambda a: (a * 2, 4), x, has_aux=True),
    ],
)
def test_vjp_errors(case):
    (x,) = data((3,))
    same_error(lambda S: case(S, S.t(x)))


def test_vjp_shape_mismatch_and_freed_graph():
    (x,) = data((3,))
    same_error(lambda S: S.func.vjp(lambda a: a * 2, S.t(x))[1](S.t(x[:2])), message=False)

    def twice(S):
        _, fn = S.func.vjp(lambda a: a.exp() * a, S.t(x))
        fn(S.t(x), retain_graph=False)
        return fn(S.t(x))

    same_error(twice, message=False)


# ---------------------------------------------------------------------------- jvp
@pytest.mark.parametrize("dtype", DTYPES)
def test_jvp_matches(dtype):
    x, w, t1, t2 = data((3, 4), (4, 2), (3, 4), (4, 2), dtype=dtype)
    both(lambda S: S.func.jvp(vector_fn, (S.t(x),), (S.t(t1),)), dtype)
    both(
        lambda S: S.func.jvp(
            lambda a, b: [(a @ b).tanh(), {"k": a.sum()}], (S.t(x), S.t(w)), (S.t(t1), S.t(t2))
        ),
        dtype,
    )
    both(
        lambda S: S.func.jvp(
            lambda d: d["a"].exp() * d["b"].sum(),
            ({"a": S.t(x), "b": S.t(w)},),
            ({"a": S.t(t1), "b": S.t(t2)},),
        ),
        dtype,
    )
    both(
        lambda S: S.func.jvp(lambda a: (a.sin(), [a * 2]), (S.t(x),), (S.t(t1),), has_aux=True),
        dtype,
    )
    # outputs independent of the input, or not floating point: zero tangents
    both(lambda S: S.func.jvp(lambda a: (a.detach() * 2, (a > 0).long()), (S.t(x),), (S.t(t1),)))


def test_jvp_attached_to_a_tangent_that_requires_grad():
    x, t = data((3,), (3,))

    def case(S):
        tr = S.t(t, requires_grad=True)
        _, jv = S.func.jvp(lambda a: a.sin() * a, (S.t(x),), (tr,))
        (jv**2).sum().backward()
        return jv, tr.grad

    both(case)


@pytest.mark.parametrize(
    "case",
    [
        lambda S, x: S.func.jvp(lambda a: a * 2, x, x),
        lambda S, x: S.func.jvp(lambda a: a * 2, (x,), x),
        lambda S, x: S.func.jvp(lambda a: a * 2, (x,), (x[:2],)),
        lambda S, x: S.func.jvp(lambda a: a * 2, (x,), (x.int(),)),
        lambda S, x: S.func.jvp(lambda a: a * 2, (x.int(),), (x.int(),)),
        lambda S, x: S.func.jvp(lambda a: a * 2, (x.int(),), (x,)),
        lambda S, x: S.func.jvp(lambda a: a * 2, (), ()),
        lambda S, x: S.func.jvp(lambda a: a * 2, (3.0,), (1.0,)),
        lambda S, x: S.func.jvp(lambda a: 3, (x,), (x,)),
        lambda S, x: S.func.jvp(lambda a: x, (x,), (x,), strict=True),
        lambda S, x: S.func.jvp(lambda d: d["a"] * 2, ({"a": x},), ({"b": x},)),
        lambda S, x: S.func.jvp(lambda a: a * 2, (x,), (x,), has_aux=True),
        lambda S, x: S.func.jvp(lambda a: (a * 2, 3), (x,), (x,), has_aux=True),
    ],
)
def test_jvp_errors(case):
    (x,) = data((3,))
    same_error(lambda S: case(S, S.t(x)))


# ---------------------------------------------------------------------------- jacobians
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("jac", ["jacrev", "jacfwd"])
def test_jacobians_match(jac, dtype):
    x, w = data((3,), (3, 2), dtype=dtype)
    J = lambda S: getattr(S.func, jac)  # noqa: E731
    both(lambda S: J(S)(vector_fn)(S.t(x)), dtype)
    both(lambda S: J(S)(scalar_fn)(S.t(x)), dtype)
    both(lambda S: J(S)(lambda a: a.sum())(S.t(np.array(2.0, dtype))), dtype)
    both(lambda S: J(S)(lambda a: a * 2)(S.t(np.zeros(0, dtype))), dtype)
    if jac == "jacrev":  # torch's jacfwd fails there (an IndexError)
        both(lambda S: J(S)(lambda a: a.sum() * 2)(S.t(np.zeros((2, 0), dtype))), dtype)
    both(lambda S: J(S)(lambda a, b: (a @ b).sin(), argnums=1)(S.t(x), S.t(w)), dtype)
    for argnums in ((0,), (0, 1), (1, 0)):
        both(
            lambda S, n=argnums: J(S)(
                lambda a, b: {"u": (a @ b).sin(), "v": [a.sum() * b]}, argnums=n
            )(S.t(x), S.t(w)),
            dtype,
        )
    both(lambda S: J(S)(lambda d: d["a"] * d["b"][0])({"a": S.t(x), "b": [S.t(x)]}), dtype)
    both(lambda S: J(S)(lambda a: (a.exp(), {"aux": a * 2}), has_aux=True)(S.t(x)), dtype)
    both(lambda S: J(S)(lambda a, b: a * 2)(S.t(x), S.t(w)), dtype)  # b unused
    both(lambda S: J(S)(lambda a: S.t(w).sum() * S.lib.ones(2, dtype=S.dtype(dtype)))(S.t(x)))


def test_jacfwd_int_output_and_argnums_none():
    (x,) = data((3,))
    both(lambda S: S.func.jacfwd(lambda a: (a > 0).int())(S.t(x)))
    both(lambda S: S.func.jacfwd(lambda a, b: a * b, argnums=None)(S.t(x), S.t(x)))


@pytest.mark.parametrize(
    "case",
    [
        lambda S, x: S.func.jacrev(lambda a: a * 2, chunk_size=0),
        lambda S, x: S.func.jacrev(lambda a: a.int())(x),
        lambda S, x: S.func.jacrev(lambda a: a * 2)(x.int()),
        lambda S, x: S.func.jacrev(lambda a: a * 2)(3.0),
        lambda S, x: S.func.jacrev(lambda a: 3)(x),
        lambda S, x: S.func.jacrev(lambda a: a * 2, argnums=1)(x),
        lambda S, x: S.func.jacrev(lambda a: a * 2, has_aux=True)(x),
        lambda S, x: S.func.jacrev(lambda a: (a * 2, 3), has_aux=True)(x),
        lambda S, x: S.func.jacfwd(lambda a: a * 2)(x.int()),
        lambda S, x: S.func.jacfwd(lambda a: 3)(x),
        lambda S, x: S.func.jacfwd(lambda a: a * 2, randomness="x")(x),
        lambda S, x: S.func.jacfwd(lambda a: a * 2, argnums=(0, 0))(x),
        lambda S, x: S.func.jacfwd(lambda a: (a * 2, 3), has_aux=True)(x),
        lambda S, x: S.func.jacfwd(lambda a: a * S.lib.rand(3))(x),
        lambda S, x: S.func.hessian(lambda a: (a * S.lib.rand(3)).sum())(x),
    ],
)
def test_jacobian_errors(case):
    (x,) = data((3,))
    same_error(lambda S: case(S, S.t(x)))


def test_jacrev_chunk_size_changes_nothing():
    (x,) = data((5,))
    for chunk in (1, 2, 7, None):
        both(lambda S, c=chunk: S.func.jacrev(vector_fn, chunk_size=c)(S.t(x)))


def test_jacfwd_randomness_modes():
    (x,) = data((4,))
    mg.manual_seed(0)

    def f(S):
        return lambda a: a.sum() * S.lib.rand(3, dtype=S.lib.float64)

    for S in (T, M):
        same_cols = S.func.jacfwd(f(S), randomness="same")(S.t(x))
        diff_cols = S.func.jacfwd(f(S), randomness="different")(S.t(x))
        assert tuple(same_cols.shape) == tuple(diff_cols.shape) == (3, 4)
        # J[i, j] = r_i: one draw for every column with 'same', one per column otherwise
        assert bool((same_cols == same_cols[:, :1]).all())
        assert not bool((diff_cols == diff_cols[:, :1]).all())


@pytest.mark.parametrize("dtype", DTYPES)
def test_nested_jacobians_and_hessian(dtype):
    x, w = data((3,), (3,), dtype=dtype)
    both(lambda S: S.func.jacrev(S.func.jacrev(vector_fn))(S.t(x)), dtype)
    both(lambda S: S.func.jacfwd(S.func.jacrev(vector_fn))(S.t(x)), dtype)
    both(lambda S: S.func.jacrev(S.func.jacfwd(vector_fn))(S.t(x)), dtype)
    both(lambda S: S.func.jacfwd(S.func.jacfwd(scalar_fn))(S.t(x)), dtype)
    both(lambda S: S.func.hessian(scalar_fn)(S.t(x)), dtype)
    both(
        lambda S: S.func.hessian(lambda a, b: (a.sin() * b**3).sum(), argnums=(0, 1))(
            S.t(x), S.t(w)
        ),
        dtype,
    )
    both(
        lambda S: S.func.hessian(lambda d: (d["a"] ** 3 * d["b"]).sum())(
            {"a": S.t(x), "b": S.t(w)}
        ),
        dtype,
    )
    both(lambda S: S.func.jacrev(S.func.grad(scalar_fn))(S.t(x)), dtype)
    # forward over reverse (hvp), reverse over forward, and vjp inside grad
    both(lambda S: S.func.jvp(S.func.grad(scalar_fn), (S.t(x),), (S.t(w),)), dtype)
    both(
        lambda S: S.func.grad(lambda a: S.func.jvp(vector_fn, (a,), (S.t(w),))[1].sum())(S.t(x)),
        dtype,
    )
    both(
        lambda S: S.func.grad(lambda a: S.func.vjp(vector_fn, a)[1](a.cos())[0].sum())(S.t(x)),
        dtype,
    )
    both(
        lambda S: S.func.vmap(lambda t: S.func.jvp(vector_fn, (S.t(x),), (t,))[1])(
            S.t(np.eye(3, dtype=dtype))
        ),
        dtype,
    )
    both(lambda S: S.func.vmap(S.func.hessian(scalar_fn))(S.t(np.stack([x, w]))), dtype)


# ---------------------------------------------------------------------------- vmap
@pytest.mark.parametrize("dtype", DTYPES)
def test_vmap_in_dims_and_out_dims(dtype):
    x, y, m = data((3, 4), (4, 3), (4, 5), dtype=dtype)
    both(lambda S: S.func.vmap(lambda a: a @ S.t(m))(S.t(x)), dtype)
    both(lambda S: S.func.vmap(lambda a, b: a * b, in_dims=(0, 1))(S.t(x), S.t(y)), dtype)
    both(lambda S: S.func.vmap(lambda a, b: a * b, in_dims=(-1, 0))(S.t(y), S.t(x)), dtype)
    both(lambda S: S.func.vmap(lambda a, b: a @ b, in_dims=(0, None))(S.t(x), S.t(m)), dtype)
    both(lambda S: S.func.vmap(lambda a, k: a * k, in_dims=(0, None))(S.t(x), 3), dtype)
    both(lambda S: S.func.vmap(lambda a, k: a * k)(S.t(x), k=S.t(x)), dtype)  # kwargs unmapped
    for out_dims in (0, 1, -1, -2, (1,)):
        both(lambda S, o=out_dims: S.func.vmap(lambda a: a.exp(), out_dims=o)(S.t(x)), dtype)
    both(lambda S: S.func.vmap(lambda a: a.sum(), out_dims=-1)(S.t(x)), dtype)
    # pytrees of inputs, in_dims per leaf, and of outputs, out_dims per leaf
    both(
        lambda S: S.func.vmap(
            lambda d, seq: {"s": d["a"] * seq[0], "l": [d["b"].sum(), seq[1]]},
            in_dims=({"a": 1, "b": None}, [1, 0]),
            out_dims={"s": 1, "l": [0, -1]},
        )({"a": S.t(y), "b": S.t(x)}, [S.t(y), S.t(x)]),
        dtype,
    )
    both(lambda S: S.func.vmap(lambda p: p.a + p.b, in_dims=(P(0, 1),))(P(S.t(x), S.t(y))), dtype)
    both(lambda S: S.func.vmap(lambda a: P(a, a * 2))(S.t(x)), dtype)
    both(
        lambda S: S.func.vmap(lambda a, b: a + b[0] + b[1], in_dims=(0, None))(
            S.t(x), (S.t(x[0]), S.t(x[1]))
        ),
        dtype,
    )
    both(lambda S: S.func.vmap(lambda a, b: a, in_dims=(0, None))(S.t(x), None), dtype)
    # unbatched outputs: out_dims None returns them once; an int broadcasts them
    both(lambda S: S.func.vmap(lambda a: (a, 3), out_dims=(0, None))(S.t(x)), dtype)
    both(lambda S: S.func.vmap(lambda a: S.t(m), out_dims=None)(S.t(x)), dtype)
    both(lambda S: S.func.vmap(lambda a: S.lib.ones(2))(S.t(x)))


def test_vmap_dtypes_noncontiguous_and_empty():
    (x,) = data((3, 4))
    both(lambda S: S.func.vmap(lambda a: a.sum())(S.t(np.array([[True, False], [True, True]]))))
    both(lambda S: S.func.vmap(lambda a: a * 2)(S.t(np.arange(6).reshape(2, 3))))
    both(lambda S: S.func.vmap(lambda a: a.cumsum(0), in_dims=1)(S.t(x).t()))
    both(lambda S: S.func.vmap(lambda a: a)(S.t(np.zeros((0, 3)))))
    both(lambda S: S.func.vmap(lambda a: a.sum(), in_dims=1)(S.t(np.zeros((2, 0)))))
    both(lambda S: S.func.vmap(lambda a: (a * 2, a.sum()), out_dims=(1, 0))(S.t(np.zeros((0, 3)))))
    both(
        lambda S: S.func.vmap(lambda a: (a * a).sum())(
            S.t(np.array([[np.nan, 1.0], [np.inf, 2.0]]))
        )
    )


def test_vmap_nested_and_gradients_through_it():
    x, y = data((2, 3, 4), (3, 4))
    both(lambda S: S.func.vmap(S.func.vmap(lambda a, b: (a * b).sum()))(S.t(x), S.t(x)))
    both(
        lambda S: S.func.vmap(
            S.func.vmap(lambda a, b: a * b, in_dims=(0, None)), in_dims=(1, None)
        )(S.t(x), S.t(y[0]))
    )
    both(lambda S: S.func.vmap(S.func.vmap(lambda a: a.sum(), in_dims=1), in_dims=2)(S.t(x)))

    def through(S):
        xr = S.t(x, requires_grad=True)
        out = S.func.vmap(lambda a: (a.sin() * a).sum(0), in_dims=1, out_dims=1)(xr)
        (out**2).sum().backward()
        return out, xr.grad

    both(through, grad_flag=False)
    both(lambda S: S.func.grad(lambda a: S.func.vmap(scalar_fn)(a).sum())(S.t(y)))
    both(lambda S: S.func.vmap(S.func.grad(scalar_fn))(S.t(y)))
    both(lambda S: S.func.vmap(S.func.jacrev(vector_fn), in_dims=1)(S.t(y)))
    both(lambda S: S.func.vmap(S.func.grad(two_args), in_dims=(0, None))(S.t(x), S.t(y.T)))


def test_vmap_chunk_size_changes_nothing():
    (x,) = data((7, 3))
    for chunk in (1, 2, 3, 7, 10, None):
        both(lambda S, c=chunk: S.func.vmap(vector_fn, chunk_size=c)(S.t(x)))


@pytest.mark.parametrize(
    "case",
    [
        lambda S, x: S.func.vmap(lambda a, b: a + b)(x, S.lib.zeros(4, 4, dtype=x.dtype)),
        lambda S, x: S.func.vmap(lambda a, b: a + b, in_dims=(0, 0))(x, 3),
        lambda S, x: S.func.vmap(lambda a, b: a, in_dims=(0, 0))(x, None),
        lambda S, x: S.func.vmap(lambda a: a, in_dims=None)(x),
        lambda S, x: S.func.vmap(lambda a: a, in_dims=[0])(x),
        lambda S, x: S.func.vmap(lambda a: a, in_dims=(0, 0))(x),
        lambda S, x: S.func.vmap(lambda a: a, in_dims=((0,),))(x),
        lambda S, x: S.func.vmap(lambda a, b: a, in_dims=(0, (None,)))(x, None),
        lambda S, x: S.func.vmap(lambda a, b: a, in_dims=(0, [None, 0]))(x, (x, x)),
        lambda S, x: S.func.vmap(lambda d: d["a"], in_dims=({"b": 1},))({"a": x}),
        lambda S, x: S.func.vmap(lambda p: p.a, in_dims=((0, 1),))(P(x, x)),
        lambda S, x: S.func.vmap(lambda a: a, in_dims=2)(x),
        lambda S, x: S.func.vmap(lambda a: a, in_dims=-3)(x),
        lambda S, x: S.func.vmap(lambda a: a, in_dims=(1.0,))(x),
        lambda S, x: S.func.vmap(lambda a: a)(x.sum()),
        lambda S, x: S.func.vmap(lambda a: a, in_dims=(None,))(x),
        lambda S, x: S.func.vmap(lambda a: a)(),
        lambda S, x: S.func.vmap(lambda a: a, out_dims=2)(x),
        lambda S, x: S.func.vmap(lambda a: a, out_dims=-3)(x),
        lambda S, x: S.func.vmap(lambda a: a, out_dims=1.0)(x),
        lambda S, x: S.func.vmap(lambda a: a, out_dims=(0, 0))(x),
        lambda S, x: S.func.vmap(lambda a: (a, a), out_dims=(0,))(x),
        lambda S, x: S.func.vmap(lambda a: (a, a), out_dims=[0, 1])(x),
        lambda S, x: S.func.vmap(lambda a: a, out_dims=None)(x),
        lambda S, x: S.func.vmap(lambda a: 3)(x),
        lambda S, x: S.func.vmap(lambda a: (a, None))(x),
        lambda S, x: S.func.vmap(lambda a: a, randomness="foo"),
        lambda S, x: S.func.vmap(lambda a: a, chunk_size=0),
        lambda S, x: S.func.vmap(lambda a: a, chunk_size=-1),
        lambda S, x: S.func.vmap(functools.partial(lambda a: a), in_dims=[0])(x),
    ],
)
def test_vmap_errors(case):
    (x,) = data((3, 4))
    same_error(lambda S: case(S, S.t(x)))


@pytest.mark.parametrize(
    "op",
    [
        lambda S, a: S.lib.rand(2),
        lambda S, a: a * S.lib.randn_like(a),
        lambda S, a: S.F.dropout(a, 0.5),
        lambda S, a: a.clone().normal_(),
        lambda S, a: S.lib.bernoulli(a.sigmoid()),
        lambda S, a: S.func.grad(lambda b: (b * S.lib.rand(4, dtype=b.dtype)).sum())(a),
    ],
)
def test_vmap_randomness_error_mode(op):
    (x,) = data((3, 4))
    plain = mg.random.generator
    same_error(lambda S: S.func.vmap(lambda a: op(S, a))(S.t(x)))
    assert mg.random.generator is plain  # the draw check is put away after an error too
    # inner or outer vmap in error mode: refused either way
    same_error(
        lambda S: S.func.vmap(S.func.vmap(lambda a: op(S, a[None]), randomness="different"))(
            S.t(x)[:, :, None]
        )
    )


@pytest.mark.parametrize("S", [T, M], ids=["torch", "minigrad"])
def test_vmap_randomness_same_and_different(S):
    (x,) = data((5, 4))
    S.lib.manual_seed(1)

    def draw(a):
        return a * 0 + S.lib.rand(4, dtype=a.dtype)

    diff = S.func.vmap(draw, randomness="different")(S.t(x))
    same = S.func.vmap(draw, randomness="same")(S.t(x))
    chunked = S.func.vmap(draw, randomness="same", chunk_size=2)(S.t(x))
    drop = S.func.vmap(lambda a: S.F.dropout(a * 0 + 1, 0.5), randomness="same")(S.t(x))
    nested = S.func.vmap(
        S.func.vmap(lambda a: a * 0 + S.lib.rand(()), randomness="different"), randomness="same"
    )(S.t(x))
    assert tuple(diff.shape) == tuple(same.shape) == (5, 4)
    assert not bool((diff == diff[:1]).all())
    assert bool((same == same[:1]).all()) and bool((drop == drop[:1]).all())
    assert bool((chunked == chunked[:1]).all())
    # the same along the outer dim, different along the inner one
    assert bool((nested == nested[:1]).all()) and not bool((nested == nested[:, :1]).all())
    # eval-mode dropout draws nothing: no error
    S.func.vmap(lambda a: S.F.dropout(a, 0.5, training=False))(S.t(x))
    # outside a vmap, random ops work again
    assert tuple(S.lib.rand(3).shape) == (3,)


def test_vmap_out_dims_none_for_equal_entries_only():
    (x,) = data((3, 4))
    same_error(lambda S: S.func.vmap(lambda a: a * 2, out_dims=None)(S.t(x)))
    both(lambda S: S.func.vmap(lambda a: (a.sum(), S.t(x) * 2), out_dims=(0, None))(S.t(x)))


# ------------------------------------------------------------ per-sample grads, ensembles
def _mlp(S, seed, dtype, bn=False):
    S.lib.manual_seed(seed)
    layers = [S.nn.Linear(6, 8), S.nn.ReLU(), S.nn.Linear(8, 3)]
    if bn:
        layers.insert(1, S.nn.BatchNorm1d(8))
    return S.nn.Sequential(*layers).to(S.dtype(dtype))


def _same_weights(dtype, bn=False, seed=0):
    """A torch MLP and a minigrad MLP with the torch one's parameters and buffers."""
    tm = _mlp(T, seed, dtype, bn)
    mm = _mlp(M, seed, dtype, bn)
    state = {k: mg.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()}
    mm.load_state_dict(state)
    return tm, mm


@pytest.mark.parametrize("dtype", DTYPES)
def test_per_sample_gradients_mlp(dtype):
    """PyTorch's per-sample-gradients tutorial: vmap(grad(loss), in_dims=(None, None, 0, 0))
    over functional_call, against one backward pass per sample."""
    (xs,) = data((16, 6), dtype=dtype, seed=3)
    ys = np.random.default_rng(4).integers(0, 3, 16)
    tm, mm = _same_weights(dtype)

    def case(S, model):
        params = {k: v.detach() for k, v in model.named_parameters()}
        buffers = {k: v.detach() for k, v in model.named_buffers()}

        def compute_loss(params, buffers, sample, target):
            batch, targets = sample.unsqueeze(0), target.unsqueeze(0)
            predictions = S.func.functional_call(model, (params, buffers), (batch,))
            return S.F.cross_entropy(predictions, targets)

        ft = S.func.vmap(S.func.grad(compute_loss), in_dims=(None, None, 0, 0))
        return ft(params, buffers, S.t(xs), S.t(ys))

    got = case(M, mm)
    same(got, case(T, tm), dtype)
    assert all(not g.requires_grad for g in got.values())
    # against a loop of ordinary backward passes, one sample at a time
    for i in (0, 7):
        mm.zero_grad()
        mF.cross_entropy(mm(mg.tensor(xs[i : i + 1])), mg.tensor(ys[i : i + 1])).backward()
        for k, p in mm.named_parameters():
            np.testing.assert_allclose(got[k][i].numpy(), p.grad.numpy(), *TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
def test_ensembling_with_stack_module_state(dtype):
    (xs,) = data((5, 6), dtype=dtype, seed=5)
    (xs3,) = data((3, 5, 6), dtype=dtype, seed=6)
    pairs = [_same_weights(dtype, bn=True, seed=s) for s in range(3)]
    for tmodel, mmodel in pairs:
        tmodel.eval()
        mmodel.eval()

    def case(S, models):
        params, buffers = S.func.stack_module_state(models)

        def fmodel(params, buffers, x):
            return S.func.functional_call(models[0], (params, buffers), (x,))

        same_batch = S.func.vmap(fmodel, in_dims=(0, 0, None))(params, buffers, S.t(xs))
        own_batch = S.func.vmap(fmodel)(params, buffers, S.t(xs3))
        own_batch.sum().backward()  # stacked parameters are leaves that require grad
        return params, buffers, same_batch, own_batch, {k: p.grad for k, p in params.items()}

    got = case(M, [m for _, m in pairs])
    same(got, case(T, [t for t, _ in pairs]), dtype, grad_flag=False)
    params, buffers = got[0], got[1]
    assert all(p.requires_grad and p.creator is None for p in params.values())
    assert not any(b.requires_grad for b in buffers.values())
    for i, (_, m) in enumerate(pairs):
        np.testing.assert_allclose(
            got[2][i].detach().numpy(), m(mg.tensor(xs)).detach().numpy(), *TOL[dtype]
        )


def test_stack_module_state_errors():
    def models(S, k):
        S.lib.manual_seed(0)
        return [S.nn.Linear(2, 2) for _ in range(k)]

    same_error(lambda S: S.func.stack_module_state([]))
    same_error(lambda S: S.func.stack_module_state([*models(S, 1), models(S, 1)[0].eval()]))
    same_error(lambda S: S.func.stack_module_state([*models(S, 1), S.nn.ReLU()]))

    def mixed(S):
        ms = models(S, 2)
        ms[1].bias.requires_grad_(False)
        return S.func.stack_module_state(ms)

    same_error(mixed)

    def frozen(S):
        ms = models(S, 2)
        for m in ms:
            m.requires_grad_(False)
        return S.func.stack_module_state(ms)

    params, buffers = frozen(M)
    assert params["weight"].shape == (2, 2, 2) and not params["weight"].requires_grad
    assert buffers == {} and frozen(T)[1] == {}
