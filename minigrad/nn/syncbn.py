"""SyncBatchNorm: batch norm whose training statistics cover the global batch, the union of
every process's shard, as `torch.nn.SyncBatchNorm`.

Built from differentiable ops and one differentiable all-reduce (its backward is again an
all-reduce), so autograd derives the backward, and the double backward a gradient penalty
takes, with no hand-written rule: per channel, the global mean is the all-reduced sum of x
over the all-reduced count, and the global (biased) variance the all-reduced sum of squared
deviations from it over that count. The backward then all-reduces the gradients of those two
per-channel sums. In evaluation, or in a world of one process, it is BatchNorm itself.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import distributed as dist
from ..autograd import no_grad
from ..backend import get_array_module
from ..errors import AssertionFailed
from ..ops.batchnorm import _axes_and_shape, _update_running, widen_half
from ..ops.reduce import reduce_sum
from ..ops.shape import cat, reshape
from ..tensor import Tensor
from .module import Module
from .norm import _BatchNorm

__all__ = ["SyncBatchNorm", "convert_sync_batchnorm", "sync_batch_norm"]


def sync_batch_norm(
    x: Tensor, weight: Tensor | None, bias: Tensor | None, eps: float
) -> tuple[Tensor, Any, Any]:
    """Normalise x `(N, C, ...)` with the statistics of every process's x together.
    Returns y, the global mean `(C,)` and the unbiased global variance `(C,)` (arrays).
    A float16 x is normalised in float32, counts, sums and all-reduces included, and y
    rounded back once, as PyTorch's half path: a float16 sum or count overflows at 65504."""
    if x.dtype == np.float16:
        y, mean, var = sync_batch_norm(x.float(), widen_half(weight), widen_half(bias), eps)
        return y.half(), mean, var
    axes, shape = _axes_and_shape(x.ndim, x.shape[1])
    xp = get_array_module(x._data)
    count = Tensor._make(xp.full(1, x.numel() // x.shape[1], dtype=x.dtype), False)
    sums = dist.all_reduce_sum(cat([reduce_sum(x, axes), count]))
    n = float(sums._data[-1])
    if n <= 1:
        raise ValueError(
            f"SyncBatchNorm: expected more than 1 value per channel over all processes when "
            f"training, got {int(n)} (input of shape {x.shape} here)"
        )
    mean = sums[:-1] / n
    xc = x - reshape(mean, shape)
    var = dist.all_reduce_sum(reduce_sum(xc * xc, axes)) / n
    scale = (var + eps) ** -0.5
    if weight is not None:
        scale = scale * weight
    y = xc * reshape(scale, shape)
    if bias is not None:
        y = y + reshape(bias, shape)
    return y, mean._data, var._data * (n / (n - 1))


class SyncBatchNorm(_BatchNorm):
    """Batch norm over x `(N, C)`, `(N, C, L)` or `(N, C, H, W)` with statistics synchronised
    across processes in training; weight, bias and running stats `(C,)`."""

    _dims = tuple(range(2, 33))  # any (N, C, ...) input, as PyTorch's (NumPy's 32 dims)

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        process_group: Any = None,
        device: Any = None,
        dtype: Any = None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__(
            num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias
        )
        self.process_group = process_group

    def forward(self, input: Tensor) -> Tensor:
        x = input
        if self.training and self.track_running_stats and self.num_batches_tracked is None:
            # PyTorch's SyncBatchNorm asserts it (BatchNorm*d run on without the counter)
            raise AssertionFailed("SyncBatchNorm: num_batches_tracked must not be None")
        if not self.training or dist.world_size() == 1:
            return super().forward(x)
        if x.ndim not in self._dims:
            raise ValueError(f"SyncBatchNorm: expected at least 2D input, got shape {x.shape}")
        factor = 0.0 if self.momentum is None else self.momentum
        if self.track_running_stats:
            with no_grad():
                self.num_batches_tracked.add_(1)
            if self.momentum is None:
                factor = 1.0 / int(self.num_batches_tracked.item())
        y, mean, var = sync_batch_norm(x, self.weight, self.bias, self.eps)
        if self.track_running_stats:
            with no_grad():
                _update_running(self.running_mean, mean, factor)
                _update_running(self.running_var, var, factor)
        return y

    @classmethod
    def convert_sync_batchnorm(cls, module: Module, process_group: Any = None) -> Module:
        """`module` with every BatchNorm1d/2d replaced by a SyncBatchNorm that keeps its
        parameters, running statistics, settings and mode (the module itself if it is one)."""
        if isinstance(module, _BatchNorm) and not isinstance(module, SyncBatchNorm):
            new = cls(
                module.num_features,
                module.eps,
                module.momentum,
                module.affine,
                module.track_running_stats,
                process_group,
                bias=module.bias is not None,
            )
            if module.affine:
                new.weight, new.bias = module.weight, module.bias
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                new._buffers[name] = module._buffers[name]
            new.train(module.training)
            if hasattr(module, "qconfig"):  # quantization's setting, kept as PyTorch's
                new.qconfig = module.qconfig
            return new
        for name, child in list(module._modules.items()):
            if child is not None:
                module._modules[name] = cls.convert_sync_batchnorm(child, process_group)
        return module


def convert_sync_batchnorm(module: Module) -> Module:
    """`SyncBatchNorm.convert_sync_batchnorm(module)`."""
    return SyncBatchNorm.convert_sync_batchnorm(module)
