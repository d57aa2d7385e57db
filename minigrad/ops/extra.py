"""More of PyTorch's functions: the addmm family, tensordot, kron, cross, block_diag,
rot90, diag_embed, trapezoid, cov, quantile, mode, histc, logaddexp, logcumsumexp,
hypot, copysign, fmax, gcd, the bitwise ops and their kin.

Most are compositions of minigrad's differentiable ops, so first and second derivatives
come free; a Function appears only where composing would be wrong (logaddexp at +-inf,
hypot's overflow, copysign's sign bits) or would loop over a scan (logcumsumexp).
"""

from __future__ import annotations

import builtins
import math
import warnings
from typing import Any

import numpy as np

from .. import return_types
from ..autograd import Function, is_grad_enabled, no_derivative, zero_link
from ..backend import as_numpy, default_float, get_array_module
from ..errors import ShapeError, Unsupported, ValueRangeError, broadcast_errors
from ..tensor import Tensor, _int_arg, _to_array, _type_name
from .elementwise import (
    Mask,
    Pow,
    add,
    check_scalar_factor,
    exp,
    keep_bits,
    log,
    mul,
    ordered,
    power,
    promote,
    promote_float,
    real_only,
    result_dtype,
    scale,
    sub,
    to_float,
    where,
)
from .elementwise import (
    div as _div,
)
from .indexing import flip, gather, index_select, roll
from .linalg import einsum as _einsum_str
from .linalg import matmul
from .pointwise import complex_log1p, lerp, trunc
from .reduce import (
    amax,
    amin,
    broadcast_to,
    norm,
    normalize_dim,
    normalize_dims,
    reduce_sum,
    sum_to,
)
from .shape import cast, cat, clone, getitem, pad, permute, reshape, sort, stack
from .structural import MedianAll, meshgrid, movedim, refuse_complex, unique_dim


def _tensor(x: Any, op: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(x).__name__}")
    return x


def _zero_like_dtype(x: Tensor) -> Tensor:
    return Tensor._make(get_array_module(x._data).zeros((), dtype=x.dtype), False)


# ---------------------------------------------------------------------- addmm family
def _same_dtypes(what: str, *tensors: Tensor) -> None:
    dtypes = [t.dtype for t in tensors]
    if len(set(dtypes)) > 1:
        got = " and ".join(str(d) for d in dtypes)
        raise RuntimeError(f"{what}: expected operands of one dtype, got {got}")


def _add_product(what: str, input: Tensor, product: Tensor, beta: Any, alpha: Any) -> Tensor:  # noqa: A002
    """beta * input + alpha * product, as PyTorch's addmm family: input broadcasts to the
    product's shape, and with beta = 0 its values (NaN and inf included) are ignored."""
    try:
        fits = np.broadcast_shapes(input.shape, product.shape) == product.shape
    except ValueError:
        fits = False
    if not fits:
        raise ShapeError(
            f"{what}: input of shape {input.shape} does not expand to the product's shape "
            f"{product.shape}"
        )
    if what == "addr":  # addr alone checks them, as PyTorch's
        check_scalar_factor("addr", "beta", beta, product.dtype)
        check_scalar_factor("addr", "alpha", alpha, product.dtype)
    if product.dtype.kind == "b":  # a logical and / or
        beta, alpha = builtins.bool(beta), builtins.bool(alpha)
    elif product.dtype.kind in "iu":  # PyTorch reads beta and alpha as integers here
        beta, alpha = builtins.int(beta), builtins.int(alpha)
    if alpha != 1:
        product = product * alpha
    if beta == 0:
        keep = get_array_module(product._data).zeros(product.shape, dtype=bool)
        return where(keep, broadcast_to(input, product.shape), product)
    if beta != 1:
        input = input * beta  # noqa: A001
    return add(input, product)


def _add_matmul(what: str, input: Tensor, a: Tensor, b: Tensor, beta: Any, alpha: Any) -> Tensor:  # noqa: A002
    """beta * input + alpha * (a @ b) (`_add_product`). float16 is worked in float32 and
    rounded once, as PyTorch's CPU kernels add beta * input to their float32 sums: rounding
    the product first lost what an input of the opposite sign cancels (a @ b = 1 + 2^-12
    and input -1 gave 0, not 2^-12)."""
    if input.dtype != np.float16:
        return _add_product(what, input, matmul(a, b), beta, alpha)
    f32 = np.float32
    out = _add_product(what, cast(input, f32), matmul(cast(a, f32), cast(b, f32)), beta, alpha)
    return cast(out, np.float16)


def _check_dims(what: str, **tensors: Tensor) -> None:
    for name, (t, nd) in tensors.items():
        if t.ndim != nd:
            raise RuntimeError(f"{what}: {name} must be a {nd}-D tensor, got shape {t.shape}")


def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:  # noqa: A002
    """beta * input + alpha * (mat1 @ mat2); mat1 (N, M), mat2 (M, P)."""
    _check_dims("addmm", mat1=(mat1, 2), mat2=(mat2, 2))
    _same_dtypes("addmm", input, mat1, mat2)
    return _add_matmul("addmm", input, mat1, mat2, beta, alpha)


def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:  # noqa: A002
    """beta * input + alpha * (mat @ vec); mat (N, M), vec (M,)."""
    _check_dims("addmv", mat=(mat, 2), vec=(vec, 1))
    _same_dtypes("addmv", input, mat, vec)
    return _add_matmul("addmv", input, mat, vec, beta, alpha)


def addr(input: Tensor, vec1: Tensor, vec2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:  # noqa: A002
    """beta * input + alpha * outer(vec1, vec2), in the three operands' promoted dtype: unlike
    addmm and addmv, PyTorch's addr type-promotes (float32 input, float64 vectors: float64).
    It expands input to the product's shape first, so a 0-d input promotes as one with dims
    (a float64 0-d input with float32 vectors gives float64)."""
    _check_dims("addr", vec1=(vec1, 1), vec2=(vec2, 1))
    dt = result_dtype(input if input.ndim else input._data.reshape(1), vec1, vec2)
    input, vec1, vec2 = cast(input, dt), cast(vec1, dt), cast(vec2, dt)  # noqa: A001
    product = mul(reshape(vec1, (-1, 1)), reshape(vec2, (1, -1)))
    return _add_product("addr", input, product, beta, alpha)


def _check_batches(what: str, b1: Tensor, b2: Tensor) -> None:
    _check_dims(what, batch1=(b1, 3), batch2=(b2, 3))
    if b1.shape[0] != b2.shape[0]:
        raise RuntimeError(
            f"{what}: batch1 and batch2 must have the same number of batches, got "
            f"{b1.shape[0]} and {b2.shape[0]}"
        )


def baddbmm(
    input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1
) -> Tensor:  # noqa: A002, E501
    """beta * input + alpha * (batch1 @ batch2); (B, N, M) and (B, M, P)."""
    _check_batches("baddbmm", batch1, batch2)
    _same_dtypes("baddbmm", input, batch1, batch2)
    return _add_matmul("baddbmm", input, batch1, batch2, beta, alpha)


def addbmm(
    input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1
) -> Tensor:  # noqa: A002, E501
    """beta * input + alpha * sum_b batch1[b] @ batch2[b]."""
    _check_batches("addbmm", batch1, batch2)
    _same_dtypes("addbmm", input, batch1, batch2)
    products = matmul(batch1, batch2)
    # summed in the products' own dtype: int32 stays int32 (sum's rule would give int64)
    keep = products.dtype if products.dtype.kind in "biu" else None
    product = reduce_sum(products, 0, dtype=keep)
    return _add_product("addbmm", input, product, beta, alpha)


# ---------------------------------------------------------------------- products
def tensordot(a: Tensor, b: Tensor, dims: Any = 2) -> Tensor:
    """Sum of a * b over the paired dims: `dims` an int (a's last and b's first dims) or
    two lists of dims. The free dims of a come first, then b's."""
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > builtins.min(a.ndim, b.ndim):
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        da, db = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        da, db = dims
        da = [da] if isinstance(da, int) else list(da)
        db = [db] if isinstance(db, int) else list(db)
        if len(da) != len(db):
            raise RuntimeError("both dimension lists should have same length")
        da = list(normalize_dims(tuple(da), a.ndim, "tensordot") or ())
        db = list(normalize_dims(tuple(db), b.ndim, "tensordot") or ())
    for i, j in zip(da, db, strict=True):
        if a.shape[i] != b.shape[j]:
            raise RuntimeError(
                f"contracted dimensions need to match, but first has size {a.shape[i]} in dim "
                f"{i} and second has size {b.shape[j]} in dim {j}"
            )
    _same_dtypes("tensordot", a, b)
    free_a = [i for i in range(a.ndim) if i not in da]
    free_b = [j for j in range(b.ndim) if j not in db]
    k = math.prod(a.shape[i] for i in da)
    sa, sb = [a.shape[i] for i in free_a], [b.shape[j] for j in free_b]
    pa = reshape(permute(a, tuple(free_a + da)), (math.prod(sa), k))
    pb = reshape(permute(b, tuple(db + free_b)), (k, math.prod(sb)))
    return reshape(matmul(pa, pb), tuple(sa + sb))


def kron(a: Tensor, b: Tensor) -> Tensor:
    """The Kronecker product: a block per element of a, that element times b."""
    nd = builtins.max(a.ndim, b.ndim)
    sa = (1,) * (nd - a.ndim) + a.shape
    sb = (1,) * (nd - b.ndim) + b.shape
    a2 = reshape(a, tuple(v for n in sa for v in (n, 1)))
    b2 = reshape(b, tuple(v for n in sb for v in (1, n)))
    return reshape(mul(a2, b2), tuple(m * n for m, n in zip(sa, sb, strict=True)))


def cross(input: Tensor, other: Tensor, dim: int | None = None) -> Tensor:  # noqa: A002
    """The cross product of 3-vectors along `dim`; the two broadcast. Without `dim`, as
    torch.cross, the first dim of size 3 (with PyTorch's deprecation warning);
    `linalg.cross` takes -1."""
    if input.ndim != other.ndim:
        raise RuntimeError(
            f"linalg.cross: inputs must have the same number of dimensions, got {input.ndim} "
            f"and {other.ndim}"
        )
    _same_dtypes("cross", input, other)
    shape = tuple(np.broadcast_shapes(input.shape, other.shape))
    if dim is None:
        warnings.warn(
            "Using torch.cross without specifying the dim arg is deprecated. Please either "
            "pass the dim explicitly or simply use torch.linalg.cross.",
            UserWarning,
            stacklevel=2,
        )
        found = [i for i, n in enumerate(input.shape) if n == 3]
        if not found:
            raise RuntimeError(f"no dimension of size 3 in input of shape {input.shape}")
        d = found[0]
    else:
        d = normalize_dim(dim, len(shape), "cross")
    if input.shape[d] != 3 or other.shape[d] != 3:
        raise RuntimeError(
            f"linalg.cross: inputs dimension {d} must have length 3. Got {input.shape[d]} and "
            f"{other.shape[d]}"
        )
    a, b = broadcast_to(input, shape), broadcast_to(other, shape)
    return roll(a, -1, d) * roll(b, -2, d) - roll(a, -2, d) * roll(b, -1, d)


def vander(x: Tensor, N: int | None = None, increasing: bool = False) -> Tensor:  # noqa: N803
    """The Vandermonde matrix of the 1-d x: columns x^(N-1), ..., x, 1 (or 1, x, ...,
    x^(N-1) with `increasing`), N = len(x) by default; a running product, as PyTorch's, so
    differentiable; integer and bool x give int64."""
    if x.ndim != 1:
        raise RuntimeError(f"vander: x must be a one-dimensional tensor, got shape {x.shape}")
    n = x.shape[0] if N is None else int(N)
    if n < 0:
        raise RuntimeError(f"vander: N must be non-negative, got {N}")
    col = x.unsqueeze(1)
    if x.dtype.kind in "biu":
        col = cast(col, np.int64)
    if n == 0:
        return col[:, :0]
    powers = cat([col * 0 + 1, col.expand(-1, n - 1)], 1).cumprod(1)
    return powers if increasing else flip(powers, (1,))


def inner(a: Tensor, b: Tensor) -> Tensor:
    """Sum of a * b over the last dims (a product when either is 0-d)."""
    if a.ndim == 0 or b.ndim == 0:
        return mul(a, b)
    if a.shape[-1] != b.shape[-1]:
        raise RuntimeError(
            f"inner() the last dimension must match on both input tensors but got shapes "
            f"{list(a.shape)} and {list(b.shape)}"
        )
    return tensordot(a, b, ([-1], [-1]))


def vdot(a: Tensor, b: Tensor) -> Tensor:
    """dot of two 1-D tensors, the first conjugated (complex: sum(conj(a) * b), values only:
    minigrad has no complex gradients)."""
    from .structural import dot

    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    _same_dtypes("vdot", a, b)
    if a.dtype.kind == "c":  # (it multiplied without the conjugate: vdot(3+4j, 1j) was -4+3j)
        if a.requires_grad or b.requires_grad:
            raise NotImplementedError("vdot: gradients through complex tensors are not supported")
        if a.shape != b.shape:
            raise RuntimeError(f"inconsistent tensor size: {a.shape} and {b.shape}")
        xp = get_array_module(a._data)
        return Tensor._make(xp.asarray(xp.vdot(a._data, b._data)), False)
    return dot(a, b)


def dist(input: Tensor, other: Tensor, p: Any = 2) -> Tensor:  # noqa: A002
    """The p-norm of input - other (broadcast)."""
    diff = sub(input, other)
    if diff.dtype.kind not in "fc":
        raise RuntimeError(
            f"norm(): input dtype should be either floating point or complex. Got {diff.dtype} "
            "instead."
        )
    return norm(diff, p)


# ---------------------------------------------------------------------- construction
def block_diag(*tensors: Tensor) -> Tensor:
    """The tensors (0-d, 1-d as one row, or 2-d) down the diagonal of one matrix."""
    if not tensors:
        return Tensor._make(np.zeros((1, 0), dtype=default_float()), False)
    mats = []
    for i, t in enumerate(tensors):
        if t.ndim > 2:
            raise RuntimeError(
                f"torch.block_diag: Input tensors must have 2 or fewer dimensions. Input {i} "
                f"has {t.ndim} dimensions"
            )
        mats.append(reshape(t, (1, 1) if t.ndim == 0 else (1, -1)) if t.ndim < 2 else t)
    dt = result_dtype(*tensors)
    width = builtins.sum(m.shape[1] for m in mats)
    rows, col = [], 0
    for m in mats:
        w = m.shape[1]
        rows.append(pad(cast(m, dt), (col, width - col - w)))
        col += w
    return cat(rows, 0)


def cartesian_prod(*tensors: Tensor) -> Tensor:
    """Every combination of one element from each 1-D tensor, one per row."""
    for t in tensors:
        if t.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    _same_dtypes("meshgrid", *tensors)
    grids = meshgrid(*tensors, indexing="ij")
    return stack([reshape(g, (-1,)) for g in grids], 1)


def combinations(input: Tensor, r: int = 2, with_replacement: bool = False) -> Tensor:  # noqa: A002
    """The length-r combinations of a 1-D tensor's elements, one per row, in
    itertools.combinations' order (`with_replacement`: combinations_with_replacement's)."""
    if input.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    xp = get_array_module(input._data)
    if r == 0:
        return Tensor._make(xp.zeros((0,), dtype=input.dtype), False)
    n = input.shape[0]
    grid = np.indices((n,) * r).reshape(r, -1)  # every r-tuple, in lexicographic order
    steps = np.diff(grid, axis=0)
    keep = (steps >= 0 if with_replacement else steps > 0).all(axis=0)
    idx = grid[:, keep].T
    picked = index_select(input, 0, xp.asarray(idx.reshape(-1)))
    return reshape(picked, (idx.shape[0], r))


def rot90(input: Tensor, k: int = 1, dims: Any = (0, 1)) -> Tensor:  # noqa: A002
    """input rotated by k quarter turns in the plane of `dims`, from the first towards
    the second."""
    k = _int_arg("rot90", "k", k)
    dims = list(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if input.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {input.ndim}")
    d0, d1 = normalize_dims(tuple(dims), input.ndim, "rot90")
    if d0 == d1:
        raise RuntimeError(
            f"expected rotation dims to be different, but got dim0 = {d0} and dim1 = {d1}"
        )
    k %= 4
    if k == 1:
        return flip(input, (d1,)).transpose(d0, d1)
    if k == 2:
        return flip(input, (d0, d1))
    if k == 3:
        return flip(input, (d0,)).transpose(d0, d1)
    return clone(input)


def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:  # noqa: A002
    """Each vector along input's last dim placed on a diagonal (`offset` above the main
    one) of a matrix spanning the new dims dim1 and dim2; zeros elsewhere."""
    if input.ndim == 0:
        raise RuntimeError("diag_embed: expected a tensor with at least one dimension")
    nd = input.ndim + 1
    d1, d2 = normalize_dims((dim1, dim2), nd, "diag_embed")
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    n = input.shape[-1] + builtins.abs(offset)
    padded = pad(input, (0, offset) if offset >= 0 else (-offset, 0))
    on = get_array_module(input._data).eye(n, k=offset, dtype=bool)
    out = where(on, reshape(padded, padded.shape + (1,)), _zero_like_dtype(input))
    return movedim(out, (-2, -1), (d1, d2))


def diagflat(input: Tensor, offset: int = 0) -> Tensor:  # noqa: A002
    """The flattened input on the `offset` diagonal of a square matrix."""
    return diag_embed(reshape(input, (-1,)), offset)


def _spacing(y: Tensor, x: Any, dx: Any, d: int, what: str) -> Any:
    """The steps along dim d: x's differences (broadcast against y's), or dx (default 1)."""
    if x is not None and dx is not None:
        raise TypeError(f"{what}: pass either x or dx, not both")
    if x is None:
        return 1 if dx is None else dx
    if not isinstance(x, Tensor):
        raise TypeError(f"{what}: x must be a Tensor")
    n = y.shape[d]
    if x.ndim == 1:
        if x.shape[0] != n:
            raise RuntimeError(
                f"{what}: There must be one `x` value for each sample point, got {x.shape[0]} "
                f"and {n}"
            )
        x = reshape(x, tuple(n if i == d else 1 for i in range(y.ndim)))
    m = x.shape[d - y.ndim + x.ndim]
    idx = (Ellipsis, slice(1, None)) + (slice(None),) * (y.ndim - 1 - d)
    lo = (Ellipsis, slice(0, m - 1)) + (slice(None),) * (y.ndim - 1 - d)
    return getitem(x, idx) - getitem(x, lo)


def _pairs(y: Tensor, d: int) -> tuple[Tensor, Tensor]:
    n = y.shape[d]
    tail = (slice(None),) * (y.ndim - 1 - d)
    return getitem(y, (Ellipsis, slice(1, n)) + tail), getitem(
        y, (Ellipsis, slice(0, n - 1)) + tail
    )


def _no_bool(y: Tensor, x: Any, what: str) -> None:
    """PyTorch's refusal of bool samples or sample points (a bool or uint8 x's differences
    wrap: [5, 3] gave a step of 254)."""
    if isinstance(x, Tensor) and (x.dtype.kind == "b" or y.dtype.kind == "b"):
        raise RuntimeError(
            f"{what}: received a bool input for `x` or `y`, but bool is not supported (y of "
            f"dtype {y.dtype}, x of dtype {x.dtype})"
        )
    if y.dtype.kind == "b":
        raise RuntimeError(f"{what}: received a bool input for `y`, but bool is not supported")


def trapezoid(y: Tensor, x: Any = None, *, dx: Any = None, dim: int = -1) -> Tensor:
    """The trapezoid rule along `dim`, at sample points x or with spacing dx (default 1);
    PyTorch's order of operations."""
    d = normalize_dim(dim, y.ndim, "trapezoid")
    if y.shape[d] == 0:
        shape = y.shape[:d] + y.shape[d + 1 :]
        xp = get_array_module(y._data)
        return Tensor._make(xp.zeros(shape, dtype=to_float(y).dtype), False)
    _no_bool(y, x, "trapezoid")
    step = _spacing(y, x, dx, d, "trapezoid")
    if not isinstance(step, Tensor):
        first = getitem(y, (Ellipsis, 0) + (slice(None),) * (y.ndim - 1 - d))
        last = getitem(y, (Ellipsis, -1) + (slice(None),) * (y.ndim - 1 - d))
        return (reduce_sum(y, d) - (first + last) * 0.5) * step
    hi, lo = _pairs(y, d)
    return reduce_sum((step * (hi + lo)) / 2.0, d)


def trapz(y: Tensor, x: Any = None, *, dx: Any = None, dim: int = -1) -> Tensor:
    """Alias of trapezoid (PyTorch's older name)."""
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y: Tensor, x: Any = None, *, dx: Any = None, dim: int = -1) -> Tensor:
    """The running trapezoid rule along `dim` (one element fewer than y there)."""
    from .indexing import cumsum

    d = normalize_dim(dim, y.ndim, "cumulative_trapezoid")
    _no_bool(y, x, "cumulative_trapezoid")
    step = _spacing(y, x, dx, d, "cumulative_trapezoid")
    hi, lo = _pairs(y, d)
    if isinstance(step, Tensor):
        return cumsum((step * (hi + lo)) / 2.0, d)
    return cumsum((step / 2.0) * (lo + hi), d)


# ---------------------------------------------------------------------- statistics
def cov(
    input: Tensor,  # noqa: A002
    *,
    correction: int = 1,
    fweights: Tensor | None = None,
    aweights: Tensor | None = None,
) -> Tensor:
    """Covariance of the rows (variables) of a 2-D input whose columns are observations,
    with frequency and/or observation weights, as PyTorch's."""
    if input.ndim > 2:
        raise RuntimeError(
            "cov(): expected input to have two or fewer dimensions but got an input with "
            f"{input.ndim} dimensions"
        )
    if input.dtype.kind == "b":
        raise RuntimeError("cov(): bool dtype is not supported for input")
    x = reshape(input, (1, -1)) if input.ndim < 2 else input
    n = x.shape[1]
    for name, weights, kinds, what in (
        ("fweights", fweights, "iu", "integer"),
        ("aweights", aweights, "f", "floating point"),
    ):
        if weights is None:
            continue
        if weights.ndim > 1 or weights.dtype.kind not in kinds:
            raise RuntimeError(f"cov(): expected {name} to be a 1-D {what} tensor")
        if weights.numel() != n:
            raise RuntimeError(
                f"cov(): expected {name} to have the same numel as there are observations in "
                f"the input but got {weights.numel()} != {n}"
            )
        if bool((weights._data < 0).any()):
            raise RuntimeError(f"cov(): {name} cannot be negative")
    w = fweights
    if aweights is not None:
        w = aweights if w is None else w * aweights
    if w is None:
        w_sum: Any = n
        avg = reduce_sum(x, 1) / n
        norm_factor: Any = n - correction
    else:
        w_sum = reduce_sum(w)
        if float(w_sum.item()) == 0:
            raise RuntimeError("cov(): weights sum to zero, can't be normalized")
        avg = reduce_sum(x * w, 1) / w_sum
        if correction == 0:
            norm_factor = w_sum
        elif aweights is None:
            norm_factor = w_sum - correction
        else:
            norm_factor = w_sum - correction * reduce_sum(w * aweights) / w_sum
    if float(norm_factor.item() if isinstance(norm_factor, Tensor) else norm_factor) <= 0:
        warnings.warn(
            "cov(): degrees of freedom is <= 0. Correction should be strictly less than the "
            "number of observations.",
            UserWarning,
            stacklevel=2,
        )
        norm_factor = 0
    xm = x - reshape(avg, (-1, 1))
    c = matmul(xm, (xm if w is None else xm * w).T)
    out = c / norm_factor
    return reshape(out, tuple(s for s in out.shape if s != 1))


def corrcoef(input: Tensor) -> Tensor:  # noqa: A002
    """Pearson correlation coefficients of the rows, clipped to [-1, 1]."""
    from .elementwise import clip, sqrt
    from .structural import diagonal

    c = cov(input)
    if c.ndim == 0:
        return c / c
    sd = sqrt(diagonal(c))
    c = c / reshape(sd, (-1, 1))
    c = c / reshape(sd, (1, -1))
    return clip(c, -1, 1)


_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(
    x: Tensor, q: Any, dim: Any, keepdim: bool, interpolation: str, ignore_nan: bool, what: str
) -> Tensor:
    if x.dtype not in (np.float32, np.float64):
        raise RuntimeError(f"{what}() input tensor must be either float or double dtype")
    if interpolation not in _INTERPOLATIONS:  # PyTorch's RuntimeError (a ValueError too)
        raise ValueRangeError(
            f"{what}() interpolation must be one of linear, lower, higher, midpoint or "
            f"nearest. Got {interpolation}"
        )
    xp = get_array_module(x._data)
    if isinstance(q, Tensor):
        if q.ndim > 1:
            raise RuntimeError(f"{what}() q must be a scalar or 1D tensor")
        if q.dtype != x.dtype:
            raise RuntimeError(f"{what}() q tensor must be same dtype as the input tensor")
        qa, scalar_q = xp.asarray(q._data).reshape(-1), q.ndim == 0
    else:
        qa, scalar_q = xp.asarray([q], dtype=x.dtype), True
    if x.numel() == 0:
        raise RuntimeError(f"{what}() input tensor must be non-empty")
    outside = ~((qa >= 0) & (qa <= 1))  # NaN too (it indexed with -2^63)
    if qa.size and bool(outside.any()):
        bad = float(qa[outside][0])
        raise RuntimeError(f"{what}() q must be in the range [0, 1] but got {bad}")
    if dim is None or x.ndim == 0:
        if dim is not None:
            normalize_dim(dim, 0, what)
        flat = reshape(x, (-1,))
        kept = (1,) * x.ndim
        out_shape = kept if keepdim else ()
    else:
        d = normalize_dim(dim, x.ndim, what)
        flat = movedim(x, d, -1)
        kept = x.shape[:d] + (1,) + x.shape[d + 1 :]
        out_shape = kept if keepdim else x.shape[:d] + x.shape[d + 1 :]
    s = sort(flat, -1).values
    batch, n = s.shape[:-1], s.shape[-1]
    qa = qa.reshape((-1,) + (1,) * (len(batch) + 1))
    nan = xp.isnan(s._data)
    if ignore_nan:
        count = (~nan).sum(axis=-1, keepdims=True) - 1
        ranks = qa * count.astype(x.dtype)
        ranks = xp.where(ranks < 0, x.dtype.type(0), ranks)
    else:
        ranks = qa * x.dtype.type(n - 1)
        ranks = xp.where(nan.any(axis=-1, keepdims=True), x.dtype.type(n - 1), ranks)
    if interpolation == "lower":
        ranks = xp.floor(ranks)
    elif interpolation == "higher":
        ranks = xp.ceil(ranks)
    elif interpolation == "nearest":
        ranks = xp.round(ranks)
    full = (qa.shape[0],) + batch + (n,)
    s = broadcast_to(reshape(s, (1,) + s.shape), full)
    below = ranks.astype(np.int64)
    shape = (qa.shape[0],) + batch + (1,)
    values = gather(s, -1, Tensor._make(xp.broadcast_to(below, shape).copy(), False))
    if interpolation in ("linear", "midpoint"):
        weight = xp.full(shape, 0.5, x.dtype) if interpolation == "midpoint" else ranks - below
        weight = weight.astype(x.dtype)
        above = xp.broadcast_to(xp.ceil(ranks).astype(np.int64), shape).copy()
        upper = gather(s, -1, Tensor._make(above, False))
        values = lerp(values, upper, Tensor._make(xp.broadcast_to(weight, shape).copy(), False))
    return reshape(values, (() if scalar_q else (qa.shape[0],)) + out_shape)


def quantile(
    input: Tensor,  # noqa: A002
    q: Any,
    dim: int | None = None,
    keepdim: bool = False,
    *,
    interpolation: str = "linear",
) -> Tensor:
    """The q-th quantiles along `dim` (all elements if None); a 1-D q gives a leading
    dim of quantiles. NaN anywhere in a slice gives NaN."""
    return _quantile(input, q, dim, keepdim, interpolation, False, "quantile")


def nanquantile(
    input: Tensor,  # noqa: A002
    q: Any,
    dim: int | None = None,
    keepdim: bool = False,
    *,
    interpolation: str = "linear",
) -> Tensor:
    """quantile ignoring NaNs (NaN only where a slice holds nothing else)."""
    return _quantile(input, q, dim, keepdim, interpolation, True, "nanquantile")


class NanMedianAll(MedianAll):
    """The lower median of the elements that are not NaN (NaN if there are none); the
    gradient is spread evenly over the elements equal to it, as PyTorch's."""

    op_name = "nanmedian"

    def forward(self, x):
        if x.dtype.kind != "f":
            return super().forward(x)
        xp = get_array_module(x)
        flat = x.reshape(-1)
        self.shape = x.shape
        count = int((~xp.isnan(flat)).sum())
        if count == 0:
            m = xp.asarray(np.nan, dtype=x.dtype)
            hit = xp.isnan(x)
        else:
            m = xp.sort(flat)[(count - 1) // 2]
            hit = x == m
        self.share = (hit / builtins.max(int(hit.sum()), 1)).astype(x.dtype)
        return xp.asarray(m, dtype=x.dtype)


def nanmedian(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A002
    """median ignoring NaNs: of all elements (0-d), or (values, indices) along `dim`; an
    all-NaN slice gives NaN at index 0."""
    from .structural import median, median_along

    x = _tensor(input, "nanmedian")
    ordered(x.dtype, "nanmedian")
    if x.dtype.kind == "b":  # as median, and PyTorch, with or without a dim
        raise RuntimeError("nanmedian: not implemented for bool tensors (as in PyTorch)")
    if x.dtype.kind != "f" or dim is None:
        if dim is None:
            return NanMedianAll()(x)
        return return_types.nanmedian(*median(x, dim, keepdim))
    return median_along(x, dim, keepdim, "nanmedian", skip_nan=True)


def mode(input: Tensor, dim: int = -1, keepdim: bool = False) -> return_types.mode:  # noqa: A002
    """The most frequent value along `dim` (the smallest among equally frequent ones) and
    the index of its last occurrence, as PyTorch's. The gradient goes to that element."""
    x = _tensor(input, "mode")
    xp = get_array_module(x._data)
    if x.ndim == 0:
        normalize_dim(dim, 0, "mode")  # one int: a tuple is a TypeError, as in PyTorch
        return return_types.mode(clone(x), Tensor._make(xp.zeros((), np.int64), False))
    d = normalize_dim(dim, x.ndim, "mode")
    n = x.shape[d]
    if n == 0:
        raise IndexError(f"mode(): Expected reduction dim {d} to have non-zero size.")
    a = xp.moveaxis(x._data, d, -1)
    s = xp.sort(a, axis=-1)
    pos = xp.arange(n)
    start = xp.ones(s.shape, dtype=bool)
    start[..., 1:] = s[..., 1:] != s[..., :-1]
    first = xp.maximum.accumulate(xp.where(start, pos, 0), axis=-1)
    best = xp.argmax(pos - first, axis=-1)[..., None]  # first to reach the longest run
    value = xp.take_along_axis(s, best, axis=-1)
    same = a == value
    if a.dtype.kind in "fc":  # a NaN mode (all NaN, or NaNs outnumbering the rest)
        same |= xp.isnan(a) & xp.isnan(value)
    idx = xp.where(same, pos, -1).max(axis=-1, keepdims=True)
    idx = xp.moveaxis(idx, -1, d).astype(np.int64)
    values = gather(x, d, Tensor._make(idx, False))
    if not keepdim:
        values = reshape(values, x.shape[:d] + x.shape[d + 1 :])
        idx = idx.reshape(values.shape)
    return return_types.mode(values, Tensor._make(idx, False))


def aminmax(
    input: Tensor, *, dim: int | None = None, keepdim: bool = False
) -> return_types.aminmax:  # noqa: A002
    """(amin, amax) over `dim` (all elements if None), as PyTorch's namedtuple."""
    x = _tensor(input, "aminmax")
    if dim is None:
        empty = x.numel() == 0
    else:
        d = normalize_dim(dim, x.ndim, "aminmax")
        empty = x.ndim > 0 and x.shape[d] == 0
    if empty:  # PyTorch: IndexError for a dim, RuntimeError for all elements
        raise (RuntimeError if dim is None else IndexError)(
            "aminmax(): cannot compute aminmax over an empty dimension as the operation has "
            "no identity."
        )
    if dim is None and keepdim:
        dims = tuple(range(x.ndim))
        return return_types.aminmax(amin(x, dims, True), amax(x, dims, True))
    return return_types.aminmax(amin(x, dim, keepdim), amax(x, dim, keepdim))


def histc(input: Tensor, bins: int = 100, min: Any = 0, max: Any = 0) -> Tensor:  # noqa: A002
    """Counts in `bins` equal bins over [min, max] (the data's range when min == max);
    elements outside are ignored. Float tensors only, no gradient, as PyTorch's."""
    x = _tensor(input, "histc")
    if x.dtype.kind != "f":
        raise NotImplementedError(f"\"histogram_cpu\" not implemented for '{x.dtype}'")
    if bins <= 0:
        raise RuntimeError(f"torch.histc: bins must be > 0, but got {bins} for dimension 0")
    xp = get_array_module(x._data)
    a = x._data.reshape(-1)
    t = x.dtype.type
    lo, hi = t(min), t(max)
    if lo == hi and a.size:
        lo, hi = a.min(), a.max()
    if lo == hi:
        lo, hi = lo - t(1), hi + t(1)
    if lo > hi:
        raise RuntimeError("torch.histc: max must be larger than min")
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise RuntimeError(f"torch.histc: range of [{lo}, {hi}] is not finite")
    with np.errstate(over="ignore"):
        span = hi - lo
    if not np.isfinite(span):  # PyTorch's edges are NaN there (an inf step times 0): no count
        return Tensor._make(xp.zeros(bins, dtype=x.dtype), False)
    inside = (a >= lo) & (a <= hi)
    with np.errstate(over="ignore", invalid="ignore"):
        at = (a[inside] - lo) * bins / span
    if not bool(np.isfinite(at).all()):  # (a - lo) * bins beyond the dtype: in float64
        at = (a[inside].astype(np.float64) - float(lo)) * bins / float(span)
    pos = xp.minimum(at.astype(np.int64), bins - 1)
    return Tensor._make(xp.bincount(pos, minlength=bins).astype(x.dtype), False)


def msort(input: Tensor) -> Tensor:  # noqa: A002
    """input sorted along dim 0."""
    return sort(input, 0).values


def unique_consecutive(
    input: Tensor,  # noqa: A002
    return_inverse: bool = False,
    return_counts: bool = False,
    dim: int | None = None,
) -> Any:
    """Each run of equal consecutive elements (or slices along `dim`) kept once; with
    each element's run number and each run's length on request."""
    x = _tensor(input, "unique_consecutive")
    xp = get_array_module(x._data)
    a = x._data
    kernel = "unique" if dim is None or a.ndim == 1 else "unique_dim"  # PyTorch's names
    refuse_complex(a.dtype, "unique_consecutive", kernel)
    if dim is None:
        flat = a.reshape(-1)
        starts = xp.ones(flat.shape, dtype=bool)
        starts[1:] = flat[1:] != flat[:-1]
        values = flat[starts]
        inverse_shape = a.shape
    else:
        d = unique_dim(a.shape, dim, "unique_consecutive")
        rest = math.prod(a.shape[:d] + a.shape[d + 1 :])
        rows = xp.moveaxis(a, d, 0).reshape(a.shape[d], rest)  # (0, rest) for an empty dim
        starts = xp.ones((a.shape[d],), dtype=bool)
        starts[1:] = (rows[1:] != rows[:-1]).any(axis=1)
        values = xp.compress(starts, a, axis=d)
        inverse_shape = (a.shape[d],)
    out = [no_derivative("unique_consecutive", values, x)]
    if return_inverse:
        inverse = (xp.cumsum(starts) - 1).astype(np.int64).reshape(inverse_shape)
        out.append(Tensor._make(inverse, False))
    if return_counts:
        edges = xp.concatenate([xp.flatnonzero(starts), xp.asarray([starts.size])])
        out.append(Tensor._make(xp.diff(edges).astype(np.int64), False))
    return out[0] if len(out) == 1 else tuple(out)


# ---------------------------------------------------------------------- element-wise
def _floats(what: str, a: Any, b: Any) -> tuple[Tensor, Tensor]:
    """Both operands promoted; integer and bool results refused, as PyTorch's kernels."""
    a, b = promote(a, b)
    if a.dtype.kind not in "fc":
        raise NotImplementedError(f"\"{what}_cpu\" not implemented for '{a.dtype}'")
    return a, b


class LogAddExp(Function):
    """log(exp(a) + exp(b)) (base 2 with `base2`), PyTorch's formula: a at a == b = +-inf,
    else max + log1p(exp(-|a - b|)). Gradient gy / (1 + exp(b - a)) for a, as PyTorch's."""

    def __init__(self, base2: bool) -> None:
        self.base2 = base2

    def forward(self, a, b):
        xp = get_array_module(a)
        if a.dtype == np.float16:  # in float32, rounded once, as PyTorch's (28 ulp off)
            return self.forward(a.astype(np.float32), b.astype(np.float32)).astype(a.dtype)
        if a.dtype.kind == "c":  # the operand of larger real part first, as PyTorch's
            with np.errstate(invalid="ignore", over="ignore"):
                first = a.real >= b.real
                m, n = xp.where(first, a, b), xp.where(first, b, a)
                out = m + complex_log1p(xp.exp(n - m))  # (NumPy's log1p lost the real part)
                # both real parts the same infinity: the smaller operand at -inf, the plain
                # formula at +inf (no NaN from inf - inf), as PyTorch's
                tie = xp.isinf(n.real) & (n.real == m.real)
                out = xp.where(tie & (n.real < 0), n, out)
                return xp.where(tie & (n.real > 0), xp.log(xp.exp(n) + xp.exp(m)), out)
        with np.errstate(invalid="ignore", over="ignore"):
            m = xp.maximum(a, b)
            d = -xp.abs(a - b)
            if self.base2:
                out = m + xp.log1p(xp.exp2(d)) * a.dtype.type(1 / math.log(2))
            else:
                out = m + xp.log1p(xp.exp(d))
            return xp.where(xp.isinf(a) & (a == b), a, out).astype(m.dtype, copy=False)

    def backward(self, gy):
        a, b = self.inputs
        na, nb = self.needs_input_grad

        def part(x: Tensor, y: Tensor) -> Tensor:
            e = power(2.0, y - x) if self.base2 else exp(y - x)
            return sum_to(gy / (1 + e), x.shape)

        return part(a, b) if na else None, part(b, a) if nb else None


def logaddexp(input: Tensor, other: Any) -> Tensor:  # noqa: A002
    return LogAddExp(False)(*_floats("logaddexp", input, other))


def logaddexp2(input: Tensor, other: Any) -> Tensor:  # noqa: A002
    a, b = _floats("logaddexp2", input, other)
    return LogAddExp(True)(real_only(a, "logaddexp2"), b)


def _log_add_exp_complex(a: Any, b: Any) -> Any:
    """log(exp(a) + exp(b)) of complex arrays, as PyTorch's `_log_add_exp_helper`: the
    larger real part factored out (log1p), a NaN (in either part) propagated, two equal
    infinite real parts kept (-inf) or summed directly (+inf)."""
    xp = get_array_module(a)
    nan_a, nan_b = xp.isnan(a), xp.isnan(b)
    b_big = a.real < b.real
    lo, hi = xp.where(b_big, a, b), xp.where(b_big, b, a)
    with np.errstate(all="ignore"):
        out = complex_log1p(xp.exp(lo - hi)) + hi
        same_inf = ~xp.isfinite(lo.real) & (lo.real == hi.real)
        if same_inf.any():
            out = xp.where(same_inf & (lo.real < 0), lo, out)
            out = xp.where(same_inf & (lo.real > 0), xp.log(xp.exp(lo) + xp.exp(hi)), out)
    nan = xp.asarray(complex(np.nan, np.nan), dtype=a.dtype)
    return xp.where(nan_b, b, xp.where(nan_a, a, xp.where(lo != lo, nan, out)))


def _logcumsumexp_array(x: Any, d: int) -> Any:
    """The running log-sum-exp of x along axis d. float32 (complex64) runs in float64
    (complex128) and is rounded once, as PyTorch's CPU kernel accumulates: a float32 scan
    drifts (141 ulps after 10^5 values)."""
    xp = get_array_module(x)
    if x.dtype in (np.float32, np.complex64):
        wide = np.float64 if x.dtype == np.float32 else np.complex128
        return _logcumsumexp_array(x.astype(wide), d).astype(x.dtype)
    if x.dtype.kind == "c":  # no complex logaddexp in NumPy: PyTorch's scan, step by step
        a = xp.moveaxis(x, d, 0)
        out = a.copy()
        for i in range(1, a.shape[0]):
            out[i] = _log_add_exp_complex(out[i - 1], a[i])
        return xp.moveaxis(out, 0, d)
    with np.errstate(invalid="ignore", over="ignore"):
        if xp is np:
            return np.logaddexp.accumulate(x, axis=d)
        return xp.asarray(np.logaddexp.accumulate(as_numpy(x), axis=d))


class LogCumSumExp(Function):
    """log(cumsum(exp(x))) along `dim`, scanned with logaddexp so that no prefix under-
    or overflows. The gradient is PyTorch's: signed parts of gy in log space, run through
    logcumsumexp again in reverse, so it is differentiable itself."""

    uses_outputs = True

    def __init__(self, dim: int) -> None:
        self.dim = dim

    def forward(self, x):
        return _logcumsumexp_array(x, self.dim)

    def backward(self, gy):
        (x,) = self.inputs
        out, d = self.output(), self.dim
        xp = get_array_module(gy._data)
        lowest = Tensor._make(xp.asarray(np.finfo(gy.dtype).min, dtype=gy.dtype), False)
        log_abs = log(gy.abs())
        pos = where(gy._data > 0, log_abs, lowest)
        neg = where(gy._data < 0, log_abs, lowest)

        def reverse(t: Tensor) -> Tensor:
            return flip(logcumsumexp(flip(t, (d,)), d), (d,))

        return exp(reverse(pos - out) + x) - exp(reverse(neg - out) + x)


def logcumsumexp(input: Tensor, dim: int) -> Tensor:  # noqa: A002
    x = _tensor(input, "logcumsumexp")
    if x.dtype.kind not in "fc":
        raise NotImplementedError(f"\"logcumsumexp_out_cpu\" not implemented for '{x.dtype}'")
    d = normalize_dim(dim, x.ndim, "logcumsumexp")
    if x.ndim == 0:
        return clone(x)
    if x.dtype == np.float16:  # a running float16 sum drifts (6.156 for 6.195 after 300 values):
        return LogCumSumExp(d)(x.float()).half()  # in float32 and rounded once, as PyTorch's
    return LogCumSumExp(d)(x)


class HalfAddc(Function):
    """float16 addcmul (x + value t1 t2) or addcdiv (x + value t1 / t2): the forward worked
    in float32 and rounded once, as PyTorch's kernel; the backward PyTorch's formulas in
    float16 ops (t1: gy (t2 value), t2: gy (t1 value); addcdiv's t1: gy (value / t2), t2:
    -gy (value t1 / (t2 t2))), each product rounded before the broadcast sum, as PyTorch
    rounds them (a float32 graph rounded its sums instead: 79 of 200 broadcast gradients
    off)."""

    def __init__(self, value: Any, divide: bool) -> None:
        self.value, self.divide = value, divide

    def forward(self, x, t1, t2):
        f32 = np.float32
        a, b = t1.astype(f32), t2.astype(f32)
        scaled = a * f32(self.value)
        with np.errstate(all="ignore"):
            out = x.astype(f32) + (scaled / b if self.divide else scaled * b)
        return out.astype(np.float16)

    def backward(self, gy):
        x, t1, t2 = self.inputs
        nx, n1, n2 = self.needs_input_grad
        value = self.value
        gx = sum_to(gy, x.shape) if nx else None
        g1 = g2 = None
        if self.divide:
            if n1:  # value / t2 as ATen's Scalar / Tensor: value filled in t2's dtype
                filled = get_array_module(t2._data).full(t2.shape, value, dtype=t2.dtype)
                g1 = sum_to(gy * _div(Tensor._make(filled, False), t2), t1.shape)
            if n2:
                g2 = sum_to(-gy * (value * t1 / (t2 * t2)), t2.shape)
        else:
            if n1:
                g1 = sum_to(gy * (t2 * value), t1.shape)
            if n2:
                g2 = sum_to(gy * (t1 * value), t2.shape)
        return gx, g1, g2


class Hypot(Function):
    """sqrt(a^2 + b^2) without overflow; gradients gy * a / out and gy * b / out."""

    uses_outputs = True

    def forward(self, a, b):
        return get_array_module(a).hypot(a, b)

    def backward(self, gy):
        a, b = self.inputs
        na, nb = self.needs_input_grad
        g = gy / self.output()
        return sum_to(g * a, a.shape) if na else None, sum_to(g * b, b.shape) if nb else None


def hypot(input: Tensor, other: Any) -> Tensor:  # noqa: A002
    return Hypot()(*_floats("hypot", input, other))


class CopySign(Function):
    """|a| with b's sign (its sign bit: -0.0 and NaNs count). a's gradient is gy times
    the sign change (0 where a is 0, as PyTorch's); b gets zeros. Under create_graph the
    sign change is PyTorch's differentiable result / a with 0 put where a is 0: its own
    derivative is 0, NaN where a is 0 (0 / 0 in the quotient's backward)."""

    def inputs_read(self, needs):
        return (needs[0], False)  # a, for a second derivative only

    def forward(self, a, b):
        xp = get_array_module(a)
        out = xp.copysign(a, b)
        self.shapes = (a.shape, b.shape)
        with np.errstate(invalid="ignore", divide="ignore"):
            self.ratio = xp.where(a == 0, 0, out / a).astype(out.dtype)  # NaN at a NaN
        return out

    def backward(self, gy):
        na, nb = self.needs_input_grad
        ga = None
        if na and is_grad_enabled():
            a = self.inputs[0]
            sign = Tensor._make(self.ratio, False)  # +-1 (0 at a == 0): b's sign against a's
            with np.errstate(invalid="ignore"):
                ratio = where(a == 0, 0.0, a * sign / a)
            ga = sum_to(gy * ratio, self.shapes[0])
        elif na:
            ga = zero_link(sum_to(scale(gy, self.ratio), self.shapes[0]), self)
        gb = None
        if nb:
            zeros = get_array_module(gy._data).zeros(self.shapes[1], dtype=gy.dtype)
            gb = Tensor._make(zeros, False)
        return ga, gb


def copysign(input: Tensor, other: Any) -> Tensor:  # noqa: A002
    a, b = promote_float(input, other)
    if a._data.dtype.kind == "c":  # (NumPy's TypeError named neither the op nor the dtype)
        raise Unsupported(f"copysign: \"copysign_cpu\" not implemented for '{_type_name(a.dtype)}'")
    return CopySign()(a, b)


def heaviside(input: Tensor, values: Any) -> Tensor:  # noqa: A002
    """0 where input < 0, `values` where it is 0, 1 where > 0 (NaN gives 0). No derivative
    (a backward through it raises, as PyTorch's)."""
    v = values if isinstance(values, Tensor) else Tensor._make(_to_array(values), False)
    if input.dtype.kind == "c":
        raise RuntimeError(f"heaviside is not yet implemented for complex tensors ({input.dtype})")
    if v.dtype != input.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    xp = get_array_module(input._data)
    a = input._data
    with broadcast_errors("heaviside"):
        out = xp.where(a == 0, v._data, (a > 0).astype(a.dtype))
    return no_derivative("heaviside", xp.asarray(out, dtype=a.dtype), input, v)


class FMax(Function):
    """Element-wise max (sign +1) or min (-1) that ignores NaN. The gradient goes to
    input where it wins or ties or other is NaN, else to other, as PyTorch's."""

    uses_inputs = False

    def __init__(self, sign: int) -> None:
        self.sign = sign

    def forward(self, a, b):
        xp = get_array_module(a)
        out = xp.fmax(a, b) if self.sign > 0 else xp.fmin(a, b)
        self.shapes = (a.shape, b.shape)
        if out.dtype.kind in "fc":
            wins = (a >= b) if self.sign > 0 else (a <= b)
            first = xp.broadcast_to(wins | xp.isnan(b), out.shape)
            self.bits = (keep_bits(first, out.dtype), keep_bits(first, out.dtype, invert=True))
        return out

    def backward(self, gy):
        return tuple(
            sum_to(Mask(bits)(gy), shape) if need else None
            for bits, shape, need in zip(self.bits, self.shapes, self.needs_input_grad, strict=True)
        )


def fmax(input: Tensor, other: Any) -> Tensor:  # noqa: A002
    a, b = promote(input, other)
    ordered(a.dtype, "fmax")
    return FMax(1)(a, b)


def fmin(input: Tensor, other: Any) -> Tensor:  # noqa: A002
    a, b = promote(input, other)
    ordered(a.dtype, "fmin")
    return FMax(-1)(a, b)


def float_power(input: Any, exponent: Any) -> Tensor:  # noqa: A002
    """input ** exponent computed in float64 (complex128 when either is complex)."""
    complex_ = any(
        isinstance(v, complex) or (isinstance(v, Tensor) and v.dtype.kind == "c")
        for v in (input, exponent)
    )
    dtype, number = (np.complex128, complex) if complex_ else (np.float64, builtins.float)

    def wide(v: Any) -> Any:
        return cast(v, dtype) if isinstance(v, Tensor) else number(v)

    if not isinstance(input, Tensor):
        base = Tensor._make(_to_array(number(input), dtype, exponent.device), False)
        return Pow()(base, wide(exponent))
    return power(wide(input), wide(exponent))


class NextAfter(Function):
    """The next representable float after a towards b. PyTorch's gradient: gy for a where
    a != b (the step taken as no change), 0 where they are equal (no step), zeros for b."""

    uses_inputs = False

    def forward(self, a, b):
        self.shapes, self.moved = (a.shape, b.shape), a != b
        xp = get_array_module(a)
        out = xp.nextafter(a, b)
        if a.dtype == np.float16:  # NumPy's half gives a where a == b; C (and PyTorch) b:
            out = xp.where(self.moved, out, b)  # nextafter(0.0, -0.0) is -0.0
        return out

    def backward(self, gy):
        from .elementwise import scale

        xp = get_array_module(gy._data)
        zeros = Tensor._make(xp.zeros(self.shapes[1], gy._data.dtype), False)
        ga = scale(gy, self.moved.astype(gy._data.dtype))
        return sum_to(ga, self.shapes[0]), zero_link(zeros, self, 1)


def nextafter(input: Tensor, other: Any) -> Tensor:  # noqa: A002
    """The next representable float after input towards other."""
    a, b = _floats("nextafter", input, other)
    with broadcast_errors("nextafter"):
        return NextAfter()(a, b)


def frac(input: Tensor) -> Tensor:  # noqa: A002
    """input - trunc(input), the sign of input kept."""
    if input.dtype.kind not in "fc":
        raise NotImplementedError(f"\"frac_cpu\" not implemented for '{input.dtype}'")
    return input - trunc(input)


def deg2rad(input: Tensor) -> Tensor:  # noqa: A002
    return to_float(input) * (math.pi / 180)


def rad2deg(input: Tensor) -> Tensor:  # noqa: A002
    return to_float(input) * (180 / math.pi)


def _integers(what: str, a: Any, b: Any) -> tuple[Any, Any]:
    a, b = promote(a, b)
    if a.dtype.kind not in "iu":
        raise NotImplementedError(f"\"{what}_cpu\" not implemented for '{a.dtype}'")
    return a._data, b._data


def gcd(input: Tensor, other: Any) -> Tensor:  # noqa: A002
    a, b = _integers("gcd", input, other)
    return Tensor._make(get_array_module(a).gcd(a, b), False)


def lcm(input: Tensor, other: Any) -> Tensor:  # noqa: A002
    a, b = _integers("lcm", input, other)
    return Tensor._make(get_array_module(a).lcm(a, b), False)


class LdExp(Function):
    """x * 2^e for integer exponents e, exactly (C's ldexp): 0 stays a signed zero where
    2^e alone is inf (0 * inf was NaN), and 2^-10 * 2^130 is 2^120 in float32, as
    PyTorch's. Linear in x: the gradient is gy scaled the same way."""

    uses_inputs = False

    def __init__(self, e: Any) -> None:
        self.e = e

    def forward(self, x):
        xp = get_array_module(x)
        with np.errstate(over="ignore", under="ignore"):
            return xp.ldexp(x, self.e)

    def backward(self, gy):
        return LdExp(self.e)(gy)


def ldexp(input: Tensor, other: Any) -> Tensor:  # noqa: A002
    """input * 2 ** other (a float result); for integer exponents exactly, as C's ldexp."""
    o = other if isinstance(other, Tensor) else Tensor._make(_to_array(other), False)
    if o.dtype.kind in "biu" and isinstance(input, Tensor) and input.dtype.kind == "f":
        xp = get_array_module(input._data)
        e = xp.clip(o._data.astype(np.int64), -(2**30), 2**30).astype(np.int32)
        with broadcast_errors("ldexp"):
            shape = xp.broadcast_shapes(input.shape, e.shape)
        return LdExp(e)(input if input.shape == shape else broadcast_to(input, shape))
    o = to_float(o)
    two = Tensor._make(get_array_module(o._data).asarray(2.0, dtype=o.dtype), False)
    return mul(input, Pow()(two, o))


def positive(input: Tensor) -> Tensor:  # noqa: A002
    if input.dtype.kind == "b":
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


def sgn(input: Tensor) -> Tensor:  # noqa: A002
    """sign for real tensors (a bool tensor is returned as a copy); z / |z| for complex
    ones, 0 at 0, as PyTorch's."""
    from .elementwise import abs as abs_
    from .pointwise import sign

    if input.dtype.kind == "c":
        size = abs_(input)
        zero = size._data == 0
        return where(zero, 0, input / where(zero, 1, size))
    return clone(input) if input.dtype.kind == "b" else sign(input)


def ravel(input: Tensor) -> Tensor:  # noqa: A002
    """The elements in one dim, in order: a view of a contiguous input, else a copy (as
    PyTorch's: never a strided view that writes back into a non-contiguous input)."""
    return reshape(input.contiguous(), (-1,))


def sum_to_size(input: Tensor, *size: Any) -> Tensor:  # noqa: A002
    """input summed down to `size`, which must expand to input's shape."""
    shape = tuple(size[0]) if len(size) == 1 and isinstance(size[0], tuple | list) else size
    ok = len(shape) <= input.ndim and all(
        s == n or s == 1 for s, n in zip(shape[::-1], input.shape[::-1], strict=False)
    )
    if not ok:
        raise RuntimeError(
            f"size {{{list(shape)}}} is not expandable to size {{{list(input.shape)}}}."
        )
    return sum_to(input, tuple(shape))


def take(input: Tensor, index: Any) -> Tensor:  # noqa: A002
    """input read as 1-D at `index` (negative indices from the end); shaped like index."""
    flat = reshape(input, (-1,))
    xp = get_array_module(input._data)
    idx = index._data if isinstance(index, Tensor) else _to_array(index)
    idx = xp.asarray(idx)
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"take(): Expected a long tensor for index, but got {idx.dtype}")
    n = flat.shape[0]
    if idx.size and (int(idx.max()) >= n or int(idx.min()) < -n):
        bad = int(idx.max()) if int(idx.max()) >= n else int(idx.min())
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} elements.")
    picked = index_select(flat, 0, xp.where(idx < 0, idx + n, idx).reshape(-1))
    return reshape(picked, tuple(idx.shape))


def einsum(*args: Any) -> Tensor:
    """PyTorch's einsum: `einsum("ij,jk->ik", a, b)`, with the operands also as one list,
    or the sublist form `einsum(a, [0, 1], b, [1, 2], [0, 2])` (ints < 52, `...`)."""
    if args and isinstance(args[0], str):
        ops = args[1:]
        if len(ops) == 1 and isinstance(ops[0], list | tuple):
            ops = tuple(ops[0])
        return _einsum_str(args[0], *ops)
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

    def spell(sub: Any) -> str:
        out = []
        for s in sub:
            if s is Ellipsis:
                out.append("...")
            elif isinstance(s, int) and 0 <= s < 52:
                out.append(letters[s])
            else:
                raise ValueError(
                    "einsum(): subscript in subscript list is not within the valid range "
                    f"[0, 52), got {s}"
                )
        return "".join(out)

    operands, subs = list(args[0::2]), [spell(s) for s in args[1::2]]
    equation = ",".join(subs[: len(operands)])
    if len(args) % 2:  # a trailing output sublist
        operands = operands[:-1]
        equation = ",".join(subs[: len(operands)]) + "->" + spell(args[-1])
    return _einsum_str(equation, *operands)


# ---------------------------------------------------------------------- bitwise
def _bitwise_operands(what: str, a: Any, b: Any, kinds: str = "biu") -> tuple[Any, Any]:
    """The promoted arrays of a and b, refused (as PyTorch's kernels) unless their dtype's
    kind is in `kinds` (no shifts of bool)."""
    a, b = promote(a, b)
    if a.dtype.kind not in kinds:
        raise NotImplementedError(f"\"{what}_cpu\" not implemented for '{a.dtype}'")
    return a._data, b._data


def _bitwise(name: str, what: str, a: Any, b: Any) -> Tensor:
    x, y = _bitwise_operands(what, a, b)
    with broadcast_errors(what):
        return Tensor._make(getattr(get_array_module(x), name)(x, y), False)


def bitwise_and(input: Any, other: Any) -> Tensor:  # noqa: A002
    return _bitwise("bitwise_and", "bitwise_and", input, other)


def bitwise_or(input: Any, other: Any) -> Tensor:  # noqa: A002
    return _bitwise("bitwise_or", "bitwise_or", input, other)


def bitwise_xor(input: Any, other: Any) -> Tensor:  # noqa: A002
    return _bitwise("bitwise_xor", "bitwise_xor", input, other)


def bitwise_not(input: Tensor) -> Tensor:  # noqa: A002
    if input.dtype.kind not in "biu":
        raise NotImplementedError(f"\"bitwise_not_cpu\" not implemented for '{input.dtype}'")
    return Tensor._make(get_array_module(input._data).invert(input._data), False)


def bitwise_left_shift(input: Any, other: Any) -> Tensor:  # noqa: A002
    """input << other; a shift by a negative count or by the width or more gives 0, as
    PyTorch's."""
    a, b = _bitwise_operands("lshift", input, other, "iu")
    xp = get_array_module(a)
    width = a.dtype.itemsize * 8
    bad = (b < 0) | (b >= width)
    with broadcast_errors("bitwise_left_shift"):
        out = xp.left_shift(a, xp.where(bad, 0, b).astype(a.dtype))
        return Tensor._make(xp.where(bad, a.dtype.type(0), out).astype(a.dtype), False)


def bitwise_right_shift(input: Any, other: Any) -> Tensor:  # noqa: A002
    """input >> other (arithmetic for signed types); a negative or too large count shifts
    by the width (less the sign bit), as PyTorch's."""
    a, b = _bitwise_operands("rshift", input, other, "iu")
    xp = get_array_module(a)
    most = a.dtype.itemsize * 8 - (1 if a.dtype.kind == "i" else 0)
    b = xp.where((b < 0) | (b >= most), most, b).astype(a.dtype)
    with broadcast_errors("bitwise_right_shift"):
        return Tensor._make(xp.right_shift(a, b).astype(a.dtype), False)


class ZeroGradient(Function):
    """An op of one input whose result does not move with it (a step function, a random
    draw from it): PyTorch records it, so the result requires grad as the input does, and
    its gradient is zeros, tied to the input for a double backward."""

    uses_inputs = False

    def backward(self, gy):
        xp = get_array_module(gy._data)
        return zero_link(Tensor._make(xp.zeros_like(gy._data), False), self)


class Angle(ZeroGradient):
    """The argument of a real number: pi where x < 0, else 0 (NaN stays NaN); gradient 0,
    as PyTorch's for real input."""

    def forward(self, x):
        xp = get_array_module(x)
        out = xp.where(x < 0, x.dtype.type(math.pi), x.dtype.type(0))
        return xp.where(xp.isnan(x), x, out)


def angle(input: Tensor) -> Tensor:  # noqa: A002
    """The argument of each (real) element: pi for x < 0, 0 for x >= 0 (-0.0 and +inf
    included), NaN for NaN; integer and bool input give the default float, as PyTorch's."""
    x = input
    if x.dtype.kind == "c":
        x._real_only("angle")
    if x.dtype.kind in "biu":
        x = cast(x, default_float())
    return Angle()(x)


class FrexpMantissa(Function):
    """frexp's mantissa m = x * 2**-e, e being x's binary exponent (a step function of x):
    dm/dx = 2**-e, as PyTorch's (inf where 2**-e overflows x's dtype: a subnormal x)."""

    uses_inputs = False

    def forward(self, x):
        xp = get_array_module(x)
        m, e = xp.frexp(x)
        self.exponent = e.astype(np.int32, copy=False)
        return m.astype(x.dtype, copy=False)

    def backward(self, gy):
        return ldexp(gy, Tensor._make(-self.exponent, False))


def frexp(input: Tensor) -> Any:  # noqa: A002
    """(mantissa, exponent) with input = mantissa * 2**exponent, |mantissa| in [0.5, 1) or
    0; the mantissa in input's dtype, the exponent int32, as PyTorch's `frexp` (float
    input only). The mantissa has a gradient (FrexpMantissa), the exponent none."""
    x = input
    if x.dtype.kind != "f":
        raise RuntimeError(f"torch.frexp() only supports floating-point dtypes, got {x.dtype}")
    f = FrexpMantissa()
    mantissa = f(x)
    return return_types.frexp(mantissa, Tensor._make(f.exponent, False))
