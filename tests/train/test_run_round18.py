"""What train.evaluate reports and refuses, the end of a run's last epoch, and a resume with
its data moved: each case a run of a few steps."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

import minigrad as mg
from train import common, evaluate, gan

TINY = ["--model", "mlp", "--hidden", "16", "--batch-size", "16", "--steps", "2"]
TINY += ["--eval-samples", "0", "--device", "cpu"]


@pytest.fixture
def quick_pictures(monkeypatch):
    monkeypatch.setattr(common, "plot_curves", lambda *a, **k: None)
    monkeypatch.setattr(common, "write_image_grid", lambda *a, **k: None)


def _rectangles(path: Path) -> Path:
    """400 28x28 images of filled rectangles, ten shapes labelled 0-9: no digits."""
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(10), 40)
    x = np.zeros((len(y), 28, 28), np.uint8)
    for i, c in enumerate(y):
        h, w = 6 + c, 20 - c
        t, left = (28 - h) // 2, (28 - w) // 2
        x[i, t : t + h, left : left + w] = rng.integers(120, 255)
    np.savez(path, images=x, labels=y.astype(np.uint8))
    return path


def _digits(path: Path, start: int = 0) -> Path:
    """400 of the bundled digits, from `start` on."""
    bundled = Path(mg.data.__file__).parent / "data" / mg.data.BUNDLED_MNIST
    with np.load(bundled) as f:
        part = slice(start, start + 400)
        np.savez(path, images=f["images"][part], labels=f["labels"][part])
    return path


# ---------------------------------------------------------------------- data it cannot judge
def test_a_run_on_images_that_are_not_digits_is_not_scored(tmp_path, capsys, quick_pictures):
    data = _rectangles(tmp_path / "shapes.npz")
    run = tmp_path / "run"
    argv = ["--model", "mlp", "--hidden", "16", "--batch-size", "100", "--epochs", "1"]
    argv += ["--data-dir", str(data), "--eval-samples", "100", "--device", "cpu"]
    assert gan.main(argv + ["--out", str(run)]) == 0
    err = capsys.readouterr().err
    assert "the per-epoch digit scores are left out" in err
    record = common.read_jsonl(run / "metrics.jsonl")[-1]
    assert "digits_covered" not in record and "confident_share" not in record
    assert evaluate.main([str(run), "--n", "100", "--device", "cpu"]) == 1
    err = capsys.readouterr().err
    assert f"it trained on --data-dir {data}" in err and "cannot be scored as digits" in err
    assert not (run / "eval.json").exists()


def test_a_run_on_digits_of_its_own_is_scored_and_says_so(tmp_path, capsys, quick_pictures):
    data = _digits(tmp_path / "digits.npz")
    run = tmp_path / "run"
    assert gan.main(TINY + ["--data-dir", str(data), "--out", str(run)]) == 0
    capsys.readouterr()
    assert evaluate.main([str(run), "--n", "100", "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert "its own real images" in out and "checked to be digits" in out
    result = json.loads((run / "eval.json").read_text())
    assert result["real_data_confident_share"] >= evaluate.DIGIT_DATA_CONFIDENT


# ---------------------------------------------------------------------- sample counts
@pytest.mark.parametrize("n", ["2", "50", "99"])
def test_fewer_than_100_samples_are_refused(tmp_path, capsys, n):
    with pytest.raises(SystemExit) as exc:
        evaluate.main([str(tmp_path), "--n", n])
    assert exc.value.code == 2
    assert f"an integer from 100 to 100000, got {n}" in capsys.readouterr().err


def test_the_frechet_distance_needs_1000_samples(tmp_path, capsys, quick_pictures):
    run = tmp_path / "run"
    assert gan.main(TINY + ["--out", str(run)]) == 0
    capsys.readouterr()
    assert evaluate.main([str(run), "--n", "999", "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert "frechet_distance       not computed: it needs at least 1000 samples" in out
    result = json.loads((run / "eval.json").read_text())
    assert "frechet_distance" not in result and "frechet_floor" not in result
    assert result["n_samples"] == 999 and "confident_share" in result
    assert evaluate.main([str(run), "--n", "1000", "--device", "cpu"]) == 0
    result = json.loads((run / "eval.json").read_text())
    assert result["frechet_floor_n"] == 1000 and result["frechet_distance"] > 0


# ---------------------------------------------------------------------- means
def _runs(tmp_path, *variants):
    runs = []
    for i, extra in enumerate(variants):
        run = tmp_path / f"r{i}"
        assert gan.main(TINY + extra + ["--out", str(run)]) == 0
        runs.append(run)
    return runs


def test_the_mean_needs_seeds_of_one_recipe(tmp_path, capsys, quick_pictures):
    a, b, c = _runs(tmp_path, ["--seed", "0"], ["--seed", "1"], ["--seed", "2", "--nz", "8"])
    capsys.readouterr()
    assert evaluate.main([str(a), str(b), str(c), "--n", "100", "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert "mean +- std" not in out.replace("no mean +- std", "")
    assert f"no mean +- std: {a} and {c} are not seeds of one recipe: nz is" in out
    assert evaluate.main([str(a), str(b), "--n", "100", "--device", "cpu"]) == 0
    assert "mean +- std over 2 runs (training seeds 0, 1)" in capsys.readouterr().out


def test_copies_of_one_run_are_not_averaged(tmp_path, capsys, quick_pictures):
    (a,) = _runs(tmp_path, ["--seed", "3"])
    copy = tmp_path / "copy"
    shutil.copytree(a, copy)
    capsys.readouterr()
    assert evaluate.main([str(a), str(copy), "--n", "100", "--device", "cpu"]) == 0
    assert "no mean +- std: seed 3 is among the runs more than once" in capsys.readouterr().out


def test_runs_of_other_lengths_are_not_averaged(tmp_path, capsys, quick_pictures):
    a, b = _runs(tmp_path, ["--seed", "0"], ["--seed", "1"])
    assert gan.main(["--resume", str(b), "--steps", "3"]) == 0
    capsys.readouterr()
    assert evaluate.main([str(a), str(b), "--n", "100", "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert f"no mean +- std: {a} and {b} are not seeds of one recipe: steps is 2 and 3" in out


@pytest.mark.parametrize("key", ["step", "n_samples", "eval_seed"])
def test_runs_scored_otherwise_are_not_averaged(key):
    """Seeds of one recipe, but one checkpoint from an interrupted run (another step),
    or scored on other latents or counts: no mean."""
    base = {"settings": {"model": "mlp", "seed": 0}, "step": 10, "n_samples": 100}
    other = {**base, "settings": {"model": "mlp", "seed": 1}, key: 7}
    results = [("a", {**base, "eval_seed": 123}), ("b", {"eval_seed": 123, **other})]
    assert evaluate.why_no_mean(results) == f"a and b differ in {key}: {results[0][1][key]} and 7"
    results[1][1][key] = results[0][1][key]
    assert evaluate.why_no_mean(results) is None


def test_eval_json_records_the_latent_seed_and_the_settings(tmp_path, capsys, quick_pictures):
    (run,) = _runs(tmp_path, ["--seed", "5"])
    for seed in ("123", "7"):
        assert evaluate.main([str(run), "--n", "100", "--seed", seed, "--device", "cpu"]) == 0
        out = capsys.readouterr().out
        assert f"latent seed {seed})" in out and "training seed 5, step 2;" in out
        result = json.loads((run / "eval.json").read_text())
        assert result["eval_seed"] == int(seed)
        assert result["settings"]["seed"] == 5 and result["settings"]["model"] == "mlp"
        assert "out" not in result["settings"] and "device" not in result["settings"]


# ---------------------------------------------------------------------- data moved
def test_resume_takes_the_same_data_moved_and_refuses_other_data(tmp_path, capsys, quick_pictures):
    (tmp_path / "a").mkdir()
    data = _digits(tmp_path / "a" / "d.npz")
    run = tmp_path / "run"
    assert gan.main(TINY + ["--data-dir", str(data), "--out", str(run)]) == 0
    moved = tmp_path / "b" / "d.npz"
    moved.parent.mkdir()
    shutil.move(data, moved)
    capsys.readouterr()
    assert gan.main(["--resume", str(run), "--steps", "3"]) == 1
    assert "--resume RUN --data-dir NEW" in capsys.readouterr().err
    assert gan.main(["--resume", str(run), "--steps", "3", "--data-dir", str(moved)]) == 0
    config = json.loads((run / "config.json").read_text())
    assert config["data_dir"] == str(moved) and config["steps"] == 3
    other = _digits(tmp_path / "other.npz", start=400)
    assert gan.main(["--resume", str(run), "--steps", "4", "--data-dir", str(other)]) == 1
    assert "sha256" in capsys.readouterr().err
    assert json.loads((run / "config.json").read_text())["data_dir"] == str(moved)


def test_copies_differing_in_eval_samples_alone_are_averaged(tmp_path, capsys, quick_pictures):
    """--eval-samples sets the per-epoch scores' count; the weights are the same."""
    a, b = _runs(tmp_path, ["--seed", "0"], ["--seed", "1"])
    config = json.loads((b / "config.json").read_text())
    assert (
        gan.main(
            TINY[:-4]
            + [
                "--eval-samples",
                "100",
                "--device",
                "cpu",
                "--seed",
                "1",
                "--out",
                str(tmp_path / "c"),
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert evaluate.main([str(a), str(tmp_path / "c"), "--n", "100", "--device", "cpu"]) == 0
    assert "mean +- std over 2 runs (training seeds 0, 1)" in capsys.readouterr().out
    assert config["eval_samples"] == 0


def test_a_run_recorded_with_fewer_eval_samples_still_resumes(
    tmp_path, capsys, monkeypatch, quick_pictures
):
    """Runs made when --eval-samples took 2 and more keep their count on --resume."""
    ring = ["--dataset", "ring", "--hidden", "8", "--batch-size", "32"]
    ring += ["--steps-per-epoch", "2", "--device", "cpu", "--epochs", "1"]
    run = tmp_path / "ring"
    with monkeypatch.context() as older:  # the rule of an older minigrad
        older.setattr(evaluate, "MIN_SAMPLES", 2)
        assert gan.main(ring + ["--eval-samples", "50", "--out", str(run)]) == 0
    assert json.loads((run / "config.json").read_text())["eval_samples"] == 50
    assert gan.main(["--resume", str(run), "--epochs", "2"]) == 0
    assert common.read_jsonl(run / "metrics.jsonl")[-1]["epoch"] == 2


def test_evaluate_reads_the_data_where_a_resume_moved_it(tmp_path, capsys, quick_pictures):
    """A finished run whose data moved: --resume --data-dir NEW records the place (there
    is nothing to train, so the checkpoint stays as it was) and evaluate reads it there."""
    (tmp_path / "a").mkdir()
    data = _digits(tmp_path / "a" / "d.npz")
    run = tmp_path / "run"
    assert gan.main(TINY + ["--data-dir", str(data), "--out", str(run)]) == 0
    moved = tmp_path / "b.npz"
    shutil.move(data, moved)
    assert gan.main(["--resume", str(run), "--data-dir", str(moved)]) == 0
    capsys.readouterr()
    assert evaluate.main([str(run), "--n", "100", "--device", "cpu"]) == 0
    assert "checked to be digits" in capsys.readouterr().out


def test_evaluate_scores_a_dry_run_on_data_of_its_own(tmp_path, capsys, quick_pictures):
    """A --dry-run trains on its first 4 batches: its fingerprint is of those, and the
    evaluator's data check reads them so (it refused every such run)."""
    data = _digits(tmp_path / "d.npz")
    run = tmp_path / "dry"
    argv = ["--dry-run", "--model", "mlp", "--hidden", "16", "--batch-size", "16"]
    argv += ["--data-dir", str(data), "--eval-samples", "0", "--device", "cpu"]
    assert gan.main(argv + ["--out", str(run)]) == 0
    capsys.readouterr()
    assert evaluate.main([str(run), "--n", "100", "--device", "cpu"]) == 0
    assert "checked to be digits" in capsys.readouterr().out
