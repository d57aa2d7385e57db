"""Pruning of module tensors, as `torch.nn.utils.prune`.

Pruning `module.<name>` moves the parameter to `<name>_orig`, stores a 0/1 mask as the buffer
`<name>_mask` and makes `<name>` a plain attribute, `mask * <name>_orig`, recomputed before
each forward by the pruning method registered as a forward pre-hook (so the gradient reaches
`<name>_orig` masked). Pruning the same tensor again combines the methods in a
`PruningContainer`: the new one acts only on the entries (or channels) still unpruned.
`remove` makes the pruning permanent.

Which entries L1Unstructured and LnStructured prune among tied scores follows PyTorch's CPU
`topk` (libstdc++'s `nth_element`, or `partial_sort` when k * 64 <= n), reproduced here, so
the masks agree with PyTorch's. The random methods draw from minigrad's generator.
"""

from __future__ import annotations

import copy
import numbers
import weakref
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from ... import linalg
from ...backend import as_numpy, to_device
from ...ops.search import torch_name
from ...tensor import Tensor, ones_like, randperm, zeros_like
from ..module import Module
from .convert_parameters import parameters_to_vector
from .weight_norm import _DEEPCOPY_NON_LEAF


class BasePruningMethod(ABC):
    """Base class of the pruning methods: a subclass sets `PRUNING_TYPE` ('unstructured',
    'structured' with a `dim` attribute, or 'global') and implements `compute_mask`."""

    _tensor_name: str
    _module: Any = None  # weak reference to the module whose forward pre-hook this is

    def __call__(self, module: Module, inputs: Any) -> None:
        """The forward pre-hook: recompute `module.<name>` as mask * original."""
        if self._module is None or self._module() is not module:
            self._module = weakref.ref(module)
        setattr(module, self._tensor_name, self.apply_mask(module))

    @abstractmethod
    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        """The mask for importance scores `t`, keeping the zeros of `default_mask` (the mask
        of earlier pruning, ones the first time); same shape as `t`."""

    def apply_mask(self, module: Module) -> Tensor:
        """The pruned tensor: `<name>_mask` (cast to the original's dtype) times
        `<name>_orig`."""
        if self._tensor_name is None:
            raise AssertionError(f"Module {module} has to be pruned")
        mask = getattr(module, self._tensor_name + "_mask")
        orig = getattr(module, self._tensor_name + "_orig")
        return mask.to(dtype=orig.dtype) * orig

    @classmethod
    def apply(
        cls,
        module: Module,
        name: str,
        *args: Any,
        importance_scores: Tensor | None = None,
        **kwargs: Any,
    ) -> BasePruningMethod:
        """Prune `module.<name>` with `cls(*args, **kwargs)` (on top of earlier pruning of
        it, through a PruningContainer) and register the forward pre-hook; returns the
        hook. `importance_scores` (shaped like the tensor) rank the entries in its place.
        On any error the module is left as it was."""
        hooks = module._forward_pre_hooks
        old_keys = [
            k
            for k, hook in hooks.items()
            if isinstance(hook, BasePruningMethod) and hook._tensor_name == name
        ]
        if len(old_keys) > 1:
            raise AssertionError(
                f"Avoid adding multiple pruning hooks to the same tensor {name} of module "
                f"{module}. Use a PruningContainer."
            )
        method = cls(*args, **kwargs)
        method._tensor_name = name
        old = hooks[old_keys[0]] if old_keys else None
        orig = getattr(module, name)
        if importance_scores is not None:
            if importance_scores.shape != orig.shape:
                raise AssertionError(
                    f"importance_scores should have the same shape as parameter {name} of "
                    f"{module}, got {importance_scores.shape!r} vs {orig.shape!r}"
                )
        else:
            importance_scores = orig

        history = None
        if isinstance(old, PruningContainer):
            history = old._pruning_methods
            old.add_pruning_method(method)
            method = old
        elif old is not None:
            container = PruningContainer(old)
            container.add_pruning_method(method)
            method = container

        params, buffers = OrderedDict(module._parameters), OrderedDict(module._buffers)
        missing = object()
        attr = module.__dict__.get(name, missing)
        try:
            if old is None:
                module.register_parameter(name + "_orig", orig)
                del module._parameters[name]
                default_mask = ones_like(orig)
            else:
                default_mask = getattr(module, name + "_mask").detach().clone()
            mask = method.compute_mask(importance_scores, default_mask=default_mask)
            module.register_buffer(name + "_mask", mask)
            setattr(module, name, method.apply_mask(module))
        except Exception:
            # unlike PyTorch, which may lose the hook or reorder the parameters on the way
            if history is not None:
                old._pruning_methods = history
            module._parameters.clear()
            module._parameters.update(params)
            module._buffers.clear()
            module._buffers.update(buffers)
            if attr is missing:
                module.__dict__.pop(name, None)
            else:
                module.__dict__[name] = attr
            raise
        for k in old_keys:
            del hooks[k]
        module.register_forward_pre_hook(method)
        method._module = weakref.ref(module)
        return method

    def prune(
        self,
        t: Tensor,
        default_mask: Tensor | None = None,
        importance_scores: Tensor | None = None,
    ) -> Tensor:
        """`t` times the mask `compute_mask` gives for `importance_scores` (t itself when
        None) on top of `default_mask` (ones when None)."""
        if importance_scores is not None:
            if importance_scores.shape != t.shape:
                raise AssertionError(
                    "importance_scores should have the same shape as tensor t, got "
                    f"{importance_scores.shape!r} vs {t.shape!r}"
                )
        else:
            importance_scores = t
        default_mask = default_mask if default_mask is not None else ones_like(t)
        return t * self.compute_mask(importance_scores, default_mask=default_mask)

    def remove(self, module: Module) -> None:
        """Make the pruning permanent: `<name>` becomes a parameter again (the
        `<name>_orig` Parameter object, holding the pruned values); `<name>_orig` and
        `<name>_mask` go. Pruned entries stay zero."""
        if self._tensor_name is None:
            raise AssertionError(f"Module {module} has to be pruned before pruning can be removed")
        weight = self.apply_mask(module)
        if hasattr(module, self._tensor_name):
            delattr(module, self._tensor_name)
        orig = module._parameters[self._tensor_name + "_orig"]
        orig.data = weight.data
        del module._parameters[self._tensor_name + "_orig"]
        del module._buffers[self._tensor_name + "_mask"]
        setattr(module, self._tensor_name, orig)

    def __deepcopy__(self, memo: dict) -> BasePruningMethod:
        # as PyTorch: copying a module fails while its pruned tensor is a graph node (after
        # pruning or a forward with grad enabled)
        module = self._module() if self._module is not None else None
        if module is not None:
            value = module.__dict__.get(getattr(self, "_tensor_name", None))
            if isinstance(value, Tensor) and not value.is_leaf:
                raise RuntimeError(_DEEPCOPY_NON_LEAF)
        new = object.__new__(type(self))
        memo[id(self)] = new
        for key, value in self.__dict__.items():
            if key != "_module":
                new.__dict__[key] = copy.deepcopy(value, memo)
        if module is not None:
            new._module = weakref.ref(memo.get(id(module), module))
        return new

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.pop("_module", None)
        return state


class PruningContainer(BasePruningMethod):
    """The pruning methods applied in turn to one tensor; its mask is the latest method's
    mask computed on the part the earlier ones left, combined with their mask."""

    def __init__(self, *args: BasePruningMethod) -> None:
        self._pruning_methods: tuple[BasePruningMethod, ...] = ()
        if len(args) == 1:
            self._tensor_name = args[0]._tensor_name
            self.add_pruning_method(args[0])
        else:
            for method in args:
                self.add_pruning_method(method)

    def add_pruning_method(self, method: BasePruningMethod | None) -> None:
        """Append `method`, which must act on this container's tensor."""
        if not isinstance(method, BasePruningMethod) and method is not None:
            raise TypeError(f"{type(method)} is not a BasePruningMethod subclass")
        if method is not None and self._tensor_name != method._tensor_name:
            raise ValueError(
                "Can only add pruning methods acting on the parameter named "
                f"'{self._tensor_name}' to PruningContainer {self}. Found "
                f"'{method._tensor_name}'"
            )
        self._pruning_methods += (method,)

    def __len__(self) -> int:
        return len(self._pruning_methods)

    def __iter__(self) -> Iterator[BasePruningMethod]:
        return iter(self._pruning_methods)

    def __getitem__(self, idx: Any) -> Any:
        return self._pruning_methods[idx]

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        """The latest method's mask on the unpruned part of `t` (the entries where
        `default_mask` is 1 for 'unstructured', the channels along `dim` not all zero for
        'structured', everything for 'global'), written into `default_mask` cast to t's
        dtype."""
        method = self._pruning_methods[-1]
        new_mask = default_mask.to(dtype=t.dtype)
        if method.PRUNING_TYPE == "unstructured":
            slc: Any = default_mask == 1
        elif method.PRUNING_TYPE == "structured":
            if not hasattr(method, "dim"):
                raise AttributeError(
                    'Pruning methods of PRUNING_TYPE "structured" need to have the attribute '
                    "`dim` defined."
                )
            n_dims = t.dim()
            dim = method.dim
            if dim < 0:
                dim = n_dims + dim
            if dim < 0:
                raise IndexError(f"Index is out of bounds for tensor with dimensions {n_dims}")
            keep_channel = default_mask.sum(dim=[d for d in range(n_dims) if d != dim]) != 0
            index: list[Any] = [slice(None)] * n_dims
            index[dim] = keep_channel
            slc = tuple(index)
        elif method.PRUNING_TYPE == "global":
            slc = (slice(None),) * len(t.shape)
        else:
            raise ValueError(f"Unrecognized PRUNING_TYPE {method.PRUNING_TYPE}")
        partial_mask = method.compute_mask(t[slc], default_mask=default_mask[slc])
        new_mask[slc] = partial_mask.to(dtype=new_mask.dtype)
        return new_mask


class Identity(BasePruningMethod):
    """Prunes nothing: the reparametrisation with a mask of ones."""

    PRUNING_TYPE = "unstructured"

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        return default_mask

    @classmethod
    def apply(cls, module: Module, name: str) -> Identity:  # type: ignore[override]
        return super().apply(module, name)


class RandomUnstructured(BasePruningMethod):
    """Prunes `amount` (a count, or a fraction in [0, 1]) of the unpruned entries, chosen
    at random."""

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount: int | float) -> None:
        _validate_pruning_amount_init(amount)
        self.amount = amount

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        return _unstructured_mask(
            self.amount, t, default_mask, lambda k: randperm(t.nelement(), device=t.device)[:k]
        )

    @classmethod
    def apply(  # type: ignore[override]
        cls, module: Module, name: str, amount: int | float
    ) -> RandomUnstructured:
        return super().apply(module, name, amount=amount)


class L1Unstructured(BasePruningMethod):
    """Prunes `amount` (a count, or a fraction in [0, 1]) of the unpruned entries, those of
    smallest absolute value."""

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount: int | float) -> None:
        _validate_pruning_amount_init(amount)
        self.amount = amount

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        def smallest(k: int) -> Tensor:
            scores = np.abs(as_numpy(t._data)).reshape(-1)
            return _index(_topk_positions(scores, k, largest=False), t.device)

        return _unstructured_mask(self.amount, t, default_mask, smallest)

    @classmethod
    def apply(  # type: ignore[override]
        cls,
        module: Module,
        name: str,
        amount: int | float,
        importance_scores: Tensor | None = None,
    ) -> L1Unstructured:
        return super().apply(module, name, amount=amount, importance_scores=importance_scores)


class RandomStructured(BasePruningMethod):
    """Prunes `amount` (a count, or a fraction in [0, 1]) of the channels along `dim`,
    chosen at random."""

    PRUNING_TYPE = "structured"

    def __init__(self, amount: int | float, dim: int = -1) -> None:
        _validate_pruning_amount_init(amount)
        self.amount = amount
        self.dim = dim

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        _validate_structured_pruning(t)
        _validate_pruning_dim(t, self.dim)
        tensor_size = t.shape[self.dim]
        nparams_toprune = _compute_nparams_toprune(self.amount, tensor_size)
        _validate_pruning_amount(nparams_toprune, tensor_size)
        if nparams_toprune == 0:
            return default_mask
        _check_k(nparams_toprune, "kthvalue")
        keep = np.ones(tensor_size, dtype=bool)
        keep[as_numpy(randperm(tensor_size)._data)[:nparams_toprune]] = False
        mask = _channel_mask(t, self.dim, np.flatnonzero(keep))
        mask *= default_mask.to(dtype=mask.dtype)
        return mask

    @classmethod
    def apply(  # type: ignore[override]
        cls, module: Module, name: str, amount: int | float, dim: int = -1
    ) -> RandomStructured:
        return super().apply(module, name, amount=amount, dim=dim)


class LnStructured(BasePruningMethod):
    """Prunes `amount` (a count, or a fraction in [0, 1]) of the channels along `dim`, those
    of smallest L`n` norm (`n` as `p` of `minigrad.norm`: a number, inf, -inf, 'fro' or
    'nuc')."""

    PRUNING_TYPE = "structured"

    def __init__(self, amount: int | float, n: Any, dim: int = -1) -> None:
        _validate_pruning_amount_init(amount)
        self.amount = amount
        self.n = n
        self.dim = dim

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        _validate_structured_pruning(t)
        _validate_pruning_dim(t, self.dim)
        tensor_size = t.shape[self.dim]
        nparams_toprune = _compute_nparams_toprune(self.amount, tensor_size)
        nparams_tokeep = tensor_size - nparams_toprune
        _validate_pruning_amount(nparams_toprune, tensor_size)
        norm = _compute_norm(t, self.n, self.dim)
        keep = _topk_positions(as_numpy(norm._data), nparams_tokeep, largest=True)
        if nparams_toprune == 0:
            return default_mask
        mask = _channel_mask(t, self.dim, keep)
        mask *= default_mask.to(dtype=mask.dtype)
        return mask

    @classmethod
    def apply(  # type: ignore[override]
        cls,
        module: Module,
        name: str,
        amount: int | float,
        n: Any,
        dim: int,
        importance_scores: Tensor | None = None,
    ) -> LnStructured:
        return super().apply(
            module, name, amount=amount, n=n, dim=dim, importance_scores=importance_scores
        )


class CustomFromMask(BasePruningMethod):
    """Prunes where the given `mask` is 0."""

    PRUNING_TYPE = "global"

    def __init__(self, mask: Tensor) -> None:
        self.mask = mask

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        if default_mask.shape != self.mask.shape:
            raise AssertionError(
                f"default_mask shape {default_mask.shape!r} must match self.mask shape "
                f"{self.mask.shape!r}"
            )
        return default_mask * self.mask.to(dtype=default_mask.dtype)

    @classmethod
    def apply(cls, module: Module, name: str, mask: Tensor) -> CustomFromMask:  # type: ignore[override]
        return super().apply(module, name, mask=mask)


# ---------------------------------------------------------------------- functions
def identity(module: Module, name: str) -> Module:
    """Reparametrise `module.<name>` with a mask of ones (nothing pruned). Returns the
    module."""
    Identity.apply(module, name)
    return module


def random_unstructured(module: Module, name: str, amount: int | float) -> Module:
    """Prune `amount` (a count, or a fraction in [0, 1]) of the unpruned entries of
    `module.<name>` at random. Returns the module."""
    RandomUnstructured.apply(module, name, amount)
    return module


def l1_unstructured(
    module: Module, name: str, amount: int | float, importance_scores: Tensor | None = None
) -> Module:
    """Prune `amount` (a count, or a fraction in [0, 1]) of the unpruned entries of
    `module.<name>`, those of smallest |importance_scores| (of the tensor itself when None).
    Returns the module."""
    L1Unstructured.apply(module, name, amount=amount, importance_scores=importance_scores)
    return module


def random_structured(module: Module, name: str, amount: int | float, dim: int) -> Module:
    """Prune `amount` (a count, or a fraction in [0, 1]) of the channels of `module.<name>`
    along `dim` at random. Returns the module."""
    RandomStructured.apply(module, name, amount, dim)
    return module


def ln_structured(
    module: Module,
    name: str,
    amount: int | float,
    n: Any,
    dim: int,
    importance_scores: Tensor | None = None,
) -> Module:
    """Prune `amount` (a count, or a fraction in [0, 1]) of the channels of `module.<name>`
    along `dim`, those of smallest L`n` norm of importance_scores (of the tensor itself when
    None). Returns the module."""
    LnStructured.apply(module, name, amount, n, dim, importance_scores=importance_scores)
    return module


def global_unstructured(
    parameters: Iterable[tuple[Module, str]],
    pruning_method: type[BasePruningMethod],
    importance_scores: dict | None = None,
    **kwargs: Any,
) -> None:
    """Prune the (module, name) tensors together: `pruning_method(**kwargs)`, an
    'unstructured' method, ranks all their unpruned entries at once (by
    `importance_scores[(module, name)]` where given), then each tensor gets its share of the
    mask through `custom_from_mask`."""
    if not isinstance(parameters, Iterable):
        raise TypeError("global_unstructured(): parameters is not an Iterable")
    parameters = list(parameters)
    importance_scores = importance_scores if importance_scores is not None else {}
    if not isinstance(importance_scores, dict):
        raise TypeError("global_unstructured(): importance_scores must be of type dict")
    relevant_importance_scores = parameters_to_vector(
        [
            importance_scores.get((module, name), getattr(module, name))
            for module, name in parameters
        ]
    )
    default_mask = parameters_to_vector(
        [
            getattr(module, name + "_mask", ones_like(getattr(module, name)))
            for module, name in parameters
        ]
    )
    container = PruningContainer()
    container._tensor_name = "temp"
    method = pruning_method(**kwargs)
    method._tensor_name = "temp"
    if method.PRUNING_TYPE != "unstructured":
        raise TypeError(
            'Only "unstructured" PRUNING_TYPE supported for the `pruning_method`. Found method '
            f"{pruning_method} of type {method.PRUNING_TYPE}"
        )
    container.add_pruning_method(method)
    final_mask = container.compute_mask(relevant_importance_scores, default_mask)
    pointer = 0
    for module, name in parameters:
        param = getattr(module, name)
        num_param = param.numel()
        param_mask = final_mask[pointer : pointer + num_param].view_as(param)
        custom_from_mask(module, name, mask=param_mask)
        pointer += num_param


def custom_from_mask(module: Module, name: str, mask: Tensor) -> Module:
    """Prune `module.<name>` where `mask` is 0. Returns the module."""
    CustomFromMask.apply(module, name, mask)
    return module


def remove(module: Module, name: str) -> Module:
    """Make the pruning of `module.<name>` permanent and drop its forward pre-hook: `<name>`
    is a parameter again, holding the pruned values. Returns the module."""
    for k, hook in module._forward_pre_hooks.items():
        if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
            hook.remove(module)
            del module._forward_pre_hooks[k]
            return module
    raise ValueError(
        f"Parameter '{name}' of module {module} has to be pruned before pruning can be removed"
    )


def is_pruned(module: Module) -> bool:
    """Whether `module` or one of its submodules has a pruning forward pre-hook."""
    for _, submodule in module.named_modules():
        for hook in submodule._forward_pre_hooks.values():
            if isinstance(hook, BasePruningMethod):
                return True
    return False


# ---------------------------------------------------------------------- checks and helpers
def _unstructured_mask(
    amount: Any, t: Tensor, default_mask: Tensor, choose: Callable[[int], Any]
) -> Tensor:
    """default_mask with `choose(k)`'s flat positions zeroed, k the entries `amount` asks
    for (the validation and order of PyTorch's unstructured methods)."""
    tensor_size = t.nelement()
    nparams_toprune = _compute_nparams_toprune(amount, tensor_size)
    _validate_pruning_amount(nparams_toprune, tensor_size)
    mask = default_mask.clone()
    if nparams_toprune != 0:
        _check_k(nparams_toprune, "topk")
        mask.view(-1)[choose(nparams_toprune)] = 0
    return mask


def _validate_pruning_amount_init(amount: Any) -> None:
    """A count (int >= 0) or a fraction (float in [0, 1]); PyTorch's TypeError/ValueError."""
    if not isinstance(amount, numbers.Real):
        raise TypeError(f"Invalid type for amount: {amount}. Must be int or float.")
    if (isinstance(amount, numbers.Integral) and amount < 0) or (
        not isinstance(amount, numbers.Integral) and (float(amount) > 1.0 or float(amount) < 0.0)
    ):
        raise ValueError(
            f"amount={amount} should either be a float in the range [0, 1] or a non-negative "
            "integer"
        )


def _validate_pruning_amount(amount: Any, tensor_size: int) -> None:
    if isinstance(amount, numbers.Integral) and amount > tensor_size:
        raise ValueError(
            f"amount={amount} should be smaller than the number of parameters to "
            f"prune={tensor_size}"
        )


def _validate_structured_pruning(t: Tensor) -> None:
    shape = t.shape
    if len(shape) <= 1:
        raise ValueError(
            "Structured pruning can only be applied to multidimensional tensors. Found tensor "
            f"of shape {shape!r} with {len(shape)} dims"
        )


def _compute_nparams_toprune(amount: Any, tensor_size: int) -> int:
    """A count as it is; a fraction of `tensor_size` rounded as Python's round (half to
    even), as PyTorch."""
    if isinstance(amount, numbers.Integral):
        return amount
    return round(amount * tensor_size)


def _check_k(k: Any, fn: str) -> None:
    """amount=True counts as 1, but PyTorch's topk/kthvalue then refuse a bool k."""
    if isinstance(k, bool):
        raise TypeError(f"{fn}(): argument 'k' must be int, not bool")


def _validate_pruning_dim(t: Tensor, dim: int) -> None:
    if dim >= t.dim():
        raise IndexError(f"Invalid index {dim} for tensor of size {t.shape!r}")


def _compute_norm(t: Tensor, n: Any, dim: int) -> Tensor:
    """The L`n` norm of each channel of `t` along `dim` (over all other dims), with
    `torch.norm`'s choice: 'fro' over at most two dims is the 2-norm, another string a
    matrix norm over exactly two dims, a number a vector norm."""
    dims = list(range(t.dim()))
    if dim < 0:
        dim = dims[dim]
    dims.remove(dim)
    is_vector = not isinstance(n, str) or (n == "fro" and len(dims) <= 2)
    if t.dtype.kind != "f":
        kind = "vector_norm" if is_vector else "matrix_norm"
        raise RuntimeError(
            f"linalg.{kind}: Expected a floating point or complex tensor as input. Got "
            f"{torch_name(t.dtype)}"
        )
    if is_vector:
        return linalg.vector_norm(t, 2 if isinstance(n, str) else n, dims)
    if len(dims) != 2:
        got = " ".join(str(d) for d in dims)
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {got}")
    return linalg.matrix_norm(t, n, tuple(dims))


def _channel_mask(t: Tensor, dim: int, channels: np.ndarray) -> Tensor:
    """Zeros shaped (and typed) like `t`, with ones on the given channels along `dim`."""
    mask = zeros_like(t)
    index: list[Any] = [slice(None)] * t.dim()
    index[dim] = _index(channels, t.device)
    mask[tuple(index)] = 1
    return mask


def _index(positions: np.ndarray, device: str) -> Tensor:
    return Tensor(to_device(np.asarray(positions, dtype=np.int64), device))


# ---------------------------------------------------------------------- PyTorch's topk
# PyTorch's CPU topk copies a row into (value, index) pairs and runs libstdc++'s
# std::partial_sort (when k * 64 <= n) or std::nth_element on them, comparing values only
# (NaN counts as largest). When equal values straddle the k-th place, which of them come
# first depends on those algorithms; below they are reproduced on integer keys (the dense
# rank of each value, negated for `largest`), with the partition step done in NumPy.
_BLOCK = 4096


def _topk_positions(values: np.ndarray, k: int, largest: bool) -> np.ndarray:
    """The positions of the k smallest (largest) of the 1-D `values` that PyTorch's CPU
    `topk` returns, in no particular order."""
    n = values.size
    if k == 0:
        return np.zeros(0, dtype=np.int64)
    _, rank = np.unique(values.reshape(-1), return_inverse=True)
    keys = -rank.reshape(-1).astype(np.int64) if largest else rank.reshape(-1).astype(np.int64)
    kth = np.partition(keys, k - 1)[k - 1]
    chosen = keys <= kth
    if np.count_nonzero(chosen) == k:  # no tie across the k-th place: one possible answer
        return np.flatnonzero(chosen)
    idx = np.arange(n, dtype=np.int64)
    if k * 64 <= n:
        _heap_select(keys, idx, 0, k, n)
    else:
        _introselect(keys, idx, 0, k - 1, n)
    return idx[:k]


def _introselect(keys: np.ndarray, idx: np.ndarray, first: int, nth: int, last: int) -> None:
    """std::nth_element on [first, last): moves the elements of the nth place and before to
    [first, nth]."""
    depth = 2 * ((last - first).bit_length() - 1)
    while last - first > 3:
        if depth == 0:
            _heap_select(keys, idx, first, nth + 1, last)
            _swap(keys, idx, first, nth)
            return
        depth -= 1
        cut = _partition_pivot(keys, idx, first, last)
        if cut <= nth:
            first = cut
        else:
            last = cut
    _insertion_sort(keys, idx, first, last)


def _swap(keys: np.ndarray, idx: np.ndarray, i: int, j: int) -> None:
    keys[i], keys[j] = keys[j], keys[i]
    idx[i], idx[j] = idx[j], idx[i]


def _partition_pivot(keys: np.ndarray, idx: np.ndarray, first: int, last: int) -> int:
    """std::__unguarded_partition_pivot: the median of keys[first + 1], the middle one and
    the last moved to `first` as the pivot, then Hoare's partition of (first, last)."""
    a, b, c = first + 1, first + (last - first) // 2, last - 1
    ka, kb, kc = keys[a], keys[b], keys[c]
    if ka < kb:
        median = b if kb < kc else (c if ka < kc else a)
    else:
        median = a if ka < kc else (c if kb < kc else b)
    _swap(keys, idx, first, median)
    pivot = keys[first]
    # The scan from the left stops at each key >= pivot, the one from the right at each
    # key <= pivot (the pivot itself at `first` stops it last); the i-th stops of each are
    # swapped while the left one is before the right one, and the scans see original keys
    # up to then.
    left = np.flatnonzero(keys[first + 1 : last] >= pivot) + (first + 1)
    right = np.flatnonzero(keys[first:last] <= pivot)[::-1] + first
    m = min(left.size, right.size)
    swaps = int(np.count_nonzero(left[:m] < right[:m]))
    lo, hi = left[:swaps], right[:swaps]
    keys[lo], keys[hi] = keys[hi], keys[lo]
    idx[lo], idx[hi] = idx[hi], idx[lo]
    cut = int(left[swaps]) if swaps < left.size else last
    if swaps:
        cut = min(cut, int(right[swaps - 1]))
    return cut


def _insertion_sort(keys: np.ndarray, idx: np.ndarray, first: int, last: int) -> None:
    """std::__insertion_sort (stable) of the few elements of [first, last)."""
    for i in range(first + 1, last):
        key, ix = keys[i], idx[i]
        j = i
        while j > first and key < keys[j - 1]:
            keys[j], idx[j] = keys[j - 1], idx[j - 1]
            j -= 1
        keys[j], idx[j] = key, ix


def _heap_select(keys: np.ndarray, idx: np.ndarray, first: int, middle: int, last: int) -> None:
    """std::__heap_select: a max-heap of [first, middle) that each smaller element of
    [middle, last) replaces the top of."""
    hk, hi = keys[first:middle].tolist(), idx[first:middle].tolist()
    size = len(hk)
    if size >= 2:
        parent = (size - 2) // 2
        while True:
            _adjust_heap(hk, hi, parent, size, hk[parent], hi[parent])
            if parent == 0:
                break
            parent -= 1
    for start in range(middle, last, _BLOCK):
        block = keys[start : min(start + _BLOCK, last)]
        for j in (np.flatnonzero(block < hk[0]) + start).tolist():
            key = int(keys[j])
            if key < hk[0]:  # the top only decreases, so the candidates only shrink
                ix = int(idx[j])
                keys[j], idx[j] = hk[0], hi[0]
                _adjust_heap(hk, hi, 0, size, key, ix)
    keys[first:middle], idx[first:middle] = hk, hi


def _adjust_heap(hk: list, hi: list, hole: int, size: int, key: int, ix: int) -> None:
    """std::__adjust_heap: sift the hole at `hole` down to a leaf, always to the larger
    child (the right one on ties), then push (key, ix) up from there."""
    top = hole
    child = hole
    while child < (size - 1) // 2:
        child = 2 * (child + 1)
        if hk[child] < hk[child - 1]:
            child -= 1
        hk[hole], hi[hole] = hk[child], hi[child]
        hole = child
    if size % 2 == 0 and child == (size - 2) // 2:
        child = 2 * (child + 1)
        hk[hole], hi[hole] = hk[child - 1], hi[child - 1]
        hole = child - 1
    parent = (hole - 1) // 2
    while hole > top and hk[parent] < key:
        hk[hole], hi[hole] = hk[parent], hi[parent]
        hole = parent
        parent = (hole - 1) // 2
    hk[hole], hi[hole] = key, ix


__all__ = [
    "BasePruningMethod",
    "CustomFromMask",
    "Identity",
    "L1Unstructured",
    "LnStructured",
    "PruningContainer",
    "RandomStructured",
    "RandomUnstructured",
    "custom_from_mask",
    "global_unstructured",
    "identity",
    "is_pruned",
    "l1_unstructured",
    "ln_structured",
    "random_structured",
    "random_unstructured",
    "remove",
]
