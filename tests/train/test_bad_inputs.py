"""Every flag and input file of every job, given bad values: each row must end with a
non-zero exit status, a message naming the flag or file at fault, and no traceback.

Flag values are refused by argparse (exit status 2); files and flag combinations found
wrong after parsing by the job's main() (exit status 1). `test_every_flag_has_a_row`
fails when a job gains a flag that no row covers."""

import os
import subprocess
import sys
import zipfile

import numpy as np
import pytest
from PIL import Image

import minigrad as mg
from train import embed, evaluate, gan, latent, metric, sample

JOBS = {
    "train.gan": gan,
    "train.metric": metric,
    "train.sample": sample,
    "train.embed": embed,
    "train.evaluate": evaluate,
    "train.latent": latent,
}
TOY = ["--dataset", "ring", "--steps-per-epoch", "2", "--epochs", "1", "--batch-size", "16"]
TOY += ["--hidden", "8", "--layers", "1", "--eval-samples", "0", "--device", "cpu"]
TINY_METRIC = ["--dry-run", "--device", "cpu", "--channels", "4", "--embedding-dim", "8"]


def bad(flag, *values, expect=None):
    """Rows for `flag` given each of `values` alone, refused as 'argument FLAG: ...'."""
    return [(flag, [flag, *v.split()], expect or f"argument {flag}:") for v in values]


# (flag, argv, expected text); {gan}, {metric}, {tmp}, {fifo}... name the fixtures' files
TABLE = {
    "train.gan": [
        *bad("--model", "vae"),
        *bad("--loss", "hinge2"),
        *bad("--dataset", "cifar"),
        ("--data-dir", ["--dataset", "folder", "--data-dir", "{tmp}/none"], "{tmp}/none"),
        ("--data-dir", ["--dataset", "folder"], "--data-dir"),
        ("--data-dir", ["--dataset", "folder", "--data-dir", "{badimages}"], "broken.png"),
        ("--data-dir", ["--dataset", "mnist", "--data-dir", "{junk}"], "junk.npz"),
        *bad("--image-size", "48", "x"),
        *bad("--grayscale", "--grayscale=1"),
        *bad("--epochs", "0", "-1", "x", "1.5"),
        *bad("--steps", "0", "-3", "1_000", "\uff11"),
        *bad("--steps-per-epoch", "0", "-1"),
        *bad("--batch-size", "0", "-5", "100000000"),
        *bad("--lr", "0", "-1", "nan", "inf", "x", "1_0", "0x1p-3"),
        *bad("--lr-d", "0", "nan"),
        *bad("--betas", "1 0.9", "0.5 nan", "-0.1 0.9", "0.5"),
        *bad("--d-steps", "0", "-1", "1000"),
        *bad("--fakes", "both", "Shared"),
        ("--fakes", TOY + ["--fakes", "shared", "--d-steps", "2"], "got 2 (--d-steps 2)"),
        ("--fakes", TOY + ["--loss", "wgan-gp", "--fakes", "shared"], "(--loss wgan-gp's default)"),
        *bad("--label-smoothing", "0", "1.5", "nan"),
        ("--label-smoothing", TOY + ["--loss", "wgan", "--label-smoothing", "0.9"], "--loss wgan"),
        *bad("--nz", "0", "-1", "100000000", "1e8"),
        *bad("--hidden", "0", "-4", "10000000"),
        *bad("--layers", "0", "-2", "1000"),
        *bad("--lr-decay", "cosine"),
        *bad("--dropout", "1", "-0.1", "nan"),
        ("--dropout", ["--model", "dcgan", "--dropout", "0.5"], "--dropout"),
        # --g-batchnorm/--no-g-batchnorm: one flag, its rows keyed by the last spelling
        ("--no-g-batchnorm", ["--g-batchnorm=yes"], "argument --g-batchnorm/--no-g-batchnorm:"),
        ("--no-g-batchnorm", ["--no-g-batchnorm=1"], "argument --g-batchnorm/--no-g-batchnorm:"),
        ("--no-g-batchnorm", ["--model", "dcgan", "--g-batchnorm"], "--g-batchnorm"),
        *bad("--instance-noise", "-1", "nan", "inf"),
        *bad("--instance-noise-steps", "0", "-1"),
        *bad("--ema", "1", "-0.5", "nan"),
        # one flag, keyed by its last spelling as --g-batchnorm's rows are
        ("--no-ema-bias-correction", ["--ema", "0", "--ema-bias-correction"], "add --ema DECAY"),
        ("--no-ema-bias-correction", ["--model", "mlp", "--ema-bias-correction"], "--ema 0.0"),
        (
            "--no-ema-bias-correction",
            ["--ema-bias-correction=1"],
            "argument --ema-bias-correction/--no-ema-bias-correction:",
        ),
        ("--augment", ["--augment", "flip"], "--augment: unknown transformation 'flip'"),
        ("--augment", ["--augment", "translation,"], "unknown transformation ''"),
        ("--augment", TOY + ["--augment", "translation"], "applies to images, not --dataset"),
        *bad("--pack", "0", "-1", "1000"),
        ("--pack", TOY + ["--pack", "3"], "--pack 3"),
        ("--pack", ["--model", "cgan", "--pack", "2"], "--pack"),
        ("--pack", TOY + ["--batch-size", "30"], "--pack 4 (the default for --dataset ring"),
        *bad("--latent-components", "-1", "x", "1.5", "1000000"),
        ("--latent-components", ["--latent-components", "1"], "0 (the plain Gaussian latent)"),
        ("--latent-components", ["--model", "cgan", "--latent-components", "9"], "--model cgan"),
        *bad("--latent-spread", "0", "-1", "nan", "inf", "1000"),
        ("--latent-spread", ["--latent-components", "0", "--latent-spread", "2"], "needs a"),
        ("--latent-spread", ["--model", "mlp", "--latent-spread", "2"], "--latent-components K"),
        *bad("--toy-scale", "0", "-1", "nan", "inf", "10000"),
        ("--toy-scale", ["--toy-scale", "2"], "2-D networks of --dataset ring and grid, not --da"),
        *bad("--d-depth", "1", "4", "x", "2.5"),
        ("--d-depth", ["--model", "mlp", "--d-depth", "3"], "--d-depth 3 applies to the 28x28"),
        ("--d-depth", TOY + ["--d-depth", "3"], "(got --model mlp --dataset ring)"),
        ("--d-depth", ["--model", "cgan", "--d-depth", "3"], "--model dcgan --dataset mnist"),
        *bad("--r1", "-1", "nan", "inf", "1e7", "x"),
        ("--r1", ["--loss", "wgan-gp", "--r1", "1"], "--r1 does not apply to --loss wgan-gp"),
        ("--r1", ["--loss", "wgan", "--r1", "1"], "--r1 does not apply to --loss wgan"),
        *bad("--r1-every", "0", "-1", "1.5", "10000000"),
        ("--r1-every", ["--model", "mlp", "--r1-every", "2"], "--r1-every 2 needs R1: add --r1"),
        ("--r1-every", ["--r1", "0", "--r1-every", "2"], "--r1-every 2 needs R1"),
        *bad("--r1-ramp", "-1", "1.5", "x"),
        ("--r1-ramp", ["--model", "mlp", "--r1-ramp", "5"], "--r1-ramp 5 needs R1: add --r1"),
        ("--r1-ramp", TOY + ["--r1", "0", "--r1-ramp", "7"], "--r1-ramp 7 needs R1"),
        *bad("--eval-samples", "-1", "1000000000"),
        *bad("--device", "tpu"),
        *bad("--seed", "-1", "x", "1.5"),
        ("--out", TOY + ["--out", "{gan}/config.json"], "{gan}/config.json"),
        ("--out", TOY + ["--out", "{gan}/config.json/sub"], "{gan}/config.json/sub"),
        ("--out", TOY + ["--out", "{gan}"], "--out {gan} already holds a run"),
        *bad("--overwrite", "--overwrite=1"),
        ("--resume", ["--resume", "{tmp}/none"], "{tmp}/none"),
        ("--resume", ["--resume", "{metric}"], "--resume {metric}: not a run of"),
        ("--resume", ["--resume", "{gan}", "--lr", "0.1"], "--lr"),
        *bad("--dry-run", "--dry-run=1"),
        *bad("--distributed", "--distributed=1"),
        # without mpiexec (or without mpi4py): refused by name before any file is written
        ("--distributed", TOY + ["--distributed"], "--distributed"),
    ],
    "train.metric": [
        *bad("--model", "pairs"),
        *bad("--mining", "hardest"),
        *bad("--loss-form", "cubic"),
        *bad("--margin", "-1", "0", "nan", "inf"),
        *bad("--split", "all"),
        *bad("--train-classes", "11", "a-b", "5-3", ""),
        ("--train-classes", TINY_METRIC + ["--train-classes", "0-9"], "--split unseen"),
        (
            "--train-classes",
            TINY_METRIC + ["--model", "siamese", "--train-classes", "3"],
            "--train-classes 3",
        ),
        ("--train-classes", TINY_METRIC + ["--split", "seen", "--train-classes", "3"], "gives one"),
        *bad("--epochs", "0", "-1", "x"),
        *bad("--steps", "0", "-1"),
        *bad("--batch-size", "0", "1", "-5", "100000000"),
        *bad("--classes-per-batch", "0", "1", "11"),
        ("--classes-per-batch", TINY_METRIC + ["--classes-per-batch", "6"], "--classes-per"),
        *bad("--samples-per-class", "0", "1", "100000000"),
        ("--samples-per-class", TINY_METRIC + ["--samples-per-class", "49"], "--samples-per-cl"),
        *bad("--embedding-dim", "0", "-1", "100000000"),
        *bad("--head", "mean"),
        *bad("--retrieve-from", "input", "Features"),
        *bad("--channels", "0", "-1", "100000"),
        *bad("--convs-per-stage", "0", "100"),
        *bad("--lr", "0", "-0.1", "nan", "inf"),
        *bad("--lr-decay", "step"),
        *bad("--ema", "1", "-0.1"),
        *bad("--shift", "-3", "100", "1.5"),
        *bad("--rotate", "nan", "-5", "400", "inf"),
        *bad("--scale", "2", "1", "-0.1", "nan"),
        *bad("--device", "gpu"),
        *bad("--seed", "-1"),
        ("--out", TINY_METRIC + ["--out", "{metric}/eval.json"], "{metric}/eval.json"),
        *bad("--overwrite", "--overwrite=yes"),
        ("--resume", ["--resume", "{gan}"], "--resume {gan}: not a run of"),
        ("--resume", ["--resume", "{tmp}"], "{tmp}"),
        *bad("--dry-run", "--dry-run=1"),
        *bad("--distributed", "--distributed=1"),
        ("--distributed", TINY_METRIC + ["--distributed"], "--distributed"),
    ],
    "train.sample": [
        ("RUN_DIR", ["{tmp}/none", "--out", "{tmp}/s.npz"], "{tmp}/none"),
        ("RUN_DIR", ["{metric}", "--out", "{tmp}/s.npz"], "{metric} is a train.metric run"),
        ("RUN_DIR", ["{fifo}", "--out", "{tmp}/s.npz"], "{fifo}' is a FIFO"),
        ("RUN_DIR", ["{truncated}", "--out", "{tmp}/s.npz"], "truncated"),
        ("RUN_DIR", ["{junk}", "--out", "{tmp}/s.npz"], "junk.npz"),
        ("RUN_DIR", ["{tmp}", "--out", "{tmp}/s.npz"], "{tmp}/checkpoint.npz"),
        *bad("--n", "0", "-1", "1000000000", "x"),
        ("--out", ["{gan}", "--out", "{gan}/checkpoint.npz"], "--out {gan}/checkpoint.npz is"),
        ("--out", ["{gan}", "--out", "{gan}/metrics.jsonl"], "--out {gan}/metrics.jsonl is"),
        ("--out", ["{gan}", "--out", "{gan}"], "--out {gan} is a folder"),
        ("--out", ["{gan}"], "--out"),
        *bad("--label", "10", "-1", "x"),
        ("--label", ["{gan}", "--out", "{tmp}/s.npz", "--label", "3"], "--label"),
        *bad("--seed", "-1"),
        *bad("--device", "tpu"),
        ("--png", ["{gan}", "--out", "{tmp}/s.npz", "--png", "{gan}/config.json"], "--png"),
        ("--png", ["{gan}", "--out", "{tmp}/s.npz", "--png", "{tmp}/s.png"], "--png"),
    ],
    "train.embed": [
        ("RUN_DIR", ["{gan}", "--images", "{images}", "--out", "{tmp}/e.npz"], "train.gan run"),
        ("RUN_DIR", ["{fifo}", "--images", "{images}", "--out", "{tmp}/e.npz"], "FIFO"),
        ("--images", ["{metric}", "--images", "{tmp}/none.npz", "--out", "{tmp}/e.npz"], "none"),
        ("--images", ["{metric}", "--images", "{tmp}", "--out", "{tmp}/e.npz"], "--images {tmp}"),
        ("--images", ["{metric}", "--images", "{fifo}", "--out", "{tmp}/e.npz"], "{fifo}"),
        ("--images", ["{metric}", "--images", "{truncated}", "--out", "{tmp}/e.npz"], "trunc"),
        ("--images", ["{metric}", "--images", "{png}", "--out", "{tmp}/e.npz"], "picture.png"),
        ("--images", ["{metric}", "--images", "{floats}", "--out", "{tmp}/e.npz"], "float"),
        ("--out", ["{metric}", "--images", "{images}", "--out", "{images}"], "the input file"),
        (
            "--out",
            ["{metric}", "--images", "{images}", "--out", "{metric}/checkpoint.npz"],
            "--out {metric}/checkpoint.npz is the run's checkpoint.npz",
        ),
        ("--out", ["{metric}", "--images", "{images}", "--out", "{tmp}"], "is a folder"),
        *bad("--batch-size", "0", "-1", "100000000"),
        *bad("--device", "tpu"),
    ],
    "train.evaluate": [
        ("RUN_DIR", ["{metric}"], "{metric} is a train.metric run"),
        ("RUN_DIR", ["{tmp}/none"], "{tmp}/none"),
        ("RUN_DIR", ["{fifo}"], "FIFO"),
        ("RUN_DIR", [], "give one or more RUN_DIR"),
        ("RUN_DIR", ["{gan}", "{gan}"], "RUN_DIR {gan} given more than once"),
        ("RUN_DIR", ["{gan}", "{metric}"], "{metric} is a train.metric run"),
        ("--train-classifier", ["--train-classifier", "{tmp}"], "{tmp} is a folder"),
        ("--train-classifier", ["--train-classifier", "{tmp}/c.npz"], "drop RUN_DIR {gan}"),
        *bad("--n", "0", "1", "-5", "1000000000"),
        *bad("--seed", "-1"),
        *bad("--device", "tpu"),
    ],
    "train.latent": [
        ("RUN_DIR", ["{metric}"], "{metric} is a train.metric run"),
        ("RUN_DIR", ["{truncated}"], "truncated"),
        ("--out", ["{gan}", "--out", "{gan}/config.json"], "--out {gan}/config.json is a file"),
        *bad("--rows", "0", "-1", "1000"),
        *bad("--steps", "0", "1", "1000"),
        *bad("--from-digit", "10", "-1"),
        *bad("--to-digit", "10", "x"),
        *bad("--seed", "-1"),
        *bad("--device", "tpu"),
    ],
}
# rows of a job that take a run folder first: a flag's bad value still needs one
NEEDS_RUN = {"train.sample": ["{gan}", "--out", "{tmp}/s.npz"], "train.evaluate": ["{gan}"]}
NEEDS_RUN["train.latent"] = ["{gan}"]
NEEDS_RUN["train.embed"] = ["{metric}", "--images", "{images}", "--out", "{tmp}/e.npz"]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A tiny finished run of each training job, and bad files of every kind."""
    root = tmp_path_factory.mktemp("bad_inputs")
    f = {"tmp": str(root / "tmp"), "gan": str(root / "gan"), "metric": str(root / "metric")}
    os.makedirs(f["tmp"])
    assert gan.main(TOY + ["--out", f["gan"]]) == 0
    assert metric.main(TINY_METRIC + ["--out", f["metric"]]) == 0
    f["fifo"] = str(root / "fifo.npz")
    os.mkfifo(f["fifo"])
    data = (root / "gan" / "checkpoint.npz").read_bytes()
    (root / "truncated.npz").write_bytes(data[: len(data) // 2])
    f["truncated"] = str(root / "truncated.npz")
    (root / "junk.npz").write_bytes(b"not an archive at all")
    f["junk"] = str(root / "junk.npz")
    np.savez(root / "images.npz", images=np.zeros((3, 28, 28), np.uint8))
    f["images"] = str(root / "images.npz")
    np.savez(root / "floats.npz", images=np.zeros((3, 28, 28), np.float32))
    f["floats"] = str(root / "floats.npz")
    Image.new("L", (28, 28)).save(root / "picture.png")
    f["png"] = str(root / "picture.png")
    (root / "badimages").mkdir()
    (root / "badimages" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    f["badimages"] = str(root / "badimages")
    return f


def rows():
    for job, table in TABLE.items():
        for flag, argv, expect in table:
            yield pytest.param(job, flag, argv, expect, id=f"{job} {' '.join(argv)}")


def run_in_process(job, argv, capsys):
    try:
        code = JOBS[job].main(argv)
    except SystemExit as exc:  # argparse refuses a flag value with status 2
        code = exc.code
    return code, capsys.readouterr().err


def fill(argv, files):
    return [a.format(**files) for a in argv]


@pytest.mark.parametrize("job,flag,argv,expect", list(rows()))
def test_bad_input_is_refused_by_name(job, flag, argv, expect, files, capsys, monkeypatch):
    monkeypatch.chdir(files["tmp"])  # a row that wrongly trains writes its runs/ there
    argv = fill(argv, files)
    if job in NEEDS_RUN and flag.startswith("--") and argv[0].startswith("--"):
        argv = fill(NEEDS_RUN[job], files) + argv
    before = {p: os.stat(p).st_mtime_ns for p in _run_files(files)}
    code, err = run_in_process(job, argv, capsys)
    assert code not in (0, None), err
    assert "Traceback" not in err
    assert expect.format(**files) in err, err
    assert f"{job}: error:" in err
    # nothing a refused command names may be touched: the runs' files are as they were
    assert before == {p: os.stat(p).st_mtime_ns for p in _run_files(files)}


def _run_files(files):
    return [
        os.path.join(files[run], name)
        for run in ("gan", "metric")
        for name in ("checkpoint.npz", "config.json", "metrics.jsonl")
    ]


def test_every_flag_has_a_row():
    for job, module in JOBS.items():
        parser = module.build_parser()
        flags = {
            a.option_strings[-1] if a.option_strings else a.metavar
            for a in parser._actions
            if "-h" not in a.option_strings
        }
        covered = {flag for flag, _, _ in TABLE[job]}
        assert flags - covered == set(), f"{job}: flags with no bad-input row"
        assert covered - flags == set(), f"{job}: rows for flags it does not have"


@pytest.mark.parametrize(
    "job,argv,expect",
    [
        ("train.gan", ["--lr", "0"], "train.gan: error: argument --lr: must be a positive"),
        ("train.metric", ["--rotate", "nan"], "argument --rotate: must be a finite number"),
        ("train.sample", ["{metric}", "--out", "{tmp}/s.npz"], "is a train.metric run"),
        ("train.embed", ["{metric}", "--images", "{images}", "--out", "{images}"], "input file"),
    ],
)
def test_bad_input_through_a_subprocess(job, argv, expect, files):
    out = subprocess.run(
        [sys.executable, "-m", job, *fill(argv, files)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
    )
    assert out.returncode != 0
    assert "Traceback" not in out.stderr
    assert expect.format(**files) in out.stderr, out.stderr


def test_sample_and_embed_outputs_are_written_atomically_beside_inputs(files, capsys):
    out = os.path.join(files["tmp"], "ok.npz")
    assert sample.main([files["gan"], "--out", out, "--n", "5", "--device", "cpu"]) == 0
    assert np.load(out)["samples"].shape == (5, 2)
    emb = os.path.join(files["tmp"], "emb.npz")
    argv = [files["metric"], "--images", files["images"], "--out", emb, "--device", "cpu"]
    assert embed.main(argv) == 0
    # the unseen split's run embeds with the features under its projection (2 x 4 x 7 x 7)
    assert np.load(emb)["embeddings"].shape == (3, 2 * 4 * 7 * 7)
    assert not [p for p in os.listdir(files["tmp"]) if ".tmp" in p]


def test_a_16_bit_folder_trains_and_a_changed_folder_is_named(tmp_path, capsys):
    ramp = np.linspace(0, 65535, 32 * 32).round().astype(np.uint16).reshape(32, 32)
    (tmp_path / "img").mkdir()
    for i in range(4):
        Image.fromarray(np.roll(ramp, i, 1)).save(tmp_path / "img" / f"{i}.png")
    argv = ["--dataset", "folder", "--data-dir", str(tmp_path / "img"), "--image-size", "32"]
    argv += ["--grayscale", "--batch-size", "2", "--steps", "1", "--eval-samples", "0"]
    assert gan.main(argv + ["--device", "cpu", "--out", str(tmp_path / "run")]) == 0
    (tmp_path / "img" / "3.png").unlink()  # mid-epoch: the checkpoint holds the order
    code, err = run_in_process("train.gan", ["--resume", str(tmp_path / "run")], capsys)
    assert code == 1 and "Traceback" not in err
    assert f"4 images then, 3 now in --data-dir {tmp_path / 'img'}" in err
    # the same number of images, one of them changed: refused too
    Image.fromarray(255 - ramp).save(tmp_path / "img" / "3.png")
    code, err = run_in_process("train.gan", ["--resume", str(tmp_path / "run")], capsys)
    assert code == 1 and "Traceback" not in err, err
    assert f"the training data changed since the checkpoint in --data-dir {tmp_path / 'img'}" in err
    assert "images' sha256 was" in err
    Image.fromarray(np.roll(ramp, 3, 1)).save(tmp_path / "img" / "3.png")  # restored
    code, err = run_in_process("train.gan", ["--resume", str(tmp_path / "run")], capsys)
    assert code == 0, err


def test_load_refuses_a_lying_checkpoint_quickly(tmp_path):
    # a checkpoint whose entry declares far more than the file holds: refused by name
    path = tmp_path / "ck.npz"
    mg.save({"w": np.zeros(4)}, path)
    raw = bytearray(path.read_bytes())
    cd = raw.rfind(b"PK\x01\x02", 0, raw.rfind(b"a0.npy") + 1)
    raw[cd + 24 : cd + 28] = (3 * 2**30).to_bytes(4, "little")
    path.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="ck.npz' entry 'a0' declares 3221225472 bytes"):
        mg.load(path)
    assert zipfile.is_zipfile(path)
