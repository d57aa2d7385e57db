"""Helpers of the tests that compare minigrad with PyTorch itself: the same data in both
libraries, and a check of dtype, shape and values. Importing this module needs no torch;
the tests that use it skip when torch is missing."""

import numpy as np

import minigrad as mg


def both(arr, dtype="float64", requires_grad=False):
    """`arr` as a minigrad tensor and a torch tensor of one dtype."""
    import torch

    arr = np.asarray(arr, dtype=dtype)
    return (
        mg.tensor(arr, requires_grad=requires_grad),
        torch.tensor(arr, requires_grad=requires_grad),
    )


def same(got, want, atol=0.0, rtol=0.0):
    """Same dtype, shape and values (NaN where PyTorch has NaN)."""
    want = want.detach().numpy()
    got = got.detach().numpy()
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    assert got.shape == want.shape, (got.shape, want.shape)
    np.testing.assert_allclose(got, want, atol=atol, rtol=rtol, equal_nan=True)
