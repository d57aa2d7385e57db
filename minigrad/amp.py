"""`torch.amp` for minigrad: `GradScaler`, PyTorch's dynamic loss scaling, and `autocast`,
a context that changes nothing (minigrad computes in the tensors' own dtypes).

GradScaler follows PyTorch's state machine per optimizer (ready, unscaled, stepped) and its
update rule: a step whose unscaled gradients hold an inf or NaN is skipped and the scale is
multiplied by `backoff_factor`; after `growth_interval` good steps in a row it is multiplied
by `growth_factor`. The scale is a float32 number, as PyTorch's 0-d float32 tensor.

`is_autocast_enabled(device_type)` reports the autocast regions entered, per device type,
as PyTorch's does; `cuda_amp` is `torch.cuda.amp` (its deprecated GradScaler and autocast,
which warn FutureWarning). Without a GPU, 'cuda' autocast and GradScaler disable themselves
with PyTorch's UserWarning.
"""

from __future__ import annotations

import collections.abc
import functools
import re
import sys
import types
import warnings
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from .autograd import no_grad
from .backend import cuda_available, get_array_module, to_device
from .nn.utils.clip_grad import _writable
from .tensor import Tensor, _is_dtype, bfloat16

__all__ = [
    "GradScaler",
    "autocast",
    "clear_autocast_cache",
    "cpu_amp",
    "cuda_amp",
    "custom_bwd",
    "custom_fwd",
    "get_autocast_dtype",
    "is_autocast_available",
    "is_autocast_cache_enabled",
    "is_autocast_cpu_enabled",
    "is_autocast_enabled",
    "set_autocast_cache_enabled",
    "set_autocast_dtype",
    "set_autocast_enabled",
]

# PyTorch's device types, in its message's order, and those autocast serves
_DEVICE_TYPES = (
    "cpu, cuda, ipu, xpu, mkldnn, opengl, opencl, ideep, hip, ve, fpga, maia, xla, lazy, "
    "vulkan, mps, meta, hpu, mtia, privateuseone"
)
_AUTOCAST_TYPES = frozenset(
    ("cpu", "cuda", "ipu", "xpu", "maia", "xla", "mps", "hpu", "mtia", "privateuseone")
)
_DEVICE_RE = re.compile(r"([a-zA-Z_]+)(?::([1-9]\d*|0))?")

# whether autocast is on, per device type: what `with autocast(...)` sets and restores
_autocast_enabled: dict[str, bool] = {}
# the dtype autocast would run in, per device type: PyTorch's defaults (bfloat16 is
# minigrad's name for it, never used as a dtype: autocast casts nothing)
_autocast_dtype: dict[str, Any] = {
    **dict.fromkeys(("cpu", "maia", "xla", "hpu"), bfloat16),
    **dict.fromkeys(("cuda", "ipu", "xpu", "mps", "mtia", "privateuseone"), np.float16),
}

# whether autocast would keep cast copies of the weights (PyTorch's cache flag, which
# `autocast(cache_enabled=...)` sets and restores); minigrad has no cache to keep
_autocast_cache = True


def _device_type(device: str) -> str:
    """The type of a device string ('cuda' of 'cuda:0'), with PyTorch's errors."""
    if not device:
        raise RuntimeError("Device string must not be empty")
    match = _DEVICE_RE.fullmatch(device)
    if match is None:
        raise RuntimeError(f"Invalid device string: '{device}'")
    kind = match.group(1)
    if kind not in _DEVICE_TYPES.split(", "):
        raise RuntimeError(
            f"Expected one of {_DEVICE_TYPES} device type at start of device string: {device}"
        )
    return kind


def is_autocast_enabled(*args: Any, **kwargs: Any) -> bool:
    """torch.is_autocast_enabled([device_type]): whether an `autocast` region is active for
    the device type ('cuda' when none is given). minigrad's autocast casts nothing, but
    the flag follows PyTorch's, so code that branches on it takes the same branch."""
    if len(args) + len(kwargs) > 1 or (kwargs and "device_type" not in kwargs):
        raise TypeError("is_autocast_enabled() takes at most 1 argument (device_type: str)")
    if not args and not kwargs:
        return _autocast_enabled.get("cuda", False)
    device = args[0] if args else kwargs["device_type"]
    if not isinstance(device, str):
        raise TypeError(
            "is_autocast_enabled(): argument 'device_type' (position 1) must be str, "
            f"not {type(device).__name__}"
        )
    kind = _device_type(device)
    if kind not in _AUTOCAST_TYPES:
        raise RuntimeError(
            "unknown device type for autocast in get_autocast_dispatch_key_from_device_type"
        )
    return _autocast_enabled.get(kind, False)


def _check_str(value: Any, func: str, name: str = "device_type", position: int = 1) -> None:
    if not isinstance(value, str):
        raise TypeError(
            f"{func}(): argument '{name}' (position {position}) must be str, not "
            f"{type(value).__name__}"
        )


def is_autocast_available(device_type: str) -> bool:
    """Whether autocast serves the device type (of a device string such as 'cuda:0'), as
    torch.amp.is_autocast_available."""
    _check_str(device_type, "_is_autocast_available")
    return _device_type(device_type) in _AUTOCAST_TYPES


def get_autocast_dtype(device_type: str) -> Any:
    """The dtype an autocast region of the device type runs in, as PyTorch's (bfloat16 for
    'cpu', float16 for 'cuda' unless set); minigrad casts nothing with it."""
    _check_str(device_type, "get_autocast_dtype")
    kind = _device_type(device_type)
    if kind not in _AUTOCAST_TYPES:
        raise RuntimeError(f"unsupported scalarType: device type '{kind}' has no autocast dtype")
    return _autocast_dtype[kind]


def set_autocast_dtype(device_type: str, dtype: Any) -> None:
    """Set what `get_autocast_dtype(device_type)` returns (and an autocast region without
    dtype= takes), as PyTorch's; a device type without autocast keeps nothing."""
    _check_str(device_type, "set_autocast_dtype")
    if not _is_dtype(dtype):
        raise TypeError(
            "set_autocast_dtype(): argument 'dtype' (position 2) must be a dtype, not "
            f"{type(dtype).__name__}"
        )
    kind = _device_type(device_type)
    if kind in _AUTOCAST_TYPES:
        _autocast_dtype[kind] = dtype


def set_autocast_enabled(*args: Any) -> None:
    """torch.set_autocast_enabled(device_type, enabled), or (enabled) for 'cuda': sets the
    flag that `is_autocast_enabled` reports."""
    if len(args) == 1 and isinstance(args[0], bool):
        device, enabled = "cuda", args[0]
    elif len(args) == 2:
        device, enabled = args
        _check_str(device, "set_autocast_enabled")
        if not isinstance(enabled, bool):
            raise TypeError(
                "set_autocast_enabled(): argument 'enabled' (position 2) must be bool, not "
                f"{type(enabled).__name__}"
            )
    else:
        got = ", ".join(type(a).__name__ for a in args)
        raise TypeError(
            f"set_autocast_enabled() takes (str device_type, bool enabled) or (bool enabled), "
            f"got ({got})"
        )
    kind = _device_type(device)
    if kind not in _AUTOCAST_TYPES:
        raise RuntimeError(
            "unknown device type for autocast in get_autocast_dispatch_key_from_device_type"
        )
    _autocast_enabled[kind] = enabled


def is_autocast_cpu_enabled() -> bool:
    """PyTorch's deprecated `is_autocast_enabled('cpu')`, with its DeprecationWarning."""
    warnings.warn(
        "minigrad.is_autocast_cpu_enabled() is deprecated. Please use "
        "minigrad.is_autocast_enabled('cpu') instead.",
        DeprecationWarning,
        stacklevel=2,
    )
    return _autocast_enabled.get("cpu", False)


def clear_autocast_cache() -> None:
    """Nothing to clear: minigrad's autocast keeps no cast copies of the weights."""


def is_autocast_cache_enabled() -> bool:
    """PyTorch's flag for autocast's weight cache (True unless set); it changes nothing."""
    return _autocast_cache


def set_autocast_cache_enabled(enabled: bool) -> None:
    """Set what `is_autocast_cache_enabled` reports (a bool, as PyTorch checks)."""
    if not isinstance(enabled, bool):
        raise TypeError(f"enabled must be a bool (got {type(enabled).__name__})")
    global _autocast_cache
    _autocast_cache = enabled


def _cast(value: Any, device_type: str, dtype: Any) -> Any:
    """The floating-point tensors (float64 apart) of `value` on `device_type`, nested in
    lists, tuples and dicts, cast to `dtype`, as PyTorch's `autocast_mode._cast`."""
    if isinstance(value, Tensor):
        eligible = value.dtype.kind == "f" and value.dtype != np.float64
        on_device = str(value.device).split(":")[0] == device_type
        return value.to(dtype=dtype) if eligible and on_device else value
    if isinstance(value, str | bytes | np.ndarray):
        return value
    if isinstance(value, collections.abc.Mapping):
        return {
            _cast(k, device_type, dtype): _cast(v, device_type, dtype) for k, v in value.items()
        }
    if isinstance(value, collections.abc.Iterable):
        it = (_cast(v, device_type, dtype) for v in value)
        return type(value)(it) if isinstance(value, list | tuple) else it
    return value


def _check_device_arg(device_type: Any) -> None:
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")


def custom_fwd(
    fwd: Callable | None = None, *, device_type: str, cast_inputs: Any = None
) -> Callable:
    """Decorator for a custom `autograd.Function`'s forward, as torch.amp.custom_fwd: it
    records the autocast state in ctx for `custom_bwd`; with `cast_inputs`, inside an
    enabled autocast region the floating-point tensor arguments are cast to it and forward
    runs with autocast off."""
    _check_device_arg(device_type)
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)

    @functools.wraps(fwd)
    def decorate_fwd(*args: Any, **kwargs: Any) -> Any:
        ctx = args[0]
        ctx._dtype = get_autocast_dtype(device_type)
        enabled = is_autocast_enabled(device_type)
        ctx._fwd_used_autocast = enabled and cast_inputs is None
        if cast_inputs is None or not enabled:
            return fwd(*args, **kwargs)
        with autocast(device_type=device_type, enabled=False):
            return fwd(
                *_cast(args, device_type, cast_inputs), **_cast(kwargs, device_type, cast_inputs)
            )

    return decorate_fwd


def custom_bwd(bwd: Callable | None = None, *, device_type: str) -> Callable:
    """Decorator for a custom `autograd.Function`'s backward, as torch.amp.custom_bwd: it
    runs in the autocast state its `custom_fwd` forward ran in."""
    _check_device_arg(device_type)
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)

    @functools.wraps(bwd)
    def decorate_bwd(*args: Any, **kwargs: Any) -> Any:
        ctx = args[0]
        with autocast(device_type=device_type, enabled=ctx._fwd_used_autocast, dtype=ctx._dtype):
            return bwd(*args, **kwargs)

    return decorate_bwd


_READY, _UNSCALED, _STEPPED = "ready", "unscaled", "stepped"


def _fresh_state() -> dict[str, Any]:
    return {"stage": _READY, "found_inf_per_device": {}}


class GradScaler:
    """Scales a loss up before `backward` so that small gradients survive in low precision,
    and unscales the gradients before the optimizer step (PyTorch's `torch.amp.GradScaler`).

    scaler.scale(loss).backward(); scaler.step(optimizer); scaler.update()
    """

    def __init__(
        self,
        device: str = "cpu",
        init_scale: float = 2.0**16,
        growth_factor: float = 2.0,
        backoff_factor: float = 0.5,
        growth_interval: int = 2000,
        enabled: bool = True,
    ) -> None:
        self._device = device
        self._enabled = enabled
        if device == "cuda" and enabled and not cuda_available():
            warnings.warn(
                "torch.cuda.amp.GradScaler is enabled, but CUDA is not available.  Disabling.",
                stacklevel=2,
            )
            self._enabled = enabled = False
        if enabled:
            if growth_factor <= 1.0:
                raise AssertionError("The growth factor must be > 1.0.")
            if backoff_factor >= 1.0:
                raise AssertionError("The backoff factor must be < 1.0.")
            self._init_scale = init_scale
            self._scale: np.float32 | None = None  # set by the first scale(), as PyTorch's
            self._growth_factor = growth_factor
            self._backoff_factor = backoff_factor
            self._growth_interval = growth_interval
            self._init_growth_tracker = 0
            self._growth_tracker: int | None = None
            self._per_optimizer_states: dict[int, dict[str, Any]] = {}

    def _opt_state(self, optimizer: Any) -> dict[str, Any]:
        return self._per_optimizer_states.setdefault(id(optimizer), _fresh_state())

    def _check_scale_growth_tracker(self, funcname: str) -> None:
        if self._scale is None:
            raise AssertionError(
                f"Attempted {funcname} but _scale is None.  This may indicate your script did "
                "not use scaler.scale(loss or outputs) earlier in the iteration."
            )

    def _lazy_init(self) -> None:
        if self._scale is None:
            self._scale = np.float32(self._init_scale)
            self._growth_tracker = int(np.int32(self._init_growth_tracker))

    def scale(self, outputs: Any) -> Any:
        """`outputs` (a Tensor, or nested lists/tuples/iterables of them) times the scale;
        unchanged when disabled."""
        if not self._enabled:
            return outputs

        def apply(val: Any) -> Any:
            if isinstance(val, Tensor):
                self._lazy_init()
                scale = to_device(np.array(self._scale, dtype=np.float32), val.device)
                return val * Tensor._make(scale, False)
            if isinstance(val, Iterable):
                it = map(apply, val)
                return type(val)(it) if isinstance(val, list | tuple) else it
            raise ValueError("outputs must be a Tensor or an iterable of Tensors")

        return apply(outputs)

    def unscale_(self, optimizer: Any) -> None:
        """Divide the gradients of `optimizer`'s parameters by the scale, in place, and
        record whether any of them holds an inf or NaN. At most once per `update()`."""
        if not self._enabled:
            return
        self._check_scale_growth_tracker("unscale_")
        state = self._opt_state(optimizer)
        if state["stage"] == _UNSCALED:
            raise RuntimeError(
                "unscale_() has already been called on this optimizer since the last update()."
            )
        if state["stage"] == _STEPPED:
            raise RuntimeError("unscale_() is being called after step().")
        # the reciprocal in float64, rounded to float32, as PyTorch's
        inv_scale = np.float32(1.0 / np.float64(self._scale))
        grads = []
        for group in optimizer.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if p.grad.dtype == np.float16:
                    raise ValueError("Attempting to unscale FP16 gradients.")
                grads.append(p.grad)
        found: dict[str, float] = {}
        with no_grad():
            for g, a in _writable(grads):
                xp = get_array_module(a)
                bad = not bool(xp.isfinite(a).all())
                found[g.device] = max(found.get(g.device, 0.0), float(bad))
                if inv_scale != 1:
                    a *= xp.asarray(inv_scale).astype(a.dtype)
                g._version += 1
        state["found_inf_per_device"] = found
        state["stage"] = _UNSCALED

    def step(self, optimizer: Any, *args: Any, **kwargs: Any) -> Any:
        """`optimizer.step(*args, **kwargs)` unless the unscaled gradients hold an inf or
        NaN (then the step is skipped and None returned). Unscales first if needed."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is enabled.")
        self._check_scale_growth_tracker("step")
        state = self._opt_state(optimizer)
        if state["stage"] == _STEPPED:
            raise RuntimeError("step() has already been called since the last update().")
        if state["stage"] == _READY:
            self.unscale_(optimizer)
        if not state["found_inf_per_device"]:
            raise AssertionError("No inf checks were recorded for this optimizer.")
        retval = None
        if not sum(state["found_inf_per_device"].values()):
            retval = optimizer.step(*args, **kwargs)
        state["stage"] = _STEPPED
        return retval

    def update(self, new_scale: float | Tensor | None = None) -> None:
        """Back off the scale if any step since the last update met an inf or NaN, else
        count a good step and grow the scale every `growth_interval` of them; or set it to
        `new_scale`. Starts the next iteration."""
        if not self._enabled:
            return
        self._check_scale_growth_tracker("update")
        if new_scale is not None:
            if isinstance(new_scale, float):
                self._scale = np.float32(new_scale)
            else:
                reason = (
                    "new_scale should be a float or a 1-element torch.cuda.FloatTensor or "
                    "torch.FloatTensor with requires_grad=False."
                )
                if not isinstance(new_scale, Tensor):  # PyTorch reads new_scale.device
                    raise AttributeError(
                        f"'{type(new_scale).__name__}' object has no attribute 'device'"
                    )
                if (
                    new_scale.device != self._device
                    or new_scale.numel() != 1
                    or new_scale.requires_grad
                ):
                    raise AssertionError(reason)
                if new_scale.ndim:  # PyTorch copies it into its 0-d scale
                    raise RuntimeError(
                        "output with shape [] doesn't match the broadcast shape "
                        f"{list(new_scale.shape)}"
                    )
                self._scale = np.float32(new_scale.item())
        else:
            found_infs = [
                f
                for s in self._per_optimizer_states.values()
                for f in s["found_inf_per_device"].values()
            ]
            if not found_infs:
                raise AssertionError("No inf checks were recorded prior to update.")
            if sum(found_infs):
                self._scale = np.float32(self._scale * np.float32(self._backoff_factor))
                self._growth_tracker = 0
            else:
                successful = self._growth_tracker + 1
                if successful == self._growth_interval:
                    grown = np.float32(self._scale * np.float32(self._growth_factor))
                    if np.isfinite(grown):
                        self._scale = grown
                    self._growth_tracker = 0
                else:
                    self._growth_tracker = successful
        self._per_optimizer_states = {}

    def get_scale(self) -> float:
        """The current scale as a Python float (1.0 when disabled)."""
        if not self._enabled:
            return 1.0
        return float(self._init_scale if self._scale is None else self._scale)

    def get_growth_factor(self) -> float:
        return self._growth_factor

    def set_growth_factor(self, new_factor: float) -> None:
        self._growth_factor = new_factor

    def get_backoff_factor(self) -> float:
        return self._backoff_factor

    def set_backoff_factor(self, new_factor: float) -> None:
        self._backoff_factor = new_factor

    def get_growth_interval(self) -> int:
        return self._growth_interval

    def set_growth_interval(self, new_interval: int) -> None:
        self._growth_interval = new_interval

    def _get_growth_tracker(self) -> int:
        if not self._enabled:
            return 0
        return self._init_growth_tracker if self._growth_tracker is None else self._growth_tracker

    def is_enabled(self) -> bool:
        return self._enabled

    def state_dict(self) -> dict[str, Any]:
        """scale, growth_factor, backoff_factor, growth_interval and _growth_tracker, as
        PyTorch's; empty when disabled. Take it after `update()`."""
        if not self._enabled:
            return {}
        return {
            "scale": self.get_scale(),
            "growth_factor": self._growth_factor,
            "backoff_factor": self._backoff_factor,
            "growth_interval": self._growth_interval,
            "_growth_tracker": self._get_growth_tracker(),
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError(
                "The source state dict is empty, possibly because it was saved "
                "from a disabled instance of GradScaler."
            )
        self._init_scale = state_dict["scale"]
        if self._scale is not None:
            self._scale = np.float32(state_dict["scale"])
        self._growth_factor = state_dict["growth_factor"]
        self._backoff_factor = state_dict["backoff_factor"]
        self._growth_interval = state_dict["growth_interval"]
        self._init_growth_tracker = state_dict["_growth_tracker"]
        if self._growth_tracker is not None:
            self._growth_tracker = int(state_dict["_growth_tracker"])


_warned = False  # autocast's notice, once per process


def _low_precision(dtype: Any) -> bool:
    """Whether dtype is one autocast serves off CUDA: bfloat16 (a name here) or float16."""
    return dtype is bfloat16 or (_is_dtype(dtype) and np.dtype(dtype) == np.float16)


class autocast:  # noqa: N801 - PyTorch's name
    """PyTorch's `autocast(device_type, dtype=None, enabled=True, cache_enabled=None)` as
    a context manager or decorator that changes nothing: minigrad runs every op in its
    inputs' dtypes, so code written for mixed precision runs here in full precision. With
    `enabled=True` the first use warns that no mixed precision is applied."""

    def __init__(
        self,
        device_type: str,
        dtype: Any = None,
        enabled: bool = True,
        cache_enabled: bool | None = None,
    ) -> None:
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        self.device = device_type
        self._kind = _device_type(device_type)
        if self._kind not in _AUTOCAST_TYPES:
            raise RuntimeError(
                f"User specified an unsupported autocast device_type '{device_type}'"
            )
        self.fast_dtype = get_autocast_dtype(device_type) if dtype is None else dtype
        if enabled and device_type == "cuda" and not cuda_available():  # PyTorch's test
            warnings.warn(
                "CUDA is not available or torch_xla is imported. Disabling autocast.",
                stacklevel=2,
            )
            enabled = False
        elif enabled and device_type != "cuda" and not _low_precision(self.fast_dtype):
            name = device_type.upper()
            warnings.warn(
                f"In {name} autocast, but the target dtype is not supported. Disabling "
                f"autocast.\n{name} Autocast only supports dtypes of minigrad.bfloat16, "
                "minigrad.float16 currently.",
                stacklevel=2,
            )
            enabled = False
        self._enabled = bool(enabled)
        # PyTorch's: the flag as it is now unless given, set for the region
        self._cache_enabled = _autocast_cache if cache_enabled is None else cache_enabled

    def __enter__(self) -> autocast:
        global _warned, _autocast_cache
        if self._enabled and not _warned:
            _warned = True
            warnings.warn(
                "minigrad.autocast: mixed precision is not applied; minigrad computes every op "
                "in its inputs' dtypes (cast the model and inputs with .to(dtype) instead)",
                UserWarning,
                stacklevel=2,
            )
        self._prev = _autocast_enabled.get(self._kind, False), _autocast_dtype[self._kind]
        self._prev_cache = _autocast_cache
        _autocast_enabled[self._kind] = self._enabled
        _autocast_dtype[self._kind] = self.fast_dtype
        _autocast_cache = bool(self._cache_enabled)
        return self

    def __exit__(self, *exc: Any) -> bool:
        global _autocast_cache
        _autocast_enabled[self._kind], _autocast_dtype[self._kind] = self._prev
        _autocast_cache = self._prev_cache
        return False

    def __call__(self, func: Callable) -> Callable:
        if not callable(func):
            raise TypeError(
                f"autocast()(func) requires a callable, but got {type(func).__name__}. "
                "Did you mean to use autocast as a context manager? For example:\n"
                "    with torch.autocast(device_type=...):\n"
                "        output = model(input)"
            )

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self:
                return func(*args, **kwargs)

        return wrapper


class _DeprecatedGradScaler(GradScaler):
    """torch.cuda.amp.GradScaler / torch.cpu.amp.GradScaler: GradScaler(DEVICE, ...),
    deprecated (FutureWarning); a subclass names the device."""

    _for_device = "cuda"

    def __init__(
        self,
        init_scale: float = 2.0**16,
        growth_factor: float = 2.0,
        backoff_factor: float = 0.5,
        growth_interval: int = 2000,
        enabled: bool = True,
    ) -> None:
        warnings.warn(
            f"`torch.{self._for_device}.amp.GradScaler(args...)` is deprecated. "
            f"Please use `torch.amp.GradScaler('{self._for_device}', args...)` instead.",
            FutureWarning,
            stacklevel=2,
        )
        super().__init__(
            self._for_device,
            init_scale=init_scale,
            growth_factor=growth_factor,
            backoff_factor=backoff_factor,
            growth_interval=growth_interval,
            enabled=enabled,
        )


_CLASS_DEFAULT: Any = object()  # a dtype argument left out


class _DeprecatedAutocast(autocast):
    """torch.cuda.amp.autocast / torch.cpu.amp.autocast: autocast(DEVICE, ...), deprecated
    (FutureWarning); a subclass names the device and its default dtype."""

    _for_device, default_dtype = "cuda", np.float16

    def __init__(
        self, enabled: bool = True, dtype: Any = _CLASS_DEFAULT, cache_enabled: bool = True
    ) -> None:
        warnings.warn(
            f"`torch.{self._for_device}.amp.autocast(args...)` is deprecated. "
            f"Please use `torch.amp.autocast('{self._for_device}', args...)` instead.",
            FutureWarning,
            stacklevel=2,
        )
        # left out: the class's default; None (given) is autocast's, the device's dtype now
        dtype = self.default_dtype if dtype is _CLASS_DEFAULT else dtype
        super().__init__(
            self._for_device, enabled=enabled, dtype=dtype, cache_enabled=cache_enabled
        )


class _CudaGradScaler(_DeprecatedGradScaler):
    """torch.cuda.amp.GradScaler: GradScaler("cuda", ...), deprecated (FutureWarning)."""


class _CpuGradScaler(_DeprecatedGradScaler):
    """torch.cpu.amp.GradScaler: GradScaler("cpu", ...), deprecated (FutureWarning)."""

    _for_device = "cpu"


class _CudaAutocast(_DeprecatedAutocast):
    """torch.cuda.amp.autocast: autocast("cuda", ...), deprecated (FutureWarning)."""


class _CpuAutocast(_DeprecatedAutocast):
    """torch.cpu.amp.autocast: autocast("cpu", ...), deprecated (FutureWarning)."""

    _for_device, default_dtype = "cpu", bfloat16


def _cuda_custom_fwd(fwd: Callable | None = None, *, cast_inputs: Any = None) -> Callable:
    """torch.cuda.amp.custom_fwd: custom_fwd(device_type='cuda'), deprecated."""
    warnings.warn(
        "`torch.cuda.amp.custom_fwd(args...)` is deprecated. "
        "Please use `torch.amp.custom_fwd(args..., device_type='cuda')` instead.",
        FutureWarning,
        stacklevel=2,
    )
    return custom_fwd(fwd, device_type="cuda", cast_inputs=cast_inputs)


def _cuda_custom_bwd(bwd: Callable) -> Callable:
    """torch.cuda.amp.custom_bwd: custom_bwd(device_type='cuda'), deprecated."""
    warnings.warn(
        "`torch.cuda.amp.custom_bwd(args...)` is deprecated. "
        "Please use `torch.amp.custom_bwd(args..., device_type='cuda')` instead.",
        FutureWarning,
        stacklevel=2,
    )
    return custom_bwd(bwd, device_type="cuda")


for _cls, _name in ((_CudaGradScaler, "GradScaler"), (_CudaAutocast, "autocast")):
    _cls.__name__ = _cls.__qualname__ = _name
    _cls.__module__ = "minigrad.cuda.amp"  # so that pickle finds them again
for _cls, _name in ((_CpuGradScaler, "GradScaler"), (_CpuAutocast, "autocast")):
    _cls.__name__ = _cls.__qualname__ = _name
    _cls.__module__ = "minigrad.cpu.amp"
for _fn, _name in ((_cuda_custom_fwd, "custom_fwd"), (_cuda_custom_bwd, "custom_bwd")):
    _fn.__name__ = _fn.__qualname__ = _name
    _fn.__module__ = "minigrad.cuda.amp"

# `torch.cuda.amp` as a module object: minigrad.cuda exposes it as `minigrad.cuda.amp`
# (`from .amp import cuda_amp as amp` there), and `import minigrad.cuda.amp` finds it here
cuda_amp = types.ModuleType(
    "minigrad.cuda.amp", "torch.cuda.amp: the deprecated CUDA spellings of minigrad.amp."
)
cuda_amp.GradScaler = _CudaGradScaler
cuda_amp.autocast = _CudaAutocast
cuda_amp.custom_fwd = _cuda_custom_fwd
cuda_amp.custom_bwd = _cuda_custom_bwd
cuda_amp.__all__ = ["GradScaler", "autocast", "custom_bwd", "custom_fwd"]
sys.modules.setdefault("minigrad.cuda.amp", cuda_amp)

# `torch.cpu.amp`, the same way: `minigrad.cpu.amp`
cpu_amp = types.ModuleType(
    "minigrad.cpu.amp", "torch.cpu.amp: the deprecated CPU spellings of minigrad.amp."
)
cpu_amp.GradScaler = _CpuGradScaler
cpu_amp.autocast = _CpuAutocast
cpu_amp.__all__ = ["GradScaler", "autocast"]
sys.modules.setdefault("minigrad.cpu.amp", cpu_amp)
