"""`functional_call`: run a module with some parameters and buffers replaced, for one
call, by the tensors of a dict, as `torch.nn.utils.stateless` / `torch.func`."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ...tensor import Tensor
from ..module import Module

__all__ = ["functional_call"]


def _untie_named_tensors_map(
    module: Module, parameters_and_buffers: dict[str, Tensor]
) -> dict[str, Tensor]:
    """Extend the dict to every name of a tied tensor one of whose names it gives; two
    different values for names of one tensor are a ValueError."""
    all_named: dict[str, Tensor] = {}
    all_named.update(module.named_parameters(remove_duplicate=False))
    all_named.update(module.named_buffers(remove_duplicate=False))
    by_tensor: dict[int, set[str]] = {}
    for name, tensor in all_named.items():
        by_tensor.setdefault(id(tensor), set()).add(name)
    tied: dict[str, set[str]] = {}
    for names in by_tensor.values():
        if len(names) > 1:
            for name in names:
                tied[name] = names
    given = set(parameters_and_buffers)
    given_tied = {name for name in given if name in tied}
    for name in given_tied:
        names = tied[name]
        values = {id(parameters_and_buffers[n]) for n in names if n in parameters_and_buffers}
        if len(names & given_tied) > 1 and len(values) != 1:
            raise ValueError(
                f"functional_call got multiple values for keys {sorted(names)}, which are "
                "tied. Consider using tie_weights=False"
            )
    out = dict(parameters_and_buffers)
    for name in given_tied:
        for other in tied[name]:
            out[other] = parameters_and_buffers[name]
    return out


_MISSING = object()  # what _swap returns for a name the module did not have


def _swap(module: Module, name: str, value: Any) -> Any:
    """Put `value` at dotted `name` (in place of a parameter or buffer, or through
    setattr), returning what was there."""
    path, _, attr = name.rpartition(".")
    owner = module.get_submodule(path)
    if value is _MISSING:  # restoring a name the call added (wherever setattr filed it)
        delattr(owner, attr)
        return None
    for store in (owner._parameters, owner._buffers):
        if attr in store:
            old, store[attr] = store[attr], value
            return old
    old = getattr(owner, attr, _MISSING)  # an extra key (strict=False) is set for the call
    if old is not _MISSING and not isinstance(old, Tensor):
        raise TypeError(
            f"functional_call: {name!r} of {type(owner).__name__} is a "
            f"{type(old).__name__}, not a parameter, buffer or tensor; it cannot be replaced "
            "for the call"
        )
    setattr(owner, attr, value)
    return old


def _current(module: Module, name: str) -> Any:
    """What dotted `name` holds now (a parameter, buffer or attribute), or _MISSING."""
    path, _, attr = name.rpartition(".")
    try:
        owner = module.get_submodule(path)
    except AttributeError:  # the forward removed the submodule
        return _MISSING
    for store in (owner._parameters, owner._buffers):
        if attr in store:
            return store[attr]
    return getattr(owner, attr, _MISSING)


@contextmanager
def _reparametrize_module(
    module: Module,
    parameters_and_buffers: dict[str, Tensor],
    tie_weights: bool = False,
    strict: bool = False,
) -> Iterator[None]:
    untied = (
        _untie_named_tensors_map(module, parameters_and_buffers)
        if tie_weights
        else parameters_and_buffers
    )
    if strict:
        valid = {n for n, _ in module.named_parameters(remove_duplicate=False)}
        valid |= {n for n, _ in module.named_buffers(remove_duplicate=False)}
        missing, unexpected = sorted(valid - set(untied)), sorted(set(untied) - valid)
        msgs = []
        if unexpected:
            msgs.append(f"Unexpected key(s): {', '.join(map(repr, unexpected))}.")
        if missing:
            msgs.append(f"Missing key(s): {', '.join(map(repr, missing))}.")
        if msgs:
            raise RuntimeError(
                f"Error(s) in reparametrizing for {type(module).__name__}:\n\t" + "\n\t".join(msgs)
            )
    originals: dict[str, Any] = {}
    try:
        for name, value in untied.items():
            originals[name] = _swap(module, name, value)
        yield
    finally:
        # what the call left (a buffer the forward reassigned: `self.avg = 0.9 * self.avg
        # + x`) goes back into the caller's dict, as PyTorch's; read before restoring, as
        # two names may be one slot (a submodule registered twice)
        final = {n: _current(module, n) for n in parameters_and_buffers if n in originals}
        for name, value in reversed(originals.items()):
            _swap(module, name, value)
        parameters_and_buffers.update((n, v) for n, v in final.items() if v is not _MISSING)


def _functional_call(
    module: Module,
    parameters_and_buffers: dict[str, Tensor],
    args: Any = None,
    kwargs: dict[str, Any] | None = None,
    *,
    tie_weights: bool = True,
    strict: bool = False,
) -> Any:
    from ..parallel import DataParallel

    if isinstance(module, DataParallel):
        raise RuntimeError("The stateless API can't be used with nn.DataParallel module")
    kwargs = {} if kwargs is None else kwargs
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    with _reparametrize_module(
        module, parameters_and_buffers, tie_weights=tie_weights, strict=strict
    ):
        return module(*args, **kwargs)


def functional_call(
    module: Module,
    parameters_and_buffers: dict[str, Tensor],
    args: Any = None,
    kwargs: dict[str, Any] | None = None,
    *,
    tie_weights: bool = True,
    strict: bool = False,
) -> Any:
    """`module(*args, **kwargs)` with the named parameters and buffers replaced by the
    dict's tensors for this call only (gradients flow to the dict's tensors). Deprecated
    as PyTorch's, in favour of `minigrad.func.functional_call`."""
    warnings.warn(
        "`torch.nn.utils.stateless.functional_call` is deprecated as of PyTorch 2.0 and will "
        "be removed in a future version of PyTorch. Please use `torch.func.functional_call` "
        "instead which is a drop-in replacement.",
        FutureWarning,
        stacklevel=2,
    )
    return _functional_call(
        module, parameters_and_buffers, args, kwargs, tie_weights=tie_weights, strict=strict
    )
