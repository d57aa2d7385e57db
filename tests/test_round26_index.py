"""Round 26 of the hostile reviews: indexing, views and in-place ops (review index2), and
the tensor.py part of the linalg/complex review (linalg2), against PyTorch 2.13."""

import warnings

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as mnn

torch = pytest.importorskip("torch")

NAN = float("nan")


def _plain(v):
    """A result as plain values: tensors as (nested list, dtype name, shape)."""
    if isinstance(v, tuple | list):  # (a Size too)
        return [_plain(x) for x in v]
    if isinstance(v, torch.Tensor | mg.Tensor):
        return (v.detach().tolist(), str(v.dtype).split(".")[-1], tuple(v.shape))
    return v


def _outcome(fn, L):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return _plain(fn(L)), None
    except Exception as exc:  # noqa: BLE001 - compared with PyTorch's below
        return None, exc


def assert_as_torch(fn):
    """fn(L) gives PyTorch's value under minigrad (NaN equal to NaN), or both raise an
    exception, minigrad's of the kind PyTorch raised."""
    want, want_exc = _outcome(fn, torch)
    got, got_exc = _outcome(fn, mg)
    if want_exc is not None:
        assert got_exc is not None, f"PyTorch raised {want_exc!r}; minigrad gave {got}"
        assert isinstance(got_exc, type(want_exc)), (got_exc, want_exc)
        return
    assert got_exc is None, f"minigrad raised {got_exc!r}; PyTorch gave {want}"
    assert repr(got).replace("nan", "NaN") == repr(want).replace("nan", "NaN"), (got, want)


def _nn(L):
    return torch.nn if L is torch else mnn


# ---------------------------------------------------------------- 1: nn.Parameter(t) aliases t


def _graph(L, values=(1.0, 2.0, 3.0), dtype=None):
    """(w, h = w * 2): a leaf that requires grad and a tensor in a graph."""
    w = L.tensor(list(values), dtype=dtype or L.float32, requires_grad=True)
    return w, w * 2


def _in_a_graph(L):
    w, h = _graph(L)
    p = _nn(L).Parameter(h)
    h.mul_(w)
    return p


def _leaf_source_operand_requires_grad(L):
    z, w = L.zeros(3), L.tensor([1.0, 2.0, 3.0], requires_grad=True)
    q = _nn(L).Parameter(z)
    z.add_(w)
    return q


def _through_a_view_of_the_source(L):
    w, h = _graph(L)
    p = _nn(L).Parameter(h)
    h[1:].mul_(w[1:] * 3)
    return p


def _of_a_view(L):
    w, h = _graph(L)
    p = _nn(L).Parameter(h[1:])
    h.mul_(w * 3)
    return p


def _of_a_column(L):
    w = L.ones(2, 3, requires_grad=True)
    h = w * 2
    p = _nn(L).Parameter(h[:, 1])
    h[0].mul_(w[0] * 5)
    return p


def _of_a_transpose(L):
    w, h = _graph(L)
    p = _nn(L).Parameter(h.reshape(3, 1).t())
    h.mul_(w * 3)
    return p


def _of_data(L):  # the `.data` is gone before the change
    w, h = _graph(L)
    p = _nn(L).Parameter(h.data)
    h.mul_(w * 3)
    return p


def _of_a_parameter(L):
    z, w = L.zeros(3), L.ones(3, requires_grad=True)
    q = _nn(L).Parameter(_nn(L).Parameter(z))
    z.add_(w)
    return q


def _not_requiring_grad(L):
    z, w = L.zeros(3), L.ones(3, requires_grad=True)
    q = _nn(L).Parameter(z, requires_grad=False)
    z.add_(w)
    return q


def _zero_d(L):
    t, w = L.zeros(()), L.tensor(2.0, requires_grad=True)
    p = _nn(L).Parameter(t)
    t.add_(w)
    return p


def _float64_nan(L):
    w, h = _graph(L, (1.0, NAN, 3.0), L.float64)
    p = _nn(L).Parameter(h)
    h.mul_(w)
    return p


def _empty(L):
    w, h = _graph(L, ())
    p = _nn(L).Parameter(h)
    h.mul_(w)
    return p


def _with_a_live_view(L):
    w, h = _graph(L)
    p = _nn(L).Parameter(h)
    view = p[1:]
    h.mul_(w * 3)
    return p, view


PARAMETER_CASES = [
    _in_a_graph,
    _leaf_source_operand_requires_grad,
    _through_a_view_of_the_source,
    _of_a_view,
    _of_a_column,
    _of_a_transpose,
    _of_data,
    _of_a_parameter,
    _not_requiring_grad,
    _zero_d,
    _float64_nan,
    _empty,
    _with_a_live_view,
]


@pytest.mark.parametrize("case", PARAMETER_CASES, ids=lambda f: f.__name__.strip("_"))
def test_parameter_sees_a_recorded_change_of_its_source(case):
    """nn.Parameter(t) shares t's memory and version counter, as PyTorch's: a change of
    t recorded in a graph (which gives t a new array in minigrad) reaches it too."""
    assert_as_torch(lambda L: (lambda p: (p, getattr(p, "is_leaf", None)))(case(L)))


def test_parameter_shares_its_sources_version_counter():
    def run(L):
        t = L.zeros(3)
        p = _nn(L).Parameter(t)
        with L.no_grad():
            t.add_(1)
        z = L.zeros(2)
        q = _nn(L).Parameter(z)
        with L.no_grad():
            q.add_(2)
        return p, p._version, z, z._version

    assert_as_torch(run)


@pytest.mark.parametrize("which", ["parameter saved, source changed", "source saved"])
def test_parameter_change_invalidates_a_saved_source_as_pytorch(which):
    def run(L):
        w = L.ones(3, requires_grad=True)
        h = w * 2
        p = _nn(L).Parameter(h)
        if which == "source saved":
            y = (h * h).sum()
            with L.no_grad():
                p.add_(1)
        else:
            y = (p * p).sum()
            h.mul_(w * 3)
        y.backward()
        return w.grad

    assert_as_torch(run)


def test_parameter_of_a_changed_source_trains():
    def run(L):
        z = L.zeros(3)
        w = L.tensor([1.0, 2.0, 3.0], requires_grad=True)
        q = _nn(L).Parameter(z)
        z.add_(w)
        (q * L.tensor([1.0, 2.0, 3.0])).sum().backward()
        return q, q.grad, w.grad

    assert_as_torch(run)


# ------------------------------------------------- 2: writes through an empty view, in a graph

EMPTY_VIEWS = {
    "z[3:]": lambda z: z[3:],
    "z[2:2][...]": lambda z: z[2:2][...],
    "z[5:0]": lambda z: z[5:0],
    "z.narrow(0, 3, 0)": lambda z: z.narrow(0, 3, 0),
    "z[3:].view(-1)": lambda z: z[3:].view(-1),
    "z[3:].unsqueeze(0)": lambda z: z[3:].unsqueeze(0),
    "z[3:][None]": lambda z: z[3:][None],
    "z[3:].view(0, 1)[:, 0]": lambda z: z[3:].view(0, 1)[:, 0],
    "z.reshape(1, 3)[:, 3:].T": lambda z: z.reshape(1, 3)[:, 3:].T,
    "z.reshape(1, 3)[:, 3:].select(0, 0)": lambda z: z.reshape(1, 3)[:, 3:].select(0, 0),
    "z[3:].flatten()": lambda z: z[3:].flatten(),
    "z[[]] (a copy)": lambda z: z[[]],
}


@pytest.mark.parametrize("view", list(EMPTY_VIEWS))
@pytest.mark.parametrize("mode", ["copy_", "add_", "setitem", "in a graph", "float64 value"])
def test_write_through_an_empty_view_reaches_the_base(view, mode):
    def run(L):
        w = L.ones(3, requires_grad=True)
        z = w * 2 if mode == "in a graph" else L.zeros(3)
        e = EMPTY_VIEWS[view](z)
        dtype = L.float64 if mode == "float64 value" else L.float32
        v = L.ones(tuple(e.shape), dtype=dtype, requires_grad=True)
        if mode == "add_":
            e.add_(v)
        elif mode == "setitem":
            e[...] = v
        else:
            e.copy_(v)
        rg = z.requires_grad
        z.sum().backward()
        return rg, v.grad

    assert_as_torch(run)


def test_empty_view_of_a_0d_tensor_and_detach_of_an_empty_view():
    def write(L):
        z = L.zeros(())
        v = L.ones(0, requires_grad=True)
        z[None][1:].copy_(v)
        rg = z.requires_grad
        z.sum().backward()
        return rg, v.grad

    assert_as_torch(write)

    def detach_(L):  # an empty view is a view: detach_ refuses it, as any view's
        h = L.ones(3, requires_grad=True) * 2
        return h[3:].detach_()

    assert_as_torch(detach_)


# ---------------------------------------------------- 3: index_put dtypes with bool indices

M2 = [True, False, True]
MASK_INDICES = {
    "lone 0-d bool tensor": lambda L: L.tensor(True),
    "(0-d bool tensor,)": lambda L: (L.tensor(True),),
    "(0, 0-d bool tensor)": lambda L: (0, L.tensor(True)),
    "(slice, 0-d bool tensor)": lambda L: (slice(None), L.tensor(True)),
    "(0, True)": lambda L: (0, True),
    "(True,)": lambda L: (True,),
    "(0, False)": lambda L: (0, False),
    "lone True": lambda L: True,
    "(0, np 0-d bool array)": lambda L: (0, np.array(True)),
    "two masks": lambda L: (L.tensor([True, False]), L.tensor(M2)),
    "mask and 0-d bool": lambda L: (L.tensor([True, False]), L.tensor(True)),
    "mask and int list": lambda L: (L.tensor([True, False]), [0]),
    "lone mask": lambda L: L.tensor([[True, False, True], [False, False, True]]),
    "(slice, mask)": lambda L: (slice(None), L.tensor(M2)),
    "(0, mask)": lambda L: (0, L.tensor(M2)),
    "(mask, 0)": lambda L: (L.tensor([True, False]), 0),
    "(None, mask)": lambda L: (None, L.tensor([[True, False, True], [False, False, True]])),
    "(0-d int tensor, mask)": lambda L: (L.tensor(0), L.tensor(M2)),
    "(..., mask)": lambda L: (Ellipsis, L.tensor(M2)),
    "(0, bool list)": lambda L: (0, M2),
    "(0, np mask)": lambda L: (0, np.array(M2)),
    "(0, empty mask)": lambda L: (0, L.tensor([False, False, False])),
}
VALUES = {
    "float64 0-d": lambda L: L.tensor(2.7, dtype=L.float64),
    "float64 NaN": lambda L: L.tensor([NAN], dtype=L.float64),
    "int64 [5]": lambda L: L.tensor([5]),
    "float16 [[2.5]]": lambda L: L.tensor([[2.5]], dtype=L.float16),
    "bool": lambda L: L.tensor(True),
}


@pytest.mark.parametrize("index", list(MASK_INDICES))
@pytest.mark.parametrize("value", list(VALUES))
@pytest.mark.parametrize("dtype", ["float32", "int64"])
def test_setitem_with_bool_indices_casts_or_refuses_as_pytorch(index, value, dtype):
    def run(L):
        x = L.zeros(2, 3, dtype=getattr(L, dtype))
        v = VALUES[value](L)
        if dtype == "int64" and "NaN" in value:
            v = L.tensor([3.5], dtype=L.float64)
        x[MASK_INDICES[index](L)] = v
        return x

    assert_as_torch(run)


# ----------------------------------- 4: in-place ops refuse an operand of a larger broadcast


@pytest.mark.parametrize(
    "shapes", [((), (1,)), ((3,), (1, 3)), ((0,), (1, 0)), ((3,), (3,)), ((2, 3), (3,)), ((), ())]
)
@pytest.mark.parametrize("op", ["remainder_", "__imod__", "fmod_", "floor_divide_", "pow_"])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_inplace_refuses_an_operand_that_grows_the_shape(shapes, op, dtype):
    def run(L):
        dt = getattr(L, dtype)
        x = L.full(shapes[0], 7, dtype=dt)
        if op == "pow_":  # integers to negative powers take minigrad's own loop
            o = L.full(shapes[1], -1 if dtype == "int64" else 0.5, dtype=dt)
        else:
            o = L.full(shapes[1], -2, dtype=dt)
        getattr(x, op)(o)
        return x

    assert_as_torch(run)


def test_float_remainder_keeps_signed_zeros_and_nan():
    def run(L):
        x = L.tensor([-4.0, 4.0, NAN, 5.0, -0.0])
        x %= L.tensor([2.0, -2.0, 1.0, 0.0, 3.0])
        return x, L.signbit(x)

    assert_as_torch(run)


# ------------------------------------------------------ 5, 6: scatter_reduce and index_reduce

INDEX = [0, 0, 2]


@pytest.mark.parametrize("reduce", ["max", "min", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("dtype", ["float32", "int64", "bool", "float16"])
def test_scatter_reduce_takes_max_and_min_as_amax_and_amin(reduce, include_self, dtype):
    def run(L):
        x = L.tensor([1, 0, 0]).to(getattr(L, dtype))
        src = L.tensor([4, -1, 7]).to(getattr(L, dtype))
        i = L.tensor(INDEX)
        out = x.scatter_reduce(0, i, src, reduce, include_self=include_self)
        y = x.clone().scatter_reduce_(0, i, src, reduce, include_self=include_self)
        return out, y, L.scatter_reduce(x, 0, i, src, reduce, include_self=include_self)

    assert_as_torch(run)


@pytest.mark.parametrize("reduce", ["max", "min", "amax"])
def test_scatter_reduce_max_forward_in_a_graph_backward_refused_as_pytorch(reduce):
    def forward(L):
        x = L.tensor([1.0, 0.0, NAN], requires_grad=True)
        src = L.tensor([4.0, -1.0, 7.0], requires_grad=True)
        return x, src, x.scatter_reduce(0, L.tensor(INDEX), src, reduce)

    assert_as_torch(lambda L: forward(L)[2])

    def backward(L):
        x, src, out = forward(L)
        out.sum().backward()
        return x.grad, src.grad

    assert_as_torch(backward)
    if reduce != "amax":  # PyTorch's backward knows amax and amin only
        with pytest.raises(RuntimeError, match=f"but got {reduce}.*reduce='a{reduce}'"):
            backward(mg)


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin", "max", "min"])
@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
def test_complex_scatter_and_index_reduce_refused_where_pytorch_refuses(reduce, dtype):
    def scatter(L):
        x = L.zeros(3, dtype=getattr(L, dtype))
        src = L.tensor([2 + 0j, 1j, -1.0]).to(getattr(L, dtype))
        return x.scatter_reduce(0, L.tensor(INDEX), src, reduce)

    def scatter_(L):
        x = L.zeros(3, dtype=getattr(L, dtype))
        src = L.tensor([2 + 0j, 1j, -1.0]).to(getattr(L, dtype))
        return x.scatter_reduce_(0, L.tensor(INDEX), src, reduce, include_self=False)

    def index(L):
        x = L.zeros(3, dtype=getattr(L, dtype))
        src = L.tensor([2 + 0j, 1j, -1.0]).to(getattr(L, dtype))
        return x.index_reduce(0, L.tensor(INDEX), src, reduce)

    for fn in (scatter, scatter_, index):
        assert_as_torch(fn)


@pytest.mark.parametrize("include_self", [0, 1, None, 1.0, np.bool_(True), "yes", True, False])
def test_reduce_include_self_must_be_a_bool(include_self):
    def run(L):
        x, i, s = L.zeros(3), L.tensor(INDEX), L.tensor([4.0, -1.0, 7.0])
        return (
            x.scatter_reduce(0, i, s, "sum", include_self=include_self),
            x.clone().scatter_reduce_(0, i, s, "amax", include_self=include_self),
            x.index_reduce(0, i, s, "prod", include_self=include_self),
            x.clone().index_reduce_(0, i, s, "mean", include_self=include_self),
        )

    assert_as_torch(run)
    if type(include_self) is not bool:
        with pytest.raises(TypeError, match="index_reduce_.*include_self.*must be bool"):
            mg.zeros(3).index_reduce_(0, mg.tensor(INDEX), mg.ones(3), "prod", include_self=0)


@pytest.mark.parametrize("reduce", [None, 1, "add", "max"])
def test_reduce_argument_type_and_name(reduce):
    def run(L):
        x, i, s = L.zeros(3), L.tensor(INDEX), L.tensor([4.0, -1.0, 7.0])
        return x.scatter_reduce(0, i, s, reduce)

    def index(L):
        x, i, s = L.zeros(3), L.tensor(INDEX), L.tensor([4.0, -1.0, 7.0])
        return x.index_reduce(0, i, s, reduce)

    assert_as_torch(run)
    assert_as_torch(index)


@pytest.mark.parametrize(
    "shape, dims",
    [((1, 1), (0, 0)), ((1, 1), (0, -2)), ((1, 1), (1, -1, 0)), ((), (0, -1)), ((2, 1), [1, 1])]
    + [((1, 1), (0, 1)), ((1, 2), (0,)), ((1, 1), ()), ((2, 1, 1), (-1, 1))],
)
def test_squeeze_refuses_a_dim_named_twice(shape, dims):
    assert_as_torch(lambda L: L.zeros(shape).squeeze(dims).shape)
    assert_as_torch(lambda L: L.zeros(shape).squeeze_(dims).shape)


# ------------------------------------------- B: linalg2's complex refusals in tensor.py


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
def test_random_integers_refuse_a_complex_dtype(dtype):
    assert_as_torch(lambda L: L.randint(0, 3, (2,), dtype=getattr(L, dtype)))
    assert_as_torch(lambda L: L.randint(3, (2,), dtype=getattr(L, dtype)))
    assert_as_torch(lambda L: L.randint_like(L.zeros(2), 3, dtype=getattr(L, dtype)))
    assert_as_torch(lambda L: L.zeros(2, dtype=getattr(L, dtype)).random_(0, 3))
    with pytest.raises(RuntimeError, match="randint: check_random_bounds handles only"):
        mg.randint(0, 3, (2,), dtype=getattr(mg, dtype))


def test_random_integers_still_draw_real_dtypes():
    for dtype in ("int64", "uint8", "float16", "float32", "bool"):
        assert_as_torch(lambda L, d=dtype: L.randint(0, 2, (0,), dtype=getattr(L, d)))
        got = mg.randint(0, 2, (50,), dtype=getattr(mg, dtype))
        assert str(got.dtype).endswith(dtype) and set(got.tolist()) <= {0, 1}


ARANGE_CASES = {
    "arange(0, 2, 1j)": lambda L: L.arange(0, 2, 1j),
    "arange(0, 2+0j)": lambda L: L.arange(0, 2 + 0j),
    "arange(0j, 2, 1+0j)": lambda L: L.arange(0j, 2, 1 + 0j),
    "arange(2+0j)": lambda L: L.arange(2 + 0j),
    "arange(tensor(2+0j))": lambda L: L.arange(L.tensor(2 + 0j)),
    "arange(tensor(2+1j))": lambda L: L.arange(L.tensor(2 + 1j)),
    "arange(np.complex64(2))": lambda L: L.arange(np.complex64(2 + 0j)),
    "arange(0, 2+1j)": lambda L: L.arange(0, 2 + 1j),
    "arange(0, 5, 2+0j)": lambda L: L.arange(0, 5, 2 + 0j),
    "arange(0, 5, 2+0j, int64)": lambda L: L.arange(0, 5, 2 + 0j, dtype=L.int64),
    "arange(0, 5.5+0j, int64)": lambda L: L.arange(0, np.complex128(5.5 + 0j), dtype=L.int64),
    "arange(0, 5, 2+0j, float64)": lambda L: L.arange(0, 5, 2 + 0j, dtype=L.float64),
    "arange(0, nan+0j)": lambda L: L.arange(0, complex(NAN, 0)),
    "range(0, 2+0j)": lambda L: L.range(0, 2 + 0j),
    "range(0, 2+1j)": lambda L: L.range(0, 2 + 1j),
    "arange(5)": lambda L: L.arange(5),
    "arange(tensor(3))": lambda L: L.arange(L.tensor(3)),
}


@pytest.mark.parametrize("case", list(ARANGE_CASES))
def test_arange_reads_a_complex_bound_as_pytorch(case):
    assert_as_torch(ARANGE_CASES[case])


@pytest.mark.parametrize("op", ["__imod__", "__ifloordiv__", "remainder_", "floor_divide_"])
@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
@pytest.mark.parametrize("operand", [2, 0, "tensor"])
def test_complex_inplace_division_names_the_missing_kernel(op, dtype, operand):
    def run(L):
        x = L.ones(2, dtype=getattr(L, dtype))
        o = L.tensor([2.0, 1.0]) if operand == "tensor" else operand
        return getattr(x, op)(o)

    assert_as_torch(run)
    kernel = "remainder_cpu" if "mod" in op or "remainder" in op else "div_floor_cpu"
    with pytest.raises(NotImplementedError, match=f'"{kernel}" not implemented for'):
        getattr(mg.ones(2, dtype=getattr(mg, dtype)), op)(2)


# ------------------------------------------------------------ empty diagonal / expand views
@pytest.mark.parametrize("make", [lambda z: z.diagonal(), lambda z: z[:, :1].expand(0, 1)])
def test_write_through_an_empty_diagonal_or_expand_reaches_the_base(make):
    for lib in (torch, mg):
        z = lib.zeros(0, 3)
        v = lib.zeros(make(z).shape, requires_grad=True)
        make(z).copy_(v)
        assert z.requires_grad, lib.__name__


@pytest.mark.parametrize("args", [(), (3,), (0, 3)])
def test_random_on_a_complex_tensor_is_refused_as_pytorch(args):
    with pytest.raises((RuntimeError, NotImplementedError)) as want:
        torch.zeros(2, dtype=torch.complex64).random_(*args)
    with pytest.raises(type(want.value)):
        mg.zeros(2, dtype=mg.complex64).random_(*args)


# --------------------------------------------- creation dtype and comparison with other types
def test_int16_and_float16_numpy_scalars_make_a_float16_tensor():
    from minigrad.utils.data import default_collate

    items = [np.int16(3), np.float16(0.5)]
    assert torch.tensor(items).dtype == torch.float16
    assert mg.tensor(items).dtype == mg.float16
    assert default_collate([np.int16(3), np.float16(np.nan)]).dtype == mg.float16
    assert mg.tensor([np.int16(3), 0.5]).dtype == mg.float32  # a Python float: the default


def test_comparing_with_foreign_objects_is_pythons_as_pytorch():
    from decimal import Decimal
    from fractions import Fraction

    for other in (Decimal(1), Fraction(1), object(), None, "a", torch.tensor(1)):
        assert (mg.tensor(1) == other) is False
        assert (mg.tensor(1) != other) is True
    with pytest.raises(TypeError):
        mg.tensor(1) < Fraction(1)  # noqa: B015
    np.testing.assert_array_equal((mg.tensor([1, 2]) == 1).numpy(), [True, False])
    np.testing.assert_array_equal((mg.tensor([1, 2]) < np.array([2, 2])).numpy(), [True, False])


@pytest.mark.parametrize("other", [None, [1.0, 2.0], "a", "decimal", "fraction"])
@pytest.mark.parametrize("name", ["eq", "ne", "lt", "le", "gt", "ge"])
def test_named_comparisons_with_foreign_objects_raise_as_pytorch(name, other):
    """x.eq(None) returned the NotImplemented object (truthy: mg.where(x.eq(None), ...)
    picked the first branch silently); PyTorch raises a TypeError, as minigrad now does.
    The operators still give Python's answer (== False, < a TypeError)."""
    from decimal import Decimal
    from fractions import Fraction

    other = {"decimal": Decimal(1), "fraction": Fraction(1)}.get(str(other), other)
    for lib in (torch, mg):
        x = lib.tensor([1.0, 2.0])
        with pytest.raises(TypeError):
            getattr(x, name)(other)
        with pytest.raises(TypeError):
            getattr(lib, name)(x, other)
    with pytest.raises(TypeError):
        mg.eq(mg.tensor([1.0, 2.0]), other, out=mg.empty(2, dtype=mg.bool))
