"""Exception types that are both what PyTorch raises and what minigrad raised before.

PyTorch reports a shape or dtype mismatch as a RuntimeError; minigrad first raised
ValueError and TypeError there. These classes are both, so `except RuntimeError` (code
written for PyTorch) and `except ValueError` (code written for minigrad) catch them."""

from __future__ import annotations


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


__all__ = [
    "DtypeError",
    "IndexOutOfRange",
    "IntegerDivisionByZero",
    "ShapeError",
    "ValueRangeError",
]
