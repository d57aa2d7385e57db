"""Module: a container of Parameters, buffers and child Modules, as in PyTorch.

Attributes are registered by type on assignment: a `Parameter` becomes a parameter, a
`Module` a child; `register_buffer` adds state that is saved but not trained (running
statistics). `state_dict` flattens all of it to dotted names.
"""

from __future__ import annotations

import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from typing import Any, NamedTuple

import numpy as np

from ..autograd import no_grad, zero_grad_in_place
from ..backend import cupy_module, get_array_module, is_cupy_array, normalize_device, to_device
from ..tensor import RemovableHandle, Tensor, _NoBFloat16
from .backward_hooks import BackwardHook


class Parameter(Tensor):
    """A leaf Tensor that a Module trains: requires_grad is on by default."""

    __slots__ = ()

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:  # as PyTorch: an empty parameter of the default dtype
            data = []
        source = data if isinstance(data, Tensor) else None
        if source is not None:
            data = source._shareable()
        super().__init__(data, requires_grad=requires_grad)
        if source is not None:
            # data's memory and version counter, as PyTorch's: a change of data recorded in
            # a graph (which gives data a new array) reaches the parameter too
            self._alias_of(source)

    def __deepcopy__(self, memo: dict) -> Parameter:
        """A copy of the data with the same requires_grad, and no `.grad` (PyTorch's)."""
        if id(self) not in memo:  # (attributes a program set on it stay behind, as there)
            memo[id(self)] = type(self)(self._data.copy(), self.requires_grad)
        return memo[id(self)]

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class _BufferMeta(type):
    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, Tensor) and obj.__dict__.get("_is_buffer", False)


class Buffer(metaclass=_BufferMeta):
    """PyTorch's marker for a buffer: `self.stats = nn.Buffer(t)` in a Module registers
    `stats` as `register_buffer('stats', t, persistent)` does. It returns `t` detached (its
    requires_grad kept), marked with `persistent` and as a buffer, as PyTorch's."""

    def __new__(cls, data: Tensor | None = None, *, persistent: bool = True) -> Any:
        from ..tensor import empty

        if data is None:
            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Buffer: expected a Tensor, got {type(data).__name__}")
        t = data.detach().requires_grad_(data.requires_grad)
        t.persistent = persistent
        t._is_buffer = True
        return t


class _IncompatibleKeys(NamedTuple):
    """What `load_state_dict` returns, as PyTorch's: printed as `<All keys matched
    successfully>` when both lists are empty."""

    missing_keys: list[str]
    unexpected_keys: list[str]

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return (
            f"_IncompatibleKeys(missing_keys={self.missing_keys!r}, "
            f"unexpected_keys={self.unexpected_keys!r})"
        )

    __str__ = __repr__


IncompatibleKeys = _IncompatibleKeys  # the public spelling minigrad used before


# The undo log of the load_state_dict in progress (None outside one): each in-place copy or
# assignment that `_load_from_state_dict` makes appends how to take it back, so that a
# failed load leaves the model as it was.
_LOAD_UNDO: ContextVar[list[Callable[[], None]] | None] = ContextVar("_LOAD_UNDO", default=None)


class _WithModule:
    """A load_state_dict pre-hook registered with `with_module=True`: called with the
    module first (PyTorch's `_WrappedHook`)."""

    def __init__(self, hook: Callable, module: Module) -> None:
        self.hook, self.module = hook, module

    def __call__(self, *args: Any) -> Any:
        return self.hook(self.module, *args)


def _loadable(v: Any) -> Any:
    """The array `load_state_dict` copies from a state_dict value, or None for a value it
    refuses: a Tensor, or (minigrad's leniency, documented) a NumPy array or a list of
    numbers. A string, None, a dict or a Python number is refused, as PyTorch does."""
    if isinstance(v, Tensor):
        return v._data
    if isinstance(v, np.ndarray | np.generic) or is_cupy_array(v):
        return v
    if isinstance(v, list):
        try:
            arr = np.asarray(v)
        except ValueError:  # ragged
            return None
        return arr if arr.dtype.kind in "biufc" else None
    return None


def _restorer(t: Tensor) -> Callable[[], None]:
    """How to take back an in-place load into `t`: its values and version counter."""
    old, version = t._data.copy(), t._version

    def restore() -> None:
        t._data[...] = old
        t._version = version

    return restore


def _swap_data(t: Tensor, new: Any) -> None:
    """PyTorch's `t.data = new` as Module._apply uses it (on each parameter and its `.grad`):
    the same Tensor object takes the new array, and its version is not bumped, so a graph
    recorded before `m.double()` or `m.to(device)` still runs backward, as in PyTorch.
    Views and `.data`s taken before keep the old memory and no longer alias `t` (a version
    counter of its own, with the same value)."""
    from ..tensor import VersionCounter

    t._data = new
    t._vc = VersionCounter(t._version)
    t.__dict__.pop("_data_aliases", None)


def _not_a_module(value: Any) -> str:
    """Why `value` cannot be registered as a child module, naming it: the class itself
    passed for an instance (`nn.ReLU` for `nn.ReLU()`, a classic slip) gets a hint; a class
    or a function by its name, as PyTorch's message does (not as `type` or `function`)."""
    if isinstance(value, type):
        name = value.__qualname__
        if issubclass(value, Module):
            return (
                f"the class {name} is not a module: pass an instance, {name}() "
                "(did you leave out the parentheses?)"
            )
        return f"the class {name} is not a Module subclass"
    name = getattr(value, "__qualname__", None)
    if callable(value) and isinstance(name, str):  # a function, a lambda, a method
        return f"{type(value).__name__} {name} is not a Module subclass"
    return f"{type(value).__name__} is not a Module subclass"


class Module:
    """Base class of every layer and model. Calling a module runs its forward pre-hooks,
    `forward` and its forward hooks, in PyTorch's order."""

    _version: int = 1  # saved in the state_dict's metadata, as PyTorch's

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "_hooks_with_kwargs", OrderedDict())
        object.__setattr__(self, "_hooks_always_called", OrderedDict())
        object.__setattr__(self, "_backward_hooks", OrderedDict())
        object.__setattr__(self, "_backward_pre_hooks", OrderedDict())
        object.__setattr__(self, "_state_dict_hooks", OrderedDict())
        object.__setattr__(self, "_state_dict_pre_hooks", OrderedDict())
        object.__setattr__(self, "_load_state_dict_pre_hooks", OrderedDict())
        object.__setattr__(self, "_load_state_dict_post_hooks", OrderedDict())
        object.__setattr__(self, "training", True)

    # ------------------------------------------------------------------ registration
    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            # Before Module.__init__ ran (`self.hidden = n; super().__init__()`, a mixin
            # that sets its config first): a plain attribute is set, as in PyTorch, which
            # refuses only Parameters, Modules and Buffers there, with these messages.
            if isinstance(value, Parameter):
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            if isinstance(value, Module):
                raise AttributeError("cannot assign module before Module.__init__() call")
            if isinstance(value, Buffer):
                raise AttributeError("cannot assign buffer before Module.__init__() call")
            object.__setattr__(self, name, value)
            return
        # As PyTorch: a registered name only takes a value of its kind or None, since a
        # silent change of kind would drop it from parameters(), the optimizer or the
        # state_dict. None keeps the slot, and a replaced entry keeps its place.
        params, modules, buffers = self._parameters, self._modules, self._buffers
        if isinstance(value, Parameter):
            self._forget(name, self.__dict__, buffers, modules)
            self.register_parameter(name, value)
        elif name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign {type(value).__name__} as parameter '{name}' "
                    "(a Parameter or None is expected)"
                )
            params[name] = None
        elif isinstance(value, Module):
            self._forget(name, self.__dict__, params, buffers)
            modules[name] = value
        elif name in modules:
            if value is not None:
                raise TypeError(
                    f"cannot assign {type(value).__name__} as child module '{name}' "
                    "(a Module or None is expected)"
                )
            modules[name] = None
        elif isinstance(value, Buffer):  # self.x = nn.Buffer(t): registered, as PyTorch
            # (a name already taken by another attribute: register_buffer's KeyError)
            self.register_buffer(name, value, value.persistent)
        elif name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"cannot assign {type(value).__name__} as buffer '{name}' "
                    "(a Tensor or None is expected)"
                )
            buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name: str, *stores: dict) -> None:
        """Drop `name` from each store (and from the non-persistent set with the buffers)."""
        for store in stores:
            store.pop(name, None)
            if store is self._buffers:
                self._non_persistent_buffers.discard(name)

    def __getattr__(self, name: str) -> Any:
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            if store in d and name in d[store]:
                return d[store][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __dir__(self) -> list[str]:
        """As PyTorch's: the class's and instance's attributes with the names of the
        parameters, child modules and buffers (those that start with a digit, as a
        Sequential's "0", left out)."""
        d = self.__dict__
        keys = [
            *dir(type(self)),
            *d,
            *d.get("_parameters", ()),
            *d.get("_modules", ()),
            *d.get("_buffers", ()),
        ]
        return sorted(k for k in keys if not k[0].isdigit())

    def __delattr__(self, name: str) -> None:
        for store in (self._parameters, self._buffers, self._modules):
            if name in store:
                self._forget(name, store)
                return
        object.__delattr__(self, name)

    def _check_name(self, name: Any, kind: str, store: dict) -> None:
        """PyTorch's checks of a new entry's name: a string, without '.', not empty, and not
        already an attribute of another kind (a method, a plain attribute, another store)."""
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {kind} before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string. Got {type(name).__name__}")
        if "." in name:
            raise KeyError(f"{kind} name can't contain '.' (a name without '.'), got {name!r}")
        if name == "":
            raise KeyError(f'{kind} name can\'t be empty string ""')
        if hasattr(self, name) and name not in store:
            raise KeyError(f"attribute '{name}' already exists")

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """State moved by to() but not trained; saved in state_dict when `persistent`."""
        self._check_name(name, "buffer", self.__dict__.get("_buffers", {}))
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"cannot assign {type(tensor).__name__} object to buffer '{name}' "
                "(a Tensor or None is required)"
            )
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add `param` (a Parameter, or None for an empty slot that keeps its place)."""
        self._check_name(name, "parameter", self.__dict__.get("_parameters", {}))
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign {type(param).__name__} object to parameter '{name}' "
                "(a Parameter or None is required)"
            )
        if param is not None and param.creator is not None:
            raise ValueError(
                f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters must "
                f"be created explicitly. To express '{name}' as a function of another Tensor, "
                "compute the value in the forward() method."
            )
        self._parameters[name] = param

    def add_module(self, name: str, module: Module | None) -> None:
        if module is not None and not isinstance(module, Module):
            raise TypeError(_not_a_module(module))
        self._check_name(name, "module", self.__dict__.get("_modules", {}))
        self._modules[name] = module

    def register_module(self, name: str, module: Module | None) -> None:
        self.add_module(name, module)

    def get_submodule(self, target: str) -> Module:
        """The module at dotted path `target` ('' is self)."""
        m = self
        for part in target.split(".") if target else ():
            if part not in m._modules or m._modules[part] is None:
                raise AttributeError(
                    f"{type(m).__name__} has no submodule {part!r} (looking up {target!r})"
                )
            m = m._modules[part]
        return m

    def set_submodule(self, target: str, module: Module, strict: bool = False) -> None:
        """Put `module` at dotted path `target` ("block.fc"); the parent must exist, and with
        `strict` so must the old module there. As PyTorch's, an attribute of that name that
        is not a module (a parameter, a number, a method) is not replaced."""
        if target == "":
            raise ValueError("Cannot set the submodule without a target name!")
        if not isinstance(module, Module):
            raise ValueError(
                f"set_submodule: `module` must be a Module, got {type(module).__name__}"
            )
        path, _, name = target.rpartition(".")
        parent = self.get_submodule(path)
        if strict and not hasattr(parent, name):
            raise AttributeError(f"{type(parent).__name__} has no attribute `{name}` ({target!r})")
        if hasattr(parent, name) and not isinstance(getattr(parent, name), Module):
            raise AttributeError(f"`{name}` is not an nn.Module ({target!r})")
        setattr(parent, name, module)

    def share_memory(self) -> Module:
        """Every parameter and buffer (and existing gradient) moved into shared memory, as
        PyTorch's: processes started after it train the same values
        (minigrad.multiprocessing). Returns self."""
        for m in self.modules():
            for store in (m._parameters, m._buffers):
                for t in store.values():
                    if t is not None:
                        t.share_memory_()
                        if t._grad is not None:
                            t._grad.share_memory_()
        return self

    def compile(self, *args: Any, **kwargs: Any) -> None:
        """PyTorch compiles the module in place; minigrad runs it as it is (as
        `mg.compile`, docs/pytorch-differences.md)."""

    def get_parameter(self, target: str) -> Parameter:
        """The parameter at dotted path `target` ("block.fc.weight")."""
        path, _, name = target.rpartition(".")
        m = self.get_submodule(path)
        if not isinstance(m._parameters.get(name), Parameter):
            raise AttributeError(f"{type(m).__name__} has no parameter {name!r} ({target!r})")
        return m._parameters[name]

    def get_buffer(self, target: str) -> Tensor | None:
        """The buffer at dotted path `target` ("block.bn.running_mean"); None for a slot
        registered as None."""
        path, _, name = target.rpartition(".")
        m = self.get_submodule(path)
        if name not in m._buffers:
            raise AttributeError(f"{type(m).__name__} has no buffer {name!r} ({target!r})")
        return m._buffers[name]

    # ------------------------------------------------------------------ hooks
    def register_forward_pre_hook(
        self, hook: Callable, *, prepend: bool = False, with_kwargs: bool = False
    ) -> RemovableHandle:
        """hook(module, args) -> None or new args (a non-tuple becomes a 1-tuple); with
        `with_kwargs`, hook(module, args, kwargs) -> None or (args, kwargs)."""
        return self._add_hook(self._forward_pre_hooks, hook, prepend, with_kwargs)

    def register_forward_hook(
        self,
        hook: Callable,
        *,
        prepend: bool = False,
        with_kwargs: bool = False,
        always_call: bool = False,
    ) -> RemovableHandle:
        """hook(module, args, output) -> None or a replacement output; with `with_kwargs`,
        hook(module, args, kwargs, output). With `always_call` it also runs, with output
        None, when forward or a hook raises (then its own errors become warnings)."""
        handle = self._add_hook(self._forward_hooks, hook, prepend, with_kwargs)
        if always_call:
            self._hooks_always_called[handle.id] = True
        return handle

    def register_full_backward_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """hook(module, grad_input, grad_output) -> None or a replacement grad_input, run
        once the gradients of the module's tensor arguments are computed; grad_input has
        one entry per positional argument (None for those that get no gradient),
        grad_output one per output. See `minigrad.nn.backward_hooks`."""
        return self._add_hook(self._backward_hooks, hook, prepend, False)

    def register_full_backward_pre_hook(
        self, hook: Callable, prepend: bool = False
    ) -> RemovableHandle:
        """hook(module, grad_output) -> None or a replacement grad_output, run when the
        gradients of the module's outputs are computed, before they flow into it."""
        return self._add_hook(self._backward_pre_hooks, hook, prepend, False)

    def register_backward_hook(self, hook: Callable) -> RemovableHandle:
        raise NotImplementedError(
            f"{type(self).__name__}.register_backward_hook: PyTorch's deprecated hook, whose "
            "grad_input is that of the module's last operation, is not implemented; use "
            "register_full_backward_hook (grad_input of the module's own inputs)"
        )

    def register_state_dict_pre_hook(self, hook: Callable) -> RemovableHandle:
        """hook(module, prefix, keep_vars), run before `state_dict` saves this module."""
        return self._add_state_hook("_state_dict_pre_hooks", hook)

    def register_state_dict_post_hook(self, hook: Callable) -> RemovableHandle:
        """hook(module, state_dict, prefix, local_metadata) -> None, run once this module
        and its children are saved; it edits the state_dict in place."""
        hook._from_public_api = True
        return self._add_state_hook("_state_dict_hooks", hook)

    def _register_state_dict_hook(self, hook: Callable) -> RemovableHandle:
        """As register_state_dict_post_hook, but the hook may return a new state_dict, which
        only the module that `state_dict` is called on returns (PyTorch's)."""
        if getattr(hook, "_from_public_api", False):
            raise RuntimeError(
                "Cannot register the same function as the state dict post hook that was "
                "previously registered via register_state_dict_post_hook"
            )
        return self._add_state_hook("_state_dict_hooks", hook)

    def register_load_state_dict_pre_hook(self, hook: Callable) -> RemovableHandle:
        """hook(module, state_dict, prefix, local_metadata, strict, missing_keys,
        unexpected_keys, error_msgs), run before this module loads its entries; it may edit
        the state_dict (a copy of the one given) and the lists."""
        return self._register_load_state_dict_pre_hook(hook, with_module=True)

    def _register_load_state_dict_pre_hook(
        self, hook: Callable, with_module: bool = False
    ) -> RemovableHandle:
        """As register_load_state_dict_pre_hook; without `with_module` the hook is not
        given the module."""
        return self._add_state_hook(
            "_load_state_dict_pre_hooks", _WithModule(hook, self) if with_module else hook
        )

    def register_load_state_dict_post_hook(self, hook: Callable) -> RemovableHandle:
        """hook(module, incompatible_keys) -> None, run once this module and its children
        are loaded; it may edit incompatible_keys' lists in place, which decides whether a
        strict load raises."""
        return self._add_state_hook("_load_state_dict_post_hooks", hook)

    def _add_state_hook(self, store_name: str, hook: Callable) -> RemovableHandle:
        store = self.__dict__.setdefault(store_name, OrderedDict())
        handle = RemovableHandle(store)
        store[handle.id] = hook
        return handle

    def _add_hook(
        self, store: OrderedDict, hook: Callable, prepend: bool, with_kwargs: bool
    ) -> RemovableHandle:
        if not callable(hook):
            raise TypeError(f"{type(self).__name__}: hook {hook!r} is not callable")
        handle = RemovableHandle(store, self._hooks_with_kwargs, self._hooks_always_called)
        store[handle.id] = hook
        if prepend:
            store.move_to_end(handle.id, last=False)
        if with_kwargs:
            self._hooks_with_kwargs[handle.id] = True
        return handle

    # ------------------------------------------------------------------ traversal
    def named_modules(
        self, memo: set | None = None, prefix: str = "", remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Module]]:
        """Self, then each child's subtree in registration order (depth first); a module
        reached twice is listed once unless `remove_duplicate` is False. As PyTorch's, `memo`
        is a set of modules: those in it are skipped (with their subtrees), and with
        `remove_duplicate` each module listed is added to it."""
        stack = [(prefix, self)]
        seen: set[Module] = set() if memo is None else memo
        while stack:
            name, m = stack.pop(0)
            if m in seen:
                continue
            if remove_duplicate:
                seen.add(m)
            yield name, m
            stack[0:0] = [
                (f"{name}.{k}" if name else k, c) for k, c in m._modules.items() if c is not None
            ]

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        seen: set[int] = set()
        for k, c in self._modules.items():
            if c is not None and id(c) not in seen:
                seen.add(id(c))
                yield k, c

    def children(self) -> Iterator[Module]:
        for _, c in self.named_children():
            yield c

    def _named_members(
        self, store: str, prefix: str, recurse: bool, remove_duplicate: bool
    ) -> Iterator[tuple[str, Any]]:
        seen: set[int] = set()
        mods = (
            self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
            if recurse
            else [(prefix, self)]
        )
        for mname, m in mods:
            for k, t in getattr(m, store).items():
                if t is None or (remove_duplicate and id(t) in seen):
                    continue
                seen.add(id(t))
                yield (f"{mname}.{k}" if mname else k), t

    def named_parameters(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every Parameter of this module and (with `recurse`) of its submodules, each once
        even if shared, in registration order: what an optimizer is given."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Tensor]]:
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call fn on every child's subtree, then on self (PyTorch's order); returns self."""
        for c in self.children():
            c.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------ modes
    def train(self, mode: bool = True) -> Module:
        """Set the training flag here, then through each child's own train(), as PyTorch,
        so that a subclass overriding train() (a frozen BatchNorm) is honoured."""
        if not isinstance(mode, bool):
            raise ValueError(f"{type(self).__name__}.train: mode must be a bool, got {mode!r}")
        object.__setattr__(self, "training", mode)
        for c in self.children():
            c.train(mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode, `train(False)`: dropout passes its input through and batch norm
        uses its running statistics. Gradients are still recorded (use `no_grad()`)."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Drop each parameter's grad, or with `set_to_none=False` zero it in place (cut
        from any graph), so that references to the grad see the zeros, as PyTorch."""
        for p in self.parameters():
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                zero_grad_in_place(p)

    # ------------------------------------------------------------------ device and dtype
    def _apply(self, fn: Any, recurse: bool = True, *, kinds: str | None = None) -> Module:
        """Replace each parameter's and buffer's array (and its grad's) by `fn` of it, in
        place (PyTorch's signature); with `kinds`, only those whose dtype is of these kinds
        ("fc": floating point and complex)."""
        for m in self.modules() if recurse else (self,):
            for store in (m._parameters, m._buffers):
                for t in store.values():
                    if t is None or (kinds is not None and t.dtype.kind not in kinds):
                        continue
                    new = fn(t._data)
                    if new is not t._data:
                        _swap_data(t, new)
                        g = t._grad  # not .grad: a non-leaf buffer would warn
                        if g is not None:
                            new = fn(g._data)
                            if new is not g._data:
                                _swap_data(g, new)
        return self

    def to_empty(self, *, device: Any, recurse: bool = True) -> Module:
        """Parameters and buffers (and their grads) replaced in place by uninitialised ones
        on `device` (None: each stays where it is), as PyTorch's; minigrad's hold zeros."""
        dev = None if device is None else normalize_device(device)

        def empty(a: Any) -> Any:
            xp = get_array_module(a) if dev is None else (np if dev == "cpu" else cupy_module())
            return xp.zeros(a.shape, a.dtype)

        return self._apply(empty, recurse=recurse)

    def to(
        self,
        device: Any = None,
        dtype: Any = None,
        non_blocking: bool = False,
        memory_format: Any = None,
    ) -> Module:
        """Move parameters and buffers in place (the objects stay the same, so an optimizer
        made before the move keeps working). `dtype` casts the floating point and complex
        ones, as PyTorch's: a complex one cast to a real dtype keeps its real part, with
        NumPy's ComplexWarning ("Casting complex values to real discards the imaginary
        part", PyTorch's words). `non_blocking` is accepted; copies are synchronous.
        `memory_format=channels_last` lays out the 4-d ones (conv weights) so, as
        PyTorch's."""
        if isinstance(dtype, bool):  # m.to(tensor, True), m.to(dtype, True): non_blocking
            dtype = None
        if isinstance(device, Tensor):  # m.to(tensor): its device and dtype
            device, dtype = device.device, device.dtype if dtype is None else dtype
        if isinstance(device, type | np.dtype | _NoBFloat16) and dtype is None:
            device, dtype = None, device
        if dtype is not None:
            dt = np.dtype(dtype)
            if dt.kind not in "fc":
                # as PyTorch: integer weights would be truncated and could not train
                raise TypeError(
                    f"{type(self).__name__}.to only takes floating point or complex dtypes, "
                    f"got {dt.name}"
                )
            self._cast(dt, "fc")
        if device is not None:
            dev = normalize_device(device)
            self._apply(lambda a: to_device(a, dev))
        order = getattr(memory_format, "order", None)
        if order is not None:
            from ..tensor import _in_format

            self._apply(lambda a: _in_format(a, order) if a.ndim == len(order) else a)
        return self

    def cpu(self) -> Module:
        return self.to("cpu")

    def cuda(self) -> Module:
        return self.to("cuda")

    def _cast(self, dt: np.dtype, kinds: str | None) -> Module:
        self._cast_grad_buffers(dt, kinds)
        return self._apply(lambda a: a if a.dtype == dt else a.astype(dt), kinds=kinds)

    def _cast_grad_buffers(self, dt: np.dtype, kinds: str | None) -> None:
        """Each buffer that requires grad (and is not of `dt` already) replaced by its cast
        `b.to(dt)`, as PyTorch's `_apply` puts `fn(buffer)` in the buffer's place: in grad
        mode a recorded non-leaf whose gradient reaches the old tensor, under no_grad a
        plain tensor. Parameters and the other buffers keep their objects (`_apply`)."""
        for m in self.modules():
            for name, b in m._buffers.items():
                if b is None or not b.requires_grad or b.dtype == dt:
                    continue
                if kinds is None or b.dtype.kind in kinds:
                    m._buffers[name] = b.to(dt)

    # double/float/half cast the floating point parameters and buffers only, as PyTorch's:
    # complex ones stay complex (`to(dtype)` casts those too)
    def double(self) -> Module:
        return self._cast(np.dtype(np.float64), "f")

    def float(self) -> Module:
        return self._cast(np.dtype(np.float32), "f")

    def half(self) -> Module:
        return self._cast(np.dtype(np.float16), "f")

    def bfloat16(self) -> Module:
        raise TypeError(f"{type(self).__name__}.bfloat16: minigrad has no bfloat16 dtype")

    def type(self, dst_type: Any) -> Module:
        """Cast every parameter and buffer to `dst_type`, integer ones too (PyTorch's); a
        parameter that requires grad cannot become an integer one (RuntimeError, as
        PyTorch's)."""
        dt = np.dtype(dst_type)
        if dt.kind not in "fc":
            for name, p in self.named_parameters():
                if p.requires_grad:
                    raise RuntimeError(
                        f"{type(self).__name__}.type({dt.name}): parameter {name!r} requires "
                        "grad and must stay a floating point or complex dtype"
                    )
        return self._cast(dt, None)

    # ------------------------------------------------------------------ state
    def get_extra_state(self) -> Any:
        """Override, with set_extra_state, to save non-tensor state under the key
        "_extra_state" of the state_dict."""
        raise RuntimeError(
            f"{type(self).__name__}.get_extra_state() is only called when a subclass overrides it"
        )

    def set_extra_state(self, state: Any) -> None:
        """Override to restore what get_extra_state returned."""
        raise RuntimeError(
            f"{type(self).__name__}.set_extra_state() is only called when a subclass overrides it"
        )

    def _save_to_state_dict(self, destination: dict, prefix: str, keep_vars: bool) -> None:
        """This module's own parameters and persistent buffers (not its children's) into
        `destination`, each key preceded by `prefix`, then "_extra_state" when the module
        overrides get_extra_state. `state_dict` calls it on every module; override it for a
        class-specific format, as in PyTorch."""
        for k, t in self._parameters.items():
            if t is not None:
                destination[prefix + k] = t if keep_vars else t.detach()
        for k, t in self._buffers.items():
            if t is not None and k not in self._non_persistent_buffers:
                destination[prefix + k] = t if keep_vars else t.detach()
        if type(self).get_extra_state is not Module.get_extra_state:
            destination[prefix + "_extra_state"] = self.get_extra_state()

    def state_dict(
        self, *args: Any, destination: Any = None, prefix: str = "", keep_vars: bool = False
    ) -> OrderedDict[str, Any]:
        """Parameters and persistent buffers by dotted name, each module's own before its
        children's, each key preceded by `prefix` (e.g. "net."); detached tensors sharing
        storage unless `keep_vars`. A module overriding get_extra_state adds its result
        under "_extra_state". A new dict carries `_metadata` (each module's version), and
        the state_dict pre- and post-hooks run for every module, as in PyTorch.
        `destination`, `prefix` and `keep_vars` given by position still work, with
        PyTorch's FutureWarning (it is deprecating them)."""
        if args:
            warnings.warn(
                "Positional args are being deprecated, use kwargs instead. Refer to "
                "https://pytorch.org/docs/main/generated/torch.nn.Module.html"
                "#torch.nn.Module.state_dict for details.",
                FutureWarning,
                stacklevel=2,
            )
            # as PyTorch's: a positional one fills a keyword left at its default
            if destination is None:
                destination = args[0]
            if len(args) > 1 and prefix == "":
                prefix = args[1]
            if len(args) > 2 and keep_vars is False:
                keep_vars = args[2]
        if destination is None:
            destination = OrderedDict()
            destination._metadata = OrderedDict()
        local_metadata = {"version": self._version}
        if hasattr(destination, "_metadata"):
            destination._metadata[prefix[:-1]] = local_metadata
        for hook in list(self.__dict__.get("_state_dict_pre_hooks", {}).values()):
            hook(self, prefix, keep_vars)
        self._save_to_state_dict(destination, prefix, keep_vars)
        # a module shared under two names is saved under both, as in PyTorch
        for name, m in self._modules.items():
            if m is not None:
                m.state_dict(
                    destination=destination, prefix=f"{prefix}{name}.", keep_vars=keep_vars
                )
        for hook in list(self.__dict__.get("_state_dict_hooks", {}).values()):
            result = hook(self, destination, prefix, local_metadata)
            if getattr(hook, "_from_public_api", False):
                if result is not None:
                    raise RuntimeError("state_dict post-hook must return None")
            elif result is not None:
                destination = result
        return destination

    def _load_from_state_dict(
        self,
        state_dict: dict[str, Any],
        prefix: str,
        local_metadata: dict,
        strict: bool,
        missing_keys: list[str],
        unexpected_keys: list[str],
        error_msgs: list[str],
    ) -> None:
        """Load this module's own entries (not its children's) from `state_dict`, keys
        preceded by `prefix`, after its load pre-hooks; note the missing and unexpected
        keys and the errors in the lists. `load_state_dict` calls it on every module;
        override it for a class-specific format, as in PyTorch. Values are copied into the
        existing tensors (cast to their dtype), or with `local_metadata`'s
        "assign_to_params_buffers" put in their places; arrays are accepted."""
        for hook in list(self.__dict__.get("_load_state_dict_pre_hooks", {}).values()):
            hook(
                state_dict,
                prefix,
                local_metadata,
                strict,
                missing_keys,
                unexpected_keys,
                error_msgs,
            )
        local = {
            k: t
            for store in (self._parameters, self._buffers)
            for k, t in store.items()
            if t is not None
            and (store is self._parameters or k not in self._non_persistent_buffers)
        }
        assign = local_metadata.get("assign_to_params_buffers", False)
        undo = _LOAD_UNDO.get()
        for name, t in local.items():
            key = prefix + name
            if key not in state_dict:
                if strict:
                    missing_keys.append(key)
                continue
            v = state_dict[key]
            arr = _loadable(v)
            if arr is None:
                error_msgs.append(
                    f'While copying the parameter named "{key}", expected torch.Tensor or '
                    f"Tensor-like object from checkpoint but received {type(v)}"
                )
                continue
            if getattr(t, "_uninitialized", False):
                if not getattr(v, "_uninitialized", False):
                    error_msgs.append(f"cannot load {key} into an uninitialized parameter")
                continue  # an uninitialized one into it: it stays so, as in PyTorch
            if getattr(v, "_uninitialized", False):
                error_msgs.append(
                    f"cannot load {key}, an uninitialized parameter (of a lazy module that "
                    f"has not run forward), into an initialized one of shape {t.shape}"
                )
                continue
            shape = tuple(np.shape(arr))
            if t.ndim == 0 and shape == (1,):  # PyTorch's 0.3 checkpoints: (1,) into 0-d
                arr, shape = arr[0], ()
            if shape != t.shape:
                error_msgs.append(
                    f"size mismatch for {key}: copying a param with shape {shape} "
                    f"from checkpoint, the shape in current model is {t.shape}."
                )
                continue
            if assign:
                value = v if isinstance(v, Tensor) and v._data is arr else Tensor(arr)
                self._assign(name, value, t, undo)
                continue
            if undo is not None:
                undo.append(_restorer(t))
            with no_grad():
                t.copy_(to_device(arr, t.device))
        extra_key = prefix + "_extra_state"
        if type(self).set_extra_state is not Module.set_extra_state:
            if extra_key in state_dict:
                self.set_extra_state(state_dict[extra_key])
            elif strict:
                missing_keys.append(extra_key)
        elif strict and extra_key in state_dict:
            unexpected_keys.append(extra_key)
        if strict:
            for key in state_dict:
                if key.startswith(prefix) and key != extra_key:
                    head, dot, _ = key[len(prefix) :].partition(".")
                    if (head not in self._modules) if dot else (head not in local):
                        unexpected_keys.append(key)

    def load_state_dict(
        self, state_dict: Mapping[str, Any], strict: bool = True, assign: bool = False
    ) -> _IncompatibleKeys:
        """Copy values into the existing tensors, cast to their dtype (PyTorch's `copy_`), so
        that detached aliases see them; call set_extra_state where a module overrides it.
        With `assign`, the state's tensors themselves take the places (a parameter keeps its
        requires_grad), as PyTorch's assign=True. Each module's load pre-hooks,
        `_load_from_state_dict` and post-hooks run in PyTorch's order. With `strict`,
        missing or unexpected keys are a RuntimeError; a shape mismatch always is. A load
        that raises is undone (PyTorch keeps what it copied). Returns (missing_keys,
        unexpected_keys)."""
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        missing: list[str] = []
        unexpected: list[str] = []
        errors: list[str] = []
        metadata = getattr(state_dict, "_metadata", None)
        state_dict = OrderedDict(state_dict)  # the pre-hooks may edit it, as PyTorch's
        if metadata is not None:
            state_dict._metadata = metadata

        def load(module: Module, local_state: dict, prefix: str = "") -> None:
            local_metadata = {} if metadata is None else dict(metadata.get(prefix[:-1], {}))
            if assign:
                local_metadata["assign_to_params_buffers"] = assign
            module._load_from_state_dict(
                local_state, prefix, local_metadata, True, missing, unexpected, errors
            )
            for name, child in module._modules.items():
                if child is not None:
                    child_prefix = f"{prefix}{name}."
                    load(
                        child,
                        {k: v for k, v in local_state.items() if k.startswith(child_prefix)},
                        child_prefix,
                    )
            keys = _IncompatibleKeys(missing, unexpected)
            for hook in list(module.__dict__.get("_load_state_dict_post_hooks", {}).values()):
                if hook(module, keys) is not None:
                    raise AssertionError(
                        "Hooks registered with ``register_load_state_dict_post_hook`` are not "
                        "expected to return new values, if incompatible_keys need to be "
                        "modified, it should be done inplace."
                    )

        undo: list[Callable[[], None]] = []
        token = _LOAD_UNDO.set(undo)
        try:
            load(self, state_dict)
            if strict and unexpected:
                keys = ", ".join(f'"{k}"' for k in unexpected)
                errors.insert(0, f"Unexpected key(s) in state_dict: {keys}. ")
            if strict and missing:
                keys = ", ".join(f'"{k}"' for k in missing)
                errors.insert(0, f"Missing key(s) in state_dict: {keys}. ")
            if errors:
                raise RuntimeError(
                    f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                    + "\n\t".join(errors)
                )
        except BaseException:
            for restore in reversed(undo):
                restore()
            raise
        finally:
            _LOAD_UNDO.reset(token)
        return _IncompatibleKeys(missing, unexpected)

    def _assign(
        self, name: str, value: Tensor, current: Tensor, undo: list[Callable[[], None]] | None
    ) -> None:
        """Put `value` itself in the place of own tensor `name` (assign=True); a parameter
        keeps its requires_grad."""
        store = self._parameters if name in self._parameters else self._buffers
        if store is self._parameters:
            if isinstance(value, Parameter):
                value.requires_grad_(current.requires_grad)
            else:
                value = Parameter(value, requires_grad=current.requires_grad)
        if undo is not None:
            undo.append(lambda: store.__setitem__(name, current))
        store[name] = value

    # ------------------------------------------------------------------ calling
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """What the module computes; a subclass defines it. Call the module (`m(x)`), not
        `m.forward(x)`, so that its hooks run."""
        raise NotImplementedError(f"{type(self).__name__} has no forward")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not (
            self._forward_pre_hooks
            or self._forward_hooks
            or self._backward_hooks
            or self._backward_pre_hooks
        ):
            return self.forward(*args, **kwargs)
        with_kwargs, always = self._hooks_with_kwargs, self._hooks_always_called
        out, called, backward_hook = None, set(), None
        try:
            for hid, hook in list(self._forward_pre_hooks.items()):
                if hid in with_kwargs:
                    res = hook(self, args, kwargs)
                    if res is not None:
                        if not (isinstance(res, tuple) and len(res) == 2):
                            raise RuntimeError(
                                f"{type(self).__name__}: a forward pre-hook with kwargs must "
                                f"return None or (args, kwargs), got {type(res).__name__}"
                            )
                        args, kwargs = res
                else:
                    res = hook(self, args)
                    if res is not None:
                        args = res if isinstance(res, tuple) else (res,)
            if self._backward_hooks or self._backward_pre_hooks:
                backward_hook = BackwardHook(
                    self,
                    list(self._backward_hooks.values()),
                    list(self._backward_pre_hooks.values()),
                )
                args = backward_hook.inputs(args)
            out = self.forward(*args, **kwargs)
            for hid, hook in list(self._forward_hooks.items()):
                called.add(hid)
                res = hook(self, args, kwargs, out) if hid in with_kwargs else hook(self, args, out)
                if res is not None:
                    out = res
            if backward_hook is not None:
                if not isinstance(out, Tensor | tuple):
                    warnings.warn(
                        f"{type(self).__name__}: for backward hooks to be called, the module's "
                        f"output should be a Tensor or a tuple of Tensors, got "
                        f"{type(out).__name__}",
                        stacklevel=2,
                    )
                out = backward_hook.outputs(out)
            return out
        except Exception:
            # as PyTorch: the always-call hooks not yet run see the output so far (None when
            # forward failed), and their own errors only warn, so the first error propagates
            for hid, hook in list(self._forward_hooks.items()):
                if hid not in always or hid in called:
                    continue
                try:
                    res = (
                        hook(self, args, kwargs, out)
                        if hid in with_kwargs
                        else hook(self, args, out)
                    )
                    if res is not None:
                        out = res
                except Exception as e:
                    warnings.warn(
                        "module forward hook with ``always_call=True`` raised an exception "
                        f"that was silenced as another error was raised in forward: {e}",
                        stacklevel=2,
                    )
            raise

    def extra_repr(self) -> str:
        return ""

    def _get_name(self) -> str:
        """The class name that repr shows (PyTorch's; a subclass may override it)."""
        return type(self).__name__

    def __repr__(self) -> str:
        """As PyTorch prints a module: the extra repr alone on one line when there are no
        children, otherwise the extra repr's lines then each registered child's (a module
        registered twice, twice; a None slot as None), indented by two."""
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({k}): " + repr(c).replace("\n", "\n  ") for k, c in self._modules.items()]
        name = self._get_name()
        if len(extra_lines) == 1 and not child_lines:
            return f"{name}({extra_lines[0]})"
        lines = extra_lines + child_lines
        return f"{name}(" + ("\n  " + "\n  ".join(lines) + "\n" if lines else "") + ")"
