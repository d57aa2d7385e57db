"""`save` / `load` for checkpoints without pickle.

A checkpoint is a NumPy `.npz` archive: every array is an entry `a0`, `a1`, ... and the
structure around them (dicts, lists, tuples, plain values, which entry is a Tensor) is JSON
in the entry `__minigrad__`, with a format version. Loading never unpickles, so a file from
an untrusted source cannot run code; it reads only the entries the structure refers to,
each bounded by the size its header declares, and refuses a FIFO, device or folder before
opening it. An object saved twice (a tied weight, a list) is stored once and comes back
as one object; Tensors over the same memory laid out alike (a tied weight's two state_dict
entries) come back sharing it. A lazy module's uninitialized tensors come back so.
"""

from __future__ import annotations

import enum
import io
import json
import os
import secrets
import stat
import struct
import zipfile
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Callable
from typing import Any

import numpy as np

from .backend import as_numpy, is_cupy_array, normalize_device, to_device
from .errors import CorruptCheckpoint, MissingFolder
from .tensor import Size, Tensor, bfloat16, device

FORMAT = "minigrad-checkpoint"
VERSION = 2  # the newest format this minigrad reads; a file says the oldest that reads it
# version 2 added shared references ("ref" nodes), a second Tensor over one entry ("x")
# and lazy modules' uninitialized tensors: a file using none of them is written as 1, so
# an older minigrad reads it, and one using them tells an older minigrad to upgrade
_META = "__minigrad__"
MAX_META_BYTES = 64 * 2**20  # the JSON structure; a real one is a few KiB
MAX_ENTRY_BYTES = 2**36  # 64 GiB: more than any array minigrad trains
# deflate cannot shrink data by more than about 1032:1, so a compressed entry declaring
# more than this many times its stored size is a decompression bomb, not a checkpoint
MAX_DEFLATE_RATIO = 1100

PathLike = str | os.PathLike


class _Encoder:
    """Turns an object tree into JSON-able nodes, collecting arrays on the way."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self.memo: dict[int, str] = {}
        self.keep: list[Any] = []  # holds encoded objects so their ids stay unique
        self.orders: dict[str, list[int]] = {}  # entry -> axis order of a permuted layout
        self.by_memory: dict[tuple, str] = {}  # a Tensor's memory and layout -> its entry
        self.sharers: dict[str, int] = {}  # entry -> how many more Tensors lie over it
        self.alias: dict[int, int] = {}  # id of such a Tensor -> its number among them
        self.shared: dict[int, dict] = {}  # id of a list, dict or set -> its node
        self.numbered = 0  # how many of those nodes a later reference numbered ("m")
        self.version = 1  # raised to 2 by a node only version 2 reads (see VERSION)

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
            order = _dense_order(arr)
            if order is not None:
                self.orders[key] = order
        return key

    def stored(self, obj: Any, arr: Any) -> dict:
        """The node fields of an array: its entry, and the order its axes lie in memory
        when that is neither row- nor column-major (channels_last), for load to keep."""
        key = self.array(obj, arr)
        return {"a": key, "o": self.orders[key]} if key in self.orders else {"a": key}

    def tensor(self, obj: Tensor) -> dict:
        """The node fields of a Tensor's array. Another Tensor over the same memory, laid
        out the same (a tied weight's two state_dict entries, each a `detach()` of one
        Parameter), shares its entry, numbered "x", and loads as a Tensor of its own over
        the same array, as PyTorch's two tensors of one storage."""
        if id(obj) not in self.memo:
            mem = _memory_of(obj._data)
            key = self.by_memory.get(mem) if mem is not None else None
            if key is None:
                key = self.array(obj, obj._data)
                if mem is not None:
                    self.by_memory[mem] = key
            else:
                self.memo[id(obj)] = key
                self.keep.append(obj)
                self.sharers[key] = self.alias[id(obj)] = self.sharers.get(key, 0) + 1
        fields = self.stored(obj, obj._data)
        if id(obj) in self.alias:
            fields["x"] = self.alias[id(obj)]
            self.version = 2
        return fields

    def container(self, obj: Any, build: Callable[[], dict]) -> dict:
        """The node of a list, dict or set, made by `build`. A later reference to the same
        object becomes a "ref" node to it (its node gets the number "m"), so load gives back
        one object, as pickle does, and a container that holds itself can be saved."""
        node = self.shared.get(id(obj))
        if node is not None:
            if "m" not in node:
                node["m"], self.numbered = self.numbered, self.numbered + 1
            self.version = 2
            return {"t": "ref", "m": node["m"]}
        node = self.shared[id(obj)] = {}
        self.keep.append(obj)
        node.update(build())
        return node

    def mapping(self, obj: dict, where: str, kind: str) -> dict:
        for k in obj:
            if not _plain_key(k):
                raise TypeError(
                    f"save: {where} has a key of type {type(k).__name__}; keys must be "
                    "str, int, float, bool, None, dtypes, devices, or tuples and "
                    "frozensets of those"
                )
        return {
            "t": kind,
            "k": [self.node(k, where) for k in obj],
            "v": [self.node(v, f"{where}[{k!r}]") for k, v in obj.items()],
        }

    def node(self, obj: Any, where: str) -> dict:
        from .nn.module import Parameter

        if obj is None:
            return {"t": "none"}
        if isinstance(obj, np.generic):  # first: np.float64 is also a Python float
            return {"t": "scalar", "a": self.array(obj, np.asarray(obj))}
        if isinstance(obj, bool):
            return {"t": "bool", "v": obj}
        if isinstance(obj, device):  # a str subclass that load gives back as a device
            return {"t": "device", "v": str(obj)}
        if isinstance(obj, int | float | complex | str) and type(obj) not in _SCALARS:
            raise TypeError(_subclass_message(obj, where))
        if isinstance(obj, int):
            return {"t": "int", "v": str(obj)}
        if isinstance(obj, float):
            return {"t": "float", "v": repr(obj)}  # repr round-trips exactly, nan/inf too
        if isinstance(obj, complex):
            return {"t": "complex", "v": [repr(obj.real), repr(obj.imag)]}
        if isinstance(obj, str):
            return {"t": "str", "v": obj}
        if isinstance(obj, np.dtype) or (isinstance(obj, type) and issubclass(obj, np.generic)):
            return {"t": "dtype", "v": np.dtype(obj).name}  # mg.float32 and the like
        if obj is bfloat16:  # a name only (no tensor has it), kept as one
            return {"t": "dtype", "v": "bfloat16"}
        if isinstance(obj, Tensor):
            if getattr(obj, "_uninitialized", False):  # a lazy module's, before its forward
                kind = "uparameter" if isinstance(obj, Parameter) else "ubuffer"
                self.version = 2
            else:
                kind = "parameter" if isinstance(obj, Parameter) else "tensor"
            return {
                "t": kind,
                **self.tensor(obj),
                "grad": bool(obj.requires_grad),  # a non-leaf loads as a leaf that requires grad
                "dev": obj.device,  # the saved location, for a dict or callable map_location
            }
        if isinstance(obj, np.ndarray) or is_cupy_array(obj):
            return {"t": "ndarray", **self.stored(obj, obj)}
        if type(obj) is defaultdict and obj.default_factory in _FACTORIES:
            factory = _FACTORIES[obj.default_factory]
            return self.container(
                obj, lambda: self.mapping(obj, where, "defaultdict") | {"f": factory}
            )
        if isinstance(obj, list | tuple | dict) and type(obj) not in _CONTAINERS:
            # a namedtuple or defaultdict would come back as a plain tuple or dict, which
            # breaks `ckpt["stats"].loss` after a resume: refused here, at save time
            plain = (
                "dict" if isinstance(obj, dict) else "list" if isinstance(obj, list) else "tuple"
            )
            hint = "x._asdict() or tuple(x)" if hasattr(obj, "_fields") else f"{plain}(x)"
            raise TypeError(
                f"save: {where} is a {type(obj).__name__}, a subclass of {plain} that load "
                f"could only give back as a plain {plain}: save {hint} instead"
            )
        if isinstance(obj, list):
            return self.container(
                obj,
                lambda: {
                    "t": "list",
                    "v": [self.node(v, f"{where}[{i}]") for i, v in enumerate(obj)],
                },
            )
        if isinstance(obj, tuple):
            items = [self.node(v, f"{where}[{i}]") for i, v in enumerate(obj)]
            return {"t": "size" if isinstance(obj, Size) else "tuple", "v": items}
        if isinstance(obj, set):
            return self.container(
                obj, lambda: {"t": "set", "v": [self.node(v, f"{where} item") for v in obj]}
            )
        if isinstance(obj, frozenset):
            return {"t": "frozenset", "v": [self.node(v, f"{where} item") for v in obj]}
        if isinstance(obj, dict):
            kinds = {OrderedDict: "odict", Counter: "counter"}
            return self.container(
                obj, lambda: self.mapping(obj, where, kinds.get(type(obj), "dict"))
            )
        raise TypeError(
            f"save: cannot store {type(obj).__name__} at {where}: only Tensors, arrays, "
            "dicts, lists, tuples, sets, int, float, complex, str, bool, None, dtypes and "
            "devices are supported"
        )


def _dense_order(a: Any) -> list[int] | None:
    """The axes of a dense array that is neither row- nor column-major (channels_last:
    (N, C, H, W) lying as (N, H, W, C)) from the outermost in memory, else None. Its values
    are saved row-major, as every array's (older minigrad reads them), and the order lets
    load lay them out as they were, as PyTorch's load keeps strides."""
    flags = getattr(a, "flags", None)
    if a.ndim < 3 or flags is None or flags.c_contiguous or flags.f_contiguous:
        return None
    order = sorted(range(a.ndim), key=lambda i: -a.strides[i])
    return order if a.transpose(order).flags.c_contiguous else None


def _in_order(arr: np.ndarray, order: Any, where: str) -> np.ndarray:
    """`arr` (row-major) laid out with its axes in memory in `order` (from `_dense_order`),
    same values; `arr` itself without an order."""
    if order is None:
        return arr
    if (
        not isinstance(order, list)
        or not all(type(i) is int for i in order)
        or sorted(order) != list(range(arr.ndim))
    ):
        raise CorruptCheckpoint(
            f"{where} is a corrupt minigrad checkpoint: axis order {order!r} for an array "
            f"of shape {arr.shape}"
        )
    return np.ascontiguousarray(arr.transpose(order)).transpose(np.argsort(order))


_CONTAINERS = (list, tuple, dict, OrderedDict, Counter, Size)  # kept as their own type
# a defaultdict comes back with its default factory when it is one of these
_FACTORIES: dict[Any, str] = {
    None: "none",
    list: "list",
    dict: "dict",
    set: "set",
    int: "int",
    float: "float",
    str: "str",
    tuple: "tuple",
}
_FACTORY_OF = {name: f for f, name in _FACTORIES.items()}


_SCALARS = (int, float, complex, str)  # exactly: load gives back no subclass of these


def _subclass_message(obj: Any, where: str) -> str:
    """Why save refuses an int, float, complex or str subclass (an IntEnum, a StrEnum):
    load could give it back only as the plain type, which breaks `ck["phase"].name`."""
    plain = next(t for t in _SCALARS if isinstance(obj, t)).__name__
    what = "an Enum member" if isinstance(obj, enum.Enum) else "a subclass of " + plain
    hint = "x.value or x.name" if isinstance(obj, enum.Enum) else f"{plain}(x)"
    return (
        f"save: {where} is {obj!r}, {what} ({type(obj).__name__}) that load could only give "
        f"back as a plain {plain}: save {hint} instead"
    )


def _memory_of(a: Any) -> tuple | None:
    """Where an array's values lie and how (address, shape, strides, dtype, device): two
    arrays with the same answer hold the same values in the same memory. None for a
    NumPy scalar or an empty array, which share nothing."""
    if isinstance(a, np.ndarray):
        at = a.__array_interface__["data"][0]
    elif is_cupy_array(a):
        at = (a.device.id, a.data.ptr)
    else:
        return None
    return None if a.size == 0 else (at, a.shape, a.strides, a.dtype.str)


def _plain_key(k: Any) -> bool:
    """Whether save can store k as a dict key (a value that comes back equal): no subclass
    of int, float or str (an IntEnum would come back a plain int), but dtypes and devices."""
    if k is None or k is bfloat16 or type(k) in (bool, *_SCALARS):
        return True
    if isinstance(k, np.generic | np.dtype | device):
        return True
    return type(k) in (tuple, frozenset, Size) and all(_plain_key(v) for v in k)


def save(
    obj: Any,
    path: PathLike | io.IOBase,
    pickle_module: Any = None,
    pickle_protocol: int = 2,
    _use_new_zipfile_serialization: bool = True,
    _disable_byteorder_record: bool = False,
) -> None:
    """Write `obj` (nested dicts/lists/tuples of Tensors, arrays and plain values) to `path`.
    A regular file (or a new one) is written atomically: a temporary file beside it, fsync,
    then rename. A symlink is followed, as `open` does, and the file it names written; a
    FIFO or a character device (`/dev/null`) is written through, never replaced. Into an
    open stream (a gzip one too), several saves in a row are read back in turn by as many
    `load`s.

    PyTorch's pickle options (`pickle_module`, `pickle_protocol`, and its private format
    switches) are accepted and have nothing to do: nothing is pickled."""
    enc = _Encoder()
    root = enc.node(obj, "obj")
    meta = json.dumps({"format": FORMAT, "version": enc.version, "root": root})
    entries = dict(enc.arrays)
    entries[_META] = np.frombuffer(meta.encode("utf-8"), dtype=np.uint8)
    if hasattr(path, "write"):
        _write_stream(path, entries)
        return
    path = os.fspath(path)
    target = os.path.realpath(path)  # a symlink's file, as `open(path, "wb")` writes
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        _write_through(path, target, mode, entries)
        return
    directory = os.path.dirname(target)
    if not os.path.isdir(directory):
        raise MissingFolder(f"save: the folder {directory!r} of {path!r} does not exist")
    fd, tmp = _new_file_beside(target)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **entries)
            f.flush()
            os.fsync(f.fileno())
        if mode is not None:  # a file replaced keeps its permissions
            os.chmod(tmp, mode & 0o7777)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    fsync_dir(directory)


def _write_through(path: str, target: str, mode: int, entries: dict) -> None:
    """Save into `target`, which exists and is no regular file, as `open(path, "wb")`
    would: a FIFO or a device is written, not replaced by a file (which would put a
    regular file in the place of /dev/null); a folder or a socket is refused by name."""
    kind = _file_kind(mode)
    shown = repr(path) if path == target else f"{path!r} (which leads to {target!r})"
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(f"save: {shown} is a folder; give the path of a file in it")
    try:
        f = open(target, "wb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise OSError(exc.errno, f"save: cannot write to {shown}, {kind}: {exc.strerror}") from None
    with f:
        _write_stream(f, entries)


class _OnePass:
    """A stream seen as one that cannot seek or tell, so that zipfile writes each entry's
    sizes after its data in one pass, never going back."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def write(self, data: bytes) -> int:
        n = self.stream.write(data)
        rest = memoryview(data)[len(data) if n is None else n :]
        while rest:  # a raw stream may take part of it
            rest = rest[self.stream.write(rest) :]
        return len(data)

    def flush(self) -> None:
        flush = getattr(self.stream, "flush", None)
        if flush is not None:
            flush()

    def read(self, n: int = -1) -> bytes:  # np.savez takes what has `read` for a file
        raise io.UnsupportedOperation("save: a checkpoint being written cannot be read")


def _seeks_back(stream: Any) -> bool:
    """Whether zipfile may go back in `stream` to fill in each entry's header: a BytesIO
    or an open regular file. A gzip stream claims to seek but only goes forward when
    writing, a FIFO cannot seek, and /dev/null seeks but always tells 0."""
    if isinstance(stream, io.BytesIO):
        return True
    if not isinstance(stream, io.FileIO | io.BufferedWriter | io.BufferedRandom):
        return False
    try:
        return stat.S_ISREG(os.fstat(stream.fileno()).st_mode)
    except (OSError, ValueError):
        return False


def _write_stream(stream: Any, entries: dict) -> None:
    """The checkpoint's zip written into an open binary stream from its position on; in
    one pass (each entry's sizes after its data) where the stream cannot go back."""
    if isinstance(stream, io.TextIOBase):
        name = getattr(stream, "name", "<stream>")
        raise TypeError(f"save: the stream {name!r} is open in text mode; open it with 'wb'")
    np.savez(stream if _seeks_back(stream) else _OnePass(stream), **entries)


def _new_file_beside(path: str) -> tuple[int, str]:
    """A new temporary file in `path`'s folder, open for writing: (descriptor, name). It
    gets the permissions `open(path, "wb")` would give a new file (0666 less the umask,
    0644 under the usual 022), where `tempfile.mkstemp`'s are private (0600)."""
    directory, name = os.path.split(os.path.abspath(path))
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        tmp = os.path.join(directory, f".{name}.{secrets.token_hex(6)}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue


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


def _move(arr: np.ndarray, where: str) -> Any:
    """`arr` on device `where`; a device this machine lacks (no GPU, no CuPy) is the
    caller's error, passed on as it is, not a sign of a corrupt file."""
    try:
        return to_device(arr, where)
    except Exception as exc:
        raise _CallerError(exc) from exc


class _Decoder:
    def __init__(self, read: Callable[[str], np.ndarray], where: Any, name: str) -> None:
        """`where` places each tensor: None (the CPU), a device, a {saved: new} dict or
        PyTorch's callable `where(tensor_on_cpu, saved_location)` (see `load`)."""
        self.read, self.where, self.name = read, where, name
        self.memo: dict[str, Any] = {}  # entry -> its ndarray, or its array placed
        self.tensors: dict[tuple[str, Any], Tensor] = {}  # (entry, "x") -> its Tensor
        self.shared: dict[Any, Any] = {}  # "m" -> the list, dict or set numbered so

    def place(self, arr: np.ndarray, saved: str) -> Any:
        """The array on the device `load`'s map_location asks for."""
        where = self.where
        if callable(where):
            try:
                got = where(Tensor._make(arr, False), saved)
            except Exception as exc:  # the caller's error, not a corrupt file: passed on
                raise _CallerError(exc) from exc
            if got is None:
                return _move(arr, saved)  # PyTorch: None keeps the saved location
            if not isinstance(got, Tensor):
                raise _CallerError(
                    TypeError(
                        f"load: map_location returned {type(got).__name__}; expected a "
                        "Tensor (the storage it was given, moved) or None"
                    )
                )
            return got._data
        if isinstance(where, dict):
            return _move(arr, where.get(saved, saved))
        return arr if where is None or where == "cpu" else _move(arr, where)

    def array(self, key: str) -> np.ndarray:
        if not isinstance(key, str):
            raise CorruptCheckpoint(
                f"load: {self.name} is a corrupt minigrad checkpoint: entry {key!r}"
            )
        return self.read(key)

    def share(self, n: dict, obj: Any) -> Any:
        """`obj`, noted under the number "m" its node has when it is referred to again."""
        if "m" in n:
            self.shared[n["m"]] = obj
        return obj

    def stored(self, n: dict) -> np.ndarray:
        """The array of a node, laid out in memory as it was saved."""
        key = n["a"]
        return _in_order(self.array(key), n.get("o"), f"load: {self.name} entry {key!r}")

    def tensor(self, n: dict, t: str) -> Tensor:
        """The Tensor of a node: one object per saved object ("x" tells apart the Tensors
        saved over one array, which load over one array again), on the device asked for."""
        from .nn.lazy import UninitializedBuffer, UninitializedParameter
        from .nn.module import Parameter

        key = n["a"]
        if (key, n.get("x")) not in self.tensors:
            if key not in self.memo:
                self.memo[key] = self.place(self.stored(n), normalize_device(n.get("dev", "cpu")))
            arr = self.memo[key]
            if t in ("uparameter", "ubuffer"):
                cls = UninitializedParameter if t == "uparameter" else UninitializedBuffer
                dev = "cuda" if is_cupy_array(arr) else "cpu"
                made = cls(requires_grad=n["grad"], device=dev, dtype=arr.dtype)
            else:
                made = (Parameter if t == "parameter" else Tensor)(arr, requires_grad=n["grad"])
            self.tensors[key, n.get("x")] = made
        return self.tensors[key, n.get("x")]

    def node(self, n: dict) -> Any:
        t = n["t"]
        if t == "none":
            return None
        if t in ("bool", "str"):
            return n["v"]
        if t == "int":
            return int(n["v"])
        if t == "complex":
            return complex(float(n["v"][0]), float(n["v"][1]))
        if t == "float":
            text = n["v"]
            if text.startswith("np.float"):  # a NumPy float that older minigrad saved as one
                kind, _, inner = text[3:].partition("(")  # "np.float64(0.625)"
                return getattr(np, kind)(float(inner.rstrip(")")))
            return float(text)
        if t in ("tensor", "parameter", "uparameter", "ubuffer"):
            return self.tensor(n, t)
        if t == "ndarray":
            key = n["a"]
            if key not in self.memo:
                self.memo[key] = self.stored(n)
            return self.memo[key]
        if t == "scalar":
            return self.array(n["a"])[()]
        if t == "dtype":
            return bfloat16 if n["v"] == "bfloat16" else np.dtype(n["v"])
        if t == "device":
            return device(n["v"])
        if t == "ref":
            return self.shared[n["m"]]
        if t == "list":
            out = self.share(n, [])  # before its items, which may refer to it
            out.extend(self.node(v) for v in n["v"])
            return out
        if t in ("tuple", "size", "set", "frozenset"):
            items = [self.node(v) for v in n["v"]]
            kinds = {"tuple": tuple, "size": Size, "set": set, "frozenset": frozenset}
            return self.share(n, kinds[t](items))
        if t in ("dict", "odict", "counter", "defaultdict"):
            if t == "defaultdict":
                out = defaultdict(_FACTORY_OF[n["f"]])
            else:
                out = {"odict": OrderedDict, "counter": Counter, "dict": dict}[t]()
            self.share(n, out)
            for k, v in zip(n["k"], n["v"], strict=True):
                out[self.node(k)] = self.node(v)
            return out
        raise CorruptCheckpoint(
            f"load: {self.name} is a corrupt minigrad checkpoint: node type {t!r}"
        )


def _file_kind(mode: int) -> str:
    for test, kind in (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return kind
    return "not a regular file"


class _Archive:
    """The entries of a checkpoint's zip, read one at a time on request, each checked
    against the size its zip header declares before anything is decompressed."""

    def __init__(self, zf: zipfile.ZipFile, name: str, file_bytes: int | None) -> None:
        self.zf, self.name, self.file_bytes = zf, name, file_bytes

    def read(self, key: str, limit: int | None = None) -> np.ndarray:
        limit = MAX_ENTRY_BYTES if limit is None else limit
        try:
            info = self.zf.getinfo(key + ".npy")
        except KeyError:
            raise CorruptCheckpoint(
                f"load: {self.name} is a corrupt minigrad checkpoint: entry {key!r} is missing"
            ) from None
        where = f"load: {self.name} entry {key!r}"
        stored = info.compress_type == zipfile.ZIP_STORED
        if (
            info.file_size > limit
            or (self.file_bytes is not None and info.compress_size > self.file_bytes)
            or (stored and info.file_size != info.compress_size)
            or info.file_size > MAX_DEFLATE_RATIO * max(info.compress_size, 1)
        ):
            raise CorruptCheckpoint(
                f"{where} declares {info.file_size} bytes from {info.compress_size} stored "
                f"(the file has {self.file_bytes} bytes, the limit is {limit}): not a "
                "minigrad checkpoint, or a corrupt one"
            )
        with self.zf.open(info) as f:
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
            elif version == (2, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
            else:
                raise CorruptCheckpoint(f"{where}: unsupported .npy version {version}")
            if dtype.hasobject:
                raise CorruptCheckpoint(
                    f"{where} holds Python objects (pickle), which load refuses"
                )
            nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
            if nbytes > info.file_size:
                raise CorruptCheckpoint(
                    f"{where}: its header declares a {shape} {dtype} array ({nbytes} bytes) "
                    f"but the entry holds {info.file_size} bytes"
                )
            buf = bytearray(nbytes)
            view, pos = memoryview(buf), 0
            while pos < nbytes:
                got = f.readinto(view[pos:])
                if not got:
                    raise CorruptCheckpoint(f"{where} is truncated ({pos} of {nbytes} bytes)")
                pos += got
            if f.read(1):  # also reaches the end, where the zip checks the CRC
                raise CorruptCheckpoint(f"{where} holds more bytes than its array header declares")
        arr = np.frombuffer(buf, dtype=dtype)
        return arr.reshape(shape[::-1]).T if fortran else arr.reshape(shape)


def load(
    path: PathLike | io.IOBase,
    map_location: Any = None,
    pickle_module: Any = None,
    *,
    weights_only: bool | None = None,
    mmap: bool | None = None,
    **pickle_load_args: Any,
) -> Any:
    """Read what `save` wrote. Tensors come back on the CPU, or where `map_location` says:
    a device ('cpu'/'cuda'); a dict from saved location to new one ({'cuda:0': 'cpu'};
    a tensor saved elsewhere stays there); or PyTorch's callable, called as
    `map_location(tensor_on_cpu, saved_location)` per tensor, which returns the tensor
    moved (`lambda s, loc: s` keeps it on the CPU) or None for its saved location.
    Arrays come back as NumPy arrays.

    The file never holds pickled objects, so loading runs no code whatever
    `weights_only` says (PyTorch's safe mode is the only mode here); `pickle_module`,
    `mmap` and `pickle_load_args` are accepted and have nothing to do."""
    where = map_location
    if isinstance(map_location, dict):  # PyTorch's 'cuda:0' is minigrad's 'cuda'
        where = {normalize_device(k): normalize_device(v) for k, v in map_location.items()}
    elif map_location is not None and not callable(map_location):
        where = normalize_device(map_location)
    name = repr(getattr(path, "name", "<stream>") if hasattr(path, "read") else os.fspath(path))
    file_bytes = None
    if not hasattr(path, "read"):
        try:
            st = os.stat(path)
        except FileNotFoundError:
            raise FileNotFoundError(f"load: no such checkpoint file: {name}") from None
        if not stat.S_ISREG(st.st_mode):
            raise CorruptCheckpoint(
                f"load: {name} is {_file_kind(st.st_mode)}, not a checkpoint file"
            )
        file_bytes = st.st_size
        with open(path, "rb") as f:
            head = f.read(6)
        if head == b"\x93NUMPY":  # a bare .npy array
            raise CorruptCheckpoint(f"load: {name} is not a minigrad checkpoint (a .npy array)")
    stream, after = path, None  # where a stream is left: after the checkpoint read from it
    try:
        if hasattr(path, "read"):
            path, after = _next_archive(path, name)
        with zipfile.ZipFile(path) as zf:
            if _META + ".npy" not in zf.namelist():
                raise _Foreign
            archive = _Archive(zf, name, file_bytes)
            meta_bytes = archive.read(_META, MAX_META_BYTES).tobytes()
            try:
                meta = json.loads(meta_bytes.decode("utf-8"))
                if not isinstance(meta, dict) or meta.get("format") != FORMAT:
                    raise ValueError("wrong format tag")
            except (ValueError, UnicodeDecodeError) as exc:
                raise _Foreign(str(exc)) from None
            if not isinstance(meta.get("version", 0), int) or meta.get("version", 0) > VERSION:
                raise CorruptCheckpoint(
                    f"load: {name} has checkpoint format version {meta['version']}, newer "
                    f"than this minigrad's {VERSION}; upgrade minigrad to read it"
                )
            try:
                obj = _Decoder(archive.read, where, name).node(meta["root"])
            except (KeyError, TypeError) as exc:
                raise CorruptCheckpoint(
                    f"load: {name} is a corrupt minigrad checkpoint ({exc!r})"
                ) from None
            if after is not None:
                stream.seek(after)  # the next load reads the next checkpoint
            return obj
    except _CallerError as err:
        raise err.args[0] from None
    except _Foreign as exc:
        why = f"({exc})" if str(exc) else f"(no {_META!r} entry)"
        raise CorruptCheckpoint(f"load: {name} is not a minigrad checkpoint {why}") from None
    except ValueError as exc:
        if str(exc).startswith("load: "):
            raise
        raise _corrupt(name, exc) from None
    except (NameError, ImportError):  # a fault of minigrad's, not of the file: as it is
        raise
    except Exception as exc:  # zip, zlib and npy parsers each fail their own way on bad bytes
        raise _corrupt(name, exc) from None


_END = struct.Struct("<4s4H2LH")  # a zip's end-of-central-directory record
_END64_LOCATOR = struct.Struct("<4sLQL")  # the zip64 locator just before it
_END64 = struct.Struct("<4sQ2H2L4Q")  # the zip64 end record the locator points to


class _Window(io.RawIOBase):
    """Bytes [start, start + size) of a seekable stream, as a file of their own (what the
    zip reader reads one checkpoint through, without a copy of it in memory)."""

    def __init__(self, stream: Any, start: int, size: int) -> None:
        self.stream, self.start, self.size, self.pos = stream, start, size, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.pos, io.SEEK_END: self.size}[whence]
        self.pos = max(0, base + offset)
        return self.pos

    def read(self, n: int = -1) -> bytes:
        left = max(0, self.size - self.pos)
        n = left if n is None or n < 0 else min(n, left)
        self.stream.seek(self.start + self.pos)
        data = self.stream.read(n) if n else b""
        self.pos += len(data)
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _next_archive(stream: Any, name: str) -> tuple[Any, int | None]:
    """The checkpoint that starts at `stream`'s position, as a file for the zip reader,
    and the stream position just after it (None for a stream that cannot seek: it is read
    to its end). Saves written one after another into one stream so load back in turn. A
    zip is read from its end record, so the stream's last archive would otherwise answer
    for its first one. The end of the first archive is its first end record that points
    back at a central directory right before it (array bytes that happen to look like an
    end record do not).

    An open file or a BytesIO is read through a window of it, without a copy; another
    stream (gzip, a zip member: seeking back decompresses from the start) is read once,
    to its end, into memory."""
    seekable = getattr(stream, "seekable", None)
    seekable = seekable() if callable(seekable) else True
    start = stream.tell() if seekable else 0
    if seekable and isinstance(stream, _RANDOM_ACCESS):
        stream.seek(0, io.SEEK_END)  # (some file objects' seek returns None)
        size = stream.tell() - start
        stream.seek(start)
        window = _Window(stream, start, size)

        def read_at(at: int, n: int) -> bytes:
            window.seek(at)
            return window.read(n)

    else:
        data = stream.read()
        if not isinstance(data, bytes | bytearray):
            raise CorruptCheckpoint(f"load: {name} is not a binary stream (it reads text)")
        size = len(data)
        window = None
        read_at = lambda at, n: data[at : at + n]  # noqa: E731
    if size <= 0:
        raise CorruptCheckpoint(
            f"load: {name} holds no checkpoint from position {start} on (empty, or read to its end)"
        )
    chunk = 1 << 20
    for base in range(0, size, chunk):  # overlapping by 3 bytes: a signature cut in two
        block = read_at(base, chunk + len(_END_SIGNATURE) - 1)
        at = block.find(_END_SIGNATURE)
        while at >= 0:
            end = _archive_end(read_at, size, base + at)
            if end is not None:
                after = start + end if seekable else None
                if window is None:
                    return io.BytesIO(data[:end]), after
                return _Window(stream, start, end), after
            at = block.find(_END_SIGNATURE, at + 1)
    # no archive in it: the zip reader says what is wrong
    return (io.BytesIO(data) if window is None else _Window(stream, start, size)), None


# streams that seek and read anywhere cheaply: read through a window, not copied
_RANDOM_ACCESS = (io.BufferedReader, io.BufferedRandom, io.FileIO, io.BytesIO)


_END_SIGNATURE = b"PK\x05\x06"


def _archive_end(read_at: Callable[[int, int], bytes], size: int, at: int) -> int | None:
    """Where the archive whose end record is at `at` ends, or None if the record at
    `at` is not one that closes a whole archive starting at 0 (`read_at(offset, n)`
    reads the stream from the archive's start)."""
    record = read_at(at, _END.size)
    if len(record) < _END.size:
        return None
    _, _, _, _, entries, dir_size, dir_at, comment = _END.unpack(record)
    end = at + _END.size + comment
    if end > size:
        return None
    dir_end = at
    locator = at - _END64_LOCATOR.size
    if locator >= 0 and read_at(locator, 4) == b"PK\x06\x07":  # a zip64 archive
        record_at = locator - _END64.size  # its end record, just before the locator
        if record_at < 0:
            return None
        record64 = read_at(record_at, _END64.size)
        if record64[:4] != b"PK\x06\x06":
            return None
        entries, _, dir_size, dir_at = _END64.unpack(record64)[-4:]
        dir_end = record_at
    # the offsets inside count from where the writer's stream began, not from this
    # archive's start: check the record against what it points at instead. A checkpoint
    # has one entry at least (its structure)
    first = dir_end - dir_size
    if entries == 0 or first < 0 or dir_at < first or read_at(0, 4) != b"PK\x03\x04":
        return None
    return end if read_at(first, 4) == b"PK\x01\x02" else None


def _corrupt(name: str, exc: BaseException) -> CorruptCheckpoint:
    return CorruptCheckpoint(
        f"load: {name} is not a minigrad checkpoint, or it is truncated or corrupt "
        f"({type(exc).__name__}: {exc})"
    )


class _Foreign(Exception):
    pass


class _CallerError(Exception):
    """Carries an error of the caller's map_location past load's corrupt-file handlers."""
