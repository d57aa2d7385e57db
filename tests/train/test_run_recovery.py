"""Second round of run-folder reliability: an --overwrite or its recovery killed midway
loses no file of the old run, a config.json with a setting missing or null resumes with
the run's own settings (or is refused by name), a second Ctrl-C during the interrupt save,
RUN_DIR given as its checkpoint file, sample/evaluate/latent recovering a killed
--overwrite, evaluate racing a new checkpoint, and clearer messages."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from tiny_runs import RING

from train import common, evaluate, gan, latent, metric, sample
from train import run as scaffold

ROOT = Path(__file__).resolve().parents[2]


pytestmark = pytest.mark.usefixtures("quick_pictures")


@pytest.fixture
def r1(tmp_path):
    """A finished ring run of 2 generator steps, with an eval.json and a latent/ of
    train.evaluate and train.latent beside it."""
    run = tmp_path / "r1"
    assert gan.main(RING + ["--steps", "2", "--out", str(run)]) == 0
    (run / "eval.json").write_text('{"modes_captured": 8}\n')
    (run / "latent").mkdir()
    (run / "latent" / "latent_map.png").write_bytes(b"map")
    return run


def _files(run):
    return {p.relative_to(run).as_posix(): p.read_bytes() for p in run.rglob("*") if p.is_file()}


def _killed(argv, match, n=1):
    """`python -m minigrad` ARGV in a process that dies like kill -9 (os._exit: no
    cleanup, the kernel drops the lock) right after its n-th os.replace naming `match`."""
    code = (
        "import os, sys\n"
        "from minigrad.jobs import main\n"
        "real, seen = os.replace, [0]\n"
        "def replace(a, b, *k, **kw):\n"
        "    r = real(a, b, *k, **kw)\n"
        f"    if {match!r} in f'{{a}} {{b}}':\n"
        "        seen[0] += 1\n"
        f"        if seen[0] == {n}:\n"
        "            os._exit(137)\n"
        "    return r\n"
        "os.replace = replace\n"
        f"main({argv!r})\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 137, done.stderr


# ---------------------------------------------------------------------- 1-2. kills
@pytest.mark.parametrize("n", [1, 2])
def test_overwrite_killed_midway_loses_no_file_of_the_old_run(r1, capsys, n):
    before = _files(r1)
    # killed after the n-th file was moved aside: the others are still in the folder
    _killed(
        ["gan", *RING, "--steps", "2", "--seed", "5", "--out", str(r1), "--overwrite"],
        scaffold.REPLACED_NAME,
        n,
    )
    assert (r1 / scaffold.REPLACED_NAME).is_dir()
    assert (
        sample.main([str(r1), "--n", "3", "--device", "cpu", "--out", str(r1.parent / "s.npz")])
        == 0
    )
    assert "the run it replaced is back" in capsys.readouterr().err
    assert _files(r1) == before
    assert gan.main(["--resume", str(r1), "--steps", "3"]) == 0
    assert common.load_checkpoint(r1)["state"]["step"] == 3
    assert (r1 / "eval.json").read_bytes() == before["eval.json"]
    # the old run's latent picture was back until the resumed run committed step 3: it
    # described step 2, so that commit removed it (and said so)
    assert not (r1 / "latent" / "latent_map.png").exists()
    assert "removed latent_map.png" in capsys.readouterr().err


@pytest.mark.parametrize("n", [1, 3])
def test_a_recovery_killed_midway_is_redone_by_the_next_open(r1, capsys, n):
    """The files go back with the checkpoint last: until it is back the folder reads as
    an --overwrite that never committed, and the next open finishes the recovery."""
    before = _files(r1)
    overwrite = ["gan", *RING, "--steps", "2", "--seed", "5", "--out", str(r1), "--overwrite"]
    _killed(overwrite, scaffold.REPLACED_NAME, 5)  # all 5 moved aside
    assert not (r1 / "eval.json").exists()
    # the recovery killed right after it put the n-th file back
    _killed(["gan", "--resume", str(r1), "--steps", "3"], f"{scaffold.REPLACED_NAME}/", n)
    out = str(r1.parent / "s.npz")
    assert sample.main([str(r1), "--n", "3", "--device", "cpu", "--out", out]) == 0
    assert _files(r1) == before
    assert not (r1 / scaffold.REPLACED_NAME).exists()
    assert gan.main(["--resume", str(r1), "--steps", "3"]) == 0
    assert common.load_checkpoint(r1)["state"]["step"] == 3


# ---------------------------------------------------------------------- 3-4. config.json
@pytest.mark.parametrize(
    "edit",
    [
        lambda c: c.pop("batch_size"),
        lambda c: c.update(batch_size=None),
        lambda c: c.update(dataset=None),
        lambda c: c.pop("pack"),
        lambda c: c.update(seed=None),
        lambda c: c.update(loss=None),
        lambda c: c.update(steps=None),
    ],
)
def test_a_setting_missing_or_null_in_config_is_taken_from_the_checkpoint(r1, capsys, edit):
    config = json.loads((r1 / "config.json").read_text())
    own = common.load_checkpoint(r1)["args"]
    edit(config)
    (r1 / "config.json").write_text(json.dumps(config))
    assert gan.main(["--resume", str(r1), "--steps", "3"]) == 0
    err = capsys.readouterr().err
    assert "config.json: missing or null" in err and "taken from the settings inside" in err
    args = common.load_checkpoint(r1)["args"]
    assert {k: v for k, v in args.items() if k != "steps"} == {
        k: v for k, v in own.items() if k != "steps"
    }


def test_a_null_setting_without_a_checkpoint_is_refused_by_name(r1, capsys):
    for name in ("checkpoint.npz", "metrics.jsonl"):  # killed before its first checkpoint
        (r1 / name).unlink()
    config = json.loads((r1 / "config.json").read_text())
    (r1 / "config.json").write_text(json.dumps({**config, "seed": None}))
    assert gan.main(["--resume", str(r1)]) == 1
    err = capsys.readouterr().err
    assert f'{r1 / "config.json"}: "seed" is null' in err and "--seed" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("key", ["seed", "model", "channels", "lr"])
def test_a_null_metric_setting_without_a_checkpoint_is_refused_by_name(tmp_path, capsys, key):
    run = tmp_path / "m"
    run.mkdir()
    args = metric.build_parser().parse_args(["--dry-run", "--out", str(run)])
    metric.fill_defaults(args)
    (run / "config.json").write_text(json.dumps({**vars(args), key: None}))
    assert metric.main(["--resume", str(run)]) == 1
    err = capsys.readouterr().err
    assert f'config.json: "{key}" is null' in err


def test_an_unknown_key_in_config_is_named_as_such(r1, capsys):
    config = json.loads((r1 / "config.json").read_text())
    (r1 / "config.json").write_text(json.dumps({**config, "zzz": 1}))
    assert gan.main(["--resume", str(r1), "--steps", "3"]) == 1
    err = capsys.readouterr().err
    assert 'config.json: unknown key "zzz"' in err and "not a run of" not in err


# ---------------------------------------------------------------------- 5. Ctrl-C twice
def test_a_second_ctrl_c_during_the_interrupt_save_lets_it_finish(tmp_path, monkeypatch):
    real, real_batch, calls, batches = common.save_checkpoint, gan.Run.train_batch_, [], []

    def batch_then_signal(self):
        batches.append(1)
        stats = real_batch(self)
        if len(batches) == 3:  # the 1st Ctrl-C in step 3, after the epoch's save at step 2
            os.kill(os.getpid(), signal.SIGINT)
        return stats

    def save_under_signals(path, state):
        calls.append(1)
        if len(batches) >= 3:  # the 2nd during the interrupt save
            os.kill(os.getpid(), signal.SIGINT)
        return real(path, state)

    monkeypatch.setattr(gan.Run, "train_batch_", batch_then_signal)
    monkeypatch.setattr(common, "save_checkpoint", save_under_signals)
    run = tmp_path / "run"
    assert gan.main(RING + ["--steps", "6", "--out", str(run)]) == 130
    assert len(calls) == 2
    monkeypatch.setattr(common, "save_checkpoint", real)
    assert common.load_checkpoint(run)["state"]["step"] == 3


@pytest.mark.parametrize("when", ["epoch_end", "last_save"])
def test_a_signal_at_the_end_of_the_last_epoch_stops_as_interrupted(tmp_path, monkeypatch, when):
    """A Ctrl-C while the last epoch's pictures and scores are made, or while its
    checkpoint is written, exits 130 (the run went on to exit 0 before): the checkpoint is
    whole, and a bare --resume finishes what followed the training."""
    real_end, real_save = gan.Run.end_of_epoch, common.save_checkpoint
    epochs = []

    def end_then_signal(self, record):
        epochs.append(1)
        real_end(self, record)
        if when == "epoch_end" and len(epochs) == 3:
            os.kill(os.getpid(), signal.SIGINT)

    def save_then_signal(path, state):
        if when == "last_save" and len(epochs) == 3:
            os.kill(os.getpid(), signal.SIGINT)
        return real_save(path, state)

    monkeypatch.setattr(gan.Run, "end_of_epoch", end_then_signal)
    monkeypatch.setattr(common, "save_checkpoint", save_then_signal)
    run = tmp_path / "run"
    assert gan.main(RING + ["--epochs", "3", "--out", str(run)]) == 130
    monkeypatch.setattr(common, "save_checkpoint", real_save)
    assert common.load_checkpoint(run)["state"]["step"] == 6
    assert len((run / "metrics.jsonl").read_text().splitlines()) == 3
    assert gan.main(["--resume", str(run)]) == 0


# ---------------------------------------------------------------------- 6-8. RUN_DIR
def test_run_dir_given_as_its_checkpoint_file_means_the_folder(r1, capsys):
    before = _files(r1)
    ckpt = str(r1 / "checkpoint.npz")
    argv = [ckpt, "--n", "4", "--device", "cpu", "--out", str(r1 / "losses.png")]
    (r1 / "losses.png").write_bytes(b"curves")
    before = _files(r1)
    assert sample.main(argv) == 1
    assert "is a file of the run" in capsys.readouterr().err
    assert evaluate.main([str(r1), ckpt, "--device", "cpu"]) == 1
    assert "given more than once" in capsys.readouterr().err
    assert _files(r1) == before
    assert evaluate.main([ckpt, "--n", "100", "--device", "cpu"]) == 0
    assert json.loads((r1 / "eval.json").read_text())["checkpoint"]["size"] > 0
    assert latent.main([ckpt, "--device", "cpu"]) == 0
    assert (r1 / "latent").is_dir()


def test_evaluate_refuses_a_checkpoint_replaced_while_it_was_scored(r1, monkeypatch, capsys):
    real = evaluate.load_generator

    def load_then_new_checkpoint(run_dir, device):
        loaded = real(run_dir, device)
        saved = common.load_checkpoint(run_dir)  # another run commits meanwhile
        common.save_checkpoint(common.checkpoint_path(run_dir), saved)
        return loaded

    monkeypatch.setattr(evaluate, "load_generator", load_then_new_checkpoint)
    before = (r1 / "eval.json").read_bytes()
    assert evaluate.main([str(r1), "--n", "100", "--device", "cpu"]) == 1
    assert "changed while it was scored" in capsys.readouterr().err
    assert (r1 / "eval.json").read_bytes() == before


# ---------------------------------------------------------------------- 9-10. messages
def test_the_last_line_lists_only_files_the_run_holds(tmp_path, capsys):
    run = tmp_path / "run"
    assert gan.main(RING + ["--steps", "3", "--out", str(run)]) == 0  # stops mid-epoch
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line == f"run folder: {run} (metrics.jsonl, checkpoint.npz)"


def test_classes_per_batch_default_adapts_to_fewer_training_digits():
    args = metric.build_parser().parse_args(["--train-classes", "0,1,2", "--out", "x"])
    metric.fill_defaults(args)
    assert args.classes_per_batch == 3


@pytest.mark.parametrize("flag", [["--image-size", "32"], ["--grayscale"]])
def test_folder_image_flags_are_refused_with_other_data(tmp_path, capsys, flag):
    run = tmp_path / "run"
    assert gan.main(RING + ["--steps", "1", "--out", str(run), *flag]) == 1
    err = capsys.readouterr().err
    assert " ".join(flag) in err and "--dataset folder" in err
    assert not (run / "checkpoint.npz").exists()
