"""Round twelve of PyTorch semantics, each case against torch itself."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")


def _name(dtype) -> str:
    return str(dtype).replace("torch.", "")


def _both(fn, *arrays, grad=()):
    """Run `fn(lib, *tensors)` in both libraries on the same float64 arrays; the positions in
    `grad` require grad. Returns (value, grads) per library as numpy."""
    out = []
    for lib in (mg, torch):
        ts = [lib.tensor(a, requires_grad=i in grad) for i, a in enumerate(arrays)]
        y = fn(lib, *ts)
        y.sum().backward() if grad else None
        out.append((y.detach().numpy(), [ts[i].grad.numpy() for i in grad]))
    return out


# ------------------------------------------------------------ losses
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_poisson_nll_full_gives_the_target_its_stirling_gradient(reduction):
    """With `full=True` the Stirling term (y log y - y + log(2 pi y) / 2, where y > 1) was
    built from a detached copy of the target: a target that required grad missed the
    term's gradient, log y + 1 / (2 y)."""
    x = np.array([[0.5, 1.5, 2.0], [3.0, 0.2, 1.0]])
    # below, at and above the threshold 1. Not 0: PyTorch masks the term after computing it,
    # so a zero target's gradient is 0 * log 0 = NaN there; minigrad's is -log(x + eps)
    y = np.array([[0.5, 2.0, 3.0], [1.0, 0.25, 7.5]])
    fn = lambda lib, a, b: lib.nn.functional.poisson_nll_loss(  # noqa: E731
        a, b, log_input=False, full=True, reduction=reduction
    )
    (v1, g1), (v2, g2) = _both(fn, x, y, grad=(0, 1))
    np.testing.assert_allclose(v1, v2, rtol=1e-12)
    for a, b in zip(g1, g2, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)


# ------------------------------------------------------------ names PyTorch programs read
def test_precision_and_attention_switches_are_recorded():
    """nanoGPT's first lines (`backends.cuda.matmul.allow_tf32 = True`,
    `set_float32_matmul_precision('high')`) and the attention-kernel switches raised
    AttributeError; they are recorded, with PyTorch's defaults, and change no result."""
    for lib in (mg, torch):
        assert lib.backends.cuda.matmul.allow_tf32 is False
        assert lib.backends.cuda.is_built() is (lib is torch and torch.backends.cuda.is_built())
        before = lib.get_float32_matmul_precision()
        lib.set_float32_matmul_precision("high")
        assert lib.get_float32_matmul_precision() == "high"
        with pytest.warns(UserWarning, match="is not one of"):
            lib.set_float32_matmul_precision("x")
        assert lib.get_float32_matmul_precision() == "high"
        lib.set_float32_matmul_precision(before)
        assert lib.backends.cuda.flash_sdp_enabled() is True
        lib.backends.cuda.enable_flash_sdp(False)
        assert lib.backends.cuda.flash_sdp_enabled() is False
        lib.backends.cuda.enable_flash_sdp(True)
        with pytest.warns(FutureWarning), lib.backends.cuda.sdp_kernel(enable_math=False):
            assert lib.backends.cuda.math_sdp_enabled() is False
        assert lib.backends.cuda.math_sdp_enabled() is True


def test_sdpa_kernel_takes_pytorchs_backends_and_changes_no_result():
    q = np.random.default_rng(0).standard_normal((2, 1, 3, 4))
    out = []
    for lib in (mg, torch):
        from importlib import import_module

        att = import_module(lib.__name__ + ".nn.attention")
        names = "ERROR MATH FLASH_ATTENTION EFFICIENT_ATTENTION CUDNN_ATTENTION OVERRIDEABLE"
        values = [int(getattr(att.SDPBackend, n).value) for n in names.split()]
        assert values == [-1, 0, 1, 2, 3, 4]
        t = lib.tensor(q)
        with att.sdpa_kernel([att.SDPBackend.MATH]):
            out.append(lib.nn.functional.scaled_dot_product_attention(t, t, t).numpy())
        with pytest.raises(AssertionError), att.sdpa_kernel("math"):
            pass
    np.testing.assert_allclose(out[0], out[1], rtol=1e-12)


def test_bfloat16_is_a_name_that_refuses_use():
    """`{'bfloat16': torch.bfloat16, ...}` raised AttributeError at import time of the
    program; the name exists now, and any use as a dtype is a TypeError naming it."""
    table = {"float32": mg.float32, "bfloat16": mg.bfloat16}
    assert table["float32"] is mg.float32 and mg.cuda.is_bf16_supported() is False
    x = mg.ones(2)
    uses = [
        lambda: mg.zeros(2, dtype=mg.bfloat16),
        lambda: mg.tensor([1.0], dtype=mg.bfloat16),
        lambda: x.to(mg.bfloat16),
        lambda: x.to("cpu", mg.bfloat16),
        lambda: x.bfloat16(),
        lambda: x.view(mg.bfloat16),
        lambda: mg.nn.Linear(2, 2).to(mg.bfloat16),
    ]
    for use in uses:
        with pytest.raises(TypeError, match="bfloat16"):
            use()
    assert x.dtype != mg.bfloat16


def test_transformer_helpers_import_from_pytorchs_paths():
    from minigrad.nn.modules.transformer import _get_activation_fn, _get_clones

    from minigrad.nn.functional import _canonical_mask

    layers = _get_clones(mg.nn.Linear(2, 2), 3)
    assert len(layers) == 3 and layers[0].weight is not layers[1].weight
    assert _get_activation_fn("gelu") is mg.nn.functional.gelu
    mask = _canonical_mask(
        mg.tensor([[True, False]]), "m", None, "other", mg.float32, check_other=False
    )
    assert mask.dtype == mg.float32


@pytest.mark.parametrize(
    "make",
    [
        lambda lib: lib.nn.Embedding(5, 2, padding_idx=5),
        lambda lib: lib.nn.Embedding(5, 2, padding_idx=-6),
        lambda lib: lib.nn.EmbeddingBag(5, 2, padding_idx=7),
        lambda lib: lib.utils.data.TensorDataset(lib.ones(3), lib.ones(2)),
    ],
)
def test_pytorchs_asserts_are_assertion_errors(make):
    for lib in (mg, torch):
        with pytest.raises(AssertionError):
            make(lib)


# ------------------------------------------------------------ data loading
def _data(lib):
    from importlib import import_module

    return import_module(lib.__name__ + ".utils.data")


@pytest.mark.parametrize(
    "batch",
    [[1, 2.5], [0, 0.5, 1], [True, 2], [True, 0.5], [True, False], [3, 4], [2.5, 1]],
    ids=str,
)
def test_collate_of_python_numbers_infers_from_the_whole_batch(batch):
    """The first item's type decided: [0, 0.25, 1, 1.75] regression targets came out of a
    DataLoader as [0, 0, 1, 1], and [True, 2] as [True, True]."""
    got, want = _data(mg).default_collate(batch), _data(torch).default_collate(batch)
    assert _name(got.dtype) == _name(want.dtype)
    assert got.tolist() == want.tolist()


@pytest.mark.parametrize(
    "batch",
    [
        [np.ones(2, np.int32), np.ones(2, np.float32)],
        [np.float32(1), np.float64(2)],
        [np.int32(1), np.float32(2.5)],
        [np.uint8(200), np.uint8(100)],
    ],
    ids=["arrays", "f32-f64", "i32-f32", "u8"],
)
def test_collate_of_numpy_values_promotes_as_stack(batch):
    got, want = _data(mg).default_collate(batch), _data(torch).default_collate(batch)
    assert _name(got.dtype) == _name(want.dtype)
    assert got.tolist() == want.tolist()


def test_collate_keeps_container_types():
    from collections import OrderedDict, defaultdict, namedtuple

    Pair = namedtuple("Pair", "x y")
    samples = {
        "str in tuple": [(1, "cat"), (2, "dog")],
        "str in list": [[1, "cat"], [2, "dog"]],
        "defaultdict": [defaultdict(int, a=1), defaultdict(int, a=2)],
        "OrderedDict": [OrderedDict(b=1, a=2.5), OrderedDict(b=3, a=4.5)],
        "namedtuple": [Pair(1, 2.0), Pair(3, 4.0)],
    }

    def shape(v):
        if isinstance(v, dict):
            return type(v).__name__, [(k, shape(x)) for k, x in v.items()]
        if isinstance(v, tuple | list):
            return type(v).__name__, [shape(x) for x in v]
        if hasattr(v, "tolist"):
            return "tensor", _name(v.dtype), v.tolist()
        return v

    for batch in samples.values():
        got, want = _data(mg).default_collate(batch), _data(torch).default_collate(batch)
        assert shape(got) == shape(want)


def test_loader_uses_getitems_and_its_iterator_has_a_length():
    out = []
    for lib in (mg, torch):
        D = _data(lib)
        calls = []

        class Batched(D.Dataset):
            def __len__(self):
                return 5

            def __getitems__(self, idx, calls=calls):
                calls.append(list(idx))
                return [i * 10 for i in idx]

        loader = D.DataLoader(Batched(), batch_size=2)
        it = iter(loader)
        assert len(it) == 3
        got = [b.tolist() for b in it]
        sub = D.Subset(Batched(), [4, 0, 2])
        assert sub.__getitems__([0, 2]) == [40, 20]
        out.append((got, calls[:3]))
    assert out[0] == out[1]


# ------------------------------------------------------------ save and load
def test_save_round_trips_numpy_scalars_sizes_dtypes_and_devices(tmp_path):
    """`{'best_acc': np.mean(accs)}` saved, then failed to load (a NumPy float64 is a
    Python float, and its repr was written); a Size came back a tuple; dtypes and devices
    could not be saved."""
    obj = {
        "acc": np.float64(0.625),
        "n": np.int64(3),
        "f": np.float32(1.5),
        "size": mg.ones(2, 3).shape,
        "dtype": mg.float16,
        "device": mg.device("cpu"),
    }
    mg.save(obj, tmp_path / "a.pt")
    back = mg.load(tmp_path / "a.pt")
    for k in ("acc", "n", "f"):
        assert type(back[k]) is type(obj[k]) and back[k] == obj[k]
    assert isinstance(back["size"], mg.Size) and back["size"] == (2, 3)
    assert back["dtype"] is mg.float16 and back["device"] == mg.device("cpu")


# ------------------------------------------------------------ optimizers
def test_optimizer_zero_grad_without_none_zeroes_in_place():
    """`optimizer.zero_grad(set_to_none=False)` put a new tensor in `.grad`: a reference
    taken before kept the old values and missed later accumulation."""
    out = []
    for lib in (mg, torch):
        w = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        opt = lib.optim.SGD([w], lr=0.1)
        (w * 2).sum().backward()
        ref = w.grad
        opt.zero_grad(set_to_none=False)
        zeroed = ref.tolist()
        (w * 3).sum().backward()
        out.append((zeroed, ref.tolist(), w.grad is ref))
    assert out[0] == out[1] == ([0.0, 0.0, 0.0], [3.0, 3.0, 3.0], True)


def _custom_optimizer(lib):
    class Factored(lib.optim.Optimizer):
        """A program's own optimizer: an int step and state of other shapes than the
        parameter's (row and column moments, as Adafactor keeps)."""

        def __init__(self, params, lr=0.1):
            super().__init__(params, dict(lr=lr))

        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    st = self.state[p]
                    if not st:
                        st["step"] = 0
                        st["row"] = lib.zeros(p.shape[0], dtype=p.dtype)
                        st["col"] = lib.zeros(p.shape[1], dtype=p.dtype)
                    st["step"] += 1
                    g = p.grad
                    st["row"].mul_(0.9).add_((g * g).mean(1), alpha=0.1)
                    st["col"].mul_(0.9).add_((g * g).mean(0), alpha=0.1)
                    v = st["row"][:, None] * st["col"][None, :] / st["row"].mean()
                    with lib.no_grad():
                        p.sub_(group["lr"] * g / (v.sqrt() + 1e-8) / st["step"])

    return Factored


def test_own_optimizer_resumes_with_its_ints_and_factored_state():
    """A program's optimizer got its int `step` back as a float32 Tensor and its factored
    state refused (shape check); PyTorch leaves both alone, and the resumed run equals the
    uninterrupted one bit for bit."""
    rng = np.random.default_rng(3)
    w0, x = rng.standard_normal((2, 3)), rng.standard_normal((4, 2))
    results = []
    for lib in (mg, torch):
        opt_cls = _custom_optimizer(lib)

        def run(w, opt, n, lib=lib):
            losses = []
            for _ in range(n):
                opt.zero_grad()
                loss = (lib.tensor(x) @ w).tanh().pow(2).sum()
                loss.backward()
                opt.step()
                losses.append(loss.item())
            return losses

        w = lib.tensor(w0, requires_grad=True)
        full = run(w, opt_cls([w]), 6)
        w1 = lib.tensor(w0, requires_grad=True)
        o1 = opt_cls([w1])
        run(w1, o1, 3)
        w2 = lib.tensor(w1.detach().numpy().copy(), requires_grad=True)
        o2 = opt_cls([w2])
        o2.load_state_dict(o1.state_dict())
        assert type(o2.state[w2]["step"]) is int
        assert full[3:] == run(w2, o2, 3)
        results.append(full)
    np.testing.assert_allclose(results[0], results[1], rtol=1e-12)


def test_asgd_resume_is_bit_identical():
    """ASGD's eta and mu, loaded into a float64 parameter's dtype, were then written at full
    precision; PyTorch rounds each through float32, so the resumed run drifted."""
    rng = np.random.default_rng(0)
    w0, x, y = rng.standard_normal((3, 4)), rng.standard_normal((8, 4)), rng.standard_normal((8, 3))
    for lib in (mg, torch):

        def make(lib=lib):
            m = lib.nn.Linear(4, 3, bias=False).double()
            with lib.no_grad():
                m.weight.copy_(lib.tensor(w0))
            return m, lib.optim.ASGD(m.parameters(), lr=0.02, t0=3)

        def run(m, o, n, lib=lib):
            out = []
            for _ in range(n):
                o.zero_grad()
                loss = lib.nn.functional.mse_loss(m(lib.tensor(x)), lib.tensor(y))
                loss.backward()
                o.step()
                out.append(loss.item())
            return out

        m, o = make()
        full = run(m, o, 8)
        m1, o1 = make()
        run(m1, o1, 4)
        m2, o2 = make()
        m2.load_state_dict(m1.state_dict())
        o2.load_state_dict(o1.state_dict())
        assert run(m2, o2, 4) == full[4:]


@pytest.mark.parametrize("dtype", ["float32", "int64", "float16"])
def test_assigning_a_grad_of_another_dtype_is_refused(dtype):
    """A float32 grad on a float64 parameter was accepted, and SGD stepped with it."""
    for lib in (mg, torch):
        p = lib.zeros(3, dtype=lib.float64, requires_grad=True)
        with pytest.raises(RuntimeError):
            p.grad = lib.zeros(3, dtype=getattr(lib, dtype))
        p.grad = lib.ones(3, dtype=lib.float64)  # its own dtype is fine


# ------------------------------------------------------------ factories and tensors
@pytest.mark.parametrize(
    "name", ["zeros_like", "ones_like", "empty_like", "rand_like", "randn_like"]
)
@pytest.mark.parametrize("fmt", ["preserve_format", "contiguous_format", "channels_last"])
def test_like_factories_take_memory_format_device_and_layout(name, fmt):
    """`zeros_like(p, memory_format=preserve_format)` (optimizers copied from older
    PyTorch code) raised TypeError."""
    out = []
    for lib in (mg, torch):
        x = lib.ones(2, 3, 4, 5)
        y = getattr(lib, name)(x, memory_format=getattr(lib, fmt), device="cpu", layout=lib.strided)
        out.append((tuple(y.shape), _name(y.dtype), tuple(y.stride())))
        if name in ("zeros_like", "ones_like"):
            assert y.sum().item() == (0 if name == "zeros_like" else y.numel())
    assert out[0] == out[1]
    full = mg.full_like(mg.ones(2), 7, memory_format=mg.preserve_format)
    assert full.tolist() == [7.0, 7.0]


def test_data_ptr_tells_shared_memory():
    for lib in (mg, torch):
        a, b = lib.nn.Linear(2, 3), lib.nn.Linear(2, 3)
        b.weight = a.weight
        assert a.weight.data_ptr() == b.weight.data_ptr() != a.bias.data_ptr()
        w = a.weight.detach()
        assert w[0].data_ptr() == w.data_ptr()
        assert w[1].data_ptr() - w.data_ptr() == 2 * w.element_size()
        s = lib.tensor(1.5) * 2
        assert s.data_ptr() == s.data_ptr()


# ------------------------------------------------------------ found by the differential fuzzer
def _same_result(fn):
    """fn(lib) in both libraries: equal values (NaN where torch has NaN), dtype, shape."""
    got, want = fn(mg), fn(torch)
    assert _name(got.dtype) == _name(want.dtype)
    g, w = got.detach().numpy(), want.detach().numpy()
    assert g.shape == w.shape
    np.testing.assert_array_equal(np.isnan(g.astype(float)), np.isnan(w.astype(float)))
    np.testing.assert_allclose(g.astype(float), w.astype(float), rtol=1e-6)


def test_cosine_similarity_broadcasts_before_the_norms():
    """With a (1, 3) and a (2, 1) input each norm was taken over its own shape, before
    broadcasting: -1.57 where PyTorch gives -0.907, and a wrong gradient."""
    a = np.array([[0.3, -1.2, 2.0]])
    b = np.array([[-0.7], [1.5]])
    grads = []
    for lib in (mg, torch):
        ta, tb = lib.tensor(a, requires_grad=True), lib.tensor(b, requires_grad=True)
        y = lib.nn.functional.cosine_similarity(ta, tb, dim=1)
        (y * lib.tensor([1.0, 2.0], dtype=lib.float64)).sum().backward()
        grads.append((y.detach().numpy(), ta.grad.numpy(), tb.grad.numpy()))
    for g, w in zip(grads[0], grads[1], strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12)


def test_broadcast_tensors_and_shapes():
    _same_result(lambda lib: lib.broadcast_tensors(lib.ones(2, 1), lib.arange(3.0))[1])
    for lib in (mg, torch):
        assert tuple(lib.broadcast_shapes((2, 1), (3,), 1)) == (2, 3)
        with pytest.raises(RuntimeError):
            lib.broadcast_shapes((2,), (3,))


U8 = np.array([103, 254, 175], np.uint8)
I8 = np.array([127, 100, -100], np.int8)
ACC = np.array([0.5, 0.0, 1.0], np.float32)


@pytest.mark.parametrize(
    "fn",
    [
        lambda L: L.tensor(ACC).addcmul_(L.tensor(U8), L.tensor(U8)),
        lambda L: L.addcmul(L.tensor(ACC), L.tensor(U8), L.tensor(U8), value=2),
        lambda L: L.addcdiv(L.tensor(ACC), L.tensor(U8), L.tensor(ACC + 1), value=3),
        lambda L: L.add(L.tensor(ACC), L.tensor(I8), alpha=3),
        lambda L: L.sub(
            L.tensor(np.float64(1.0)), L.tensor(np.array([2**31 - 1, 2], np.int32)), alpha=255
        ),
        lambda L: L.add(
            L.tensor(np.array([1, 2], np.int32)), L.tensor(np.array([True, False])), alpha=3
        ),
        lambda L: L.addcmul(
            L.tensor(np.array([1.0], np.float16)),
            L.tensor(np.array([3], np.int32)),
            L.tensor(np.array([3], np.int32)),
            value=0.5,
        ),
    ],
    ids=[
        "addcmul_-u8",
        "addcmul-u8",
        "addcdiv-u8-i8",
        "add-alpha-i8",
        "sub-alpha-i32",
        "add-bool-alpha",
        "addcmul-f16-i32",
    ],
)
def test_scaled_operands_take_the_result_dtype_first(fn):
    """Integer operands were multiplied (by each other, or by alpha or value) in their own
    dtype and wrapped, before the float result saw them: a uint8 image's squares summed
    into float32 gave 113.5 for 103 * 103 + 0.5."""
    _same_result(fn)


@pytest.mark.parametrize(
    "fn",
    [
        lambda L: L.tensor(-1) / L.tensor(np.array([5, 2, 4], np.uint8)),
        lambda L: L.div(L.tensor(np.int32(2147483646)), L.tensor(np.array([5, -1], np.int8))),
        lambda L: L.tensor(np.array([300, 150])).sum() / L.tensor(np.array([1, 2], np.uint8)),
        lambda L: L.xlogy(L.tensor(np.array([-42, 18], np.int8)), L.tensor(np.int32(829612510))),
        lambda L: L.atan2(L.tensor(np.int32(-7)), L.tensor(np.array([170, 37], np.uint8))),
        lambda L: L.copysign(L.tensor(np.int64(-3)), L.tensor(np.array([1, 2], np.uint8))),
        lambda L: L.tensor(np.array([200, 3], np.uint8)) / 256,
        lambda L: L.tensor(np.array([100, 3], np.int8)) / -1000,
    ],
    ids=["0d/u8", "i32/i8", "sum/u8", "xlogy", "atan2", "copysign", "u8/256", "i8/-1000"],
)
def test_float_results_of_integer_operands_skip_the_common_integer_dtype(fn):
    """A 0-d int64 -1 and a uint8 tensor have uint8 as common dtype, where -1 is 255: true
    division gave 51.0 for -1 / 5; and `uint8 / 256` raised."""
    _same_result(fn)


H = np.array([1000.0, 3.0, -2.0], np.float16)


def _in_place(L, op, v):
    h = L.tensor(H)
    getattr(h, op)(v)
    return h


@pytest.mark.parametrize(
    "fn",
    [
        lambda L: _in_place(L, "div_", 1e5),
        lambda L: _in_place(L, "mul_", 1e-5),
        lambda L: _in_place(L, "__itruediv__", 1e5),
        lambda L: _in_place(L, "__imul__", 1e-8),
        lambda L: L.tensor(H) * np.float64(1e-8),
        lambda L: L.tensor(H) / np.float64(1e5),
        lambda L: L.tensor(H) / L.tensor(1e5, dtype=L.float64),
        lambda L: L.tensor(H) * L.tensor(3, dtype=L.int64),
    ],
    ids=["div_", "mul_", "itruediv", "imul", "np-mul", "np-div", "0d-f64", "0d-i64"],
)
def test_half_tensor_and_other_numbers_in_float32(fn):
    """In-place forms, NumPy scalars and 0-d tensors of other dtypes: the same rule."""
    _same_result(fn)


@pytest.mark.parametrize(
    "fn",
    [
        lambda L: L.tensor(H) / 1e5,
        lambda L: L.tensor(H) / 100000,
        lambda L: L.tensor(H) * 1e-8,
        lambda L: L.tensor(H) * 1e-5,
        lambda L: 1e-5 * L.tensor(H),
        lambda L: L.tensor(H) + 1e5 - 1e5,  # PyTorch rounds these numbers to float16 first
        lambda L: 70000.0 - L.tensor(H),
        lambda L: L.tensor(H) - 7e4,
        lambda L: L.div(L.tensor(np.array([np.inf, 1], np.float16)), 2**31),
    ],
    ids=["div1e5", "divint", "mul1e-8", "mul1e-5", "rmul", "add-sub", "rsub", "sub", "inf/2^31"],
)
def test_half_tensor_and_number_work_in_float32(fn):
    """The number was rounded to float16 first: h / 1e5 divided by inf and gave 0."""
    _same_result(fn)
    x = mg.tensor(H, requires_grad=True)
    (x * 1e-5).sum().backward()
    assert x.grad.dtype == mg.float16


@pytest.mark.parametrize("op", ["__and__", "__or__", "__xor__", "__rand__"])
@pytest.mark.parametrize("dt", [np.int32, np.uint8, np.bool_])
def test_bitwise_operators_promote_as_pytorch(op, dt):
    """`int32 & 0-d int64` was int64 (NumPy's rule), `uint8 ^ 0-d int64` had other values."""
    a = np.array([3, 250, 0, 1]).astype(dt)
    b = np.int64(15) if dt != np.bool_ else np.bool_(True)
    _same_result(lambda L: getattr(L.tensor(a), op)(L.tensor(b)))
    _same_result(lambda L: getattr(L.tensor(a), op)(L.tensor(a[::-1].copy())))


@pytest.mark.parametrize(
    "fn",
    [
        lambda L, a, b: a < b,
        lambda L, a, b: a.eq(b),
        lambda L, a, b: a.long() & b.long(),
        lambda L, a, b: a.long() << b.long(),
        lambda L, a, b: a.long() >> b.long(),
        lambda L, a, b: L.heaviside(a, b),
        lambda L, a, b: L.nextafter(a, b),
        lambda L, a, b: a.clone().clamp_(b),
        lambda L, a, b: a.permute(1, 0),
        lambda L, a, b: L.einsum("ij,jk->ik", a, b),
    ],
    ids=[
        "lt",
        "eq",
        "and",
        "lshift",
        "rshift",
        "heaviside",
        "nextafter",
        "clamp_",
        "permute",
        "einsum",
    ],
)
def test_shape_mismatches_raise_runtime_errors(fn):
    for lib in (mg, torch):
        with pytest.raises(RuntimeError):
            fn(lib, lib.ones(4), lib.ones(3))


def test_ravel_of_a_non_contiguous_tensor_is_a_copy():
    for lib in (mg, torch):
        base = lib.arange(12.0).reshape(3, 4)
        r = base[:, ::2].ravel()
        r.fill_(7)
        assert base[0].tolist() == [0.0, 1.0, 2.0, 3.0]
        c = base.ravel()  # contiguous: a view, as in PyTorch
        c[0] = 100
        assert base[0, 0].item() == 100


def test_one_to_any_power_is_one():
    """`1.0 ** x` went through exp(x log 1): NaN at x = inf, -inf and NaN (IEEE: 1)."""
    vals = np.array([np.inf, -np.inf, np.nan, 2.0], np.float32)
    _same_result(lambda L: 1.0 ** L.tensor(vals))
    _same_result(lambda L: L.pow(1, L.tensor(vals)))
    for lib in (mg, torch):
        x = lib.tensor(vals, requires_grad=True)
        (1.0**x).sum().backward()
        assert x.grad.tolist() == [0.0, 0.0, 0.0, 0.0]


@pytest.mark.parametrize("mode", ["floor", "trunc"])
@pytest.mark.parametrize("method", ["div_", "divide_"])
def test_in_place_division_takes_a_rounding_mode(mode, method):
    _same_result(lambda L: getattr(L.tensor([5.0, -5.0]), method)(2, rounding_mode=mode))
    _same_result(lambda L: getattr(L.tensor([5, -5]), method)(2, rounding_mode=mode))


def test_in_place_int_pow_of_a_negative_number_raises():
    for lib in (mg, torch):
        with pytest.raises(RuntimeError):
            lib.tensor([2, 3]).pow_(-1)
    _same_result(lambda L: L.tensor([2, 3]).pow_(2))


def test_linalg_cross_needs_inputs_of_one_rank():
    for lib in (mg, torch):
        with pytest.raises(RuntimeError):
            lib.linalg.cross(lib.ones(2, 3), lib.ones(3))
    _same_result(lambda L: L.linalg.cross(L.ones(2, 3), L.tensor([[1.0, 2.0, 4.0]])))


@pytest.mark.parametrize("value_shape", [(1,), (1, 1), (1, 1, 3), (3,), (1, 3)])
def test_setitem_drops_the_values_leading_ones(value_shape):
    """`a[0] = t` with t of shape (1,) raised NumPy's ValueError; PyTorch writes it."""
    n = int(np.prod(value_shape))  # one element: a[0, 1]; three: the row a[1]
    for grad in (False, True):
        out = []
        for lib in (mg, torch):
            w = lib.zeros(2, 3, requires_grad=grad)
            a = w * 1 if grad else w
            v = lib.arange(1.0, n + 1).reshape(value_shape)
            if n == 1:
                a[0, 1] = v
            else:
                a[1] = v
            out.append(a.detach().numpy())
        np.testing.assert_array_equal(out[0], out[1])


def test_cat_with_an_empty_tensor_that_requires_grad():
    """`tensor([])` was skipped by cat even when it required grad: the result did not
    require grad (backward failed), and hstack left the empty input's grad None."""
    out = []
    for lib in (mg, torch):
        e = lib.tensor([], dtype=lib.float64, requires_grad=True)
        x = lib.ones(2, dtype=lib.float64, requires_grad=True)
        y = lib.cat([lib.ones(1, dtype=lib.float64), e])
        assert y.requires_grad
        y.sum().backward()
        lib.hstack([e, x]).sum().backward()
        out.append(
            (
                tuple(e.grad.shape),
                x.grad.tolist(),
                tuple(lib.cat([lib.tensor([]), lib.ones(2, 3)], 1).shape),
            )
        )
    assert out[0] == out[1]


@pytest.mark.parametrize("name", ["tril_", "triu_"])
def test_tril_and_triu_in_place_are_recorded_in_a_graph(name):
    grads = []
    for lib in (mg, torch):
        w = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        h = w * 1
        getattr(h, name)()
        (h * h).sum().backward()
        grads.append(w.grad.tolist())
    assert grads[0] == grads[1]


@pytest.mark.parametrize("pad", [(2, 0), (3, 3), (0, 5)])
def test_replicate_padding_wider_than_the_dim(pad):
    """mode='replicate' took at most the dim's size; PyTorch repeats the edge any number
    of times (reflect and circular keep their limits)."""
    x = np.array([[[4.0], [-0.5]]])
    _same_result(lambda L: L.nn.functional.pad(L.tensor(x), pad, mode="replicate"))
    for lib in (mg, torch):
        with pytest.raises(RuntimeError):
            lib.nn.functional.pad(lib.tensor(x), pad, mode="reflect")


def test_gelu_keeps_its_digits_for_negative_inputs():
    """0.5 x (1 + erf(x / sqrt 2)) cancels for negative x: at x = -4 float32 kept 3 digits,
    and float16 gave 0 at x = -4 (PyTorch: -1.27e-4). Now 0.5 x erfc(-x / sqrt 2), float16
    worked in float32: within float32's and float16's rounding of the exact value (math.erfc
    in float64; PyTorch's own float64 gelu loses digits below about -6)."""
    import math

    x = np.linspace(-9, 5, 141)
    for dt, rtol in ((np.float32, 1e-5), (np.float16, 2e-3)):
        xs = x.astype(dt)
        exact = np.array([0.5 * float(v) * math.erfc(-float(v) / math.sqrt(2)) for v in xs])
        got = mg.nn.functional.gelu(mg.tensor(xs)).numpy().astype(float)
        ok = np.abs(exact) > np.finfo(dt).tiny * 16  # normal numbers of dt
        np.testing.assert_allclose(got[ok], exact[ok], rtol=rtol)
        assert ok.sum() > (120 if dt == np.float32 else 80)
    xs = mg.tensor(np.array([-4.0, -0.5, 0.0, 2.0]), requires_grad=True)
    assert mg.gradcheck(mg.nn.functional.gelu, (xs,))
    assert mg.gradgradcheck(mg.nn.functional.gelu, (xs,))


def test_backward_converts_a_gradient_of_another_dtype():
    """`w.backward(float64 gradient)` on a float32 leaf: PyTorch converts the gradient to
    the output's dtype (the grad setter's dtype check refused it)."""
    for lib in (mg, torch):
        w = lib.ones(3, requires_grad=True)
        w.backward(lib.ones(3, dtype=lib.float64) * 2)
        assert _name(w.grad.dtype) == "float32" and w.grad.tolist() == [2.0, 2.0, 2.0]
        y = w * 3
        y.retain_grad()
        y.backward(lib.ones(3, dtype=lib.float64))
        assert _name(y.grad.dtype) == "float32" and _name(w.grad.dtype) == "float32"


@pytest.mark.parametrize(
    "fn",
    [
        lambda L: L.tensor(np.array([5, 3, 1], np.uint8)).add(L.tensor(-3), alpha=-1),
        lambda L: L.tensor(np.array([5, 3, 1], np.uint8)).add(L.tensor(True), alpha=-1),
        lambda L: L.tensor(np.array([5, 3, 1], np.uint8)).sub(L.tensor(2), alpha=-2),
    ],
    ids=["0d-i64", "0d-bool", "sub"],
)
def test_unsigned_sums_with_a_negative_alpha_wrap_as_pytorch(fn):
    _same_result(fn)


@pytest.mark.parametrize("expr", ["True & m", "m | False", "7 | t", "t ^ 3", "m & m", "t & t"])
def test_bitwise_operators_with_numbers_on_either_side(expr):
    m0, t0 = np.array([True, False, True]), np.array([1, 6, 12], np.int32)
    _same_result(lambda L: eval(expr, {"m": L.tensor(m0), "t": L.tensor(t0)}))


def test_checkpoints_holding_bfloat16_and_old_numpy_floats_load(tmp_path):
    path = tmp_path / "a.pt"
    mg.save({"dt": mg.bfloat16}, path)
    assert mg.load(path)["dt"] is mg.bfloat16
    with pytest.raises(TypeError, match="bfloat16"):
        mg.finfo(mg.bfloat16)
    # a NumPy float64, which minigrad before 2026-12-04 wrote as its repr: still readable
    from minigrad import serialization

    real = serialization._Encoder.node

    def old_node(self, obj, where):
        if isinstance(obj, np.float64):
            return {"t": "float", "v": repr(obj)}
        return real(self, obj, where)

    serialization._Encoder.node = old_node
    try:
        mg.save({"best_acc": np.float64(0.625)}, path)
    finally:
        serialization._Encoder.node = real
    back = mg.load(path)["best_acc"]
    assert type(back) is np.float64 and back == 0.625


# ------------------------------------------------------------ port round L
def test_functional_call_leaves_the_module_as_it_was():
    """An extra key holding a Parameter (strict=False) left a sentinel object in the
    module's parameters: named_parameters yielded it and state_dict crashed."""
    for lib in (mg, torch):
        net = lib.nn.Sequential(lib.nn.Linear(2, 2))
        extra = {"foo": lib.nn.Parameter(lib.ones(2))}
        lib.func.functional_call(net, extra, (lib.ones(1, 2),))
        assert [n for n, _ in net.named_parameters()] == ["0.weight", "0.bias"]
        assert list(net.state_dict()) == ["0.weight", "0.bias"]


def test_functional_call_refuses_a_plain_attribute():
    class M(mg.nn.Module):
        def __init__(self):
            super().__init__()
            self.alpha = 0.5

        def forward(self, x):
            return x * self.alpha

    with pytest.raises(TypeError):
        mg.func.functional_call(M(), {"alpha": mg.tensor(2.0)}, (mg.ones(2),))


def test_programs_may_set_attributes_on_tensors():
    """`p._no_weight_decay = True` (Mamba), `p.update = ...` (learn2learn) raised
    AttributeError; the attribute survives deepcopy and pickling, as in PyTorch."""
    import copy
    import pickle

    for lib in (mg, torch):
        m = lib.nn.Linear(2, 2)
        m.weight._no_weight_decay = True
        decay = [n for n, p in m.named_parameters() if not getattr(p, "_no_weight_decay", 0)]
        assert decay == ["bias"]
        assert not hasattr(copy.deepcopy(m).weight, "_no_weight_decay")  # PyTorch's rule
        assert pickle.loads(pickle.dumps(m.weight))._no_weight_decay is True
        t = lib.ones(2) * 2
        t.tag = "x"
        assert pickle.loads(pickle.dumps(t)).tag == copy.deepcopy(t).tag == "x"


def test_replace_all_batch_norm_modules():
    for lib in (mg, torch):
        net = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.BatchNorm1d(2))
        assert lib.func.replace_all_batch_norm_modules_(net) is net
        bn = net[1]
        assert bn.running_mean is None and bn.running_var is None
        assert bn.num_batches_tracked is None and bn.track_running_stats is False
        net.eval()
        x = lib.tensor([[1.0, 2.0], [3.0, -1.0], [0.5, 0.0]])
        y = net(x)  # batch statistics in eval too
        assert np.allclose(y.detach().numpy().mean(0), 0, atol=1e-6)


def test_legacy_names_programs_still_use():
    out = []
    for lib in (mg, torch):
        p = lib.nn.Parameter(lib.tensor([3.0, 4.0]))
        p.grad = lib.tensor([3.0, 4.0])
        with pytest.warns(FutureWarning):
            total = lib.nn.utils.clip_grad_norm([p], 1.0)
        a = lib.tensor([[1.0, 2.0], [3.0, 4.0]])
        out.append(
            (
                total.item(),
                _name(a.type("torch.DoubleTensor").dtype),
                _name(a.type(lib.LongTensor).dtype),
                round(lib.norm(a, p="nuc").item(), 5),
            )
        )
    assert out[0] == out[1]


def test_index_add_out_of_range_is_an_index_error():
    for lib in (mg, torch):
        for idx in ([5], [-1]):
            with pytest.raises(IndexError):
                lib.zeros(3).index_add_(0, lib.tensor(idx), lib.ones(1))
        with pytest.raises(RuntimeError):  # PyTorch's gather raises RuntimeError here
            lib.take_along_dim(lib.ones(3), lib.tensor([7]))


# ------------------------------------------------------------ fuzzer round 2
@pytest.mark.parametrize(
    "change",
    [
        lambda x: x[0].mul_(2),
        lambda x: x[:, 0].zero_(),
        lambda x: x[0].add_(1),
        lambda x: x.narrow(0, 0, 1).fill_(0),
        lambda x: x[...].mul_(2),
    ],
    ids=["mul_", "zero_", "add_", "narrow-fill_", "ellipsis-mul_"],
)
def test_in_place_change_of_a_view_of_a_leaf_is_refused(change):
    """Outside no_grad, `w[:, 0].zero_()` on a leaf that requires grad turned the leaf into
    a non-leaf and the next backward gave wrong gradients (all zeros for a Linear's weight
    after SGD); PyTorch refuses it. Under no_grad it is the usual way to edit weights."""
    for lib in (mg, torch):
        x = lib.ones(2, 3, requires_grad=True)
        with pytest.raises(RuntimeError):
            change(x)
        assert x.is_leaf
        with lib.no_grad():
            change(x)
        (x * x).sum().backward()
        assert x.grad is not None and x.is_leaf


@pytest.mark.parametrize("op", ["cumsum", "cumprod"])
@pytest.mark.parametrize("dtype", ["int32", "int16", "uint8"])
def test_running_sums_and_products_keep_a_narrow_integer_dtype(op, dtype):
    """NumPy widens small integer scans; PyTorch keeps the asked dtype (and wraps)."""
    a = np.array([65536, 65536, 3, 300])
    _same_result(lambda L: getattr(L, op)(L.tensor(a), 0, dtype=getattr(L, dtype)))
    _same_result(lambda L: L.prod(L.tensor(a[:0]), dtype=getattr(L, dtype)))


def test_svd_of_a_matrix_holding_inf_returns_nan():
    """NumPy's LAPACK (OpenBLAS gesdd) never returned on such a matrix: svd, pinv, cond,
    matrix_rank, the nuclear and spectral norms hung. PyTorch gives NaN (rank 0)."""
    a = np.array([[1.0, np.inf, 0.0], [0.0, 1.0, 2.0], [3.0, 0.0, 1.0]])
    batch = np.stack([a, np.eye(3)])
    for lib in (mg, torch):
        s = lib.linalg.svdvals(lib.tensor(batch)).numpy()
        assert np.isnan(s[0]).all() and np.allclose(s[1], 1.0)
        assert lib.linalg.matrix_rank(lib.tensor(a)).item() == 0
        assert np.isnan(lib.linalg.matrix_norm(lib.tensor(a), "nuc").item())
        U, S, Vh = lib.linalg.svd(lib.tensor(a))
        assert np.isnan(S.numpy()).all() and np.isnan(U.numpy()).any()  # (PyTorch: partly)


@pytest.mark.parametrize("loss", ["smooth_l1_loss", "huber_loss"])
def test_robust_losses_have_finite_gradients_at_infinite_differences(loss):
    grads = []
    for lib in (mg, torch):
        x = lib.tensor([1.0, 0.5], requires_grad=True)
        getattr(lib.nn.functional, loss)(x, lib.tensor([-np.inf, 0.0])).backward()
        grads.append(x.grad.tolist())
    assert grads[0] == grads[1]


def test_lp_pool_of_infinite_order_is_the_largest_magnitude():
    x = np.array([[[1.0, -2.0, 3.0, 0.5, -4.0, 0.0]]])
    _same_result(lambda L: L.nn.functional.lp_pool1d(L.tensor(x), float("inf"), 2))
    _same_result(lambda L: L.nn.functional.lp_pool2d(L.tensor(x[None]), float("inf"), (1, 2)))


@pytest.mark.parametrize("op", ["any", "all"])
@pytest.mark.parametrize("dim", [(), []])
def test_any_and_all_over_no_dim_are_elementwise(op, dim):
    a = np.array([[1.0, 0.0, np.nan], [0.0, 0.0, 2.0]])
    _same_result(lambda L: getattr(L.tensor(a), op)(dim=dim))
    _same_result(lambda L: getattr(L.tensor(a), op)(dim=dim, keepdim=True))


@pytest.mark.parametrize("A", [np.eye(2), np.zeros((2, 2)), np.diag([1.0, 1.0, 0.0])[:, :2]])
def test_pinv_gradient_at_repeated_singular_values(A):
    """pinv was differentiated through the SVD, whose gradient divides by the gaps between
    singular values: NaN for an identity, a zero matrix, diag(1, 1, 0). PyTorch's formula
    in pinv itself is finite there; so is lstsq's, and pinv(hermitian=True)'s."""
    rng = np.random.default_rng(1)
    w = rng.standard_normal(A.T.shape)
    grads = []
    for lib in (mg, torch):
        a = lib.tensor(A, requires_grad=True)
        (lib.linalg.pinv(a) * lib.tensor(w)).sum().backward()
        g = [a.grad.numpy().copy()]
        if A.shape[0] == A.shape[1]:
            a.grad = None
            (lib.linalg.pinv(a, hermitian=True) * lib.tensor(w)).sum().backward()
            g.append(a.grad.numpy().copy())
            a.grad = None
            lib.linalg.lstsq(
                a, lib.tensor(w[:, :1].T.reshape(-1)[: A.shape[0]])
            ).solution.sum().backward()
            g.append(a.grad.numpy().copy())
        grads.append(g)
    for got, want in zip(grads[0], grads[1], strict=True):
        assert np.isfinite(got).all()
        np.testing.assert_allclose(got, want, atol=1e-12)
    x = mg.tensor(rng.standard_normal((3, 2)), requires_grad=True)
    assert mg.gradcheck(mg.linalg.pinv, (x,)) and mg.gradgradcheck(mg.linalg.pinv, (x,))


def test_embedding_bag_renormalises_only_the_rows_it_looks_up():
    """With max_norm, the padding slots of short or empty bags (index 0) renormalised
    weight row 0 in place; and per_sample_weights with no samples raised."""
    for lib in (mg, torch):
        w = lib.tensor([[3.0, 4.0, 0.0], [0.0, 1.0, 0.0], [1.0, 2.0, 1.0]])
        F = lib.nn.functional
        F.embedding_bag(lib.tensor([1, 2, 1]), w, lib.tensor([0, 1]), max_norm=1.0)
        assert w[0].tolist() == [3.0, 4.0, 0.0]
        out = F.embedding_bag(
            lib.tensor([], dtype=lib.int64), w, lib.tensor([0]), mode="sum",
            per_sample_weights=lib.tensor([]),
        )  # fmt: skip
        assert out.tolist() == [[0.0, 0.0, 0.0]]


def test_norm_with_p_none_is_the_2_norm():
    _same_result(lambda L: L.norm(L.tensor([[3.0, 4.0], [0.0, 1.0]]), None))
    _same_result(lambda L: L.tensor([[3.0, 4.0], [0.0, 1.0]]).norm(p=None, dim=1))


def test_std_var_norm_take_out():
    x = np.array([[1.0, 2.0, 3.0], [1.5, 0.0, -1.0]])
    for name, args in (("std", (0,)), ("var", (0,)), ("norm", (2, 0))):
        got = []
        for lib in (mg, torch):
            o = lib.empty(3, dtype=lib.float64)
            r = getattr(lib, name)(lib.tensor(x), *args, out=o)
            assert r is o
            got.append(o.tolist())
        np.testing.assert_allclose(got[0], got[1], rtol=1e-12)


@pytest.mark.parametrize("N", [None, 0, 1, 4])
@pytest.mark.parametrize("increasing", [False, True])
def test_vander(N, increasing):
    _same_result(lambda L: L.vander(L.tensor([1.0, 2.0, -3.0]), N=N, increasing=increasing))
    _same_result(lambda L: L.vander(L.tensor([1, 2, 3]), N=N, increasing=increasing))
    x = mg.tensor([0.5, -1.5, 2.0], dtype=mg.float64, requires_grad=True)
    assert mg.gradcheck(lambda t: mg.vander(t, N=N, increasing=increasing), (x,))


@pytest.mark.parametrize("upper", [True, False])
@pytest.mark.parametrize("transpose", [False, True])
def test_triangular_solve(upper, transpose):
    rng = np.random.default_rng(2)
    A = rng.standard_normal((2, 3, 3)) + 4 * np.eye(3)
    b = rng.standard_normal((2, 3, 2))
    out = []
    for lib in (mg, torch):
        with warnings.catch_warnings():  # PyTorch's deprecation notice (once per process)
            warnings.simplefilter("ignore")
            r = lib.triangular_solve(lib.tensor(b), lib.tensor(A), upper=upper, transpose=transpose)
        out.append((r.solution.numpy(), r.cloned_coefficient.numpy()))
    np.testing.assert_allclose(out[0][0], out[1][0], rtol=1e-10)
    np.testing.assert_array_equal(out[0][1], A)


def test_triangular_solve_warns_as_deprecated():
    with pytest.warns(UserWarning, match="solve_triangular"):
        mg.triangular_solve(mg.ones(2, 1), mg.eye(2))


@pytest.mark.parametrize(
    "fn",
    [
        lambda L: L.mean(L.tensor(2.0), (0, 0)),
        lambda L: L.sum(L.tensor(2.0), (0, -1)),
        lambda L: L.ones(2, 3).sum((1, 1)),
        lambda L: L.nn.functional.batch_norm(L.ones(2, 3), None, None, training=True, eps=0.0),
        lambda L: L.nanmean(L.tensor([1, 2, 4]), dtype=L.float16),
    ],
    ids=["0d-mean", "0d-sum", "nd-sum", "bn-eps0", "nanmean-int"],
)
def test_what_pytorch_refuses_is_refused(fn):
    for lib in (mg, torch):
        with pytest.raises((RuntimeError, ValueError)):
            fn(lib)
