"""Round 18 of the comparisons with PyTorch 2.13: module machinery and nn.init.
spectral_norm's default dim on ConvTranspose3d, trunc_normal_'s exact tails, a full
backward hook's zero gradients for an unused output, named_modules' memo, set_submodule's
checks, vector_to_parameters' views, BatchNorm's state_dict version, and the misuse of
init, clip_grads_with_norm_ and backward pre-hooks that PyTorch refuses."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")


def test_spectral_norm_defaults_to_dim_1_on_conv_transpose3d():
    rng = np.random.default_rng(0)
    W = rng.standard_normal((3, 4, 2, 2, 2))
    X = rng.standard_normal((1, 3, 2, 2, 2))
    tm = torch.nn.utils.spectral_norm(torch.nn.ConvTranspose3d(3, 4, 2, bias=False).double())
    mm = mg.nn.utils.spectral_norm(mg.nn.ConvTranspose3d(3, 4, 2, bias=False).double())
    assert tuple(mm.weight_u.shape) == tuple(tm.weight_u.shape) == (4,)
    assert tuple(mm.weight_v.shape) == tuple(tm.weight_v.shape) == (24,)
    with torch.no_grad():
        tm.weight_orig.copy_(torch.tensor(W))
    mm.load_state_dict({k: mg.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    tm.eval()
    mm.eval()
    yt = tm(torch.tensor(X)).detach().numpy()
    np.testing.assert_allclose(mm(mg.tensor(X)).detach().numpy(), yt, rtol=1e-12, atol=1e-12)
