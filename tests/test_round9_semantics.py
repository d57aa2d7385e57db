"""Round nine of PyTorch semantics, each case against torch itself: shapes as Size (so
`x.new(x.size())` is a shape), float16 norms summed in float32, logit's eps clamp order,
sinc in float16 and float32, prelu's double backward at x = 0, and the Hurwitz zeta /
polygamma direct sum for q far below 0 (once a pass per term: -1e8 never finished)."""

import json
import math
import pickle

import numpy as np
import pytest

import minigrad as mg
from minigrad.ops import special as special_ops

torch = pytest.importorskip("torch")


# ---------------------------------------------------------------- shapes are Size


def test_shape_and_size_are_size_as_pytorch():
    x = mg.zeros(2, 3, 4)
    for s in (x.shape, x.size()):
        assert type(s) is mg.Size
        assert s == (2, 3, 4) and hash(s) == hash((2, 3, 4))
        assert repr(s) == "minigrad.Size([2, 3, 4])" and str(s) == repr(s)
    assert x.size(1) == 3 and type(x.size(-1)) is int
    # in an f-string (every error message) a shape reads as the tuple
    assert f"{x.shape}" == "(2, 3, 4)" and format(x.size()) == "(2, 3, 4)"
    with pytest.raises(ValueError, match=r"matmul of shapes \(2, 2, 3\) and \(3, 3, 1\)"):
        mg.zeros(2, 2, 3) @ mg.zeros(3, 3, 1)  # a broadcast failure inside NumPy
    assert type(mg.zeros(()).shape) is mg.Size and mg.zeros(()).shape == ()


@pytest.mark.parametrize(
    "expr",
    ["s[1:]", "s[:0]", "s + (5,)", "(5,) + s", "s * 2", "2 * s", "s[::-1]", "s + s"],
)
def test_size_arithmetic_and_slices_stay_size(expr):
    got = eval(expr, {"s": mg.zeros(2, 3, 4).shape})
    want = eval(expr, {"s": torch.zeros(2, 3, 4).shape})
    assert type(want) is torch.Size and type(got) is mg.Size
    assert tuple(got) == tuple(want)


def test_size_element_is_int_and_size_round_trips():
    s = mg.zeros(2, 3).shape
    assert type(s[0]) is int and s.numel() == 6
    assert pickle.loads(pickle.dumps(s)) == s and type(pickle.loads(pickle.dumps(s))) is mg.Size
    assert json.dumps(s) == "[2, 3]"
    assert np.zeros(s).shape == (2, 3)


@pytest.mark.parametrize("form", ["size()", "shape", "size(0)", "*size()"])
def test_new_with_a_shape_as_pytorch(form):
    def run(L):
        x = L.zeros(2, 3, 4)
        arg = {"size()": (x.size(),), "shape": (x.shape,), "size(0)": (x.size(0),)}
        y = x.new(*x.size()) if form == "*size()" else x.new(*arg[form])
        return tuple(y.shape), str(y.dtype).replace("torch.", "")

    assert run(mg) == run(torch)


def test_tensor_of_size_is_data_and_legacy_tensor_of_size_is_shape():
    s, ts = mg.zeros(2, 3).shape, torch.zeros(2, 3).shape
    np.testing.assert_array_equal(mg.tensor(s).numpy(), torch.tensor(ts).numpy())
    assert mg.tensor(s).dtype == mg.int64
    assert tuple(mg.Tensor(s).shape) == tuple(torch.Tensor(ts).shape) == (2, 3)
    # a plain tuple is data for both
    np.testing.assert_array_equal(mg.Tensor((2, 3)).numpy(), torch.Tensor((2, 3)).numpy())
    assert tuple(mg.zeros(2, 3).view(s).shape) == (2, 3)


# ---------------------------------------------------------------- float16 norms


def _f16(L, a, rg=False):
    return L.tensor(np.array(a, dtype=np.float16), requires_grad=rg)


@pytest.mark.parametrize("p", [2, 3, 1.5, 0.5, 1, float("inf"), 0])
@pytest.mark.parametrize("fill", [300.0, 0.1, 0.0])
def test_float16_norm_sums_in_float32(p, fill):
    a = np.full(100, fill, np.float16)
    a[3] = -a[3]

    def run(L):
        x = _f16(L, a, rg=True)
        y = x.norm(p=p)
        y.backward()
        v = L.linalg.vector_norm(_f16(L, a), ord=p)
        grad = None if x.grad is None else x.grad.numpy()  # None for p = 0, in both
        return y.detach().numpy(), grad, v.numpy()

    for got, want in zip(run(mg), run(torch), strict=True):
        assert (got is None) == (want is None) == (p == 0 and got is None)
        if got is None:
            continue
        assert got.dtype == np.float16
        np.testing.assert_array_equal(got, want)


def test_float16_clip_grad_norm_as_pytorch():
    def run(L):
        g = _f16(L, [300.0, 400.0])
        p = L.nn.Parameter(_f16(L, [1.0, 2.0]))
        p.grad = g.clone()
        total = L.nn.utils.get_total_norm([g])
        ret = L.nn.utils.clip_grad_norm_([p], 1.0)
        return total.numpy(), ret.numpy(), p.grad.numpy()

    got, want = run(mg), run(torch)
    assert float(got[0]) == 500.0  # it was inf, and every gradient was zeroed
    for a, b in zip(got, want, strict=True):
        assert a.dtype == b.dtype == np.float16
        np.testing.assert_array_equal(a, b)


def test_float16_sum_still_overflows_as_pytorch():
    a = np.full(3000, 30.0, np.float16)
    assert np.isinf(mg.tensor(a).sum().numpy()) and np.isinf(torch.tensor(a).sum().numpy())


# ---------------------------------------------------------------- logit


@pytest.mark.parametrize("eps", [None, 0.6, 0.5, 0.0, -0.1, 1e-6, 0.25, 1.0])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_logit_eps_as_pytorch(eps, dtype):
    a = np.array([-0.1, 0.0, 0.3, 0.5, 0.6, 1.0, 1.1, np.nan, -np.inf, np.inf], dtype=dtype)

    def run(L):
        x = L.tensor(a, requires_grad=True)
        y = L.logit(x, eps=eps)
        (g,) = L.autograd.grad(y.sum(), x)
        return y.detach().numpy(), g.numpy()

    (y, g), (ty, tg) = run(mg), run(torch)
    np.testing.assert_allclose(y, ty, rtol=1e-6, equal_nan=True)
    # at the NaN input PyTorch's float64 gradient is NaN or 0 by CPU (its vector kernel's
    # mask: 0 with AVX2 on an AMD EPYC); minigrad's is NaN, as its scalar formula gives
    keep = ~np.isnan(a)
    np.testing.assert_allclose(g[keep], tg[keep], rtol=1e-6, equal_nan=True)
    assert np.isnan(g[~keep]).all() and (np.isnan(tg[~keep]) | (tg[~keep] == 0)).all()


# ---------------------------------------------------------------- sinc


def test_sinc_float16_integers_round_to_zero_as_pytorch():
    a = np.array([1.0, 2.0, 0.5, 3.0, -4.0, 0.0, 1e-3, 100.0], dtype=np.float16)
    got = mg.sinc(mg.tensor(a)).numpy()
    want = torch.sinc(torch.tensor(a)).numpy()
    assert got.dtype == np.float16
    np.testing.assert_array_equal(got, want)


def test_sinc_float32_forward_in_float32_as_pytorch():
    rng = np.random.default_rng(3)
    a = np.concatenate([rng.standard_normal(4000) * 3, rng.random(1000) * 1e-2]).astype(np.float32)
    got = mg.sinc(mg.tensor(a)).numpy()
    want = torch.sinc(torch.tensor(a)).numpy()
    # both compute sin(pi x) / (pi x) in float32; the sines may round one ulp apart
    np.testing.assert_array_max_ulp(got, want, maxulp=2)
    assert np.mean(got == want) > 0.8
    # the value that rounded differently when minigrad divided in float64
    small = np.array([1e-3], np.float32)
    assert mg.sinc(mg.tensor(small)).numpy()[0] == torch.sinc(torch.tensor(small)).numpy()[0]


def test_sinc_gradient_as_pytorch_composition():
    a = np.array([0.0, 1e-5, 1e-3, 0.01, 0.5, -2.0, 3.25], dtype=np.float64)

    def run(L):
        x = L.tensor(a, requires_grad=True)
        (g,) = L.autograd.grad(L.sinc(x).sum(), x, create_graph=True)
        (gg,) = L.autograd.grad(g.sum(), x)
        return g.detach().numpy(), gg.numpy()

    for got, want in zip(run(mg), run(torch), strict=True):
        # near 0 both are cancellations of O(1) terms: equal to ~1e-7 relative
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-12, equal_nan=True)


# ---------------------------------------------------------------- prelu double backward


def _prelu_second(L, which, dtype):
    def T(a, rg=True):
        return L.tensor(np.array(a, dtype=dtype), requires_grad=rg)

    x, w = T([-1.0, 0.0, 2.0, -0.0, 3.0, -0.5]), T([0.2])
    v = T([1.0, 3.0, 5.0, 7.0, 2.0, -1.0])
    gx, gw = L.autograd.grad(L.nn.functional.prelu(x, w), [x, w], grad_outputs=v, create_graph=True)
    a = T([1, 2, 3, 4, 5, 6], rg=False)
    out = {"gx": (gx * a).sum(), "gw": gw.sum() * 1.5, "both": (gx * a).sum() + gw.sum() * 1.5}
    seconds = L.autograd.grad(out[which], [x, w, v], allow_unused=True)
    return [gx.detach().numpy(), gw.detach().numpy()] + [
        None if s is None else s.numpy() for s in seconds
    ]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("which", ["gx", "gw", "both"])
def test_prelu_double_backward_as_pytorch(which, dtype):
    got, want = _prelu_second(mg, which, dtype), _prelu_second(torch, which, dtype)
    for a, b in zip(got, want, strict=True):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-6)


def test_prelu_channel_weight_double_backward_as_pytorch():
    rng = np.random.default_rng(0)
    xa = rng.standard_normal((2, 3, 4)).round(0)  # many exact zeros
    wa = np.array([0.1, 0.25, -0.5])

    def run(L):
        x = L.tensor(xa, requires_grad=True)
        w = L.tensor(wa, requires_grad=True)
        y = L.nn.functional.prelu(x, w)
        gx, gw = L.autograd.grad((y * y).sum(), [x, w], create_graph=True)
        return [t.detach().numpy() for t in L.autograd.grad((gx**2).sum() + gw.sum(), [x, w])]

    for a, b in zip(run(mg), run(torch), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_prelu_first_order_value_at_zero_with_infinite_gradient():
    def run(L):
        x = L.tensor([0.0, -1.0], dtype=L.float64, requires_grad=True)
        w = L.tensor([0.2], dtype=L.float64, requires_grad=True)
        v = L.tensor([math.inf, 1.0], dtype=L.float64)
        with_graph = L.autograd.grad(L.nn.functional.prelu(x, w), [x, w], v, create_graph=True)
        plain = L.autograd.grad(L.nn.functional.prelu(x, w), [x, w], v)
        return [t.detach().numpy() for t in with_graph + plain]

    for a, b in zip(run(mg), run(torch), strict=True):
        np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------- zeta far left


@pytest.mark.parametrize("q", [-100000.5, -1000.25, -64.5, -65.5, -70.75, -1e8, -3.0, -0.0])
@pytest.mark.parametrize("n", [2, 3, 4])
def test_polygamma_far_below_zero_as_pytorch(n, q):
    def run(L):
        x = L.tensor([q], dtype=L.float64, requires_grad=True)
        y = L.polygamma(n, x)
        (g,) = L.autograd.grad(y.sum(), x)
        return y.detach().numpy(), g.numpy()

    for a, b in zip(run(mg), run(torch), strict=True):
        # an odd order at a half-integer cancels 1e5 terms of size up to 2^n: what is left
        # (~1e-14) is rounding in both, so the match there is absolute
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_zeta_blocks_add_in_the_term_by_term_order(monkeypatch):
    rng = np.random.default_rng(1)
    q = np.concatenate([-rng.random(40) * 5000 - 64, [-64.5, -63.5, -1e4 - 0.25]])
    for s in (2.0, 3.0, 6.0):
        blocked = special_ops._zeta_array(s, q.copy())
        monkeypatch.setattr(special_ops, "_FAR", math.inf)  # every term its own pass
        one_by_one = special_ops._zeta_array(s, q.copy())
        monkeypatch.undo()
        np.testing.assert_array_equal(blocked, one_by_one)


@pytest.mark.parametrize("p", [-1, -2, -0.5, -2.5, float("-inf")])
def test_negative_order_vector_norms_as_pytorch(p):
    rng = np.random.RandomState(0)
    cases = [
        np.array([1.0, -2.0, 3.0]),
        np.array([0.0, 1.0, 2.0]),
        np.zeros(2),
        np.array([np.inf, 2.0]),
        rng.randn(3, 4),
    ]
    for a in cases:

        def run(L, a=a):
            x = L.tensor(a, requires_grad=True)
            y = L.linalg.vector_norm(x, p, dim=-1)
            y.sum().backward()
            return y.detach().numpy(), x.grad.numpy()

        for got, want in zip(run(mg), run(torch), strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
