"""Every numbered example in examples/ runs at its --tiny size and prints what its
docstring says; each stays short, and examples/README.md lists them all in order."""

import importlib.util
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import minigrad as mg

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("[0-9][0-9]_*.py"))


def load(stem: str):
    path = ROOT / "examples" / f"{stem}.py"
    spec = importlib.util.spec_from_file_location(f"example_{stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_path_is_numbered_short_and_listed():
    assert [p.name[:2] for p in EXAMPLES] == [f"{i:02d}" for i in range(1, 9)]
    listed = re.findall(r"\]\(([0-9]{2}_\w+\.py)\)", (ROOT / "examples/README.md").read_text())
    assert listed == [p.name for p in EXAMPLES]
    for path in EXAMPLES:
        text = path.read_text()
        lines = len(text.splitlines())
        assert lines <= 100, f"{path.name}: {lines} lines, keep an example to 100 at most"
        doc = text.split('"""')[1]
        assert "Prints" in doc and "Read next" in doc, path.name
        assert '"--tiny"' in text and 'if __name__ == "__main__":\n    main()' in text
        for name in re.findall(r"\b((?:minigrad|models|train)/[\w/]+\.py|docs/[\w-]+\.md)\b", doc):
            assert (ROOT / name).is_file(), f"{path.name} points readers to missing {name}"


def test_01_hand_minigrad_and_finite_differences_agree(capsys):
    r = load("01_autodiff_by_hand").main(["--tiny"])
    assert r["hand"] == r["minigrad"] == {"f": 8.0, "a": 4.0, "b": 2.0}
    assert r["finite differences"]["a"] == pytest.approx(4.0, abs=1e-6)
    out = capsys.readouterr().out
    assert "f(2, 3) = 8" in out and "hand and minigrad agree" in out


def test_01_other_point_and_script_run_from_another_folder(tmp_path):
    out = subprocess.run(
        [sys.executable, str(ROOT / "examples/01_autodiff_by_hand.py"), "-a", "-1.5", "-b", "0"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "f(-1.5, 0) = -1.5" in out
    assert re.search(r"minigrad\s+1\.000000\s+-1\.500000", out), out


def test_02_new_op_passes_both_checks_in_both_styles(capsys):
    r = load("02_write_an_op").main(["--tiny"])
    for style in ("minigrad style", "ctx style"):
        assert r[style]["gradcheck"] is True and r[style]["gradgradcheck"] is True
        assert r[style]["value_diff"] < 1e-12 and r[style]["grad_diff"] < 1e-12
    assert capsys.readouterr().out.count("True") == 4


def test_03_classifier_beats_chance(capsys):
    r = load("03_mlp_classifier").main(["--tiny"])
    assert r["accuracy"] > 0.5  # chance is 0.1
    assert all(math.isfinite(v) for v in r["train_losses"])
    assert f"held-out accuracy {r['accuracy']:.1%}" in capsys.readouterr().out


def test_04_gan_losses_finite_and_modes_counted(capsys):
    r = load("04_gan_in_one_screen").main(["--tiny"])
    assert len(r["losses"]) == 30
    assert all(math.isfinite(d) and math.isfinite(g) for d, g in r["losses"])
    assert 0 <= r["modes"] <= 8 and 0.0 <= r["high_quality"] <= 1.0
    assert f"modes covered {r['modes']}/8" in capsys.readouterr().out


def test_05_penalty_gradient_matches_finite_differences(capsys):
    r = load("05_wgan_gp_second_derivative").main(["--tiny"])
    assert len(r["rows"]) == 7 and r["worst"] < 1e-6
    assert any(abs(a) > 1e-3 for _, a, _ in r["rows"])  # not trivially all zero
    assert all(math.isfinite(n) for n in r["norms"])
    assert abs(r["norms"][-1] - 1) < abs(r["norms"][0] - 1)  # the penalty pulls towards 1
    assert "largest difference" in capsys.readouterr().out


def test_06_mining_counts_active_triplets_and_training_helps(capsys):
    r = load("06_metric_learning_mining").main(["--tiny"])
    before, after = r["before"], r["after"]
    assert 0 < before["all_active"] <= 1 and 0 < after["all_active"] <= 1
    assert after["recall_at_1"] > before["recall_at_1"]
    assert 0 <= after["hard_active"] <= after["hard_total"] == 200
    assert all(math.isfinite(v) for v in r["losses"])
    out = capsys.readouterr().out
    assert "before: active:" in out and "after:  active:" in out


def test_06_mines_in_the_distance_its_loss_uses(monkeypatch):
    """The triplets are batch-hard for the loss trained: mined on the unit-length embeddings
    and the same plain distance (mining the raw embeddings picked other triplets for up to
    70% of the anchors)."""
    module = load("06_metric_learning_mining")
    seen = []

    def spy(emb, labels, **kwargs):
        seen.append((np.linalg.norm(emb.detach().numpy(), axis=1), kwargs.get("distance")))
        return batch_hard(emb, labels, **kwargs)

    batch_hard = module.batch_hard_triplets
    monkeypatch.setattr(module, "batch_hard_triplets", spy)
    module.main(["--steps", "3"])
    assert len(seen) > 3  # the training steps and the two evaluations
    for norms, distance in seen:
        np.testing.assert_allclose(norms, 1.0, rtol=1e-5)
        assert distance is module.pairwise_euclidean


def test_06_runs_from_another_folder_with_its_own_models(tmp_path):
    """A user's own `models` package, first on the path, must not replace the repository's."""
    (tmp_path / "models").mkdir()
    (tmp_path / "models/__init__.py").write_text("raise ImportError('the user models')\n")
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    script = ROOT / "examples/06_metric_learning_mining.py"
    res = subprocess.run(
        [sys.executable, str(script), "--steps", "2"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stderr
    assert "after:  active:" in res.stdout


def test_07_profiles_a_step_and_writes_dot(tmp_path, capsys):
    r = load("07_profile_and_draw_graph").main(["--tiny", "--out", str(tmp_path / "g.dot")])
    ops = {row["op"] for row in r["rows"]}
    assert {"Conv2d", "Linear", "ReLU"} <= ops
    text = (tmp_path / "g.dot").read_text()
    assert text.startswith("digraph") and "weight" in text and "bias" in text
    assert (r["ops"], r["leaves"]) == (3, 3)
    out = capsys.readouterr().out
    assert "total ms" in out and f"wrote {tmp_path / 'g.dot'}: 3 op nodes, 3 leaf nodes" in out


def test_08_gpu_example_skips_cleanly_or_matches_cpu(capsys):
    r = load("08_train_on_gpu").main(["--tiny"])
    out = capsys.readouterr().out
    assert len(r["losses"]["cpu"]) == 5 and all(math.isfinite(v) for v in r["losses"]["cpu"])
    if mg.cuda.is_available():
        assert r["skipped"] is None and r["max_diff"] < 1e-3
    else:
        assert "GPU run skipped: mg.cuda.is_available() is False" in out
        assert "cuda" not in r["losses"]


@pytest.mark.parametrize(
    "stem, flag",
    [
        ("02_write_an_op", "--n"),
        ("03_mlp_classifier", "--epochs"),
        ("03_mlp_classifier", "--hidden"),
        ("04_gan_in_one_screen", "--steps"),
        ("04_gan_in_one_screen", "--batch"),
        ("04_gan_in_one_screen", "--nz"),
        ("05_wgan_gp_second_derivative", "--steps"),
        ("06_metric_learning_mining", "--steps"),
        ("07_profile_and_draw_graph", "--steps"),
        ("08_train_on_gpu", "--steps"),
    ],
)
@pytest.mark.parametrize("value", ["0", "-3"])
def test_sizes_below_one_are_refused_naming_the_flag(stem, flag, value, capsys):
    with pytest.raises(SystemExit) as exc:
        load(stem).main([flag, value])
    assert exc.value.code == 2
    assert f"{flag} must be at least 1, got {value}" in capsys.readouterr().err


def _first_import_line(text: str, module: str) -> int | None:
    pattern = rf"^(?:import {module}\b|from {module}\b)"
    lines = [i for i, line in enumerate(text.splitlines()) if re.match(pattern, line)]
    return lines[0] if lines else None


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name[:2])
def test_each_example_imports_minigrad_before_numpy(path):
    """minigrad sets how long NumPy's idle OpenBLAS threads spin before NumPy loads
    OpenBLAS; an example that imports NumPy first keeps the long spin and one elementwise
    thread (minigrad/_openblas.py)."""
    text = path.read_text()
    numpy_at = _first_import_line(text, "numpy")
    if numpy_at is not None:
        minigrad_at = _first_import_line(text, "minigrad")
        assert minigrad_at is not None and minigrad_at < numpy_at, path.name


def test_an_example_run_as_a_script_gets_the_short_openblas_spin():
    """The order holds when Python runs the file (ruff's import sorting leaves it)."""
    from test_openblas_park import _last_line  # a fresh interpreter, thread variables unset

    code = (
        "import os, runpy, sys\n"
        "sys.argv = ['03', '--help']\n"
        "try:\n"
        f"    runpy.run_path({str(ROOT / 'examples/03_mlp_classifier.py')!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "from minigrad import _openblas\n"
        "print(os.environ.get('OPENBLAS_THREAD_TIMEOUT'), _openblas.set_here)\n"
    )
    from minigrad import _openblas

    assert _last_line(code) == f"{_openblas.VALUE} True"
