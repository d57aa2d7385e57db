"""Installing minigrad takes no generic top-level names, and its jobs run from any folder.

Each job runs from a folder that holds its own `models/` (which raises on import), `train.py`
and `benchmarks.py` (which leave a marker file when imported): the job must run minigrad's
code and never the user's. Checked from this checkout (`python -m minigrad JOB`), from a real
non-editable install built here without network, and through the editable install's
console scripts when they are installed.
"""

import email
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

import minigrad
from minigrad import jobs

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ["setup.py", "pyproject.toml", "LICENSE", "README.md", *jobs.PACKAGES, "minigrad"]
RING = ["--dataset", "ring", "--dry-run", "--device", "cpu", "--out", "run"]


@pytest.fixture
def user_folder(tmp_path):
    """A user's project whose `models`, `train` and `benchmarks` shadow minigrad's."""
    folder = tmp_path / "project"
    (folder / "models").mkdir(parents=True)
    (folder / "models" / "__init__.py").write_text("raise ImportError('the user models')\n")
    for name in ("train", "benchmarks"):
        (folder / f"{name}.py").write_text(f"open('IMPORTED_{name}', 'w').close()\n")
    return folder


def _run(cmd, cwd, pythonpath=None):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    env.pop("PYTHONPATH", None)
    if pythonpath:
        env["PYTHONPATH"] = str(pythonpath)
    return subprocess.run(
        [str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )


def _ran_minigrads_gan(p, folder):
    assert p.returncode == 0, p.stderr
    assert "Traceback" not in p.stderr
    assert (folder / "run" / "checkpoint.npz").is_file()
    assert not list(folder.glob("IMPORTED_*")), "the user's train.py or benchmarks.py ran"


# ------------------------------------------------------------------ the launcher


# in this process the job modules are already imported when runpy runs them as __main__
@pytest.mark.filterwarnings("ignore:'train.*' found in sys.modules:RuntimeWarning")
def test_every_job_shows_its_command_in_its_usage(monkeypatch, capsys):
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    monkeypatch.setattr(jobs, "_launched_as", {})
    for job in jobs.JOBS:
        with pytest.raises(SystemExit) as exit_:
            jobs.run(job, ["--help"], f"minigrad-{job}")
        assert exit_.value.code == 0
        assert capsys.readouterr().out.startswith(f"usage: minigrad-{job} "), job


def test_a_job_run_from_python_dash_m_keeps_its_usage():
    assert jobs.prog("train.gan") == "python -m train.gan"


def test_every_job_with_a_main_block_is_launched():
    """A new job module gets its launcher; the install test checks its console script."""
    found = {
        ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__main__")
        for name in ("train", "benchmarks")
        for path in (ROOT / name).glob("*.py")
        if 'if __name__ == "__main__":' in path.read_text(encoding="utf-8")
    }
    found.discard("benchmarks.kernels")  # the kernel timings against torch: a dev tool
    found.discard("benchmarks.blas_prime")  # the BLAS priming's two states: a dev tool
    found.discard("benchmarks.sweep")  # everyday ops against torch, slowest first: a dev tool
    found.discard("benchmarks.linear_in_step")  # Linear layers in and out of a step: a dev tool
    found.discard("benchmarks.gan_phases")  # a GAN iteration part by part: a dev tool
    found.discard("train")  # `python -m train JOB`: an index of the train jobs listed here
    assert found == set(jobs.JOBS.values())


def test_the_checkout_runs_jobs_from_a_folder_with_its_own_models_and_train(user_folder):
    p = _run([sys.executable, "-m", "minigrad", "gan", *RING], user_folder, ROOT)
    _ran_minigrads_gan(p, user_folder)
    # the job's own error path: main() refuses a missing run with status 1, no traceback
    p = _run(
        [sys.executable, "-m", "minigrad", "sample", "none", "--out", "x.npz"], user_folder, ROOT
    )
    assert p.returncode == 1 and "none" in p.stderr and "Traceback" not in p.stderr
    p = _run([sys.executable, "-m", "minigrad", "benchmarks", "--help"], user_folder, ROOT)
    assert p.returncode == 0 and p.stdout.startswith("usage: python -m minigrad benchmarks")
    assert not list(user_folder.glob("IMPORTED_*"))


@pytest.mark.parametrize(
    "argv, expected",
    [([], "required: job"), (["gans"], "invalid choice: 'gans'"), (["-x"], "job")],
)
def test_python_dash_m_minigrad_refuses_a_missing_or_unknown_job(argv, expected, tmp_path):
    p = _run([sys.executable, "-m", "minigrad", *argv], tmp_path, ROOT)
    assert p.returncode == 2
    assert "python -m minigrad: error:" in p.stderr and expected in p.stderr
    assert "Traceback" not in p.stderr


def test_missing_jobs_are_named(monkeypatch, tmp_path):
    monkeypatch.setattr(jobs, "__file__", str(tmp_path / "minigrad" / "jobs.py"))
    with pytest.raises(
        RuntimeError, match=f"{re.escape(str(tmp_path))}.*models, train, benchmarks"
    ):
        jobs.jobs_root()


def test_the_checkout_is_its_own_jobs_root():
    assert jobs.jobs_root() == Path(minigrad.__file__).resolve().parents[1] == ROOT


# ------------------------------------------------------------ a non-editable install


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """`pip install --target` of a copy of this checkout: no network, no build files here."""
    pytest.importorskip("setuptools", minversion="70.1", reason="the dev extra's setuptools")
    tmp = tmp_path_factory.mktemp("install")
    src = tmp / "src"
    src.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name, ignore=ignore)
        else:
            shutil.copy2(ROOT / name, src / name)
    site = tmp / "site"
    cmd = [sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation"]
    cmd += ["--no-index", "--no-compile", "--quiet", "--target", site, src]
    p = _run(cmd, tmp)
    assert p.returncode == 0, p.stdout + p.stderr
    return site


def test_the_install_takes_no_generic_top_level_names(installed):
    assert sorted(p.name for p in installed.iterdir()) == [
        "bin",
        "minigrad",
        "minigrad-0.1.0.dist-info",
    ]
    dist = installed / "minigrad-0.1.0.dist-info"
    assert (dist / "top_level.txt").read_text().split() == ["minigrad"]
    for name in jobs.PACKAGES:
        assert (installed / "minigrad" / "_jobs" / name / "__init__.py").is_file()
    assert (installed / "minigrad" / "data" / "mnist_5k.npz").is_file()
    scripts = sorted(p.name for p in (installed / "bin").iterdir())
    assert scripts == sorted(f"minigrad-{job}" for job in jobs.JOBS)


def test_the_install_names_its_license_and_describes_itself_briefly(installed):
    dist = installed / "minigrad-0.1.0.dist-info"
    meta = email.message_from_string((dist / "METADATA").read_text(encoding="utf-8"))
    assert meta["License"] == "MIT"
    assert "Permission is hereby granted" in (dist / "licenses" / "LICENSE").read_text()
    classifiers = meta.get_all("Classifier")
    assert "Intended Audience :: Education" in classifiers
    assert "Programming Language :: Python :: 3.11" in classifiers
    assert "mpi" in meta.get_all("Provides-Extra")
    assert 'mpi4py>=3.1; extra == "mpi"' in meta.get_all("Requires-Dist")
    description = meta.get_payload()
    assert "minigrad-gan" in description and len(description) < 1500


def test_the_installed_scripts_run_from_a_folder_with_its_own_models_and_train(
    installed, user_folder
):
    bin_ = installed / "bin"
    p = _run([bin_ / "minigrad-gan", *RING], user_folder, installed)
    _ran_minigrads_gan(p, user_folder)
    where = "import minigrad.jobs as j; print(j.jobs_root())"
    p = _run([sys.executable, "-c", where], user_folder, installed)
    assert p.stdout.strip() == str(installed / "minigrad" / "_jobs"), p.stderr
    # argparse's errors (status 2) name the command the user typed
    p = _run([bin_ / "minigrad-metric", "--margin", "x"], user_folder, installed)
    assert p.returncode == 2 and "minigrad-metric: error: argument --margin" in p.stderr
    assert not list(user_folder.glob("IMPORTED_*"))


# ------------------------------------------------------------ the editable install


def test_the_editable_scripts_run_from_a_folder_with_its_own_models_and_train(user_folder):
    # pip puts scripts next to the interpreter, or in the user scheme's folder (--user)
    folders = [Path(sys.executable).parent, Path(sysconfig.get_path("scripts", f"{os.name}_user"))]
    found = [folder / "minigrad-gan" for folder in folders if (folder / "minigrad-gan").is_file()]
    if not found:
        pytest.skip(f'minigrad-gan is not in {folders[0]}: run pip install -e ".[dev]"')
    p = _run([found[0], *RING], user_folder)
    _ran_minigrads_gan(p, user_folder)
    # the editable install exposes minigrad alone, not the checkout's models/train/benchmarks
    probe = "import importlib.util as u; print([u.find_spec(n) for n in ('models', 'train')])"
    p = _run([sys.executable, "-c", probe], user_folder.parent)
    assert p.stdout.strip() == "[None, None]", p.stdout + p.stderr
