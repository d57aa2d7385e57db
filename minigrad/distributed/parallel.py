"""DistributedDataParallel: one model per process, gradients averaged over processes.

Every process holds the same parameters (broadcast from rank 0 at construction), runs
forward and backward on its own shard of the batch, and ends the backward with the mean of
all processes' gradients in `.grad`, so that identical optimizer steps keep the copies equal.

The parameters are grouped, in reverse registration order (roughly the order in which the
backward finishes them), into buckets of at most `bucket_cap_mb`. Each parameter's post-
accumulate hook marks it ready; with `overlap=True`, a bucket whose gradients are all ready
is copied into one flat buffer and its non-blocking all-reduce (MPI_Iallreduce) starts while
the backward goes on through earlier layers. Buckets start strictly in order, as MPI needs
every process to issue its collectives in the same order. A callback queued for the end of
the backward waits for them all and writes the averages back into `.grad`, so `.grad` is
final when `backward()` returns, as in PyTorch. `overlap=False` does the same all-reduces
one after the other after the backward, to measure what overlapping gains.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

from ..autograd import is_grad_enabled, queue_callback
from ..backend import get_array_module
from ..nn.module import Module
from ..tensor import Tensor
from . import comm as C


class _Bucket:
    """Parameters whose gradients travel as one flat buffer."""

    def __init__(self, params: list[Any]) -> None:
        self.params = params
        self.offsets, n = [], 0
        for p in params:
            self.offsets.append(n)
            n += p.numel()
        self.size = n
        self.ready = 0
        self.buf: Any = None
        self.back: Any = None
        self.request: Any = None

    def pack(self) -> Any:
        """The gradients, flat, in a fresh buffer (MPI's reduction overwrites it)."""
        g0 = self.params[0].grad._data
        xp = get_array_module(g0)
        self.buf = xp.empty(self.size, dtype=g0.dtype)
        for p, o in zip(self.params, self.offsets, strict=True):
            self.buf[o : o + p.numel()] = p.grad._data.reshape(-1)
        mbuf, self.back = C.mpi_buffer(self.buf)
        return mbuf

    def unpack(self, world: int) -> None:
        """Average and hand each parameter its slice as its new `.grad`."""
        self.back()
        self.buf /= world
        for p, o in zip(self.params, self.offsets, strict=True):
            p.grad = Tensor._make(self.buf[o : o + p.numel()].reshape(p.shape), False)
        self.buf = self.back = self.request = None
        self.ready = 0


def _check_torch_keywords(
    device_ids: Any, output_device: Any, dim: int, process_group: Any, find_unused: bool
) -> None:
    """Refuse PyTorch's DDP settings that would ask for what minigrad does not do."""
    name = "DistributedDataParallel"
    del output_device  # where outputs go: the module's device, as PyTorch's single-device case
    if device_ids is not None and not (
        isinstance(device_ids, (list, tuple)) and len(device_ids) <= 1
    ):
        raise ValueError(f"{name}: device_ids must be None or one device, got {device_ids!r}")
    if dim != 0:
        raise ValueError(f"{name}: dim must be 0 (the batch dim of the inputs), got {dim}")
    C._check_group(name, process_group)
    if find_unused:
        raise ValueError(
            f"{name}: find_unused_parameters=True is not supported: every parameter must get "
            "a gradient in a synchronised backward (docs/distributed.md)"
        )


class DistributedDataParallel(Module):
    """Wrap `module` for data-parallel training over MPI, as
    `torch.nn.parallel.DistributedDataParallel`: forward is the module's; after each
    `backward()` the gradients are the mean over processes. `state_dict()` holds the
    module's own keys (no `module.` prefix), so it loads into the plain module.

    bucket_cap_mb: the most gradient megabytes per all-reduce. overlap: start each bucket's
    all-reduce during the backward (False: all of them after it). broadcast_buffers: copy
    rank 0's buffers (batch-norm running statistics) to every process before each training
    forward with grad enabled and outside no_sync.

    PyTorch's keywords that change nothing here are taken: device_ids and output_device
    (None, or the one device the module is on), dim 0, process_group None,
    gradient_as_bucket_view and static_graph (hints to PyTorch's reducer; the gradients are
    the same), find_unused_parameters=False (True is refused: see docs/distributed.md).
    """

    def __init__(
        self,
        module: Module,
        bucket_cap_mb: float = 25.0,
        overlap: bool = True,
        broadcast_buffers: bool = True,
        *,
        device_ids: Any = None,
        output_device: Any = None,
        dim: int = 0,
        process_group: Any = None,
        find_unused_parameters: bool = False,
        gradient_as_bucket_view: bool = False,
        static_graph: bool = False,
    ) -> None:
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel: {type(module).__name__} is not a Module")
        _check_torch_keywords(device_ids, output_device, dim, process_group, find_unused_parameters)
        del gradient_as_bucket_view, static_graph  # PyTorch's reducer hints: same gradients
        if not bucket_cap_mb > 0:
            raise ValueError(
                f"DistributedDataParallel: bucket_cap_mb must be positive, got {bucket_cap_mb}"
            )
        self.module = module
        self.overlap, self.broadcast_buffers = bool(overlap), bool(broadcast_buffers)
        self.world = C.world_size()
        self.comm = C.new_comm()
        self.comm_seconds = 0.0  # time spent in MPI calls on gradients (benchmarks read it)
        self.overlapped_buckets = 0  # buckets the last backward started before its end
        self._sync, self._queued, self._next = True, False, 0
        self._ready: set[int] = set()
        self._handles: list[Any] = []
        seen: set[int] = set()
        params = []
        for p in module.parameters():
            if p.requires_grad and id(p) not in seen:
                seen.add(id(p))
                params.append(p)
        self._buckets = _make_buckets(params[::-1], bucket_cap_mb * 2**20)
        self._bucket_of = {id(p): b for b in self._buckets for p in b.params}
        if self.world > 1:
            for t in list(module.parameters()) + [b for b in module.buffers() if b is not None]:
                C.broadcast_array(t._data, 0, self.comm)
            for p in params:
                self._handles.append(p.register_post_accumulate_grad_hook(self._grad_ready))

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        if self._queued:  # the last backward failed before its end: drop its reduction
            self._queued, self._ready = False, set()
            self._reset()
        # rank 0's buffers before each training forward that will be synchronised, as
        # PyTorch; so an evaluation on one process alone communicates nothing
        if self.world > 1 and self.broadcast_buffers and self.training and self._will_sync():
            for b in self.module.buffers():
                if b is not None:
                    C.broadcast_array(b._data, 0, self.comm)
        return self.module(*args, **kwargs)

    def _will_sync(self) -> bool:
        return self._sync and is_grad_enabled()

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Backward passes inside only accumulate local gradients; the first synchronised
        backward after averages the accumulated sums."""
        old, self._sync = self._sync, False
        try:
            yield
        finally:
            self._sync = old

    def state_dict(
        self, *args: Any, destination: Any = None, prefix: str = "", keep_vars: bool = False
    ):
        """The wrapped module's state_dict (its keys, without "module."); positional
        arguments work with PyTorch's FutureWarning, as Module.state_dict's."""
        return self.module.state_dict(
            *args, destination=destination, prefix=prefix, keep_vars=keep_vars
        )

    def load_state_dict(self, state: dict[str, Any], strict: bool = True) -> Any:
        return self.module.load_state_dict(state, strict)

    # ------------------------------------------------------------------ the reducer
    def _grad_ready(self, p: Any) -> None:
        if not self._sync:
            return
        if not self._queued:
            self._queued = True
            queue_callback(self._finish)
        self._ready.add(id(p))
        self._bucket_of[id(p)].ready += 1
        if self.overlap:
            self._start_ready_buckets()

    def _start_ready_buckets(self) -> None:
        MPI = C.mpi()
        t0 = time.perf_counter()
        while self._next < len(self._buckets):
            b = self._buckets[self._next]
            if b.ready < len(b.params):
                break
            b.request = self.comm.Iallreduce(MPI.IN_PLACE, b.pack(), op=MPI.SUM)
            self._next += 1
        # MPI moves non-blocking messages forward only inside MPI calls: give it one
        started = [b.request for b in self._buckets[: self._next] if b.request is not None]
        if started:
            MPI.Request.Testall(started)
        self.comm_seconds += time.perf_counter() - t0

    def _finish(self) -> None:
        """End of the backward: every bucket reduced, averaged and back in `.grad`."""
        self._queued = False
        ready, self._ready = self._ready, set()
        if len(ready) < len(self._bucket_of):
            lost = [
                n
                for n, p in self.module.named_parameters()
                if id(p) in self._bucket_of and id(p) not in ready
            ]
            self._reset()
            raise RuntimeError(
                f"DistributedDataParallel: {len(lost)} parameter(s) got no gradient in this "
                f"backward ({', '.join(lost[:5])}); every parameter that requires grad must "
                "take part in each synchronised loss (freeze the others with "
                "requires_grad_(False) before wrapping, or run that backward in no_sync())"
            )
        MPI = C.mpi()
        t0 = time.perf_counter()
        self.overlapped_buckets = self._next
        if self.overlap:
            MPI.Request.Waitall([b.request for b in self._buckets])
        else:
            for b in self._buckets:
                self.comm.Allreduce(MPI.IN_PLACE, b.pack(), op=MPI.SUM)
        self.comm_seconds += time.perf_counter() - t0
        for b in self._buckets:
            b.unpack(self.world)
        self._next = 0

    def _reset(self) -> None:
        """Forget a half-done reduction (after an error: wait for the started ones first)."""
        started = [b.request for b in self._buckets if b.request is not None]
        if started:
            C.mpi().Request.Waitall(started)
        for b in self._buckets:
            b.ready, b.buf, b.back, b.request = 0, None, None, None
        self._next = 0


def _make_buckets(params: list[Any], cap_bytes: float) -> list[_Bucket]:
    """Consecutive parameters of one dtype and device, up to `cap_bytes` per bucket (a
    larger single parameter gets a bucket of its own)."""
    buckets: list[list[Any]] = []
    size = 0
    for p in params:
        nbytes = p.numel() * p.dtype.itemsize
        last = buckets[-1] if buckets else None
        if (
            last is None
            or size + nbytes > cap_bytes
            or p.dtype != last[0].dtype
            or p.device != last[0].device
        ):
            buckets.append([p])
            size = nbytes
        else:
            last.append(p)
            size += nbytes
    return [_Bucket(b) for b in buckets]
