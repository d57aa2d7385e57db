"""Layers and containers, as in `torch.nn`: Linear, Embedding, Dropout, Flatten, the
activations, the losses as modules, Sequential and ModuleList."""

from __future__ import annotations

import collections
import collections.abc
import math
import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from .. import ops
from ..backend import default_float, get_array_module
from ..errors import AssertionFailed, ValueRangeError
from ..tensor import Tensor, _is_int, zeros
from . import functional as F
from . import init
from .module import Module, Parameter, _not_a_module

__all__ = [
    "EmbeddingBag",
    "CosineEmbeddingLoss",
    "GaussianNLLLoss",
    "HingeEmbeddingLoss",
    "MarginRankingLoss",
    "MultiLabelSoftMarginLoss",
    "MultiMarginLoss",
    "PoissonNLLLoss",
    "SoftMarginLoss",
    "BCELoss",
    "BCEWithLogitsLoss",
    "CircularPad1d",
    "CircularPad2d",
    "CircularPad3d",
    "ConstantPad3d",
    "CosineSimilarity",
    "CrossEntropyLoss",
    "Dropout",
    "Dropout2d",
    "ELU",
    "Embedding",
    "Flatten",
    "Hardtanh",
    "Identity",
    "L1Loss",
    "LeakyReLU",
    "Linear",
    "LogSoftmax",
    "MSELoss",
    "ModuleDict",
    "ModuleList",
    "NLLLoss",
    "PReLU",
    "PairwiseDistance",
    "ParameterDict",
    "ParameterList",
    "ReLU",
    "ReLU6",
    "ReflectionPad1d",
    "ReflectionPad2d",
    "ReflectionPad3d",
    "ReplicationPad1d",
    "ReplicationPad2d",
    "ReplicationPad3d",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Softplus",
    "Tanh",
    "TripletMarginLoss",
    "TripletMarginWithDistanceLoss",
    "Unflatten",
    "ZeroPad3d",
]


def _dtype(dtype: Any) -> Any:
    return default_float() if dtype is None else np.dtype(dtype)


class Linear(Module):
    """y = x W^T + b. x: (*, in_features) -> (*, out_features); W: (out, in), b: (out,).
    PyTorch's default init: kaiming_uniform(a=sqrt(5)) for W, U(+-1/sqrt(in)) for b."""

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        dev = device or "cpu"
        self.weight = Parameter(zeros(out_features, in_features, dtype=_dtype(dtype), device=dev))
        if bias:
            self.bias = Parameter(zeros(out_features, dtype=_dtype(dtype), device=dev))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.in_features
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class Embedding(Module):
    """A lookup table: integer indices (*) -> rows (*, embedding_dim). Rows start N(0, 1);
    repeated indices accumulate their gradients. The `padding_idx` row starts at zero and
    gets no gradient; `max_norm` and `scale_grad_by_freq` as in `F.embedding`."""

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
        _weight: Tensor | None = None,
        _freeze: bool = False,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise AssertionFailed(
                    f"Embedding: padding_idx {padding_idx} out of range for {num_embeddings} rows"
                )
            padding_idx %= num_embeddings
        if sparse:
            raise NotImplementedError(
                "Embedding: sparse=True is not supported (minigrad has no sparse gradients)"
            )
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx, self.max_norm, self.norm_type = padding_idx, max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        if _weight is None:
            self.weight = Parameter(
                zeros(num_embeddings, embedding_dim, dtype=_dtype(dtype), device=device or "cpu"),
                requires_grad=not _freeze,
            )
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise ValueError(
                    f"Embedding: _weight of shape {tuple(_weight.shape)}, expected "
                    f"({num_embeddings}, {embedding_dim})"
                )
            self.weight = Parameter(_weight.detach(), requires_grad=not _freeze)

    @classmethod
    def from_pretrained(
        cls,
        embeddings: Tensor,
        freeze: bool = True,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
    ) -> Embedding:
        """An Embedding whose weight is `embeddings` (2-D, shared, not copied, as
        PyTorch's); frozen (no gradient) unless `freeze=False`."""
        if embeddings.ndim != 2:
            raise ValueError(
                f"Embedding.from_pretrained: embeddings must be 2-D, got shape {embeddings.shape}"
            )
        rows, cols = embeddings.shape
        return cls(
            rows,
            cols,
            padding_idx,
            max_norm,
            norm_type,
            scale_grad_by_freq,
            sparse,
            _weight=embeddings,
            _freeze=freeze,
        )

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight._data[self.padding_idx] = 0

    def forward(self, idx: Any) -> Tensor:
        return F.embedding(
            idx,
            self.weight,
            self.padding_idx,
            self.max_norm,
            self.norm_type,
            self.scale_grad_by_freq,
        )

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq:
            s += ", scale_grad_by_freq=True"
        return s


class EmbeddingBag(Module):
    """Bags of embedding rows reduced by `mode` ('sum', 'mean' or 'max'): forward(input,
    offsets=None, per_sample_weights=None), as torch.nn.EmbeddingBag (see
    `F.embedding_bag`). Rows start N(0, 1); the `padding_idx` row starts at zero and is
    left out of every bag."""

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        mode: str = "mean",
        sparse: bool = False,
        _weight: Tensor | None = None,
        include_last_offset: bool = False,
        padding_idx: int | None = None,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        if mode not in ("sum", "mean", "max"):
            raise ValueError(f"EmbeddingBag: mode must be 'sum', 'mean' or 'max', got {mode!r}")
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise AssertionFailed(
                    f"EmbeddingBag: padding_idx {padding_idx} out of range for "
                    f"{num_embeddings} rows"
                )
            padding_idx %= num_embeddings
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.max_norm, self.norm_type, self.mode = max_norm, norm_type, mode
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        self.include_last_offset, self.padding_idx = include_last_offset, padding_idx
        if _weight is None:
            self.weight = Parameter(
                zeros(num_embeddings, embedding_dim, dtype=_dtype(dtype), device=device or "cpu")
            )
            self.reset_parameters()
        else:
            self.weight = Parameter(_weight.detach())

    @classmethod
    def from_pretrained(
        cls,
        embeddings: Tensor,
        freeze: bool = True,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        mode: str = "mean",
        sparse: bool = False,
        include_last_offset: bool = False,
        padding_idx: int | None = None,
    ) -> EmbeddingBag:
        """An EmbeddingBag whose weight is `embeddings` (2-D, shared, not copied, as
        PyTorch's); frozen (no gradient) unless `freeze=False`."""
        if embeddings.ndim != 2:
            raise ValueError(
                "EmbeddingBag.from_pretrained: embeddings must be 2-D, got shape "
                f"{embeddings.shape}"
            )
        rows, cols = embeddings.shape
        bag = cls(
            rows,
            cols,
            max_norm,
            norm_type,
            scale_grad_by_freq,
            mode,
            sparse,
            embeddings,
            include_last_offset,
            padding_idx,
        )
        bag.weight.requires_grad = not freeze
        return bag

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight._data[self.padding_idx] = 0

    def forward(
        self, input: Any, offsets: Any = None, per_sample_weights: Tensor | None = None
    ) -> Tensor:
        weight, max_norm = self.weight, self.max_norm
        if self.scale_grad_by_freq:
            weight, max_norm = self._freq_scaled_weight(input), None
        return F.embedding_bag(
            input,
            weight,
            offsets,
            max_norm,
            self.norm_type,
            False,
            self.mode,
            self.sparse,
            per_sample_weights,
            self.include_last_offset,
            self.padding_idx,
        )

    def _freq_scaled_weight(self, input: Any) -> Tensor:
        """The weight, its gradient's rows scaled as PyTorch's CPU kernel does with
        scale_grad_by_freq: the k-th distinct index (sorted) gets 1 / count(s[k]), s the
        sorted indices of the whole input (1 / its own count while the repeats allow it).
        A max_norm renormalizes the parameter itself first, over every index of the input."""
        if self.mode == "max":
            raise ValueError("max mode does not support scaling the gradient by the frequency")
        xp = get_array_module(self.weight._data)
        idx = xp.asarray(input._data if isinstance(input, Tensor) else input).reshape(-1)
        if self.max_norm is not None and idx.size:
            F._renorm_rows(self.weight, xp.unique(idx), self.max_norm, self.norm_type)
        share = xp.ones((self.num_embeddings, 1), dtype=self.weight.dtype)
        if idx.size:
            # before bincount reads them
            F.check_embedding_indices(idx, self.num_embeddings, "EmbeddingBag")
            ordered = xp.sort(idx)
            distinct = xp.unique(ordered)
            counts = xp.bincount(ordered, minlength=self.num_embeddings)
            share[distinct, 0] = 1.0 / counts[ordered[: distinct.size]]
        return F._GradScale(share)(self.weight)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq:
            s += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        s += f", mode='{self.mode}'"
        return s if self.padding_idx is None else s + f", padding_idx={self.padding_idx}"


class _DropoutNd(Module):
    """What every dropout layer shares, as PyTorch's `_DropoutNd`: the probability p and
    `inplace`. The channel and alpha dropouts are not `Dropout`s (`isinstance(m,
    nn.Dropout)` picks out the element-wise one only, as in PyTorch)."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"{type(self).__name__}: probability must be in [0, 1], got {p}")
        self.p, self.inplace = p, inplace

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Zero elements with probability p in training and scale the rest by 1 / (1 - p);
    the identity in eval mode. Any shape."""

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout(input, self.p, self.training, self.inplace)


class Dropout2d(_DropoutNd):
    """Zero whole channels of x `(N, C, H, W)` with probability p in training (one draw
    per (N, C)) and scale the rest by 1 / (1 - p); the identity in eval mode."""

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout2d(input, self.p, self.training, self.inplace)


class Flatten(Module):
    """Merge dims start_dim..end_dim: (N, C, H, W) -> (N, C*H*W) by default."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input: Tensor) -> Tensor:
        return ops.flatten(input, self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Identity(Module):
    """Returns its input; ignores any constructor arguments (as PyTorch's)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Any) -> Any:
        return input


class ReLU(Module):
    """max(x, 0). With `inplace`, the input itself takes the result (PyTorch's relu_)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.relu(input, self.inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """max(x, 0) + negative_slope * min(x, 0); `inplace` as for ReLU."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class PReLU(Module):
    """x where x > 0, else a * x with a learned slope: one shared (num_parameters=1) or one
    per channel (dim 1) of the input; weight `(num_parameters,)` starts at `init`."""

    def __init__(
        self, num_parameters: int = 1, init: float = 0.25, device: Any = None, dtype: Any = None
    ) -> None:
        super().__init__()
        self.num_parameters, self.init = num_parameters, init
        self.weight = Parameter(
            zeros(num_parameters, dtype=_dtype(dtype), device=device or "cpu") + init
        )

    def reset_parameters(self) -> None:
        init.constant_(self.weight, self.init)

    def forward(self, input: Tensor) -> Tensor:
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class GELU(Module):
    """x * Phi(x); approximate='tanh' uses the tanh approximation (see `F.gelu`)."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueRangeError(
                f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}"
            )
        self.approximate = approximate

    def forward(self, input: Tensor) -> Tensor:
        return F.gelu(input, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """x * sigmoid(x); `inplace` as for ReLU."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.silu(input, self.inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class ELU(Module):
    """x where x > 0, else alpha (exp(x) - 1); `inplace` as for ReLU."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.elu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class Hardtanh(Module):
    """clamp(x, min_val, max_val), gradient 0 at the bounds; `inplace` as for ReLU."""

    def __init__(
        self,
        min_val: float = -1.0,
        max_val: float = 1.0,
        inplace: bool = False,
        min_value: float | None = None,
        max_value: float | None = None,
    ) -> None:
        super().__init__()
        # PyTorch's deprecated spellings of min_val and max_val, taken with its warnings
        if min_value is not None:
            warnings.warn(
                "keyword argument `min_value` is deprecated and renamed to `min_val`",
                FutureWarning,
                stacklevel=2,
            )
            min_val = min_value
        if max_value is not None:
            warnings.warn(
                "keyword argument `max_value` is deprecated and renamed to `max_val`",
                FutureWarning,
                stacklevel=2,
            )
            max_val = max_value
        if not max_val > min_val:  # as PyTorch's module (F.hardtanh takes equal bounds)
            raise ValueError(
                f"Hardtanh: max_val ({max_val}) must be greater than min_val ({min_val})"
            )
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self) -> str:
        extra = ", inplace=True" if self.inplace else ""
        return f"min_val={self.min_val}, max_val={self.max_val}{extra}"


class ReLU6(Hardtanh):
    """min(max(x, 0), 6)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Unflatten(Module):
    """Split dim `dim` into `unflattened_size`, a tuple, list or Size of ints (one may be
    -1), kept as given (its repr shows a list as a list, as PyTorch's)."""

    def __init__(self, dim: int, unflattened_size: Any) -> None:
        super().__init__()
        _require_tuple_int(unflattened_size)
        self.dim, self.unflattened_size = dim, unflattened_size

    def forward(self, input: Tensor) -> Tensor:
        x = input
        d = self.dim % x.ndim if -x.ndim <= self.dim < x.ndim else None
        if d is None:
            raise IndexError(f"Unflatten: dim {self.dim} out of range for shape {x.shape}")
        sizes = tuple(self.unflattened_size)
        known = int(np.prod([n for n in sizes if n != -1]))
        if (-1 not in sizes and known != x.shape[d]) or (known and x.shape[d] % known):
            raise RuntimeError(
                f"Unflatten: sizes {sizes} do not multiply to dim {d} of shape {x.shape}"
            )
        return x.reshape(x.shape[:d] + sizes + x.shape[d + 1 :])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


def _require_tuple_int(sizes: Any) -> None:
    """PyTorch's check of Unflatten's sizes at construction (a float fails there, not at
    the first forward): a tuple or list (Size is a tuple) whose elements are Python ints."""
    if not isinstance(sizes, tuple | list):
        raise TypeError(
            f"unflattened_size must be a tuple of ints, but found type {type(sizes).__name__}"
        )
    for pos, n in enumerate(sizes):
        if not isinstance(n, int):
            raise TypeError(
                "unflattened_size must be tuple of ints, but found element of type "
                f"{type(n).__name__} at pos {pos}"
            )


class Tanh(Module):
    def forward(self, input: Tensor) -> Tensor:
        return F.tanh(input)


class Sigmoid(Module):
    def forward(self, input: Tensor) -> Tensor:
        return F.sigmoid(input)


class Softplus(Module):
    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input: Tensor) -> Tensor:
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class _SoftmaxLike(Module):
    """A module holding `dim`. Softmax, Softmin and LogSoftmax are three unrelated
    classes in PyTorch: hooks on every `nn.Softmax` (to grab attention maps) must not
    catch a LogSoftmax head, so none derives from another here either."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax(_SoftmaxLike):
    def forward(self, input: Tensor) -> Tensor:
        return F.softmax(input, self.dim)


class LogSoftmax(_SoftmaxLike):
    def forward(self, input: Tensor) -> Tensor:
        return F.log_softmax(input, self.dim)


# ---------------------------------------------------------------------- losses
class _Loss(Module):
    """A loss module. `size_average` and `reduce` are PyTorch's deprecated spelling of
    `reduction`; given, they override it (with PyTorch's warning)."""

    def __init__(
        self, size_average: bool | None = None, reduce: bool | None = None, reduction: str = "mean"
    ) -> None:
        super().__init__()
        self.reduction = F.legacy_reduction(size_average, reduce, reduction)

    def extra_repr(self) -> str:  # PyTorch's losses show no settings
        return ""


class _WeightedLoss(_Loss):
    """A loss with per-class (or per-element) weights, kept as a buffer as in PyTorch: in
    `state_dict()`, moved by `.to()`."""

    def __init__(
        self,
        weight: Tensor | None = None,
        size_average: bool | None = None,
        reduce: bool | None = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", _buffer(weight, "weight"))


def _buffer(value: Any, name: str) -> Tensor | None:
    if value is None or isinstance(value, Tensor):
        return value
    raise TypeError(f"{name} must be a Tensor or None, got {type(value).__name__}")


class MSELoss(_Loss):
    def forward(self, input: Tensor, target: Any) -> Tensor:  # noqa: A002 - PyTorch's name
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    def forward(self, input: Tensor, target: Any) -> Tensor:  # noqa: A002
        return F.l1_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    def __init__(
        self,
        size_average: bool | None = None,
        reduce: bool | None = None,
        reduction: str = "mean",
        beta: float = 1.0,
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input: Tensor, target: Any) -> Tensor:  # noqa: A002
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input: Tensor, target: Any) -> Tensor:  # noqa: A002
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class KLDivLoss(_Loss):
    """KL divergence of log-probabilities x from target; use reduction='batchmean'."""

    def __init__(
        self,
        size_average: bool | None = None,
        reduce: bool | None = None,
        reduction: str = "mean",
        log_target: bool = False,
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input: Tensor, target: Any) -> Tensor:  # noqa: A002
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class BCELoss(_WeightedLoss):
    def forward(self, input: Tensor, target: Any) -> Tensor:  # noqa: A002
        return F.binary_cross_entropy(input, target, self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    def __init__(
        self,
        weight: Tensor | None = None,
        size_average: bool | None = None,
        reduce: bool | None = None,
        reduction: str = "mean",
        pos_weight: Tensor | None = None,
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", _buffer(weight, "weight"))
        self.register_buffer("pos_weight", _buffer(pos_weight, "pos_weight"))

    def forward(self, input: Tensor, target: Any) -> Tensor:  # noqa: A002
        return F.binary_cross_entropy_with_logits(
            input, target, self.weight, reduction=self.reduction, pos_weight=self.pos_weight
        )


class NLLLoss(_WeightedLoss):
    def __init__(
        self,
        weight: Tensor | None = None,
        size_average: bool | None = None,
        ignore_index: int = -100,
        reduce: bool | None = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Any) -> Tensor:  # noqa: A002
        return F.nll_loss(
            input, target, self.weight, ignore_index=self.ignore_index, reduction=self.reduction
        )


class CrossEntropyLoss(_WeightedLoss):
    def __init__(
        self,
        weight: Tensor | None = None,
        size_average: bool | None = None,
        ignore_index: int = -100,
        reduce: bool | None = None,
        reduction: str = "mean",
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing

    def forward(self, input: Tensor, target: Any) -> Tensor:  # noqa: A002
        return F.cross_entropy(
            input,
            target,
            self.weight,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
            label_smoothing=self.label_smoothing,
        )


class NLLLoss2d(NLLLoss):
    """PyTorch's deprecated name for `NLLLoss` (which takes (N, C, H, W) input too), with its
    FutureWarning at construction."""

    def __init__(
        self,
        weight: Tensor | None = None,
        size_average: bool | None = None,
        ignore_index: int = -100,
        reduce: bool | None = None,
        reduction: str = "mean",
    ) -> None:
        warnings.warn(
            "`NLLLoss2d` has been deprecated. Please use `NLLLoss` instead as a drop-in "
            "replacement and see https://pytorch.org/docs/main/nn.html#torch.nn.NLLLoss for "
            "more details.",
            FutureWarning,
            stacklevel=2,
        )
        super().__init__(weight, size_average, ignore_index, reduce, reduction)


class LinearCrossEntropyLoss(_WeightedLoss):
    """cross_entropy(self.linear(x), target): a Linear(in_features, C * prod(out_features))
    head and the loss in one module, as PyTorch's; its weight is kept flat and read as
    (C, *out_features, in_features) for a K-dim loss. See `F.linear_cross_entropy`."""

    def __init__(
        self,
        in_features: int,
        num_classes: int,
        *,
        out_features: tuple[int, ...] = (),
        bias: bool = False,
        device: Any = None,
        dtype: Any = None,
        reduction: str = "mean",
        weight: Tensor | None = None,
        ignore_index: int | None = None,
        label_smoothing: float = 0.0,
        options: Any = None,
    ) -> None:
        if weight is not None and tuple(weight.shape) != (num_classes,):
            raise RuntimeError(
                f"LinearCrossEntropyLoss: expected weight shape to be {(num_classes,)}, got "
                f"{tuple(weight.shape)}"
            )
        if label_smoothing < 0 or label_smoothing > 1.0:
            raise RuntimeError(
                "LinearCrossEntropyLoss: expected label_smoothing to be in range [0, 1], got "
                f"{label_smoothing}"
            )
        super().__init__(weight, reduction=reduction)
        self.num_classes, self.out_features = num_classes, out_features
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing
        n_out = math.prod(out_features, start=num_classes)
        self.linear = Linear(in_features, n_out, bias=bias, device=device, dtype=dtype)
        self.options = options

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        shape = (self.num_classes, *self.out_features)
        bias = self.linear.bias
        return F.linear_cross_entropy(
            input,
            self.linear.weight.reshape(*shape, self.linear.in_features),
            target,
            linear_bias=None if bias is None else bias.reshape(shape),
            weight=self.weight,
            reduction=self.reduction,
            ignore_index=self.ignore_index,
            label_smoothing=self.label_smoothing,
            options=self.options,
        )

    def extra_repr(self) -> str:
        return (
            f"in_features={self.linear.in_features}, num_classes={self.num_classes}, "
            f"out_features={self.out_features}, bias={self.linear.bias is not None}, "
            f"reduction={self.reduction}, ignore_index={self.ignore_index}, "
            f"label_smoothing={self.label_smoothing}, options={self.options}"
        )


class TripletMarginLoss(_Loss):
    """max(d(a, p) - d(a, n) + margin, 0) averaged (or summed) over the batch, with
    d = pairwise_distance(p, eps); see `F.triplet_margin_loss`."""

    def __init__(
        self,
        margin: float = 1.0,
        p: float = 2.0,
        eps: float = 1e-6,
        swap: bool = False,
        size_average: bool | None = None,
        reduce: bool | None = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin, self.p, self.eps, self.swap = margin, p, eps, swap

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        return F.triplet_margin_loss(
            anchor,
            positive,
            negative,
            self.margin,
            self.p,
            self.eps,
            self.swap,
            reduction=self.reduction,
        )


class TripletMarginWithDistanceLoss(_Loss):
    """max(d(a, p) - d(a, n) + margin, 0) for a distance `d(x1, x2)` (a `PairwiseDistance()`
    module when None); see `F.triplet_margin_with_distance_loss`."""

    def __init__(
        self,
        *,
        distance_function: Any = None,
        margin: float = 1.0,
        swap: bool = False,
        reduction: str = "mean",
    ) -> None:
        super().__init__(reduction=reduction)
        if margin <= 0:
            raise ValueError(
                "TripletMarginWithDistanceLoss: expected margin to be greater than 0, got "
                f"{margin} instead"
            )
        self.distance_function = (
            distance_function if distance_function is not None else PairwiseDistance()
        )
        self.margin, self.swap = margin, swap

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        return F.triplet_margin_with_distance_loss(
            anchor,
            positive,
            negative,
            distance_function=self.distance_function,
            margin=self.margin,
            swap=self.swap,
            reduction=self.reduction,
        )


class MarginRankingLoss(_Loss):
    def __init__(
        self,
        margin: float = 0.0,
        size_average: bool | None = None,
        reduce: bool | None = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1: Tensor, input2: Tensor, target: Any) -> Tensor:
        return F.margin_ranking_loss(input1, input2, target, self.margin, reduction=self.reduction)


class HingeEmbeddingLoss(_Loss):
    def __init__(
        self,
        margin: float = 1.0,
        size_average: bool | None = None,
        reduce: bool | None = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input: Tensor, target: Any) -> Tensor:  # noqa: A002
        return F.hinge_embedding_loss(input, target, self.margin, reduction=self.reduction)


class CosineEmbeddingLoss(_Loss):
    def __init__(
        self,
        margin: float = 0.0,
        size_average: bool | None = None,
        reduce: bool | None = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1: Tensor, input2: Tensor, target: Any) -> Tensor:
        return F.cosine_embedding_loss(
            input1, input2, target, self.margin, reduction=self.reduction
        )


class SoftMarginLoss(_Loss):
    def forward(self, input: Tensor, target: Any) -> Tensor:  # noqa: A002
        return F.soft_margin_loss(input, target, reduction=self.reduction)


class MultiLabelSoftMarginLoss(_WeightedLoss):
    def forward(self, input: Tensor, target: Any) -> Tensor:  # noqa: A002
        return F.multilabel_soft_margin_loss(input, target, self.weight, reduction=self.reduction)


class MultiMarginLoss(_WeightedLoss):
    def __init__(
        self,
        p: int = 1,
        margin: float = 1.0,
        weight: Tensor | None = None,
        size_average: bool | None = None,
        reduce: bool | None = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        if p not in (1, 2):
            raise ValueError(f"MultiMarginLoss: only p == 1 and p == 2 are supported, got {p}")
        self.p, self.margin = p, margin

    def forward(self, input: Tensor, target: Any) -> Tensor:  # noqa: A002
        return F.multi_margin_loss(
            input, target, self.p, self.margin, self.weight, reduction=self.reduction
        )


class PoissonNLLLoss(_Loss):
    def __init__(
        self,
        log_input: bool = True,
        full: bool = False,
        size_average: bool | None = None,
        eps: float = 1e-8,
        reduce: bool | None = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_input, self.full, self.eps = log_input, full, eps

    def forward(self, log_input: Tensor, target: Any) -> Tensor:
        return F.poisson_nll_loss(
            log_input, target, self.log_input, self.full, eps=self.eps, reduction=self.reduction
        )


class GaussianNLLLoss(_Loss):
    def __init__(self, *, full: bool = False, eps: float = 1e-6, reduction: str = "mean") -> None:
        super().__init__(reduction=reduction)
        self.full, self.eps = full, eps

    def forward(self, input: Tensor, target: Any, var: Any) -> Tensor:  # noqa: A002
        return F.gaussian_nll_loss(input, target, var, self.full, self.eps, self.reduction)


# ---------------------------------------------------------------------- distances
class PairwiseDistance(Module):
    """||x1 - x2 + eps||_p over the last dim; see `F.pairwise_distance`."""

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> None:
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)


class CosineSimilarity(Module):
    """Cosine of the angle between x1 and x2 along `dim`; see `F.cosine_similarity`."""

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return F.cosine_similarity(x1, x2, self.dim, self.eps)


# ---------------------------------------------------------------------- containers
def _index(idx: int, n: int, who: str) -> int:
    if not isinstance(idx, int | np.integer) or isinstance(idx, bool):
        raise TypeError(f"{who}: indices must be integers or slices, not {type(idx).__name__}")
    if not -n <= idx < n:
        raise IndexError(f"{who}: index {idx} out of range for {n} modules")
    return int(idx) % n


def _check_module(module: Any, who: str) -> None:
    if not isinstance(module, Module):
        raise TypeError(f"{who}: {_not_a_module(module)}")


class Sequential(Module):
    """Calls its modules in order: Sequential(a, b)(x) == b(a(x)). Takes modules or one
    OrderedDict of name -> module. As PyTorch's: indexing, slicing (a Sequential keeping
    the names), `del`, append, insert, extend, pop, len, iteration; deleting renumbers
    the modules "0", "1", ... so that a later append does not overwrite one."""

    def __init__(self, *args: Any) -> None:
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, m in args[0].items():
                self.add_module(name, m)
        else:
            for i, m in enumerate(args):
                self.add_module(str(i), m)

    def __getitem__(self, idx: int | slice) -> Any:
        items = list(self._modules.items())
        if isinstance(idx, slice):
            return type(self)(OrderedDict(items[idx]))
        return items[_index(idx, len(items), type(self).__name__)][1]

    def __setitem__(self, idx: int, module: Module) -> None:
        keys = list(self._modules)
        self.add_module(keys[_index(idx, len(keys), type(self).__name__)], module)

    def __delitem__(self, idx: int | slice) -> None:
        keys = list(self._modules)
        who = type(self).__name__
        targets = keys[idx] if isinstance(idx, slice) else [keys[_index(idx, len(keys), who)]]
        for k in targets:
            del self._modules[k]
        mods = list(self._modules.values())
        self._modules.clear()
        for i, m in enumerate(mods):
            self._modules[str(i)] = m

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def append(self, module: Module) -> Sequential:
        _check_module(module, f"{type(self).__name__}.append")
        self.add_module(str(len(self)), module)
        return self

    def insert(self, index: int, module: Module) -> Sequential:
        who = f"{type(self).__name__}.insert"
        _check_module(module, who)
        n = len(self._modules)
        if not -n <= index <= n:
            raise IndexError(f"{who}: index {index} out of range for {n} modules")
        if index < 0:
            index += n
        for i in range(n, index, -1):
            self._modules[str(i)] = self._modules[str(i - 1)]
        self._modules[str(index)] = module
        return self

    def extend(self, modules: Iterable[Module]) -> Sequential:
        for m in modules:
            self.append(m)
        return self

    def pop(self, idx: int | slice = -1) -> Any:
        out = self[idx]
        del self[idx]
        return out

    def __add__(self, other: Sequential) -> Sequential:
        """A new Sequential of self's modules then other's (the same objects)."""
        return Sequential().__iadd__(self).__iadd__(other)

    def __iadd__(self, other: Sequential) -> Sequential:
        if not isinstance(other, Sequential):
            raise ValueError(
                "add operator supports only objects of Sequential class, but "
                f"{type(other)} is given."
            )
        for m in list(other):
            self.add_module(str(len(self)), m)
        return self

    def __mul__(self, n: int) -> Sequential:
        """A new Sequential repeating self's modules n times; the copies share parameters."""
        return Sequential().__iadd__(self).__imul__(n)

    def __rmul__(self, n: int) -> Sequential:
        return self.__mul__(n)

    def __imul__(self, n: int) -> Sequential:
        if not isinstance(n, int):
            raise TypeError(f"unsupported operand type(s) for *: {type(self)} and {type(n)}")
        if n <= 0:
            raise ValueError(f"Non-positive multiplication factor {n} for {type(self)}")
        mods = list(self)
        for _ in range(n - 1):
            for m in mods:
                self.add_module(str(len(self)), m)
        return self

    def forward(self, input: Any) -> Any:
        x = input
        for m in self._modules.values():
            x = m(x)
        return x


class ModuleList(Module):
    """A list of modules whose parameters the parent registers; it has no forward. Keys
    are always "0".."n-1" (renumbered after del, insert and pop), as PyTorch's."""

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def _renumber(self, mods: list[Module]) -> None:
        self._modules.clear()
        for i, m in enumerate(mods):
            self._modules[str(i)] = m

    def append(self, module: Module) -> ModuleList:
        _check_module(module, f"{type(self).__name__}.append")
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        if isinstance(modules, Module) and not isinstance(modules, ModuleList | Sequential):
            raise TypeError(
                f"{type(self).__name__}.extend: expected an iterable, got {type(modules).__name__}"
            )
        for m in list(modules):
            self.append(m)
        return self

    def insert(self, index: int, module: Module) -> None:
        _check_module(module, f"{type(self).__name__}.insert")
        mods = list(self._modules.values())
        mods.insert(index, module)
        self._renumber(mods)

    def pop(self, idx: int | slice = -1) -> Any:
        out = self[idx]
        del self[idx]
        return out

    def __getitem__(self, idx: int | slice) -> Any:
        mods = list(self._modules.values())
        if isinstance(idx, slice):  # of the same class, as PyTorch's self.__class__(...)
            return type(self)(mods[idx])
        return mods[_index(idx, len(mods), type(self).__name__)]

    def __setitem__(self, idx: int, module: Module) -> None:
        who = type(self).__name__
        _check_module(module, who)
        self.add_module(str(_index(idx, len(self), who)), module)

    def __delitem__(self, idx: int | slice) -> None:
        mods = list(self._modules.values())
        del mods[idx if isinstance(idx, slice) else _index(idx, len(mods), type(self).__name__)]
        self._renumber(mods)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __iadd__(self, modules: Iterable[Module]) -> ModuleList:
        return self.extend(modules)

    def __add__(self, other: Iterable[Module]) -> ModuleList:
        return ModuleList([*self, *other])

    def __repr__(self) -> str:
        """As PyTorch prints a ModuleList: a run of modules with equal reprs is one entry,
        `(0-5): 6 x Layer(...)`; a subclass shows its own name (`_get_name()`)."""
        name = self._get_name()
        reprs = [repr(m) for m in self]
        if not reprs:
            return f"{name}()"
        runs: list[list[Any]] = []  # [first index, last index, repr]
        for i, r in enumerate(reprs):
            if runs and runs[-1][2] == r:
                runs[-1][1] = i
            else:
                runs.append([i, i, r])
        lines = [
            (f"({a}): " if a == b else f"({a}-{b}): {b - a + 1} x ") + r.replace("\n", "\n  ")
            for a, b, r in runs
        ]
        return f"{name}(\n  " + "\n  ".join(lines) + "\n)"


class ModuleDict(Module):
    """An ordered dict of name -> module whose parameters the parent registers; it has no
    forward. Takes a mapping or an iterable of (name, module) pairs."""

    def __init__(self, modules: Any = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        if key not in self._modules:
            raise KeyError(f"ModuleDict: no module named {key!r}")
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        _check_module(module, f"ModuleDict[{key!r}]")
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        if key not in self._modules:
            raise KeyError(f"ModuleDict: no module named {key!r}")
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key: object) -> bool:
        return key in self._modules

    def clear(self) -> None:
        self._modules.clear()

    def pop(self, key: str) -> Module:
        out = self[key]
        del self[key]
        return out

    def keys(self) -> Any:
        return self._modules.keys()

    def items(self) -> Any:
        return self._modules.items()

    def values(self) -> Any:
        return self._modules.values()

    def update(self, modules: Any) -> None:
        pairs = modules.items() if hasattr(modules, "items") else modules
        for i, pair in enumerate(pairs):
            if not isinstance(pair, tuple | list) or len(pair) != 2:
                raise ValueError(
                    f"ModuleDict.update: element {i} should be a (name, module) pair, got "
                    f"{type(pair).__name__}"
                )
            self[pair[0]] = pair[1]


class ParameterList(Module):
    """A list of Parameters the parent registers (named "0".."n-1"); plain tensors are
    wrapped in a Parameter, as PyTorch's."""

    def __init__(self, values: Iterable[Any] | None = None) -> None:
        super().__init__()
        if values is not None:
            self.extend(values)

    @staticmethod
    def _param(value: Any) -> Any:
        if isinstance(value, Tensor) and not isinstance(value, Parameter):
            return Parameter(value)
        return value

    def append(self, value: Any) -> ParameterList:
        self.register_parameter(str(len(self)), self._param(value))
        return self

    def extend(self, values: Iterable[Any]) -> ParameterList:
        for v in list(values):
            self.append(v)
        return self

    def __getitem__(self, idx: int | slice) -> Any:
        vals = list(self._parameters.values())
        if isinstance(idx, slice):  # PyTorch's: self.__class__() and an append of each
            out = type(self)()
            for v in vals[idx]:
                out.append(v)
            return out
        return vals[_index(idx, len(vals), "ParameterList")]

    def __setitem__(self, idx: int, value: Any) -> None:
        self.register_parameter(str(_index(idx, len(self), "ParameterList")), self._param(value))

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._parameters.values())

    def __iadd__(self, values: Iterable[Any]) -> ParameterList:
        return self.extend(values)

    def extra_repr(self) -> str:
        return _entries_repr(enumerate(self), lambda p: f"minigrad.{p.dtype}")


_TENSOR_TYPES = {
    "float16": "HalfTensor",
    "float32": "FloatTensor",
    "float64": "DoubleTensor",
    "complex64": "ComplexFloatTensor",
    "complex128": "ComplexDoubleTensor",
    "int8": "CharTensor",
    "uint8": "ByteTensor",
    "int16": "ShortTensor",
    "int32": "IntTensor",
    "int64": "LongTensor",
    "bool": "BoolTensor",
}


def _entries_repr(items: Iterable[tuple[Any, Any]], type_name: Callable[[Tensor], str]) -> str:
    """PyTorch's ParameterList/ParameterDict lines, indented by two (four in the module's
    repr): "(k): Parameter containing: [<type> of size 2x3]", " (cuda:0)" off the CPU."""
    lines = []
    for k, p in items:
        if isinstance(p, Tensor):
            size = "x".join(map(str, p.shape))
            device = f" ({p.device})" if str(p.device).startswith("cuda") else ""
            kind = "Parameter" if isinstance(p, Parameter) else "Tensor"
            lines.append(f"  ({k}): {kind} containing: [{type_name(p)} of size {size}{device}]")
        else:
            lines.append(f"  ({k}): Object of type: {type(p).__name__}")
    return "\n".join(lines)


class ParameterDict(Module):
    """An ordered dict of name -> Parameter the parent registers."""

    def extra_repr(self) -> str:
        return _entries_repr(
            self.items(), lambda p: "minigrad." + _TENSOR_TYPES.get(str(p.dtype), "Tensor")
        )

    def __init__(self, parameters: Any = None) -> None:
        super().__init__()
        if parameters is not None:
            self.update(parameters)

    def update(self, parameters: Any) -> None:
        """Add or overwrite entries. As PyTorch's: an OrderedDict, a ParameterDict or a
        sequence of pairs keeps its order; a plain dict is added in sorted key order."""
        if isinstance(parameters, collections.OrderedDict | ParameterDict):
            items = parameters.items()
        elif isinstance(parameters, collections.abc.Mapping):
            items = sorted(parameters.items())
        else:
            items = parameters
        for k, v in items:
            self[k] = v

    def __getitem__(self, key: str) -> Any:
        if key not in self._parameters:
            raise KeyError(f"ParameterDict: no parameter named {key!r}")
        return self._parameters[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.register_parameter(key, ParameterList._param(value))

    def __delitem__(self, key: str) -> None:
        del self._parameters[key]

    def __contains__(self, key: str) -> bool:
        return key in self._parameters

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if key in self else default

    def pop(self, key: str) -> Any:
        out = self[key]
        del self[key]
        return out

    def setdefault(self, key: str, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def copy(self) -> ParameterDict:
        """A new ParameterDict holding the same Parameters (not copies), as PyTorch's."""
        return ParameterDict(list(self.items()))

    def popitem(self) -> tuple[str, Any]:
        """Remove and return the last (key, parameter) pair."""
        if not self._parameters:
            raise KeyError("popitem(): ParameterDict is empty")
        key = next(reversed(self._parameters))
        return key, self.pop(key)

    def clear(self) -> None:
        """Remove every parameter."""
        for key in list(self._parameters):
            del self[key]

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self) -> Iterator[str]:
        return iter(self._parameters)

    def keys(self) -> Any:
        return self._parameters.keys()

    def values(self) -> Any:
        return self._parameters.values()

    def items(self) -> Any:
        return self._parameters.items()

    def __reversed__(self) -> Iterator[str]:
        return reversed(list(self._parameters))

    def fromkeys(self, keys: Any, default: Any = None) -> ParameterDict:
        """A new ParameterDict of `keys`, each holding `default` (as a Parameter of its
        own), as PyTorch's."""
        return ParameterDict((k, default) for k in keys)

    def __or__(self, other: Any) -> ParameterDict:
        out = self.copy()
        out.update(other)
        return out

    def __ror__(self, other: Any) -> Any:
        out = other.copy()  # (a dict | a ParameterDict is a dict, as in PyTorch)
        out.update(self)
        return out

    def __ior__(self, other: Any) -> ParameterDict:
        self.update(other)
        return self


# ---------------------------------------------------------------------- batch 2
class LogSigmoid(Module):
    def forward(self, input: Tensor) -> Tensor:
        return F.logsigmoid(input)


class Softmin(_SoftmaxLike):
    def forward(self, input: Tensor) -> Tensor:
        return F.softmin(input, self.dim)


class _InplaceActivation(Module):
    """An activation with PyTorch's `inplace` flag (the input itself takes the result)."""

    _fn: Any = None

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return type(self)._fn(input, self.inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class SELU(_InplaceActivation):
    _fn = staticmethod(F.selu)


class Mish(_InplaceActivation):
    _fn = staticmethod(F.mish)


class Hardswish(_InplaceActivation):
    _fn = staticmethod(F.hardswish)

    def extra_repr(self) -> str:
        return ""  # PyTorch's leaves out inplace


class Hardsigmoid(_InplaceActivation):
    _fn = staticmethod(F.hardsigmoid)

    def extra_repr(self) -> str:
        return ""  # PyTorch's leaves out inplace


class GLU(Module):
    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.glu(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


def _pad_widths(layer: Module, padding: Any, n: int | None) -> tuple[int, ...]:
    """padding as (left, right) pairs: an int for each of n dims, or a tuple of pairs for up
    to n dims (any number where n is None)."""
    if _is_int(padding):
        padding = (padding,) * (2 * (n or 1))
    padding = tuple(int(p) for p in padding)
    if not padding or len(padding) % 2 or (n is not None and len(padding) > 2 * n):
        dims = "" if n is None else f" for up to {n} dims"
        raise ValueRangeError(
            f"{type(layer).__name__}: padding must be an int or (left, right) pairs{dims}, "
            f"got {padding}"
        )
    return padding


class _ConstantPadNd(Module):
    _n = 2

    def __init__(self, padding: Any, value: float) -> None:
        super().__init__()
        self.padding, self.value = _pad_widths(self, padding, self._n), value

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class _IndexPadNd(Module):
    """Reflection, replication or circular padding of the last `_n` dims."""

    _n = 2
    _mode = "reflect"

    def __init__(self, padding: Any) -> None:
        super().__init__()
        # an int pads all `_n` dims; a tuple is handed to F.pad as it is, as PyTorch's
        # (ReflectionPad2d((1, 2)) pads the last dim only), which checks it against the input
        self.padding = _pad_widths(self, padding, self._n if _is_int(padding) else None)

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ReflectionPadNd(_IndexPadNd):
    _mode = "reflect"


class _ReplicationPadNd(_IndexPadNd):
    _mode = "replicate"


class _CircularPadNd(_IndexPadNd):
    _mode = "circular"


class ReflectionPad1d(_ReflectionPadNd):
    """Pad the last dim by (left, right) with its mirror image (the edge not repeated)."""

    _n = 1


class ReflectionPad2d(_ReflectionPadNd):
    _n = 2


class ReflectionPad3d(_ReflectionPadNd):
    _n = 3


class ReplicationPad1d(_ReplicationPadNd):
    """Pad the last dim by (left, right) with copies of its edge values."""

    _n = 1


class ReplicationPad2d(_ReplicationPadNd):
    _n = 2


class ReplicationPad3d(_ReplicationPadNd):
    _n = 3


class CircularPad1d(_CircularPadNd):
    """Pad the last dim by (left, right) with the values from its other end."""

    _n = 1


class CircularPad2d(_CircularPadNd):
    _n = 2


class CircularPad3d(_CircularPadNd):
    _n = 3


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dim by (left, right) with `value`."""

    _n = 1


class ConstantPad2d(_ConstantPadNd):
    """Pad the last two dims by (left, right, top, bottom) with `value`."""

    _n = 2


class ConstantPad3d(_ConstantPadNd):
    """Pad the last three dims by (left, right, top, bottom, front, back) with `value`."""

    _n = 3


class ZeroPad1d(ConstantPad1d):
    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad3d(ConstantPad3d):
    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class PixelShuffle(Module):
    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input: Tensor) -> Tensor:
        return F.pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    def __init__(self, downscale_factor: int) -> None:
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input: Tensor) -> Tensor:
        return F.pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"


__all__ += [
    "ConstantPad1d",
    "ConstantPad2d",
    "GLU",
    "Hardsigmoid",
    "Hardswish",
    "LogSigmoid",
    "Mish",
    "PixelShuffle",
    "PixelUnshuffle",
    "SELU",
    "Softmin",
    "ZeroPad1d",
    "ZeroPad2d",
]


# ---------------------------------------------------------------------- shrinkage and thresholds
def _inplace_str(inplace: bool) -> str:
    return ", inplace=True" if inplace else ""


class Hardshrink(Module):
    """x where |x| > lambd, else 0."""

    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__()
        self.lambd = lambd

    def forward(self, input: Tensor) -> Tensor:
        return F.hardshrink(input, self.lambd)

    def extra_repr(self) -> str:
        return f"{self.lambd}"


class Softshrink(Module):
    """x - lambd above lambd, x + lambd below -lambd, else 0."""

    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__()
        self.lambd = lambd

    def forward(self, input: Tensor) -> Tensor:
        return F.softshrink(input, self.lambd)

    def extra_repr(self) -> str:
        return f"{self.lambd}"


class Threshold(Module):
    """x where x > threshold, else value; `inplace` as for ReLU."""

    def __init__(self, threshold: float, value: float, inplace: bool = False) -> None:
        super().__init__()
        self.threshold, self.value, self.inplace = threshold, value, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self) -> str:
        return f"threshold={self.threshold}, value={self.value}{_inplace_str(self.inplace)}"


class CELU(Module):
    """max(0, x) + min(0, alpha (exp(x / alpha) - 1)); `inplace` as for ReLU."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.celu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}{_inplace_str(self.inplace)}"


class RReLU(Module):
    """Randomized leaky ReLU: random slopes in [lower, upper] in training mode, their mean
    in eval mode."""

    def __init__(
        self, lower: float = 1.0 / 8, upper: float = 1.0 / 3, inplace: bool = False
    ) -> None:
        super().__init__()
        self.lower, self.upper, self.inplace = lower, upper, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.rrelu(input, self.lower, self.upper, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"lower={self.lower}, upper={self.upper}{_inplace_str(self.inplace)}"


class Tanhshrink(Module):
    def forward(self, input: Tensor) -> Tensor:
        return F.tanhshrink(input)


class Softsign(Module):
    def forward(self, input: Tensor) -> Tensor:
        return F.softsign(input)


__all__ += [
    "CELU",
    "Hardshrink",
    "RReLU",
    "Softshrink",
    "Softsign",
    "Tanhshrink",
    "Threshold",
]
