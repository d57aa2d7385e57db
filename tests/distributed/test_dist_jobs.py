"""The jobs under `mpiexec -n 2 ... --distributed`: a resumed 2-process run continues bit for
bit, a resume with another process count is refused, and a process that dies, raises or
stalls ends the whole job with a non-zero status instead of a hang."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from mpi_helpers import ROOT, mpi_env, mpi_skip_reason

from train import common

pytestmark = pytest.mark.skipif(mpi_skip_reason() is not None, reason=str(mpi_skip_reason()))

MLP = ["--model", "mlp", "--hidden", "16", "--batch-size", "16", "--eval-samples", "0"]
MLP += ["--device", "cpu", "--distributed"]  # MNIST's MLP recipe: dropout, batch norm in G


def job(n: int, *args: str, timeout: float = 180, **env: str) -> subprocess.CompletedProcess:
    cmd = ["mpiexec", "-n", str(n), sys.executable, "-m", *args]
    return subprocess.run(
        cmd,
        cwd=ROOT,
        env=mpi_env() | env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def params(run_dir: Path) -> dict[str, np.ndarray]:
    state = common.load_checkpoint(run_dir)["state"]
    return {f"{m}.{k}": v.numpy() for m in ("G", "D") for k, v in state[m].items()}


def test_gan_resume_of_a_two_process_run_is_bit_for_bit(tmp_path):
    full, part = tmp_path / "full", tmp_path / "part"
    for out, steps in ((full, "6"), (part, "3")):
        p = job(2, "train.gan", *MLP, "--steps", steps, "--out", str(out))
        assert p.returncode == 0, p.stderr[-3000:]
    state = common.load_checkpoint(part)["state"]
    assert int(state["world"]) == 2 and "rng_rank1" in state
    p = job(2, "train.gan", "--resume", str(part), "--steps", "6")
    assert p.returncode == 0, p.stderr[-3000:]
    a, b = params(full), params(part)
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)
    p = job(1, "train.gan", "--resume", str(part), "--steps", "8")
    assert p.returncode == 1
    assert "--resume: the run was trained by 2 process(es), this is 1" in p.stderr


def _rank_pid(marker: str, rank: int) -> int | None:
    """The pid of the process of `rank` whose command line holds `marker`."""
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if marker.encode() in cmd and b"mpiexec" not in cmd.split(b"\0")[0]:
            if f"PMI_RANK={rank}".encode() in environ:
                return int(pid)
    return None


def _started_then(tmp_path: Path, action: signal.Signals, **env: str) -> tuple[int, float, str]:
    """Start a long 2-process run, wait for its first checkpoint, send `action` to rank 1;
    the job's exit status, the seconds it took to end after, and its stderr."""
    out = tmp_path / "long"
    argv = ["train.gan", "--dataset", "ring", "--steps-per-epoch", "5", "--steps", "100000"]
    argv += ["--hidden", "8", "--layers", "1", "--eval-samples", "0", "--device", "cpu"]
    argv += ["--distributed", "--out", str(out)]
    cmd = ["mpiexec", "-n", "2", sys.executable, "-m", *argv]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=mpi_env() | env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 120
        while not (out / "checkpoint.npz").exists():
            assert proc.poll() is None, proc.stderr.read().decode()[-3000:]
            assert time.monotonic() < deadline, "no checkpoint within 120 s"
            time.sleep(0.2)
        pid = _rank_pid(str(out), 1)
        assert pid is not None
        os.kill(pid, action)
        t0 = time.monotonic()
        code = proc.wait(timeout=60)
        return code, time.monotonic() - t0, proc.stderr.read().decode()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_a_killed_process_ends_the_job_within_a_minute(tmp_path):
    code, seconds, _ = _started_then(tmp_path, signal.SIGKILL)
    assert code != 0 and seconds < 60


def test_a_stalled_process_ends_the_job_through_the_watchdog(tmp_path):
    code, seconds, err = _started_then(tmp_path, signal.SIGSTOP, MINIGRAD_DIST_TIMEOUT="4")
    assert code != 0 and seconds < 60
    assert "no progress for" in err and "MINIGRAD_DIST_TIMEOUT=4" in err


def test_ctrl_c_on_one_process_stops_all_at_the_same_step(tmp_path):
    code, seconds, err = _started_then(tmp_path, signal.SIGINT)
    assert code == 130 and seconds < 60, err[-3000:]  # saved, then 128 + SIGINT
    state = common.load_checkpoint(tmp_path / "long")["state"]
    assert int(state["step"]) > 0 and int(state["world"]) == 2
    assert "checkpoint saved: resume with --resume" in err


LATE_SIGNAL = """
import os, signal, sys
sys.path.insert(0, {root!r})
import minigrad.distributed as dist
from train import gan

real, calls = dist.all_reduce, []

def all_reduce(tensor, op="sum"):
    real(tensor, op)
    if op == "max" and tensor.shape == (1,):  # the per-batch agreement on Ctrl-C
        calls.append(1)
        if len(calls) == 3 and dist.rank() == 1:
            os.kill(os.getpid(), signal.SIGINT)  # lands just after the agreement

dist.all_reduce = all_reduce
sys.exit(gan.main({argv!r}))
"""


def _patched_gan_under_mpi(script: Path, template: str, argv: list[str]):
    """Run `template` (a train.gan patched before its main, formatted with the repo root
    and `argv`) as `script` on 2 processes; returns the finished process."""
    script.write_text(template.format(root=str(ROOT), argv=argv))
    return subprocess.run(
        ["mpiexec", "-n", "2", sys.executable, str(script)],
        env=mpi_env() | {"MINIGRAD_DIST_TIMEOUT": "20"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_ctrl_c_just_after_the_agreement_stops_all_at_the_next_batch(tmp_path):
    # a signal that lands between a batch's agreement and the loop's check must wait for
    # the next agreement: acting on it at once, rank 1 alone would save and leave
    out = tmp_path / "late"
    argv = ["--dataset", "ring", "--steps-per-epoch", "50", "--steps", "100000"]
    argv += ["--hidden", "8", "--layers", "1", "--eval-samples", "0", "--device", "cpu"]
    argv += ["--distributed", "--out", str(out)]
    p = _patched_gan_under_mpi(tmp_path / "late.py", LATE_SIGNAL, argv)
    assert p.returncode == 130, p.stderr[-3000:]
    assert "interrupted at epoch 1, batch 4; checkpoint saved" in p.stderr, p.stderr[-3000:]
    assert int(common.load_checkpoint(out)["state"]["step"]) == 4


FAILING = """
import sys
sys.path.insert(0, {root!r})
import minigrad.distributed as dist
from train.distributed import Session
with Session() as s:
    if s.rank == 1:
        raise ValueError("bad shard")
    dist.barrier()  # rank 0 would wait here forever
"""


def test_an_exception_on_one_process_aborts_the_others(tmp_path):
    script = tmp_path / "fail.py"
    script.write_text(FAILING.format(root=str(ROOT)))
    t0 = time.monotonic()
    p = subprocess.run(
        ["mpiexec", "-n", "2", sys.executable, str(script)],
        env=mpi_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert p.returncode != 0 and time.monotonic() - t0 < 60
    assert "fail.py: error: rank 1 of 2 failed (ValueError: bad shard); stopping" in p.stderr
    assert "Traceback" not in p.stderr  # an expected failure, told in a sentence


def test_metric_job_on_two_processes_writes_its_results_once(tmp_path):
    out = tmp_path / "metric"
    argv = ["train.metric", "--dry-run", "--device", "cpu", "--channels", "4"]
    p = job(2, *argv, "--embedding-dim", "8", "--distributed", "--out", str(out))
    assert p.returncode == 0, p.stderr[-3000:]
    assert p.stdout.count("raw_pixels") == 1  # rank 0 alone prints
    assert (out / "eval.json").is_file() and (out / "checkpoint.npz").is_file()
    p = job(2, *argv, "--samples-per-class", "3", "--distributed", "--out", str(tmp_path / "x"))
    assert p.returncode != 0
    # every process finds it; the first to abort ends the others, maybe before they say it
    said = r"train\.metric: error: rank [01] of 2 failed \(ValueError: --samples-per-class 3 "
    said += r"does not split into 2 equal shares of at least 2, one per process\)"
    assert re.search(said, p.stderr), p.stderr[-3000:]
    assert "Traceback" not in p.stderr


@pytest.mark.slow
def test_benchmark_reports_one_and_two_processes(tmp_path):
    p = job(2, "benchmarks", "--distributed", "--quick", "--repeat", "1", "--out", str(tmp_path))
    assert p.returncode == 0, p.stderr[-3000:]
    res = json.loads((tmp_path / "distributed.json").read_text())
    assert [r["workload"] for r in res["results"]] == ["dcgan", "mlp"]
    for r in res["results"]:
        assert r["processes"] == 2 and r["steps_per_s_1"]["mean"] > 0
        for k in ("overlap_on", "overlap_off"):
            assert 0 < r[k]["efficiency"]["mean"] and 0 <= r[k]["comm_share"]["mean"] < 1
    assert p.stdout.count("| dcgan |") == 2  # rank 0 alone prints the table


LAST_EPOCH_SIGNAL = """
import os, signal, sys
sys.path.insert(0, {root!r})
from train import gan
real_end, calls = gan.Run.end_of_epoch, []
def end_then_signal(self, record):
    calls.append(1)
    real_end(self, record)
    if len(calls) == 3:  # rank 0 draws the last (3rd) epoch's pictures: Ctrl-C there
        os.kill(os.getpid(), signal.SIGINT)
gan.Run.end_of_epoch = end_then_signal
sys.exit(gan.main({argv!r}))
"""


def test_ctrl_c_while_rank_0_ends_the_last_epoch_stops_all_as_interrupted(tmp_path):
    # the agreement after the epoch's end sees it: every process exits 130, not 0
    out = tmp_path / "last"
    argv = ["--dataset", "ring", "--steps-per-epoch", "2", "--epochs", "3", "--hidden", "8"]
    argv += ["--batch-size", "32", "--eval-samples", "0", "--device", "cpu"]
    argv += ["--distributed", "--out", str(out)]
    p = _patched_gan_under_mpi(tmp_path / "last.py", LAST_EPOCH_SIGNAL, argv)
    assert p.returncode == 130, p.stderr[-3000:]
    # rank 0 alone says it (rank 1's notes went to stderr too before)
    assert p.stderr.count("interrupted at the end of epoch 3; checkpoint saved") == 1, p.stderr
    assert int(common.load_checkpoint(out)["state"]["step"]) == 6
