"""Round 23 of the hostile reviews: tensor creation and casts against PyTorch 2.13."""

import random

import numpy as np
import pytest

import minigrad as mg
from minigrad.ops.complex_ops import complex as mg_complex
from minigrad.ops.complex_ops import polar as mg_polar

torch = pytest.importorskip("torch")

INT_DTYPES = ["int64", "int32", "int16", "int8", "uint8"]


def _same(got, want):
    assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1]
    assert got.tolist() == want.tolist()


def _both_raise(fn, mg_error=Exception):
    with pytest.raises(Exception):  # noqa: B017 - PyTorch's own type is checked by the callers' cases
        fn(torch)
    with pytest.raises(mg_error):
        fn(mg)


# item 1: integer linspace takes PyTorch's kernel's values (fused multiply-add)
@pytest.mark.parametrize(
    "args",
    [(-3.0663, 7, 7), (-9, 6.6129, 10), (8, -4.1635, 11), (-1.4487, 5, 10), (-9, 6, 10), (0, 0, 1)],
)
@pytest.mark.parametrize("dt", INT_DTYPES)
def test_integer_linspace_matches_the_reviewers_cases(args, dt):
    if dt == "uint8" and min(args[:2]) < 0:
        args = (abs(args[0]), abs(args[1]), args[2])
    got = mg.linspace(*args, dtype=getattr(mg, dt))
    _same(got, torch.linspace(*args, dtype=getattr(torch, dt)))


def test_integer_linspace_fuzz():
    rng = random.Random(23)
    for _ in range(600):
        dt = rng.choice(INT_DTYPES)
        a, b = (
            rng.choice([rng.uniform(-20, 20), rng.randint(-20, 20), round(rng.uniform(-20, 20), 1)])
            for _ in range(2)
        )
        if dt == "uint8":
            a, b = abs(a), abs(b)
        n = rng.choice([rng.randint(0, 40), rng.randint(0, 400)])
        got = mg.linspace(a, b, n, dtype=getattr(mg, dt))
        want = torch.linspace(a, b, n, dtype=getattr(torch, dt))
        assert got.tolist() == want.tolist(), (a, b, n, dt)


# item 2: Python ints beyond int64
@pytest.mark.parametrize(
    "data,dt",
    [
        (2**63, "float32"),
        ([10**20], "float64"),
        (2**64 - 1, "uint64"),
        ([2**63, 5], "uint64"),
        (-(2**63) - 1, "float64"),
        ([1j, 2**64], None),
        ([2**70, 1.5], "float32"),
        ([0, 2**64], "bool"),
        ([2**63], "float16"),
        ([[2**63], [1]], "complex128"),
    ],
)
def test_big_python_ints_with_a_dtype_that_holds_them(data, dt):
    for ctor in ("tensor", "as_tensor"):
        got = getattr(mg, ctor)(data, dtype=None if dt is None else getattr(mg, dt))
        want = getattr(torch, ctor)(data, dtype=None if dt is None else getattr(torch, dt))
        assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1]
        np.testing.assert_array_equal(got.numpy(), want.numpy())


@pytest.mark.parametrize(
    "data,dt,error",
    [
        ([2**64], None, ValueError),
        (2**63, "int64", ValueError),
        ([2**63], "int8", ValueError),
        ([2**64], "uint64", OverflowError),
        ([-1, 2**63], "uint64", OverflowError),
        ([1.5, 2**63], "uint64", TypeError),
        ([1.5, 2], "uint64", TypeError),
    ],
)
def test_big_python_ints_refused_as_pytorch_refuses_them(data, dt, error):
    with pytest.raises(error):
        torch.tensor(data, dtype=None if dt is None else getattr(torch, dt))
    with pytest.raises(error, match=r"\d"):  # the message names the value
        mg.tensor(data, dtype=None if dt is None else getattr(mg, dt))


def test_full_with_big_ints():
    _same(mg.full((2,), 2**63, dtype=mg.bool), torch.full((2,), 2**63, dtype=torch.bool))
    _same(mg.full((2,), -(2**63), dtype=mg.uint64), torch.full((2,), -(2**63), dtype=torch.uint64))
    _same(mg.full((2,), -1, dtype=mg.uint64), torch.full((2,), -1, dtype=torch.uint64))
    _both_raise(lambda L: L.full((2,), -(2**63) - 1, dtype=L.uint64), OverflowError)


# item 5: complex and polar (forward only)
def test_complex_and_polar():
    rng = np.random.default_rng(0)
    for dt in (np.float32, np.float64):
        a = (rng.random((3, 4)) * 3).astype(dt)
        b = ((rng.random(4) - 0.5) * 7).astype(dt)
        want = torch.complex(torch.tensor(a), torch.tensor(b))
        got = mg_complex(mg.tensor(a), mg.tensor(b))
        assert str(got.dtype) == str(want.dtype).split(".")[-1]
        np.testing.assert_array_equal(got.numpy(), want.numpy())
        want = torch.polar(torch.tensor(a), torch.tensor(b)).numpy()
        got = mg_polar(mg.tensor(a), mg.tensor(b)).numpy()
        assert got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=2 * np.finfo(dt).eps, atol=4 * np.finfo(dt).eps)
    assert mg_complex(mg.tensor([]), mg.tensor([])).shape == (0,)
    assert mg_polar(mg.tensor(2.0), mg.tensor(0.0)).item() == 2 + 0j


def test_complex_refusals():
    f32, f64 = mg.tensor([1.0]), mg.tensor([1.0], dtype=mg.float64)
    with pytest.raises(RuntimeError, match="Float .*Double"):
        mg_complex(f32, f64)
    with pytest.raises(RuntimeError, match="Long"):
        mg_complex(mg.tensor([1]), mg.tensor([1]))
    with pytest.raises(NotImplementedError, match="complex autograd"):
        mg_polar(mg.tensor([1.0], requires_grad=True), f32)


# item 6: small crashes on valid calls
def test_arange_end_keyword_and_zero_d_tensors():
    _same(mg.arange(end=4), torch.arange(end=4))
    _same(mg.arange(start=1, end=4), torch.arange(start=1, end=4))
    _same(mg.arange(mg.tensor(3)), torch.arange(torch.tensor(3)))
    with pytest.raises(TypeError):
        mg.arange()


def test_complex_list_to_bool():
    _same(mg.tensor([1 + 2j, 0j], dtype=mg.bool), torch.tensor([1 + 2j, 0j], dtype=torch.bool))
    _both_raise(lambda L: L.tensor([1 + 2j, 0j], dtype=L.float32), TypeError)


@pytest.mark.parametrize("dt", [None, "complex128"])
def test_complex_linspace_and_logspace(dt):
    kw = {} if dt is None else {"dtype": getattr(torch, dt)}
    mkw = {} if dt is None else {"dtype": getattr(mg, dt)}
    for args in [(1j, 2, 3), (1, 2j, 4), (1j, 2, 1), (0, 1j, 0)]:
        got, want = mg.linspace(*args, **mkw), torch.linspace(*args, **kw)
        assert str(got.dtype) == str(want.dtype).split(".")[-1]
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)
        got, want = mg.logspace(*args, **mkw), torch.logspace(*args, **kw)
        assert str(got.dtype) == str(want.dtype).split(".")[-1]
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)
    _both_raise(lambda L: L.linspace(1j, 2, 3, dtype=L.float32), RuntimeError)


@pytest.mark.parametrize("cast", ["float", "double", "half", "long", "int", "bool", "byte", "char"])
def test_casts_take_memory_format(cast):
    x, t = mg.tensor([[1.5, -2.0]]), torch.tensor([[1.5, -2.0]])
    for fmt in ("preserve_format", "contiguous_format"):
        _same(
            getattr(x, cast)(memory_format=getattr(mg, fmt)),
            getattr(t, cast)(memory_format=getattr(torch, fmt)),
        )
    _same(x.short(memory_format=mg.preserve_format), t.short())
    with pytest.raises(RuntimeError, match="rank 4"):
        getattr(x, cast)(memory_format=mg.channels_last)


def test_type_torch_tensor_is_the_default_float():
    _same(mg.tensor([1, 2]).type("torch.Tensor"), torch.tensor([1, 2]).type("torch.Tensor"))
    with pytest.raises(ValueError, match="invalid type"):
        mg.tensor([1]).type("torch.NoSuchTensor")


def test_tensor_takes_pin_memory_false():
    _same(mg.tensor([1.0], pin_memory=False), torch.tensor([1.0], pin_memory=False))


def test_list_of_a_list_then_a_tensor_stacks():
    for rows in ([[1.5, 2.0], "ones"], [[1, 2], "ones"], [[1, 2], "ones64"], [[[1, 2]], "ones12"]):

        def make(L, rows=rows):
            last = {"ones": L.ones(2), "ones64": L.ones(2, dtype=L.float64), "ones12": L.ones(1, 2)}
            return L.tensor([rows[0], last[rows[1]]])

        _same(make(mg), make(torch))
    _both_raise(lambda L: L.tensor([[1, 2], L.ones(3)]), ValueError)
    _both_raise(lambda L: L.tensor([L.ones(2), [1, 2]]), ValueError)


# item 7: misuse refused
@pytest.mark.parametrize(
    "fn",
    [
        lambda L: L.arange(3, dtype=L.bool),
        lambda L: L.arange(2, dtype=L.complex64),
        lambda L: L.linspace(0, 1, 3, dtype=L.bool),
    ],
)
def test_range_dtypes_pytorch_lacks(fn):
    _both_raise(fn, NotImplementedError)


def test_one_d_tensor_ends_refused():
    _both_raise(lambda L: L.linspace(L.tensor([0.0]), L.tensor([1.0]), 3), RuntimeError)
    _both_raise(lambda L: L.linspace(L.tensor(0.0), L.tensor([1.0]), 3), RuntimeError)
    _both_raise(lambda L: L.arange(L.tensor([3])), TypeError)
    _both_raise(lambda L: L.arange(2, L.tensor([3])), TypeError)
    _same(
        mg.linspace(mg.tensor(0.0), mg.tensor(1.0), 3),
        torch.linspace(torch.tensor(0.0), torch.tensor(1.0), 3),
    )


def test_a_string_times_an_integer_tensor_repeats_it_as_pytorch():
    for lib in (torch, mg):
        assert "ab" * lib.tensor(2) == "abab"
        with pytest.raises(TypeError):
            "ab" * lib.tensor(2.0)


def test_complex_and_polar_are_top_level_as_pytorch():
    re, im = [1.0, -2.0], [0.5, 3.0]
    got = mg.complex(mg.tensor(re), mg.tensor(im))
    want = torch.complex(torch.tensor(re), torch.tensor(im))
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    assert isinstance(complex(1, 2), complex)  # the builtin is untouched outside minigrad
