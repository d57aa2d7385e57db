"""Random draws shaped by tensors, as PyTorch names them: normal, bernoulli, multinomial
and the in-place fills bernoulli_, random_ and exponential_. Every draw comes from
`minigrad.random`'s generator (so `mg.manual_seed` repeats it), or from `generator=` when
one is given (a minigrad.Generator or a numpy.random.Generator). The results are outside
the graph; the numbers are not PyTorch's for the same seed."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import random
from ..backend import default_float, get_array_module, normalize_device
from ..tensor import (
    Tensor,
    _is_int,
    _to_array,
    _type_name,
    check_random_bounds,
    check_random_dtype,
)


def _gen(generator: Any, device: str) -> Any:
    return random.generator(device, generator)


def _float_draw(gen: Any, shape: tuple, dtype: Any, kind: str) -> Any:
    dt = np.dtype(dtype)
    draw_dt = dt if dt in (np.float32, np.float64) else np.dtype(np.float32)
    if kind == "normal":
        arr = gen.standard_normal(shape, dtype=draw_dt)
    else:
        arr = gen.random(shape, dtype=draw_dt)
    return arr.astype(dt, copy=False)


def _number(v: Any) -> bool:
    return isinstance(v, int | float | np.number) and not isinstance(v, bool)


def normal(
    mean: Any = 0.0,
    std: Any = 1.0,
    size: Any = None,
    *,
    generator: Any = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Draws from N(mean, std^2): tensor means and/or stds broadcast together (their float
    dtype kept), or two numbers with a `size` (the default float unless `dtype`). std must be >= 0.
    The result is a new tensor outside the graph (PyTorch gives mean and std zero
    gradients)."""
    tm, ts = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not tm and not ts:
        if size is None:
            raise TypeError("normal: with a float mean and std, pass size")
        if not float(std) >= 0:  # NaN too
            raise RuntimeError(f"normal: expects std >= 0.0, but found std {std}")
        shape = (int(size),) if _number(size) else tuple(int(s) for s in size)
        dev = normalize_device(device or "cpu")
        dt = np.dtype(default_float() if dtype is None else dtype)
        if dt.kind not in "fc":  # draws truncated to integers, as PyTorch refuses them
            raise NotImplementedError(
                f"normal: draws from N({mean}, {std}**2) as dtype {dt} (PyTorch's "
                f'"normal_kernel_cpu" is not implemented for it): ask for a float dtype'
            )
        eps = _float_draw(_gen(generator, dev), shape, dt, "normal")
        out = (eps * dt.type(std) + dt.type(mean)).astype(dt, copy=False)
        return Tensor(out, requires_grad=requires_grad)
    ref = mean if tm else std
    for name, v in (("mean", mean), ("std", std)):
        if isinstance(v, Tensor) and v.dtype.kind != "f":
            raise RuntimeError(f"normal: expects a floating-point {name} tensor, got {v.dtype}")
    m = mean._data if tm else mean
    s = std._data if ts else std
    xp = get_array_module(ref._data)
    if bool(xp.any(~(xp.asarray(s) >= 0))):  # negative or NaN
        raise RuntimeError(f"normal: expects all elements of std >= 0.0, got {s}")
    if tm and ts:
        try:
            shape = tuple(np.broadcast_shapes(mean.shape, std.shape))
        except ValueError:
            raise RuntimeError(
                f"normal: mean of shape {mean.shape} and std of shape {std.shape} do not broadcast"
            ) from None
        dt = mean.dtype  # PyTorch's: the mean's dtype, whatever std's (not the promoted one)
    else:
        shape, dt = ref.shape, ref.dtype
    eps = _float_draw(_gen(generator, ref.device), shape, dt, "normal")
    xp = get_array_module(ref._data)
    out = eps * xp.asarray(s, dtype=dt) + xp.asarray(m, dtype=dt)
    return Tensor._make(out.astype(dt, copy=False), False)


def _probabilities(p: Any, op: str) -> None:
    xp = get_array_module(p)
    if p.size and (bool(xp.any(p < 0)) or bool(xp.any(p > 1)) or bool(xp.any(xp.isnan(p)))):
        raise RuntimeError(f"{op}: expected all probabilities in [0, 1], got {p}")


def bernoulli(input: Tensor, p: Any = None, *, generator: Any = None) -> Tensor:  # noqa: A002
    """0/1 draws, 1 with probability `input` (each element, in [0, 1]); with `p` given, with
    probability p everywhere and input's shape. The result has input's dtype."""
    if not isinstance(input, Tensor):
        raise TypeError(f"bernoulli: expected a Tensor, got {type(input).__name__}")
    out = Tensor._make(get_array_module(input._data).zeros(input.shape, input.dtype), False)
    if p is None:
        if input.dtype.kind != "f":
            raise RuntimeError(f"bernoulli: expects a floating-point tensor, got {input.dtype}")
        p = input
    return bernoulli_fill(out, p, generator, "bernoulli")


def bernoulli_fill(t: Tensor, p: Any, generator: Any, op: str) -> Tensor:
    """Write 0/1 draws with probability p (a number or a tensor broadcast to t) into t."""
    xp = get_array_module(t._data)
    pa = p._data if isinstance(p, Tensor) else xp.asarray(_to_array(p))
    _probabilities(pa, op)
    try:
        np.broadcast_shapes(tuple(pa.shape), t.shape)
    except ValueError:
        raise RuntimeError(
            f"{op}: p of shape {tuple(pa.shape)} does not broadcast to the shape {t.shape}"
        ) from None
    u = _gen(generator, t.device).random(t.shape, dtype=np.float64)
    t._data[...] = (u < pa).astype(t.dtype)
    return t


def multinomial(
    input: Tensor,  # noqa: A002
    num_samples: int,
    replacement: bool = False,
    *,
    generator: Any = None,
) -> Tensor:
    """`num_samples` category indices (int64) per row of the 1-D or 2-D non-negative
    `input` weights (normalised per row). Without replacement each category appears at
    most once (a weighted draw without replacement: Gumbel top-k), and a zero weight only
    once every nonzero one is drawn."""
    if not isinstance(input, Tensor):
        raise TypeError(f"multinomial: expected a Tensor, got {type(input).__name__}")
    if not _is_int(num_samples):
        raise TypeError(f"multinomial(): argument 'num_samples' must be int, got {num_samples!r}")
    if input.ndim not in (1, 2):
        raise RuntimeError(f"multinomial: prob_dist must be 1 or 2 dim, got shape {input.shape}")
    if input.dtype.kind != "f":
        raise RuntimeError(
            f"multinomial: only floating-point dtypes are supported, got {input.dtype}"
        )
    k = int(num_samples)
    if k <= 0:
        raise RuntimeError(f"multinomial: cannot sample n_sample <= 0 samples, got {k}")
    n = input.shape[-1]
    if not replacement and k > n:  # (before the reshape below, which an empty input fails)
        raise RuntimeError(
            f"multinomial: cannot sample n_sample ({k}) > prob_dist.size(-1) ({n}) samples "
            "without replacement"
        )
    if n == 0:
        raise RuntimeError("multinomial: the input has no categories (its last dim is 0)")
    w = input._data.astype(np.float64).reshape(-1, n)
    xp = get_array_module(w)
    if bool(xp.any(~xp.isfinite(w))) or bool(xp.any(w < 0)):
        raise RuntimeError(
            "multinomial: probability tensor contains either inf, nan or element < 0"
        )
    total = w.sum(axis=1, keepdims=True)
    if bool(xp.any(total <= 0)):
        raise RuntimeError(
            "multinomial: invalid multinomial distribution (sum of probabilities <= 0)"
        )
    gen = _gen(generator, input.device)
    rows = w.shape[0]
    if replacement:
        cdf = xp.cumsum(w / total, axis=1)
        cdf[:, -1] = 1.0
        u = gen.random((rows, k))
        # one global search: row r's cdf shifted by r, so rows never mix
        offs = xp.arange(rows, dtype=np.float64)[:, None]
        idx = xp.searchsorted((cdf + offs).reshape(-1), (u + offs).reshape(-1), side="right")
        idx = idx.reshape(rows, k) - xp.arange(rows)[:, None] * n
        idx = xp.minimum(idx, n - 1)
    else:
        with np.errstate(divide="ignore"):
            keys = xp.log(gen.random((rows, n))) / w
            keys = xp.where(w > 0, keys, -np.inf)  # a zero weight after every other
        # zero weights drawn last (when more samples are asked for than there are nonzero
        # weights), from the highest index down: PyTorch 2.13 draws them last too, but which
        # of them it picks follows its top-k's order of ties, not this
        idx = n - 1 - xp.argsort(-keys[:, ::-1], axis=1, kind="stable")[:, :k]
    idx = idx.astype(np.int64)
    return Tensor._make(idx.reshape(input.shape[:-1] + (k,)), False)


def random_fill(t: Tensor, args: tuple, to: Any, generator: Any) -> Tensor:
    """`t.random_(from, to)` / `t.random_(to)` / `t.random_()`: integers drawn uniformly from
    [from, to); without `to`, up to the dtype's largest value (2^mantissa inclusive for
    floats, as PyTorch)."""
    if len(args) > 2:
        raise TypeError(f"random_: takes at most 2 positional arguments, got {len(args)}")
    lo, hi = 0, to
    if len(args) == 2:
        lo, hi = args
    elif len(args) == 1:
        if to is None:
            hi = args[0]
        else:
            lo = args[0]
    dt = t.dtype
    if dt.kind not in "biuf":  # complex: np.iinfo below raised NumPy's ValueError
        if hi is None:  # PyTorch's kernel for the full range has no complex form
            raise NotImplementedError(
                f"random_: \"random_kernel_cpu\" not implemented for '{_type_name(dt)}'"
            )
        check_random_dtype("random_", dt)
    endpoint = False
    if hi is None:
        endpoint = True
        if dt.kind == "b":
            hi = 1
        elif dt.kind == "f":
            hi = 2 ** (np.finfo(dt).nmant + 1)
        else:
            hi = int(np.iinfo(dt).max)
    lo, hi = int(lo), int(hi)
    if (hi < lo) if endpoint else (hi <= lo):
        raise RuntimeError(f"random_: expects 'from' < 'to', got from={lo} >= to={hi}")
    check_random_bounds("random_", lo, hi if endpoint else hi - 1, dt)
    draws = _gen(generator, t.device).integers(lo, hi, size=t.shape, endpoint=endpoint)
    t._data[...] = draws.astype(dt)
    return t


def exponential_fill(t: Tensor, lambd: float, generator: Any) -> Tensor:
    """Draws from Exp(lambd) (density lambd exp(-lambd x)) written into a float tensor."""
    if t.dtype.kind != "f":
        raise RuntimeError(f"exponential_: expects a floating-point tensor, got {t.dtype}")
    if not lambd > 0:
        raise RuntimeError(f"exponential_: expects lambd > 0.0, but found lambd={lambd}")
    draw = _gen(generator, t.device).standard_exponential(t.shape, dtype=np.float64)
    t._data[...] = (draw / lambd).astype(t.dtype)
    return t


__all__ = ["bernoulli", "multinomial", "normal"]
