"""Round 5 of the hostile tests of the train/ jobs (tiny runs): a config.json edited to
disagree with its checkpoint is refused by key; a train.gan --steps run records no default
--epochs; a run interrupted right after its last step at an epoch's end still writes that
epoch's record on resume; the `minigrad-JOB` launchers answer a Ctrl-C while they load
with one line."""

import ast
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from train import common, gan

RING = "--dataset ring --hidden 8 --batch-size 32 --steps-per-epoch 1 --eval-samples 0"
RING = RING.split() + ["--device", "cpu"]
ROOT = Path(__file__).resolve().parents[2]


pytestmark = pytest.mark.usefixtures("quick_pictures")


def _config(run):
    return json.loads((Path(run) / "config.json").read_text())


def _weights(run):
    state = common.load_checkpoint(run)["state"]
    return {k: np.asarray(v.numpy()) for k, v in state["G"].items()}


def _log(run):
    return [
        {k: v for k, v in r.items() if k != "seconds"}
        for r in common.read_jsonl(Path(run) / "metrics.jsonl")
    ]


# ---------------------------------------------------------------------- known gap 1
@pytest.mark.parametrize(
    "edit, shown",
    [
        ({"lr": 0.5}, '"lr" is 0.5 there, null in the checkpoint'),
        ({"pack": 2}, '"pack" is 2 there, 4 in the checkpoint'),
        ({"steps": 1}, '"steps" is 1 there, 2 in the checkpoint'),  # shorter
        ({"seed": 7, "nz": 3}, '"nz" is 3 there, 2 in the checkpoint'),
    ],
)
def test_a_config_edited_against_its_checkpoint_is_refused_by_key(tmp_path, capsys, edit, shown):
    run = tmp_path / "run"
    assert gan.main(RING + ["--steps", "2", "--out", str(run)]) == 0
    config = {**_config(run), **edit}
    (run / "config.json").write_text(json.dumps(config))
    before = (run / "checkpoint.npz").read_bytes()
    capsys.readouterr()
    assert gan.main(["--resume", str(run), "--steps", "3"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"{run / 'config.json'} disagrees with the settings inside" in err and shown in err
    assert (run / "checkpoint.npz").read_bytes() == before
    assert _config(run) == config  # nothing changed


def test_a_config_ahead_of_its_checkpoint_by_an_allowed_change_resumes(tmp_path, capsys):
    """A resume records a longer --steps (or another --device) in config.json before its
    next checkpoint commits it; killed in between, the folder still resumes."""
    run = tmp_path / "run"
    assert gan.main(RING + ["--steps", "2", "--out", str(run)]) == 0
    config = {**_config(run), "steps": 4, "device": "auto"}
    (run / "config.json").write_text(json.dumps(config))
    assert gan.main(["--resume", str(run)]) == 0
    assert common.load_checkpoint(run)["state"]["step"] == 4


# ---------------------------------------------------------------------- known gap 2
def test_a_steps_run_records_no_default_epochs(tmp_path, capsys):
    run = tmp_path / "run"
    assert gan.main(RING + ["--steps", "2", "--out", str(run)]) == 0
    assert (_config(run)["epochs"], _config(run)["steps"]) == (None, 2)
    assert common.load_checkpoint(run)["args"]["epochs"] is None
    # the MLP recipe's 100 epochs are not its length either
    digits = ["--model", "mlp", "--hidden", "8", "--batch-size", "8", "--eval-samples", "0"]
    data = tmp_path / "d.npz"
    rng = np.random.default_rng(0)
    np.savez(data, images=rng.integers(0, 256, (16, 28, 28), np.uint8), labels=np.arange(16) % 10)
    mlp = tmp_path / "mlp"
    argv = digits + ["--data-dir", str(data), "--device", "cpu", "--steps", "1", "--out", str(mlp)]
    assert gan.main(argv) == 0
    assert _config(mlp)["epochs"] is None
    # the run extends by --steps; --epochs is refused naming it; a bare resume changes nothing
    assert gan.main(["--resume", str(run), "--steps", "3"]) == 0
    capsys.readouterr()
    assert gan.main(["--resume", str(run), "--epochs", "30"]) == 1
    assert "extend it with --steps N" in capsys.readouterr().err
    assert gan.main(["--resume", str(run)]) == 0
    assert (_config(run)["epochs"], _config(run)["steps"]) == (None, 3)
    # an explicit --epochs beside --steps is what the user wrote, and kept
    both = tmp_path / "both"
    assert gan.main(RING + ["--epochs", "5", "--steps", "1", "--out", str(both)]) == 0
    assert _config(both)["epochs"] == 5


# ---------------------------------------------------------------------- finding 1
def test_an_interrupt_after_the_last_step_at_an_epoch_end_keeps_its_record(tmp_path, monkeypatch):
    """SIGINT during the batch that both ends an epoch and reaches --steps: the saved state
    is 'all batches done, epoch not closed'; the resume must close it (record, pictures) as
    the uninterrupted run did, not see the run as finished and drop the last record."""
    ref, run = tmp_path / "ref", tmp_path / "run"
    argv = RING + ["--steps", "2"]
    assert gan.main(argv + ["--out", str(ref)]) == 0
    real = gan.Run.train_batch_

    def interrupted_at_the_end(self):
        stats = real(self)
        if self.step == 2:
            os.kill(os.getpid(), signal.SIGINT)
        return stats

    monkeypatch.setattr(gan.Run, "train_batch_", interrupted_at_the_end)
    assert gan.main(argv + ["--out", str(run)]) == 130
    monkeypatch.setattr(gan.Run, "train_batch_", real)
    assert gan.main(["--resume", str(run)]) == 0
    assert _log(run) == _log(ref) and [r["epoch"] for r in _log(run)] == [1, 2]
    a, b = common.load_checkpoint(ref)["state"], common.load_checkpoint(run)["state"]
    assert (a["epoch"], a["batch"]) == (b["epoch"], b["batch"]) == (2, 0)
    assert all(np.array_equal(x, _weights(run)[k]) for k, x in _weights(ref).items())


# ---------------------------------------------------------------------- known gap 3
SELF_INTERRUPT = "import os, signal, time\nos.kill(os.getpid(), signal.{sig})\ntime.sleep(30)\n"


def _launcher() -> str:
    """setup.py's LAUNCHER, the text of the `minigrad-JOB` scripts, read without setup()."""
    tree = ast.parse((ROOT / "setup.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "LAUNCHER":
            return ast.literal_eval(node.value)
    raise AssertionError("setup.py has no LAUNCHER")


@pytest.mark.parametrize("sig, status", [("SIGINT", 130), ("SIGTERM", 143)])
def test_the_launcher_says_one_line_when_interrupted_while_minigrad_loads(tmp_path, sig, status):
    """Ctrl-C while `minigrad-gan` imports minigrad (NumPy: most of its start-up): here a
    stand-in minigrad that interrupts itself on import. A console_scripts wrapper printed
    a traceback from inside the import."""
    script = tmp_path / "minigrad-gan"
    script.write_text(_launcher().format(job="gan"), encoding="utf-8")
    fake = tmp_path / "fake" / "minigrad"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text(SELF_INTERRUPT.format(sig=sig))
    env = dict(os.environ, PYTHONPATH=str(fake.parent))
    done = subprocess.run(
        [sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == status, done.stderr
    assert (
        done.stderr == f"minigrad-gan: interrupted by {sig} while starting; nothing was written\n"
    )


def test_the_launcher_says_one_line_when_interrupted_while_the_job_loads(tmp_path):
    """`minigrad.jobs.run`, as `python -m minigrad gan` and older installs' wrappers call
    it: a Ctrl-C while the job's modules import is one line too."""
    (tmp_path / "slowjob.py").write_text(SELF_INTERRUPT.format(sig="SIGINT"))
    code = (
        "import sys\nfrom minigrad import jobs\n"
        f"jobs.JOBS['gan'] = 'slowjob'\njobs.jobs_root = lambda: {str(tmp_path)!r}\n"
        "jobs.gan()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 130, done.stderr
    assert (
        done.stderr == "minigrad-gan: interrupted by SIGINT while starting; nothing was written\n"
    )
