"""Hand-written CUDA kernels for the GPU backend: im2col/col2im, max and average pooling,
LeakyReLU and training-mode batch normalisation.

Each wrapper takes and returns arrays in the same shapes and memory layouts as the generic
xp code it replaces (see conv.py, pool.py, activation.py, batchnorm.py), which calls it when
`handles(...)` says the arrays are CuPy arrays of a compiled dtype. Matrix products stay
with CuPy's matmul.

The CUDA source below is compiled once per dtype by NVRTC through `cupy.RawModule`, with
`typedef float T;` or `typedef double T;` in front. Every integer parameter is a
`long long`: sizes and flat indices may pass 2^31. Elementwise kernels use grid-stride
loops, so any grid size covers the data. The wrappers only use the array API NumPy and
CuPy share, so the tests run them on NumPy arrays with the kernels compiled as C++ on the
CPU (tests/ops/cuda_emulator.py).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from ..backend import Array, cupy_module, get_array_module, is_cupy_array
from .layout import is_dense, memory_order, new_in_order, strides_in_elements

DTYPES = (np.dtype(np.float32), np.dtype(np.float64))

THREADS = 256  # per block; a power of two, as block_sum needs
MAX_BLOCKS = 4 * 65535  # enough to fill any GPU; grid-stride loops cover the rest

SOURCE = r"""
// Grid-stride loop over i in [0, n): thread t of block b starts at b * blockDim + t and
// jumps by the size of the whole grid, so the result does not depend on the grid size.
#define FOR_EACH(i, n)                                                               \
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < (n);     \
         i += (long long)blockDim.x * gridDim.x)

// ------------------------------------------------------------------- conv: im2col, col2im

// One thread per column entry cols[c, i, j, oy, ox, n] (C-contiguous): the input value
// under kernel offset (i, j) of the window of output pixel (oy, ox), or 0 in the padding.
// x is (N, C, H, W) with any strides (given in elements).
extern "C" __global__ void im2col(
    const T* x, T* cols, long long N, long long C, long long H, long long W,
    long long xs_n, long long xs_c, long long xs_h, long long xs_w,
    long long KH, long long KW, long long OH, long long OW,
    long long SH, long long SW, long long PH, long long PW, long long DH, long long DW) {
    FOR_EACH(idx, C * KH * KW * OH * OW * N) {
        long long r = idx;
        long long n = r % N; r /= N;
        long long ox = r % OW; r /= OW;
        long long oy = r % OH; r /= OH;
        long long j = r % KW; r /= KW;
        long long i = r % KH;
        long long c = r / KH;
        long long y = oy * SH - PH + i * DH;
        long long x_ = ox * SW - PW + j * DW;
        bool inside = y >= 0 && y < H && x_ >= 0 && x_ < W;
        cols[idx] = inside ? x[n * xs_n + c * xs_c + y * xs_h + x_ * xs_w] : T(0);
    }
}

// One thread per image value img[c, y, x, n] (C-contiguous, batch innermost): the sum of
// every column entry im2col would have read from it. Gathering, not scattering, means no
// two threads write one value (no atomics), and adding in kernel-offset order (i, j) sums
// in the same order as the NumPy code's slice-adds.
extern "C" __global__ void col2im(
    const T* cols, T* img, long long N, long long C, long long H, long long W,
    long long KH, long long KW, long long OH, long long OW,
    long long SH, long long SW, long long PH, long long PW, long long DH, long long DW) {
    FOR_EACH(idx, C * H * W * N) {
        long long r = idx;
        long long n = r % N; r /= N;
        long long x = r % W; r /= W;
        long long y = r % H;
        long long c = r / H;
        T acc = 0;
        for (long long i = 0; i < KH; ++i) {
            long long ty = y + PH - i * DH;  // = oy * SH when window row oy reads row y at i
            if (ty < 0) break;               // ty only falls as i grows
            if (ty % SH != 0 || ty / SH >= OH) continue;
            long long oy = ty / SH;
            for (long long j = 0; j < KW; ++j) {
                long long tx = x + PW - j * DW;
                if (tx < 0) break;
                if (tx % SW != 0 || tx / SW >= OW) continue;
                long long ox = tx / SW;
                acc += cols[((((c * KH + i) * KW + j) * OH + oy) * OW + ox) * N + n];
            }
        }
        img[idx] = acc;
    }
}

// ------------------------------------------------------------------------------ pooling
// Windows start at (oy * SH - PH, ox * SW - PW); kernel offset k = i * KW + j. Inputs have
// any strides (in elements); outputs and argmax are C-contiguous (N, C, OH, OW) or
// (N, C, H, W).

// One thread per output y[n, c, oy, ox]: the window maximum and its offset k. PyTorch's
// rule, as the NumPy code: start at the first unpadded value; a later unpadded value
// replaces the best one if it is larger or NaN. Padding counts as pad (-inf).
extern "C" __global__ void max_pool_forward(
    const T* x, T* y, int* argmax, long long N, long long C, long long H, long long W,
    long long xs_n, long long xs_c, long long xs_h, long long xs_w,
    long long KH, long long KW, long long OH, long long OW,
    long long SH, long long SW, long long PH, long long PW, T pad) {
    FOR_EACH(idx, N * C * OH * OW) {
        long long r = idx;
        long long ox = r % OW; r /= OW;
        long long oy = r % OH; r /= OH;
        long long c = r % C;
        long long n = r / C;
        const T* plane = x + n * xs_n + c * xs_c;
        T best = pad;
        int best_k = -1;
        for (long long i = 0; i < KH; ++i) {
            for (long long j = 0; j < KW; ++j) {
                long long yy = oy * SH - PH + i, xx = ox * SW - PW + j;
                bool inside = yy >= 0 && yy < H && xx >= 0 && xx < W;
                if (!inside) continue;
                T v = plane[yy * xs_h + xx * xs_w];
                if (best_k < 0 || v > best || isnan(v)) {
                    best = v;
                    best_k = (int)(i * KW + j);
                }
            }
        }
        y[idx] = best;
        argmax[idx] = best_k;
    }
}

// One thread per input pixel gx[n, c, y, x]: the sum of gy over the windows whose argmax is
// this pixel (a gather over the windows that contain it, so no atomics), added in
// increasing kernel offset as the NumPy code does.
extern "C" __global__ void max_pool_backward(
    const T* gy, const int* argmax, T* gx, long long N, long long C, long long H, long long W,
    long long gs_n, long long gs_c, long long gs_h, long long gs_w,
    long long KH, long long KW, long long OH, long long OW,
    long long SH, long long SW, long long PH, long long PW) {
    FOR_EACH(idx, N * C * H * W) {
        long long r = idx;
        long long x = r % W; r /= W;
        long long y = r % H; r /= H;
        long long c = r % C;
        long long n = r / C;
        T acc = 0;
        for (long long i = 0; i < KH; ++i) {
            long long ty = y + PH - i;  // = oy * SH when window row oy covers y at i
            if (ty < 0) break;
            if (ty % SH != 0 || ty / SH >= OH) continue;
            long long oy = ty / SH;
            for (long long j = 0; j < KW; ++j) {
                long long tx = x + PW - j;
                if (tx < 0) break;
                if (tx % SW != 0 || tx / SW >= OW) continue;
                long long ox = tx / SW;
                if (argmax[((n * C + c) * OH + oy) * OW + ox] == i * KW + j)
                    acc += gy[n * gs_n + c * gs_c + oy * gs_h + ox * gs_w];
            }
        }
        gx[idx] = acc;
    }
}

// One thread per output y[n, c, oy, ox]: x read at the window's saved argmax (0 in the
// padding); max pooling with a fixed argmax, the gradient of max_pool_backward.
extern "C" __global__ void max_pool_gather(
    const T* x, const int* argmax, T* y, long long N, long long C, long long H, long long W,
    long long xs_n, long long xs_c, long long xs_h, long long xs_w,
    long long KH, long long KW, long long OH, long long OW,
    long long SH, long long SW, long long PH, long long PW) {
    FOR_EACH(idx, N * C * OH * OW) {
        long long r = idx;
        long long ox = r % OW; r /= OW;
        long long oy = r % OH; r /= OH;
        long long c = r % C;
        long long n = r / C;
        long long k = argmax[idx];
        long long yy = oy * SH - PH + k / KW, xx = ox * SW - PW + k % KW;
        bool inside = yy >= 0 && yy < H && xx >= 0 && xx < W;
        y[idx] = inside ? x[n * xs_n + c * xs_c + yy * xs_h + xx * xs_w] : T(0);
    }
}

// One thread per output y[n, c, oy, ox]: the sum of its window (padding counts as 0),
// added in kernel-offset order.
extern "C" __global__ void window_sum(
    const T* x, T* y, long long N, long long C, long long H, long long W,
    long long xs_n, long long xs_c, long long xs_h, long long xs_w,
    long long KH, long long KW, long long OH, long long OW,
    long long SH, long long SW, long long PH, long long PW) {
    FOR_EACH(idx, N * C * OH * OW) {
        long long r = idx;
        long long ox = r % OW; r /= OW;
        long long oy = r % OH; r /= OH;
        long long c = r % C;
        long long n = r / C;
        const T* plane = x + n * xs_n + c * xs_c;
        T acc = 0;
        for (long long i = 0; i < KH; ++i) {
            for (long long j = 0; j < KW; ++j) {
                long long yy = oy * SH - PH + i, xx = ox * SW - PW + j;
                if (yy >= 0 && yy < H && xx >= 0 && xx < W) acc += plane[yy * xs_h + xx * xs_w];
            }
        }
        y[idx] = acc;
    }
}

// One thread per input pixel gx[n, c, y, x]: the sum of gy over the windows that contain
// it (the adjoint of window_sum, as a gather), added in kernel-offset order.
extern "C" __global__ void window_sum_t(
    const T* gy, T* gx, long long N, long long C, long long H, long long W,
    long long gs_n, long long gs_c, long long gs_h, long long gs_w,
    long long KH, long long KW, long long OH, long long OW,
    long long SH, long long SW, long long PH, long long PW) {
    FOR_EACH(idx, N * C * H * W) {
        long long r = idx;
        long long x = r % W; r /= W;
        long long y = r % H; r /= H;
        long long c = r % C;
        long long n = r / C;
        T acc = 0;
        for (long long i = 0; i < KH; ++i) {
            long long ty = y + PH - i;
            if (ty < 0) break;
            if (ty % SH != 0 || ty / SH >= OH) continue;
            long long oy = ty / SH;
            for (long long j = 0; j < KW; ++j) {
                long long tx = x + PW - j;
                if (tx < 0) break;
                if (tx % SW != 0 || tx / SW >= OW) continue;
                acc += gy[n * gs_n + c * gs_c + oy * gs_h + (tx / SW) * gs_w];
            }
        }
        gx[idx] = acc;
    }
}

// ---------------------------------------------------------------------------- LeakyReLU
// x, y, slopes (and gy, gx) share one dense layout, so flat memory index i is the same
// element in each.

// One thread per value: its slope, (x > 0 ? 1 - slope : 0) + slope with the same rounding
// steps as the NumPy code, and y = x * slope.
extern "C" __global__ void leaky_relu_forward(
    const T* x, T* y, T* slopes, long long n, T one_minus_slope, T slope) {
    FOR_EACH(i, n) {
        T s = (x[i] > T(0) ? one_minus_slope : T(0)) + slope;
        slopes[i] = s;
        y[i] = x[i] * s;
    }
}

// One thread per value: gx = gy * slope.
extern "C" __global__ void leaky_relu_backward(
    const T* gy, const T* slopes, T* gx, long long n) {
    FOR_EACH(i, n) gx[i] = gy[i] * slopes[i];
}

// ---------------------------------------------------------------- batch normalisation
// Arrays are dense (N, C, ...) in some memory order; `inner` is the channel stride in
// elements, so the flat index i holds channel (i / inner) % C, and the j-th value of
// channel c lies at (j / inner) * C * inner + c * inner + j % inner.

__device__ long long channel_value(long long j, long long c, long long C, long long inner) {
    return (j / inner) * (C * inner) + c * inner + j % inner;
}

// The sum of v over the threads of the block, returned to every thread. A tree in shared
// memory: at each step the lower half adds the upper half; blockDim.x must be a power of
// two (1 included) no larger than THREADS.
__device__ T block_sum(T v, T* buf) {
    unsigned t = threadIdx.x;
    buf[t] = v;
    __syncthreads();
    for (unsigned half = blockDim.x / 2; half > 0; half /= 2) {
        if (t < half) buf[t] += buf[t + half];
        __syncthreads();
    }
    T total = buf[0];
    __syncthreads();  // everyone has read buf[0] before the next call overwrites it
    return total;
}

// One block per channel c: its mean, biased variance and 1 / sqrt(var + eps). Thread t
// sums values t, t + blockDim, ...; the block adds the partial sums. Two passes (the mean,
// then squared deviations from it) keep the variance accurate when |mean| >> std.
extern "C" __global__ void bn_stats(
    const T* x, T* mean, T* var, T* invstd, long long count, long long C, long long inner,
    T eps) {
    __shared__ T buf[THREADS];
    for (long long c = blockIdx.x; c < C; c += gridDim.x) {
        T s = 0;
        for (long long j = threadIdx.x; j < count; j += blockDim.x)
            s += x[channel_value(j, c, C, inner)];
        T mu = block_sum(s, buf) / T(count);
        s = 0;
        for (long long j = threadIdx.x; j < count; j += blockDim.x) {
            T d = x[channel_value(j, c, C, inner)] - mu;
            s += d * d;
        }
        T v = block_sum(s, buf) / T(count);
        if (threadIdx.x == 0) {
            mean[c] = mu;
            var[c] = v;
            invstd[c] = T(1) / sqrt(v + eps);
        }
    }
}

// One thread per value: xhat = (x - mean) * invstd and y = xhat * weight + bias, with the
// statistics and affine parameters of its channel.
extern "C" __global__ void bn_forward(
    const T* x, const T* mean, const T* invstd, const T* weight, const T* bias, T* xhat,
    T* y, long long n, long long C, long long inner) {
    FOR_EACH(i, n) {
        long long c = (i / inner) % C;
        T h = (x[i] - mean[c]) * invstd[c];
        xhat[i] = h;
        y[i] = h * weight[c] + bias[c];
    }
}

// One block per channel c: gsum = sum of gy and gdot = sum of gy * xhat over the channel
// (the bias and weight gradients), reduced as in bn_stats.
extern "C" __global__ void bn_backward_reduce(
    const T* gy, const T* xhat, T* gsum, T* gdot, long long count, long long C,
    long long inner) {
    __shared__ T buf[THREADS];
    for (long long c = blockIdx.x; c < C; c += gridDim.x) {
        T s = 0, d = 0;
        for (long long j = threadIdx.x; j < count; j += blockDim.x) {
            long long i = channel_value(j, c, C, inner);
            s += gy[i];
            d += gy[i] * xhat[i];
        }
        s = block_sum(s, buf);
        d = block_sum(d, buf);
        if (threadIdx.x == 0) {
            gsum[c] = s;
            gdot[c] = d;
        }
    }
}

// One thread per value: gx = (gy - gsum / count - xhat * gdot / count) * weight * invstd,
// the input gradient of the training-mode normalisation.
extern "C" __global__ void bn_backward_dx(
    const T* gy, const T* xhat, const T* gsum, const T* gdot, const T* weight,
    const T* invstd, T* gx, long long n, long long C, long long inner, T inv_count) {
    FOR_EACH(i, n) {
        long long c = (i / inner) % C;
        gx[i] = (gy[i] - gsum[c] * inv_count - xhat[i] * (gdot[c] * inv_count))
                * (weight[c] * invstd[c]);
    }
}
"""


def source(dtype: Any) -> str:
    """The full CUDA source compiled for `dtype` (float32 or float64)."""
    ctype = {"float32": "float", "float64": "double"}[np.dtype(dtype).name]
    return f"typedef {ctype} T;\n#define THREADS {THREADS}\n{SOURCE}"


def kernel_sources() -> dict[str, str]:
    """Every kernel's full source, per dtype name."""
    return {d.name: source(d) for d in DTYPES}


@functools.cache
def _module(dtype_name: str) -> Any:
    return cupy_module().RawModule(code=source(dtype_name))


@functools.cache
def _function(name: str, dtype_name: str) -> Any:
    return _module(dtype_name).get_function(name)


def _launch(name: str, dtype: Any, grid: int, block: int, args: tuple) -> None:
    """Run kernel `name` compiled for `dtype` on `grid` blocks of `block` threads. The
    tests swap this for a CPU emulation."""
    _function(name, np.dtype(dtype).name)((grid,), (block,), args)


def _run(name: str, n: int, *args: Any) -> None:
    """Launch an elementwise kernel over `n` items; Python ints become `long long`s and the
    dtype is the first array's."""
    if n == 0:
        return
    args = tuple(np.int64(a) if isinstance(a, int) else a for a in args)
    grid = min(-(-n // THREADS), MAX_BLOCKS)
    _launch(name, args[0].dtype, grid, THREADS, args)


def _reduce(name: str, channels: int, *args: Any) -> None:
    """Launch a per-channel reduction kernel: one block per channel."""
    args = tuple(np.int64(a) if isinstance(a, int) else a for a in args)
    _launch(name, args[0].dtype, min(channels, MAX_BLOCKS), THREADS, args)


def handles(*arrays: Array) -> bool:
    """True when the kernels can take these arrays: all CuPy, all one float dtype."""
    if not is_cupy_array(arrays[0]):  # the NumPy path pays only this check
        return False
    dtype = arrays[0].dtype
    return dtype in DTYPES and all(is_cupy_array(a) and a.dtype == dtype for a in arrays)


# ------------------------------------------------------------------------------- layouts
def _empty_like(a: Array) -> Array:
    """An uninitialised dense array shaped as `a` with its axes in the same memory order
    (NumPy's order='K'); when `a` is dense, one flat index is the same element in both."""
    return new_in_order(get_array_module(a).empty, a.shape, memory_order(a), a.dtype)


def _dense(a: Array) -> Array:
    """`a` itself if dense, else a dense copy in its memory order."""
    if is_dense(a):
        return a
    b = _empty_like(a)
    b[...] = a
    return b


def _in_layout_of(a: Array, ref: Array) -> Array:
    """`a` laid out as the dense array `ref` (one copy unless it already is)."""
    if all(n == 1 or s == r for n, s, r in zip(a.shape, a.strides, ref.strides, strict=True)):
        return a
    b = _empty_like(ref)
    b[...] = a
    return b


def _channel_stride(a: Array) -> int:
    """The stride of axis 1 of a dense array, in elements (1 when there is one channel)."""
    return a.strides[1] // a.itemsize if a.shape[1] > 1 else 1


# ---------------------------------------------------------------------------------- conv
def im2col(x: Array, g: Any, out_hw: tuple[int, int]) -> Array:
    """Columns `(C, KH, KW, OH, OW, N)` (contiguous) of x `(N, C, H, W)`, any strides;
    `g` is a ConvGeometry."""
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = g.kernel, g.stride, g.padding, g.dilation
    oh, ow = out_hw
    cols = get_array_module(x).empty((c, kh, kw, oh, ow, n), dtype=x.dtype)
    geometry = (kh, kw, oh, ow, sh, sw, ph, pw, dh, dw)
    _run("im2col", cols.size, x, cols, n, c, h, w, *strides_in_elements(x), *geometry)
    return cols


def col2im(cols: Array, g: Any, x_shape: tuple[int, ...]) -> Array:
    """Adjoint of `im2col`: columns `(C, KH, KW, OH, OW, N)` summed onto an image
    `(N, C, H, W)`, returned as a view of a contiguous `(C, H, W, N)` buffer."""
    xp = get_array_module(cols)
    cols = xp.ascontiguousarray(cols)
    c, kh, kw, oh, ow, n = cols.shape
    h, w = x_shape[2:]
    (sh, sw), (ph, pw), (dh, dw) = g.stride, g.padding, g.dilation
    img = xp.empty((c, h, w, n), dtype=cols.dtype)
    geometry = (kh, kw, oh, ow, sh, sw, ph, pw, dh, dw)
    _run("col2im", img.size, cols, img, n, c, h, w, *geometry)
    return img.transpose(3, 0, 1, 2)


# ------------------------------------------------------------------------------- pooling
def _pool_geometry(g: Any) -> tuple[int, ...]:
    (kh, kw), (sh, sw), (ph, pw), (oh, ow) = g.kernel, g.stride, g.padding, g.out_hw
    return kh, kw, oh, ow, sh, sw, ph, pw


def max_pool_forward(x: Array, g: Any) -> tuple[Array, Array]:
    """Window maxima `(N, C, OH, OW)` of x `(N, C, H, W)` and the kernel offset of each
    (int32); `g` is a PoolGeometry."""
    xp = get_array_module(x)
    n, c, h, w = x.shape
    y = xp.empty((n, c) + tuple(g.out_hw), dtype=x.dtype)
    argmax = xp.empty(y.shape, dtype=np.int32)
    args = (
        x,
        y,
        argmax,
        n,
        c,
        h,
        w,
        *strides_in_elements(x),
        *_pool_geometry(g),
        x.dtype.type(-np.inf),
    )
    _run("max_pool_forward", y.size, *args)
    return y, argmax


def max_pool_backward(gy: Array, argmax: Array, g: Any) -> Array:
    """gy `(N, C, OH, OW)` routed to each window's argmax and summed: `(N, C, H, W)`."""
    xp = get_array_module(gy)
    n, c = gy.shape[:2]
    h, w = g.in_hw
    gx = xp.empty((n, c, h, w), dtype=gy.dtype)
    argmax = xp.ascontiguousarray(argmax)
    args = (gy, argmax, gx, n, c, h, w, *strides_in_elements(gy), *_pool_geometry(g))
    _run("max_pool_backward", gx.size, *args)
    return gx


def max_pool_gather(x: Array, argmax: Array, g: Any) -> Array:
    """x `(N, C, H, W)` read at each window's argmax: `(N, C, OH, OW)`."""
    xp = get_array_module(x)
    n, c, h, w = x.shape
    y = xp.empty(argmax.shape, dtype=x.dtype)
    argmax = xp.ascontiguousarray(argmax)
    _run(
        "max_pool_gather",
        y.size,
        x,
        argmax,
        y,
        n,
        c,
        h,
        w,
        *strides_in_elements(x),
        *_pool_geometry(g),
    )
    return y


def window_sum(x: Array, g: Any) -> Array:
    """Sum of each window of x `(N, C, H, W)` (zero padding): `(N, C, OH, OW)`."""
    n, c, h, w = x.shape
    y = get_array_module(x).empty((n, c) + tuple(g.out_hw), dtype=x.dtype)
    _run("window_sum", y.size, x, y, n, c, h, w, *strides_in_elements(x), *_pool_geometry(g))
    return y


def window_sum_t(gy: Array, g: Any) -> Array:
    """Adjoint of `window_sum`: each gy `(N, C, OH, OW)` added over its window,
    `(N, C, H, W)`."""
    n, c = gy.shape[:2]
    h, w = g.in_hw
    gx = get_array_module(gy).empty((n, c, h, w), dtype=gy.dtype)
    _run("window_sum_t", gx.size, gy, gx, n, c, h, w, *strides_in_elements(gy), *_pool_geometry(g))
    return gx


# ----------------------------------------------------------------------------- LeakyReLU
def leaky_relu_forward(x: Array, slope: float) -> tuple[Array, Array]:
    """y = x * slopes and the slope map (1 or `slope` per value), both laid out as x."""
    x = _dense(x)
    y, slopes = _empty_like(x), _empty_like(x)
    t = x.dtype.type
    _run("leaky_relu_forward", x.size, x, y, slopes, x.size, t(1 - slope), t(slope))
    return y, slopes


def leaky_relu_backward(gy: Array, slopes: Array) -> Array:
    """gy * slopes, laid out as the (dense) slopes."""
    gy = _in_layout_of(gy, slopes)
    gx = _empty_like(slopes)
    _run("leaky_relu_backward", gx.size, gy, slopes, gx, gx.size)
    return gx


# ------------------------------------------------------------------- batch normalisation
def batch_norm_forward(
    x: Array, weight: Array | None, bias: Array | None, eps: float
) -> tuple[Array, Array, Array, Array, Array]:
    """Training-mode batch norm over every axis of x `(N, C, ...)` but 1: returns y, mean,
    biased variance, 1 / sqrt(var + eps) (each `(C,)`) and x-hat; y and x-hat are laid
    out as x."""
    xp = get_array_module(x)
    x = _dense(x)
    c = x.shape[1]
    inner, count = _channel_stride(x), x.size // c
    mean, var, invstd = (xp.empty(c, dtype=x.dtype) for _ in range(3))
    _reduce("bn_stats", c, x, mean, var, invstd, count, c, inner, x.dtype.type(eps))
    weight = xp.ones(c, dtype=x.dtype) if weight is None else xp.ascontiguousarray(weight)
    bias = xp.zeros(c, dtype=x.dtype) if bias is None else xp.ascontiguousarray(bias)
    xhat, y = _empty_like(x), _empty_like(x)
    _run("bn_forward", x.size, x, mean, invstd, weight, bias, xhat, y, x.size, c, inner)
    return y, mean, var, invstd, xhat


def batch_norm_backward(
    gy: Array, xhat: Array, invstd: Array, weight: Array | None, need_gx: bool
) -> tuple[Array | None, Array, Array]:
    """First-order gradients of `batch_norm_forward` from gy and the saved x-hat and
    1/std: (gx laid out as x-hat, or None), the bias gradient and the weight gradient
    `(C,)`."""
    xp = get_array_module(xhat)
    c = xhat.shape[1]
    inner, count = _channel_stride(xhat), xhat.size // c
    gy = _in_layout_of(gy, xhat)
    gsum, gdot = xp.empty(c, dtype=xhat.dtype), xp.empty(c, dtype=xhat.dtype)
    _reduce("bn_backward_reduce", c, gy, xhat, gsum, gdot, count, c, inner)
    if not need_gx:
        return None, gsum, gdot
    weight = xp.ones(c, dtype=xhat.dtype) if weight is None else xp.ascontiguousarray(weight)
    invstd = xp.ascontiguousarray(invstd.reshape(-1))
    gx = _empty_like(xhat)
    inv_count = xhat.dtype.type(1.0 / count)
    args = (gy, xhat, gsum, gdot, weight, invstd, gx, gx.size, c, inner, inv_count)
    _run("bn_backward_dx", gx.size, *args)
    return gx, gsum, gdot


__all__ = [
    "batch_norm_backward",
    "batch_norm_forward",
    "col2im",
    "handles",
    "im2col",
    "kernel_sources",
    "leaky_relu_backward",
    "leaky_relu_forward",
    "max_pool_backward",
    "max_pool_forward",
    "max_pool_gather",
    "source",
    "window_sum",
    "window_sum_t",
]
