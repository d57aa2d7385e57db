"""var and std as one node (ops/reduce.py's SecondMoment) against their composites of ops
and against PyTorch: the same forward bits, the same gradients, second derivatives, and
the edges (constant inputs, no degrees of freedom left, NaN and inf, non-contiguous
inputs, float16, empty and 0-d tensors, integers)."""

import warnings

import numpy as np
import pytest
from op_cases import torch_or_skip

import minigrad as mg
from minigrad.ops.reduce import SecondMoment, std_composite, var_composite

FUNCS = [("var", mg.var, var_composite), ("std", mg.std, std_composite)]
CASES = [  # (shape, dim, correction, keepdim, dtype, layout)
    ((64, 256), None, 1, False, np.float32, "C"),
    ((5, 6, 7), (0, 2), 0, True, np.float32, "F"),
    ((5, 6, 7), -1, 1, False, np.float64, "T"),
    ((4, 3), 1, 2, False, np.float16, "C"),
    ((8, 9), 0, 1, True, np.float32, "strided"),
]


def _input(shape, dtype, layout, seed=0):
    a = (np.random.default_rng(seed).standard_normal(shape) * 2 + 1).astype(dtype)
    if layout == "F":
        return np.asfortranarray(a)
    if layout == "T":
        return np.ascontiguousarray(a.T).T
    if layout == "strided":
        return np.repeat(a, 2, axis=1)[:, ::2]
    return a


def _forward_backward(f, a, dim, correction, keepdim):
    x = mg.tensor(a, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # no degrees of freedom left: PyTorch's warning
        y = f(x, dim=dim, correction=correction, keepdim=keepdim)
    gy = np.cos(np.arange(y.numel(), dtype=np.float64)).reshape(y.shape).astype(a.dtype)
    y.backward(mg.tensor(gy))
    return y, x.grad.numpy()


@pytest.mark.parametrize("shape,dim,correction,keepdim,dtype,layout", CASES)
@pytest.mark.parametrize("name,f,composite", FUNCS)
def test_fused_matches_composite(
    name, f, composite, shape, dim, correction, keepdim, dtype, layout
):  # noqa: E501
    a = _input(shape, dtype, layout)
    y1, g1 = _forward_backward(f, a, dim, correction, keepdim)
    y2, g2 = _forward_backward(composite, a, dim, correction, keepdim)
    assert isinstance(y1.grad_fn, SecondMoment)
    assert y1.dtype == y2.dtype == dtype and y1.shape == y2.shape
    np.testing.assert_array_equal(y1.detach().numpy(), y2.detach().numpy())
    assert g1.dtype == dtype
    tol = {np.float16: 1e-3, np.float32: 1e-6, np.float64: 1e-14}[dtype]
    np.testing.assert_allclose(g1, g2, rtol=tol, atol=tol)


@pytest.mark.parametrize("name,f,composite", FUNCS)
@pytest.mark.parametrize("correction", [0, 1, 2, 5])
def test_no_freedom_over_every_dim_matches_torch(name, f, composite, correction):
    """A reduction over every dim takes PyTorch's other branch when correction leaves no
    degrees of freedom: gy times NaN at the mean, inf elsewhere (and std's 0 * that)."""
    torch = torch_or_skip()
    # [1, 1 + 2^-23] with no freedom: its float32 mean rounds to 1, the first value: NaN
    # there in PyTorch, whose backward takes the mean in x's own dtype (with freedom left
    # minigrad's gradient is worked in float64, where the mean is 1 + 2^-24)
    cases = [[1.0, 2.0], [3.0, 3.0], [[1.0, 2.0], [4.0, 2.5]]]
    cases += [[1.0, 1.0 + 2.0**-23]] if correction >= 2 else []
    for a in cases:
        a = np.array(a, np.float32)
        for create in (False, True):
            x, t = mg.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                y, ty = f(x, correction=correction), getattr(torch, name)(t, correction=correction)
            (g,) = mg.autograd.grad(y * 3.0, x, create_graph=create)
            (ty * 3.0).backward()
            np.testing.assert_allclose(y.item(), ty.item(), rtol=1e-6)
            np.testing.assert_allclose(g.detach().numpy(), t.grad.numpy(), rtol=1e-6)


@pytest.mark.parametrize("name,f,composite", FUNCS)
@pytest.mark.parametrize("correction", [0, 1, 2, 5])
def test_edges_match_torch(name, f, composite, correction):
    """No degrees of freedom left (correction 2 on 2 values: inf; 5: PyTorch's negative
    scale), a constant column (std's gradient 0), NaN and inf, and with no freedom a
    column whose float32 mean is its first value."""
    torch = torch_or_skip()
    a = np.array(
        [[1.0, 2.0, 3.0, 5.0, np.nan, np.inf, 1.0], [4.0, 6.0, 9.0, 5.0, 1.0, 2.0, 1 + 2**-23]],
        np.float32,
    )
    if correction < 2:  # (that column only where no freedom is left: see above)
        a = a[:, :-1]
    x = mg.tensor(a, requires_grad=True)
    t = torch.tensor(a, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y = f(x, dim=0, correction=correction)
        ty = getattr(torch, name)(t, dim=0, correction=correction)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-6)
    y.sum().backward()
    ty.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name,f,composite", FUNCS)
@pytest.mark.parametrize("dim", [None, 1, (0, 2)])
def test_second_derivatives(name, f, composite, dim):
    rng = np.random.default_rng(4)
    a = rng.standard_normal((3, 4, 2))
    gy = None

    def second(fn):
        x = mg.tensor(a, requires_grad=True)
        y = fn(x, dim=dim)
        nonlocal gy
        if gy is None:
            gy = np.cos(np.arange(y.numel())).reshape(y.shape)
        (g,) = mg.autograd.grad((y * mg.tensor(gy)).sum(), x, create_graph=True)
        (h,) = mg.autograd.grad((g * g).sum(), x)
        return h.numpy()

    np.testing.assert_allclose(second(f), second(composite), rtol=1e-10, atol=1e-12)
    x = mg.tensor(a, requires_grad=True)
    assert mg.gradcheck(lambda x: f(x, dim=dim), (x,))
    assert mg.gradgradcheck(lambda x: f(x, dim=dim), (x,))


def test_constant_input_std_gradient_is_zero_also_recorded():
    x = mg.tensor(np.full((3, 4), 2.5, np.float32), requires_grad=True)
    (g,) = mg.autograd.grad(mg.std(x, dim=1).sum(), x, create_graph=True)
    np.testing.assert_array_equal(g.detach().numpy(), np.zeros((3, 4), np.float32))
    (g,) = mg.autograd.grad(mg.std(x, dim=1).sum(), x)
    np.testing.assert_array_equal(g.numpy(), np.zeros((3, 4), np.float32))


@pytest.mark.parametrize("name,f,composite", FUNCS)
def test_empty_and_zero_d_take_the_composite_integers_are_refused(name, f, composite):
    torch = torch_or_skip()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e = f(mg.zeros(0, 3, requires_grad=True), dim=0)
        z = f(mg.tensor(2.0, requires_grad=True), correction=0)
        te = getattr(torch, name)(torch.zeros(0, 3), 0)
    for y in (e, z):
        assert y.grad_fn is not None and not isinstance(y.grad_fn, SecondMoment)
    np.testing.assert_array_equal(e.detach().numpy(), te.numpy())
    assert z.item() == 0.0
    with pytest.raises(RuntimeError, match="could not infer the output dtype"):
        f(mg.tensor([[1, 2], [3, 5]]), dim=1)


def test_in_place_change_after_forward_is_refused():
    x = mg.randn(3, 4, requires_grad=True)
    h = x * 1.0
    y = mg.var(h, dim=1)
    h.mul_(2.0)
    with pytest.raises(RuntimeError, match="modified in place"):
        y.sum().backward()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_std_output_changed_in_place_is_refused(dtype):
    """std's backward reads its output (PyTorch's StdBackward saves it): a change in place,
    even under no_grad, raises at the backward, as PyTorch's does; var reads no output."""
    x = mg.tensor(
        np.random.default_rng(5).standard_normal((4, 3)).astype(dtype), requires_grad=True
    )
    s = x.std(0)
    with mg.no_grad():
        s.mul_(10.0)
    with pytest.raises(RuntimeError, match="modified in place"):
        s.sum().backward()
    v = x.var(0)
    with mg.no_grad():
        v.mul_(10.0)
    v.sum().backward()
    assert np.isfinite(x.grad.numpy()).all()
