"""Round 17 of the hostile tests of the train/ jobs (tiny runs): --eval-samples sets how
many points a 2-D run scores; a resume takes --betas at the value the run's objective gave
it; checkpoints get a plain file's permissions; train.sample and train.embed refuse output
names whose suffix is not the format they write; a bare resume of a finished run says so."""

import json
import os
from pathlib import Path

import numpy as np
import pytest

from train import common, gan, sample

RING = "--dataset ring --hidden 8 --layers 1 --batch-size 16 --steps-per-epoch 2 --epochs 1"
RING = RING.split() + ["--device", "cpu"]


pytestmark = pytest.mark.usefixtures("quick_pictures")


def _log(run):
    return [json.loads(line) for line in (Path(run) / "metrics.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("n,expected", [(100, 100), (None, 2500), (3000, 3000)])
def test_eval_samples_sets_the_points_a_2d_run_scores(tmp_path, monkeypatch, n, expected):
    seen = []
    real = gan.mode_coverage

    def counting(points, *args, **kwargs):
        seen.append(len(points))
        return real(points, *args, **kwargs)

    monkeypatch.setattr(gan, "mode_coverage", counting)
    flags = [] if n is None else ["--eval-samples", str(n)]
    assert gan.main(RING + flags + ["--out", str(tmp_path / "run")]) == 0
    assert seen == [expected]
    assert json.loads((tmp_path / "run" / "config.json").read_text())["eval_samples"] == expected
    high = _log(tmp_path / "run")[0]["high_quality"]
    assert high * expected == pytest.approx(round(high * expected))  # a share of n points


def test_the_scored_points_are_the_pictures_first(tmp_path, monkeypatch):
    """With 100 points scored, they are the first 100 of the 2,500 the picture shows."""
    got = {}
    real = gan.mode_coverage

    def keep(points, *args, **kwargs):
        got.setdefault("points", []).append(np.array(points))
        return real(points, *args, **kwargs)

    monkeypatch.setattr(gan, "mode_coverage", keep)
    drawn = []
    monkeypatch.setattr(
        common, "scatter_plot", lambda path, real, fake, *a, **k: drawn.append(fake)
    )
    assert gan.main(RING + ["--eval-samples", "100", "--out", str(tmp_path / "run")]) == 0
    np.testing.assert_array_equal(got["points"][0], np.asarray(drawn[0])[:100])


def test_resume_takes_betas_at_the_objectives_value(tmp_path, capsys):
    run = str(tmp_path / "run")
    assert gan.main(RING + ["--eval-samples", "0", "--out", run]) == 0
    capsys.readouterr()
    assert gan.main(["--resume", run, "--betas", "0.5", "0.999"]) == 0
    assert "already finished" in capsys.readouterr().err
    assert gan.main(["--resume", run, "--betas", "0.5", "0.99"]) == 1
    err = capsys.readouterr().err
    assert "--betas" in err and "0.999" in err


def test_resume_of_a_finished_run_says_it_trained_nothing(tmp_path, capsys):
    run = str(tmp_path / "run")
    assert gan.main(RING + ["--eval-samples", "0", "--out", run]) == 0
    before = (Path(run) / "checkpoint.npz").read_bytes(), _log(run)
    capsys.readouterr()
    assert gan.main(["--resume", run]) == 0
    err = capsys.readouterr().err
    assert "already finished (epoch 1, step 2)" in err and "nothing to train" in err
    assert ((Path(run) / "checkpoint.npz").read_bytes(), _log(run)) == before
    assert gan.main(["--resume", run, "--epochs", "2"]) == 0  # a longer run still trains
    assert [r["epoch"] for r in _log(run)] == [1, 2]
    assert "already finished" not in capsys.readouterr().err


def test_checkpoints_get_a_plain_files_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        run = tmp_path / "run"
        assert gan.main(RING + ["--eval-samples", "0", "--out", str(run)]) == 0
        assert (run / "checkpoint.npz").stat().st_mode & 0o777 == 0o644
        os.umask(0o077)
        assert gan.main(RING + ["--eval-samples", "0", "--out", str(tmp_path / "private")]) == 0
        assert (tmp_path / "private" / "checkpoint.npz").stat().st_mode & 0o777 == 0o600
    finally:
        os.umask(old)


@pytest.mark.parametrize(
    "flags,refused",
    [
        (["--out", "s.txt"], "--out"),
        (["--out", "s"], "--out"),
        (["--out", "s.npz", "--png", "grid.jpg"], "--png"),
        (["--out", "s.NPZ"], None),
    ],
)
def test_sample_outputs_must_be_named_for_their_format(
    tmp_path, capsys, monkeypatch, flags, refused
):
    run = str(tmp_path / "run")
    assert gan.main(RING + ["--eval-samples", "0", "--out", run]) == 0
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    status = sample.main([run, "--n", "4", "--device", "cpu", *flags])
    err = capsys.readouterr().err
    if refused is None:
        assert status == 0 and Path(flags[1]).is_file()
    else:
        assert status == 1 and refused in err and "format" in err
        assert not any(Path(tmp_path).glob(flags[-1]))


def test_python_dash_m_train_lists_and_runs_the_jobs(tmp_path):
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    shown = subprocess.run(
        [sys.executable, "-m", "train", "--help"], cwd=root, env=env, capture_output=True, text=True
    )
    assert shown.returncode == 0
    assert "gan,metric,sample,latent,evaluate,embed" in shown.stdout
    job = subprocess.run(
        [sys.executable, "-m", "train", "sample", "--help"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )
    assert job.returncode == 0 and "usage: python -m train sample" in job.stdout
    bare = subprocess.run([sys.executable, "-m", "train"], cwd=root, env=env, capture_output=True)
    assert bare.returncode == 2 and b"required: job" in bare.stderr
