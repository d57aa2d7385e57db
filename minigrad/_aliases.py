"""Keyword names that PyTorch's functions and tensor methods take where minigrad's own
parameters are named otherwise.

- NumPy's `axis=` for `dim=` and `keepdims=` for `keepdim=` (`torch.sum(x, axis=0,
  keepdims=True)`, `x.cumprod(axis=0)`, `torch.cat(ts, axis=1)`), on every top-level
  function and Tensor method with a `dim` (or `keepdim`) parameter, no `axis` of its own and
  no `**kwargs` (those read the aliases themselves).
- PyTorch's names for a function's tensor arguments, which its argument parser takes as
  keywords (`torch.sum(input=x, dim=1)`, `torch.maximum(x, other=y)`, `torch.mm(a,
  mat2=b)`): `input` for a first parameter that minigrad calls `x`, `a`, `A`, `t` or
  `self`, and `other` (or the name in SECOND) for a second one called `b` or `y`; for the
  top-level functions and those of `minigrad.linalg` and `minigrad.special`.

`install(namespace, Tensor)` wraps each such function in place. The wrapper only renames
the keyword; a call without it goes straight through (one extra Python call). Both names at
once raise TypeError, as PyTorch's argument parser does. `nn.functional` is left alone: its
functions carry PyTorch's names themselves.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

ALIASES = {"axis": "dim", "keepdims": "keepdim"}

# minigrad's names for a tensor argument that PyTorch calls `input` (first) or `other`
FIRST_NAMES = ("x", "a", "A", "L", "B", "b", "start", "t", "self")
SECOND_NAMES = ("b", "y")
# PyTorch's name for the second argument where it is not `other`, and the functions whose
# own names are PyTorch's (torch.tensordot(a, b), torch.linalg.vecdot(x, y))
SECOND = {"mm": "mat2", "bmm": "mat2", "spmm": "mat2", "dot": "tensor", "ger": "vec2"}
SECOND.update(outer="vec2")
KEEP_NAMES = ("tensordot", "vecdot")
# more of PyTorch's names, by function: its name -> minigrad's
EXTRA = {
    "where": {"condition": "cond", "input": "a", "other": "b"},
    "split": {"tensor": "x"},
    "swapaxes": {"axis0": "dim0", "axis1": "dim1"},
    "tensor_split": {"sections": "indices_or_sections", "indices": "indices_or_sections"},
    "lstsq": {"b": "B"},
    "tensorsolve": {"other": "B"},
    "cholesky_solve": {"input2": "L"},
    "mv": {"vec": "v"},
    "polygamma": {"input": "x"},
}


def _accepted(fn: Callable, api: str, names_too: bool) -> dict[str, tuple[str, int]] | None:
    """The aliases fn should take (alias -> (name, its position, -1 when keyword-only)),
    or None when it needs none. `names_too`: PyTorch's names for the tensor arguments as
    well as NumPy's aliases."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return None
    names = [p.name for p in params]

    def position(name: str) -> int:
        p = params[names.index(name)]
        return names.index(name) if p.kind <= inspect.Parameter.POSITIONAL_OR_KEYWORD else -1

    found = {}
    if not any(p.kind is p.VAR_KEYWORD for p in params):
        for alias, real in ALIASES.items():
            if real in names and alias not in names:
                found[alias] = (real, position(real))
        if "axis" not in found:
            found = {}
    if not names_too or api in KEEP_NAMES:
        return found or None
    kinds = [p.kind for p in params]
    if params and kinds[0] is inspect.Parameter.POSITIONAL_OR_KEYWORD:
        if names[0] in FIRST_NAMES and "input" not in names:
            found["input"] = (names[0], 0)
        if len(params) > 1 and kinds[1] is inspect.Parameter.POSITIONAL_OR_KEYWORD:
            second = SECOND.get(api, "other")
            if names[1] in SECOND_NAMES and second not in names:
                found[second] = (names[1], 1)
    for alias, real in EXTRA.get(api, {}).items():
        if real in names and alias not in names:
            found[alias] = (real, position(real))
    return found or None


def _wrap(
    fn: Callable, aliases: dict[str, tuple[str, int]], name: str, module: str | None = None
) -> Callable:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if kwargs:
            for alias, (real, at) in aliases.items():
                if alias in kwargs:
                    if real in kwargs or 0 <= at < len(args):
                        raise TypeError(f"{name}() got both '{real}' and its alias '{alias}'")
                    kwargs[real] = kwargs.pop(alias)
        return fn(*args, **kwargs)

    wrapper._numpy_aliases = True  # type: ignore[attr-defined]
    if module is not None:  # found (and pickled) under the name it has there
        wrapper.__module__, wrapper.__qualname__ = module, name
    return wrapper


def install(namespace: dict, tensor_cls: type | None = None) -> None:
    """Wrap the functions of `namespace` (those in its `__all__` where it has one) and the
    methods of `tensor_cls`, in place."""
    done: dict[tuple[int, str], Callable] = {}  # (fn, its aliases): names of one function
    # (asin and arcsin) with the same aliases get one wrapper, so they stay one object
    public = namespace.get("__all__")
    for api, fn in list(namespace.items()):
        if public is not None and api not in public:
            continue
        if api.startswith("_") or not inspect.isfunction(inspect.unwrap(fn)):
            continue
        if getattr(fn, "_numpy_aliases", False):
            continue
        aliases = _accepted(fn, api, names_too=True)
        if aliases is None:
            continue
        key = (id(fn), repr(sorted(aliases.items())))
        if key not in done:
            done[key] = _wrap(fn, aliases, api, namespace.get("__name__"))
        namespace[api] = done[key]
    if tensor_cls is None:
        return
    for api, fn in list(vars(tensor_cls).items()):
        if api.startswith("_") or not inspect.isfunction(fn):
            continue
        if getattr(fn, "_numpy_aliases", False):
            continue
        aliases = _accepted(fn, api, names_too=False)
        if aliases is not None:
            setattr(tensor_cls, api, _wrap(fn, aliases, api))
