"""layout.copy (the blocked copy between memory orders) and what uses it: a leaf's `.grad`
made from a batch-minor gradient. Every value must land in its place, for every layout,
dtype and edge value."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg
from minigrad.ops import layout


def _edges(shape, dtype):
    """Distinct values (so that a misplaced one shows), with NaN, infinities and -0.0 in
    float arrays, extremes in integer ones."""
    n = int(np.prod(shape))
    if dtype == np.bool_:
        return (np.arange(n) % 3 == 0).reshape(shape)
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        a = (np.arange(n) % 251).astype(dtype)
        a.flat[: min(n, 2)] = [info.min, info.max][: min(n, 2)]
        return a.reshape(shape)
    a = np.arange(n, dtype=dtype) + dtype(0.5)
    specials = [np.nan, np.inf, -np.inf, -0.0]
    a.flat[: min(n, 4)] = specials[: min(n, 4)]
    return a.reshape(shape)


def _in_order(a, order):
    """`a`'s values in a dense array whose axes lie in memory in `order` (slowest first)."""
    return np.ascontiguousarray(a.transpose(order)).transpose(np.argsort(order))


def _same(x, y):
    assert x.shape == y.shape and x.dtype == y.dtype
    np.testing.assert_array_equal(x, y)  # NaN matches NaN
    if np.issubdtype(x.dtype, np.floating):  # -0.0 stays -0.0
        assert np.array_equal(np.signbit(x), np.signbit(y))


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.uint8, np.bool_])
@pytest.mark.parametrize(
    "shape, src_order, out_order",
    [
        ((64, 64, 14, 14), (1, 2, 3, 0), (0, 1, 2, 3)),  # a conv gradient into C order
        ((192, 8, 28, 28), (1, 2, 3, 0), (0, 1, 2, 3)),  # one channel over a block: rows cut
        ((64, 64, 14, 14), (0, 1, 2, 3), (1, 2, 3, 0)),  # C order into batch-minor
        ((16, 8, 20, 24), (0, 2, 3, 1), (3, 1, 0, 2)),  # channels-last into another order
        ((3, 1, 1, 20000), (3, 0, 1, 2), (0, 1, 2, 3)),  # axes of one
        ((300, 200), (1, 0), (0, 1)),  # a 2-d transpose: one copy, no cut axis
    ],
)
def test_copy_puts_every_value_in_place(shape, src_order, out_order, dtype):
    want = _edges(shape, dtype)
    src = _in_order(want, src_order)
    out = _in_order(np.zeros(shape, dtype), out_order)
    layout.copy(out, src)
    _same(out, want)


def test_copy_of_a_cropped_view_with_gaps():
    """col2im's gradient is a crop of a padded buffer: rows with gaps between them."""
    buf = _edges((16, 18, 18, 64), np.float32)  # (C, H + 2, W + 2, N)
    src = buf[:, 1:17, 1:17].transpose(3, 0, 1, 2)
    out = np.empty(src.shape, np.float32)
    layout.copy(out, src)
    _same(out, src.copy())
    assert out.flags.c_contiguous


def test_copy_into_a_strided_destination():
    want = _edges((40, 32, 9, 30), np.float32)
    src = _in_order(want, (1, 2, 3, 0))
    big = np.full((40, 32, 9, 60), 7.0, np.float32)
    out = big[..., ::2]  # every other column: the ones between must stay untouched
    layout.copy(out, src)
    _same(out, want)
    assert (big[..., 1::2] == 7.0).all()


@pytest.mark.parametrize("shape", [(), (0,), (0, 5, 3, 2), (5, 0, 3, 2), (1, 1, 1, 1)])
def test_copy_of_empty_and_0d_arrays(shape):
    want = _edges(shape, np.float32) if np.prod(shape) else np.zeros(shape, np.float32)
    src = want.transpose(tuple(reversed(range(want.ndim))))
    out = np.empty(src.shape, np.float32)
    layout.copy(out, src)
    _same(out, src)


@settings(max_examples=60, deadline=None)
@given(
    shape=st.lists(st.integers(1, 12), min_size=2, max_size=5),
    data=st.data(),
)
def test_copy_matches_assignment_for_any_pair_of_orders(shape, data):
    order_src = data.draw(st.permutations(range(len(shape))))
    order_out = data.draw(st.permutations(range(len(shape))))
    block = data.draw(st.sampled_from([1, 2, 7, 64, 1 << 14]))
    want = _edges(tuple(shape), np.float64)
    src = _in_order(want, order_src)
    out = _in_order(np.zeros(shape), order_out)
    saved = layout.COPY_BLOCK
    layout.COPY_BLOCK = block  # small blocks: every cutting path on small arrays
    try:
        layout.copy(out, src)
    finally:
        layout.COPY_BLOCK = saved
    _same(out, want)


def test_small_blocks_cut_several_axes_and_cover_each_place_once(monkeypatch):
    """With a block of 100 elements on a (5, 4, 6, 8) batch-minor array (240 elements a
    channel, 40 a row) the copy cuts the channels one by one and the rows in ranges of two:
    12 copies, each place written exactly once."""
    monkeypatch.setattr(layout, "COPY_BLOCK", 100)
    want = np.arange(5 * 4 * 6 * 8, dtype=np.float64).reshape(5, 4, 6, 8)
    src = _in_order(want, (1, 2, 3, 0))
    writes = np.zeros(want.shape, np.int64)
    calls = []

    class Counting(np.ndarray):
        def __setitem__(self, index, value):
            calls.append(index)
            writes[index] += 1
            super().__setitem__(index, value)

    out = np.zeros(want.shape).view(Counting)
    layout.copy(out, src)
    _same(np.asarray(out), want)
    assert (writes == 1).all()
    assert len(calls) == 12
    assert {(i[1].stop - i[1].start, i[2].stop - i[2].start) for i in calls} == {(1, 2)}


# ------------------------------------------------------------------ the copy's users
def test_leaf_grad_from_a_convolution_is_c_ordered_and_exact():
    """conv2d's input gradient comes out batch-minor (a crop of col2im's buffer); the leaf's
    `.grad` is a C-ordered array of its own with the same values."""
    rng = np.random.default_rng(0)
    x = mg.tensor(rng.standard_normal((8, 4, 9, 9)).astype(np.float32), requires_grad=True)
    w = mg.tensor(rng.standard_normal((6, 4, 4, 4)).astype(np.float32))
    y = mg.nn.functional.conv2d(x, w, stride=2, padding=1)
    gy = rng.standard_normal(y.shape).astype(np.float32)
    y.backward(mg.tensor(gy))
    g = x.grad.numpy()
    assert g.flags.c_contiguous and g.flags.owndata
    # the same gradient as the graph computes it, before the copy: conv2d's input
    # gradient is conv_transpose2d's forward, which returns col2im's batch-minor crop
    gx = mg.nn.functional.conv_transpose2d(
        mg.tensor(gy), w, stride=2, padding=1, output_padding=1
    ).numpy()
    assert not gx.flags.c_contiguous
    _same(g, gx.copy())


def test_retained_grad_of_a_batch_minor_tensor_is_a_c_ordered_copy():
    rng = np.random.default_rng(1)
    x = mg.tensor(rng.standard_normal((4, 3, 8, 8)).astype(np.float32), requires_grad=True)
    w = mg.tensor(rng.standard_normal((5, 3, 3, 3)).astype(np.float32), requires_grad=True)
    y = mg.nn.functional.conv2d(x, w, padding=1)  # batch-minor output
    y.retain_grad()
    (y * y).sum().backward()
    g = y.grad.numpy()
    assert g.flags.c_contiguous
    _same(g, 2 * y.detach().numpy())


def test_orders_used_above_are_distinct_layouts():
    """The helper really builds the orders the tests claim (else they test one layout)."""
    a = np.zeros((2, 3, 4, 5))
    seen = {
        layout.memory_order(_in_order(a, o)).__repr__() for o in itertools.permutations(range(4))
    }
    assert len(seen) == 24


def test_copy_keeps_no_reference_to_its_source(monkeypatch):
    """The source of a leaf's gradient is col2im's whole padded buffer: once copied it must
    be freed at once, not when the garbage collector next runs (a self-calling closure in
    the copy kept it, and the next step's arrays then took fresh pages)."""
    import gc
    import weakref

    monkeypatch.setattr(layout, "COPY_BLOCK", 64)  # several cut axes
    buf = np.ones((8, 6, 6, 16))
    ref = weakref.ref(buf)
    out = np.empty((16, 8, 4, 4))
    gc.disable()
    try:
        layout.copy(out, buf[:, 1:5, 1:5].transpose(3, 0, 1, 2))
        del buf
        assert ref() is None
    finally:
        gc.enable()
    assert (out == 1).all()


@pytest.mark.parametrize(
    "make",
    [
        lambda a: a,  # C order
        lambda a: a[:, None],  # C order with a size-1 axis of any stride
        lambda a: a.reshape(2, 3, 4)[:1],  # C order, a leading axis of 1
        lambda a: np.asfortranarray(a),
        lambda a: _in_order(a.reshape(2, 3, 4), (1, 2, 0)),  # batch-minor-like
        lambda a: a.reshape(-1)[:0].reshape(0, 5),  # empty
        lambda a: np.array(a[0, 0]),  # 0-d
    ],
    ids=["C", "C size-1 axis", "C leading 1", "F", "batch-minor", "empty", "0-d"],
)
def test_flat_view_is_the_memory_in_order_and_copies_nothing(make):
    """flat_view gives a 1-D view that walks the array's memory from its first byte,
    value by value, for C order (its fast path) and the other dense orders alike."""
    a = make(_edges((4, 6), np.float32))
    flat = layout.flat_view(a)
    assert flat.ndim == 1 and flat.size == a.size
    if a.size:
        assert np.shares_memory(flat, a) and flat.strides == (a.itemsize,)
        back = zip(a.strides, a.shape, strict=True)
        base = a.ctypes.data + sum(s * (n - 1) for s, n in back if s < 0)  # the lowest byte
        assert flat.ctypes.data == base
        # each value sits where its own bytes are: address of a[idx] == flat start + k
        for idx in itertools.islice(np.ndindex(a.shape), 0, None, 5):
            offset = sum(i * s for i, s in zip(idx, a.strides, strict=True)) + a.ctypes.data - base
            _same(np.array(flat[offset // a.itemsize]), np.array(a[idx]))
