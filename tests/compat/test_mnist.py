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


def test_mnist_trains_on_minigrad_with_dropout(tmp_path):
    prog = load("mnist", "minigrad")
    torch = prog.torch
    path = tmp_path / "mnist_cnn.pt"
    h = prog.main(*_data(torch), epochs=3, batch_size=BATCH, save_model=path)
    train = np.array(h["train"])
    assert train.shape == (3 * 4, 3) and np.isfinite(train).all()
    assert train[:4, :2].tolist() == [[1, 0], [1, 32], [1, 64], [1, 12]]
    assert h["lr"] == pytest.approx([1.0, 0.7, 0.49])
    # PyTorch with dropout (seed 1): 2.29, 2.26, 2.23
    assert h["test_loss"][-1] < h["test_loss"][0] - 0.02
    assert all(isinstance(c, int) and 0 <= c <= N_TEST for c in h["correct"])

    # the saved weights, loaded into a fresh Net, score what the last test() did; eval()
    # turns dropout off, so two passes agree
    model = prog.Net()
    model.load_state_dict(torch.load(path))
    loader = prog.DataLoader(prog.TensorDataset(*_data(torch)[1]), batch_size=1000)
    again = prog.test(model, "cpu", loader)
    assert again == prog.test(model, "cpu", loader)
    assert again[0] == pytest.approx(h["test_loss"][-1], rel=1e-6)
    assert again[1] == h["correct"][-1]


def test_mnist_eval_with_dropout_matches_pytorch():
    """eval() turns the example's dropout (p = 0.25 / 0.5) off: the same weights score the
    same in both frameworks."""
    torch = pytest.importorskip("torch")
    ref, got = load("mnist", "torch"), load("mnist", "minigrad")
    torch.manual_seed(0)
    init = state_as_numpy(ref.Net())

    def run(prog):
        model = prog.Net()
        model.load_state_dict(state_as_tensors(prog.torch, init))
        loader = prog.DataLoader(prog.TensorDataset(*_data(prog.torch)[1]), batch_size=1000)
        return list(prog.test(model, "cpu", loader))

    assert_same(run(got), run(ref), where="mnist test() in eval mode")


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
