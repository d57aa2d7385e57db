"""1-d convolution and its transpose, as torch.nn.functional.conv1d/conv_transpose1d, on the
2-d nodes of conv.py: a signal `(N, C, L)` is an image `(N, C, 1, L)` and a kernel
`(OC, C/g, K)` a `(OC, C/g, 1, K)` one, so the two stay each other's gradients and every
order of derivative exists. The checks are PyTorch's, with its wording, before the 2-d op
sees the input.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ShapeError, ValueRangeError
from ..tensor import Tensor
from .conv import conv2d, conv_transpose2d, conv_transpose_out_size

__all__ = ["conv1d", "conv_transpose1d", "single"]


def single(v: Any, name: str, op: str, minimum: int) -> int:
    """An int, or a sequence of one int, as PyTorch's `_single`; at least `minimum`."""
    one = v
    if isinstance(v, tuple | list) and len(v) == 1:
        (one,) = v
    if not isinstance(one, int | np.integer) or isinstance(one, bool | np.bool_):
        raise TypeError(f"{op}: {name} must be an int or a 1-tuple of ints, got {v!r}")
    one = int(one)  # a NumPy int too, as PyTorch reads it
    if one < minimum:
        raise ValueRangeError(
            f"{op}: {name} must be an int or a 1-tuple of ints >= {minimum}, got {v!r}"
        )
    return one


def _size(shape: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(n) for n in shape) + "]"


def _check(
    op: str, x: Tensor, weight: Tensor, bias: Tensor | None, groups: int, transposed: bool
) -> None:
    """PyTorch's shape checks of a 1-d (transposed) convolution, in its order and words."""
    if x.ndim not in (2, 3):
        raise ShapeError(
            f"Expected 2D (unbatched) or 3D (batched) input to {op}, but got input of size: "
            f"{_size(x.shape)}"
        )
    if weight.ndim != 3:
        raise ShapeError(
            f"Expected {weight.ndim}-dimensional input for {weight.ndim}-dimensional weight "
            f"{_size(weight.shape)}, but got {x.ndim + (x.ndim == 2)}-dimensional input of size "
            f"{_size(x.shape if x.ndim == 3 else (1,) + x.shape)} instead"
        )
    if not isinstance(groups, int) or groups < 1:
        raise ValueError(f"{op}: non-positive groups is not supported, got groups={groups!r}")
    if weight.shape[0] % groups:
        raise ShapeError(
            f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
            f"but got weight of size {_size(weight.shape)} instead"
        )
    if weight.shape[0] < groups:
        raise ShapeError(
            f"Given groups={groups}, expected weight to be at least {groups} at dimension 0, "
            f"but got weight of size {_size(weight.shape)} instead"
        )
    c = x.shape[-2]
    want = weight.shape[0] if transposed else weight.shape[1] * groups
    out_ch = weight.shape[1] * groups if transposed else weight.shape[0]
    if out_ch < 1:
        raise ShapeError(f"{op}: the weight of size {_size(weight.shape)} gives no output channels")
    given = "Given transposed=1, weight" if transposed else f"Given groups={groups}, weight"
    if c != want:
        shape = x.shape if x.ndim == 3 else (1,) + x.shape
        raise ShapeError(
            f"{given} of size {_size(weight.shape)}, expected input{_size(shape)} to have "
            f"{want} channels, but got {c} channels instead"
        )
    if bias is not None and tuple(bias.shape) != (out_ch,):
        raise ShapeError(
            f"Given weight of size {_size(weight.shape)}, expected bias to be 1-dimensional "
            f"with {out_ch} elements, but got bias of size {_size(bias.shape)} instead"
        )


def conv1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """1-d cross-correlation, as torch.nn.functional.conv1d.

    x `(N, C, L)`, weight `(OC, C/groups, K)`, bias `(OC,)` -> `(N, OC, OL)` with
    OL = (L + 2 * padding - dilation * (K - 1) - 1) // stride + 1; an unbatched `(C, L)`
    gives `(OC, OL)`. `padding` may be 'valid' or 'same' (stride 1; an odd total padding
    puts the extra zero on the right, as PyTorch).
    """
    x, op = input, "conv1d"
    _check(op, x, weight, bias, groups, transposed=False)
    if x.ndim == 2:
        return conv1d(x.unsqueeze(0), weight, bias, stride, padding, dilation, groups).squeeze(0)
    s = single(stride, "stride", op, 1)
    d = single(dilation, "dilation", op, 1)
    if isinstance(padding, str):
        if padding not in ("valid", "same"):
            raise ShapeError(f"Invalid padding string: {padding!r}")
        if padding == "same" and s != 1:
            raise ShapeError("padding='same' is not supported for strided convolutions")
        pad2: Any = padding
        p = 0 if padding == "valid" else d * (weight.shape[2] - 1) // 2
    else:
        p = single(padding, "padding", op, 0)
        pad2 = (0, p)
    k = weight.shape[2]
    if x.shape[2] + 2 * p < d * (k - 1) + 1 and padding != "same":
        raise ShapeError(
            f"Calculated padded input size per channel: ({x.shape[2] + 2 * p}). Kernel size: "
            f"({d * (k - 1) + 1}). Kernel size can't be greater than actual input size"
        )
    y = conv2d(x.unsqueeze(2), weight.unsqueeze(2), bias, (1, s), pad2, (1, d), groups)
    return y.squeeze(2)


def conv_transpose1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
) -> Tensor:
    """Transposed 1-d convolution (the input gradient of conv1d), as
    torch.nn.functional.conv_transpose1d.

    x `(N, C, L)`, weight `(C, OC/groups, K)`, bias `(OC,)` -> `(N, OC, OL)` with
    OL = (L - 1) * stride - 2 * padding + dilation * (K - 1) + output_padding + 1; an
    unbatched `(C, L)` gives `(OC, OL)`.
    """
    x, op = input, "conv_transpose1d"
    _check(op, x, weight, bias, groups, transposed=True)
    if x.ndim == 2:
        out = conv_transpose1d(
            x.unsqueeze(0), weight, bias, stride, padding, output_padding, groups, dilation
        )
        return out.squeeze(0)
    if isinstance(padding, str):
        raise ValueError(f"{op}: padding must be an int or a 1-tuple, got the string {padding!r}")
    s = single(stride, "stride", op, 1)
    p = single(padding, "padding", op, 0)
    d = single(dilation, "dilation", op, 1)
    o = single(output_padding, "output_padding", op, 0)
    if o >= s and o >= d:
        raise ShapeError(
            f"output padding must be smaller than either stride or dilation, but got "
            f"output_padding_height: 0 output_padding_width: {o} stride_height: 1 "
            f"stride_width: {s} dilation_height: 1 dilation_width: {d}"
        )
    n = conv_transpose_out_size(x.shape[2], weight.shape[2], s, p, d, o)
    if n < 1:
        raise ShapeError(
            f"Given input size per channel: (1 x {x.shape[2]}). Calculated output size per "
            f"channel: (1 x {n}). Output size is too small"
        )
    y = conv_transpose2d(
        x.unsqueeze(2), weight.unsqueeze(2), bias, (1, s), (0, p), (0, o), groups, (1, d)
    )
    return y.squeeze(2)
