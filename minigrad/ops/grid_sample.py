"""Spatial transformers, as PyTorch's `F.affine_grid` and `F.grid_sample`.

`grid_sample` reads an input `(N, C, H, W)` (or `(N, C, D, H, W)`) at the points of a grid
`(N, Ho, Wo, 2)` (or `(N, Do, Ho, Wo, 3)`) given in [-1, 1] (x, then y, then z), with
bilinear (trilinear), nearest or bicubic interpolation and zeros, border or reflection
padding. Each output point is a weighted sum over taps (1, 4, 8 or 16 input points): a
gather at computed flat indices, one tap at a time, never a loop over points.

The forward runs on arrays with PyTorch's formulas and order of operations. PyTorch's 4-d
kernel and its 5-d kernel round differently and treat NaN coordinates differently (the
4-d one multiplies a tap that lies outside by its weight, so a NaN weight gives NaN; the
5-d one skips it); both are copied, so `two_d` selects the rules below.

The backward is written with minigrad ops: the coordinates come from the grid through
`Coords` (whose derivative is PyTorch's: the unnormalizing scale, 0 where clipping holds a
coordinate on a border or beyond, -1 where a reflection turns it), the tap weights are
tensors of those coordinates, and a gather's adjoint is the scatter-add `TapScatter`,
whose own adjoint is the gather `TapGather`. So every order of derivative exists.
"""

from __future__ import annotations

import itertools
import math
import operator
import warnings
from typing import Any, NamedTuple

import numpy as np

from .._tensor_str import dtype_name
from ..autograd import Function, zero_link
from ..backend import Array, get_array_module
from ..errors import DtypeError, ShapeError
from ..tensor import Tensor
from .elementwise import where
from .linalg import matmul
from .search import torch_name
from .shape import cast, stack

A = -0.75  # the cubic convolution constant, as PyTorch's (and OpenCV's)

MODES = ("bilinear", "nearest", "bicubic")
PADDINGS = ("zeros", "border", "reflection")

_ALIGN_WARNING = (
    "Default grid_sample and affine_grid behavior has changed to align_corners=False since "
    "1.3.0. Please specify align_corners=True if the old behavior is desired. See the "
    "documentation of grid_sample for details."
)


class Settings(NamedTuple):
    """A sampling's static settings; `sizes` are the input's spatial sizes in grid
    component order: (W, H) or (W, H, D)."""

    mode: str
    padding: str
    align_corners: bool
    sizes: tuple[int, ...]

    @property
    def two_d(self) -> bool:
        return len(self.sizes) == 2


# ------------------------------------------------------------------ coordinates (arrays)
def _scale(size: int, align: bool, dtype: Any) -> Any:
    """d coordinate / d grid value of the unnormalizing map."""
    return np.dtype(dtype).type((size - 1) / 2 if align else size / 2)


def _unnormalize(g: Array, size: int, align: bool, two_d: bool) -> Array:
    """Grid values in [-1, 1] as pixel coordinates, each kernel's formula."""
    if two_d:
        if align:
            return (g + 1) * _scale(size, True, g.dtype)
        return _times_minus_half(g + 1, _scale(size, False, g.dtype))
    if align:
        return ((g + 1) / 2) * (size - 1)
    return ((g + 1) * size - 1) / 2


def _split(a: Array) -> tuple[Array, Array]:
    """Dekker's split of float64 values into two halves of 26 bits (hi + lo == a)."""
    big = a * 134217729.0
    hi = big - (big - a)
    return hi, a - hi


def _fused(a: Array, b: Any, c: Any) -> Array:
    """a * b + c rounded once, as PyTorch's CPU kernels compute it where the compiler fuses
    the multiply and the add. float32 and float16 are exact in float64 and rounded once;
    float64 carries the product's and the sum's rounding errors (two-product, two-sum)."""
    xp = get_array_module(a)
    dt = a.dtype
    if dt != xp.float64:
        return (a.astype(xp.float64) * xp.float64(b) + xp.float64(c)).astype(dt)
    b = xp.asarray(b, dtype=xp.float64)
    p = a * b
    (ah, al), (bh, bl) = _split(a), _split(b)
    err = ((ah * bh - p) + ah * bl + al * bh) + al * bl  # a * b == p + err exactly
    t = p + c
    back = t - p
    err = err + ((p - (t - back)) + (c - back))  # p + c == t + that exactly
    fine = xp.isfinite(err)
    return xp.where(fine, t + xp.where(fine, err, 0.0), t)


def _times_minus_half(a: Array, s: Any) -> Array:
    """a * s - 0.5 rounded once, as PyTorch's 4-d CPU kernel computes it: on a pixel
    centre the rounding picks the cell whose slope the grid's gradient takes."""
    return _fused(a, s, -0.5)


def _clip(c: Array, size: int, two_d: bool) -> Array:
    """Coordinates clipped to [0, size - 1]; NaN becomes 0 (4-d) or size - 1 (5-d)."""
    xp = get_array_module(c)
    return xp.where(xp.isnan(c), 0 if two_d else size - 1, xp.clip(c, 0, size - 1))


def _reflect_bounds(size: int, align: bool, dtype: Any) -> tuple[Any, Any] | None:
    """(low, span) of the reflection, or None when the span is empty (all coordinates 0)."""
    t = np.dtype(dtype).type
    if align:
        return None if size <= 1 else (t(0), t(size - 1))
    return t(-0.5), t(size)


def _odd_flips(q: Array) -> Array:
    """Whether floor(q) is odd, as the 5-d kernel counts reflections: in a 32-bit int, so
    a count past its range (a coordinate some 2**31 spans away) counts as even."""
    xp = get_array_module(q)
    flips = xp.floor(q)
    return (xp.fmod(flips, 2) == 1) & (flips < 2**31)


def _reflect(c: Array, size: int, align: bool, two_d: bool) -> Array:
    """Coordinates reflected at the borders until inside (forward rules of each kernel)."""
    xp = get_array_module(c)
    bounds = _reflect_bounds(size, align, c.dtype)
    if bounds is None:
        return xp.zeros_like(c)
    low, span = bounds
    a = xp.abs(c - low)
    if two_d:
        twice = span * 2
        extra = a - xp.trunc(a / twice) * twice
        return xp.minimum(extra, twice - extra) + low
    extra = xp.fmod(a, span)
    odd = _odd_flips(a / span)
    return xp.where(odd, span - extra + low, extra + low)


def source(g: Array, size: int, s: Settings) -> Array:
    """The forward's source coordinates along one axis (bilinear and nearest)."""
    c = _unnormalize(g, size, s.align_corners, s.two_d)
    if s.padding == "border":
        c = _clip(c, size, s.two_d)
    elif s.padding == "reflection":
        c = _clip(_reflect(c, size, s.align_corners, s.two_d), size, s.two_d)
    return c


def _clip_grad(c: Array, size: int) -> tuple[Array, Array]:
    """Clipped coordinates and their derivative, 0 on a border and beyond (NaN passes)."""
    xp = get_array_module(c)
    low, high = c <= 0, c >= size - 1
    out = xp.where(low, 0, xp.where(high, size - 1, c))
    return out, (~(low | high)).astype(c.dtype)


def _reflect_grad(c: Array, size: int, align: bool, two_d: bool) -> tuple[Array, Array]:
    """Reflected coordinates and their derivative (+1 or -1) by each kernel's rules."""
    xp = get_array_module(c)
    bounds = _reflect_bounds(size, align, c.dtype)
    if bounds is None:
        return xp.zeros_like(c), xp.zeros_like(c)
    low, span = bounds
    m = c - low
    neg = m < 0
    a = xp.abs(m)
    if two_d:
        twice = span * 2
        extra = a - xp.trunc(a / twice) * twice
        turned = twice - extra
        flip = extra > turned
        out = xp.where(flip, turned, extra) + low
    else:
        extra = xp.fmod(a, span)
        flip = _odd_flips(a / span)
        out = xp.where(flip, span - extra + low, extra + low)
    return out, xp.where(flip ^ neg, -1, 1).astype(c.dtype)


def source_with_grad(g: Array, size: int, s: Settings) -> tuple[Array, Array]:
    """The backward's source coordinates along one axis and d coordinate / d grid."""
    c = _unnormalize(g, size, s.align_corners, s.two_d)
    mult = get_array_module(g).full_like(c, _scale(size, s.align_corners, c.dtype))
    if s.padding == "border":
        c, gc = _clip_grad(c, size)
        mult = mult * gc
    elif s.padding == "reflection":
        c, gr = _reflect_grad(c, size, s.align_corners, s.two_d)
        c, gc = _clip_grad(c, size)
        mult = mult * gr * gc
    return c, mult


def _nearest_coords(g: Array, size: int, s: Settings, backward: bool) -> Array:
    """Rounded coordinates (half to even); the 5-d backward rounds the backward's ones."""
    xp = get_array_module(g)
    c = source_with_grad(g, size, s)[0] if backward and not s.two_d else source(g, size, s)
    return xp.rint(c)


def _cubic_positions(base: Array, size: int, s: Settings) -> list[Array]:
    """The 4 bicubic tap positions along one axis, padded as PyTorch pads them."""
    out = []
    for o in range(4):
        p = base + (o - 1)
        if s.padding == "border":
            p = _clip(p, size, True)
        elif s.padding == "reflection":
            p = _clip(_reflect(p, size, s.align_corners, True), size, True)
        out.append(p)
    return out


class Tap(NamedTuple):
    """One tap along one axis: integer positions (clamped to 0 where invalid) and where
    they fall inside the input."""

    index: Array
    valid: Array


def _tap(pos: Array, size: int) -> Tap:
    xp = get_array_module(pos)
    valid = (pos > -1) & (pos < size)
    return Tap(xp.where(valid, pos, 0).astype(np.intp), valid)


def _combine(taps: tuple[Tap, ...], sizes: tuple[int, ...]) -> Tap:
    """Flat input indices and validity of a tap given per grid component (x first)."""
    flat, valid, stride = 0, True, 1
    for t, size in zip(taps, sizes, strict=True):
        flat = flat + t.index * stride
        valid = valid & t.valid
        stride *= size
    return Tap(flat, valid)


# ------------------------------------------------------------------------ cubic weights
def cubic_coefficients(t: Any) -> list[Any]:
    """The 4 cubic convolution weights at fraction t (array or tensor), PyTorch's formulas."""
    x0, x3 = t + 1, 2 - t
    far = [((A * x - 5 * A) * x + 8 * A) * x - 4 * A for x in (x0, x3)]
    near = [((A + 2) * x - (A + 3)) * x * x + 1 for x in (t, 1 - t)]
    return [far[0], near[0], near[1], far[1]]


def cubic_derivatives(t: Any) -> list[Any]:
    """d weight / dt for the 4 cubic convolution weights at fraction t."""
    x0, x2, x3 = t + 1, 1 - t, 2 - t
    return [
        (3 * A * x0 - 10 * A) * x0 + 8 * A,
        (3 * (A + 2) * t - 2 * (A + 3)) * t,
        -((3 * (A + 2) * x2 - 2 * (A + 3)) * x2),
        -((3 * A * x3 - 10 * A) * x3 + 8 * A),
    ]


# -------------------------------------------------------------------------- the forward
def _gather(x3: Array, tap: Tap) -> Array:
    """x3 `(N, C, L)` at a tap's flat indices `(N, P)`: `(N, C, P)`, 0 where invalid."""
    xp = get_array_module(x3)
    v = xp.take_along_axis(x3, tap.index[:, None, :], axis=2)
    return xp.where(tap.valid[:, None, :], v, 0)


def _linear_forward(x3: Array, g: Array, s: Settings) -> Array:
    """Bilinear or trilinear values `(N, C, P)` from grid points `(N, P, k)`: taps in
    PyTorch's order (z, then y, then x), weights multiplied from x up."""
    per_axis = []
    for j, size in enumerate(s.sizes):
        c = source(g[..., j], size, s)
        base = get_array_module(c).floor(c)
        hi = c - base
        lo = 1 - hi if s.two_d else (base + 1) - c
        per_axis.append([(_tap(base, size), lo), (_tap(base + 1, size), hi)])
    out = None
    for combo in itertools.product(*reversed(per_axis)):  # slowest axis first
        tap = _combine(tuple(t for t, _ in reversed(combo)), s.sizes)
        w = combo[-1][1]
        for _, f in reversed(combo[:-1]):
            w = w * f
        v = _gather(x3, tap)
        if s.two_d:
            term = v * w[:, None, :]  # a NaN weight of a tap outside still counts
        else:
            term = get_array_module(v).where(tap.valid[:, None, :], v * w[:, None, :], 0)
        out = term if out is None else out + term
    return out


def _nearest_forward(x3: Array, g: Array, s: Settings) -> Array:
    taps = tuple(
        _tap(_nearest_coords(g[..., j], size, s, False), size) for j, size in enumerate(s.sizes)
    )
    return _gather(x3, _combine(taps, s.sizes))


def _bicubic_setup(g: Array, s: Settings) -> list[tuple[Any, list[Tap]]]:
    """Per grid component: (fraction t, the 4 taps)."""
    out = []
    for j, size in enumerate(s.sizes):
        c = _unnormalize(g[..., j], size, s.align_corners, True)
        base = get_array_module(c).floor(c)
        out.append((c - base, [_tap(p, size) for p in _cubic_positions(base, size, s)]))
    return out


def _bicubic_forward(x3: Array, g: Array, s: Settings) -> Array:
    """Cubic convolution along x for each of 4 rows, then along y (PyTorch's order)."""
    (tx, taps_x), (ty, taps_y) = _bicubic_setup(g, s)
    cx, cy = cubic_coefficients(tx), cubic_coefficients(ty)
    out = None
    for i, tap_y in enumerate(taps_y):
        row = None
        for k, tap_x in enumerate(taps_x):
            term = cx[k][:, None, :] * _gather(x3, _combine((tap_x, tap_y), s.sizes))
            row = term if row is None else row + term
        term = cy[i][:, None, :] * row
        out = term if out is None else out + term
    return out


def sample(x: Array, g: Array, s: Settings) -> Array:
    """grid_sample's forward on arrays: x `(N, C, *S)`, g `(N, *So, k)` -> `(N, C, *So)`."""
    xp = get_array_module(x)
    n, c = x.shape[:2]
    out_shape = (n, c) + g.shape[1:-1]
    if math.prod(out_shape) == 0:
        return xp.zeros(out_shape, dtype=x.dtype)
    work = np.float32 if x.dtype == np.float16 else x.dtype  # half: computed in float32
    x3 = x.reshape(n, c, math.prod(x.shape[2:])).astype(work, copy=False)
    g3 = g.reshape(n, math.prod(g.shape[1:-1]), g.shape[-1]).astype(work, copy=False)
    run = {"bilinear": _linear_forward, "nearest": _nearest_forward}.get(s.mode, _bicubic_forward)
    return run(x3, g3, s).astype(x.dtype, copy=False).reshape(out_shape)


# --------------------------------------------------------------- gather and its adjoint
class TapGather(Function):
    """An input `(N, C, *S)` read at one tap's flat indices `(N, P)`: `(N, C, P)`, 0 where
    the tap lies outside. Its adjoint is `TapScatter`."""

    uses_inputs = False

    def __init__(self, tap: Tap) -> None:
        self.tap = tap

    def forward(self, x):
        self.x_shape = x.shape
        return _gather(x.reshape(x.shape[:2] + (math.prod(x.shape[2:]),)), self.tap)

    def backward(self, gy):
        return TapScatter([self.tap], self.x_shape)(gy)


class TapScatter(Function):
    """Values `(N, C, P)`, one array per tap, added at the taps' flat indices into zeros
    `(N, C, *S)` (taps outside add nothing): a bincount per tap, summed in float64. Its
    adjoint is `TapGather`."""

    uses_inputs = False

    def __init__(self, taps: list[Tap], x_shape: tuple[int, ...]) -> None:
        self.taps, self.x_shape = taps, tuple(x_shape)

    def forward(self, *vs):
        xp = get_array_module(vs[0])
        n, c = self.x_shape[:2]
        size = math.prod(self.x_shape[2:])
        rows = xp.arange(n * c, dtype=np.intp).reshape(n, c, 1) * size
        total = 0
        for tap, v in zip(self.taps, vs, strict=True):
            # a tap outside reads index 0 (clamped) and adds 0 there, never its NaN
            w = xp.where(tap.valid[:, None, :], v, 0).ravel()
            index = (rows + tap.index[:, None, :]).ravel()
            total = total + xp.bincount(index, weights=w, minlength=n * c * size)
        return xp.asarray(total).astype(vs[0].dtype, copy=False).reshape(self.x_shape)

    def backward(self, gx):
        return tuple(TapGather(tap)(gx) for tap in self.taps)


# ------------------------------------------------------------------------- the backward
class Coords(Function):
    """The backward's source coordinates of grid points `(N, P, k)`: one `(N, P)` output
    per grid component. d coordinate / d grid is PyTorch's multiplier (see module doc)."""

    uses_inputs = False

    def __init__(self, s: Settings) -> None:
        self.s = s

    def forward(self, g):
        xp = get_array_module(g)
        coords, mults = [], []
        for j, size in enumerate(self.s.sizes):
            if self.s.mode == "bicubic":
                c = _unnormalize(g[..., j], size, self.s.align_corners, True)
                m = xp.full_like(c, _scale(size, self.s.align_corners, c.dtype))
            else:
                c, m = source_with_grad(g[..., j], size, self.s)
            coords.append(c)
            mults.append(m)
        self.mult = xp.stack(mults, axis=-1)
        return tuple(coords)

    def backward(self, *gcs):
        return to_grid(list(gcs), self.mult)


def to_grid(gcs: list[Tensor], mult: Array) -> Tensor:
    """Coordinate gradients `(N, P)` per component as the grid gradient `(N, P, k)`."""
    return stack(gcs, -1) * Tensor._make(mult, False)


def _factors(c: Tensor, size: int, s: Settings) -> list[tuple[Tap, Any, Any]]:
    """(tap, weight, d weight / d coordinate) per tap offset along one axis."""
    base = get_array_module(c._data).floor(c._data)
    if s.mode == "bicubic":
        t = c - base
        positions = _cubic_positions(base, size, s)
        return list(
            zip(
                [_tap(p, size) for p in positions],
                cubic_coefficients(t),
                cubic_derivatives(t),
                strict=True,
            )
        )
    hi = c - base
    lo = 1 - hi if s.two_d else (base + 1) - c
    return [(_tap(base, size), lo, -1.0), (_tap(base + 1, size), hi, 1.0)]


def _product(fs: list[Any]) -> Any:
    out = fs[0]
    for f in fs[1:]:
        out = out * f
    return out


def sample_backward(
    gy: Tensor, x: Tensor, g: Tensor, s: Settings, need: tuple[bool, bool], fn: Function
) -> tuple[Tensor | None, Tensor | None]:
    """(input gradient, grid gradient) of grid_sample, written with minigrad ops."""
    n, c = x.shape[:2]
    k = len(s.sizes)
    half = x.dtype == np.float16
    if half:  # computed in float32, as the forward
        gy, x, g = cast(gy, np.float32), cast(x, np.float32), cast(g, np.float32)
    points = math.prod(g.shape[1:-1])
    gy3 = gy.reshape(n, c, points)
    g3 = g.reshape(n, points, k)
    gx = gg = None
    if s.mode == "nearest":
        taps = tuple(
            _tap(_nearest_coords(g3._data[..., j], size, s, True), size)
            for j, size in enumerate(s.sizes)
        )
        if need[0]:
            gx = zero_link(TapScatter([_combine(taps, s.sizes)], x.shape)(gy3), fn, 1)
        if need[1]:  # the grid gets a zero gradient, as in PyTorch
            zeros = get_array_module(g._data).zeros(g.shape, dtype=g.dtype)
            gg = zero_link(Tensor._make(zeros, False), fn, 1)
    else:
        node = Coords(s)
        coords = node(g3)
        per_axis = [_factors(ci, size, s) for ci, size in zip(coords, s.sizes, strict=True)]
        taps, contributions = [], []
        gcs: list[Any] = [None] * k
        for combo in itertools.product(*per_axis):  # combo[j]: the tap along component j
            tap = _combine(tuple(t for t, _, _ in combo), s.sizes)
            taps.append(tap)
            weights = [w for _, w, _ in combo]
            if need[0]:
                contributions.append(gy3 * _product(weights).unsqueeze(1))
            if need[1]:
                r = (gy3 * TapGather(tap)(x)).sum(1)  # (N, P)
                for j in range(k):
                    dw = _product(weights[:j] + [combo[j][2]] + weights[j + 1 :])
                    term = r * dw
                    if not s.two_d:  # the 5-d kernel skips a tap outside (NaN weights)
                        term = where(tap.valid, term, 0.0)
                    gcs[j] = term if gcs[j] is None else gcs[j] + term
        if need[0]:
            gx = TapScatter(taps, x.shape)(*contributions)
        if need[1]:
            gg = to_grid(gcs, node.mult)
    if gx is not None:
        gx = gx.reshape(x.shape)
        gx = cast(gx, np.float16) if half else gx
    if gg is not None:
        gg = gg.reshape(g.shape)
        gg = cast(gg, np.float16) if half else gg
    return gx, gg


class GridSample(Function):
    """y `(N, C, *So)` = input `(N, C, *S)` sampled at grid `(N, *So, k)`."""

    op_name = "grid_sample"

    def __init__(self, s: Settings) -> None:
        self.s = s

    def forward(self, x, g):
        return sample(x, g, self.s)

    def backward(self, gy):
        x, g = self.inputs
        return sample_backward(gy, x, g, self.s, self.needs_input_grad, self)


# --------------------------------------------------------------------------- checks
def _check_align(align_corners: Any, who: str, stacklevel: int) -> bool:
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, UserWarning, stacklevel=stacklevel + 1)
        return False
    if not isinstance(align_corners, bool | np.bool_):
        raise TypeError(
            f"{who}(): argument 'align_corners' must be bool, not {type(align_corners).__name__}"
        )
    return bool(align_corners)


def _check_sampler(x: Tensor, g: Tensor, mode: str) -> None:
    """PyTorch's grid_sampler checks, in its order."""
    sizes = f"input with sizes {list(x.shape)} and grid with sizes {list(g.shape)}"
    if x.ndim == 0 or g.ndim == 0:
        raise IndexError("grid_sample: Dimension specified as 0 but tensor has no dimensions")
    if x.shape[0] != g.shape[0]:
        raise ShapeError(
            f"grid_sampler(): expected grid and input to have same batch size, but got {sizes}"
        )
    if g.shape[-1] != x.ndim - 2:
        raise ShapeError(
            f"grid_sampler(): expected grid to have size {x.ndim - 2} in last dimension, but "
            f"got grid with sizes {list(g.shape)}"
        )
    for i in range(2, x.ndim):
        if x.shape[i] == 0:
            raise ShapeError(
                "grid_sampler(): expected input to have non-empty spatial dimensions, but "
                f"input has sizes {list(x.shape)} with dimension {i} being empty"
            )
    want = 4 if x.ndim == 4 else 5
    if x.ndim != want or g.ndim != want:
        raise ShapeError(
            f"grid_sampler(): expected {want}D input and grid with same number of dimensions, "
            f"but got {sizes}"
        )
    if want == 5 and mode == "bicubic":
        raise ShapeError("grid_sampler(): bicubic interpolation only supports 4D input")
    if x.dtype.kind != "f":
        kernel = "grid_sampler_2d_cpu_kernel_impl" if want == 4 else "grid_sampler3d_cpu"
        raise NotImplementedError(
            f"grid_sample: input of dtype {dtype_name(x.dtype)} is not supported, expected a "
            f"floating-point input (\"{kernel}\" not implemented for '{torch_name(x.dtype)}')"
        )
    if g.dtype != x.dtype:
        raise DtypeError(
            f"grid_sample: expected scalar type {torch_name(x.dtype)} but found "
            f"{torch_name(g.dtype)}: grid ({dtype_name(g.dtype)}) must have the input's "
            f"dtype ({dtype_name(x.dtype)})"
        )


def grid_sample(
    input: Tensor,  # noqa: A002
    grid: Tensor,
    mode: str = "bilinear",
    padding_mode: str = "zeros",
    align_corners: bool | None = None,
    *,
    stacklevel: int = 2,
) -> Tensor:
    """input `(N, C, H, W)` read at grid `(N, Ho, Wo, 2)` -> `(N, C, Ho, Wo)`, or input
    `(N, C, D, H, W)` at grid `(N, Do, Ho, Wo, 3)` -> `(N, C, Do, Ho, Wo)`, as PyTorch.
    `align_corners=None` warns and means False. `stacklevel` places that warning."""
    for name, t in (("input", input), ("grid", grid)):
        if not isinstance(t, Tensor):
            raise TypeError(
                f"grid_sampler(): argument '{name}' must be Tensor, not {type(t).__name__}"
            )
    if mode not in MODES:
        raise ValueError(
            "nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or "
            f"'bicubic', but got: '{mode}'"
        )
    if padding_mode not in PADDINGS:
        raise ValueError(
            "nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
            f"'reflection', but got: '{padding_mode}'"
        )
    align = _check_align(align_corners, "grid_sampler", stacklevel)
    _check_sampler(input, grid, mode)
    sizes = tuple(int(v) for v in reversed(input.shape[2:]))
    return GridSample(Settings(mode, padding_mode, align, sizes))(input, grid)


# ------------------------------------------------------------------------ affine_grid
def _linspace_from_neg_one(n: int, align: bool, dtype: Any) -> np.ndarray:
    """n points from -1 to 1 (PyTorch's linspace halves), scaled by (n - 1) / n unless
    align_corners; a single point is 0."""
    t = np.dtype(dtype).type
    if n <= 1:
        return np.zeros(max(n, 0), dtype=dtype)
    step = t(2) / t(n - 1)
    i = np.arange(n)
    # start + step * i (end - step * (n - 1 - i) in the upper half) rounded once, as
    # PyTorch's scalar linspace loop compiles (a fused multiply-add)
    up = _fused(i.astype(dtype), step, -1.0)
    down = _fused((n - 1 - i).astype(dtype), -step, 1.0)
    r = np.where(i < n // 2, up, down).astype(dtype)
    return r if align else (r * t(n - 1) / t(n)).astype(dtype)


def _base_grid(spatial: tuple[int, ...], align: bool, dtype: Any) -> np.ndarray:
    """`(prod(spatial), k + 1)`: x, y (, z) of every output point, then 1."""
    k = len(spatial)
    out = np.ones(tuple(spatial) + (k + 1,), dtype=dtype)
    for j in range(k):  # component j runs along spatial axis k - 1 - j
        axis = k - 1 - j
        shape = [1] * k
        shape[axis] = spatial[axis]
        out[..., j] = _linspace_from_neg_one(spatial[axis], align, dtype).reshape(shape)
    return out.reshape(-1, k + 1)


def _size_ints(size: Any) -> tuple[int, ...]:
    try:
        return tuple(operator.index(v) for v in size)
    except TypeError:
        raise TypeError(
            f"affine_grid(): argument 'size' must be a tuple of ints, got {size!r}"
        ) from None


def affine_grid(
    theta: Tensor, size: Any, align_corners: bool | None = None, *, stacklevel: int = 2
) -> Tensor:
    """The sampling grid of affine maps theta `(N, 2, 3)` for size `(N, C, H, W)` ->
    `(N, H, W, 2)`, or theta `(N, 3, 4)` for `(N, C, D, H, W)` -> `(N, D, H, W, 3)`, as
    PyTorch: each point's (x, y[, z], 1) times theta^T. Linear in theta (a matmul)."""
    if not isinstance(theta, Tensor):
        raise TypeError(f"affine_grid(): argument 'theta' must be Tensor, not {type(theta)}")
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, UserWarning, stacklevel=stacklevel)
        align_corners = False
    if theta.dtype.kind != "f":
        raise ValueError(
            "affine_grid: Expected theta to have floating point type, but got "
            f"{dtype_name(theta.dtype)}"
        )
    size = tuple(size) if not isinstance(size, Tensor) else size
    if isinstance(size, Tensor):
        raise TypeError("affine_grid(): argument 'size' must be a tuple of ints, not Tensor")
    if len(size) in (4, 5):
        k = len(size) - 2
        rows, cols = (2, 3) if k == 2 else (3, 4)
        if theta.ndim != 3 or tuple(theta.shape[-2:]) != (rows, cols):
            raise ValueError(
                f"affine_grid: Expected a batch of {k}D affine matrices of shape Nx{rows}x{cols} "
                f"for size {size}. Got {theta.shape}."
            )
    else:
        raise NotImplementedError(
            "affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
            f"respectively. Got size {size}."
        )
    spatial = size[2:]
    if align_corners and min(spatial) == 1:
        warnings.warn(
            "Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
            "align_corners=True. This is not an intended use case of affine_grid. See the "
            "documentation of affine_grid for details.",
            UserWarning,
            stacklevel=stacklevel,
        )
    elif min(size) <= 0:
        raise ValueError(f"affine_grid: Expected non-zero, positive output size. Got {size}")
    size = _size_ints(size)
    align = _check_align(align_corners, "affine_grid_generator", stacklevel)
    if size[0] != theta.shape[0]:
        raise ShapeError(
            f"affine_grid: size {size} asks for a batch of {size[0]} but theta of shape "
            f"{tuple(theta.shape)} holds {theta.shape[0]} matrices"
        )
    spatial = size[2:]
    xp = get_array_module(theta._data)
    base = Tensor._make(xp.asarray(_base_grid(spatial, align, theta.dtype)), False)
    grid = matmul(base, theta.transpose(1, 2))  # (N, prod(spatial), k)
    return grid.reshape((size[0],) + tuple(spatial) + (len(spatial),))


__all__ = ["affine_grid", "grid_sample"]
