"""Run a PyTorch program from this folder under minigrad or under PyTorch.

A program is ordinary PyTorch code: `import torch`, `import torch.nn as nn`,
`from torch.utils.data import DataLoader`, ... `load(name, "torch")` executes its source as
it is. `load(name, "minigrad")` executes the same source with one change: the module's
`__import__` resolves every `torch...` name in minigrad (`torch` is `minigrad`, `torch.X.Y`
is attribute `Y` of attribute `X` of minigrad, or else the module `minigrad.X.Y`). Nothing
else is rewritten and `sys.modules` is not touched, so both runs share one process.

Programs take their random numbers (weights, noise, data) from the harness, so that both
runs start from the same values.
"""

from __future__ import annotations

import builtins
import importlib
import types
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).parent
MNIST = HERE.parents[1] / "minigrad" / "data" / "mnist_5k.npz"


def _resolve(root: types.ModuleType, name: str) -> Any:
    """The minigrad object that stands for the dotted name `torch.a.b`."""
    obj = root
    for part in name.split(".")[1:]:
        if hasattr(obj, part):
            obj = getattr(obj, part)
            continue
        try:
            obj = importlib.import_module(f"{obj.__name__}.{part}")
        except (ModuleNotFoundError, AttributeError):
            raise ImportError(
                f"no minigrad equivalent of '{name}': {getattr(obj, '__name__', obj)!s} has "
                f"no attribute or submodule '{part}'"
            ) from None
    return obj


def _minigrad_import(name, globals=None, locals=None, fromlist=(), level=0):  # noqa: A002
    if level == 0 and (name == "torch" or name.startswith("torch.")):
        root = importlib.import_module("minigrad")
        target = _resolve(root, name)
        # `import torch.nn` binds `torch`; `from torch.nn import X` reads X from torch.nn
        return target if fromlist else root
    return builtins.__import__(name, globals, locals, fromlist, level)


def load(program: str, framework: str) -> types.ModuleType:
    """Execute `tests/compat/<program>.py` with `torch` meaning `framework`
    ("torch" or "minigrad") and return its namespace as a module."""
    if framework not in ("torch", "minigrad"):
        raise ValueError(f"load: framework must be 'torch' or 'minigrad', got {framework!r}")
    path = HERE / f"{program}.py"
    module = types.ModuleType(f"compat_{program}_{framework}")
    module.__file__ = str(path)
    if framework == "minigrad":
        module.__dict__["__builtins__"] = {**vars(builtins), "__import__": _minigrad_import}
    exec(compile(path.read_text(), str(path), "exec"), module.__dict__)
    return module


def framework_of(program: types.ModuleType) -> types.ModuleType:
    """The module a loaded program calls `torch`."""
    return program.torch


def state_as_numpy(module: Any) -> dict[str, np.ndarray]:
    """A model's state_dict as NumPy arrays (copies)."""
    return {k: np.array(v.detach().cpu().numpy()) for k, v in module.state_dict().items()}


def state_as_tensors(torch: types.ModuleType, state: dict[str, np.ndarray]) -> dict[str, Any]:
    """NumPy arrays as `torch.tensor`s of the given framework, dtypes kept."""
    return {k: torch.tensor(v) for k, v in state.items()}


def to_numpy(value: Any) -> Any:
    """Nested lists/tuples/dicts of tensors and numbers as NumPy arrays, for comparison."""
    if isinstance(value, dict):
        return {k: to_numpy(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_numpy(v) for v in value]
    if hasattr(value, "detach"):
        return np.array(value.detach().cpu().numpy())
    return np.asarray(value)


def assert_same(got: Any, want: Any, rtol: float = 1e-5, atol: float = 1e-6, where: str = ""):
    """Compare nested results element by element (values and dtypes), naming the first
    place they differ."""
    got, want = to_numpy(got), to_numpy(want)
    if isinstance(want, dict):
        assert isinstance(got, dict) and sorted(got) == sorted(want), f"{where}: keys differ"
        for k in want:
            assert_same(got[k], want[k], rtol, atol, f"{where}[{k!r}]")
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), (
            f"{where}: {len(got) if isinstance(got, list) else got!r} items, want {len(want)}"
        )
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            assert_same(g, w, rtol, atol, f"{where}[{i}]")
    else:
        assert got.dtype == want.dtype, f"{where}: dtype {got.dtype}, want {want.dtype}"
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=where)


def mnist(
    n: int, offset: int = 0, size: int = 28, mean: float = 0.1307, std: float = 0.3081
) -> tuple[np.ndarray, np.ndarray]:
    """`n` digits (a fixed mix of all ten) from the bundled MNIST subset as float32
    (n, 1, size, size) in [0, 1], normalised to (x - mean) / std as torchvision's
    Normalize does, and int64 labels.
    `size` 16 pads to 32 and averages 2x2 blocks (the DCGAN's images)."""
    with np.load(MNIST) as f:
        # the file is sorted by digit: take a fixed shuffle of it
        pick = np.random.default_rng(0).permutation(len(f["labels"]))[offset : offset + n]
        images = f["images"][pick].astype(np.float32) / 255.0
        labels = f["labels"][pick].astype(np.int64)
    if size == 16:
        images = np.pad(images, ((0, 0), (2, 2), (2, 2)))
        images = images.reshape(n, 16, 2, 16, 2).mean(axis=(2, 4))
    elif size != 28:
        raise ValueError(f"mnist: size must be 28 or 16, got {size}")
    images = (images - mean) / std
    return images[:, None].astype(np.float32), labels
