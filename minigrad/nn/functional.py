"""Stateless building blocks, as `torch.nn.functional`: activations, dropout, losses and
distances, composed from `minigrad.ops` so that double backward comes free.

Only binary cross-entropy is its own Function: PyTorch clamps its logs at -100 and divides
its gradient by max(x (1 - x), 1e-12), which a composition cannot express without a 0/0 at
probabilities of exactly 0 or 1. Its backward is written with ops, so it is differentiable.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from .. import ops, random
from ..autograd import Function, is_grad_enabled
from ..backend import as_numpy, default_float, get_array_module
from ..errors import AssertionFailed, DtypeError, IndexOutOfRange, ShapeError, ValueRangeError
from ..ops import nn_ctc, nn_pool, pool
from ..ops.activation import PReLU, _softplus, float_kernel
from ..ops.activation import _reciprocal as _softplus_reciprocal
from ..ops.batchnorm import (
    batch_norm,
    check_momentum,
    check_running_pair,
    check_stats_not_differentiated,
    widen_half,
)
from ..ops.conv import conv2d, conv_transpose2d
from ..ops.conv1d import conv1d, conv_transpose1d
from ..ops.elementwise import (
    Mask,
    check_sub,
    dense_gradient,
    keep_bits,
    numpy_float,
    result_dtype,
    where_arrays,
)
from ..ops.fold import fold, unfold
from ..ops.layernorm import layer_norm as _layer_norm
from ..ops.nn_conv3d import conv3d, conv_transpose3d
from ..ops.pointwise import ExpLinear, exp_branch
from ..ops.pool import interpolate
from ..ops.pool1d import (
    adaptive_avg_pool1d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    avg_pool1d,
    max_pool1d,
)
from ..ops.search import _promoted as _promote_types
from ..ops.search import torch_name
from ..ops.shape import clone
from ..tensor import Tensor, _cast_for, _int_arg, _is_int, _to_array
from .bilinear import bilinear
from .sdpa import (  # _canonical_mask: PyTorch's helper, which attention code imports
    _canonical_mask,  # noqa: F401
    multi_head_attention_forward,
    scaled_dot_product_attention,
)

__all__ = [
    "bilinear",
    "fold",
    "unfold",
    "adaptive_avg_pool1d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
    "avg_pool1d",
    "conv1d",
    "conv_transpose1d",
    "max_pool1d",
    "adaptive_avg_pool2d",
    "avg_pool2d",
    "batch_norm",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "conv2d",
    "conv_transpose2d",
    "cdist",
    "cosine_similarity",
    "cross_entropy",
    "dropout",
    "dropout2d",
    "elu",
    "elu_",
    "embedding",
    "embedding_bag",
    "gelu",
    "hardtanh",
    "hardtanh_",
    "huber_loss",
    "interpolate",
    "kl_div",
    "l1_loss",
    "layer_norm",
    "leaky_relu",
    "leaky_relu_",
    "linear",
    "log_sigmoid",
    "log_softmax",
    "logsigmoid",
    "max_pool2d",
    "mse_loss",
    "multi_head_attention_forward",
    "nll_loss",
    "normalize",
    "one_hot",
    "pad",
    "pairwise_distance",
    "prelu",
    "relu",
    "relu_",
    "relu6",
    "scaled_dot_product_attention",
    "sigmoid",
    "silu",
    "smooth_l1_loss",
    "softmax",
    "softplus",
    "tanh",
    "triplet_margin_loss",
    "triplet_margin_with_distance_loss",
    "gumbel_softmax",
]

_REDUCTIONS = ("mean", "sum", "none")

sigmoid = ops.sigmoid
tanh = ops.tanh
log_sigmoid = ops.log_sigmoid
logsigmoid = log_sigmoid  # PyTorch's spelling


def _tensor_arg(value: Any, op: str, name: str = "input", position: int = 1) -> None:
    """PyTorch's TypeError for a non-tensor where `op` takes a tensor."""
    if not isinstance(value, Tensor):
        raise TypeError(
            f"{op}(): argument '{name}' (position {position}) must be Tensor, not "
            f"{type(value).__name__}"
        )


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x (..., in) @ weight.T (in, out) + bias (out,), as `minigrad.ops.linear`, with
    PyTorch's refusal of non-tensors and 0-d operands."""
    _tensor_arg(input, "linear")
    _tensor_arg(weight, "linear", "weight", 2)
    if input.ndim == 0 or weight.ndim == 0:
        raise ShapeError(
            "linear: both arguments to linear need to be at least 1D, but they are "
            f"{input.ndim}D and {weight.ndim}D"
        )
    return ops.linear(input, weight, bias)


def pad(
    input: Tensor,
    pad: Any,
    mode: str = "constant",
    value: float | None = None,
) -> Tensor:
    """PyTorch's F.pad (see `minigrad.ops.pad`): `pad` lists (left, right) pairs from the
    last dim on, at most two per dim of the input; its length errors are PyTorch's."""
    _tensor_arg(input, "pad")
    if len(pad) % 2:
        raise ValueRangeError(f"pad: Padding length must be divisible by 2, got {tuple(pad)}")
    if len(pad) // 2 > input.ndim:
        raise ValueRangeError(
            "pad: Padding length should be less than or equal to two times the input "
            f"dimension but got padding length {len(pad)} and input of dimension {input.ndim}"
        )
    return ops.pad(input, pad, mode, value)


def one_hot(input: Any, num_classes: int = -1, dtype: Any = None) -> Tensor:  # noqa: A002
    """Integer labels (any shape) -> one more dimension of `num_classes`, as PyTorch's:
    int64 rows of the identity, with `num_classes=-1` meaning the largest label + 1.
    `dtype` (minigrad's addition) gives the rows another dtype, e.g. the float dtype a
    model consumes."""
    num_classes = _int_arg("one_hot", "num_classes", num_classes)
    idx = input._data if isinstance(input, Tensor) else input
    xp = get_array_module(idx)
    idx = xp.asarray(idx)
    if idx.dtype.kind not in "iu":
        raise DtypeError(
            "one_hot is only applicable to index tensor of type LongTensor (integer class "
            f"indices), got {idx.dtype}"
        )
    if num_classes == -1:
        if not idx.size:
            raise ValueRangeError("one_hot: can't infer num_classes from an empty tensor; pass it")
        num_classes = int(idx.max()) + 1
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= num_classes):
        raise ValueRangeError(
            f"one_hot: labels must lie in [0, {num_classes}), got "
            f"{int(idx.min())}..{int(idx.max())}"
        )
    dtype = np.int64 if dtype is None else dtype
    return Tensor(xp.eye(num_classes, dtype=dtype)[idx.astype(np.int64)])


# ---------------------------------------------------------------------- activations
def _in_place(x: Tensor, what: str, fn: Any) -> Tensor:
    """`inplace=True`, as PyTorch's: x itself takes fn(x)'s values and is returned, so its
    aliases see them. On a tensor in a graph the change is recorded (on a stand-in for the
    old value); a leaf that requires grad is refused, as in PyTorch."""
    return x._apply_(what, fn)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0); the gradient at 0 is 0, as PyTorch's."""
    if inplace:
        return _in_place(input, "relu_", ops.relu)
    return ops.relu(input)


def relu_(input: Tensor) -> Tensor:
    return relu(input, inplace=True)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x where x > 0, else negative_slope * x."""
    if inplace:
        return _in_place(input, "leaky_relu_", lambda t: ops.leaky_relu(t, negative_slope))
    return ops.leaky_relu(input, negative_slope)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return leaky_relu(input, negative_slope, inplace=True)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta x)) / beta, reverting to x where beta x > threshold (as PyTorch);
    integer and bool x in the default float (PyTorch refuses them), complex x refused."""
    x = input  # (a complex x reaches ops.softplus below, which refuses it)
    if x.dtype.kind == "f" and x.dtype.itemsize >= 4:  # one node (integers: the ops
        return ops.softplus(x, beta, threshold)  # below, which promote them)
    if x.dtype == np.float16:  # worked in float32 and rounded once, as PyTorch's
        return ops.softplus(x.float(), beta, threshold).half()
    bx = x if beta == 1 else x * beta
    soft = ops.softplus(bx) if beta == 1 else ops.softplus(bx) * _softplus_reciprocal(beta)
    return ops.where(bx._data > threshold, x, soft)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x), Phi the standard normal CDF: 0.5 x erfc(-x / sqrt 2) (the same as
    0.5 x (1 + erf(x / sqrt 2)), without its cancellation for negative x: at x = -3 that
    form lost 4 of float32's 7 digits); with approximate='tanh',
    0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). A float16 input is worked in float32
    and rounded once, as PyTorch's."""
    x = input
    if approximate not in ("none", "tanh"):
        raise ValueRangeError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    float_kernel(x, "GeluKernelImpl")
    if x.dtype == np.float16:
        return gelu(x.float(), approximate).half()
    if approximate == "none":
        return x * 0.5 * ops.erfc(x * (-1 / np.sqrt(2.0)))
    inner = (x + 0.044715 * x * x * x) * np.sqrt(2 / np.pi)
    return x * 0.5 * (1 + ops.tanh(inner))


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x) (swish)."""
    float_kernel(input, "silu_cpu")
    if inplace:
        return _in_place(input, "silu_", silu)
    x = input
    if x.dtype == np.float16:  # worked in float32 and rounded once, as PyTorch's
        return silu(x.float()).half()
    return x * ops.sigmoid(x)


def _softmax_dim(x: Tensor, dim: int | None, name: str) -> int:
    if dim is not None:
        return dim
    # PyTorch's legacy rule for an implicit dim, with its warning
    warnings.warn(
        f"{name}: implicit dim is deprecated, pass dim explicitly", UserWarning, stacklevel=3
    )
    return 0 if x.ndim in (0, 1, 3) else 1


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """x where x > 0, else weight * x; weight (C,) runs along dim 1 (a single weight
    applies everywhere). Differentiable in x and weight, as PyTorch's."""
    x = input
    if weight.ndim > 1:  # PyTorch's check: a (C, 1) weight would broadcast along dim 0
        raise RuntimeError(
            "prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = "
            f"{weight.ndim} (shape {tuple(weight.shape)})"
        )
    n = weight.shape[0] if weight.ndim else 1
    if n != 1:
        channels = x.shape[1] if x.ndim >= 2 else 1
        if channels != n:
            raise RuntimeError(
                "prelu: mismatch of parameter numbers and input channel size. Found parameter "
                f"numbers = {n} and channel size = {channels}."
            )
        weight = weight.reshape((n,) + (1,) * (x.ndim - 2))
    elif x.ndim == 0:
        weight = weight.reshape(())
    if weight.dtype != x.dtype:  # PyTorch promotes neither (an int x would truncate)
        raise RuntimeError(
            f"prelu: Type promoting not supported. Got {torch_name(x.dtype)} and "
            f"{torch_name(weight.dtype)}"
        )
    return PReLU()(x, weight)


def hardtanh(
    input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False
) -> Tensor:
    """clamp(x, min_val, max_val); the gradient is 0 at the bounds (PyTorch's)."""
    if inplace:
        return _in_place(input, "hardtanh_", lambda t: ops.hardtanh(t, min_val, max_val))
    return ops.hardtanh(input, min_val, max_val)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6), hardtanh(x, 0, 6) as PyTorch's (gradient 0 at 0 and 6)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x where x > 0, else alpha (exp(x) - 1). The negative branch sees min(x, 0), so a
    large positive x cannot overflow it into a NaN gradient."""
    float_kernel(input, "elu_cpu")
    if inplace:
        return _in_place(input, "elu_", lambda t: elu(t, alpha))
    x = input
    if x.dtype == np.float16:  # worked in float32 and rounded once, as PyTorch's
        return elu(x.float(), alpha).half()
    if ExpLinear.handles(x):  # one node: the composite below, its bits
        scale = None if alpha == 1.0 else alpha
        return ExpLinear(None, scale, scale, None)(x)
    a = x._data
    neg = exp_branch(ops.clip(x, None, 0.0))
    # at 0 exactly: the exponential branch's slope alpha, but PyTorch's second derivative 0
    # (its double backward tests x < 0 where its backward tests x <= 0); NaN passes gy on
    pos = ops.where(a == 0, x * alpha, x) if alpha != 1.0 else x
    return ops.where(a < 0, neg * alpha if alpha != 1.0 else neg, pos)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return elu(input, alpha, inplace=True)


def check_embedding_indices(arr: Any, n: int, op: str = "embedding") -> None:
    """Indices of a table of n rows: an index outside [0, n) is an IndexOutOfRange (both
    PyTorch's types: embedding raises IndexError, embedding_bag RuntimeError)."""
    if not arr.size:
        return
    lo, hi = int(arr.min()), int(arr.max())
    if lo < 0 or hi >= n:
        raise IndexOutOfRange(
            f"{op}: index {lo if lo < 0 else hi} is out of range for {n} embeddings"
        )


def embedding(
    input: Any,  # noqa: A002 - PyTorch's name
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """Rows of `weight` at the integer indices `input`: shape (*input.shape, dim).
    Repeated indices accumulate their gradients; the `padding_idx` row gets none. With
    `max_norm`, the looked-up rows whose `norm_type`-norm exceeds it are first rescaled in
    `weight` itself (PyTorch's embedding_renorm_); `scale_grad_by_freq` divides each row's
    gradient by the number of times the batch uses it."""
    if sparse:
        raise NotImplementedError(
            "embedding: sparse=True is not supported (minigrad has no sparse gradients)"
        )
    if weight.ndim != 2:
        raise RuntimeError(f"embedding: weight must be 2-D, got shape {weight.shape}")
    n = weight.shape[0]
    if padding_idx is not None:
        padding_idx = _int_arg("embedding", "padding_idx", padding_idx)
        if not -n <= padding_idx < n:
            raise AssertionFailed(f"embedding: padding_idx {padding_idx} out of range for {n} rows")
        padding_idx %= n
    xp = get_array_module(weight._data)
    arr = xp.asarray(input._data if isinstance(input, Tensor) else input)
    if arr.dtype.kind not in "iu":
        raise DtypeError(f"embedding: indices must be integers, got {arr.dtype}")
    check_embedding_indices(arr, n)
    if max_norm is not None:
        _renorm_rows(weight, xp.unique(arr), max_norm, norm_type)
    out = ops.getitem(weight, arr)
    if scale_grad_by_freq and arr.size:
        _, where_, counts = xp.unique(arr.reshape(-1), return_inverse=True, return_counts=True)
        share = (1.0 / counts[where_]).astype(weight.dtype).reshape(arr.shape + (1,))
        out = _GradScale(share)(out)
    if padding_idx is not None:
        # same values, but the padding row's copies are cut from the graph
        keep = (arr != padding_idx)[..., None]
        out = ops.where(keep, out, out.detach())
    return out


def embedding_bag(
    input: Any,
    weight: Tensor,
    offsets: Any = None,
    max_norm: float | None = None,
    norm_type: float = 2,
    scale_grad_by_freq: bool = False,
    mode: str = "mean",
    sparse: bool = False,
    per_sample_weights: Tensor | None = None,
    include_last_offset: bool = False,
    padding_idx: int | None = None,
) -> Tensor:
    """Sums, means or maxima of bags of embedding rows, as torch's embedding_bag: bags are
    the rows of a 2-d `input`, or the runs of a 1-d `input` starting at `offsets`. Entries
    equal to `padding_idx` are left out (of the count too); an empty bag gives zeros.
    `per_sample_weights` (input's shape) scales each row in mode 'sum'. The bags are laid
    out as a (bags, longest, dim) block with a mask, so no loop runs over them."""
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"embedding_bag: mode must be 'sum', 'mean' or 'max', got {mode!r}")
    for name, value in (("scale_grad_by_freq", scale_grad_by_freq), ("sparse", sparse)):
        if value:
            raise NotImplementedError(f"embedding_bag: {name}=True is not supported")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(
            f"embedding_bag: per_sample_weights is only supported for mode='sum', got {mode!r}"
        )
    xp = get_array_module(weight._data)
    idx = xp.asarray(input._data if isinstance(input, Tensor) else input)
    if idx.dtype.kind not in "iub":  # bool indices are 0 and 1, as PyTorch takes them
        raise DtypeError(f"embedding_bag: input must hold integer indices, got {idx.dtype}")
    if per_sample_weights is not None:
        if tuple(per_sample_weights.shape) != idx.shape:
            raise ShapeError(
                f"embedding_bag: per_sample_weights {tuple(per_sample_weights.shape)} must have "
                f"the input's shape {idx.shape}"
            )
        if per_sample_weights.dtype != weight.dtype:
            raise DtypeError(
                f"embedding_bag: per_sample_weights ({per_sample_weights.dtype}) must have the "
                f"weight's dtype ({weight.dtype})"
            )
    if padding_idx is not None:
        padding_idx = _bag_padding_idx(padding_idx, weight.shape[0])
    if idx.ndim == 2:
        if offsets is not None:
            raise ShapeError("embedding_bag: offsets must be None for a 2-d input")
        n_bags, longest = idx.shape
        table = idx
        valid = xp.ones(idx.shape, dtype=bool)
        order = xp.arange(idx.size).reshape(idx.shape)
    elif idx.ndim == 1:
        if offsets is None:
            raise ShapeError("embedding_bag: a 1-d input needs offsets")
        starts = as_numpy(offsets._data if isinstance(offsets, Tensor) else np.asarray(offsets))
        if starts.ndim != 1:
            raise ShapeError(f"embedding_bag: offsets must be 1-d, got shape {starts.shape}")
        if starts.dtype.kind not in "iu":
            raise DtypeError(f"embedding_bag: offsets must be integers, got {starts.dtype}")
        given = starts.astype(np.int64)
        if include_last_offset and not given.size:  # no end for the last bag
            raise ValueRangeError(
                "embedding_bag: include_last_offset: number of offset should be at least 1, "
                "got empty offsets"
            )
        if given.size and given[-1] > idx.size:
            raise ValueRangeError(
                f"embedding_bag: offsets[-1] ({int(given[-1])}) is beyond the input's length "
                f"{idx.size}"
            )
        ends = given[1:] if include_last_offset else np.append(given[1:], idx.size)
        starts = given[:-1] if include_last_offset else given
        if starts.size and (starts[0] != 0 or (np.diff(np.append(starts, ends[-1])) < 0).any()):
            raise ValueRangeError(
                f"embedding_bag: offsets must start at 0 and not decrease, got {given.tolist()}"
            )
        n_bags = starts.size
        lengths = ends - starts
        longest = max(int(lengths.max()) if n_bags else 0, 1)
        position = starts[:, None] + np.arange(longest)[None, :]  # (bags, longest)
        inside = np.arange(longest)[None, :] < lengths[:, None]
        order = xp.asarray(np.where(inside, position, 0))
        valid = xp.asarray(inside)
        table = xp.where(valid, idx[order] if idx.size else 0, 0)
    else:
        raise ShapeError(f"embedding_bag: input must be 1-d or 2-d, got shape {idx.shape}")
    if padding_idx is not None:
        valid = valid & (table != padding_idx)
    if max_norm is not None and idx.size:  # the indices looked up, not the padding slots
        _renorm_rows(weight, xp.unique(idx), max_norm, norm_type)
    rows = embedding(Tensor._make(table, False), weight)
    keep = valid[..., None]
    if mode == "max":
        masked = ops.where(keep, rows, float("-inf"))
        best = masked.max(dim=1).values if longest else masked.sum(1)
        return ops.where(valid.any(axis=1)[:, None], best, 0.0)
    terms = ops.where(keep, rows, 0.0)
    if per_sample_weights is not None:
        w = per_sample_weights.reshape(-1) if idx.ndim == 1 else per_sample_weights
        if idx.ndim == 1 and not idx.size:  # no samples: every slot is padding, masked out
            # the sum of no weights (0) in each slot, which keeps them in the graph: their
            # gradient is an empty tensor, as PyTorch's, not None
            picked = w.sum().expand(order.shape)
        else:
            picked = ops.getitem(w, order) if idx.ndim == 1 else w
        terms = terms * picked.unsqueeze(-1)
    total = terms.sum(dim=1)
    if mode == "sum":
        return total
    count = valid.sum(axis=1).astype(weight.dtype)
    return total / Tensor._make(xp.maximum(count, 1)[:, None], False)


def _bag_padding_idx(padding_idx: Any, rows: int) -> int:
    """embedding_bag's padding_idx as a row number: an int in [-rows, rows), negative ones
    counted from the end. Out of range it is refused, as PyTorch's, rather than wrapped
    modulo rows, which left a different row out of the bags."""
    padding_idx = _int_arg("embedding_bag", "padding_idx", padding_idx)
    if not -rows <= padding_idx < rows:
        raise ValueRangeError(
            "embedding_bag: padding_idx must be within the number of embeddings, "
            f"-{rows} through {rows - 1}, but got {padding_idx}"
        )
    return padding_idx % rows


def _renorm_rows(weight: Tensor, rows: Any, max_norm: float, norm_type: float) -> None:
    """Rescale the given rows of `weight` in place, outside the graph, to a norm of at
    most max_norm: row * max_norm / (norm + 1e-7) where the norm is larger (PyTorch's)."""
    xp = get_array_module(weight._data)
    block = weight._data[rows]
    norms = xp.linalg.norm(block.astype(np.float64), ord=norm_type, axis=1)
    big = norms > max_norm
    if bool(big.any()):
        scale_ = (max_norm / (norms[big] + 1e-7)).astype(weight.dtype)
        weight._data[rows[big]] = block[big] * scale_[:, None]
        weight._version += 1


class _GradScale(Function):
    """The identity, whose gradient is multiplied by `share` (embedding's
    scale_grad_by_freq). As in PyTorch, the scaling is not differentiated again: a second
    derivative sees the gradient's scatter unscaled (`_Rescale`)."""

    uses_inputs = False

    def __init__(self, share: Any) -> None:
        self.share = share

    def forward(self, x):
        return x.copy()

    def backward(self, gy):
        return _Rescale(self.share)(gy)


class _Rescale(Function):
    """gy * share forward, the identity backward: PyTorch's double backward of an
    embedding with scale_grad_by_freq ignores the scaling."""

    uses_inputs = False

    def __init__(self, share: Any) -> None:
        self.share = share

    def forward(self, gy):
        return gy * self.share

    def backward(self, g):
        return g


def _unsupported(op: str, **given: Any) -> None:
    """PyTorch's pooling options minigrad does not implement, refused by name."""
    for name, (value, default) in given.items():
        if value != default:
            raise NotImplementedError(
                f"{op}: {name}={value!r} is not supported by minigrad (only {default!r})"
            )


def max_pool2d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor:
    """Window maxima (padding never wins), PyTorch's arguments in its order; with
    return_indices also the int64 flat position h * W + w of each maximum. Dilation,
    ceil_mode and indices take the gathering path of ops/nn_pool.py."""
    _tensor_arg(input, "max_pool2d")
    if _pool_defaults(dilation, ceil_mode, return_indices):
        return pool.max_pool2d(input, kernel_size, stride, padding)
    return nn_pool.max_pool_nd(
        input, 2, kernel_size, stride, padding, dilation, ceil_mode, return_indices, "max_pool2d"
    )


def check_max_pool_options(op: str, dilation: Any, ceil_mode: bool, return_indices: bool) -> None:
    """max pooling's PyTorch options minigrad has only at their defaults (F.max_pool2d and
    nn.MaxPool2d)."""
    dil = (dilation, dilation) if isinstance(dilation, int) else tuple(dilation)
    _unsupported(
        op,
        dilation=(dil, (1, 1)),
        ceil_mode=(ceil_mode, False),
        return_indices=(return_indices, False),
    )


def avg_pool2d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """Window means, PyTorch's arguments in its order (count_include_pad is the 6th);
    ceil_mode and divisor_override take the slice-sum path of ops/nn_pool.py."""
    _tensor_arg(input, "avg_pool2d")
    if not ceil_mode and divisor_override is None:
        return pool.avg_pool2d(input, kernel_size, stride, padding, count_include_pad)
    return nn_pool.avg_pool_nd(
        input,
        2,
        kernel_size,
        stride,
        padding,
        ceil_mode,
        count_include_pad,
        divisor_override,
        "avg_pool2d",
    )


def check_avg_pool_options(op: str, ceil_mode: bool, divisor_override: int | None) -> None:
    """average pooling's PyTorch options minigrad has only at their defaults."""
    _unsupported(op, ceil_mode=(ceil_mode, False), divisor_override=(divisor_override, None))


def _adaptive_mean(x: Tensor, axis: int, out: int) -> Tensor:
    """Adaptive average along `axis` (-2 or -1) of x to `out` windows; window i spans
    [floor(i n / out), ceil((i + 1) n / out)). Each window's values are gathered (padded
    to the longest window, the padding masked out by `where`, so an inf or NaN stays in
    its own window), summed and divided by the window's length."""
    n = x.shape[axis]
    i = np.arange(out)
    start = (i * n) // out
    length = -((-(i + 1) * n) // out) - start
    span = int(length.max()) if out else 0
    k = np.arange(span)
    idx = np.minimum(start[:, None] + k, n - 1)  # (out, span)
    valid = k < length[:, None]
    xp = get_array_module(x._data)
    inv = (1.0 / length).astype(x.dtype)
    if axis == -2:
        g = ops.getitem(x, (Ellipsis, idx, slice(None)))  # (..., out, span, W)
        g = ops.where(xp.asarray(valid[:, :, None]), g, 0.0)
        return ops.reduce_sum(g, -2) * Tensor._make(xp.asarray(inv[:, None]), False)
    g = ops.getitem(x, (Ellipsis, idx))  # (..., H, out, span)
    g = ops.where(xp.asarray(valid), g, 0.0)
    return ops.reduce_sum(g, -1) * Tensor._make(xp.asarray(inv), False)


def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:
    """Average pooling to a fixed (OH, OW) for (N, C, H, W) or (C, H, W) input; window i
    spans [floor(i H / OH), ceil((i + 1) H / OH)). `None` in output_size keeps that size.
    Built from gathers, masked sums and scales, so it is differentiable to any order, and
    an inf or NaN reaches only the windows that hold it."""
    x = input
    if x.ndim not in (3, 4):
        raise RuntimeError(f"adaptive_avg_pool2d: expects a 3-D or 4-D input, got shape {x.shape}")
    if x.dtype.kind != "f":
        raise NotImplementedError(
            f"\"adaptive_avg_pool2d\" not implemented for '{torch_name(x.dtype)}'"
        )
    size = (output_size, output_size) if isinstance(output_size, int) else tuple(output_size)
    if len(size) != 2:
        raise ShapeError(f"adaptive_avg_pool2d: output_size must be 2 ints, got {output_size}")
    h, w = x.shape[-2:]
    oh, ow = (h if size[0] is None else int(size[0])), (w if size[1] is None else int(size[1]))
    if oh < 0 or ow < 0 or (0 in (h, w) and oh * ow):
        raise RuntimeError(
            f"adaptive_avg_pool2d: can't pool an input of shape {x.shape} to {(oh, ow)}"
        )
    if (oh, ow) == (h, w):
        return clone(x)
    if x.dtype == np.float16:  # window sums in float32, rounded once, as PyTorch's kernel
        return adaptive_avg_pool2d(x.float(), (oh, ow)).half()
    y = x
    if oh != h:
        y = _adaptive_mean(y, -2, oh)
    if ow != w:
        y = _adaptive_mean(y, -1, ow)
    return y


def softmax(
    input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None
) -> Tensor:
    """softmax along `dim`; `dtype` casts the input first, as PyTorch's."""
    x = _cast_for("softmax", input, dtype)
    return ops.softmax(x, _softmax_dim(x, dim, "softmax"))


def log_softmax(
    input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None
) -> Tensor:
    """log_softmax along `dim`; `dtype` casts the input first, as PyTorch's."""
    x = _cast_for("log_softmax", input, dtype)
    return ops.log_softmax(x, _softmax_dim(x, dim, "log_softmax"))


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability p and scale the rest by 1 / (1 - p) (training
    only). The mask comes from `minigrad.random` on x's device."""
    _check_training(training, "dropout")
    if inplace and training and p != 0:  # otherwise the identity, nothing written
        return _in_place(input, "dropout_", lambda t: dropout(t, p, training))
    return _dropout(input, p, training, input.shape, "dropout")


def dropout2d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> Tensor:
    """Zero whole channels: one draw per (N, C) of x `(N, C, H, W)`. As PyTorch, a 3-d
    input is read as (N, C, L) and a 2-d one as (N, C), with PyTorch's warnings; a 1-d or
    0-d one (deprecated, warned) passes where no mask is drawn (evaluation, p = 0; p = 1
    gives zeros) and is refused where one is."""
    _check_training(training, "dropout2d")
    if inplace and training and p != 0:
        return _in_place(input, "dropout2d_", lambda t: dropout2d(t, p, training))
    x = input
    if x.ndim < 2:
        warnings.warn(
            f"dropout2d: received a {x.ndim}-d input, which is deprecated (PyTorch: an error "
            "in a future release); dropout2d is for (N, C, H, W) inputs: use dropout for "
            "others",
            UserWarning,
            stacklevel=2,
        )
        if not x.numel():  # PyTorch's feature_dropout returns it as it is
            return x
        if training and 0 < p < 1:
            raise ShapeError(
                f"dropout2d: expected an input of 2 or more dims (N, C, ...), got shape "
                f"{x.shape} (feature dropout requires at least 2 dimensions)"
            )
        return _dropout(x, p, training, x.shape, "dropout2d")
    if x.ndim > 4:  # PyTorch's deprecated reading, warned in training and evaluation alike
        warnings.warn(
            f"dropout2d: received a {x.ndim}-d input, which is deprecated (PyTorch: an error "
            "in a future release); as PyTorch, each (N, C) entry is dropped together over "
            "the other dims. dropout2d is for (N, C, H, W) inputs: use dropout3d for volumes",
            UserWarning,
            stacklevel=2,
        )
    elif x.ndim < 4:  # warned in evaluation too, as PyTorch's
        warnings.warn(
            f"dropout2d: received a {x.ndim}-d input; as PyTorch, its dims are read as "
            f"(N, C{', L' if x.ndim == 3 else ''}) and each (N, C) entry is dropped together",
            UserWarning,
            stacklevel=2,
        )
    return _dropout(x, p, training, x.shape[:2] + (1,) * (x.ndim - 2), "dropout2d")


def _check_training(training: Any, name: str) -> None:
    """`training` of a dropout must be a bool, as PyTorch's: None ran as evaluation and 1 or
    'yes' as training."""
    if type(training) is not bool:
        raise TypeError(
            f"{name}(): argument 'training' must be bool, not {type(training).__name__}"
        )


def _dropout(x: Tensor, p: float, training: bool, mask_shape: tuple, name: str) -> Tensor:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{name}: probability must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return x
    _float_into(x, name)  # the scaled mask is float: PyTorch's in-place multiply refuses
    xp = get_array_module(x._data)
    if p == 1.0:
        return ops.scale(x, xp.zeros((), dtype=x.dtype))
    # the generators draw float32/float64 only; other dtypes cast the mask afterwards
    rdtype = x.dtype if x.dtype in (np.float32, np.float64) else np.float32
    keep = random.rand(mask_shape, rdtype, x.device) < (1.0 - p)
    mask = keep.astype(x.dtype) * x.dtype.type(1.0 / (1.0 - p))
    return ops.scale(x, mask)


# ---------------------------------------------------------------------- helpers
def _check_reduction(reduction: str, name: str) -> None:
    """Refuse a reduction other than 'mean', 'sum' and 'none' (the losses PyTorch writes in
    Python, poisson_nll_loss and the like, refuse 'elementwise_mean' too)."""
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{name}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _reduction(reduction: str, name: str) -> str:
    """The reduction a loss computes: PyTorch's deprecated 'elementwise_mean' is 'mean', with
    PyTorch's warning (pointing at the loss's caller), as its `_Reduction.get_enum` gives
    it; another name than 'mean', 'sum' and 'none' is refused."""
    if reduction == "elementwise_mean":
        warnings.warn(
            "reduction='elementwise_mean' is deprecated. Please use reduction='mean' instead.",
            UserWarning,
            stacklevel=3,
        )
        return "mean"
    _check_reduction(reduction, name)
    return reduction


def legacy_reduction(size_average: bool | None, reduce: bool | None, reduction: str) -> str:
    """`reduction` from PyTorch's deprecated `size_average` and `reduce` when either is
    given (each defaults to True: both -> 'mean', only reduce -> 'sum', else 'none'), with
    PyTorch's warning; otherwise `reduction` itself."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    legacy = ("mean" if size_average else "sum") if reduce else "none"
    warnings.warn(
        f"size_average and reduce args will be deprecated, please use reduction='{legacy}' "
        "instead.",
        UserWarning,
        stacklevel=3,
    )
    return legacy


def _weighted(loss: Tensor, weight: Any, x: Tensor, reduction: str, name: str) -> Tensor:
    """PyTorch's element weights of mse_loss and l1_loss: 'mean' divides the weighted sum
    by the sum of the weights."""
    w = _as_target(weight, x)
    if w.shape != x.shape:
        raise ShapeError(
            f"{name}: weight of shape {w.shape} for an input of shape {x.shape}; they must "
            "have the same size"
        )
    loss = loss * w
    if reduction == "mean":
        return loss.sum() / w.sum()
    return _reduce(loss, reduction)


def _reduce(loss: Tensor, reduction: str, name: str = "loss") -> Tensor:
    if reduction == "mean":
        if loss.dtype.kind not in "fc":  # an integer loss (l1_loss, hinge_embedding_loss)
            raise RuntimeError(
                f"{name}: mean(): could not infer output dtype. Input dtype must be either a "
                f"floating point or complex dtype. Got: {torch_name(loss.dtype)}"
            )
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _weight_of(weight: Any, like: Tensor, name: str, what: str) -> Tensor:
    """A loss's `weight` or `pos_weight` as `_as_target` gives it, refused where it would
    broadcast the loss to a larger shape than the input's (PyTorch's rule: the mean was
    taken over the larger shape)."""
    w = _as_target(weight, like)
    shape = ops.broadcast_shapes(w.shape, like.shape)
    if tuple(shape) != tuple(like.shape):
        raise RuntimeError(
            f"{what}: {name} of shape {tuple(w.shape)} broadcasts the input's shape "
            f"{tuple(like.shape)} to {tuple(shape)}; it must broadcast to the input's"
        )
    return w


def _as_target(target: Any, like: Tensor) -> Tensor:
    """A target (or weight) as a tensor on `like`'s device in `like`'s float dtype, so a
    float32 loss stays float32 and each gradient keeps its input's dtype."""
    if isinstance(target, Tensor):
        if target.device != like.device:
            raise RuntimeError(f"target on {target.device} for an input on {like.device}")
        return target if target.dtype == like.dtype else ops.cast(target, like.dtype)
    arr = get_array_module(like._data).asarray(target)
    return Tensor._make(arr.astype(like.dtype, copy=False), False)


def _as_tensor(target: Any, like: Tensor) -> Tensor:
    """A target as a tensor on `like`'s device, its dtype as `minigrad.tensor` gives it
    (Python floats float32, arrays their own)."""
    if isinstance(target, Tensor):
        if target.device != like.device:
            raise RuntimeError(f"target on {target.device} for an input on {like.device}")
        return target
    return Tensor._make(_to_array(target, None, like.device), False)


def _promoted(
    x: Tensor, target: Any, keep_int: bool = False, broadcast: bool = False
) -> tuple[Tensor, Tensor]:
    """x and target in PyTorch's promoted dtype (mse_loss, l1_loss, soft cross_entropy):
    a float64 target makes a float64 loss, an integer one a loss of the default float
    dtype (an integer pair stays integer with `keep_int`). With `broadcast` (mse_loss,
    l1_loss, smooth_l1_loss, which broadcast the two tensors before they promote) a 0-d
    tensor counts as one with dims: a 0-d float64 target makes a float32 x's loss float64."""
    tensor_target = not isinstance(target, bool | int | float | complex | np.generic)
    target = _as_tensor(target, x)
    if broadcast and tensor_target:
        dt = _promote_types(x.dtype, target.dtype)
    else:
        dt = result_dtype(x, target)
    if dt.kind not in "fc" and not keep_int:
        dt = default_float()
    return ops.cast(x, dt), ops.cast(target, dt)


def _loss_kernel(x: Tensor, target: Any, kernel: str) -> None:
    """Refuse integer and bool operands as PyTorch's loss kernel `kernel` (mse_cpu, ...):
    it runs in the dtype x and target promote to, floating point only."""
    dt = result_dtype(x, _as_tensor(target, x))
    if dt.kind != "f":  # complex too: mse_loss gave (1+1j)**2 = 2j, not a squared error
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{torch_name(dt)}'")


def _written_into_input(x: Tensor, target: Any, name: str) -> None:
    """PyTorch writes huber_loss and soft_margin_loss into a tensor of x's dtype: an
    integer x cannot hold their floating result."""
    if x.dtype.kind in "fc":
        return
    dt = result_dtype(x, _as_tensor(target, x))
    _float_into(x, name, dt if dt.kind in "fc" else default_float())


def _not_differentiable(value: Any, name: str, arg: str) -> None:
    """PyTorch's refusal, in its words, of a tensor that requires grad as an argument its
    kernel `name` has no gradient for (a loss's weights: minigrad gave them one)."""
    if isinstance(value, Tensor) and value.requires_grad and is_grad_enabled():
        raise RuntimeError(
            f"The function '{name}' is not differentiable with respect to argument '{arg}'. "
            "This input cannot have requires_grad True."
        )


def _float_into(x: Tensor, name: str, result: Any = np.float32) -> None:
    """PyTorch's refusal to write `name`'s floating result (of dtype `result`) into an
    integer or bool tensor like x."""
    if x.dtype.kind not in "fc":
        raise RuntimeError(
            f"{name}: result type {torch_name(result)} can't be cast to the desired output "
            f"type {torch_name(x.dtype)}"
        )


def _no_bool_sub(a: Tensor, b: Tensor, name: str) -> None:
    """PyTorch's refusal of `a - b` with a bool operand (`name` computes the difference)."""
    try:
        check_sub(a, b)
    except RuntimeError as e:
        raise RuntimeError(f"{name}: {e}") from None


def _float_target(target: Any, x: Tensor, name: str, same: bool) -> Tensor:
    """A floating target as PyTorch takes it: `same` (binary_cross_entropy) requires x's
    dtype; otherwise (with logits) a float target is cast to x's dtype. An integer or bool
    target is refused, as in PyTorch."""
    t = _as_tensor(target, x)
    if t.dtype.kind != "f" or (same and t.dtype != x.dtype):
        raise DtypeError(
            f"{name}: target of dtype {t.dtype} for an input of dtype {x.dtype}; PyTorch "
            f"requires a {'target of the same dtype' if same else 'floating target'} "
            "(cast it with .to(dtype))"
        )
    return ops.cast(t, x.dtype)


def _dtype_of(value: Any) -> np.dtype:
    if isinstance(value, Tensor):
        return value.dtype
    return value.dtype if hasattr(value, "dtype") else np.asarray(value).dtype


def _check_same_shape(x: Tensor, target: Tensor, name: str) -> None:
    if x.shape != target.shape:
        raise ShapeError(
            f"{name}: input of shape {x.shape} and target of shape {target.shape} differ; "
            "they must have the same shape"
        )


def _broadcast_target(x: Tensor, target: Tensor, name: str) -> tuple[Tensor, Tensor]:
    """x and target broadcast together, with PyTorch's warning when their shapes differ
    (an (N, 1) prediction against an (N,) target gives an (N, N) loss: usually a bug)."""
    if x.shape == target.shape:
        return x, target
    warnings.warn(
        f"{name}: using a target size ({target.shape}) that is different to the input size "
        f"({x.shape}). This will likely lead to incorrect results due to broadcasting. "
        "Please ensure they have the same size.",
        UserWarning,
        stacklevel=3,
    )
    try:
        shape = tuple(np.broadcast_shapes(x.shape, target.shape))
    except ValueError:
        raise RuntimeError(
            f"{name}: the input of shape {x.shape} and the target of shape {target.shape} "
            "do not broadcast"
        ) from None
    return ops.broadcast_to(x, shape), ops.broadcast_to(target, shape)


# ---------------------------------------------------------------------- regression losses
def mse_loss(
    input: Tensor,
    target: Any,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    weight: Any = None,
) -> Tensor:
    """Squared error (x - target)^2. x, target: same shape; `weight` (x's shape) scales
    each element, and 'mean' then divides by the sum of the weights (PyTorch's)."""
    x = input
    reduction = legacy_reduction(size_average, reduce, reduction)
    reduction = _reduction(reduction, "mse_loss")
    _loss_kernel(x, target, "mse_cpu")
    x, target = _broadcast_target(*_promoted(x, target, broadcast=True), "mse_loss")
    d = x - target
    if weight is not None:
        return _weighted(d * d, weight, input, reduction, "mse_loss")
    return _reduce(d * d, reduction)


def l1_loss(
    input: Tensor,
    target: Any,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    weight: Any = None,
) -> Tensor:
    """Absolute error |x - target|; the gradient at a tie is 0. x, target: same shape;
    `weight` as in `mse_loss`. Integer x and target give an integer loss, as PyTorch's
    (whose 'mean' then refuses)."""
    x = input
    reduction = legacy_reduction(size_average, reduce, reduction)
    reduction = _reduction(reduction, "l1_loss")
    _no_bool_sub(x, _as_tensor(target, x), "l1_loss")
    x, target = _broadcast_target(*_promoted(x, target, keep_int=True, broadcast=True), "l1_loss")
    if weight is not None:
        return _weighted(ops.abs(x - target), weight, input, reduction, "l1_loss")
    return _reduce(ops.abs(x - target), reduction, "l1_loss")


def _broadcast_difference(x: Tensor, target: Any, name: str) -> Tensor:
    """d = x - target in the promoted dtype (as `mse_loss`'s: a 0-d target counts as one
    with dims)."""
    x, target = _broadcast_target(*_promoted(x, target, broadcast=True), name)
    return x - target


class SquareOrLinear(Function):
    """smooth_l1_loss's and huber_loss's elementwise terms of d = x - target in one node:
    0.5 d^2 / w where |d| < w (and at NaN), else |d| - 0.5 w (smooth L1, w = beta); with
    `huber`, 0.5 d^2 and w (|d| - 0.5 w) (w = delta). The forward makes the NumPy calls
    the composite of ops (the functions' code below it) makes, so its bits. The gradient
    is PyTorch's, in its vector kernel's order: (d / w) gy where the square is taken (huber
    d gy), +-gy (huber +-w gy) elsewhere; the composite's (gy / w) d + 0.5-products
    overflowed for a tiny beta (5e9 came out inf at beta 1e-30) and lost the smallest
    subnormal d. The first-order backward and a recorded one (create_graph, with ops) make
    the same steps. For NumPy arrays of float32 and float64 (`handles`):
    float16 takes the ops, which work a product with a number in float32."""

    def __init__(self, width: float, huber: bool) -> None:
        self.width, self.huber = width, huber

    @staticmethod
    def handles(d: Tensor) -> bool:
        return numpy_float(d._data)

    def forward(self, d):
        t, w = d.dtype.type, self.width
        ad = np.abs(d)
        self.small = small = (ad < w) | np.isnan(d)
        dq = where_arrays(small, d, t(0))
        sq = t(0.5) * dq * dq
        if self.huber:
            lin = t(w) * (ad - t(0.5 * w))
        else:
            sq /= t(w)
            lin = ad - t(0.5 * w)
        return where_arrays(small, sq, lin)

    def backward(self, gy):
        d, small, w = self.inputs[0], self.small, self.width
        if not is_grad_enabled():
            return Tensor._make(self._backward_arrays(gy._data, d._data), False)
        # recorded: the slope d / w only where |d| < w, so that at a NaN d the second
        # derivative is 0 as PyTorch's (its double backward takes |d| < w, False at NaN);
        # the NaN slope there comes in as a constant, the same value as the first order's
        nan = np.isnan(d._data)
        square = small & ~nan
        ends = Tensor._make(where_arrays(nan, d._data, self._ends(d._data)), False)
        inner = ops.where(square, d, 0.0)
        return ops.where(square, inner if self.huber else inner / w, ends) * gy

    def _ends(self, d: Any) -> Any:
        """The linear part's slope, +-1 (huber: +-delta) by the sign of d."""
        t = d.dtype.type
        end = t(self.width) if self.huber else t(1)
        return where_arrays(d > 0, end, -end)

    def _backward_arrays(self, gy: Any, d: Any) -> Any:
        t, w, small = d.dtype.type, self.width, self.small
        gy = dense_gradient(gy, d)
        inner = where_arrays(small, d, t(0))
        if not self.huber:
            inner /= t(w)
        return where_arrays(small, inner, self._ends(d)) * gy


def _square_or_linear(d: Tensor, ad: Tensor, width: float, square: Any, linear: Tensor) -> Tensor:
    """smooth_l1's and huber's composite (float16, CuPy): `square(dq)` where |d| < width
    (dq: d there, 0 elsewhere, so that an infinite d gives no NaN gradient), `linear`
    elsewhere; at a NaN d a NaN whose slope is NaN and second derivative 0, as PyTorch's
    (the |d| branch's slope was 0 there, the square's second derivative 1 / width)."""
    xp = get_array_module(d._data)
    small = ad._data < width
    nan = xp.isnan(d._data)
    # d times NaN at a NaN d and 0 elsewhere: the other elements' gradient stays 0
    nan_part = d * Tensor._make(xp.where(nan, d._data, 0), False)
    dq = ops.where(small, d, 0.0)
    return ops.where(small, square(dq), ops.where(nan, nan_part, linear))


def smooth_l1_loss(
    input: Tensor,
    target: Any,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    beta: float = 1.0,
) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, |d| - 0.5 beta elsewhere (d = x - target); beta = 0
    is the L1 loss. x, target: same shape."""
    x = input
    reduction = legacy_reduction(size_average, reduce, reduction)
    reduction = _reduction(reduction, "smooth_l1_loss")
    if not beta >= 0:  # NaN too
        raise ValueRangeError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    if beta == 0:
        return l1_loss(x, target, reduction=reduction)
    _loss_kernel(x, target, "smooth_l1_cpu")
    d = _broadcast_difference(x, target, "smooth_l1_loss")
    if SquareOrLinear.handles(d):
        return _reduce(SquareOrLinear(beta, huber=False)(d), reduction)
    ad = ops.abs(d)
    loss = _square_or_linear(d, ad, beta, lambda dq: 0.5 * dq * dq / beta, ad - 0.5 * beta)
    return _reduce(loss, reduction)


def huber_loss(
    input: Tensor, target: Any, reduction: str = "mean", delta: float = 1.0, weight: Any = None
) -> Tensor:
    """0.5 d^2 where |d| < delta, delta (|d| - 0.5 delta) elsewhere (d = x - target):
    smooth_l1_loss times beta. x, target: same shape; `weight` (x's shape) scales each
    element before the reduction (a plain mean, PyTorch's)."""
    x = input
    reduction = _reduction(reduction, "huber_loss")
    if not delta > 0:  # NaN too
        raise ValueRangeError(f"huber_loss: delta must be positive, got {delta}")
    _loss_kernel(x, target, "huber_cpu")
    _written_into_input(x, target, "huber_loss")
    d = _broadcast_difference(x, target, "huber_loss")
    if math.isinf(delta):  # every |d| takes the square (the other branch's inf * 0 was NaN)
        return _weighted_reduce(0.5 * d * d, weight, input, reduction)
    if SquareOrLinear.handles(d):
        return _weighted_reduce(SquareOrLinear(delta, huber=True)(d), weight, input, reduction)
    ad = ops.abs(d)
    loss = _square_or_linear(d, ad, delta, lambda dq: 0.5 * dq * dq, delta * (ad - 0.5 * delta))
    return _weighted_reduce(loss, weight, input, reduction)


def _weighted_reduce(loss: Tensor, weight: Any, input: Tensor, reduction: str) -> Tensor:
    """huber_loss's optional elementwise weight (input's shape), then the reduction."""
    if weight is not None:
        w = _as_target(weight, loss)
        if w.shape != input.shape:
            raise ShapeError(
                f"huber_loss: weight of shape {w.shape} for an input of shape {input.shape}; they "
                "must have the same size"
            )
        loss = loss * w
    return _reduce(loss, reduction)


_KL_REDUCTIONS = ("mean", "batchmean", "sum", "none")


def kl_div(
    input: Tensor,
    target: Any,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    log_target: bool = False,
) -> Tensor:
    """KL(target || q) with x = log q, pointwise target (log target - x), 0 where target is
    0 (`log_target`: target holds log-probabilities). 'batchmean' divides the sum by the
    batch size, the true KL divergence per sample; 'mean' divides by every element and
    warns, as PyTorch does."""
    x = input
    reduction = legacy_reduction(size_average, reduce, reduction)
    if _dtype_of(x).kind in "biuc" or _dtype_of(target).kind in "biuc":
        raise RuntimeError(
            f"kl_div: integral and complex inputs are not supported (input {_dtype_of(x)}, "
            f"target {_dtype_of(target)}), as in PyTorch"
        )
    warn_mean = reduction == "mean"  # (PyTorch's 'elementwise_mean' gets its own warning only)
    if reduction == "elementwise_mean":
        reduction = _reduction(reduction, "kl_div")
    if reduction not in _KL_REDUCTIONS:
        raise ValueError(f"kl_div: reduction must be one of {_KL_REDUCTIONS}, got {reduction!r}")
    x, target = _promoted(x, target)
    if log_target:
        loss = ops.exp(target) * (target - x)
    else:
        zero = (target == 0)._data
        # where, not t * log t: 0 * log 0 would be NaN in the value and in the gradient
        loss = target * ops.log(ops.where(zero, 1.0, target)) - target * x
    if warn_mean:
        warnings.warn(  # PyTorch's words
            "reduction: 'mean' divides the total loss by both the batch size and the support "
            "size.'batchmean' divides only by the batch size, and aligns with the KL div math "
            "definition.'mean' will be changed to behave the same as 'batchmean' in the next "
            "major release.",
            UserWarning,
            stacklevel=2,
        )
    if reduction == "batchmean":  # the input's batch size, as PyTorch: not that of the loss,
        total = loss.sum()  # which a larger target broadcasts it to
        return total / input.shape[0] if input.ndim else total
    return _reduce(loss, reduction)


# ---------------------------------------------------------------------- binary losses
_BCE_EPSILON = float(np.float32(1e-12))


class BinaryCrossEntropy(Function):
    """-(y log x + (1 - y) log(1 - x)), each log clamped at -100 as PyTorch does."""

    def forward(self, x, y):
        xp = get_array_module(x)
        with np.errstate(divide="ignore"):  # log(0) = -inf, clamped just below
            log_x = xp.maximum(xp.log(x), -100)
            log_1mx = xp.maximum(xp.log1p(-x), -100)
        return (y - 1) * log_1mx - y * log_x

    def backward(self, gy):
        x, y = self.inputs
        nx, ny = self.needs_input_grad
        # PyTorch's rule: the clamp keeps x = 0 or 1 finite; its EPSILON is a float32 1e-12
        # (9.99999996e-13, also in float64: 4e-9 apart where x (1 - x) < 1e-12)
        gx = gy * (x - y) / ops.clip(x * (1 - x), min=_BCE_EPSILON) if nx else None
        gt = None
        if ny:
            gt = gy * (ops.clip(ops.log(1 - x), min=-100) - ops.clip(ops.log(x), min=-100))
        return gx, gt


def _check_probabilities(x: Any, t: Any) -> None:
    """PyTorch's element-wise check of binary_cross_entropy: input, then target, of the
    first element where either lies outside [0, 1] or is NaN."""
    bad_x = ~((x >= 0) & (x <= 1))
    bad = bad_x | ~((t >= 0) & (t <= 1))
    if not bad.any():
        return
    i = int(np.argmax(bad.reshape(-1)))
    name, arr = ("input", x) if bad_x.reshape(-1)[i] else ("target", t)
    at = "".join(f"[{int(k)}]" for k in np.unravel_index(i, arr.shape))
    raise ValueRangeError(
        f"binary_cross_entropy: all elements of {name} should be between 0 and 1, got "
        f"{name}{at} = {arr.reshape(-1)[i].item()}"
    )


def binary_cross_entropy(
    input: Tensor,
    target: Any,
    weight: Any = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """BCE of probabilities x in [0, 1] against targets in [0, 1] (others, NaN included,
    raise as in PyTorch); `weight` broadcasts to x. x, target: same shape (N, *)."""
    x = input
    reduction = legacy_reduction(size_average, reduce, reduction)
    reduction = _reduction(reduction, "binary_cross_entropy")
    _not_differentiable(weight, "binary_cross_entropy", "weight")
    target = _float_target(target, x, "binary_cross_entropy", same=True)
    _check_same_shape(x, target, "binary_cross_entropy")
    # a host-side range check would stall the GPU every step, so only the CPU checks
    if x.device == "cpu" and x.numel():
        _check_probabilities(x._data, target._data)
    loss = BinaryCrossEntropy()(x, target)
    if weight is not None:
        loss = loss * _weight_of(weight, x, "weight", "binary_cross_entropy")
    return _reduce(loss, reduction)


class LogitsBCE(Function):
    """PyTorch's elementwise BCE of logits x against targets t, (1 - t) x + w softplus(-x)
    with w = 1 + (pw - 1) t (pw: pos_weight, 1 when not given), and PyTorch's gradients in
    closed form: d/dx = w sigmoid(x) - pw t, d/dt = (pw - 1) softplus(-x) - x (pw takes
    no gradient: PyTorch refuses one that requires grad). Differentiating the formula
    instead gave 1 - sigmoid(-x) for d/dx, which cancels to 0 below about x = -17 in
    float32 (a confident negative's gradient, 2e-9 there, lost)."""

    def forward(self, x, t, pw=None):
        sp = _softplus(-x)
        if pw is not None:
            sp = ((pw - 1) * t + 1) * sp
        return (1 - t) * x + sp

    def backward(self, gy):
        x, t = self.inputs[:2]
        pw = self.inputs[2] if len(self.inputs) == 3 else None
        needs = self.needs_input_grad
        s = ops.sigmoid(x)
        gx = gt = None
        if needs[0]:
            gx = gy * (s - t) if pw is None else gy * (((pw - 1) * t + 1) * s - pw * t)
        if needs[1]:
            gt = -(gy * x) if pw is None else gy * ((pw - 1) * ops.softplus(-x) - x)
        return (gx, gt) if pw is None else (gx, gt, None)


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Any,
    weight: Any = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    pos_weight: Any = None,
) -> Tensor:
    """BCE of sigmoid(x), computed from logits as (1 - y) x + softplus(-x) so it stays
    finite for any x; `pos_weight` (C,) scales the positive term. x, target: (N, *). The
    gradients are PyTorch's closed forms (`LogitsBCE`)."""
    x = input
    reduction = legacy_reduction(size_average, reduce, reduction)
    reduction = _reduction(reduction, "binary_cross_entropy_with_logits")
    _not_differentiable(weight, "binary_cross_entropy_with_logits", "weight")
    _not_differentiable(pos_weight, "binary_cross_entropy_with_logits", "pos_weight")
    float_kernel(x, "log_sigmoid_cpu", real=True)  # PyTorch's refusal of integer and complex logits
    target = _float_target(target, x, "binary_cross_entropy_with_logits", same=False)
    _check_same_shape(x, target, "binary_cross_entropy_with_logits")
    if pos_weight is None:
        loss = LogitsBCE()(x, target)
    else:
        pw = _weight_of(pos_weight, x, "pos_weight", "binary_cross_entropy_with_logits")
        loss = LogitsBCE()(x, target, pw)
    if weight is not None:
        loss = loss * _weight_of(weight, x, "weight", "binary_cross_entropy_with_logits")
    return _reduce(loss, reduction)


# ---------------------------------------------------------------------- classification
def nll_loss(
    input: Tensor,
    target: Any,
    weight: Any = None,
    size_average: bool | None = None,
    ignore_index: int = -100,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of class indices. x: log-probabilities (N, C) or
    (N, C, d1, ...), or (C,); target: integers (N,) / (N, d1, ...) / (). `weight` (C,)
    weighs classes; 'mean' divides by the total weight of the non-ignored targets."""
    x = input
    reduction = legacy_reduction(size_average, reduce, reduction)
    reduction = _reduction(reduction, "nll_loss")
    if x.ndim == 0:
        raise ShapeError("nll_loss: input must have at least 1 dim (classes), got a scalar")
    if isinstance(weight, Tensor) and weight.requires_grad and is_grad_enabled():
        raise RuntimeError(  # (its gradient was silently left None)
            "nll_loss: the class weight is not differentiable (PyTorch's nll_loss_forward "
            "refuses it too): this input cannot have requires_grad True; pass weight.detach()"
        )
    xp = get_array_module(x._data)
    t = target._data if isinstance(target, Tensor) else xp.asarray(target)
    expected = () if x.ndim == 1 else x.shape[:1] + x.shape[2:]
    if tuple(t.shape) != expected:
        raise ShapeError(
            f"nll_loss: input of shape {x.shape} needs a target of shape {expected}, "
            f"got target of shape {tuple(t.shape)}"
        )
    if t.dtype not in (np.int64, np.uint8):
        raise DtypeError(
            f"nll_loss: target must hold int64 (or, for (N, C) input, uint8) class indices, as "
            f"in PyTorch; "
            f"got {t.dtype} (cast it with .long())"
        )
    if t.dtype == np.uint8 and x.ndim > 2:  # PyTorch's kernel takes Byte for (N, C) only
        raise RuntimeError("expected scalar type Long but found Byte")
    if x.dtype.kind == "c":  # (it gave a complex "loss")
        raise NotImplementedError(
            f"nll_loss: \"nll_loss_out_frame\" not implemented for '{torch_name(x.dtype)}'"
        )
    n_classes = x.shape[0] if x.ndim == 1 else x.shape[1]
    flat = x.reshape(1, n_classes) if x.ndim == 1 else x
    if x.ndim > 2:  # classes last, then one row per target
        flat = flat.permute(0, *range(2, x.ndim), 1)
    flat = flat.reshape(t.size, n_classes)  # (-1 cannot be inferred for C = 0)
    t = xp.asarray(t).reshape(-1).astype(np.int64, copy=False)  # uint8 would index as a mask
    valid = t != ignore_index
    safe = xp.where(valid, t, 0)
    if x.device == "cpu" and safe.size:
        out = valid & ((safe < 0) | (safe >= n_classes))  # (an ignored one's 0 is no class
        if out.any():  # when C = 0)
            bad = int(safe[out][0])
            raise IndexError(f"nll_loss: target {bad} is out of range for {n_classes} classes")
    coef = valid.astype(x.dtype)
    if weight is not None:
        w = weight._data if isinstance(weight, Tensor) else xp.asarray(weight)
        if tuple(w.shape) != (n_classes,):
            raise ShapeError(f"nll_loss: weight of shape {tuple(w.shape)} for {n_classes} classes")
        if n_classes:  # (none: every target is ignored, each coefficient 0 already)
            coef = coef * w.astype(x.dtype, copy=False)[safe]
    if n_classes:
        picked = ops.getitem(flat, (xp.arange(t.size), safe))
    else:  # every target ignored (checked above): zeros, in the graph as PyTorch's
        picked = flat.sum(dim=1)
    # a select, not a product: an ignored target's gradient is 0 even when every target is
    # ignored and 'mean' divides by a total weight of 0 (PyTorch gives a NaN loss, 0 grad)
    loss = Mask(keep_bits(valid, x.dtype), -coef)(picked)
    if reduction == "none":
        return loss.reshape(expected)
    if x.dtype == np.float16 and xp is np:
        return _half_nll_total(loss, valid, coef if weight is not None else None, reduction)
    if reduction == "sum":
        return loss.sum()
    # divide by a device array, not a Python float, so the GPU is not synchronised
    return loss.sum() / Tensor._make(coef.sum(), False)


def cross_entropy(
    input: Tensor,
    target: Any,
    weight: Any = None,
    size_average: bool | None = None,
    ignore_index: int = -100,
    reduce: bool | None = None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Softmax cross-entropy of logits x (N, C) / (N, C, d1, ...) / (C,) against class
    indices (like `nll_loss`) or, when target is floating with x's shape, class
    probabilities. `label_smoothing` e mixes in the uniform distribution with PyTorch's
    formula: (1 - e) * nll + e / C * (the loss against uniform targets), weighted and
    ignoring targets as the nll part does."""
    x = input
    reduction = legacy_reduction(size_average, reduce, reduction)
    reduction = _reduction(reduction, "cross_entropy")
    if label_smoothing > 1.0:  # PyTorch's check: a negative (or NaN) value smooths nothing
        raise ValueRangeError(
            f"cross_entropy: label_smoothing must be between 0.0 and 1.0, got {label_smoothing}"
        )
    if x.ndim == 0:  # PyTorch's RuntimeError (log_softmax's IndexError otherwise)
        raise ShapeError("cross_entropy: input must have at least 1 dim (classes), got a scalar")
    cdim = 0 if x.ndim == 1 else 1
    if not isinstance(target, Tensor):  # None gave a shape error about shape ()
        raise TypeError(
            f"cross_entropy(): argument 'target' must be Tensor, not {type(target).__name__}"
        )
    same_shape = target.shape == x.shape
    if target.dtype.kind == "f" and not same_shape and target.ndim == x.ndim - 1:
        raise DtypeError(  # class indices as floats: the shape error named the wrong cause
            f"cross_entropy: expected target dtype to be Long or Byte (class indices), but got "
            f"{target.dtype} (cast it with .long())"
        )
    if target.dtype.kind in "iub" and same_shape and x.ndim > 1:
        raise DtypeError(
            f"cross_entropy: expected a floating point target for class probabilities (target "
            f"of the input's shape {x.shape}), got {target.dtype}; one-hot rows need .float()"
        )
    logp = ops.log_softmax(x, cdim)
    if _dtype_of(target).kind != "f":
        nll = nll_loss(logp, target, weight, ignore_index=ignore_index, reduction=reduction)
        if not label_smoothing > 0:
            return nll
        smooth = _uniform_target_loss(logp, target, weight, ignore_index, reduction)
        return (1 - label_smoothing) * nll + smooth * _per_class(label_smoothing, x.shape[cdim])
    if ignore_index != -100:  # a class-probability target has no index to ignore
        raise RuntimeError("ignore_index is not supported for floating point target")
    logp, target = _promoted(logp, target)
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + _per_class(label_smoothing, x.shape[cdim])
    _check_same_shape(x, target, "cross_entropy")
    prod = logp * target
    if weight is not None:
        w = _as_target(weight, x)
        prod = prod * (w if x.ndim == 1 else w.reshape((-1,) + (1,) * (x.ndim - 2)))
    if prod.dtype == np.float16 and reduction != "none" and x.numel():
        # PyTorch's order: one float16 sum of all the terms (inf where it overflows), then
        # / N in float32; the rows' sums, then their mean, were finite past 65504
        total = -prod.sum()
        return total if reduction == "sum" else total / (x.numel() // x.shape[cdim])
    loss = -prod.sum(dim=0 if x.ndim == 1 else 1)
    if reduction == "mean" and x.numel() == 0:  # PyTorch's NaN, also where C = 0 leaves
        return loss.sum() * math.nan  # rows of 0 (their mean is 0 otherwise)
    return _reduce(loss, reduction)


def _per_class(label_smoothing: float, n_classes: int) -> float:
    """label_smoothing / C, the smoothed mass of each class; inf for no classes, as
    PyTorch's double division by an integer 0 gives (a Python division raised)."""
    return label_smoothing / n_classes if n_classes else math.inf


def linear_cross_entropy(
    input: Tensor,
    linear_weight: Tensor,
    target: Tensor,
    *,
    linear_bias: Tensor | None = None,
    weight: Tensor | None = None,
    reduction: str = "mean",
    ignore_index: int | None = None,
    label_smoothing: float = 0.0,
    options: Any = None,
) -> Tensor:
    """cross_entropy(linear(x, W, b), target), PyTorch's reference path. x: (N, in) or (in,);
    W: (C, in), or (C, d1, ..., dK, in) for a K-dim loss of batched x (logits
    (N, C, d1, ..., dK)); b: W's shape less its last dim. A target of the logits' shape holds
    class probabilities, where `ignore_index` (None: -100 for class indices) is refused.
    `options` (PyTorch's chunked path, which saves memory only) must be None."""
    if options is not None:
        raise NotImplementedError(
            "linear_cross_entropy: options (PyTorch's chunked path) is not supported; pass "
            "options=None for the reference path, which gives the same values"
        )
    if input.ndim not in (1, 2):
        raise RuntimeError(
            f"linear_cross_entropy: expected input with dimensionality 1 or 2, got {input.ndim}"
        )
    if linear_weight.ndim < 2:
        raise RuntimeError(
            "linear_cross_entropy: expected linear_weight with dimensionality at least 2, got "
            f"{linear_weight.ndim}"
        )
    in_features = input.shape[-1]
    if in_features != linear_weight.shape[-1]:
        raise RuntimeError(
            "linear_cross_entropy: expected equal input and linear_weight last dimensions "
            f"(in_features), got {in_features} and {linear_weight.shape[-1]}, respectively"
        )
    num_classes, out_features = linear_weight.shape[0], tuple(linear_weight.shape[1:-1])
    if linear_bias is not None and tuple(linear_bias.shape) != (num_classes, *out_features):
        raise RuntimeError(
            f"linear_cross_entropy: expected linear_bias shape {(num_classes, *out_features)}, "
            f"got {tuple(linear_bias.shape)}"
        )
    if out_features and input.ndim == 1:
        raise RuntimeError(
            "linear_cross_entropy: K-dimensional loss defined by linear_weight shape "
            f"{tuple(linear_weight.shape)} requires batched input, (N, {in_features}), got "
            f"unbatched input with shape {tuple(input.shape)}"
        )
    logits_shape = (*input.shape[:-1], num_classes, *out_features)
    if tuple(target.shape) == logits_shape and ignore_index is not None:
        raise RuntimeError(
            "linear_cross_entropy: ignore_index cannot be specified when target contains "
            "probabilities"
        )
    if out_features:  # one (C * d1 * ... * dK, in) product, its rows then (C, d1, ...)
        n_out = math.prod(out_features, start=num_classes)
        linear_weight = linear_weight.reshape(n_out, in_features)
        if linear_bias is not None:
            linear_bias = linear_bias.reshape(n_out)
    logits = linear(input, linear_weight, linear_bias).reshape(logits_shape)
    return cross_entropy(
        logits,
        target,
        weight,
        ignore_index=-100 if ignore_index is None else ignore_index,
        reduction=reduction,
        label_smoothing=label_smoothing,
    )


# PyTorch's CPU nll_loss adds its float16 terms in the dtype itself, in a cascade of 8
# partial sums: the first takes each kept row's term; after a kept row whose index is a
# multiple of 16 it is added into the second and restarts, the second into the third after
# a multiple of 16^2, and so on; at the end the 8 are added up in order. Each addition
# rounds to float16, so the total is not the one rounding of a float32 sum (2048 rows of
# 0.693: 0.69434, not 0.69336), and an overflow gives inf where float32 stays finite.
_CASCADE_LEVELS = 8
_SHORT_RUN = 64  # runs up to this long are added side by side, longer ones one by one


def _half_nll_total(loss: Tensor, valid: Any, weights: Any, reduction: str) -> Tensor:
    """nll_loss's 'sum' or 'mean' of float16 terms `loss` (one per row, 0 at ignored rows)
    as PyTorch's CPU kernel computes it (see _CASCADE_LEVELS). 'mean' divides by the kept
    rows' count rounded to float16 (inf from 65520 rows on, so the mean is 0, as PyTorch's),
    or by the cascade's sum of their `weights`."""
    rows = np.flatnonzero(valid)
    total = _CascadeSum(rows)(loss)
    if reduction == "sum":
        return total
    if weights is None:
        with np.errstate(over="ignore"):
            kept = np.asarray(rows.size, dtype=np.float16)
    else:
        kept = _cascade_sum(weights[rows], rows, valid.size)
    return total / Tensor._make(kept, False)


class _CascadeSum(Function):
    """The sum of a 1-d float16 tensor's values at `rows` in PyTorch's nll_loss cascade
    (`_cascade_sum`); the gradient reaches every value, as a sum's does."""

    uses_inputs = False

    def __init__(self, rows: Any) -> None:
        self.rows = rows

    def forward(self, terms):
        self.shape = terms.shape
        return _cascade_sum(terms[self.rows], self.rows, terms.size)

    def backward(self, gy):
        return ops.broadcast_to(gy, self.shape)


def _cascade_sum(values: Any, rows: Any, n: int) -> Any:
    """The 0-d float16 total of `values`, the terms of the kept rows `rows` (ascending) of
    n, added as PyTorch's nll_loss cascade adds them (see _CASCADE_LEVELS)."""
    power = max(4, (max(n, 2) - 1).bit_length() // _CASCADE_LEVELS)  # its CeilLog2(n) / 8
    leftovers = []
    for level in range(_CASCADE_LEVELS):
        if level < _CASCADE_LEVELS - 1:  # the last level is never passed on
            passed = rows % (1 << (power * (level + 1))) == 0
        else:
            passed = np.zeros(rows.size, dtype=bool)
        run = np.cumsum(passed) - passed  # the run each value is added to
        sums = _sequential_half_sums(values, run, int(passed.sum()) + 1)
        leftovers.append(sums[-1])  # the run still open at the end
        values, rows = sums[:-1], rows[passed]
    total = np.zeros((), dtype=np.float16)
    for part in leftovers:
        total = np.add(total, part, out=total)
    return total


def _sequential_half_sums(values: Any, run: Any, n_runs: int) -> Any:
    """Per run (`run`: each value's, ascending), 0 + v0 + v1 + ... left to right with each
    addition rounded to float16, as a float16 accumulator adds. Short runs are rows of a
    zero-padded matrix accumulated along its rows (adding 0 changes no partial sum)."""
    lengths = np.bincount(run, minlength=n_runs)
    starts = np.cumsum(lengths) - lengths
    out = np.zeros(n_runs, dtype=np.float16)
    short = lengths <= _SHORT_RUN
    if values.size and short.any():
        row_of = np.cumsum(short) - 1  # a short run's row in the matrix
        mine = short[run]
        grid = np.zeros((int(short.sum()), int(lengths[short].max()) + 1), dtype=np.float16)
        col = np.arange(values.size) - starts[run] + 1  # column 0 is the accumulator's 0
        grid[row_of[run[mine]], col[mine]] = values[mine]
        out[short] = np.add.accumulate(grid, axis=1)[:, -1]
    for r in np.flatnonzero(~short):
        part = values[starts[r] : starts[r] + lengths[r]]
        out[r] = np.add.accumulate(np.concatenate([np.zeros(1, np.float16), part]))[-1]
    return out


def _uniform_target_loss(
    logp: Tensor, target: Any, weight: Any, ignore_index: int, reduction: str
) -> Tensor:
    """PyTorch's smoothing term: -sum_c w_c logp_c per target, 0 at ignored targets; 'mean'
    divides by the weight of the kept targets (their count without weights)."""
    xp = get_array_module(logp._data)
    cdim = 0 if logp.ndim == 1 else 1
    t = target._data if isinstance(target, Tensor) else xp.asarray(target)
    valid = t != ignore_index
    if weight is not None:
        w = _as_target(weight, logp)
        if logp.ndim > 2:  # classes on dim 1 of (N, C, d1, ...)
            w = w.reshape((-1,) + (1,) * (logp.ndim - 2))
        logp = logp * w
    loss = ops.where(valid, -logp.sum(dim=cdim), 0.0)
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if weight is None and logp.dtype == np.float16:
        # the count as a number, as PyTorch divides float16 by it (in float32): as float16
        # a count from 65520 on is inf, and an inf sum over it gave NaN, not inf
        return loss.sum() / int(valid.sum())
    if weight is None:
        denom = valid.sum().astype(logp.dtype)
    else:
        w = weight._data if isinstance(weight, Tensor) else xp.asarray(weight)
        if w.size:
            denom = (w.astype(logp.dtype, copy=False)[xp.where(valid, t, 0)] * valid).sum()
        else:  # no classes: every target ignored
            denom = xp.zeros((), logp.dtype)
    return loss.sum() / Tensor._make(xp.asarray(denom), False)


def layer_norm(
    input: Tensor,
    normalized_shape: Any,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """(x - mean) / sqrt(var + eps) over the trailing `normalized_shape` dims (biased
    variance), then * weight + bias (both of `normalized_shape`). One node on NumPy float
    arrays, composed of ops elsewhere (ops/layernorm.py); double backward either way."""
    x = input
    if x.dtype == np.float16:  # PyTorch computes half norms in float32 (squares overflow)
        w, b = widen_half(weight), widen_half(bias)
        return layer_norm(x.float(), normalized_shape, w, b, eps).half()
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if k == 0 or x.ndim < k or tuple(x.shape[x.ndim - k :]) != shape:
        raise ShapeError(
            f"layer_norm: normalized_shape {list(shape)} must match the trailing dims of the "
            f"input of shape {x.shape}"
        )
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and tuple(p.shape) != shape:
            raise ShapeError(f"layer_norm: {name} of shape {p.shape}, expected {shape}")
    float_kernel(x, "LayerNormKernelImpl")
    return _layer_norm(x, k, weight, bias, eps)


def rms_norm(
    input: Tensor,
    normalized_shape: Any,
    weight: Tensor | None = None,
    eps: float | None = None,
) -> Tensor:
    """x / sqrt(mean(x^2) + eps) over the trailing `normalized_shape` dims, then * weight,
    as PyTorch's decomposition: float16 computes in float32 and rounds at the end, and
    eps=None is the machine epsilon of that computation dtype."""
    x = input
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if x.ndim < k or tuple(x.shape[x.ndim - k :]) != shape:
        raise RuntimeError(
            f"Given normalized_shape={list(shape)}, expected input with shape "
            f"[*{', '.join(str(n) for n in shape)}], but got input of size{list(x.shape)}"
        )
    if weight is not None and tuple(weight.shape) != shape:
        raise RuntimeError(
            "Expected weight to be of same shape as normalized_shape, but got weight of shape "
            f"{list(weight.shape)} and normalized_shape = {list(shape)}"
        )
    float_kernel(x, "rms_norm")
    compute = np.float64 if x.dtype == np.float64 else np.float32
    if eps is None:
        eps = float(np.finfo(compute).eps)
    h = x.to(dtype=compute) if x.dtype != compute else x
    dims = tuple(range(x.ndim - k, x.ndim))
    y = (
        h * ops.rsqrt((h * h).mean(dim=dims, keepdim=True) + eps)
        if k
        else h * ops.rsqrt(h * h + eps)
    )
    if weight is not None:
        y = y * weight
    return y.to(dtype=x.dtype) if y.dtype != x.dtype else y


def local_response_norm(
    input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0
) -> Tensor:
    """x / (k + alpha * mean of x^2 over a window of `size` channels)^beta, the window
    padded with zeros (size // 2 before, (size - 1) // 2 after), as PyTorch's. PyTorch
    averages with an average pool, which takes int64 input only among the integer dtypes
    and truncates its mean there: so does this, and the result is then float32 (the
    default float), as PyTorch's."""
    x = input
    if x.ndim < 3:
        raise ValueError(
            f"Expected 3D or higher dimensionality                          input (got {x.ndim} "
            "dimensions)"
        )
    if x.numel() == 0:
        return x
    size = _int_arg("local_response_norm", "size", size)
    if size < 1:  # an empty window would divide by 0 (PyTorch's average pool refuses it)
        window = f"kH: {size} kW: 1" if x.ndim == 3 else f"kT: {size} kH: 1 kW: 1"
        raise RuntimeError(
            f"local_response_norm: kernel size should be greater than zero, but got {window}"
        )
    integer = x.dtype.kind in "iub"
    if integer and x.dtype != np.int64:
        kernel = "avg_pool2d" if x.ndim == 3 else "avg_pool3d_out_frame"
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{torch_name(x.dtype)}'")
    sq = x * x
    c = x.shape[1]
    widths = [0, 0] * (x.ndim - 2) + [size // 2, (size - 1) // 2]
    padded = ops.pad(sq, tuple(widths))
    total = padded[:, 0:c]
    for i in range(1, size):  # one shifted slice per window offset
        total = total + padded[:, i : i + c]
    mean = total.div(size, rounding_mode="trunc") if integer else total / size
    return x / (mean * alpha + k) ** beta


# ---------------------------------------------------------------------- distances
def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """x / max(||x||_p, eps) along `dim`. A zero vector maps to zero with gradient 1/eps:
    the clamp stops the gradient through the norm, as in PyTorch."""
    x = input
    if x.dtype.kind not in "fc":
        raise RuntimeError(
            "normalize: linalg.vector_norm: Expected a floating point or complex tensor as "
            f"input. Got {torch_name(x.dtype)}"
        )
    n = ops.norm(x, p, dim, keepdim=True)
    return x / ops.clip(n, min=eps)


def pairwise_distance(
    x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False
) -> Tensor:
    """||x1 - x2 + eps||_p over the last dim (PyTorch adds eps to the difference, which
    keeps identical inputs away from the norm's kink). x1, x2: (N, D) or broadcastable."""
    d = x1 - x2 + eps
    return ops.norm(d, p, max(d.ndim - 1, 0), keepdim)


def triplet_margin_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    margin: float = 1.0,
    p: float = 2.0,
    eps: float = 1e-6,
    swap: bool = False,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """max(d(a, p) - d(a, n) + margin, 0) with d = pairwise_distance(p, eps), as PyTorch;
    `swap` uses min(d(a, n), d(p, n)) as the negative distance. Inputs (N, D) or (D,)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    reduction = _reduction(reduction, "triplet_margin_loss")
    if margin <= 0:
        raise ValueError(f"triplet_margin_loss: margin must be greater than 0, got {margin}")
    dims = (anchor.ndim, positive.ndim, negative.ndim)
    if len(set(dims)) != 1:
        raise RuntimeError(
            "triplet_margin_loss: the anchor, positive, and negative tensors are expected to "
            f"have the same number of dimensions, but got: anchor {dims[0]}D, positive "
            f"{dims[1]}D, and negative {dims[2]}D inputs"
        )
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = ops.minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    # clamp_min, not relu: PyTorch passes the gradient at exactly zero
    return _reduce(ops.clip(margin + d_pos - d_neg, min=0.0), reduction)


def triplet_margin_with_distance_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    *,
    distance_function: Any = None,
    margin: float = 1.0,
    swap: bool = False,
    reduction: str = "mean",
) -> Tensor:
    """max(d(a, p) - d(a, n) + margin, 0) for any distance `d(x1, x2)` (pairwise_distance
    when None); `swap` uses min(d(a, n), d(p, n)) as the negative distance."""
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    dims = (anchor.ndim, positive.ndim, negative.ndim)
    if len(set(dims)) != 1:
        raise RuntimeError(
            "The anchor, positive, and negative tensors are expected to have the same number "
            f"of dimensions, but got: anchor {dims[0]}D, positive {dims[1]}D, and negative "
            f"{dims[2]}D inputs"
        )
    dist = pairwise_distance if distance_function is None else distance_function
    d_pos = dist(anchor, positive)
    d_neg = dist(anchor, negative)
    if swap:
        d_neg = ops.minimum(d_neg, dist(positive, negative))
    return _reduce(ops.clip(margin + d_pos - d_neg, min=0.0), reduction)


def gumbel_softmax(
    logits: Tensor, tau: float = 1, hard: bool = False, eps: float = 1e-10, dim: int = -1
) -> Tensor:
    """softmax((logits + g) / tau) along `dim`, g ~ Gumbel(0, 1) drawn from minigrad's
    generator (Jang et al., 2016). `hard` returns the one-hot of each sample's argmax with
    the soft sample's gradient (straight-through). `eps` is deprecated and unused, as in
    PyTorch."""
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    gumbels = -ops.log(logits.new_zeros(logits.shape).exponential_())
    y_soft = ops.softmax((logits + gumbels) / tau, dim)
    if not hard:
        return y_soft
    index = ops.argmax(y_soft, dim, keepdim=True)
    y_hard = ops.scatter(logits.new_zeros(logits.shape), dim, index, value=1.0)
    return y_hard - y_soft.detach() + y_soft


_CDIST_MODES = {
    "use_mm_for_euclid_dist_if_necessary": 0,
    "use_mm_for_euclid_dist": 1,
    "donot_use_mm_for_euclid_dist": 2,
}


def cdist(
    x1: Tensor,
    x2: Tensor,
    p: float = 2.0,
    compute_mode: str = "use_mm_for_euclid_dist_if_necessary",
) -> Tensor:
    """The p-norm distance between every row of x1 (..., P, M) and of x2 (..., R, M):
    (..., P, R), as torch.cdist, batch dims broadcast.

    As PyTorch, the Euclidean distance of more than 25 rows on either side (or with
    compute_mode='use_mm_for_euclid_dist') is one matrix product,
    ||a||^2 + ||b||^2 - 2 a.b, clamped at 0 before the square root (a square that
    rounds to <= 0 gives exactly 0, with gradient 0; NaN stays NaN): fast, and its float32
    rounding is PyTorch's (a row's distance to itself can come out near 1e-3, not 0). Otherwise, and
    for every other p, the distances come from the differences."""
    if compute_mode not in _CDIST_MODES:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    if not p >= 0:  # NaN too: the norm's message named no cdist
        raise RuntimeError(f"cdist only supports non-negative p values, got p={p}")
    for k, t in ((1, x1), (2, x2)):
        if t.dtype.kind != "f":
            raise RuntimeError(
                f"cdist only supports floating-point dtypes, X{k} got: {torch_name(t.dtype)}"
            )
    if x1.dtype == np.float16:  # PyTorch's CPU kernel has no half version
        raise NotImplementedError("\"cdist\" not implemented for 'Half'")
    if x1.dtype != x2.dtype:
        raise RuntimeError(
            f"cdist: expected scalar type {torch_name(x1.dtype)} but found {torch_name(x2.dtype)}"
        )
    if x1.ndim < 2 or x2.ndim < 2 or x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(
            f"cdist: expected (..., P, M) and (..., R, M) with one M, got {x1.shape} and {x2.shape}"
        )
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    mode = _CDIST_MODES[compute_mode]
    rows1, rows2 = x1.shape[-2], x2.shape[-2]
    by_product = p == 2 and (mode == 1 or (mode == 0 and (rows1 > 25 or rows2 > 25)))
    if by_product and x1.numel() and x2.numel():
        return _euclidean_dist(x1, x2)
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)  # (..., P, R, M)
    return _distance_norm(diff, p)


def _distance_norm(diff: Tensor, p: float) -> Tensor:
    """The p-norm of the differences over the last dim, as cdist and pdist compute it:
    0 for no coordinates, and for p = inf a gradient of sign(d) on every coordinate that
    ties for the largest |d| (norm's amax shares it among them; PyTorch's distance
    kernels give each its full sign)."""
    if diff.shape[-1] == 0:
        return diff.sum(-1)  # zeros of the right shape, connected to the inputs
    if p != math.inf:
        return ops.norm(diff, p, -1)
    size = diff.abs()
    top = size.detach().amax(-1, keepdim=True)
    ties = Tensor._make((size._data == top._data).astype(size.dtype), False)
    # the largest |d| as a constant, plus a term worth exactly 0 (|d| - |d|) whose
    # gradient is sign(d) at each tied coordinate
    return top.squeeze(-1) + ((size - size.detach()) * ties).sum(-1)


def _euclidean_dist(x1: Tensor, x2: Tensor) -> Tensor:
    """PyTorch's matrix-product Euclidean distance, op for op (so its gradient too): rows
    [-2 a, ||a||^2, 1] times rows [b, 1, ||b||^2] give ||a||^2 + ||b||^2 - 2 a.b."""
    n1 = (x1 * x1).sum(-1, keepdim=True)
    n2 = (x2 * x2).sum(-1, keepdim=True)
    xp = get_array_module(n1._data)
    a = ops.cat([x1 * -2.0, n1, Tensor._make(xp.ones_like(n1._data), False)], -1)
    b = ops.cat([x2, Tensor._make(xp.ones_like(n2._data), False), n2], -1)
    sq = a @ b.transpose(-2, -1)
    # a square rounded to <= 0 (a row's distance to itself) is exactly 0 with a gradient
    # of 0, as PyTorch's clamp_min_(0).sqrt_(); any positive square keeps its root, however
    # small (a clamp at 1e-30 zeroed every distance under 1e-15)
    kept = ~(sq._data <= 0)  # NaN kept: a NaN or inf row gives NaN, as PyTorch's
    safe = ops.where(kept, sq, 1.0)  # sqrt's gradient at the dropped places: finite, then 0
    return ops.where(kept, safe.sqrt(), 0.0)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """sum(x1 / max(||x1||, eps) * x2 / max(||x2||, eps)) along `dim`. As in PyTorch the
    clamp changes the value only: the gradient flows through the unclamped norm."""
    dim = _int_arg("cosine_similarity", "dim", dim)  # None summed every dim
    if eps < 0:  # a negative clamp gives NaN for a zero vector; PyTorch refuses it
        raise RuntimeError(f"cosine_similarity: eps must be non-negative, got: {eps}")
    dt = result_dtype(x1, x2)
    if dt.kind != "f":  # complex too, as PyTorch's
        raise RuntimeError(
            "cosine_similarity: expected common dtype to be floating point, yet common dtype "
            f"is {torch_name(dt)}"
        )
    if x1.shape != x2.shape:  # broadcast first: each norm is over the common shape's dim
        x1, x2 = ops.broadcast_tensors(x1, x2)
    parts = []
    for x in (x1, x2):
        n = ops.norm(x, 2, dim, keepdim=True)
        xp = get_array_module(n._data)
        with np.errstate(invalid="ignore"):  # an inf norm: inf - inf, NaN as in PyTorch
            lift = xp.maximum(n._data, eps) - n._data  # 0 unless the norm is below eps
        parts.append(x / (n + Tensor._make(lift, False)))
    return (parts[0] * parts[1]).sum(dim=dim)


# ---------------------------------------------------------------------- batch 2
def softmin(
    input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None
) -> Tensor:
    """softmax(-x) along `dim`; `dtype` casts the input first."""
    x = input
    if dtype is not None:
        x = x.to(dtype=dtype)
    return ops.softmax(-x, _softmax_dim(x, dim, "softmin"))


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale * (x if x > 0 else alpha (exp(x) - 1)) with PyTorch's constants; the slope at
    0 is the exponential branch's, as PyTorch's."""
    float_kernel(input, "elu_cpu")
    if inplace:
        return _in_place(input, "selu_", selu)
    x = input
    if x.dtype == np.float16:  # worked in float32 and rounded once, as PyTorch's
        return selu(x.float()).half()
    if ExpLinear.handles(x):  # one node: the composite below, its bits
        return ExpLinear(None, _SELU_ALPHA * _SELU_SCALE, _SELU_ALPHA * _SELU_SCALE, _SELU_SCALE)(x)
    a = x._data
    neg = exp_branch(ops.clip(x, None, 0.0)) * (_SELU_ALPHA * _SELU_SCALE)
    # at 0 exactly: the exponential branch's slope, but PyTorch's second derivative 0
    pos = ops.where(a == 0, x * (_SELU_ALPHA * _SELU_SCALE), x * _SELU_SCALE)
    return ops.where(a < 0, neg, pos)


def selu_(input: Tensor) -> Tensor:
    return selu(input, inplace=True)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * tanh(softplus(x))."""
    float_kernel(input, "mish_cpu")
    if inplace:
        return _in_place(input, "mish_", mish)
    x = input
    if x.dtype == np.float16:  # worked in float32 and rounded once, as PyTorch's
        return mish(x.float()).half()
    return x * ops.tanh(ops.softplus(x))


class Hardswish(Function):
    """x * relu6(x + 3) / 6 with PyTorch's gradient: 0 up to -3, x / 3 + 1/2 strictly
    inside (-3, 3), 1 from 3 on; the second derivative 1/3 inside, 0 elsewhere."""

    op_name = "hardswish"

    def forward(self, x):
        xp = get_array_module(x)
        with np.errstate(invalid="ignore"):  # inf * 6: NaN-free, but -inf * 0 is NaN
            return x * xp.minimum(xp.maximum(x + 3, 0), 6) / 6

    def backward(self, gy):
        (x,) = self.inputs
        a = x._data
        xp = get_array_module(a)
        inside = (a > -3) & (a < 3)
        ends = xp.where((a >= 3) | xp.isnan(a), 1, 0).astype(a.dtype)  # NaN: gy, as PyTorch
        slope = ops.where(inside, x / 3 + 0.5, Tensor._make(ends, False))
        return gy * slope


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    if inplace:
        return _in_place(input, "hardswish_", hardswish)
    x = input
    float_kernel(x, "hardswish_cpu")
    if x.dtype == np.float16:  # worked in float32 and rounded once, as PyTorch's
        return Hardswish()(x.float()).half()
    return Hardswish()(x)


class Hardsigmoid(Function):
    """relu6(x + 3) / 6; the gradient strictly inside (-3, 3) is gy times PyTorch's
    float32 constant 1/6 (so float64 gradients match it to the bit), 0 elsewhere."""

    uses_inputs = False
    op_name = "hardsigmoid"

    def forward(self, x):
        xp = get_array_module(x)
        self.bits = keep_bits((x > -3) & (x < 3), x.dtype)
        return xp.minimum(xp.maximum(x + 3, 0), 6) / 6

    def backward(self, gy):
        return Mask(self.bits, float(np.float32(1 / 6)))(gy)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    if inplace:
        return _in_place(input, "hardsigmoid_", hardsigmoid)
    x = input
    float_kernel(x, "hardsigmoid_cpu")
    if x.dtype == np.float16:  # worked in float32 and rounded once, as PyTorch's
        return Hardsigmoid()(x.float()).half()
    return Hardsigmoid()(x)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """a * sigmoid(b), a and b the two halves of x along `dim` (of even size)."""
    x = input
    if x.ndim == 0:
        raise RuntimeError("glu: does not support scalars because halving size must be even")
    (d,) = ops.reduce.normalize_dims(dim, x.ndim, "glu")
    if x.shape[d] % 2:
        raise RuntimeError(
            f"glu: halving dimension must be even, but dimension {d} is size {x.shape[d]}"
        )
    float_kernel(x, "glu_cpu")
    a, b = ops.chunk(x, 2, d)
    return a * ops.sigmoid(b)


def _channel_shape(p: Tensor, x: Tensor) -> Tensor:
    return p.reshape((1, -1) + (1,) * (x.ndim - 2))


def group_norm(
    input: Tensor,
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each sample over the channels of each of `num_groups` groups (and all
    spatial dims) with the biased variance, then * weight + bias per channel (C,)."""
    x = input
    if x.dtype == np.float16:  # PyTorch computes half norms in float32 (squares overflow)
        return group_norm(x.float(), num_groups, widen_half(weight), widen_half(bias), eps).half()
    if x.ndim < 2:
        raise RuntimeError(f"group_norm: expected an input with at least 2 dims, got {x.shape}")
    n, c = x.shape[:2]
    if num_groups <= 0 or c % num_groups:
        raise RuntimeError(
            "group_norm: expected number of channels in input to be divisible by num_groups, "
            f"but got input of shape {list(x.shape)} and num_groups={num_groups}"
        )
    if n * c // num_groups * math.prod(x.shape[2:]) == 1:  # PyTorch's _verify_batch_size
        per_group = [n * c // num_groups, num_groups, *x.shape[2:]]
        raise ValueError(
            f"group_norm: Expected more than 1 value per channel when training, got input "
            f"size {per_group} (input of shape {list(x.shape)}, num_groups={num_groups})"
        )
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and tuple(p.shape) != (c,):
            raise RuntimeError(f"group_norm: expected {name} of shape ({c},), got {p.shape}")
    float_kernel(x, "GroupNormKernelImpl")
    g = x.reshape(n, num_groups, x.numel() // max(n * num_groups, 1))  # no -1: n may be 0
    mean = g.mean(dim=-1, keepdim=True)
    var = ops.var_same_dtype(g, -1, 0, True)
    y = ((g - mean) / ops.sqrt(var + eps)).reshape(x.shape)
    if weight is not None:
        y = y * _channel_shape(weight, x)
    if bias is not None:
        y = y + _channel_shape(bias, x)
    return y


def instance_norm(
    input: Tensor,
    running_mean: Tensor | None = None,
    running_var: Tensor | None = None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each channel of each sample over its spatial dims (biased variance), then
    * weight + bias per channel. With `use_input_stats` the running stats, when given, move
    toward the batch average of the per-sample means and unbiased variances; without, they
    normalise instead."""
    x = input
    if x.numel():  # running stats that require grad are refused, as by PyTorch's batch norm
        check_stats_not_differentiated(running_mean, running_var)
    if x.ndim >= 2:
        named = zip(
            ("running_mean", "running_var", "weight", "bias"),
            (running_mean, running_var, weight, bias),
            strict=True,
        )
        for name, p in named:
            if p is not None and tuple(p.shape) != (x.shape[1],):
                raise ShapeError(
                    f"instance_norm: {name} should contain {x.shape[1]} elements, one per "
                    f"channel (dim 1 of the input's shape {tuple(x.shape)}), as a 1-d tensor; "
                    f"got shape {tuple(p.shape)}"
                )
    check_momentum("instance_norm", momentum)
    check_running_pair("instance_norm", x, running_mean, running_var, use_input_stats)
    if x.dtype == np.float16 and use_input_stats:  # in float32, as PyTorch (squares overflow)
        w, b = widen_half(weight), widen_half(bias)
        y = instance_norm(x.float(), running_mean, running_var, w, b, True, momentum, eps)
        return y.half()
    if x.ndim < 3:
        raise ShapeError(f"instance_norm: expected an input (N, C, *), got shape {x.shape}")
    dims = tuple(range(2, x.ndim))
    if use_input_stats:
        count = int(np.prod(x.shape[2:]))
        if count <= 1:
            raise ShapeError(
                f"instance_norm: expected more than 1 spatial element when training, got "
                f"input size {list(x.shape)}"
            )
        float_kernel(x, "batch_norm")  # PyTorch's instance norm is a batch norm
        # the mean summed in float64, as PyTorch's batch norm statistics: a constant
        # channel's mean is its value exactly, so its variance is exactly 0
        mean = x.mean(dim=dims, keepdim=True, dtype=np.float64).to(x.dtype)
        d = x - mean
        var = (d * d).mean(dim=dims, keepdim=True)
        if running_mean is not None or running_var is not None:
            from ..autograd import no_grad

            with no_grad():
                if running_mean is not None:
                    m = mean.detach().reshape(x.shape[:2]).mean(0)
                    new = running_mean * (1 - momentum) + m.to(dtype=running_mean.dtype) * momentum
                    running_mean.copy_(new)
                if running_var is not None:
                    v = var.detach().reshape(x.shape[:2]) * (count / (count - 1))
                    v = v.mean(0).to(dtype=running_var.dtype)
                    running_var.copy_(running_var * (1 - momentum) + v * momentum)
    else:
        if running_mean is None or running_var is None:
            raise ShapeError(
                "instance_norm: running_mean and running_var are needed without use_input_stats"
            )
        float_kernel(x, "batch_norm")
        mean = _channel_shape(running_mean, x)
        var = _channel_shape(running_var, x)
    # times the inverse standard deviation, as PyTorch's kernel; from the input's own
    # statistics it is 0 where var + eps is 0 (a constant channel with eps=0), so the
    # channel and its gradient are 0, not 0/0 (the inner where keeps rsqrt's inf out of
    # the gradient); with running statistics it is x * inv - mean * inv, PyTorch's form
    # (a zero running variance with eps=0 gives NaN, as there)
    spread = var + eps
    if use_input_stats:
        flat = spread == 0
        y = (x - mean) * ops.where(flat, 0.0, ops.rsqrt(ops.where(flat, 1.0, spread)))
    else:
        inv = ops.rsqrt(spread)
        y = x * inv - mean * inv
    if weight is not None:
        y = y * _channel_shape(weight, x)
    if bias is not None:
        y = y + _channel_shape(bias, x)
    # a float16 input with float32 statistics or parameters: rounded back once, as PyTorch's
    return y.half() if x.dtype == np.float16 and y.dtype != np.float16 else y


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C r^2, H, W) -> (*, C, H r, W r), as PyTorch's sub-pixel rearrangement."""
    x = input
    r = _int_arg("pixel_shuffle", "upscale_factor", upscale_factor)
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    if x.ndim < 3:
        raise RuntimeError(f"pixel_shuffle: expects input to have at least 3 dims, got {x.shape}")
    *lead, c, h, w = x.shape
    if r <= 0 or c % (r * r):
        raise RuntimeError(
            f"pixel_shuffle: expects its input's 'channel' dimension ({c}) to be divisible by "
            f"the square of upscale_factor ({r})"
        )
    k = len(lead)
    y = x.reshape(*lead, c // (r * r), r, r, h, w)
    y = y.permute(*range(k), k, k + 3, k + 1, k + 4, k + 2)
    return ops.fresh(y.reshape(*lead, c // (r * r), h * r, w * r), x)  # (a copy for r = 1)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H r, W r) -> (*, C r^2, H, W), the inverse of pixel_shuffle."""
    x = input
    r = _int_arg("pixel_unshuffle", "downscale_factor", downscale_factor)
    if x.ndim < 3:
        raise RuntimeError(f"pixel_unshuffle: expects input to have at least 3 dims, got {x.shape}")
    *lead, c, h, w = x.shape
    if r <= 0 or h % r or w % r:
        raise RuntimeError(
            f"pixel_unshuffle: expects height ({h}) and width ({w}) to be divisible by "
            f"downscale_factor ({r})"
        )
    k = len(lead)
    y = x.reshape(*lead, c, h // r, r, w // r, r)
    y = y.permute(*range(k), k, k + 2, k + 4, k + 1, k + 3)
    return ops.fresh(y.reshape(*lead, c * r * r, h // r, w // r), x)  # (a copy for r = 1)


__all__ += [
    "glu",
    "group_norm",
    "hardsigmoid",
    "hardswish",
    "instance_norm",
    "mish",
    "pixel_shuffle",
    "pixel_unshuffle",
    "selu",
    "selu_",
    "softmin",
]


# ---------------------------------------------------------------------- margin and count losses
def _float_pair(x: Tensor, target: Any, name: str) -> tuple[Tensor, Tensor]:
    """x and a target of its shape (broadcast as PyTorch's) in their promoted float dtype."""
    return _broadcast_target(*_promoted(x, target), name)


def margin_ranking_loss(
    input1: Tensor,
    input2: Tensor,
    target: Any,
    margin: float = 0.0,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """max(0, -y (x1 - x2) + margin) for y in {1, -1}: x1 should rank above x2 where y = 1."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    reduction = _reduction(reduction, "margin_ranking_loss")
    y = _as_tensor(target, input1)
    if not (input1.ndim == input2.ndim == y.ndim):
        raise RuntimeError(
            f"margin_ranking_loss: all inputs should have the same dimension, got "
            f"{input1.shape}, {input2.shape} and target {y.shape}"
        )
    return _reduce(ops.clip(-y * (input1 - input2) + margin, min=0.0), reduction)


def hinge_embedding_loss(
    input: Tensor,
    target: Any,
    margin: float = 1.0,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """x where y = 1, max(0, margin - x) where y = -1 (x usually a distance), PyTorch's
    composition: a target that is neither 1 nor -1 adds both terms."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    reduction = _reduction(reduction, "hinge_embedding_loss")
    y = _as_tensor(target, input)._data
    x = input
    if x.dtype.kind in "biu":
        # PyTorch computes in x's dtype: the margin truncated to it, an integer loss
        _no_bool_sub(x, x, "hinge_embedding_loss")
        d = int(margin) - x
        loss = ops.where((y != 1) & (d._data > 0), d, 0) + ops.where(y != -1, x, 0)
        return _reduce(loss, reduction, "hinge_embedding_loss")
    clamped = ops.clip(margin - x, min=0.0)
    loss = ops.where(y != 1, clamped, 0.0) + ops.where(y != -1, x, 0.0)
    return _reduce(loss, reduction)


def cosine_embedding_loss(
    input1: Tensor,
    input2: Tensor,
    target: Any,
    margin: float = 0.0,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """1 - cos(x1, x2) where y = 1, max(0, cos(x1, x2) - margin) where y = -1, along the
    last dim of (N, D) inputs with a target (N,), or (D,) ones with a 0-d target; the
    inputs and the target broadcast, as PyTorch's. PyTorch's 1e-12 keeps a zero vector
    finite."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    reduction = _reduction(reduction, "cosine_embedding_loss")
    y = _as_tensor(target, input1)._data
    if y.ndim > 1:
        raise RuntimeError(
            "cosine_embedding_loss: 0D or 1D target tensor expected, multi-target not "
            f"supported (got a target of shape {tuple(y.shape)})"
        )
    dim = y.ndim
    if input1.ndim != dim + 1 or input2.ndim != dim + 1:
        raise RuntimeError(
            f"cosine_embedding_loss: {dim}D target tensor expects {dim + 1}D input tensors, "
            f"but found inputs with sizes {list(input1.shape)} and {list(input2.shape)}."
        )
    try:
        np.broadcast_shapes(np.broadcast_shapes(input1.shape, input2.shape)[:dim], y.shape)
    except ValueError:
        raise RuntimeError(
            f"cosine_embedding_loss: the inputs of shapes {list(input1.shape)} and "
            f"{list(input2.shape)} and the target of shape {list(y.shape)} do not broadcast"
        ) from None
    prod = (input1 * input2).sum(dim)
    mag1 = (input1 * input1).sum(dim) + 1e-12
    mag2 = (input2 * input2).sum(dim) + 1e-12
    cos = prod / ops.sqrt(mag1 * mag2)
    loss = ops.where(y == 1, 1 - cos, 0.0) + ops.where(
        y == -1, ops.clip(cos - margin, min=0.0), 0.0
    )
    return _reduce(loss, reduction)


def soft_margin_loss(
    input: Tensor,
    target: Any,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """log(1 + exp(-y x)) for y in {1, -1}: the two-class logistic loss."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    reduction = _reduction(reduction, "soft_margin_loss")
    if input.dtype.kind == "b":  # PyTorch negates x first
        raise RuntimeError(
            "soft_margin_loss: Negation, the `-` operator, on a bool tensor is not supported. "
            "If you are trying to invert a mask, use the `~` or `logical_not()` operator "
            "instead."
        )
    _written_into_input(input, target, "soft_margin_loss")
    _not_differentiable(target, "soft_margin_loss", "target")
    x_shape, y_shape = tuple(input.shape), tuple(np.shape(target))
    try:
        shape = np.broadcast_shapes(x_shape, y_shape)
    except ValueError:
        shape = None  # _float_pair names it
    if shape is not None and shape != x_shape:  # PyTorch writes the loss into input's shape
        raise ShapeError(
            f"soft_margin_loss: output with shape {list(x_shape)} doesn't match the broadcast "
            f"shape {list(shape)} (target of shape {list(y_shape)})"
        )
    x, y = _float_pair(input, target, "soft_margin_loss")
    return _reduce(ops.log1p(ops.exp(-y * x)), reduction)


def multilabel_soft_margin_loss(
    input: Tensor,
    target: Any,
    weight: Any = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Binary cross-entropy of sigmoid(x) against 0/1 labels (N, C), averaged over the C
    classes of each sample; `weight` (C,) weighs the classes."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "multilabel_soft_margin_loss")
    x, y = _float_pair(input, target, "multilabel_soft_margin_loss")
    loss = -(y * ops.log_sigmoid(x) + (1 - y) * ops.log_sigmoid(-x))
    if weight is not None:
        loss = loss * _as_target(weight, x)
    loss = loss.sum(dim=x.ndim - 1) / x.shape[-1]
    return _reduce(loss, reduction)


def multi_margin_loss(
    input: Tensor,
    target: Any,
    p: int = 1,
    margin: float = 1.0,
    weight: Any = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Multi-class hinge loss of scores x (N, C) or (C,) and class indices y:
    sum over j != y of max(0, margin - x[y] + x[j])^p, divided by C; `weight` (C,) scales
    each sample's terms by its class's weight. As PyTorch's kernel, a term counts only
    where margin - x[y] + x[j] > 0, so a NaN term is skipped (value and gradient 0)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    reduction = _reduction(reduction, "multi_margin_loss")
    if p not in (1, 2):
        raise ValueError(f"multi_margin_loss: only p == 1 and p == 2 are supported, got {p}")
    if input.numel() and input.dtype not in (np.float32, np.float64):
        raise NotImplementedError(
            f"\"multi_margin_loss_cpu_kernel\" not implemented for '{torch_name(input.dtype)}'"
        )
    x = input if input.ndim == 2 else input.reshape(1, -1)
    xp = get_array_module(x._data)
    y = xp.asarray(_as_tensor(target, input)._data)
    n, c = x.shape
    if y.shape != input.shape[:-1]:
        raise RuntimeError(
            f"multi_margin_loss: expected {n} integer class indices for an input of shape "
            f"{input.shape}, got a target of shape {tuple(y.shape)} and dtype {y.dtype}"
        )
    _long_target(y, "multi_margin_loss")
    y = y.reshape(-1)
    if n and ((y < 0) | (y >= c)).any():
        raise IndexOutOfRange(f"multi_margin_loss: target out of range for {c} classes")
    rows = xp.arange(n)
    picked = ops.getitem(x, (rows, y)).reshape(n, 1)
    z = margin - picked + x
    active = z._data > 0  # gradient 0 at the kink and at NaN, as PyTorch's
    active[rows, y] = False  # the target's own class does not count
    terms = ops.where(active, z, 0.0)
    if p == 2:
        terms = terms * terms
    if weight is not None:
        w = _as_target(weight, x)
        if w.ndim != 1 or w.shape[0] != c:  # PyTorch's check, made even when no target
            raise ShapeError(  # reaches the missing classes
                f"multi_margin_loss: weight must be a 1-d tensor of {c} elements (one per "
                f"class), got shape {tuple(w.shape)}"
            )
        terms = terms * ops.getitem(w, y).reshape(n, 1)
    loss = terms.sum(dim=1) / c
    if input.ndim != 2:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


def _long_target(target: Any, name: str) -> None:
    """PyTorch's margin losses take class indices as int64 only ("expected scalar type Long
    but found Int"); a float target's indices were truncated, an int32 one's taken."""
    if target.dtype != np.int64:
        raise DtypeError(
            f"{name}: target must hold int64 class indices, as in PyTorch; got {target.dtype} "
            "(cast it with .long())"
        )


def poisson_nll_loss(
    input: Tensor,
    target: Any,
    log_input: bool = True,
    full: bool = False,
    size_average: bool | None = None,
    eps: float = 1e-8,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of counts under Poisson(rate): exp(x) - y x with `log_input`
    (x = log rate), else x - y log(x + eps); `full` adds Stirling's term for y > 1."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "poisson_nll_loss")
    x, y = _promoted(input, target)
    if log_input:
        loss = ops.exp(x) - y * x
    else:
        loss = x - y * ops.log(x + eps)
    if full:
        big = y._data > 1
        # y itself where y > 1 (1 elsewhere, where the term is masked out), so that a target
        # that requires grad gets the term's gradient, log y + 1 / (2 y), as in PyTorch
        safe = ops.where(big, y, 1.0)
        stirling = safe * ops.log(safe) - safe + 0.5 * ops.log(2 * np.pi * safe)
        loss = loss + ops.where(big, stirling, 0.0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(
    input: Tensor,
    target: Any,
    var: Any,
    full: bool = False,
    eps: float = 1e-6,
    reduction: str = "mean",
) -> Tensor:
    """0.5 (log var + (x - y)^2 / var) per element, var clamped at `eps` (the clamp does
    not change the gradient, as PyTorch's); `full` adds 0.5 log(2 pi). var has x's shape,
    or one dim fewer, or a last dim of 1 (one variance per sample)."""
    _check_reduction(reduction, "gaussian_nll_loss")
    x, y = _promoted(input, target)
    if isinstance(var, float):  # one variance for every element, as PyTorch's (not an int)
        var = get_array_module(x._data).full(x.shape, var, dtype=x.dtype)
    v = var if isinstance(var, Tensor) else _as_target(var, x)
    if v.shape != x.shape:
        if x.shape[:-1] == v.shape:  # one dim fewer: one variance per sample
            v = v.unsqueeze(-1)
        # PyTorch's rule: same rank, the var's sizes on the mismatched dims summing to 1
        # (one dim of size 1 that broadcasts, e.g. var (1, D) for input (N, D))
        elif (
            v.ndim != x.ndim or sum(b for a, b in zip(x.shape, v.shape, strict=True) if a != b) != 1
        ):
            raise ShapeError(
                f"gaussian_nll_loss: var of shape {v.shape} is of incorrect size for an input "
                f"of shape {x.shape}"
            )
    if (v._data < 0).any():
        raise ValueError("gaussian_nll_loss: var has negative entry/entries")
    xp = get_array_module(v._data)
    lift = xp.where(v._data < eps, eps - v._data, 0)  # the clamp, outside the graph (an
    # infinite var stays inf: maximum(v, eps) - v was inf - inf, NaN)
    v = v + Tensor._make(lift, False)
    d = x - y
    loss = 0.5 * (ops.log(v) + d * d / v)
    if full:
        loss = loss + 0.5 * float(np.log(2 * np.pi))
    return _reduce(loss, reduction)


__all__ += [
    "cosine_embedding_loss",
    "gaussian_nll_loss",
    "hinge_embedding_loss",
    "linear_cross_entropy",
    "margin_ranking_loss",
    "multi_margin_loss",
    "multilabel_soft_margin_loss",
    "poisson_nll_loss",
    "soft_margin_loss",
]


# ---------------------------------------------------------------------- shrinkage and thresholds
hardshrink = ops.hardshrink
softshrink = ops.softshrink
tanhshrink = ops.tanhshrink
softsign = ops.softsign


def _threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """x where x > threshold, else value (integer tensors too, the scalars truncated)."""
    if inplace:
        return _in_place(input, "threshold_", lambda t: ops.threshold(t, threshold, value))
    return ops.threshold(input, threshold, value)


threshold = _threshold  # PyTorch's layout: inside, the argument `threshold` hides the name


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    return _threshold(input, threshold, value, inplace=True)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """max(0, x) + min(0, alpha (exp(x / alpha) - 1))."""
    if inplace:
        return _in_place(input, "celu_", lambda t: ops.celu(t, alpha))
    return ops.celu(input, alpha)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return celu(input, alpha, inplace=True)


def rrelu(
    input: Tensor,
    lower: float = 1.0 / 8,
    upper: float = 1.0 / 3,
    training: bool = False,
    inplace: bool = False,
) -> Tensor:
    """Randomized leaky ReLU: in training each x <= 0 is scaled by its own slope drawn
    uniformly from [lower, upper] (minigrad's generator: `manual_seed` repeats it); in eval
    by (lower + upper) / 2."""
    if inplace:
        return _in_place(input, "rrelu_", lambda t: ops.rrelu(t, lower, upper, training))
    return ops.rrelu(input, lower, upper, training)


def rrelu_(
    input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False
) -> Tensor:
    return rrelu(input, lower, upper, training, inplace=True)


__all__ += [
    "celu",
    "celu_",
    "hardshrink",
    "rrelu",
    "rrelu_",
    "softshrink",
    "softsign",
    "tanhshrink",
    "threshold",
    "threshold_",
]

__all__ += ["local_response_norm", "rms_norm"]


# ---------------------------------------------------------------------- 3-d and n-d layers
def _pool_defaults(dilation: Any, ceil_mode: bool, return_indices: bool) -> bool:
    """True when a 2-d max pool asks only for what the fast 2-d node does."""
    dil = (dilation, dilation) if isinstance(dilation, int) else tuple(dilation)
    return dil in ((1, 1), (1,)) and not ceil_mode and not return_indices


def max_pool2d_with_indices(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = True,
) -> Any:
    """max_pool2d that also returns the int64 flat position h * W + w of each maximum."""
    return nn_pool.max_pool_nd(
        input, 2, kernel_size, stride, padding, dilation, ceil_mode, return_indices, "max_pool2d"
    )


def max_pool3d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    """Window maxima over x `(N, C, D, H, W)` or `(C, D, H, W)` (padding never wins); with
    return_indices, also the flat positions d * H * W + h * W + w."""
    _tensor_arg(input, "max_pool3d")
    return nn_pool.max_pool_nd(
        input, 3, kernel_size, stride, padding, dilation, ceil_mode, return_indices, "max_pool3d"
    )


def max_pool3d_with_indices(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = True,
) -> Any:
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool1d_with_indices(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = True,
) -> Any:
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def avg_pool3d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """Window means over x `(N, C, D, H, W)` or `(C, D, H, W)`, PyTorch's divisors."""
    _tensor_arg(input, "avg_pool3d")
    return nn_pool.avg_pool_nd(
        input, 3, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
    )


def adaptive_avg_pool3d(input: Tensor, output_size: Any) -> Tensor:
    """Average pooling to a fixed (OD, OH, OW) (None keeps a size) for `(N, C, D, H, W)` or
    `(C, D, H, W)`; separable, so one axis at a time."""
    x = input
    if x.ndim not in (4, 5) or x.dtype.kind != "f":
        raise RuntimeError(
            f"adaptive_avg_pool3d(): Expected 4D or 5D float tensor, got {list(x.shape)}"
        )
    size = (output_size,) * 3 if isinstance(output_size, int | None) else tuple(output_size)
    if len(size) != 3:
        raise RuntimeError(f"adaptive_avg_pool3d: output_size must be 3 ints, got {output_size}")
    d, h, w = x.shape[-3:]
    if 0 in x.shape[-4:]:  # an empty plane has no mean (it gave NaN); a batch of 0 is fine
        raise RuntimeError(
            "adaptive_avg_pool3d(): Expected input to have non-zero size for non-batch "
            f"dimensions, but input has sizes {list(x.shape)} with dimension "
            f"{list(x.shape).index(0, x.ndim - 4)} being empty"
        )
    od, oh, ow = (n if o is None else int(o) for o, n in zip(size, (d, h, w), strict=True))
    if min(od, oh, ow) < 0:
        raise ValueRangeError(
            f"adaptive_avg_pool3d: elements of output_size must be greater than or equal to 0 "
            f"but received {[od, oh, ow]}"
        )
    if (od, oh, ow) == (d, h, w):
        return clone(x)
    y = x
    if od != d:
        y = _adaptive_mean(y.transpose(-3, -2), -2, od).transpose(-3, -2)
    if oh != h:
        y = _adaptive_mean(y, -2, oh)
    if ow != w:
        y = _adaptive_mean(y, -1, ow)
    return y


def adaptive_max_pool3d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """Max pooling to a fixed (OD, OH, OW); with return_indices also the flat positions."""
    return nn_pool.adaptive_max_pool_nd(
        input, 3, output_size, return_indices, "adaptive_max_pool3d"
    )


def adaptive_max_pool1d_with_indices(input: Tensor, output_size: Any, return_indices=True):
    return adaptive_max_pool1d(input, output_size, return_indices)


def adaptive_max_pool2d_with_indices(input: Tensor, output_size: Any, return_indices=True):
    return adaptive_max_pool2d(input, output_size, return_indices)


def adaptive_max_pool3d_with_indices(input: Tensor, output_size: Any, return_indices=True):
    return adaptive_max_pool3d(input, output_size, return_indices)


def _max_unpool(n: int, input, indices, kernel_size, stride, padding, output_size) -> Tensor:
    return nn_pool.max_unpool_nd(
        input, indices, n, kernel_size, stride, padding, output_size, f"max_unpool{n}d"
    )


def max_unpool1d(
    input: Tensor,
    indices: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    output_size: Any = None,
) -> Tensor:
    """Undo max_pool1d: zeros with each value at its index; x `(N, C, L)` or `(C, L)`."""
    return _max_unpool(1, input, indices, kernel_size, stride, padding, output_size)


def max_unpool2d(
    input: Tensor,
    indices: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    output_size: Any = None,
) -> Tensor:
    """Undo max_pool2d: zeros with each value at its flat index h * W + w."""
    return _max_unpool(2, input, indices, kernel_size, stride, padding, output_size)


def max_unpool3d(
    input: Tensor,
    indices: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    output_size: Any = None,
) -> Tensor:
    """Undo max_pool3d: zeros with each value at its flat index."""
    return _max_unpool(3, input, indices, kernel_size, stride, padding, output_size)


def _lp_pool(n: int, x: Tensor, norm_type: float, kernel_size: Any, stride: Any, ceil_mode: bool):
    if norm_type == float("inf"):  # the limit: each window's largest |x|, as PyTorch's
        pool = {1: max_pool1d, 2: max_pool2d, 3: max_pool3d}[n]
        return pool(ops.abs(x), kernel_size, stride, 0, ceil_mode=ceil_mode)
    k = (kernel_size,) * n if _is_int(kernel_size) else tuple(kernel_size)
    if n == 1:
        out = avg_pool1d(x.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    else:
        out = nn_pool.avg_pool_nd(
            x.pow(norm_type), n, kernel_size, stride, 0, ceil_mode, op=f"avg_pool{n}d"
        )
    return (ops.sign(out) * relu(ops.abs(out))).mul(float(np.prod(k))).pow(1.0 / norm_type)


def lp_pool1d(
    input: Tensor, norm_type: float, kernel_size: Any, stride: Any = None, ceil_mode: bool = False
) -> Tensor:
    """(sum of x^p over each window)^(1/p), as PyTorch's: p-th powers averaged, then scaled
    by the window size (a negative average of odd powers gives 0)."""
    return _lp_pool(1, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool2d(
    input: Tensor, norm_type: float, kernel_size: Any, stride: Any = None, ceil_mode: bool = False
) -> Tensor:
    return _lp_pool(2, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool3d(
    input: Tensor, norm_type: float, kernel_size: Any, stride: Any = None, ceil_mode: bool = False
) -> Tensor:
    return _lp_pool(3, input, norm_type, kernel_size, stride, ceil_mode)


def _check_feature_dims(x: Tensor, p: float, training: bool, name: str) -> None:
    """PyTorch's feature dropouts need a channel dim, checked only where a mask is drawn."""
    if training and 0 < p < 1 and x.numel() and x.ndim < 2:
        raise RuntimeError(f"{name}: Feature dropout requires at least 2 dimensions in the input")


def _feature_dropout(x: Tensor, p: float, training: bool, name: str) -> Tensor:
    _check_feature_dims(x, p, training, name)
    return _dropout(x, p, training, x.shape[:2] + (1,) * (x.ndim - 2), name)


def dropout1d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> Tensor:
    """Zero whole channels of x `(N, C, L)` or `(C, L)`: one draw per channel."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    _check_training(training, "dropout1d")
    if inplace and training and p != 0:
        return _in_place(input, "dropout1d_", lambda t: dropout1d(t, p, training))
    x = input
    if x.ndim not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {x.ndim}D input. Note that "
            "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial "
            "dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D "
            "inputs)."
        )
    if inplace:  # evaluation or p = 0, nothing written: x itself, as PyTorch's
        return x
    if x.ndim == 2:
        return _feature_dropout(x.unsqueeze(0), p, training, "dropout1d").squeeze(0)
    return _feature_dropout(x, p, training, "dropout1d")


def dropout3d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> Tensor:
    """Zero whole channels of x `(N, C, D, H, W)` or `(C, D, H, W)`: one draw per channel."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    _check_training(training, "dropout3d")
    if inplace and training and p != 0:
        return _in_place(input, "dropout3d_", lambda t: dropout3d(t, p, training))
    x = input
    if x.ndim not in (4, 5):
        warnings.warn(
            f"dropout3d: Received a {x.ndim}-D input to dropout3d, which is deprecated and will "
            "result in an error in a future release. To retain the behavior and silence this "
            "warning, please use dropout instead. Note that dropout3d exists to provide "
            "channel-wise dropout on inputs with 3 spatial dimensions, a channel dimension, "
            "and an optional batch dimension (i.e. 4D or 5D inputs).",
            UserWarning,
            stacklevel=2,
        )
    if inplace:  # evaluation or p = 0, nothing written: x itself, as PyTorch's
        return x
    if x.ndim != 5:
        return _feature_dropout(x.unsqueeze(0), p, training, "dropout3d").squeeze(0)
    return _feature_dropout(x, p, training, "dropout3d")


_ALPHA_DROPOUT_VALUE = 1.7580993408473766  # selu's scale * alpha: the value a dropped unit takes


def _alpha_dropout(x: Tensor, p: float, training: bool, mask_shape: tuple) -> Tensor:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return x
    _float_into(x, "alpha_dropout")
    xp = get_array_module(x._data)
    if p == 1.0:
        return ops.scale(x, xp.zeros((), dtype=x.dtype))
    rdtype = x.dtype if x.dtype in (np.float32, np.float64) else np.float32
    keep = (random.rand(mask_shape, rdtype, x.device) < (1.0 - p)).astype(x.dtype)
    a = 1.0 / math.sqrt((_ALPHA_DROPOUT_VALUE**2 * p + 1) * (1 - p))
    shift = (keep - 1) * (_ALPHA_DROPOUT_VALUE * a) + _ALPHA_DROPOUT_VALUE * a * p
    return ops.scale(x, keep * x.dtype.type(a)) + Tensor._make(shift.astype(x.dtype), False)


def alpha_dropout(
    input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False
) -> Tensor:
    """Dropout for SELU networks: a dropped unit takes selu's negative saturation, and an
    affine map keeps mean and variance, as PyTorch's."""
    _check_training(training, "alpha_dropout")
    if inplace and training and p != 0:
        return _in_place(input, "alpha_dropout_", lambda t: alpha_dropout(t, p, training))
    return _alpha_dropout(input, p, training, input.shape)


def feature_alpha_dropout(
    input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False
) -> Tensor:
    """alpha_dropout with one draw per (N, C) channel."""
    _check_training(training, "feature_alpha_dropout")
    if inplace and training and p != 0:
        return _in_place(
            input, "feature_alpha_dropout_", lambda t: feature_alpha_dropout(t, p, training)
        )
    x = input
    _check_feature_dims(x, p, training, "feature_alpha_dropout")
    return _alpha_dropout(x, p, training, x.shape[:2] + (1,) * (x.ndim - 2))


def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """(N, C, *) with the channels regrouped: (N, g, C/g, *) -> (N, C/g, g, *)."""
    x = input
    if x.ndim < 3:
        raise RuntimeError(
            f"channel_shuffle expects input to have at least 3 dimensions, but got input with "
            f"sizes {list(x.shape)}"
        )
    if groups <= 0:
        raise RuntimeError(
            f"Number of groups to divide channels in must be positive. Value of groups:{groups}"
        )
    c = x.shape[1]
    if c % groups:
        raise RuntimeError(
            f"Number of channels must be divisible by groups. Got {c} channels and {groups} groups."
        )
    rest = tuple(x.shape[2:])
    y = x.reshape((x.shape[0], groups, c // groups) + rest).transpose(1, 2)
    return ops.fresh(y.reshape(x.shape), x)  # (a copy for one group)


native_channel_shuffle = channel_shuffle


def pdist(input: Tensor, p: float = 2.0) -> Tensor:
    """The p-norm distances between the rows of x `(N, M)`, pairs i < j in row-major order:
    `(N (N - 1) / 2,)`."""
    x = input
    if x.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {x.ndim}D")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    if x.dtype.kind not in "fc":
        raise DtypeError(f"pdist only supports floating-point dtypes, got {x.dtype}")
    i, j = np.triu_indices(x.shape[0], 1)
    xp = get_array_module(x._data)
    diff = ops.getitem(x, xp.asarray(i)) - ops.getitem(x, xp.asarray(j))
    return _distance_norm(diff, p)


__all__ += [
    "adaptive_avg_pool3d",
    "adaptive_max_pool1d_with_indices",
    "adaptive_max_pool2d_with_indices",
    "adaptive_max_pool3d",
    "adaptive_max_pool3d_with_indices",
    "alpha_dropout",
    "avg_pool3d",
    "channel_shuffle",
    "conv3d",
    "conv_transpose3d",
    "dropout1d",
    "dropout3d",
    "feature_alpha_dropout",
    "lp_pool1d",
    "lp_pool2d",
    "lp_pool3d",
    "max_pool1d_with_indices",
    "max_pool2d_with_indices",
    "max_pool3d",
    "max_pool3d_with_indices",
    "max_unpool1d",
    "max_unpool2d",
    "max_unpool3d",
    "native_channel_shuffle",
    "pdist",
]


def _lengths(v: Any, n: int, name: str) -> np.ndarray:
    arr = np.asarray(v._data if isinstance(v, Tensor) else v).reshape(-1)
    if arr.dtype.kind not in "iu":
        raise RuntimeError(f"ctc_loss: {name} must be integers, got {arr.dtype}")
    if arr.size != n:
        raise RuntimeError(f"{name} must be of size batch_size")
    return arr.astype(np.int64)


def ctc_loss(
    log_probs: Tensor,
    targets: Any,
    input_lengths: Any,
    target_lengths: Any,
    blank: int = 0,
    reduction: str = "mean",
    zero_infinity: bool = False,
) -> Tensor:
    """Connectionist temporal classification loss, as PyTorch's: log_probs `(T, N, C)` (or
    `(T, C)`), targets `(N, S)` padded or 1-d concatenated, lengths `(N,)`. 'mean' divides
    each loss by its target length, then averages over the batch."""
    reduction = _reduction(reduction, "ctc_loss")
    lp = log_probs
    unbatched = lp.ndim == 2
    if unbatched:
        lp = lp.unsqueeze(1)
    if lp.ndim != 3:
        raise RuntimeError(f"ctc_loss: expected log_probs (T, N, C), got {list(log_probs.shape)}")
    t_max, n, c = lp.shape
    tgt = np.asarray(targets._data if isinstance(targets, Tensor) else targets)
    if unbatched:
        tgt = tgt.reshape(1, -1)
    il = _lengths(input_lengths, n, "input_lengths")
    tl = _lengths(target_lengths, n, "target_lengths")
    if not 0 <= blank < c:
        raise RuntimeError("blank must be in label range")
    for name, lengths in (("input_lengths", il), ("target_lengths", tl)):
        if (lengths < 0).any():
            raise RuntimeError(
                f"ctc_loss: expected {name} to have value at least 0, but got value "
                f"{int(lengths.min())}"
            )
    if (il > t_max).any():
        raise RuntimeError(
            f"Expected input_lengths to have value at most {t_max}, but got value "
            f"{int(il.max())} (while checking arguments for ctc_loss_cpu)"
        )
    s_max = int(tl.max()) if n else 0
    padded = np.zeros((n, s_max), dtype=np.int64)
    if tgt.ndim == 1 and not unbatched:  # concatenated targets
        if tgt.size < tl.sum():
            raise RuntimeError("ctc_loss: targets are shorter than the sum of target_lengths")
        starts = np.concatenate([[0], np.cumsum(tl)[:-1]]).astype(np.int64)
        k = np.arange(s_max)
        take = k[None, :] < tl[:, None]
        padded[take] = tgt[(starts[:, None] + k[None, :])[take]]
    else:
        if tgt.shape[1] < s_max:
            raise RuntimeError(
                f"Expected tensor to have size at least {s_max} at dimension 1, but got size "
                f"{tgt.shape[1]} for argument #2 'targets' (while checking arguments for "
                "ctc_loss_cpu)"
            )
        padded[:] = tgt[:, :s_max]
    used = np.arange(s_max)[None, :] < tl[:, None]  # the labels within each target length
    if ((padded < 0) | (padded >= c))[used].any():
        bad = padded[used & ((padded < 0) | (padded >= c))][0]
        raise IndexOutOfRange(
            f"ctc_loss: target class {int(bad)} is out of range for log_probs with {c} classes"
        )
    labels = np.full((n, 2 * s_max + 1), blank, dtype=np.int64)
    labels[:, 1::2] = np.where(used, padded, blank)  # padding past a length: never read
    xp = get_array_module(lp._data)
    nll = nn_ctc.ctc_nll(
        lp, xp.asarray(labels), xp.asarray(il), xp.asarray(tl), blank, zero_infinity
    )
    if unbatched:
        nll = nll.squeeze(0)
    if reduction == "none":
        return nll
    if reduction == "sum":
        return nll.sum()
    div = xp.asarray(np.maximum(tl, 1).astype(lp.dtype))
    if unbatched:
        div = div.reshape(())
    return (nll / Tensor._make(div, False)).mean()


def multilabel_margin_loss(
    input: Tensor,
    target: Any,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """sum over target classes j and non-target classes i of max(0, 1 - (x[j] - x[i])) / C;
    target `(N, C)` (or `(C,)`) holds class indices up to the first -1. As PyTorch's
    kernel, a term counts only where it is > 0, so a NaN term is skipped (gradient 0)."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce, reduction)
    reduction = _reduction(reduction, "multilabel_margin_loss")
    x = input
    unbatched = x.ndim <= 1
    if x.ndim > 2:
        raise RuntimeError(
            f"Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
            f"{list(x.shape)}"
        )
    if x.dtype not in (np.float32, np.float64):
        raise NotImplementedError(
            '"multilabel_margin_loss_forward_out_frame" not implemented for '
            f"'{torch_name(x.dtype)}'"
        )
    x2 = x.reshape(1, -1) if unbatched else x
    t = np.asarray(target._data if isinstance(target, Tensor) else target)
    if t.shape != tuple(x.shape):
        raise RuntimeError(
            f"inconsistent target size: {list(t.shape)} for input of size: {list(x.shape)}"
        )
    _long_target(t, "multilabel_margin_loss")
    t = t.reshape(x2.shape)
    n, c = x2.shape
    if t.size and (t.min() < -1 or t.max() >= c):  # PyTorch's check, past the first -1 too
        bad = int(t[(t < -1) | (t >= c)][0])
        raise IndexOutOfRange(
            f"multilabel_margin_loss: argument #2 'target' is out of range: got {bad} for "
            f"{c} classes (class indices, then -1 to end them)"
        )
    valid = np.cumprod(t >= 0, axis=1).astype(bool)  # slots before the first -1
    idx = np.where(valid, t, 0)
    is_target = np.zeros((n, c), dtype=bool)
    rows = np.repeat(np.arange(n), c)[valid.reshape(-1)]
    is_target[rows, t[valid]] = True
    xp = get_array_module(x2._data)
    xy = ops.gather(x2, 1, xp.asarray(idx))  # (N, S)
    z = 1.0 - xy.unsqueeze(2) + x2.unsqueeze(1)  # (N, S, C)
    counted = xp.asarray(valid[:, :, None] & ~is_target[:, None, :]) & (z._data > 0)
    loss = ops.where(counted, z, 0.0).sum((1, 2)) / c
    if unbatched:
        loss = loss.squeeze(0)
    return _reduce(loss, reduction)


__all__ += ["ctc_loss", "multilabel_margin_loss"]


# ---------------------------------------------------------------------- spatial transformers
def affine_grid(theta: Tensor, size: Any, align_corners: bool | None = None) -> Tensor:
    """The sampling grid of affine maps theta `(N, 2, 3)` for size `(N, C, H, W)`:
    `(N, H, W, 2)`; theta `(N, 3, 4)` for `(N, C, D, H, W)`: `(N, D, H, W, 3)`.
    `align_corners=None` warns and means False, as PyTorch."""
    from ..ops.grid_sample import affine_grid as affine_grid_op

    return affine_grid_op(theta, size, align_corners, stacklevel=3)


def grid_sample(
    input: Tensor,  # noqa: A002
    grid: Tensor,
    mode: str = "bilinear",
    padding_mode: str = "zeros",
    align_corners: bool | None = None,
) -> Tensor:
    """input `(N, C, H, W)` read at grid `(N, Ho, Wo, 2)` (x, y in [-1, 1]): `(N, C, Ho, Wo)`;
    or `(N, C, D, H, W)` at `(N, Do, Ho, Wo, 3)`. mode 'bilinear' | 'nearest' | 'bicubic'
    (4-d only), padding_mode 'zeros' | 'border' | 'reflection'; `align_corners=None` warns
    and means False, as PyTorch."""
    from ..ops.grid_sample import grid_sample as grid_sample_op

    return grid_sample_op(input, grid, mode, padding_mode, align_corners, stacklevel=3)


__all__ += ["affine_grid", "grid_sample"]


# ---------------------------------------------------------------------- deprecated resizing
def upsample(
    input: Tensor,
    size: Any = None,
    scale_factor: Any = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
) -> Tensor:
    """Deprecated spelling of `interpolate` (same arguments), with PyTorch's warning."""
    warnings.warn(
        "`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.",
        stacklevel=2,
    )
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:
    """Deprecated: `interpolate(..., mode='nearest')`, with PyTorch's warning."""
    warnings.warn(
        "`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.",
        stacklevel=2,
    )
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:
    """Deprecated: `interpolate(..., mode='bilinear', align_corners=True)`, with PyTorch's
    warning."""
    warnings.warn(
        "`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.",
        stacklevel=2,
    )
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


__all__ += ["upsample", "upsample_bilinear", "upsample_nearest"]


def fractional_max_pool2d(
    input: Tensor,
    kernel_size: Any,
    output_size: Any = None,
    output_ratio: Any = None,
    return_indices: bool = False,
    _random_samples: Tensor | None = None,
) -> Any:
    """Fractional max pooling (Graham, 2015), PyTorch's arguments in its order: windows of
    kernel_size placed per plane by `_random_samples` `(N, C, 2)` (width's, then height's;
    drawn from minigrad's generator when None). See ops/nn_pool.py."""
    _tensor_arg(input, "fractional_max_pool2d")
    return nn_pool.fractional_max_pool_nd(
        input, 2, kernel_size, output_size, output_ratio, return_indices, _random_samples,
        "fractional_max_pool2d",
    )  # fmt: skip


def fractional_max_pool3d(
    input: Tensor,
    kernel_size: Any,
    output_size: Any = None,
    output_ratio: Any = None,
    return_indices: bool = False,
    _random_samples: Tensor | None = None,
) -> Any:
    """Fractional max pooling over (T, H, W), PyTorch's arguments in its order;
    `_random_samples` is `(N, C, 3)`. See ops/nn_pool.py."""
    _tensor_arg(input, "fractional_max_pool3d")
    return nn_pool.fractional_max_pool_nd(
        input, 3, kernel_size, output_size, output_ratio, return_indices, _random_samples,
        "fractional_max_pool3d",
    )  # fmt: skip


def fractional_max_pool2d_with_indices(
    input: Tensor,
    kernel_size: Any,
    output_size: Any = None,
    output_ratio: Any = None,
    return_indices: bool = True,
    _random_samples: Tensor | None = None,
) -> Any:
    return fractional_max_pool2d(
        input, kernel_size, output_size, output_ratio, return_indices, _random_samples
    )


def fractional_max_pool3d_with_indices(
    input: Tensor,
    kernel_size: Any,
    output_size: Any = None,
    output_ratio: Any = None,
    return_indices: bool = True,
    _random_samples: Tensor | None = None,
) -> Any:
    return fractional_max_pool3d(
        input, kernel_size, output_size, output_ratio, return_indices, _random_samples
    )


__all__ += [
    "fractional_max_pool2d",
    "fractional_max_pool2d_with_indices",
    "fractional_max_pool3d",
    "fractional_max_pool3d_with_indices",
]
