"""PyTorch's legacy constructors (`Tensor(...)`, `FloatTensor(...)`, ...) and `tensor()` of
a list of one-element tensors, compared with PyTorch."""

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")


def _same(t, tt):
    assert str(t.dtype) == str(tt.dtype).replace("torch.", "")
    assert tuple(t.shape) == tuple(tt.shape)
    np.testing.assert_array_equal(t.numpy(), tt.numpy())


@pytest.mark.parametrize(
    "args",
    [([1, 2, 3],), ([[1, 0], [2, 3]],), ((4, 5),), ([True, False],), ([1.5, -2],), ([],)],
)
def test_tensor_of_a_list_is_the_default_float(args):
    _same(mg.Tensor(*args), torch.Tensor(*args))


@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (0, 4)])
def test_tensor_of_sizes_is_a_float32_tensor_of_that_shape(shape):
    t = mg.Tensor(*shape)
    assert t.dtype == np.float32 and t.shape == torch.Tensor(*shape).shape
    assert mg.Tensor(mg.Size(shape)).shape == torch.Tensor(torch.Size(shape)).shape


def test_legacy_parameter_idiom():
    """Old layer code: nn.Parameter(torch.Tensor(out, in)) then an init in place."""
    w = mg.nn.Parameter(mg.Tensor(4, 3))
    mg.nn.init.kaiming_uniform_(w, a=5**0.5)
    b = mg.nn.Parameter(mg.Tensor(4))
    b.data.uniform_(-0.1, 0.1)
    assert w.shape == (4, 3) and b.shape == (4,) and w.requires_grad
    assert w.dtype == b.dtype == np.float32


def test_writing_a_float_into_a_legacy_tensor_keeps_it():
    t = mg.Tensor([1, 2, 3])
    t[0] = 0.5
    assert t.tolist() == [0.5, 2.0, 3.0]


def test_arrays_and_tensors_keep_their_dtype():
    """minigrad's own use: an array or tensor is wrapped as it is (PyTorch's casts an array
    to float32, and takes a tensor as it is)."""
    assert mg.Tensor(np.arange(3)).dtype == np.int64
    _same(mg.Tensor(mg.tensor([1, 2])), torch.Tensor(torch.tensor([1, 2])))
    assert mg.Tensor(2.5).shape == ()


def test_bad_legacy_arguments_are_named():
    with pytest.raises(TypeError, match=r"Tensor\(\): .*\(int, str\)"):
        mg.Tensor(2, "a")


@pytest.mark.parametrize(
    "name, data",
    [
        ("FloatTensor", [1, 2]),
        ("DoubleTensor", [1, 2]),
        ("LongTensor", [1.5, -2.7]),
        ("IntTensor", [3, 4]),
        ("ByteTensor", [1, 255]),
        ("BoolTensor", [0, 2]),
        ("HalfTensor", [0.5]),
        ("ShortTensor", [7]),
        ("CharTensor", [-3]),
    ],
)
def test_typed_constructors(name, data):
    _same(getattr(mg, name)(data), getattr(torch, name)(data))
    sized, tsized = getattr(mg, name)(2, 3), getattr(torch, name)(2, 3)  # PyTorch's: garbage
    assert str(sized.dtype) == str(tsized.dtype).replace("torch.", "")
    assert sized.shape == tsized.shape and not sized.numpy().any()
    t = getattr(mg, name)(data)
    assert isinstance(t, getattr(mg, name))
    other = "LongTensor" if name != "LongTensor" else "FloatTensor"
    assert not isinstance(t, getattr(mg, other))
    assert isinstance(t, mg.Tensor)


@pytest.mark.parametrize(
    "make",
    [
        lambda T: [T.tensor([1.0]), T.tensor([0.0]), T.tensor([1.0])],
        lambda T: [T.tensor([[2.0]]), T.tensor(3.0)],
        lambda T: [[T.tensor([1.0]), 3.0], [T.tensor(2), 4]],
        lambda T: [T.tensor(1, dtype=T.float64), 2.0],
        lambda T: [T.tensor([1], dtype=T.int32), 2],
        lambda T: [T.tensor(True), T.tensor([False])],
    ],
)
def test_tensor_of_a_list_of_one_element_tensors_reads_numbers(make):
    _same(mg.tensor(make(mg)), torch.tensor(make(torch)))


def test_tensor_of_a_list_of_longer_tensors_is_refused():
    with pytest.raises(ValueError, match="one-element tensors"):
        mg.tensor([mg.ones(2), mg.ones(2)])
    with pytest.raises(ValueError):
        torch.tensor([torch.ones(2), torch.ones(2)])


def test_new_and_select_as_pytorch():
    for T in (mg, torch):
        x = T.arange(24).reshape(2, 3, 4)
        v = x.select(0, 1)
        v[0, 0] = 100  # a view
        assert x[1, 0, 0].item() == 100
        with pytest.raises(IndexError):
            x.select(3, 0)
        with pytest.raises(IndexError):
            x.select(1, 3)
        with pytest.raises(IndexError):
            T.tensor(1.0).select(0, 0)
    x, t = mg.arange(24).reshape(2, 3, 4), torch.arange(24).reshape(2, 3, 4)
    for dim, i in [(0, 1), (1, -1), (-1, 2), (2, 0)]:
        np.testing.assert_array_equal(x.select(dim, i).numpy(), t.select(dim, i).numpy())
        np.testing.assert_array_equal(mg.select(x, dim, i).numpy(), torch.select(t, dim, i).numpy())
    y, ty = mg.ones(2, dtype=mg.float64), torch.ones(2, dtype=torch.float64)
    _same(y.new([1, 2]), ty.new([1, 2]))
    assert y.new(2, 3).shape == tuple(ty.new(2, 3).shape) and y.new(2, 3).dtype == np.float64
    assert y.new().shape == (0,)
