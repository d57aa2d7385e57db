"""Declarative op tests, after Chainer's `testing.FunctionTestCase`.

An `OpCase` states how to draw inputs (shapes and op settings from Hypothesis, values from a
seeded generator kept away from kinks and singularities), the minigrad op, a NumPy
reference and, optionally, the PyTorch equivalent. `check_case` is the one runner: forward
against the reference, `mg.gradcheck` and `mg.gradgradcheck` in float64 on the given
device, and, when torch imports, forward values and gradients against torch.

Test modules list their cases and hand them to `case_test`, which builds a parametrized
Hypothesis test over the `device` fixture of tests/conftest.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg
from minigrad.backend import as_numpy

try:
    import torch
except ImportError:  # the reference is optional
    torch = None

Draw = Callable[[st.DataObject, np.random.Generator], tuple[list[np.ndarray], dict]]


@dataclass(frozen=True)
class OpCase:
    """`draw(data, rng)` gives (float64 input arrays, op settings); `op(*tensors, **settings)`
    is the minigrad call, `ref(*arrays, **settings)` the NumPy reference and
    `torch_op(*torch_tensors, **settings)` the PyTorch one (None: not compared)."""

    name: str
    draw: Draw
    op: Callable[..., Any]
    ref: Callable[..., Any]
    torch_op: Callable[..., Any] | None = None
    gradgrad: bool = True
    max_examples: int = 10
    atol: float = 1e-10
    rtol: float = 1e-7
    marks: tuple = field(default_factory=tuple)


# ---------------------------------------------------------------------------- values
def uniform(lo: float = -2.0, hi: float = 2.0):
    return lambda rng, shape: rng.uniform(lo, hi, shape)


def nonzero(lo: float = 0.2, hi: float = 2.0):
    """|x| in [lo, hi] with a random sign: away from the kinks of abs/relu/sqrt-like ops."""
    return lambda rng, shape: rng.uniform(lo, hi, shape) * rng.choice([-1.0, 1.0], shape)


def positive(lo: float = 0.5, hi: float = 2.0):
    return uniform(lo, hi)


def distinct(offset: float = 0.0):
    """Values at least 0.2 apart (no ties for max/min, no kinks inside the finite
    differences); `offset` shifts the grid so two such inputs never come within 0.05."""

    def gen(rng, shape):
        n = int(np.prod(shape))
        grid = (rng.permutation(n) - n / 2) * 0.25 + 0.125 + offset
        return grid.reshape(shape)

    return gen


# ---------------------------------------------------------------------------- shapes
def shapes(min_dims: int = 0, max_dims: int = 3, min_side: int = 1, max_side: int = 3):
    return hnp.array_shapes(
        min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side
    )


def broadcast_shapes(n: int = 2, min_dims: int = 0, max_dims: int = 3, max_side: int = 3):
    """n shapes that broadcast together: size-1 dims and missing leading dims included."""
    return hnp.mutually_broadcastable_shapes(
        num_shapes=n, min_dims=min_dims, max_dims=max_dims, max_side=max_side
    ).map(lambda r: r.input_shapes)


def unary(values=None, **shape_kw) -> Draw:
    values = values or uniform()

    def draw(data, rng):
        return [values(rng, data.draw(shapes(**shape_kw), label="shape"))], {}

    return draw


def binary(values_a=None, values_b=None, **shape_kw) -> Draw:
    """Two inputs of mutually broadcastable shapes."""
    values_a, values_b = values_a or uniform(), values_b or uniform()

    def draw(data, rng):
        sa, sb = data.draw(broadcast_shapes(**shape_kw), label="shapes")
        return [values_a(rng, sa), values_b(rng, sb)], {}

    return draw


def dim_args(ndim: int) -> st.SearchStrategy:
    """A PyTorch `dim`: None, an int (maybe negative) or a tuple of distinct dims."""
    if ndim == 0:
        return st.sampled_from([None, 0, -1])
    one = st.integers(-ndim, ndim - 1)
    many = st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True).map(
        lambda ds: tuple(d - ndim if i % 2 else d for i, d in enumerate(ds))
    )
    return st.one_of(st.none(), one, many)


def reduction(values=None, min_dims: int = 0, one_dim: bool = False, **shape_kw) -> Draw:
    """One input plus `dim` and `keepdim` settings."""
    values = values or uniform()

    def draw(data, rng):
        shape = data.draw(shapes(min_dims=max(min_dims, 1 if one_dim else 0), **shape_kw))
        nd = len(shape)
        dim = data.draw(st.integers(-nd, nd - 1) if one_dim else dim_args(nd), label="dim")
        keepdim = data.draw(st.booleans(), label="keepdim")
        return [values(rng, shape)], {"dim": dim, "keepdim": keepdim}

    return draw


def np_axis(dim: Any) -> Any:
    """A PyTorch dim as a NumPy axis (tuples stay tuples)."""
    return tuple(dim) if isinstance(dim, list) else dim


# ---------------------------------------------------------------------------- runner
def _outputs(y: Any) -> list:
    return list(y) if isinstance(y, tuple | list) else [y]


def check_case(case: OpCase, data: st.DataObject, device: str) -> None:
    seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
    rng = np.random.default_rng(seed)
    arrays, kw = case.draw(data, rng)
    arrays = [np.array(a, dtype=np.float64, order="C") for a in arrays]  # keeps 0-d
    xs = [mg.tensor(a, dtype=mg.float64, device=device, requires_grad=True) for a in arrays]

    # forward vs the NumPy reference, with dtype and device
    ys = _outputs(case.op(*xs, **kw))
    refs = _outputs(case.ref(*[a.copy() for a in arrays], **kw))
    assert len(ys) == len(refs), f"{case.name}: {len(ys)} outputs, reference has {len(refs)}"
    for y, r in zip(ys, refs, strict=True):
        r = np.asarray(r)
        assert y.device == device
        assert y.shape == r.shape, f"{case.name}: shape {y.shape}, reference {r.shape}"
        if y.dtype.kind == "f":
            assert y.dtype == np.float64, f"{case.name}: float64 inputs gave {y.dtype}"
        np.testing.assert_allclose(
            as_numpy(y.detach()._data), r, atol=case.atol, rtol=case.rtol, err_msg=case.name
        )

    def fn(*ts):
        return case.op(*ts, **kw)

    assert mg.gradcheck(fn, xs)
    if case.gradgrad:
        assert mg.gradgradcheck(fn, xs)

    if torch is not None and case.torch_op is not None:
        _compare_torch(case, arrays, xs, kw, rng)


def torch_or_skip():
    """torch, or skip the calling test where it cannot be imported (absent or broken)."""
    try:
        import torch as module
    except Exception:
        pytest.skip("torch is not importable")
    return module


def _compare_torch(case: OpCase, arrays, xs, kw, rng) -> None:
    txs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    tys = _outputs(case.torch_op(*txs, **kw))
    ys = _outputs(case.op(*xs, **kw))
    assert len(tys) == len(ys), f"{case.name}: torch gives {len(tys)} outputs, we {len(ys)}"
    live, tlive, gys = [], [], []
    for y, ty in zip(ys, tys, strict=True):
        assert tuple(ty.shape) == y.shape, f"{case.name}: torch shape {tuple(ty.shape)}"
        np.testing.assert_allclose(
            as_numpy(y.detach()._data),
            ty.detach().numpy(),
            atol=1e-9,
            rtol=1e-7,
            err_msg=f"{case.name} vs torch",
        )
        if y.dtype.kind == "f" and ty.requires_grad:
            g = rng.standard_normal(y.shape)
            live.append(y)
            tlive.append(ty)
            gys.append(g)
    if not live:
        return
    got = mg.grad(
        live,
        xs,
        [mg.tensor(g, dtype=mg.float64, device=xs[0].device) for g in gys],
        allow_unused=True,
    )
    want = torch.autograd.grad(tlive, txs, [torch.tensor(g) for g in gys], allow_unused=True)
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        gv = np.zeros(arrays[i].shape) if g is None else as_numpy(g._data)
        wv = np.zeros(arrays[i].shape) if w is None else w.numpy()
        np.testing.assert_allclose(
            gv, wv, atol=1e-9, rtol=1e-7, err_msg=f"{case.name}: gradient {i} vs torch"
        )


def case_test(cases: list[OpCase]):
    """A test function running `check_case` for every case on every device."""
    params = [pytest.param(c, id=c.name, marks=c.marks) for c in cases]
    names = [c.name for c in cases]
    assert len(set(names)) == len(names), "case names must be unique"

    @pytest.mark.parametrize("case", params)
    def test_op(case: OpCase, device: str) -> None:
        @settings(
            max_examples=case.max_examples,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        )
        @given(data=st.data())
        def run(data: st.DataObject) -> None:
            check_case(case, data, device)

        run()

    return test_op
