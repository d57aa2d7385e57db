"""dcgan.py (pytorch/examples DCGAN) on minigrad, and against PyTorch from the same start."""

import numpy as np
import pytest

from .harness import assert_same, load, mnist, state_as_numpy, state_as_tensors

NZ, BATCH, NITER, N = 8, 16, 2, 64


def _inputs(fw, seed=0):
    rng = np.random.default_rng(seed)
    images, _ = mnist(N, size=16, mean=0.5, std=0.5)
    noises = rng.standard_normal((NITER * N // BATCH, BATCH, NZ, 1, 1), dtype=np.float32)
    fixed = rng.standard_normal((8, NZ, 1, 1), dtype=np.float32)
    return fw.tensor(images), fw.tensor(noises), fw.tensor(fixed)


def test_weights_init_through_data_reaches_the_parameters():
    prog = load("dcgan", "minigrad")
    netG, netD = prog.make_models()
    conv = netD.main[0].weight.detach().numpy()
    bn = netG.main[1].weight.detach().numpy()
    assert abs(conv.std() - 0.02) < 0.01 and abs(conv.mean()) < 0.01
    assert abs(bn.mean() - 1.0) < 0.02 and bn.std() > 0
    assert not np.any(netG.main[1].bias.detach().numpy())


def test_dcgan_trains_on_minigrad():
    prog = load("dcgan", "minigrad")
    log, fake, g_state, d_state = prog.main(*_inputs(prog.torch), niter=NITER, batch_size=BATCH)
    log = np.array(log)
    assert log.shape == (NITER * N // BATCH, 5) and np.isfinite(log).all()
    assert fake.shape == (8, 1, 16, 16)
    # D learns to tell the digits from the first fakes: its loss falls
    assert log[-1, 0] < log[0, 0]
    # D sees real, detached fake and fake each step; G runs once a step and once for the
    # fixed-noise samples, still in train mode as in the example
    steps = NITER * N // BATCH
    assert int(d_state["main.3.num_batches_tracked"]) == 3 * steps
    assert int(g_state["main.1.num_batches_tracked"]) == steps + 1


def test_dcgan_matches_pytorch():
    torch = pytest.importorskip("torch")
    ref, got = load("dcgan", "torch"), load("dcgan", "minigrad")
    torch.manual_seed(0)
    netG, netD = ref.make_models()
    init = {"netG": state_as_numpy(netG), "netD": state_as_numpy(netD)}

    def run(prog):
        fw = prog.torch
        ckpt = {k: state_as_tensors(fw, v) for k, v in init.items()}
        return prog.main(*_inputs(fw), niter=NITER, batch_size=BATCH, checkpoint=ckpt)

    want, got_ = run(ref), run(got)
    # the state_dicts carry BatchNorm's running statistics and num_batches_tracked (int64)
    assert_same(got_, want, where="dcgan (log, fixed-noise samples, netG and netD states)")
