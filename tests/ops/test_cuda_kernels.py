"""cuda_kernels: every kernel compiles with NVRTC; compiled as C++ for the CPU
(cuda_emulator.py), the kernels give what the NumPy code they replace gives, called directly
and through the ops; on a GPU, the CuPy path matches the NumPy path."""

import math

import numpy as np
import pytest
from cuda_emulator import Emulator, compiler, kernels
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import minigrad as mg
from minigrad.backend import as_numpy
from minigrad.ops import cpu_kernels, cuda_kernels
from minigrad.ops.activation import LeakyReLU, leaky_relu
from minigrad.ops.batchnorm import BatchNormTrain, batch_norm
from minigrad.ops.conv import (
    ConvGeometry,
    col2im,
    conv2d,
    conv_out_size,
    conv_transpose2d,
    conv_transpose_out_size,
    im2col,
)
from minigrad.ops.pool import (
    MaxPool2d,
    PoolGather,
    PoolGeometry,
    PoolScatter,
    WindowSum,
    WindowSumT,
    avg_pool2d,
    max_pool2d,
)

FIXTURE_OK = [HealthCheck.function_scoped_fixture]
DTYPES = [np.float32, np.float64]
# launch shapes for the emulator: as the wrappers ask, few blocks, one thread
LAUNCHES = [(1 << 30, 1 << 30), (3, 4), (1, 1)]
LAYOUTS = ["contiguous", "batch_minor", "channels_last", "flipped", "strided"]


# -------------------------------------------------------------------------------- NVRTC
def test_kernels_compile_with_nvrtc():
    try:
        from cupy_backends.cuda.libs import nvrtc

        nvrtc.getVersion()
    except Exception as exc:  # CuPy not installed, or no NVRTC library to load
        pytest.skip(f"NVRTC unavailable: {type(exc).__name__}: {exc}")
    names = list(kernels(cuda_kernels.SOURCE))
    try:  # the oldest architecture this NVRTC builds for (CUDA 13 dropped compute_60)
        oldest = min(int(a) for a in nvrtc.getSupportedArchs())
    except Exception:  # an NVRTC or CuPy without the query
        oldest = 60
    for dtype, src in cuda_kernels.kernel_sources().items():
        for arch in sorted({f"compute_{oldest}", "compute_90"}):
            prog = nvrtc.createProgram(src, f"minigrad_{dtype}.cu", [], [])
            try:
                nvrtc.compileProgram(prog, [f"-arch={arch}"])
            except Exception:
                pytest.fail(f"{dtype}, {arch}:\n{nvrtc.getProgramLog(prog)}")
            ptx = nvrtc.getPTX(prog).decode()
            nvrtc.destroyProgram(prog)
            for name in names:
                assert f".entry {name}(" in ptx, f"{name} missing from the {dtype} PTX"


# ------------------------------------------------------------------ CPU emulation set-up
@pytest.fixture(scope="module")
def emulator(tmp_path_factory):
    if compiler() is None:
        pytest.skip("no C++ compiler to build the kernel emulation")
    return Emulator(tmp_path_factory.mktemp("cuda_emulator"))


@pytest.fixture
def emu(emulator, monkeypatch):
    """The wrappers of cuda_kernels run the CPU build on NumPy arrays."""
    monkeypatch.setattr(cuda_kernels, "_launch", emulator.launch)
    emulator.launched = set()
    return emulator


def _float_arrays(*arrays):
    """`cuda_kernels.handles` minus the CuPy check: sends NumPy arrays down the ops' kernel
    branches."""
    dtype = arrays[0].dtype
    return dtype in cuda_kernels.DTYPES and all(a.dtype == dtype for a in arrays)


def _through_kernels(emu, monkeypatch, launch, fn, *args, **kwargs):
    """fn(*args, **kwargs) with the ops' kernel branches taken, emulated with `launch` caps."""
    emu.max_grid, emu.max_block = launch
    with monkeypatch.context() as m:
        m.setattr(cuda_kernels, "handles", _float_arrays)
        return fn(*args, **kwargs)


def _layout(a, kind):
    """`a (N, C, H, W)` (or (N, C)) with the same values in another memory layout."""
    if kind == "batch_minor":  # as conv outputs: (C, H, W, N) in memory
        order = tuple(range(1, a.ndim)) + (0,)
        return np.ascontiguousarray(a.transpose(order)).transpose(np.argsort(order))
    if kind == "channels_last":
        order = (0,) + tuple(range(2, a.ndim)) + (1,)
        return np.ascontiguousarray(a.transpose(order)).transpose(np.argsort(order))
    if kind == "flipped":  # negative strides
        return np.ascontiguousarray(a[::-1, :, ...][..., ::-1])[::-1, :, ...][..., ::-1]
    if kind == "strided":  # gaps between values
        big = np.zeros(a.shape[:-1] + (2 * a.shape[-1],), dtype=a.dtype)
        big[..., ::2] = a
        return big[..., ::2]
    return np.ascontiguousarray(a)


def _same_layout(a, b):
    """Same strides on every axis longer than 1 (the others are never stepped along)."""
    return all(n == 1 or s == t for n, s, t in zip(a.shape, a.strides, b.strides, strict=True))


def _values(rng, shape, dtype):
    return rng.standard_normal(shape).astype(dtype)


def _run_op(op, arrays, device="cpu", second_order=False, seed=1):
    """Output and gradients of op(*tensors) for a random gy, as NumPy arrays; with
    `second_order`, also the gradients of <gradients, v> (random v) with respect to the
    inputs and gy."""
    rng = np.random.default_rng(seed)
    xs = [mg.Tensor(a, requires_grad=True, device=device) for a in arrays]
    y = op(*xs)
    gy = mg.Tensor(_values(rng, y.shape, y.dtype), requires_grad=second_order, device=device)
    grads = mg.grad(y, xs, gy, create_graph=second_order)
    out = [y, *grads]
    if second_order:
        s = sum((g * mg.Tensor(_values(rng, g.shape, g.dtype), device=device)).sum() for g in grads)
        out += [g for g in mg.grad(s, [*xs, gy], allow_unused=True) if g is not None]
    return [as_numpy(t._data) for t in out]


def _assert_close(got, want, dtype, what=""):
    tol = 2e-5 if dtype == np.float32 else 1e-12
    assert len(got) == len(want)
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol, err_msg=f"{what} output {i}")


# ------------------------------------------------------------------------ im2col, col2im
@st.composite
def conv_geometries(draw):
    """A conv geometry (kernels 1x1..5x5, strides 1-3, padding 0-2, dilation 1-2), an input
    shape (N, C, H, W) of odd and even sizes it fits, and the output size."""
    k = (draw(st.integers(1, 5)), draw(st.integers(1, 5)))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    p = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    lo = [max(1, d[a] * (k[a] - 1) + 1 - 2 * p[a]) for a in range(2)]
    hw = tuple(draw(st.integers(lo[a], lo[a] + 5)) for a in range(2))
    shape = (draw(st.integers(1, 3)), draw(st.integers(1, 3))) + hw
    out_hw = tuple(conv_out_size(hw[a], k[a], s[a], p[a], d[a]) for a in range(2))
    return ConvGeometry(k, s, p, d, 1), shape, out_hw


@settings(max_examples=60, deadline=None, suppress_health_check=FIXTURE_OK)
@given(
    geo=conv_geometries(),
    dtype=st.sampled_from(DTYPES),
    layout=st.sampled_from(LAYOUTS),
    launch=st.sampled_from(LAUNCHES),
)
def test_im2col_col2im_kernels_equal_numpy(emu, geo, dtype, layout, launch):
    g, shape, out_hw = geo
    emu.max_grid, emu.max_block = launch
    rng = np.random.default_rng(0)
    x = _layout(_values(rng, shape, dtype), layout)
    cols = cuda_kernels.im2col(x, g, out_hw)
    assert cols.flags.c_contiguous and cols.dtype == dtype
    np.testing.assert_array_equal(cols, im2col(x, g, out_hw))
    # col2im adds in the NumPy code's order: equal to the last bit
    c = _values(rng, cols.shape, dtype)
    img = cuda_kernels.col2im(c, g, shape)
    assert img.shape == shape and img.transpose(1, 2, 3, 0).flags.c_contiguous
    np.testing.assert_array_equal(img, col2im(c, g, shape))
    assert emu.launched == {"im2col", "col2im"}


@st.composite
def conv_cases(draw):
    """conv2d or conv_transpose2d with its settings (groups 1 or 2) and the shapes of x,
    weight and bias."""
    transposed = draw(st.booleans())
    groups = draw(st.integers(1, 2))
    c, oc = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    k = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    p = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    n = draw(st.integers(1, 3))
    if transposed:
        op_ = tuple(draw(st.integers(0, max(s[a], d[a]) - 1)) for a in range(2))
        hw = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
        out = [conv_transpose_out_size(hw[a], k[a], s[a], p[a], d[a], op_[a]) for a in range(2)]
        assume(min(out) >= 1)
        settings_ = dict(stride=s, padding=p, output_padding=op_, groups=groups, dilation=d)
        return conv_transpose2d, settings_, [(n, c) + hw, (c, oc // groups) + k, (oc,)]
    lo = [max(1, d[a] * (k[a] - 1) + 1 - 2 * p[a]) for a in range(2)]
    hw = tuple(draw(st.integers(lo[a], lo[a] + 4)) for a in range(2))
    settings_ = dict(stride=s, padding=p, dilation=d, groups=groups)
    return conv2d, settings_, [(n, c) + hw, (oc, c // groups) + k, (oc,)]


def _with_settings(op, settings_):
    def conv(x, w, b):
        return op(x, w, b, **settings_)

    return conv


@settings(max_examples=25, deadline=None, suppress_health_check=FIXTURE_OK)
@given(case=conv_cases(), dtype=st.sampled_from(DTYPES), launch=st.sampled_from(LAUNCHES))
def test_conv_ops_through_kernels_match_numpy(emu, monkeypatch, case, dtype, launch):
    op, settings_, shapes = case
    rng = np.random.default_rng(2)
    arrays = [_values(rng, s, dtype) for s in shapes]
    conv = _with_settings(op, settings_)
    want = _run_op(conv, arrays, second_order=True)
    got = _through_kernels(emu, monkeypatch, launch, _run_op, conv, arrays, second_order=True)
    _assert_close(got, want, dtype, f"{op.__name__} {settings_}")
    assert {"im2col", "col2im"} <= emu.launched


# ------------------------------------------------------------------------------ pooling
@st.composite
def pool_geometries(draw):
    k = (draw(st.integers(1, 5)), draw(st.integers(1, 5)))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    p = tuple(draw(st.integers(0, k[a] // 2)) for a in range(2))
    hw = tuple(draw(st.integers(max(1, k[a] - 2 * p[a]), k[a] + 5)) for a in range(2))
    out_hw = tuple((hw[a] + 2 * p[a] - k[a]) // s[a] + 1 for a in range(2))
    shape = (draw(st.integers(1, 3)), draw(st.integers(1, 3))) + hw
    return PoolGeometry(k, s, p, hw, out_hw), shape


def _pool_input(rng, shape, dtype, specials):
    """Few distinct values, so windows have ties; with `specials`, also NaN and -inf."""
    x = rng.integers(-3, 4, shape).astype(dtype)
    if specials:
        x[rng.random(shape) < 0.1] = np.nan
        x[rng.random(shape) < 0.2] = -np.inf
    return x


POOL_KERNELS = {
    "max_pool_forward",
    "max_pool_backward",
    "max_pool_gather",
    "window_sum",
    "window_sum_t",
}


@settings(max_examples=60, deadline=None, suppress_health_check=FIXTURE_OK)
@given(
    geo=pool_geometries(),
    dtype=st.sampled_from(DTYPES),
    layout=st.sampled_from(LAYOUTS),
    launch=st.sampled_from(LAUNCHES),
    specials=st.booleans(),
)
def test_pool_kernels_equal_numpy(emu, geo, dtype, layout, launch, specials):
    g, shape = geo
    emu.max_grid, emu.max_block = launch
    rng = np.random.default_rng(3)
    x = _layout(_pool_input(rng, shape, dtype, specials), layout)
    gy = _layout(_values(rng, shape[:2] + g.out_hw, dtype), layout)
    # max pooling: values and argmax by the NumPy code's tie and NaN rule
    y, idx = cuda_kernels.max_pool_forward(x, g)
    ref = MaxPool2d(g)
    np.testing.assert_array_equal(y, ref.forward(x))
    np.testing.assert_array_equal(idx, ref.idx)
    assert idx.dtype == np.int32 and y.flags.c_contiguous and idx.flags.c_contiguous
    gx = cuda_kernels.max_pool_backward(gy, idx, g)
    np.testing.assert_array_equal(gx, PoolScatter(g, idx).forward(gy))
    x2 = _layout(_values(rng, shape, dtype), layout)
    gathered = cuda_kernels.max_pool_gather(x2, idx, g)
    np.testing.assert_array_equal(gathered, PoolGather(g, idx).forward(x2))
    # window sums (average pooling before the division) and their adjoint
    np.testing.assert_array_equal(cuda_kernels.window_sum(x2, g), WindowSum(g).forward(x2))
    np.testing.assert_array_equal(cuda_kernels.window_sum_t(gy, g), WindowSumT(g).forward(gy))
    assert emu.launched == POOL_KERNELS


def _pool_ops(g, count_include_pad):
    k, s, p = g.kernel, g.stride, g.padding

    def max_pool(x):
        return max_pool2d(x, k, s, p)

    def avg_pool(x):
        return avg_pool2d(x, k, s, p, count_include_pad)

    return max_pool, avg_pool


def _distinct(shape, dtype, seed):
    """Values 0.01 apart: no ties, so the argmax cannot flip between backends."""
    rng = np.random.default_rng(seed)
    return (rng.permutation(math.prod(shape)).reshape(shape) * 0.01).astype(dtype)


@settings(max_examples=25, deadline=None, suppress_health_check=FIXTURE_OK)
@given(
    geo=pool_geometries(),
    dtype=st.sampled_from(DTYPES),
    launch=st.sampled_from(LAUNCHES),
    count_include_pad=st.booleans(),
)
def test_pool_ops_through_kernels_match_numpy(
    emu, monkeypatch, geo, dtype, launch, count_include_pad
):
    g, shape = geo
    x = [_distinct(shape, dtype, 4)]
    for op in _pool_ops(g, count_include_pad):
        want = _run_op(op, x, second_order=True)
        got = _through_kernels(emu, monkeypatch, launch, _run_op, op, x, second_order=True)
        _assert_close(got, want, dtype, op.__name__)
    assert emu.launched == POOL_KERNELS


# ---------------------------------------------------------------------------- LeakyReLU
@settings(max_examples=30, deadline=None, suppress_health_check=FIXTURE_OK)
@given(
    shape=st.sampled_from([(4, 3), (2, 3, 4, 5), (3, 1, 2, 2), (1, 5, 1, 3)]),
    dtype=st.sampled_from(DTYPES),
    layout=st.sampled_from(LAYOUTS),
    slope=st.sampled_from([0.01, 0.2, 0.0, 1.5]),
    launch=st.sampled_from(LAUNCHES),
)
def test_leaky_relu_kernels_equal_numpy(emu, shape, dtype, layout, slope, launch):
    emu.max_grid, emu.max_block = launch
    rng = np.random.default_rng(5)
    x = _layout(rng.integers(-2, 3, shape).astype(dtype) * 0.5, layout)  # zeros included
    x[(0,) * x.ndim] = np.nan
    y, slopes = cuda_kernels.leaky_relu_forward(x, slope)
    ref = LeakyReLU(slope)
    want = ref.forward(x)
    np.testing.assert_array_equal(y, want)
    np.testing.assert_array_equal(slopes, ref.slopes)
    if layout != "strided":  # a dense input: outputs laid out as NumPy lays them out
        assert _same_layout(y, want) and _same_layout(slopes, want)
    gy = _layout(_values(rng, shape, dtype), "batch_minor")  # a layout other than x's, too
    for g in (gy, np.ascontiguousarray(gy)):
        np.testing.assert_array_equal(cuda_kernels.leaky_relu_backward(g, slopes), g * slopes)
    assert emu.launched == {"leaky_relu_forward", "leaky_relu_backward"}


def _leaky_relu_02(x):
    return leaky_relu(x, 0.2)


@pytest.mark.parametrize("dtype", DTYPES)
def test_leaky_relu_op_through_kernels_matches_numpy(emu, monkeypatch, dtype):
    x = [_values(np.random.default_rng(6), (3, 4, 5, 2), dtype)]
    want = _run_op(_leaky_relu_02, x, second_order=True)
    got = _through_kernels(emu, monkeypatch, (3, 4), _run_op, _leaky_relu_02, x, second_order=True)
    _assert_close(got, want, dtype)
    assert emu.launched == {"leaky_relu_forward", "leaky_relu_backward"}


# ------------------------------------------------------------------- batch normalisation
BN_KERNELS = {"bn_stats", "bn_forward", "bn_backward_reduce", "bn_backward_dx"}


@settings(max_examples=30, deadline=None, suppress_health_check=FIXTURE_OK)
@given(
    shape=st.sampled_from([(5, 3), (2, 3, 4, 5), (3, 1, 2, 2), (2, 4, 1, 1), (2, 3, 7)]),
    dtype=st.sampled_from(DTYPES),
    layout=st.sampled_from(LAYOUTS),
    affine=st.sampled_from([(True, True), (True, False), (False, True), (False, False)]),
    launch=st.sampled_from([(1 << 30, 32), (2, 4), (1, 2), (1, 1)]),
)
def test_batch_norm_kernels_match_numpy(emu, shape, dtype, layout, affine, launch):
    emu.max_grid, emu.max_block = launch
    rng = np.random.default_rng(7)
    c = shape[1]
    # a large mean next to a small spread: a one-pass variance would lose digits here
    x = _layout((_values(rng, shape, np.float64) * 0.5 + 100).astype(dtype), layout)
    w, b = (_values(rng, (c,), dtype) if on else None for on in affine)
    ref = BatchNormTrain(1e-5, *affine)
    with cpu_kernels.use(False):  # the NumPy code, which keeps its x-hat
        want = ref.forward(x, *(a for a in (w, b) if a is not None))
    y, mean, var, invstd, xhat = cuda_kernels.batch_norm_forward(x, w, b, 1e-5)
    tol = dict(rtol=5e-5, atol=5e-5) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(mean, ref.mean, **tol)
    np.testing.assert_allclose(var, ref.var, **tol)
    np.testing.assert_allclose(invstd, ref.invstd.reshape(-1), **tol)
    np.testing.assert_allclose(xhat, ref.xhat, **tol)
    np.testing.assert_allclose(y, want, **tol)
    assert y.dtype == xhat.dtype == mean.dtype == dtype
    if layout != "strided":  # a dense input: x-hat laid out as NumPy lays it out, y too
        # (NumPy's y is C-ordered without a weight, from xhat.copy())
        assert _same_layout(xhat, ref.xhat) and _same_layout(y, xhat)
    # the backward, from gy in two layouts, against the NumPy formula on the same x-hat
    gy = _layout(_values(rng, shape, dtype), "channels_last")
    axes = (0,) + tuple(range(2, len(shape)))
    bshape = (1, c) + (1,) * (len(shape) - 2)
    m = 1.0 / (x.size // c)
    for g in (gy, np.ascontiguousarray(gy)):
        gx, gsum, gdot = cuda_kernels.batch_norm_backward(g, xhat, invstd, w, True)
        want_sum, want_dot = g.sum(axes), (g * xhat).sum(axes)
        scale = (invstd if w is None else invstd * w).reshape(bshape)
        centred = g - (want_sum * m).reshape(bshape) - xhat * (want_dot * m).reshape(bshape)
        np.testing.assert_allclose(gsum, want_sum, **tol)
        np.testing.assert_allclose(gdot, want_dot, **tol)
        np.testing.assert_allclose(gx, centred * scale, **tol)
        assert _same_layout(gx, xhat)
    assert cuda_kernels.batch_norm_backward(gy, xhat, invstd, w, False)[0] is None
    assert emu.launched == BN_KERNELS


def _bn_op(affine, stats, training=True, device="cpu"):
    """batch_norm as an op of (x, *affine parameters), with fixed starting running
    statistics that it appends to `stats`."""

    def op(x, *params):
        c, dtype = x.shape[1], x.dtype
        rng = np.random.default_rng(13)
        rm = mg.Tensor(rng.standard_normal(c).astype(dtype), device=device)
        rv = mg.Tensor((rng.random(c) + 0.5).astype(dtype), device=device)
        stats.extend((rm, rv))
        w = params[0] if affine[0] else None
        b = params[-1] if affine[1] else None
        return batch_norm(x, rm, rv, w, b, training=training, momentum=0.3)

    return op


@pytest.mark.parametrize("shape", [(6, 3), (2, 3, 4, 5), (4, 1, 3)])
@pytest.mark.parametrize("affine", [(True, True), (False, True), (True, False)])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("second_order", [False, True])
def test_batch_norm_op_through_kernels_matches_numpy(
    emu, monkeypatch, shape, affine, dtype, second_order
):
    rng = np.random.default_rng(8)
    arrays = [_values(rng, shape, dtype)] + [_values(rng, shape[1:2], dtype) for on in affine if on]
    want_stats, got_stats = [], []
    want = _run_op(_bn_op(affine, want_stats), arrays, second_order=second_order)
    op = _bn_op(affine, got_stats)
    got = _through_kernels(emu, monkeypatch, (2, 4), _run_op, op, arrays, second_order=second_order)
    want += [t.numpy() for t in want_stats]
    _assert_close(got + [t.numpy() for t in got_stats], want, dtype)
    # a recorded backward (second order) rebuilds x-hat with ops instead of the kernels
    assert emu.launched == (BN_KERNELS if not second_order else {"bn_stats", "bn_forward"})


# ---------------------------------------------------------------------------------- GPU
@pytest.fixture
def gpu_launches(monkeypatch):
    """Skips without a GPU; records the name of every kernel launched."""
    if not mg.cuda.is_available():
        pytest.skip("no CuPy GPU available")
    launched = set()
    launch = cuda_kernels._launch

    def record(name, *args):
        launched.add(name)
        launch(name, *args)

    monkeypatch.setattr(cuda_kernels, "_launch", record)
    return launched


def _assert_gpu_close(got, want, dtype):
    tol = 1e-4 if dtype == np.float32 else 1e-10
    assert len(got) == len(want)
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol, err_msg=f"output {i}")


def _compare_devices(op, arrays, dtype, second_order=True):
    want = _run_op(op, arrays, "cpu", second_order)
    got = _run_op(op, arrays, "cuda", second_order)
    _assert_gpu_close(got, want, dtype)


@pytest.mark.gpu
@settings(max_examples=30, deadline=None, suppress_health_check=FIXTURE_OK)
@given(case=conv_cases(), dtype=st.sampled_from(DTYPES))
def test_gpu_conv_matches_numpy(gpu_launches, case, dtype):
    op, settings_, shapes = case
    rng = np.random.default_rng(9)
    arrays = [_values(rng, s, dtype) for s in shapes]
    _compare_devices(_with_settings(op, settings_), arrays, dtype)
    assert {"im2col", "col2im"} <= gpu_launches


@pytest.mark.gpu
@settings(max_examples=30, deadline=None, suppress_health_check=FIXTURE_OK)
@given(geo=pool_geometries(), dtype=st.sampled_from(DTYPES), count_include_pad=st.booleans())
def test_gpu_pooling_matches_numpy(gpu_launches, geo, dtype, count_include_pad):
    g, shape = geo
    for op in _pool_ops(g, count_include_pad):
        _compare_devices(op, [_distinct(shape, dtype, 10)], dtype)
    assert gpu_launches == POOL_KERNELS


@pytest.mark.gpu
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(64, 5), (8, 16, 9, 7), (3, 2, 5)])
def test_gpu_leaky_relu_matches_numpy(gpu_launches, dtype, shape):
    _compare_devices(_leaky_relu_02, [_values(np.random.default_rng(11), shape, dtype)], dtype)
    assert gpu_launches == {"leaky_relu_forward", "leaky_relu_backward"}


@pytest.mark.gpu
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(64, 5), (8, 16, 9, 7), (2, 3, 1, 1), (300, 2, 33, 17)])
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("second_order", [False, True])
def test_gpu_batch_norm_matches_numpy(gpu_launches, dtype, shape, training, second_order):
    rng = np.random.default_rng(12)
    x = (_values(rng, shape, np.float64) * 2 + 3).astype(dtype)
    arrays = [x, _values(rng, shape[1:2], dtype), _values(rng, shape[1:2], dtype)]
    want_stats, got_stats = [], []
    want = _run_op(_bn_op((True, True), want_stats, training), arrays, "cpu", second_order)
    got = _run_op(_bn_op((True, True), got_stats, training, "cuda"), arrays, "cuda", second_order)
    want += [as_numpy(t._data) for t in want_stats]
    _assert_gpu_close(got + [as_numpy(t._data) for t in got_stats], want, dtype)
    if not training:  # evaluation is composed of generic ops
        assert not gpu_launches
    else:
        assert gpu_launches == (BN_KERNELS if not second_order else {"bn_stats", "bn_forward"})


@pytest.mark.gpu
def test_gpu_batch_norm_and_leaky_relu_keep_the_batch_minor_layout_of_conv(gpu_launches):
    x = mg.randn(4, 3, 8, 8, device="cuda")
    w = mg.randn(5, 3, 3, 3, device="cuda")
    h = conv2d(x, w, padding=1)
    y = leaky_relu(batch_norm(h, None, None, training=True), 0.2)
    assert _same_layout(y._data, h._data)
    ref = leaky_relu(batch_norm(mg.Tensor(as_numpy(h._data)), None, None, training=True), 0.2)
    np.testing.assert_allclose(as_numpy(y._data), ref.numpy(), rtol=1e-4, atol=1e-5)
