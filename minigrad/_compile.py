"""`minigrad.compile`: PyTorch's `torch.compile` entry point, which here compiles nothing.

minigrad runs eagerly, op by op, with no graph compiler behind it; `compile` hands the
model or function back unchanged so that PyTorch code that wraps its model runs as is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["compile"]


def compile(model: Callable | None = None, **kwargs: Any) -> Any:  # noqa: A001 - torch's name
    """Return `model` (a Module or a function) itself, unchanged; PyTorch's options
    (`fullgraph`, `dynamic`, `backend`, `mode`, `options`, `disable`) are accepted and
    ignored. Without a model it returns a decorator: `@minigrad.compile()` or
    `@minigrad.compile(mode=...)` leave the function as it is."""
    if model is None:
        return lambda fn: fn
    return model
