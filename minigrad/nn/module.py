"""Module: a container of Parameters, buffers and child Modules, as in PyTorch.

Attributes are registered by type on assignment: a `Parameter` becomes a parameter, a
`Module` a child; `register_buffer` adds state that is saved but not trained (running
statistics). `state_dict` flattens all of it to dotted names.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import numpy as np

from ..backend import get_array_module, normalize_device, to_device
from ..tensor import Tensor


class Parameter(Tensor):
    """A leaf Tensor that a Module trains: requires_grad is on by default."""

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True) -> None:
        if isinstance(data, Tensor):
            data = data._data
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class IncompatibleKeys(NamedTuple):
    """What `load_state_dict` returns, as PyTorch's `_IncompatibleKeys`."""

    missing_keys: list[str]
    unexpected_keys: list[str]


class RemovableHandle:
    """Returned by the `register_*_hook` methods: `.remove()` unregisters the hook; usable
    as a context manager that removes it on exit."""

    _next_id = 0

    def __init__(self, hooks: OrderedDict, extra: OrderedDict | None = None) -> None:
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1
        self._stores = (hooks,) if extra is None else (hooks, extra)

    def remove(self) -> None:
        for store in self._stores:
            store.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


class Module:
    """Base class of every layer and model. Calling a module runs its forward pre-hooks,
    `forward` and its forward hooks, in PyTorch's order."""

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "_hooks_with_kwargs", OrderedDict())
        object.__setattr__(self, "training", True)

    # ------------------------------------------------------------------ registration
    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"{type(self).__name__}: call super().__init__() before assigning attributes"
            )
        params = self._parameters
        if name in params and value is not None and not isinstance(value, Parameter):
            # as PyTorch: silently turning a parameter into a plain attribute would drop it
            # from parameters(), the optimizer and the state_dict
            raise TypeError(
                f"{type(self).__name__}: cannot assign {type(value).__name__} as parameter "
                f"'{name}' (a Parameter or None is expected)"
            )
        if isinstance(value, Parameter):
            target = params
        elif isinstance(value, Module):
            target = self._modules
        elif name in self.__dict__.get("_buffer_names", ()) and (
            value is None or isinstance(value, Tensor)
        ):
            target = self._buffers
        else:
            target = None
        for store in (params, self._buffers, self._modules):
            if store is not target:
                store.pop(name, None)
        if target is None:
            object.__setattr__(self, name, value)
            return
        target[name] = value  # a replaced entry keeps its place, as in PyTorch
        self.__dict__.pop(name, None)

    def __getattr__(self, name: str) -> Any:
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            if store in d and name in d[store]:
                return d[store][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for store in (self._parameters, self._buffers, self._modules):
            if name in store:
                del store[name]
                return
        object.__delattr__(self, name)

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """State moved by to() but not trained; saved in state_dict when `persistent`."""
        self.__dict__.setdefault("_buffer_names", set()).add(name)
        if tensor is not None and not isinstance(tensor, Tensor):
            tensor = Tensor(tensor)
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)
        self.__dict__.pop(name, None)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        if param is None:
            self._parameters[name] = None
        else:
            setattr(self, name, param)

    def add_module(self, name: str, module: Module | None) -> None:
        if module is not None and not isinstance(module, Module):
            raise TypeError(
                f"{type(self).__name__}.add_module: {type(module).__name__} is not a Module"
            )
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(
                f"{type(self).__name__}.add_module: module name must be a non-empty string "
                f"without '.', got {name!r}"
            )
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

    # ------------------------------------------------------------------ hooks
    def register_forward_pre_hook(
        self, hook: Callable, *, prepend: bool = False, with_kwargs: bool = False
    ) -> RemovableHandle:
        """hook(module, args) -> None or new args (a non-tuple becomes a 1-tuple); with
        `with_kwargs`, hook(module, args, kwargs) -> None or (args, kwargs)."""
        return self._add_hook(self._forward_pre_hooks, hook, prepend, with_kwargs)

    def register_forward_hook(
        self, hook: Callable, *, prepend: bool = False, with_kwargs: bool = False
    ) -> RemovableHandle:
        """hook(module, args, output) -> None or a replacement output; with `with_kwargs`,
        hook(module, args, kwargs, output)."""
        return self._add_hook(self._forward_hooks, hook, prepend, with_kwargs)

    def _add_hook(
        self, store: OrderedDict, hook: Callable, prepend: bool, with_kwargs: bool
    ) -> RemovableHandle:
        if not callable(hook):
            raise TypeError(f"{type(self).__name__}: hook {hook!r} is not callable")
        handle = RemovableHandle(store, self._hooks_with_kwargs)
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
        reached twice is listed once unless `remove_duplicate` is False."""
        stack = [(prefix, self)]
        seen: set[int] = set() if memo is None else memo
        while stack:
            name, m = stack.pop(0)
            if remove_duplicate:
                if id(m) in seen:
                    continue
                seen.add(id(m))
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
        if not isinstance(mode, bool):
            raise ValueError(f"{type(self).__name__}.train: mode must be a bool, got {mode!r}")
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.parameters():
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                # zeros_like, not grad * 0, which keeps NaN and Inf
                xp = get_array_module(p.grad._data)
                p.grad = Tensor._make(xp.zeros_like(p.grad._data), False)

    # ------------------------------------------------------------------ device and dtype
    def _apply(self, fn: Any, floats_only: bool = False) -> Module:
        for m in self.modules():
            for store in (m._parameters, m._buffers):
                for t in store.values():
                    if t is None or (floats_only and t.dtype.kind != "f"):
                        continue
                    new = fn(t._data)
                    if new is not t._data:
                        t._data = new
                        t._version += 1
                        if t.grad is not None:
                            t.grad = Tensor._make(fn(t.grad._data), False)
        return self

    def to(self, device: Any = None, dtype: Any = None) -> Module:
        """Move parameters and buffers in place (the objects stay the same, so an optimizer
        made before the move keeps working)."""
        if isinstance(device, Tensor):  # m.to(tensor): its device and dtype
            device, dtype = device.device, device.dtype if dtype is None else dtype
        if isinstance(device, type | np.dtype) and dtype is None:
            device, dtype = None, device
        if dtype is not None:
            dt = np.dtype(dtype)
            self._apply(lambda a: a if a.dtype == dt else a.astype(dt), floats_only=True)
        if device is not None:
            dev = normalize_device(device)
            self._apply(lambda a: to_device(a, dev))
        return self

    def cpu(self) -> Module:
        return self.to("cpu")

    def cuda(self) -> Module:
        return self.to("cuda")

    def double(self) -> Module:
        return self.to(dtype=np.float64)

    def float(self) -> Module:
        return self.to(dtype=np.float32)

    def half(self) -> Module:
        return self.to(dtype=np.float16)

    # ------------------------------------------------------------------ state
    def _state_items(self) -> Iterator[tuple[str, Tensor]]:
        # a module shared under two names is saved under both, as in PyTorch
        for mname, m in self.named_modules(remove_duplicate=False):
            for k, t in m._parameters.items():
                if t is not None:
                    yield (f"{mname}.{k}" if mname else k), t
            for k, t in m._buffers.items():
                if t is not None and k not in m._non_persistent_buffers:
                    yield (f"{mname}.{k}" if mname else k), t

    def state_dict(
        self, destination: Any = None, prefix: str = "", keep_vars: bool = False
    ) -> OrderedDict[str, Tensor]:
        """Parameters and persistent buffers by dotted name, each module's own before its
        children's, each key preceded by `prefix` (e.g. "net."); detached tensors sharing
        storage unless `keep_vars`."""
        out = OrderedDict() if destination is None else destination
        for k, t in self._state_items():
            out[prefix + k] = t if keep_vars else t.detach()
        return out

    def load_state_dict(self, state: dict[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy values in place, as PyTorch: with `strict`, missing or unexpected keys are a
        RuntimeError; a shape mismatch always is. Nothing is copied when it raises.
        Returns (missing_keys, unexpected_keys)."""
        own = dict(self._state_items())
        missing = [k for k in own if k not in state]
        unexpected = [k for k in state if k not in own]
        errors = []
        if strict and missing:
            errors.append("Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing))
        if strict and unexpected:
            errors.append(
                "Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected)
            )
        arrays = {}
        for k, t in own.items():
            if k not in state:
                continue
            v = state[k]
            arr = v._data if isinstance(v, Tensor) else v
            if tuple(np.shape(arr)) != t.shape:
                errors.append(
                    f"size mismatch for {k}: copying a param with shape {tuple(np.shape(arr))} "
                    f"from checkpoint, the shape in current model is {t.shape}"
                )
            arrays[k] = arr
        if errors:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                + "\n\t".join(errors)
            )
        for k, arr in arrays.items():
            t = own[k]
            # copy: sharing the state's array would tie this model to the source model
            t._data = to_device(arr, t.device).astype(t.dtype, copy=True)
            t._version += 1
        return IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------ calling
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} has no forward")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not (self._forward_pre_hooks or self._forward_hooks):
            return self.forward(*args, **kwargs)
        with_kwargs = self._hooks_with_kwargs
        for hid, hook in list(self._forward_pre_hooks.items()):
            if hid in with_kwargs:
                res = hook(self, args, kwargs)
                if res is not None:
                    if not (isinstance(res, tuple) and len(res) == 2):
                        raise RuntimeError(
                            f"{type(self).__name__}: a forward pre-hook with kwargs must return "
                            f"None or (args, kwargs), got {type(res).__name__}"
                        )
                    args, kwargs = res
            else:
                res = hook(self, args)
                if res is not None:
                    args = res if isinstance(res, tuple) else (res,)
        out = self.forward(*args, **kwargs)
        for hid, hook in list(self._forward_hooks.items()):
            res = hook(self, args, kwargs, out) if hid in with_kwargs else hook(self, args, out)
            if res is not None:
                out = res
        return out

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        """As PyTorch prints a module: the extra repr alone on one line when there are no
        children, otherwise the extra repr's lines then each child's, indented by two."""
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({k}): " + repr(c).replace("\n", "\n  ") for k, c in self.named_children()]
        name = type(self).__name__
        if len(extra_lines) == 1 and not child_lines:
            return f"{name}({extra_lines[0]})"
        lines = extra_lines + child_lines
        return f"{name}(" + ("\n  " + "\n  ".join(lines) + "\n" if lines else "") + ")"
