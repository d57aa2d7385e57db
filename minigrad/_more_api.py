"""Smaller PyTorch names that ported programs reach for: dtype queries and promotion
(`torch.dtype`, `promote_types`, `result_type`, `can_cast`), set membership and index
arithmetic (`isin`, `unravel_index`), and the top-level spellings of Tensor methods
(`torch.fliplr(x)`, `torch.is_complex(x)`, ...). Each follows PyTorch 2.13's rules; those
that only answer a question about a CPU NumPy tensor say what they answer."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from .autograd import no_derivative
from .backend import get_array_module
from .ops.elementwise import _CATEGORY, result_dtype
from .ops.extra import ZeroGradient
from .ops.search import _promoted
from .tensor import Tensor, _as_dtype, _is_dtype, _type_name


class _DtypeMeta(type):
    def __instancecheck__(cls, obj: Any) -> bool:
        return _is_dtype(obj)


class dtype(metaclass=_DtypeMeta):  # noqa: N801 - PyTorch's name
    """`isinstance(d, minigrad.dtype)`: minigrad's dtypes are NumPy's dtype objects
    (`mg.float32` is `numpy.dtype('float32')`, what a tensor's `.dtype` is); this holds for
    them and for NumPy's scalar types (`numpy.float32`), as `isinstance(torch.float32,
    torch.dtype)` does in PyTorch. It makes nothing."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("cannot create 'minigrad.dtype' instances: use mg.float32, mg.int64, ...")


def promote_types(type1: Any, type2: Any) -> Any:
    """The dtype two tensors of these dtypes promote to (int32 with float16 is float16;
    uint8 with int8 is int16), as PyTorch's `promote_types`."""
    a, b = _as_dtype(type1, "promote_types"), _as_dtype(type2, "promote_types")
    return _promoted(a, b)


def result_type(tensor: Any, other: Any) -> Any:
    """The dtype an arithmetic op on `tensor` and `other` (tensors or numbers) gives, by
    PyTorch's promotion: a number of a higher kind takes the default dtype of its kind."""
    return result_dtype(tensor, other)


def can_cast(from_: Any, to: Any) -> bool:
    """Whether PyTorch's type promotion allows the cast: not to a lower kind (float to an
    integer, complex to a float, an integer to bool); within a kind any width is allowed."""
    f, t = _as_dtype(from_, "can_cast"), _as_dtype(to, "can_cast")
    return _CATEGORY[f.kind] <= _CATEGORY[t.kind]


def isin(
    elements: Any,
    test_elements: Any,
    *,
    assume_unique: bool = False,
    invert: bool = False,
) -> Tensor:
    """A bool tensor of `elements`' shape: whether each element is among `test_elements`
    (either may be a number); no gradient, as PyTorch's."""
    if not isinstance(elements, Tensor) and not isinstance(test_elements, Tensor):
        raise TypeError("isin(): expected at least one of elements, test_elements as a Tensor")
    ref = elements if isinstance(elements, Tensor) else test_elements
    xp = get_array_module(ref._data)
    a = elements._data if isinstance(elements, Tensor) else _as_operand(elements, "elements")
    b = (
        test_elements._data
        if isinstance(test_elements, Tensor)
        else _as_operand(test_elements, "test_elements")
    )
    for dt in (a.dtype, b.dtype):  # as PyTorch's kernel (complex: NumPy's isin sorts)
        if dt.kind in "bc":
            raise RuntimeError(f"Unsupported input type encountered for isin(): {_type_name(dt)}")
    out = xp.isin(a, b, assume_unique=assume_unique, invert=invert)
    return Tensor._make(xp.asarray(out, dtype=np.bool_), False)


def _as_operand(value: Any, name: str) -> Any:
    """A number (or list of numbers) as an array; anything else is PyTorch's TypeError."""
    from .tensor import _to_array

    if not isinstance(value, bool | int | float | complex | list | tuple | np.number | np.ndarray):
        raise TypeError(
            f"isin(): argument '{name}' must be a Tensor or a number, not {type(value).__name__}"
        )
    try:
        return _to_array(value)
    except (RuntimeError, ValueError):
        raise TypeError(f"isin(): argument '{name}' must hold numbers, got {value!r:.40}") from None


def unravel_index(indices: Any, shape: Any) -> tuple[Tensor, ...]:
    """The coordinates of flat `indices` (an integer tensor) in a tensor of `shape`: one
    int64 tensor per dim, each of `indices`' shape. Negative indices count from the end,
    as PyTorch's; an index beyond the size raises RuntimeError."""
    if not isinstance(indices, Tensor):
        raise TypeError(f"unravel_index(): expected 'indices' to be a Tensor, got {indices!r}")
    if indices.dtype.kind not in "iu":
        raise TypeError(
            f"unravel_index(): expected 'indices' to be integer dtype, got {indices.dtype}"
        )
    dims = (shape,) if isinstance(shape, int) else tuple(int(s) for s in shape)
    if any(s < 0 for s in dims):
        raise RuntimeError(f"unravel_index: 'shape' cannot have negative values, but got {dims}")
    size = int(np.prod(dims, dtype=np.int64))
    flat = indices._data.astype(np.int64)
    xp = get_array_module(flat)
    if flat.size and (int(flat.min()) < -size or int(flat.max()) >= size):
        raise RuntimeError(
            f"unravel_index: 'indices' must be in range [-{size}, {size - 1}] for shape {dims}"
        )
    flat = xp.where(flat < 0, flat + size, flat)
    coords = xp.unravel_index(flat, dims) if dims else ()
    return tuple(Tensor._make(xp.asarray(c, dtype=np.int64), False) for c in coords)


def scalar_tensor(s: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False):
    """A 0-d tensor of the real number `s`, in the default float dtype unless `dtype` (an
    int gives a float tensor too, as PyTorch's `scalar_tensor`)."""
    from .tensor import default_float, tensor

    if isinstance(s, complex) and dtype is None:
        raise RuntimeError("value cannot be converted to type float without overflow")
    return tensor(
        s if dtype is not None else float(s),
        dtype=default_float() if dtype is None else dtype,
        device=device,
        requires_grad=requires_grad,
    )


_interop_threads: int | None = None  # what set_num_interop_threads recorded


def get_num_interop_threads() -> int:
    """The threads PyTorch would run independent ops on: minigrad runs ops one after
    another, so this is the count `set_num_interop_threads` recorded, else the cores."""
    return _interop_threads or os.cpu_count() or 1


def set_num_interop_threads(n: int) -> None:
    """Recorded for `get_num_interop_threads`; minigrad runs ops one after another, so it
    changes nothing (the threads within an op: `set_num_threads`)."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise RuntimeError(
            f"set_num_interop_threads: expected a positive number of threads, got {n!r}"
        )
    global _interop_threads
    _interop_threads = n


def set_flush_denormal(mode: bool) -> bool:
    """PyTorch turns the CPU's flush-to-zero on for denormal floats and returns True where
    the CPU supports it; NumPy offers no such switch, so this returns False (unsupported)
    and denormals stay as they are, as PyTorch does where it returns False."""
    return False


def seed() -> int:
    """Seed the default generator from the operating system's entropy and return the
    seed, as PyTorch's `seed()` (a 64-bit number)."""
    from .random import seed as seed_from_entropy

    return seed_from_entropy()


def is_same_size(a: Tensor, b: Tensor) -> bool:
    return tuple(a.shape) == tuple(b.shape)


def chain_matmul(*matrices: Tensor, out: Any = None) -> Tensor:
    """The product of the matrices in order (PyTorch's deprecated form of
    `linalg.multi_dot`)."""
    from . import linalg

    if out is not None:
        raise TypeError("chain_matmul: out= is not supported; use linalg.multi_dot(..., out=)")
    for m in matrices:
        if m.ndim != 2:
            raise RuntimeError(f"chain_matmul: Tensor dimension is {m.ndim}, expected 2 instead.")
    if len(matrices) == 1:
        return matrices[0].clone()
    return linalg.multi_dot(list(matrices))


# ---------------------------------------------------------------- PyTorch's aten forms
# `torch.dropout(x, p, train)`, `torch.layer_norm(x, shape, w, b, eps, cudnn_enable)`, ...:
# the positional orders of PyTorch's native functions, which differ from nn.functional's
# (torch.embedding takes the weight first; torch.batch_norm the weight before the stats).


def _p_checked(p: float) -> float:
    if not 0 <= p <= 1:  # the native form's RuntimeError (nn.functional's: ValueError)
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {p}")
    return p


def dropout(input: Tensor, p: float, train: bool) -> Tensor:  # noqa: A002
    from .nn import functional as F

    return F.dropout(input, _p_checked(p), train)


def alpha_dropout(input: Tensor, p: float, train: bool) -> Tensor:  # noqa: A002
    from .nn import functional as F

    return F.alpha_dropout(input, _p_checked(p), train)


def feature_alpha_dropout(input: Tensor, p: float, train: bool) -> Tensor:  # noqa: A002
    from .nn import functional as F

    return F.feature_alpha_dropout(input, _p_checked(p), train)


def layer_norm(
    input: Tensor,  # noqa: A002
    normalized_shape: Any,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
    cudnn_enable: bool = True,
) -> Tensor:
    from .nn import functional as F

    return F.layer_norm(input, normalized_shape, weight, bias, eps)


def batch_norm(
    input: Tensor,  # noqa: A002
    weight: Tensor | None,
    bias: Tensor | None,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    training: bool,
    momentum: float,
    eps: float,
    cudnn_enabled: bool,
) -> Tensor:
    from .nn import functional as F

    return F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def instance_norm(
    input: Tensor,  # noqa: A002
    weight: Tensor | None,
    bias: Tensor | None,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    use_input_stats: bool,
    momentum: float,
    eps: float,
    cudnn_enabled: bool,
) -> Tensor:
    from .nn import functional as F

    return F.instance_norm(
        input, running_mean, running_var, weight, bias, use_input_stats, momentum, eps
    )


def embedding(
    weight: Tensor,
    indices: Tensor,
    padding_idx: int = -1,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """The rows of `weight` at `indices`; a negative `padding_idx` means none, as PyTorch's
    native form (nn.functional's takes None, and counts a negative one from the end)."""
    from .nn import functional as F

    pad = None if padding_idx < 0 else padding_idx
    return F.embedding(indices, weight, pad, scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


def histogram(
    input: Tensor,  # noqa: A002
    bins: Any = 100,
    *,
    range: Any = None,  # noqa: A002 - PyTorch's name
    weight: Tensor | None = None,
    density: bool = False,
) -> Any:
    """(hist, bin_edges), both in input's float dtype (float32 or float64, as PyTorch's
    kernel): `bins` equal-width bins over `range` (else input's min to max) or the edges
    given as a 1-D tensor of input's dtype; each bin holds its left edge, the last both
    edges, as PyTorch's. The equal-width edges are PyTorch's `linspace`, bit for bit, so a
    value that sits on an edge falls in PyTorch's bin. No derivative (a backward through
    `hist` raises, as PyTorch's)."""
    from . import return_types
    from .ops.search import cxx_name
    from .tensor import _type_name, linspace

    x = input
    if x.dtype not in (np.float32, np.float64):
        raise NotImplementedError(f"\"histogramdd\" not implemented for '{_type_name(x.dtype)}'")
    # PyTorch's checks, in its words: the edges and weights are never cast
    if isinstance(bins, Tensor) and bins.dtype != x.dtype:
        raise RuntimeError(
            "torch.histogramdd: input tensor and bins tensors should have the same dtype, but "
            f"got input with dtype {cxx_name(x.dtype)} and bins for dimension 0 with dtype "
            f"{cxx_name(bins.dtype)}"
        )
    if weight is not None and weight.dtype != x.dtype:
        raise RuntimeError(
            "torch.histogramdd: if weight tensor is provided, input tensor and weight tensor "
            f"should have the same dtype, but got input({cxx_name(x.dtype)}), and "
            f"weight({cxx_name(weight.dtype)})"
        )
    xp = get_array_module(x._data)
    a = x._data.ravel()
    if isinstance(bins, Tensor):
        if bins.ndim != 1:
            raise RuntimeError(
                "torch.histogramdd: bins tensor should have one dimension, but got "
                f"{bins.ndim} dimensions in the bins tensor for dimension 0"
            )
        if bins.shape[0] < 1:
            raise RuntimeError(
                "torch.histogramdd: bins tensor should have at least 1 element, but got 0 "
                "elements in the bins tensor for dimension 0"
            )
        if bins.shape[0] < 2:  # one edge: no bin
            raise RuntimeError("torch.histogram(): bins must be > 0, but got 0 for dimension 0")
        edges = bins._data
    else:
        if not isinstance(bins, int) or isinstance(bins, bool) or bins < 1:
            raise RuntimeError(
                f"torch.histogram(): bins must be > 0, but got {bins!r} for dimension 0"
            )
        if range is not None:
            lo, hi = float(range[0]), float(range[1])
        elif a.size:
            lo, hi = float(a.min()), float(a.max())
        else:  # PyTorch's [0, 1] for no values
            lo, hi = 0.0, 1.0
        if not (np.isfinite(lo) and np.isfinite(hi)):
            raise RuntimeError(f"torch.histogram: range [{lo}, {hi}] is not finite")
        if lo > hi:
            raise RuntimeError(f"torch.histogram(): max must be larger than min, got [{lo}, {hi}]")
        if lo == hi:  # one value: a bin of width 1 around it, as PyTorch's
            lo, hi = lo - 0.5, hi + 0.5
        edges = linspace(lo, hi, bins + 1, dtype=x.dtype)._data
    w = None if weight is None else weight._data.ravel()
    # PyTorch's kernel: values outside [first edge, last edge] (NaN too, and all of them
    # where an edge is NaN, as a range that overflows the dtype makes them) are not
    # counted; the others fall in the bin std::upper_bound finds, the last one closed
    inside = (a >= edges[0]) & (a <= edges[-1])
    pos = _upper_bound(edges, a[inside]) - 1
    pos[pos == edges.size - 1] -= 1
    hist = xp.bincount(pos, None if w is None else w[inside], minlength=edges.size - 1)
    hist = hist.astype(x.dtype)
    if density:  # no values in range: 0 / 0, NaN in every bin, as PyTorch's
        with np.errstate(divide="ignore", invalid="ignore"):
            hist = (hist / (hist.sum() * xp.diff(edges))).astype(x.dtype)
    hist = no_derivative("histogram", hist, x, weight)
    return return_types.histogram(hist, Tensor._make(edges.copy(), False))


def _upper_bound(edges: Any, values: Any) -> Any:
    """For each value, the index of the first edge above it, as C++'s std::upper_bound
    finds it (NumPy's searchsorted, side='right', for sorted edges without NaN; the same
    halving steps otherwise, so edges in no order give PyTorch's bins)."""
    xp = get_array_module(values)
    n = edges.size
    if not bool((edges[1:] >= edges[:-1]).all()):  # unsorted or NaN: libstdc++'s steps
        first = xp.zeros(values.shape, np.int64)
        length = xp.full(values.shape, n, np.int64)
        while bool((length > 0).any()):
            half = length >> 1
            middle = first + half
            below = values < edges[xp.minimum(middle, n - 1)]
            first = xp.where(below | (length == 0), first, middle + 1)
            length = xp.where(below, half, xp.maximum(length - half - 1, 0))
        return first
    return xp.searchsorted(edges, values, side="right")


def poisson(input: Tensor, generator: Any = None) -> Tensor:  # noqa: A002
    """Poisson draws with the rates in `input` (>= 0), in input's dtype; from minigrad's
    generator, so not PyTorch's numbers for a seed."""
    from . import random

    x = input
    if x.dtype.kind != "f":
        raise NotImplementedError(f"\"poisson_cpu\" not implemented for '{x.dtype}'")
    rates = x._data
    if rates.size and (bool((rates < 0).any()) or bool(np.isnan(rates).any())):
        raise RuntimeError("poisson: invalid Poisson rate, expected rate to be non-negative")
    g = random.generator(x.device, generator)
    xp = get_array_module(rates)
    draws = xp.asarray(g.poisson(rates.astype(np.float64)), dtype=x.dtype)
    return _Draw(draws)(x)


class _Draw(ZeroGradient):
    """Draws whose distribution's parameter is x: recorded with a zero gradient, as
    PyTorch's."""

    def __init__(self, draws: Any) -> None:
        self.draws = draws

    def forward(self, x):
        return self.draws


def bernoulli(
    input: Tensor,  # noqa: A002
    p: Any = None,
    *,
    generator: Any = None,
    out: Any = None,
) -> Tensor:
    """0/1 draws, 1 with probability `input` (each element, in [0, 1]), or with probability
    `p` everywhere (minigrad/ops/sampling.py's). As PyTorch's, `bernoulli(input)` of
    probabilities that require grad is recorded with a zero gradient (the result requires
    grad; backward gives input zeros), and `out=` (with `bernoulli(input)` only) takes the
    draws in out's dtype, whatever it is, resized to input's shape without a warning."""
    from . import autograd
    from .ops import sampling

    if out is not None:
        if p is not None:
            raise TypeError(
                "bernoulli(): out= is taken with bernoulli(input) only, not with p (as "
                "PyTorch's signatures (input, *, generator, out) and (input, p, *, generator))"
            )
        return _bernoulli_out(input, generator, out)
    draws = sampling.bernoulli(input, p, generator=generator)
    if p is None and input.requires_grad and autograd.is_grad_enabled():
        return _Draw(draws._data)(input)
    return draws


def _bernoulli_out(input: Any, generator: Any, out: Any) -> Tensor:  # noqa: A002
    """bernoulli(input, out=out) through minigrad/_out.py's checks: out a Tensor, nothing
    requiring grad in grad mode, no partial overlap; the draws cast to out's dtype."""
    import inspect

    from . import _out
    from .ops import sampling

    def draw(input: Any, *, generator: Any = None) -> Tensor:  # noqa: A002
        return sampling.bernoulli(input, generator=generator).to(out.dtype)

    rule = _out.Rule("bernoulli", resize="quiet")
    return _out.call_with_out(
        "bernoulli", draw, rule, inspect.signature(draw), (input,), {"generator": generator}, out
    )


def gradient(
    input: Tensor,  # noqa: A002
    *,
    spacing: Any = 1,
    dim: Any = None,
    edge_order: int = 1,
) -> tuple[Tensor, ...]:
    """Central differences of `input` along each of `dim` (all dims by default), one
    tensor per dim, as PyTorch's `gradient`: (f[i+1] - f[i-1]) / 2h inside, one-sided
    differences of `edge_order` 1 or 2 at the ends. `spacing` is a number, one number per
    dim, or one 1-D tensor of coordinates per dim (uneven steps: the second-order formula
    of uneven neighbours). Written with tensor ops, so it is differentiable; integer
    input gives the default float."""
    from .ops.elementwise import to_float
    from .ops.reduce import distinct_dims

    x = input
    if x.dtype == np.bool_:
        raise RuntimeError(
            "gradient: bool input has no differences (subtraction of bool tensors is not "
            "supported); convert it with .int() or .float() first"
        )
    if spacing is None:  # PyTorch's default, passed explicitly
        spacing = 1
    if edge_order not in (1, 2):
        raise RuntimeError(
            f"torch.gradient only supports edge_order=1 and edge_order=2, got {edge_order}"
        )
    dims = list(range(x.ndim)) if dim is None else list(distinct_dims(dim, x.ndim, "gradient"))
    if isinstance(spacing, list | tuple):
        if len(spacing) != len(dims):
            raise RuntimeError(
                f"torch.gradient expected spacing to be unspecified, a scalar or its length "
                f"to match the number of dimensions ({len(dims)}), got {len(spacing)}"
            )
        steps = list(spacing)
    else:
        steps = [spacing] * len(dims)
    x = to_float(x)
    return tuple(_gradient_along(x, d, h, edge_order) for d, h in zip(dims, steps, strict=True))


def _gradient_along(x: Tensor, d: int, h: Any, edge_order: int) -> Tensor:
    from . import ops

    n = x.shape[d]
    if n < edge_order + 1:
        raise RuntimeError(
            f"torch.gradient expected each dimension size to be at least edge_order+1, "
            f"got size {n} in dim {d}"
        )

    def part(start: int, stop: int) -> Tensor:
        return x.narrow(d, start, stop - start)

    def coord_shape(t: Tensor) -> Tensor:  # a 1-D tensor along dim d, broadcastable
        return t.reshape([-1 if k == d else 1 for k in range(x.ndim)])

    if isinstance(h, Tensor):  # coordinates: uneven steps
        if h.ndim != 1 or h.shape[0] != n:
            raise RuntimeError(
                f"torch.gradient expected each tensor in spacing to be 1-D of the dimension's "
                f"size {n}, got shape {tuple(h.shape)}"
            )
        c = h.to(dtype=x.dtype)
        dx = c[1:] - c[:-1]  # n - 1 steps
        h1, h2 = coord_shape(dx[:-1]), coord_shape(dx[1:])
        inner = (
            (
                -h2 / (h1 * (h1 + h2)) * part(0, n - 2)
                + (h2 - h1) / (h1 * h2) * part(1, n - 1)
                + h1 / (h2 * (h1 + h2)) * part(2, n)
            )
            if n > 2
            else None
        )
        first, last = dx[0], dx[-1]
        if edge_order == 1:
            lo = (part(1, 2) - part(0, 1)) / first
            hi = (part(n - 1, n) - part(n - 2, n - 1)) / last
        else:
            a1, a2 = dx[0], dx[1]
            lo = (
                -(2 * a1 + a2) / (a1 * (a1 + a2)) * part(0, 1)
                + (a1 + a2) / (a1 * a2) * part(1, 2)
                - a1 / (a2 * (a1 + a2)) * part(2, 3)
            )
            b1, b2 = dx[-2], dx[-1]
            hi = (
                b2 / (b1 * (b1 + b2)) * part(n - 3, n - 2)
                - (b1 + b2) / (b1 * b2) * part(n - 2, n - 1)
                + (2 * b2 + b1) / (b2 * (b1 + b2)) * part(n - 1, n)
            )
    else:
        if isinstance(h, bool) or not isinstance(h, int | float | np.number):
            raise TypeError(f"torch.gradient: spacing must be a number or a 1-D tensor, got {h!r}")
        inner = (part(2, n) - part(0, n - 2)) / (2 * h) if n > 2 else None
        if edge_order == 1:
            lo = (part(1, 2) - part(0, 1)) / h
            hi = (part(n - 1, n) - part(n - 2, n - 1)) / h
        else:
            lo = (part(0, 1) * -1.5 + part(1, 2) * 2 - part(2, 3) * 0.5) / h
            hi = (part(n - 3, n - 2) * 0.5 - part(n - 2, n - 1) * 2 + part(n - 1, n) * 1.5) / h
    pieces = [lo] + ([inner] if inner is not None else []) + [hi]
    return ops.cat(pieces, d)


# ---------------------------------------------------------------- window functions
def _window(
    name: str,
    window_length: int,
    periodic: bool,
    dtype: Any,
    device: Any,
    requires_grad: bool,
    values: Any,
) -> Tensor:
    """A window of `window_length` values from `values(n, m)` (n = 0..m-1 in float64, m the
    symmetric length), rounded once to `dtype` (the default float); `periodic` computes
    length + 1 and drops the last value, as PyTorch's (for spectral analysis)."""
    from .tensor import default_float, tensor

    if isinstance(window_length, bool) or not isinstance(window_length, int | np.integer):
        raise TypeError(f"{name}(): window_length must be an int, got {window_length!r}")
    if window_length < 0:
        raise RuntimeError(
            f"{name} requires non-negative window_length, got window_length={window_length}"
        )
    dt = default_float() if dtype is None else np.dtype(dtype)
    if dt.kind != "f":
        raise RuntimeError(f"{name} expects floating point dtypes, got: {dt}")
    if window_length <= 1:
        arr = np.ones(window_length, np.float64)
    else:
        m = window_length + 1 if periodic else window_length
        arr = values(np.arange(m, dtype=np.float64), m)[:window_length]
    return tensor(arr.astype(dt), device=device, requires_grad=requires_grad)


def hamming_window(
    window_length: int,
    periodic: bool = True,
    alpha: float = 0.54,
    beta: float = 0.46,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    **kwargs: Any,
) -> Tensor:
    """alpha - beta cos(2 pi n / (N - 1))."""
    return _window(
        "hamming_window",
        window_length,
        periodic,
        dtype,
        device,
        requires_grad,
        lambda n, m: alpha - beta * np.cos(2 * np.pi * n / (m - 1)),
    )


def _fixed_window(name: str, values: Any, doc: str) -> Any:
    """A window function of PyTorch's signature whose shape has no parameter of its own
    (hann, blackman, bartlett): `values(n, m)` as `_window` takes it."""

    def window(
        window_length: int,
        periodic: bool = True,
        *,
        dtype: Any = None,
        device: Any = None,
        requires_grad: bool = False,
        **kwargs: Any,
    ) -> Tensor:
        return _window(name, window_length, periodic, dtype, device, requires_grad, values)

    window.__name__ = window.__qualname__ = name
    window.__doc__ = doc
    return window


hann_window = _fixed_window(
    "hann_window",
    lambda n, m: 0.5 - 0.5 * np.cos(2 * np.pi * n / (m - 1)),
    "0.5 - 0.5 cos(2 pi n / (N - 1)).",
)
blackman_window = _fixed_window(
    "blackman_window",
    lambda n, m: (
        0.42 - 0.5 * np.cos(2 * np.pi * n / (m - 1)) + 0.08 * np.cos(4 * np.pi * n / (m - 1))
    ),
    "0.42 - 0.5 cos(2 pi n / (N - 1)) + 0.08 cos(4 pi n / (N - 1)).",
)
bartlett_window = _fixed_window(
    "bartlett_window",
    lambda n, m: 1 - np.abs(2 * n / (m - 1) - 1),
    "1 - |2n / (N - 1) - 1|, the triangle.",
)


def kaiser_window(
    window_length: int,
    periodic: bool = True,
    beta: float = 12.0,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    **kwargs: Any,
) -> Tensor:
    """I0(beta sqrt(1 - (2n / (N - 1) - 1)^2)) / I0(beta), I0 the modified Bessel function
    of order 0 (NumPy's)."""
    return _window(
        "kaiser_window",
        window_length,
        periodic,
        dtype,
        device,
        requires_grad,
        lambda n, m: (
            np.i0(beta * np.sqrt(np.clip(1 - (2 * n / (m - 1) - 1) ** 2, 0, None))) / np.i0(beta)
        ),
    )
