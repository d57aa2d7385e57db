"""Score a GAN run: python -m train.evaluate RUN_DIR [--n 5000]

MNIST models: a small CNN digit classifier, trained with minigrad on the bundled data once
and cached, labels the samples: the class histogram, how many digits are covered, the mean
confidence, and the Frechet distance between the classifier's penultimate features of real
and generated digits. 2-D models: modes captured and the share of high-quality samples
(within 3 std of a mode), the VEEGAN protocol. Results go to RUN_DIR/eval.json and stdout.
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
import minigrad.nn.functional as F
from minigrad import data as mgdata
from models.classifier import DigitClassifier
from train import common
from train.metrics import class_histogram, frechet_distance, mode_coverage

JOB = "train.evaluate"
CLASSIFIER_EPOCHS = 3
MAX_SAMPLES = 100_000
_cache: dict[str, Any] = {}


def cache_dir() -> Path:
    """$MINIGRAD_CACHE, else ~/.cache/minigrad."""
    return Path(os.environ.get("MINIGRAD_CACHE", Path.home() / ".cache" / "minigrad"))


def train_classifier(
    device: str = "cpu", epochs: int = CLASSIFIER_EPOCHS, seed: int = 0, quiet: bool = True
) -> tuple[DigitClassifier, float]:
    """Train the digit classifier on the bundled training split; returns it and its
    accuracy on the held-out split."""
    mg.manual_seed(seed)
    x_tr, y_tr = mgdata.load_mnist(split="train")
    x_te, y_te = mgdata.load_mnist(split="test")
    x_tr, x_te = mgdata.to_unit_range(x_tr), mgdata.to_unit_range(x_te)
    model = DigitClassifier().to(device)
    opt = mg.optim.Adam(model.parameters(), lr=1e-3)
    for epoch in range(epochs):
        for idx in mgdata.iterate_minibatches(len(x_tr), 64):
            x = mg.tensor(x_tr[idx], device=device)
            y = mg.tensor(y_tr[idx].astype(np.int64), device=device)
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        if not quiet:
            print(f"classifier epoch {epoch + 1}/{epochs}: loss {loss.item():.4f}", file=sys.stderr)
    model.eval()
    pred = predict(model, x_te, device)[0].argmax(1)
    return model, float((pred == y_te).mean())


@mg.no_grad()
def predict(
    model: DigitClassifier, images: np.ndarray, device: str, batch: int = 500
) -> tuple[np.ndarray, np.ndarray]:
    """(probabilities (N, 10), features (N, 128)) for images (N, 1, 28, 28) in [-1, 1]."""
    probs, feats = [], []
    for i in range(0, len(images), batch):
        x = mg.tensor(images[i : i + batch], device=device)
        f = model.features(x)
        probs.append(F.softmax(model.head(f), dim=1).numpy())
        feats.append(f.numpy())
    return np.concatenate(probs), np.concatenate(feats)


def get_classifier(device: str = "cpu") -> tuple[DigitClassifier, float]:
    """The cached classifier (trained and saved on first use) and its test accuracy."""
    if device in _cache:
        return _cache[device]
    path = cache_dir() / "digit_classifier.npz"
    model = DigitClassifier()
    if path.is_file():
        saved = mg.load(path)
        model.load_state_dict(saved["model"])
        acc = float(saved["accuracy"])
        model.to(device).eval()
    else:
        print(f"training the evaluation classifier once (cached at {path})", file=sys.stderr)
        model, acc = train_classifier(device, quiet=False)
        path.parent.mkdir(parents=True, exist_ok=True)
        mg.save({"model": model.state_dict(), "accuracy": acc}, path)
    _cache[device] = (model, acc)
    return model, acc


def real_features(device: str) -> np.ndarray:
    key = "real:" + device
    if key not in _cache:
        model, _ = get_classifier(device)
        images, _ = mgdata.load_mnist(split="all")
        _cache[key] = predict(model, mgdata.to_unit_range(images), device)[1]
    return _cache[key]


def score_mnist_samples(
    samples: np.ndarray, device: str = "cpu", summary: bool = False
) -> dict[str, Any]:
    """Classifier-based scores of generated digits (N, 1, 28, 28) in [-1, 1]."""
    model, acc = get_classifier(device)
    probs, feats = predict(model, samples.astype(np.float32), device)
    pred = probs.argmax(1)
    hist = class_histogram(pred, 10) / len(pred)
    out: dict[str, Any] = {
        "digits_covered": int((hist > 0.01).sum()),
        "min_class_share": float(hist.min()),
        "mean_confidence": float(probs.max(1).mean()),
        "frechet_distance": float(frechet_distance(real_features(device), feats)),
    }
    if not summary:
        out["class_histogram"] = [round(float(h), 4) for h in hist]
        out["classifier_test_accuracy"] = acc
        out["n_samples"] = len(samples)
    else:
        out["class_histogram"] = [round(float(h), 4) for h in hist]
    return out


def score_toy_samples(samples: np.ndarray, dataset: str) -> dict[str, Any]:
    from train.gan import TOY, TOY_STD

    cov = mode_coverage(samples, TOY[dataset][1](), TOY_STD)
    return {
        "modes_captured": int(cov["modes_captured"]),
        "modes_total": len(TOY[dataset][1]()),
        "high_quality_fraction": float(cov["high_quality_fraction"]),
        "n_samples": len(samples),
    }


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m train.evaluate", description=__doc__.split("\n")[0])
    p.add_argument("run_dir", metavar="RUN_DIR", help="folder of a train.gan run")
    p.add_argument(
        "--n",
        type=common.int_in(2, MAX_SAMPLES),
        default=None,
        help="samples to score (default: 10000 for images, 2500 for 2-D data)",
    )
    p.add_argument("--seed", type=common.SEED, default=123, help="latent seed (default: 123)")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    return p


def evaluate_run(args: argparse.Namespace) -> dict[str, Any]:
    """Score the run as `args` say and write RUN_DIR/eval.json; returns what it holds."""
    from train.gan import TOY, load_generator, sample_generator

    device = common.resolve_device(args.device)
    run_args, G = load_generator(args.run_dir, device)
    toy = run_args.dataset in TOY
    if not toy and run_args.dataset != "mnist":
        raise ValueError(
            f"{args.run_dir}: no evaluation for --dataset {run_args.dataset} (only mnist, "
            "ring and grid runs are scored)"
        )
    n = args.n or (2500 if toy else 10000)
    samples = sample_generator(run_args, G, n, device, seed=args.seed)
    if toy:
        result = score_toy_samples(samples, run_args.dataset)
    elif samples.shape[1:] == (1, 28, 28):
        result = score_mnist_samples(samples, device)
    else:
        raise ValueError(f"{args.run_dir}: no evaluation for samples of shape {samples.shape[1:]}")
    result = {"model": run_args.model, "loss": run_args.loss, "dataset": run_args.dataset, **result}
    path = Path(args.run_dir) / "eval.json"
    tmp = path.with_name(f".eval.json.tmp-{os.getpid()}")
    try:
        tmp.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return result


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        result = evaluate_run(args)
    except common.TRAINING_ERRORS as exc:
        print(f"{JOB}: error: {common.error_message(exc)}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
