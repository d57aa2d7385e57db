"""PyTorch's `torch._foreach_*` ops: one op applied to every tensor of a list.

PyTorch fuses them into a few kernels for speed; here each is a plain loop over the
list calling the tensor's own op, so the values, dtypes, in-place rules and gradients are
exactly those of the single-tensor op. Code such as an EMA of a generator's weights
(`torch._foreach_lerp_(ema_params, params, 1 - decay)`) runs unchanged.

The forms follow PyTorch's: the out-of-place op returns a tuple of new tensors, the
in-place one (trailing `_`) changes the tensors and returns the list it was given. The
second operand of a binary op is a number, a tensor (the same for every element), a
list of numbers or a list of tensors, one per element.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .tensor import Tensor

_UNARY = (
    "abs acos asin atan ceil cos cosh erf erfc exp expm1 floor frac lgamma log log10 "
    "log1p log2 neg reciprocal round rsqrt sigmoid sign sin sinh sqrt tan tanh trunc"
).split()
_BINARY = "add sub mul div pow clamp_max clamp_min maximum minimum".split()
_TERNARY = "addcmul addcdiv lerp".split()


def _per_item(name: str, tensors: Sequence[Tensor], other: Any) -> list[Any]:
    """`other` spread over the list: a list gives one item per tensor (of the same
    length, as PyTorch checks), anything else is shared."""
    n = len(tensors)
    if isinstance(other, list | tuple):
        if len(other) != n:
            kind = "scalar" if all(not isinstance(o, Tensor) for o in other) else "Tensor"
            raise RuntimeError(
                f"_foreach_{name}: Tensor list must have same number of elements as {kind} "
                f"list ({n} and {len(other)})"
            )
        return list(other)
    return [other] * n


def _unary(name: str, inplace: bool) -> Callable[..., Any]:
    method = name + "_" if inplace else name

    def op(self: Sequence[Tensor]) -> Any:
        out = [getattr(t, method)() for t in self]
        return self if inplace else tuple(out)

    op.__name__ = f"_foreach_{method}"
    op.__doc__ = f"`t.{method}()` for every tensor t of the list."
    return op


def _binary(name: str, inplace: bool) -> Callable[..., Any]:
    method = name + "_" if inplace and name not in ("maximum", "minimum") else name

    def op(self: Sequence[Tensor], other: Any, **kw: Any) -> Any:
        if name == "pow" and not isinstance(self, list | tuple):  # _foreach_pow(2.0, ts)
            return tuple(self**t for t in other)
        others = _per_item(name, self, other)
        if inplace and name in ("maximum", "minimum"):  # no Tensor.maximum_: copy back
            for t, o in zip(self, others, strict=True):
                t.copy_(getattr(t, name)(o))
            return self
        out = [getattr(t, method)(o, **kw) for t, o in zip(self, others, strict=True)]
        return self if inplace else tuple(out)

    op.__name__ = f"_foreach_{name}{'_' if inplace else ''}"
    op.__doc__ = f"`t.{method}(o)` for every tensor t of the list and its operand o."
    return op


def _ternary(name: str, inplace: bool) -> Callable[..., Any]:
    method = name + "_" if inplace else name

    def op(self: Sequence[Tensor], first: Sequence[Tensor], *rest: Any, **kw: Any) -> Any:
        if name == "lerp":  # lerp(self, ends, weight): weight a number, list or tensors
            (weight,) = rest or (kw.pop("weight"),)
            pairs = zip(self, first, _per_item(name, self, weight), strict=True)
            out = [getattr(t, method)(e, w) for t, e, w in pairs]
        else:  # addcmul/addcdiv(self, t1, t2, value=1 | list of values)
            (second, *value) = rest
            scale = value[0] if value else kw.pop("value", 1)
            if isinstance(scale, Tensor):  # PyTorch's `scalars` tensor: one value per item
                scale = scale.tolist()
            items = zip(self, first, second, _per_item(name, self, scale), strict=True)
            out = [getattr(t, method)(a, b, value=v) for t, a, b, v in items]
        return self if inplace else tuple(out)

    op.__name__ = f"_foreach_{method}"
    op.__doc__ = f"`t.{method}(...)` for every tensor t of the list."
    return op


def _foreach_norm(self: Sequence[Tensor], ord: Any = 2, dtype: Any = None) -> tuple:  # noqa: A002
    """The `ord`-norm of each tensor, as 0-d tensors."""
    return tuple((t if dtype is None else t.to(dtype)).norm(ord) for t in self)


def _foreach_max(self: Sequence[Tensor]) -> tuple:
    """The largest element of each tensor, as 0-d tensors."""
    return tuple(t.max() for t in self)


def _foreach_copy_(self: Sequence[Tensor], src: Sequence[Tensor], non_blocking: bool = False):
    """`t.copy_(s)` for each pair."""
    for t, s in zip(self, _per_item("copy_", self, src), strict=True):
        t.copy_(s)
    return self


def _foreach_zero_(self: Sequence[Tensor]) -> Sequence[Tensor]:
    """`t.zero_()` for each tensor."""
    for t in self:
        t.zero_()
    return self


def _foreach_clone(self: Sequence[Tensor]) -> tuple:
    return tuple(t.clone() for t in self)


def _foreach_mm(self: Sequence[Tensor], mat2: Sequence[Tensor]) -> tuple:
    return tuple(a @ b for a, b in zip(self, _per_item("mm", self, mat2), strict=True))


OPS: dict[str, Callable[..., Any]] = {
    "_foreach_norm": _foreach_norm,
    "_foreach_max": _foreach_max,
    "_foreach_copy_": _foreach_copy_,
    "_foreach_zero_": _foreach_zero_,
    "_foreach_clone": _foreach_clone,
    "_foreach_mm": _foreach_mm,
}
for _name in _UNARY:
    OPS[f"_foreach_{_name}"] = _unary(_name, False)
    OPS[f"_foreach_{_name}_"] = _unary(_name, True)
for _name in _BINARY:
    OPS[f"_foreach_{_name}"] = _binary(_name, False)
    OPS[f"_foreach_{_name}_"] = _binary(_name, True)
for _name in _TERNARY:
    OPS[f"_foreach_{_name}"] = _ternary(_name, False)
    OPS[f"_foreach_{_name}_"] = _ternary(_name, True)
