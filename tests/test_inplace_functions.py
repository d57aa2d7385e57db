"""torch.sin_(x) and the other top-level in-place functions (minigrad/_inplace_functions.py),
against torch 2.13: values, dtypes, errors, identity of the result, views, gradients."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg
from minigrad._inplace_functions import FUNCTIONS

torch = pytest.importorskip("torch")

# The wrappers only call Tensor methods; some of those warn on NaN-producing input
# (`Tensor._unary_`'s unrecorded path runs NumPy without minigrad's quiet_fp), which is
# the method's business, not this module's.
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

# Tensor methods that differ from torch on these inputs (not this module's doing): none now
KNOWN: set[tuple[str, str]] = set()


def _t(lib, value, dtype):
    return lib.tensor(np.asarray(value, dtype=dtype))


# extra arguments per function, built for mg or torch
ARGS = {
    "clamp_": lambda lib: (0.1, 0.5),
    "clip_": lambda lib: (-0.5, 0.5),
    "clamp_min_": lambda lib: (0.2,),
    "clamp_max_": lambda lib: (0.2,),
    "fill_": lambda lib: (3,),
    "gcd_": lambda lib: (_t(lib, 6, np.int64),),
    "lcm_": lambda lib: (_t(lib, 6, np.int64),),
    "ldexp_": lambda lib: (_t(lib, 2, np.int64),),
    "xlogy_": lambda lib: (2.0,),
    "index_put_": lambda lib: ((_t(lib, [0], np.int64),), _t(lib, 7, np.float64)),
    # to an empty shape: a larger one leaves PyTorch's new values uninitialised (see
    # tests/test_round11_semantics.py for resize_ itself)
    "resize_as_": lambda lib: (lib.zeros(0),),
}

SPECIAL = [0.3, -0.7, 0.0, -0.0, 2.5, np.nan, np.inf, -np.inf, 1.0, -1.0]
INPUTS = {
    "float64": [np.array(SPECIAL).reshape(2, 5), np.array(0.5), np.zeros((0, 3))],
    "float32": [np.array(SPECIAL, np.float32).reshape(2, 5), np.array(-2.5, np.float32)],
    "int64": [np.array([1, 0, -3, 4, 7, -2]).reshape(2, 3), np.array(3), np.zeros(0, np.int64)],
    "bool": [np.array([True, False, True, True]).reshape(2, 2), np.array(False)],
}


def _outcome(lib, name, arr, transpose):
    x = lib.tensor(arr.copy())
    if transpose and x.ndim == 2 and name != "detach_":  # see test_detach_of_a_view
        x = x.t()  # a non-contiguous view
    args = ARGS.get(name, lambda lib: ())(lib)
    try:
        out = getattr(lib, name)(x, *args) if lib is torch else FUNCTIONS[name](x, *args)
    except Exception as exc:
        return type(exc), str(exc)
    assert out is x, f"{name} did not return its input"
    return "ok", out


def _same_type(got, want):
    # NotImplementedError is a RuntimeError subclass in Python; torch's errors are checked
    # by exact type
    return got is want


@pytest.mark.parametrize("dtype", list(INPUTS))
@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_matches_torch(name, dtype, request):
    if (name, dtype) in KNOWN:
        request.applymarker(pytest.mark.xfail(strict=True, reason="Tensor method differs"))
    for arr in INPUTS[dtype]:
        for transpose in (False, True):
            got = _outcome(mg, name, arr, transpose)
            want = _outcome(torch, name, arr, transpose)
            assert _same_type(got[0], want[0]), (name, arr, got, want)
            if want[0] != "ok":
                continue
            g, w = got[1], want[1]
            assert str(g.dtype) == str(w.dtype).removeprefix("torch."), (name, g.dtype, w.dtype)
            assert g.shape == tuple(w.shape)
            tol = 1e-6 if dtype == "float32" else 1e-12
            np.testing.assert_allclose(
                g.numpy().astype(np.float64),
                w.numpy().astype(np.float64),
                rtol=tol,
                atol=tol,
                equal_nan=True,
                err_msg=name,
            )


def test_covers_torch_namespace():
    """Every torch.<op>_ whose method minigrad tensors have is here (addmv_ is elsewhere)."""
    names = {n for n in dir(torch) if n.endswith("_") and not n.startswith("_")}
    methods = {n for n in names if hasattr(mg.Tensor, n)}
    assert methods - {"addmv_"} == set(FUNCTIONS)
    for name, fn in FUNCTIONS.items():
        assert fn.__name__ == name
        assert fn.__doc__


def test_writes_through_views():
    base, tbase = mg.arange(12.0).reshape(3, 4), torch.arange(12.0).reshape(3, 4)
    out = FUNCTIONS["sin_"](base[:, ::2])
    torch.sin_(tbase[:, ::2])
    np.testing.assert_allclose(base.numpy(), tbase.numpy(), rtol=1e-6)
    assert out.shape == (3, 2)
    row, trow = base[1], tbase[1]
    FUNCTIONS["clamp_"](row, 0.0, 2.0)
    torch.clamp_(trow, 0.0, 2.0)
    np.testing.assert_allclose(base.numpy(), tbase.numpy(), rtol=1e-6)


def test_keyword_input_and_type_errors():
    x = mg.tensor([0.25, 0.5])
    assert FUNCTIONS["exp_"](input=x) is x
    assert FUNCTIONS["clamp_"](input=x, min=1.5) is x
    np.testing.assert_allclose(x.numpy(), [1.5, np.exp(0.5)], rtol=1e-6)
    for name, bad in [("sin_", 1.0), ("exp_", [1.0]), ("clamp_", np.ones(2)), ("fill_", None)]:
        args = (0.0,) if name in ("clamp_", "fill_") else ()
        with pytest.raises(TypeError) as theirs:
            getattr(torch, name)(bad, *args)
        with pytest.raises(TypeError) as ours:
            FUNCTIONS[name](bad, *args)
        theirs = str(theirs.value).split("\n")[0]
        if "invalid combination" not in theirs:  # torch's overloaded ones word it otherwise
            assert str(ours.value) == theirs
        assert str(ours.value).startswith(f"{name}(): argument 'input' (position 1) must be")
    with pytest.raises(TypeError):
        FUNCTIONS["sin_"](x, x)
    with pytest.raises(TypeError):
        FUNCTIONS["sin_"]()


def test_leaf_requiring_grad_is_refused():
    with pytest.raises(RuntimeError, match="leaf"):
        torch.sin_(torch.ones(2, requires_grad=True))
    for name in ("sin_", "exp_", "zero_", "clamp_min_"):
        args = (0.0,) if name == "clamp_min_" else ()
        with pytest.raises(RuntimeError, match="leaf"):
            FUNCTIONS[name](mg.ones(2, requires_grad=True), *args)
    x = mg.ones(2, requires_grad=True)
    with mg.no_grad():
        assert FUNCTIONS["exp_"](x) is x
    np.testing.assert_allclose(x.detach().numpy(), np.e * np.ones(2), rtol=1e-6)


# in-place ops torch refuses to differentiate; their gradient is the out-of-place op's
TORCH_NO_INPLACE_GRAD = {"acosh_", "arccosh_", "asinh_", "arcsinh_", "atanh_", "arctanh_"}
NOT_DIFFERENTIABLE = {"detach_", "gcd_", "lcm_", "index_put_", "resize_as_"}
GRAD_NAMES = sorted(set(FUNCTIONS) - NOT_DIFFERENTIABLE)


@pytest.mark.parametrize("name", GRAD_NAMES)
def test_gradients_match_torch_and_gradcheck(name):
    v = np.array([0.3, 0.45, 0.7]) + (1.0 if name in ("acosh_", "arccosh_") else 0.0)
    w = np.array([1.0, -2.0, 0.5])
    args_mg, args_t = ARGS.get(name, lambda lib: ())(mg), ARGS.get(name, lambda lib: ())(torch)
    if name == "clamp_":  # bounds inside the values so both branches carry gradient
        args_mg = args_t = (0.4, 0.6)

    x = mg.tensor(v, requires_grad=True)
    y = x * 1
    assert FUNCTIONS[name](y, *args_mg) is y
    (y * mg.tensor(w)).sum().backward()

    tx = torch.tensor(v, requires_grad=True)
    if name in TORCH_NO_INPLACE_GRAD:
        ty = getattr(torch, name[:-1])(tx)
    else:
        ty = tx * 1
        getattr(torch, name)(ty, *args_t)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-12)
    (ty * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-12)

    def f(a):
        return FUNCTIONS[name](a * 1, *args_mg)

    a = mg.tensor(v, requires_grad=True)
    assert mg.gradcheck(f, (a,))
    assert mg.gradgradcheck(f, (a,))


def _mg(a):
    """A torch argument (tensor, or tuple of tensors) as minigrad's."""
    if isinstance(a, tuple):
        return tuple(_mg(i) for i in a)
    return mg.tensor(a.numpy()) if isinstance(a, torch.Tensor) else a


def test_argument_forms():
    def both(name, values, *args, dtype=np.float64, **kw):
        x, tx = _t(mg, values, dtype), _t(torch, values, dtype)
        margs = [_mg(a) for a in args]
        assert FUNCTIONS[name](x, *margs, **kw) is x
        getattr(torch, name)(tx, *args, **kw)
        np.testing.assert_allclose(x.numpy(), tx.numpy(), rtol=1e-12, equal_nan=True)
        assert str(x.dtype) == str(tx.dtype).removeprefix("torch.")

    vals = [-1.0, 0.2, 0.7, 3.0]
    both("clamp_", vals, torch.tensor([0.0, 0.0, 1.0, 1.0], dtype=torch.float64))
    both("clamp_", vals, None, 0.5)
    both("clamp_", vals, max=0.5)
    both("clip_", vals, min=0.5)
    both("clamp_min_", vals, torch.tensor(0.5, dtype=torch.float64))
    both("clamp_max_", vals, torch.tensor([0.0, 1.0, 0.0, 1.0], dtype=torch.float64))
    both("clamp_", [1, -5, 9], 0, 4, dtype=np.int64)
    both("fill_", vals, torch.tensor(2.5, dtype=torch.float64))
    both("fill_", [1, 2], 7, dtype=np.int64)
    both("fill_", [True, False], 0, dtype=np.bool_)
    both("gcd_", [12, -18, 0, 7], torch.tensor([8, 12, 5, 0]), dtype=np.int64)
    both("lcm_", [12, -18, 0, 7], torch.tensor([8, 12, 5, 3]), dtype=np.int64)
    both("ldexp_", vals, torch.tensor([1, -2, 3, 0]))
    both("xlogy_", [0.0, 2.0, 0.0, 3.0], torch.tensor([0.0, 3.0, np.nan, 0.0], dtype=torch.float64))
    both("xlogy_", [0.0, 2.0], 4.0)
    both("logit_", [0.0, 0.1, 0.5, 1.0], eps=0.2)
    both("logit_", [0.0, 0.1, 0.5, 1.0])
    special = [np.nan, np.inf, -np.inf, 1.5]
    both("nan_to_num_", special)
    both("nan_to_num_", special, 1.0, 2.0, -3.0)
    both("nan_to_num_", special, nan=None, posinf=9.0)
    both("nan_to_num_", special, dtype=np.float32)
    both("round_", [1.2345, 2.5, -0.5, 3.5], decimals=2)
    both("round_", [1.2345, 2.5, -0.5, 3.5])
    both("round_", [1.2345, 2.5, -0.5, 3.5], decimals=-1)
    both(
        "index_put_",
        [0.0, 0.0, 0.0, 0.0],
        (torch.tensor([0, 0, 3]),),
        torch.tensor(1.0, dtype=torch.float64),
        True,
    )
    both(
        "index_put_",
        [0.0, 0.0, 0.0],
        (torch.tensor([2, 0]),),
        torch.tensor([5.0, 6.0], dtype=torch.float64),
    )


def test_argument_errors_match_torch():
    x, tx = mg.tensor([0.5, 1.5]), torch.tensor([0.5, 1.5])
    for name, args, kw, exc in [
        ("round_", (2,), {}, TypeError),  # decimals is keyword-only
        ("exp_", (), {"eps": 1.0}, TypeError),
    ]:
        with pytest.raises(exc):
            getattr(torch, name)(tx, *args, **kw)
        with pytest.raises(exc):
            FUNCTIONS[name](x, *args, **kw)
    for name in ("exp_", "sqrt_", "sin_", "sigmoid_", "reciprocal_"):  # float result, int tensor
        with pytest.raises(RuntimeError):
            getattr(torch, name)(torch.tensor([1, 2]))
        with pytest.raises(RuntimeError):
            FUNCTIONS[name](mg.tensor([1, 2]))
    with pytest.raises(RuntimeError):
        torch.neg_(torch.tensor([True]))
    with pytest.raises(RuntimeError):
        FUNCTIONS["neg_"](mg.tensor([True]))


@pytest.mark.parametrize("name", ["clamp_", "clip_"])
def test_clamp_without_bounds_refused(name):
    with pytest.raises(RuntimeError, match="At least one of 'min' or 'max'"):
        getattr(torch, name)(torch.tensor([0.5]))
    with pytest.raises(RuntimeError, match="At least one of 'min' or 'max'"):
        FUNCTIONS[name](mg.tensor([0.5]))


def test_detach_of_a_plain_tensor():
    x = mg.tensor([1.0, 2.0], requires_grad=True) * 2
    assert FUNCTIONS["detach_"](x) is x
    assert not x.requires_grad and x.grad_fn is None


@pytest.mark.xfail(strict=True, reason="Tensor.detach_ detaches views (minigrad/tensor.py)")
def test_detach_of_a_view():
    with pytest.raises(RuntimeError, match="Can't detach views in-place"):
        torch.detach_(torch.ones(2, 3).t())
    with pytest.raises(RuntimeError, match="Can't detach views in-place"):
        FUNCTIONS["detach_"](mg.ones(2, 3).t())
