"""Processes, ranks and collectives over MPI (mpi4py), as `torch.distributed`.

`init()` joins the job that `mpiexec -n N` started; rank() and world_size() say where this
process stands. A process started without mpiexec is a world of one and communicates
nothing; mpi4py is imported only here, on first use, so `import minigrad` never needs it.
Arrays meet MPI in one place, `mpi_buffer`.
"""

from __future__ import annotations

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


def barrier() -> None:
    """Wait until every process has reached this call."""
    if world_size() > 1:
        _world.comm.Barrier()


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


_OPS = ("sum", "mean", "max", "min")


def _reduce_array(a: Any, op: str, comm: Any = None) -> None:
    comm = comm or _world.comm
    MPI = mpi()
    buf, back = mpi_buffer(a)
    mpi_op = {"sum": MPI.SUM, "mean": MPI.SUM, "max": MPI.MAX, "min": MPI.MIN}[op]
    comm.Allreduce(MPI.IN_PLACE, buf, op=mpi_op)
    if op == "mean":
        buf /= comm.Get_size()
    back()


def all_reduce(tensor: Tensor, op: str = "sum") -> None:
    """Replace `tensor` on every process by the elementwise sum (mean, max, min) over all of
    them, in place and outside the graph, as `torch.distributed.all_reduce`."""
    if op not in _OPS:
        raise ValueError(f"all_reduce: op must be one of {', '.join(_OPS)}, got {op!r}")
    if not isinstance(tensor, Tensor):
        raise TypeError(f"all_reduce: expected a Tensor, got {type(tensor).__name__}")
    if op == "mean" and tensor.dtype.kind not in "fc":
        raise TypeError(f"all_reduce: op 'mean' needs a floating tensor, got {tensor.dtype}")
    if world_size() == 1:
        return
    _reduce_array(tensor._data, op)
    tensor._version += 1


def broadcast(tensor: Tensor, src: int = 0) -> None:
    """Overwrite `tensor` on every process with process `src`'s, in place."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"broadcast: expected a Tensor, got {type(tensor).__name__}")
    size = world_size()
    if not 0 <= src < size:
        raise ValueError(f"broadcast: src must be a rank in [0, {size - 1}], got {src}")
    if size == 1:
        return
    broadcast_array(tensor._data, src)
    tensor._version += 1


def broadcast_array(a: Any, src: int = 0, comm: Any = None) -> None:
    buf, back = mpi_buffer(a)
    (comm or _world.comm).Bcast(buf, root=src)
    back()


def broadcast_object(obj: Any, src: int = 0) -> Any:
    """Process `src`'s `obj` (any picklable value), returned on every process."""
    return obj if world_size() == 1 else _world.comm.bcast(obj, root=src)


def gather_object(obj: Any, dst: int = 0) -> list[Any] | None:
    """Every process's `obj` (picklable), as a list by rank on process `dst`; None elsewhere."""
    if world_size() == 1:
        return [obj]
    return _world.comm.gather(obj, root=dst)


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
