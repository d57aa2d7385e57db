"""Round 22 of the hostile tests of the train/ jobs (tiny runs): train.latent's nearest.png
searches all the images the run trained on, its pictures are never left beside a newer
checkpoint, and a call leaves no picture of an earlier call; `python -m minigrad JOB`
interrupted while the package loads says one line; a run folder that stops taking writes
shows the job's own error; a checkpoint history without 'epoch'/'step' is refused; a
longer length from config.json is said; the lengths are bounded; a dry run's hint."""

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from tiny_runs import RING, edit_checkpoint, random_digits

from train import common, gan, latent
from train import run as scaffold

ROOT = Path(__file__).resolve().parents[2]


pytestmark = pytest.mark.usefixtures("quick_pictures")


@pytest.fixture
def digits(tmp_path):
    """A one-step MLP run on an images/labels npz of 64 digits (no split of its own)."""
    data = random_digits(tmp_path / "digits.npz", n=64)
    with np.load(data) as f:
        images = f["images"]
    run = tmp_path / "run"
    argv = ["--model", "mlp", "--data-dir", str(data), "--batch-size", "16", "--hidden", "8"]
    argv += ["--steps", "1", "--eval-samples", "0", "--device", "cpu", "--out", str(run)]
    assert gan.main(argv) == 0
    return run, images


def _pictures(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


# ---------------------------------------------------------------- 1. nearest.png's pool
def test_nearest_searches_every_image_the_run_trained_on(digits, monkeypatch, tmp_path):
    """It searched the first 80% per class of an images/labels npz (load_mnist's 'train'),
    while train.gan trained on the whole file."""
    run, images = digits
    seen = {}
    real = latent.nearest_training

    def spy(samples, train, k):
        seen["pool"] = train
        return real(samples, train, k)

    monkeypatch.setattr(latent, "nearest_training", spy)
    assert latent.main([str(run), "--device", "cpu", "--out", str(tmp_path / "p")]) == 0
    assert seen["pool"].dtype == np.uint8
    np.testing.assert_array_equal(seen["pool"], images)


# ---------------------------------------------------------------- 2. a checkpoint replaced
def _commit_meanwhile(run):
    saved = common.load_checkpoint(run)  # another run commits a newer checkpoint
    common.save_checkpoint(common.checkpoint_path(run), saved)


def test_latent_refuses_a_checkpoint_replaced_while_it_drew(digits, monkeypatch, capsys):
    run, _ = digits
    real = latent.load_generator

    def load_then_new_checkpoint(run_dir, device):
        loaded = real(run_dir, device)
        _commit_meanwhile(run)
        return loaded

    monkeypatch.setattr(latent, "load_generator", load_then_new_checkpoint)
    capsys.readouterr()
    assert latent.main([str(run), "--device", "cpu"]) == 1
    err = capsys.readouterr().err
    assert f"{run / 'checkpoint.npz'} changed while its pictures were drawn" in err
    assert "no picture written" in err and "Traceback" not in err
    assert _pictures(run / "latent") == []


def test_latent_removes_what_it_wrote_when_the_checkpoint_changes_meanwhile(
    digits, monkeypatch, capsys
):
    run, _ = digits
    real = common.write_image_grid
    calls = []

    def write_then_commit(path, *a, **k):
        real(path, *a, **k)
        calls.append(path)
        if len(calls) == 1:
            _commit_meanwhile(run)

    monkeypatch.setattr(common, "write_image_grid", write_then_commit)
    capsys.readouterr()
    assert latent.main([str(run), "--device", "cpu"]) == 1
    err = capsys.readouterr().err
    assert "changed while its pictures were drawn" in err
    assert "the pictures drawn from the older one were removed" in err
    assert len(calls) >= 2 and _pictures(run / "latent") == []


# ---------------------------------------------------------------- 3. an earlier call's pictures
def _confident(digit_of):
    def predict(clf, imgs, device):
        probs = np.zeros((len(imgs), 10), np.float32)
        probs[np.arange(len(imgs)), digit_of(np.arange(len(imgs)))] = 0.99
        return probs, None

    return predict


@pytest.mark.parametrize("own", [True, False])
def test_a_skipped_arithmetic_removes_the_earlier_one(digits, monkeypatch, capsys, tmp_path, own):
    run, _ = digits
    out = run / "latent" if own else tmp_path / "pictures"
    argv = [str(run), "--device", "cpu"] + ([] if own else ["--out", str(out)])
    monkeypatch.setattr(latent, "predict", _confident(lambda i: np.where(i % 2, 7, 1)))
    assert latent.main(argv) == 0
    assert "arithmetic.png" in _pictures(out)
    monkeypatch.setattr(latent, "predict", _confident(lambda i: np.zeros_like(i)))
    capsys.readouterr()
    assert latent.main(argv + ["--from-digit", "4"]) == 0
    said = capsys.readouterr()
    assert "skipping vector arithmetic" in said.err
    assert f"removed arithmetic.png in {out}: an earlier call's" in said.out
    assert _pictures(out) == ["interp_linear.png", "interp_slerp.png", "nearest.png"]


def test_a_users_file_of_that_name_is_still_refused_not_removed(digits, tmp_path, capsys):
    run, _ = digits
    out = tmp_path / "pictures"
    out.mkdir()
    (out / "arithmetic.png").write_bytes(b"mine")
    assert latent.main([str(run), "--device", "cpu", "--out", str(out)]) == 1
    assert "not pictures of this job" in capsys.readouterr().err
    assert (out / "arithmetic.png").read_bytes() == b"mine"


# ---------------------------------------------------------------- 4. python -m minigrad
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
@pytest.mark.parametrize("delay", [0.0, 0.05, 0.2, 0.5])
def test_python_m_minigrad_interrupted_while_starting_says_one_line(tmp_path, sig, delay):
    """The package (NumPy and the rest) loaded before minigrad/__main__.py could install
    the start-up handler: a KeyboardInterrupt traceback (SIGINT), or no line (SIGTERM).
    The signal is sent once minigrad's first module has loaded (-X importtime says when;
    earlier is Python's own start-up), then after `delay`."""
    argv = [sys.executable, "-X", "importtime", "-m", "minigrad", "gan", *RING]
    argv += ["--steps", "100000", "--out", str(tmp_path / "run")]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(argv, cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True)
    lines = []
    for line in child.stderr:
        lines.append(line)
        if "minigrad._openblas" in line:
            break
    else:
        pytest.fail("minigrad was never imported: " + "".join(lines[-5:]))
    time.sleep(delay)
    child.send_signal(sig)
    rest = child.stderr.read()
    status = child.wait(timeout=60)
    said = [x for x in [*lines, *rest.splitlines(True)] if not x.startswith("import time:")]
    text = "".join(said)
    assert status == 128 + sig, text
    assert "Traceback" not in text, text
    name = signal.Signals(sig).name
    assert said and f"interrupted by {name}" in said[-1], text
    if "while starting" in text:
        assert said == [
            f"python -m minigrad gan: interrupted by {name} while starting; nothing was written\n"
        ]


PROBE = (
    "import signal\nbefore = [signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)]\n"
    "import minigrad\n"
    "after = [signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)]\n"
    "print('same' if before == after else 'changed')\n"
)


def test_import_minigrad_never_changes_the_signal_handlers(tmp_path):
    """Only `python -m minigrad` gets the start-up handler: not a program that imports
    minigrad, not `python -m theirs` whose package imports it while runpy locates it, not
    a `-c` command that looks like `-m` (sys.argv[0] == "-m")."""
    pkg = tmp_path / "theirs"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(PROBE)
    (pkg / "__main__.py").write_text("")
    (tmp_path / "prog.py").write_text(PROBE)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(tmp_path)])}
    fake = "import sys\nsys.argv = ['-m', 'gan']\n" + PROBE
    for argv in (["prog.py"], ["-m", "theirs"], ["-c", fake], ["-c", PROBE, "-m", "minigrad"]):
        done = subprocess.run(
            [sys.executable, *argv], cwd=tmp_path, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "same", argv


# ---------------------------------------------------------------- 5. the lock's clean-up
def test_a_folder_that_stops_taking_writes_shows_the_jobs_own_error(tmp_path, monkeypatch, capsys):
    """The lock's removal failed too, and its error replaced the job's: `error:
    RUN/.lock: Operation not permitted`, naming neither the file nor the checkpoint."""
    run = tmp_path / "g"
    real_save, real_unlink = common.save_checkpoint, Path.unlink
    saves = []

    def save(path, state):
        saves.append(path)
        if len(saves) > 1:  # the folder is made read-only after the first checkpoint
            raise PermissionError(errno.EPERM, "Operation not permitted")
        return real_save(path, state)

    def unlink(self, missing_ok=False):
        if self.name == ".lock":
            raise PermissionError(errno.EPERM, "Operation not permitted", str(self))
        return real_unlink(self, missing_ok=missing_ok)

    with monkeypatch.context() as m:
        m.setattr(common, "save_checkpoint", save)
        m.setattr(Path, "unlink", unlink)
        assert gan.main(RING + ["--steps", "6", "--out", str(run)]) == 1
    err = capsys.readouterr().err
    line = next(x for x in err.splitlines() if "error:" in x)
    assert f"cannot write {run / 'checkpoint.npz'}: Operation not permitted" in line
    assert f"{run / 'checkpoint.npz'} (step 2) is intact" in line
    assert f"--resume {run}" in line and ".lock" not in line
    assert f"{run / '.lock'}: not removed (Operation not permitted)" in err
    assert gan.main(["--resume", str(run)]) == 0  # the stale lock is taken over


def test_a_lock_that_is_a_folder_is_named(tmp_path, capsys):
    run = tmp_path / "g"
    (run / ".lock").mkdir(parents=True)
    assert gan.main(RING + ["--steps", "2", "--out", str(run)]) == 1
    err = capsys.readouterr().err
    assert f"error: --out {run}: {run / '.lock'} is a folder, where a run keeps its lock" in err


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="no /proc")
def test_an_out_folder_that_takes_no_lock_file_is_named(capsys):
    assert gan.main(RING + ["--steps", "2", "--out", "/proc/self"]) == 1
    err = capsys.readouterr().err
    assert "error: --out /proc/self: cannot create the run's lock file /proc/self/.lock" in err
    assert "Traceback" not in err


# ---------------------------------------------------------------- 6. a history without keys
@pytest.mark.parametrize(
    "log, says",
    [
        ([{"x": 1}], "record 1 of its 'log' (the run's history) has no 'epoch'"),
        ([{"epoch": 1}], "record 1 of its 'log' (the run's history) has no 'step'"),
        ([{"epoch": 1, "step": "2"}], "holds '2' as its 'step'"),
        ([{"epoch": 2, "step": 4}, {"epoch": 1, "step": 2}], "record 2 of its 'log'"),
        ([{"epoch": 1, "step": 4}, {"epoch": 2, "step": 2}], "is out of order"),
    ],
)
def test_a_history_without_epoch_or_step_is_refused(tmp_path, capsys, log, says):
    """It was taken, and metrics.jsonl rewritten from it: the run's records were lost."""
    run = tmp_path / "g"
    assert gan.main(RING + ["--steps", "4", "--out", str(run)]) == 0
    edit_checkpoint(run, lambda saved: saved.__setitem__("log", log))
    before = {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()}
    capsys.readouterr()
    assert gan.main(["--resume", str(run), "--steps", "6"]) == 1
    err = capsys.readouterr().err
    assert f"{run / 'checkpoint.npz'} is corrupt: " in err and says in err, err
    assert {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()} == before


# ---------------------------------------------------------------- 7. config.json's length
@pytest.mark.parametrize("key, value", [("steps", 6), ("epochs", 3)])
def test_a_longer_length_from_config_json_is_said(tmp_path, capsys, key, value):
    run = tmp_path / "g"
    length = ["--steps", "4"] if key == "steps" else ["--epochs", "2"]
    assert gan.main(RING + length + ["--out", str(run)]) == 0
    config = json.loads((run / "config.json").read_text())
    config[key] = value
    (run / "config.json").write_text(json.dumps(config))
    capsys.readouterr()
    assert gan.main(["--resume", str(run)]) == 0
    err = capsys.readouterr().err
    assert f"{run / 'config.json'}: the run now runs to {value} {key}, from config.json" in err
    assert common.load_checkpoint(run)["state"]["step"] == 6


def test_a_flag_that_extends_it_again_is_said_once(tmp_path, capsys):
    run = tmp_path / "g"
    assert gan.main(RING + ["--steps", "4", "--out", str(run)]) == 0
    config = json.loads((run / "config.json").read_text())
    (run / "config.json").write_text(json.dumps({**config, "steps": 6}))
    capsys.readouterr()
    assert gan.main(["--resume", str(run), "--steps", "8"]) == 0
    err = capsys.readouterr().err
    assert "steps changed from 6 to 8" in err and "now runs to" not in err


# ---------------------------------------------------------------- 8. the lengths' bounds
@pytest.mark.parametrize("flag", ["--steps", "--epochs", "--steps-per-epoch"])
def test_lengths_have_an_upper_bound(flag, capsys):
    with pytest.raises(SystemExit) as stop:
        gan.main([flag, "99999999999999999999999", "--out", "never"])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    top = common.MAX_EPOCHS if flag == "--epochs" else common.MAX_STEPS
    assert f"argument {flag}: must be an integer from 1 to {top}" in err
    assert not Path("never").exists()


def test_metric_lengths_have_an_upper_bound(capsys):
    from train import metric

    for flag in ("--steps", "--epochs"):
        with pytest.raises(SystemExit):
            metric.main([flag, str(10**12), "--out", "never"])
        assert f"argument {flag}: must be an integer from 1 to" in capsys.readouterr().err


def test_the_help_says_the_bounds(capsys):
    with pytest.raises(SystemExit):
        gan.main(["--help"])
    assert "at most 10^9" in " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize(
    "flags, says",
    [
        (
            ["--instance-noise", "0.1", "--instance-noise-steps", "100"],
            "--instance-noise-steps 100 is past the run's last generator step (4): the "
            "instance noise never falls to 0",
        ),
        (
            ["--r1", "1", "--r1-ramp", "100"],
            "--r1-ramp 100 is past the run's last generator step (4): R1's weight reaches "
            "only 4.0% of --r1 1",
        ),
    ],
)
def test_schedules_past_the_runs_end_are_said(tmp_path, capsys, flags, says):
    run = tmp_path / "g"
    assert gan.main(RING + ["--steps", "4", *flags, "--out", str(run)]) == 0
    err = capsys.readouterr().err
    assert says in err
    assert gan.main(RING + ["--steps", "4", "--out", str(tmp_path / "h")]) == 0
    assert "past the run's last" not in capsys.readouterr().err


# ---------------------------------------------------------------- 9. a dry run's hint
def test_a_finished_dry_run_hints_at_what_works(tmp_path, capsys):
    run = tmp_path / "d"
    assert gan.main(RING + ["--dry-run", "--epochs", "5", "--out", str(run)]) == 0
    capsys.readouterr()
    assert gan.main(["--resume", str(run)]) == 0
    err = capsys.readouterr().err
    assert "a --dry-run is one short epoch and is not extended" in err
    assert f"--out {run} --overwrite" in err and "a larger --epochs" not in err
    assert gan.main(RING + ["--epochs", "1", "--out", str(run), "--overwrite"]) == 0


def test_a_finished_run_still_hints_at_a_larger_length(tmp_path, capsys):
    run = tmp_path / "g"
    assert gan.main(RING + ["--epochs", "1", "--out", str(run)]) == 0
    capsys.readouterr()
    assert gan.main(["--resume", str(run)]) == 0
    assert "a larger --epochs (--steps for a run of --steps) extends it" in (
        capsys.readouterr().err
    )


def test_the_lock_release_never_raises(tmp_path, monkeypatch, capsys):
    lock = scaffold.RunLock(tmp_path)
    assert lock.acquire() is None

    def unlink(self, missing_ok=False):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(Path, "unlink", unlink)
    lock.release()
    assert lock.fd is None
    assert "not removed (Read-only file system)" in capsys.readouterr().err
