"""elu, selu and celu as one node (ops/pointwise.py's ExpLinear) against their composite
of ops (the same functions with the node switched off): the same bits forward and
backward, signed zeros and infinities included; second derivatives; PyTorch."""

import numpy as np
import pytest
from op_cases import torch_or_skip

import minigrad as mg
import minigrad.nn.functional as F
from minigrad.ops.pointwise import ExpLinear

EDGE = [0.0, -0.0, 1e-40, -1e-40, 1e-3, -1e-3, 1.0, -1.0, -20.0, -100.0, 90.0, 1e30, -1e30]
EDGE += [np.inf, -np.inf, np.nan]

FUNCS = [
    ("elu", lambda x: F.elu(x), lambda t, TF: TF.elu(t)),
    ("elu 0.5", lambda x: F.elu(x, 0.5), lambda t, TF: TF.elu(t, 0.5)),
    ("elu 2.5", lambda x: F.elu(x, 2.5), lambda t, TF: TF.elu(t, 2.5)),
    ("selu", lambda x: F.selu(x), lambda t, TF: TF.selu(t)),
    ("celu", lambda x: F.celu(x), lambda t, TF: TF.celu(t)),
    ("celu 0.3", lambda x: F.celu(x, 0.3), lambda t, TF: TF.celu(t, 0.3)),
    ("celu -2", lambda x: F.celu(x, -2.0), lambda t, TF: TF.celu(t, -2.0)),
]


def _input(dtype, seed=0):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(200) * 3).astype(dtype)
    x[: len(EDGE)] = EDGE
    return x


def _bits(a):
    a = np.asarray(a)
    return a.view(np.uint32 if a.dtype == np.float32 else np.uint64)


def _run(f, x, gy):
    t = mg.tensor(x, requires_grad=True)
    y = f(t)
    (g,) = mg.autograd.grad(y, t, mg.tensor(gy))
    return y, g.numpy()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,f,tf", FUNCS)
def test_fused_is_the_composites_bits(name, f, tf, dtype, monkeypatch):
    x = _input(dtype)
    gy = np.cos(np.arange(x.size)).astype(dtype)
    gy[[0, 1, 7]] = [-0.0, np.inf, -0.0]
    y1, g1 = _run(f, x, gy)
    assert isinstance(y1.grad_fn, ExpLinear)
    t = mg.tensor(x, requires_grad=True)  # the recorded backward: the same first derivative
    (g_rec,) = mg.autograd.grad(f(t), t, mg.tensor(gy), create_graph=True)
    g_rec = g_rec.detach().numpy()
    np.testing.assert_array_equal(np.isnan(g_rec), np.isnan(g1))
    np.testing.assert_array_equal(_bits(g_rec)[~np.isnan(g1)], _bits(g1)[~np.isnan(g1)])
    monkeypatch.setattr(ExpLinear, "handles", staticmethod(lambda x: False))
    y2, g2 = _run(f, x, gy)
    assert not isinstance(y2.grad_fn, ExpLinear)
    nan = np.isnan(y2.detach().numpy())
    np.testing.assert_array_equal(np.isnan(y1.detach().numpy()), nan)
    np.testing.assert_array_equal(
        _bits(y1.detach().numpy())[~nan], _bits(y2.detach().numpy())[~nan]
    )
    gnan = np.isnan(g2)
    np.testing.assert_array_equal(np.isnan(g1), gnan)
    np.testing.assert_array_equal(_bits(g1)[~gnan], _bits(g2)[~gnan])


@pytest.mark.parametrize("name,f,tf", FUNCS)
def test_matches_torch(name, f, tf):
    """Off NaN: at a NaN input PyTorch's own gradient is gy on its scalar path (under 64
    values) and NaN on its vector path; minigrad's is gy, as the scalar path's."""
    torch = torch_or_skip()
    x = _input(np.float32, seed=1)
    x = x[~np.isnan(x)]
    gy = np.sin(np.arange(x.size)).astype(np.float32)
    t = torch.tensor(x, requires_grad=True)
    ty = tf(t, torch.nn.functional)
    ty.backward(torch.tensor(gy))
    y, g = _run(f, x, gy)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=2e-6, atol=1e-30)
    np.testing.assert_allclose(g, t.grad.numpy(), rtol=2e-6, atol=1e-30)


@pytest.mark.parametrize("name,f,tf", FUNCS)
def test_second_derivatives_match_the_composite(name, f, tf, monkeypatch):
    x = np.array([-3.0, -0.5, -1e-3, 0.0, 1e-3, 0.7, 2.0])
    gy = np.array([0.3, -1.0, 2.0, 1.5, -0.7, 1.1, 0.9])

    def second():
        t = mg.tensor(x, requires_grad=True)
        (g,) = mg.autograd.grad(f(t), t, mg.tensor(gy), create_graph=True)
        (h,) = mg.autograd.grad((g * g).sum(), t)
        return g.detach().numpy(), h.numpy()

    fused = second()
    monkeypatch.setattr(ExpLinear, "handles", staticmethod(lambda x: False))
    for a, b in zip(fused, second(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)
    monkeypatch.undo()
    t = mg.tensor(x[x != 0], requires_grad=True)  # off the kink for the numerical checks
    assert mg.gradcheck(f, (t,))
    assert mg.gradgradcheck(f, (t,))


def test_float16_in_place_and_non_contiguous(monkeypatch):
    h = mg.tensor(np.float16([-1.0, 0.0, 2.0]))
    assert F.elu(h).dtype == mg.float16
    a = np.linspace(-3, 3, 24, dtype=np.float32).reshape(4, 6)
    gy = np.cos(np.arange(24, dtype=np.float32)).reshape(6, 4)

    def run(make):
        base = mg.tensor(a, requires_grad=True)
        y = make(base)  # in the graph: of a transposed view, or in place on a copy
        y.backward(mg.tensor(gy if y.shape == gy.shape else gy.T))
        return y.detach().numpy(), base.grad.numpy(), y.grad_fn

    def transposed(base):
        x = base.T
        assert not x._data.flags.c_contiguous
        return F.selu(x)

    def in_place(base):
        x = base * 1.0
        return F.elu(x, 0.7, inplace=True)

    for make in (transposed, in_place):
        y1, g1, fn = run(make)
        assert isinstance(fn, ExpLinear)
        monkeypatch.setattr(ExpLinear, "handles", staticmethod(lambda x: False))
        y2, g2, _ = run(make)
        monkeypatch.undo()
        np.testing.assert_array_equal(_bits(y1), _bits(y2))
        np.testing.assert_array_equal(_bits(g1), _bits(g2))
