"""Round nine's in-place methods, aliases and tensor queries against torch: values, the
in-place rules (version counter, leaves that require grad, recording in a graph)."""

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(2)


def arr(*shape, lo=-0.9, hi=0.9):
    return RNG.uniform(lo, hi, shape)


def close(got, want):
    w, g = want.detach().numpy(), got.detach().numpy()
    assert g.shape == w.shape and g.dtype == w.dtype, (g.shape, w.shape, g.dtype, w.dtype)
    np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-9, equal_nan=True)


UNARY = [
    "acos_",
    "asin_",
    "atan_",
    "cosh_",
    "sinh_",
    "asinh_",
    "atanh_",
    "arccos_",
    "arcsin_",
    "arctan_",
    "arcsinh_",
    "arctanh_",
    "frac_",
    "deg2rad_",
    "rad2deg_",
    "sgn_",
    "negative_",
    "absolute_",
    "logical_not_",
    "nan_to_num_",
]
BINARY = [
    "atan2_",
    "arctan2_",
    "hypot_",
    "copysign_",
    "multiply_",
    "subtract_",
    "true_divide_",
    "divide_",
    "remainder_",
    "floor_divide_",
    "eq_",
    "ne_",
    "lt_",
    "le_",
    "gt_",
    "ge_",
    "greater_",
    "greater_equal_",
    "less_",
    "less_equal_",
    "not_equal_",
    "logical_and_",
    "logical_or_",
    "logical_xor_",
    "nextafter_",
    "ldexp_",
    "heaviside_",
]


def _run(name, x, *args):
    mx, tx = mg.tensor(x), torch.tensor(x)
    margs = [mg.tensor(a) if isinstance(a, np.ndarray) else a for a in args]
    targs = [torch.tensor(a) if isinstance(a, np.ndarray) else a for a in args]
    v = mx._version
    assert getattr(mx, name)(*margs) is mx
    getattr(tx, name)(*targs)
    close(mx, tx)
    assert mx._version == v + 1
    return mx


@pytest.mark.parametrize("name", UNARY)
def test_unary_in_place(name):
    _run(name, arr(3, 4))
    _run(name, arr(4, 3).T.copy())
    if name in ("acosh_", "arccosh_"):
        _run(name, arr(3, lo=1.1, hi=3))


def test_acosh_in_place():
    for name in ("acosh_", "arccosh_"):
        _run(name, arr(3, lo=1.1, hi=3))


@pytest.mark.parametrize("name", BINARY)
def test_binary_in_place(name):
    x, y = arr(3, 4), arr(4) + 1.5
    y[0] = x[0, 0]
    if name == "heaviside_":
        y = np.array([0.5])
    if name == "ldexp_":
        y = np.array([1, -2, 0, 3])
    _run(name, x, y)
    tensor_only = (
        "ldexp_",
        "heaviside_",
        "nextafter_",
        "atan2_",
        "arctan2_",
        "hypot_",
        "logical_and_",
        "logical_or_",
        "logical_xor_",
    )
    if name not in tensor_only:
        _run(name, x, 0.5)


def test_in_place_rules():
    leaf = mg.ones(2, 2, requires_grad=True)
    for name, args in [("acos_", ()), ("eq_", (1.0,)), ("hypot_", (mg.ones(2),)), ("frac_", ())]:
        with pytest.raises(RuntimeError):
            getattr(leaf, name)(*args)
    with mg.no_grad():
        leaf.frac_()
    with pytest.raises(RuntimeError):
        mg.tensor([1, 2]).acos_()  # a float result into an int tensor
    with pytest.raises(RuntimeError):
        mg.tensor([1, 2]).true_divide_(2)
    with pytest.raises(RuntimeError):
        mg.ones(2).float_power_(2)
    # a change in a graph is recorded, as PyTorch's
    x, t = mg.tensor(arr(3), requires_grad=True), torch.tensor(arr(3) * 0 + 0.3, requires_grad=True)
    x = mg.tensor(t.detach().numpy(), requires_grad=True)
    h, th = x * 2, t * 2
    h.atan_().hypot_(mg.tensor([1.0, 2.0, 3.0], dtype=mg.float64))
    th.atan_().hypot_(torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64))
    h.sum().backward()
    th.sum().backward()
    close(x.grad, t.grad)
    # the operand's gradient too
    w, tw = (
        mg.tensor([0.5, 1.0, 2.0], requires_grad=True),
        torch.tensor([0.5, 1.0, 2.0], requires_grad=True),
    )
    b, tb = mg.ones(3, dtype=mg.float64), torch.ones(3, dtype=torch.float64)
    b.copysign_(w)
    tb.copysign_(tw)
    (b * w).sum().backward()
    (tb * tw).sum().backward()
    close(w.grad, tw.grad)


def test_float_power_and_cumulative_in_place():
    x = arr(3, 4) + 1.0
    _run("float_power_", x, 2.5)
    _run("float_power_", x, np.array([1.0, 2.0, 0.5, 3.0]))
    _run("cumsum_", x, 1)
    _run("cumprod_", x, 0)
    _run("cumsum_", np.array([1, 2, 3]), 0)
    _run("nan_to_num_", np.array([np.nan, np.inf, -np.inf, 1.0]), 0.0, 5.0, -5.0)
    _run("gcd_", np.array([4, 6, 9]), np.array([6, 4, 3]))
    _run("lcm_", np.array([4, 6, 9]), np.array([6, 4, 3]))
    _run("swapaxes_", arr(2, 3), 0, 1)
    _run("swapdims_", arr(2, 3, 4), 0, -1)


@pytest.mark.parametrize(
    "p, dim, maxnorm", [(2, 0, 1.0), (1, 1, 0.5), (3.0, -1, 2.0), (float("inf"), 0, 0.3)]
)
def test_renorm(p, dim, maxnorm):
    x = arr(3, 4, 2) * 3
    close(mg.tensor(x).renorm(p, dim, maxnorm), torch.tensor(x).renorm(p, dim, maxnorm))
    close(mg.renorm(mg.tensor(x), p, dim, maxnorm), torch.renorm(torch.tensor(x), p, dim, maxnorm))
    _run("renorm_", x, p, dim, maxnorm)
    mx, tx = mg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    w = arr(3, 4, 2)
    (mx.renorm(p, dim, maxnorm) * mg.tensor(w)).sum().backward()
    (tx.renorm(p, dim, maxnorm) * torch.tensor(w)).sum().backward()
    close(mx.grad, tx.grad)
    if p != float("inf"):
        assert mg.gradcheck(lambda a: a.renorm(p, dim, maxnorm), [mg.tensor(x, requires_grad=True)])
    with pytest.raises(RuntimeError):
        mg.ones(3).renorm(2, 0, 1.0)


@pytest.mark.parametrize(
    "dim, size, step", [(0, 2, 1), (1, 3, 2), (-1, 1, 1), (1, 5, 3), (0, 3, 3)]
)
def test_unfold(dim, size, step):
    x = arr(3, 5)
    close(mg.tensor(x).unfold(dim, size, step), torch.tensor(x).unfold(dim, size, step))
    close(
        mg.tensor(x.T).unfold(dim, min(size, 3), step),
        torch.tensor(x.T).unfold(dim, min(size, 3), step),
    )
    mx, tx = mg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    got, want = mx.unfold(dim, size, step), tx.unfold(dim, size, step)
    w = arr(*want.shape)
    (got * mg.tensor(w)).sum().backward()
    (want * torch.tensor(w)).sum().backward()
    close(mx.grad, tx.grad)
    assert mg.gradgradcheck(
        lambda a: a.unfold(dim, size, step) ** 2, [mg.tensor(x, requires_grad=True)]
    )


def test_unfold_edges():
    close(mg.tensor(5.0).unfold(0, 1, 1), torch.tensor(5.0).unfold(0, 1, 1))
    close(mg.ones(0, 2).unfold(1, 2, 1), torch.ones(0, 2).unfold(1, 2, 1))
    with pytest.raises(RuntimeError):
        mg.ones(3).unfold(0, 4, 1)
    with pytest.raises(RuntimeError):
        mg.ones(3).unfold(0, 2, 0)


def test_splits():
    x = np.arange(24.0).reshape(4, 3, 2)
    for name, arg in [
        ("vsplit", 2),
        ("vsplit", [1, 3]),
        ("hsplit", 3),
        ("hsplit", [1]),
        ("dsplit", 2),
    ]:
        got, want = getattr(mg.tensor(x), name)(arg), getattr(torch.tensor(x), name)(arg)
        assert len(got) == len(want)
        for g, w in zip(got, want, strict=True):
            close(g, w)
        got = getattr(mg, name)(mg.tensor(x), arg)
        close(got[0], want[0])
    close(mg.tensor(np.arange(6)).hsplit(3)[1], torch.arange(6).hsplit(3)[1])
    for bad in [
        lambda: mg.tensor(x).vsplit(3),
        lambda: mg.ones(3).vsplit(1),
        lambda: mg.ones(2, 2).dsplit(1),
    ]:
        with pytest.raises(RuntimeError):
            bad()
    got, want = mg.tensor(x).split_with_sizes([1, 3]), torch.tensor(x).split_with_sizes([1, 3])
    close(got[1], want[1])
    got, want = (
        mg.split_with_sizes(mg.tensor(x), [2, 1], 1),
        torch.split_with_sizes(torch.tensor(x), [2, 1], 1),
    )
    close(got[0], want[0])
    with pytest.raises(RuntimeError):
        mg.tensor(x).split_with_sizes([1, 2])


def test_random_fills():
    mg.manual_seed(3)
    a = mg.empty(2000, dtype=mg.float64).log_normal_(0.5, 0.25)
    assert (a.numpy() > 0).all() and abs(np.log(a.numpy()).mean() - 0.5) < 0.03
    mg.manual_seed(3)
    b = mg.empty(2000, dtype=mg.float64).log_normal_(0.5, 0.25)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    c = mg.empty(4000).cauchy_(1.0, 2.0)
    assert c.dtype == np.float32 and abs(np.median(c.numpy()) - 1.0) < 0.2
    g = mg.empty(4000).geometric_(0.25)
    assert g.numpy().min() >= 1 and abs(g.numpy().mean() - 4.0) < 0.3
    gi = mg.zeros(100, dtype=mg.int64).geometric_(0.5)
    assert gi.dtype == np.int64 and gi.numpy().min() >= 1
    gen = mg.Generator().manual_seed(5)
    d1 = mg.empty(5).cauchy_(generator=gen)
    gen.manual_seed(5)
    np.testing.assert_array_equal(d1.numpy(), mg.empty(5).cauchy_(generator=gen).numpy())
    with pytest.raises(RuntimeError):
        mg.ones(2, requires_grad=True).log_normal_()
    with pytest.raises(RuntimeError):
        mg.ones(2).geometric_(1.5)
    with pytest.raises(RuntimeError):
        mg.tensor([1, 2]).cauchy_()


def test_casts_and_queries():
    x = mg.tensor([1.7, -2.2, 300.0])
    t = torch.tensor([1.7, -2.2, 300.0])
    for name in ("char", "short"):
        close(getattr(x, name)(), getattr(t, name)())
    close(mg.tensor([1.7, 2.2, 200.0]).byte(), torch.tensor([1.7, 2.2, 200.0]).byte())
    for dt, tdt in [
        (mg.float32, torch.float32),
        (mg.int64, torch.int64),
        (mg.uint8, torch.uint8),
        (mg.bool_, torch.bool),
        (mg.int8, torch.int8),
    ]:
        assert mg.zeros(1, dtype=dt).is_signed() == torch.zeros(1, dtype=tdt).is_signed()
    assert mg.tensor([0.0]).is_nonzero() is False and mg.tensor(2).is_nonzero() is True
    for bad in (mg.ones(2), mg.ones(0)):
        with pytest.raises(RuntimeError):
            bad.is_nonzero()
    assert mg.ones(2, 3).is_same_size(mg.zeros(2, 3)) and not mg.ones(2, 3).is_same_size(
        mg.ones(3, 2)
    )
    assert mg.ones(1).is_cpu and mg.ones(1).get_device() == torch.ones(1).get_device() == -1
    e = mg.ones(2, dtype=mg.float64).new_empty_strided((2, 3), (3, 1))
    assert e.shape == (2, 3) and e.dtype == np.float64


def test_apply_and_map():
    x = np.arange(6.0).reshape(2, 3)
    mx, tx = mg.tensor(x), torch.tensor(x)
    assert mx.apply_(lambda v: v * v + 1) is mx
    tx.apply_(lambda v: v * v + 1)
    close(mx, tx)
    y = np.array([1.0, 2.0, 3.0])
    mx.map_(mg.tensor(y), lambda a, b: a - b)
    tx.map_(torch.tensor(y), lambda a, b: a - b)
    close(mx, tx)
    mi, ti = mg.tensor([1, 2]), torch.tensor([1, 2])
    mi.apply_(lambda v: v * 3)
    ti.apply_(lambda v: v * 3)
    close(mi, ti)
    with pytest.raises(RuntimeError):
        mg.ones(2, requires_grad=True).apply_(lambda v: v)
