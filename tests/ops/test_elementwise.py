"""Element-wise ops (minigrad/ops/elementwise.py) through the shared op-case runner, plus
broadcasting and dtype-promotion properties."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from op_cases import (
    OpCase,
    binary,
    broadcast_shapes,
    case_test,
    distinct,
    nonzero,
    positive,
    torch_or_skip,
    unary,
    uniform,
)

import minigrad as mg
from minigrad import ops


def _where_draw(data, rng):
    sc, sa, sb = data.draw(broadcast_shapes(3), label="shapes")
    cond = rng.random(sc) < 0.5
    return [rng.uniform(-2, 2, sa), rng.uniform(-2, 2, sb)], {"cond": cond}


def _clip_values(rng, shape):
    """Values at least 0.05 from the clip bounds -0.5 and 0.7."""
    x = rng.uniform(-2, 2, shape)
    for bound in (-0.5, 0.7):
        x = np.where(np.abs(x - bound) < 0.05, x + 0.1, x)
    return x


CASES = [
    # arithmetic, tensor with tensor: shapes broadcast (size-1 dims, missing leading dims)
    OpCase("add", binary(), lambda a, b: a + b, np.add, lambda a, b: a + b),
    OpCase("sub", binary(), lambda a, b: a - b, np.subtract, lambda a, b: a - b),
    OpCase("mul", binary(), lambda a, b: a * b, np.multiply, lambda a, b: a * b),
    OpCase(
        "div", binary(uniform(), nonzero(0.5)), lambda a, b: a / b, np.divide, lambda a, b: a / b
    ),
    OpCase(
        "pow_tensor_tensor",
        binary(positive(), uniform(-1.5, 1.5)),
        lambda a, b: a**b,
        np.power,
        lambda a, b: a**b,
    ),
    # tensor with Python scalar, both sides
    OpCase("add_scalar", unary(), lambda x: x + 1.5, lambda x: x + 1.5, lambda x: x + 1.5),
    OpCase("radd_scalar", unary(), lambda x: 1.5 + x, lambda x: 1.5 + x, lambda x: 1.5 + x),
    OpCase("sub_scalar", unary(), lambda x: x - 0.5, lambda x: x - 0.5, lambda x: x - 0.5),
    OpCase("rsub_scalar", unary(), lambda x: 0.5 - x, lambda x: 0.5 - x, lambda x: 0.5 - x),
    OpCase("mul_scalar", unary(), lambda x: x * -3.0, lambda x: x * -3.0, lambda x: x * -3.0),
    OpCase("rmul_scalar", unary(), lambda x: 2 * x, lambda x: 2 * x, lambda x: 2 * x),
    OpCase("div_scalar", unary(), lambda x: x / 4.0, lambda x: x / 4.0, lambda x: x / 4.0),
    OpCase(
        "rdiv_scalar", unary(nonzero(0.5)), lambda x: 2.0 / x, lambda x: 2.0 / x, lambda x: 2.0 / x
    ),
    OpCase("pow_2", unary(), lambda x: x**2, lambda x: x**2, lambda x: x**2),
    OpCase("pow_3", unary(), lambda x: x**3, lambda x: x**3, lambda x: x**3),
    OpCase("pow_half", unary(positive()), lambda x: x**0.5, np.sqrt, lambda x: x**0.5),
    OpCase("pow_neg", unary(positive()), lambda x: x**-1.5, lambda x: x**-1.5, lambda x: x**-1.5),
    OpCase("pow_zero", unary(nonzero()), lambda x: x**0, lambda x: x**0, lambda x: x**0),
    OpCase("rpow_scalar", unary(), lambda x: 2.5**x, lambda x: 2.5**x, lambda x: 2.5**x),
    OpCase(
        "pow_method",
        unary(positive()),
        lambda x: x.pow(1.5),
        lambda x: x**1.5,
        lambda x: x.pow(1.5),
    ),
    # unary
    OpCase("neg", unary(), lambda x: -x, np.negative, lambda x: -x),
    OpCase("exp", unary(), mg.exp, np.exp, lambda x: x.exp()),
    OpCase("log", unary(positive(0.3)), mg.log, np.log, lambda x: x.log()),
    OpCase("sqrt", unary(positive(0.3)), mg.sqrt, np.sqrt, lambda x: x.sqrt()),
    OpCase("abs", unary(nonzero()), mg.abs, np.abs, lambda x: x.abs()),
    OpCase("abs_operator", unary(nonzero()), abs, np.abs, abs),
    OpCase(
        "clip_both",
        unary(_clip_values),
        lambda x: mg.clip(x, -0.5, 0.7),
        lambda x: np.clip(x, -0.5, 0.7),
        lambda x: x.clamp(-0.5, 0.7),
    ),
    OpCase(
        "clamp_min",
        unary(_clip_values),
        lambda x: x.clamp(min=-0.5),
        lambda x: np.maximum(x, -0.5),
        lambda x: x.clamp(min=-0.5),
    ),
    OpCase(
        "clip_max",
        unary(_clip_values),
        lambda x: x.clip(max=0.7),
        lambda x: np.minimum(x, 0.7),
        lambda x: x.clamp(max=0.7),
    ),
    OpCase(
        "clamp_tensor_bounds",
        binary(distinct(), distinct(0.1)),
        lambda x, lo: x.clamp(min=lo, max=lo + 1.05),
        lambda x, lo: np.clip(x, lo, lo + 1.05),
        lambda x, lo: x.clamp(min=lo, max=lo + 1.05),
    ),
    OpCase(
        "maximum",
        binary(distinct(), distinct(0.1)),
        mg.maximum,
        np.maximum,
        lambda a, b: a.maximum(b),
    ),
    OpCase(
        "minimum",
        binary(distinct(), distinct(0.1)),
        mg.minimum,
        np.minimum,
        lambda a, b: a.minimum(b),
    ),
    OpCase(
        "maximum_scalar",
        unary(distinct(0.1)),
        lambda x: mg.maximum(x, 0.0),
        lambda x: np.maximum(x, 0.0),
        lambda x: x.clamp(min=0.0),
    ),
    OpCase(
        "tensor_max_other",
        binary(distinct(), distinct(0.1)),
        lambda a, b: a.max(b),
        np.maximum,
        lambda a, b: a.max(b),
    ),
    OpCase(
        "where",
        _where_draw,
        lambda a, b, cond: mg.where(cond, a, b),
        lambda a, b, cond: np.where(cond, a, b),
        lambda a, b, cond: torch_or_skip().where(torch_or_skip().as_tensor(np.asarray(cond)), a, b),
    ),
]

test_elementwise = case_test(CASES)


@settings(max_examples=25, deadline=None)
@given(shapes=broadcast_shapes(2, max_dims=4), op=st.sampled_from(["add", "sub", "mul", "div"]))
def test_broadcast_gradients_reduce_to_input_shapes(shapes, op):
    """Every broadcast binary op gives each input a gradient of its own shape, equal to the
    summed broadcast gradient."""
    sa, sb = shapes
    a = mg.tensor(np.random.uniform(1, 2, sa), requires_grad=True)
    b = mg.tensor(np.random.uniform(1, 2, sb), requires_grad=True)
    y = getattr(ops, op)(a, b)
    assert y.shape == np.broadcast_shapes(sa, sb)
    y.sum().backward()
    assert a.grad.shape == sa and b.grad.shape == sb
    if op == "add":
        n = int(np.prod(y.shape))
        np.testing.assert_allclose(a.grad.numpy().sum(), n)
        np.testing.assert_allclose(b.grad.numpy().sum(), n)


def test_scalar_operands_keep_float32():
    x = mg.randn(3)
    for y in (
        x * 2.0,
        2.0 * x,
        x + 1,
        x / 3,
        x**2,
        2.0**x,
        x - np.float64(1.5),
        x * np.array(2.0),
        mg.maximum(x, 0.0),
        mg.where(x > 0, x, 0.0),
    ):
        assert y.dtype == np.float32


def test_promotion_follows_pytorch():
    f32, f64 = mg.randn(3), mg.randn(3, dtype=mg.float64)
    i64 = mg.arange(3)
    assert (f32 * mg.tensor(np.float64(2.0), dtype=mg.float64)).dtype == np.float32  # 0-d
    assert (f32 + f64).dtype == np.float64  # both with dims: the wider wins
    assert (f32 * np.ones(3)).dtype == np.float64  # an array with dims is a tensor
    assert (i64 * 2.5).dtype == np.float32  # int with a float scalar: default float
    assert (i64 * f32).dtype == np.float32  # the float category wins
    assert (i64 / (i64 + 1)).dtype == np.float32  # true division
    assert (i64 * 2).dtype == np.int64
    assert (f32 ** np.int64(2)).dtype == np.float32


def test_promotion_matchestorch_or_skip():
    torch = pytest.importorskip("torch")
    cases = [
        (np.ones(3, np.float32), np.array(2.0)),
        (np.ones(3, np.float32), np.ones(3)),
        (np.arange(3), np.ones(3, np.float32)),
        (np.ones((), np.float32), np.ones(2)),
        (np.arange(3), np.array(1.5)),
    ]
    for a, b in cases:
        ours = (mg.tensor(a, dtype=a.dtype) * mg.tensor(b, dtype=b.dtype)).dtype
        theirs = (torch.from_numpy(a) * torch.from_numpy(b)).dtype
        assert str(theirs) == f"torch.{ours}", (a.dtype, a.shape, b.dtype, b.shape)


def test_mixed_dtype_gradients_keep_each_input_dtype():
    w = mg.randn(3, requires_grad=True)  # float32
    s = mg.tensor(2.0, dtype=mg.float64, requires_grad=True)  # 0-d float64
    v = mg.randn(3, dtype=mg.float64, requires_grad=True)
    ((w * s).sum() + (w * v).sum()).backward()
    assert w.grad.dtype == np.float32 and s.grad.dtype == np.float64
    assert v.grad.dtype == np.float64


def test_shape_mismatch_names_op_and_shapes():
    with pytest.raises(ValueError, match=r"add of shapes \(2, 3\) and \(4,\)"):
        mg.randn(2, 3) + mg.randn(4)
    with pytest.raises(ValueError, match=r"mul of shapes \(2,\) and \(3,\)"):
        mg.randn(2) * mg.randn(3)


def test_relu_like_ops_handle_infinities():
    x = mg.tensor([-np.inf, -1.0, 2.0, np.inf])
    np.testing.assert_array_equal(ops.relu(x).numpy(), [0, 0, 2, np.inf])


def test_pow_zero_exponent_gradient_is_zero_at_zero():
    x = mg.tensor([0.0, 2.0], requires_grad=True)
    (x**0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])


def test_maximum_ties_split_gradient():
    a = mg.tensor([1.0, 2.0], requires_grad=True)
    b = mg.tensor([1.0, 3.0], requires_grad=True)
    mg.maximum(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [0.5, 0.0])
    np.testing.assert_array_equal(b.grad.numpy(), [0.5, 1.0])
