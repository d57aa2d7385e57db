"""Round 21: indexing, dtype and autograd semantics where minigrad differed from PyTorch
2.13, found by hostile reviews; each case is checked against PyTorch itself."""

import warnings

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")


def _both(fn):
    """fn(lib) for PyTorch and minigrad, as NumPy arrays."""
    return [np.asarray(fn(lib).detach().numpy()) for lib in (torch, mg)]


# ---------------------------------------------------------------- indexing
EMPTY_ELLIPSIS = [
    ((2, 4, 5), lambda L: (slice(None), [0, 1], Ellipsis, [1, 2])),
    ((3, 4, 5), lambda L: (slice(None), [0, 1], Ellipsis, [1, 2])),
    ((2, 2, 2), lambda L: ([0, 1], Ellipsis, [1, 0], [0, 0])),
    ((4, 3), lambda L: ([0, 3], Ellipsis, [1, 2])),
    ((2, 3, 4), lambda L: (slice(0, 2), L.tensor([[True, False, True]]).expand(1, 3)[0], ..., 1)),
    ((2, 3, 4, 5), lambda L: (L.tensor([1, 0]), Ellipsis, slice(None), L.tensor([4, 2]))),
    ((2, 3, 4), lambda L: (Ellipsis, [0, 1], [1, 2])),  # an ellipsis of one dim: unchanged
]


@pytest.mark.parametrize("case", range(len(EMPTY_ELLIPSIS)))
def test_an_ellipsis_of_no_dims_keeps_advanced_indices_together(case):
    """NumPy takes array indices on either side of a `...` as apart even where it stands for
    no dims, and put their dims first: x[:, [0, 1], ..., [1, 2]] came out transposed (its
    values, its gradient and its writes)."""
    shape, index = EMPTY_ELLIPSIS[case]
    xn = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
    got = {}
    for L in (torch, mg):
        x = L.tensor(xn, requires_grad=True)
        y = x[index(L)]
        w = L.arange(y.numel(), dtype=L.float64).reshape(y.shape) + 1
        (y * w).sum().backward()
        z = L.tensor(xn)
        z[index(L)] = -w
        got[L] = (y.detach().numpy(), x.grad.numpy(), z.numpy())
    for a, b in zip(got[torch], got[mg], strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_numpy_uint8_index_is_a_mask_as_a_uint8_tensor_is():
    idx = np.array([1, 0, 1], dtype=np.uint8)
    with pytest.warns(UserWarning, match="uint8"):
        want = torch.tensor([[1.0, 2], [3, 4], [5, 6]])[idx]
    with pytest.warns(UserWarning, match="read as a mask"):
        got = mg.tensor([[1.0, 2], [3, 4], [5, 6]])[idx]
    assert got.tolist() == want.tolist() == [[1.0, 2.0], [5.0, 6.0]]
    x = mg.tensor([[1.0, 2], [3, 4], [5, 6]])
    with pytest.warns(UserWarning):
        x[idx] = -1.0  # it wrote rows 1 and 0
    assert x.tolist() == [[-1.0, -1.0], [3.0, 4.0], [-1.0, -1.0]]


@pytest.mark.parametrize(
    "index",
    [
        lambda L: (L.tensor(True), 2),
        lambda L: (L.tensor(False), 0),
        lambda L: (True, 2),
        lambda L: (2, L.tensor(True)),
        lambda L: (L.tensor(True), L.tensor(1)),
        lambda L: (L.tensor(True), 1, L.tensor(True)),
    ],
)
def test_a_0d_bool_index_beside_integers_reads_writes_and_differentiates(index):
    """The integers took every dim, so NumPy's a[ints] was a scalar, not a view: the
    backward failed ('first operand must be array') and so did the write."""
    for L in (torch, mg):
        x = L.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x[index(L)]
        y.sum().backward()
        z = L.tensor([1.0, 2.0, 3.0])
        z[index(L)] = -1.0
        if L is torch:
            want = (y.detach().numpy(), x.grad.numpy(), z.numpy())
    np.testing.assert_array_equal(y.detach().numpy(), want[0])
    np.testing.assert_array_equal(x.grad.numpy(), want[1])
    np.testing.assert_array_equal(z.numpy(), want[2])


def test_index_copy_refuses_a_negative_index_and_index_fill_wraps_it():
    for L in (torch, mg):
        with pytest.raises(IndexError, match="index -1 is out of bounds"):
            L.zeros(3, 2).index_copy_(0, L.tensor([-1]), L.ones(1, 2))
        x = L.zeros(3, 2).index_fill_(0, L.tensor([-1]), 7.0)
        assert x.tolist() == [[0.0, 0.0], [0.0, 0.0], [7.0, 7.0]]
    with pytest.raises(IndexError):
        mg.ones(3, 2).index_reduce_(0, mg.tensor([-1]), mg.ones(1, 2), "prod")


def test_a_value_that_requires_grad_written_into_an_integer_tensor():
    for L in (torch, mg):
        w = L.tensor([-1.0, 0.5, 2.7], requires_grad=True)
        x = L.zeros(3, dtype=L.long)
        x[:] = w  # minigrad refused it: an integer tensor has no gradient to record
        assert x.tolist() == [-1, 0, 2] and not x.requires_grad
        b = L.zeros(3, dtype=L.bool)
        b[1:] = w[1:] * 0
        assert b.tolist() == [False, False, False]
    # a float tensor still records it
    x = mg.zeros(3)
    x[:] = w * 2
    assert x.requires_grad


def test_uint8_index_warning_is_once_per_index():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        mg.ones(3)[np.array([1, 0, 1], dtype=np.uint8)]
    assert sum("uint8" in str(w.message) for w in caught) == 1
