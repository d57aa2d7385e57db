"""Attention and transformer layers (minigrad.nn.attention, minigrad.nn.transformer) against
PyTorch: a torch state_dict copied across must give the same outputs, attention weights and
gradients of every parameter and input, in float64 (tight) and float32."""

import math
import zlib

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F

torch = pytest.importorskip("torch")

# both libraries warn, as they should, when a bool key padding mask meets a float attn_mask
# (and PyTorch's encoder about its nested-tensor fast path, which minigrad does not have)
pytestmark = [
    pytest.mark.filterwarnings("ignore:Support for mismatched:UserWarning"),
    pytest.mark.filterwarnings("ignore:enable_nested_tensor is True:UserWarning"),
]
TF = torch.nn.functional

TOL = {"float64": dict(rtol=1e-9, atol=1e-11), "float32": dict(rtol=2e-4, atol=2e-5)}
DTYPES = ["float64", "float32"]


def rng(seed=0):
    return np.random.default_rng(seed)


def copy_into(m, t):
    """Load torch module t's state_dict into minigrad module m (same keys, same order)."""
    state = t.state_dict()
    assert list(m.state_dict()) == list(state)
    m.load_state_dict({k: v.detach().numpy() for k, v in state.items()})


def leaves(arrays, dtype):
    """Each array as a minigrad leaf and a torch leaf requiring grad; None stays None, bool
    arrays become masks that need no grad."""
    out = []
    for a in arrays:
        if a is None:
            out.append((None, None))
        elif isinstance(a, np.ndarray) and a.dtype == np.bool_:
            out.append((mg.tensor(a), torch.tensor(a)))
        else:
            a = np.asarray(a, dtype=dtype)
            out.append((mg.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)))
    return out


def close(got, want, dtype):
    want = want.detach().numpy()
    got = got.detach().numpy()
    assert got.dtype == want.dtype and got.shape == want.shape, (got.shape, want.shape)
    np.testing.assert_allclose(got, want, equal_nan=True, **TOL[dtype])


def flat(result):
    if isinstance(result, tuple | list):
        return [t for r in result for t in flat(r)]
    return [] if result is None else [result]


def check_against_torch(m, t, arrays, dtype, call, seed=1):
    """Run both (call(module, args)), compare every result, backprop one random weighting
    of the results and compare the gradients of every parameter and every input."""
    ins = leaves(arrays, dtype)
    got = flat(call(m, [a for a, _ in ins]))
    want = flat(call(t, [b for _, b in ins]))
    assert len(got) == len(want)
    r = rng(seed)
    loss_m, loss_t = 0, 0
    for g, w in zip(got, want, strict=True):
        close(g, w, dtype)
        weight = r.standard_normal(tuple(w.shape)).astype(dtype)
        finite = np.isfinite(w.detach().numpy())
        weight = np.where(finite, weight, 0)
        loss_m = loss_m + (mg.where(finite, g, 0) * mg.tensor(weight)).sum()
        loss_t = loss_t + (torch.where(torch.tensor(finite), w, 0) * torch.tensor(weight)).sum()
    loss_m.backward()
    loss_t.backward()
    if m is not None:
        named_t = dict(t.named_parameters())
        assert [n for n, _ in m.named_parameters()] == list(named_t)
        for name, p in m.named_parameters():
            close(p.grad, named_t[name].grad, dtype)
    for a, b in ins:
        if b is not None and b.requires_grad:
            if b.grad is None:  # an input the call did not use
                assert a.grad is None
            else:
                close(a.grad, b.grad, dtype)
    return got, want


# ---------------------------------------------------------------------- scaled dot product
SDPA_CASES = {
    "plain": dict(),
    "bool_mask_2d": dict(mask="bool2"),
    "bool_mask_4d": dict(mask="bool4"),
    "float_mask": dict(mask="float"),
    "causal": dict(is_causal=True),
    "scale": dict(scale=0.3),
    "negative_scale": dict(scale=-0.7),
    "gqa": dict(gqa=True),
    "three_d": dict(shape="3d"),
    "value_dim": dict(ev=3),
}


def sdpa_arrays(case, dtype, r):
    n, h, length, s, e = 2, 4, 3, 5, 6
    hk = 2 if case.get("gqa") else h
    ev = case.get("ev", e)
    q = r.standard_normal((n, h, length, e))
    k = r.standard_normal((n, hk, s, e))
    v = r.standard_normal((n, hk, s, ev))
    if case.get("shape") == "3d":
        q, k, v = q[0], k[0], v[0]
    mask = None
    if case.get("mask") == "bool2":
        mask = r.random((length, s)) > 0.3
        mask[:, 0] = True
    elif case.get("mask") == "bool4":
        mask = r.random((n, 1, length, s)) > 0.3
        mask[..., 0] = True
    elif case.get("mask") == "float":
        mask = r.standard_normal((n, h, length, s))
        mask[0, 0, 0, 1] = -np.inf
    return q, k, v, mask


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(SDPA_CASES))
def test_sdpa_matches_torch(name, dtype):
    case = SDPA_CASES[name]
    q, k, v, mask = sdpa_arrays(case, dtype, rng(zlib.crc32(name.encode())))
    kw = dict(
        is_causal=case.get("is_causal", False),
        scale=case.get("scale"),
        enable_gqa=case.get("gqa", False),
    )

    def call(_, args):
        lib = F if isinstance(args[0], mg.Tensor) else TF
        return lib.scaled_dot_product_attention(*args, **kw)

    check_against_torch(None, None, [q, k, v, mask], dtype, call)


@pytest.mark.parametrize("dtype", DTYPES)
def test_sdpa_fully_masked_row_gives_zeros(dtype):
    """PyTorch's math and CPU kernels give 0 (not NaN) for a row with every key masked, and
    zero gradients; minigrad too, for bool and for -inf float masks."""
    r = rng(3)
    q, k, v = (r.standard_normal((2, 3, s, 4)) for s in (4, 5, 5))
    bool_mask = np.ones((4, 5), dtype=bool)
    bool_mask[1] = False
    float_mask = np.where(bool_mask, 0.0, -np.inf).astype(dtype)
    for mask in (bool_mask, float_mask):

        def call(_, args, mask=mask):
            lib, T = (F, mg.tensor) if isinstance(args[0], mg.Tensor) else (TF, torch.tensor)
            return lib.scaled_dot_product_attention(*args, attn_mask=T(mask))

        got, _ = check_against_torch(None, None, [q, k, v], dtype, call)
        assert np.all(got[0].detach().numpy()[:, :, 1] == 0)


def test_sdpa_dropout_one_is_zero_and_errors():
    q = mg.tensor(rng().standard_normal((2, 3, 4)), requires_grad=True)
    out = F.scaled_dot_product_attention(q, q, q, dropout_p=1.0)
    assert np.all(out.detach().numpy() == 0)
    with pytest.raises(RuntimeError, match="Explicit attn_mask should not be set"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=mg.ones(3, 3), is_causal=True)
    with pytest.raises(RuntimeError, match="same dtype"):
        F.scaled_dot_product_attention(q, q.float(), q)
    with pytest.raises(RuntimeError, match="dropout probability"):
        F.scaled_dot_product_attention(q, q, q, dropout_p=1.5)
    with pytest.raises(RuntimeError, match="at least 2 dimensional"):
        F.scaled_dot_product_attention(q[0, 0], q[0], q[0])
    with pytest.raises(RuntimeError, match="bool or float"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=mg.tensor(np.ones((3, 3), np.int64)))
    k = mg.tensor(rng().standard_normal((3, 3, 4)))  # 3 key heads for 2 query heads
    with pytest.raises(RuntimeError, match="must divide"):
        F.scaled_dot_product_attention(q, k, k, enable_gqa=True)


def test_sdpa_gradcheck_and_gradgradcheck():
    r = rng(5)
    q, k, v = (mg.tensor(r.standard_normal((1, 2, n, 3)), requires_grad=True) for n in (2, 3, 3))
    mask = mg.tensor(np.array([[True, False, True], [False, False, False]]))

    def f(q, k, v):
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=0.8)

    mg.gradcheck(f, [q, k, v])
    mg.gradgradcheck(f, [q, k, v])
    mg.gradgradcheck(
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True), [q, k, v]
    )


# ---------------------------------------------------------------------- MultiheadAttention
def mha_pair(dtype, *args, **kwargs):
    t = torch.nn.MultiheadAttention(*args, **kwargs, dtype=getattr(torch, dtype))
    m = nn.MultiheadAttention(*args, **kwargs, dtype=dtype)
    copy_into(m, t)
    return m, t


def mha_call(self_attn, **kw):
    """call(module, [q, k, v, key_padding_mask, attn_mask]); self-attention passes q alone
    (query is key is value), which picks the packed projection."""

    def call(mod, args):
        q, k, v, kpm, am = args
        if self_attn:
            k = v = q
        return mod(q, k, v, key_padding_mask=kpm, attn_mask=am, **kw)

    return call


def mha_arrays(r, *, tl=4, s=5, n=3, e=8, kdim=None, vdim=None, batch_first=False, batched=True):
    def seq(length, dim):
        if not batched:
            return r.standard_normal((length, dim))
        shape = (n, length, dim) if batch_first else (length, n, dim)
        return r.standard_normal(shape)

    return seq(tl, e), seq(s, kdim or e), seq(s, vdim or e)


MHA_CASES = {
    "self": dict(self_attn=True),
    "cross": dict(),
    "batch_first": dict(mod=dict(batch_first=True), self_attn=True),
    "batch_first_cross": dict(mod=dict(batch_first=True)),
    "unbatched": dict(batched=False, self_attn=True),
    "kdim_vdim": dict(mod=dict(kdim=5, vdim=3)),
    "bias_kv": dict(mod=dict(add_bias_kv=True)),
    "zero_attn": dict(mod=dict(add_zero_attn=True)),
    "bias_kv_zero_attn_masks": dict(
        mod=dict(add_bias_kv=True, add_zero_attn=True), masks=("bool2", "kpm_bool")
    ),
    "no_bias": dict(mod=dict(bias=False), self_attn=True),
    "per_head_weights": dict(call=dict(average_attn_weights=False)),
    "no_weights": dict(call=dict(need_weights=False), self_attn=True),
    "bool_attn_mask": dict(masks=("bool2",)),
    "float_attn_mask": dict(masks=("float2",)),
    "attn_mask_3d": dict(masks=("float3",)),
    "attn_mask_3d_no_weights": dict(masks=("bool3",), call=dict(need_weights=False)),
    "key_padding_bool": dict(masks=("kpm_bool",)),
    "key_padding_float": dict(masks=("kpm_float",)),
    "both_masks_no_weights": dict(masks=("bool2", "kpm_bool"), call=dict(need_weights=False)),
    "causal_no_weights": dict(masks=("causal",), call=dict(is_causal=True, need_weights=False)),
    "causal_weights": dict(masks=("causal",), call=dict(is_causal=True)),
    "unbatched_masks": dict(batched=False, masks=("float3", "kpm_bool")),
    "batch_first_masks_kdim": dict(
        mod=dict(batch_first=True, kdim=6, vdim=6), masks=("bool3", "kpm_bool")
    ),
}


def mha_masks(kinds, r, *, tl, s, n, heads, batched):
    kpm = am = None
    nb = n if batched else 1
    for kind in kinds:
        if kind == "bool2":
            am = r.random((tl, s)) < 0.3
            am[:, 0] = False
        elif kind == "float2":
            am = r.standard_normal((tl, s))
        elif kind in ("bool3", "float3"):
            am = r.random((nb * heads, tl, s)) < 0.3 if kind == "bool3" else None
            if am is None:
                am = r.standard_normal((nb * heads, tl, s))
            else:
                am[..., 0] = False
        elif kind == "causal":
            am = np.triu(np.full((tl, s), -np.inf), 1)
        elif kind == "kpm_bool":
            kpm = np.zeros((nb, s), dtype=bool)
            kpm[:, -1] = True
            kpm[0, 1] = True
        elif kind == "kpm_float":
            kpm = r.standard_normal((nb, s))
    if not batched and kpm is not None:
        kpm = kpm[0]
    return kpm, am


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(MHA_CASES))
def test_mha_matches_torch(name, dtype):
    case = MHA_CASES[name]
    mod = case.get("mod", {})
    e, heads = 8, 2
    r = rng(zlib.crc32(name.encode()))
    batched = case.get("batched", True)
    self_attn = case.get("self_attn", False)
    tl, s = (4, 4) if self_attn else (4, 5)
    m, t = mha_pair(dtype, e, heads, **mod)
    q, k, v = mha_arrays(
        r,
        tl=tl,
        s=s,
        kdim=mod.get("kdim"),
        vdim=mod.get("vdim"),
        batch_first=mod.get("batch_first", False),
        batched=batched,
    )
    kpm, am = mha_masks(case.get("masks", ()), r, tl=tl, s=s, n=3, heads=heads, batched=batched)
    arrays = [q, k, v, kpm, am]
    check_against_torch(m, t, arrays, dtype, mha_call(self_attn, **case.get("call", {})))


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_fully_masked_key_padding(need_weights):
    """As PyTorch: the weights path's plain softmax gives NaN for a batch entry whose keys
    are all padding; the need_weights=False path (scaled_dot_product_attention) gives 0."""
    m, t = mha_pair("float64", 8, 2)
    x = rng(7).standard_normal((4, 2, 8))
    kpm = np.zeros((2, 4), dtype=bool)
    kpm[0] = True
    got = m(*(mg.tensor(x),) * 3, key_padding_mask=mg.tensor(kpm), need_weights=need_weights)
    want = t(*(torch.tensor(x),) * 3, key_padding_mask=torch.tensor(kpm), need_weights=need_weights)
    close(got[0], want[0], "float64")
    assert np.isnan(got[0].detach().numpy()[:, 0]).all() == need_weights


@pytest.mark.parametrize("dtype", DTYPES)
def test_mha_eval_ignores_dropout_and_training_p1(dtype):
    m, t = mha_pair(dtype, 8, 4, dropout=0.3)
    m.eval(), t.eval()
    x = rng(2).standard_normal((5, 2, 8))
    call = mha_call(True)
    check_against_torch(m, t, [x, None, None, None, None], dtype, call)
    for need_weights in (True, False):
        m, t = mha_pair(dtype, 8, 4, dropout=1.0)
        check_against_torch(
            m, t, [x, None, None, None, None], dtype, mha_call(True, need_weights=need_weights)
        )


def test_mha_parameters_init_repr_and_errors():
    mg.manual_seed(0)
    m = nn.MultiheadAttention(8, 2, add_bias_kv=True)
    t = torch.nn.MultiheadAttention(8, 2, add_bias_kv=True)
    assert repr(m) == repr(t)
    assert list(m.state_dict()) == list(t.state_dict())
    assert np.all(m.in_proj_bias.detach().numpy() == 0)
    assert np.all(m.out_proj.bias.detach().numpy() == 0)
    bound = math.sqrt(6 / (8 + 24))
    assert np.abs(m.in_proj_weight.detach().numpy()).max() <= bound
    assert isinstance(m.out_proj, nn.Linear)
    mg.manual_seed(0)
    again = nn.MultiheadAttention(8, 2, add_bias_kv=True)
    np.testing.assert_array_equal(
        again.in_proj_weight.detach().numpy(), m.in_proj_weight.detach().numpy()
    )
    sep = nn.MultiheadAttention(8, 2, kdim=3, vdim=5, bias=False)
    tsep = torch.nn.MultiheadAttention(8, 2, kdim=3, vdim=5, bias=False)
    assert repr(sep) == repr(tsep)
    assert [n for n, _ in sep.named_parameters()] == [n for n, _ in tsep.named_parameters()]
    with pytest.raises(AssertionError, match="divisible"):
        nn.MultiheadAttention(8, 3)
    with pytest.raises(ValueError):
        nn.MultiheadAttention(0, 2)
    x = mg.tensor(rng().standard_normal((3, 2, 8)))
    with pytest.raises(RuntimeError, match="Need attn_mask"):
        m(x, x, x, is_causal=True)
    with pytest.raises(AssertionError, match="only bool and floating"):
        m(x, x, x, attn_mask=mg.tensor(np.zeros((3, 3), np.int64)))
    with pytest.raises(RuntimeError, match="2D attn_mask"):
        m(x, x, x, attn_mask=mg.zeros(3, 4))


def test_mha_gradcheck_and_gradgradcheck():
    mg.manual_seed(0)
    m = nn.MultiheadAttention(4, 2, add_bias_kv=True, dtype="float64")
    r = rng(9)
    q = mg.tensor(r.standard_normal((2, 1, 4)), requires_grad=True)
    kv = mg.tensor(r.standard_normal((3, 1, 4)), requires_grad=True)
    kpm = mg.tensor(np.array([[False, True, False]]))

    def f(q, kv, w):
        out, weights = F.multi_head_attention_forward(
            q, kv, kv, 4, 2, w, m.in_proj_bias, m.bias_k, m.bias_v, False, 0.0,
            m.out_proj.weight, m.out_proj.bias, key_padding_mask=kpm,
        )  # fmt: skip
        return out, weights

    inputs = [q, kv, m.in_proj_weight]
    mg.gradcheck(f, inputs)
    mg.gradgradcheck(f, inputs)


# ---------------------------------------------------------------------- transformer layers
def pair(name, dtype, *args, **kwargs):
    t = getattr(torch.nn, name)(*args, **kwargs, dtype=getattr(torch, dtype))
    m = getattr(nn, name)(*args, **kwargs, dtype=dtype)
    copy_into(m, t)
    return m, t


LAYER_VARIANTS = [
    dict(),
    dict(norm_first=True, activation="gelu"),
    dict(batch_first=True, activation="gelu"),
    dict(batch_first=True, norm_first=True, bias=False),
]


def seq(r, length, batch, d, batch_first):
    return r.standard_normal((batch, length, d) if batch_first else (length, batch, d))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kw", LAYER_VARIANTS, ids=str)
def test_encoder_layer_and_stack(kw, dtype):
    d, heads, ff, length, batch = 8, 2, 12, 5, 3
    r = rng(11)
    m, t = pair("TransformerEncoderLayer", dtype, d, heads, ff, dropout=0.2, **kw)
    m.eval(), t.eval()
    src = seq(r, length, batch, d, kw.get("batch_first", False))
    causal = np.triu(np.full((length, length), -np.inf), 1)
    kpm = np.zeros((batch, length), dtype=bool)
    kpm[1, -2:] = True

    def call(mod, args):
        x, mask, pad = args
        return mod(x, src_mask=mask, src_key_padding_mask=pad)

    check_against_torch(m, t, [src, None, None], dtype, call)
    check_against_torch(m, t, [src, causal, kpm], dtype, call)
    check_against_torch(
        m, t, [src[:, 0] if not kw.get("batch_first") else src[0], causal, None], dtype, call
    )

    tl = torch.nn.TransformerEncoderLayer(
        d, heads, ff, dropout=0.0, **kw, dtype=getattr(torch, dtype)
    )
    tenc = torch.nn.TransformerEncoder(
        tl, 2, torch.nn.LayerNorm(d, dtype=getattr(torch, dtype)), enable_nested_tensor=False
    )
    menc = nn.TransformerEncoder(
        nn.TransformerEncoderLayer(d, heads, ff, dropout=0.0, **kw, dtype=dtype),
        2,
        nn.LayerNorm(d, dtype=dtype),
        enable_nested_tensor=False,
    )
    copy_into(menc, tenc)

    def call_stack(mod, args):
        x, mask, pad = args
        return mod(x, mask=mask, src_key_padding_mask=pad)

    check_against_torch(menc, tenc, [src, causal, kpm], dtype, call_stack)
    check_against_torch(menc, tenc, [src, causal, None], dtype, call_stack)  # detected causal


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kw", LAYER_VARIANTS, ids=str)
def test_decoder_layer_and_stack(kw, dtype):
    d, heads, ff, tl_, sl, batch = 8, 2, 12, 4, 6, 2
    r = rng(13)
    bf = kw.get("batch_first", False)
    tgt, mem = seq(r, tl_, batch, d, bf), seq(r, sl, batch, d, bf)
    tgt_mask = np.triu(np.ones((tl_, tl_), dtype=bool), 1)
    mem_kpm = np.zeros((batch, sl), dtype=bool)
    mem_kpm[0, -3:] = True
    m, t = pair("TransformerDecoderLayer", dtype, d, heads, ff, dropout=0.1, **kw)
    m.eval(), t.eval()

    def call(mod, args):
        x, memory, mask, pad = args
        return mod(x, memory, tgt_mask=mask, memory_key_padding_mask=pad)

    check_against_torch(m, t, [tgt, mem, tgt_mask, mem_kpm], dtype, call)
    tdt = getattr(torch, dtype)
    tdec = torch.nn.TransformerDecoder(
        torch.nn.TransformerDecoderLayer(d, heads, ff, dropout=0.0, **kw, dtype=tdt), 2
    )
    mdec = nn.TransformerDecoder(
        nn.TransformerDecoderLayer(d, heads, ff, dropout=0.0, **kw, dtype=dtype), 2
    )
    copy_into(mdec, tdec)
    check_against_torch(mdec, tdec, [tgt, mem, tgt_mask, mem_kpm], dtype, call)
    check_against_torch(mdec, tdec, [tgt, mem, None, None], dtype, call)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "kw", [dict(), dict(batch_first=True, norm_first=True, activation="gelu")], ids=str
)
def test_transformer_matches_torch(kw, dtype):
    d, heads = 8, 2
    t = torch.nn.Transformer(d, heads, 2, 1, 16, dropout=0.1, **kw, dtype=getattr(torch, dtype))
    m = nn.Transformer(d, heads, 2, 1, 16, dropout=0.1, **kw, dtype=dtype)
    copy_into(m, t)
    m.eval(), t.eval()
    r = rng(17)
    bf = kw.get("batch_first", False)
    src, tgt = seq(r, 5, 2, d, bf), seq(r, 4, 2, d, bf)
    tgt_mask = nn.Transformer.generate_square_subsequent_mask(4).numpy().astype(dtype)
    src_kpm = np.zeros((2, 5), dtype=bool)
    src_kpm[1, -1] = True

    def call(mod, args):
        s, tg, mask, pad = args
        return mod(s, tg, tgt_mask=mask, src_key_padding_mask=pad, memory_key_padding_mask=pad)

    check_against_torch(m, t, [src, tgt, tgt_mask, src_kpm], dtype, call)


def test_activation_callable_module_and_unbatched_transformer():
    d = 4
    t = torch.nn.TransformerEncoderLayer(
        d, 2, 6, dropout=0.0, activation=torch.nn.GELU(), dtype=torch.float64
    )
    m = nn.TransformerEncoderLayer(d, 2, 6, dropout=0.0, activation=nn.GELU(), dtype="float64")
    copy_into(m, t)
    assert [n for n, _ in m.named_modules()] == [n for n, _ in t.named_modules()]
    x = rng(19).standard_normal((3, d))
    check_against_torch(m, t, [x], "float64", lambda mod, a: mod(a[0]))
    m2 = nn.TransformerEncoderLayer(d, 2, 6, dropout=0.0, activation=lambda x: F.relu(x) * 2)
    assert m2.activation_relu_or_gelu == 0
    tt = torch.nn.Transformer(d, 2, 1, 1, 6, dropout=0.0, dtype=torch.float64)
    mt = nn.Transformer(d, 2, 1, 1, 6, dropout=0.0, dtype="float64")
    copy_into(mt, tt)
    r = rng(23)
    check_against_torch(
        mt,
        tt,
        [r.standard_normal((3, d)), r.standard_normal((2, d))],
        "float64",
        lambda mod, a: mod(*a),
    )


def test_generate_square_subsequent_mask_and_init():
    want = torch.nn.Transformer.generate_square_subsequent_mask(4)
    got = nn.Transformer.generate_square_subsequent_mask(4)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    assert nn.Transformer.generate_square_subsequent_mask(3, dtype="float64").dtype == np.float64
    mg.manual_seed(0)
    m = nn.Transformer(8, 2, 1, 1, 16)
    for name, p in m.named_parameters():
        a = p.detach().numpy()
        if a.ndim > 1:  # re-drawn xavier_uniform_
            bound = math.sqrt(6 / (a.shape[0] + a.shape[1]))
            assert np.abs(a).max() <= bound, name
    sd_t = torch.nn.Transformer(8, 2, 1, 1, 16).state_dict()
    assert list(m.state_dict()) == list(sd_t)
    with pytest.raises(RuntimeError, match="batch number"):
        m(mg.zeros(3, 2, 8), mg.zeros(3, 4, 8))
    with pytest.raises(RuntimeError, match="relu/gelu"):
        nn.TransformerEncoderLayer(8, 2, activation="tanh")


def test_layer_reprs_and_submodules_match_torch():
    """Same submodules, names, order and printout as PyTorch (LayerNorm with `bias=True`,
    ModuleList with repeated entries collapsed: '(0-1): 2 x ...')."""
    t = torch.nn.TransformerDecoderLayer(8, 2, 16)
    m = nn.TransformerDecoderLayer(8, 2, 16)
    assert repr(m) == repr(t)
    assert [(n, type(c).__name__) for n, c in m.named_modules()] == [
        (n, type(c).__name__) for n, c in t.named_modules()
    ]
    tt, mt = torch.nn.Transformer(8, 2, 2, 2, 16), nn.Transformer(8, 2, 2, 2, 16)
    assert [(n, type(c).__name__) for n, c in mt.named_modules()] == [
        (n, type(c).__name__) for n, c in tt.named_modules()
    ]
    assert repr(mt) == repr(tt)


def test_encoder_layer_double_backward():
    mg.manual_seed(0)
    m = nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, dtype="float64")
    x = mg.tensor(rng(29).standard_normal((3, 1, 4)), requires_grad=True)
    mask = nn.Transformer.generate_square_subsequent_mask(3, dtype="float64")
    mg.gradgradcheck(lambda x: m(x, src_mask=mask), [x])


def test_is_causal_hint_as_pytorch():
    """is_causal=True with a non-causal attn_mask: PyTorch applies the causal mask without
    need_weights (and no key padding mask), the given mask with need_weights."""
    m, t = mha_pair("float64", 8, 2)
    x = rng(31).standard_normal((4, 2, 8))
    am = rng(32).standard_normal((4, 4))
    for need_weights in (False, True):
        call = mha_call(True, is_causal=True, need_weights=need_weights)
        check_against_torch(m, t, [x, None, None, None, am], "float64", call)


def test_mismatched_mask_types_warn():
    m = nn.MultiheadAttention(4, 2)
    x = mg.zeros(3, 1, 4)
    kpm = mg.tensor(np.zeros((1, 3), dtype=bool))
    with pytest.warns(UserWarning, match="mismatched key_padding_mask and attn_mask"):
        m(x, x, x, key_padding_mask=kpm, attn_mask=mg.zeros(3, 3))


@pytest.mark.parametrize("dtype", DTYPES)
def test_layers_in_training_with_dropout_one(dtype):
    """Every dropout zeroes everything: deterministic, so comparable with PyTorch."""
    for name, extra in (("TransformerEncoderLayer", 0), ("TransformerDecoderLayer", 1)):
        m, t = pair(name, dtype, 8, 2, 12, dropout=1.0, norm_first=bool(extra))
        r = rng(37)
        arrays = [r.standard_normal((3, 2, 8)) for _ in range(1 + extra)]
        check_against_torch(m, t, arrays, dtype, lambda mod, a: mod(*a))
