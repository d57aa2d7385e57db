"""How a tensor prints: `repr(t)`, `str(t)` and `print(t)` write what PyTorch writes.

The rules are PyTorch's (torch/_tensor_str.py), rewritten on NumPy arrays:

* One formatter per tensor (two for complex: real parts and imaginary parts) looks at
  the nonzero finite values it will show and picks a mode. Integer dtypes and bool
  print as Python prints them. Floats whose values are all whole print in *integer
  mode* (`1.`, `-0.`); otherwise *fixed* (`0.1000`) with `precision` decimals; and
  *scientific* (`1.2346e+02`) when asked (`sci_mode=True`), or, with `sci_mode=None`,
  when the largest |value| over the smallest exceeds 1000, the largest exceeds 1e8 or
  the smallest is below 1e-4. Every entry is right-aligned to the widest one (nan,
  inf and zeros do not count towards that width).
* Rows wrap so a line holds `(linewidth - indent) // (width + 2)` entries; continuation
  lines are indented under the first entry, past `tensor(`.
* Above `threshold` elements the tensor is summarised: along every dimension longer
  than `2 * edgeitems` only the first and last `edgeitems` entries print, with `...`
  between them. The summary is taken before anything is formatted, so printing a
  large tensor costs only the entries it shows.
* Nested dimensions print as nested brackets, separated by `ndim - 1` newlines.
* Suffixes follow, in PyTorch's order: `device='cuda:0'` (GPU tensors), `size=` (empty
  tensors that are not 1-D, and every tensor while `edgeitems` is 0), `dtype=` (when
  the dtype is not float32, int64, bool or complex64 -- for an empty tensor, whenever
  it is not float32), then `grad_fn=<Name>` or `requires_grad=True`. A suffix that would run past
  `linewidth` starts a new line.

dtypes print as minigrad's own names, `dtype=minigrad.float64` where PyTorch writes
`dtype=torch.float64`: `minigrad.float64` is the object a user passes back
(`mg.zeros(2, dtype=mg.float64)`), so the repr reads as minigrad code.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Iterator
from typing import Any

import numpy as np

__all__ = ["get_printoptions", "printoptions", "set_printoptions", "tensor_repr"]


@dataclasses.dataclass
class _PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


PRINT_OPTS = _PrintOptions()

# profile -> (precision, threshold, edgeitems, linewidth), as PyTorch's
_PROFILES: dict[str, tuple[int, float, int, int]] = {
    "default": (4, 1000, 3, 80),
    "short": (2, 1000, 2, 80),
    "full": (4, math.inf, 3, 80),
}


def set_printoptions(
    precision: int | None = None,
    threshold: float | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    """Set how tensors print, as `torch.set_printoptions`.

    precision: digits after the point (default 4). threshold: more elements than this
    print summarised (default 1000). edgeitems: entries shown at each end of a
    summarised dimension (default 3). linewidth: characters per line before wrapping
    (default 80). profile: 'default', 'short' (precision 2, edgeitems 2) or 'full' (no
    summarising), applied first; the other arguments override it. sci_mode: True or
    False forces scientific notation on or off; None (the default, and what every call
    that leaves it out sets) lets each tensor's values decide.
    """
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(
                f"set_printoptions: unknown profile {profile!r}; expected one of "
                f"{', '.join(repr(p) for p in _PROFILES)}"
            )
        (
            PRINT_OPTS.precision,
            PRINT_OPTS.threshold,
            PRINT_OPTS.edgeitems,
            PRINT_OPTS.linewidth,
        ) = _PROFILES[profile]
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions() -> dict[str, Any]:
    """The current print options, as keyword arguments `set_printoptions` accepts."""
    return dataclasses.asdict(PRINT_OPTS)


@contextlib.contextmanager
def printoptions(**kwargs: Any) -> Iterator[None]:
    """`with printoptions(precision=2): ...` -- set_printoptions for the block only."""
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


# ---------------------------------------------------------------------- formatting values
class _Formatter:
    """Formats every entry of one tensor (or one of its real/imaginary parts) to a
    common width, in the mode its shown values call for."""

    def __init__(self, values: np.ndarray) -> None:
        self.floating = values.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        flat = values.reshape(-1)
        if not self.floating:
            for v in flat.tolist():
                self.max_width = max(self.max_width, len(str(v)))
            return
        shown = flat[np.isfinite(flat) & (flat != 0)].astype(np.float64)
        if shown.size == 0:
            return  # only zeros, nan and inf: integer mode, as `0.`, `nan`, `inf`
        self.int_mode = bool(np.all(shown == np.ceil(shown)))
        mags = np.abs(shown)
        lo, hi = float(mags.min()), float(mags.max())
        if PRINT_OPTS.sci_mode is None:
            with np.errstate(over="ignore"):
                ratio = float(np.float64(hi) / np.float64(lo))
            self.sci_mode = ratio > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
        else:
            self.sci_mode = bool(PRINT_OPTS.sci_mode)
        p = PRINT_OPTS.precision
        if self.sci_mode:
            widths = (len(f"{v:.{p}e}") for v in shown.tolist())
        elif self.int_mode:
            widths = (len(f"{v:.0f}") + 1 for v in shown.tolist())  # + 1: the point
        else:
            widths = (len(f"{v:.{p}f}") for v in shown.tolist())
        self.max_width = max(self.max_width, *widths)

    def width(self) -> int:
        return self.max_width

    def format(self, value: Any) -> str:
        if self.floating:
            p = PRINT_OPTS.precision
            if self.sci_mode:
                text = f"{value:{self.max_width}.{p}e}"
            elif self.int_mode:
                text = f"{value:.0f}"
                if math.isfinite(value):
                    text += "."  # marks the tensor as floating
            else:
                text = f"{value:.{p}f}"
        else:
            text = f"{value}"
        return text.rjust(self.max_width)


class _Printer:
    """The bracketed body of a non-empty tensor, from its shown entries."""

    def __init__(self, shown: np.ndarray, cut: tuple[bool, ...]) -> None:
        # shown: the entries that print; cut[k]: dimension k was summarised, so `...`
        # goes between its first and last `edgeitems` entries
        self.cut = cut
        self.complex = shown.dtype.kind == "c"
        if self.complex:
            shown = shown.astype(np.complex128)
            self.real, self.imag = _Formatter(shown.real), _Formatter(shown.imag)
        else:
            if shown.dtype.kind == "f":
                shown = shown.astype(np.float64)  # exact for float16/32: Python floats
            self.real, self.imag = _Formatter(shown), None
        self.shown = shown

    def value(self, v: Any) -> str:
        if self.imag is None:
            return self.real.format(v)
        re = self.real.format(v.real)
        im = (self.imag.format(v.imag) + "j").lstrip()
        return re + im if im[0] in "+-" else re + "+" + im

    def body(self, indent: int) -> str:
        return self._dims(self.shown, 0, indent)

    def _dims(self, a: np.ndarray, depth: int, indent: int) -> str:
        if a.ndim == 0:
            return self.value(a.item())
        if a.ndim == 1:
            return self._vector(a, depth, indent)
        parts = [self._dims(a[i], depth + 1, indent + 1) for i in range(a.shape[0])]
        if self.cut[depth]:
            half = len(parts) // 2
            parts = parts[:half] + ["..."] + parts[half:]
        return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(parts) + "]"

    def _vector(self, a: np.ndarray, depth: int, indent: int) -> str:
        entry = self.real.width() + 2  # the entry and its ", "
        if self.imag is not None:
            entry += self.imag.width() + 1  # the imaginary part and its "j"
        per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / entry))
        items = [self.value(v) for v in a.tolist()]
        if self.cut[depth]:
            half = len(items) // 2
            items = items[:half] + [" ..."] + items[half:]
        lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _summary(data: Any, edge: int) -> tuple[Any, tuple[bool, ...]]:
    """The entries a summarised tensor shows (the first and last `edge` along every
    dimension longer than 2 * edge) and which dimensions were cut. Taken on the
    tensor's own device, so only these entries reach the host."""
    cut = []
    for axis, n in enumerate(data.shape):
        cut.append(n > 2 * edge)
        if n > 2 * edge:
            lead = (slice(None),) * axis
            head, tail = data[lead + (slice(0, edge),)], data[lead + (slice(n - edge, n),)]
            data = _concat(head, tail, axis)
    return data, tuple(cut)


def _concat(a: Any, b: Any, axis: int) -> Any:
    from .backend import get_array_module

    return get_array_module(a).concatenate((a, b), axis=axis)


def _body(data: Any, indent: int) -> str:
    """PyTorch's `_tensor_str`: the bracketed values of a tensor with entries."""
    from .backend import as_numpy

    if data.size == 0:
        return "[]"
    summarize = data.size > PRINT_OPTS.threshold
    edge = PRINT_OPTS.edgeitems
    if summarize and data.ndim > 0:
        if not edge:
            return "[...]"
        shown, cut = _summary(data, edge)
    else:
        shown, cut = data, (False,) * data.ndim
    return _Printer(as_numpy(shown), cut).body(indent)


def _add_suffixes(text: str, suffixes: list[str], indent: int) -> str:
    out = [text]
    last_line = len(text) - text.rfind("\n") + 1  # PyTorch's count, kept for its wraps
    for suffix in suffixes:
        if last_line + len(suffix) + 2 > PRINT_OPTS.linewidth:
            out.append(",\n" + " " * indent + suffix)
            last_line = indent + len(suffix)
        else:
            out.append(", " + suffix)
            last_line += len(suffix) + 2
    out.append(")")
    return "".join(out)


def dtype_name(dtype: Any) -> str:
    """`minigrad.float64`: how a dtype appears in a tensor's repr."""
    return "minigrad." + np.dtype(dtype).name


def _device_name(data: Any) -> str | None:
    from .backend import is_cupy_array

    if not is_cupy_array(data):
        return None
    index = getattr(getattr(data, "device", None), "id", 0)
    return f"cuda:{index}"


def tensor_repr(t: Any) -> str:
    """The whole repr of a tensor, as PyTorch writes it (see the module docstring)."""
    from .nn.module import Parameter
    from .tensor import Tensor, get_default_dtype

    prefix = "tensor(" if type(t) in (Tensor, Parameter) else f"{type(t).__name__}("
    indent = len(prefix)
    data = t._data
    dtype = np.dtype(data.dtype)
    default = np.dtype(get_default_dtype())
    default_complex = np.dtype(np.complex128 if default == np.float64 else np.complex64)

    suffixes = []
    device = _device_name(data)
    if device is not None:
        suffixes.append(f"device='{device}'")
    if data.size == 0:
        if data.ndim != 1:
            suffixes.append(f"size={tuple(data.shape)}")
        if dtype != default:  # no entries to tell an int64 tensor by
            suffixes.append(f"dtype={dtype_name(dtype)}")
        text = "[]"
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append(f"size={tuple(data.shape)}")
        if dtype not in (default, default_complex, np.dtype(np.int64), np.dtype(np.bool_)):
            suffixes.append(f"dtype={dtype_name(dtype)}")
        text = _body(data, indent)

    if t.creator is not None:
        suffixes.append(f"grad_fn=<{type(t.creator).__name__}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + text, suffixes, indent)
