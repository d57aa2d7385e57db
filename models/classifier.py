"""The digit classifier the GAN evaluation trusts: two VGG-style conv blocks (two 3x3
convs with BatchNorm each, max-pool, dropout) and a 128-d feature layer. Trained with
minigrad on the bundled digits (`python -m train.evaluate --train-classifier`); its
softmax labels generated digits and its 128-d features give the Frechet distance."""

from __future__ import annotations

import minigrad as mg
from minigrad import nn


def _block(c_in: int, c_out: int) -> list[nn.Module]:
    """conv-BN-ReLU twice, then a 2x2 max-pool: (N, c_in, H, W) -> (N, c_out, H/2, W/2)."""
    return [
        nn.Conv2d(c_in, c_out, 3, 1, 1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(),
        nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(),
        nn.MaxPool2d(2),
    ]


class DigitClassifier(nn.Module):
    """images (N, 1, 28, 28) in [-1, 1] -> logits (N, 10); `features` gives (N, 128)."""

    feature_dim = 128

    def __init__(self, n_classes: int = 10, width: int = 16, dropout: float = 0.25) -> None:
        super().__init__()
        self.trunk = nn.Sequential(
            *_block(1, width),  # (N, w, 14, 14)
            nn.Dropout(dropout),
            *_block(width, 2 * width),  # (N, 2w, 7, 7)
            nn.Dropout(dropout),
            nn.Flatten(),
            nn.Linear(2 * width * 7 * 7, 128, bias=False),  # (N, 128)
            nn.BatchNorm1d(128),
            nn.ReLU(),
        )
        self.drop = nn.Dropout(2 * dropout)
        self.head = nn.Linear(128, n_classes)

    def features(self, x: mg.Tensor) -> mg.Tensor:
        return self.trunk(x)

    def probabilities(self, x: mg.Tensor) -> tuple[mg.Tensor, mg.Tensor]:
        """(class probabilities (N, 10), features (N, 128)) in one pass."""
        f = self.trunk(x)
        return mg.nn.functional.softmax(self.head(f), dim=1), f

    def forward(self, x: mg.Tensor) -> mg.Tensor:
        return self.head(self.drop(self.trunk(x)))


class DigitEnsemble(nn.Module):
    """Several DigitClassifiers judged together: the class probabilities are the mean of the
    members' softmax outputs, the features the members' 128-d features side by side."""

    def __init__(self, widths: tuple[int, ...] = (24, 32), n_classes: int = 10) -> None:
        super().__init__()
        self.widths = tuple(int(w) for w in widths)
        self.members = nn.ModuleList([DigitClassifier(n_classes, w) for w in self.widths])
        self.feature_dim = DigitClassifier.feature_dim * len(self.widths)

    def features(self, x: mg.Tensor) -> mg.Tensor:
        return mg.cat([m.features(x) for m in self.members], dim=1)

    def probabilities(self, x: mg.Tensor) -> tuple[mg.Tensor, mg.Tensor]:
        """(mean class probabilities (N, 10), features (N, 128 * members)) in one pass."""
        probs, feats = zip(*(m.probabilities(x) for m in self.members), strict=True)
        return sum(probs) / len(self.members), mg.cat(list(feats), dim=1)

    def forward(self, x: mg.Tensor) -> mg.Tensor:
        """Log of the mean probabilities (N, 10): what `cross_entropy`'s argmax agrees with."""
        return mg.log(self.probabilities(x)[0])
