"""`torch.linalg`'s norms, on minigrad's ops: vector_norm, matrix_norm ('fro') and norm."""

from __future__ import annotations

from typing import Any

from .ops.reduce import norm as _norm
from .tensor import Tensor


def vector_norm(
    x: Tensor, ord: Any = 2, dim: Any = None, keepdim: bool = False, *, dtype: Any = None
) -> Tensor:
    """The `ord`-norm of x's entries over `dim` (all of them when None), as
    torch.linalg.vector_norm; `dtype` casts x first."""
    if dtype is not None:
        x = x.to(dtype)
    return _norm(x, ord, dim, keepdim)


def matrix_norm(
    A: Tensor, ord: Any = "fro", dim: tuple[int, int] = (-2, -1), keepdim: bool = False
) -> Tensor:
    """The Frobenius norm over the two dims `dim`; other orders ('nuc', 2, ...) need an
    SVD and are not supported."""
    if ord != "fro":
        raise NotImplementedError(f"linalg.matrix_norm: ord={ord!r} (only 'fro')")
    return _norm(A, 2, tuple(dim), keepdim)


def norm(
    A: Tensor, ord: Any = None, dim: Any = None, keepdim: bool = False, *, dtype: Any = None
) -> Tensor:
    """torch.linalg.norm: a vector norm over an int `dim` (or of a 1-d input, or of all
    entries when both `ord` and `dim` are None), else a matrix norm over two dims."""
    if dtype is not None:
        A = A.to(dtype)
    if isinstance(dim, int) or (dim is not None and len(tuple(dim)) == 1):
        return vector_norm(A, 2 if ord is None else ord, dim, keepdim)
    if dim is None and (ord is None or A.ndim == 1):
        return vector_norm(A, 2 if ord is None else ord, None, keepdim)
    return matrix_norm(A, "fro" if ord is None else ord, (-2, -1) if dim is None else dim, keepdim)


__all__ = ["matrix_norm", "norm", "vector_norm"]
