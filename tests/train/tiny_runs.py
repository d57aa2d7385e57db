"""What the tests of the train/ jobs share: the flags of a tiny ring run (a few steps of an
8-unit MLP GAN on the CPU) and an edit of a run's checkpoint."""

import minigrad as mg

RING = "--dataset ring --hidden 8 --batch-size 32 --steps-per-epoch 2 --eval-samples 0"
RING = RING.split() + ["--device", "cpu"]


def edit_checkpoint(run, fn):
    """fn(saved) changes the loaded checkpoint of `run`, which is then saved again."""
    saved = mg.load(run / "checkpoint.npz")
    fn(saved)
    mg.save(saved, run / "checkpoint.npz")
