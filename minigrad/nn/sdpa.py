"""Attention's functions, as in PyTorch: `F.scaled_dot_product_attention` and
`F.multi_head_attention_forward` (`nn.MultiheadAttention` in minigrad/nn/attention.py).

Everything is composed of existing ops (matmul, softmax, masked_fill, dropout, linear,
reshape, transpose), so autograd and double backward come free; heads and batch are dims of
one batched matmul, never a Python loop. The numbers are those of PyTorch's math path;
PyTorch's fused kernels and its fast path (need_weights=False in eval, nested tensors)
compute the same function.

Two conventions for boolean masks, as in PyTorch: `scaled_dot_product_attention` keeps the
positions where the mask is True, `MultiheadAttention` (attn_mask, key_padding_mask) drops
them. Both turn a bool mask (and is_causal) into a float one, 0 or -inf, and every float
mask is added to the scores, so a NaN score at a dropped position stays NaN, as PyTorch's.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from .. import ops
from ..backend import get_array_module
from ..errors import DtypeError, ShapeError
from ..tensor import Tensor, zeros
from . import functional as F  # functional imports this module: F is read at call time

__all__ = ["multi_head_attention_forward", "scaled_dot_product_attention"]


# ---------------------------------------------------------------------- masks
def _as_tensor(mask: Any) -> Tensor:
    return mask if isinstance(mask, Tensor) else Tensor(mask)


def _none_or_dtype(input: Tensor | None) -> Any:
    if input is None:
        return None
    if isinstance(input, Tensor):
        return input.dtype
    raise RuntimeError("input to _none_or_dtype() must be None or a Tensor")


def _canonical_mask(
    mask: Any,
    mask_name: str,
    other_type: Any,
    other_name: str,
    target_type: Any,
    check_other: bool = True,
) -> Tensor | None:
    """PyTorch's: a bool mask (True = drop) becomes an additive float mask of target_type
    (-inf where True, 0 elsewhere); a float mask is returned as it is. A mask that is not a
    Tensor (a NumPy array, a list) is a TypeError, as PyTorch's `is_floating_point` here."""
    if mask is None:
        return None
    if not isinstance(mask, Tensor):
        raise TypeError(f"{mask_name} must be a Tensor, not {type(mask).__name__}")
    kind = mask.dtype.kind
    if kind not in "bf":
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    if check_other and other_type is not None and mask.dtype != other_type:
        warnings.warn(
            f"Support for mismatched {mask_name} and {other_name} is deprecated. "
            "Use same type for both instead.",
            stacklevel=3,
        )
    if kind == "b":
        xp = get_array_module(mask._data)
        return Tensor._make(xp.where(mask._data, -xp.inf, 0.0).astype(target_type), False)
    return mask


def _safe_softmax(scores: Tensor) -> Tensor:
    """softmax over the last dim, with rows whose scores are all -inf (fully masked) set to
    0 instead of NaN, as PyTorch's `_safe_softmax`. Those rows are zeroed before the softmax
    too, so no NaN reaches the gradient."""
    xp = get_array_module(scores._data)
    dead = xp.all(scores._data == -xp.inf, axis=-1, keepdims=True)
    if not dead.any():
        return ops.softmax(scores, -1)
    return ops.masked_fill(ops.softmax(ops.masked_fill(scores, dead, 0.0), -1), dead, 0.0)


# ---------------------------------------------------------------------- scaled dot product
def _check_sdpa(query: Tensor, key: Tensor, value: Tensor, attn_mask: Any, p: float) -> None:
    """PyTorch's argument checks (sdp_utils and the math path)."""
    if min(query.ndim, key.ndim, value.ndim) < 2:
        raise RuntimeError(
            "Expected query, key, and value to all be at least 2 dimensional, but got "
            f"query.dim: {query.ndim} key.dim: {key.ndim} and value.dim: {value.ndim} instead."
        )
    if not query.dtype == key.dtype == value.dtype:
        raise RuntimeError(
            "Expected query, key, and value to have the same dtype, but got query.dtype: "
            f"{query.dtype} key.dtype: {key.dtype} and value.dtype: {value.dtype} instead."
        )
    if query.dtype.kind != "f":
        raise RuntimeError(
            f"scaled_dot_product_attention: expected float inputs, got {query.dtype}"
        )
    if attn_mask is not None and attn_mask.dtype.kind not in "bf":
        raise RuntimeError(
            "Expected attn_mask dtype to be bool or float or to match query dtype, but got "
            f"attn_mask.dtype: {attn_mask.dtype} and  query.dtype: {query.dtype} instead."
        )
    if not 0.0 <= p <= 1.0:
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {p}")


def _expand_groups(query: Tensor, key: Tensor, value: Tensor) -> tuple[Tensor, Tensor]:
    """Grouped-query attention: each of the Hk key/value heads serves Hq / Hk query heads
    (dim -3), as PyTorch's repeat_interleave."""
    hq, hk, hv = query.shape[-3], key.shape[-3], value.shape[-3]
    if hq == hk == hv:
        return key, value
    if hq % hk or hq % hv:
        raise RuntimeError(
            "Number of heads in key and value must divide the number of heads in query, got "
            f"{hk} and {hv} key and value heads for {hq} query heads"
        )
    return ops.repeat_interleave(key, hq // hk, -3), ops.repeat_interleave(value, hq // hv, -3)


def _check_mask_fits(attn_mask: Tensor, scores: Tensor) -> None:
    """PyTorch adds the mask to the scores (..., L, S) in place: it may broadcast to them but
    not grow them (a mask with more batch dims than q and k would enlarge the output)."""
    try:
        shape = np.broadcast_shapes(attn_mask.shape, scores.shape)
    except ValueError:
        shape = None
    if shape != tuple(scores.shape):
        raise ShapeError(
            f"scaled_dot_product_attention: attn_mask of shape {list(attn_mask.shape)} does "
            f"not broadcast to the attention scores' shape {list(scores.shape)}"
        )


def _additive(keep: Any, scores: Tensor) -> Tensor:
    """A bool mask (True = attend) as PyTorch's math path applies it: added to the scores
    as 0 / -inf, not filled in. A NaN or +inf score at a dropped position so stays NaN
    (NaN + -inf) and reaches the output, as in PyTorch, instead of being hidden in the
    forward while its 0 * NaN still turns the gradient to NaN."""
    xp = get_array_module(keep)
    return Tensor._make(xp.where(keep, 0.0, -xp.inf).astype(scores.dtype), False)


def _sdpa(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Tensor | None,
    dropout_p: float,
    is_causal: bool,
    scale: float | None,
    enable_gqa: bool,
) -> tuple[Tensor, Tensor]:
    """PyTorch's math path: (output, attention weights after dropout)."""
    query, key, value = (_as_tensor(t) for t in (query, key, value))
    if attn_mask is not None:
        attn_mask = _as_tensor(attn_mask)
    _check_sdpa(query, key, value, attn_mask, dropout_p)
    if is_causal and attn_mask is not None:
        raise RuntimeError(
            "_scaled_dot_product_attention: Explicit attn_mask should not be set when "
            "is_causal=True"
        )
    if enable_gqa:
        if min(query.ndim, key.ndim, value.ndim) < 3:  # PyTorch reads the heads at dim -3
            raise IndexError(
                "scaled_dot_product_attention: enable_gqa needs query, key and value of at "
                f"least 3 dims (heads at dim -3), got {query.ndim}, {key.ndim} and {value.ndim}"
            )
        key, value = _expand_groups(query, key, value)
    head_dim = query.shape[-1]
    if scale is not None:
        s = float(scale)
    else:  # E = 0: PyTorch's 1 / sqrt(0) = inf meets empty q and k; the scores are all 0
        s = 1.0 / math.sqrt(head_dim) if head_dim else math.inf
    dtype = query.dtype
    if dtype == np.float16:  # as PyTorch's math path: float32 throughout, rounded once
        query, key, value = (ops.cast(t, np.float32) for t in (query, key, value))
    # both q and k take sqrt(|scale|), as PyTorch's, for the range of the scores
    root = math.sqrt(abs(s))
    scores = ops.matmul(query * (-root if s < 0 else root), ops.transpose(key, -2, -1) * root)
    if attn_mask is not None:
        _check_mask_fits(attn_mask, scores)
    if is_causal:  # top-left aligned: query i sees keys 0..i
        xp = get_array_module(scores._data)
        scores = scores + _additive(xp.tri(query.shape[-2], key.shape[-2], dtype=bool), scores)
    elif attn_mask is not None and attn_mask.dtype == np.bool_:
        scores = scores + _additive(attn_mask._data, scores)
    elif attn_mask is not None:
        scores = scores + ops.cast(attn_mask, scores.dtype)  # in place in PyTorch: q's dtype
    attn = _safe_softmax(scores)
    if dropout_p > 0.0:
        attn = F.dropout(attn, dropout_p, True)
    return ops.cast(ops.matmul(attn, value), dtype), ops.cast(attn, dtype)


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Tensor | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
) -> Tensor:
    """softmax(q k^T * scale + mask) v, as torch.nn.functional.scaled_dot_product_attention.

    query (..., L, E), key (..., S, E), value (..., S, Ev) -> (..., L, Ev); the leading dims
    broadcast. scale defaults to 1 / sqrt(E). attn_mask broadcasts to (..., L, S): a bool
    mask keeps the positions where it is True, a float mask is added to the scores.
    is_causal masks with the lower triangle of (L, S) and excludes attn_mask. dropout_p
    drops attention weights always (pass 0 in eval). enable_gqa lets key and value have
    fewer heads (dim -3) than query, each shared by a group of query heads.

    A row with every key masked gives zeros (and zero gradients), as PyTorch's math and
    CPU kernels (`_safe_softmax`), not NaN. As PyTorch's, a float mask has the query's
    dtype or float32."""
    if attn_mask is not None:
        mask, q = _as_tensor(attn_mask), _as_tensor(query)
        if mask.dtype != np.bool_ and mask.dtype not in (np.float32, q.dtype):
            raise DtypeError(
                "Expected attn_mask dtype to be bool or float or to match query dtype, got "
                f"{mask.dtype.name} for a {q.dtype.name} query"
            )
    return _sdpa(query, key, value, attn_mask, dropout_p, is_causal, scale, enable_gqa)[0]


# ---------------------------------------------------------------------- multi-head
def _mha_shape_check(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    key_padding_mask: Tensor | None,
    attn_mask: Tensor | None,
    num_heads: int,
) -> bool:
    """PyTorch's checks of the input dims; True for batched (3-D) inputs."""
    if query.ndim == 3:
        if key.ndim != 3 or value.ndim != 3:
            raise AssertionError(
                "For batched (3-D) `query`, expected `key` and `value` to be 3-D but found "
                f"{key.ndim}-D and {value.ndim}-D tensors respectively"
            )
        if key_padding_mask is not None and key_padding_mask.ndim != 2:
            raise AssertionError(
                "For batched (3-D) `query`, expected `key_padding_mask` to be `None` or 2-D "
                f"but found {key_padding_mask.ndim}-D tensor instead"
            )
        if attn_mask is not None and attn_mask.ndim not in (2, 3):
            raise AssertionError(
                "For batched (3-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D "
                f"but found {attn_mask.ndim}-D tensor instead"
            )
        return True
    if query.ndim == 2:
        if key.ndim != 2 or value.ndim != 2:
            raise AssertionError(
                "For unbatched (2-D) `query`, expected `key` and `value` to be 2-D but found "
                f"{key.ndim}-D and {value.ndim}-D tensors respectively"
            )
        if key_padding_mask is not None and key_padding_mask.ndim != 1:
            raise AssertionError(
                "For unbatched (2-D) `query`, expected `key_padding_mask` to be `None` or 1-D "
                f"but found {key_padding_mask.ndim}-D tensor instead"
            )
        if attn_mask is not None:
            if attn_mask.ndim not in (2, 3):
                raise AssertionError(
                    "For unbatched (2-D) `query`, expected `attn_mask` to be `None`, 2-D or "
                    f"3-D but found {attn_mask.ndim}-D tensor instead"
                )
            expected = (num_heads, query.shape[0], key.shape[0])
            if attn_mask.ndim == 3 and tuple(attn_mask.shape) != expected:
                raise AssertionError(
                    f"Expected `attn_mask` shape to be {expected} but got {attn_mask.shape}"
                )
        return False
    raise AssertionError(
        "query should be unbatched 2D or batched 3D tensor but received "
        f"{query.ndim}-D query tensor"
    )


def _in_projection_packed(
    q: Tensor, k: Tensor, v: Tensor, w: Tensor, b: Tensor | None
) -> tuple[Tensor, ...]:
    """q, k, v projected by the rows of w (3E, E) in q, k, v order: one matmul for
    self-attention, two when key is value."""
    e = q.shape[-1]
    if k is v:
        if q is k:
            return ops.chunk(ops.linear(q, w, b), 3, -1)
        w_q, w_kv = ops.split(w, [e, 2 * e])
        b_q, b_kv = (None, None) if b is None else ops.split(b, [e, 2 * e])
        return (ops.linear(q, w_q, b_q), *ops.chunk(ops.linear(k, w_kv, b_kv), 2, -1))
    w_q, w_k, w_v = ops.chunk(w, 3)
    b_q, b_k, b_v = (None,) * 3 if b is None else ops.chunk(b, 3)
    return ops.linear(q, w_q, b_q), ops.linear(k, w_k, b_k), ops.linear(v, w_v, b_v)


def _in_projection(
    q: Tensor,
    k: Tensor,
    v: Tensor,
    w_q: Tensor,
    w_k: Tensor,
    w_v: Tensor,
    b: Tensor | None,
) -> tuple[Tensor, Tensor, Tensor]:
    """Separate projections: w_q (E, E), w_k (E, kdim), w_v (E, vdim); b (3E,) or None."""
    eq, ek, ev = q.shape[-1], k.shape[-1], v.shape[-1]
    for name, w, want in (
        ("query", w_q, (eq, eq)),
        ("key", w_k, (eq, ek)),
        ("value", w_v, (eq, ev)),
    ):
        if tuple(w.shape) != want:
            raise AssertionError(
                f"expecting {name} weights shape of {want}, but got {tuple(w.shape)}"
            )
    b_q, b_k, b_v = (None,) * 3 if b is None else ops.chunk(b, 3)
    return ops.linear(q, w_q, b_q), ops.linear(k, w_k, b_k), ops.linear(v, w_v, b_v)


def _heads(x: Tensor, batch_heads: int, head_dim: int) -> Tensor:
    """(S, N, E) -> (N * H, S, E / H), batch-major as PyTorch's view + transpose."""
    return ops.transpose(ops.reshape(x, (x.shape[0], batch_heads, head_dim)), 0, 1)


def _static(t: Tensor, name: str, batch_heads: int, head_dim: int) -> Tensor:
    if t.shape[0] != batch_heads:
        raise AssertionError(f"expecting {name}.size(0) of {batch_heads}, but got {t.shape[0]}")
    if t.shape[2] != head_dim:
        raise AssertionError(f"expecting {name}.size(2) of {head_dim}, but got {t.shape[2]}")
    return t


def multi_head_attention_forward(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    embed_dim_to_check: int,
    num_heads: int,
    in_proj_weight: Tensor | None,
    in_proj_bias: Tensor | None,
    bias_k: Tensor | None,
    bias_v: Tensor | None,
    add_zero_attn: bool,
    dropout_p: float,
    out_proj_weight: Tensor,
    out_proj_bias: Tensor | None,
    training: bool = True,
    key_padding_mask: Tensor | None = None,
    need_weights: bool = True,
    attn_mask: Tensor | None = None,
    use_separate_proj_weight: bool = False,
    q_proj_weight: Tensor | None = None,
    k_proj_weight: Tensor | None = None,
    v_proj_weight: Tensor | None = None,
    static_k: Tensor | None = None,
    static_v: Tensor | None = None,
    average_attn_weights: bool = True,
    is_causal: bool = False,
) -> tuple[Tensor, Tensor | None]:
    """Multi-head attention, as torch.nn.functional.multi_head_attention_forward.

    query (L, N, E) or (L, E), key (S, N, kdim), value (S, N, vdim) (sequence first).
    key_padding_mask (N, S) or (S); attn_mask (L, S) or (N * H, L, S): bool masks drop
    the positions where True, float masks are added. Returns (output (L, N, E), weights):
    weights (N, L, S) averaged over heads, (N, H, L, S) per head, or None without
    need_weights; unbatched inputs drop N.

    As PyTorch's: with need_weights the softmax is the plain one (a fully masked row gives
    NaN), without it the attention is `scaled_dot_product_attention` (zeros); is_causal
    needs attn_mask, and without need_weights or a key_padding_mask it replaces attn_mask
    by the causal mask."""
    query, key, value = (_as_tensor(t) for t in (query, key, value))
    if key_padding_mask is not None:
        key_padding_mask = _as_tensor(key_padding_mask)
    if attn_mask is not None:
        attn_mask = _as_tensor(attn_mask)
    is_batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not is_batched:
        query, key, value = (ops.unsqueeze(t, 1) for t in (query, key, value))
        if key_padding_mask is not None:
            key_padding_mask = ops.unsqueeze(key_padding_mask, 0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    key_padding_mask = _canonical_mask(
        key_padding_mask,
        "key_padding_mask",
        _none_or_dtype(attn_mask),
        "attn_mask",
        query.dtype,
    )
    if is_causal and attn_mask is None:
        raise RuntimeError(
            "Need attn_mask if specifying the is_causal hint. You may use the Transformer "
            "module method `generate_square_subsequent_mask` to create this mask."
        )
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # scaled_dot_product_attention applies the causal mask itself
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype, False)
        if key_padding_mask is not None:
            is_causal = False  # the merged mask is no longer causal
    if embed_dim != embed_dim_to_check:
        raise AssertionError(
            f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}"
        )
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            raise AssertionError(
                f"key's sequence and batch dims {key.shape[:2]} do not match value's "
                f"{value.shape[:2]}"
            )
    elif tuple(key.shape) != tuple(value.shape):
        raise AssertionError(f"key shape {key.shape} does not match value shape {value.shape}")

    if not use_separate_proj_weight:
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        q, k, v = _in_projection_packed(query, key, value, in_proj_weight, in_proj_bias)
    else:
        for name, w in (("q", q_proj_weight), ("k", k_proj_weight), ("v", v_proj_weight)):
            if w is None:
                raise AssertionError(
                    f"use_separate_proj_weight is True but {name}_proj_weight is None"
                )
        q, k, v = _in_projection(
            query, key, value, q_proj_weight, k_proj_weight, v_proj_weight, in_proj_bias
        )

    if attn_mask is not None:  # made 3-D
        if attn_mask.ndim == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(
                    f"The shape of the 2D attn_mask is {attn_mask.shape}, but should be "
                    f"{(tgt_len, src_len)}."
                )
            attn_mask = ops.unsqueeze(attn_mask, 0)
        elif tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
            raise RuntimeError(
                f"The shape of the 3D attn_mask is {attn_mask.shape}, but should be "
                f"{(bsz * num_heads, tgt_len, src_len)}."
            )

    if bias_k is not None and bias_v is not None:  # one more key, along the sequence
        if static_k is not None:
            raise AssertionError("bias cannot be added to static key.")
        if static_v is not None:
            raise AssertionError("bias cannot be added to static value.")
        k = ops.cat([k, bias_k.repeat(1, bsz, 1)])
        v = ops.cat([v, bias_v.repeat(1, bsz, 1)])
        if attn_mask is not None:
            attn_mask = ops.pad(attn_mask, (0, 1))
        if key_padding_mask is not None:
            key_padding_mask = ops.pad(key_padding_mask, (0, 1))
    elif bias_k is not None:
        raise AssertionError("bias_k is set but bias_v is None")
    elif bias_v is not None:
        raise AssertionError("bias_v is set but bias_k is None")

    batch_heads = bsz * num_heads
    q = _heads(q, batch_heads, head_dim)
    k = (
        _heads(k, batch_heads, head_dim)
        if static_k is None
        else _static(static_k, "static_k", batch_heads, head_dim)
    )
    v = (
        _heads(v, batch_heads, head_dim)
        if static_v is None
        else _static(static_v, "static_v", batch_heads, head_dim)
    )

    if add_zero_attn:  # one more key and value of zeros
        k = ops.cat([k, zeros(batch_heads, 1, head_dim, dtype=k.dtype, device=k.device)], 1)
        v = ops.cat([v, zeros(batch_heads, 1, head_dim, dtype=v.dtype, device=v.device)], 1)
        if attn_mask is not None:
            attn_mask = ops.pad(attn_mask, (0, 1))
        if key_padding_mask is not None:
            key_padding_mask = ops.pad(key_padding_mask, (0, 1))
    src_len = k.shape[1]

    if key_padding_mask is not None:  # merged into attn_mask, one row per batch and head
        if tuple(key_padding_mask.shape) != (bsz, src_len):
            raise AssertionError(
                f"Expected key_padded_mask.shape to be {(bsz, src_len)}, but got "
                f"{tuple(key_padding_mask.shape)}"
            )
        kpm = ops.reshape(key_padding_mask, (bsz, 1, 1, src_len))
        kpm = ops.reshape(ops.expand(kpm, (bsz, num_heads, 1, src_len)), (batch_heads, 1, src_len))
        attn_mask = kpm if attn_mask is None else attn_mask + kpm

    if not training:
        dropout_p = 0.0

    if need_weights:
        scores = ops.matmul(q * math.sqrt(1.0 / float(head_dim)), ops.transpose(k, -2, -1))
        if attn_mask is not None:
            scores = attn_mask + scores  # PyTorch's baddbmm
        weights = ops.softmax(scores, -1)
        if dropout_p > 0.0:
            weights = F.dropout(weights, dropout_p)
        out = ops.matmul(weights, v)  # (N * H, L, E / H)
        out = ops.reshape(ops.transpose(out, 0, 1), (tgt_len * bsz, embed_dim))
        out = ops.linear(out, out_proj_weight, out_proj_bias)
        out = ops.reshape(out, (tgt_len, bsz, out.shape[1]))
        weights = ops.reshape(weights, (bsz, num_heads, tgt_len, src_len))
        if average_attn_weights:
            weights = weights.mean(dim=1)
        if not is_batched:
            out, weights = out.squeeze(1), weights.squeeze(0)
        return out, weights

    if attn_mask is not None:
        if attn_mask.shape[0] == 1 and attn_mask.ndim == 3:
            attn_mask = ops.unsqueeze(attn_mask, 0)
        else:
            attn_mask = ops.reshape(attn_mask, (bsz, num_heads, -1, src_len))
    q = ops.reshape(q, (bsz, num_heads, tgt_len, head_dim))
    k = ops.reshape(k, (bsz, num_heads, src_len, head_dim))
    v = ops.reshape(v, (bsz, num_heads, src_len, head_dim))
    out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    out = ops.reshape(ops.permute(out, (2, 0, 1, 3)), (bsz * tgt_len, embed_dim))
    out = ops.linear(out, out_proj_weight, out_proj_bias)
    out = ops.reshape(out, (tgt_len, bsz, out.shape[1]))
    return (out if is_batched else out.squeeze(1)), None
