"""`torch.nn.parallel` for PyTorch programs: minigrad runs on one device, so DataParallel
and data_parallel call the module once on the whole batch (the same numbers as PyTorch's
split-and-gather, which only spreads the work; BatchNorm sees the whole batch here rather
than one statistics set per GPU replica)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .module import Module

__all__ = ["DataParallel", "data_parallel"]


def data_parallel(
    module: Module,
    inputs: Any,
    device_ids: Sequence[Any] | None = None,
    output_device: Any = None,
    dim: int = 0,
    module_kwargs: dict[str, Any] | None = None,
) -> Any:
    """module(*inputs, **module_kwargs); a non-tuple `inputs` is the single argument."""
    args = inputs if isinstance(inputs, tuple) else (inputs,)
    return module(*args, **(module_kwargs or {}))


class DataParallel(Module):
    """Wraps `module` and forwards to it; its parameters and state_dict keys sit under
    `module.`, as in PyTorch."""

    def __init__(
        self,
        module: Module,
        device_ids: Sequence[Any] | None = None,
        output_device: Any = None,
        dim: int = 0,
    ) -> None:
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DataParallel: {type(module).__name__} is not a Module")
        self.module = module
        self.device_ids = list(device_ids) if device_ids is not None else []
        self.output_device, self.dim = output_device, dim

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        return self.module(*inputs, **kwargs)
