"""`minigrad.jit`: the names of PyTorch's TorchScript that model code uses, for an engine
that runs eagerly and compiles nothing (as `minigrad.compile`).

`script(fn_or_module)` and `trace(module, example_inputs)` hand their argument back
unchanged, so a program that scripts its model runs it op by op as before; `ignore`,
`unused` and `export` are decorators that change nothing; `is_scripting()` and
`is_tracing()` are False, so the eager branch of code that asks is the one taken. What
TorchScript adds beyond running the same Python, a serialized program, is not here:
`save` and `load` raise and name `minigrad.save` of a `state_dict` instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

__all__ = [
    "Final",
    "annotate",
    "export",
    "ignore",
    "is_scripting",
    "is_tracing",
    "load",
    "save",
    "script",
    "trace",
    "unused",
]


def script(obj: Any = None, *args: Any, **kwargs: Any) -> Any:
    """`obj` (a function or Module) itself: minigrad runs it eagerly."""
    return obj


def trace(func: Any, example_inputs: Any = None, *args: Any, **kwargs: Any) -> Any:
    """`func` (a function or Module) itself, not a recording of one run: it keeps its
    Python control flow, where a PyTorch trace would freeze the branches taken."""
    return func


def ignore(drop: Any = False, **kwargs: Any) -> Any:
    """`@ignore` or `@ignore(drop=...)`: the function, unchanged."""
    if callable(drop):
        return drop
    return lambda fn: fn


def unused(fn: Callable) -> Callable:
    return fn


def export(fn: Callable) -> Callable:
    return fn


def is_scripting() -> bool:
    return False


def is_tracing() -> bool:
    return False


def annotate(the_type: Any, the_value: Any) -> Any:
    """`the_value`: a type hint for the TorchScript compiler, which minigrad lacks."""
    return the_value


def save(m: Any, f: Any, _extra_files: Any = None) -> None:
    raise NotImplementedError(
        "minigrad.jit.save: minigrad has no TorchScript programs to serialize; save the "
        "weights with minigrad.save(model.state_dict(), path) and rebuild the model in Python"
    )


def load(f: Any, map_location: Any = None, _extra_files: Any = None) -> Any:
    raise NotImplementedError(
        "minigrad.jit.load: minigrad reads no TorchScript archives; load weights saved with "
        "minigrad.save into a model built in Python (model.load_state_dict(minigrad.load(path)))"
    )
