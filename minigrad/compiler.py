"""`minigrad.compiler`: the names of PyTorch's `torch.compiler` that model code uses, for
an engine that compiles nothing (see `minigrad.compile`).

Model code marks functions to keep out of a compiled graph (`@compiler.disable`,
`allow_in_graph`) and guards compile-only paths with `compiler.is_compiling()`. Here no
graph is ever built: the decorators hand the function back unchanged, the checks are
False (so the eager branch is the one taken), and `reset` has no cache to clear.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._compile import compile  # noqa: A004 - torch.compiler.compile, torch.compile's twin

__all__ = [
    "allow_in_graph",
    "assume_constant_result",
    "compile",
    "cudagraph_mark_step_begin",
    "disable",
    "is_compiling",
    "is_dynamo_compiling",
    "is_exporting",
    "reset",
]


def disable(fn: Callable | None = None, recursive: bool = True, *, reason: Any = None) -> Any:
    """`fn` itself (it always runs eagerly); without `fn`, a decorator that returns it."""
    if fn is None:
        return lambda f: f
    return fn


def allow_in_graph(fn: Callable) -> Callable:
    """`fn` itself: there is no graph to put it in."""
    return fn


def assume_constant_result(fn: Callable) -> Callable:
    """`fn` itself: it runs on every call, as eager PyTorch runs it."""
    return fn


def is_compiling() -> bool:
    """False: minigrad never traces a function for a compiler."""
    return False


def is_dynamo_compiling() -> bool:
    """False, as `is_compiling`."""
    return False


def is_exporting() -> bool:
    """False: minigrad exports no programs."""
    return False


def reset() -> None:
    """Nothing to reset: minigrad keeps no compiled code."""


def cudagraph_mark_step_begin() -> None:
    """Nothing to mark: minigrad records no CUDA graphs."""
