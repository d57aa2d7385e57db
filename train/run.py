"""The run folder and the training loop every job uses.

A job (train.gan, train.metric) describes its model's training step; this module holds
what every run needs around it:

- `resolve_args`: a resumed run takes its settings from the folder's config.json and
  refuses a flag that contradicts them (a longer --epochs/--steps and --device may change);
- `RunFolder`: one writer per folder (a lock file with pid, host and start time, released
  by the kernel if the process dies), stale temporary files removed, --overwrite moving the
  old run aside until the new one has committed, and `commit`, which checks the whole state
  for NaN/inf and writes the checkpoint with the full metrics history inside, so that an
  epoch's checkpoint and its metrics.jsonl record commit together;
- `fit`: the epoch loop with progress bars, Ctrl-C/SIGTERM (checkpoint, then stop) and
  one log line per epoch.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import fcntl
import functools
import json
import os
import re
import shutil
import signal
import socket
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from tqdm import tqdm

import minigrad as mg
from minigrad.backend import as_numpy
from train import common

CONFIG_NAME = "config.json"
LOG_NAME = "metrics.jsonl"
LOCK_NAME = ".lock"
REPLACED_NAME = ".replaced"  # --overwrite: the old run, kept until the new one commits
# every file or folder any job writes into a run folder (see train/common.py). A new run
# refuses a folder holding one of them (without --overwrite, which moves them all aside).
RUN_OUTPUTS = common.RUN_OUTPUTS
# the files that describe one checkpoint: eval.json (train.evaluate's scores, which record
# the step and the checkpoint file they are of; train.metric's final figures, which record
# its steps) and the pictures train.metric draws with it. A resumed run that commits a newer
# checkpoint removes them (`_remove_stale_results`), so that no score sits beside a
# checkpoint it does not describe; the per-epoch figures stay in the log.
RESULTS = ("eval.json", "pca.png", "retrieval.png", "curves.png")
# flags that may differ from the stored run on --resume (checked by `_may_change`)
MAY_CHANGE = ("epochs", "steps", "device")
# flags about where to write, not settings of the run
NOT_SETTINGS = ("resume", "out", "overwrite")
_UNSET = object()


QUIET = False  # set on the ranks of a distributed run other than 0, which report nothing


def note(message: str) -> None:
    """One line for the user on stderr (the progress bars' stream); rank 0 alone says it
    in a distributed run (errors go their own way)."""
    if not QUIET:
        print(message, file=sys.stderr, flush=True)


def note_dry_run_epochs(args: argparse.Namespace) -> None:
    """A new --dry-run with --epochs: one short epoch is trained, and --epochs is recorded
    in config.json (a dry run checks a long run's config), said rather than refused."""
    if args.dry_run and not args.resume and args.epochs is not None:
        note(
            f"--dry-run: one short epoch; --epochs {args.epochs} is recorded in config.json, "
            "not trained"
        )


# ---------------------------------------------------------------------- settings
def given_flags(parser: argparse.ArgumentParser, argv: list[str] | None) -> set[str]:
    """The destinations of the flags written on the command line `argv` (defaults left
    out): parsed once more into a namespace whose every attribute is pre-set to a marker,
    which argparse then leaves alone unless the flag is given."""
    marked = argparse.Namespace(
        **{a.dest: _UNSET for a in parser._actions if a.dest != argparse.SUPPRESS}
    )
    parsed = parser.parse_args(sys.argv[1:] if argv is None else argv, namespace=marked)
    return {k for k, v in vars(parsed).items() if v is not _UNSET}


def _plain(value: Any) -> Any:
    """`value` as it reads back from config.json (tuples become lists)."""
    return json.loads(json.dumps(value, default=str))


def _flag(parser: argparse.ArgumentParser, dest: str) -> str:
    for action in parser._actions:
        if action.dest == dest and action.option_strings:
            return action.option_strings[-1]
    return "--" + dest.replace("_", "-")


def _shown(parser: argparse.ArgumentParser, dest: str, value: Any) -> str:
    """A setting as the flags that give it: `--lr 0.0002`; for an on/off flag `--g-batchnorm`
    or `--no-g-batchnorm` (`--grayscale`, or 'no --grayscale'), never `--flag True`."""
    for action in parser._actions:
        if action.dest != dest or not action.option_strings:
            continue
        if isinstance(action, argparse.BooleanOptionalAction) and isinstance(value, bool):
            on = next(o for o in action.option_strings if not o.startswith("--no-"))
            return on if value else "--no-" + on[2:]
        if action.nargs == 0 and isinstance(value, bool):  # store_true / store_false
            return action.option_strings[-1] if value else f"no {action.option_strings[-1]}"
        break
    return f"{_flag(parser, dest)} {_plain(value)}"


def _may_change(dest: str, stored: Any, given: Any) -> bool:
    if dest == "device":
        return True
    if dest == "data_dir":  # the same data moved (its sha256 is checked on restore); a run
        return stored is not None  # that read no files (drawn points, the bundled digits) none
    # a run may be extended, never cut short below what it was set to reach
    return dest in MAY_CHANGE and stored is not None and given is not None and given > stored


def read_config(run_dir: Path) -> dict[str, Any]:
    """The settings stored in a run folder: config.json, else the checkpoint's copy."""
    path = run_dir / CONFIG_NAME
    if path.is_file():
        try:
            config = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ValueError(f"{path}: not a JSON settings file ({exc})") from exc
        if not isinstance(config, dict):
            raise ValueError(f"{path}: expected a JSON object of settings")
        return config
    return dict(common.load_checkpoint(run_dir)["args"])


def fill_unset(args: argparse.Namespace, values: Mapping[str, Any]) -> None:
    """Set each setting of `values` that `args` holds as None (a flag not given): how a
    job's recipe and plain defaults fill in what the command line left open."""
    for dest, value in values.items():
        if getattr(args, dest, None) is None:
            setattr(args, dest, value)


def resolve_args(
    parser: argparse.ArgumentParser,
    args: argparse.Namespace,
    given: Iterable[str] | None,
    fill_defaults: Callable[[argparse.Namespace], None],
    effective: Callable[[argparse.Namespace, str], Any] | None = None,
    inapplicable: Callable[[Mapping[str, Any], str], str | None] | None = None,
    job: str | None = None,
    same: Callable[[str, Any, Any], bool] | None = None,
) -> tuple[argparse.Namespace, dict[str, tuple[Any, Any]]]:
    """The run's settings and the changes a resume makes to them ({dest: (old, new)}).

    A new run: `args` with the job's defaults filled in. A resume: the settings stored in
    the folder, where a flag of `given` (the destinations written on the command line;
    None: those that differ from the parser's defaults) must agree with the stored value,
    except a longer --epochs/--steps and --device, which are said and recorded. A flag a
    run left at its default (stored as null) may be given with the value that default
    took; `effective(settings, dest)` gives that value where the job works it out beyond
    `fill_defaults` (train.gan's learning rates and D steps come from the objective).
    `inapplicable(stored, dest)` says why a given flag has no use in the stored run (then
    it is refused as a new run refuses it, whatever its value), else None. `job`
    ('train.gan'): a checkpoint of another job's run is refused naming that job first.
    `same(dest, a, b)` says whether two values of a setting are one in other spellings
    (train.metric's --train-classes 0-4 and 0,1,2,3,4)."""
    if given is None:
        given = {k for k, v in vars(args).items() if v != parser.get_default(k)}
    given = set(given)
    for dest in ("resume", "out"):  # "" would mean the current folder, or no resume at all
        value = getattr(args, dest, None)
        if value is not None and not str(value).strip():
            raise ValueError(f"{_flag(parser, dest)} {value!r}: give a folder name")
    if args.resume is None:
        fill_defaults(args)
        if isinstance(getattr(args, "data_dir", None), str) and args.data_dir.strip():
            args.data_dir = absolute_data(args.data_dir)  # later jobs may run elsewhere
        return args, {}
    run_dir = resume_folder(args.resume)
    if "out" in given and Path(args.out).resolve() != run_dir.resolve():
        raise ValueError(
            f"--resume {run_dir} --out {args.out}: a resumed run writes into its own folder; "
            "drop --out (or start a new run there without --resume)"
        )
    if "overwrite" in given:
        raise ValueError(
            f"--resume {run_dir} --overwrite: choose one (continue the run, or start over "
            f"with --out {run_dir} --overwrite)"
        )
    if run_dir.exists() and not run_dir.is_dir():
        hint = (
            f"; give its folder: --resume {run_dir.parent}"
            if run_dir.name in (common.CHECKPOINT_NAME, CONFIG_NAME)
            else ""
        )
        raise ValueError(f"--resume {run_dir} is a file, not a run folder{hint}")
    if not common.checkpoint_path(run_dir).is_file():
        holder = RunLock(run_dir).holder()
        if holder is not None:  # a live run that has not committed its first checkpoint
            raise RunFolderInUse(
                f"--resume {run_dir}: the folder is in use by a live run ({holder}) that has "
                "not written its first checkpoint yet; wait for it to finish or stop it"
            )
        if (run_dir / REPLACED_NAME).is_dir():  # an --overwrite that never committed
            recover_locked(run_dir)
    if not common.checkpoint_path(run_dir).is_file() and not (run_dir / CONFIG_NAME).is_file():
        raise FileNotFoundError(
            f"--resume {run_dir}: checkpoint not found (no {common.CHECKPOINT_NAME} there, "
            f"and no {CONFIG_NAME} of a run that stopped before its first checkpoint)"
        )
    stored = read_config(run_dir)
    where = (
        run_dir / CONFIG_NAME
        if (run_dir / CONFIG_NAME).is_file()
        else f"the settings inside {common.checkpoint_path(run_dir)}"
    )
    if not isinstance(where, Path):
        note(
            f"{run_dir}: no {CONFIG_NAME}: the run's settings are taken from {where} (once "
            f"the resume has restored the checkpoint, {CONFIG_NAME} is written again from them)"
        )
    flags = {
        a.dest: a
        for a in parser._actions
        if a.option_strings and a.dest in vars(args) and a.dest not in NOT_SETTINGS
    }
    foreign = sorted(set(stored) - set(vars(args)))
    if foreign:
        lacking = [d for d in flags if d not in stored]
        if len(foreign) <= 2 and len(lacking) <= 2:  # the rest is a run of this job
            keys = ", ".join(json.dumps(k) for k in foreign)
            raise ValueError(
                f"{where}: unknown key{'s' * (len(foreign) > 1)} {keys} (not a setting of "
                f"{parser.prog}); remove {'them' if len(foreign) > 1 else 'it'} from the file, "
                "or start a new run with --out"
            )
        raise ValueError(  # e.g. a train.metric run given to train.gan
            f"--resume {run_dir}: not a run of {parser.prog} (its settings hold "
            f"{', '.join(foreign[:4])}, which are not flags of this job)"
        )
    inside, made_by = _checkpoint_args(run_dir) if isinstance(where, Path) else ({}, None)
    if job is not None and made_by is not None and made_by != job:
        raise ValueError(
            f"--resume {run_dir}: {common.checkpoint_path(run_dir)} is a {made_by} "
            f"checkpoint, but its {CONFIG_NAME} is a {job} run's; put the run's own checkpoint "
            "back, or give the folder to the job it belongs to"
        )
    _fill_open_settings(run_dir, stored, flags, where, inside)
    check_settings(parser, stored, where)
    settings = {**vars(args), **stored}  # settings newer than the run keep their defaults
    changes: dict[str, tuple[Any, Any]] = {}

    @functools.cache
    def with_defaults() -> argparse.Namespace:
        """The stored settings with the job's defaults filled (once, when first asked)."""
        filled = argparse.Namespace(**{**settings, "resume": str(run_dir)})
        try:
            fill_defaults(filled)
        except ValueError:
            pass  # said below, with the settings as a whole
        return filled

    def default_of(dest: str) -> Any:
        """The value the run took for a setting it left at its default (stored as null)."""
        value = getattr(with_defaults(), dest, None)
        if value is None and effective is not None:
            value = effective(with_defaults(), dest)
        return value

    def agree(dest: str, a: Any, b: Any) -> bool:
        """Whether a flag's value `b` is the stored `a` (in any spelling `same` accepts)."""
        return _plain(a) == _plain(b) or (same is not None and same(dest, a, b))

    for dest in sorted(given - set(NOT_SETTINGS)):
        old, new = stored.get(dest, parser.get_default(dest)), getattr(args, dest)
        if dest == "data_dir" and isinstance(new, str) and new.strip() and new != old:
            # recorded as a new run's is (an older run's relative path, given again as it
            # was recorded, is no change)
            new = os.path.abspath(os.path.expanduser(new))
        why = inapplicable(stored, dest) if inapplicable is not None else None
        if why is not None:
            raise ValueError(f"{_shown(parser, dest, new)} {why} (the run in {run_dir})")
        if agree(dest, old, new):
            continue
        if old is None and dest not in MAY_CHANGE and agree(dest, default_of(dest), new):
            continue  # the value the run has been using all along: no change
        flag = _flag(parser, dest)
        if stored.get("dry_run") and dest == "epochs":
            raise ValueError(
                f"{flag} {_plain(new)}: the run in {run_dir} is a --dry-run, one short epoch "
                "whatever --epochs says, so more epochs would train nothing; start a real "
                "run with --out (or --overwrite it)"
            )
        if not _may_change(dest, old, new):
            hint = f"; {flag} may only grow" if dest in MAY_CHANGE and old is not None else ""
            if old is None:
                default = default_of(dest)
                at = f" ({_shown(parser, dest, default)})" if default is not None else ""
                was = f"without {flag}, at its default{at}"
            else:
                was = f"with {_shown(parser, dest, old)}"
            raise ValueError(
                f"{_shown(parser, dest, new)}: the run in {run_dir} runs {was}"
                f" ({_source(where)}); a resumed run keeps its settings{hint}. Drop the flag, "
                "or start a new run with --out"
            )
        changes[dest] = (old, new)
        settings[dest] = new
    settings["resume"] = str(run_dir)
    settings["overwrite"] = False
    resolved = argparse.Namespace(**settings)
    try:
        fill_defaults(resolved)
    except ValueError as exc:  # settings that pass one by one but not together
        raise ValueError(f"{where}: {exc}; fix it or start a new run with --out") from None
    _check_against_checkpoint(run_dir, stored, inside, flags, where, changes)
    if isinstance(getattr(resolved, "data_dir", None), str) and resolved.data_dir.strip():
        resolved.data_dir = absolute_data(resolved.data_dir, where)
    return resolved, changes


def resume_folder(resume: str) -> Path:
    """The folder of --resume: a run's checkpoint.npz given in its place means its folder."""
    path = Path(resume)
    return path.parent if path.name == common.CHECKPOINT_NAME and path.is_file() else path


def absolute_data(data: str, where: Any = None) -> str:
    """A run's --data-dir as an absolute path. A new run records it so, as the jobs that
    read the run later (and its resume) may run in another folder; a relative path that an
    older run recorded in `where` (its config.json) is taken from the current folder, and
    a FileNotFoundError names both when nothing is there."""
    path = os.path.abspath(os.path.expanduser(data))
    if where is not None and not os.path.exists(path):
        tried = (
            f" (tried {path}, from the current folder); put it back, or run from the folder "
            "the run was started in"
            if path != data
            else "; put it back there"
        )
        raise FileNotFoundError(
            f"the run's training data --data-dir {data} (recorded in {where}) does not exist"
            f"{tried}, or give its new place with --resume RUN --data-dir NEW (the same data: "
            "the checkpoint's sha256 of it refuses other data)"
        )
    return path


def _checkpoint_args(run_dir: Path) -> tuple[Mapping[str, Any], str | None]:
    """The settings saved inside the run's checkpoint and the job whose run it is ({} and
    None when there is none, or it cannot be read: the run refuses such a checkpoint by
    name when it opens it)."""
    if not common.checkpoint_path(run_dir).is_file():
        return {}, None
    try:
        saved = common.load_checkpoint(run_dir)
    except (OSError, ValueError, KeyError):
        return {}, None
    args = saved.get("args") if isinstance(saved, Mapping) else None
    state = saved.get("state") if isinstance(saved, Mapping) else None
    made_by = (
        next((j for j, net in common.JOBS.items() if net in state), None)
        if isinstance(state, Mapping)
        else None
    )
    return (args if isinstance(args, Mapping) else {}), made_by


# settings config.json may hold otherwise than the checkpoint: --device may change on any
# resume, and --data-dir may be pointed at the same data moved elsewhere (the checkpoint's
# sha256 of the data refuses other data), where the run read its data from files at all
MAY_DIFFER_FROM_CHECKPOINT = ("device", "data_dir")


def note_config_drift(run_dir: str | Path, inside: Mapping[str, Any]) -> None:
    """Say where a run's config.json (an edited file) holds settings other than `inside`,
    those saved in its checkpoint, which a job that only reads the run (train.sample,
    train.latent, train.evaluate, train.embed) uses: the weights were trained with them.
    `--resume` refuses such a folder; these jobs say so and go on. A place of the data, a
    device or a longer --epochs/--steps may differ (_check_against_checkpoint)."""
    path = Path(run_dir) / CONFIG_NAME
    if not path.is_file() or not inside:
        return
    try:
        stored = read_config(Path(run_dir))
    except ValueError:
        return  # what is wrong with the file is --resume's to say
    skip = {*NOT_SETTINGS, *MAY_DIFFER_FROM_CHECKPOINT, *MAY_CHANGE}
    differ = [
        k
        for k in sorted(set(stored) & set(inside))
        if k not in skip and _plain(stored[k]) != _plain(inside[k])
    ]
    if differ:
        shown = "; ".join(
            f'"{k}" is {json.dumps(_plain(stored[k]), default=str)} there, '
            f"{json.dumps(_plain(inside[k]), default=str)} in the checkpoint"
            for k in differ[:4]
        )
        more = f" (and {len(differ) - 4} more)" if len(differ) > 4 else ""
        note(
            f"{path} disagrees with the settings inside {common.checkpoint_path(run_dir)}: "
            f"{shown}{more}; using the checkpoint's, which the weights were trained with"
        )


def _check_against_checkpoint(
    run_dir: Path,
    stored: Mapping[str, Any],
    inside: Mapping[str, Any],
    flags: Mapping[str, argparse.Action],
    where: Any,
    changed: Iterable[str] = (),
) -> None:
    """Refuse a config.json whose settings disagree with those saved inside the checkpoint
    (an edited file): the weights were trained with the checkpoint's, and a resume would
    otherwise go on with other ones unsaid. The ValueError names each key and both values.
    A longer --epochs/--steps that config.json records ahead of the checkpoint is a resume's
    allowed change (written before the next checkpoint commits it), said in one line
    unless a flag of `changed` changes it again."""
    if not isinstance(where, Path) or not inside:
        return

    def grew(dest: str) -> bool:
        return _may_change(dest, inside.get(dest), stored.get(dest))

    differ, longer = [], []
    for dest in flags:
        if dest not in stored or dest not in inside:
            continue
        if dest in MAY_DIFFER_FROM_CHECKPOINT and _may_change(dest, inside[dest], stored[dest]):
            continue
        then, now = _plain(inside[dest]), _plain(stored[dest])
        if then != now and dest in ("epochs", "steps") and grew(dest):
            if dest not in changed:  # a flag's change is said when it is recorded
                longer.append(
                    f"{where}: the run now runs to {now} {dest}, from {CONFIG_NAME} (its "
                    f"checkpoint was saved with {dest} {json.dumps(then)}: a longer length "
                    "that a resume recorded, or an edit of the file)"
                )
            continue
        if then == now or (dest in MAY_CHANGE and grew(dest)):
            continue
        if dest == "steps" and now is None and grew("epochs"):
            continue  # a longer --epochs dropped train.metric's early stop
        differ.append(f'"{dest}" is {json.dumps(now)} there, {json.dumps(then)} in the checkpoint')
    if differ:
        raise ValueError(
            f"{where} disagrees with the settings inside {common.checkpoint_path(run_dir)}, "
            f"which the run was trained with: {'; '.join(differ)}. A resumed run keeps its "
            f"settings: put the checkpoint's values back into {CONFIG_NAME} (a longer "
            "--epochs/--steps or another --device is given as a flag), or start a new run "
            "with --out"
        )
    for line in longer:  # said once nothing else is refused: the resume goes on with it
        note(line)


def _source(where: Any) -> str:
    """Where a resumed run's settings were read, for a message: its config.json, or the
    copy inside its checkpoint when the file is gone."""
    return f"its {CONFIG_NAME}" if isinstance(where, Path) else "the settings inside its checkpoint"


def _fill_open_settings(
    run_dir: Path,
    stored: dict[str, Any],
    flags: Mapping[str, argparse.Action],
    where: Any,
    inside: Mapping[str, Any],
) -> None:
    """A config.json lacking a setting or holding null for it (edited, or cut short):
    the value is taken from `inside`, the settings the checkpoint holds, and said. Left
    open without a checkpoint to take it from, a null whose flag has a default is refused
    (naming the file and the key), and a missing key keeps its default, said."""
    if not isinstance(where, Path):  # the settings are the checkpoint's own
        return
    open_keys = [d for d in flags if stored.get(d) is None]
    if not open_keys:
        return
    filled = [d for d in open_keys if inside.get(d) is not None]
    for dest in filled:
        stored[dest] = _plain(inside[dest])
    if filled:
        shown = ", ".join(f'"{d}" ({json.dumps(stored[d])})' for d in filled)
        note(
            f"{where}: missing or null {shown}: taken from the settings inside "
            f"{common.checkpoint_path(run_dir)}"
        )
    for dest in open_keys:
        if dest in filled or inside.get(dest, _UNSET) is None:
            continue  # the run itself left the flag unset
        default = flags[dest].default
        if dest in stored and default is not None:
            raise ValueError(
                f'{where}: "{dest}" is null, which {_flag_of(flags[dest])} refuses (it takes '
                f"a value; its default is {json.dumps(_plain(default))}); set the run's own "
                "value in the file or start a new run with --out"
            )
        if dest not in stored:
            note(
                f'{where}: no "{dest}"; the run keeps {_flag_of(flags[dest])} at its default '
                f"({json.dumps(_plain(default))})"
            )


def _flag_of(action: argparse.Action) -> str:
    return action.option_strings[-1]


def check_settings(parser: argparse.ArgumentParser, stored: Mapping[str, Any], where: Any) -> None:
    """Refuse a stored setting its flag would refuse (a ValueError naming `where`, the
    key and the value): of the wrong JSON type ("epochs": "3"), not one of the flag's
    choices ("loss": "bogus") or out of its range ("lr": -5). None (a flag left unset) is
    let through, and keys that are not flags of the job."""
    for action in parser._actions:
        dest = action.dest
        if not action.option_strings or dest in NOT_SETTINGS or stored.get(dest) is None:
            continue
        value, flag = stored[dest], _flag(parser, dest)

        def bad(why: str, value: Any = value, dest: str = dest, flag: str = flag) -> ValueError:
            return ValueError(
                f'{where}: "{dest}" is {json.dumps(value)}, which {flag} refuses: {why}; '
                "fix the file or start a new run with --out"
            )

        if action.nargs == 0:  # store_true, --flag/--no-flag
            if not isinstance(value, bool):
                raise bad("expected true or false")
            continue
        items = [value]
        if isinstance(action.nargs, int):
            if not isinstance(value, list) or len(value) != action.nargs:
                raise bad(f"expected a list of {action.nargs} values")
            items = value
        kind = getattr(action.type, "__name__", "str") if action.type else "str"
        for item in items:
            if kind == "int" and (isinstance(item, bool) or not isinstance(item, int)):
                raise bad("expected an integer")
            if kind == "float" and (isinstance(item, bool) or not isinstance(item, int | float)):
                raise bad("expected a number")
            if kind not in ("int", "float") and not isinstance(item, str):
                raise bad("expected a string")
            if action.choices is not None and item not in action.choices:
                raise bad(f"expected one of {', '.join(map(str, action.choices))}")
            if action.type is not None:
                # a flag whose rule tightened keeps the older rule for recorded values
                check = getattr(action.type, "recorded", action.type)
                try:
                    check(str(item))
                except (argparse.ArgumentTypeError, ValueError, TypeError) as exc:
                    raise bad(str(exc)) from None


# the files a job writes into a run's subfolders, by name: samples/epoch_NNN.png (the
# training jobs) and latent/'s pictures (train.latent), with their temporary files
JOB_PICTURES = {
    "samples": lambda name: re.fullmatch(r"epoch_\d+\.png.*", name.lstrip(".")) is not None,
    "latent": lambda name: (
        name.lstrip(".").split(".")[0]
        in ("latent_map", "interp_linear", "interp_slerp", "arithmetic", "nearest")
    ),
}
MOVED_NAME = ".moved.json"  # in .replaced/: the names --overwrite sets aside, written first


def _moved_names(replaced: Path) -> list[str] | None:
    """The names an --overwrite listed in RUN/.replaced/.moved.json before it moved any
    of them (None: no list, from an older version; [] : a list cut short by a kill, written
    before anything was moved)."""
    path = replaced / MOVED_NAME
    if not path.is_file():
        return None
    try:
        names = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return []
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        return []
    return names


def recover_locked(run_dir: Path) -> bool:
    """`recover_replaced` for a job that does not hold the folder's lock: taken for it."""
    lock = RunLock(run_dir)
    lock.acquire()
    try:
        return recover_replaced(run_dir)
    finally:
        lock.release()


def recover_replaced(run_dir: Path) -> bool:
    """Put back the run an --overwrite moved into RUN/.replaced/ when the new run stopped
    before its first checkpoint (it failed, or was killed): the old run is only given up
    once the new one has committed. The new run's own files (a config.json, pictures) are
    removed; a file of the old run the --overwrite had not yet moved (it lists the names
    in .replaced/.moved.json before moving the checkpoint first) stays. The checkpoint
    goes back last, so that a recovery killed midway is redone by the next open. The
    caller holds the folder's lock. True when a run was restored."""
    run_dir = Path(run_dir)
    replaced = run_dir / REPLACED_NAME
    if not replaced.is_dir():
        return False
    if common.checkpoint_path(run_dir).exists():
        if not [p for p in replaced.iterdir() if p.name != MOVED_NAME]:
            shutil.rmtree(replaced)  # a recovery killed after putting the checkpoint back
        return False  # or the new run committed (the old one is no longer needed)
    moved = _moved_names(replaced)
    entries = {p.name: p for p in replaced.iterdir() if p.name != MOVED_NAME}
    if not entries:
        shutil.rmtree(replaced)
        return False
    if moved is None:  # no list: everything of the old run was moved
        old = set(entries)
    else:
        old = {*moved, *entries}
    for name in {*RUN_OUTPUTS, *entries}:
        if name in entries or name not in old:
            _remove(run_dir / name)  # what the run that stopped wrote
    last = [common.CHECKPOINT_NAME] if common.CHECKPOINT_NAME in entries else []
    for name in [*(n for n in entries if n not in last), *last]:
        os.replace(entries[name], run_dir / name)
    common.fsync_dir(str(run_dir))
    shutil.rmtree(replaced)
    common.fsync_dir(str(run_dir))
    note(
        f"{run_dir}: the --overwrite run started there stopped before its first "
        f"checkpoint; the run it replaced is back from {replaced}/"
    )
    return True


def open_run(run_dir: str) -> str:
    """RUN_DIR of train.sample/evaluate/latent/embed as the run folder to read: a run's
    checkpoint.npz given in its place means its folder (so that the checks on what may
    be written there apply, and outputs go beside it), and a folder whose --overwrite run
    stopped before its first checkpoint gets its old run back first, under the folder's
    lock (refused, naming the holder, while that run is still going)."""
    path = Path(run_dir)
    if path.name == common.CHECKPOINT_NAME and path.is_file():
        run_dir = str(path.parent)
        path = path.parent
    if (
        path.is_dir()
        and (path / REPLACED_NAME).is_dir()
        and not common.checkpoint_path(path).exists()
    ):
        recover_locked(path)
    return run_dir


def folder_line(run_dir: str | Path, names: Iterable[str]) -> str:
    """The last line of a training job: its run folder and which of `names` it holds (a
    run stopped by --steps mid-epoch has drawn no epoch's pictures)."""
    held = [n for n in names if (Path(run_dir) / n).exists()]
    return f"run folder: {run_dir}" + (f" ({', '.join(held)})" if held else "")


def _is_run_config(path: Path) -> bool:
    """Whether `path` is the config.json a job wrote (it records where the run writes)."""
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(config, dict) and {"out", "resume", "overwrite"} <= set(config)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


class Interrupted(Exception):
    """A run stopped by SIGINT or SIGTERM after saving its checkpoint: the job's main()
    says so and exits with 128 + the signal's number (130, 143), as shells expect."""

    def __init__(self, run_dir: Path, signal_name: str | None) -> None:
        self.run_dir, self.signal_name = Path(run_dir), signal_name or "SIGINT"
        try:
            self.exit_status = 128 + int(signal.Signals[self.signal_name])
        except KeyError:
            self.exit_status = 130
        by = (
            self.signal_name if self.signal_name.startswith("SIG") else f"{self.signal_name} signal"
        )
        super().__init__(
            f"interrupted by {by}; the checkpoint is saved: continue with --resume {self.run_dir}"
        )


def stop_if_interrupted(finished: bool, folder: Any) -> None:
    """Raise `Interrupted` when `fit` returned False (called once the folder and any
    distributed session are closed)."""
    if not finished:
        raise Interrupted(folder.path, getattr(folder, "interrupted_by", None))


def restore(job: Any, folder: Any, job_name: str) -> None:
    """Restore `job` from the checkpoint `folder` resumed, checked to be one of
    `job_name`'s runs with every key the job reads (a ValueError naming the checkpoint and
    the key otherwise), then record the resume's flag changes in config.json: a refused
    resume changes nothing."""
    path = getattr(folder, "checkpoint", None) or common.checkpoint_path(folder.path)
    state = folder.saved["state"]
    made_by = next((j for j, net in common.JOBS.items() if net in state), None)
    if made_by != job_name:
        what = f"a {made_by} checkpoint" if made_by else "not the checkpoint of a training run"
        raise ValueError(
            f"{path}: {what}, but --resume {folder.path} is a {job_name} run (its "
            f"{CONFIG_NAME}); put its own checkpoint back or start a new run with --out"
        )
    try:
        job.restore(state)
    except common.BadState as exc:
        raise ValueError(
            f"{path} is corrupt: {exc}; put a good copy back or start a new run with --out"
        ) from None
    except KeyError as exc:
        key = exc.args[0] if exc.args else "?"
        raise ValueError(
            f"{path}: the checkpoint's state has no {key!r}; not a complete {job_name} "
            "checkpoint (put the run's own back or start a new run with --out)"
        ) from None
    except RuntimeError as exc:  # load_state_dict: a missing, extra or misshapen weight
        cause = " ".join(line.strip() for line in str(exc).splitlines() if line.strip())
        raise ValueError(
            f"{path}: the checkpoint's weights do not fit the network the settings of "
            f"--resume {folder.path} build ({cause}); put the run's own checkpoint back or "
            "start a new run with --out"
        ) from None
    if getattr(job, "batch", 0) > job.batches_per_epoch:  # a counter no run writes
        raise ValueError(
            f"{path} is corrupt: its batch {job.batch} is beyond the {job.batches_per_epoch} "
            "batches of an epoch; put a good copy back or start a new run with --out"
        )
    folder.restored()


# ---------------------------------------------------------------------- the lock
class RunFolderInUse(RuntimeError):
    """Another live process holds the run folder's lock."""


class RunLock:
    """An exclusive `flock` on RUN/.lock, which holds the holder's pid, host and start
    time for the messages. The kernel drops the lock when its process dies (kill -9
    included), so a lock file whose lock can be taken is stale."""

    def __init__(self, run_dir: Path) -> None:
        self.path = Path(run_dir) / LOCK_NAME
        self.fd: int | None = None

    def acquire(self) -> str | None:
        """Take the lock; returns the stale holder's description when there was one."""
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _describe(os.pread(fd, 4096, 0))
                os.close(fd)
                raise RunFolderInUse(
                    f"{self.path.parent} is in use by another run ({holder}); wait for it "
                    "to finish or stop it, or pick another folder"
                ) from None
            try:  # a releasing holder may have removed the file between open and flock
                current = os.stat(self.path).st_ino
            except FileNotFoundError:
                current = None
            if current == os.fstat(fd).st_ino:
                break
            os.close(fd)
        stale = os.pread(fd, 4096, 0)
        me = {"pid": os.getpid(), "host": socket.gethostname(), "started": _now()}
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, (json.dumps(me) + "\n").encode(), 0)
            os.fsync(fd)
        except OSError:  # a full disk: no empty lock file is left behind (it is held)
            self.path.unlink(missing_ok=True)
            os.close(fd)
            raise
        self.fd = fd
        return _describe(stale) if stale.strip() else None

    def holder(self) -> str | None:
        """The live holder's description, or None when nobody holds the lock (checked
        without creating the file or keeping the lock)."""
        try:
            fd = os.open(self.path, os.O_RDWR)
        except FileNotFoundError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return _describe(os.pread(fd, 4096, 0))
        finally:
            os.close(fd)  # closing drops a lock taken here
        return None

    def release(self) -> None:
        """Drop the lock and remove its file. It never raises: a folder that stopped taking
        writes (the job's own error names the file that failed and the intact checkpoint)
        keeps a stale .lock, which the next run takes over; said in one line."""
        if self.fd is None:
            return
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            note(
                f"{self.path}: not removed ({exc.strerror or exc}); the lock is dropped all "
                "the same, and the next run takes the file over"
            )
        finally:
            try:
                os.close(self.fd)  # closing drops the flock
            except OSError:
                pass
            self.fd = None


def _now() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S")


def _describe(raw: bytes) -> str:
    try:
        h = json.loads(raw.decode())
        return f"pid {h['pid']} on {h['host']}, started {h['started']}"
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return "holder unknown: unreadable lock file"


# ---------------------------------------------------------------------- non-finite state
def non_finite(tree: Any, name: str = "") -> list[tuple[str, int, int, int]]:
    """(name, NaN count, inf count, size) of every floating array or Tensor in a nested
    dict/list state holding a NaN or an infinity."""
    if isinstance(tree, Mapping):
        return [
            bad for k, v in tree.items() for bad in non_finite(v, f"{name}.{k}" if name else str(k))
        ]
    if isinstance(tree, list | tuple):
        return [bad for i, v in enumerate(tree) for bad in non_finite(v, f"{name}[{i}]")]
    if isinstance(tree, mg.Tensor):
        tree = tree.detach()._data
    if isinstance(tree, float):
        tree = np.float64(tree)
    if not hasattr(tree, "dtype") or not np.issubdtype(tree.dtype, np.floating):
        return []
    a = as_numpy(tree)
    n_nan = int(np.isnan(a).sum())
    n_inf = int(np.isinf(a).sum())
    return [(name, n_nan, n_inf, int(a.size))] if n_nan or n_inf else []


def describe_non_finite(bad: list[tuple[str, int, int, int]]) -> str:
    """`non_finite`'s findings in words: 'G.w has 3 NaN of 64 values, ...'."""
    shown = ", ".join(f"{n} has {_count(a, b)} of {s} values" for n, a, b, s in bad[:4])
    return shown + (f" and {len(bad) - 4} more tensors" if len(bad) > 4 else "")


def check_weights(tree: Any, path: str | Path, what: str) -> None:
    """Refuse (ValueError naming the file and the tensors) weights holding NaN or inf:
    a corrupt or hand-edited checkpoint, which no run saves."""
    bad = non_finite(tree, what)
    if bad:
        raise ValueError(
            f"{path}: the checkpoint is corrupt: {describe_non_finite(bad)} (a run never saves "
            "non-finite weights); put a good copy back, or train the run again"
        )


def run_data(run_dir: str | Path) -> list[str]:
    """The training data a run reads (its --data-dir), for the output checks of the jobs
    that read the run: no output may land on it."""
    try:
        config = read_config(Path(run_dir))
    except (OSError, ValueError, KeyError):
        return []
    data = config.get("data_dir") if isinstance(config, dict) else None
    return [absolute_data(data)] if isinstance(data, str) and data.strip() else []


def say_late_sigterm(job: str) -> None:
    """A SIGTERM before a job's main() takes the signals or after it gives them back says
    so in one line and exits 143 (`common.OutsideMain`), instead of ending the process
    silently. `run_as_program` does this for both signals, up to the process's end."""
    common.OutsideMain(job).install([signal.SIGTERM])


def run_as_program(job: str, main: Callable[[], int]) -> None:
    """What a job runs as a program, from every launcher. Ctrl-C or SIGTERM
    outside what main()'s `common.signals_raise` covers (before it, the final lines, the
    interpreter's exit) is one line saying where the job stood and status 130/143: "after
    it finished; all it wrote is complete" once its work is done. The process then ends
    as `common.end_process` says."""
    handler = common.OutsideMain(job)
    previous = handler.install()
    try:
        status = main()
    except BaseException:  # argparse's --help or a usage error; a caller in this process
        for sig, old in previous.items():
            if old is not None:
                signal.signal(sig, old)
        raise
    handler.stage = handler.FINISHED if status == 0 else handler.ENDED
    common.end_process(status)


def interrupted_outside_loop(job: str, exc: BaseException, args: argparse.Namespace) -> int:
    """A training job's answer to Ctrl-C/SIGTERM outside its training loop (start-up, the
    final evaluation): one line saying what the run folder holds; the exit status."""
    folder = getattr(args, "resume", None) or getattr(args, "out", None)
    if folder and common.checkpoint_path(folder).is_file():
        written = (
            f"{common.checkpoint_path(folder)} is intact: continue (or finish) the run with "
            f"--resume {folder}"
        )
    else:
        written = "no checkpoint was written"
    return common.interrupted(job, exc, written)


def _count(n_nan: int, n_inf: int) -> str:
    parts = [f"{n_nan} NaN"] * bool(n_nan) + [f"{n_inf} infinite"] * bool(n_inf)
    return " and ".join(parts)


# ---------------------------------------------------------------------- the folder
class RunFolder:
    """A run folder held by this process, from `__enter__` to `__exit__`.

    On entry: the lock, stale temporary files removed, a run that an --overwrite set
    aside and whose replacement never committed put back (`recover_replaced`), then for a
    new run the folder checked (a folder holding any file a run writes needs --overwrite,
    which moves all of them aside into .replaced/ until the new run's first checkpoint;
    a new run that fails before it puts them back) and config.json written; for a resume
    the checkpoint loaded into `saved` and metrics.jsonl rewritten from its history. The
    allowed flag changes go into config.json by `restored()`, once the job has restored
    the checkpoint. A resumed run that stopped before its first checkpoint starts over
    from its config.json (`saved` stays None)."""

    def __init__(
        self,
        args: argparse.Namespace,
        outputs: Iterable[str] = (),
        changes: Mapping[str, tuple[Any, Any]] | None = None,
    ) -> None:
        self.args = args
        self.path = Path(args.resume or args.out)
        self.outputs = (common.CHECKPOINT_NAME, LOG_NAME, CONFIG_NAME, *outputs)
        self.changes = dict(changes or {})
        self.lock = RunLock(self.path)
        self.saved: dict[str, Any] | None = None
        self.log: list[dict[str, Any]] = []
        self.last_good: int | None = None  # the step of the last checkpoint written or read
        self.moved_aside = False  # this --overwrite moved an old run into .replaced/
        self.pending_changes = False  # flag changes not yet written to config.json
        self.interrupted_by: str | None = None  # the signal that stopped `fit`

    @property
    def checkpoint(self) -> Path:
        return common.checkpoint_path(self.path)

    def __enter__(self) -> RunFolder:
        self._check_out_beside_data()  # before the folder is made: nothing left behind
        if not self.args.resume:
            self._check_not_in_run_outputs()
        if self.path.exists() and not self.path.is_dir():
            flag = "--resume" if self.args.resume else "--out"
            raise RuntimeError(
                f"{flag} {self.path} is a file, not a folder: give a run folder's name "
                "(a new one, or an existing run's)"
            )
        made = not self.path.exists()
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            why = common.write_reason(exc)
            raise RuntimeError(f"cannot create the run folder {self.path}: {why}") from exc
        try:
            stale = self.lock.acquire()
        except OSError as exc:
            flag = "--resume" if self.args.resume else "--out"
            if exc.errno == errno.ENOSPC:
                if made:  # the empty folder this run made goes too
                    with contextlib.suppress(OSError):
                        self.path.rmdir()
                again = f"--resume {self.path}" if self.args.resume else "the command again"
                raise RuntimeError(
                    f"{flag} {self.path}: cannot write the run's lock file {self.lock.path}: "
                    f"the disk is full; make room and run {again}"
                ) from None
            if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
                raise PermissionError(
                    f"{flag} {self.path}: the folder takes no writes ({exc.strerror}); a run "
                    "writes its checkpoint and log there"
                ) from None
            if self.lock.path.is_dir():
                raise RuntimeError(
                    f"{flag} {self.path}: {self.lock.path} is a folder, where a run keeps its "
                    "lock file; remove it (a run never makes it) or pick another folder"
                ) from None
            raise RuntimeError(
                f"{flag} {self.path}: cannot create the run's lock file {self.lock.path} "
                f"({exc.strerror or exc}); give a folder of an ordinary file system that a "
                "run can write its checkpoint and log in"
            ) from None
        try:
            if stale:
                note(f"{self.path}: took over the lock of a run no longer running ({stale})")
            self._remove_temporaries()
            recover_replaced(self.path)
            if self.args.resume:
                self._resume()
            else:
                self._start()
        except BaseException:
            self._give_back()
            self.lock.release()
            raise
        return self

    def __exit__(self, kind: Any, *exc: Any) -> None:
        try:
            if kind is not None:
                self._give_back()
        finally:
            self.lock.release()  # never raises: the job's own error stays the one shown

    def _give_back(self) -> None:
        """A new run that stopped before its first checkpoint: put back the run it was
        to replace (the lock is still held)."""
        if self.moved_aside and self.last_good is None:
            try:
                recover_replaced(self.path)
            except OSError as exc:
                kept = self.path / REPLACED_NAME
                note(f"{self.path}: the replaced run is kept in {kept}/ ({exc})")

    def _remove_temporaries(self) -> None:
        # what an atomic write killed midway leaves: `.NAME.*.tmp` / `.NAME.tmp-PID.ext`
        for folder in (self.path, self.path / "samples"):
            if folder.is_dir():
                for p in folder.glob(".*.tmp*"):
                    if p.is_file():
                        p.unlink()

    def _check_out_beside_data(self) -> None:
        """A new run's folder must not lie inside its --data-dir folder: its pictures would
        become training data, and the run could not resume (its data having changed)."""
        data = getattr(self.args, "data_dir", None)
        if self.args.resume or not data or not Path(data).expanduser().is_dir():
            return
        source, out = Path(data).expanduser().resolve(), self.path.resolve()
        if out == source or source in out.parents:
            raise ValueError(
                f"--out {self.path} is inside --data-dir {data}: the run's pictures would "
                "become training data; pick an --out outside it"
            )

    def _check_not_in_run_outputs(self) -> None:
        """A new run inside another run's samples/ or latent/ is refused: that run's jobs
        write there (and train.latent would take the new run for a foreign --out)."""
        inside = common.run_folder_of(self.path)
        if inside is not None and common._job_output(inside[1]):
            first = inside[0] / inside[1].parts[0]
            if first.exists() and not first.is_dir():  # a folder cannot be made in a file
                raise FileExistsError(
                    f"--out {self.path}: {first} is a file of the run in {inside[0]}, not a "
                    "folder; pick an --out outside that run"
                )
            raise FileExistsError(
                f"--out {self.path} is inside the run folder {inside[0]}, in "
                f"{inside[1].parts[0]}/ where that run's jobs write: pick an --out outside it"
            )

    def _another_jobs_run(self) -> bool:
        """Whether the folder's settings are another job's: more than two keys this job has
        no flag for (resolve_args, which has a run of this job in hand, also counts the
        flags missing; here a user's own config.json would then pass for another job's run,
        not for no run); False where unreadable."""
        try:
            stored = read_config(self.path)
        except (ValueError, OSError, KeyError, TypeError):
            return False
        return len(set(stored) - set(vars(self.args))) > 2

    def _start(self) -> None:
        names = dict.fromkeys([*self.outputs, *RUN_OUTPUTS])
        present = [n for n in names if (self.path / n).exists() or (self.path / n).is_symlink()]
        replaced = self.path / REPLACED_NAME
        if present and not self.args.overwrite and self._same_run_unsaved(present):
            # the same command again after its run stopped before a checkpoint: start over
            note(f"{self.path}: starting over the run that stopped before its first checkpoint")
            self.remove_samples_after(0)
            present = []
        if present and not self.args.overwrite:
            if self._another_jobs_run():
                what = f"holds a run of another job ({present[0]}, settings this job lacks)"
                hint = "--resume would refuse it; replace it with --overwrite"
            elif self.checkpoint.exists() or (self.path / LOG_NAME).exists():
                what = f"already holds a run ({present[0]})"
                hint = f"continue it with --resume {self.path}, start it over with --overwrite"
            elif _is_run_config(self.path / CONFIG_NAME):
                what = f"holds a run that stopped before its first checkpoint ({CONFIG_NAME})"
                hint = (
                    f"start it over with --resume {self.path} (its own settings), or with "
                    "--overwrite (these settings)"
                )
            else:
                what = f"holds files with the names a run writes ({', '.join(present[:5])})"
                hint = "but no run, so --overwrite would not replace them: move them out"
            raise FileExistsError(f"--out {self.path} {what}: {hint}, or pick another --out")
        if replaced.exists() and not self.args.overwrite:
            raise FileExistsError(
                f"--out {self.path} holds a replaced run in {replaced}/ (an --overwrite that "
                "did not finish); move it out, or start over with --overwrite, which deletes it"
            )
        if replaced.exists():  # left by a run that did commit: no longer needed
            shutil.rmtree(replaced)
        if present:
            self._check_only_job_files(present)
            # the checkpoint first (the folder then reads as uncommitted), after the list
            # of what is moved, so that a kill midway is undone without losing a file
            present.sort(key=lambda n: n != common.CHECKPOINT_NAME)
            replaced.mkdir()
            self.moved_aside = True
            with open(replaced / MOVED_NAME, "w", encoding="utf-8") as f:
                f.write(json.dumps(present) + "\n")
                f.flush()
                os.fsync(f.fileno())
            common.fsync_dir(str(replaced))
            for name in present:
                os.replace(self.path / name, replaced / name)
            common.fsync_dir(str(self.path))
        self._write_config(vars(self.args))

    def _check_only_job_files(self, present: list[str]) -> None:
        """--overwrite replaces a run, never a user's files: the folder must hold a run (a
        checkpoint, a log or a run's config.json), and its samples/ and latent/ folders only
        the pictures the jobs name there. Anything else is refused by name, before a file
        is moved."""
        is_run = (
            self.checkpoint.exists()
            or (self.path / LOG_NAME).exists()
            or _is_run_config(self.path / CONFIG_NAME)
        )
        if not is_run:
            raise FileExistsError(
                f"--out {self.path} holds {', '.join(present[:5])} but no run (no checkpoint, "
                f"log or run {CONFIG_NAME}), so they were not written by a job and "
                "--overwrite does not replace them: move them out or pick another --out"
            )
        for folder, allowed in JOB_PICTURES.items():
            if not (self.path / folder).is_dir():
                continue
            for p in sorted((self.path / folder).rglob("*")):
                if p.is_file() and not allowed(p.name):
                    raise FileExistsError(
                        f"--out {self.path} --overwrite: {p} was not written by a job, and "
                        f"--overwrite would delete it with the old run's {folder}/: move it "
                        "out first"
                    )

    def _same_run_unsaved(self, present: list[str]) -> bool:
        """Whether the folder holds only what a run with these very settings wrote
        before its first checkpoint: its config.json and the job's pictures."""
        if not set(present) <= {CONFIG_NAME, *self.outputs} or CONFIG_NAME not in present:
            return False
        if self.checkpoint.exists() or (self.path / LOG_NAME).exists():
            return False
        if not _is_run_config(self.path / CONFIG_NAME):
            return False
        stored = read_config(self.path)
        mine = _plain(vars(self.args))
        return {k: v for k, v in stored.items() if k not in NOT_SETTINGS} == {
            k: v for k, v in mine.items() if k not in NOT_SETTINGS
        }

    def _resume(self) -> None:
        if not self.checkpoint.exists():  # killed before its first checkpoint: start over
            if (self.path / LOG_NAME).exists():
                raise FileNotFoundError(
                    f"--resume {self.path}: checkpoint not found, though its {LOG_NAME} is "
                    f"there; put {common.CHECKPOINT_NAME} back, or start over with --out "
                    f"{self.path} --overwrite"
                )
            note(
                f"{self.path}: no checkpoint was written before the run stopped; starting it "
                f"over with the settings of its {CONFIG_NAME}"
            )
            self.remove_samples_after(0)
            for name in ("samples.png", "losses.png"):
                _remove(self.path / name)
            self.pending_changes = bool(self.changes)
            self.restored()
            return
        self.saved = common.load_checkpoint(self.checkpoint)
        state = self.saved.get("state") if isinstance(self.saved, dict) else None
        if not isinstance(state, Mapping):
            raise ValueError(
                f"{self.checkpoint}: not the checkpoint of a training run (no 'state'); "
                "put the run's own back or start a new run with --out"
            )
        for key in ("step", "epoch"):
            if key not in state:
                raise ValueError(
                    f"{self.checkpoint}: the checkpoint's state has no {key!r}; not a complete "
                    "checkpoint (put the run's own back or start a new run with --out)"
                )
        bad = non_finite(state)
        if bad:
            raise ValueError(
                f"{self.checkpoint} is corrupt: {describe_non_finite(bad)} (a run never saves "
                "such a checkpoint); put a good copy back or start a new run with --out"
            )
        for key in ("step", "epoch", "batch"):  # the counters a resume continues from
            value = state.get(key, 0)
            held = np.asarray(value) if not isinstance(value, str | bytes) else None
            if held is None or held.ndim or held.dtype.kind not in "iu" or int(held) < 0:
                raise ValueError(
                    f"{self.checkpoint} is corrupt: its state's {key!r} is {value!r}, not a "
                    "count (a whole number >= 0); put a good copy back or start a new run "
                    "with --out"
                )
        self.last_good = int(state["step"])
        if "log" in self.saved:
            log = self.saved["log"]
            if not isinstance(log, list | tuple) or not all(isinstance(r, Mapping) for r in log):
                raise ValueError(
                    f"{self.checkpoint} is corrupt: its 'log' (the run's history) is "
                    f"{type(log).__name__} {log!r:.40}, not a list of records; put a good copy "
                    "back or start a new run with --out"
                )
            self.log = [dict(r) for r in log]
            self._check_history()
        elif (self.path / LOG_NAME).exists():  # a checkpoint older than the history inside
            epoch = int(state["epoch"])
            self.log = [
                r
                for r in common.read_jsonl(self.path / LOG_NAME)
                if isinstance(r.get("epoch"), int) and r["epoch"] <= epoch
            ]
        # a lost config.json is written again (from the checkpoint's settings) on restore
        self.pending_changes = bool(self.changes) or not (self.path / CONFIG_NAME).is_file()
        self._repair_log()

    def _check_history(self) -> None:
        """Refuse a checkpoint whose history (its 'log') holds a record without a whole
        'epoch' or 'step', or records out of order (epochs rising, steps never falling):
        metrics.jsonl is rewritten from it, so it would replace the run's good log. Said
        before anything is written."""
        last_epoch, last_step = 0, 0
        for i, record in enumerate(self.log, 1):
            for key in ("epoch", "step"):
                value = record.get(key)
                if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                    what = "has no" if key not in record else f"holds {value!r:.30} as its"
                    raise ValueError(
                        f"{self.checkpoint} is corrupt: record {i} of its 'log' (the run's "
                        f"history) {what} {key!r} (a whole number >= 0); put a good copy back "
                        "or start a new run with --out"
                    )
            if record["epoch"] <= last_epoch or record["step"] < last_step:
                raise ValueError(
                    f"{self.checkpoint} is corrupt: record {i} of its 'log' (the run's "
                    f"history) is out of order ('epoch' {record['epoch']}, 'step' "
                    f"{record['step']} after 'epoch' {last_epoch}, 'step' {last_step}); put a "
                    "good copy back or start a new run with --out"
                )
            last_epoch, last_step = record["epoch"], record["step"]

    def _repair_log(self) -> None:
        """Rewrite metrics.jsonl from the checkpoint's history, and say so where it held
        something else: a record short (a run killed between its two writes), lines that
        are not JSON, or edits (the rewrite was silent). Said once written: a write that
        fails is the job's error alone. `common.repair_log`, which train.sample/latent/
        evaluate run, rewrites it in the same cases."""
        path = self.path / LOG_NAME
        held = common.log_difference(path, self.log)
        said = held is not None and (self.log or path.is_file())
        self._write_log()
        if said:
            note(f"{path}: rewritten from the checkpoint's history ({held})")

    def restored(self) -> None:
        """Write the resume's allowed flag changes into config.json: called once the job
        has restored the checkpoint, so that a resume refused on the way (changed data, a
        broken checkpoint) leaves the run's settings as they were."""
        if not self.pending_changes:
            return
        config = read_config(self.path)
        config.setdefault("resume", None)  # as a new run writes it (the checkpoint's lacks it)
        for dest, (old, new) in self.changes.items():
            config[dest] = new
            name = dest.replace("_", "-")
            said = f"{name} {old} dropped" if new is None else f"{name} changed from {old} to {new}"
            note(f"{self.path}: {said}")
        self._write_config(config)
        self.pending_changes = False

    def remove_samples_after(self, epoch: int) -> None:
        """Delete samples/epoch_NNN.png grids of epochs past `epoch`: drawn by a run that
        died before it could checkpoint them, they are redrawn when the epoch is redone."""
        for p in (self.path / "samples").glob("epoch_*.png"):
            if p.stem[len("epoch_") :].isdigit() and int(p.stem[len("epoch_") :]) > epoch:
                p.unlink()

    def _write_config(self, config: Mapping[str, Any]) -> None:
        text = json.dumps(dict(config), indent=2, sort_keys=True, default=str) + "\n"
        with _disk_errors(self.path / CONFIG_NAME, self):
            with common.atomic_path(self.path / CONFIG_NAME) as tmp:
                tmp.write_text(text, encoding="utf-8")

    def _write_log(self) -> None:
        with _disk_errors(self.path / LOG_NAME, self):
            common.write_jsonl(self.path / LOG_NAME, self.log)

    def commit(self, state: Mapping[str, Any], record: Mapping[str, Any] | None = None) -> None:
        """Checkpoint `state` (and `record`, the epoch just finished, appended to the run's
        history) in one atomic write, then rewrite metrics.jsonl from that history. A state
        holding NaN or inf is refused with a FloatingPointError naming the tensors."""
        bad = non_finite(state)
        if bad:
            shown = describe_non_finite(bad)
            where = (
                f"the last good checkpoint is {self.checkpoint} (step {self.last_good})"
                if self.last_good is not None
                else "no checkpoint has been saved yet"
            )
            raise FloatingPointError(
                f"the training state went non-finite by step {state['step']}: {shown}; "
                f"not saved: {where}"
            )
        self.restored()  # a job that did not say so: its state is restored by now
        log = self.log + ([_plain_record(record)] if record is not None else [])
        args = {k: v for k, v in vars(self.args).items() if k != "resume"}
        with _disk_errors(self.checkpoint, self):
            common.save_checkpoint(self.checkpoint, {"args": args, "state": state, "log": log})
        previous, self.log, self.last_good = self.last_good, log, int(state["step"])
        if record is not None:  # at once: a kill between the two leaves the log one short,
            self._write_log()  # which the next reader of the run repairs (common.load_run)
        if previous is not None and int(state["step"]) != previous:
            _remove_stale_results(self.path, int(state["step"]))
        shutil.rmtree(self.path / REPLACED_NAME, ignore_errors=True)


def _remove_stale_results(run_dir: Path, step: int) -> None:
    """Remove the results that describe an older checkpoint than the one of `step` just
    committed: an eval.json recording another step (train.evaluate's "step" and
    "checkpoint", train.metric's "steps"), with train.metric's pictures drawn beside it.
    An eval.json that records neither is left alone: nothing says what it describes.
    train.latent's pictures in RUN/latent/ were drawn from a checkpoint committed before
    this one, so they go too (the folder's other files stay)."""
    latent = run_dir / "latent"
    drawn = (
        sorted(
            p.name for p in latent.glob("*.png") if JOB_PICTURES["latent"](p.name) and p.is_file()
        )
        if latent.is_dir() and not latent.is_symlink()
        else []
    )
    for name in drawn:
        _remove(latent / name)
    if drawn:
        note(
            f"{latent}: removed {', '.join(drawn)}: drawn from an older checkpoint than step "
            f"{step} (run train.latent again for this one)"
        )
    path = run_dir / "eval.json"
    try:
        result = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return
    if not isinstance(result, dict):
        return
    of = result.get("step", result.get("steps"))
    if of == step or (of is None and not isinstance(result.get("checkpoint"), dict)):
        return
    names = RESULTS if "steps" in result else ("eval.json",)
    for name in names:
        _remove(run_dir / name)
    note(f"{run_dir}: removed {', '.join(n for n in names)}: they described step {of}")


def _plain_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """`record` as plain JSON values (NumPy scalars and arrays to numbers and lists)."""
    return json.loads(json.dumps(dict(record), default=common.json_default))


class _disk_errors:
    """Turns an OSError while writing `path` (a full disk, a read-only folder) into a
    RuntimeError that names the file and says the previous checkpoint is intact."""

    def __init__(self, path: Path, folder: RunFolder) -> None:
        self.path, self.folder = path, folder

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        if not isinstance(exc, OSError):
            return
        if self.folder.last_good is None:
            kept = "no checkpoint had been saved yet"
        else:
            kept = (
                f"{self.folder.checkpoint} (step {self.folder.last_good}) is intact: "
                f"{remedy(exc)} and continue with --resume {self.folder.path}"
            )
        raise RuntimeError(f"cannot write {self.path}: {common.write_reason(exc)}; {kept}") from exc


def remedy(exc: OSError) -> str:
    """What the user does about a failed write before resuming: make room only where the
    disk is full."""
    if exc.errno == errno.ENOSPC:
        return "make room"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "make the folder writable"
    if exc.errno in (errno.EISDIR, errno.ENOTDIR, errno.EEXIST):
        return "move what is in the way"
    return "fix that"


class picture_errors:
    """An OSError while the pictures of the epoch `folder` has just committed are drawn (a
    full disk) as a RuntimeError naming the picture that failed and saying that the
    checkpoint is intact and that a bare --resume draws the pictures it owes."""

    def __init__(self, folder: Any) -> None:
        self.folder = folder

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        if not isinstance(exc, OSError):
            return
        path = exc.filename or "a picture of the epoch"
        folder = self.folder.path
        raise RuntimeError(
            f"cannot write {path}: {common.write_reason(exc)}; {common.checkpoint_path(folder)} "
            f"(step {getattr(self.folder, 'last_good', '?')}) is intact: {remedy(exc)} and run "
            f"--resume {folder}, which draws the pictures of its epoch"
        ) from exc


# ---------------------------------------------------------------------- the loop
class Job(Protocol):
    """What `fit` needs of a job's run: counters, a checkpointable state and its steps."""

    epoch: int
    batch: int
    step: int

    @property
    def batches_per_epoch(self) -> int: ...

    def finished(self) -> bool: ...

    def start_epoch_(self) -> None: ...

    def train_batch_(self) -> dict[str, float]: ...

    def end_epoch_(self, seconds: float) -> dict[str, Any]: ...

    def draw_epoch_(self) -> None: ...

    def state(self) -> dict[str, Any]: ...


def _epoch_pending(job: Job) -> bool:
    """Whether the job's epoch has run all its batches but is not yet closed: a run
    interrupted right after an epoch's last batch saves that state, and its resume owes
    the epoch's record (and pictures) even when that batch was the run's last --steps."""
    return 0 < job.batches_per_epoch <= job.batch


def fit(job: Job, folder: RunFolder, epochs: int | None = None) -> bool:
    """Train `job` until `job.finished()`, committing a checkpoint and a record per epoch
    (`job.end_epoch_` returns the record's fields after epoch and step, its scores
    included; `job.draw_epoch_` then draws the epoch's pictures, once the checkpoint has
    committed). Ctrl-C or SIGTERM saves a checkpoint and stops: returns False then, True
    when the run reached its end."""
    if job.finished() and not _epoch_pending(job) and not job.batch:
        if getattr(folder.args, "dry_run", False):  # a dry run is never extended
            hint = (
                "a --dry-run is one short epoch and is not extended; start the real run with "
                f"--out {folder.path} --overwrite (or another --out), without --dry-run"
            )
        else:
            hint = "a larger --epochs (--steps for a run of --steps) extends it"
        note(
            f"the run had already finished (epoch {job.epoch}, step {job.step}): nothing to "
            f"train; {hint}"
        )
        return True
    with common.GracefulInterrupt() as stop:
        while not job.finished() or _epoch_pending(job):
            job.start_epoch_()
            bpe = job.batches_per_epoch
            bar = tqdm(
                total=bpe,
                initial=job.batch,
                desc=f"epoch {job.epoch + 1}" + (f"/{epochs}" if epochs else ""),
                leave=False,
                disable=None,
                dynamic_ncols=True,
            )
            t0 = time.perf_counter()
            while job.batch < bpe and not job.finished():
                stats = job.train_batch_()
                bar.update(1)
                bar.set_postfix({k: f"{v:.3f}" for k, v in stats.items()}, refresh=False)
                if stop.requested:
                    bar.close()
                    with stop.hold():
                        folder.commit(job.state())
                    folder.interrupted_by = stop.signal_name
                    note(
                        f"\ninterrupted at epoch {job.epoch + 1}, batch {job.batch}; "
                        f"checkpoint saved: resume with --resume {folder.path}"
                    )
                    return False
            bar.close()
            if job.batch < bpe:
                break  # reached --steps inside the epoch
            job.epoch += 1
            record = {"epoch": job.epoch, "step": job.step}
            record.update(job.end_epoch_(time.perf_counter() - t0))
            with stop.hold():
                folder.commit(job.state(), record)
            with picture_errors(folder):
                job.draw_epoch_()
            shown = {
                k: (f"{v:.4g}" if isinstance(v, float) else v)
                for k, v in record.items()
                if not isinstance(v, list | dict)
            }
            tqdm.write(" ".join(f"{k}={v}" for k, v in shown.items()))
            if stop.requested:  # a signal while the epoch's record and pictures were made
                return _stopped(folder, stop, f"the end of epoch {job.epoch}")
        if job.batch:  # stopped by --steps mid-epoch
            with stop.hold():
                folder.commit(job.state())
            note(
                f"stopped by --steps at step {job.step}, batch {job.batch} of "
                f"{job.batches_per_epoch} in epoch {job.epoch + 1}: metrics.jsonl and the "
                f"pictures hold the {job.epoch} finished epoch(s) only (a record is written "
                "when an epoch ends); the checkpoint holds this step"
            )
        if stop.requested:  # during the last save: what follows the training is not run
            return _stopped(folder, stop, f"step {job.step}")
    return True


def _stopped(folder: RunFolder, stop: common.GracefulInterrupt, where: str) -> bool:
    """A signal that arrived after the checkpoint of `where` was made: that checkpoint
    stands, and the run stops as interrupted (exit status 130 or 143), so that a job
    does not go on to its final evaluation, nor a scheduler's SIGTERM go unanswered."""
    folder.interrupted_by = stop.signal_name
    note(f"\ninterrupted at {where}; checkpoint saved: resume with --resume {folder.path}")
    return False
