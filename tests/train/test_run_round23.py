"""Round 23 of the hostile tests of the train/ jobs (tiny runs): a signal after a job's work
is one line saying the job had finished, never "nothing was written", a traceback or a
silent death; --toy-scale and --instance-noise are bounded; an epoch's pictures never run
ahead of its checkpoint; the readers of a run repair its metrics.jsonl as --resume does; a
checkpoint of another model or job is refused naming that first; --train-classes is
compared as a set of digits."""

import errno
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from tiny_runs import RING, edit_checkpoint, random_digits

from train import common, evaluate, gan, metric, sample
from train import run as scaffold

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.usefixtures("quick_pictures")


def _python(code, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True
    )


# ---------------------------------------------------------------- 1. a signal after the work
PROGRAM = """\
import atexit, os, signal, time
from train import common
from train import run as scaffold

class Late:  # module teardown, after Python has turned its signal handlers off
    def __del__(self):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(1)

def main():
    try:
        with common.signals_raise():
            {work}
    except ValueError:
        return 1
    {in_main}
    return 0

{setup}
scaffold.run_as_program("train.gan", main)
"""
KILL = "(os.kill(os.getpid(), signal.{sig}), time.sleep(1))"
FINISHED = "after it finished; all it wrote is complete"
ENDED = "after its work ended; nothing was left half-written"


@pytest.mark.parametrize(
    "work, where, sig, says",
    [
        # main()'s last lines: the start-up handler said "while starting; nothing was
        # written" (python -m train.JOB), or a KeyboardInterrupt traceback
        ("pass", "in_main", "SIGINT", FINISHED),
        ("pass", "in_main", "SIGTERM", FINISHED),
        # an exit function: "Exception ignored in atexit callback ... KeyboardInterrupt", 0
        ("pass", "atexit", "SIGINT", FINISHED),
        ("pass", "atexit", "SIGTERM", FINISHED),
        ("raise ValueError", "atexit", "SIGINT", ENDED),  # the job failed (status 1)
    ],
)
def test_a_signal_after_the_work_is_one_line_and_its_status(tmp_path, work, where, sig, says):
    in_main = KILL.format(sig=sig) if where == "in_main" else "pass"
    setup = f"atexit.register(lambda: {KILL.format(sig=sig)})" if where == "atexit" else ""
    done = _python(PROGRAM.format(work=work, in_main=in_main, setup=setup), tmp_path)
    assert done.returncode == 128 + getattr(signal, sig), done.stderr
    assert done.stderr == f"train.gan: interrupted by {sig} {says}\n"


def test_no_signal_lands_in_the_interpreters_teardown(tmp_path):
    """A signal while Python tore its modules down (0.1-0.3 s with NumPy and matplotlib
    loaded) killed the process silently (status -15): the teardown is no longer run."""
    done = _python(PROGRAM.format(work="pass", in_main="pass", setup="late = Late()"), tmp_path)
    assert (done.returncode, done.stderr) == (0, "")


@pytest.mark.parametrize(
    "launcher, sig", [("train.gan", signal.SIGINT), ("minigrad", signal.SIGTERM)]
)
def test_a_signal_as_a_finished_job_prints_its_last_line(tmp_path, launcher, sig):
    """The reviewer's race, at the job's real end: the line said "while starting; nothing
    was written", or the process died by the signal, or exited 0 with a traceback."""
    out = tmp_path / "run"
    head = ["-m", "train.gan"] if launcher == "train.gan" else ["-m", "minigrad", "gan"]
    argv = [sys.executable, *head, *RING, "--steps", "2", "--out", str(out)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cwd = ROOT if launcher == "train.gan" else tmp_path
    child = subprocess.Popen(
        argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    for line in child.stdout:
        if line.startswith("run folder"):
            child.send_signal(sig)
            break
    err = child.stderr.read()
    status = child.wait(timeout=60)
    said = [x for x in err.splitlines() if x.startswith("train.gan: ")]
    name = signal.Signals(sig).name
    assert status in (0, 128 + sig), err  # 0: it had exited when the signal came
    assert "Traceback" not in err and "nothing was written" not in err, err
    if status:
        assert said == [
            f"train.gan: interrupted by {name} after it finished; all it wrote is complete"
        ]
    assert common.load_checkpoint(out)["state"]["step"] == 2


# ---------------------------------------------------------------- 2. bounds
@pytest.mark.parametrize(
    "flag, value, bound",
    [
        ("--toy-scale", "1e-300", "[0.001, 1000]"),
        ("--toy-scale", "0.0009", "[0.001, 1000]"),
        ("--toy-scale", "1e6", "[0.001, 1000]"),
        ("--instance-noise", "1e308", "[0, 1000]"),
        ("--instance-noise", "1000.5", "[0, 1000]"),
    ],
)
def test_toy_scale_and_instance_noise_are_bounded(capsys, flag, value, bound):
    """--toy-scale 1e-300 and --instance-noise 1e308 trained into inf and an error naming
    neither flag (a NumPy overflow warning first)."""
    with pytest.raises(SystemExit) as exit_:
        gan.build_parser().parse_args([*RING, flag, value])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {flag}: must be a finite number in {bound}, got {value}" in err


def test_a_negative_instance_noise_keeps_its_message(capsys):
    with pytest.raises(SystemExit):
        gan.build_parser().parse_args([*RING, "--instance-noise", "-1"])
    assert "argument --instance-noise: must be a finite number >= 0, got -1" in (
        capsys.readouterr().err
    )


def test_the_bounds_themselves_are_taken():
    args = gan.build_parser().parse_args(
        [*RING, "--toy-scale", "0.001", "--instance-noise", "1000"]
    )
    assert (args.toy_scale, args.instance_noise) == (0.001, 1000.0)
    args = gan.build_parser().parse_args([*RING, "--toy-scale", "1000"])
    assert args.toy_scale == 1000.0


# ---------------------------------------------------------------- 3. pictures after the commit
@pytest.fixture
def digits(tmp_path):
    """A one-epoch MLP run on an images/labels npz of 32 digits (2 batches an epoch)."""
    data = random_digits(tmp_path / "digits.npz", n=32)
    argv = ["--model", "mlp", "--data-dir", str(data), "--batch-size", "16", "--hidden", "8"]
    return argv + ["--eval-samples", "0", "--device", "cpu"]


def _full_disk(monkeypatch):
    def full(path, state):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(common, "save_checkpoint", full)


def test_a_failed_checkpoint_leaves_no_picture_of_its_epoch(digits, tmp_path, monkeypatch, capsys):
    run = tmp_path / "run"
    assert gan.main(digits + ["--epochs", "1", "--out", str(run)]) == 0
    grid = (run / "samples.png").read_bytes()
    real = common.save_checkpoint
    _full_disk(monkeypatch)
    capsys.readouterr()
    assert gan.main(["--resume", str(run), "--epochs", "2"]) == 1
    assert "the disk is full" in capsys.readouterr().err
    assert sorted(p.name for p in (run / "samples").iterdir()) == ["epoch_001.png"]
    assert (run / "samples.png").read_bytes() == grid
    monkeypatch.setattr(common, "save_checkpoint", real)
    assert gan.main(["--resume", str(run), "--epochs", "2"]) == 0
    assert sorted(p.name for p in (run / "samples").iterdir()) == ["epoch_001.png", "epoch_002.png"]


def test_a_first_checkpoint_that_fails_leaves_only_config_json(digits, tmp_path, monkeypatch):
    """As the docs say of a run that fails before its first checkpoint."""
    run = tmp_path / "run"
    _full_disk(monkeypatch)
    assert gan.main(digits + ["--epochs", "1", "--out", str(run)]) == 1
    assert sorted(p.name for p in run.iterdir()) == ["config.json"]


def test_the_pictures_are_drawn_after_the_checkpoint(digits, tmp_path, monkeypatch):
    done = []
    real_save, real_grid = common.save_checkpoint, common.write_image_grid
    monkeypatch.setattr(
        common, "save_checkpoint", lambda *a: done.append("checkpoint") or real_save(*a)
    )
    monkeypatch.setattr(
        common, "write_image_grid", lambda p, *a, **k: done.append(p.name) or real_grid(p, *a, **k)
    )
    assert gan.main(digits + ["--epochs", "1", "--out", str(tmp_path / "run")]) == 0
    assert done == ["checkpoint", "epoch_001.png", "samples.png"]


def test_losses_png_shows_the_committed_epochs(tmp_path, monkeypatch):
    drawn = []
    monkeypatch.setattr(common, "plot_curves", lambda path, records, *a, **k: drawn.append(records))
    run = tmp_path / "run"
    assert gan.main(RING + ["--steps", "4", "--out", str(run)]) == 0
    assert [[r["epoch"] for r in records] for records in drawn] == [[1], [1, 2]]
    assert drawn[-1] == common.read_jsonl(run / "metrics.jsonl")


# ---------------------------------------------------------------- 4. the readers' log repair
@pytest.fixture
def ring_run(tmp_path):
    run = tmp_path / "g"
    assert gan.main(RING + ["--steps", "4", "--out", str(run)]) == 0
    return run


EXTRA = {"epoch": 3, "step": 6, "seconds": 0.1, "d_loss": 1.0, "g_loss": 1.0}


@pytest.mark.parametrize("job", ["sample", "evaluate"])
def test_a_reader_writes_a_missing_log_from_the_checkpoint(ring_run, tmp_path, capsys, job):
    """A log that is missing is written from the checkpoint's history, as --resume does
    (the short log keeps its own words: the next test)."""
    log = ring_run / "metrics.jsonl"
    history = common.load_checkpoint(ring_run)["log"]
    log.unlink()
    capsys.readouterr()
    _read(job, ring_run, tmp_path)
    out = capsys.readouterr().out
    assert f"{log}: rewritten from the checkpoint's history (it was missing)" in out
    assert common.read_jsonl(log) == history
    assert not (ring_run / ".lock").exists()


def _read(job, run, tmp_path):
    if job == "sample":
        assert sample.main([str(run), "--n", "2", "--out", str(tmp_path / "s.npz")]) == 0
    else:
        assert evaluate.main([str(run), "--n", "100", "--device", "cpu"]) == 0


@pytest.mark.parametrize(
    "damage, says",
    [
        (
            lambda log: log.write_text(log.read_text() + json.dumps(EXTRA) + "\n"),
            "it held 3 records, not the checkpoint's 2",
        ),
        (
            lambda log: log.write_text("\n".join(log.read_text().splitlines()[::-1]) + "\n"),
            "its 2 records differed from the checkpoint's",
        ),
    ],
)
@pytest.mark.parametrize("job", ["sample", "evaluate"])
def test_a_reader_deletes_no_record_and_says_the_log_differs(
    ring_run, tmp_path, capsys, damage, says, job
):
    """A log holding more or other records than the checkpoint (an earlier checkpoint put
    back to sample from it: the later epochs' records) is left as it is by the jobs that
    only read the run, with one line naming the difference; --resume rewrites it."""
    log = ring_run / "metrics.jsonl"
    damage(log)
    before = log.read_bytes()
    capsys.readouterr()
    _read(job, ring_run, tmp_path)
    out = capsys.readouterr().out
    assert f"{log}: left as it is, though it differs from the checkpoint's history ({says})" in out
    assert "--resume rewrites it" in out
    assert log.read_bytes() == before
    assert not (ring_run / ".lock").exists()


def test_a_short_log_is_still_restored_in_the_same_words(ring_run, tmp_path, capsys):
    log = ring_run / "metrics.jsonl"
    log.write_text(log.read_text().splitlines()[0] + "\n")
    capsys.readouterr()
    assert sample.main([str(ring_run), "--n", "2", "--out", str(tmp_path / "s.npz")]) == 0
    assert "restored from the checkpoint's history (1 of 2 records" in capsys.readouterr().out


def test_a_live_runs_log_is_left_to_it(ring_run, tmp_path, capsys):
    """A run holding the folder writes its own log: a reader that loaded an older
    checkpoint must not cut a newer log back to its history."""
    log = ring_run / "metrics.jsonl"
    log.write_text(log.read_text() + json.dumps(EXTRA) + "\n")
    before = log.read_text()
    lock = scaffold.RunLock(ring_run)
    lock.acquire()
    try:
        assert sample.main([str(ring_run), "--n", "2", "--out", str(tmp_path / "s.npz")]) == 0
    finally:
        lock.release()
    assert log.read_text() == before and "rewritten" not in capsys.readouterr().out


def test_an_intact_log_is_left_unsaid(ring_run, tmp_path, capsys):
    before = (ring_run / "metrics.jsonl").read_bytes()
    capsys.readouterr()
    assert sample.main([str(ring_run), "--n", "2", "--out", str(tmp_path / "s.npz")]) == 0
    assert "history" not in capsys.readouterr().out
    assert (ring_run / "metrics.jsonl").read_bytes() == before


# ---------------------------------------------------------------- 5. another model's checkpoint
def test_a_checkpoint_of_another_model_is_refused_naming_model(ring_run, tmp_path, capsys):
    """config.json says dcgan, the checkpoint holds an MLP: train.sample named four lesser
    keys, hid "model" in "(and N more)" and sampled the checkpoint's model with status 0."""
    config = ring_run / "config.json"
    settings = json.loads(config.read_text())
    settings.update(model="dcgan", lr=0.5, nz=7, hidden=99, pack=3, ema=0.5)
    config.write_text(json.dumps(settings))
    log_before = (ring_run / "metrics.jsonl").read_bytes()
    out = tmp_path / "s.npz"
    capsys.readouterr()
    assert sample.main([str(ring_run), "--n", "2", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    checkpoint = ring_run / "checkpoint.npz"
    assert f"{config} disagrees with the settings inside {checkpoint}: " in err
    assert '"model" is "dcgan" there, "mlp" in the checkpoint' in err
    assert err.count("\n") == 1 and not out.exists()
    assert (ring_run / "metrics.jsonl").read_bytes() == log_before


def test_other_edited_keys_are_still_only_said(ring_run, tmp_path, capsys):
    config = ring_run / "config.json"
    config.write_text(json.dumps({**json.loads(config.read_text()), "lr": 0.5}))
    capsys.readouterr()
    assert sample.main([str(ring_run), "--n", "2", "--out", str(tmp_path / "s.npz")]) == 0
    assert '"lr" is 0.5 there' in capsys.readouterr().err


def test_resume_names_the_job_a_checkpoint_belongs_to(ring_run, capsys):
    """A train.metric checkpoint in a train.gan run: the resume first said config.json's
    open keys were taken from it, then refused key by key, never naming train.metric."""
    config = ring_run / "config.json"
    settings = json.loads(config.read_text())
    config.write_text(json.dumps({**settings, "epochs": None}))
    before = config.read_bytes()
    edit_checkpoint(ring_run, lambda saved: saved["state"].update(net=saved["state"].pop("G")))
    capsys.readouterr()
    assert gan.main(["--resume", str(ring_run)]) == 1
    err = capsys.readouterr().err
    assert err == (
        f"train.gan: error: --resume {ring_run}: {ring_run / 'checkpoint.npz'} is a train.metric "
        f"checkpoint, but its config.json is a train.gan run's; put the run's own "
        "checkpoint back, or give the folder to the job it belongs to\n"
    )
    assert config.read_bytes() == before


# ---------------------------------------------------------------- 6. --train-classes as a set
def test_train_classes_in_another_spelling_is_no_change(tmp_path, capsys):
    run = tmp_path / "m"
    argv = ["--model", "siamese", "--train-classes", "0-4", "--batch-size", "16"]
    argv += ["--channels", "4", "--embedding-dim", "8", "--epochs", "1", "--steps", "2"]
    assert metric.main(argv + ["--device", "cpu", "--out", str(run)]) == 0
    before = (run / "config.json").read_bytes()
    for same in ("0,1,2,3,4", "0-2,3-4", "4,3,2,1,0", "0-4"):
        assert metric.main(["--resume", str(run), "--train-classes", same]) == 0, same
    assert (run / "config.json").read_bytes() == before
    capsys.readouterr()
    assert metric.main(["--resume", str(run), "--train-classes", "0-3"]) == 1
    assert "--train-classes 0-3: the run in" in capsys.readouterr().err


def test_same_setting_compares_digits_only_for_train_classes():
    assert metric.same_setting("train_classes", "0-4", "4,0-3")
    assert not metric.same_setting("train_classes", "0-4", "0-5")
    assert not metric.same_setting("train_classes", "0-4", "bogus")
    assert not metric.same_setting("margin", "0-4", "0,1,2,3,4")


def test_only_a_plain_python_m_run_skips_the_teardown(tmp_path):
    """end_process skips the interpreter's teardown only where the job is all the process
    runs: not under a profiler or for a program that runs the job with runpy (its profile
    or its own next lines would be lost)."""
    import subprocess
    import sys

    root = str(Path(__file__).resolve().parents[2])
    (tmp_path / "probe_job.py").write_text(
        f"import sys\nsys.path.insert(0, {root!r})\nfrom train.common import _runs_alone\n"
        "if __name__ == '__main__':\n    print('alone', _runs_alone())\n"
    )
    runs = {
        "plain": [sys.executable, "-m", "probe_job"],
        "profiled": [sys.executable, "-m", "cProfile", "-m", "probe_job"],
        "runpy": [
            sys.executable,
            "-c",
            "import runpy; runpy.run_module('probe_job', run_name='__main__')",
        ],
    }
    # minigrad.jobs's launchers: a console script (as pip writes `minigrad-JOB`) runs the
    # job alone; a program of the user's that calls minigrad.jobs.run goes on after it
    launch = (
        f"import sys\nsys.path.insert(0, {root!r})\nimport minigrad.jobs as jobs\n"
        "jobs.JOBS['probe'] = 'probe_job'\njobs.run('probe', [], 'minigrad-probe')\n"
    )
    for script in ("minigrad-probe", "my_program.py"):
        (tmp_path / script).write_text(launch)
        runs[script] = [sys.executable, script]
    said = {}
    for name, cmd in runs.items():
        env = {**os.environ, "PYTHONPATH": str(tmp_path)}
        out = subprocess.run(
            cmd, cwd=tmp_path, capture_output=True, text=True, timeout=120, env=env
        )
        said[name] = [x for x in out.stdout.splitlines() if x.startswith("alone")]
    assert said == {
        "plain": ["alone True"],
        "profiled": ["alone False"],
        "runpy": ["alone False"],
        "minigrad-probe": ["alone True"],
        "my_program.py": ["alone False"],
    }
