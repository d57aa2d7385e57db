"""A GAN run on digits with per-epoch evaluation resumes exactly. The evaluation loads the
digit classifier once per process, at the first epoch's end; building its members drew
initial weights from the global generator, so a resumed (or extended) process, which loads
it at a different moment of the run, shifted every later draw of training. The runs on the
toy datasets in test_crash_resume.py never load it, which is why they did not see this."""

import json
from pathlib import Path

import numpy as np
import pytest

import minigrad as mg
from train import classifier, common, gan


@pytest.fixture(autouse=True)
def quick_pictures(monkeypatch):
    def picture(path, *args, **kwargs):
        with common.atomic_path(path) as tmp:
            tmp.write_bytes(b"picture")

    for name in ("scatter_plot", "plot_curves", "write_image_grid"):
        monkeypatch.setattr(common, name, picture)


def test_loading_the_classifier_leaves_the_global_generator_alone():
    mg.manual_seed(0)
    want = mg.randn(3).numpy()
    mg.manual_seed(0)
    classifier.load_classifier()
    np.testing.assert_array_equal(mg.randn(3).numpy(), want)


def _weights(run):
    with np.load(run / "checkpoint.npz") as f:
        return {k: f[k] for k in f.files if not k.startswith("__")}


def test_extended_digit_run_with_evaluation_equals_an_uninterrupted_one(tmp_path):
    data = tmp_path / "digits.npz"
    bundled = Path(mg.data.__file__).parent / "data" / mg.data.BUNDLED_MNIST
    with np.load(bundled) as f:
        np.savez(data, images=f["images"][:48], labels=f["labels"][:48])
    args = f"--data-dir {data} --batch-size 16 --eval-samples 100 --device cpu".split()
    whole, parts = tmp_path / "whole", tmp_path / "parts"
    assert gan.main(args + ["--epochs", "3", "--out", str(whole)]) == 0
    assert gan.main(args + ["--epochs", "1", "--out", str(parts)]) == 0
    # a new process in the real case; here the classifier is cached, so drop the cache
    from train import evaluate

    evaluate._cache.clear()
    assert gan.main(["--resume", str(parts), "--epochs", "3"]) == 0
    a, b = _weights(whole), _weights(parts)
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)
    lines = [
        [
            {k: v for k, v in json.loads(r).items() if "seconds" not in k}
            for r in (run / "metrics.jsonl").read_text().splitlines()
        ]
        for run in (whole, parts)
    ]
    assert lines[0] == lines[1]
