"""Weight normalisation (Salimans & Kingma 2016), as torch.nn.utils.weight_norm: the hook
API with `weight_g` (magnitude) and `weight_v` (direction) parameters, and
`weight = g * v / ||v||` recomputed before each forward, the norm taken over every dim but
`dim` (over all of them when `dim` is None)."""

from __future__ import annotations

import copy
import warnings
import weakref
from typing import Any, TypeVar

from ... import ops
from ...tensor import Tensor
from ..module import Module, Parameter

T_module = TypeVar("T_module", bound=Module)


def norm_except_dim(v: Tensor, dim: int) -> Tensor:
    """2-norm of `v` over every dim but `dim`, kept as size-1 dims; a 0-d norm of the whole
    tensor for dim -1 (PyTorch's convention, which `dim=None` maps to). Any other dim
    outside [-ndim, ndim) is PyTorch's IndexError."""
    if dim == -1:
        return ops.norm(v)
    n = max(v.ndim, 1)
    if not -n <= dim < n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
        )
    if v.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    keep = dim % n
    if v.shape[keep] == 0:
        # PyTorch views v as (v.shape[dim], -1), or (-1, v.shape[-1]) for the last dim
        # named by its positive index, and a -1 beside a 0 is ambiguous
        view = "[-1, 0]" if dim == v.ndim - 1 and dim != 0 else "[0, -1]"
        raise RuntimeError(
            f"cannot reshape tensor of 0 elements into shape {view} because the unspecified "
            "dimension size -1 can be any value and is ambiguous"
        )
    rest = tuple(d for d in range(v.ndim) if d != keep)
    if not rest:  # a 1-d v: the norm of each element alone
        return ops.abs(v)
    return ops.norm(v, 2, rest, keepdim=True)


_DEEPCOPY_NON_LEAF = (
    "Only Tensors created explicitly by the user (graph leaves) support the deepcopy "
    "protocol at the moment.  If you were attempting to deepcopy a module, this may be "
    "because of a torch.nn.utils.weight_norm usage, see "
    "https://github.com/pytorch/pytorch/pull/103001"
)


class _ReparamHook:
    """What the weight_norm and spectral_norm hooks share: a weak reference to their module,
    so that deep-copying the module fails as PyTorch's does while the computed `<name>`
    attribute is a graph node (PyTorch's RuntimeError; a leaf, as before the first forward
    of spectral_norm or after one under no_grad, copies). The reference is not pickled."""

    name: str
    _module: Any = None

    def _bind(self, module: Module) -> None:
        self._module = weakref.ref(module)

    def _rebind(self, module: Module) -> None:
        """Bind to the module running the hook if not bound to it (an unpickled hook)."""
        if self._module is None or self._module() is not module:
            self._bind(module)

    def __deepcopy__(self, memo: dict) -> Any:
        module = self._module() if self._module is not None else None
        value = module.__dict__.get(self.name) if module is not None else None
        if isinstance(value, Tensor) and not value.is_leaf:
            raise RuntimeError(_DEEPCOPY_NON_LEAF)
        new = copy.copy(self)
        memo[id(self)] = new
        if module is not None:  # the copy serves the module's copy, when that is what runs
            new._bind(memo.get(id(module), module))
        return new

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.pop("_module", None)
        return state


class WeightNorm(_ReparamHook):
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
        # before the parameter goes: a bad dim (PyTorch's IndexError) leaves the module whole
        g = norm_except_dim(weight, fn.dim).data
        del module._parameters[name]
        module.register_parameter(name + "_g", Parameter(g))
        module.register_parameter(name + "_v", Parameter(weight.data))
        setattr(module, name, fn.compute_weight(module))
        module.register_forward_pre_hook(fn)
        fn._bind(module)
        return fn

    def remove(self, module: Module) -> None:
        weight = self.compute_weight(module)
        delattr(module, self.name)
        del module._parameters[self.name + "_g"]
        del module._parameters[self.name + "_v"]
        setattr(module, self.name, Parameter(weight.data))

    def __call__(self, module: Module, inputs: Any) -> None:
        self._rebind(module)
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
