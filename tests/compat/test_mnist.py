"""mnist.py (pytorch/examples MNIST) on minigrad, and against PyTorch from the same start.

Dropout draws its masks from each framework's own generator, so no two runs can share
them. The comparison therefore builds Net(p1=0, p2=0): the Dropout modules stay in the
graph and in train/eval switching but keep every unit, and the numbers must agree. The
minigrad-only run keeps the example's p = 0.25 / 0.5.
"""

import numpy as np
import pytest

from .harness import assert_same, load, mnist, state_as_numpy, state_as_tensors

# 100 = 3 * 32 + 4: the last batch is short, as DataLoader's drop_last=False keeps it
N_TRAIN, N_TEST, EPOCHS, BATCH = 100, 50, 2, 32


def _data(fw):
    x, y = mnist(N_TRAIN + N_TEST)
    train = (fw.tensor(x[:N_TRAIN]), fw.tensor(y[:N_TRAIN]))
    test = (fw.tensor(x[N_TRAIN:]), fw.tensor(y[N_TRAIN:]))
    return train, test


def test_mnist_trains_on_minigrad_with_dropout():
    prog = load("mnist", "minigrad")
    h = prog.main(*_data(prog.torch), epochs=3, batch_size=BATCH)
    train = np.array(h["train"])
    assert train.shape == (3 * 4, 3) and np.isfinite(train).all()
    assert train[:4, :2].tolist() == [[1, 0], [1, 32], [1, 64], [1, 12]]
    assert h["lr"] == pytest.approx([1.0, 0.7, 0.49])
    # PyTorch with dropout (seed 1): 2.29, 2.26, 2.23
    assert h["test_loss"][-1] < h["test_loss"][0] - 0.02
    assert all(isinstance(c, int) and 0 <= c <= N_TEST for c in h["correct"])


def test_mnist_matches_pytorch():
    torch = pytest.importorskip("torch")
    ref, got = load("mnist", "torch"), load("mnist", "minigrad")
    torch.manual_seed(0)
    init = state_as_numpy(ref.Net())

    def run(prog):
        fw = prog.torch
        ckpt = state_as_tensors(fw, init)
        return prog.main(*_data(fw), epochs=EPOCHS, batch_size=BATCH, p=(0.0, 0.0), checkpoint=ckpt)

    want, got_ = run(ref), run(got)
    assert_same(got_, want, where="mnist history")
