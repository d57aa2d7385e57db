"""Normalisation layers, as in `torch.nn`: BatchNorm1d, BatchNorm2d and LayerNorm."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ..autograd import no_grad
from ..backend import default_float, normalize_device
from ..ops.batchnorm import batch_norm
from ..ops.nn_lrn import cross_map_lrn2d
from ..tensor import Tensor, ones, zeros
from . import functional as F
from .module import Module, Parameter

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LayerNorm"]


class _NormBase(Module):
    """What batch and instance norms share, as PyTorch's `_NormBase`: weight starting at 1
    and bias at 0 (`affine`); running_mean, running_var and num_batches_tracked as buffers
    (`track_running_stats`), so state_dict holds them. Instance norms are not batch norms:
    `isinstance(m, _BatchNorm)` (convert_sync_batchnorm, update_bn, freezing code) leaves
    them out, as in PyTorch."""

    _version = 2  # PyTorch's: version 2 added num_batches_tracked

    _dims: tuple[int, ...] = ()

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device: Any = None,
        dtype: Any = None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        dt = default_float() if dtype is None else np.dtype(dtype)
        dev = normalize_device(device)
        if affine:
            self.weight = Parameter(ones(num_features, dtype=dt, device=dev))
            if bias:
                self.bias = Parameter(zeros(num_features, dtype=dt, device=dev))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features, dtype=dt, device=dev))
            self.register_buffer("running_var", ones(num_features, dtype=dt, device=dev))
            self.register_buffer(
                "num_batches_tracked", Tensor(np.array(0, dtype=np.int64), device=dev)
            )
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def _load_from_state_dict(
        self,
        state_dict: dict[str, Any],
        prefix: str,
        local_metadata: dict,
        strict: bool,
        missing_keys: list[str],
        unexpected_keys: list[str],
        error_msgs: list[str],
    ) -> None:
        """As PyTorch's: a state dict older than version 2 (PyTorch's before 0.4.1, or one
        without metadata, as `mg.save` writes) may lack num_batches_tracked, which then keeps
        its value; from version 2 on, a strict load misses it."""
        version = local_metadata.get("version")
        key = prefix + "num_batches_tracked"
        if (version is None or version < 2) and self.track_running_stats:
            if key not in state_dict:
                counter = self.num_batches_tracked
                state_dict[key] = (
                    Tensor(np.array(0, dtype=np.int64)) if counter is None else counter
                )
        super()._load_from_state_dict(
            state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
        )

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            with no_grad():
                self.running_mean.zero_()
                self.running_var.fill_(1.0)
                self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        with no_grad():
            if self.weight is not None:
                self.weight.fill_(1.0)
            if self.bias is not None:
                self.bias.zero_()

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, bias={self.bias is not None}, "
            f"track_running_stats={self.track_running_stats}"
        )


class _BatchNorm(_NormBase):
    """Normalise each channel with batch statistics in training and running statistics in
    evaluation."""

    def forward(self, input: Tensor) -> Tensor:
        x = input
        if x.ndim not in self._dims:
            want = " or ".join(f"{d}-d" for d in self._dims)
            if len(self._dims) > 3:  # SyncBatchNorm: any rank from 2
                want = f"{self._dims[0]}-d or larger"
            raise ValueError(f"{type(self).__name__}: expected a {want} input, got shape {x.shape}")
        factor = 0.0 if self.momentum is None else self.momentum
        # no counter (set to None by hand): the running stats still update with momentum,
        # or with a factor 0 for momentum=None, as PyTorch's
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            with no_grad():
                self.num_batches_tracked.add_(1)
            if self.momentum is None:
                # a cumulative moving average, as PyTorch
                factor = 1.0 / int(self.num_batches_tracked.item())
        # batch statistics in evaluation only where both running ones are None (one of them
        # None is batch_norm's ValueError), as PyTorch's
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        track = not self.training or self.track_running_stats
        return batch_norm(
            x,
            self.running_mean if track else None,
            self.running_var if track else None,
            self.weight,
            self.bias,
            use_batch,
            factor,
            self.eps,
        )


class BatchNorm1d(_BatchNorm):
    """Batch norm over x `(N, C)` or `(N, C, L)`; weight, bias and running stats `(C,)`."""

    _dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch norm over x `(N, C, H, W)`; weight, bias and running stats `(C,)`."""

    _dims = (4,)


class BatchNorm3d(_BatchNorm):
    """Batch norm over x `(N, C, D, H, W)`; weight, bias and running stats `(C,)`."""

    _dims = (5,)


class LayerNorm(Module):
    """Normalise over the trailing `normalized_shape` dims of each sample, then scale and
    shift: weight starts at 1, bias at 0, both of `normalized_shape` (`elementwise_affine`,
    `bias`). The same in training and evaluation."""

    def __init__(
        self,
        normalized_shape: Any,
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(int(n) for n in normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        dt = default_float() if dtype is None else np.dtype(dtype)
        dev = normalize_device(device)
        if elementwise_affine:
            self.weight = Parameter(ones(self.normalized_shape, dtype=dt, device=dev))
            if bias:
                self.bias = Parameter(zeros(self.normalized_shape, dtype=dt, device=dev))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def reset_parameters(self) -> None:
        with no_grad():
            if self.weight is not None:
                self.weight.fill_(1.0)
            if self.bias is not None:
                self.bias.zero_()

    def forward(self, input: Tensor) -> Tensor:
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
            f", bias={self.bias is not None}"
        )


class GroupNorm(Module):
    """Normalise each sample over groups of `num_channels // num_groups` channels (and all
    spatial dims); weight (1s) and bias (0s) per channel when `affine`."""

    def __init__(
        self,
        num_groups: int,
        num_channels: int,
        eps: float = 1e-5,
        affine: bool = True,
        device: Any = None,
        dtype: Any = None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        if num_channels % num_groups:
            raise ValueError(
                f"num_channels ({num_channels}) must be divisible by num_groups ({num_groups})"
            )
        self.num_groups, self.num_channels = num_groups, num_channels
        self.eps, self.affine = eps, affine
        dt = default_float() if dtype is None else np.dtype(dtype)
        dev = normalize_device(device)
        if affine:
            self.weight = Parameter(ones(num_channels, dtype=dt, device=dev))
            if bias:
                self.bias = Parameter(zeros(num_channels, dtype=dt, device=dev))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def reset_parameters(self) -> None:
        with no_grad():
            if self.weight is not None:
                self.weight.fill_(1.0)
            if self.bias is not None:
                self.bias.zero_()

    def forward(self, input: Tensor) -> Tensor:
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
            f"bias={self.bias is not None}"
        )


class _InstanceNorm(_NormBase):
    """Normalise each channel of each sample over its spatial dims. PyTorch's defaults:
    affine=False, track_running_stats=False; with running stats, evaluation mode uses
    them. An unbatched input (one dim fewer) is accepted."""

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = False,
        track_running_stats: bool = False,
        device: Any = None,
        dtype: Any = None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__(
            num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias
        )

    def forward(self, input: Tensor) -> Tensor:
        x = input
        batched = self._dims[0] + 1
        if x.ndim not in (batched - 1, batched):
            raise ValueError(
                f"{type(self).__name__}: expected a {batched - 1}-d or {batched}-d input, got "
                f"shape {x.shape}"
            )
        channel = x.ndim - self._dims[0]  # 0 unbatched, else 1
        # as PyTorch's (running stats of another size are refused by F.instance_norm)
        if self.affine and x.shape[channel] != self.num_features:
            raise ValueError(
                f"expected input's size at dim={channel} to match num_features "
                f"({self.num_features}), but got: {x.shape[channel]}."
            )
        if x.ndim == batched - 1:
            return self.forward(x.unsqueeze(0)).squeeze(0)
        if x.shape[1] != self.num_features:  # unused without affine: PyTorch warns
            warnings.warn(
                f"{type(self).__name__}: input's size at dim=1 ({x.shape[1]}) does not match "
                f"num_features ({self.num_features}). You can silence this warning by not "
                "passing in num_features, which is not used because affine=False",
                UserWarning,
                stacklevel=2,
            )
        # as PyTorch's: momentum=None keeps the running stats (a factor of 0), and
        # num_batches_tracked stays 0
        factor = 0.0 if self.momentum is None else self.momentum
        use_input = self.training or not self.track_running_stats
        return F.instance_norm(
            x,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            use_input,
            factor,
            self.eps,
        )


class InstanceNorm1d(_InstanceNorm):
    """Instance norm over x `(N, C, L)` (or `(C, L)`)."""

    _dims = (2,)


class InstanceNorm2d(_InstanceNorm):
    """Instance norm over x `(N, C, H, W)` (or `(C, H, W)`)."""

    _dims = (3,)


class InstanceNorm3d(_InstanceNorm):
    """Instance norm over x `(N, C, D, H, W)` (or `(C, D, H, W)`)."""

    _dims = (4,)


class RMSNorm(Module):
    """Root-mean-square norm over the trailing `normalized_shape` dims, times weight (1s,
    `elementwise_affine`); eps=None is the machine epsilon of the input's dtype."""

    def __init__(
        self,
        normalized_shape: Any,
        eps: float | None = None,
        elementwise_affine: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(int(n) for n in normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        if elementwise_affine:
            dt = default_float() if dtype is None else np.dtype(dtype)
            dev = normalize_device(device)
            self.weight = Parameter(ones(self.normalized_shape, dtype=dt, device=dev))
        else:
            self.register_parameter("weight", None)

    def reset_parameters(self) -> None:
        if self.weight is not None:
            with no_grad():
                self.weight.fill_(1.0)

    def forward(self, x: Tensor) -> Tensor:
        return F.rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
        )


class LocalResponseNorm(Module):
    """Divide each value by (k + alpha * mean of squares over `size` neighbouring channels)
    ** beta: x `(N, C, *)`."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input: Tensor) -> Tensor:
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


class CrossMapLRN2d(Module):
    """PyTorch's legacy cross-channel LRN on x `(N, C, H, W)` (its running channel window);
    not a LocalResponseNorm, as in PyTorch."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"

    def forward(self, input: Tensor) -> Tensor:
        return cross_map_lrn2d(input, self.size, self.alpha, self.beta, self.k)


__all__ += [
    "CrossMapLRN2d",
    "GroupNorm",
    "InstanceNorm1d",
    "InstanceNorm2d",
    "InstanceNorm3d",
    "LocalResponseNorm",
    "RMSNorm",
]
