"""Python's multiprocessing for minigrad's tensors, as `torch.multiprocessing`.

`t.share_memory_()` (and `Module.share_memory()`, for every parameter and buffer) moves a
CPU tensor's values into a named block of shared memory (`multiprocessing.shared_memory`).
A process started with 'fork' maps the same block; one started with 'spawn' or
'forkserver' receives the tensor by the block's name (this module registers that with
multiprocessing's pickler, as PyTorch's does). Every process then reads and writes the
same values: an optimizer's in-place step in a worker is seen by the parent, the
mnist_hogwild pattern. A tensor not in shared memory travels as a copy, as in PyTorch.

Two limits: views taken before `share_memory_()` keep the old memory (take them after),
and CuPy tensors are left as they are. The block is freed when the tensor that created it
is collected; a process that received it only lets go of its mapping.
"""

from __future__ import annotations

import mmap
import multiprocessing as _mp
import os
import pickle
import weakref
from multiprocessing import *  # noqa: F403 - this module stands for multiprocessing
from multiprocessing import reduction as _reduction
from multiprocessing import shared_memory as _shared
from typing import Any

import numpy as np

from .nn.module import Parameter
from .tensor import Tensor

__all__ = [*_mp.__all__, "share_memory_"]  # noqa: PLE0604


def _close(block: _shared.SharedMemory, unlink: bool) -> None:
    try:
        block.close()
    except BufferError:  # an array on it is still alive somewhere: the OS frees it later
        pass
    if unlink:
        try:
            block.unlink()
        except FileNotFoundError:
            pass


def _owner(a: Any) -> Any:
    """The array that owns a's memory: the last array in its chain of bases (a itself
    where a owns its memory)."""
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a


def _mapped(block: _shared.SharedMemory, shape: tuple, dtype: Any) -> np.ndarray:
    """An array on the block's memory. The mapping keeps the memory: the block's own file
    descriptor is closed, else each tensor would hold two open files (a model of 600
    parameters ran out of the usual 1024)."""
    if getattr(block, "_fd", -1) >= 0:
        os.close(block._fd)
        block._fd = -1
    return np.ndarray(shape, dtype, buffer=block.buf)


def is_shared(t: Tensor) -> bool:
    """Whether t's values lie in a shared block: its own, or its base's for a view."""
    return "_shared" in t.__dict__ or isinstance(_owner(t._data).base, mmap.mmap)


def share_memory_(t: Tensor) -> Tensor:
    """Move t's values into shared memory (once; a no-op for CuPy tensors). Returns t.
    A view is refused: its base's memory cannot move under it (in PyTorch the storage
    moves, and every view with it); share the base first, then take views."""
    a = t._data
    if is_shared(t) or not isinstance(a, np.ndarray | np.generic):
        return t
    a = np.asarray(a)
    if _owner(a).nbytes > a.nbytes:
        raise RuntimeError(
            f"share_memory_: the tensor of shape {t.shape} is a view of a larger one; call "
            "share_memory_() on that tensor, then take the view"
        )
    block = _shared.SharedMemory(create=True, size=max(a.nbytes, 1))
    shared = _mapped(block, a.shape, a.dtype)
    shared[...] = a
    t._data = shared
    t.__dict__["_shared"] = block
    weakref.finalize(t, _close, block, True)
    return t


def _rebuild(cls: type, name: str, shape: tuple, dtype: str, requires_grad: bool) -> Tensor:
    """The tensor on the block `name`, in a process that received it."""
    block = _shared.SharedMemory(name=name)
    t = cls(_mapped(block, shape, np.dtype(dtype)), requires_grad=requires_grad)
    t.__dict__["_shared"] = block
    weakref.finalize(t, _close, block, False)
    return t


def _reduce(t: Tensor) -> Any:
    block = t.__dict__.get("_shared")
    if block is None or t.creator is not None:  # a copy, as pickle makes it
        return t.__reduce_ex__(pickle.DEFAULT_PROTOCOL)
    cls = Parameter if isinstance(t, Parameter) else Tensor
    return _rebuild, (cls, block.name, t._data.shape, t._data.dtype.str, t.requires_grad)


for _cls in (Tensor, Parameter):
    _reduction.ForkingPickler.register(_cls, _reduce)
