"""Round 12 of the hostile tests of the train/ jobs (tiny runs): a log one record short of
its checkpoint (a kill between the two writes) is repaired by the next reader; an
eval.json that cannot be written is refused before scoring, naming it; on/off flags and
defaults are named as the user writes them; a flag given with the value its default took
is no change; more --epochs on a dry run, damaged counters, an empty --augment and a
latent on replaced data are refused; a dry run takes a folder of its own."""

import json
import os
from pathlib import Path

import numpy as np
import pytest
from tiny_runs import RING

import minigrad as mg
from train import common, evaluate, gan, latent, sample
from train import run as scaffold

pytestmark = pytest.mark.usefixtures("quick_pictures")


def test_a_log_one_record_short_is_repaired_by_the_next_reader(tmp_path, monkeypatch, capsys):
    """Killed after the last epoch's checkpoint and before its metrics.jsonl: train.sample
    (as evaluate and latent, through common.load_run) rewrites the log from the checkpoint."""
    run = tmp_path / "run"
    real, calls = scaffold.RunFolder._write_log, []

    def dies_at_the_second_epoch(self):
        calls.append(1)
        if len(calls) == 2:  # the second epoch: its checkpoint is written by now
            raise KeyboardInterrupt
        real(self)

    monkeypatch.setattr(scaffold.RunFolder, "_write_log", dies_at_the_second_epoch)
    with pytest.raises(KeyboardInterrupt):
        gan.train(gan.build_parser().parse_args(RING + ["--steps", "4", "--out", str(run)]))
    monkeypatch.setattr(scaffold.RunFolder, "_write_log", real)
    saved = common.load_checkpoint(run)
    assert len(saved["log"]) == 2 and len(common.read_jsonl(run / "metrics.jsonl")) == 1
    assert sample.main([str(run), "--n", "2", "--out", str(tmp_path / "s.npz")]) == 0
    assert common.read_jsonl(run / "metrics.jsonl") == saved["log"]
    assert "restored from the checkpoint's history (1 of 2 records" in capsys.readouterr().out


def test_evaluate_refuses_an_unwritable_eval_json_before_scoring(tmp_path, capsys):
    run = tmp_path / "run"
    assert gan.main(RING + ["--steps", "2", "--out", str(run)]) == 0
    (run / "eval.json").mkdir()
    scored = []
    real = evaluate.score_toy_samples
    evaluate.score_toy_samples = lambda *a: scored.append(1) or real(*a)
    try:
        assert evaluate.main([str(run), "--n", "100", "--device", "cpu"]) == 1
    finally:
        evaluate.score_toy_samples = real
    err = capsys.readouterr().err
    assert "eval.json is a folder" in err and "nothing scored" in err and not scored
    (run / "eval.json").rmdir()
    assert evaluate.main([str(run), "--n", "100", "--device", "cpu"]) == 0


def test_atomic_writes_name_the_file_not_their_temporary(tmp_path):
    target = tmp_path / "eval.json"
    target.mkdir()
    with pytest.raises(OSError) as info:
        with common.atomic_path(target) as tmp:
            tmp.write_text("{}")
    assert info.value.filename == str(target) and ".tmp-" not in str(info.value)


def test_resume_names_on_off_flags_and_defaults_as_written(tmp_path, capsys):
    run = tmp_path / "run"
    argv = RING + ["--steps", "2", "--no-g-batchnorm", "--out", str(run)]
    assert gan.main(argv) == 0
    capsys.readouterr()
    assert gan.main(["--resume", str(run), "--steps", "4", "--g-batchnorm"]) == 1
    err = capsys.readouterr().err
    assert "--g-batchnorm: the run" in err and "runs with --no-g-batchnorm" in err
    assert "True" not in err and "False" not in err
    # the value the run's default took is no change; another is refused, naming the default
    assert gan.main(["--resume", str(run), "--steps", "4", "--lr", "2e-4"]) == 0
    assert gan.main(["--resume", str(run), "--steps", "6", "--d-steps", "1"]) == 0
    capsys.readouterr()
    assert gan.main(["--resume", str(run), "--steps", "8", "--lr", "1e-3"]) == 1
    assert "without --lr, at its default (--lr 0.0002)" in capsys.readouterr().err
    assert json.loads((run / "config.json").read_text())["lr"] is None


def test_more_epochs_on_a_dry_run_are_refused(tmp_path, capsys):
    run = tmp_path / "dry"
    assert gan.main(RING + ["--dry-run", "--out", str(run)]) == 0
    capsys.readouterr()
    assert gan.main(["--resume", str(run), "--epochs", "30"]) == 1
    assert "is a --dry-run" in capsys.readouterr().err
    assert json.loads((run / "config.json").read_text())["epochs"] != 30


def test_a_dry_run_takes_a_folder_of_its_own(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = gan.build_parser().parse_args(["--dataset", "ring", "--dry-run"])
    gan.fill_defaults(args)
    assert args.out == str(Path("runs") / "dry-run-mlp-ring")
    args = gan.build_parser().parse_args(["--dataset", "ring"])
    gan.fill_defaults(args)
    assert args.out == str(Path("runs") / "mlp-ring")


@pytest.mark.parametrize("edit", [("step", -5), ("epoch", -2), ("step", "abc"), ("batch", 1000)])
def test_damaged_counters_are_refused_by_name(tmp_path, capsys, edit):
    run = tmp_path / "run"
    assert gan.main(RING + ["--steps", "3", "--out", str(run)]) == 0
    saved = mg.load(run / "checkpoint.npz")
    saved["state"][edit[0]] = edit[1]
    mg.save(saved, run / "checkpoint.npz")
    before = (run / "config.json").read_text()
    capsys.readouterr()
    assert gan.main(["--resume", str(run), "--steps", "6"]) == 1
    err = capsys.readouterr().err
    assert "checkpoint.npz is corrupt" in err and ("batch" in err or repr(edit[0]) in err)
    assert (run / "config.json").read_text() == before  # a refused resume changes nothing


def test_an_empty_augment_is_refused(tmp_path, capsys):
    assert gan.main(RING + ["--steps", "1", "--augment", "", "--out", str(tmp_path / "r")]) == 1
    assert "--augment '': give a policy" in capsys.readouterr().err


def test_steps_beside_epochs_says_which_sets_the_length(tmp_path, capsys):
    run = tmp_path / "run"
    assert gan.main(RING + ["--steps", "2", "--epochs", "5", "--out", str(run)]) == 0
    assert "--steps 2 sets the run's length; --epochs 5 is recorded" in capsys.readouterr().err


def test_latent_refuses_to_draw_neighbours_from_replaced_data(tmp_path, capsys):
    rng = np.random.default_rng(0)
    data = tmp_path / "digits.npz"
    images = rng.integers(0, 255, (64, 28, 28)).astype(np.uint8)
    np.savez(data, images=images, labels=np.arange(64) % 10)
    run = tmp_path / "run"
    argv = ["--model", "mlp", "--data-dir", str(data), "--batch-size", "16", "--hidden", "8"]
    assert gan.main(argv + ["--steps", "1", "--eval-samples", "0", "--out", str(run)]) == 0
    out = tmp_path / "pictures"
    assert latent.main([str(run), "--device", "cpu", "--out", str(out)]) == 0
    np.savez(data, images=images[::-1].copy(), labels=np.arange(64) % 10)
    capsys.readouterr()
    assert latent.main([str(run), "--device", "cpu", "--out", str(tmp_path / "p2")]) == 1
    assert "the training data changed since the checkpoint" in capsys.readouterr().err
    assert not (tmp_path / "p2").exists() or not os.listdir(tmp_path / "p2")


def test_load_shows_minigrads_own_faults_as_they_are(tmp_path, monkeypatch):
    """A NameError inside load (a fault of minigrad's) was reported as a corrupt file."""
    from minigrad import serialization

    path = tmp_path / "a.pt"
    mg.save({"x": mg.ones(2)}, path)

    def broken(*a, **k):
        raise NameError("name 'Size' is not defined")

    monkeypatch.setattr(serialization._Decoder, "node", broken)
    with pytest.raises(NameError):
        mg.load(path)
