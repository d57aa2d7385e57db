"""Channel dropouts, alpha dropouts, Softmax2d, ChannelShuffle and the CTC and multi-label
margin losses, as in `torch.nn`, with PyTorch's arguments and reprs."""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from . import functional as F
from .layers import _DropoutNd, _Loss
from .module import Module

__all__ = [
    "AlphaDropout",
    "CTCLoss",
    "ChannelShuffle",
    "Dropout1d",
    "Dropout3d",
    "FeatureAlphaDropout",
    "MultiLabelMarginLoss",
    "Softmax2d",
]


class Dropout1d(_DropoutNd):
    """Zero whole channels of x `(N, C, L)` or `(C, L)` in training, scale the rest."""

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout1d(input, self.p, self.training, self.inplace)


class Dropout3d(_DropoutNd):
    """Zero whole channels of x `(N, C, D, H, W)` or `(C, D, H, W)` in training."""

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout3d(input, self.p, self.training, self.inplace)


class AlphaDropout(_DropoutNd):
    """Dropout that keeps a SELU network's mean and variance (training only)."""

    def forward(self, input: Tensor) -> Tensor:
        return F.alpha_dropout(input, self.p, self.training)


class FeatureAlphaDropout(_DropoutNd):
    """Alpha dropout of whole channels (one draw per (N, C))."""

    def forward(self, input: Tensor) -> Tensor:
        return F.feature_alpha_dropout(input, self.p, self.training)


class Softmax2d(Module):
    """Softmax over the channels of x `(N, C, H, W)` or `(C, H, W)` at each place."""

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim not in (3, 4):
            raise ValueError(f"Softmax2d: expected input to be 3D or 4D, got {input.ndim}D instead")
        return F.softmax(input, -3)


class ChannelShuffle(Module):
    """Regroup the channels of x `(N, C, *)`: (g, C/g) -> (C/g, g)."""

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = groups

    def forward(self, input: Tensor) -> Tensor:
        return F.channel_shuffle(input, self.groups)

    def extra_repr(self) -> str:
        return f"groups={self.groups}"


class CTCLoss(_Loss):
    """Connectionist temporal classification loss (`F.ctc_loss`)."""

    def __init__(self, blank: int = 0, reduction: str = "mean", zero_infinity: bool = False):
        super().__init__(reduction=reduction)
        self.blank, self.zero_infinity = blank, zero_infinity

    def forward(
        self, log_probs: Tensor, targets: Any, input_lengths: Any, target_lengths: Any
    ) -> Tensor:
        return F.ctc_loss(
            log_probs,
            targets,
            input_lengths,
            target_lengths,
            self.blank,
            self.reduction,
            self.zero_infinity,
        )

    def extra_repr(self) -> str:
        return ""


class MultiLabelMarginLoss(_Loss):
    """Multi-class multi-label hinge loss (`F.multilabel_margin_loss`)."""

    def forward(self, input: Tensor, target: Any) -> Tensor:  # noqa: A002
        return F.multilabel_margin_loss(input, target, reduction=self.reduction)
