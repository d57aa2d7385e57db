"""minigrad: reverse-mode automatic differentiation on NumPy and CuPy.

import minigrad as mg
x = mg.randn(3, requires_grad=True)
(x * x).sum().backward()
"""

import math
import sys

# `python -m minigrad JOB` only, never a plain `import minigrad` (the check is in
# jobs.py): Ctrl-C or SIGTERM while the package below loads prints the job's one line and
# exits 130/143, not a traceback. jobs.py imports only the standard library.
if sys.argv[:1] == ["-m"]:
    from .jobs import say_interrupted_while_the_package_loads as _say

    _say()
    del _say

from . import _openblas  # first of all, before NumPy is imported: see _openblas.py

# isort: split
import numpy as np

from . import (
    _blas,
    _dynamo,
    _memory,
    accelerator,
    amp,
    autograd,
    autograd_functional,
    backends,
    compiler,
    cpu,
    cuda,
    distributions,
    func,
    jit,
    linalg,
    nn,
    ops,
    optim,
    profiler,
    special,
    testing,
    utils,
    viz,
)
from ._compile import compile  # noqa: A004 - torch.compile
from ._tensor_str import get_printoptions, set_printoptions
from .accelerator import get_default_device, set_default_device
from .amp import (
    autocast,
    clear_autocast_cache,
    get_autocast_dtype,
    is_autocast_cache_enabled,
    is_autocast_cpu_enabled,
    is_autocast_enabled,
    set_autocast_cache_enabled,
    set_autocast_dtype,
    set_autocast_enabled,
)
from .autograd import (
    Function,
    detect_anomaly,
    enable_grad,
    grad,
    inference_mode,
    is_anomaly_check_nan_enabled,
    is_anomaly_enabled,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .backend import (
    are_deterministic_algorithms_enabled,
    get_float32_matmul_precision,
    is_deterministic_algorithms_warn_only_enabled,
    set_float32_matmul_precision,
    use_deterministic_algorithms,
)
from .errors import warn_user as _warn_user
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .info import finfo, iinfo
from .legacy import (
    BoolTensor,
    ByteTensor,
    CharTensor,
    DoubleTensor,
    FloatTensor,
    HalfTensor,
    IntTensor,
    LongTensor,
    ShortTensor,
)
from .ops import (
    abs,  # noqa: A004
    all,  # noqa: A004
    allclose,
    amax,
    amin,
    any,  # noqa: A004
    argmax,
    argmin,
    argsort,
    argwhere,
    as_strided,
    broadcast_shapes,
    broadcast_tensors,
    broadcast_to,
    cat,
    ceil,
    celu,
    chunk,
    clip,
    cos,
    cummax,
    cummin,
    cumsum,
    diag,
    equal,
    erf,
    exp,
    expm1,
    flatten,
    flip,
    floor,
    gather,
    hardshrink,
    index_select,
    isclose,
    isfinite,
    isinf,
    isnan,
    isneginf,
    isposinf,
    kthvalue,
    leaky_relu,
    lerp,
    log,
    log1p,
    log_sigmoid,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    logsumexp,
    masked_fill,
    masked_select,
    matmul,
    maximum,
    minimum,
    nanmean,
    nansum,
    narrow,
    nonzero,
    outer,
    pad,
    permute,
    prod,
    relu,
    reshape,
    roll,
    round,  # noqa: A004
    rrelu,
    rsqrt,
    scatter,
    scatter_add,
    sigmoid,
    sign,
    signbit,
    sin,
    softplus,
    sort,
    split,
    sqrt,
    square,
    squeeze,
    stack,
    tanh,
    threshold,
    topk,
    transpose,
    tril,
    triu,
    trunc,
    unbind,
    unsqueeze,
    where,
)
from .ops.complex_ops import complex, polar  # noqa: A004 - torch.complex
from .ops.extra import (
    addbmm,
    addmm,
    addmv,
    addr,
    aminmax,
    angle,
    baddbmm,
    bitwise_and,
    bitwise_left_shift,
    bitwise_not,
    bitwise_or,
    bitwise_right_shift,
    bitwise_xor,
    block_diag,
    cartesian_prod,
    combinations,
    copysign,
    corrcoef,
    cov,
    cross,
    cumulative_trapezoid,
    deg2rad,
    diag_embed,
    diagflat,
    dist,
    einsum,
    float_power,
    fmax,
    fmin,
    frac,
    frexp,
    gcd,
    heaviside,
    histc,
    hypot,
    inner,
    kron,
    lcm,
    ldexp,
    logaddexp,
    logaddexp2,
    logcumsumexp,
    mode,
    msort,
    nanmedian,
    nanquantile,
    nextafter,
    positive,
    quantile,
    rad2deg,
    ravel,
    rot90,
    sgn,
    take,
    tensordot,
    trapezoid,
    trapz,
    unique_consecutive,
    vander,
    vdot,
)
from .ops.index_update import index_add, index_put, take_along_dim
from .ops.moremath import (
    acos,
    acosh,
    asin,
    asinh,
    atan,
    atan2,
    atanh,
    cosh,
    exp2,
    fmod,
    log2,
    log10,
    nan_to_num,
    reciprocal,
    sinh,
    tan,
)
from .ops.sampling import multinomial, normal
from .ops.scatter_ops import (
    as_strided_scatter,
    diagonal_scatter,
    index_copy,
    index_fill,
    index_reduce,
    masked_scatter,
    put,
    scatter_reduce,
    select_scatter,
    slice_scatter,
)
from .ops.search import bincount, bucketize, searchsorted
from .ops.shape import clone
from .ops.special import (
    digamma,
    erfc,
    erfinv,
    i0,
    lgamma,
    logit,
    polygamma,
    sinc,
    xlogy,
)
from .ops.special import gammainc as igamma
from .ops.special import gammaincc as igammac
from .ops.special import multigammaln as mvlgamma
from .ops.structural import (
    atleast_1d,
    atleast_2d,
    atleast_3d,
    column_stack,
    count_nonzero,
    cumprod,
    diagonal,
    diff,
    dot,
    dstack,
    hstack,
    median,
    meshgrid,
    movedim,
    mv,
    repeat_interleave,
    row_stack,
    std_mean,
    tensor_split,
    tile,
    trace,
    unique,
    var_mean,
    vstack,
)
from .ops.views import fresh_view as _fresh_view
from .ops.views import unflatten
from .random import (
    Generator,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    set_rng_state,
)
from .ranges import logspace, tril_indices, triu_indices
from .serialization import load, save
from .tensor import (
    _UNBIASED,
    Size,
    Tensor,
    arange,
    as_tensor,
    bfloat16,
    bool_,
    channels_last,
    channels_last_3d,
    contiguous_format,
    device,
    empty,
    empty_like,
    empty_strided,
    eye,
    float16,
    float32,
    float64,
    from_numpy,
    full,
    full_like,
    get_default_dtype,
    int8,
    int16,
    int32,
    int64,
    is_floating_point,
    is_tensor,
    layout,
    legacy_contiguous_format,
    linspace,
    memory_format,
    mm,
    numel,
    ones,
    ones_like,
    preserve_format,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    set_default_dtype,
    set_default_tensor_type,
    spmm,
    strided,
    tensor,
    uint8,
    uint16,
    uint32,
    uint64,
    zeros,
    zeros_like,
)
from .threads import get_num_threads, set_num_threads

clamp = clip
cdist = nn.functional.cdist
fix = trunc


def select(input: Tensor, dim: int, index: int) -> Tensor:  # noqa: A002
    return input.select(dim, index)


def clamp_min(x: Tensor, min) -> Tensor:  # noqa: A002
    return clip(x, min, None)


def clamp_max(x: Tensor, max) -> Tensor:  # noqa: A002
    return clip(x, None, max)


# PyTorch's in-place function forms of the activations in torch's namespace
celu_, rrelu_, threshold_ = nn.functional.celu_, nn.functional.rrelu_, nn.functional.threshold_
selu_ = nn.functional.selu_


def addcmul(x: Tensor, *tensors, tensor1=None, tensor2=None, value=1) -> Tensor:
    return x.addcmul(*tensors, tensor1=tensor1, tensor2=tensor2, value=value)


def addcdiv(x: Tensor, *tensors, tensor1=None, tensor2=None, value=1) -> Tensor:
    return x.addcdiv(*tensors, tensor1=tensor1, tensor2=tensor2, value=value)


is_nonzero = Tensor.is_nonzero


t = Tensor.t  # torch.t(x): the 2-D transpose


# PyTorch's function forms of Tensor methods; the names shadow builtins on purpose.
def sum(x: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:  # noqa: A001
    return x.sum(dim, keepdim, dtype=dtype)


def max(x: Tensor, dim=None, keepdim: bool = False, **other):  # noqa: A001
    return x.max(dim, keepdim, **other)  # other=: the element-wise form (Tensor.max)


def min(x: Tensor, dim=None, keepdim: bool = False, **other):  # noqa: A001
    return x.min(dim, keepdim, **other)


def std(
    input: Tensor,  # noqa: A002 - PyTorch's name
    dim=None,
    unbiased=_UNBIASED,
    keepdim: bool = False,
    *,
    correction=None,
) -> Tensor:
    return input.std(dim, unbiased, keepdim, correction=correction)


def var(
    input: Tensor,  # noqa: A002 - PyTorch's name
    dim=None,
    unbiased=_UNBIASED,
    keepdim: bool = False,
    *,
    correction=None,
) -> Tensor:
    return input.var(dim, unbiased, keepdim, correction=correction)


def mean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:  # noqa: A002
    return input.mean(dim, keepdim, dtype=dtype)


def pow(x, exponent) -> Tensor:  # noqa: A001
    return ops.power(x, exponent)


def div(x, other, *, rounding_mode: str | None = None) -> Tensor:
    """x / other; rounding_mode 'trunc' or 'floor' rounds the quotient (dtype kept)."""
    return ops.div_rounded(x, other, rounding_mode)


divide = div


def add(x, other, *old, alpha=1) -> Tensor:
    """x + alpha * other (also PyTorch's deprecated `add(x, alpha, other)`)."""
    if old:
        return x.add(other, *old) if isinstance(x, Tensor) else ops.add(x, old[0], alpha=other)
    return ops.add(x, other, alpha=alpha)


def sub(x, other, *old, alpha=1) -> Tensor:
    """x - alpha * other (also PyTorch's deprecated `sub(x, alpha, other)`)."""
    if old:
        return x.sub(other, *old) if isinstance(x, Tensor) else ops.sub(x, old[0], alpha=other)
    return ops.sub(x, other, alpha=alpha)


def mul(x, other) -> Tensor:
    return ops.mul(x, other)


def neg(x) -> Tensor:
    return ops.neg(x)


subtract, multiply, negative = sub, mul, neg


def bmm(a: Tensor, b: Tensor) -> Tensor:
    """Batched matrix product of (B, N, M) and (B, M, P) tensors."""
    if a.ndim != 3 or b.ndim != 3 or a.shape[0] != b.shape[0]:
        raise RuntimeError(
            f"bmm: expects two 3-D tensors with one batch size, got {a.shape} and {b.shape}"
        )
    return ops.matmul(a, b)


eq, ne, lt, le, gt, ge = Tensor.eq, Tensor.ne, Tensor.lt, Tensor.le, Tensor.gt, Tensor.ge

# more of PyTorch's aliases and function forms
arcsin, arccos, arctan, arctan2 = asin, acos, atan, atan2
arcsinh, arccosh, arctanh = asinh, acosh, atanh
# PyTorch's view ops give a new tensor even where they change nothing (ops/views.py)
reshape, permute, transpose, squeeze, broadcast_to, movedim, unflatten = (
    _fresh_view(f) for f in (reshape, permute, transpose, squeeze, broadcast_to, movedim, unflatten)
)
moveaxis = movedim
swapaxes = swapdims = transpose
unsafe_chunk, unsafe_split = Tensor.unsafe_chunk, Tensor.unsafe_split
true_divide = ops.div
floor_divide = ops.floor_divide
remainder = ops.remainder


# round nine: more of PyTorch's function forms and aliases
ger = outer
absolute = abs
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne
cosine_similarity = nn.functional.cosine_similarity
pairwise_distance = nn.functional.pairwise_distance


def addmv_(input: Tensor, mat: Tensor, vec: Tensor, *, beta=1, alpha=1) -> Tensor:  # noqa: A002
    return input.addmv_(mat, vec, beta=beta, alpha=alpha)


def renorm(input: Tensor, p, dim: int, maxnorm) -> Tensor:  # noqa: A002
    return input.renorm(p, dim, maxnorm)


def vsplit(input: Tensor, indices_or_sections) -> tuple:  # noqa: A002
    return input.vsplit(indices_or_sections)


def hsplit(input: Tensor, indices_or_sections) -> tuple:  # noqa: A002
    return input.hsplit(indices_or_sections)


def dsplit(input: Tensor, indices_or_sections) -> tuple:  # noqa: A002
    return input.dsplit(indices_or_sections)


def split_with_sizes(input: Tensor, split_sizes, dim: int = 0) -> tuple:  # noqa: A002
    return input.split_with_sizes(split_sizes, dim)


def asarray(obj, *, dtype=None, device=None, copy: bool | None = None, requires_grad=None):  # noqa: F811 - the device argument shadows mg.device
    """obj as a tensor, sharing its memory where it can (as_tensor), or a copy with
    `copy=True`; `copy=False` refuses a conversion that needs a copy. A tensor keeps its
    graph, as PyTorch 2.13's: `requires_grad` left unset follows obj's (with PyTorch's
    warning of that change, where obj requires grad), False detaches the result, True makes
    a new tensor a leaf that requires grad."""
    if copy is False and isinstance(obj, Tensor):
        if (dtype is not None and np.dtype(dtype) != obj.dtype) or (
            device is not None and str(device) != obj.device
        ):
            raise ValueError("asarray: the conversion needs a copy, but copy=False")
    out = as_tensor(obj, dtype=dtype, device=device)
    if copy is False and not isinstance(obj, Tensor):
        # (an empty array shares nothing, yet needs no copy when the dtype is kept)
        shared = hasattr(obj, "__array_interface__") and (
            np.may_share_memory(out._data, obj) or (obj.size == 0 and out.dtype == obj.dtype)
        )
        if not shared:  # a list, a scalar, or an array of another dtype
            raise ValueError(
                f"asarray: the conversion of a {type(obj).__name__} needs a copy, but copy=False"
            )
    if copy and (out is obj or not isinstance(obj, Tensor)):  # (a cast copied already)
        out = out.clone() if out is obj else tensor(out._data, dtype=out.dtype, device=out.device)
    if isinstance(obj, Tensor):
        if requires_grad is None and copy is None and obj.requires_grad and out is obj:
            _warn_user(
                "asarray: unspecified requires_grad now defaults to obj.requires_grad instead "
                "of False, as in PyTorch 2.13. Pass requires_grad=False explicitly to get the "
                "old behavior and silence this warning."
            )
        if requires_grad is False and out.requires_grad:
            out = out.detach()
    if requires_grad and not out.requires_grad:
        out.requires_grad_(True)
    return out


# PyTorch's dtype names, so `t.to(mg.long)` works (last: they shadow builtins here).
half = float16
double = float64
long = int64
short = int16
float = float32  # noqa: A001
int = int32  # noqa: A001
bool = bool_  # noqa: A001

# torch._foreach_add_ and the rest: the op over a list of tensors (minigrad/_foreach.py)
from ._foreach import OPS as _FOREACH  # noqa: E402

globals().update(_FOREACH)

# torch.sin_(x) and the other top-level in-place functions: the tensor's own method
from ._inplace_functions import FUNCTIONS as _INPLACE  # noqa: E402

globals().update(_INPLACE)

# torch's top-level linear algebra (torch.inverse, torch.det, ...), from minigrad.linalg
det, logdet = linalg.det, linalg.logdet
inverse, matrix_exp, matrix_power = linalg.inv, linalg.matrix_exp, linalg.matrix_power
cholesky_solve, cholesky_inverse = linalg.cholesky_solve, linalg.cholesky_inverse


def cholesky(A: Tensor, upper: bool = False) -> Tensor:
    """torch.cholesky, whose `upper` may come by position (torch.linalg.cholesky's is
    keyword-only)."""
    return linalg.cholesky(A, upper=upper)


triangular_solve = linalg.triangular_solve  # the older form of linalg.solve_triangular
slogdet = Tensor.slogdet  # return_types.slogdet (linalg.slogdet gives linalg_slogdet)


def qr(input: Tensor, some: bool = True):  # noqa: A002
    """torch.qr's form (`some`); minigrad.linalg.qr takes PyTorch's newer `mode`."""
    return input.qr(some)


def pinverse(input: Tensor, rcond: float = 1e-15) -> Tensor:  # noqa: A002
    return input.pinverse(rcond)


def svd(input: Tensor, some: bool = True, compute_uv: bool = True):  # noqa: A002
    """torch.svd: (U, S, V), V not transposed (linalg.svd returns Vh)."""
    return input.svd(some, compute_uv)


from . import version  # noqa: E402 - torch.version's names
from .version import __version__  # noqa: E402

_memory.keep_freed_memory()  # freed arrays stay in the process for the next step's
_blas.prime()  # one mid-sized product: NumPy's OpenBLAS runs some shapes at full speed after it

# torch.autograd.functional (jacobian, hessian, ...): minigrad.autograd is one file, not a
# package, so the module is attached to it by name (as autograd.function is)
autograd.functional = autograd_functional
sys.modules[f"{__name__}.autograd.functional"] = autograd_functional
vmap = func.vmap  # torch.vmap

concat = concatenate = cat  # torch's other names of cat
nan, inf, pi, e, newaxis = math.nan, math.inf, math.pi, math.e, None  # torch's constants
cfloat = complex64 = np.dtype(np.complex64)  # dtype objects, as float32 (tensor.py)
cdouble = complex128 = np.dtype(np.complex128)


def rsub(input: Tensor, other, *, alpha=1) -> Tensor:  # noqa: A002
    """other - alpha * input, as PyTorch's `rsub`."""
    return sub(other, input, alpha=alpha)


# the torch.<name> forms of these nn.functional ops, where their signatures are F's
# (the top-level losses, dropouts and norms take other arguments in PyTorch: not here)
from .nn.functional import (  # noqa: E402
    adaptive_avg_pool1d,
    avg_pool1d,
    bilinear,
    channel_shuffle,
    conv1d,
    conv2d,
    conv3d,
    conv_transpose1d,
    conv_transpose2d,
    conv_transpose3d,
    group_norm,
    max_pool1d,
    max_pool1d_with_indices,
    max_pool2d,
    max_pool3d,
    pdist,
    pixel_shuffle,
    pixel_unshuffle,
    prelu,
    rms_norm,
    selu,
)
from .tensor import range_ as range  # noqa: E402, A004  torch.range (end inclusive, deprecated)

softmax = Tensor.softmax  # torch.softmax(input, dim, dtype=None), as the methods
log_softmax = Tensor.log_softmax
norm = Tensor.norm  # torch.norm refuses integer input, as Tensor.norm (ops.norm casts)

# smaller names ported programs reach for (minigrad/_more_api.py), and the top-level
# spellings of Tensor methods (`torch.fliplr(x)`, `torch.is_complex(x)`, `torch.real(x)`)
from ._more_api import (  # noqa: E402
    _p_checked,
    alpha_dropout,
    bartlett_window,
    batch_norm,
    bernoulli,  # ops.sampling's, recorded with a zero gradient and taking out=
    blackman_window,
    can_cast,
    chain_matmul,
    dropout,
    embedding,
    feature_alpha_dropout,
    get_num_interop_threads,
    gradient,
    hamming_window,
    hann_window,
    histogram,
    instance_norm,
    is_same_size,
    isin,
    kaiser_window,
    layer_norm,
    poisson,
    promote_types,
    result_type,
    scalar_tensor,
    seed,
    set_flush_denormal,
    set_num_interop_threads,
    unravel_index,
)
from ._more_api import dtype as dtype  # noqa: E402 - also a keyword's name below


# torch's native dropouts (input, p, train) that nn.functional has no form of: the in-place
# ones give x itself back, and feature_dropout draws one mask entry per (N, C) channel
def dropout_(input: Tensor, p: float, train: bool) -> Tensor:  # noqa: A002
    return nn.functional.dropout(input, _p_checked(p), train, inplace=True)


def alpha_dropout_(input: Tensor, p: float, train: bool) -> Tensor:  # noqa: A002
    return nn.functional.alpha_dropout(input, _p_checked(p), train, inplace=True)


def feature_alpha_dropout_(input: Tensor, p: float, train: bool) -> Tensor:  # noqa: A002
    return nn.functional.feature_alpha_dropout(input, _p_checked(p), train, inplace=True)


def feature_dropout(input: Tensor, p: float, train: bool) -> Tensor:  # noqa: A002
    return nn.functional._feature_dropout(input, _p_checked(p), train, "feature_dropout")


def feature_dropout_(input: Tensor, p: float, train: bool) -> Tensor:  # noqa: A002
    p = _p_checked(p)
    if not train or p == 0:  # nothing written: x itself, as PyTorch's
        return input
    return input._apply_("feature_dropout_", lambda t: feature_dropout(t, p, train))


fliplr, flipud, narrow_copy = Tensor.fliplr, Tensor.flipud, Tensor.narrow_copy
is_complex, is_signed, is_inference = Tensor.is_complex, Tensor.is_signed, Tensor.is_inference
conj, resolve_conj, resolve_neg = Tensor.conj, Tensor.resolve_conj, Tensor.resolve_neg
is_conj, is_neg, isreal, adjoint = Tensor.is_conj, Tensor.is_neg, Tensor.isreal, Tensor.adjoint
real, imag, detach = Tensor.real.fget, Tensor.imag.fget, Tensor.detach

# PyTorch's `out=` keyword on the top-level functions (`mg.add(a, b, out=c)`), see
# minigrad/_out.py. Keep this block last: it wraps the names as finally defined above.
from . import _out  # noqa: E402

_out.install(globals())
_out.install(vars(nn.functional), names=("normalize",))  # F.normalize(x, out=o)

# NumPy's `axis=`/`keepdims=` for `dim=`/`keepdim=`, as PyTorch's functions and methods
# take them, and PyTorch's keyword names for tensor arguments (`input=`, `other=`) where
# minigrad's differ (minigrad/_aliases.py); after `out=`, so that it wraps the final names.
from . import _aliases  # noqa: E402

_aliases.install(globals(), Tensor)
_aliases.install(vars(linalg))
_aliases.install(vars(special))

# PyTorch's submodule import paths (`from minigrad.utils.data.sampler import BatchSampler`,
# `from minigrad.nn.modules.loss import _Loss`), registered as the modules holding the names
from . import _paths  # noqa: E402

_paths.install()
