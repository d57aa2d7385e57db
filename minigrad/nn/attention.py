"""`nn.MultiheadAttention`, as in PyTorch, on `multi_head_attention_forward`
(minigrad/nn/sdpa.py, with `scaled_dot_product_attention`).

Two conventions for boolean masks, as in PyTorch: `scaled_dot_product_attention` keeps the
positions where the mask is True, `MultiheadAttention` (attn_mask, key_padding_mask) drops
them. Float masks are added to the scores in both.
"""

from __future__ import annotations

import contextlib
import enum
from collections.abc import Iterator
from typing import Any

import numpy as np

from .. import ops
from ..backend import default_float
from ..tensor import Tensor, zeros
from . import init
from .layers import Linear
from .module import Module, Parameter
from .sdpa import _canonical_mask, _none_or_dtype, multi_head_attention_forward

__all__ = ["MultiheadAttention", "NonDynamicallyQuantizableLinear", "SDPBackend", "sdpa_kernel"]


# ---------------------------------------------------------------------- kernel choice
class SDPBackend(enum.IntEnum):
    """PyTorch's names for the kernels behind `scaled_dot_product_attention`. minigrad has
    one, the math path (softmax(q k^T / sqrt(d) + mask) v as separate ops, with first and
    second derivatives), which PyTorch calls MATH."""

    ERROR = -1
    MATH = 0
    FLASH_ATTENTION = 1
    EFFICIENT_ATTENTION = 2
    CUDNN_ATTENTION = 3
    OVERRIDEABLE = 4


_sdpa_allowed: list[tuple[SDPBackend, ...]] = [tuple(SDPBackend)[1:]]


@contextlib.contextmanager
def sdpa_kernel(
    backends: SDPBackend | list[SDPBackend], set_priority: bool = False
) -> Iterator[None]:
    """`with sdpa_kernel(SDPBackend.MATH):`, as in PyTorch: the kernels attention may use in
    the block. minigrad always runs its math path, so the choice is checked and recorded
    (`_sdpa_allowed`) but changes no result."""
    chosen = backends if isinstance(backends, list | tuple) else [backends]
    if not all(isinstance(b, SDPBackend) for b in chosen):
        raise AssertionError(
            f"sdpa_kernel: backends must be an SDPBackend or a list of them, got {backends!r}"
        )
    _sdpa_allowed.append(tuple(chosen))
    try:
        yield
    finally:
        _sdpa_allowed.pop()


# ---------------------------------------------------------------------- module
class NonDynamicallyQuantizableLinear(Linear):
    """A Linear under PyTorch's name for MultiheadAttention's out_proj (there it keeps the
    layer out of dynamic quantization); the same layer, so reprs and checkpoints match."""


class MultiheadAttention(Module):
    """Multi-head attention, as torch.nn.MultiheadAttention (see
    `multi_head_attention_forward`).

    Parameters, PyTorch's names and shapes: in_proj_weight (3E, E) or, when kdim or vdim
    differs from E, q_proj_weight (E, E), k_proj_weight (E, kdim), v_proj_weight
    (E, vdim); in_proj_bias (3E,); out_proj (Linear E -> E); with add_bias_kv, bias_k and
    bias_v (1, 1, E). Init as PyTorch's: xavier_uniform_ projections, zero biases,
    xavier_normal_ bias_k and bias_v."""

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        add_bias_kv: bool = False,
        add_zero_attn: bool = False,
        kdim: int | None = None,
        vdim: int | None = None,
        batch_first: bool = False,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(
                "embed_dim and num_heads must be greater than 0, got "
                f"embed_dim={embed_dim} and num_heads={num_heads} instead"
            )
        super().__init__()
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads, self.dropout, self.batch_first = num_heads, dropout, batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != embed_dim:
            raise AssertionError("embed_dim must be divisible by num_heads")
        dt = default_float() if dtype is None else np.dtype(dtype)
        dev = device or "cpu"

        def param(*shape: int) -> Parameter:
            return Parameter(zeros(*shape, dtype=dt, device=dev))

        if self._qkv_same_embed_dim:
            self.in_proj_weight = param(3 * embed_dim, embed_dim)
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.q_proj_weight = param(embed_dim, embed_dim)
            self.k_proj_weight = param(embed_dim, self.kdim)
            self.v_proj_weight = param(embed_dim, self.vdim)
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = param(3 * embed_dim)
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(
            embed_dim, embed_dim, bias=bias, device=device, dtype=dtype
        )
        if add_bias_kv:
            self.bias_k = param(1, 1, embed_dim)
            self.bias_v = param(1, 1, embed_dim)
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
        if self.bias_v is not None:
            init.xavier_normal_(self.bias_v)

    def forward(
        self,
        query: Tensor,
        key: Tensor,
        value: Tensor,
        key_padding_mask: Tensor | None = None,
        need_weights: bool = True,
        attn_mask: Tensor | None = None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ) -> tuple[Tensor, Tensor | None]:
        """query (L, N, E), key (S, N, kdim), value (S, N, vdim); (N, L, E) etc. with
        batch_first; (L, E) unbatched. Returns (output like query, weights or None)."""
        if attn_mask is not None and not isinstance(attn_mask, Tensor):
            # PyTorch's TypeError (torch.is_floating_point), raised before _none_or_dtype's
            # RuntimeError; a key_padding_mask's comes from _canonical_mask
            raise TypeError(f"attn_mask must be a Tensor, not {type(attn_mask).__name__}")
        is_batched = query.ndim == 3
        key_padding_mask = _canonical_mask(
            key_padding_mask,
            "key_padding_mask",
            _none_or_dtype(attn_mask),
            "attn_mask",
            query.dtype,
        )
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype, False)
        if self.batch_first and is_batched:
            # keep `query is key is value`, which picks the packed projection
            if key is value:
                if query is key:
                    query = key = value = ops.transpose(query, 1, 0)
                else:
                    query, key = (ops.transpose(x, 1, 0) for x in (query, key))
                    value = key
            else:
                query, key, value = (ops.transpose(x, 1, 0) for x in (query, key, value))
        separate = not self._qkv_same_embed_dim
        out, weights = multi_head_attention_forward(
            query,
            key,
            value,
            self.embed_dim,
            self.num_heads,
            self.in_proj_weight,
            self.in_proj_bias,
            self.bias_k,
            self.bias_v,
            self.add_zero_attn,
            self.dropout,
            self.out_proj.weight,
            self.out_proj.bias,
            training=self.training,
            key_padding_mask=key_padding_mask,
            need_weights=need_weights,
            attn_mask=attn_mask,
            use_separate_proj_weight=separate,
            q_proj_weight=self.q_proj_weight,
            k_proj_weight=self.k_proj_weight,
            v_proj_weight=self.v_proj_weight,
            average_attn_weights=average_attn_weights,
            is_causal=is_causal,
        )
        if self.batch_first and is_batched:
            out = ops.transpose(out, 1, 0)
        return out, weights
