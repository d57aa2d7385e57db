"""Round 21 of the hostile tests of the train/ jobs (tiny runs): a checkpoint whose
train.metric epoch plan or history was damaged is refused by name (a TypeError traceback,
and a message naming no file, before); a resume that rewrites metrics.jsonl says so and
why; a refused setting says what the run runs with (a dropped --steps was reported as
"started without"); --train-classifier wants an .npz name."""

import json
import re

import numpy as np
import pytest
from tiny_runs import RING, edit_checkpoint

from train import common, evaluate, gan, metric

SIAMESE = ["--model", "siamese", "--train-classes", "0,1", "--batch-size", "8"]
SIAMESE += ["--channels", "2", "--embedding-dim", "2", "--device", "cpu"]


pytestmark = pytest.mark.usefixtures("quick_pictures")


@pytest.mark.parametrize(
    "plan, says",
    [
        (np.arange(5), r"its 'plan' is a int64 array of shape \(5,\)"),
        (np.zeros((2, 8, 3), np.float32), "float32 array"),
        ("index", "array of shape"),
    ],
)
def test_a_damaged_metric_plan_is_refused_by_name(tmp_path, capsys, plan, says):
    run = tmp_path / "m"
    assert metric.main(SIAMESE + ["--steps", "2", "--epochs", "1", "--out", str(run)]) == 0
    n = common.load_checkpoint(run)["state"]["plan"].shape

    def damage(saved):
        saved["state"]["plan"] = plan if not isinstance(plan, str) else np.array(["x"])

    edit_checkpoint(run, damage)
    capsys.readouterr()
    assert metric.main(["--resume", str(run), "--steps", "3"]) == 1
    err = capsys.readouterr().err
    assert f"{run / 'checkpoint.npz'} is corrupt: " in err and "Traceback" not in err
    assert re.search(says, err), err
    assert str(n) in err  # the shape this run's epochs hold


def test_a_metric_plan_with_indices_outside_the_data_is_refused(tmp_path, capsys):
    run = tmp_path / "m"
    assert metric.main(SIAMESE + ["--steps", "2", "--epochs", "1", "--out", str(run)]) == 0

    def damage(saved):
        saved["state"]["plan"] = saved["state"]["plan"] + 10**6

    edit_checkpoint(run, damage)
    capsys.readouterr()
    assert metric.main(["--resume", str(run), "--steps", "3"]) == 1
    assert "image indices outside 0.." in capsys.readouterr().err


def test_a_damaged_history_in_the_checkpoint_is_refused_by_name(tmp_path, capsys):
    run = tmp_path / "g"
    assert gan.main(RING + ["--steps", "4", "--out", str(run)]) == 0
    edit_checkpoint(run, lambda saved: saved.__setitem__("log", "x"))
    capsys.readouterr()
    assert gan.main(["--resume", str(run), "--steps", "6"]) == 1
    err = capsys.readouterr().err
    assert f"{run / 'checkpoint.npz'} is corrupt: its 'log'" in err, err


@pytest.mark.parametrize(
    "damage, says",
    [
        (lambda lines: lines[:-1], "it held 1 records, not the checkpoint's 2"),
        (lambda lines: [*lines, "not json"], "its last line was cut off or not JSON"),
        (lambda lines: [lines[1], lines[0]], "its 2 records differed from the checkpoint's"),
        (lambda lines: ["{", *lines], "it held lines that are not JSON records"),
        (None, "it was missing"),
    ],
)
def test_a_resume_that_rewrites_metrics_jsonl_says_so(tmp_path, capsys, damage, says):
    """The rewrite from the checkpoint's history was silent on --resume (train.sample
    said so)."""
    run = tmp_path / "g"
    assert gan.main(RING + ["--steps", "4", "--out", str(run)]) == 0
    log = run / "metrics.jsonl"
    lines = log.read_text().splitlines()
    assert len(lines) == 2
    if damage is None:
        log.unlink()
    else:
        log.write_text("\n".join(damage(lines)) + "\n")
    capsys.readouterr()
    assert gan.main(["--resume", str(run), "--steps", "6"]) == 0
    err = capsys.readouterr().err
    assert f"{log}: rewritten from the checkpoint's history ({says})" in err
    assert [json.loads(x)["epoch"] for x in log.read_text().splitlines()] == [1, 2, 3]
    capsys.readouterr()
    assert gan.main(["--resume", str(run), "--steps", "8"]) == 0  # intact: nothing said
    assert "rewritten" not in capsys.readouterr().err


def test_a_refusal_says_what_the_run_runs_with_after_a_setting_was_dropped(tmp_path, capsys):
    run = tmp_path / "m"
    assert metric.main(SIAMESE + ["--epochs", "1", "--steps", "2", "--out", str(run)]) == 0
    assert metric.main(["--resume", str(run), "--epochs", "2"]) == 0
    assert "steps 2 dropped" in capsys.readouterr().err
    assert metric.main(["--resume", str(run), "--steps", "1"]) == 1
    err = capsys.readouterr().err
    assert f"--steps 1: the run in {run} runs without --steps" in err
    assert "was started" not in err


def test_train_classifier_wants_an_npz_name(tmp_path, capsys):
    out = tmp_path / "weights.txt"
    assert evaluate.main(["--train-classifier", str(out)]) == 1
    err = capsys.readouterr().err
    assert "the file is written in the npz format; give a name ending in .npz" in err
    assert not out.exists()
