"""Functions a ported program needed: isposinf, isneginf, signbit, nansum, nanmean,
initial_seed, random.fork_rng and the determinism switch, compared with PyTorch."""

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")

VALUES = [1.0, -2.5, float("inf"), -float("inf"), float("nan"), -0.0, 0.0]


@pytest.mark.parametrize("name", ["isposinf", "isneginf", "signbit"])
@pytest.mark.parametrize(
    "data, dtype",
    [
        (VALUES, "float32"),
        (VALUES, "float64"),
        ([3, -4, 0], "int64"),
        ([True, False], "bool"),
        ([], "float32"),
    ],
)
def test_sign_and_infinity_tests(name, data, dtype):
    x, t = mg.tensor(np.array(data, dtype=dtype)), torch.tensor(np.array(data, dtype=dtype))
    got, want = getattr(mg, name)(x), getattr(torch, name)(t)
    assert got.dtype == np.bool_
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    np.testing.assert_array_equal(getattr(x, name)().numpy(), want.numpy())


@pytest.mark.parametrize("name", ["nansum", "nanmean"])
@pytest.mark.parametrize("dim, keepdim", [(None, False), (0, False), (1, True), ((0, 1), False)])
def test_nan_reductions_and_their_gradients(name, dim, keepdim):
    a = np.array([[1.0, np.nan, 2.0], [np.nan, np.nan, np.nan]], dtype=np.float64)
    x = mg.tensor(a, requires_grad=True)
    t = torch.tensor(a, requires_grad=True)
    kw = {} if dim is None else dict(dim=dim, keepdim=keepdim)
    got, want = getattr(mg, name)(x, **kw), getattr(torch, name)(t, **kw)
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), equal_nan=True)
    got.sum().backward()
    want.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), equal_nan=True)


def test_nansum_of_ints_and_nanmean_refuses_them():
    np.testing.assert_array_equal(
        mg.nansum(mg.tensor([1, 2, 3])).numpy(), torch.nansum(torch.tensor([1, 2, 3])).numpy()
    )
    with pytest.raises(RuntimeError, match="floating point"):
        torch.nanmean(torch.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="floating point"):
        mg.nanmean(mg.tensor([1, 2]))
    for lib in (torch, mg):  # a float dtype= does not make an integer input acceptable
        with pytest.raises(RuntimeError, match="floating point"):
            lib.nanmean(lib.tensor([1, 2]), dtype=lib.float32)


def test_initial_seed_and_fork_rng():
    mg.manual_seed(7)
    assert mg.initial_seed() == 7 and mg.random.initial_seed() == 7
    first = mg.rand(3)
    mg.manual_seed(7)
    mg.rand(3)
    with mg.random.fork_rng():
        mg.rand(10)
        mg.manual_seed(123)
        mg.rand(2)
    after = mg.rand(3)
    mg.manual_seed(7)
    mg.rand(3)
    np.testing.assert_array_equal(after.numpy(), mg.rand(3).numpy())
    assert mg.initial_seed() == 7
    assert not np.array_equal(first.numpy(), after.numpy())
    with mg.random.fork_rng(enabled=False):
        mg.rand(1)


def test_deterministic_switch_is_recorded():
    assert not mg.are_deterministic_algorithms_enabled()
    mg.use_deterministic_algorithms(True, warn_only=True)
    try:
        assert mg.are_deterministic_algorithms_enabled()
        assert mg.is_deterministic_algorithms_warn_only_enabled()
    finally:
        mg.use_deterministic_algorithms(False)
