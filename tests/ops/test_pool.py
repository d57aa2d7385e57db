"""max_pool2d, avg_pool2d, interpolate: torch agreement (values and gradients), gradcheck
and gradgradcheck, argmax routing and ties, validation."""

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from op_cases import torch_or_skip

import minigrad as mg
from minigrad.backend import as_numpy
from minigrad.ops.layout import memory_order
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


def _tied_values(rng, shape, dtype, specials):
    """Few distinct values (ties in most windows); with `specials`, NaN and -inf too."""
    x = rng.integers(-2, 3, shape).astype(dtype)
    if specials:
        x[rng.random(shape) < 0.15] = np.nan
        x[rng.random(shape) < 0.3] = -np.inf
    return x


@settings(max_examples=120, deadline=None)
@given(
    cfg=pool_configs(),
    dtype=st.sampled_from([np.float32, np.float64]),
    specials=st.booleans(),
    layout=st.sampled_from(["contiguous", "transposed", "strided", "batch-minor", "channels-last"]),
    seed=st.integers(0, 2**16),
)
def test_max_pool_ties_nan_inf_and_layouts_route_as_torch(cfg, dtype, specials, layout, seed):
    """Values and gradients equal torch's exactly: ties go to the window's first maximum,
    NaN windows to their last NaN, all -inf windows to their first unpadded value; inputs
    and incoming gradients may be non-contiguous views. A dense input's gradient comes
    back in the input's memory order (a convolution's output is batch-minor)."""
    torch = torch_or_skip()
    k, s, p = cfg["k"], cfg["stride"], cfg["padding"]
    rng = np.random.default_rng(seed)
    shape = cfg["shape"]
    if layout == "contiguous":
        x = _tied_values(rng, shape, dtype, specials)
    elif layout == "transposed":
        x = _tied_values(rng, shape[:2] + shape[:1:-1], dtype, specials).transpose(0, 1, 3, 2)
    elif layout == "batch-minor":  # N varies fastest, as a convolution's output
        x = _tied_values(rng, shape[1:] + shape[:1], dtype, specials).transpose(3, 0, 1, 2)
    elif layout == "channels-last":
        x = _tied_values(rng, (shape[0],) + shape[2:] + (shape[1],), dtype, specials)
        x = x.transpose(0, 3, 1, 2)
    else:
        x = _tied_values(rng, shape[:3] + (2 * shape[3],), dtype, specials)[..., ::2]
    X = mg.Tensor(x, requires_grad=True)
    y = max_pool2d(X, k, s, p)
    tx = torch.tensor(np.ascontiguousarray(x), requires_grad=True)
    ty = torch.nn.functional.max_pool2d(tx, k, s, p)
    np.testing.assert_array_equal(y.detach().numpy(), ty.detach().numpy())
    assert y.dtype == dtype
    gy = rng.permutation(int(np.prod(y.shape))).reshape(y.shape).astype(dtype) + 1
    gy = np.ascontiguousarray(gy.transpose(0, 1, 3, 2)).transpose(0, 1, 3, 2)  # a view
    if all(si >= ki for si, ki in zip(s or k, k, strict=True)) and not any(p):
        # non-overlapping windows scatter straight into a buffer laid out as x (what
        # mg.grad returns is a copy of its own, so look at the op's output)
        gx = y.creator.backward(mg.Tensor(gy))._data

        def order(a):  # axes of length 1 have no place in memory
            return [i for i in memory_order(a) if a.shape[i] > 1]

        assert order(gx) == order(x)
    (g,) = mg.grad(y, X, mg.Tensor(gy))
    (tg,) = torch.autograd.grad(ty, tx, torch.tensor(gy))
    np.testing.assert_array_equal(g.numpy(), tg.numpy())


def test_max_pool_inf_gradient_stays_in_its_window():
    """An inf gradient reaches only its window's argmax; the other inputs get 0, not NaN."""
    x = mg.Tensor(np.arange(16.0).reshape(1, 1, 4, 4), requires_grad=True)
    y = max_pool2d(x, 2)
    (g,) = mg.grad(y, x, mg.Tensor(np.array([[[[np.inf, 1.0], [-np.inf, 2.0]]]])))
    want = np.zeros((4, 4))
    want[1, 1], want[1, 3], want[3, 1], want[3, 3] = np.inf, 1, -np.inf, 2
    np.testing.assert_array_equal(g.numpy()[0, 0], want)
    for k, s, p in ((3, 1, 1), (3, 2, 1)):
        (g,) = mg.grad(max_pool2d(x, k, s, p).sum(), x)
        assert np.isfinite(g.numpy()).all()


@pytest.mark.parametrize("k,s,p", [(2, 2, 0), (3, 2, 1), ((1, 3), (2, 1), (0, 1)), (4, 4, 2)])
def test_max_pool_odd_sizes_gradgradcheck(k, s, p):
    x = mg.Tensor(_distinct((2, 3, 7, 9), seed=5), requires_grad=True)
    assert mg.gradcheck(lambda t: max_pool2d(t, k, s, p), x)
    assert mg.gradgradcheck(lambda t: max_pool2d(t, k, s, p), x)


def test_max_pool_many_offsets():
    """A 17x17 window has more offsets than a uint8 index holds."""
    torch = torch_or_skip()
    x = _distinct((1, 2, 20, 19), seed=6)
    X = mg.Tensor(x, requires_grad=True)
    max_pool2d(X, 17, 1, 8).sum().backward()
    tx = torch.tensor(x, requires_grad=True)
    torch.nn.functional.max_pool2d(tx, 17, 1, 8).sum().backward()
    np.testing.assert_array_equal(X.grad.numpy(), tx.grad.numpy())


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

        # on CuPy the gathers' backward adds with atomics, in no fixed order: two runs may
        # differ in the last bits, as PyTorch's CUDA upsampling backward (nondeterministic)
        tol = 1e-12 if device == "cuda" else 0.0
        assert mg.gradcheck(f, x, nondet_tol=tol)
        assert mg.gradgradcheck(f, x, nondet_tol=tol)


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
        interpolate(x, scale_factor=2, mode="bicubical")
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


@pytest.mark.parametrize(
    "call",
    [
        lambda F, x: F.avg_pool2d(x, (1, 2)),
        lambda F, x: F.avg_pool2d(x, (1, 3), 1, (0, 1), count_include_pad=False),
        lambda F, x: F.avg_pool2d(x, (1, 3), 1, (0, 1)),
        lambda F, x: F.avg_pool2d(x[0], (1, 2)),
        lambda F, x: F.avg_pool1d(x[0], 2),
        lambda F, x: F.avg_pool1d(x[0], 3, 2, 1, count_include_pad=False),
        lambda F, x: F.avg_pool1d(x[0], 3, 2, 1, ceil_mode=True),
    ],
)
def test_average_pooling_of_int64_truncates_as_pytorch(call):
    """PyTorch pools int64 into int64: the window's sum divided, the fraction dropped
    toward zero (it refuses the other integer dtypes)."""
    torch = pytest.importorskip("torch")
    data = np.array([[[[-3, -4, 5, 6, 7]]]], dtype=np.int64)
    got, want = (
        call(mg.nn.functional, mg.tensor(data)),
        call(torch.nn.functional, torch.tensor(data)),
    )
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    with pytest.raises(NotImplementedError, match="not implemented for int32"):
        call(mg.nn.functional, mg.tensor(data.astype(np.int32)))
