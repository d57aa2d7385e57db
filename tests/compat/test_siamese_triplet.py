"""siamese_triplet.py (triplet + contrastive metric learning) on minigrad, and against
PyTorch from the same start."""

import numpy as np
import pytest

from .harness import assert_same, load, mnist, state_as_numpy, state_as_tensors

# the float64 comparison runs on fewer images: float64 convolutions are slow
N, N_COMPARE, BATCH, EPOCHS = 48, 32, 16, 2


def _data(fw, dtype=np.float32, n=N):
    x, y = mnist(n)
    return fw.tensor(x.astype(dtype)), fw.tensor(y)


def test_siamese_triplet_trains_on_minigrad():
    prog = load("siamese_triplet", "minigrad")
    log = np.array(prog.main(*_data(prog.torch), n_epochs=EPOCHS, batch_size=BATCH))
    assert log.shape == (EPOCHS * N // BATCH, 3) and np.isfinite(log).all()
    np.testing.assert_allclose(log[:, 2], [1e-3] * 3 + [1e-4] * 3)
    assert log[:3, 0].mean() > log[3:, 0].mean()


def test_triplet_dataset_yields_same_and_other_digits():
    prog = load("siamese_triplet", "minigrad")
    x, y = _data(prog.torch)
    ds = prog.TripletMNIST(x, y)
    labels = y.numpy()
    for i in range(len(ds)):
        a, p, n = ds.triplets[i]
        assert labels[a] == labels[p] != labels[n]
    (img1, img2, img3), target = ds[5]
    assert img1.shape == (1, 28, 28) and target == []


def test_siamese_triplet_matches_pytorch():
    """In float64, where the runs agree to 1e-13. In float32 they part by up to 4e-5
    (relative) within three steps: rounding differences of ~1e-7 in the first gradients grow
    about tenfold per Adam step (Adam divides each gradient component by its own running
    size, so components near 0 move by ~lr whatever their rounding)."""
    torch = pytest.importorskip("torch")
    ref, got = load("siamese_triplet", "torch"), load("siamese_triplet", "minigrad")
    torch.manual_seed(0)
    init = state_as_numpy(ref.make_model())

    def run(prog):
        fw = prog.torch
        data = _data(fw, np.float64, N_COMPARE)
        ckpt = state_as_tensors(fw, init)
        return prog.main(*data, n_epochs=EPOCHS, batch_size=BATCH, checkpoint=ckpt, double=True)

    want, got_ = run(ref), run(got)
    where = "siamese_triplet [triplet, contrastive, lr] per step"
    assert_same(got_, want, rtol=1e-10, atol=1e-12, where=where)
