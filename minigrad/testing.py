"""`minigrad.testing`, as `torch.testing`: `assert_close`, `make_tensor` and the deprecated
`assert_allclose`.

`assert_close` follows PyTorch's rules and messages: tensors (and NumPy arrays compared
with NumPy arrays) are close where `|actual - expected| <= atol + rtol * |expected|`, with
default tolerances by dtype; Python numbers, booleans and None have their own pairs;
sequences and mappings are compared item by item and a failure names the item
(`The failure occurred for item [1]['a']`). Messages print dtypes and shapes as minigrad
names them (`minigrad.float32`, `minigrad.Size([2])`) where PyTorch writes `torch.`.
"""

from __future__ import annotations

import cmath
import collections.abc
import contextlib
import math
import warnings
from collections.abc import Callable
from typing import Any, NoReturn

import numpy as np

from ._tensor_str import dtype_name
from .backend import as_numpy, default_float, normalize_device

__all__ = ["assert_allclose", "assert_close", "make_tensor"]

Msg = str | Callable[[str], str] | None  # assert_close's msg

# {dtype name: (rtol, atol)}, PyTorch's defaults; any other dtype compares exactly
_PRECISIONS = {
    "float16": (1e-3, 1e-5),
    "bfloat16": (1.6e-2, 1e-5),
    "float32": (1.3e-6, 1e-5),
    "float64": (1e-7, 1e-7),
    "complex64": (1.3e-6, 1e-5),
    "complex128": (1e-7, 1e-7),
}
_ALLCLOSE_PRECISIONS = {"float16": (1e-3, 1e-3), "float32": (1e-4, 1e-5), "float64": (1e-5, 1e-8)}
_NUMBER_DTYPES = {
    int: np.dtype(np.int64),
    float: np.dtype(np.float64),
    complex: np.dtype(np.complex128),
}
_REPORT = "this is a bug of minigrad.testing; please report it with the inputs above"


class _ErrorMeta(Exception):
    """A failure found while comparing: the exception type to raise, its message and the
    item's path in nested inputs."""

    def __init__(self, type: type[Exception], msg: str, *, id: tuple = ()) -> None:  # noqa: A002
        super().__init__(msg)
        self.type, self.msg, self.id = type, msg, id

    def to_error(self, msg: Msg = None) -> Exception:
        if not isinstance(msg, str):
            generated = self.msg
            if self.id:
                path = "".join(str([item]) for item in self.id)
                generated += f"\n\nThe failure occurred for item {path}"
            msg = msg(generated) if callable(msg) else generated
        return self.type(msg)


class _Unsupported(Exception):
    """A pair type does not handle these inputs: the next one is tried."""


def _tolerances(*dtypes: np.dtype, table: dict[str, tuple[float, float]] | None = None) -> tuple:
    """The loosest default (rtol, atol) of the dtypes."""
    table = table or _PRECISIONS
    pairs = [table.get(np.dtype(dt).name, (0.0, 0.0)) for dt in dtypes]
    return max(r for r, _ in pairs), max(a for _, a in pairs)


def _get_tolerances(*dtypes: np.dtype, rtol: Any, atol: Any, id: tuple) -> tuple:  # noqa: A002
    if (rtol is None) ^ (atol is None):
        missing = "rtol" if rtol is None else "atol"
        raise _ErrorMeta(
            ValueError,
            f"Both 'rtol' and 'atol' must be either specified or omitted, but got no {missing}.",
            id=id,
        )
    if rtol is not None:
        return rtol, atol
    return _tolerances(*dtypes)


def _mismatch_msg(
    what: str,
    extra: str,
    abs_diff: Any,
    abs_at: Any,
    atol: Any,
    rel_diff: Any,
    rel_at: Any,
    rtol: Any,
) -> str:
    """PyTorch's text: header, `extra`, then the absolute and relative differences (the
    greatest, with their index `*_at`, for tensors) and the allowed ones unless both
    tolerances are zero."""
    equality = rtol == 0 and atol == 0

    def line(kind: str, diff: Any, at: Any, tol: Any) -> str:
        if at is None:
            text = f"{kind.title()} difference: {diff}"
        else:
            text = f"Greatest {kind} difference: {diff} at index {at}"
        return text + ("" if equality else f" (up to {tol} allowed)") + "\n"

    msg = f"{what} are not {'equal' if equality else 'close'}!\n\n{extra}\n"
    msg += line("absolute", abs_diff, abs_at, atol) + line("relative", rel_diff, rel_at, rtol)
    return msg.strip()


def _scalar_mismatch_msg(actual: Any, expected: Any, *, rtol: Any, atol: Any) -> str:
    abs_diff = abs(actual - expected)
    rel_diff = float("inf") if expected == 0 else abs_diff / abs(expected)
    extra = f"Expected {expected} but got {actual}."
    return _mismatch_msg("Scalars", extra, abs_diff, None, atol, rel_diff, None, rtol)


def _tensor_mismatch_msg(
    actual: np.ndarray, expected: np.ndarray, matches: np.ndarray, *, rtol: Any, atol: Any
) -> str:
    """The statistics of the mismatches, computed in the dtypes PyTorch computes them in
    (integers as int64, their relative difference in the default float dtype)."""
    total = matches.size
    mismatches = total - int(np.count_nonzero(matches))
    extra = f"Mismatched elements: {mismatches} / {total} ({mismatches / total:.1%})"
    a, e, m = actual.reshape(-1), expected.reshape(-1), matches.reshape(-1)
    if a.dtype.kind not in "fc":
        a, e = a.astype(np.int64), e.astype(np.int64)
    with np.errstate(all="ignore"):
        abs_diff = np.abs(a - e)
        abs_diff[m] = 0
        divisor = np.abs(e)
        if abs_diff.dtype.kind in "iu":  # true division of integers: the default float dtype
            fdt = np.dtype(default_float())
            rel_diff = abs_diff.astype(fdt) / divisor.astype(fdt)
        else:
            rel_diff = abs_diff / divisor
    rel_diff[m] = 0
    abs_i, rel_i = int(np.argmax(abs_diff)), int(np.argmax(rel_diff))

    def where(flat: int) -> tuple[int, ...]:
        return tuple(int(i) for i in np.unravel_index(flat, matches.shape))

    return _mismatch_msg(
        "Tensor-likes",
        extra,
        abs_diff[abs_i].item(),
        where(abs_i),
        atol,
        rel_diff[rel_i].item(),
        where(rel_i),
        rtol,
    )


def _isclose(a: np.ndarray, e: np.ndarray, rtol: Any, atol: Any, equal_nan: bool) -> np.ndarray:
    """PyTorch's isclose: equal, or (finite difference) `|a - e| <= atol + rtol * |e|`,
    computed in the tensors' dtype (bool and integers in the default float dtype)."""
    if rtol < 0:
        raise ValueError(f"rtol must be greater than or equal to zero, but got {rtol}")
    if atol < 0:
        raise ValueError(f"atol must be greater than or equal to zero, but got {atol}")
    rtol, atol = float(rtol), float(atol)  # Python floats, as PyTorch takes doubles
    with np.errstate(all="ignore"):
        close = a == e
        if equal_nan and a.dtype.kind in "fc":
            close |= np.isnan(a) & np.isnan(e)
        if rtol == 0 and atol == 0:
            return close
        if a.dtype.kind not in "fc":
            fdt = np.dtype(default_float())
            a, e = a.astype(fdt), e.astype(fdt)
        allowed = atol + np.abs(rtol * e)
        error = np.abs(a - e)
        close |= np.isfinite(error) & (error <= allowed)
    return close


def _promote_types(a: np.dtype, b: np.dtype) -> np.dtype:
    """PyTorch's promote_types of two dtypes: the higher category (bool < integer < float <
    complex) wins with its own dtype (int64 with float32 is float32); within one category,
    NumPy's rule."""
    rank = {"b": 0, "i": 1, "u": 1, "f": 2, "c": 3}
    ra, rb = rank[a.kind], rank[b.kind]
    if ra == rb:
        return np.promote_types(a, b)
    low, high = (a, b) if ra < rb else (b, a)
    if high.kind == "c" and low.kind == "f":
        return np.promote_types(low, high)  # float64 with complex64 is complex128
    return high


class _Pair:
    """One leaf comparison; constructing raises `_Unsupported` for inputs it does not take."""

    _extra: tuple[str, ...] = ()  # the options shown by repr

    def __init__(self, actual: Any, expected: Any, *, id: tuple = (), **_: Any) -> None:  # noqa: A002
        self.actual, self.expected, self.id = actual, expected, id

    def _fail(self, type: type[Exception], msg: str) -> NoReturn:  # noqa: A002
        raise _ErrorMeta(type, msg, id=self.id)

    def compare(self) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        fields = [("id", self.id), ("actual", self.actual), ("expected", self.expected)]
        fields += [(k, getattr(self, k)) for k in self._extra]
        body = "".join(f"    {k}={v!s},\n" for k, v in fields)
        return f"{type(self).__name__}(\n{body})"


class _NonePair(_Pair):
    def __init__(self, actual: Any, expected: Any, **options: Any) -> None:
        if not (actual is None or expected is None):
            raise _Unsupported
        super().__init__(actual, expected, **options)

    def compare(self) -> None:
        if not (self.actual is None and self.expected is None):
            self._fail(AssertionError, f"None mismatch: {self.actual} is not {self.expected}")


class _BooleanPair(_Pair):
    def __init__(self, actual: Any, expected: Any, **options: Any) -> None:
        if not all(isinstance(v, bool | np.bool_) for v in (actual, expected)):
            raise _Unsupported
        super().__init__(bool(actual), bool(expected), **options)

    def compare(self) -> None:
        if self.actual is not self.expected:
            self._fail(AssertionError, f"Booleans mismatch: {self.actual} is not {self.expected}")


class _NumberPair(_Pair):
    """Python numbers (and NumPy scalars, as their Python values): int as int64, float as
    float64 and complex as complex128 for the default tolerances."""

    _extra = ("rtol", "atol", "equal_nan", "check_dtype")

    def __init__(
        self,
        actual: Any,
        expected: Any,
        *,
        id: tuple = (),  # noqa: A002
        rtol: Any = None,
        atol: Any = None,
        equal_nan: bool = False,
        check_dtype: bool = False,
        **options: Any,
    ) -> None:
        kinds = (int, float, complex, np.number)
        if not all(isinstance(v, kinds) for v in (actual, expected)):
            raise _Unsupported
        actual, expected = (v.item() if isinstance(v, np.number) else v for v in (actual, expected))
        super().__init__(actual, expected, id=id)
        # a bool against a number has no dtype here: PyTorch fails the same way (KeyError)
        dtypes = [_NUMBER_DTYPES[type(v)] for v in (actual, expected)]
        self.rtol, self.atol = _get_tolerances(*dtypes, rtol=rtol, atol=atol, id=id)
        self.equal_nan, self.check_dtype = equal_nan, check_dtype

    def compare(self) -> None:
        a, e = self.actual, self.expected
        if self.check_dtype and type(a) is not type(e):
            self._fail(AssertionError, f"The (d)types do not match: {type(a)} != {type(e)}.")
        if a == e:
            return
        if self.equal_nan and cmath.isnan(a) and cmath.isnan(e):
            return
        abs_diff = abs(a - e)
        if cmath.isfinite(abs_diff) and abs_diff <= self.atol + self.rtol * abs(e):
            return
        self._fail(AssertionError, _scalar_mismatch_msg(a, e, rtol=self.rtol, atol=self.atol))


class _Side:
    """A tensor-like as the comparison sees it: host array, dtype, shape, device, stride."""

    def __init__(self, value: Any) -> None:
        from .tensor import Tensor

        if isinstance(value, Tensor):
            data = value._data
            self.device, self.stride = value.device, value.stride()
        else:
            try:
                data = np.asarray(value)
            except Exception:  # anything NumPy can't take is not tensor-like
                raise _Unsupported from None
            if data.dtype.kind not in "biufc":
                raise _Unsupported
            self.device = "cpu"
            self.stride = tuple(s // data.itemsize for s in data.strides)
        self.array, self.dtype, self.shape = data, data.dtype, tuple(data.shape)

    def __repr__(self) -> str:
        return repr(self.array)


class _TensorLikePair(_Pair):
    """Tensors, or other tensor-likes of directly related types (two NumPy arrays)."""

    _extra = (
        "rtol",
        "atol",
        "equal_nan",
        "check_device",
        "check_dtype",
        "check_layout",
        "check_stride",
    )

    def __init__(
        self,
        actual: Any,
        expected: Any,
        *,
        id: tuple = (),  # noqa: A002
        allow_subclasses: bool = True,
        rtol: Any = None,
        atol: Any = None,
        equal_nan: bool = False,
        check_device: bool = True,
        check_dtype: bool = True,
        check_layout: bool = True,
        check_stride: bool = False,
        **options: Any,
    ) -> None:
        related = isinstance(actual, type(expected)) or isinstance(expected, type(actual))
        if not related or (not allow_subclasses and type(actual) is not type(expected)):
            raise _Unsupported
        super().__init__(_Side(actual), _Side(expected), id=id)
        self.rtol, self.atol = _get_tolerances(
            self.actual.dtype, self.expected.dtype, rtol=rtol, atol=atol, id=id
        )
        self.equal_nan, self.check_device, self.check_dtype = equal_nan, check_device, check_dtype
        self.check_layout, self.check_stride = check_layout, check_stride

    def _attribute(self, name: str, a: Any, e: Any) -> NoReturn:
        self._fail(AssertionError, f"The values for attribute '{name}' do not match: {a} != {e}.")

    def compare(self) -> None:
        from .tensor import Size

        a, e = self.actual, self.expected
        if a.shape != e.shape:
            self._attribute("shape", repr(Size(a.shape)), repr(Size(e.shape)))
        if self.check_stride and a.stride != e.stride:
            self._attribute("stride()", a.stride, e.stride)
        if self.check_device and a.device != e.device:
            self._attribute("device", a.device, e.device)
        if self.check_dtype and a.dtype != e.dtype:
            self._attribute("dtype", dtype_name(a.dtype), dtype_name(e.dtype))
        actual, expected = as_numpy(a.array), as_numpy(e.array)
        if actual.dtype != expected.dtype:
            # unsigned integers wider than a byte compare as int64, as PyTorch does
            wide = [np.int64 if d.kind == "u" and d.itemsize > 1 else d for d in (a.dtype, e.dtype)]
            dt = _promote_types(np.dtype(wide[0]), np.dtype(wide[1]))
            actual, expected = actual.astype(dt), expected.astype(dt)
        matches = _isclose(actual, expected, self.rtol, self.atol, self.equal_nan)
        if bool(np.all(matches)):
            return
        if actual.ndim == 0:
            msg = _scalar_mismatch_msg(
                actual.item(), expected.item(), rtol=self.rtol, atol=self.atol
            )
        else:
            msg = _tensor_mismatch_msg(actual, expected, matches, rtol=self.rtol, atol=self.atol)
        self._fail(AssertionError, msg)


_PAIR_TYPES = (_NonePair, _BooleanPair, _NumberPair, _TensorLikePair)


def _is_sequence(x: Any) -> bool:
    return isinstance(x, collections.abc.Sequence) and not isinstance(x, str)


def _originate(actual: Any, expected: Any, id: tuple, options: dict) -> list[_Pair]:  # noqa: A002
    """The leaf pairs of two possibly nested inputs, in order."""
    if _is_sequence(actual) and _is_sequence(expected):
        if len(actual) != len(expected):
            raise _ErrorMeta(
                AssertionError,
                f"The length of the sequences mismatch: {len(actual)} != {len(expected)}",
                id=id,
            )
        pairs = []
        for i in range(len(actual)):
            pairs += _originate(actual[i], expected[i], (*id, i), options)
        return pairs
    mapping = collections.abc.Mapping
    if isinstance(actual, mapping) and isinstance(expected, mapping):
        a_keys, e_keys = set(actual.keys()), set(expected.keys())
        if a_keys != e_keys:
            raise _ErrorMeta(
                AssertionError,
                "The keys of the mappings do not match:\n"
                f"Missing keys in the actual mapping: {sorted(e_keys - a_keys)}\n"
                f"Additional keys in the actual mapping: {sorted(a_keys - e_keys)}",
                id=id,
            )
        keys: Any = a_keys
        with contextlib.suppress(Exception):  # deterministic order where keys sort
            keys = sorted(keys)
        pairs = []
        for key in keys:
            pairs += _originate(actual[key], expected[key], (*id, key), options)
        return pairs
    for pair_type in _PAIR_TYPES:
        try:
            return [pair_type(actual, expected, id=id, **options)]
        except _Unsupported:
            continue
        except _ErrorMeta:
            raise
        except Exception as error:
            path = "".join(str([item]) for item in id)
            raise RuntimeError(
                f"Originating a {pair_type.__name__.lstrip('_')}() at item {path} with\n\n"
                f"{type(actual).__name__}(): {actual}\n\nand\n\n"
                f"{type(expected).__name__}(): {expected}\n\n"
                f"resulted in the unexpected exception above; {_REPORT}"
            ) from error
    raise _ErrorMeta(
        TypeError,
        f"No comparison pair was able to handle inputs of type {type(actual)} "
        f"and {type(expected)}.",
        id=id,
    )


def assert_close(
    actual: Any,
    expected: Any,
    *,
    allow_subclasses: bool = True,
    rtol: float | None = None,
    atol: float | None = None,
    equal_nan: bool = False,
    check_device: bool = True,
    check_dtype: bool = True,
    check_layout: bool = True,
    check_stride: bool = False,
    msg: Msg = None,
) -> None:
    """Assert that `actual` and `expected` are close, as `torch.testing.assert_close`.

    Tensors are close where `|actual - expected| <= atol + rtol * |expected|` elementwise
    (NaN only with `equal_nan`, infinities only when equal), with the same shape and, unless
    switched off, device, dtype and (with `check_stride`) stride. `rtol`/`atol` are given
    both or neither; left out they are the loosest of the dtypes' defaults: float16 1e-3 /
    1e-5, float32 1.3e-6 / 1e-5, float64 1e-7 / 1e-7, integers and bool 0 / 0. Two NumPy
    arrays compare as tensors; a tensor and an array, or a tensor and a number, are not
    directly related and raise TypeError. Python numbers compare as numbers (int, float and
    complex as int64, float64, complex128), booleans and None by identity, sequences and
    mappings item by item. A failure raises AssertionError with PyTorch's message (`msg`
    replaces it, or, called with it, returns the message to use)."""
    __tracebackhide__ = True
    options = dict(
        allow_subclasses=allow_subclasses,
        rtol=rtol,
        atol=atol,
        equal_nan=equal_nan,
        check_device=check_device,
        check_dtype=check_dtype,
        check_layout=check_layout,
        check_stride=check_stride,
    )
    try:
        pairs = _originate(actual, expected, (), options)
    except _ErrorMeta as meta:
        raise meta.to_error() from None
    for pair in pairs:
        try:
            pair.compare()
        except _ErrorMeta as meta:
            raise meta.to_error(msg) from None
        except Exception as error:
            raise RuntimeError(
                f"Comparing\n\n{pair!r}\n\nresulted in the unexpected exception above; {_REPORT}"
            ) from error


def assert_allclose(
    actual: Any,
    expected: Any,
    rtol: float | None = None,
    atol: float | None = None,
    equal_nan: bool = True,
    msg: str = "",
) -> None:
    """PyTorch's deprecated `assert_allclose` (FutureWarning): inputs become tensors
    (`expected` in `actual`'s dtype), dtypes may differ, NaN equals NaN, and the default
    tolerances are looser (float32 1e-4 / 1e-5, float64 1e-5 / 1e-8)."""
    from .tensor import Tensor, tensor

    warnings.warn(
        "`minigrad.testing.assert_allclose()` is deprecated since 1.12 and will be removed in "
        "a future release. Please use `minigrad.testing.assert_close()` instead.",
        FutureWarning,
        stacklevel=2,
    )
    if not isinstance(actual, Tensor):
        actual = tensor(actual)
    if not isinstance(expected, Tensor):
        expected = tensor(expected, dtype=actual.dtype)
    if rtol is None and atol is None:
        rtol, atol = _tolerances(actual.dtype, expected.dtype, table=_ALLCLOSE_PRECISIONS)
    assert_close(
        actual,
        expected,
        rtol=rtol,
        atol=atol,
        equal_nan=equal_nan,
        check_device=True,
        check_dtype=False,
        check_stride=False,
        msg=msg or None,
    )


def _low_high(
    dtype: np.dtype, low: Any, high: Any, lowest: Any, highest: Any, default: tuple
) -> tuple:
    """`low`/`high` (defaults when None) checked and clamped to [lowest, highest); for
    bool and integers both are rounded up (high is exclusive)."""
    low = default[0] if low is None else low
    high = default[1] if high is None else high
    if any(isinstance(v, float) and math.isnan(v) for v in (low, high)):
        raise ValueError(f"`low` and `high` cannot be NaN, but got low={low} and high={high}")
    if low == high and dtype.kind in "fc":
        warnings.warn(
            "Passing `low==high` to `minigrad.testing.make_tensor` for floating or complex "
            "types is deprecated since 2.1 and will be removed in 2.3. Use "
            "`minigrad.full(...)` instead.",
            FutureWarning,
            stacklevel=3,
        )
    elif low >= high:
        raise ValueError(f"`low` must be less than `high`, but got {low} >= {high}")
    elif high < lowest or low >= highest:
        raise ValueError(
            f"The value interval specified by `low` and `high` is [{low}, {high}), "
            f"but {dtype_name(dtype)} only supports [{lowest}, {highest})"
        )
    low, high = min(max(low, lowest), highest), min(max(high, lowest), highest)
    if dtype.kind in "biu":
        return math.ceil(low), math.ceil(high)
    return low, high


def _uniform(gen: Any, low: float, high: float, shape: tuple, dtype: np.dtype) -> Any:
    """Uniform draws in [low, high) of a float dtype, drawn in float64 (NumPy draws no
    float16) and halved first where high - low would overflow the dtype."""
    if high - low >= float(np.finfo(dtype).max):
        return (gen.uniform(low / 2, high / 2, size=shape) * 2).astype(dtype)
    return gen.uniform(low, high, size=shape).astype(dtype)


def make_tensor(
    *shape: Any,
    dtype: Any,
    device: Any,
    low: float | None = None,
    high: float | None = None,
    requires_grad: bool = False,
    noncontiguous: bool = False,
    exclude_zero: bool = False,
    memory_format: Any = None,
) -> Any:
    """A tensor of `shape` filled with values drawn uniformly from [low, high), as
    `torch.testing.make_tensor` (the draws are minigrad's generator's). Defaults: bool
    [0, 2), unsigned [0, 10), signed integers [-9, 10), floating and complex [-9, 9);
    bounds beyond the dtype's range are clamped to it. `noncontiguous` returns a strided
    view (of a tensor twice as wide in the last dim), `exclude_zero` replaces zeros by 1
    (bool, integers) or the dtype's smallest normal number; `memory_format` lays the
    result out so (`minigrad.channels_last`, ...)."""
    from . import random
    from .tensor import Tensor

    if len(shape) == 1 and isinstance(shape[0], collections.abc.Sequence):
        shape = shape[0]
    shape = tuple(int(s) for s in shape)
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt is None or dt.kind not in "biufc" or (dt.kind == "f" and dt.itemsize < 2):
        raise TypeError(
            f"The requested dtype '{dtype}' is not supported by minigrad.testing.make_tensor()."
        )
    if noncontiguous and memory_format is not None:
        raise ValueError(
            "The parameters `noncontiguous` and `memory_format` are mutually exclusive, but "
            f"got noncontiguous={noncontiguous} and memory_format={memory_format}"
        )
    if requires_grad and dt.kind in "biu":
        raise ValueError(
            "`requires_grad=True` is not supported for boolean and integral dtypes, but got "
            f"dtype={dtype_name(dt)}"
        )
    device = normalize_device(device)
    noncontiguous = noncontiguous and math.prod(shape) > 1
    if noncontiguous:  # twice as wide, so the view skips values that differ
        shape = (*shape[:-1], 2 * shape[-1])
    gen = random.generator(device)
    if dt.kind == "b":
        low, high = _low_high(dt, low, high, 0, 2, (0, 2))
        data = gen.integers(low, high, size=shape).astype(dt)
    elif dt.kind in "iu":
        info = np.iinfo(dt)
        # the int64 bound stays below 2**63 - 1, as PyTorch's (its randint can't draw it)
        top = info.max + (1 if dt != np.int64 else 0)
        low, high = _low_high(dt, low, high, info.min, top, (-9, 10))
        data = gen.integers(low, high, size=shape, dtype=dt)
    else:
        info = np.finfo(dt)
        low, high = _low_high(dt, low, high, float(info.min), float(info.max), (-9, 9))
        if dt.kind == "c":
            part = np.dtype(f"f{dt.itemsize // 2}")
            real, imag = (_uniform(gen, low, high, shape, part) for _ in range(2))
            data = (real + 1j * imag).astype(dt)
        else:
            data = _uniform(gen, low, high, shape, dt)
    if noncontiguous:
        data = data[..., 1::2]  # offset by one, to catch offset bugs too
    if exclude_zero:
        data[data == 0] = 1 if dt.kind in "biu" else np.finfo(dt).tiny
    result = Tensor._make(data, False)
    if memory_format is not None:
        result = result.contiguous(memory_format=memory_format)
    if dt.kind in "fc":
        result.requires_grad = bool(requires_grad)
    return result
