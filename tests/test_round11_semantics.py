"""Round eleven of PyTorch semantics, each case against torch itself: factories given
`dtype=None`, random draws in float16 and complex dtypes, gradients through complex
tensors (refused: the backward formulas are real ones), and the warnings PyTorch gives
for common mistakes (a non-leaf's `.grad`, `tensor(tensor)`, `x.T` on other than 2-d,
uint8 masks, the deprecated `range` and `nn.init` names)."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")


def _name(dtype) -> str:
    return str(dtype).replace("torch.", "")


# ------------------------------------------------------------ dtype=None in factories
FACTORIES = {
    "zeros": lambda lib: lib.zeros(2, 3, dtype=None),
    "ones": lambda lib: lib.ones(2, dtype=None),
    "empty": lambda lib: lib.empty(2, dtype=None),
    "rand": lambda lib: lib.rand(2, dtype=None),
    "randn": lambda lib: lib.randn(2, dtype=None),
    "eye": lambda lib: lib.eye(2, dtype=None),
    "randperm": lambda lib: lib.randperm(3, dtype=None),
    "full": lambda lib: lib.full((2,), 1.5, dtype=None),
    "arange": lambda lib: lib.arange(3, dtype=None),
}


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_factories_read_dtype_none_as_the_default(name):
    """`dtype=None` (what wrappers pass through) gave float64 from zeros, ones, empty,
    rand, randn and eye, and float64 from randperm; PyTorch gives float32 and int64."""
    got, want = FACTORIES[name](mg), FACTORIES[name](torch)
    assert _name(got.dtype) == _name(want.dtype)
    assert tuple(got.shape) == tuple(want.shape)


# ------------------------------------------------------------ random draws by dtype
@pytest.mark.parametrize("op", ["rand", "randn"])
@pytest.mark.parametrize("dtype", ["float16", "float64", "complex64", "complex128"])
def test_draws_in_every_float_and_complex_dtype(op, dtype):
    """float16 and complex draws raised NumPy's TypeError; PyTorch draws them."""
    got = getattr(mg, op)(4, 3, dtype=getattr(mg, dtype))
    want = getattr(torch, op)(4, 3, dtype=getattr(torch, dtype))
    assert _name(got.dtype) == _name(want.dtype) and tuple(got.shape) == (4, 3)
    like = getattr(mg, op + "_like")(got)
    assert like.dtype == got.dtype and like.shape == got.shape
    for shape in [(0,), ()]:
        assert getattr(mg, op)(*shape, dtype=getattr(mg, dtype)).shape == shape


def test_complex_draws_follow_pytorchs_distributions():
    """randn: each part N(0, 1/2) (|z|^2 has mean 1); rand: each part on [0, 1)."""
    mg.manual_seed(0)
    z = mg.randn(200_000, dtype=mg.complex128).numpy()
    assert abs(z.real.var() - 0.5) < 0.01 and abs(z.imag.var() - 0.5) < 0.01
    assert abs(np.mean(np.abs(z) ** 2) - 1) < 0.01
    assert abs(np.corrcoef(z.real, z.imag)[0, 1]) < 0.01
    u = mg.rand(200_000, dtype=mg.complex64).numpy()
    for part in (u.real, u.imag):
        assert part.min() >= 0 and part.max() < 1 and abs(part.mean() - 0.5) < 0.01


def test_complex_fills_in_place():
    """normal_ and uniform_ on complex tensors: each part N(mean, std^2 / 2) and U(a, b),
    as PyTorch's; they were refused."""
    mg.manual_seed(1)
    z = mg.zeros(200_000, dtype=mg.complex64).normal_(2.0, 3.0).numpy()
    w = torch.zeros(200_000, dtype=torch.complex64).normal_(2.0, 3.0).numpy()
    for a, b in [(z.real, w.real), (z.imag, w.imag)]:
        assert abs(a.mean() - b.mean()) < 0.05 and abs(a.std() - b.std()) < 0.05
    u = mg.zeros(100_000, dtype=mg.complex128).uniform_(2.0, 3.0).numpy()
    for part in (u.real, u.imag):
        assert part.min() >= 2 and part.max() < 3 and abs(part.mean() - 2.5) < 0.01


def test_float16_draws_are_rounded_float32_draws():
    mg.manual_seed(3)
    a = mg.randn(1000, dtype=mg.float16)
    mg.manual_seed(3)
    b = mg.randn(1000)
    assert np.array_equal(a.numpy(), b.numpy().astype(np.float16))
    h = mg.zeros(5, dtype=mg.float16).normal_()
    assert h.dtype == np.float16 and np.isfinite(h.numpy()).all()


@pytest.mark.parametrize("dtype", ["int64", "int32", "bool", "uint8"])
def test_integer_draws_raise_not_implemented_as_pytorch(dtype):
    for op in ["rand", "randn"]:
        with pytest.raises(NotImplementedError):
            getattr(torch, op)(3, dtype=getattr(torch, dtype))
        with pytest.raises(NotImplementedError, match=f"{op}: not implemented for {dtype}"):
            getattr(mg, op)(3, dtype=getattr(mg, dtype))
    for fill in ["normal_", "uniform_"]:
        with pytest.raises(NotImplementedError):
            getattr(torch.zeros(3, dtype=getattr(torch, dtype)), fill)()
        with pytest.raises(NotImplementedError, match=fill):
            getattr(mg.zeros(3, dtype=getattr(mg, dtype)), fill)()


def test_draws_in_float32_keep_their_stream():
    """The default dtype draws the same numbers as before (seeded runs stay the same)."""
    mg.manual_seed(7)
    a = mg.randn(5).numpy()
    rng = np.random.default_rng(7)
    mg.manual_seed(7)
    assert np.array_equal(a, mg.randn(5, dtype=mg.float32).numpy())
    assert a.dtype == np.float32 and rng is not None


# ------------------------------------------------------------ complex gradients refused
def _abs_of_square(lib, z):
    y = lib.tensor(z, requires_grad=True)
    return y, (y * y).abs().sum()


def test_gradients_through_complex_tensors_are_refused():
    """They came out wrong (d|y*y|/dy gave -(2+4j) where PyTorch gives 2+4j); now the
    backward refuses, naming the op."""
    z = np.array([1 + 2j, -0.5 + 0.25j], dtype=np.complex64)
    y, loss = _abs_of_square(torch, z)
    loss.backward()
    assert y.grad is not None  # PyTorch differentiates it
    y, loss = _abs_of_square(mg, z)
    with pytest.raises(NotImplementedError, match="Abs: gradients through complex tensors"):
        loss.backward()
    assert y.grad is None


def test_real_leaf_through_a_complex_intermediate_is_refused():
    """A real parameter times a complex constant gave a real gradient that dropped the
    imaginary part's contribution ([1, -1] where PyTorch gives [2.236, -2.236])."""
    x = mg.tensor([1.0, -2.0], requires_grad=True)
    y = x * (1 + 2j)
    assert y.dtype == np.complex64 and y.requires_grad
    with pytest.raises(NotImplementedError, match="complex"):
        y.abs().sum().backward()
    with pytest.raises(NotImplementedError, match="complex"):
        mg.autograd.grad(y.abs().sum(), x)


def test_complex_forward_still_runs_and_real_graphs_are_untouched():
    z = mg.tensor([1 + 2j, 3 - 1j], requires_grad=True)
    assert np.allclose((z * z).abs().detach().numpy(), np.abs(z.detach().numpy() ** 2))
    with mg.no_grad():
        w = (z * z).exp()
    assert w.dtype == np.complex64 and not w.requires_grad
    x = mg.tensor([1.0, -2.0, 0.5], requires_grad=True)
    (x * x).sum().backward()
    assert np.array_equal(x.grad.numpy(), np.array([2.0, -4.0, 1.0], np.float32))


# ------------------------------------------------------------ warnings for mistakes
def _warnings(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fn()
    return result, [w for w in caught if issubclass(w.category, UserWarning | FutureWarning)]


def _nonleaf(lib, retain: bool):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    b = a * 2
    if retain:
        b.retain_grad()
    b.sum().backward()
    return a, b


@pytest.mark.parametrize("retain", [False, True])
def test_reading_grad_of_a_non_leaf_warns_as_pytorch(retain):
    for lib in (torch, mg):
        a, b = _nonleaf(lib, retain)
        grad, caught = _warnings(lambda b=b: b.grad)
        assert (grad is None) is (not retain)
        assert len(caught) == (0 if retain else 1), lib
        if caught:
            assert "non-leaf" in str(caught[0].message).lower().replace("not a leaf", "non-leaf")
            assert caught[0].filename == __file__  # points at the reading line
        _, caught = _warnings(lambda a=a: a.grad)
        assert not caught  # a leaf's .grad is silent


def test_non_leaf_without_grad_does_not_warn():
    x = mg.tensor([1.0, 2.0])
    y = x * 2  # no graph: y is a leaf
    _, caught = _warnings(lambda: y.grad)
    assert not caught


def test_tensor_of_a_tensor_warns_and_copies():
    for lib in (torch, mg):
        src = lib.tensor([1.0, 2.0])
        out, caught = _warnings(lambda lib=lib, src=src: lib.tensor(src))
        assert len(caught) == 1 and "clone" in str(caught[0].message)
        out[0] = 5
        assert float(src[0]) == 1.0
    _, caught = _warnings(lambda: mg.tensor([1.0, 2.0]))
    assert not caught


@pytest.mark.parametrize(
    "shape, warns", [((2, 3), False), ((2, 3, 4), True), ((3,), True), ((), True)]
)
def test_dot_T_on_other_than_two_dims_warns(shape, warns):
    """PyTorch warns once per process (so its side is checked in a fresh one, below);
    minigrad warns as Python's warnings do, once per calling line by default."""
    x = mg.zeros(shape)
    out, caught = _warnings(lambda: x.T)
    assert tuple(out.shape) == tuple(reversed(shape))
    assert bool(caught) is warns
    if caught:
        assert caught[0].filename == __file__
    for shape2 in [(3,), (), (2, 3)]:  # t() is silent on <= 2 dims
        _, caught = _warnings(lambda s=shape2: mg.zeros(s).t())
        assert not caught


def test_pytorch_warns_on_dot_T_of_one_and_zero_dims():
    code = (
        "import warnings, torch\n"
        "warnings.simplefilter('always')\n"
        "for s in [(3,), ()]:\n"
        "    with warnings.catch_warnings(record=True) as w:\n"
        "        warnings.simplefilter('always')\n"
        "        torch.zeros(s).T\n"
        "    print(len(w))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["1", "1"]


def test_uint8_mask_index_warns_and_still_masks():
    x = np.array([1.0, 2.0, 3.0], np.float32)
    m = np.array([1, 0, 1], np.uint8)
    for lib in (torch, mg):
        t = lib.tensor(x)
        got, caught = _warnings(lambda t=t, lib=lib: t[lib.tensor(m)])
        assert got.tolist() == [1.0, 3.0] and len(caught) == 1
        assert "uint8" in str(caught[0].message)
    t = mg.tensor(x)
    _, caught = _warnings(lambda: t.__setitem__(mg.tensor(m), 0.0))
    assert t.tolist() == [0.0, 2.0, 0.0] and caught and caught[0].filename.endswith(".py")
    _, caught = _warnings(lambda: t[mg.tensor(m.astype(bool))])
    assert not caught


@pytest.mark.parametrize(
    "args, kw",
    [
        ((0, 3), {}),
        ((1, 2, 0.3), {}),
        ((0, 3), {"dtype": "int64"}),
        ((3, 0, -1), {}),
        ((0, 0.9, 0.3), {}),
        ((2, 2), {}),
        ((-1.5, 1.5, 0.5), {"dtype": "float64"}),
    ],
)
def test_range_is_end_inclusive_and_warns(args, kw):
    got, caught_mg = _warnings(
        lambda: mg.range(*args, **{k: getattr(mg, v) for k, v in kw.items()})
    )
    want, caught_t = _warnings(
        lambda: torch.range(*args, **{k: getattr(torch, v) for k, v in kw.items()})
    )
    assert _name(got.dtype) == _name(want.dtype)
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    assert caught_mg and caught_t and "arange" in str(caught_mg[0].message)


@pytest.mark.parametrize("args", [(0, 3, 0), (3, 0), (0, float("inf"))])
def test_range_refuses_what_pytorch_refuses(args):
    with pytest.raises(RuntimeError), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.range(*args)
    with pytest.raises(RuntimeError, match="range"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mg.range(*args)


@pytest.mark.parametrize(
    "old, args",
    [
        ("uniform", (-1.0, 2.0)),
        ("normal", (0.5, 2.0)),
        ("constant", (3.0,)),
        ("xavier_uniform", ()),
        ("xavier_normal", ()),
        ("kaiming_uniform", ()),
        ("kaiming_normal", ()),
        ("orthogonal", ()),
    ],
)
def test_deprecated_init_names_warn_and_fill_as_the_new_ones(old, args):
    """Old code calls nn.init.normal(w) (no underscore): PyTorch still runs it with a
    FutureWarning; it was an AttributeError."""
    a, b = mg.zeros(4, 5), mg.zeros(4, 5)
    mg.manual_seed(0)
    _, caught = _warnings(lambda: getattr(mg.nn.init, old)(a, *args))
    mg.manual_seed(0)
    getattr(mg.nn.init, old + "_")(b, *args)
    assert np.array_equal(a.numpy(), b.numpy())
    assert len(caught) == 1 and caught[0].category is FutureWarning
    assert old + "_" in str(caught[0].message) and caught[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert hasattr(torch.nn.init, old)


# ------------------------------------------------------------ error types
def test_conv_shape_mistakes_are_runtime_errors_as_pytorch():
    """`except RuntimeError` (what PyTorch raises) missed minigrad's ValueError."""
    cases = [
        lambda lib: lib.nn.Conv2d(3, 4, 3)(lib.zeros(1, 2, 5, 5)),
        lambda lib: lib.nn.functional.conv2d(
            lib.zeros(1, 4, 5, 5), lib.zeros(4, 2, 3, 3), groups=3
        ),
        lambda lib: lib.nn.functional.conv2d(
            lib.zeros(1, 3, 5, 5), lib.zeros(4, 3, 3, 3), lib.zeros(3)
        ),
        lambda lib: lib.nn.functional.conv2d(lib.zeros(5, 5), lib.zeros(4, 3, 3, 3)),
        lambda lib: lib.nn.functional.conv_transpose2d(
            lib.zeros(1, 2, 5, 5), lib.zeros(3, 4, 3, 3)
        ),
        lambda lib: lib.nn.functional.conv2d(
            lib.zeros(1, 3, 5, 5), lib.zeros(4, 3, 3, 3), groups=0
        ),
    ]
    for case in cases:
        with pytest.raises(RuntimeError):
            case(torch)
        with pytest.raises(RuntimeError) as info:
            case(mg)
        assert isinstance(info.value, ValueError)  # what minigrad raised before
        assert "conv" in str(info.value)


def test_embedding_of_float_indices_is_a_runtime_error_as_pytorch():
    for lib in (torch, mg):
        with pytest.raises(RuntimeError):
            lib.nn.Embedding(3, 2)(lib.tensor([1.0]))
    with pytest.raises(TypeError, match="embedding: indices must be integers"):
        mg.nn.Embedding(3, 2)(mg.tensor([1.0]))


# ------------------------------------------------------------ softmax's dtype
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_takes_dtype_everywhere_as_pytorch(name):
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    for form in ("function", "method"):
        outs = []
        for lib in (torch, mg):
            t = lib.tensor(x)
            f = getattr(lib, name) if form == "function" else getattr(t, name)
            y = f(t, 1, dtype=lib.float64) if form == "function" else f(1, dtype=lib.float64)
            outs.append(y)
        assert _name(outs[0].dtype) == _name(outs[1].dtype) == "float64"
        np.testing.assert_allclose(outs[1].numpy(), outs[0].numpy(), rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------ resize_
RESIZES = [
    ((6,), (2, 2)),  # smaller: the first values
    ((6,), (8,)),  # larger: all values, then the new ones
    ((2, 3), (2, 3)),  # the same shape: unchanged
    ((3,), (5,)),
    ((0,), (2, 0)),
    ((), (1,)),
    ((3,), ()),
    ((4,), (0,)),
]


@pytest.mark.parametrize("before, after", RESIZES)
def test_resize_as_pytorch(before, after):
    """Old GAN code writes `label.resize_(batch).fill_(1)`; it was an AttributeError."""
    n = int(np.prod(before))
    outs = []
    for lib in (torch, mg):
        x = lib.arange(float(n)).reshape(before)
        y = x.resize_(*after) if after else x.resize_(after)
        assert y is x and tuple(x.shape) == after
        outs.append(x.numpy().copy())
    keep = min(n, int(np.prod(after)))
    np.testing.assert_array_equal(outs[1].reshape(-1)[:keep], outs[0].reshape(-1)[:keep])
    assert outs[1].dtype == np.float32


def test_resize_to_a_smaller_shape_keeps_sharing_memory_and_fill_chains():
    x = mg.arange(6.0)
    view = x[:4]
    x.resize_(2, 2)[0, 0] = 9
    assert view.tolist() == [9.0, 1.0, 2.0, 3.0]
    assert mg.zeros(3).resize_(5).fill_(1.0).tolist() == [1.0] * 5
    assert mg.ones(4).resize_as_(mg.zeros(2, 3)).shape == (2, 3)


def test_resize_refusals():
    for lib in (torch, mg):
        with pytest.raises(RuntimeError, match="resize"):
            lib.zeros(2, requires_grad=True).resize_(3)
        with pytest.raises(RuntimeError):
            lib.zeros(2).resize_(-1)
    t = mg.arange(6.0).reshape(2, 3).t()
    assert t.resize_(3, 2).stride() == torch.arange(6.0).reshape(2, 3).t().resize_(3, 2).stride()
    with pytest.raises(NotImplementedError, match=r"non-contiguous tensor .* call \.contiguous"):
        t.resize_(6)
    with pytest.raises(TypeError, match="resize_: sizes must be ints"):
        mg.zeros(2).resize_(2.5)
