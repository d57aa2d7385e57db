"""The loops behind cpu_kernels.py and winograd.py, compiled by Numba: read each as the
algorithm, value by value, the way a C or CUDA kernel is written (cuda_kernels.py has the
GPU's versions of the ones it shares with them).

`@kernel` is `numba.njit(nogil=True, cache=True, error_model="numpy")`: compiled to
machine code on first call for each dtype and layout, kept on disk for the next process,
and run without the GIL, so that `threads.split` can run one on a share of the data per
thread. Without the decorator (`f.py_func`) each is plain Python that computes the same
result, slowly.

Importing this module imports Numba; cpu_kernels.py does so on first use only.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from llvmlite import ir
from numba.core import cgutils
from numba.core.extending import intrinsic


def _compiled(**options: object):
    """numba.njit with the on-disk cache, or without it where Numba finds no folder it may
    write (a read-only install and no writable home): then each process compiles anew."""

    def decorate(f):
        try:
            return numba.njit(cache=True, **options)(f)
        except RuntimeError:  # "cannot cache function ...: no locator available"
            return numba.njit(cache=False, **options)(f)

    return decorate


# error_model="numpy": a division by zero gives inf or NaN, as in NumPy, instead of
# raising ZeroDivisionError, and the test for it (a branch per division, which kept the
# Adam loop from becoming SIMD code: 7x slower) is gone
kernel = _compiled(nogil=True, error_model="numpy")
# a sum may be added in any order (SIMD lanes, several accumulators): only the reductions
reduction = _compiled(nogil=True, error_model="numpy", fastmath={"reassoc"})
# a helper copied into each loop that calls it (Numba inlines it before compiling): called
# as a function, _mat5 ran 2x slower (F(4x4, 2x2)'s input tiles, one thread: 1.27 ms
# against 0.65)
inline = _compiled(nogil=True, error_model="numpy", inline="always")


# ------------------------------------------------------------------ convolution
@kernel
def channel_columns(img, out, kh, kw, sh, sw, ph, pw, dh, dw):
    """out[i, j, p, q, b] = img[p*sh - ph + i*dh, q*sw - pw + j*dw, b], 0 outside img: one
    channel's columns, from its image img (H, W, N) with any strides, read in rows of N."""
    h, w, n = img.shape
    oh, ow = out.shape[2], out.shape[3]
    for i in range(kh):
        for j in range(kw):
            for p in range(oh):
                r = p * sh - ph + i * dh
                for q in range(ow):
                    s = q * sw - pw + j * dw
                    dst = out[i, j, p, q]
                    if 0 <= r < h and 0 <= s < w:
                        src = img[r, s]
                        for b in range(n):
                            dst[b] = src[b]
                    else:
                        for b in range(n):
                            dst[b] = 0


@kernel
def im2col(x, cols, kh, kw, sh, sw, ph, pw, dh, dw, c0, c1):
    """cols[c, i, j, p, q, b] = x[c, p*sh - ph + i*dh, q*sw - pw + j*dw, b], 0 outside x,
    for channels c0 <= c < c1; x is (C, H, W, N) with any strides, cols C-contiguous."""
    for c in range(c0, c1):
        channel_columns(x[c], cols[c], kh, kw, sh, sw, ph, pw, dh, dw)


@kernel
def im2col_staged(x, cols, kh, kw, sh, sw, ph, pw, dh, dw, c0, c1):
    """im2col's columns of x (N, C, H, W) in any other layout (C order, say): each channel
    is first copied batch-minor into a buffer of H*W*N values, which stays in the cache
    while its columns are read from it. The same columns as a batch-minor copy of x
    followed by im2col, without the copy's pass over memory."""
    n, h, w = x.shape[0], x.shape[2], x.shape[3]
    buf = np.empty((1, h, w, n), x.dtype)
    for c in range(c0, c1):
        batch_minor_copy(x[:, c : c + 1], buf, 0, 1)
        channel_columns(buf[0], cols[c], kh, kw, sh, sw, ph, pw, dh, dw)


@kernel
def batch_minor_copy(x, out, c0, c1):
    """out[c, r, s, b] = x[b, c, r, s] for channels c0 <= c < c1: an (N, C, H, W) array
    with any strides (C order, say) copied batch-minor. A channel's block of out (H*W*N
    values) stays in the cache while its rows of N are written one value at a time."""
    n, h, w = x.shape[0], x.shape[2], x.shape[3]
    for c in range(c0, c1):
        for b in range(n):
            for r in range(h):
                src, dst = x[b, c, r], out[c, r]
                for s in range(w):
                    dst[s, b] = src[s]


@kernel
def c_order_copy(x, out, c0, c1):
    """out[b, c, r, s] = x[b, c, r, s] for channels c0 <= c < c1: a batch-minor (N, C, H, W)
    array (a convolution's input gradient) copied into a C-contiguous one, the inverse of
    batch_minor_copy. A channel's block of x (H*W*N values) stays in the cache while its
    rows are read with a stride of N and written in order."""
    n, h, w = x.shape[0], x.shape[2], x.shape[3]
    for c in range(c0, c1):
        for b in range(n):
            for r in range(h):
                src, dst = x[b, c, r], out[b, c, r]
                for s in range(w):
                    dst[s] = src[s]


@kernel
def _taps(size, k, s, pad, d, out_len):
    """For each of `size` positions x along an axis, the kernel offsets i (ascending) whose
    window p = (x + pad - i*d) / s is a whole number in [0, out_len), with those p:
    idx[x, :cnt[x]] and pos[x, :cnt[x]]. col2im looks them up instead of testing every
    offset of every value (a division and a remainder each)."""
    idx = np.empty((size, k), np.int64)
    pos = np.empty((size, k), np.int64)
    cnt = np.zeros(size, np.int64)
    for x in range(size):
        for i in range(k):
            t = x + pad - i * d
            if t >= 0 and t % s == 0 and t // s < out_len:
                idx[x, cnt[x]] = i
                pos[x, cnt[x]] = t // s
                cnt[x] += 1
    return idx, pos, cnt


@kernel
def col2im(cols, img, sh, sw, ph, pw, dh, dw, c0, c1):
    """img[c, r, s, b] = the sum of every cols[c, i, j, p, q, b] that im2col read from
    x[c, r, s, b], for channels c0 <= c < c1. Gathered per image value, so no two writes
    meet, and added in kernel-offset order (i, then j), as conv.py's slice-adds add them:
    from 0, except that the first offset of each stride class (row mod sh, column mod sw)
    assigns its term, as conv.py's first slice of a class does (so a lone -0.0 stays
    -0.0 there and becomes 0.0 elsewhere, bit for bit as conv.py).

    The offsets that reach each row and each column come from tables (_taps), and the
    values are indexed directly rather than through a view per offset: on (64, 4, 4, 7, 7,
    64) columns, k4 s2 p1, one thread, 0.42 ms where testing every offset took 0.78; a
    3x3 stride-1 (32, 3, 3, 28, 28, 16) 0.89 against 1.94."""
    kh, kw, oh, ow = cols.shape[1], cols.shape[2], cols.shape[3], cols.shape[4]
    h, w, n = img.shape[1], img.shape[2], img.shape[3]
    zero = img.dtype.type(0)
    first_i = np.full(sh, -1)  # the first kernel row of each row class, -1 for none
    for i in range(kh - 1, -1, -1):
        first_i[i * dh % sh] = i
    first_j = np.full(sw, -1)
    for j in range(kw - 1, -1, -1):
        first_j[j * dw % sw] = j
    ri, rp, rn = _taps(h, kh, sh, ph, dh, oh)
    cj, cq, cn = _taps(w, kw, sw, pw, dw, ow)
    for c in range(c0, c1):
        for r in range(h):
            i0 = first_i[(r + ph) % sh]
            for s in range(w):
                if rn[r] == 0 or cn[s] == 0:  # no window reaches this value
                    for b in range(n):
                        img[c, r, s, b] = 0
                    continue
                i, p, j, q = ri[r, 0], rp[r, 0], cj[s, 0], cq[s, 0]
                if i == i0 and j == first_j[(s + pw) % sw]:  # the class's first assigns
                    for b in range(n):
                        img[c, r, s, b] = cols[c, i, j, p, q, b]
                else:
                    for b in range(n):
                        img[c, r, s, b] = zero + cols[c, i, j, p, q, b]
                for a in range(rn[r]):
                    i, p = ri[r, a], rp[r, a]
                    for e in range(1 if a == 0 else 0, cn[s]):
                        j, q = cj[s, e], cq[s, e]
                        for b in range(n):
                            img[c, r, s, b] += cols[c, i, j, p, q, b]


# ------------------------------------------------------------------ Winograd, F(2x2, 2x2)
# A k4 s2 convolution is four k2 s1 ones, one per phase (r, s) of the input (rows r, r+2,
# ... and columns s, s+2, ...), whose sums add up; winograd.py says how. Each k2 s1
# correlation runs as Winograd's F(2x2, 2x2) here (F(4x4, 2x2)'s loops follow): a 3x3
# input tile d gives a 2x2 output tile y = A' [(G g G') * (B' d B)] A, with
#   B' = [[1, -1, 0], [0, 1, 0], [0, -1, 1]],  G = [[1, 0], [1, 1], [0, 1]],
#   A' = [[1, 1, 0], [0, 1, 1]]:
# entries 0 and +-1 only, so the transforms add and subtract and never scale. The loops
# below are these transforms and their adjoints (the backward passes).
#
# Layouts: x and gx are (C, H, W, N) batch-minor views; the tile arrays have one row per
# point k = 3 * u + e of the 3x3 transform, each row a matrix of the nine products:
#   input tiles V (9, 4C * T): row k is (4C, T), column ((c * 2 + r) * 2 + s) * T + t;
#   output tiles M (9, OC * T): row k is (OC, T), column o * T + t;
#   weight tiles U (9, OC * 4C + pad): row k is (OC, 4C), column ((o * C + c) * 2 + r) * 2 + s;
# t = (ti * TW + tj) * N + b for tile (ti, tj) of image b, TH and TW tiles along each axis
# of the output (ceil(OH / 2), ceil(OW / 2)). The loops take one row of N values at a time
# as a 1-d slice, which the compiler turns into SIMD code (indexing the 8-d array each time
# it did not: 0.64 against 0.40 ms for the input's tiles on one thread).
@reduction
def finite(a):
    """Whether a C-contiguous `a` holds no inf or NaN: the sum of a * 0 is 0, else NaN (a
    reduction, so that the sum may run in SIMD lanes)."""
    flat = a.reshape(a.size)
    total = flat.dtype.type(0)
    for k in range(flat.size):
        total += flat[k] * 0
    return total == 0


@inline
def _fill0(a):
    """a[...] = 0 for a C-contiguous a."""
    flat = a.reshape(a.size)
    for i in range(flat.size):
        flat[i] = 0


@kernel
def winograd_input_channel(img, v, c, th, tw, ph, pw):
    """V's tiles of channel c from its image img (H, W, N): tile (ti, tj) of phase (r, s)
    is B' d B, where d[u, e] = img[4 * ti + 2 * u + r - ph, 4 * tj + 2 * e + s - pw] (0
    outside img). B' runs along the rows once per row of tiles (adjacent tiles share a
    column), then B per tile."""
    h, w, n = img.shape
    t = np.empty((3, 2 * tw + 1, n), v.dtype)
    zero = np.zeros(n, v.dtype)
    for r in range(2):
        for s in range(2):
            for ti in range(th):
                r0 = 4 * ti + r - ph
                for q in range(2 * tw + 1):  # B' along the rows, column by column
                    col = 2 * q + s - pw
                    inside = 0 <= col < w
                    d0 = img[r0, col] if inside and 0 <= r0 < h else zero
                    d1 = img[r0 + 2, col] if inside and 0 <= r0 + 2 < h else zero
                    d2 = img[r0 + 4, col] if inside and 0 <= r0 + 4 < h else zero
                    t0, t1, t2 = t[0, q], t[1, q], t[2, q]
                    for b in range(n):
                        t0[b] = d0[b] - d1[b]
                        t1[b] = d1[b]
                        t2[b] = d2[b] - d1[b]
                for tj in range(tw):  # then B along the columns
                    at = ((((c * 2 + r) * 2 + s) * th + ti) * tw + tj) * n
                    for u in range(3):
                        a0, a1, a2 = t[u, 2 * tj], t[u, 2 * tj + 1], t[u, 2 * tj + 2]
                        v0 = v[3 * u][at : at + n]
                        v1 = v[3 * u + 1][at : at + n]
                        v2 = v[3 * u + 2][at : at + n]
                        for b in range(n):
                            v0[b] = a0[b] - a1[b]
                            v1[b] = a1[b]
                            v2[b] = a2[b] - a1[b]


@kernel
def winograd_input(x, v, th, tw, ph, pw, c0, c1):
    """V of x (C, H, W, N), batch-minor, for channels c0 <= c < c1."""
    for c in range(c0, c1):
        winograd_input_channel(x[c], v, c, th, tw, ph, pw)


@kernel
def winograd_input_staged(x, v, th, tw, ph, pw, c0, c1):
    """V of x (N, C, H, W) in any other layout (C order, say), for channels c0 <= c < c1:
    each channel copied batch-minor into a buffer first, as im2col_staged does (on a
    C-ordered (64, 64, 14, 14) x, two threads: 0.95 ms straight from x, which the loops
    read with a stride of C*H*W between images)."""
    n, h, w = x.shape[0], x.shape[2], x.shape[3]
    buf = np.empty((1, h, w, n), x.dtype)
    for c in range(c0, c1):
        batch_minor_copy(x[:, c : c + 1], buf, 0, 1)
        winograd_input_channel(buf[0], v, c, th, tw, ph, pw)


@kernel
def winograd_input_adjoint(v, x, th, tw, ph, pw, bad, c0, c1):
    """The adjoint of winograd_input for channels c0 <= c < c1: x[c] = 0, then, for each row
    of tiles, B's adjoint per tile summed into the row's columns (adjacent tiles share one),
    and B''s adjoint per column added onto x (adjacent rows of tiles share a row of x).
    bad[c] = whether x[c] came out with an inf or NaN (x C-contiguous)."""
    h, w, n = x.shape[1], x.shape[2], x.shape[3]
    t = np.empty((3, 2 * tw + 1, n), v.dtype)
    for c in range(c0, c1):
        _fill0(x[c])
        for r in range(2):
            for s in range(2):
                for ti in range(th):
                    for u in range(3):
                        a = t[u, 0]
                        for b in range(n):
                            a[b] = 0
                    # B along the columns, B = [[1, 0, 0], [-1, 1, -1], [0, 0, 1]]
                    for tj in range(tw):
                        at = ((((c * 2 + r) * 2 + s) * th + ti) * tw + tj) * n
                        for u in range(3):
                            v0 = v[3 * u][at : at + n]
                            v1 = v[3 * u + 1][at : at + n]
                            v2 = v[3 * u + 2][at : at + n]
                            a0, a1, a2 = t[u, 2 * tj], t[u, 2 * tj + 1], t[u, 2 * tj + 2]
                            for b in range(n):  # a0 holds the previous tile's share
                                a0[b] += v0[b]
                            for b in range(n):
                                a1[b] = v1[b] - v0[b] - v2[b]
                            for b in range(n):
                                a2[b] = v2[b]
                    r0 = 4 * ti + r - ph
                    for q in range(2 * tw + 1):  # then B' along the rows, added onto x
                        col = 2 * q + s - pw
                        if not 0 <= col < w:
                            continue
                        a0, a1, a2 = t[0, q], t[1, q], t[2, q]
                        if 0 <= r0 < h:
                            dst = x[c, r0, col]
                            for b in range(n):
                                dst[b] += a0[b]
                        if 0 <= r0 + 2 < h:
                            dst = x[c, r0 + 2, col]
                            for b in range(n):
                                dst[b] += a1[b] - a0[b] - a2[b]
                        if 0 <= r0 + 4 < h:
                            dst = x[c, r0 + 4, col]
                            for b in range(n):
                                dst[b] += a2[b]
        bad[c] = not finite(x[c])


@kernel
def winograd_output(m, y, th, tw, bad, c0, c1):
    """y[o, 2 * ti + a, 2 * tj + e] = (A' m_tile A)[a, e] for output channels c0 <= o < c1,
    the tiles cropped to y (OC, OH, OW, N), C-contiguous; bad[o] = whether y[o] came out
    with an inf or NaN."""
    oh, ow, n = y.shape[1], y.shape[2], y.shape[3]
    t = np.empty((2, 3, n), m.dtype)
    for o in range(c0, c1):
        for ti in range(th):
            for tj in range(tw):
                at = ((o * th + ti) * tw + tj) * n
                for e in range(3):  # A' along the rows
                    m0 = m[e][at : at + n]
                    m1 = m[3 + e][at : at + n]
                    m2 = m[6 + e][at : at + n]
                    a0, a1 = t[0, e], t[1, e]
                    for b in range(n):
                        a0[b] = m0[b] + m1[b]
                        a1[b] = m1[b] + m2[b]
                for a in range(min(2, oh - 2 * ti)):  # then A along the columns
                    t0, t1, t2 = t[a, 0], t[a, 1], t[a, 2]
                    dst = y[o, 2 * ti + a, 2 * tj]
                    for b in range(n):
                        dst[b] = t0[b] + t1[b]
                    if 2 * tj + 1 < ow:
                        dst = y[o, 2 * ti + a, 2 * tj + 1]
                        for b in range(n):
                            dst[b] = t1[b] + t2[b]
        bad[o] = not finite(y[o])


@kernel
def winograd_output_adjoint_channel(img, m, o, th, tw):
    """The adjoint of winograd_output for output channel o, from its image img (OH, OW, N):
    tile (ti, tj) of M is A g A', g the 2x2 tile of img at (2 * ti, 2 * tj), 0 past its
    edge."""
    oh, ow, n = img.shape
    zero = np.zeros(n, m.dtype)
    t = np.empty((2, 3, n), m.dtype)
    for ti in range(th):
        for tj in range(tw):
            for a in range(2):  # A' along the columns: A = [[1, 0], [1, 1], [0, 1]]
                p, q = 2 * ti + a, 2 * tj
                g0 = img[p, q] if p < oh else zero
                g1 = img[p, q + 1] if p < oh and q + 1 < ow else zero
                a0, a1, a2 = t[a, 0], t[a, 1], t[a, 2]
                for b in range(n):
                    a0[b] = g0[b]
                    a1[b] = g0[b] + g1[b]
                    a2[b] = g1[b]
            at = ((o * th + ti) * tw + tj) * n
            for e in range(3):  # then A along the rows
                s0, s1 = t[0, e], t[1, e]
                m0 = m[e][at : at + n]
                m1 = m[3 + e][at : at + n]
                m2 = m[6 + e][at : at + n]
                for b in range(n):
                    m0[b] = s0[b]
                    m1[b] = s0[b] + s1[b]
                    m2[b] = s1[b]


@kernel
def winograd_output_adjoint(y, m, th, tw, c0, c1):
    """M of y (OC, OH, OW, N), batch-minor, for output channels c0 <= o < c1."""
    for o in range(c0, c1):
        winograd_output_adjoint_channel(y[o], m, o, th, tw)


@kernel
def winograd_output_adjoint_staged(y, m, th, tw, c0, c1):
    """M of y (N, OC, OH, OW) in any other layout, each channel copied batch-minor first
    (C-ordered (64, 128, 7, 7), two threads: 0.37 ms straight from y, 0.16 batch-minor)."""
    n, oh, ow = y.shape[0], y.shape[2], y.shape[3]
    buf = np.empty((1, oh, ow, n), y.dtype)
    for o in range(c0, c1):
        batch_minor_copy(y[:, o : o + 1], buf, 0, 1)
        winograd_output_adjoint_channel(buf[0], m, o, th, tw)


# ------------------------------------------------------------------ Winograd, F(4x4, 2x2)
# The same four phases, each k2 s1 correlation by F(4x4, 2x2): a 5x5 input tile gives a
# 4x4 output tile, 25 products for 16 outputs, where F(2x2, 2x2) takes 36. Its matrices
# (winograd.TRANSFORMS[4]) hold fractions, so each transformed value is a sum of five
# terms: _mat5 applies a 5x5 matrix to five rows of N values at once, and A' (4x5) and A
# (5x4) come padded to 5x5 with a zero row or column. Layouts as above with nt = 5:
# V (25, 4C * T), M (25, OC * T), point k = 5 * u + e, T = N * ceil(OH/4) * ceil(OW/4).
@inline
def _mat5(k, s0, s1, s2, s3, s4, d0, d1, d2, d3, d4, add):
    """(d0, ..., d4) = k @ (s0, ..., s4) for k (5, 5) and rows of N values, or added onto
    the d's (`add`). Every entry of k multiplies, zeros too: an inf in an s gives NaN, and
    the results are checked for infinities and NaNs and computed again by im2col."""
    k00, k01, k02, k03, k04 = k[0, 0], k[0, 1], k[0, 2], k[0, 3], k[0, 4]
    k10, k11, k12, k13, k14 = k[1, 0], k[1, 1], k[1, 2], k[1, 3], k[1, 4]
    k20, k21, k22, k23, k24 = k[2, 0], k[2, 1], k[2, 2], k[2, 3], k[2, 4]
    k30, k31, k32, k33, k34 = k[3, 0], k[3, 1], k[3, 2], k[3, 3], k[3, 4]
    k40, k41, k42, k43, k44 = k[4, 0], k[4, 1], k[4, 2], k[4, 3], k[4, 4]
    for b in range(d0.size):
        a0, a1, a2, a3, a4 = s0[b], s1[b], s2[b], s3[b], s4[b]
        e0 = k00 * a0 + k01 * a1 + k02 * a2 + k03 * a3 + k04 * a4
        e1 = k10 * a0 + k11 * a1 + k12 * a2 + k13 * a3 + k14 * a4
        e2 = k20 * a0 + k21 * a1 + k22 * a2 + k23 * a3 + k24 * a4
        e3 = k30 * a0 + k31 * a1 + k32 * a2 + k33 * a3 + k34 * a4
        e4 = k40 * a0 + k41 * a1 + k42 * a2 + k43 * a3 + k44 * a4
        if add:
            e0 += d0[b]
            e1 += d1[b]
            e2 += d2[b]
            e3 += d3[b]
            e4 += d4[b]
        d0[b], d1[b], d2[b], d3[b], d4[b] = e0, e1, e2, e3, e4


@kernel
def winograd4_input_channel(img, v, c, th, tw, ph, pw, bt, p, t):
    """V's tiles of channel c from its image img (H, W, N): tile (ti, tj) of phase (r, s)
    is B' d B, d[i, j] = P[4 * ti + i, 4 * tj + j] of the phase image
    P[u, e] = img[2 * u + r - ph, 2 * e + s - pw] (0 outside img), copied into p first.
    B' runs down each column of a row of tiles into t (adjacent tiles share a column),
    then B along each tile's rows. p (4 TH + 1, 4 TW + 1, N) and t (5, 4 TW + 1, N) are
    scratch."""
    h, w, n = img.shape
    hp, wp = p.shape[0], p.shape[1]
    for r in range(2):
        for s in range(2):
            for u in range(hp):
                row = 2 * u + r - ph
                for e in range(wp):
                    col = 2 * e + s - pw
                    dst = p[u, e]
                    if 0 <= row < h and 0 <= col < w:
                        src = img[row, col]
                        for b in range(n):
                            dst[b] = src[b]
                    else:
                        for b in range(n):
                            dst[b] = 0
            at0 = ((c * 2 + r) * 2 + s) * th * tw * n
            for ti in range(th):
                i = 4 * ti
                for e in range(wp):  # B' down the columns
                    _mat5(bt, p[i, e], p[i + 1, e], p[i + 2, e], p[i + 3, e], p[i + 4, e],
                          t[0, e], t[1, e], t[2, e], t[3, e], t[4, e], False)  # fmt: skip
                for tj in range(tw):  # then B along the rows
                    at = at0 + (ti * tw + tj) * n
                    j = 4 * tj
                    for u in range(5):
                        tu, k = t[u], 5 * u
                        _mat5(bt, tu[j], tu[j + 1], tu[j + 2], tu[j + 3], tu[j + 4],
                              v[k][at : at + n], v[k + 1][at : at + n], v[k + 2][at : at + n],
                              v[k + 3][at : at + n], v[k + 4][at : at + n], False)  # fmt: skip


@kernel
def winograd4_input(x, v, th, tw, ph, pw, bt, c0, c1):
    """V of x (C, H, W, N), batch-minor, for channels c0 <= c < c1."""
    n = x.shape[3]
    p = np.empty((4 * th + 1, 4 * tw + 1, n), v.dtype)
    t = np.empty((5, 4 * tw + 1, n), v.dtype)
    for c in range(c0, c1):
        winograd4_input_channel(x[c], v, c, th, tw, ph, pw, bt, p, t)


@kernel
def winograd4_input_staged(x, v, th, tw, ph, pw, bt, c0, c1):
    """V of x (N, C, H, W) in any other layout, each channel copied batch-minor first."""
    n, h, w = x.shape[0], x.shape[2], x.shape[3]
    buf = np.empty((1, h, w, n), x.dtype)
    p = np.empty((4 * th + 1, 4 * tw + 1, n), v.dtype)
    t = np.empty((5, 4 * tw + 1, n), v.dtype)
    for c in range(c0, c1):
        batch_minor_copy(x[:, c : c + 1], buf, 0, 1)
        winograd4_input_channel(buf[0], v, c, th, tw, ph, pw, bt, p, t)


@kernel
def winograd4_input_adjoint(v, x, th, tw, ph, pw, b5, bad, c0, c1):
    """The adjoint of winograd4_input for channels c0 <= c < c1 (b5 = B, B' transposed):
    per row of tiles, B's adjoint along each tile's rows summed into t (adjacent tiles
    share a column), then B''s adjoint down the columns summed into the phase image p
    (adjacent rows of tiles share a row), and p written to its places in x[c] (each value
    of x is in one phase image; those in none get 0). bad[c] = whether x[c] came out with
    an inf or NaN (x C-contiguous)."""
    h, w, n = x.shape[1], x.shape[2], x.shape[3]
    hp, wp = 4 * th + 1, 4 * tw + 1
    p = np.empty((hp, wp, n), v.dtype)
    t = np.empty((5, wp, n), v.dtype)
    spare = np.empty(n, v.dtype)
    for c in range(c0, c1):
        xc = x[c]
        _fill0(xc)
        for r in range(2):
            for s in range(2):
                _fill0(p)
                at0 = ((c * 2 + r) * 2 + s) * th * tw * n
                for ti in range(th):
                    for tj in range(tw):  # B along the rows, adjoint
                        at = at0 + (ti * tw + tj) * n
                        j = 4 * tj
                        for u in range(5):
                            # column j holds the tile before's share: this tile's goes
                            # to `spare` and is added on (summing into all five rows of
                            # t at once ran 2.4x slower)
                            tu, k = t[u], 5 * u
                            first = tu[j] if tj == 0 else spare
                            _mat5(b5, v[k][at : at + n], v[k + 1][at : at + n],
                                  v[k + 2][at : at + n], v[k + 3][at : at + n],
                                  v[k + 4][at : at + n],
                                  first, tu[j + 1], tu[j + 2], tu[j + 3], tu[j + 4],
                                  False)  # fmt: skip
                            if tj > 0:
                                dst = tu[j]
                                for b in range(n):
                                    dst[b] += spare[b]
                    i = 4 * ti
                    for e in range(wp):  # then B' down the columns, adjoint
                        _mat5(b5, t[0, e], t[1, e], t[2, e], t[3, e], t[4, e],
                              p[i, e], p[i + 1, e], p[i + 2, e], p[i + 3, e], p[i + 4, e],
                              True)  # fmt: skip
                for u in range(hp):
                    row = 2 * u + r - ph
                    if 0 <= row < h:
                        for e in range(wp):
                            col = 2 * e + s - pw
                            if 0 <= col < w:
                                src, dst = p[u, e], xc[row, col]
                                for b in range(n):
                                    dst[b] = src[b]
        bad[c] = not finite(xc)


@kernel
def winograd4_output(mt, y, th, tw, at5, bad, c0, c1):
    """y[o, 4 * ti + a, 4 * tj + f] = (A' M_tile A)[a, f] for output channels c0 <= o < c1,
    the tiles cropped to y (OC, OH, OW, N), C-contiguous (at5: A' and a zero fifth row);
    bad[o] = whether y[o] came out with an inf or NaN."""
    oh, ow, n = y.shape[1], y.shape[2], y.shape[3]
    t = np.empty((5, 5, n), mt.dtype)
    spare = np.empty((5, n), mt.dtype)  # the rows past y's edge, and A' padding's
    for o in range(c0, c1):
        for ti in range(th):
            for tj in range(tw):
                k = ((o * th + ti) * tw + tj) * n
                for e in range(5):  # A' down the columns
                    _mat5(at5, mt[e][k : k + n], mt[5 + e][k : k + n], mt[10 + e][k : k + n],
                          mt[15 + e][k : k + n], mt[20 + e][k : k + n],
                          t[0, e], t[1, e], t[2, e], t[3, e], t[4, e], False)  # fmt: skip
                q = 4 * tj
                for a in range(min(4, oh - 4 * ti)):  # then A along the rows
                    ya = y[o, 4 * ti + a]
                    d1 = ya[q + 1] if q + 1 < ow else spare[1]
                    d2 = ya[q + 2] if q + 2 < ow else spare[2]
                    d3 = ya[q + 3] if q + 3 < ow else spare[3]
                    ta = t[a]
                    _mat5(
                        at5, ta[0], ta[1], ta[2], ta[3], ta[4], ya[q], d1, d2, d3, spare[4], False
                    )
        bad[o] = not finite(y[o])


@kernel
def winograd4_output_adjoint_channel(img, mt, o, th, tw, a5):
    """The adjoint of winograd4_output for output channel o, from its image img (OH, OW,
    N): tile (ti, tj) of M is A g A', g the 4x4 tile of img at (4 * ti, 4 * tj), 0 past
    its edge (a5: A and a zero fifth column)."""
    oh, ow, n = img.shape
    zero = np.zeros(n, mt.dtype)
    t = np.empty((4, 5, n), mt.dtype)
    for ti in range(th):
        for tj in range(tw):
            q = 4 * tj
            for a in range(4):  # A' along the rows
                p = 4 * ti + a
                inside = p < oh
                g0 = img[p, q] if inside else zero
                g1 = img[p, q + 1] if inside and q + 1 < ow else zero
                g2 = img[p, q + 2] if inside and q + 2 < ow else zero
                g3 = img[p, q + 3] if inside and q + 3 < ow else zero
                ta = t[a]
                _mat5(a5, g0, g1, g2, g3, zero, ta[0], ta[1], ta[2], ta[3], ta[4], False)
            k = ((o * th + ti) * tw + tj) * n
            for e in range(5):  # then A down the columns
                _mat5(a5, t[0, e], t[1, e], t[2, e], t[3, e], zero,
                      mt[e][k : k + n], mt[5 + e][k : k + n], mt[10 + e][k : k + n],
                      mt[15 + e][k : k + n], mt[20 + e][k : k + n], False)  # fmt: skip


@kernel
def winograd4_output_adjoint(y, mt, th, tw, a5, c0, c1):
    """M of y (OC, OH, OW, N), batch-minor, for output channels c0 <= o < c1."""
    for o in range(c0, c1):
        winograd4_output_adjoint_channel(y[o], mt, o, th, tw, a5)


@kernel
def winograd_taps(w, taps):
    """The 2x2 taps of each phase of a (OC, C, 4, 4) weight, as rows of taps (4, OC * 4C):
    taps[2 * i + j, k] = w[o, c, 2 * i + r, 2 * j + s], k = ((o * C + c) * 2 + r) * 2 + s.
    U is then one product, (G kron G) @ taps (winograd.weight_tiles)."""
    oc, c = w.shape[0], w.shape[1]
    for o in range(oc):
        for ci in range(c):
            for r in range(2):
                for s in range(2):
                    k = ((o * c + ci) * 2 + r) * 2 + s
                    taps[0, k] = w[o, ci, r, s]
                    taps[1, k] = w[o, ci, r, s + 2]
                    taps[2, k] = w[o, ci, r + 2, s]
                    taps[3, k] = w[o, ci, r + 2, s + 2]


@kernel
def winograd_untaps(taps, w):
    """The inverse of winograd_taps: w from its taps' rows."""
    oc, c = w.shape[0], w.shape[1]
    for o in range(oc):
        for ci in range(c):
            for r in range(2):
                for s in range(2):
                    k = ((o * c + ci) * 2 + r) * 2 + s
                    w[o, ci, r, s] = taps[0, k]
                    w[o, ci, r, s + 2] = taps[1, k]
                    w[o, ci, r + 2, s] = taps[2, k]
                    w[o, ci, r + 2, s + 2] = taps[3, k]


@kernel
def winograd4_output_adjoint_staged(y, mt, th, tw, a5, c0, c1):
    """M of y (N, OC, OH, OW) in any other layout, each channel copied batch-minor first."""
    n, oh, ow = y.shape[0], y.shape[2], y.shape[3]
    buf = np.empty((1, oh, ow, n), y.dtype)
    for o in range(c0, c1):
        batch_minor_copy(y[:, o : o + 1], buf, 0, 1)
        winograd4_output_adjoint_channel(buf[0], mt, o, th, tw, a5)


# ------------------------------------------------------------------ max pooling
@kernel
def _window(p, stride, pad, k, size):
    """The kernel offsets at which window p reads inside an axis of `size` values: the
    range [lo, hi) of the i in [0, k) with 0 <= p * stride - pad + i < size (empty, lo >=
    hi, for a window wholly in the padding)."""
    start = p * stride - pad
    return max(-start, 0), min(k, size - start)


@kernel
def max_pool(x, y, idx, kh, kw, sh, sw, ph, pw, c0, c1):
    """y[c, p, q, b] = the maximum of window (p, q) of x[c, :, :, b] and idx its kernel
    offset i * kw + j, for channels c0 <= c < c1; x is (C, H, W, N), y and idx
    (C, OH, OW, N). PyTorch's rule, as pool.py: start at the window's first value inside
    x (padding is never read); a later value replaces the best if larger or NaN, so ties
    go to the first (-0.0 before 0.0 stays -0.0, as in PyTorch, where NumPy's maximum in
    pool.py returns 0.0) and a NaN window to its last NaN. A window with no value inside
    x (an empty input) is -inf at its first offset inside the padding's end, as pool.py's
    _exact_argmax gives."""
    h, w, n = x.shape[1], x.shape[2], x.shape[3]
    oh, ow = y.shape[1], y.shape[2]
    for c in range(c0, c1):
        for p in range(oh):
            for q in range(ow):
                best, arg = y[c, p, q], idx[c, p, q]
                (i0, i1), (j0, j1) = _window(p, sh, ph, kh, h), _window(q, sw, pw, kw, w)
                first = True
                for i in range(i0, i1):
                    for j in range(j0, j1):
                        src, k = x[c, p * sh - ph + i, q * sw - pw + j], i * kw + j
                        if first:
                            for b in range(n):
                                best[b] = src[b]
                                arg[b] = k
                            first = False
                            continue
                        for b in range(n):  # selects, not branches: SIMD over the batch
                            v, m = src[b], best[b]
                            take = v > m or v != v
                            best[b] = v if take else m
                            arg[b] = k if take else arg[b]
                if first:
                    k = i0 * kw + j0
                    for b in range(n):
                        best[b] = -np.inf
                        arg[b] = k


@kernel
def max_pool_backward(gy, idx, gx, kh, kw, sh, sw, ph, pw, apart, c0, c1):
    """gx[c, r, s, b] = the sum of gy over the windows whose argmax idx is x[c, r, s, b],
    for channels c0 <= c < c1 (gy, idx (C, OH, OW, N); gx (C, H, W, N)).

    Windows that cannot overlap (`apart`: stride >= kernel) are walked window by window,
    each of their values written once (the gradient where the argmax is, else 0), after
    zeros for the values no window reads: assigned, as pool.py's scatter assigns.
    Overlapping windows are gathered per input value instead, adding in increasing kernel
    offset from 0 as pool.py's slice-adds do, so the sums round alike."""
    h, w, n = gx.shape[1], gx.shape[2], gx.shape[3]
    oh, ow = gy.shape[1], gy.shape[2]
    zero = gx.dtype.type(0)
    if apart:
        covered = ph == 0 and pw == 0 and sh == kh and sw == kw and h == oh * sh and w == ow * sw
        for c in range(c0, c1):
            if not covered:
                gx[c] = zero
            for p in range(oh):
                for q in range(ow):
                    g, a = gy[c, p, q], idx[c, p, q]
                    (i0, i1), (j0, j1) = _window(p, sh, ph, kh, h), _window(q, sw, pw, kw, w)
                    for i in range(i0, i1):
                        for j in range(j0, j1):
                            out, k = gx[c, p * sh - ph + i, q * sw - pw + j], i * kw + j
                            for b in range(n):
                                out[b] = g[b] if a[b] == k else zero
        return
    for c in range(c0, c1):
        for r in range(h):
            for s in range(w):
                out = gx[c, r, s]
                for b in range(n):
                    out[b] = zero
                for i in range(kh):
                    t = r + ph - i  # = p * sh when window row p covers row r at i
                    if t < 0 or t % sh != 0 or t // sh >= oh:
                        continue
                    for j in range(kw):
                        u = s + pw - j
                        if u < 0 or u % sw != 0 or u // sw >= ow:
                            continue
                        g, a, k = gy[c, t // sh, u // sw], idx[c, t // sh, u // sw], i * kw + j
                        for b in range(n):
                            out[b] += g[b] if a[b] == k else zero


# ------------------------------------------------------------------ activations
# The 1-D kernels slice their range first and then count from 0: an index the compiler
# knows is not negative needs no wrap-around test, so the loop becomes SIMD code with
# selects instead of branches (on random signs, 14x faster than `for k in range(lo, hi)`,
# which tests every index and mispredicts half the branches).
@kernel
def leaky_relu(x, y, slopes, slope, lo, hi):
    """slopes = 1 where x > 0 else slope (NaN: slope), y = x * slopes, on [lo, hi)."""
    x, y, slopes = x[lo:hi], y[lo:hi], slopes[lo:hi]
    one = slopes.dtype.type(1)
    for k in range(x.size):
        v = x[k]
        m = one if v > 0 else slope
        slopes[k] = m
        y[k] = v * m


@kernel
def relu(x, y, drop, lo, hi):
    """drop = x <= 0, y = max(x, 0) with NaN kept, on [lo, hi)."""
    x, y, drop = x[lo:hi], y[lo:hi], drop[lo:hi]
    zero = y.dtype.type(0)
    for k in range(x.size):
        v = x[k]
        d = v <= 0
        drop[k] = d
        y[k] = zero if d else v


@kernel
def relu_backward(drop, g, gx, lo, hi):
    """gx = 0 where drop else g (even where g is NaN or inf), on [lo, hi)."""
    drop, g, gx = drop[lo:hi], g[lo:hi], gx[lo:hi]
    zero = gx.dtype.type(0)
    for k in range(g.size):
        gx[k] = zero if drop[k] else g[k]


# exp and expm1 in float64, branch-free (SIMD code), for the float32 kernels below: ln 2
# split in two parts (Cody and Waite), so that n ln 2 is exact in float64 for every n that
# occurs (|n| < 2^20)
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_INV_LN2 = 1.44269504088896338700e00


@intrinsic
def _float64_bits(typingctx, bits):
    """The float64 whose bit pattern is the int64 `bits` (a reinterpretation, no
    conversion: one instruction, and SIMD code in a loop)."""

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return numba.types.float64(numba.types.int64), codegen


@inline
def _exp_parts(t):
    """(s, m) with exp(t) = s + s m, for -708 < t <= 0 (callers clamp t; below, 2^n
    would be subnormal, and s comes out 0; NaN passes into m): s = 2^n exactly and m =
    expm1(r), t = n ln 2 + r, |r| <= ln 2 / 2, from expm1's Taylor series to r^15 (the
    first term left out is below 2^-60 of it). expm1(t) is then s m + (s - 1), with no
    cancellation for t near 0 (n = 0, s = 1)."""
    n = np.floor(t * _INV_LN2 + 0.5)
    r = (t - n * _LN2_HI) - n * _LN2_LO
    p = 7.647163731819816e-13
    p = p * r + 1.1470745597729725e-11
    p = p * r + 1.6059043836821613e-10
    p = p * r + 2.08767569878681e-09
    p = p * r + 2.505210838544172e-08
    p = p * r + 2.755731922398589e-07
    p = p * r + 2.7557319223985893e-06
    p = p * r + 2.48015873015873e-05
    p = p * r + 0.0001984126984126984
    p = p * r + 0.001388888888888889
    p = p * r + 0.008333333333333333
    p = p * r + 0.041666666666666664
    p = p * r + 0.16666666666666666
    p = p * r + 0.5
    # 2^n from its bits (a NaN n makes exponent bits 0: s = 0, and m is NaN anyway)
    k = n + 1023.0
    k = k if k >= 0.0 else 0.0
    return _float64_bits(np.int64(k) << 52), r + r * (r * p)


@_compiled(nogil=True, error_model="numpy", fastmath={"contract"})
def tanh_wide(x, y, lo, hi):
    """y = tanh(x) on [lo, hi), each value worked in float64 and rounded once to y's
    dtype: for float32 the same bits as NumPy's float64 tanh rounded to float32, for
    every float32 value on the test machine (all 2^32 checked), in SIMD code where the C
    library's tanh is called one value at a time.

    With a = min(|x|, 9.5) (tanh is 1 in float32 from 9.01; NaN passes) and e =
    expm1(-2a) (`_exp_parts`): tanh(a) = -e / (2 + e), no cancellation for small a, and
    the sign of x put back. fastmath "contract" lets the compiler fuse each multiply-add
    (one rounding instead of two)."""
    x, y = x[lo:hi], y[lo:hi]
    for k in range(x.size):
        v = np.float64(x[k])
        a = abs(v)
        a = 9.5 if a > 9.5 else a
        s, m = _exp_parts(-2.0 * a)
        e = s * m + (s - 1.0)
        y[k] = math.copysign(-e / (2.0 + e), v)


@_compiled(nogil=True, error_model="numpy", fastmath={"contract"})
def sigmoid_wide(x, y, lo, hi):
    """y = 1 / (1 + exp(-x)) on [lo, hi), each value worked in float64 and rounded once
    to y's dtype, from e = exp(-|x|) only, as activation._sigmoid: 1 / (1 + e) for x >= 0,
    e / (1 + e) below (nothing overflows; both tails keep their relative precision). |x|
    is taken as at most 110, where the float32 result is 0 (or 1) from 103.9 on; NaN
    passes. For float32, the NumPy steps' bits but for three of the 2^32 values on the
    test machine, where this pass has the correctly rounded one and NumPy's the other
    (tests/ops/test_tanh_paths.py)."""
    x, y = x[lo:hi], y[lo:hi]
    for k in range(x.size):
        v = np.float64(x[k])
        a = abs(v)
        a = 110.0 if a > 110.0 else a
        s, m = _exp_parts(-a)
        e = s * m + s
        num = 1.0 if v >= 0.0 else e
        y[k] = num / (1.0 + e)


@kernel
def tanh_backward(y, g, gx, lo, hi):
    """gx = g (1 - y y) on [lo, hi), each step rounded as NumPy's three passes round it
    (y * y, then 1 - it, then g times that: no fused multiply-add)."""
    y, g, gx = y[lo:hi], g[lo:hi], gx[lo:hi]
    one = gx.dtype.type(1)
    for k in range(g.size):
        v = y[k]
        gx[k] = g[k] * (one - v * v)


@kernel
def select(c, a, b, out, lo, hi):
    """out = a where c else b on [lo, hi). Both values are read before the choice, so the
    loop compiles to a SIMD blend with no branch (NumPy's where branches per value, and a
    mask of no pattern mispredicts half of them)."""
    c, a, b, out = c[lo:hi], a[lo:hi], b[lo:hi], out[lo:hi]
    for k in range(out.size):
        x = a[k]
        y = b[k]
        out[k] = x if c[k] else y


@kernel
def select_else_one(c, a, b, out, lo, hi):
    """out = a where c else b[0] on [lo, hi) (`select` with one value for b)."""
    c, a, out = c[lo:hi], a[lo:hi], out[lo:hi]
    y = b[0]
    for k in range(out.size):
        x = a[k]
        out[k] = x if c[k] else y


@kernel
def select_one_else(c, a, b, out, lo, hi):
    """out = a[0] where c else b on [lo, hi) (`select` with one value for a)."""
    c, b, out = c[lo:hi], b[lo:hi], out[lo:hi]
    x = a[0]
    for k in range(out.size):
        y = b[k]
        out[k] = x if c[k] else y


@kernel
def erf(x, y, complement, lo, hi):
    """y = erf(x), or erfc(x) where `complement`, on [lo, hi): each value worked in float64
    (the C library's erf and erfc, through Numba's math module) and rounded once to y's
    dtype."""
    x, y = x[lo:hi], y[lo:hi]
    for k in range(x.size):
        v = np.float64(x[k])
        y[k] = math.erfc(v) if complement else math.erf(v)


@kernel
def outer(a, b, out, lo, hi):
    """out[i, j] = a[i] * b[j] + 0 for rows lo <= i < hi: a product with an inner size of
    1, each value rounded as the matmul's sum from zero rounds it (-0.0 becomes +0.0)."""
    zero = out.dtype.type(0)
    for i in range(lo, hi):
        u, row = a[i], out[i]
        for j in range(b.size):
            row[j] = u * b[j] + zero


@kernel
def scale(g, c, lo, hi):
    """c = g * c in place, on [lo, hi). In place, not into an `out` that is c: the compiler
    vectorises a loop only when it finds its output apart from its inputs, and an `out`
    that is c fails that test at run time (the scalar loop took 2.7x as long)."""
    g, c = g[lo:hi], c[lo:hi]
    for k in range(g.size):
        c[k] = g[k] * c[k]


# ------------------------------------------------------------------ batch normalisation
# x and the arrays like it are C-contiguous (P, C, R): channel c's values are the rows
# x[p, c, :], P rows of R values (a C-ordered (N, C, H, W) array is (N, C, H*W), a
# batch-minor one (1, C, H*W*N)). Contiguous rows are what lets the compiler vectorise.
# Sums (and the products summed) run in float64, so they agree with batchnorm.py's float32
# einsum sums to float32 rounding (closer to the exact sums, and finite where products of
# values near 1e19 overflow float32 there).
@reduction
def channel_sum(x, c):
    s = 0.0
    for p in range(x.shape[0]):
        row = x[p, c]
        for r in range(row.size):
            s += row[r]
    return s


@reduction
def centred_square_sum(x, m, c):
    """sum((x - m)^2) over channel c, x - m rounded to x's dtype (the x-hat numerator)."""
    s = 0.0
    for p in range(x.shape[0]):
        u = x[p, c]
        for r in range(u.size):
            d = np.float64(u[r] - m)  # no float32 overflow or rounding in the square
            s += d * d
    return s


@reduction
def xhat_dot(g, x, m, inv, c):
    """sum(g * xhat) over channel c, xhat = (x - m) * inv rounded to x's dtype, as the
    forward computes it."""
    s = 0.0
    for p in range(x.shape[0]):
        u, v = g[p, c], x[p, c]
        for r in range(u.size):
            s += np.float64(u[r]) * np.float64((v[r] - m) * inv)
    return s


# x-hat is not kept: the backward works it out again from x (which the Function keeps
# anyway) and the saved mean and 1/std, with the same two roundings, so it has the same
# bits. The forward then writes one array (y) instead of two, and reads x three times in
# the cache where it read and wrote an x-hat: (64, 128, 7, 7) batch-minor, two threads,
# 0.064 ms against 0.094 (the backward 0.086 against 0.080).
@kernel
def batch_norm_forward(x, y, weight, bias, stats, eps, c0, c1):
    """For channels c0 <= c < c1: mean, biased variance and 1/std into stats[0:3, c],
    y = xhat * weight + bias, xhat = (x - mean) * 1/std (weight, bias: length 0 for none)."""
    count = x.shape[0] * x.shape[2]
    t = x.dtype.type
    for c in range(c0, c1):
        m = t(channel_sum(x, c) / count)
        var = t(centred_square_sum(x, m, c) / count)
        inv = t(1) / np.sqrt(var + t(eps))  # in x's dtype, as batchnorm.py
        stats[0, c], stats[1, c], stats[2, c] = m, var, inv
        w = weight[c] if weight.size else t(1)
        o = bias[c] if bias.size else t(0)
        for p in range(x.shape[0]):
            u, out = x[p, c], y[p, c]
            for r in range(u.size):
                out[r] = (u[r] - m) * inv * w + o


@kernel
def batch_norm_backward(g, x, mean, invstd, scale, gx, sums, c0, c1):
    """For channels c0 <= c < c1, with xhat = (x - mean) * invstd: sums[0, c] = sum(g) (the
    bias gradient), sums[1, c] = sum(g * xhat) (the weight gradient), and, when gx is not
    empty, gx = (g - xhat * sums[1] / n - sums[0] / n) * scale[c] (scale: weight / std)."""
    count = g.shape[0] * g.shape[2]
    t = g.dtype.type
    for c in range(c0, c1):
        m, inv = mean[c], invstd[c]
        gb, gw = t(channel_sum(g, c)), t(xhat_dot(g, x, m, inv, c))
        sums[0, c], sums[1, c] = gb, gw
        if gx.size == 0:
            continue
        mb, mw, s = gb / t(count), gw / t(count), scale[c]
        for p in range(g.shape[0]):
            u, v, out = g[p, c], x[p, c], gx[p, c]
            for r in range(u.size):
                out[r] = (u[r] - (v[r] - m) * inv * mw - mb) * s


# ------------------------------------------------------------------ optimizers
@kernel
def adam(x, d, m, v, scalars, small, lo, hi):
    """One Adam step on [lo, hi) of parameter x with gradient d, moments m and v, in place:
    optim's NumPy arithmetic (optimizer.py's Adam._update, _lerp_, _sq_avg_) value by value,
    each operation rounded to x's dtype as there, so the two give the same bits. `scalars`
    holds decay, w, omw, omb2, b2, bc2, eps and step in x's dtype (one array: a call with
    nine scalar arguments cost more than a small parameter's update).

        x *= decay                          (1, or 1 - lr * weight_decay for AdamW)
        m = m + (d - m) * w  if small  else  d - (d - m) * omw     (m.lerp_(d, 1 - b1))
        v = v * b2 + (d * omb2) * d                                (omb2 = 1 - b2)
        x = x - m / (sqrt(v) / bc2 + eps) * step    (bc2 = sqrt(1 - b2^t), step = lr / (1 - b1^t))
    """
    decay, w, omw, omb2 = scalars[0], scalars[1], scalars[2], scalars[3]
    b2, bc2, eps, step = scalars[4], scalars[5], scalars[6], scalars[7]
    x, d, m, v = x[lo:hi], d[lo:hi], m[lo:hi], v[lo:hi]
    for k in range(x.size):
        g, a = d[k], m[k]
        e = x[k] * decay
        a = a + (g - a) * w if small else g - (g - a) * omw
        u = v[k] * b2 + g * omb2 * g
        m[k], v[k] = a, u
        x[k] = e - a / (np.sqrt(u) / bc2 + eps) * step


# ------------------------------------------------------------------ waiting
@intrinsic
def _sched_yield(typingctx):
    """A call of the C library's sched_yield(): the thread gives its core to another that is
    ready to run, if there is one. Also a barrier the compiler cannot see through, so a loop
    around it reads its flag from memory each time."""

    def codegen(context, builder, signature, args):
        c_int = ir.IntType(32)
        fn = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(c_int, []), "sched_yield"
        )
        builder.call(fn, [])
        return context.get_dummy_value()

    return numba.types.void(), codegen


@_compiled(nogil=True)
def spin_wait(flags, slot, count, tries, report, value, grace):
    """Wait, without the GIL, for flags[slot] >= count, calling sched_yield between looks, at
    most `tries` times: whether it came (threads.py's crew waits so before it sleeps).
    With `report` >= 0, first set flags[report] = value, once the GIL is let go; once the
    count came, call sched_yield `grace` times more before going back for the GIL. No
    defaults: Numba's dispatch of a call that leaves arguments out took 43 us, 0.3 with
    all seven."""
    if report >= 0:
        flags[report] = value
    for _ in range(tries):
        if flags[slot] >= count:
            for _ in range(grace):
                _sched_yield()
            return True
        _sched_yield()
    return flags[slot] >= count


# ------------------------------------------------------------------ products
@kernel
def add_transposed(t, b, out, lo, hi):
    """out[n, o] = t[o, n] + b[o] for rows lo <= n < hi of out (N, O); t (O, N), a
    product's transposed result, and b (O,), any strides. Eight rows of out at a time: one
    read of eight neighbouring values of t per o, eight write streams (twice as fast as a
    value-by-value loop over tiles)."""
    no = out.shape[1]
    n0 = lo
    while n0 + 8 <= hi:
        r0, r1, r2, r3 = out[n0], out[n0 + 1], out[n0 + 2], out[n0 + 3]
        r4, r5, r6, r7 = out[n0 + 4], out[n0 + 5], out[n0 + 6], out[n0 + 7]
        for o in range(no):
            s = t[o, n0 : n0 + 8]
            c = b[o]
            r0[o] = s[0] + c
            r1[o] = s[1] + c
            r2[o] = s[2] + c
            r3[o] = s[3] + c
            r4[o] = s[4] + c
            r5[o] = s[5] + c
            r6[o] = s[6] + c
            r7[o] = s[7] + c
        n0 += 8
    for n in range(n0, hi):
        for o in range(no):
            out[n, o] = t[o, n] + b[o]
