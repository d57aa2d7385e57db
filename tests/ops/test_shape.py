"""Shape ops, indexing, joining, padding and casts (minigrad/ops/shape.py) through the shared
op-case runner."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from op_cases import OpCase, case_test, shapes, torch_or_skip

import minigrad as mg
from minigrad import ops


def _with(shape_kw, settings_fn):
    """Draw one input of a shape from `shapes(**shape_kw)` plus settings_fn(data, shape)."""

    def draw(data, rng):
        shape = data.draw(shapes(**shape_kw), label="shape")
        return [rng.uniform(-2, 2, shape)], settings_fn(data, shape, rng)

    return draw


def _reshape_settings(data, shape, rng):
    n = int(np.prod(shape))
    divisors = [d for d in range(1, n + 1) if n % d == 0]
    d = data.draw(st.sampled_from(divisors), label="d")
    target = data.draw(st.sampled_from([(n,), (d, n // d), (d, -1), (-1, d, 1), (1, n)]))
    return {"shape": target}


def _permute_settings(data, shape, rng):
    return {"dims": tuple(data.draw(st.permutations(range(len(shape)))))}


def _transpose_settings(data, shape, rng):
    nd = len(shape)
    return {"d0": data.draw(st.integers(-nd, nd - 1)), "d1": data.draw(st.integers(-nd, nd - 1))}


def _squeeze_settings(data, shape, rng):
    nd = len(shape)
    dim = data.draw(
        st.one_of(
            st.none(),
            st.integers(-nd, nd - 1),
            st.lists(st.integers(0, nd - 1), min_size=1, unique=True).map(tuple),
        )
    )
    return {"dim": dim}


def _np_squeeze(x, dim):
    if dim is None:
        return np.squeeze(x)
    dims = (dim,) if isinstance(dim, int) else dim
    return np.squeeze(x, axis=tuple(d for d in dims if x.shape[d] == 1))


def _unsqueeze_settings(data, shape, rng):
    nd = len(shape)
    return {"dim": data.draw(st.integers(-nd - 1, nd))}


def _flatten_settings(data, shape, rng):
    nd = len(shape)
    s = data.draw(st.integers(0, nd - 1))
    e = data.draw(st.integers(s, nd - 1))
    return {"start": s - nd if data.draw(st.booleans()) else s, "end": e}


def _np_flatten(x, start, end):
    s, e = start % x.ndim, end % x.ndim
    return x.reshape(x.shape[:s] + (-1,) + x.shape[e + 1 :])


def _expand_settings(data, shape, rng):
    lead = data.draw(st.lists(st.integers(1, 3), max_size=2))
    body = [
        data.draw(st.sampled_from([-1, 3])) if n == 1 else data.draw(st.sampled_from([-1, n]))
        for n in shape
    ]
    return {"shape": tuple(lead) + tuple(body)}


def _np_expand(x, shape):
    lead = len(shape) - x.ndim
    full = tuple(x.shape[i - lead] if n == -1 else n for i, n in enumerate(shape))
    return np.broadcast_to(x, full)


def _join_draw(kind):
    def draw(data, rng):
        base = data.draw(shapes(min_dims=1, max_dims=3), label="shape")
        nd = len(base)
        k = data.draw(st.integers(1, 3), label="count")
        if kind == "cat":
            d = data.draw(st.integers(-nd, nd - 1), label="dim")
            sizes = data.draw(st.lists(st.integers(1, 3), min_size=k, max_size=k))
            arrays = []
            for n in sizes:
                s = list(base)
                s[d] = n
                arrays.append(rng.uniform(-2, 2, s))
        else:
            d = data.draw(st.integers(-nd - 1, nd), label="dim")
            arrays = [rng.uniform(-2, 2, base) for _ in range(k)]
        return arrays, {"dim": d}

    return draw


def _split_settings(data, shape, rng):
    nd = len(shape)
    d = data.draw(st.integers(-nd, nd - 1))
    n = shape[d]
    if data.draw(st.booleans()):
        return {"sections": data.draw(st.integers(1, n + 1)), "dim": d}
    cuts = sorted(data.draw(st.lists(st.integers(0, n), max_size=3)))
    sizes = [b - a for a, b in zip([0, *cuts], [*cuts, n], strict=True)]
    return {"sections": sizes, "dim": d}


def _np_split(x, sections, dim):
    n = x.shape[dim]
    if isinstance(sections, int):
        bounds = list(range(sections, n, sections))
    else:
        bounds = np.cumsum(sections)[:-1].tolist()
    return tuple(np.split(x, bounds, axis=dim))


def _chunk_settings(data, shape, rng):
    nd = len(shape)
    return {"chunks": data.draw(st.integers(1, 4)), "dim": data.draw(st.integers(-nd, nd - 1))}


def _np_chunk(x, chunks, dim):
    n = x.shape[dim]
    step = max(-(-n // chunks), 1)
    return tuple(np.split(x, list(range(step, n, step)), axis=dim))


def _pad_settings(data, shape, rng):
    k = data.draw(st.integers(1, len(shape)))
    pad = tuple(data.draw(st.lists(st.integers(0, 2), min_size=2 * k, max_size=2 * k)))
    return {"pad": pad, "value": data.draw(st.sampled_from([0.0, 1.5]))}


def _np_pad(x, pad, value):
    widths = [(0, 0)] * x.ndim
    for k in range(len(pad) // 2):
        widths[x.ndim - 1 - k] = (pad[2 * k], pad[2 * k + 1])
    return np.pad(x, widths, constant_values=value)


# ------------------------------------------------------------------------- indexing
def _slice(data, n, negative=False):
    step = data.draw(st.integers(1, 2))
    start = data.draw(st.integers(-n, n - 1))
    stop = data.draw(st.one_of(st.none(), st.integers(-n, n)))
    if negative:
        return slice(data.draw(st.one_of(st.none(), st.just(start))), stop, -step)
    return slice(start, stop, step)


def _index_settings(kind):
    def settings_fn(data, shape, rng):
        n0 = shape[0]
        if kind == "int":
            index = data.draw(st.integers(-n0, n0 - 1))
        elif kind == "int_tuple":
            index = tuple(data.draw(st.integers(-n, n - 1)) for n in shape[:2])
        elif kind == "slice":
            index = (_slice(data, n0), _slice(data, shape[1]))
        elif kind == "negative_step":
            index = (_slice(data, n0, negative=True),)
        elif kind == "none_ellipsis":
            index = (None, Ellipsis, data.draw(st.integers(0, shape[-1] - 1)), None)
        elif kind == "int_array":
            idx = rng.integers(0, n0, data.draw(st.integers(1, 4)))
            index = np.concatenate([idx, idx[:1]])  # a repeated index must accumulate
        elif kind == "int_array_2d":
            index = rng.integers(-n0, n0, (2, data.draw(st.integers(1, 3))))
        elif kind == "array_pair":
            m = data.draw(st.integers(1, 4))
            index = (rng.integers(0, n0, m), rng.integers(0, shape[1], m))
        elif kind == "slice_array":
            index = (slice(None), rng.integers(0, shape[1], 3))
        elif kind == "list":
            index = [0, n0 - 1, 0]
        elif kind == "bool_mask":
            index = rng.random(shape) < 0.5
        elif kind == "bool_rows":
            index = rng.random(n0) < 0.5
        elif kind == "tensor":
            index = mg.tensor(rng.integers(0, n0, 3))
        return {"index": index}

    return settings_fn


def _np_index(index):
    return index.numpy() if isinstance(index, mg.Tensor) else index


def _torch_index(index):
    torch = torch_or_skip()
    if isinstance(index, mg.Tensor):
        return torch.from_numpy(index.numpy())
    if isinstance(index, np.ndarray):
        return torch.from_numpy(index)
    if isinstance(index, tuple):
        return tuple(torch.from_numpy(i) if isinstance(i, np.ndarray) else i for i in index)
    return index


def _index_case(kind, torch_ok=True):
    return OpCase(
        f"getitem_{kind}",
        _with({"min_dims": 2, "max_dims": 3, "min_side": 2, "max_side": 4}, _index_settings(kind)),
        lambda x, index: x[index],
        lambda x, index: x[_np_index(index)],
        (lambda x, index: x[_torch_index(index)]) if torch_ok else None,
    )


CASES = [
    OpCase(
        "reshape",
        _with({}, _reshape_settings),
        lambda x, shape: x.reshape(shape),
        lambda x, shape: x.reshape(shape),
        lambda x, shape: x.reshape(shape),
    ),
    OpCase(
        "view_varargs",
        _with({}, _reshape_settings),
        lambda x, shape: x.view(*shape),
        lambda x, shape: x.reshape(shape),
        lambda x, shape: x.view(*shape),
    ),
    OpCase(
        "permute",
        _with({}, _permute_settings),
        lambda x, dims: x.permute(*dims),
        lambda x, dims: x.transpose(dims),
        lambda x, dims: x.permute(dims),
    ),
    OpCase(
        "transpose",
        _with({"min_dims": 1}, _transpose_settings),
        lambda x, d0, d1: x.transpose(d0, d1),
        lambda x, d0, d1: np.swapaxes(x, d0, d1),
        lambda x, d0, d1: x.transpose(d0, d1),
    ),
    OpCase(
        "T",
        _with({"min_dims": 2, "max_dims": 2}, lambda *a: {}),
        lambda x: x.T,
        lambda x: x.T,
        lambda x: x.T,
    ),
    OpCase(
        "squeeze",
        _with({"min_dims": 1, "min_side": 1, "max_side": 2}, _squeeze_settings),
        lambda x, dim: x.squeeze(dim),
        _np_squeeze,
        lambda x, dim: x.squeeze() if dim is None else x.squeeze(dim),
    ),
    OpCase(
        "unsqueeze",
        _with({}, _unsqueeze_settings),
        lambda x, dim: x.unsqueeze(dim),
        lambda x, dim: np.expand_dims(x, dim),
        lambda x, dim: x.unsqueeze(dim),
    ),
    OpCase(
        "flatten",
        _with({"min_dims": 1}, _flatten_settings),
        lambda x, start, end: x.flatten(start, end),
        _np_flatten,
        lambda x, start, end: x.flatten(start, end),
    ),
    OpCase(
        "flatten_all",
        _with({}, lambda *a: {}),
        lambda x: mg.flatten(x),
        lambda x: x.reshape(-1),
        lambda x: x.flatten(),
    ),
    OpCase(
        "expand",
        _with({"min_side": 1, "max_side": 2}, _expand_settings),
        lambda x, shape: x.expand(*shape),
        _np_expand,
        lambda x, shape: x.expand(shape),
    ),
    OpCase(
        "broadcast_to",
        _with({"min_side": 1, "max_side": 2}, _expand_settings),
        lambda x, shape: mg.broadcast_to(x, _np_expand(np.empty(x.shape), shape).shape),
        _np_expand,
        lambda x, shape: x.expand(shape),
    ),
    OpCase(
        "cat",
        _join_draw("cat"),
        lambda *xs, dim: mg.cat(xs, dim),
        lambda *xs, dim: np.concatenate(xs, axis=dim),
        lambda *xs, dim: torch_or_skip().cat(xs, dim),
    ),
    OpCase(
        "stack",
        _join_draw("stack"),
        lambda *xs, dim: mg.stack(xs, dim),
        lambda *xs, dim: np.stack(xs, axis=dim),
        lambda *xs, dim: torch_or_skip().stack(xs, dim),
    ),
    OpCase(
        "split",
        _with({"min_dims": 1, "max_side": 4}, _split_settings),
        lambda x, sections, dim: x.split(sections, dim),
        _np_split,
        lambda x, sections, dim: x.split(sections, dim),
    ),
    OpCase(
        "chunk",
        _with({"min_dims": 1, "max_side": 4}, _chunk_settings),
        lambda x, chunks, dim: x.chunk(chunks, dim),
        _np_chunk,
        lambda x, chunks, dim: x.chunk(chunks, dim),
    ),
    OpCase(
        "pad",
        _with({"min_dims": 1}, _pad_settings),
        lambda x, pad, value: ops.pad(x, pad, value=value),
        _np_pad,
        lambda x, pad, value: torch_or_skip().nn.functional.pad(x, pad, value=value),
    ),
    _index_case("int"),
    _index_case("int_tuple"),
    _index_case("slice"),
    _index_case("negative_step", torch_ok=False),  # torch has no negative steps
    _index_case("none_ellipsis"),
    _index_case("int_array"),
    _index_case("int_array_2d"),
    _index_case("array_pair"),
    _index_case("slice_array"),
    _index_case("list"),
    _index_case("bool_mask"),
    _index_case("bool_rows"),
    _index_case("tensor"),
]

test_shape = case_test(CASES)


def test_repeated_indices_accumulate():
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[[0, 0, 2, 0]].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 0.0, 1.0])


@pytest.mark.parametrize("to", ["float", "double", "to"])
def test_cast_is_differentiable(to):
    x = mg.tensor(
        [1.0, -2.0], dtype=mg.float64 if to == "float" else mg.float32, requires_grad=True
    )
    y = {"float": x.float(), "double": x.double(), "to": x.to(mg.float64)}[to]
    assert y.dtype != x.dtype and y.requires_grad
    (gx,) = mg.grad((y * y).sum(), x, create_graph=True)
    assert gx.dtype == x.dtype
    np.testing.assert_allclose(gx.detach().numpy(), [2.0, -4.0])
    (ggx,) = mg.grad(gx.sum(), x)  # second derivative through both casts
    np.testing.assert_allclose(ggx.numpy(), [2.0, 2.0])
    assert mg.gradcheck(
        lambda t: t.float().double() * t,
        [mg.tensor([0.5, 1.0], dtype=mg.float64, requires_grad=True)],
        atol=1e-4,
        rtol=1e-2,
    )


def test_cast_to_int_leaves_the_graph():
    x = mg.randn(3, requires_grad=True)
    y = x.to(mg.int64)
    assert y.dtype == np.int64 and not y.requires_grad


@settings(max_examples=30, deadline=None)
@given(shape=shapes(max_dims=4, max_side=4), data=st.data())
def test_reshape_roundtrip_and_gradient_shape(shape, data):
    n = int(np.prod(shape))
    x = mg.randn(*shape, requires_grad=True)
    y = x.reshape(-1).reshape(n, 1).reshape(shape)
    np.testing.assert_array_equal(y.detach().numpy(), x.detach().numpy())
    (y * 2).sum().backward()
    assert x.grad.shape == shape
    np.testing.assert_array_equal(x.grad.numpy(), 2.0)


def test_shape_errors_name_op_and_shapes():
    x = mg.randn(2, 3)
    with pytest.raises(ValueError, match=r"reshape: cannot view shape \(2, 3\)"):
        x.reshape(4, 2)
    with pytest.raises(ValueError, match=r"cat: tensor 1 has shape \(2, 2\)"):
        mg.cat([x, mg.randn(2, 2)], dim=0)
    with pytest.raises(ValueError, match="stack: tensors must share one shape"):
        mg.stack([x, mg.randn(3, 2)])
    with pytest.raises(ValueError, match="permute"):
        x.permute(0, 0)
    with pytest.raises(IndexError, match=r"getitem: .*shape \(2, 3\)"):
        x[5]
    with pytest.raises(ValueError, match="expand: cannot expand"):
        x.expand(-1, 2, 3)
    with pytest.raises(ValueError, match="split: sizes"):
        x.split([1, 1], dim=1)
    with pytest.raises(ValueError, match="pad"):
        ops.pad(x, (1, 1, 1, 1, 1, 1))
