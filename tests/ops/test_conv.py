"""conv2d / conv_transpose2d: torch agreement (values and gradients), gradcheck and
gradgradcheck over drawn configurations, the im2col/col2im adjoint, output sizes,
validation, column reuse and freeing."""

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from op_cases import torch_or_skip

import minigrad as mg
import minigrad.ops.conv as conv_mod
from minigrad.backend import as_numpy
from minigrad.ops.conv import (
    ConvGeometry,
    col2im,
    conv2d,
    conv_out_size,
    conv_transpose2d,
    conv_transpose_out_size,
    im2col,
)

FIXTURE_OK = [HealthCheck.function_scoped_fixture]


@st.composite
def conv_configs(draw, transposed=False, max_k=5, extra=4):
    """A valid (N, groups, C, OC, kernel, stride, padding, dilation, output_padding, H, W)."""
    groups = draw(st.integers(1, 2))
    c = groups * draw(st.integers(1, 2))
    oc = groups * draw(st.integers(1, 2))
    kh, kw = draw(st.integers(1, max_k)), draw(st.integers(1, max_k))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    n = draw(st.integers(1, 2))
    if transposed:
        h, w = draw(st.integers(1, 4)), draw(st.integers(1, 4))
        out_pad = tuple(draw(st.integers(0, max(stride[a], dilation[a]) - 1)) for a in range(2))
        k = (kh, kw)
        out = [
            conv_transpose_out_size((h, w)[a], k[a], stride[a], padding[a], dilation[a], out_pad[a])
            for a in range(2)
        ]
        assume(min(out) >= 1)
    else:
        out_pad = (0, 0)
        # from the smallest input the kernel fits in to a few rows more
        lo = [max(1, dilation[a] * ((kh, kw)[a] - 1) + 1 - 2 * padding[a]) for a in range(2)]
        h, w = (draw(st.integers(lo[a], lo[a] + extra)) for a in range(2))
    return dict(
        n=n,
        groups=groups,
        c=c,
        oc=oc,
        k=(kh, kw),
        stride=stride,
        padding=padding,
        dilation=dilation,
        output_padding=out_pad,
        hw=(h, w),
    )


def _arrays(cfg, transposed, seed=0, bias=True):
    rng = np.random.default_rng(seed)
    g = cfg["groups"]
    x = rng.standard_normal((cfg["n"], cfg["c"]) + cfg["hw"])
    if transposed:
        w = rng.standard_normal((cfg["c"], cfg["oc"] // g) + cfg["k"])
    else:
        w = rng.standard_normal((cfg["oc"], cfg["c"] // g) + cfg["k"])
    b = rng.standard_normal(cfg["oc"]) if bias else None
    return x, w, b


def _mg_fn(cfg, transposed):
    if transposed:
        return lambda x, w, b=None: conv_transpose2d(
            x,
            w,
            b,
            cfg["stride"],
            cfg["padding"],
            cfg["output_padding"],
            cfg["groups"],
            cfg["dilation"],
        )
    return lambda x, w, b=None: conv2d(
        x, w, b, cfg["stride"], cfg["padding"], cfg["dilation"], cfg["groups"]
    )


def _torch_fn(cfg, transposed):
    import torch.nn.functional as TF

    if transposed:
        return lambda x, w, b: TF.conv_transpose2d(
            x,
            w,
            b,
            cfg["stride"],
            cfg["padding"],
            cfg["output_padding"],
            cfg["groups"],
            cfg["dilation"],
        )
    return lambda x, w, b: TF.conv2d(
        x, w, b, cfg["stride"], cfg["padding"], cfg["dilation"], cfg["groups"]
    )


def _compare_with_torch(cfg, transposed, device):
    torch = torch_or_skip()
    x, w, b = _arrays(cfg, transposed)
    xs = [mg.Tensor(a, requires_grad=True, device=device) for a in (x, w, b)]
    y = _mg_fn(cfg, transposed)(*xs)
    ts = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    ty = _torch_fn(cfg, transposed)(*ts)
    assert y.shape == tuple(ty.shape)
    np.testing.assert_allclose(as_numpy(y._data), ty.detach().numpy(), rtol=1e-5, atol=1e-10)
    gy = np.random.default_rng(1).standard_normal(y.shape)
    got = mg.grad(y, xs, grad_outputs=mg.Tensor(gy, device=device))
    want = torch.autograd.grad(ty, ts, grad_outputs=torch.tensor(gy))
    for name, g, t in zip("x w b".split(), got, want, strict=True):
        np.testing.assert_allclose(
            as_numpy(g._data),
            t.numpy(),
            rtol=1e-5,
            atol=1e-10,
            err_msg=f"gradient of {name}, {cfg}",
        )


@settings(max_examples=150, deadline=None, suppress_health_check=FIXTURE_OK)
@given(cfg=conv_configs())
def test_conv2d_matches_torch(cfg, device):
    _compare_with_torch(cfg, False, device)


@settings(max_examples=150, deadline=None, suppress_health_check=FIXTURE_OK)
@given(cfg=conv_configs(transposed=True))
def test_conv_transpose2d_matches_torch(cfg, device):
    _compare_with_torch(cfg, True, device)


@settings(max_examples=50, deadline=None, suppress_health_check=FIXTURE_OK)
@given(cfg=conv_configs(extra=2))
def test_conv2d_gradcheck_gradgradcheck(cfg, device):
    xs = [mg.Tensor(a, requires_grad=True, device=device) for a in _arrays(cfg, False)]
    f = _mg_fn(cfg, False)
    assert mg.gradcheck(f, xs)
    assert mg.gradgradcheck(f, xs)


@settings(max_examples=50, deadline=None, suppress_health_check=FIXTURE_OK)
@given(cfg=conv_configs(transposed=True))
def test_conv_transpose2d_gradcheck_gradgradcheck(cfg, device):
    xs = [mg.Tensor(a, requires_grad=True, device=device) for a in _arrays(cfg, True)]
    f = _mg_fn(cfg, True)
    assert mg.gradcheck(f, xs)
    assert mg.gradgradcheck(f, xs)


def test_weight_gradient_node_gradgradcheck(device):
    """Conv2dGradW is differentiable in both of its inputs (x and gy)."""
    g = ConvGeometry((3, 2), (2, 1), (1, 0), (1, 2), 2)
    rng = np.random.default_rng(3)
    x = mg.Tensor(rng.standard_normal((2, 4, 5, 6)), requires_grad=True, device=device)
    out_hw = tuple(
        conv_out_size(x.shape[2 + a], g.kernel[a], g.stride[a], g.padding[a], g.dilation[a])
        for a in range(2)
    )
    gy = mg.Tensor(rng.standard_normal((2, 2) + out_hw), requires_grad=True, device=device)

    def f(x, gy):
        return conv_mod.Conv2dGradW(g, (2, 2, 3, 2))(x, gy)

    assert mg.gradcheck(f, (x, gy))
    assert mg.gradgradcheck(f, (x, gy))


def test_gradient_penalty_matches_torch(device):
    """WGAN-GP: differentiate |d critic / d x|^2 through conv, leaky relu and a transposed
    conv, and compare the weight gradients with torch."""
    torch = torch_or_skip()
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3, 8, 8))
    w1 = rng.standard_normal((4, 3, 4, 4)) * 0.3
    w2 = rng.standard_normal((4, 2, 3, 3)) * 0.3
    b1 = rng.standard_normal(4)

    def penalty(F, lrelu, x, w1, b1, w2, grad):
        h = lrelu(F.conv2d(x, w1, b1, stride=2, padding=1), 0.2)
        y = F.conv_transpose2d(h, w2, None, stride=2, padding=1, output_padding=1)
        (gx,) = grad(y.sum(), x)
        return (gx * gx).sum()

    class M:
        conv2d = staticmethod(conv2d)
        conv_transpose2d = staticmethod(conv_transpose2d)

    ps = [mg.Tensor(a, requires_grad=True, device=device) for a in (x, w1, b1, w2)]
    p = penalty(M, mg.leaky_relu, *ps, lambda y, x: mg.grad(y, x, create_graph=True))
    # b1 only moves the leaky-relu kinks, so the penalty has no gradient for it
    got = mg.grad(p, [ps[1], ps[3]])
    tps = [torch.tensor(a, requires_grad=True) for a in (x, w1, b1, w2)]
    tp = penalty(
        torch.nn.functional,
        torch.nn.functional.leaky_relu,
        *tps,
        lambda y, x: torch.autograd.grad(y, x, create_graph=True),
    )
    want = torch.autograd.grad(tp, [tps[1], tps[3]])
    np.testing.assert_allclose(float(p.item()), tp.item(), rtol=1e-8)
    for g, t in zip(got, want, strict=True):
        np.testing.assert_allclose(as_numpy(g._data), t.numpy(), rtol=1e-6, atol=1e-10)


@settings(max_examples=150, deadline=None)
@given(cfg=conv_configs(), seed=st.integers(0, 2**16))
def test_im2col_col2im_are_adjoint(cfg, seed):
    """<im2col(x), c> == <x, col2im(c)> for every geometry."""
    g = ConvGeometry(cfg["k"], cfg["stride"], cfg["padding"], cfg["dilation"], 1)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((cfg["n"], cfg["c"]) + cfg["hw"])
    out_hw = tuple(
        conv_out_size(cfg["hw"][a], g.kernel[a], g.stride[a], g.padding[a], g.dilation[a])
        for a in range(2)
    )
    cols = im2col(x, g, out_hw)
    assert cols.shape == (cfg["c"],) + cfg["k"] + out_hw + (cfg["n"],)
    c = rng.standard_normal(cols.shape)
    back = col2im(c, g, x.shape)
    assert back.shape == x.shape
    np.testing.assert_allclose((cols * c).sum(), (x * back).sum(), rtol=1e-10)


def _col2im_reference(cols, g, x_shape):
    """col2im by one add per column value into zeros: slow, and obviously right."""
    c, kh, kw, oh, ow, n = cols.shape
    (sh, sw), (ph, pw), (dh, dw) = g.stride, g.padding, g.dilation
    h, w = x_shape[2:]
    img = np.zeros((n, c, h + 2 * ph + sh * oh + dh * kh, w + 2 * pw + sw * ow + dw * kw))
    for i in range(kh):
        for j in range(kw):
            for y in range(oh):
                for x in range(ow):
                    img[:, :, y * sh + i * dh, x * sw + j * dw] += cols[:, i, j, y, x].T
    return img[:, :, ph : ph + h, pw : pw + w]


@settings(max_examples=120, deadline=None)
@given(cfg=conv_configs(), seed=st.integers(0, 2**16))
def test_col2im_writes_every_position_of_its_unzeroed_buffer(cfg, seed):
    """col2im's buffer starts uninitialised: each stride class is zeroed only where its first
    kernel offset does not write. Freed NaN memory of the buffer's size lies ready for it,
    so a position left unwritten shows as NaN; the sums match the reference exactly (the
    same additions in the same order), for strides above the kernel (classes with no
    offset) and dilations above the stride too."""
    g = ConvGeometry(cfg["k"], cfg["stride"], cfg["padding"], cfg["dilation"], 1)
    out_hw = tuple(
        conv_out_size(cfg["hw"][a], g.kernel[a], g.stride[a], g.padding[a], g.dilation[a])
        for a in range(2)
    )
    x_shape = (cfg["n"], cfg["c"]) + cfg["hw"]
    rng = np.random.default_rng(seed)
    cols = rng.standard_normal((cfg["c"],) + cfg["k"] + out_hw + (cfg["n"],))
    for _ in range(3):
        np.full(cols.size * 4 + 4096, np.nan)  # freed at once: memory for the next array
        got = col2im(cols, g, x_shape)
        np.testing.assert_array_equal(got, _col2im_reference(cols, g, x_shape))


@pytest.mark.parametrize(
    "k, s, p, d", [(4, 2, 1, 1), (3, 1, 1, 1), (1, 3, 0, 1), (2, 3, 1, 1), (3, 2, 0, 3)]
)
def test_col2im_on_nan_filled_memory_matches_the_reference(k, s, p, d):
    """Fixed geometries, large enough that the buffer comes from reused heap memory."""
    g = ConvGeometry((k, k), (s, s), (p, p), (d, d), 1)
    h = 13
    o = conv_out_size(h, k, s, p, d)
    cols = np.random.default_rng(k * 10 + s).standard_normal((6, k, k, o, o, 5))
    for _ in range(3):
        junk = np.full((6, h + 2 * p + s * o + d * k, h + 2 * p + s * o + d * k, 5), np.nan)
        del junk
        np.testing.assert_array_equal(
            col2im(cols, g, (5, 6, h, h)), _col2im_reference(cols, g, (5, 6, h, h))
        )


@settings(max_examples=100, deadline=None)
@given(
    n=st.integers(1, 30),
    k=st.integers(1, 5),
    s=st.integers(1, 3),
    p=st.integers(0, 2),
    d=st.integers(1, 2),
    op=st.integers(0, 2),
)
def test_output_size_formulas(n, k, s, p, d, op):
    assume(op < max(s, d))
    out = conv_transpose_out_size(n, k, s, p, d, op)
    assert out == (n - 1) * s - 2 * p + d * (k - 1) + op + 1
    if out >= 1:
        # a transposed conv is the adjoint of the conv that maps its output back to n
        # positions (op < s) or more (op only allowed by dilation)
        back = conv_out_size(out, k, s, p, d)
        assert back == n if op < s else back >= n
        x = mg.zeros(1, 1, n, 1, dtype=np.float64)
        y = conv_transpose2d(
            x,
            mg.zeros(1, 1, k, 1, dtype=np.float64),
            stride=(s, 1),
            padding=(p, 0),
            output_padding=(op, 0),
            dilation=(d, 1),
        )
        assert y.shape == (1, 1, out, 1)
    if n + 2 * p >= d * (k - 1) + 1:
        y = conv2d(
            mg.zeros(1, 1, n, 1),
            mg.zeros(1, 1, k, 1),
            stride=(s, 1),
            padding=(p, 0),
            dilation=(d, 1),
        )
        assert y.shape[2] == conv_out_size(n, k, s, p, d) == (n + 2 * p - d * (k - 1) - 1) // s + 1


def test_float32_stays_float32(device):
    x = mg.randn(2, 4, 9, 9, device=device, requires_grad=True)
    w = mg.randn(6, 2, 3, 3, device=device, requires_grad=True)
    wt = mg.randn(6, 3, 4, 4, device=device, requires_grad=True)
    y = conv2d(x, w, stride=2, padding=1, groups=2)
    z = conv_transpose2d(y, wt, stride=2, padding=1, groups=2)
    z.sum().backward()
    assert y.dtype == z.dtype == x.grad.dtype == w.grad.dtype == wt.grad.dtype == np.float32


def test_non_contiguous_inputs(device):
    """Any memory layout of x, weight and the incoming gradient gives the same result."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 2, 6, 5))
    w = rng.standard_normal((4, 2, 3, 3))
    ref = conv2d(mg.Tensor(x, device=device), mg.Tensor(w, device=device), padding=1)._data
    xt = np.asfortranarray(x)
    wt = np.ascontiguousarray(w.transpose(3, 2, 1, 0)).transpose(3, 2, 1, 0)
    got = conv2d(mg.Tensor(xt, device=device), mg.Tensor(wt, device=device), padding=1)._data
    np.testing.assert_allclose(as_numpy(got), as_numpy(ref), rtol=1e-12)


def _count_im2col(monkeypatch):
    calls = []
    orig = conv_mod.im2col

    def counting(*a, **k):
        calls.append(1)
        return orig(*a, **k)

    monkeypatch.setattr(conv_mod, "im2col", counting)
    return calls


@pytest.mark.parametrize("transposed", [False, True])
def test_columns_built_once_per_forward_backward(monkeypatch, transposed):
    """The weight gradient reuses the columns of the forward (conv2d) or of the input
    gradient (conv_transpose2d) instead of rebuilding them."""
    calls = _count_im2col(monkeypatch)
    x = mg.randn(2, 4, 6, 6, requires_grad=True)
    w = mg.randn(4, 3 if transposed else 4, 3, 3, requires_grad=True)
    f = conv_transpose2d if transposed else conv2d
    f(x, w, stride=2, padding=1).sum().backward()
    assert len(calls) == 1
    assert x.grad is not None and w.grad is not None


def test_saved_columns_only_when_needed_and_freed():
    x = mg.randn(2, 3, 6, 6, requires_grad=True)
    w = mg.randn(4, 3, 3, 3, requires_grad=True)
    y = conv2d(x, w)
    fn = y.creator
    assert fn.cols is not None  # kept for the weight gradient
    y.sum().backward()
    assert not hasattr(fn, "cols")  # released with the rest of the saved state
    y2 = conv2d(x, w.detach())
    assert y2.creator.cols is None  # no weight gradient, nothing kept
    with mg.no_grad():
        assert conv2d(x, w).creator is None


def test_kept_columns_freed_before_the_input_gradient_and_rebuilt_for_a_second_pass(
    monkeypatch,
):
    """conv2d's backward computes the weight gradient from the kept columns and drops them
    before the input gradient makes columns of its own; a second backward through the
    retained graph rebuilds them from x and gives the same bits."""
    rng = np.random.default_rng(0)
    x = mg.tensor(rng.standard_normal((3, 4, 7, 7)).astype(np.float32), requires_grad=True)
    w = mg.tensor(rng.standard_normal((5, 4, 3, 3)).astype(np.float32), requires_grad=True)
    y = conv2d(x, w, stride=2, padding=1)
    fn = y.creator
    gy = mg.tensor(rng.standard_normal(y.shape).astype(np.float32))
    alive_at_input_grad = []
    orig = conv_mod.ConvTranspose2d.forward

    def spy(self, *args):
        alive_at_input_grad.append(fn.cols is not None)
        return orig(self, *args)

    monkeypatch.setattr(conv_mod.ConvTranspose2d, "forward", spy)
    calls = _count_im2col(monkeypatch)
    y.backward(gy, retain_graph=True)
    assert alive_at_input_grad == [False] and calls == []  # no rebuild on the first pass
    gx1, gw1 = x.grad.numpy().copy(), w.grad.numpy().copy()
    x.grad = w.grad = None
    y.backward(gy)
    assert len(calls) == 1  # rebuilt from x for the second pass
    np.testing.assert_array_equal(x.grad.numpy(), gx1)
    np.testing.assert_array_equal(w.grad.numpy(), gw1)


def _expect_error(fn, *needles):
    with pytest.raises(ValueError) as info:
        fn()
    msg = str(info.value)
    for n in needles:
        assert n in msg, (n, msg)


def test_conv2d_invalid_configurations():
    x = mg.zeros(2, 4, 5, 5)
    _expect_error(
        lambda: conv2d(x, mg.zeros(3, 4, 8, 8)),
        "conv2d",
        "(2, 4, 5, 5)",
        "larger than the padded input",
        "padding=0",
    )
    _expect_error(lambda: conv2d(x, mg.zeros(3, 4, 4, 4), dilation=2), "conv2d", "dilation=2")
    _expect_error(lambda: conv2d(x, mg.zeros(3, 3, 3, 3)), "conv2d", "4 channels", "(3, 3, 3, 3)")
    _expect_error(lambda: conv2d(x, mg.zeros(3, 2, 3, 3), groups=2), "conv2d", "groups=2", "divide")
    _expect_error(lambda: conv2d(x, mg.zeros(4, 4, 3, 3), groups=3), "conv2d", "groups=3")
    _expect_error(
        lambda: conv2d(mg.zeros(4, 5), mg.zeros(3, 4, 3, 3)), "conv2d", "4-d input", "(4, 5)"
    )
    _expect_error(lambda: conv2d(x, mg.zeros(3, 4, 3, 3), stride=0), "conv2d", "stride")
    _expect_error(lambda: conv2d(x, mg.zeros(3, 4, 3, 3), mg.zeros(4)), "conv2d", "bias")


def test_conv_transpose2d_invalid_configurations():
    x = mg.zeros(2, 4, 5, 5)
    _expect_error(
        lambda: conv_transpose2d(x, mg.zeros(4, 3, 3, 3), stride=2, output_padding=2),
        "conv_transpose2d",
        "output_padding=2",
        "(2, 4, 5, 5)",
        "stride=2",
    )
    _expect_error(
        lambda: conv_transpose2d(x, mg.zeros(4, 3, 3, 3), output_padding=1),
        "conv_transpose2d",
        "smaller than either stride or dilation",
    )
    _expect_error(
        lambda: conv_transpose2d(x, mg.zeros(3, 3, 3, 3)), "conv_transpose2d", "4 channels"
    )
    _expect_error(
        lambda: conv_transpose2d(x, mg.zeros(4, 3, 3, 3), groups=3), "conv_transpose2d", "groups=3"
    )
    _expect_error(
        lambda: conv_transpose2d(mg.zeros(1, 2, 4, 5, 1), mg.zeros(4, 3, 3, 3)),
        "conv_transpose2d",
        "4-d input",
    )
    _expect_error(
        lambda: conv_transpose2d(mg.zeros(1, 4, 1, 1), mg.zeros(4, 3, 1, 1), padding=1),
        "conv_transpose2d",
        "not positive",
    )


def test_output_padding_allowed_by_dilation_matchestorch_or_skip():
    """output_padding >= stride is legal when smaller than the dilation; the input gradient
    then comes from a conv2d whose extra output rows are dropped."""
    cfg = dict(
        n=1,
        groups=1,
        c=2,
        oc=3,
        k=(2, 3),
        stride=(1, 1),
        padding=(0, 1),
        dilation=(3, 2),
        output_padding=(2, 1),
        hw=(3, 4),
    )
    _compare_with_torch(cfg, True, "cpu")
    xs = [mg.Tensor(a, requires_grad=True) for a in _arrays(cfg, True, bias=False)[:2]]
    assert mg.gradgradcheck(_mg_fn(cfg, True), xs)


def test_scratch_buffers_never_alias_saved_columns():
    """Two padded 1x1 convs of one input shape: the second forward refills the padding
    scratch buffer, which must not be what the first saved for its weight gradient."""
    torch = torch_or_skip()
    rng = np.random.default_rng(6)
    arrays = [rng.standard_normal(s) for s in ((2, 3, 4, 4), (2, 3, 4, 4), (3, 3, 1, 1))]
    arrays.append(rng.standard_normal((3, 3, 1, 1)))
    ps = [mg.Tensor(a, requires_grad=True) for a in arrays]
    y = conv2d(ps[0], ps[2], padding=1) * conv2d(ps[1], ps[3], padding=1)
    got = mg.grad(y.sum(), ps)
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    F = torch.nn.functional
    ty = F.conv2d(ts[0], ts[2], padding=1) * F.conv2d(ts[1], ts[3], padding=1)
    want = torch.autograd.grad(ty.sum(), ts)
    for g, t in zip(got, want, strict=True):
        np.testing.assert_allclose(g.numpy(), t.numpy(), rtol=1e-10, atol=1e-12)


def _addresses(monkeypatch):
    """The data address of each im2col result and of each col2im input, in call order. The
    im2col results are kept alive, so that no later array is given their memory."""
    made, summed, alive = [], [], []
    im2col_orig, col2im_orig = conv_mod.im2col, conv_mod.col2im

    def spy_im2col(*a, **k):
        cols = im2col_orig(*a, **k)
        made.append(cols.__array_interface__["data"][0])
        alive.append(cols)
        return cols

    def spy_col2im(cols, *a, **k):
        summed.append(cols.__array_interface__["data"][0])
        return col2im_orig(cols, *a, **k)

    monkeypatch.setattr(conv_mod, "im2col", spy_im2col)
    monkeypatch.setattr(conv_mod, "col2im", spy_col2im)
    return made, summed


@pytest.mark.parametrize(
    "geometry",
    [
        dict(stride=2, padding=1),  # the DCGAN's k4 s2 p1
        dict(stride=1, padding=1, groups=2),
        dict(stride=(1, 2), padding=(2, 0), dilation=2),
    ],
)
def test_input_gradient_columns_are_written_over_the_forward_columns(monkeypatch, geometry):
    """conv2d's backward hands the columns it made, once the weight gradient has read them,
    to the input gradient's product as its output: the same memory, and the same bits as
    with a separate array (W frozen: nothing kept, nothing handed over), and PyTorch's
    gradients."""
    rng = np.random.default_rng(7)
    groups = geometry.get("groups", 1)
    xa = rng.standard_normal((3, 4, 9, 8)).astype(np.float32)
    wa = rng.standard_normal((6, 4 // groups, 4, 3)).astype(np.float32)
    made, summed = _addresses(monkeypatch)
    x = mg.tensor(xa, requires_grad=True)
    w = mg.tensor(wa, requires_grad=True)
    y = conv2d(x, w, **geometry)
    gy = mg.tensor(rng.standard_normal(y.shape).astype(np.float32))
    y.backward(gy)
    assert len(made) == 1 and summed == made  # the forward's columns, written over
    x2 = mg.tensor(xa, requires_grad=True)
    conv2d(x2, mg.tensor(wa), **geometry).backward(gy)  # W frozen: columns of its own
    assert len(made) == 2 and len(summed) == 2 and summed[1] != made[1]
    np.testing.assert_array_equal(x.grad.numpy(), x2.grad.numpy())
    torch = torch_or_skip()
    tx, tw = torch.tensor(xa, requires_grad=True), torch.tensor(wa, requires_grad=True)
    torch.nn.functional.conv2d(tx, tw, **geometry).backward(torch.tensor(gy.numpy()))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-4, atol=1e-4)


def test_columns_that_are_the_input_are_never_written_over(monkeypatch):
    """A 1x1 conv of a batch-minor x (another conv's output) without padding takes x itself
    as its columns; its backward must not write the input gradient's columns there. Nor
    into columns a transposed conv's backward shares with its weight gradient (a double
    backward through conv_transpose2d), which gradgradcheck covers."""
    rng = np.random.default_rng(8)
    arrays = [
        rng.standard_normal((2, 3, 5, 5)),
        rng.standard_normal((4, 3, 2, 2)),
        rng.standard_normal((6, 4, 1, 1)),
    ]
    made, summed = _addresses(monkeypatch)
    a, w0, w1 = (mg.tensor(v, requires_grad=True) for v in arrays)
    x = conv2d(a, w0, padding=1)  # batch-minor
    x_before = x.detach().numpy().copy()
    x_at = x.detach().numpy().__array_interface__["data"][0]
    y = conv2d(x, w1)
    assert made[-1] == x_at  # the columns are x itself
    y.sum().backward()
    assert len(summed) == 2 and x_at not in summed
    np.testing.assert_array_equal(x.detach().numpy(), x_before)
    torch = torch_or_skip()
    ta, tw0, tw1 = (torch.tensor(v, requires_grad=True) for v in arrays)
    F = torch.nn.functional
    F.conv2d(F.conv2d(ta, tw0, padding=1), tw1).sum().backward()
    for got, want in zip((a, w0, w1), (ta, tw0, tw1), strict=True):
        np.testing.assert_allclose(got.grad.numpy(), want.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_workspace_is_fresh_where_freed_memory_is_kept(monkeypatch):
    """Where malloc keeps freed memory (minigrad/_memory.py) a NumPy scratch array is a
    fresh one, given the memory freed last; elsewhere the array kept per shape."""
    ws = conv_mod._Workspace()
    monkeypatch.setattr(conv_mod._memory, "applied", True)
    a = ws.get("cols", np, (3, 5), np.float32)
    assert ws.get("cols", np, (3, 5), np.float32) is not a and not ws.arrays
    monkeypatch.setattr(conv_mod._memory, "applied", False)
    b = ws.get("cols", np, (3, 5), np.float32)
    assert ws.get("cols", np, (3, 5), np.float32) is b
    assert b.shape == (3, 5) and b.dtype == np.float32


@pytest.mark.parametrize("needs", ["x W b", "W b", "x b"])
def test_bias_gradient_from_the_batch_minor_copy_of_gy(monkeypatch, needs):
    """With two or more of x, W and b needing gradients, a C-ordered gy is copied
    batch-minor once, and a first-order bias gradient is the sum of that copy's rows:
    PyTorch's values, and those of the recorded sum over (0, 2, 3) (create_graph)."""
    torch = torch_or_skip()
    rng = np.random.default_rng(9)
    arrays = [
        rng.standard_normal((4, 3, 9, 9)).astype(np.float32),
        rng.standard_normal((5, 3, 4, 4)).astype(np.float32),
        rng.standard_normal(5).astype(np.float32),
    ]
    gy = rng.standard_normal((4, 5, 4, 4)).astype(np.float32)  # C-ordered
    copies = []
    batch_minor = conv_mod._batch_minor
    monkeypatch.setattr(conv_mod, "_batch_minor", lambda a: copies.append(a) or batch_minor(a))
    sums = []
    reduce_sum = conv_mod.reduce_sum
    monkeypatch.setattr(conv_mod, "reduce_sum", lambda *a: sums.append(1) or reduce_sum(*a))
    flags = [name in needs.split() for name in ("x", "W", "b")]
    got = {}
    for create_graph in (False, True):
        ps = [mg.tensor(a, requires_grad=f) for a, f in zip(arrays, flags, strict=True)]
        y = conv2d(*ps, stride=2, padding=1)
        y.backward(mg.tensor(gy), create_graph=create_graph)
        got[create_graph] = ps[2].grad.detach().numpy()
        assert len(sums) == create_graph  # first order: no sum over (0, 2, 3)
    assert copies and all(a.flags.c_contiguous for a in copies)
    ts = [torch.tensor(a, requires_grad=f) for a, f in zip(arrays, flags, strict=True)]
    ty = torch.nn.functional.conv2d(*ts, stride=2, padding=1)
    (want,) = torch.autograd.grad(ty, [ts[2]], torch.tensor(gy))
    np.testing.assert_allclose(got[False], want.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got[False], got[True], rtol=1e-5, atol=1e-5)
    exact = gy.astype(np.float64).sum(axis=(0, 2, 3))
    np.testing.assert_allclose(got[False], exact, rtol=1e-6, atol=1e-6)
