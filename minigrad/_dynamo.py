"""`minigrad._dynamo`: the few names of PyTorch's `torch._dynamo` that model code calls
directly, for an engine that compiles nothing (see `minigrad.compiler`, whose functions
these are): `is_compiling()` is False, `disable` and `allow_in_graph` return the function,
`reset` and the `mark_*` hints do nothing.
"""

from __future__ import annotations

from typing import Any

from .compiler import allow_in_graph, disable, is_compiling, reset

__all__ = [
    "allow_in_graph",
    "disable",
    "is_compiling",
    "mark_dynamic",
    "mark_static",
    "maybe_mark_dynamic",
    "reset",
]


def mark_dynamic(t: Any, index: Any, **kwargs: Any) -> None:
    """A hint that dimension `index` of `t` varies between calls: nothing to do here."""


def maybe_mark_dynamic(t: Any, index: Any) -> None:
    """As `mark_dynamic`: nothing to do."""


def mark_static(t: Any, index: Any = None) -> None:
    """A hint that `t`'s shape does not vary: nothing to do."""
