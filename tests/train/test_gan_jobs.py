"""The GAN jobs end to end on tiny runs: train, resume bit for bit, sample, latent,
evaluate, and the errors promised for bad data."""

import argparse
import json
import os
import signal

import numpy as np
import pytest

import minigrad as mg
from train import common, evaluate, gan, generators, latent, sample


def _params(run_dir):
    state = common.load_checkpoint(run_dir)["state"]
    return {k: v.numpy() for k, v in state["G"].items()} | {
        "D." + k: v.numpy() for k, v in state["D"].items()
    }


def _same(a, b):
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


MLP_MNIST = [
    "--model",
    "mlp",
    "--hidden",
    "16",
    "--batch-size",
    "16",
    "--eval-samples",
    "0",
    "--device",
    "cpu",
]


@pytest.mark.parametrize(
    "extra",
    [
        [],
        ["--ema", "0.9"],
        ["--ema", "0.9", "--ema-bias-correction"],
        ["--instance-noise", "0.3", "--instance-noise-steps", "6"],
        ["--augment", "translation,cutout"],
        ["--r1", "1", "--r1-every", "2"],
    ],
)
def test_resume_mid_epoch_is_bit_for_bit(tmp_path, extra):
    full, part = tmp_path / "full", tmp_path / "part"
    assert gan.main(MLP_MNIST + extra + ["--steps", "6", "--out", str(full)]) == 0
    assert gan.main(MLP_MNIST + extra + ["--steps", "3", "--out", str(part)]) == 0
    assert gan.main(["--resume", str(part), "--steps", "6"]) == 0
    _same(_params(full), _params(part))
    if "--ema" in extra:  # the averages resume too, with their rule
        a, b = (common.load_checkpoint(r)["state"]["ema_G"] for r in (full, part))
        assert int(a["num_updates"]) == int(b["num_updates"]) == 6
        corrected = "--ema-bias-correction" in extra
        assert bool(a["bias_correction"]) == bool(b["bias_correction"]) == corrected
        _same(
            {str(k): v for k, v in a["averages"].items()},
            {str(k): v for k, v in b["averages"].items()},
        )


def test_ema_generator_is_what_samples_and_loads(tmp_path, capsys):
    """--ema: load_generator (train.sample, latent, evaluate) gets G's averaged weights,
    not the last step's; a decay outside [0, 1) is refused."""
    run = tmp_path / "ema"
    assert gan.main(MLP_MNIST + ["--ema", "0.5", "--steps", "4", "--out", str(run)]) == 0
    state = common.load_checkpoint(run)["state"]
    _, G = generators.load_generator(run, "cpu")
    averages = {str(k): v for k, v in state["ema_G"]["averages"].items()}
    for i, p in enumerate(G.parameters()):
        np.testing.assert_array_equal(p.detach().numpy(), averages[str(i)])
    last = {k: v.numpy() for k, v in state["G"].items()}
    loaded = {k: v.numpy() for k, v in G.state_dict().items()}
    assert any(not np.array_equal(last[k], loaded[k]) for k in last)
    with pytest.raises(SystemExit, match="2"):  # refused by the parser
        gan.main(MLP_MNIST + ["--ema", "1", "--out", str(tmp_path / "bad")])
    assert "argument --ema: must be a finite number in [0, 1), got 1" in capsys.readouterr().err


def test_resume_across_epochs_toy_wgan_gp(tmp_path):
    args = [
        "--dataset",
        "ring",
        "--loss",
        "wgan-gp",
        "--hidden",
        "8",
        "--batch-size",
        "32",
        "--steps-per-epoch",
        "2",
        "--lr-decay",
        "none",  # the linear decay's end moves with a longer --steps
        "--device",
        "cpu",
    ]
    full, part = tmp_path / "full", tmp_path / "part"
    assert gan.main(args + ["--steps", "4", "--out", str(full)]) == 0
    assert gan.main(args + ["--steps", "2", "--out", str(part)]) == 0
    assert gan.main(["--resume", str(part), "--steps", "4"]) == 0
    _same(_params(full), _params(part))
    records = common.read_jsonl(part / "metrics.jsonl")
    assert [r["epoch"] for r in records] == [1, 2]
    assert {"modes", "high_quality", "d_loss", "g_loss"} <= records[-1].keys()
    assert (part / "samples.png").is_file() and (part / "losses.png").is_file()


def _interrupt_in_step(monkeypatch, step):
    """Patch the generator step to send Ctrl-C (SIGINT) from inside generator step `step`
    (0-based): the job finishes that step, saves a checkpoint and returns. Returns the
    unpatched step, to put back."""
    real_step = gan.Run.g_step_

    def step_then_interrupt(self, *shared):
        if self.step == step:
            os.kill(os.getpid(), signal.SIGINT)
        return real_step(self, *shared)

    monkeypatch.setattr(gan.Run, "g_step_", step_then_interrupt)
    return real_step


def _interrupt_then_resume(monkeypatch, argv, run, step, resume=()):
    """Train `argv` into `run` with Ctrl-C inside generator step `step` (0-based), check
    that the checkpoint holds `step` + 1 steps, then `--resume run` (plus `resume`).
    Returns the checkpoint's state as the interruption left it."""
    real_step = _interrupt_in_step(monkeypatch, step)
    assert gan.main(argv + ["--out", str(run)]) == 130  # 128 + SIGINT, as shells expect
    state = common.load_checkpoint(run)["state"]
    assert state["step"] == step + 1
    monkeypatch.setattr(gan.Run, "g_step_", real_step)
    assert gan.main(["--resume", str(run), *resume]) == 0
    return state


def test_interrupt_saves_checkpoint_and_resumes(tmp_path, monkeypatch):
    run, full = tmp_path / "run", tmp_path / "full"
    argv = MLP_MNIST + ["--steps", "5"]
    state = _interrupt_then_resume(monkeypatch, argv, run, 1, ["--steps", "5"])
    assert state["batch"] == 2
    assert gan.main(argv + ["--out", str(full)]) == 0
    _same(_params(full), _params(run))


@pytest.fixture
def classifier_cache():
    """A fresh process-wide classifier cache: the jobs load the shipped weights."""
    evaluate._cache.clear()
    yield
    evaluate._cache.clear()


def test_dcgan_epoch_sample_latent_evaluate(tmp_path, classifier_cache, capsys):
    run = tmp_path / "dcgan"
    assert (
        gan.main(["--dry-run", "--eval-samples", "100", "--device", "cpu", "--out", str(run)]) == 0
    )
    rec = common.read_jsonl(run / "metrics.jsonl")[-1]
    assert {"digits_covered", "class_histogram", "confident_share"} <= rec.keys()
    assert "frechet_distance" not in rec  # from 1,000 samples on (evaluate.MIN_FD_SAMPLES)
    assert (run / "samples" / "epoch_001.png").is_file()

    out = tmp_path / "s.npz"
    assert sample.main([str(run), "--n", "7", "--out", str(out)]) == 0
    s = np.load(out)["samples"]
    assert s.dtype == np.uint8 and s.shape == (7, 28, 28)

    assert latent.main([str(run), "--rows", "2", "--steps", "3"]) == 0
    for name in ("interp_linear.png", "interp_slerp.png", "nearest.png"):
        assert (run / "latent" / name).is_file()

    assert evaluate.main([str(run), "--n", "100"]) == 0
    result = json.loads((run / "eval.json").read_text())
    assert result["n_samples"] == 100 and len(result["class_histogram"]) == 10
    assert 0 <= result["digits_covered"] <= 10


def test_cgan_sample_by_label_and_toy_sample(tmp_path, classifier_cache):
    run = tmp_path / "cgan"
    assert (
        gan.main(
            [
                "--model",
                "cgan",
                "--dry-run",
                "--eval-samples",
                "0",
                "--device",
                "cpu",
                "--out",
                str(run),
            ]
        )
        == 0
    )
    out = tmp_path / "three.npz"
    assert sample.main([str(run), "--n", "4", "--label", "3", "--out", str(out)]) == 0
    assert np.load(out)["samples"].shape == (4, 28, 28)
    with pytest.raises(SystemExit, match="2"):
        sample.main([str(run), "--n", "4", "--label", "12", "--out", str(out)])

    toy = tmp_path / "grid"
    assert (
        gan.main(
            [
                "--dataset",
                "grid",
                "--steps",
                "2",
                "--steps-per-epoch",
                "2",
                "--hidden",
                "8",
                "--device",
                "cpu",
                "--out",
                str(toy),
            ]
        )
        == 0
    )
    out = tmp_path / "pts.npz"
    assert sample.main([str(toy), "--n", "9", "--out", str(out)]) == 0
    pts = np.load(out)["samples"]
    assert pts.dtype == np.float32 and pts.shape == (9, 2)
    assert evaluate.main([str(toy), "--n", "100"]) == 0
    assert json.loads((toy / "eval.json").read_text())["modes_total"] == 25
    assert latent.main([str(toy)]) == 0  # 2-D runs: the latent map
    assert (toy / "latent" / "latent_map.png").is_file()


def test_latent_mode_map_and_mass():
    """latent_mode_map labels each latent grid point with the mode its sample lands on
    (-1 beyond 3 std); latent_mass weighs the labels by the standard normal density."""
    centres = np.array([[-1.0, 0.0], [1.0, 0.0]])

    def decode(z):  # left half -> mode 0, right half -> mode 1, |z[1]| > 1 -> far away
        x = np.stack([np.where(z[:, 0] < 0, -1.0, 1.0), np.zeros(len(z))], 1)
        x[np.abs(z[:, 1]) > 1] = 9.0
        return x + 0.05 * z[:, :1]  # within 3 std (0.3) of its centre for |z| <= 3

    modes = latent.latent_mode_map(decode, centres, 0.1, nz=5, size=60, extent=3.0)
    t = np.linspace(-3, 3, 60)
    expect = np.where(t[None, :] < 0, 0, 1) * np.ones((60, 1), int)
    expect[np.abs(t) > 1, :] = -1  # rows are z[1]
    np.testing.assert_array_equal(modes, expect)
    share = latent.latent_mass(modes, 3.0, 2)
    inner = 0.6827 / 0.9973  # P(|z1| <= 1) within the square
    np.testing.assert_allclose(share, [inner / 2, inner / 2], rtol=0.03)
    np.testing.assert_allclose(latent.latent_mass(np.zeros((60, 60), int), 3.0, 2), [1, 0])


def test_label_smoothing_flag(tmp_path, capsys, monkeypatch):
    seen = []
    d_loss = gan.Objective.d_loss

    def spy(self, real, fake, real_label=1.0):
        seen.append(real_label)
        return d_loss(self, real, fake, real_label)

    monkeypatch.setattr(gan.Objective, "d_loss", spy)
    run = tmp_path / "smooth"
    argv = MLP_MNIST + ["--steps", "2", "--out", str(run)]
    assert gan.main(argv + ["--label-smoothing", "0.9"]) == 0
    assert seen == [0.9, 0.9]
    assert common.load_checkpoint(run)["args"]["label_smoothing"] == 0.9
    seen.clear()
    assert gan.main(MLP_MNIST + ["--steps", "1", "--out", str(tmp_path / "off")]) == 0
    assert seen == [1.0]  # off by default
    bad = ["--loss", "wgan", "--label-smoothing", "0.9"]
    assert gan.main(MLP_MNIST + bad + ["--out", str(tmp_path / "w")]) == 1
    assert "--label-smoothing" in capsys.readouterr().err
    with pytest.raises(SystemExit, match="2"):
        gan.main(MLP_MNIST + ["--label-smoothing", "1.5", "--out", str(tmp_path / "x")])


def test_lr_decay_linear_resumes_bit_for_bit(tmp_path, monkeypatch):
    """--lr-decay linear sets each rate from the step alone: the last of 4 generator steps
    runs at a quarter of the base rate, and a run interrupted after 2 steps and resumed
    matches an uninterrupted one."""
    args = MLP_MNIST + ["--lr-decay", "linear", "--lr", "1e-3", "--steps", "4"]
    full, part = tmp_path / "full", tmp_path / "part"
    assert gan.main(args + ["--out", str(full)]) == 0
    _interrupt_then_resume(monkeypatch, args, part, 1, ["--steps", "4"])
    _same(_params(full), _params(part))
    state = common.load_checkpoint(full)["state"]
    for opt in ("opt_g", "opt_d"):
        assert state[opt]["param_groups"][0]["lr"] == pytest.approx(0.25e-3)


def test_r1_flag_is_lazy_and_changes_training(tmp_path):
    """--r1 G with --r1-every N: every N-th D step (the N-th, 2N-th, ...) carries the
    penalty at N * G, the others none, so the first N - 1 steps train as without it; the
    config records both and a plain run has R1 off."""
    run = gan.Run.__new__(gan.Run)
    run.args = gan.build_parser().parse_args(["--r1", "0.5", "--r1-every", "3"])
    weights = []
    for run.d_step in range(7):
        weights.append(run.r1_weight())
    assert weights == [0, 0, 1.5, 0, 0, 1.5, 0]
    base = MLP_MNIST + ["--pack", "2"]
    plain, r1 = tmp_path / "plain", tmp_path / "r1"
    early = tmp_path / "early"
    assert gan.main(base + ["--steps", "3", "--out", str(plain)]) == 0
    lazy = ["--r1", "10", "--r1-every", "3"]
    assert gan.main(base + lazy + ["--steps", "3", "--out", str(r1)]) == 0
    assert gan.main(base + lazy + ["--steps", "2", "--out", str(early)]) == 0
    plain2 = tmp_path / "plain2"
    assert gan.main(base + ["--steps", "2", "--out", str(plain2)]) == 0
    _same(_params(plain2), _params(early))  # no penalty yet in D steps 1 and 2
    a, b = _params(plain), _params(r1)
    assert any(not np.array_equal(a[k], b[k]) for k in a if k.startswith("D."))
    cfg = json.loads((r1 / "config.json").read_text())
    assert (cfg["r1"], cfg["r1_every"]) == (10.0, 3)
    cfg = json.loads((plain / "config.json").read_text())
    assert (cfg["r1"], cfg["r1_every"]) == (0.0, 4)


def test_r1_ramp_raises_the_weight_linearly_over_generator_steps(tmp_path):
    """--r1-ramp N scales R1 by step / N (generator steps) until step N, then holds it at
    --r1; the lazy schedule stays every --r1-every'th D step, and a run resumed mid-ramp
    ends with the parameters of an uninterrupted one."""
    run = gan.Run.__new__(gan.Run)
    run.args = gan.build_parser().parse_args(["--r1", "0.5", "--r1-every", "2", "--r1-ramp", "4"])
    weights = []
    for run.step in (0, 1, 2, 4, 9):
        weights.append([run.r1_weight() for run.d_step in (0, 1)])
    assert weights == [[0, 0], [0, 0.25], [0, 0.5], [0, 1.0], [0, 1.0]]
    run.args = gan.build_parser().parse_args(["--r1", "0.5", "--r1-every", "1"])
    run.step, run.d_step = 0, 0
    assert run.r1_weight() == 0.5  # no ramp: the full weight from the first step
    base = MLP_MNIST + ["--pack", "2", "--r1", "10", "--r1-every", "1"]
    ramped, flat = tmp_path / "ramped", tmp_path / "flat"
    assert gan.main(base + ["--r1-ramp", "3", "--steps", "3", "--out", str(ramped)]) == 0
    assert gan.main(base + ["--steps", "3", "--out", str(flat)]) == 0
    a, b = _params(ramped), _params(flat)
    assert any(not np.array_equal(a[k], b[k]) for k in a if k.startswith("D."))
    assert json.loads((ramped / "config.json").read_text())["r1_ramp"] == 3
    part = tmp_path / "part"
    assert gan.main(base + ["--r1-ramp", "3", "--steps", "2", "--out", str(part)]) == 0
    assert gan.main(["--resume", str(part), "--steps", "3"]) == 0
    _same(_params(ramped), _params(part))


def test_pack_flag(tmp_path, capsys):
    """--pack M builds a discriminator for M samples at once and trains with it; a batch
    that does not split into packs, or a conditional model, is refused."""
    run = tmp_path / "packed"
    assert gan.main(MLP_MNIST + ["--pack", "4", "--steps", "2", "--out", str(run)]) == 0
    state = common.load_checkpoint(run)["state"]["D"]
    assert state["D.net.0.weight"].shape == (16, 4 * 784)
    toy = ["--dataset", "grid", "--loss", "wgan-gp", "--hidden", "8", "--batch-size", "32"]
    toy += ["--steps-per-epoch", "2", "--steps", "2", "--pack", "2", "--device", "cpu"]
    assert gan.main(toy + ["--out", str(tmp_path / "toy")]) == 0
    assert gan.main(MLP_MNIST + ["--pack", "3", "--out", str(tmp_path / "b")]) == 1
    assert "not a multiple of --pack 3" in capsys.readouterr().err
    assert gan.main(["--model", "cgan", "--pack", "2", "--out", str(tmp_path / "c")]) == 1
    assert "--pack" in capsys.readouterr().err


def test_dropout_flag(tmp_path, capsys):
    """--dropout P puts dropout after each hidden layer of the MLP discriminator (active
    in training: two passes of one batch differ), and is refused for the DCGAN or a P
    outside [0, 1)."""
    run = tmp_path / "drop"
    assert gan.main(MLP_MNIST + ["--dropout", "0.5", "--steps", "2", "--out", str(run)]) == 0
    args, _ = generators.load_generator(run, "cpu")
    obj = gan.OBJECTIVES[args.loss]
    _, D = generators.build_models(args, obj, (1, 28, 28))
    names = [type(m).__name__ for m in D.net]
    assert names.count("Dropout") == 2 and names[2] == "Dropout"
    x = mg.randn(8, 1, 28, 28)
    assert not np.allclose(D(x).detach().numpy(), D(x).detach().numpy())
    D.eval()
    np.testing.assert_array_equal(D(x).detach().numpy(), D(x).detach().numpy())
    args.dropout = 0.0
    _, plain = generators.build_models(args, obj, (1, 28, 28))
    assert "Dropout" not in [type(m).__name__ for m in plain.net]  # old layer names
    assert gan.main(["--dropout", "0.5", "--out", str(tmp_path / "dc")]) == 1
    assert "--dropout" in capsys.readouterr().err
    with pytest.raises(SystemExit, match="2"):
        gan.main(MLP_MNIST + ["--dropout", "1", "--out", str(tmp_path / "one")])
    assert "argument --dropout: must be a finite number in [0, 1)" in capsys.readouterr().err


def test_instance_noise_schedule(tmp_path, capsys):
    """--instance-noise SIGMA: D's inputs get Gaussian noise whose std falls linearly from
    SIGMA at step 0 to 0 at --instance-noise-steps (default: the last step); without the
    flag D sees its inputs unchanged. Bad values are refused."""
    argv = ["--dataset", "ring", "--hidden", "8", "--out", str(tmp_path / "r")]
    args = gan.build_parser().parse_args(argv + ["--instance-noise", "0.5"])
    gan.fill_defaults(args)
    run = gan.Run(args, "cpu")
    run.D = lambda x: x  # D sees exactly what discriminate() hands it
    zeros = mg.zeros(20000, 2)
    for step, total, noise_steps, std in [
        (0, 100, None, 0.5),
        (50, 100, None, 0.25),
        (50, 100, 80, 0.5 * 30 / 80),
        (90, 100, 80, 0.0),
    ]:
        run.step, args.instance_noise_steps = step, noise_steps
        run.schedule_(total)
        assert run.noise_std == pytest.approx(std)
        seen = run.discriminate(zeros, None).numpy()
        np.testing.assert_allclose(seen.std(), std, rtol=0.03, atol=1e-12)
        assert abs(seen.mean()) < 0.02
    plain = gan.build_parser().parse_args(argv)
    gan.fill_defaults(plain)
    run = gan.Run(plain, "cpu")
    run.schedule_(100)
    x = mg.randn(16, 2)
    with mg.no_grad():
        np.testing.assert_array_equal(run.discriminate(x, None).numpy(), run.D(x).numpy())
    with pytest.raises(SystemExit, match="2"):  # refused by the parser
        gan.main(argv + ["--instance-noise", "-1"])
    assert "argument --instance-noise: must be a finite number >= 0, got -1" in (
        capsys.readouterr().err
    )
    with pytest.raises(SystemExit, match="2"):
        gan.main(argv + ["--instance-noise", "1", "--instance-noise-steps", "0"])
    assert "argument --instance-noise-steps: must be an integer >= 1, got 0" in (
        capsys.readouterr().err
    )


def test_g_batchnorm_flag(tmp_path, capsys):
    """--g-batchnorm puts BatchNorm1d before each hidden ReLU of the MLP generator; the
    saved run reloads with it, on images and on 2-D data; refused for the DCGAN."""
    run = tmp_path / "bn"
    assert gan.main(MLP_MNIST + ["--g-batchnorm", "--steps", "2", "--out", str(run)]) == 0
    _, G = generators.load_generator(run, "cpu")
    names = [type(m).__name__ for m in G.net]
    assert names[:3] == ["Linear", "BatchNorm1d", "ReLU"] and names.count("BatchNorm1d") == 2
    toy = tmp_path / "toy"
    argv = ["--dataset", "ring", "--g-batchnorm", "--layers", "2", "--steps", "2"]
    assert gan.main(argv + ["--eval-samples", "0", "--out", str(toy)]) == 0
    _, G = generators.load_generator(toy, "cpu")
    names = [type(m).__name__ for m in G.net]
    assert names == ["Linear", "BatchNorm1d", "ReLU"] * 2 + ["Linear"]  # linear output
    assert gan.main(["--g-batchnorm", "--out", str(tmp_path / "dc")]) == 1
    assert "--g-batchnorm" in capsys.readouterr().err


def test_bad_data_paths(tmp_path, capsys):
    missing = tmp_path / "nowhere"
    assert gan.main(["--data-dir", str(missing), "--out", str(tmp_path / "r")]) == 1
    assert str(missing) in capsys.readouterr().err
    bad = tmp_path / "bad"
    bad.mkdir()
    header = np.array([0x803, 10, 28, 28], dtype=">u4").tobytes()  # 10 images, no pixels
    (bad / "train-images-idx3-ubyte").write_bytes(header + b"\x00" * 100)
    (bad / "train-labels-idx1-ubyte").write_bytes(
        np.array([0x801, 10], ">u4").tobytes() + bytes(10)
    )
    assert gan.main(["--data-dir", str(bad), "--out", str(tmp_path / "r2")]) == 1
    assert "train-images-idx3-ubyte" in capsys.readouterr().err
    assert (
        gan.main(["--dataset", "folder", "--data-dir", str(bad), "--out", str(tmp_path / "r3")])
        == 1
    )
    assert str(bad) in capsys.readouterr().err
    assert sample.main([str(tmp_path / "no_run"), "--out", str(tmp_path / "x.npz")]) == 1
    assert "checkpoint" in capsys.readouterr().err


def test_nan_loss_stops_with_clear_message(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(gan.Objective, "g_loss", lambda self, fake: fake.mean() * float("nan"))
    assert gan.main(MLP_MNIST + ["--steps", "3", "--out", str(tmp_path / "r")]) == 1
    assert "G loss became NaN at step 0" in capsys.readouterr().err


def _resolved(argv):
    args = gan.build_parser().parse_args(argv)
    gan.fill_defaults(args)
    keys = ("batch_size", "pack", "ema", "epochs", "dropout", "latent_components", "r1")
    keys += ("ema_bias_correction", "g_batchnorm", "d_depth")
    return {k: getattr(args, k) for k in keys}


def _lr(argv):
    args = gan.build_parser().parse_args(argv)
    gan.fill_defaults(args)
    return args.lr


def test_mnist_defaults_are_the_recipes_and_the_papers_one_flag_away():
    """On MNIST the DCGAN samples with bias-corrected averaged weights, penalises D's
    gradient on real digits (R1), judges them with a 3-conv D, steps on 32 images at a
    rate of 2e-3 and draws its latents from a mixture of 50; the MLP GAN has dropout in D
    and batchnorm in G for 100 epochs. Each setting comes back to the paper's with its own
    flag, and other data keeps the plain ones."""
    plain = {"pack": 1, "ema": 0.0, "epochs": 20, "dropout": 0.0, "g_batchnorm": False}
    plain |= {"latent_components": 0, "r1": 0.0, "ema_bias_correction": False, "d_depth": 2}
    dcgan = {"batch_size": 32, "ema": 0.999, "latent_components": 50, "r1": 1.0}
    dcgan |= {"ema_bias_correction": True, "d_depth": 3}
    assert _resolved([]) == plain | dcgan
    paper = ["--ema", "0", "--no-ema-bias-correction", "--batch-size", "64"]
    paper += ["--latent-components", "0", "--r1", "0", "--d-depth", "2"]
    assert _resolved(paper) == plain | {"batch_size": 64}
    assert _resolved(["--latent-components", "0"]) == plain | dcgan | {"latent_components": 0}
    assert _resolved(["--pack", "2"]) == plain | dcgan | {"pack": 2}  # the last default
    assert _resolved(["--no-ema-bias-correction"])["ema_bias_correction"] is False
    # the critics keep the 2-conv D and take no R1; the other probability objectives
    # take the whole recipe
    for loss in ("wgan", "wgan-gp"):
        assert _resolved(["--loss", loss]) == plain | dcgan | {"r1": 0.0, "d_depth": 2}
    for loss in ("minimax", "lsgan"):
        assert _resolved(["--loss", loss]) == plain | dcgan
    # the DCGAN's rate was measured with the nonsaturating objective; others keep theirs
    assert _lr([]) == 2e-3 and _lr(["--lr", "2e-4"]) == 2e-4
    assert _lr(["--loss", "wgan-gp"]) is None and _lr(["--model", "mlp"]) is None
    assert _lr(["--dataset", "folder", "--data-dir", "x"]) is None
    mlp = ["--model", "mlp"]
    assert _resolved(mlp) == plain | {
        "batch_size": 64,
        "dropout": 0.5,
        "g_batchnorm": True,
        "epochs": 100,
    }
    assert _resolved(mlp + ["--no-g-batchnorm", "--dropout", "0", "--epochs", "20"]) == plain | {
        "batch_size": 64
    }
    for other in (["--model", "cgan"], ["--dataset", "folder", "--data-dir", "x"]):
        assert _resolved(other) == plain | {"batch_size": 64}


def test_default_dcgan_run_records_its_settings(tmp_path):
    """config.json holds the resolved recipe; D judges single images (one channel) and
    G's average is the bias-corrected one."""
    run = tmp_path / "dcgan"
    argv = ["--dry-run", "--eval-samples", "0", "--device", "cpu", "--out", str(run)]
    assert gan.main(argv) == 0
    config = json.loads((run / "config.json").read_text())
    assert (config["pack"], config["ema"], config["batch_size"]) == (1, 0.999, 32)
    assert (config["latent_components"], config["latent_spread"]) == (50, 1.0)
    assert (config["r1"], config["r1_every"], config["ema_bias_correction"]) == (1.0, 4, True)
    assert config["d_depth"] == 3
    state = common.load_checkpoint(run)["state"]
    assert state["D"]["net.0.weight"].shape[1] == 1 and bool(state["ema_G"]["bias_correction"])
    assert state["D"]["net.5.weight"].shape == (256, 128, 3, 3)
    assert state["D"]["net.9.weight"].shape == (1, 256 * 4 * 4)
    assert state["G"]["means"].shape == (50, 100)


def test_resume_of_a_run_older_than_the_recipe_keeps_its_settings(tmp_path):
    """A run saved before --pack/--ema/--dropout/--g-batchnorm existed ran without them:
    its resume keeps them off instead of taking today's MNIST defaults (whose networks
    would not load its checkpoint)."""
    run = tmp_path / "old"
    old = ["--no-g-batchnorm", "--dropout", "0", "--steps", "2", "--out", str(run)]
    assert gan.main(MLP_MNIST + old) == 0
    config = json.loads((run / "config.json").read_text())
    for key in ("pack", "ema", "dropout", "g_batchnorm", "latent_components", "latent_spread"):
        del config[key]
    for key in ("r1", "r1_every", "ema_bias_correction", "d_depth"):
        del config[key]
    (run / "config.json").write_text(json.dumps(config))
    assert gan.main(["--resume", str(run), "--steps", "4"]) == 0  # today's would not load
    state = common.load_checkpoint(run)["state"]
    assert state["D"]["net.0.weight"].shape == (16, 784) and "ema_G" not in state


def test_a_dcgan_run_older_than_the_mixture_latent_resumes_and_samples_plain(tmp_path):
    """A DCGAN run saved before --latent-components existed drew plain N(0, I) latents: its
    resume, train.sample and train.evaluate rebuild that generator (no means), where
    today's default would not load its checkpoint."""
    run = tmp_path / "old"
    argv = ["--dry-run", "--eval-samples", "0", "--device", "cpu", "--out", str(run)]
    assert gan.main(argv + ["--latent-components", "0", "--steps", "1"]) == 0
    config = json.loads((run / "config.json").read_text())
    for key in ("latent_components", "latent_spread"):
        del config[key]
    (run / "config.json").write_text(json.dumps(config))
    assert gan.main(["--resume", str(run), "--steps", "2"]) == 0
    state = common.load_checkpoint(run)["state"]
    assert "means" not in state["G"] and "net.0.weight" in state["G"]
    args, G = generators.load_generator(run, "cpu")
    assert not hasattr(G, "means")
    assert generators.sample_generator(args, G, 3, "cpu").shape == (3, 1, 28, 28)


def test_a_dcgan_run_older_than_d_depth_resumes_with_the_2_conv_discriminator(tmp_path):
    """A DCGAN run saved before --d-depth existed had the 2-conv D: its resume rebuilds
    that D: today's default, 3 convs, would not load its checkpoint."""
    run = tmp_path / "old"
    argv = ["--dry-run", "--eval-samples", "0", "--device", "cpu", "--out", str(run)]
    assert gan.main(argv + ["--d-depth", "2", "--steps", "1"]) == 0
    config = json.loads((run / "config.json").read_text())
    del config["d_depth"]
    (run / "config.json").write_text(json.dumps(config))
    assert gan.main(["--resume", str(run), "--steps", "2"]) == 0
    state = common.load_checkpoint(run)["state"]
    assert int(state["step"]) == 2 and state["D"]["net.6.weight"].shape == (1, 128 * 7 * 7)


def test_mixture_run_samples_through_its_means(tmp_path):
    """A run with the mixture latent saves its means with G, and train.sample's generator
    applies them: its samples are the inner generator's at z + mu_k."""
    run = tmp_path / "mix"
    argv = ["--dry-run", "--eval-samples", "0", "--device", "cpu", "--out", str(run)]
    assert gan.main(argv + ["--latent-components", "7", "--latent-spread", "3"]) == 0
    args, G = generators.load_generator(run, "cpu")
    assert (G.components, G.spread) == (7, 3.0)
    z = np.random.default_rng(0).standard_normal((5, args.nz))
    zt = mg.tensor(z, dtype=mg.float32)
    shifted = zt + G.means[G.component(zt)]
    with mg.no_grad():
        expect = G.generator(shifted).numpy()
    got = generators.sample_generator(args, G, 5, "cpu", z=z)
    np.testing.assert_allclose(got, expect, rtol=1e-5, atol=1e-6)


# the plain 2-D settings _resolved_toy reports, and the sizes of the 2-D networks
TOY_PLAIN = {"pack": 1, "lr_decay": "none", "ema": 0.0, "steps_per_epoch": 1000, "epochs": 20}
TOY_PLAIN |= {"latent_components": 0, "latent_spread": 1.0, "r1": 0.0, "r1_ramp": 0, "lr": None}
TOY_PLAIN |= {"fakes": "fresh", "toy_scale": 1.0}
TOY_SMALL = {"batch_size": 512, "nz": 2, "hidden": 128}


def _resolved_toy(argv):
    args = gan.build_parser().parse_args(argv)
    gan.fill_defaults(args)
    keys = ("pack", "lr_decay", "ema", "steps_per_epoch", "epochs", "batch_size", "nz", "hidden")
    keys += ("latent_components", "latent_spread", "r1", "r1_ramp", "lr", "fakes", "toy_scale")
    return {k: getattr(args, k) for k in keys}


def test_ring_defaults_are_the_packed_recipe_and_the_plain_gan_one_flag_away():
    """--dataset ring packs 4 samples for D, decays both rates linearly to 0 over 20 epochs
    of 2,000 steps and averages G's weights; each setting has its own flag back to the
    plain GAN, and MNIST keeps the plain 2-D settings."""
    plain, small = TOY_PLAIN, TOY_SMALL
    recipe = {"pack": 4, "lr_decay": "linear", "ema": 0.999, "steps_per_epoch": 2000}
    ring = ["--dataset", "ring"]
    assert _resolved_toy(ring) == plain | small | recipe
    back = ["--pack", "1", "--lr-decay", "none", "--ema", "0", "--steps-per-epoch", "1000"]
    assert _resolved_toy(ring + back) == plain | small
    assert _resolved_toy(ring + ["--pack", "1"]) == plain | small | recipe | {"pack": 1}
    assert _resolved_toy(ring + ["--pack", "8", "--epochs", "3"])["pack"] == 8
    assert {k: v for k, v in _resolved_toy([]).items() if k in ("lr_decay", "steps_per_epoch")} == {
        "lr_decay": "none",
        "steps_per_epoch": 1000,
    }
    with pytest.raises(ValueError, match=r"--batch-size 30 .* --pack 4 \(the default for "):
        gan.fill_defaults(gan.build_parser().parse_args(ring + ["--batch-size", "30"]))


def test_grid_defaults_are_its_recipe_and_the_plain_gan_one_flag_away():
    """--dataset grid: D judges packs of 4 and takes R1 (gamma 3e-3, no ramp), G draws from
    a mixture of 100 in 8 dimensions with means spread 3 apart, both rates start at 1e-3 and
    fall linearly to 0 over 50 epochs of 1,000 steps, G's weights are averaged, the D
    and G steps share one batch of samples and both networks work in units of 2.83 (the
    coordinates' std); the critics take neither R1 nor the rate, and their 5 D steps per G
    step draw their own; a user's --r1-ramp is kept."""
    plain, small = TOY_PLAIN, TOY_SMALL
    recipe = {"pack": 4, "lr_decay": "linear", "ema": 0.999, "epochs": 50}
    recipe |= {"latent_components": 100, "latent_spread": 3.0, "nz": 8, "r1": 3e-3, "lr": 1e-3}
    recipe |= {"fakes": "shared", "toy_scale": 2.83}
    grid = ["--dataset", "grid"]
    assert _resolved_toy(grid) == plain | small | recipe
    back = ["--pack", "1", "--lr-decay", "none", "--ema", "0", "--epochs", "20"]
    back += ["--latent-components", "0", "--nz", "2", "--r1", "0", "--lr", "2e-4"]
    back += ["--fakes", "fresh", "--toy-scale", "1"]
    assert _resolved_toy(grid + back) == plain | small | {"lr": 2e-4}
    assert _resolved_toy(grid + ["--latent-components", "20"])["latent_spread"] == 3.0
    assert _resolved_toy(grid + ["--latent-spread", "0.5"])["latent_spread"] == 0.5
    assert _resolved_toy(["--model", "dcgan"])["latent_spread"] == 1.0  # MNIST's mixture
    assert _resolved_toy(grid + ["--r1-ramp", "9"]) == plain | small | recipe | {"r1_ramp": 9}
    assert _resolved_toy(grid + ["--r1", "1e-2"]) == plain | small | recipe | {"r1": 1e-2}
    critic = _resolved_toy(grid + ["--loss", "wgan-gp"])
    critic_recipe = {"r1": 0.0, "r1_ramp": 0, "lr": None, "fakes": "fresh"}
    assert critic == plain | small | recipe | critic_recipe
    one_step = _resolved_toy(grid + ["--loss", "wgan-gp", "--d-steps", "1"])
    assert one_step == critic | {"fakes": "shared"}
    assert _resolved_toy(grid + ["--d-steps", "2"])["fakes"] == "fresh"
    assert _resolved_toy(["--dataset", "ring"])["fakes"] == "fresh"
    assert _resolved_toy(grid + ["--loss", "lsgan"]) == plain | small | recipe | {"lr": None}


def test_default_grid_run_records_its_settings(tmp_path):
    """config.json holds the grid recipe; G carries 100 means in 8 dimensions (spread 3) and
    D judges packs of 4 points."""
    run = tmp_path / "grid"
    argv = ["--dataset", "grid", "--hidden", "8", "--epochs", "1", "--steps-per-epoch", "5"]
    assert gan.main(argv + ["--eval-samples", "0", "--device", "cpu", "--out", str(run)]) == 0
    config = json.loads((run / "config.json").read_text())
    assert (config["pack"], config["nz"], config["latent_components"]) == (4, 8, 100)
    assert (config["latent_spread"], config["epochs"]) == (3.0, 1)
    assert (config["r1"], config["r1_every"], config["lr"]) == (3e-3, 4, 1e-3)
    assert config["r1_ramp"] == 0 and config["toy_scale"] == 2.83
    state = common.load_checkpoint(run)["state"]
    assert state["G"]["means"].shape == (100, 8) and "ema_G" in state
    assert state["D"]["D.net.0.weight"].shape[1] == 8 and int(state["step"]) == 5


def test_toy_scale_multiplies_g_output_and_divides_d_input():
    """--toy-scale S: G's points are S times its network's output, and D's first layer sees
    x / S (so D(S x) with the scale equals D(x) without it, for the same weights); a run
    saved before the flag existed loads at scale 1; the flag is refused off the 2-D data."""
    from models.losses import OBJECTIVES
    from train.generators import build_models

    base = gan.build_parser().parse_args(["--dataset", "grid", "--hidden", "8"])
    gan.fill_defaults(base)
    scaled = argparse.Namespace(**vars(base))
    plain = argparse.Namespace(**vars(base) | {"toy_scale": 1.0})
    obj = OBJECTIVES["nonsaturating"]
    mg.manual_seed(0)
    G1, D1 = build_models(plain, obj, (2,))
    G2, D2 = build_models(scaled, obj, (2,))
    G2.load_state_dict(G1.state_dict())
    D2.load_state_dict(D1.state_dict())
    z = mg.randn(16, base.nz)
    with mg.no_grad():
        np.testing.assert_allclose(G2(z).numpy(), 2.83 * G1(z).numpy(), rtol=1e-6)
        x = mg.randn(16, 2)
        np.testing.assert_allclose(D2(x * 2.83).numpy(), D1(x).numpy(), rtol=1e-5, atol=1e-6)
    # a run saved before the flag: no toy_scale among its arguments
    old = argparse.Namespace(**{k: v for k, v in vars(base).items() if k != "toy_scale"})
    G3, D3 = build_models(old, obj, (2,))
    assert G3.generator.out_scale == 1.0 and D3.D.in_scale == 1.0
    with pytest.raises(ValueError, match=r"--toy-scale 2.0 applies to .* not --dataset mnist"):
        gan.fill_defaults(gan.build_parser().parse_args(["--toy-scale", "2"]))
    for bad in ("0", "-1", "nan"):
        with pytest.raises(SystemExit):
            gan.build_parser().parse_args(["--dataset", "grid", "--toy-scale", bad])


def test_default_ring_run_records_its_settings_and_decays(tmp_path):
    """config.json holds the resolved ring recipe; D judges packs of 4 points (8 inputs),
    G's averaged weights are saved, and the rate has fallen linearly by the last step."""
    run = tmp_path / "ring"
    argv = ["--dataset", "ring", "--hidden", "8", "--epochs", "2", "--steps-per-epoch", "3"]
    assert gan.main(argv + ["--eval-samples", "0", "--device", "cpu", "--out", str(run)]) == 0
    config = json.loads((run / "config.json").read_text())
    assert (config["pack"], config["lr_decay"], config["ema"]) == (4, "linear", 0.999)
    assert (config["steps_per_epoch"], config["epochs"]) == (3, 2)
    state = common.load_checkpoint(run)["state"]
    assert state["D"]["D.net.0.weight"].shape[1] == 8 and "ema_G" in state
    assert state["step"] == 6
    args = gan.build_parser().parse_args(["--dataset", "ring", "--hidden", "8"])
    gan.fill_defaults(args)
    r = gan.Run(args, "cpu")
    r.step = 30000
    r.schedule_(r.planned)
    assert r.planned == 40000 and r.opt_g.lr == pytest.approx(2e-4 * 0.25)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--d-steps", "2"], r"--fakes shared needs one D step per G step, got 2 \(--d-steps 2\)"),
        (["--loss", "wgan"], r"got 5 \(--loss wgan's default\): use --fakes fresh, or --d-steps 1"),
    ],
)
def test_shared_fakes_refuse_several_d_steps(argv, message):
    args = gan.build_parser().parse_args(["--dataset", "grid", "--fakes", "shared", *argv])
    with pytest.raises(ValueError, match=message):
        gan.fill_defaults(args)


def _counting_run(tmp_path, fakes, extra=()):
    """A tiny grid Run whose generator counts its forward passes."""
    argv = ["--dataset", "grid", "--hidden", "8", "--batch-size", "16", "--fakes", fakes]
    argv += ["--eval-samples", "0", "--out", str(tmp_path / fakes), *extra]
    args = gan.build_parser().parse_args(argv)
    gan.fill_defaults(args)
    run = gan.Run(args, "cpu")
    calls = []
    forward = run.G.forward
    run.G.forward = lambda z: calls.append(z.shape) or forward(z)
    return run, calls


def test_shared_fakes_draw_once_and_train_g_as_a_fresh_forward_would(tmp_path):
    """--fakes shared runs G once per iteration (fresh: twice, the D step's without a
    graph); the G step's gradients through the batch drawn before the D step equal those
    of G run again on the same latents after it (the D step changes D only), and the D
    step judges exactly that batch."""
    mg.manual_seed(3)
    fresh, fresh_calls = _counting_run(tmp_path, "fresh")
    fresh.train_batch_()
    assert len(fresh_calls) == 2
    mg.manual_seed(3)
    run, calls = _counting_run(tmp_path, "shared", ["--r1", "0"])
    seen = {}
    d_step, g_step = gan.d_step, gan.g_step

    def spy_d(*a, fake=None, **k):
        seen["d_fake"] = fake.detach().numpy().copy()
        return d_step(*a, fake=fake, **k)

    def spy_g(G, D, opt_g, obj, z, y=None, *, fake=None, **k):
        seen["z"], seen["g_fake"] = z, fake.detach().numpy().copy()
        loss = g_step(G, D, opt_g, obj, z, y, fake=fake, **k)
        seen["grads"] = {n: p.grad.numpy().copy() for n, p in G.named_parameters()}
        return loss

    gan.d_step, gan.g_step = spy_d, spy_g
    try:
        before = {n: p.detach().numpy().copy() for n, p in run.G.named_parameters()}
        run.train_batch_()
    finally:
        gan.d_step, gan.g_step = d_step, g_step
    assert len(calls) == 1 and calls[0] == (16, 8)
    np.testing.assert_array_equal(seen["d_fake"], seen["g_fake"])
    # G again on the same latents, from G's weights before its step, through today's D
    for n, p in run.G.named_parameters():
        p.data = mg.tensor(before[n])
    run.G.zero_grad()
    run.D.requires_grad_(False)
    loss = run.obj.g_loss(run.discriminate(run.G(seen["z"]), None))
    loss.backward()
    run.D.requires_grad_(True)
    for n, p in run.G.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), seen["grads"][n], rtol=1e-5, atol=1e-7)


def test_shared_fakes_resume_bit_for_bit(tmp_path, monkeypatch):
    """The grid's default (--fakes shared): a run interrupted in its 4th of 8 steps and
    resumed with a bare --resume equals the uninterrupted run."""
    base = ["--dataset", "grid", "--hidden", "8", "--batch-size", "16", "--eval-samples", "0"]
    base += ["--steps-per-epoch", "4", "--epochs", "2", "--device", "cpu", "--seed", "5"]
    whole, split = tmp_path / "whole", tmp_path / "split"
    assert gan.main(base + ["--out", str(whole)]) == 0
    _interrupt_then_resume(monkeypatch, base, split, 3)
    assert json.loads((split / "config.json").read_text())["fakes"] == "shared"
    _same(_params(whole), _params(split))


def test_a_grid_run_older_than_shared_fakes_resumes_fresh(tmp_path, monkeypatch):
    """A grid run saved before --fakes existed drew fresh samples for each step: its resume
    keeps doing so (two G forwards per iteration, where today's default runs one)."""
    run = tmp_path / "old"
    argv = ["--dataset", "grid", "--hidden", "8", "--batch-size", "16", "--eval-samples", "0"]
    assert gan.main(argv + ["--steps", "2", "--out", str(run)]) == 0
    config = json.loads((run / "config.json").read_text())
    assert config.pop("fakes") == "shared"
    (run / "config.json").write_text(json.dumps(config))
    saved = common.load_checkpoint(run)  # the checkpoint's copy of the settings too
    del saved["args"]["fakes"]
    common.save_checkpoint(run / "checkpoint.npz", saved)
    calls = []
    generate = gan.generate
    monkeypatch.setattr(gan, "generate", lambda *a: calls.append(1) or generate(*a))
    assert gan.main(["--resume", str(run), "--steps", "3"]) == 0
    assert len(calls) == 2 and common.load_checkpoint(run)["state"]["step"] == 3
    calls.clear()
    assert gan.main(argv + ["--steps", "1", "--out", str(tmp_path / "new")]) == 0
    assert len(calls) == 1
