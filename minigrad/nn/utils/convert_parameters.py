"""Parameters as one flat vector and back, as `torch.nn.utils.parameters_to_vector` and
`vector_to_parameters`."""

from __future__ import annotations

from collections.abc import Iterable

from ...errors import ValueRangeError
from ...ops.shape import cat, reshape
from ...tensor import Tensor


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """Every parameter flattened and joined, in order, into one 1-D tensor (differentiable,
    as PyTorch's)."""
    params = list(parameters)
    if not params:  # PyTorch's cat of nothing: a ValueError (a RuntimeError here before)
        raise ValueRangeError("parameters_to_vector: expected a non-empty iterable of parameters")
    device = params[0].device
    for p in params:
        if p.device != device:
            raise TypeError(
                f"parameters_to_vector: found parameters on {device} and {p.device}; they must "
                "be on one device"
            )
    return cat([reshape(p, (-1,)) for p in params], 0)


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Make each parameter's `.data` the next slice of `vec` viewed in its shape, as
    PyTorch's: outside the graph, and the slice itself, so the parameter takes `vec`'s dtype
    and shares its memory. As there, the slices run along `vec`'s first dim, elements past
    the parameters are left over, and a slice that does not fit a parameter's shape raises
    (the parameters before it are already set)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    vec = vec.detach()
    pointer = 0
    for p in parameters:
        n = p.numel()
        p.data = vec[pointer : pointer + n].view_as(p)
        pointer += n
