"""Seeded random arrays on either device: `manual_seed` makes runs repeatable.

Draws come from one global generator per device, or from a `Generator` passed as
`generator=` (PyTorch's `torch.Generator`: its own seed and stream, untouched by
`manual_seed`). The numbers are NumPy's (CuPy's on the GPU), not PyTorch's.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .backend import (
    Array,
    cuda_available,
    cupy_module,
    default_float,
    get_array_module,
    normalize_device,
)
from .errors import DtypeError, ValueRangeError

# seeded from the system's entropy at start (PyTorch starts from a fixed seed), and kept so
# that `initial_seed()` can tell it
_seed: int = int(np.random.SeedSequence().entropy) % 2**64
_cpu = np.random.default_rng(_seed)
_gpu: Any = None

DEFAULT_SEED = 67280421310721  # PyTorch's seed of a new Generator


class Generator:
    """PyTorch's `torch.Generator`: an independent, seedable stream of random numbers for
    `generator=` (in `mg.randn`, `rand`, `randint`, `randperm`, `normal_`, `bernoulli`, the
    samplers, `DataLoader` and `random_split`). A new one starts from PyTorch's default
    seed, so two new generators draw the same numbers; `manual_seed` and `set_state`
    return the generator, as PyTorch's, so `Generator().manual_seed(0)` chains."""

    def __init__(self, device: Any = "cpu") -> None:
        self.device = normalize_device(device)
        self.manual_seed(DEFAULT_SEED)

    def manual_seed(self, seed: int) -> Generator:
        if isinstance(seed, bool) or not isinstance(seed, int):  # PyTorch's takes a long only
            raise DtypeError(
                f"manual_seed expected a long, but got {type(seed).__name__} ({seed!r})"
            )
        self._seed = _seed_value(seed)
        xp = np if self.device == "cpu" else cupy_module()
        self._rng = xp.random.default_rng(self._seed)
        return self

    def seed(self) -> int:
        """Seed from the operating system's entropy; returns the seed."""
        seed = int(np.random.SeedSequence().entropy) % 2**64
        self.manual_seed(seed)
        return seed

    def initial_seed(self) -> int:
        return self._seed

    def clone_state(self) -> Generator:
        """A new generator on the same device in this one's state: both then draw the
        same numbers, each from its own stream (PyTorch's `clone_state`)."""
        twin = Generator(self.device)
        twin._seed = self._seed
        twin._bit_generator().state = self._bit_generator().state
        return twin

    def get_state(self) -> Any:
        """The state as a uint8 Tensor (as PyTorch's) of `STATE_SIZE` bytes, for `set_state`
        and checkpoints; `get_rng_state()` gives the global generator's in the same form, so
        either one sets either."""
        return _state_tensor(self._seed, self._bit_generator().state)

    def set_state(self, new_state: Any) -> Generator:
        """Restore a state from `get_state()` or `get_rng_state()`: the stream and the
        initial seed."""
        seed, bit_state = _parse_state(new_state, "Generator.set_state")
        bit_generator = self._bit_generator()
        _restore(bit_generator, bit_state, "Generator.set_state")
        self._seed = seed
        return self

    def _bit_generator(self) -> Any:
        if self.device != "cpu":
            raise NotImplementedError("Generator: get_state/set_state of a CUDA generator")
        return self._rng.bit_generator

    def __repr__(self) -> str:
        return f"minigrad.Generator(device={self.device!r})"


class _DefaultGenerator(Generator):
    """PyTorch's `torch.default_generator`: the global CPU stream (the one `manual_seed`
    seeds and `rand`/`randn` draw from without `generator=`) as a `Generator`."""

    def __init__(self) -> None:
        self.device = "cpu"

    @property
    def _rng(self) -> Any:
        return _cpu

    @property
    def _seed(self) -> int:
        return _seed

    @_seed.setter
    def _seed(self, seed: int) -> None:
        global _seed
        _seed = seed

    def manual_seed(self, seed: int) -> Generator:
        return manual_seed(seed)

    def __repr__(self) -> str:
        return "minigrad.default_generator"


default_generator = _DefaultGenerator()


def _seed_value(seed: Any) -> int:
    """`seed` as the 64-bit seed PyTorch keeps: int(seed), negative ones modulo 2**64 (as
    PyTorch takes them), refused outside [-2**63, 2**64) instead of wrapping silently."""
    value = int(seed)
    if not -(2**63) <= value < 2**64:
        raise ValueError(f"manual_seed: the seed {value} is outside [-2**63, 2**64): Overflow")
    return value % 2**64


def manual_seed(seed: int) -> Generator:
    """Seed the CPU generator and, when CuPy is in use, the GPU one; returns
    `default_generator`, as PyTorch's."""
    global _seed, _cpu, _gpu
    _seed = _seed_value(seed)
    _cpu = np.random.default_rng(_seed)
    _gpu = None  # re-created from the seed on first GPU use
    return default_generator


def seed() -> int:
    """Seed the CPU generator (and the GPU one, when CuPy is in use) from the operating
    system's entropy and return the seed, as PyTorch's `torch.random.seed()`."""
    value = int.from_bytes(os.urandom(8), "little") >> 1  # a non-negative int64, as PyTorch's
    manual_seed(value)
    return value


def initial_seed() -> int:
    """The seed of the global CPU generator: the last `manual_seed`, or the one drawn at
    start."""
    return _seed


@contextlib.contextmanager
def fork_rng(
    devices: Any = None,
    enabled: bool = True,
    _caller: str = "fork_rng",
    _devices_kw: str = "devices",
    device_type: str = "cuda",
) -> Iterator[None]:
    """PyTorch's `torch.random.fork_rng`: the global generators' states are saved on entry
    and restored on exit, so draws inside the block leave the stream outside unchanged."""
    global _cpu, _gpu, _seed
    if not enabled:
        yield
        return
    cpu, gpu, seed = _cpu, _gpu, _seed  # manual_seed inside replaces them
    cpu_state = cpu.bit_generator.state
    gpu_state = None if gpu is None else gpu.bit_generator.state
    try:
        yield
    finally:
        _cpu, _gpu, _seed = cpu, gpu, seed
        cpu.bit_generator.state = cpu_state
        if gpu is not None:
            gpu.bit_generator.state = gpu_state


def manual_seed_gpu(seed: int) -> None:
    """Seed only the GPU generator (`torch.cuda.manual_seed`); without CuPy, nothing."""
    global _gpu
    _gpu = None
    if cuda_available():
        _gpu = cupy_module().random.default_rng(int(seed))


def get_state() -> dict:
    """The CPU generator's state, for checkpoints that resume a run exactly."""
    return {"bit_generator": _cpu.bit_generator.state}


def set_state(state: dict) -> None:
    _cpu.bit_generator.state = state["bit_generator"]


# The RNG state as bytes, of one size always (PyTorch's is 5056 bytes): programs stack the
# states of several ranks or copy one into a saved buffer. Little-endian: a magic number,
# the initial seed (8 bytes), then NumPy's PCG64 state: state and inc (16 bytes each),
# has_uint32 and uinteger (4 bytes each).
_STATE_MAGIC = b"MGPCG64\x01"
STATE_SIZE = len(_STATE_MAGIC) + 8 + 16 + 16 + 4 + 4


def _state_tensor(seed: int, bit_state: dict) -> Any:
    """`seed` and a PCG64 bit generator's state as the uint8 Tensor of STATE_SIZE bytes."""
    from .tensor import Tensor

    if bit_state.get("bit_generator") != "PCG64":  # minigrad makes only PCG64 generators
        raise RuntimeError(
            f"get_state: a {bit_state.get('bit_generator')} generator's state cannot be saved"
        )
    inner = bit_state["state"]
    raw = b"".join(
        (
            _STATE_MAGIC,
            int(seed).to_bytes(8, "little"),
            int(inner["state"]).to_bytes(16, "little"),
            int(inner["inc"]).to_bytes(16, "little"),
            int(bit_state["has_uint32"]).to_bytes(4, "little"),
            int(bit_state["uinteger"]).to_bytes(4, "little"),
        )
    )
    return Tensor(np.frombuffer(raw, dtype=np.uint8).copy())


def _parse_state(new_state: Any, who: str) -> tuple[int, dict]:
    """The (initial seed, PCG64 state) in a state tensor of `_state_tensor`'s (or the JSON
    text an older minigrad wrote), refused with a RuntimeError that says why."""
    from .tensor import Tensor

    if not isinstance(new_state, Tensor):
        raise TypeError(f"expected a torch.ByteTensor, but got {type(new_state).__name__}")
    if new_state.dtype != np.uint8:
        raise TypeError("RNG state must be a torch.ByteTensor")
    raw = np.ascontiguousarray(np.asarray(new_state._data)).tobytes()
    if raw[:1] == b"{":  # the JSON text of minigrad before the fixed size (checkpoints)
        try:
            state = json.loads(raw.decode("utf-8"))
            return int(state.get("seed", _seed)), state["bit_generator"]
        except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError):
            pass
    elif new_state.ndim == 1 and len(raw) == STATE_SIZE and raw.startswith(_STATE_MAGIC):
        at = len(_STATE_MAGIC)
        fields = []
        for width in (8, 16, 16, 4, 4):
            fields.append(int.from_bytes(raw[at : at + width], "little"))
            at += width
        seed, state, inc, has_uint32, uinteger = fields
        bit_state = {
            "bit_generator": "PCG64",
            "state": {"state": state, "inc": inc},
            "has_uint32": has_uint32,
            "uinteger": uinteger,
        }
        return seed, bit_state
    if new_state.ndim != 1 or new_state.numel() != STATE_SIZE:
        raise RuntimeError(
            f"{who}: expected an RNG state of {STATE_SIZE} bytes (a 1-D uint8 tensor from "
            f"get_state() or get_rng_state()), but found the input RNG state size to be "
            f"{new_state.numel()} (shape {tuple(new_state.shape)})"
        )
    raise RuntimeError(
        f"{who}: the {STATE_SIZE} bytes are not an RNG state from get_state() or "
        "get_rng_state() (they do not start with minigrad's state header)"
    )


def _restore(bit_generator: Any, bit_state: dict, who: str) -> None:
    try:
        bit_generator.state = bit_state
    except (ValueError, KeyError, TypeError) as exc:
        raise RuntimeError(f"{who}: invalid RNG state ({exc})") from None


def get_rng_state() -> Any:
    """The global CPU generator's state as a uint8 Tensor of `STATE_SIZE` bytes, always
    (PyTorch's `get_rng_state`): after `set_rng_state` of it the draws repeat exactly and
    `initial_seed()` is again the seed of then. It is also a state for `Generator.set_state`
    (and `get_state()`'s for `set_rng_state`). The bytes are minigrad's (the initial seed
    and NumPy's PCG64 state), not PyTorch's, and fewer than PyTorch's 5056."""
    return _state_tensor(_seed, _cpu.bit_generator.state)


def set_rng_state(new_state: Any) -> None:
    """Restore the global CPU generator, and its initial seed, from a `get_rng_state()`
    (or `Generator.get_state()`) tensor."""
    global _seed
    seed, bit_state = _parse_state(new_state, "set_rng_state")
    _restore(_cpu.bit_generator, bit_state, "set_rng_state")
    _seed = seed


# functions called with each array-level generator `generator` hands out, before the
# draw: minigrad.func's vmap refuses or records random draws through one (empty outside)
draw_hooks: list[Callable[[Any], None]] = []


def generator(device: str = "cpu", gen: Any = None) -> Any:
    """The array-level generator to draw from on `device`: that of `gen` (a `Generator`,
    or a numpy.random.Generator for the CPU), or the global one when `gen` is None."""
    rng = _generator(device, gen)
    for hook in draw_hooks:
        hook(rng)
    return rng


def _generator(device: str, gen: Any) -> Any:
    global _gpu
    device = normalize_device(device)
    if gen is not None:
        if isinstance(gen, Generator):
            if gen.device != device:
                raise RuntimeError(
                    f"Expected a '{device}' device type for generator but found '{gen.device}'"
                )
            return gen._rng
        if isinstance(gen, np.random.Generator):
            if device != "cpu":
                raise RuntimeError("generator=: a numpy.random.Generator draws on the CPU only")
            return gen
        raise TypeError(
            "generator must be a numpy.random.Generator, a minigrad.Generator or None, got "
            f"{type(gen).__name__}"
        )
    if device == "cpu":
        return _cpu
    if _gpu is None:
        cp = cupy_module()
        _gpu = cp.random.default_rng(_seed)
    return _gpu


def _draw(op: str, draw: Callable, shape: tuple[int, ...], dtype: Any, scale: float) -> Array:
    """`draw(shape, dtype)` in `dtype` (None: the default float, float32 unless
    `set_default_dtype` changed it). The generators draw float32 and float64 only:
    float16 is drawn in float32 and rounded once, complex draws its real and imaginary
    parts apart (each times `scale`), as PyTorch's do."""
    dt = np.dtype(default_float() if dtype is None else dtype)
    if dt.kind == "c":
        part = np.float32 if dt == np.complex64 else np.float64
        z = draw(shape + (2,), part)
        if scale != 1.0:
            z *= part(scale)
        return z.view(dt).reshape(shape)
    if dt.kind != "f":
        raise NotImplementedError(
            f"{op}: not implemented for {dt.name}: draw a floating-point tensor "
            f"(e.g. {op}(..., dtype=minigrad.float32)) and convert it"
        )
    if dt == np.float16:
        return draw(shape, np.float32).astype(np.float16)
    return draw(shape, dt)


def randn(shape: tuple[int, ...], dtype: Any = None, device: str = "cpu", gen: Any = None) -> Array:
    """Standard normal draws; a complex one has variance 1 (each part 1/2), as PyTorch's."""
    g = generator(device, gen)
    return _draw("randn", lambda s, d: g.standard_normal(s, dtype=d), shape, dtype, 0.5**0.5)


def rand(shape: tuple[int, ...], dtype: Any = None, device: str = "cpu", gen: Any = None) -> Array:
    """Uniform draws on [0, 1); a complex one on [0, 1) in each part, as PyTorch's.
    float16: a float32 draw rounded to float16 is 1.0 about once in 4,000; as PyTorch's,
    such a draw becomes 0 (the range's start), which keeps the other values' weights."""
    g = generator(device, gen)
    x = _draw("rand", lambda s, d: g.random(s, dtype=d), shape, dtype, 1.0)
    if x.dtype == np.float16:
        get_array_module(x).copyto(x, np.float16(0), where=x >= 1)
    return x


def uniform(
    low: float,
    high: float,
    shape: tuple[int, ...],
    dtype: Any = None,
    device: str = "cpu",
    gen: Any = None,
) -> Array:
    """Uniform draws on [low, high) in `dtype`, as PyTorch's: float16 is drawn and scaled
    in float32 and rounded once; a value that rounds up to `high` becomes `low` (so the
    others keep their weights); bounds outside the dtype's range, or a range wider than
    its largest value, are refused. Complex: each part on [low, high)."""
    dt = np.dtype(default_float() if dtype is None else dtype)
    info = np.finfo(dt)
    for name, value in (("from", low), ("to", high)):
        if not -float(info.max) <= float(value) <= float(info.max):
            raise RuntimeError(f"uniform_: {name} is out of bounds for {dt.name}: {value}")
    if float(high) - float(low) > float(info.max):
        raise RuntimeError(
            f"uniform_ expects to-from <= {float(info.max)} (the largest {dt.name}), but "
            f"found to={high} and from={low}"
        )
    if dt.kind == "c":
        u = rand(shape, dt, device, gen)
        return get_array_module(u).asarray(u * (high - low) + low * (1 + 1j), dtype=dt)
    real = dt.type
    wide = np.float32 if dt == np.float16 else real  # float16 computes in float32
    u = rand(shape, wide, device, gen)
    xp = get_array_module(u)
    if real(high) == real(low):  # every draw is the bound itself, -0.0 included
        return xp.full(shape, real(low), dtype=dt)
    # the range in the computing dtype, of the bounds as it holds them (PyTorch's); asarray,
    # as NumPy's arithmetic on a 0-d array gives a scalar, which copyto cannot write
    y = xp.asarray(u * (wide(high) - wide(low)) + wide(low), dtype=dt)
    xp.copyto(y, real(low), where=y >= real(high))
    return y


def check_uniform_range(a: float, b: float) -> None:
    """PyTorch's checks on a uniform draw's bounds (Tensor.uniform_'s and init's): finite,
    a <= b. Its RuntimeError, which is also the ValueError trunc_normal_ raised for a > b
    before."""
    if not (math.isfinite(float(a)) and math.isfinite(float(b))):
        raise ValueRangeError(f"uniform_: the range [{a}, {b}) is not finite")
    if float(a) > float(b):  # drew from [b, a) without a word
        raise ValueRangeError(
            f"uniform_ expects to return a [from, to) range, but found from={a} > to={b}"
        )


def randint(
    low: int, high: int, shape: tuple[int, ...], device: str = "cpu", gen: Any = None
) -> Array:
    return generator(device, gen).integers(low, high, size=shape)


def permutation(n: int, device: str = "cpu", gen: Any = None) -> Array:
    return generator(device, gen).permutation(n)
