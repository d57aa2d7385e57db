"""PyTorch's typed legacy constructors, `FloatTensor([1, 2])`, `LongTensor(3)`, ...: the
`Tensor(*args)` forms (data, or a shape of ints) in a fixed dtype, and the isinstance
checks they allow (`isinstance(t, mg.FloatTensor)` holds for a float32 CPU tensor, as in
PyTorch)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .tensor import Tensor


class _TypedTensor(type):
    dtype: np.dtype

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, Tensor) and obj.dtype == cls.dtype and obj.device == "cpu"

    def __call__(cls, *args: Any, device: Any = None) -> Tensor:
        if len(args) == 1 and isinstance(args[0], Tensor):
            data = args[0]  # PyTorch's new tensor on its memory, when the dtype agrees
            if data.dtype != cls.dtype:
                raise TypeError(
                    f"{cls.__name__}(): expected a tensor of dtype {cls.dtype}, got {data.dtype}"
                )
            return Tensor(data._data, device=device)
        return Tensor(*args, dtype=cls.dtype, device=device)


def _typed(name: str, dtype: Any) -> type:
    return _TypedTensor(name, (), {"dtype": np.dtype(dtype), "__module__": __name__})


FloatTensor = _typed("FloatTensor", np.float32)
DoubleTensor = _typed("DoubleTensor", np.float64)
HalfTensor = _typed("HalfTensor", np.float16)
LongTensor = _typed("LongTensor", np.int64)
IntTensor = _typed("IntTensor", np.int32)
ShortTensor = _typed("ShortTensor", np.int16)
CharTensor = _typed("CharTensor", np.int8)
ByteTensor = _typed("ByteTensor", np.uint8)
BoolTensor = _typed("BoolTensor", np.bool_)

__all__ = [
    "BoolTensor",
    "ByteTensor",
    "CharTensor",
    "DoubleTensor",
    "FloatTensor",
    "HalfTensor",
    "IntTensor",
    "LongTensor",
    "ShortTensor",
]
