"""`save` / `load` for checkpoints without pickle.

A checkpoint is a NumPy `.npz` archive: every array is an entry `a0`, `a1`, ... and the
structure around them (dicts, lists, tuples, plain values, which entry is a Tensor) is JSON
in the entry `__minigrad__`, with a format version. Loading never unpickles, so a file from
an untrusted source cannot run code. An object saved twice (a tied weight) is stored once
and comes back as one object.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from collections import OrderedDict
from typing import Any

import numpy as np

from .backend import as_numpy, is_cupy_array, normalize_device, to_device
from .tensor import Tensor

FORMAT = "minigrad-checkpoint"
VERSION = 1
_META = "__minigrad__"

PathLike = str | os.PathLike


class _Encoder:
    """Turns an object tree into JSON-able nodes, collecting arrays on the way."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self.memo: dict[int, str] = {}
        self.keep: list[Any] = []  # holds encoded objects so their ids stay unique

    def array(self, obj: Any, arr: Any) -> str:
        key = self.memo.get(id(obj))
        if key is None:
            a = as_numpy(arr)
            if a.dtype.hasobject:
                raise TypeError("save: arrays of Python objects cannot be saved without pickle")
            key = f"a{len(self.arrays)}"
            self.arrays[key] = a
            self.memo[id(obj)] = key
            self.keep.append(obj)
        return key

    def node(self, obj: Any, where: str) -> dict:
        from .nn.module import Parameter

        if obj is None:
            return {"t": "none"}
        if isinstance(obj, bool):
            return {"t": "bool", "v": obj}
        if isinstance(obj, int):
            return {"t": "int", "v": str(obj)}
        if isinstance(obj, float):
            return {"t": "float", "v": repr(obj)}  # repr round-trips exactly, nan/inf too
        if isinstance(obj, str):
            return {"t": "str", "v": obj}
        if isinstance(obj, Tensor):
            kind = "parameter" if isinstance(obj, Parameter) else "tensor"
            return {
                "t": kind,
                "a": self.array(obj, obj._data),
                "grad": bool(obj.requires_grad and obj.creator is None),
            }
        if isinstance(obj, np.ndarray) or is_cupy_array(obj):
            return {"t": "ndarray", "a": self.array(obj, obj)}
        if isinstance(obj, np.generic):
            return {"t": "scalar", "a": self.array(obj, np.asarray(obj))}
        if isinstance(obj, list | tuple):
            items = [self.node(v, f"{where}[{i}]") for i, v in enumerate(obj)]
            return {"t": "list" if isinstance(obj, list) else "tuple", "v": items}
        if isinstance(obj, dict):
            for k in obj:
                if k is not None and not isinstance(k, str | int | float):
                    raise TypeError(
                        f"save: {where} has a key of type {type(k).__name__}; "
                        "keys must be str, int, float, bool or None"
                    )
            return {
                "t": "odict" if isinstance(obj, OrderedDict) else "dict",
                "k": [self.node(k, where) for k in obj],
                "v": [self.node(v, f"{where}[{k!r}]") for k, v in obj.items()],
            }
        raise TypeError(
            f"save: cannot store {type(obj).__name__} at {where}: only Tensors, arrays, "
            "dicts, lists, tuples, int, float, str, bool and None are supported"
        )


def save(obj: Any, path: PathLike | io.IOBase) -> None:
    """Write `obj` (nested dicts/lists/tuples of Tensors, arrays and plain values) to `path`.
    A path is written atomically: a temporary file beside it, fsync, then rename."""
    enc = _Encoder()
    root = enc.node(obj, "obj")
    meta = json.dumps({"format": FORMAT, "version": VERSION, "root": root})
    entries = dict(enc.arrays)
    entries[_META] = np.frombuffer(meta.encode("utf-8"), dtype=np.uint8)
    if hasattr(path, "write"):
        np.savez(path, **entries)
        return
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **entries)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    fsync_dir(directory)


def fsync_dir(directory: str) -> None:
    """Make the rename itself durable (POSIX; a no-op where directories cannot be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class _Decoder:
    def __init__(self, arrays: dict[str, np.ndarray], device: str | None, name: str) -> None:
        self.arrays, self.device, self.name = arrays, device, name
        self.memo: dict[str, Any] = {}

    def array(self, key: str) -> np.ndarray:
        if key not in self.arrays:
            raise ValueError(f"{self.name}: corrupt minigrad checkpoint: entry {key!r} is missing")
        return self.arrays[key]

    def node(self, n: dict) -> Any:
        from .nn.module import Parameter

        t = n["t"]
        if t == "none":
            return None
        if t in ("bool", "str"):
            return n["v"]
        if t == "int":
            return int(n["v"])
        if t == "float":
            return float(n["v"])
        if t in ("tensor", "parameter", "ndarray"):
            key = n["a"]
            if key not in self.memo:
                arr = self.array(key)
                if t == "ndarray":
                    self.memo[key] = arr
                else:
                    if self.device is not None and self.device != "cpu":
                        arr = to_device(arr, self.device)
                    cls = Parameter if t == "parameter" else Tensor
                    self.memo[key] = cls(arr, requires_grad=n["grad"])
            return self.memo[key]
        if t == "scalar":
            return self.array(n["a"])[()]
        if t in ("list", "tuple"):
            items = [self.node(v) for v in n["v"]]
            return items if t == "list" else tuple(items)
        if t in ("dict", "odict"):
            pairs = [(self.node(k), self.node(v)) for k, v in zip(n["k"], n["v"], strict=True)]
            return OrderedDict(pairs) if t == "odict" else dict(pairs)
        raise ValueError(f"{self.name}: corrupt minigrad checkpoint: unknown node type {t!r}")


def load(path: PathLike | io.IOBase, map_location: Any = None) -> Any:
    """Read what `save` wrote. Tensors come back on the CPU, or on `map_location`
    ('cpu'/'cuda'); arrays come back as NumPy arrays."""
    device = None if map_location is None else normalize_device(map_location)
    name = repr(getattr(path, "name", "<stream>") if hasattr(path, "read") else os.fspath(path))
    if not hasattr(path, "read") and not os.path.exists(path):
        raise FileNotFoundError(f"load: no such checkpoint file: {name}")
    try:
        archive = np.load(path, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):  # a bare .npy array
            raise _Foreign
        with archive:
            if _META not in archive.files:
                raise _Foreign
            arrays = {k: archive[k] for k in archive.files}
    except _Foreign:
        raise ValueError(
            f"load: {name} is not a minigrad checkpoint (no {_META!r} entry)"
        ) from None
    except Exception as exc:  # zip, zlib and npy parsers each fail their own way on bad bytes
        raise ValueError(
            f"load: {name} is not a minigrad checkpoint, or it is truncated or corrupt "
            f"({type(exc).__name__}: {exc})"
        ) from None
    try:
        meta = json.loads(arrays.pop(_META).tobytes().decode("utf-8"))
        if meta.get("format") != FORMAT:
            raise ValueError("wrong format tag")
    except (ValueError, AttributeError, UnicodeDecodeError) as exc:
        raise ValueError(f"load: {name} is not a minigrad checkpoint ({exc})") from None
    if meta.get("version", 0) > VERSION:
        raise ValueError(
            f"load: {name} has checkpoint format version {meta['version']}, newer than "
            f"this minigrad's {VERSION}; upgrade minigrad to read it"
        )
    try:
        return _Decoder(arrays, device, name).node(meta["root"])
    except (KeyError, TypeError) as exc:
        raise ValueError(f"load: {name} is a corrupt minigrad checkpoint ({exc!r})") from None


class _Foreign(Exception):
    pass
