"""Winograd's F(2x2, 2x2) and F(4x4, 2x2) for k4 s2 convolutions
(minigrad/ops/winograd.py), each tile size against the im2col path (conv.py, with
MIN_SAVED out of reach) and against PyTorch: forward, input and weight gradients,
conv_transpose2d, double backward, odd sizes and every padding, layouts, the thresholds
and the choice of tile size, and infinities and NaNs, which must come out where im2col
and PyTorch put them. A counter on winograd.conv / conv_transpose / grad_weight proves that
each case ran the path it claims to test."""

from __future__ import annotations

import numpy as np
import pytest
from op_cases import torch_or_skip

import minigrad as mg
import minigrad.nn.functional as F
from minigrad.ops import cpu_kernels as K
from minigrad.ops import winograd as W
from minigrad.ops.layout import is_batch_minor

pytestmark = pytest.mark.skipif(not K.available(), reason="Numba is not installed")


@pytest.fixture
def calls(monkeypatch):
    """How often each Winograd product ran (and returned a result)."""
    counts = {"conv": 0, "conv_transpose": 0, "grad_weight": 0}
    for name in counts:
        original = getattr(W, name)

        def counted(*args, _name=name, _original=original, **kwargs):
            out = _original(*args, **kwargs)
            counts[_name] += out is not None
            return out

        monkeypatch.setattr(W, name, counted)
    return counts


@pytest.fixture(params=[2, 4], ids=["F2", "F4"])
def small(request, monkeypatch):
    """Winograd for any size, so that small cases take it, with each tile size in turn;
    afterwards, every tile array the products read was of that size."""
    m = request.param
    monkeypatch.setattr(W, "MIN_SAVED", -(1 << 62))
    monkeypatch.setattr(W, "tile_size", lambda out_hw, n: m)
    sizes = []
    original = W._size
    monkeypatch.setattr(W, "_size", lambda tiles: sizes.append(original(tiles)) or sizes[-1])
    yield m
    assert set(sizes) <= {m}


def _im2col(fn):
    """fn() run on conv.py's im2col path."""
    before = W.MIN_SAVED
    W.MIN_SAVED = 1 << 62
    try:
        return fn()
    finally:
        W.MIN_SAVED = before


def _conv_grads(x, w, b, gy, padding, transposed=False, output_padding=0):
    """Output and gradients of x, w, b of conv2d (or conv_transpose2d) for gy."""
    ts = [mg.tensor(a, requires_grad=True) for a in (x, w, b) if a is not None]
    if transposed:
        y = F.conv_transpose2d(*ts, stride=2, padding=padding, output_padding=output_padding)
    else:
        y = F.conv2d(*ts, stride=2, padding=padding)
    g = gy if gy is not None else np.ones(y.shape, x.dtype)
    grads = mg.autograd.grad(y, ts, grad_outputs=mg.from_numpy(g))  # g's layout kept
    return [y.detach().numpy()] + [t.numpy() for t in grads]


SHAPES = [
    # N, C, H, W, OC, padding
    (2, 3, 6, 6, 5, 1),
    (3, 4, 7, 9, 2, 0),
    (1, 2, 14, 14, 3, 1),
    (2, 2, 5, 4, 2, (3, 0)),
    (2, 1, 4, 4, 1, 0),
    (4, 3, 9, 8, 4, 2),
    (1, 5, 28, 28, 6, 1),
    (2, 2, 11, 12, 3, 0),  # row 10 is read by no output, nor by F(4x4, 2x2)'s phase images
]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_matches_im2col(small, calls, shape, dtype):
    n, c, h, wd, oc, padding = shape
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, c, h, wd)).astype(dtype)
    w = rng.standard_normal((oc, c, 4, 4)).astype(dtype)
    b = rng.standard_normal(oc).astype(dtype)
    out_shape = _im2col(lambda: _conv_grads(x, w, b, None, padding)[0].shape)
    gy = rng.standard_normal(out_shape).astype(dtype)
    got = _conv_grads(x, w, b, gy, padding)
    assert calls == {"conv": 1, "conv_transpose": 1, "grad_weight": 1}
    want = _im2col(lambda: _conv_grads(x, w, b, gy, padding))
    rtol = 1e-12 if dtype == np.float64 else 2e-5
    for name, a, e in zip(["y", "gx", "gw", "gb"], got, want, strict=True):
        assert a.dtype == dtype and a.shape == e.shape, name
        scale = np.abs(e).max()
        np.testing.assert_allclose(a, e, rtol=0, atol=rtol * scale, err_msg=name)


@pytest.mark.parametrize("output_padding", [0, 1])
@pytest.mark.parametrize("padding", [0, 1, 2])
def test_conv_transpose_matches_im2col(small, calls, padding, output_padding):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 4, 5, 6))
    w = rng.standard_normal((4, 3, 4, 4))  # (C in, C out, 4, 4)
    b = rng.standard_normal(3)

    def run():
        return _conv_grads(x, w, b, None, padding, True, output_padding)

    got = run()
    assert calls["conv_transpose"] == 1 and calls["conv"] == 1 and calls["grad_weight"] == 1
    for name, a, e in zip(["y", "gx", "gw", "gb"], got, _im2col(run), strict=True):
        np.testing.assert_allclose(a, e, rtol=1e-12, atol=1e-12, err_msg=name)


def test_layouts(small, calls):
    """C-ordered, batch-minor and sliced inputs, a transposed weight: the same values, and
    the output in the layout the im2col path gives."""
    rng = np.random.default_rng(2)
    base = rng.standard_normal((3, 4, 10, 10))
    w = rng.standard_normal((4, 5, 4, 4)).transpose(1, 0, 2, 3)  # (5, 4, 4, 4), strided
    inputs = {
        "C order": base,
        "batch-minor": np.ascontiguousarray(base.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2),
        "sliced": np.pad(base, ((0, 0), (0, 0), (1, 1), (2, 0)))[:, :, 1:-1, 2:],
    }
    want = _im2col(lambda: F.conv2d(mg.tensor(base), mg.tensor(w), stride=2, padding=1))
    for name, x in inputs.items():
        y = F.conv2d(mg.from_numpy(x), mg.from_numpy(w), stride=2, padding=1)  # as laid out
        np.testing.assert_allclose(y.numpy(), want.numpy(), rtol=1e-12, atol=1e-12, err_msg=name)
        assert y._data.strides == want._data.strides, name
    assert calls["conv"] == len(inputs)


@pytest.mark.parametrize("layout", ["C order", "batch-minor"])
def test_gradient_layouts(small, calls, layout):
    """An output gradient in C order (read through a batch-minor copy of each channel) or
    batch-minor (read directly), with a bias: the same gradients as im2col."""
    rng = np.random.default_rng(8)
    x = rng.standard_normal((3, 4, 10, 10))
    w = rng.standard_normal((5, 4, 4, 4))
    b = rng.standard_normal(5)
    gy = rng.standard_normal((3, 5, 5, 5))
    if layout == "batch-minor":
        gy = np.ascontiguousarray(gy.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
    assert is_batch_minor(mg.from_numpy(gy)._data) == (layout == "batch-minor")
    got = _conv_grads(x, w, b, gy, 1)
    assert calls == {"conv": 1, "conv_transpose": 1, "grad_weight": 1}
    for a, e in zip(got, _im2col(lambda: _conv_grads(x, w, b, gy, 1)), strict=True):
        np.testing.assert_allclose(a, e, rtol=1e-12, atol=1e-12)


def test_gradcheck_and_gradgradcheck(small, calls):
    rng = np.random.default_rng(3)
    x = mg.tensor(rng.standard_normal((2, 2, 6, 5)), requires_grad=True)
    w = mg.tensor(rng.standard_normal((3, 2, 4, 4)), requires_grad=True)

    def conv(x, w):
        return F.conv2d(x, w, stride=2, padding=1)

    def transposed(x, w):
        return F.conv_transpose2d(x, w.transpose(0, 1), stride=2, padding=1)

    assert mg.autograd.gradcheck(conv, (x, w))
    assert mg.autograd.gradgradcheck(conv, (x, w))
    assert mg.autograd.gradcheck(transposed, (x[:, :, :3, :3].detach().requires_grad_(), w))
    assert calls["conv"] and calls["conv_transpose"] and calls["grad_weight"]


def test_double_backward_matches_im2col(small, calls):
    rng = np.random.default_rng(4)
    x0 = rng.standard_normal((2, 3, 8, 8))
    w0 = rng.standard_normal((4, 3, 4, 4))

    def run():
        x = mg.tensor(x0, requires_grad=True)
        w = mg.tensor(w0, requires_grad=True)
        y = F.conv2d(x, w, stride=2, padding=1)
        gx, gw = mg.autograd.grad((y**2).sum(), (x, w), create_graph=True)
        return [a.numpy() for a in mg.autograd.grad((gx**2).sum() + (gw**3).sum(), (x, w))]

    got = run()
    assert calls["conv"] and calls["conv_transpose"] and calls["grad_weight"]
    for a, e in zip(got, _im2col(run), strict=True):
        np.testing.assert_allclose(a, e, rtol=1e-10, atol=1e-10)


def test_dcgan_layer_against_torch(calls):
    """DCGAN's 64 -> 128 layer and its transpose at the default threshold, float32."""
    torch = torch_or_skip()
    rng = np.random.default_rng(5)
    x = rng.standard_normal((64, 64, 14, 14)).astype(np.float32)
    w = (rng.standard_normal((128, 64, 4, 4)) * 0.05).astype(np.float32)
    gy = rng.standard_normal((64, 128, 7, 7)).astype(np.float32)
    got = _conv_grads(x, w, None, gy, 1)
    tx, tw = (torch.tensor(a, requires_grad=True) for a in (x, w))
    ty = torch.nn.functional.conv2d(tx, tw, stride=2, padding=1)
    tgrads = torch.autograd.grad(ty, (tx, tw), torch.tensor(gy))
    want = [ty.detach().numpy(), *(t.numpy() for t in tgrads)]
    for name, a, e in zip(["y", "gx", "gw"], got, want, strict=True):
        np.testing.assert_allclose(a, e, rtol=0, atol=2e-5 * np.abs(e).max(), err_msg=name)
    # the generator's 128 -> 64 transposed layer
    z = rng.standard_normal((64, 128, 7, 7)).astype(np.float32)
    y = F.conv_transpose2d(mg.tensor(z), mg.tensor(w), stride=2, padding=1).numpy()
    ty = torch.nn.functional.conv_transpose2d(torch.tensor(z), torch.tensor(w), stride=2, padding=1)
    np.testing.assert_allclose(y, ty.numpy(), rtol=0, atol=2e-5 * np.abs(y).max())
    assert calls == {"conv": 1, "conv_transpose": 2, "grad_weight": 1}


@pytest.mark.parametrize(
    "case",
    [
        lambda: (np.ones((4, 3, 4, 4)), (1, 3, 8, 8)),  # a small product
        lambda: (np.ones((64, 3, 3, 3)), (1, 3, 8, 8)),  # a 3x3 kernel
    ],
    ids=["small", "3x3"],
)
def test_other_convolutions_keep_im2col(calls, case):
    w, x_shape = case()
    F.conv2d(mg.tensor(np.ones(x_shape)), mg.tensor(w), stride=2, padding=1)
    assert calls["conv"] == 0


def test_thresholds_and_dtypes(calls, monkeypatch):
    x = np.ones((2, 16, 8, 8))
    w = np.ones((16, 16, 4, 4))
    saving = W.saved(w.shape, 2, (4, 4))
    assert saving == 16 * 16 * 2 * (16 * 16 - 36 * 4)  # F(2x2): 4 tiles of 9 products
    assert W.saved(w.shape, 256, (4, 4)) == 16 * 16 * 256 * (16 * 16 - 100)  # F(4x4): 1 of 25
    F.conv2d(mg.tensor(x), mg.tensor(w), stride=2, padding=1)
    assert calls["conv"] == 0  # far below MIN_SAVED
    monkeypatch.setattr(W, "MIN_SAVED", saving)
    F.conv2d(mg.tensor(x), mg.tensor(w), stride=2, padding=1)
    assert calls["conv"] == 1  # at MIN_SAVED
    F.conv2d(mg.tensor(x), mg.tensor(w), stride=2, padding=1, dilation=2)
    F.conv2d(mg.tensor(x), mg.tensor(w.reshape(32, 8, 4, 4)), stride=2, padding=1, groups=2)
    F.conv2d(mg.tensor(x.astype(np.float16)), mg.tensor(w.astype(np.float16)), stride=2)
    F.conv2d(mg.tensor(x[:0]), mg.tensor(w), stride=2, padding=1)  # an empty batch
    with K.use(False):
        F.conv2d(mg.tensor(x), mg.tensor(w), stride=2, padding=1)
    assert calls["conv"] == 1
    monkeypatch.setattr(W, "MIN_SAVED", saving + 1)
    F.conv2d(mg.tensor(x), mg.tensor(w), stride=2, padding=1)
    assert calls["conv"] == 1


def test_tile_size_rule(monkeypatch):
    """F(4x4, 2x2) where its products are at most 3/4 of F(2x2, 2x2)'s and have 256 columns
    or more: 7x7 and 8x8 outputs at batch 64, not 14x14 (its 4x4 tiles waste a quarter),
    not batch 32 or a 4x4 output at batch 64 (too few tiles); never with LARGE_TILES off."""
    assert W.tile_size((7, 7), 64) == 4 and W.tile_size((8, 8), 64) == 4
    assert W.tile_size((7, 7), 32) == 2 and W.tile_size((4, 4), 64) == 2
    assert W.tile_size((14, 14), 64) == 2 and W.tile_size((28, 28), 64) == 4
    assert W.tile_size((4, 4), 256) == 4 and W.tile_size((7, 5), 64) == 2  # 100 > 0.75 * 108
    monkeypatch.setattr(W, "LARGE_TILES", False)
    assert W.tile_size((7, 7), 64) == 2 and W.tile_size((8, 8), 64) == 2


@pytest.mark.parametrize("m", [2, 4])
def test_transforms_compute_the_correlation(m):
    """A' [(G g) * (B' d)] is the 2-tap correlation y_i = d_i g_0 + d_(i+1) g_1 for every d
    and g: sum_p A'[i, p] G[p, k] B'[p, j] is 1 where j = i + k, else 0 (float64, so the
    ninths of F(4x4, 2x2)'s G round, to 1e-15). And point 1 is column 1 of A' (bias_grad)."""
    bt, g, at = W.TRANSFORMS[m]
    assert bt.shape == (m + 1, m + 1) and g.shape == (m + 1, 2) and at.shape == (m, m + 1)
    got = np.einsum("ip,pk,pj->ikj", at, g, bt)
    want = np.zeros((m, 2, m + 1))
    for i in range(m):
        for k in range(2):
            want[i, k, i + k] = 1
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-15)
    np.testing.assert_array_equal(at[:, 1], np.ones(m))


def test_tiles_must_be_rows_of_one_array():
    rng = np.random.default_rng(10)
    padded = W._rows(25, 8, 16, np.float32)
    assert W._flat(padded).shape == (25, 8 * 16 + 16) and W._flat(padded).flags.c_contiguous
    assert np.shares_memory(W._flat(padded), padded)
    with pytest.raises(ValueError, match=r"winograd: tiles of shape \(25, 8, 8\)"):
        W._flat(rng.standard_normal((25, 8, 16))[:, :, ::2])


def test_dcgan_layers_take_it_at_the_default():
    """The saving rule at its default: DCGAN's 64 <-> 128 layer at batch 64 runs Winograd
    (F(4x4, 2x2)), the same layer at batch 16 and its 1 -> 64 first layer do not."""
    assert W.tile_size((7, 7), 64) == 4
    assert W.saved((128, 64, 4, 4), 64, (7, 7)) >= W.MIN_SAVED
    assert W.saved((128, 64, 4, 4), 16, (7, 7)) < W.MIN_SAVED
    assert W.saved((64, 1, 4, 4), 64, (14, 14)) < W.MIN_SAVED


@pytest.mark.parametrize("where", ["x", "w", "gy"])
@pytest.mark.parametrize("value", [np.inf, -np.inf, np.nan])
def test_nonfinite_as_im2col_and_torch(small, calls, where, value):
    """An inf in x makes Winograd's tiles subtract it from itself (NaN where im2col gives
    inf); every result with an inf or a NaN comes from im2col instead, bit for bit, so its
    infs and NaNs sit where PyTorch's do; the finite results stay Winograd's."""
    torch = torch_or_skip()
    rng = np.random.default_rng(6)
    arrays = {
        "x": rng.standard_normal((2, 3, 8, 8)),
        "w": rng.standard_normal((4, 3, 4, 4)),
        "gy": rng.standard_normal((2, 4, 4, 4)),
    }
    arrays[where][0, 1, 2, 2] = value
    x, w, gy = arrays["x"], arrays["w"], arrays["gy"]
    got = _conv_grads(x, w, None, gy, 1)
    want = _im2col(lambda: _conv_grads(x, w, None, gy, 1))
    finite = [bool(np.isfinite(e).all()) for e in want]
    assert not all(finite)
    # no Winograd result with an inf or a NaN stands (after a forward pass that fell back,
    # its backward runs on im2col's columns too)
    counts = [calls["conv"], calls["conv_transpose"], calls["grad_weight"]]
    assert all(fin or not count for count, fin in zip(counts, finite, strict=True))
    assert calls["conv"] == finite[0]
    for a, e, fin in zip(got, want, finite, strict=True):
        if fin:
            np.testing.assert_allclose(a, e, rtol=1e-12, atol=1e-12)
        else:
            np.testing.assert_array_equal(a, e)
    tx, tw = (torch.tensor(a, requires_grad=True) for a in (x, w))
    ty = torch.nn.functional.conv2d(tx, tw, stride=2, padding=1)
    tgrads = torch.autograd.grad(ty, (tx, tw), torch.tensor(gy))
    for a, t in zip(got, [ty.detach(), *tgrads], strict=True):
        t = t.numpy()
        assert np.array_equal(np.isnan(a), np.isnan(t)) and np.array_equal(np.isinf(a), np.isinf(t))
        fin = np.isfinite(t)
        np.testing.assert_allclose(a[fin], t[fin], rtol=1e-10, atol=1e-10)


def test_finite_results_stay_on_winograd(small, calls):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 3, 8, 8)) * 1e300  # large, finite, and no overflow
    _conv_grads(x, rng.standard_normal((4, 3, 4, 4)), None, None, 1)
    assert calls == {"conv": 1, "conv_transpose": 1, "grad_weight": 1}


def test_input_gradient_written_over_the_kept_tiles(small, monkeypatch):
    """conv2d's backward hands its own input tiles, read by the weight gradient just
    before, to the input gradient's products as their output buffer (as it hands over
    im2col's columns): the same array, not a fresh one."""
    seen = []
    original = W.conv_transpose

    def spy(m, w, g, out_hw, x_shape, out=None):
        seen.append(out)
        return original(m, w, g, out_hw, x_shape, out)

    monkeypatch.setattr(W, "conv_transpose", spy)
    made = []
    original_tiles = W.input_tiles
    monkeypatch.setattr(W, "input_tiles", lambda *a: made.append(original_tiles(*a)) or made[-1])
    rng = np.random.default_rng(9)
    x = mg.tensor(rng.standard_normal((2, 3, 8, 8)), requires_grad=True)
    w = mg.tensor(rng.standard_normal((4, 3, 4, 4)), requires_grad=True)
    F.conv2d(x, w, stride=2, padding=1).sum().backward()
    assert len(made) == 1 and len(seen) == 1 and seen[0] is made[0]


def test_split_products_match_the_batch_in_one_call(small, calls, monkeypatch):
    """Each pass's batch of products, a share per thread (threads.products) or all in one
    np.matmul: the same results, on the threads' and the BLAS's own paths."""
    from minigrad import threads

    rng = np.random.default_rng(11)
    x = rng.standard_normal((8, 6, 10, 10)).astype(np.float32)
    w = rng.standard_normal((5, 6, 4, 4)).astype(np.float32)
    gy = rng.standard_normal((8, 5, 5, 5)).astype(np.float32)
    before = threads.get_num_threads()
    threads.set_num_threads(2)
    try:
        split = _conv_grads(x, w, None, gy, 1)
        monkeypatch.setattr(threads, "SPLIT_PRODUCTS", False)
        whole = _conv_grads(x, w, None, gy, 1)
    finally:
        threads.set_num_threads(before)
    for name, a, e in zip(["y", "gx", "gw"], split, whole, strict=True):
        np.testing.assert_allclose(a, e, rtol=0, atol=1e-6 * np.abs(e).max(), err_msg=name)
    assert calls == {"conv": 2, "conv_transpose": 2, "grad_weight": 2}
