"""The output guards of the jobs, after round 4 of hostile testing: --overwrite replaces a
run and never a user's files; --train-classifier replaces only classifier weights; a run
may not write into its own --data-dir; the same output written twice inside a run folder
is allowed; a FIFO is refused instead of blocking; another tool's metrics.jsonl does not
make a folder a run."""

import os

import numpy as np
import pytest
from tiny_runs import RING

from train import classifier, common, evaluate, gan, latent, sample

pytestmark = pytest.mark.usefixtures("quick_pictures")


@pytest.fixture
def ring(tmp_path):
    run = tmp_path / "ring"
    assert gan.main(RING + ["--steps", "2", "--out", str(run)]) == 0
    return run


def test_overwrite_refuses_a_folder_that_holds_no_run(tmp_path, capsys):
    home = tmp_path / "home"
    (home / "samples").mkdir(parents=True)
    (home / "config.json").write_text('{"editor": "vim"}')
    (home / "samples" / "wedding.png").write_bytes(b"photo")
    for extra in ([], ["--overwrite"]):
        assert gan.main(RING + ["--steps", "2", "--out", str(home), *extra]) == 1
        assert "no run" in capsys.readouterr().err
    assert (home / "samples" / "wedding.png").read_bytes() == b"photo"
    assert (home / "config.json").read_text() == '{"editor": "vim"}'


def test_overwrite_refuses_a_users_file_inside_a_runs_samples(ring, capsys):
    (ring / "samples").mkdir(exist_ok=True)
    (ring / "samples" / "wedding.png").write_bytes(b"photo")
    assert gan.main(RING + ["--steps", "2", "--out", str(ring), "--overwrite"]) == 1
    assert "wedding.png was not written by a job" in capsys.readouterr().err
    assert (ring / "samples" / "wedding.png").read_bytes() == b"photo"
    (ring / "samples" / "wedding.png").unlink()
    assert gan.main(RING + ["--steps", "2", "--out", str(ring), "--overwrite"]) == 0


def test_train_classifier_replaces_only_classifier_weights(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(classifier, "train_classifier", lambda *a, **k: pytest.fail("trained"))
    thesis = tmp_path / "thesis.txt"
    thesis.write_text("my thesis")
    assert evaluate.main(["--train-classifier", str(thesis)]) != 0
    assert "already exists and is not an earlier output" in capsys.readouterr().err
    assert thesis.read_text() == "my thesis"
    assert evaluate._classifier_file(classifier.shipped_path())
    assert not evaluate._classifier_file(thesis)


def test_a_run_may_not_write_into_its_data_folder(tmp_path, capsys):
    from PIL import Image

    pics = tmp_path / "pics"
    pics.mkdir()
    rng = np.random.default_rng(0)
    for i in range(8):
        Image.fromarray(rng.integers(0, 255, (40, 40, 3), dtype=np.uint8)).save(pics / f"{i}.png")
    argv = ["--dataset", "folder", "--data-dir", str(pics), "--out", str(pics / "runs" / "x")]
    argv += ["--image-size", "32", "--batch-size", "4", "--steps", "1", "--device", "cpu"]
    assert gan.main(argv) == 1
    assert "is inside --data-dir" in capsys.readouterr().err
    assert not (pics / "runs").exists()  # refused before the folder was made


def test_sampling_twice_into_the_same_file_in_the_run_folder(ring):
    out = ring / "mine.npz"
    for _ in range(2):
        assert sample.main([str(ring), "--n", "4", "--device", "cpu", "--out", str(out)]) == 0


def test_a_fifo_is_refused_not_opened(ring, tmp_path, capsys):
    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)
    assert sample.main([str(ring), "--n", "4", "--device", "cpu", "--out", str(fifo)]) == 1
    assert "not a regular file" in capsys.readouterr().err
    pictures = tmp_path / "pictures"
    pictures.mkdir()
    os.mkfifo(pictures / "latent_map.png")  # a picture name of train.latent's
    assert latent.main([str(ring), "--out", str(pictures), "--device", "cpu"]) == 1
    assert "latent_map.png" in capsys.readouterr().err


def test_another_tools_log_does_not_make_a_run_folder(tmp_path):
    (tmp_path / "metrics.jsonl").write_text("{}\n")
    target = tmp_path / "plots" / "out.png"
    assert common.run_folder_of(target) is None


def test_sample_png_replaces_only_its_own_grid(tmp_path, capsys):
    """--png may replace an earlier --png of train.sample's, never another job's picture
    (a GAN run's samples.png or a figure copied into a paper folder)."""
    data = tmp_path / "digits.npz"
    rng = np.random.default_rng(0)
    np.savez(
        data, images=rng.integers(0, 256, (40, 28, 28), dtype=np.uint8), labels=np.arange(40) % 10
    )
    run = tmp_path / "d"
    digits = ["--model", "mlp", "--hidden", "8", "--batch-size", "8", "--latent-components", "0"]
    digits += ["--eval-samples", "0", "--device", "cpu", "--data-dir", str(data)]
    assert gan.main(digits + ["--steps", "1", "--out", str(run)]) == 0
    out, png = tmp_path / "s.npz", tmp_path / "grid.png"
    argv = [str(run), "--n", "4", "--device", "cpu", "--out", str(out), "--png", str(png)]
    assert sample.main(argv) == 0
    assert sample.main(argv) == 0  # its own grid: replaced
    assert common.png_of_a_job(png, "train.sample") and common.png_of_a_job(png)
    paper = tmp_path / "figure3.png"
    common.write_image_grid(paper, np.zeros((4, 28, 28), np.uint8))  # another job's grid
    assert common.png_of_a_job(paper) and not common.png_of_a_job(paper, "train.sample")
    argv[-1] = str(paper)
    assert sample.main(argv) == 1
    assert "not an earlier output of this job" in capsys.readouterr().err


def test_an_ignored_sigint_stays_ignored(tmp_path):
    """A shell starts a script's `job &` with SIGINT ignored; a Ctrl-C meant for the
    script must not stop the job (it used to install its own handler and stop)."""
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    out = tmp_path / "bg"
    argv = [sys.executable, "-m", "train.gan", *RING, "--steps", "100", "--out", str(out)]
    proc = subprocess.Popen(
        argv,
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    time.sleep(1.5)
    proc.send_signal(signal.SIGINT)
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=240)
    assert proc.returncode == 0, err.decode()
    assert common.load_checkpoint(out)["state"]["step"] == 100
