"""Convolution layers, as in `torch.nn`: Conv1d, Conv2d, ConvTranspose1d and
ConvTranspose2d ((N, C, L) and (N, C, H, W)), with PyTorch's parameter names and shapes,
default init, padding modes and reprs. One base class serves both ranks; the 1-d layers run
the 2-d ops on a unit height (minigrad/ops/conv1d.py)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..backend import default_float, normalize_device
from ..errors import Unsupported, ValueRangeError
from ..ops.conv import conv2d, conv_transpose2d, conv_transpose_out_size
from ..ops.conv1d import conv1d, conv_transpose1d
from ..ops.nn_conv3d import conv3d, conv_transpose3d
from ..ops.shape import pad
from ..tensor import Tensor, zeros
from . import init
from .module import Module, Parameter

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    """Settings kept as n-tuples (PyTorch keeps them so), the weight `(OC, C/groups, *K)`
    (transposed: `(C, OC/groups, *K)`), the bias `(OC,)` and PyTorch's default init:
    kaiming_uniform(a=sqrt(5)) for the weight, i.e. U(+-1/sqrt(fan_in)), and the same bound
    for the bias, with fan_in = weight.shape[1] * prod(K)."""

    n = 2  # spatial dims
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
        if not isinstance(groups, int) or isinstance(groups, bool) or groups <= 0:
            raise ValueError(f"{who}: groups must be a positive integer, got {groups!r}")
        for name, channels in (("in_channels", in_channels), ("out_channels", out_channels)):
            if channels % groups:
                raise ValueError(
                    f"{who}: {name} must be divisible by groups ({name}={channels}, "
                    f"groups={groups})"
                )
        if padding_mode not in _PADDING_MODES:
            raise ValueError(
                f"{who}: padding_mode must be one of {_PADDING_MODES}, got {padding_mode!r}"
            )
        if self.transposed and padding_mode != "zeros":
            raise ValueError(f'{who}: Only "zeros" padding mode is supported for {who}')
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = self._tuple(kernel_size, "kernel_size", 1)
        self.stride = self._tuple(stride, "stride", 1)
        self.dilation, self.groups = self._tuple(dilation, "dilation", 1), groups
        self.padding = self._padding(padding)
        self.padding_mode = padding_mode
        # PyTorch keeps output_padding on every convolution (zeros unless transposed)
        self.output_padding = (0,) * self.n
        self._reversed_padding_repeated_twice = self._reversed_padding()
        channels = (in_channels, out_channels) if self.transposed else (out_channels, in_channels)
        shape = (channels[0], channels[1] // groups) + self.kernel_size
        dt = default_float() if dtype is None else np.dtype(dtype)
        dev = normalize_device(device)
        self.weight = Parameter(zeros(*shape, dtype=dt, device=dev))
        if bias:
            self.bias = Parameter(zeros(out_channels, dtype=dt, device=dev))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def _tuple(self, v: Any, name: str, minimum: int) -> tuple[int, ...]:
        """An int, or a sequence of n ints, as an n-tuple (PyTorch's _single/_pair)."""
        t = (v,) * self.n if isinstance(v, int) else tuple(v) if isinstance(v, list | tuple) else ()
        if len(t) != self.n or not all(
            isinstance(i, int) and not isinstance(i, bool) and i >= minimum for i in t
        ):
            raise ValueRangeError(
                f"{type(self).__name__}: {name} must be an int or {self.n} ints >= {minimum}, "
                f"got {v!r}"
            )
        return t

    def _padding(self, padding: Any) -> Any:
        """An int or n ints, or the string 'valid' (none) or 'same' (stride 1 only), kept as
        the string, as PyTorch keeps it."""
        if not isinstance(padding, str):
            return self._tuple(padding, "padding", 0)
        who = type(self).__name__
        if self.transposed:  # PyTorch's forward raises a TypeError
            raise Unsupported(f"{who}: padding must be ints, got the string {padding!r}")
        if padding not in ("valid", "same"):
            raise ValueError(
                f"{who}: Invalid padding string {padding!r}, should be one of ('valid', 'same')"
            )
        if padding == "same" and self.stride != (1,) * self.n:
            raise ValueRangeError(
                f"{who}: padding='same' is not supported for strided convolutions"
            )
        return padding

    def _reversed_padding(self) -> Any:
        """The widths for F.pad, last dim first, as PyTorch's
        `_reversed_padding_repeated_twice`: a tuple for int paddings; for a string, a list
        (as PyTorch's), 'same' splitting dilation * (K - 1) with the odd one at the end."""
        if not isinstance(self.padding, str):
            return tuple(w for p in reversed(self.padding) for w in (p, p))
        widths = [0, 0] * self.n
        if self.padding == "same":
            for a in range(self.n):
                total = self.dilation[a] * (self.kernel_size[a] - 1)
                i = 2 * (self.n - 1 - a)
                widths[i], widths[i + 1] = total // 2, total - total // 2
        return widths

    def __setstate__(self, state: dict[str, Any]) -> None:
        """A layer pickled by an earlier minigrad lacks the attributes added since, as
        PyTorch's Conv fills `padding_mode` in: they are derived from its settings."""
        self.__dict__.update(state)
        self.__dict__.pop("_pad_widths", None)  # (the earlier name of the widths below)
        if "output_padding" not in self.__dict__:
            self.output_padding = (0,) * self.n
        if "_reversed_padding_repeated_twice" not in self.__dict__:
            self._reversed_padding_repeated_twice = self._reversed_padding()

    def reset_parameters(self) -> None:
        # kaiming_uniform with a = sqrt(5): gain sqrt(1/3), bound sqrt(3) * gain / sqrt(fan_in)
        fan_in = self.weight.shape[1] * math.prod(self.kernel_size)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        # PyTorch's order: padding, dilation, output_padding, groups, bias, padding_mode
        zeros_, ones = (0,) * self.n, (1,) * self.n
        s = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != zeros_:
            s += f", padding={self.padding}"  # a string shows bare, as PyTorch's
        if self.dilation != ones:
            s += f", dilation={self.dilation}"
        if self.output_padding != zeros_:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class _Conv(_ConvNd):
    """A convolution; `conv` is the functional op of its rank."""

    conv: Any = None

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

    def _conv_forward(self, input: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
        """The convolution with the given weight and bias and this layer's settings, as
        PyTorch's: a subclass's forward may call it with a transformed weight (weight
        standardisation). A padding_mode other than 'zeros' pads by the mode first
        (`_reversed_padding_repeated_twice`), then convolves without padding."""
        x, padding = input, self.padding
        if self.padding_mode != "zeros":
            x, padding = pad(x, self._reversed_padding_repeated_twice, self.padding_mode), 0
        return type(self).conv(x, weight, bias, self.stride, padding, self.dilation, self.groups)

    def forward(self, input: Tensor) -> Tensor:
        return self._conv_forward(input, self.weight, self.bias)


class _ConvTranspose(_ConvNd):
    """A transposed convolution; `conv_t` is the functional op of its rank."""

    transposed = True
    conv_t: Any = None

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
        self.output_padding = self._tuple(output_padding, "output_padding", 0)

    def _output_padding(self, x: Tensor, output_size: Any) -> tuple[int, ...]:
        """The output_padding that yields `output_size` (the spatial sizes, or all of the
        output's), as PyTorch's forward finds it."""
        if output_size is None:
            return self.output_padding
        who, n = type(self).__name__, self.n
        size = tuple(output_size)
        if len(size) == x.ndim:
            size = size[-n:]
        if len(size) != n:
            raise ValueError(
                f"{who}: output_size must have {n} or {x.ndim} elements, got {len(size)}"
            )
        least = tuple(
            conv_transpose_out_size(
                x.shape[x.ndim - n + a],
                self.kernel_size[a],
                self.stride[a],
                self.padding[a],
                self.dilation[a],
                0,
            )
            for a in range(n)
        )
        most = tuple(lo + s - 1 for lo, s in zip(least, self.stride, strict=True))
        if not all(lo <= k <= hi for lo, k, hi in zip(least, size, most, strict=True)):
            raise ValueError(
                f"{who}: requested output size {list(size)} is not reachable from an input of "
                f"shape {x.shape}: valid sizes range from {list(least)} to {list(most)}"
            )
        return tuple(k - lo for k, lo in zip(size, least, strict=True))

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:
        x = input
        return type(self).conv_t(
            x,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            self._output_padding(x, output_size),
            self.groups,
            self.dilation,
        )


class Conv1d(_Conv):
    """1-d convolution. x `(N, C, L)` or `(C, L)` -> `(N, OC, OL)`; weight
    `(OC, C/groups, K)`, bias `(OC,)`. padding: an int, 'valid' or 'same'; padding_mode
    'zeros', 'reflect', 'replicate' or 'circular'."""

    n = 1
    conv = staticmethod(conv1d)


class Conv2d(_Conv):
    """2-d convolution, as torch.nn.Conv2d. x `(N, C, H, W)` -> `(N, OC, OH, OW)` (or
    without N); weight `(OC, C/groups, KH, KW)`, bias `(OC,)`.

    kernel_size, stride, padding, dilation: an int or an (h, w) pair. padding: pixels added
    on each side, or 'same' (output as large as the input; stride 1 only) or 'valid' (none).
    OH = (H + 2 * padding - dilation * (KH - 1) - 1) // stride + 1, and OW alike.
    groups: the channels split into that many independent convolutions (C and OC both
    divisible by it; groups = C is a depthwise conv). bias: False for none. padding_mode:
    'zeros', 'reflect', 'replicate' or 'circular', what the padded border holds.
    Weights and bias start uniform in +-1/sqrt(C/groups * KH * KW), as PyTorch's."""

    conv = staticmethod(conv2d)


class ConvTranspose1d(_ConvTranspose):
    """Transposed 1-d convolution. x `(N, C, L)` or `(C, L)` -> `(N, OC, OL)` with
    OL = (L - 1) * stride - 2 * padding + dilation * (K - 1) + output_padding + 1;
    weight `(C, OC/groups, K)`, bias `(OC,)`."""

    n = 1
    conv_t = staticmethod(conv_transpose1d)


class ConvTranspose2d(_ConvTranspose):
    """Transposed 2-d convolution. x `(N, C, H, W)` -> `(N, OC, OH, OW)` with
    OH = (H - 1) * stride - 2 * padding + dilation * (KH - 1) + output_padding + 1;
    weight `(C, OC/groups, KH, KW)`, bias `(OC,)`."""

    conv_t = staticmethod(conv_transpose2d)


class Conv3d(_Conv):
    """3-d convolution. x `(N, C, D, H, W)` or `(C, D, H, W)` -> `(N, OC, OD, OH, OW)`;
    weight `(OC, C/groups, KD, KH, KW)`, bias `(OC,)`."""

    n = 3
    conv = staticmethod(conv3d)


class ConvTranspose3d(_ConvTranspose):
    """Transposed 3-d convolution. x `(N, C, D, H, W)` -> `(N, OC, OD, OH, OW)`; weight
    `(C, OC/groups, KD, KH, KW)`, bias `(OC,)`."""

    n = 3
    conv_t = staticmethod(conv_transpose3d)
