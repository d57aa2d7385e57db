"""Differentiable primitives: a Function subclass and a snake_case wrapper for each."""

from .activation import (
    leaky_relu,
    log_sigmoid,
    log_softmax,
    logsumexp,
    relu,
    sigmoid,
    softmax,
    softplus,
    tanh,
)
from .elementwise import (
    abs,  # noqa: A004
    add,
    clip,
    div,
    exp,
    log,
    maximum,
    minimum,
    mul,
    neg,
    power,
    scale,
    sign,
    sqrt,
    sub,
    where,
)
from .linalg import linear, matmul
from .reduce import (
    amax,
    amin,
    argmax,
    argmin,
    broadcast_to,
    expand,
    max_reduce,
    mean,
    min_reduce,
    norm,
    reduce_sum,
    sum_to,
    var,
)
from .shape import (
    cast,
    cat,
    chunk,
    flatten,
    getitem,
    move,
    pad,
    permute,
    reshape,
    split,
    squeeze,
    stack,
    transpose,
    unsqueeze,
)

__all__ = [
    "abs", "add", "amax", "amin", "argmax", "argmin", "broadcast_to", "cast", "cat", "chunk",
    "clip", "div", "exp", "expand", "flatten", "getitem", "leaky_relu", "linear", "log",
    "log_sigmoid", "log_softmax", "logsumexp", "matmul", "max_reduce", "maximum", "mean",
    "min_reduce", "minimum", "move", "mul", "neg", "norm", "pad", "permute", "power",
    "reduce_sum", "relu", "reshape", "scale", "sigmoid", "sign", "softmax", "softplus", "split",
    "sqrt", "squeeze", "stack", "sub", "sum_to", "tanh", "transpose", "unsqueeze", "var", "where",
]
