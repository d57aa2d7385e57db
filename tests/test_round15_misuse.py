"""Misuse PyTorch 2.13 refuses, refused here too (it was accepted, often with a silently
wrong result), and the second review of the views work; checked against torch itself."""

import copy
import pickle

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")

LIBS = (mg, torch)


def _np(t):
    return t.detach().numpy()


# ---------------------------------------------------------------- factories


@pytest.mark.parametrize(
    "args", [(-2.5, 2), (0, 2.5), (0, 5, 1.5), (1.7,), (-3, 3.9, 2), (5, -2.2, -1)]
)
def test_integer_arange_truncates_bounds_and_step_first(args):
    """arange(-2.5, 2, dtype=long) gave [-2, -1, 0, 0, 1] (each float value truncated)."""
    got = [_np(L.arange(*args, dtype=L.int64)).tolist() for L in LIBS]
    assert got[0] == got[1]


def test_integer_arange_with_a_step_below_one_is_refused():
    for L in LIBS:
        with pytest.raises(ValueError):
            L.arange(0, 5, 0.5, dtype=L.int64)


@pytest.mark.parametrize("shape", [(-2, 6), (3, -5), (-1, -1, 3)])
def test_reshape_refuses_negative_sizes_other_than_one_minus_one(shape):
    for L in LIBS:
        x = L.arange(12.0).reshape(3, 4)
        with pytest.raises(RuntimeError):
            x.reshape(*shape)
        with pytest.raises(RuntimeError):
            x.view(*shape)


@pytest.mark.parametrize(
    "call",
    [
        lambda L: L.zeros(3).normal_(0, -1),
        lambda L: L.zeros(3).normal_(0, float("nan")),
        lambda L: L.normal(L.zeros(3), L.tensor([1.0, float("nan"), 1.0])),
        lambda L: L.zeros(3).uniform_(1, 0),
        lambda L: L.zeros(3).uniform_(0, float("inf")),
        lambda L: L.randint(0, 300, (5,), dtype=L.uint8),
        lambda L: L.randint(-1, 5, (5,), dtype=L.uint8),
        lambda L: L.randint(0, 3, (5,), dtype=L.bool),
        lambda L: L.randperm(300, dtype=L.uint8),
        lambda L: L.randint(5, 2, (3,)),
    ],
)
def test_random_draws_refuse_bad_arguments(call):
    """They drew anyway: |std|, [b, a), uint8 values wrapped around (255 from -1)."""
    for L in LIBS:
        with pytest.raises(RuntimeError):
            call(L)


@pytest.mark.parametrize(
    "call",
    [lambda L: L.randint(0, 2.5, (3,)), lambda L: L.randint(10.0, (3,)), lambda L: L.randperm(3.0)],
)
def test_random_integers_refuse_float_bounds(call):
    for L in LIBS:
        with pytest.raises(TypeError):
            call(L)


def test_values_an_integer_or_real_dtype_cannot_hold_are_refused():
    for L in LIBS:
        with pytest.raises(RuntimeError):  # NaN became int64's minimum
            L.tensor([float("nan")], dtype=L.int64)
        with pytest.raises(TypeError):  # the imaginary part was dropped
            L.tensor([1 + 1j], dtype=L.float32)
        with pytest.raises(RuntimeError):
            L.full((2,), 1 + 2j, dtype=L.float32)
        with pytest.raises(TypeError):  # a float128 tensor
            L.as_tensor(np.ones(2, dtype=np.longdouble))
    assert mg.full((2,), 1 + 0j, dtype=mg.float32).tolist() == [1.0, 1.0]


# ---------------------------------------------------------------- functional


@pytest.mark.parametrize("pad", [(1.5, 1.5), (-1.5, 0), (True, False)])
def test_pad_refuses_float_and_bool_widths(pad):
    """F.pad(x, ((k - 1) / 2,) * 2) padded by int(1.5) without a word."""
    for L in LIBS:
        with pytest.raises(TypeError):
            L.nn.functional.pad(L.ones(4), pad)
    with pytest.raises(TypeError):
        mg.nn.functional.pad(mg.ones(2), mg.tensor([1, 1]))


def test_cosine_similarity_refuses_a_negative_eps():
    """eps=-1 gave NaN for a zero vector."""
    for L in LIBS:
        with pytest.raises(RuntimeError):
            L.nn.functional.cosine_similarity(L.zeros(2, 3), L.ones(2, 3), eps=-1)


def test_cat_takes_a_sequence_of_tensors_only():
    """A list beside a float32 tensor gave a float64 result; a tensor was taken as the
    sequence of its rows."""
    for L in LIBS:
        with pytest.raises(TypeError):
            L.cat([L.ones(2), [1.0]])
        with pytest.raises(TypeError):
            L.cat(L.ones(2, 3))


# ---------------------------------------------------------------- second review of views


@pytest.mark.parametrize(
    "make",
    [
        lambda h: h.unfold(0, 2, 2),
        lambda h: h.as_strided((2, 2), (2, 1)),
        lambda h: h.split(2)[0],
        lambda h: h.chunk(2)[1],
        lambda h: h.view(2, 2).unbind(0)[0],
    ],
)
def test_views_made_under_no_grad_by_unfold_as_strided_split_are_refused(make):
    """h changed, w.grad stayed 1 where 2 was due."""
    for L in LIBS:
        h = L.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True) * 1
        with L.no_grad():
            v = make(h)
        with pytest.raises(RuntimeError):
            v.mul_(2)


@pytest.mark.parametrize(
    "op",
    [
        lambda F, L, x: F.interpolate(x, size=(4, 4)),
        lambda F, L, x: F.interpolate(x, size=(4, 4), mode="bilinear"),
        lambda F, L, x: F.pad(x, (0, 0, 0, 0), mode="reflect"),
        lambda F, L, x: F.pixel_shuffle(x, 1),
        lambda F, L, x: F.pixel_unshuffle(x, 1),
        lambda F, L, x: F.channel_shuffle(x, 1),
        lambda F, L, x: L.diff(x, n=0),
        lambda F, L, x: x.prod(1),
        lambda F, L, x: x[0, 0, 0, :1].prod(),
    ],
)
def test_ops_that_change_nothing_still_give_a_new_tensor(op):
    """They returned the input or a view of it: a change of the result changed the input
    (in a graph too, now that changes through views are written through)."""
    for L in LIBS:
        x = L.tensor(np.arange(1.0, 17.0).reshape(1, 1, 4, 4))
        y = op(L.nn.functional, L, x)
        y.mul_(0)
        assert _np(x).ravel().tolist() == list(np.arange(1.0, 17.0))


def test_deepcopy_and_pickle_drop_hooks_and_the_data_mark():
    for L in LIBS:
        w = L.tensor([1.0, 2.0], requires_grad=True)
        w.register_hook(lambda g: g * 10)
        for c in (copy.deepcopy(w), pickle.loads(pickle.dumps(w)) if L is mg else None):
            if c is None:
                continue
            (c * 1).sum().backward()
            assert _np(c.grad).tolist() == [1.0, 1.0]
        p = L.nn.Parameter(L.tensor([1.0, 2.0]))
        u = L.tensor([2.0, 3.0], requires_grad=True)
        c = copy.deepcopy(p.data)
        c.mul_(u)  # a copy of .data is a tensor of its own: recorded
        c.sum().backward()
        assert _np(u.grad).tolist() == [1.0, 2.0]


def test_unfold_edges_from_the_review():
    a = np.random.default_rng(5).standard_normal((3, 7)).astype(np.float32)
    grads = []
    for L in LIBS:
        x = L.tensor(a, requires_grad=True)
        (
            x.unfold(1, 3, 1) * L.tensor(np.arange(15.0, dtype=np.float32).reshape(5, 3))
        ).sum().backward()
        grads.append(_np(x.grad))
        assert tuple(L.tensor(3.0).unfold(0, 0, 1).shape) == (0,)
        with pytest.raises(IndexError):
            L.tensor(3.0).unfold(1, 1, 1)
        one = L.arange(4.0)
        one.unfold(0, 3, 2).add_(1)  # a single window overlaps nothing: written
        assert _np(one).tolist() == [1.0, 2.0, 3.0, 3.0]
        assert tuple(L.broadcast_to(L.ones(1, 3), (-1, 3)).shape) == (1, 3)
        assert tuple(L.ones(1, 3).broadcast_to(4, -1, -1).shape) == (4, 1, 3)
    np.testing.assert_array_equal(grads[0], grads[1])  # the same order of additions


# ---------------------------------------------------------------- second batch


@pytest.mark.parametrize(
    "fn, which",
    [
        ("binary_cross_entropy", "weight"),
        ("binary_cross_entropy_with_logits", "weight"),
        ("binary_cross_entropy_with_logits", "pos_weight"),
    ],
)
def test_loss_weights_may_not_grow_the_loss_shape(fn, which):
    """A (2, 4, 3) weight for a (4, 3) input gave a (2, 4, 3) loss and its mean."""
    rng = np.random.default_rng(6)
    p = rng.uniform(0.1, 0.9, (4, 3)).astype(np.float32)
    t = (rng.uniform(size=(4, 3)) > 0.5).astype(np.float32)
    w = np.ones((2, 1, 3) if which == "pos_weight" else (2, 4, 3), np.float32)
    for L in LIBS:
        with pytest.raises(RuntimeError):
            getattr(L.nn.functional, fn)(L.tensor(p), L.tensor(t), **{which: L.tensor(w)})
        ok = getattr(L.nn.functional, fn)(L.tensor(p), L.tensor(t), **{which: L.tensor(w[0])})
        assert tuple(ok.shape) == ()


@pytest.mark.parametrize(
    "call",
    [
        lambda L: L.nn.functional.pixel_shuffle(L.ones(1, 9, 2, 2), 1.5),
        lambda L: L.nn.PixelShuffle(2.0)(L.ones(1, 4, 2, 2)),
        lambda L: L.ones(2).repeat(2.5),
        lambda L: L.multinomial(L.tensor([0.5, 0.5]), 1.0),
        lambda L: L.nn.functional.max_pool2d(L.ones(1, 1, 4, 4), True),
        lambda L: L.nn.functional.conv2d(L.ones(1, 1, 4, 4), L.ones(1, 1, 2, 2), stride=True),
    ],
)
def test_floats_and_bools_where_an_int_is_due_are_refused(call):
    """pixel_shuffle(x, 1.5) ran as a factor of 1; max_pool2d(x, True) pooled by 1."""
    for L in LIBS:
        with pytest.raises(TypeError):
            call(L)


@pytest.mark.parametrize(
    "call",
    [
        lambda L: L.nn.functional.conv2d(L.ones(1, 1, 4, 4), L.ones(1, 1, 2, 2), stride=0),
        lambda L: L.nn.functional.conv2d(
            L.ones(1, 1, 4, 4), L.ones(1, 1, 2, 2), padding="same", stride=2
        ),
        lambda L: L.nn.functional.max_pool2d(L.ones(1, 1, 4, 4), 2, stride=0),
        lambda L: L.nn.functional.avg_pool2d(L.ones(1, 1, 4, 4), 3, padding=-1),
        lambda L: L.nn.functional.batch_norm(L.ones(2, 3), None, None, training=False),
        lambda L: L.nn.functional.interpolate(L.ones(1, 1, 2, 2), scale_factor=float("nan")),
        lambda L: L.nn.functional.interpolate(L.ones(1, 1, 2, 2), scale_factor=float("inf")),
        lambda L: L.nn.functional.interpolate(L.zeros(1, 2, 0, 4), size=3),
        lambda L: L.nn.functional.interpolate(L.zeros(1, 2, 0, 4), size=3, mode="bilinear"),
        lambda L: L.nn.functional.interpolate(L.zeros(1, 2, 0, 4), size=3, mode="area"),
        lambda L: L.nn.GELU(approximate="foo")(L.ones(2)),
    ],
)
def test_bad_geometry_raises_runtime_error_as_pytorch(call):
    """They raised ValueError, or NumPy's ZeroDivisionError/IndexError/AttributeError:
    `except RuntimeError` did not catch them."""
    for L in LIBS:
        with pytest.raises(RuntimeError):
            call(L)


def test_conv2d_takes_a_one_tuple_and_linear_zero_features():
    for L in LIBS:
        with pytest.raises(ValueError):  # PyTorch's module raises ValueError here
            L.nn.Conv2d(1, 1, 2, padding="same", stride=2)
        y = L.nn.functional.conv2d(L.ones(2, 1, 4, 4), L.ones(2, 1, 3, 3), stride=(1,))
        assert tuple(y.shape) == (2, 2, 2, 2)
        z = L.nn.functional.linear(L.ones(2, 1, 0), L.ones(3, 0))
        assert tuple(z.shape) == (2, 1, 3) and float(z.abs().sum()) == 0.0


def test_dataloader_settings_are_fixed_once_made():
    """dl.batch_size = 5 was taken while the batches kept the old size; a new dataset
    failed later inside the sampler."""
    for L in LIBS:
        data = L.utils.data.TensorDataset(L.arange(10.0))
        dl = L.utils.data.DataLoader(data, batch_size=2)
        for name, value in (("batch_size", 5), ("dataset", data), ("drop_last", True)):
            with pytest.raises(ValueError):
                setattr(dl, name, value)
        assert [len(b[0]) for b in dl] == [2] * 5
        dl.num_workers = 0  # the others stay settable, as in PyTorch


def test_data_of_an_integer_dtype_for_a_tensor_that_requires_grad_is_refused():
    for L in LIBS:
        p = L.nn.Parameter(L.ones(2))
        with pytest.raises(RuntimeError):
            p.data = L.tensor([1, 2])
        assert p.dtype == L.float32
