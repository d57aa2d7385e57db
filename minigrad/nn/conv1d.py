"""1-d convolution layers, as in `torch.nn`: Conv1d and ConvTranspose1d (N, C, L), with
PyTorch's parameter names and shapes, default init, padding modes and reprs."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..backend import normalize_device
from ..ops.conv import conv_transpose_out_size
from ..ops.conv1d import conv1d, conv_transpose1d, single
from ..ops.shape import pad
from ..tensor import Tensor, zeros
from . import init
from .module import Module, Parameter

__all__ = ["Conv1d", "ConvTranspose1d"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _Conv1dBase(Module):
    """Shared settings and PyTorch's default init: kaiming_uniform(a=sqrt(5)) for the
    weight, i.e. U(+-1/sqrt(fan_in)), and the same bound for the bias, with fan_in =
    weight.shape[1] * K. Settings are kept as 1-tuples, as PyTorch keeps them."""

    transposed = False

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
        device: Any,
        dtype: Any,
    ) -> None:
        super().__init__()
        who = type(self).__name__
        if not isinstance(groups, int) or groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups:
            raise ValueError("out_channels must be divisible by groups")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(
                f"padding_mode must be one of {set(_PADDING_MODES)}, but got "
                f"padding_mode={padding_mode!r}"
            )
        if self.transposed and padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {who}')
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = (single(kernel_size, "kernel_size", who, 1),)
        self.stride = (single(stride, "stride", who, 1),)
        self.dilation, self.groups = (single(dilation, "dilation", who, 1),), groups
        self.padding_mode = padding_mode
        if isinstance(padding, str):
            if self.transposed or padding not in ("valid", "same"):
                raise ValueError(
                    f"Invalid padding string {padding!r}, should be one of ('valid', 'same')"
                )
            if padding == "same" and self.stride != (1,):
                raise ValueError("padding='same' is not supported for strided convolutions")
            self.padding: Any = padding
            total = 0 if padding == "valid" else self.dilation[0] * (self.kernel_size[0] - 1)
            self._pad_widths = (total // 2, total - total // 2)
        else:
            self.padding = (single(padding, "padding", who, 0),)
            self._pad_widths = self.padding * 2  # (left, right) for F.pad
        if self.transposed:
            shape = (in_channels, out_channels // groups) + self.kernel_size
        else:
            shape = (out_channels, in_channels // groups) + self.kernel_size
        dt = np.float32 if dtype is None else np.dtype(dtype)
        dev = normalize_device(device)
        self.weight = Parameter(zeros(*shape, dtype=dt, device=dev))
        if bias:
            self.bias = Parameter(zeros(out_channels, dtype=dt, device=dev))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # kaiming_uniform with a = sqrt(5): gain sqrt(1/3), bound sqrt(3) * gain / sqrt(fan_in)
        fan_in = self.weight.shape[1] * self.kernel_size[0]
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        # PyTorch's order: padding, dilation, output_padding, groups, bias, padding_mode
        s = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != (0,):
            s += f", padding={self.padding}"  # a string shows bare, as PyTorch's
        if self.dilation != (1,):
            s += f", dilation={self.dilation}"
        if getattr(self, "output_padding", (0,)) != (0,):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv1d(_Conv1dBase):
    """1-d convolution. x `(N, C, L)` or `(C, L)` -> `(N, OC, OL)`; weight
    `(OC, C/groups, K)`, bias `(OC,)`. padding: an int, 'valid' or 'same'; padding_mode
    'zeros', 'reflect', 'replicate' or 'circular'."""

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
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
            padding_mode,
            device,
            dtype,
        )

    def forward(self, input: Tensor) -> Tensor:
        x = input
        if self.padding_mode != "zeros":  # pad by the mode first, then no zero padding
            x = pad(x, self._pad_widths, self.padding_mode)
            return conv1d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)
        return conv1d(
            x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups
        )


class ConvTranspose1d(_Conv1dBase):
    """Transposed 1-d convolution. x `(N, C, L)` or `(C, L)` -> `(N, OC, OL)` with
    OL = (L - 1) * stride - 2 * padding + dilation * (K - 1) + output_padding + 1;
    weight `(C, OC/groups, K)`, bias `(OC,)`."""

    transposed = True

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
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
            padding_mode,
            device,
            dtype,
        )
        self.output_padding = (single(output_padding, "output_padding", "ConvTranspose1d", 0),)

    def _output_padding(self, x: Tensor, output_size: Any) -> int:
        """The output_padding that yields `output_size` (OL, or N, C, OL), as PyTorch's."""
        if output_size is None:
            return self.output_padding[0]
        size = list(output_size)
        if len(size) == x.ndim:
            size = size[-1:]
        if len(size) != 1:
            raise ValueError(
                f"ConvTranspose1d: output_size must have 1 or {x.ndim} elements (got {len(size)})"
            )
        least = conv_transpose_out_size(
            x.shape[-1], self.kernel_size[0], self.stride[0], self.padding[0], self.dilation[0], 0
        )
        most = least + self.stride[0] - 1
        if not least <= size[0] <= most:
            raise ValueError(
                f"requested an output size of {size}, but valid sizes range from [{least}] to "
                f"[{most}] (for an input of {list(x.shape[-1:])})"
            )
        return size[0] - least

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:
        x = input
        return conv_transpose1d(
            x,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            self._output_padding(x, output_size),
            self.groups,
            self.dilation,
        )
