"""unflatten: one dim split into several, a reshape with PyTorch's checks and errors; and
`fresh_view`, the public form of a view op."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from ..tensor import Tensor
from .shape import reshape


def fresh_view(op: Callable[..., Tensor]) -> Callable[..., Tensor]:
    """`op` (reshape, permute, squeeze, ...) as `mg.<op>`: where it changes nothing it
    gives `x[...]`, a new tensor sharing x's memory, as PyTorch's view ops do, instead of x
    itself (on which a hook or `requires_grad_` meant for the view would act). minigrad's
    own code calls the ops directly and skips that node."""

    @functools.wraps(op)
    def view_op(input: Tensor, *args: Any, **kwargs: Any) -> Tensor:  # noqa: A002
        return input._viewed(op(input, *args, **kwargs))

    # op's parameters, its first named as this wrapper names it (`mg.reshape(input=x, ...)`)
    sig = inspect.signature(op)
    first, *rest = sig.parameters.values()
    view_op.__signature__ = sig.replace(parameters=[first.replace(name="input"), *rest])
    view_op.__module__ = "minigrad"  # found (and pickled) as mg.<op>
    return view_op


def _unexpected(what: str) -> RuntimeError:
    return RuntimeError(f"unflatten got an unexpected error:\n{what}")


def unflatten(input: Tensor, dim: int, sizes: Any) -> Tensor:  # noqa: A002 - PyTorch's name
    """x with dim `dim` split into `sizes` (one entry may be -1, inferred), a view as
    `reshape`: (3, 12).unflatten(1, (2, -1)) is (3, 2, 6). Differentiable."""
    x = input
    sizes = [int(n) for n in sizes]
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    if x.ndim == 0:
        if dim not in (0, -1):
            raise IndexError(
                f"Dimension out of range (expected to be in range of [-1, 0], but got {dim})"
            )
        raise _unexpected("Dimension specified as 0 but tensor has no dimensions")
    if not -x.ndim <= dim < x.ndim:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-x.ndim}, {x.ndim - 1}], "
            f"but got {dim})"
        )
    d = dim % x.ndim
    n = x.shape[d]
    if sizes.count(-1) > 1:
        raise _unexpected("only one dimension can be inferred")
    bad = next((i for i, s in enumerate(sizes) if s < -1), None)
    if bad is not None:
        raise _unexpected(f"invalid shape dimension {sizes[bad]} at index {bad} of shape {sizes}")
    known = int(np.prod([s for s in sizes if s != -1]))
    if -1 in sizes:
        if known == 0 and n == 0:
            raise _unexpected(
                f"cannot reshape tensor of 0 elements into shape {sizes} because the "
                "unspecified dimension size -1 can be any value and is ambiguous"
            )
        fits = known != 0 and n % known == 0
        if fits:
            sizes[sizes.index(-1)] = n // known
    else:
        fits = known == n
    if not fits:
        raise RuntimeError(
            f"unflatten: Provided sizes {sizes} don't multiply up to the size of dim {d} ({n}) "
            "in the input tensor"
        )
    return reshape(x, x.shape[:d] + tuple(sizes) + x.shape[d + 1 :])
