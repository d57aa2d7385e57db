"""Round 25 of the hostile reviews: resampling, padding and pooling against PyTorch 2.13."""

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")

F, TF = mg.nn.functional, torch.nn.functional
INF = float("inf")


def _both(fn, x, **kw):
    """fn of x in both libraries (torch.nn.functional and minigrad's), as arrays."""
    got = getattr(F, fn)(mg.tensor(x), **kw).numpy()
    want = getattr(TF, fn)(torch.tensor(x), **kw).numpy()
    return got, want


def _raises_like_torch(mg_call, torch_call, exc, match=None):
    with pytest.raises(exc):
        torch_call()
    with pytest.raises(exc, match=match):
        mg_call()


# ------------------------------------------------------------- nearest source index
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16, np.uint8])
@pytest.mark.parametrize("mode", ["nearest", "nearest-exact"])
def test_nearest_picks_pytorchs_source_pixel_in_every_dtype_and_rank(dtype, mode):
    # float64 positions are computed in float64, others in float32; 4-d outputs whose sizes
    # add up to at most 128 take PyTorch's other forward (a float32 scale)
    rng = np.random.default_rng(0)
    for _ in range(60):
        k = int(rng.integers(1, 4))
        ins = [int(rng.integers(1, 40)) for _ in range(k)]
        outs = [int(rng.integers(1, 150 if k < 3 else 40)) for _ in range(k)]
        x = np.zeros([1, 1] + ins)
        for a in range(k):  # the value codes the position along the last axis (and others)
            step = 0 if dtype in (np.float16, np.uint8) and a != k - 1 else 64 ** (k - 1 - a)
            x = x + np.arange(ins[a]).reshape([-1 if b == a else 1 for b in range(k)]) * step
        x = (x % 250 if dtype == np.uint8 else x).astype(dtype)
        got, want = _both("interpolate", x, size=tuple(outs), mode=mode)
        np.testing.assert_array_equal(got, want, err_msg=f"{ins} -> {outs}")


@pytest.mark.parametrize(
    "shape,kw",
    [
        ((1, 1, 21), dict(scale_factor=2.7, mode="nearest-exact")),  # out[40] at 15 exactly
        ((1, 1, 1, 2542), dict(size=(1, 4123), mode="nearest")),
        ((1, 1, 1, 2542), dict(scale_factor=(1.0, 2.7), mode="nearest")),
        ((1, 1, 1, 1, 2542), dict(size=(1, 1, 4123), mode="nearest-exact")),
        ((1, 1, 2), dict(size=82, mode="nearest")),
        ((1, 1, 4, 39), dict(scale_factor=(2.1, 3.3), mode="nearest")),
    ],
)
def test_nearest_float64_indices_as_pytorch(shape, kw):
    x = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
    got, want = _both("interpolate", x, **kw)
    np.testing.assert_array_equal(got, want)
    got32, want32 = _both("interpolate", x.astype(np.float32), **kw)
    np.testing.assert_array_equal(got32, want32)


# ------------------------------------------------------------------ same-size axes
@pytest.mark.parametrize(
    "mode,shape,size",
    [
        ("linear", (1, 1, 4), (4,)),
        ("linear", (1, 1, 4), (7,)),
        ("bilinear", (1, 1, 3, 4), (3, 6)),
        ("bilinear", (1, 1, 4, 4), (4, 4)),
        ("bicubic", (1, 1, 3, 4), (3, 6)),
        ("bicubic", (1, 1, 4, 4), (4, 4)),
        ("trilinear", (1, 1, 1, 3, 4), (1, 3, 6)),
    ],
)
@pytest.mark.parametrize("align_corners", [False, True])
def test_an_unchanged_axis_is_interpolated_so_inf_gives_nan_as_pytorch(
    mode, shape, size, align_corners
):
    x = np.ones(shape)
    x.reshape(-1)[shape[-1] + 1 if len(shape) > 3 else 1] = INF
    x.reshape(-1)[-1] = -INF
    x.reshape(-1)[0] = np.nan
    got, want = _both("interpolate", x, size=size, mode=mode, align_corners=align_corners)
    np.testing.assert_array_equal(got, want)  # NaN equal to NaN, inf to inf
    finite = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
    got, want = _both("interpolate", finite, size=size, mode=mode, align_corners=align_corners)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_same_size_linear_gradient_as_pytorch():
    x = np.arange(12.0).reshape(1, 1, 3, 4)
    w = np.random.default_rng(1).standard_normal((1, 1, 3, 4))
    grads = []
    for lib, fn in ((mg, F), (torch, TF)):
        t = lib.tensor(x, requires_grad=True)
        (fn.interpolate(t, size=(3, 4), mode="bilinear") * lib.tensor(w)).sum().backward()
        grads.append(t.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12)


# ---------------------------------------------------- float32 resize on large axes
@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_float32_large_resize_uses_pytorchs_float32_positions(mode, align_corners):
    x = np.random.default_rng(2).random((1, 1, 2, 2544)).astype(np.float32)
    got, want = _both("interpolate", x, size=(3, 5929), mode=mode, align_corners=align_corners)
    # the positions and weights agree; the sums round in another order (a few ulps), where
    # float64 positions were 1e-4 away
    np.testing.assert_allclose(got, want, rtol=0, atol=2e-6)


# ------------------------------------------------------------------- float16 rounding
@pytest.mark.parametrize(
    "mode,shape,size",
    [
        ("linear", (2, 3, 17), (40,)),
        ("bilinear", (2, 3, 9, 11), (20, 7)),
        ("bicubic", (2, 3, 9, 11), (20, 7)),
        ("trilinear", (1, 2, 5, 6, 7), (9, 4, 11)),
        ("bicubic", (1, 1, 4, 4), (4, 4)),
    ],
)
def test_float16_interpolate_rounds_once_as_pytorch(mode, shape, size):
    # in float32, with PyTorch's float16 weights (its 1-d, 3-d and bicubic kernels), rounded
    # once: bit for bit
    x = (np.random.default_rng(3).standard_normal(shape) * 300).astype(np.float16)
    got, want = _both("interpolate", x, size=size, mode=mode)
    assert got.dtype == np.float16
    np.testing.assert_array_equal(got, want)


def test_float16_area_interpolate_sums_in_float32():
    # window means scaled by 1 / width (PyTorch divides): at most 1 ulp apart, where a
    # float16 sum overflowed
    rng = np.random.default_rng(3)
    for x in (np.full((1, 1, 64, 64), 300.0), rng.standard_normal((2, 3, 9, 11)) * 300):
        got, want = _both("interpolate", x.astype(np.float16), size=(4, 5), mode="area")
        assert got.dtype == np.float16
        np.testing.assert_allclose(got, want, rtol=2**-10, atol=0)


def test_float16_interpolate_gradient_is_float16():
    x = mg.tensor(np.ones((1, 1, 4, 4), np.float16), requires_grad=True)
    F.interpolate(x, size=(6, 6), mode="bilinear").sum().backward()
    assert x.grad.dtype == np.float16
    np.testing.assert_allclose(x.grad.numpy().sum(), 36.0)


@pytest.mark.parametrize(
    "fn,shape,kw",
    [
        ("avg_pool2d", (1, 1, 64, 64), dict(kernel_size=64)),
        ("avg_pool1d", (1, 1, 5000), dict(kernel_size=5000)),
        ("adaptive_avg_pool1d", (1, 1, 5000), dict(output_size=1)),
        ("avg_pool2d", (1, 2, 9, 9), dict(kernel_size=4, stride=1, padding=2)),
        ("avg_pool2d", (1, 2, 9, 9), dict(kernel_size=3, padding=1, count_include_pad=False)),
        ("avg_pool2d", (1, 2, 9, 9), dict(kernel_size=3, ceil_mode=True)),
        ("avg_pool2d", (1, 2, 9, 9), dict(kernel_size=3, divisor_override=2)),
        ("avg_pool1d", (2, 9), dict(kernel_size=4, ceil_mode=True, padding=1)),
        ("adaptive_avg_pool1d", (2, 3, 17), dict(output_size=5)),
    ],
)
def test_float16_average_pools_sum_in_float32_as_pytorch(fn, shape, kw):
    rng = np.random.default_rng(4)
    for x in (np.full(shape, 300.0), rng.standard_normal(shape) * 100 + 20):
        got, want = _both(fn, x.astype(np.float16), **kw)
        assert got.dtype == np.float16
        np.testing.assert_array_equal(got, want)


def test_float16_avg_pool3d_sums_in_float32():
    # PyTorch's CPU avg_pool3d refuses float16; minigrad's is its float32 one, rounded once
    x = np.random.default_rng(4).standard_normal((1, 2, 8, 8, 8)) * 100 + 300
    got = F.avg_pool3d(mg.tensor(x.astype(np.float16)), 4, ceil_mode=True).numpy()
    want = TF.avg_pool3d(torch.tensor(x.astype(np.float16).astype(np.float32)), 4).half()
    assert got.dtype == np.float16
    np.testing.assert_array_equal(got, want.numpy())


def test_float16_avg_pool1d_keeps_adding_small_values():
    x = np.full((1, 1, 100000), 0.005, np.float16)
    got, want = _both("avg_pool1d", x, kernel_size=100000)
    np.testing.assert_array_equal(got, want)  # 0.0050049, where a float16 sum stops at 32
    got, want = _both("avg_pool1d", np.array([[[2048.0, 1, 1]]], np.float16), kernel_size=3)
    np.testing.assert_array_equal(got, want)  # 683.5


def test_float16_avg_pool_gradient_is_float16():
    x = mg.tensor(np.ones((1, 1, 4, 4), np.float16), requires_grad=True)
    F.avg_pool2d(x, 2).sum().backward()
    assert x.grad.dtype == np.float16
    np.testing.assert_array_equal(x.grad.numpy(), np.full((1, 1, 4, 4), 0.25, np.float16))


# -------------------------------------------------- zero second derivative links
@pytest.mark.parametrize(
    "call",
    [
        lambda f, x: f.avg_pool2d(x, 3, 2, 1, ceil_mode=True),
        lambda f, x: f.avg_pool2d(x, 2, divisor_override=2),
        lambda f, x: f.avg_pool3d(x.unsqueeze(2).expand(1, 2, 4, 6, 6), 2),
        lambda f, x: f.pad(x, (1, 2, 2, 1), mode="reflect"),
        lambda f, x: f.pad(x, (1, 2, 2, 1), mode="replicate"),
        lambda f, x: f.pad(x[0], (2, 1), mode="reflect"),
    ],
)
def test_gradient_of_pools_and_index_padding_has_a_zero_second_derivative(call):
    rng = np.random.default_rng(5)
    x0 = rng.standard_normal((1, 2, 6, 6))
    out = {}
    for lib, fn in ((mg, F), (torch, TF)):
        x = lib.tensor(x0, requires_grad=True)
        y = call(fn, x)
        w = lib.tensor(np.random.default_rng(6).standard_normal(tuple(y.shape)))
        (g,) = lib.autograd.grad((y * w).sum(), x, create_graph=True)
        assert g.requires_grad
        (gg,) = lib.autograd.grad((g * g).sum(), x)
        out[lib.__name__] = (g.detach().numpy(), gg.numpy())
    np.testing.assert_allclose(out["minigrad"][0], out["torch"][0], rtol=1e-12)
    np.testing.assert_array_equal(out["minigrad"][1], np.zeros_like(x0))
    np.testing.assert_array_equal(out["torch"][1], np.zeros_like(x0))


def test_circular_padding_has_no_link_as_pytorch():
    x = mg.tensor(np.ones((1, 2, 4, 4)), requires_grad=True)
    (g,) = mg.autograd.grad(F.pad(x, (1, 1, 1, 1), mode="circular").sum(), x, create_graph=True)
    assert not g.requires_grad


# ---------------------------------------------------------------- NumPy scalars
@pytest.mark.parametrize(
    "call",
    [
        lambda f, x: f.unfold(x, np.int64(2)),
        lambda f, x: f.unfold(x, 3, stride=np.int64(2), padding=np.int32(1)),
        lambda f, x: f.fold(f.unfold(x, 2, stride=2), (6, 6), kernel_size=np.int64(2), stride=2),
        lambda f, x: f.interpolate(x, scale_factor=np.float32(1.5)),
        lambda f, x: f.interpolate(x, scale_factor=np.int64(2), mode="bilinear"),
        lambda f, x: f.interpolate(x, scale_factor=(np.float32(1.5), 2)),
    ],
)
def test_numpy_scalars_as_sizes_as_pytorch(call):
    x0 = np.random.default_rng(7).standard_normal((1, 4, 6, 6))
    got = call(F, mg.tensor(x0)).numpy()
    want = call(TF, torch.tensor(x0)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_unfold_module_takes_a_numpy_int():
    x0 = np.random.default_rng(8).standard_normal((1, 4, 6, 6))
    got = mg.nn.Unfold(np.int64(2))(mg.tensor(x0)).numpy()
    np.testing.assert_allclose(got, torch.nn.Unfold(np.int64(2))(torch.tensor(x0)).numpy())


def test_interpolate_refuses_an_array_scale_factor():
    x = np.zeros((1, 1, 4, 4))
    _raises_like_torch(
        lambda: F.interpolate(mg.tensor(x), scale_factor=np.array([2.0, 2.0])),
        lambda: TF.interpolate(torch.tensor(x), scale_factor=np.array([2.0, 2.0])),
        TypeError,
        "scale_factor",
    )


# ----------------------------------------------------------------- padding misuse
@pytest.mark.parametrize("widths", [(4, -3), (-3, 5), (1, -3), (-2, -1)])
def test_constant_pad_refuses_to_crop_more_than_the_dim_holds(widths):
    x = np.array([1.0, 2.0])
    _raises_like_torch(
        lambda: F.pad(mg.tensor(x), widths, value=9.0),
        lambda: TF.pad(torch.tensor(x), widths, value=9.0),
        RuntimeError,
        "crops dim 0 \\(of size 2.*by 3 elements",
    )
    _raises_like_torch(
        lambda: mg.nn.ConstantPad1d(widths, 9.0)(mg.tensor(x[None, None])),
        lambda: torch.nn.ConstantPad1d(widths, 9.0)(torch.tensor(x[None, None])),
        RuntimeError,
    )


@pytest.mark.parametrize("widths", [(2, -2), (0, -2), (-1, 3), (3, -1)])
def test_constant_pad_crops_down_to_empty_as_pytorch(widths):
    got, want = _both("pad", np.array([1.0, 2.0]), pad=widths, value=9.0)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize(
    "module,padding,shape",
    [
        ("ReflectionPad2d", (1, 2), (1, 4, 4)),
        ("ReplicationPad3d", (1, 1), (1, 4, 4)),
        ("CircularPad2d", (1, 1), (1, 4, 4)),
        ("ReflectionPad3d", (1, 2, 1, 0), (1, 4, 4)),
        ("ReflectionPad1d", (1, 2, 1, 1), (1, 4, 4)),
    ],
)
def test_index_pad_modules_take_a_short_or_long_tuple_as_pytorch(module, padding, shape):
    x0 = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
    got = getattr(mg.nn, module)(padding)(mg.tensor(x0)).numpy()
    want = getattr(torch.nn, module)(padding)(torch.tensor(x0)).numpy()
    np.testing.assert_array_equal(got, want)
    assert repr(getattr(mg.nn, module)(padding)) == repr(getattr(torch.nn, module)(padding))


def test_index_pad_module_refuses_an_odd_tuple():
    with pytest.raises(ValueError, match="ReflectionPad2d: padding must be an int or"):
        mg.nn.ReflectionPad2d((1, 2, 1))


@pytest.mark.parametrize("mode", ["reflect", "replicate"])
def test_reflect_and_replicate_pad_refuse_bool_as_pytorch(mode):
    x = np.zeros((1, 2, 4), bool)
    _raises_like_torch(
        lambda: F.pad(mg.tensor(x), (1, 1), mode=mode),
        lambda: TF.pad(torch.tensor(x), (1, 1), mode=mode),
        NotImplementedError,
        "not implemented for 'Bool'",
    )


@pytest.mark.parametrize("mode", ["circular", "constant"])
def test_circular_and_constant_pad_of_bool_as_pytorch(mode):
    x = np.array([[[True, False, True, False]]])
    got, want = _both("pad", x, pad=(1, 1), mode=mode)
    np.testing.assert_array_equal(got, want)


# ------------------------------------------------------------------- pool misuse
@pytest.mark.parametrize("value", [2.5, 2.0, True])
@pytest.mark.parametrize(
    "fn,shape", [("avg_pool2d", (1, 1, 4, 4)), ("avg_pool3d", (1, 1, 4, 4, 4))]
)
def test_divisor_override_must_be_an_int_as_pytorch(fn, shape, value):
    x = np.ones(shape)
    _raises_like_torch(
        lambda: getattr(F, fn)(mg.tensor(x), 2, divisor_override=value),
        lambda: getattr(TF, fn)(torch.tensor(x), 2, divisor_override=value),
        TypeError,
        f"{fn}\\(\\): argument 'divisor_override' must be int, not {type(value).__name__}",
    )


def test_divisor_override_takes_a_numpy_int():
    got, want = _both("avg_pool2d", np.ones((1, 1, 4, 4)), kernel_size=2, divisor_override=3)
    np.testing.assert_array_equal(got, want)
    got = F.avg_pool2d(mg.tensor(np.ones((1, 1, 4, 4))), 2, divisor_override=np.int64(3))
    np.testing.assert_array_equal(got.numpy(), want)


@pytest.mark.parametrize("dtype", [np.int32, np.float32])
def test_max_unpool_wants_int64_indices_as_pytorch(dtype):
    x, idx = np.ones((1, 1, 2, 2)), np.zeros((1, 1, 2, 2), dtype)
    _raises_like_torch(
        lambda: F.max_unpool2d(mg.tensor(x), mg.tensor(idx), 2),
        lambda: TF.max_unpool2d(torch.tensor(x), torch.tensor(idx), 2),
        RuntimeError,
        f"elements in indices should be type int64 but got: {np.dtype(dtype).name}",
    )


def test_max_pool2d_refuses_bool_as_pytorch():
    x = np.array([[[[True, False], [False, False]]]])
    _raises_like_torch(
        lambda: F.max_pool2d(mg.tensor(x), 2),
        lambda: TF.max_pool2d(torch.tensor(x), 2),
        NotImplementedError,
        "not implemented for 'Bool'",
    )


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "bilinear", "bicubic", "area"])
def test_interpolate_refuses_complex_as_pytorch(mode):
    x = np.zeros((1, 1, 4, 4), np.complex64)
    _raises_like_torch(
        lambda: F.interpolate(mg.tensor(x), size=(8, 8), mode=mode),
        lambda: TF.interpolate(torch.tensor(x), size=(8, 8), mode=mode),
        NotImplementedError,
        "real floating-point input, got complex64",
    )
