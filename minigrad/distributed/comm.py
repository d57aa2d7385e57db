"""Processes, ranks and collectives over MPI (mpi4py), as `torch.distributed`.

`init()` joins the job that `mpiexec -n N` started; rank() and world_size() say where this
process stands. A process started without mpiexec is a world of one and communicates
nothing; mpi4py is imported only here, on first use, so `import minigrad` never needs it.
Arrays meet MPI in one place, `mpi_buffer`.
"""

from __future__ import annotations

import operator
import os
from collections.abc import Callable
from typing import Any

from ..autograd import Function
from ..backend import get_array_module, is_cupy_array
from ..tensor import Tensor

_INSTALL_HINT = (
    "the package mpi4py is not installed: `pip install mpi4py mpich` (or the `mpi` extra, "
    '`pip install -e ".[mpi]"`), or build mpi4py against your cluster\'s MPI'
)
# set by launchers: MPICH/Intel MPI's Hydra, Open MPI, PMIx (Slurm's srun)
_LAUNCHER_SIZE_VARS = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_SIZE")


class _World:
    comm: Any = None  # mpi4py's COMM_WORLD, or None for a single process without MPI
    initialized = False


_world = _World()


def launcher_size() -> int:
    """The process count a launcher (mpiexec, srun) announced, or 0 outside one."""
    for name in _LAUNCHER_SIZE_VARS:
        if os.environ.get(name, "").isdigit():
            return int(os.environ[name])
    return 0


def mpi() -> Any:
    """mpi4py's `MPI` module, or an ImportError that names the missing package."""
    try:
        from mpi4py import MPI
    except ImportError as exc:
        raise ImportError(f"minigrad.distributed: {_INSTALL_HINT}") from exc
    return MPI


def init() -> None:
    """Join the MPI job (again: nothing). Without mpi4py, a process that no launcher started
    is a world of one; a launched one raises, naming the package."""
    if _world.initialized:
        return
    try:
        _world.comm = mpi().COMM_WORLD
    except ImportError:
        if launcher_size() > 1:
            raise
        _world.comm = None
    _world.initialized = True


def is_initialized() -> bool:
    return _world.initialized


def is_available() -> bool:
    """Whether the MPI backend can be used here: mpi4py imports (PyTorch's guard,
    `if dist.is_available() and dist.is_initialized()`)."""
    try:
        mpi()
    except ImportError:
        return False
    return True


def world_size() -> int:
    """The number of processes (1 without mpiexec); joins the job if not yet done."""
    init()
    return 1 if _world.comm is None else _world.comm.Get_size()


def rank() -> int:
    """This process's number, 0 .. world_size() - 1."""
    init()
    return 0 if _world.comm is None else _world.comm.Get_rank()


def barrier(group: Any = None, async_op: bool = False, device_ids: Any = None) -> Any:
    """Wait until every process has reached this call (async_op: a completed `Work`)."""
    _check_group("barrier", group)
    if world_size() > 1:
        _world.comm.Barrier()
    return _done(async_op)


def new_comm() -> Any:
    """A communicator of its own (MPI_Comm_dup: every process must call it, in the same
    order), so that one user's collectives never pair with another's; None alone."""
    return None if world_size() == 1 else _world.comm.Dup()


def abort(code: int = 1) -> None:
    """End every process of the job now (MPI_Abort), e.g. when this one has failed and the
    others would wait for it forever."""
    if world_size() > 1:
        _world.comm.Abort(code)


def cuda_aware() -> bool:
    """Whether MPI may be handed CuPy arrays directly: mpi4py says so
    (`MPI.Query_cuda_support`, where the MPI library has it), or MINIGRAD_CUDA_AWARE_MPI=1."""
    if os.environ.get("MINIGRAD_CUDA_AWARE_MPI") == "1":
        return True
    query = getattr(mpi(), "Query_cuda_support", None)
    return bool(query()) if query is not None else False


def mpi_buffer(a: Any) -> tuple[Any, Callable[[], None]]:
    """The contiguous array MPI reads and writes in place of `a`, and the call that puts
    MPI's result back into `a`.

    The one place that decides how arrays travel: a NumPy array goes as it is; a CuPy array
    goes as it is to a CUDA-aware MPI (once its stream has finished writing it), else as a
    host copy that the returned call copies back to the GPU.
    """
    if is_cupy_array(a):
        get_array_module(a).cuda.get_current_stream().synchronize()
        if not cuda_aware():
            host = a.get()
            return host, lambda: a.set(host)
    xp = get_array_module(a)
    if a.flags.c_contiguous:
        return a, lambda: None
    buf = xp.ascontiguousarray(a)
    return buf, lambda: xp.copyto(a, buf)


class ReduceOp:
    """The reductions of all_reduce, reduce and reduce_scatter_tensor under PyTorch's names
    (`ReduceOp.SUM`); each is its string, so `op="sum"` works too. AVG is minigrad's "mean"
    (PyTorch's NCCL has it; gloo refuses it); PREMUL_SUM is not offered."""

    SUM = "sum"
    AVG = "mean"
    MAX = "max"
    MIN = "min"
    PRODUCT = "product"
    BAND = "band"
    BOR = "bor"
    BXOR = "bxor"


_OPS = ("sum", "mean", "max", "min", "product", "band", "bor", "bxor")
_BITWISE = ("band", "bor", "bxor")
# on bool, as PyTorch's gloo: a sum or max is "any", a product or min "all"
_BOOL_OPS = {"sum": "LOR", "max": "LOR", "min": "LAND", "product": "LAND"}
_BOOL_OPS |= {"band": "LAND", "bor": "LOR", "bxor": "LXOR"}
_MPI_OPS = {"sum": "SUM", "mean": "SUM", "max": "MAX", "min": "MIN", "product": "PROD"}
_MPI_OPS |= {"band": "BAND", "bor": "BOR", "bxor": "BXOR"}


def check_op(name: str, op: Any, dtype: Any = None) -> str:
    """`op` as one of _OPS, or the error PyTorch gives for it on a tensor of `dtype` (None:
    not known yet): a mean of integers or bools, a bitwise op on floats, an order or product
    on complex."""
    if op not in _OPS:
        raise ValueError(f"{name}: op must be one of {', '.join(_OPS)}, got {op!r}")
    if dtype is None:
        return op
    if op == "mean" and dtype.kind not in "fc":
        raise TypeError(f"{name}: op 'mean' needs a floating tensor, got {dtype}")
    if op in _BITWISE and dtype.kind not in "biu":
        raise TypeError(f"{name}: op {op!r} needs an integer or bool tensor, got {dtype}")
    if dtype.kind == "c" and op not in ("sum", "mean"):
        raise ValueError(f"{name}: op {op!r} is not defined on complex tensors ({dtype})")
    return op


def _mpi_op(op: str, dtype: Any) -> Any:
    """MPI's reduction for `op` on `dtype`: MPI allows only logical ones on bool."""
    MPI = mpi()
    return getattr(MPI, _BOOL_OPS[op] if dtype.kind == "b" else _MPI_OPS[op])


def _reduce_array(a: Any, op: str, comm: Any = None) -> None:
    comm = comm or _world.comm
    buf, back = mpi_buffer(a)
    comm.Allreduce(mpi().IN_PLACE, buf, op=_mpi_op(op, a.dtype))
    if op == "mean":
        buf /= comm.Get_size()
    back()


class Work:
    """What a collective called with `async_op=True` returns: minigrad's collectives
    complete before they return, so the handle is already done and `wait()` returns at
    once (PyTorch's overlaps the call with later work)."""

    def wait(self, timeout: Any = None) -> bool:
        return True

    def is_completed(self) -> bool:
        return True

    def is_success(self) -> bool:
        return True


def _done(async_op: bool) -> Work | None:
    return Work() if async_op else None


def _check_group(name: str, group: Any) -> None:
    """Only the whole world is a group here (PyTorch's `new_group` has no counterpart)."""
    if group is not None and group is not GroupMember.WORLD:
        raise ValueError(
            f"{name}: process groups other than the whole world are not supported, got "
            f"group={group!r} (docs/distributed.md)"
        )


class GroupMember:
    """PyTorch's `dist.group.WORLD` / `GroupMember.WORLD`: the default group of every
    process, the only one minigrad has."""

    WORLD = "WORLD"


group = GroupMember


def _tensor(name: str, t: Any, what: str = "a Tensor") -> Tensor:
    if not isinstance(t, Tensor):
        raise TypeError(f"{name}: expected {what}, got {type(t).__name__}")
    return t


def _rank_arg(name: str, arg: str, r: Any) -> int:
    size = world_size()
    try:
        r = operator.index(r)
    except TypeError:
        r = None
    if r is None or not 0 <= r < size:
        raise ValueError(f"{name}: {arg} must be a rank in [0, {size - 1}], got {r!r}")
    return r


def _written(t: Tensor) -> None:
    t._version += 1  # an in-place change, as autograd's saved-tensor checks see it


def all_reduce(
    tensor: Tensor, op: str = ReduceOp.SUM, group: Any = None, async_op: bool = False
) -> Work | None:
    """Replace `tensor` on every process by the elementwise reduction over all of them (sum,
    mean, max, min, product, bitwise and/or/xor; on bool a sum or max is "any", a min or
    product "all"), in place and outside the graph, as `torch.distributed.all_reduce`."""
    check_op("all_reduce", op)
    check_op("all_reduce", op, _tensor("all_reduce", tensor).dtype)
    _check_group("all_reduce", group)
    if world_size() > 1:
        _reduce_array(tensor._data, op)
        _written(tensor)
    return _done(async_op)


def reduce(
    tensor: Tensor, dst: int = 0, op: str = ReduceOp.SUM, group: Any = None, async_op: bool = False
) -> Work | None:
    """The reduction of `tensor` over every process, into process `dst`'s `tensor` (the
    others' are left as they were), as `torch.distributed.reduce`."""
    _tensor("reduce", tensor)
    check_op("reduce", op, tensor.dtype)
    _check_group("reduce", group)
    _rank_arg("reduce", "dst", dst)
    if world_size() > 1:
        MPI = mpi()
        buf, back = mpi_buffer(tensor._data)
        mine = rank() == dst
        out = buf if mine else None
        send = MPI.IN_PLACE if mine else buf
        _world.comm.Reduce(send, out, op=_mpi_op(op, buf.dtype), root=dst)
        if mine:
            if op == "mean":
                buf /= world_size()
            back()
            _written(tensor)
    return _done(async_op)


def broadcast(
    tensor: Tensor, src: int = 0, group: Any = None, async_op: bool = False
) -> Work | None:
    """Overwrite `tensor` on every process with process `src`'s, in place."""
    _tensor("broadcast", tensor)
    _check_group("broadcast", group)
    _rank_arg("broadcast", "src", src)
    if world_size() > 1:
        broadcast_array(tensor._data, src)
        _written(tensor)
    return _done(async_op)


def broadcast_array(a: Any, src: int = 0, comm: Any = None) -> None:
    buf, back = mpi_buffer(a)
    (comm or _world.comm).Bcast(buf, root=src)
    back()


def _same_kind(name: str, what: str, t: Any, like: Tensor, shape: tuple[int, ...]) -> Tensor:
    """`t`, a Tensor of `like`'s dtype and the given shape (one process's part)."""
    _tensor(name, t, f"a Tensor in {what}")
    if t.dtype != like.dtype or tuple(t.shape) != shape:
        raise ValueError(
            f"{name}: {what} must hold tensors of dtype {like.dtype} and shape {shape}, "
            f"got dtype {t.dtype} and shape {tuple(t.shape)}"
        )
    return t


def _parts(name: str, what: str, tensors: Any, like: Tensor) -> list[Tensor]:
    """A list of one tensor per process, each of `like`'s dtype and shape."""
    size = world_size()
    if not isinstance(tensors, (list, tuple)) or len(tensors) != size:
        got = len(tensors) if isinstance(tensors, (list, tuple)) else type(tensors).__name__
        raise ValueError(
            f"{name}: {what} must be a list of {size} tensors (one per process), got {got}"
        )
    return [_same_kind(name, what, t, like, tuple(like.shape)) for t in tensors]


def _fill(parts: list[Tensor], every: Any) -> None:
    """Copy `every` (world, *shape) into the tensors of `parts`, one row each."""
    for t, row in zip(parts, every, strict=True):
        t._data[...] = row
        _written(t)


def _gathered(a: Any, root: int | None = None) -> Any:
    """Every process's `a` stacked by rank, `(world, *a.shape)`: on every process (root
    None, MPI_Allgather) or on `root` alone (MPI_Gather; None elsewhere)."""
    xp = get_array_module(a)
    buf, _ = mpi_buffer(xp.ascontiguousarray(a))
    out = None
    if root is None or rank() == root:
        out = xp.empty((world_size(), *a.shape), dtype=a.dtype)
    obuf, back = mpi_buffer(out) if out is not None else (None, lambda: None)
    if root is None:
        _world.comm.Allgather(buf, obuf)
    else:
        _world.comm.Gather(buf, obuf, root=root)
    back()
    return out


def all_gather(
    tensor_list: list[Tensor], tensor: Tensor, group: Any = None, async_op: bool = False
) -> Work | None:
    """Fill `tensor_list` (one tensor per process, each of `tensor`'s shape and dtype) with
    every process's `tensor`, by rank, in place, as `torch.distributed.all_gather`."""
    _tensor("all_gather", tensor)
    parts = _parts("all_gather", "tensor_list", tensor_list, tensor)
    _check_group("all_gather", group)
    every = tensor._data[None] if world_size() == 1 else _gathered(tensor._data)
    _fill(parts, every)
    return _done(async_op)


def all_gather_into_tensor(
    output_tensor: Tensor, input_tensor: Tensor, group: Any = None, async_op: bool = False
) -> Work | None:
    """Every process's `input_tensor`, by rank, into `output_tensor`: concatenated along
    the first dim `(world * n, ...)` or stacked `(world, n, ...)`, as PyTorch takes both."""
    name = "all_gather_into_tensor"
    _tensor(name, output_tensor)
    _tensor(name, input_tensor)
    _check_group(name, group)
    size, shape = world_size(), tuple(input_tensor.shape)
    fits = (size, *shape)
    if shape:
        fits = (fits, (size * shape[0], *shape[1:]))
    else:
        fits = (fits, (size,))
    if output_tensor.dtype != input_tensor.dtype or tuple(output_tensor.shape) not in fits:
        raise ValueError(
            f"{name}: output_tensor must have dtype {input_tensor.dtype} and shape "
            f"{fits[1]} or {fits[0]} for {size} inputs of shape {shape}, got dtype "
            f"{output_tensor.dtype} and shape {tuple(output_tensor.shape)}"
        )
    a = input_tensor._data
    every = a[None] if size == 1 else _gathered(a)
    output_tensor._data[...] = every.reshape(output_tensor.shape)
    _written(output_tensor)
    return _done(async_op)


def reduce_scatter_tensor(
    output: Tensor,
    input: Tensor,  # noqa: A002 (PyTorch's name)
    op: str = ReduceOp.SUM,
    group: Any = None,
    async_op: bool = False,
) -> Work | None:
    """Reduce `input` `(world * n, ...)` over every process and give process r block r of
    the result, `(n, ...)`, in `output`, as `torch.distributed.reduce_scatter_tensor`."""
    name = "reduce_scatter_tensor"
    _tensor(name, output)
    _tensor(name, input)
    check_op(name, op, input.dtype)
    _check_group(name, group)
    size, shape = world_size(), tuple(output.shape)
    want = (size * shape[0], *shape[1:]) if shape else (size,)
    if input.dtype != output.dtype or tuple(input.shape) not in (want, (size, *shape)):
        raise ValueError(
            f"{name}: input must have output's dtype {output.dtype} and shape {want} "
            f"({size} blocks of output's shape {shape}), got dtype {input.dtype} and shape "
            f"{tuple(input.shape)}"
        )
    xp = get_array_module(input._data)
    if size == 1:
        output._data[...] = input._data.reshape(shape)
    else:
        send, _ = mpi_buffer(xp.ascontiguousarray(input._data))
        recv, back = mpi_buffer(xp.empty(shape, dtype=output.dtype))
        _world.comm.Reduce_scatter_block(send, recv, op=_mpi_op(op, recv.dtype))
        if op == "mean":
            recv /= size
        back()
        output._data[...] = recv
    _written(output)
    return _done(async_op)


def gather(
    tensor: Tensor,
    gather_list: list[Tensor] | None = None,
    dst: int = 0,
    group: Any = None,
    async_op: bool = False,
) -> Work | None:
    """Every process's `tensor`, by rank, into `gather_list` on process `dst` (one tensor
    per process of `tensor`'s shape and dtype; None on the others), as PyTorch's gather."""
    _tensor("gather", tensor)
    _check_group("gather", group)
    _rank_arg("gather", "dst", dst)
    mine = rank() == dst
    if mine:
        parts = _parts("gather", "gather_list", gather_list, tensor)
    elif gather_list is not None:
        raise ValueError(f"gather: gather_list must be None on a process other than dst {dst}")
    every = tensor._data[None] if world_size() == 1 else _gathered(tensor._data, dst)
    if mine:
        _fill(parts, every)
    return _done(async_op)


def scatter(
    tensor: Tensor,
    scatter_list: list[Tensor] | None = None,
    src: int = 0,
    group: Any = None,
    async_op: bool = False,
) -> Work | None:
    """Process `src`'s `scatter_list[r]` into process r's `tensor`, in place (scatter_list:
    one tensor per process of `tensor`'s shape and dtype on `src`, None elsewhere)."""
    _tensor("scatter", tensor)
    _check_group("scatter", group)
    _rank_arg("scatter", "src", src)
    xp = get_array_module(tensor._data)
    send = None
    if rank() == src:
        parts = _parts("scatter", "scatter_list", scatter_list, tensor)
        send = xp.stack([t._data for t in parts])
    elif scatter_list is not None:
        raise ValueError(f"scatter: scatter_list must be None on a process other than src {src}")
    if world_size() == 1:
        tensor._data[...] = send[0]
    else:
        sbuf = mpi_buffer(send)[0] if send is not None else None
        recv, back = mpi_buffer(xp.empty(tensor.shape, dtype=tensor.dtype))
        _world.comm.Scatter(sbuf, recv, root=src)
        back()
        tensor._data[...] = recv
    _written(tensor)
    return _done(async_op)


def send(tensor: Tensor, dst: int = 0, group: Any = None, tag: int = 0) -> None:
    """Send `tensor` to process `dst` (blocking until it may be reused), as PyTorch's."""
    _tensor("send", tensor)
    _check_group("send", group)
    _rank_arg("send", "dst", dst)
    if dst == rank():
        raise ValueError(f"send: dst {dst} is this process itself")
    buf, _ = mpi_buffer(get_array_module(tensor._data).ascontiguousarray(tensor._data))
    _world.comm.Send(buf, dest=dst, tag=tag)


def recv(tensor: Tensor, src: int | None = None, group: Any = None, tag: int = 0) -> int:
    """Receive into `tensor` (in place) what process `src` sends (None: any process);
    returns the sender's rank, as PyTorch's."""
    _tensor("recv", tensor)
    _check_group("recv", group)
    if src is not None:
        _rank_arg("recv", "src", src)
        if src == rank():
            raise ValueError(f"recv: src {src} is this process itself")
    elif world_size() == 1:
        raise ValueError("recv: a world of one process has no other process to receive from")
    MPI = mpi()
    buf, back = mpi_buffer(tensor._data)
    status = MPI.Status()
    _world.comm.Recv(buf, source=MPI.ANY_SOURCE if src is None else src, tag=tag, status=status)
    back()
    _written(tensor)
    return status.Get_source()


def broadcast_object(obj: Any, src: int = 0) -> Any:
    """Process `src`'s `obj` (any picklable value), returned on every process."""
    return obj if world_size() == 1 else _world.comm.bcast(obj, root=src)


def broadcast_object_list(
    object_list: list[Any], src: int = 0, group: Any = None, device: Any = None
) -> None:
    """Replace `object_list`'s items on every process by process `src`'s (picklable), in
    place, as PyTorch's (the lists must be as long everywhere)."""
    _check_group("broadcast_object_list", group)
    _rank_arg("broadcast_object_list", "src", src)
    object_list[:] = broadcast_object(list(object_list), src)


def all_gather_object(object_list: list[Any], obj: Any, group: Any = None) -> None:
    """Fill `object_list` (one slot per process) with every process's `obj`, by rank."""
    _check_group("all_gather_object", group)
    size = world_size()
    if not isinstance(object_list, list) or len(object_list) != size:
        got = len(object_list) if isinstance(object_list, list) else type(object_list).__name__
        raise ValueError(
            f"all_gather_object: object_list must be a list of {size} slots, got {got}"
        )
    object_list[:] = [obj] if size == 1 else _world.comm.allgather(obj)


def gather_object(
    obj: Any, object_gather_list: list[Any] | None = None, dst: int = 0, group: Any = None
) -> list[Any] | None:
    """Every process's `obj` (picklable), by rank, on process `dst`: written into
    `object_gather_list` there, as PyTorch's, and also returned (None elsewhere).
    minigrad's older spelling `gather_object(obj, dst)` still works."""
    if not isinstance(object_gather_list, (list, type(None))):
        dst, object_gather_list = object_gather_list, None  # gather_object(obj, dst)
    _check_group("gather_object", group)
    _rank_arg("gather_object", "dst", dst)
    every = [obj] if world_size() == 1 else _world.comm.gather(obj, root=dst)
    if object_gather_list is not None and every is not None:
        object_gather_list[:] = every
    return every


class AllReduceSum(Function):
    """y = x summed over all processes (each gets the same y). The gradient of the total
    loss with respect to one process's x is the sum of every process's gy, so the backward
    is this op again: differentiable to any order."""

    uses_inputs = False
    op_name = "all_reduce_sum"

    def forward(self, x):
        y = x.copy()
        if world_size() > 1:
            _reduce_array(y, "sum")
        return y

    def backward(self, gy):
        return all_reduce_sum(gy)


def all_reduce_sum(x: Tensor) -> Tensor:
    """The differentiable all-reduce (`torch.distributed.nn.functional.all_reduce`): a new
    Tensor, the sum of `x` over every process."""
    return AllReduceSum()(x)


# PyTorch's names for what minigrad calls otherwise
def get_rank(group: Any = None) -> int:
    """This process's number (`rank()`), as `torch.distributed.get_rank`."""
    _check_group("get_rank", group)
    return rank()


def get_world_size(group: Any = None) -> int:
    """The number of processes (`world_size()`), as `torch.distributed.get_world_size`."""
    _check_group("get_world_size", group)
    return world_size()


def get_backend(group: Any = None) -> str:
    _check_group("get_backend", group)
    return "mpi"


def init_process_group(
    backend: str | None = None,
    init_method: str | None = None,
    timeout: Any = None,
    world_size: int = -1,
    rank: int = -1,
    **ignored: Any,
) -> None:
    """`init()`, under PyTorch's name: the processes are always mpiexec's, over MPI, whatever
    `backend` ("gloo", "nccl", "mpi") and `init_method` say; a `world_size` or `rank` given
    must be MPI's (store, group_name, pg_options and device_id are not used)."""
    init()
    for what, given, actual in (
        ("world_size", world_size, get_world_size()),
        ("rank", rank, get_rank()),
    ):
        if given != -1 and given != actual:
            raise ValueError(
                f"init_process_group: {what}={given}, but MPI's is {actual} (minigrad's "
                "processes are the ones mpiexec started: mpiexec -n N)"
            )


def destroy_process_group(group: Any = None) -> None:
    """Leave the default group, as PyTorch's: is_initialized() says False until the next
    init. MPI itself stays up (it ends with the process), so a later init joins again."""
    _check_group("destroy_process_group", group)
    _world.initialized = False
