"""Round 4 of the hostile tests of the train/ jobs (tiny runs): a relative --data-dir is
recorded as an absolute path; a resume that changes --epochs trains on or is refused,
never a silent no-op; train.embed reads train.sample's output; the sample line names its
--png; --resume RUN/checkpoint.npz means RUN; a late SIGTERM is one line."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from tiny_runs import RING
from tiny_runs import random_digits as _digits

from train import common, embed, gan, metric, sample

DIGITS = ["--model", "mlp", "--hidden", "8", "--batch-size", "8", "--latent-components", "0"]
DIGITS += ["--eval-samples", "0", "--device", "cpu"]
METRIC = "--model siamese --split seen --train-classes 0-1 --channels 2 --embedding-dim 4"
METRIC = METRIC.split() + ["--batch-size", "32", "--device", "cpu"]
ROOT = Path(__file__).resolve().parents[2]


pytestmark = pytest.mark.usefixtures("quick_pictures")


def _config(run):
    return json.loads((Path(run) / "config.json").read_text())


def test_relative_data_dir_is_recorded_absolute(tmp_path, monkeypatch, capsys):
    """Item 4: a run started with a relative --data-dir resumes from another folder."""
    (tmp_path / "data").mkdir()
    _digits(tmp_path / "data" / "small.npz")
    monkeypatch.chdir(tmp_path)
    argv = DIGITS + ["--data-dir", "data/small.npz", "--steps", "1", "--out", "run"]
    assert gan.main(argv) == 0
    assert _config("run")["data_dir"] == str(tmp_path / "data" / "small.npz")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    assert gan.main(["--resume", "../run", "--steps", "2"]) == 0
    # an older run's relative path, read from another folder: the error says what it tried
    config = _config("../run")
    config["data_dir"] = "data/small.npz"
    (tmp_path / "run" / "config.json").write_text(json.dumps(config))
    capsys.readouterr()
    assert gan.main(["--resume", "../run", "--steps", "3"]) == 1
    err = capsys.readouterr().err
    assert "data/small.npz" in err and str(tmp_path / "elsewhere" / "data" / "small.npz") in err


def test_metric_longer_epochs_trains_on_past_steps(tmp_path, capsys):
    """Item 10: --epochs on a train.metric run stopped by --steps continues to the new
    end (the early stop dropped, recorded); the same --steps again is refused."""
    run = tmp_path / "m"
    assert metric.main(METRIC + ["--epochs", "1", "--steps", "2", "--out", str(run)]) == 0
    capsys.readouterr()
    assert metric.main(["--resume", str(run), "--epochs", "2", "--steps", "2"]) == 1
    assert "--steps N" in capsys.readouterr().err
    assert _config(run)["epochs"] == 1  # refused: nothing changed
    assert metric.main(["--resume", str(run), "--epochs", "2"]) == 0
    log = common.read_jsonl(run / "metrics.jsonl")
    assert [r["epoch"] for r in log] == [1, 2]
    assert (_config(run)["epochs"], _config(run)["steps"]) == (2, None)
    assert (run / "eval.json").is_file()


def test_gan_epochs_on_a_steps_run_is_refused(tmp_path, capsys):
    """Item 10: --steps is a train.gan run's length; a resume changing --epochs is refused
    naming --steps (larger or smaller), and changes nothing."""
    run = tmp_path / "ring"
    assert gan.main(RING + ["--steps", "2", "--out", str(run)]) == 0
    before = (run / "config.json").read_text()
    capsys.readouterr()
    assert gan.main(["--resume", str(run), "--epochs", "25"]) == 1
    assert "extend it with --steps N" in capsys.readouterr().err
    assert (run / "config.json").read_text() == before
    # the checkpoint's path means its folder (item 12)
    assert gan.main(["--resume", str(run / "checkpoint.npz"), "--steps", "3"]) == 0
    assert common.load_checkpoint(run)["state"]["step"] == 3


def test_embed_reads_sample_output_and_sample_names_png(tmp_path, capsys):
    """Item 12: train.embed takes train.sample's `samples` key; sample names its --png."""
    images = np.zeros((3, 28, 28), np.uint8)
    np.savez(tmp_path / "s.npz", samples=images)
    assert embed.read_images(tmp_path / "s.npz").shape == (3, 28, 28)
    run = tmp_path / "g"
    assert gan.main(DIGITS + ["--steps", "1", "--out", str(run)]) == 0
    capsys.readouterr()
    out, png = tmp_path / "x.npz", tmp_path / "x.png"
    assert sample.main([str(run), "--n", "4", "--out", str(out), "--png", str(png)]) == 0
    assert str(png) in capsys.readouterr().out


def test_late_sigterm_says_one_line():
    """Item 12: a SIGTERM after a job's main() has given the signals back is one line."""
    code = (
        "import os, signal; from train import run, common\n"
        "run.say_late_sigterm('train.gan')\n"
        "with common.signals_raise(): pass\n"
        "os.kill(os.getpid(), signal.SIGTERM)\n"
        "import time; time.sleep(5)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 143
    assert done.stderr.count("\n") == 1 and "train.gan: interrupted by SIGTERM" in done.stderr
