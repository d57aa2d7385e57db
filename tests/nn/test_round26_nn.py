"""Round 26 of the hostile reviews: batch norm's optional state, LRN, PReLU, missing names
and Module API details against PyTorch 2.13."""

import warnings

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")

F, TF = mg.nn.functional, torch.nn.functional
X = [[1.5, -2.0, 0.25], [0.5, 1.0, 2.0], [3.0, 0.125, -1.0], [0.0, 4.0, 1.0]]


def _raises_like_torch(mg_call, torch_call, exc, match=None):
    with pytest.raises(exc, match=match):
        torch_call()
    with pytest.raises(exc, match=match):
        mg_call()


# ------------------------------------------------------- batch norm's optional state
@pytest.mark.parametrize("momentum", [0.1, None, 0.3])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("rank", [2, 4])
def test_batch_norm_without_its_counter_trains_as_pytorch(momentum, dtype, rank):
    """num_batches_tracked set to None: running stats move with momentum (momentum=None:
    a factor 0, they stay), over three steps, then evaluation uses them."""
    rng = np.random.default_rng(0)
    shape = (4, 3) if rank == 2 else (4, 3, 2, 2)
    cls = "BatchNorm1d" if rank == 2 else "BatchNorm2d"
    m = getattr(mg.nn, cls)(3, momentum=momentum, dtype=getattr(mg, dtype))
    t = getattr(torch.nn, cls)(3, momentum=momentum, dtype=getattr(torch, dtype))
    m.num_batches_tracked = None
    t.num_batches_tracked = None
    for _ in range(3):
        x = rng.standard_normal(shape).astype(dtype)
        np.testing.assert_allclose(
            m(mg.tensor(x)).detach().numpy(), t(torch.tensor(x)).detach().numpy(), 1e-5, 1e-6
        )
    for name in ("running_mean", "running_var"):
        np.testing.assert_allclose(getattr(m, name).numpy(), getattr(t, name).numpy(), 1e-5, 1e-6)
    assert m.num_batches_tracked is None
    m.eval()
    t.eval()
    x = rng.standard_normal(shape).astype(dtype)
    np.testing.assert_allclose(
        m(mg.tensor(x)).detach().numpy(), t(torch.tensor(x)).detach().numpy(), 1e-5, 1e-6
    )


def test_sync_batch_norm_without_its_counter_asserts_in_training_as_pytorch():
    m, t = mg.nn.SyncBatchNorm(3), torch.nn.SyncBatchNorm(3)
    m.num_batches_tracked = t.num_batches_tracked = None
    _raises_like_torch(
        lambda: m(mg.tensor(X)), lambda: t(torch.tensor(X)), AssertionError, "num_batches_tracked"
    )
    m.eval()
    t.eval()
    np.testing.assert_allclose(
        m(mg.tensor(X)).detach().numpy(), t(torch.tensor(X)).detach().numpy(), 1e-6
    )


@pytest.mark.parametrize("missing", ["running_mean", "running_var"])
def test_batch_norm_refuses_exactly_one_running_stat_in_training(missing):
    """Both None or neither: one alone would be tracked while the other is not."""
    msg = "must either both be None or neither be None"

    def stats(lib):
        rm, rv = lib.zeros(3), lib.ones(3)
        return (None, rv) if missing == "running_mean" else (rm, None)

    _raises_like_torch(
        lambda: F.batch_norm(mg.tensor(X), *stats(mg), training=True),
        lambda: TF.batch_norm(torch.tensor(X), *stats(torch), training=True),
        ValueError,
        msg,
    )
    rm, rv = stats(mg)
    with pytest.raises(ValueError, match=msg):
        F.batch_norm(mg.tensor(X), rm, rv, training=True)
    given = rv if rm is None else rm  # not updated alone
    assert given.tolist() == ([1.0] * 3 if rm is None else [0.0] * 3)
    m, t = mg.nn.BatchNorm1d(3), torch.nn.BatchNorm1d(3)
    setattr(m, missing, None)
    setattr(t, missing, None)
    _raises_like_torch(lambda: m(mg.tensor(X)), lambda: t(torch.tensor(X)), ValueError, msg)
    m.eval()
    t.eval()  # evaluation needs both: a RuntimeError in either library
    _raises_like_torch(lambda: m(mg.tensor(X)), lambda: t(torch.tensor(X)), RuntimeError)
    # an empty batch passes, as PyTorch's
    got = F.batch_norm(mg.zeros(0, 3), *stats(mg), training=True)
    want = TF.batch_norm(torch.zeros(0, 3), *stats(torch), training=True)
    assert got.shape == tuple(want.shape) == (0, 3)
    # instance norm is a batch norm there, in both
    x = np.arange(24.0, dtype=np.float32).reshape(2, 3, 4)
    _raises_like_torch(
        lambda: F.instance_norm(mg.tensor(x), *stats(mg)),
        lambda: TF.instance_norm(torch.tensor(x), *stats(torch)),
        ValueError,
        msg,
    )


def test_batch_norm_module_without_running_stats_uses_batch_stats_in_eval():
    m, t = mg.nn.BatchNorm1d(3).eval(), torch.nn.BatchNorm1d(3).eval()
    m.running_mean = m.running_var = None
    t.running_mean = t.running_var = None
    np.testing.assert_allclose(
        m(mg.tensor(X)).detach().numpy(), t(torch.tensor(X)).detach().numpy(), 1e-6
    )


@pytest.mark.parametrize("momentum", [None, "0.1"])
def test_functional_batch_norm_refuses_a_momentum_that_is_not_a_number(momentum):
    _raises_like_torch(
        lambda: F.batch_norm(
            mg.tensor(X), mg.zeros(3), mg.ones(3), training=True, momentum=momentum
        ),
        lambda: TF.batch_norm(
            torch.tensor(X), torch.zeros(3), torch.ones(3), training=True, momentum=momentum
        ),
        TypeError,
        r"argument 'momentum' \(position 7\) must be float, not " + type(momentum).__name__,
    )


# ------------------------------------------------------------------------------ LRN
@pytest.mark.parametrize("shape", [(1, 2, 3), (1, 2, 3, 2), (1, 2, 1, 1, 3)])
@pytest.mark.parametrize("size", [0, -1])
def test_local_response_norm_refuses_an_empty_window(shape, size):
    x = np.arange(float(np.prod(shape))).reshape(shape)
    match = "kernel size should be greater than zero, but got k" + ("H" if len(shape) == 3 else "T")
    _raises_like_torch(
        lambda: F.local_response_norm(mg.tensor(x), size),
        lambda: TF.local_response_norm(torch.tensor(x), size),
        RuntimeError,
        match,
    )
    _raises_like_torch(
        lambda: mg.nn.LocalResponseNorm(size)(mg.tensor(x)),
        lambda: torch.nn.LocalResponseNorm(size)(torch.tensor(x)),
        RuntimeError,
        match,
    )
    # an empty input comes back as it is before the window is looked at, in both
    got = F.local_response_norm(mg.zeros((0,) + shape[1:]), size)
    assert got.shape == tuple(TF.local_response_norm(torch.zeros((0,) + shape[1:]), size).shape)


def test_local_response_norm_refuses_a_float_size():
    _raises_like_torch(
        lambda: F.local_response_norm(mg.ones(1, 2, 3), 2.0),
        lambda: TF.local_response_norm(torch.ones(1, 2, 3), 2.0),
        TypeError,
    )


@pytest.mark.parametrize("shape", [(1, 2, 3), (2, 3, 2, 2), (1, 3, 1, 2, 2)])
@pytest.mark.parametrize(
    "kw",
    [
        {"size": 2},
        {"size": 3, "alpha": 0.5, "beta": 0.75, "k": 2.0},
        {"size": 2, "alpha": 1, "beta": 1, "k": 1},
    ],
)
def test_local_response_norm_of_int64_truncates_the_mean_as_pytorch(shape, kw):
    """PyTorch's integer average pool truncates the windowed mean of squares; the result
    is float32, whatever the int64 values."""
    x = (np.arange(np.prod(shape)) - 5).reshape(shape).astype(np.int64)
    got = F.local_response_norm(mg.tensor(x), **kw)
    want = TF.local_response_norm(torch.tensor(x), **kw)
    assert got.dtype == mg.float32 and want.dtype == torch.float32
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)


@pytest.mark.parametrize("dtype", ["int32", "int16", "int8", "uint8", "bool"])
@pytest.mark.parametrize("shape", [(1, 2, 3), (1, 2, 3, 2)])
def test_local_response_norm_refuses_other_integer_dtypes_as_pytorch(dtype, shape):
    x = np.ones(shape, dtype=dtype)
    _raises_like_torch(
        lambda: F.local_response_norm(mg.tensor(x), 2),
        lambda: TF.local_response_norm(torch.tensor(x), 2),
        NotImplementedError,
        "avg_pool",
    )
    empty = np.ones((0,) + shape[1:], dtype=dtype)  # passes through, its dtype kept
    got, want = (
        F.local_response_norm(mg.tensor(empty), 2),
        TF.local_response_norm(torch.tensor(empty), 2),
    )
    assert got.shape == tuple(want.shape) and str(got.dtype) == str(want.dtype).split(".")[1]


# ----------------------------------------------------------------------------- PReLU
@pytest.mark.parametrize("wshape", [(1, 1), (3, 1), (1, 3), (1, 1, 1)])
def test_prelu_refuses_a_weight_of_more_than_one_dim(wshape):
    _raises_like_torch(
        lambda: F.prelu(-mg.ones(2, 3), mg.full(wshape, 0.5)),
        lambda: TF.prelu(-torch.ones(2, 3), torch.full(wshape, 0.5)),
        RuntimeError,
        f"Expected `weight` to be a scalar or 1D tensor, but got: ndim = {len(wshape)}",
    )


@pytest.mark.parametrize("w", [0.25, [0.25], [0.1, 0.2, 0.3]])
def test_prelu_takes_a_scalar_or_1d_weight(w):
    x = [[-1.0, 2.0, -3.0], [4.0, -5.0, 0.0]]
    got = F.prelu(mg.tensor(x), mg.tensor(w)).numpy()
    np.testing.assert_allclose(got, TF.prelu(torch.tensor(x), torch.tensor(w)).numpy())


@pytest.mark.skipif(not hasattr(mg.Tensor, "prelu"), reason="Tensor.prelu: tensor.py's change")
def test_tensor_prelu_method():
    x, w = [-1.0, 1.0, -4.0], [0.25]
    np.testing.assert_allclose(
        mg.tensor(x).prelu(mg.tensor(w)).numpy(), torch.tensor(x).prelu(torch.tensor(w)).numpy()
    )


# --------------------------------------------------------------------- missing names
def test_hardtanh_takes_the_deprecated_keywords_with_pytorch_warning():
    x = [-3.0, -1.5, 0.5, 3.0]
    for lib in (torch, mg):
        with pytest.warns(FutureWarning, match="`min_value` is deprecated"):
            m = lib.nn.Hardtanh(min_value=-2.0)
        assert (m.min_val, m.max_val) == (-2.0, 1.0)
        with pytest.warns(FutureWarning, match="`max_value` is deprecated"):
            m = lib.nn.Hardtanh(max_value=2.5)
        assert (m.min_val, m.max_val) == (-1.0, 2.5)
        with pytest.warns(FutureWarning):
            m = lib.nn.Hardtanh(min_value=-2.0, max_value=2.0)
        assert m(lib.tensor(x)).tolist() == [-2.0, -1.5, 0.5, 2.0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert mg.nn.Hardtanh(-2.0, 2.0).min_val == -2.0  # the current names do not warn


def test_top_level_selu_in_place():
    x = mg.tensor([-1.0, 0.0, 1.0])
    t = torch.tensor([-1.0, 0.0, 1.0])
    assert mg.selu_(x) is x
    torch.selu_(t)
    np.testing.assert_allclose(x.numpy(), t.numpy(), rtol=1e-6)
    _raises_like_torch(
        lambda: mg.selu_(mg.tensor([1, 2])),
        lambda: torch.selu_(torch.tensor([1, 2])),
        NotImplementedError,
    )


@pytest.mark.parametrize(
    "name",
    ["dropout_", "alpha_dropout_", "feature_dropout", "feature_dropout_", "feature_alpha_dropout_"],
)
def test_top_level_native_dropouts(name):
    fn, tfn = getattr(mg, name), getattr(torch, name)
    inplace = name.endswith("_")
    for p, train in ((0.5, False), (0.0, True)):  # nothing drawn: x itself, in both
        x, t = mg.ones(2, 3), torch.ones(2, 3)
        assert (fn(x, p, train) is x) == (tfn(t, p, train) is t) == True  # noqa: E712
    x, t = mg.ones(2, 3, 2), torch.ones(2, 3, 2)  # p = 1: all dropped, no chance involved
    got, want = fn(x, 1.0, True), tfn(t, 1.0, True)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)
    assert (got is x) == inplace == (want is t)
    _raises_like_torch(
        lambda: fn(mg.ones(3), 1.5, False),
        lambda: tfn(torch.ones(3), 1.5, False),
        RuntimeError,
        "dropout probability has to be between 0 and 1, but got 1.5",
    )
    if inplace:  # a leaf that requires grad is refused
        _raises_like_torch(
            lambda: fn(mg.ones(2, 3, requires_grad=True), 0.5, True),
            lambda: tfn(torch.ones(2, 3, requires_grad=True), 0.5, True),
            RuntimeError,
        )


@pytest.mark.parametrize("name", ["feature_dropout", "feature_dropout_"])
def test_feature_dropout_draws_per_channel(name):
    mg.manual_seed(0)
    x = mg.ones(8, 16, 5)
    y = getattr(mg, name)(x, 0.5, True).numpy()
    assert set(np.unique(y)) <= {0.0, 2.0} and len(np.unique(y)) == 2
    assert (y == y[:, :, :1]).all()  # one draw per (N, C)
    _raises_like_torch(
        lambda: getattr(mg, name)(mg.ones(3), 0.5, True),
        lambda: getattr(torch, name)(torch.ones(3), 0.5, True),
        RuntimeError,
        "Feature dropout requires at least 2 dimensions in the input",
    )


# --------------------------------------------------------------------------- Unflatten
@pytest.mark.parametrize("sizes", [(2.0, 3), [2, 3.0], (np.int64(2), 3), 6, "23"])
def test_unflatten_refuses_sizes_that_are_not_python_ints_at_construction(sizes):
    with pytest.raises(TypeError) as want:
        torch.nn.Unflatten(1, sizes)
    with pytest.raises(TypeError) as got:
        mg.nn.Unflatten(1, sizes)
    assert str(got.value) == str(want.value)


@pytest.mark.parametrize("sizes", [[2, 3], (2, -1), (True, 6)])
def test_unflatten_keeps_its_sizes_as_given(sizes):
    m, t = mg.nn.Unflatten(1, sizes), torch.nn.Unflatten(1, sizes)
    assert repr(m) == repr(t)
    if True in sizes:  # a bool is an int to the check, refused by the reshape, in both
        _raises_like_torch(lambda: m(mg.ones(2, 6)), lambda: t(torch.ones(2, 6)), TypeError)
    else:
        assert m(mg.ones(2, 6)).shape == tuple(t(torch.ones(2, 6)).shape)


def test_unflatten_takes_a_size():
    m = mg.nn.Unflatten(1, mg.ones(2, 3).shape)
    assert m(mg.ones(4, 6)).shape == (4, 2, 3)


# --------------------------------------------------------------------------- Module API
def test_state_dict_positional_arguments_warn_as_pytorch():
    for lib in (torch, mg):
        m = lib.nn.Linear(1, 1)
        d = {}
        with pytest.warns(FutureWarning, match="Positional args are being deprecated"):
            r = m.state_dict(d, "p.")
        assert r is d and list(d) == ["p.weight", "p.bias"]
        with pytest.warns(FutureWarning):
            r = m.state_dict(None, "", True)
        assert r["weight"] is m.weight  # keep_vars by position
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert list(m.state_dict(prefix="q.")) == ["q.weight", "q.bias"]


def test_convert_sync_batchnorm_keeps_qconfig():
    for lib in (torch, mg):
        s = lib.nn.Sequential(lib.nn.BatchNorm1d(3), lib.nn.BatchNorm1d(3))
        s[0].qconfig = 5
        s2 = lib.nn.SyncBatchNorm.convert_sync_batchnorm(s)
        assert isinstance(s2[0], lib.nn.SyncBatchNorm) and s2[0].qconfig == 5
        assert not hasattr(s2[1], "qconfig")


@pytest.mark.parametrize("cast", ["double", "half", "to"])
def test_buffer_that_requires_grad_becomes_its_recorded_cast(cast):
    def run(lib, grad_mode):
        m = lib.nn.Module()
        b = lib.ones(2, requires_grad=True)
        m.register_buffer("b", b)
        with lib.set_grad_enabled(grad_mode):
            m.to(lib.float64) if cast == "to" else getattr(m, cast)()
        out = [m.b.requires_grad, m.b.is_leaf, m.b is b, str(m.b.dtype).split(".")[-1]]
        if grad_mode:
            (m.b * 2).sum().backward()
            out.append(b.grad.tolist())
        return out

    for grad_mode in (True, False):
        assert run(mg, grad_mode) == run(torch, grad_mode)


def test_buffer_cast_leaves_other_buffers_and_parameters_in_place():
    m = mg.nn.BatchNorm1d(3)
    objs = [m.weight, m.running_mean, m.num_batches_tracked]
    m.double()
    now = [m.weight, m.running_mean, m.num_batches_tracked]
    assert all(a is b for a, b in zip(now, objs, strict=True))
    assert m.running_mean.dtype == mg.float64 and m.num_batches_tracked.dtype == mg.int64


@pytest.mark.parametrize("momentum", [None, "0.1"])
def test_instance_norm_refuses_a_momentum_that_is_not_a_number(momentum):
    """F.instance_norm(momentum=None) failed on an unrelated TypeError or ran; PyTorch's
    argument parser refuses it, as batch_norm's; the module maps None to 0 as PyTorch's."""
    x = np.random.default_rng(0).standard_normal((4, 3, 2)).astype(np.float32)
    with pytest.raises(TypeError, match="momentum"):
        torch.nn.functional.instance_norm(torch.tensor(x), momentum=momentum)
    with pytest.raises(TypeError, match="instance_norm\\(\\): argument 'momentum'"):
        mg.nn.functional.instance_norm(mg.tensor(x), momentum=momentum)
    m = mg.nn.InstanceNorm1d(3, momentum=None, track_running_stats=True)
    m(mg.tensor(x))
    np.testing.assert_array_equal(m.running_mean.numpy(), np.zeros(3, np.float32))
