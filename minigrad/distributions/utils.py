"""Helpers shared by the distributions: broadcasting parameters, probs <-> logits, the
lazily computed parameter, the sum over the rightmost dims and PyTorch's lower-triangle
packing (`tril_matrix_to_vec`, `vec_to_tril_matrix`)."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .. import ops
from ..autograd import enable_grad
from ..backend import default_float
from ..info import finfo
from ..ops.reduce import BroadcastTo
from ..tensor import Size, Tensor, arange, tensor

euler_constant = 0.57721566490153286060  # Euler-Mascheroni constant, as PyTorch's


def _is_number(v: Any) -> bool:
    return isinstance(v, numbers.Number) and not isinstance(v, Tensor)


def broadcast_all(*values: Any) -> tuple[Tensor, ...]:
    """Tensors broadcast to one shape (each keeps its dtype, as torch.broadcast_tensors);
    numbers become tensors of the first tensor's dtype and device, or of the default
    dtype when all are numbers."""
    if not all(isinstance(v, Tensor) or _is_number(v) for v in values):
        raise ValueError(
            "Input arguments must all be instances of Number, "
            "torch.Tensor or objects implementing __torch_function__."
        )
    ref = next((v for v in values if isinstance(v, Tensor)), None)
    dtype = default_float() if ref is None else ref.dtype
    device = "cpu" if ref is None else ref.device
    tensors = [
        v if isinstance(v, Tensor) else tensor(v, dtype=dtype, device=device) for v in values
    ]
    shape = tuple(np.broadcast_shapes(*(t.shape for t in tensors)))
    return tuple(expand_param(t, shape) for t in tensors)


class ParamBroadcastTo(BroadcastTo):
    """The broadcast_to node of a distribution's expanded parameter. PyTorch's expand
    saves no tensors, so every later graph built on the parameter (a log_prob loss, then
    an entropy term, each with its own backward) can go back through it. minigrad's
    engine releases each node after a backward without retain_graph; this one holds only
    shapes and its edge to the parameter, so it is kept for the next walk."""

    def release(self) -> None:
        """Keep the node: it saved no values to free, and a later backward runs it again."""


def expand_param(t: Tensor, shape: tuple[int, ...]) -> Tensor:
    """`t.expand(*shape)` for a parameter that a distribution keeps (t itself where the
    shape is already `shape`): its graph node survives backward, as PyTorch's, so
    `Normal(mu, sigma_scalar)` can be back-propagated by several losses in turn."""
    if tuple(t.shape) == tuple(shape):
        return t
    out = t.expand(*shape)
    if type(out.creator) is BroadcastTo:
        # the node expand made, given the class that keeps it: expand's view bookkeeping
        # (shared memory and version counter with t) stays in one place, reduce.broadcast_to
        out.creator.__class__ = ParamBroadcastTo
    return out


def clamp_probs(probs: Tensor) -> Tensor:
    """probs clamped into [eps, 1 - eps] of their dtype, so their logs stay finite."""
    eps = finfo(probs.dtype).eps
    return ops.clip(probs, eps, 1 - eps)


def probs_to_logits(probs: Tensor, is_binary: bool = False) -> Tensor:
    """log-odds (binary) or log-probabilities (categorical) of clamped `probs`."""
    ps = clamp_probs(probs)
    if is_binary:
        return ops.log(ps) - ops.log1p(-ps)
    return ops.log(ps)


def logits_to_probs(logits: Tensor, is_binary: bool = False) -> Tensor:
    """sigmoid (binary) or softmax over the last dim (categorical) of `logits`."""
    if is_binary:
        return ops.sigmoid(logits)
    return ops.softmax(logits, -1)


def sum_rightmost(value: Tensor, dim: int) -> Tensor:
    """value summed over its `dim` rightmost dims."""
    if dim == 0:
        return value
    return value.reshape(tuple(value.shape[: value.ndim - dim]) + (-1,)).sum(-1)


class lazy_property:  # noqa: N801 - PyTorch's name
    """A parameter computed from another on first use, then kept on the instance (so an
    instance attribute of the same name, set in __init__, takes its place). It is built
    with grad enabled, as PyTorch's, so it stays differentiable when first read inside
    no_grad."""

    def __init__(self, wrapped: Any) -> None:
        self.wrapped = wrapped
        self.__doc__ = wrapped.__doc__

    def __get__(self, instance: Any, obj_type: Any = None) -> Any:
        if instance is None:
            return self
        with enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value


def _tril_mask(n: int, diag: int, device: Any) -> Tensor:
    """(n, n) bool mask of the entries on or below the `diag`-th diagonal."""
    rows = arange(n, device=device)
    return rows < rows.view(-1, 1) + (diag + 1)


def tril_matrix_to_vec(mat: Tensor, diag: int = 0) -> Tensor:
    """The entries of the (batched) `(D, D)` matrix on or below its `diag`-th diagonal,
    in row order, along the last dim (PyTorch's; differentiable)."""
    n = mat.shape[-1]
    if diag < -n or diag >= n:
        raise ValueError(f"diag ({diag}) provided is outside [{-n}, {n - 1}].")
    return mat[..., _tril_mask(n, diag, mat.device)]


def vec_to_tril_matrix(vec: Tensor, diag: int = 0) -> Tensor:
    """The (batched) `(D, D)` lower-triangular matrix whose entries on or below the
    `diag`-th diagonal are `vec`'s last dim in row order, zeros elsewhere (PyTorch's;
    differentiable). D solves D^2 + (1 + 2 diag) D - |diag| (diag + 1) = 2 len(vec)."""
    b = 1 + 2 * diag
    n = (-b + (b**2 + 8 * vec.shape[-1] + 4 * abs(diag) * (diag + 1)) ** 0.5) / 2
    # PyTorch's test, one-sided: a size whose root rounds down passes it, and the
    # assignment below then names the mismatch
    if round(n) - n > finfo(vec.dtype).eps:
        raise ValueError(
            f"The size of last dimension is {vec.shape[-1]} which cannot be expressed as "
            "the lower triangular part of a square D x D matrix."
        )
    n = round(n)
    mat = vec.new_zeros(Size(vec.shape[:-1]) + Size((n, n)))
    mat[..., _tril_mask(n, diag, vec.device)] = vec
    return mat
