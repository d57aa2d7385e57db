"""Optimizers (`SGD`, `Adam`, `AdamW`, `RMSprop`, `Adadelta`) with PyTorch's update rules,
`EMA`, and learning-rate schedulers in `minigrad.optim.lr_scheduler`."""

from . import lr_scheduler
from .optimizer import EMA, SGD, Adadelta, Adam, AdamW, Optimizer, RMSprop

__all__ = ["EMA", "SGD", "Adadelta", "Adam", "AdamW", "Optimizer", "RMSprop", "lr_scheduler"]
