"""The NumPy backend's compiled kernels: wrappers around the loops of cpu_loops.py (im2col,
col2im, the batch-minor copy, max pooling and its gradient, ReLU, LeakyReLU, Tanh's
gradient, training batch norm, Adam's step), each one pass over memory, with the shapes and
layouts of the NumPy code they replace.

The generic code in conv.py, pool.py, activation.py, batchnorm.py and optim builds these
results out of whole-array NumPy calls: a strided copy per kernel offset, a slice-add per
offset, four passes for LeakyReLU, a dozen for an Adam step. Each call is fast, but each
reads and writes all of its arrays again, and a call on a few thousand values spends
much of its time starting up. The loops say the same thing value by value, the way a C or
CUDA kernel would (cuda_kernels.py has the GPU's versions, with the same layouts), and
Numba compiles them to machine code once per dtype and layout (`cache=True` keeps the
result on disk for the next process). They take the GIL off (`nogil=True`), so
`threads.split` runs them on a share of the channels or values per thread.

Each wrapper returns what the NumPy code returns, bit for bit: the same layouts where the
next op reads them, the same order of additions, the same NaN, infinity and signed-zero
results, Adam's scalars rounded to the parameter's dtype as NumPy rounds them. Three
exceptions: batch norm's sums run in float64, so it agrees to float rounding; a max
pooling window's maximum is the value at its argmax, PyTorch's bits, where NumPy's maximum
may give the other zero of a -0.0/0.0 tie or another of several NaNs; and tanh's and
sigmoid's float64 passes (their own exponential, not NumPy's) round to the other float32
where the exact value lies within float64's error of a midpoint (sigmoid: 3 of the 2^32
float32 inputs on the test machine, each the correctly rounded one; tanh: none).
tests/ops/test_cpu_kernels.py compares both paths on one thread and two.

Used for NumPy arrays of float32 and float64 when Numba imports (it is a dependency of
minigrad) and MINIGRAD_CPU_KERNELS is not `numpy`; float16, integer dtypes, CuPy arrays
and a missing Numba take the NumPy code. `use(False)` switches them off in this process
(the tests use it to run both paths); `enabled()` tells whether they run.
"""

from __future__ import annotations

import contextlib
import os
import threading
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np

from .. import threads
from .layout import flat_view, is_batch_minor

DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_ENV = "MINIGRAD_CPU_KERNELS"  # "numba" (the default) or "numpy"

# values below which a kernel stays on the calling thread. Handing a range to threads'
# crew and waiting for it costs 10-15 us here, so a split pays once the other thread's
# half takes longer than that. Measured on two threads against one (2-core machine,
# float32): batch norm forward and backward 329 against 346 us on 100 K values, 442
# against 558 on 200 K; a convolution's forward and backward 1.27 against 1.28 ms on a
# 200 K-value input, 2.98 against 3.68 on 401 K. The one-pass kernels (ReLU, LeakyReLU,
# the scale, Adam), which do less per value, pay from twice as many: LeakyReLU's forward
# 34 against 26 us on 128 K values, 42 against 47 on 256 K; Adam's step 78 against 73 us
# on 128 K values, 104 against 128 on 256 K.
MIN_PARALLEL = 1 << 17
MIN_PARALLEL_PASS = 1 << 18
# erf and erfc cost 12-20 ns a value (the C library's, one value at a time), so a split
# could pay from a few thousand values; on the 2-core machine it gained little (float32,
# medians of 200 calls, split against one thread: 192 against 200 us on 16 K values, 875
# against 891 on 64 K), the two cores sharing their floating-point units at times
MIN_PARALLEL_ERF = 1 << 14
# tanh's and sigmoid's compiled float64 passes from 128 K values. They are mostly a
# generator's output or a gate, computed right after a matrix product, where the crew
# starts late while OpenBLAS's worker spins (see MIN_PARALLEL_OUTER). Split against one
# thread (medians of 200 calls, float32, tanh; sigmoid alike): back to back 136 against
# 166 us on 64 K values, 220 against 361 on 128 K; each right after a (64, 256) @ (256,
# 256) product, 190 against 178 on 64 K, 279 against 365 on 128 K, 450 against 688 on 256 K
MIN_PARALLEL_TANH = 1 << 17
# the outer product (a Linear's input gradient for one output) from more: it comes right
# after the weight gradient's product, and there the crew starts about 100 us late while
# OpenBLAS's worker spins on the other core (threads.py). In the DCGAN iteration, its
# (6272, 64) took 34 us on one thread and 66 split (medians of about 1,000 calls each,
# alternating in one process); one pass at some 0.1 ns a value, a split pays only from a
# few million values
MIN_PARALLEL_OUTER = 1 << 21


# ------------------------------------------------------------------ compiling, switching
_loops: Any = None  # the module cpu_loops, once imported
_available: bool | None = None  # whether Numba imports (checked once)
_on: bool | None = None  # read from MINIGRAD_CPU_KERNELS on first use


def _switched_on() -> bool:
    """MINIGRAD_CPU_KERNELS: unset, empty or `numba` runs the compiled kernels, `numpy` the
    NumPy code; anything else is refused, naming the variable (a misspelt `nunpy` must not
    quietly leave them on)."""
    global _on
    if _on is None:
        text = os.environ.get(_ENV, "").strip().lower()
        if text not in ("", "numba", "numpy"):
            raise ValueError(f"{_ENV} must be 'numba' or 'numpy', got {os.environ[_ENV]!r}")
        _on = text != "numpy"
    return _on


def available() -> bool:
    """Whether the compiled kernels load here (checked on first call: importing Numba takes
    ~0.2 s). Numba missing: no, quietly (the NumPy code runs). Numba installed but failing
    to load, or NUMBA_DISABLE_JIT set (the loops would run as plain Python, ~400x slower):
    no, with a warning that says why."""
    global _available, _loops
    if _available is None:
        _available = False
        try:
            from . import cpu_loops
        except ImportError:
            return False
        except Exception as exc:  # noqa: BLE001 - any failure of Numba's: the NumPy code
            warnings.warn(
                f"minigrad: Numba is installed but the compiled kernels did not load "
                f"({type(exc).__name__}: {exc}); the NumPy code runs instead",
                RuntimeWarning,
                stacklevel=2,
            )
            return False
        if cpu_loops.numba.config.DISABLE_JIT:
            warnings.warn(
                "minigrad: NUMBA_DISABLE_JIT is set, so the compiled kernels would run as "
                "plain Python; the NumPy code runs instead",
                RuntimeWarning,
                stacklevel=2,
            )
            return False
        _loops, _available = cpu_loops, True
    return _available


def loops() -> Any:
    """The module cpu_loops (its compiled loops) where they load (available()), else None."""
    return _loops if available() else None


def enabled() -> bool:
    """Whether the compiled kernels run in this thread (they load, and neither
    MINIGRAD_CPU_KERNELS=numpy nor use(False) switched them off)."""
    return _wanted() and available()


class _Override(threading.local):
    on: bool | None = None  # use()'s choice in this thread, None outside any use() block


_override = _Override()


@contextlib.contextmanager
def use(on: bool) -> Iterator[None]:
    """Run the compiled kernels (True) or the NumPy code (False) inside the block, in the
    calling thread (other threads keep their own choice)."""
    before, _override.on = _override.on, bool(on)
    try:
        yield
    finally:
        _override.on = before


def _wanted() -> bool:
    """use()'s choice in this thread, else MINIGRAD_CPU_KERNELS's."""
    on = _override.on
    return _switched_on() if on is None else on


def spinner() -> Any:
    """cpu_loops.spin_wait where the compiled kernels load and MINIGRAD_CPU_KERNELS allows
    them, else None: threads.py's crew waits with it. None too where it does not compile
    (a C library without sched_yield)."""
    if not (_switched_on() and available()):
        return None
    try:
        _loops.spin_wait(np.zeros(1, np.int64), 0, 0, 0, -1, 0, 0)
    except Exception:  # noqa: BLE001 - no spin, only sleep: slower, still right
        return None
    return _loops.spin_wait


def handles(*arrays: Any) -> bool:
    """Whether these are NumPy arrays of one compiled dtype and the kernels are enabled.
    (Asked before every ReLU, LeakyReLU, Linear and Adam step: one loop, no generators.)
    MINIGRAD_CPU_KERNELS is read at the first call whatever the arrays, so that a misspelt
    value is refused there, not at the first op on float arrays."""
    if _on is None:
        _switched_on()
    dtype = None
    for a in arrays:
        if type(a) is not np.ndarray:
            return False
        if dtype is None:
            dtype = a.dtype
            if dtype not in DTYPES:
                return False
        elif a.dtype != dtype:
            return False
    return dtype is not None and _wanted() and (_available or available())


# ------------------------------------------------------------------ wrappers
def _split(run: Any, n: int, *args: Any, unit: int = 1, min_size: int | None = None) -> None:
    """`run(*args, lo, hi)` on a share of [0, n) per thread (threads.split), from
    `min_size` (MIN_PARALLEL) values up: n channels of `unit` values each, or n values."""
    min_size = MIN_PARALLEL if min_size is None else min_size
    if n * unit < min_size:  # threads.split would run it here too: without its checks
        run(*args, 0, n)
        return
    threads.split(n, lambda lo, hi: run(*args, lo, hi), unit=unit, min_size=min_size, key=run)


def by_layout(x: np.ndarray, direct: Any, staged: Any) -> tuple[Any, np.ndarray]:
    """The loop and its source for a per-channel pass over x (N, C, H, W): `direct` on the
    batch-minor view (C, H, W, N) where x is batch-minor (rows of N read in place), else
    `staged` on x itself, which copies each channel batch-minor into a buffer first."""
    if is_batch_minor(x):
        return direct, x.transpose(1, 2, 3, 0)
    return staged, x


def im2col(x: np.ndarray, g: Any, out_hw: tuple[int, int]) -> np.ndarray:
    """Columns `(C, KH, KW, OH, OW, N)` (C-contiguous) of `x (N, C, H, W)`, any strides:
    read in rows of N from a batch-minor x, else through a batch-minor copy of one channel
    at a time (on a C-ordered (64, 64, 14, 14) x, k4 s2 p1, two threads: 0.50 ms, where a
    batch-minor copy of the whole of x and then the columns took 0.61-0.72)."""
    n, c = x.shape[:2]
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = g.kernel, g.stride, g.padding, g.dilation
    cols = np.empty((c, kh, kw) + tuple(out_hw) + (n,), dtype=x.dtype)
    if cols.size == 0:
        return cols
    run, src = by_layout(x, _loops.im2col, _loops.im2col_staged)
    _split(run, c, src, cols, kh, kw, sh, sw, ph, pw, dh, dw, unit=cols[:1].size)
    return cols


def batch_minor(x: np.ndarray) -> np.ndarray:
    """`x (N, C, H, W)`, any strides, copied into a C-contiguous `(C, H, W, N)` array."""
    n, c, h, w = x.shape
    out = np.empty((c, h, w, n), dtype=x.dtype)
    _split(_loops.batch_minor_copy, c, x, out, unit=out[:1].size)
    return out


def c_order_handles(a: np.ndarray) -> bool:
    """Whether `c_order` copies `a`: a batch-minor (N, C, H, W) array (layout.is_batch_minor)
    of a compiled dtype."""
    return a.ndim == 4 and handles(a) and is_batch_minor(a)


def c_order(x: np.ndarray) -> np.ndarray:
    """A C-contiguous copy of a batch-minor `x (N, C, H, W)` (see c_order_handles), a share
    of the channels per thread."""
    out = np.empty(x.shape, dtype=x.dtype)
    _split(_loops.c_order_copy, x.shape[1], x, out, unit=out[:, :1].size)
    return out


def col2im(cols: np.ndarray, g: Any, x_shape: tuple[int, ...]) -> np.ndarray:
    """Adjoint of im2col: `(N, C, H, W)`, a view of a batch-minor `(C, H, W, N)` array."""
    c, n = cols.shape[0], cols.shape[5]
    h, w = x_shape[2:]
    (sh, sw), (ph, pw), (dh, dw) = g.stride, g.padding, g.dilation
    img = np.empty((c, h, w, n), dtype=cols.dtype)
    if img.size:
        src = np.ascontiguousarray(cols)
        _split(_loops.col2im, c, src, img, sh, sw, ph, pw, dh, dw, unit=src[:1].size)
    return img.transpose(3, 0, 1, 2)


def max_pool_forward(x: np.ndarray, g: Any) -> tuple[np.ndarray, np.ndarray]:
    """Window maxima of a batch-minor `x (N, C, H, W)` and their kernel offsets (uint8, int32
    past 256 offsets), both `(N, C, OH, OW)` views of batch-minor arrays."""
    n, c = x.shape[:2]
    (kh, kw), (sh, sw), (ph, pw) = g.kernel, g.stride, g.padding
    shape = (c,) + tuple(g.out_hw) + (n,)
    y = np.empty(shape, dtype=x.dtype)
    idx = np.empty(shape, dtype=np.uint8 if kh * kw <= 256 else np.int32)
    xt = x.transpose(1, 2, 3, 0)
    _split(_loops.max_pool, c, xt, y, idx, kh, kw, sh, sw, ph, pw, unit=x[:, :1].size)
    return y.transpose(3, 0, 1, 2), idx.transpose(3, 0, 1, 2)


def max_pool_backward(gy: np.ndarray, idx: np.ndarray, g: Any) -> np.ndarray:
    """gy `(N, C, OH, OW)` routed to each window's argmax `idx` (max_pool_forward's) and
    summed: `(N, C, H, W)`, a view of a batch-minor array."""
    n, c = gy.shape[:2]
    (kh, kw), (sh, sw), (ph, pw) = g.kernel, g.stride, g.padding
    apart = sh >= kh and sw >= kw
    gx = np.empty((c,) + tuple(g.in_hw) + (n,), dtype=gy.dtype)
    gyt, it = gy.transpose(1, 2, 3, 0), idx.transpose(1, 2, 3, 0)
    run = _loops.max_pool_backward
    _split(run, c, gyt, it, gx, kh, kw, sh, sw, ph, pw, apart, unit=gx[:1].size)
    return gx.transpose(3, 0, 1, 2)


def _flat_split(
    run: Any, *arrays: np.ndarray, extra: tuple = (), min_size: int = MIN_PARALLEL_PASS
) -> None:
    """Run kernel `run` over the arrays as 1-D views in their common memory order, a share
    of the values per thread from `min_size` values up."""
    flat = [flat_view(a) for a in arrays]
    _split(run, flat[0].size, *flat, *extra, min_size=min_size)


def same_layout(*arrays: np.ndarray) -> bool:
    """Whether the arrays are of one shape, dense, in one memory order (1-D views of them
    then line up value for value)."""
    return threads.same_layout(arrays)


def leaky_relu_forward(x: np.ndarray, slope: float) -> tuple[np.ndarray, np.ndarray]:
    """(y, slopes) in x's memory order; x must be dense (see same_layout)."""
    y, slopes = np.empty_like(x), np.empty_like(x)
    # + 0: a slope of -0.0 as +0.0, the value activation.py's map (0 * (1 - s) + s) holds
    _flat_split(_loops.leaky_relu, x, y, slopes, extra=(x.dtype.type(slope) + x.dtype.type(0),))
    return y, slopes


def relu_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(y, drop) in x's memory order; x must be dense."""
    y, drop = np.empty_like(x), np.empty_like(x, dtype=np.bool_)
    _flat_split(_loops.relu, x, y, drop)
    return y, drop


def relu_backward(drop: np.ndarray, g: np.ndarray) -> np.ndarray:
    """gy where not drop, else 0; drop and g in one layout."""
    out = np.empty_like(g)
    _flat_split(_loops.relu_backward, drop, g, out)
    return out


def tanh_backward(y: np.ndarray, g: np.ndarray) -> np.ndarray:
    """g (1 - y^2) in one pass, in y's memory order; y and g in one layout. ((64, 784), a
    generator's output: the three NumPy passes it replaces took about 90 us in the MLP GAN
    step.)"""
    out = np.empty_like(y)
    _flat_split(_loops.tanh_backward, y, g, out)
    return out


def select_handles(c: Any, a: Any, b: Any) -> bool:
    """Whether `select` computes where(c, a, b): c a dense bool NumPy array of the result's
    shape; a and b arrays of one compiled dtype, each either in c's layout or a single
    value (a scalar operand: `where(small, d, 0.0)`), not both single."""
    if not (type(c) is np.ndarray and c.dtype == np.bool_ and handles(a, b)):
        return False
    one_a, one_b = a.size == 1 and a.shape != c.shape, b.size == 1 and b.shape != c.shape
    if one_a and one_b or a.ndim > c.ndim or b.ndim > c.ndim:
        return False
    full = [x for x, one in ((a, one_a), (b, one_b)) if not one]
    return same_layout(c, *full)


def select(c: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """np.where(c, a, b) in one branch-free pass, in c's memory order (see select_handles).
    On (64, 256) float32 and a random mask: 5 us against NumPy's 93 (4 against 109 with a
    scalar b); 0.45 ms against 5.7 on 800 K values."""
    out = np.empty_like(c, dtype=a.dtype)
    if a.shape != c.shape:
        run, a = _loops.select_one_else, a.reshape(1)
    elif b.shape != c.shape:
        run, b = _loops.select_else_one, b.reshape(1)
    else:
        run = _loops.select
    flat = [flat_view(x) if x.shape == c.shape else x for x in (c, a, b, out)]
    _split(run, out.size, *flat, min_size=MIN_PARALLEL_PASS)
    return out


def float32_pass_handles(x: Any) -> bool:
    """Whether `tanh` and `sigmoid` serve x: a dense float32 NumPy array, the kernels on."""
    return type(x) is np.ndarray and x.dtype == np.float32 and handles(x) and same_layout(x)


def tanh(x: np.ndarray) -> np.ndarray:
    """tanh(x) of a dense float32 x (same_layout), in its memory order: cpu_loops.tanh_wide,
    each value worked in float64 and rounded once."""
    out = np.empty_like(x)
    _flat_split(_loops.tanh_wide, x, out, min_size=MIN_PARALLEL_TANH)
    return out


def sigmoid(x: np.ndarray) -> np.ndarray:
    """sigmoid(x) of a dense float32 x (same_layout), in its memory order:
    cpu_loops.sigmoid_wide, each value worked in float64 and rounded once."""
    out = np.empty_like(x)
    _flat_split(_loops.sigmoid_wide, x, out, min_size=MIN_PARALLEL_TANH)
    return out


def erf(x: np.ndarray, complement: bool = False) -> np.ndarray:
    """erf(x), or erfc(x) with `complement`, worked in float64 and rounded once to x's
    dtype, in x's memory order where x is dense (else C-ordered)."""
    if not same_layout(x):
        x = np.ascontiguousarray(x)
    out = np.empty_like(x)
    _flat_split(_loops.erf, x, out, extra=(complement,), min_size=MIN_PARALLEL_ERF)
    return out


def relayout(a: np.ndarray, like: np.ndarray) -> np.ndarray | None:
    """A copy of a 4-D `a` in `like`'s memory order, where one of the two is C-ordered and
    the other batch-minor (`batch_minor` or `c_order`, a share of the channels per thread);
    None for other arrays. A one-pass kernel over two arrays needs them in one order: a
    gradient that comes back through a Linear layer is C-ordered where the mask its
    activation saved is batch-minor (after a convolution), or the other way round."""
    if a.ndim != 4 or a.shape != like.shape or not handles(a):
        return None
    if like.flags.c_contiguous and c_order_handles(a):
        return c_order(a)
    if is_batch_minor(like) and a.flags.c_contiguous:
        return batch_minor(a).transpose(3, 0, 1, 2)
    return None


def outer(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The product of a column `a (m, 1)` and a row `b (1, n)`, C-ordered `(m, n)`, with
    the matmul's bits (see cpu_loops.outer), a share of the rows per thread in one pass."""
    m, n = a.shape[0], b.shape[1]
    out = np.empty((m, n), dtype=a.dtype)
    _split(_loops.outer, m, a.reshape(-1), b.reshape(-1), out, unit=n, min_size=MIN_PARALLEL_OUTER)
    return out


def scale_(g: np.ndarray, c: np.ndarray) -> np.ndarray:
    """c *= g, in place (g and c in one layout): c, now the product."""
    _flat_split(_loops.scale, g, c)
    return c


def channel_rows(a: np.ndarray) -> np.ndarray | None:
    """`a (N, C, ...)` as a C-contiguous view `(P, C, R)` whose rows `[p, c, :]` hold
    channel c's values: (N, C, rest) for a C-ordered array, (1, C, rest * N) for a
    batch-minor one (a convolution's output); None for other layouts."""
    n, c = a.shape[:2]
    rest = a.size // (n * c)
    if a.flags.c_contiguous:
        return a.reshape(n, c, rest)
    t = a.transpose((1, *range(2, a.ndim), 0))
    if t.flags.c_contiguous:
        return t.reshape(1, c, rest * n)
    return None


def batch_norm_handles(x: np.ndarray, *others: np.ndarray) -> bool:
    """Whether the batch norm kernels take x and the arrays read with it (others of x's
    shape): not empty, a compiled dtype, all in one of channel_rows' two layouts."""
    if x.ndim < 2 or x.size == 0 or not handles(x, *others):
        return False
    rows = [channel_rows(a) for a in (x,) + tuple(o for o in others if o.shape == x.shape)]
    return all(r is not None and r.shape == rows[0].shape for r in rows)


def batch_norm_forward(
    x: np.ndarray, weight: np.ndarray | None, bias: np.ndarray | None, eps: float
) -> tuple[np.ndarray, ...]:
    """Training-mode batch norm of `x (N, C, ...)`: (y, mean, var, invstd), the statistics
    of shape (C,), y in x's memory order. No x-hat: `batch_norm_backward` works it out again
    from x, mean and invstd, with the same bits."""
    c = x.shape[1]
    y = np.empty_like(x)  # in x's layout
    stats = np.empty((3, c), dtype=x.dtype)
    none = np.empty(0, dtype=x.dtype)
    w = none if weight is None else np.ascontiguousarray(weight.reshape(-1))
    b = none if bias is None else np.ascontiguousarray(bias.reshape(-1))
    xs, ys = channel_rows(x), channel_rows(y)
    _split(_loops.batch_norm_forward, c, xs, ys, w, b, stats, eps, unit=x.size // c)
    return y, stats[0], stats[1], stats[2]


def batch_norm_backward(
    gy: np.ndarray,
    x: np.ndarray,
    mean: np.ndarray,
    invstd: np.ndarray,
    weight: np.ndarray | None,
    need_gx: bool,
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """First-order backward from x and the forward's mean and 1/std (x-hat worked out again
    on the way, as the forward had it): (gx or None, gbias, gweight)."""
    c = gy.shape[1]
    m, inv = (np.ascontiguousarray(a.reshape(-1), dtype=gy.dtype) for a in (mean, invstd))
    scale = inv if weight is None else weight.reshape(-1) * inv
    scale = np.ascontiguousarray(scale, dtype=gy.dtype)
    gx = np.empty_like(gy) if need_gx else None
    sums = np.empty((2, c), dtype=gy.dtype)
    g, xs = channel_rows(gy), channel_rows(x)
    out = channel_rows(gx) if gx is not None else np.empty((0, 0, 0), gy.dtype)
    _split(_loops.batch_norm_backward, c, g, xs, m, inv, scale, out, sums, unit=gy.size // c)
    return gx, sums[0], sums[1]


# Linear's forward for a short batch: OpenBLAS multiplies x (N, in) by W^T, a transposed
# view of the C-ordered weight, more slowly than W by x^T, the same sums with the batch on
# the other side (measured, float32, medians of 9 x 300: N = 64, 256 -> 784: 185 us
# against 141 on two threads, 338 against 266 on one; 784 -> 256: 186 against 150, 340
# against 272; the same bits either way). The product is then W x^T, and one compiled
# pass writes its transpose plus the bias, where y += b was a pass anyway: 20 us for (64,
# 784). It pays from 256 inputs (256 -> 256: 62 against 60 us, two threads), for batches
# of up to 64 (at 256 the transposed product was as slow or slower) and outputs of up to
# 64 K values, whose transposing pass stays in the cache (100 -> 6272 lost 0.2 ms).
LINEAR_T_MAX_BATCH = 64
LINEAR_T_MIN_IN = 256
LINEAR_T_MIN_OUT = 128
LINEAR_T_MAX_VALUES = 1 << 16


def linear_transposed_pays(x: np.ndarray, W: np.ndarray, b: Any) -> bool:
    """Whether `linear_transposed` should compute x @ W.T + b (see LINEAR_T_MAX_BATCH)."""
    n, (o, i) = len(x), W.shape
    return (
        b is not None
        and x.ndim == 2
        and 0 < n <= LINEAR_T_MAX_BATCH
        and i >= LINEAR_T_MIN_IN
        and LINEAR_T_MIN_OUT <= o
        and n * o <= LINEAR_T_MAX_VALUES
        and handles(x, W, b)
    )


def linear_transposed(x: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """x @ W.T + b, C-ordered, computed as (W @ x.T).T + b in one compiled pass over the
    product (see LINEAR_T_MAX_BATCH)."""
    t = W @ x.T
    out = np.empty((x.shape[0], W.shape[0]), dtype=t.dtype)
    _split(_loops.add_transposed, out.shape[0], t, b, out, unit=out.shape[1])
    return out


def adam_scalars(
    dtype: Any,
    decay: float,
    w: tuple[bool, float, float],
    b2: float,
    bc2: float,
    eps: float,
    step: float,
) -> tuple[np.ndarray, bool]:
    """adam_step's scalars: (decay, w, 1 - w, 1 - b2, b2, bc2, eps, step) rounded to
    `dtype`, as NumPy rounds a Python float that scales an array, in one array; and whether
    _lerp_'s first formula applies. `w` is (small, w, 1 - w) of optim's _lerp_scalars."""
    small, lerp_w, lerp_omw = w
    values = (decay, lerp_w, lerp_omw, 1 - b2, b2, bc2, eps, step)
    return np.array(values, dtype=dtype), bool(small)


def adam_step(
    x: np.ndarray, d: np.ndarray, m: np.ndarray, v: np.ndarray, scalars: np.ndarray, small: bool
) -> None:
    """One Adam step in place (cpu_loops.adam) with `adam_scalars`' (scalars, small)."""
    if x.size == 0:
        return
    _flat_split(_loops.adam, x, d, m, v, extra=(scalars, small))
