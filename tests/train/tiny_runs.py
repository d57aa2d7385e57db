"""What the tests of the train/ jobs share: the flags of a tiny ring run (a few steps of an
8-unit MLP GAN on the CPU), a file of random digits and an edit of a run's checkpoint."""

import numpy as np

import minigrad as mg

RING = "--dataset ring --hidden 8 --batch-size 32 --steps-per-epoch 2 --eval-samples 0"
RING = RING.split() + ["--device", "cpu"]


def random_digits(path, n=40, size=28, labels=None):
    """Write an images/labels npz of `n` random uint8 images (size x size) to `path`; the
    labels run 0-9 in turn unless given. Returns `path`."""
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (n, size, size), dtype=np.uint8)
    np.savez(path, images=images, labels=np.arange(n) % 10 if labels is None else labels)
    return path


def edit_checkpoint(run, fn):
    """fn(saved) changes the loaded checkpoint of `run`, which is then saved again."""
    saved = mg.load(run / "checkpoint.npz")
    fn(saved)
    mg.save(saved, run / "checkpoint.npz")
