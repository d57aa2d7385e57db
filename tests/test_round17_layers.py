"""Layer options a differential fuzz against PyTorch 2.13 found handled otherwise: instance
norm of a constant channel with eps=0 and its channel checks, reflect/replicate padding
with negative widths, max pooling's padding limit with dilation, empty adaptive max pools,
group norm of one value per group, and PyTorch's exception types for misuse."""

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")


def _close(a, b):
    x, y = a.detach().numpy(), b.detach().numpy()
    assert x.shape == y.shape
    np.testing.assert_array_equal(np.isnan(x), np.isnan(y))
    np.testing.assert_allclose(x, y, rtol=1e-9, atol=1e-12, equal_nan=True)


@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("track", [True, False])
def test_instance_norm_of_a_constant_channel_with_eps_0(affine, track):
    x = np.array([[[5.0, 5.0, 5.0], [1.0, 2.0, 4.0]], [[0.0, 0.0, 0.0], [3.0, 3.0, 3.0]]])

    def run(L):
        m = L.nn.InstanceNorm1d(2, eps=0.0, affine=affine, track_running_stats=track).double()
        if affine:
            with L.no_grad():
                m.weight.copy_(L.tensor([2.0, 3.0]))
                m.bias.copy_(L.tensor([10.0, -1.0]))
        t = L.tensor(x, requires_grad=True)
        y = m(t)
        params = [t] + ([m.weight, m.bias] if affine else [])
        grads = L.autograd.grad((y * L.arange(12.0).reshape(2, 2, 3)).sum(), params)
        return [y, *grads] + ([m.running_mean, m.running_var] if track else [])

    for a, b in zip(run(mg), run(torch), strict=True):
        _close(a, b)


def test_instance_norm_checks_the_channels():
    x = np.random.default_rng(0).standard_normal((2, 1, 3))
    for L in (mg, torch):
        F = L.nn.functional
        with pytest.raises(RuntimeError, match="weight should contain"):
            F.instance_norm(L.tensor(x), weight=L.ones(2, dtype=L.float64))
        with pytest.raises(RuntimeError, match="running_mean should contain"):
            F.instance_norm(
                L.tensor(x), L.zeros(2, dtype=L.float64), L.ones(2, dtype=L.float64),
                use_input_stats=False,
            )  # fmt: skip
        with pytest.raises(ValueError, match="match num_features"):
            L.nn.InstanceNorm2d(3, affine=True)(L.ones(2, 1, 4, 4))
        with pytest.raises(ValueError, match="dim=0 to match num_features"):
            L.nn.InstanceNorm1d(2, affine=True)(L.ones(1, 2))
        with pytest.raises(RuntimeError):  # running stats of 1 for 4 unbatched channels
            L.nn.InstanceNorm1d(1, track_running_stats=True).eval()(L.ones(4, 1))
    # affine=False, no running stats: num_features is not used (PyTorch only warns)
    y = mg.nn.InstanceNorm1d(5)(mg.tensor(x))
    assert tuple(y.shape) == (2, 1, 3)


PADS = [
    ((3,), (-1, 2)),
    ((3,), (2, -1)),
    ((3,), (-2, 2)),
    ((3,), (-3, 1)),
    ((3,), (1, -3)),
    ((3,), (-1, 3)),
    ((3,), (-4, 0)),
    ((3, 4), (1, -2, -1, 2)),
    ((3, 4), (-3, 2, 1, 1)),
    ((4, 5), (1, 1, -4, 0)),
    ((4, 5), (0, 0, -3, -2)),
    ((2, 3, 4), (1, -1, -1, 1, 2, -2)),
]


@pytest.mark.parametrize("mode", ["reflect", "replicate"])
@pytest.mark.parametrize("shape,pad", PADS)
def test_reflect_and_replicate_with_negative_widths(mode, shape, pad):
    def run(L):
        x = L.arange(float(np.prod(shape)), dtype=L.float64).reshape(shape).requires_grad_()
        try:
            y = L.nn.functional.pad(x[None], pad, mode=mode)[0]
        except RuntimeError:
            return None
        w = L.arange(float(y.numel()), dtype=L.float64).reshape(y.shape)
        return y, L.autograd.grad((y * w).sum(), [x])[0]

    m, t = run(mg), run(torch)
    assert (m is None) == (t is None)
    if m is not None:
        for a, b in zip(m, t, strict=True):
            _close(a, b)


@pytest.mark.parametrize("n", [2, 3])
@pytest.mark.parametrize("kernel,pad,dilation", [(3, 2, 2), (3, 1, 2), (2, 1, 3), (4, 2, 2)])
def test_max_pool_padding_is_at_most_half_the_kernel(n, kernel, pad, dilation):
    outcomes = []
    for L in (mg, torch):
        x = L.randn(*(1, 1) + (9,) * n)
        f = getattr(L.nn.functional, f"max_pool{n}d")
        try:
            f(x, kernel, 1, pad, dilation)
            outcomes.append("ok")
        except RuntimeError:
            outcomes.append("refused")
    assert outcomes[0] == outcomes[1]


@pytest.mark.parametrize("n,size", [(1, (0,)), (2, (2, 0)), (3, (2, 2, 0)), (3, (0, 3, 3))])
def test_adaptive_max_pool_to_an_empty_size(n, size):
    for L in (mg, torch):
        x = L.randn(*(1, 2) + (3,) * n, requires_grad=True)
        f = getattr(L.nn.functional, f"adaptive_max_pool{n}d")
        y, idx = f(x, size, return_indices=True)
        assert tuple(y.shape) == (1, 2) + size and y.requires_grad
        assert str(idx.dtype).endswith("int64")
    for L in (mg, torch):
        with pytest.raises(RuntimeError):
            L.nn.functional.adaptive_max_pool3d(L.randn(1, 2, 3, 3, 3), (2, -1, 2))
        with pytest.raises(RuntimeError):
            L.nn.functional.adaptive_avg_pool3d(L.randn(1, 2, 3, 3, 3), (-1, 2, 2))


@pytest.mark.parametrize("shape,groups", [((1, 1, 1, 1), 1), ((1, 4), 4), ((1, 2, 1), 2)])
def test_group_norm_of_one_value_per_group(shape, groups):
    for L in (mg, torch):
        with pytest.raises(ValueError, match="more than 1 value per channel"):
            L.nn.functional.group_norm(L.ones(*shape), groups)
    m = mg.nn.functional.group_norm(mg.ones(2, 4), 4)  # a batch of 2 is enough
    assert tuple(m.shape) == (2, 4)


MISUSE = {
    "ConvTranspose3d output_padding >= stride": (
        lambda L: L.nn.functional.conv_transpose3d(
            L.ones(1, 1, 2, 2, 2), L.ones(1, 1, 2, 2, 2), stride=1, output_padding=1
        ),
        RuntimeError,
    ),
    "EmbeddingBag index == num_embeddings": (
        lambda L: L.nn.EmbeddingBag(4, 2)(L.tensor([[0, 4]])),
        RuntimeError,
    ),
    "EmbeddingBag index -1, scale_grad_by_freq": (
        lambda L: L.nn.EmbeddingBag(4, 2, scale_grad_by_freq=True)(L.tensor([[0, -1]])),
        RuntimeError,
    ),
    "embedding index out of range": (
        lambda L: L.nn.functional.embedding(L.tensor([5]), L.ones(4, 2)),
        IndexError,
    ),
    "Upsample(mode='foo')": (
        lambda L: L.nn.Upsample(scale_factor=2, mode="foo")(L.ones(1, 1, 2, 2)),
        NotImplementedError,
    ),
    "ZeroPad2d((1, 2, 3))": (lambda L: L.nn.ZeroPad2d((1, 2, 3))(L.ones(1, 1, 2, 2)), RuntimeError),
    "ConvTranspose2d(padding='same')": (
        lambda L: L.nn.ConvTranspose2d(1, 1, 3, padding="same")(L.ones(1, 1, 4, 4)),
        TypeError,
    ),
}


@pytest.mark.parametrize("case", MISUSE)
def test_misuse_raises_torchs_exception_type(case):
    fn, exc = MISUSE[case]
    for L in (mg, torch):
        with pytest.raises(exc):
            fn(L)


def test_embedding_bag_of_no_samples_gives_per_sample_weights_an_empty_gradient():
    grads = []
    for L in (mg, torch):
        e = L.nn.EmbeddingBag(4, 2, mode="sum").double()
        psw = L.zeros(0, dtype=L.float64, requires_grad=True)
        out = e(L.zeros(0, dtype=L.int64), L.tensor([0, 0]), per_sample_weights=psw)
        out.sum().backward()
        assert tuple(out.shape) == (2, 2) and float(out.abs().sum()) == 0.0
        grads.append(psw.grad)
    assert grads[0] is not None and tuple(grads[0].shape) == tuple(grads[1].shape) == (0,)


# ---------------------------------------------------------------- from the second review
def test_instance_norm_of_a_constant_float32_channel_with_eps_0():
    x = np.full((1, 3, 32, 32), 0.1, np.float32)
    x[0, 1] = np.random.default_rng(0).standard_normal((32, 32))
    outs = []
    for L in (mg, torch):
        t = L.tensor(x, requires_grad=True)
        y = L.nn.functional.instance_norm(t, eps=0.0)
        y.backward(L.tensor(x))
        outs.append((y.detach().numpy(), t.grad.numpy()))
    (my, mgrad), (ty, tgrad) = outs
    assert not my[0, 0].any() and not mgrad[0, 0].any()  # 0, as PyTorch's (not +-1, 2e8)
    np.testing.assert_allclose(my, ty, atol=2e-6)
    np.testing.assert_allclose(mgrad, tgrad, atol=2e-4)


def test_instance_norm_with_a_zero_running_variance_and_eps_0_is_nan():
    for L in (mg, torch):
        m = L.nn.InstanceNorm1d(2, eps=0.0, track_running_stats=True).eval()
        with L.no_grad():
            m.running_var.zero_()
        assert np.isnan(m(L.ones(1, 2, 3)).numpy()).all()


def test_instance_norm_refuses_a_weight_of_another_shape():
    for L in (mg, torch):
        with pytest.raises(RuntimeError):
            L.nn.functional.instance_norm(L.ones(2, 3, 4), weight=L.ones(3, 1))
        with pytest.raises(RuntimeError):
            L.nn.functional.instance_norm(L.ones(2, 3, 4), bias=L.zeros(1, 3))


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("pad", [(-2, -3), (-2, -3, 0, 0), (0, 0, -2, -2), (-6, 0), (-5, 0, 1, 1)])
def test_pads_that_leave_no_elements(mode, pad):
    shapes = []
    for L in (mg, torch):
        try:
            shapes.append(tuple(L.nn.functional.pad(L.ones(1, 4, 5), pad, mode=mode).shape))
        except RuntimeError:
            shapes.append("refused")
    assert shapes[0] == shapes[1]


def test_interpolate_of_a_2d_input_is_not_implemented():
    for L in (mg, torch):
        with pytest.raises(NotImplementedError):
            L.nn.functional.interpolate(L.ones(2, 2), scale_factor=2)


@pytest.mark.parametrize(
    "stmt",
    [
        "u.masked_fill_(L.tensor([True, False]), L.tensor(300))",
        "u.index_fill_(0, L.tensor([0]), L.tensor(-300))",
    ],
)
def test_fill_with_a_0d_tensor_that_does_not_fit_is_refused(stmt):
    for L in (mg, torch):
        with pytest.raises(RuntimeError, match="overflow"):
            exec(stmt, {}, {"L": L, "u": L.tensor([1, 2], dtype=L.uint8)})
    u = mg.tensor([1, 2], dtype=mg.uint8)
    u.masked_fill_(mg.tensor([True, False]), mg.tensor(-1))
    assert u.tolist() == [255, 2]  # -1 wraps, as PyTorch's
