"""Weight normalisation (Salimans & Kingma 2016), as torch.nn.utils.weight_norm: the hook
API with `weight_g` (magnitude) and `weight_v` (direction) parameters, and
`weight = g * v / ||v||` recomputed before each forward, the norm taken over every dim but
`dim` (over all of them when `dim` is None)."""

from __future__ import annotations

import warnings
from typing import Any, TypeVar

from ... import ops
from ...tensor import Tensor
from ..module import Module, Parameter

T_module = TypeVar("T_module", bound=Module)


def norm_except_dim(v: Tensor, dim: int) -> Tensor:
    """2-norm of `v` over every dim but `dim`, kept as size-1 dims; a 0-d norm of the whole
    tensor for dim -1 (PyTorch's convention, which `dim=None` maps to)."""
    if dim == -1:
        return ops.norm(v)
    keep = dim % v.ndim
    return ops.norm(v, 2, tuple(d for d in range(v.ndim) if d != keep), keepdim=True)


class WeightNorm:
    """The forward pre-hook; also holds the settings remove_weight_norm needs."""

    def __init__(self, name: str, dim: int | None) -> None:
        self.name, self.dim = name, -1 if dim is None else dim

    def compute_weight(self, module: Module) -> Tensor:
        g = getattr(module, self.name + "_g")
        v = getattr(module, self.name + "_v")
        return v * (g / norm_except_dim(v, self.dim))

    @staticmethod
    def apply(module: Module, name: str, dim: int | None) -> WeightNorm:
        warnings.warn(
            "`torch.nn.utils.weight_norm` is deprecated in favor of "
            "`torch.nn.utils.parametrizations.weight_norm`.",
            FutureWarning,
            stacklevel=3,
        )
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, WeightNorm) and hook.name == name:
                raise RuntimeError(
                    f"Cannot register two weight_norm hooks on the same parameter {name}"
                )
        fn = WeightNorm(name, dim)
        weight = getattr(module, name)
        del module._parameters[name]
        module.register_parameter(name + "_g", Parameter(norm_except_dim(weight, fn.dim).data))
        module.register_parameter(name + "_v", Parameter(weight.data))
        setattr(module, name, fn.compute_weight(module))
        module.register_forward_pre_hook(fn)
        return fn

    def remove(self, module: Module) -> None:
        weight = self.compute_weight(module)
        delattr(module, self.name)
        del module._parameters[self.name + "_g"]
        del module._parameters[self.name + "_v"]
        setattr(module, self.name, Parameter(weight.data))

    def __call__(self, module: Module, inputs: Any) -> None:
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module: T_module, name: str = "weight", dim: int | None = 0) -> T_module:
    """Reparametrise `module.<name>` as `g * v / ||v||` (norm over all dims but `dim`, or
    over all when None). Warns FutureWarning as PyTorch does. Returns the module."""
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module: T_module, name: str = "weight") -> T_module:
    """Undo weight_norm: `<name>` becomes a parameter again, holding g * v / ||v||."""
    for k, hook in module._forward_pre_hooks.items():
        if isinstance(hook, WeightNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[k]
            return module
    raise ValueError(f"weight_norm of '{name}' not found in {module}")


__all__ = ["WeightNorm", "norm_except_dim", "remove_weight_norm", "weight_norm"]
