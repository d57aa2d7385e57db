"""A small CNN digit classifier, trained with minigrad on the bundled data; the GAN
evaluation scores samples with it and takes its penultimate features for the Frechet
distance."""

from __future__ import annotations

import minigrad as mg
from minigrad import nn


class DigitClassifier(nn.Module):
    """images (N, 1, 28, 28) in [-1, 1] -> logits (N, 10); `features` gives (N, 128)."""

    def __init__(self, n_classes: int = 10) -> None:
        super().__init__()
        self.trunk = nn.Sequential(
            nn.Conv2d(1, 32, 3, 1, 1),  # (N, 32, 28, 28)
            nn.ReLU(),
            nn.MaxPool2d(2),  # (N, 32, 14, 14)
            nn.Conv2d(32, 64, 3, 1, 1),  # (N, 64, 14, 14)
            nn.ReLU(),
            nn.MaxPool2d(2),  # (N, 64, 7, 7)
            nn.Flatten(),
            nn.Linear(64 * 7 * 7, 128),  # (N, 128)
            nn.ReLU(),
        )
        self.head = nn.Linear(128, n_classes)

    def features(self, x: mg.Tensor) -> mg.Tensor:
        return self.trunk(x)

    def forward(self, x: mg.Tensor) -> mg.Tensor:
        return self.head(self.trunk(x))
