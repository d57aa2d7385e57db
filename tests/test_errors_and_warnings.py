"""What PyTorch programs catch and see: the exception classes of common misuses, IEEE
results without NumPy's RuntimeWarnings, PyTorch's own warnings, and cat's legacy rule for
`tensor([])`. Each is compared with PyTorch."""

import warnings

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")

MISUSES = {
    "cat shapes": lambda T: T.cat([T.ones(2, 3), T.ones(2, 4)]),
    "stack shapes": lambda T: T.stack([T.ones(2), T.ones(3)]),
    "add broadcast": lambda T: T.ones(2) + T.ones(3),
    "matmul shapes": lambda T: T.ones(2, 3) @ T.ones(2, 3),
    "view size": lambda T: T.ones(6).view(4, -1),
    "reshape size": lambda T: T.ones(6).reshape(4, 2),
    "linear features": lambda T: T.nn.Linear(3, 2)(T.ones(2, 4)),
    "float of two": lambda T: float(T.tensor([1.0, 2.0])),
    "int of two": lambda T: int(T.tensor([1, 2])),
    "item of two": lambda T: T.tensor([1.0, 2.0]).item(),
    "int // 0": lambda T: T.tensor([1, 2]) // 0,
    "int % 0": lambda T: T.tensor([1, 2]) % 0,
    "cross_entropy (N, 1) target": lambda T: T.nn.functional.cross_entropy(
        T.zeros(4, 3), T.tensor([[0], [1], [2], [0]])
    ),
    "gather out of range": lambda T: T.arange(3).gather(0, T.tensor([3])),
    "one_hot negative": lambda T: T.nn.functional.one_hot(T.tensor([-1]), 3),
    "cat [] with a mismatch": lambda T: T.cat([T.zeros(0, 2), T.ones(2, 3)]),
}


@pytest.mark.parametrize("name", list(MISUSES))
def test_misuse_raises_an_exception_pytorch_code_catches(name):
    """minigrad's exception is an instance of PyTorch's class (its own classes are both
    that and the builtin minigrad raised before, such as ShapeError(RuntimeError,
    ValueError))."""
    with pytest.raises(Exception) as want:
        MISUSES[name](torch)
    with pytest.raises(Exception) as got:
        MISUSES[name](mg)
    assert isinstance(got.value, type(want.value)), (type(got.value), type(want.value))


QUIET = {
    "float / 0": lambda T: T.tensor([1.0, 0.0, -1.0]) / 0,
    "tensor / zeros": lambda T: T.tensor([1.0, 0.0]) / T.zeros(2),
    "int / 0": lambda T: T.tensor([1, 0]) / 0,
    "log 0": lambda T: T.log(T.tensor([0.0, -1.0])),
    "sqrt -1": lambda T: T.sqrt(T.tensor([-1.0])),
    "exp overflow": lambda T: T.exp(T.tensor([1000.0])),
    "0 ** -1": lambda T: T.tensor([0.0]) ** -1,
    "inf * 0": lambda T: T.tensor([float("inf")]) * 0,
    "inf - inf": lambda T: T.tensor([float("inf")]) - float("inf"),
    "softmax of inf": lambda T: T.softmax(T.tensor([float("inf"), 1.0]), 0),
    "float // 0": lambda T: T.tensor([1.0]) // 0.0,
    "remainder 0": lambda T: T.remainder(T.tensor([1.0]), 0.0),
    "cross_entropy all ignored": lambda T: T.nn.functional.cross_entropy(
        T.zeros(2, 3), T.tensor([-100, -100])
    ),
    "mean of empty": lambda T: T.tensor([]).mean(),
    "large array / 0 (threads)": lambda T: T.ones(2048, 2048) / 0,
    "cosine_similarity of inf": lambda T: T.nn.functional.cosine_similarity(
        T.tensor([[float("inf"), 1.0]]), T.tensor([[1.0, 1.0]])
    ),
    "NaN and inf to long": lambda T: T.tensor([float("nan"), float("inf")]).long(),
}


@pytest.mark.parametrize("name", list(QUIET))
def test_ieee_results_without_warnings(name):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = QUIET[name](mg)
        want = QUIET[name](torch)
    np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_backward_through_a_division_by_zero_is_quiet():
    def grads(T):
        x = T.tensor([0.0, 1.0], requires_grad=True)
        (T.log(x) + 1 / x).sum().backward()
        return x.grad.numpy()

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(grads(mg), grads(torch))


def test_numpy_errors_stay_the_users_outside_minigrad():
    mg.ones(3) / 0
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        np.ones(3) / 0


@pytest.mark.parametrize("name", ["var", "std"])
def test_no_degrees_of_freedom_warns_as_pytorch(name):
    with pytest.warns(UserWarning, match=rf"{name}\(\): degrees of freedom is <= 0"):
        got = getattr(mg.tensor([1.0]), name)()
    with pytest.warns(UserWarning):
        want = getattr(torch.tensor([1.0]), name)()
    assert np.isnan(got.item()) and np.isnan(want.item())


@pytest.mark.parametrize(
    "make",
    [
        lambda T: [T.tensor([]), T.ones(2, 3)],
        lambda T: [T.ones(2, 3), T.tensor([]), T.ones(1, 3) * 2],
        lambda T: [T.tensor([]), T.tensor([])],
        lambda T: [T.tensor([], dtype=T.float64), T.ones(2, 3)],
        lambda T: [T.tensor([], dtype=T.int64), T.ones(2, 3)],
        lambda T: [T.tensor([]), T.ones(3)],
    ],
)
def test_cat_skips_a_legacy_empty_tensor_but_promotes_with_it(make):
    got, want = mg.cat(make(mg)), torch.cat(make(torch))
    assert str(got.dtype) == str(want.dtype).replace("torch.", "")
    np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_cat_onto_an_empty_accumulator_keeps_gradients():
    x = mg.ones(2, 3, requires_grad=True)
    out = mg.tensor([])
    for _ in range(2):
        out = mg.cat([out, x * 2])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 3), 4.0, np.float32))


@pytest.mark.parametrize(
    "make",
    [
        lambda T: T.ByteTensor([256, -1]),
        lambda T: T.CharTensor([200]),
        lambda T: T.IntTensor([2**40]),
        lambda T: T.tensor([256, -1], dtype=T.uint8),
        lambda T: T.tensor([1.5, 300.0], dtype=T.uint8),
    ],
)
def test_numbers_that_overflow_an_integer_dtype_are_refused(make):
    with pytest.raises(RuntimeError, match="without overflow"):
        make(torch)
    with pytest.raises(RuntimeError, match="without overflow"):
        make(mg)


def test_numbers_that_fit_are_kept():
    assert mg.tensor([255, 0], dtype=mg.uint8).tolist() == [255, 0]
    assert mg.tensor(-3, dtype=mg.int8).item() == -3


def test_softmax_and_attention_over_no_keys():
    for T in (mg, torch):
        F = T.nn.functional
        assert tuple(F.softmax(T.zeros(2, 0), 1).shape) == (2, 0)
        assert tuple(F.log_softmax(T.zeros(2, 0), 1).shape) == (2, 0)
    q, k = np.ones((1, 1, 2, 3), np.float32), np.zeros((1, 1, 0, 3), np.float32)
    got = mg.nn.functional.scaled_dot_product_attention(*map(mg.tensor, (q, k, k)))
    want = torch.nn.functional.scaled_dot_product_attention(*map(torch.tensor, (q, k, k)))
    np.testing.assert_array_equal(got.numpy(), want.numpy())
