"""Train a GAN: python -m train.gan [--model dcgan] [--loss nonsaturating] [--dataset mnist]

The loop is the minibatch algorithm of Goodfellow et al. (2014): for every generator step,
`--d-steps` discriminator (critic) steps on fresh real and generated minibatches (under
`--fakes shared`, the grid's default, the one D step judges the samples the G step then
trains on, drawn once). Every epoch it writes a sample grid from fixed noise (a scatter
plot for 2-D data), appends to metrics.jsonl, redraws the loss curves and checkpoints
atomically. `--resume RUN_DIR` continues exactly where a run stopped, Ctrl-C included.

`d_step` and `g_step` below are the algorithm, for every objective of models/losses.py;
`Run` feeds them minibatches and holds the rest (schedules, EMA, pictures, checkpoints),
and train/run.py the run folder, resume and the epoch loop.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path
from typing import Any

import numpy as np

import minigrad as mg
from minigrad import jobs
from models.diffaugment import diff_augment, parse_policy
from models.losses import OBJECTIVES, Objective, r1_penalty
from models.wgan import clip_weights_, gradient_penalty
from train import common, evaluate
from train import distributed as tdist
from train import run as scaffold
from train.generators import TOY, TOY_STD, build_models, load_images, sample_generator
from train.metrics import mode_coverage

# upper bounds of the size flags, far above any useful value, so that a typo such as
# --nz 100000000 is refused by name instead of exhausting memory
MAX_BATCH, MAX_NZ, MAX_HIDDEN, MAX_LAYERS, MAX_PACK = 65536, 1024, 2048, 16, 64
MAX_COMPONENTS, MAX_SPREAD, MAX_TOY_SCALE = 100_000, 100.0, 1000.0
# --toy-scale 1e-300 sent x / S past float32's range (D saw inf), and so did an instance
# noise of 1e308: D's inputs stay within 1e6 of the data's own units
MIN_TOY_SCALE, MAX_INSTANCE_NOISE = 1e-3, 1000.0
GRID_STD = 2.83  # the std of the grid's coordinates, sqrt(8): modes at -4, -2, 0, 2, 4
MAX_R1, MAX_R1_EVERY = 1e6, 1_000_000
MAX_EVAL_SAMPLES = 100_000
# Defaults on MNIST (the bundled digits or --data-dir files) where the flag is not given:
# the recipes measured on several training seeds in docs/results.md. The
# papers' settings stay one flag away (--ema 0, --batch-size 64, --lr 2e-4, --r1 0,
# --latent-components 0; --no-g-batchnorm).
MNIST_RECIPES: dict[str, dict[str, Any]] = {
    "dcgan": {
        "batch_size": 32,
        "ema": 0.999,
        "ema_bias_correction": True,
        "latent_components": 50,
        "r1": 1.0,
        "d_depth": 3,
    },
    "mlp": {"dropout": 0.5, "g_batchnorm": True, "epochs": 100},
}
# Defaults on the 2-D mixtures where the flag is not given (docs/results.md): D judges packs
# of 4, both rates fall linearly to 0 over the run and G's weights are averaged; the grid's
# G draws from a mixture of 100 in 8 dimensions, its means spread 3 apart, D takes R1, and
# the D and G steps share one batch of G's samples (--fakes shared: one G forward a step).
# The ring's plain GAN is one flag away (--pack 1).
TOY_RECIPES: dict[str, dict[str, Any]] = {
    "ring": {"pack": 4, "lr_decay": "linear", "ema": 0.999, "steps_per_epoch": 2000},
    "grid": {
        "pack": 4,
        "lr_decay": "linear",
        "ema": 0.999,
        "epochs": 50,
        "latent_components": 100,
        "latent_spread": 3.0,
        "toy_scale": GRID_STD,
        "nz": 8,
        "r1": 3e-3,
        "fakes": "shared",
    },
}
# learning rates measured with one objective only, keyed as the recipes are (the model on
# MNIST, the data set elsewhere) and by the objective: the other objectives keep their own
RECIPE_LR: dict[tuple[str, str], float] = {
    ("dcgan", "nonsaturating"): 2e-3,
    ("grid", "nonsaturating"): 1e-3,
}
# the defaults everywhere else (and of a resumed run saved before the flag existed)
PLAIN_DEFAULTS: dict[str, Any] = {
    "epochs": 20,
    "pack": 1,
    "ema": 0.0,
    "dropout": 0.0,
    "g_batchnorm": False,
    "lr_decay": "none",
    "steps_per_epoch": 1000,
    "augment": "none",
    "latent_components": 0,
    "latent_spread": 1.0,
    "toy_scale": 1.0,
    "r1": 0.0,
    "r1_every": 4,
    "r1_ramp": 0,
    "ema_bias_correction": False,
    "d_depth": 2,
    "fakes": "fresh",
}


# ---------------------------------------------------------------------- the GAN step
# Each objective of models/losses.py is a pair of losses on D's raw scores: `obj.d_loss`
# (real scores, fake scores, the target on real data) and `obj.g_loss` (fake scores).
def generate(G: mg.nn.Module, z: mg.Tensor, y: mg.Tensor | None = None) -> mg.Tensor:
    """G's samples from latents z (N, nz); a conditional G also takes labels y (N,)."""
    return G(z) if y is None else G(z, y)


def discriminate(
    D: mg.nn.Module,
    x: mg.Tensor,
    y: mg.Tensor | None = None,
    noise_std: float = 0.0,
    augment: tuple[str, ...] = (),
) -> mg.Tensor:
    """D's raw scores (logits or critic values) of samples x (N, ...); under --augment D
    judges x randomly moved (and cut), under instance noise blurred."""
    x = diff_augment(x, augment)
    if noise_std > 0:
        x = x + mg.randn(*x.shape, device=x.device) * noise_std
    return D(x) if y is None else D(x, y)


def d_step(
    G: mg.nn.Module,
    D: mg.nn.Module,
    opt_d: mg.optim.Optimizer,
    obj: Objective,
    real: mg.Tensor,
    z: mg.Tensor,
    y_real: mg.Tensor | None = None,
    y_fake: mg.Tensor | None = None,
    *,
    real_label: float = 1.0,
    noise_std: float = 0.0,
    pack: int = 1,
    augment: tuple[str, ...] = (),
    r1: float = 0.0,
    fake: mg.Tensor | None = None,
) -> tuple[mg.Tensor, mg.Tensor, mg.Tensor]:
    """One discriminator (critic) step: D learns to score the real minibatch above G's
    samples from z; `r1` > 0 adds the R1 penalty of that weight on the real inputs.
    `fake` is G(z) already drawn (--fakes shared), judged detached. Returns (loss, D(x),
    D(G(z)))."""
    if fake is not None:
        fake = fake.detach()  # the D step does not train G
    else:
        with mg.no_grad():  # the D step does not train G: no graph through it
            fake = generate(G, z, y_fake)
    if r1:  # the penalty differentiates D's scores with respect to the real batch
        real = real.detach().requires_grad_()
    d_real = discriminate(D, real, y_real, noise_std, augment)
    d_fake = discriminate(D, fake, y_fake, noise_std, augment)
    loss = obj.d_loss(d_real, d_fake, real_label)
    if r1:
        loss = loss + r1_penalty(real, d_real, r1, pack)
    if obj.gp_weight:  # WGAN-GP: the critic's gradient norm pulled to 1 between real and fake
        critic = D
        if y_real is not None:  # a conditional critic: interpolate within one class

            def critic(x: mg.Tensor) -> mg.Tensor:
                return D(x, y_real)

            fake = generate(G, z, y_real).detach()
        loss = loss + gradient_penalty(critic, real, fake, obj.gp_weight, pack)
    opt_d.zero_grad()
    loss.backward()
    opt_d.step()
    if obj.clip:  # WGAN: clipped weights keep the critic Lipschitz
        clip_weights_(D, obj.clip)
    return loss, d_real, d_fake


def g_step(
    G: mg.nn.Module,
    D: mg.nn.Module,
    opt_g: mg.optim.Optimizer,
    obj: Objective,
    z: mg.Tensor,
    y: mg.Tensor | None = None,
    *,
    noise_std: float = 0.0,
    augment: tuple[str, ...] = (),
    fake: mg.Tensor | None = None,
) -> mg.Tensor:
    """One generator step: G learns to make D score its samples from z as real; `fake` is
    G(z) already drawn with its graph (--fakes shared). Returns the loss."""
    D.requires_grad_(False)  # G's step needs dL/dx through D, not D's weight grads
    try:
        if fake is None:
            fake = generate(G, z, y)
        loss = obj.g_loss(discriminate(D, fake, y, noise_std, augment))
        opt_g.zero_grad()
        loss.backward()
    finally:
        D.requires_grad_(True)
    opt_g.step()
    return loss


def instance_noise_arg(text: str) -> float:
    """argparse `type=` for --instance-noise: a std in data units, 0 to MAX_INSTANCE_NOISE."""
    value = common.nonneg_float(text)
    if value > MAX_INSTANCE_NOISE:
        raise argparse.ArgumentTypeError(
            f"must be a finite number in [0, {MAX_INSTANCE_NOISE:g}], got {text}"
        )
    return value


instance_noise_arg.__name__ = "float"  # config.json holds it as a number (run.check_settings)


def eval_samples_arg(text: str) -> int:
    """argparse `type=` for --eval-samples: 0 (off) or evaluate.MIN_SAMPLES to
    MAX_EVAL_SAMPLES (the figures are shares of the samples)."""
    value = common.int_in(0, MAX_EVAL_SAMPLES)(text)
    if 0 < value < evaluate.MIN_SAMPLES:
        raise argparse.ArgumentTypeError(
            f"must be 0 (no per-epoch evaluation) or an integer from {evaluate.MIN_SAMPLES} "
            f"to {MAX_EVAL_SAMPLES} (the figures are shares of the samples), got {value}"
        )
    return value


def _recorded_eval_samples(text: str) -> int:
    """--eval-samples as a run's config.json may hold it: 0 or 2 and more, the rule
    before the figures needed 100 samples (such a run resumes with its own count)."""
    value = common.int_in(0, MAX_EVAL_SAMPLES)(text)
    if value == 1:
        raise argparse.ArgumentTypeError("must be 0 or at least 2, got 1")
    return value


eval_samples_arg.__name__ = "int"
eval_samples_arg.recorded = _recorded_eval_samples  # type: ignore[attr-defined]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=jobs.prog("train.gan"),
        description="Train a GAN with minigrad and write samples, metrics and checkpoints.",
    )
    p.add_argument(
        "--model",
        choices=("dcgan", "mlp", "cgan"),
        default=None,
        help="dcgan (Radford 2016), mlp (Goodfellow 2014) or cgan (conditional, "
        "MNIST only) (default: dcgan; mlp for --dataset ring and grid)",
    )
    p.add_argument(
        "--loss",
        choices=tuple(OBJECTIVES),
        default="nonsaturating",
        help="GAN objective (default: nonsaturating)",
    )
    p.add_argument(
        "--dataset",
        choices=("mnist", "ring", "grid", "folder"),
        default="mnist",
        help="mnist: the bundled 5,000 digits, or IDX/npz files from --data-dir "
        "(Fashion-MNIST too); ring/grid: 2-D Gaussian mixtures; folder: your "
        "PNG/JPEG images from --data-dir (default: mnist)",
    )
    p.add_argument(
        "--data-dir",
        type=common.path_arg,
        default=None,
        help="your own data: a folder or an .npz file (--dataset mnist: 28x28 images; the "
        "training split of IDX files or of an npz with x_train/x_test, all of an npz with "
        "images/labels)",
    )
    p.add_argument(
        "--image-size",
        type=int,
        choices=(32, 64),
        default=None,
        help="image size for --dataset folder (default: 64)",
    )
    p.add_argument(
        "--grayscale", action="store_true", default=None, help="read folder images as grey"
    )
    p.add_argument(
        "--epochs",
        type=common.epochs_arg,
        default=None,
        help="passes over the data (default: 100 for --model mlp on MNIST, 50 for --dataset "
        "grid, else 20; at most 10^6)",
    )
    p.add_argument(
        "--steps",
        type=common.steps_arg,
        default=None,
        help="the run's length in generator steps, instead of --epochs (2-D data: total "
        "steps; --lr-decay falls to 0 by this step; at most 10^9)",
    )
    p.add_argument(
        "--steps-per-epoch",
        type=common.steps_arg,
        default=None,
        help="generator steps per logged epoch on 2-D data (default: 2000 for --dataset "
        "ring, else 1000; at most 10^9)",
    )
    p.add_argument(
        "--batch-size",
        type=common.int_in(1, MAX_BATCH),
        default=None,
        help="minibatch size (default: 32 for the DCGAN on MNIST, 64 for other images, "
        "512 for 2-D data)",
    )
    p.add_argument(
        "--lr",
        type=common.positive_float,
        default=None,
        help="learning rate of both networks, of G alone with --lr-d (default: 2e-3 for the "
        "nonsaturating DCGAN on MNIST, 1e-3 for the nonsaturating GAN on --dataset grid, else "
        "the objective's: 2e-4, 1e-4 for wgan-gp, 5e-5 for wgan)",
    )
    p.add_argument(
        "--lr-d",
        type=common.positive_float,
        default=None,
        help="learning rate of the discriminator/critic alone (default: --lr)",
    )
    p.add_argument(
        "--betas",
        type=common.float_in(0.0, 1.0, hi_open=True),
        nargs=2,
        default=None,
        metavar=("B1", "B2"),
        help="Adam betas of both networks (default: the objective's)",
    )
    p.add_argument(
        "--d-steps",
        type=common.int_in(1, 100),
        default=None,
        help="discriminator steps per generator step, k in the 2014 paper "
        "(default: 1; 5 for the Wasserstein losses)",
    )
    p.add_argument(
        "--fakes",
        choices=("fresh", "shared"),
        default=None,
        help="fresh: the D step and the G step each draw their own samples from G, as in "
        "the 2014 paper; shared: the D step judges the samples the G step then trains on, "
        "one G forward per iteration as PyTorch's DCGAN example does (--d-steps 1 only) "
        "(default: shared for --dataset grid with one D step per G step, else fresh)",
    )
    p.add_argument(
        "--label-smoothing",
        # 1 passes here to get its own message in validate ("1 is no smoothing")
        type=common.float_in(0.0, 1.0, lo_open=True, what="a number T with 0 < T < 1"),
        default=None,
        metavar="T",
        help="one-sided label smoothing (Salimans et al. 2016): D's target on real "
        "data is T, 0 < T < 1 (e.g. 0.9), instead of 1; minimax, nonsaturating and lsgan "
        "only (default: off)",
    )
    p.add_argument(
        "--nz",
        type=common.int_in(1, MAX_NZ),
        default=None,
        help="latent size (default: 100 for images, 8 for --dataset grid, 2 for the ring)",
    )
    p.add_argument(
        "--latent-components",
        type=common.int_in(0, MAX_COMPONENTS),
        default=None,
        metavar="K",
        help="a Gaussian-mixture latent (after DeLiGAN, Gurumurthy et al. 2017): G sees "
        "z + mu_k, one of K learnt means, with z's first coordinate picking k; 0: the plain "
        "N(0, I) latent; not with --model cgan (default: 50 for the DCGAN on MNIST, 100 for "
        "--dataset grid, else 0)",
    )
    p.add_argument(
        "--latent-spread",
        type=common.float_in(0.0, MAX_SPREAD, lo_open=True),
        default=None,
        metavar="S",
        help="standard deviation of the mixture's initial means, per latent coordinate; "
        "with --latent-components (default: 3.0 for --dataset grid, else 1.0)",
    )
    p.add_argument(
        "--toy-scale",
        type=common.float_in(MIN_TOY_SCALE, MAX_TOY_SCALE),
        default=None,
        metavar="S",
        help="the 2-D networks work in units of S: D sees x / S and G's output is "
        "multiplied by S, so that D's first-layer kinks at initialisation span the data, "
        "not just the origin; 0.001 to 1000 (default: 2.83 for --dataset grid, the std of "
        "its coordinates; else 1)",
    )
    p.add_argument(
        "--hidden",
        type=common.int_in(1, MAX_HIDDEN),
        default=None,
        help="MLP width (default: 256 for images, 128 for 2-D data)",
    )
    p.add_argument(
        "--layers",
        type=common.int_in(1, MAX_LAYERS),
        default=None,
        help="hidden layers of the 2-D MLPs (default: 3)",
    )
    p.add_argument(
        "--d-depth",
        type=int,
        choices=(2, 3),
        default=None,
        help="strided convolutions in the 28x28 DCGAN's discriminator: 2, the paper's size "
        "(64 and 128 channels, then a linear layer on 7x7x128); 3 adds a 3x3 one to 4x4x256 "
        "(default: 3 for --model dcgan on MNIST with nonsaturating, minimax or lsgan, else 2)",
    )
    p.add_argument(
        "--r1",
        type=common.float_in(0.0, MAX_R1, what=f"a number in [0, {MAX_R1:g}]"),
        default=None,
        help="weight gamma of R1, gamma/2 E||grad_x D(x)||^2 on real inputs (Mescheder et "
        "al. 2018), added to D's loss; not with --loss wgan or wgan-gp (default: 1 for the "
        "DCGAN on MNIST, 3e-3 for --dataset grid, else 0, none)",
    )
    p.add_argument(
        "--r1-every",
        type=common.int_in(1, MAX_R1_EVERY),
        default=None,
        help="apply R1 on every N-th D step only, at N times the weight (lazy "
        "regularization, as StyleGAN2); needs --r1 (default: 4)",
    )
    p.add_argument(
        "--r1-ramp",
        type=common.length_in(0, common.MAX_STEPS),
        default=None,
        help="R1's weight rises linearly from 0 to --r1 over the first N generator steps, "
        "then holds; needs --r1 (default: 0, the full weight from the first step; at most "
        "10^9; past the run's last step, said)",
    )
    p.add_argument(
        "--lr-decay",
        choices=("none", "linear"),
        default=None,
        help="linear: both learning rates fall linearly to 0 by the last generator step "
        "of --steps or --epochs (default: linear for --dataset ring and grid, else none, "
        "constant)",
    )
    p.add_argument(
        "--dropout",
        type=common.float_in(0.0, 1.0, hi_open=True),
        default=None,
        metavar="P",
        help="dropout probability after each hidden layer of the MLP discriminator, as "
        "in the 2014 paper; the MLP discriminators only: --model mlp and 2-D data "
        "(default: 0.5 for --model mlp on MNIST, else 0, none)",
    )
    p.add_argument(
        "--g-batchnorm",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="batch normalisation in the hidden layers of the MLP generator (images or "
        "2-D points), as DCGAN's generator has; --no-g-batchnorm: the 2014 architecture "
        "(default: on for --model mlp on MNIST, else off)",
    )
    p.add_argument(
        "--instance-noise",
        type=instance_noise_arg,
        default=0.0,
        metavar="SIGMA",
        help="instance noise (Sonderby et al. 2016): Gaussian noise of this std is added "
        "to every input of D, real and fake, and falls linearly to 0 by the last "
        "generator step (or by --instance-noise-steps); in data units, e.g. 0.5 for 2-D "
        "data; at most 1000 (default: 0, none)",
    )
    p.add_argument(
        "--instance-noise-steps",
        type=common.steps_arg,
        default=None,
        metavar="N",
        help="the generator step by which the instance noise has fallen to 0 "
        "(default: the run's last; at most 10^9; past the run's last step, said)",
    )
    p.add_argument(
        "--augment",
        default=None,
        metavar="POLICY",
        help="differentiable augmentation (Zhao et al. 2020) of every image D sees, real "
        "and fake, so that D cannot memorise a small data set: translation, cutout, "
        "translation,cutout or none; images only (default: none)",
    )
    p.add_argument(
        "--ema",
        type=common.float_in(0.0, 1.0, hi_open=True),
        default=None,
        metavar="DECAY",
        help="sample, evaluate and save for train.sample an exponential moving average "
        "of G's weights with this decay, e.g. 0.999 (Yazici et al. 2019); 0 uses the "
        "last step's weights (default: 0.999 for the DCGAN on MNIST and for --dataset "
        "ring and grid, else 0)",
    )
    p.add_argument(
        "--ema-bias-correction",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="with --ema: average from zero and divide by 1 - DECAY^t, as Adam's moments, "
        "instead of the warm-up rule min(DECAY, (1 + t) / (10 + t)), which keeps the "
        "average to about the last t/9 steps (default: on for the DCGAN on MNIST, else "
        "off)",
    )
    p.add_argument(
        "--pack",
        type=common.int_in(1, MAX_PACK),
        default=None,
        metavar="M",
        help="PacGAN packing (Lin et al. 2018): D judges M samples at once, which "
        "penalises mode collapse; not with --model cgan (default: 4 for --dataset ring "
        "and grid, else 1, no packing)",
    )
    p.add_argument(
        "--eval-samples",
        type=eval_samples_arg,
        default=None,
        help="samples scored each epoch (classifier for MNIST, modes for 2-D), at least 100 "
        "(the Frechet distance from 1000); 0 turns the per-epoch evaluation off; --dataset "
        "folder runs are not scored (default: 2000, and 2500 for 2-D data, the points of "
        "samples.png)",
    )
    common.add_common_args(
        p, out_help="runs/MODEL, or runs/mlp-DATASET for 2-D data; runs/dry-run-... for --dry-run"
    )
    tdist.add_flag(p, "python -m train.gan")
    return p


# ---------------------------------------------------------------------- setup
def make_optimizer(
    obj: Objective, params: Any, lr: float, betas: tuple[float, float] | None = None
) -> mg.optim.Optimizer:
    if obj.optimizer == "rmsprop":
        return mg.optim.RMSprop(params, lr=lr)
    return mg.optim.Adam(params, lr=lr, betas=tuple(betas) if betas else obj.betas)


def fill_defaults(args: argparse.Namespace) -> None:
    toy = args.dataset in TOY
    if args.model is None:
        args.model = "mlp" if toy else "dcgan"  # the 2-D mixtures are modelled by MLPs
    if toy and args.model != "mlp":
        raise ValueError(
            f"--model {args.model} draws images; --dataset {args.dataset} is 2-D points, "
            "modelled by MLPs: use --model mlp (or leave --model out)"
        )
    if args.model == "cgan" and args.dataset != "mnist":
        raise ValueError("--model cgan needs labelled data: --dataset mnist")
    # flags that would change nothing for this model or data: refused when given (a
    # resumed run's config holds every setting, given or not)
    new = not args.resume
    scaffold.note_dry_run_epochs(args)
    if new and getattr(args, "data_dir", None) is not None and toy:
        raise ValueError(
            f"--data-dir {args.data_dir} has no use with --dataset {args.dataset} (its points "
            "are drawn, not read); drop it, or use --dataset mnist or folder"
        )
    if new and getattr(args, "hidden", None) is not None and args.model in ("dcgan", "cgan"):
        raise ValueError(
            f"--hidden {args.hidden} sets the width of the MLPs: use it with --model mlp or "
            f"--dataset ring/grid, not --model {args.model}"
        )
    if new and getattr(args, "layers", None) is not None and not toy:
        raise ValueError(
            f"--layers {args.layers} sets the depth of the 2-D MLPs: use it with --dataset ring "
            f"or grid, not --dataset {args.dataset}"
        )
    for dest, flag in (("image_size", "--image-size"), ("grayscale", "--grayscale")):
        value = getattr(args, dest, None)
        if new and value is not None and args.dataset != "folder":
            shown = flag if value is True else f"{flag} {value}"
            raise ValueError(
                f"{shown} sets how --dataset folder reads its images; --dataset "
                f"{args.dataset} reads none: drop it"
            )
    if args.dataset == "folder":  # the only data they apply to (null otherwise)
        if getattr(args, "image_size", None) is None:
            args.image_size = 64
        if getattr(args, "grayscale", None) is None:
            args.grayscale = False
    if (
        new
        and getattr(args, "betas", None) is not None
        and OBJECTIVES[args.loss].optimizer != "adam"
    ):
        b1, b2 = args.betas
        raise ValueError(
            f"--betas {b1:g} {b2:g} sets Adam's betas; --loss {args.loss} trains with "
            f"{OBJECTIVES[args.loss].optimizer}, which has none: drop it"
        )
    if new and getattr(args, "steps_per_epoch", None) is not None and not toy:
        raise ValueError(
            f"--steps-per-epoch {args.steps_per_epoch} sets the epoch of the 2-D data; an "
            f"epoch of --dataset {args.dataset} is one pass over its images: drop it"
        )
    eval_samples = getattr(args, "eval_samples", None)
    if new and eval_samples and args.dataset == "folder":
        raise ValueError(
            f"--eval-samples {eval_samples}: --dataset folder runs are not scored (only "
            "digits and the 2-D mixtures are): drop it"
        )
    if getattr(args, "eval_samples", None) is None:
        args.eval_samples = 2500 if toy else 2000
    noise_steps = getattr(args, "instance_noise_steps", None)
    if new and noise_steps is not None and not (getattr(args, "instance_noise", 0.0) or 0.0):
        raise ValueError(
            f"--instance-noise-steps {noise_steps} schedules the instance noise: add "
            "--instance-noise SIGMA (SIGMA > 0)"
        )
    if args.dataset == "folder" and args.model == "mlp":
        raise ValueError("--dataset folder trains the DCGAN: use --model dcgan")
    smooth = getattr(args, "label_smoothing", None)
    if smooth is not None:
        if not 0.0 < smooth <= 1.0:
            raise ValueError(f"--label-smoothing must be in (0, 1), got {smooth}")
        if smooth == 1.0:  # a flag that would change nothing is refused by name
            raise ValueError(
                "--label-smoothing 1 is no smoothing (D's target on real data is 1 without "
                "the flag): leave it out, or give a target below 1, such as 0.9"
            )
        if not OBJECTIVES[args.loss].has_labels:
            raise ValueError(f"--label-smoothing does not apply to --loss {args.loss}")
    # a resumed run saved before a flag existed ran at the flag's plain default
    key, recipes = (
        (args.model, MNIST_RECIPES) if args.dataset == "mnist" else (args.dataset, TOY_RECIPES)
    )
    recipe = dict(recipes.get(key, {}))
    if (key, args.loss) in RECIPE_LR:
        recipe["lr"] = RECIPE_LR[key, args.loss]
    if not OBJECTIVES[args.loss].has_labels:
        # the critics take no R1, and keep the D they were measured with
        recipe = {k: v for k, v in recipe.items() if k not in ("r1", "d_depth")}
    d_steps = args.d_steps or OBJECTIVES[args.loss].d_steps
    if d_steps != 1:
        recipe.pop("fakes", None)  # several D steps per G step: each draws its own
    recipe = {} if getattr(args, "resume", None) else recipe
    pack_default = getattr(args, "pack", None) is None  # named in the batch-size error
    # a resumed run's config holds the default spread with no mixture: not a user's flag
    spread_given = getattr(args, "latent_spread", None) is not None and not args.resume
    every_given = getattr(args, "r1_every", None) is not None and not args.resume
    ramp_given = getattr(args, "r1_ramp", None) is not None and not args.resume
    scale_given = getattr(args, "toy_scale", None) is not None and not args.resume
    if getattr(args, "ema", None) == 0 and getattr(args, "ema_bias_correction", None) is None:
        recipe.pop("ema_bias_correction", None)  # --ema 0: no average to correct
    if new and getattr(args, "steps", None) is not None and getattr(args, "epochs", None):
        scaffold.note(  # both are kept (a documented command made short by --steps)
            f"--steps {args.steps} sets the run's length; --epochs {args.epochs} is recorded "
            "but does not limit it (the run ends at its last step, whichever epoch that is)"
        )
    fills = {**PLAIN_DEFAULTS, "batch_size": 512 if toy else 64, **recipe}
    if getattr(args, "steps", None) is not None:
        # the run's length is --steps: no default --epochs is recorded as if it were its
        # length (config.json keeps null unless --epochs was given)
        del fills["epochs"]
    scaffold.fill_unset(args, fills)
    if not 0.0 <= (getattr(args, "ema", 0.0) or 0.0) < 1.0:
        raise ValueError(f"--ema must be in [0, 1), got {args.ema}")
    if getattr(args, "ema_bias_correction", False) and not args.ema:
        raise ValueError(
            "--ema-bias-correction corrects an average of G's weights: add --ema DECAY "
            f"(DECAY in (0, 1)), got --ema {args.ema}"
        )
    if (getattr(args, "instance_noise", 0.0) or 0.0) < 0.0:
        raise ValueError(f"--instance-noise must be >= 0, got {args.instance_noise}")
    noise_steps = getattr(args, "instance_noise_steps", None)
    if noise_steps is not None and noise_steps < 1:
        raise ValueError(f"--instance-noise-steps must be >= 1, got {args.instance_noise_steps}")
    augment = getattr(args, "augment", None)
    if new and augment is not None and not str(augment).strip():
        raise ValueError(
            f"--augment {augment!r}: give a policy (translation, cutout, translation,cutout), "
            "or none"
        )
    policy = parse_policy(augment or "none")
    if policy and toy:
        raise ValueError(
            f"--augment {args.augment} applies to images, not --dataset {args.dataset}"
        )
    dropout = getattr(args, "dropout", 0.0) or 0.0
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"--dropout must be in [0, 1), got {dropout}")
    if getattr(args, "g_batchnorm", False) and args.model != "mlp":
        raise ValueError("--g-batchnorm applies to the MLP generator: use it with --model mlp")
    if dropout and args.model != "mlp":
        raise ValueError("--dropout applies to the MLP discriminator: use it with --model mlp")
    pack = getattr(args, "pack", 1) or 1
    if pack < 1:
        raise ValueError(f"--pack must be >= 1, got {pack}")
    if pack > 1 and args.model == "cgan":
        raise ValueError("--pack does not apply to --model cgan (its D also sees the labels)")
    if args.batch_size % pack:
        # only the 2-D mixtures' recipes pack by default
        why = f" (the default for --dataset {args.dataset}; --pack 1: none)" if pack_default else ""
        raise ValueError(f"--batch-size {args.batch_size} is not a multiple of --pack {pack}{why}")
    if scale_given and not toy and args.toy_scale != 1.0:
        raise ValueError(
            f"--toy-scale {args.toy_scale} applies to the 2-D networks of --dataset ring and "
            f"grid, not --dataset {args.dataset}"
        )
    components = getattr(args, "latent_components", 0) or 0
    if components == 1:
        raise ValueError("--latent-components must be 0 (the plain Gaussian latent) or >= 2, got 1")
    if not components:
        if spread_given:
            raise ValueError(
                f"--latent-spread {args.latent_spread} needs a mixture latent: add "
                "--latent-components K (K >= 2)"
            )
        args.latent_spread = PLAIN_DEFAULTS["latent_spread"]  # a recipe's means nothing here
    if components and args.model == "cgan":
        raise ValueError(
            "--latent-components does not apply to --model cgan (its labels already pick "
            "what to draw)"
        )
    if (getattr(args, "d_depth", 2) or 2) != 2 and (args.model, args.dataset) != ("dcgan", "mnist"):
        raise ValueError(
            f"--d-depth {args.d_depth} applies to the 28x28 DCGAN's discriminator: use it with "
            f"--model dcgan --dataset mnist (got --model {args.model} --dataset {args.dataset})"
        )
    r1 = getattr(args, "r1", 0.0) or 0.0
    if every_given and not r1:
        raise ValueError(f"--r1-every {args.r1_every} needs R1: add --r1 GAMMA (GAMMA > 0)")
    if ramp_given and args.r1_ramp and not r1:
        raise ValueError(f"--r1-ramp {args.r1_ramp} needs R1: add --r1 GAMMA (GAMMA > 0)")
    if r1 and not OBJECTIVES[args.loss].has_labels:
        raise ValueError(
            f"--r1 does not apply to --loss {args.loss} (its critic has its own Lipschitz "
            "constraint); use it with nonsaturating, minimax or lsgan"
        )
    if getattr(args, "fakes", "fresh") == "shared" and d_steps != 1:
        # a G step follows every --d-steps D steps: only with one is there one batch to share
        why = f"--d-steps {args.d_steps}" if args.d_steps else f"--loss {args.loss}'s default"
        raise ValueError(
            f"--fakes shared needs one D step per G step, got {d_steps} ({why}): use "
            "--fakes fresh, or --d-steps 1"
        )
    if args.nz is None:
        args.nz = 2 if toy else 100
    if args.hidden is None:
        args.hidden = 128 if toy else 256
    if args.out is None and not args.resume:
        # a --dry-run gets a folder of its own, so that it never takes the real run's, and
        # one per objective, so that a dry run of each objective needs no --overwrite
        name = args.model if not toy else f"{args.model}-{args.dataset}"
        if args.dry_run and args.loss != "nonsaturating":
            name += f"-{args.loss}"
        args.out = str(Path("runs") / ("dry-run-" + name if args.dry_run else name))


# ---------------------------------------------------------------------- one run
class Run:
    """Everything a training run holds, and the checkpoint that restores it."""

    def __init__(self, args: argparse.Namespace, device: str) -> None:
        self.args, self.device = args, device
        self.obj = OBJECTIVES[args.loss]
        self.d_steps = args.d_steps or self.obj.d_steps
        self.real_label = getattr(args, "label_smoothing", None) or 1.0
        self.toy = args.dataset in TOY
        if self.toy:
            sampler, centres = TOY[args.dataset]
            self.sample_real = sampler
            self.centres = centres()
            self.images, self.labels = None, None
            shape: tuple[int, ...] = (2,)
        else:
            self.images, self.labels = load_images(args)
            if args.dry_run:
                self.images = self.images[: 4 * args.batch_size]
                self.labels = None if self.labels is None else self.labels[: 4 * args.batch_size]
            if len(self.images) < args.batch_size:
                raise ValueError(
                    f"--batch-size {args.batch_size} is larger than the data set "
                    f"({len(self.images)} images)"
                )
            shape = self.images.shape[1:]
        self.data_sha256 = None if self.toy else common.data_fingerprint(self.images, self.labels)
        self.G, self.D = build_models(args, self.obj, shape)
        self.G.to(device)
        self.D.to(device)
        lr = args.lr or self.obj.lr
        lr_d = getattr(args, "lr_d", None) or lr
        betas = getattr(args, "betas", None)
        self.opt_g = make_optimizer(self.obj, self.G.parameters(), lr, betas)
        self.opt_d = make_optimizer(self.obj, self.D.parameters(), lr_d, betas)
        self.base_lr = (lr, lr_d)
        decay = getattr(args, "ema", 0.0) or 0.0
        corrected = bool(getattr(args, "ema_bias_correction", False))
        self.ema = mg.optim.EMA(self.G.parameters(), decay, corrected) if decay else None
        # Fixed noise for the per-epoch pictures, from its own generator so that drawing
        # it does not move the training stream.
        fixed = np.random.default_rng(args.seed + 1)
        self.fixed_z = fixed.standard_normal((64 if not self.toy else 2500, args.nz))
        self.fixed_labels = np.arange(64) % 10
        self.epoch, self.batch, self.step, self.d_step = 0, 0, 0, 0
        self.perm: np.ndarray | None = None
        self.augment = parse_policy(getattr(args, "augment", "none") or "none")
        self.noise_std = 0.0  # the instance noise of the current step, set by schedule_
        self.sums: dict[str, float] = {}
        self.run_dir = Path(args.resume or args.out or ".")
        # the run's length: --steps generator steps, else --epochs passes
        self.epochs = 1 if args.dry_run else args.epochs
        dry_steps = max(self.batches_per_epoch // self.d_steps, 1)
        if args.dry_run and not args.resume and args.steps is not None and args.steps > dry_steps:
            scaffold.note(  # the dry run of a long run's flags: its config, said, not trained
                f"--dry-run: one short epoch, about {dry_steps} generator step(s); --steps "
                f"{args.steps} is recorded in config.json (and sets --lr-decay's horizon), "
                "not trained"
            )
        if args.steps is not None:
            self.planned = args.steps
        else:
            self.planned = self.epochs * self.batches_per_epoch // self.d_steps
        if not args.resume and not args.dry_run:
            self.note_schedules_past_the_end()
        self.folder: scaffold.RunFolder | None = None  # set by train()
        self.session: tdist.Session | None = None  # set by train() under --distributed

    def note_schedules_past_the_end(self) -> None:
        """Say in one line where --instance-noise-steps or --r1-ramp reaches past the run's
        last generator step: the noise then never falls to 0, or R1 never reaches --r1
        (taken as given: a run may be extended to reach it)."""
        last, args = self.planned, self.args
        noise_steps = getattr(args, "instance_noise_steps", None)
        if noise_steps is not None and noise_steps > last and args.instance_noise:
            left = args.instance_noise * (1 - last / noise_steps)
            scaffold.note(
                f"--instance-noise-steps {noise_steps} is past the run's last generator step "
                f"({last}): the instance noise never falls to 0 (about {left:.3g} at the end)"
            )
        ramp = getattr(args, "r1_ramp", 0) or 0
        if ramp > last and (getattr(args, "r1", 0) or 0):
            scaffold.note(
                f"--r1-ramp {ramp} is past the run's last generator step ({last}): R1's weight "
                f"reaches only {last / ramp:.1%} of --r1 {args.r1:g}"
            )

    @property
    def batches_per_epoch(self) -> int:
        if self.toy:
            bpe = self.args.steps_per_epoch * self.d_steps
        else:
            bpe = len(self.images) // self.args.batch_size
        return min(bpe, 2 * self.d_steps) if self.args.dry_run else bpe

    # -------------------------------------------------------------- the loop's hooks
    @property
    def local_batch(self) -> int:
        """This process's share of --batch-size (all of it without --distributed)."""
        bs = self.args.batch_size
        return bs // self.session.world if self.session else bs

    def finished(self) -> bool:
        if self.args.steps is not None and self.step >= self.args.steps:
            return True
        # --dry-run is one tiny epoch even under --steps (it ran --steps 40000 to the end;
        # the run says so at its start)
        return self.epoch >= self.epochs if self.args.steps is None or self.args.dry_run else False

    def start_epoch_(self) -> None:
        pass  # the image order is drawn at the epoch's first batch

    def train_batch_(self) -> dict[str, float]:
        """One D step and, every --d-steps of them, one G step; under --fakes shared both
        on one batch of G's samples, drawn once with its graph."""
        self.schedule_(self.planned)
        shared = None
        if getattr(self.args, "fakes", "fresh") == "shared":
            z, y = self.noise(self.local_batch)
            shared = (z, y, generate(self.G, z, y))
        stats = self.d_step_(shared)
        self.batch += 1
        self.d_step += 1
        if self.d_step % self.d_steps == 0:
            stats.update(self.g_step_(shared))
            self.step += 1
        for k, v in stats.items():
            self.sums[k] = self.sums.get(k, 0.0) + v
            self.sums["n_" + k] = self.sums.get("n_" + k, 0.0) + 1
        return stats

    def end_epoch_(self, seconds: float) -> dict[str, Any]:
        """The epoch's record, its evaluation scores included."""
        record: dict[str, Any] = {"seconds": round(seconds, 2)}
        for k in ("d_loss", "g_loss", "D(x)", "D(G(z))"):
            if self.sums.get("n_" + k):
                record[k] = self.sums[k] / self.sums["n_" + k]
        self.batch, self.perm, self.sums = 0, None, {}
        self.end_of_epoch(record)
        return record

    # -------------------------------------------------------------- checkpoint
    def state(self) -> dict[str, Any]:
        return {
            "G": self.G.state_dict(),
            "D": self.D.state_dict(),
            "opt_g": self.opt_g.state_dict(),
            "opt_d": self.opt_d.state_dict(),
            "rng": common.rng_state(),
            **(self.session.rng_states() if self.session else {}),
            "epoch": self.epoch,
            "batch": self.batch,
            "step": self.step,
            "d_step": self.d_step,
            "perm": self.perm if self.perm is not None else np.zeros(0, np.int64),
            "sums": dict(self.sums),
            **({"ema_G": self.ema.state_dict()} if self.ema else {}),
            **({"data_sha256": self.data_sha256} if self.data_sha256 else {}),
        }

    def restore(self, state: dict[str, Any]) -> None:
        self.G.load_state_dict(state["G"])
        self.D.load_state_dict(state["D"])
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_d.load_state_dict(state["opt_d"])
        common.set_rng_state(state["rng"])
        if self.session:
            self.session.set_rng_states(state)
        self.epoch, self.batch = int(state["epoch"]), int(state["batch"])
        self.step, self.d_step = int(state["step"]), int(state["d_step"])
        self.perm = state["perm"] if len(state["perm"]) else None
        if self.perm is not None and len(self.perm) != len(self.images):
            where = f" in --data-dir {self.args.data_dir}" if self.args.data_dir else ""
            raise ValueError(
                f"the training data changed since the checkpoint: {len(self.perm)} images "
                f"then, {len(self.images)} now{where}; restore them or start a new run"
            )
        if self.data_sha256:
            where = f" in --data-dir {self.args.data_dir}" if self.args.data_dir else ""
            common.check_fingerprint(state, self.data_sha256, where)
        self.sums = {k: float(v) for k, v in state["sums"].items()}
        if self.ema:
            self.ema.load_state_dict(state["ema_G"])

    def schedule_(self, total_steps: int) -> None:
        """The share of generator steps left scales the instance noise and, under
        --lr-decay linear, each learning rate: a function of the step alone, so a resumed
        run follows the same schedule."""

        def left(steps: int) -> float:  # share of `steps` not yet taken, in [0, 1]
            return max(0.0, 1.0 - self.step / max(1, steps))

        noise_steps = getattr(self.args, "instance_noise_steps", None) or total_steps
        self.noise_std = (getattr(self.args, "instance_noise", 0.0) or 0.0) * left(noise_steps)
        if getattr(self.args, "lr_decay", "none") == "linear":
            share = left(total_steps)
            self.opt_g.lr, self.opt_d.lr = self.base_lr[0] * share, self.base_lr[1] * share

    # -------------------------------------------------------------- data
    def real_batch(self) -> tuple[mg.Tensor, mg.Tensor | None]:
        bs = self.args.batch_size
        if self.toy:
            real = self.sample_real(self.local_batch, std=TOY_STD)
            return mg.tensor(real, device=self.device), None
        if self.session:  # this process's block of the global batch
            idx = self.session.batch_indices(
                len(self.images), bs, self.args.seed, self.epoch, self.batch
            )
        else:
            if self.perm is None:
                self.perm = mg.random.permutation(len(self.images))
            idx = self.perm[self.batch * bs : (self.batch + 1) * bs]
        x = mg.tensor(self.images[idx], device=self.device)
        y = None
        if self.args.model == "cgan":
            y = mg.tensor(self.labels[idx], device=self.device)
        return x, y

    def noise(self, n: int) -> tuple[mg.Tensor, mg.Tensor | None]:
        z = mg.randn(n, self.args.nz, device=self.device)
        y = None
        if self.args.model == "cgan":
            y = mg.randint(0, 10, (n,), device=self.device)
        return z, y

    def discriminate(self, x: mg.Tensor, y: mg.Tensor | None) -> mg.Tensor:
        return discriminate(self.D, x, y, self.noise_std, self.augment)

    # -------------------------------------------------------------- steps
    def d_step_(self, shared: tuple | None = None) -> dict[str, float]:
        real, y_real = self.real_batch()
        z, y_fake, fake = shared if shared else (*self.noise(real.shape[0]), None)
        loss, d_real, d_fake = d_step(
            self.G,
            self.D,
            self.opt_d,
            self.obj,
            real,
            z,
            y_real,
            y_fake,
            real_label=self.real_label,
            noise_std=self.noise_std,
            pack=getattr(self.args, "pack", 1) or 1,
            augment=self.augment,
            r1=self.r1_weight(),
            fake=fake,
        )
        out = {"d_loss": common.check_finite("D loss", loss, self.step, self.ckpt)}
        if self.obj.probabilities:
            out["D(x)"] = float(d_real.detach().sigmoid().mean().item())
            out["D(G(z))"] = float(d_fake.detach().sigmoid().mean().item())
        else:
            out["D(x)"] = float(d_real.detach().mean().item())
            out["D(G(z))"] = float(d_fake.detach().mean().item())
        return out

    def r1_weight(self) -> float:
        """The R1 weight of this D step: lazily (Karras et al. 2020), every --r1-every'th
        D step carries --r1 times that many, so the mean weight per step is --r1; under
        --r1-ramp N that weight is scaled by step / N until generator step N."""
        gamma, every = getattr(self.args, "r1", 0.0) or 0.0, getattr(self.args, "r1_every", 1)
        ramp = getattr(self.args, "r1_ramp", 0) or 0
        if ramp:
            gamma *= min(1.0, self.step / ramp)
        return gamma * every if gamma and self.d_step % every == every - 1 else 0.0

    def g_step_(self, shared: tuple | None = None) -> dict[str, float]:
        z, y, fake = shared if shared else (*self.noise(self.local_batch), None)
        loss = g_step(
            self.G,
            self.D,
            self.opt_g,
            self.obj,
            z,
            y,
            noise_std=self.noise_std,
            augment=self.augment,
            fake=fake,
        )
        if self.ema:
            self.ema.update()
        return {"g_loss": common.check_finite("G loss", loss, self.step, self.ckpt)}

    # -------------------------------------------------------------- outputs
    @property
    def ckpt(self) -> Path:
        return common.checkpoint_path(self.run_dir)

    def sample(self, z: np.ndarray, labels: np.ndarray | None = None) -> np.ndarray:
        """Generator outputs for fixed latents, in eval mode (running batchnorm stats),
        with G's averaged weights under --ema."""
        self.G.eval()
        try:
            with self.ema.swapped() if self.ema else contextlib.nullcontext():
                return sample_generator(self.args, self.G, len(z), self.device, z=z, labels=labels)
        finally:
            self.G.train()

    _digits: bool | None = None

    def scores_digits(self) -> bool:
        """Whether the digit classifier can judge this run's samples: the bundled digits,
        or --data-dir images it finds digits (checked once). Other data (Fashion-MNIST,
        say) train as well, without per-epoch digit scores, which would be meaningless."""
        if self._digits is None:
            self._digits = True
            if self.args.data_dir:
                share = evaluate.real_data_confident_share(self.images, self.device)
                if share < evaluate.DIGIT_DATA_CONFIDENT:
                    self._digits = False
                    scaffold.note(
                        f"--data-dir {self.args.data_dir}: the digit classifier finds "
                        f"{share:.1%} of these images digits with confidence (held-out digits: "
                        "97.4%), so the per-epoch digit scores are left out of metrics.jsonl"
                    )
        return self._digits

    def end_of_epoch(self, record: dict[str, Any]) -> None:
        """The epoch's evaluation scores, added to `record` (before the checkpoint that
        holds them commits); its pictures wait for that commit (`draw_epoch_`)."""
        if self.session and not self.session.writer:
            return  # rank 0 draws and scores
        n = self.args.eval_samples
        if self.toy:
            if n:
                # the first n latents of the picture's stream (all its 2,500 by default)
                if n > len(self.fixed_z):
                    z = np.random.default_rng(self.args.seed + 1).standard_normal((n, self.args.nz))
                else:
                    z = self.fixed_z
                cov = mode_coverage(self.sample(z)[:n], self.centres, TOY_STD)
                record["modes"] = int(cov["modes_captured"])
                record["high_quality"] = float(cov["high_quality_fraction"])
        elif (
            n
            and self.args.dataset == "mnist"
            and self.images.shape[1] == 1
            and self.scores_digits()
        ):
            z = np.random.default_rng(self.args.seed + 2).standard_normal((n, self.args.nz))
            labels = np.arange(len(z)) % 10
            record.update(
                evaluate.score_mnist_samples(self.sample(z, labels), self.device, summary=True)
            )

    def draw_epoch_(self) -> None:
        """The pictures of the epoch just committed: its sample grid (a scatter plot for
        2-D data) and the loss curves. Drawn after its checkpoint, so that no picture runs
        ahead of the checkpoint (a commit that fails, a full disk, leaves none)."""
        if self.session and not self.session.writer:
            return
        run, mark = self.run_dir, self.picture_mark
        if self.toy:
            real = self.sample_real(2500, std=TOY_STD, generator=np.random.default_rng(0))
            common.scatter_plot(
                run / "samples.png",
                real,
                self.sample(self.fixed_z),
                self.centres,
                title=f"{self.args.loss}, step {self.step}",
                checkpoint=mark,
            )
        else:
            grid = self.sample(self.fixed_z, self.fixed_labels)
            common.write_image_grid(
                run / "samples" / f"epoch_{self.epoch:03d}.png", grid, checkpoint=mark
            )
            common.write_image_grid(run / "samples.png", grid, checkpoint=mark)
        common.plot_curves(
            run / "losses.png",
            self.folder.log if self.folder else [],
            ["d_loss", "g_loss"],
            x_key="epoch",
            title=f"{self.args.model} / {self.args.loss}",
            checkpoint=mark,
        )

    @property
    def picture_mark(self) -> str:
        """What the epoch's pictures record of the checkpoint they are drawn from."""
        return f"epoch {self.epoch}, step {self.step}"

    def owed_pictures(self) -> dict[str, str]:
        """The pictures of the restored checkpoint's epoch that are missing, show another
        point of the run or do not say which they show ({name: what is there}): a run
        killed (or stopped by a full disk) between an epoch's commit and its pictures owes
        them. Only a checkpoint at the end of an epoch can owe them: a later one was saved
        by a process that had drawn them."""
        if self.batch or not self.epoch or (self.session and not self.session.writer):
            return {}
        names = ["samples.png", "losses.png"]
        if not self.toy:
            names.insert(0, f"samples/epoch_{self.epoch:03d}.png")
        owed = {}
        for name in names:
            held = common.picture_checkpoint(self.run_dir / name)
            if held != self.picture_mark:
                path = self.run_dir / name
                owed[name] = (
                    "missing" if not path.exists() else (f"of {held}" if held else UNMARKED)
                )
        return owed

    def draw_owed_(self) -> None:
        """On a resume: draw the pictures the checkpoint's epoch still owes (the run
        stopped after committing it), as a run never interrupted drew them, and say which
        were drawn, and why. A failure says the checkpoint is intact
        (`scaffold.picture_errors`).

        A picture that exists without its checkpoint's mark (drawn before minigrad marked
        them, or stripped by a tool that drops PNG text) is redrawn too, but not said to be
        one the run stopped before drawing: it may be this epoch's picture, or an older
        one left by a run killed before drawing, and nothing in the file tells the two
        apart. Redrawing gives the right picture either way (the same pixels when it was
        already drawn), at one draw per resume of such a run, after which it is marked."""
        owed = self.owed_pictures()
        if not owed:
            return
        with scaffold.picture_errors(self.folder):
            self.draw_epoch_()
        drawn = [
            name
            for name in owed
            if common.picture_checkpoint(self.run_dir / name) == self.picture_mark
        ]
        stopped = [f"{name} ({owed[name]})" for name in drawn if owed[name] != UNMARKED]
        unmarked = [name for name in drawn if owed[name] == UNMARKED]
        if stopped:
            scaffold.note(
                f"{self.run_dir}: drew the pictures of the checkpoint's {self.picture_mark}, "
                f"which the run stopped before drawing: {', '.join(stopped)}"
            )
        if unmarked:
            scaffold.note(
                f"{self.run_dir}: redrew {', '.join(unmarked)} from the checkpoint's "
                f"{self.picture_mark}: made before minigrad recorded each picture's "
                "checkpoint (or that record was stripped), so not known to show it"
            )


# what `Run.owed_pictures` says of a picture that records no checkpoint
UNMARKED = "not marked with its epoch"


# what a run writes besides its checkpoint, config and log (moved aside by --overwrite)
OUTPUTS = ("samples.png", "samples", "losses.png")


def effective_default(args: argparse.Namespace, dest: str) -> Any:
    """The value a run took for `dest` left unset, where `Run` works it out from the
    objective (--lr, --lr-d, --d-steps, and --betas of an Adam objective); None for the
    others."""
    obj = OBJECTIVES.get(getattr(args, "loss", None))
    if obj is None:
        return None
    if dest in ("lr", "lr_d"):
        return (getattr(args, "lr", None) or obj.lr) if dest == "lr_d" else obj.lr
    if dest == "d_steps":
        return obj.d_steps
    if dest == "betas" and obj.optimizer == "adam":
        return list(obj.betas)
    return None


def check_epochs_of_steps_run(args: argparse.Namespace) -> None:
    """--resume RUN --epochs N on a run whose length is --steps: --epochs has no effect
    there, so a resume with a longer one would train nothing; refused naming --steps (a
    shorter one is refused by `resolve_args`, as a run may only grow)."""
    run_dir = scaffold.resume_folder(args.resume)
    try:
        stored = scaffold.read_config(run_dir)
    except (OSError, ValueError, KeyError):
        return  # said by resolve_args
    steps, epochs = stored.get("steps"), stored.get("epochs")
    if isinstance(steps, int) and args.epochs > (epochs if isinstance(epochs, int) else 0):
        raise ValueError(
            f"--epochs {args.epochs}: the run in {run_dir} is {steps} generator steps long "
            f"(--steps {steps}), which --epochs does not change; extend it with --steps N "
            f"(N > {steps})"
        )


def train(
    args: argparse.Namespace,
    given: set[str] | None = None,
    parser: argparse.ArgumentParser | None = None,
) -> Path:
    """Run (or resume) training; returns the run folder. `given`: the flags written on
    the command line, which a resume checks against the run's settings; `parser`: the one
    that parsed `args` (built here when not given)."""
    parser = parser or build_parser()
    with tdist.vetting():  # under mpiexec: a refusal here ends every process, not just this
        if args.resume and args.epochs is not None:
            check_epochs_of_steps_run(args)
        args, changes = scaffold.resolve_args(
            parser, args, given, fill_defaults, effective_default, job="train.gan"
        )
    session = tdist.start(args)  # None without --distributed
    with session or contextlib.nullcontext():
        common.seed_everything(args.seed)
        device = common.resolve_device(args.device)
        run = Run(args, device)
        if session:  # a noise stream per process; G and D averaged over processes
            session.share(args.batch_size)
            session.seed(args.seed)
            run.session, run.G, run.D = session, session.wrap(run.G), session.wrap(run.D)
            folder_cm = session.folder(args, OUTPUTS, changes)
        else:
            folder_cm = scaffold.RunFolder(args, OUTPUTS, changes)
        with folder_cm as folder:
            run.folder, run.run_dir = folder, folder.path
            if folder.saved is not None:
                scaffold.restore(run, folder, "train.gan")
                folder.remove_samples_after(run.epoch)
                run.draw_owed_()
            finished = (session.fit if session else scaffold.fit)(run, folder)
    scaffold.stop_if_interrupted(finished, folder)
    return run.run_dir


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    with tdist.vetting():  # under mpiexec: joins MPI first, so a usage error ends every process
        args = parser.parse_args(argv)
    try:
        with common.signals_raise():
            run_dir = train(args, scaffold.given_flags(parser, argv), parser)
    except scaffold.Interrupted as exc:
        print(f"train.gan: {exc}", file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt as exc:  # outside the training loop: start-up, the end
        return scaffold.interrupted_outside_loop("train.gan", exc, args)
    except common.TRAINING_ERRORS as exc:
        print(f"train.gan: error: {common.error_message(exc)}", file=sys.stderr)
        return 1
    names = ("samples.png", "losses.png", "metrics.jsonl", "checkpoint.npz")
    print(scaffold.folder_line(run_dir, names))
    return 0


if __name__ == "__main__":
    scaffold.run_as_program("train.gan", main)
