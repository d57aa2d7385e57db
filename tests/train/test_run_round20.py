"""Round 20 of the hostile tests of the train/ jobs (tiny runs): a resume's new --data-dir
is recorded as an absolute path, as a new run's; a run folder that lost its config.json
says where its settings come from and gets the file back; --label-smoothing 1 (no
smoothing) is refused; train.embed refuses an empty image set and a file holding both
'images' and 'samples'; an --out that is a file is named so; a label count is spelled
in the singular; train.latent shows a rounding residue as 0."""

import json
import os

import numpy as np
import pytest
from tiny_runs import RING
from tiny_runs import random_digits as _digits

from train import common, embed, gan, latent

DIGITS = ["--model", "mlp", "--hidden", "8", "--batch-size", "8", "--latent-components", "0"]
DIGITS += ["--eval-samples", "0", "--device", "cpu"]


pytestmark = pytest.mark.usefixtures("quick_pictures")


def test_a_resumes_new_data_dir_is_recorded_as_an_absolute_path(tmp_path, capsys, monkeypatch):
    """`--resume RUN --data-dir moved.npz` wrote "moved.npz" as typed, so the run (and the
    jobs that read it) failed from any other folder."""
    data = _digits(tmp_path / "digits.npz")
    run = tmp_path / "d"
    assert gan.main(DIGITS + ["--data-dir", str(data), "--steps", "1", "--out", str(run)]) == 0
    (tmp_path / "moved").mkdir()
    os.replace(data, tmp_path / "moved" / "digits.npz")
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    assert gan.main(["--resume", "d", "--data-dir", "moved/digits.npz", "--steps", "2"]) == 0
    moved = str(tmp_path / "moved" / "digits.npz")
    assert f"data-dir changed from {data} to {moved}" in capsys.readouterr().err
    assert json.loads((run / "config.json").read_text())["data_dir"] == moved
    assert common.load_checkpoint(run)["args"]["data_dir"] == moved
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    assert gan.main(["--resume", "../d", "--steps", "3"]) == 0


def test_a_run_folder_without_config_json_says_so_and_gets_it_back(tmp_path, capsys):
    run = tmp_path / "ring"
    assert gan.main(RING + ["--steps", "2", "--out", str(run)]) == 0
    config = json.loads((run / "config.json").read_text())
    (run / "config.json").unlink()
    capsys.readouterr()
    assert gan.main(["--resume", str(run)]) == 0  # a finished run: nothing to train
    err = capsys.readouterr().err
    assert f"{run}: no config.json: the run's settings are taken from the settings " in err
    assert json.loads((run / "config.json").read_text()) == config
    assert gan.main(["--resume", str(run)]) == 0
    assert "no config.json" not in capsys.readouterr().err
    (run / "config.json").unlink()  # a refused resume writes nothing and names its source
    assert gan.main(["--resume", str(run), "--hidden", "16"]) == 1
    err = capsys.readouterr().err
    assert "runs with --hidden 8 (the settings inside its checkpoint)" in err
    assert not (run / "config.json").exists()


def test_an_older_runs_relative_data_dir_given_again_is_no_change(tmp_path, capsys, monkeypatch):
    data = _digits(tmp_path / "digits.npz")
    run = tmp_path / "d"
    assert gan.main(DIGITS + ["--data-dir", str(data), "--steps", "1", "--out", str(run)]) == 0
    config = json.loads((run / "config.json").read_text())
    config["data_dir"] = "digits.npz"  # as runs recorded it before paths were made absolute
    (run / "config.json").write_text(json.dumps(config))
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    assert gan.main(["--resume", "d", "--data-dir", "digits.npz", "--steps", "2"]) == 0
    assert "data-dir changed" not in capsys.readouterr().err


def test_label_smoothing_1_is_refused_as_no_smoothing(tmp_path, capsys):
    out = tmp_path / "r"
    assert gan.main(RING + ["--steps", "1", "--label-smoothing", "1", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "--label-smoothing 1 is no smoothing" in err and not out.exists()
    assert gan.main(RING + ["--steps", "1", "--label-smoothing", "0.9", "--out", str(out)]) == 0


@pytest.mark.parametrize(
    "arrays,said",
    [
        ({"images": np.zeros((0, 28, 28), np.uint8)}, "'images' holds no images"),
        ({"samples": np.zeros((0, 28, 28), np.uint8)}, "'samples' holds no images"),
        (
            {"images": np.zeros((2, 28, 28), np.uint8), "samples": np.zeros((3, 28, 28), np.uint8)},
            "holds both 'images' and 'samples'",
        ),
    ],
)
def test_embed_refuses_an_empty_image_set_and_two_sets(tmp_path, arrays, said):
    path = tmp_path / "in.npz"
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match=said):
        embed.read_images(path)
    np.savez(path, samples=np.zeros((3, 28, 28), np.uint8))  # one set of either name
    assert embed.read_images(path).shape == (3, 28, 28)


@pytest.mark.parametrize("flag", ["--out", "--resume"])
def test_a_file_given_as_the_run_folder_is_named_so(tmp_path, capsys, flag):
    path = tmp_path / "afile"
    path.write_text("notes\n")
    argv = (
        RING + ["--steps", "1", "--out", str(path)] if flag == "--out" else ["--resume", str(path)]
    )
    assert gan.main(argv) == 1
    err = capsys.readouterr().err
    assert f"{flag} {path} is a file" in err and "Errno" not in err
    assert path.read_text() == "notes\n"


@pytest.mark.parametrize("bad,said", [([12], "(1 such label)"), ([12, 200], "(2 such labels)")])
def test_bad_idx_labels_are_counted(tmp_path, capsys, bad, said):
    import struct

    n = 40
    labels = (np.arange(n) % 10).astype(np.uint8)
    labels[: len(bad)] = bad
    images = np.zeros((n, 28, 28), np.uint8)
    (tmp_path / "train-images-idx3-ubyte").write_bytes(
        struct.pack(">IIII", 2051, n, 28, 28) + images.tobytes()
    )
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(
        struct.pack(">II", 2049, n) + labels.tobytes()
    )
    argv = DIGITS + ["--data-dir", str(tmp_path), "--out", str(tmp_path / "r")]
    assert gan.main(argv) == 1
    assert f"label 12 is not a digit 0-9 {said}" in capsys.readouterr().err


def test_latent_shows_a_rounding_residue_as_zero():
    assert latent._point(np.array([-2.0, 2.4492935982947064e-16])) == "(-2, 0)"
    assert latent._point(np.array([1.5, -0.25])) == "(1.5, -0.25)"
    assert latent._point(np.array([0.0, 0.0])) == "(0, 0)"
