"""minigrad.testing (minigrad/testing.py) against torch.testing: assert_close raises the
same exception type with the same message (dtypes, shapes and class names spelled
`minigrad.` where PyTorch writes `torch.`) for the same inputs, passes where it passes;
make_tensor and the deprecated assert_allclose follow PyTorch's rules and errors."""

from collections import OrderedDict

import numpy as np
import pytest

import minigrad as mg
import minigrad.testing as mt

torch = pytest.importorskip("torch")
T = torch.tensor
NAN, INF = float("nan"), float("inf")


def to_mg(value):
    """The same input for minigrad: torch tensors (Parameters included) become minigrad
    tensors of the same dtype, strides and requires_grad, inside any nesting."""
    if isinstance(value, torch.nn.Parameter):
        return mg.nn.Parameter(to_mg(value.data))
    if isinstance(value, torch.Tensor):
        data = value.detach().numpy()  # a view: strides kept (non-contiguous stays so)
        return mg.Tensor._make(data, False)
    if isinstance(value, list | tuple):
        return type(value)(to_mg(v) for v in value)
    if isinstance(value, dict):
        return type(value)((k, to_mg(v)) for k, v in value.items())
    return value


def outcome(fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except Exception as exc:  # the outcome is compared, whatever it is
        return type(exc), str(exc)
    return None, ""


def torch_text(text):
    return (
        text.replace("torch.nn.parameter.Parameter", "minigrad.nn.module.Parameter")
        .replace("torch.Tensor", "minigrad.tensor.Tensor")
        .replace("torch.", "minigrad.")
    )


def check_same(actual, expected, **kwargs):
    want = outcome(torch.testing.assert_close, actual, expected, **kwargs)
    got = outcome(mt.assert_close, to_mg(actual), to_mg(expected), **kwargs)
    assert got[0] is want[0], (got, want)
    assert got[1] == torch_text(want[1])
    return got


def col_major():
    return T([[1.0, 2.0], [3.0, 4.0]]).t()


CASES = [
    # tensors: close, not close, the statistics and index of the greatest differences
    (T([1.0, 2.0, 3.0, 4.0]), T([1.0, 2.0, 3.0, 4.1]), {}),
    (T([1.0, 2.0, 3.0]), T([1.0, 2.0, 3.0 + 1e-6]), {}),
    (T([[1.0, 2.0], [3.0, 4.0]]), T([[1.0, 2.0], [3.0, 5.0]]), {}),
    (T([1.0, 5.0, 2.0, 5.0]), T([0.0, 0.0, 0.0, 0.0]), {}),  # ties: the first index
    (T([0.0, 1.0]), T([1e-3, 1.0]), {}),
    (T([1e-8, 1.0]), T([0.0, 1.0]), {}),  # within atol
    (T([1e10, 1.0]), T([1.00001e10, 1.0]), {}),
    (T([1e-3], dtype=torch.float64), T([1.1e-3], dtype=torch.float64), {}),
    (T([1.0, 2.0], dtype=torch.float16), T([1.0, 2.01], dtype=torch.float16), {}),
    (T([-0.0]), T([0.0]), {}),
    # explicit tolerances, both or neither
    (T([1.0, 2.0]), T([1.5, 2.0]), {"rtol": 0.1, "atol": 0.1}),
    (T([1.0, 2.0]), T([1.05, 2.0]), {"rtol": 0.1, "atol": 0.0}),
    (T([1.0]), T([1.0]), {"rtol": 1e-3}),
    (T([1.0]), T([1.0]), {"rtol": 1e-3, "atol": None}),
    ([T([1.0])], [T([1.0])], {"atol": 1e-3}),
    # NaN and infinities
    (T([NAN]), T([NAN]), {}),
    (T([NAN]), T([NAN]), {"equal_nan": True}),
    (T([NAN, 1.0]), T([1.0, NAN]), {"equal_nan": True}),
    (T([1.0, NAN, 3.0]), T([1.0, NAN, 4.0]), {}),
    (T([INF, 1.0]), T([INF, 1.0]), {}),
    (T([INF, 1.0]), T([-INF, 1.0]), {}),
    (T([[INF]]), T([[1.0]]), {}),
    # integers and bool compare exactly by default; relative differences in float32
    (T([1, 2]), T([1, 3]), {}),
    (T([1, 2, 3, 4, 5]), T([1, 3, 3, 6, 5]), {}),
    (T([1, 2, 3, 4, 5]), T([1, 3, 3, 6, 5]), {"rtol": 0.4, "atol": 0}),
    (T([1, 2]), T([1, 4]), {"rtol": 0.1, "atol": 0.5}),
    (T([1, 2**24 + 1]), T([1, 2**24]), {"rtol": 0, "atol": 0.5}),  # compared in float32
    (T([2**31 - 1], dtype=torch.int32), T([-(2**31)], dtype=torch.int32), {}),
    (T([True, False]), T([True, True]), {}),
    (T([True, False, True]), T([True, False, True]), {}),
    # 0-d tensors use the scalar message, empty tensors are always close
    (T(1.0), T(2.0), {}),
    (T(True), T(False), {}),
    (T(1), T(3), {}),
    (T(3), T(0), {}),
    (T(INF), T(INF), {}),
    (T(INF), T(1.0), {}),
    (T(0.5, dtype=torch.float16), T(0.6, dtype=torch.float16), {}),
    (torch.zeros(0), torch.zeros(0), {}),
    (torch.zeros(2, 0), torch.zeros(2, 0), {}),
    # attributes: shape, dtype (or promotion with check_dtype=False), stride
    (T([1.0, 2.0]), T([1.0, 2.0, 3.0]), {}),
    (torch.zeros(0), torch.zeros(1), {}),
    (torch.zeros(2, 0), torch.zeros(0, 2), {}),
    (T([1.0, 2.0]), T([1.0, 2.0], dtype=torch.float64), {}),
    (T([1.0, 2.0]), T([1.0, 2.5], dtype=torch.float64), {"check_dtype": False}),
    (T([1, 2], dtype=torch.int32), T([1, 4], dtype=torch.int64), {"check_dtype": False}),
    (T([1, 2]), T([1.0, 2.5]), {"check_dtype": False}),
    (T([0, 1]), T([0, 1]).bool(), {"check_dtype": False}),
    (T([0, 1]), T([1, 1]).bool(), {"check_dtype": False}),
    (T([True]), T([2.5]), {"check_dtype": False}),
    (T([200], dtype=torch.uint8), T([-56], dtype=torch.int8), {"check_dtype": False}),
    (
        T([1.0, 2.0], dtype=torch.float64),
        T([1.0, 2.0]),
        {"check_dtype": False, "rtol": 0, "atol": 0},
    ),
    (col_major(), T([[1.0, 3.0], [2.0, 5.0]]), {}),  # non-contiguous values
    (torch.ones(2, 3).t(), torch.ones(2, 3).t().contiguous(), {"check_stride": True}),
    (torch.ones(2, 3).t(), torch.ones(2, 3).t().contiguous(), {}),
    (torch.zeros(2, 2, 3)[:, :, 0], torch.ones(2, 2), {}),
    # types: tensors with tensors (subclasses allowed unless told), never with numbers
    (torch.nn.Parameter(torch.ones(2)), torch.ones(2), {}),
    (torch.nn.Parameter(torch.ones(2)), torch.ones(2), {"allow_subclasses": False}),
    (T([1.0]), 1.0, {}),
    (1.0, T([1.0]), {}),
    (np.array([1.0]), T([1.0]), {}),
    (T([1.0]), np.array([1.0]), {}),
    # NumPy arrays compare with NumPy arrays, as tensors of their dtype
    (np.array([1.0]), np.array([1.1]), {}),
    (np.array([1.0], dtype=np.float32), np.array([1.1]), {}),
    (np.array(1.0), np.array(1.1), {}),
    (np.array([1, 2]), np.array([1.0, 2.0]), {}),
    (np.array([1, 2]), np.array([1, 2]), {}),
    (np.array([[1, 2], [3, 4]]).T, np.array([[1, 3], [2, 4]]), {"check_stride": True}),
    # Python and NumPy scalars, booleans, None, other objects
    (1, 1.0, {}),
    (1, 1.0, {"check_dtype": False}),
    (1.0, 2, {"check_dtype": False}),
    (1.0, NAN, {}),
    (NAN, NAN, {"equal_nan": True}),
    (0.0, 1e-3, {}),
    (1 + 2j, 1 + 3j, {}),
    (np.float32(1.0), np.float32(1.1), {}),
    (True, False, {}),
    (np.bool_(True), False, {}),
    (None, 1, {}),
    (None, None, {}),
    ("a", "a", {}),
    # nesting: the failing item's path is named
    ([1.0, {"a": T([1.0, 2.0])}], [1.0, {"a": T([1.0, 3.0])}], {}),
    (
        {"b": T([1.0]), "a": [T([1.0]), T([2.0])]},
        {"b": T([1.0]), "a": [T([1.0]), T([3.0])]},
        {},
    ),
    ({1: 1, "a": 2}, {1: 1, "a": 3}, {}),
    (OrderedDict([("x", 1.0), ("y", 2.0)]), {"y": 2.0, "x": 1.0}, {}),
    ([1.0], [1.0, 2.0], {}),
    ({"a": 1}, {"b": 1}, {}),
    ([1, 2], (1, 3), {}),
    ((1, 2), [1, 2], {}),
    ([], [], {}),
    # msg: a string replaces the comparison message, a callable edits it (with the path);
    # errors found while pairing the inputs keep their own text
    (T([1.0, 2.0]), T([1.0, 4.0]), {"msg": "custom"}),
    ([T([1.0, 2.0])], [T([1.0, 4.0])], {"msg": lambda m: "Header\n" + m}),
    (T([3.0]), T([1.0]), {"msg": lambda m: m.upper()}),
    (T([1.0]), T([1.0, 2.0]), {"msg": "custom"}),
    ([1.0], [1.0, 2.0], {"msg": "custom"}),
    (T([1.0]), 1.0, {"msg": "custom"}),
]


@pytest.mark.parametrize("actual, expected, kwargs", CASES)
def test_assert_close_matches_torch(actual, expected, kwargs):
    check_same(actual, expected, **kwargs)


def test_failures_are_assertion_errors_with_torch_text():
    """The texts the docstring promises, checked literally once."""
    kind, text = check_same(T([1.0, 2.0, 3.0, 4.0]), T([1.0, 2.0, 3.0, 4.1]))
    assert kind is AssertionError
    assert text.splitlines()[:3] == [
        "Tensor-likes are not close!",
        "",
        "Mismatched elements: 1 / 4 (25.0%)",
    ]
    assert "at index (3,) (up to 1e-05 allowed)" in text
    assert "Greatest relative difference: 0.024390220642089844 at index (3,)" in text
    kind, text = check_same([1.0, {"a": T([1.0, 2.0])}], [1.0, {"a": T([1.0, 3.0])}])
    assert text.endswith("The failure occurred for item [1]['a']")
    kind, text = check_same(T([1.0, 2.0]), T([1.0, 2.0], dtype=torch.float64))
    assert text == (
        "The values for attribute 'dtype' do not match: minigrad.float32 != minigrad.float64."
    )
    kind, text = check_same(np.array([1.0]), T([1.0]))
    assert kind is TypeError and "<class 'numpy.ndarray'>" in text


def test_bool_against_int_fails_as_torch():
    """PyTorch has no number pair for a bool against an int: an internal error."""
    for a, b in [(True, 1), (1, True)]:
        want = outcome(torch.testing.assert_close, a, b)
        got = outcome(mt.assert_close, a, b)
        assert got[0] is want[0] is RuntimeError
        head = want[1].split("resulted in")[0]
        assert got[1].split("resulted in")[0] == head


def test_negative_tolerance_is_an_error():
    want = outcome(torch.testing.assert_close, T([1.0, 2.0]), T([1.0, 3.0]), rtol=-1.0, atol=0.0)
    got = outcome(
        mt.assert_close, mg.tensor([1.0, 2.0]), mg.tensor([1.0, 3.0]), rtol=-1.0, atol=0.0
    )
    assert got[0] is want[0] is RuntimeError


@pytest.mark.parametrize("dtype", [torch.float16, torch.float32, torch.float64])
def test_default_tolerances_by_dtype(dtype):
    """Just inside and just outside the default (rtol, atol) of each float dtype."""
    rtol, atol = {torch.float16: (1e-3, 1e-5), torch.float32: (1.3e-6, 1e-5)}.get(
        dtype, (1e-7, 1e-7)
    )
    base = T([1.0, 100.0], dtype=torch.float64)
    for factor in (0.5, 2.0):
        shifted = base + factor * (atol + rtol * base)
        check_same(shifted.to(dtype), base.to(dtype))


def test_random_values_agree_with_torch():
    """Many random pairs around the tolerance boundary, several dtypes and shapes."""
    rng = np.random.default_rng(0)
    for dtype in (np.float16, np.float32, np.float64, np.int64, np.int8, np.bool_):
        for shape in [(7,), (3, 4), (2, 3, 2), ()]:
            a = rng.normal(size=shape) * 10
            b = a + rng.normal(size=shape) * rng.choice([1e-7, 1e-5, 1e-3, 1.0])
            a, b = np.asarray(a).astype(dtype), np.asarray(b).astype(dtype)
            check_same(torch.from_numpy(a), torch.from_numpy(b))


def test_noncontiguous_minigrad_tensors():
    x = mg.arange(12.0).reshape(3, 4)
    mt.assert_close(x.t(), mg.tensor(np.arange(12.0, dtype=np.float32).reshape(3, 4).T.copy()))
    with pytest.raises(AssertionError, match=r"'stride\(\)' do not match: \(1, 4\) != \(3, 1\)"):
        mt.assert_close(x.t(), x.t().contiguous(), check_stride=True)


def test_tensors_that_require_grad_compare_by_value():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    mt.assert_close(x * 1, mg.tensor([1.0, 2.0]))
    with pytest.raises(AssertionError, match="Tensor-likes are not close"):
        mt.assert_close(x * 2, mg.tensor([1.0, 2.0]))


def test_assert_allclose_is_deprecated_and_looser():
    cases = [
        ([1.0, 2.0], [1.0, 2.00001], {}),
        ([1.0, 2.0], [1.0, 2.1], {}),
        ([1.0, NAN], [1.0, NAN], {}),
        ([1.0, NAN], [1.0, NAN], {"equal_nan": False}),
        ([1, 2], [1.0, 2.0], {}),
        ([1.0, 2.0], [1.0, 2.5], {"msg": "mine"}),
    ]
    for actual, expected, kwargs in cases:
        with pytest.warns(FutureWarning) as got_w:
            got = outcome(mt.assert_allclose, mg.tensor(actual), expected, **kwargs)
        with pytest.warns(FutureWarning) as want_w:
            want = outcome(torch.testing.assert_allclose, T(actual), expected, **kwargs)
        assert got[0] is want[0] and got[1] == torch_text(want[1])
        head = "`minigrad.testing.assert_allclose()` is deprecated since 1.12"
        assert str(got_w[0].message).startswith(head)
        assert str(want_w[0].message).startswith(head.replace("minigrad", "torch"))


# ------------------------------------------------------------------------- make_tensor

DTYPES = [
    (mg.float32, torch.float32),
    (mg.float64, torch.float64),
    (mg.float16, torch.float16),
    (mg.int64, torch.int64),
    (mg.int32, torch.int32),
    (mg.int8, torch.int8),
    (mg.uint8, torch.uint8),
    (mg.bool, torch.bool),
]


@pytest.mark.parametrize("dtype, tdtype", DTYPES)
def test_make_tensor_defaults(dtype, tdtype):
    t = mt.make_tensor(40, 50, dtype=dtype, device="cpu")
    ref = torch.testing.make_tensor(40, 50, dtype=tdtype, device="cpu")
    assert t.shape == (40, 50) and t.dtype == np.dtype(dtype) and t.is_contiguous()
    assert not t.requires_grad and t.is_leaf
    lo, hi = {torch.bool: (0, 1), torch.uint8: (0, 9)}.get(tdtype, (-9, 9))
    values = t.numpy().astype(np.float64)
    assert lo <= values.min() and values.max() <= hi
    # the same range as PyTorch's: both reach near both ends
    tv = ref.double().numpy()
    assert abs(values.min() - tv.min()) <= 1.0 and abs(values.max() - tv.max()) <= 1.0
    assert len(np.unique(values)) > 1


def test_make_tensor_shapes_bounds_and_flags():
    assert mt.make_tensor((2, 3), dtype=mg.float32, device="cpu").shape == (2, 3)
    assert mt.make_tensor([4], dtype=mg.float32, device="cpu").shape == (4,)
    assert mt.make_tensor(dtype=mg.float32, device="cpu").shape == ()
    assert mt.make_tensor(0, 3, dtype=mg.int64, device="cpu").shape == (0, 3)
    t = mt.make_tensor(1000, dtype=mg.float64, device="cpu", low=-1, high=1)
    assert -1 <= t.min().item() and t.max().item() < 1
    t = mt.make_tensor(1000, dtype=mg.int64, device="cpu", low=0.5, high=2.5)  # ceiled: [1, 3)
    assert set(np.unique(t.numpy())) == {1, 2}
    t = mt.make_tensor(1000, dtype=mg.uint8, device="cpu", low=-100, high=1000)  # clamped
    assert t.min().item() >= 0 and t.max().item() <= 255
    t = mt.make_tensor(10, dtype=mg.float32, device="cpu", low=-1e39, high=1e39)
    assert np.isfinite(t.numpy()).all()
    t = mt.make_tensor(4, 6, dtype=mg.float32, device="cpu", noncontiguous=True)
    assert t.shape == (4, 6) and not t.is_contiguous()
    assert mt.make_tensor(1, dtype=mg.float32, device="cpu", noncontiguous=True).is_contiguous()
    t = mt.make_tensor(2000, dtype=mg.int64, device="cpu", low=0, high=2, exclude_zero=True)
    assert (t.numpy() == 1).all()
    t = mt.make_tensor(2000, dtype=mg.bool, device="cpu", exclude_zero=True)
    assert t.numpy().all()
    t = mt.make_tensor(10, dtype=mg.float32, device="cpu", requires_grad=True)
    assert t.requires_grad and t.is_leaf
    with pytest.warns(FutureWarning, match="low==high"):
        t = mt.make_tensor(3, dtype=mg.float32, device="cpu", low=2, high=2)
    assert (t.numpy() == 2).all()


def test_make_tensor_exclude_zero_floats_uses_tiny():
    mg.manual_seed(0)
    t = mt.make_tensor(
        100000, dtype=mg.float16, device="cpu", low=-1e-7, high=1e-7, exclude_zero=True
    )
    assert (t.numpy() != 0).all()
    assert (t.numpy() == np.finfo(np.float16).tiny).any()


ERRORS = [
    ({"dtype": "int64", "requires_grad": True}, {"dtype": torch.int64, "requires_grad": True}),
    ({"dtype": "bool", "requires_grad": True}, {"dtype": torch.bool, "requires_grad": True}),
    ({"dtype": "float32", "low": 2, "high": 1}, {"dtype": torch.float32, "low": 2, "high": 1}),
    ({"dtype": "int64", "low": 5, "high": 5}, {"dtype": torch.int64, "low": 5, "high": 5}),
    ({"dtype": "float32", "low": NAN}, {"dtype": torch.float32, "low": NAN}),
    ({"dtype": "uint8", "low": 300, "high": 400}, {"dtype": torch.uint8, "low": 300, "high": 400}),
    (
        {"dtype": "int8", "low": -300, "high": -200},
        {"dtype": torch.int8, "low": -300, "high": -200},
    ),
]


@pytest.mark.parametrize("mine, theirs", ERRORS)
def test_make_tensor_errors_match_torch(mine, theirs):
    got = outcome(mt.make_tensor, 3, device="cpu", **mine)
    want = outcome(torch.testing.make_tensor, 3, device="cpu", **theirs)
    assert got[0] is want[0] is ValueError
    assert got[1] == torch_text(want[1])


def test_make_tensor_unsupported_arguments():
    with pytest.raises(TypeError, match="not supported by minigrad.testing.make_tensor"):
        mt.make_tensor(3, dtype="U1", device="cpu")
    with pytest.raises(TypeError, match="dtype"):
        mt.make_tensor(3, device="cpu")  # dtype is required, as in PyTorch
    with pytest.raises(ValueError, match="mutually exclusive"):
        mt.make_tensor(3, 3, dtype=mg.float32, device="cpu", noncontiguous=True, memory_format=1)
    with pytest.raises(TypeError, match="memory_format"):
        mt.make_tensor(3, dtype=mg.float32, device="cpu", memory_format=1)
    cl = mt.make_tensor(2, 3, 4, 5, dtype=mg.float32, device="cpu", memory_format=mg.channels_last)
    assert cl.is_contiguous(memory_format=mg.channels_last) and cl.stride() == (60, 1, 15, 3)


def test_make_tensor_is_seeded_by_manual_seed():
    mg.manual_seed(3)
    a = mt.make_tensor(5, dtype=mg.float32, device="cpu")
    mg.manual_seed(3)
    b = mt.make_tensor(5, dtype=mg.float32, device="cpu")
    mt.assert_close(a, b, rtol=0, atol=0)
    assert not (a.numpy() == mt.make_tensor(5, dtype=mg.float32, device="cpu").numpy()).all()
