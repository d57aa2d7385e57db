"""hooks.py (tensor hooks, retain_grad, module hooks, clip_grad_norm_) on minigrad, and
against PyTorch from the same start."""

import numpy as np
import pytest

from .harness import assert_same, load, state_as_numpy, state_as_tensors

STEPS, B = 6, 8


def _inputs(fw):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((STEPS, B, 6), dtype=np.float32)
    y = rng.integers(0, 3, (STEPS, B))
    return fw.tensor(x), fw.tensor(y)


def test_hooks_on_minigrad():
    prog = load("hooks", "minigrad")
    init = state_as_numpy(prog.MLP())
    out = prog.main(*_inputs(prog.torch), state_as_tensors(prog.torch, init), steps=STEPS)
    assert np.isfinite(out["loss"]).all() and np.isfinite(out["norm"]).all()
    for g in out["logit_grad"]:
        g = g.numpy()
        # 2 * (softmax - one_hot) / B: rows sum to 0, one entry per row below 0
        np.testing.assert_allclose(g.sum(axis=1), 0, atol=1e-6)
        assert (g < 0).sum(axis=1).tolist() == [1] * B and np.abs(g).max() <= 2 / B
    seen, leaf_grad = out["leaf_hooks"]
    np.testing.assert_array_equal(seen.numpy(), [1, 2, 3])
    np.testing.assert_array_equal(leaf_grad.numpy(), [2, 3, 4])
    assert out["captured_after_remove"] == 0


def test_hooks_match_pytorch():
    torch = pytest.importorskip("torch")
    ref, got = load("hooks", "torch"), load("hooks", "minigrad")
    torch.manual_seed(0)
    init = state_as_numpy(ref.MLP())

    def run(prog):
        return prog.main(*_inputs(prog.torch), state_as_tensors(prog.torch, init), steps=STEPS)

    assert_same(run(got), run(ref), where="hooks")
