"""`torch.linalg` on minigrad's ops: norms, inverses and determinants, solvers, the
Cholesky, QR, symmetric eigen- and singular value decompositions, pinv, matrix_power,
matrix_exp, lstsq, matrix_rank and small products. Every result is differentiable to any
order (the decompositions' gradients are PyTorch's formulas, in ops/linalg_decomp.py)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import return_types
from .autograd import Function
from .backend import get_array_module
from .errors import DtypeError, IndexOutOfRange, ShapeError, ValueRangeError
from .ops.elementwise import abs as _abs
from .ops.elementwise import where
from .ops.extra import cross as _cross
from .ops.linalg import matmul
from .ops.linalg_decomp import (
    QR,
    SVD,
    Cholesky,
    Det,
    Eigh,
    Inv,
    LinAlgError,
    MatrixExp,
    SlogDet,
    Solve,
    _first_bad,
    broadcast_batch,
    check_matrix,
    lu_info,
    mT,
    solve_triangular,
)
from .ops.reduce import amax, amin, normalize_dims, reduce_sum
from .ops.reduce import norm as _norm
from .ops.shape import cat, reshape, squeeze, unsqueeze
from .ops.structural import diagonal as _diagonal
from .ops.structural import movedim
from .tensor import Tensor, _float_or_complex, _int_arg, _type_name

# the result types, by the names minigrad.linalg has given them
InvEx = return_types.linalg_inv_ex
CholeskyEx = return_types.linalg_cholesky_ex
SlogDetResult = return_types.linalg_slogdet
QRResult = return_types.linalg_qr
EighResult = return_types.linalg_eigh
SVDResult = return_types.linalg_svd
LstsqResult = return_types.linalg_lstsq


def _info_tensor(info: Any, A: Tensor) -> Tensor:
    if info is None:
        info = get_array_module(A._data).zeros(A.shape[:-2], dtype=np.int32)
    return Tensor._make(info, False)


# ---------------------------------------------------------------------- inverses, determinants
def inv(A: Tensor) -> Tensor:
    """The inverse of each matrix of A (..., n, n); LinAlgError when one is singular."""
    check_matrix(A, "linalg.inv")
    return Inv()(A)


def inv_ex(A: Tensor, *, check_errors: bool = False) -> InvEx:
    """(inverse, info): info (...,) int32 is LAPACK's, 0 for an invertible matrix; a
    singular matrix's inverse is NaN (PyTorch's holds whatever getri left, often inf)."""
    check_matrix(A, "linalg.inv_ex")
    fn = Inv(check=check_errors)
    out = fn(A)
    return InvEx(out, _info_tensor(fn.info, A))


def det(A: Tensor) -> Tensor:
    """det of each matrix of A (..., n, n)."""
    check_matrix(A, "linalg.det")
    return Det()(A)


def slogdet(A: Tensor) -> SlogDetResult:
    """(sign, log|det|) of each matrix; a singular one gives (0, -inf)."""
    check_matrix(A, "linalg.slogdet")
    return SlogDetResult(*SlogDet()(A))


def logdet(A: Tensor) -> Tensor:
    """torch.logdet: log det A, NaN where det < 0, -inf where it is 0."""
    check_matrix(A, "logdet")
    sign, logabs = SlogDet()(A)
    return where(sign._data < 0, math.nan, logabs)


# ---------------------------------------------------------------------- solvers
def _is_vector_rhs(A: Tensor, B: Tensor) -> bool:
    """PyTorch's rule: B is a (batch of) vector(s) when 1-d or of shape A.shape[:-1]."""
    return B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1])


def solve(A: Tensor, B: Tensor, *, left: bool = True) -> Tensor:
    """X with A X = B (left) or X A = B, for A (..., n, n) and B (..., n, k) or (..., n);
    batch dims broadcast. LinAlgError when A is singular."""
    check_matrix(A, "linalg.solve")
    if not isinstance(B, Tensor) or B.ndim < 1:
        raise RuntimeError("linalg.solve: Expected B to have at least 1 dimension")
    if A._data.dtype != B._data.dtype:
        raise RuntimeError(
            f"linalg.solve: Expected A and B to have the same dtype, but found A of type "
            f"{A.dtype} and B of type {B.dtype} instead"
        )
    vector = _is_vector_rhs(A, B)
    if not left:
        if vector:
            raise RuntimeError(
                "linalg.solve: Vector broadcasting of the left hand side is not supported "
                "for left=False."
            )
        return mT(solve(mT(A), mT(B)))
    B2 = unsqueeze(B, -1) if vector else B
    if B2.shape[-2] != A.shape[-1]:
        raise RuntimeError(
            f"linalg.solve: Incompatible shapes of A and B for the equation AX = B "
            f"({A.shape[-2]}x{A.shape[-1]} and {B2.shape[-2]}x{B2.shape[-1]})"
        )
    A2, B2 = broadcast_batch(A, B2)
    X = Solve()(A2, B2)
    return squeeze(X, -1) if vector else X


def cholesky(A: Tensor, *, upper: bool = False) -> Tensor:
    """The Cholesky factor of each symmetric positive-definite matrix: L with A = L L^T from
    the lower triangle, or U with A = U^T U from the upper one when `upper`. LinAlgError
    when not positive-definite (a NaN included)."""
    check_matrix(A, "linalg.cholesky")
    if upper:  # U with A = U^T U, from A's upper triangle: the lower factor of A^T
        return mT(Cholesky()(mT(A)))
    return Cholesky()(A)


def cholesky_ex(A: Tensor, *, upper: bool = False, check_errors: bool = False) -> CholeskyEx:
    """(L, info): info (...,) int32 is the order of the first leading minor that is not
    positive-definite, 0 when the factorisation succeeded."""
    check_matrix(A, "linalg.cholesky_ex")
    fn = Cholesky(check=check_errors)
    if upper:  # from A's upper triangle, as PyTorch
        return CholeskyEx(mT(fn(mT(A))), _info_tensor(fn.info, A))
    L = fn(A)
    return CholeskyEx(L, _info_tensor(fn.info, A))


def qr(A: Tensor, mode: str = "reduced") -> QRResult:
    """Q, R with A = Q R for A (..., m, n); mode 'reduced', 'complete' or 'r' (Q empty)."""
    check_matrix(A, "linalg.qr", square=False)
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(
            f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), "
            "'r', or 'complete'"
        )
    Q, R = QR(mode)(A)
    if mode == "r":
        Q = Tensor._make(get_array_module(A._data).zeros((0,), dtype=A._data.dtype), False)
    return QRResult(Q, R)


def _uplo(UPLO: str) -> str:
    """'L' or 'U', in either case, as PyTorch reads it."""
    if not isinstance(UPLO, str) or UPLO.upper() not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return UPLO.upper()


def eigh(A: Tensor, UPLO: str = "L") -> EighResult:
    """Ascending eigenvalues (..., n) and orthonormal eigenvectors (..., n, n) of each
    symmetric matrix, reading the UPLO triangle."""
    check_matrix(A, "linalg.eigh")
    return EighResult(*Eigh(_uplo(UPLO))(A))


def eigvalsh(A: Tensor, UPLO: str = "L") -> Tensor:
    """The ascending eigenvalues of each symmetric matrix."""
    check_matrix(A, "linalg.eigvalsh")
    return Eigh(_uplo(UPLO))(A)[0]


def _check_driver(driver: Any) -> None:
    """PyTorch takes `driver` on CUDA (cuSOLVER) only; on the CPU, only None."""
    if driver is not None:
        raise RuntimeError(
            "torch.linalg.svd: keyword argument `driver=` is only supported on CUDA inputs with "
            "cuSOLVER backend."
        )


def svd(A: Tensor, full_matrices: bool = True, *, driver: Any = None) -> SVDResult:
    """U, S (descending), Vh with A = U diag(S) Vh for A (..., m, n). LinAlgError when a
    matrix holds NaN (one holding inf gives NaN), as PyTorch."""
    check_matrix(A, "linalg.svd", square=False)
    _check_driver(driver)
    return SVDResult(*SVD(full_matrices)(A))


def svdvals(A: Tensor, *, driver: Any = None) -> Tensor:
    """The singular values of each matrix, descending."""
    check_matrix(A, "linalg.svdvals", square=False)
    _check_driver(driver)
    return SVD(False)(A)[1]


def _threshold(S: Tensor, atol: Any, rtol: Any, dims: tuple[int, int]) -> Any:
    """PyTorch's cut-off max(atol, rtol * largest |value|) as an array of S's batch shape;
    rtol defaults to eps * max(m, n) when atol is not given either."""
    xp = get_array_module(S._data)
    s = xp.abs(S._data)
    eps = np.finfo(S._data.dtype).eps
    atol = atol._data if isinstance(atol, Tensor) else atol  # a tensor: one per matrix
    rtol = rtol._data if isinstance(rtol, Tensor) else rtol
    if rtol is None:
        rtol = eps * max(dims) if atol is None or not bool(xp.any(atol != 0)) else 0.0
    atol = 0.0 if atol is None else atol
    smax = s.max(-1) if s.shape[-1] else xp.zeros(s.shape[:-1], s.dtype)
    return xp.maximum(atol, rtol * smax)[..., None]


_UNSET = object()  # an argument not given (None is a value PyTorch refuses for rcond, tol)


def _deprecated_tolerance(op: str, name: str, value: Any, atol: Any, rtol: Any) -> None:
    """PyTorch's older overloads pinv(A, rcond, hermitian) and matrix_rank(A, tol,
    hermitian) take a number or a tensor, and neither atol nor rtol."""
    if value is None or atol is not None or rtol is not None:
        raise TypeError(
            f"{op}: {name} (the older form of the tolerance) takes a number or a tensor and "
            f"neither atol nor rtol; got {name}={value!r}, atol={atol!r}, rtol={rtol!r}"
        )


def pinv(
    A: Tensor,
    rcond: Any = _UNSET,
    hermitian: bool = False,
    *,
    atol: Any = None,
    rtol: Any = None,
) -> Tensor:
    """The Moore-Penrose pseudo-inverse (..., n, m), through the SVD (or eigh when
    `hermitian`); values at or below the cut-off count as zero. `rcond`, PyTorch's older
    form, is the relative tolerance (rtol=rcond, atol=0)."""
    check_matrix(A, "linalg.pinv", square=False)
    if rcond is not _UNSET:
        _deprecated_tolerance("linalg.pinv", "rcond", rcond, atol, rtol)
        atol, rtol = 0.0, rcond
    return _Pinv(atol, rtol, hermitian)(A)


class _Pinv(Function):
    """pinv(A) through the SVD, differentiated by PyTorch's formula in pinv(A) itself
    (pinv_backward): finite where singular values repeat or vanish (an identity, an
    orthogonal or a zero matrix), where differentiating through the SVD divides by their
    gaps and gave NaN. The backward is made of matmuls, so it has its own gradient."""

    uses_outputs = True

    def __init__(self, atol: Any, rtol: Any, hermitian: bool) -> None:
        self.atol, self.rtol, self.hermitian = atol, rtol, hermitian

    def forward(self, a):
        A = Tensor._make(a, False)
        dims = (a.shape[-2], a.shape[-1])
        if self.hermitian:  # eigh of the lower triangle; the same formula differentiates it
            w, V = Eigh("L")(A)
            keep = _abs(w)._data > _threshold(w, self.atol, self.rtol, dims)
            winv = where(keep, 1 / where(keep, w, 1.0), 0.0)
            return matmul(V * unsqueeze(winv, -2), mT(V))._data
        U, S, Vh = SVD(False)(A)
        keep = S._data > _threshold(S, self.atol, self.rtol, dims)
        sinv = where(keep, 1 / where(keep, S, 1.0), 0.0)
        return matmul(mT(Vh) * unsqueeze(sinv, -2), mT(U))._data

    def backward(self, gy):
        (A,) = self.inputs
        P, Ph, gh = self.output(), mT(self.output()), mT(gy)
        if A.shape[-2] <= A.shape[-1]:  # the smaller products first, as PyTorch's
            K = matmul(gh, P)
            KPh = matmul(K, Ph)
            return (
                mT(-matmul(P, K))
                + KPh
                - matmul(matmul(A, P), KPh)
                + matmul(matmul(Ph, P), gh - matmul(K, A))
            )
        K = matmul(P, gh)
        PhK = matmul(Ph, K)
        return (
            mT(-matmul(K, P))
            + matmul(matmul(gh - matmul(A, K), P), Ph)
            + PhK
            - matmul(matmul(PhK, P), A)
        )


def matrix_rank(
    A: Tensor,
    tol: Any = _UNSET,
    hermitian: bool = False,
    *,
    atol: Any = None,
    rtol: Any = None,
) -> Tensor:
    """The number of singular values (|eigenvalues| when `hermitian`) above the cut-off,
    int64 (...,). `tol`, PyTorch's older form, is the absolute tolerance (atol=tol,
    rtol=0)."""
    check_matrix(A, "linalg.matrix_rank", square=False)
    if tol is not _UNSET:
        _deprecated_tolerance("linalg.matrix_rank", "tol", tol, atol, rtol)
        atol, rtol = tol, 0.0
    S = _abs(eigvalsh(A)) if hermitian else svdvals(A)
    keep = S._data > _threshold(S, atol, rtol, (A.shape[-2], A.shape[-1]))
    return Tensor._make(keep.sum(-1).astype(np.int64), False)


def triangular_solve(
    b: Tensor,
    A: Tensor,
    upper: bool = True,
    transpose: bool = False,
    unitriangular: bool = False,
) -> Any:
    """PyTorch's older `torch.triangular_solve(b, A)`: X with A X = b (A^T X = b with
    `transpose`) for the triangle of A that `upper` names, and a copy of A, as the named
    tuple (solution, cloned_coefficient). `linalg.solve_triangular` is the newer form."""
    from .errors import warn_user

    warn_user(  # PyTorch's deprecation notice, in minigrad's names
        "minigrad.triangular_solve is deprecated in favor of minigrad.linalg.solve_triangular, "
        "as in PyTorch: X = triangular_solve(B, A).solution becomes "
        "X = linalg.solve_triangular(A, B, upper=...)"
    )
    M = mT(A) if transpose else A
    X = solve_triangular(M, b, upper=upper != transpose, unitriangular=unitriangular)
    return return_types.triangular_solve(X, A.clone())


def lstsq(A: Tensor, B: Tensor, rcond: Any = None, *, driver: Any = None) -> LstsqResult:
    """The minimum-norm least-squares solution of A X = B as pinv(A) B (`driver` is
    ignored); residuals and singular_values are empty and rank is A's, as PyTorch's
    default CPU driver gelsy returns."""
    check_matrix(A, "linalg.lstsq", square=False)
    if not isinstance(B, Tensor) or not 0 <= A.ndim - B.ndim <= 1:
        got = B.ndim if isinstance(B, Tensor) else type(B).__name__
        raise ShapeError(
            "torch.linalg.lstsq: input.dim() must be greater or equal to other.dim() and "
            f"(input.dim() - other.dim()) <= 1 (got input.dim() {A.ndim}, other.dim() {got})"
        )
    if A._data.dtype != B._data.dtype:
        raise DtypeError(
            f"torch.linalg.lstsq: Expected input and other to have the same dtype, but got "
            f"input's dtype {_type_name(A._data.dtype)} and other's dtype "
            f"{_type_name(B._data.dtype)}"
        )
    vector = _is_vector_rhs(A, B)  # PyTorch's rule, as solve's: B (2, 1) is one matrix
    B2 = unsqueeze(B, -1) if vector else B
    if B2.shape[-2] != A.shape[-2]:
        raise ShapeError(
            f"torch.linalg.lstsq: input.size(-2) should match other.size("
            f"{-1 if vector else -2}) (got A {tuple(A.shape)} and B {tuple(B.shape)}, B taken "
            f"as {'vectors' if vector else 'matrices'})"
        )
    X = matmul(pinv(A, rtol=rcond), B2)
    X = squeeze(X, -1) if vector else X
    empty = Tensor._make(get_array_module(A._data).zeros((0,), dtype=A._data.dtype), False)
    rank = matrix_rank(A, rtol=rcond)
    return LstsqResult(X, empty, rank, empty)


# ---------------------------------------------------------------------- matrix functions
def matrix_power(A: Tensor, n: int) -> Tensor:
    """A^n by repeated squaring, PyTorch's order of products; n < 0 inverts first, n = 0
    gives the identity. n must be an int (or a 0-d integer tensor), as PyTorch's: 2.7 was
    rounded to 3."""
    n = _int_arg("linalg_matrix_power", "n", n)
    check_matrix(A, "linalg.matrix_power") if n < 0 else _check_square_only(A)
    if n == 0:
        # the identity, tied to A with a zero gradient as PyTorch's (A * 0 + I would give
        # NaN for a NaN or inf entry)
        xp = get_array_module(A._data)
        eye = xp.broadcast_to(xp.eye(A.shape[-1], dtype=A._data.dtype), A.shape)
        return where(xp.ones(A.shape, dtype=bool), Tensor._make(eye, False), A)
    if n < 0:
        A, n = inv(A), -n
    if n == 1:  # a copy of A's dtype (bool stays bool: A * 1 would give int64)
        return A.clone()
    if n == 2:
        return matmul(A, A)
    if n == 3:
        return matmul(matmul(A, A), A)
    z = result = None
    while n > 0:
        bit, n = n % 2, n // 2
        z = A if z is None else matmul(z, z)
        if bit:
            result = z if result is None else matmul(result, z)
    return result


def _check_square_only(A: Tensor) -> None:
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise RuntimeError(
            f"linalg.matrix_power: A must be batches of square matrices, but they are "
            f"{A.shape[-2:] if A.ndim >= 2 else A.shape} matrices"
        )


def matrix_exp(A: Tensor) -> Tensor:
    """The matrix exponential of each matrix of A (..., n, n)."""
    check_matrix(A, "linalg.matrix_exp")
    return MatrixExp()(A)


# ---------------------------------------------------------------------- tensor equations
def tensorinv(A: Tensor, ind: int = 2) -> Tensor:
    """The inverse of A read as a matrix of its first `ind` dims by the rest (their sizes'
    products must agree), shaped A.shape[ind:] + A.shape[:ind]: tensordot(inverse, A,
    ind) is the identity. LinAlgError when that matrix is singular."""
    if ind <= 0:
        raise ValueRangeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    rows, cols = math.prod(A.shape[:ind]), math.prod(A.shape[ind:])
    if rows != cols:
        raise ShapeError(
            f"Expected self to satisfy the requirement prod(self.shape[ind:]) == "
            f"prod(self.shape[:ind]), but got {cols} != {rows}"
        )
    return reshape(inv(reshape(A, (rows, rows))), A.shape[ind:] + A.shape[:ind])


def tensorsolve(A: Tensor, B: Tensor, dims: Any = None) -> Tensor:
    """X with tensordot(A, X, X.ndim) = B, X of shape A.shape[B.ndim:] (after moving the
    dims `dims` of A to its end), by one square solve. LinAlgError when singular."""
    if dims is not None:
        dims = tuple(dims)  # a tuple of ints; PyTorch refuses a bare int
        A = movedim(A, dims, tuple(range(A.ndim - len(dims), A.ndim)))
    shape = A.shape[B.ndim :]
    n, m = math.prod(shape), B.numel()
    if n != m:
        raise ShapeError(
            f"Expected self to satisfy the requirement prod(self.shape[other.ndim:]) == "
            f"prod(self.shape[:other.ndim]), but got {n} != {m}"
        )
    return reshape(solve(reshape(A, (n, n)), reshape(B, (n,))), shape)


def vander(x: Tensor, N: int | None = None) -> Tensor:
    """The Vandermonde matrix of x (..., n): (..., n, N) with columns x^0, x^1, ...,
    x^(N-1) (N = n by default), the powers as running products, as PyTorch builds it.
    Floating and integer x (not bool or half precision)."""
    dt = x._data.dtype
    if dt.kind not in "fiuc" or dt.kind == "f" and dt.itemsize < 4:
        raise DtypeError(
            "linalg.vander supports floating point, complex, and integer tensors, but got "
            f"{_type_name(dt)}"
        )
    x = unsqueeze(x, -1) if x.ndim == 0 else x
    N = x.shape[-1] if N is None else N
    if N <= 1:
        raise ValueRangeError("N must be greater than 1.")
    powers = unsqueeze(x, -1).expand(*x.shape, N - 1).cumprod(-1)
    xp = get_array_module(x._data)
    ones = Tensor._make(xp.ones(x.shape + (1,), dtype=powers._data.dtype), False)
    return cat([ones, powers], -1)


# ---------------------------------------------------------------------- products
def cross(input: Tensor, other: Tensor, *, dim: int = -1) -> Tensor:  # noqa: A002
    """The cross product of 3-vectors along `dim`; other dims broadcast, between inputs of
    the same number of dims (PyTorch refuses a (2, 3) with a (3,))."""
    return _cross(input, other, dim)


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """The dot product sum(conj(x) * y) of vectors along `dim`; other dims broadcast. x and
    y are of one floating dtype, as PyTorch asks (no promotion, no integers). Complex
    vectors give values only (minigrad has no complex gradients), x conjugated as in
    PyTorch's and `vdot`."""
    _float_or_complex(x, "linalg.vecdot")
    if x._data.dtype != y._data.dtype:
        raise DtypeError(
            f"linalg.vecdot: Expected x and y to have the same dtype, but found x of type "
            f"{_type_name(x._data.dtype)} and y of type {_type_name(y._data.dtype)} instead"
        )
    if x._data.dtype.kind == "c":
        if x.requires_grad or y.requires_grad:
            raise NotImplementedError(
                "linalg.vecdot: gradients through complex tensors are not supported"
            )
        x = Tensor._make(get_array_module(x._data).conj(x._data), False)
    return reduce_sum(x * y, dim)


def multi_dot(tensors: Any) -> Tensor:
    """The chained product of matrices, the first and last may be vectors (row, column)."""
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    for i, t in enumerate(tensors):
        end = i in (0, len(tensors) - 1)
        if t.ndim != 2 and not (end and t.ndim == 1):
            raise RuntimeError(
                f"multi_dot(): tensor {i} must be 2D{' or 1D' if end else ''} but got {t.ndim}D"
            )
    out = tensors[0]
    for t in tensors[1:]:
        out = matmul(out, t)
    return out


def diagonal(A: Tensor, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """The `offset` diagonal of each matrix, as torch.diagonal with the last two dims."""
    return _diagonal(A, offset, dim1, dim2)


# ---------------------------------------------------------------------- norms
def _norm_dtype(x: Tensor, dtype: Any, op: str) -> Tensor:
    """x cast to a norm's `dtype`, after PyTorch's checks of it: floating or complex,
    complex only for a complex x, and no narrowing (float64 to float32 is refused)."""
    if dtype is None:
        return x
    want, have = np.dtype(dtype), x._data.dtype
    if want.kind not in "fc":
        raise DtypeError(
            f"{op}: dtype should be floating point or complex, but got {_type_name(want)}"
        )
    if (want.kind == "c") != (have.kind == "c"):
        kind = "complex" if have.kind == "c" else "real"
        raise DtypeError(
            f"{op}: dtype should be {kind} for {kind} inputs, but got {_type_name(want)}"
        )
    if np.promote_types(have, want) != want:
        raise DtypeError(
            f"{op}: the dtype of the input ({_type_name(have)}) should be convertible without "
            f"narrowing to the specified dtype ({_type_name(want)})"
        )
    return x if want == have else x.to(want)


def _check_identity(x: Tensor, ord: Any, dim: Any) -> None:
    """PyTorch refuses a norm with no value for no entries (a negative or +inf order) of an
    empty tensor, or over an empty dim."""
    if x.numel() or not isinstance(ord, int | float) or not (ord < 0 or ord == math.inf):
        return
    dims = () if dim is None else (dim,) if isinstance(dim, int | np.integer) else tuple(dim)
    if not dims:
        raise IndexOutOfRange(
            f"linalg.vector_norm cannot compute the {ord:g} norm on an empty tensor because the "
            "operation does not have an identity"
        )
    for d, axis in zip(dims, normalize_dims(dims, x.ndim, "linalg.vector_norm"), strict=True):
        if x.shape[axis] == 0:
            raise IndexOutOfRange(
                f"linalg.vector_norm cannot compute the {ord:g} norm on the dimension {d} because "
                "this dimension is empty and the operation does not have an identity"
            )


def vector_norm(
    x: Tensor, ord: Any = 2, dim: Any = None, keepdim: bool = False, *, dtype: Any = None
) -> Tensor:
    """The `ord`-norm of x's entries over `dim` (all of them when None), as
    torch.linalg.vector_norm; `dtype` casts x first (a wider dtype only)."""
    if isinstance(ord, str) or ord is None:  # 'fro', 'nuc': matrix norms (matrix_norm)
        raise TypeError(f"linalg.vector_norm(): argument 'ord' must be a number, not {ord!r}")
    _float_or_complex(x, "linalg.vector_norm")
    _check_identity(x, ord, dim)
    return _norm(_norm_dtype(x, dtype, "linalg.vector_norm"), ord, dim, keepdim)


def matrix_norm(
    A: Tensor,
    ord: Any = "fro",
    dim: tuple[int, int] = (-2, -1),
    keepdim: bool = False,
    *,
    dtype: Any = None,
) -> Tensor:
    """The matrix norm over the two dims `dim`: 'fro', 'nuc' (sum of singular values),
    2 / -2 (largest / smallest singular value), 1 / -1 (max / min column sum of |A|),
    inf / -inf (max / min row sum). The arguments are checked in PyTorch's order (`ord`
    first), so that the same mistake raises the same error."""
    if ord not in ("fro", "nuc", 2, -2, 1, -1, math.inf, -math.inf):
        raise ValueRangeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if A.ndim < 2:
        raise ShapeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    _float_or_complex(A, "linalg.matrix_norm")
    if ord in ("nuc", 2, -2) and A._data.dtype.itemsize < 4:  # the SVD's refusal
        raise DtypeError(
            f"linalg.matrix_norm: Low precision dtypes not supported. Got {_type_name(A.dtype)}"
        )
    if isinstance(dim, int | np.integer):  # PyTorch's argument parser: a tuple of two dims only
        raise TypeError(f"linalg.matrix_norm(): argument 'dim' must be a tuple of ints, not {dim}")
    dims = tuple(dim)
    if len(dims) != 2:
        got = " ".join(str(d) for d in dims)
        raise ValueRangeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {got}")
    d0, d1 = normalize_dims(dims, A.ndim, "linalg.matrix_norm")
    if d0 == d1:
        raise ShapeError(f"linalg.matrix_norm: dims must be different. Got ({d0}, {d1})")
    A = _norm_dtype(A, dtype, "linalg.matrix_norm")
    if ord == "fro":
        return _norm(A, 2, (d0, d1), keepdim)
    if ord in ("nuc", 2, -2):
        s = svdvals(movedim(A, (d0, d1), (-2, -1)))
        # the sum, for 'nuc' and for the largest of no values (norms are >= 0: PyTorch's 0)
        empty_max = ord == 2 and s.shape[-1] == 0
        r = reduce_sum(s, -1) if ord == "nuc" or empty_max else (amax if ord == 2 else amin)(s, -1)
        if keepdim:
            for d in sorted((d0, d1)):
                r = unsqueeze(r, d)
        return r
    inner, outer = (d0, d1) if ord in (1, -1) else (d1, d0)
    sums = reduce_sum(_abs(A), inner, True)
    if ord > 0 and sums.shape[outer] == 0:  # the largest of no sums: 0, as PyTorch
        r = reduce_sum(sums, outer, True)
    else:
        r = (amax if ord > 0 else amin)(sums, outer, True)
    shape = tuple(n for i, n in enumerate(r.shape) if i not in (d0, d1))
    return r if keepdim else reshape(r, shape)


def norm(
    A: Tensor,
    ord: Any = None,
    dim: Any = None,
    keepdim: bool = False,
    *,
    dtype: Any = None,
) -> Tensor:
    """torch.linalg.norm: a matrix norm for a string `ord`, or for a number over two dims
    (`dim`, or those of a 2-d input); else a vector norm (of all entries when `dim` is
    None). A vector's 'fro' norm is its 2-norm (PyTorch refuses it)."""
    dims = None if dim is None else (dim,) if isinstance(dim, int | np.integer) else tuple(dim)
    if dims is not None and len(dims) not in (1, 2):
        raise ValueRangeError(
            f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got {list(dims)}"
        )
    if dims is None and ord is not None and A.ndim not in (1, 2):
        raise RuntimeError(
            f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. "
            f"Got {A.ndim}D."
        )
    if isinstance(ord, str) and ord == "fro" and dims is None and A.ndim == 1:
        return vector_norm(A, 2, None, keepdim, dtype=dtype)
    over_two = (A.ndim if dims is None else len(dims)) == 2
    if isinstance(ord, str) or (ord is not None and over_two):
        return matrix_norm(A, ord, (-2, -1) if dims is None else dims, keepdim, dtype=dtype)
    return vector_norm(A, 2 if ord is None else ord, dims, keepdim, dtype=dtype)


def solve_ex(
    A: Tensor, B: Tensor, *, left: bool = True, check_errors: bool = False
) -> return_types.linalg_solve_ex:
    """(solution, info) as torch.linalg.solve_ex: info (...,) int32 is 0 for a solvable
    matrix and LAPACK's first zero pivot (1-based) for a singular one, whose solution is NaN
    (PyTorch's holds what LAPACK left); with `check_errors` a singular matrix raises."""
    try:
        X = solve(A, B, left=left)
        return return_types.linalg_solve_ex(X, _info_tensor(None, A))
    except LinAlgError:
        if check_errors:
            raise
    xp = get_array_module(A._data)
    info = lu_info(A._data)
    eye = xp.eye(A.shape[-1], dtype=A._data.dtype)
    bad = info != 0
    X = solve(where(bad[..., None, None], eye, A), B, left=left)
    # bad has A's batch shape; X (broadcast batch, n[, k]) takes it on its last batch dims
    mask = bad[..., None] if X.ndim == A.ndim - 1 else bad[..., None, None]
    return return_types.linalg_solve_ex(where(mask, math.nan, X), Tensor._make(info, False))


def cholesky_solve(B: Tensor, L: Tensor, upper: bool = False) -> Tensor:
    """torch.cholesky_solve: X with A X = B for A = L L^T (or U^T U with `upper`), given the
    Cholesky factor; two triangular solves, differentiable in B and L."""
    check_matrix(L, "cholesky_solve")
    check_matrix(B, "cholesky_solve", square=False)
    if L._data.dtype != B._data.dtype:
        raise RuntimeError(
            f"cholesky_solve: expected B and L of one dtype, got {B.dtype} and {L.dtype}"
        )
    if upper:
        return solve_triangular(L, solve_triangular(mT(L), B, upper=False), upper=True)
    return solve_triangular(mT(L), solve_triangular(L, B, upper=False), upper=True)


def _check_diagonal(L: Tensor, op: str) -> None:
    """PyTorch's LinAlgError for a triangular factor with an exact zero on its diagonal (its
    inverse does not exist): 'The diagonal element i is zero', i 1-based, naming the first
    such matrix of a batch."""
    xp = get_array_module(L._data)
    zero = xp.diagonal(L._data, axis1=-2, axis2=-1) == 0
    if zero.any():
        info = xp.where(zero.any(axis=-1), zero.argmax(axis=-1) + 1, 0)
        batch, i = _first_bad(info)
        raise LinAlgError(
            f"{op}: {batch}The diagonal element {i} is zero, the inversion could not be "
            "completed because the input matrix is singular."
        )


def cholesky_inverse(L: Tensor, upper: bool = False) -> Tensor:
    """torch.cholesky_inverse: A^-1 for A = L L^T (or U^T U), from its Cholesky factor, as
    LAPACK's potri computes it: the factor's inverse times its transpose (solving twice gave
    NaN where the inverse overflows). A zero on the diagonal raises LinAlgError, as
    PyTorch's (it gave inf or NaN)."""
    check_matrix(L, "cholesky_inverse")
    _check_diagonal(L, "cholesky_inverse")
    eye = Tensor._make(get_array_module(L._data).eye(L.shape[-1], dtype=L._data.dtype), False)
    inverse = solve_triangular(L, eye, upper=upper)
    return matmul(inverse, mT(inverse)) if upper else matmul(mT(inverse), inverse)


def cond(A: Tensor, p: Any = None) -> Tensor:
    """The condition number ||A||_p ||A^-1||_p, as PyTorch computes it: for p None or 2
    (-2) the largest over the smallest singular value (or its inverse), for 'nuc' sum(s) *
    sum(1 / s), for 'fro', 1, -1, inf, -inf the matrix norms of A and its inverse (inf for a
    singular matrix); 0 for an empty matrix."""
    check_matrix(A, "linalg.cond", square=p not in (None, 2, -2))
    if 0 in A.shape[-2:]:  # no values: 0, as PyTorch
        return Tensor._make(get_array_module(A._data).zeros(A.shape[:-2], A._data.dtype), False)
    if p in (None, 2, -2):
        s = svdvals(A)
        big, small = s[..., 0], s[..., -1]
        return big / small if p != -2 else small / big
    if p == "nuc":  # PyTorch's: from the singular values, sum(s) * sum(1 / s)
        s = svdvals(A)
        return reduce_sum(s, -1) * reduce_sum(1 / s, -1)
    inverse, info = inv_ex(A)
    r = matrix_norm(A, p) * matrix_norm(where((info._data != 0)[..., None, None], 0.0, inverse), p)
    # inf also where the product is NaN (a matrix holding NaN, or 0 * inf), as PyTorch's
    # nan_to_num of it
    return where((info._data != 0) | get_array_module(r._data).isnan(r._data), math.inf, r)


__all__ = [
    "LinAlgError",
    "cholesky",
    "cholesky_ex",
    "cond",
    "cross",
    "det",
    "diagonal",
    "eigh",
    "eigvalsh",
    "inv",
    "inv_ex",
    "logdet",
    "lstsq",
    "matrix_exp",
    "matrix_norm",
    "matrix_power",
    "matrix_rank",
    "multi_dot",
    "norm",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "solve_ex",
    "solve_triangular",
    "svd",
    "svdvals",
    "tensorinv",
    "tensorsolve",
    "vander",
    "vecdot",
    "matmul",
    "vector_norm",
]
