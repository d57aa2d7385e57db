"""PyTorch's top-level in-place functions (`torch.sin_(x)`, `torch.clamp_(x, 0, 1)`, ...).

Each calls the tensor's own in-place method and returns that same tensor, so values,
dtype rules, autograd recording and errors are exactly the method's. `FUNCTIONS` maps
every name to its function; minigrad's namespace takes them from there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .tensor import Tensor

# the one-argument ones: `torch.<name>(input)` is `input.<name>()`
_UNARY = (
    "abs_ acos_ acosh_ arccos_ arccosh_ arcsin_ arcsinh_ arctan_ arctanh_ asin_ asinh_ atan_ "
    "atanh_ ceil_ cos_ cosh_ deg2rad_ detach_ erf_ erfc_ exp2_ exp_ expm1_ fix_ floor_ frac_ "
    "i0_ log10_ log1p_ log2_ log_ neg_ negative_ rad2deg_ reciprocal_ relu_ rsqrt_ sigmoid_ "
    "sin_ sinc_ sinh_ sqrt_ square_ tan_ tanh_ trunc_ zero_"
).split()


def _tensor(name: str, input: Any) -> Tensor:  # noqa: A002 - PyTorch's name
    """`input` itself, or PyTorch's TypeError when it is not a tensor."""
    if not isinstance(input, Tensor):
        raise TypeError(
            f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}"
        )
    return input


def _unary(name: str) -> Callable[[Tensor], Tensor]:
    def fn(input: Tensor) -> Tensor:  # noqa: A002
        return getattr(_tensor(name, input), name)()

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"`input.{name}()`: changes input in place and returns it."
    return fn


def clamp_(input: Tensor, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
    """`input.clamp_(min, max)`: numbers or tensors; at least one must be given."""
    return _tensor("clamp_", input).clamp_(min, max)


def clip_(input: Tensor, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
    """`input.clip_(min, max)`, as `clamp_`."""
    return _tensor("clip_", input).clip_(min, max)


def clamp_min_(input: Tensor, min: Any) -> Tensor:  # noqa: A002
    """`input.clamp_min_(min)`: input raised to at least min (a number or a tensor)."""
    return _tensor("clamp_min_", input).clamp_min_(min)


def clamp_max_(input: Tensor, max: Any) -> Tensor:  # noqa: A002
    """`input.clamp_max_(max)`: input lowered to at most max (a number or a tensor)."""
    return _tensor("clamp_max_", input).clamp_max_(max)


def fill_(input: Tensor, value: Any) -> Tensor:  # noqa: A002
    """Every element of input set to value (a number or a 0-d tensor)."""
    return _tensor("fill_", input).fill_(value)


def gcd_(input: Tensor, other: Any) -> Tensor:  # noqa: A002
    """Greatest common divisor of integer tensors, in place."""
    return _tensor("gcd_", input).gcd_(other)


def lcm_(input: Tensor, other: Any) -> Tensor:  # noqa: A002
    """Least common multiple of integer tensors, in place."""
    return _tensor("lcm_", input).lcm_(other)


def ldexp_(input: Tensor, other: Any) -> Tensor:  # noqa: A002
    """input * 2**other, in place."""
    return _tensor("ldexp_", input).ldexp_(other)


def xlogy_(input: Tensor, other: Any) -> Tensor:  # noqa: A002
    """input * log(other) (0 where input is 0), in place."""
    return _tensor("xlogy_", input).xlogy_(other)


def logit_(input: Tensor, eps: float | None = None) -> Tensor:  # noqa: A002
    """log(p / (1 - p)) in place, p clamped to [eps, 1 - eps] when eps is given."""
    return _tensor("logit_", input).logit_(eps)


def nan_to_num_(
    input: Tensor,  # noqa: A002
    nan: float | None = None,
    posinf: float | None = None,
    neginf: float | None = None,
) -> Tensor:
    """NaN, +inf and -inf replaced in place (by 0 and the dtype's largest and smallest
    finite values unless given)."""
    return _tensor("nan_to_num_", input).nan_to_num_(0.0 if nan is None else nan, posinf, neginf)


def round_(input: Tensor, *, decimals: int = 0) -> Tensor:  # noqa: A002
    """Round half to even in place, to `decimals` places (keyword-only, as PyTorch)."""
    return _tensor("round_", input).round_(decimals=decimals)


def index_put_(input: Tensor, indices: Any, values: Tensor, accumulate: bool = False) -> Tensor:  # noqa: A002
    """input[indices] = values (or += with accumulate), indices a tuple of index tensors."""
    return _tensor("index_put_", input).index_put_(indices, values, accumulate)


def resize_as_(input: Tensor, the_template: Tensor, *, memory_format: Any = None) -> Tensor:  # noqa: A002
    """input.resize_as_(the_template): input takes the template's shape, in place."""
    return _tensor("resize_as_", input).resize_as_(the_template, memory_format=memory_format)


FUNCTIONS: dict[str, Callable[..., Tensor]] = {name: _unary(name) for name in _UNARY}
FUNCTIONS.update(
    clamp_=clamp_,
    clip_=clip_,
    clamp_min_=clamp_min_,
    clamp_max_=clamp_max_,
    fill_=fill_,
    gcd_=gcd_,
    lcm_=lcm_,
    ldexp_=ldexp_,
    xlogy_=xlogy_,
    logit_=logit_,
    nan_to_num_=nan_to_num_,
    round_=round_,
    index_put_=index_put_,
    resize_as_=resize_as_,
)
