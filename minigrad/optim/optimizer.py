"""Optimizers with PyTorch's update rules: SGD, Adam, AdamW, RMSprop, Adadelta, Adagrad,
Adamax, NAdam, RAdam, Rprop, ASGD; and `EMA`, a moving average of parameters for evaluation.

Updates run on the raw arrays, in place and outside the graph (`p._data`, then
`p._version += 1` so a stale graph that saved the old value refuses to backward). Each step
allocates at most one temporary per parameter: the loop is Python-bound for small models.
The state holds Tensors, as PyTorch's does ('step' a 0-d float32 tensor); the updates write
into their arrays.
"""

from __future__ import annotations

import copy
import functools
import operator
import warnings
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from ..autograd import enable_grad, zero_grad_in_place
from ..backend import Array, ArrayModule, get_array_module, loud_fp, quiet_fp, to_device
from ..nn.module import RemovableHandle
from ..ops import cpu_kernels
from ..tensor import Tensor, get_default_dtype

__all__ = [
    "ASGD",
    "EMA",
    "SGD",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "NAdam",
    "Optimizer",
    "RAdam",
    "RMSprop",
    "Rprop",
]


def _hooked_step(step: Callable[..., Any]) -> Callable[..., Any]:
    """`step` with the optimizer's step hooks around it, as PyTorch's wrapper: each pre-hook
    gets (optimizer, args, kwargs), args starting with the optimizer, and may return new
    (args, kwargs); the post-hooks see the ones the step got."""

    @functools.wraps(step)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        opt = args[0]
        pre = opt.__dict__.get("_optimizer_step_pre_hooks")
        if pre:
            for hook in list(pre.values()):
                result = hook(opt, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2):
                        raise RuntimeError(
                            f"{hook} must return None or a tuple of (new_args, new_kwargs), "
                            f"but got {result}."
                        )
                    args, kwargs = result
        out = step(*args, **kwargs)
        post = opt.__dict__.get("_optimizer_step_post_hooks")
        if post:
            for hook in list(post.values()):
                hook(opt, args, kwargs)
        return out

    wrapper._runs_step_hooks = True
    return wrapper


def _add_hook(hooks: OrderedDict, hook: Callable, prepend: bool = False) -> RemovableHandle:
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


# the optimizer's hook registries, PyTorch's attribute names
_HOOK_REGISTRIES = (
    "_optimizer_step_pre_hooks",
    "_optimizer_step_post_hooks",
    "_optimizer_state_dict_pre_hooks",
    "_optimizer_state_dict_post_hooks",
    "_optimizer_load_state_dict_pre_hooks",
    "_optimizer_load_state_dict_post_hooks",
)


class _RequiredParameter:
    """PyTorch's marker for a hyper-parameter without a default (`lr=required`): every
    param group must give it a value."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


class Optimizer:
    """Holds `param_groups` (dicts of params plus their hyper-parameters, as in PyTorch)
    and per-parameter `state`, a defaultdict(dict) keyed by parameter. `params` may be
    tensors or dicts of per-group settings."""

    # 0-d state entries of parameters of any shape; 'step' keeps its dtype when loaded
    _scalar_state: tuple[str, ...] = ("step",)
    # a complex parameter is updated as PyTorch's optimizers update it: the parameter, its
    # gradient and its complex state entries viewed as real (..., 2) pairs (view_as_real),
    # the real and imaginary parts each a real number of their own. False where the rule,
    # linear in the gradient (SGD), gives those numbers in complex arithmetic anyway.
    _complex_as_real = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if callable(step) and not getattr(step, "_runs_step_hooks", False):
            cls.step = _hooked_step(step)  # an override (LBFGS) runs the hooks too

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        for name in _HOOK_REGISTRIES:  # hook id -> hook, in the order they run
            setattr(self, name, OrderedDict())
        self.defaults = defaults
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        if isinstance(params, Tensor):
            raise TypeError(
                f"{type(self).__name__}: params should be an iterable of Tensors or dicts, got "
                f"a Tensor of shape {params.shape}; pass [tensor]"
            )
        params = list(params)
        if not params:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        if not isinstance(params[0], dict):
            params = [{"params": params}]  # tensors, or (name, tensor) pairs
        for group in params:
            self.add_param_group(group)

    def add_param_group(self, group: dict[str, Any]) -> None:
        """Append a group (PyTorch's checks); the dict itself becomes the group."""
        name = type(self).__name__
        if not isinstance(group, dict):
            raise TypeError(f"{name}: param_group must be a dict, but got {type(group)}")
        ps = group["params"]
        if isinstance(ps, set):
            raise TypeError(
                f"{name}: optimizer parameters need to be organized in ordered collections, "
                "but the ordering of tensors in sets will change between runs. Please use a "
                "list instead."
            )
        group["params"] = [ps] if isinstance(ps, Tensor) else list(ps)
        named = [isinstance(p, tuple) for p in group["params"]]
        if any(named):  # PyTorch's named parameters: (name, tensor) pairs
            if not all(named) or any(len(p) != 2 for p in group["params"]):
                raise TypeError(
                    f"{type(self).__name__}: give all parameters of a group as tensors or all "
                    "as (name, tensor) pairs, as model.named_parameters() does"
                )
            group["param_names"] = [name for name, _ in group["params"]]
            group["params"] = [p for _, p in group["params"]]
        for p in group["params"]:
            if not isinstance(p, Tensor):
                raise TypeError(f"{type(self).__name__}: can only optimize Tensors, got {type(p)}")
            if p.creator is not None:
                raise ValueError(f"{type(self).__name__}: can only optimize leaf tensors")
        for k, v in self.defaults.items():
            if v is required and k not in group:
                raise ValueError(
                    f"{name}: parameter group didn't specify a value of required optimization "
                    f"parameter {k}"
                )
            group.setdefault(k, v)
        if len({id(p) for p in group["params"]}) != len(group["params"]):
            self._duplicates = True  # read where SGD starts a momentum buffer
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; "
                "in future, this will cause an error; "
                "see github.com/pytorch/pytorch/issues/40967 for more information",
                UserWarning,
                stacklevel=3,
            )
        for g in self.param_groups:
            if ("param_names" in g) != ("param_names" in group):
                raise ValueError(
                    f"{name}: all optimizer param groups should be with/without names; cannot "
                    f"add a param group {'with' if 'param_names' in group else 'without'} names"
                )
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in group["params"]):
            raise ValueError(
                f"{name}: some parameters appear in more than one parameter group (a parameter "
                "in two groups)"
            )
        self.param_groups.append(group)

    @property
    def params(self) -> list[Tensor]:
        return [p for g in self.param_groups for p in g["params"]]

    @property
    def lr(self) -> float:
        """The first group's learning rate; setting it sets every group's."""
        return self.param_groups[0]["lr"]

    @lr.setter
    def lr(self, value: float) -> None:
        for g in self.param_groups:
            g["lr"] = value

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's `.grad` before the next backward, which would otherwise
        add to it: set it to None (the default, as PyTorch; the step then skips the
        parameter until a backward gives it a gradient), or with `set_to_none=False` fill
        the existing gradient with zeros in place."""
        for p in self.params:
            if set_to_none or p.grad is None:
                p.grad = None
            else:  # in place, as PyTorch: a reference to the grad sees the zeros
                zero_grad_in_place(p)

    # ------------------------------------------------------------------ hooks
    def register_step_pre_hook(self, hook: Callable) -> RemovableHandle:
        """hook(optimizer, args, kwargs) before each `step`; it may return new (args, kwargs)."""
        return _add_hook(self._optimizer_step_pre_hooks, hook)

    def register_step_post_hook(self, hook: Callable) -> RemovableHandle:
        """hook(optimizer, args, kwargs) after each `step`."""
        return _add_hook(self._optimizer_step_post_hooks, hook)

    def register_state_dict_pre_hook(
        self, hook: Callable, prepend: bool = False
    ) -> RemovableHandle:
        """hook(optimizer) before `state_dict` builds the dict."""
        return _add_hook(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(
        self, hook: Callable, prepend: bool = False
    ) -> RemovableHandle:
        """hook(optimizer, state_dict) after `state_dict`; it may return a new dict."""
        return _add_hook(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(
        self, hook: Callable, prepend: bool = False
    ) -> RemovableHandle:
        """hook(optimizer, state_dict) before loading (a shallow copy of the given dict); it
        may return the dict to load instead."""
        return _add_hook(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(
        self, hook: Callable, prepend: bool = False
    ) -> RemovableHandle:
        """hook(optimizer) after `load_state_dict`."""
        return _add_hook(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    @_hooked_step
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient, as PyTorch's `step`: the
        closure, if given, first re-evaluates the loss, and `step` returns what it returns.
        Each optimizer's rule is its `_update`; the loop over groups and parameters is here."""
        loss = _closure_loss(closure)
        state, update = self.state, self._update
        fp = quiet_fp()  # an inf or NaN step is a value, as in PyTorch: no NumPy warnings
        try:
            for group in self._groups():
                has_state = self._has_state(group)
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    st = None
                    if has_state:
                        st = state[p]
                        if not st:
                            self._init_state(p, group, st)
                    # (a test of the dtype's code, as cheap as the plain update's branch)
                    if p._data.dtype.char in "eFDG":  # float16 or complex
                        self._update_special(p, group, st)
                    else:
                        update(p, group, st)
                    p._vc.value += 1  # p._version += 1, without the cost of its property
        finally:
            loud_fp(fp)
        return loss

    def _has_state(self, group: dict[str, Any]) -> bool:
        """Whether the parameters of `group` keep state (all but plain SGD's do)."""
        return True

    def _init_state(self, p: Tensor, group: dict[str, Any], state: dict[str, Any]) -> None:
        """Fill `state`, p's empty state, before its first update."""

    def _update(self, p: Tensor, group: dict[str, Any], state: dict[str, Any] | None) -> None:
        """Update `p._data` in place from `p.grad` with the settings of `group` (numbers,
        as `_groups` gives them) and p's `state`."""
        raise NotImplementedError

    def _update_special(self, p: Tensor, group: dict[str, Any], state: Any) -> None:
        """`_update` of a complex parameter (on real views of it, unless the optimizer's
        rule is linear in the gradient) or of a float16 one (`_update_half`)."""
        if p._data.dtype.kind != "c":
            self._update_half(p, group, state)
        elif self._complex_as_real:
            _update_as_real(self._update, p, group, state)
        else:
            self._update(p, group, state)

    def _update_half(self, p: Tensor, group: dict[str, Any], state: Any) -> None:
        """`_update` of a float16 parameter. The updates work in float16, each op rounding
        its result; an optimizer that follows PyTorch's float32 arithmetic (SGD) overrides
        it."""
        self._update(p, group, state)

    def _groups(self) -> Iterator[dict[str, Any]]:
        """The param groups as `step` reads them: a hyper-parameter given as a one-element
        Tensor (PyTorch accepts `lr=torch.tensor(0.01)`), alone or in a tuple such as
        `betas`, is read as its number, each step, so that changing the tensor changes the
        rate."""
        for g in self.param_groups:
            if any(_holds_tensor(v) for k, v in g.items() if k != "params"):
                kinds = {_real_dtype(p.dtype) for p in g["params"]}
                g = {k: v if k == "params" else _number(self, k, v, kinds) for k, v in g.items()}
            yield g

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict[str, Any]:
        """{'state': {index: {name: Tensor}}, 'param_groups': [settings with 'params' as
        indices]}: PyTorch's layout, safe to save with `mg.save`. As in PyTorch the state
        entries are the live ones, not copies: save it (or deep-copy it) before stepping on."""
        for hook in list(self.__dict__.get("_optimizer_state_dict_pre_hooks", {}).values()):
            hook(self)
        index = {id(p): i for i, p in enumerate(self.params)}
        state = {index[id(p)] if isinstance(p, Tensor) else p: s for p, s in self.state.items()}
        groups = [
            {
                **{k: v for k, v in g.items() if k != "params"},
                "params": [index[id(p)] for p in g["params"]],
            }
            for g in self.param_groups
        ]
        state_dict = {"state": state, "param_groups": groups}
        for hook in list(self.__dict__.get("_optimizer_state_dict_post_hooks", {}).values()):
            result = hook(self, state_dict)
            if result is not None:
                state_dict = result
        return state_dict

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore settings and state, as PyTorch's: the saved param groups (deep copies,
        with this optimizer's parameters) replace the current ones, and `__setstate__`
        fills the defaults of settings an older state lacks. The state becomes Tensor
        copies on each parameter's device, in its dtype ('step' keeps its own), also inside
        a custom optimizer's lists and dicts. Arrays and plain numbers (minigrad's earlier
        format: NumPy buffers, an int step) load as Tensors too."""
        state_dict = state_dict.copy()  # the pre-hooks may edit it, as in PyTorch
        for hook in list(self.__dict__.get("_optimizer_load_state_dict_pre_hooks", {}).values()):
            result = hook(self, state_dict)
            if result is not None:
                state_dict = result
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError(
                f"{type(self).__name__}.load_state_dict: {len(groups)} parameter groups in "
                f"the state but {len(self.param_groups)} in the optimizer"
            )
        for i, (saved, own) in enumerate(zip(groups, self.param_groups, strict=True)):
            if len(saved["params"]) != len(own["params"]):
                raise ValueError(
                    f"{type(self).__name__}.load_state_dict: group {i} has "
                    f"{len(saved['params'])} parameters in the state but {len(own['params'])} "
                    "in the optimizer"
                )
            self._check_group_keys(i, saved)
        by_index = {}
        for saved, own in zip(groups, self.param_groups, strict=True):
            for j, p in zip(saved["params"], own["params"], strict=True):
                by_index[int(j)] = p
        new_state: defaultdict[Any, dict[str, Any]] = defaultdict(dict)
        for j, s in state_dict["state"].items():
            p = by_index.get(_state_index(j))
            if p is None:  # not a parameter's ('global' state, an unknown id): as it is
                new_state[j] = s
            else:
                new_state[p] = {k: self._load_entry(p, j, k, v) for k, v in s.items()}
        self.__setstate__({"state": new_state, "param_groups": _loaded_groups(groups, self)})
        for hook in list(self.__dict__.get("_optimizer_load_state_dict_post_hooks", {}).values()):
            hook(self)

    def _check_group_keys(self, i: int, saved: dict[str, Any]) -> None:
        """Refuse another optimizer's settings: a saved group that lacks some of this
        optimizer's settings and has settings this one does not know (Adam's state given to
        SGD ran as plain SGD here, and failed at step in PyTorch). Lacking settings alone is
        an older state, whose defaults `__setstate__` fills in, as PyTorch's."""
        missing = sorted(k for k in self.defaults if k not in saved)
        foreign = sorted(k for k in saved if k != "params" and k not in self.param_groups[i])
        if missing and foreign:
            name = type(self).__name__
            raise ValueError(
                f"{name}.load_state_dict: parameter group {i} of the state lacks "
                f"{', '.join(map(repr, missing))} and has {', '.join(map(repr, foreign))}, "
                f"which {name} does not use: is it another optimizer's state?"
            )

    def _load_entry(self, p: Tensor, j: Any, key: str, v: Any) -> Any:
        """One loaded state value, as PyTorch treats it: a Tensor moves to the parameter's
        device (and dtype, for a float parameter), a `step` Tensor keeps its dtype, other
        values stay as they are. For minigrad's own optimizers (whose `step` is minigrad's)
        also: numbers and arrays of older checkpoints become Tensors, and a value of
        another shape than the parameter's is refused now rather than at `step`. A
        program's own optimizer keeps its ints and its state of other shapes (factored
        moments), as in PyTorch."""
        own = type(self).step.__module__.startswith("minigrad.")
        if key == "step" and (
            isinstance(v, Tensor) or (own and isinstance(v, int | float | np.ndarray | np.generic))
        ):
            a = v._data if isinstance(v, Tensor) else np.asarray(v, dtype=_scalar_dtype())
            return Tensor._make(np.array(to_device(a, "cpu"), copy=True), False)
        if isinstance(v, Tensor):
            a = v._data
        elif own and hasattr(v, "dtype") and hasattr(v, "shape"):  # the earlier format
            a = v
        elif own and isinstance(v, int | float) and not isinstance(v, bool) and p.ndim == 0:
            a = np.asarray(v)  # a hand-written number for a 0-d parameter's buffer
        else:  # a program's own values: Tensors inside lists and dicts cast as PyTorch's
            return _cast_nested(p, key, v)
        a = to_device(a, p.device)
        if own and a.shape != p.shape and not (a.ndim == 0 and key in self._scalar_state):
            raise ValueError(
                f"{type(self).__name__}.load_state_dict: state '{key}' of parameter {j} has "
                f"shape {a.shape}, the parameter {p.shape}"
            )
        # a complex parameter's state keeps its dtypes, as PyTorch casts for floating-point
        # parameters only (NAdam's real mu_product, ASGD's eta and mu stay real)
        cast = p.dtype.kind == "f" or (own and p.dtype.kind != "c")
        dtype = p.dtype if cast else a.dtype
        return Tensor._make(a.astype(dtype, copy=True), False)

    def __getstate__(self) -> dict[str, Any]:
        """What a copy or pickle takes: everything but the `step` wrapper a scheduler puts
        on the instance (it calls the *original* optimizer's step, so a deep copy stepped
        through it changed the original's parameters); the copy steps with its class's
        `step`, and a scheduler copied with it warns, as PyTorch's, that `step` was
        replaced."""
        state = self.__dict__.copy()
        if getattr(state.get("step"), "_marks_calls", False):
            del state["step"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        """PyTorch's: take the attributes of a copy or unpickled optimizer (adding the hook
        registries an older one lacks), or the 'state' and 'param_groups' that
        `load_state_dict` gives. Subclasses call it first and then fill in the defaults of
        settings the groups lack (an older state's), as PyTorch's optimizers do."""
        self.__dict__.update(state)
        for name in _HOOK_REGISTRIES:
            if name not in self.__dict__:
                setattr(self, name, OrderedDict())
        self.defaults.setdefault("differentiable", False)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, g in enumerate(self.param_groups):
            if i:  # a blank line between groups, as PyTorch's
                lines.append("")
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(g.items()) if k != "params"]
        return "\n".join(lines) + "\n)"


def _holds_tensor(value: Any) -> bool:
    """A Tensor, or a tuple or list with one (Adam's `betas`, Rprop's `etas` and
    `step_sizes`; a list where a state dict or `add_param_group` gave one)."""
    return isinstance(value, Tensor) or (
        isinstance(value, tuple | list) and any(isinstance(v, Tensor) for v in value)
    )


def _real_dtype(dtype: Any) -> np.dtype:
    """A parameter's dtype as its updates compute in: a complex one's real part (PyTorch's
    optimizers step `view_as_real` of complex parameters)."""
    dtype = np.dtype(dtype)
    return np.dtype(dtype.char.lower()) if dtype.kind == "c" else dtype


def _number(opt: Optimizer, key: str, value: Any, kinds: set | None = None) -> Any:
    """A hyper-parameter as `step` reads it: a one-element Tensor as its number. A float
    Tensor no wider than the group's parameters' dtypes (`kinds`) becomes a number of its
    dtype that rounds as PyTorch's 0-d tensor arithmetic (`_tensor_number_type`); a wider
    one (a float64 Tensor beside float32 parameters) a Python float: PyTorch casts it to
    the parameters' dtype where it meets them, which a float64 NumPy scalar would not (it
    widens a float32 array's arithmetic to float64)."""
    if isinstance(value, tuple | list):
        return type(value)(_number(opt, key, v, kinds) for v in value)
    if not isinstance(value, Tensor):
        return value
    if value.numel() != 1 or value.dtype.kind not in "fiu":
        raise TypeError(
            f"{type(opt).__name__}: '{key}' must be a number or a one-element real tensor, "
            f"got a tensor of shape {value.shape} and dtype {value.dtype}"
        )
    number_type = _TENSOR_NUMBER_TYPES.get(np.dtype(value.dtype))
    wide = np.dtype(value.dtype).itemsize
    if number_type is not None and (kinds is None or all(wide <= k.itemsize for k in kinds)):
        # PyTorch's arithmetic with a Tensor hyper-parameter (lr / bias_correction1,
        # 1 - beta2**step, 1 - lr * weight_decay) stays in its dtype
        return number_type(value.item())
    if key == "lr" and value.dtype.kind == "f":  # lr / bias_correction1 in lr's dtype
        return np.dtype(value.dtype).type(value.item())
    return float(value.item())


def _plain(value: Any) -> Any:
    """A Tensor hyper-parameter's number as the plain NumPy scalar of its dtype; anything
    else as it is."""
    return value.dtype.type(float(value)) if isinstance(value, _TENSOR_NUMBERS) else value


def _tensor_number(value: Any) -> Any:
    """A NumPy float result as the Tensor-number type of its dtype."""
    number_type = _TENSOR_NUMBER_TYPES.get(getattr(value, "dtype", None))
    return value if number_type is None else number_type(value)


# PyTorch's pow kernel for a scalar exponent: these take multiplications or sqrt, the
# others std::pow (1 - beta2**3 cancels: a last bit of beta2**3 is 2e-5 of the result)
_POW_SPECIAL: dict[float, Callable[[Any], Any]] = {
    0.5: np.sqrt,
    2.0: lambda x: x * x,
    3.0: lambda x: x * x * x,
    -0.5: lambda x: 1 / np.sqrt(x),
    -1.0: lambda x: 1 / x,
    -2.0: lambda x: 1 / (x * x),
}


def _tensor_number_type(base: type) -> type:
    """The number a 0-d `base` (a NumPy float type) Tensor hyper-parameter is read as: a
    NumPy scalar of that dtype (arrays it scales see just that), whose Python arithmetic
    with numbers and with other such values rounds as PyTorch's 0-d tensor arithmetic
    does. A result stays in the dtype (1 - beta2**step in float32, as PyTorch's bias
    corrections), a number over it is `reciprocal() * number` (Tensor.__rtruediv__, as in
    `lr / bias_correction1`), and its `** 0.5` is a correctly rounded sqrt (PyTorch's pow
    kernel takes sqrt there, and products for 2 and 3, see _POW_SPECIAL). Only groups holding
    Tensors meet it: float hyper-parameters keep Python's arithmetic, as in PyTorch. (The
    methods live on the NumPy subclass itself: NumPy reads a scalar whose class has a
    Python base before its own as an object.)"""

    class TensorNumber(base):
        __slots__ = ()

        def __add__(self, other: Any) -> Any:
            return _tensor_number(_plain(self) + _plain(other))

        def __radd__(self, other: Any) -> Any:
            return _tensor_number(_plain(other) + _plain(self))

        def __sub__(self, other: Any) -> Any:
            return _tensor_number(_plain(self) - _plain(other))

        def __rsub__(self, other: Any) -> Any:
            return _tensor_number(_plain(other) - _plain(self))

        def __mul__(self, other: Any) -> Any:
            return _tensor_number(_plain(self) * _plain(other))

        def __rmul__(self, other: Any) -> Any:
            return _tensor_number(_plain(other) * _plain(self))

        def __truediv__(self, other: Any) -> Any:
            return _tensor_number(_plain(self) / _plain(other))

        def __rtruediv__(self, other: Any) -> Any:
            if isinstance(other, int | float) and not isinstance(other, np.generic):
                return _tensor_number((1 / _plain(self)) * other)
            return _tensor_number(_plain(other) / _plain(self))

        def __pow__(self, other: Any) -> Any:
            x = _plain(self)
            if isinstance(other, int | float) and other in _POW_SPECIAL:
                return _tensor_number(_POW_SPECIAL[other](x))
            return _tensor_number(x ** _plain(other))

        def __rpow__(self, other: Any) -> Any:
            return _tensor_number(_plain(other) ** _plain(self))

        def __neg__(self) -> Any:
            return _tensor_number(-_plain(self))

        # equal only to its own kind, so that a cache keyed by hyper-parameters
        # (_adam_scalars) tells a group's Tensor 0.5 from another's float 0.5
        def __eq__(self, other: Any) -> Any:
            return type(other) is type(self) and _plain(self) == _plain(other)

        def __ne__(self, other: Any) -> Any:
            return not self.__eq__(other)

        __hash__ = base.__hash__

    TensorNumber.__name__ = TensorNumber.__qualname__ = f"TensorNumber_{base.__name__}"
    return TensorNumber


_TENSOR_NUMBER_TYPES = {
    np.dtype(t): _tensor_number_type(t) for t in (np.float16, np.float32, np.float64)
}
_TENSOR_NUMBERS = tuple(_TENSOR_NUMBER_TYPES.values())


def _state_index(key: Any) -> int | None:
    """The parameter index a state_dict's state key names: an int, or the digits of one
    (a state that went through JSON); None for a key of other state (a custom optimizer's
    `self.state["global"]`), which PyTorch's `load_state_dict` keeps as it is."""
    if isinstance(key, int | np.integer) and not isinstance(key, bool):
        return int(key)
    if isinstance(key, str) and key.isdigit():
        return int(key)
    return None


def _loaded_groups(saved: list[dict[str, Any]], opt: Optimizer) -> list[dict[str, Any]]:
    """PyTorch's param groups after a load: deep copies of the saved groups (a list stays a
    list; a setting they lack is not taken from the current group), each holding the
    optimizer's parameters, and its parameter names where the saved group has none."""
    settings = copy.deepcopy([{k: v for k, v in g.items() if k != "params"} for g in saved])
    groups = []
    for g, own, kept in zip(saved, opt.param_groups, settings, strict=True):
        group = {k: own["params"] if k == "params" else kept[k] for k in g}
        if "param_names" in own and "param_names" not in group:
            group["param_names"] = own["param_names"]
        groups.append(group)
    return groups


def _cast_nested(p: Tensor, key: Any, value: Any) -> Any:
    """PyTorch's `_cast` of a loaded state value: a Tensor copied to p's device (and to
    p's dtype for a floating-point p, unless it is a 'step'), dicts and other containers
    rebuilt around their cast items (a list item has no key), anything else as it is."""
    if isinstance(value, Tensor):
        a = to_device(value._data, p.device)
        if key != "step" and p.dtype.kind == "f":
            a = a.astype(p.dtype, copy=False)
        return Tensor._make(get_array_module(a).array(a, copy=True), False)
    if isinstance(value, dict):
        return {k: _cast_nested(p, k, v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset) and not hasattr(value, "_fields"):
        return type(value)(_cast_nested(p, None, v) for v in value)
    return value


def _fill_group_defaults(opt: Optimizer, **defaults: Any) -> None:
    """What PyTorch's `__setstate__` of each optimizer adds: the settings a group lacks
    (a state saved before they existed), at their defaults."""
    for group in opt.param_groups:
        for k, v in defaults.items():
            group.setdefault(k, v)


def _check(name: str, cond: bool, what: str) -> None:
    if not cond:
        raise ValueError(f"{name}: invalid {what}")


# PyTorch's switches between implementations of the same update, with their defaults:
# `foreach` (any value) and the others at their defaults change nothing here; other values
# have no equivalent. Each optimizer accepts the ones its PyTorch namesake has, and keeps
# them in its groups as PyTorch does.
_TORCH_SWITCHES = {"foreach": None, "fused": None, "capturable": False, "differentiable": False}


def _check_switches(name: str, switches: dict[str, Any], allowed: Iterable[str]) -> dict[str, Any]:
    """The switches `allowed` (in that order) at their given or default values."""
    allowed = tuple(allowed)
    for k, v in switches.items():
        if k not in allowed:
            raise TypeError(f"{name}: unknown option '{k}'")
        if k != "foreach" and v not in (None, False):
            raise ValueError(
                f"{name}: {k}={v!r} is not supported (minigrad updates each parameter's array "
                "in place, outside the graph)"
            )
    return {k: switches.get(k, _TORCH_SWITCHES[k]) for k in allowed}


def _torch_order(defaults: dict[str, Any], order: str) -> dict[str, Any]:
    """`defaults` with its keys in PyTorch's order (space-separated in `order`): it shows
    in printed param_groups and in state_dict()."""
    keys = order.split()
    assert sorted(keys) == sorted(defaults), (keys, list(defaults))
    return {k: defaults[k] for k in keys}


def _closure_loss(closure: Callable[[], Any] | None) -> Any:
    """PyTorch's `step(closure)`: the closure re-evaluates the loss (and its gradients)
    with grad recording on, before the update; `step` returns what it returns."""
    if closure is None:
        return None
    with enable_grad():
        return closure()


def _scalar_dtype() -> Any:
    """PyTorch's dtype for 0-d state ('step'): float64 if that is the default, else float32."""
    return np.float64 if np.dtype(get_default_dtype()) == np.float64 else np.float32


def _scalar(value: float) -> Tensor:
    """A 0-d state Tensor on the CPU, as PyTorch keeps 'step'."""
    return Tensor._make(np.array(value, dtype=_scalar_dtype()), False)


def _zeros(x: Array) -> Tensor:
    """A state buffer shaped like the parameter's array `x`."""
    return Tensor._make(get_array_module(x).zeros_like(x), False)


def _as_real(a: Array) -> Array:
    """A complex array's (..., 2) real view, real and imaginary parts side by side
    (PyTorch's view_as_real; any strides)."""
    return a[..., None].view(a.real.dtype)


def _update_as_real(update: Callable, p: Tensor, group: dict[str, Any], st: Any) -> None:
    """`update` of a complex parameter on real views of it, of its gradient and of its
    complex state entries, as PyTorch's optimizers step complex parameters: each part is
    updated as a real parameter of its own (Adam's second moment of 1j is (0, 1), not -1).
    The views write through to the complex arrays; the state keeps its complex entries."""
    real = Tensor._make(_as_real(p._data), False)
    real._grad = Tensor._make(_as_real(p.grad._data), False)
    if st is None:  # an optimizer without state
        update(real, group, None)
        return
    views = {
        k: Tensor._make(_as_real(v._data), False)
        if isinstance(v, Tensor) and v._data.dtype.kind == "c"
        else v
        for k, v in st.items()
    }
    given = dict(views)
    update(real, group, views)
    for k, v in views.items():
        if k in given and v is given[k]:
            continue  # unchanged, or written in place through the view
        if isinstance(v, Tensor) and v._data.shape == real._data.shape:  # real pairs
            a = get_array_module(v._data).ascontiguousarray(v._data)
            v = Tensor._make(a.view(p._data.dtype)[..., 0], False)
        st[k] = v  # an entry the update added or replaced


def _advance(step: Tensor) -> float:
    """Add one to a 'step' state in place and return the new count. The sum is exact in
    float64 and rounds once on the store, as PyTorch's float32 `step += 1` does; a 0-d
    `+=` would cost more than the rest of a small parameter's update."""
    a = step._data
    a[()] = a.item() + 1.0
    return a.item()


def _check_lr(name: str, lr: Any) -> None:
    """PyTorch's check of `lr`: a Tensor lr must have one element (a ValueError, before
    the sign check would find its truth value ambiguous), and no rate is negative."""
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError(f"{name}: Tensor lr must be 1-element, got shape {lr.shape}")
    _check(name, lr >= 0, f"learning rate {lr}")


def _check_adam_like(name: str, lr: float, betas: Any, eps: float, weight_decay: float) -> None:
    _check_lr(name, lr)
    _check(name, eps >= 0, f"epsilon {eps}")
    _check(name, 0 <= betas[0] < 1 and 0 <= betas[1] < 1, f"betas {betas}")
    _check(name, weight_decay >= 0, f"weight_decay {weight_decay}")


def _lerp_scalars(start: Array, weight: float) -> tuple[bool, Any, Any]:
    """_lerp_'s choice for `weight` on arrays like `start`: (whether it takes the first
    formula, the weight, 1 - weight), as _lerp_ and the compiled Adam kernel use them.

    PyTorch rounds the weight to start's dtype, then computes 1 - w in it; a Python float
    scaling the array rounds the same way, and only near 0.5 can the rounding change the
    formula, so the rounded scalar is made only there."""
    w = weight if abs(weight) < 0.49 else start.dtype.type(weight)
    return bool(abs(w) < 0.5), w, 1 - w


def _lerp_(
    xp: ArrayModule, start: Array, end: Array, weight: float, tmp: Array | None = None
) -> None:
    """start.lerp_(end, weight) in place, with PyTorch's two formulas: start + w (end -
    start) below |w| = 0.5, end - (end - start) (1 - w) from there on, so that weight 1
    gives `end` exactly (Adam with beta1 = 0 keeps the gradient itself). `tmp`, an array
    shaped like `start`, holds end - start; without it one is made."""
    tmp = xp.subtract(end, start, out=tmp)
    small, w, one_minus_w = _lerp_scalars(start, weight)
    if small:
        tmp *= w
        start += tmp
    else:
        tmp *= one_minus_w
        xp.subtract(end, tmp, out=start)


def _sq_avg_(xp: ArrayModule, avg: Array, d: Array, decay: float, tmp: Array) -> None:
    """avg.mul_(decay).addcmul_(d, d, value=1 - decay) in place, in PyTorch's order:
    ((1 - decay) d) d, which stays finite for float32 |d| up to ~1e20 where d d would
    overflow, and is 0, not inf * 0 = NaN, at decay 1. `tmp` is a scratch array like d."""
    xp.multiply(d, 1 - decay, out=tmp)
    tmp *= d
    avg *= decay
    avg += tmp


try:  # NumPy 2's floating-point state, set directly (0.1 us; np.errstate's 0.7 us)
    from numpy._core._ufunc_config import _extobj_contextvar as _FP_STATE

    with np.errstate(all="ignore", invalid="raise"):
        _FP_INVALID_RAISES = _FP_STATE.get()
except (ImportError, AttributeError):  # another NumPy: the public, slower way
    _FP_STATE = None


def _sub_square(xp: ArrayModule, avg: Array, ga: Array, out: Array) -> None:
    """out = avg - ga * ga, as PyTorch's `avg.addcmul(ga, ga, value=-1)` (centered
    RMSprop). Its CPU kernel fuses the multiply-add: where ga * ga overflows but avg is
    inf already, it gives inf - (the exact square) = inf, where NumPy's rounded square
    gives inf - inf = NaN. Such elements are rare, so the subtraction's invalid flag finds
    them and only then are they fixed (no extra pass otherwise). float16 works in float32
    and rounds once, as PyTorch's does (the square is exact there)."""
    if out.dtype == np.float16:
        wide = ga.astype(np.float32)
        wide *= wide
        xp.subtract(avg, wide, out=wide)
        out[...] = wide
        return
    xp.multiply(ga, ga, out=out)
    if xp is not np:  # CuPy keeps no floating-point flags
        xp.subtract(avg, out, out=out)
        return
    token = _FP_STATE.set(_FP_INVALID_RAISES) if _FP_STATE is not None else None
    try:
        if token is None:
            with np.errstate(invalid="raise"):
                np.subtract(avg, out, out=out)
        else:
            np.subtract(avg, out, out=out)
    except FloatingPointError:
        np.multiply(ga, ga, out=out)
        with np.errstate(all="ignore"):
            np.subtract(avg, out, out=out)
        fused = np.isinf(avg) & np.isfinite(ga)  # inf - (finite) is inf, fused
        out[fused] = avg[fused]
    finally:
        if token is not None:
            _FP_STATE.reset(token)


def _compiled_adam(x: Array, g: Array, m: Array, v: Array, *numbers: Any) -> bool:
    """Whether one compiled pass (ops/cpu_kernels.adam_step) can do this Adam step: NumPy
    arrays of one compiled dtype and layout, and numbers for the hyper-parameters (Python's,
    or the NumPy scalar a Tensor one is read as), into arrays that take writes (the NumPy
    code raises NumPy's error for a read-only parameter or state)."""
    for a in numbers:  # (loops, not generators: asked once per parameter per step)
        if type(a) is not int and type(a) is not float and not isinstance(a, np.floating):
            return False
    share = np.may_share_memory
    return (
        cpu_kernels.handles(x, g, m, v)
        and x.flags.writeable
        and m.flags.writeable
        and v.flags.writeable
        # a gradient sharing p's memory (p.grad = p.detach()) must see AdamW's decay
        # first, as in the NumPy code; the loop reads it value by value
        and not (share(g, x) or share(g, m) or share(g, v))
        and cpu_kernels.same_layout(x, g, m, v)
    )


# the last step's scalars of the compiled Adam pass: (key, (array, small)); every
# parameter of a group, and both optimizers of a GAN, share them within a step
_last_adam_scalars: tuple[Any, Any] = (None, None)


def _adam_scalars(
    x: Array, lr: float, b1: float, b2: float, eps: float, decoupled_wd: float, t: float
) -> tuple[Array, bool]:
    """cpu_kernels.adam_scalars for a step of count t on arrays like x (AdamW's decay from
    `decoupled_wd`), made once for all the parameters that share them."""
    global _last_adam_scalars
    key = (x.dtype, lr, b1, b2, eps, decoupled_wd, t)
    last_key, value = _last_adam_scalars  # (one read: another thread may replace it)
    if last_key == key:
        return value
    decay = 1 - lr * decoupled_wd if decoupled_wd else 1.0
    bc2, step = (1 - b2**t) ** 0.5, lr / (1 - b1**t)
    w = _lerp_scalars(x, 1 - b1)
    value = cpu_kernels.adam_scalars(x.dtype, decay, w, b2, bc2, eps, step)
    _last_adam_scalars = (key, value)
    return value


def _adam_moments(xp: ArrayModule, d: Array, m: Array, v: Array, b1: float, b2: float) -> Array:
    """The Adam family's moments, in place: m.lerp_(d, 1 - b1) and
    v.mul_(b2).addcmul_(d, d, value=1 - b2). Returns the one temporary they used, an
    array shaped like d (also for 0-d parameters), for the caller's update to reuse."""
    tmp = xp.empty_like(m)
    _lerp_(xp, m, d, 1 - b1, tmp)
    _sq_avg_(xp, v, d, b2, tmp)
    return tmp


def _adam_betas(name: str, betas: Any) -> tuple[Any, ...]:
    """Adam's and AdamW's betas by PyTorch's rules: both floats or both one-element Tensors
    (which step reads as their numbers, so changing one changes the rate); a Tensor is kept
    0-d, as PyTorch's `_to_scalar` squeezes it."""
    pair = betas[0], betas[1]
    if not (all(isinstance(b, float) for b in pair) or all(isinstance(b, Tensor) for b in pair)):
        raise ValueError(
            f"{name}: betas must be either both floats or both Tensors, got "
            f"({type(pair[0]).__name__}, {type(pair[1]).__name__})"
        )
    for i, b in enumerate(pair):
        if isinstance(b, Tensor) and b.numel() != 1:
            raise ValueError(f"{name}: Tensor betas[{i}] must be 1-element, got shape {b.shape}")
    return tuple(b.squeeze() if isinstance(b, Tensor) and b.ndim else b for b in betas)


def _grad(p: Tensor, xp: ArrayModule, maximize: bool, weight_decay: float) -> Array:
    """The gradient an update uses: -grad when maximizing, plus weight_decay * p (L2).
    `p.grad` itself (maybe a read-only view or a NumPy scalar) when neither applies, else a
    fresh array shaped like `p`, so that 0-d parameters get an array too."""
    x, d = p._data, p.grad._data
    if not (maximize or weight_decay):
        return d
    out = xp.empty_like(x)
    if weight_decay:
        xp.multiply(x, weight_decay, out=out)
        if maximize:
            xp.subtract(out, d, out=out)
        else:
            out += d
    else:
        xp.negative(d, out=out)
    return out


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, dampening, Nesterov and L2
    weight decay (PyTorch's rule: the first step seeds the buffer with the gradient)."""

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        **switches: Any,
    ) -> None:
        switches = _check_switches("SGD", switches, ("foreach", "differentiable", "fused"))
        _check_lr("SGD", lr)
        _check("SGD", momentum >= 0, f"momentum {momentum}")
        _check("SGD", weight_decay >= 0, f"weight_decay {weight_decay}")
        _check(
            "SGD",
            not nesterov or (momentum > 0 and dampening == 0),
            "nesterov: it needs momentum > 0 and dampening = 0",
        )
        super().__init__(
            params,
            dict(
                lr=lr,
                momentum=momentum,
                dampening=dampening,
                weight_decay=weight_decay,
                nesterov=nesterov,
                maximize=maximize,
                **switches,
            ),
        )

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        _fill_group_defaults(
            self, nesterov=False, maximize=False, foreach=None, differentiable=False, fused=False
        )

    def _has_state(self, group: dict[str, Any]) -> bool:
        return bool(group["momentum"])  # plain SGD keeps no state, as in PyTorch

    def _update(self, p: Tensor, group: dict[str, Any], state: dict[str, Any] | None) -> None:
        x = p._data
        wd, maximize, mom = group["weight_decay"], group["maximize"], group["momentum"]
        # the array module only when needed: plain SGD is the cheapest update
        d = _grad(p, get_array_module(x), maximize, wd) if wd or maximize else p.grad._data
        if mom:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = get_array_module(x).empty_like(x)
                buf[...] = d
                if self._keeps_new_buffer(p, group):
                    state["momentum_buffer"] = Tensor._make(buf, False)
            else:
                buf = buf._data
                buf *= mom
                damp = group["dampening"]
                buf += d if damp == 0 else (1 - damp) * d
            d = d + mom * buf if group["nesterov"] else buf
        x -= group["lr"] * d

    def _keeps_new_buffer(self, p: Tensor, group: dict[str, Any]) -> bool:
        """Whether the momentum buffer p's update just started becomes p's state. Yes,
        unless p is listed n > 1 times in its group (a misuse add_param_group warns of):
        PyTorch reads every listing's buffer before the updates, so on the first step each
        listing starts a buffer of its own and the last one is kept; here the first n - 1
        are dropped, so that the next listing starts one too. Runs once per listing where
        a buffer is started (a first step, or after the state was cleared)."""
        if not self.__dict__.get("_duplicates"):
            return True
        listings = sum(q is p for q in group["params"])
        started = self.__dict__.setdefault("_buffers_started", {})
        count = started.pop(id(p), 0) + 1
        if count < listings:
            started[id(p)] = count
            return False
        return True

    def _update_special(self, p: Tensor, group: dict[str, Any], state: Any) -> None:
        """The base's; for a complex parameter about to start its momentum buffer, whether
        the buffer is kept is asked here, as the update on real views of p cannot find p
        among the group's parameters."""
        if p._data.dtype.kind != "c" or state is None or "momentum_buffer" in state:
            super()._update_special(p, group, state)
            return
        keep = self._keeps_new_buffer(p, group)
        super()._update_special(p, group, state)
        if not keep:
            del state["momentum_buffer"]

    def _update_half(self, p: Tensor, group: dict[str, Any], state: dict[str, Any] | None) -> None:
        """float16, as PyTorch's CPU kernels step it: each `add(t, alpha=a)` works in
        float32 with `a` rounded to float16 and rounds its result once, `mul_` by the
        momentum likewise (a float32 factor), so that the parameter and the buffer round
        once per op, not once per multiply and add."""
        x, d = p._data, p.grad._data
        xp = get_array_module(x)
        wd, mom = group["weight_decay"], group["momentum"]
        if group["maximize"]:
            d = xp.negative(d)
        if wd:
            d = _axpy16(d, wd, x).astype(np.float16)
        if mom:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = xp.empty_like(x)
                buf[...] = d
                if self._keeps_new_buffer(p, group):
                    state["momentum_buffer"] = Tensor._make(buf, False)
            else:
                buf = buf._data
                wide = buf.astype(np.float32)
                wide *= np.float32(mom)
                buf[...] = wide
                buf[...] = _axpy16(buf, 1 - group["dampening"], d)
            d = _axpy16(d, mom, buf).astype(np.float16) if group["nesterov"] else buf
        x[...] = _axpy16(x, -group["lr"], d)


def _axpy16(y: Array, a: float, x: Array) -> Array:
    """y + a x for float16 arrays as PyTorch's `y.add(x, alpha=a)` computes it: `a`
    rounded to float16, the rest in float32 (exact products), returned as float32 for the
    caller to round once."""
    out = x.astype(np.float32)
    out *= np.float32(np.float16(a))
    out += y
    return out


def _half(a: Array) -> Array:
    """A float32 result rounded to float16 (one rounding, as PyTorch's float16 kernels)."""
    return a.astype(np.float16)


def _half_grad(p: Tensor, maximize: bool, weight_decay: float) -> Array:
    """`_grad` of a float16 parameter, as PyTorch's: -grad, then `grad.add(param,
    alpha=weight_decay)` in float32 (alpha rounded to float16), rounded once."""
    d = p.grad._data
    if maximize:
        d = -d
    if weight_decay:
        d = _half(_axpy16(d, weight_decay, p._data))
    return d


def _half_scale_(x: Array, factor: float) -> None:
    """x.mul_(factor) for a float16 array: the product in float32, rounded once."""
    wide = x.astype(np.float32)
    wide *= np.float32(factor)
    x[...] = wide


def _half_lerp_(start: Array, end: Array, weight: float) -> None:
    """start.lerp_(end, weight) for float16 arrays, as PyTorch's kernel: `_lerp_`'s two
    formulas with a float32 weight, fused multiply-adds rounded to float32, then to float16.
    float64 holds end - start and its product with the weight exactly, so the sum rounds
    as the fused one does (a float32 product rounded first gave -3.7e-06 for -3.76e-06)."""
    a, b = start.astype(np.float64), end.astype(np.float64)
    w = np.float32(weight)
    diff = b - a
    if abs(w) < 0.5:
        diff *= np.float64(w)
        diff += a
    else:
        diff *= np.float64(np.float32(1) - w)
        diff = b - diff
    start[...] = diff.astype(np.float32)


def _half_addcmul_(x: Array, t1: Array, t2: Array, value: float) -> None:
    """x.addcmul_(t1, t2, value=value) for float16 arrays, as PyTorch's kernel: value t1
    in float32, then a fused multiply-add with t2 and x rounded to float32, then to float16
    (float64 holds that product exactly)."""
    wide = t1.astype(np.float32)
    wide *= np.float32(value)
    wide = wide.astype(np.float64)
    wide *= t2
    wide += x
    x[...] = wide.astype(np.float32)


def _half_addcdiv(x: Array, t1: Array, t2: Array, value: float) -> Array:
    """x + (value t1) / t2 for float16 arrays (PyTorch's addcdiv), in float32 and rounded
    once; a new array."""
    wide = t1.astype(np.float32)
    wide *= np.float32(value)
    wide /= t2
    wide += x
    return _half(wide)


def _half_sq_avg_(avg: Array, d: Array, decay: float) -> None:
    """avg.mul_(decay).addcmul_(d, d, value=1 - decay) for float16 arrays: two PyTorch ops,
    each in float32 and rounded once."""
    _half_scale_(avg, decay)
    _half_addcmul_(avg, d, d, 1 - decay)


def _half_adam_moments_(
    p: Tensor, group: dict[str, Any], state: dict[str, Any]
) -> tuple[Array, int, Array, Array, Array]:
    """The opening of the Adam family's float16 step (Adam, NAdam, RAdam), as PyTorch's:
    the step counted, decoupled weight decay (`1 - lr * weight_decay`) applied to p, the
    gradient with L2 decay otherwise, and `exp_avg.lerp_` / `exp_avg_sq`'s update, each op
    rounded once. Returns (p's array, step, exp_avg, exp_avg_sq, the gradient used)."""
    lr, (b1, b2) = group["lr"], group["betas"]
    wd, decoupled = group["weight_decay"], group["decoupled_weight_decay"]
    x = p._data
    t = _advance(state["step"])
    if wd and decoupled:
        _half_scale_(x, 1 - lr * wd)
    d = _half_grad(p, group["maximize"], 0.0 if decoupled else wd)
    m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
    _half_lerp_(m, d, 1 - b1)
    _half_sq_avg_(v, d, b2)
    return x, t, m, v, d


def _half_scalar_op(a: Array, op: Callable[[Array, Any], Array], number: float) -> Array:
    """A float16 array with a number (`sqrt(v) / bc`, `+ eps`): in float32 with the number
    as a float32, rounded once, as PyTorch's kernels for a Python scalar."""
    return _half(op(a.astype(np.float32), np.float32(number)))


class Adam(Optimizer):
    """Adam (Kingma and Ba, 2015) with PyTorch's bias correction. `weight_decay` adds
    weight_decay * p to the gradient (L2), or with `decoupled_weight_decay` shrinks p by
    lr * weight_decay before the update (AdamW); `amsgrad` keeps the running maximum of the
    second moment."""

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
        **switches: Any,
    ) -> None:
        name = type(self).__name__
        switches = _check_switches(
            name, switches, ("foreach", "capturable", "differentiable", "fused")
        )
        _check_adam_like(name, lr, betas, eps, weight_decay)
        super().__init__(
            params,
            dict(
                lr=lr,
                betas=_adam_betas(name, betas),
                eps=eps,
                weight_decay=weight_decay,
                amsgrad=amsgrad,
                maximize=maximize,
                **switches,
                decoupled_weight_decay=decoupled_weight_decay,
            ),
        )

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        _fill_group_defaults(
            self,
            amsgrad=False,
            maximize=False,
            foreach=None,
            capturable=False,
            differentiable=False,
            decoupled_weight_decay=False,
            fused=None,
        )

    def _init_state(self, p: Tensor, group: dict[str, Any], state: dict[str, Any]) -> None:
        state["step"] = _scalar(0.0)
        state["exp_avg"] = _zeros(p._data)
        state["exp_avg_sq"] = _zeros(p._data)
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = _zeros(p._data)

    def _update(self, p: Tensor, group: dict[str, Any], state: dict[str, Any]) -> None:
        lr, (b1, b2), eps = group["lr"], group["betas"], group["eps"]
        wd, decoupled = group["weight_decay"], group["decoupled_weight_decay"]
        x = p._data
        xp = get_array_module(x)
        t = _advance(state["step"])
        m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
        if not group["amsgrad"] and _compiled_adam(x, p.grad._data, m, v, lr, b1, b2, eps, wd):
            d = _grad(p, xp, group["maximize"], 0.0 if decoupled else wd)
            scalars, small = _adam_scalars(x, lr, b1, b2, eps, wd if decoupled else 0.0, t)
            cpu_kernels.adam_step(x, d, m, v, scalars, small)
            return
        if wd and decoupled:
            x *= 1 - lr * wd
        d = _grad(p, xp, group["maximize"], 0.0 if decoupled else wd)
        tmp = _adam_moments(xp, d, m, v, b1, b2)  # the step's one temporary, reused below
        if group["amsgrad"]:
            vmax = state["max_exp_avg_sq"]._data
            v = xp.maximum(vmax, v, out=vmax)
        xp.sqrt(v, out=tmp)
        tmp /= (1 - b2**t) ** 0.5  # PyTorch's spelling; sqrt may round differently
        tmp += eps
        xp.divide(m, tmp, out=tmp)
        tmp *= lr / (1 - b1**t)
        x -= tmp

    def _update_half(self, p: Tensor, group: dict[str, Any], state: dict[str, Any]) -> None:
        """float16, as PyTorch's CPU kernels step it: each op (lerp_, mul_, addcmul_, sqrt,
        the division by the bias correction, add_ of eps, addcdiv_) works in float32 and
        rounds its result to float16 once; NumPy's float16 ops rounded each multiply and
        add (moments hundreds of ulps off after a few steps)."""
        lr, (b1, b2), eps = group["lr"], group["betas"], group["eps"]
        x, t, m, v, _ = _half_adam_moments_(p, group, state)
        if group["amsgrad"]:
            vmax = state["max_exp_avg_sq"]._data
            v = get_array_module(x).maximum(vmax, v, out=vmax)
        denom = _half_scalar_op(
            _half(v.astype(np.float32) ** 0.5), operator.truediv, (1 - b2**t) ** 0.5
        )
        denom = _half_scalar_op(denom, operator.add, eps)
        x[...] = _half_addcdiv(x, m, denom, -(lr / (1 - b1**t)))


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov and Hutter, 2019): each step first
    shrinks p by lr * weight_decay; PyTorch's defaults, weight_decay=1e-2."""

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        **switches: Any,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            maximize=maximize,
            decoupled_weight_decay=True,
            **switches,
        )

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:  # PyTorch's: AdamW decouples, whatever was saved
            group["decoupled_weight_decay"] = True


class RMSprop(Optimizer):
    """RMSprop with PyTorch's options: momentum buffer, `centered` (divide by the
    estimated standard deviation instead of the RMS) and L2 weight decay."""

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
        **switches: Any,
    ) -> None:
        # PyTorch's positional order: centered, capturable, foreach, maximize, differentiable
        given = dict(capturable=capturable, foreach=foreach, differentiable=differentiable)
        switches = _check_switches(
            "RMSprop", {**given, **switches}, ("capturable", "foreach", "differentiable")
        )
        _check_lr("RMSprop", lr)
        _check("RMSprop", eps >= 0, f"epsilon {eps}")
        _check("RMSprop", alpha >= 0, f"alpha {alpha}")
        _check("RMSprop", momentum >= 0, f"momentum {momentum}")
        _check("RMSprop", weight_decay >= 0, f"weight_decay {weight_decay}")
        defaults = dict(
            lr=lr,
            alpha=alpha,
            eps=eps,
            weight_decay=weight_decay,
            momentum=momentum,
            centered=centered,
            maximize=maximize,
            **switches,
        )
        order = (
            "lr momentum alpha eps centered weight_decay capturable foreach maximize differentiable"
        )
        super().__init__(params, _torch_order(defaults, order))

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        _fill_group_defaults(
            self,
            momentum=0,
            centered=False,
            foreach=None,
            maximize=False,
            differentiable=False,
            capturable=False,
        )

    def _init_state(self, p: Tensor, group: dict[str, Any], state: dict[str, Any]) -> None:
        state["step"] = _scalar(0.0)
        state["square_avg"] = _zeros(p._data)
        if group["momentum"] > 0:
            state["momentum_buffer"] = _zeros(p._data)
        if group["centered"]:
            state["grad_avg"] = _zeros(p._data)

    def _update(self, p: Tensor, group: dict[str, Any], state: dict[str, Any]) -> None:
        lr, alpha, eps, mom = group["lr"], group["alpha"], group["eps"], group["momentum"]
        x = p._data
        xp = get_array_module(x)
        _advance(state["step"])
        d = _grad(p, xp, group["maximize"], group["weight_decay"])
        sq = state["square_avg"]._data
        # the step's one temporary (an array, also for 0-d parameters), reused below
        tmp = xp.empty_like(x)
        _sq_avg_(xp, sq, d, alpha, tmp)
        if group["centered"]:
            ga = state["grad_avg"]._data
            _lerp_(xp, ga, d, 1 - alpha, tmp)
            _sub_square(xp, sq, ga, tmp)
            xp.sqrt(tmp, out=tmp)
        else:
            xp.sqrt(sq, out=tmp)
        tmp += eps
        xp.divide(d, tmp, out=tmp)
        if mom > 0:
            buf = state["momentum_buffer"]._data
            buf *= mom
            buf += tmp
            xp.multiply(buf, lr, out=tmp)
        else:
            tmp *= lr
        x -= tmp

    def _update_half(self, p: Tensor, group: dict[str, Any], state: dict[str, Any]) -> None:
        """float16, as PyTorch's CPU kernels step it: each op in float32, rounded to float16
        once (Adam's `_update_half`)."""
        lr, alpha, eps, mom = group["lr"], group["alpha"], group["eps"], group["momentum"]
        x = p._data
        _advance(state["step"])
        d = _half_grad(p, group["maximize"], group["weight_decay"])
        sq = state["square_avg"]._data
        _half_sq_avg_(sq, d, alpha)
        if group["centered"]:
            ga = state["grad_avg"]._data
            _half_lerp_(ga, d, 1 - alpha)
            avg = sq.copy()
            _half_addcmul_(avg, ga, ga, -1)
        else:
            avg = sq
        avg = _half_scalar_op(_half(avg.astype(np.float32) ** 0.5), operator.add, eps)
        if mom > 0:
            buf = state["momentum_buffer"]._data
            _half_scale_(buf, mom)
            buf[...] = _half_addcdiv(buf, d, avg, 1)
            x[...] = _axpy16(x, -lr, buf)
        else:
            x[...] = _half_addcdiv(x, d, avg, -lr)


class Adadelta(Optimizer):
    """Adadelta (Zeiler, 2012): steps scaled by the RMS of past updates over the RMS of
    past gradients, both running averages with factor `rho`; PyTorch's defaults."""

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        **switches: Any,
    ) -> None:
        switches = _check_switches(
            "Adadelta",
            {"foreach": foreach, **switches},
            ("capturable", "foreach", "differentiable"),
        )
        _check_lr("Adadelta", lr)
        _check("Adadelta", 0 <= rho <= 1, f"rho {rho}")
        _check("Adadelta", eps >= 0, f"epsilon {eps}")
        _check("Adadelta", weight_decay >= 0, f"weight_decay {weight_decay}")
        super().__init__(
            params,
            dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize, **switches),
        )

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        _fill_group_defaults(
            self, foreach=None, maximize=False, differentiable=False, capturable=False
        )

    def _init_state(self, p: Tensor, group: dict[str, Any], state: dict[str, Any]) -> None:
        state["step"] = _scalar(0.0)
        state["square_avg"] = _zeros(p._data)
        state["acc_delta"] = _zeros(p._data)

    def _update(self, p: Tensor, group: dict[str, Any], state: dict[str, Any]) -> None:
        lr, rho, eps = group["lr"], group["rho"], group["eps"]
        x = p._data
        xp = get_array_module(x)
        _advance(state["step"])
        d = _grad(p, xp, group["maximize"], group["weight_decay"])
        sq, acc = state["square_avg"]._data, state["acc_delta"]._data
        tmp = xp.empty_like(x)
        _sq_avg_(xp, sq, d, rho, tmp)
        std = xp.add(sq, eps, out=tmp)
        xp.sqrt(std, out=std)
        # the update needs a second array: sqrt(acc + eps) / std * d
        delta = xp.add(acc, eps, out=xp.empty_like(x))
        xp.sqrt(delta, out=delta)
        delta /= std
        delta *= d
        _sq_avg_(xp, acc, delta, rho, tmp)
        delta *= lr
        x -= delta

    def _update_half(self, p: Tensor, group: dict[str, Any], state: dict[str, Any]) -> None:
        """float16, as PyTorch's CPU kernels step it: each op in float32, rounded to float16
        once (Adam's `_update_half`)."""
        lr, rho, eps = group["lr"], group["rho"], group["eps"]
        x = p._data
        _advance(state["step"])
        d = _half_grad(p, group["maximize"], group["weight_decay"])
        sq, acc = state["square_avg"]._data, state["acc_delta"]._data
        _half_sq_avg_(sq, d, rho)
        std = _half(_half_scalar_op(sq, operator.add, eps).astype(np.float32) ** 0.5)
        delta = _half(_half_scalar_op(acc, operator.add, eps).astype(np.float32) ** 0.5)
        delta = _half(delta.astype(np.float32) / std)
        delta = _half(delta.astype(np.float32) * d)
        _half_sq_avg_(acc, delta, rho)
        x[...] = _axpy16(x, -lr, delta)


class Adagrad(Optimizer):
    """Adagrad (Duchi et al., 2011): steps scaled by the root of the sum of all past squared
    gradients; `lr_decay` divides the rate by 1 + (t - 1) * lr_decay. As in PyTorch the
    state of every parameter is made at construction, the sum filled with
    `initial_accumulator_value`."""

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        **switches: Any,
    ) -> None:
        switches = _check_switches(
            "Adagrad", {"foreach": foreach, **switches}, ("foreach", "differentiable", "fused")
        )
        _check_lr("Adagrad", lr)
        _check("Adagrad", lr_decay >= 0, f"lr_decay {lr_decay}")
        _check("Adagrad", weight_decay >= 0, f"weight_decay {weight_decay}")
        _check(
            "Adagrad",
            initial_accumulator_value >= 0,
            f"initial_accumulator_value {initial_accumulator_value}",
        )
        _check("Adagrad", eps >= 0, f"epsilon {eps}")
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            eps=eps,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            maximize=maximize,
            **switches,
        )
        order = (
            "lr lr_decay eps weight_decay initial_accumulator_value foreach maximize "
            "differentiable fused"
        )
        super().__init__(params, _torch_order(defaults, order))
        for g in self.param_groups:
            for p in g["params"]:
                self._init_state(p, g, self.state[p])

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        _fill_group_defaults(self, foreach=None, maximize=False, differentiable=False, fused=None)

    def _init_state(self, p: Tensor, group: dict[str, Any], state: dict[str, Any]) -> None:
        # also for a group added later: PyTorch reads the optimizer's default, not the group's
        value = self.defaults["initial_accumulator_value"]
        if p._data.dtype.kind == "c":  # both parts of a complex one start there (PyTorch's)
            value = complex(value, value)
        state["step"] = _scalar(0.0)
        state["sum"] = Tensor._make(get_array_module(p._data).full_like(p._data, value), False)

    def _update(self, p: Tensor, group: dict[str, Any], state: dict[str, Any]) -> None:
        lr, lr_decay, eps = group["lr"], group["lr_decay"], group["eps"]
        x = p._data
        xp = get_array_module(x)
        t = _advance(state["step"])
        d = _grad(p, xp, group["maximize"], group["weight_decay"])
        clr = lr / (1 + (t - 1) * lr_decay)
        s = state["sum"]._data
        tmp = xp.multiply(d, d, out=xp.empty_like(x))
        s += tmp
        xp.sqrt(s, out=tmp)
        tmp += eps
        xp.divide(d, tmp, out=tmp)
        tmp *= clr
        x -= tmp

    def _update_half(self, p: Tensor, group: dict[str, Any], state: dict[str, Any]) -> None:
        """float16, as PyTorch's CPU kernels step it: each op in float32, rounded to float16
        once (Adam's `_update_half`)."""
        lr, lr_decay, eps = group["lr"], group["lr_decay"], group["eps"]
        x = p._data
        t = _advance(state["step"])
        d = _half_grad(p, group["maximize"], group["weight_decay"])
        s = state["sum"]._data
        _half_addcmul_(s, d, d, 1)
        std = _half_scalar_op(_half(s.astype(np.float32) ** 0.5), operator.add, eps)
        x[...] = _half_addcdiv(x, d, std, -(lr / (1 + (t - 1) * lr_decay)))


class Adamax(Optimizer):
    """Adamax (Kingma and Ba, 2015, section 7): Adam with the infinity norm, u =
    max(beta2 * u, |g| + eps) in place of the second moment; PyTorch's defaults (lr 2e-3)."""

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        **switches: Any,
    ) -> None:
        switches = _check_switches(
            "Adamax", {"foreach": foreach, **switches}, ("foreach", "differentiable", "capturable")
        )
        _check_adam_like("Adamax", lr, betas, eps, weight_decay)
        defaults = dict(
            lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, maximize=maximize
        )
        order = "lr betas eps weight_decay foreach maximize differentiable capturable"
        super().__init__(params, _torch_order({**defaults, **switches}, order))

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        _fill_group_defaults(
            self, foreach=None, maximize=False, differentiable=False, capturable=False
        )

    def _init_state(self, p: Tensor, group: dict[str, Any], state: dict[str, Any]) -> None:
        state["step"] = _scalar(0.0)
        state["exp_avg"] = _zeros(p._data)
        state["exp_inf"] = _zeros(p._data)

    def _update(self, p: Tensor, group: dict[str, Any], state: dict[str, Any]) -> None:
        lr, (b1, b2), eps = group["lr"], group["betas"], group["eps"]
        x = p._data
        xp = get_array_module(x)
        t = _advance(state["step"])
        d = _grad(p, xp, group["maximize"], group["weight_decay"])
        m, u = state["exp_avg"]._data, state["exp_inf"]._data
        tmp = xp.empty_like(x)
        _lerp_(xp, m, d, 1 - b1, tmp)
        xp.abs(d, out=tmp)
        tmp += eps
        u *= b2
        xp.maximum(u, tmp, out=u)
        xp.divide(m, u, out=tmp)
        tmp *= lr / (1 - b1**t)
        x -= tmp

    def _update_half(self, p: Tensor, group: dict[str, Any], state: dict[str, Any]) -> None:
        """float16, as PyTorch's CPU kernels step it: each op in float32, rounded to float16
        once (Adam's `_update_half`)."""
        lr, (b1, b2), eps = group["lr"], group["betas"], group["eps"]
        x = p._data
        t = _advance(state["step"])
        d = _half_grad(p, group["maximize"], group["weight_decay"])
        m, u = state["exp_avg"]._data, state["exp_inf"]._data
        _half_lerp_(m, d, 1 - b1)
        _half_scale_(u, b2)
        get_array_module(x).maximum(u, _half_scalar_op(abs(d), operator.add, eps), out=u)
        x[...] = _half_addcdiv(x, m, u, -(lr / (1 - b1**t)))


class NAdam(Optimizer):
    """NAdam (Dozat, 2016): Adam with Nesterov momentum, whose momentum coefficient
    mu_t = beta1 * (1 - 0.5 * 0.96^(t * momentum_decay)) warms up; the state keeps their
    running product. `decoupled_weight_decay` shrinks p by lr * weight_decay instead of
    adding weight_decay * p to the gradient."""

    _scalar_state = ("step", "mu_product")

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        maximize: bool = False,
        **switches: Any,
    ) -> None:
        switches = _check_switches("NAdam", switches, ("foreach", "capturable", "differentiable"))
        _check_adam_like("NAdam", lr, betas, eps, weight_decay)
        _check("NAdam", momentum_decay >= 0, f"momentum_decay {momentum_decay}")
        super().__init__(
            params,
            dict(
                lr=lr,
                betas=tuple(betas),
                eps=eps,
                weight_decay=weight_decay,
                momentum_decay=momentum_decay,
                decoupled_weight_decay=decoupled_weight_decay,
                maximize=maximize,
                **switches,
            ),
        )

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        _fill_group_defaults(
            self,
            maximize=False,
            foreach=None,
            capturable=False,
            differentiable=False,
            decoupled_weight_decay=False,
        )

    def _init_state(self, p: Tensor, group: dict[str, Any], state: dict[str, Any]) -> None:
        state["step"] = _scalar(0.0)
        state["mu_product"] = _scalar(1.0)
        state["exp_avg"] = _zeros(p._data)
        state["exp_avg_sq"] = _zeros(p._data)

    def _update(self, p: Tensor, group: dict[str, Any], state: dict[str, Any]) -> None:
        lr, (b1, b2), eps = group["lr"], group["betas"], group["eps"]
        wd, decoupled = group["weight_decay"], group["decoupled_weight_decay"]
        decay = group["momentum_decay"]
        x = p._data
        xp = get_array_module(x)
        t = _advance(state["step"])
        if wd and decoupled:
            x *= 1 - lr * wd
        d = _grad(p, xp, group["maximize"], 0.0 if decoupled else wd)
        mu = b1 * (1.0 - 0.5 * 0.96 ** (t * decay))
        mu_next = b1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * decay))
        mp = state["mu_product"]._data
        mp *= mu  # in the state's own dtype, as PyTorch's 0-d tensor
        mu_product = float(mp)
        m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
        tmp = _adam_moments(xp, d, m, v, b1, b2)
        # the update needs a second array: two addcdivs over the same denominator
        denom = xp.divide(v, 1 - b2**t, out=tmp)
        xp.sqrt(denom, out=denom)
        denom += eps
        q = xp.divide(d, denom, out=xp.empty_like(x))
        q *= -lr * (1.0 - mu) / (1.0 - mu_product)
        x += q
        xp.divide(m, denom, out=q)
        q *= (-lr * mu_next) / (1.0 - mu_product * mu_next)
        x += q

    def _update_half(self, p: Tensor, group: dict[str, Any], state: dict[str, Any]) -> None:
        """float16, as PyTorch's CPU kernels step it: each op in float32, rounded to float16
        once (Adam's `_update_half`)."""
        lr, (b1, b2), eps = group["lr"], group["betas"], group["eps"]
        decay = group["momentum_decay"]
        x, t, m, v, d = _half_adam_moments_(p, group, state)
        mu = b1 * (1.0 - 0.5 * 0.96 ** (t * decay))
        mu_next = b1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * decay))
        mp = state["mu_product"]._data
        mp *= mu
        mu_product = float(mp)
        denom = _half(_half_scalar_op(v, operator.truediv, 1 - b2**t).astype(np.float32) ** 0.5)
        denom = _half_scalar_op(denom, operator.add, eps)
        x[...] = _half_addcdiv(x, d, denom, -lr * (1.0 - mu) / (1.0 - mu_product))
        x[...] = _half_addcdiv(x, m, denom, (-lr * mu_next) / (1.0 - mu_product * mu_next))


class RAdam(Optimizer):
    """RAdam (Liu et al., 2020): Adam whose adaptive step is switched on, rectified, once
    the variance of the adaptive rate is tractable (rho_t > 5); before that a plain
    bias-corrected momentum step. `decoupled_weight_decay` as in NAdam."""

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        decoupled_weight_decay: bool = False,
        *,
        maximize: bool = False,
        **switches: Any,
    ) -> None:
        switches = _check_switches("RAdam", switches, ("foreach", "capturable", "differentiable"))
        _check_adam_like("RAdam", lr, betas, eps, weight_decay)
        defaults = dict(
            lr=lr,
            betas=tuple(betas),
            eps=eps,
            weight_decay=weight_decay,
            maximize=maximize,
            decoupled_weight_decay=decoupled_weight_decay,
            **switches,
        )
        order = (
            "lr betas eps weight_decay maximize foreach capturable decoupled_weight_decay "
            "differentiable"
        )
        super().__init__(params, _torch_order(defaults, order))

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        _fill_group_defaults(
            self,
            foreach=None,
            maximize=False,
            differentiable=False,
            decoupled_weight_decay=False,
            capturable=False,
        )

    def _init_state(self, p: Tensor, group: dict[str, Any], state: dict[str, Any]) -> None:
        state["step"] = _scalar(0.0)
        state["exp_avg"] = _zeros(p._data)
        state["exp_avg_sq"] = _zeros(p._data)

    def _update(self, p: Tensor, group: dict[str, Any], state: dict[str, Any]) -> None:
        lr, (b1, b2), eps = group["lr"], group["betas"], group["eps"]
        wd, decoupled = group["weight_decay"], group["decoupled_weight_decay"]
        rho_inf = 2 / (1 - b2) - 1
        x = p._data
        xp = get_array_module(x)
        t = _advance(state["step"])
        if wd and decoupled:
            x *= 1 - lr * wd
        d = _grad(p, xp, group["maximize"], 0.0 if decoupled else wd)
        m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
        tmp = _adam_moments(xp, d, m, v, b1, b2)
        bc1, bc2 = 1 - b1**t, 1 - b2**t
        rho_t = rho_inf - 2 * t * (b2**t) / bc2
        # PyTorch's order: (m / bc1) * lr * adaptive_lr * rect
        upd = xp.divide(m, bc1, out=tmp)
        upd *= lr
        if rho_t > 5.0:
            rect = (
                (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
            ) ** 0.5
            # a second array: sqrt(v) + eps, then bc2^0.5 / it
            adaptive = xp.sqrt(v, out=xp.empty_like(x))
            adaptive += eps
            xp.divide(bc2**0.5, adaptive, out=adaptive)
            upd *= adaptive
            upd *= rect
        x -= upd

    def _update_half(self, p: Tensor, group: dict[str, Any], state: dict[str, Any]) -> None:
        """float16, as PyTorch's CPU kernels step it: each op in float32, rounded to float16
        once (Adam's `_update_half`); bc2^0.5 / (sqrt(v) + eps) is PyTorch's number over a
        tensor, a reciprocal and then a product."""
        lr, (b1, b2), eps = group["lr"], group["betas"], group["eps"]
        rho_inf = 2 / (1 - b2) - 1
        x, t, m, v, _ = _half_adam_moments_(p, group, state)
        bc1, bc2 = 1 - b1**t, 1 - b2**t
        rho_t = rho_inf - 2 * t * (b2**t) / bc2
        upd = _half_scalar_op(_half_scalar_op(m, operator.truediv, bc1), operator.mul, lr)
        if rho_t > 5.0:
            rect = (
                (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
            ) ** 0.5
            root = _half_scalar_op(_half(v.astype(np.float32) ** 0.5), operator.add, eps)
            adaptive = _half_scalar_op(_half(1 / root.astype(np.float32)), operator.mul, bc2**0.5)
            upd = _half(upd.astype(np.float32) * adaptive)
            upd = _half_scalar_op(upd, operator.mul, rect)
        x[...] = _half(x.astype(np.float32) - upd)


class Rprop(Optimizer):
    """Rprop (Riedmiller and Braun, 1993): each weight moves by its own step size against
    the gradient's sign; the size grows by etas[1] while the sign holds and shrinks by
    etas[0] when it flips (that step is skipped), clamped to `step_sizes`."""

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        etas: tuple[float, float] = (0.5, 1.2),
        step_sizes: tuple[float, float] = (1e-6, 50),
        *,
        maximize: bool = False,
        **switches: Any,
    ) -> None:
        switches = _check_switches("Rprop", switches, ("foreach", "differentiable", "capturable"))
        _check_lr("Rprop", lr)
        _check("Rprop", 0.0 < etas[0] < 1.0 < etas[1], f"eta values {etas}")
        defaults = dict(lr=lr, etas=tuple(etas), step_sizes=tuple(step_sizes), maximize=maximize)
        order = "lr etas step_sizes foreach maximize differentiable capturable"
        super().__init__(params, _torch_order({**defaults, **switches}, order))

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        _fill_group_defaults(
            self, foreach=None, maximize=False, differentiable=False, capturable=False
        )

    def _init_state(self, p: Tensor, group: dict[str, Any], state: dict[str, Any]) -> None:
        x = p._data
        state["step"] = _scalar(0.0)
        state["prev"] = _zeros(x)
        lr = group["lr"]
        # a complex parameter's parts are two real ones: each starts at lr (PyTorch's too)
        first = complex(lr, lr) if x.dtype.kind == "c" else lr
        state["step_size"] = Tensor._make(get_array_module(x).full_like(x, first), False)

    def _update(self, p: Tensor, group: dict[str, Any], state: dict[str, Any]) -> None:
        (eta_minus, eta_plus), (lo, hi) = group["etas"], group["step_sizes"]
        maximize = group["maximize"]
        x = p._data
        xp = get_array_module(x)
        _advance(state["step"])
        d = p.grad._data
        prev, size = state["prev"]._data, state["step_size"]._data
        tmp = xp.multiply(d, prev, out=xp.empty_like(x))
        if maximize:
            xp.negative(tmp, out=tmp)
        flipped, same = tmp < 0, tmp > 0
        tmp[...] = 1
        tmp[same] = eta_plus  # the factors in the parameter's dtype, as PyTorch's
        tmp[flipped] = eta_minus
        size *= tmp
        xp.clip(size, lo, hi, out=size)
        # the gradient, zero where its sign flipped, is the next step's `prev`
        if maximize:
            xp.multiply(d, -1, out=prev)  # (NumPy 2.4's strided negative(out=) can misread)
        else:
            prev[...] = d
        prev[flipped] = 0
        xp.sign(prev, out=tmp)
        # PyTorch's sign(nan) is 0: a NaN gradient element leaves its weight where it is
        # (NumPy's is NaN, which would write NaN into the parameter)
        tmp[xp.isnan(tmp)] = 0
        tmp *= size
        x -= tmp


class ASGD(Optimizer):
    """Averaged SGD (Polyak and Juditsky, 1992): SGD with a decaying rate
    eta_t = lr / (1 + lambd * lr * t)^alpha that also keeps `ax`, the running average of
    the parameters from step `t0` on (before it, ax follows p)."""

    _scalar_state = ("step", "eta", "mu")

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        lambd: float = 1e-4,
        alpha: float = 0.75,
        t0: float = 1e6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
        **switches: Any,
    ) -> None:
        given = dict(foreach=foreach, differentiable=differentiable, capturable=capturable)
        switches = _check_switches(
            "ASGD", {**given, **switches}, ("foreach", "differentiable", "capturable")
        )
        _check_lr("ASGD", lr)
        _check("ASGD", weight_decay >= 0, f"weight_decay {weight_decay}")
        defaults = dict(
            lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay, maximize=maximize
        )
        order = "lr lambd alpha t0 weight_decay foreach maximize differentiable capturable"
        super().__init__(params, _torch_order({**defaults, **switches}, order))

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        _fill_group_defaults(
            self, foreach=None, maximize=False, differentiable=False, capturable=False
        )

    def _init_state(self, p: Tensor, group: dict[str, Any], state: dict[str, Any]) -> None:
        state["step"] = _scalar(0.0)
        state["eta"] = _scalar(group["lr"])
        state["mu"] = _scalar(1.0)
        state["ax"] = _zeros(p._data)

    def _update(self, p: Tensor, group: dict[str, Any], state: dict[str, Any]) -> None:
        lr, lambd, alpha, t0 = group["lr"], group["lambd"], group["alpha"], group["t0"]
        x = p._data
        xp = get_array_module(x)
        t = _advance(state["step"])
        d = _grad(p, xp, group["maximize"], group["weight_decay"])
        eta, mu = state["eta"]._data, state["mu"]._data
        eta_value, mu_value = float(eta), float(mu)
        x *= 1 - lambd * eta_value
        tmp = xp.multiply(d, eta_value, out=xp.empty_like(x))
        x -= tmp
        ax = state["ax"]._data
        if mu_value != 1:
            xp.subtract(x, ax, out=tmp)
            tmp *= mu_value
            ax += tmp
        else:
            ax[...] = x
        # rounded through the default dtype first, as PyTorch's `copy_(as_tensor(value))`:
        # a state loaded into a float64 parameter's dtype holds the same numbers
        eta[...] = _scalar_dtype()(lr / ((1 + lambd * lr * t) ** alpha))
        mu[...] = _scalar_dtype()(1 / max(1, t - t0))


class EMA:
    """An exponential moving average of parameters (Polyak averaging), for evaluating or
    sampling with weights smoother than the last step's.

    Call `update()` after each optimizer step: every average a moves to
    a = d * a + (1 - d) * p with d = min(decay, (1 + t) / (10 + t)) at update t, so the
    first updates, when the average is still mostly the initial weights, follow the
    parameters closely (TensorFlow's `num_updates` rule). With `bias_correction=True` the
    average is instead the one that starts from zero and is divided by 1 - decay^t, as
    Adam's moments are: d = 1 - (1 - decay) / (1 - decay^t), so the first update copies
    the parameters and the horizon grows to 1 / (1 - decay) updates without the warm-up
    rule's cap of about t / 9. Inside `with ema.swapped():`
    the parameters hold the averages and get their own values back on exit, so
    evaluation code needs no change; `copy_to()` writes the averages in for good.
    Buffers (batchnorm's running statistics) are not averaged. `state_dict()` saves the
    averages with `mg.save`; `load_state_dict` restores them onto each parameter's
    device.
    """

    def __init__(
        self, params: Iterable[Tensor], decay: float = 0.999, bias_correction: bool = False
    ) -> None:
        _check("EMA", 0.0 <= decay < 1.0, f"decay {decay}")
        self.params = list(params)
        if not self.params:
            raise ValueError("EMA: got an empty parameter list")
        self.decay, self.num_updates = decay, 0
        self.bias_correction = bool(bias_correction)
        self.averages = [p._data.copy() for p in self.params]

    def update(self) -> None:
        t = self.num_updates = self.num_updates + 1
        if self.bias_correction:
            d = 1 - (1 - self.decay) / (1 - self.decay**t)
        else:
            d = min(self.decay, (1 + t) / (10 + t))
        for a, p in zip(self.averages, self.params, strict=True):
            a *= d
            a += (1 - d) * p._data

    @contextmanager
    def swapped(self) -> Iterator[None]:
        """The parameters hold the averages inside the block, their own values after."""
        own = [p._data for p in self.params]
        for p, a in zip(self.params, self.averages, strict=True):
            p._data = a.copy()  # a copy: code in the block may update parameters in place
            p._version += 1
        try:
            yield
        finally:
            for p, x in zip(self.params, own, strict=True):
                p._data = x
                p._version += 1

    def copy_to(self) -> None:
        """Write the averages into the parameters for good (a model kept for inference)."""
        for p, a in zip(self.params, self.averages, strict=True):
            p._data[...] = a
            p._version += 1

    def state_dict(self) -> dict[str, Any]:
        return {
            "decay": self.decay,
            "num_updates": self.num_updates,
            "bias_correction": self.bias_correction,
            "averages": {i: a.copy() for i, a in enumerate(self.averages)},
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        saved = state_dict["averages"]
        if len(saved) != len(self.params):
            raise ValueError(
                f"EMA.load_state_dict: {len(saved)} averages in the state but "
                f"{len(self.params)} parameters"
            )
        averages = []
        for i, p in enumerate(self.params):
            a = saved[i] if i in saved else saved[str(i)]
            if isinstance(a, Tensor):
                a = a._data
            if tuple(a.shape) != p.shape:
                raise ValueError(
                    f"EMA.load_state_dict: average {i} has shape {tuple(a.shape)}, the "
                    f"parameter {p.shape}"
                )
            averages.append(to_device(a, p.device).astype(p.dtype, copy=True))
        self.averages = averages
        self.decay = float(state_dict["decay"])
        self.num_updates = int(state_dict["num_updates"])
        # a state saved before the option existed used the warm-up rule
        self.bias_correction = bool(state_dict.get("bias_correction", False))
