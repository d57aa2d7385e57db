"""Small argument checks brought to PyTorch 2.13's: what it refuses is refused with the same
exception type, and an empty 'area' interpolation runs as in PyTorch."""

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")


def _raises_both(fn, exc):
    for L in (mg, torch):
        with pytest.raises(exc):
            fn(L)


def test_multinomial_of_no_categories():
    _raises_both(lambda L: L.multinomial(L.ones(0), 1), RuntimeError)
    _raises_both(lambda L: L.multinomial(L.ones(2, 0), 1, replacement=True), RuntimeError)
    _raises_both(lambda L: L.multinomial(L.ones(3), 4), RuntimeError)


DROPOUTS = {
    "dropout": lambda L: L.nn.functional.dropout,
    "dropout1d": lambda L: L.nn.functional.dropout1d,
    "dropout2d": lambda L: L.nn.functional.dropout2d,
    "dropout3d": lambda L: L.nn.functional.dropout3d,
    "alpha_dropout": lambda L: L.nn.functional.alpha_dropout,
    "feature_alpha_dropout": lambda L: L.nn.functional.feature_alpha_dropout,
}
SHAPES = {"dropout1d": (2, 3, 4), "dropout3d": (2, 3, 4, 4, 4)}


@pytest.mark.parametrize("fn", DROPOUTS)
@pytest.mark.parametrize("training", [None, "yes", 1, np.bool_(True)])
def test_dropout_training_must_be_a_bool(fn, training):
    shape = SHAPES.get(fn, (2, 3, 4, 4))
    _raises_both(lambda L: DROPOUTS[fn](L)(L.ones(*shape), training=training), TypeError)


@pytest.mark.parametrize("fn", DROPOUTS)
@pytest.mark.parametrize("training", [True, False])
def test_dropout_training_as_a_bool_runs(fn, training):
    shape = SHAPES.get(fn, (2, 3, 4, 4))
    assert DROPOUTS[fn](mg)(mg.ones(*shape), p=0.0, training=training).shape == shape


def test_hardtanh_module_with_equal_bounds_is_refused():
    with pytest.raises(ValueError, match="greater than min_val"):
        mg.nn.Hardtanh(0.5, 0.5)
    with pytest.raises(AssertionError):
        torch.nn.Hardtanh(0.5, 0.5)
    # the functional form takes them, as PyTorch's
    assert mg.nn.functional.hardtanh(mg.ones(2), 0.5, 0.5).tolist() == [0.5, 0.5]
    assert mg.nn.ReLU6()(mg.tensor([7.0, -1.0])).tolist() == [6.0, 0.0]


@pytest.mark.parametrize(
    "shape,kw",
    [
        ((2, 3, 4, 4), dict(size=(0, 2))),
        ((2, 3, 4, 4), dict(size=(3, 0))),
        ((1, 1, 4), dict(scale_factor=0.2)),
        ((1, 2, 2, 3, 3), dict(size=(0, 1, 1))),
    ],
)
def test_area_interpolation_to_an_empty_size(shape, kw):
    outs = []
    for L in (mg, torch):
        x = L.ones(*shape, requires_grad=True)
        y = L.nn.functional.interpolate(x, mode="area", **kw)
        outs.append((tuple(y.shape), y.requires_grad, y.numel()))
    assert outs[0] == outs[1]
    x = mg.ones(*shape, requires_grad=True)
    mg.nn.functional.interpolate(x, mode="area", **kw).sum().backward()
    assert x.grad.shape == shape and float(x.grad.abs().sum()) == 0.0


def test_area_interpolation_of_an_empty_batch_and_of_an_empty_input():
    for L in (mg, torch):
        y = L.nn.functional.interpolate(L.ones(0, 3, 4, 4), size=(0, 2), mode="area")
        assert tuple(y.shape) == (0, 3, 0, 2)
    _raises_both(
        lambda L: L.nn.functional.interpolate(L.ones(1, 3, 0, 4), size=(0, 2), mode="area"),
        RuntimeError,
    )


def test_other_modes_still_refuse_an_empty_size():
    _raises_both(
        lambda L: L.nn.functional.interpolate(L.ones(1, 1, 4, 4), size=(0, 2)), RuntimeError
    )


def test_spmm_of_dense_tensors_is_mm():
    a = np.arange(6.0).reshape(2, 3)
    b = np.arange(12.0).reshape(3, 4)
    outs = []
    for L in (mg, torch):
        x = L.tensor(a, requires_grad=True)
        y = L.spmm(x, L.tensor(b))
        y.sum().backward()
        outs.append((y.tolist(), x.grad.tolist()))
    assert outs[0] == outs[1]
    with pytest.raises(RuntimeError):
        mg.spmm(mg.ones(3), mg.ones(3, 2))


@pytest.mark.parametrize("seed", range(4))
def test_multinomial_draws_zero_weights_last(seed):
    """Without replacement and with more samples than nonzero weights, PyTorch 2.13 draws
    the zero-weight categories after every other (which of them is not matched)."""
    for L in (mg, torch):
        L.manual_seed(seed)
        out = L.multinomial(L.tensor([0.0, 3.0, 0.0, 1.0, 0.0]), 4).tolist()
        assert sorted(out[:2]) == [1, 3] and len(set(out)) == 4
        rows = L.multinomial(L.tensor([[0.0, 2.0, 0.0, 0.0], [3.0, 1.0, 0.0, 2.0]]), 4).tolist()
        assert rows[0][0] == 1 and sorted(rows[0]) == [0, 1, 2, 3]
        assert sorted(rows[1][:3]) == [0, 1, 3] and rows[1][3] == 2


@pytest.mark.parametrize(
    "call",
    [
        lambda L, x: x.std(unbiased=True, correction=1),
        lambda L, x: x.var(0, False, correction=0),
        lambda L, x: L.var(x, unbiased=False, correction=0),
        lambda L, x: L.std(x, 0, True, correction=1),
        lambda L, x: L.std_mean(x, unbiased=True, correction=1),
        lambda L, x: L.var_mean(x, 0, unbiased=False, correction=2),
    ],
)
def test_unbiased_and_correction_together_are_refused(call):
    _raises_both(lambda L: call(L, L.arange(4.0)), TypeError)


@pytest.mark.parametrize(
    "call",
    [
        lambda L, x: x.std(),
        lambda L, x: x.var(False),
        lambda L, x: x.std(0, False),
        lambda L, x: L.var(x, 0, correction=0),
        lambda L, x: L.std(x, unbiased=False),
        lambda L, x: L.var_mean(x, 0, True)[0],
        lambda L, x: L.std_mean(x, correction=2)[0],
    ],
)
def test_unbiased_or_correction_alone(call):
    m, t = (float(call(L, L.arange(4.0))) for L in (mg, torch))
    assert m == pytest.approx(t, rel=1e-6)
