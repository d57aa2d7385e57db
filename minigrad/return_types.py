"""The named tuples that multi-output functions return, as PyTorch's `torch.return_types`.

Each is a `collections.namedtuple` (so unpacking, indexing, `._fields` and
`isinstance(r, tuple)` work, and building one is as cheap as a plain tuple) named as
PyTorch's, and printed as PyTorch prints it::

    minigrad.return_types.max(
    values=tensor([2., 4.]),
    indices=tensor([1, 1]))
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any


def _repr(self: tuple) -> str:
    body = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self, strict=True))
    return f"{__name__}.{type(self).__name__}(\n{body})"


def _structseq(name: str, fields: str) -> type:
    """A namedtuple type `name` of this module, printed as PyTorch's return types."""
    base = namedtuple(name, fields)  # noqa: PYI024 - a plain namedtuple is what is wanted
    return type(
        name,
        (base,),
        {"__slots__": (), "__repr__": _repr, "__module__": __name__},
    )


_VALUES_INDICES = "values indices"

max = _structseq("max", _VALUES_INDICES)  # noqa: A001 - PyTorch's name
min = _structseq("min", _VALUES_INDICES)  # noqa: A001 - PyTorch's name
sort = _structseq("sort", _VALUES_INDICES)
topk = _structseq("topk", _VALUES_INDICES)
kthvalue = _structseq("kthvalue", _VALUES_INDICES)
mode = _structseq("mode", _VALUES_INDICES)
median = _structseq("median", _VALUES_INDICES)
nanmedian = _structseq("nanmedian", _VALUES_INDICES)
cummax = _structseq("cummax", _VALUES_INDICES)
cummin = _structseq("cummin", _VALUES_INDICES)
aminmax = _structseq("aminmax", "min max")
slogdet = _structseq("slogdet", "sign logabsdet")
svd = _structseq("svd", "U S V")
qr = _structseq("qr", "Q R")
linalg_slogdet = _structseq("linalg_slogdet", "sign logabsdet")
linalg_svd = _structseq("linalg_svd", "U S Vh")
linalg_qr = _structseq("linalg_qr", "Q R")
linalg_eigh = _structseq("linalg_eigh", "eigenvalues eigenvectors")
linalg_lstsq = _structseq("linalg_lstsq", "solution residuals rank singular_values")
linalg_inv_ex = _structseq("linalg_inv_ex", "inverse info")
linalg_cholesky_ex = _structseq("linalg_cholesky_ex", "L info")
linalg_solve_ex = _structseq("linalg_solve_ex", "result info")
triangular_solve = _structseq("triangular_solve", "solution cloned_coefficient")
frexp = _structseq("frexp", "mantissa exponent")
histogram = _structseq("histogram", "hist bin_edges")

all_return_types: tuple[Any, ...] = tuple(
    v for v in list(globals().values()) if isinstance(v, type) and v.__module__ == __name__
)

__all__ = [t.__name__ for t in all_return_types]
