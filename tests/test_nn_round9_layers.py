"""Round 9: 3-d convolutions and pools, pooling options, unpooling, LP pooling, channel
and alpha dropouts, Softmax2d, ChannelShuffle, pdist, CTC and multi-label margin losses."""

import itertools

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _both(x):
    return torch.tensor(x, requires_grad=True), mg.tensor(x, requires_grad=True)


def _compare(t_fn, m_fn, *arrays, tol=1e-10, seed=0):
    """Forward values (and indices) and input gradients of both for a random cotangent."""
    ts, ms = zip(*[_both(a) for a in arrays], strict=True)
    ty, my = t_fn(*ts), m_fn(*ms)
    if isinstance(ty, tuple):
        np.testing.assert_array_equal(my[1].numpy(), ty[1].numpy())
        assert my[1].dtype == np.int64
        ty, my = ty[0], my[0]
    assert tuple(my.shape) == tuple(ty.shape)
    np.testing.assert_allclose(my.detach().numpy(), ty.detach().numpy(), rtol=tol, atol=tol)
    g = np.random.default_rng(seed).standard_normal(ty.shape)
    ty.backward(torch.tensor(g, dtype=ty.dtype))
    my.backward(mg.tensor(g.astype(my.dtype)))
    for t, m in zip(ts, ms, strict=True):
        np.testing.assert_allclose(m.grad.numpy(), t.grad.numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize(
    "s, p, d, g",
    [(1, 0, 1, 1), (2, 1, 1, 1), ((1, 2, 3), (0, 1, 2), (2, 1, 1), 2), (3, 2, 2, 2)],
)
def test_conv3d_and_transpose(s, p, d, g):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 4, 7, 8, 9))
    w, wt, b = (
        rng.standard_normal((6, 4 // g, 3, 2, 3)),
        rng.standard_normal((4, 6 // g, 3, 2, 3)),
        rng.standard_normal(6),
    )
    _compare(lambda *a: TF.conv3d(*a, s, p, d, g), lambda *a: F.conv3d(*a, s, p, d, g), x, w, b)
    op = 0 if s == 1 else (0, 1, 1) if isinstance(s, tuple) else 1
    _compare(
        lambda *a: TF.conv_transpose3d(*a, s, p, op, g, d),
        lambda *a: F.conv_transpose3d(*a, s, p, op, g, d),
        x,
        wt,
        b,
    )


def test_conv3d_modules_unbatched_same_and_gradgrad():
    for cls, kw in [("Conv3d", {"padding": "same", "dilation": 2}), ("ConvTranspose3d", {})]:
        t = getattr(torch.nn, cls)(2, 3, (2, 3, 2), bias=True, dtype=torch.float64, **kw)
        m = getattr(nn, cls)(2, 3, (2, 3, 2), bias=True, dtype=np.float64, **kw)
        assert repr(m) == repr(t) and list(m.state_dict()) == list(t.state_dict())
        assert m.weight.shape == tuple(t.weight.shape)
        m.load_state_dict({k: mg.tensor(v.numpy()) for k, v in t.state_dict().items()})
        x = np.random.default_rng(1).standard_normal((2, 4, 5, 6))  # unbatched
        _compare(t, m, x)
        _compare(t, m, np.zeros((0, 2, 4, 5, 6)))  # batch 0
    x = mg.tensor(np.random.default_rng(2).standard_normal((1, 1, 3, 3, 3)), requires_grad=True)
    w = mg.tensor(np.random.default_rng(3).standard_normal((1, 1, 2, 2, 2)), requires_grad=True)
    assert mg.autograd.gradgradcheck(lambda a, b: F.conv3d(a, b, stride=(2, 1, 1)), (x, w))
    assert mg.autograd.gradgradcheck(lambda a, b: F.conv_transpose3d(a, b, stride=2), (x, w))


def _pool_cases():
    for k, s, p, d, c in itertools.product([2, 3], [None, 1, 2], [0, 1], [1, 2], [False, True]):
        if p <= ((k - 1) * d + 1) // 2:
            yield k, s, p, d, c


@pytest.mark.parametrize("nd, shape", [(2, (2, 3, 7, 8)), (3, (2, 2, 5, 6, 7)), (3, (2, 5, 6, 7))])
def test_max_and_avg_pool_options(nd, shape):
    x = np.random.default_rng(4).standard_normal(shape)
    name = f"max_pool{nd}d"
    for k, s, p, d, c in _pool_cases():
        kw = dict(kernel_size=k, stride=s, padding=p, dilation=d, ceil_mode=c)
        for ri in (False, True):
            _compare(
                lambda a, kw=kw, ri=ri: getattr(TF, name)(a, return_indices=ri, **kw),
                lambda a, kw=kw, ri=ri: getattr(F, name)(a, return_indices=ri, **kw),
                x,
            )
        if d == 1:
            for cip, dov in [(True, None), (False, None), (True, 3)]:
                kw2 = dict(kernel_size=k, stride=s, padding=p, ceil_mode=c)
                kw2.update(count_include_pad=cip, divisor_override=dov)
                _compare(
                    lambda a, kw2=kw2: getattr(TF, f"avg_pool{nd}d")(a, **kw2),
                    lambda a, kw2=kw2: getattr(F, f"avg_pool{nd}d")(a, **kw2),
                    x,
                )


def test_pool_modules_reprs_indices_and_errors():
    for args in [(2,), ((2, 3), 1, 1, 2, True, True)]:
        for cls in ("MaxPool2d", "MaxPool3d"):
            assert repr(getattr(nn, cls)(*args)) == repr(getattr(torch.nn, cls)(*args))
    for args in [(2,), (3, 2, 1, True, False, 3)]:
        for cls in ("AvgPool2d", "AvgPool3d"):
            m, t = getattr(nn, cls)(*args), getattr(torch.nn, cls)(*args)
            assert repr(m) == repr(t) and m.stride == t.stride
    x = np.random.default_rng(5).standard_normal((1, 2, 5, 5))
    y, idx = nn.MaxPool2d(2, return_indices=True)(mg.tensor(x))
    ty, tidx = TF.max_pool2d_with_indices(torch.tensor(x), 2)
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())
    y1, i1 = F.max_pool1d_with_indices(mg.tensor(x[0]), 2)
    np.testing.assert_array_equal(i1.numpy(), TF.max_pool1d_with_indices(torch.tensor(x[0]), 2)[1])
    with pytest.raises(RuntimeError, match="pad should be smaller than or equal to half"):
        F.max_pool3d(mg.zeros(1, 1, 4, 4, 4), 2, padding=2)
    with pytest.raises(RuntimeError, match="4D or 5D"):
        F.max_pool3d(mg.zeros(4, 4, 4), 2)
    with pytest.raises(RuntimeError, match="stride should not be zero"):
        F.max_pool3d(mg.zeros(1, 1, 4, 4, 4), 2, 0)
    with pytest.raises(RuntimeError, match="Output size is too small"):
        F.max_pool3d(mg.zeros(1, 1, 4, 4, 4), 5)
    x = mg.tensor(np.random.default_rng(6).standard_normal((1, 1, 3, 4, 3)), requires_grad=True)
    assert mg.autograd.gradgradcheck(lambda a: F.max_pool3d(a, 2, 1, 1, ceil_mode=True), (x,))
    assert mg.autograd.gradgradcheck(lambda a: F.avg_pool3d(a, 2, 2, 1, True, False), (x,))


def test_max_pool_nan_and_noncontiguous():
    x = np.random.default_rng(7).standard_normal((2, 3, 6, 6, 4)).transpose(0, 1, 4, 3, 2)
    x[0, 0, 1, 1, 1] = np.nan
    _compare(
        lambda a: TF.max_pool3d(a, 2, return_indices=True),
        lambda a: F.max_pool3d(a, 2, return_indices=True),
        x,
    )


@pytest.mark.parametrize("out", [1, 2, 3, (2, None, 4), (7, 8, 5), (4, 5, 3)])
def test_adaptive_pool3d(out):
    x = np.random.default_rng(8).standard_normal((2, 3, 7, 8, 5))
    _compare(
        lambda a: TF.adaptive_max_pool3d(a, out, True),
        lambda a: F.adaptive_max_pool3d(a, out, True),
        x,
    )
    _compare(lambda a: TF.adaptive_avg_pool3d(a, out), lambda a: F.adaptive_avg_pool3d(a, out), x)
    _compare(torch.nn.AdaptiveAvgPool3d(out), nn.AdaptiveAvgPool3d(out), x[0])
    assert repr(nn.AdaptiveMaxPool3d(out, True)) == repr(torch.nn.AdaptiveMaxPool3d(out, True))


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_max_unpool(nd):
    shape = (2, 3) + (6, 6, 6)[:nd]
    x = np.random.default_rng(9).standard_normal(shape)
    tpool = getattr(TF, f"max_pool{nd}d")
    _, idx = tpool(torch.tensor(x), 2, 2, 1, return_indices=True)
    pooled = tpool(torch.tensor(x), 2, 2, 1).numpy()
    tun = getattr(torch.nn, f"MaxUnpool{nd}d")(2, 2, 1)
    mun = getattr(nn, f"MaxUnpool{nd}d")(2, 2, 1)
    assert repr(mun) == repr(tun)
    midx = mg.tensor(idx.numpy())
    _compare(lambda a: tun(a, idx), lambda a: mun(a, midx), pooled)
    _compare(
        lambda a: tun(a, idx, output_size=shape), lambda a: mun(a, midx, output_size=shape), pooled
    )
    with pytest.raises(RuntimeError, match="Expected shape of indices"):
        mun(mg.tensor(pooled), mg.tensor(idx.numpy()[0]))
    p = mg.tensor(pooled, requires_grad=True)
    assert mg.autograd.gradgradcheck(lambda a: mun(a, midx), (p,))


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_lp_pool(nd):
    shape = (2, 3) + (9, 8, 7)[:nd]
    x = np.abs(np.random.default_rng(10).standard_normal(shape)) + 0.1
    for p, k, s, c in [(1.0, 2, None, False), (2.0, 3, 2, True), (3.5, 2, 1, False)]:
        t = getattr(torch.nn, f"LPPool{nd}d")(p, k, s, c)
        m = getattr(nn, f"LPPool{nd}d")(p, k, s, c)
        assert repr(m) == repr(t)
        _compare(t, m, x)


def test_channel_and_alpha_dropout():
    mg.manual_seed(0)
    x = mg.ones(40, 30, 4)
    y = F.dropout1d(x, 0.5)
    per_channel = y.numpy().reshape(40, 30, 4)
    assert ((per_channel == 0).all(-1) | (per_channel == 2).all(-1)).all()
    assert F.dropout1d(mg.ones(3, 4), 0.5).shape == (3, 4)
    with pytest.raises(RuntimeError, match="Expected 2D or 3D input"):
        F.dropout1d(mg.ones(2, 3, 4, 5))
    y = nn.Dropout3d(0.5)(mg.ones(4, 5, 2, 2, 2)).numpy().reshape(4, 5, -1)
    assert ((y == 0).all(-1) | (y == 2).all(-1)).all()
    with pytest.warns(UserWarning, match="dropout3d: Received a 3-D input"):
        F.dropout3d(mg.ones(2, 3, 4))
    # alpha dropout keeps a standard normal's mean and variance; eval is the identity
    z = mg.tensor(np.random.default_rng(11).standard_normal(200_000))
    d = F.alpha_dropout(z, 0.3, training=True).numpy()
    assert abs(d.mean()) < 0.02 and abs(d.std() - 1) < 0.02
    a = 1 / np.sqrt((1.7580993408473766**2 * 0.3 + 1) * 0.7)
    dropped = -1.7580993408473766 * a + 1.7580993408473766 * a * 0.3
    assert abs(np.isclose(d, dropped).mean() - 0.3) < 0.01  # the dropped units' one value
    assert nn.AlphaDropout(0.3).eval()(z) is z
    f = nn.FeatureAlphaDropout(0.5)(mg.ones(6, 8, 3)).numpy()
    assert (f == f[:, :, :1]).all()
    for cls, args in [
        ("Dropout1d", ()),
        ("Dropout3d", (0.2, True)),
        ("AlphaDropout", ()),
        ("FeatureAlphaDropout", (0.3,)),
    ]:
        assert repr(getattr(nn, cls)(*args)) == repr(getattr(torch.nn, cls)(*args))
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.alpha_dropout(z, 1.5, True)


def test_softmax2d_channel_shuffle_pdist():
    x = np.random.default_rng(12).standard_normal((2, 6, 3, 4))
    _compare(torch.nn.Softmax2d(), nn.Softmax2d(), x)
    _compare(torch.nn.Softmax2d(), nn.Softmax2d(), x[0])
    with pytest.raises(ValueError, match="3D or 4D"):
        nn.Softmax2d()(mg.zeros(2, 3))
    _compare(torch.nn.ChannelShuffle(3), nn.ChannelShuffle(3), x)
    assert repr(nn.ChannelShuffle(3)) == repr(torch.nn.ChannelShuffle(3))
    with pytest.raises(RuntimeError, match="divisible by groups"):
        F.channel_shuffle(mg.zeros(1, 5, 2), 2)
    rows = np.random.default_rng(13).standard_normal((5, 4))
    rows[3] = rows[1]  # a zero distance: gradient 0 there, as PyTorch
    for p in (2.0, 1.0, 0.5, 3.0, float("inf")):
        _compare(lambda a, p=p: TF.pdist(a, p), lambda a, p=p: F.pdist(a, p), rows, tol=1e-9)
    r = mg.tensor(np.random.default_rng(14).standard_normal((4, 3)), requires_grad=True)
    assert mg.autograd.gradgradcheck(lambda a: F.pdist(a), (r,))
    assert F.pdist(mg.zeros(1, 3)).shape == (0,)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("zero_infinity", [False, True])
@pytest.mark.parametrize("concat", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_ctc_loss(reduction, zero_infinity, concat, dtype):
    rng = np.random.default_rng(15)
    logits = rng.standard_normal((12, 4, 6)).astype(dtype)
    tl, il = np.array([3, 0, 5, 7]), np.array([12, 5, 9, 6])  # the last is infeasible
    tg = rng.integers(1, 6, (4, 7))
    tg[0, :3] = [2, 2, 3]  # a repeated label needs a blank between
    tgt = np.concatenate([tg[i, : tl[i]] for i in range(4)]) if concat else tg
    tx, mx = _both(logits)
    t = TF.ctc_loss(
        tx.log_softmax(2),
        torch.tensor(tgt),
        torch.tensor(il),
        torch.tensor(tl),
        0,
        reduction,
        zero_infinity,
    )
    m = nn.CTCLoss(0, reduction, zero_infinity)(
        mx.log_softmax(2), mg.tensor(tgt), mg.tensor(il), mg.tensor(tl)
    )
    tol = 1e-10 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(m.detach().numpy(), t.detach().numpy(), rtol=tol)
    g = rng.standard_normal(t.shape)
    t.backward(torch.tensor(g, dtype=t.dtype))
    m.backward(mg.tensor(g.astype(dtype)))
    np.testing.assert_allclose(mx.grad.numpy(), tx.grad.numpy(), rtol=tol, atol=tol)
    assert repr(nn.CTCLoss(reduction="sum")) == repr(torch.nn.CTCLoss(reduction="sum"))


def test_ctc_loss_raw_log_probs_blank_unbatched_and_gradcheck():
    rng = np.random.default_rng(16)
    lp = rng.standard_normal((7, 2, 5))
    _compare(
        lambda a: TF.ctc_loss(a, torch.tensor([[1, 1], [4, 0]]), [7, 6], [2, 1], blank=2),
        lambda a: F.ctc_loss(a, mg.tensor([[1, 1], [4, 0]]), [7, 6], [2, 1], blank=2),
        lp,
    )
    _compare(
        lambda a: TF.ctc_loss(
            a.log_softmax(1), torch.tensor([1, 3]), torch.tensor(7), torch.tensor(2)
        ),
        lambda a: F.ctc_loss(a.log_softmax(1), mg.tensor([1, 3]), mg.tensor(7), mg.tensor(2)),
        lp[:, 0],
    )
    logits = mg.tensor(lp, requires_grad=True)
    tgt = mg.tensor([[1, 2], [3, 3]])
    assert mg.autograd.gradcheck(
        lambda a: F.ctc_loss(a.log_softmax(2), tgt, [7, 6], [2, 2]), (logits,)
    )
    with pytest.raises(RuntimeError, match="input_lengths to have value at most 7"):
        F.ctc_loss(logits, tgt, [8, 6], [2, 2])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_multilabel_margin_loss(reduction):
    x = np.random.default_rng(17).standard_normal((3, 5))
    t = np.array([[3, 0, -1, 1, 2], [4, 1, 4, -1, 0], [-1, 2, 3, 4, 0]])
    _compare(
        lambda a: torch.nn.MultiLabelMarginLoss(reduction=reduction)(a, torch.tensor(t)),
        lambda a: nn.MultiLabelMarginLoss(reduction=reduction)(a, mg.tensor(t)),
        x,
    )
    _compare(
        lambda a: TF.multilabel_margin_loss(a, torch.tensor(t[0])),
        lambda a: F.multilabel_margin_loss(a, mg.tensor(t[0])),
        x[0],
    )
    with pytest.raises(RuntimeError, match="inconsistent target size"):
        F.multilabel_margin_loss(mg.zeros(2, 3), mg.tensor([0, 1]))
