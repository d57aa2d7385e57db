"""PyTorch's submodule import paths, for programs that import from them:
`from torch.utils.data.sampler import BatchSampler`, `from torch.nn.parameter import
Parameter`, `from torch.nn.modules.loss import _Loss`, `from torch.autograd.variable import
Variable`.

minigrad keeps these names in fewer files (`minigrad.utils.data` is one module, the layers
live in `minigrad.nn`), so `install()` registers each PyTorch path in `sys.modules` as the
minigrad module that holds its names. `minigrad.nn.modules` (and every
`minigrad.nn.modules.<x>` PyTorch has) is one module with all of `minigrad.nn`'s layers and
PyTorch's private base classes and helpers (`_Loss`, `_WeightedLoss`, `_BatchNorm`,
`_NormBase`, `_InstanceNorm`, `_DropoutNd`, `_ConvNd`, `_MaxPoolNd`, `_pair`, `_ntuple`,
...).
"""

from __future__ import annotations

import collections.abc
import itertools
import re
import sys
import types
from collections.abc import Callable
from typing import Any

# torch.nn.modules' submodules (torch 2.13)
NN_MODULES = (
    "activation adaptive batchnorm channelshuffle container conv distance dropout flatten "
    "fold instancenorm lazy linear loss module normalization padding pixelshuffle pooling rnn "
    "sparse transformer upsampling utils"
).split()


# torch.utils.data._utils.collate's names (torch 2.13), all defined in minigrad.utils.data
COLLATE_NAMES = (
    "collate default_collate default_collate_fn_map default_convert collate_tensor_fn "
    "collate_numpy_array_fn collate_numpy_scalar_fn collate_float_fn collate_int_fn "
    "collate_str_fn"
).split()


def _ntuple(n: int, name: str = "parse") -> Callable[[Any], tuple]:
    """PyTorch's `torch.nn.modules.utils._ntuple`: an iterable as a tuple, else n copies."""

    def parse(x: Any) -> tuple:
        if isinstance(x, collections.abc.Iterable):
            return tuple(x)
        return tuple(itertools.repeat(x, n))

    parse.__name__ = name
    return parse


def _reverse_repeat_tuple(t: Any, n: int) -> tuple:
    """Each element of t repeated n times, in reverse order (PyTorch's padding helper)."""
    return tuple(x for x in reversed(t) for _ in range(n))


def consume_prefix_in_state_dict_if_present(state_dict: dict, prefix: str) -> None:
    """Strip `prefix` from the keys of `state_dict` that start with it, in place (PyTorch's
    `torch.nn.modules.utils` helper: a checkpoint of a model wrapped in DataParallel or
    DistributedDataParallel has its keys under 'module.'). The keys keep their order; a
    `_metadata` dict on it, if any, is renamed the same way."""
    for key in list(state_dict):
        if key.startswith(prefix):
            state_dict[key[len(prefix) :]] = state_dict.pop(key)
    meta = getattr(state_dict, "_metadata", None)
    if meta is not None:
        for key in list(meta):
            # '' is the wrapper's own entry; 'module' (the prefix without its dot) the model's
            if key and (key == prefix.replace(".", "") or key.startswith(prefix)):
                meta[key[len(prefix) :]] = meta.pop(key)


def _alias(name: str, module: types.ModuleType) -> None:
    sys.modules[name] = module
    parent, _, child = name.rpartition(".")
    setattr(sys.modules[parent], child, module)


def install() -> None:
    from . import autograd, nn
    from .nn import conv, layers, lazy, norm, pooling, transformer
    from .utils import data

    for sub in ("sampler", "dataloader", "dataset"):
        _alias(f"{data.__name__}.{sub}", data)
    # `from torch.utils.data.distributed import DistributedSampler`: minigrad's, over MPI
    from .distributed import sampler
    from .tensor import RemovableHandle

    _alias(f"{data.__name__}.distributed", sampler)
    # `from torch.utils.data._utils.collate import default_collate`: PyTorch's private
    # package, with its collate module's functions and the `collate` /
    # `default_collate_fn_map` registry that PyTorch documents for extending default_collate
    utils_pkg = types.ModuleType(f"{data.__name__}._utils", "PyTorch's data._utils names.")
    utils_pkg.__path__ = []  # a package, so that `import ..._utils.collate` finds the child
    _alias(utils_pkg.__name__, utils_pkg)
    collate = types.ModuleType(f"{utils_pkg.__name__}.collate", "PyTorch's collate functions.")
    for name in COLLATE_NAMES:
        setattr(collate, name, getattr(data, name))
    # two constants that custom collate functions copied from PyTorch's import
    collate.np_str_obj_array_pattern = re.compile(r"[SaUO]")
    collate.default_collate_err_msg_format = (
        "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
        "found {}"
    )
    _alias(collate.__name__, collate)
    hooks = types.ModuleType(f"{__package__}.utils.hooks", "PyTorch's torch.utils.hooks names.")
    hooks.RemovableHandle = RemovableHandle
    _alias(hooks.__name__, hooks)
    _alias(f"{nn.__name__}.parameter", nn)
    _alias(f"{autograd.__name__}.variable", autograd)
    # `from torch.autograd.grad_mode import no_grad`: the grad modes live in autograd
    _alias(f"{autograd.__name__}.grad_mode", autograd)
    # torch.autograd.profiler.profile / record_function: minigrad's profiler
    _alias(f"{autograd.__name__}.profiler", sys.modules[f"{__package__}.profiler"])

    modules = types.ModuleType(
        f"{nn.__name__}.modules", "PyTorch's torch.nn.modules names, from minigrad.nn."
    )
    for name in dir(nn):
        if not name.startswith("__"):
            setattr(modules, name, getattr(nn, name))
    private = {
        "_Loss": layers._Loss,
        "_WeightedLoss": layers._WeightedLoss,
        "_BatchNorm": norm._BatchNorm,
        "_NormBase": norm._NormBase,
        "_InstanceNorm": norm._InstanceNorm,
        "_DropoutNd": layers._DropoutNd,
        "_ConvTransposeNd": conv._ConvTranspose,
        "_AvgPoolNd": pooling._AvgPoolNd,
        "_AdaptiveAvgPoolNd": pooling._AdaptiveAvgPoolNd,
        "_AdaptiveMaxPoolNd": pooling._AdaptiveMaxPoolNd,
        "_ConstantPadNd": layers._ConstantPadNd,
        "_ReflectionPadNd": layers._ReflectionPadNd,
        "_ReplicationPadNd": layers._ReplicationPadNd,
        "_CircularPadNd": layers._CircularPadNd,
        "_LazyNormBase": lazy._LazyNormMixin,
        "LazyModuleMixin": lazy.LazyModuleMixin,
        "_ConvNd": conv._ConvNd,
        "_MaxPoolNd": pooling._MaxPoolNd,
        "_ntuple": _ntuple,
        "_single": _ntuple(1, "_single"),
        "_pair": _ntuple(2, "_pair"),
        "_triple": _ntuple(3, "_triple"),
        "_quadruple": _ntuple(4, "_quadruple"),
        "_reverse_repeat_tuple": _reverse_repeat_tuple,
        "consume_prefix_in_state_dict_if_present": consume_prefix_in_state_dict_if_present,
        "_get_clones": transformer._get_clones,  # custom Transformer layers import these two
        "_get_activation_fn": transformer._get_activation_fn,
    }
    for name, obj in private.items():
        setattr(modules, name, obj)
    _alias(modules.__name__, modules)
    for sub in NN_MODULES:
        _alias(f"{modules.__name__}.{sub}", modules)
