"""`Tensor.view`: the shapes and values of PyTorch's wherever PyTorch makes the view (and
the same memory where NumPy can); where PyTorch refuses (its strides do not allow a view),
reshape's copy, as docs/pytorch-differences.md says; `view(dtype)` reinterprets the bytes
as PyTorch's."""

import itertools

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")

BASES = {
    "contiguous": lambda lib: lib.arange(24.0).reshape(2, 3, 4),
    "transposed": lambda lib: lib.arange(24.0).reshape(2, 3, 4).transpose(0, 2),
    "sliced rows": lambda lib: lib.arange(24.0).reshape(2, 3, 4)[:, :2],
    "sliced last": lambda lib: lib.arange(24.0).reshape(2, 3, 4)[:, :, :2],
    "stepped": lambda lib: lib.arange(24.0).reshape(2, 3, 4)[:, ::2],
    "expanded": lambda lib: lib.ones(3, 1).expand(3, 4),
    "permuted": lambda lib: lib.arange(24.0).reshape(2, 3, 4).permute(1, 0, 2),
    "one row": lambda lib: lib.arange(24.0).reshape(2, 3, 4)[:, 1:2],
    "empty transposed": lambda lib: lib.ones(0, 3).t(),
    "0-d": lambda lib: lib.tensor(2.0),
}
SHAPES = [(-1,), (2, -1), (-1, 2), (1, -1, 1), (2, 2, 2, -1), (4, -1), (-1, 4), (1, 1, -1)]


def _outcome(lib, make, shape):
    try:
        out = make(lib).view(*shape) if shape else make(lib)
    except RuntimeError:
        return "raises"
    return tuple(out.shape), np.asarray(out.tolist(), dtype=np.float64).ravel().tolist()


@pytest.mark.parametrize("base, shape", list(itertools.product(BASES, SHAPES)))
def test_view_gives_pytorchs_values_or_reshapes_copy(base, shape):
    make = BASES[base]
    want = _outcome(torch, make, shape)
    if want == "raises":  # a layout PyTorch cannot view: reshape's values
        want = _outcome(torch, lambda lib: make(lib).reshape(*shape), ())
    assert _outcome(mg, make, shape) == want


def test_a_view_shares_memory_both_ways():
    x = mg.arange(6.0).reshape(2, 3)
    v = x.view(3, 2)
    v[0, 0] = 100.0
    x[1, 2] = -1.0
    assert x.tolist() == [[100.0, 1.0, 2.0], [3.0, 4.0, -1.0]]
    assert v.tolist() == [[100.0, 1.0], [2.0, 3.0], [4.0, -1.0]]


def test_a_conv_output_flattens_by_view_for_any_grouping():
    """Convolutions keep batch-minor arrays; views PyTorch makes of their (contiguous)
    outputs work here, merging the batch with the channels included."""
    y = mg.nn.Conv2d(3, 4, 3)(mg.randn(2, 3, 8, 8))
    for shape in [(2, -1), (-1,), (8, 36), (2, 4, 36), (-1, 1)]:
        assert y.view(*shape).tolist() == y.reshape(*shape).tolist()


def test_view_as_follows_view():
    assert mg.ones(2, 3).view_as(mg.ones(6)).shape == (6,)


def test_view_keeps_the_gradient():
    x = mg.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    (x.view(3, 2) * mg.tensor([[1.0, 2.0]] * 3)).sum().backward()
    assert x.grad.tolist() == [[1.0, 2.0, 1.0], [2.0, 1.0, 2.0]]


DTYPES = ["int32", "float64", "float16", "uint8", "int64", "bool", "int16", "float32"]
SOURCES = {
    "rows": lambda lib: lib.arange(6.0).reshape(2, 3),
    "transposed": lambda lib: lib.arange(6.0).reshape(2, 3).t(),
    "0-d": lambda lib: lib.tensor(1.5),
    "sliced": lambda lib: lib.arange(6.0).reshape(2, 3)[:, :2],
    "column": lambda lib: lib.arange(6.0).reshape(2, 3)[:, :1],
    "even rows": lambda lib: lib.arange(8.0).reshape(2, 4),
    "size-1 last, transposed": lambda lib: lib.ones(1, 4).t(),
    "odd storage offset": lambda lib: lib.ones(3, 6)[:, 1:5],
    "even storage offset": lambda lib: lib.ones(3, 6)[:, 2:6],
    "empty": lambda lib: lib.ones(0, 4),
}


@pytest.mark.parametrize("source, dtype", list(itertools.product(SOURCES, DTYPES)))
def test_view_dtype_reinterprets_as_pytorch(source, dtype):
    make = SOURCES[source]
    try:
        want = make(torch).view(getattr(torch, dtype))
    except RuntimeError as e:
        with pytest.raises(RuntimeError) as got:
            make(mg).view(getattr(mg, dtype))
        assert str(got.value).split(",")[0] == str(e).split(",")[0]
        return
    got = make(mg).view(getattr(mg, dtype))
    assert tuple(got.shape) == tuple(want.shape)
    assert str(got.dtype) == dtype and not got.requires_grad
    np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_view_dtype_shares_memory_and_cuts_the_graph():
    x = mg.zeros(4, dtype=mg.int32)
    f = x.view(mg.float32)
    f[0] = 1.0
    assert x.tolist()[0] == 1065353216
    w = mg.ones(2, 2, requires_grad=True)
    assert not w.view(mg.float32).requires_grad and not w.view(mg.int32).requires_grad


@pytest.mark.parametrize(
    "make",
    [
        lambda lib: lib.ones(3, 6),
        lambda lib: lib.ones(3, 6)[1:, 2:],
        lambda lib: lib.ones(3, 6).t()[2],
        lambda lib: lib.arange(10.0)[3:],
        lambda lib: lib.ones(3, 6)[1:].reshape(12),
    ],
)
def test_storage_offset_as_pytorch(make):
    assert make(mg).storage_offset() == make(torch).storage_offset()
