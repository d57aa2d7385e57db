"""Batch normalisation over (N, C) and (N, C, ...) inputs, PyTorch semantics.

Training normalises with the biased batch variance and updates the running statistics in
place (the variance with Bessel's correction, as PyTorch). Evaluation is an affine map with
the running statistics, composed from ops.

The training forward is one fused node that saves mean and 1/std, and x-hat where it has
no compiled loops (on NumPy's compiled loops the backward works x-hat out again from x,
which the node keeps anyway: the same values, one array fewer written and held). Its
backward is written with ops: with nothing recorded (a first-order backward) it reads
x-hat and 1/std as constants; when the backward itself is recorded (`create_graph=True`),
it rebuilds them from x with ops, so second derivatives come out right.
`batch_norm_composite` (mean/var/mul ops only) is the oracle the tests compare against.
On CuPy, the training forward and the first-order backward are hand-written kernels
(cuda_kernels.py); on NumPy, compiled loops (cpu_kernels.py) for C-ordered and
batch-minor inputs.
"""

from __future__ import annotations

import string
from typing import Any

import numpy as np

from .. import threads
from ..autograd import Function, is_grad_enabled, no_grad
from ..backend import get_array_module
from ..errors import ShapeError, ValueRangeError
from ..tensor import Tensor
from . import cpu_kernels, cuda_kernels
from .activation import float_kernel
from .reduce import mean, reduce_sum, var
from .shape import reshape

# Batch norm's share of channels makes a dozen short NumPy calls per thread, and each hands
# the GIL between the threads: on (64, 128, 7, 7) two threads took 5.2-5.6 ms forward and
# backward, one 3.0-3.3 ms. It is split only from 4 M values up.
MIN_PARALLEL = 1 << 22


def _axes_and_shape(x_ndim: int, c: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Reduced axes (all but the channel axis 1) and the broadcast shape `(1, C, 1, ...)`."""
    axes = (0,) + tuple(range(2, x_ndim))
    return axes, (1, c) + (1,) * (x_ndim - 2)


class BatchNormTrain(Function):
    """y = (x - mean) / sqrt(var + eps) * weight + bias with batch statistics over every axis
    but 1: x `(N, C, ...)`, weight and bias `(C,)`, each optional (`has_weight`, `has_bias`)."""

    def __init__(self, eps: float, has_weight: bool, has_bias: bool) -> None:
        self.eps, self.has_weight, self.has_bias = eps, has_weight, has_bias

    def forward(self, x, *affine):
        xp = get_array_module(x)
        axes, shape = _axes_and_shape(x.ndim, x.shape[1])
        self.count = x.size // x.shape[1]
        kernels = (  # hand-written on CuPy, compiled loops on NumPy, where they apply
            cuda_kernels
            if cuda_kernels.handles(x, *affine)
            else cpu_kernels
            if cpu_kernels.batch_norm_handles(x, *affine)
            else None
        )
        if kernels is not None:
            weight = affine[0] if self.has_weight else None
            bias = affine[-1] if self.has_bias else None
            out = kernels.batch_norm_forward(x, weight, bias, self.eps)
            y, self.mean, self.var, invstd = out[:4]
            # CuPy's kernels return x-hat; the compiled loops none (see _xhat)
            self.xhat = out[4] if kernels is cuda_kernels else None
            self.invstd = invstd.reshape(shape)
            return y
        c = x.shape[1]
        xhat, y = xp.empty_like(x), xp.empty_like(x)  # x's memory order (batch-minor too)
        mu, v, inv = (xp.empty(shape, x.dtype) for _ in range(3))
        weight = affine[0].reshape(shape) if self.has_weight else None
        bias = affine[-1].reshape(shape) if self.has_bias else None

        def work(lo: int, hi: int) -> None:  # each channel is independent: a share per thread
            part, xh, out = x[:, lo:hi], xhat[:, lo:hi], y[:, lo:hi]
            m = mu[:, lo:hi]
            m[...] = _channel_sum(part).reshape(m.shape) / self.count
            xp.subtract(part, m, out=xh)
            v[:, lo:hi] = _channel_sum(xh, xh).reshape(m.shape) / self.count
            inv[:, lo:hi] = 1 / xp.sqrt(v[:, lo:hi] + self.eps)
            xh *= inv[:, lo:hi]
            if weight is None:
                out[...] = xh
            else:
                xp.multiply(xh, weight[:, lo:hi], out=out)
            if bias is not None:
                out += bias[:, lo:hi]

        threads.split(c, work, unit=self.count, xp=xp, min_size=MIN_PARALLEL)
        self.mean, self.var, self.invstd, self.xhat = mu.reshape(-1), v.reshape(-1), inv, xhat
        return y

    def backward(self, gy):
        x = self.inputs[0]
        axes, shape = _axes_and_shape(x.ndim, x.shape[1])
        recorded = is_grad_enabled()
        affine = [t._data for t in self.inputs[1:]]
        kept = self.xhat is not None
        if not recorded and kept and cuda_kernels.handles(gy._data, self.xhat, *affine):
            return self._backward_kernels(gy)
        if not recorded and cpu_kernels.batch_norm_handles(gy._data, x._data, *affine):
            return self._backward_kernels(gy, cpu_kernels)
        if not recorded and isinstance(gy._data, np.ndarray):
            return self._backward_numpy(gy._data)
        if recorded:
            # recorded backward: x-hat and 1/std must depend on x in the graph
            xhat, invstd = _normalize(x, axes, self.eps)
        else:
            xhat, invstd = Tensor._make(self._xhat(), False), Tensor._make(self.invstd, False)
        needs = self.needs_input_grad
        if recorded:
            gbias = reduce_sum(gy, axes)
            gweight = reduce_sum(gy * xhat, axes)
        else:
            gbias = Tensor._make(_channel_sum(gy._data), False)
            gweight = Tensor._make(_channel_sum(gy._data, self._xhat()), False)
        grads: list[Tensor | None] = [None]
        if self.has_weight:
            weight = self.inputs[1]
            grads.append(gweight if needs[1] else None)
            scale = reshape(weight, shape) * invstd
        else:
            scale = invstd
        if self.has_bias:
            grads.append(gbias if needs[-1] else None)
        if needs[0]:
            m = 1.0 / self.count
            grads[0] = (gy - reshape(gbias * m, shape) - xhat * reshape(gweight * m, shape)) * scale
        return tuple(grads)

    def _backward_numpy(self, gy: Any) -> tuple[Tensor | None, ...]:
        """The first-order backward on NumPy, channel by channel (a share of the channels
        per thread): the two sums, then gx = (gy - x-hat * gweight / n - gbias / n) * scale
        in place in one buffer, from x-hat (`_xhat`: kept, or worked out again) and 1/std."""
        needs = self.needs_input_grad
        c = gy.shape[1]
        shape = self.invstd.shape
        gbias, gweight = np.empty(c, gy.dtype), np.empty(c, gy.dtype)
        scale = self.invstd
        if self.has_weight:
            scale = self.inputs[1]._data.reshape(shape) * self.invstd
        gx = np.empty_like(gy) if needs[0] else None
        m = 1.0 / self.count
        xhat = self._xhat()

        def work(lo: int, hi: int) -> None:
            g, xh = gy[:, lo:hi], xhat[:, lo:hi]
            gb, gw = _channel_sum(g), _channel_sum(g, xh)
            gbias[lo:hi], gweight[lo:hi] = gb, gw
            if gx is not None:
                out, s = gx[:, lo:hi], scale[:, lo:hi]  # s: (1, hi - lo, 1, ...)
                np.multiply(xh, (gw * m).reshape(s.shape), out=out)
                np.subtract(g, out, out=out)
                out -= (gb * m).reshape(s.shape)
                out *= s

        threads.split(c, work, unit=self.count, min_size=MIN_PARALLEL)
        grads: list[Tensor | None] = [None if gx is None else Tensor._make(gx, False)]
        if self.has_weight:
            grads.append(Tensor._make(gweight, False) if needs[1] else None)
        if self.has_bias:
            grads.append(Tensor._make(gbias, False) if needs[-1] else None)
        return tuple(grads)

    def _xhat(self) -> Any:
        """The forward's x-hat: the one it kept, or, after the compiled loops (which keep
        none), worked out again from x: (x - mean) * invstd, the loops' two roundings in
        x's dtype, so the same values."""
        if self.xhat is None:
            x = self.inputs[0]._data
            self.xhat = (x - self.mean.reshape(self.invstd.shape)) * self.invstd
        return self.xhat

    def _backward_kernels(
        self, gy: Tensor, kernels: Any = cuda_kernels
    ) -> tuple[Tensor | None, ...]:
        """The first-order backward as fused kernels: cuda_kernels on CuPy, from the saved
        x-hat and 1/std; cpu_kernels (compiled loops) on NumPy, from x and the saved mean
        and 1/std."""
        needs = self.needs_input_grad
        weight = self.inputs[1]._data if self.has_weight else None
        if kernels is cuda_kernels:
            gx, gbias, gweight = kernels.batch_norm_backward(
                gy._data, self.xhat, self.invstd, weight, needs[0]
            )
        else:
            gx, gbias, gweight = kernels.batch_norm_backward(
                gy._data, self.inputs[0]._data, self.mean, self.invstd, weight, needs[0]
            )
        grads = [gx]
        if self.has_weight:
            grads.append(gweight if needs[1] else None)
        if self.has_bias:
            grads.append(gbias if needs[-1] else None)
        return tuple(None if g is None else Tensor._make(g, False) for g in grads)


def _channel_sum(a: Any, b: Any = None) -> Any:
    """Per-channel sum of a `(N, C, ...)` (or of a * b) -> `(C,)`: einsum's SIMD loop, about
    3x faster than `sum` over axes (0, 2, 3) and with no temporary for the product. On the
    arrays as they are, not reshaped to (N, C, rest): a transposed convolution's output is a
    cropped view of its padded buffer, whose trailing axes do not merge, and the reshape
    copied it (4.2 ms against 0.16 for the sum itself on (64, 64, 14, 14)); on arrays whose
    axes do merge, the two forms took the same time within 0.03 ms."""
    xp = get_array_module(a)
    axes = "nc" + _SPATIAL[: a.ndim - 2]  # (N, C), (N, C, H, W), ...
    if b is None:
        return xp.einsum(f"{axes}->c", a)
    return xp.einsum(f"{axes},{axes}->c", a, b)


_SPATIAL = "".join(ch for ch in string.ascii_letters if ch not in "nc")  # einsum's axis names


def _normalize(x: Tensor, axes: tuple[int, ...], eps: float) -> tuple[Tensor, Tensor]:
    """(x - mean) / sqrt(var + eps) and 1 / sqrt(var + eps), biased variance, with ops."""
    xc = x - mean(x, axes, keepdim=True)
    invstd = (mean(xc * xc, axes, keepdim=True) + eps) ** -0.5
    return xc * invstd, invstd


def check_momentum(op: str, momentum: Any) -> None:
    """PyTorch's argument parser's refusal of a momentum that is not a number (batch_norm,
    instance_norm)."""
    if momentum is None or isinstance(momentum, str):
        raise TypeError(
            f"{op}(): argument 'momentum' (position 7) must be float, not {type(momentum).__name__}"
        )


def check_running_pair(
    op: str, x: Tensor, running_mean: Any, running_var: Any, batch_stats: bool
) -> None:
    """PyTorch's refusal of one running statistic without the other where the batch's
    statistics are used (its kernel's: an empty input passes): the other would be tracked
    alone."""
    if batch_stats and x.numel() and (running_mean is None) != (running_var is None):
        missing = "running_var" if running_var is None else "running_mean"
        raise ValueError(
            f"{op}: running_mean and running_var must either both be None or neither be "
            f"None (got {missing}=None)"
        )


def _check(
    x: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None,
    bias: Tensor | None,
    training: bool,
) -> None:
    if x.ndim < 2:
        raise ValueError(f"batch_norm: expected an input (N, C, ...), got shape {x.shape}")
    c = x.shape[1]
    for name, t in (
        ("running_mean", running_mean),
        ("running_var", running_var),
        ("weight", weight),
        ("bias", bias),
    ):
        if t is not None and tuple(t.shape) != (c,):
            raise ShapeError(
                f"batch_norm: {name} of shape {t.shape} does not match the {c} channels of "
                f"the input of shape {x.shape}"
            )
    if training and x.numel() // max(c, 1) == 1:  # a batch of 0 passes, as in PyTorch
        raise ValueError(
            f"batch_norm: expected more than 1 value per channel when training, got input "
            f"of shape {x.shape}"
        )
    check_running_pair("batch_norm", x, running_mean, running_var, training)
    if not training and (running_mean is None or running_var is None):
        raise ValueRangeError("batch_norm: evaluation needs running_mean and running_var")
    if x.numel():  # an empty input passes, as PyTorch's (it never reaches its kernel)
        check_stats_not_differentiated(running_mean, running_var)


def check_stats_not_differentiated(running_mean: Tensor | None, running_var: Tensor | None) -> None:
    """Refuse running statistics that require grad while grad mode is on, as PyTorch's
    native_batch_norm: they are buffers, updated in place in training, so a gradient with
    respect to them (func.grad over functional_call's buffers) is refused, not computed."""
    if not is_grad_enabled():
        return
    for name, t in (("running_mean", running_mean), ("running_var", running_var)):
        if t is not None and t.requires_grad:
            raise RuntimeError(
                f"The function 'native_batch_norm' is not differentiable with respect to "
                f"argument '{name}'. This input cannot have requires_grad True."
            )


def _update_running(running: Tensor | None, batch: Any, momentum: float) -> None:
    """running = (1 - momentum) * running + momentum * batch, in place."""
    if running is None:
        return
    with no_grad():
        if running.dtype == np.float16 and batch.dtype != np.float16:
            # float16 stats: mixed in float32, rounded once (a batch variance of 9e4 fits
            # as 0.1 of it, not on its own)
            mixed = running._data.astype(batch.dtype) * (1 - momentum) + batch * momentum
            running.copy_(Tensor._make(mixed, False))
            return
        running.mul_(1 - momentum).add_(batch.astype(running.dtype, copy=False) * momentum)


def widen_half(t: Tensor | None) -> Tensor | None:
    """t widened to float32 when it is float16 (recorded: the gradient flows back), for a
    norm that PyTorch computes in float32 for half inputs (squares overflow float16)."""
    return t.float() if t is not None and t.dtype == np.float16 else t


def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Batch normalisation, as torch.nn.functional.batch_norm.

    x `(N, C)` or `(N, C, H, W)` (any `(N, C, ...)`); running stats, weight, bias `(C,)`.
    """
    x = input
    check_momentum("batch_norm", momentum)
    _check(x, running_mean, running_var, weight, bias, training)
    if training and not eps > 0:  # a batch of equal values would divide by zero
        raise ValueError(f"batch_norm: eps must be positive during training, but got {eps}")
    if x.numel():  # PyTorch has no integer kernel (an empty input passes through)
        float_kernel(x, "batch_norm")
    if x.numel() == 0:  # PyTorch: an empty output from the affine part alone, running
        # stats unchanged (and not in its graph, in evaluation too)
        _, shape = _axes_and_shape(x.ndim, x.shape[1])
        y = x * reshape(weight, shape) if weight is not None else x * 1.0
        return y + reshape(bias, shape) if bias is not None else y
    if training and x.dtype == np.float16:  # statistics in float32, as PyTorch's half path:
        # squares of float16 values overflow from 256 on
        y = batch_norm(
            x.float(),
            running_mean,
            running_var,
            widen_half(weight),
            widen_half(bias),
            True,
            momentum,
            eps,
        )
        return y.half()
    if training:
        fn = BatchNormTrain(eps, weight is not None, bias is not None)
        args = [t for t in (x, weight, bias) if t is not None]
        y = fn(*args)
        n = fn.count
        _update_running(running_mean, fn.mean, momentum)
        _update_running(running_var, fn.var * (n / (n - 1)), momentum)
        return y
    _, shape = _axes_and_shape(x.ndim, x.shape[1])
    scale = (running_var + eps) ** -0.5
    if weight is not None:
        scale = scale * weight
    shift = -running_mean * scale
    if bias is not None:
        shift = shift + bias
    y = x * reshape(scale, shape) + reshape(shift, shape)
    # a float16 input with float32 statistics: computed in float32, rounded back once
    return y.half() if x.dtype == np.float16 and y.dtype != np.float16 else y


def batch_norm_composite(
    x: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """`batch_norm` from mean/var/mul ops only: slower, kept as the test oracle."""
    _check(x, running_mean, running_var, weight, bias, training)
    axes, shape = _axes_and_shape(x.ndim, x.shape[1])
    if training:
        y, _ = _normalize(x, axes, eps)
        with no_grad():
            _update_running(running_mean, mean(x, axes)._data, momentum)
            _update_running(running_var, var(x, axes, correction=1)._data, momentum)
    else:
        y = (x - reshape(running_mean, shape)) * reshape((running_var + eps) ** -0.5, shape)
    if weight is not None:
        y = y * reshape(weight, shape)
    if bias is not None:
        y = y + reshape(bias, shape)
    return y


__all__ = ["BatchNormTrain", "batch_norm", "batch_norm_composite", "check_stats_not_differentiated"]
