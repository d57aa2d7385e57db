"""y = x1^T A x2 + b, as torch.nn.Bilinear and torch.nn.functional.bilinear, composed of
two matrix products so every order of derivative comes free."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..backend import default_float
from ..errors import DtypeError, ShapeError
from ..ops.search import cxx_name
from ..tensor import Tensor, zeros
from . import init
from .module import Module, Parameter


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y[..., o] = sum_ij x1[..., i] W[o, i, j] x2[..., j] + b[o].

    x1 `(*, I)`, x2 `(*, J)` with the same leading dims, W `(O, I, J)`, b `(O,)` ->
    `(*, O)`. All four of one dtype, checked first (PyTorch's RuntimeError)."""
    x1, x2 = input1, input2
    named = [("input1", x1), ("input2", x2), ("weight", weight)]
    if bias is not None:
        named.append(("bias", bias))
    if len({np.dtype(t.dtype) for _, t in named}) > 1:
        got = ", ".join(f"{k}: {cxx_name(t.dtype)}" for k, t in named)
        raise DtypeError(f"All tensors must have the same dtype, got {got}")
    if weight.ndim != 3:
        raise ShapeError(f"bilinear(): weight must be three-dimensional, but got {weight.ndim}")
    if x1.ndim != x2.ndim:
        raise ShapeError(f"bilinear(): input dimensions do not match: got {x1.ndim} and {x2.ndim}")
    for a in range(x1.ndim - 1):
        if x1.shape[a] != x2.shape[a]:
            raise ShapeError(
                f"bilinear(): input batch dimensions do not match at dim {a}: "
                f"got {x1.shape[a]} and {x2.shape[a]}"
            )
    o, i, j = weight.shape
    for k, (x, want) in enumerate(((x1, i), (x2, j)), 1):
        if x.shape[-1] != want:
            raise ShapeError(
                f"bilinear(): input{k} size does not match weight size: "
                f"got {x.shape[-1]} but expected {want}"
            )
    if bias is not None and tuple(bias.shape) != (o,):
        got = bias.shape[0] if bias.ndim else 1
        raise ShapeError(
            f"bilinear(): bias size does not match weight size: got {got} but expected {o}"
        )
    if i == 0 or j == 0:  # PyTorch views an input as (-1, features): ambiguous at 0
        raise ShapeError(
            "cannot reshape tensor of 0 elements into shape [-1, 0] because the unspecified "
            "dimension size -1 can be any value and is ambiguous"
        )
    lead = tuple(x1.shape[:-1])
    b = math.prod(lead)  # named, not -1: the views stay unambiguous when o or b is 0
    # (B, I) @ (I, O*J) -> (B, O, J), then a batched (B, O, J) @ (B, J, 1)
    t = x1.reshape(b, i) @ weight.permute(1, 0, 2).reshape(i, o * j)
    y = (t.reshape(b, o, j) @ x2.reshape(b, j, 1)).reshape(lead + (o,))
    return y if bias is None else y + bias


class Bilinear(Module):
    """y = x1^T A x2 + b. x1 `(*, in1)`, x2 `(*, in2)` -> `(*, out)`; A `(out, in1, in2)`,
    b `(out,)`, both U(+-1/sqrt(in1)) as PyTorch."""

    def __init__(
        self,
        in1_features: int,
        in2_features: int,
        out_features: int,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.in1_features, self.in2_features = in1_features, in2_features
        self.out_features = out_features
        dt = default_float() if dtype is None else np.dtype(dtype)
        dev = device or "cpu"
        shape = (out_features, in1_features, in2_features)
        negative = next((n for n in shape if n < 0), None)
        if negative is not None:
            raise RuntimeError(
                f"Trying to create tensor with negative dimension {negative}: {list(shape)}"
            )
        self.weight = Parameter(zeros(*shape, dtype=dt, device=dev))
        if bias:
            self.bias = Parameter(zeros(out_features, dtype=dt, device=dev))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.in1_features <= 0:  # PyTorch's check (the bound would divide by zero)
            raise ValueError(
                f"in1_features must be > 0, but got (in1_features={self.in1_features})"
            )
        bound = 1 / math.sqrt(self.weight.shape[1])
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        return bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
            f"out_features={self.out_features}, bias={self.bias is not None}"
        )


__all__ = ["Bilinear", "bilinear"]
