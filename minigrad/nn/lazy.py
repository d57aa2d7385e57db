"""Lazy modules, as PyTorch's `LazyModuleMixin`: parameters (and buffers) start as
`UninitializedParameter`/`UninitializedBuffer` and take their shapes from the first
input; then the module becomes its non-lazy class (LazyLinear -> Linear). Loading a state
dict into a lazy module materializes its tensors to the saved shapes first."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import no_grad
from ..backend import default_float, normalize_device
from ..tensor import Tensor, zeros
from .conv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from .layers import Linear
from .module import Module, Parameter, _loadable
from .norm import (
    BatchNorm1d,
    BatchNorm2d,
    BatchNorm3d,
    InstanceNorm1d,
    InstanceNorm2d,
    InstanceNorm3d,
)

__all__ = [
    "LazyBatchNorm1d",
    "LazyBatchNorm2d",
    "LazyBatchNorm3d",
    "LazyConv1d",
    "LazyConv2d",
    "LazyConv3d",
    "LazyConvTranspose1d",
    "LazyConvTranspose2d",
    "LazyConvTranspose3d",
    "LazyInstanceNorm1d",
    "LazyInstanceNorm2d",
    "LazyInstanceNorm3d",
    "LazyLinear",
    "LazyModuleMixin",
    "UninitializedBuffer",
    "UninitializedParameter",
    "is_lazy",
]

_NO_SHAPE = (
    "Can't access the shape of an uninitialized parameter or buffer. This error usually "
    "happens in `load_state_dict` when trying to load an uninitialized parameter into an "
    "initialized one. Call `forward` to initialize the parameters before accessing their "
    "attributes."
)


class _UninitializedMixin:
    """A tensor with no shape yet: `materialize(shape)` gives it storage and turns it into
    `cls_to_become`."""

    __slots__ = ()
    cls_to_become: type
    _uninitialized = True  # what Module._load_from_state_dict looks for

    def materialize(self, shape: Any, device: Any = None, dtype: Any = None) -> None:
        dt = self._data.dtype if dtype is None else np.dtype(dtype)
        dev = self.device if device is None else normalize_device(device)
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        self.data = zeros(*shape, dtype=dt, device=dev)
        self._data = self._data.astype(dt, copy=False)
        self.__class__ = self.cls_to_become

    @property
    def shape(self) -> Any:
        raise RuntimeError(_NO_SHAPE)

    def detach(self) -> Any:
        # as PyTorch, a state_dict holds the uninitialized tensor itself
        return self

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    def __deepcopy__(self, memo: dict) -> Any:
        if id(self) not in memo:
            memo[id(self)] = type(self)(self.requires_grad, self.device, self._data.dtype)
        return memo[id(self)]

    def __reduce_ex__(self, proto: Any) -> Any:
        return (type(self), (self.requires_grad,))


class UninitializedParameter(_UninitializedMixin, Parameter):
    """A Parameter without a shape until materialized (by a lazy module's first call)."""

    __slots__ = ()
    cls_to_become = Parameter

    def __init__(self, requires_grad: bool = True, device: Any = None, dtype: Any = None) -> None:
        dt = default_float() if dtype is None else np.dtype(dtype)
        super().__init__(zeros(0, dtype=dt, device=normalize_device(device)), requires_grad)


class UninitializedBuffer(_UninitializedMixin, Tensor):
    """A buffer without a shape until materialized."""

    __slots__ = ()
    cls_to_become = Tensor

    def __init__(self, requires_grad: bool = False, device: Any = None, dtype: Any = None) -> None:
        dt = default_float() if dtype is None else np.dtype(dtype)
        super().__init__(zeros(0, dtype=dt, device=normalize_device(device))._data)
        self.requires_grad = requires_grad


def is_lazy(param: Any) -> bool:
    """Whether `param` is an uninitialized parameter or buffer."""
    return isinstance(param, _UninitializedMixin)


class LazyModuleMixin:
    """Put first among the bases of a lazy module, whose `initialize_parameters(*args)`
    materializes its tensors from the first input and whose `cls_to_become` it turns
    into after the first call."""

    cls_to_become: type | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._register_lazy_hooks()

    def _register_lazy_hooks(self) -> None:
        """The forward pre-hook that infers the shapes, and the load pre-hook that takes
        them from a state_dict (PyTorch's `_initialize_hook` and `_load_hook`)."""
        self._load_hook = self._register_load_state_dict_pre_hook(self._lazy_load_hook)
        self._initialize_hook = self.register_forward_pre_hook(
            self._infer_parameters, with_kwargs=True
        )

    def initialize_parameters(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(
            f"initialize_parameters is not implemented for {type(self).__name__}"
        )

    def has_uninitialized_params(self) -> bool:
        """Whether any own parameter or buffer is still uninitialized."""
        return any(is_lazy(t) for t in (*self._parameters.values(), *self._buffers.values()))

    def _infer_parameters(self, module: Module, args: tuple, kwargs: dict | None = None) -> None:
        module.initialize_parameters(*args, **(kwargs or {}))
        if module.has_uninitialized_params():
            raise RuntimeError(f"module {type(self).__name__} has not been fully initialized")
        module._initialize_hook.remove()
        module._load_hook.remove()
        del module.__dict__["_initialize_hook"], module.__dict__["_load_hook"]
        if module.cls_to_become is not None:
            module.__class__ = module.cls_to_become

    def _lazy_load_hook(
        self,
        state_dict: dict,
        prefix: str,
        local_metadata: dict,
        strict: bool,
        missing_keys: list,
        unexpected_keys: list,
        error_msgs: list,
    ) -> None:
        """Materialize each uninitialized tensor to the shape of its state_dict entry before
        it is loaded; the class stays lazy until forward (PyTorch's). An uninitialized entry
        leaves it lazy; a value that is no tensor (a string, None) leaves it for
        `_load_from_state_dict` to refuse by name."""
        for name, t in (*self._parameters.items(), *self._buffers.items()):
            key = prefix + name
            if t is None or not is_lazy(t) or key not in state_dict:
                continue
            v = state_dict[key]
            arr = None if is_lazy(v) else _loadable(v)
            if arr is not None:
                with no_grad():
                    t.materialize(np.shape(arr))

    def _replicate_for_data_parallel(self) -> Any:
        raise RuntimeError(
            "Modules with uninitialized parameters can't be used with `DataParallel`. Run a "
            "dummy forward pass to correctly initialize the modules"
        )


class LazyLinear(LazyModuleMixin, Linear):
    """Linear whose in_features is the first input's last dim."""

    cls_to_become = Linear

    def __init__(
        self, out_features: int, bias: bool = True, device: Any = None, dtype: Any = None
    ) -> None:
        super().__init__(0, 0, False)
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_features = out_features
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor) -> None:  # noqa: A002
        if self.has_uninitialized_params():
            with no_grad():
                self.in_features = input.shape[-1]
                self.weight.materialize((self.out_features, self.in_features))
                if self.bias is not None:
                    self.bias.materialize((self.out_features,))
                self.reset_parameters()


class _LazyConvXdMixin(LazyModuleMixin):
    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor, *args: Any, **kwargs: Any) -> None:  # noqa: A002
        if not self.has_uninitialized_params():
            return
        self.in_channels = self._get_in_channels(input)
        if self.in_channels % self.groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        k = self.kernel_size
        if self.transposed:
            shape = (self.in_channels, self.out_channels // self.groups, *k)
        else:
            shape = (self.out_channels, self.in_channels // self.groups, *k)
        with no_grad():
            self.weight.materialize(shape)
            if self.bias is not None:
                self.bias.materialize((self.out_channels,))
            self.reset_parameters()

    def _get_in_channels(self, input: Tensor) -> int:  # noqa: A002
        no_batch = self.n + 1
        if input.ndim not in (no_batch, no_batch + 1):
            raise RuntimeError(
                f"Expected {no_batch}D (unbatched) or {no_batch + 1}D (batched) input to "
                f"{type(self).__name__}, but got input of size: torch.Size({list(input.shape)})"
            )
        return input.shape[1] if input.ndim == no_batch + 1 else input.shape[0]


def _lazy_conv(base: type, name: str) -> type:
    def __init__(  # noqa: N807
        self: Any,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        base.__init__(
            self, 0, 0, kernel_size, stride, padding, dilation, groups, False, padding_mode,
            device, dtype,
        )  # fmt: skip
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_channels = out_channels
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)
        self._register_lazy_hooks()

    doc = f"{base.__name__} whose in_channels is the first input's channel count."
    return type(
        name,
        (_LazyConvXdMixin, base),
        {"cls_to_become": base, "__init__": __init__, "__doc__": doc, "__module__": __name__},
    )


def _lazy_conv_transpose(base: type, name: str) -> type:
    def __init__(  # noqa: N807
        self: Any,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        output_padding: Any = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: Any = 1,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        base.__init__(
            self, 0, 0, kernel_size, stride, padding, output_padding, groups, False, dilation,
            padding_mode, device, dtype,
        )  # fmt: skip
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_channels = out_channels
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)
        self._register_lazy_hooks()

    doc = f"{base.__name__} whose in_channels is the first input's channel count."
    return type(
        name,
        (_LazyConvXdMixin, base),
        {"cls_to_become": base, "__init__": __init__, "__doc__": doc, "__module__": __name__},
    )


LazyConv1d = _lazy_conv(Conv1d, "LazyConv1d")
LazyConv2d = _lazy_conv(Conv2d, "LazyConv2d")
LazyConv3d = _lazy_conv(Conv3d, "LazyConv3d")
LazyConvTranspose1d = _lazy_conv_transpose(ConvTranspose1d, "LazyConvTranspose1d")
LazyConvTranspose2d = _lazy_conv_transpose(ConvTranspose2d, "LazyConvTranspose2d")
LazyConvTranspose3d = _lazy_conv_transpose(ConvTranspose3d, "LazyConvTranspose3d")


class _LazyNormMixin(LazyModuleMixin):
    def _lazy_init(
        self, affine: bool, track_running_stats: bool, device: Any, dtype: Any, bias: bool
    ) -> None:
        if affine:
            self.weight = UninitializedParameter(device=device, dtype=dtype)
            if bias:
                self.bias = UninitializedParameter(device=device, dtype=dtype)
        if track_running_stats:
            self.running_mean = UninitializedBuffer(device=device, dtype=dtype)
            self.running_var = UninitializedBuffer(device=device, dtype=dtype)
            self.num_batches_tracked = Tensor(np.array(0, dtype=np.int64))

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor) -> None:  # noqa: A002
        if not self.has_uninitialized_params():
            return
        self.num_features = input.shape[1]
        with no_grad():
            if self.affine:
                self.weight.materialize((self.num_features,))
                if self.bias is not None:
                    self.bias.materialize((self.num_features,))
            if self.track_running_stats:
                self.running_mean.materialize((self.num_features,))
                self.running_var.materialize((self.num_features,))
            self.reset_parameters()


def _lazy_norm(base: type, name: str, instance: bool) -> type:
    def __init__(  # noqa: N807
        self: Any,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device: Any = None,
        dtype: Any = None,
        *,
        bias: bool = True,
    ) -> None:
        parent.__init__(self, 0, eps, momentum, False, False, device, dtype)
        self.affine, self.track_running_stats = affine, track_running_stats
        self._lazy_init(affine, track_running_stats, device, dtype, bias)
        self._register_lazy_hooks()

    what = "instance" if instance else "batch"
    doc = f"{base.__name__} ({what} norm) whose num_features is the first input's dim 1."
    # as PyTorch's: a _BatchNorm (or _InstanceNorm) but not yet a `base` until its first
    # input makes it one (cls_to_become), so isinstance(m, BatchNorm2d) waits for that
    parent = base.__mro__[1]
    return type(
        name,
        (_LazyNormMixin, parent),
        {
            "cls_to_become": base,
            "_dims": base._dims,
            "__init__": __init__,
            "__doc__": doc,
            "__module__": __name__,
        },
    )


LazyBatchNorm1d = _lazy_norm(BatchNorm1d, "LazyBatchNorm1d", False)
LazyBatchNorm2d = _lazy_norm(BatchNorm2d, "LazyBatchNorm2d", False)
LazyBatchNorm3d = _lazy_norm(BatchNorm3d, "LazyBatchNorm3d", False)
LazyInstanceNorm1d = _lazy_norm(InstanceNorm1d, "LazyInstanceNorm1d", True)
LazyInstanceNorm2d = _lazy_norm(InstanceNorm2d, "LazyInstanceNorm2d", True)
LazyInstanceNorm3d = _lazy_norm(InstanceNorm3d, "LazyInstanceNorm3d", True)
