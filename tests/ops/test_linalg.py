"""Matrix products (minigrad/ops/linalg.py) through the shared op-case runner."""

import numpy as np
import pytest
from hypothesis import strategies as st
from op_cases import OpCase, broadcast_shapes, case_test, torch_or_skip

import minigrad as mg
from minigrad import ops


def _matmul_draw(a_vec=False, b_vec=False):
    """Shapes for a @ b: batch dims that broadcast (size 1, missing) and optional 1-d sides."""

    def draw(data, rng):
        n, k, m = (data.draw(st.integers(1, 3), label=c) for c in "nkm")
        ba, bb = data.draw(broadcast_shapes(2, max_dims=2), label="batch")
        sa = (k,) if a_vec else (*ba, n, k)
        sb = (k,) if b_vec else (*bb, k, m)
        return [rng.uniform(-2, 2, sa), rng.uniform(-2, 2, sb)], {}

    return draw


def _linear_draw(bias, batch_dims):
    def draw(data, rng):
        n_in, n_out = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4))
        lead = tuple(
            data.draw(st.lists(st.integers(1, 3), min_size=batch_dims, max_size=batch_dims))
        )
        arrays = [rng.uniform(-2, 2, (*lead, n_in)), rng.uniform(-1, 1, (n_out, n_in))]
        if bias:
            arrays.append(rng.uniform(-1, 1, n_out))
        return arrays, {}

    return draw


def _np_linear(x, w, b=None):
    return x @ w.T + (0 if b is None else b)


CASES = [
    OpCase("matmul", _matmul_draw(), mg.matmul, np.matmul, lambda a, b: a @ b),
    OpCase("matmul_operator", _matmul_draw(), lambda a, b: a @ b, np.matmul, lambda a, b: a @ b),
    OpCase("matmul_vec_mat", _matmul_draw(a_vec=True), mg.matmul, np.matmul, lambda a, b: a @ b),
    OpCase(
        "matmul_mat_vec",
        _matmul_draw(b_vec=True),
        lambda a, b: a.matmul(b),
        np.matmul,
        lambda a, b: a @ b,
    ),
    OpCase("matmul_dot", _matmul_draw(True, True), mg.matmul, np.matmul, lambda a, b: a @ b),
    OpCase(
        "linear",
        _linear_draw(True, 1),
        ops.linear,
        _np_linear,
        lambda x, w, b: torch_or_skip().nn.functional.linear(x, w, b),
    ),
    OpCase(
        "linear_nobias_3d",
        _linear_draw(False, 2),
        ops.linear,
        _np_linear,
        lambda x, w: torch_or_skip().nn.functional.linear(x, w),
    ),
    OpCase(
        "linear_1d",
        _linear_draw(True, 0),
        ops.linear,
        _np_linear,
        lambda x, w, b: torch_or_skip().nn.functional.linear(x, w, b),
    ),
]

test_linalg = case_test(CASES)


def test_dot_of_vectors_is_0d():
    a, b = mg.tensor([1.0, 2.0]), mg.tensor([3.0, 4.0])
    y = a @ b
    assert y.shape == () and y.item() == 11.0


def test_matmul_errors_name_shapes():
    with pytest.raises(ValueError, match=r"matmul: shapes \(2, 3\) and \(4, 5\) do not align"):
        mg.randn(2, 3) @ mg.randn(4, 5)
    with pytest.raises(ValueError, match=r"matmul of shapes \(2, 2, 3\) and \(3, 3, 1\)"):
        mg.randn(2, 2, 3) @ mg.randn(3, 3, 1)  # batch dims that do not broadcast
    with pytest.raises(ValueError, match="at least 1 dim"):
        mg.matmul(mg.tensor(1.0), mg.randn(2))
    with pytest.raises(ValueError, match=r"linear: input of shape \(2, 3\) has 3 features"):
        ops.linear(mg.randn(2, 3), mg.randn(4, 5))


def test_matmul_with_array_operand_keeps_tensor_dtype_for_float32_array():
    w = mg.randn(3, 2, requires_grad=True)
    y = np.ones((4, 3), np.float32) @ w
    assert y.dtype == np.float32 and y.shape == (4, 2)
    y.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), 4.0)


@pytest.mark.parametrize("out_features", [1, 5])
def test_linear_input_gradient_follows_the_order_of_x(out_features):
    """First order: an F-ordered x (a batch-minor conv output, flattened) gets an F-ordered
    gradient, reshaped back a batch-minor one; a C-ordered x a C-ordered one. With one
    output feature the product is an outer product, made as a multiply: PyTorch's bits,
    -0.0 as +0.0 as its sum gives."""
    torch = torch_or_skip()
    rng = np.random.default_rng(5)
    conv_out = rng.standard_normal((3, 4, 2, 6)).astype(np.float32)  # (C, H, W, N)
    x_bm = conv_out.transpose(3, 0, 1, 2)  # (6, 3, 4, 2), batch-minor
    w = rng.standard_normal((out_features, 24)).astype(np.float32)
    w[0, :2] = [0.0, -0.0]
    gy = rng.standard_normal((6, out_features)).astype(np.float32)
    gy[0, 0] = -1.0
    tx = torch.tensor(x_bm.reshape(6, 24), requires_grad=True)
    tw = torch.tensor(w, requires_grad=True)
    (want,) = torch.autograd.grad(tx @ tw.T, tx, torch.tensor(gy))
    for x in (x_bm, np.ascontiguousarray(x_bm)):
        X = mg.Tensor(x, requires_grad=True)
        flat = X.reshape(6, 24)
        seen = []
        flat.register_hook(seen.append)
        y = mg.nn.functional.linear(flat, mg.Tensor(w, requires_grad=True))
        y.backward(mg.Tensor(gy))
        f_order = not x.flags.c_contiguous
        seen[0] = seen[0].numpy()
        assert seen[0].flags.f_contiguous == f_order and seen[0].flags.c_contiguous != f_order
        if out_features == 1:
            np.testing.assert_array_equal(seen[0], want.numpy())
            assert not np.signbit(seen[0][0, :2]).any()  # -1 * 0.0 and -1 * -0.0: +0.0
        else:
            np.testing.assert_allclose(seen[0], want.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("compiled", [True, False])
@pytest.mark.parametrize("size", ["small", "split"])
def test_outer_product_as_a_multiply_has_the_bits_of_the_matmul(dtype, compiled, size, monkeypatch):
    """The compiled one-pass loop (a share of the rows per thread where the output is
    large, made to split even small ones here) and the NumPy multiply: the matmul's bits,
    NaN, inf, signed zeros and underflow included."""
    from minigrad.ops import cpu_kernels
    from minigrad.ops.linalg import _product

    a = np.array([[-1.0], [2.0], [np.inf], [np.nan], [0.0], [1e-30], [-0.0]], dtype)
    b = np.array([[0.0, -0.0, 1.0, np.inf, -3.0, 1e-30, -np.inf]], dtype)
    if size == "split":  # many rows, and the crew's split from the first value
        a = np.tile(a, (41, 1))
        b = np.tile(b, (1, 9))
        monkeypatch.setattr(cpu_kernels, "MIN_PARALLEL_OUTER", 1)
    before = mg.get_num_threads()
    mg.set_num_threads(2)
    try:
        with cpu_kernels.use(compiled), np.errstate(invalid="ignore", under="ignore"):
            want, got = a @ b, _product(a, b)
    finally:
        mg.set_num_threads(before)
    assert got.shape == want.shape and got.flags.c_contiguous and got.dtype == dtype
    bits = np.uint32 if dtype == np.float32 else np.uint64
    np.testing.assert_array_equal(got.view(bits), want.view(bits))
    c = np.ones((3, 2), dtype)
    np.testing.assert_array_equal(_product(c, c.T), c @ c.T)  # inner size 2: the matmul
    # strided column and row (views of larger arrays, as a Linear's backward passes them)
    wide_a, wide_b = np.repeat(a, 3, axis=1), np.repeat(b, 2, axis=0)
    sa, sb = wide_a[::2, 1:2], wide_b[1:2, ::3]
    with cpu_kernels.use(compiled), np.errstate(invalid="ignore", under="ignore"):
        got, want = _product(sa, sb), np.ascontiguousarray(sa) @ np.ascontiguousarray(sb)
    np.testing.assert_array_equal(got.view(bits), want.view(bits))
