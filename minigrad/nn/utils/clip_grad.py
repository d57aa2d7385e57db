"""Gradient clipping with PyTorch's semantics: `clip_grad_norm_` scales every gradient by
min(1, max_norm / (total_norm + 1e-6)), `clip_grad_value_` clamps each element.

Both change the gradients' arrays in place (the `.grad` Tensors stay the same objects, and
a gradient that is a view of a larger buffer updates the buffer) and skip parameters
without a gradient. A gradient that cannot be written (a NumPy scalar from a 0-d op, a
read-only broadcast view) or shares memory with one before it gets an array of its own
first.
"""

from __future__ import annotations

import heapq
import math
import types
import warnings
from collections.abc import Iterable

import numpy as np

from ...backend import Array, get_array_module, to_device
from ...ops.reduce import float16_widened
from ...tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_", "get_total_norm"]


def _grads(parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    if isinstance(parameters, Tensor):
        return [] if parameters.grad is None else [parameters.grad]
    is_generator = isinstance(parameters, types.GeneratorType)
    parameters = list(parameters)
    if is_generator and not parameters:
        warnings.warn(
            "`parameters` is an empty generator, no gradient clipping will occur.",
            UserWarning,
            stacklevel=3,
        )
    return [p.grad for p in parameters if p.grad is not None]


def _span(a: Array) -> tuple[int, int]:
    """The byte range [lo, hi) that the elements of `a` (a NumPy or CuPy array) lie in."""
    ptr = a.data.ptr if hasattr(a.data, "ptr") else a.__array_interface__["data"][0]
    if a.size == 0:
        return ptr, ptr
    lo = hi = ptr
    for n, step in zip(a.shape, a.strides):  # noqa: B905 - one length
        if step > 0:
            hi += step * (n - 1)
        else:
            lo += step * (n - 1)
    return lo, hi + a.itemsize


def _writable(grads: list[Tensor]) -> list[tuple[Tensor, Array]]:
    """Each distinct gradient Tensor with its array, ready to be written in place once.

    A gradient is written where it lies, as PyTorch's in-place ops do: one that is a view
    of a larger buffer (a flat gradient buffer) updates the buffer. It gets an array of its
    own first only when it cannot be written or shares memory with a gradient listed
    before it (each is then scaled once)."""
    out, seen_tensors = [], set()
    by_owner: dict[int, list[int]] = {}  # positions in `out` of the views of one array
    for g in grads:
        if id(g) in seen_tensors:  # create_graph can give two parameters one grad Tensor
            continue
        seen_tensors.add(id(g))
        a = g._data
        if hasattr(a, "__setitem__") and getattr(a.flags, "writeable", True):
            by_owner.setdefault(id(a if a.base is None else a.base), []).append(len(out))
        else:  # a NumPy scalar from a 0-d op, a read-only view
            a = g._data = get_array_module(a).array(a, copy=True)
        out.append((g, a))
    for views in by_owner.values():
        for i in _sharing_later(views, out) if len(views) > 1 else ():
            g, a = out[i]
            out[i] = (g, get_array_module(a).array(a, copy=True))
            g._data = out[i][1]
    return out


def _sharing_later(views: list[int], out: list[tuple[Tensor, Array]]) -> set[int]:
    """Of the views of one array (positions in `out`), those that share memory with one
    listed before them that stays in place (such a view is then copied). Their byte
    ranges are swept in order, so that the views of a flat buffer, disjoint, cost a sort
    and no pairwise test; only views whose ranges meet are asked whether they share
    memory (strided views can interleave without sharing)."""
    spans = sorted((*_span(out[i][1]), i) for i in views)
    earlier: dict[int, list[int]] = {}  # a view -> the views listed before it it shares with
    active: list[tuple[int, int]] = []  # (end, position) of the ranges still open
    for lo, hi, i in spans:
        while active and active[0][0] <= lo:
            heapq.heappop(active)
        a = out[i][1]
        shares = get_array_module(a).shares_memory
        for _, j in active:
            if shares(a, out[j][1]):
                earlier.setdefault(max(i, j), []).append(min(i, j))
        heapq.heappush(active, (hi, i))
    copied: set[int] = set()
    for i in sorted(earlier):  # in listing order: one sharing only copied views stays
        if any(j not in copied for j in earlier[i]):
            copied.add(i)
    return copied


def _vector_norm(a: Array, p: float) -> Array:
    """The p-norm of `a` flattened, as a 0-d array of its dtype (torch.linalg.vector_norm,
    which sums a float16 gradient's powers in float32 and rounds only the norm). A complex
    `a`'s norm is its magnitudes' norm, a real number of the matching real dtype."""
    xp = get_array_module(a)
    a = xp.asarray(a)
    if a.dtype.kind == "c":
        a = xp.abs(a)
    dtype = a.dtype
    a = float16_widened(a)
    if p in (math.inf, -math.inf):
        if a.size == 0:
            raise RuntimeError(
                f"clip_grad_norm_: the {p} norm of an empty gradient is undefined (no identity)"
            )
        r = xp.abs(a).max() if p > 0 else xp.abs(a).min()
    elif p == 0:
        r = xp.count_nonzero(a)
    elif p == 1:
        r = xp.abs(a).sum()
    elif p == 2:
        r = xp.sqrt((a * a).sum())
    else:
        r = (xp.abs(a) ** p).sum() ** (1 / p)
    return xp.asarray(r, dtype=dtype)


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """Scale the gradients so that their total `norm_type`-norm (the norm of all of them
    as one vector; `float('inf')` for the largest magnitude) is at most about `max_norm`.
    Returns the total norm before clipping as a 0-d Tensor. `foreach` is accepted for
    PyTorch compatibility and changes nothing."""
    grads = _grads(parameters)
    if not grads:
        return Tensor(0.0)
    # as PyTorch 2.13 composes it: the total norm, then every gradient scaled by it
    total = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    _scale(grads, float(max_norm), total._data)
    return total


def clip_grad_norm(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """PyTorch's deprecated name for `clip_grad_norm_`, with its FutureWarning."""
    from ...errors import warn_user

    warn_user(
        "`minigrad.nn.utils.clip_grad_norm` is deprecated in favor of "
        "`minigrad.nn.utils.clip_grad_norm_`, as in PyTorch",
        FutureWarning,
    )
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def get_total_norm(
    tensors: Tensor | Iterable[Tensor],
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """The `norm_type`-norm of all `tensors` (usually gradients) as one vector, a 0-d Tensor
    on the first one's device (0.0 for none), as PyTorch's; with `error_if_nonfinite` an
    inf or NaN norm raises. `foreach` is accepted for PyTorch compatibility."""
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return Tensor(0.0)
    device = tensors[0].device
    xp = get_array_module(tensors[0]._data)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        norms = [to_device(_vector_norm(t._data, norm_type), device) for t in tensors]
        dtype = xp.result_type(*norms)
        total = _vector_norm(xp.stack([n.astype(dtype) for n in norms]), norm_type)
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the "
            "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    return Tensor(total)


def clip_grads_with_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    total_norm: Tensor,
    foreach: bool | None = None,
) -> None:
    """Scale the gradients by min(1, max_norm / (total_norm + 1e-6)), in `total_norm`'s
    dtype, as PyTorch's; `total_norm` is a Tensor, usually from `get_total_norm`. `foreach`
    is accepted for PyTorch compatibility."""
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    grads = [p.grad for p in params if p.grad is not None]
    max_norm = float(max_norm)
    if not grads:
        return
    if not isinstance(total_norm, Tensor):  # PyTorch's clamp of a plain number fails
        raise TypeError(
            "clip_grads_with_norm_: total_norm must be a Tensor (as get_total_norm returns), "
            f"got {type(total_norm).__name__}"
        )
    _scale(grads, max_norm, total_norm._data)


def _scale(grads: list[Tensor], max_norm: float, total: Array) -> None:
    """Each gradient times min(1, max_norm / (total + 1e-6)), in place, the factor in the
    norm's dtype and applied even when it is 1 (PyTorch's arithmetic)."""
    xp = get_array_module(total)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        coef = xp.minimum(xp.asarray(max_norm / (total + 1e-6), dtype=total.dtype), 1.0)
        for g, a in _writable(grads):
            a *= to_device(coef, g.device).astype(a.dtype)
            g._version += 1


def clip_grad_value_(
    parameters: Tensor | Iterable[Tensor], clip_value: float, foreach: bool | None = None
) -> None:
    """Clamp every gradient element into [-clip_value, clip_value] (NaN stays NaN).
    `foreach` is accepted for PyTorch compatibility and changes nothing."""
    clip_value = float(clip_value)
    grads = _grads(parameters)
    for g in grads:  # before any is clamped, as PyTorch refuses them
        if g._data.dtype.kind == "c":
            raise NotImplementedError(
                f"clip_grad_value_: clamp is not supported for complex types (a gradient of "
                f"dtype {g.dtype} and shape {tuple(g.shape)})"
            )
    for g, a in _writable(grads):
        get_array_module(a).clip(a, -clip_value, clip_value, out=a)
        g._version += 1
