"""Round 9: normalisation layers against torch (bias=False, BatchNorm3d, RMSNorm, LRN)."""

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F

torch = pytest.importorskip("torch")


def _pair(mg_cls, t_cls, *args, **kw):
    m, t = mg_cls(*args, **kw), t_cls(*args, **kw)
    for name, p in t.named_parameters():
        getattr(m, name).data = mg.tensor(p.detach().numpy().copy())
    return m, t


@pytest.mark.parametrize(
    "name, shape",
    [
        ("BatchNorm1d", (4, 3, 5)),
        ("BatchNorm2d", (4, 3, 2, 5)),
        ("BatchNorm3d", (2, 3, 2, 3, 4)),
        ("InstanceNorm1d", (2, 3, 5)),
        ("InstanceNorm2d", (2, 3, 4, 5)),
        ("InstanceNorm3d", (2, 3, 2, 3, 4)),
        ("SyncBatchNorm", (4, 3, 5)),
    ],
)
@pytest.mark.parametrize("bias", [True, False])
def test_bias_keyword(name, shape, bias):
    kw = {"affine": True} if name.startswith("Instance") else {}
    m, t = _pair(getattr(nn, name), getattr(torch.nn, name), 3, bias=bias, **kw)
    assert list(m.state_dict()) == list(t.state_dict())
    assert repr(m) == repr(t)
    with torch.no_grad():
        t.weight.uniform_(0.5, 1.5)
    m.weight.data = mg.tensor(t.weight.detach().numpy().copy())
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    tx, mx = torch.tensor(x, requires_grad=True), mg.tensor(x, requires_grad=True)
    for train in (True, False):
        m.train(train), t.train(train)
        if name == "SyncBatchNorm" and not train:
            continue
        ty, my = t(tx), m(mx)
        np.testing.assert_allclose(my.detach().numpy(), ty.detach().numpy(), atol=1e-5)
        ty.sum().backward()
        my.sum().backward()
    np.testing.assert_allclose(mx.grad.numpy(), tx.grad.numpy(), atol=1e-4)
    np.testing.assert_allclose(m.weight.grad.numpy(), t.weight.grad.numpy(), atol=1e-4)


def test_group_norm_bias_false_and_reset():
    m, t = _pair(nn.GroupNorm, torch.nn.GroupNorm, 2, 4, bias=False)
    assert repr(m) == repr(t) and list(m.state_dict()) == ["weight"]
    x = np.random.default_rng(1).standard_normal((3, 4, 5)).astype(np.float32)
    np.testing.assert_allclose(
        m(mg.tensor(x)).detach().numpy(), t(torch.tensor(x)).detach().numpy(), atol=1e-6
    )
    bn = nn.BatchNorm2d(3, bias=False)
    bn.weight.data = mg.tensor(np.full(3, 2.0, np.float32))
    bn.reset_parameters()
    assert (bn.weight.detach().numpy() == 1).all() and bn.bias is None


def test_convert_sync_batchnorm_keeps_bias_false():
    seq = nn.Sequential(nn.BatchNorm1d(3, bias=False))
    out = nn.SyncBatchNorm.convert_sync_batchnorm(seq)
    assert isinstance(out[0], nn.SyncBatchNorm) and out[0].bias is None
    assert list(out.state_dict()) == [
        "0.weight",
        "0.running_mean",
        "0.running_var",
        "0.num_batches_tracked",
    ]


def test_batchnorm3d_shape_error_and_eval():
    m, t = _pair(nn.BatchNorm3d, torch.nn.BatchNorm3d, 2)
    with pytest.raises(ValueError):
        m(mg.zeros(2, 2, 3))
    x = np.random.default_rng(2).standard_normal((3, 2, 2, 2, 2)).astype(np.float32)
    m(mg.tensor(x)), t(torch.tensor(x))
    np.testing.assert_allclose(m.running_var.numpy(), t.running_var.numpy(), rtol=1e-5)
    m.eval(), t.eval()
    np.testing.assert_allclose(
        m(mg.tensor(x)).detach().numpy(), t(torch.tensor(x)).detach().numpy(), atol=1e-5
    )


@pytest.mark.parametrize("shape", [(5,), (3, 5)])
@pytest.mark.parametrize("eps", [None, 1e-3])
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_rms_norm(shape, eps, affine, dtype):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 5)).astype(dtype)
    t = torch.nn.RMSNorm(shape, eps=eps, elementwise_affine=affine, dtype=torch.float64)
    m = nn.RMSNorm(shape, eps=eps, elementwise_affine=affine, dtype=np.float64)
    assert repr(m) == repr(t) and list(m.state_dict()) == list(t.state_dict())
    if affine:
        w = rng.standard_normal(shape)
        t.weight.data = torch.tensor(w, dtype=t.weight.dtype)
        m.weight.data = mg.tensor(w)
        t, m = t.to(getattr(torch, np.dtype(dtype).name)), m.to(dtype)
    tx, mx = torch.tensor(x, requires_grad=True), mg.tensor(x, requires_grad=True)
    ty, my = t(tx), m(mx)
    assert my.dtype == dtype
    np.testing.assert_allclose(my.detach().numpy(), ty.detach().numpy(), rtol=1e-5, atol=1e-6)
    ty.sum().backward(), my.sum().backward()
    np.testing.assert_allclose(mx.grad.numpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_rms_norm_eps_none_tiny_input_and_errors():
    x = np.full((2, 3), 1e-5, np.float32)
    np.testing.assert_allclose(
        F.rms_norm(mg.tensor(x), [3]).numpy(),
        torch.nn.functional.rms_norm(torch.tensor(x), [3]).numpy(),
        rtol=1e-6,
    )
    with pytest.raises(RuntimeError, match="expected input with shape"):
        F.rms_norm(mg.zeros(2, 3), [4])
    with pytest.raises(RuntimeError, match="same shape as normalized_shape"):
        F.rms_norm(mg.zeros(2, 3), [3], mg.ones(4))


def test_rms_norm_gradcheck():
    rng = np.random.default_rng(4)
    x = mg.tensor(rng.standard_normal((2, 4)), requires_grad=True)
    w = mg.tensor(rng.standard_normal(4), requires_grad=True)
    assert mg.autograd.gradcheck(lambda a, b: F.rms_norm(a, [4], b), (x, w))
    assert mg.autograd.gradgradcheck(lambda a, b: F.rms_norm(a, [4], b), (x, w))


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("shape", [(2, 6, 5), (2, 6, 3, 4), (1, 6, 2, 3, 2)])
def test_local_response_norm(size, shape):
    x = np.random.default_rng(5).standard_normal(shape)
    tx, mx = torch.tensor(x, requires_grad=True), mg.tensor(x, requires_grad=True)
    t = torch.nn.LocalResponseNorm(size, alpha=0.3, beta=0.7, k=2.0)
    m = nn.LocalResponseNorm(size, alpha=0.3, beta=0.7, k=2.0)
    assert repr(m) == repr(t)
    ty, my = t(tx), m(mx)
    np.testing.assert_allclose(my.detach().numpy(), ty.detach().numpy(), rtol=1e-12)
    g = np.random.default_rng(6).standard_normal(ty.shape)
    ty.backward(torch.tensor(g)), my.backward(mg.tensor(g))
    np.testing.assert_allclose(mx.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_local_response_norm_gradgradcheck_and_errors():
    x = mg.tensor(np.random.default_rng(7).standard_normal((1, 4, 3)), requires_grad=True)
    assert mg.autograd.gradcheck(lambda a: F.local_response_norm(a, 3, 0.5, 0.75, 1.0), (x,))
    assert mg.autograd.gradgradcheck(lambda a: F.local_response_norm(a, 3, 0.5, 0.75, 1.0), (x,))
    with pytest.raises(ValueError, match="3D or higher"):
        F.local_response_norm(mg.zeros(2, 3), 2)
    assert F.local_response_norm(mg.zeros(0, 3, 4), 2).shape == (0, 3, 4)


@pytest.mark.parametrize("size", [2, 3, 4, 5, 9])
def test_cross_map_lrn2d(size):
    x = np.random.default_rng(8).standard_normal((2, 7, 3, 4))
    tx, mx = torch.tensor(x, requires_grad=True), mg.tensor(x, requires_grad=True)
    t = torch.nn.CrossMapLRN2d(size, alpha=0.3, beta=0.7, k=2)
    m = nn.CrossMapLRN2d(size, alpha=0.3, beta=0.7, k=2)
    assert repr(m) == repr(t)
    ty, my = t(tx), m(mx)
    np.testing.assert_allclose(my.detach().numpy(), ty.detach().numpy(), rtol=1e-12)
    g = np.random.default_rng(9).standard_normal(ty.shape)
    ty.backward(torch.tensor(g)), my.backward(mg.tensor(g))
    np.testing.assert_allclose(mx.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match="Expected input to be 4D"):
        m(mg.zeros(2, 3, 4))
