"""Sequences and attention against PyTorch 2.13: pad_sequence's result dtype, float16
scaled_dot_product_attention rounded once, misuse refused with PyTorch's exception types,
and the small RNN and PackedSequence attributes code written for PyTorch reads."""

import warnings

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


# ---------------------------------------------------------------- attention
SDPA_HALF = {
    "plain": {},
    "bool mask": dict(mask="bool"),
    "float16 mask": dict(mask="float"),
    "causal": dict(is_causal=True),
    "negative scale": dict(scale=-0.7),
}


@pytest.mark.parametrize("name", list(SDPA_HALF))
def test_float16_sdpa_is_computed_in_float32_and_rounded_once(name):
    """PyTorch's math path upcasts float16 q, k, v to float32 and rounds the output once;
    minigrad rounded after every op (about half the outputs 1-2 ulp off PyTorch's)."""
    case = dict(SDPA_HALF[name])
    r = rng(7)
    q, k, v = (
        r.standard_normal(s).astype(np.float16) for s in ((2, 3, 6, 8), (2, 3, 7, 8), (2, 3, 7, 5))
    )
    gy = r.standard_normal((2, 3, 6, 5)).astype(np.float16)
    mask = case.pop("mask", None)
    if mask == "bool":
        mask = r.random((6, 7)) > 0.3
    elif mask == "float":
        mask = r.standard_normal((2, 1, 6, 7)).astype(np.float16)
    results = []
    for L, F, _ in LIBS:
        ins = [L.tensor(a, requires_grad=True) for a in (q, k, v)]
        m = None if mask is None else L.tensor(mask)
        out = F.scaled_dot_product_attention(*ins, attn_mask=m, **case)
        out.backward(L.tensor(gy))
        results.append([_np(out)] + [_np(t.grad) for t in ins])
    (out_m, *grads_m), (out_t, *grads_t) = results
    assert out_m.dtype == np.float16
    np.testing.assert_array_equal(out_m, out_t)
    for got, want in zip(grads_m, grads_t, strict=True):
        assert got.dtype == np.float16
        # float32 sums in another order: now and then 1 ulp apart
        assert np.mean(got != want) < 0.02
        np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-6)


@pytest.mark.parametrize(
    "shapes",
    [
        ((1, 3, 4), (1, 5, 4), (2, 3, 5)),  # mask batch 2 for q and k batch 1
        ((1, 2, 3, 4), (1, 2, 5, 4), (2, 1, 3, 5)),
        ((1, 3, 4), (1, 5, 4), (1, 1, 3, 5)),  # one more dim than the scores
        ((3, 4), (5, 4), (1, 3, 5)),
    ],
)
@pytest.mark.parametrize("kind", ["bool", "float"])
def test_sdpa_refuses_a_mask_that_would_grow_the_output(shapes, kind):
    """PyTorch adds the mask to the scores in place; minigrad broadcast the output up."""
    q_shape, k_shape, m_shape = shapes
    r = rng(1)
    q, k = r.standard_normal(q_shape), r.standard_normal(k_shape)
    mask = r.random(m_shape) > 0.5 if kind == "bool" else r.standard_normal(m_shape)
    for L, F, _ in LIBS:
        with pytest.raises(RuntimeError):
            F.scaled_dot_product_attention(L.tensor(q), L.tensor(k), L.tensor(k), L.tensor(mask))


def test_sdpa_mask_that_broadcasts_to_the_scores_is_still_taken():
    """q batch 1 with key and value batch 2: the scores have batch 2, and so may the mask."""
    r = rng(2)
    q, k, mask = r.standard_normal((1, 3, 4)), r.standard_normal((2, 5, 4)), r.random((2, 3, 5))
    got, want = (
        _np(F.scaled_dot_product_attention(*(L.tensor(a) for a in (q, k, k, mask))))
        for L, F, _ in LIBS
    )
    np.testing.assert_allclose(got, want, rtol=1e-12)


@pytest.mark.parametrize("dims", [(2, 2, 2), (3, 2, 2), (2, 3, 3), (3, 3, 2)])
def test_sdpa_enable_gqa_refuses_inputs_without_a_heads_dim(dims):
    r = rng(3)
    arrays = [r.standard_normal((2, 3, 4)[3 - d :]) for d in dims]
    for L, F, _ in LIBS:
        with pytest.raises(IndexError):
            F.scaled_dot_product_attention(*(L.tensor(a) for a in arrays), enable_gqa=True)


@pytest.mark.parametrize("which", ["attn_mask", "key_padding_mask"])
@pytest.mark.parametrize("kind", ["numpy", "list"])
def test_multihead_attention_refuses_a_mask_that_is_not_a_tensor(which, kind):
    shape = (3, 3) if which == "attn_mask" else (1, 3)
    mask = np.zeros(shape, bool)
    mask = mask.tolist() if kind == "list" else mask
    for L, _, _ in LIBS:
        L.manual_seed(0)
        m = L.nn.MultiheadAttention(8, 2)
        x = L.zeros(3, 1, 8)
        with pytest.raises(TypeError):
            m(x, x, x, **{which: mask})


def test_encoder_layer_refuses_a_numpy_key_padding_mask():
    for L, _, _ in LIBS:
        layer = L.nn.TransformerEncoderLayer(8, 2, 16)
        with pytest.raises(TypeError):
            layer(L.zeros(3, 1, 8), src_key_padding_mask=np.zeros((1, 3), bool))


@pytest.mark.parametrize(
    "kwargs", [{}, dict(is_causal=True), dict(scale=0.5), dict(mask="bool"), dict(mask="float")]
)
def test_sdpa_with_head_dim_zero_averages_the_values(kwargs):
    """E = 0: PyTorch's scale 1 / sqrt(0) meets empty q and k, the scores are all 0 and
    the output is the (masked) average of v; minigrad raised ZeroDivisionError."""
    kwargs = dict(kwargs)
    mask = {
        None: None,
        "bool": np.array([True, False, True, True, False]),
        "float": np.array([0.0, 1.0, 2.0, 3.0, 4.0]),
    }[kwargs.pop("mask", None)]
    v = np.arange(40.0).reshape(2, 5, 4)
    results = []
    for L, F, _ in LIBS:
        q, k = (L.zeros(2, n, 0, dtype=L.float64, requires_grad=True) for n in (3, 5))
        vt = L.tensor(v, requires_grad=True)
        m = None if mask is None else L.tensor(mask)
        out = F.scaled_dot_product_attention(q, k, vt, attn_mask=m, **kwargs)
        (out * out).sum().backward()
        results.append([out, q.grad, k.grad, vt.grad])
    for got, want in zip(*results, strict=True):
        assert got.shape == want.shape
        np.testing.assert_allclose(_np(got), _np(want), rtol=1e-12)


# ---------------------------------------------------------------- RNNBase
@pytest.mark.parametrize(
    "cls, kwargs",
    [
        ("LSTM", dict(num_layers=2, bidirectional=True, proj_size=2)),
        ("GRU", dict(bias=False)),
        ("RNN", dict(num_layers=2, nonlinearity="relu")),
    ],
)
def test_rnn_flat_weights_are_torchs(cls, kwargs):
    mods = [getattr(L.nn, cls)(2, 3, **kwargs) for L, _, _ in LIBS]
    assert mods[0]._flat_weights_names == mods[1]._flat_weights_names
    for m in mods:
        assert len(m._flat_weights) == len(m._flat_weights_names)
        for w, name in zip(m._flat_weights, m._flat_weights_names, strict=True):
            assert w is getattr(m, name)
    m = mods[0].double()  # moved or cast: still the module's own parameters
    assert all(
        w is getattr(m, n) for w, n in zip(m._flat_weights, m._flat_weights_names, strict=True)
    )


def test_rnn_weight_drop_by_attribute_runs_as_in_torch():
    """The weight-drop pattern: delete a registered weight, assign a tensor computed from a
    raw parameter to its name before each forward, and rebuild _flat_weights from the
    attributes (a no-op here); the dropped-in weight runs and its gradient reaches the
    raw parameter."""
    x = rng(4).standard_normal((4, 2, 2)).astype(np.float32)
    t = torch.nn.GRU(2, 3)
    results = []
    for L, _, _ in LIBS:
        m = L.nn.GRU(2, 3)
        m.load_state_dict({k: L.tensor(_np(v)) for k, v in t.state_dict().items()})
        raw = L.nn.Parameter(L.tensor(_np(t.weight_hh_l0)))
        del m._parameters["weight_hh_l0"]
        m.weight_hh_l0 = raw * 0.5
        m._flat_weights = [getattr(m, n) for n in m._flat_weights_names]
        assert m._flat_weights[1] is m.weight_hh_l0
        out, h = m(L.tensor(x))
        (out.sum() + h.sum()).backward()
        results.append((out, h, raw.grad, m.weight_ih_l0.grad))
    for got, want in zip(*results, strict=True):
        np.testing.assert_allclose(_np(got), _np(want), rtol=1e-5, atol=1e-6)


def test_rnn_flat_weights_assignment_that_forward_would_not_read_warns():
    m = mg.nn.RNN(2, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m._flat_weights = list(m._flat_weights)  # rebuilt from the attributes: silent
    with pytest.warns(UserWarning, match="assign the tensors to those attributes"):
        m._flat_weights = [mg.zeros(3, 2)] + m._flat_weights[1:]
    assert m._flat_weights[0] is m.weight_ih_l0


@pytest.mark.parametrize(
    "q_dtype, mask_dtype", [("float32", "float64"), ("float32", "float16"), ("float16", "float64")]
)
def test_sdpa_refuses_a_float_mask_of_another_dtype_as_torch(q_dtype, mask_dtype):
    rng = np.random.default_rng(0)
    q, k = rng.standard_normal((2, 3, 4, 8)), rng.standard_normal((2, 3, 5, 8))
    m = rng.standard_normal((4, 5))
    for L, F, _ in LIBS:
        qt, kt = (L.tensor(a.astype(q_dtype)) for a in (q, k))
        with pytest.raises(RuntimeError, match="Expected attn_mask dtype to be bool or float"):
            F.scaled_dot_product_attention(qt, kt, kt, attn_mask=L.tensor(m.astype(mask_dtype)))
        ok = F.scaled_dot_product_attention(qt, kt, kt, attn_mask=L.tensor(m.astype("float32")))
        assert str(ok.dtype).endswith(q_dtype)


def test_pad_sequence_takes_a_generator_and_refuses_a_padding_value_that_overflows():
    for L, _, R in LIBS:
        seqs = [L.ones(2, dtype=L.float16), L.ones(3, dtype=L.float16)]
        assert tuple(R.pad_sequence(s for s in seqs).shape) == (3, 2)
        with pytest.raises(RuntimeError, match="without overflow"):
            R.pad_sequence(seqs, padding_value=1e6)
        ints = [L.ones(2, dtype=L.int8), L.ones(3, dtype=L.int8)]
        with pytest.raises(RuntimeError, match="without overflow"):
            R.pad_sequence(ints, padding_value=300)


def test_pad_sequence_refuses_a_negative_padding_value_for_uint8():
    for L, _, R in LIBS:
        seqs = [L.ones(2, dtype=L.uint8), L.ones(3, dtype=L.uint8)]
        with pytest.raises(RuntimeError, match="without overflow"):
            R.pad_sequence(seqs, padding_value=-1)


@pytest.mark.parametrize(
    "dtype, value", [("uint8", -1), ("uint8", 256), ("int8", 200), ("float16", 1e6)]
)
def test_pad_refuses_a_padding_value_its_dtype_cannot_hold_as_torch(dtype, value):
    for L, F, _ in LIBS:
        with pytest.raises(RuntimeError, match="without overflow"):
            F.pad(L.ones(3, dtype=getattr(L, dtype)), (1, 1), value=value)
    for L, F, _ in LIBS:  # what it does take: truncated floats, -inf for floats
        assert F.pad(L.ones(3, dtype=L.uint8), (1, 1), value=1.5).tolist() == [1] * 5
        assert F.pad(L.ones(2), (1, 0), value=float("-inf")).tolist()[0] == float("-inf")
