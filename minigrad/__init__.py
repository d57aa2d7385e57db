"""minigrad: reverse-mode automatic differentiation on NumPy and CuPy.

import minigrad as mg
x = mg.randn(3, requires_grad=True)
(x * x).sum().backward()
"""

from . import cuda, nn, optim, profiler, viz
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
    exp,
    flatten,
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
    softmax,
    softplus,
    split,
    sqrt,
    squeeze,
    stack,
    tanh,
    transpose,
    unsqueeze,
    var,
    where,
)
from .random import manual_seed
from .serialization import load, save
from .tensor import (
    Tensor,
    arange,
    bool_,
    float16,
    float32,
    float64,
    full,
    int32,
    int64,
    ones,
    ones_like,
    rand,
    randint,
    randn,
    tensor,
    uint8,
    zeros,
    zeros_like,
)

clamp = clip

__version__ = "0.1.0"
