"""NumPy's keyword names that PyTorch's functions and tensor methods also take: `axis=`
for `dim=` and `keepdims=` for `keepdim=` (`torch.sum(x, axis=0, keepdims=True)`,
`x.cumprod(axis=0)`, `torch.cat(ts, axis=1)`).

`install(namespace, Tensor)` wraps every top-level function and Tensor method whose
signature has a `dim` (or `keepdim`) parameter, no `axis` of its own and no `**kwargs`
(those read the aliases themselves). The wrapper only
renames the keyword; a call without it goes straight through (one extra Python call). Both
names at once raise TypeError, as PyTorch's argument parser does. `nn.functional` is left
alone: PyTorch's Python functions there take `dim` only.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

ALIASES = {"axis": "dim", "keepdims": "keepdim"}


def _accepted(fn: Callable) -> dict[str, tuple[str, int]] | None:
    """The aliases fn should take (alias -> (name, its position)), or None when it needs
    no wrapper: no `dim`, an `axis` of its own, or `**kwargs` (Tensor.sum and the other
    reductions read `axis` and `keepdims` there themselves)."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return None
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return None
    names = [p.name for p in params]
    found = {}
    for alias, real in ALIASES.items():
        if real in names and alias not in names:
            at = names.index(real)  # its position, when it can be passed by position
            positional = params[at].kind <= inspect.Parameter.POSITIONAL_OR_KEYWORD
            found[alias] = (real, at if positional else -1)
    return found if "axis" in found else None


def _wrap(fn: Callable, aliases: dict[str, tuple[str, int]], name: str) -> Callable:
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
    return wrapper


def install(namespace: dict, tensor_cls: type) -> None:
    """Wrap the functions of `namespace` and the methods of `tensor_cls` (in place)."""
    done: dict[int, Callable] = {}
    for api, fn in list(namespace.items()):
        if api.startswith("_") or not inspect.isfunction(inspect.unwrap(fn)):
            continue
        if getattr(fn, "_numpy_aliases", False):
            continue
        if id(fn) not in done:
            aliases = _accepted(fn)
            if aliases is None:
                continue
            done[id(fn)] = _wrap(fn, aliases, api)
        namespace[api] = done[id(fn)]
    for api, fn in list(vars(tensor_cls).items()):
        if api.startswith("_") or not inspect.isfunction(fn):
            continue
        if getattr(fn, "_numpy_aliases", False):
            continue
        if id(fn) in done:
            setattr(tensor_cls, api, done[id(fn)])
            continue
        aliases = _accepted(fn)
        if aliases is not None:
            done[id(fn)] = _wrap(fn, aliases, api)
            setattr(tensor_cls, api, done[id(fn)])
