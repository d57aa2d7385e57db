"""Differentiable augmentation: each image is a shifted (or cut) copy of itself, the
gradient goes back to exactly the pixels that were used, and bad policies are refused."""

import numpy as np
import pytest

import minigrad as mg
from minigrad.gradcheck import gradcheck
from models.diffaugment import cutout, diff_augment, parse_policy, translate


def _batch(n=16, c=2, h=12, w=10, dtype=np.float32):
    data = np.random.default_rng(0).uniform(0.1, 1.0, (n, c, h, w)).astype(dtype)
    return mg.tensor(data, requires_grad=True)


def test_translation_moves_each_image_by_its_own_offset_and_fills_the_border():
    mg.manual_seed(3)
    x = _batch()
    out = translate(x, ratio=0.25, fill=-1.0).detach().numpy()
    src = x.detach().numpy()
    pad = np.pad(src, ((0, 0), (0, 0), (3, 3), (3, 3)), constant_values=-1.0)  # s = 3, 3
    offsets = []
    for i in range(len(src)):  # the test may loop; the op does not
        hits = [
            (dy, dx)
            for dy in range(-3, 4)
            for dx in range(-3, 4)
            if np.array_equal(out[i], pad[i, :, 3 - dy : 3 - dy + 12, 3 - dx : 3 - dx + 10])
        ]
        assert len(hits) == 1, i
        offsets.append(hits[0])
    assert len(set(offsets)) > 4  # per-image offsets, not one for the batch


def test_translation_gradient_reaches_exactly_the_pixels_kept():
    mg.manual_seed(4)
    x = _batch()
    out = translate(x, ratio=0.25, fill=-1.0)
    out.sum().backward()
    g = x.grad.numpy()
    assert set(np.unique(g)) <= {0.0, 1.0}  # each input pixel lands at most once
    kept = (out.detach().numpy() != -1.0).sum(axis=(1, 2, 3))  # inputs are > 0
    np.testing.assert_array_equal(g.sum(axis=(1, 2, 3)), kept)


def test_translation_passes_gradcheck():
    mg.manual_seed(5)
    x = _batch(n=3, c=1, h=5, w=4, dtype=np.float64)
    w = mg.tensor(np.random.default_rng(1).standard_normal((3, 1, 5, 4)))
    state = mg.random.get_state()

    def f(t):
        mg.random.set_state(state)  # the same offsets on every call
        return translate(t, ratio=0.3) * w

    assert gradcheck(f, (x,))


def test_cutout_zeroes_one_square_per_image_and_passes_the_rest():
    mg.manual_seed(6)
    x = mg.ones(64, 1, 8, 8, requires_grad=True)
    out = cutout(x, ratio=0.5)
    m = out.detach().numpy()[:, 0]
    for img in m:
        rows, cols = np.nonzero(img == 0)
        assert 0 < len(rows) <= 16
        # the zeros fill a rectangle: a square clipped by the border
        assert len(rows) == (rows.max() - rows.min() + 1) * (cols.max() - cols.min() + 1)
    assert (m == 0).sum(axis=(1, 2)).max() == 16  # some squares lie fully inside
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy()[:, 0], m)


def test_empty_batch_and_no_policy_are_identities():
    x = mg.zeros(0, 1, 28, 28)
    assert translate(x).shape == (0, 1, 28, 28) and cutout(x).shape == (0, 1, 28, 28)
    y = _batch()
    assert diff_augment(y, ()) is y


@pytest.mark.parametrize(
    "text, policy",
    [
        ("none", ()),
        ("", ()),
        ("translation", ("translation",)),
        ("translation,cutout", ("translation", "cutout")),
    ],
)
def test_parse_policy(text, policy):
    assert parse_policy(text) == policy


def test_unknown_transformation_is_named():
    with pytest.raises(
        ValueError, match=r"--augment: unknown transformation 'flip' in 'translation,flip'"
    ):
        parse_policy("translation,flip")
