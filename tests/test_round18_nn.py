"""Round 18 of the comparisons with PyTorch 2.13: module machinery and nn.init.
spectral_norm's default dim on ConvTranspose3d, trunc_normal_'s exact tails, a full
backward hook's zero gradients for an unused output, named_modules' memo, set_submodule's
checks, vector_to_parameters' views, BatchNorm's state_dict version, and the misuse of
init, clip_grads_with_norm_ and backward pre-hooks that PyTorch refuses."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")


def test_spectral_norm_defaults_to_dim_1_on_conv_transpose3d():
    rng = np.random.default_rng(0)
    W = rng.standard_normal((3, 4, 2, 2, 2))
    X = rng.standard_normal((1, 3, 2, 2, 2))
    tm = torch.nn.utils.spectral_norm(torch.nn.ConvTranspose3d(3, 4, 2, bias=False).double())
    mm = mg.nn.utils.spectral_norm(mg.nn.ConvTranspose3d(3, 4, 2, bias=False).double())
    assert tuple(mm.weight_u.shape) == tuple(tm.weight_u.shape) == (4,)
    assert tuple(mm.weight_v.shape) == tuple(tm.weight_v.shape) == (24,)
    with torch.no_grad():
        tm.weight_orig.copy_(torch.tensor(W))
    mm.load_state_dict({k: mg.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    tm.eval()
    mm.eval()
    yt = tm(torch.tensor(X)).detach().numpy()
    np.testing.assert_allclose(mm(mg.tensor(X)).detach().numpy(), yt, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    "kw",
    [
        dict(mean=0.0, std=1.0, a=-0.01, b=0.01),
        dict(mean=0.0, std=1.0, a=2.5, b=3.5),
        dict(mean=0.0, std=1.0, a=3.0, b=4.0),
        dict(mean=1.0, std=0.5, a=-0.5, b=0.2),
    ],
)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.filterwarnings("ignore:mean is more than 2 std")
def test_trunc_normal_samples_the_truncated_normal_exactly(kw, dtype):
    # the draws cannot match PyTorch's stream: compare the distributions, with tolerances
    # a few times the sampling error of 40000 draws (the old redraw-then-clamp put 44-88%
    # of the values on a or b in the first three cases)
    torch.manual_seed(0)
    mg.manual_seed(0)
    t = torch.nn.init.trunc_normal_(torch.empty(200, 200, dtype=getattr(torch, dtype)), **kw)
    m = mg.nn.init.trunc_normal_(mg.empty(200, 200, dtype=getattr(mg, dtype)), **kw)
    assert m.dtype == getattr(mg, dtype)
    tv, mv = t.numpy().astype(np.float64), m.numpy().astype(np.float64)
    assert kw["a"] <= mv.min() and mv.max() <= kw["b"]
    assert np.mean((mv == kw["a"]) | (mv == kw["b"])) < 1e-3
    q = [0.05, 0.25, 0.5, 0.75, 0.95]
    # about four standard errors of the difference of two such quantiles
    tol = 0.06 * tv.std()
    np.testing.assert_allclose(np.quantile(mv, q), np.quantile(tv, q), atol=tol)
    np.testing.assert_allclose(mv.std(), tv.std(), rtol=0.03)


def test_trunc_normal_bounds_as_pytorch():
    # a > b: PyTorch's uniform_ RuntimeError (minigrad raised ValueError); a == b fills with a
    with pytest.raises(RuntimeError, match=r"\[from, to\) range"):
        torch.nn.init.trunc_normal_(torch.empty(3), a=1.0, b=0.0)
    with pytest.raises(RuntimeError, match=r"\[from, to\) range"):
        mg.nn.init.trunc_normal_(mg.empty(3), a=1.0, b=0.0)
    t = torch.nn.init.trunc_normal_(torch.empty(3), a=1.0, b=1.0)
    m = mg.nn.init.trunc_normal_(mg.empty(3), a=1.0, b=1.0)
    np.testing.assert_array_equal(m.numpy(), t.numpy())
    for lib in (torch, mg):
        with pytest.warns(UserWarning, match="mean is more than 2 std from"):
            lib.nn.init.trunc_normal_(lib.empty(3), a=3.0, b=4.0)


def test_init_normal_and_uniform_refuse_what_pytorch_refuses():
    for lib in (torch, mg):
        with pytest.raises(RuntimeError, match="std >= 0.0"):
            lib.nn.init.normal_(lib.empty(3), std=-1.0)
        with pytest.raises(RuntimeError, match=r"from=1.* > to=0"):
            lib.nn.init.uniform_(lib.empty(3), 1.0, 0.0)


def test_init_orthogonal_refuses_float16_as_pytorch():
    with pytest.raises(NotImplementedError):
        torch.nn.init.orthogonal_(torch.empty(3, 4, dtype=torch.float16))
    with pytest.raises(NotImplementedError):
        mg.nn.init.orthogonal_(mg.empty(3, 4, dtype=mg.float16))


@pytest.mark.parametrize("sparsity", [0.5, 0.1, -0.5, 1.5, 0.0])
def test_init_sparse_zeroes_as_many_rows_per_column_as_pytorch(sparsity):
    torch.manual_seed(0)
    mg.manual_seed(0)
    t = torch.nn.init.sparse_(torch.empty(40, 500), sparsity, std=0.5)
    m = mg.nn.init.sparse_(mg.empty(40, 500), sparsity, std=0.5)
    assert m.dtype == mg.float32
    np.testing.assert_array_equal((m.numpy() == 0).sum(0), (t.numpy() == 0).sum(0))
    # which rows: a uniform choice per column, so every row is zeroed about as often
    share = (m.numpy() == 0).mean(1)
    np.testing.assert_allclose(share, share.mean(), atol=0.1)
    nz = m.numpy()[m.numpy() != 0]
    if nz.size:
        np.testing.assert_allclose(nz.std(), t.numpy()[t.numpy() != 0].std(), rtol=0.05)


def test_init_sparse_checks_as_pytorch():
    for lib in (torch, mg):
        with pytest.raises(ValueError, match="Only tensors with 2 dimensions"):
            lib.nn.init.sparse_(lib.empty(4, 3, 2), 0.5)
        with pytest.raises(RuntimeError, match="std >= 0.0"):
            lib.nn.init.sparse_(lib.empty(4, 3), 0.5, std=-1.0)
        with pytest.warns(FutureWarning):
            lib.nn.init.sparse(lib.empty(4, 3), 0.5)


def _hooked_two_input_module(lib, ignore_b):
    """A module of two inputs with a full backward hook, its upstream encoder, and the
    hook's record; with ignore_b the module does not use its second input at all."""
    nn = lib.nn

    class TwoHeads(nn.Module):
        def __init__(self):
            super().__init__()
            self.h1 = nn.Linear(2, 2, bias=False).double()
            self.h2 = nn.Linear(2, 2, bias=False).double()

        def forward(self, a, b):
            return self.h1(a) if ignore_b else (self.h1(a), self.h2(b))

    enc, m = nn.Linear(2, 2, bias=False).double(), TwoHeads()
    with lib.no_grad():
        enc.weight.copy_(lib.tensor([[1.0, 0.0], [0.5, 1.0]], dtype=lib.float64))
        m.h1.weight.copy_(lib.tensor([[0.5, -1.0], [2.0, 0.25]], dtype=lib.float64))
        m.h2.weight.copy_(lib.tensor([[1.5, 0.5], [-0.5, 1.0]], dtype=lib.float64))
    seen = []
    m.register_full_backward_pre_hook(lambda mod, go: seen.append(("pre", go)))
    m.register_full_backward_hook(lambda mod, gi, go: seen.append(("hook", gi, go)))
    return enc, m, seen


def _as_lists(grads):
    return [None if g is None else g.tolist() for g in grads]


@pytest.mark.parametrize("ignore_b", [False, True])
def test_full_backward_hook_gives_zeros_for_an_input_without_gradient(ignore_b):
    # the loss uses only the first output (or the module ignores its second input): the
    # hook's grad_input[1] is zeros, not None, and so is the encoder's .grad upstream, which
    # SGD's weight decay then moves; grad_output keeps None for the unused output
    res = {}
    for lib in (torch, mg):
        enc, m, seen = _hooked_two_input_module(lib, ignore_b)
        x = lib.tensor([[1.0, 2.0]], dtype=lib.float64)
        a = lib.tensor([[1.0, 2.0]], dtype=lib.float64, requires_grad=True)
        opt = lib.optim.SGD(list(enc.parameters()), lr=0.1, weight_decay=0.5)
        out = m(a, enc(x))
        (out if ignore_b else out[0]).sum().backward()
        (_, pre_go), (_, gi, go) = seen
        opt.step()
        res[lib] = (
            _as_lists(pre_go),
            _as_lists(gi),
            _as_lists(go),
            _as_lists([enc.weight.grad]),
            enc.weight.tolist(),
        )
    assert res[mg] == res[torch]
    assert res[mg][1][1] == [[0.0, 0.0]]


@pytest.mark.parametrize("kind", ["pre_hook", "hook"])
def test_backward_hooks_returning_a_bare_tensor_are_refused(kind):
    # a tuple of gradients is expected; PyTorch fails on a bare Tensor (minigrad took it
    # as a 1-tuple)
    for lib in (torch, mg):
        m = lib.nn.Linear(3, 2)
        if kind == "pre_hook":
            m.register_full_backward_pre_hook(lambda mod, go: go[0] * 0)
        else:
            m.register_full_backward_hook(lambda mod, gi, go: gi[0] * 0)
        x = lib.ones(1, 3, requires_grad=True)
        with pytest.raises(RuntimeError):
            m(x).sum().backward()
        # a list or tuple is taken
        m = lib.nn.Linear(3, 2)
        m.register_full_backward_pre_hook(lambda mod, go: [go[0] * 0])
        x = lib.ones(1, 3, requires_grad=True)
        m(x).sum().backward()
        assert x.grad.tolist() == [[0.0, 0.0, 0.0]]


def test_named_modules_memo_holds_modules():
    # a memo of modules skips them (and their subtrees) and gets each listed module added
    res = {}
    for lib in (torch, mg):
        m = lib.nn.Sequential(lib.nn.Linear(1, 1), lib.nn.Sequential(lib.nn.ReLU()))
        memo = {m[0], m[1]}
        names = [k for k, _ in m.named_modules(memo=memo)]
        assert m in memo and len(memo) == 3
        kept = [k for k, _ in m.named_modules(memo={m[1]}, remove_duplicate=False)]
        res[lib] = names, kept
    assert res[mg] == res[torch] == ([""], ["", "0"])


@pytest.mark.parametrize(
    "target, strict, error",
    [
        ("", False, ValueError),
        ("0.plain", False, AttributeError),
        ("0.weight", False, AttributeError),
        ("z", False, AttributeError),
        ("forward", False, AttributeError),
    ],
)
def test_set_submodule_refuses_as_pytorch(target, strict, error):
    for lib in (torch, mg):
        m = lib.nn.Sequential(lib.nn.Linear(2, 2))
        m[0].plain = 3
        m.register_module("z", None)
        before = [k for k, _ in m.named_modules()]
        with pytest.raises(error):
            m.set_submodule(target, lib.nn.Identity(), strict=strict)
        assert [k for k, _ in m.named_modules()] == before
        assert m[0].plain == 3 and isinstance(m[0].weight, lib.nn.Parameter)


def test_vector_to_parameters_sets_views_of_the_vector():
    # PyTorch's param.data = vec[i:i + n].view_as(param).data: the parameters take the
    # vector's dtype and share its memory (minigrad kept float64 copies)
    for lib in (torch, mg):
        ps = [lib.nn.Parameter(lib.zeros(2, 2, dtype=lib.float64)), lib.nn.Parameter(lib.zeros(3))]
        vec = lib.arange(7, dtype=lib.float32)
        lib.nn.utils.vector_to_parameters(vec, ps)
        vec[0] = 100.0
        assert [p.dtype for p in ps] == [lib.float32, lib.float32]
        assert ps[0][0, 0].item() == 100.0 and ps[1].tolist() == [4.0, 5.0, 6.0]
        assert all(isinstance(p, lib.nn.Parameter) and p.requires_grad for p in ps)


@pytest.mark.parametrize("shape", [(10,), (7, 1)])
def test_vector_to_parameters_takes_a_longer_or_2d_vector(shape):
    # the slices run along the first dim; what is left over is ignored
    res = {}
    for lib in (torch, mg):
        ps = [lib.nn.Parameter(lib.zeros(2, 2)), lib.nn.Parameter(lib.zeros(3))]
        vec = lib.arange(int(np.prod(shape)), dtype=lib.float32).reshape(shape)
        lib.nn.utils.vector_to_parameters(vec, ps)
        res[lib] = [p.tolist() for p in ps]
    assert res[mg] == res[torch]


def test_parameters_to_vector_of_nothing_is_a_value_error():
    for lib in (torch, mg):
        with pytest.raises(ValueError):
            lib.nn.utils.parameters_to_vector([])


@pytest.mark.parametrize("version", [2, 1, None])
def test_batchnorm_state_dict_version_decides_if_num_batches_tracked_may_miss(version):
    # version 2 (PyTorch's and now minigrad's) needs the counter in a strict load; an older
    # or metadata-less state dict may lack it, and the counter then keeps its value
    res = {}
    for lib in (torch, mg):
        m = lib.nn.BatchNorm1d(2)
        m.num_batches_tracked.fill_(5)
        sd = m.state_dict()
        assert sd._metadata[""]["version"] == 2
        del sd["num_batches_tracked"]
        if version is None:
            del sd._metadata
        else:
            sd._metadata[""]["version"] = version
        try:
            res[lib] = str(m.load_state_dict(sd)), int(m.num_batches_tracked)
        except RuntimeError as e:
            res[lib] = str(e).splitlines()[1].strip(), int(m.num_batches_tracked)
    assert res[mg] == res[torch]


def test_instance_norm_state_dict_version_is_2_as_pytorch():
    for lib in (torch, mg):
        assert lib.nn.InstanceNorm2d(3).state_dict()._metadata[""]["version"] == 2


def test_clip_grads_with_norm_refuses_a_plain_number_as_total_norm():
    for lib in (torch, mg):
        p = lib.nn.Parameter(lib.ones(2))
        p.grad = lib.ones(2)
        with pytest.raises(TypeError):
            lib.nn.utils.clip_grads_with_norm_([p], 0.5, 3.0)
        assert p.grad.tolist() == [1.0, 1.0]
        lib.nn.utils.clip_grads_with_norm_([p], 0.5, lib.tensor(3.0))
        np.testing.assert_allclose(p.grad.tolist(), [0.5 / (3.0 + 1e-6)] * 2, rtol=1e-6)
