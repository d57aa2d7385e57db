"""What ported PyTorch programs (generative models, RL, contrastive learning, vision
training loops) found different, checked against PyTorch 2.13 itself."""

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as mnn

torch = pytest.importorskip("torch")


def _scale_fn(L):
    class Scale(L.autograd.Function):
        @staticmethod
        def forward(ctx, x, alpha=1.0, w=None):
            ctx.alpha = alpha
            ctx.seen = ctx.needs_input_grad
            return x * alpha

        @staticmethod
        def backward(ctx, g):
            return g * ctx.alpha, None, None

    return Scale


def test_function_apply_binds_keywords_to_forward():
    out = {}
    for L in (mg, torch):
        fn = _scale_fn(L)
        x = L.ones(3, requires_grad=True)
        y = fn.apply(x, alpha=2.0)
        y.sum().backward()
        out[L.__name__] = (y.tolist(), x.grad.tolist())
        # a keyword after a gap in the positions: PyTorch's 'missing required argument'
        with pytest.raises(TypeError, match="alpha"):
            fn.apply(x, w=x)
    assert out["minigrad"] == out["torch"] == ([2.0] * 3, [2.0] * 3)


def test_function_apply_with_setup_context_fills_defaults():
    got = {}
    for L in (mg, torch):

        class T(L.autograd.Function):
            @staticmethod
            def forward(x, alpha=1.5):
                return x * alpha

            @staticmethod
            def setup_context(ctx, inputs, output, name=L.__name__):
                got.setdefault(name, []).append(len(inputs))
                ctx.alpha = inputs[1]

            @staticmethod
            def backward(ctx, g):
                return g * ctx.alpha, None

        x = L.ones(2, requires_grad=True)
        T.apply(x).sum().backward()
        T.apply(x, alpha=3.0).sum().backward()
        assert x.grad.tolist() == [4.5, 4.5]
        with pytest.raises(TypeError):
            T.apply(x, 1.0, 2.0)
    assert got["minigrad"] == got["torch"] == [2, 2]


def test_backward_returning_a_number_is_a_runtime_error():
    for L in (mg, torch):

        class RetNum(L.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return 1.0

        with pytest.raises(RuntimeError):
            RetNum.apply(L.ones(2, requires_grad=True)).sum().backward()


def test_legacy_contiguous_format_as_in_gumbel_softmax_copies():
    for L in (mg, torch):
        logits = L.tensor([[0.1, 2.0, -1.0]])
        index = logits.max(-1, keepdim=True)[1]
        y = L.zeros_like(logits, memory_format=L.legacy_contiguous_format).scatter_(-1, index, 1.0)
        assert y.tolist() == [[0.0, 1.0, 0.0]]
    assert mg.legacy_contiguous_format is mg.contiguous_format


@pytest.mark.parametrize(
    "make",
    [
        lambda L: L.tensor(np.array([1.5, 2.0], dtype=object)),
        lambda L: L.as_tensor(np.array([1, 2], dtype=object)),
        lambda L: L.from_numpy(np.array([1.5], dtype=object)),
        lambda L: L.tensor(np.array(["a", "b"])),
        lambda L: L.tensor(np.array(["2020-01-01"], dtype="datetime64[D]")),
        lambda L: L.Tensor(np.array([1.5], dtype=object)),
    ],
)
def test_arrays_of_objects_strings_and_dates_are_refused(make):
    """A pandas `df.values` of mixed columns is an object array: PyTorch refuses it;
    minigrad made an object tensor that failed later (x + 1: KeyError 'O')."""
    with pytest.raises(TypeError, match="can't convert np.ndarray of type numpy"):
        make(torch)
    with pytest.raises(TypeError, match="can't convert np.ndarray of type numpy"):
        make(mg)


def test_lists_of_non_numbers_are_refused():
    for L in (mg, torch):
        with pytest.raises(RuntimeError, match="Could not infer dtype of NoneType"):
            L.tensor([1.0, None])
        with pytest.raises(RuntimeError, match="Could not infer dtype of object"):
            L.tensor([1.0, object()])
        with pytest.raises(ValueError, match="too many dimensions 'str'"):
            L.tensor(["a"])
    with pytest.raises(TypeError):
        mg.ones(2) + None
    for dt in (np.uint16, np.uint32, np.uint64, np.int8, np.bool_, np.complex64):
        assert mg.tensor(np.array([1], dt)).dtype == dt  # numbers of every kind still convert


def _bn_net(L):
    nn = L.nn
    return nn.Sequential(
        nn.Conv2d(2, 3, 1), nn.InstanceNorm2d(3, affine=True), nn.ReLU(), nn.BatchNorm2d(3)
    )


def test_instance_norms_are_not_batch_norms():
    """convert_sync_batchnorm turned InstanceNorm2d into SyncBatchNorm (other numbers,
    silently), and the usual freeze-every-BatchNorm loop caught instance norms too."""
    from minigrad.nn.modules.batchnorm import _BatchNorm
    from torch.nn.modules.batchnorm import _BatchNorm as _TBatchNorm

    for L, base in ((mg, _BatchNorm), (torch, _TBatchNorm)):
        net = _bn_net(L)
        conv = L.nn.SyncBatchNorm.convert_sync_batchnorm(net)
        assert [type(m).__name__ for m in conv] == [
            "Conv2d",
            "InstanceNorm2d",
            "ReLU",
            "SyncBatchNorm",
        ]
        assert [isinstance(m, base) for m in net] == [False, False, False, True]
        for cls in (L.nn.InstanceNorm1d, L.nn.InstanceNorm2d, L.nn.InstanceNorm3d):
            assert not issubclass(cls, base)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 2, 3, 3)).astype(np.float32)
    outs = []
    for L in (mg, torch):
        net = _bn_net(L)
        with L.no_grad():
            for p, v in zip(net.parameters(), range(99), strict=False):
                p.copy_(L.tensor(np.linspace(-1, 1, p.numel()).reshape(tuple(p.shape)) + v * 0.1))
        outs.append(L.nn.SyncBatchNorm.convert_sync_batchnorm(net)(L.tensor(x)).detach().numpy())
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-5, atol=1e-6)
    inorm = mnn.InstanceNorm2d(3, affine=True, track_running_stats=True)
    assert set(inorm.state_dict()) == set(
        torch.nn.InstanceNorm2d(3, affine=True, track_running_stats=True).state_dict()
    )


def test_channel_and_alpha_dropouts_are_not_dropout():
    """`isinstance(m, nn.Dropout)` (to switch on Monte Carlo dropout, say) picks out the
    element-wise layer only, as in PyTorch; all share _DropoutNd."""
    from minigrad.nn.modules.dropout import _DropoutNd

    names = [
        "Dropout",
        "Dropout1d",
        "Dropout2d",
        "Dropout3d",
        "AlphaDropout",
        "FeatureAlphaDropout",
    ]
    for name in names:
        m, t = getattr(mnn, name)(0.3), getattr(torch.nn, name)(0.3)
        assert isinstance(m, mnn.Dropout) == isinstance(t, torch.nn.Dropout), name
        assert isinstance(m, _DropoutNd) and repr(m) == repr(t)
    with pytest.raises(ValueError, match="Dropout2d: probability"):
        mnn.Dropout2d(1.5)


def test_in_place_through_two_views_as_pytorch():
    w = mg.ones(2, 3, requires_grad=True)
    h = w * mg.arange(6.0).reshape(2, 3)
    h[0] += h[1]
    h[-1] = h[-1].detach()  # the clone this test once needed is no longer needed
    h.sum().backward()
    tw = torch.ones(2, 3, requires_grad=True)
    th = tw * torch.arange(6.0).reshape(2, 3)
    th[0] += th[1]
    th[-1] = th[-1].detach()
    th.sum().backward()
    assert h.tolist() == th.tolist() and w.grad.tolist() == tw.grad.tolist()


def test_class_hierarchy_as_pytorch():
    """isinstance checks that hooks and freezing loops rely on: none of these classes
    derives from another here, as in PyTorch (a hook on every nn.Softmax caught a
    LogSoftmax head)."""
    pairs = [
        ("LogSoftmax", "Softmax"),
        ("Softmin", "Softmax"),
        ("AdaptiveAvgPool3d", "AdaptiveAvgPool2d"),
        ("CrossMapLRN2d", "LocalResponseNorm"),
        ("ReplicationPad2d", "ReflectionPad2d"),
    ]
    for sub, sup in pairs:
        assert issubclass(getattr(mnn, sub), getattr(mnn, sup)) == issubclass(
            getattr(torch.nn, sub), getattr(torch.nn, sup)
        ), (sub, sup)
    lazy, tlazy = mnn.LazyBatchNorm2d(), torch.nn.LazyBatchNorm2d()
    assert isinstance(lazy, mnn.BatchNorm2d) == isinstance(tlazy, torch.nn.BatchNorm2d)
    lazy(mg.randn(2, 3, 4, 4))
    tlazy(torch.randn(2, 3, 4, 4))
    assert type(lazy).__name__ == type(tlazy).__name__ == "BatchNorm2d"
    assert lazy.running_mean.shape == (3,)
    lazy_in = mnn.LazyInstanceNorm2d(affine=True)
    lazy_in(mg.randn(2, 3, 4, 4))
    assert type(lazy_in).__name__ == "InstanceNorm2d" and lazy_in.weight.shape == (3,)


@pytest.mark.parametrize(
    "path, name",
    [
        ("batchnorm", "_NormBase"),
        ("instancenorm", "_InstanceNorm"),
        ("conv", "_ConvTransposeNd"),
        ("pooling", "_AvgPoolNd"),
        ("pooling", "_AdaptiveAvgPoolNd"),
        ("pooling", "_AdaptiveMaxPoolNd"),
        ("dropout", "_DropoutNd"),
        ("padding", "_ReflectionPadNd"),
        ("padding", "_ReplicationPadNd"),
        ("padding", "_ConstantPadNd"),
        ("lazy", "LazyModuleMixin"),
    ],
)
def test_private_bases_importable_and_parents_as_pytorch(path, name):
    import importlib

    mine = getattr(importlib.import_module(f"minigrad.nn.modules.{path}"), name)
    theirs = getattr(importlib.import_module(f"torch.nn.modules.{path}"), name)
    for public in dir(torch.nn):
        t = getattr(torch.nn, public)
        if isinstance(t, type) and hasattr(mnn, public) and issubclass(t, torch.nn.Module):
            m = getattr(mnn, public)
            if isinstance(m, type):
                assert issubclass(m, mine) == issubclass(t, theirs), (public, name)


def test_soft_target_with_ignore_index_is_refused():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3)).astype(np.float32)
    p = rng.dirichlet(np.ones(3), 4).astype(np.float32)
    for L in (mg, torch):
        F = L.nn.functional
        with pytest.raises(RuntimeError, match="ignore_index is not supported"):
            F.cross_entropy(L.tensor(x), L.tensor(p), ignore_index=1)
    got = mg.nn.functional.cross_entropy(mg.tensor(x), mg.tensor(p))
    want = torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor(p))
    assert abs(got.item() - want.item()) < 1e-6


def test_uint8_targets_only_for_two_dim_input():
    rng = np.random.default_rng(0)
    for L in (mg, torch):
        F = L.nn.functional
        x2 = L.tensor(rng.standard_normal((2, 3)).astype(np.float32))
        F.cross_entropy(x2, L.tensor([0, 2], dtype=L.uint8))  # allowed for (N, C)
        x4 = L.tensor(rng.standard_normal((2, 3, 4, 4)).astype(np.float32))
        with pytest.raises(RuntimeError, match="Long but found Byte"):
            F.cross_entropy(x4, L.zeros(2, 4, 4, dtype=L.uint8))
