"""Sequences and attention against PyTorch 2.13: pad_sequence's result dtype, float16
scaled_dot_product_attention rounded once, misuse refused with PyTorch's exception types,
and the small RNN and PackedSequence attributes code written for PyTorch reads."""

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as MF
import minigrad.nn.utils.rnn as MR

torch = pytest.importorskip("torch")
TF = torch.nn.functional
TR = torch.nn.utils.rnn

LIBS = ((mg, MF, MR), (torch, TF, TR))


def _np(t):
    return t.detach().numpy()


def rng(seed=0):
    return np.random.default_rng(seed)


# ---------------------------------------------------------------- padding and packing
DTYPE_CASES = {
    "f32 then f64": [np.array([1.5, 2.25], np.float32), np.array([0.1, 0.2, -0.3])],
    "f64 then f32": [np.array([1.5, 2.25]), np.array([0.1, 0.2, 0.3], np.float32)],
    "int64 then f32": [np.array([1, 2]), np.array([0.5, 1.7, -2.9], np.float32)],
    "f32 then int64": [np.array([0.5, 1.7, -2.9], np.float32), np.array([1, 2])],
    "bool then f64": [np.array([True, False]), np.array([0.5, 0.0, -2.0])],
}


@pytest.mark.parametrize("name", list(DTYPE_CASES))
@pytest.mark.parametrize("batch_first", [False, True])
def test_pad_sequence_takes_the_first_sequences_dtype(name, batch_first):
    """minigrad promoted ([f32, f64] -> float64, [int64, f32] -> float32); PyTorch casts
    every sequence, and the padding value, into the first one's dtype."""
    seqs = DTYPE_CASES[name]
    got, want = (
        _np(R.pad_sequence([L.tensor(s) for s in seqs], batch_first, -1.7)) for L, _, R in LIBS
    )
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)


def test_pad_and_pack_sequence_gradients_come_back_in_each_inputs_dtype():
    a = np.array([[1.5, 2.0], [2.25, -1.0]], np.float32)
    b = np.array([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]])
    results = []
    for L, _, R in LIBS:
        xa, xb = L.tensor(a, requires_grad=True), L.tensor(b, requires_grad=True)
        padded = R.pad_sequence([xa, xb], padding_value=0.5)
        packed = R.pack_sequence([xb, xa])  # float64 first: packed as float64
        weights = L.tensor(np.arange(12.0).reshape(3, 2, 2), dtype=padded.dtype)
        ((padded * weights).sum() + (packed.data**2).sum()).backward()
        results.append((padded, packed.data, xa.grad, xb.grad))
    for got, want in zip(*results, strict=True):
        assert _np(got).dtype == _np(want).dtype
        np.testing.assert_allclose(_np(got), _np(want), rtol=1e-6)


@pytest.mark.parametrize(
    "shape, lengths, kwargs",
    [
        ((4, 0, 2), [], {}),
        ((0, 4, 2), [], dict(batch_first=True)),
        ((4, 0, 2), [], dict(enforce_sorted=False)),
        ((4, 2, 0), [4, 3], {}),
        ((4, 2, 0), [3, 4], {}),  # before the sorted check, as PyTorch's
        ((0, 2, 3), [1, 1], {}),
    ],
)
def test_pack_padded_sequence_refuses_empty_tensors(shape, lengths, kwargs):
    for L, _, R in LIBS:
        with pytest.raises(RuntimeError, match="Cannot pack empty tensors."):
            R.pack_padded_sequence(L.zeros(*shape), lengths, **kwargs)


def test_pad_sequence_bad_padding_side_is_a_runtime_error():
    for L, _, R in LIBS:
        with pytest.raises(RuntimeError, match="padding_side"):
            R.pad_sequence([L.ones(2)], padding_side="up")
        with pytest.raises(RuntimeError, match="empty list"):  # checked first
            R.pad_sequence([], padding_side="up")
    with pytest.raises(ValueError):  # what minigrad raised before
        MR.pad_sequence([mg.ones(2)], padding_side="up")


def test_pad_sequence_refuses_0d_tensors():
    """PyTorch: RuntimeError for a first 0-d sequence, IndexError for a later one;
    minigrad raised IndexError from inside its code for both."""
    for L, _, R in LIBS:
        with pytest.raises(RuntimeError):
            R.pad_sequence([L.tensor(1.0), L.tensor(2.0)])
        with pytest.raises(RuntimeError):
            R.pad_sequence([L.tensor(2.0), L.ones(2)])
        with pytest.raises(IndexError):
            R.pad_sequence([L.ones(2), L.tensor(2.0)])
    with pytest.raises(IndexError, match="0-d"):
        MR.pad_sequence([mg.tensor(1.0)])


def test_packed_sequence_is_pinned():
    for L, _, R in LIBS:
        assert R.pack_padded_sequence(L.zeros(3, 2, 1), [3, 2]).is_pinned() is False
