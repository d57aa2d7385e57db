"""06: a triplet network with batch-hard mining.

A small MLP maps each digit to a 32-d embedding. A P x K batch (P classes, K digits each,
`minigrad.data.BalancedBatchSampler`) goes through it; `batch_hard_triplets` picks, for
every anchor, its farthest same-class digit and its nearest other-class digit, reading the
embedding values only (no graph). The FaceNet triplet loss
    mean over triplets of [ ||f(a) - f(p)||^2 - ||f(a) - f(n)||^2 + 0.2 ]_+
on unit-length embeddings then trains the net. A triplet is active while its loss is > 0.
Prints, on a fixed batch of held-out digits, the active batch-hard triplets and the
nearest-neighbour accuracy (Recall@1) before training, the training loss as it goes, and
the same two figures after.

Read next: models/mining.py (the miners), models/triplet.py (`triplet_loss`),
models/embedding.py (the CNN the metric job uses), train/metric.py.
"""

import argparse
import sys
from pathlib import Path

import numpy as np

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import nn
from minigrad.data import BalancedBatchSampler, load_mnist

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # models/ beside minigrad/
from models.mining import batch_hard_triplets  # noqa: E402
from models.triplet import triplet_loss  # noqa: E402


def evaluate(net: nn.Module, x: mg.Tensor, y: np.ndarray) -> dict[str, float]:
    """On one fixed batch: the share of all valid triplets that are active, the active
    batch-hard triplets, and Recall@1 (is the nearest other digit of the same class?)."""
    with mg.no_grad():
        e = F.normalize(net(x), dim=1)
    hard = batch_hard_triplets(e, y)
    hard_active = int((triplet_loss(e, hard, reduction="none").numpy() > 0).sum())
    d = ((e[:, None, :] - e[None, :, :]) ** 2).sum(2).numpy()  # (B, B) squared distances
    same = y[:, None] == y[None, :]
    valid = (same & ~np.eye(len(y), dtype=bool))[:, :, None] & ~same[:, None, :]  # (a, p, n)
    active = valid & (d[:, :, None] - d[:, None, :] + 0.2 > 0)
    np.fill_diagonal(d, np.inf)
    return {
        "all_active": float(active.sum() / valid.sum()),
        "hard_active": hard_active,
        "hard_total": len(hard[0]),
        "recall_at_1": float((y[d.argmin(1)] == y).mean()),
    }


def report(when: str, r: dict[str, float]) -> None:
    print(
        f"{when:<7} active: {r['all_active']:.1%} of all triplets, {r['hard_active']}/"
        f"{r['hard_total']} batch-hard ones; Recall@1 {r['recall_at_1']:.1%}"
    )


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--tiny", action="store_true", help="20 steps")
    args = parser.parse_args(argv)
    steps = 20 if args.tiny else args.steps
    mg.manual_seed(0)
    x_train, y_train = load_mnist(split="train")
    x_test, y_test = load_mnist(split="test")
    x_train = x_train.reshape(len(x_train), -1).astype(np.float32) / 255
    x_eval = mg.tensor(x_test[::5].reshape(-1, 784).astype(np.float32) / 255)  # 200 digits
    y_eval = y_test[::5].astype(np.int64)

    net = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 32))  # (N, 32)
    opt = mg.optim.Adam(net.parameters(), lr=1e-3)
    before = evaluate(net, x_eval, y_eval)
    report("before:", before)
    sampler = BalancedBatchSampler(y_train, classes_per_batch=10, samples_per_class=8)
    losses, step = [], 0
    while step < steps:
        for idx in sampler:  # (80,) indices, 8 of each of the 10 digits
            x, y = mg.tensor(x_train[idx]), y_train[idx].astype(np.int64)
            emb = net(x)
            loss = triplet_loss(emb, batch_hard_triplets(emb, y), margin=0.2)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
            step += 1
            if step % max(1, steps // 5) == 0:
                print(f"step {step:4d}  triplet loss {np.mean(losses[-20:]):.4f}")
            if step == steps:
                break
    after = evaluate(net, x_eval, y_eval)
    report("after:", after)
    return {"before": before, "after": after, "losses": losses}


if __name__ == "__main__":
    main()
