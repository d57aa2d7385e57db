"""train/common.py: checkpoints, logs, images, plots, interrupts and NaN checks."""

import argparse
import json
import os
import signal
import time

import numpy as np
import pytest
from PIL import Image

import minigrad as mg
from train import common


def test_seed_everything_repeats():
    common.seed_everything(7)
    a = (mg.randn(3).numpy(), np.random.rand(2))
    common.seed_everything(7)
    b = (mg.randn(3).numpy(), np.random.rand(2))
    for u, v in zip(a, b, strict=True):
        np.testing.assert_array_equal(u, v)


def test_common_args_and_device():
    parser = common.add_common_args(argparse.ArgumentParser(), default_out="runs/x")
    args = parser.parse_args(["--device", "cpu", "--seed", "3", "--dry-run"])
    assert (args.device, args.seed, args.out, args.resume, args.dry_run) == (
        "cpu",
        3,
        "runs/x",
        None,
        True,
    )
    assert common.resolve_device("cpu") == "cpu"
    assert common.resolve_device("auto") in ("cpu", "cuda")
    with pytest.raises(ValueError, match="unknown device"):
        common.resolve_device("tpu")
    if not mg.cuda.is_available():
        with pytest.raises(RuntimeError, match="cuda"):
            common.resolve_device("cuda")


def test_checkpoint_is_atomic(tmp_path):
    path = tmp_path / "run" / "checkpoint.npz"
    state = {"step": 5, "model": {"w": mg.tensor(np.arange(3.0))}, "lr": 0.1}
    common.save_checkpoint(path, state)
    assert sorted(os.listdir(path.parent)) == ["checkpoint.npz"]
    loaded = common.load_checkpoint(path.parent)
    assert loaded["step"] == 5 and loaded["lr"] == 0.1
    w = loaded["model"]["w"]
    np.testing.assert_array_equal(w.numpy() if isinstance(w, mg.Tensor) else w, [0, 1, 2])
    # A save that fails leaves the old checkpoint and no temporary file.
    with pytest.raises(TypeError):
        common.save_checkpoint(path, {"step": 6, "bad": object()})
    assert sorted(os.listdir(path.parent)) == ["checkpoint.npz"]
    assert common.load_checkpoint(path)["step"] == 5
    with pytest.raises(FileNotFoundError, match="checkpoint not found"):
        common.load_checkpoint(tmp_path / "nothing.npz")


def test_rng_state_round_trips_through_a_checkpoint(tmp_path):
    common.seed_everything(4)
    common.save_checkpoint(tmp_path / "c.npz", {"rng": common.rng_state()})
    expected = (mg.randn(3).numpy(), np.random.rand(2))
    common.seed_everything(99)
    common.set_rng_state(common.load_checkpoint(tmp_path / "c.npz")["rng"])
    np.testing.assert_array_equal(mg.randn(3).numpy(), expected[0])
    np.testing.assert_array_equal(np.random.rand(2), expected[1])


def test_jsonl_write_and_read(tmp_path):
    path = tmp_path / "metrics.jsonl"
    records = [
        {"step": 1, "loss": np.float32(0.5), "t": mg.tensor(2.0)},
        {"step": 2, "loss": float("nan")},
    ]
    path.write_text("".join(json.dumps(r, default=common.json_default) + "\n" for r in records))
    records = common.read_jsonl(path)
    assert records[0] == {"step": 1, "loss": 0.5, "t": 2.0}
    assert records[1]["step"] == 2 and np.isnan(records[1]["loss"])
    with open(path, "a") as f:
        f.write('{"step": 3, "lo')  # a write cut off by a crash
    assert len(common.read_jsonl(path)) == 2
    path.write_text('{"a": 1}\nbroken\n{"a": 2}\n')
    with pytest.raises(ValueError, match="metrics.jsonl:2"):
        common.read_jsonl(path)


def test_image_grid_dims(tmp_path):
    grey = np.zeros((10, 28, 28), np.uint8)
    grid = common.write_image_grid(tmp_path / "g.png", grey, nrow=4)
    # 3 rows x 4 columns of 28 px with 2 px between and around.
    assert grid.shape == (3 * 30 + 2, 4 * 30 + 2)
    with Image.open(tmp_path / "g.png") as img:
        assert img.size == (122, 92) and img.mode == "L"
    colour = mg.tensor(np.ones((3, 3, 8, 8), np.float32))  # NCHW in [-1, 1]
    grid = common.write_image_grid(tmp_path / "c.png", colour, nrow=8)
    assert grid.shape == (12, 3 * 10 + 2, 3) and grid.dtype == np.uint8
    assert grid[2, 2].tolist() == [255, 255, 255] and grid[0, 0].tolist() == [0, 0, 0]
    with Image.open(tmp_path / "c.png") as img:
        assert img.size == (32, 12) and img.mode == "RGB"
    nchw_grey = common.make_image_grid(-np.ones((2, 1, 5, 5)), nrow=2)
    assert nchw_grey.shape == (9, 16) and nchw_grey.max() == 0
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".")]


def test_plots_written(tmp_path):
    records = [{"step": i, "d_loss": 1 / (i + 1), "g_loss": float(i)} for i in range(20)]
    records.append({"step": 20, "d_loss": float("nan")})
    common.plot_curves(tmp_path / "curves.png", records, ["d_loss", "g_loss"])
    rng = np.random.default_rng(0)
    common.scatter_plot(
        tmp_path / "scatter.png", rng.normal(size=(50, 2)), rng.normal(size=(40, 2)), np.eye(2)
    )
    for name in ("curves.png", "scatter.png"):
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"


def _wait_for_signal(flag):
    # The Python-level handler runs at the next bytecode boundary; give it a moment.
    deadline = time.monotonic() + 2
    while not flag() and time.monotonic() < deadline:
        time.sleep(0.001)


def test_graceful_interrupt():
    before = signal.getsignal(signal.SIGINT)
    with common.GracefulInterrupt() as stop:
        assert not stop.requested
        os.kill(os.getpid(), signal.SIGINT)
        _wait_for_signal(lambda: stop.requested)
        assert stop.requested and bool(stop) and stop.signal_name == "SIGINT"
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(1)
    assert signal.getsignal(signal.SIGINT) is before


def test_check_finite(tmp_path):
    assert common.check_finite("D loss", mg.tensor(1.5), 3) == 1.5
    with pytest.raises(FloatingPointError, match="D loss became NaN at step 123; no checkpoint"):
        common.check_finite("D loss", float("nan"), 123)
    ckpt = tmp_path / "checkpoint.npz"
    ckpt.write_bytes(b"x")
    with pytest.raises(FloatingPointError) as err:
        common.check_finite("G loss", np.array([1.0, np.inf]), 7, ckpt)
    assert str(err.value) == f"G loss became infinite at step 7; the last good checkpoint is {ckpt}"
