"""Module: a container of Parameters, buffers and child Modules, as in PyTorch.

Attributes are registered by type on assignment: a `Parameter` becomes a parameter, a
`Module` a child; `register_buffer` adds state that is saved but not trained (running
statistics). `state_dict` flattens all of it to dotted names.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

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


class Module:
    """Base class of every layer and model."""

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
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
        for store in (params, self._buffers, self._modules):
            store.pop(name, None)
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        elif name in self.__dict__.get("_buffer_names", ()) and (
            value is None or isinstance(value, Tensor)
        ):
            self._buffers[name] = value
        else:
            object.__setattr__(self, name, value)
            return
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

    def register_buffer(self, name: str, tensor: Tensor | None) -> None:
        """State saved in state_dict and moved by to(), but not trained."""
        self.__dict__.setdefault("_buffer_names", set()).add(name)
        if tensor is not None and not isinstance(tensor, Tensor):
            tensor = Tensor(tensor)
        self._buffers[name] = tensor
        self.__dict__.pop(name, None)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        if param is None:
            self._parameters[name] = None
        else:
            setattr(self, name, param)

    def add_module(self, name: str, module: Module | None) -> None:
        self._modules[name] = module

    # ------------------------------------------------------------------ traversal
    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        stack = [(prefix, self)]
        seen: set[int] = set()
        while stack:
            name, m = stack.pop(0)
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
        for k, c in self._modules.items():
            if c is not None:
                yield k, c

    def children(self) -> Iterator[Module]:
        for _, c in self.named_children():
            yield c

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        seen: set[int] = set()
        for mname, m in self.named_modules(prefix):
            for k, p in m._parameters.items():
                if p is not None and id(p) not in seen:
                    seen.add(id(p))
                    yield (f"{mname}.{k}" if mname else k), p

    def parameters(self) -> Iterator[Parameter]:
        for _, p in self.named_parameters():
            yield p

    def named_buffers(self, prefix: str = "") -> Iterator[tuple[str, Tensor]]:
        for mname, m in self.named_modules(prefix):
            for k, b in m._buffers.items():
                if b is not None:
                    yield (f"{mname}.{k}" if mname else k), b

    def buffers(self) -> Iterator[Tensor]:
        for _, b in self.named_buffers():
            yield b

    # ------------------------------------------------------------------ modes
    def train(self, mode: bool = True) -> Module:
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

    # ------------------------------------------------------------------ state
    def state_dict(self) -> OrderedDict[str, Tensor]:
        """Parameters and buffers by dotted name (the tensors themselves, detached)."""
        out: OrderedDict[str, Tensor] = OrderedDict()
        for mname, m in self.named_modules():
            for store in (m._parameters, m._buffers):
                for k, t in store.items():
                    if t is not None:
                        out[f"{mname}.{k}" if mname else k] = t.detach()
        return out

    def load_state_dict(self, state: dict[str, Any], strict: bool = True) -> tuple[list, list]:
        """Copy values in place. With `strict`, missing or unexpected keys are an error;
        a shape mismatch always is. Returns (missing, unexpected)."""
        own: dict[str, Tensor] = {}
        for mname, m in self.named_modules():
            for store in (m._parameters, m._buffers):
                for k, t in store.items():
                    if t is not None:
                        own[f"{mname}.{k}" if mname else k] = t
        missing = [k for k in own if k not in state]
        unexpected = [k for k in state if k not in own]
        if strict and (missing or unexpected):
            raise KeyError(
                f"{type(self).__name__}.load_state_dict: missing keys {missing}, "
                f"unexpected keys {unexpected}"
            )
        for k, t in own.items():
            if k not in state:
                continue
            v = state[k]
            arr = v._data if isinstance(v, Tensor) else v
            if tuple(np.shape(arr)) != t.shape:
                raise ValueError(
                    f"{type(self).__name__}.load_state_dict: '{k}' has shape "
                    f"{tuple(np.shape(arr))} in the state but {t.shape} in the model"
                )
            # copy: sharing the state's array would tie this model to the source model
            t._data = to_device(arr, t.device).astype(t.dtype, copy=True)
            t._version += 1
        return missing, unexpected

    # ------------------------------------------------------------------ calling
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} has no forward")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__}({self.extra_repr()}"]
        for k, c in self.named_children():
            body = repr(c).replace("\n", "\n  ")
            lines.append(f"  ({k}): {body}")
        return lines[0] + ")" if len(lines) == 1 else "\n".join(lines) + "\n)"
