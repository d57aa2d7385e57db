"""Parameter initialisers, as `torch.nn.init`: each fills a tensor in place (outside the
graph, bumping its version) with numbers from `minigrad.random` on the tensor's device, and
returns it. The tensor may be a Tensor, what `.data` returns, or a NumPy/CuPy array, so
DCGAN's `normal_(m.weight.data, 0.0, 0.02)` runs as written."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import random
from ..backend import as_numpy, device_of, get_array_module
from ..errors import Unsupported, warn_user
from ..tensor import Tensor, fill_value

__all__ = [
    "calculate_gain",
    "constant_",
    "dirac_",
    "eye_",
    "kaiming_normal_",
    "kaiming_uniform_",
    "normal_",
    "ones_",
    "orthogonal_",
    "sparse_",
    "trunc_normal_",
    "uniform_",
    "xavier_normal_",
    "xavier_uniform_",
    "zeros_",
]

_LINEAR = (
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "sigmoid",
)


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The gain PyTorch recommends for an activation (e.g. sqrt(2) for relu). The linear,
    conv and sigmoid ones are the int 1, as PyTorch returns; the others are floats."""
    if nonlinearity in _LINEAR:
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, int | float) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"calculate_gain: negative_slope {param!r} is not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def _calculate_fan_in_and_fan_out(t: Tensor) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight: (out, in) for linear, (out, in, k...) for conv."""
    shape = tuple(t.shape)
    if len(shape) < 2:
        raise ValueError(
            f"fan in and fan out need a tensor with at least 2 dims, got shape {shape}"
        )
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def _calculate_correct_fan(t: Tensor, mode: str) -> int:
    """fan_in or fan_out of `t`; `mode` in any case ('FAN_OUT'), as PyTorch lower-cases it."""
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of ['fan_in', 'fan_out']")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(t)
    return fan_in if mode == "fan_in" else fan_out


def _array(t: Any, name: str) -> Any:
    """The storage an initialiser writes to: a Tensor's array, or the array itself."""
    if isinstance(t, Tensor):
        return t._data
    if hasattr(t, "__array_namespace__") or isinstance(t, np.ndarray):
        return t
    raise TypeError(f"init.{name}: expected a Tensor or an array, got {type(t).__name__}")


def _write(t: Any, values: Any, name: str) -> Any:
    """Overwrite t's elements outside the graph and bump its version."""
    _array(t, name)[...] = values
    if isinstance(t, Tensor):
        t._version += 1
    return t


def _draw(t: Any, name: str) -> tuple[tuple[int, ...], Any, str]:
    """Shape, draw dtype and device for filling t. The generators draw float32/float64
    only; other float dtypes are cast on write."""
    a = _array(t, name)
    if a.dtype.kind != "f":
        raise Unsupported(f"init.{name}: random fill needs a float tensor, got {a.dtype}")
    dtype = a.dtype if a.dtype in (np.float32, np.float64) else np.float32
    return a.shape, dtype, device_of(a)


def uniform_(t: Tensor, a: float = 0.0, b: float = 1.0, generator: Any = None) -> Tensor:
    """Fill with U(a, b) (from `generator` when given: an mg.Generator)."""
    random.check_uniform_range(a, b)
    shape, dtype, device = _draw(t, "uniform_")
    if _array(t, "uniform_").dtype == np.float16:  # so that b, excluded, stays out
        dtype = np.float16
    return _write(t, random.uniform(a, b, shape, dtype, device, generator), "uniform_")


def normal_(t: Tensor, mean: float = 0.0, std: float = 1.0, generator: Any = None) -> Tensor:
    """Fill with N(mean, std^2)."""
    if not float(std) >= 0:  # a negative or NaN std drew as its absolute value
        raise RuntimeError(f"normal_: expects std >= 0.0, but found std {std}")
    x = random.randn(*_draw(t, "normal_"), generator)
    if std != 1.0:
        x *= std
    if mean != 0.0:
        x += mean
    return _write(t, x, "normal_")


def constant_(t: Tensor, val: float) -> Tensor:
    """Fill with `val` (a number or a 0-d tensor), refusing one the dtype cannot hold
    (1e10 in float16 would fill inf), as PyTorch's, which fills through `fill_`."""
    dtype = _array(t, "constant_").dtype
    val = fill_value("init.constant_", val, dtype)
    if isinstance(val, Tensor):
        val = val._data
    return _write(t, val, "constant_")


def zeros_(t: Tensor) -> Tensor:
    return _write(t, 0, "zeros_")


def ones_(t: Tensor) -> Tensor:
    return _write(t, 1, "ones_")


def xavier_uniform_(t: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    """U(-a, a) with a = gain sqrt(6 / (fan_in + fan_out)) (Glorot and Bengio, 2010)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(t)
    a = math.sqrt(3.0) * gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return uniform_(t, -a, a, generator)


def xavier_normal_(t: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    """N(0, std^2) with std = gain sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(t)
    return normal_(t, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)), generator)


def kaiming_uniform_(
    t: Tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: Any = None,
) -> Tensor:
    """U(-b, b) with b = gain sqrt(3 / fan) (He et al., 2015); `a` is the leaky slope."""
    if 0 in t.shape:
        warn_user("Initializing zero-element tensors is a no-op")  # PyTorch's warning
        return t
    std = calculate_gain(nonlinearity, a) / math.sqrt(_calculate_correct_fan(t, mode))
    bound = math.sqrt(3.0) * std
    return uniform_(t, -bound, bound, generator)


def kaiming_normal_(
    t: Tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: Any = None,
) -> Tensor:
    """N(0, std^2) with std = gain / sqrt(fan)."""
    if 0 in t.shape:
        warn_user("Initializing zero-element tensors is a no-op")  # PyTorch's warning
        return t
    std = calculate_gain(nonlinearity, a) / math.sqrt(_calculate_correct_fan(t, mode))
    return normal_(t, 0.0, std, generator)


def trunc_normal_(
    t: Tensor,
    mean: float = 0.0,
    std: float = 1.0,
    a: float = -2.0,
    b: float = 2.0,
    generator: Any = None,
) -> Tensor:
    """Fill with N(mean, std^2) truncated to [a, b], exactly, by PyTorch's two rejection
    samplers: where [a, b] holds more than 0.3 of the mass, normal draws outside it are
    redrawn; else uniform draws on [a, b] are kept with probability pdf(x) / max pdf on
    [a, b]. Each round redraws only the elements still pending."""
    if mean < a - 2 * std or mean > b + 2 * std:
        warn_user(
            "mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
            "The distribution of values may be incorrect."
        )
    mass = _norm_cdf((b - mean) / std) - _norm_cdf((a - mean) / std)
    shape, dtype, device = _draw(t, "trunc_normal_")
    n = math.prod(shape)
    if mass > 0.3:
        # the bounds in the draw dtype, so that a kept value is one the check let through
        lo, hi = np.dtype(dtype).type(a), np.dtype(dtype).type(b)

        def propose(k: int) -> Any:
            return random.randn((k,), dtype, device, generator) * std + mean

        def keep(x: Any) -> Any:  # PyTorch's test, whose NaN (a NaN mean's) is kept
            return ~((x < lo) | (x > hi))
    else:
        # also what PyTorch's uniform_ refuses here: a > b, infinite bounds
        random.check_uniform_range(a, b)
        mode = max(a, min(mean, b))
        log_peak = -0.5 * ((mode - mean) / std) ** 2

        def propose(k: int) -> Any:
            return random.uniform(a, b, (k,), dtype, device, generator)

        def keep(x: Any) -> Any:
            log_u = get_array_module(x).log(random.rand((x.size,), dtype, device, generator))
            return ~(log_u > -0.5 * ((x - mean) / std) ** 2 - log_peak)

    x = propose(n)
    xp = get_array_module(x)
    pending = xp.flatnonzero(~keep(x))
    while pending.size:
        y = propose(pending.size)
        ok = keep(y)
        x[pending[ok]] = y[ok]
        pending = pending[~ok]
    return _write(t, x.reshape(shape), "trunc_normal_")


def _norm_cdf(x: float) -> float:
    return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0


def orthogonal_(t: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    """Fill with a (semi-)orthogonal matrix (rows, numel / rows) from the QR decomposition of
    a normal draw, signs fixed by R's diagonal, times `gain` (Saxe et al., 2013)."""
    a = _array(t, "orthogonal_")
    if a.ndim < 2:
        raise ValueError("init.orthogonal_: only tensors with 2 or more dimensions are supported")
    if a.size == 0:
        return t
    if a.dtype not in (np.float32, np.float64):  # PyTorch's QR takes no half precision
        raise Unsupported(f"init.orthogonal_: QR is not implemented for {a.dtype} tensors")
    rows = a.shape[0]
    cols = a.size // rows
    shape, dtype, device = _draw(t, "orthogonal_")
    flat = as_numpy(random.randn((rows, cols), dtype, device, generator)).astype(np.float64)
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    q = get_array_module(a).asarray((q * gain).reshape(shape).astype(a.dtype))
    return _write(t, q, "orthogonal_")


def sparse_(t: Tensor, sparsity: float, std: float = 0.01, generator: Any = None) -> Tensor:
    """Fill a 2-D tensor with N(0, std^2) and zero `ceil(sparsity * rows)` random rows of each
    column (Martens, 2010)."""
    a = _array(t, "sparse_")
    if a.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rows, cols = a.shape
    # the length of PyTorch's `randperm(rows)[:num_zeros]` (a negative count slices from the end)
    num_zeros = len(range(rows)[: math.ceil(sparsity * rows)])
    normal_(t, 0.0, std, generator)
    if num_zeros and cols:
        # each column's first num_zeros rows of a random permutation: one argsort, no loop
        keys = random.rand((rows, cols), np.float64, device_of(a), generator)
        zero_rows = get_array_module(a).argsort(keys, axis=0)[:num_zeros]
        a[zero_rows, get_array_module(a).arange(cols)] = 0
    return t


def eye_(tensor: Tensor) -> Tensor:
    """Fill a 2-D tensor with the identity (ones on the diagonal of a rectangle too), so a
    Linear layer passes as many inputs through as it can."""
    a = _array(tensor, "eye_")
    if a.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    return _write(tensor, get_array_module(a).eye(*a.shape, dtype=a.dtype), "eye_")


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """Fill a 3-, 4- or 5-D conv weight (OC, C, *K) with the Dirac delta: output channel
    d of each of `groups` groups is input channel d at the kernel's centre, so the conv
    passes its input through (as many channels as fit)."""
    a = _array(tensor, "dirac_")
    if a.ndim not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    if a.shape[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    xp = get_array_module(a)
    per_group = a.shape[0] // groups
    d = xp.arange(min(per_group, a.shape[1]))
    out = (xp.arange(groups).reshape(-1, 1) * per_group + d).reshape(-1)
    centre = tuple(n // 2 for n in a.shape[2:])
    values = xp.zeros(a.shape, dtype=a.dtype)
    values[(out, xp.tile(d, groups)) + centre] = 1
    return _write(tensor, values, "dirac_")


def _deprecated(fill: Any) -> Any:
    """PyTorch's old name without the underscore: the same fill, with its FutureWarning."""
    old = fill.__name__[:-1]

    def deprecated_fill(*args: Any, **kwargs: Any) -> Any:
        warn_user(f"nn.init.{old} is deprecated in favour of nn.init.{old}_", FutureWarning)
        return fill(*args, **kwargs)

    deprecated_fill.__name__ = deprecated_fill.__qualname__ = old
    deprecated_fill.__doc__ = f"Deprecated: `{fill.__name__}` under its old name."
    return deprecated_fill


uniform = _deprecated(uniform_)
normal = _deprecated(normal_)
constant = _deprecated(constant_)
xavier_uniform = _deprecated(xavier_uniform_)
xavier_normal = _deprecated(xavier_normal_)
kaiming_uniform = _deprecated(kaiming_uniform_)
kaiming_normal = _deprecated(kaiming_normal_)
orthogonal = _deprecated(orthogonal_)
sparse = _deprecated(sparse_)
eye = _deprecated(eye_)
dirac = _deprecated(dirac_)
