"""03: an MLP digit classifier, written as a PyTorch user would.

The bundled 5,000 digits (`minigrad.data.load_mnist`: 4,000 train, 1,000 held out) in a
`TensorDataset` and a shuffling `DataLoader` (`minigrad.utils.data`, PyTorch's
`torch.utils.data`), a 784-128-10 MLP (`nn.Sequential` of `nn.Linear` and `nn.ReLU`),
`F.cross_entropy` and `mg.optim.Adam`, a few epochs. Prints the mean training loss of each
epoch, then the accuracy on the held-out digits (about 93% at the default size; chance is
10%).

Read next: minigrad/nn/layers.py (`Linear`), minigrad/nn/functional.py (`cross_entropy`),
minigrad/optim/optimizer.py (`Adam`), minigrad/utils/data.py (`DataLoader`).
"""

import argparse
import time

# minigrad before NumPy: it sets how long NumPy's idle OpenBLAS threads spin, which
# OpenBLAS reads when NumPy loads it (docs/kernels.md, "Several cores")
import minigrad as mg  # isort: skip
import numpy as np

import minigrad.nn.functional as F
from minigrad import nn
from minigrad.data import load_mnist
from minigrad.utils.data import DataLoader, TensorDataset


def as_inputs(images: np.ndarray) -> np.ndarray:
    """uint8 (N, 28, 28) -> float32 (N, 784) in [0, 1]."""
    return images.reshape(len(images), -1).astype(np.float32) / 255


def main(argv=None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--tiny", action="store_true", help="1 epoch on 1,000 digits")
    args = parser.parse_args(argv)
    for flag in ("epochs", "hidden"):
        if getattr(args, flag) < 1:
            parser.error(f"--{flag} must be at least 1, got {getattr(args, flag)}")
    mg.manual_seed(0)
    x_train, y_train = load_mnist(split="train")
    x_test, y_test = load_mnist(split="test")
    if args.tiny:
        args.epochs, x_train, y_train = 1, x_train[::4], y_train[::4]
    x_train, y_train = as_inputs(x_train), y_train.astype(np.int64)

    model = nn.Sequential(
        nn.Linear(784, args.hidden),  # (N, hidden)
        nn.ReLU(),
        nn.Linear(args.hidden, 10),  # (N, 10) logits
    )
    opt = mg.optim.Adam(model.parameters(), lr=1e-3)
    train_set = TensorDataset(mg.tensor(x_train), mg.tensor(y_train))
    loader = DataLoader(train_set, batch_size=64, shuffle=True)
    start = time.perf_counter()
    losses = []
    for epoch in range(args.epochs):
        model.train()
        total = 0.0
        for x, y in loader:
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(x)
        losses.append(total / len(x_train))
        print(f"epoch {epoch + 1}: train loss {losses[-1]:.4f}")

    model.eval()
    with mg.no_grad():
        pred = model(mg.tensor(as_inputs(x_test))).argmax(1).numpy()
    accuracy = float((pred == y_test).mean())
    print(f"held-out accuracy {accuracy:.1%} on {len(y_test)} digits")
    print(f"({time.perf_counter() - start:.1f} s)")
    return {"accuracy": accuracy, "train_losses": losses}


if __name__ == "__main__":
    main()
