"""Crash tests: a training job killed with SIGKILL at random moments (seeded) and resumed
each time, or stopped by a full disk at checkpoint time and resumed, ends with the same
weights and the same metrics.jsonl, record for record, as a run never interrupted.

The job runs in a forked child of the test process (the imports are paid once). The
moment of each kill is drawn as a count of "ticks": the child SIGKILLs itself at the
n-th of these points, which are where a crash can lose or tear data: the start of every
training batch, and before and after every array-file write (`np.savez`) and every rename
(`os.replace`, the commit of a checkpoint, config or log). Counting ticks instead of
seconds makes the kills land the same way on a loaded machine as on an idle one. The
pictures are replaced by tiny files: they are not what is checked here, and drawing them
would make each epoch a second long."""

import errno
import os
import random
import signal
import threading
import time

import numpy as np
import pytest
from tqdm import tqdm

from train import common, gan, metric
from train import run as scaffold

GAN_ARGS = "--dataset ring --hidden 8 --batch-size 32 --steps-per-epoch 3 --epochs 8"
GAN_ARGS += " --eval-samples 200 --device cpu"
METRIC_ARGS = "--dry-run --model triplet --mining random --channels 2 --embedding-dim 4"
METRIC_ARGS += " --device cpu"
SECONDS = ("seconds", "train_seconds")


@pytest.fixture(autouse=True)
def quick_pictures(monkeypatch):
    def picture(path, *args, **kwargs):
        with common.atomic_path(path) as tmp:
            tmp.write_bytes(b"picture")

    for name in ("scatter_plot", "plot_curves", "write_image_grid"):
        monkeypatch.setattr(common, name, picture)
    monkeypatch.setattr(metric, "pca_plot", picture)
    monkeypatch.setattr(metric, "retrieval_strip", picture)


def _child(job, argv, kill_at=None, count_file=None):
    """Fork a child running job.main(argv) with its output silenced; returns its pid. The
    child SIGKILLs itself at tick `kill_at` (None: never) and, given `count_file`, writes
    how many ticks it passed there when it ends."""
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 1
        ticks = [0]

        def tick():
            ticks[0] += 1
            if ticks[0] == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)

        def around(real):
            def wrapped(*args, **kwargs):
                tick()
                out = real(*args, **kwargs)
                tick()
                return out

            return wrapped

        def before(real):
            def wrapped(*args, **kwargs):
                tick()
                return real(*args, **kwargs)

            return wrapped

        try:
            # tqdm's write lock is shared with the parent across fork (a multiprocessing
            # lock): a child killed while holding it would hang the parent's next bar
            tqdm.set_lock(threading.RLock())
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, 1)
            os.dup2(null, 2)
            np.savez, os.replace = around(np.savez), around(os.replace)
            job.Run.train_batch_ = before(job.Run.train_batch_)
            code = job.main(argv)
            if count_file is not None:
                count_file.write_text(str(ticks[0]))
        finally:
            os._exit(code)
    return pid


def _argv(args, run_dir):
    if common.checkpoint_path(run_dir).is_file():
        return ["--resume", str(run_dir)]
    return args.split() + ["--out", str(run_dir)]


def _kill_and_resume(job, args, run_dir, kills, seed):
    """Start the run, SIGKILL it at a random tick, resume (or restart, when it died before
    its first checkpoint) and repeat (see below) until the run ends; then let it end.
    Returns how many kills hit a live process."""
    rng = random.Random(seed)
    count = run_dir / "ticks"
    run_dir.mkdir()
    pid = _child(job, args.split() + ["--out", str(run_dir / "probe")], count_file=count)
    assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0
    total = int(count.read_text())  # the ticks of an uninterrupted run
    reach = max(2, 2 * total // kills)
    landed = 0
    # `kills` kills within about two kills' share of the run each, so that the run
    # advances between them; then kills anywhere in a whole run's length, until one
    # falls past the run's end, so that its late windows (the last commits) are hit too
    while landed < 2 * kills:
        last = reach if landed < kills else total
        pid = _child(job, _argv(args, run_dir / "run"), kill_at=rng.randint(1, last))
        status = os.waitpid(pid, 0)[1]
        if os.WIFEXITED(status):  # the run ended before the tick came
            assert os.waitstatus_to_exitcode(status) == 0
            break
        assert os.WTERMSIG(status) == signal.SIGKILL
        landed += 1
    pid = _child(job, _argv(args, run_dir / "run"))
    assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0
    return landed


def _state_arrays(run_dir):
    """Every array of the checkpoint's state, by path (the RNG state included)."""
    out = {}

    def walk(tree, name):
        if isinstance(tree, dict):
            for k, v in tree.items():
                walk(v, f"{name}.{k}")
        elif isinstance(tree, list | tuple):
            for i, v in enumerate(tree):
                walk(v, f"{name}[{i}]")
        else:
            out[name] = np.asarray(tree.numpy() if hasattr(tree, "numpy") else tree)

    walk(common.load_checkpoint(run_dir)["state"], "state")
    return out


def _records(run_dir):
    return [
        {k: v for k, v in r.items() if k not in SECONDS}
        for r in common.read_jsonl(run_dir / "metrics.jsonl")
    ]


def _assert_same_run(a, b):
    sa, sb = _state_arrays(a), _state_arrays(b)
    assert sa.keys() == sb.keys()
    for k in sa:
        np.testing.assert_array_equal(sa[k], sb[k], err_msg=k)
    assert _records(a) == _records(b)
    assert len(_records(a)) >= 1
    for d in (a, b):  # nothing half-written or held is left behind
        leftovers = [p.name for p in d.rglob(".*")]
        assert leftovers == [], leftovers


def _reference(job, args, run_dir):
    pid = _child(job, args.split() + ["--out", str(run_dir)])
    assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0


@pytest.mark.parametrize(
    "job, args, kills",
    [
        (gan, GAN_ARGS, 8),
        (metric, METRIC_ARGS, 8),
        pytest.param(
            gan, GAN_ARGS.replace("--epochs 8", "--epochs 20"), 40, marks=pytest.mark.slow
        ),
        pytest.param(metric, METRIC_ARGS, 30, marks=pytest.mark.slow),
    ],
    ids=["gan", "metric", "gan-many", "metric-many"],
)
def test_sigkill_at_random_moments_then_resume_equals_an_uninterrupted_run(
    tmp_path, job, args, kills
):
    full, crashed = tmp_path / "full", tmp_path / "crashed"
    _reference(job, args, full)
    landed = _kill_and_resume(job, args, crashed, kills, seed=kills)
    assert landed >= kills, f"only {landed} kills landed before the run ended"
    _assert_same_run(full, crashed / "run")
    if job is metric:
        assert (full / "eval.json").read_text() == (crashed / "run" / "eval.json").read_text()


def test_full_disk_at_checkpoint_then_resume(tmp_path, monkeypatch, capsys):
    """The third checkpoint write fails with ENOSPC midway: the job stops with a sentence
    naming the file and the intact previous checkpoint, leaves no temporary file, and a
    resume ends where an uninterrupted run does."""
    full, run = tmp_path / "full", tmp_path / "run"
    assert gan.main(GAN_ARGS.split() + ["--epochs", "4", "--out", str(full)]) == 0
    savez, calls = np.savez, []

    def full_disk(file, *args, **kwargs):
        calls.append(file)
        if len(calls) == 3:
            file.write(b"PK\x03\x04 half an archive")
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return savez(file, *args, **kwargs)

    monkeypatch.setattr(np, "savez", full_disk)
    assert gan.main(GAN_ARGS.split() + ["--epochs", "4", "--out", str(run)]) == 1
    err = capsys.readouterr().err
    assert f"cannot write {run / 'checkpoint.npz'}: the disk is full" in err
    assert "(step 6) is intact" in err and f"--resume {run}" in err
    assert sorted(p.name for p in run.iterdir()) == [
        "checkpoint.npz",
        "config.json",
        "losses.png",
        "metrics.jsonl",
        "samples.png",
    ]
    assert common.load_checkpoint(run)["state"]["epoch"] == 2
    assert [r["epoch"] for r in common.read_jsonl(run / "metrics.jsonl")] == [1, 2]
    monkeypatch.setattr(np, "savez", savez)
    assert gan.main(["--resume", str(run)]) == 0
    _assert_same_run(full, run)


def test_lock_left_by_a_killed_run_is_taken_over(tmp_path, capsys):
    """A run killed holding its folder leaves a lock file naming it; the resume says it
    takes the stale lock over, and the folder ends with no lock."""
    run = tmp_path / "run"
    pid = _child(gan, GAN_ARGS.split() + ["--out", str(run)])
    while not common.checkpoint_path(run).is_file():
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    assert f'"pid": {pid}' in (run / scaffold.LOCK_NAME).read_text()
    assert gan.main(["--resume", str(run)]) == 0
    assert f"took over the lock of a run no longer running (pid {pid}" in capsys.readouterr().err
    assert not (run / scaffold.LOCK_NAME).exists()
