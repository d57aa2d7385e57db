"""Tanh's and sigmoid's float32 forwards (compiled float64 passes, split over threads) and
Tanh's first-order backward on arrays: the same bits as NumPy's float64 steps rounded
once and as the recorded ops, in every layout, for every float32 value (the whole range
in a slow test)."""

import numpy as np
import pytest
from op_cases import torch_or_skip

import minigrad as mg
from minigrad.ops import cpu_kernels
from minigrad.ops.cpu_kernels import MIN_PARALLEL_TANH


def _reference(a):
    return np.tanh(a.astype(np.float64)).astype(a.dtype)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("layout", ["c", "transposed", "strided", "small"])
def test_forward_bits_in_every_layout(threads, layout):
    rng = np.random.default_rng(0)
    n = MIN_PARALLEL_TANH // 64 + 3  # rows of 64: just over the split threshold
    a = (rng.standard_normal((n, 64)) * 4).astype(np.float32)
    a[0, :4] = [np.inf, -np.inf, np.nan, -0.0]
    a[1, :3] = [9.0, 9.02, 20.0]
    if layout == "transposed":
        a = a.T  # dense, F-ordered
    elif layout == "strided":
        a = a[:, ::2]  # not dense
    elif layout == "small":
        a = a[:5]
    before = mg.get_num_threads()
    mg.set_num_threads(threads)
    try:
        y = mg.tensor(a).tanh().numpy()
    finally:
        mg.set_num_threads(before)
    np.testing.assert_array_equal(y, _reference(a))
    assert y.flags.c_contiguous or layout == "transposed"
    torch = torch_or_skip()
    np.testing.assert_allclose(y, torch.tanh(torch.tensor(a)).numpy(), rtol=2e-7, atol=0)


def _numpy_sigmoid(x):
    with cpu_kernels.use(False):  # activation._sigmoid's NumPy steps, in float64
        return mg.sigmoid(mg.tensor(x)).numpy()


REFERENCES = {"tanh": _reference, "sigmoid": _numpy_sigmoid}


def _bits_of(name, bits, threads=1):
    """`name` (tanh or sigmoid) of the float32 values with these bit patterns: minigrad's
    (on `threads` threads) and the reference, with NaNs' payloads made equal."""
    x = bits.view(np.float32)
    before = mg.get_num_threads()
    mg.set_num_threads(threads)
    try:
        y = getattr(mg, name)(mg.tensor(x)).numpy()
    finally:
        mg.set_num_threads(before)
    with np.errstate(invalid="ignore"):
        ref = REFERENCES[name](x)
    both_nan = np.isnan(y) & np.isnan(ref)
    return np.where(both_nan, 0, y.view(np.uint32)), np.where(both_nan, 0, ref.view(np.uint32))


def _float_bits(lo, hi, step=1):
    """The bit patterns of the float32 values from lo to hi (both of one sign)."""
    a, b = (int(np.float32(v).view(np.uint32)) for v in (lo, hi))
    return np.arange(min(a, b), max(a, b) + 1, step, dtype=np.uint64).astype(np.uint32)


# where the results round to 1 or 0 (tanh's 9.01; sigmoid's 16.6 on the right and its
# subnormal results, then 0, on the left), and where they are x or 1/2 for tiny x
EDGES = {
    "tanh": [
        _float_bits(8.9, 9.1),
        _float_bits(0, 2**-20, 4099),
        _float_bits(-0.0, -(2**-20), 4099),
    ],
    "sigmoid": [_float_bits(16, 18), _float_bits(-86, -112, 3), _float_bits(0, 2**-20, 4099)],
}


def _exact(name, x):
    """mpmath's value of tanh or sigmoid at the float32 x (to 120 bits)."""
    import mpmath

    with mpmath.workprec(120):
        v = mpmath.mpf(float(x))
        return mpmath.tanh(v) if name == "tanh" else 1 / (1 + mpmath.exp(-v))


def _assert_same_or_nearer(name, bits, got, ref, most):
    """got (the compiled pass) equals ref (NumPy's float64 steps, rounded) but at `most`
    values at most, and at each of those got is as near the exact value as ref (mpmath):
    where the exact value lies within float64's error of a midpoint between two float32
    values, which of the two a float64 step rounds to depends on its last bit, and NumPy's
    float64 tanh and exp differ between builds and machines."""
    apart = np.nonzero(got != ref)[0]
    assert apart.size <= most, [hex(int(b)) for b in bits[apart[:5]]]
    if apart.size:
        pytest.importorskip("mpmath")
        for i in apart:
            g, r = (np.uint32(v).view(np.float32) for v in (got[i], ref[i]))
            exact = _exact(name, bits[i : i + 1].view(np.float32)[0])
            assert abs(float(g) - exact) <= abs(float(r) - exact), hex(int(bits[i]))


@pytest.mark.parametrize("name", ["tanh", "sigmoid"])
@pytest.mark.parametrize("threads", [1, 2])
def test_compiled_pass_is_the_float64_bits_on_random_bit_patterns(name, threads):
    """2^21 random float32 bit patterns (subnormals, NaNs with payloads, infinities, both
    zeros), and dense runs of values around the edges (EDGES)."""
    rng = np.random.default_rng(7)
    bits = rng.integers(0, 1 << 32, 1 << 21, dtype=np.uint64).astype(np.uint32)
    for b in [bits, *EDGES[name]]:
        got, ref = _bits_of(name, b, threads)
        _assert_same_or_nearer(name, b, got, ref, most=2)


@pytest.mark.parametrize("name", ["tanh", "sigmoid"])
def test_numpy_path_without_compiled_loops_is_the_same_bits(name):
    x = (np.random.default_rng(3).standard_normal(5000) * 4).astype(np.float32)
    with cpu_kernels.use(False):
        off = getattr(mg, name)(mg.tensor(x)).numpy()
    np.testing.assert_array_equal(off, getattr(mg, name)(mg.tensor(x)).numpy())
    if name == "tanh":
        np.testing.assert_array_equal(off, _reference(x))
    else:  # within an ulp of the float64 value
        x64 = x.astype(np.float64)
        np.testing.assert_allclose(off, 1 / (1 + np.exp(-x64)), rtol=6e-8, atol=0)


# the float32 inputs whose sigmoid the compiled pass and the NumPy steps round apart on
# the machine of docs/kernels.md: the exact value lies within 4e-17 (relative) of the
# midpoint of two float32 values, beyond float64's reach
SIGMOID_NEAR_MIDPOINT = (0x37260000, 0xB6DA0000, 0xB6E20000)


def test_sigmoid_near_midpoints_is_correctly_rounded():
    pytest.importorskip("mpmath")
    x = np.array(SIGMOID_NEAR_MIDPOINT, np.uint32).view(np.float32)
    got = mg.sigmoid(mg.tensor(x)).numpy()
    for xi, g in zip(x, got, strict=True):
        exact = _exact("sigmoid", xi)
        neighbours = np.nextafter(g, np.float32([-1, 2]))
        assert all(abs(float(g) - exact) < abs(float(n) - exact) for n in neighbours)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["tanh", "sigmoid"])
def test_compiled_pass_is_the_float64_bits_for_every_float32(name):
    """All 2^32 float32 values, in chunks of 2^24 (one to two minutes each): on the
    machine of docs/kernels.md tanh's every one, sigmoid's all but SIGMOID_NEAR_MIDPOINT;
    anywhere, a few at most, each as near the exact value as NumPy's."""
    chunk = 1 << 24
    apart = 0
    for c in range(1 << 8):
        bits = np.arange(c * chunk, (c + 1) * chunk, dtype=np.uint64).astype(np.uint32)
        got, ref = _bits_of(name, bits)
        _assert_same_or_nearer(name, bits, got, ref, most=16)
        apart += int((got != ref).sum())
    assert apart <= 16


@pytest.mark.parametrize("shape", [(), (0,), (3, 5), (MIN_PARALLEL_TANH + 7,)])
def test_first_order_backward_is_the_recorded_ops_bits(shape):
    rng = np.random.default_rng(1)
    x = mg.tensor((rng.standard_normal(shape) * 3).astype(np.float32), requires_grad=True)
    gy = mg.tensor(rng.standard_normal(shape).astype(np.float32))
    y = x.tanh()
    (first,) = mg.autograd.grad(y, x, gy, retain_graph=True)
    (recorded,) = mg.autograd.grad(y, x, gy, create_graph=True)
    np.testing.assert_array_equal(first.numpy(), recorded.detach().numpy())
    torch = torch_or_skip()
    t = torch.tensor(x.detach().numpy(), requires_grad=True)
    torch.tanh(t).backward(torch.tensor(gy.numpy()))
    # 1 - y^2 near |y| = 1 keeps the 1-ulp difference of the two tanh's in absolute terms
    np.testing.assert_allclose(first.numpy(), t.grad.numpy(), rtol=1e-6, atol=1e-6)


def test_backward_of_a_float64_gradient_keeps_the_ops():
    """A gradient of another dtype than the output goes through the ops (which cast)."""
    x = mg.tensor(np.array([0.5, -2.0], np.float32), requires_grad=True)
    y = x.tanh()
    y.backward(mg.tensor(np.array([1.0, 2.0])))
    assert x.grad.dtype == mg.float32
    np.testing.assert_allclose(
        x.grad.numpy(), [1 - np.tanh(0.5) ** 2, 2 * (1 - np.tanh(2.0) ** 2)], rtol=1e-6
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "layout", ["c", "transposed", "gradient_transposed", "gradient_batch_minor"]
)
def test_first_order_backward_compiled_pass_is_numpys_bits(dtype, layout):
    """The one-pass kernel (same layouts, or a batch-minor gradient copied into a C-ordered
    output's layout) and NumPy's three passes (use(False), or a gradient in another 2-D
    layout) give the same bits, NaN, infinity and signed zeros too."""
    rng = np.random.default_rng(2)
    a = (rng.standard_normal((40, 36)) * 3).astype(dtype)
    a[0, :6] = [np.inf, -np.inf, np.nan, -0.0, 0.0, 30.0]
    g = (rng.standard_normal((40, 36)) * 1e3).astype(dtype)
    g[1, :5] = [np.inf, np.nan, -0.0, np.finfo(dtype).max, -np.inf]
    if layout in ("transposed", "gradient_transposed"):
        a = np.ascontiguousarray(a.T).T  # F-ordered
    if layout == "transposed":
        g = np.ascontiguousarray(g.T).T
    if layout == "gradient_batch_minor":  # (N, C, H, W), the gradient with N fastest
        a, g = a.reshape(4, 10, 6, 6), g.reshape(4, 10, 6, 6)
        g = np.ascontiguousarray(g.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)

    def first_order(compiled):
        with cpu_kernels.use(compiled):
            x = mg.from_numpy(a).requires_grad_()  # (from_numpy keeps a's layout)
            (gx,) = mg.autograd.grad(x.tanh(), x, mg.from_numpy(g))
        return gx.numpy()

    fast, plain = first_order(True), first_order(False)
    if layout in ("transposed", "gradient_transposed"):  # in y's layout
        assert fast.flags.f_contiguous and not fast.flags.c_contiguous
    else:
        assert fast.flags.c_contiguous and not fast.flags.f_contiguous
    assert fast.dtype == plain.dtype == dtype
    bits = [np.ascontiguousarray(r).view(np.uint8) for r in (fast, plain)]
    np.testing.assert_array_equal(*bits)
    y = np.tanh(a.astype(np.float64)).astype(dtype)
    with np.errstate(invalid="ignore", over="ignore"):
        np.testing.assert_array_equal(fast, g * (1 - y * y))
