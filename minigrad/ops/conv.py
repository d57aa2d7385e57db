"""2-d convolution and its transpose (NCHW) as im2col plus one matrix product per group.

Closed under differentiation: conv2d's input gradient is conv_transpose2d and vice versa;
both weight gradients are one `Conv2dGradW` node, whose own backward is conv2d and
conv_transpose2d again, so every order of derivative exists.

Layout: the batch is the innermost (fastest) axis. Columns are `(C, KH, KW, OH, OW, N)`,
so `weight (OC, C*KH*KW) @ cols` reads both operands contiguously and yields the output as
`(OC, OH, OW, N)`, returned as an NCHW *view* of that buffer. Element-wise ops keep that
memory order, so the next layer's im2col, col2im and the reshape of incoming gradients to
`(OC, OH*OW*N)` all run over long contiguous rows of N values (the strided slice-adds of
col2im are several times faster than over rows of OW values) and need no transposing copy.

On CuPy, im2col and col2im are hand-written kernels (cuda_kernels.py) with the same layouts;
on NumPy they are compiled loops (cpu_kernels.py) with the same results, bit for bit, and
the code below runs where those do not apply (float16, integers, no Numba).
"""

from __future__ import annotations

import threading
from typing import Any, NamedTuple

from .. import _memory, threads
from ..autograd import Function, is_grad_enabled
from ..backend import Array, get_array_module
from ..errors import ShapeError, ValueRangeError
from ..tensor import Tensor, _is_int
from . import cpu_kernels, cuda_kernels, winograd
from .layout import is_batch_minor
from .reduce import array_sum, reduce_sum


class ConvGeometry(NamedTuple):
    """Static settings of a convolution; pairs are (height, width)."""

    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    dilation: tuple[int, int]
    groups: int


def conv_out_size(n: int, k: int, s: int, p: int, d: int) -> int:
    """Output length of a convolution along one axis (floor division, as PyTorch)."""
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def conv_transpose_out_size(n: int, k: int, s: int, p: int, d: int, output_padding: int) -> int:
    """Output length of a transposed convolution along one axis, as PyTorch."""
    return (n - 1) * s - 2 * p + d * (k - 1) + output_padding + 1


class _Workspace(threading.local):
    """Per-thread scratch arrays for temporaries that die inside one call (the padded input
    of im2col, the columns of a transposed conv). Where malloc hands freed memory back to
    the kernel, a fresh 4-13 MB array page-faults on every call, which costs as much as a
    third of a conv's time on the CPU; a kept array per shape does not. Where it keeps
    freed memory (minigrad/_memory.py) a NumPy array is fresh instead: malloc hands back
    the memory freed last, still in the cache, where the kept array was last written a
    step before. conv_transpose2d's op step (two threads, five alternating processes):
    16.0-17.5 ms fresh, 16.9-18.0 kept. Never used for anything a Function saves or
    returns."""

    size = 8  # arrays kept per thread, least recently used dropped first

    def __init__(self) -> None:
        self.arrays: dict[tuple, Array] = {}

    def get(self, role: str, xp: Any, shape: tuple[int, ...], dtype: Any) -> Array:
        if _memory.applied and xp.__name__ == "numpy":
            return xp.empty(shape, dtype=dtype)
        key = (role, xp.__name__, tuple(shape), str(dtype))
        a = self.arrays.pop(key, None)
        if a is None:
            a = xp.empty(shape, dtype=dtype)
            while len(self.arrays) >= self.size:
                self.arrays.pop(next(iter(self.arrays)))
        self.arrays[key] = a
        return a


_workspace = _Workspace()


def _batch_minor(a: Array) -> Array:
    """`(N, C, H, W)` as `(C, H*W*N)`: a view when `a` keeps the batch innermost in memory
    (conv outputs and ops on them do), else one copy, a share of the channels per thread."""
    at = a.transpose(1, 2, 3, 0)
    rows = (a.shape[1], a.shape[0] * a.shape[2] * a.shape[3])  # not -1: C or N may be 0
    if is_batch_minor(a):
        return at.reshape(rows)
    if cpu_kernels.handles(a):
        return cpu_kernels.batch_minor(a).reshape(rows)
    out = get_array_module(a).empty(at.shape, dtype=a.dtype)
    threads.copy(out, at)  # a share of the channels per thread
    return out.reshape(rows)


def im2col(x: Array, g: ConvGeometry, out_hw: tuple[int, int]) -> Array:
    """Columns `(C, KH, KW, OH, OW, N)` (contiguous) of `x (N, C, H, W)`: one strided view
    copied once, no loop over the batch or pixels."""
    if cuda_kernels.handles(x):
        return cuda_kernels.im2col(x, g, out_hw)
    xp = get_array_module(x)
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = g.kernel, g.stride, g.padding, g.dilation
    oh, ow = out_hw
    scratch = bool(ph or pw or not is_batch_minor(x))
    if cpu_kernels.handles(x) and (scratch or (kh, kw) != (1, 1)):  # compiled loops
        return cpu_kernels.im2col(x, g, out_hw)
    if scratch:
        # one copy into a padded batch-minor buffer, so the gather below copies rows of N
        buf = _workspace.get("pad", xp, (c, h + 2 * ph, w + 2 * pw, n), x.dtype)
        buf[:, :ph], buf[:, ph + h :], buf[:, :, :pw], buf[:, :, pw + w :] = 0, 0, 0, 0
        threads.copy(buf[:, ph : ph + h, pw : pw + w], x.transpose(1, 2, 3, 0))
        x = buf.transpose(3, 0, 1, 2)
    s_n, s_c, s_h, s_w = x.strides
    view = xp.lib.stride_tricks.as_strided(
        x,
        shape=(c, kh, kw, oh, ow, n),
        strides=(s_c, s_h * dh, s_w * dw, s_h * sh, s_w * sw, s_n),
    )
    if not scratch and view.flags.c_contiguous:
        return view  # 1x1 kernels on a batch-minor input: the columns are x itself
    # a copy even when the view is contiguous (1x1 kernels): the workspace gets reused
    cols = xp.empty(view.shape, dtype=view.dtype)
    threads.copy(cols, view)  # a share of the channels per thread
    return cols


def col2im(cols: Array, g: ConvGeometry, x_shape: tuple[int, ...]) -> Array:
    """Adjoint of `im2col`: add columns `(C, KH, KW, OH, OW, N)` back onto an image
    `(N, C, H, W)`, one strided slice-add per kernel offset (never `add.at`).

    The buffer's positions fall into stride classes (row mod SH, column mod SW); each kernel
    offset writes into one class. The first offset of a class assigns its columns instead
    of adding them to zeros, and only the rest of that class is zeroed, so the buffer is
    never filled with zeros first and a quarter of the slice-adds (k4 s2) become plain
    writes: 2.48 against 2.86 ms on (64, 64, 14, 14), 4.7 against 5.1 on a 3x3 stride-1
    (192, 32, 14, 14), one thread. Each position receives the same additions in the same
    order as before (0 + a is a, but for a -0.0 that nothing else reaches: it stays -0.0)."""
    if cuda_kernels.handles(cols):
        return cuda_kernels.col2im(cols, g, x_shape)
    if cpu_kernels.handles(cols):
        return cpu_kernels.col2im(cols, g, x_shape)
    xp = get_array_module(cols)
    c, kh, kw, oh, ow, n = cols.shape
    h, w = x_shape[2:]
    (sh, sw), (ph, pw), (dh, dw) = g.stride, g.padding, g.dilation
    # the buffer must reach every position a window touches, even past the cropped image
    hp = max(h + 2 * ph, (oh - 1) * sh + (kh - 1) * dh + 1)
    wp = max(w + 2 * pw, (ow - 1) * sw + (kw - 1) * dw + 1)
    buf = xp.empty((c, hp, wp, n), dtype=cols.dtype)
    classes: dict[tuple[int, int], list[tuple[int, int]]] = {
        (a, b): [] for a in range(sh) for b in range(sw)
    }
    for i in range(kh):
        for j in range(kw):
            classes[i * dh % sh, j * dw % sw].append((i, j))

    def add(lo: int, hi: int) -> None:  # a share of the channels per thread
        for (a, b), offsets in classes.items():
            v = buf[lo:hi, a::sh, b::sw]  # the class: offset (i, j) starts at row i*dh // sh
            if not offsets:
                v[...] = 0
                continue
            (i, j), rest = offsets[0], offsets[1:]
            r, s = i * dh // sh, j * dw // sw
            v[:, :r], v[:, r + oh :] = 0, 0
            v[:, r : r + oh, :s], v[:, r : r + oh, s + ow :] = 0, 0
            v[:, r : r + oh, s : s + ow] = cols[lo:hi, i, j]
            for i, j in rest:
                r, s = i * dh // sh, j * dw // sw
                v[:, r : r + oh, s : s + ow] += cols[lo:hi, i, j]

    threads.split(c, add, unit=buf[:1].size, xp=xp)
    return buf[:, ph : ph + h, pw : pw + w].transpose(3, 0, 1, 2)


def _conv_cols(W: Array, cols: Array, groups: int) -> Array:
    """`weight (OC, C/g, KH, KW)` times columns, one product per group: `(OC, P)`."""
    oc = W.shape[0]
    p = cols.shape[3] * cols.shape[4] * cols.shape[5]
    rows = cols.shape[0] * cols.shape[1] * cols.shape[2]  # not -1: P is 0 for an empty batch
    if groups == 1:
        return W.reshape(oc, -1) @ cols.reshape(rows, p)
    y = W.reshape(groups, oc // groups, -1) @ cols.reshape(groups, rows // groups, p)
    return y.reshape(oc, p)


def _half_conv_cols(W: Array, cols: Array, groups: int, b: Array) -> Array:
    """`_conv_cols` of float16 arrays plus the bias `(OC,)`, as PyTorch's CPU convolution
    computes them: the products and the bias added in float32, rounded to float16 once.
    Rounding the product before adding the bias lost what a bias of the opposite sign
    cancels (a sum 1 + 2^-12 and a bias -1 gave 0, not 2^-12)."""
    y = _conv_cols(W.astype("float32"), cols.astype("float32"), groups)
    y += b.reshape(-1, 1)
    return y.astype(W.dtype)


def _winograd(
    given: Array | None, tiles: bool, g: ConvGeometry, w_shape: tuple, n: int, out_hw, *arrays
) -> bool:
    """Whether a Function runs Winograd's products (winograd.py): as the pieces it was
    handed were made (`tiles`: they are Winograd tiles, not im2col's columns), else where
    winograd.applies (out_hw: the conv2d's output size)."""
    return tiles if given is not None else winograd.applies(g, w_shape, n, out_hw, *arrays)


class Conv2d(Function):
    """y = conv(x, W) + b: x `(N, C, H, W)`, W `(OC, C/g, KH, KW)`, b `(OC,)`.

    `cols` may come precomputed (a transposed conv's backward shares them with the weight
    gradient); with `keep_cols` they are kept for the weight gradient instead of being
    rebuilt from x. Columns this Function made itself are, once the weight gradient has
    read them, the buffer the input gradient's columns are written into: the same shape,
    and still in the cache.
    """

    def __init__(
        self,
        g: ConvGeometry,
        out_hw: tuple[int, int],
        cols: Array | None = None,
        keep_cols: bool = False,
        tiles: bool = False,
    ) -> None:
        self.g, self.out_hw, self.cols, self.keep_cols = g, out_hw, cols, keep_cols
        self.tiles = tiles

    def forward(self, x, W, b=None):
        # large k4 s2 convolutions run as Winograd's F(4x4, 2x2) or F(2x2, 2x2)
        # (winograd.py): `cols` are then the input's tiles, and the backward's products
        # read tiles too
        n, g = x.shape[0], self.g
        self.winograd = _winograd(self.cols, self.tiles, g, W.shape, n, self.out_hw, x, W)
        cols = self.cols
        if self.winograd:
            cols = winograd.input_tiles(x, self.g, self.out_hw) if cols is None else cols
            y = winograd.conv(cols, W, self.out_hw, x.shape[0])
            if y is None:  # an inf or a NaN: im2col's result instead, as PyTorch's
                self.winograd, cols, self.cols = False, None, None
        if not self.winograd:
            cols = im2col(x, self.g, self.out_hw) if cols is None else cols
            if b is not None and x.dtype.char == "e" and W.dtype.char == "e":
                y, b = _half_conv_cols(W, cols, self.g.groups, b), None  # (bias added)
            else:
                y = _conv_cols(W, cols, self.g.groups)
            y = y.reshape((W.shape[0],) + self.out_hw + x.shape[:1])
        # its own, not x itself (1x1 columns of a batch-minor x are a view of it; Winograd's
        # tiles are always its own, a view of rows a cache line apart)
        self.own_cols = self.cols is None and (self.winograd or cols.base is None)
        self.cols = cols if self.keep_cols else None
        if b is not None:
            y += b.reshape(-1, 1, 1, 1)
        return y.transpose(3, 0, 1, 2)

    def backward(self, gy):
        x, W = self.inputs[:2]
        nx, nW = self.needs_input_grad[:2]
        nb = len(self.inputs) == 3 and self.needs_input_grad[2]
        # both products read gy as (OC, OH*OW*N), and the bias gradient sums its rows: a
        # copy unless gy is batch-minor, made once; or both read gy's Winograd tiles
        if self.winograd:
            gy2 = winograd.output_tiles(gy._data) if nx and nW else None
        else:
            gy2 = _batch_minor(gy._data) if nx + nW + nb >= 2 else None
        # the weight gradient first: the input gradient's columns (as large) then take the
        # kept columns' place, so the two never live at once; a second backward through a
        # retained graph rebuilds them from x. Written over the kept columns, which the
        # weight gradient has just read: conv2d's op step (two threads, three alternating
        # processes) took 15.9 ms where a separate array took 16.7-16.9
        cols, self.cols = self.cols, None
        tiles = self.winograd
        gW = Conv2dGradW(self.g, W.shape, cols, gy2, tiles)(x, gy) if nW else None
        out = cols if self.own_cols else None
        del cols
        gx = ConvTranspose2d(self.g, x.shape[2:], gy2, out, tiles)(gy, W) if nx else None
        if len(self.inputs) == 2:
            return gx, gW
        if nb and gy2 is not None and not is_grad_enabled():
            # rows of the copy: 65 us on (64, 128, 7, 7), where a sum over (0, 2, 3) of a
            # C-ordered gy (rows of 49) took 212; or the tiles' corners
            gb = winograd.bias_grad(gy2) if self.winograd else array_sum(gy2, 1)
            gb = Tensor._make(gb, False)
        else:
            gb = reduce_sum(gy, (0, 2, 3)) if nb else None
        return gx, gW, gb


class ConvTranspose2d(Function):
    """Adjoint of conv2d in its input: x `(N, C, H, W)`, W `(C, OC/g, KH, KW)`, b `(OC,)`;
    the output has spatial size `out_hw` (what the matching conv2d would take in). `x2`, x
    as `(C, H*W*N)`, may come precomputed (conv2d's backward shares it); `cols`, an array
    of the columns' size and dtype that nothing else uses, is written over by the columns
    (conv2d's backward hands over its own)."""

    def __init__(
        self,
        g: ConvGeometry,
        out_hw: tuple[int, int],
        x2: Array | None = None,
        cols: Array | None = None,
        tiles: bool = False,
    ):
        self.g, self.out_hw, self.x2, self.cols = g, tuple(out_hw), x2, cols
        self.tiles = tiles

    def forward(self, x, W, b=None):
        groups = self.g.groups
        cin, coutg = W.shape[:2]
        n, _, h, w = x.shape
        if _winograd(self.x2, self.tiles, self.g, W.shape, n, (h, w), x, W):
            # x2 and cols: x's tiles, and an array of the input's tiles' size
            m = winograd.output_tiles(x) if self.x2 is None else self.x2
            y = winograd.conv_transpose(m, W, self.g, (h, w), (n, coutg) + self.out_hw, self.cols)
            self.x2 = None
            if y is not None:
                self.cols = None
                if b is not None:
                    y += b.reshape(1, -1, 1, 1)
                return y
            # an inf or a NaN: im2col's result instead, as PyTorch's
        x2 = _batch_minor(x) if self.x2 is None else self.x2
        self.x2 = None
        # the columns only live until col2im below
        p = x2.shape[1]
        xp = get_array_module(x)
        dtype = xp.result_type(W.dtype, x2.dtype)
        shape = (groups, coutg * W.shape[2] * W.shape[3], p)  # (W[0, 0] fails for C = 0)
        cols, self.cols = self.cols, None
        if cols is None or cols.size != shape[0] * shape[1] * p or cols.dtype != dtype:
            cols = _workspace.get("cols", xp, shape, dtype)
        cols = cols.reshape(shape)
        Wg = W.reshape(groups, cin // groups, -1).transpose(0, 2, 1)
        xp.matmul(Wg, x2.reshape(groups, cin // groups, p), out=cols)
        cols = cols.reshape((coutg * groups,) + self.g.kernel + (h, w, n))
        y = col2im(cols, self.g, (n, coutg * groups) + self.out_hw)
        if b is not None:
            y += b.reshape(1, -1, 1, 1)
        return y

    def backward(self, gy):
        x, W = self.inputs[:2]
        nx, nW = self.needs_input_grad[:2]
        out_hw = x.shape[2:]
        # both gradients read im2col(gy), or gy's Winograd tiles: built once
        cols = None
        tiles = winograd.applies(self.g, W.shape, gy.shape[0], x.shape[2:], gy._data, W._data)
        if nx and nW:
            cols = (winograd.input_tiles if tiles else im2col)(gy._data, self.g, out_hw)
        keep = is_grad_enabled() and W.requires_grad
        gx = Conv2d(self.g, out_hw, cols, keep, tiles)(gy, W) if nx else None
        gW = Conv2dGradW(self.g, W.shape, cols, tiles=tiles)(gy, x) if nW else None
        if len(self.inputs) == 2:
            return gx, gW
        gb = reduce_sum(gy, (0, 2, 3)) if self.needs_input_grad[2] else None
        return gx, gW, gb


# A first layer's weight gradient (one or three input channels) is a product with a tiny
# output and a long inner side: (16 x 50176) @ (50176 x 9) in the triplet net's first
# conv. OpenBLAS took 0.59 ms for it on one thread or two; summed in blocks along the
# inner side, each block's two strips (about LONG_BLOCK_BYTES) read once while they are in
# the cache, 0.21. Measured (medians of 9 x 50, float32): 32 x 9 x 150528 2.1 against 2.9
# ms (two threads), 4.0 (one); 8 x 25 x 50176 0.27 against 1.1. Outputs above
# LONG_OUT_MAX values gained nothing: 64 x 16 x 12544 0.27-0.31 either way.
LONG_OUT_MAX = 512
LONG_BLOCK_BYTES = 384 << 10


def _long_product(a: Array, b: Array) -> Array:
    """a @ b.T of 2-D a (m, K) and b (n, K), in blocks along K where the output is tiny
    and K long (see LONG_OUT_MAX), else in one product."""
    m, k = a.shape
    n = b.shape[0]
    block = max(256, LONG_BLOCK_BYTES // ((m + n) * a.itemsize)) // 256 * 256
    if m * n > LONG_OUT_MAX or k < 4 * block:
        return a @ b.T
    out = a[:, :block] @ b[:, :block].T
    for k0 in range(block, k, block):
        out += a[:, k0 : k0 + block] @ b[:, k0 : k0 + block].T
    return out


class Conv2dGradW(Function):
    """Weight gradient of conv2d, gW = gy @ im2col(x)^T per group: x `(N, C, H, W)`,
    gy `(N, OC, OH, OW)` -> `(OC, C/g, KH, KW)`. Bilinear in (x, gy), so its backward is
    a conv2d and a conv_transpose2d with the incoming gradient as the weight. The columns
    of x and gy as `(OC, OH*OW*N)` may come precomputed."""

    def __init__(
        self,
        g: ConvGeometry,
        w_shape: tuple[int, ...],
        cols: Array | None = None,
        gy2: Array | None = None,
        tiles: bool = False,
    ) -> None:
        self.g, self.w_shape, self.cols, self.gy2 = g, tuple(w_shape), cols, gy2
        self.tiles = tiles

    def forward(self, x, gy):
        given = self.cols if self.cols is not None else self.gy2
        n, out_hw = x.shape[0], gy.shape[2:]
        if _winograd(given, self.tiles, self.g, self.w_shape, n, out_hw, x, gy):  # x's, gy's tiles
            v, m = self.cols, self.gy2
            v = winograd.input_tiles(x, self.g, out_hw) if v is None else v
            m = winograd.output_tiles(gy) if m is None else m
            self.cols = self.gy2 = None
            gW = winograd.grad_weight(v, m, self.w_shape)
            if gW is not None:
                return gW
            # an inf or a NaN: im2col's result instead, as PyTorch's
        cols = self.cols if self.cols is not None else im2col(x, self.g, gy.shape[2:])
        gy2 = _batch_minor(gy) if self.gy2 is None else self.gy2
        self.cols = self.gy2 = None  # the backward never needs them
        groups, oc = self.g.groups, gy.shape[1]
        rows = cols.shape[0] * cols.shape[1] * cols.shape[2]  # not -1: empty batches
        if groups == 1:
            c2 = cols.reshape(rows, gy2.shape[1])
            # the same product either way round; OpenBLAS is faster with the longer of the
            # two short sides as the output's rows: (1024 x 3136) @ (3136 x 128) took 9.97
            # ms where (128 x 3136) @ (3136 x 1024) took 11.47 on one thread, 5.35 against
            # 6.48 on two (medians of 40, alternating); the other way round for 16 rows
            # against 64 channels (0.63 against 0.40 ms)
            gW = _long_product(c2, gy2).T if rows > oc else _long_product(gy2, c2)
        else:
            gW = gy2.reshape(groups, oc // groups, -1) @ cols.reshape(
                groups, rows // groups, gy2.shape[1]
            ).transpose(0, 2, 1)
        return gW.reshape(self.w_shape)

    def backward(self, ggW):
        x, gy = self.inputs
        nx, ngy = self.needs_input_grad
        gx = ConvTranspose2d(self.g, x.shape[2:])(gy, ggW) if nx else None
        keep = is_grad_enabled() and ggW.requires_grad
        ggy = Conv2d(self.g, gy.shape[2:], keep_cols=keep)(x, ggW) if ngy else None
        return gx, ggy


# ---------------------------------------------------------------------- wrappers
def _pair(v: Any, name: str, op: str, minimum: int) -> tuple[int, int]:
    """An int, or one or two ints, as a pair (PyTorch's `_pair`): a bool or a float is a
    TypeError (max_pool2d(x, True) pooled by 1), a value below `minimum` or a sequence of
    another length a ValueRangeError (PyTorch's RuntimeError, and a ValueError)."""
    items = (v,) if not isinstance(v, tuple | list) else tuple(v)
    if not all(_is_int(i) for i in items):
        raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {v!r}")
    pair = items * 2 if len(items) == 1 else items
    if len(pair) != 2 or not all(i >= minimum for i in pair):
        raise ValueRangeError(
            f"{op}: {name} must be an int or a pair of ints >= {minimum}, got {v!r}"
        )
    return tuple(int(i) for i in pair)  # type: ignore[return-value]


def _describe(x: Tensor, weight: Tensor, **params: Any) -> str:
    settings = ", ".join(f"{k}={v}" for k, v in params.items())
    return f"input of shape {x.shape}, weight of shape {weight.shape}, {settings}"


def _check_common(
    op: str,
    x: Tensor,
    weight: Tensor,
    bias: Tensor | None,
    in_ch: int,
    out_ch: int,
    groups: int,
    detail: str,
) -> None:
    if x.ndim != 4:
        raise ShapeError(
            f"{op}: expected a 4-d input (N, C, H, W) or an unbatched 3-d one (C, H, W); {detail}"
        )
    if weight.ndim != 4:
        raise ShapeError(f"{op}: expected a 4-d weight; {detail}")
    if not isinstance(groups, int) or groups < 1:
        raise ValueRangeError(f"{op}: groups must be a positive int; {detail}")
    if weight.shape[0] < groups:  # PyTorch's check too: an empty weight is refused
        raise ShapeError(f"{op}: expected weight to be at least {groups} at dimension 0; {detail}")
    if out_ch < 1:
        raise ShapeError(f"{op}: the weight gives no output channels; {detail}")
    if in_ch % groups or out_ch % groups:
        raise ShapeError(f"{op}: groups must divide the input and output channels; {detail}")
    if bias is not None and tuple(bias.shape) != (out_ch,):
        raise ShapeError(f"{op}: bias of shape {bias.shape} should be ({out_ch},); {detail}")


def same_padding(
    op: str, padding: str, kernel: Any, stride: Any, dilation: Any
) -> tuple[tuple[int, int], tuple[int, int]]:
    """PyTorch's string paddings, as ((top, left), (bottom, right)): 'valid' is none;
    'same' keeps the size (stride 1 only) with dilation * (kernel - 1) split in two, the
    odd one out at the bottom and right, as PyTorch pads."""
    if padding == "valid":
        return (0, 0), (0, 0)
    if padding != "same":
        raise ValueError(f"{op}: invalid padding string {padding!r} (use 'valid' or 'same')")
    if _pair(stride, "stride", op, 1) != (1, 1):
        raise ValueRangeError(f"{op}: padding='same' is not supported for strided convolutions")
    d = _pair(dilation, "dilation", op, 1)
    total = [di * (int(k) - 1) for di, k in zip(d, kernel, strict=True)]
    return (total[0] // 2, total[1] // 2), (total[0] - total[0] // 2, total[1] - total[1] // 2)


def conv2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """2-d cross-correlation, as torch.nn.functional.conv2d.

    x `(N, C, H, W)`, weight `(OC, C/groups, KH, KW)`, bias `(OC,)` -> `(N, OC, OH, OW)`;
    an unbatched `(C, H, W)` gives `(OC, OH, OW)`. `padding` may be 'valid' or 'same'.
    """
    x = input
    if isinstance(x, Tensor) and x.ndim == 3 and weight.ndim == 4:
        return conv2d(x.unsqueeze(0), weight, bias, stride, padding, dilation, groups).squeeze(0)
    if isinstance(padding, str):
        start, end = same_padding("conv2d", padding, weight.shape[2:], stride, dilation)
        if start != end:  # uneven: the extra row and column first, then symmetric
            from .shape import pad  # shape imports the ops this module needs first

            x = pad(x, (0, end[1] - start[1], 0, end[0] - start[0]))
        padding = start
    op = "conv2d"
    detail = _describe(x, weight, stride=stride, padding=padding, dilation=dilation, groups=groups)
    s = _pair(stride, "stride", op, 1)
    p = _pair(padding, "padding", op, 0)
    d = _pair(dilation, "dilation", op, 1)
    out_ch = weight.shape[0] if weight.ndim == 4 else 0
    _check_common(op, x, weight, bias, x.shape[1] if x.ndim == 4 else 0, out_ch, groups, detail)
    if weight.shape[1] * groups != x.shape[1]:
        raise ShapeError(
            f"{op}: the input has {x.shape[1]} channels but the weight expects "
            f"{weight.shape[1] * groups} ({weight.shape[1]} per group x {groups} groups); {detail}"
        )
    k = tuple(weight.shape[2:])
    out_hw = tuple(conv_out_size(x.shape[2 + a], k[a], s[a], p[a], d[a]) for a in range(2))
    if min(out_hw) < 1:
        raise ShapeError(
            f"{op}: the kernel (dilated size {tuple(d[a] * (k[a] - 1) + 1 for a in range(2))}) "
            f"is larger than the padded input "
            f"{tuple(x.shape[2 + a] + 2 * p[a] for a in range(2))}; {detail}"
        )
    g = ConvGeometry(k, s, p, d, groups)
    keep = weight.requires_grad and is_grad_enabled()
    args = (x, weight) if bias is None else (x, weight, bias)
    return Conv2d(g, out_hw, keep_cols=keep)(*args)


def conv_transpose2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
) -> Tensor:
    """Transposed 2-d convolution (the input gradient of conv2d), as
    torch.nn.functional.conv_transpose2d.

    x `(N, C, H, W)`, weight `(C, OC/groups, KH, KW)`, bias `(OC,)` -> `(N, OC, OH, OW)` with
    OH = (H - 1) * stride - 2 * padding + dilation * (KH - 1) + output_padding + 1.
    """
    x = input
    if isinstance(x, Tensor) and x.ndim == 3 and weight.ndim == 4:
        out = conv_transpose2d(
            x.unsqueeze(0), weight, bias, stride, padding, output_padding, groups, dilation
        )
        return out.squeeze(0)
    op = "conv_transpose2d"
    detail = _describe(
        x,
        weight,
        stride=stride,
        padding=padding,
        output_padding=output_padding,
        groups=groups,
        dilation=dilation,
    )
    s = _pair(stride, "stride", op, 1)
    p = _pair(padding, "padding", op, 0)
    d = _pair(dilation, "dilation", op, 1)
    op_ = _pair(output_padding, "output_padding", op, 0)
    out_ch = weight.shape[1] * groups if weight.ndim == 4 and isinstance(groups, int) else 0
    _check_common(op, x, weight, bias, x.shape[1] if x.ndim == 4 else 0, out_ch, groups, detail)
    if weight.shape[0] != x.shape[1]:
        raise ShapeError(
            f"{op}: the input has {x.shape[1]} channels but the weight expects "
            f"{weight.shape[0]}; {detail}"
        )
    if any(op_[a] >= s[a] and op_[a] >= d[a] for a in range(2)):
        raise ValueRangeError(
            f"{op}: output_padding must be smaller than either stride or dilation; {detail}"
        )
    k = tuple(weight.shape[2:])
    out_hw = tuple(
        conv_transpose_out_size(x.shape[2 + a], k[a], s[a], p[a], d[a], op_[a]) for a in range(2)
    )
    if min(out_hw) < 1:
        raise ShapeError(f"{op}: the output size {out_hw} is not positive; {detail}")
    g = ConvGeometry(k, s, p, d, groups)
    args = (x, weight) if bias is None else (x, weight, bias)
    return ConvTranspose2d(g, out_hw)(*args)


__all__ = [
    "Conv2d",
    "Conv2dGradW",
    "ConvGeometry",
    "ConvTranspose2d",
    "col2im",
    "conv2d",
    "conv_out_size",
    "conv_transpose2d",
    "conv_transpose_out_size",
    "im2col",
]
