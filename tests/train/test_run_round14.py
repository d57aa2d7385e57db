"""Round 14 of the hostile tests of the train/ jobs (tiny runs): a damaged .npz as
--data-dir gets one error line naming the file, not a traceback; a new run inside another
run's samples/ or latent/ is refused; a folder where a run's checkpoint should be is named
as such on --resume."""

import zipfile

import numpy as np
import pytest
from tiny_runs import RING

import minigrad as mg
from train import gan

pytestmark = pytest.mark.usefixtures("quick_pictures")


def _damaged_npz(tmp_path, how):
    good = tmp_path / "good.npz"
    rng = np.random.default_rng(0)
    np.savez(
        good,
        x_train=rng.integers(0, 255, (40, 28, 28), dtype=np.uint8),
        y_train=rng.integers(0, 10, 40).astype(np.int64),
    )
    raw = bytearray(good.read_bytes())
    bad = tmp_path / f"{how}.npz"
    if how == "truncated":
        bad.write_bytes(bytes(raw[: len(raw) // 2]))
    else:  # one flipped byte inside the first array: a bad CRC
        raw[200] ^= 0xFF
        bad.write_bytes(bytes(raw))
    return bad


@pytest.mark.parametrize("how", ["truncated", "bitflip"])
def test_a_damaged_npz_is_named_not_a_traceback(tmp_path, capsys, how):
    """zipfile.BadZipFile escaped both readers of an .npz (a traceback from train.gan)."""
    bad = _damaged_npz(tmp_path, how)
    with pytest.raises(zipfile.BadZipFile):  # what NumPy raises for it
        with np.load(bad) as f:
            [f[k] for k in f.files]
    with pytest.raises(ValueError, match="not a readable .npz file"):
        mg.data.load_mnist(bad)
    args = ["--dataset", "mnist", "--data-dir", str(bad), "--dry-run", "--out", str(tmp_path / "r")]
    assert gan.main(args) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and str(bad) in err and "not a readable .npz" in err


@pytest.mark.parametrize("sub", ["latent", "samples", "samples/deeper"])
def test_a_new_run_inside_another_runs_output_folder_is_refused(tmp_path, capsys, sub):
    run = tmp_path / "run"
    assert gan.main(RING + ["--steps", "2", "--out", str(run)]) == 0
    capsys.readouterr()
    assert gan.main(RING + ["--steps", "2", "--out", str(run / sub)]) == 1
    err = capsys.readouterr().err
    assert f"is inside the run folder {run}" in err and not (run / sub).exists()
    # a run beside it, or in a folder of the user's inside it, still starts
    assert gan.main(RING + ["--steps", "2", "--out", str(run / "mine")]) == 0


def test_resume_names_a_folder_where_the_checkpoint_should_be(tmp_path, capsys):
    run = tmp_path / "run"
    assert gan.main(RING + ["--steps", "2", "--out", str(run)]) == 0
    (run / "checkpoint.npz").unlink()
    (run / "checkpoint.npz").mkdir()
    capsys.readouterr()
    assert gan.main(["--resume", str(run)]) == 1
    err = capsys.readouterr().err
    assert "checkpoint.npz is a folder, not a checkpoint file" in err
    assert "checkpoint.npz/checkpoint.npz" not in err
