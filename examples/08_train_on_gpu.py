"""08: the same training on the GPU, by moving the model and the data.

As in PyTorch: `model.to("cuda")` moves the parameters (NumPy arrays become CuPy arrays),
each batch goes with `x.to("cuda")`, and everything else is unchanged; the optimizer is
built after the move, so it holds the GPU parameters. The MLP of example 03 trains for a
few steps on the CPU and, when `mg.cuda.is_available()`, on the GPU from the same seed.
Without CuPy or a GPU the GPU run is skipped with a printed reason.

Prints, per device, the loss after the last step and the time taken (the first GPU steps
include CuPy's kernel compilation), then the largest difference between the two devices'
losses (round-off in float32 only).

Install: `pip install -e .[gpu-cuda12]` (or `gpu-cuda13`) on a machine with an NVIDIA GPU.
Read next: minigrad/backend.py (`get_array_module`, the one place that picks NumPy or
CuPy), minigrad/cuda.py, minigrad/nn/module.py (`Module.to`), docs/gpu.md.
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


def train(device: str, x_all: np.ndarray, y_all: np.ndarray, steps: int) -> list[float]:
    mg.manual_seed(0)  # the same initial weights on every device
    model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10)).to(device)
    opt = mg.optim.Adam(model.parameters(), lr=1e-3)
    losses = []
    for step in range(steps):
        start = 64 * step % (len(x_all) - 64)
        idx = slice(start, start + 64)
        x, y = mg.tensor(x_all[idx]).to(device), mg.tensor(y_all[idx]).to(device)
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())  # .item() copies to the host, so it waits for the GPU
    return losses


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--tiny", action="store_true", help="5 steps")
    args = parser.parse_args(argv)
    if args.steps < 1:
        parser.error(f"--steps must be at least 1, got {args.steps}")
    steps = 5 if args.tiny else args.steps
    images, labels = load_mnist(split="train")
    order = np.random.default_rng(0).permutation(len(images))  # the file is sorted by digit
    x_all = images[order].reshape(len(images), -1).astype(np.float32) / 255
    y_all = labels[order].astype(np.int64)
    devices = ["cpu"]
    skipped = None
    if mg.cuda.is_available():
        devices.append("cuda")
    else:
        skipped = "mg.cuda.is_available() is False (CuPy not installed or no GPU found)"
        print(f"GPU run skipped: {skipped}")
    losses = {}
    for device in devices:
        start = time.perf_counter()
        losses[device] = train(device, x_all, y_all, steps)
        took = time.perf_counter() - start
        print(f"{device:<5} {steps} steps: last loss {losses[device][-1]:.4f} in {took:.2f} s")
    result = {"skipped": skipped, "losses": losses}
    if "cuda" in losses:
        result["max_diff"] = float(np.abs(np.subtract(losses["cpu"], losses["cuda"])).max())
        print(f"largest loss difference, cpu vs cuda: {result['max_diff']:.2e}")
    return result


if __name__ == "__main__":
    main()
