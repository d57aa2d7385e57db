"""train.run, the run folder both jobs use: a resume keeps the run's settings, one
writer per folder, non-finite state never saved, stale temporary files removed,
--overwrite moving the old run aside, metrics.jsonl rebuilt from the checkpoint."""

import json
import os
import signal

import numpy as np
import pytest
from tiny_runs import RING

import minigrad as mg
from train import common, gan
from train import run as scaffold

pytestmark = pytest.mark.usefixtures("quick_pictures")


def _interrupt_at(monkeypatch, step):
    """Ctrl-C from inside generator step `step`: the job saves and returns."""
    real = gan.Run.g_step_

    def step_then_interrupt(self, *shared):
        if self.step == step:
            os.kill(os.getpid(), signal.SIGINT)
        return real(self, *shared)

    monkeypatch.setattr(gan.Run, "g_step_", step_then_interrupt)
    return real


def _config(run):
    return json.loads((run / "config.json").read_text())


def test_given_flags():
    parser = gan.build_parser()
    given = scaffold.given_flags(parser, ["--epochs", "20", "--grayscale", "--out", "x"])
    assert given == {"epochs", "grayscale", "out"}  # --epochs 20 is the default, yet given
    assert scaffold.given_flags(parser, []) == set()


@pytest.mark.parametrize("limit", [["--steps", "5"], ["--epochs", "3"]])
def test_resume_keeps_the_runs_length(tmp_path, monkeypatch, limit):
    """Interrupted and resumed without flags, a run ends where it was set to end (not at
    the default 20 epochs, not where the interruption was)."""
    run = tmp_path / "run"
    real = _interrupt_at(monkeypatch, 1)
    assert gan.main(RING + limit + ["--out", str(run)]) == 130
    assert common.load_checkpoint(run)["state"]["step"] == 2
    monkeypatch.setattr(gan.Run, "g_step_", real)
    assert gan.main(["--resume", str(run)]) == 0
    state = common.load_checkpoint(run)["state"]
    assert state["step"] == (5 if "--steps" in limit else 6)
    assert _config(run)["epochs"] == (None if "--steps" in limit else 3)  # a --steps run: no epochs


@pytest.mark.parametrize(
    "flag, value, stored",
    [
        ("--lr", "0.1", "None"),
        ("--batch-size", "64", "32"),
        ("--dataset", "grid", "ring"),
        ("--seed", "3", "0"),
        ("--nz", "4", "2"),
        ("--loss", "wgan", "nonsaturating"),
        ("--steps-per-epoch", "3", "2"),
        ("--epochs", "1", "2"),  # shorter: refused
    ],
)
def test_resume_refuses_a_contradicting_flag(tmp_path, capsys, flag, value, stored):
    run = tmp_path / "run"
    assert gan.main(RING + ["--epochs", "2", "--steps", "1", "--out", str(run)]) == 0
    before = (run / "config.json").read_text(), (run / "checkpoint.npz").read_bytes()
    capsys.readouterr()
    assert gan.main(["--resume", str(run), flag, value]) == 1
    err = capsys.readouterr().err
    was = f"without {flag}, at its default" if stored == "None" else f"with {flag} {stored}"
    assert f"{flag} {value}: the run in {run} runs {was}" in err
    assert before == ((run / "config.json").read_text(), (run / "checkpoint.npz").read_bytes())
    if stored != "None":  # the stored value itself is no contradiction
        assert gan.main(["--resume", str(run), flag, stored]) == 0


def test_resume_extends_a_run_and_records_it(tmp_path, capsys):
    run = tmp_path / "run"
    assert gan.main(RING + ["--epochs", "1", "--out", str(run)]) == 0
    capsys.readouterr()
    assert gan.main(["--resume", str(run), "--epochs", "2", "--device", "cpu"]) == 0
    err = capsys.readouterr().err
    assert f"{run}: epochs changed from 1 to 2" in err
    assert _config(run)["epochs"] == 2
    assert common.load_checkpoint(run)["args"]["epochs"] == 2
    assert [r["epoch"] for r in common.read_jsonl(run / "metrics.jsonl")] == [1, 2]


def test_resume_with_another_out_or_overwrite_is_refused(tmp_path, capsys):
    run = tmp_path / "run"
    assert gan.main(RING + ["--steps", "1", "--out", str(run)]) == 0
    assert gan.main(["--resume", str(run), "--out", str(tmp_path / "b")]) == 1
    assert "a resumed run writes into its own folder" in capsys.readouterr().err
    assert not (tmp_path / "b").exists()
    assert gan.main(["--resume", str(run), "--overwrite"]) == 1
    assert "choose one" in capsys.readouterr().err
    assert gan.main(["--resume", str(run), "--out", str(run)]) == 0  # the same folder


def test_one_writer_per_folder(tmp_path, capsys):
    run = tmp_path / "run"
    assert gan.main(RING + ["--steps", "1", "--out", str(run)]) == 0
    assert not (run / scaffold.LOCK_NAME).exists()  # released at exit
    held = scaffold.RunLock(run)
    assert held.acquire() is None
    try:
        for argv in (["--resume", str(run)], RING + ["--out", str(run), "--overwrite"]):
            assert gan.main(argv) == 1
            err = capsys.readouterr().err
            assert f"{run} is in use by another run (pid {os.getpid()} on " in err
        assert common.load_checkpoint(run)["state"]["step"] == 1  # untouched
    finally:
        held.release()
    assert gan.main(["--resume", str(run), "--steps", "2"]) == 0


def test_resume_of_a_live_run_before_its_first_checkpoint_names_the_holder(tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    held = scaffold.RunLock(run)  # a new run holds the folder but has no checkpoint yet
    assert held.acquire() is None
    try:
        assert scaffold.RunLock(run).holder() is not None
        assert gan.main(["--resume", str(run)]) == 1
        err = capsys.readouterr().err
        assert f"in use by a live run (pid {os.getpid()} on " in err
        assert "Traceback" not in err
    finally:
        held.release()
    assert scaffold.RunLock(run).holder() is None
    assert gan.main(["--resume", str(run)]) == 1  # no holder now: the missing checkpoint
    assert "checkpoint not found" in capsys.readouterr().err


def test_stale_lock_file_is_taken_over(tmp_path, capsys):
    run = tmp_path / "run"
    assert gan.main(RING + ["--steps", "1", "--out", str(run)]) == 0
    stale = {"pid": 999999, "host": "elsewhere", "started": "2020-01-01 00:00:00"}
    (run / scaffold.LOCK_NAME).write_text(json.dumps(stale))
    assert gan.main(["--resume", str(run), "--steps", "2"]) == 0
    assert "took over the lock of a run no longer running (pid 999999 on elsewhere" in (
        capsys.readouterr().err
    )


def _poison(monkeypatch, step, where):
    real = gan.Run.g_step_

    def step_then_poison(self, *shared):
        out = real(self, *shared)
        if self.step == step:
            if where == "opt":
                state = self.opt_d.state[next(self.D.parameters())]
                state["exp_avg_sq"].reshape(-1)[:3] = np.inf
            elif where == "ema":
                self.ema.averages[1].reshape(-1)[0] = np.nan
            else:
                next(self.G.parameters())._data.reshape(-1)[:2] = np.nan
        return out

    monkeypatch.setattr(gan.Run, "g_step_", step_then_poison)


@pytest.mark.parametrize(
    "where, named",
    [
        ("opt", "opt_d.state.0.exp_avg_sq has 3 infinite of"),
        ("ema", "ema_G.averages.1 has 1 NaN of"),
        ("param", "G.net.0.weight has 2 NaN of"),
    ],
)
def test_non_finite_state_is_never_saved(tmp_path, monkeypatch, capsys, where, named):
    """A NaN/inf anywhere in the state (weights, optimizer moments, EMA averages), with a
    finite loss, stops the job at the next checkpoint with exit status 1, naming the tensor
    and the last good checkpoint, which stays finite."""
    run = tmp_path / "run"
    _poison(monkeypatch, 3, where)
    extra = ["--ema", "0.9"] if where == "ema" else []
    assert gan.main(RING + extra + ["--epochs", "3", "--out", str(run)]) == 1
    err = capsys.readouterr().err
    assert "the training state went non-finite by step 4: " in err
    assert named in err, err
    assert f"not saved: the last good checkpoint is {run / 'checkpoint.npz'} (step 2)" in err
    saved = common.load_checkpoint(run)
    assert saved["state"]["step"] == 2 and scaffold.non_finite(saved) == []


def test_non_finite_before_any_checkpoint(tmp_path, monkeypatch, capsys):
    _poison(monkeypatch, 1, "param")
    assert gan.main(RING + ["--epochs", "1", "--out", str(tmp_path / "r")]) == 1
    assert "no checkpoint has been saved yet" in capsys.readouterr().err
    assert not (tmp_path / "r" / "checkpoint.npz").exists()


def test_non_finite_lists_tensors():
    tree = {"a": mg.tensor([1.0, np.nan, np.inf]), "b": [np.ones(2), np.array([np.inf])]}
    tree["c"] = {"step": 3, "lr": float("nan"), "ints": np.arange(3)}
    assert scaffold.non_finite(tree) == [("a", 1, 1, 3), ("b[1]", 0, 1, 1), ("c.lr", 1, 0, 1)]


def test_resume_cleans_temporaries_and_rebuilds_the_log(tmp_path):
    run = tmp_path / "run"
    assert gan.main(RING + ["--epochs", "2", "--steps", "3", "--out", str(run)]) == 0
    records = common.read_jsonl(run / "metrics.jsonl")
    assert [r["epoch"] for r in records] == [1]
    (run / "metrics.jsonl").write_text("")  # a log lost or cut short
    (run / ".checkpoint.npz.x1y2.tmp").write_bytes(b"\0" * 100)
    (run / ".losses.tmp-123.png").write_bytes(b"")
    assert gan.main(["--resume", str(run), "--steps", "4"]) == 0
    assert sorted(p.name for p in run.glob(".*")) == []
    assert [r["epoch"] for r in common.read_jsonl(run / "metrics.jsonl")] == [1, 2]
    assert common.read_jsonl(run / "metrics.jsonl")[0] == records[0]
    assert [r["epoch"] for r in common.load_checkpoint(run)["log"]] == [1, 2]


def test_overwrite_moves_the_old_run_aside_until_the_new_one_commits(tmp_path, monkeypatch):
    run = tmp_path / "run"
    assert gan.main(RING + ["--epochs", "2", "--out", str(run)]) == 0
    (run / "samples").mkdir()
    (run / "samples" / "epoch_007.png").write_bytes(b"old")  # an old run's later grid
    (run / "notes.txt").write_text("mine")  # not the job's: left alone
    old = (run / "checkpoint.npz").read_bytes()

    def fail(self, *shared):
        raise FloatingPointError("stopped before the first checkpoint")

    monkeypatch.setattr(gan.Run, "d_step_", fail)
    config = (run / "config.json").read_text()
    assert gan.main(RING + ["--epochs", "1", "--out", str(run), "--overwrite"]) == 1
    # the new run failed before its first checkpoint: the old run is back, whole
    assert (run / "checkpoint.npz").read_bytes() == old
    assert (run / "config.json").read_text() == config
    assert (run / "samples" / "epoch_007.png").read_bytes() == b"old"
    assert not (run / scaffold.REPLACED_NAME).exists()
    monkeypatch.undo()
    monkeypatch.setattr(common, "scatter_plot", lambda *a, **k: None)
    monkeypatch.setattr(common, "plot_curves", lambda *a, **k: None)
    assert gan.main(RING + ["--epochs", "1", "--out", str(run), "--overwrite"]) == 0
    assert sorted(p.name for p in run.iterdir()) == [
        "checkpoint.npz",
        "config.json",
        "metrics.jsonl",
        "notes.txt",
    ]
    assert [r["epoch"] for r in common.read_jsonl(run / "metrics.jsonl")] == [1]
