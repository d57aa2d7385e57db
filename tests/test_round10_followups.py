"""Follow-ups of the round-10 differential runs: PyTorch's refusals and results where
minigrad crashed, warned or computed what PyTorch refuses."""

import warnings

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")

NORMS = {
    "norm()": lambda lib: lib.norm(lib.tensor([3, 4])),
    "Tensor.norm(p=1)": lambda lib: lib.tensor([3, 4]).norm(p=1),
    "linalg.norm": lambda lib: lib.linalg.norm(lib.tensor([3, 4])),
    "vector_norm(bool)": lambda lib: lib.linalg.vector_norm(lib.tensor([True])),
    "vector_norm(dtype=)": lambda lib: lib.linalg.vector_norm(
        lib.tensor([3, 4]), dtype=lib.float32
    ),
    "matrix_norm": lambda lib: lib.linalg.matrix_norm(lib.ones(2, 2, dtype=lib.int64)),
}


@pytest.mark.parametrize("case", NORMS)
def test_norms_refuse_integer_input_as_pytorch(case):
    with pytest.raises(RuntimeError) as want:
        NORMS[case](torch)
    with pytest.raises(RuntimeError) as got:
        NORMS[case](mg)
    assert str(got.value) == str(want.value)


def test_pairwise_distance_still_takes_integers():
    a, b = [[3, 4]], [[0, 0]]
    want = torch.nn.functional.pairwise_distance(torch.tensor(a), torch.tensor(b))
    got = mg.nn.functional.pairwise_distance(mg.tensor(a), mg.tensor(b))
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)


def test_clip_of_uint8_with_gradients_path():
    # the gradient mask of a 1-byte dtype had no bit width (KeyError: 1)
    for lib in (torch, mg):
        x = lib.tensor([1, 2, 3], dtype=lib.uint8)
        assert lib.clip(x, 0, 2).tolist() == [1, 2, 2]
        assert lib.clamp(x, max=1).tolist() == [1, 1, 1]


@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.tensor([1, 2, 3]).clamp_(0.5, 2.5),
        lambda lib: lib.tensor([True, False]).clamp_(0.1, 0.5),
        lambda lib: lib.tensor([1.0]).clamp_(),
        lambda lib: lib.clamp(lib.tensor([1.0])),
    ],
)
def test_clamp_refusals_are_runtime_errors(call):
    with pytest.raises(RuntimeError):
        call(torch)
    with pytest.raises(RuntimeError):
        call(mg)


@pytest.mark.parametrize("name", ["ceil", "floor", "trunc", "round", "fix"])
@pytest.mark.parametrize("inplace", ["", "_"])
def test_rounding_of_bool_is_not_implemented(name, inplace):
    with pytest.raises(NotImplementedError):
        getattr(torch.tensor([True]), name + inplace)()
    with pytest.raises(NotImplementedError, match="not implemented for 'Bool'"):
        getattr(mg.tensor([True]), name + inplace)()


def test_relu_of_bool_is_a_runtime_error():
    for lib in (torch, mg):
        with pytest.raises(RuntimeError, match="Boolean inputs not supported for relu"):
            lib.relu(lib.tensor([True]))


def test_in_place_sqrt_of_a_negative_is_nan_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(mg.tensor([-1.0]).sqrt_().item())


@pytest.mark.parametrize("op", ["max_pool1d", "avg_pool1d"])
def test_1d_pools_refuse_a_list_with_a_type_error(op):
    for lib in (torch, mg):
        with pytest.raises(TypeError, match="must be Tensor, not list"):
            getattr(lib.nn.functional, op)([1.0, 2.0], 2)


DTYPE_REFUSALS = {
    "prelu(int)": lambda T: T.nn.functional.prelu(T.tensor([-2, 3]), T.tensor([0.25])),
    "PReLU(int)": lambda T: T.nn.PReLU()(T.tensor([-2, 3])),
    "prelu(f64, f32 w)": lambda T: T.nn.functional.prelu(
        T.tensor([-2.0, 3.0], dtype=T.float64), T.tensor([0.25])
    ),
    "dropout(int)": lambda T: T.nn.functional.dropout(T.tensor([1, 2, 3, 4]), 0.5, True),
    "dropout(bool)": lambda T: T.nn.functional.dropout(T.tensor([True, False]), 0.5, True),
    "alpha_dropout(int)": lambda T: T.nn.functional.alpha_dropout(T.tensor([1, 2]), 0.5, True),
    "Dropout2d(int)": lambda T: T.nn.Dropout2d(0.5)(T.ones(1, 4, 1, 1, dtype=T.int64)),
    "std_mean(int)": lambda T: T.std_mean(T.tensor([1, 2, 4])),
    "var_mean(bool)": lambda T: T.var_mean(T.tensor([True, False, True])),
}


@pytest.mark.parametrize("case", DTYPE_REFUSALS)
def test_integer_inputs_refused_where_pytorch_refuses(case):
    """These silently truncated or promoted (prelu of [-2, 3] gave [0, 3] int64)."""
    with pytest.raises(RuntimeError):
        DTYPE_REFUSALS[case](torch)
    with pytest.raises(RuntimeError):
        DTYPE_REFUSALS[case](mg)


def test_integer_dropout_in_eval_is_the_identity():
    x = mg.tensor([1, 2, 3])
    assert mg.nn.functional.dropout(x, 0.5, training=False) is x


def test_cholesky_of_a_float32_matrix_singular_within_rounding_is_refused():
    """NumPy's LAPACK refuses [[1e-3, 1e-3], [1e-3, 1e-3]] in float32; the element-wise
    fallback that finds the failing minor rounded its last pivot to +1.2e-10 and returned a
    factor. (PyTorch's LAPACK refuses it on some CPUs and factors it with a 1e-5 pivot on
    others: the matrix is singular within float32's rounding, so NumPy is the reference.)"""
    a = np.full((2, 2), 1e-3, dtype=np.float32)
    with pytest.raises(np.linalg.LinAlgError):
        np.linalg.cholesky(a)
    with pytest.raises(RuntimeError, match="not positive-definite"):
        mg.linalg.cholesky(mg.tensor(a))
    L, info = mg.linalg.cholesky_ex(mg.tensor(a[None].repeat(2, 0)))
    assert info.tolist() == [2, 2]
    assert L[0, 1, 1].item() == 0.0  # minigrad zeros the failed columns (documented)
    good = np.array([[2.0, 1.0], [1.0, 2.0]], dtype=np.float32)
    np.testing.assert_allclose(
        mg.linalg.cholesky(mg.tensor(good)).numpy(), np.linalg.cholesky(good), rtol=1e-6
    )


@pytest.mark.parametrize(
    "call",
    [
        lambda T: T.nn.functional.leaky_relu(T.arange(4)),
        lambda T: T.nn.functional.adaptive_avg_pool2d(T.arange(16).reshape(1, 1, 4, 4), 2),
    ],
)
def test_integer_kernels_missing_as_in_pytorch(call):
    for T in (torch, mg):
        with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):
            call(T)


def test_constants_dtype_aliases_and_rsub_as_pytorch():
    for name in ("nan", "inf", "pi", "e"):
        a, b = getattr(mg, name), getattr(torch, name)
        assert (a == b) or (a != a and b != b)
    assert mg.newaxis is None and mg.cfloat is mg.complex64 and mg.cdouble is mg.complex128
    for args, kw in [((mg.tensor([1.0, 2.0]), 3), {"alpha": 2}), ((mg.tensor([1, 2]), 5), {})]:
        targs = tuple(torch.tensor(a.tolist()) if isinstance(a, mg.Tensor) else a for a in args)
        got, want = mg.rsub(*args, **kw), torch.rsub(*targs, **kw)
        assert got.tolist() == want.tolist() and str(got.dtype) == str(want.dtype).split(".")[1]


def test_embedding_bag_from_pretrained_as_pytorch():
    w = np.arange(12, dtype=np.float32).reshape(4, 3)
    outs = []
    for T in (torch, mg):
        weights = T.tensor(w)
        bag = T.nn.EmbeddingBag.from_pretrained(weights, mode="sum")
        assert not bag.weight.requires_grad
        free = T.nn.EmbeddingBag.from_pretrained(weights, freeze=False, padding_idx=1)
        assert free.weight.requires_grad and free.mode == "mean" and free.padding_idx == 1
        outs.append(bag(T.tensor([0, 2, 1, 3]), T.tensor([0, 2])).tolist())
        with T.no_grad():
            weights[0, 0] = 100.0  # the weight is the given tensor's memory, not a copy
        assert bag.weight[0, 0].item() == 100.0
    assert outs[0] == outs[1]


@pytest.mark.parametrize("op", ["std_mean", "var_mean"])
def test_complex_spread_and_mean_refused_as_std_and_var(op):
    """std_mean/var_mean of a complex tensor gave a complex 'std' (PyTorch's is real);
    like std and var, they refuse complex input."""
    with pytest.raises(NotImplementedError, match="complex tensors are not supported"):
        getattr(mg, op)(mg.tensor([1 + 2j, 3 - 1j]))
