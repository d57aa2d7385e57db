"""minigrad.threads: blocks cover every element once, over several threads for large
arrays; the threaded kernels give the same bits as one thread, on the edges that matter."""

import os
import threading
import time

import numpy as np
import pytest

import minigrad as mg
from minigrad import threads
from minigrad.nn import functional as F


@pytest.fixture
def restore_threads():
    """Puts back the thread count a test sets (and with it the crew's size)."""
    before = threads.get_num_threads()
    yield
    threads.set_num_threads(before)


@pytest.fixture
def two_threads(monkeypatch, restore_threads):
    """Two threads, and elementwise kernels split from MIN_PARALLEL values as the other
    kernels are (their own thresholds, the NumPy code's and the compiled one-pass
    kernels', are above these tests' arrays)."""
    from minigrad.ops import cpu_kernels

    monkeypatch.setattr(threads, "MIN_PARALLEL_ELEMENTWISE", threads.MIN_PARALLEL)
    monkeypatch.setattr(cpu_kernels, "MIN_PARALLEL_PASS", threads.MIN_PARALLEL)
    threads.set_num_threads(2)


@pytest.fixture(params=[True, False], ids=["spin", "sleep"])
def fresh_crew_of_two(request, monkeypatch, restore_threads):
    """Two threads, on a crew started after this: one that spins between jobs, and one
    whose threads only sleep on their locks (no compiled spin)."""
    if not request.param:
        monkeypatch.setattr(threads, "_spinner", lambda: None)
    threads.set_num_threads(1)  # the next split() builds a crew with that spinner
    threads.set_num_threads(2)


@pytest.mark.parametrize(
    "n, unit",
    [(0, 1), (1, 1), (7, 100), (threads.MIN_PARALLEL + 7, 1), (3, threads.MIN_PARALLEL)],
)
def test_split_covers_each_index_once(two_threads, n, unit):
    seen = np.zeros(n, np.int64)
    names = []

    def work(lo, hi):
        assert 0 <= lo <= hi <= n
        seen[lo:hi] += 1
        names.append(threading.current_thread().name)

    threads.split(n, work, unit)
    assert (seen == 1).all()
    if n * unit >= threads.MIN_PARALLEL:
        assert len(names) == 2 and len(set(names)) == 2  # the caller and one crew thread
    else:
        assert names == [threading.current_thread().name]  # one call, on this thread


def test_an_exception_in_a_crew_thread_is_raised_by_the_caller(two_threads):
    n = threads.MIN_PARALLEL * 2

    def work(lo, hi):
        if hi == n:  # the last range, run by the crew thread
            raise ValueError("bad range")

    with pytest.raises(ValueError, match="bad range"):
        threads.split(n, work)
    threads.split(n, lambda lo, hi: None)  # the crew still works afterwards


def test_a_nested_split_runs_inline(two_threads):
    n = threads.MIN_PARALLEL * 2
    me = threading.current_thread().name
    inner = []

    def work(lo, hi):
        threads.split(n, lambda a, b: inner.append((threading.current_thread().name, a, b)))

    threads.split(n, work)
    # each inner split runs whole on its own thread: the crew thread's because it is in
    # the crew, the caller's because the crew is busy with the outer split's range
    assert sorted(c[1:] for c in inner if c[0] != me) == [(0, n)]
    assert [c[1:] for c in inner if c[0] == me] == [(0, n)]


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_set_num_threads_refuses_bad_counts(bad):
    with pytest.raises(ValueError, match="set_num_threads: n must be an int >= 1"):
        threads.set_num_threads(bad)


def test_thread_count_from_the_environment(monkeypatch):
    monkeypatch.delenv("MINIGRAD_NUM_THREADS", raising=False)
    for var in ("OPENBLAS_THREAD_TIMEOUT", "OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    # OpenBLAS's workers spin 2^28 cycles after a product: the BLAS's count is not taken
    assert threads._from_environment() == 1
    monkeypatch.setenv("OPENBLAS_THREAD_TIMEOUT", "16")  # they sleep soon: it is, up to
    want = min(3, threads.usable_cores())  # as OpenBLAS
    assert threads._from_environment() == (want if threads.openblas_parks() else 1)
    monkeypatch.setenv("OPENBLAS_THREAD_TIMEOUT", "21")  # 2^21 cycles: too long a spin
    assert threads._from_environment() == 1
    monkeypatch.delenv("OPENBLAS_THREAD_TIMEOUT")
    monkeypatch.setenv("MINIGRAD_NUM_THREADS", "2")
    assert threads._from_environment() == 2
    for bad, said in (("four", "a whole number"), ("0", ">= 1, got 0")):
        monkeypatch.setenv("MINIGRAD_NUM_THREADS", bad)
        with pytest.raises(ValueError, match=f"MINIGRAD_NUM_THREADS must be {said}"):
            threads._from_environment()


def _edges(shape, dtype):
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    flat = x.reshape(-1)
    flat[:6] = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-45]
    flat[-3:] = [0.0, np.nan, -np.inf]  # in the last block, run by the crew thread
    return x


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("op", ["relu", "leaky_relu"])
def test_threaded_activations_match_one_thread_bit_for_bit(two_threads, op, dtype):
    x = _edges((4, 8, 64, 80), dtype)  # 163,840 elements: over MIN_PARALLEL
    gy = np.random.default_rng(1).standard_normal(x.shape).astype(dtype)
    gy.reshape(-1)[:3] = [np.inf, np.nan, -np.inf]
    out = {}
    for n in (2, 1):
        threads.set_num_threads(n)
        t = mg.tensor(x, requires_grad=True)
        y = getattr(F, op)(t)
        y.backward(mg.tensor(gy))
        out[n] = (y.detach().numpy(), t.grad.numpy())
    for a, b in zip(out[2], out[1], strict=True):
        np.testing.assert_array_equal(a, b)
        assert a.dtype == dtype


def _in_order(x, order):
    """x's values in a dense array whose axes lie in memory in `order` (slowest first)."""
    return np.ascontiguousarray(x.transpose(order)).transpose(np.argsort(order))


@pytest.mark.parametrize("order", [(1, 2, 3, 0), (0, 2, 3, 1)], ids=["batch_minor", "nhwc"])
@pytest.mark.parametrize("op", ["relu", "leaky_relu"])
def test_dense_non_c_order_inputs_split_too_and_match_one_thread(two_threads, order, op):
    x = _in_order(_edges((4, 8, 64, 80), np.float32), order)  # a convolution's layout
    assert not x.flags.c_contiguous and threads.parallel(x, np.empty_like(x))
    gy = _in_order(np.random.default_rng(1).standard_normal(x.shape).astype(np.float32), order)
    gy[0, 0, 0, :3] = [np.inf, np.nan, -np.inf]
    out = {}
    for n in (2, 1):
        threads.set_num_threads(n)
        t = mg.from_numpy(x).requires_grad_()  # shares x: its layout kept
        y = getattr(F, op)(t)
        y.backward(mg.from_numpy(gy))
        out[n] = (y.detach().numpy(), t.grad.numpy())
    for a, b in zip(out[2], out[1], strict=True):
        np.testing.assert_array_equal(a, b)
    # and the values of the same op on a C-ordered copy, by the plain path
    threads.set_num_threads(1)
    t = mg.tensor(np.ascontiguousarray(x), requires_grad=True)
    y = getattr(F, op)(t)
    y.backward(mg.tensor(np.ascontiguousarray(gy)))
    np.testing.assert_array_equal(out[2][0], y.detach().numpy())
    np.testing.assert_array_equal(out[2][1], t.grad.numpy())
    assert out[2][0].strides == x.strides  # the layout kept, as by one thread


def test_elementwise_writes_every_element_of_a_batch_minor_output(two_threads):
    x = _in_order(
        np.arange(threads.MIN_PARALLEL * 2, dtype=np.float32).reshape(8, 4, 128, 64), (1, 2, 3, 0)
    )
    out = np.full_like(x, np.nan)  # empty_like keeps the layout; NaN marks an unwritten place
    seen = set()

    def kernel(a, o):
        seen.add(threading.get_ident())
        np.multiply(a, 2, out=o)

    threads.elementwise(kernel, x, out)
    np.testing.assert_array_equal(out, 2 * x)
    assert len(seen) == 2


def test_mixed_layouts_and_shapes_take_the_plain_path(two_threads):
    c = np.zeros((4, 8, 64, 80), np.float32)
    bm = _in_order(c, (1, 2, 3, 0))
    assert threads.parallel(c, np.zeros_like(c)) and threads.parallel(bm, np.empty_like(bm))
    assert not threads.parallel(c, bm)  # one flat index would mean two different elements
    assert not threads.parallel(c, c[:2])
    assert not threads.parallel(c, c.astype(np.uint8)[..., ::-1])  # negative stride
    assert threads.parallel(c, c.astype(np.uint8))  # same order, other item size


def test_non_contiguous_and_small_inputs_take_the_plain_path(two_threads):
    x = _edges((4, 8, 80, 128), np.float32)[..., ::2]  # a strided view
    assert not threads.parallel(x) and not threads.parallel(np.ones(10, np.float32))
    t = mg.tensor(x, requires_grad=True)
    y = F.leaky_relu(t, 0.1)
    expect = np.where(x > 0, x, x * np.float32(0.1))
    np.testing.assert_array_equal(y.detach().numpy(), expect)


def _on_two_threads_and_one(op, x):
    """op's output and input gradient (against a fixed random output gradient) on two
    threads, then on one: {threads: (y, gx)}, checked equal bit for bit; and that gradient."""
    out = {}
    for n in (2, 1):
        threads.set_num_threads(n)
        t = mg.tensor(x, requires_grad=True)
        y = op(t)
        gy = np.random.default_rng(2).standard_normal(y.shape).astype(np.float32)
        y.backward(mg.tensor(gy))
        out[n] = (y.detach().numpy(), t.grad.numpy())
    for a, b in zip(out[2], out[1], strict=True):
        np.testing.assert_array_equal(a, b)
    return out, gy


@pytest.mark.parametrize("kernel, stride, padding", [(2, 2, 0), (3, 2, 1), (3, 1, 1)])
def test_threaded_max_pool_matches_one_thread_bit_for_bit(two_threads, kernel, stride, padding):
    x = np.round(_edges((6, 16, 40, 36), np.float32), 1)  # rounding makes ties in windows
    x[-1, -1, :3, :3] = -np.inf  # an all -inf window in the last image (the crew thread's)
    x[-1, -2, 5, 5] = np.nan
    out, gy = _on_two_threads_and_one(lambda t: F.max_pool2d(t, kernel, stride, padding), x)
    torch = pytest.importorskip("torch")
    t = torch.tensor(x, requires_grad=True)
    y = torch.nn.functional.max_pool2d(t, kernel, stride, padding)
    y.backward(torch.tensor(gy))
    np.testing.assert_array_equal(out[2][0], y.detach().numpy())
    # overlapping windows add their gradients in another order than PyTorch's
    np.testing.assert_allclose(out[2][1], t.grad.numpy(), rtol=1e-6, atol=1e-6)
    if stride >= kernel:
        np.testing.assert_array_equal(out[2][1], t.grad.numpy())


@pytest.mark.parametrize("kernel, stride, padding, include", [(2, 2, 0, True), (3, 2, 1, False)])
@pytest.mark.parametrize("batch_minor", [False, True])
def test_threaded_avg_pool_matches_one_thread_and_torch(
    two_threads, kernel, stride, padding, include, batch_minor
):
    """Window sums and their adjoint, a share of the images per thread: the same bits as
    one thread (each output is summed in one order either way), in C order or a
    convolution's batch-minor one, with inf and NaN in the last image (the crew thread's)."""
    x = _edges((6, 16, 40, 36), np.float32)
    x[-1, -1, :3, :3] = np.inf
    x[-1, -2, 5, 5] = np.nan
    if batch_minor:
        x = np.ascontiguousarray(np.moveaxis(x, 0, -1)).transpose(3, 0, 1, 2)
    out, gy = _on_two_threads_and_one(
        lambda t: F.avg_pool2d(t, kernel, stride, padding, count_include_pad=include), x
    )
    torch = pytest.importorskip("torch")
    t = torch.tensor(x, requires_grad=True)
    y = torch.nn.functional.avg_pool2d(t, kernel, stride, padding, count_include_pad=include)
    y.backward(torch.tensor(gy))
    np.testing.assert_allclose(out[2][0], y.detach().numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(out[2][1], t.grad.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # inf * 0
@pytest.mark.parametrize("transpose", [False, True])
def test_threaded_convolutions_match_one_thread_bit_for_bit(two_threads, transpose):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((32, 16, 20, 20)).astype(np.float32)  # im2col: 409,600 values
    x[-1, -1, -1, -1] = np.inf  # in the last channels' share: the crew thread's
    shape = (16, 8, 4, 4) if transpose else (8, 16, 4, 4)
    w = (rng.standard_normal(shape) * 0.1).astype(np.float32)
    op = F.conv_transpose2d if transpose else F.conv2d
    out = {}
    for n in (2, 1):
        threads.set_num_threads(n)
        tx, tw = mg.tensor(x, requires_grad=True), mg.tensor(w, requires_grad=True)
        y = op(tx, tw, stride=2, padding=1)
        gy = np.random.default_rng(4).standard_normal(y.shape).astype(np.float32)
        y.backward(mg.tensor(gy))
        out[n] = (y.detach().numpy(), tx.grad.numpy(), tw.grad.numpy())
    for a, b in zip(out[2], out[1], strict=True):
        np.testing.assert_array_equal(a, b)
    torch = pytest.importorskip("torch")
    ty = getattr(torch.nn.functional, op.__name__)(
        torch.tensor(x), torch.tensor(w), stride=2, padding=1
    )
    np.testing.assert_allclose(out[2][0], ty.numpy(), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("batch_minor", [False, True])
def test_threaded_batch_norm_matches_one_thread_and_torch(two_threads, batch_minor, monkeypatch):
    from minigrad.ops import batchnorm

    # batch norm splits only from 4 M values; this input (0.4 M) is split all the same
    monkeypatch.setattr(batchnorm, "MIN_PARALLEL", threads.MIN_PARALLEL)
    rng = np.random.default_rng(5)
    x = (rng.standard_normal((64, 32, 14, 14)) * 3 + 1).astype(np.float32)
    if batch_minor:  # the layout conv outputs have: the batch innermost in memory
        x = np.ascontiguousarray(x.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
    w = rng.uniform(0.5, 1.5, 32).astype(np.float32)
    b = rng.standard_normal(32).astype(np.float32)
    gy = rng.standard_normal(x.shape).astype(np.float32)
    out = {}
    for n in (2, 1):
        threads.set_num_threads(n)
        tx, tw, tb = (mg.tensor(a, requires_grad=True) for a in (x, w, b))
        y = F.batch_norm(tx, None, None, tw, tb, training=True)
        y.backward(mg.tensor(gy))
        out[n] = [y.detach().numpy(), tx.grad.numpy(), tw.grad.numpy(), tb.grad.numpy()]
    for a, c in zip(out[2], out[1], strict=True):
        np.testing.assert_array_equal(a, c)
    torch = pytest.importorskip("torch")
    tx, tw, tb = (torch.tensor(np.ascontiguousarray(a), requires_grad=True) for a in (x, w, b))
    y = torch.nn.functional.batch_norm(tx, None, None, tw, tb, training=True)
    y.backward(torch.tensor(np.ascontiguousarray(gy)))
    for a, t in zip(out[2], [y, tx.grad, tw.grad, tb.grad], strict=True):
        np.testing.assert_allclose(a, t.detach().numpy(), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("n_threads", [1, 2])
@pytest.mark.parametrize("order", [(0, 1, 2, 3), (1, 2, 3, 0)], ids=["c", "batch_minor"])
def test_blocked_elementwise_writes_every_element_once_in_blocks(
    monkeypatch, n_threads, order, restore_threads
):
    """blocked=True: on one thread the kernel sees slices of at most BLOCK elements (the
    last one short); on two, one share per thread, unblocked; either way every element of
    the output is written exactly once."""
    monkeypatch.setattr(threads, "MIN_PARALLEL_ELEMENTWISE", threads.MIN_PARALLEL)
    monkeypatch.setattr(threads, "_balance", {})  # even ranges: no split of this kernel seen
    threads.set_num_threads(n_threads)
    shape = (5, 3, 7, threads.BLOCK // 32 + 1)  # 105 * (BLOCK/32 + 1): not a multiple
    x = _in_order(np.arange(np.prod(shape), dtype=np.float32).reshape(shape), order)
    out = np.full_like(x, np.nan)
    count = np.zeros_like(x, dtype=np.int8)  # in x's layout, as the kernel needs
    sizes = []

    def kernel(a, o, c):
        sizes.append(a.size)
        np.multiply(a, 2, out=o)
        c += 1

    threads.elementwise(kernel, x, out, count, blocked=True)
    np.testing.assert_array_equal(out, 2 * x)
    assert (count == 1).all()
    if n_threads == 1:
        assert max(sizes) == threads.BLOCK and len(sizes) >= x.size // threads.BLOCK
    else:
        assert sorted(sizes) == [x.size // 2, x.size - x.size // 2]
    assert sum(sizes) == x.size


def test_blocked_kernel_below_the_elementwise_threshold_stays_on_the_calling_thread(
    restore_threads,
):
    """Two threads, an input over MIN_PARALLEL but under MIN_PARALLEL_ELEMENTWISE (a DCGAN
    activation's size): the blocked kernel runs in blocks, every one on this thread."""
    threads.set_num_threads(2)
    x = np.ones(threads.MIN_PARALLEL * 4, np.float32)
    assert threads.MIN_PARALLEL <= x.size < threads.MIN_PARALLEL_ELEMENTWISE
    out = np.empty_like(x)
    callers, sizes = set(), []

    def kernel(a, o):
        callers.add(threading.get_ident())
        sizes.append(a.size)
        np.multiply(a, 3, out=o)

    threads.elementwise(kernel, x, out, blocked=True)
    assert callers == {threading.get_ident()} and max(sizes) == threads.BLOCK
    np.testing.assert_array_equal(out, 3 * x)


def test_blocked_elementwise_small_or_mixed_inputs_run_whole():
    """Under 2 * BLOCK elements, or layouts that differ, the kernel runs once on the whole
    arrays, whatever their layout."""
    calls = []

    def kernel(a, o):
        calls.append(a.shape)
        np.negative(a, out=o)

    small = np.ones((2, threads.BLOCK - 1), np.float32)
    threads.elementwise(kernel, small, np.empty_like(small), blocked=True)
    big = np.ones((4, threads.BLOCK), np.float32)
    other = np.empty_like(big, order="F")
    threads.elementwise(kernel, big, other, blocked=True)
    assert calls == [small.shape, big.shape]
    np.testing.assert_array_equal(other, -big)


@pytest.mark.parametrize("slope", [0.2, 0.0, 1.0, -0.5, 2.0])
@pytest.mark.parametrize("order", [(0, 1, 2, 3), (1, 2, 3, 0)], ids=["c", "batch_minor"])
def test_blocked_leaky_relu_matches_its_definition_at_the_edges(slope, order):
    """LeakyReLU's blocked forward over several blocks, with NaN, infinities, signed zeros and
    a subnormal in the first and the last block: x > 0 ? x : slope * x, and the gradient
    gy where x > 0, else slope * gy (NaN takes the slope, as in PyTorch)."""
    x = _in_order(_edges((4, 8, 64, 80), np.float32), order)  # 163,840: 3 blocks or more
    assert x.size > 2 * threads.BLOCK
    gy = np.random.default_rng(2).standard_normal(x.shape).astype(np.float32)
    t = mg.from_numpy(x).requires_grad_()
    y = F.leaky_relu(t, slope)
    y.backward(mg.tensor(gy))
    s = np.float32(slope)
    with np.errstate(invalid="ignore"):
        expect_y = np.where(x > 0, x, x * s)
    np.testing.assert_array_equal(y.detach().numpy(), expect_y)
    np.testing.assert_array_equal(t.grad.numpy(), np.where(x > 0, gy, gy * s))
    # signed zeros kept: -0.0 * 0.2 is -0.0
    zeros = x == 0
    assert np.array_equal(np.signbit(y.detach().numpy()[zeros]), np.signbit(x[zeros] * s))


@pytest.mark.parametrize("n_threads", [1, 2])
def test_relu_first_order_backward_across_layouts_and_blocks(
    monkeypatch, n_threads, restore_threads
):
    """ReLU's first-order backward, blocked, with x batch-minor and gy in C order (the
    whole-array path) or in x's order (the blocked one): gy where x > 0 or x is NaN, +0 where
    x <= 0 even where gy is inf or NaN; the leaf's .grad is an array of its own."""
    monkeypatch.setattr(threads, "MIN_PARALLEL_ELEMENTWISE", threads.MIN_PARALLEL)
    threads.set_num_threads(n_threads)
    x = _in_order(_edges((4, 8, 64, 80), np.float32), (1, 2, 3, 0))
    gy = np.random.default_rng(3).standard_normal(x.shape).astype(np.float32)
    gy.reshape(-1)[:8] = [np.inf, np.nan, -np.inf, np.nan, 1.0, np.inf, -1.0, np.nan]
    for g in (gy, _in_order(gy, (1, 2, 3, 0))):
        t = mg.from_numpy(x).requires_grad_()
        F.relu(t).backward(mg.from_numpy(g))
        grad = t.grad.numpy()
        expect = np.where((x > 0) | np.isnan(x), gy, np.float32(0))
        np.testing.assert_array_equal(grad, expect)
        assert not np.signbit(grad[~((x > 0) | np.isnan(x))]).any()  # +0, not -0
        assert t.grad._data.base is None and t.grad._data.flags.writeable


# ------------------------------------------------------------------ the crew
def _crew_threads():
    return sorted(t.name for t in threading.enumerate() if t.name.startswith("minigrad-"))


def test_the_crew_follows_set_num_threads_and_stops_its_threads(restore_threads):
    n = threads.MIN_PARALLEL * 3
    threads.set_num_threads(3)
    names = set()
    threads.split(n, lambda lo, hi: names.add(threading.current_thread().name))
    assert names == {threading.current_thread().name, "minigrad-1", "minigrad-2"}
    assert _crew_threads() == ["minigrad-1", "minigrad-2"]
    threads.set_num_threads(1)
    assert _crew_threads() == []  # stopped and joined, not left waiting
    threads.split(n, lambda lo, hi: names.add((lo, hi)))
    assert (0, n) in names and _crew_threads() == []  # one thread: no crew started


def test_the_caller_waits_for_the_crew_even_when_its_own_range_fails(two_threads):
    n = threads.MIN_PARALLEL * 2
    done = []

    def work(lo, hi):
        if lo == 0:
            raise KeyError("caller's range")
        threading.Event().wait(0.05)  # the crew thread's range ends after the caller's
        done.append((lo, hi))

    with pytest.raises(KeyError, match="caller's range"):
        threads.split(n, work)
    assert done == [(n // 2, n)]  # finished before split() returned


def test_an_interrupt_in_a_crew_thread_reaches_the_caller(two_threads):
    n = threads.MIN_PARALLEL * 2

    def work(lo, hi):
        if lo:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        threads.split(n, work)
    seen = np.zeros(n, np.int64)
    threads.split(n, lambda lo, hi: seen.__setitem__(slice(lo, hi), seen[lo:hi] + 1))
    assert (seen == 1).all()


def test_splits_from_several_python_threads_each_cover_their_range_once(fresh_crew_of_two):
    """One split() at a time has the crew; another thread's split() meanwhile runs on its
    own thread. With the spin and without it (threads that only sleep on their locks)."""
    n = threads.MIN_PARALLEL + 5
    counts = [np.zeros(n, np.int64) for _ in range(3)]
    errors = []

    def caller(seen):
        try:
            for _ in range(150):
                threads.split(n, lambda lo, hi: seen.__setitem__(slice(lo, hi), seen[lo:hi] + 1))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    callers = [threading.Thread(target=caller, args=(c,)) for c in counts]
    for t in callers:
        t.start()
    for t in callers:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in callers), "a split() never returned"
    assert not errors
    assert all((c == 150).all() for c in counts)


def _run_forking_script(tmp_path, text):
    """Run `text` as a script in a fresh Python (a fork there cannot upset pytest's own
    threads), with a time limit in place of a hang."""
    import os
    import subprocess
    import sys

    if not hasattr(os, "fork"):
        pytest.skip("no fork on this platform")
    script = tmp_path / "forking.py"
    script.write_text(text)
    return subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120
    )


def test_a_forked_child_splits_with_a_crew_of_its_own(tmp_path):
    """The child of a fork has none of the parent's threads: its split() must start its
    own crew, not wait for a thread that is not there."""
    run = _run_forking_script(
        tmp_path,
        "import os, numpy as np\n"
        "from minigrad import threads\n"
        "threads.set_num_threads(2)\n"
        "n = threads.MIN_PARALLEL * 2\n"
        "out = np.zeros(n)\n"
        "def work(lo, hi): out[lo:hi] += 1\n"
        "threads.split(n, work)\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    threads.split(n, work)\n"
        "    os._exit(0 if (out == 2).all() else 3)\n"
        "_, status = os.waitpid(pid, 0)\n"
        "assert os.waitstatus_to_exitcode(status) == 0, status\n"
        "threads.split(n, work)\n"  # the parent's crew is untouched
        "assert (out == 2).all()\n"
        "print('ok')\n",
    )
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stderr


def test_spin_wait_sees_the_flag_or_gives_up():
    from minigrad.ops import cpu_kernels

    spin = cpu_kernels.spinner()
    if spin is None:
        pytest.skip("the compiled spin is not available here")
    flags = np.array([0, 5], np.int64)
    assert spin(flags, 1, 5, 0, -1, 0, 0) and spin(flags, 1, 4, 10, -1, 0, 3)  # there already
    assert not spin(flags, 0, 1, 0, -1, 0, 0) and not spin(flags, 0, 1, 50, -1, 0, 3)  # never
    assert list(flags) == [0, 5]  # no report asked for, none written

    def later():
        threading.Event().wait(0.01)
        flags[0] = 1

    t = threading.Thread(target=later)
    t.start()
    # set by another thread: seen, not cached; the report written first
    assert spin(flags, 0, 1, 10**9, 1, 7, 4)
    t.join()
    assert list(flags) == [1, 7]
    assert not spin(flags, 0, 2, 5, 1, 8, 4) and list(flags) == [1, 8]  # reported, gave up


def test_ctrl_c_while_the_caller_waits_leaves_the_crew_in_step(fresh_crew_of_two):
    """Ctrl-C (here `interrupt_main`, raised in the caller while it waits for the crew
    thread's range) ends that split(); the next ones wait for their whole ranges again,
    and the interrupted range still ran to its end."""
    import _thread
    import time

    n = threads.MIN_PARALLEL * 2
    ended = []

    def interrupted(lo, hi):
        if lo:  # the crew thread's range
            _thread.interrupt_main()
            time.sleep(0.05)
            ended.append(hi)

    def slow_crew_range(lo, hi):
        if lo:
            time.sleep(0.02)  # the caller is done first and waits
        seen[lo:hi] += 1

    with pytest.raises(KeyboardInterrupt):
        threads.split(n, interrupted)
    for _ in range(5):
        seen = np.zeros(n, np.int64)
        threads.split(n, slow_crew_range)
        assert (seen == 1).all()  # both ranges written before split() returned
    assert ended == [n]


def test_a_crew_thread_keeps_no_reference_to_the_work_it_ran(two_threads):
    import gc
    import weakref

    n = threads.MIN_PARALLEL * 2

    def make():
        big = np.zeros(n)

        def work(lo, hi):
            big[lo:hi] = 1

        return work, weakref.ref(big)

    work, ref = make()
    threads.split(n, work)
    del work
    gc.collect()
    assert ref() is None  # not held by the crew until the next split()


@pytest.mark.parametrize("where", ["caller", "crew"])
def test_set_num_threads_from_inside_a_split_takes_effect_at_the_next(where, restore_threads):
    """From the work of a split in flight it cannot wait for that split: the count
    changes at once and the crew is resized by the next split(), instead of a hang."""
    threads.set_num_threads(2)
    n = threads.MIN_PARALLEL * 2

    def work(lo, hi):
        in_crew = threading.current_thread().name.startswith("minigrad-")
        if in_crew == (where == "crew"):
            threads.set_num_threads(3)

    done = threading.Thread(target=threads.split, args=(n, work), daemon=True)
    done.start()
    done.join(timeout=60)
    assert not done.is_alive(), "split() never returned"
    assert threads.get_num_threads() == 3
    names = set()
    threads.split(n * 2, lambda lo, hi: names.add(threading.current_thread().name))
    assert len(names) == 3


def test_fewer_items_than_threads_reuse_the_crew(restore_threads):
    """split(2, ...) on four threads uses two of the three crew threads, and the next
    split of many items the same crew: no thread is stopped or started between them."""
    threads.set_num_threads(4)
    threads.split(threads.MIN_PARALLEL, lambda lo, hi: None)
    crew = set(threading.enumerate())
    names = set()
    threads.split(2, lambda lo, hi: names.add(threading.current_thread().name), unit=10**9)
    assert len(names) == 2
    threads.split(threads.MIN_PARALLEL, lambda lo, hi: None)
    assert set(threading.enumerate()) == crew


def test_a_fork_inside_a_split_says_so_in_the_child(tmp_path):
    """The child of a fork made from inside a range cannot wait for the parent's crew (its
    threads are not in the child): it raises, where it used to hang."""
    run = _run_forking_script(
        tmp_path,
        "import os, time\n"
        "from minigrad import threads\n"
        "threads.set_num_threads(2)\n"
        "n = threads.MIN_PARALLEL * 2\n"
        "def work(lo, hi):\n"
        "    if lo:\n"
        "        time.sleep(0.2)\n"
        "        return\n"
        "    if os.fork() == 0:\n"
        "        return\n"  # the child goes on to wait for the crew
        "pid = os.getpid()\n"
        "try:\n"
        "    threads.split(n, work)\n"
        "except RuntimeError as exc:\n"
        "    if os.getpid() != pid:\n"
        "        os._exit(7 if 'forked from inside the work of a split()' in str(exc) else 3)\n"
        "    raise\n"
        "if os.getpid() != pid:\n"
        "    os._exit(4)\n"
        "_, status = os.wait()\n"
        "print(os.waitstatus_to_exitcode(status))\n",
    )
    assert run.returncode == 0 and run.stdout.strip() == "7", (run.stdout, run.stderr)


def test_a_crew_thread_moves_off_the_callers_core():
    """_move_off takes the caller's core out of the calling thread's cores and moves it at
    once; with that core its only one, it stays."""
    import os

    if threads._getcpu is None or len(os.sched_getaffinity(0)) < 2:
        pytest.skip("needs sched_getcpu and two usable cores")
    allowed = os.sched_getaffinity(0)
    seen = {}

    def run():
        here = threads._getcpu()
        threads._move_off(here, allowed)
        seen["moved"] = (here, threads._getcpu(), os.sched_getaffinity(0))
        os.sched_setaffinity(0, {here})
        threads._move_off(here, {here})  # nowhere else to go
        seen["stayed"] = (threads._getcpu(), os.sched_getaffinity(0))

    t = threading.Thread(target=run)
    t.start()
    t.join()
    here, now, mask = seen["moved"]
    assert now != here and mask == allowed - {here}
    assert seen["stayed"] == (here, {here})
    assert os.sched_getaffinity(0) == allowed  # this thread's cores are its own


# ------------------------------------------------------------------ batches of products
def _batch(k, m, kk, n, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((k, m, kk), dtype=np.float32)
    b = rng.standard_normal((k, kk, n), dtype=np.float32)
    return a, b


@pytest.mark.parametrize("shape", [(25, 128, 256, 256), (3, 5, 7, 2), (2, 1, 1, 1), (1, 8, 8, 8)])
def test_products_split_the_batch_on_one_blas_thread_each(two_threads, shape):
    calls = threads.blas_thread_calls()
    if calls is None:
        pytest.skip("NumPy's BLAS is not an OpenBLAS whose thread count can be set")
    set_blas, get_blas = calls
    before = get_blas()
    a, b = _batch(*shape)
    out = np.full((shape[0], shape[1], shape[3]), np.nan, np.float32)
    seen = []

    def work(lo, hi):
        seen.append((lo, hi, get_blas(), threading.current_thread().name))
        np.matmul(a[lo:hi], b[lo:hi], out=out[lo:hi])

    threads.products(shape[0], work)
    # each product is one BLAS call either way: its sums in the BLAS's own order
    want = np.matmul(a, b)
    np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-5 * np.abs(want).max())
    assert sorted(i for lo, hi, *_ in seen for i in range(lo, hi)) == list(range(shape[0]))
    if shape[0] > 1:  # a share per thread, each on one BLAS thread
        assert len(seen) == 2 and {s[2] for s in seen} == {1}
        assert len({s[3] for s in seen}) == 2
    else:  # one product: here, on the BLAS's own threads
        assert seen == [(0, 1, before, threading.current_thread().name)]
    assert get_blas() == before


def test_products_put_the_blas_threads_back_after_an_error(two_threads):
    calls = threads.blas_thread_calls()
    if calls is None:
        pytest.skip("NumPy's BLAS is not an OpenBLAS whose thread count can be set")
    before = calls[1]()

    def work(lo, hi):
        if lo > 0:
            raise ValueError(f"share {lo}-{hi}")

    with pytest.raises(ValueError, match="share"):
        threads.products(6, work)
    assert calls[1]() == before


@pytest.mark.parametrize("why", ["switched off", "one thread", "no OpenBLAS", "in the crew"])
def test_products_run_here_otherwise(two_threads, monkeypatch, why):
    if why == "switched off":
        monkeypatch.setattr(threads, "SPLIT_PRODUCTS", False)
    elif why == "one thread":
        threads.set_num_threads(1)
    elif why == "no OpenBLAS":
        monkeypatch.setattr(threads, "numpy_blas_is_openblas", lambda: False)
        monkeypatch.setattr(threads, "_blas_calls", False)  # looked for again
    a, b = _batch(4, 6, 5, 3)
    out = np.empty((4, 6, 3), np.float32)
    seen = []

    def work(lo, hi):
        seen.append((lo, hi, threading.current_thread().name))
        np.matmul(a[lo:hi], b[lo:hi], out=out[lo:hi])

    if why == "in the crew":  # a batch inside a split's range runs in that thread
        names = []

        def outer(lo, hi):
            if lo == 0:
                threads.products(4, work)
                names.append(threading.current_thread().name)

        threads.split(2, outer, min_size=0)
        assert seen == [(0, 4, names[0])]
    else:
        threads.products(4, work)
        assert seen == [(0, 4, threading.current_thread().name)]
    np.testing.assert_array_equal(out, np.matmul(a, b))
    if why == "no OpenBLAS":
        assert threads.blas_thread_calls() is None


def test_numpy_openblas_is_the_one_in_numpys_tree():
    here = "/env/site-packages/numpy"
    ours = "/env/site-packages/numpy.libs/libscipy_openblas64_-abc.so"
    scipys = "/env/site-packages/scipy.libs/libscipy_openblas-def.so"
    assert threads.numpy_openblas([scipys, ours], here) == ours
    assert threads.numpy_openblas([ours], here) == ours
    system = "/usr/lib/libopenblas.so.0"
    assert threads.numpy_openblas([system], here) == system
    assert threads.numpy_openblas([system, scipys], here) is None
    assert threads.numpy_openblas([], here) is None
    # a neighbour whose name starts like numpy's is not numpy's
    neighbour = "/env/site-packages/numpyx/libopenblas.so"
    assert threads.numpy_openblas([neighbour, scipys], here) is None
    if threads.blas_thread_calls() is not None:  # this process: NumPy's own library was found
        import numpy

        found = threads.numpy_openblas(threads._openblas_paths(), os.path.dirname(numpy.__file__))
        assert found is not None and "openblas" in found.lower()


def _late_crew_ranges(n: int, delay: float, splits: int, key: object) -> list[tuple[int, int]]:
    """`splits` splits of n items whose crew range starts `delay` seconds late (it sleeps
    first); the caller's range of each, checking that every item is written once."""
    callers = []
    main = threading.get_ident()
    for _ in range(splits):
        seen = np.zeros(n, np.int64)

        def work(lo, hi, seen=seen):
            if threading.get_ident() == main:
                callers.append((lo, hi))
            else:
                time.sleep(delay)
            for i in range(lo, hi):  # about 1 us an item on either thread
                seen[i] += 1

        threads.split(n, work, min_size=0, key=key)
        assert (seen == 1).all()
    return callers


def test_the_callers_range_grows_when_the_crews_range_takes_longer(two_threads, monkeypatch):
    """A crew range that takes 2 ms longer (it sleeps first): after a few splits of the
    same key the caller takes more than half, each item still written exactly once; the
    first split, with nothing seen, is even."""
    monkeypatch.setattr(threads, "_balance", {})
    callers = _late_crew_ranges(4000, 0.002, 12, key="late")
    assert callers[0] == (0, 2000)
    assert all(lo == 0 for lo, _ in callers)
    assert callers[-1][1] > 2200, callers  # even: 2000; about 2,700 when settled
    assert callers[-1][1] <= 4000 - 1  # the crew keeps a range
    lag, c, w = threads._balance["late"]
    assert w > c > 0  # the crew's sleep counts in its time per element


def test_balance_off_gives_even_ranges_and_keys_are_apart(two_threads, monkeypatch):
    monkeypatch.setattr(threads, "_balance", {})
    monkeypatch.setattr(threads, "BALANCE", False)
    assert {r for r in _late_crew_ranges(1000, 0.001, 4, key="off")} == {(0, 500)}
    monkeypatch.setattr(threads, "BALANCE", True)
    _late_crew_ranges(1000, 0.002, 6, key="late")
    assert _late_crew_ranges(1000, 0.0, 1, key="other")[0] == (0, 500)  # its own averages


def test_caller_items_end_both_ranges_together():
    """m items at c s/element end with (n - m) / k items at w s/element started `lag`
    later: m c = lag + (n - m) w / k."""
    assert threads._caller_items(1000, 2, 1, [0.0, 1e-9, 1e-9]) == 500
    assert threads._caller_items(1000, 2, 1, [100e-9, 1e-9, 1e-9]) == 550  # crew late
    assert threads._caller_items(1000, 2, 1, [-100e-9, 1e-9, 1e-9]) == 450  # crew early
    assert threads._caller_items(1000, 2, 10, [100e-9, 1e-9, 1e-9]) == 505  # per element
    assert threads._caller_items(1000, 2, 1, [0.0, 1e-9, 3e-9]) == 750  # crew 3x slower
    assert threads._caller_items(900, 3, 1, [0.0, 1e-9, 1e-9]) == 300  # two crew threads
    assert threads._caller_items(900, 3, 1, [200e-9, 1e-9, 1e-9]) == 433


@pytest.mark.parametrize("n", [2, 3, 9])
def test_caller_items_keep_a_range_for_every_thread(n):
    """Whatever the averages say (a crew far late, or far early), the caller's range stays
    within [n / (2 threads), n - (threads - 1)]."""
    for seen in ([1.0, 1e-9, 1e-9], [-1.0, 1e-9, 1e-9], [0.0, 1e-3, 1e-9], [0.0, 1e-9, 1e-3]):
        for t in (2, 3):
            if n < t:
                continue
            m = threads._caller_items(n, t, 1, seen)
            assert max(1, -(-n // (2 * t))) <= m <= n - (t - 1), (n, t, seen, m)


def test_items_of_no_elements_or_times_below_the_clock_give_even_ranges(two_threads, monkeypatch):
    """unit 0 (items with no elements) or averages of zero time cannot size the caller's
    range: it is the even one, not a division by zero."""
    monkeypatch.setattr(threads, "_balance", {})
    assert threads._caller_items(10, 2, 0, [1e-6, 1e-9, 1e-9]) == 5
    assert threads._caller_items(10, 2, 1, [0.0, 0.0, 0.0]) == 5
    seen = np.zeros(10, np.int64)

    def work(lo, hi):
        seen[lo:hi] += 1

    threads.split(10, work, unit=1, min_size=0, key="k")
    threads.split(10, work, unit=0, min_size=0, key="k")
    assert (seen == 2).all()
