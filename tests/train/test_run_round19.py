"""Round 19 of the hostile tests of the train/ jobs (tiny runs): an .npy file, or a file
that is no archive at all, as --data-dir or --images gets one error line naming the file
(not a traceback, not NumPy's "pickled data" advice); a resumed run that read no files
refuses --data-dir; a new dry run says that --epochs and a longer --steps are recorded,
not trained; a resumed siamese run refuses the triplet flags as a new one does;
--train-classes refuses a digit named twice; an --out holding the other job's run, and a
folder that takes no writes, are named for what they are; the jobs that read a run say
when its config.json disagrees with its checkpoint."""

import numpy as np
import pytest
from tiny_runs import RING

from train import embed, gan

pytestmark = pytest.mark.usefixtures("quick_pictures")


def _not_an_archive(tmp_path, how):
    images = np.zeros((40, 28, 28), np.uint8)
    if how == "npy":
        path = tmp_path / "digits.npy"
        np.save(path, images)
    elif how == "npy named npz":
        path = tmp_path / "digits.npz"
        with open(path, "wb") as f:
            np.save(f, images)
    elif how == "the one npz of a folder":
        (tmp_path / "data").mkdir()
        path = tmp_path / "data" / "digits.npz"
        with open(path, "wb") as f:
            np.save(f, images)
    else:
        path = tmp_path / "notes.npz"
        path.write_text("hello\n")
    return path


WHAT = {
    "npy": "a single .npy array, not an .npz archive",
    "npy named npz": "a single .npy array, not an .npz archive",
    "the one npz of a folder": "a single .npy array, not an .npz archive",
    "text": "not a readable .npz file: not a zip of .npy arrays",
}


@pytest.mark.parametrize("how", sorted(WHAT))
def test_a_file_that_is_not_an_npz_archive_is_named_not_a_traceback(tmp_path, capsys, how):
    """An .npy file as --data-dir ended in "TypeError: 'numpy.ndarray' object does not
    support the context manager protocol"; a text file got NumPy's advice to load pickled
    data unsafely."""
    path = _not_an_archive(tmp_path, how)
    data_dir = path.parent if how == "the one npz of a folder" else path
    args = ["--dataset", "mnist", "--data-dir", str(data_dir), "--dry-run"]
    assert gan.main(args + ["--out", str(tmp_path / "r")]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and str(path) in err and WHAT[how] in err
    assert "pickle" not in err and not (tmp_path / "r").exists()
    with pytest.raises(ValueError, match=WHAT[how]):
        embed.read_images(path)


SIAMESE = ["--model", "siamese", "--dry-run", "--device", "cpu", "--channels", "2"]
SIAMESE += ["--embedding-dim", "4"]


def test_a_resumed_run_that_read_no_files_refuses_a_data_dir(tmp_path, capsys):
    """A ring run resumed with --data-dir trained on and wrote the path into its
    config.json; an edited config.json with one was kept too."""
    import json

    run = tmp_path / "ring"
    assert gan.main(RING + ["--steps", "2", "--out", str(run)]) == 0
    capsys.readouterr()
    before = (run / "config.json").read_text()
    assert gan.main(["--resume", str(run), "--steps", "4", "--data-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert f"--data-dir {tmp_path}: the run in {run} runs without --data-dir" in err
    assert (run / "config.json").read_text() == before
    config = json.loads(before)
    config["data_dir"] = str(tmp_path)
    (run / "config.json").write_text(json.dumps(config))
    assert gan.main(["--resume", str(run), "--steps", "4"]) == 1
    err = capsys.readouterr().err
    assert '"data_dir"' in err and "null in the checkpoint" in err


@pytest.mark.parametrize("job", ["gan", "metric"])
def test_a_new_dry_run_says_it_records_epochs_and_a_longer_steps_untrained(tmp_path, capsys, job):
    """--dry-run --steps 100 trained its couple of steps and recorded 100 without a word;
    --epochs 3 too. A dry run checks a long run's config (docs/results.md), so it keeps
    them in config.json and says so."""
    import json

    from train import metric

    main, base = (gan.main, RING + ["--dry-run"]) if job == "gan" else (metric.main, SIAMESE)
    for k, (flag, value) in enumerate((("--epochs", "3"), ("--steps", "100"))):
        out = tmp_path / f"r{k}"
        assert main(base + [flag, value, "--out", str(out)]) == 0
        err = capsys.readouterr().err
        assert "--dry-run: one short epoch" in err and f"{flag} {value} is recorded" in err
        config = json.loads((out / "config.json").read_text())
        assert config[flag[2:]] == int(value)
    assert main(base + ["--steps", "1", "--out", str(tmp_path / "r2")]) == 0
    assert "is recorded in config.json" not in capsys.readouterr().err


def test_a_resumed_siamese_run_refuses_the_triplet_flags_as_a_new_one_does(tmp_path, capsys):
    """`--resume SIAMESE --mining batch-hard` said the run "was started with --mining
    semi-hard", a default a siamese run never used."""
    from train import metric

    run = tmp_path / "siamese"
    assert metric.main(SIAMESE + ["--out", str(run)]) == 0
    capsys.readouterr()
    for flags in (
        ["--mining", "batch-hard"],
        ["--mining", "semi-hard"],
        ["--samples-per-class", "4"],
    ):
        assert metric.main(["--resume", str(run), *flags]) == 1
        err = capsys.readouterr().err
        assert f"{' '.join(flags)} applies to --model triplet's batches" in err
        assert " runs with" not in err  # (the old wording: "was started with")
    assert metric.main(SIAMESE + ["--mining", "batch-hard", "--out", str(tmp_path / "n")]) == 1
    assert "--mining batch-hard applies to --model triplet's batches" in capsys.readouterr().err


@pytest.mark.parametrize("text,digit", [("0,0,1", 0), ("0-4,3", 3), ("2,5-7,7", 7)])
def test_train_classes_refuses_a_digit_named_twice(capsys, text, digit):
    from train import metric

    with pytest.raises(ValueError, match=f"digit {digit} is given twice"):
        metric.parse_classes(text)
    with pytest.raises(SystemExit):
        metric.build_parser().parse_args(["--train-classes", text])
    assert f"digit {digit} is given twice" in capsys.readouterr().err
    assert metric.parse_classes("0- 4") == [0, 1, 2, 3, 4]


def test_an_out_holding_the_other_jobs_run_is_named_so(tmp_path, capsys):
    """The error advised `--resume` for a train.metric run given to train.gan as --out,
    and that resume then failed: not a run of train.gan."""
    from train import metric

    run = tmp_path / "metric-run"
    assert metric.main(SIAMESE + ["--out", str(run)]) == 0
    capsys.readouterr()
    assert gan.main(RING + ["--steps", "2", "--out", str(run)]) == 1
    err = capsys.readouterr().err
    assert "holds a run of another job" in err and "--resume would refuse it" in err
    assert metric.main(SIAMESE + ["--out", str(run)]) == 1  # its own job: resume it
    assert f"continue it with --resume {run}" in capsys.readouterr().err


def test_a_folder_that_takes_no_writes_is_named_with_its_flag(tmp_path, capsys, monkeypatch):
    """A read-only --resume folder failed with ".../.lock: Permission denied"."""
    from train import run as scaffold

    run = tmp_path / "ring"
    assert gan.main(RING + ["--steps", "2", "--out", str(run)]) == 0
    capsys.readouterr()

    def refused(self):
        raise PermissionError(13, "Permission denied", str(self.path))

    monkeypatch.setattr(scaffold.RunLock, "acquire", refused)
    assert gan.main(["--resume", str(run), "--steps", "4"]) == 1
    err = capsys.readouterr().err
    assert f"--resume {run}: the folder takes no writes (Permission denied)" in err
    assert ".lock" not in err
    assert gan.main(RING + ["--steps", "2", "--out", str(tmp_path / "new")]) == 1
    assert f"--out {tmp_path / 'new'}: the folder takes no writes" in capsys.readouterr().err


def test_the_jobs_that_read_a_run_say_when_its_config_disagrees_with_its_checkpoint(
    tmp_path, capsys
):
    """train.sample drew a ring run's 2-D points from a folder whose edited config.json
    said dcgan on mnist, without a word (--resume refuses that folder)."""
    import json

    from train import sample

    run = tmp_path / "ring"
    assert gan.main(RING + ["--steps", "2", "--out", str(run)]) == 0
    args = ["--n", "4", "--device", "cpu"]
    assert sample.main([str(run), *args, "--out", str(tmp_path / "a.npz")]) == 0
    assert "disagrees" not in capsys.readouterr().err
    config = json.loads((run / "config.json").read_text())
    config.update(dataset="mnist")
    (run / "config.json").write_text(json.dumps(config))
    assert sample.main([str(run), *args, "--out", str(tmp_path / "b.npz")]) == 0
    err = capsys.readouterr().err
    assert f"{run / 'config.json'} disagrees with the settings inside" in err
    assert '"dataset" is "mnist" there, "ring" in the checkpoint' in err
    assert "using the checkpoint's" in err
    assert np.load(tmp_path / "b.npz")["samples"].shape == (4, 2)
    # another model named there: the checkpoint is another run's, refused as --resume does
    config.update(model="dcgan")
    (run / "config.json").write_text(json.dumps(config))
    assert sample.main([str(run), *args, "--out", str(tmp_path / "c.npz")]) != 0
    out = capsys.readouterr()
    assert '"model" is "dcgan" there' in out.err + out.out
    assert not (tmp_path / "c.npz").exists()
