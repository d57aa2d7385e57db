"""Tests for the changes proposed outside tests/test_round25_reduce.py's files (histc in
ops/extra.py, out= in _out.py, var_mean/std_mean in ops/structural.py)."""

import warnings

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")


@pytest.mark.parametrize(
    "vals, name",
    [([-40000.0, 0.0, 40000.0], "float16"), ([-3e38, 0.0, 3e38], "float32")],
)
def test_histc_of_a_range_beyond_the_dtype_counts_nothing_as_pytorch(vals, name):
    want = torch.histc(torch.tensor(vals, dtype=getattr(torch, name)), 4).numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # NumPy's overflow warnings leaked before
        got = mg.histc(mg.tensor(vals, dtype=getattr(mg, name)), 4).numpy()
    np.testing.assert_array_equal(got, want)


def test_histc_whose_positions_overflow_counts_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = mg.histc(mg.tensor([-20000.0, 0.0, 40000.0], dtype=mg.float16), 4).numpy()
    np.testing.assert_array_equal(got, [1, 1, 0, 1])  # (PyTorch's overflows to [3, 0, 0, 0])


@pytest.mark.parametrize(
    "call, shape",
    [
        (lambda L, x, o: L.nanmean(x, 1, out=o), (2,)),
        (lambda L, x, o: L.nanmean(x, out=o), ()),
        (lambda L, x, o: L.msort(x, out=o), (2, 2)),
        (lambda L, x, o: L.renorm(x, 2, 0, 1.0, out=o), (2, 2)),
    ],
)
@pytest.mark.parametrize("name", ["float32", "float64", "float16", "int64"])
def test_nanmean_msort_renorm_take_out_as_pytorch(call, shape, name):
    res = {}
    for L in (torch, mg):
        x = L.tensor([[3.0, 4.0], [1.0, float("nan")]])
        o = L.zeros(shape, dtype=getattr(L, name))
        try:
            r = call(L, x, o)
            res[L.__name__] = (r is o, str(o.tolist()))  # (NaN as text: equal)
        except (RuntimeError, NotImplementedError) as e:
            res[L.__name__] = type(e)
    assert res["minigrad"] == res["torch"]


@pytest.mark.parametrize("fn", ["var_mean", "std_mean"])
def test_var_mean_and_std_mean_name_themselves(fn):
    x = mg.ones(2, 3)
    with pytest.raises(Exception, match=rf"^{fn}: dim 0 appears multiple times"):
        getattr(mg, fn)(x, (0, 0))
    with pytest.raises(IndexError, match=rf"^{fn}: dim 5 out of range"):
        getattr(mg, fn)(x, 5)
    with pytest.warns(UserWarning, match=rf"^{fn}\(\): degrees of freedom"):
        getattr(mg, fn)(mg.ones(1, 3), 0)
