"""Round 25 of the hostile tests of the train/ jobs (tiny runs), checking what the docs
promise: the pictures an epoch owes when its run stopped right after the checkpoint (a
kill, a full disk) are drawn by the bare --resume; train.latent and train.sample leave one
call's outputs, never a mix of two calls; a second SIGTERM is SIGTERM (143); a checkpoint
recording --ema without its averaged weights is refused by the readers; write errors say
what happened and what to do; and two copies of an IDX file that differ are refused."""

import errno
import gzip
import json
import os
import shutil
import signal
from pathlib import Path

import numpy as np
import pytest
from tiny_runs import RING, edit_checkpoint, random_digits

from train import common, embed, evaluate, gan, generators, latent, metric, sample
from train import run as scaffold


class Killed(BaseException):
    """A SIGKILL, simulated: nothing of the job runs after it (no handler catches it)."""


def _digits(tmp_path):
    """Flags of an MLP run on 32 random digits (2 batches an epoch)."""
    data = random_digits(tmp_path / "digits.npz", n=32)
    argv = ["--model", "mlp", "--data-dir", str(data), "--batch-size", "16", "--hidden", "8"]
    return argv + ["--eval-samples", "0", "--device", "cpu", "--epochs", "3"]


@pytest.fixture(scope="module")
def digit_base(tmp_path_factory):
    """An uninterrupted 3-epoch digit run and its flags."""
    tmp = tmp_path_factory.mktemp("base")
    argv = _digits(tmp)
    assert gan.main(argv + ["--out", str(tmp / "run")]) == 0
    return argv, tmp / "run"


def _pictures(run):
    """Every picture of a train.gan run folder, by name, as bytes."""
    names = [
        "samples.png",
        "losses.png",
        *(f"samples/{p.name}" for p in (run / "samples").glob("*")),
    ]
    return {n: (run / n).read_bytes() for n in sorted(names) if (run / n).exists()}


def _killed_after_commit(monkeypatch, epoch):
    """The run dies right after epoch `epoch`'s checkpoint committed, before its pictures."""
    real = gan.Run.draw_epoch_

    def draw(self):
        if self.epoch == epoch:
            raise Killed
        real(self)

    monkeypatch.setattr(gan.Run, "draw_epoch_", draw)
    return lambda: monkeypatch.setattr(gan.Run, "draw_epoch_", real)


# ---------------------------------------------------------------- 1. pictures owed to a resume
@pytest.mark.parametrize("epoch", [2, 3])
def test_a_kill_between_commit_and_pictures_is_drawn_by_the_resume(
    digit_base, tmp_path, monkeypatch, capsys, epoch
):
    """Epoch 2: samples/ ended as epoch_001, epoch_003 (002 never drawn). Epoch 3 (the
    last): the resume said "finished" and samples.png stayed epoch 2's grid, losses.png
    without the last epoch, and samples/epoch_003.png missing."""
    argv, base = digit_base
    run = tmp_path / "run"
    undo = _killed_after_commit(monkeypatch, epoch)
    with pytest.raises(Killed):
        gan.main(argv + ["--out", str(run)])
    undo()
    capsys.readouterr()
    assert gan.main(["--resume", str(run)]) == 0
    err = capsys.readouterr().err
    mark = f"epoch {epoch}, step {epoch * 2}"
    assert f"{run}: drew the pictures of the checkpoint's {mark}, which the run stopped " in err
    assert f"samples/epoch_00{epoch}.png (missing)" in err
    before = f"of epoch {epoch - 1}, step {epoch * 2 - 2}"
    assert f"samples.png ({before}), losses.png ({before})" in err
    assert _pictures(run) == _pictures(base)
    assert common.picture_checkpoint(run / "losses.png") == "epoch 3, step 6"
    # drawn once: a further bare resume draws nothing and says so
    assert gan.main(["--resume", str(run)]) == 0
    assert "drew the pictures" not in capsys.readouterr().err


def test_a_ring_run_killed_after_its_last_commit_gets_its_pictures(tmp_path, monkeypatch, capsys):
    """The 2-D data: a scatter plot and the loss curves, no per-epoch grid."""
    base, run = tmp_path / "base", tmp_path / "run"
    assert gan.main(RING + ["--steps", "4", "--out", str(base)]) == 0
    undo = _killed_after_commit(monkeypatch, 2)
    with pytest.raises(Killed):
        gan.main(RING + ["--steps", "4", "--out", str(run)])
    undo()
    capsys.readouterr()
    assert gan.main(["--resume", str(run)]) == 0
    err = capsys.readouterr().err
    assert "samples.png (of epoch 1, step 2), losses.png (of epoch 1, step 2)" in err
    assert "the run had already finished (epoch 2, step 4)" in err
    assert _pictures(run) == _pictures(base)


def _failing_pictures(monkeypatch, fails, error):
    """Every PNG written (PIL's save: grids and figures alike) whose file name contains
    one of `fails` raises `error` (an exception instance) instead; returns the undo."""
    from PIL import Image

    real = Image.Image.save

    def save(self, fp, *args, **kwargs):
        if any(name in Path(str(fp)).name for name in fails):
            raise error
        return real(self, fp, *args, **kwargs)

    monkeypatch.setattr(Image.Image, "save", save)
    return lambda: monkeypatch.setattr(Image.Image, "save", real)


def _full():
    return OSError(errno.ENOSPC, "No space left on device")


def test_a_full_disk_on_a_picture_says_the_checkpoint_is_intact(
    digit_base, tmp_path, monkeypatch, capsys
):
    """The line was ".../epoch_003.png: cannot write it: the disk is full", with no word of
    the checkpoint, and the resume then left the pictures at epoch 2 for good."""
    argv, base = digit_base
    run = tmp_path / "run"
    undo = _failing_pictures(monkeypatch, ["epoch_003"], _full())
    capsys.readouterr()
    assert gan.main(argv + ["--out", str(run)]) == 1
    err = capsys.readouterr().err
    assert err.endswith(
        f"train.gan: error: cannot write {run / 'samples' / 'epoch_003.png'}: the disk is full; "
        f"{run / 'checkpoint.npz'} (step 6) is intact: make room and run --resume {run}, "
        "which draws the pictures of its epoch\n"
    )
    undo()
    assert gan.main(["--resume", str(run)]) == 0
    assert _pictures(run) == _pictures(base)


def test_a_picture_refused_for_another_reason_is_not_answered_make_room(
    digit_base, tmp_path, monkeypatch, capsys
):
    argv, _ = digit_base
    run = tmp_path / "run"

    _failing_pictures(
        monkeypatch, ["epoch_001"], PermissionError(errno.EACCES, "Permission denied")
    )
    capsys.readouterr()
    assert gan.main(argv[:-1] + ["1", "--out", str(run)]) == 1  # --epochs 1
    assert capsys.readouterr().err == (
        f"train.gan: error: cannot write {run / 'samples' / 'epoch_001.png'}: Permission "
        f"denied; {run / 'checkpoint.npz'} (step 2) is intact: make the folder writable and "
        f"run --resume {run}, which draws the pictures of its epoch\n"
    )


# ---------------------------------------------------------------- 2. train.latent: one call's
@pytest.fixture(scope="module")
def digit_run(digit_base, tmp_path_factory):
    return digit_base[1]


@pytest.fixture(autouse=True)
def no_digit_classifier(monkeypatch):
    """train.latent's vector arithmetic picks its digits with the classifier (20 s on the
    CPU for 4,000 samples): here it finds no confident digit, and skips the picture."""
    monkeypatch.setattr(latent, "get_classifier", lambda device: (None, 0.0))
    monkeypatch.setattr(latent, "predict", lambda clf, x, device: (np.full((len(x), 10), 0.1), 0))


SKIPPED = "skipping vector arithmetic: too few confident samples of digit 1 for arithmetic\n"


def _latent_pictures(out):
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


@pytest.fixture
def latent_done(digit_run, tmp_path):
    """A first train.latent call into its own --out (no arithmetic: a random MLP draws no
    confident digits; quick: few rows)."""
    out = tmp_path / "lat"
    argv = [str(digit_run), "--out", str(out), "--rows", "2", "--steps", "3", "--device", "cpu"]
    assert latent.main(argv) == 0
    return out, _latent_pictures(out)


def _second_call(digit_run, out):
    return [str(digit_run), "--out", str(out), "--rows", "3", "--steps", "3", "--seed", "1"]


def test_latent_full_disk_on_the_second_picture_replaces_none(
    digit_run, latent_done, monkeypatch, capsys
):
    """The folder held the new 12-row interp_linear.png beside the old interp_slerp.png."""
    out, before = latent_done
    _failing_pictures(monkeypatch, ["interp_slerp"], _full())
    capsys.readouterr()
    assert latent.main(_second_call(digit_run, out) + ["--device", "cpu"]) == 1
    err = capsys.readouterr().err
    assert err == SKIPPED + (
        f"train.latent: error: {out / 'interp_slerp.png'}: cannot write it: the disk is full; "
        f"no picture in {out} was replaced (it holds the pictures it held before)\n"
    )
    assert _latent_pictures(out) == before  # nor is a staging folder left


def test_latent_ctrl_c_while_drawing_says_no_picture_was_written(
    digit_run, latent_done, monkeypatch, capsys
):
    out, before = latent_done
    _failing_pictures(monkeypatch, ["interp_slerp"], KeyboardInterrupt())
    capsys.readouterr()
    assert latent.main(_second_call(digit_run, out) + ["--device", "cpu"]) == 130
    assert capsys.readouterr().err == SKIPPED + (
        "train.latent: interrupted by SIGINT; no picture was written: the pictures of --out "
        "are those it held before\n"
    )
    assert _latent_pictures(out) == before


def test_latent_a_signal_while_the_pictures_move_into_place_waits_for_all(
    digit_run, latent_done, monkeypatch, capsys
):
    """A SIGTERM between two renames is held until every picture is in place."""
    out, before = latent_done
    real = os.replace
    sent = []

    def replace(src, dst, *args, **kwargs):
        if Path(dst).parent == out and not sent:
            sent.append(dst)
            os.kill(os.getpid(), signal.SIGTERM)
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    capsys.readouterr()
    assert latent.main(_second_call(digit_run, out) + ["--device", "cpu"]) == 143
    monkeypatch.setattr(os, "replace", real)
    names = ["interp_linear.png", "interp_slerp.png", "nearest.png"]
    assert capsys.readouterr().err == SKIPPED + (
        "train.latent: interrupted by SIGTERM; all of its pictures were written ("
        + ", ".join(str(out / n) for n in names)
        + ")\n"
    )
    after = _latent_pictures(out)
    assert sorted(after) == names and all(after[n] != before[n] for n in names[:2])


def test_latent_default_out_that_cannot_be_made_names_it(digit_run, monkeypatch, capsys):
    """A read-only run: the line was only ".../latent: Permission denied", after drawing."""
    real = Path.mkdir
    target = digit_run / "latent"

    def refused(self, *args, **kwargs):
        if self == target:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", refused)
    capsys.readouterr()
    assert latent.main([str(digit_run), "--rows", "2", "--device", "cpu"]) == 1
    assert capsys.readouterr().err == (
        f"train.latent: error: --out {target} (the default, RUN_DIR/latent): cannot write the "
        "pictures there (Permission denied); give a writable --out DIR\n"
    )
    assert not target.exists()


def test_latent_removes_a_dead_calls_staging_folder(digit_run, latent_done, capsys):
    out, before = latent_done
    dead = out / f"{latent.STAGING}999999999"
    dead.mkdir()
    (dead / "interp_linear.png").write_bytes(b"half")
    assert latent.main(_second_call(digit_run, out) + ["--device", "cpu"]) == 0
    assert sorted(_latent_pictures(out)) == sorted(before)  # the staging folders are gone


# ---------------------------------------------------------------- 3. train.sample: both or none
def test_sample_png_that_fails_leaves_out_as_it_was(digit_run, tmp_path, monkeypatch, capsys):
    """x.npz held the 64 new samples while x.png stayed the first call's 4-sample grid."""
    out, png = tmp_path / "x.npz", tmp_path / "x.png"
    first = [str(digit_run), "--n", "4", "--out", str(out), "--png", str(png), "--device", "cpu"]
    assert sample.main(first) == 0
    before = out.read_bytes(), png.read_bytes()
    _failing_pictures(monkeypatch, ["x."], _full())
    capsys.readouterr()
    second = [str(digit_run), "--n", "9", "--seed", "1", "--out", str(out), "--png", str(png)]
    assert sample.main(second + ["--device", "cpu"]) == 1
    assert capsys.readouterr().err == (
        f"train.sample: error: {png}: cannot write it: the disk is full\n"
    )
    assert (out.read_bytes(), png.read_bytes()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.npz", "x.png"]


def test_sample_writes_both_when_all_goes_well(digit_run, tmp_path):
    out, png = tmp_path / "x.npz", tmp_path / "x.png"
    argv = [str(digit_run), "--n", "3", "--out", str(out), "--png", str(png), "--device", "cpu"]
    assert sample.main(argv) == 0
    assert np.load(out)["samples"].shape == (3, 28, 28)
    assert common.png_of_a_job(png, "train.sample")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.npz", "x.png"]


# ---------------------------------------------------------------- 4. a second SIGTERM
def _second_signal(first, second):
    """What a second signal raises inside the training loop's handler."""
    with common.GracefulInterrupt() as stop:
        os.kill(os.getpid(), first)
        assert stop.requested and stop.signal_name == signal.Signals(first).name
        try:
            os.kill(os.getpid(), second)
        except KeyboardInterrupt as exc:
            return exc
    return None


def test_a_second_sigterm_raises_terminated():
    assert isinstance(_second_signal(signal.SIGTERM, signal.SIGTERM), common.Terminated)
    assert isinstance(_second_signal(signal.SIGINT, signal.SIGTERM), common.Terminated)
    # a Ctrl-C after a SIGTERM is a Ctrl-C
    raised = _second_signal(signal.SIGTERM, signal.SIGINT)
    assert isinstance(raised, KeyboardInterrupt) and not isinstance(raised, common.Terminated)


@pytest.mark.usefixtures("quick_pictures")
def test_two_sigterms_in_a_run_exit_143_naming_sigterm(tmp_path, monkeypatch, capsys):
    """`kill PID; kill PID`: the job said "interrupted by SIGINT" and exited 130."""
    run = tmp_path / "run"
    real = gan.Run.train_batch_

    def twice(self):
        if self.step == 1:
            os.kill(os.getpid(), signal.SIGTERM)
            os.kill(os.getpid(), signal.SIGTERM)
        return real(self)

    monkeypatch.setattr(gan.Run, "train_batch_", twice)
    capsys.readouterr()
    assert gan.main(RING + ["--steps", "4", "--out", str(run)]) == 143
    err = capsys.readouterr().err
    assert "train.gan: interrupted by SIGTERM" in err and "SIGINT" not in err


# ---------------------------------------------------------------- 5. --ema without its weights
@pytest.fixture
def ema_run(tmp_path, quick_pictures):
    run = tmp_path / "ema"
    assert gan.main(RING + ["--steps", "2", "--ema", "0.9", "--out", str(run)]) == 0
    edit_checkpoint(run, lambda saved: saved["state"].pop("ema_G"))
    return run


def test_readers_refuse_an_ema_run_without_ema_g(ema_run, tmp_path, capsys):
    """train.sample sampled the raw G with status 0; train.evaluate scored it."""
    says = (
        f"{ema_run / 'checkpoint.npz'}: the checkpoint's state has no 'ema_G' (the run trained "
        "with --ema 0.9, whose averaged weights the samples come from); not a complete "
        "train.gan checkpoint: put the run's own back\n"
    )
    out = tmp_path / "s.npz"
    capsys.readouterr()
    assert sample.main([str(ema_run), "--n", "2", "--out", str(out), "--device", "cpu"]) == 1
    assert capsys.readouterr().err == "train.sample: error: " + says and not out.exists()
    assert evaluate.main([str(ema_run), "--n", "100", "--device", "cpu"]) == 1
    assert says in capsys.readouterr().err and not (ema_run / "eval.json").exists()
    assert latent.main([str(ema_run), "--device", "cpu"]) == 1
    assert capsys.readouterr().err == "train.latent: error: " + says
    assert not (ema_run / "latent").exists()
    assert gan.main(["--resume", str(ema_run)]) == 1  # as --resume refuses it
    assert "has no 'ema_G'" in capsys.readouterr().err


@pytest.mark.usefixtures("quick_pictures")
def test_an_ema_run_with_its_weights_is_sampled_from_them(tmp_path):
    run = tmp_path / "ema"
    assert gan.main(RING + ["--steps", "2", "--ema", "0.9", "--out", str(run)]) == 0
    assert sample.main([str(run), "--n", "2", "--out", str(tmp_path / "s.npz")]) == 0


def test_embed_refuses_an_ema_metric_run_without_its_average(tmp_path, capsys):
    run = tmp_path / "m"
    argv = ["--model", "siamese", "--batch-size", "16", "--channels", "4", "--ema", "0.5"]
    argv += ["--embedding-dim", "8", "--epochs", "1", "--steps", "2", "--device", "cpu"]
    assert metric.main(argv + ["--out", str(run)]) == 0
    edit_checkpoint(run, lambda saved: saved["state"].pop("ema"))
    images = tmp_path / "i.npz"
    np.savez(images, images=np.zeros((2, 28, 28), np.uint8))
    out = tmp_path / "e.npz"
    capsys.readouterr()
    argv = [str(run), "--images", str(images), "--out", str(out), "--device", "cpu"]
    assert embed.main(argv) == 1
    assert capsys.readouterr().err == (
        f"train.embed: error: {run / 'checkpoint.npz'}: the checkpoint's state has no 'ema' "
        "(the run trained with --ema 0.5, whose averaged weights embed the images); not a "
        "complete train.metric checkpoint: put the run's own back\n"
    )
    assert not out.exists()


# ---------------------------------------------------------------- 6. messages
@pytest.mark.parametrize("resume", [False, True])
@pytest.mark.usefixtures("quick_pictures")
def test_a_full_disk_at_the_lock_says_so_and_leaves_no_lock(tmp_path, monkeypatch, capsys, resume):
    """It blamed the file system's type and left a 0-byte .lock (and the new folder)."""
    run = tmp_path / "run"
    if resume:
        assert gan.main(RING + ["--steps", "2", "--out", str(run)]) == 0
    real = os.pwrite

    def full(fd, data, offset):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "pwrite", full)
    capsys.readouterr()
    argv = ["--resume", str(run)] if resume else RING + ["--steps", "2", "--out", str(run)]
    assert gan.main(argv) == 1
    monkeypatch.setattr(os, "pwrite", real)
    flag, again = ("--resume", f"--resume {run}") if resume else ("--out", "the command again")
    assert capsys.readouterr().err == (
        f"train.gan: error: {flag} {run}: cannot write the run's lock file {run / '.lock'}: "
        f"the disk is full; make room and run {again}\n"
    )
    assert not (run / ".lock").exists()
    assert run.exists() == resume  # the folder this run made is gone with it


@pytest.fixture
def ring_run(tmp_path, quick_pictures):
    run = tmp_path / "g"
    assert gan.main(RING + ["--steps", "4", "--out", str(run)]) == 0
    return run


def test_a_short_log_that_cannot_be_repaired_is_said(ring_run, tmp_path, monkeypatch, capsys):
    """A read-only run: train.sample said only "wrote 3 samples", the log 2 of 3 records."""
    log = ring_run / "metrics.jsonl"
    log.write_text(log.read_text().splitlines()[0] + "\n")
    before = log.read_bytes()

    def refused(path, records):
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr(common, "write_jsonl", refused)
    capsys.readouterr()
    assert sample.main([str(ring_run), "--n", "2", "--out", str(tmp_path / "s.npz")]) == 0
    out = capsys.readouterr().out
    assert (
        f"{log}: left as it is (it held 1 records, not the checkpoint's 2): it could not be "
        "rewritten from the checkpoint's history (Permission denied); a job that can write "
        "the folder (--resume, or this one again) rewrites it\n"
    ) in out
    assert log.read_bytes() == before and "restored" not in out


def test_a_log_in_the_way_is_not_said_rewritten_nor_answered_make_room(ring_run, capsys):
    """It said "metrics.jsonl: rewritten ... (it was missing)" and then "cannot write ...:
    cannot write it: a folder of that name is in the way; ...: make room"."""
    log = ring_run / "metrics.jsonl"
    log.unlink()
    log.mkdir()
    capsys.readouterr()
    assert gan.main(["--resume", str(ring_run), "--steps", "6"]) == 1
    err = capsys.readouterr().err
    assert err == (
        f"train.gan: error: cannot write {log}: a folder of that name is in the way; "
        f"{ring_run / 'checkpoint.npz'} (step 4) is intact: move what is in the way and "
        f"continue with --resume {ring_run}\n"
    )


def test_a_checkpoint_that_cannot_be_written_for_permission_is_not_make_room(
    ring_run, monkeypatch, capsys
):
    def refused(path, state):
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr(common, "save_checkpoint", refused)
    capsys.readouterr()
    assert gan.main(["--resume", str(ring_run), "--steps", "6"]) == 1
    err = capsys.readouterr().err
    assert f"cannot write {ring_run / 'checkpoint.npz'}: Permission denied; " in err
    assert "make the folder writable and continue with --resume" in err
    assert "make room" not in err


def test_an_out_inside_a_runs_file_is_named_a_file(ring_run, capsys):
    out = ring_run / "config.json" / "sub"
    capsys.readouterr()
    assert gan.main(RING + ["--steps", "2", "--out", str(out)]) == 1
    assert capsys.readouterr().err == (
        f"train.gan: error: --out {out}: {ring_run / 'config.json'} is a file of the run in "
        f"{ring_run}, not a folder; pick an --out outside that run\n"
    )


def test_a_refused_resume_announces_no_longer_length(ring_run, capsys):
    """config.json runs to 10 steps, the checkpoint is of another --hidden: the resume
    said "the run now runs to 10 steps", then refused on "hidden"."""
    config = ring_run / "config.json"
    config.write_text(json.dumps({**json.loads(config.read_text()), "steps": 10}))
    edit_checkpoint(ring_run, lambda saved: saved["args"].update(hidden=64))
    capsys.readouterr()
    assert gan.main(["--resume", str(ring_run)]) == 1
    err = capsys.readouterr().err
    assert '"hidden" is 8 there, 64 in the checkpoint' in err
    assert "now runs to" not in err


def test_a_longer_length_in_config_json_is_still_said(ring_run, capsys):
    config = ring_run / "config.json"
    config.write_text(json.dumps({**json.loads(config.read_text()), "steps": 6}))
    capsys.readouterr()
    assert gan.main(["--resume", str(ring_run)]) == 0
    assert "the run now runs to 6 steps, from config.json" in capsys.readouterr().err


# ---------------------------------------------------------------- 7. two copies of an IDX file
def _idx(images, labels):
    head_i = (2051).to_bytes(4, "big") + b"".join(n.to_bytes(4, "big") for n in images.shape)
    head_l = (2049).to_bytes(4, "big") + len(labels).to_bytes(4, "big")
    return head_i + images.tobytes(), head_l + labels.tobytes()


@pytest.fixture
def idx_folder(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 255, (32, 28, 28)).astype(np.uint8)
    labels = (np.arange(32) % 10).astype(np.uint8)
    raw_i, raw_l = _idx(images, labels)
    folder = tmp_path / "idx"
    folder.mkdir()
    (folder / "train-images-idx3-ubyte").write_bytes(raw_i)
    (folder / "train-labels-idx1-ubyte").write_bytes(raw_l)
    return folder, raw_i, raw_l


def test_idx_copies_that_differ_are_refused_naming_both(idx_folder, tmp_path, capsys):
    """The run trained on the plain pair without a word about the .gz pair."""
    folder, raw_i, raw_l = idx_folder
    other = raw_l[:8] + bytes(reversed(raw_l[8:]))
    (folder / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(other))
    run = tmp_path / "run"
    argv = ["--model", "mlp", "--data-dir", str(folder), "--batch-size", "16", "--hidden", "8"]
    capsys.readouterr()
    assert gan.main(argv + ["--eval-samples", "0", "--device", "cpu", "--out", str(run)]) == 1
    plain, gz = folder / "train-labels-idx1-ubyte", folder / "train-labels-idx1-ubyte.gz"
    assert capsys.readouterr().err.endswith(
        f"--data-dir {folder} holds train-labels-idx1-ubyte and train-labels-idx1-ubyte.gz, "
        f"with different contents ({plain} would be read and {gz} left unread); remove the "
        "copy you do not mean to train on\n"
    )
    assert not (run / "checkpoint.npz").exists()


@pytest.mark.parametrize(
    "name", ["train-images-idx3-ubyte.gz", "train-images.idx3-ubyte", "train-labels-idx1-ubyte.gz"]
)
def test_idx_copies_alike_pass(idx_folder, name):
    """An unpacked download beside its archive: the same data, read once."""
    folder, raw_i, raw_l = idx_folder
    raw = raw_i if "images" in name else raw_l
    (folder / name).write_bytes(gzip.compress(raw) if name.endswith(".gz") else raw)
    generators.check_one_idx_copy(str(folder))
    args = gan.build_parser().parse_args(["--model", "mlp", "--data-dir", str(folder)])
    images, labels = generators.load_images(args)
    assert images.shape == (32, 1, 28, 28) and list(labels[:3]) == [0, 1, 2]


def test_idx_copy_spelt_with_a_dot_that_differs_is_refused(idx_folder):
    folder, raw_i, _ = idx_folder
    (folder / "train-images.idx3-ubyte").write_bytes(raw_i[:-1] + b"\x00")
    with pytest.raises(ValueError, match="train-images-idx3-ubyte and train-images.idx3-ubyte"):
        generators.check_one_idx_copy(str(folder))


def test_the_remedy_of_a_failed_write_fits_its_cause():
    assert scaffold.remedy(OSError(errno.ENOSPC, "x")) == "make room"
    assert scaffold.remedy(OSError(errno.EROFS, "x")) == "make the folder writable"
    assert scaffold.remedy(OSError(errno.EISDIR, "x")) == "move what is in the way"
    assert scaffold.remedy(OSError(errno.EIO, "x")) == "fix that"


# ---------------------------------------------------------------- review of round 25's jobs
def _idx_argv(folder, run):
    return ["--model", "mlp", "--data-dir", str(folder), "--batch-size", "16", "--hidden", "8"] + [
        "--eval-samples",
        "0",
        "--device",
        "cpu",
        "--epochs",
        "1",
        "--out",
        str(run),
    ]


@pytest.mark.parametrize(
    "name, broken",
    [
        ("train-images-idx3-ubyte.gz", lambda raw: gzip.compress(raw)[:-40]),  # half-downloaded
        ("train-images-idx3-ubyte.gz", lambda raw: b"\x1f\x8b" + b"\x00" * 30),  # not gzip data
        ("train-labels-idx1-ubyte.gz", lambda raw: gzip.compress(raw)[:20]),
        ("train-labels-idx1-ubyte.gz", lambda raw: b"\x1f\x8b"),  # the magic alone
    ],
)
def test_an_unreadable_second_idx_copy_is_passed_over(idx_folder, tmp_path, capsys, name, broken):
    """A truncated .gz beside the plain file the loader reads was refused as 'different
    contents', training and --resume alike, though the loader never opens it."""
    folder, raw_i, raw_l = idx_folder
    run = tmp_path / "run"
    assert gan.main(_idx_argv(folder, run)) == 0  # a run made before the .gz came
    (folder / name).write_bytes(broken(raw_i if "images" in name else raw_l))
    generators.check_one_idx_copy(str(folder))
    capsys.readouterr()
    assert gan.main(["--resume", str(run), "--epochs", "2"]) == 0
    assert "different contents" not in capsys.readouterr().err
    assert gan.main(_idx_argv(folder, tmp_path / "new")) == 0


def test_a_copy_that_differs_beside_an_unreadable_one_is_still_refused(idx_folder):
    folder, raw_i, _ = idx_folder
    (folder / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(raw_i)[:-40])
    (folder / "train-images.idx3-ubyte").write_bytes(raw_i[:-1] + b"\x00")
    with pytest.raises(ValueError, match="train-images-idx3-ubyte and train-images.idx3-ubyte"):
        generators.check_one_idx_copy(str(folder))


def test_an_unreadable_first_copy_is_left_to_the_loader_to_name(idx_folder):
    """Not 'different contents': the loader reads that file and says what is wrong."""
    folder, raw_i, _ = idx_folder
    (folder / "train-images-idx3-ubyte").write_bytes(b"\x1f\x8b" + b"\x00" * 30)
    (folder / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(raw_i))
    generators.check_one_idx_copy(str(folder))


@pytest.fixture
def idx_run(idx_folder, tmp_path):
    """A run on the plain IDX pair, then (as beside a run made before the copies were
    checked) a .gz labels copy that differs."""
    folder, raw_i, raw_l = idx_folder
    run = tmp_path / "run"
    assert gan.main(_idx_argv(folder, run)) == 0
    other = raw_l[:8] + bytes(reversed(raw_l[8:]))
    (folder / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(other))
    return folder, run


def test_latent_is_not_stopped_by_a_labels_copy_it_does_not_read(idx_run, tmp_path, capsys):
    """nearest.png reads the images alone: train.latent refused the run for its labels."""
    folder, run = idx_run
    out = tmp_path / "lat"
    argv = [str(run), "--out", str(out), "--rows", "2", "--steps", "3", "--device", "cpu"]
    capsys.readouterr()
    assert latent.main(argv) == 0
    assert "different contents" not in capsys.readouterr().err
    assert sorted(_latent_pictures(out)) == ["interp_linear.png", "interp_slerp.png", "nearest.png"]
    # the copies of what it reads are still checked, and training still checks both
    generators.check_one_idx_copy(str(folder), ("images",))
    with pytest.raises(ValueError, match="train-labels-idx1-ubyte and train-labels-idx1-ubyte.gz"):
        generators.check_one_idx_copy(str(folder))
    assert gan.main(_idx_argv(folder, tmp_path / "new")) == 1
    assert "different contents" in capsys.readouterr().err


def test_latent_still_refuses_an_images_copy_that_differs(idx_run, tmp_path, capsys):
    folder, run = idx_run
    (folder / "train-labels-idx1-ubyte.gz").unlink()
    raw_i = (folder / "train-images-idx3-ubyte").read_bytes()
    (folder / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(raw_i[:-1] + b"\x00"))
    argv = [str(run), "--out", str(tmp_path / "lat"), "--rows", "2", "--device", "cpu"]
    capsys.readouterr()
    assert latent.main(argv) == 1
    err = capsys.readouterr().err
    assert "holds train-images-idx3-ubyte and train-images-idx3-ubyte.gz, with different" in err
    assert not (tmp_path / "lat").exists()


def _unmark(path):
    """`path` as a run before this round wrote it (or a tool that drops PNG text left it):
    the same pixels, marked as minigrad's, without the checkpoint it shows."""
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    with Image.open(path) as img:
        img.load()
        info = PngInfo()
        info.add_text("Software", img.info["Software"])
        img.save(path, format="PNG", pnginfo=info)
    assert common.picture_checkpoint(path) is None


def test_a_resume_of_a_run_whose_pictures_record_no_checkpoint_says_why_it_redraws(
    digit_base, tmp_path, capsys
):
    """They were announced as pictures 'which the run stopped before drawing'."""
    _, base = digit_base
    run = tmp_path / "run"
    shutil.copytree(base, run)
    names = ["samples/epoch_003.png", "samples.png", "losses.png"]
    for name in names:
        _unmark(run / name)
    capsys.readouterr()
    assert gan.main(["--resume", str(run)]) == 0
    err = capsys.readouterr().err
    assert "stopped before drawing" not in err
    assert (
        f"{run}: redrew {', '.join(names)} from the checkpoint's epoch 3, step 6: made before "
        "minigrad recorded each picture's checkpoint (or that record was stripped), so not "
        "known to show it\n"
    ) in err
    assert _pictures(run) == _pictures(base)  # the same pixels, marked again
    assert gan.main(["--resume", str(run)]) == 0
    assert "drew" not in capsys.readouterr().err  # marked now: nothing more to draw


def test_an_unmarked_picture_beside_a_missing_one_is_said_apart(digit_base, tmp_path, capsys):
    """A missing picture is still owed, and said to be one the run stopped before drawing."""
    _, base = digit_base
    run = tmp_path / "run"
    shutil.copytree(base, run)
    (run / "samples" / "epoch_003.png").unlink()
    _unmark(run / "losses.png")
    capsys.readouterr()
    assert gan.main(["--resume", str(run)]) == 0
    err = capsys.readouterr().err
    assert (
        "epoch 3, step 6, which the run stopped before drawing: samples/epoch_003.png (missing)\n"
    ) in err
    assert f"{run}: redrew losses.png from the checkpoint's epoch 3, step 6: made" in err
    assert "samples.png" not in err.replace("samples/epoch_003.png", "")  # it was marked
    assert _pictures(run) == _pictures(base)


@pytest.mark.parametrize(
    "error, rc", [(KeyboardInterrupt(), 130), (OSError(errno.ENOSPC, "No space left"), 1)]
)
def test_latent_that_writes_nothing_removes_the_parents_it_made(
    digit_run, tmp_path, monkeypatch, error, rc
):
    """The old code made --out only to write a picture in it; round 25 left DEEP/ and
    DEEP/x/ behind. A parent that was there already stays, empty or not."""
    there = tmp_path / "there"
    there.mkdir()
    out = there / "deep" / "x" / "y"
    _failing_pictures(monkeypatch, ["interp_slerp"], error)
    argv = [str(digit_run), "--out", str(out), "--rows", "2", "--steps", "3", "--device", "cpu"]
    assert latent.main(argv) == rc
    assert there.is_dir() and list(there.iterdir()) == []


def test_latent_a_changed_checkpoint_removes_the_parents_it_made(digit_run, tmp_path, monkeypatch):
    """The ValueError path: the run committed a new checkpoint while the pictures were
    drawn; a parent that holds another file stays, with it."""
    (tmp_path / "keep").mkdir()
    (tmp_path / "keep" / "note.txt").write_text("mine")
    out = tmp_path / "keep" / "x" / "y"
    calls = iter([{"a": 1}] + [{"a": 2}] * 4)  # then a newer one
    monkeypatch.setattr(latent, "checkpoint_identity", lambda run_dir: next(calls))
    argv = [str(digit_run), "--out", str(out), "--rows", "2", "--steps", "3", "--device", "cpu"]
    assert latent.main(argv) == 1
    assert [p.name for p in (tmp_path / "keep").iterdir()] == ["note.txt"]


def test_missing_folders_are_those_mkdir_makes(tmp_path):
    assert latent._missing_folders(tmp_path) == []
    out = tmp_path / "a" / "b"
    assert latent._missing_folders(out) == [out, tmp_path / "a"]
    assert latent._missing_folders(Path("no-such-folder-here") / "b") == [
        Path("no-such-folder-here/b"),
        Path("no-such-folder-here"),
    ]
