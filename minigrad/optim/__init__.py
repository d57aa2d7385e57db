"""Optimizers (`SGD`, `Adam`, `AdamW`, `RMSprop`, `Adadelta`, `Adagrad`, `Adamax`, `NAdam`,
`RAdam`, `Rprop`, `ASGD`, `Adafactor`) with PyTorch's update rules, `EMA`, and learning-rate
schedulers in `minigrad.optim.lr_scheduler`."""

from . import lr_scheduler, swa_utils
from .adafactor import Adafactor
from .lbfgs import LBFGS
from .optimizer import (
    ASGD,
    EMA,
    SGD,
    Adadelta,
    Adagrad,
    Adam,
    Adamax,
    AdamW,
    NAdam,
    Optimizer,
    RAdam,
    RMSprop,
    Rprop,
)

__all__ = [
    "ASGD",
    "EMA",
    "LBFGS",
    "SGD",
    "Adafactor",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "NAdam",
    "Optimizer",
    "RAdam",
    "RMSprop",
    "Rprop",
    "lr_scheduler",
    "swa_utils",
]
