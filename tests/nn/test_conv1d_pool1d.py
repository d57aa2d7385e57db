"""F.conv1d, F.conv_transpose1d, the 1-d pools and adaptive max pooling (1-d and 2-d), and
their layers, against torch 2.13: values, indices and every gradient over many settings,
max-pool ties and NaN, empty batches, unbatched and non-contiguous inputs, gradcheck and
gradgradcheck, state_dict, init, reprs and PyTorch's error wording."""

import math

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional
pytestmark = pytest.mark.filterwarnings("ignore:Using padding=.same. with even kernel")

TOL = {"float32": dict(rtol=1e-5, atol=1e-5), "float64": dict(rtol=1e-10, atol=1e-12)}


def _pair(arr, dtype, requires_grad=True):
    arr = np.asarray(arr, dtype=dtype)
    return (
        mg.tensor(arr, requires_grad=requires_grad),
        torch.tensor(arr, requires_grad=requires_grad),
    )


def _close(got, want, dtype="float64", exact=False):
    want = want.detach().numpy()
    got = got.detach().numpy()
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    assert got.shape == want.shape, (got.shape, want.shape)
    tol = dict(rtol=0, atol=0) if exact else TOL[dtype]
    np.testing.assert_allclose(got, want, equal_nan=True, **tol)


def _check(fm, ft, arrays, dtype="float64", seed=0, exact=False, layout=None, grads=True):
    """fm(*minigrad tensors) against ft(*torch tensors): output (and indices), and the
    gradients of every input for one random output gradient."""
    ms, ts = zip(*(_pair(a, dtype) for a in arrays), strict=True)
    mx, tx = ms, ts
    if layout is not None:  # a non-contiguous view of the first input
        mx = (layout(ms[0]),) + ms[1:]
        tx = (layout(ts[0]),) + ts[1:]
    ym, yt = fm(*mx), ft(*tx)
    if isinstance(yt, tuple):
        np.testing.assert_array_equal(ym[1].numpy(), yt[1].numpy())
        assert ym[1].dtype == np.int64 and not ym[1].requires_grad
        ym, yt = ym[0], yt[0]
    _close(ym, yt, dtype, exact)
    if not grads:
        return
    if yt.numel() == 0:
        gm = mg.grad(ym.sum(), ms, allow_unused=True)
        for g, m in zip(gm, ms, strict=True):
            assert g is None or (g.shape == m.shape and not g.numpy().any())
        return
    gy = np.random.default_rng(seed).standard_normal(tuple(yt.shape)).astype(dtype)
    gm = mg.grad(ym, ms, mg.tensor(gy))
    gt = torch.autograd.grad(yt, ts, torch.tensor(gy))
    for a, b in zip(gm, gt, strict=True):
        _close(a, b, dtype)  # overlapping windows may add up in another order


def _rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _distinct(*shape, seed=0):
    """Values at least 0.01 apart, so finite differences never cross a maximum."""
    n = int(np.prod(shape))
    return np.random.default_rng(seed).permutation(n).reshape(shape) * 0.01 - 0.3


# ---------------------------------------------------------------------- conv1d
CONV = [
    # (N, C, L), OC, K, stride, padding, dilation, groups, bias
    ((2, 4, 11), 6, 3, 1, 0, 1, 1, True),
    ((2, 4, 11), 6, 3, 2, 1, 1, 1, True),
    ((1, 4, 12), 6, 4, 3, 2, 2, 2, False),
    ((3, 6, 9), 6, 3, 1, 1, 1, 6, True),  # depthwise
    ((2, 4, 10), 8, 4, 1, "same", 2, 2, True),  # even total padding split unevenly
    ((2, 4, 10), 8, 4, 1, "same", 1, 1, True),  # odd total: extra zero on the right
    ((2, 4, 7), 4, 5, 1, "valid", 1, 1, False),
    ((2, 3, 1), 5, 1, 1, 0, 1, 1, True),  # length 1
    ((2, 3, 1), 5, 3, 2, 1, 1, 1, True),
    ((1, 2, 13), 4, 2, (3,), (1,), (3,), 1, True),  # 1-tuples
    ((4, 3), 5, 3, 2, 1, 1, 1, True),  # unbatched
    ((0, 4, 9), 6, 3, 1, 1, 1, 2, True),  # empty batch
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("cfg", CONV, ids=str)
def test_conv1d_matches_torch(cfg, dtype):
    shape, oc, k, s, p, d, g, bias = cfg
    c = shape[-2]
    arrays = [_rand(*shape), _rand(oc, c // g, k, seed=1)] + ([_rand(oc, seed=2)] if bias else [])
    _check(
        lambda x, w, b=None: F.conv1d(x, w, b, s, p, d, g),
        lambda x, w, b=None: TF.conv1d(x, w, b, s, p, d, g),
        arrays,
        dtype,
    )


def test_conv1d_non_contiguous_input():
    _check(
        lambda x, w: F.conv1d(x, w, None, 2, 1),
        lambda x, w: TF.conv1d(x, w, None, 2, 1),
        [_rand(2, 9, 3), _rand(5, 3, 3, seed=1)],
        layout=lambda x: x.transpose(1, 2),
    )
    _check(
        lambda x, w: F.conv1d(x, w, None, 1, 1, 2),
        lambda x, w: TF.conv1d(x, w, None, 1, 1, 2),
        [_rand(2, 3, 20), _rand(5, 3, 3, seed=1)],
        layout=lambda x: x[:, :, ::2],
    )


TCONV = [
    # (N, C, L), OC/g, K, stride, padding, output_padding, groups, dilation, bias
    ((2, 4, 7), 3, 3, 1, 0, 0, 1, 1, True),
    ((2, 4, 7), 3, 4, 2, 1, 1, 1, 1, True),
    ((1, 4, 6), 2, 3, 3, 2, 2, 2, 2, False),
    ((2, 6, 5), 1, 3, 2, 0, 1, 3, 1, True),
    ((2, 3, 1), 2, 1, 1, 0, 0, 1, 1, True),  # length 1
    ((2, 3, 1), 2, 3, 2, 1, 1, 1, 2, True),
    ((4, 5), 3, 3, 2, 1, 1, 1, 1, True),  # unbatched
    ((0, 4, 5), 3, 3, 2, 1, 0, 2, 1, True),  # empty batch
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("cfg", TCONV, ids=str)
def test_conv_transpose1d_matches_torch(cfg, dtype):
    shape, ocg, k, s, p, op, g, d, bias = cfg
    c = shape[-2]
    arrays = [_rand(*shape), _rand(c, ocg, k, seed=1)] + ([_rand(ocg * g, seed=2)] if bias else [])
    _check(
        lambda x, w, b=None: F.conv_transpose1d(x, w, b, s, p, op, g, d),
        lambda x, w, b=None: TF.conv_transpose1d(x, w, b, s, p, op, g, d),
        arrays,
        dtype,
    )


def test_conv1d_gradcheck_gradgradcheck():
    x = mg.tensor(_rand(2, 4, 7), requires_grad=True)
    w = mg.tensor(_rand(6, 2, 3, seed=1), requires_grad=True)
    b = mg.tensor(_rand(6, seed=2), requires_grad=True)
    for fn in (
        lambda x, w, b: F.conv1d(x, w, b, 2, 1, 2, 2),
        lambda x, w, b: F.conv1d(x, w, b, 1, "same", 1, 2),
    ):
        assert mg.gradcheck(fn, (x, w, b))
        assert mg.gradgradcheck(fn, (x, w, b))
    wt = mg.tensor(_rand(4, 3, 3, seed=3), requires_grad=True)
    bt = mg.tensor(_rand(3, seed=4), requires_grad=True)

    def fn(x, w, b):
        return F.conv_transpose1d(x, w, b, 2, 1, 1, 1, 2)

    assert mg.gradcheck(fn, (x, wt, bt))
    assert mg.gradgradcheck(fn, (x, wt, bt))


# ---------------------------------------------------------------------- layers
@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize(
    "kw",
    [
        dict(kernel_size=3, padding=1),
        dict(kernel_size=4, padding="same", dilation=2, groups=2),
        dict(kernel_size=4, padding="same"),
        dict(kernel_size=3, stride=2, padding=2, bias=False),
        dict(kernel_size=2, padding="valid"),
    ],
    ids=str,
)
@pytest.mark.parametrize("unbatched", [False, True])
def test_conv1d_layer_loads_torch_state_and_matches(kw, mode, unbatched):
    torch.manual_seed(0)
    t = torch.nn.Conv1d(4, 6, padding_mode=mode, dtype=torch.float64, **kw)
    m = nn.Conv1d(4, 6, padding_mode=mode, dtype="float64", **kw)
    assert repr(m) == repr(t)
    sd = t.state_dict()
    assert list(m.state_dict()) == list(sd)
    assert all(tuple(m.state_dict()[k].shape) == tuple(v.shape) for k, v in sd.items())
    m.load_state_dict({k: v.numpy() for k, v in sd.items()})
    shape = (4, 9) if unbatched else (2, 4, 9)
    xm, xt = _pair(_rand(*shape), "float64")
    ym, yt = m(xm), t(xt)
    _close(ym, yt)
    gy = _rand(*yt.shape, seed=5)
    ym.backward(mg.tensor(gy))
    yt.backward(torch.tensor(gy))
    _close(xm.grad, xt.grad)
    for (name, p), (tname, tp) in zip(m.named_parameters(), t.named_parameters(), strict=True):
        assert name == tname
        _close(p.grad, tp.grad)


@pytest.mark.parametrize(
    "kw",
    [
        dict(kernel_size=3),
        dict(kernel_size=4, stride=2, padding=1, output_padding=1, groups=2, dilation=2),
        dict(kernel_size=3, stride=3, bias=False),
    ],
    ids=str,
)
def test_conv_transpose1d_layer_loads_torch_state_and_matches(kw):
    torch.manual_seed(0)
    t = torch.nn.ConvTranspose1d(4, 6, dtype=torch.float64, **kw)
    m = nn.ConvTranspose1d(4, 6, dtype="float64", **kw)
    assert repr(m) == repr(t)
    sd = t.state_dict()
    assert list(m.state_dict()) == list(sd)
    m.load_state_dict({k: v.numpy() for k, v in sd.items()})
    xm, xt = _pair(_rand(2, 4, 5), "float64")
    ym, yt = m(xm), t(xt)
    _close(ym, yt)
    ym.sum().backward()
    yt.sum().backward()
    _close(xm.grad, xt.grad)
    _close(m.weight.grad, t.weight.grad)
    s = t.stride[0]
    for extra in range(s):
        size = [yt.shape[-1] - t.output_padding[0] + extra]
        _close(m(xm, output_size=size), t(xt, output_size=size))
        _close(m(xm, output_size=[2, 6] + size), t(xt, output_size=[2, 6] + size))
    with pytest.raises(ValueError, match="valid sizes range from"):
        m(xm, output_size=[yt.shape[-1] + s])


@pytest.mark.parametrize(
    "cls,tcls,args,kw,w_shape,fan_in",
    [
        (nn.Conv1d, torch.nn.Conv1d, (6, 8, 3), {}, (8, 6, 3), 18),
        (nn.Conv1d, torch.nn.Conv1d, (6, 8, 5), dict(groups=2, bias=False), (8, 3, 5), 15),
        (nn.ConvTranspose1d, torch.nn.ConvTranspose1d, (6, 8, 4), {}, (6, 8, 4), 32),
        (nn.ConvTranspose1d, torch.nn.ConvTranspose1d, (6, 8, 3), dict(groups=2), (6, 4, 3), 12),
    ],
)
def test_default_init_and_parameter_shapes(cls, tcls, args, kw, w_shape, fan_in):
    mg.manual_seed(1)
    m, t = cls(*args, **kw), tcls(*args, **kw)
    assert m.weight.shape == w_shape == tuple(t.weight.shape)
    assert m.weight.dtype == np.float32
    bound = 1 / math.sqrt(fan_in)
    w = m.weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.8 * bound
    if kw.get("bias", True):
        assert m.bias.shape == (args[1],) and np.abs(m.bias.detach().numpy()).max() <= bound
    else:
        assert m.bias is None and [n for n, _ in m.named_parameters()] == ["weight"]
    assert [(k, tuple(v.shape)) for k, v in m.state_dict().items()] == [
        (k, tuple(v.shape)) for k, v in t.state_dict().items()
    ]


def test_layer_reprs_match_torch():
    cases = [
        ("Conv1d", (3, 8, 3), {}),
        (
            "Conv1d",
            (4, 8, 3),
            dict(stride=2, padding=1, dilation=2, groups=2, bias=False, padding_mode="reflect"),
        ),
        ("Conv1d", (3, 8, 3), dict(padding="same")),
        ("Conv1d", (3, 8, 3), dict(padding="valid")),
        ("ConvTranspose1d", (3, 8, 3), dict(stride=2, output_padding=1, dilation=2, padding=1)),
        ("ConvTranspose1d", (4, 8, 3), dict(groups=2, bias=False)),
        ("MaxPool1d", (3,), {}),
        ("MaxPool1d", (3, 2, 1, 2, True, True), {}),
        ("AvgPool1d", (3,), {}),
        ("AvgPool1d", (3, 2, 1, True, False), {}),
        ("AdaptiveAvgPool1d", (3,), {}),
        ("AdaptiveMaxPool1d", (3, True), {}),
        ("AdaptiveMaxPool2d", ((3, None), True), {}),
        ("AdaptiveMaxPool2d", (3,), {}),
    ]
    for name, args, kw in cases:
        assert repr(getattr(nn, name)(*args, **kw)) == repr(getattr(torch.nn, name)(*args, **kw))


def test_pool_layers_match_torch():
    xm, xt = _pair(_rand(2, 3, 11), "float64")
    for name, args in [
        ("MaxPool1d", (3, 2, 1, 1, True, True)),
        ("MaxPool1d", (3, 2, 1, 2)),
        ("AvgPool1d", (3, 2, 1, True, False)),
        ("AdaptiveAvgPool1d", (4,)),
        ("AdaptiveMaxPool1d", (4, True)),
    ]:
        ym, yt = getattr(nn, name)(*args)(xm), getattr(torch.nn, name)(*args)(xt)
        if isinstance(yt, tuple):
            np.testing.assert_array_equal(ym[1].numpy(), yt[1].numpy())
            ym, yt = ym[0], yt[0]
        _close(ym, yt)
    xm, xt = _pair(_rand(2, 3, 7, 5), "float64")
    ym, im = nn.AdaptiveMaxPool2d((3, None), True)(xm)
    yt, it = torch.nn.AdaptiveMaxPool2d((3, None), True)(xt)
    _close(ym, yt)
    np.testing.assert_array_equal(im.numpy(), it.numpy())


def test_layer_argument_errors_match_torch():
    for kw, match in [
        (dict(groups=2), "in_channels must be divisible by groups"),
        (dict(padding_mode="foo"), "padding_mode must be one of"),
        (dict(stride=2, padding="same"), "padding='same' is not supported for strided"),
        (dict(padding="full"), "Invalid padding string 'full'"),
    ]:
        with pytest.raises(ValueError, match=match):
            torch.nn.Conv1d(3, 8, 3, **kw)
        with pytest.raises(ValueError, match=match):
            nn.Conv1d(3, 8, 3, **kw)
    with pytest.raises(ValueError, match='Only "zeros" padding mode is supported'):
        nn.ConvTranspose1d(3, 8, 3, padding_mode="reflect")


# ---------------------------------------------------------------------- pooling
def _torch_refuses(ft, fm):
    """True when torch raises for these settings; minigrad must then raise the same."""
    try:
        ft()
    except RuntimeError as exc:
        with pytest.raises(RuntimeError) as got:
            fm()
        assert str(got.value) == str(exc)
        return True
    return False


MAX = [
    # kernel, stride, padding, dilation, ceil_mode
    (3, None, 0, 1, False),
    (3, 2, 1, 1, False),
    (3, 2, 1, 1, True),
    (2, 3, 1, 1, True),
    (4, 3, 2, 1, True),
    (1, 1, 0, 1, False),
    (3, 1, 0, 3, False),
    (3, 2, 1, 2, True),
    (2, 3, 1, 3, True),
    (4, 3, 2, 2, False),
    ((3,), (2,), (1,), (2,), False),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("n", [1, 2, 7, 10, 11])
@pytest.mark.parametrize("cfg", MAX, ids=str)
def test_max_pool1d_matches_torch(cfg, n, dtype):
    k, s, p, d, ceil = cfg
    if _torch_refuses(
        lambda: TF.max_pool1d(torch.zeros(1, 1, n), k, s, p, d, ceil),
        lambda: F.max_pool1d(mg.zeros(1, 1, n), k, s, p, d, ceil),
    ):
        return
    # a dilated window may skip the whole input: PyTorch gives -inf and an index past the
    # end, and its backward then writes out of bounds (it aborts), so only values compare
    one = [v if isinstance(v, int) else v[0] for v in (k, k if s is None else s, p, d)]
    out = TF.max_pool1d(torch.zeros(1, 1, n), k, s, p, d, ceil).shape[-1]
    pos = np.arange(out)[:, None] * one[1] - one[2] + np.arange(one[0]) * one[3]
    grads = bool(((pos >= 0) & (pos < n)).any(axis=1).all())
    _check(
        lambda x: F.max_pool1d(x, k, s, p, d, ceil, return_indices=True),
        lambda x: TF.max_pool1d(x, k, s, p, d, ceil, return_indices=True),
        [_rand(2, 3, n)],
        dtype,
        exact=True,
        grads=grads,
    )
    _check(
        lambda x: F.max_pool1d(x, k, s, p, d, ceil),
        lambda x: TF.max_pool1d(x, k, s, p, d, ceil),
        [_rand(3, n)],  # unbatched
        dtype,
        exact=True,
        grads=grads,
    )
    if not grads:  # minigrad's gradient skips the empty windows
        x = mg.tensor(_rand(2, 3, n), requires_grad=True)
        y = F.max_pool1d(x, k, s, p, d, ceil)
        y.backward(mg.ones(*y.shape, dtype="float64"))
        assert x.grad.numpy().sum() == np.isfinite(y.detach().numpy()).sum()


AVG = [
    # kernel, stride, padding, ceil_mode, count_include_pad
    (3, None, 0, False, True),
    (3, 2, 1, False, True),
    (3, 2, 1, False, False),
    (3, 2, 1, True, True),
    (3, 2, 1, True, False),
    (2, 3, 1, True, True),
    (4, 3, 2, True, False),
    (5, 2, 2, True, True),
    (1, 1, 0, True, True),
    ((3,), (2,), (1,), True, True),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("n", [1, 2, 7, 10, 11])
@pytest.mark.parametrize("cfg", AVG, ids=str)
def test_avg_pool1d_matches_torch(cfg, n, dtype):
    k, s, p, ceil, cip = cfg
    if _torch_refuses(
        lambda: TF.avg_pool1d(torch.zeros(1, 1, n), k, s, p, ceil, cip),
        lambda: F.avg_pool1d(mg.zeros(1, 1, n), k, s, p, ceil, cip),
    ):
        return
    for shape in ((2, 3, n), (3, n)):
        _check(
            lambda x: F.avg_pool1d(x, k, s, p, ceil, cip),
            lambda x: TF.avg_pool1d(x, k, s, p, ceil, cip),
            [_rand(*shape)],
            dtype,
        )


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("n", [1, 5, 7, 12])
@pytest.mark.parametrize("out", [0, 1, 2, 3, 5, 7, 12, 13])
def test_adaptive_pool1d_matches_torch(n, out, dtype):
    for shape in ((2, 3, n), (3, n)):
        _check(
            lambda x: F.adaptive_avg_pool1d(x, out),
            lambda x: TF.adaptive_avg_pool1d(x, out),
            [_rand(*shape)],
            dtype,
        )
        _check(
            lambda x: F.adaptive_max_pool1d(x, out, return_indices=True),
            lambda x: TF.adaptive_max_pool1d(x, out, return_indices=True),
            [_rand(*shape)],
            dtype,
            exact=True,
        )


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("hw", [(1, 1), (5, 7), (8, 6)])
@pytest.mark.parametrize("out", [1, 3, (2, 5), (None, 2), (4, None), (9, 7)], ids=str)
def test_adaptive_max_pool2d_matches_torch(hw, out, dtype):
    for shape in ((2, 3) + hw, (3,) + hw):
        _check(
            lambda x: F.adaptive_max_pool2d(x, out, return_indices=True),
            lambda x: TF.adaptive_max_pool2d(x, out, return_indices=True),
            [_rand(*shape)],
            dtype,
            exact=True,
        )
        _check(
            lambda x: F.adaptive_max_pool2d(x, out),
            lambda x: TF.adaptive_max_pool2d(x, out),
            [_rand(*shape)],
            dtype,
            exact=True,
        )


@pytest.mark.parametrize("seed", range(4))
def test_max_pools_ties_nan_inf_route_as_torch(seed):
    """Few distinct values (many ties), NaN and +-inf: the same maxima, the same indices
    and the same gradients, for the strided path, the gathered (dilated) path and the
    adaptive pools."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 3, (2, 3, 12)).astype(np.float64)
    a[rng.random(a.shape) < 0.1] = np.nan
    a[rng.random(a.shape) < 0.1] = -np.inf
    a[rng.random(a.shape) < 0.05] = np.inf
    a[0, 0, :5] = -np.inf  # windows of -inf beside padding
    cases = [
        (
            lambda x, *c: F.max_pool1d(x, *c, return_indices=True),
            lambda x, *c: TF.max_pool1d(x, *c, return_indices=True),
            c,
        )
        for c in [
            (3, 1, 1),
            (2, 2, 1, 1, True),
            (4, 3, 2, 1, True),
            (3, 1, 1, 2),
            (3, 2, 1, 3, True),
        ]
    ] + [
        (
            lambda x, o: F.adaptive_max_pool1d(x, o, True),
            lambda x, o: TF.adaptive_max_pool1d(x, o, True),
            (5,),
        ),
        (
            lambda x, o: F.adaptive_max_pool2d(x, o, True),
            lambda x, o: TF.adaptive_max_pool2d(x, o, True),
            ((2, 5),),
        ),
    ]
    for fm, ft, c in cases:
        _check(lambda x, c=c, fm=fm: fm(x, *c), lambda x, c=c, ft=ft: ft(x, *c), [a], exact=True)


def test_pools_non_contiguous_input():
    for fm, ft in [
        (
            lambda x: F.max_pool1d(x, 3, 2, 1, 1, True, True),
            lambda x: TF.max_pool1d(x, 3, 2, 1, 1, True, True),
        ),
        (lambda x: F.max_pool1d(x, 3, 1, 1, 2), lambda x: TF.max_pool1d(x, 3, 1, 1, 2)),
        (
            lambda x: F.avg_pool1d(x, 3, 2, 1, True, False),
            lambda x: TF.avg_pool1d(x, 3, 2, 1, True, False),
        ),
        (lambda x: F.adaptive_avg_pool1d(x, 4), lambda x: TF.adaptive_avg_pool1d(x, 4)),
        (lambda x: F.adaptive_max_pool1d(x, 4, True), lambda x: TF.adaptive_max_pool1d(x, 4, True)),
    ]:
        _check(fm, ft, [_rand(2, 9, 3)], layout=lambda x: x.transpose(1, 2))
        _check(fm, ft, [_rand(2, 3, 18)], layout=lambda x: x[:, :, ::2])
    _check(
        lambda x: F.adaptive_max_pool2d(x, (2, 3), True),
        lambda x: TF.adaptive_max_pool2d(x, (2, 3), True),
        [_rand(2, 5, 7, 3)],
        layout=lambda x: x.permute(0, 3, 1, 2),
    )


def test_pools_empty_batch():
    a = np.zeros((0, 3, 8))
    for fm, ft in [
        (
            lambda x: F.max_pool1d(x, 3, 2, 1, 1, True, True),
            lambda x: TF.max_pool1d(x, 3, 2, 1, 1, True, True),
        ),
        (lambda x: F.max_pool1d(x, 3, 2, 1, 2), lambda x: TF.max_pool1d(x, 3, 2, 1, 2)),
        (lambda x: F.avg_pool1d(x, 3, 2, 1, True), lambda x: TF.avg_pool1d(x, 3, 2, 1, True)),
        (lambda x: F.adaptive_avg_pool1d(x, 3), lambda x: TF.adaptive_avg_pool1d(x, 3)),
        (lambda x: F.adaptive_max_pool1d(x, 3, True), lambda x: TF.adaptive_max_pool1d(x, 3, True)),
    ]:
        _check(fm, ft, [a])
    _check(
        lambda x: F.adaptive_max_pool2d(x, 2, True),
        lambda x: TF.adaptive_max_pool2d(x, 2, True),
        [np.zeros((0, 3, 4, 5))],
    )


def test_float32_stays_float32_and_indices_are_int64():
    x = mg.tensor(_rand(2, 3, 9).astype(np.float32))
    for y in (
        F.max_pool1d(x, 3, return_indices=True),
        F.max_pool1d(x, 3, dilation=2, return_indices=True),
        F.adaptive_max_pool1d(x, 4, True),
        F.adaptive_max_pool2d(x, 2, True),
    ):
        assert y[0].dtype == np.float32 and y[1].dtype == np.int64
    assert F.avg_pool1d(x, 3, ceil_mode=True).dtype == np.float32
    assert F.adaptive_avg_pool1d(x, 4).dtype == np.float32


def test_pools_gradcheck_gradgradcheck():
    x = mg.tensor(_distinct(2, 2, 9), requires_grad=True)
    x2 = mg.tensor(_distinct(2, 2, 5, 4, seed=1), requires_grad=True)
    for fn, inp in [
        (lambda x: F.max_pool1d(x, 3, 2, 1, 1, True), x),
        (lambda x: F.max_pool1d(x, 3, 2, 1, 2, True), x),
        (lambda x: F.avg_pool1d(x, 3, 2, 1, True, False), x),
        (lambda x: F.avg_pool1d(x, 4, 3, 2, True, True), x),
        (lambda x: F.adaptive_avg_pool1d(x, 4), x),
        (lambda x: F.adaptive_max_pool1d(x, 4), x),
        (lambda x: F.adaptive_max_pool2d(x, (3, 3)), x2),
    ]:
        assert mg.gradcheck(fn, inp)
        assert mg.gradgradcheck(fn, inp)


# ---------------------------------------------------------------------- errors
def _same_error(fm, ft, exc=RuntimeError):
    with pytest.raises(exc) as want:
        ft()
    with pytest.raises(exc) as got:
        fm()
    assert str(got.value) == str(want.value)


def test_errors_match_torch_wording():
    x, xt = mg.zeros(2, 3, 10), torch.zeros(2, 3, 10)
    x4, xt4 = mg.zeros(2, 3, 4, 5), torch.zeros(2, 3, 4, 5)
    cases = [
        (lambda: F.conv1d(x4, mg.zeros(4, 3, 3)), lambda: TF.conv1d(xt4, torch.zeros(4, 3, 3))),
        (lambda: F.conv1d(x, mg.zeros(4, 5, 3)), lambda: TF.conv1d(xt, torch.zeros(4, 5, 3))),
        (
            lambda: F.conv1d(x, mg.zeros(4, 1, 3), groups=2),
            lambda: TF.conv1d(xt, torch.zeros(4, 1, 3), groups=2),
        ),
        (
            lambda: F.conv1d(x[..., :2], mg.zeros(4, 3, 3)),
            lambda: TF.conv1d(xt[..., :2], torch.zeros(4, 3, 3)),
        ),
        (
            lambda: F.conv1d(x, mg.zeros(4, 3, 3), mg.zeros(5)),
            lambda: TF.conv1d(xt, torch.zeros(4, 3, 3), torch.zeros(5)),
        ),
        (
            lambda: F.conv1d(x, mg.zeros(4, 3, 3), stride=2, padding="same"),
            lambda: TF.conv1d(xt, torch.zeros(4, 3, 3), stride=2, padding="same"),
        ),
        (
            lambda: F.conv_transpose1d(x, mg.zeros(4, 3, 3)),
            lambda: TF.conv_transpose1d(xt, torch.zeros(4, 3, 3)),
        ),
        (
            lambda: F.conv_transpose1d(x4, mg.zeros(3, 3, 3)),
            lambda: TF.conv_transpose1d(xt4, torch.zeros(3, 3, 3)),
        ),
        (
            lambda: F.conv_transpose1d(x, mg.zeros(3, 3, 3), stride=2, output_padding=2),
            lambda: TF.conv_transpose1d(xt, torch.zeros(3, 3, 3), stride=2, output_padding=2),
        ),
        (lambda: F.max_pool1d(x4, 2), lambda: TF.max_pool1d(xt4, 2)),
        (lambda: F.max_pool1d(x, 3, padding=2), lambda: TF.max_pool1d(xt, 3, padding=2)),
        (lambda: F.max_pool1d(x, 11), lambda: TF.max_pool1d(xt, 11)),
        (lambda: F.avg_pool1d(x4, 2), lambda: TF.avg_pool1d(xt4, 2)),
        (lambda: F.avg_pool1d(x, 3, padding=2), lambda: TF.avg_pool1d(xt, 3, padding=2)),
        (lambda: F.avg_pool1d(x, 11), lambda: TF.avg_pool1d(xt, 11)),
        (lambda: F.adaptive_avg_pool1d(x4, 2), lambda: TF.adaptive_avg_pool1d(xt4, 2)),
        (lambda: F.adaptive_max_pool1d(x4, 2), lambda: TF.adaptive_max_pool1d(xt4, 2)),
        (
            lambda: F.adaptive_max_pool2d(mg.zeros(2, 3, 4, 5, 6), 2),
            lambda: TF.adaptive_max_pool2d(torch.zeros(2, 3, 4, 5, 6), 2),
        ),
        (
            lambda: F.adaptive_max_pool1d(mg.zeros(2, 3, 0), 2),
            lambda: TF.adaptive_max_pool1d(torch.zeros(2, 3, 0), 2),
        ),
        (lambda: F.adaptive_avg_pool1d(x, (2, 3)), lambda: TF.adaptive_avg_pool1d(xt, (2, 3))),
    ]
    for fm, ft in cases:
        _same_error(fm, ft)
    with pytest.raises(NotImplementedError):
        F.max_pool1d(mg.zeros(2, 3, 10, dtype="int64"), 2)
    for name in ("adaptive_avg_pool1d", "adaptive_max_pool1d"):
        _same_error(
            lambda name=name: getattr(F, name)(x, None),
            lambda name=name: getattr(TF, name)(xt, None),
            TypeError,
        )
