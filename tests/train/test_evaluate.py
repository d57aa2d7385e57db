"""train.evaluate with the shipped digit classifier: the weights are the recorded ones, the
figures tell real digits from blurred ones, noise and a one-digit collapse, and several
runs print their mean +- std."""

import json
import re
from pathlib import Path

import numpy as np
import pytest

import minigrad as mg
from minigrad import data as mgdata
from train import classifier, evaluate, gan


@pytest.fixture(scope="module")
def heldout():
    x, y = mgdata.load_mnist(split="test")
    return mgdata.to_unit_range(x), y


@pytest.fixture(autouse=True)
def fresh_cache():
    evaluate._cache.clear()
    yield
    evaluate._cache.clear()


def blur(images, passes=4):
    """A 3x3 box blur applied `passes` times (edges repeat), images (N, 1, H, W)."""
    out = images
    for _ in range(passes):
        p = np.pad(out, ((0, 0), (0, 0), (1, 1), (1, 1)), mode="edge")
        h, w = out.shape[2:]
        out = sum(p[:, :, i : i + h, j : j + w] for i in range(3) for j in range(3)) / 9
    return out.astype(np.float32)


def score(images):
    return evaluate.score_mnist_samples(images, "cpu")


class FixedRng:
    """Stands in for a Generator: `uniform` returns the given arrays in turn."""

    def __init__(self, *draws):
        self.draws = list(draws)

    def uniform(self, low, high, size):
        return np.broadcast_to(np.asarray(self.draws.pop(0), np.float64), size).copy()


def test_augment_shifts_with_background_and_keeps_range(heldout):
    x = heldout[0][:4]
    same = classifier.augment(x, np.random.default_rng(0), shift=0, degrees=0, scale=0)
    np.testing.assert_array_equal(same, x)
    # no rotation, zoom 1, shift 1 px down and 2 px left: rows move down, columns left
    moved = classifier.augment(x, FixedRng(0.0, 1.0, [[1.0] * 4, [-2.0] * 4]))
    np.testing.assert_allclose(moved[:, :, 1:, :-2], x[:, :, :-1, 2:], atol=1e-6)
    assert (moved[:, :, 0] == -1).all() and (moved[:, :, :, -2:] == -1).all()
    a = classifier.augment(x[:, :, ::-1, :], np.random.default_rng(1))  # a view is fine
    assert a.shape == x.shape and a.dtype == np.float32
    assert a.min() >= -1 and a.max() <= 1 and not np.array_equal(a, x[:, :, ::-1, :])
    blank = np.full((2, 1, 28, 28), -1.0, np.float32)
    np.testing.assert_array_equal(classifier.augment(blank, np.random.default_rng(2)), blank)
    assert classifier.augment(x[:0], np.random.default_rng(3)).shape == (0, 1, 28, 28)


def test_outliers_are_noise_and_blots():
    o = classifier.outliers(60, np.random.default_rng(0))
    assert o.shape == (60, 1, 28, 28) and o.dtype == np.float32
    assert o.min() >= -1 and o.max() <= 1
    noise, blots = o[::2], o[1::2]
    assert 0.01 < (blots > 0).mean() < 0.5 and 0.4 < (noise > 0).mean() < 0.6
    binary = np.array([set(np.unique(b)) <= {-1.0, 1.0} for b in blots])
    # some blots are ink or background only, the others have soft edges (grey values)
    assert 0 < binary.sum() < len(blots)
    assert all(((b > -1) & (b < 1)).any() for b in blots[~binary])
    assert classifier.outliers(0, np.random.default_rng(0)).shape == (0, 1, 28, 28)


def test_ink_changes_the_edges_not_the_shape(heldout):
    x = heldout[0][:200]
    np.testing.assert_array_equal(classifier.ink(x, np.random.default_rng(0), share=0.0), x)
    a = classifier.ink(x, np.random.default_rng(0), share=1.0)
    assert a.shape == x.shape and a.dtype == np.float32 and a.min() >= -1 and a.max() <= 1
    binary = np.array([set(np.unique(i)) <= {-1.0, 1.0} for i in a])
    assert 0.3 < binary.mean() < 0.7  # half binary, half sharpened
    sharp, orig = a[~binary], x[~binary]
    # sharpened: the same sign everywhere, every value pushed away from 0, the ends fixed
    assert (np.sign(sharp) == np.sign(orig)).all()
    assert (np.abs(sharp) >= np.abs(orig) - 1e-6).all()
    assert (sharp[orig == -1] == -1).all()
    np.testing.assert_allclose(sharp[orig == 1], 1.0, atol=1e-6)
    # binary: background stays background, full ink stays ink
    assert (a[binary][x[binary] == -1] == -1).all() and (a[binary][x[binary] == 1] == 1).all()
    some = classifier.ink(x, np.random.default_rng(1), share=0.3)
    changed = np.array([not np.array_equal(i, j) for i, j in zip(some, x, strict=True)])
    assert 0.15 < changed.mean() < 0.45
    assert classifier.ink(x[:0], np.random.default_rng(0)).shape == (0, 1, 28, 28)


# ---------------------------------------------------------------------- the weights
def test_shipped_weights_are_the_recorded_ones():
    path = classifier.shipped_path()
    assert classifier.sha256_of(path) == classifier.SHA256
    readme = (path.parent / "README.md").read_text(encoding="utf-8")
    assert classifier.SHA256 in readme  # the sha256 recorded beside the file
    assert path.stat().st_size < 4 * 2**20
    model, info = classifier.load_classifier()
    assert info["version"] == classifier.VERSION and info["seed"] == 0
    assert info["heldout_accuracy"] >= 0.99
    assert f"{info['heldout_accuracy']:.4f}" in readme


def test_heldout_accuracy_is_what_the_file_says(heldout):
    x, y = heldout
    model, acc = evaluate.get_classifier("cpu")
    probs, feats = evaluate.predict(model, x)
    assert probs.shape == (1000, 10) and feats.shape == (1000, 256)
    assert float((probs.argmax(1) == y).mean()) == pytest.approx(acc, abs=1e-9)
    assert acc >= 0.99
    np.testing.assert_allclose(feats, evaluate._info("cpu")["heldout_features"], atol=1e-4)


def test_tampered_or_stale_weights_are_refused(tmp_path):
    src = classifier.shipped_path()
    bad = tmp_path / "digit_classifier.npz"
    data = bytearray(src.read_bytes())
    data[len(data) // 2] ^= 0x01
    bad.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"digit_classifier.npz: sha256 [0-9a-f]{64} is not"):
        classifier.load_classifier(bad)
    # a file of another version is refused even when its hash is the one asked for
    v = classifier.VERSION
    for other in (v - 1, v + 1):  # the previous single-network file, and a newer one
        saved = mg.load(src)
        saved["version"] = other
        stale = tmp_path / f"stale{other}.npz"
        mg.save(saved, stale)
        with pytest.raises(ValueError, match=f"version {other}, this minigrad reads version {v}"):
            classifier.load_classifier(stale, sha256=classifier.sha256_of(stale))
    with pytest.raises(FileNotFoundError, match="missing"):
        classifier.load_classifier(tmp_path / "none.npz")


def test_a_bad_shipped_file_stops_the_evaluation(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(classifier, "SHA256", "f" * 64)
    with pytest.raises(ValueError, match="stale or corrupt and is not used"):
        evaluate.get_classifier("cpu")


# ---------------------------------------------------------------------- the figures
def test_real_heldout_digits_score_at_the_floor(heldout):
    x, y = heldout
    order = np.random.default_rng(1).permutation(len(x))
    r = score(x[order[:1000]])
    assert r["digits_covered"] == 10 and r["min_class_share"] >= 0.06
    assert r["confident_share"] >= 0.85
    assert r["kl_to_uniform"] < 0.02
    assert r["frechet_floor_n"] == 1000
    assert r["frechet_distance"] < 1.3 * r["frechet_floor"]
    assert r["classifier_heldout_accuracy"] >= 0.99 and r["n_samples"] == 1000
    assert r["classifier_version"] == classifier.VERSION == 3


def test_blurred_digits_are_less_confident_and_further(heldout):
    x, _ = heldout
    real, blurred = score(x[:1000]), score(blur(x[:1000]))
    assert blurred["confident_share"] < real["confident_share"] - 0.1
    assert blurred["frechet_distance"] > 5 * real["frechet_floor"]


def test_noise_is_not_confident_and_far(heldout):
    noise = np.random.default_rng(0).uniform(-1, 1, (1000, 1, 28, 28)).astype(np.float32)
    r, real = score(noise), score(heldout[0])
    assert r["confident_share"] < 0.3
    assert r["frechet_distance"] > 20 * real["frechet_floor"]


def test_binary_or_sharpened_digits_stay_confident(heldout):
    """Real digits drawn with a harder pen are still digits: the confident share judges the
    shape, not MNIST's anti-aliased edges (a generator's strokes are often sharper)."""
    x = heldout[0]
    real = score(x)
    binary = score(np.where(x > 0, 1, -1).astype(np.float32))
    sharp = score((np.tanh(3 * x) / np.tanh(3)).astype(np.float32))
    for r in (binary, sharp):
        assert r["confident_share"] >= real["confident_share"] - 0.05
        assert r["digits_covered"] == 10


def test_ink_blots_are_not_confident_digits(heldout):
    """Blots with hard or soft edges, never trained on (another seed), are not digits."""
    blots = classifier.outliers(2000, np.random.default_rng(12345))[1::2]
    r = score(blots)
    assert r["confident_share"] < 0.3
    assert r["frechet_distance"] > 20 * score(heldout[0])["frechet_floor"]


def test_one_digit_collapse_covers_one_digit(heldout):
    x, y = heldout
    r = score(np.resize(x[y == 3], (1000, 1, 28, 28)))  # 1,000 samples for the distance
    assert r["digits_covered"] == 1 and r["class_histogram"][3] >= 0.97
    assert r["kl_to_uniform"] > 2.1  # log 10 = 2.30 for all mass on one digit
    assert r["confident_share"] >= 0.9  # sharp digits, just one kind
    assert r["frechet_distance"] > 5 * r["frechet_floor"]


def test_scores_refuse_too_few_samples(heldout):
    with pytest.raises(ValueError, match="at least 2 samples"):
        score(heldout[0][:1])


# ---------------------------------------------------------------------- several runs
TINY = ["--model", "mlp", "--hidden", "16", "--batch-size", "16", "--steps", "2"]
TINY += ["--eval-samples", "0", "--device", "cpu"]


def test_several_runs_print_each_and_mean_std(tmp_path, capsys):
    runs = [tmp_path / "a", tmp_path / "b"]
    for seed, run in enumerate(runs):
        assert gan.main(TINY + ["--seed", str(seed), "--out", str(run)]) == 0
    capsys.readouterr()
    assert evaluate.main([str(runs[0]), str(runs[1]), "--n", "1000"]) == 0
    out = capsys.readouterr().out
    figures = [json.loads((run / "eval.json").read_text()) for run in runs]
    for run, fig in zip(runs, figures, strict=True):
        assert f"{run} (mlp, " in out and fig["n_samples"] == 1000
    assert "mean +- std over 2 runs (training seeds 0, 1)" in out
    assert out.count("scored by              digit classifier version 3 (0.9910") == 2
    tail = out.split("mean +- std over 2 runs")[1]
    for key in ("confident_share", "kl_to_uniform", "frechet_distance"):
        v = np.array([f[key] for f in figures])
        m = re.search(rf"{key}\s+(\S+) \+- (\S+)", tail)
        assert m, (key, tail)
        assert float(m.group(1)) == pytest.approx(v.mean(), abs=0.01)
        assert float(m.group(2)) == pytest.approx(v.std(ddof=1), abs=0.01)
    m = re.search(r"frechet_floor\s+(\S+)\s+\(real held-out digits, n=1000\)", out)
    assert m and float(m.group(1)) > 0


def test_one_run_prints_no_mean(tmp_path, capsys):
    run = tmp_path / "ring"
    toy = ["--dataset", "ring", "--steps-per-epoch", "2", "--epochs", "1", "--hidden", "8"]
    assert gan.main(toy + ["--device", "cpu", "--eval-samples", "0", "--out", str(run)]) == 0
    capsys.readouterr()
    assert evaluate.main([str(run), "--n", "100"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"modes_captured\s+\d of 8", out) and "mean +- std" not in out


def test_train_classifier_flag_refuses_extra_flags(tmp_path, capsys):
    assert evaluate.main(["--train-classifier", str(tmp_path / "c.npz"), "--n", "500"]) == 1
    assert "--n 500 has no use with --train-classifier" in capsys.readouterr().err
    assert not Path(tmp_path / "c.npz").exists()


def test_runs_of_different_datasets_are_not_averaged(tmp_path, capsys):
    ring, mnist = tmp_path / "ring", tmp_path / "mnist"
    toy = ["--dataset", "ring", "--steps-per-epoch", "2", "--epochs", "1", "--hidden", "8"]
    assert gan.main(toy + ["--device", "cpu", "--eval-samples", "0", "--out", str(ring)]) == 0
    assert gan.main(TINY + ["--out", str(mnist)]) == 0
    assert evaluate.main([str(ring), str(mnist), "--n", "100"]) == 1
    err = capsys.readouterr().err
    assert f"{ring}: ring, {mnist}: mnist" in err
    assert not (ring / "eval.json").exists() and not (mnist / "eval.json").exists()


def test_ensemble_averages_its_members_probabilities(heldout):
    x = heldout[0][:50]
    model, _ = classifier.load_classifier()
    probs, feats = classifier.predict(model, x)
    parts = [classifier.predict(m, x) for m in model.members]
    np.testing.assert_allclose(probs, np.mean([p for p, _ in parts], axis=0), atol=1e-6)
    np.testing.assert_array_equal(feats, np.concatenate([f for _, f in parts], axis=1))
    np.testing.assert_allclose(probs.sum(1), 1.0, atol=1e-5)
    with mg.no_grad():
        logp = model(mg.tensor(x)).numpy()
    np.testing.assert_allclose(np.exp(logp), probs, atol=1e-5)
    assert model.widths == (24, 32) and classifier.predict(model, x[:0])[1].shape == (0, 256)
