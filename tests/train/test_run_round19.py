"""Round 19 of the hostile tests of the train/ jobs (tiny runs): an .npy file, or a file
that is no archive at all, as --data-dir or --images gets one error line naming the file
(not a traceback, not NumPy's "pickled data" advice)."""

import numpy as np
import pytest

from train import common, embed, gan


@pytest.fixture(autouse=True)
def quick_pictures(monkeypatch):
    monkeypatch.setattr(common, "scatter_plot", lambda *a, **k: None)
    monkeypatch.setattr(common, "plot_curves", lambda *a, **k: None)


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
