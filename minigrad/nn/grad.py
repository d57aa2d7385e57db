"""`torch.nn.grad`: the input and weight gradients of a convolution as functions of their
own, which custom convolution Functions call in their backward. Each is the gradient of
the convolution itself (linear in the input and in the weight, so taken at zeros), and is
differentiable when grad mode is on, for a double backward."""

from __future__ import annotations

from typing import Any

from .. import autograd
from ..tensor import Tensor, zeros
from . import functional as F


def _grad_of(
    conv: Any, wrt: str, size: Any, other: Tensor, grad_output: Tensor, **kw: Any
) -> Tensor:
    arg = zeros(tuple(size), dtype=grad_output.dtype, device=grad_output.device)
    arg.requires_grad_(True)
    recorded = autograd.is_grad_enabled()  # a graph of the result only in grad mode
    with autograd.enable_grad():
        y = conv(arg, other, **kw) if wrt == "input" else conv(other, arg, **kw)
        (g,) = autograd.grad(y, arg, grad_output, create_graph=recorded)
    return g


def _input(conv: Any) -> Any:
    def grad_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1):
        """The gradient of the convolution with respect to an input of `input_size`."""
        return _grad_of(
            conv,
            "input",
            input_size,
            weight,
            grad_output,
            stride=stride,
            padding=padding,
            dilation=dilation,
            groups=groups,
        )

    return grad_input


def _weight(conv: Any) -> Any:
    def grad_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1, groups=1):  # noqa: A002
        """The gradient of the convolution with respect to a weight of `weight_size`."""
        return _grad_of(
            conv,
            "weight",
            weight_size,
            input,
            grad_output,
            stride=stride,
            padding=padding,
            dilation=dilation,
            groups=groups,
        )

    return grad_weight


conv1d_input, conv1d_weight = _input(F.conv1d), _weight(F.conv1d)
conv2d_input, conv2d_weight = _input(F.conv2d), _weight(F.conv2d)
conv3d_input, conv3d_weight = _input(F.conv3d), _weight(F.conv3d)

__all__ = [
    "conv1d_input",
    "conv1d_weight",
    "conv2d_input",
    "conv2d_weight",
    "conv3d_input",
    "conv3d_weight",
]
