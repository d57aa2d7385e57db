"""Factories refuse what PyTorch refuses, with its exception type and message: negative
and non-integer sizes, an arange whose step is zero, NaN or of the wrong sign (NumPy
gave an empty tensor there), a non-finite range, and ragged nested lists."""

import pytest

import minigrad as mg

torch = pytest.importorskip("torch")

CASES = {
    "zeros(-1)": lambda t: t.zeros(-1),
    "ones(2, -3)": lambda t: t.ones(2, -3),
    "empty(-1)": lambda t: t.empty(-1),
    "full((-1,), 2.0)": lambda t: t.full((-1,), 2.0),
    "randn(-1)": lambda t: t.randn(-1),
    "rand(4, -2)": lambda t: t.rand(4, -2),
    "randint(0, 3, (-1,))": lambda t: t.randint(0, 3, (-1,)),
    "new_zeros(-1)": lambda t: t.ones(2).new_zeros(-1),
    "arange(0, 1, 0)": lambda t: t.arange(0, 1, 0),
    "arange(0, 1, nan)": lambda t: t.arange(0, 1, float("nan")),
    "arange(0, inf)": lambda t: t.arange(0, float("inf")),
    "arange(nan)": lambda t: t.arange(float("nan")),
    "arange(5, 0, 1)": lambda t: t.arange(5, 0, 1),
    "arange(0, 5, -1)": lambda t: t.arange(0, 5, -1),
    "tensor([[1, 2], [3]])": lambda t: t.tensor([[1, 2], [3]]),
    "tensor([[[1], [2]], [[3], [4, 5]]])": lambda t: t.tensor([[[1], [2]], [[3], [4, 5]]]),
    "tensor([[1, 2], 3])": lambda t: t.tensor([[1, 2], 3]),
}


@pytest.mark.parametrize("case", CASES)
def test_refused_as_pytorch(case):
    with pytest.raises(Exception) as want:
        CASES[case](torch)
    with pytest.raises(Exception) as got:
        CASES[case](mg)
    assert isinstance(got.value, type(want.value)), (got.value, want.value)
    if case.startswith(("zeros", "ones", "empty", "full", "randn", "rand(", "randint", "new")):
        # PyTorch's zeros words it "Dimension size must be non-negative"; the others so
        assert "Trying to create tensor with negative dimension -" in str(got.value)
    elif case.startswith(("arange", "tensor([[1, 2], [3]])", "tensor([[[1]")):
        assert str(got.value) == str(want.value)


@pytest.mark.parametrize(
    "case",
    ["arange(5, 0, -1)", "arange(0)", "arange(0.5, 2, 0.5)", "zeros(0, 3)", "full((0,), 1.0)"],
)
def test_edges_that_are_allowed(case):
    want = eval("torch." + case)
    got = eval("mg." + case)
    assert got.tolist() == want.tolist() and tuple(got.shape) == tuple(want.shape)


def test_a_float_size_is_a_type_error():
    with pytest.raises(TypeError, match="must be tuple of ints"):
        mg.zeros(2.5)
    with pytest.raises(TypeError):
        torch.zeros(2.5)
