"""Parameters as one flat vector and back, as `torch.nn.utils.parameters_to_vector` and
`vector_to_parameters`."""

from __future__ import annotations

from collections.abc import Iterable

from ...ops.shape import cat, reshape
from ...tensor import Tensor


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """Every parameter flattened and joined, in order, into one 1-D tensor (differentiable,
    as PyTorch's)."""
    params = list(parameters)
    if not params:
        raise RuntimeError("parameters_to_vector: expected a non-empty iterable of parameters")
    device = params[0].device
    for p in params:
        if p.device != device:
            raise TypeError(
                f"parameters_to_vector: found parameters on {device} and {p.device}; they must "
                "be on one device"
            )
    return cat([reshape(p, (-1,)) for p in params], 0)


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Slice `vec` into the parameters' shapes and make each slice the parameter's `.data`
    (outside the graph, as PyTorch's)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    if vec.ndim != 1:
        raise RuntimeError(f"vector_to_parameters: expected a 1-D vector, got shape {vec.shape}")
    params = list(parameters)
    total = sum(p.numel() for p in params)
    if total != vec.numel():
        raise RuntimeError(
            f"vector_to_parameters: the vector has {vec.numel()} elements, the parameters {total}"
        )
    pointer = 0
    data = vec.detach()._data
    for p in params:
        n = p.numel()
        p.data = data[pointer : pointer + n].reshape(p.shape)
        pointer += n
