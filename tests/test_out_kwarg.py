"""PyTorch's `out=` keyword on minigrad's top-level functions (minigrad/_out.py), compared
with torch 2.13: which out dtypes each function takes and the error otherwise, resizing and
its warning, autograd refusals, memory overlap, version counters and aliasing."""

import inspect
import re
import warnings

import numpy as np
import pytest

import minigrad as mg
from minigrad import _out

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
ARRAYS = {
    "A": RNG.uniform(0.2, 0.9, (2, 3)),
    "B": RNG.uniform(0.2, 0.9, (2, 3)),
    "C": RNG.uniform(0.2, 0.9, (2, 3)),
    "V": RNG.uniform(0.2, 0.9, (3,)),
    "W": RNG.uniform(0.2, 0.9, (4,)),
    "M": RNG.uniform(0.2, 0.9, (3, 4)),
    "N": RNG.uniform(0.2, 0.9, (2, 4)),
    "P": RNG.uniform(0.2, 0.9, (2, 2, 3)),
    "Q": RNG.uniform(0.2, 0.9, (2, 3, 4)),
    "R": RNG.uniform(0.2, 0.9, (2, 2, 4)),
    "G": RNG.uniform(1.2, 3.0, (2, 3)),  # > 1, for acosh
    # indices (x 5, rounded, as integer tensors): [[0, 2], [1, 1]] and [1, 0, 1]
    "I": np.array([[0.0, 0.4], [0.2, 0.2]]),
    "J": np.array([0.2, 0.0, 0.2]),
}
OUT_DTYPES = ["float64", "float32", "float16", "int64", "int32", "uint8", "bool"]


class Lib:
    """Builds a case's arguments for torch or for minigrad from the same arrays."""

    def __init__(self, lib, dtype):
        self.lib, self.dtype = lib, dtype

    def __call__(self, name, dtype=None):
        arr = ARRAYS[name]
        dtype = dtype or self.dtype
        if dtype != "float32" and dtype != "float64":
            arr = np.round(arr * 5)  # small positive integers
        return self.lib.tensor(arr, dtype=getattr(self.lib, dtype))


# name: case(t) -> (args, kwargs); t("A") is a tensor of the input dtype under test
CASES = {
    "add": lambda t: ((t("A"), t("B")), {}),
    "add_alpha": lambda t: ((t("A"), t("B")), {"alpha": 2}),
    "sub": lambda t: ((t("A"), t("B")), {}),
    "subtract": lambda t: ((t("A"), t("B")), {}),
    "mul": lambda t: ((t("A"), t("B")), {}),
    "multiply": lambda t: ((t("A"), t("B")), {}),
    "mul_scalar": lambda t: ((t("A"), 3), {}),
    "div": lambda t: ((t("A"), t("B")), {}),
    "div_floor": lambda t: ((t("A"), t("B")), {"rounding_mode": "floor"}),
    "div_trunc": lambda t: ((t("A"), t("B")), {"rounding_mode": "trunc"}),
    "divide": lambda t: ((t("A"), t("B")), {}),
    "true_divide": lambda t: ((t("A"), t("B")), {}),
    "floor_divide": lambda t: ((t("A"), t("B")), {}),
    "remainder": lambda t: ((t("A"), t("B")), {}),
    "fmod": lambda t: ((t("A"), t("B")), {}),
    "pow": lambda t: ((t("A"), 2), {}),
    "pow_tensor": lambda t: ((t("A"), t("B")), {}),
    "square": lambda t: ((t("A"),), {}),
    "matmul": lambda t: ((t("A"), t("M")), {}),
    "matmul_1d": lambda t: ((t("V"), t("V")), {}),
    "matmul_batched": lambda t: ((t("P"), t("M")), {}),
    "mm": lambda t: ((t("A"), t("M")), {}),
    "bmm": lambda t: ((t("P"), t("Q")), {}),
    "mv": lambda t: ((t("A"), t("V")), {}),
    "addmm": lambda t: ((t("N"), t("A"), t("M")), {}),
    "nan_to_num": lambda t: ((t("A"),), {"nan": 0.5, "posinf": 9.0}),
    "addmm_scaled": lambda t: ((t("N"), t("A"), t("M")), {"beta": 2, "alpha": 3}),
    "baddbmm": lambda t: ((t("R"), t("P"), t("Q")), {}),
    "addmv": lambda t: ((t("W"), t("M").T, t("V")), {}),
    "dot": lambda t: ((t("V"), t("V")), {}),
    "tensordot": lambda t: ((t("A"), t("M")), {"dims": 1}),
    "histc": lambda t: ((t("V"),), {"bins": 4}),
    "quantile": lambda t: ((t("A"), 0.5), {"dim": 1}),
    "nanquantile": lambda t: ((t("A"), 0.25), {"dim": 0}),
    "outer": lambda t: ((t("V"), t("W")), {}),
    "ger": lambda t: ((t("V"), t("W")), {}),
    **{
        f: (lambda t: ((t("A"),), {}))
        for f in (
            "exp exp2 expm1 log log1p log2 log10 sqrt rsqrt reciprocal abs absolute neg "
            "negative sin cos tan asin acos atan sinh cosh tanh asinh atanh arcsin arccos "
            "arctan arcsinh arctanh sigmoid erf erfc erfinv lgamma digamma i0 sinc logit "
            "deg2rad rad2deg floor ceil round trunc fix frac sign sgn logical_not"
        ).split()
    },
    "acosh": lambda t: ((t("G"),), {}),
    "arccosh": lambda t: ((t("G"),), {}),
    **{
        f: (lambda t: ((t("A"), t("B")), {}))
        for f in (
            "atan2 arctan2 xlogy copysign hypot logaddexp logaddexp2 maximum minimum eq ne lt "
            "le gt ge greater greater_equal less less_equal not_equal logical_and logical_or "
            "logical_xor"
        ).split()
    },
    "eq_scalar": lambda t: ((t("A"), 0.5), {}),
    "lerp": lambda t: ((t("A"), t("B"), 0.3), {}),
    "addcmul": lambda t: ((t("A"), t("B"), t("C")), {"value": 2}),
    "addcdiv": lambda t: ((t("A"), t("B"), t("C")), {}),
    "clamp": lambda t: ((t("A"), 0.3, 0.6), {}),
    "clamp_int_bounds": lambda t: ((t("A"), 1, 3), {}),
    "clamp_min_only": lambda t: ((t("A"),), {"min": 0.5}),
    "clamp_tensor": lambda t: ((t("A"), t("B"), t("C")), {}),
    "clip": lambda t: ((t("A"), 0.3, 0.6), {}),
    "sum_dim": lambda t: ((t("A"), 1), {}),
    "sum_keepdim": lambda t: ((t("A"), (0, 1), True), {}),
    "sum_dtype": lambda t: ((t("A"), 1), {"dtype": "float64"}),
    "mean": lambda t: ((t("A"),), {}),
    "mean_dim": lambda t: ((t("A"), 1), {}),
    "mean_dtype": lambda t: ((t("A"), 1), {"dtype": "float64"}),
    "prod_dim": lambda t: ((t("A"), 1), {}),
    "cumsum": lambda t: ((t("A"), 1), {}),
    "cumsum_dtype": lambda t: ((t("A"), 1), {"dtype": "float64"}),
    "cumprod": lambda t: ((t("A"), 1), {}),
    "max": lambda t: ((t("A"),), {}),
    "max_dim": lambda t: ((t("A"), 1), {}),
    "max_keepdim": lambda t: ((t("A"),), {"dim": 0, "keepdim": True}),
    "max_other": lambda t: ((t("A"), t("B")), {}),
    "min": lambda t: ((t("A"),), {}),
    "min_dim": lambda t: ((t("A"), 1), {}),
    "amax": lambda t: ((t("A"), 1), {}),
    "std": lambda t: ((t("A"), 1), {}),
    "var": lambda t: ((t("A"), 0), {}),
    "norm": lambda t: ((t("A"), 2, 1), {}),
    "amin": lambda t: ((t("A"), 1), {}),
    "argmax": lambda t: ((t("A"),), {}),
    "argmax_dim": lambda t: ((t("A"), 1), {}),
    "argmin": lambda t: ((t("A"), 0), {}),
    "cat": lambda t: (([t("A"), t("B")],), {}),
    "cat_mixed": lambda t: (([t("A"), t("B", "float64")], 1), {}),
    "stack": lambda t: (([t("A"), t("B")],), {"dim": 1}),
    "hstack": lambda t: (([t("A"), t("B")],), {}),
    "vstack": lambda t: (([t("A"), t("B")],), {}),
    "where": lambda t: ((t("A") > t("B"), t("A"), t("C")), {}),
    "sort": lambda t: ((t("A"),), {"descending": True}),
    "topk": lambda t: ((t("A"), 2), {}),
    "softmax": lambda t: ((t("A"), 1), {}),
    "log_softmax": lambda t: ((t("A"), 0), {}),
    "bitwise_and": lambda t: ((t("A"), t("B")), {}),
    "bitwise_or": lambda t: ((t("A"), t("B")), {}),
    "bitwise_xor": lambda t: ((t("A"), t("B")), {}),
    "bitwise_not": lambda t: ((t("A"),), {}),
    "bitwise_left_shift": lambda t: ((t("A"), t("B")), {}),
    "bitwise_right_shift": lambda t: ((t("A"), t("B")), {}),
    "gather": lambda t: ((t("A"), 1, t("I", "int64")), {}),
    "masked_select": lambda t: ((t("A"), t("A") > t("B")), {}),
    "take": lambda t: ((t("A"), t("J", "int64")), {}),
    "nonzero": lambda t: ((t("A") > t("B"),), {}),
    "scatter": lambda t: ((t("A"), 1, t("I", "int64"), t("B")), {}),
    "scatter_value": lambda t: ((t("A"), 1, t("I", "int64"), 2), {}),
    "scatter_add": lambda t: ((t("A"), 1, t("I", "int64"), t("B")), {}),
    "scatter_reduce": lambda t: ((t("A"), 1, t("I", "int64"), t("B"), "amax"), {}),
    "index_copy": lambda t: ((t("A"), 1, t("J", "int64"), t("C")), {}),
    "index_select": lambda t: ((t("A"), 0, t("J", "int64")), {}),
    "logsumexp": lambda t: ((t("A"), 1), {}),
    "logsumexp_keepdim": lambda t: ((t("A"), 0, True), {}),
    "zeros": lambda t: ((2, 3), {}),
    "ones": lambda t: (((2, 3),), {}),
    "full": lambda t: (((2, 3), 1.5), {}),
    "eye": lambda t: ((3,), {}),
    "arange": lambda t: ((1, 7, 2), {}),
    "linspace": lambda t: ((0, 1, 5), {}),
    "logspace": lambda t: ((0, 1, 5), {}),
    "empty": lambda t: ((2, 3), {}),
    "rand": lambda t: ((2, 3), {}),
    "randn": lambda t: ((2, 3), {}),
    "randint": lambda t: ((1, 10, (2, 3)), {}),
    "randperm": lambda t: ((5,), {}),
    "multinomial": lambda t: ((t("B", "float32"), 2), {}),
    "normal": lambda t: ((0.0, 1.0, (2, 3)), {}),
    "normal_tensor": lambda t: ((t("B", "float32"), t("B", "float32")), {}),
    "nansum": lambda t: ((t("A"), 1), {}),
    "nansum_all": lambda t: ((t("A"),), {}),
    "nanmean": lambda t: ((t("A"), 1), {}),
    "nanmean_all": lambda t: ((t("A"),), {}),
    "msort": lambda t: ((t("A"),), {}),
    "renorm": lambda t: ((t("A"), 2, 0, 1.0), {}),
    "any": lambda t: ((t("A"), 1), {}),
    "all": lambda t: ((t("A"),), {}),
    "logcumsumexp": lambda t: ((t("A"), 1), {}),
    "cummax": lambda t: ((t("A"), 1), {}),
    "cummin": lambda t: ((t("A"), 0), {}),
    "kthvalue": lambda t: ((t("A"), 2, 1), {}),
    "median": lambda t: ((t("A"),), {}),  # torch takes out= only with a dim
    "median_dim": lambda t: ((t("A"), 1), {}),
    "nanmedian_dim": lambda t: ((t("A"), 0, True), {}),
    "aminmax": lambda t: ((t("A"),), {}),
    "aminmax_dim": lambda t: ((t("A"),), {"dim": 1}),
    "frexp": lambda t: ((t("A"),), {}),
    "tril": lambda t: ((t("A"),), {}),
    "triu": lambda t: ((t("A"), 1), {}),
    "diff": lambda t: ((t("A"),), {}),
    "diff_prepend": lambda t: ((t("A"),), {"dim": 0, "prepend": t("B", "float64")}),
    "kron": lambda t: ((t("A"), t("V")), {}),
    "cross": lambda t: ((t("A"), t("B")), {"dim": 1}),
    "float_power": lambda t: ((t("A"), 2), {}),
    "float_power_tensor": lambda t: ((t("A"), t("B")), {}),
    "ldexp": lambda t: ((t("A"), t("J", "int64")), {}),
    "heaviside": lambda t: ((t("A"), t("B")), {}),
}
RANDOM = {"empty", "rand", "randn", "randint", "randperm", "multinomial", "normal"}
# where the function itself differs from torch, with or without out=: minigrad's rand and
# randn do not make float16, its randint does not refuse a high beyond the dtype's range
OP_LEVEL = {("rand", "float16"), ("randn", "float16"), ("randint", "bool")}
# (case, input dtype, out dtype) where torch's own result is wrong: a float32 ldexp into
# another float dtype fails an internal assert (minigrad writes the result cast, as other
# elementwise ops); any/all of several floats into uint8 truncate them first (all of 0.5 and
# 0.3 gives 0, of 0.5 alone 1), minigrad's give the truth of the elements, as bool out
TORCH_WRONG = {
    ("ldexp", "float32", "float64"),
    ("ldexp", "float32", "float16"),
    ("any", "float32", "uint8"),
    ("all", "float32", "uint8"),
}


def function(case):
    """The function a case calls: `sum_dim` calls sum, `float_power_tensor` float_power."""
    name = case
    while name not in _out.RULES and "_" in name:
        name = name.rsplit("_", 1)[0]
    return name


def build(lib, case, dtype):
    args, kwargs = CASES[case](Lib(lib, dtype))
    if "dtype" in kwargs:
        kwargs["dtype"] = getattr(lib, kwargs["dtype"])
    return getattr(lib, function(case)), args, kwargs


def empty_out(lib, dtype, second=None):
    """An empty out of `dtype`; with `second` (the dtype of a pair's second result: int64
    indices, frexp's int32 exponent, aminmax's max) a pair."""
    out = lib.empty(0, dtype=getattr(lib, dtype))
    return (out, lib.empty(0, dtype=getattr(lib, second))) if second else out


def outcome(fn, args, kwargs, out):
    """(returned, exception) of one call; a resize warning is an error here."""
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*resized")
        try:
            return fn(*args, **kwargs, out=out), None
        except Exception as exc:  # noqa: BLE001 - the comparison is the test
            return None, exc


def same_error(got, want):
    """The exception type, and torch's message within minigrad's, either one's leading
    `name(): ` aside (torch names overloads and internal ops there: mean.dtype_out, cat)."""
    assert type(got) is type(want), (got, want)
    key = re.sub(r"^[\w.:]+\(\): ", "", str(want).split("\n")[0])
    if "canCast" in key:  # torch.max's internal check: minigrad says it as the other ops do
        key = "can't be cast to the desired output type"
    if "not implemented for" in key:  # names a torch kernel: minigrad names the function
        key = re.sub(r'^".*" ', "", key)
    assert key in str(got), (str(got), key)


@pytest.mark.filterwarnings("ignore:torch.ger is deprecated")
@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("in_dtype", ["float32", "int64"])
def test_out_dtypes_match_torch(case, in_dtype):
    """For each out dtype: torch's error (type and message) or torch's values written into
    the very out tensor, which is returned."""
    tfn, targs, tkw = build(torch, case, in_dtype)
    try:
        base = tfn(*targs, **tkw)
    except Exception:  # noqa: BLE001 - a form torch itself refuses without out
        pytest.skip(f"torch.{function(case)} refuses these inputs")
    pair = isinstance(base, tuple)
    second = str(base[1].dtype).removeprefix("torch.") if pair else None
    fn, args, kwargs = build(mg, case, in_dtype)
    for dtype in OUT_DTYPES:
        if (function(case), dtype) in OP_LEVEL or (case, in_dtype, dtype) in TORCH_WRONG:
            continue
        tout, out = empty_out(torch, dtype, second), empty_out(mg, dtype, second)
        torch.manual_seed(0)
        want, terr = outcome(tfn, targs, tkw, tout)
        got, err = outcome(fn, args, kwargs, out)
        if terr is not None:
            assert err is not None, f"{case} into {dtype}: torch raised {terr!r}"
            same_error(err, terr)
            continue
        assert err is None, f"{case} into {dtype}: torch gave {want}, minigrad raised {err!r}"
        outs, touts = (out, tout) if pair else ((out,), (tout,))
        if pair:
            assert type(got) is type(fn(*args, **kwargs))
            assert got[0] is out[0] and got[1] is out[1]
        else:
            assert got is out
        for o, w in zip(outs, touts, strict=True):
            assert o.dtype == np.dtype(str(w.dtype).removeprefix("torch."))
            assert tuple(o.shape) == tuple(w.shape)
            assert o._version == 1
            if function(case) not in RANDOM:
                tol = 2e-3 if dtype == "float16" else 1e-6
                np.testing.assert_allclose(
                    o.numpy().astype(np.float64), w.numpy().astype(np.float64), rtol=tol, atol=tol
                )


def test_every_rule_is_installed_and_torch_takes_out_there():
    """Each name in the table that minigrad has is wrapped, and torch has `out=` on it."""
    for name in _out.RULES:
        fn = getattr(mg, name, None)
        if fn is None:
            continue
        assert "out" in inspect.signature(fn).parameters, name
        assert fn.__wrapped__ is not None and fn.__name__ == fn.__wrapped__.__name__
    covered = {function(c) for c in CASES}
    assert covered >= {n for n in _out.RULES if hasattr(mg, n)} - {"concat", "concatenate"}


def test_without_out_the_functions_are_unchanged():
    a, b = mg.tensor([[1.0, -2.0], [3.0, 0.5]]), mg.tensor([[0.5, 4.0], [-1.0, 2.0]])
    assert mg.add(a, b, alpha=2).tolist() == (a + 2 * b).tolist()
    assert mg.add(a, b, out=None).tolist() == (a + b).tolist()
    with pytest.warns(UserWarning):  # PyTorch's deprecated add(input, alpha, other)
        assert mg.add(a, 2, b).tolist() == (a + 2 * b).tolist()
    assert mg.sum(a, dim=1, keepdim=True).shape == (2, 1)
    assert mg.sum(a, 1, dtype=mg.float64).dtype == np.float64
    assert mg.clamp(a, min=0.0).tolist() == [[1.0, 0.0], [3.0, 0.5]]
    values, indices = mg.max(a, dim=1, keepdim=True)
    assert values.tolist() == [[1.0], [3.0]] and indices.tolist() == [[0], [0]]
    assert mg.cat(tensors=[a, b], dim=1).shape == (2, 4)
    assert mg.zeros(size=(2, 3)).shape == (2, 3) and mg.zeros(2, 3).dtype == np.float32
    assert mg.div(a, b, rounding_mode="floor").tolist() == [[2.0, -1.0], [-3.0, 0.0]]
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    mg.exp(x).sum().backward()  # the graph is recorded as before
    np.testing.assert_allclose(x.grad.numpy(), np.exp([1.0, 2.0]), rtol=1e-6)
    with pytest.raises(TypeError):
        mg.exp(x, 2)


# ---------------------------------------------------------------------- writing into out
def test_out_is_written_in_place_and_returned():
    a, b = mg.tensor([1.0, 2.0, 3.0]), mg.tensor([10.0, 20.0, 30.0])
    out = mg.zeros(3)
    memory = out._data
    assert mg.add(a, b, out=out) is out
    assert out._data is memory and out.tolist() == [11.0, 22.0, 33.0]
    assert out._version == 1
    mg.mul(a, b, out=out)
    assert out._version == 2 and out.tolist() == [10.0, 40.0, 90.0]


def test_out_views_write_through_to_their_base():
    base = mg.zeros(3, 2)
    tbase = torch.zeros(3, 2)
    ones, tones = mg.ones(2, 3), torch.ones(2, 3)
    mg.add(ones, ones, out=base.T)  # non-contiguous out
    torch.add(tones, tones, out=tbase.T)
    np.testing.assert_array_equal(base.numpy(), tbase.numpy())
    mg.exp(mg.zeros(2), out=base[1:, 0][:2])  # strided view of a column
    torch.exp(torch.zeros(2), out=tbase[1:, 0][:2])
    np.testing.assert_array_equal(base.numpy(), tbase.numpy())
    view = base[0]
    assert base._version == view._version == 2  # the view shares the base's counter


def test_out_aliasing_an_input():
    for lib in (mg, torch):
        a = lib.tensor([1.0, 2.0, 3.0])
        lib.add(a, a, out=a)
        lib.mul(a, lib.tensor([2.0, 2.0, 2.0]), out=a)
        assert a.tolist() == [4.0, 8.0, 12.0]
        m = lib.tensor([[1.0, 2.0], [3.0, 4.0]])
        lib.mm(m, m, out=m)  # products may take an input as out
        if lib is mg:  # PyTorch's value depends on its BLAS path: zeros on some CPUs
            assert m.tolist() == [[7.0, 10.0], [15.0, 22.0]]
        s = lib.tensor([3.0, 1.0, 2.0])
        v, i = lib.sort(s, out=(s, lib.empty(0, dtype=lib.int64)))
        assert v is s and s.tolist() == [1.0, 2.0, 3.0] and i.tolist() == [1, 2, 0]


@pytest.mark.parametrize(
    "call",
    [
        lambda L, x: L.add(x, 1, out=x.T),
        lambda L, x: L.exp(x, out=x.T),
        lambda L, x: L.add(x[0], 1, out=x),  # the row is within out's memory
        lambda L, x: L.eq(x, 0.5, out=x.T),
        lambda L, x: L.where(x > 0, x, x * 2, out=x.T),
        lambda L, x: L.clamp(x, 0, 1, out=x.T),
        lambda L, x: L.cumsum(x, 0, out=x.T),
        lambda L, x: L.cat([x[0], x[1]], out=x.reshape(-1)[:6]),
        lambda L, x: L.cat([x], out=x),  # cat refuses even the same elements
        lambda L, x: L.stack([x[0], x[1]], out=x[:2]),
        lambda L, x: L.sort(x, out=(x.T, L.empty(0, dtype=L.int64))),
        lambda L, x: L.max(x, 0, out=(x[0], L.empty(0, dtype=L.int64))),
        lambda L, x: L.addmm(x, x, x, out=x.T),
        lambda L, x: L.logcumsumexp(x, 1, out=x.T),
        lambda L, x: L.kthvalue(x, 1, 1, out=(x[0], L.empty(0, dtype=L.int64))),
        lambda L, x: L.median(x, 1, out=(x[0], L.empty(0, dtype=L.int64))),
        lambda L, x: L.aminmax(x, dim=1, out=(x[0], x[1])),
        lambda L, x: L.frexp(x, out=(x.T, L.empty(0, dtype=L.int32))),
        lambda L, x: L.kron(x[:1, :1], x, out=x),  # kron and cross: even the same elements
        lambda L, x: L.cross(x, L.ones(3, 3), dim=1, out=x),
        lambda L, x: L.ldexp(x, L.ones(3, 3, dtype=L.int64), out=x.T),
        lambda L, x: L.heaviside(x, L.ones(3, 3), out=x.T),
    ],
)
def test_partial_overlap_with_an_input_is_refused(call):
    for lib in (torch, mg):
        x = lib.tensor(np.arange(9.0).reshape(3, 3), dtype=lib.float32)
        with pytest.raises(RuntimeError, match="refer to a single memory location"):
            call(lib, x)


@pytest.mark.parametrize(
    "call",
    [
        lambda L, x: L.add(x, 1, out=x),
        lambda L, x: L.amax(x, 0, out=x[0]),
        lambda L, x: L.add(x[:, 0], 1, out=x[:, 1]),  # strided: PyTorch does not check
        lambda L, x: L.add(x[0], 1, out=x[1]),  # disjoint
        lambda L, x: L.softmax(x, 0, out=x),
    ],
)
def test_overlaps_torch_allows(call):
    results = []
    for lib in (torch, mg):
        x = lib.tensor(np.arange(9.0).reshape(3, 3) / 9, dtype=lib.float32)
        call(lib, x)
        results.append(x.numpy())
    np.testing.assert_allclose(results[1], results[0], rtol=1e-6)


def test_a_product_into_its_own_input():
    """`mm(x, x, out=x.T)`: PyTorch allows it, and its numbers depend on its BLAS path (on
    some CPUs zeros, the output cleared before the product reads it); minigrad's are the
    product of x as it was, written transposed."""
    a = np.arange(9.0).reshape(3, 3) / 9
    x = mg.tensor(a, dtype=mg.float32)
    mg.mm(x, x, out=x.T)
    np.testing.assert_allclose(x.numpy(), (a @ a).T, rtol=1e-6)


def test_unchecked_overlaps_read_the_inputs_before_writing():
    """PyTorch lets these through and its numbers then follow its loop order; minigrad's
    are those of the inputs as they were before the call."""
    for lib in (torch, mg):
        x = lib.tensor(np.arange(9.0).reshape(3, 3), dtype=lib.float32)
        lib.sum(x, 0, out=x[0])
        y = lib.tensor(np.arange(9.0).reshape(3, 3), dtype=lib.float32)
        lib.add(y[0].expand(3, 3), 1, out=y)  # an expanded input is not checked
    assert x[0].tolist() == [9.0, 12.0, 15.0] and x[1:].tolist() == [[3, 4, 5], [6, 7, 8]]
    assert y.tolist() == [[1.0, 2.0, 3.0]] * 3


def test_expanded_out_is_refused():
    for lib in (torch, mg):
        out = lib.zeros(3).expand(3, 3)
        with pytest.raises(RuntimeError, match="more than one element of the written-to"):
            lib.add(lib.ones(3, 3), 1, out=out)


# ---------------------------------------------------------------------- resizing
def resize_warnings(lib, call):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = call(lib)
    return result, [str(w.message) for w in caught], caught


@pytest.mark.parametrize(
    ("call", "shape"),
    [
        (lambda L: L.add(L.ones(2, 3), 1, out=L.zeros(4)), (4,)),
        (lambda L: L.add(L.ones(2, 3), 1, out=L.zeros(6)), (6,)),  # same count, other shape
        (lambda L: L.add(L.ones(2, 3), 1, out=L.zeros(3, 2)), (3, 2)),
        (lambda L: L.add(L.ones(2, 3), 1, out=L.zeros(0)), None),  # empty: silent
        (lambda L: L.add(L.ones(2, 3), 1, out=L.zeros(0, 3)), None),
        (lambda L: L.add(L.ones(2, 3), 1, out=L.zeros(2, 3)), None),
        (lambda L: L.add(L.tensor(1.0), 1, out=L.zeros(1)), (1,)),  # into 0-d
        (lambda L: L.mm(L.ones(2, 3), L.ones(3, 2), out=L.zeros(3)), (3,)),
        (lambda L: L.sum(L.ones(2, 3), 1, out=L.zeros(())), ()),
        (lambda L: L.max(L.ones(2, 3), 1, out=(L.zeros(5), L.zeros(0, dtype=L.int64)))[0], (5,)),
        (lambda L: L.zeros(2, 3, out=L.zeros(4)), None),  # factories resize silently
        (lambda L: L.rand(2, 3, out=L.zeros(4)), None),
        (lambda L: L.randperm(6, out=L.zeros(2, 3)), None),
        (lambda L: L.linspace(0, 1, 6, out=L.zeros(4)), None),
        (lambda L: L.linspace(0, 1, 6, out=L.zeros(2, 3)), None),  # keeps out's shape
        (lambda L: L.arange(6, out=L.zeros(2, 3)), None),  # keeps out's shape
        (lambda L: L.arange(6, out=L.zeros(0)), None),
    ],
)
def test_resize_and_its_warning(call, shape):
    want, twarn, _ = resize_warnings(torch, call)
    got, mwarn, caught = resize_warnings(mg, call)
    assert tuple(got.shape) == tuple(want.shape)
    if not isinstance(got, tuple) and "rand" not in str(call.__code__.co_names):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)
    twarn = [w.split(" (Triggered internally")[0] for w in twarn]
    assert mwarn == twarn
    if shape is not None:
        assert mwarn[0].startswith(
            f"An output with one or more elements was resized since it had shape "
            f"{list(shape)}, which does not match the required output shape"
        )
        assert caught[0].filename == __file__  # reported at the caller's line


def test_arange_warns_when_the_count_differs():
    _, twarn, _ = resize_warnings(torch, lambda L: L.arange(6, out=L.zeros(4)))
    got, mwarn, caught = resize_warnings(mg, lambda L: L.arange(6, out=L.zeros(4)))
    assert got.shape == (6,) and got.tolist() == list(range(6))
    assert mwarn == [w.split(" (Triggered internally")[0] for w in twarn]
    assert caught[0].filename == __file__


def test_resizing_keeps_the_tensor_and_bumps_its_version():
    out = mg.zeros(5)
    got = mg.add(mg.ones(2), 1, out=mg.zeros(0))
    assert got.tolist() == [2.0, 2.0]
    with pytest.warns(UserWarning, match="was resized"):
        assert mg.exp(mg.zeros(2, 2), out=out) is out
    assert out.shape == (2, 2) and out.tolist() == [[1.0, 1.0], [1.0, 1.0]]
    assert out._version == 1 and out.dtype == np.float32


# ---------------------------------------------------------------------- autograd
AUTOGRAD = "functions with out=... arguments don't support automatic differentiation"


@pytest.mark.filterwarnings("ignore:An output with one or more elements was resized")
@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda L, w, o: L.add(w, 1, out=o), "add"),
        (lambda L, w, o: L.sub(o, 1, out=w), "sub"),
        (lambda L, w, o: L.true_divide(w, 2, out=o), "div"),
        (lambda L, w, o: L.clip(w, 0, 1, out=o), "clamp"),
        (lambda L, w, o: L.square(w, out=o), "pow"),
        (lambda L, w, o: L.sum(w, 0, out=o), "sum"),
        (lambda L, w, o: L.cat([w, w], out=o), "cat"),
        (lambda L, w, o: L.where(o > 0, w, o, out=o), "where"),
        (lambda L, w, o: L.sort(w, out=(o, L.empty(0, dtype=L.int64))), "sort"),
        (lambda L, w, o: L.max(w, 0, out=(o, L.empty(0, dtype=L.int64))), "max"),
        (lambda L, w, o: L.mv(w[None].expand(2, 3), o, out=o[:2]), "mv"),
        (lambda L, w, o: L.zeros(3, out=w), "aten::zeros"),
        (lambda L, w, o: L.rand(3, out=w), "aten::rand"),
        (lambda L, w, o: L.randint(3, (3,), out=w), "aten::randint"),
        (lambda L, w, o: L.floor_divide(o, 2, out=w), "aten::floor_divide"),
        (lambda L, w, o: L.softmax(o, 0, out=w), "aten::softmax"),
    ],
)
def test_requires_grad_is_refused_in_grad_mode(call, name):
    for lib in (torch, mg):
        w = lib.tensor([0.2, 0.7, 0.4], requires_grad=True)
        o = lib.tensor([0.5, 0.1, 0.9])
        with pytest.raises(RuntimeError, match=re.escape(f"{name}(): {AUTOGRAD}")):
            call(lib, w, o)
        with lib.no_grad():
            call(lib, w, o)  # allowed without grad mode


@pytest.mark.parametrize(
    "call",
    [
        lambda L, w, o: L.eq(w, 0.2, out=o),  # no gradient: writing even into w is allowed
        lambda L, w, o: L.gt(o, 0.2, out=w),
        lambda L, w, o: L.logical_not(w, out=o),
        lambda L, w, o: L.argmax(w, out=L.empty(0, dtype=L.int64)),
        lambda L, w, o: L.floor_divide(w, 2, out=o),  # an input may require grad
        lambda L, w, o: L.softmax(w, 0, out=o),
    ],
)
def test_requires_grad_that_torch_lets_through(call):
    got = []
    for lib in (torch, mg):
        w = lib.tensor([0.2, 0.7, 0.4], requires_grad=True)
        o = lib.tensor([0.5, 0.1, 0.9])
        result = call(lib, w, o)
        got.append(result.detach().numpy())
    np.testing.assert_allclose(got[1], got[0], rtol=1e-6)


def test_empty_and_randn_cannot_resize_a_tensor_that_requires_grad():
    for lib in (torch, mg):
        for fn in (lib.empty, lib.randn):
            w = lib.zeros(2, 3, requires_grad=True)
            with pytest.raises(RuntimeError, match="cannot resize variables that require grad"):
                fn(2, 3, out=w)
            with lib.no_grad(), pytest.raises(RuntimeError, match="cannot resize variables"):
                fn(2, 3, out=w)


def test_out_results_are_not_recorded():
    with mg.no_grad():
        w = mg.tensor([1.0, 2.0], requires_grad=True)
        out = mg.zeros(2, requires_grad=True)
        mg.mul(w, 3, out=out)
    assert out.tolist() == [3.0, 6.0] and out.is_leaf and out.grad_fn is None
    x = mg.tensor([1.0, 2.0])
    y = mg.exp(x, out=mg.empty(0))
    assert not y.requires_grad and y.grad_fn is None


def test_a_saved_out_refuses_backward_after_it_is_overwritten():
    for lib in (torch, mg):
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        h = w * 1
        y = (h * h).sum()  # saves h
        with lib.no_grad():
            lib.add(h, 1, out=h)
        with pytest.raises(RuntimeError, match="modified by an inplace operation|version"):
            y.backward()


# ---------------------------------------------------------------------- out's type
@pytest.mark.parametrize(
    ("out", "kind"),
    [
        (np.zeros(3), "numpy.ndarray"),
        ([1.0, 2.0], "list"),
        ((1,), "tuple"),
        ("x", "str"),
    ],
)
def test_out_must_be_a_tensor(out, kind):
    for lib in (torch, mg):
        with pytest.raises(TypeError, match=rf"add\(\): argument 'out' must be Tensor, not {kind}"):
            lib.add(lib.ones(3), 1, out=out)


@pytest.mark.filterwarnings("ignore:An output with one or more elements was resized")
def test_values_and_indices_outs():
    for lib in (torch, mg):
        x = lib.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 5.0]])
        v, i = lib.empty(0), lib.empty(0, dtype=lib.int64)
        got = lib.max(x, 1, out=[v, i])  # a list is taken too
        assert got.values is v and got.indices is i and v.tolist() == [3.0, 5.0]
        assert i.tolist() == [0, 1]  # ties: the first
        with pytest.raises(TypeError, match="expected tuple of 2 elements but got 3"):
            lib.sort(x, out=(v, i, i))
        with pytest.raises(TypeError):
            lib.topk(x, 1, out=v)
        with pytest.raises(TypeError, match="expected Tensor as element 1"):
            lib.max(x, 1, out=(v, None))
        with pytest.raises(RuntimeError, match="long int, but got int instead"):
            lib.sort(x, out=(v, lib.empty(0, dtype=lib.int32)))


# ---------------------------------------------------------------------- factories
@pytest.mark.parametrize("dtype", ["float64", "float32", "int32", "int64", "bool", "uint8"])
@pytest.mark.parametrize(
    "call",
    [
        lambda L, o: L.zeros(2, 3, out=o),
        lambda L, o: L.ones((2, 3), out=o),
        lambda L, o: L.full((2,), 3, out=o),
        lambda L, o: L.eye(2, 3, out=o),
        lambda L, o: L.arange(0, 5, out=o),
        lambda L, o: L.linspace(0, 4, 5, out=o),
    ],
)
def test_factories_make_out_dtype(call, dtype):
    tout, out = torch.empty(0, dtype=getattr(torch, dtype)), mg.empty(0, dtype=getattr(mg, dtype))
    want, terr = outcome(lambda out: call(torch, out), (), {}, tout)
    got, err = outcome(lambda out: call(mg, out), (), {}, out)
    if terr is not None:
        same_error(err, terr)
        return
    assert got is out and out.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(out.numpy(), want.numpy())


def test_random_factories_into_out():
    out64 = mg.empty(0, dtype=mg.float64)
    assert mg.rand(1000, out=out64) is out64 and out64.dtype == np.float64
    assert 0.0 <= out64.min().item() and out64.max().item() < 1.0
    assert abs(out64.mean().item() - 0.5) < 0.05
    r = mg.randn(2000, out=mg.empty(0))
    assert abs(r.mean().item()) < 0.1 and abs(r.std().item() - 1) < 0.1
    ri = mg.randint(2, 5, (100,), out=mg.zeros(100, dtype=mg.int32))
    assert ri.dtype == np.int32 and set(ri.tolist()) == {2, 3, 4}
    rp = mg.randperm(6, out=mg.empty(0, dtype=mg.float32))
    assert sorted(rp.tolist()) == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    mg.manual_seed(3)
    a = mg.rand(4, out=mg.empty(0, dtype=mg.float64))
    mg.manual_seed(3)
    np.testing.assert_array_equal(a.numpy(), mg.rand(4, dtype=mg.float64).numpy())


def test_factory_dtype_and_requires_grad_with_out():
    for lib in (torch, mg):
        with pytest.raises(
            RuntimeError, match=r"dtype Double does not match dtype of out parameter \(Float\)"
        ):
            lib.zeros(2, out=lib.empty(0), dtype=lib.float64)
        assert lib.ones(2, out=lib.empty(0), dtype=lib.float32).tolist() == [1.0, 1.0]
        out = lib.empty(0)
        assert lib.zeros(2, out=out, requires_grad=True).requires_grad and out.is_leaf
        with pytest.raises(NotImplementedError):
            lib.rand(2, out=lib.empty(0, dtype=lib.int64))
        with pytest.raises(NotImplementedError):
            lib.arange(3, out=lib.empty(0, dtype=lib.bool))


# ---------------------------------------------------------------------- edges
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_nan_inf_and_empty_inputs(dtype):
    data = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0], dtype=dtype)
    for name, into in (("exp", "float64"), ("sqrt", dtype), ("neg", dtype), ("tanh", dtype)):
        tout, out = torch.empty(0, dtype=getattr(torch, into)), mg.empty(0, dtype=getattr(mg, into))
        want = getattr(torch, name)(torch.tensor(data), out=tout)
        with np.errstate(all="ignore"):
            got = getattr(mg, name)(mg.tensor(data), out=out)
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)
        assert got.dtype == np.dtype(into)
    for lib in (torch, mg):
        e = lib.empty(0, 3, dtype=getattr(lib, dtype))
        assert tuple(lib.add(e, 1, out=lib.zeros(0, 3)).shape) == (0, 3)
        assert lib.sum(e, 0, out=lib.ones(3)).tolist() == [0.0, 0.0, 0.0]
        z = lib.zeros(())
        assert lib.mul(lib.tensor(2.0), 3, out=z) is z and z.item() == 6.0


def test_signature_and_name():
    sig = inspect.signature(mg.add)
    assert list(sig.parameters)[-2:] == ["alpha", "out"]
    assert sig.parameters["out"].kind is inspect.Parameter.KEYWORD_ONLY
    assert mg.sum.__name__ == "sum" and mg.clamp.__name__ == mg.clip.__name__
    assert "out" in inspect.signature(mg.zeros).parameters


def test_functions_pickle_by_name_and_aliases_stay_one_object():
    import pickle

    for name in ("exp", "add", "arcsin", "eq", "zeros", "clip"):
        assert pickle.loads(pickle.dumps(getattr(mg, name))) is getattr(mg, name)
    assert mg.arcsin is mg.asin and mg.clip is mg.clamp and mg.greater is mg.gt


def test_a_0d_out_made_by_an_op():
    out = mg.tensor([1.0, 2.0]).sum()  # its array may be a NumPy scalar
    assert mg.mul(mg.tensor(2.0), 4, out=out) is out and out.item() == 8.0
    assert out._version == 1
    with pytest.warns(UserWarning, match=r"had shape \[\], which does not match"):
        mg.add(mg.ones(2), 1, out=out)  # resized from 0-d
    assert out.tolist() == [2.0, 2.0]


def test_forms_torch_lacks():
    for lib in (torch, mg):
        with pytest.raises(TypeError):
            lib.where(lib.tensor([True, False]), out=lib.empty(0))
    # torch.sum(x, out=...) needs a dim; minigrad takes it as the sum of all elements
    assert mg.sum(mg.ones(2, 3), out=mg.empty(0)).item() == 6.0


def test_out_on_each_device(device):
    a = mg.tensor([[1.0, 2.0], [3.0, 4.0]], device=device)
    out = mg.empty(0, device=device)
    assert mg.matmul(a, a, out=out) is out and out.device == device
    assert out.tolist() == [[7.0, 10.0], [15.0, 22.0]]
    pair = (mg.zeros(2, device=device), mg.empty(0, dtype=mg.int64, device=device))
    values, indices = mg.max(a, 1, out=pair)
    assert values.tolist() == [2.0, 4.0] and indices.tolist() == [1, 1]
    with pytest.raises(RuntimeError, match="refer to a single memory location"):
        mg.add(a, 1, out=a.T)
    if device != "cpu":
        with pytest.raises(RuntimeError, match="out is on cpu"):
            mg.add(a, 1, out=mg.zeros(2, 2))
