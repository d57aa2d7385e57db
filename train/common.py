"""Helpers shared by the training CLIs: seeding, arguments, devices, run folders,
checkpoints, JSON-lines logs, sample grids, plots, Ctrl-C handling and NaN checks.

Nothing here prints; the CLIs decide what to tell the user.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import errno
import hashlib
import json
import math
import os
import random
import re
import signal
import sys
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

import minigrad as mg
from minigrad.backend import as_numpy, cupy_module, normalize_device
from minigrad.serialization import fsync_dir

CHECKPOINT_NAME = "checkpoint.npz"
# What every job's main() reports as "<job>: error: <sentence>" with exit status 1 instead
# of a traceback: missing, refused or unwritable files (OSError: a read-only folder, a full
# disk), bad data or flag combinations found after parsing, a NaN/Inf loss. A bad flag
# value is refused by argparse itself, with exit status 2.
TRAINING_ERRORS = (OSError, ValueError, FloatingPointError, RuntimeError, MemoryError)
# files of a run folder that no job's output may replace
RUN_FILES = (CHECKPOINT_NAME, "config.json", "metrics.jsonl")
# every file or folder any job writes into a run folder: the training jobs' checkpoint,
# config, log and pictures, train.evaluate's eval.json, train.latent's latent/. A new run
# refuses a folder holding one of them (without --overwrite, which moves them all aside),
# and no output of train.sample/latent/embed may land on one of another run's.
RUN_OUTPUTS = (
    CHECKPOINT_NAME,
    "metrics.jsonl",
    "config.json",
    "samples.png",
    "samples",
    "losses.png",
    "eval.json",
    "latent",
    "pca.png",
    "retrieval.png",
    "curves.png",
)


# ---------------------------------------------------------------------- seeds, args, devices
def seed_everything(seed: int) -> None:
    """Seed minigrad's generators (CPU and GPU), NumPy's global one and Python's `random`."""
    mg.manual_seed(seed)
    np.random.seed(seed % 2**32)
    random.seed(seed)


# what a number on the command line may look like: Python's int() and float() also take
# "1_0" (10), surrounding spaces and non-ASCII digits, which on a command line are typos
_INT_TEXT = re.compile(r"[+-]?[0-9]+")
_FLOAT_TEXT = re.compile(
    r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?|[+-]?(inf|infinity|nan)", re.I
)


def _number(text: str, kind: type) -> int | float:
    what = "an integer" if kind is int else "a number"
    if not (_INT_TEXT if kind is int else _FLOAT_TEXT).fullmatch(text):
        raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}")
    value = kind(text)
    if kind is float and not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text}")
    return value


def int_in(lo: int, hi: int | None = None) -> Any:
    """An argparse `type=` for an integer in [lo, hi] (no upper bound when hi is None):
    a bad value is refused as 'argument --x: must be ..., got ...'."""

    def parse(text: str) -> int:
        value = _number(text, int)
        if value < lo or (hi is not None and value > hi):
            span = f"an integer from {lo} to {hi}" if hi is not None else f"an integer >= {lo}"
            raise argparse.ArgumentTypeError(f"must be {span}, got {value}")
        return value

    parse.__name__ = "int"
    return parse


def float_in(
    lo: float, hi: float, lo_open: bool = False, hi_open: bool = False, what: str = ""
) -> Any:
    """An argparse `type=` for a finite float in the interval from lo to hi, each end open
    or closed (math.inf for no upper bound); `what` replaces the interval in the message."""

    def parse(text: str) -> float:
        value = _number(text, float)
        if (value < lo or (lo_open and value == lo)) or (value > hi or (hi_open and value == hi)):
            span = what or (
                f"a finite number in {'(' if lo_open else '['}{lo:g}, "
                f"{hi:g}{')' if hi_open else ']'}"
            )
            raise argparse.ArgumentTypeError(f"must be {span}, got {text}")
        return value

    parse.__name__ = "float"
    return parse


positive_int = int_in(1)
# a run's length: bounds no real run reaches, so that a typo (a digit too many) is refused
# instead of starting a run that never ends
MAX_STEPS, MAX_EPOCHS = 10**9, 10**6


def length_in(lo: int, hi: int) -> Any:
    """An argparse `type=` for a count of steps or epochs in [lo, hi]: below lo it is
    refused as `int_in(lo)` refuses it, above hi naming the bound."""
    at_least = int_in(lo)

    def parse(text: str) -> int:
        value = at_least(text)
        if value > hi:
            raise argparse.ArgumentTypeError(
                f"must be an integer from {lo} to {hi} (a bound no real run reaches), got {value}"
            )
        return value

    parse.__name__ = "int"
    return parse


steps_arg = length_in(1, MAX_STEPS)
epochs_arg = length_in(1, MAX_EPOCHS)
nonneg_int = int_in(0)
positive_float = float_in(0.0, math.inf, lo_open=True, what="a positive finite number")
nonneg_float = float_in(0.0, math.inf, what="a finite number >= 0")
prob = float_in(0.0, 1.0)  # a probability or a share, 0 to 1
SEED = int_in(0, 2**63 - 1)


def path_arg(text: str) -> str:
    """An argparse `type=` for a file or folder name: an empty one (an unset shell
    variable, `--out ""`) is refused instead of meaning the current folder."""
    if not text.strip():
        raise argparse.ArgumentTypeError(f"must name a file or folder, got {text!r}")
    return text


path_arg.__name__ = "path"


def error_message(exc: BaseException) -> str:
    """One sentence for an expected failure, for a job's main() to print as
    '<job>: error: <sentence>' (exit status 1): an OSError names its file and reason
    (e.g. 'runs/x: Permission denied'), anything else is its own message."""
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        return f"{exc.filename}: {exc.strerror}"
    if isinstance(exc, MemoryError):
        return f"out of memory ({exc or 'try smaller sizes'})"
    return str(exc) or type(exc).__name__


def _is_run_folder(folder: Path) -> bool:
    """Whether `folder` holds a run: its checkpoint and log together, or the config.json a
    training job wrote (it records where the run writes). One file of those names alone
    (another tool's metrics.jsonl) does not make a folder a run."""
    if (folder / CHECKPOINT_NAME).is_file() and (folder / "metrics.jsonl").is_file():
        return True
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(config, dict) and {"out", "resume", "overwrite"} <= set(config)


def run_folder_of(path: str | Path) -> tuple[Path, Path] | None:
    """(run folder, path relative to it) when `path` lies inside a run folder (the
    nearest one up its parents), else None."""
    path = Path(path).resolve()
    for folder in path.parents:
        if _is_run_folder(folder):
            return folder, path.relative_to(folder)
    return None


def _job_output(relative: Path) -> bool:
    """Whether a path inside a run folder is one of the files the jobs write there (its
    checkpoint, config, log, pictures, eval.json, samples/, latent/) or the folder's own
    bookkeeping (.lock, .replaced/)."""
    first = relative.parts[0]
    bookkeeping = first in (".lock", ".replaced") or (first.startswith(".") and "tmp" in first)
    return first in RUN_OUTPUTS or first in RUN_FILES or bookkeeping


def check_output(
    path: str | Path,
    flag: str,
    inputs: Sequence[str | Path] = (),
    run_dir: str | Path | None = None,
    ours: Any = None,
    data: Sequence[str | Path] = (),
    suffix: str | None = None,
) -> Path:
    """`path` as an output of `flag`, refused (ValueError) when it is empty, a folder, one
    of the job's input files (`inputs`), inside the training data of the run it reads
    (`data`: its --data-dir file or folder), any file a job wrote into a run folder (a
    checkpoint, config, log, picture, eval.json, or anything under samples/ or latent/)
    or a file already in `run_dir`; and any other existing file unless `ours(path)` says
    this job wrote it (None: any existing file is refused): an output replaces only an
    earlier output of the same job, never a run, its data or a file of the user's. A name
    that does not end in `suffix` (the format the job writes) is refused too."""
    if not str(path).strip():
        raise ValueError(f"{flag} {str(path)!r}: give a file name")
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{flag} {path} is a folder; give a file name")
    protected = [(Path(p), "the input file") for p in inputs]
    if run_dir is not None and Path(run_dir).is_dir():
        protected += [(Path(run_dir) / name, f"the run's {name}") for name in RUN_FILES]
    for other, what in protected:
        same = path.resolve() == other.resolve()
        if path.exists() and other.exists():
            same = same or os.path.samefile(path, other)
        if same:
            raise ValueError(f"{flag} {path} is {what}; writing there would destroy it")
    # the path as written (a link itself is replaced) and where it leads
    targets = {path.parent.resolve() / path.name, path.resolve()}
    for source in data:
        source = Path(source).expanduser()
        if not str(source).strip() or not source.exists():
            continue
        src = source.resolve()
        for target in targets:
            if target == src or (source.is_dir() and src in target.parents):
                what = "is" if target == src else "is inside"
                raise ValueError(
                    f"{flag} {path} {what} the training data of the run it reads (--data-dir "
                    f"{source}); writing there would destroy or change that data: give "
                    "another file name"
                )
    for target in targets:
        folder = target.parent
        if target.name in RUN_FILES and any((folder / name).is_file() for name in RUN_FILES):
            raise ValueError(
                f"{flag} {path} is the {target.name} of the run folder {folder}; writing "
                "there would destroy that run: give another file name"
            )
    if (path.exists() or path.is_symlink()) and not path.is_file():
        # a FIFO, a socket or a device: opening it to look inside could block forever
        raise ValueError(f"{flag} {path} exists and is not a regular file; give a file name")
    mine = path.exists() and ours is not None and ours(path)
    if run_dir is not None and (path.exists() or path.is_symlink()) and not mine:
        inside = Path(run_dir).resolve()
        if any(t == inside or inside in t.parents for t in targets):
            raise ValueError(
                f"{flag} {path} is a file of the run {run_dir}; writing there would replace "
                "it: give a new file name"
            )
    for target in targets:
        found = run_folder_of(target)
        if found is not None and _job_output(found[1]):
            raise ValueError(
                f"{flag} {path} is a file a job writes in the run folder {found[0]} "
                f"({found[1].as_posix()}); writing there would replace that run's output: "
                "give a file name outside it, or a new name"
            )
    if (path.exists() or path.is_symlink()) and not mine:
        raise ValueError(
            f"{flag} {path} already exists and is not an earlier output of this job; "
            "writing there would replace it: delete or move it first, or give a new file name"
        )
    if suffix is not None and path.suffix.lower() != suffix:
        raise ValueError(
            f"{flag} {path}: the file is written in the {suffix[1:]} format; give a name "
            f"ending in {suffix}"
        )
    return path


SOFTWARE = "minigrad"  # the PNG 'Software' text of every picture the jobs write


def npz_of(path: Path, key: str) -> bool:
    """Whether `path` is an .npz holding `key` alone (what train.sample or train.embed
    writes), so that writing there again replaces only that job's earlier output."""
    import zipfile

    if not Path(path).is_file():  # a FIFO would block the read forever
        return False

    try:
        with zipfile.ZipFile(path) as z:
            return z.namelist() == [f"{key}.npy"]
    except (OSError, zipfile.BadZipFile, ValueError):
        return False


def png_of_a_job(path: Path, job: str | None = None) -> bool:
    """Whether `path` is a PNG one of the jobs wrote (its 'Software' text says so), or with
    `job`, one that job wrote ("minigrad train.sample"): train.sample replaces only its
    own grids, never a figure or grid another job made. Only a regular file is opened: a
    FIFO would block the read forever."""
    from PIL import Image

    if not Path(path).is_file():
        return False

    try:
        with Image.open(path) as img:
            if img.format != "PNG":
                return False
            mark = img.info.get("Software", "")
    except Exception:  # not an image at all: not ours
        return False
    if job is not None:
        return mark == f"{SOFTWARE} {job}"
    return mark == SOFTWARE or mark.startswith(SOFTWARE + " ")


def naming_errors(path: str | Path) -> contextlib.AbstractContextManager[None]:
    """A context in which an OSError that names no file (a full disk while writing) is
    raised again naming `path`, so the job's one-line error says which file failed."""
    return _NamingErrors(Path(path))


class _NamingErrors:
    def __init__(self, path: Path, stand_in: Path | None = None) -> None:
        self.path, self.stand_in = path, stand_in

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        if not isinstance(exc, OSError):
            return
        # the temporary file atomic_path writes first is not a name the user knows
        own = self.stand_in is not None and exc.filename == str(self.stand_in)
        if exc.filename is None or exc.errno == errno.ENOSPC or own:
            reason = "the disk is full" if exc.errno == errno.ENOSPC else exc.strerror or str(exc)
            if own and exc.errno == errno.EISDIR:
                reason = "a folder of that name is in the way"
            raise OSError(exc.errno, f"{WRITE_FAILED}{reason}", str(self.path)) from exc


WRITE_FAILED = "cannot write it: "  # how `_NamingErrors` begins the reason it gives


def write_reason(exc: OSError) -> str:
    """Why a write failed, in words: 'the disk is full', 'a folder of that name is in the
    way', or the system's own reason ('Permission denied'), without the 'cannot write it'
    that `naming_errors` puts before it (a message that says so itself)."""
    if exc.errno == errno.ENOSPC:
        return "the disk is full"
    reason = exc.strerror or str(exc)
    return reason[len(WRITE_FAILED) :] if reason.startswith(WRITE_FAILED) else reason


def add_common_args(
    parser: argparse.ArgumentParser, default_out: str | None = None, out_help: str | None = None
) -> argparse.ArgumentParser:
    """Add --device, --seed, --out, --overwrite, --resume and --dry-run to `parser`."""
    parser.add_argument(
        "--device",
        choices=("auto", "cpu", "cuda"),
        default="auto",
        help="where to train; 'auto' picks cuda when CuPy sees a GPU (default: auto)",
    )
    parser.add_argument("--seed", type=SEED, default=0, help="random seed (default: 0)")
    parser.add_argument(
        "--out",
        type=path_arg,
        metavar="RUN_DIR",
        default=default_out,
        help=f"folder for checkpoints, logs and samples (default: {out_help or default_out})",
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="start a new run in an --out folder that already holds one, deleting its "
        "checkpoint and log (without it, such a folder is refused)",
    )
    parser.add_argument(
        "--resume",
        type=path_arg,
        metavar="RUN_DIR",
        default=None,
        help="continue the run saved in RUN_DIR (its checkpoint, log and samples)",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="run a couple of steps on tiny data and exit"
    )
    return parser


def resolve_device(name: str | None) -> str:
    """'cpu' or 'cuda' for a --device value; 'cuda' without a usable GPU raises a
    RuntimeError that says why (e.g. how to install CuPy)."""
    if name in (None, "auto"):
        return "cuda" if mg.cuda.is_available() else "cpu"
    device = normalize_device(name)
    if device == "cuda":
        cupy_module()  # raises with the reason when there is no usable GPU
    return device


def data_fingerprint(*arrays: Any) -> str:
    """sha256 of the training data (shapes, dtypes and bytes; None for a missing array).
    A checkpoint keeps it, so a resume on changed data is refused instead of silently
    training on other images."""
    h = hashlib.sha256()
    for a in arrays:
        if a is None:
            h.update(b"none;")
            continue
        a = np.ascontiguousarray(as_numpy(a))
        h.update(f"{a.shape}{a.dtype.str};".encode())
        h.update(memoryview(a).cast("B"))
    return h.hexdigest()


def check_fingerprint(state: Mapping[str, Any], now: str, where: str) -> None:
    """Refuse a resume whose data differ from the checkpoint's (older checkpoints hold
    no fingerprint and are let through)."""
    then = state.get("data_sha256")
    if then is not None and str(then) != now:
        raise ValueError(
            f"the training data changed since the checkpoint{where}: the images' sha256 "
            f"was {str(then)[:12]}..., now {now[:12]}...; restore them or start a new run"
        )


# ---------------------------------------------------------------------- files
def _temporary_sibling(path: Path) -> Path:
    """Where `atomic_path`/`atomic_paths` write `path` first: a hidden file beside it, of
    the same suffix, named by this process."""
    return path.with_name(f".{path.stem}.tmp-{os.getpid()}{path.suffix}")


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary sibling of `path` (same suffix) to write; renamed over `path` on
    success, removed on failure, so readers never see a half-written file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temporary_sibling(path)
    try:
        with _NamingErrors(path, tmp):  # errors name `path`, not the temporary file
            yield tmp
            with open(tmp, "rb+") as f:
                os.fsync(f.fileno())
            os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    fsync_dir(str(path.parent))


@contextlib.contextmanager
def atomic_paths(*paths: Path) -> Iterator[list[Path]]:
    """`atomic_path` for files that belong together (train.sample's --out and --png):
    a temporary sibling of each to write; once all are written (and on disk), renamed over
    them together, with a Ctrl-C or SIGTERM held back until the last rename
    (`replace_together`), so that no failure or signal leaves one file new and the other
    old. On failure all are removed, and an error about a temporary file names its path."""
    paths = [Path(p) for p in paths]
    tmps = [_temporary_sibling(p) for p in paths]
    try:
        for path in paths:
            path.parent.mkdir(parents=True, exist_ok=True)
        with _NamingTemporaries(dict(zip(tmps, paths, strict=True))):
            yield tmps
            for path, tmp in zip(paths, tmps, strict=True):
                with _NamingErrors(path, tmp), open(tmp, "rb+") as f:
                    os.fsync(f.fileno())
            replace_together(list(zip(tmps, paths, strict=True)))
    finally:
        for tmp in tmps:
            if tmp.exists():
                tmp.unlink()


class _NamingTemporaries:
    """`_NamingErrors` for several temporary files: an OSError about one of them (its
    `filename`) is raised again naming the file it stands in for. The others pass: the
    writer of each file names it (`naming_errors`)."""

    def __init__(self, stand_ins: Mapping[Path, Path]) -> None:
        self.stand_ins = {str(tmp): path for tmp, path in stand_ins.items()}

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        if isinstance(exc, OSError) and exc.filename in self.stand_ins:
            path = self.stand_ins[exc.filename]
            _NamingErrors(path, Path(exc.filename)).__exit__(kind, exc, tb)


def replace_together(moves: Sequence[tuple[Path, Path]]) -> None:
    """Rename each written file (source, target) over its target, all of them: a Ctrl-C
    or SIGTERM meanwhile is held back and raised once the last is in place (so an output
    made of several files is one call's whole), then the folders are synced."""
    with GracefulInterrupt() as stop, stop.hold():
        for source, target in moves:
            os.replace(source, target)
    for folder in dict.fromkeys(str(Path(t).parent) for _, t in moves):
        fsync_dir(folder)
    raise_held(stop)


def raise_held(stop: GracefulInterrupt) -> None:
    """Raise the signal `stop` held back, as `signals_raise` raises it: KeyboardInterrupt,
    or `Terminated` for SIGTERM."""
    if stop.requested:
        raise Terminated if stop.signal_name == "SIGTERM" else KeyboardInterrupt


def checkpoint_path(run_dir: str | Path) -> Path:
    return Path(run_dir) / CHECKPOINT_NAME


def save_checkpoint(path: str | Path, state: Mapping[str, Any]) -> Path:
    """Write `state` (nested dicts of Tensors, arrays and plain values) with `mg.save`,
    which is atomic: a crash mid-write leaves the previous checkpoint intact."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    mg.save(dict(state), path)
    return path


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """A checkpoint written by `save_checkpoint`; a run folder means its checkpoint.npz."""
    path = Path(path)
    if path.is_dir() and path.name != CHECKPOINT_NAME:  # a run folder, not a misplaced folder
        path = checkpoint_path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder, not a checkpoint file")
    if not path.exists():
        raise FileNotFoundError(f"{path}: checkpoint not found")
    return mg.load(path)  # refuses a FIFO, device or folder by name


class BadState(ValueError):
    """A value in a checkpoint's state that no run writes; `run.restore` names the file."""


JOBS = {"train.gan": "G", "train.metric": "net"}  # a job, and the network its runs hold


def load_run(run_dir: str | Path, job: str) -> dict[str, Any]:
    """The checkpoint of a run of `job` ('train.gan' or 'train.metric'); a ValueError
    naming the folder when it holds another job's run or no run at all."""
    stamp = file_stamp(checkpoint_path(run_dir))
    saved = load_checkpoint(run_dir)
    state = saved.get("state") if isinstance(saved, dict) else None
    made_by = None
    if isinstance(state, dict) and isinstance(saved.get("args"), dict):
        made_by = next((j for j, net in JOBS.items() if net in state), None)
    if made_by is None:
        raise ValueError(f"{run_dir}: not the checkpoint of a training run (no args and state)")
    if made_by != job:
        raise ValueError(f"{run_dir} is a {made_by} run; this needs a {job} run")
    check_same_model(run_dir, saved["args"])
    repair_log(run_dir, saved.get("log"), stamp)
    return saved


def check_same_model(run_dir: str | Path, inside: Mapping[str, Any]) -> None:
    """Refuse a run folder whose config.json names another model than the settings inside
    its checkpoint (`inside`): the checkpoint is another run's (copied in), which --resume
    refuses too. Other keys that differ (an edited file) are only said
    (`run.note_config_drift`); a missing or unreadable config.json is the resume's to say."""
    folder = Path(run_dir)
    folder = folder.parent if folder.is_file() else folder
    path = folder / "config.json"
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return
    if not isinstance(stored, dict) or stored.get("model") in (None, inside.get("model")):
        return
    raise ValueError(
        f'{path} disagrees with the settings inside {checkpoint_path(folder)}: "model" is '
        f"{json.dumps(stored['model'], default=str)} there, "
        f"{json.dumps(inside.get('model'), default=str)} in the checkpoint, which is then "
        "another run's; put the run's own checkpoint back, or give the checkpoint's own run folder"
    )


def file_stamp(path: Path) -> tuple[int, int, int] | None:
    """(size, modification time in ns, inode) of `path`: which version of it was read."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns, st.st_ino


def log_difference(path: Path, log: list[Any]) -> str | None:
    """How the metrics.jsonl at `path` differs from the checkpoint's history `log`, in
    words ('it was missing', 'it held 3 records, not the checkpoint's 2', ...); None when
    it holds exactly that history."""
    if not path.is_file():
        return "it was missing"
    try:
        records = read_jsonl(path)
        lines = [x for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    except (OSError, ValueError, UnicodeDecodeError):
        return "it held lines that are not JSON records"
    if records == log:  # read_jsonl skips a last line cut off by a crash
        return None if len(lines) == len(records) else "its last line was cut off or not JSON"
    if len(records) == len(log):
        return f"its {len(records)} records differed from the checkpoint's"
    return f"it held {len(records)} records, not the checkpoint's {len(log)}"


def repair_log(run_dir: str | Path, log: Any, stamp: tuple[int, int, int] | None = None) -> None:
    """Complete RUN/metrics.jsonl from the checkpoint's history `log` where nothing it
    holds is lost by that: no file, or records that begin the history (a run killed
    between writing its checkpoint and its log, two files written one after the other,
    left it one record short). What a live run would write is the same, so a reader may
    do it, said in one line, while the checkpoint is still the one `log` was read from
    (`stamp`, its `file_stamp`); a folder it cannot write is left as it is, also said in
    one line. A log holding
    more or other records (an earlier checkpoint put back to sample from it, an edit) is
    left as it is, with one line saying so: a reader deletes no record; `--resume`
    rewrites it from the checkpoint it continues."""
    path = Path(run_dir)
    path = path.parent if path.is_file() else path
    log_path = path / "metrics.jsonl"
    if not isinstance(log, list) or not (log or log_path.is_file()):
        return
    held = log_difference(log_path, log)
    if held is None:
        return
    try:
        records = read_jsonl(log_path) if log_path.is_file() else []
    except (OSError, ValueError, UnicodeDecodeError):
        records = None
    if records is None or records != log[: len(records)]:
        print(
            f"{log_path}: left as it is, though it differs from the checkpoint's history "
            f"({held}); --resume rewrites it from the checkpoint"
        )
        return
    if stamp is not None and file_stamp(checkpoint_path(path)) != stamp:
        return  # a newer checkpoint committed meanwhile: its run wrote its own log
    try:
        write_jsonl(log_path, log)
    except OSError as exc:  # a read-only run folder, a full disk: the reader goes on
        print(
            f"{log_path}: left as it is ({held}): it could not be rewritten from the "
            f"checkpoint's history ({write_reason(exc)}); a job that can write the folder "
            "(--resume, or this one again) rewrites it"
        )
        return
    if records:
        print(
            f"{log_path}: restored from the checkpoint's history ({len(records)} of "
            f"{len(log)} records were written when the run stopped)"
        )
    else:
        print(f"{log_path}: rewritten from the checkpoint's history ({held})")


def rng_state() -> dict[str, Any]:
    """minigrad's and NumPy's global generator states, for a checkpoint."""
    return {"minigrad": mg.random.get_state(), "numpy": np.random.get_state(legacy=False)}


def set_rng_state(state: Mapping[str, Any]) -> None:
    """Restore what `rng_state` returned, so a resumed run draws the same numbers."""
    mg.random.set_state(state["minigrad"])
    np.random.set_state(state["numpy"])


def json_default(value: Any) -> Any:
    if isinstance(value, mg.Tensor):
        value = value.detach()._data
    if isinstance(value, np.generic):
        return value.item()
    if hasattr(value, "shape"):
        return as_numpy(value).tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def write_jsonl(path: str | Path, records: Iterable[Any]) -> None:
    """`records` as a JSON-lines file, one per line, written atomically (`atomic_path`):
    a run's metrics.jsonl, by the run and by a reader repairing it."""
    text = "".join(json.dumps(r, allow_nan=True) + "\n" for r in records)
    with atomic_path(Path(path)) as tmp:
        tmp.write_text(text, encoding="utf-8")


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    """The records of a JSON-lines file. A broken last line (a write cut off by a crash)
    is skipped; a broken line elsewhere raises a ValueError naming file and line."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: log file not found")
    lines = path.read_text(encoding="utf-8").splitlines()
    records = []
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as exc:
            if i == len(lines) - 1:
                break
            raise ValueError(f"{path}:{i + 1}: not a JSON object ({exc})") from exc
    return records


# ---------------------------------------------------------------------- images and plots
def _to_nhwc_uint8(images: Any) -> np.ndarray:
    """(N, H, W), (N, C, H, W) or (N, H, W, C) with C in (1, 3), uint8 or float in
    [-1, 1], to uint8 (N, H, W, C)."""
    if isinstance(images, mg.Tensor):
        images = images.detach()._data
    x = as_numpy(images)
    if x.ndim == 3:
        x = x[..., None]
    elif x.ndim == 4 and x.shape[1] in (1, 3) and x.shape[-1] not in (1, 3):
        x = x.transpose(0, 2, 3, 1)
    elif not (x.ndim == 4 and x.shape[-1] in (1, 3)):
        raise ValueError(f"expected (N, H, W), (N, C, H, W) or (N, H, W, C) images, got {x.shape}")
    if x.dtype != np.uint8:
        x = np.rint((np.clip(x.astype(np.float32), -1.0, 1.0) + 1.0) * 127.5).astype(np.uint8)
    return x


def make_image_grid(images: Any, nrow: int = 8, padding: int = 2, pad_value: int = 0) -> np.ndarray:
    """Tile images into one picture, `nrow` per row with `padding` pixels around each
    (as torchvision's make_grid): uint8 (H', W') for grey, (H', W', 3) for colour."""
    x = _to_nhwc_uint8(images)
    n, h, w, c = x.shape
    cols = min(nrow, n)
    rows = math.ceil(n / cols)
    grid = np.full(
        (rows * (h + padding) + padding, cols * (w + padding) + padding, c), pad_value, np.uint8
    )
    for i in range(n):
        top, left = padding + (i // cols) * (h + padding), padding + (i % cols) * (w + padding)
        grid[top : top + h, left : left + w] = x[i]
    return grid[..., 0] if c == 1 else grid


def write_image_grid(
    path: str | Path,
    images: Any,
    nrow: int = 8,
    padding: int = 2,
    pad_value: int = 0,
    job: str | None = None,
    checkpoint: str | None = None,
) -> np.ndarray:
    """Save `make_image_grid(images, nrow, padding)` as a PNG (atomically), marked as a
    job's picture (`job`: which job's) and, with `checkpoint`, as drawn from that point of
    the run (`picture_checkpoint`); returns it."""
    grid = make_image_grid(images, nrow, padding, pad_value)
    with atomic_path(Path(path)) as tmp:
        save_png(tmp, grid, job, checkpoint)
    return grid


def save_png(path: Path, picture: np.ndarray, job: str | None, checkpoint: str | None) -> None:
    """`picture` (uint8 (H, W) or (H, W, 3)) as the PNG `path`, written in place (the
    callers write a temporary file), marked as `write_image_grid` says."""
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    # marks the file as a job's output, and whose (png_of_a_job)
    info.add_text("Software", SOFTWARE if job is None else f"{SOFTWARE} {job}")
    if checkpoint is not None:
        info.add_text(CHECKPOINT_TEXT, checkpoint)
    Image.fromarray(picture).save(path, format="PNG", pnginfo=info)


# the PNG text in which train.gan's per-epoch pictures name the checkpoint they were drawn
# from ("epoch 3, step 30"): a resume draws the pictures its checkpoint's epoch still owes
CHECKPOINT_TEXT = "Checkpoint"


def picture_checkpoint(path: str | Path) -> str | None:
    """The checkpoint a job's picture at `path` says it was drawn from (its
    `CHECKPOINT_TEXT`); None for a missing, unreadable or unmarked file. Only a regular
    file is opened: a FIFO would block the read forever."""
    from PIL import Image

    if not Path(path).is_file():
        return None
    try:
        with Image.open(path) as img:
            mark = img.info.get(CHECKPOINT_TEXT) if img.format == "PNG" else None
    except Exception:  # not an image at all
        return None
    return mark if isinstance(mark, str) else None


def _new_figure(figsize: tuple[float, float]) -> Any:
    # A Figure with its own Agg canvas: no pyplot, no global backend, no display needed.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize)
    FigureCanvasAgg(fig)
    return fig


def _save_figure(fig: Any, path: str | Path, checkpoint: str | None = None) -> None:
    """`fig` written atomically to `path`; a PNG marked as a job's (and, with
    `checkpoint`, as drawn from that point of the run, as `write_image_grid` marks it)."""
    path = Path(path)
    with atomic_path(path) as tmp:
        fmt = path.suffix.lstrip(".") or "png"
        meta = {"Software": SOFTWARE} if fmt == "png" else None
        if meta is not None and checkpoint is not None:
            meta[CHECKPOINT_TEXT] = checkpoint
        fig.savefig(tmp, dpi=100, bbox_inches="tight", format=fmt, metadata=meta)


def plot_curves(
    path: str | Path,
    records: Sequence[Mapping[str, Any]],
    keys: Sequence[str],
    x_key: str = "step",
    title: str | None = None,
    checkpoint: str | None = None,
) -> None:
    """Line plot of `keys` against `x_key` (the record index when absent), one line per
    key; records lacking a key or holding a non-finite value are skipped for that line.
    `checkpoint`: the point of the run it shows, marked in the PNG (`_save_figure`)."""
    fig = _new_figure((7, 4))
    ax = fig.add_subplot()
    for key in keys:
        pts = [
            (r.get(x_key, i), r[key])
            for i, r in enumerate(records)
            if isinstance(r.get(key), int | float) and math.isfinite(r[key])
        ]
        if pts:
            xs, ys = zip(*pts, strict=True)
            ax.plot(xs, ys, label=key, linewidth=1)
    ax.set_xlabel(x_key)
    ax.grid(alpha=0.3)
    if keys:
        ax.legend()
    if title:
        ax.set_title(title)
    _save_figure(fig, path, checkpoint)


def scatter_plot(
    path: str | Path,
    real_xy: Any,
    fake_xy: Any,
    centres: Any = None,
    title: str | None = None,
    checkpoint: str | None = None,
) -> None:
    """2-D scatter of real (N, 2) and generated (M, 2) points, with mixture centres (K, 2)
    marked when given; `checkpoint` as `plot_curves` takes it."""
    real, fake = (
        as_numpy(a.detach()._data if isinstance(a, mg.Tensor) else a) for a in (real_xy, fake_xy)
    )
    fig = _new_figure((5, 5))
    ax = fig.add_subplot()
    ax.scatter(real[:, 0], real[:, 1], s=3, alpha=0.4, c="tab:blue", label="real")
    ax.scatter(fake[:, 0], fake[:, 1], s=3, alpha=0.4, c="tab:orange", label="generated")
    if centres is not None:
        c = as_numpy(centres)
        ax.scatter(c[:, 0], c[:, 1], s=40, marker="x", c="black", label="modes")
    ax.set_aspect("equal", adjustable="datalim")
    # the legend goes below the axes: inside, it hid the grid's top-right mode
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=3, markerscale=3)
    if title:
        ax.set_title(title)
    _save_figure(fig, path, checkpoint)


def latent_map_plot(
    path: str | Path, modes: np.ndarray, extent: float, n_modes: int, title: str | None = None
) -> None:
    """The latent plane coloured by where the generator sends each point: `modes` (H, W)
    holds the mode index of the grid point z in [-extent, extent]^2 (row 0 at the bottom)
    or -1 where the sample is not near any mode (drawn white). Circles mark |z| = 1, 2, 3."""
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Circle

    colours = [
        *_colormap("tab20b").colors,
        *_colormap("tab20c").colors,
        *_colormap("tab20").colors,
    ]
    if n_modes > len(colours):
        raise ValueError(f"latent_map_plot: at most {len(colours)} modes, got {n_modes}")
    cmap = ListedColormap([(1.0, 1.0, 1.0), *colours[:n_modes]])
    fig = _new_figure((5, 5))
    ax = fig.add_subplot()
    ax.imshow(
        modes + 1,
        origin="lower",
        extent=(-extent, extent, -extent, extent),
        cmap=cmap,
        vmin=0,
        vmax=n_modes,
        interpolation="nearest",
    )
    for r in (1, 2, 3):
        ax.add_patch(Circle((0, 0), r, fill=False, lw=0.6, ls="--", color="black"))
    ax.set_xlabel("z[0]")
    ax.set_ylabel("z[1]")
    if title:
        ax.set_title(title)
    _save_figure(fig, path)


def _colormap(name: str) -> Any:
    import matplotlib

    return matplotlib.colormaps[name]


# ---------------------------------------------------------------------- interrupts, NaNs
class GracefulInterrupt:
    """Context manager turning the first Ctrl-C (SIGINT, and SIGTERM) into a flag the
    training loop checks so it can save a checkpoint and stop; a second one raises
    KeyboardInterrupt (`Terminated` for SIGTERM). Outside the main thread it installs
    nothing.

        with GracefulInterrupt() as stop:
            for step in ...:
                ...
                if stop.requested:
                    break

    `signalled` is what the handler saw; `requested` is the decision the loop acts on. They
    are the same unless a distributed run sets `agreed` (every process's decision, taken at
    one point of the loop): then a signal that lands after the agreement waits for the
    next one, so no process stops alone while the others go on.
    """

    def __init__(self, signals: Sequence[int] | None = None) -> None:
        if signals is None:
            signals = [signal.SIGINT] + ([signal.SIGTERM] if hasattr(signal, "SIGTERM") else [])
        self.signals = tuple(signals)
        self.signalled = False
        self.agreed: bool | None = None
        self.signal_name: str | None = None
        self.saving = False  # inside `hold()`: a second signal does not raise
        self._previous: dict[int, Any] = {}

    @property
    def requested(self) -> bool:
        return self.signalled if self.agreed is None else self.agreed

    def _handle(self, signum: int, frame: Any) -> None:
        if self.signalled and not self.saving:
            # the second signal's own kind, as `signals_raise` raises it: a supervisor
            # repeating its SIGTERM gets status 143, not Ctrl-C's 130
            raise Terminated if signum == getattr(signal, "SIGTERM", None) else KeyboardInterrupt
        if not self.signalled:
            self.signal_name = signal.Signals(signum).name
        self.signalled = True

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        """While a checkpoint is written: a further signal is only noted (the save
        completes and the loop then stops), instead of raising KeyboardInterrupt midway."""
        saving, self.saving = self.saving, True
        try:
            yield
        finally:
            self.saving = saving

    def __bool__(self) -> bool:
        return self.requested

    def __enter__(self) -> GracefulInterrupt:
        if threading.current_thread() is threading.main_thread():
            for sig in self.signals:
                if not ignored(sig):
                    self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: Any) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()


def ignored(sig: int) -> bool:
    """Whether `sig` is ignored in this process, as a shell ignores SIGINT for a command it
    starts in the background (`job &` in a script): a job then keeps ignoring it, so a
    Ctrl-C meant for the script does not stop the job."""
    return signal.getsignal(sig) is signal.SIG_IGN


class Terminated(KeyboardInterrupt):
    """SIGTERM while a job runs, raised where the job is, as Ctrl-C raises
    KeyboardInterrupt (see `signals_raise`)."""


def _raise_terminated(signum: int, frame: Any) -> None:
    raise Terminated


@contextlib.contextmanager
def signals_raise() -> Iterator[None]:
    """While a job's main() runs: SIGINT raises KeyboardInterrupt and SIGTERM
    `Terminated`, for main() to answer with one line and exit status 130 or 143 instead
    of a traceback (or, for SIGTERM, a silent exit). The training loop's
    `GracefulInterrupt` takes them over while it runs. Outside the main thread: nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {
        sig: signal.signal(sig, handler)
        for sig, handler in (
            (signal.SIGINT, signal.default_int_handler),
            (signal.SIGTERM, _raise_terminated),
        )
        if not ignored(sig)
    }
    done = False
    try:
        yield
        done = True
    finally:
        for sig, handler in previous.items():
            if isinstance(handler, OutsideMain):
                handler.stage = OutsideMain.FINISHED if done else OutsideMain.ENDED
            if handler is not None:
                signal.signal(sig, handler)


class OutsideMain:
    """The SIGINT and SIGTERM handler of a job run as a program (`python -m train.JOB`,
    `python -m minigrad JOB`, `minigrad-JOB`) outside the part of its main() that
    `signals_raise` covers: before it, and after it up to the process's end. One line
    saying where the job stood, then exit status 128 + the signal's number, as for a
    signal anywhere else: a shell script running the job stops at a Ctrl-C, whenever it
    lands. `stage` says where the job stands: `signals_raise` sets FINISHED when the job's
    work is done (its body returned), ENDED when it stopped on an error."""

    STARTING = "while starting; nothing was written"
    ENDED = "after its work ended; nothing was left half-written"
    FINISHED = "after it finished; all it wrote is complete"

    def __init__(self, job: str) -> None:
        self.job = job
        self.stage = self.STARTING

    def __call__(self, signum: int, frame: Any) -> None:
        try:
            sys.stdout.flush()
            name = signal.Signals(signum).name
            os.write(2, f"{self.job}: interrupted by {name} {self.stage}\n".encode())
        except (OSError, ValueError, RuntimeError):
            pass  # a closed stream: the status still says it
        # _exit: the signal may land inside an exit function or an import, where a
        # SystemExit would become another error
        os._exit(128 + signum)

    def install(self, signals: Sequence[int] = (signal.SIGINT, signal.SIGTERM)) -> dict[int, Any]:
        """Take `signals` (those not ignored); returns the handlers replaced."""
        return {sig: signal.signal(sig, self) for sig in signals if not ignored(sig)}


def end_process(status: int) -> NoReturn:
    """End a job run as a program with `status` once its main() has returned, with
    `OutsideMain` still answering signals. Python stops running signal handlers before it
    tears its modules down (0.1-0.3 s with NumPy and matplotlib loaded), and a Ctrl-C then
    killed the process without a word. So the exit functions (atexit) run here, under the
    handler, and the process ends without that teardown, which would only free memory.
    Where the teardown matters (a thread still running, which Python waits for; MPI, which
    mpi4py finalizes after it) or the job is not all the process runs (`_runs_alone`) the
    interpreter ends as usual."""
    waits = any(not t.daemon for t in threading.enumerate() if t is not threading.main_thread())
    if waits or "mpi4py" in sys.modules or not _runs_alone():
        sys.exit(status)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):
            status = 120  # as Python's own exit says an output it could not flush
    os._exit(status)


# modules whose presence means someone runs the job and gets the process back after it
_HOSTS = ("cProfile", "profile", "trace", "pdb", "IPython", "ipykernel", "coverage")


def _runs_alone() -> bool:
    """Whether the job is all this process runs, so that nothing after its main block is
    lost by skipping the teardown: started by `python -m train.JOB` itself (only runpy's
    frames below the job's module), or by a launcher of minigrad.jobs (`python -m minigrad
    JOB`, a `minigrad-JOB` console script), with no tracer, profiler, debugger or
    interactive session to hand the process back to. Anything else (`python -m cProfile
    -m train.gan`, `runpy.run_module` or `minigrad.jobs.run` from a program) ends the usual
    way."""
    if sys.gettrace() is not None or sys.getprofile() is not None:
        return False
    if sys.flags.interactive or hasattr(sys, "ps1") or any(m in sys.modules for m in _HOSTS):
        return False
    frame = sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__") != "__main__":
        frame = frame.f_back
    if frame is None:
        return False
    frame, launched = frame.f_back, False
    while frame is not None and frame.f_globals.get("__name__") in ("runpy", "minigrad.jobs"):
        launched = launched or frame.f_globals.get("__name__") == "minigrad.jobs"
        frame = frame.f_back
    if frame is not None and launched and _is_jobs_launcher(frame.f_globals):
        frame = frame.f_back  # python -m minigrad's __main__ or the console script
        while frame is not None and frame.f_globals.get("__name__") == "runpy":
            frame = frame.f_back
    return frame is None


def _is_jobs_launcher(module_globals: dict[str, Any]) -> bool:
    """Whether a `__main__` module is minigrad's own launcher of the jobs: `python -m
    minigrad` (minigrad/__main__.py) or a `minigrad-JOB` console script pip wrote."""
    if module_globals.get("__name__") != "__main__":
        return False
    spec = module_globals.get("__spec__")
    if spec is not None and spec.name == "minigrad.__main__":
        return True
    return Path(module_globals.get("__file__") or "").name.startswith("minigrad-")


def interrupt_status(exc: BaseException) -> tuple[str, int]:
    """The signal's name and the exit status (128 + its number) of an interruption."""
    sig = signal.SIGTERM if isinstance(exc, Terminated) else signal.SIGINT
    return sig.name, 128 + int(sig)


def interrupted(job: str, exc: BaseException, written: str) -> int:
    """Say in one line on stderr that `job` was interrupted and what was (not) written;
    returns the exit status."""
    name, status = interrupt_status(exc)
    print(f"{job}: interrupted by {name}; {written}", file=sys.stderr, flush=True)
    return status


def check_finite(name: str, value: Any, step: int, checkpoint: str | Path | None = None) -> float:
    """`value` (a scalar Tensor, array or number) as a float; a FloatingPointError
    naming `name`, `step` and the last good checkpoint if it is NaN or infinite."""
    if isinstance(value, mg.Tensor):
        value = value.detach()._data
    arr = as_numpy(value)
    if np.all(np.isfinite(arr)):
        return float(arr.reshape(-1)[0]) if arr.size == 1 else float(arr.mean())
    kind = "NaN" if np.any(np.isnan(arr)) else "infinite"
    where = (
        f"the last good checkpoint is {checkpoint}"
        if checkpoint is not None and Path(checkpoint).exists()
        else "no checkpoint has been saved yet"
    )
    raise FloatingPointError(f"{name} became {kind} at step {step}; {where}")
