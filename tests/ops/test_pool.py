"""max_pool2d, avg_pool2d, interpolate: torch agreement (values and gradients), gradcheck
and gradgradcheck, argmax routing and ties, validation."""

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from op_cases import torch_or_skip

import minigrad as mg
from minigrad.backend import as_numpy
from minigrad.ops.pool import avg_pool2d, interpolate, max_pool2d

FIXTURE_OK = [HealthCheck.function_scoped_fixture]


@st.composite
def pool_configs(draw):
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = draw(st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    padding = tuple(draw(st.integers(0, k[a] // 2)) for a in range(2))
    hw = tuple(draw(st.integers(max(1, k[a] - 2 * padding[a]), k[a] + 4)) for a in range(2))
    return dict(
        k=k,
        stride=stride,
        padding=padding,
        shape=(draw(st.integers(1, 2)), 2) + hw,
        count_include_pad=draw(st.booleans()),
    )


def _distinct(shape, seed=0):
    """Values at least 0.01 apart, so finite differences never cross a max."""
    rng = np.random.default_rng(seed)
    return rng.permutation(int(np.prod(shape))).reshape(shape) * 0.01 - 0.3


def _ops(cfg):
    k, s, p = cfg["k"], cfg["stride"], cfg["padding"]
    return {
        "max": (lambda x: max_pool2d(x, k, s, p), lambda F, x: F.max_pool2d(x, k, s, p)),
        "avg": (
            lambda x: avg_pool2d(x, k, s, p, cfg["count_include_pad"]),
            lambda F, x: F.avg_pool2d(x, k, s, p, count_include_pad=cfg["count_include_pad"]),
        ),
    }


def _compare(fm, ft, x, device):
    torch = torch_or_skip()
    X = mg.Tensor(x, requires_grad=True, device=device)
    y = fm(X)
    tx = torch.tensor(x, requires_grad=True)
    ty = ft(torch.nn.functional, tx)
    assert y.shape == tuple(ty.shape)
    np.testing.assert_allclose(as_numpy(y._data), ty.detach().numpy(), rtol=1e-6, atol=1e-12)
    gy = np.random.default_rng(1).standard_normal(y.shape)
    (g,) = mg.grad(y, X, mg.Tensor(gy, device=device))
    (tg,) = torch.autograd.grad(ty, tx, torch.tensor(gy))
    np.testing.assert_allclose(as_numpy(g._data), tg.numpy(), rtol=1e-6, atol=1e-12)


@settings(max_examples=80, deadline=None, suppress_health_check=FIXTURE_OK)
@given(cfg=pool_configs(), which=st.sampled_from(["max", "avg"]))
def test_pool_matches_torch(cfg, which, device):
    fm, ft = _ops(cfg)[which]
    _compare(fm, ft, _distinct(cfg["shape"]), device)


@settings(max_examples=25, deadline=None, suppress_health_check=FIXTURE_OK)
@given(cfg=pool_configs(), which=st.sampled_from(["max", "avg"]))
def test_pool_gradcheck_gradgradcheck(cfg, which, device):
    fm, _ = _ops(cfg)[which]
    x = mg.Tensor(_distinct(cfg["shape"], seed=2), requires_grad=True, device=device)
    assert mg.gradcheck(fm, x)
    assert mg.gradgradcheck(fm, x)


def test_max_pool_ties_route_to_first_and_nan_wins(device):
    torch = torch_or_skip()
    x = np.ones((1, 1, 4, 4))
    x[0, 0, 1, 1] = np.nan
    X = mg.Tensor(x, requires_grad=True, device=device)
    y = max_pool2d(X, 2)
    y.sum().backward()
    tx = torch.tensor(x, requires_grad=True)
    ty = torch.nn.functional.max_pool2d(tx, 2)
    ty.sum().backward()
    np.testing.assert_array_equal(as_numpy(y._data), ty.detach().numpy())
    np.testing.assert_array_equal(as_numpy(X.grad._data), tx.grad.numpy())
    assert np.isnan(as_numpy(y._data)[0, 0, 0, 0])
    assert as_numpy(X.grad._data)[0, 0, 0, 2] == 1  # first of the tied window


def test_overlapping_max_windows_accumulate():
    x = mg.Tensor(np.array([[[[0.0, 5.0, 1.0, 0.5]]]]), requires_grad=True)
    max_pool2d(x, (1, 3), stride=1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[[[0, 2, 0, 0]]]])


INTERP = [
    dict(scale_factor=2),
    dict(scale_factor=3),
    dict(scale_factor=(2, 3)),
    dict(size=(5, 7)),
    dict(size=(3, 2)),
    dict(scale_factor=2.5),
    dict(size=8),
]


@pytest.mark.parametrize("kw", INTERP, ids=str)
@pytest.mark.parametrize("mode,align", [("nearest", None), ("bilinear", False), ("bilinear", True)])
def test_interpolate_matches_torch(kw, mode, align, device):
    x = np.random.default_rng(3).standard_normal((2, 3, 4, 5))
    _compare(
        lambda t: interpolate(t, mode=mode, align_corners=align, **kw),
        lambda F, t: F.interpolate(t, mode=mode, align_corners=align, **kw),
        x,
        device,
    )


@pytest.mark.parametrize("mode,align", [("nearest", None), ("bilinear", False), ("bilinear", True)])
def test_interpolate_gradcheck_gradgradcheck(mode, align, device):
    x = mg.Tensor(
        np.random.default_rng(4).standard_normal((1, 2, 3, 4)), requires_grad=True, device=device
    )
    for kw in (dict(scale_factor=2), dict(size=(4, 7))):

        def f(t, kw=kw):
            return interpolate(t, mode=mode, align_corners=align, **kw)

        assert mg.gradcheck(f, x)
        assert mg.gradgradcheck(f, x)


@settings(max_examples=30, deadline=None)
@given(h=st.integers(1, 6), w=st.integers(1, 6), s=st.integers(2, 4))
def test_nearest_integer_upsample_repeats_blocks(h, w, s):
    x = np.arange(h * w, dtype=np.float64).reshape(1, 1, h, w)
    y = interpolate(mg.Tensor(x), scale_factor=s).numpy()
    np.testing.assert_array_equal(y, np.repeat(np.repeat(x, s, axis=2), s, axis=3))


def test_pool_float32_stays_float32(device):
    x = mg.randn(2, 3, 6, 6, device=device, requires_grad=True)
    for f in (
        lambda t: max_pool2d(t, 2),
        lambda t: avg_pool2d(t, 3, 2, 1, False),
        lambda t: interpolate(t, scale_factor=2, mode="bilinear"),
    ):
        y = f(x)
        y.sum().backward()
        assert y.dtype == x.grad.dtype == np.float32


def test_invalid_pool_arguments():
    x = mg.zeros(1, 1, 4, 4)
    with pytest.raises(ValueError, match=r"max_pool2d: padding .*\(1, 1, 4, 4\)"):
        max_pool2d(x, 2, padding=2)
    with pytest.raises(ValueError, match="avg_pool2d: expected a 4-d input"):
        avg_pool2d(mg.zeros(4, 4), 2)
    with pytest.raises(ValueError, match="larger than the padded input"):
        max_pool2d(x, 5)
    with pytest.raises(ValueError, match="exactly one of size and scale_factor"):
        interpolate(x)
    with pytest.raises(ValueError, match="mode"):
        interpolate(x, scale_factor=2, mode="bicubic")
    with pytest.raises(ValueError, match="align_corners"):
        interpolate(x, scale_factor=2, align_corners=True)


def test_avg_pool_count_include_pad_divisors():
    x = mg.Tensor(np.ones((1, 1, 2, 2)))
    np.testing.assert_allclose(
        avg_pool2d(x, 2, 1, 1, True).numpy()[0, 0],
        [[0.25, 0.5, 0.25], [0.5, 1.0, 0.5], [0.25, 0.5, 0.25]],
    )
    np.testing.assert_allclose(avg_pool2d(x, 2, 1, 1, False).numpy()[0, 0], np.ones((3, 3)))


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 9), k=st.integers(1, 3), s=st.integers(1, 3))
def test_pool_output_size(n, k, s):
    assume(n >= k)
    y = max_pool2d(mg.zeros(1, 1, n, n), k, s)
    assert y.shape[2:] == ((n - k) // s + 1,) * 2
