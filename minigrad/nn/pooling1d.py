"""1-d pooling layers and adaptive max pooling, as in `torch.nn`: MaxPool1d, AvgPool1d,
AdaptiveAvgPool1d, AdaptiveMaxPool1d, AdaptiveMaxPool2d; PyTorch's arguments, stored
settings and reprs."""

from __future__ import annotations

from typing import Any

from ..ops.conv1d import single
from ..ops.pool1d import (
    adaptive_avg_pool1d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    avg_pool1d,
    max_pool1d,
)
from ..tensor import Tensor
from .module import Module
from .pooling import _AdaptiveAvgPoolNd, _AdaptiveMaxPoolNd, _AvgPoolNd, _MaxPoolNd

__all__ = [
    "AdaptiveAvgPool1d",
    "AdaptiveMaxPool1d",
    "AdaptiveMaxPool2d",
    "AvgPool1d",
    "MaxPool1d",
]


class MaxPool1d(_MaxPoolNd):
    """Window maxima: x `(N, C, L)` or `(C, L)` -> `(..., OL)`; stride defaults to the
    kernel. With return_indices, forward also gives the int64 position of each maximum."""

    def forward(self, input: Tensor) -> Any:
        return max_pool1d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            self.ceil_mode,
            self.return_indices,
        )


class AvgPool1d(_AvgPoolNd):
    """Window means: x `(N, C, L)` or `(C, L)` -> `(..., OL)`; stride defaults to the
    kernel. Settings kept as 1-tuples, as PyTorch's."""

    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
    ) -> None:
        Module.__init__(self)  # 1-tuples of its own, not the N-d base's settings
        who = "AvgPool1d"
        self.kernel_size = (single(kernel_size, "kernel_size", who, 1),)
        stride = stride if stride is not None else kernel_size
        self.stride = (single(stride, "stride", who, 1),)
        self.padding = (single(padding, "padding", who, 0),)
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, input: Tensor) -> Tensor:
        return avg_pool1d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
        )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool1d(_AdaptiveAvgPoolNd):
    """Average pooling to a fixed length: `(N, C, L)` or `(C, L)` -> `(..., output_size)`."""

    def forward(self, input: Tensor) -> Tensor:
        return adaptive_avg_pool1d(input, self.output_size)


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    """Max pooling to a fixed length: `(N, C, L)` or `(C, L)` -> `(..., output_size)`, and
    the positions of the maxima with return_indices."""

    def forward(self, input: Tensor) -> Any:
        return adaptive_max_pool1d(input, self.output_size, self.return_indices)


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    """Max pooling to a fixed (OH, OW) (None keeps that size): `(N, C, H, W)` or
    `(C, H, W)`, and the flat positions h * W + w of the maxima with return_indices."""

    def forward(self, input: Tensor) -> Any:
        return adaptive_max_pool2d(input, self.output_size, self.return_indices)
