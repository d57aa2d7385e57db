"""Pooling and upsampling layers, as in `torch.nn`: MaxPool2d, AvgPool2d, Upsample."""

from __future__ import annotations

from typing import Any

from ..ops.nn_pool import fractional_max_pool_nd
from ..ops.pool import interpolate
from ..tensor import Tensor
from . import functional as F
from .module import Module

__all__ = [
    "AdaptiveAvgPool2d",
    "AvgPool2d",
    "MaxPool2d",
    "Upsample",
    "UpsamplingBilinear2d",
    "UpsamplingNearest2d",
]


class _MaxPoolNd(Module):
    """Window maxima over the last `n` dims; stride defaults to the kernel. PyTorch's
    arguments, stored settings and repr; with return_indices, forward also gives the
    int64 flat position of each maximum."""

    n = 2

    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        dilation: Any = 1,
        return_indices: bool = False,
        ceil_mode: bool = False,
    ) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input: Tensor) -> Any:
        fn = F.max_pool2d if self.n == 2 else F.max_pool3d
        return fn(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            ceil_mode=self.ceil_mode,
            return_indices=self.return_indices,
        )

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )


class MaxPool2d(_MaxPoolNd):
    """Window maxima: x `(N, C, H, W)` or `(C, H, W)` -> `(..., OH, OW)`."""


class MaxPool3d(_MaxPoolNd):
    """Window maxima: x `(N, C, D, H, W)` or `(C, D, H, W)` -> `(..., OD, OH, OW)`."""

    n = 3


class _AvgPoolNd(Module):
    """Window means over the last `n` dims; stride defaults to the kernel. PyTorch's
    arguments, stored settings and repr."""

    n = 2

    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
    ) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input: Tensor) -> Tensor:
        fn = F.avg_pool2d if self.n == 2 else F.avg_pool3d
        return fn(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
            self.divisor_override,
        )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(_AvgPoolNd):
    """Window means: x `(N, C, H, W)` or `(C, H, W)` -> `(..., OH, OW)`."""


class AvgPool3d(_AvgPoolNd):
    """Window means: x `(N, C, D, H, W)` or `(C, D, H, W)` -> `(..., OD, OH, OW)`."""

    n = 3


class Upsample(Module):
    """Resize the spatial dims of x to `size` or by `scale_factor`, as
    `F.interpolate` (modes nearest, nearest-exact, linear, bilinear, bicubic, trilinear)."""

    def __init__(
        self,
        size: Any = None,
        scale_factor: Any = None,
        mode: str = "nearest",
        align_corners: bool | None = None,
        recompute_scale_factor: bool | None = None,
    ) -> None:
        super().__init__()
        self.size = size
        # kept as floats, as PyTorch's (its repr shows scale_factor=2.0)
        if isinstance(scale_factor, tuple | list):
            self.scale_factor = tuple(float(f) for f in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode, self.align_corners = mode, align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input: Tensor) -> Tensor:
        x = input
        return interpolate(
            x,
            self.size,
            self.scale_factor,
            self.mode,
            self.align_corners,
            self.recompute_scale_factor,
        )

    def extra_repr(self) -> str:
        # PyTorch's: the scale factor when given, else the size (None too)
        what = (
            f"size={self.size!r}"
            if self.scale_factor is None
            else f"scale_factor={self.scale_factor!r}"
        )
        return f"{what}, mode='{self.mode}'"


class UpsamplingNearest2d(Upsample):
    """Upsample with mode 'nearest' (PyTorch's legacy layer)."""

    def __init__(self, size: Any = None, scale_factor: Any = None) -> None:
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """Upsample with mode 'bilinear' and align_corners=True (PyTorch's legacy layer)."""

    def __init__(self, size: Any = None, scale_factor: Any = None) -> None:
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)


class _AdaptiveAvgPoolNd(Module):
    """What the adaptive average pools share (PyTorch's base of the same name)."""

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        self.output_size = output_size

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class _AdaptiveMaxPoolNd(Module):
    """What the adaptive max pools share (PyTorch's base of the same name)."""

    def __init__(self, output_size: Any, return_indices: bool = False) -> None:
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool2d(_AdaptiveAvgPoolNd):
    """Average pooling to a fixed output size (an int, or a pair whose None entries keep
    the input's size): (N, C, H, W) or (C, H, W) -> (..., OH, OW)."""

    def forward(self, input: Tensor) -> Tensor:
        return F.adaptive_avg_pool2d(input, self.output_size)


class AdaptiveAvgPool3d(_AdaptiveAvgPoolNd):
    """Average pooling to a fixed (OD, OH, OW): `(N, C, D, H, W)` or `(C, D, H, W)`."""

    def forward(self, input: Tensor) -> Tensor:
        return F.adaptive_avg_pool3d(input, self.output_size)


class AdaptiveMaxPool3d(_AdaptiveMaxPoolNd):
    """Max pooling to a fixed (OD, OH, OW) (None keeps that size), and the flat positions
    of the maxima with return_indices."""

    def forward(self, input: Tensor) -> Any:
        return F.adaptive_max_pool3d(input, self.output_size, self.return_indices)


class _MaxUnpoolNd(Module):
    """Undo a max pool: zeros of the pooled-from size with each value at its index.
    Settings kept as n-tuples, as PyTorch's."""

    n = 2

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()

        def tup(v: Any) -> tuple[int, ...]:
            return (v,) * self.n if isinstance(v, int) else tuple(v)

        self.kernel_size = tup(kernel_size)
        self.stride = tup(stride if stride is not None else kernel_size)
        self.padding = tup(padding)

    def forward(self, input: Tensor, indices: Tensor, output_size: Any = None) -> Tensor:
        fn = (F.max_unpool1d, F.max_unpool2d, F.max_unpool3d)[self.n - 1]
        return fn(input, indices, self.kernel_size, self.stride, self.padding, output_size)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    """Undo MaxPool1d: x `(N, C, L)` or `(C, L)` and its indices."""

    n = 1


class MaxUnpool2d(_MaxUnpoolNd):
    """Undo MaxPool2d: x `(N, C, H, W)` or `(C, H, W)` and its flat indices."""


class MaxUnpool3d(_MaxUnpoolNd):
    """Undo MaxPool3d: x `(N, C, D, H, W)` or `(C, D, H, W)` and its flat indices."""

    n = 3


class _LPPoolNd(Module):
    """Power-average pooling: (sum of x^p over each window)^(1/p)."""

    n = 2

    def __init__(
        self, norm_type: float, kernel_size: Any, stride: Any = None, ceil_mode: bool = False
    ) -> None:
        super().__init__()
        self.norm_type, self.kernel_size = norm_type, kernel_size
        self.stride, self.ceil_mode = stride, ceil_mode

    def forward(self, input: Tensor) -> Tensor:
        fn = (F.lp_pool1d, F.lp_pool2d, F.lp_pool3d)[self.n - 1]
        return fn(input, float(self.norm_type), self.kernel_size, self.stride, self.ceil_mode)

    def extra_repr(self) -> str:
        return (
            f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, stride={self.stride}, "
            f"ceil_mode={self.ceil_mode}"
        )


class LPPool1d(_LPPoolNd):
    """LP pooling over x `(N, C, L)` or `(C, L)`."""

    n = 1


class LPPool2d(_LPPoolNd):
    """LP pooling over x `(N, C, H, W)` or `(C, H, W)`."""


class LPPool3d(_LPPoolNd):
    """LP pooling over x `(N, C, D, H, W)` or `(C, D, H, W)`."""

    n = 3


class _FractionalMaxPoolNd(Module):
    """Fractional max pooling over the last `n` dims (ops/nn_pool.py), PyTorch's arguments
    and stored settings: give output_size or output_ratio (each in (0, 1)); a given
    `_random_samples` `(N, C, n)` is a buffer and fixes the windows, else each call draws
    them from minigrad's generator."""

    n = 2

    def __init__(
        self,
        kernel_size: Any,
        output_size: Any = None,
        output_ratio: Any = None,
        return_indices: bool = False,
        _random_samples: Any = None,
    ) -> None:
        super().__init__()
        who = type(self).__name__
        if self.n == 3 and min(self._as_n(kernel_size)) <= 0:
            raise ValueError(f"kernel_size must be greater than 0, but got {kernel_size}")
        self.kernel_size = self._as_n(kernel_size)
        self.return_indices = return_indices
        self.register_buffer("_random_samples", _random_samples)
        self.output_size = self._as_n(output_size) if output_size is not None else None
        self.output_ratio = self._as_n(output_ratio) if output_ratio is not None else None
        if output_size is None and output_ratio is None:
            raise ValueError(f"{who} requires specifying either an output size, or a pooling ratio")
        if output_size is not None and output_ratio is not None:
            raise ValueError("only one of output_size and output_ratio may be specified")
        if self.output_ratio is not None and not all(0 < r < 1 for r in self.output_ratio):
            raise ValueError(f"output_ratio must be between 0 and 1 (got {output_ratio})")

    def _as_n(self, v: Any) -> tuple:
        """A number or a sequence as a tuple (PyTorch's _pair/_triple)."""
        return tuple(v) if isinstance(v, tuple | list) else (v,) * self.n

    def forward(self, input: Tensor) -> Any:
        return fractional_max_pool_nd(
            input,
            self.n,
            self.kernel_size,
            self.output_size,
            self.output_ratio,
            self.return_indices,
            self._random_samples,
            f"fractional_max_pool{self.n}d",
        )


class FractionalMaxPool2d(_FractionalMaxPoolNd):
    """Fractional max pooling: x `(N, C, H, W)` or `(C, H, W)` -> `(..., OH, OW)`."""


class FractionalMaxPool3d(_FractionalMaxPoolNd):
    """Fractional max pooling: x `(N, C, T, H, W)` or `(C, T, H, W)` -> `(..., OT, OH,
    OW)`."""

    n = 3


__all__ += [
    "AdaptiveAvgPool3d",
    "AdaptiveMaxPool3d",
    "AvgPool3d",
    "FractionalMaxPool2d",
    "FractionalMaxPool3d",
    "LPPool1d",
    "LPPool2d",
    "LPPool3d",
    "MaxPool3d",
    "MaxUnpool1d",
    "MaxUnpool2d",
    "MaxUnpool3d",
]
