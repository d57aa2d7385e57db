"""PyTorch's `out=` keyword on minigrad's top-level functions: `mg.add(a, b, out=c)`.

`install(namespace)` replaces each function named in `RULES` with a wrapper. Without
`out` (or with `out=None`) the wrapper only calls the function. With a tensor `out`, it
follows PyTorch's rules, checked before anything is written:

- `out` is a Tensor; for the forms that return two tensors (max/min over a dim, sort,
  topk, cummax, kthvalue, median, ...: values and int64 indices; aminmax; frexp) a tuple
  or list of two Tensors, the second of the second result's dtype;
- in grad mode a differentiable function refuses when `out` or an input requires grad
  (out= results are not recorded);
- the result's dtype must fit `out`'s: by PyTorch's casting rule for elementwise ops and
  cat (no float into an integer out, nothing but bool into a bool out), exactly for
  matrix products, sort and the like; sum/prod/mean/cumsum compute in `out`'s dtype, and
  factories (zeros, rand, arange, ...) make it;
- an input that partly overlaps `out` in memory is refused, as PyTorch refuses it;
- `out` of another shape is resized (new memory), with PyTorch's warning when it had
  elements.

The result is computed by the function itself, then copied into `out`'s memory (views of
`out` see it), `out`'s version counter is bumped once and `out` is returned: the same
object, or a `return_types` tuple of the given tensors.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from . import autograd
from .backend import device_of, get_array_module, is_cupy_array
from .errors import warn_user
from .ops.search import cxx_name
from .tensor import Tensor, _type_name


@dataclass(frozen=True)
class Rule:
    """How one function treats `out`.

    `name` is PyTorch's name for the op in its messages. `dtype` says which dtypes of `out`
    are accepted (see `_check_dtype`; "float_out" computes in out's float dtype, as
    logsumexp). `grad`: "any" refuses when out or an input requires
    grad (in grad mode), "out" only when out does, None never (comparisons, argmax).
    `overlap`: "partial" refuses an input that overlaps out other than exactly, "any" any
    overlap (cat, stack), "self" the first input as "partial" and the others as "any" (the
    scatter family: out may be the input itself, never src or the index), None checks
    nothing. `resize`: "warn" warns when a non-empty out
    is resized, "quiet" does not, "range" keeps out's shape when the element count agrees
    (warning otherwise, as arange), "steps" keeps it too but never warns (linspace).
    `pair`: out is two tensors, (values, indices) or (min, max), (mantissa, exponent), or
    `outputs` of them (svd's three); `_check_second` checks those after the first.
    `no_dtypes`: dtype kinds out may not have (NotImplementedError, as PyTorch's kernels)."""

    name: str
    dtype: str = "cast"
    grad: str | None = "any"
    overlap: str | None = "partial"
    resize: str = "warn"
    pair: bool = False
    no_dtypes: str = ""
    outputs: int = 2


def _rules(names: str, **kw: Any) -> dict[str, Rule]:
    """One rule per name; the op's PyTorch name is the part after '=' (`absolute=abs`)."""
    out = {}
    for entry in names.split():
        api, _, op = entry.partition("=")
        out[api] = Rule(op or api, **kw)
    return out


# ------------------------------------------------------------------ the rule table
_FACTORY = {"dtype": "factory", "grad": "out", "overlap": None, "resize": "quiet"}
RULES: dict[str, Rule] = {
    # elementwise, PyTorch's TensorIterator: any out the result can be cast to
    **_rules(
        "add sub subtract=sub mul multiply=mul div divide=div true_divide=div remainder fmod "
        "pow square=pow exp exp2 expm1 log log1p log2 log10 sqrt rsqrt reciprocal sin cos tan "
        "asin acos atan sinh cosh tanh asinh acosh atanh arcsin=asin arccos=acos arctan=atan "
        "arcsinh=asinh arccosh=acosh arctanh=atanh atan2 arctan2=atan2 sigmoid erf erfc "
        "erfinv lgamma digamma i0 sinc logit xlogy copysign hypot logaddexp logaddexp2 "
        "deg2rad rad2deg maximum minimum lerp addcmul addcdiv outer=mul ger=mul"
    ),
    "floor_divide": Rule("aten::floor_divide", grad="out"),
    # elementwise ops whose out must have the result's dtype
    **_rules(
        "abs absolute=abs neg negative=neg floor ceil round trunc fix=trunc frac sign sgn",
        dtype="found",
    ),
    # comparisons and logical ops: a bool result fits any out; no gradient
    **_rules(
        "eq ne lt le gt ge greater=gt greater_equal=ge less=lt less_equal=le not_equal=ne "
        "logical_and logical_or logical_not logical_xor",
        grad=None,
    ),
    # bitwise ops: integer results, cast as elementwise ops; no gradient
    **_rules(
        "bitwise_and bitwise_or bitwise_xor bitwise_left_shift bitwise_right_shift", grad=None
    ),
    "bitwise_not": Rule("bitwise_not", dtype="found", grad=None),
    "logsumexp": Rule("logsumexp", dtype="float_out"),
    # products and the like: out of the result's dtype exactly
    **_rules("mm bmm mv baddbmm addmv", dtype="same", overlap=None),
    "tensordot": Rule("tensordot", dtype="tensordot", overlap=None),
    # any overlap of out with the input is refused, even out being the input, as PyTorch's
    "gather": Rule("gather", dtype="same", overlap="any"),
    "index_select": Rule("index_select", dtype="self", overlap="any"),
    "masked_select": Rule("masked_select", dtype="self", overlap="any"),
    "take": Rule("take", dtype="take", overlap="any"),
    "nonzero": Rule("nonzero", dtype="nonzero", grad=None, overlap="any"),
    # out of the input's dtype; out may be the input (not src or the index), as PyTorch's
    **_rules("scatter scatter_add scatter_reduce index_copy", dtype="same", overlap="self"),
    "addmm": Rule("addmm", dtype="same", overlap="first"),
    "nan_to_num": Rule("nan_to_num", dtype="input"),
    "dot": Rule("dot", dtype="dot", overlap=None),
    "softmax": Rule("aten::softmax", dtype="same", grad="out", overlap=None),
    "log_softmax": Rule("aten::log_softmax", dtype="same", grad="out", overlap=None),
    **_rules("argmax argmin", dtype="same", grad=None, overlap=None),
    **_rules("amax amin", dtype="amax", overlap=None),
    **_rules("std var", dtype="mean", overlap=None),
    "norm": Rule("norm", dtype="same", overlap=None),
    **_rules("sort topk", dtype="same", pair=True),
    "where": Rule("where", dtype="where"),
    # reductions computed in out's dtype
    **_rules("sum prod", dtype="reduce", overlap=None),
    **_rules("cumsum cumprod", dtype="reduce", no_dtypes="b"),
    "mean": Rule("mean", dtype="mean", overlap=None),
    # joins: cast as elementwise, no overlap at all
    **_rules("cat concat=cat concatenate=cat hstack=cat vstack=cat", dtype="cat", overlap="any"),
    "stack": Rule("stack", dtype="cat", overlap="any"),
    # factories: out's dtype is the result's (PyTorch's messages call them aten::zeros, ...)
    **_rules("zeros=aten::zeros ones=aten::ones full=aten::full eye=aten::eye", **_FACTORY),
    "randint": Rule("aten::randint", **_FACTORY),
    "rand": Rule("aten::rand", **_FACTORY, no_dtypes="biu"),
    "randperm": Rule("aten::randperm", **_FACTORY, no_dtypes="b"),
    "multinomial": Rule("multinomial", dtype="long", grad=None),
    # draws made in out's float dtype; refused when mean or std requires grad, as PyTorch
    "normal": Rule("normal", **_FACTORY | {"grad": "any"}, no_dtypes="biu"),
    "arange": Rule("aten::arange", **_FACTORY | {"resize": "range"}, no_dtypes="b"),
    **_rules(
        "linspace=aten::linspace logspace=aten::logspace",
        **_FACTORY | {"resize": "steps"},
        no_dtypes="b",
    ),
    # these resize out even to its own shape, which PyTorch refuses for one requiring grad
    "empty": Rule("empty", **_FACTORY | {"grad": "resize"}),
    "randn": Rule("randn", **_FACTORY | {"grad": "resize"}, no_dtypes="biu"),
    # max/min: three forms (see `_FORMS`)
    "max": Rule("max"),
    "min": Rule("min"),
    "clamp": Rule("clamp", dtype="found"),
    "clip": Rule("clamp", dtype="found"),
    "matmul": Rule("matmul", dtype="same", overlap=None),
    "histc": Rule("histc", dtype="histogram", grad=None),
    **_rules("quantile nanquantile", dtype="quantile", overlap=None),
    "normalize": Rule("normalize"),  # nn.functional's (see install's `names`); cast, as div
    # nansum computes in out's dtype; its kernel refuses a float input into an integer out
    "nansum": Rule("nansum", dtype="nansum", overlap=None),
    "nanmean": Rule("nansum", dtype="nansum", overlap=None),  # PyTorch's nansum_out, then div_
    "msort": Rule("sort", dtype="same"),  # PyTorch's messages name sort
    "renorm": Rule("renorm", dtype="same"),
    **_rules("any all", dtype="bool_out", grad=None, overlap=None),  # bool or uint8 out
    "logcumsumexp": Rule("logcumsumexp", dtype="scalar_type"),
    **_rules("cummax cummin", dtype="scalar_type", overlap=None, pair=True),
    "kthvalue": Rule("kthvalue", dtype="kthvalue", pair=True),
    **_rules("median nanmedian", dtype="median", pair=True),  # with a dim (`_median_form`)
    "aminmax": Rule("aminmax", dtype="same", pair=True),  # (min, max), both the input's
    "frexp": Rule("frexp", dtype="frexp", pair=True),  # (mantissa, int32 exponent)
    **_rules("tril triu", dtype="same", overlap=None),
    "diff": Rule("sub", overlap=None),  # PyTorch's messages name the ops it is made of
    "kron": Rule("mul", overlap="any"),
    "cross": Rule("linalg_cross", dtype="same", overlap="any"),
    "float_power": Rule("pow", dtype="float_power"),  # float64 (complex128) out only
    "ldexp": Rule("ldexp", dtype="ldexp"),
    "heaviside": Rule("aten::heaviside", dtype="heaviside", grad="out"),  # no derivative
}

# the linear algebra of the top level (linalg's own functions take no out=), installed with
# RULES; tests/test_round24_linalg.py checks each against PyTorch
LINALG_RULES: dict[str, Rule] = {
    **_rules("inverse matrix_power addbmm", dtype="same", overlap=None),
    **_rules("addr cholesky_solve cholesky_inverse polygamma", overlap=None),
    "vdot": Rule("vdot", dtype="dot", overlap=None),
    "inner": Rule("inner", dtype="tensordot", overlap=None),
    "qr": Rule("qr", dtype="same", overlap=None, pair=True),
    "svd": Rule("svd", dtype="same", overlap=None, pair=True, outputs=3),
}

# torch.special's functions (`minigrad.special` installs them): element-wise, any out the
# result can be cast to; round's out of the result's dtype, logsumexp's computed in it
SPECIAL_RULES: dict[str, Rule] = {
    **_rules(
        "airy_ai bessel_j0 bessel_j1 bessel_y0 bessel_y1 chebyshev_polynomial_t "
        "chebyshev_polynomial_u chebyshev_polynomial_v chebyshev_polynomial_w digamma entr "
        "erf erfc erfcx erfinv exp2 expit expm1 gammainc gammaincc gammaln "
        "hermite_polynomial_h hermite_polynomial_he i0 i0e i1 i1e laguerre_polynomial_l "
        "legendre_polynomial_p log1p log_ndtr logit modified_bessel_i0 modified_bessel_i1 "
        "modified_bessel_k0 modified_bessel_k1 multigammaln ndtr ndtri polygamma psi "
        "scaled_modified_bessel_k0 scaled_modified_bessel_k1 shifted_chebyshev_polynomial_t "
        "shifted_chebyshev_polynomial_u shifted_chebyshev_polynomial_v "
        "shifted_chebyshev_polynomial_w sinc spherical_bessel_j0 xlog1py xlogy zeta"
    ),
    "round": Rule("round", dtype="found"),
    "logsumexp": Rule("logsumexp", dtype="float_out"),
}


# ------------------------------------------------------------------ forms of one function
class _Call:
    """One call's arguments; bound to the function's own parameters when a rule asks."""

    def __init__(self, api: str, sig: inspect.Signature, args: tuple, kwargs: dict) -> None:
        self.api, self.sig, self.args, self.kwargs = api, sig, args, kwargs
        self._bound: inspect.BoundArguments | None = None

    @property
    def bound(self) -> inspect.BoundArguments:
        if self._bound is None:
            try:
                self._bound = self.sig.bind(*self.args, **self.kwargs)
            except TypeError as exc:
                raise TypeError(f"{self.api}(): {exc}") from None
        return self._bound

    def arg(self, i: int) -> Any:
        """The value of the i-th parameter; None when it was not passed."""
        names = list(self.sig.parameters)
        return self.bound.arguments.get(names[i]) if i < len(names) else None

    def inputs(self) -> list[Tensor]:
        """The tensors among the arguments, and in sequence arguments (cat's)."""
        found = []
        for a in (*self.args, *self.kwargs.values()):
            if isinstance(a, Tensor):
                found.append(a)
            elif isinstance(a, tuple | list):
                found.extend(t for t in a if isinstance(t, Tensor))
        return found

    def run(self, fn: Callable) -> Any:
        if self._bound is None:
            return fn(*self.args, **self.kwargs)
        return fn(*self._bound.args, **self._bound.kwargs)


def _max_form(rule: Rule, call: _Call) -> Rule:
    """max(input) reduces all (cast), max(input, other) is maximum, max(input, dim) gives
    (values, indices) of the input's dtype."""
    second = call.arg(1)
    if isinstance(second, Tensor):
        return Rule("maximum" if rule.name == "max" else "minimum")
    if second is None:
        return replace(rule, overlap=None)
    return replace(rule, dtype="same", pair=True)


def _clamp_form(rule: Rule, call: _Call) -> Rule:
    """Tensor bounds make clamp an elementwise op of three tensors (cast); number bounds
    keep the input's dtype ("found")."""
    bounds = (call.arg(1), call.arg(2))
    return replace(rule, dtype="cast") if any(isinstance(b, Tensor) for b in bounds) else rule


def _matmul_form(rule: Rule, call: _Call) -> Rule:
    """matmul of two vectors is dot, with dot's dtype message."""
    a, b = call.arg(0), call.arg(1)
    if isinstance(a, Tensor) and isinstance(b, Tensor) and a.ndim == 1 and b.ndim == 1:
        return replace(rule, dtype="dot")
    return rule


def _where_form(rule: Rule, call: _Call) -> Rule:
    if call.arg(1) is None or call.arg(2) is None:
        raise TypeError("where(): out= takes the form where(condition, input, other, *, out)")
    return rule


def _nonzero_form(rule: Rule, call: _Call) -> Rule:
    if call.arg(1):
        raise RuntimeError("nonzero does not support the out kwarg when as_tuple is True")
    return rule


def _median_form(rule: Rule, call: _Call) -> Rule:
    """median and nanmedian take out= only over a dim, as (values, indices)."""
    if call.arg(1) is None:
        raise TypeError(f'{call.api}() missing 1 required positional arguments: "dim"')
    return rule


_FORMS: dict[str, Callable[[Rule, _Call], Rule]] = {
    "nonzero": _nonzero_form,
    "median": _median_form,
    "nanmedian": _median_form,
    "max": _max_form,
    "min": _max_form,
    "clamp": _clamp_form,
    "clip": _clamp_form,
    "matmul": _matmul_form,
    "where": _where_form,
}


# ------------------------------------------------------------------ checks
def can_cast(src: Any, dst: Any) -> bool:
    """PyTorch's canCast: no complex into a real dtype, no floating point into an integer
    one, and nothing but bool into bool."""
    src, dst = np.dtype(src), np.dtype(dst)
    if src.kind == "c" and dst.kind != "c":
        return False
    if src.kind in "fc" and dst.kind in "iu":
        return False
    return not (src.kind != "b" and dst.kind == "b")


def _type_of(obj: Any) -> str:
    t = type(obj)
    return t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def _outs(api: str, rule: Rule, out: Any) -> tuple[Tensor, ...]:
    """`out` as a tuple of tensors, or PyTorch's TypeError."""
    if not rule.pair:
        if not isinstance(out, Tensor):
            raise TypeError(f"{api}(): argument 'out' must be Tensor, not {_type_of(out)}")
        return (out,)
    if not isinstance(out, tuple | list):
        what = "(values, indices)" if rule.outputs == 2 else "(one per result)"
        raise TypeError(
            f"{api}(): argument 'out' must be a tuple of {rule.outputs} Tensors {what}, "
            f"not {_type_of(out)}"
        )
    if len(out) != rule.outputs:
        raise TypeError(f"{api}(): expected tuple of {rule.outputs} elements but got {len(out)}")
    for i, t in enumerate(out):
        if not isinstance(t, Tensor):
            raise TypeError(
                f"{api}(): expected Tensor as element {i} in argument 'out', but got {_type_of(t)}"
            )
    return tuple(out)


def _check_grad(rule: Rule, inputs: list[Tensor], outs: tuple[Tensor, ...]) -> None:
    if rule.grad == "resize":
        if any(o.requires_grad for o in outs):
            raise RuntimeError("cannot resize variables that require grad")
        rule = replace(rule, grad="out")
    if rule.grad is None or not autograd.is_grad_enabled():
        return
    if any(o.requires_grad for o in outs) or (
        rule.grad == "any" and any(t.requires_grad for t in inputs)
    ):
        raise RuntimeError(
            f"{rule.name}(): functions with out=... arguments don't support automatic "
            "differentiation, but one of the arguments requires grad."
        )


def _address(arr: Any) -> int | None:
    if isinstance(arr, np.ndarray):
        return arr.__array_interface__["data"][0]
    if is_cupy_array(arr):
        return arr.data.ptr
    return None


def _extent(arr: Any) -> tuple[int, int] | None:
    """The byte range an array covers when its elements tile it without gaps or repeats
    (PyTorch's "non-overlapping and dense"); None otherwise or when empty (PyTorch does not
    check those)."""
    start = _address(arr)
    if start is None or arr.size == 0:
        return None
    size = arr.itemsize
    for stride, n in sorted(
        (abs(s), n) for s, n in zip(arr.strides, arr.shape, strict=True) if n > 1
    ):
        if stride != size:
            return None
        size *= n
    low = start + sum((n - 1) * s for s, n in zip(arr.strides, arr.shape, strict=True) if s < 0)
    return low, low + size


_OVERLAP = (
    "unsupported operation: some elements of the input tensor and the written-to tensor "
    "refer to a single memory location. Please clone() the tensor before performing the "
    "operation."
)


def _check_memory(rule: Rule, inputs: list[Tensor], outs: tuple[Tensor, ...]) -> None:
    """Refuse an out whose elements share memory (an expanded view), and, as PyTorch, an
    input that overlaps out's memory other than as the very same elements ("partial"),
    or at all ("any", cat and stack)."""
    for o in outs:
        arr = o._data
        if isinstance(arr, np.generic):
            continue  # a 0-d NumPy scalar, which `_write` makes an array of its own
        if not getattr(arr.flags, "writeable", True):
            if 0 in arr.strides and arr.size > 1:
                raise RuntimeError(
                    f"{rule.name}(): unsupported operation: more than one element of the "
                    "written-to tensor refers to a single memory location. Please clone() "
                    "the tensor before performing the operation."
                )
            raise RuntimeError(f"{rule.name}(): out (shape {o.shape}) is read-only")
    if rule.overlap is None:
        return
    if rule.overlap == "first":
        inputs = inputs[:1]
    xp = get_array_module(outs[0]._data)
    for o in outs:
        for k, t in enumerate(inputs):
            if device_of(t._data) != device_of(o._data):
                continue  # no shared memory; the device check names the mismatch
            if not xp.may_share_memory(o._data, t._data):  # a quick look at the bounds
                continue
            span, other = _extent(o._data), _extent(t._data)
            if span is None or other is None or other[1] <= span[0] or span[1] <= other[0]:
                continue
            same = other == span and t._data.strides == o._data.strides
            if rule.overlap == "any" or (rule.overlap == "self" and k > 0) or not same:
                raise RuntimeError(f"{rule.name}(): {_OVERLAP}")


def _prepare(api: str, rule: Rule, call: _Call, out: Tensor) -> bool:
    """Set the call's dtype: factories make out's dtype and reductions compute in it.
    Whether it was set."""
    kind = rule.dtype
    # computed on the input cast to out's float dtype (logsumexp): PyTorch takes the max
    # and exp in the input's dtype and sums in out's, so the two agree to that rounding
    if kind == "float_out":
        if out.dtype.kind != "f":
            raise RuntimeError(
                f"{rule.name}(): Expected floating point type for result tensor, but got: "
                f"{_type_name(out.dtype)}"
            )
        name = next(iter(call.sig.parameters))
        x = call.bound.arguments.get(name)
        if isinstance(x, Tensor) and x.dtype != out.dtype:
            call.bound.arguments[name] = x.to(out.dtype)
        return True
    if kind not in ("factory", "reduce", "mean", "nansum"):
        return False
    want = out.dtype
    asked = call.bound.arguments.get("dtype")
    if asked is not None:
        if kind == "factory" and np.dtype(asked) != want:
            raise RuntimeError(
                f"dtype {_type_name(asked)} does not match dtype of out parameter "
                f"({_type_name(want)})"
            )
        return False  # reductions: `_check_dtype` compares the result with out
    if rule.no_dtypes and want.kind in rule.no_dtypes:
        raise NotImplementedError(f"{api}(): not implemented for '{_type_name(want)}' outputs")
    if kind == "nansum":  # PyTorch's kernel runs in out's dtype on the float input as it is
        x = call.arg(0)
        if isinstance(x, Tensor) and x.dtype.kind in "fc" and want.kind in "biu":
            raise NotImplementedError(
                f"{api}(): not implemented for '{_type_name(want)}' outputs of a "
                f"{_type_name(x.dtype)} input"
            )
    if kind == "mean":
        x = call.arg(0)
        if not isinstance(x, Tensor) or x.dtype.kind not in "fc":
            return False  # mean itself says it needs a floating-point input
        if want.kind not in "fc":
            if call.arg(1) is None:
                raise RuntimeError(
                    "mean(): input types can't be cast to the desired output type "
                    f"{_type_name(want)}"
                )
            raise RuntimeError(
                f"result type {_type_name(x.dtype)} can't be cast to the desired output type "
                f"{_type_name(want)}"
            )
    call.bound.arguments["dtype"] = want
    return True


def _check_dtype(rule: Rule, got: Any, out: Tensor) -> None:
    """Whether a result of dtype `got` may be written into `out`, by the rule's kind."""
    want = out.dtype
    kind = rule.dtype
    if kind in ("cast", "cat", "factory", "ldexp"):
        if can_cast(got, want):
            return
        if kind == "ldexp":
            raise RuntimeError(f"ldexp can't be cast to the desired output type {_type_name(want)}")
        if kind == "cat":
            raise TypeError(
                f"{rule.name}(): input types can't be cast to the desired output type "
                f"{_type_name(want)}"
            )
        raise RuntimeError(
            f"result type {_type_name(got)} can't be cast to the desired output type "
            f"{_type_name(want)}"
        )
    if kind == "bool_out":  # any/all
        if want.kind == "b" or want == np.uint8:
            return
        raise RuntimeError(
            f"{rule.name} only supports bool tensor for result, got: {_type_name(want)}"
        )
    if got == want:
        return
    if kind == "found":
        msg = f"Found dtype {_type_name(want)} but expected {_type_name(got)}"
    elif kind == "dot":
        msg = f"result dtype {_type_name(want)} does not match input dtype {_type_name(got)}"
    elif kind == "amax":
        msg = (
            f"Expected the dtype for input and out to match, but got {_type_name(got)} for "
            f"input's dtype and {_type_name(want)} for out's dtype."
        )
    elif kind == "where":
        msg = f"Expected out type to be {_type_name(got)} but got {_type_name(want)}"
    elif kind == "long":
        msg = f"{rule.name} expects Long tensor out, got: {_type_name(want)}"
    elif kind == "self":
        msg = f"{rule.name}(): self and result must have the same scalar type"
    elif kind == "take":
        msg = (
            f"take(): self and out expected to have the same dtype, but got self.dtype = "
            f"{_type_name(got)} and out.dtype = {_type_name(want)}"
        )
    elif kind == "nonzero":
        # PyTorch's words, its missing space included
        msg = (
            "nonzero: Expected out tensor to have scalar type Long but got scalar type"
            f"{_type_name(want)}"
        )
    elif kind == "histogram":
        msg = (
            "torch.histogram: input tensor and hist tensor should have the same dtype, but got "
            f"input {cxx_name(got)} and hist {cxx_name(want)}"
        )
    elif kind == "quantile":  # PyTorch's words for nanquantile too
        msg = (
            "quantile() out tensor must be same dtype as the input tensor: out "
            f"{_type_name(want)}, input {_type_name(got)}"
        )
    elif kind == "tensordot":
        msg = (
            f"tensordot: Expected the output tensor to have dtype {_type_name(got)}, but got an "
            f"output tensor with dtype {_type_name(want)}"
        )
    elif kind == "scalar_type":
        msg = f"expected scalar_type {_type_name(got)} but found {_type_name(want)}"
    elif kind == "kthvalue":
        msg = "output values must be of same type as input"
    elif kind == "median":  # PyTorch's words for nanmedian too
        msg = (
            f"Expected tensor for 'values' to have the same type as tensor for argument #2 "
            f"'self'; but type {_legacy_name(want)} does not equal {_legacy_name(got)} "
            "(while checking arguments for median)"
        )
    elif kind == "frexp":
        msg = (
            f"torch.frexp() expects mantissa to have dtype {cxx_name(got)} but got {cxx_name(want)}"
        )
    elif kind == "float_power":
        msg = (
            f"the output given to float_power has dtype {_type_name(want)} but the operation's "
            f"result requires dtype {_type_name(got)}"
        )
    elif kind == "heaviside":
        msg = "heaviside is not yet implemented for tensors with different dtypes."
    elif kind == "input":
        msg = (
            f"{rule.name}: dtype of out: {_type_name(want)} should be same as input: "
            f"{_type_name(got)}"
        )
    else:  # "same", and reductions given both dtype= and out=
        msg = f"Expected out tensor to have dtype {cxx_name(got)}, but got {cxx_name(want)} instead"
    raise RuntimeError(msg)


def _legacy_name(dtype: Any) -> str:
    """PyTorch's old type name, as median's checks say it: torch.FloatTensor, CPUBoolType."""
    name = _type_name(dtype)
    if name in ("Double", "Float", "Half", "Long", "Int", "Short", "Char", "Byte"):
        return f"torch.{name}Tensor"
    return f"CPU{name}Type"


def _check_second(rule: Rule, got: Any, out: Tensor) -> None:
    """Whether the second result of a pair, of dtype `got`, may be written into `out`: the
    indices (int64), frexp's exponent (int32), aminmax's max (the input's dtype)."""
    want = out.dtype
    if got == want:
        return
    kind = rule.dtype
    if kind == "scalar_type":
        msg = f"expected scalar_type {_type_name(got)} but found {_type_name(want)}"
    elif kind == "kthvalue":
        msg = "output indices must be of scalar type Long"
    elif kind == "median":
        msg = (
            "Expected tensor for argument #1 'indices' to have scalar type Long; but got "
            f"{_legacy_name(want)} instead (while checking arguments for median)"
        )
    elif kind == "frexp":
        msg = f"torch.frexp() expects exponent to have int dtype but got {cxx_name(want)}"
    else:
        msg = f"Expected out tensor to have dtype {cxx_name(got)}, but got {cxx_name(want)} instead"
    raise RuntimeError(msg)


def _shape_text(shape: tuple) -> str:
    return "[" + ", ".join(str(n) for n in shape) + "]"


def _write(rule: Rule, result: Tensor, out: Tensor) -> None:
    """Copy result into out's memory, or into new memory of the result's shape (resized),
    and bump out's version counter."""
    arr = result._data
    data = out._data
    if device_of(arr) != device_of(data):
        raise RuntimeError(
            f"{rule.name}(): out is on {device_of(data)} but the result is on {device_of(arr)}"
        )
    xp = get_array_module(data)
    if not hasattr(data, "__setitem__"):  # a 0-d NumPy scalar (what ops on 0-d arrays give)
        data = out._data = xp.asarray(data).copy()
    if data.shape == arr.shape:
        data[...] = arr
    elif rule.resize in ("range", "steps") and data.size == arr.size:
        data[...] = arr.reshape(data.shape)  # PyTorch keeps out's shape here
    else:
        if data.size and rule.resize == "warn":
            warn_user(
                f"An output with one or more elements was resized since it had shape "
                f"{_shape_text(data.shape)}, which does not match the required output shape "
                f"{_shape_text(arr.shape)}. This behavior is deprecated, and in a future "
                "PyTorch release outputs will not be resized unless they have zero elements. "
                "You can explicitly reuse an out tensor t by resizing it, inplace, to zero "
                "elements with t.resize_(0).",
            )
        elif data.size and rule.resize == "range":
            warn_user(
                f"The number of elements in the out tensor of shape {_shape_text(data.shape)} "
                f"is {data.size} which does not match the computed number of elements "
                f"{arr.size}. Note that this may occur as a result of rounding error. The out "
                f"tensor will be resized to a tensor of shape ({arr.size},).",
            )
        out._data = xp.array(arr, dtype=data.dtype, copy=True)
    out._version += 1


# ------------------------------------------------------------------ the wrappers
def call_with_out(
    api: str, fn: Callable, rule: Rule, sig: inspect.Signature, args: tuple, kwargs: dict, out: Any
) -> Any:
    """fn(*args, **kwargs) written into `out` by `rule` (the module docstring's rules)."""
    call = _Call(api, sig, args, kwargs)
    form = _FORMS.get(api)
    if form is not None:
        rule = form(rule, call)
    outs = _outs(api, rule, out)
    inputs = call.inputs()
    _check_grad(rule, inputs, outs)
    _check_memory(rule, inputs, outs)
    factory = rule.dtype == "factory"
    if _prepare(api, rule, call, outs[0]):
        rule = replace(rule, dtype="cast")  # asked for out's dtype (cumsum gives int64 ints)
    with autograd.no_grad():
        result = call.run(fn)
    results = tuple(result) if rule.pair else (result,)
    if rule.dtype == "median":  # PyTorch's median checks the indices first
        _check_second(rule, results[1].dtype, outs[1])
    _check_dtype(rule, results[0].dtype, outs[0])
    for r, o in zip(results[1:], outs[1:], strict=True):
        _check_second(rule, r.dtype, o)
    for r, o in zip(results, outs, strict=True):
        _write(rule, r, o)
    if factory and call.bound.arguments.get("requires_grad"):
        outs[0].requires_grad = True
    return type(result)(*outs) if rule.pair else out


def _generic(api: str, fn: Callable, rule: Rule, sig: inspect.Signature) -> Callable:
    """A wrapper that passes the call on as it came, so `_Call` sees which arguments were
    given (factories: whether dtype was)."""

    def wrapper(*args: Any, out: Any = None, **kwargs: Any) -> Any:
        if out is None:
            return fn(*args, **kwargs)
        return call_with_out(api, fn, rule, sig, args, kwargs, out)

    return wrapper


def _exact(api: str, fn: Callable, rule: Rule, sig: inspect.Signature) -> Callable:
    """A wrapper with fn's own parameters plus `out`, written out as source, so that a call
    without out is one plain call: packing *args/**kwargs and calling through them, as
    `_generic` does, costs about 150 ns (5% of `mg.add` on small tensors), this under
    100 ns. Its own names start with `_mg_`, apart from fn's parameters."""
    ns: dict[str, Any] = {"_mg_fn": fn, "_mg_call": call_with_out, "_mg_rule": rule, "_mg_sig": sig}
    ns["__name__"] = __name__  # the wrapper is minigrad's own frame (errors.warn_user skips it)
    head: list[str] = []  # the def's parameters
    positional: list[str] = []
    keyword: list[str] = []
    star = kwstar = None
    for i, p in enumerate(sig.parameters.values()):
        default = ""
        if p.default is not p.empty:
            ns[f"_mg_default{i}"] = p.default
            default = f"=_mg_default{i}"
        if p.kind is p.VAR_POSITIONAL:
            star = p.name
            head.append(f"*{star}")
        elif p.kind is p.VAR_KEYWORD:
            kwstar = p.name
        elif p.kind is p.KEYWORD_ONLY:
            keyword.append(p.name)
            head.append(p.name + default)
        else:
            positional.append(p.name)
            head.append(p.name + default)
            if p.kind is p.POSITIONAL_ONLY:
                posonly = len(head)
    if any(p.kind is p.POSITIONAL_ONLY for p in sig.parameters.values()):
        head.insert(posonly, "/")
    if star is None:
        head.insert(len(head) - len(keyword), "*")
    head.append("out=None")
    plain = positional + [f"{k}={k}" for k in keyword]
    as_tuple = "".join(f"{n}, " for n in positional)
    as_dict = ", ".join(f"{k!r}: {k}" for k in keyword)
    if star:
        as_tuple += f"*{star}"
    if kwstar:
        head.append(f"**{kwstar}")
        as_dict += f", **{kwstar}" if as_dict else f"**{kwstar}"
    lines = [f"def {api}({', '.join(head)}):", "    if out is None:"]
    if star or kwstar:
        spread = positional + [f"*{star}"] * bool(star) + plain[len(positional) :]
        spread += [f"**{kwstar}"] * bool(kwstar)
        lines += [
            f"        if {' or '.join(n for n in (star, kwstar) if n)}:",
            f"            return _mg_fn({', '.join(spread)})",
        ]
    lines += [
        f"        return _mg_fn({', '.join(plain)})",
        f"    return _mg_call({api!r}, _mg_fn, _mg_rule, _mg_sig, ({as_tuple}), {{{as_dict}}},"
        " out)",
    ]
    exec("\n".join(lines), ns)  # noqa: S102 - source built above from fn's own signature
    return ns[api]


def install(
    namespace: dict, names: tuple[str, ...] | None = None, rules: dict[str, Rule] | None = None
) -> None:
    """Give each function of `namespace` named in `rules` (`RULES` and `LINALG_RULES` by
    default; and in `names`, where given) PyTorch's `out=` keyword. Names of one function
    (arcsin and asin) get one wrapper, so they stay one object."""
    done: dict[int, Callable] = {}
    for api, rule in ({**RULES, **LINALG_RULES} if rules is None else rules).items():
        if names is not None and api not in names:
            continue
        fn = namespace.get(api)
        if not callable(fn):
            continue
        if id(fn) not in done:
            sig = inspect.signature(fn)
            build = _generic if rule.dtype == "factory" else _exact
            wrapper = functools.wraps(fn)(build(api, fn, rule, sig))
            params = list(sig.parameters.values())
            at = len(params) - bool(params and params[-1].kind is params[-1].VAR_KEYWORD)
            out = inspect.Parameter("out", inspect.Parameter.KEYWORD_ONLY, default=None)
            wrapper.__signature__ = sig.replace(parameters=[*params[:at], out, *params[at:]])
            # found by pickle (and shown) under the name it has here
            wrapper.__module__, wrapper.__qualname__ = namespace.get("__name__"), api
            done[id(fn)] = wrapper
        namespace[api] = done[id(fn)]
