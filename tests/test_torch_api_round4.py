"""PyTorch semantics found by a hostile pass over the new surface (round 4), each compared
with PyTorch itself: interpolate's unchanged axes and NaN locality, uint8 nearest
resizing, integer sizes; var(False)/std(False) and torch.var/std/mean keywords; mean/var/
std of integer tensors refused; embedding's second derivative with scale_grad_by_freq;
target shape checks of cosine_embedding_loss and multi_margin_loss; gaussian_nll_loss's
broadcast variance; hardswish at NaN; in-place dropout as the identity; hardtanh of
unsigned integers with negative limits; pad of nothing; load_state_dict(assign=True);
the legacy Upsampling layers; inference mode's flag; generator= on the *_like draws and
the initialisers."""

import numpy as np
import pytest
from torch_ref import both, same

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional


@pytest.mark.parametrize(
    "shape,mode,factor",
    [
        ((1, 1, 5), "linear", 1.1),
        ((1, 1, 3, 5), "bilinear", 1.3),
        ((1, 1, 5, 4), "bilinear", (1.1, 2.0)),
        ((1, 1, 3, 3, 5), "trilinear", 1.1),
        ((1, 1, 5, 5), "bicubic", 1.1),  # bicubic resamples even an unchanged size
    ],
)
def test_interpolate_copies_an_axis_whose_size_does_not_change(shape, mode, factor):
    a = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
    for align in (False, True):
        got = F.interpolate(mg.tensor(a), scale_factor=factor, mode=mode, align_corners=align)
        want = TF.interpolate(torch.tensor(a), scale_factor=factor, mode=mode, align_corners=align)
        same(got, want, atol=2e-5)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic", "area", "nearest"])
def test_interpolate_keeps_a_nan_local(mode):
    """One NaN input pixel reaches only the outputs that read it, and an inf in the
    incoming gradient only the inputs it reaches, as PyTorch's."""
    a = np.random.default_rng(0).standard_normal((1, 1, 6, 6)).astype(np.float32)
    a[0, 0, 2, 3] = np.nan
    size = (9, 4) if mode != "area" else (3, 2)
    x, tx = both(a, "float32", requires_grad=True)
    y, ty = F.interpolate(x, size=size, mode=mode), TF.interpolate(tx, size=size, mode=mode)
    same(y, ty, atol=2e-5)
    g = np.ones(ty.shape, np.float32)
    g[0, 0, 1, 1] = np.inf
    y.backward(mg.tensor(g))
    ty.backward(torch.tensor(g))
    same(x.grad, tx.grad, atol=2e-5)


def test_interpolate_uint8_sizes_and_errors():
    a = np.arange(16, dtype=np.uint8).reshape(1, 1, 4, 4)
    for mode in ("nearest", "nearest-exact"):
        same(
            F.interpolate(mg.tensor(a), scale_factor=1.5, mode=mode),
            TF.interpolate(torch.tensor(a), scale_factor=1.5, mode=mode),
        )
    with pytest.raises(RuntimeError, match="uint8 images are resized by the nearest"):
        F.interpolate(mg.tensor(a), scale_factor=2, mode="bilinear")
    assert F.interpolate(mg.zeros(1, 1, 2, 2), size=np.int64(5)).shape == (1, 1, 5, 5)
    with pytest.raises(TypeError, match="size must be an int"):
        F.interpolate(mg.zeros(1, 1, 2, 2), size=(3.0, 4.0))


def test_var_std_bool_overload_and_top_level_keywords():
    a = np.random.default_rng(1).standard_normal((4, 3)).astype(np.float32)
    x, tx = both(a, "float32")
    same(x.var(False), tx.var(False))
    same(x.std(False), tx.std(False))
    same(mg.var(x, unbiased=False), torch.var(tx, unbiased=False))
    same(mg.std(x, 0, correction=0), torch.std(tx, 0, correction=0))
    same(
        mg.mean(mg.tensor([1, 2, 4]), dtype=mg.float32),
        torch.mean(torch.tensor([1, 2, 4]), dtype=torch.float32),
    )
    for op in ("mean", "var", "std"):
        for t in (mg.tensor([1, 2]), mg.tensor([True, False])):
            with pytest.raises(RuntimeError, match=f"{op}.*floating point"):
                getattr(t, op)()
    with pytest.raises(NotImplementedError, match="complex"):
        mg.tensor(np.array([1 + 1j, 2 - 1j])).var()


def test_embedding_scale_grad_by_freq_second_derivative():
    w = np.arange(18, dtype=np.float64).reshape(6, 3) / 10
    idx = np.array([[0, 2, 2], [5, 2, 0]])
    out = []
    for lib, fn in ((mg, F.embedding), (torch, TF.embedding)):
        wt = lib.tensor(w, requires_grad=True)
        y = fn(lib.tensor(idx), wt, scale_grad_by_freq=True)
        (g,) = lib.autograd.grad((y**2).sum(), wt, create_graph=True)
        (g2,) = lib.autograd.grad(g.sum(), wt)
        out.append((g.detach().numpy(), g2.numpy()))
    for got, want in zip(*out, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12)


def test_loss_target_shape_checks_and_gaussian_broadcast():
    x = mg.randn(4, 3)
    with pytest.raises(RuntimeError, match="target of shape"):
        F.cosine_embedding_loss(x, x, mg.ones(4, 1))
    with pytest.raises(RuntimeError, match="class indices"):
        F.multi_margin_loss(x, mg.zeros(4, 1, dtype=mg.int64))
    a, b = np.random.default_rng(2).standard_normal((2, 4, 3))
    v = np.array([[0.5, 1.0, 2.0]])
    same(
        F.gaussian_nll_loss(mg.tensor(a), mg.tensor(b), mg.tensor(v)),
        TF.gaussian_nll_loss(torch.tensor(a), torch.tensor(b), torch.tensor(v)),
        rtol=1e-12,
    )
    with pytest.raises(ValueError, match="incorrect size"):
        F.gaussian_nll_loss(mg.tensor(a), mg.tensor(b), mg.ones(2, 2))


def test_small_edges():
    # hardswish passes the gradient at NaN, as PyTorch
    x, tx = both([np.nan, -3.0, 3.0], requires_grad=True)
    F.hardswish(x).sum().backward()
    TF.hardswish(tx).sum().backward()
    same(x.grad, tx.grad)
    # in-place dropout in eval mode or with p=0 is the identity: nothing recorded
    leaf = mg.ones(3, requires_grad=True)
    assert F.dropout(leaf, 0.5, training=False, inplace=True) is leaf
    assert nn.Dropout(0.0, inplace=True)(leaf) is leaf
    # unsigned integers cannot be clamped to negative limits
    with pytest.raises(RuntimeError, match="negative limits"):
        F.hardtanh(mg.tensor(np.array([1, 2], np.uint8)))
    assert F.relu6(mg.tensor(np.array([1, 9], np.uint8))).tolist() == [1, 6]
    # pad of nothing
    same(F.pad(mg.tensor(3.0), ()), TF.pad(torch.tensor(3.0), ()))


def test_load_state_dict_assign_and_upsampling_layers():
    m = nn.Linear(2, 3)
    sd = {"weight": mg.ones(3, 2), "bias": mg.zeros(3)}
    m.load_state_dict(sd, assign=True)
    assert isinstance(m.weight, nn.Parameter) and m.weight.requires_grad
    sd["weight"].add_(1.0)  # the parameter is the loaded tensor's memory
    assert m.weight.detach().numpy()[0, 0] == 2.0
    a = np.random.default_rng(3).standard_normal((1, 2, 3, 4)).astype(np.float32)
    for name in ("UpsamplingBilinear2d", "UpsamplingNearest2d"):
        same(
            getattr(nn, name)(scale_factor=2)(mg.tensor(a)),
            getattr(torch.nn, name)(scale_factor=2)(torch.tensor(a)),
            atol=1e-6,
        )


def test_inference_mode_flag_and_generators():
    assert not mg.is_inference_mode_enabled()
    with mg.inference_mode():
        assert mg.is_inference_mode_enabled() and not mg.is_grad_enabled()
        with mg.inference_mode(False):
            assert not mg.is_inference_mode_enabled()
    assert not mg.is_inference_mode_enabled()

    def draws(seed):
        g = mg.Generator().manual_seed(seed)
        w = mg.zeros(3, 4)
        nn.init.kaiming_uniform_(w, generator=g)
        return (
            w.numpy(),
            mg.randn_like(w, generator=g).numpy(),
            mg.rand_like(w, generator=g).numpy(),
            mg.randint_like(w, 5, generator=g).numpy(),
        )

    for got, again in zip(draws(7), draws(7), strict=True):
        np.testing.assert_array_equal(got, again)
    assert not np.array_equal(draws(7)[0], draws(8)[0])
    assert mg.randint_like(mg.zeros(2, 2), 3, 6).numpy().min() >= 3


# ---------------------------------------------------------------------- whole programs (r5)
def test_batchnorm_loads_a_state_dict_without_num_batches_tracked():
    """Old PyTorch checkpoints have no counter; PyTorch's BatchNorm loads them."""
    m = nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3))
    tm = torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.BatchNorm1d(3))
    m.train()
    m(mg.randn(4, 3))  # the counter is now 1
    sd = {k: v for k, v in m.state_dict().items() if "num_batches" not in k}
    tsd = {k: v for k, v in tm.state_dict().items() if "num_batches" not in k}
    got, want = m.load_state_dict(sd), tm.load_state_dict(tsd)
    assert got.missing_keys == want.missing_keys == []
    assert m.load_state_dict(sd, strict=False).missing_keys == []
    assert m[1].num_batches_tracked.item() == 1  # kept, as PyTorch keeps it
    with pytest.raises(RuntimeError, match="running_mean"):
        m.load_state_dict({k: v for k, v in sd.items() if "running_mean" not in k})


def test_shape_and_dtype_errors_are_runtime_errors_as_in_pytorch():
    """`except RuntimeError` (PyTorch's type) and `except ValueError`/`TypeError`
    (minigrad's earlier ones) both catch them."""
    with pytest.raises(RuntimeError):
        nn.Linear(6, 2)(mg.ones(2, 5))
    with pytest.raises(ValueError):
        nn.Linear(6, 2)(mg.ones(2, 5))
    with pytest.raises(RuntimeError):
        mg.ones(2, 3) @ mg.ones(2, 3)
    with pytest.raises(RuntimeError):
        F.nll_loss(mg.zeros(2, 3), mg.tensor([0.0, 1.0]))
    with pytest.raises(TypeError):
        F.nll_loss(mg.zeros(2, 3), mg.tensor([0.0, 1.0]))


def test_contains_size_cdist_linalg_and_pad_sequence():
    t = mg.tensor([1.0, 2.0])
    assert (2.0 in t) and (3 not in t) and (mg.tensor(1.0) in t)
    assert t.shape == mg.Size([2]) and mg.Size([2, 3]).numel() == 6
    rng = np.random.default_rng(4)
    a, b = rng.standard_normal((4, 3)), rng.standard_normal((5, 3))
    b[0] = a[0]  # a zero distance: PyTorch's gradient there is 0
    for p in (1.0, 2.0, 3.0):
        x, tx = both(a, requires_grad=True)
        y, ty = both(b, requires_grad=True)
        d, td = mg.cdist(x, y, p), torch.cdist(tx, ty, p)
        same(d, td, atol=1e-12)
        d.sum().backward()
        td.sum().backward()
        same(x.grad, tx.grad, atol=1e-12)
        same(y.grad, ty.grad, atol=1e-12)
    A, tA = both(rng.standard_normal((3, 4)))
    for kw in ({}, {"dim": 1}, {"ord": 1, "dim": 0}, {"ord": "fro"}, {"dim": (0, 1)}):
        same(mg.linalg.norm(A, **kw), torch.linalg.norm(tA, **kw), atol=1e-12)
    same(mg.linalg.vector_norm(A, 3), torch.linalg.vector_norm(tA, 3), atol=1e-12)
    seqs = [np.ones((3, 2)), np.full((1, 2), 2.0)]
    for batch_first in (False, True):
        for side in ("right", "left"):
            same(
                nn.utils.rnn.pad_sequence([mg.tensor(s) for s in seqs], batch_first, -1.0, side),
                torch.nn.utils.rnn.pad_sequence(
                    [torch.tensor(s) for s in seqs], batch_first, -1.0, side
                ),
            )


def _bag_cases():
    rng = np.random.default_rng(5)
    return [
        (np.array([1, 2, 0, 3, 5, 5]), np.array([0, 2, 2, 4]), {}),  # an empty bag
        (np.array([1, 2, 0, 3]), np.array([0, 2, 2, 4]), {"include_last_offset": True}),
        (rng.integers(0, 6, (3, 4)), None, {}),
        (np.array([1, 2, 0, 3, 2]), np.array([0, 2, 3]), {"padding_idx": 2}),
    ]


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("inp,offsets,kw", _bag_cases())
def test_embedding_bag_matches_pytorch(mode, inp, offsets, kw):
    w = np.random.default_rng(6).standard_normal((6, 3))
    x, tx = both(w, requires_grad=True)
    off = (None, None) if offsets is None else (mg.tensor(offsets), torch.tensor(offsets))
    y = F.embedding_bag(mg.tensor(inp), x, off[0], mode=mode, **kw)
    ty = TF.embedding_bag(torch.tensor(inp), tx, off[1], mode=mode, **kw)
    same(y, ty, atol=1e-12)
    g = np.random.default_rng(7).standard_normal(tuple(ty.shape))
    y.backward(mg.tensor(g))
    ty.backward(torch.tensor(g))
    same(x.grad, tx.grad, atol=1e-12)


def test_embedding_bag_weights_and_module():
    inp, offsets = np.array([1, 2, 0, 3, 5, 5]), np.array([0, 2, 2, 4])
    psw = np.random.default_rng(8).random(6)
    w, tw = both(np.random.default_rng(9).standard_normal((6, 3)), requires_grad=True)
    p, tp = both(psw, requires_grad=True)
    y = F.embedding_bag(mg.tensor(inp), w, mg.tensor(offsets), mode="sum", per_sample_weights=p)
    ty = TF.embedding_bag(
        torch.tensor(inp), tw, torch.tensor(offsets), mode="sum", per_sample_weights=tp
    )
    same(y, ty, atol=1e-12)
    y.sum().backward()
    ty.sum().backward()
    same(p.grad, tp.grad, atol=1e-12)
    m, tm = nn.EmbeddingBag(6, 3, mode="max"), torch.nn.EmbeddingBag(6, 3, mode="max")
    m.load_state_dict({"weight": mg.tensor(tm.weight.detach().numpy())})
    same(m(mg.tensor(inp), mg.tensor(offsets)), tm(torch.tensor(inp), torch.tensor(offsets)))
    assert repr(m) == repr(tm)
    with pytest.raises(NotImplementedError, match="per_sample_weights"):
        F.embedding_bag(mg.tensor(inp), w, mg.tensor(offsets), mode="mean", per_sample_weights=p)
