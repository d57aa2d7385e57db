"""3-d convolution and its transpose (x `(N, C, D, H, W)` or unbatched `(C, D, H, W)`),
as torch.nn.functional.conv3d / conv_transpose3d, composed of the 2-d ops: one 2-d
convolution per depth offset of the kernel, the depth folded into the batch. Built from
differentiable ops only, so every order of derivative comes from conv.py's."""

from __future__ import annotations

from typing import Any

from ..backend import get_array_module
from ..errors import ValueRangeError
from ..tensor import Tensor
from .conv import conv2d, conv_out_size, conv_transpose2d, conv_transpose_out_size
from .shape import cat, pad, reshape

__all__ = ["conv3d", "conv_transpose3d"]


def _triple(v: Any, name: str, op: str, minimum: int) -> tuple[int, int, int]:
    t = (v,) * 3 if isinstance(v, int) else tuple(v)
    if len(t) == 1:
        t = t * 3
    if len(t) != 3 or not all(isinstance(i, int) and i >= minimum for i in t):
        raise ValueError(f"{op}: {name} must be an int or 3 ints >= {minimum}, got {v!r}")
    return t  # type: ignore[return-value]


def _check(op: str, x: Tensor, weight: Tensor, bias: Tensor | None, out_ch: int) -> None:
    if x.ndim != 5:
        raise RuntimeError(
            f"Expected 4D (unbatched) or 5D (batched) input to {op}, but got input of size: "
            f"{list(x.shape)}"
        )
    if weight.ndim != 5:
        raise RuntimeError(f"{op}: expected a 5-d weight, got shape {list(weight.shape)}")
    if weight.shape[0] < 1:
        raise RuntimeError(
            f"{op}: expected weight to be at least 1 at dimension 0, but got weight of size "
            f"{list(weight.shape)} instead"
        )
    if out_ch < 1:
        raise RuntimeError(
            f"{op}: the weight of size {list(weight.shape)} gives no output channels"
        )
    if bias is not None and tuple(bias.shape) != (out_ch,):
        raise RuntimeError(
            f"Given weight of size {list(weight.shape)}, expected bias to be 1-dimensional "
            f"with {out_ch} elements, but got bias of size {list(bias.shape)} instead"
        )


def conv3d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """3-d cross-correlation: x `(N, C, D, H, W)`, weight `(OC, C/groups, KD, KH, KW)`,
    bias `(OC,)` -> `(N, OC, OD, OH, OW)`. `padding` may be 'valid' or 'same'."""
    x, op = input, "conv3d"
    if x.ndim == 4 and weight.ndim == 5:
        return conv3d(x.unsqueeze(0), weight, bias, stride, padding, dilation, groups).squeeze(0)
    _check(op, x, weight, bias, weight.shape[0])
    s = _triple(stride, "stride", op, 1)
    d = _triple(dilation, "dilation", op, 1)
    k = tuple(weight.shape[2:])
    if isinstance(padding, str):
        if padding not in ("valid", "same"):
            raise ValueError(f"Invalid padding string '{padding}'")
        if padding == "same" and s != (1, 1, 1):
            raise ValueError("padding='same' is not supported for strided convolutions")
        total = [0 if padding == "valid" else da * (ka - 1) for da, ka in zip(d, k, strict=True)]
        extra = [t - t // 2 - t // 2 for t in total]  # the odd one out at the end
        if any(extra):
            x = pad(x, (0, extra[2], 0, extra[1], 0, extra[0]))
        padding = tuple(t // 2 for t in total)
    p = _triple(padding, "padding", op, 0)
    if weight.shape[1] * groups != x.shape[1]:
        raise RuntimeError(
            f"Given groups={groups}, weight of size {list(weight.shape)}, expected input"
            f"{list(x.shape)} to have {weight.shape[1] * groups} channels, but got "
            f"{x.shape[1]} channels instead"
        )
    n, c, depth = x.shape[:3]
    od = conv_out_size(depth, k[0], s[0], p[0], d[0])
    if od < 1:
        raise RuntimeError(
            f"Calculated padded input size per channel: ({depth + 2 * p[0]} x ...). Kernel "
            f"size: ({d[0] * (k[0] - 1) + 1} x ...). Kernel size can't be greater than actual "
            "input size"
        )
    xpad = pad(x, (0, 0, 0, 0, p[0], p[0])) if p[0] else x
    out = None
    for kd in range(k[0]):  # one 2-d convolution per depth offset, the depth in the batch
        start = kd * d[0]
        xs = xpad[:, :, start : start + s[0] * (od - 1) + 1 : s[0]]  # (N, C, OD, H, W)
        xs = reshape(xs.transpose(1, 2), (n * od, c) + tuple(x.shape[3:]))
        y = conv2d(xs, weight[:, :, kd], None, s[1:], p[1:], d[1:], groups)
        out = y if out is None else out + y
    out = reshape(out, (n, od) + tuple(out.shape[1:])).transpose(1, 2)
    if bias is not None:
        out = out + reshape(bias, (1, -1, 1, 1, 1))
    return out


def conv_transpose3d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
) -> Tensor:
    """Transposed 3-d convolution (conv3d's input gradient): x `(N, C, D, H, W)`, weight
    `(C, OC/groups, KD, KH, KW)`, bias `(OC,)` -> `(N, OC, OD, OH, OW)` with
    OD = (D - 1) * stride - 2 * padding + dilation * (KD - 1) + output_padding + 1."""
    x, op = input, "conv_transpose3d"
    if x.ndim == 4 and weight.ndim == 5:
        out = conv_transpose3d(
            x.unsqueeze(0), weight, bias, stride, padding, output_padding, groups, dilation
        )
        return out.squeeze(0)
    _check(op, x, weight, bias, weight.shape[1] * groups)
    s = _triple(stride, "stride", op, 1)
    p = _triple(padding, "padding", op, 0)
    d = _triple(dilation, "dilation", op, 1)
    opad = _triple(output_padding, "output_padding", op, 0)
    if any(opad[a] >= s[a] and opad[a] >= d[a] for a in range(3)):
        raise ValueRangeError(
            f"{op}: output_padding must be smaller than either stride or dilation"
        )
    if weight.shape[0] != x.shape[1]:
        raise RuntimeError(
            f"Given transposed=1, weight of size {list(weight.shape)}, expected input"
            f"{list(x.shape)} to have {weight.shape[0]} channels, but got {x.shape[1]} "
            "channels instead"
        )
    k = tuple(weight.shape[2:])
    n, c, depth = x.shape[:3]
    od = conv_transpose_out_size(depth, k[0], s[0], p[0], d[0], opad[0])
    if od < 1:
        raise RuntimeError(f"{op}: the output depth {od} is not positive")
    if s[0] > 1:  # s - 1 zeros between depth slices
        z = Tensor._make(_zero_slices(x, s[0] - 1), False)
        xd = cat([x.unsqueeze(3), z], 3)
        xd = reshape(xd, (n, c, depth * s[0]) + tuple(x.shape[3:]))[:, :, : (depth - 1) * s[0] + 1]
    else:
        xd = x
    dd = xd.shape[2]
    full = dd + d[0] * (k[0] - 1) + opad[0]
    x2 = reshape(xd.transpose(1, 2), (n * dd, c) + tuple(x.shape[3:]))
    out = None
    for kd in range(k[0]):  # one transposed 2-d convolution per depth offset
        y = conv_transpose2d(x2, weight[:, :, kd], None, s[1:], p[1:], opad[1:], groups, d[1:])
        y = reshape(y, (n, dd) + tuple(y.shape[1:]))
        before = kd * d[0]
        y = pad(y, (0, 0, 0, 0, 0, 0, before, full - dd - before))
        out = y if out is None else out + y
    out = out[:, p[0] : p[0] + od].transpose(1, 2)
    if bias is not None:
        out = out + reshape(bias, (1, -1, 1, 1, 1))
    return out


def _zero_slices(x: Tensor, count: int) -> Any:
    """Zeros `(N, C, D, count, H, W)`: what goes between x's depth slices."""
    xp = get_array_module(x._data)
    n, c, depth = x.shape[:3]
    return xp.zeros((n, c, depth, count) + tuple(x.shape[3:]), dtype=x.dtype)
