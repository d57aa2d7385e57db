"""minigrad: reverse-mode automatic differentiation on NumPy and CuPy.

import minigrad as mg
x = mg.randn(3, requires_grad=True)
(x * x).sum().backward()
"""

from . import _openblas  # first of all, before NumPy is imported: see _openblas.py

# isort: split
from . import _blas, _memory, autograd, backends, cuda, nn, ops, optim, profiler, utils, viz
from .autograd import (
    Function,
    detect_anomaly,
    enable_grad,
    grad,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .ops import (
    abs,  # noqa: A004
    amax,
    amin,
    argmax,
    argmin,
    broadcast_to,
    cat,
    chunk,
    clip,
    cos,
    einsum,
    erf,
    exp,
    flatten,
    isfinite,
    isinf,
    isnan,
    leaky_relu,
    log,
    log_sigmoid,
    log_softmax,
    logsumexp,
    matmul,
    maximum,
    mean,
    minimum,
    norm,
    pad,
    permute,
    relu,
    reshape,
    sigmoid,
    sin,
    softmax,
    softplus,
    sort,
    split,
    sqrt,
    squeeze,
    stack,
    tanh,
    topk,
    transpose,
    unsqueeze,
    var,
    where,
)
from .ops.shape import clone
from .random import manual_seed
from .serialization import load, save
from .tensor import (
    Tensor,
    arange,
    bool_,
    device,
    eye,
    float16,
    float32,
    float64,
    from_numpy,
    full,
    int32,
    int64,
    is_tensor,
    linspace,
    mm,
    numel,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    tensor,
    uint8,
    zeros,
    zeros_like,
)
from .threads import get_num_threads, set_num_threads

clamp = clip
t = Tensor.t  # torch.t(x): the 2-D transpose


# PyTorch's function forms of Tensor methods; the names shadow builtins on purpose.
def sum(x: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:  # noqa: A001
    return x.sum(dim, keepdim, dtype=dtype)


def max(x: Tensor, dim=None, keepdim: bool = False):  # noqa: A001
    return x.max(dim, keepdim)


def min(x: Tensor, dim=None, keepdim: bool = False):  # noqa: A001
    return x.min(dim, keepdim)


def std(x: Tensor, dim=None, unbiased: bool = True, keepdim: bool = False) -> Tensor:
    return x.std(dim, unbiased, keepdim)


def pow(x, exponent) -> Tensor:  # noqa: A001
    return ops.power(x, exponent)


def div(x, other, *, rounding_mode: str | None = None) -> Tensor:
    """x / other; rounding_mode 'trunc' or 'floor' rounds the quotient (dtype kept)."""
    return ops.div_rounded(x, other, rounding_mode)


divide = div


def bmm(a: Tensor, b: Tensor) -> Tensor:
    """Batched matrix product of (B, N, M) and (B, M, P) tensors."""
    if a.ndim != 3 or b.ndim != 3 or a.shape[0] != b.shape[0]:
        raise RuntimeError(
            f"bmm: expects two 3-D tensors with one batch size, got {a.shape} and {b.shape}"
        )
    return ops.matmul(a, b)


eq, ne, lt, le, gt, ge = Tensor.eq, Tensor.ne, Tensor.lt, Tensor.le, Tensor.gt, Tensor.ge


# PyTorch's dtype names, so `t.to(mg.long)` works (last: they shadow builtins here).
half = float16
double = float64
long = int64
float = float32  # noqa: A001
int = int32  # noqa: A001
bool = bool_  # noqa: A001

__version__ = "0.1.0"

_memory.keep_freed_memory()  # freed arrays stay in the process for the next step's
_blas.prime()  # one mid-sized product: NumPy's OpenBLAS runs some shapes at full speed after it
