"""Matrix functions and decompositions of `torch.linalg`: inv, det, slogdet, solve,
cholesky, solve_triangular, qr, eigh, svd and matrix_exp.

Each forward runs NumPy's (or CuPy's) LAPACK-backed routine over all batch dims at once;
each backward is written with minigrad ops (matmul, these same functions), so second
derivatives come free. The gradient formulas are PyTorch's (FunctionsManual.cpp)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Function
from ..backend import get_array_module
from ..errors import ShapeError
from ..tensor import Tensor, _type_name
from .elementwise import where
from .indexing import narrow, prod, tril, triu
from .linalg import matmul
from .shape import cast, cat, transpose


class LinAlgError(RuntimeError):
    """A singular or not positive-definite input (PyTorch's `torch._C._LinAlgError`)."""


def check_matrix(A: Tensor, name: str, square: bool = True) -> None:
    """PyTorch's argument checks: (..., n, n) of float32/float64."""
    if not isinstance(A, Tensor):
        raise TypeError(f"{name}: expected a Tensor, got {type(A).__name__}")
    if A.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
    dt = A._data.dtype
    if dt.kind == "c":  # (the message below said "floating point or complex" of a complex one)
        raise NotImplementedError(
            f"{name}: complex matrices are not supported by minigrad (got {_type_name(dt)}); "
            "PyTorch computes them"
        )
    if dt.kind != "f":
        got = _type_name(dt)
        raise RuntimeError(
            f"{name}: Expected a floating point or complex tensor as input. Got {got}"
        )
    if dt.itemsize < 4:
        raise RuntimeError(f"{name}: Low precision dtypes not supported. Got {dt}")
    if square and A.shape[-1] != A.shape[-2]:
        raise RuntimeError(
            f"{name}: A must be batches of square matrices, but they are {A.shape[-2]} by "
            f"{A.shape[-1]} matrices"
        )


def mT(x: Tensor) -> Tensor:
    """The transpose of the last two dims."""
    return transpose(x, -1, -2)


def _first_bad(info: Any) -> tuple[str, int]:
    """'(Batch element k): ' for the first failing matrix of a batch, and its info."""
    flat = np.asarray(info.get() if hasattr(info, "get") else info).reshape(-1)
    k = int(np.flatnonzero(flat)[0])
    return (f"(Batch element {k}): " if np.ndim(info) else ""), int(flat[k])


def _has_nan(a: Any) -> Any:
    """Per matrix of a (..., n, n): whether it holds a NaN."""
    return get_array_module(a).isnan(a).any(axis=(-2, -1))


def lu_factor(a: Any) -> tuple[Any, Any, Any]:
    """LAPACK getf2's LU factorisation with partial pivoting of each matrix of a (..., n, n):
    the packed factors (unit L below the diagonal, U on and above it), the row order `perm`
    (row i of P A is row perm[i] of A) and info, the 1-based index of the first exactly-zero
    pivot (0 for none). As getf2, the column below a pivot is scaled by the pivot's
    reciprocal, so that a matrix within a rounding of singular gets the same verdict as
    LAPACK's (PyTorch's MKL agrees on about 98% of such matrices; NumPy's OpenBLAS, blocked,
    on fewer). A loop over columns, each step vectorised over the batch."""
    xp = get_array_module(a)
    a = a.copy()
    n, batch = a.shape[-1], a.shape[:-2]
    info = xp.zeros(batch, dtype=np.int32)
    perm = xp.broadcast_to(xp.arange(n), batch + (n,)).copy()
    sfmin = np.finfo(a.dtype).tiny
    with np.errstate(all="ignore"):
        for j in range(n):
            p = xp.argmax(xp.abs(a[..., j:, j]), axis=-1) + j
            idx = xp.broadcast_to(p[..., None, None], batch + (1, n))
            row_p = xp.take_along_axis(a, idx, axis=-2)
            row_j = a[..., j : j + 1, :].copy()
            xp.put_along_axis(a, idx, row_j, axis=-2)
            a[..., j : j + 1, :] = row_p
            perm_p = xp.take_along_axis(perm, p[..., None], axis=-1)
            xp.put_along_axis(perm, p[..., None], perm[..., j : j + 1].copy(), axis=-1)
            perm[..., j : j + 1] = perm_p
            piv = a[..., j, j]
            zero = piv == 0
            info = xp.where((info == 0) & zero, j + 1, info).astype(np.int32)
            safe = xp.where(zero, 1, piv)[..., None]
            below = a[..., j + 1 :, j]
            # getf2: times the reciprocal, unless the pivot is too small to invert
            f = xp.where(xp.abs(safe) >= sfmin, below * (1 / safe), below / safe)
            a[..., j + 1 :, j] = xp.where(zero[..., None], below, f)
            a[..., j + 1 :, j + 1 :] -= f[..., :, None] * a[..., j : j + 1, j + 1 :]
    return a, perm, info


def lu_info(a: Any) -> Any:
    """LAPACK getrf's info per matrix (see `lu_factor`)."""
    return lu_factor(a)[2]


def lu_solve(lu: Any, perm: Any, b: Any) -> Any:
    """X with A X = b from `lu_factor`'s factors of A (..., n, n) and b (..., n, k) of one
    batch shape: two triangular substitutions. A zero pivot gives inf/NaN."""
    xp = get_array_module(lu)
    n = lu.shape[-1]
    pb = xp.take_along_axis(b, perm[..., None], axis=-2)
    unit_lower = xp.tril(lu, -1) + xp.eye(n, dtype=lu.dtype)
    return substitute(lu, substitute(unit_lower, pb, upper=False), upper=True)


def _solve_or_lu(a: Any, b: Any, lu: Any, perm: Any) -> Any:
    """NumPy's solve of a X = b; where its LAPACK still meets an exact zero pivot that
    `lu_factor` (PyTorch's verdict, as near as minigrad gets) did not, the solution from
    `lu_factor`'s factors, as PyTorch returns one."""
    xp = get_array_module(a)
    try:
        return xp.linalg.solve(a, b)
    except np.linalg.LinAlgError:
        return lu_solve(lu, perm, b).astype(a.dtype, copy=False)


def cholesky_info(a: Any) -> tuple[Any, Any]:
    """LAPACK potrf's lower factor and info per matrix: the order of the first leading minor
    that is not positive-definite (columns from there on are left 0), 0 for none."""
    xp = get_array_module(a)
    n, batch = a.shape[-1], a.shape[:-2]
    L = xp.zeros_like(a)
    info = xp.zeros(batch, dtype=np.int32)
    for j in range(n):
        d = a[..., j, j] - (L[..., j, :j] ** 2).sum(-1)
        bad = ~(d > 0)
        info = xp.where((info == 0) & bad, j + 1, info).astype(np.int32)
        ok = info == 0
        r = xp.sqrt(xp.where(ok, d, 1))
        L[..., j, j] = xp.where(ok, r, L[..., j, j])
        col = (a[..., j + 1 :, j] - (L[..., j + 1 :, :j] @ L[..., j, :j, None])[..., 0]) / r[
            ..., None
        ]
        L[..., j + 1 :, j] = xp.where(ok[..., None], col, 0)
    return L, info


def _lapack_verdict(a: Any, L: Any, info: Any) -> tuple[Any, Any]:
    """LAPACK refused a matrix that `cholesky_info`'s arithmetic, rounding otherwise, found
    positive-definite (a pivot within a rounding of 0): LAPACK decides. Per matrix, the
    order of the first leading minor potrf refuses; L's columns from there on zeroed."""
    xp = get_array_module(a)
    n = a.shape[-1]
    info = info.copy()
    L = L.copy()
    for idx in np.ndindex(*a.shape[:-2]):
        for k in range(1, n + 1):
            try:
                xp.linalg.cholesky(a[idx][:k, :k])
            except np.linalg.LinAlgError:
                info[idx] = k
                L[idx][:, k - 1 :] = 0
                break
    return L, info


# ---------------------------------------------------------------------- inverse
class Inv(Function):
    """A^-1 of (..., n, n); d(A^-1) = -A^-1 dA A^-1, so gA = -A^-T gy A^-T. Without
    `check`, a singular matrix's inverse is NaN and `self.info` says which."""

    uses_inputs = False
    uses_outputs = True

    def __init__(self, check: bool = True) -> None:
        self.check = check

    def forward(self, a):
        xp = get_array_module(a)
        self.info = None
        try:
            return xp.linalg.inv(a)
        except np.linalg.LinAlgError:
            pass
        # NumPy's LAPACK met an exactly-zero pivot; PyTorch's (MKL) rounds otherwise and
        # often meets none: `lu_factor` decides, as LAPACK's getf2. A matrix holding NaN has
        # NaN for inverse (LAPACK sees no zero pivot in it)
        nans = _has_nan(a)
        eye = xp.eye(a.shape[-1], dtype=a.dtype)
        lu, perm, info = lu_factor(xp.where(nans[..., None, None], eye, a))
        self.info = info
        if self.check and (info != 0).any():
            where_, k = _first_bad(info)
            raise LinAlgError(
                f"linalg.inv: {where_}The diagonal element {k} is zero, the inversion could "
                "not be completed because the input matrix is singular."
            )
        bad = ((info != 0) | nans)[..., None, None]
        out = _solve_or_lu(xp.where(bad, eye, a), xp.broadcast_to(eye, a.shape), lu, perm)
        return xp.where(bad, a.dtype.type(np.nan), out)

    def backward(self, gy):
        ait = mT(self.output())
        return -matmul(matmul(ait, gy), ait)


def inv(A: Tensor) -> Tensor:
    """The inverse of each square matrix of A (..., n, n); LinAlgError when singular."""
    check_matrix(A, "linalg.inv")
    return Inv()(A)


# ---------------------------------------------------------------------- det, slogdet
class Det(Function):
    """det A of (..., n, n); gA = gy det(A) A^-T (the cofactor matrix)."""

    uses_outputs = True

    def forward(self, a):
        xp = get_array_module(a)
        d = xp.linalg.det(a)
        nans = _has_nan(a)  # LAPACK may pivot a NaN away and report 0: PyTorch's is NaN
        return xp.where(nans, a.dtype.type(np.nan), d) if nans.any() else d

    def backward(self, gy):
        (a,) = self.inputs
        d = self.output()
        # PyTorch's switch (linalg_det_backward): the cofactors from the SVD wherever
        # |det| < 100 eps, not only at an exact 0. There det A^-T multiplies ~1/eps by ~eps,
        # and its own derivative (the Hessian) cancels to multiples of 0.5
        xp = get_array_module(a._data)
        singular = xp.abs(d._data) < 100 * np.finfo(d._data.dtype).eps
        if not singular.any():
            return (gy * d)[..., None, None] * mT(inv(a))
        # det(U) det(Vh) U diag(prod_(j != i) s_j) Vh (no inverse needed)
        eye = xp.eye(a.shape[-1], dtype=bool)
        eye_f = xp.eye(a.shape[-1], dtype=a._data.dtype)
        safe = where(singular[..., None, None], eye_f, a)
        # the SVD of the singular matrices only: another one of the batch may hold a NaN,
        # which the SVD refuses
        U, S, Vh = SVD(False)(where(singular[..., None, None], a, eye_f))
        sign = xp.linalg.det(U._data) * xp.linalg.det(Vh._data)
        others = prod(where(eye, 1.0, S[..., None, :]), -1)
        cof_sing = matmul(U * (others * Tensor._make(sign, False)[..., None])[..., None, :], Vh)
        cof = where(singular[..., None, None], cof_sing, d[..., None, None] * mT(inv(safe)))
        return gy[..., None, None] * cof


class SlogDet(Function):
    """(sign, log|det A|); only log|det| has a gradient: gA = g A^-T."""

    def forward(self, a):
        xp = get_array_module(a)
        sign, logabs = xp.linalg.slogdet(a)
        nans = _has_nan(a)
        if nans.any():  # as PyTorch: sign 0 and log|det| NaN for a matrix holding NaN
            sign = xp.where(nans, sign.dtype.type(0), sign)
            logabs = xp.where(nans, logabs.dtype.type(np.nan), logabs)
        return sign, logabs

    def backward(self, gsign, glog):
        (a,) = self.inputs
        return glog[..., None, None] * mT(inv(a))


# ---------------------------------------------------------------------- solve
class Solve(Function):
    """X = A^-1 B for A (..., n, n), B (..., n, k) of one batch shape;
    gB = A^-T gy, gA = -gB X^T."""

    uses_outputs = True

    def inputs_read(self, needs):
        return True, False

    def forward(self, a, b):
        xp = get_array_module(a)
        try:
            return xp.linalg.solve(a, b)
        except np.linalg.LinAlgError:
            pass
        # as Inv: `lu_factor` decides whether a matrix is singular, as LAPACK's getf2
        nans = _has_nan(a)  # NaN in, NaN out (no zero pivot for LAPACK to report)
        eye = xp.eye(a.shape[-1], dtype=a.dtype)
        safe = xp.where(nans[..., None, None], eye, a)
        lu, perm, info = lu_factor(safe)
        if (info != 0).any():
            where_ = _first_bad(info)[0]
            raise LinAlgError(
                f"torch.linalg.solve: {where_}The solver failed because the input matrix is "
                "singular."
            )
        x = _solve_or_lu(safe, b, lu, perm)
        return xp.where(nans.reshape(nans.shape + (1,) * (x.ndim - nans.ndim)), np.nan, x)

    def backward(self, gy):
        a = self.inputs[0]
        gb = Solve()(mT(a), gy)
        na, nb = self.needs_input_grad
        ga = -matmul(gb, mT(self.output())) if na else None
        return ga, gb if nb else None


def substitute(t: Any, b: Any, upper: bool) -> Any:
    """X with t X = b by forward (lower t) or back (upper t) substitution, as BLAS trsm:
    a loop over the n rows, each vectorised over the batch and b's columns. A zero pivot
    or a NaN/inf entry makes inf/NaN only of the rows that depend on it, as PyTorch's."""
    xp = get_array_module(t)
    n = t.shape[-1]
    batch = np.broadcast_shapes(t.shape[:-2], b.shape[:-2])
    x = xp.zeros(batch + b.shape[-2:], np.result_type(t.dtype, b.dtype))
    with np.errstate(all="ignore"):
        for i in range(n - 1, -1, -1) if upper else range(n):
            done = slice(i + 1, n) if upper else slice(0, i)
            # products summed elementwise, not by BLAS, so that 0 * inf is NaN as in trsm
            acc = (t[..., i, done, None] * x[..., done, :]).sum(axis=-2)
            x[..., i, :] = (b[..., i, :] - acc) / t[..., i, i, None]
    return x


class SolveTriangular(Function):
    """X = A^-1 B for a triangular A (..., n, n) (the other triangle is not read) and
    B (..., n, k) of one batch shape. gB = A^-T gy; gA = -gB X^T on A's triangle."""

    uses_outputs = True

    def __init__(self, upper: bool, unitriangular: bool) -> None:
        self.upper, self.unit = upper, unitriangular

    def inputs_read(self, needs):
        return True, False

    def _triangle(self, a):
        xp = get_array_module(a)
        n = a.shape[-1]
        keep = xp.tri(n, n, -1 if self.unit else 0, dtype=bool)
        keep = keep.T if self.upper else keep
        t = xp.where(keep, a, a.dtype.type(0))
        return t + xp.eye(n, dtype=a.dtype) if self.unit else t

    def forward(self, a, b):
        return substitute(self._triangle(a), b, self.upper)

    def backward(self, gy):
        a = self.inputs[0]
        gb = SolveTriangular(not self.upper, self.unit)(mT(a), gy)
        ga = None
        if self.needs_input_grad[0]:
            full = -matmul(gb, mT(self.output()))
            d = -1 if self.unit else 0
            ga = triu(full, -d) if self.upper else tril(full, d)
        return ga, gb if self.needs_input_grad[1] else None


def solve_triangular(
    A: Tensor, B: Tensor, *, upper: bool, left: bool = True, unitriangular: bool = False
) -> Tensor:
    """torch.linalg.solve_triangular: X with A X = B (left) or X A = B; batch dims
    broadcast. X has A's dtype (float32 or float64): B, of any real dtype, is cast to it,
    as PyTorch's."""
    check_matrix(A, "linalg.solve_triangular")
    if not isinstance(B, Tensor):
        raise TypeError(f"linalg.solve_triangular: expected B a Tensor, got {type(B).__name__}")
    if B.ndim < 2:
        raise RuntimeError(
            "linalg.solve_triangular: The input tensor B must have at least 2 dimensions."
        )
    if B._data.dtype != A._data.dtype:
        B = cast(B, A._data.dtype)
    if not left:
        return mT(solve_triangular(mT(A), mT(B), upper=not upper, unitriangular=unitriangular))
    if A.shape[-1] != B.shape[-2]:
        raise ShapeError(
            f"linalg.solve_triangular: Incompatible shapes of A and B for the equation AX = B "
            f"({A.shape[-2]}x{A.shape[-1]} and {B.shape[-2]}x{B.shape[-1]})"
        )
    A, B = broadcast_batch(A, B)
    return SolveTriangular(upper, unitriangular)(A, B)


def broadcast_batch(A: Tensor, B: Tensor) -> tuple[Tensor, Tensor]:
    """A (..., n, n) and B (..., n, k) with their batch dims broadcast."""
    from .reduce import broadcast_to

    batch = tuple(np.broadcast_shapes(A.shape[:-2], B.shape[:-2]))
    if A.shape[:-2] != batch:
        A = broadcast_to(A, batch + A.shape[-2:])
    if B.shape[:-2] != batch:
        B = broadcast_to(B, batch + B.shape[-2:])
    return A, B


# ---------------------------------------------------------------------- cholesky
class Cholesky(Function):
    """The lower factor L of A = L L^T. gA = sym(L^-T Phi(L^T gL) L^-1) / 2 with Phi the
    lower triangle, its diagonal halved (PyTorch's cholesky_backward)."""

    uses_inputs = False
    uses_outputs = True

    def __init__(self, check: bool = True) -> None:
        self.check = check

    def forward(self, a):
        xp = get_array_module(a)
        self.info = None
        try:
            L = xp.linalg.cholesky(a)
        except np.linalg.LinAlgError:
            L = None
        if L is None or bool(xp.isnan(L).any()):  # LAPACK's potrf also stops at a NaN
            L, self.info = cholesky_info(a)
            if L is not None and not bool((self.info != 0).any()) and not xp.isnan(a).any():
                L, self.info = _lapack_verdict(a, L, self.info)
            if not self.check:
                return L
            if not bool((self.info != 0).any()):
                return L  # NaN from the input's own NaN entries past the factored part
            where_, k = _first_bad(self.info)
            raise LinAlgError(
                f"linalg.cholesky: {where_}The factorization could not be completed because the "
                f"input is not positive-definite (the leading minor of order {k} is not "
                "positive-definite)."
            )
        return L

    def backward(self, gL):
        L = self.output()
        phi = tril(matmul(mT(L), gL))
        n = L.shape[-1]
        half = get_array_module(L._data).eye(n, dtype=L._data.dtype) * -0.5 + 1
        phi = phi * half
        x = solve_triangular(mT(L), phi, upper=True)
        ga = solve_triangular(L, x, upper=False, left=False)
        return (ga + mT(ga)) * 0.5


# ---------------------------------------------------------------------- qr
class QR(Function):
    """Q, R of A (..., m, n), mode 'reduced', 'complete' or 'r' (the reduced factors; the
    caller drops Q, and the backward refuses, as PyTorch's). The gradient (for 'reduced',
    or m <= n) is PyTorch's: for m >= n, gA = (gQ + Q copyltu(M)) R^-T with
    M = R gR^T - gQ^T Q; for m < n, A = [X | Y] is split after m columns."""

    uses_inputs = False
    uses_outputs = True

    def __init__(self, mode: str) -> None:
        self.mode = mode

    def forward(self, a):
        mode = "reduced" if self.mode == "r" else self.mode
        q, r = get_array_module(a).linalg.qr(a, mode=mode)
        return q, r

    def backward(self, gQ, gR):
        if self.mode == "r":
            raise RuntimeError(
                "The derivative of linalg.qr depends on Q, which is not computed when "
                "mode='r'. Please use linalg.qr(A, mode='reduced') if you are going to "
                "differentiate through linalg.qr."
            )
        Q, R = self.output(0), self.output(1)
        m, n = Q.shape[-2], R.shape[-1]
        if self.mode == "complete" and m > n:
            raise RuntimeError(
                "The QR decomposition is not differentiable when mode='complete' and nrows > ncols."
            )
        if m >= n:
            return _qr_backward_tall(gQ, gR, Q, R)
        Y = matmul(Q, narrow(R, -1, m, n - m))  # R = [U | V], A = [X | Y] = [Q U | Q V]
        gV = narrow(gR, -1, m, n - m)
        gQ = gQ + matmul(Y, mT(gV))
        gX = _qr_backward_tall(gQ, narrow(gR, -1, 0, m), Q, narrow(R, -1, 0, m))
        return cat([gX, matmul(Q, gV)], -1)


def _qr_backward_tall(gQ: Tensor, gR: Tensor, Q: Tensor, R: Tensor) -> Tensor:
    M = matmul(R, mT(gR)) - matmul(mT(gQ), Q)
    low = tril(M, -1)
    sym = low + mT(low) + (M - tril(M, -1) - triu(M, 1))
    b = gQ + matmul(Q, sym)
    return solve_triangular(mT(R), b, upper=False, left=False)


# ---------------------------------------------------------------------- eigh
def _offdiag_inverse_gaps(L: Tensor) -> Tensor:
    """E_ij = L_j - L_i off the diagonal, 1 on it (a differentiable tensor)."""
    xp = get_array_module(L._data)
    n = L.shape[-1]
    eye = xp.eye(n, dtype=L._data.dtype)
    return L[..., None, :] - L[..., :, None] + eye


class Eigh(Function):
    """Eigenvalues (ascending) and orthonormal eigenvectors of the symmetric A (only the
    `uplo` triangle is read). gA = V (skew(V^T gV) / 2 / E + diag(gL)) V^T with
    E_ij = L_j - L_i, PyTorch's formula (finite for distinct eigenvalues)."""

    uses_inputs = False
    uses_outputs = True
    _materialize = False  # an unused output's gradient arrives as None (PyTorch's undefined)

    def __init__(self, uplo: str) -> None:
        self.uplo = uplo

    def forward(self, a):
        w, v = get_array_module(a).linalg.eigh(a, UPLO=self.uplo)
        return w, v

    def backward(self, gL, gV):
        from .extra import diag_embed

        L, V = self.output(0), self.output(1)
        inner = None
        if gV is not None:  # the gaps' term only when the vectors are used: it is NaN
            vgv = matmul(mT(V), gV)  # at a repeated eigenvalue, as PyTorch's
            inner = (vgv - mT(vgv)) * 0.5 / _offdiag_inverse_gaps(L)
        if gL is not None:  # the values alone: V diag(gL) V^T, finite at repeats too
            inner = diag_embed(gL) if inner is None else inner + diag_embed(gL)
        return matmul(V, matmul(inner, mT(V)))


# ---------------------------------------------------------------------- svd
class SVD(Function):
    """U, S, Vh of A (..., m, n) with k = min(m, n) singular values (descending). With
    `full_matrices` the gradient reads only the first k columns of U and rows of Vh, as
    PyTorch's derivative does. PyTorch's svd_backward."""

    uses_inputs = False
    uses_outputs = True
    _materialize = False  # an unused output's gradient arrives as None (PyTorch's undefined)

    def __init__(self, full_matrices: bool) -> None:
        self.full = full_matrices

    def forward(self, a):
        xp = get_array_module(a)
        bad = ~xp.isfinite(a).all(axis=(-2, -1)) if a.size else None
        if bad is None or not bad.any():
            return xp.linalg.svd(a, full_matrices=self.full)
        # a matrix holding inf or NaN: LAPACK's gesdd (OpenBLAS) may never return on it.
        # PyTorch refuses a NaN (its check, before LAPACK) and gives NaN for an inf
        nans = _has_nan(a)
        if nans.any():
            raise LinAlgError(
                f"linalg.svd: {_first_bad(nans)[0]}The algorithm failed to converge because the "
                "input matrix contained non-finite values."
            )
        u, s, vh = xp.linalg.svd(xp.where(bad[..., None, None], 0, a), full_matrices=self.full)
        u[bad], s[bad], vh[bad] = xp.nan, xp.nan, xp.nan
        return u, s, vh

    def backward(self, gU, gS, gVh):
        from .extra import diag_embed

        U, S, Vh = self.output(0), self.output(1), self.output(2)
        k = S.shape[-1]
        if self.full and U.shape[-1] != k:
            U = narrow(U, -1, 0, k)
            gU = None if gU is None else narrow(gU, -1, 0, k)
        if self.full and Vh.shape[-2] != k:
            Vh = narrow(Vh, -2, 0, k)
            gVh = None if gVh is None else narrow(gVh, -2, 0, k)
        if gU is None and gVh is None:
            # the singular values alone: U diag(gS) Vh, finite at repeated or zero values
            # (the general formula divides by their gaps), as PyTorch's
            return matmul(U, matmul(diag_embed(gS), Vh))
        zeros = get_array_module(S._data).zeros_like
        gU = Tensor._make(zeros(U._data), False) if gU is None else gU
        gVh = Tensor._make(zeros(Vh._data), False) if gVh is None else gVh
        gS = Tensor._make(zeros(S._data), False) if gS is None else gS
        return svd_backward(gU, gS, gVh, U, S, Vh)


def svd_backward(gU: Tensor, gS: Tensor, gVh: Tensor, U: Tensor, S: Tensor, Vh: Tensor) -> Tensor:
    from .extra import diag_embed

    m, n = U.shape[-2], Vh.shape[-1]
    V, gV = mT(Vh), mT(gVh)
    uhgu = matmul(mT(U), gU)
    vhgv = matmul(Vh, gV)
    uhgu = uhgu - mT(uhgu)
    vhgv = vhgv - mT(vhgv)
    xp = get_array_module(S._data)
    k = S.shape[-1]
    eye = xp.eye(k, dtype=S._data.dtype)
    E = (S[..., None, :] - S[..., :, None]) * (S[..., None, :] + S[..., :, None]) + eye
    inner = (uhgu * S[..., None, :] + S[..., :, None] * vhgv) / E + diag_embed(gS)
    if m > n:
        gusinv = gU / S[..., None, :]
        ga = matmul(U, inner) + gusinv - matmul(U, matmul(mT(U), gusinv))
        return matmul(ga, Vh)
    if m < n:
        gvsinv = gV / S[..., None, :]
        ga = matmul(inner, Vh) + mT(gvsinv) - matmul(matmul(mT(gvsinv), V), Vh)
        return matmul(U, ga)
    return matmul(U, matmul(inner, Vh))


# ---------------------------------------------------------------------- matrix_exp
_PADE13 = (
    64764752532480000.0,
    32382376266240000.0,
    7771770303897600.0,
    1187353796428800.0,
    129060195264000.0,
    10559470521600.0,
    670442572800.0,
    33522128640.0,
    1323241920.0,
    40840800.0,
    960960.0,
    16380.0,
    182.0,
    1.0,
)
_THETA13 = 5.371920351148152


def expm_array(a: Any) -> Any:
    """exp(A) for (..., n, n) by scaling and squaring with the degree-13 Pade approximant
    (Higham 2005), in float64; each matrix scaled by its own power of two."""
    xp = get_array_module(a)
    A = a.astype(np.float64)
    n = A.shape[-1]
    if n == 0 or A.size == 0:
        return a.copy()
    norm1 = xp.abs(A).sum(-2).max(-1)
    with np.errstate(divide="ignore"):
        s = xp.maximum(0, xp.ceil(xp.log2(norm1 / _THETA13)))
    s = xp.where(xp.isfinite(s), s, 0).astype(np.int64)
    A = A / (2.0**s)[..., None, None]
    b = _PADE13
    eye = xp.eye(n)
    A2 = A @ A
    A4 = A2 @ A2
    A6 = A4 @ A2
    U = A @ (
        A6 @ (b[13] * A6 + b[11] * A4 + b[9] * A2) + b[7] * A6 + b[5] * A4 + b[3] * A2 + b[1] * eye
    )
    V = A6 @ (b[12] * A6 + b[10] * A4 + b[8] * A2) + b[6] * A6 + b[4] * A4 + b[2] * A2 + b[0] * eye
    X = xp.linalg.solve(V - U, V + U)
    for k in range(int(s.max()) if s.size else 0):
        X = xp.where((k < s)[..., None, None], X @ X, X)
    return X.astype(a.dtype)


class MatrixExp(Function):
    """exp(A); gA is the top-right block of exp([[A^T, gy], [0, A^T]]) (PyTorch's
    backward for analytic matrix functions), itself differentiable."""

    def forward(self, a):
        return expm_array(a)

    def backward(self, gy):
        (a,) = self.inputs
        n = a.shape[-1]
        at = mT(a)
        zero = at * 0
        block = cat([cat([at, gy], -1), cat([zero, at], -1)], -2)
        return narrow(narrow(MatrixExp()(block), -2, 0, n), -1, n, n)


__all__ = [
    "QR",
    "SVD",
    "Cholesky",
    "Det",
    "Eigh",
    "Inv",
    "LinAlgError",
    "MatrixExp",
    "SlogDet",
    "Solve",
    "SolveTriangular",
    "broadcast_batch",
    "check_matrix",
    "cholesky_info",
    "inv",
    "lu_factor",
    "lu_info",
    "lu_solve",
    "mT",
    "solve_triangular",
    "svd_backward",
]
