"""Round eleven of PyTorch semantics, each case against torch itself: factories given
`dtype=None`, random draws in float16 and complex dtypes, gradients through complex
tensors (refused: the backward formulas are real ones), and the warnings PyTorch gives
for common mistakes (a non-leaf's `.grad`, `tensor(tensor)`, `x.T` on other than 2-d,
uint8 masks, the deprecated `range` and `nn.init` names)."""

from __future__ import annotations

import copy
import pickle
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
    """The default dtype draws NumPy's float32 stream, as before: seeded runs stay the same."""
    mg.manual_seed(7)
    a = mg.randn(5).numpy()
    assert np.array_equal(a, np.random.default_rng(7).standard_normal(5, dtype=np.float32))
    mg.manual_seed(7)
    assert np.array_equal(a, mg.randn(5, dtype=mg.float32).numpy())
    mg.manual_seed(7)
    assert np.array_equal(a, mg.randn(5, dtype=None).numpy())


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
    _, caught = _warnings(lambda: t.__setitem__(mg.tensor(m), mg.tensor([0.0, 0.0])))
    assert t.tolist() == [0.0, 2.0, 0.0] and caught and caught[0].filename == __file__
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
    with pytest.raises(TypeError, match=r"resize_\(\): argument 'size' must be int"):
        mg.zeros(2).resize_(2.5)


# ------------------------------------------------------------ copies of optimizers
def _copied_step(lib):
    w = lib.nn.Parameter(lib.tensor([1.0, 2.0]))
    opt = lib.optim.SGD([w], lr=0.1)
    lib.optim.lr_scheduler.StepLR(opt, step_size=10)  # a scheduler wraps opt.step
    w2, opt2 = copy.deepcopy((w, opt))
    w.grad, w2.grad = lib.full((2,), 5.0), lib.ones(2)
    opt2.step()
    return w.detach().numpy().tolist(), w2.detach().numpy().tolist()


def test_deep_copy_of_an_optimizer_with_a_scheduler_steps_the_copy():
    """The copy's step() went through the wrapper a scheduler put on the original, so it
    moved the original's parameters (by their own gradients) and left the copy's alone."""
    got, want = _copied_step(mg), _copied_step(torch)
    assert got == want
    assert got[0] == [1.0, 2.0]


def test_optimizer_with_a_scheduler_pickles_and_marks_its_own_steps():
    w = mg.nn.Parameter(mg.tensor([1.0, 2.0]))
    opt = mg.optim.SGD([w], lr=0.1)
    mg.optim.lr_scheduler.StepLR(opt, step_size=10)
    opt2 = pickle.loads(pickle.dumps(opt))
    assert "step" not in vars(opt2)
    sched2 = mg.optim.lr_scheduler.StepLR(opt2, step_size=10)
    opt2.param_groups[0]["params"][0].grad = mg.ones(2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "scheduler.step() before optimizer.step()"
        opt2.step()
        sched2.step()


# ------------------------------------------------------------ chunk and split
@pytest.mark.parametrize(
    "shape, chunks, dim",
    [((2, 0), 2, 1), ((0,), 3, 0), ((5,), 3, 0), ((5,), 4, 0), ((6,), 4, 0), ((3, 4), 5, -1)],
)
def test_chunk_as_pytorch_including_empty_dims(shape, chunks, dim):
    """An empty dim gave one piece, so `a, b = t.chunk(2, 1)` failed on minigrad only."""
    got = [tuple(p.shape) for p in mg.zeros(shape).chunk(chunks, dim)]
    want = [tuple(p.shape) for p in torch.zeros(shape).chunk(chunks, dim)]
    assert got == want


def test_chunk_of_an_empty_dim_carries_gradients():
    x = mg.zeros(0, 3, requires_grad=True)
    pieces = x.chunk(3)
    assert len(pieces) == 3
    sum(p.sum() for p in pieces).backward()
    assert x.grad.shape == (0, 3)


@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.zeros(5).chunk(0),
        lambda lib: lib.zeros(5).chunk(-1),
        lambda lib: lib.tensor(1.0).chunk(2),
        lambda lib: lib.zeros(5).split(0),
        lambda lib: lib.zeros(5).split(-1),
        lambda lib: lib.tensor(1.0).split(1),
        lambda lib: lib.zeros(5).split([2, 2]),
    ],
)
def test_chunk_and_split_refusals_are_runtime_errors(call):
    with pytest.raises(RuntimeError):
        call(torch)
    with pytest.raises(RuntimeError, match="chunk|split"):
        call(mg)


def test_split_of_an_empty_dim_by_zero():
    for lib in (torch, mg):
        assert [tuple(p.shape) for p in lib.zeros(0).split(0)] == [(0,)]


# ------------------------------------------------------------ exception types
ERRORS = {
    "label_smoothing 1.5": lambda lib: lib.nn.functional.cross_entropy(
        lib.zeros(2, 3), lib.tensor([0, 1]), label_smoothing=1.5
    ),
    "interpolate 3-d bilinear": lambda lib: lib.nn.functional.interpolate(
        lib.zeros(1, 2, 4), scale_factor=2, mode="bilinear"
    ),
    "interpolate 4-d trilinear": lambda lib: lib.nn.functional.interpolate(
        lib.zeros(1, 2, 4, 4), scale_factor=2, mode="trilinear"
    ),
    "interpolate int64 bilinear": lambda lib: lib.nn.functional.interpolate(
        lib.zeros(1, 1, 2, 2, dtype=lib.int64), scale_factor=2, mode="bilinear"
    ),
    "interpolate to size 0": lambda lib: lib.nn.functional.interpolate(
        lib.zeros(1, 1, 2, 2), size=(0, 2)
    ),
    "conv_transpose2d output_padding": lambda lib: lib.nn.functional.conv_transpose2d(
        lib.zeros(1, 2, 3, 3), lib.zeros(2, 2, 3, 3), stride=1, output_padding=1
    ),
    "kernel larger than input": lambda lib: lib.nn.functional.conv2d(
        lib.zeros(1, 2, 3, 3), lib.zeros(2, 1, 5, 5), groups=2
    ),
    "avg_pool2d kernel larger": lambda lib: lib.nn.functional.avg_pool2d(lib.zeros(1, 2, 3, 3), 5),
    "batch norm channels": lambda lib: lib.nn.BatchNorm2d(3)(lib.zeros(2, 4, 3, 3)),
    "bce with logits int target": lambda lib: lib.nn.functional.binary_cross_entropy_with_logits(
        lib.zeros(3), lib.tensor([0, 1, 1])
    ),
    "one_hot of empty": lambda lib: lib.nn.functional.one_hot(lib.zeros(0, dtype=lib.int64)),
    "linspace steps -1": lambda lib: lib.linspace(0, 1, -1),
    "lerp of int64": lambda lib: lib.lerp(lib.tensor([1, 2]), lib.tensor([3, 4]), 0.5),
    "kaiming_normal_ of int64": lambda lib: lib.nn.init.kaiming_normal_(
        lib.zeros(3, 3, dtype=lib.int64)
    ),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_refusals_raise_pytorchs_exception_type(name):
    """`except RuntimeError` / `except NotImplementedError` (what PyTorch raises) missed
    minigrad's ValueError/TypeError; the new types are both."""
    with pytest.raises(Exception) as want:
        ERRORS[name](torch)
    with pytest.raises(Exception) as got:
        ERRORS[name](mg)
    assert isinstance(got.value, type(want.value)), (type(got.value), type(want.value))


# ------------------------------------------------------------ axis= and keepdims=
A = np.arange(1.0, 7.0, dtype=np.float32).reshape(2, 3)
ALIASED = {
    "cumprod": lambda lib, x: lib.cumprod(x, axis=0),
    "cumsum": lambda lib, x: lib.cumsum(x, axis=1),
    "Tensor.cumprod": lambda lib, x: x.cumprod(axis=0),
    "sum keepdims": lambda lib, x: lib.sum(x, axis=0, keepdims=True),
    "Tensor.sum keepdims": lambda lib, x: x.sum(axis=1, keepdims=True),
    "mean keepdims": lambda lib, x: lib.mean(x, axis=1, keepdims=True),
    "Tensor.max": lambda lib, x: x.max(axis=1)[0],
    "Tensor.argmax": lambda lib, x: x.argmax(axis=1),
    "std": lambda lib, x: lib.std(x, axis=0),
    "cat": lambda lib, x: lib.cat([x, x], axis=0),
    "stack": lambda lib, x: lib.stack([x, x], axis=1),
    "amax": lambda lib, x: lib.amax(x, axis=0),
    "Tensor.softmax": lambda lib, x: x.softmax(axis=1),
    "softmax": lambda lib, x: lib.softmax(x, axis=1),
    "logsumexp": lambda lib, x: lib.logsumexp(x, axis=1),
    "squeeze": lambda lib, x: lib.squeeze(x[None], axis=0),
    "unsqueeze": lambda lib, x: lib.unsqueeze(x, axis=0),
    "Tensor.prod": lambda lib, x: x.prod(axis=1),
    "all": lambda lib, x: lib.all(x > 0, axis=1),
    "Tensor.var": lambda lib, x: x.var(axis=1),
    "argsort": lambda lib, x: lib.argsort(x, axis=1, descending=True),
    "Tensor.size": lambda lib, x: lib.tensor(x.size(axis=1)),
    "Tensor.logsumexp keepdims": lambda lib, x: x.logsumexp(axis=1, keepdims=True),
}


@pytest.mark.parametrize("name", sorted(ALIASED))
def test_numpy_axis_and_keepdims_are_taken_as_pytorch(name):
    """PyTorch takes NumPy's names for dim/keepdim; most of minigrad's functions raised
    TypeError (the annotated-diffusion code writes `torch.cumprod(alphas, axis=0)`)."""
    got = ALIASED[name](mg, mg.tensor(A))
    want = ALIASED[name](torch, torch.tensor(A))
    assert tuple(got.shape) == tuple(want.shape)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)


def test_aliases_do_not_touch_gradients_or_out_and_refuse_both_names():
    x = mg.tensor(A, requires_grad=True)
    x.sum(axis=0).sum().backward()
    assert np.array_equal(x.grad.numpy(), np.ones_like(A))
    out = mg.empty(3)
    assert mg.sum(mg.tensor(A), axis=0, out=out) is out and out.tolist() == [5.0, 7.0, 9.0]
    for lib in (torch, mg):
        with pytest.raises(TypeError):
            lib.sum(lib.tensor(A), dim=0, axis=1)
    with pytest.raises(TypeError, match="both 'dim' and its alias 'axis'"):
        mg.tensor(A).cumsum(dim=0, axis=1)
    with pytest.raises(TypeError):  # F.softmax is a Python function in PyTorch: dim only
        torch.nn.functional.softmax(torch.tensor(A), axis=1)


# ------------------------------------------------------------ float16 sums
def _half_rows():
    return np.random.default_rng(0).uniform(0.9, 1.1, (4096, 2)).astype(np.float16)


@pytest.mark.parametrize(
    "name",
    [
        "sum0",
        "sum0 keepdim",
        "nansum0",
        "t sum1",
        "logsumexp0",
        "sum ones 16384",
        "cumsum last",
        "sum0 dtype f16",
        "f32 sum0 to f16",
    ],
)
def test_float16_sums_along_a_dim_add_up_in_float32(name):
    """NumPy added float16 along an outer axis in float16, where the total stalls at 2048
    (16384 ones summed to 2048; PyTorch adds in float32 and rounds once)."""
    calls = {
        "sum0": lambda lib, t: t.sum(0),
        "sum0 keepdim": lambda lib, t: t.sum(0, keepdim=True),
        "nansum0": lambda lib, t: lib.nansum(t, 0),
        "t sum1": lambda lib, t: t.t().sum(1),
        "logsumexp0": lambda lib, t: lib.logsumexp(t, 0),
        "sum ones 16384": lambda lib, t: lib.ones(16384, 2, dtype=lib.float16).sum(0),
        "cumsum last": lambda lib, t: t.cumsum(0)[-1],
        "sum0 dtype f16": lambda lib, t: t.sum(0, dtype=lib.float16),
        "f32 sum0 to f16": lambda lib, t: lib.ones(16384, 2).sum(0, dtype=lib.float16),
    }
    got = calls[name](mg, mg.tensor(_half_rows()))
    want = calls[name](torch, torch.tensor(_half_rows()))
    assert got.dtype == np.float16
    np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_float16_gradient_sums_add_up_in_float32():
    g = _half_rows()
    x = np.random.default_rng(1).standard_normal((4096, 3)).astype(np.float16)
    grads = []
    for lib in (torch, mg):
        lib.manual_seed(0)
        lin = lib.nn.Linear(3, 2).half()
        lin(lib.tensor(x)).backward(lib.tensor(g))
        b = lib.zeros(2, dtype=lib.float16, requires_grad=True)
        (lib.tensor(g) + b).backward(lib.tensor(g))  # a broadcast add's gradient
        grads.append((lin.bias.grad.numpy(), b.grad.numpy()))
    for got, want in zip(grads[1], grads[0], strict=True):
        np.testing.assert_array_equal(got, want)
    exact = g.astype(np.float64).sum(0).astype(np.float16)
    assert np.array_equal(grads[1][0], exact)


# ------------------------------------------------------------ Module.to an integer dtype
@pytest.mark.parametrize("target", ["int64", "int32", "bool", "int tensor"])
def test_module_to_an_integer_dtype_is_refused(target):
    """It truncated the weights (0.7 -> 0) and left them requiring grad."""
    for lib in (torch, mg):
        m = lib.nn.Linear(2, 2)
        arg = lib.zeros(1, dtype=lib.int32) if target == "int tensor" else getattr(lib, target)
        with pytest.raises(TypeError, match="floating point or complex"):
            m.to(arg)
        assert str(m.weight.dtype).endswith("float32")


# ------------------------------------------------------------ fills that overflow
FILLS = [
    ("float16", -9e15),
    ("float16", 65504.0),
    ("float16", 65505.0),
    ("float16", float("inf")),
    ("float16", float("nan")),
    ("float32", 1e39),
    ("int64", float("inf")),
    ("int64", float("nan")),
    ("int64", 1e30),
    ("int64", 2**63),
    ("int8", 300),
    ("int8", -129),
    ("int32", 2**40),
    ("int32", 2.5),
    ("uint8", -1),
    ("uint8", -255),
    ("uint8", -256),
    ("uint8", -1.5),
    ("uint8", 255.9),
    ("bool", 5),
    ("complex64", 1e39 + 0j),
]


def _fills(lib, dtype, value):
    dt = getattr(lib, dtype)
    mask = lib.tensor([True, False])
    calls = [
        lambda: lib.zeros(2, dtype=dt).fill_(value),
        lambda: lib.zeros(2, dtype=dt).masked_fill(mask, value),
        lambda: lib.zeros(2, dtype=dt).masked_fill_(mask, value),
        lambda: lib.full((2,), value, dtype=dt),
        lambda: lib.zeros(2, dtype=dt).index_fill(0, lib.tensor([0]), value),
    ]
    out = []
    for call in calls:
        try:
            out.append(call()[0].item())
        except RuntimeError:
            out.append("RuntimeError")
    return out


@pytest.mark.parametrize("dtype, value", FILLS)
def test_fill_values_the_dtype_cannot_hold_are_refused(dtype, value):
    """int64 masked_fill(-inf) wrote INT64_MIN, float16 masked_fill(-9e15) wrote -inf (the
    usual attention-mask idiom, under half precision), uint8 fill_(-1) raised NumPy's
    OverflowError; PyTorch refuses an overflow and wraps negative ints into unsigned."""
    got, want = _fills(mg, dtype, value), _fills(torch, dtype, value)
    assert [str(v) for v in got] == [str(v) for v in want]


# ------------------------------------------------------------ older PyTorch forms
def test_scatter_with_reduce_add_and_multiply():
    idx = [[0, 0], [1, 2]]
    for reduce, start in [("add", 0.0), ("multiply", 1.0)]:
        outs = []
        for lib in (torch, mg):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                a = lib.full((2, 3), start).scatter_(
                    1, lib.tensor(idx), lib.full((2, 2), 2.0), reduce=reduce
                )
                b = lib.full((2, 3), start).scatter(1, lib.tensor(idx), 3.0, reduce=reduce)
            outs.append((a.numpy(), b.numpy()))
        for got, want in zip(outs[1], outs[0], strict=True):
            np.testing.assert_array_equal(got, want)
    for lib in (torch, mg):
        with pytest.raises(RuntimeError):
            lib.zeros(2, 3).scatter(1, lib.tensor(idx), lib.ones(2, 2), reduce="max")
    with pytest.warns(UserWarning, match="scatter_reduce"):
        mg.zeros(2, 3).scatter(1, mg.tensor(idx), mg.ones(2, 2), reduce="add")


def test_addmm_with_the_scalars_first():
    """`distmat.addmm_(1, -2, x, centers.t())` (the usual center loss) raised TypeError."""
    rng = np.random.default_rng(0)
    a, x, c = (rng.standard_normal(s).astype(np.float32) for s in [(3, 3), (3, 4), (3, 4)])
    outs = []
    for lib in (torch, mg):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            d = lib.tensor(a)
            d.addmm_(1, -2, lib.tensor(x), lib.tensor(c).t())
            e = lib.tensor(a).addmm(0.5, lib.tensor(x), lib.tensor(c).t())
        if lib is mg:  # PyTorch warns once per process
            assert len(caught) == 2 and "deprecated" in str(caught[0].message)
        f = lib.tensor(a).addmm(lib.tensor(x), lib.tensor(c).t(), beta=2, alpha=3)
        outs.append([d.numpy(), e.numpy(), f.numpy()])
    for got, want in zip(outs[1], outs[0], strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    with pytest.raises(TypeError, match="addmm"):
        mg.tensor(a).addmm(mg.tensor(x))


def test_lbfgs_exposes_params_and_numel_as_pytorch():
    for lib in (torch, mg):
        p = lib.nn.Parameter(lib.ones(3))
        q = lib.nn.Parameter(lib.ones(2, 2))
        opt = lib.optim.LBFGS([p, q])
        assert opt._params[0] is p and opt._numel() == 7

        def closure(opt=opt, p=p, q=q):
            opt.zero_grad()
            loss = (p * p).sum() + (q * q).sum()
            loss.backward()
            return loss

        opt.step(closure)
        assert int(opt.state[opt._params[0]]["n_iter"]) >= 1


def test_grad_and_backward_refuse_empty_inputs():
    for lib in (torch, mg):
        x = lib.ones(2, requires_grad=True)
        y = (x * 2).sum()
        with pytest.raises(RuntimeError, match="inputs"):
            lib.autograd.grad(y, [], allow_unused=True)
        with pytest.raises(RuntimeError, match="inputs"):
            y.backward(inputs=[])


@pytest.mark.parametrize("shape, dim", [((2, 0), 1), ((0,), 0), ((0, 3), 0), ((0, 2), None)])
def test_logsumexp_over_nothing_is_minus_inf(shape, dim):
    """It raised (max of an empty dim); Categorical(logits=zeros(2, 0)) failed with it."""
    for lib in (torch, mg):
        z = lib.zeros(shape, requires_grad=True)
        y = lib.logsumexp(z, dim) if dim is not None else lib.logsumexp(z, tuple(range(len(shape))))
        assert np.all(np.isneginf(y.detach().numpy()))
        y.sum().backward()
        assert tuple(z.grad.shape) == shape
    assert mg.distributions.Categorical(logits=mg.zeros(2, 0)).batch_shape == (2,)


# ------------------------------------------------------------ submodule import paths
PATHS = [
    ("utils.data.sampler", "BatchSampler"),
    ("utils.data.sampler", "SubsetRandomSampler"),
    ("utils.data.dataloader", "default_collate"),
    ("utils.data.dataloader", "DataLoader"),
    ("utils.data.dataset", "Subset"),
    ("utils.data.dataset", "TensorDataset"),
    ("nn.parameter", "Parameter"),
    ("autograd.variable", "Variable"),
    ("nn.modules.loss", "_Loss"),
    ("nn.modules.loss", "_WeightedLoss"),
    ("nn.modules.distance", "PairwiseDistance"),
    ("nn.modules.module", "Module"),
    ("nn.modules.batchnorm", "_BatchNorm"),
    ("nn.modules.conv", "_ConvNd"),
    ("nn.modules.utils", "_pair"),
    ("nn.modules", "Linear"),
]


@pytest.mark.parametrize("path, name", PATHS)
def test_pytorchs_submodule_import_paths(path, name):
    """`from torch.utils.data.sampler import BatchSampler` (siamese-triplet) and
    `from torch.nn.parameter import Parameter` failed with ModuleNotFoundError."""
    import importlib

    for root in ("torch", "minigrad"):
        assert hasattr(importlib.import_module(f"{root}.{path}"), name), root


def test_submodule_paths_give_minigrads_objects():
    from minigrad.nn.modules.loss import _Loss
    from minigrad.nn.modules.utils import _ntuple, _pair, _triple
    from minigrad.nn.parameter import Parameter
    from minigrad.utils.data.sampler import BatchSampler

    assert Parameter is mg.nn.Parameter and BatchSampler is mg.utils.data.BatchSampler
    assert _pair(3) == (3, 3) and _pair((1, 2)) == (1, 2) and _triple(0) == (0, 0, 0)
    assert _ntuple(4)(5) == (5, 5, 5, 5)

    class Squared(_Loss):
        def forward(self, a, b):
            d = (a - b) ** 2
            return d.sum() if self.reduction == "sum" else d.mean()

    assert float(Squared(reduction="sum")(mg.ones(3), mg.zeros(3))) == 3.0
    import minigrad.nn.modules.conv

    assert minigrad.nn.modules.conv.Conv2d is mg.nn.Conv2d


# ------------------------------------------------------------ torch.<F op> names
TOP_LEVEL_F = {
    "conv1d": lambda L, a: L.conv1d(a(1, 2, 8), a(3, 2, 3), None, 1, 1),
    "conv2d": lambda L, a: L.conv2d(a(1, 2, 6, 6), a(3, 2, 3, 3), a(3), 2, 1),
    "conv_transpose2d": lambda L, a: L.conv_transpose2d(a(1, 2, 5, 5), a(2, 3, 4, 4), None, 2, 1),
    "max_pool2d": lambda L, a: L.max_pool2d(a(1, 2, 6, 6), 3, 2, 1),
    "max_pool1d_with_indices": lambda L, a: L.max_pool1d_with_indices(a(1, 2, 8), 2)[1],
    "avg_pool1d": lambda L, a: L.avg_pool1d(a(1, 2, 8), 3, 2, 1, False, True),
    "pdist": lambda L, a: L.pdist(a(5, 3)),
    "pixel_shuffle": lambda L, a: L.pixel_shuffle(a(1, 8, 3, 3), 2),
    "prelu": lambda L, a: L.prelu(a(2, 3, 4), a(3)),
    "selu": lambda L, a: L.selu(a(5)),
    "bilinear": lambda L, a: L.bilinear(a(4, 3), a(4, 5), a(2, 3, 5), a(2)),
    "group_norm": lambda L, a: L.group_norm(a(2, 6, 3), 3, a(6), a(6), 1e-5),
    "rms_norm": lambda L, a: L.rms_norm(a(2, 4), (4,), a(4), 1e-6),
}


@pytest.mark.parametrize("name", sorted(TOP_LEVEL_F))
def test_top_level_forms_of_functional_ops(name):
    def maker(lib):
        rng = np.random.default_rng(0)
        return lambda *s: lib.tensor(rng.standard_normal(s).astype(np.float32))

    got, want = (TOP_LEVEL_F[name](lib, maker(lib)) for lib in (mg, torch))
    assert tuple(got.shape) == tuple(want.shape)
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-5, atol=1e-5)


# ------------------------------------------------------------ float NumPy/list indices
@pytest.mark.parametrize(
    "index",
    [np.array([]), np.array([1.0, 2.7]), [1.0, 2.0], np.array([-1.5]), (np.array([]), 0)],
    ids=["empty", "floats", "float list", "negative", "empty pair"],
)
def test_float_numpy_and_list_indices_truncate_as_pytorch(index):
    """A selector that picks nothing gives np.array([]) (float64): indexing with it raised
    IndexError; PyTorch truncates float arrays and lists to integers."""
    a = np.arange(12.0, dtype=np.float32).reshape(4, 3)
    got, want = mg.tensor(a)[index], torch.tensor(a)[index]
    assert tuple(got.shape) == tuple(want.shape)
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    g, w = mg.tensor(a), torch.tensor(a)
    g[index], w[index] = 7.0, 7.0
    np.testing.assert_array_equal(g.numpy(), w.numpy())


def test_float_tensor_and_nan_indices_stay_refused():
    for lib in (torch, mg):
        with pytest.raises(IndexError):
            lib.arange(4.0)[lib.tensor([1.0])]
        with pytest.raises(IndexError):
            lib.arange(4.0)[np.array([np.nan])]


def test_variable_takes_volatile_and_warns():
    for lib in (torch, mg):
        with pytest.warns(UserWarning, match="volatile"):
            v = lib.autograd.Variable(lib.ones(2), volatile=True)
        assert not v.requires_grad


# ------------------------------------------------------------ cdist and empty reductions
def test_cdist_by_product_gives_exact_zeros_at_identical_rows():
    x = (np.random.default_rng(0).normal(size=(30, 32)) * 3).astype(np.float32)
    mode = "use_mm_for_euclid_dist"
    for lib in (torch, mg):
        t = lib.tensor(x, requires_grad=True)
        d = lib.cdist(t, t, compute_mode=mode)
        assert d.diagonal().min().item() == 0.0
        d.sum().backward()
        assert np.isfinite(t.grad.numpy()).all()


def test_max_over_an_empty_dim_is_an_index_error_as_pytorch():
    for op in ("max", "min", "amax", "amin"):
        for lib in (torch, mg):
            with pytest.raises(IndexError):
                getattr(lib.zeros(2, 0), op)(1)
    with pytest.raises(RuntimeError):  # the whole tensor: PyTorch's RuntimeError
        mg.zeros(0).max()


def test_fill_diagonal_names_itself_in_an_overflow():
    with pytest.raises(RuntimeError, match="fill_diagonal_: value -inf cannot be converted"):
        mg.zeros(3, 3, dtype=mg.int64).fill_diagonal_(float("-inf"))
    assert mg.zeros(2, 2, dtype=mg.uint8).fill_diagonal_(-1).tolist() == [[255, 0], [0, 255]]


# ------------------------------------------------------------ from the review
def test_addmm_takes_its_matrices_by_keyword_and_refuses_mixed_forms():
    a, b, c = mg.ones(2, 2), mg.ones(2, 3), mg.ones(3, 2)
    ta, tb, tc = torch.ones(2, 2), torch.ones(2, 3), torch.ones(3, 2)
    assert a.addmm(mat1=b, mat2=c).tolist() == ta.addmm(mat1=tb, mat2=tc).tolist()
    assert a.addmm(b, mat2=c, beta=2).tolist() == ta.addmm(tb, mat2=tc, beta=2).tolist()
    for x, y, z in ((ta, tb, tc), (a, b, c)):
        with pytest.raises(TypeError):
            x.addmm(y, 2, z)


def test_non_leaf_buffer_survives_a_dtype_move_without_warning():
    class WithBuffer(mg.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = mg.nn.Parameter(mg.ones(2))
            self.register_buffer("b", self.w * 2)  # a non-leaf

    m = WithBuffer()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m.double()
    assert m.b.dtype == np.float64


def test_module_type_to_an_integer_dtype_refuses_trainable_parameters():
    for lib in (torch, mg):
        m = lib.nn.Linear(2, 2)
        with pytest.raises(RuntimeError):
            m.type(lib.int64)
        m.requires_grad_(False)
        m.type(lib.int64)
        assert str(m.weight.dtype).endswith("int64")


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_refuses_an_integer_dtype(name):
    for lib in (torch, mg):
        x = lib.ones(2, 3)
        calls = [
            (getattr(lib, name), (x, 1), lib.int64),
            (getattr(lib.nn.functional, name), (x, 1), lib.int32),
            (getattr(x, name), (1,), lib.bool),
        ]
        for fn, args, dtype in calls:
            with pytest.raises(NotImplementedError):
                fn(*args, dtype=dtype)


def test_split_refuses_negative_sizes():
    for lib in (torch, mg):
        with pytest.raises(RuntimeError):
            lib.zeros(6).split([8, -2])


def test_index_fill_names_itself_in_an_overflow():
    with pytest.raises(RuntimeError, match="index_fill: value 300"):
        mg.zeros(3, dtype=mg.int8).index_fill(0, mg.tensor([0]), 300)


@pytest.mark.parametrize("old", ["eye", "dirac"])
def test_deprecated_eye_and_dirac(old):
    shape = (3, 3) if old == "eye" else (2, 2, 3, 3)
    a, b = mg.zeros(*shape), mg.zeros(*shape)
    with pytest.warns(FutureWarning, match=old + "_"):
        getattr(mg.nn.init, old)(a)
    getattr(mg.nn.init, old + "_")(b)
    assert np.array_equal(a.numpy(), b.numpy())


# ------------------------------------------------------------ `.data =` after a forward
def test_new_data_for_a_tensor_a_graph_saved_is_never_read_silently():
    """mv and dot save a reshaped view, which kept the old values: the gradient of
    u.dot(W.mv(v)) was outer(u_old, v_old) after `u.data = ...` (PyTorch's reads the new
    values). minigrad's backward now refuses there, as it does for mul or matmul."""
    W = mg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    u, v = mg.tensor([1.0, 0.0]), mg.tensor([0.0, 1.0])
    sigma = u.dot(W.mv(v))
    u.data = mg.tensor([0.0, 1.0])
    v.data = mg.tensor([1.0, 0.0])
    with pytest.raises(RuntimeError, match=r"given new values by `\.data =`"):
        sigma.backward()
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    c = mg.tensor([3.0, 4.0])
    y = (w * c).sum()
    c.data = mg.tensor([10.0, 20.0])
    with pytest.raises(RuntimeError, match="Mul: input 1"):
        y.backward()
    # a graph built after the assignment reads the new values
    (w * c).sum().backward()
    assert w.grad.tolist() == [10.0, 20.0]


# ------------------------------------------------------------ row-major new results
@pytest.mark.parametrize(
    "make",
    [
        lambda lib, x: x[:, [1, 0, 1]],
        lambda lib, x: x[..., [1, 0]],
        lambda lib, x: x[:, [0, 2], 1:],
        lambda lib, x: x.index_select(2, lib.tensor([3, 0])),
        lambda lib, x: lib.einsum("bij,bkj->bik", x, x),
    ],
    ids=["cols", "last", "mixed", "index_select", "einsum"],
)
def test_new_results_are_row_major_so_view_writes_through(make):
    """NumPy laid these results out column-first, so a later .view() copied and
    `y.view(-1)[0] = 100` left y unchanged (PyTorch's results are row-major)."""
    outs = []
    for lib in (torch, mg):
        x = lib.arange(24.0).reshape(2, 3, 4)
        y = make(lib, x)
        assert y.is_contiguous()
        y.view(-1)[0] = 100.0
        outs.append(y.flatten()[:3].tolist())
    assert outs[0] == outs[1]


def test_einsum_views_stay_views():
    for lib in (torch, mg):
        x = lib.arange(6.0).reshape(2, 3)
        y = lib.einsum("ij->ji", x)
        y[0, 0] = 5.0
        assert x[0, 0].item() == 5.0


# ------------------------------------------------------------ integer edges
def test_integer_pow_with_negative_tensor_exponents():
    base = [0, 2, -2, 1, -1, -1, 3]
    exps = [-1, -1, -1, -5, -2, -3, -2]
    for b, e in [(base, exps), ([2, 3], [-1, 2])]:
        got = (mg.tensor(b) ** mg.tensor(e)).tolist()
        assert got == (torch.tensor(b) ** torch.tensor(e)).tolist()
    assert (2 ** mg.tensor([2, -1, 0])).tolist() == [4, 0, 1]
    for dtype in ("int64", "int8", "int32"):  # in place too
        outs = []
        for lib in (torch, mg):
            t = lib.tensor([-1, 1, 2, -1], dtype=getattr(lib, dtype))
            t.pow_(lib.tensor([-1, -1, -1, -2], dtype=getattr(lib, dtype)))
            u = lib.tensor([-1, 1, 2], dtype=getattr(lib, dtype))
            u **= lib.tensor([-3, 5, -1], dtype=getattr(lib, dtype))
            outs.append((t.tolist(), u.tolist()))
        assert outs[0] == outs[1]


def test_integer_division_of_nothing_by_zero_is_empty():
    for lib in (torch, mg):
        assert (lib.arange(0) // 0).shape == (0,)
        assert (lib.arange(0) % 0).shape == (0,)
        assert lib.div(lib.arange(0), 0, rounding_mode="floor").shape == (0,)
        x = lib.arange(0)
        x //= 0
        with pytest.raises(RuntimeError):
            lib.arange(3) // 0


# ------------------------------------------------------------ linear algebra edges
SPECTRA = {
    "I3": np.eye(3),
    "diag(1,1,2)": np.diag([1.0, 1.0, 2.0]),
    "zeros2x3": np.zeros((2, 3)),
}
SPECTRAL_FNS = {
    "eigvalsh": lambda L, X: L.linalg.eigvalsh(X).sum() if X.shape[-1] == X.shape[-2] else None,
    "eigh values": lambda L, X: L.linalg.eigh(X)[0][-1] if X.shape[-1] == X.shape[-2] else None,
    "svdvals": lambda L, X: L.linalg.svdvals(X).sum(),
    "svd S": lambda L, X: L.linalg.svd(X, full_matrices=False)[1].sum(),
    "svd S full": lambda L, X: L.linalg.svd(X, full_matrices=True)[1].sum(),
    "nuclear": lambda L, X: L.linalg.matrix_norm(X, ord="nuc"),
    "spectral": lambda L, X: L.linalg.matrix_norm(X, ord=2),
}


@pytest.mark.parametrize("fn", sorted(SPECTRAL_FNS))
@pytest.mark.parametrize("mat", sorted(SPECTRA))
def test_gradients_of_repeated_or_zero_spectra_are_finite(fn, mat):
    """They were all NaN (the eigenvector formula divides by the gaps even when only the
    values are used); PyTorch's are V diag(g) V^T, finite."""
    grads = []
    for lib in (torch, mg):
        X = lib.tensor(SPECTRA[mat], requires_grad=True)
        y = SPECTRAL_FNS[fn](lib, X)
        if y is None:
            pytest.skip("eigenvalues of a non-square matrix")
        grads.append(lib.autograd.grad(y, X)[0].numpy())
    assert np.isfinite(grads[1]).all()
    np.testing.assert_allclose(grads[1], grads[0], atol=1e-12)


def test_eigh_vectors_still_differentiate():
    a = np.array([[2.0, 1.0], [1.0, 3.0]])
    grads = []
    for lib in (torch, mg):
        X = lib.tensor(a, requires_grad=True)
        L, V = lib.linalg.eigh(X)
        (L.sum() + (V[:, 0] ** 3).sum()).backward()
        grads.append(X.grad.numpy())
    np.testing.assert_allclose(grads[1], grads[0], atol=1e-10)


@pytest.mark.parametrize(
    "m", [[[np.nan, 1.0], [1.0, 1.0]], [[1.0, 1.0], [1.0, np.nan]], [[1.0, 2.0], [3.0, np.nan]]]
)
def test_det_and_inverse_of_a_matrix_holding_nan_are_nan(m):
    """det gave 0 and logdet -inf at a NaN first pivot; inv and solve crashed inside."""
    for lib in (torch, mg):
        A = lib.tensor(m, dtype=lib.float64)
        assert np.isnan(lib.linalg.det(A).item()) and np.isnan(lib.logdet(A).item())
        sign, logabs = lib.linalg.slogdet(A)
        assert sign.item() == 0 and np.isnan(logabs.item())
        assert np.isnan(lib.linalg.inv(A).numpy()).all()
        assert np.isnan(lib.linalg.solve(A, lib.ones(2, 1, dtype=lib.float64)).numpy()).all()
    batch = mg.tensor(np.stack([np.eye(2), np.array(m)]))
    out = mg.linalg.inv(batch).numpy()
    assert np.array_equal(out[0], np.eye(2)) and np.isnan(out[1]).all()
    with pytest.raises(RuntimeError, match="singular"):
        mg.linalg.inv(mg.tensor([[[1.0, 0.0], [0.0, 1.0]], [[1.0, 2.0], [2.0, 4.0]]]))


@pytest.mark.parametrize("shape", [(0, 3), (3, 0), (0, 0), (2, 0, 3)])
@pytest.mark.parametrize("order", [2, 1, float("inf"), "fro", "nuc"])
def test_norms_of_empty_matrices_are_zero(shape, order):
    for lib in (torch, mg):
        r = lib.linalg.matrix_norm(lib.zeros(shape, dtype=lib.float64), ord=order)
        assert tuple(r.shape) == shape[:-2] and (r.numpy() == 0).all()


# ------------------------------------------------------------ fills of non-scalars
@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.zeros(3).fill_(lib.tensor([1.0, 2.0, 3.0])),
        lambda lib: lib.zeros(3).fill_(lib.tensor([5.0])),
        lambda lib: lib.zeros(3).fill_([1, 2, 3]),
        lambda lib: lib.zeros(2, 4).__setitem__(0, lib.ones(3)),
        lambda lib: lib.zeros(2, 3).permute(0, 0),
        lambda lib: lib.isclose(lib.ones(2), lib.ones(2), rtol=-1.0),
        lambda lib: lib.allclose(lib.ones(2), lib.ones(2), atol=-1.0),
    ],
    ids=["fill 1-d", "fill 1-elem", "fill list", "setitem", "permute dup", "rtol", "atol"],
)
def test_refused_as_pytorch_refuses(call):
    """fill_ broadcast a 1-d value (PyTorch: only 0-d), setitem and permute raised NumPy's
    ValueError, isclose took negative tolerances."""
    with pytest.raises((RuntimeError, TypeError)) as want:
        call(torch)
    with pytest.raises((RuntimeError, TypeError)) as got:
        call(mg)
    assert isinstance(got.value, type(want.value))


def test_more_refusals_from_the_review():
    with pytest.raises(RuntimeError, match="rtol"):
        mg.isclose(mg.ones(2), mg.ones(2), rtol=float("nan"))
    with pytest.raises(RuntimeError, match="without overflow"):
        mg.zeros(2, dtype=mg.int8).fill_(np.array(1000))
    with pytest.raises(RuntimeError, match="do not broadcast"):
        mg.ones(3, dtype=mg.int64) // mg.zeros(2, dtype=mg.int64)
    t = mg.zeros(3)
    with pytest.raises(TypeError) as info:  # not a shape problem: PyTorch's TypeError
        t[0] = "a"
    assert not isinstance(info.value, RuntimeError)


def test_fills_of_0d_values_still_work():
    assert mg.zeros(3).fill_(mg.tensor(2.0)).tolist() == [2.0] * 3
    assert mg.full((2,), mg.tensor(4.0)).tolist() == [4.0, 4.0]
    assert mg.zeros(2).fill_(np.float32(1.5)).tolist() == [1.5, 1.5]


# ------------------------------------------------------------ Cholesky solves, cond
def _spd(n=3, seed=0):
    m = np.random.default_rng(seed).standard_normal((n, n))
    return m @ m.T + n * np.eye(n)


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_solve_and_inverse_as_pytorch(upper):
    a, b = _spd(), np.random.default_rng(1).standard_normal((3, 2))
    outs = []
    for lib in (torch, mg):
        L = lib.linalg.cholesky(lib.tensor(a), upper=upper).detach().requires_grad_(True)
        B = lib.tensor(b, requires_grad=True)
        X = lib.cholesky_solve(B, L, upper=upper)
        (X**2).sum().backward()
        tri = np.triu if upper else np.tril  # PyTorch's gradient also fills the other
        outs.append((X.detach().numpy(), B.grad.numpy(), tri(L.grad.numpy())))
        outs[-1] += (lib.cholesky_inverse(L.detach(), upper=upper).numpy(),)
    for got, want in zip(outs[1], outs[0], strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(outs[1][3], np.linalg.inv(a), rtol=1e-10)


@pytest.mark.parametrize("p", [None, 2, -2, "fro", "nuc", 1, -1, float("inf"), -float("inf")])
def test_cond_as_pytorch(p):
    a = _spd()
    got = mg.linalg.cond(mg.tensor(a), p).item()
    want = torch.linalg.cond(torch.tensor(a), p).item()
    assert got == pytest.approx(want, rel=1e-12)
    for m in ([[1.0, 2.0], [2.0, 4.0]], np.zeros((0, 0)), np.zeros((2, 0, 0))):
        got = mg.linalg.cond(mg.tensor(m, dtype=mg.float64), p).numpy()
        want = torch.linalg.cond(torch.tensor(m, dtype=torch.float64), p).numpy()
        if np.size(m) and p in (None, 2, -2, "nuc"):
            # singular: the smallest singular value is rounding noise, whose size depends
            # on the LAPACK build and the CPU; both must be beyond 1e15 (below 1e-15 for -2)
            for v in (got, want):
                assert (abs(v) < 1e-15) if p == -2 else (abs(v) > 1e15)
            continue
        np.testing.assert_allclose(got, want, rtol=1e-6)


def test_solve_ex_reports_singular_matrices():
    a = np.array([[[1.0, 2.0], [2.0, 4.0]], [[2.0, 0.0], [0.0, 1.0]]])
    rhs = np.ones((2, 2, 1))
    want = torch.linalg.solve_ex(torch.tensor(a), torch.tensor(rhs))
    got = mg.linalg.solve_ex(mg.tensor(a), mg.tensor(rhs))
    assert got.info.tolist() == want.info.tolist() == [2, 0]
    np.testing.assert_allclose(got.result.numpy()[1], want.result.numpy()[1])
    assert np.isnan(got.result.numpy()[0]).all()
    with pytest.raises(RuntimeError, match="singular"):
        mg.linalg.solve_ex(mg.tensor(a), mg.tensor(rhs), check_errors=True)
    wide = np.ones((3, 1, 2, 1))  # B with more batch dims than A
    got = mg.linalg.solve_ex(mg.tensor(a), mg.tensor(wide))
    want = torch.linalg.solve_ex(torch.tensor(a), torch.tensor(wide))
    assert tuple(got.result.shape) == tuple(want.result.shape) == (3, 2, 2, 1)
    np.testing.assert_allclose(got.result.numpy()[:, 1], want.result.numpy()[:, 1])


@pytest.mark.parametrize("b_shape, l_shape", [((4, 2), (3, 3)), ((3, 2), (1, 1)), ((1, 2), (3, 3))])
def test_cholesky_solve_refuses_sizes_that_do_not_fit(b_shape, l_shape):
    """A (4, 2) B with a 3x3 factor gave a (4, 2) result with a zero row: solve_triangular
    never checked the sizes."""
    for lib in (torch, mg):
        with pytest.raises(RuntimeError, match="Incompatible"):
            lib.cholesky_solve(lib.ones(*b_shape), lib.eye(l_shape[0]))
        with pytest.raises(RuntimeError, match="Incompatible"):
            lib.linalg.solve_triangular(lib.eye(l_shape[0]), lib.ones(*b_shape), upper=False)
    with pytest.raises(RuntimeError, match="one dtype"):
        mg.cholesky_solve(mg.ones(3, 1, dtype=mg.float64), mg.eye(3))
    L = mg.linalg.cholesky(mg.tensor(_spd()))
    B = mg.tensor(np.ones((3, 1)))
    assert np.allclose(B.cholesky_solve(L).numpy(), mg.cholesky_solve(B, L).numpy())
    assert np.allclose(L.cholesky_inverse().numpy(), np.linalg.inv(_spd()))


# ------------------------------------------------------------ as_strided
def test_as_strided_values_and_gradients_as_pytorch():
    """Hand-written im2col and sliding windows use as_strided; it was missing."""
    outs = []
    for lib in (torch, mg):
        x = lib.arange(12.0, dtype=lib.float64, requires_grad=True)
        y = lib.as_strided(x, (3, 4), (2, 1), 1)  # overlapping windows
        y.backward(lib.tensor(np.arange(12.0).reshape(3, 4)))
        img = lib.arange(16.0).reshape(4, 4)
        cols = img.as_strided((3, 3, 2, 2), (4, 1, 4, 1))
        outs.append((y.detach().numpy(), x.grad.numpy(), cols.numpy()))
    for got, want in zip(outs[1], outs[0], strict=True):
        np.testing.assert_array_equal(got, want)
    x = mg.tensor(np.random.default_rng(0).standard_normal(10), requires_grad=True)
    f = lambda t: mg.as_strided(t, (4, 3), (2, 1), 1) ** 2  # noqa: E731
    assert mg.gradcheck(f, [x]) and mg.gradgradcheck(f, [x])


def test_as_strided_refusals():
    with pytest.raises(RuntimeError, match="need 7 elements"):
        mg.arange(6.0).as_strided((4,), (2,))
    with pytest.raises(RuntimeError, match="mismatch in length"):
        mg.arange(6.0).as_strided((2,), (1, 1))
    with pytest.raises(NotImplementedError, match="owns its row-major memory"):
        mg.arange(6.0).reshape(2, 3).t().as_strided((2,), (1,))


# ------------------------------------------------------------ copies standing for views
# (diagonal, unfold and as_strided are views now: tests/test_views_write_through.py)


def test_diagonal_views_still_read_and_differentiate():
    a = mg.arange(9.0).reshape(3, 3)
    d = a.diagonal()
    assert (d + 1).add_(1).tolist() == [2.0, 6.0, 10.0]
    assert d.clone().add_(1).tolist() == [1.0, 5.0, 9.0]
    assert mg.trace(a).item() == 12.0
    x = mg.ones(3, 3, requires_grad=True)
    x.diagonal().sum().backward()
    assert x.grad.tolist() == np.eye(3).tolist()
