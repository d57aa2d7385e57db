"""Round 22 of the hostile reviews: ties, kinks and in-place edges against PyTorch 2.13."""

import itertools

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")

NAN, INF = float("nan"), float("inf")


def test_unique_along_dim_of_1d_keeps_every_nan_apart():
    x = [1.0, NAN, 3.0, NAN, 0.0]
    got = mg.unique(mg.tensor(x), dim=0, return_inverse=True, return_counts=True)
    want = torch.unique(torch.tensor(x), dim=0, return_inverse=True, return_counts=True)
    # PyTorch's order among NaNs follows its sort; shapes, counts and the finite values agree
    assert got[0].shape == tuple(want[0].shape) == (5,)
    np.testing.assert_array_equal(got[2].numpy(), want[2].numpy())
    np.testing.assert_array_equal(np.sort(got[0].numpy()), np.sort(want[0].numpy()))
    vals = got[0].numpy()
    np.testing.assert_array_equal(vals[got[1].numpy()][[0, 2, 4]], [1.0, 3.0, 0.0])


@pytest.mark.parametrize(
    "vals",
    [
        [1.0, 1.0, INF],
        [2.0, INF],
        [1.0, 0.0, INF],
        [-1.0, INF, 2.0, 0.5],
        [INF, 1.0, 2.0],
        [NAN, 2.0, 3.0],
        [2.0, -INF, 3.0],
    ],
)
def test_cumprod_gradient_beside_an_inf_as_pytorch(vals):
    w = [0.5, 0.87, 1.24, 1.61][: len(vals)]
    grads = []
    for L in (torch, mg):
        x = L.tensor(vals, dtype=L.float64, requires_grad=True)
        (L.cumprod(x, 0) * L.tensor(w, dtype=L.float64)).sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-12)


def test_cumprod_gradient_sweep_without_zeros_matches_pytorch():
    """Every length-3 vector over {NaN, -1, 2, inf} (no zeros): PyTorch's gradients."""
    for combo in itertools.product([NAN, -1.0, 2.0, INF], repeat=3):
        grads = []
        for L in (torch, mg):
            x = L.tensor(list(combo), dtype=L.float64, requires_grad=True)
            (L.cumprod(x, 0) * L.tensor([0.5, 0.87, 1.24], dtype=L.float64)).sum().backward()
            grads.append(x.grad.numpy())
        np.testing.assert_allclose(grads[1], grads[0], rtol=1e-12, err_msg=str(combo))


def test_cumprod_gradient_finite_unchanged_and_second_order():
    rng = np.random.default_rng(0)
    for vals in (rng.normal(size=6), np.array([1.5, 0.0, 2.0, -1.0, 0.0, 3.0])):
        for L in (torch, mg):
            x = L.tensor(vals, dtype=L.float64, requires_grad=True)
            (g,) = L.autograd.grad(L.cumprod(x, 0).sum(), x, create_graph=True)
            (gg,) = L.autograd.grad((g * g).sum(), x)
            if L is torch:
                want = (g.detach().numpy(), gg.numpy())
        np.testing.assert_allclose(g.detach().numpy(), want[0], rtol=1e-12)
        np.testing.assert_allclose(gg.numpy(), want[1], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("fn", ["nll_loss", "cross_entropy"])
def test_class_weight_that_requires_grad_is_refused(fn):
    for L in (torch, mg):
        x = L.tensor([[0.1, 0.9, -0.3], [0.4, 0.2, 0.0]], requires_grad=True)
        t = L.tensor([1, 2])
        w = L.tensor([1.0, 2.0, 0.5], requires_grad=True)
        with pytest.raises(RuntimeError, match="requires_grad"):
            getattr(L.nn.functional, fn)(x, t, weight=w)
        getattr(L.nn.functional, fn)(x, t, weight=w.detach())  # detached: runs
        with L.no_grad():
            getattr(L.nn.functional, fn)(x, t, weight=w)  # no graph: runs


def _after_inplace(L, make):
    a = L.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = L.tensor([4.0, 5.0, 6.0], requires_grad=True)
    x = a * 1
    y = make(L, x, w)
    with L.no_grad():
        x.mul_(2)
    y.sum().backward()
    return a.grad.numpy(), None if w.grad is None else w.grad.numpy()


@pytest.mark.parametrize(
    "make",
    [
        lambda L, x, w: L.lerp(x, w, 0.25),
        lambda L, x, w: L.lerp(x, w, 0.75),
        lambda L, x, w: L.einsum("i->", x),
        lambda L, x, w: L.einsum("i,i->i", x, w.detach()),
    ],
)
def test_backward_that_reads_no_changed_input_runs(make):
    got, want = _after_inplace(mg, make), _after_inplace(torch, make)
    for g, t in zip(got, want, strict=True):
        if t is None:
            assert g is None
        else:
            np.testing.assert_allclose(g, t)


@pytest.mark.parametrize(
    "make",
    [
        lambda L, x, w: L.lerp(x, w, L.tensor([0.25, 0.5, 0.75], requires_grad=True)),
        lambda L, x, w: L.einsum("i,i->i", x, w),
    ],
)
def test_backward_that_reads_a_changed_input_still_refuses(make):
    for L in (torch, mg):
        with pytest.raises(RuntimeError, match="modified"):
            _after_inplace(L, make)


def test_grad_fn_saved_tensors_as_the_autograd_notes_read_them():
    for L in (torch, mg):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        w = L.tensor([3.0, 4.0], requires_grad=True)
        y = x.pow(2)
        assert y.grad_fn._saved_self is x
        assert y.grad_fn._saved_exponent == 2
        z = x.exp()
        assert z.equal(z.grad_fn._saved_result) and z.grad_fn._saved_result is not z
        m = x * w
        assert m.grad_fn._saved_self is x and m.grad_fn._saved_other is w
        m.sum().backward()
        with pytest.raises(RuntimeError, match="after they have already been freed"):
            m.grad_fn._saved_self  # noqa: B018
        kept = x * w
        kept.sum().backward(retain_graph=True)
        assert kept.grad_fn._saved_other is w


@pytest.mark.parametrize("shape, dims", [((100000, 2), 0), ((20000, 5, 3), (0, 1)), ((3000,), 0)])
def test_float32_sum_over_leading_axes_is_accurate(shape, dims):
    """NumPy adds along an outer axis row by row: 10^5 float32 rows summed were off by
    about 1e-3 of the value (PyTorch's cascade: about 1e-7); the gradient of a broadcast
    (its sum back over the batch) too."""
    x = np.random.default_rng(0).uniform(0.0, 1.0, shape).astype(np.float32)
    exact = x.astype(np.float64).sum(dims)
    got = mg.tensor(x).sum(dims).numpy()
    np.testing.assert_allclose(got, exact, rtol=2e-6)
    np.testing.assert_allclose(
        mg.tensor(x).mean(dims).numpy(), exact / (x.size / exact.size), rtol=2e-6
    )
    m = mg.tensor(np.float32([0.5, -1.0]), requires_grad=True)
    (m.expand(100000, 2).sum(0) / 100000).sum().backward()
    np.testing.assert_allclose(m.grad.numpy(), [1.0, 1.0], rtol=1e-6)
    half = mg.tensor(x.astype(np.float16)).sum(dims).numpy()  # float16: float32 cascade
    np.testing.assert_allclose(half, exact, rtol=2e-3)


def test_function_whose_forward_and_backward_lack_staticmethod():
    """PyTorch runs cls.forward(ctx, ...) and cls.backward(ctx, ...) either way."""
    results = []
    for L in (torch, mg):

        class Double(L.autograd.Function):
            def forward(ctx, x):  # noqa: N805 - written as PyTorch users write it
                ctx.save_for_backward(x)
                return x * 2

            def backward(ctx, g):  # noqa: N805
                (x,) = ctx.saved_tensors
                return g * 2 + 0 * x

        x = L.tensor([1.0, -3.0], requires_grad=True)
        y = Double.apply(x)
        y.sum().backward()
        results.append((y.detach().numpy(), x.grad.numpy()))
    np.testing.assert_array_equal(results[1][0], results[0][0])
    np.testing.assert_array_equal(results[1][1], results[0][1])
