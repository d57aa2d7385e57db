"""The k4 s2 convolutions of DCGAN-type networks by Winograd's F(2x2, 2x2) and
F(4x4, 2x2), on the CPU.

conv.py computes a convolution as im2col and one product: 16 multiplications per input
channel for each output value of a 4x4 kernel. This module does the same convolution with
9 for every 4 output values (F(2x2, 2x2), about 1.8x fewer) or 25 for every 16
(F(4x4, 2x2), 2.6x fewer), and transforms the inputs instead.

**Phases.** A stride-2 convolution with a 4x4 kernel reads x at rows 2p - ph + i,
i = 2a + r (a, r in {0, 1}). For a fixed phase r, that is row 2(p + a) + r - ph: a 2-tap
stride-1 correlation of the phase image x_r[u] = x[2u + r - ph] with the taps
w[2a + r]. The same holds for columns (phase s, taps b), so

    y = sum over (r, s) of corr2d(x_rs, w[:, :, r::2, s::2]),

four 2x2 stride-1 correlations whose results add up: one 2x2 correlation over 4C
channels, (c, r, s).

**F(2x2, 2x2).** Along one axis, two outputs of a 2-tap correlation, y0 = d0 g0 + d1 g1
and y1 = d1 g0 + d2 g1, take three products instead of four:
m0 = (d0 - d1) g0, m1 = d1 (g0 + g1), m2 = (d2 - d1) g1, and y0 = m0 + m1, y1 = m1 + m2.
In matrices, y = A' [(G g) * (B' d)] with B' = [[1, -1, 0], [0, 1, 0], [0, -1, 1]],
G = [[1, 0], [1, 1], [0, 1]], A' = [[1, 1, 0], [0, 1, 1]]. In 2-d, a 3x3 input tile d
gives a 2x2 output tile y = A' [(G g G') * (B' d B)] A: 9 products for 4 outputs, where
the direct sum takes 16. Summed over the 4C channels, each of the 9 products becomes a
matrix product:

    M[k] = U[k] @ V[k],  k = 0..8,  U[k]: (OC, 4C) weight tiles, V[k]: (4C, T) input tiles,

T = N * ceil(OH/2) * ceil(OW/2) tiles, and y = A' M A tile by tile (cpu_loops.py has the
transforms). On DCGAN's 64 -> 128 channel layer (a 14x14 input, batch 64, OH = 7, so 16
tiles of 2x2 cover 8x8 outputs where 7x7 are kept), the products take 604 MFLOP instead
of im2col's 822.

**Larger tiles: F(4x4, 2x2).** The same construction with a 5x5 input tile and a 4x4
output tile takes 25 products for 16 outputs. Its matrices (TRANSFORMS[4]) come from the
interpolation points 0, 1, -1/2, -2 and infinity, and hold fractions, so each transformed
value is a sum of five terms rather than a difference. On DCGAN's layer, T = N * 2 * 2
and the 25 products take 419 MFLOP. Which points matter: 0, 2, -2, 1 gave about three
times the rounding error in a float32 simulation. tile_size picks F(4x4, 2x2) where its
products are at most 3/4 of F(2x2, 2x2)'s and have at least 256 columns; LARGE_TILES =
False keeps F(2x2, 2x2) everywhere.

**Backward.** The whole map is linear in x and in w, so the gradients are its adjoints,
with the same products: the output gradient's tiles dM = A gy A', then the input
gradient is B (U[k]' @ dM[k]) B' added back onto the input tiles' positions (adjacent tiles
share a row or column), and the weight gradient is G' (dM[k] @ V[k]') G. The transposed
convolution is the input gradient's map, so conv_transpose2d runs it as its forward.

**Infinities.** Where x holds an inf, B' d puts it into a tile with both signs (d0 - d1,
d1 and d2 - d1 for d1 = inf), and A' then adds +inf to -inf: NaN, where the direct sum
gives the inf. So each result is checked as it is written (cpu_loops.finite, on each
channel while it is in the cache), and one with an inf or a NaN is computed again by
conv.py's im2col, whose infinities and NaNs are PyTorch's.

**Rounding.** The sums run in another order, through transformed inputs, so the results
differ from im2col's in the last bits. On DCGAN's layer in float32 (three random inputs;
errors against a float64 result, relative to the largest value; largest error and root
mean square), the output: im2col 4.6-6.6e-7 and 5.5-6.6e-8, F(2x2, 2x2) 1.0-1.1e-6 and
1.0-1.2e-7, F(4x4, 2x2) 2.6-3.3e-6 and 1.9-2.2e-7; the input gradient: 3.0-4.0e-7 and
3.8-4.2e-8, 1.0-1.2e-6 and 7.5-8.3e-8, 1.4-2.0e-6 and 1.4-1.6e-7; the weight gradient:
4.6-4.7e-7 and 7.3-7.8e-8, 0.9-1.0e-6 and 1.3-1.4e-7, 1.9-2.1e-6 and 2.1-2.3e-7.

Used for NumPy arrays of float32 and float64 where the compiled kernels run
(cpu_kernels.handles), a 4x4 kernel, stride 2, no dilation, one group, where it saves at
least MIN_SAVED multiply-adds a pass (see there); conv.py takes everything else.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import threads
from . import cpu_kernels

# the multiply-adds a pass must save against im2col's product, for Winograd to run:
# smaller products lose more to the transforms and to the smaller products' lower speed
# than they save. conv2d forward and backward against im2col (batch, channels, input size:
# saved by the tile size that runs, time against im2col's), medians of 6 alternating rounds
# in one process, four runs of both tile sizes (two of them partly in the machine's slow
# state, where Winograd's figures ran higher): DCGAN's 64, 64 -> 128, 14 (F(4x4)): 201 M,
# 0.77-1.06 (F(2x2) 0.93-1.13); 64, 64 -> 64, 14 (F(4x4)): 101 M, 0.82-1.09; 64, 64 -> 128,
# 16 (F(4x4)): 327 M, 0.58-0.80; 64, 32 -> 64, 28 and 32, 32 -> 64, 28 (F(2x2)): 180 and
# 90 M, 0.76-0.83; 64, 128 -> 256, 8 (F(2x2)): 235 M, 0.73-0.94. Below the line:
# 32, 64 -> 128, 14 (F(2x2)): 55 M, 0.92-1.24; 64, 16 -> 32, 28 (F(2x2)): 45 M, 0.79-0.80;
# 16, 64 -> 128, 14 (F(2x2)): 27 M, 1.04-1.39; 64, 32 -> 32, 14 (F(4x4)): 25 M, 1.07-1.08
MIN_SAVED = 64_000_000

# False: F(2x2, 2x2) everywhere, with about half F(4x4, 2x2)'s rounding error
LARGE_TILES = True

# B' (m+1, m+1), G (m+1, 2) and A' (m, m+1) of F(m x m, 2x2): F(2x2, 2x2) from the points
# 0, 1 and infinity, F(4x4, 2x2) from 0, 1, -1/2, -2 and infinity (see "Larger tiles: F(4x4, 2x2)")
TRANSFORMS = {
    2: (
        np.array([[1, -1, 0], [0, 1, 0], [0, -1, 1]]),
        np.array([[1, 0], [1, 1], [0, 1]]),
        np.array([[1, 1, 0], [0, 1, 1]]),
    ),
    4: (
        np.array(
            [
                [-1, -3 / 2, 3 / 2, 1, 0],
                [0, 1, 5 / 2, 1, 0],
                [0, -2, 1, 1, 0],
                [0, -1 / 2, -1 / 2, 1, 0],
                [0, -1, -3 / 2, 3 / 2, 1],
            ]
        ),
        np.array([[-1, 0], [2 / 9, 2 / 9], [8 / 9, -4 / 9], [-1 / 9, 2 / 9], [0, 1]]),
        np.array(
            [[1, 1, 1, 1, 0], [0, 1, -1 / 2, -2, 0], [0, 1, 1 / 4, 4, 0], [0, 1, -1 / 8, -8, 1]]
        ),
    ),
}


def _matrices(dtype: Any) -> tuple[np.ndarray, ...]:
    """F(4x4, 2x2)'s matrices in dtype as its loops take them: B', B, and A' and A padded to
    5x5 (a zero row, a zero column)."""
    key = np.dtype(dtype)
    if key not in _cast:
        bt, _, at = TRANSFORMS[4]
        at5 = np.vstack([at, np.zeros((1, 5))])
        mats = (bt, bt.T, at5, at5.T)
        _cast[key] = tuple(np.ascontiguousarray(a, dtype=dtype) for a in mats)
    return _cast[key]


_cast: dict = {}


def tile_size(out_hw: tuple[int, int], n: int) -> int:
    """m of the F(m x m, 2x2) that runs for a batch of n and an output of out_hw: 4 where
    its products are at most 3/4 of F(2x2, 2x2)'s (25 per 4x4 tile against 9 per 2x2 tile,
    so not where 4x4 tiles waste more of their outputs past the edge: 14x14, say) and have
    at least 256 columns (N tiles per image; fewer ran slower), else 2 (see MIN_SAVED)."""
    (th, tw), (th2, tw2) = _tiles(out_hw, 4), _tiles(out_hw, 2)
    four, two = 25 * th * tw, 9 * th2 * tw2
    return 4 if LARGE_TILES and 4 * four <= 3 * two and n * th * tw >= 256 else 2


def _tiles(out_hw: tuple[int, int], m: int) -> tuple[int, int]:
    """The m x m tiles along each axis (TH, TW) of an output of out_hw."""
    return -(-out_hw[0] // m), -(-out_hw[1] // m)


def _size(tiles: np.ndarray) -> int:
    """m of a tile array ((m + 1)^2, ., .)."""
    return 2 if tiles.shape[0] == 9 else 4


def saved(w_shape: tuple[int, ...], n: int, out_hw: tuple[int, int]) -> int:
    """The multiply-adds Winograd saves on a pass of a conv2d with a weight of w_shape
    (OC, C, 4, 4), a batch of n and an output of out_hw: im2col's product does
    16 * C * OC per output value, the products 4 * (m + 1)^2 * C * OC per m x m tile."""
    m = tile_size(out_hw, n)
    th, tw = _tiles(out_hw, m)
    return w_shape[0] * w_shape[1] * n * (16 * out_hw[0] * out_hw[1] - 4 * (m + 1) ** 2 * th * tw)


def applies(
    g: Any, w_shape: tuple[int, ...], n: int, out_hw: tuple[int, int], *arrays: Any
) -> bool:
    """Whether a convolution of geometry g with a weight of w_shape (OC, C, KH, KW), a batch
    of n and an output of out_hw (the conv2d's; a transposed conv's input), on these arrays,
    runs here."""
    return (
        tuple(g.kernel) == (4, 4)
        and tuple(g.stride) == (2, 2)
        and tuple(g.dilation) == (1, 1)
        and g.groups == 1
        and saved(w_shape, n, out_hw) >= MIN_SAVED
        and all(a.size for a in arrays)
        and cpu_kernels.handles(*arrays)
    )


def _rows(k: int, r: int, c: int, dtype: Any) -> np.ndarray:
    """An empty (k, r, c) array of k matrices, each a cache line after the end of the last.
    The tile arrays' rows are long powers of two, and a loop that reads or writes several
    rows at one offset then hits one cache set: a loop that wrote U's nine rows one value
    at a time took 0.60 ms at the exact length against 0.09 padded; F(2x2, 2x2)'s input
    tiles take 0.48 against 0.54 (two threads, C-ordered x on DCGAN's layer)."""
    size = r * c
    pad = 64 // np.dtype(dtype).itemsize
    return np.empty((k, size + pad), dtype=dtype)[:, :size].reshape(k, r, c)


def _flat(a: np.ndarray) -> np.ndarray:
    """The C-contiguous (k, L) array whose rows begin with a's k matrices (a from _rows, or
    C-contiguous), as the loops take the tiles."""
    if a.flags.c_contiguous:
        return a.reshape(a.shape[0], -1)
    base = a.base
    if not (
        isinstance(base, np.ndarray)
        and base.ndim == 2
        and base.flags.c_contiguous
        and base.ctypes.data == a.ctypes.data
        and base.strides[0] == a.strides[0]
    ):
        raise ValueError(
            f"winograd: tiles of shape {a.shape} and strides {a.strides} are not rows of one array"
        )
    return base


def input_tiles(x: np.ndarray, g: Any, out_hw: tuple[int, int]) -> np.ndarray:
    """V (nt^2, 4C, T) of x (N, C, H, W), any strides, for an output of out_hw."""
    n, c = x.shape[:2]
    m = tile_size(out_hw, n)
    th, tw = _tiles(out_hw, m)
    k = (m + 1) ** 2
    v = _rows(k, 4 * c, th * tw * n, x.dtype)  # its own (conv.py reuses it)
    ph, pw = g.padding
    loops = cpu_kernels.loops()
    if m == 2:
        run, src = cpu_kernels.by_layout(x, loops.winograd_input, loops.winograd_input_staged)
        args: tuple = (src, _flat(v), th, tw, ph, pw)
    else:
        run, src = cpu_kernels.by_layout(x, loops.winograd4_input, loops.winograd4_input_staged)
        args = (src, _flat(v), th, tw, ph, pw, _matrices(x.dtype)[0])
    cpu_kernels._split(run, c, *args, unit=4 * k * th * tw * n)
    return v


def output_tiles(y: np.ndarray) -> np.ndarray:
    """dM (nt^2, OC, T) = A y A' tile by tile, of y (N, OC, OH, OW), any strides."""
    n, oc = y.shape[:2]
    m = tile_size(y.shape[2:], n)
    th, tw = _tiles(y.shape[2:], m)
    k = (m + 1) ** 2
    mt = _rows(k, oc, th * tw * n, y.dtype)
    loops = cpu_kernels.loops()
    if m == 2:
        loop, staged, extra = (
            loops.winograd_output_adjoint,
            loops.winograd_output_adjoint_staged,
            (),
        )
    else:
        loop, staged = loops.winograd4_output_adjoint, loops.winograd4_output_adjoint_staged
        extra = (_matrices(y.dtype)[3],)
    run, src = cpu_kernels.by_layout(y, loop, staged)
    cpu_kernels._split(run, oc, src, _flat(mt), th, tw, *extra, unit=k * th * tw * n)
    return mt


def bias_grad(mt: np.ndarray) -> np.ndarray:
    """The output gradient summed per channel, from its tiles mt (nt^2, OC, T): point 1 is
    column 1 of A' in both transforms, so A' e1 = (1, ..., 1) and tile point nt + 1,
    e1' (A g A') e1, is the sum of the tile's values g; the tiles cover each output value
    once (0 past the edge)."""
    nt = _size(mt) + 1
    return mt[nt + 1].sum(1)


def _kron(m: int, dtype: Any) -> np.ndarray:
    """G kron G ((m + 1)^2, 4) in dtype: row (m + 1) * a + e, column 2 * i + j holds
    G[a, i] G[e, j], so that (G g G')[a, e] = row . (g00, g01, g10, g11)."""
    key = (m, np.dtype(dtype))
    if key not in _cast:
        g = TRANSFORMS[m][1]
        _cast[key] = np.ascontiguousarray(np.kron(g, g), dtype=dtype)
    return _cast[key]


def weight_tiles(w: np.ndarray, m: int) -> np.ndarray:
    """U ((m + 1)^2, OC, 4C) = G g G' of each phase's 2x2 taps g of w (OC, C, 4, 4), as one
    product: U = (G kron G) @ taps, taps (4, OC * 4C) holding w[o, c, 2i + r, 2j + s] at row
    2i + j, column ((o * C + c) * 2 + r) * 2 + s (cpu_loops.winograd_taps)."""
    oc, c = w.shape[:2]
    taps = np.empty((4, oc * 4 * c), dtype=w.dtype)
    cpu_kernels.loops().winograd_taps(w, taps)
    u = _rows((m + 1) ** 2, oc, 4 * c, w.dtype)
    np.matmul(_kron(m, w.dtype), taps, out=_flat(u)[:, : oc * 4 * c])
    return u


def _matmul(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> np.ndarray:
    """out[k] = a[k] @ b[k] for each of the batch's products, a share of them per thread
    (threads.products)."""

    def work(lo: int, hi: int) -> None:
        np.matmul(a[lo:hi], b[lo:hi], out=out[lo:hi])

    threads.products(len(out), work)
    return out


def conv(v: np.ndarray, w: np.ndarray, out_hw: tuple[int, int], n: int) -> np.ndarray | None:
    """conv2d of the input whose tiles are v with the weight w: (OC, OH, OW, N), C order
    (the output as conv.py's products leave it, batch-minor); None where it holds an inf
    or a NaN (see "Infinities")."""
    oc, m = w.shape[0], _size(v)
    th, tw = _tiles(out_hw, m)
    k = v.shape[0]
    mt = _matmul(weight_tiles(w, m), v, _rows(k, oc, v.shape[2], v.dtype))
    y = np.empty((oc,) + tuple(out_hw) + (n,), dtype=v.dtype)
    bad = np.zeros(oc, dtype=bool)
    loops = cpu_kernels.loops()
    run, extra = (
        (loops.winograd_output, ())
        if m == 2
        else (loops.winograd4_output, (_matrices(v.dtype)[2],))
    )
    cpu_kernels._split(run, oc, _flat(mt), y, th, tw, *extra, bad, unit=k * th * tw * n)
    return None if bad.any() else y


def conv_transpose(
    mt: np.ndarray,
    w: np.ndarray,
    g: Any,
    out_hw: tuple[int, int],
    x_shape: tuple[int, ...],
    out: np.ndarray | None = None,
) -> np.ndarray:
    """The input gradient of conv2d (conv_transpose2d's forward) from the tiles mt of an
    output gradient of out_hw: (N, C, H, W) for x_shape, a view of a C-ordered (C, H, W, N)
    array, or None where it holds an inf or a NaN. `out`, an array of V's size and dtype
    that nothing else uses, takes the products' result."""
    n, c, h, wd = x_shape
    m = _size(mt)
    th, tw = _tiles(out_hw, m)
    k = (m + 1) ** 2
    shape = (k, 4 * c, th * tw * n)
    if out is None or out.shape != shape or out.dtype != mt.dtype:
        out = _rows(*shape, mt.dtype)
    dv = _matmul(weight_tiles(w, m).transpose(0, 2, 1), mt, out)
    gx = np.empty((c, h, wd, n), dtype=mt.dtype)
    bad = np.zeros(c, dtype=bool)
    ph, pw = g.padding
    loops = cpu_kernels.loops()
    run, extra = (
        (loops.winograd_input_adjoint, ())
        if m == 2
        else (loops.winograd4_input_adjoint, (_matrices(mt.dtype)[1],))
    )
    args = (_flat(dv), gx, th, tw, ph, pw, *extra, bad)
    cpu_kernels._split(run, c, *args, unit=4 * k * th * tw * n)
    return None if bad.any() else gx.transpose(3, 0, 1, 2)


def grad_weight(v: np.ndarray, mt: np.ndarray, w_shape: tuple[int, ...]) -> np.ndarray | None:
    """The weight gradient (OC, C, 4, 4) from the input's tiles v and the output gradient's
    tiles mt, or None where it holds an inf or a NaN."""
    k = mt.shape[0]
    # dU, then the adjoint of weight_tiles' product
    du = _matmul(mt, v.transpose(0, 2, 1), np.empty((k, mt.shape[1], v.shape[1]), mt.dtype))
    taps = np.matmul(_kron(_size(mt), du.dtype).T, du.reshape(k, -1))
    gw = np.empty(w_shape, dtype=du.dtype)
    loops = cpu_kernels.loops()
    loops.winograd_untaps(taps, gw)
    return gw if loops.finite(gw) else None
