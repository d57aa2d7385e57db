"""Reductions (minigrad/ops/reduce.py, logsumexp) through the shared op-case runner, plus the
sum_to/broadcast_to duality."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from op_cases import OpCase, case_test, nonzero, reduction, torch_or_skip

import minigrad as mg
from minigrad import ops


def _ax(x, dim):
    """A PyTorch dim as a NumPy axis: a 0-d array has no axis to name."""
    return None if x.ndim == 0 else dim


def _tdim(x, dim):
    """A PyTorch dim for functions that require one: all dims for None."""
    return tuple(range(x.ndim)) if dim is None else dim


def distinct_abs(rng, shape):
    """Distinct |values| at least 0.2 apart, none near 0: no ties for max/min/inf-norm."""
    n = int(np.prod(shape))
    mags = (rng.permutation(n) + 1) * 0.2 + 0.05
    return (mags * rng.choice([-1.0, 1.0], n)).reshape(shape)


def _np_norm(x, p, dim, keepdim):
    a = np.abs(x)
    ax = _ax(x, dim)
    if p == np.inf:
        return a.max(axis=ax, keepdims=keepdim)
    return (a**p).sum(axis=ax, keepdims=keepdim) ** (1 / p)


def _np_logsumexp(x, dim, keepdim):
    ax = _ax(x, dim)
    m = x.max(axis=ax, keepdims=True)
    return (
        np.log(np.exp(x - m).sum(axis=ax, keepdims=True)) + m
        if keepdim
        else (np.log(np.exp(x - m).sum(axis=ax, keepdims=True)) + m).reshape(
            np.sum(x, axis=ax).shape
        )
    )


def _var_draw(correction):
    """var/std need at least correction + 1 elements per reduction."""
    base = reduction(min_dims=1, min_side=2)

    def draw(data, rng):
        arrays, kw = base(data, rng)
        kw["correction"] = correction
        return arrays, kw

    return draw


def _np_var(x, dim, keepdim, correction):
    return np.var(x, axis=_ax(x, dim), keepdims=keepdim, ddof=correction)


CASES = [
    OpCase(
        "sum",
        reduction(),
        lambda x, dim, keepdim: x.sum(dim, keepdim),
        lambda x, dim, keepdim: np.sum(x, axis=_ax(x, dim), keepdims=keepdim),
        lambda x, dim, keepdim: x.sum(_tdim(x, dim), keepdim),
    ),
    OpCase(
        "sum_numpy_kw",
        reduction(),
        lambda x, dim, keepdim: x.sum(axis=dim, keepdims=keepdim),
        lambda x, dim, keepdim: np.sum(x, axis=_ax(x, dim), keepdims=keepdim),
    ),
    OpCase(
        "mean",
        reduction(),
        lambda x, dim, keepdim: x.mean(dim, keepdim=keepdim),
        lambda x, dim, keepdim: np.mean(x, axis=_ax(x, dim), keepdims=keepdim),
        lambda x, dim, keepdim: x.mean(_tdim(x, dim), keepdim),
    ),
    OpCase(
        "mean_numpy_kw",
        reduction(),
        lambda x, dim, keepdim: mg.mean(x, dim, keepdim),
        lambda x, dim, keepdim: np.mean(x, axis=_ax(x, dim), keepdims=keepdim),
    ),
    OpCase(
        "var",
        _var_draw(1),
        lambda x, dim, keepdim, correction: x.var(dim, keepdim=keepdim),
        _np_var,
        lambda x, dim, keepdim, correction: x.var(_tdim(x, dim), keepdim=keepdim),
    ),
    OpCase(
        "var_biased",
        _var_draw(0),
        lambda x, dim, keepdim, correction: x.var(dim, unbiased=False, keepdim=keepdim),
        _np_var,
        lambda x, dim, keepdim, correction: x.var(_tdim(x, dim), correction=0, keepdim=keepdim),
    ),
    OpCase(
        "std",
        _var_draw(1),
        lambda x, dim, keepdim, correction: x.std(axis=dim, keepdims=keepdim),
        lambda x, dim, keepdim, correction: np.sqrt(_np_var(x, dim, keepdim, correction)),
        lambda x, dim, keepdim, correction: x.std(_tdim(x, dim), keepdim=keepdim),
    ),
    OpCase(
        "amax",
        reduction(distinct_abs),
        lambda x, dim, keepdim: x.amax(dim, keepdim),
        lambda x, dim, keepdim: np.max(x, axis=_ax(x, dim), keepdims=keepdim),
        lambda x, dim, keepdim: x.amax(_tdim(x, dim), keepdim),
    ),
    OpCase(
        "amin",
        reduction(distinct_abs),
        lambda x, dim, keepdim: mg.amin(x, dim, keepdim),
        lambda x, dim, keepdim: np.min(x, axis=_ax(x, dim), keepdims=keepdim),
        lambda x, dim, keepdim: x.amin(_tdim(x, dim), keepdim),
    ),
    # max/min with an int dim give (values, indices) as in PyTorch
    OpCase(
        "max_dim",
        reduction(distinct_abs, one_dim=True),
        lambda x, dim, keepdim: x.max(dim, keepdim),
        lambda x, dim, keepdim: (
            np.max(x, axis=dim, keepdims=keepdim),
            np.argmax(x, axis=dim, keepdims=keepdim),
        ),
        lambda x, dim, keepdim: tuple(x.max(dim, keepdim)),
    ),
    OpCase(
        "min_dim",
        reduction(distinct_abs, one_dim=True),
        lambda x, dim, keepdim: x.min(dim=dim, keepdim=keepdim),
        lambda x, dim, keepdim: (
            np.min(x, axis=dim, keepdims=keepdim),
            np.argmin(x, axis=dim, keepdims=keepdim),
        ),
        lambda x, dim, keepdim: tuple(x.min(dim, keepdim)),
    ),
    OpCase(
        "max_all",
        reduction(distinct_abs),
        lambda x, dim, keepdim: x.max(),
        lambda x, dim, keepdim: np.max(x),
        lambda x, dim, keepdim: x.max(),
    ),
    OpCase(
        "min_axis_tuple",
        reduction(distinct_abs),
        lambda x, dim, keepdim: x.min(axis=dim if isinstance(dim, tuple) else None),
        lambda x, dim, keepdim: np.min(x, axis=_ax(x, dim) if isinstance(dim, tuple) else None),
    ),
    OpCase(
        "logsumexp",
        reduction(),
        lambda x, dim, keepdim: x.logsumexp(dim, keepdim),
        _np_logsumexp,
        lambda x, dim, keepdim: x.logsumexp(_tdim(x, dim), keepdim),
    ),
]

for _p in (2, 1, 3, np.inf):
    CASES.append(
        OpCase(
            f"norm_p{_p}",
            reduction(distinct_abs if _p == np.inf else nonzero()),
            lambda x, dim, keepdim, p=_p: x.norm(p, dim, keepdim),
            lambda x, dim, keepdim, p=_p: _np_norm(x, p, dim, keepdim),
            lambda x, dim, keepdim, p=_p: torch_or_skip().linalg.vector_norm(
                x, ord=p, dim=dim, keepdim=keepdim
            ),
        )
    )


test_reduce = case_test(CASES)


# ---------------------------------------------------------------- sum_to / broadcast_to
@st.composite
def _broadcast_pair(draw):
    """(small, big): `small` broadcasts to `big` (missing leading dims, size-1 dims)."""
    big = draw(hnp.array_shapes(min_dims=0, max_dims=4, max_side=3))
    keep = draw(st.integers(0, len(big)))
    small = tuple(n if draw(st.booleans()) else 1 for n in big[len(big) - keep :])
    return small, big


@settings(max_examples=40, deadline=None)
@given(shapes=_broadcast_pair(), seed=st.integers(0, 2**31))
def test_sum_to_and_broadcast_to_are_adjoint(shapes, seed):
    """<broadcast_to(x), y> == <x, sum_to(y)>, and each is the other's backward."""
    small, big = shapes
    rng = np.random.default_rng(seed)
    x = mg.tensor(rng.standard_normal(small), requires_grad=True)
    y = mg.tensor(rng.standard_normal(big), requires_grad=True)
    bx, sy = ops.broadcast_to(x, big), ops.sum_to(y, small)
    assert bx.shape == big and sy.shape == small
    lhs = float((bx * y).sum().item())
    rhs = float((x * sy).sum().item())
    assert np.isclose(lhs, rhs)
    np.testing.assert_allclose(sy.detach().numpy(), _np_sum_to(y.detach().numpy(), small))
    (gx,) = mg.grad(bx, x, mg.ones(*big, dtype=mg.float64))
    np.testing.assert_allclose(gx.numpy(), _np_sum_to(np.ones(big), small))
    (gy,) = mg.grad(sy, y, mg.ones(*small, dtype=mg.float64))
    assert gy.shape == big
    np.testing.assert_allclose(gy.numpy(), 1.0)
    assert mg.gradcheck(lambda t: ops.broadcast_to(t, big), [x])
    assert mg.gradcheck(lambda t: ops.sum_to(t, small), [y])


def _np_sum_to(a, shape):
    lead = a.ndim - len(shape)
    a = a.sum(axis=tuple(range(lead)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and a.shape[i] != 1)
    return a.sum(axis=axes, keepdims=True)


def test_amax_ties_share_and_max_dim_picks_the_index():
    x = mg.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]], requires_grad=True)
    x.amax(dim=1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0, 0.5, 0.5], [0.5, 0.5, 0]])
    x.grad = None
    values, indices = x.max(dim=1)
    values.sum().backward()
    np.testing.assert_array_equal(indices.numpy(), [1, 0])
    np.testing.assert_allclose(x.grad.numpy(), [[0, 1, 0], [1, 0, 0]])


def test_max_dim_matches_torch_at_ties():
    torch = pytest.importorskip("torch")
    a = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
    t = torch.tensor(a, requires_grad=True)
    t.max(dim=1).values.sum().backward()
    x = mg.tensor(a, requires_grad=True)
    x.max(dim=1).values.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy())


def test_dim_errors():
    x = mg.randn(2, 3)
    with pytest.raises(IndexError, match="sum: dim 2 out of range"):
        x.sum(2)
    with pytest.raises(TypeError, match="either dim or axis"):
        x.sum(0, axis=1)
    with pytest.raises(ValueError, match="linalg.matrix_norm: Order bad not supported"):
        x.norm(p="bad")  # PyTorch's words: a string p other than 'fro' is a matrix norm
    with pytest.raises(ValueError, match=r"broadcast_to: cannot broadcast shape \(2, 3\)"):
        x.broadcast_to((4, 3))


def test_zero_dim_reductions():
    x = mg.tensor(2.0, requires_grad=True)
    assert x.sum(0).shape == () and x.mean(-1, keepdim=True).shape == ()
    values, index = x.max(0)
    assert values.item() == 2.0 and index.item() == 0


def test_norm_gradient_at_zero_is_finite():
    x = mg.zeros(3, requires_grad=True)
    x.norm().backward()
    np.testing.assert_array_equal(x.grad.numpy(), 0.0)
