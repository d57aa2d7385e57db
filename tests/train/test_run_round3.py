"""Round 3 of the hostile tests of the train/ jobs (one test per problem, tiny runs):
outputs never land on a user's file, another run's files or the run's own training data;
bad --data-dir images, labels and flags are refused by name at start; stale results go
when a newer checkpoint is committed; Ctrl-C/SIGTERM outside the loop is one line; flags
with no effect and --steps past --epochs are refused; corrupt (NaN) checkpoints are
refused by name; clearer errors."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from tiny_runs import RING
from tiny_runs import random_digits as _digits

import minigrad as mg
from train import classifier, common, evaluate, gan, latent, metric, sample
from train import run as scaffold

DIGITS = ["--model", "mlp", "--hidden", "8", "--batch-size", "8", "--latent-components", "0"]
DIGITS += ["--eval-samples", "0", "--device", "cpu"]
ROOT = Path(__file__).resolve().parents[2]


pytestmark = pytest.mark.usefixtures("quick_pictures")


@pytest.fixture
def ring(tmp_path):
    run = tmp_path / "ring"
    assert gan.main(RING + ["--steps", "2", "--out", str(run)]) == 0
    return run


@pytest.fixture
def digits(tmp_path):
    """A digit run (--model mlp, 1 step) on its own --data-dir file."""
    data = _digits(tmp_path / "victim.npz")
    run = tmp_path / "d"
    argv = DIGITS + ["--data-dir", str(data), "--steps", "1", "--out", str(run)]
    assert gan.main(argv) == 0
    return run, data


def _sample(run, *argv):
    return sample.main([str(run), "--n", "4", "--device", "cpu", *argv])


# ---------------------------------------------------------------------- 2. outputs
def test_sample_and_latent_never_replace_user_files_other_runs_or_the_training_data(
    digits, ring, tmp_path, capsys
):
    run, data = digits
    before = data.read_bytes()
    (ring / "samples.png").write_bytes(b"picture")
    (ring / "losses.png").write_bytes(b"curves")
    mine = tmp_path / "notes.npz"
    mine.write_bytes(b"user file")
    for argv, named in [
        (["--out", str(data)], f"--out {data} is the training data"),
        (["--out", str(mine)], f"--out {mine} already exists"),
        (["--out", str(tmp_path / "o.npz"), "--png", str(ring / "samples.png")], "--png"),
        (["--out", str(ring / "losses.png")], f"--out {ring / 'losses.png'}"),
    ]:
        assert _sample(run, *argv) == 1, argv
        err = capsys.readouterr().err
        assert named in err and "Traceback" not in err, err
    assert data.read_bytes() == before and mine.read_bytes() == b"user file"
    assert (ring / "samples.png").read_bytes() == b"picture"
    # the same name for both outputs is named as the --out file, not "the input file"
    same = tmp_path / "o4.npz"
    assert _sample(run, "--out", str(same), "--png", str(same)) == 1
    assert f"--png {same} is also the --out file" in capsys.readouterr().err
    # this job's own earlier output is replaced (samples and picture)
    out, png = tmp_path / "s.npz", tmp_path / "s.png"
    assert _sample(run, "--out", str(out), "--png", str(png)) == 0
    assert _sample(run, "--out", str(out), "--png", str(png), "--seed", "1") == 0
    # train.latent: not into another run's folder, nor over a user's pictures
    assert latent.main([str(run), "--out", str(ring), "--device", "cpu"]) == 1
    assert f"--out {ring} is a run folder" in capsys.readouterr().err
    assert sorted(p.name for p in ring.glob("interp_*")) == []
    pics = tmp_path / "pics"
    pics.mkdir()
    (pics / "nearest.png").write_bytes(b"holiday")
    assert latent.main([str(run), "--out", str(pics), "--device", "cpu", "--rows", "1"]) == 1
    assert "already holds nearest.png" in capsys.readouterr().err
    assert (pics / "nearest.png").read_bytes() == b"holiday"


# ---------------------------------------------------------------------- 3-5. --data-dir
def test_mnist_images_that_are_not_28x28_are_refused_at_start(tmp_path, capsys):
    data = _digits(tmp_path / "size32.npz", size=32)
    assert gan.main(DIGITS + ["--data-dir", str(data), "--out", str(tmp_path / "r")]) == 1
    err = capsys.readouterr().err
    assert f"--data-dir {data}" in err and "32x32" in err and "28x28" in err
    assert not (tmp_path / "r" / "checkpoint.npz").exists()


def test_an_empty_data_dir_is_refused_like_an_empty_out(capsys):
    with pytest.raises(SystemExit) as exc:
        gan.main(DIGITS + ["--data-dir", ""])
    assert exc.value.code == 2
    assert "argument --data-dir: must name a file or folder" in capsys.readouterr().err


@pytest.mark.parametrize("bad, shown", [(265, "label 265"), (-1, "label -1"), (12, "label 12")])
def test_labels_outside_0_9_are_refused_naming_file_and_value(tmp_path, capsys, bad, shown):
    labels = np.where(np.arange(40) % 10 == 9, bad, np.arange(40) % 10).astype(np.int64)
    data = _digits(tmp_path / "lab.npz", labels=labels)
    argv = ["--model", "cgan", "--batch-size", "8", "--eval-samples", "0", "--device", "cpu"]
    assert gan.main(argv + ["--data-dir", str(data), "--out", str(tmp_path / "r")]) == 1
    err = capsys.readouterr().err
    assert str(data) in err and "'labels'" in err and shown in err, err


def test_float_labels_are_refused(tmp_path, capsys):
    data = _digits(tmp_path / "f.npz", labels=(np.arange(40) % 10).astype(np.float32))
    assert gan.main(DIGITS + ["--data-dir", str(data), "--out", str(tmp_path / "r")]) == 1
    assert "float32" in capsys.readouterr().err


def test_a_data_dir_with_no_images_says_so(tmp_path, capsys):
    data = tmp_path / "zero.npz"
    np.savez(data, images=np.zeros((0, 28, 28), np.uint8), labels=np.zeros(0, np.int64))
    assert gan.main(DIGITS + ["--data-dir", str(data), "--out", str(tmp_path / "r")]) == 1
    assert "holds no images" in capsys.readouterr().err


# ---------------------------------------------------------------------- 6. --eval-samples
@pytest.mark.parametrize("n", ["1", "99"])
def test_eval_samples_below_100_is_refused_when_parsed(capsys, n):
    with pytest.raises(SystemExit) as exc:
        gan.main(DIGITS + ["--eval-samples", n])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "argument --eval-samples" in err and "an integer from 100 to" in err


# ---------------------------------------------------------------------- 7. stale results
def test_eval_json_records_its_step_and_goes_when_the_run_moves_on(ring, capsys):
    assert evaluate.main([str(ring), "--n", "100", "--device", "cpu"]) == 0
    assert json.loads((ring / "eval.json").read_text())["step"] == 2
    assert gan.main(["--resume", str(ring), "--steps", "4"]) == 0
    assert not (ring / "eval.json").exists()
    assert "described step 2" in capsys.readouterr().err


def test_metric_figures_of_an_older_checkpoint_go_with_their_pictures(ring):
    (ring / "eval.json").write_text(json.dumps({"epochs": 1, "steps": 2}))
    for name in ("pca.png", "retrieval.png", "curves.png"):
        (ring / name).write_bytes(b"x")
    assert gan.main(["--resume", str(ring), "--steps", "4"]) == 0
    assert not any((ring / n).exists() for n in scaffold.RESULTS)


def test_latent_pictures_of_an_older_checkpoint_go_and_other_files_stay(ring, capsys):
    """train.latent's latent_map.png describes the checkpoint it was drawn from: a resumed
    run that commits a newer step removes it (and says so); a file of the user's stays."""
    assert latent.main([str(ring), "--device", "cpu"]) == 0
    assert (ring / "latent" / "latent_map.png").is_file()
    (ring / "latent" / "mine.png").write_bytes(b"y")
    assert gan.main(["--resume", str(ring), "--steps", "4"]) == 0
    assert not (ring / "latent" / "latent_map.png").exists()
    assert (ring / "latent" / "mine.png").read_bytes() == b"y"
    err = capsys.readouterr().err
    assert "removed latent_map.png: drawn from an older checkpoint than step 4" in err


# ---------------------------------------------------------------------- 8. signals
@pytest.mark.parametrize("sig, status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_at_start_up_is_one_line(tmp_path, monkeypatch, capsys, sig, status):
    def killed(*a, **k):
        os.kill(os.getpid(), sig)
        raise AssertionError("not interrupted")

    monkeypatch.setattr(gan, "build_models", killed)
    assert gan.main(RING + ["--steps", "2", "--out", str(tmp_path / "r")]) == status
    err = capsys.readouterr().err
    assert f"train.gan: interrupted by {signal.Signals(sig).name}" in err
    assert "no checkpoint was written" in err and "Traceback" not in err


@pytest.mark.parametrize("sig, status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_in_sample_or_evaluate_is_one_line(
    ring, tmp_path, monkeypatch, capsys, sig, status
):
    def killed(*a, **k):
        os.kill(os.getpid(), sig)
        raise AssertionError("not interrupted")

    monkeypatch.setattr(sample, "sample_generator", killed)
    assert _sample(ring, "--out", str(tmp_path / "s.npz")) == status
    monkeypatch.setattr(evaluate, "sample_generator", killed)
    assert evaluate.main([str(ring), "--device", "cpu"]) == status
    err = capsys.readouterr().err
    assert err.count(f"interrupted by {signal.Signals(sig).name}") == 2 and "Traceback" not in err


def test_ctrl_c_while_a_job_loads_is_one_line(tmp_path):
    # -X importtime reports each import as it completes: NumPy's comes from train's own
    # `import minigrad`, while python -m train.gan is still loading the job
    argv = [sys.executable, "-X", "importtime", "-m", "train.gan", *RING, "--epochs", "9999"]
    proc = subprocess.Popen(
        argv + ["--out", str(tmp_path / "r")], cwd=ROOT, stderr=subprocess.PIPE, text=True
    )
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if line.split("|")[-1].strip() == "numpy":
            proc.send_signal(signal.SIGINT)
            break
    err = "".join(seen) + proc.communicate(timeout=60)[1]
    assert proc.returncode == 130 and "Traceback" not in err, err[-2000:]
    assert "train.gan: interrupted by SIGINT" in err


# ---------------------------------------------------------------------- 9. no-effect flags
def _gan_args(*argv):
    args = gan.build_parser().parse_args(list(argv))
    gan.fill_defaults(args)
    return args


@pytest.mark.parametrize(
    "argv, named",
    [
        (["--loss", "wgan", "--betas", "0.1", "0.2"], "--betas 0.1 0.2"),
        (["--steps-per-epoch", "7"], "--steps-per-epoch 7"),
        (["--dataset", "folder", "--data-dir", "d", "--eval-samples", "100"], "--eval-samples 100"),
    ],
)
def test_gan_refuses_more_flags_with_no_effect(argv, named):
    with pytest.raises(ValueError, match=named):
        _gan_args(*argv)


@pytest.mark.parametrize("argv", [["--batch-size", "8"], ["--loss-form", "squared"]])
def test_metric_refuses_siamese_flags_for_triplet(argv):
    args = metric.build_parser().parse_args(argv)
    with pytest.raises(ValueError, match=f"{argv[0]} {argv[1]}"):
        metric.fill_defaults(args)
    assert _metric_defaults().batch_size == 64  # the default itself is no refusal


def _metric_defaults():
    args = metric.build_parser().parse_args(["--model", "siamese"])
    metric.fill_defaults(args)
    return args


def test_steps_past_the_last_epoch_is_refused_by_the_metric_job(tmp_path, capsys):
    """In train.metric --steps stops early within --epochs, so one past the last epoch
    would do nothing: refused. (In train.gan --steps is the run's length instead of
    --epochs, as the toy-data recipes use it.)"""
    tiny = ["--channels", "4", "--embedding-dim", "8", "--samples-per-class", "4"]
    tiny += ["--classes-per-batch", "2", "--convs-per-stage", "1", "--device", "cpu"]
    assert (
        metric.main(tiny + ["--epochs", "1", "--steps", "100000", "--out", str(tmp_path / "m")])
        == 1
    )
    assert "--steps 100000 is past the end of the run: --epochs 1" in capsys.readouterr().err


def test_gan_steps_set_the_run_length_beyond_epochs(tmp_path):
    out = tmp_path / "g"
    assert gan.main(RING + ["--epochs", "1", "--steps", "12", "--out", str(out)]) == 0
    records = (out / "metrics.jsonl").read_text().splitlines()
    assert json.loads(records[-1])["step"] == 12, records[-1]


def test_latent_refuses_image_flags_on_a_2d_run(ring, capsys):
    assert latent.main([str(ring), "--rows", "3", "--device", "cpu"]) == 1
    assert "--rows 3 has no use" in capsys.readouterr().err


# ---------------------------------------------------------------------- 11. NaN weights
def test_a_checkpoint_with_nan_weights_is_refused_by_every_reader(ring, tmp_path, capsys):
    saved = mg.load(ring / "checkpoint.npz")
    key = next(iter(saved["state"]["G"]))
    weights = np.asarray(saved["state"]["G"][key].numpy()).copy()
    weights[...] = np.nan
    saved["state"]["G"][key] = weights
    mg.save(saved, ring / "checkpoint.npz")
    ckpt = ring / "checkpoint.npz"
    assert _sample(ring, "--out", str(tmp_path / "s.npz")) == 1
    assert evaluate.main([str(ring), "--device", "cpu"]) == 1
    assert latent.main([str(ring), "--device", "cpu"]) == 1
    assert gan.main(["--resume", str(ring), "--steps", "4"]) == 1
    err = capsys.readouterr().err
    assert err.count(f"{ckpt}") >= 4 and err.count("corrupt") == 4, err
    assert "last good" not in err and not (tmp_path / "s.npz").exists()


# ---------------------------------------------------------------------- 12-13. errors
def test_resume_given_a_file_of_the_run_names_its_folder(ring, capsys):
    # the checkpoint means its folder, as the docs say (and sample/evaluate take it)
    assert gan.main(["--resume", str(ring / "checkpoint.npz"), "--steps", "4"]) == 0
    assert common.load_checkpoint(ring)["state"]["step"] == 4
    assert gan.main(["--resume", str(ring / "config.json"), "--steps", "6"]) == 1
    err = capsys.readouterr().err
    assert f"--resume {ring / 'config.json'} is a file" in err and f"--resume {ring}" in err


def test_a_full_disk_names_the_file(ring, tmp_path, monkeypatch, capsys):
    def full(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez", full)
    out = tmp_path / "s.npz"
    assert _sample(ring, "--out", str(out)) == 1
    err = capsys.readouterr().err
    assert f"{out}: cannot write it: the disk is full" in err


def test_a_file_given_as_image_folder_and_a_reversed_range_are_named(tmp_path, capsys):
    png = tmp_path / "0.png"
    png.write_bytes(b"x")
    argv = ["--dataset", "folder", "--data-dir", str(png), "--batch-size", "8", "--device", "cpu"]
    assert gan.main(argv + ["--out", str(tmp_path / "r")]) == 1
    assert f"--data-dir {png} is a file" in capsys.readouterr().err
    with pytest.raises(ValueError, match="the range 9-0 is empty"):
        metric.parse_classes("9-0")


def test_train_classifier_refuses_the_shipped_file(monkeypatch, capsys):
    def no_training(**kwargs):  # never train (minutes) nor write over the shipped file here
        raise AssertionError("--train-classifier of the shipped file was accepted")

    monkeypatch.setattr(classifier, "train_classifier", no_training)
    assert evaluate.main(["--train-classifier", str(classifier.shipped_path())]) == 1
    assert "is the shipped classifier" in capsys.readouterr().err
