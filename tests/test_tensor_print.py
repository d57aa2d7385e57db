"""Tensor printing (minigrad/_tensor_str.py) against PyTorch's own repr.

Each case builds the same values in both libraries and compares minigrad's repr with
PyTorch's after mapping PyTorch's names to minigrad's: `dtype=torch.float64` becomes
`dtype=minigrad.float64` and `grad_fn=<ExpBackward0>` takes minigrad's Function name.
Those names differ in length, so the mapped suffixes are laid out again with PyTorch's
own `_add_suffixes` (its linewidth rule) before comparing.
"""

import contextlib
import io
import re
import time

import numpy as np
import pytest

import minigrad as mg
from minigrad import _tensor_str
from minigrad._tensor_str import get_printoptions, printoptions, set_printoptions, tensor_repr

torch = pytest.importorskip("torch")
import torch._tensor_str as torch_str  # noqa: E402

_SUFFIX = re.compile(
    r"(?:,\n *|, )(dtype=torch\.\w+|size=\([\d, ]*\)|device='[^']*'|requires_grad=True"
    r"|grad_fn=<\w+>)$"
)


def expected(theirs, ours=None) -> str:
    """PyTorch's repr of `theirs`, in minigrad's names (grad_fn's from `ours`)."""
    text = repr(theirs)
    prefix = "Parameter containing:\n" if text.startswith("Parameter containing:\n") else ""
    text = text[len(prefix) :]
    assert text.endswith(")")
    text = text[:-1]
    suffixes = []
    while (m := _SUFFIX.search(text)) is not None:
        suffixes.insert(0, m.group(1))
        text = text[: m.start()]
    mapped = []
    for s in suffixes:
        if s.startswith("dtype=torch."):
            s = "dtype=minigrad." + s[len("dtype=torch.") :]
        elif s.startswith("grad_fn="):
            s = f"grad_fn=<{type(ours.grad_fn).__name__}>"
        mapped.append(s)
    return prefix + torch_str._add_suffixes(text, mapped, len("tensor("), False)


def pair(a, requires_grad=False):
    """The same array as a minigrad and a PyTorch tensor."""
    a = np.asarray(a)
    theirs = torch.from_numpy(np.array(a, order="C", copy=True))
    if requires_grad:
        theirs.requires_grad_(True)
    return mg.tensor(a.copy(), requires_grad=requires_grad), theirs


def check(a, requires_grad=False):
    ours, theirs = pair(a, requires_grad)
    assert tensor_repr(ours) == expected(theirs), f"\nours:\n{tensor_repr(ours)}"


@pytest.fixture(autouse=True)
def _default_options():
    set_printoptions(profile="default")
    torch.set_printoptions(profile="default")
    yield
    set_printoptions(profile="default")
    torch.set_printoptions(profile="default")


def both(**kw):
    set_printoptions(**kw)
    torch.set_printoptions(**kw)


FLOATS = [np.float32, np.float64, np.float16]
INTS = [np.int8, np.int16, np.int32, np.int64, np.uint8]
ALL = FLOATS + INTS + [np.bool_]


# ---------------------------------------------------------------------- the basics
def test_brief_examples():
    ours = mg.tensor([0.1, 0.25, 100.0])
    assert tensor_repr(ours) == "tensor([  0.1000,   0.2500, 100.0000])"
    assert tensor_repr(mg.tensor(3.5)) == "tensor(3.5000)"
    assert tensor_repr(mg.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert tensor_repr(mg.zeros(2, 0)) == "tensor([], size=(2, 0))"
    assert tensor_repr(mg.tensor([1.0], dtype=mg.float64)) == "tensor([1.], dtype=minigrad.float64)"


@pytest.mark.parametrize("dtype", ALL, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("shape", [(), (1,), (5,), (2, 3), (2, 3, 4), (2, 1, 3, 2)])
def test_dtypes_and_ranks(dtype, shape):
    rng = np.random.default_rng(7)
    if dtype is np.bool_:
        a = rng.random(shape) > 0.5
    elif np.dtype(dtype).kind == "f":
        a = rng.standard_normal(shape) * 3
    else:
        info = np.iinfo(dtype)
        a = rng.integers(max(info.min, -1000), min(info.max, 1000), shape, endpoint=True)
    check(np.asarray(a).astype(dtype))


@pytest.mark.parametrize("dtype", ALL, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("shape", [(0,), (2, 0), (0, 3, 1)])
def test_empty(dtype, shape):
    check(np.zeros(shape, dtype))


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128], ids=["c64", "c128"])
@pytest.mark.parametrize(
    "values",
    [
        [1 + 2j, -0.5 - 1j],
        [0j, 1j],
        [1e-6 + 3j, 2 - 1e5j, complex(float("nan"), 1)],
        [[1.5 + 0j, -0.0 - 0.0j], [3 - 4j, 1 + 1j]],
        3 - 2j,
        [],
    ],
)
def test_complex(dtype, values):
    check(np.asarray(values, dtype))


# ---------------------------------------------------------------------- special values
SPECIAL = {
    "nan_inf": [float("nan"), float("inf"), -float("inf"), 1.5],
    "only_nonfinite": [float("nan"), float("inf"), -float("inf")],
    "nan_with_int": [float("nan"), 0.0, 2.0],
    "neg_zero": [-0.0, 1.0],
    "neg_zero_fixed": [-0.0, -0.5],
    "neg_zero_alone": -0.0,
    "zeros": [0.0, 0.0, 0.0],
    "huge": [1e20, 1.0],
    "huge_alone": [1e20],
    "tiny": [1e-20, 1.0],
    "tiny_alone": 1e-20,
    "ratio": [0.001, 2.0],
    "ratio_exact": [1.0, 1000.0],
    "ratio_over": [1.0, 1000.5],
    "below_1e-4": [0.00009, 0.0002],
    "above_1e8": [1.5e8, 2.0],
    "int_valued": [1.0, 2.0, -3.0],
    "int_valued_big": [123456.0, -7.0],
    "int_valued_sci": [1e9, 1.0],
    "mixed_sign": [-1.25, 3.5, 0.0],
    "rounding": [0.99995, 1.00005, 2.5e-4],
    "neg_sci": [-1e-5, 3e3, float("nan")],
}


@pytest.mark.parametrize("dtype", FLOATS, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", list(SPECIAL))
def test_special_values(name, dtype):
    with np.errstate(over="ignore"):
        check(np.asarray(SPECIAL[name]).astype(dtype))


def test_special_values_2d_and_3d():
    a = np.array([[np.nan, 1e-8, -np.inf], [2.0, -0.0, 1e12]])
    check(a.astype(np.float32))
    check(np.stack([a, -a]).astype(np.float64))


# ---------------------------------------------------------------------- layout
@pytest.mark.parametrize("n", [10, 11, 12, 13, 20, 40, 100])
@pytest.mark.parametrize("scale", [1.0, 1000.0, 1e-6])
def test_long_rows_wrap(n, scale):
    rng = np.random.default_rng(n)
    check((rng.standard_normal(n) * scale).astype(np.float32))
    check((rng.standard_normal((2, n)) * scale).astype(np.float64))


@pytest.mark.parametrize("n", [25, 30, 200])
def test_long_integer_rows_wrap(n):
    check(np.arange(n, dtype=np.int64) * 1000 - 7)
    check(np.arange(n) % 2 == 0)


@pytest.mark.parametrize(
    "shape", [(1001,), (2000,), (40, 40), (3, 400), (400, 3), (11, 11, 11), (5, 5, 5, 5, 5)]
)
def test_summarised(shape):
    rng = np.random.default_rng(sum(shape))
    check(rng.standard_normal(shape).astype(np.float32))
    check(rng.integers(-50, 50, shape))


def test_summarised_width_ignores_hidden_entries():
    a = np.ones(2000, np.float32)
    a[1000] = 12345.678  # hidden: neither the width nor the mode may see it
    check(a)


def test_exactly_threshold_is_not_summarised():
    check(np.arange(1000, dtype=np.float32))


@pytest.mark.parametrize("shape", [(2, 3), (3, 2, 2), (1, 2, 1, 2, 3)])
def test_high_rank_blank_lines(shape):
    check(np.arange(np.prod(shape), dtype=np.float32).reshape(shape) / 3)


# ---------------------------------------------------------------------- print options
@pytest.mark.parametrize(
    "options",
    [
        {"precision": 2},
        {"precision": 0},
        {"precision": 8},
        {"threshold": 5},
        {"threshold": 0},
        {"edgeitems": 1, "threshold": 10},
        {"edgeitems": 0, "threshold": 10},
        {"edgeitems": 0},
        {"linewidth": 40},
        {"linewidth": 200},
        {"linewidth": 5},
        {"sci_mode": True},
        {"sci_mode": False},
        {"profile": "short"},
        {"profile": "full"},
        {"profile": "default"},
        {"profile": "short", "precision": 6},
    ],
    ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()),
)
def test_printoptions_match(options):
    both(**options)
    rng = np.random.default_rng(3)
    for a in (
        np.float32(1.0 / 3),
        np.array([1.0, 2.0, 3e5], np.float32),
        np.array([1e-7, 0.5, -2.0]),
        (rng.standard_normal(30) * 50).astype(np.float32),
        rng.standard_normal((4, 12)).astype(np.float64),
        rng.standard_normal((3, 7, 5)).astype(np.float32),
        rng.standard_normal(1500).astype(np.float32),
        rng.integers(-9, 9, (30, 40)),
        np.arange(12, dtype=np.int32),
        np.zeros((2, 0)),
        np.array([1 + 1j, 2.5 - 3j], np.complex64),
        np.array([np.nan, np.inf, 0.0], np.float32),
        np.array(True),
    ):
        check(a)


def test_profile_full_prints_everything():
    both(profile="full")
    check(np.arange(2500, dtype=np.float32).reshape(50, 50))


def test_get_set_printoptions_roundtrip():
    assert get_printoptions() == {
        "precision": 4,
        "threshold": 1000,
        "edgeitems": 3,
        "linewidth": 80,
        "sci_mode": None,
    }
    set_printoptions(precision=2, sci_mode=True)
    assert get_printoptions()["precision"] == 2 and get_printoptions()["sci_mode"] is True
    set_printoptions(linewidth=100)  # sci_mode left out: reset to None, as PyTorch
    assert get_printoptions()["sci_mode"] is None and get_printoptions()["precision"] == 2
    set_printoptions(profile="full")
    assert get_printoptions()["threshold"] == float("inf")
    assert get_printoptions()["precision"] == 4  # the profile resets precision too
    saved = get_printoptions()
    set_printoptions(profile="short")
    set_printoptions(**saved)
    assert get_printoptions() == saved


def test_printoptions_context_manager_restores():
    before = get_printoptions()
    with printoptions(precision=1, threshold=3, edgeitems=1):
        assert tensor_repr(mg.tensor([1.25, 2.5, 3.75, 5.0])) == "tensor([1.2,  ..., 5.0])"
    assert get_printoptions() == before
    with pytest.raises(ZeroDivisionError), printoptions(precision=1):
        1 / 0  # noqa: B018
    assert get_printoptions() == before


def test_unknown_profile_is_an_error():
    with pytest.raises(ValueError, match="profile"):
        set_printoptions(profile="tiny")


# ---------------------------------------------------------------------- autograd
def test_requires_grad_leaf():
    check(np.array([1.5, -2.0], np.float32), requires_grad=True)
    check(np.array(2.0, np.float64), requires_grad=True)
    check(np.random.default_rng(0).standard_normal((3, 40)), requires_grad=True)


@pytest.mark.parametrize(
    "op",
    [
        lambda x: x * 2,
        lambda x: x.exp(),
        lambda x: x.sum(),
        lambda x: x @ x.T,
        lambda x: x.T,
        lambda x: x[1:, ::2],
        lambda x: x.reshape(-1),
    ],
    ids=["mul", "exp", "sum", "matmul", "T", "slice", "reshape"],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_computed_tensors_name_their_grad_fn(op, dtype):
    a = np.random.default_rng(1).standard_normal((3, 4)).astype(dtype)
    ours, theirs = pair(a, requires_grad=True)
    y, ty = op(ours), op(theirs)
    assert y.grad_fn is not None
    got = tensor_repr(y)
    assert got == expected(ty, y)
    assert f"grad_fn=<{type(y.grad_fn).__name__}>" in got


def test_no_grad_result_has_no_suffix():
    ours, theirs = pair(np.array([1.0, 2.0], np.float32), requires_grad=True)
    with mg.no_grad():
        y = ours * 2
    with torch.no_grad():
        ty = theirs * 2
    assert tensor_repr(y) == expected(ty) == "tensor([2., 4.])"


def test_parameter():
    p = mg.nn.Parameter(mg.tensor([[0.5, -1.0], [2.0, 3.0]]))
    tp = torch.nn.Parameter(torch.tensor([[0.5, -1.0], [2.0, 3.0]]))
    assert "Parameter containing:\n" + tensor_repr(p) == expected(tp)
    assert tensor_repr(p).startswith("tensor(")


def test_subclass_prefix_is_its_name():
    class Special(mg.Tensor):
        __slots__ = ()

    assert tensor_repr(Special([1.0, 2.0])) == "Special([1., 2.])"


class _FakeCudaArray(np.ndarray):
    """Looks like a CuPy array on GPU 0 to minigrad's backend (its module's name)."""

    __module__ = "cupy.fake"

    @property
    def device(self):
        return type("Device", (), {"id": 0})()

    def get(self):
        return np.asarray(self).view(np.ndarray)


def test_cuda_tensor_names_its_device_first():
    t = mg.Tensor._make(np.array([1.0, 2.0]).view(_FakeCudaArray), False)
    # PyTorch on a GPU: tensor([1., 2.], device='cuda:0', dtype=torch.float64)
    assert tensor_repr(t) == "tensor([1., 2.], device='cuda:0', dtype=minigrad.float64)"
    t = mg.Tensor._make(np.array([0.5], np.float32).view(_FakeCudaArray), True)
    assert tensor_repr(t) == "tensor([0.5000], device='cuda:0', requires_grad=True)"


# ---------------------------------------------------------------------- non-contiguous
def test_non_contiguous_inputs():
    base = np.random.default_rng(2).standard_normal((6, 8)).astype(np.float32)
    ours, theirs = pair(base)
    for f in (
        lambda x: x.T,
        lambda x: x[::2, 1::3],
        lambda x: x.permute(1, 0)[2:5],
        lambda x: x.unsqueeze(0).expand(3, 6, 8),
    ):
        assert tensor_repr(f(ours)) == expected(f(theirs))
    big = np.arange(3000, dtype=np.float64).reshape(50, 60)
    ours, theirs = pair(big)
    assert tensor_repr(ours.T[::2]) == expected(theirs.T[::2])


# ---------------------------------------------------------------------- random tensors
@pytest.mark.parametrize("seed", range(40))
def test_random_tensors(seed):
    rng = np.random.default_rng(seed)
    ndim = int(rng.integers(0, 5))
    shape = tuple(int(k) for k in rng.integers(0, 7, ndim))
    if rng.random() < 0.2 and ndim:
        shape = (int(rng.integers(1000, 1300)),) + shape[1:]
        shape = tuple(max(k, 1) for k in shape)
    dtype = ALL[int(rng.integers(0, len(ALL)))]
    kind = np.dtype(dtype).kind
    if kind == "f":
        scale = 10.0 ** rng.uniform(-7, 10)
        a = rng.standard_normal(shape) * scale
        if rng.random() < 0.5:
            a = np.round(a)
        if a.size and rng.random() < 0.3:
            flat = a.reshape(-1)
            flat[rng.integers(0, a.size, 2)] = rng.choice([np.nan, np.inf, -np.inf, -0.0, 0.0])
        with np.errstate(over="ignore"):
            a = a.astype(dtype)
    elif kind == "b":
        a = rng.random(shape) < 0.5
    else:
        info = np.iinfo(dtype)
        a = rng.integers(info.min, info.max, shape, dtype=dtype, endpoint=True)
    if rng.random() < 0.3:
        options = {
            "precision": int(rng.integers(0, 7)),
            "linewidth": int(rng.integers(20, 120)),
            "edgeitems": int(rng.integers(1, 4)),
            "threshold": int(rng.integers(5, 2000)),
        }
        both(**options)
    check(a)


# ---------------------------------------------------------------------- speed, format
def test_printing_a_big_tensor_is_fast():
    x = mg.randn(1000, 1000)
    tensor_repr(x)
    start = time.perf_counter()
    for _ in range(20):
        text = tensor_repr(x)
    per_call = (time.perf_counter() - start) / 20
    assert "..." in text and text.count("\n") == 6
    assert per_call < 0.02, f"{per_call * 1e3:.1f} ms to print a (1000, 1000) tensor"


def test_big_tensor_never_formats_every_entry(monkeypatch):
    calls = []
    original = _tensor_str._Formatter.format

    def counting(self, value):
        calls.append(value)
        return original(self, value)

    monkeypatch.setattr(_tensor_str._Formatter, "format", counting)
    tensor_repr(mg.zeros(500, 500, 4))
    assert len(calls) == 6 * 6 * 4


def test_repr_str_print_and_format_use_the_new_printer():
    """Fails until Tensor.__repr__ returns _tensor_str.tensor_repr(self)."""
    ours, theirs = pair(np.array([[0.1, 0.25], [100.0, -3.0]], np.float32))
    want = expected(theirs)
    assert repr(ours) == str(ours) == f"{ours}" == want
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        print(ours)
    assert out.getvalue() == want + "\n"
    p = mg.nn.Parameter(mg.tensor([1.0, 2.0]))
    assert repr(p) == expected(torch.nn.Parameter(torch.tensor([1.0, 2.0])))
    # a format spec still formats a 0-d tensor's number, and is refused for 1-d (PyTorch)
    assert f"{mg.tensor(3.14159):.2f}" == f"{torch.tensor(3.14159):.2f}" == "3.14"
    assert f"{mg.tensor(7):>4}" == f"{torch.tensor(7):>4}"
    for lib in (mg, torch):
        with pytest.raises(TypeError):
            f"{lib.tensor([1.5]):.2f}"  # noqa: B018
