"""`python -m benchmarks --quick` end to end: the JSON and markdown it writes, and an
unavailable backend reported as skipped instead of crashing the run."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import minigrad as mg
from minigrad import _openblas

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    # one thread each: the CI machine may be shared, and oversubscribed threads only add noise
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    cmd = [sys.executable, "-m", "benchmarks", "--backend", "numpy", "cupy", "--quick"]
    p = subprocess.run(
        cmd + ["--out", str(out)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert p.returncode == 0, p.stderr[-3000:]
    return out, json.loads((out / "results.json").read_text()), p


def test_describes_the_machine(run):
    _, res, _ = run
    assert res["machine"]["cpu"]
    assert {"python", "numpy", "numba", "minigrad", "torch", "cupy"} <= set(res["versions"])
    from minigrad.ops import cpu_kernels

    # which kernels ran: Numba's version when the compiled loops did
    assert (res["versions"]["numba"] is not None) == cpu_kernels.enabled()
    assert res["threads"]["numpy_blas"] == 1
    assert res["meta"]["mode"] == "quick"
    assert res["peak"]["gflops"]["numpy"] > 0


def test_every_workload_has_numpy_timings_or_a_note(run):
    _, res, _ = run
    repeat = res["timing"]["repeat"]
    assert len(res["workloads"]) >= 8
    for w in res["workloads"]:
        r = w["results"]["numpy"]
        if "median_ms" not in r:
            # only a model still in progress may be left out, and the notes must say why
            assert w["name"].startswith("triplet"), (w["name"], r)
            assert any(n.startswith(w["name"]) for n in res["notes"])
            continue
        assert r["median_ms"] > 0
        assert r["min_ms"] <= r["median_ms"] <= r["max_ms"]
        assert len(r["repeats_ms"]) == repeat
        assert all(t > 0 for t in r["repeats_ms"])
        if w["flops"]:
            assert r["gflops"] > 0


def test_scaling_memory_and_profile(run):
    out, res, _ = run
    for curve in res["scaling"].values():
        assert len(curve["points"]) >= 2
        assert all(p["results"]["numpy"]["median_ms"] > 0 for p in curve["points"])
        assert (out / curve["plot"]).stat().st_size > 0
    mem = res["memory"]["workloads"]
    assert mem["DCGAN iteration"]["numpy"]["host_peak_mib"] > 0
    prof = res["profile"]["numpy"]
    assert prof.get("rows") or "profiler hooks not available" in prof["note"]


def test_markdown_table(run):
    out, _, p = run
    md = (out / "results.md").read_text()
    assert "| workload | numpy ms |" in md
    assert "| DCGAN iteration |" in md
    assert "| workload | numpy ms |" in p.stdout


@pytest.mark.skipif(mg.cuda.is_available(), reason="CuPy sees a GPU here")
def test_unavailable_backend_is_skipped(run):
    out, res, _ = run
    assert res["backends_requested"] == ["numpy", "cupy"]
    assert res["backends_run"] == ["numpy"]
    assert "cupy" in res["backends_skipped"]
    assert all("cupy" not in w["results"] for w in res["workloads"])
    assert "backend cupy skipped" in (out / "results.md").read_text()


NEW_MODEL_STEPS = ["DCGAN iteration, example form", "triplet step, 192 images"]


def test_example_form_steps_are_timed(run):
    out, res, _ = run
    by_name = {w["name"]: w for w in res["workloads"]}
    for name in NEW_MODEL_STEPS:
        r = by_name[name]["results"]["numpy"]
        assert r["median_ms"] > 0 and r["gflops"] > 0, (name, r)
        assert f"| {name} |" in (out / "results.md").read_text()


@pytest.mark.parametrize("name", NEW_MODEL_STEPS)
@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_example_form_steps_train(name, backend):
    """Two tiny steps run on each library (the second with the optimiser state the first
    made), outside the CLI's error capture, so a failure shows its traceback."""
    from benchmarks.workloads import BY_NAME, build, unavailable_reason

    if unavailable_reason(backend):
        pytest.skip(unavailable_reason(backend))
    w = BY_NAME[name]
    step = build(w, backend, w.params(quick=True))
    step()  # builds Adam state
    step()


def test_thread_sweep_runs_each_count_in_its_own_process(tmp_path):
    pytest.importorskip("torch")
    unset = ("MINIGRAD_NUM_THREADS", "OPENBLAS_THREAD_TIMEOUT")
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    cmd = [sys.executable, "-m", "benchmarks", "--backend", "numpy", "torch", "--quick"]
    cmd += ["--no-scaling", "--no-memory", "--repeat", "1", "--warmup", "0"]
    openblas = mg.threads.numpy_blas_is_openblas()
    cmd += ["--threads", "1", "2", "--out", str(tmp_path)]
    p = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-3000:]
    for n in (1, 2):
        res = json.loads((tmp_path / f"threads-{n}" / "results.json").read_text())
        th = res["threads"]
        assert th["numpy_blas"] == th["torch"] == n
        # the benchmarks import minigrad before NumPy: OpenBLAS's workers park soon, and
        # the elementwise threads follow the BLAS's count
        parked = th["env"]["OPENBLAS_THREAD_TIMEOUT"] == _openblas.VALUE
        assert th["openblas_parks"] == openblas and parked
        cores = mg.threads.usable_cores()
        assert th["minigrad_elementwise"] == (min(n, cores) if openblas else 1)
    md = (tmp_path / "results.md").read_text()
    assert "| workload | numpy / torch, 1 thr | numpy / torch, 2 thr |" in md
    assert "| DCGAN iteration |" in md and "share of the float32 matmul peak" in md
    row = next(r for r in md.splitlines() if r.startswith("| DCGAN iteration |"))
    assert all(float(c) > 0 for c in row.strip("|").split("|")[1:])
    bad = subprocess.run(
        cmd[:3] + ["--threads", "0"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert bad.returncode == 2 and "--threads: must be an integer >= 1, got 0" in bad.stderr


def test_runs_repeat_the_sweep_and_report_mean_and_std(tmp_path):
    """`--runs 2 --threads 1`: two fresh processes, into run-1/ and run-2/, and results.md
    with each ratio as mean +- std (min-max) over the two; `--runs` alone is refused."""
    pytest.importorskip("torch")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    cmd = [sys.executable, "-m", "benchmarks", "--backend", "numpy", "torch", "--quick"]
    cmd += ["--no-scaling", "--no-memory", "--repeat", "1", "--warmup", "0"]
    p = subprocess.run(
        cmd + ["--threads", "1", "--runs", "2", "--out", str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert p.returncode == 0, p.stderr[-3000:]
    for k in (1, 2):
        res = json.loads((tmp_path / f"run-{k}" / "threads-1" / "results.json").read_text())
        assert res["threads"]["numpy_blas"] == 1
    summary = json.loads((tmp_path / "results.json").read_text())
    assert summary == {"runs": [{"1": str(tmp_path / f"run-{k}" / "threads-1")} for k in (1, 2)]}
    md = (tmp_path / "results.md").read_text()
    assert "2 runs of one `python -m benchmarks` per thread count (1)" in md
    row = next(r for r in md.splitlines() if r.startswith("| DCGAN iteration |"))
    assert " +- " in row and row.count("(") == 1
    bad = subprocess.run(
        cmd + ["--runs", "2"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert bad.returncode == 2 and "--runs 2 repeats a --threads sweep" in bad.stderr


def test_blas_prime_measures_both_states_in_fresh_processes(capsys):
    """`python -m benchmarks.blas_prime --quick`: one process each way (the children check
    that MINIGRAD_PRIME_BLAS was honoured), a time for every product and the grid step."""
    from benchmarks import blas_prime

    table = blas_prime.main(["--quick"])
    assert list(table) == [f"({m}, {k}) @ ({k}, {n})" for m, k, n in blas_prime.PRODUCTS] + [
        "grid GAN step (default settings)"
    ]
    assert all(off > 0 and on > 0 for off, on in table.values())
    assert "unprimed" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        blas_prime.main(["--rounds", "0"])


def test_linear_in_step_times_the_layers_inside_the_step_and_alone(capsys):
    """`python -m benchmarks.linear_in_step --quick`: both libraries' MLP GAN steps in one
    process, the time inside their Linear forwards a part of the step, every layer counted
    (G's three twice, D's three times a step), and the same layers alone."""
    pytest.importorskip("torch")
    from benchmarks import linear_in_step

    table = linear_in_step.main(["--quick", "--threads", "1"])
    assert list(table) == [1]
    for lib in ("minigrad", "torch"):
        row = table[1][lib]
        assert row["calls"] == 15
        assert row["step"] > row["in step"] > 0 and row["alone"] > 0 and row["alone, cold"] > 0
    out = capsys.readouterr().out
    assert "Linear forwards a step: minigrad 15, torch 15" in out
    assert "| " not in out and "ratio" in out
    with pytest.raises(SystemExit):
        linear_in_step.main(["--rounds", "0"])


def test_linear_in_step_counts_each_layer_and_grad_mode_and_weights_its_time(monkeypatch):
    """The timer adds each call's time to its library's total and counts calls per (layer,
    grad mode); `_alone` times through the same timer, in each call's grad mode, and weights
    each layer's median by its calls a step."""
    from benchmarks import linear_in_step as lis

    clock = iter(range(10**6))  # each read of the clock one unit later
    monkeypatch.setattr(lis.time, "perf_counter", lambda: float(next(clock)))
    modes: list[bool] = []
    grad = [True]

    class Layer:
        def forward(self, x):
            modes.append(grad[0])
            return x

        def __call__(self, x):
            return self.forward(x)

    class Batch:
        def detach(self):
            return self

    totals, calls = {"lib": 0.0}, {}
    lis._timed_forward(Layer, totals, calls, "lib", lambda: grad[0])
    a, b = Layer(), Layer()
    x = Batch()
    for g in (True, False, True):
        grad[0] = g
        a(x)
    b(x)
    assert totals["lib"] == 4.0  # one unit inside each of the four calls
    assert sorted((m is a, on, n) for m, _, on, n in calls.values()) == [
        (False, True, 1),
        (True, False, 1),
        (True, True, 2),
    ]

    class Mode:
        def __init__(self, on):
            self.on = on

        def __enter__(self):
            grad[0] = self.on

        def __exit__(self, *exc):
            grad[0] = True

    modes.clear()
    layers = [tuple(v) for v in calls.values()]
    assert lis._alone(layers, totals, "lib", Mode) == 4.0  # weights 2 + 1 + 1, a unit each
    assert modes.count(False) == 25 and modes.count(True) == 50


def test_gan_phases_times_each_part_of_both_libraries_iterations(capsys):
    """`python -m benchmarks.gan_phases --quick`: both libraries' MLP GAN iterations part by
    part, every part timed and the parts adding up to the step."""
    pytest.importorskip("torch")
    from benchmarks import gan_phases
    from benchmarks.workloads import GAN_PHASES

    table = gan_phases.main(["--quick", "--threads", "1"])
    assert list(table) == [1]
    for lib in ("minigrad", "torch"):
        row = table[1][lib]
        assert all(row[p] > 0 for p in GAN_PHASES)
        assert sum(row[p] for p in GAN_PHASES) == pytest.approx(row["step"], rel=0.25)
    out = capsys.readouterr().out
    assert all(p in out for p in GAN_PHASES) and "ratio" in out
    with pytest.raises(SystemExit):
        gan_phases.main(["--rounds", "0"])
    with pytest.raises(SystemExit):
        gan_phases.main(["--workload", "mnist"])


def test_gan_phases_width_builds_both_libraries_mlp_gan_that_wide(monkeypatch, capsys):
    """`--width W` (the per-op cost of each library, next to no arithmetic): every layer of
    both libraries' MLP GANs W units wide, samples and noise too; other workloads refuse
    it, naming the flag."""
    pytest.importorskip("torch")
    from benchmarks import gan_phases, workloads

    seen = []
    build = workloads.build_mlp_gan

    def spy(b, **kw):
        seen.append((b.lib, kw))
        return build(b, **kw)

    monkeypatch.setattr(workloads, "build_mlp_gan", spy)
    table = gan_phases.child("mlp_gan", blocks=2, steps=1, batch=2, width=3)
    assert set(table) == {"minigrad", "torch"}
    assert [kw for _, kw in seen] == [dict(batch=2, nz=3, hidden=3, out=3)] * 2
    with pytest.raises(SystemExit):
        gan_phases.main(["--workload", "dcgan", "--width", "4"])
    assert "--width applies to --workload mlp_gan only, not dcgan" in capsys.readouterr().err


def test_mlp_gan_sizes_reach_both_libraries_layers(monkeypatch):
    """build_mlp_gan's nz, hidden and out size both libraries' generators and
    discriminators (what --width sets)."""
    pytest.importorskip("torch")
    from benchmarks import workloads
    from models import mlp_gan

    made = []
    for name in ("MLPGenerator", "MLPDiscriminator"):
        cls = getattr(mlp_gan, name)
        monkeypatch.setattr(
            mlp_gan, name, lambda *a, _c=cls, _n=name: made.append((_n, a)) or _c(*a)
        )
    torch_mlp = workloads._torch_mlp

    def torch_spy(sizes, *a, **kw):
        made.append(("torch", sizes))
        return torch_mlp(sizes, *a, **kw)

    monkeypatch.setattr(workloads, "_torch_mlp", torch_spy)
    for lib in ("numpy", "torch"):
        workloads.build_mlp_gan(workloads.BACKENDS[lib], batch=2, nz=3, hidden=5, out=7)()
    assert made == [
        ("MLPGenerator", (3, (5, 5), 7)),
        ("MLPDiscriminator", (7, (5, 5))),
        ("torch", [3, 5, 5, 7]),
        ("torch", [7, 5, 5, 1]),
    ]


def test_gan_phases_adds_each_part_between_its_marks(monkeypatch):
    """time_block: each part gets the clock's advance since the previous mark (the first
    since the step's start), averaged over the steps, in ms, and the step is their sum."""
    from benchmarks import gan_phases
    from benchmarks.workloads import GAN_PHASES

    now = [0.0]
    monkeypatch.setattr(gan_phases.time, "perf_counter", lambda: now[0])

    def step(mark):
        for k, phase in enumerate(GAN_PHASES):
            now[0] += (k + 1) * 1e-3  # part k takes k + 1 ms
            mark(phase)
        now[0] += 5.0  # after the last mark: not part of any part

    out = gan_phases.time_block(step, steps=4)
    assert [out[p] for p in GAN_PHASES] == pytest.approx([k + 1.0 for k in range(7)])
    assert out["step"] == pytest.approx(28.0)


@pytest.mark.parametrize("build", ["build_mlp_gan", "build_wgan_gp"])
def test_a_gan_iteration_marks_each_part_once_in_order(build):
    """The workloads' GAN iteration calls its `mark` once per part, in GAN_PHASES' order,
    and the unmarked call (what `python -m benchmarks` times) runs the same step."""
    from benchmarks import workloads

    step = getattr(workloads, build)(workloads.BACKENDS["numpy"], batch=2)
    seen = []
    step(seen.append)
    step()
    step(seen.append)
    assert seen == list(workloads.GAN_PHASES) * 2
