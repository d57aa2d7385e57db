"""Explore a trained image GAN's latent space: python -m train.latent RUN_DIR [--out DIR]

Writes, as PNGs in DIR (default RUN_DIR/latent):
- interp_linear.png / interp_slerp.png: rows of images decoded along straight lines and
  great circles between random latent points;
- arithmetic.png: latent vector arithmetic as in the DCGAN paper: the mean z of three
  samples of each of three groups, A - B + C, decoded with small perturbations. The groups
  are picked with the evaluation classifier and the amount of ink: A = bold digits of
  --from-digit, B = thin ones of the same digit, C = thin digits of --to-digit, so
  A - B + C should be a bold --to-digit;
- nearest.png: generated samples (first column) next to their nearest training images by
  pixel L2 distance, which shows whether the model copies its data.

For a 2-D mixture run (ring, grid) it writes latent_map.png instead: the plane of the
first two latent coordinates (the others 0), each point coloured by the mode its sample
lands on, white where the sample is not within 3 std of any mode. It shows how the
generator cuts its Gaussian latent into one region per mode, and where it folds.
"""

from __future__ import annotations

import argparse
import errno
import functools
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from minigrad import data as mgdata
from minigrad import jobs
from train import common
from train import run as scaffold
from train.evaluate import checkpoint_identity, get_classifier, predict
from train.generators import TOY, TOY_STD, load_generator, run_images, sample_generator
from train.metrics import assign_modes

JOB = "train.latent"
MAX_GRID = 64  # rows and images per row of the interpolation pictures


def slerp(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Spherical interpolation between rows a (N, D) and b (N, D) at fractions t (T,):
    (N, T, D). Falls back to linear for (nearly) parallel vectors."""
    an = a / np.linalg.norm(a, axis=1, keepdims=True)
    bn = b / np.linalg.norm(b, axis=1, keepdims=True)
    omega = np.arccos(np.clip((an * bn).sum(1), -1, 1))[:, None, None]
    so = np.sin(omega)
    t = t[None, :, None]
    lin = (1 - t) * a[:, None] + t * b[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        sph = (np.sin((1 - t) * omega) / so) * a[:, None] + (np.sin(t * omega) / so) * b[:, None]
    return np.where(so > 1e-6, sph, lin)


def lerp(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    t = t[None, :, None]
    return (1 - t) * a[:, None] + t * b[:, None]


def nearest_training(samples: np.ndarray, train: np.ndarray, k: int) -> np.ndarray:
    """Indices (N, k) of the k nearest training images to each sample, pixel L2."""
    s = samples.reshape(len(samples), -1).astype(np.float32)
    t = train.reshape(len(train), -1).astype(np.float32)
    d = (s * s).sum(1)[:, None] - 2 * s @ t.T + (t * t).sum(1)[None]
    return np.argsort(d, axis=1)[:, :k]


def latent_mode_map(
    decode: Callable[[np.ndarray], np.ndarray],
    centres: np.ndarray,
    std: float,
    nz: int,
    size: int = 256,
    extent: float = 3.0,
) -> np.ndarray:
    """Mode index (size, size) of the sample decoded from each point of a size x size grid
    over [-extent, extent]^2 in the first two latent coordinates (the others 0); row i has
    z[1] = the i-th grid value from the bottom. -1 where the sample is further than 3 `std`
    from its nearest centre (not high quality, as in train.metrics.mode_coverage)."""
    t = np.linspace(-extent, extent, size)
    z = np.zeros((size * size, nz))
    z[:, 0] = np.tile(t, size)
    z[:, 1] = np.repeat(t, size)
    return assign_modes(decode(z), centres, std).reshape(size, size)


def _point(c: np.ndarray) -> str:
    """(x, y), a rounding residue shown as 0 (the ring's mode at (-2, 2.4e-16): cos(pi))."""
    x, y = (0.0 if abs(v) < 1e-9 * max(1.0, float(np.abs(c).max())) else float(v) for v in c[:2])
    return f"({x:g}, {y:g})"


def latent_mass(modes: np.ndarray, extent: float, n_modes: int) -> np.ndarray:
    """Share (n_modes,) of the standard normal's mass over the plane of a
    `latent_mode_map` grid that lands on each mode: the fraction of latent draws (first
    two coordinates within the square) whose samples are high quality at that mode."""
    t = np.linspace(-extent, extent, modes.shape[0])
    density = np.exp(-0.5 * (t[None, :] ** 2 + t[:, None] ** 2))
    density /= density.sum()
    good = modes >= 0
    return np.bincount(modes[good], weights=density[good], minlength=n_modes)


def _check_out_folder(
    out: Path, run_dir: Path, names: list[str], run_args: argparse.Namespace
) -> None:
    """Refuse an --out folder that is a run folder, lies inside another run's folder (or
    in a folder a job writes in this run's), or inside the run's training data; and one
    already holding a file of these `names` that no job wrote (earlier pictures of the
    jobs are replaced)."""
    target = out.resolve()
    if common._is_run_folder(target):
        raise ValueError(
            f"--out {out} is a run folder; its pictures would mix with that run's files: give "
            f"a folder of their own (default: {run_dir / 'latent'})"
        )
    own = (run_dir / "latent").resolve()
    found = common.run_folder_of(target / "_")
    if found is not None and target != own:
        folder, rel = found
        if folder != run_dir.resolve():
            raise ValueError(
                f"--out {out} is inside the run folder {folder}; the pictures would mix with "
                "that run's files: give a folder outside it"
            )
        if common._job_output(rel):
            raise ValueError(
                f"--out {out} is a folder a job writes in the run {run_dir} "
                f"({rel.parts[0]}); give another folder (default: {run_dir / 'latent'})"
            )
    data = getattr(run_args, "data_dir", None)
    if isinstance(data, str) and data.strip() and Path(data).expanduser().is_dir():
        src = Path(data).expanduser().resolve()
        if target == src or src in target.parents:
            raise ValueError(
                f"--out {out} is inside the training data of the run (--data-dir {data}); "
                "give another folder"
            )
    held = [n for n in names if (out / n).exists() and not common.png_of_a_job(out / n)]
    held = [] if target == own else held  # the run's own latent/: this job's pictures
    if held:
        raise ValueError(
            f"--out {out} already holds {', '.join(held)}, not pictures of this job; writing "
            "there would replace them: move them first, or give another folder"
        )


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=jobs.prog("train.latent"), description=__doc__.split("\n")[0])
    p.add_argument(
        "run_dir", type=common.path_arg, metavar="RUN_DIR", help="folder of a train.gan run"
    )
    p.add_argument(
        "--out", type=common.path_arg, default=None, metavar="DIR", help="default: RUN_DIR/latent"
    )
    p.add_argument(
        "--rows",
        type=common.int_in(1, MAX_GRID),
        default=None,
        help="interpolation rows; image runs (default: 8)",
    )
    p.add_argument(
        "--steps",
        type=common.int_in(2, MAX_GRID),
        default=None,
        help="images per row; image runs (default: 10)",
    )
    p.add_argument(
        "--from-digit",
        type=common.int_in(0, 9),
        default=None,
        help="arithmetic's A and B digit; unconditional digit runs (default: 1)",
    )
    p.add_argument(
        "--to-digit",
        type=common.int_in(0, 9),
        default=None,
        help="arithmetic's C digit; unconditional digit runs (default: 7)",
    )

    p.add_argument("--seed", type=common.SEED, default=0, help="latent seed (default: 0)")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    written: list[Path] = []
    try:
        with common.signals_raise():
            print(explore(args, written))
    except KeyboardInterrupt as exc:
        if written:
            said = f"all of its pictures were written ({', '.join(map(str, written))})"
        else:
            said = "no picture was written: the pictures of --out are those it held before"
        return common.interrupted(JOB, exc, said)
    except common.TRAINING_ERRORS as exc:
        print(f"{JOB}: error: {common.error_message(exc)}", file=sys.stderr)
        return 1
    return 0


# every picture of the job: a call removes those of an earlier call that it did not draw
PICTURES = ("latent_map.png", "interp_linear.png", "interp_slerp.png", "arithmetic.png")
PICTURES += ("nearest.png",)


def explore(args: argparse.Namespace, written: list[Path] | None = None) -> str:
    """Write the pictures `args` ask for; returns what was written, in words. They are
    drawn first and written once the run's checkpoint is found unchanged (a live run may
    commit a newer one meanwhile: then none is left, as train.evaluate does for eval.json),
    all of them or none (`_write_pictures`); `written` receives their paths once they are
    in place."""
    args.run_dir = scaffold.open_run(args.run_dir)
    out = Path(args.out or Path(args.run_dir) / "latent")
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out} is a file; give a folder for the pictures")
    device = common.resolve_device(args.device)
    drawn_from = checkpoint_identity(args.run_dir)  # before the weights are read
    run_args, G = load_generator(args.run_dir, device)
    if isinstance(getattr(run_args, "data_dir", None), str) and run_args.data_dir.strip():
        # read for the nearest neighbours of digit runs; a guard for the output elsewhere
        where = f"the settings inside {common.checkpoint_path(args.run_dir)}"
        mnist = run_args.dataset == "mnist"
        run_args.data_dir = scaffold.absolute_data(run_args.data_dir, where if mnist else None)
    train_imgs = None
    if run_args.dataset == "mnist":  # before any picture: nearest.png reads the data
        # the images the run trained on, read as train.gan read them (the whole of an
        # images/labels npz, a --dry-run's cut), checked against the checkpoint's sha256
        train_imgs = mgdata.to_uint8(run_images(run_args)[0])
    toy = run_args.dataset in TOY
    arithmetic = run_args.dataset == "mnist" and run_args.model != "cgan"
    for dest, default in (("rows", 8), ("steps", 10), ("from_digit", 1), ("to_digit", 7)):
        value = getattr(args, dest)
        if value is not None and (toy or (dest.endswith("digit") and not arithmetic)):
            what = (
                f"the 2-D run {args.run_dir} (--dataset {run_args.dataset}) gets latent_map.png "
                "only"
                if toy
                else f"the vector arithmetic is drawn for unconditional digit runs only, and "
                f"{args.run_dir} is --model {run_args.model} --dataset {run_args.dataset}"
            )
            raise ValueError(f"--{dest.replace('_', '-')} {value} has no use: {what}; drop it")
        if value is None:
            setattr(args, dest, default)
    names = ["latent_map.png"] if toy else ["interp_linear.png", "interp_slerp.png"]
    names += ["arithmetic.png"] * arithmetic + ["nearest.png"] * (run_args.dataset == "mnist")
    _check_out_folder(out, Path(args.run_dir), names, run_args)
    with _Staging(out, args.out is None) as staging:
        pictures, lines = _draw(args, run_args, G, device, train_imgs, out)
        said = _write_pictures(args.run_dir, staging, pictures, drawn_from, written)
    return "\n".join([*lines, *said])


def _draw(
    args: argparse.Namespace,
    run_args: argparse.Namespace,
    G: Any,
    device: str,
    train_imgs: np.ndarray | None,
    out: Path,
) -> tuple[dict[str, Callable[[Path], Any]], list[str]]:
    """The pictures of the run ({name: its writer, drawn already}) and the lines that
    say what they show."""
    pictures: dict[str, Callable[[Path], Any]] = {}
    if run_args.dataset in TOY:
        _, centres_of = TOY[run_args.dataset]
        centres = centres_of()
        extent = 3.0  # the latent square [-3, 3]^2 holds 99.5% of the normal's mass
        modes = latent_mode_map(
            lambda z: sample_generator(run_args, G, len(z), device, z=z, batch=4096),
            centres,
            TOY_STD,
            run_args.nz,
            extent=extent,
        )
        share = latent_mass(modes, extent, len(centres))
        k = int(share.argmin())
        title = (
            f"{run_args.dataset}: {int((share > 0).sum())}/{len(centres)} modes; "
            f"least latent mass {share[k]:.2%}, mode at {_point(centres[k])}"
        )
        pictures["latent_map.png"] = functools.partial(
            common.latent_map_plot, modes=modes, extent=extent, n_modes=len(centres), title=title
        )
        lines = [
            f"mode at {_point(centres[i])}: {share[i]:.2%} of the latent mass"
            for i in np.argsort(share)[:5]
        ]
        return pictures, [*lines, f"wrote {out / 'latent_map.png'}"]
    rng = np.random.default_rng(args.seed)
    nz = run_args.nz
    cond = run_args.model == "cgan"

    def decode(z: np.ndarray, labels: np.ndarray | None = None) -> np.ndarray:
        return sample_generator(run_args, G, len(z), device, z=z, labels=labels)

    def grid(images: np.ndarray, nrow: int) -> Callable[[Path], Any]:
        return functools.partial(common.write_image_grid, images=images, nrow=nrow)

    # interpolations
    a, b = rng.standard_normal((args.rows, nz)), rng.standard_normal((args.rows, nz))
    t = np.linspace(0, 1, args.steps)
    row_labels = np.repeat(np.arange(args.rows) % 10, args.steps) if cond else None
    for name, fn in (("linear", lerp), ("slerp", slerp)):
        z = fn(a, b, t).reshape(-1, nz)
        pictures[f"interp_{name}.png"] = grid(decode(z, row_labels), args.steps)

    # vector arithmetic on groups chosen by class and ink
    if run_args.dataset == "mnist" and not cond:
        clf, _ = get_classifier(device)
        pool = rng.standard_normal((4000, nz))
        imgs = decode(pool)
        probs, _ = predict(clf, imgs, device)
        cls, conf = probs.argmax(1), probs.max(1)
        ink = (imgs > 0).mean(axis=(1, 2, 3))

        def pick(digit: int, bold: bool) -> np.ndarray:
            idx = np.flatnonzero((cls == digit) & (conf > 0.9))
            if len(idx) < 6:
                raise ValueError(f"too few confident samples of digit {digit} for arithmetic")
            order = idx[np.argsort(ink[idx])]
            return order[-3:] if bold else order[:3]

        try:
            ga, gb, gc = (
                pick(args.from_digit, True),
                pick(args.from_digit, False),
                pick(args.to_digit, False),
            )
            za, zb, zc = (pool[g].mean(0) for g in (ga, gb, gc))
            zr = za - zb + zc
            variants = zr[None] + 0.25 * rng.standard_normal((8, nz))
            # rows: A's three + mean, B's, C's, then the result and 7 perturbed versions
            rows = [
                np.concatenate([imgs[g], decode(zm[None]), np.full((4,) + imgs.shape[1:], -1.0)])
                for g, zm in ((ga, za), (gb, zb), (gc, zc))
            ]
            rows.append(decode(np.concatenate([zr[None], variants[:7]])))
            pictures["arithmetic.png"] = grid(np.concatenate(rows), 8)
        except ValueError as exc:
            print(f"skipping vector arithmetic: {exc}", file=sys.stderr)

    # nearest training neighbours
    if train_imgs is not None:
        samples = mgdata.to_uint8(
            decode(rng.standard_normal((8, nz)), np.arange(8) % 10 if cond else None)
        )
        nn_idx = nearest_training(samples, train_imgs, 7)
        rows = np.concatenate(
            [np.concatenate([s[None], train_imgs[i]]) for s, i in zip(samples, nn_idx, strict=True)]
        )
        pictures["nearest.png"] = grid(rows, 8)
    return pictures, ["wrote " + ", ".join(str(out / n) for n in pictures)]


STAGING = ".latent.tmp-"  # + the pid: the folder inside --out where a call writes first


class _Staging:
    """A call's own folder inside `out` (`out/.latent.tmp-PID/`), where every picture is
    written before any replaces one in `out`: made (with `out` and its missing parents)
    before the pictures are drawn, so that a folder that takes no writes is said first,
    naming --out; removed at the end, with the folders this call made and left empty
    (`out` and its parents, after a Ctrl-C or an error: a call that wrote nothing leaves
    nothing behind). Staging folders of calls that died (killed) are removed first."""

    def __init__(self, out: Path, default: bool) -> None:
        self.out, self.default = out, default
        self.path = out / f"{STAGING}{os.getpid()}"
        self.made: list[Path] = []  # the folders this call makes, `out` first

    def __enter__(self) -> _Staging:
        self.made = _missing_folders(self.out)
        try:
            self.out.mkdir(parents=True, exist_ok=True)
            self._remove_dead()
            self.path.mkdir()
        except OSError as exc:
            self._clean()
            which = f"--out {self.out}" + (" (the default, RUN_DIR/latent)" if self.default else "")
            raise RuntimeError(
                f"{which}: cannot write the pictures there ({common.write_reason(exc)}); "
                + ("make room" if exc.errno == errno.ENOSPC else "give a writable --out DIR")
            ) from None
        return self

    def __exit__(self, *exc: Any) -> None:
        self._clean()

    def _clean(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
        for folder in self.made:  # the deepest first; only those left empty
            try:
                folder.rmdir()
            except OSError:
                break  # holds the pictures (or another's files), and so do its parents

    def _remove_dead(self) -> None:
        for old in self.out.glob(f"{STAGING}*"):
            pid = old.name[len(STAGING) :]
            if pid.isdigit() and old.is_dir() and not _alive(int(pid)):
                shutil.rmtree(old, ignore_errors=True)


def _missing_folders(out: Path) -> list[Path]:
    """`out` and those of its parents that do not exist yet (all that `mkdir(parents=True)`
    makes), the deepest first; none where `out` exists (or a link stands in its way)."""
    missing = []
    for folder in (out, *out.parents):
        if folder.exists() or folder.is_symlink():
            break
        missing.append(folder)
    return missing


def _alive(pid: int) -> bool:
    """Whether the process `pid` exists (another call's staging folder is then its own)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process
        return True
    return True


def _write_pictures(
    run_dir: str,
    staging: _Staging,
    pictures: dict[str, Callable[[Path], Any]],
    drawn_from: dict,
    written: list[Path] | None = None,
) -> list[str]:
    """Write the drawn `pictures` into `staging.out` if the run's checkpoint is still the
    one they were drawn from, and check it again after: a checkpoint that changed
    meanwhile leaves none of them (a ValueError says so). All of them are written into
    the staging folder first and then moved into place together, with the removal of the
    pictures of an earlier call that this one did not draw (an arithmetic.png this call
    skipped), a signal held back meanwhile: so that a full disk or Ctrl-C leaves the
    folder with the earlier call's pictures, and a finished call with its own, never a
    mix. Returns the lines that say what was removed; `written` receives the paths."""
    out = staging.out

    def changed(left: str) -> ValueError | None:
        if checkpoint_identity(run_dir) == drawn_from:
            return None
        return ValueError(
            f"{common.checkpoint_path(run_dir)} changed while its pictures were drawn (a run "
            f"wrote a new one there); {left}: run train.latent again"
        )

    refused = changed("no picture written")
    if refused is not None:
        raise refused
    for name, write in pictures.items():
        try:
            write(staging.path / name)
        except OSError as exc:  # named as the picture, not the staging file
            raise OSError(
                exc.errno,
                f"cannot write it: {common.write_reason(exc)}; no picture in {out} was "
                "replaced (it holds the pictures it held before)",
                str(out / name),
            ) from exc
    refused = changed("the pictures drawn from the older one were removed, unused")
    if refused is not None:
        raise refused
    earlier = [n for n in PICTURES if n not in pictures and common.png_of_a_job(out / n)]
    with common.GracefulInterrupt() as stop, stop.hold():  # renames: no disk space needed
        for name in pictures:
            os.replace(staging.path / name, out / name)
        for name in earlier:
            (out / name).unlink(missing_ok=True)
        if written is not None:
            written.extend(out / name for name in pictures)
    common.fsync_dir(str(out))
    common.raise_held(stop)
    refused = changed("the pictures drawn from the older one were removed")
    if refused is not None:
        for name in pictures:
            (out / name).unlink(missing_ok=True)
        raise refused
    if not earlier:
        return []
    return [f"removed {', '.join(earlier)} in {out}: an earlier call's, not drawn by this one"]


if __name__ == "__main__":
    scaffold.run_as_program("train.latent", main)
