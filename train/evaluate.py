"""Score GAN runs: python -m train.evaluate RUN_DIR [RUN_DIR ...] [--n N]

MNIST runs: the shipped digit classifier (train/classifier.py, 99.1% on held-out digits)
labels the samples. Per run: the digit histogram, digits covered (share >= 2%), the share
of confident samples (top probability >= 0.9), KL(histogram || uniform), and, from 1,000
samples on, the Frechet distance between the classifier's features (2 x 128-d) of the
samples and of the real training digits, printed beside its real-data floor (the same
distance for as many held-out real digits). A run trained on its own --data-dir is scored
only if the classifier finds those real images digits (80% of them confident; held-out
digits: 97.4%). 2-D runs: modes captured and the share of high-quality samples (within 3
std of a mode), the VEEGAN protocol. Each run's figures, with the latents' seed, the run's
settings and (for digits) the classifier version that scored them, go to
RUN_DIR/eval.json; stdout shows them per run and, for several runs that are seeds of one
recipe scored alike, their mean +- std (sample std); for other runs it says why not.
`--train-classifier PATH --seed 0` retrains the classifier into PATH instead.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

import minigrad as mg
from minigrad import jobs
from train import classifier, common
from train import run as scaffold
from train.classifier import predict
from train.generators import TOY, TOY_STD, load_generator, run_images, sample_generator
from train.metrics import (
    class_histogram,
    confident_share,
    frechet_distance_from_stats,
    kl_to_uniform,
    mode_coverage,
)

__all__ = ["get_classifier", "predict", "score_mnist_samples", "score_toy_samples", "main"]

JOB = "train.evaluate"
MAX_SAMPLES = 100_000
MIN_SAMPLES = 100  # the figures are shares of samples: fewer give coarse, noisy shares
# the Frechet distance of 2 x 128-d features: its estimate's bias (the real-data floor) is
# 2.23 at 1,000 samples, 17.9 at 100 and above the generators' own distances at 2, so it
# is reported from this many samples on
MIN_FD_SAMPLES = 1000
# a run trained on other data than digits (--data-dir) is scored only when the classifier
# finds its real images digits: at least this share of them confident (held-out digits:
# 97.4%; Fashion-MNIST or shapes: far below)
DIGIT_DATA_CONFIDENT = 0.8
COVERED_SHARE = 0.02  # a digit is covered when at least this share of samples shows it
CONFIDENT = 0.9  # a sample is confident when its top class probability is at least this
_cache: dict[str, Any] = {}


def get_classifier(device: str = "cpu") -> tuple[mg.nn.Module, float]:
    """The shipped classifier (its sha256 and version checked once per process) and its
    held-out accuracy."""
    if device not in _cache:
        model, info = classifier.load_classifier(device=device)
        _cache[device] = model, float(info["heldout_accuracy"])
        _cache["info"] = info
    return _cache[device]


def _info(device: str) -> dict[str, Any]:
    get_classifier(device)
    return _cache["info"]


def score_mnist_samples(
    samples: np.ndarray, device: str = "cpu", summary: bool = False
) -> dict[str, Any]:
    """Classifier-based figures of generated digits (N, 1, 28, 28) in [-1, 1]; `summary`
    leaves out the real-data floor and the classifier's accuracy (per-epoch logs)."""
    if len(samples) < 2:
        raise ValueError(f"need at least 2 samples to score, got {len(samples)}")
    model, acc = get_classifier(device)
    info = _info(device)
    probs, feats = predict(model, samples.astype(np.float32, copy=False), device)
    if not np.isfinite(probs).all():
        raise FloatingPointError("the classifier's probabilities of the samples are not finite")
    hist = class_histogram(probs.argmax(1), 10) / len(probs)
    mu, cov = info["real_mean"], info["real_cov"]
    out: dict[str, Any] = {
        "class_histogram": [round(float(h), 4) for h in hist],
        "digits_covered": int((hist >= COVERED_SHARE).sum()),
        "min_class_share": float(hist.min()),
        "confident_share": confident_share(probs, CONFIDENT),
        "mean_confidence": float(probs.max(1).mean()),
        "kl_to_uniform": kl_to_uniform(hist),
    }
    if len(samples) >= MIN_FD_SAMPLES:
        out["frechet_distance"] = _fd_to_real(mu, cov, feats)
    if not summary:
        if len(samples) >= MIN_FD_SAMPLES:
            # the held-out split is stored class by class: a fixed random subset keeps it
            # balanced
            held = info["heldout_features"]
            held = held[np.random.default_rng(0).permutation(len(held))[: len(samples)]]
            out["frechet_floor"] = _fd_to_real(mu, cov, held)
            out["frechet_floor_n"] = len(held)
        out["classifier_heldout_accuracy"] = acc
        out["classifier_version"] = classifier.VERSION  # which evaluator scored these
        out["n_samples"] = len(samples)
    return out


def real_data_confident_share(images: np.ndarray, device: str = "cpu") -> float:
    """The share of (up to 1,000 of) a run's real training images in [-1, 1] that the
    digit classifier labels with confidence: whether its data are digits it can judge."""
    model, _ = get_classifier(device)
    pick = np.random.default_rng(0).permutation(len(images))[:1000]
    probs, _ = predict(model, images[pick].astype(np.float32, copy=False), device)
    return confident_share(probs, CONFIDENT)


def _check_digit_data(run_dir: str, run_args: argparse.Namespace, device: str) -> float | None:
    """For a digits run trained on a user's --data-dir: refuse it (ValueError) when the
    classifier does not find those images digits (its figures would be meaningless);
    returns the confident share of the real images, or None for the bundled digits."""
    data = getattr(run_args, "data_dir", None)
    if not data:
        return None
    if not Path(data).exists():
        raise ValueError(
            f"{run_dir}: its training data --data-dir {data} is not there, so whether the "
            "digit classifier can judge its samples cannot be checked; put the data back "
            "(or resume the run once with --data-dir NEW, which records the new place)"
        )
    images, _ = run_images(run_args)  # the data the run trained on, not others
    share = real_data_confident_share(images, device)
    if share < DIGIT_DATA_CONFIDENT:
        raise ValueError(
            f"{run_dir}: it trained on --data-dir {data}, whose real images the digit "
            f"classifier finds digits with confidence in {share:.1%} of cases (held-out "
            f"digits: 97.4%; needed: {DIGIT_DATA_CONFIDENT:.0%}): its samples cannot be "
            "scored as digits; nothing scored"
        )
    return share


def _fd_to_real(mu: np.ndarray, cov: np.ndarray, feats: np.ndarray) -> float:
    f = feats.astype(np.float64)
    return frechet_distance_from_stats(mu, cov, f.mean(0), np.cov(f, rowvar=False))


def score_toy_samples(samples: np.ndarray, dataset: str) -> dict[str, Any]:
    cov = mode_coverage(samples, TOY[dataset][1](), TOY_STD)
    return {
        "modes_captured": int(cov["modes_captured"]),
        "modes_total": len(TOY[dataset][1]()),
        "high_quality_fraction": float(cov["high_quality_fraction"]),
        "n_samples": len(samples),
    }


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=jobs.prog("train.evaluate"), description=__doc__.split("\n")[0]
    )
    p.add_argument(
        "run_dir",
        type=common.path_arg,
        metavar="RUN_DIR",
        nargs="*",
        help="folders of train.gan runs",
    )
    p.add_argument(
        "--n",
        type=common.int_in(MIN_SAMPLES, MAX_SAMPLES),
        default=None,
        help="samples to score (default: 10000 for images, 2500 for 2-D data; the Frechet "
        f"distance needs {MIN_FD_SAMPLES} or more)",
    )
    p.add_argument(
        "--seed",
        type=common.SEED,
        default=None,
        help="latent seed (default: 123); with --train-classifier, the training seed (default: 0)",
    )
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.add_argument(
        "--train-classifier",
        metavar="PATH",
        default=None,
        help="train the digit classifier (minutes) and write its weights file to PATH, "
        "instead of scoring runs",
    )
    return p


def evaluate_runs(args: argparse.Namespace) -> list[tuple[str, dict[str, Any]]]:
    """Score every run as `args` say and write each RUN_DIR/eval.json; returns (run,
    figures) pairs. Every run is loaded and checked before any is scored."""
    device = common.resolve_device(args.device)
    loaded = []
    scored: dict[str, dict[str, Any]] = {}
    for run_dir in args.run_dir:
        scored[run_dir] = checkpoint_identity(run_dir)
        run_args, G = load_generator(run_dir, device)
        if run_args.dataset not in TOY and run_args.dataset != "mnist":
            raise ValueError(
                f"{run_dir}: no evaluation for --dataset {run_args.dataset} (only mnist, ring "
                "and grid runs are scored)"
            )
        _check_writable(Path(run_dir) / "eval.json")
        real_share = None
        if run_args.dataset == "mnist":
            real_share = _check_digit_data(run_dir, run_args, device)
        loaded.append((run_dir, run_args, G, real_share))
    kinds = {run_args.dataset for _, run_args, _, _ in loaded}
    if len(kinds) > 1:
        raise ValueError(
            "RUN_DIR: the runs are of different datasets ("
            + ", ".join(f"{r}: {a.dataset}" for r, a, _, _ in loaded)
            + "); give runs of one dataset to average them"
        )
    results = []
    seed = 123 if args.seed is None else args.seed
    for run_dir, run_args, G, real_share in loaded:
        toy = run_args.dataset in TOY
        n = args.n or (2500 if toy else 10000)
        samples = sample_generator(run_args, G, n, device, seed=seed)
        if toy:
            result = score_toy_samples(samples, run_args.dataset)
        elif samples.shape[1:] == (1, 28, 28):
            result = score_mnist_samples(samples, device)
        else:
            raise ValueError(f"{run_dir}: no evaluation for samples of shape {samples.shape[1:]}")
        meta = {
            "model": run_args.model,
            "loss": run_args.loss,
            "dataset": run_args.dataset,
            # the point of the run scored; a run that resumes and commits a newer
            # checkpoint removes this eval.json (train/run.py RESULTS)
            "step": run_args.checkpoint_step,
            "epoch": run_args.checkpoint_epoch,
            "eval_seed": seed,  # the latents' seed: the same command gives the same figures
            "settings": recipe(run_args),
        }
        if real_share is not None:
            meta["real_data_confident_share"] = real_share
        results.append((run_dir, {**meta, **result}))
    for run_dir, _ in results:  # a run that wrote a new checkpoint meanwhile
        if checkpoint_identity(run_dir) != scored[run_dir]:
            raise ValueError(
                f"{common.checkpoint_path(run_dir)} changed while it was scored (a run "
                "wrote a new one there); no eval.json written: score it again"
            )
    for run_dir, result in results:
        result["checkpoint"] = scored[run_dir]
        _write_json(Path(run_dir) / "eval.json", result)
    return results


# settings that do not make a run another recipe: seeds of one recipe differ only in these
NOT_RECIPE = (
    "seed",
    "out",
    "resume",
    "overwrite",
    "device",
    "data_dir",
    "checkpoint_step",
    "checkpoint_epoch",
    "dry_run",
    "eval_samples",  # the per-epoch scores' count: the weights are the same
)


def recipe(run_args: argparse.Namespace) -> dict[str, Any]:
    """The run's settings that define its recipe (JSON values), and its training seed."""
    settings = {
        k: v
        for k, v in sorted(vars(run_args).items())
        if k not in NOT_RECIPE and isinstance(v, str | int | float | bool | list | type(None))
    }
    return {**settings, "seed": getattr(run_args, "seed", None)}


def why_no_mean(results: list[tuple[str, dict[str, Any]]]) -> str | None:
    """Why the runs' figures are not averaged into a mean +- std, or None: they must be
    seeds of one recipe (settings alike but the seed), each seed once, scored at the same
    step with the same latents."""
    (first, r0), rest = results[0], results[1:]
    for run_dir, r in rest:
        a, b = r0.get("settings", {}), r.get("settings", {})
        differ = sorted(k for k in set(a) | set(b) if k != "seed" and a.get(k) != b.get(k))
        if differ:
            k = differ[0]
            more = f" (and {len(differ) - 1} more)" if len(differ) > 1 else ""
            return (
                f"{first} and {run_dir} are not seeds of one recipe: {k} is "
                f"{json.dumps(a.get(k))} and {json.dumps(b.get(k))}{more}"
            )
        for key in ("step", "n_samples", "eval_seed"):
            if r0.get(key) != r.get(key):
                return f"{first} and {run_dir} differ in {key}: {r0.get(key)} and {r.get(key)}"
    seeds = [r.get("settings", {}).get("seed") for _, r in results]
    if len(set(seeds)) < len(seeds):
        twice = sorted({s for s in seeds if seeds.count(s) > 1})
        return f"seed {twice[0]} is among the runs more than once (copies of one run)"
    return None


def checkpoint_identity(run_dir: str | Path) -> dict[str, Any]:
    """Which checkpoint file a score is of: its size and modification time (in ns),
    and its inode, which a new checkpoint (written aside, then renamed over) changes."""
    path = common.checkpoint_path(run_dir)
    try:
        st = os.stat(path)
    except OSError:
        return {}  # load_generator says so by name
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "inode": st.st_ino}


def _write_json(path: Path, obj: Any) -> None:
    with common.atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2) + "\n", encoding="utf-8")


def _check_writable(path: Path) -> None:
    """Refuse, before any scoring, an eval.json that could not be written afterwards: a
    folder in its place, or a run folder that takes no writes (read-only)."""
    if path.is_dir():
        raise ValueError(f"{path} is a folder: eval.json cannot be written there; nothing scored")
    if not os.access(path.parent, os.W_OK):
        raise ValueError(
            f"cannot write {path}: the run folder {path.parent} takes no writes (read-only); "
            "nothing scored"
        )


# the figures shown per run and averaged, in order, with their printed format
FIGURES = {
    "digits_covered": "{:.0f}",
    "min_class_share": "{:.3f}",
    "confident_share": "{:.3f}",
    "mean_confidence": "{:.3f}",
    "kl_to_uniform": "{:.4f}",
    "frechet_distance": "{:.2f}",
    "frechet_floor": "{:.2f}",
    "modes_captured": "{:.0f}",
    "high_quality_fraction": "{:.3f}",
}


def report(results: list[tuple[str, dict[str, Any]]]) -> str:
    """Each run's figures, then (for two or more runs) mean +- sample std of each."""
    lines = []
    for run_dir, r in results:
        seeds = f"training seed {r['settings']['seed']}, " if "settings" in r else ""
        lines.append(
            f"{run_dir} ({r['model']}, {r['loss']}, {r['dataset']}, {seeds}step {r['step']}; "
            f"n={r['n_samples']}, latent seed {r.get('eval_seed')})"
        )
        if "real_data_confident_share" in r:
            lines.append(
                f"  {'its own real images':<22} {r['real_data_confident_share']:.3f} "
                "confident (trained on --data-dir, checked to be digits)"
            )
        if "class_histogram" in r:
            hist = " ".join(f"{d}:{h:.3f}" for d, h in enumerate(r["class_histogram"]))
            lines.append(f"  class_histogram        {hist}")
        for key, fmt in FIGURES.items():
            if key in r:
                extra = ""
                if key == "frechet_floor":
                    extra = f"  (real held-out digits, n={r['frechet_floor_n']})"
                if key == "digits_covered":
                    extra = f"  (digits with {COVERED_SHARE:.0%} of the samples or more)"
                if key == "modes_captured":
                    extra = f" of {r['modes_total']}"
                lines.append(f"  {key:<22} {fmt.format(r[key])}{extra}")
        if "confident_share" in r and "frechet_distance" not in r:
            lines.append(
                f"  {'frechet_distance':<22} not computed: it needs at least {MIN_FD_SAMPLES} "
                f"samples (--n {MIN_FD_SAMPLES}), got {r['n_samples']}"
            )
        if "classifier_version" in r:
            acc = r["classifier_heldout_accuracy"]
            lines.append(
                f"  {'scored by':<22} digit classifier version {r['classifier_version']} "
                f"({acc:.4f} on held-out digits)"
            )
    why = why_no_mean(results) if len(results) >= 2 else None
    if why is not None:
        lines.append(f"no mean +- std: {why}")
    elif len(results) >= 2:
        seeds = ", ".join(str(r.get("settings", {}).get("seed")) for _, r in results)
        lines.append(f"mean +- std over {len(results)} runs (training seeds {seeds})")
        for key, fmt in FIGURES.items():
            if all(key in r for _, r in results):
                v = np.array([r[key] for _, r in results], dtype=np.float64)
                m, s = fmt.format(v.mean()), fmt.format(v.std(ddof=1))
                if key == "digits_covered":
                    m, s = f"{v.mean():.1f}", f"{v.std(ddof=1):.1f}"
                lines.append(f"  {key:<22} {m} +- {s}")
    return "\n".join(lines)


def _classifier_file(path: Path) -> bool:
    """Whether `path` holds digit-classifier weights (an earlier --train-classifier run's),
    the only existing file --train-classifier may replace."""
    if not path.is_file():
        return False
    try:
        saved = mg.load(path)
    except Exception:  # not a minigrad file at all: not ours
        return False
    return isinstance(saved, dict) and saved.get("format") == classifier.FORMAT


def train_classifier_to(args: argparse.Namespace) -> str:
    """Train the classifier as `args` say and write its weights file; returns a summary."""
    out = common.check_output(
        args.train_classifier, "--train-classifier", ours=_classifier_file, suffix=".npz"
    )
    if out.resolve() == Path(classifier.shipped_path()).resolve():
        raise ValueError(
            f"--train-classifier {out} is the shipped classifier, whose sha256 the evaluation "
            "checks; write the new weights to another file"
        )
    if args.run_dir:
        raise ValueError(
            f"--train-classifier trains the classifier and scores no runs; drop RUN_DIR "
            f"{' '.join(args.run_dir)} (or --train-classifier)"
        )
    if args.n is not None:
        raise ValueError(f"--n {args.n} has no use with --train-classifier")
    device = common.resolve_device(args.device)
    seed = 0 if args.seed is None else args.seed
    saved = classifier.train_classifier(
        seed=seed, device=device, log=lambda s: print(s, file=sys.stderr, flush=True)
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    mg.save(saved, out)
    return (
        f"wrote {out}: held-out accuracy {saved['heldout_accuracy']:.4f}, seed {seed}, "
        f"members (width, epochs) {saved['members']}, sha256 {classifier.sha256_of(out)}"
    )


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        with common.signals_raise():
            said = _main(args)
    except KeyboardInterrupt as exc:
        if args.train_classifier is not None:  # mg.save writes the weights file at the end
            said = f"--train-classifier {args.train_classifier} was not written"
        else:
            said = "each eval.json is written whole or not at all"
        return common.interrupted(JOB, exc, said)
    except common.TRAINING_ERRORS as exc:
        print(f"{JOB}: error: {common.error_message(exc)}", file=sys.stderr)
        return 1
    print(said)
    return 0


def _main(args: argparse.Namespace) -> str:
    """The job's work; returns what it prints (the report, or the classifier written)."""
    if args.train_classifier is not None:
        return train_classifier_to(args)
    if not args.run_dir:
        raise ValueError("give one or more RUN_DIR to score (or --train-classifier PATH)")
    given, args.run_dir = args.run_dir, [scaffold.open_run(r) for r in args.run_dir]
    seen: dict[Path, list[str]] = {}
    for r, name in zip(args.run_dir, given, strict=True):  # r1, ./r1/, its checkpoint: one run
        seen.setdefault(Path(r).resolve(), []).append(name)
    repeated = [names for names in seen.values() if len(names) > 1]
    if repeated:
        shown = "; ".join(
            names[0] + (f" (as {', '.join(names)})" if len(set(names)) > 1 else "")
            for names in repeated
        )
        raise ValueError(f"RUN_DIR {shown} given more than once: score each run once")
    return report(evaluate_runs(args))


if __name__ == "__main__":
    scaffold.run_as_program("train.evaluate", main)
