"""Reductions and their duals. `sum_to` and `broadcast_to` are each other's backward."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from .. import return_types
from ..autograd import Function, is_grad_enabled
from ..backend import get_array_module
from ..errors import DtypeError, IndexOutOfRange, ShapeError, Unsupported
from ..tensor import Size, Tensor, _int_arg, _type_name


def ordered(dtype: np.dtype, op: str) -> None:
    """Refuse complex values where an op orders them, as PyTorch's kernels do (NumPy orders
    complex numbers by their real part, then the imaginary one). NotImplementedError, a
    RuntimeError too: PyTorch raises either, by op."""
    if dtype.kind == "c":
        raise NotImplementedError(f"{op} is not supported for complex tensors ({dtype}): no order")


def normalize_dims(dim: Any, ndim: int, op: str) -> tuple[int, ...] | None:
    """`dim` as a tuple of non-negative axes (None: all of them)."""
    if dim is None:
        return None
    # a NumPy integer (a dim from np.argmax, a shape) is one dim, as PyTorch takes it
    if isinstance(dim, int | np.integer) or (isinstance(dim, Tensor) and dim.ndim == 0):
        dims = (dim,)
    elif isinstance(dim, tuple | list | Size):
        dims = dim
    elif isinstance(dim, Tensor) and dim.ndim == 1 and dim.dtype.kind in "iu":
        dims = tuple(int(d) for d in dim.tolist())  # x.sum(tensor([1])), as PyTorch takes it
    else:
        raise TypeError(
            f"{op}(): dim must be an int or a tuple of ints, got {type(dim).__name__} ({dim!r:.40})"
        )
    out = []
    for d in dims:
        if type(d) is not int:  # a float or a bool (x.sum(True)) is no dim, as in PyTorch
            d = _int_arg(op, "dim", d)
        if not -max(ndim, 1) <= d < max(ndim, 1):
            raise IndexError(f"{op}: dim {d} out of range for a tensor with {ndim} dims")
        out.append(int(d) % max(ndim, 1))
    return tuple(out)


def normalize_dim(dim: Any, ndim: int, op: str) -> int:
    """One dim as a non-negative axis; None, a float or a tuple is PyTorch's TypeError
    (cat(dim=None) failed with "cannot unpack non-iterable NoneType object")."""
    if type(dim) is not int:
        dim = _int_arg(op, "dim", dim)
    return normalize_dims(dim, ndim, op)[0]


def reduce_dims(dim: Any, ndim: int, op: str) -> tuple[int, ...] | None:
    """`normalize_dims` for a reduction: an empty `dim` reduces every axis, as in PyTorch;
    a 0-d tensor accepts dim 0 / -1."""
    dims = distinct_dims(dim, ndim, op)  # also on a 0-d tensor, as PyTorch refuses it
    return None if ndim == 0 or dims == () else dims


def distinct_dims(dim: Any, ndim: int, op: str) -> tuple[int, ...] | None:
    """`normalize_dims`, refusing a dim given twice as PyTorch does."""
    dims = normalize_dims(dim, ndim, op)
    if dims and len(set(dims)) != len(dims):
        twice = next(d for d in dims if dims.count(d) > 1)
        raise ShapeError(f"{op}: dim {twice} appears multiple times in the list of dims {dim}")
    return dims


def _keep_shape(shape: tuple[int, ...], dims: tuple[int, ...] | None) -> tuple[int, ...]:
    """The reduced shape with kept (size-1) dims."""
    if dims is None:
        return (1,) * len(shape)
    return tuple(1 if i in dims else n for i, n in enumerate(shape))


# Values NumPy would add one after another into each result above which a float sum is
# cascaded (`_cascaded_sum`), and the block each level adds up row by row
CASCADE_FROM, CASCADE_BLOCK = 1024, 32


def array_sum(x: Any, axis: Any = None, keepdims: bool = False, dtype: Any = None) -> Any:
    """x.sum(...), but a float16 sum (of a float16 x, or to dtype float16) adds up in
    float32 and rounds once, as PyTorch's half-precision sums do: NumPy adds float16
    along an outer axis in float16, where the running total stops growing at 2048 (16384
    ones summed to 2048). A large float sum over axes NumPy adds row by row is cascaded."""
    half = (x.dtype if dtype is None else np.dtype(dtype)) == np.float16
    wide = np.float32 if half else dtype
    # (the first tests are cheap and false for every sum of at most 1,024 values)
    if x.ndim > 1 and x.size > CASCADE_FROM and axis is not None and x.dtype.kind == "f":
        out = _cascaded_sum(x, axis, keepdims, wide)
        if out is not None:
            return out.astype(np.float16) if half else out
    if half:
        return x.sum(axis=axis, keepdims=keepdims, dtype=np.float32).astype(np.float16)
    return x.sum(axis=axis, keepdims=keepdims, dtype=dtype)


def _cascaded_sum(x: Any, axis: Any, keepdims: bool, dtype: Any) -> Any:
    """x.sum(axis) in levels, or None where NumPy's own sum is as good. NumPy adds
    pairwise only along its inner loop: the reduced axes adjacent in memory from the
    innermost one. Along any other reduced axis (the leading axes of a C-ordered x, the
    middle one of (B, T, C), the last one of x.T, H and W of a batch-minor conv output) it
    adds row by row, so a float32 sum of 10^5 rows was off by about 1e-3 of its value (n
    ulps; PyTorch's cascade: about log n). Here those axes are summed in levels: blocks of
    CASCADE_BLOCK rows, then the block sums, reading x once.

    Only where they hold more than CASCADE_FROM values per result. The sums a training
    step makes (a bias gradient over a batch, a mean over a 32x32 map) are smaller: they
    stay NumPy's one call, with its bits and speed (for a C-ordered x, after one flag test),
    and their row-by-row error is bounded by 1024 ulps, in practice a few."""
    if not isinstance(x, np.ndarray):  # (CuPy's reductions are its own)
        return None
    if x.flags.c_contiguous and x.size // x.shape[-1] <= CASCADE_FROM:
        return None  # (C order: no more values than that lie off the last, innermost axis)
    axes = {a % x.ndim for a in ((axis,) if isinstance(axis, int | np.integer) else axis)}
    pairwise, rowwise = _sum_loops(x, axes)
    if math.prod(x.shape[a] for a in rowwise) <= CASCADE_FROM:
        return None
    y = x.sum(axis=tuple(pairwise), keepdims=True, dtype=dtype) if pairwise else x
    for run in _memory_runs(y, rowwise):
        # the run's axes first, merged into one (a view: they are adjacent in memory)
        rows = np.moveaxis(y, run, range(len(run)))
        rows = rows.reshape((-1, *rows.shape[len(run) :]))
        y = _cascade_rows(rows, dtype).reshape(_keep_shape(y.shape, run))
    if keepdims:
        return y
    return y.reshape([n for a, n in enumerate(x.shape) if a not in axes])


def _sum_loops(x: Any, axes: set[int]) -> tuple[list[int], list[int]]:
    """The reduced axes (of more than one element) NumPy's x.sum(axes) adds pairwise, and
    those it adds row by row, outermost in memory first. NumPy's inner loop runs along the
    axis of the smallest stride; reduced axes that continue it in memory join it. A
    broadcast (stride 0) axis is counted row by row: NumPy may loop over it outside."""
    order = sorted((a for a in range(x.ndim) if x.shape[a] > 1), key=lambda a: abs(x.strides[a]))
    pairwise, rowwise, span = [], [], None
    for a in order:
        if a not in axes:
            span = -1
        elif x.strides[a] and (span is None or abs(x.strides[a]) == span):
            pairwise.append(a)
            span = abs(x.strides[a]) * x.shape[a]
        else:
            rowwise.insert(0, a)
            span = -1
    return pairwise, rowwise


def _memory_runs(y: Any, axes: list[int]) -> list[list[int]]:
    """`axes` (outermost in memory first) split where one does not continue the next in
    memory: each run reshapes to one axis without a copy."""
    runs = [[axes[0]]]
    for a in axes[1:]:
        last = runs[-1][-1]
        if y.strides[last] == y.shape[a] * y.strides[a]:
            runs[-1].append(a)
        else:
            runs.append([a])
    return runs


def _cascade_rows(rows: Any, dtype: Any) -> Any:
    """The sum over rows' first axis: blocks of CASCADE_BLOCK rows, then the block sums,
    until one block is left."""
    rest = rows.shape[1:]
    while rows.shape[0] > CASCADE_BLOCK:
        n = rows.shape[0]
        k = n // CASCADE_BLOCK
        head = rows[: k * CASCADE_BLOCK].reshape((k, CASCADE_BLOCK, *rest)).sum(axis=1, dtype=dtype)
        if n % CASCADE_BLOCK:
            tail = rows[k * CASCADE_BLOCK :].sum(axis=0, keepdims=True, dtype=dtype)
            head = np.concatenate([head, tail])
        rows = head
    return rows.sum(axis=0, dtype=dtype)


def _sum_to_array(x: Any, shape: tuple[int, ...]) -> Any:
    """Sum the broadcast axes of x away so it has `shape`."""
    if x.shape == shape:
        return x
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, n in enumerate(shape) if n == 1 and x.shape[i + lead] != 1
    )
    y = array_sum(x, axes, True)
    if lead:
        y = y.reshape(shape)
    return y


class SumTo(Function):
    uses_inputs = False
    op_name = "sum_to"

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape

    def forward(self, x):
        self.x_shape = x.shape
        return _sum_to_array(x, self.shape)

    def backward(self, gy):
        return broadcast_to(gy, self.x_shape)


class BroadcastTo(Function):
    uses_inputs = False
    op_name = "broadcast_to"

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape

    def forward(self, x):
        self.x_shape = x.shape
        lead = len(self.shape) - x.ndim
        if lead >= 0 and self.shape[lead:] == x.shape and math.prod(self.shape[:lead]) == 1:
            # only leading size-1 dims added: a writable view, as PyTorch's (x.expand(1, 3))
            return x.reshape(self.shape)
        try:
            return get_array_module(x).broadcast_to(x, self.shape)
        except ValueError:
            raise ShapeError(
                f"broadcast_to: cannot broadcast shape {x.shape} to {self.shape}"
            ) from None

    def backward(self, gy):
        return sum_to(gy, self.x_shape)


def sum_to(x: Tensor, shape: tuple[int, ...]) -> Tensor:
    if x.shape == tuple(shape):
        return x
    return SumTo(tuple(shape))(x)


def broadcast_to(x: Tensor, shape: tuple[int, ...]) -> Tensor:
    if x.shape == tuple(shape):
        return x
    if -1 in shape:  # keep that dim's size, as PyTorch's broadcast_to and expand
        return expand(x, tuple(shape))
    if isinstance(x._data, np.generic):  # a 0-d result: an array, which a view can share
        x._shareable()
    out = BroadcastTo(tuple(shape))(x)
    if x._data.size == out._data.size:  # adds size-1 dims only
        from .shape import ReshapeStep, _empty_view, _note_view

        if out._vc is x._vc or _empty_view(x, out):
            _note_view(x, out, ReshapeStep, out._data.shape)
    return out


def broadcast_shapes(*shapes: Any) -> Size:
    """The shape `shapes` broadcast to, as PyTorch's (an int counts as a 1-d shape); a
    ShapeError naming them where they do not broadcast."""
    dims = [(s,) if isinstance(s, int) else tuple(s) for s in shapes]
    try:
        return Size(np.broadcast_shapes(*dims))
    except ValueError:
        raise ShapeError(
            f"shape mismatch: objects cannot be broadcast to a single shape: {dims}"
        ) from None


def broadcast_tensors(*tensors: Tensor) -> tuple[Tensor, ...]:
    """Each tensor broadcast to their common shape (read-only expanded views where a size
    grows, as `expand`; the gradient sums back), as PyTorch's."""
    shape = broadcast_shapes(*(t.shape for t in tensors))
    return tuple(broadcast_to(t, shape) for t in tensors)


def expand(x: Tensor, shape: tuple[int, ...]) -> Tensor:
    """PyTorch's expand: -1 keeps a dimension's size."""
    lead = len(shape) - x.ndim
    if lead < 0 or any(n == -1 for n in shape[:lead]):
        raise ShapeError(f"expand: cannot expand shape {x.shape} to {tuple(shape)}")
    full = tuple(x.shape[i - lead] if n == -1 else n for i, n in enumerate(shape))
    return broadcast_to(x, full)


class Sum(Function):
    uses_inputs = False

    def __init__(self, dims: tuple[int, ...] | None, keepdim: bool, dtype: Any = None) -> None:
        self.dims, self.keepdim, self.dtype = dims, keepdim, dtype

    def forward(self, x):
        self.x_shape = x.shape
        # PyTorch sums bool and every integer dtype in int64 unless told a dtype
        dtype = self.dtype
        if dtype is None and x.dtype.kind in "biu":
            dtype = np.int64
        return array_sum(x, self.dims, self.keepdim, dtype)

    def backward(self, gy):
        if not self.keepdim:
            gy = gy.reshape(_keep_shape(self.x_shape, self.dims))
        return broadcast_to(gy, self.x_shape)


def differentiable_dtype(x: Tensor, dtype: Any, op: str) -> None:
    """Refuse a bool or integer `dtype=` for a reduction of x that records a gradient, as
    PyTorch does ("Autograd not support dtype: Long"): the cast would cut x off the graph,
    and a later backward would skip x without a word. Without grad it is a plain cast."""
    if x.requires_grad and np.dtype(dtype).kind in "biu" and is_grad_enabled():
        raise RuntimeError(
            f"{op}: Autograd not support dtype: {_type_name(dtype)} (dtype={np.dtype(dtype)} "
            f"asked of a {x.dtype} input that requires grad; detach it or sum without dtype)"
        )


def reduce_sum(x: Tensor, dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Tensor:
    """The sum over `dim`; with `dtype`, the input is cast to it first (PyTorch's)."""
    if dtype is not None:
        differentiable_dtype(x, dtype, "sum")
        dtype = np.dtype(dtype)
        if x.dtype != dtype and (dtype.kind in "fc" or x.dtype.kind in "fc"):
            from .shape import cast  # shape imports this module

            x = cast(x, dtype)
    return Sum(reduce_dims(dim, x.ndim, "sum"), keepdim, dtype)(x)


class _NaNAsZero(Function):
    """x with its NaNs as 0. The gradient is gy times (x is not NaN), a product as
    PyTorch's nansum backward, so an infinite gradient at a NaN gives NaN there too."""

    uses_inputs = False

    def forward(self, x):
        xp = get_array_module(x)
        self.keep = (~xp.isnan(x)).astype(x.dtype)
        return xp.where(xp.isnan(x), x.dtype.type(0), x)

    def backward(self, gy):
        from .elementwise import scale  # elementwise imports this module

        return scale(gy, self.keep)


def _real_nan_reduction(x: Tensor, dtype: Any, op: str) -> None:
    """PyTorch's refusals of complex values in nansum and nanmean (it has no complex
    nansum kernel): a complex input is a RuntimeError, a complex `dtype=` its
    NotImplementedError."""
    if x.dtype.kind == "c":
        raise DtypeError(
            f"{op}: nansum on CPU does not support complex inputs (got {_type_name(x.dtype)})"
        )
    try:
        target = None if dtype is None else np.dtype(dtype)
    except TypeError:  # not a dtype: the caller's check names it
        return
    if target is not None and target.kind == "c":
        raise Unsupported(
            f"{op}: \"nansum_cpu\" not implemented for '{_type_name(target)}' (dtype={target})"
        )


def nansum(x: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """The sum over `dim` with NaNs counted as zero (their gradient is 0), as PyTorch's;
    complex tensors refused, as PyTorch's CPU kernel refuses them."""
    _real_nan_reduction(x, dtype, "nansum")
    if dtype is not None:
        differentiable_dtype(x, dtype, "nansum")
    dims = reduce_dims(dim, x.ndim, "nansum")  # a bad dim named as nansum's, not sum's
    if x.dtype.kind in "fc":
        x = _NaNAsZero()(x)
    return reduce_sum(x, dims, keepdim, dtype)


def nanmean(x: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """The mean of the values that are not NaN over `dim` (NaN where all are), as
    PyTorch's; floating-point inputs only."""
    _real_nan_reduction(x, dtype, "nanmean")
    if x.dtype.kind != "f":  # the input's own dtype, before any `dtype` cast
        raise DtypeError(
            f"nanmean(): expected input to have floating point or complex dtype but got {x.dtype}"
        )
    if dtype is not None:
        from .shape import cast  # shape imports this module

        if np.dtype(dtype).kind not in "fc":  # (a NaN cast to an integer is INT64_MIN)
            raise DtypeError(
                "nanmean(): could not infer output dtype. Optional dtype must be either a "
                f"floating point or complex dtype, got {np.dtype(dtype)}"
            )
        x = cast(x, np.dtype(dtype))
    xp = get_array_module(x._data)
    dims = reduce_dims(dim, x.ndim, "nanmean")
    count = (~xp.isnan(x._data)).sum(axis=dims, keepdims=keepdim)
    if x.dtype == np.float16:
        from .shape import cast  # shape imports this module

        total = cast(nansum(x, dims, keepdim), np.float32)
        div = Tensor._make(_half_count(xp.asarray(count)), False)
        return cast(total / div, x.dtype)
    return nansum(x, dims, keepdim) / Tensor._make(xp.asarray(count, dtype=x.dtype), False)


def _half_count(count: Any) -> Any:
    """float16 nanmean's divisor, in float32 (the division is float32's, rounded once to
    float16, as PyTorch's). PyTorch divides a single result by its int64 count, read as a
    float; several by the counts cast to float16 (3001 is 3000 there), and so do we, but
    for counts float16 makes inf (65520 on): PyTorch's mean is 0 there, ours the mean."""
    xp = get_array_module(count)
    c = count.astype(np.float32)
    if count.size == 1:
        return c
    half = xp.minimum(count, 65504).astype(np.float16).astype(np.float32)
    return xp.where(count < 65520, half, c)


def _count(shape: tuple[int, ...], dims: tuple[int, ...] | None) -> int:
    n = 1
    for i, s in enumerate(shape):
        if dims is None or i in dims:
            n *= s
    return n


def mean(x: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    """The mean over `dim`; NaN over no elements, as in PyTorch. float16 is summed in
    float32 (PyTorch's accumulation), so a mean of large halves does not overflow."""
    dims = reduce_dims(dim, x.ndim, "mean")
    n = _count(x.shape, dims)
    if x.dtype == np.float16:
        from .shape import cast  # shape imports this module

        return cast(mean(cast(x, np.float32), dims, keepdim), np.float16)
    if not n:
        return Sum(dims, keepdim)(x) * float("nan")
    if x.dtype.kind == "f":  # one node; complex and integers: the ops, which promote
        return Mean(dims, keepdim, n)(x)
    # divided by n, as PyTorch: a multiplication by 1/n rounds twice (7 / 3 in float32 is
    # 2.3333333, 7 * (1 / 3) is 2.3333335)
    return Sum(dims, keepdim)(x) / n


class Mean(Function):
    """The sum over `dims` divided by the n values each result has (not multiplied by
    1/n, which rounds twice: 7 / 3 in float32 is 2.3333333, 7 * (1 / 3) is 2.3333335), as
    PyTorch. One node: the gradient is gy / n, broadcast back to x's shape; a first-order
    backward makes it from the arrays, without a node per step (every loss's mean)."""

    uses_inputs = False

    def __init__(self, dims: tuple[int, ...] | None, keepdim: bool, n: int) -> None:
        self.dims, self.keepdim, self.n = dims, keepdim, n

    def forward(self, x):
        self.x_shape = x.shape
        return array_sum(x, self.dims, self.keepdim) / x.dtype.type(self.n)

    def backward(self, gy):
        keep = _keep_shape(self.x_shape, self.dims)
        if not is_grad_enabled():  # first order: a read-only broadcast view of gy / n
            g = gy._data / gy._data.dtype.type(self.n)
            g = get_array_module(g).broadcast_to(g.reshape(keep), self.x_shape)
            return Tensor._make(g, False)
        from .shape import reshape  # shape imports this module

        return broadcast_to(reshape(gy / self.n, keep), self.x_shape)


def _wide(x: Tensor) -> bool:
    """Whether x's variance is accumulated in float64: float16 and float32 are, as in
    PyTorch's CPU kernel, so that no square overflows (float32 values above 1.8e19) and
    the result is the correctly rounded one."""
    return x.dtype in (np.float16, np.float32)


def _warn_without_freedom(x: Tensor, dim: Any, correction: int, name: str) -> None:
    """PyTorch's warning when `correction` leaves no degrees of freedom (the result is inf
    or NaN): the variance of one value, unbiased."""
    if _count(x.shape, reduce_dims(dim, x.ndim, name)) - correction <= 0:
        warnings.warn(
            f"{name}(): degrees of freedom is <= 0. Correction should be strictly less than "
            "the reduction factor (input numel divided by output numel).",
            UserWarning,
            stacklevel=4,
        )


def var(
    x: Tensor, dim: Any = None, correction: int = 1, keepdim: bool = False, *, op: str = "var"
) -> Tensor:
    """Variance with PyTorch's default Bessel correction (unbiased), accumulated in float64
    for float16 and float32 and rounded once to x's dtype, as PyTorch's. `op` names the
    function in errors and warnings (var_mean's)."""
    from .elementwise import to_float

    x = to_float(x)
    _warn_without_freedom(x, dim, correction, op)  # (a bad dim is refused here, by op)
    if _moments_handle(x):
        return SecondMoment(reduce_dims(dim, x.ndim, op), correction, keepdim, False)(x)
    return var_composite(x, dim, correction, keepdim)


def var_composite(x: Tensor, dim: Any = None, correction: int = 1, keepdim: bool = False) -> Tensor:
    """`var` of a float x from ops (a node per step): every array module and dtype, and the
    tests' oracle for `SecondMoment`."""
    from .shape import cast  # shape imports this module

    if _wide(x):
        return cast(var_same_dtype(cast(x, np.float64), dim, correction, keepdim), x.dtype)
    return var_same_dtype(x, dim, correction, keepdim)


def _moments_handle(x: Tensor) -> bool:
    """Whether `SecondMoment` serves x: a NumPy array of a real float dtype, with values
    and at least one dim."""
    a = x._data
    return type(a) is np.ndarray and a.dtype.kind == "f" and a.size > 0 and a.ndim > 0


class SecondMoment(Function):
    """var (or, with `root`, std) over `dims` in one node on NumPy float arrays: the NumPy
    calls of `var_composite` and `std_composite` on the same arrays, so the same bits
    (float16 and float32 worked in float64, rounded once at the end), without a Tensor and
    a node per step. The gradient is PyTorch's var_backward, 2 / (n - correction) gy
    (x - mean), and for std gy / (2 std) in place of gy, 0 where the std is 0 (a constant
    input); worked in float64 for float16 and float32 and rounded once. Where correction
    leaves no degrees of freedom it is PyTorch's too (the composite's product with inf
    made NaN): over some dims the same formula, its scale inf (n = correction) or
    negative; over every dim gy times NaN where x is the mean and inf elsewhere; there x
    and its mean are taken in x's own dtype, as PyTorch's backward takes them. A
    first-order backward computes it on the arrays, the mean worked out again from x (the
    forward's bits; nothing x-sized is held); a recorded one with ops, the mean and the
    std rebuilt from x, so second derivatives come out right."""

    def __init__(
        self, dims: tuple[int, ...] | None, correction: int, keepdim: bool, root: bool
    ) -> None:
        self.dims, self.correction, self.keepdim, self.root = dims, correction, keepdim, root
        # std's backward reads its output (in float64: `wide_out`), so an in-place change
        # of the output is refused at the backward, as PyTorch's StdBackward refuses it
        self.uses_outputs = root

    def forward(self, x):
        w = _widened(x)
        n = _count(x.shape, self.dims)
        free = n - self.correction
        # 1 / (n - correction), or inf where no degrees of freedom are left (PyTorch's
        # division by zero), as var_same_dtype multiplies
        factor = 1.0 / free if free > 0 else float("inf")
        # PyTorch's var_backward scales by 2 / (n - correction) as it is: inf at no
        # degrees of freedom, negative below (its forward divides by max(0, n - correction))
        self.slope = 2.0 / free if free else float("inf")
        self.no_freedom = free <= 0
        d = w - self._mean(w)
        v = np.multiply(d, d, out=d).sum(axis=self.dims, keepdims=self.keepdim) * w.dtype.type(
            factor
        )
        y = np.sqrt(v) if self.root else v
        if self.root:  # std's backward divides by it (the output itself for float64)
            self.wide_out = y
        return y.astype(x.dtype) if w is not x else y

    @property
    def no_freedom_everywhere(self) -> bool:
        """No degrees of freedom left in a reduction over every dim (PyTorch's other
        branch: NaN at the mean, inf elsewhere)."""
        return self.dims is None and self.no_freedom

    def _mean(self, w: Any) -> Any:
        """The mean over dims, kept, as Mean computes it (sum / n)."""
        return w.sum(axis=self.dims, keepdims=True) / w.dtype.type(_count(w.shape, self.dims))

    def backward(self, gy):
        x = self.inputs[0]
        keep = _keep_shape(x.shape, self.dims)
        if not is_grad_enabled():
            return self._backward_arrays(gy._data, x._data, keep)
        from .elementwise import where
        from .shape import cast, reshape

        wide = cast(x, np.float64) if _wide(x) else x
        g = reshape(cast(gy, wide.dtype), keep)
        w = wide
        if self.no_freedom:  # PyTorch's branches compare with the mean in x's own dtype
            w, g = x, cast(g, x.dtype)
        mu = mean(w, self.dims, keepdim=True)
        if self.root:  # the std again, with ops: its own gradient reaches x too
            v = var_same_dtype(wide, self.dims, self.correction, True)
            s = cast(reshape(StdFromVar()(v), keep), g.dtype)
            zero = s._data == 0
            g = where(zero, 0.0, g / (2 * where(zero, 1.0, s)))
        if self.no_freedom_everywhere:
            gx = g * Tensor._make(_nan_at_mean(w._data, mu._data), False)
        else:
            gx = self.slope * g * (w - mu)
        return cast(gx, x.dtype) if gx.dtype != x.dtype else gx

    def _backward_arrays(self, gy: Any, x: Any, keep: tuple[int, ...]) -> Tensor:
        w = _widened(x)
        g = np.asarray(gy, dtype=w.dtype).reshape(keep)
        if self.root:
            s = np.asarray(self.wide_out).reshape(keep)
            zero = s == 0
            g = np.where(zero, 0.0, g / (2 * np.where(zero, 1.0, s))).astype(w.dtype)
        if self.no_freedom:  # PyTorch's branches compare with the mean in x's own dtype
            w, g = x, g.astype(x.dtype)
        mu = self._mean(w)
        if self.no_freedom_everywhere:
            gx = g * _nan_at_mean(w, mu)
        else:
            gx = np.multiply(w.dtype.type(self.slope) * g, w - mu)
        return Tensor._make(gx.astype(x.dtype, copy=False), False)


def _widened(a: Any) -> Any:
    """A float16 or float32 array in float64, where var and std are worked; float64 as is."""
    return a.astype(np.float64) if a.dtype.itemsize < 8 else a


def _nan_at_mean(w: Any, mu: Any) -> Any:
    """PyTorch's var_backward factor for a reduction over every dim with no degrees of
    freedom left: NaN where the value is the mean (inf * 0), inf elsewhere."""
    return np.where(w == mu, np.nan, np.inf).astype(w.dtype)


def var_same_dtype(
    x: Tensor, dim: Any = None, correction: int = 1, keepdim: bool = False
) -> Tensor:
    """The variance computed in x's own float dtype, two passes (mean, then the squared
    deviations): what the normalisation layers use, as PyTorch's do."""
    dims = reduce_dims(dim, x.ndim, "var")
    n = _count(x.shape, dims)
    d = x - mean(x, dims, keepdim=True)
    if n > correction:
        return reduce_sum(d * d, dims, keepdim) * (1.0 / (n - correction))
    # no degrees of freedom left: a division by zero, as PyTorch's (inf, NaN for a zero sum)
    return reduce_sum(d * d, dims, keepdim) * float("inf")


class StdFromVar(Function):
    """sqrt of a variance, with PyTorch's gradient: 0 where the std is 0 (a constant input),
    not inf * 0."""

    uses_inputs = False
    uses_outputs = True

    def forward(self, v):
        return get_array_module(v).sqrt(v)

    def backward(self, gy):
        from .elementwise import where

        y = self.output()
        zero = y._data == 0
        # a safe divisor where the std is 0, so no inf (and no warning) is ever formed
        return where(zero, 0.0, gy / (2 * where(zero, 1.0, y)))


def std(
    x: Tensor, dim: Any = None, correction: int = 1, keepdim: bool = False, *, op: str = "std"
) -> Tensor:
    """Standard deviation with PyTorch's default Bessel correction; a finite (zero)
    gradient for a constant input. Accumulated, and its square root taken, in float64 for
    float16 and float32, then rounded once, as PyTorch's. `op` names the function in errors
    and warnings (std_mean's)."""
    from .elementwise import to_float

    x = to_float(x)
    _warn_without_freedom(x, dim, correction, op)  # (a bad dim is refused here, by op)
    if _moments_handle(x):
        return SecondMoment(reduce_dims(dim, x.ndim, op), correction, keepdim, True)(x)
    return std_composite(x, dim, correction, keepdim)


def std_composite(x: Tensor, dim: Any = None, correction: int = 1, keepdim: bool = False) -> Tensor:
    """`std` of a float x from ops: every array module and dtype, the tests' oracle."""
    from .shape import cast  # shape imports this module

    if _wide(x):
        wide = var_same_dtype(cast(x, np.float64), dim, correction, keepdim)
        return cast(StdFromVar()(wide), x.dtype)
    return StdFromVar()(var_same_dtype(x, dim, correction, keepdim))


class Extreme(Function):
    """max (sign +1) or min (sign -1) over dims, with PyTorch's three gradient rules.
    mode "share" (amax/amin): gy / (number of ties) times the tie mask, a product as in
    PyTorch. "even" (max()/min() of everything): the same shares, selected (0 off the ties
    even for an inf gy), and at a NaN result the NaN elements share. "norm" (the inf-norms,
    of |x|): the shares of "share", where the NaN elements share too (PyTorch's
    vector_norm gradient). "index" (max/min along a dim): all of gy, selected, at the
    returned index."""

    uses_inputs = False

    def __init__(
        self, dims: tuple[int, ...] | None, keepdim: bool, sign: int, mode: str = "share"
    ) -> None:
        self.dims, self.keepdim, self.sign, self.mode = dims, keepdim, sign, mode
        self.index = mode == "index"
        self.op_name = "max" if sign > 0 else "min"

    def forward(self, x):
        ordered(x.dtype, self.op_name)
        dims = range(x.ndim) if self.dims is None else self.dims
        if x.size == 0 and (x.ndim == 0 or any(x.shape[d] == 0 for d in dims)):
            raise IndexOutOfRange(  # PyTorch: IndexError for a dim, RuntimeError for all
                f"{self.op_name}: the reduced dims of a tensor of shape {x.shape} are empty"
            )
        xp = get_array_module(x)
        if x.size == 0:  # nothing reduced over an empty remaining dim: an empty result
            y = (x.max if self.sign > 0 else x.min)(axis=self.dims, keepdims=True)
            if self.index:
                self.arg = xp.zeros(y.shape, dtype=np.int64)
            self.x_shape, self.weight, self.bits = x.shape, None, None
            return y if self.keepdim else y.reshape(_reduced_shape(x.shape, self.dims))
        if self.index:
            (d,) = self.dims
            self.arg = (x.argmax if self.sign > 0 else x.argmin)(axis=d, keepdims=True)
            y = xp.take_along_axis(x, self.arg, axis=d)
            shape = [1] * x.ndim
            shape[d] = x.shape[d]
            mask = xp.arange(x.shape[d]).reshape(shape) == self.arg
        else:
            y = (x.max if self.sign > 0 else x.min)(axis=self.dims, keepdims=True)
            mask = x == y
            if self.mode in ("even", "norm"):
                mask |= xp.isnan(x) & xp.isnan(y)
        self.x_shape = x.shape
        if x.dtype.kind not in "fc":  # bool and integer tensors get no gradient
            return y if self.keepdim else y.reshape(_reduced_shape(x.shape, self.dims))
        share = None if self.index else (1 / mask.sum(axis=self.dims, keepdims=True))
        if self.mode in ("share", "norm"):
            self.weight = (mask * share).astype(x.dtype, copy=False)
        else:
            from .elementwise import keep_bits

            self.bits = keep_bits(mask, x.dtype)
            self.weight = None if self.index else share.astype(x.dtype)
        return y if self.keepdim else y.reshape(_reduced_shape(x.shape, self.dims))

    def backward(self, gy):
        from .elementwise import Mask, scale

        if not self.keepdim:
            gy = gy.reshape(_keep_shape(self.x_shape, self.dims))
        gy = broadcast_to(gy, self.x_shape)
        if not gy.numel():
            return gy
        if self.mode in ("share", "norm"):
            return scale(gy, self.weight)
        return Mask(self.bits, self.weight)(gy)


def _reduced_shape(shape: tuple[int, ...], dims: tuple[int, ...] | None) -> tuple[int, ...]:
    if dims is None:
        return ()
    return tuple(n for i, n in enumerate(shape) if i not in dims)


def amax(x: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    return Extreme(reduce_dims(dim, x.ndim, "amax"), keepdim, 1)(x)


def amin(x: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    return Extreme(reduce_dims(dim, x.ndim, "amin"), keepdim, -1)(x)


def _arg(x: Tensor, dim: int | None, keepdim: bool, name: str) -> Tensor:
    ordered(x.dtype, name)
    xp = get_array_module(x._data)
    if dim is None:
        if x._data.size == 0:
            raise IndexError(
                f"{name}(): Expected reduction dim to be specified for input.numel() == 0 "
                f"(input of shape {x.shape})."
            )
        idx = getattr(xp, name)(x._data)
        return Tensor._make(idx.reshape((1,) * x.ndim) if keepdim else idx, False)
    d = normalize_dim(dim, x.ndim, name)
    if x.ndim and x.shape[d] == 0:
        raise IndexError(
            f"{name}(): Expected reduction dim {d} to have non-zero size (input of shape "
            f"{x.shape})."
        )
    return Tensor._make(getattr(xp, name)(x._data, axis=d, keepdims=keepdim), False)


def argmax(x: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    return _arg(x, dim, keepdim, "argmax")


def argmin(x: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    return _arg(x, dim, keepdim, "argmin")


def max_reduce(x: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    """PyTorch's Tensor.max: the largest element, or (values, indices) along an int dim."""
    if dim is None:
        return Extreme(None, keepdim, 1, "even")(x)
    if not isinstance(dim, int | np.integer):
        return amax(x, dim, keepdim)
    if x.ndim == 0:
        return return_types.max(*_only_element(x, dim, "max"))
    f = Extreme(reduce_dims(dim, x.ndim, "max"), keepdim, 1, "index")
    values = f(x)
    idx = f.arg if keepdim else f.arg.reshape(values.shape)
    return return_types.max(values, Tensor._make(idx, False))


def min_reduce(x: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    if dim is None:
        return Extreme(None, keepdim, -1, "even")(x)
    if not isinstance(dim, int | np.integer):
        return amin(x, dim, keepdim)
    if x.ndim == 0:
        return return_types.min(*_only_element(x, dim, "min"))
    f = Extreme(reduce_dims(dim, x.ndim, "min"), keepdim, -1, "index")
    values = f(x)
    idx = f.arg if keepdim else f.arg.reshape(values.shape)
    return return_types.min(values, Tensor._make(idx, False))


def _only_element(x: Tensor, dim: Any, op: str) -> tuple[Tensor, Tensor]:
    """max/min(x, dim) of a 0-d x: (a copy of x, index 0). The value is selected, so its
    gradient is gy even where x is NaN, as PyTorch's (amax's share of the elements equal to
    the result gave NaN there: no element equals a NaN)."""
    from .shape import clone  # shape imports this module

    normalize_dim(dim, 0, op)
    zero = get_array_module(x._data).zeros((), np.int64)
    return clone(x), Tensor._make(zero, False)


def float16_widened(x: Any) -> Any:
    """An array x, or a float32 copy of a float16 x: PyTorch computes half-precision
    kernels (norms, sinc) in float and rounds only the result, so that |x|^p of a large
    entry does not overflow."""
    return x.astype("float32") if x.dtype == "float16" else x


class Norm2(Function):
    """Euclidean norm; the gradient at a zero vector is 0 (a subgradient), not NaN."""

    uses_outputs = True

    def __init__(self, dims: tuple[int, ...] | None, keepdim: bool) -> None:
        self.dims, self.keepdim = dims, keepdim

    def forward(self, x):
        xp = get_array_module(x)
        wide = float16_widened(x)  # float16 squares overflow from 256 on: sum them in float32
        return xp.sqrt((wide * wide).sum(axis=self.dims, keepdims=self.keepdim)).astype(x.dtype)

    def backward(self, gy):
        from .elementwise import where

        (x,) = self.inputs
        y = self.output()
        if not self.keepdim:
            keep = _keep_shape(x.shape, self.dims)
            gy, y = gy.reshape(keep), y.reshape(keep)
        safe = where(y._data == 0, 1.0, y)
        return gy * (x / safe)  # PyTorch's order, which rounds alike in float16


class NormP(Function):
    """(sum |x|^p)^(1/p) for a finite p other than 1 and 2 (a negative p included: 0 when
    an element is 0), or the count of non-zeros for p = 0. PyTorch's gradient: 0 at a zero
    vector, 0 at zero elements for p < 1, and none at all for p = 0 (x.grad stays None, as
    PyTorch leaves it)."""

    uses_outputs = True

    def __init__(self, p: float, dims: tuple[int, ...] | None, keepdim: bool) -> None:
        self.p, self.dims, self.keepdim = p, dims, keepdim

    def forward(self, x):
        xp = get_array_module(x)
        if self.p == 0:
            return (x != 0).sum(axis=self.dims, keepdims=self.keepdim).astype(x.dtype)
        s = (xp.abs(float16_widened(x)) ** self.p).sum(axis=self.dims, keepdims=self.keepdim)
        return (s ** (1.0 / self.p)).astype(x.dtype)

    def backward(self, gy):
        from .elementwise import abs as abs_
        from .elementwise import sign, where

        (x,) = self.inputs
        if self.p == 0:  # no gradient at all, as PyTorch's: x.grad stays None
            return None
        p, y = self.p, self.output()
        if not self.keepdim:
            keep = _keep_shape(x.shape, self.dims)
            gy, y = gy.reshape(keep), y.reshape(keep)
        if p < 1:
            scaled = sign(x) * where(x._data == 0, 0.0, abs_(x) ** (p - 1))
            return scaled * gy * y ** (1 - p)
        scaled = sign(x) * abs_(x) ** (p - 1) if p < 2 else x * abs_(x) ** (p - 2)
        zero = y._data == 0  # a zero vector: gradient 0, with a safe divisor (no inf formed)
        return scaled * where(zero, 0.0, gy / where(zero, 1.0, y) ** (p - 1))


def _scalar_p(p: Tensor) -> Any:
    """A tensor `p` as the number it holds: PyTorch takes a 0-d tensor for a Scalar
    argument, but not a larger one, nor one that requires grad (no gradient reaches p)."""
    if p.ndim != 0 or p.requires_grad:
        grad = " that requires grad" if p.requires_grad else ""
        raise TypeError(
            f"norm(): p must be a number (or a 0-d tensor that does not require grad), "
            f"got a tensor of shape {tuple(p.shape)}{grad}"
        )
    return p.item()


def norm(x: Tensor, p: Any = 2, dim: Any = None, keepdim: bool = False) -> Tensor:
    """Vector p-norm over `dim` (all elements when None); p may be a number >= 0, 'fro' or
    +-inf, or a 0-d tensor holding one (PyTorch's Scalar: `dist(a, b, tensor(3.))`). p = 0
    counts the non-zero elements, as in PyTorch. Complex x gives the real norm of |x|."""
    from .elementwise import abs as abs_
    from .elementwise import to_float

    if isinstance(p, Tensor):
        p = _scalar_p(p)
    x = to_float(x)
    if x.dtype.kind == "c":  # the norm of the moduli, real, as PyTorch's
        x = abs_(x)
    dims = reduce_dims(dim, x.ndim, "norm")
    if p in (2, "fro", 2.0):
        return Norm2(dims, keepdim)(x)
    if p in (float("inf"), -float("inf")):  # the NaN elements of a NaN norm share its gradient
        return Extreme(dims, keepdim, 1 if p > 0 else -1, "norm")(abs_(x))
    if p == 1:
        return reduce_sum(abs_(x), dims, keepdim)
    if not isinstance(p, int | float) or isinstance(p, bool) or p != p:
        raise ValueError(f"norm: unsupported p={p!r}; expected a number, 'fro' or +-inf")
    return NormP(float(p), dims, keepdim)(x)  # p < 0 too: 0 if any element is 0
