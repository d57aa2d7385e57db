"""Exception types that are both what PyTorch raises and what minigrad raised before.

PyTorch reports a shape or dtype mismatch as a RuntimeError; minigrad first raised
ValueError and TypeError there. These classes are both, so `except RuntimeError` (code
written for PyTorch) and `except ValueError` (code written for minigrad) catch them."""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
from collections.abc import Iterator


class ShapeError(RuntimeError, ValueError):
    """Operand shapes that do not fit (PyTorch's "mat1 and mat2 shapes cannot be
    multiplied")."""


class DtypeError(RuntimeError, TypeError):
    """An operand of a dtype the op does not take (PyTorch's "expected scalar type Long")."""


class IndexOutOfRange(RuntimeError, IndexError):
    """An index outside the dim it indexes (PyTorch's "index 3 is out of bounds")."""


class ValueRangeError(RuntimeError, ValueError):
    """An argument's value outside what the op takes (PyTorch's "Class values must be
    non-negative")."""


class IntegerDivisionByZero(RuntimeError, ZeroDivisionError):
    """An integer division or remainder by zero (PyTorch's "ZeroDivisionError")."""


class AssertionFailed(AssertionError, ValueError):
    """An argument PyTorch checks with a Python `assert` (an Embedding's `padding_idx` out of
    range, TensorDataset's tensors of different lengths), so `except AssertionError` code
    catches it; also the ValueError minigrad raised there before."""


class Unsupported(NotImplementedError, ValueError, TypeError):
    """An input or mode PyTorch refuses with NotImplementedError (bilinear on a 3-d input,
    a random fill of an integer tensor); also the ValueError/TypeError minigrad raised
    there before."""


class CorruptCheckpoint(RuntimeError, ValueError):
    """A file `load` cannot read as a checkpoint (truncated, empty, garbage, another
    format): PyTorch raises RuntimeError for a truncated archive; minigrad raised
    ValueError before."""


class MissingFolder(RuntimeError, FileNotFoundError):
    """`save` into a folder that does not exist (PyTorch's RuntimeError "Parent directory
    ... does not exist"; a FileNotFoundError to Python's own file handling)."""

    def __str__(self) -> str:
        return str(self.args[0])


__all__ = [
    "CorruptCheckpoint",
    "MissingFolder",
    "DtypeError",
    "Unsupported",
    "IndexOutOfRange",
    "IntegerDivisionByZero",
    "ShapeError",
    "ValueRangeError",
]


_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def warn_user(message: str, category: type[Warning] = UserWarning) -> None:
    """`warnings.warn` pointing at the first caller outside minigrad, so that the warning
    names the user's line however deep inside minigrad it was raised."""
    frame, level = sys._getframe(1), 2  # level 2: warn_user's caller
    while frame is not None and (
        frame.f_code.co_filename.startswith(_PACKAGE)
        or str(frame.f_globals.get("__name__", "")).startswith("minigrad.")
    ):  # the second: functions minigrad builds at import (minigrad/_out.py)
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)


@contextlib.contextmanager
def broadcast_errors(op: str) -> Iterator[None]:
    """NumPy's broadcast failure (a ValueError) inside `op` as a ShapeError naming the op:
    PyTorch raises RuntimeError there, which `except RuntimeError` code expects."""
    try:
        yield
    except ValueError as exc:
        if "broadcast" not in str(exc):
            raise
        raise ShapeError(f"{op}: {exc}") from None
