"""Round 23 of the hostile reviews: convolutions, pools and interpolate against PyTorch 2.13
(integer max-pool padding, area resizing of infinities, Conv's _conv_forward, the second
derivative of gathering max pools, avg_pool3d's input check, interpolate's tensor sizes,
convolutions of zero input channels)."""

import warnings

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

NAN, INF = float("nan"), float("inf")


def _both(a, requires_grad=False):
    """The same array as a minigrad and a torch tensor."""
    a = np.asarray(a)
    return (
        mg.tensor(a.copy(), requires_grad=requires_grad),
        torch.tensor(a.copy(), requires_grad=requires_grad),
    )


# ---------------------------------------------------------------- integer max pooling
@pytest.mark.parametrize("dtype", ["int8", "int16", "int32", "int64", "uint8"])
def test_integer_max_pool2d_padding_never_wins(dtype):
    block = np.full((1, 1, 3, 3), -5)
    block[0, 0, 1, 1] = -7
    rand = np.random.RandomState(0).randint(-100, 100, size=(2, 3, 5, 4))
    for a in (block, rand, np.full((1, 1, 2, 2), np.iinfo(dtype).min)):
        a = a.astype(dtype)
        m, t = _both(a)
        want = TF.max_pool2d(t, 3, 2, 1).numpy()
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no cast of -inf to the integer dtype
            got = [
                F.max_pool2d(m, 3, 2, 1),
                mg.nn.MaxPool2d(3, 2, 1)(m),
                F.max_pool2d(m[0], 3, 2, 1),
                F.max_pool2d(m, (3, 1), padding=(1, 0)),
            ]
        wants = [want, want, want[0], TF.max_pool2d(t, (3, 1), padding=(1, 0)).numpy()]
        for g, w in zip(got, wants, strict=True):
            assert g.dtype == np.dtype(dtype)
            np.testing.assert_array_equal(g.numpy(), w)


# ---------------------------------------------------------------- area resizing
@pytest.mark.parametrize(
    "shape,size",
    [
        ((1, 1, 2, 2), (3, 3)),
        ((1, 2, 3), (5,)),
        ((1, 1, 2, 3, 2), (3, 5, 3)),
        ((2, 1, 3, 5), (2, 3)),
    ],
)
@pytest.mark.parametrize("special", [INF, -INF, NAN])
def test_area_interpolate_keeps_infinities_in_their_windows(shape, size, special):
    a = np.arange(np.prod(shape), dtype=np.float64).reshape(shape) - 2.0
    a.reshape(-1)[1] = special
    m, t = _both(a, requires_grad=True)
    got, want = F.interpolate(m, size=size, mode="area"), TF.interpolate(t, size=size, mode="area")
    np.testing.assert_allclose(
        got.detach().numpy(), want.detach().numpy(), rtol=1e-12, equal_nan=True
    )
    gy = np.random.RandomState(1).randn(*want.shape)
    (got * mg.tensor(gy)).sum().backward()
    (want * torch.tensor(gy)).sum().backward()
    np.testing.assert_allclose(m.grad.numpy(), t.grad.numpy(), rtol=1e-12)


def test_area_interpolate_float32_and_second_derivative():
    a = np.random.RandomState(2).randn(2, 3, 5, 7).astype(np.float32)
    a[0, 0, 0, 0] = INF
    m, t = _both(a, requires_grad=True)
    got, want = F.interpolate(m, size=(3, 4), mode="area"), TF.interpolate(t, (3, 4), mode="area")
    assert got.dtype == np.float32
    np.testing.assert_allclose(
        got.detach().numpy(), want.detach().numpy(), rtol=1e-5, equal_nan=True
    )
    (g,) = mg.grad((got * got.detach()).sum(), m, create_graph=True)
    (gt,) = torch.autograd.grad((want * want.detach()).sum(), t, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), gt.detach().numpy(), atol=1e-6, equal_nan=True)


# ---------------------------------------------------------------- interpolate's size
@pytest.mark.parametrize(
    "size",
    [
        lambda L: (L.tensor(3), L.tensor(4)),
        lambda L: L.tensor(6),
        lambda L: (L.tensor([3]), 4),
        lambda L: (3, L.tensor(4, dtype=L.int8)),
        lambda L: (np.int64(3), 5),
    ],
)
def test_interpolate_takes_integer_tensors_as_sizes(size):
    a = np.random.RandomState(3).randn(1, 2, 3, 3)
    m, t = _both(a)
    got = F.interpolate(m, size=size(mg), mode="bilinear")
    want = TF.interpolate(t, size=size(torch), mode="bilinear")
    assert got.shape == tuple(want.shape)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12)


@pytest.mark.parametrize(
    "size",
    [lambda L: (3.0, 4), lambda L: L.tensor(3.0), lambda L: L.tensor([3, 4]), lambda L: (True, 2)],
)
def test_interpolate_refuses_non_integer_sizes(size):
    m, t = _both(np.zeros((1, 2, 3, 3)))
    with pytest.raises((TypeError, RuntimeError)):
        TF.interpolate(t, size=size(torch))
    with pytest.raises(TypeError, match="interpolate: size must be an int"):
        F.interpolate(m, size=size(mg))


# ---------------------------------------------------------------- Conv's _conv_forward
def _copy_params(src, dst):
    dst.load_state_dict({k: mg.tensor(v.detach().numpy()) for k, v in src.state_dict().items()})


def _standardised(base):
    class WSConv(base):  # the BiT / NFNet port pattern
        def forward(self, x):
            w = self.weight
            mean = w.mean(dim=(1, 2, 3) if w.ndim == 4 else 1, keepdim=True)
            return self._conv_forward(x, w - mean, self.bias)

    return WSConv


@pytest.mark.parametrize(
    "padding,mode", [(1, "zeros"), (1, "reflect"), (2, "circular"), ("same", "replicate")]
)
def test_conv_forward_serves_a_weight_standardising_subclass(padding, mode):
    torch.manual_seed(0)
    t = _standardised(torch.nn.Conv2d)(3, 4, 3, padding=padding, padding_mode=mode).double()
    m = _standardised(mg.nn.Conv2d)(3, 4, 3, padding=padding, padding_mode=mode, dtype="float64")
    _copy_params(t, m)
    a = np.random.RandomState(4).randn(2, 3, 8, 8)
    xm, xt = _both(a, requires_grad=True)
    ym, yt = m(xm), t(xt)
    np.testing.assert_allclose(ym.detach().numpy(), yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    ym.sum().backward()
    yt.sum().backward()
    np.testing.assert_allclose(m.weight.grad.numpy(), t.weight.grad.numpy(), rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(xm.grad.numpy(), xt.grad.numpy(), rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("name", ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose2d"])
@pytest.mark.parametrize("padding", [0, 2, "same", "valid"])
def test_conv_layers_keep_pytorchs_padding_attributes(name, padding):
    if name.startswith("ConvTranspose") and isinstance(padding, str):
        return  # PyTorch's transposed layers take no string padding
    kw = {"dilation": 2} if padding == "same" else {}
    t = getattr(torch.nn, name)(2, 3, 3, padding=padding, **kw)
    m = getattr(mg.nn, name)(2, 3, 3, padding=padding, **kw)
    assert m._reversed_padding_repeated_twice == t._reversed_padding_repeated_twice
    assert type(m._reversed_padding_repeated_twice) is type(t._reversed_padding_repeated_twice)
    assert m.output_padding == t.output_padding
    assert repr(m) == repr(t)
    if not name.startswith("ConvTranspose"):
        a = np.random.RandomState(5).randn(*(1, 2) + (7,) * (t.weight.ndim - 2))
        xm, xt = _both(a.astype(np.float32))
        _copy_params(t, m)
        got = m._conv_forward(xm, m.weight * 2, None)
        want = t._conv_forward(xt, t.weight * 2, None)
        np.testing.assert_allclose(
            got.detach().numpy(), want.detach().numpy(), rtol=1e-5, atol=1e-5
        )


# ---------------------------------------------------------------- max pools' second derivative
@pytest.mark.parametrize(
    "pool",
    [
        lambda F, x: F.max_pool2d(x, 2, ceil_mode=True),
        lambda F, x: F.max_pool2d(x, 3, 2, 1, dilation=2),
        lambda F, x: F.max_pool2d(x, 2, return_indices=True)[0],
        lambda F, x: F.max_pool3d(x.unsqueeze(2).expand(-1, -1, 3, -1, -1) * 1.0, 2),
        lambda F, x: F.max_pool3d(x[0].unsqueeze(1), (1, 2, 2), ceil_mode=True),
    ],
)
def test_max_pool_gradient_has_a_zero_second_derivative(pool):
    a = np.random.RandomState(6).randn(2, 3, 5, 5)
    for L, Fn, grad in ((mg, F, mg.grad), (torch, TF, torch.autograd.grad)):
        x = L.tensor(a.copy(), requires_grad=True)
        y = pool(Fn, x)
        (g,) = grad((y * y.detach()).sum(), x, create_graph=True)
        assert g.requires_grad
        (gg,) = grad(g.sum(), x)
        np.testing.assert_array_equal(np.asarray(gg.detach().numpy()), np.zeros(a.shape))
        if L is mg:
            first = g.detach().numpy()
        else:
            np.testing.assert_allclose(first, g.detach().numpy(), rtol=1e-12)


def test_max_pool3d_layer_gradient_penalty_path():
    a = np.random.RandomState(7).randn(1, 2, 4, 4, 4)
    x = mg.tensor(a, requires_grad=True)
    (g,) = mg.grad(mg.nn.MaxPool3d(2)(x).sum(), x, create_graph=True)
    (gg,) = mg.grad((g * g).sum(), x)
    np.testing.assert_array_equal(gg.numpy(), np.zeros(a.shape))
    with mg.no_grad():  # nothing recorded, the values the same
        np.testing.assert_array_equal(
            F.max_pool3d(x, 2).detach().numpy(), F.max_pool3d(x.detach(), 2).numpy()
        )


# ---------------------------------------------------------------- avg_pool3d's input check
@pytest.mark.parametrize(
    "kw",
    [
        {"kernel_size": 3, "padding": 1},
        {"kernel_size": (4, 3, 3), "padding": (0, 1, 1)},
        {"kernel_size": (1, 1, 3), "ceil_mode": True},
        {"kernel_size": (7, 1, 1), "padding": (3, 0, 0), "divisor_override": 2},
        {"kernel_size": (1, 1, 3), "padding": (0, 0, 1), "count_include_pad": False},
    ],
)
@pytest.mark.parametrize("batch", [1, 0])
def test_avg_pool3d_refuses_an_input_smaller_than_the_kernel(kw, batch):
    a = np.zeros((batch, 1, 6, 7, 2))
    m, t = _both(a)
    with pytest.raises(RuntimeError, match="smaller than kernel size"):
        TF.avg_pool3d(t, **kw)
    msg = r"avg_pool3d: input image \(T: 6 H: 7 W: 2\) smaller than kernel size"
    with pytest.raises(RuntimeError, match=msg):
        F.avg_pool3d(m, **kw)
    with pytest.raises(RuntimeError, match=msg):
        mg.nn.AvgPool3d(**kw)(m)


def test_avg_pool3d_kernel_equal_to_the_input_still_pools():
    a = np.random.RandomState(8).randn(1, 2, 3, 4, 2)
    m, t = _both(a, requires_grad=True)
    kw = {"kernel_size": (3, 3, 2), "padding": (1, 1, 1), "ceil_mode": True}
    got, want = F.avg_pool3d(m, **kw), TF.avg_pool3d(t, **kw)
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-12)
    # the 2-d pools check only the output size, as PyTorch's
    kw2 = {"kernel_size": 3, "padding": 1, "ceil_mode": True}
    np.testing.assert_allclose(
        F.avg_pool2d(m[0, :, 0, :, :1], **kw2).detach().numpy(),
        TF.avg_pool2d(t[0, :, 0, :, :1], **kw2).detach().numpy(),
        rtol=1e-12,
    )


# ---------------------------------------------------------------- zero input channels
@pytest.mark.parametrize(
    "op,x,w,kw",
    [
        ("conv2d", (2, 0, 5, 5), (6, 0, 3, 3), {}),
        ("conv2d", (2, 0, 5, 5), (6, 0, 3, 3), {"padding": 1, "groups": 2}),
        ("conv2d", (0, 0, 5, 5), (6, 0, 3, 3), {"padding": "same"}),
        ("conv1d", (2, 0, 5), (6, 0, 3), {}),
        ("conv3d", (2, 0, 4, 4, 4), (6, 0, 3, 3, 3), {}),
    ],
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_conv_of_zero_input_channels_differentiates(op, x, w, kw, dtype):
    # minigrad's output is the bias over (N, OC, ...) (PyTorch's has no channels, a
    # documented difference); the backward must not fail: empty input and weight
    # gradients, the bias gradient the sum of the output gradient
    rng = np.random.RandomState(9)
    xm = mg.tensor(rng.randn(*x).astype(dtype), requires_grad=True)
    wm = mg.tensor(rng.randn(*w).astype(dtype), requires_grad=True)
    bm = mg.tensor(np.arange(w[0], dtype=dtype), requires_grad=True)
    y = getattr(F, op)(xm, wm, bm, **kw)
    assert y.shape[:2] == (x[0], w[0]) and y.dtype == dtype
    bias = bm.detach().numpy().reshape((-1,) + (1,) * (len(x) - 2))
    np.testing.assert_array_equal(y.detach().numpy(), np.broadcast_to(bias, y.shape))
    gy = rng.randn(*y.shape).astype(dtype)
    (gx, gw, gb) = mg.grad((y * mg.tensor(gy)).sum(), (xm, wm, bm), create_graph=True)
    assert gx.shape == x and gw.shape == w
    axes = (0,) + tuple(range(2, len(x)))
    np.testing.assert_allclose(gb.detach().numpy(), gy.sum(axis=axes), rtol=1e-5)
    # and with the same shapes through PyTorch: the input and weight gradients are empty
    xt = torch.tensor(xm.detach().numpy(), requires_grad=True)
    wt = torch.tensor(wm.detach().numpy(), requires_grad=True)
    getattr(TF, op)(xt, wt, **kw).sum().backward()
    assert tuple(xt.grad.shape) == gx.shape and tuple(wt.grad.shape) == gw.shape


# ---------------------------------------------------------------- documented refusal
def test_conv_transpose2d_to_an_empty_size_is_refused_as_pytorchs_float64():
    rng = np.random.RandomState(10)
    a, w = rng.randn(1, 2, 9, 2), rng.randn(2, 3, 4, 4)
    with pytest.raises(RuntimeError, match="Output size is too small"):
        TF.conv_transpose2d(torch.tensor(a), torch.tensor(w), stride=2, padding=3)
    with pytest.raises(mg.errors.ShapeError, match=r"output size \(14, 0\) is not positive"):
        F.conv_transpose2d(mg.tensor(a), mg.tensor(w), stride=2, padding=3)


# ---------------------------------------------------------------- fractional max pooling
def _fractional(n, *args, **kw):
    from minigrad.ops.nn_pool import fractional_max_pool_nd

    return fractional_max_pool_nd(*args[:1], n, *args[1:], op=f"fractional_max_pool{n}d", **kw)


@pytest.mark.parametrize("n", [2, 3])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_fractional_max_pool_matches_pytorch_given_its_samples(n, dtype):
    rng = np.random.RandomState(11)
    tf = TF.fractional_max_pool2d if n == 2 else TF.fractional_max_pool3d
    for trial in range(12):
        sizes = tuple(rng.randint(4, 12 if n == 2 else 8, size=n))
        k = tuple(int(v) for v in rng.randint(1, 4, size=n))
        room = [s - kk + (1 if n == 2 else 0) for s, kk in zip(sizes, k, strict=True)]
        out = tuple(int(rng.randint(0 if trial == 0 else 1, r)) if r > 1 else 1 for r in room)
        a = rng.randn(2, 3, *sizes).astype(dtype)
        if trial % 3 == 1:
            a = np.round(a)  # ties: the first maximum
        if trial % 4 == 2:
            a.reshape(-1)[rng.randint(a.size, size=3)] = NAN
        u = rng.rand(2, 3, n).astype(dtype)
        m, t = _both(a, requires_grad=dtype != np.float16)
        yt, it = tf(t, k, output_size=out, return_indices=True, _random_samples=torch.tensor(u))
        ym, im = _fractional(n, m, k, out, None, True, mg.tensor(u))
        np.testing.assert_array_equal(ym.detach().numpy(), yt.detach().numpy())
        np.testing.assert_array_equal(im.numpy(), it.numpy())
        assert ym.dtype == dtype and im.dtype == np.int64
        if dtype != np.float16 and ym.numel():
            gy = rng.randn(*ym.shape).astype(dtype)
            (ym * mg.tensor(gy)).sum().backward()
            (yt * torch.tensor(gy)).sum().backward()
            np.testing.assert_array_equal(m.grad.numpy(), t.grad.numpy())


def test_fractional_max_pool_ratio_unbatched_layers_and_second_derivative():
    from minigrad.nn.pooling import FractionalMaxPool2d, FractionalMaxPool3d

    rng = np.random.RandomState(12)
    a, u = rng.randn(3, 9, 10), rng.rand(1, 3, 2)
    tl = torch.nn.FractionalMaxPool2d(3, output_ratio=(0.5, 0.7), _random_samples=torch.tensor(u))
    ml = FractionalMaxPool2d(3, output_ratio=(0.5, 0.7), _random_samples=mg.tensor(u))
    assert repr(ml) == repr(tl) and list(ml.state_dict()) == list(tl.state_dict())
    assert (ml.kernel_size, ml.output_ratio, ml.output_size) == (
        tl.kernel_size,
        tl.output_ratio,
        tl.output_size,
    )
    for L, layer, grad in ((mg, ml, mg.grad), (torch, tl, torch.autograd.grad)):
        x = L.tensor(a.copy(), requires_grad=True)
        y = layer(x)
        assert tuple(y.shape) == (3, 4, 7)
        (g,) = grad((y * y.detach()).sum(), x, create_graph=True)
        assert g.requires_grad
        (gg,) = grad(g.sum(), x)
        np.testing.assert_array_equal(np.asarray(gg.detach().numpy()), np.zeros(a.shape))
        if L is mg:
            want = (y.detach().numpy(), g.detach().numpy())
        else:
            np.testing.assert_array_equal(want[0], y.detach().numpy())
            np.testing.assert_array_equal(want[1], g.detach().numpy())
    # drawn samples: minigrad's generator, repeatable under its seed; the windows still
    # cover the input as PyTorch's (the last one ends at its end)
    x = mg.tensor(rng.randn(2, 2, 6, 7, 8))
    layer = FractionalMaxPool3d(2, output_size=(3, 4, 5), return_indices=True)
    mg.manual_seed(0)
    y1, i1 = layer(x)
    mg.manual_seed(0)
    y2, i2 = layer(x)
    np.testing.assert_array_equal(i1.numpy(), i2.numpy())
    assert y1.shape == (2, 2, 3, 4, 5)
    np.testing.assert_array_equal(
        y1.numpy(),
        x.numpy()
        .reshape(2, 2, -1)[
            np.arange(2)[:, None, None], np.arange(2)[None, :, None], i1.numpy().reshape(2, 2, -1)
        ]
        .reshape(y1.shape),
    )


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda F, x, u: F(x, 3, output_size=(6, 5), _random_samples=u), "too large"),
        (lambda F, x, u: F(x, 2, _random_samples=u), "either an output_size or an output_ratio"),
        (lambda F, x, u: F(x, 2, output_size=3, _random_samples=u[:1]), "_random_samples"),
        (lambda F, x, u: F(x, 2, output_size=3, _random_samples=u[:, :2]), "_random_samples"),
        (lambda F, x, u: F(x, 2, output_size=3, _random_samples=u[..., :1]), "_random_samples"),
        (lambda F, x, u: F(x, 2, output_size=3, _random_samples=u.double()), "dtype"),
        (lambda F, x, u: F(x[None], 2, output_size=3, _random_samples=u), "3D or 4D"),
        (lambda F, x, u: F(x[:, :0], 2, output_size=3, _random_samples=u[:, :0]), "non-zero"),
    ],
)
def test_fractional_max_pool_refuses_what_pytorch_refuses(call, match):
    a = np.random.RandomState(13).randn(2, 3, 7, 9).astype(np.float32)
    u = np.random.RandomState(14).rand(2, 3, 2).astype(np.float32)
    with pytest.raises((RuntimeError, ValueError), match=match if match != "3D or 4D" else None):
        call(TF.fractional_max_pool2d, torch.tensor(a), torch.tensor(u))

    def mine(x, *args, **kw):
        return _fractional(2, x, *args, **kw)

    with pytest.raises((RuntimeError, ValueError), match=match):
        call(mine, mg.tensor(a), mg.tensor(u))


def test_adaptive_max_pool3d_gradient_has_a_zero_second_derivative():
    a = np.random.RandomState(15).randn(1, 2, 5, 4, 6)
    for L, Fn, grad in ((mg, F, mg.grad), (torch, TF, torch.autograd.grad)):
        x = L.tensor(a.copy(), requires_grad=True)
        (g,) = grad(Fn.adaptive_max_pool3d(x, (2, 3, 4)).sum(), x, create_graph=True)
        assert g.requires_grad
        (gg,) = grad(g.sum(), x)
        np.testing.assert_array_equal(np.asarray(gg.detach().numpy()), np.zeros(a.shape))


@pytest.mark.parametrize("padding_mode", ["zeros", "reflect"])
def test_a_conv_pickled_by_an_earlier_minigrad_gets_its_newer_attributes(padding_mode):
    """An earlier minigrad's Conv2d had `_pad_widths` and neither `output_padding` nor
    `_reversed_padding_repeated_twice`: unpickled now, it prints and runs as a new one."""
    import pickle

    new = mg.nn.Conv2d(2, 3, 3, padding=1, padding_mode=padding_mode)
    old = pickle.loads(pickle.dumps(new))
    del old.__dict__["output_padding"], old.__dict__["_reversed_padding_repeated_twice"]
    old.__dict__["_pad_widths"] = (1, 1, 1, 1)
    back = pickle.loads(pickle.dumps(old))
    assert "_pad_widths" not in back.__dict__
    assert repr(back) == repr(new)
    x = mg.randn(1, 2, 5, 5)
    np.testing.assert_array_equal(back(x).detach().numpy(), new(x).detach().numpy())
