"""Run folders never lose a run and refuse bad input by name: a failed or killed
--overwrite gives the old run back, outputs of train.sample/train.embed never land on a
run's files, a refused resume records nothing, empty folder names, folders holding
another's files, flags with no effect, broken config.json and checkpoints, a run killed
before its first checkpoint, the exit status of an interrupted run."""

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from tiny_runs import RING

from train import common, embed, evaluate, gan, metric, sample
from train import run as scaffold

ROOT = Path(__file__).resolve().parents[2]


pytestmark = pytest.mark.usefixtures("quick_pictures")


def _config(run):
    return json.loads((run / "config.json").read_text())


def _write_config(run, **changes):
    config = _config(run)
    config.update(changes)
    (run / "config.json").write_text(json.dumps(config))


@pytest.fixture
def r1(tmp_path):
    """A finished ring run of 2 generator steps."""
    run = tmp_path / "r1"
    assert gan.main(RING + ["--steps", "2", "--out", str(run)]) == 0
    return run


def _files(run):
    return {p.relative_to(run).as_posix(): p.read_bytes() for p in run.rglob("*") if p.is_file()}


# ---------------------------------------------------------------------- 1. --overwrite
def test_overwrite_that_fails_before_its_first_checkpoint_gives_the_old_run_back(r1, capsys):
    before = _files(r1)
    # --lr 1e300: "G loss became NaN at step 0", before any checkpoint
    assert gan.main(RING + ["--steps", "2", "--lr", "1e300", "--out", str(r1), "--overwrite"]) == 1
    err = capsys.readouterr().err
    assert "became NaN" in err and "the run it replaced is back" in err
    assert _files(r1) == before
    assert not (r1 / scaffold.REPLACED_NAME).exists()
    # the old run is still a run: a plain new run is refused, a resume continues it
    assert gan.main(RING + ["--steps", "2", "--out", str(r1)]) == 1
    assert "already holds a run" in capsys.readouterr().err
    assert (r1 / "checkpoint.npz").read_bytes() == before["checkpoint.npz"]
    assert gan.main(["--resume", str(r1), "--steps", "3"]) == 0
    assert common.load_checkpoint(r1)["state"]["step"] == 3


def _killed_overwrite(run):
    """The folder as an --overwrite run killed (kill -9) before its first checkpoint
    leaves it: the old run in .replaced/, the new run's config.json beside it."""
    replaced = run / scaffold.REPLACED_NAME
    replaced.mkdir()
    for p in list(run.iterdir()):
        if p.name != scaffold.REPLACED_NAME:
            os.replace(p, replaced / p.name)
    (run / "config.json").write_text(json.dumps({"out": str(run), "resume": None, "lr": 5.0}))


def test_overwrite_killed_before_its_first_checkpoint_is_resumed_as_the_old_run(r1, capsys):
    before = _files(r1)
    _killed_overwrite(r1)
    assert gan.main(["--resume", str(r1), "--steps", "3"]) == 0
    assert "the run it replaced is back" in capsys.readouterr().err
    assert common.load_checkpoint(r1)["state"]["step"] == 3
    assert _config(r1)["steps"] == 3 and _config(r1).get("lr") is None
    assert not (r1 / scaffold.REPLACED_NAME).exists()
    assert set(_files(r1)) == set(before)


def test_a_plain_run_never_deletes_a_replaced_run(r1, capsys):
    before = _files(r1)
    _killed_overwrite(r1)
    assert gan.main(RING + ["--steps", "2", "--out", str(r1)]) == 1  # no --overwrite
    assert "already holds a run" in capsys.readouterr().err
    assert _files(r1) == before  # put back, not deleted


# ---------------------------------------------------------------------- 2. outputs
def test_sample_and_embed_never_write_over_a_run(r1, tmp_path, capsys):
    victim = tmp_path / "victim"
    assert gan.main(RING + ["--steps", "1", "--seed", "1", "--out", str(victim)]) == 0
    (r1 / "samples").mkdir()
    (r1 / "samples" / "epoch_001.png").write_bytes(b"grid")
    (r1 / "losses.png").write_bytes(b"curves")
    before, theirs = _files(r1), _files(victim)
    images = tmp_path / "images.npz"
    np.savez(images, images=np.zeros((2, 28, 28), np.uint8))
    for flag, target in [
        ("--out", victim / "checkpoint.npz"),
        ("--out", victim / "config.json"),
        ("--out", victim / "metrics.jsonl"),
        ("--out", r1 / "losses.png"),
        ("--out", r1 / "samples" / "epoch_001.png"),
        ("--png", r1 / "samples" / "epoch_001.png"),
    ]:
        argv = [str(r1), "--n", "5", "--device", "cpu", "--out", str(tmp_path / "s.npz")]
        argv += [flag, str(target)]
        assert sample.main(argv) == 1, (flag, target)
        err = capsys.readouterr().err
        assert f"{flag} {target}" in err and "Traceback" not in err
    for target in (victim / "checkpoint.npz", victim / "config.json", r1 / "losses.png"):
        argv = [str(r1), "--images", str(images), "--out", str(target), "--device", "cpu"]
        assert embed.main(argv) == 1
        assert f"--out {target}" in capsys.readouterr().err
    assert _files(r1) == before and _files(victim) == theirs
    # a new file in the run's folder is fine
    assert sample.main([str(r1), "--n", "5", "--device", "cpu", "--out", str(r1 / "s.npz")]) == 0


# ---------------------------------------------------------------------- 3. refused resume
def test_a_refused_resume_records_no_flag_change(r1, monkeypatch, capsys):
    real = gan.Run.restore

    def data_changed(self, state):
        raise ValueError("the training data changed since the checkpoint")

    monkeypatch.setattr(gan.Run, "restore", data_changed)
    assert gan.main(["--resume", str(r1), "--steps", "4"]) == 1
    assert "data changed" in capsys.readouterr().err
    assert _config(r1)["steps"] == 2
    monkeypatch.setattr(gan.Run, "restore", real)
    assert gan.main(["--resume", str(r1)]) == 0  # a bare resume: the run's own length
    assert common.load_checkpoint(r1)["state"]["step"] == 2


# ---------------------------------------------------------------------- 4. empty names
@pytest.mark.parametrize("flag", ["--resume", "--out"])
@pytest.mark.parametrize("job", [gan, metric])
def test_an_empty_folder_name_is_refused(tmp_path, monkeypatch, capsys, job, flag):
    monkeypatch.chdir(tmp_path)
    argv = (RING + ["--steps", "1"] if job is gan else ["--dry-run", "--steps", "1"]) + [flag, ""]
    with pytest.raises(SystemExit) as exc:
        job.main(argv)
    assert exc.value.code == 2
    assert f"argument {flag}: must name a file or folder, got ''" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
    args = job.build_parser().parse_args([])
    setattr(args, flag[2:], "")  # given programmatically
    with pytest.raises(ValueError, match=f"{flag} ''"):
        job.train(args)


def test_empty_output_names_of_sample_and_embed_are_refused(r1, capsys):
    for argv in (
        [str(r1), "--out", ""],
        ["", "--out", "x.npz"],
        [str(r1), "--out", "x.npz", "--png", ""],
    ):
        with pytest.raises(SystemExit):
            sample.main(argv)
        assert "must name a file or folder, got ''" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        embed.main([str(r1), "--images", "x.npz", "--out", ""])
    assert "argument --out: must name a file or folder" in capsys.readouterr().err


# ---------------------------------------------------------------------- 5. a folder of files
@pytest.mark.parametrize("name", ["config.json", "samples.png", "eval.json"])
def test_a_new_run_refuses_a_folder_holding_files_it_would_write(tmp_path, capsys, name):
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / name).write_text("x")
    assert gan.main(RING + ["--steps", "1", "--out", str(proj)]) == 1
    err = capsys.readouterr().err
    assert f"--out {proj}" in err and name in err and "no run" in err
    assert (proj / name).read_text() == "x"
    # not a run's file (the folder holds no run), so --overwrite does not replace it either
    assert gan.main(RING + ["--steps", "1", "--out", str(proj), "--overwrite"]) == 1
    assert "no run" in capsys.readouterr().err
    assert (proj / name).read_text() == "x"


# ---------------------------------------------------------------------- 6. --overwrite, all of it
def test_overwrite_moves_every_output_of_the_old_run_aside(r1):
    others = ["eval.json", "pca.png", "retrieval.png", "curves.png", "samples.png", "losses.png"]
    for name in others:
        (r1 / name).write_text("old")
    (r1 / "latent").mkdir()
    (r1 / "latent" / "latent_map.png").write_text("old")
    (r1 / "notes.txt").write_text("mine")  # not a job's: left alone
    assert gan.main(RING + ["--steps", "2", "--out", str(r1), "--overwrite"]) == 0
    assert sorted(p.name for p in r1.iterdir()) == [
        "checkpoint.npz",
        "config.json",
        "metrics.jsonl",
        "notes.txt",
    ]


# ---------------------------------------------------------------------- 7. flags with no effect
def _gan_args(*argv):
    args = gan.build_parser().parse_args(list(argv))
    gan.fill_defaults(args)
    return args


def _metric_args(*argv):
    args = metric.build_parser().parse_args(list(argv))
    metric.fill_defaults(args)
    return args


@pytest.mark.parametrize(
    "argv, named",
    [
        (["--dataset", "ring", "--model", "dcgan"], ["--model dcgan", "--dataset ring"]),
        (["--dataset", "grid", "--model", "cgan"], ["--model cgan", "--dataset grid"]),
        (["--dataset", "ring", "--data-dir", "d"], ["--data-dir d", "--dataset ring"]),
        (["--hidden", "64"], ["--hidden 64", "--model dcgan"]),
        (["--model", "cgan", "--hidden", "64"], ["--hidden 64", "--model cgan"]),
        (["--layers", "2"], ["--layers 2", "--dataset mnist"]),
        (["--model", "mlp", "--layers", "2"], ["--layers 2"]),
        (["--dataset", "ring", "--instance-noise-steps", "5"], ["--instance-noise-steps 5"]),
    ],
)
def test_gan_refuses_a_flag_that_would_change_nothing(argv, named):
    with pytest.raises(ValueError) as exc:
        _gan_args(*argv)
    assert all(n in str(exc.value) for n in named), str(exc.value)


@pytest.mark.parametrize(
    "argv",
    [
        ["--mining", "batch-hard"],
        ["--mining", "semi-hard"],  # the default's value, yet given
        ["--classes-per-batch", "3"],
        ["--samples-per-class", "8"],
    ],
)
def test_metric_refuses_triplet_flags_for_siamese(argv):
    with pytest.raises(ValueError, match=f"{argv[0]} {argv[1]}"):
        _metric_args("--model", "siamese", *argv)


def test_defaults_and_recipes_trip_no_refusal():
    assert _gan_args("--dataset", "ring").model == "mlp"
    assert _gan_args("--dataset", "grid").hidden == 128
    assert _gan_args().model == "dcgan"
    assert _gan_args("--model", "mlp", "--hidden", "64").hidden == 64
    assert _gan_args("--dataset", "ring", "--layers", "2", "--hidden", "16").layers == 2
    noisy = _gan_args("--dataset", "ring", "--instance-noise", "0.1", "--instance-noise-steps", "5")
    assert noisy.instance_noise_steps == 5
    siamese = _metric_args("--model", "siamese")
    assert (siamese.mining, siamese.classes_per_batch, siamese.samples_per_class) == (
        "semi-hard",
        5,
        16,
    )
    triplet = _metric_args("--mining", "batch-hard", "--classes-per-batch", "3")
    assert (triplet.mining, triplet.classes_per_batch) == ("batch-hard", 3)
    assert _metric_args().out == str(Path("runs") / "metric-triplet-semi-hard-unseen")


def test_a_resumed_siamese_run_keeps_its_stored_batch_settings(tmp_path):
    run = tmp_path / "s"
    args = metric.build_parser().parse_args(["--model", "siamese", "--out", str(run)])
    metric.fill_defaults(args)
    run.mkdir()
    (run / "config.json").write_text(json.dumps(vars(args)))
    common.save_checkpoint(run / "checkpoint.npz", {"args": vars(args), "state": {"step": 0}})
    resumed = metric.build_parser().parse_args(["--resume", str(run)])
    settings, _ = scaffold.resolve_args(metric.build_parser(), resumed, set(), metric.fill_defaults)
    assert settings.mining == "semi-hard" and settings.model == "siamese"


# ---------------------------------------------------------------------- 8. plain settings
PLAIN = [  # docs/training-jobs.md, "the papers' plain settings", made tiny
    "--batch-size 64 --ema 0 --r1 0 --lr 2e-4 --latent-components 0 --d-depth 2 "
    "--steps 1 --eval-samples 0",
    "--model mlp --dropout 0 --no-g-batchnorm --epochs 20 --steps 1 --eval-samples 0",
    "--dataset ring --pack 1 --lr-decay none --ema 0 --steps-per-epoch 1000 --steps 1 "
    "--eval-samples 0",
    "--dataset grid --pack 1 --lr 2e-4 --lr-decay none --ema 0 --epochs 20 "
    "--latent-components 0 --nz 2 --r1 0 --fakes fresh --toy-scale 1 --steps 1 --eval-samples 0",
]


@pytest.mark.parametrize("flags", PLAIN)
def test_the_documented_plain_settings_run(tmp_path, flags):
    doc = (ROOT / "docs" / "training-jobs.md").read_text()
    documented = " ".join(flags.split()[: flags.split().index("--steps")])
    assert documented.replace("--dataset ring ", "").replace("--dataset grid ", "").replace(
        "--model mlp ", ""
    ) in doc.replace("`", "")
    run = tmp_path / "plain"
    assert gan.main(flags.split() + ["--device", "cpu", "--out", str(run)]) == 0
    config = _config(run)
    assert config["ema"] == 0 and config["ema_bias_correction"] is False
    assert common.load_checkpoint(run)["state"]["step"] == 1


def test_ema_bias_correction_given_with_ema_0_is_still_refused():
    with pytest.raises(ValueError, match="--ema-bias-correction"):
        _gan_args("--ema", "0", "--ema-bias-correction")


# ---------------------------------------------------------------------- 9. killed early
def test_a_run_killed_before_its_first_checkpoint_resumes_from_the_start(tmp_path, r1, capsys):
    early = tmp_path / "early"
    early.mkdir()
    config = _config(r1)
    config["out"] = str(early)
    (early / "config.json").write_text(json.dumps(config))  # all a kill -9 left
    assert gan.main(["--resume", str(early)]) == 0
    assert "no checkpoint was written before the run stopped" in capsys.readouterr().err
    ours, theirs = common.load_checkpoint(early), common.load_checkpoint(r1)
    assert ours["state"]["step"] == theirs["state"]["step"] == 2
    for k, v in theirs["state"]["G"].items():
        np.testing.assert_array_equal(np.asarray(ours["state"]["G"][k]), np.asarray(v))
    # the same command again starts it over as well; other settings need --overwrite
    shutil.rmtree(early)
    early.mkdir()
    (early / "config.json").write_text(json.dumps(config))
    assert gan.main(RING + ["--steps", "2", "--out", str(early)]) == 0
    (early / "checkpoint.npz").unlink()
    (early / "metrics.jsonl").unlink()
    assert gan.main(RING + ["--steps", "3", "--out", str(early)]) == 1
    assert "stopped before its first checkpoint" in capsys.readouterr().err


def test_resume_of_a_folder_without_any_run_says_so(tmp_path, capsys):
    assert gan.main(["--resume", str(tmp_path)]) == 1
    assert "checkpoint not found" in capsys.readouterr().err


# ---------------------------------------------------------------------- 10. broken files
@pytest.mark.parametrize(
    "key, value, why",
    [
        ("epochs", "3", "expected an integer"),
        ("loss", "bogus", "expected one of"),
        ("batch_size", 0, "must be an integer from 1"),
        ("lr", -5, "must be a positive finite number"),
        ("pack", 3, "--batch-size 32 is not a multiple of --pack 3"),
        ("g_batchnorm", "yes", "expected true or false"),
    ],
)
def test_a_broken_config_is_refused_naming_the_file_and_key(r1, capsys, key, value, why):
    _write_config(r1, **{key: value})
    assert gan.main(["--resume", str(r1), "--steps", "3"]) == 1
    err = capsys.readouterr().err
    assert str(r1 / "config.json") in err and why in err and "Traceback" not in err
    if key != "pack":
        assert f'"{key}" is {json.dumps(value)}' in err


@pytest.mark.parametrize("drop", ["opt_g", "G", "state", "step"])
def test_a_broken_or_foreign_checkpoint_is_refused_by_name(r1, capsys, drop):
    saved = common.load_checkpoint(r1)
    if drop == "state":
        del saved["state"]
    elif drop == "G":  # a train.metric checkpoint in a train.gan folder
        saved["state"] = {"net": {"w": np.zeros(2)}, "step": 2, "epoch": 0}
    else:
        del saved["state"][drop]
    common.save_checkpoint(r1 / "checkpoint.npz", saved)
    assert gan.main(["--resume", str(r1), "--steps", "3"]) == 1
    err = capsys.readouterr().err
    assert str(r1 / "checkpoint.npz") in err and "Traceback" not in err
    assert (drop if drop != "G" else "train.metric checkpoint") in err
    assert _config(r1)["steps"] == 2


# ---------------------------------------------------------------------- 11. exit status
@pytest.mark.parametrize("sig, status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_an_interrupted_run_exits_with_128_plus_the_signal(
    tmp_path, monkeypatch, capsys, sig, status
):
    real = gan.Run.g_step_

    def step_then_signal(self, *shared):
        if self.step == 0:
            os.kill(os.getpid(), sig)
        return real(self, *shared)

    monkeypatch.setattr(gan.Run, "g_step_", step_then_signal)
    run = tmp_path / "run"
    assert gan.main(RING + ["--steps", "5", "--out", str(run)]) == status
    out, err = capsys.readouterr()
    assert "run folder:" not in out
    assert f"interrupted by {signal.Signals(sig).name}" in err and f"--resume {run}" in err
    assert common.load_checkpoint(run)["state"]["step"] == 1


def test_sigterm_from_outside_exits_143_after_saving(tmp_path):
    run = tmp_path / "run"
    code = (
        "import os, signal, sys\n"
        "from train import gan\n"
        "real = gan.Run.g_step_\n"
        "def g(self, *a):\n"
        "    if self.step == 1:\n"
        "        os.kill(os.getpid(), signal.SIGTERM)\n"
        "    return real(self, *a)\n"
        "gan.Run.g_step_ = g\n"
        f"sys.exit(gan.main({RING + ['--steps', '9', '--out', str(run)]!r}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 143, done.stderr
    assert common.load_checkpoint(run)["state"]["step"] == 2


def test_evaluate_refuses_one_run_given_under_several_names(r1, monkeypatch, capsys):
    monkeypatch.chdir(r1.parent)
    assert evaluate.main(["r1", "./r1", "r1/"]) == 1
    err = capsys.readouterr().err
    assert "given more than once" in err and "./r1" in err


def test_an_interrupted_metric_run_exits_130(tmp_path, monkeypatch, capsys):
    real = metric.Run.train_batch_

    def batch_then_signal(self):
        if self.step == 0:
            os.kill(os.getpid(), signal.SIGINT)
        return real(self)

    monkeypatch.setattr(metric.Run, "train_batch_", batch_then_signal)
    run = tmp_path / "m"
    tiny = ["--dry-run", "--device", "cpu", "--channels", "4", "--embedding-dim", "8"]
    assert metric.main(tiny + ["--out", str(run)]) == 130
    out, err = capsys.readouterr()
    assert "run folder:" not in out and f"--resume {run}" in err
    monkeypatch.setattr(metric.Run, "train_batch_", real)
    assert metric.main(["--resume", str(run)]) == 0
    assert (run / "eval.json").is_file()
