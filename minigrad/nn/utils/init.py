"""`skip_init`, as `torch.nn.utils.skip_init`."""

from __future__ import annotations

import inspect
from typing import Any

from ... import random
from ..module import Module


def skip_init(module_cls: type, *args: Any, **kwargs: Any) -> Module:
    """Build `module_cls(*args, **kwargs)` without its initialisation drawing from the
    random generator: the generator's state is as before the call, as with PyTorch (whose
    parameters are left uninitialised; minigrad's hold the usual init's values). The class
    must take a `device` argument, as PyTorch requires."""
    if not (isinstance(module_cls, type) and issubclass(module_cls, Module)):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    final_device = kwargs.pop("device", "cpu")
    state = random.get_rng_state()
    try:
        module = module_cls(*args, device=final_device, **kwargs)
    finally:
        random.set_rng_state(state)
    return module


__all__ = ["skip_init"]
