"""batch_norm: torch agreement (values, gradients, running statistics), the composite
oracle (first and second derivatives), gradcheck and gradgradcheck in training and eval,
validation."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from op_cases import torch_or_skip

import minigrad as mg
from minigrad.backend import as_numpy
from minigrad.ops import cpu_kernels
from minigrad.ops.batchnorm import batch_norm, batch_norm_composite

FIXTURE_OK = [HealthCheck.function_scoped_fixture]


@st.composite
def bn_configs(draw):
    """Input shape (N, C), (N, C, L) or (N, C, H, W), mode, affine parts, momentum, eps."""
    c = draw(st.integers(1, 3))
    spatial = draw(st.sampled_from([(), (3,), (2, 3), (1, 1), (3, 2)]))
    n = draw(st.integers(2 if not spatial or spatial == (1, 1) else 1, 4))
    return dict(
        shape=(n, c) + spatial,
        training=draw(st.booleans()),
        weight=draw(st.booleans()),
        bias=draw(st.booleans()),
        momentum=draw(st.sampled_from([0.1, 0.5, 1.0, 0.0])),
        eps=draw(st.sampled_from([1e-5, 1e-3])),
    )


def _arrays(cfg, seed=0):
    rng = np.random.default_rng(seed)
    c = cfg["shape"][1]
    return dict(
        x=rng.standard_normal(cfg["shape"]) * 2 + 1,
        w=rng.standard_normal(c) if cfg["weight"] else None,
        b=rng.standard_normal(c) if cfg["bias"] else None,
        rm=rng.standard_normal(c),
        rv=rng.random(c) + 0.5,
    )


def _run(fn, cfg, a, make):
    """Call a batch_norm-like fn with tensors made by `make`; returns output, leaves and
    the running stats after the call."""
    leaves = [make(a[k], True) for k in ("x", "w", "b")]
    rm, rv = make(a["rm"].copy(), False), make(a["rv"].copy(), False)
    y = fn(leaves[0], rm, rv, leaves[1], leaves[2], cfg["training"], cfg["momentum"], cfg["eps"])
    return y, leaves, rm, rv


@settings(max_examples=80, deadline=None, suppress_health_check=FIXTURE_OK)
@given(cfg=bn_configs())
def test_batch_norm_matches_torch(cfg, device):
    torch = torch_or_skip()
    a = _arrays(cfg)

    def mg_make(v, grad):
        return None if v is None else mg.Tensor(v, requires_grad=grad, device=device)

    def torch_make(v, grad):
        return None if v is None else torch.tensor(v, requires_grad=grad)

    y, leaves, rm, rv = _run(batch_norm, cfg, a, mg_make)
    ty, tleaves, trm, trv = _run(torch.nn.functional.batch_norm, cfg, a, torch_make)
    np.testing.assert_allclose(as_numpy(y._data), ty.detach().numpy(), rtol=1e-5, atol=1e-9)
    np.testing.assert_allclose(as_numpy(rm._data), trm.numpy(), rtol=1e-5, atol=1e-12)
    np.testing.assert_allclose(as_numpy(rv._data), trv.numpy(), rtol=1e-5, atol=1e-12)
    gy = np.random.default_rng(1).standard_normal(y.shape)
    live = [i for i, t in enumerate(leaves) if t is not None]
    got = mg.grad(y, [leaves[i] for i in live], mg.Tensor(gy, device=device))
    want = torch.autograd.grad(ty, [tleaves[i] for i in live], torch.tensor(gy))
    for i, g, t in zip(live, got, want, strict=True):
        np.testing.assert_allclose(
            as_numpy(g._data),
            t.numpy(),
            rtol=1e-5,
            atol=1e-9,
            err_msg=f"gradient of input {i}, {cfg}",
        )


@settings(max_examples=40, deadline=None, suppress_health_check=FIXTURE_OK)
@given(cfg=bn_configs())
def test_fused_matches_composite_oracle_to_second_order(cfg, device):
    a = _arrays(cfg, seed=2)

    def make(v, grad):
        return None if v is None else mg.Tensor(v, requires_grad=grad, device=device)

    outs = []
    for fn in (batch_norm, batch_norm_composite):
        y, leaves, rm, rv = _run(fn, cfg, a, make)
        live = [t for t in leaves if t is not None]
        gy = mg.Tensor(np.random.default_rng(3).standard_normal(y.shape), device=device)
        g1 = mg.grad(y, live, gy, create_graph=True)
        # a scalar of the first derivatives, differentiated again
        s = sum((g * g).sum() for g in g1)
        # (constant first derivatives, as in eval without weight, have no graph)
        g2 = mg.grad(s, live, allow_unused=True) if s.requires_grad else [None] * len(live)
        outs.append([y, rm, rv, *g1, *g2])
    for got, want in zip(*outs, strict=True):
        if want is None:
            assert got is None or np.allclose(as_numpy(got._data), 0)
            continue
        np.testing.assert_allclose(as_numpy(got._data), as_numpy(want._data), rtol=1e-7, atol=1e-9)


@settings(max_examples=30, deadline=None, suppress_health_check=FIXTURE_OK)
@given(cfg=bn_configs())
def test_batch_norm_gradcheck_gradgradcheck(cfg, device):
    a = _arrays(cfg, seed=4)
    names = [k for k in ("x", "w", "b") if a[k] is not None]
    xs = [mg.Tensor(a[k], requires_grad=True, device=device) for k in names]

    def f(*ts):
        kw = dict(zip(names, ts, strict=True))
        rm = mg.Tensor(a["rm"].copy(), device=device)
        rv = mg.Tensor(a["rv"].copy(), device=device)
        return batch_norm(
            kw["x"], rm, rv, kw.get("w"), kw.get("b"), cfg["training"], cfg["momentum"], cfg["eps"]
        )

    assert mg.gradcheck(f, xs)
    assert mg.gradgradcheck(f, xs)


def test_running_stats_over_several_steps_matchtorch_or_skip():
    torch = torch_or_skip()
    rng = np.random.default_rng(5)
    rm, rv = mg.zeros(3, dtype=np.float64), mg.ones(3, dtype=np.float64)
    trm, trv = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    for step in range(4):
        x = rng.standard_normal((5, 3, 2, 2)) * (step + 1) + step
        batch_norm(mg.Tensor(x), rm, rv, training=True, momentum=0.3)
        torch.nn.functional.batch_norm(torch.tensor(x), trm, trv, training=True, momentum=0.3)
    np.testing.assert_allclose(rm.numpy(), trm.numpy(), rtol=1e-12)
    np.testing.assert_allclose(rv.numpy(), trv.numpy(), rtol=1e-12)
    # and evaluation uses them
    x = rng.standard_normal((2, 3, 2, 2))
    y = batch_norm(mg.Tensor(x), rm, rv, training=False)
    ty = torch.nn.functional.batch_norm(torch.tensor(x), trm, trv, training=False)
    np.testing.assert_allclose(y.numpy(), ty.numpy(), rtol=1e-12)


def test_running_var_is_unbiased_and_output_uses_biased():
    x = np.array([[1.0], [3.0]])  # mean 2, biased var 1, unbiased var 2
    rm, rv = mg.zeros(1, dtype=np.float64), mg.zeros(1, dtype=np.float64)
    y = batch_norm(
        mg.Tensor(x), rm, rv, training=True, momentum=1.0, eps=1e-12
    )  # (PyTorch refuses eps=0 in training)
    np.testing.assert_allclose(y.numpy().ravel(), [-1.0, 1.0])
    np.testing.assert_allclose(rm.numpy(), [2.0])
    np.testing.assert_allclose(rv.numpy(), [2.0])


def test_float32_in_float32_out(device):
    x = mg.randn(8, 4, 3, 3, device=device, requires_grad=True)
    w = mg.ones(4, device=device, requires_grad=True)
    rm, rv = mg.zeros(4, device=device), mg.ones(4, device=device)
    y = batch_norm(x, rm, rv, w, None, training=True)
    y.sum().backward()
    assert y.dtype == x.grad.dtype == w.grad.dtype == rm.dtype == rv.dtype == np.float32
    out = as_numpy(y._data)
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(out.var(axis=(0, 2, 3)), 1, atol=1e-3)


def test_training_without_running_stats_updates_nothing():
    x = mg.randn(4, 3, dtype=np.float64)
    y = batch_norm(x, None, None, training=True)
    np.testing.assert_allclose(y.numpy().mean(0), 0, atol=1e-12)


@pytest.mark.parametrize("compiled", [True, False])
def test_saved_state_freed_after_backward(compiled):
    with cpu_kernels.use(compiled):
        x = mg.randn(4, 3, 2, 2, requires_grad=True)
        y = batch_norm(x, None, None, training=True)
        fn = y.creator
        # the compiled loops keep no x-hat (the backward works it out again from x, which
        # the node keeps); the NumPy code keeps one
        if compiled and cpu_kernels.available():
            assert fn.xhat is None
        else:
            assert fn.xhat.shape == x.shape
        assert fn.mean.shape == (3,) and fn.inputs[0] is x
        y.sum().backward()
    assert not hasattr(fn, "xhat") and not hasattr(fn, "mean") and not hasattr(fn, "inputs")


def test_invalid_inputs():
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        batch_norm(mg.randn(1, 3), None, None, training=True)
    with pytest.raises(ValueError, match=r"running_mean of shape \(4,\)"):
        batch_norm(mg.randn(2, 3), mg.zeros(4), mg.ones(3), training=False)
    with pytest.raises(ValueError, match="weight"):
        batch_norm(mg.randn(2, 3, 4, 4), None, None, mg.ones(2), training=True)
    with pytest.raises(ValueError, match="running_mean and running_var"):
        batch_norm(mg.randn(2, 3), None, None, training=False)
    with pytest.raises(ValueError, match=r"\(N, C, ...\)"):
        batch_norm(mg.randn(3), None, None, training=True)


def _cropped_batch_minor(a):
    """`a` as a transposed convolution returns it: a cropped view of a padded buffer
    (C, H + 2, W + 2, N), batch innermost; its (H, W) axes do not merge into one."""
    padded = np.pad(a.transpose(1, 2, 3, 0), ((0, 0), (1, 1), (1, 1), (0, 0)))
    return padded[:, 1:-1, 1:-1].transpose(3, 0, 1, 2)


@pytest.mark.parametrize("layout", ["contiguous", "channels_last", "strided", "cropped"])
def test_float32_views_and_offset_match_torch(layout):
    """Per-channel sums in float32 on non-contiguous inputs and gradients, with a large
    mean (where a naive float32 sum would lose digits), agree with torch's float32."""
    torch = torch_or_skip()
    rng = np.random.default_rng(7)
    base = (rng.standard_normal((16, 6, 10, 12)) * 3 + 100).astype(np.float32)
    x = {
        "contiguous": base,
        "channels_last": np.ascontiguousarray(base.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2),
        "strided": base[:, :, ::2, 1::2],
        "cropped": _cropped_batch_minor(base),
    }[layout]
    w = rng.standard_normal(6).astype(np.float32)
    b = rng.standard_normal(6).astype(np.float32)
    gy = rng.standard_normal(x.shape[::-1]).astype(np.float32).T  # a transposed view
    X, W, B = (mg.Tensor(a, requires_grad=True) for a in (x, w, b))
    y = batch_norm(X, None, None, W, B, training=True)
    gx, gw, gb = mg.grad(y, [X, W, B], mg.Tensor(gy))
    tx, tw, tb = (torch.tensor(np.ascontiguousarray(a), requires_grad=True) for a in (x, w, b))
    ty = torch.nn.functional.batch_norm(tx, None, None, tw, tb, training=True)
    tgx, tgw, tgb = torch.autograd.grad(ty, [tx, tw, tb], torch.tensor(np.ascontiguousarray(gy)))
    assert y.dtype == gx.dtype == np.float32
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-4, atol=2e-4)
    for m, t in ((gx, tgx), (gw, tgw), (gb, tgb)):
        np.testing.assert_allclose(m.numpy(), t.numpy(), rtol=1e-3, atol=2e-3)


def test_channel_sums_of_a_cropped_view_copy_nothing():
    """The per-channel sums read a transposed convolution's cropped output in place: a
    reshape to (N, C, H*W) copied all of it (4 ms of the 4.2 ms the sum took)."""
    import tracemalloc

    from minigrad.ops.batchnorm import _channel_sum

    rng = np.random.default_rng(0)
    x = _cropped_batch_minor(rng.standard_normal((32, 16, 14, 14)).astype(np.float32))
    g = _cropped_batch_minor(rng.standard_normal((32, 16, 14, 14)).astype(np.float32))
    tracemalloc.start()
    try:
        s, sp = _channel_sum(x), _channel_sum(x, g)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < x.nbytes // 10, f"{peak} bytes allocated for sums of a {x.nbytes}-byte view"
    x64, g64 = x.astype(np.float64), g.astype(np.float64)
    np.testing.assert_allclose(s, x64.sum((0, 2, 3)), rtol=1e-5, atol=1e-3)
    np.testing.assert_allclose(sp, (x64 * g64).sum((0, 2, 3)), rtol=1e-5, atol=1e-3)
