"""07: where a training step spends its time, and what its graph looks like.

`mg.profiler.profile()` times every op's forward and backward during one block of code; its
table lists the ops by total time, largest first, with calls, mean time and share. Here it
wraps a few training steps of a small conv net on the bundled digits, after one untimed
step: an op's first call loads its compiled kernels, a one-time cost that is not the step's.
Then `mg.viz.draw_graph` writes the graph behind a small loss to a Graphviz DOT file: a box
per op, an ellipse per leaf (parameters shaded and named), arrows the way gradients flow.
Render it with `dot -Tpng runs/graph.dot -o runs/graph.png`.

Prints the profiler's table (top ops), then the DOT file's path and its number of op and
leaf nodes.

Read next: minigrad/profiler.py, minigrad/viz.py, minigrad/ops/conv.py (im2col).
"""

import argparse
from pathlib import Path

# minigrad before NumPy: it sets how long NumPy's idle OpenBLAS threads spin, which
# OpenBLAS reads when NumPy loads it (docs/kernels.md, "Several cores")
import minigrad as mg  # isort: skip
import numpy as np

import minigrad.nn.functional as F
from minigrad import nn
from minigrad.data import load_mnist


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--out", type=Path, default=Path("runs/graph.dot"), help="the DOT file")
    parser.add_argument("--tiny", action="store_true", help="2 steps on 16 digits")
    args = parser.parse_args(argv)
    if args.steps < 1:
        parser.error(f"--steps must be at least 1, got {args.steps}")
    steps, batch = (2, 16) if args.tiny else (args.steps, 64)
    mg.manual_seed(0)
    images, labels = load_mnist(split="train")
    x = mg.tensor(images[:batch, None].astype(np.float32) / 255)  # (N, 1, 28, 28)
    y = mg.tensor(labels[:batch].astype(np.int64))
    net = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1),  # (N, 8, 28, 28)
        nn.ReLU(),
        nn.MaxPool2d(2),  # (N, 8, 14, 14)
        nn.Flatten(),  # (N, 1568)
        nn.Linear(8 * 14 * 14, 10),  # (N, 10)
    )
    opt = mg.optim.SGD(net.parameters(), lr=0.1)

    def step() -> None:
        loss = F.cross_entropy(net(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    # one step untimed first: an op's first call loads its compiled kernels (about a
    # second), which the table would otherwise charge to that op
    step()
    with mg.profiler.profile() as prof:
        for _ in range(steps):
            step()
    print(f"{steps} training steps of a conv net on {batch} digits")
    print(prof.table(limit=8))

    # a graph small enough to read: one linear layer, a ReLU and a loss
    layer = nn.Linear(3, 2)
    loss = F.relu(layer(mg.randn(4, 3))).sum()
    path = mg.viz.draw_graph(loss, args.out, params=layer)  # before backward frees it
    text = path.read_text()
    ops, leaves = text.count("shape=box"), text.count("shape=ellipse")
    print(f"wrote {path}: {ops} op nodes, {leaves} leaf nodes")
    return {"rows": prof.rows(), "dot": path, "ops": ops, "leaves": leaves}


if __name__ == "__main__":
    main()
