"""Tensor (minigrad/tensor.py): factories and dtypes, seeding, conversion, repr, comparisons,
properties, dtype propagation and device errors."""

import numpy as np
import pytest

import minigrad as mg


# ------------------------------------------------------------------ factories and dtypes
def test_default_dtypes_follow_pytorch():
    assert mg.tensor(1.5).dtype == np.float32
    assert mg.tensor([1.0, 2.0]).dtype == np.float32
    assert mg.tensor([[1, 2]]).dtype == np.int64
    assert mg.tensor([True, False]).dtype == np.bool_
    assert mg.tensor(np.zeros(2)).dtype == np.float64  # float64 arrays keep their dtype
    assert mg.tensor(np.zeros(2, np.float32)).dtype == np.float32
    assert mg.tensor([1.0], dtype=mg.float64).dtype == np.float64
    assert mg.Tensor([1.0, 2.0]).dtype == np.float32


def test_tensor_copies_its_data():
    a = np.zeros(3, np.float32)
    t = mg.tensor(a)
    a[0] = 1
    assert t.numpy()[0] == 0
    u = mg.tensor(t)
    u.add_(1)
    assert t.numpy()[0] == 0


@pytest.mark.parametrize("make", [mg.zeros, mg.ones, mg.randn, mg.rand])
def test_shape_factories(make, device):
    for args in [(2, 3), ((2, 3),), ([2, 3],)]:
        t = make(*args, device=device)
        assert t.shape == (2, 3) and t.dtype == np.float32 and t.device == device
    assert make(4, dtype=mg.float64, device=device).dtype == np.float64
    assert make(2, requires_grad=True).requires_grad


def test_value_factories(device):
    np.testing.assert_array_equal(mg.zeros(2, 2).numpy(), 0)
    np.testing.assert_array_equal(mg.ones(3).numpy(), 1)
    f = mg.full((2, 2), 7.0, device=device)
    assert f.dtype == np.float32 and float(f.numpy().sum()) == 28.0
    assert mg.full((2,), 3).dtype == np.int64 and mg.full(2, True).dtype == np.bool_
    x = mg.randn(2, 3, dtype=mg.float64)
    for like, value in ((mg.zeros_like(x), 0), (mg.ones_like(x), 1)):
        assert like.shape == x.shape and like.dtype == np.float64
        np.testing.assert_array_equal(like.numpy(), value)
    assert mg.zeros_like(x, dtype=x.dtype).dtype == np.float64
    assert mg.zeros_like(x, dtype=np.dtype(np.float32)).dtype == np.float32
    r = mg.rand(1000).numpy()
    assert r.min() >= 0 and r.max() < 1


def test_arange():
    np.testing.assert_array_equal(mg.arange(4).numpy(), [0, 1, 2, 3])
    assert mg.arange(4).dtype == np.int64
    assert mg.arange(0, 1, 0.25).dtype == np.float32
    np.testing.assert_allclose(mg.arange(1, 2, 0.5).numpy(), [1.0, 1.5])
    assert mg.arange(3, dtype=mg.float64).dtype == np.float64


def test_manual_seed_reproduces():
    mg.manual_seed(123)
    a = (mg.randn(5).numpy(), mg.rand(3).numpy(), mg.randint(0, 10, (4,)).numpy())
    mg.manual_seed(123)
    b = (mg.randn(5).numpy(), mg.rand(3).numpy(), mg.randint(0, 10, (4,)).numpy())
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
    mg.manual_seed(124)
    assert not np.array_equal(mg.randn(5).numpy(), a[0])


# ------------------------------------------------------------------ conversion
def test_item_numpy_tolist():
    t = mg.tensor([[1.5, 2.0]])
    assert t.tolist() == [[1.5, 2.0]]
    assert isinstance(t.numpy(), np.ndarray)
    assert mg.tensor(3.5).item() == 3.5 and isinstance(mg.tensor(3).item(), int)
    assert float(mg.tensor([2.5])) == 2.5 and int(mg.tensor(4)) == 4
    with pytest.raises(RuntimeError, match="item\\(\\): only one element.*shape \\(1, 2\\)"):
        t.item()


def test_numpy_on_requires_grad_tensor_errors():
    x = mg.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="requires grad.*detach\\(\\)\\.numpy\\(\\)"):
        x.numpy()
    assert x.detach().numpy()[0] == 1.0


def test_repr():
    assert repr(mg.tensor([1.0, 2.0])) == "tensor([1., 2.])"  # float32 is the default: unnamed
    assert repr(mg.tensor([1.0], dtype=mg.float64)) == "tensor([1.], dtype=minigrad.float64)"
    assert "requires_grad=True" in repr(mg.tensor([1.0], requires_grad=True))
    assert "grad_fn=<Mul>" in repr(mg.tensor([1.0], requires_grad=True) * 2)


def test_bool_of_many_elements_is_ambiguous():
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(mg.tensor([1.0, 2.0]))
    assert bool(mg.tensor([1.0])) and not bool(mg.tensor(0.0))


def test_comparisons_return_tensors_without_grad():
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for c in (x > 2, x >= 2, x < 2, x <= 2, x == 2, x != 2, x > mg.tensor([0.0, 5.0, 1.0])):
        assert isinstance(c, mg.Tensor) and c.dtype == np.bool_ and not c.requires_grad
    np.testing.assert_array_equal((x > 1.5).numpy(), [False, True, True])
    np.testing.assert_array_equal(((x > 1.5) & (x < 2.5)).numpy(), [False, True, False])
    np.testing.assert_array_equal((~(x > 1.5)).numpy(), [True, False, False])


def test_properties():
    x = mg.randn(2, 3, 4)
    assert x.shape == (2, 3, 4) and x.ndim == 3 and x.dim() == 3 and x.numel() == 24
    assert x.size() == (2, 3, 4) and x.size(1) == 3 and len(x) == 2
    assert x.T.shape == (4, 3, 2)
    m = mg.randn(2, 3)
    np.testing.assert_array_equal(m.T.numpy(), m.numpy().T)
    assert x.is_leaf and (x * 2).is_leaf  # no grad recorded: still a leaf
    w = mg.randn(2, requires_grad=True)
    assert not (w * 2).is_leaf and (w * 2).grad_fn is not None


def test_max_with_dim_returns_values_and_indices():
    x = mg.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    values, indices = x.max(dim=1)
    np.testing.assert_array_equal(values.numpy(), [5.0, 7.0])
    np.testing.assert_array_equal(indices.numpy(), [1, 0])
    r = x.min(0, keepdim=True)
    assert r.values.shape == (1, 3) and r.indices.dtype == np.int64
    assert x.max().item() == 7.0 and x.max().shape == ()
    np.testing.assert_array_equal(x.argmax(1).numpy(), [1, 0])


# ------------------------------------------------------------------ dtypes through ops
def test_to_dtype_is_differentiable():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x.to(mg.float64)
    assert y.dtype == np.float64 and y.requires_grad
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])
    assert x.double().dtype == np.float64 and x.double().float().dtype == np.float32
    assert x.type_as(mg.zeros(1, dtype=mg.float64)).dtype == np.float64


@pytest.mark.parametrize("dtype", [mg.float32, mg.float64])
def test_dtype_preserved_through_ops(dtype):
    x = mg.randn(3, 4, dtype=dtype, requires_grad=True)
    w = mg.randn(4, 2, dtype=dtype, requires_grad=True)
    c64, c0 = np.float64(0.5), np.array(0.5)  # float64 0-d constants act like scalars
    outs = [
        x * 2.0,
        2.0 * x,
        x + 1,
        x / 3.0,
        x**2,
        x * c64,
        x + c0,
        c64 - x,
        -x,
        x.exp(),
        x.abs(),
        x.clip(-1, 1),
        mg.maximum(x, 0.0),
        mg.where(x > 0, x, 0.0),
        x.mean(),
        x.var(0),
        x.std(),
        x.sum(1),
        x.amax(1),
        x.norm(),
        x.logsumexp(1),
        x.softmax(1),
        x @ w,
        mg.tanh(x),
        mg.sigmoid(x),
        mg.relu(x),
        mg.leaky_relu(x),
        x[0],
        x.T,
        x.reshape(12),
        mg.cat([x, x]),
        x.unsqueeze(0),
    ]
    for y in outs:
        assert y.dtype == dtype, y
    loss = sum((y.sum() for y in outs), mg.zeros((), dtype=dtype))
    assert loss.dtype == dtype
    loss.backward()
    assert x.grad.dtype == dtype and w.grad.dtype == dtype


def test_inplace_on_0d_results():
    s = mg.randn(3).sum()  # NumPy reductions give scalars, not arrays
    s.zero_()
    assert s.item() == 0.0
    x = mg.randn(3)[0]
    x.add_(1.0)
    x.fill_(2.0)
    assert x.item() == 2.0


def test_inplace_ops_under_no_grad():
    x = mg.tensor([1.0, -2.0, 3.0], requires_grad=True)
    with mg.no_grad():
        x.mul_(2).add_(1).sub_(0.5)
        x.clamp_(-2, 5)
        x.copy_(x * 1.0)
        x[1] = 0.0
    np.testing.assert_allclose(x.detach().numpy(), [2.5, 0.0, 5.0])
    assert x.requires_grad and x.is_leaf
    with pytest.raises(RuntimeError, match="copy_: source of shape \\(2,\\) into shape \\(3,\\)"):
        mg.zeros(3).copy_(mg.ones(2))


# ------------------------------------------------------------------ devices
def test_cuda_is_not_available_here_and_to_cuda_says_how_to_install():
    if mg.cuda.is_available():
        pytest.skip("a GPU is present")
    x = mg.tensor([1.0])
    with pytest.raises(RuntimeError, match=r"pip install -e \.\[gpu-cuda1\d\]"):
        x.to("cuda")
    with pytest.raises(RuntimeError, match="gpu-cuda"):
        x.cuda()
    with pytest.raises(RuntimeError, match="gpu-cuda"):
        mg.zeros(2, device="cuda")
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        x.to("tpu")


def test_to_device_roundtrip(device):
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x.to(device)
    assert y.device == device
    (y * 3).sum().backward()
    assert x.grad.device == "cpu"
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0])
    assert y.cpu().device == "cpu"
