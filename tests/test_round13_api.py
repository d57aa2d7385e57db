"""Smaller PyTorch names that ported programs use, against PyTorch 2.13 itself: dtype
queries and promotion, isin, unravel_index, the real-tensor forms of the complex-aware
methods (conj, real, imag, mH, adjoint, H, angle), frexp, nn.Buffer and the top-level
spellings of Tensor methods."""

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as mnn

torch = pytest.importorskip("torch")

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


def _same(got, want):
    want = want.detach().numpy()
    got = got.detach().numpy()
    assert got.dtype == want.dtype and got.shape == want.shape, (got.dtype, want.dtype)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("a", DTYPES)
@pytest.mark.parametrize("b", DTYPES)
def test_promote_types_and_can_cast(a, b):
    got = np.dtype(mg.promote_types(getattr(mg, a), getattr(mg, b))).name
    assert got == str(torch.promote_types(getattr(torch, a), getattr(torch, b)))[6:]
    assert mg.can_cast(getattr(mg, a), getattr(mg, b)) == torch.can_cast(
        getattr(torch, a), getattr(torch, b)
    )


@pytest.mark.parametrize(
    "other", ["2.5", "2", "True", "L.tensor(2.5, dtype=L.float64)", "L.tensor([2.5])"]
)
@pytest.mark.parametrize("dtype", ["int32", "uint8", "float16", "bool"])
def test_result_type(other, dtype):
    def run(L):
        return L.result_type(L.tensor([1, 0], dtype=getattr(L, dtype)), eval(other))

    assert np.dtype(run(mg)).name == str(run(torch))[6:]


def test_dtype_isinstance():
    for d in (mg.float32, mg.int64, mg.bool, mg.zeros(1).dtype, mg.bfloat16):
        assert isinstance(d, mg.dtype)
    for not_d in (3, "float32", None, mg.zeros(1), float, np.generic):
        assert not isinstance(not_d, mg.dtype)
    with pytest.raises(TypeError):
        mg.dtype()
    with pytest.raises(TypeError):
        mg.promote_types("float32", mg.int64)


@pytest.mark.parametrize(
    "elements, test, kw",
    [
        ([1, 2, 3, 2], [2, 5], {}),
        ([1, 2, 3], [2, 5], {"invert": True}),
        ([[1.5, float("nan")], [0.0, -0.0]], [float("nan"), 0.0], {}),
        ([], [1], {}),
        ([1, 2, 3], [], {}),
        ([1, 2, 3], 2, {}),
        (3, [1, 2, 3], {}),
    ],
)
def test_isin(elements, test, kw):
    def run(L):
        e = L.tensor(elements) if isinstance(elements, list) else elements
        t = L.tensor(test) if isinstance(test, list) else test
        return L.isin(e, t, **kw)

    _same(run(mg), run(torch))


def test_isin_refuses_bool_as_pytorch():
    for L in (mg, torch):
        with pytest.raises(RuntimeError, match="Bool"):
            L.isin(L.tensor([True, False]), L.tensor([True]))


@pytest.mark.parametrize(
    "indices, shape",
    [([5, 7, 0], (2, 4)), (5, (2, 4)), ([[1, 2], [3, 4]], (5,)), ([-1, -8], (2, 4)), ([], (3, 3))],
)
def test_unravel_index(indices, shape):
    got = mg.unravel_index(mg.tensor(indices, dtype=mg.int64), shape)
    want = torch.unravel_index(torch.tensor(indices, dtype=torch.int64), shape)
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        _same(g, w)


def test_unravel_index_refusals():
    # out of [-8, 7] PyTorch wraps silently (its docs require the range); minigrad refuses
    for bad in (8, -9):
        with pytest.raises(RuntimeError, match=r"range \[-8, 7\]"):
            mg.unravel_index(mg.tensor([bad]), (2, 4))
    for L in (mg, torch):
        with pytest.raises(TypeError):
            L.unravel_index(L.tensor([1.0]), (2, 4))


def test_real_tensor_conjugate_forms_are_the_tensor_itself():
    x = mg.tensor([[1.0, -2.0], [3.0, 4.0]], requires_grad=True)
    for t in (x.conj(), x.resolve_conj(), x.resolve_neg(), x.real, mg.conj(x), mg.real(x)):
        assert t is x
    assert not x.is_conj() and not x.is_neg() and not mg.is_conj(x)
    _same(mg.isreal(x), torch.isreal(torch.tensor([[1.0, -2.0], [3.0, 4.0]])))
    for L in (mg, torch):
        with pytest.raises(RuntimeError, match="imag is not implemented"):
            _ = L.tensor([1.0]).imag
    z = mg.tensor([1 + 2j])
    for name in ("conj", "resolve_conj", "adjoint"):
        with pytest.raises(NotImplementedError, match="complex"):
            getattr(z, name)()
    with pytest.raises(NotImplementedError, match="complex"):
        _ = z.real
    _same(mg.tensor([1 + 0j, 1 + 1j]).isreal(), torch.tensor([1 + 0j, 1 + 1j]).isreal())


@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (4, 2, 3)])
@pytest.mark.parametrize("name", ["mH", "H", "adjoint", "mT"])
def test_matrix_adjoints_of_real_tensors(shape, name):
    arr = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)

    def run(L):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # PyTorch's 0-d deprecation warnings
            t = L.tensor(arr)
            r = getattr(t, name)
            return r() if name == "adjoint" else r

    try:
        want = run(torch)
    except RuntimeError:
        with pytest.raises(RuntimeError):
            run(mg)
        return
    _same(run(mg), want)


def test_angle_values_dtype_and_gradient():
    vals = [-2.0, -0.0, 0.0, 3.0, float("inf"), float("-inf"), float("nan")]
    for dt in ("float32", "float64"):
        x = mg.tensor(vals, dtype=getattr(mg, dt), requires_grad=True)
        tx = torch.tensor(vals, dtype=getattr(torch, dt), requires_grad=True)
        y, ty = x.angle(), tx.angle()
        _same(y, ty)
        (y * mg.arange(7.0).to(y.dtype)).sum().backward()
        (ty * torch.arange(7.0).to(ty.dtype)).sum().backward()
        _same(x.grad, tx.grad)
    for dt, vals in (("int64", [-1, 0, 2]), ("bool", [True, False]), ("uint8", [255, 0])):
        _same(
            mg.angle(mg.tensor(vals, dtype=getattr(mg, dt))),
            torch.angle(torch.tensor(vals, dtype=getattr(torch, dt))),
        )


@pytest.mark.parametrize("dt", ["float16", "float32", "float64"])
def test_frexp(dt):
    vals = [8.0, 0.3, 0.0, -0.0, -5.0, 1e-30, 6e4]
    got = mg.frexp(mg.tensor(vals, dtype=getattr(mg, dt)))
    tm, te = torch.frexp(torch.tensor(vals, dtype=getattr(torch, dt)))
    _same(got.mantissa, tm)
    _same(got.exponent, te)
    with pytest.raises(RuntimeError):
        mg.frexp(mg.tensor([1, 2]))


def test_buffer_registers_like_register_buffer():
    class Net(mnn.Module):
        def __init__(self):
            super().__init__()
            self.w = mnn.Parameter(mg.ones(2))
            self.stats = mnn.Buffer(mg.zeros(2))
            self.scratch = mnn.Buffer(mg.ones(1), persistent=False)

    class TNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.ones(2))
            self.stats = torch.nn.Buffer(torch.zeros(2))
            self.scratch = torch.nn.Buffer(torch.ones(1), persistent=False)

    m, tm = Net(), TNet()
    assert list(m.state_dict()) == list(tm.state_dict())
    assert [n for n, _ in m.named_buffers()] == [n for n, _ in tm.named_buffers()]
    assert isinstance(m.stats, mnn.Buffer) and not isinstance(mg.ones(1), mnn.Buffer)
    src = mg.ones(2, requires_grad=True) * 2
    b = mnn.Buffer(src)
    assert b.creator is None and b.requires_grad  # detached, requires_grad kept
    assert mnn.Buffer().shape == (0,)
    with pytest.raises(TypeError):
        mnn.Buffer([1.0])


def test_small_top_level_names():
    x = mg.arange(6.0).reshape(2, 3)
    tx = torch.arange(6.0).reshape(2, 3)
    _same(mg.fliplr(x), torch.fliplr(tx))
    _same(mg.flipud(x), torch.flipud(tx))
    _same(mg.narrow_copy(x, 1, 1, 2), torch.narrow_copy(tx, 1, 1, 2))
    assert mg.narrow_copy(x, 1, 1, 2)._data.base is not x._data
    _same(mg.scalar_tensor(3), torch.scalar_tensor(3))
    _same(mg.chain_matmul(x, x.T, x), torch.chain_matmul(tx, tx.T, tx))
    assert mg.is_complex(x) is False and mg.is_signed(x) is True and mg.is_inference(x) is False
    assert mg.is_same_size(x, x.clone()) and not mg.is_same_size(x, x.T)
    assert mg.detach(x.requires_grad_()).requires_grad is False
    mg.set_num_interop_threads(2)
    assert mg.get_num_interop_threads() == 2
    with pytest.raises(RuntimeError):
        mg.set_num_interop_threads(0)
    assert mg.set_flush_denormal(True) in (True, False)
    s = mg.seed()
    assert isinstance(s, int) and mg.initial_seed() == s
    assert x.pin_memory() is x and not x.is_pinned()


@pytest.mark.parametrize(
    "name",
    [
        "sigmoid",
        "rsqrt",
        "F.silu",
        "F.mish",
        "F.hardswish",
        "F.selu",
        "F.hardsigmoid",
        "F.leaky_relu",
    ],
)
def test_float16_activations_are_worked_in_float32_and_rounded_once(name):
    """PyTorch's CPU kernels compute half in float32 and round once; in float16 itself a
    third of these results were an ulp off. What is left is float32's own last-bit
    differences between the libraries, rounding the other way at a float16 halfway point."""
    import minigrad.nn.functional as MF

    rng = np.random.default_rng(0)
    x = (rng.standard_normal(4000) * 3).astype(np.float16)
    if name == "rsqrt":
        x = np.abs(x) + np.float16(0.01)

    def run(L, F):
        t = L.tensor(x, requires_grad=True)
        y = getattr(F, name[2:])(t) if name.startswith("F.") else getattr(t, name)()
        return t, y

    t, y = run(mg, MF)
    tt, ty = run(torch, torch.nn.functional)
    got, want = y.detach().numpy(), ty.detach().numpy()
    assert got.dtype == want.dtype == np.float16
    ulps = np.abs(got.view(np.int16).astype(np.int32) - want.view(np.int16).astype(np.int32))
    assert ulps.max() <= 1 and (ulps > 0).mean() < 0.005, ((ulps > 0).sum(), ulps.max())
    g = rng.standard_normal(4000).astype(np.float16)
    y.backward(mg.tensor(g))
    ty.backward(torch.tensor(g))
    assert t.grad.dtype == mg.float16
    assert (t.grad.numpy() != tt.grad.numpy()).mean() < 0.005


@pytest.mark.parametrize(
    "x, bins, kw",
    [
        ([1.0, 2.0, 1.0, 4.0], 3, {}),
        ([1.0, 2.0, 1.0, 4.0], 3, {"density": True}),
        ([2.0, 2.0], 4, {}),
        ([], 2, {}),
        ([1.0, 2.0, 1.0, 4.0], "edges", {}),
        ([1.0, 2.0, 1.0, 4.0], 2, {"range": (0.0, 2.0), "weight": [1.0, 2.0, 3.0, 4.0]}),
        ([[0.1, 0.7], [0.3, 0.99]], 5, {"range": (0.0, 1.0)}),
        ([-1e-3, 0.5, 1.0], 4, {}),
    ],
)
@pytest.mark.parametrize("dt", ["float32", "float64"])
def test_histogram(x, bins, kw, dt):
    def run(L):
        d = getattr(L, dt)
        b = L.tensor([0.0, 1.0, 2.0, 3.0], dtype=d) if bins == "edges" else bins
        k = dict(kw)
        if "weight" in k:
            k["weight"] = L.tensor(k["weight"], dtype=d)
        return L.histogram(L.tensor(x, dtype=d), b, **k)

    got, want = run(mg), run(torch)
    _same(got.hist, want.hist)
    _same(got.bin_edges, want.bin_edges)


def test_histogram_refusals():
    with pytest.raises(NotImplementedError):
        mg.histogram(mg.tensor([1, 2]), 2)
    for bad in ([1.0, float("inf")], [1.0, float("nan")]):
        for L in (mg, torch):
            with pytest.raises(RuntimeError, match="not finite"):
                L.histogram(L.tensor(bad), 2)
    with pytest.raises(RuntimeError):
        mg.histogram(mg.tensor([1.0]), 0)


def test_poisson_draws():
    mg.manual_seed(0)
    rates = mg.tensor([0.0, 1.0, 50.0] * 2000, dtype=mg.float64)
    d = mg.poisson(rates)
    assert d.dtype == mg.float64 and d.shape == rates.shape
    a = d.numpy().reshape(-1, 3)
    assert (a[:, 0] == 0).all() and abs(a[:, 1].mean() - 1) < 0.1 and abs(a[:, 2].mean() - 50) < 1
    assert (a == np.round(a)).all()
    with pytest.raises(RuntimeError):
        mg.poisson(mg.tensor([-1.0]))


def test_native_function_orders():
    """torch.dropout/layer_norm/batch_norm/instance_norm/embedding take PyTorch's native
    argument orders (weight first in embedding; weight and bias before the stats)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3, 5)).astype(np.float32)
    w, b = rng.standard_normal(3).astype(np.float32), rng.standard_normal(3).astype(np.float32)
    emb = rng.standard_normal((6, 2)).astype(np.float32)
    idx = np.array([[0, 5], [2, 2]])

    def run(L):
        X, W, B = L.tensor(x), L.tensor(w), L.tensor(b)
        rm, rv = L.zeros(3), L.ones(3)
        out = [
            L.dropout(X, 0.5, False),
            L.alpha_dropout(X, 0.3, False),
            L.feature_alpha_dropout(X, 0.3, False),
            L.layer_norm(X, (5,), None, None, 1e-5, True),
            L.layer_norm(X.transpose(1, 2), (3,), W, B, 1e-3, False),
            L.batch_norm(X, W, B, rm, rv, True, 0.1, 1e-5, False),
            rm,
            rv,
            L.instance_norm(X, W, B, None, None, True, 0.1, 1e-5, False),
            L.embedding(L.tensor(emb), L.tensor(idx)),
            L.embedding(L.tensor(emb), L.tensor(idx), 2),
        ]
        return out

    for g, t in zip(run(mg), run(torch), strict=True):
        np.testing.assert_allclose(g.detach().numpy(), t.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert (mg.dropout(mg.ones(1000), 0.5, True).numpy() == 0).mean() > 0.3


def test_jit_names_run_eagerly():
    calls = []

    class Net(mnn.Module):
        def __init__(self):
            super().__init__()
            self.fc = mnn.Linear(2, 1)

        @mg.jit.ignore
        def note(self):
            calls.append(1)

        @mg.jit.unused
        def unused(self):
            return 0

        def forward(self, x):
            if mg.jit.is_scripting() or mg.jit.is_tracing():
                raise AssertionError("the eager branch is the one minigrad takes")
            self.note()
            return self.fc(x) if x.sum() > 0 else -self.fc(x)  # a branch a trace would freeze

    net = Net()
    scripted = mg.jit.script(net)
    assert scripted is net and mg.jit.trace(net, mg.ones(1, 2)) is net
    x = mg.ones(1, 2)
    assert mg.equal(mg.jit.trace(net, x)(-x), -net.fc(-x))
    assert calls and mg.jit.annotate(list, [1]) == [1]
    assert mg.jit.ignore(drop=True)(len) is len
    with pytest.raises(NotImplementedError, match="state_dict"):
        mg.jit.save(net, "m.pt")
    with pytest.raises(NotImplementedError, match="state_dict"):
        mg.jit.load("m.pt")


def test_pytorch_import_paths_of_sampler_and_hooks():
    from minigrad.utils.data.distributed import DistributedSampler
    from minigrad.utils.hooks import RemovableHandle

    h = mg.ones(1, requires_grad=True).register_hook(lambda g: g)
    assert isinstance(h, RemovableHandle)
    s = DistributedSampler(10, num_replicas=2, rank=1, shuffle=False)
    assert list(s) == [1, 3, 5, 7, 9]


def test_float32_tanh_is_correctly_rounded_and_saturates():
    """NumPy's float32 tanh was an ulp off PyTorch's in a third of its values and gave
    0.99999994 up to |x| = 10, so 1 - y*y (its gradient, SAC's tanh-squash log-prob) stayed
    nonzero where PyTorch's is 0."""
    x = np.linspace(-12, 12, 200_001).astype(np.float32)
    got = mg.tanh(mg.tensor(x)).numpy()
    want = torch.tanh(torch.tensor(x)).numpy()
    assert got.dtype == np.float32 and (got != want).mean() < 0.005
    big = np.abs(x) >= 9.02
    assert (np.abs(got[big]) == 1).all() and (np.abs(want[big]) == 1).all()
    t = mg.tensor([9.5, -9.5, 0.3], requires_grad=True)
    t.tanh().sum().backward()
    assert t.grad.numpy()[:2].tolist() == [0.0, 0.0]
    for v, w in ((np.nan, np.nan), (np.inf, 1.0), (-np.inf, -1.0), (-0.0, -0.0)):
        r = mg.tanh(mg.tensor(np.float32(v))).numpy()
        assert r.dtype == np.float32 and (np.isnan(r) if np.isnan(w) else r == w)
    assert np.signbit(mg.tanh(mg.tensor(np.float32(-0.0))).numpy())
    assert mg.tanh(mg.tensor([1, 2])).dtype == mg.float32
    assert mg.tanh(mg.zeros(0)).shape == (0,)


_PROMO_DTYPES = DTYPES + ["complex64", "complex128"]
_SCALARS = [True, 2, 2.5, 1j]


def _promo_operands(L, dt, shape):
    return L.ones(shape, dtype=getattr(L, dt))


@pytest.mark.parametrize("default", ["float32", "float64"])
def test_type_promotion_of_every_pair_as_pytorch(default):
    """PyTorch's ResultTypeState: within each rank (dims, 0-d, scalars) and across ranks.
    A complex operand of a lower rank takes the width of a float above it: float64 (N,)
    * 1j was complex64 here (its values cut to float32), float64 (N,) + complex64 (N,)
    too."""
    mg.set_default_dtype(getattr(mg, default))
    torch.set_default_dtype(getattr(torch, default))
    try:
        bad = []
        for a in _PROMO_DTYPES:
            for sa in [(2,), ()]:
                others = [(b, sb) for b in _PROMO_DTYPES for sb in [(2,), ()]] + [
                    (s, None) for s in _SCALARS
                ]
                for b, sb in others:
                    ma, ta = _promo_operands(mg, a, sa), _promo_operands(torch, a, sa)
                    if sb is None:
                        mb = tb = b
                    else:
                        mb, tb = _promo_operands(mg, b, sb), _promo_operands(torch, b, sb)
                    got = np.dtype(mg.result_type(ma, mb)).name
                    want = str(torch.result_type(ta, tb)).replace("torch.", "")
                    want = want.replace("complex32", "complex64")  # minigrad has no complex32
                    if got != want:
                        bad.append((a, sa, b, sb, got, want))
                    if sb is not None or a != "bool":
                        got_op = (ma * mb).dtype.name
                        if got_op != want:
                            bad.append(("*", a, sa, b, sb, got_op, want))
        assert not bad, bad[:10]
    finally:
        mg.set_default_dtype(mg.float32)
        torch.set_default_dtype(torch.float32)


def test_review_fixes_against_pytorch():
    """What the review of this change found, each checked against torch itself."""
    # torch.embedding: every negative padding_idx means none (-2 zeroed row 2's gradient)
    for L in (mg, torch):
        w = L.ones(4, 2, requires_grad=True)
        L.embedding(w, L.tensor([0, 2, 2, 3]), -2).sum().backward()
        assert w.grad[:, 0].tolist() == [1.0, 0.0, 2.0, 1.0]
    # histogram density with nothing in range: NaN bins
    for L in (mg, torch):
        h = L.histogram(L.tensor([5.0]), 2, range=(0.0, 1.0), density=True).hist
        assert np.isnan(h.numpy()).all()
    # poisson: 0-d, integer input, a result tied to the rates with zero gradient
    for L in (mg, torch):
        assert L.poisson(L.tensor(3.0)).shape == ()
        with pytest.raises(NotImplementedError):
            L.poisson(L.tensor([1, 2]))
        r = L.tensor([1.0, 4.0], requires_grad=True)
        d = L.poisson(r)
        assert d.requires_grad
        d.sum().backward()
        assert r.grad.tolist() == [0.0, 0.0]
    # non-numbers: PyTorch's exception types
    for L in (mg, torch):
        for bad in (None, "a"):
            with pytest.raises(TypeError):
                L.full((2,), bad)
            with pytest.raises(TypeError):
                L.isin(L.tensor([1, 2]), bad)
        with pytest.raises(TypeError):
            L.tensor("abc")
        for big in (2**70, [2**70], 2**63, [2**63]):
            with pytest.raises(ValueError, match="Overflow"):
                L.tensor(big)
        assert L.tensor([1.5, 2**70]).dtype == L.float32
        t = L.ones(2)
        with pytest.raises(TypeError):
            t[0] = None
        with pytest.raises(TypeError):
            t.copy_(None)
        with pytest.raises(RuntimeError):
            L.dropout(L.ones(2), 1.5, True)
        with pytest.raises(RuntimeError):
            L.chain_matmul(L.ones(2))
        with pytest.raises(RuntimeError):
            L.fliplr(L.ones(2))
        with pytest.raises(RuntimeError):
            L.scalar_tensor(1 + 2j)
    assert mg.tensor([1.5, 2**70]).numpy()[1] == np.float32(2**70)


def test_apply_refuses_keyword_only_arguments_as_pytorch():
    for L in (mg, torch):

        class KwOnly(L.autograd.Function):
            @staticmethod
            def forward(x, *, scale=2.0):
                return x * scale

            @staticmethod
            def setup_context(ctx, inputs, output):
                pass

            @staticmethod
            def backward(ctx, g):
                return g

        class KwOnlyCtx(L.autograd.Function):
            @staticmethod
            def forward(ctx, x, *, scale=2.0):
                return x * scale

            @staticmethod
            def backward(ctx, g):
                return g

        x = L.ones(2, requires_grad=True)
        for fn in (KwOnly, KwOnlyCtx):
            with pytest.raises(TypeError):
                fn.apply(x, scale=3.0)


def test_one_removable_handle_for_tensors_modules_and_optimizers():
    from minigrad.utils.hooks import RemovableHandle

    m = mnn.Linear(2, 1)
    handles = [
        m.register_forward_hook(lambda *a: None),
        mg.ones(1, requires_grad=True).register_hook(lambda g: g),
        mg.optim.SGD(m.parameters(), lr=0.1).register_step_post_hook(lambda *a: None),
    ]
    for h in handles:
        assert isinstance(h, RemovableHandle)
    calls = []
    with m.register_forward_hook(lambda *a: calls.append(1)):
        m(mg.ones(1, 2))
    m(mg.ones(1, 2))
    assert calls == [1]


def test_buffer_over_a_plain_attribute_is_refused():
    for L in (mg, torch):
        m = L.nn.Module()
        m.c = 5
        with pytest.raises(KeyError, match="already exists"):
            m.c = L.nn.Buffer(L.ones(1))
        m.b = L.nn.Buffer(L.ones(1))
        m.b = L.nn.Buffer(L.zeros(2))
        assert dict(m.named_buffers())["b"].shape == (2,)


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"spacing": 2.0},
        {"spacing": [2.0, 0.5]},
        {"dim": 1},
        {"dim": [0]},
        {"edge_order": 2},
        {"spacing": 2.0, "edge_order": 2, "dim": 0},
        {"spacing": "coords"},
        {"spacing": "coords", "edge_order": 2},
        {"dim": -1, "spacing": [3]},
    ],
)
def test_gradient_values_and_its_own_gradient(kw):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((5, 4))
    coords = [np.cumsum(rng.uniform(0.5, 1.5, 5)), np.cumsum(rng.uniform(0.5, 1.5, 4))]
    out = []
    for L in (torch, mg):
        k = dict(kw)
        if k.get("spacing") == "coords":  # uneven steps
            k["spacing"] = [L.tensor(c) for c in coords]
        t = L.tensor(a, requires_grad=True)
        gs = L.gradient(t, **k)
        sum((g * g).sum() for g in gs).backward()
        out.append(([g.detach().numpy() for g in gs], t.grad.numpy()))
    (want, want_grad), (got, got_grad) = out
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got_grad, want_grad, rtol=1e-10, atol=1e-12)


def test_gradient_edges_and_refusals():
    for L in (mg, torch):
        g = L.gradient(L.tensor([1, 4, 9, 16]))[0]
        assert g.dtype == L.float32 and g.tolist() == [3.0, 4.0, 6.0, 7.0]
        assert L.gradient(L.tensor([1.0, 3.0]))[0].tolist() == [2.0, 2.0]
        for bad in (
            {"edge_order": 3},
            {"edge_order": 2, "t": [1.0, 2.0]},
            {"spacing": [1.0, 2.0]},
        ):
            t = bad.pop("t", [1.0, 2.0, 3.0])
            with pytest.raises(RuntimeError):
                L.gradient(L.tensor(t), **bad)


def _adaptive_softmax_run(L, seed=0):
    rng = np.random.default_rng(seed)
    m = L.nn.AdaptiveLogSoftmaxWithLoss(16, 30, [5, 12, 20], div_value=2.0, head_bias=True)
    with L.no_grad():
        for _, p in m.named_parameters():
            p.copy_(L.tensor(rng.standard_normal(tuple(p.shape)) * 0.3))
    m = m.double()
    x = L.tensor(rng.standard_normal((9, 16)), requires_grad=True)
    t = L.tensor([0, 4, 5, 11, 12, 19, 20, 29, 3])  # every cluster, and its edges
    out, loss = m(x, t)
    loss.backward()
    one_out, one_loss = m(x.detach()[0], t[0])
    return {
        "output": out.detach().numpy(),
        "loss": np.array(loss.item()),
        "x.grad": x.grad.numpy(),
        "log_prob": m.log_prob(x.detach()).detach().numpy(),
        "predict": m.predict(x.detach()).numpy(),
        "unbatched": np.array([one_out.item(), one_loss.item()]),
        **{n: p.grad.numpy() for n, p in m.named_parameters()},
    }


def test_adaptive_log_softmax_with_loss_as_pytorch():
    got, want = _adaptive_softmax_run(mg), _adaptive_softmax_run(torch)
    assert list(got) == list(want)  # the same parameter names, in order
    for k in want:
        np.testing.assert_allclose(got[k], want[k], rtol=1e-12, atol=1e-12, err_msg=k)
    for L in (mg, torch):
        for bad in ([], [4, 4], [0], [10], [5, 3]):
            with pytest.raises(ValueError):
                L.nn.AdaptiveLogSoftmaxWithLoss(8, 10, bad)
        m = L.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [4])
        with pytest.raises(RuntimeError, match="Target values should be in"):
            m(L.randn(3, 8), L.tensor([0, 11, 2]))
        with pytest.raises(RuntimeError):
            m(L.randn(3, 8), L.tensor([[0]]))


@pytest.mark.parametrize(
    "name", ["hann_window", "hamming_window", "blackman_window", "bartlett_window", "kaiser_window"]
)
@pytest.mark.parametrize("n", [0, 1, 2, 3, 8, 51])
@pytest.mark.parametrize("periodic", [True, False])
@pytest.mark.parametrize("dt", ["float32", "float64"])
def test_window_functions(name, n, periodic, dt):
    """minigrad computes them in float64 and rounds once; PyTorch in the dtype itself, so
    float32 values differ by up to a few ulps."""
    want = getattr(torch, name)(n, periodic, dtype=getattr(torch, dt)).numpy()
    got = getattr(mg, name)(n, periodic, dtype=getattr(mg, dt)).numpy()
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-6 if dt == "float32" else 1e-13)


def test_window_function_options_and_refusals():
    for L in (mg, torch):
        assert L.hamming_window(5, False, 0.5, 0.5).tolist() == [0.0, 0.5, 1.0, 0.5, 0.0]
        assert L.hann_window(4).dtype == L.float32
        assert L.hann_window(3, requires_grad=True).requires_grad
        with pytest.raises(RuntimeError):
            L.hann_window(-1)
        with pytest.raises(TypeError):
            L.hann_window(3.0)
        with pytest.raises(RuntimeError):
            L.hann_window(3, dtype=L.int64)
    np.testing.assert_allclose(
        mg.kaiser_window(6, False, 5.0).numpy(),
        torch.kaiser_window(6, False, 5.0).numpy(),
        atol=1e-6,
    )


@pytest.mark.parametrize("a", _PROMO_DTYPES)
@pytest.mark.parametrize("b", _PROMO_DTYPES)
def test_promote_types_with_complex_as_pytorch(a, b):
    """promote_types and the ops' promotion share one rule (int32 with complex64 is
    complex64; promote_types gave NumPy's complex128)."""
    got = np.dtype(mg.promote_types(getattr(mg, a), getattr(mg, b))).name
    assert got == str(torch.promote_types(getattr(torch, a), getattr(torch, b)))[6:]


def test_gradient_refuses_bad_dims_as_pytorch():
    """An out-of-range dim wrapped around (dim=5 of a 2-d tensor took dim 1), and a dim
    given twice was differentiated twice."""
    for L in (mg, torch):
        x = L.ones(3, 4)
        for bad in (5, -3):
            with pytest.raises(IndexError):
                L.gradient(x, dim=bad)
        with pytest.raises(RuntimeError, match="appears multiple times"):
            L.gradient(x, dim=[0, 0])
        assert [tuple(g.shape) for g in L.gradient(x, dim=-1)] == [(3, 4)]
