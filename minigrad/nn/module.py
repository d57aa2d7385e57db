"""Module: a container of Parameters, buffers and child Modules, as in PyTorch.

Attributes are registered by type on assignment: a `Parameter` becomes a parameter, a
`Module` a child; `register_buffer` adds state that is saved but not trained (running
statistics). `state_dict` flattens all of it to dotted names.
"""

from __future__ import annotations

import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import numpy as np

from ..autograd import no_grad
from ..backend import normalize_device, to_device
from ..tensor import Tensor
from .backward_hooks import BackwardHook


class Parameter(Tensor):
    """A leaf Tensor that a Module trains: requires_grad is on by default."""

    __slots__ = ()

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:  # as PyTorch: an empty parameter of the default dtype
            data = []
        if isinstance(data, Tensor):
            data = data._data
        super().__init__(data, requires_grad=requires_grad)

    def __deepcopy__(self, memo: dict) -> Parameter:
        """A copy of the data with the same requires_grad, and no `.grad` (PyTorch's)."""
        if id(self) not in memo:
            memo[id(self)] = type(self)(self._data.copy(), self.requires_grad)
        return memo[id(self)]

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

    def __init__(self, hooks: OrderedDict, *extra: OrderedDict) -> None:
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1
        self._stores = (hooks, *extra)

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

    _optional_state: tuple[str, ...] = ()  # state_dict keys load_state_dict may miss

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
        object.__setattr__(self, "training", True)

    # ------------------------------------------------------------------ registration
    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"{type(self).__name__}: call super().__init__() before assigning attributes"
            )
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
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
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
        """Set the training flag here, then through each child's own train(), as PyTorch,
        so that a subclass overriding train() (a frozen BatchNorm) is honoured."""
        if not isinstance(mode, bool):
            raise ValueError(f"{type(self).__name__}.train: mode must be a bool, got {mode!r}")
        object.__setattr__(self, "training", mode)
        for c in self.children():
            c.train(mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Drop each parameter's grad, or with `set_to_none=False` zero it in place (cut
        from any graph), so that references to the grad see the zeros, as PyTorch."""
        for p in self.parameters():
            g = p.grad
            if set_to_none or g is None:
                p.grad = None
                continue
            if g.creator is not None:
                g.detach_()
            else:
                g.requires_grad_(False)
            with no_grad():
                g.zero_()  # fill, not grad * 0, which keeps NaN and Inf

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

    def to(self, device: Any = None, dtype: Any = None, non_blocking: bool = False) -> Module:
        """Move parameters and buffers in place (the objects stay the same, so an optimizer
        made before the move keeps working). `non_blocking` is accepted; copies are
        synchronous."""
        if isinstance(dtype, bool):  # m.to(tensor, True), m.to(dtype, True): non_blocking
            dtype = None
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

    def bfloat16(self) -> Module:
        raise TypeError(f"{type(self).__name__}.bfloat16: minigrad has no bfloat16 dtype")

    def type(self, dst_type: Any) -> Module:
        """Cast every parameter and buffer to `dst_type`, integer ones too (PyTorch's)."""
        dt = np.dtype(dst_type)
        return self._apply(lambda a: a if a.dtype == dt else a.astype(dt))

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

    def _state_items(self, extra: str) -> Iterator[tuple[str, Any]]:
        """(dotted name, tensor) for each parameter and persistent buffer, each module's own
        before its children's, then (prefix + "_extra_state", module) when the module
        overrides the method `extra` (get_extra_state or set_extra_state), as PyTorch."""
        # a module shared under two names is saved under both, as in PyTorch
        for mname, m in self.named_modules(remove_duplicate=False):
            pre = f"{mname}." if mname else ""
            for k, t in m._parameters.items():
                if t is not None:
                    yield pre + k, t
            for k, t in m._buffers.items():
                if t is not None and k not in m._non_persistent_buffers:
                    yield pre + k, t
            if getattr(type(m), extra) is not getattr(Module, extra):
                yield pre + "_extra_state", m

    def state_dict(
        self, destination: Any = None, prefix: str = "", keep_vars: bool = False
    ) -> OrderedDict[str, Any]:
        """Parameters and persistent buffers by dotted name, each module's own before its
        children's, each key preceded by `prefix` (e.g. "net."); detached tensors sharing
        storage unless `keep_vars`. A module overriding get_extra_state adds its result
        under "_extra_state"."""
        out = OrderedDict() if destination is None else destination
        for k, v in self._state_items("get_extra_state"):
            if isinstance(v, Module):
                out[prefix + k] = v.get_extra_state()
            else:
                out[prefix + k] = v if keep_vars else v.detach()
        return out

    def load_state_dict(
        self, state: dict[str, Any], strict: bool = True, assign: bool = False
    ) -> IncompatibleKeys:
        """Copy values into the existing tensors, cast to their dtype (PyTorch's `copy_`), so
        that detached aliases see them; call set_extra_state where a module overrides it.
        With `assign`, the state's tensors themselves take the places (a parameter keeps its
        requires_grad), as PyTorch's assign=True. With `strict`, missing or unexpected keys
        are a RuntimeError; a shape mismatch always is. Nothing is copied when it raises.
        Returns (missing_keys, unexpected_keys)."""
        own = dict(self._state_items("set_extra_state"))
        optional = {
            f"{name}.{k}" if name else k
            for name, m in self.named_modules(remove_duplicate=False)
            for k in m._optional_state
        }
        missing = [k for k in own if k not in state and k not in optional]
        unexpected = [k for k in state if k not in own]
        errors = []
        if strict and missing:
            errors.append("Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing))
        if strict and unexpected:
            errors.append(
                "Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected)
            )
        for k, t in own.items():
            if k not in state or isinstance(t, Module):
                continue
            v = state[k]
            shape = tuple(np.shape(v._data if isinstance(v, Tensor) else v))
            if shape != t.shape:
                errors.append(
                    f"size mismatch for {k}: copying a param with shape {shape} "
                    f"from checkpoint, the shape in current model is {t.shape}"
                )
        if errors:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                + "\n\t".join(errors)
            )
        for k, t in own.items():
            if k not in state:
                continue
            v = state[k]
            if isinstance(t, Module):
                t.set_extra_state(v)
                continue
            if assign:
                self._assign(k, v if isinstance(v, Tensor) else Tensor(v), t)
                continue
            with no_grad():
                t.copy_(to_device(v._data if isinstance(v, Tensor) else v, t.device))
        return IncompatibleKeys(missing, unexpected)

    def _assign(self, key: str, value: Tensor, current: Tensor) -> None:
        """Put `value` itself at dotted `key` (load_state_dict(assign=True))."""
        path, _, name = key.rpartition(".")
        owner = self.get_submodule(path)
        if name in owner._parameters:
            owner._parameters[name] = Parameter(value, requires_grad=current.requires_grad)
        else:
            owner._buffers[name] = value

    # ------------------------------------------------------------------ calling
    def forward(self, *args: Any, **kwargs: Any) -> Any:
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
