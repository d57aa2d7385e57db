"""unfold (sliding blocks to columns) and fold (columns summed back onto an image), as
torch.nn.functional.unfold/fold, on the im2col/col2im helpers of conv.py.

Each is the other's adjoint, so each one's backward is the other: every order of
derivative exists. unfold returns `(N, C*KH*KW, L)` as a view of im2col's
`(C, KH, KW, OH, OW, N)` columns (batch innermost), which fold reads back without a copy.
"""

from __future__ import annotations

from typing import Any

from ..autograd import Function
from ..backend import get_array_module
from ..errors import IndexOutOfRange, ShapeError, ValueRangeError
from ..tensor import Tensor, _is_int
from .conv import ConvGeometry, col2im, conv_out_size, im2col
from .search import torch_name


class Unfold(Function):
    """x `(N, C, H, W)` -> blocks `(N, C*KH*KW, OH*OW)`."""

    def __init__(self, g: ConvGeometry, out_hw: tuple[int, int]) -> None:
        self.g, self.out_hw = g, out_hw

    def forward(self, x):
        n, c = x.shape[:2]
        cols = im2col(x, self.g, self.out_hw)
        if get_array_module(x).may_share_memory(cols, x):  # 1x1 kernels: never alias x
            cols = cols.copy()
        kh, kw = self.g.kernel
        return cols.reshape(c * kh * kw, self.out_hw[0] * self.out_hw[1], n).transpose(2, 0, 1)

    def backward(self, gy):
        return Fold(self.g, tuple(self.inputs[0].shape[2:]), self.out_hw)(gy)


class Fold(Function):
    """Blocks `(N, C*KH*KW, OH*OW)` -> image `(N, C, H, W)`, overlaps summed."""

    def __init__(self, g: ConvGeometry, size: tuple[int, int], out_hw: tuple[int, int]) -> None:
        self.g, self.size, self.out_hw = g, size, out_hw

    def forward(self, x):
        n, ck = x.shape[:2]
        kh, kw = self.g.kernel
        c = ck // (kh * kw)
        cols = x.transpose(1, 2, 0).reshape((c, kh, kw) + self.out_hw + (n,))
        return col2im(cols, self.g, (n, c) + self.size)

    def backward(self, gy):
        return Unfold(self.g, self.out_hw)(gy)


# ---------------------------------------------------------------------- wrappers
def _pair(v: Any, name: str) -> tuple[int, int]:
    pair = (int(v), int(v)) if _is_int(v) else tuple(v)  # (NumPy ints too, as PyTorch)
    if len(pair) != 2:
        raise ValueRangeError(f"It is expected {name} equals to 2, but got size {len(pair)}")
    return pair  # type: ignore[return-value]


def _geometry(kernel_size: Any, dilation: Any, padding: Any, stride: Any) -> ConvGeometry:
    k = _pair(kernel_size, "kernel_size")
    d = _pair(dilation, "dilation")
    p = _pair(padding, "padding")
    s = _pair(stride, "stride")
    if min(k) <= 0:
        raise ValueRangeError(
            f"kernel size should be greater than zero, but got kernel_height: {k[0]} "
            f"kernel_width: {k[1]}"
        )
    if min(d) <= 0:
        raise ValueRangeError(
            f"dilation should be greater than zero, but got dilation_height: {d[0]} "
            f"dilation_width: {d[1]}"
        )
    if min(p) < 0:
        raise ValueRangeError(
            f"padding should be non-negative, but got pad_height: {p[0]} pad_width: {p[1]}"
        )
    if min(s) <= 0:
        raise ValueRangeError(
            f"stride should be greater than zero, but got stride_height: {s[0]} "
            f"stride_width: {s[1]}"
        )
    return ConvGeometry(k, s, p, d, 1)


def _blocks(size: tuple[int, int], g: ConvGeometry) -> tuple[int, int]:
    return tuple(  # type: ignore[return-value]
        conv_out_size(size[a], g.kernel[a], g.stride[a], g.padding[a], g.dilation[a])
        for a in range(2)
    )


def _check_dtype(x: Tensor, kernel: str) -> None:
    """PyTorch's im2col/col2im run on floating, complex and bool tensors only."""
    if x.dtype.kind in "iu":
        raise NotImplementedError(
            f"\"{kernel}_out_cpu\" not implemented for '{torch_name(x.dtype)}'"
        )


def _probe_dims(x: Tensor) -> None:
    """The IndexError PyTorch's shape check meets first (an IndexOutOfRange, a
    RuntimeError too, as minigrad's index errors are) on an input of fewer than 3 dims:
    it reads input.size(1), then input.size(2) unless size(1) is 0."""
    if x.ndim == 0:
        raise IndexOutOfRange("Dimension specified as 1 but tensor has no dimensions")
    probe = 1 if x.ndim == 1 else 2
    if x.ndim == 2 and x.shape[1] == 0:
        return
    if probe >= x.ndim:
        raise IndexOutOfRange(
            f"Dimension out of range (expected to be in range of [{-x.ndim}, {x.ndim - 1}], "
            f"but got {probe})"
        )


def unfold(
    input: Tensor, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1
) -> Tensor:
    """Sliding local blocks as columns, as torch.nn.functional.unfold: `(N, C, H, W)` ->
    `(N, C*KH*KW, L)`, L the number of blocks; an unbatched `(C, H, W)` gives
    `(C*KH*KW, L)`. Integer tensors are PyTorch's NotImplementedError."""
    g = _geometry(kernel_size, dilation, padding, stride)
    if input.ndim < 3:
        _probe_dims(input)
    shape = tuple(input.shape)
    if not (input.ndim == 3 and 0 not in shape) and not (input.ndim == 4 and 0 not in shape[1:]):
        raise ShapeError(
            "Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other "
            f"non-zero dimensions for input, but got: {list(shape)}"
        )
    if input.ndim == 3:
        return unfold(input.unsqueeze(0), kernel_size, dilation, padding, stride).squeeze(0)
    out_hw = _blocks(tuple(input.shape[2:]), g)
    if min(out_hw) < 1:
        raise ShapeError(
            f"Given input with spatial size {tuple(input.shape[2:])}, kernel_size={g.kernel}, "
            f"dilation={g.dilation}, padding={g.padding}, calculated shape of the array of "
            f"sliding blocks as {out_hw}, but its components must be at least one."
        )
    _check_dtype(input, "im2col")
    return Unfold(g, out_hw)(input)


def fold(
    input: Tensor,
    output_size: Any,
    kernel_size: Any,
    dilation: Any = 1,
    padding: Any = 0,
    stride: Any = 1,
) -> Tensor:
    """Sum columns back onto an image (the adjoint of unfold), as
    torch.nn.functional.fold: `(N, C*KH*KW, L)` -> `(N, C, H, W)`; an unbatched
    `(C*KH*KW, L)` gives `(C, H, W)`. Integer tensors are PyTorch's NotImplementedError."""
    size = _pair(output_size, "output_size")
    g = _geometry(kernel_size, dilation, padding, stride)
    shape = tuple(input.shape)
    if not (input.ndim == 2 and 0 not in shape) and not (input.ndim == 3 and 0 not in shape[1:]):
        raise ShapeError(
            "Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and "
            f"non-zero dimensions for input, but got: {list(shape)}"
        )
    if input.ndim == 2:
        return fold(input.unsqueeze(0), size, kernel_size, dilation, padding, stride).squeeze(0)
    if min(size) <= 0:
        raise ValueRangeError(
            f"output size should be greater than zero, but got output_height: {size[0]} "
            f"output_width: {size[1]}"
        )
    kh, kw = g.kernel
    if input.shape[1] % (kh * kw):
        raise ShapeError(
            "Expected size of input's dimension 1 to be divisible by the product of "
            f"kernel_size, but got input.size(1)={input.shape[1]} and kernel_size={g.kernel}."
        )
    out_hw = _blocks(size, g)
    if min(out_hw) < 1 or out_hw[0] * out_hw[1] != input.shape[2]:
        raise ShapeError(
            f"Given output_size={size}, kernel_size={g.kernel}, dilation={g.dilation}, "
            f"padding={g.padding}, stride={g.stride}, expected size of input's dimension 2 to "
            "match the calculated number of sliding blocks "
            f"{out_hw[0]} * {out_hw[1]} = {out_hw[0] * out_hw[1]}, "
            f"but got input.size(2)={input.shape[2]}."
        )
    _check_dtype(input, "col2im")
    return Fold(g, size, out_hw)(input)


__all__ = ["Fold", "Unfold", "fold", "unfold"]
