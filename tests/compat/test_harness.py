"""The harness: `torch` names resolve in minigrad without touching sys.modules, and a name
minigrad lacks fails on import with the name in the message."""

import sys

import numpy as np
import pytest

import minigrad

from .harness import _minigrad_import, assert_same, load


def test_programs_see_minigrad_under_the_name_torch():
    before = {k for k in sys.modules if k == "torch" or k.startswith("torch.")}
    prog = load("mnist", "minigrad")
    assert prog.torch is minigrad
    assert prog.nn is minigrad.nn and prog.F is minigrad.nn.functional
    assert prog.optim is minigrad.optim
    assert prog.StepLR is minigrad.optim.lr_scheduler.StepLR
    assert prog.DataLoader is minigrad.utils.data.DataLoader
    assert issubclass(prog.Net, minigrad.nn.Module)
    assert {k for k in sys.modules if k == "torch" or k.startswith("torch.")} == before


def test_a_missing_name_is_an_import_error_naming_it():
    with pytest.raises(ImportError, match=r"'torch\.utils\.tensorboard'.*'tensorboard'"):
        _minigrad_import("torch.utils.tensorboard", fromlist=("SummaryWriter",))
    # other modules import as usual
    assert _minigrad_import("numpy") is np


def test_assert_same_compares_dtypes_and_names_the_place():
    assert_same({"a": [1.0, np.float32([2, 3])]}, {"a": [1.0, np.float32([2, 3])]})
    with pytest.raises(AssertionError, match=r"\['a'\]\[1\]: dtype float64, want float32"):
        assert_same({"a": [1.0, np.float64([2, 3])]}, {"a": [1.0, np.float32([2, 3])]})
    with pytest.raises(AssertionError, match=r"\[1\]"):
        assert_same([1.0, 2.0], [1.0, 2.1])
