"""The metric-learning jobs end to end on tiny runs: train (dry run), resume bit for bit,
the evaluation protocols and baselines, and train.embed with its errors."""

import json

import numpy as np
import pytest

from minigrad.data import load_mnist
from train import common, embed, metric


def _params(run_dir):
    state = common.load_checkpoint(run_dir)["state"]
    return {k: v.numpy() for k, v in state["net"].items()}


def _records(run_dir):
    return [
        {k: v for k, v in r.items() if k != "train_seconds"}
        for r in common.read_jsonl(run_dir / "metrics.jsonl")
    ]


METRIC_KEYS = {"recall@1", "recall@2", "recall@4", "recall@8", "map@r", "knn5_acc"}


@pytest.mark.parametrize(
    "extra",
    [
        ["--model", "triplet", "--mining", "semi-hard"],
        ["--model", "siamese", "--loss-form", "squared", "--split", "seen"],
    ],
)
def test_dry_run_writes_logs_eval_and_pictures(tmp_path, extra, capsys):
    out = tmp_path / "run"
    assert metric.main(extra + ["--dry-run", "--device", "cpu", "--out", str(out)]) == 0
    assert "raw_pixels" in capsys.readouterr().out
    for name in ("checkpoint.npz", "config.json", "pca.png", "retrieval.png", "curves.png"):
        assert (out / name).is_file(), name
    (record,) = common.read_jsonl(out / "metrics.jsonl")
    assert record["epoch"] == 1 and record["step"] == metric.DRY_BATCHES
    assert METRIC_KEYS | {"loss", "active"} <= record.keys()
    assert 0.0 <= record["active"] <= 1.0
    result = json.loads((out / "eval.json").read_text())
    assert result["embedding"].keys() == result["raw_pixels"].keys() == METRIC_KEYS
    assert result["embedding"] == {k: record[k] for k in METRIC_KEYS}
    # both layers are scored; the run's embedding is the one --retrieve-from names
    assert result["layers"].keys() == {"output", "features"}
    assert all(m.keys() == METRIC_KEYS for m in result["layers"].values())
    assert result["layers"][result["retrieve_from"]] == result["embedding"]
    if "seen" in extra:
        assert result["eval_classes"] == result["train_classes"] == list(range(10))
        assert result["retrieve_from"] == "output"
    else:
        assert result["train_classes"] == [0, 1, 2, 3, 4]
        assert result["eval_classes"] == [5, 6, 7, 8, 9]
        assert result["retrieve_from"] == "features"


@pytest.mark.parametrize(
    "extra",
    [
        ["--model", "triplet", "--mining", "random"],  # the miner draws random numbers too
        ["--model", "siamese"],
        ["--ema", "0.9", "--lr-decay", "linear"],  # averages and schedule resume too
    ],
)
def test_resume_mid_epoch_is_bit_for_bit(tmp_path, extra):
    full, part = tmp_path / "full", tmp_path / "part"
    base = extra + ["--dry-run", "--device", "cpu", "--embedding-dim", "8"]
    assert metric.main(base + ["--out", str(full)]) == 0
    assert metric.main(base + ["--steps", "1", "--out", str(part)]) == 0
    assert not (part / "eval.json").exists()  # stopped mid-epoch: nothing evaluated yet
    assert common.load_checkpoint(part)["state"]["batch"] == 1
    assert metric.main(["--resume", str(part)]) == 0  # the run's own --steps 1: done
    assert common.load_checkpoint(part)["state"]["step"] == 1
    assert metric.main(["--resume", str(part), "--steps", str(metric.DRY_BATCHES)]) == 0
    a, b = _params(full), _params(part)
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)
    assert _records(full) == _records(part)
    assert (
        json.loads((full / "eval.json").read_text())["embedding"]
        == json.loads((part / "eval.json").read_text())["embedding"]
    )


def test_protocols_split_the_bundled_digits():
    seen = metric.build_parser().parse_args(["--split", "seen"])
    metric.fill_defaults(seen)
    tr_x, tr_y, ev_x, ev_y = metric.split_data(seen)
    assert len(tr_x) == 4000 and len(ev_x) == 1000
    assert (np.bincount(tr_y) == 400).all() and (np.bincount(ev_y) == 100).all()
    images, labels = load_mnist(split="all")
    first_three = images[np.flatnonzero(labels == 3)]
    np.testing.assert_array_equal(tr_x[tr_y == 3], first_three[:400])  # file order
    np.testing.assert_array_equal(ev_x[ev_y == 3], first_three[400:])

    unseen = metric.build_parser().parse_args([])
    metric.fill_defaults(unseen)
    tr_x, tr_y, ev_x, ev_y = metric.split_data(unseen)
    assert set(tr_y) == {0, 1, 2, 3, 4} and set(ev_y) == {5, 6, 7, 8, 9}
    assert len(tr_x) == len(ev_x) == 2500


@pytest.mark.parametrize(
    ("split", "recall1", "map_r"), [("seen", 0.916, 0.319), ("unseen", 0.962, 0.353)]
)
def test_raw_pixel_baselines(split, recall1, map_r):
    args = metric.build_parser().parse_args(["--split", split])
    metric.fill_defaults(args)
    _, _, ev_x, ev_y = metric.split_data(args)
    got = metric.retrieval_metrics(metric.pixels(ev_x), ev_y)
    assert got["recall@1"] == pytest.approx(recall1, abs=1e-3)
    assert got["map@r"] == pytest.approx(map_r, abs=1e-3)


UNSEEN_RECIPE = {
    "margin": 0.5,
    "samples_per_class": 100,
    "shift": 3,
    "ema": 0.9,
    "lr_decay": "linear",
    "convs_per_stage": 2,
    "embedding_dim": 128,
    "epochs": 15,
    "retrieve_from": "features",
}
SEEN_RECIPE = {
    "margin": 0.5,
    "samples_per_class": 16,
    "shift": 2,
    "ema": 0.0,
    "lr_decay": "none",
    "convs_per_stage": 1,
    "embedding_dim": 64,
    "epochs": 10,
    "retrieve_from": "output",
}


def _defaults(argv):
    args = metric.build_parser().parse_args(argv)
    metric.fill_defaults(args)
    return {k: getattr(args, k) for k in UNSEEN_RECIPE}


def test_defaults_are_each_splits_recipe():
    """No flags: the triplet recipe of --split; a flag given wins, 0 and "none" included;
    the siamese model keeps the plain defaults, and a dry run a K its tiny data holds."""
    assert _defaults([]) == UNSEEN_RECIPE
    assert _defaults(["--split", "unseen"]) == UNSEEN_RECIPE
    assert _defaults(["--split", "seen"]) == SEEN_RECIPE
    given = ["--ema", "0", "--shift", "0", "--lr-decay", "none", "--embedding-dim", "32"]
    given += ["--convs-per-stage", "1", "--samples-per-class", "20", "--epochs", "3"]
    given += ["--margin", "0.2", "--retrieve-from", "output"]
    assert _defaults(given) == {
        "margin": 0.2,
        "samples_per_class": 20,
        "shift": 0,
        "ema": 0.0,
        "lr_decay": "none",
        "convs_per_stage": 1,
        "embedding_dim": 32,
        "epochs": 3,
        "retrieve_from": "output",
    }
    assert _defaults(["--split", "seen", "--ema", "0.5"]) == {**SEEN_RECIPE, "ema": 0.5}
    siamese = {**SEEN_RECIPE, "margin": 1.0}
    assert _defaults(["--model", "siamese"]) == _defaults(["--model", "siamese", "--split", "seen"])
    assert _defaults(["--model", "siamese"]) == siamese
    assert _defaults(["--dry-run"]) == {**UNSEEN_RECIPE, "samples_per_class": 16}
    assert _defaults(["--dry-run", "--samples-per-class", "48"])["samples_per_class"] == 48


def test_config_records_the_resolved_recipe(tmp_path):
    out = tmp_path / "run"
    assert metric.main(["--dry-run", "--device", "cpu", "--channels", "4", "--out", str(out)]) == 0
    config = json.loads((out / "config.json").read_text())
    assert {k: config[k] for k in UNSEEN_RECIPE} == {**UNSEEN_RECIPE, "samples_per_class": 16}
    state = common.load_checkpoint(out)["state"]
    assert "ema" in state  # trained with the recipe's averaged weights
    shapes = [v.shape for k, v in state["net"].items() if k.endswith("weight")]
    assert len(shapes) == 2 * 2 + 1  # two convs per stage, then the projection to D = 128
    assert shapes[-1] == (128, 2 * 4 * 7 * 7)


def test_resume_of_a_run_older_than_a_setting_uses_what_ran_then(tmp_path):
    """A config.json without a setting predates its flag: the run trained without it (one
    conv per stage, no averaging), so a resume must not bring in the recipe's values."""
    out = tmp_path / "old"
    argv = ["--dry-run", "--device", "cpu", "--channels", "4", "--embedding-dim", "8"]
    argv += ["--convs-per-stage", "1", "--ema", "0", "--lr-decay", "none", "--steps", "1"]
    assert metric.main(argv + ["--out", str(out)]) == 0
    path = out / "config.json"
    config = json.loads(path.read_text())
    saved = common.load_checkpoint(out)  # the checkpoint's copy of the settings too
    for key in ("convs_per_stage", "ema", "lr_decay", "retrieve_from"):
        del config[key]
        del saved["args"][key]
    path.write_text(json.dumps(config))
    common.save_checkpoint(out / "checkpoint.npz", saved)
    assert metric.main(["--resume", str(out), "--steps", "2"]) == 0
    state = common.load_checkpoint(out)["state"]
    assert state["step"] == 2 and "ema" not in state
    assert state["opt"]["param_groups"][0]["lr"] == pytest.approx(1e-3)
    # finished, it is scored and embedded as it was before the flag: by its output
    assert metric.main(["--resume", str(out), "--steps", str(metric.DRY_BATCHES)]) == 0
    assert json.loads((out / "eval.json").read_text())["retrieve_from"] == "output"
    assert embed.load_net(out, "cpu").retrieve == "output"


def test_parse_classes():
    assert metric.parse_classes("0-4") == [0, 1, 2, 3, 4]
    assert metric.parse_classes("0,2,7-9") == [0, 2, 7, 8, 9]
    for bad in ("a-b", "3-12", ""):
        with pytest.raises(ValueError, match="--train-classes"):
            metric.parse_classes(bad)


def test_ema_and_lr_decay(tmp_path):
    """--ema evaluates and embeds with the averaged weights, which the checkpoint keeps
    next to the last step's; --lr-decay linear ends the last step at lr / batches;
    train.embed rebuilds a --convs-per-stage 2 network."""
    out = tmp_path / "ema"
    args = ["--dry-run", "--device", "cpu", "--embedding-dim", "8", "--ema", "0.5"]
    args += ["--convs-per-stage", "2"]
    assert metric.main(args + ["--lr-decay", "linear", "--out", str(out)]) == 0
    state = common.load_checkpoint(out)["state"]
    assert state["opt"]["param_groups"][0]["lr"] == pytest.approx(1e-3 / metric.DRY_BATCHES)
    assert int(state["ema"]["num_updates"]) == metric.DRY_BATCHES
    net = embed.load_net(out, "cpu")
    averages = state["ema"]["averages"]
    for i, p in enumerate(net.parameters()):
        a = averages[i] if i in averages else averages[str(i)]
        np.testing.assert_array_equal(p.detach().numpy(), a)
    last, averaged = _params(out), net.state_dict()
    assert last.keys() == averaged.keys()
    assert any(not np.array_equal(averaged[k].numpy(), last[k]) for k in last)
    # the recorded metrics are those of the averaged weights
    parsed = metric.build_parser().parse_args(args)
    metric.fill_defaults(parsed)
    _, _, images, eval_labels = metric.split_data(parsed)
    emb = embed.embed(net, images, "cpu")
    expected = metric.retrieval_metrics(emb, eval_labels)
    (record,) = common.read_jsonl(out / "metrics.jsonl")
    for k, v in expected.items():
        assert record[k] == pytest.approx(v, abs=1e-3), k


def test_bad_arguments_exit_with_a_message(tmp_path, capsys):
    out = str(tmp_path / "r")
    assert metric.main(["--classes-per-batch", "9", "--dry-run", "--out", out]) == 1
    assert "--classes-per-batch 9" in capsys.readouterr().err
    with pytest.raises(SystemExit, match="2"):  # refused by the parser
        metric.main(["--ema", "1.0", "--dry-run", "--out", out])
    assert "argument --ema: must be a finite number in [0, 1), got 1.0" in capsys.readouterr().err
    assert metric.main(["--resume", str(tmp_path / "missing")]) == 1
    assert "checkpoint not found" in capsys.readouterr().err


# ---------------------------------------------------------------------- train.embed
@pytest.fixture(scope="module")
def triplet_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("embed") / "run"
    args = ["--dry-run", "--device", "cpu", "--embedding-dim", "8", "--out", str(out)]
    args += ["--retrieve-from", "output"]
    assert metric.main(args) == 0
    return out


def test_embed_writes_float32_embeddings(triplet_run, tmp_path):
    images = load_mnist(split="test")[0][:7]
    src, dst = tmp_path / "in.npz", tmp_path / "out.npz"
    np.savez(src, images=images)
    assert embed.main([str(triplet_run), "--images", str(src), "--out", str(dst)]) == 0
    with np.load(dst) as f:
        assert f.files == ["embeddings"]
        e = f["embeddings"]
    assert e.dtype == np.float32 and e.shape == (7, 8)
    np.testing.assert_allclose(np.linalg.norm(e, axis=1), 1.0, rtol=1e-5)  # triplet: unit
    # batching does not change the numbers (beyond BLAS round-off)
    run_dir = triplet_run
    net = embed.load_net(run_dir, "cpu")
    np.testing.assert_allclose(embed.embed(net, images, "cpu", batch=3), e, atol=1e-6)


def test_embed_writes_the_runs_features_and_its_figures_are_theirs(tmp_path):
    """A run on --split unseen retrieves with the features under the projection by
    default: train.embed writes those (unit length, feature_dim wide), and the run's
    recorded figures are theirs; the output's figures sit beside them in eval.json."""
    out = tmp_path / "run"
    argv = ["--dry-run", "--device", "cpu", "--channels", "4", "--embedding-dim", "8"]
    assert metric.main(argv + ["--out", str(out)]) == 0
    net = embed.load_net(out, "cpu")
    assert net.retrieve == "features" and net.embed_dim == 2 * 4 * 7 * 7
    parsed = metric.build_parser().parse_args(argv)
    metric.fill_defaults(parsed)
    _, _, images, labels = metric.split_data(parsed)
    src, dst = tmp_path / "in.npz", tmp_path / "out.npz"
    np.savez(src, images=images)
    assert embed.main([str(out), "--images", str(src), "--out", str(dst)]) == 0
    with np.load(dst) as f:
        e = f["embeddings"]
    assert e.dtype == np.float32 and e.shape == (len(images), 2 * 4 * 7 * 7)
    np.testing.assert_allclose(np.linalg.norm(e, axis=1), 1.0, rtol=1e-5)
    result = json.loads((out / "eval.json").read_text())
    got = metric.retrieval_metrics(e, labels)
    for k, v in got.items():
        assert result["embedding"][k] == pytest.approx(v, abs=1e-3), k
    out_emb = embed.embed(embed.load_net(out, "cpu"), images[:0], "cpu")
    assert out_emb.shape == (0, 2 * 4 * 7 * 7)  # no images: an empty array as wide
    net.retrieve = "output"
    o = metric.retrieval_metrics(embed.embed(net, images, "cpu"), labels)
    for k, v in o.items():
        assert result["layers"]["output"][k] == pytest.approx(v, abs=1e-3), k


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ({"imgs": np.zeros((2, 28, 28), np.uint8)}, "no key 'images' (found ['imgs'])"),
        ({"images": np.zeros((2, 28, 28), np.float32)}, "dtype float32; expected uint8"),
        ({"images": np.zeros((2, 32, 32), np.uint8)}, "shape (2, 32, 32); expected (N, 28, 28)"),
        ({"images": np.zeros((28, 28), np.uint8)}, "shape (28, 28); expected (N, 28, 28)"),
    ],
)
def test_embed_rejects_bad_images(triplet_run, tmp_path, capsys, arrays, message):
    src = tmp_path / "bad.npz"
    np.savez(src, **arrays)
    out = tmp_path / "o.npz"
    assert embed.main([str(triplet_run), "--images", str(src), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert str(src) in err and message in err
    assert not out.exists()


def test_embed_rejects_missing_and_non_npz_files(triplet_run, tmp_path, capsys):
    missing = tmp_path / "missing.npz"
    assert embed.main([str(triplet_run), "--images", str(missing), "--out", "x.npz"]) == 1
    err = capsys.readouterr().err
    assert str(missing) in err and "file not found" in err
    npy = tmp_path / "images.npy"
    np.save(npy, np.zeros((2, 28, 28), np.uint8))
    assert embed.main([str(triplet_run), "--images", str(npy), "--out", "x.npz"]) == 1
    assert "not an .npz archive" in capsys.readouterr().err
    images = tmp_path / "ok.npz"
    np.savez(images, images=np.zeros((2, 28, 28), np.uint8))
    assert embed.main([str(tmp_path), "--images", str(images), "--out", "x.npz"]) == 1
    assert "checkpoint not found" in capsys.readouterr().err


def test_random_shift_moves_each_image_whole():
    x = np.random.default_rng(0).uniform(size=(6, 1, 10, 10)).astype(np.float32)
    assert metric.random_shift(x, 0, np.random.default_rng(1)) is x
    y = metric.random_shift(x, 2, np.random.default_rng(1))
    assert y.shape == x.shape and y.dtype == x.dtype
    for xi, yi in zip(x[:, 0], y[:, 0], strict=True):
        # some offset in [-2, 2]^2 maps x onto y, with -1 (background) where x had no pixel
        hits = 0
        for dy in range(-2, 3):
            for dx in range(-2, 3):
                pad = np.pad(xi, 2, constant_values=-1.0)
                if np.array_equal(pad[2 + dy : 12 + dy, 2 + dx : 12 + dx], yi):
                    hits += 1
        assert hits == 1


class _Extreme:
    """A generator stand-in whose every uniform draw is the top (or bottom) of its range,
    so random_affine's transform is known."""

    def __init__(self, top: bool = True) -> None:
        self.top = top

    def uniform(self, low, high, size):
        return np.full(size, high if self.top else low, dtype=np.float64)


def test_random_affine_rotates_scales_and_shifts():
    x = np.random.default_rng(0).uniform(size=(2, 3, 7, 7)).astype(np.float32)
    y = metric.random_affine(x, 0.0, 0.0, 0.0, np.random.default_rng(0))
    np.testing.assert_array_equal(y, x)  # the identity, bilinear weights exactly 0
    y = metric.random_affine(x, 90.0, 0.0, 0.0, _Extreme())
    np.testing.assert_allclose(y, np.rot90(x, 1, axes=(2, 3)), atol=1e-6)
    y = metric.random_affine(x, 0.0, 0.0, 1.0, _Extreme())  # one pixel down and right
    np.testing.assert_allclose(y[:, :, 1:, 1:], x[:, :, :-1, :-1], atol=1e-6)
    assert (y[:, :, 0, :] == -1).all() and (y[:, :, :, 0] == -1).all()
    y = metric.random_affine(x, 0.0, 0.5, 0.0, _Extreme(top=False))  # half size
    assert (y[:, :, 0, :] == -1).all() and y.dtype == np.float32
    np.testing.assert_allclose(y[:, :, 3, 3], x[:, :, 3, 3], atol=1e-6)  # the centre stays
    # 1.5x: output (0, 0) reads the input at 3 + (0 - 3) / 1.5 = 1 on both axes
    y = metric.random_affine(x, 0.0, 0.5, 0.0, _Extreme(top=True))
    np.testing.assert_allclose(y[:, :, 0, 0], x[:, :, 1, 1], atol=1e-6)
    # output (0, 1) reads column 3 + (1 - 3) / 1.5 = 5/3: a third of column 1, 2/3 of column 2
    want = x[:, :, 1, 1] / 3 + 2 * x[:, :, 1, 2] / 3
    np.testing.assert_allclose(y[:, :, 0, 1], want, atol=1e-6)
