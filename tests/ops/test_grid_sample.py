"""F.grid_sample and F.affine_grid against torch 2.13: values, input and grid gradients
(also at pixel centres, borders, reflection turns and for NaN/inf grids), second
derivatives, gradcheck/gradgradcheck, warnings, errors, dtypes, empty and strided inputs."""

import itertools
import re
import warnings

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

MODES = ("bilinear", "nearest", "bicubic")
PADS = ("zeros", "border", "reflection")
COMBOS = [
    (dim, mode, pad, ac)
    for dim, mode, pad, ac in itertools.product((4, 5), MODES, PADS, (False, True))
    if not (dim == 5 and mode == "bicubic")
]
IDS = [f"{d}d-{m}-{p}-{'ac' if a else 'noac'}" for d, m, p, a in COMBOS]


def _shapes(dim):
    """(input shape, grid shape) of a small case of each rank."""
    if dim == 4:
        return (2, 3, 4, 5), (2, 3, 4, 2)
    return (2, 2, 3, 4, 5), (2, 2, 3, 2, 3)


def _both(x, g, mode, pad, ac, gy=None, create_graph=False):
    """minigrad and torch outputs and (input, grid) gradients for arrays x, g, gy."""
    tx = torch.tensor(x, requires_grad=True)
    tg = torch.tensor(g, requires_grad=True)
    ty = TF.grid_sample(tx, tg, mode=mode, padding_mode=pad, align_corners=ac)
    if gy is None:
        gy = np.random.default_rng(7).standard_normal(ty.shape).astype(x.dtype)
    tgx, tgg = torch.autograd.grad(ty, (tx, tg), torch.tensor(gy))
    mx, mgr = mg.tensor(x, requires_grad=True), mg.tensor(g, requires_grad=True)
    my = F.grid_sample(mx, mgr, mode, pad, ac)
    gx, gg = mg.grad(my, (mx, mgr), mg.tensor(gy))
    ours = [_np(my), _np(gx), _np(gg)]
    theirs = [ty.detach().numpy(), tgx.numpy(), tgg.numpy()]
    return ours, theirs, (my, gx, gg)


def _np(t):
    return t.detach().numpy()


def _close(ours, theirs, rtol, atol):
    for name, a, b in zip(("output", "input grad", "grid grad"), ours, theirs, strict=True):
        assert a.shape == b.shape, name
        assert a.dtype == b.dtype, name
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, equal_nan=True, err_msg=name)


# ------------------------------------------------------------------ values and gradients
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("dim", "mode", "pad", "ac"), COMBOS, ids=IDS)
def test_matches_torch_random_points(dim, mode, pad, ac, dtype):
    rng = np.random.default_rng(0)
    xs, gs = _shapes(dim)
    x = rng.standard_normal(xs).astype(dtype)
    g = rng.uniform(-2.6, 2.6, gs).astype(dtype)  # well outside [-1, 1] too
    ours, theirs, (y, _, _) = _both(x, g, mode, pad, ac)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    _close(ours, theirs, rtol=tol, atol=tol)
    assert y.shape == theirs[0].shape


def _special_grid(dim, dtype):
    """Every pair (triple) of values that put a coordinate on a pixel centre, a pixel
    edge (nearest's ties), -1/1, a clipping border or a reflection turn, in and out."""
    v = [-5, -3.5, -3, -2.5, -2, -1.5, -1.25, -1, -0.75, -0.5, -0.25, 0, 0.25, 0.5, 0.75]
    v += [1, 1.25, 1.5, 2, 2.5, 3, 3.5, 5, -2 / 3, -1 / 3, 1 / 3, 2 / 3, 0.6, 1.4, -1.4]
    if dim == 5:
        v = v[::3]
    pts = np.array(list(itertools.product(v, repeat=dim - 2)), dtype=dtype)[:, ::-1]
    return np.ascontiguousarray(pts).reshape((1, -1, len(v)) + (1,) * (dim - 4) + (dim - 2,))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("dim", "mode", "pad", "ac"), COMBOS, ids=IDS)
def test_matches_torch_at_kinks(dim, mode, pad, ac, dtype):
    """Grid gradients at borders, centres and turns are torch's one-sided choices (0 on a
    clipping border), not averages: checked value by value."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((1, 2) + (4,) * (dim - 2)).astype(dtype)
    g = _special_grid(dim, dtype)
    ours, theirs, _ = _both(x, g, mode, pad, ac)
    if dtype == np.float64:
        _close(ours, theirs, rtol=1e-12, atol=1e-12)
    else:  # the input gradient sums many float32 terms (minigrad adds them in float64)
        _close(ours, theirs, rtol=1e-5, atol=2e-5)


def test_border_gradient_is_zero_on_and_beyond_the_border():
    x = np.arange(12.0).reshape(1, 1, 3, 4)
    g = np.array([[[[-1.0, 0.0], [1.0, 0.0], [1.5, 0.0], [-3.0, 0.0], [0.5, 0.0]]]])
    ones = np.ones((1, 1, 1, 5))
    ours, theirs, _ = _both(x, g, "bilinear", "border", True, gy=ones)
    assert ours[2][0, 0, :, 0].tolist() == theirs[2][0, 0, :, 0].tolist()
    assert ours[2][0, 0, :, 0].tolist() == [0.0, 0.0, 0.0, 0.0, 1.5]


def test_nearest_rounds_half_to_even_and_has_zero_grid_gradient():
    x = np.arange(8.0).reshape(1, 1, 1, 8)
    # align_corners=False, W=8: coordinate (g + 1) * 4 - 0.5 = 0.5, 1.5, 2.5, 3.5
    g = np.array([[[[-0.75, 0], [-0.5, 0], [-0.25, 0], [0.0, 0]]]])
    ours, theirs, _ = _both(x, g, "nearest", "zeros", False)
    assert ours[0].ravel().tolist() == theirs[0].ravel().tolist() == [0.0, 2.0, 2.0, 4.0]
    assert not ours[2].any() and not theirs[2].any()


def test_identity_affine_grid_reproduces_the_input():
    x = mg.randn(2, 3, 5, 7)
    for ac in (False, True):
        theta = mg.tensor(np.tile(np.eye(2, 3, dtype=np.float32), (2, 1, 1)))
        grid = F.affine_grid(theta, x.size(), align_corners=ac)
        for mode in ("bilinear", "nearest", "bicubic"):
            y = F.grid_sample(x, grid, mode=mode, align_corners=ac)
            np.testing.assert_allclose(_np(y), _np(x), atol=1e-5)


# ----------------------------------------------------------------- NaN, inf, huge values
def _torch_crashes(dim, mode, pad, v):
    """torch 2.13's CPU 4-d bilinear backward reads out of bounds (a segfault) for these."""
    nan, inf = np.isnan(v), np.isinf(v)
    return (
        dim == 4
        and mode == "bilinear"
        and ((pad != "zeros" and nan) or (pad == "reflection" and inf))
    )


@pytest.mark.parametrize("v", [np.nan, np.inf, -np.inf, 1e10, -1e10, 1e30])
@pytest.mark.parametrize(("dim", "mode", "pad", "ac"), COMBOS, ids=IDS)
def test_non_finite_and_huge_grids_as_torch(dim, mode, pad, ac, v):
    """The 4-d kernel multiplies a tap outside by its (NaN) weight, the 5-d one skips it;
    NaN clips to 0 (4-d) or to the far border (5-d): all as torch."""
    if dim == 4:
        x = np.arange(1.0, 13.0).reshape(1, 1, 3, 4).astype(np.float32)
        g = np.array([[[[v, 0.3], [0.2, v]]]], dtype=np.float32)
    else:
        x = np.arange(1.0, 25.0).reshape(1, 1, 2, 3, 4).astype(np.float32)
        g = np.array([[[[[v, 0.3, 0.2], [0.1, v, 0.2], [0.1, 0.3, v]]]]], dtype=np.float32)
    if _torch_crashes(dim, mode, pad, v):
        # torch's forward is fine there: compare it; its backward would crash
        tx, tg = torch.tensor(x), torch.tensor(g)
        ty = TF.grid_sample(tx, tg, mode=mode, padding_mode=pad, align_corners=ac)
        X, G = mg.tensor(x, requires_grad=True), mg.tensor(g, requires_grad=True)
        y = F.grid_sample(X, G, mode, pad, ac)
        np.testing.assert_allclose(_np(y), ty.numpy(), rtol=1e-6)
        gx, _ = mg.grad(y.sum(), (X, G))  # defined here: a NaN coordinate reads nothing
        assert not _np(gx).any()
        return
    ours, theirs, _ = _both(x, g, mode, pad, ac, gy=np.ones((1, 1) + g.shape[1:-1], np.float32))
    _close(ours, theirs, rtol=1e-5, atol=1e-5)


# --------------------------------------------------------------------- second derivative
@pytest.mark.parametrize(("dim", "mode", "pad", "ac"), COMBOS, ids=IDS)
def test_double_backward_matches_torch(dim, mode, pad, ac):
    """torch 2.13 differentiates grid_sampler's backward (GridSampler2DBackwardBackward0):
    d/d(input, grid, grad_output) of <gx, u> + <gg, v> agree."""
    rng = np.random.default_rng(2)
    xs, gs = _shapes(dim)
    x, g = rng.standard_normal(xs), rng.uniform(-1.3, 1.3, gs)
    tx, tg = torch.tensor(x, requires_grad=True), torch.tensor(g, requires_grad=True)
    ty = TF.grid_sample(tx, tg, mode=mode, padding_mode=pad, align_corners=ac)
    gy = rng.standard_normal(ty.shape)
    u, v = rng.standard_normal(xs), rng.standard_normal(gs)
    tgy = torch.tensor(gy, requires_grad=True)
    tgx, tgg = torch.autograd.grad(ty, (tx, tg), tgy, create_graph=True)
    tl = (tgx * torch.tensor(u)).sum() + (tgg * torch.tensor(v)).sum()
    want = torch.autograd.grad(tl, (tx, tg, tgy), allow_unused=True)
    mx, mgr = mg.tensor(x, requires_grad=True), mg.tensor(g, requires_grad=True)
    mgy = mg.tensor(gy, requires_grad=True)
    y = F.grid_sample(mx, mgr, mode, pad, ac)
    gx, gg = mg.grad(y, (mx, mgr), mgy, create_graph=True)
    assert gx.requires_grad and gg.requires_grad
    ml = (gx * mg.tensor(u)).sum() + (gg * mg.tensor(v)).sum()
    got = mg.grad(ml, (mx, mgr, mgy), allow_unused=True)
    for name, a, b in zip(("input", "grid", "grad_output"), got, want, strict=True):
        if b is None:  # nearest: the gradients do not depend on the input at all
            assert a is None, name
            continue
        np.testing.assert_allclose(_np(a), b.numpy(), rtol=1e-10, atol=1e-12, err_msg=name)


def test_nearest_input_gradient_depends_on_grid_with_zero_derivative():
    x = mg.randn(1, 2, 3, 4, dtype=mg.float64, requires_grad=True)
    g = mg.tensor(np.random.default_rng(0).uniform(-1, 1, (1, 2, 2, 2)), requires_grad=True)
    y = F.grid_sample(x, g, mode="nearest", align_corners=False)
    gx, gg = mg.grad((y * y).sum(), (x, g), create_graph=True)
    assert gg.requires_grad and not _np(gg).any()
    (d,) = mg.grad(gx.sum(), g)  # torch: zeros as well
    assert d.shape == g.shape and not _np(d).any()


@pytest.mark.parametrize(("dim", "mode", "pad", "ac"), COMBOS, ids=IDS)
def test_gradcheck_and_gradgradcheck(dim, mode, pad, ac):
    rng = np.random.default_rng(3)
    xs, gs = ((1, 2, 3, 4), (1, 2, 3, 2)) if dim == 4 else ((1, 1, 2, 3, 3), (1, 1, 2, 2, 3))
    x = mg.tensor(rng.standard_normal(xs), requires_grad=True)
    g = mg.tensor(rng.uniform(-1.4, 1.4, gs), requires_grad=True)

    def f(a, b):
        return F.grid_sample(a, b, mode, pad, ac)

    assert mg.gradcheck(f, (x, g))
    assert mg.gradgradcheck(f, (x, g))


def test_one_input_requiring_grad_at_a_time():
    rng = np.random.default_rng(4)
    x, g = rng.standard_normal((2, 3, 4, 5)), rng.uniform(-1.2, 1.2, (2, 3, 3, 2))
    tx, tg = torch.tensor(x, requires_grad=True), torch.tensor(g, requires_grad=True)
    ty = TF.grid_sample(tx, tg, mode="bicubic", padding_mode="reflection", align_corners=False)
    twx, twg = torch.autograd.grad(ty.sum(), (tx, tg))
    for which in (0, 1):
        mx = mg.tensor(x, requires_grad=which == 0)
        mgr = mg.tensor(g, requires_grad=which == 1)
        y = F.grid_sample(mx, mgr, "bicubic", "reflection", False)
        (got,) = mg.grad(y.sum(), (mx, mgr)[which])
        np.testing.assert_allclose(_np(got), (twx, twg)[which].numpy(), rtol=1e-12)


# ----------------------------------------------------------------- layouts, shapes, dtypes
def test_strided_input_and_grid():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 3, 5, 4)).astype(np.float32)
    g = rng.uniform(-1.2, 1.2, (2, 2, 4, 3)).astype(np.float32)
    tx, tg = torch.tensor(x).transpose(2, 3), torch.tensor(g).permute(0, 2, 1, 3)[..., 1:]
    mx, mgr = mg.tensor(x).transpose(2, 3), mg.tensor(g).permute(0, 2, 1, 3)[..., 1:]
    want = TF.grid_sample(tx, tg, mode="bilinear", padding_mode="border", align_corners=True)
    got = F.grid_sample(mx, mgr, "bilinear", "border", True)
    np.testing.assert_allclose(_np(got), want.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(
    ("xs", "gs"),
    [((0, 3, 4, 5), (0, 2, 3, 2)), ((2, 0, 4, 5), (2, 2, 3, 2)), ((2, 3, 4, 5), (2, 0, 3, 2))]
    + [((2, 3, 2, 4, 5), (2, 1, 0, 3, 3)), ((0, 1, 2, 2, 2), (0, 1, 1, 1, 3))],
)
def test_empty_batch_channels_and_outputs(xs, gs):
    x = np.ones(xs, np.float32)
    g = np.zeros(gs, np.float32)
    ours, theirs, _ = _both(x, g, "bilinear", "zeros", False)
    _close(ours, theirs, rtol=0, atol=0)


@pytest.mark.parametrize(
    ("dim", "mode"), [(4, m) for m in MODES] + [(5, "bilinear"), (5, "nearest")]
)
def test_float16_keeps_dtype_and_is_accurate(dim, mode):
    rng = np.random.default_rng(6)
    xs, gs = _shapes(dim)
    x = rng.standard_normal(xs).astype(np.float16)
    g = rng.uniform(-1.2, 1.2, gs).astype(np.float16)
    X, G = mg.tensor(x, requires_grad=True), mg.tensor(g, requires_grad=True)
    y = F.grid_sample(X, G, mode, "reflection", False)
    gx, gg = mg.grad(y.sum(), (X, G))
    assert y.dtype == gx.dtype == gg.dtype == np.float16
    # the same half values sampled in float32 by torch
    tx, tg = torch.tensor(x).float().requires_grad_(), torch.tensor(g).float().requires_grad_()
    ty = TF.grid_sample(tx, tg, mode=mode, padding_mode="reflection", align_corners=False)
    tgx, tgg = torch.autograd.grad(ty.sum(), (tx, tg))
    np.testing.assert_allclose(_np(y), ty.detach().numpy(), rtol=2e-3, atol=2e-3)
    np.testing.assert_allclose(_np(gx), tgx.numpy(), rtol=2e-3, atol=2e-3)
    np.testing.assert_allclose(_np(gg), tgg.numpy(), rtol=5e-3, atol=2e-2)
    # and torch's own half kernel (which rounds every step to half)
    th = TF.grid_sample(
        torch.tensor(x), torch.tensor(g), mode=mode, padding_mode="reflection", align_corners=False
    )
    np.testing.assert_allclose(_np(y), th.numpy(), atol=5e-2)


def test_float32_by_default_and_no_graph_without_grad():
    x, g = mg.randn(1, 1, 3, 3), mg.rand(1, 2, 2, 2) * 2 - 1
    y = F.grid_sample(x, g, align_corners=False)
    assert y.dtype == np.float32 and not y.requires_grad and y.grad_fn is None


# ------------------------------------------------------------------------ warnings
def _record(fn):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        out = fn()
    return out, [str(m.message) for m in w], [m.filename for m in w]


def test_align_corners_none_warns_as_torch():
    x, g, th = mg.randn(1, 1, 3, 3), mg.zeros(1, 2, 2, 2), mg.zeros(1, 2, 3)
    tx, tg, tth = torch.randn(1, 1, 3, 3), torch.zeros(1, 2, 2, 2), torch.zeros(1, 2, 3)
    for ours, theirs in (
        (lambda: F.grid_sample(x, g), lambda: TF.grid_sample(tx, tg)),
        (lambda: F.affine_grid(th, (1, 1, 2, 2)), lambda: TF.affine_grid(tth, (1, 1, 2, 2))),
    ):
        _, msgs, files = _record(ours)
        _, want, _ = _record(theirs)
        assert msgs == want and len(msgs) == 1
        assert files == [__file__]  # points at the caller
    for ac in (False, True):
        assert _record(lambda ac=ac: F.grid_sample(x, g, align_corners=ac))[1] == []
        assert _record(lambda ac=ac: F.affine_grid(th, (1, 1, 2, 2), align_corners=ac))[1] == []


def test_affine_grid_unit_size_warning_with_align_corners():
    th = mg.zeros(2, 2, 3)
    _, msgs, _ = _record(lambda: F.affine_grid(th, (2, 3, 1, 5), align_corners=True))
    _, want, _ = _record(lambda: TF.affine_grid(torch.zeros(2, 2, 3), (2, 3, 1, 5), True))
    assert msgs == want and len(msgs) == 1


# -------------------------------------------------------------------------- errors
def _same_error(ours, theirs, match=None):
    with pytest.raises(Exception) as want:
        theirs()
    with pytest.raises(want.type) as got:
        ours()
    text = match if match is not None else re.escape(str(want.value).split("\n")[0])
    assert re.search(text, str(got.value)), (str(got.value), str(want.value))


SAMPLER_ERRORS = [
    # (input shape, grid shape, mode, padding, dtypes)
    ((2, 3, 4, 5), (1, 3, 3, 2), "bilinear", "zeros", None),  # batch
    ((2, 3, 4, 5), (2, 3, 3, 3), "bilinear", "zeros", None),  # last dim
    ((2, 3, 0, 5), (2, 3, 3, 2), "bilinear", "zeros", None),  # empty spatial
    ((2, 3, 4, 5), (2, 3, 3, 1, 2), "bilinear", "zeros", None),  # ranks
    ((1, 1, 1, 1, 1, 1), (1, 1, 1, 1, 1, 4), "bilinear", "zeros", None),  # 6-d
    ((3,), (3,), "bilinear", "zeros", None),  # 1-d
    ((3, 2), (3, 0), "bilinear", "zeros", None),  # 2-d
    ((1, 1, 2, 2, 2), (1, 1, 1, 1, 3), "bicubic", "zeros", None),  # bicubic 5-d
    ((2, 3, 4, 5), (2, 3, 3, 2), "area", "zeros", None),
    ((2, 3, 4, 5), (2, 3, 3, 2), "bilinear", "circular", None),
]


@pytest.mark.parametrize(("xs", "gs", "mode", "pad", "_"), SAMPLER_ERRORS)
def test_sampler_errors_as_torch(xs, gs, mode, pad, _):
    _same_error(
        lambda: F.grid_sample(mg.zeros(*xs), mg.zeros(*gs), mode, pad, False),
        lambda: TF.grid_sample(torch.zeros(xs), torch.zeros(gs), mode, pad, False),
    )


@pytest.mark.parametrize(
    ("xd", "gd", "match"),
    [
        ("float32", "float64", "expected scalar type Float but found Double"),
        ("float64", "float32", "expected scalar type Double but found Float"),
        ("float32", "int32", "expected scalar type Float but found Int"),
        ("int32", "float32", "not implemented for 'Int'"),
        ("int64", "int64", "not implemented for 'Long'"),
        ("bool", "bool", "not implemented for 'Bool'"),
    ],
)
def test_sampler_dtype_errors_as_torch(xd, gd, match):
    _same_error(
        lambda: F.grid_sample(
            mg.zeros(2, 1, 3, 3, dtype=xd), mg.zeros(2, 2, 2, 2, dtype=gd), align_corners=False
        ),
        lambda: TF.grid_sample(
            torch.zeros(2, 1, 3, 3, dtype=getattr(torch, xd)),
            torch.zeros(2, 2, 2, 2, dtype=getattr(torch, gd)),
            align_corners=False,
        ),
        match,
    )


def test_sampler_argument_errors():
    x, g = mg.zeros(1, 1, 2, 2), mg.zeros(1, 1, 1, 2)
    with pytest.raises(TypeError, match="align_corners.*must be bool"):
        F.grid_sample(x, g, align_corners=1)
    with pytest.raises(TypeError, match="'input' must be Tensor, not list"):
        F.grid_sample([1.0], g, align_corners=False)
    with pytest.raises(IndexError, match="no dimensions"):
        F.grid_sample(mg.tensor(1.0), mg.tensor(1.0), align_corners=False)


AFFINE_ERRORS = [
    ((2, 2, 3), "int64", (2, 3, 4, 5), "floating point type"),
    ((2, 2, 3), "bool", (2, 3, 4, 5), "floating point type"),
    ((2, 3, 4), "float32", (2, 3, 4, 5), "shape Nx2x3 for size"),
    ((2, 2, 3), "float32", (2, 3, 4, 5, 6), "shape Nx3x4 for size"),
    ((2, 3), "float32", (2, 3, 4, 5), "shape Nx2x3 for size"),
    ((1, 1, 2, 3), "float32", (1, 1, 2, 2), "shape Nx2x3 for size"),
    ((2, 2, 3), "float32", (2, 3, 4), "only supports 4D and 5D sizes"),
    ((2, 2, 3), "float32", (2, 3, 0, 5), r"Expected non-zero, positive output size"),
    ((2, 2, 3), "float32", (2, 0, 4, 5), r"Expected non-zero, positive output size"),
    ((2, 2, 3), "float32", (2, 3, -1, 5), r"Expected non-zero, positive output size"),
    ((2, 2, 3), "float32", (3, 3, 4, 5), "batch"),
    ((2, 2, 3), "float32", (2, 3, 4.0, 5), "size"),
]


@pytest.mark.parametrize(("ts", "dt", "size", "match"), AFFINE_ERRORS)
def test_affine_grid_errors_as_torch(ts, dt, size, match):
    _same_error(
        lambda: F.affine_grid(mg.zeros(*ts, dtype=dt), size, align_corners=False),
        lambda: TF.affine_grid(torch.zeros(ts, dtype=getattr(torch, dt)), size, False),
        match,
    )


def test_affine_grid_align_corners_must_be_bool():
    with pytest.raises(TypeError, match="align_corners.*must be bool"):
        F.affine_grid(mg.zeros(1, 2, 3), (1, 1, 2, 2), align_corners=1)


# ---------------------------------------------------------------------- affine_grid
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
@pytest.mark.parametrize("ac", [False, True])
@pytest.mark.parametrize(
    "size",
    [(2, 3, 4, 5), (1, 1, 1, 7), (3, 2, 6, 1), (2, 1, 3, 4, 5), (2, 2, 7, 1, 9), (1, 1, 1, 1, 1)],
)
def test_affine_grid_matches_torch(size, ac, dtype):
    """float16 against torch in float32 on the same values: torch 2.13 cannot build a
    float16 grid with a unit-size dimension ("tensor_cpu" not implemented for 'Half')."""
    k = len(size) - 2
    rng = np.random.default_rng(8)
    th = rng.standard_normal((size[0], k, k + 1)).astype(dtype)
    tt = torch.tensor(th.astype(np.float32) if dtype == np.float16 else th, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = TF.affine_grid(tt, size, align_corners=ac)
        mt = mg.tensor(th, requires_grad=True)
        got = F.affine_grid(mt, mg.Size(size), align_corners=ac)
    assert got.shape == tuple(want.shape) and got.dtype == dtype
    gy = rng.standard_normal(want.shape).astype(dtype)
    (tg,) = torch.autograd.grad(want, tt, torch.tensor(gy).to(tt.dtype))
    (g,) = mg.grad(got, mt, mg.tensor(gy))
    tol = {np.float16: 5e-3, np.float32: 1e-6, np.float64: 1e-14}[dtype]
    np.testing.assert_allclose(_np(got), want.detach().numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(_np(g), tg.numpy(), rtol=tol * 10, atol=tol * 10)


def test_affine_grid_gradgradcheck_and_composite_with_torch():
    rng = np.random.default_rng(9)
    th = mg.tensor(rng.standard_normal((2, 2, 3)) * 0.5, requires_grad=True)
    assert mg.gradcheck(lambda t: F.affine_grid(t, (2, 1, 3, 4), align_corners=False), (th,))
    assert mg.gradgradcheck(lambda t: F.affine_grid(t, (2, 1, 3, 4), align_corners=True), (th,))
    # theta -> grid -> sample -> loss, the spatial-transformer path, against torch
    x = rng.standard_normal((2, 3, 6, 5))
    X = mg.tensor(x, requires_grad=True)
    loss = (
        F.grid_sample(X, F.affine_grid(th, (2, 3, 4, 4), False), align_corners=False) ** 2
    ).sum()
    gth, gx = mg.grad(loss, (th, X))
    tth = torch.tensor(_np(th), requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    tgrid = TF.affine_grid(tth, (2, 3, 4, 4), False)
    tloss = (TF.grid_sample(tx, tgrid, align_corners=False) ** 2).sum()
    wth, wx = torch.autograd.grad(tloss, (tth, tx))
    np.testing.assert_allclose(loss.item(), tloss.item(), rtol=1e-12)
    np.testing.assert_allclose(_np(gth), wth.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(_np(gx), wx.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("w", [7, 28, 33])
def test_identity_grid_lands_in_pytorchs_cell(dtype, w):
    """affine_grid of the identity puts every point on a pixel centre (align_corners=False),
    where the grid gradient jumps between two cells: PyTorch's 4-d kernel rounds
    (g + 1) * W/2 - 0.5 once (a fused multiply-add) and its linspace likewise, and so must
    minigrad, or the spatial transformer's first gradients differ (float64: 56 of 1568)."""
    x = (np.arange(w, dtype=dtype) ** 2).reshape(1, 1, 1, w).repeat(3, 2)
    theta = np.eye(2, 3, dtype=dtype)[None]
    got = []
    for lib in (torch, mg):
        F = lib.nn.functional
        grid = F.affine_grid(lib.tensor(theta), (1, 1, 3, w), align_corners=False).detach()
        g = grid.clone().requires_grad_(True)
        F.grid_sample(lib.tensor(x), g, align_corners=False).sum().backward()
        got.append((grid.numpy(), g.grad.numpy()))
    np.testing.assert_array_equal(got[1][0], got[0][0])  # the grid, bit for bit
    # the gradient's cells (a wrong cell is off by the slope's jump, not by rounding)
    np.testing.assert_allclose(got[1][1], got[0][1], rtol=1e-12 if dtype == np.float64 else 1e-5)
