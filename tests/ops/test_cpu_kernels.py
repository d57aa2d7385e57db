"""The compiled NumPy-backend kernels (minigrad/ops/cpu_kernels.py, cpu_loops.py) against
the NumPy code they replace, which runs with `cpu_kernels.use(False)`: im2col, col2im,
ReLU and LeakyReLU bit for bit (NaN, inf and signed zeros included), batch norm to float
rounding (its sums run in float64) and against PyTorch. Each case runs on one thread and
on two, where the work is split over threads."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import minigrad as mg
from minigrad.ops import conv as C
from minigrad.ops import cpu_kernels as K
from minigrad.ops.layout import memory_order

ROOT = Path(__file__).resolve().parents[2]

needs_numba = pytest.mark.skipif(not K.available(), reason="Numba is not installed")


@pytest.fixture(params=[1, 2], ids=["1thread", "2threads"])
def nthreads(request, monkeypatch):
    before = mg.get_num_threads()
    mg.set_num_threads(request.param)
    if request.param > 1:  # split even small arrays, so the two-thread path runs
        monkeypatch.setattr(K, "MIN_PARALLEL", 1)
        monkeypatch.setattr(K, "MIN_PARALLEL_PASS", 1)
    yield request.param
    mg.set_num_threads(before)


def _same_bits(a: np.ndarray, b: np.ndarray, layout: bool = True) -> None:
    assert a.shape == b.shape and a.dtype == b.dtype
    if layout:  # the same memory order, as the next op sees it
        assert a.strides == b.strides, (a.strides, b.strides)
    ua = np.ascontiguousarray(a).view(np.uint8)
    ub = np.ascontiguousarray(b).view(np.uint8)
    assert np.array_equal(ua, ub), np.argwhere(ua != ub)[:5]


def _order(a: np.ndarray) -> list[int]:
    """The axes longer than 1, slowest in memory first."""
    return [d for d in memory_order(a) if a.shape[d] > 1]


def _with_edges(a: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """`a` with some NaN, +-inf, -0.0 and +0.0 values sprinkled in."""
    flat = a.reshape(-1)
    if flat.size:
        for v in (np.nan, np.inf, -np.inf, -0.0, 0.0):
            flat[rng.integers(0, flat.size, max(1, flat.size // 50))] = v
    return a


def _batch_minor(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)


LAYOUTS = {
    "C": lambda a: a,
    "batch-minor": _batch_minor,
    "strided": lambda a: np.repeat(a, 2, axis=3)[..., ::2],  # not dense: a gap per value
}

GEOMETRIES = [  # (kernel, stride, padding, dilation)
    ((4, 4), (2, 2), (1, 1), (1, 1)),  # DCGAN's
    ((3, 3), (1, 1), (1, 1), (1, 1)),  # the triplet net's
    ((1, 1), (1, 1), (0, 0), (1, 1)),
    ((1, 1), (2, 2), (0, 0), (1, 1)),
    ((3, 2), (2, 3), (0, 2), (2, 1)),  # uneven, dilated, padding wider than the stride
    ((5, 5), (3, 3), (2, 2), (1, 1)),  # kernel wider than stride: overlaps of 1 and 2
    ((2, 2), (4, 4), (0, 0), (1, 1)),  # stride past the kernel: values no window reads
]


@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("geometry", GEOMETRIES, ids=str)
@pytest.mark.parametrize("shape", [(3, 4, 9, 8), (1, 1, 5, 5), (0, 2, 6, 6), (2, 3, 1, 1)])
def test_im2col_and_col2im_match_the_numpy_code_bit_for_bit(
    nthreads, dtype, layout, geometry, shape
):
    kernel, stride, padding, dilation = geometry
    g = C.ConvGeometry(kernel, stride, padding, dilation, 1)
    oh, ow = (
        C.conv_out_size(n, k, s, p, d)
        for n, k, s, p, d in zip(shape[2:], kernel, stride, padding, dilation, strict=True)
    )
    if oh < 1 or ow < 1:
        pytest.skip("no output for this input size")
    rng = np.random.default_rng(0)
    x = LAYOUTS[layout](_with_edges(rng.standard_normal(shape).astype(dtype), rng))
    assert K.handles(x)
    got = C.im2col(x, g, (oh, ow))
    with K.use(False):
        want = C.im2col(x, g, (oh, ow))
    _same_bits(np.ascontiguousarray(got), np.ascontiguousarray(want))
    cols = _with_edges(rng.standard_normal(want.shape).astype(dtype), rng)
    got = C.col2im(cols, g, shape)
    with K.use(False), np.errstate(invalid="ignore"):  # inf + -inf: NaN, as intended
        want = C.col2im(cols, g, shape)
    # the NumPy code returns a cropped view of its padded buffer, the kernel a dense
    # array: both batch-minor
    assert _order(got) == _order(want)
    _same_bits(got, want, layout=False)


@needs_numba
def test_col2im_signed_zeros_and_what_no_window_reads():
    g = C.ConvGeometry((2, 2), (4, 4), (0, 0), (1, 1), 1)  # rows/columns 2-3 of 8 unread
    cols = np.full((1, 2, 2, 2, 2, 3), -0.0, np.float32)
    img = C.col2im(cols, g, (3, 1, 8, 8))
    read = np.zeros((8, 8), bool)
    read[np.ix_([0, 1, 4, 5], [0, 1, 4, 5])] = True
    assert np.all(np.signbit(img[:, 0][:, read]))  # -0.0 assigned, not 0 + -0.0
    assert np.all(img[:, 0][:, ~read] == 0) and not np.any(np.signbit(img[:, 0][:, ~read]))


def _tensor(a: np.ndarray, lib=mg):
    """A tensor on a copy of `a` in `a`'s memory layout (`tensor()` copies to C order)."""
    return lib.from_numpy(np.copy(a, order="K"))


def _leaky_relu_run(x: np.ndarray, slope: float, g: np.ndarray):
    t = _tensor(x).requires_grad_()
    y = mg.nn.functional.leaky_relu(t, slope)
    y.backward(_tensor(g))
    return y.detach().numpy(), t.grad.numpy()


def _relu_run(x: np.ndarray, g: np.ndarray):
    t = _tensor(x).requires_grad_()
    y = mg.relu(t)
    y.backward(_tensor(g))
    return y.detach().numpy(), t.grad.numpy()


@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("slope", [0.2, 0.0, -0.0, -0.5, 1.0, 1.5, 1e-30, np.inf])
def test_leaky_relu_matches_the_numpy_code_bit_for_bit(nthreads, dtype, layout, slope):
    rng = np.random.default_rng(1)
    x = LAYOUTS[layout](_with_edges(rng.standard_normal((4, 3, 6, 5)).astype(dtype), rng))
    g = LAYOUTS[layout](_with_edges(rng.standard_normal((4, 3, 6, 5)).astype(dtype), rng))
    with np.errstate(all="ignore"):
        got = _leaky_relu_run(x, slope, g)
        with K.use(False):
            want = _leaky_relu_run(x, slope, g)
    for a, b in zip(got, want, strict=True):
        _same_bits(a, b)


@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_relu_matches_the_numpy_code_bit_for_bit(nthreads, dtype, layout):
    rng = np.random.default_rng(2)
    x = LAYOUTS[layout](_with_edges(rng.standard_normal((4, 3, 6, 5)).astype(dtype), rng))
    g = LAYOUTS[layout](_with_edges(rng.standard_normal((4, 3, 6, 5)).astype(dtype), rng))
    got = _relu_run(x, g)
    with K.use(False):
        want = _relu_run(x, g)
    for a, b in zip(got, want, strict=True):
        _same_bits(a, b)
    # where x <= 0 (-0.0 and -inf too) the gradient is 0 even for a NaN or inf gy
    assert np.all(got[1][(x <= 0)] == 0) and np.all(got[0][x <= 0] == 0)


@needs_numba
def test_float16_and_integer_inputs_take_the_numpy_code():
    x = np.ones((2, 3), np.float16)
    assert not K.handles(x) and not K.handles(np.ones(3, np.int64))
    assert not K.handles(np.ones(3, np.float32), np.ones(3, np.float64))  # mixed dtypes
    assert mg.relu(mg.tensor(x)).dtype == mg.float16


def _batch_norm_run(x: np.ndarray, g: np.ndarray, affine: bool, lib):
    c = x.shape[1]
    cls = {2: lib.nn.BatchNorm1d, 3: lib.nn.BatchNorm1d, 4: lib.nn.BatchNorm2d}[x.ndim]
    bn = cls(c, affine=affine).double() if x.dtype == np.float64 else cls(c, affine=affine)
    if affine:
        with lib.no_grad():
            bn.weight.copy_(lib.tensor(np.linspace(-1.5, 2, c, dtype=x.dtype)))
            bn.bias.copy_(lib.tensor(np.linspace(0.5, -1, c, dtype=x.dtype)))
    t = _tensor(x, lib).requires_grad_()
    y = bn(t)
    y.backward(_tensor(g, lib))
    out = [y.detach().numpy(), t.grad.numpy(), bn.running_mean.numpy(), bn.running_var.numpy()]
    if affine:
        out += [bn.weight.grad.numpy(), bn.bias.grad.numpy()]
    return out


def _transposed_conv_output(rng: np.random.Generator, dtype) -> np.ndarray:
    """A cropped view of a padded buffer, as conv_transpose2d returns (its axes do not
    merge)."""
    w = mg.tensor(rng.standard_normal((3, 4, 4, 4)).astype(dtype))
    x = mg.tensor(rng.standard_normal((5, 3, 6, 6)).astype(dtype))
    y = mg.nn.functional.conv_transpose2d(x, w, stride=2, padding=1)._data
    assert not y.flags.c_contiguous
    return y


@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize(
    "case", ["C", "batch-minor", "conv_t output", "strided", "2-D", "3-D", "constant"]
)
def test_batch_norm_matches_the_numpy_code_and_torch(nthreads, dtype, affine, case):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x = (rng.standard_normal((6, 4, 7, 5)) * 3 + 2).astype(dtype)
    if case == "batch-minor":
        x = _batch_minor(x)
    elif case == "conv_t output":
        x = _transposed_conv_output(rng, dtype)
    elif case == "strided":
        x = LAYOUTS["strided"](x)
    elif case == "2-D":
        x = x.reshape(6, -1)[:, :5] * 1
    elif case == "3-D":
        x = x.reshape(6, 4, -1)
    elif case == "constant":  # a channel of one value: variance 0, x-hat 0
        x[:, 1] = 3.25
    g = np.empty_like(x)  # in x's layout, as the next layer's gradient comes
    g[...] = rng.standard_normal(x.shape)
    # C order and batch-minor run compiled; other layouts take the NumPy code
    assert K.batch_norm_handles(x, g) == (case != "strided")
    got = _batch_norm_run(x, g, affine, mg)
    with K.use(False):
        want = _batch_norm_run(x, g, affine, mg)
    ref = _batch_norm_run(x, g, affine, torch)
    tol = 2e-5 if dtype == np.float32 else 1e-12
    for a, b, r in zip(got, want, ref, strict=True):
        scale = max(1.0, float(np.abs(r).max()))
        np.testing.assert_allclose(a, b, rtol=0, atol=tol * scale * 8)
        np.testing.assert_allclose(a, r, rtol=0, atol=tol * scale * 8)


def _bn_case(rng, dtype, layout, edges):
    x = (rng.standard_normal((6, 4, 7, 5)) * 3 + 2).astype(dtype)
    x[:, 1] = 3.25  # a constant channel: variance 0, x-hat 0
    if edges:  # channel 2 gets NaN and inf (its statistics become NaN), the others stay finite
        x[0, 2, 0, :3] = (np.nan, np.inf, -np.inf)
        x[1, 3, 2, 2] = -0.0
    g = rng.standard_normal(x.shape).astype(dtype)
    if edges:
        g[2, 0, 1, :3] = (np.nan, np.inf, -0.0)
    return LAYOUTS[layout](x), LAYOUTS[layout](g)


@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layout", ["C", "batch-minor"])
@pytest.mark.parametrize("edges", [False, True])
def test_batch_norm_kernels_work_x_hat_out_again_with_the_forwards_bits(
    nthreads, dtype, layout, edges
):
    """The forward keeps no x-hat: y, x-hat (as the node works it out again for the NumPy
    code's backward) and the compiled backward's gx are, bit for bit, the same float steps
    in x's dtype as NumPy takes them from one x-hat ((x - mean) * invstd): y = x-hat * w +
    b and gx = (g - x-hat * (sum(g * x-hat) / n) - sum(g) / n) * w * invstd."""
    rng = np.random.default_rng(11)
    x, g = _bn_case(rng, dtype, layout, edges)
    c, n = x.shape[1], x.size // x.shape[1]
    w = np.linspace(-1.5, 2, c, dtype=dtype)
    b = np.linspace(0.5, -1, c, dtype=dtype)
    bc = (1, c, 1, 1)
    with np.errstate(all="ignore"):
        y, mean, var, invstd = K.batch_norm_forward(x, w, b, 1e-5)
        node = mg.nn.functional.batch_norm(
            mg.from_numpy(x).requires_grad_(), None, None, training=True
        ).creator
        assert node.xhat is None  # the compiled loops ran, and kept none
        _same_bits(node.mean, mean)
        xhat = node._xhat()
        _same_bits(xhat, (x - mean.reshape(bc)) * invstd.reshape(bc))
        _same_bits(y, xhat * w.reshape(bc) + b.reshape(bc))
        # the variance from the same centred values the x-hat has (float64 sums)
        centred = (x - mean.reshape(bc)).astype(np.float64)
        want_var = ((centred * centred).sum((0, 2, 3)) / n).astype(dtype)
        np.testing.assert_allclose(var, want_var, rtol=1e-6 if dtype == np.float32 else 1e-13)
        gx, gsum, gdot = K.batch_norm_backward(g, x, mean, invstd, w, True)
        want_dot = (g.astype(np.float64) * xhat.astype(np.float64)).sum((0, 2, 3))
        np.testing.assert_allclose(gdot, want_dot.astype(dtype), rtol=1e-6, equal_nan=True)
        np.testing.assert_allclose(
            gsum, g.astype(np.float64).sum((0, 2, 3)).astype(dtype), rtol=1e-6, equal_nan=True
        )
        mw, mb = (gdot / dtype(n)).reshape(bc), (gsum / dtype(n)).reshape(bc)
        scale = (w * invstd).reshape(bc)
        _same_bits(gx, (g - xhat * mw - mb) * scale)
        # no gx wanted: the same sums, no array
        gx0, gsum0, gdot0 = K.batch_norm_backward(g, x, mean, invstd, w, False)
    assert gx0 is None
    _same_bits(gsum0, gsum)
    _same_bits(gdot0, gdot)
    if edges:
        assert np.isnan(y[:, 2]).all() and np.isfinite(y[:, [0, 1, 3]]).all()
    assert (xhat[:, 1] == 0).all() and (y[:, 1] == b[1]).all()


@needs_numba
@pytest.mark.parametrize("layout", ["C", "batch-minor"])
def test_batch_norm_backward_from_a_gradient_in_the_other_layout(nthreads, layout):
    """x batch-minor and its gradient C-ordered (or the other way round): the compiled
    backward does not take them, and the NumPy code's backward works from an x-hat made
    again from x. The gradients match the NumPy code's forward and backward, and torch."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    x, g = _bn_case(rng, np.float32, layout, False)
    other = "batch-minor" if layout == "C" else "C"
    g = LAYOUTS[other](np.ascontiguousarray(g))
    assert K.batch_norm_handles(x) and not K.batch_norm_handles(g, x)
    got = _batch_norm_run(x, g, True, mg)
    with K.use(False):
        want = _batch_norm_run(x, g, True, mg)
    ref = _batch_norm_run(x, g, True, torch)
    for a, b, r in zip(got, want, ref, strict=True):
        scale = max(1.0, float(np.abs(r).max()))
        np.testing.assert_allclose(a, b, rtol=0, atol=2e-5 * scale * 8)
        np.testing.assert_allclose(a, r, rtol=0, atol=2e-5 * scale * 8)


@needs_numba
def test_batch_norm_input_changed_in_place_before_the_backward_is_refused():
    """The backward reads x again (for x-hat): x changed after the forward is an error,
    not a gradient from the new values."""
    a = mg.randn(4, 3, 5, 5, requires_grad=True)
    x = a * 1.0
    bn = mg.nn.BatchNorm2d(3)
    y = bn(x)
    assert y.creator.xhat is None  # the compiled loops ran
    x.add_(1.0)
    with pytest.raises(RuntimeError, match="modified in place"):
        y.sum().backward()


@needs_numba
def test_batch_norm_kernels_leave_what_they_do_not_take_to_the_numpy_code():
    x = np.ones((4, 3, 2, 2), np.float32)
    assert not K.batch_norm_handles(x[:0])  # empty batch
    assert not K.batch_norm_handles(x[:, :, :, :1])  # neither C order nor batch-minor
    assert not K.batch_norm_handles(x, _batch_minor(x))  # x and gy in two layouts
    assert K.batch_norm_handles(x, x + 1) and K.batch_norm_handles(_batch_minor(x))
    assert K.batch_norm_handles(np.ones((2, 3, 2, 2, 2), np.float32))  # 5-D, C order


@needs_numba
def test_a_second_order_batch_norm_and_leaky_relu_backward_still_use_the_graph():
    """create_graph=True records the backward with ops (gradgradcheck's path)."""
    x = mg.randn(4, 3, 5, 5, dtype=mg.float64, requires_grad=True)
    bn = mg.nn.BatchNorm2d(3).double()

    def f(x):
        return mg.nn.functional.leaky_relu(bn(x), 0.2)

    assert mg.autograd.gradgradcheck(f, (x,))


def _run(code: str, **env: str) -> str:
    full = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=full,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_environment_switch_and_a_missing_numba_fall_back_to_numpy():
    check = """
        import numpy as np, minigrad as mg
        from minigrad.ops import cpu_kernels as K
        x = mg.tensor(np.arange(-3.0, 3.0, dtype=np.float32).reshape(2, 1, 3, 1))
        y = mg.nn.functional.conv2d(mg.nn.functional.leaky_relu(x, 0.5), mg.ones(1, 1, 2, 1))
        print(K.enabled(), y.flatten().tolist())
    """
    off = _run(check, MINIGRAD_CPU_KERNELS="numpy")
    assert off == "False [-2.5, -1.5, 1.0, 3.0]"
    # Numba missing: its import fails, and the NumPy code runs
    missing = _run("import sys; sys.modules['numba'] = None\n" + textwrap.dedent(check))
    assert missing == off
    if K.available():
        assert _run(check) == "True [-2.5, -1.5, 1.0, 3.0]"


POOLS = [  # (kernel, stride, padding)
    (2, 2, 0),  # the triplet net's
    (3, 2, 1),  # overlapping windows, padding
    (3, 1, 1),
    (2, 1, 0),
    (1, 1, 0),
    (3, 3, 1),
]


def _max_pool_run(x: np.ndarray, g: np.ndarray, k: int, s: int, p: int):
    t = _tensor(x).requires_grad_()
    y = mg.nn.functional.max_pool2d(t, k, s, p)
    y.backward(_tensor(g))
    return y.detach().numpy(), t.grad.numpy()


@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("pool", POOLS, ids=str)
@pytest.mark.parametrize("values", ["ties", "edges", "all -inf"])
def test_max_pool_matches_the_numpy_code_bit_for_bit(nthreads, dtype, pool, values):
    """Batch-minor input (a conv's output) runs compiled; ties go to the first maximum,
    a NaN window's gradient to its last NaN, as PyTorch."""
    torch = pytest.importorskip("torch")
    k, s, p = pool
    rng = np.random.default_rng(4)
    x = rng.integers(-2, 3, (5, 3, 7, 6)).astype(dtype)  # many ties
    if values == "edges":
        x = _with_edges(rng.standard_normal(x.shape).astype(dtype), rng)
    elif values == "all -inf":
        x[:, 1] = -np.inf
    x = _batch_minor(x)
    out_shape = mg.nn.functional.max_pool2d(_tensor(x), k, s, p).shape
    g = _with_edges(rng.standard_normal(out_shape).astype(dtype), rng)
    with np.errstate(all="ignore"):
        got = _max_pool_run(x, g, k, s, p)
        with K.use(False):
            want = _max_pool_run(x, g, k, s, p)
    assert _order(got[0]) == [1, 2, 3, 0] or got[0].shape[2:] == (1, 1)  # batch-minor
    # the maxima: equal, but the compiled one is the value at the argmax, PyTorch's bits
    # (-0.0 tied with 0.0, which NaN), where the NumPy code's np.maximum may differ
    np.testing.assert_array_equal(got[0], want[0])
    _same_bits(got[1], want[1], layout=False)  # the gradient, bit for bit
    tx = torch.tensor(x, requires_grad=True)
    ty = torch.nn.functional.max_pool2d(tx, k, s, p)
    ty.backward(torch.tensor(g))
    _same_bits(np.ascontiguousarray(got[0]), ty.detach().numpy(), layout=False)
    if values != "edges":  # NaN gradients: torch's own CPU kernel picks the NaN by layout
        # (overlapping windows: torch adds a value's gradients in another order)
        np.testing.assert_allclose(got[1], tx.grad.numpy(), rtol=1e-6, atol=4e-6)


@needs_numba
def test_max_pool_on_a_c_ordered_input_takes_the_numpy_code(monkeypatch):
    calls = []
    monkeypatch.setattr(K, "max_pool_forward", lambda *a: calls.append(a))
    x = mg.randn(2, 3, 4, 4)
    mg.nn.functional.max_pool2d(x, 2)
    assert calls == []


@needs_numba
def test_a_division_by_zero_in_a_kernel_gives_numpys_inf_not_an_error():
    """1 / sqrt(0) is inf (error_model="numpy"), not a ZeroDivisionError: batch norm's
    kernel with eps 0 (which batch_norm itself refuses in training) on a constant channel."""
    x = np.ones((4, 2, 3, 3), np.float32)
    x[:, 1] = np.arange(36, dtype=np.float32).reshape(4, 3, 3)
    y, mean, var, invstd = K.batch_norm_forward(x, None, None, 0.0)
    assert invstd[0] == np.inf and var[0] == 0 and np.isnan(y[:, 0]).all()
    assert np.isfinite(y[:, 1]).all()


ADAMS = [
    ("Adam", dict(lr=2e-4, betas=(0.5, 0.999))),  # the GANs': lerp weight 0.5
    ("Adam", dict(lr=1e-3)),
    ("Adam", dict(lr=1e-3, betas=(0.51, 0.9))),  # lerp weight just under 0.5
    ("Adam", dict(lr=1e-2, betas=(0.0, 0.99), weight_decay=0.01, maximize=True)),
    ("AdamW", dict(lr=1e-3, weight_decay=0.1)),
    ("Adam", dict(lr=1e-3, eps=0.0)),  # sqrt(0) / bc2 + 0: a 0 / 0 where v is 0
    # one-element Tensor hyper-parameters are read as their numbers each step
    ("Adam", dict(lr=mg.tensor(1e-3), betas=(mg.tensor(0.8), mg.tensor(0.99)))),
]


def _adam_run(name: str, kw: dict, dtype, steps: int = 4, layout=lambda a: a):
    p = mg.nn.Parameter(_tensor(layout(np.random.default_rng(1).standard_normal((9, 7)))))
    p.data = p.data.to(dtype)
    opt = getattr(mg.optim, name)([p], **kw)
    for s in range(steps):
        g = np.random.default_rng(10 + s).standard_normal((9, 7)).astype(dtype) * 10.0 ** (s - 2)
        g[0, :4] = [np.nan, np.inf, -0.0, 0.0]
        g[1] = 0.0
        p.grad = _tensor(layout(g))
        opt.step()
    st = opt.state[p]
    return [p.detach().numpy(), st["exp_avg"].numpy(), st["exp_avg_sq"].numpy()]


@needs_numba
@pytest.mark.parametrize("dtype", [mg.float32, mg.float64])
@pytest.mark.parametrize("case", ADAMS, ids=str)
@pytest.mark.parametrize("layout", ["C", "transposed"])
def test_adam_step_matches_the_numpy_code_bit_for_bit(nthreads, monkeypatch, dtype, case, layout):
    name, kw = case
    order = (lambda a: a) if layout == "C" else (lambda a: a.T)  # p and grad alike
    calls = []
    original = K.adam_step
    monkeypatch.setattr(K, "adam_step", lambda *a: (calls.append(1), original(*a)))
    with np.errstate(all="ignore"):
        got = _adam_run(name, kw, dtype, layout=order)
        assert len(calls) == 4  # the compiled pass ran each step
        with K.use(False):
            want = _adam_run(name, kw, dtype, layout=order)
    for a, b in zip(got, want, strict=True):
        _same_bits(a, b)


@needs_numba
def test_adam_options_the_kernel_does_not_take_run_the_numpy_code(monkeypatch):
    calls = []
    monkeypatch.setattr(K, "adam_step", lambda *a: calls.append(1))
    _adam_run("Adam", dict(amsgrad=True), mg.float32, steps=1)
    _adam_run("Adam", {}, mg.float16, steps=1)
    p = mg.nn.Parameter(mg.randn(4, 3))
    p.grad = mg.randn(3, 4).T  # p C-ordered, its gradient not
    mg.optim.Adam([p]).step()
    assert calls == []


@needs_numba
def test_adam_on_a_read_only_parameter_raises_numpys_error_as_without_the_kernel():
    def run():
        a = np.ones((3, 4), np.float32)
        a.flags.writeable = False
        p = mg.nn.Parameter(mg.from_numpy(a))
        p.grad = mg.ones(3, 4)
        mg.optim.Adam([p]).step()

    for on in (True, False):
        with K.use(on), pytest.raises(ValueError, match="read-only"):
            run()


@pytest.mark.parametrize("first", ["mg.ones(3)", "mg.arange(3)"])
def test_a_misspelt_kernel_switch_is_refused_naming_the_variable(first):
    """At the first op that asks for the kernels, on float arrays or on integer ones (which
    the kernels do not take)."""
    code = f"import minigrad as mg; mg.relu({first})"
    full = {**os.environ, "PYTHONPATH": str(ROOT), "MINIGRAD_CPU_KERNELS": "nunpy"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=full)
    assert done.returncode != 0
    assert "MINIGRAD_CPU_KERNELS must be 'numba' or 'numpy', got 'nunpy'" in done.stderr


@needs_numba
def test_max_pool_ties_of_signed_zeros_and_nans_give_pytorchs_bits():
    torch = pytest.importorskip("torch")
    x = np.zeros((2, 1, 1, 4), np.float32)
    x[0, 0, 0] = [-0.0, 0.0, 0.0, -0.0]
    x[1, 0, 0, :2] = np.nan
    x[1, 0, 0, 1] = -x[1, 0, 0, 1]  # a NaN with the sign bit set, after a plain NaN
    x = _batch_minor(x)
    got = mg.nn.functional.max_pool2d(_tensor(x), (1, 2)).numpy()
    want = torch.nn.functional.max_pool2d(torch.tensor(x), (1, 2)).numpy()
    _same_bits(np.ascontiguousarray(got), want, layout=False)
    assert np.signbit(got[0, 0, 0]).tolist() == [True, False]  # the first of a tie


@needs_numba
def test_max_pool_of_an_input_with_no_rows_matches_the_numpy_code(monkeypatch):
    """Windows with nothing inside the input are -inf, not whatever the output's fresh
    memory held. One image: its C order is batch-minor too, so the kernel takes it."""
    x = mg.randn(1, 3, 4, 4)[:, :, :0]
    calls = []
    original = K.max_pool_forward
    monkeypatch.setattr(K, "max_pool_forward", lambda *a: (calls.append(1), original(*a))[1])
    got = mg.nn.functional.max_pool2d(x, 2, 2, 1)
    assert calls == [1]  # the compiled kernel ran
    with K.use(False):
        want = mg.nn.functional.max_pool2d(x, 2, 2, 1)
    _same_bits(got.numpy(), want.numpy(), layout=False)


@needs_numba
def test_adamw_with_a_gradient_sharing_the_parameters_memory_decays_it_first():
    """p.grad = p.detach(): the NumPy code (and PyTorch) shrink p, and so the gradient,
    before the moments read it; the compiled loop would read it first."""

    def run():
        p = mg.nn.Parameter(mg.linspace(-1, 1, 6))
        p.grad = p.detach()
        mg.optim.AdamW([p], lr=0.1, weight_decay=0.5).step()
        return p.detach().numpy().copy()

    got = run()
    with K.use(False):
        want = run()
    _same_bits(got, want)


@needs_numba
def test_adam_with_read_only_state_raises_numpys_error():
    def run():
        p = mg.nn.Parameter(mg.ones(3))
        p.grad = mg.ones(3)
        opt = mg.optim.Adam([p])
        opt.step()
        opt.state[p]["exp_avg"]._data.flags.writeable = False
        opt.step()

    for on in (True, False):
        with K.use(on), pytest.raises(ValueError, match="read-only"):
            run()


@needs_numba
@pytest.mark.parametrize("shape", [(2, 0, 5, 5), (0, 3, 5, 5)])
def test_conv2d_with_no_channels_or_no_images_matches_the_numpy_code(shape):
    x = mg.zeros(*shape, requires_grad=True)
    w = mg.ones(2, shape[1], 2, 2, requires_grad=True)
    got = mg.nn.functional.conv2d(x, w)
    with K.use(False):
        want = mg.nn.functional.conv2d(x, w)
    assert got.shape == want.shape == (shape[0], 2, 4, 4)
    assert np.array_equal(got.detach().numpy(), want.detach().numpy())


@needs_numba
def test_use_is_per_thread():
    import threading

    inside, seen = threading.Event(), []

    def other():
        with K.use(False):
            inside.set()
            done.wait(5)
            seen.append(K.enabled())

    done = threading.Event()
    t = threading.Thread(target=other)
    t.start()
    inside.wait(5)
    assert K.enabled()  # this thread keeps its own choice
    with K.use(True):
        pass
    done.set()
    t.join()
    assert seen == [False] and K.enabled()


@needs_numba
def test_batch_norm_sums_do_not_overflow_where_float32_products_would():
    """Values near 1e19: their squares pass float32's 3.4e38; summed in float64 the
    variance stays finite and y matches a float64 computation."""
    x = (np.random.default_rng(5).standard_normal((4, 2, 3, 3)) * 1e19).astype(np.float32)
    y = K.batch_norm_forward(x, None, None, 1e-5)[0]
    x64 = x.astype(np.float64)
    m = x64.mean(axis=(0, 2, 3), keepdims=True)
    ref = (x64 - m) / np.sqrt(((x64 - m) ** 2).mean(axis=(0, 2, 3), keepdims=True) + 1e-5)
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-5)


def _no_cache_script(tmp_path: Path) -> list[str]:
    """minigrad copied where Numba can write no cache (a file where its __pycache__ would
    go, and a user cache folder that is a file)."""
    import shutil

    shutil.copytree(
        ROOT / "minigrad", tmp_path / "minigrad", ignore=shutil.ignore_patterns("__pycache__")
    )
    (tmp_path / "minigrad" / "ops" / "__pycache__").write_text("")
    (tmp_path / "cachefile").write_text("")
    return [str(tmp_path), str(tmp_path / "cachefile")]


@needs_numba
def test_kernels_run_where_numba_can_write_no_cache(tmp_path):
    path, cache = _no_cache_script(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env.update(PYTHONPATH=path, XDG_CACHE_HOME=cache, PYTHONDONTWRITEBYTECODE="1")
    code = (
        "import minigrad as mg; from minigrad.ops import cpu_kernels as K; "
        "print(mg.relu(mg.arange(-2.0, 2.0)).tolist(), K.enabled())"
    )
    done = subprocess.run(  # from tmp_path: `python -c` looks in the working folder first
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[0.0, 0.0, 0.0, 1.0] True"


@needs_numba
def test_numba_disable_jit_runs_the_numpy_code_and_says_so():
    code = (
        "import minigrad as mg; from minigrad.ops import cpu_kernels as K; "
        "print(mg.relu(mg.arange(-2.0, 2.0)).tolist(), K.enabled())"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NUMBA_DISABLE_JIT": "1"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[0.0, 0.0, 0.0, 1.0] False"
    assert "NUMBA_DISABLE_JIT is set" in done.stderr


@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "shape", [(4, 3, 6, 5), (1, 3, 2, 2), (5, 1, 1, 7), (2, 3, 1, 1), (0, 3, 2, 2), (3, 0, 2, 2)]
)
def test_c_order_copy_of_a_batch_minor_array_matches_numpy(nthreads, dtype, shape):
    """The compiled copy a leaf's batch-minor gradient takes into C order: every value in
    its place, NaN, infinities and signed zeros included, for size-1 and empty axes."""
    rng = np.random.default_rng(4)
    x = _batch_minor(_with_edges(rng.standard_normal(shape).astype(dtype), rng))
    assert K.c_order_handles(x)
    got = K.c_order(x)
    assert got.flags.c_contiguous and not np.shares_memory(got, x)
    _same_bits(got, np.ascontiguousarray(x))


@needs_numba
def test_c_order_copy_takes_batch_minor_4d_arrays_only():
    x = np.zeros((2, 3, 4, 5), np.float32)
    assert not K.c_order_handles(x.transpose(0, 2, 3, 1))  # channels last: another order
    assert not K.c_order_handles(LAYOUTS["strided"](x))
    assert not K.c_order_handles(_batch_minor(x).astype(np.int64))  # not a compiled dtype
    assert not K.c_order_handles(np.zeros((3, 4, 5), np.float32).transpose(1, 2, 0))  # 3-D
    assert K.c_order_handles(_batch_minor(x))
    # every other channel of a batch-minor array: still batch-minor within each channel
    gapped = _batch_minor(np.arange(120, dtype=np.float32).reshape(2, 3, 4, 5))[:, ::2]
    assert K.c_order_handles(gapped) and not gapped.flags.c_contiguous
    _same_bits(K.c_order(gapped), np.ascontiguousarray(gapped))


@needs_numba
@pytest.mark.parametrize("op", ["conv2d", "max_pool2d"])
def test_a_leaf_gradient_from_a_batch_minor_backward_is_c_ordered_and_unchanged(nthreads, op):
    """x.grad of a convolution and of max pooling (batch-minor in the walk) is C-ordered,
    as x is, and holds the same bits as with the NumPy code's copy."""
    rng = np.random.default_rng(8)
    a = rng.standard_normal((6, 4, 10, 10)).astype(np.float32)
    w = mg.tensor(rng.standard_normal((5, 4, 3, 3)).astype(np.float32))

    def grad():
        x = mg.tensor(a, requires_grad=True)
        if op == "conv2d":
            y = mg.nn.functional.conv2d(x, w, padding=1)
        else:
            y = mg.nn.functional.max_pool2d(x, 2)
        y.backward(mg.ones_like(y))
        return x.grad._data

    got = grad()
    with K.use(False):
        want = grad()
    assert got.flags.c_contiguous
    _same_bits(got, want)


@needs_numba
@pytest.mark.parametrize("layout", ["C", "strided"])
def test_im2col_of_a_non_batch_minor_x_stages_one_channel_at_a_time(monkeypatch, layout):
    """A C-ordered (or strided) x is not copied batch-minor as a whole first: the staged
    kernel copies one channel at a time; the columns are those of a batch-minor x."""
    K.available()
    calls = []
    staged = K._loops.im2col_staged
    monkeypatch.setattr(
        K._loops, "im2col_staged", lambda *a: calls.append(a[0].shape) or staged(*a)
    )
    monkeypatch.setattr(C, "_batch_minor", lambda a: pytest.fail("a whole batch-minor copy"))
    g = C.ConvGeometry((4, 4), (2, 2), (1, 1), (1, 1), 1)
    x = LAYOUTS[layout](np.random.default_rng(1).standard_normal((5, 3, 8, 8)).astype(np.float32))
    got = C.im2col(x, g, (4, 4))
    want = C.im2col(_batch_minor(np.ascontiguousarray(x)), g, (4, 4))
    np.testing.assert_array_equal(got, want)
    assert calls and all(s == (5, 3, 8, 8) for s in calls)


ERF_EDGES = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-310, -1e-310, 1e-30, 0.5, -0.84375]
ERF_EDGES += [1.25, 2.857, -2.857, 5.9, 6.0, 9.3, 26.5, 27.3, -28.0, 40.0, -1e30, 3e38]


def _erf_inputs(dtype: type, rng: np.random.Generator) -> np.ndarray:
    grid = np.linspace(-10, 10, 20001)
    wide = np.concatenate([grid, rng.standard_normal(3000) * 4, ERF_EDGES])
    with np.errstate(over="ignore"):
        return wide.astype(dtype)


@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["erf", "erfc"])
def test_compiled_erf_and_erfc_match_the_numpy_series(nthreads, monkeypatch, dtype, name):
    """The C library's erf/erfc (compiled) against the NumPy series and continued fraction
    they replace: float32 the same bits (both round a float64 value once), float64 within
    32 ulp (the NumPy code is up to 9 ulp from the exact value at erf(-1.55), 17 at
    erfc(0.998), where it is 1 - erf; the C library's within 2, checked below); NaN,
    infinities, signed zeros and subnormals as they are."""
    if nthreads > 1:
        monkeypatch.setattr(K, "MIN_PARALLEL_ERF", 1)
    x = _erf_inputs(dtype, np.random.default_rng(0))
    op = mg.erf if name == "erf" else mg.special.erfc
    got = op(mg.tensor(x)).numpy()
    with K.use(False):
        want = op(mg.tensor(x)).numpy()
    assert got.dtype == want.dtype == dtype
    if dtype == np.float32:
        _same_bits(got, want)
        return
    assert np.array_equal(np.isnan(got), np.isnan(want))
    num = ~np.isnan(want)
    assert np.array_equal(np.signbit(got[num]), np.signbit(want[num]))
    tiny = np.finfo(np.float64).tiny
    ulps = np.abs(got[num] - want[num]) / np.maximum(np.spacing(np.abs(want[num])), tiny)
    assert ulps.max() <= 32, x[num][np.argmax(ulps)]


@needs_numba
@pytest.mark.parametrize("name", ["erf", "erfc"])
def test_compiled_erf_is_within_two_ulp_of_the_exact_value(name):
    mpmath = pytest.importorskip("mpmath")
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.standard_normal(400) * 3, rng.uniform(-27, 27, 200), [1e-300, -2e-8]])
    got = (mg.erf if name == "erf" else mg.special.erfc)(mg.tensor(x)).numpy()
    f = getattr(mpmath, name)
    with mpmath.workdps(40):
        exact = np.array([float(f(mpmath.mpf(float(v)))) for v in x])
    ok = exact != 0
    ulps = np.abs(got[ok] - exact[ok]) / np.spacing(np.abs(exact[ok]))
    assert ulps.max() <= 2, x[ok][np.argmax(ulps)]


@needs_numba
@pytest.mark.parametrize("shape", [(), (0,), (3, 0, 2)])
def test_compiled_erf_of_empty_and_0d_inputs(shape):
    x = np.full(shape, -0.75, dtype=np.float32)
    for op, f in ((mg.erf, math.erf), (mg.special.erfc, math.erfc)):
        got = op(mg.tensor(x)).numpy()
        assert got.shape == shape and got.dtype == np.float32
        assert np.array_equal(got, np.full(shape, np.float32(f(-0.75))))


@needs_numba
def test_compiled_erf_of_a_strided_view_and_its_gradient():
    base = np.linspace(-3, 3, 60).reshape(6, 10)
    view = base.T[::2]  # not dense
    x = mg.tensor(view, requires_grad=True)
    y = mg.erf(x)
    assert np.array_equal(y.detach().numpy(), np.vectorize(math.erf)(view))
    y.sum().backward()
    assert np.allclose(x.grad.numpy(), 2 / math.sqrt(math.pi) * np.exp(-(view**2)), rtol=1e-15)


@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layout", ["C", "batch-minor", "strided"])
@pytest.mark.parametrize("which", ["arrays", "scalar b", "scalar a", "both scalar"])
def test_where_is_numpys_where_bit_for_bit(nthreads, dtype, layout, which):
    """The compiled select against np.where: NaN payloads, infinities and signed zeros
    kept, the result in the operands' layout; strided and two-scalar cases take NumPy."""
    rng = np.random.default_rng(3)
    shape = (5, 3, 4, 6)
    a = _with_edges(rng.standard_normal(shape).astype(dtype), rng)
    b = _with_edges(rng.standard_normal(shape).astype(dtype), rng)
    c = rng.standard_normal(shape) > 0
    a, b, c = LAYOUTS[layout](a), LAYOUTS[layout](b), LAYOUTS[layout](c)
    if which in ("scalar b", "both scalar"):
        b = -0.0
    if which in ("scalar a", "both scalar"):
        a = float("nan")
    mk = lambda v: mg.tensor(v) if isinstance(v, np.ndarray) else v  # noqa: E731
    got = mg.where(mg.tensor(c), mk(a), mk(b)).numpy()
    with K.use(False):
        want = mg.where(mg.tensor(c), mk(a), mk(b)).numpy()
    _same_bits(got, want, layout=layout != "strided")
    ref = np.where(c, a, b).astype(got.dtype)
    _same_bits(got, ref, layout=False)


@needs_numba
@pytest.mark.parametrize("shape", [(), (0,), (3, 0), (1,), (1, 1)])
def test_where_of_0d_empty_and_one_value_tensors(shape):
    c = np.ones(shape, dtype=bool)
    x = np.full(shape, 2.5, dtype=np.float32)
    for a, b in ((x, x * 0), (x, 0.0), (0.0, x)):
        got = mg.where(
            mg.tensor(c), *(mg.tensor(v) if isinstance(v, np.ndarray) else v for v in (a, b))
        )
        assert got.shape == shape and got.dtype == mg.float32
        assert np.array_equal(got.numpy(), np.where(c, a, b).astype(np.float32))


@needs_numba
def test_where_broadcasting_the_mask_or_a_row_takes_numpy_and_its_gradients_hold():
    rng = np.random.default_rng(4)
    x = mg.tensor(rng.standard_normal((6, 5)), requires_grad=True)
    row = mg.tensor(rng.standard_normal((1, 5)), requires_grad=True)
    c = mg.tensor(rng.standard_normal((6, 1)) > 0)
    y = mg.where(c, x, row)  # the mask and a row broadcast: NumPy's where
    assert np.array_equal(
        y.detach().numpy(), np.where(c.numpy(), x.detach().numpy(), row.detach().numpy())
    )
    y.sum().backward()
    keep = np.broadcast_to(c.numpy(), (6, 5))
    assert np.array_equal(x.grad.numpy(), keep.astype(np.float64))
    assert np.array_equal(row.grad.numpy(), (~keep).sum(0, keepdims=True).astype(np.float64))
    x.grad = None
    mg.where(x > 0, x, 0.0).sum().backward()  # the compiled one: the gradient of its branch
    assert np.array_equal(x.grad.numpy(), (x.detach().numpy() > 0).astype(np.float64))
