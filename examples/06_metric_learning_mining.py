"""06: a triplet network with batch-hard mining.

An MLP maps digits to 32-d unit-length embeddings. On each P x K batch (10 digits x 8
images, `BalancedBatchSampler`) `batch_hard_triplets` picks, for every anchor, its farthest
same-class and nearest other-class image, by value (no graph), in the loss's distance:
    mean over triplets of [ ||f(a) - f(p)|| - ||f(a) - f(n)|| + 0.2 ]_+
Plain distances, not squared, as in Hermans et al. (2017): with squared ones batch-hard
mining first pulls every embedding to one point, where the loss is the margin and its
gradient zero, and stays there or leaves slowly (pass `pairwise_squared_euclidean` and
`squared_euclidean` as `distance=`: the loss is still 0.19-0.20 at step 800).
A triplet is active while its loss is > 0. Prints, on 200 held-out digits, before and after
training: the share of their valid triplets that are active, how many batch-hard ones are
(an anchor's hardest triplet stays active long after most are easy: why mining matters),
Recall@1 (is the nearest other digit of the same class?), and the loss as it goes.

Read next: models/mining.py (the miners), models/triplet.py (`triplet_loss`),
models/embedding.py (the CNN the metric job uses), train/metric.py.
"""

import argparse
import sys
from pathlib import Path

# minigrad before NumPy: it sets how long NumPy's idle OpenBLAS threads spin, which
# OpenBLAS reads when NumPy loads it (docs/kernels.md, "Several cores")
import minigrad as mg  # isort: skip
import numpy as np

import minigrad.nn.functional as F
from minigrad import nn
from minigrad.data import BalancedBatchSampler, load_mnist

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # models/ beside minigrad/
from models.mining import batch_hard_triplets, pairwise_euclidean  # noqa: E402
from models.triplet import euclidean, triplet_loss  # noqa: E402


def evaluate(when: str, net: nn.Module, x: mg.Tensor, y: np.ndarray) -> dict[str, float]:
    """Prints and returns the active share of all valid triplets, the active batch-hard
    triplets and Recall@1."""
    with mg.no_grad():
        e = F.normalize(net(x), dim=1)
    hard = batch_hard_triplets(e, y, distance=pairwise_euclidean)
    per = triplet_loss(e, hard, distance=euclidean, normalize=False, reduction="none")
    hard_active = int((per.numpy() > 0).sum())
    d = pairwise_euclidean(e.numpy())  # (B, B) distances
    same = y[:, None] == y[None, :]
    valid = (same & ~np.eye(len(y), dtype=bool))[:, :, None] & ~same[:, None, :]  # (a, p, n)
    active = valid & (d[:, :, None] - d[:, None, :] + 0.2 > 0)
    np.fill_diagonal(d, np.inf)
    r = {
        "all_active": float(active.sum() / valid.sum()),
        "hard_active": hard_active,
        "hard_total": len(hard[0]),
        "recall_at_1": float((y[d.argmin(1)] == y).mean()),
    }
    print(
        f"{when:<7} active: {r['all_active']:.1%} of all triplets, {r['hard_active']}/"
        f"{r['hard_total']} batch-hard ones; Recall@1 {r['recall_at_1']:.1%}"
    )
    return r


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=800)
    parser.add_argument("--tiny", action="store_true", help="20 steps")
    args = parser.parse_args(argv)
    if args.steps < 1:
        parser.error(f"--steps must be at least 1, got {args.steps}")
    steps = 20 if args.tiny else args.steps
    mg.manual_seed(0)
    x_train, y_train = load_mnist(split="train")
    x_test, y_test = load_mnist(split="test")
    x_train = x_train.reshape(len(x_train), -1).astype(np.float32) / 255
    x_eval = mg.tensor(x_test[::5].reshape(-1, 784).astype(np.float32) / 255)  # 200 digits
    y_eval = y_test[::5].astype(np.int64)

    net = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 32))  # (N, 32)
    opt = mg.optim.Adam(net.parameters(), lr=1e-3)
    before = evaluate("before:", net, x_eval, y_eval)
    sampler = BalancedBatchSampler(y_train, 10, 8, n_batches=steps)  # 10 digits x 8 each
    losses = []
    for step, idx in enumerate(sampler, 1):
        x, y = mg.tensor(x_train[idx]), y_train[idx].astype(np.int64)
        emb = F.normalize(net(x), dim=1)  # (80, 32): mine where the loss measures
        triplets = batch_hard_triplets(emb, y, distance=pairwise_euclidean)
        loss = triplet_loss(emb, triplets, margin=0.2, distance=euclidean, normalize=False)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
        if step % max(1, steps // 5) == 0:
            print(f"step {step:4d}  triplet loss {np.mean(losses[-20:]):.4f}")
    after = evaluate("after:", net, x_eval, y_eval)
    return {"before": before, "after": after, "losses": losses}


if __name__ == "__main__":
    main()
