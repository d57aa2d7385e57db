"""manual_sgd.py (tutorial-style hand-written updates) on minigrad, and against PyTorch
from the same start."""

import numpy as np
import pytest

from .harness import assert_same, load

CLEARS = ["model.zero_grad", "grad.zero_", "grad = None"]


def _inputs(fw):
    rng = np.random.default_rng(0)
    x = np.linspace(-np.pi, np.pi, 200, dtype=np.float32)
    state = {
        "0.weight": rng.uniform(-0.5, 0.5, (1, 3)).astype(np.float32),
        "0.bias": rng.uniform(-0.5, 0.5, (1,)).astype(np.float32),
    }
    xr = rng.standard_normal((16, 10), dtype=np.float32)
    yr = rng.standard_normal((16, 4), dtype=np.float32)
    w1 = rng.standard_normal((10, 20), dtype=np.float32)
    w2 = rng.standard_normal((20, 4), dtype=np.float32)
    t = fw.tensor
    return {
        "poly": (t(x), t(np.sin(x)), {k: t(v) for k, v in state.items()}),
        "net": (t(xr), t(yr), t(w1), t(w2)),
    }


def _run(prog):
    inp = _inputs(prog.torch)
    out = {clear: prog.polynomial_nn(*inp["poly"], clear) for clear in [*CLEARS, "never"]}
    out["two_layer_net"] = prog.two_layer_net(*inp["net"])
    out["sgd"] = prog.sgd_set_to_none(*inp["poly"])
    return out


def test_manual_sgd_on_minigrad():
    prog = load("manual_sgd", "minigrad")
    out = _run(prog)
    first = np.array(out["model.zero_grad"][0])
    assert np.isfinite(first).all() and first[-1] < 0.5 * first[0]
    # the three ways of clearing gradients are the same algorithm
    for clear in CLEARS[1:]:
        np.testing.assert_array_equal(out[clear][0], first)
    # accumulated gradients take other steps (PyTorch: 6633, 1495, 1269, 6231, ...)
    assert out["never"][0][:2] == out["model.zero_grad"][0][:2]
    assert out["never"][0][2] != out["model.zero_grad"][0][2]
    losses, w1, w2 = out["two_layer_net"]
    assert losses[-1] < 0.5 * losses[0]
    assert w1.requires_grad and w1.is_leaf and not np.any(w1.grad.numpy())
    losses, cleared = out["sgd"]
    assert all(cleared) and losses[-1] < losses[0]


def test_manual_sgd_matches_pytorch():
    pytest.importorskip("torch")
    want = _run(load("manual_sgd", "torch"))
    got = _run(load("manual_sgd", "minigrad"))
    assert_same(got, want, where="manual_sgd")
