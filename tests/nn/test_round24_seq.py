"""Round 24 of the hostile reviews: attention masks over NaN scores, embedding_bag's
argument checks and nn.utils.rnn's padding helpers, against PyTorch 2.13."""

import numpy as np
import pytest

import minigrad as mg
from minigrad.nn.utils import rnn as mrnn

torch = pytest.importorskip("torch")
trnn = torch.nn.utils.rnn

NAN, INF = float("nan"), float("inf")
DTYPES = {np.float32: torch.float32, np.float64: torch.float64}


def _close(got, want, tol):
    want = want.detach().numpy() if hasattr(want, "detach") else want
    got = got.detach().numpy() if hasattr(got, "detach") else got
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol, equal_nan=True)


# ---------------------------------------------------------------------- scaled_dot_product
def _sdpa_inputs(bad, ndim, dtype):
    """q (.., 3, 4), k (.., 4, 4), v (.., 4, 2), with a NaN or inf where `bad` says."""
    rng = np.random.default_rng(7)
    lead = (2, 1) if ndim == 4 else (2,)
    q = rng.standard_normal(lead + (3, 4)).astype(dtype)
    k = rng.standard_normal(lead + (4, 4)).astype(dtype)
    v = rng.standard_normal(lead + (4, 2)).astype(dtype)
    if bad == "nan_key":  # a garbage (padded) slot at the last key
        k[..., 3, :] = NAN
    elif bad == "inf_key":  # +inf or NaN scores, by the signs of q
        k[..., 3, :] = INF
    elif bad == "neg_inf_key":
        k[..., 3, 0] = -INF
        q[..., 0] = np.abs(q[..., 0])  # -inf scores: dropped or not, they stay -inf
    elif bad == "inf_query":
        q[..., 0, 0] = INF
    return q, k, v


def _sdpa_mask(lib, kind, dtype):
    keep = np.array([[True, True, True, False]] * 3)
    if kind.endswith("full"):  # row 1 drops every key
        keep[1] = False
    if kind.startswith("bool"):
        return {"attn_mask": lib.tensor(keep)}
    if kind.startswith("float"):
        return {"attn_mask": lib.tensor(np.where(keep, 0.0, -INF).astype(dtype))}
    if kind == "causal":
        return {"is_causal": True}
    return {}


def _sdpa_run(lib, arrays, kind, dtype):
    q, k, v = (lib.tensor(a, requires_grad=True) for a in arrays)
    out = lib.nn.functional.scaled_dot_product_attention(q, k, v, **_sdpa_mask(lib, kind, dtype))
    gy = np.linspace(-1.0, 1.0, out.numel()).reshape(tuple(out.shape)).astype(dtype)
    out.backward(lib.tensor(gy))
    return out, q.grad, k.grad, v.grad


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("ndim", [3, 4])
@pytest.mark.parametrize("kind", ["bool", "float", "causal", "boolfull", "floatfull", "none"])
@pytest.mark.parametrize("bad", ["nan_key", "inf_key", "neg_inf_key", "inf_query", "none"])
def test_sdpa_nan_or_inf_at_dropped_positions_as_pytorch(bad, kind, ndim, dtype):
    # a bool mask and is_causal are added as 0 / -inf, as PyTorch's math path: a NaN score
    # at a dropped position makes the row NaN in the output, and the gradients agree
    arrays = _sdpa_inputs(bad, ndim, dtype)
    got = _sdpa_run(mg, arrays, kind, dtype)
    want = _sdpa_run(torch, arrays, kind, dtype)
    tol = 1e-5 if dtype == np.float32 else 1e-10
    for g, w in zip(got, want, strict=True):
        assert g.dtype == dtype
        _close(g, w, tol)


def test_sdpa_nan_key_dropped_by_bool_mask_is_not_hidden():
    # the review's case: before, the output was finite while q.grad was NaN
    arrays = _sdpa_inputs("nan_key", 3, np.float32)
    out, gq, _, _ = _sdpa_run(mg, arrays, "bool", np.float32)
    assert np.isnan(out.detach().numpy()).all() and np.isnan(gq.numpy()).all()


def test_sdpa_float16_nan_key_under_causal_mask():
    arrays = _sdpa_inputs("nan_key", 4, np.float16)
    q, k, v = (mg.tensor(a) for a in arrays)
    got = mg.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
    want = torch.nn.functional.scaled_dot_product_attention(
        *(torch.tensor(a) for a in arrays), is_causal=True
    )
    assert got.dtype == np.float16
    _close(got, want, 1e-3)


def test_sdpa_fully_masked_rows_stay_zero_with_finite_scores():
    # the additive mask keeps PyTorch's _safe_softmax rows: all -inf gives zeros, no NaN
    arrays = _sdpa_inputs("none", 4, np.float64)
    got = _sdpa_run(mg, arrays, "boolfull", np.float64)
    want = _sdpa_run(torch, arrays, "boolfull", np.float64)
    out = got[0].detach().numpy()
    assert np.isfinite(out).all()
    np.testing.assert_array_equal(out[..., 1, :], 0.0)
    for g, w in zip(got, want, strict=True):
        _close(g, w, 1e-10)


@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("mask", ["key_padding", "causal_hint"])
def test_mha_nan_key_dropped_by_masks_as_pytorch(need_weights, mask):
    torch.manual_seed(0)
    tm = torch.nn.MultiheadAttention(4, 2).eval()
    mm = mg.nn.MultiheadAttention(4, 2).eval()
    mm.load_state_dict({k: mg.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 2, 4)).astype(np.float32)
    kv = x.copy()
    kv[3, 0] = NAN  # batch 0's last key
    if mask == "key_padding":
        kpm = np.array([[False, False, False, True], [False, False, False, False]])
        kw_t = {"key_padding_mask": torch.tensor(kpm)}
        kw_m = {"key_padding_mask": mg.tensor(kpm)}
    else:
        causal = np.triu(np.ones((4, 4), dtype=bool), 1)
        kw_t = {"attn_mask": torch.tensor(causal), "is_causal": True}
        kw_m = {"attn_mask": mg.tensor(causal), "is_causal": True}
    with torch.no_grad():
        want = tm(
            torch.tensor(x), torch.tensor(kv), torch.tensor(kv), need_weights=need_weights, **kw_t
        )
    got = mm(mg.tensor(x), mg.tensor(kv), mg.tensor(kv), need_weights=need_weights, **kw_m)
    _close(got[0], want[0], 1e-5)
    if need_weights:
        _close(got[1], want[1], 1e-5)


# ---------------------------------------------------------------------- embedding_bag
def _bag(lib, inp, off=None, weight_rows=5, **kw):
    w = lib.tensor(np.arange(weight_rows * 3, dtype=np.float32).reshape(weight_rows, 3))
    offsets = None if off is None else lib.tensor(np.asarray(off, dtype=np.int64))
    return lib.nn.functional.embedding_bag(lib.tensor(np.asarray(inp)), w, offsets, **kw)


def _error(fn):
    try:
        fn()
    except Exception as e:  # the type and message are compared
        return e
    return None


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("padding_idx", [7, -7, 5, -6])
@pytest.mark.parametrize("two_d", [False, True])
def test_embedding_bag_padding_idx_out_of_range_refused(padding_idx, mode, two_d):
    inp, off = ([[0, 1], [2, 3]], None) if two_d else ([0, 1, 2, 3, 4], [0, 2])
    want = _error(lambda: _bag(torch, inp, off, mode=mode, padding_idx=padding_idx))
    got = _error(lambda: _bag(mg, inp, off, mode=mode, padding_idx=padding_idx))
    assert isinstance(want, RuntimeError) and isinstance(got, RuntimeError)
    assert str(want) in str(got) and str(got).startswith("embedding_bag:")


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("padding_idx", [-5, -1, 0, 4, np.int64(2)])
def test_embedding_bag_padding_idx_in_range_as_pytorch(padding_idx, mode):
    inp, off = [0, 1, 2, 3, 4, 4], [0, 2, 2]
    want = _bag(torch, inp, off, mode=mode, padding_idx=padding_idx)
    got = _bag(mg, inp, off, mode=mode, padding_idx=padding_idx)
    _close(got, want, 1e-6)


def test_embedding_bag_padding_idx_as_0d_tensor_and_wrong_types():
    inp, off = [0, 1, 2, 3, 4], [0, 2]
    want = _bag(torch, inp, off, padding_idx=torch.tensor(2))
    _close(_bag(mg, inp, off, padding_idx=mg.tensor(2)), want, 1e-6)
    for bad in (2.0, True):
        assert isinstance(_error(lambda b=bad: _bag(torch, inp, off, padding_idx=b)), TypeError)
        with pytest.raises(TypeError, match="padding_idx"):
            _bag(mg, inp, off, padding_idx=bad)


def test_embedding_bag_padding_idx_with_an_empty_weight():
    want = _error(lambda: _bag(torch, [], [0], weight_rows=0, padding_idx=0))
    got = _error(lambda: _bag(mg, np.zeros(0, np.int64), [0], weight_rows=0, padding_idx=0))
    assert isinstance(got, RuntimeError) and str(want) in str(got)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("inp", [[0, 1, 2, 3, 4], []])
def test_embedding_bag_include_last_offset_with_empty_offsets_refused(inp, mode):
    inp = np.asarray(inp, dtype=np.int64)
    want = _error(lambda: _bag(torch, inp, [], mode=mode, include_last_offset=True))
    got = _error(lambda: _bag(mg, inp, [], mode=mode, include_last_offset=True))
    assert isinstance(want, RuntimeError) and isinstance(got, RuntimeError)
    assert str(want) in str(got) and str(got).startswith("embedding_bag:")


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_one_offset_or_no_last_offset_still_run(mode):
    # one offset with include_last_offset is no bag; empty offsets without it, no bags.
    # (PyTorch gives (0, 3) here too, but its max mode can crash on these: not called.)
    empty = np.zeros(0, dtype=np.int64)
    for inp, off, ilo in ((empty, [0], True), ([0, 1], [0], True), ([0, 1], [], False)):
        got = _bag(mg, np.asarray(inp), off, mode=mode, include_last_offset=ilo)
        assert tuple(got.shape) == (0, 3)


def test_embedding_bag_checks_padding_idx_before_include_last_offset():
    got = _error(lambda: _bag(mg, [0, 1], [], include_last_offset=True, padding_idx=9))
    assert "padding_idx must be within" in str(got)


# ---------------------------------------------------------------------- unpad_sequence
def _padded(batch_first):
    x = np.arange(24.0).reshape(2, 3, 4)  # (B, T, F)
    return x if batch_first else np.ascontiguousarray(x.transpose(1, 0, 2))


@pytest.mark.parametrize("batch_first", [True, False])
def test_unpad_sequence_returns_copies(batch_first):
    x = _padded(batch_first)
    tp, mp = torch.tensor(x), mg.tensor(x)
    tu = trnn.unpad_sequence(tp if batch_first else tp.clone(), torch.tensor([3, 2]), batch_first)
    mu = mrnn.unpad_sequence(mp, mg.tensor([3, 2]), batch_first)
    for g, w in zip(mu, tu, strict=True):
        _close(g, w, 0)
    mu[0].zero_()
    mu[1].fill_(-1.0)
    np.testing.assert_array_equal(mp.numpy(), x)
    if batch_first:
        tu[0].zero_()
        np.testing.assert_array_equal(tp.numpy(), x)


@pytest.mark.parametrize("batch_first", [True, False])
def test_unpad_sequence_gradient_as_pytorch(batch_first):
    x = _padded(batch_first)
    tx, mx = torch.tensor(x, requires_grad=True), mg.tensor(x, requires_grad=True)
    # PyTorch's transposes its argument in place: give it a non-leaf
    tu = trnn.unpad_sequence(tx * 1.0, torch.tensor([3, 1]), batch_first)
    mu = mrnn.unpad_sequence(mx, mg.tensor([3, 1]), batch_first)
    sum((s * (i + 2.0)).sum() for i, s in enumerate(tu)).backward()
    sum((s * (i + 2.0)).sum() for i, s in enumerate(mu)).backward()
    _close(mx.grad, tx.grad, 0)


def test_unpad_sequence_leaves_the_callers_tensor_as_it_was():
    # PyTorch 2.13 transposes a (T, B, *) argument in place (and refuses a leaf that
    # requires grad); minigrad's leaves it alone, on purpose
    x = _padded(False)
    mp = mg.tensor(x, requires_grad=True)
    mu = mrnn.unpad_sequence(mp, mg.tensor([3, 2]))
    assert tuple(mp.shape) == (3, 2, 4)
    tu = trnn.unpad_sequence(torch.tensor(x), torch.tensor([3, 2]))
    for g, w in zip(mu, tu, strict=True):
        _close(g, w, 0)


@pytest.mark.parametrize("lengths", [[3], [3, 1, 1], []])
def test_unpad_sequence_refuses_a_length_count_other_than_the_batch(lengths):
    x = _padded(True)
    lt = torch.tensor(lengths, dtype=torch.int64)
    with pytest.raises(ValueError):
        trnn.unpad_sequence(torch.tensor(x), lt, batch_first=True)
    with pytest.raises(ValueError, match=f"got {len(lengths)} lengths for a batch of 2"):
        mrnn.unpad_sequence(mg.tensor(x), mg.tensor(np.asarray(lengths, np.int64)), True)


@pytest.mark.parametrize(
    "lengths",
    [[0, 3], [5, 2], [-1, 1], [2.5, 0.5], [NAN, 1.0]],
)
def test_unpad_sequence_odd_lengths_as_pytorchs_mask(lengths):
    x = _padded(True)
    dtype = np.float64 if any(isinstance(n, float) for n in lengths) else np.int64
    tu = trnn.unpad_sequence(torch.tensor(x), torch.tensor(np.asarray(lengths, dtype)), True)
    mu = mrnn.unpad_sequence(mg.tensor(x), mg.tensor(np.asarray(lengths, dtype)), True)
    for g, w in zip(mu, tu, strict=True):
        _close(g, w, 0)


# ---------------------------------------------------------------------- pad_sequence
@pytest.mark.parametrize(
    "shapes",
    [[(2, 3), (1,)], [(2, 3), (2, 1)], [(2, 2), (2,)], [(2, 1), (2, 3)], [(2, 3), (1, 1, 3)]],
)
def test_pad_sequence_refuses_differing_trailing_dims(shapes):
    # PyTorch's copy broadcasts some of these into the first's block, by their order (and
    # spreads a 1-d sequence's steps over the features); its documentation assumes equal
    # trailing dims, and minigrad refuses the rest by name
    seqs = [mg.ones(*s) for s in shapes]
    with pytest.raises(RuntimeError, match=r"pad_sequence: sequence 1 of shape .* trailing"):
        mrnn.pad_sequence(seqs)


@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("side", ["right", "left"])
def test_pad_sequence_equal_trailing_dims_still_as_pytorch(batch_first, side):
    arrays = [np.arange(6.0).reshape(3, 2), np.ones((1, 2)), np.zeros((0, 2))]
    want = trnn.pad_sequence(
        [torch.tensor(a) for a in arrays], batch_first, -1.0, padding_side=side
    )
    got = mrnn.pad_sequence([mg.tensor(a) for a in arrays], batch_first, -1.0, padding_side=side)
    _close(got, want, 0)
