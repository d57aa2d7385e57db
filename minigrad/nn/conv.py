"""Convolution layers, as in `torch.nn`: Conv2d and ConvTranspose2d (NCHW)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..backend import normalize_device
from ..ops.conv import conv2d, conv_transpose2d, conv_transpose_out_size, same_padding
from ..ops.shape import pad
from ..tensor import Tensor, zeros
from . import init
from .module import Module, Parameter

__all__ = ["Conv2d", "ConvTranspose2d"]


def _pair(v: Any) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else tuple(v)  # type: ignore[return-value]


class _ConvNd(Module):
    """Shared parameters and PyTorch's default init: kaiming_uniform(a=sqrt(5)) for the
    weight, i.e. U(+-1/sqrt(fan_in)), and U(+-1/sqrt(fan_in)) for the bias, with fan_in =
    weight.shape[1] * KH * KW."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any,
        padding: Any,
        dilation: Any,
        groups: int,
        bias: bool,
        padding_mode: str,
        weight_shape: tuple[int, ...],
        device: Any,
        dtype: Any,
    ) -> None:
        super().__init__()
        if in_channels % groups or out_channels % groups:
            raise ValueError(
                f"{type(self).__name__}: groups={groups} must divide in_channels={in_channels} "
                f"and out_channels={out_channels}"
            )
        modes = ("zeros",) if isinstance(self, ConvTranspose2d) else _PADDING_MODES
        if padding_mode not in modes:
            raise ValueError(
                f"{type(self).__name__}: padding_mode must be one of {modes}, got {padding_mode!r}"
            )
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride = _pair(kernel_size), _pair(stride)
        self.dilation, self.groups = _pair(dilation), groups
        self.padding = self._padding(padding)
        self.padding_mode = padding_mode
        # (left, right, top, bottom) for F.pad, as PyTorch's _reversed_padding_repeated_twice
        if isinstance(self.padding, str):
            start, end = same_padding(
                type(self).__name__, self.padding, self.kernel_size, 1, self.dilation
            )
        else:
            start = end = self.padding
        self._pad_widths = (start[1], end[1], start[0], end[0])
        dt = np.float32 if dtype is None else np.dtype(dtype)
        dev = normalize_device(device)
        self.weight = Parameter(zeros(*weight_shape, dtype=dt, device=dev))
        if bias:
            self.bias = Parameter(zeros(out_channels, dtype=dt, device=dev))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def _padding(self, padding: Any) -> Any:
        """PyTorch's padding: an int or pair, or the string 'valid' (none) or 'same' (stride
        1; an odd total padding puts the extra row and column at the bottom and right), kept
        as the string, as PyTorch keeps it."""
        if not isinstance(padding, str):
            return _pair(padding)
        who = type(self).__name__
        if padding not in ("valid", "same") or isinstance(self, ConvTranspose2d):
            raise ValueError(f"{who}: invalid padding string {padding!r}")
        if padding == "same" and self.stride != (1, 1):
            raise ValueError(f"{who}: padding='same' is not supported for strided convolutions")
        return padding

    def reset_parameters(self) -> None:
        # kaiming_uniform with a = sqrt(5): gain sqrt(1/3), bound sqrt(3) * gain / sqrt(fan_in)
        fan_in = self.weight.shape[1] * self.kernel_size[0] * self.kernel_size[1]
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        s = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class Conv2d(_ConvNd):
    """2-d convolution. x `(N, C, H, W)` -> `(N, OC, OH, OW)`; weight
    `(OC, C/groups, KH, KW)`, bias `(OC,)`."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        k = _pair(kernel_size)
        super().__init__(
            in_channels,
            out_channels,
            k,
            stride,
            padding,
            dilation,
            groups,
            bias,
            padding_mode,
            (out_channels, in_channels // groups) + k,
            device,
            dtype,
        )

    def forward(self, input: Tensor) -> Tensor:
        x = input
        if self.padding_mode != "zeros":  # pad by the mode first, then no zero padding
            x = pad(x, self._pad_widths, self.padding_mode)
            return conv2d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)
        return conv2d(
            x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups
        )


class ConvTranspose2d(_ConvNd):
    """Transposed 2-d convolution. x `(N, C, H, W)` -> `(N, OC, OH, OW)` with
    OH = (H - 1) * stride - 2 * padding + dilation * (KH - 1) + output_padding + 1;
    weight `(C, OC/groups, KH, KW)`, bias `(OC,)`."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        output_padding: Any = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: Any = 1,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        k = _pair(kernel_size)
        super().__init__(
            in_channels,
            out_channels,
            k,
            stride,
            padding,
            dilation,
            groups,
            bias,
            padding_mode,
            (in_channels, out_channels // groups) + k,
            device,
            dtype,
        )
        self.output_padding = _pair(output_padding)

    def _output_padding(self, x: Tensor, output_size: Any) -> tuple[int, int]:
        """The output_padding that yields `output_size` (H, W), as PyTorch's forward."""
        if output_size is None:
            return self.output_padding
        size = tuple(output_size)[-2:]
        pads = []
        for a in range(2):
            least = conv_transpose_out_size(
                x.shape[2 + a],
                self.kernel_size[a],
                self.stride[a],
                self.padding[a],
                self.dilation[a],
                0,
            )
            if not least <= size[a] < least + self.stride[a]:
                raise ValueError(
                    f"ConvTranspose2d: requested output size {size} is not reachable from an "
                    f"input of shape {x.shape}: each side must lie in [{least}, "
                    f"{least + self.stride[a] - 1}]"
                )
            pads.append(size[a] - least)
        return tuple(pads)  # type: ignore[return-value]

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:
        x = input
        return conv_transpose2d(
            x,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            self._output_padding(x, output_size),
            self.groups,
            self.dilation,
        )

    def extra_repr(self) -> str:
        s = super().extra_repr()
        if self.output_padding != (0, 0):
            s += f", output_padding={self.output_padding}"
        return s
