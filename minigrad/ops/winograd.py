"""The k4 s2 convolutions of DCGAN-type networks by Winograd's F(2x2, 2x2), on the CPU.

conv.py computes a convolution as im2col and one product: 16 multiplications per input
channel for each output value of a 4x4 kernel. This module does the same convolution with
9 for every 4 output values, about 1.8x fewer, and adds and subtracts inputs instead.

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

**Backward.** The whole map is linear in x and in w, so the gradients are its adjoints,
with the same nine products: the output gradient's tiles dM = A gy A', then the input
gradient is B (U[k]' @ dM[k]) B' added back onto the input tiles' positions (adjacent tiles
share a row or column), and the weight gradient is G' (dM[k] @ V[k]') G. The transposed
convolution is the input gradient's map, so conv_transpose2d runs it as its forward.

**Infinities.** Where x holds an inf, B' d puts it into a tile with both signs (d0 - d1,
d1 and d2 - d1 for d1 = inf), and A' then adds +inf to -inf: NaN, where the direct sum
gives the inf. So each result is checked as it is written (cpu_loops.finite, on each
channel while it is in the cache), and one with an inf or a NaN is computed again by
conv.py's im2col, whose infinities and NaNs are PyTorch's.

**Rounding.** The sums run in another order, through differences of inputs, so the
results differ from im2col's in the last bits: on DCGAN's layer in float32 (three random
inputs, outputs up to 7-9), the largest error against a float64 result was 7.8-8.6e-6
where im2col's was 4.0-5.3e-6, the root mean square 8.4e-7 against 4.8e-7.

Used for NumPy arrays of float32 and float64 where the compiled kernels run
(cpu_kernels.handles), a 4x4 kernel, stride 2, no dilation, one group, where it saves at
least MIN_SAVED multiply-adds a pass (see there); conv.py takes everything else.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import cpu_kernels

# the multiply-adds a pass must save against im2col's product, C * OC * N * (16 * OH * OW
# - 36 * TH * TW), for Winograd to run: smaller products lose more to the transforms and to
# nine products' lower speed than they save. conv2d forward and backward, Winograd against
# im2col, two threads, medians of 8 alternating rounds (batch, channels, input size: saved):
# 64, 64 -> 128, 14 (DCGAN's layer): 109 M, 0.95x the time; 32, 64 -> 128, 14: 55 M, 1.00;
# 64, 64 -> 64, 14: 55 M, 1.02; 64, 32 -> 64, 14: 27 M, 1.02; 16, 64 -> 128, 14: 27 M,
# 1.08; 64, 32 -> 32, 14: 14 M, 1.26; 64, 16 -> 16, 14: 3 M, 1.47. Even output sizes
# waste no tile and gain more: 64, 32 -> 64, 28: 180 M, 0.71; 32, 32 -> 64, 28: 90 M,
# 0.77; 64, 128 -> 256, 8 and 64, 64 -> 128, 16: 235 M, 0.71; but 16, 32 -> 64, 28 and
# 64, 16 -> 32, 28 (45 M: 0.80 and 0.93) stay on im2col, and 64, 8 -> 16, 28 (11 M) lost
# (1.06)
MIN_SAVED = 64_000_000


def saved(w_shape: tuple[int, ...], n: int, out_hw: tuple[int, int]) -> int:
    """The multiply-adds Winograd saves on a pass of a conv2d with a weight of w_shape
    (OC, C, 4, 4), a batch of n and an output of out_hw: im2col's product does
    16 * C * OC per output value, the nine products 36 * C * OC per 2x2 tile."""
    th, tw = _tiles(out_hw)
    return w_shape[0] * w_shape[1] * n * (16 * out_hw[0] * out_hw[1] - 36 * th * tw)


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


def _tiles(out_hw: tuple[int, int]) -> tuple[int, int]:
    return (out_hw[0] + 1) // 2, (out_hw[1] + 1) // 2


def _weight_rows(oc: int, c: int, dtype: Any) -> np.ndarray:
    """An empty U (9, OC, 4C), each of its nine matrices a cache line after the end of the
    last (see cpu_loops.winograd_weight)."""
    size = oc * 4 * c
    pad = 64 // np.dtype(dtype).itemsize
    return np.empty((9, size + pad), dtype=dtype)[:, :size].reshape(9, oc, 4 * c)


def input_tiles(x: np.ndarray, g: Any, out_hw: tuple[int, int]) -> np.ndarray:
    """V (9, 4C, T) of x (N, C, H, W), any strides, for an output of out_hw."""
    n, c = x.shape[:2]
    th, tw = _tiles(out_hw)
    v = np.empty((9, 4 * c, th * tw * n), dtype=x.dtype)  # its own (conv.py reuses it)
    ph, pw = g.padding
    loops = cpu_kernels.loops()
    run, src = cpu_kernels.by_layout(x, loops.winograd_input, loops.winograd_input_staged)
    cpu_kernels._split(run, c, src, v.reshape(9, -1), th, tw, ph, pw, unit=36 * th * tw * n)
    return v


def output_tiles(y: np.ndarray) -> np.ndarray:
    """dM (9, OC, T) = A y A' tile by tile, of y (N, OC, OH, OW), any strides."""
    n, oc = y.shape[:2]
    th, tw = _tiles(y.shape[2:])
    m = np.empty((9, oc * th * tw * n), dtype=y.dtype)
    loops = cpu_kernels.loops()
    staged = loops.winograd_output_adjoint_staged
    run, src = cpu_kernels.by_layout(y, loops.winograd_output_adjoint, staged)
    cpu_kernels._split(run, oc, src, m, th, tw, unit=9 * th * tw * n)
    return m.reshape(9, oc, th * tw * n)


def bias_grad(m: np.ndarray) -> np.ndarray:
    """The output gradient summed per channel, from its tiles m (9, OC, T): A g A' keeps
    the tile's four values g as its corners (rows 0, 2, 6 and 8), and the tiles cover each
    output value once (0 past the edge)."""
    return m[0].sum(1) + m[2].sum(1) + m[6].sum(1) + m[8].sum(1)


def weight_tiles(w: np.ndarray) -> np.ndarray:
    """U (9, OC, 4C) = G g G' of each phase's 2x2 taps g of w (OC, C, 4, 4)."""
    u = _weight_rows(w.shape[0], w.shape[1], w.dtype)
    cpu_kernels.loops().winograd_weight(w, u.base)
    return u


def conv(v: np.ndarray, w: np.ndarray, out_hw: tuple[int, int], n: int) -> np.ndarray | None:
    """conv2d of the input whose tiles are v with the weight w: (OC, OH, OW, N), C order
    (the output as conv.py's products leave it, batch-minor); None where it holds an inf
    or a NaN (see "Infinities")."""
    oc = w.shape[0]
    th, tw = _tiles(out_hw)
    m = np.matmul(weight_tiles(w), v)
    y = np.empty((oc,) + tuple(out_hw) + (n,), dtype=v.dtype)
    bad = np.zeros(oc, dtype=bool)
    run = cpu_kernels.loops().winograd_output
    cpu_kernels._split(run, oc, m.reshape(9, -1), y, th, tw, bad, unit=9 * th * tw * n)
    return None if bad.any() else y


def conv_transpose(
    m: np.ndarray,
    w: np.ndarray,
    g: Any,
    out_hw: tuple[int, int],
    x_shape: tuple[int, ...],
    out: np.ndarray | None = None,
) -> np.ndarray:
    """The input gradient of conv2d (conv_transpose2d's forward) from the tiles m of an
    output gradient of out_hw: (N, C, H, W) for x_shape, a view of a C-ordered (C, H, W, N)
    array, or None where it holds an inf or a NaN. `out`, an array of V's size and dtype
    that nothing else uses, takes the products' result."""
    n, c, h, wd = x_shape
    th, tw = _tiles(out_hw)
    shape = (9, 4 * c, th * tw * n)
    if out is None or out.size != shape[0] * shape[1] * shape[2] or out.dtype != m.dtype:
        out = np.empty(shape, dtype=m.dtype)
    dv = np.matmul(weight_tiles(w).transpose(0, 2, 1), m, out=out.reshape(shape))
    gx = np.empty((c, h, wd, n), dtype=m.dtype)
    bad = np.zeros(c, dtype=bool)
    ph, pw = g.padding
    run = cpu_kernels.loops().winograd_input_adjoint
    args = (dv.reshape(9, -1), gx, th, tw, ph, pw, bad)
    cpu_kernels._split(run, c, *args, unit=36 * th * tw * n)
    return None if bad.any() else gx.transpose(3, 0, 1, 2)


def grad_weight(v: np.ndarray, m: np.ndarray, w_shape: tuple[int, ...]) -> np.ndarray | None:
    """The weight gradient (OC, C, 4, 4) from the input's tiles v and the output gradient's
    tiles m, or None where it holds an inf or a NaN."""
    oc, c = w_shape[:2]
    du = np.matmul(m, v.transpose(0, 2, 1), out=_weight_rows(oc, c, m.dtype))
    gw = np.empty(w_shape, dtype=du.dtype)
    loops = cpu_kernels.loops()
    loops.winograd_weight_adjoint(du.base, gw)
    return gw if loops.finite(gw) else None
