"""Optimizers (`SGD`, `Adam`, `RMSprop`, ...) with PyTorch's update rules, `EMA`, and
learning-rate schedulers in `minigrad.optim.lr_scheduler`."""

from .optimizer import EMA, SGD, Adam, Optimizer, RMSprop

__all__ = ["EMA", "SGD", "Adam", "Optimizer", "RMSprop"]
