"""In-place changes through views made by reshape and permute (view, flatten, t(), .T,
.mT, transpose, movedim, squeeze, unsqueeze, unflatten, an expand that adds size-1
dims), alone or chained with indexing, reach their base with PyTorch's values and
gradients; checked against PyTorch 2.13 itself."""

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")

LIBS = (mg, torch)

W = np.arange(1.0, 9.0).reshape(2, 4) / 4  # no zeros, distinct values


def _leaf(L, a=W, dtype="float64"):
    return L.tensor(np.array(a), dtype=getattr(L, dtype), requires_grad=True)


def _np(t):
    return t.detach().numpy()


VIEWS = {
    "view(-1)": lambda h: h.view(-1),
    "view(4, 2)": lambda h: h.view(4, 2),
    "reshape": lambda h: h.reshape(2, 2, 2),
    "flatten": lambda h: h.flatten(),
    "unflatten": lambda h: h.unflatten(1, (2, 2)),
    "view_as": lambda h: h.view_as(h),
    "reshape_as": lambda h: h.reshape_as(h.detach().reshape(4, 2)),
    "unsqueeze": lambda h: h.unsqueeze(1),
    "squeeze": lambda h: h.unsqueeze(0).squeeze(0),
    "t()": lambda h: h.t(),
    ".T": lambda h: h.T,
    ".mT": lambda h: h.mT,
    "transpose": lambda h: h.transpose(0, 1),
    "permute": lambda h: h.permute(1, 0),
    "movedim": lambda h: h.movedim(0, 1),
    "swapaxes": lambda h: h.swapaxes(0, 1),
    "expand, no repeat": lambda h: h[None].expand(1, 2, 4),
    "unsqueeze then t": lambda h: h.unsqueeze(0)[0].t(),
}

CHANGES = {
    "mul_(3)": lambda v, L, u: v.mul_(3),
    "+= u": lambda v, L, u: v.__iadd__(u.reshape(v.shape)),
    "clamp_": lambda v, L, u: v.clamp_(max=1.1),
    "abs_": lambda v, L, u: v.sub_(1.3).abs_(),
    "v[0] = u": lambda v, L, u: v.__setitem__(0, u.reshape(-1)[: v[0].numel()].reshape(v[0].shape)),
    "fill_(2)": lambda v, L, u: v.fill_(2.0),
    "relu inplace": lambda v, L, u: L.nn.functional.relu(v.sub_(1), inplace=True),
}


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("change", CHANGES)
def test_change_through_a_view_of_a_tensor_in_a_graph(view, change):
    """h = w * c (in a graph); a change through view(h) reaches h, and the gradients of w
    and of the operand u are PyTorch's. minigrad refused these ("shares memory with
    another tensor") for every view but indexing."""
    got = []
    for L in LIBS:
        w, u = _leaf(L), _leaf(L, W[::-1].copy())
        h = w * L.tensor(np.array([[1.0, -2.0, 3.0, 0.5]]), dtype=L.float64)
        v = VIEWS[view](h)
        CHANGES[change](v, L, u)
        if change != "relu inplace":  # (ReLU saved its output: PyTorch would refuse)
            # the view still is a view of h: a second change through it reaches h too
            v.add_(0.25)
        loss = (h * h * L.arange(8.0, dtype=L.float64).reshape(2, 4)).sum() + (v * v).sum()
        loss.backward()
        got.append((_np(h), _np(v), _np(w.grad), None if u.grad is None else _np(u.grad)))
    m, t = got
    np.testing.assert_allclose(m[0], t[0], rtol=1e-12)
    np.testing.assert_allclose(m[1], t[1], rtol=1e-12)
    np.testing.assert_allclose(m[2], t[2], rtol=1e-12)
    assert (m[3] is None) == (t[3] is None)
    if m[3] is not None:
        np.testing.assert_allclose(m[3], t[3], rtol=1e-12)


@pytest.mark.parametrize(
    "case",
    [
        "h.view(2, 2, 2)[0].add_(u)",
        "h[:, 1:].t()[0] = u",
        "h.t()[1] += u",
        "h.permute(1, 0)[0].add_(5)",
        "h.view(-1)[2:4].mul_(u)",
        "h[0].view(2, 2).t()[1] = u",
        "h.unsqueeze(0).transpose(1, 2)[0, 1:3] *= u",
        "h[1:][0][0] = u[1]",
        "h.view(2, -1).sub_(u.mean())",
        "F.relu(h.flatten(0).sub_(u[0] * 8), inplace=True)",
        "F.dropout(h.view(4, 2), p=0.0, training=True, inplace=True).mul_(u)",
    ],
)
def test_chains_of_shape_views_and_indexing(case):
    """A view of a view that is gone once the line is read (`h.t()[1] += u`: the
    transposed tensor lives only inside the statement) writes into h, as PyTorch's views
    keep their base."""
    got = []
    for L in LIBS:
        w, u0 = _leaf(L), _leaf(L, [0.5, -1.5])
        h = w * 2
        u = u0 * 1
        exec(case, {"h": h, "u": u, "F": L.nn.functional})
        (h * L.arange(1.0, 9.0, dtype=L.float64).reshape(2, 4)).sum().backward()
        got.append((_np(h), _np(w.grad), u0.grad is None or _np(u0.grad)))
    for m, t in zip(*got, strict=True):
        np.testing.assert_allclose(m, t, rtol=1e-12)


@pytest.mark.parametrize(
    "case",
    [
        "z.view(2, 3)[:, 1] = u[:2] * 2",
        "z.view(3, 2).t()[0] += u",
        "z.t()[0] += u",
        "z.reshape(2, 3).add_(u)",
        "z.unsqueeze(0).add_(u.sum())",
        "z.permute(1, 0)[1:, 0].copy_(u[:1] * 3)",
    ],
)
def test_view_of_a_tensor_that_needs_no_grad_takes_a_value_that_does(case):
    """A buffer that needs no grad, filled through a view with values that require grad:
    the buffer joins the graph, as in PyTorch (minigrad refused all but indexing)."""
    got = []
    for L in LIBS:
        u0 = _leaf(L, [0.5, -1.5, 2.0])
        u = u0 * 1
        z = L.zeros(3, 2, dtype=L.float64) if "z.t()" in case or "permute" in case else None
        if z is None:
            z = L.zeros(6, dtype=L.float64)
        exec(case, {"z": z, "u": u})
        assert z.requires_grad
        (z * z * L.arange(1.0, 7.0, dtype=L.float64).reshape(z.shape)).sum().backward()
        got.append((_np(z), _np(u0.grad)))
    for m, t in zip(*got, strict=True):
        np.testing.assert_allclose(m, t, rtol=1e-12)


def test_the_view_stays_a_view_of_the_base():
    """After a change through v, v is a view of h's new value: a write through h (no_grad)
    is seen by v, a write through v reaches h, and a second recorded change through v
    after a backward still reaches h."""
    got = []
    for L in LIBS:
        w = _leaf(L)
        h = w * 1
        v = h.t()
        v.mul_(2)
        with L.no_grad():
            h.add_(1)
            v[0, 1] = 0.0
        h.sum().backward(retain_graph=True)
        v.add_(w.t())  # after backward: h = 2 w + 1 (0 at [1, 0]) + w
        (h * h).sum().backward()
        got.append((_np(h), _np(v), _np(w.grad)))
    for m, t in zip(*got, strict=True):
        np.testing.assert_allclose(m, t, rtol=1e-12)


@pytest.mark.parametrize("view", ["view(-1)", "t()", "unsqueeze", "permute"])
def test_view_of_a_leaf_that_requires_grad_is_refused_in_grad_mode(view):
    for L in LIBS:
        w = _leaf(L)
        with pytest.raises(RuntimeError):
            VIEWS[view](w).mul_(2)
        with L.no_grad():  # the optimiser's and init's form: allowed, changes w
            VIEWS[view](w).mul_(2)
        np.testing.assert_allclose(_np(w), W * 2)


def test_view_made_under_no_grad_changed_in_grad_mode_is_refused():
    for L in LIBS:
        h = _leaf(L) * 1
        with L.no_grad():
            v = h.view(-1)
        with pytest.raises(RuntimeError):
            v.mul_(2)


@pytest.mark.parametrize("saved", ["base", "view"])
def test_backward_that_saved_the_old_value_refuses(saved):
    """`y = h * h` saved h; a change through a view of h since then: backward raises,
    as PyTorch's version counter check does."""
    for L in LIBS:
        w = _leaf(L)
        h = w * 1
        v = h.t()
        y = h * h if saved == "base" else v * v
        v.mul_(2)
        with pytest.raises(RuntimeError):
            y.sum().backward()


def test_double_backward_through_a_change_through_a_view():
    got = []
    for L in LIBS:
        w = _leaf(L)
        h = w**2
        h.view(-1).mul_(w.reshape(-1))  # h = w ** 3, written through a view
        (g,) = L.autograd.grad((h * h).sum(), w, create_graph=True)  # 6 w^5
        (gg,) = L.autograd.grad(g.sum(), w)  # 30 w^4
        got.append((_np(h), _np(g), _np(gg)))
    for m, t in zip(*got, strict=True):
        np.testing.assert_allclose(m, t, rtol=1e-12)
    np.testing.assert_allclose(got[0][2], 30 * W**4, rtol=1e-12)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_dtypes(dtype):
    got = []
    for L in LIBS:
        w = _leaf(L, dtype=dtype)
        h = w * 3
        h.t()[1:3].sub_(w.t()[:2])
        (h * h).sum().backward()
        assert h.dtype == getattr(L, dtype) and w.grad.dtype == getattr(L, dtype)
        got.append((_np(h), _np(w.grad)))
    for m, t in zip(*got, strict=True):
        np.testing.assert_allclose(m.astype(np.float64), t.astype(np.float64), rtol=1e-3)


def test_zero_d_and_empty_tensors():
    for L in LIBS:
        w = _leaf(L, 2.0)
        h = w * 3
        h.view(1).mul_(w.view(1))  # 0-d base, 1-d view: h = 3 w^2
        h.backward()
        assert h.shape == () and float(h) == 12.0 and float(w.grad) == 12.0
        e0 = L.ones(0, 3, dtype=L.float64, requires_grad=True)
        e = e0 * 2
        e.t().mul_(3)
        e.view(-1).add_(1)
        e.sum().backward()
        assert e.shape == (0, 3) and e0.grad.shape == (0, 3)


def test_nan_flows_through_as_a_value():
    got = []
    for L in LIBS:
        w = L.tensor([[1.0, float("nan")], [3.0, 4.0]], dtype=L.float64, requires_grad=True)
        h = w * 1
        h.t()[0].mul_(2)
        h.sum().backward()
        got.append((_np(h), _np(w.grad)))
    for m, t in zip(*got, strict=True):
        np.testing.assert_array_equal(np.isnan(m), np.isnan(t))
        np.testing.assert_allclose(m, t)


def test_reshape_of_a_non_contiguous_tensor_is_a_copy_in_both():
    """reshape copies where no view is possible (a transposed tensor): a change through
    the copy does not reach the tensor, in both libraries."""
    for L in LIBS:
        w = _leaf(L)
        h = (w * 1).t()
        r = h.reshape(-1)
        r.mul_(10)
        np.testing.assert_allclose(_np(h), W.T)
        (h.sum() + r.sum()).backward()
        np.testing.assert_allclose(_np(w.grad), np.full(W.shape, 11.0))


def test_hooks_and_retain_grad_on_the_base_and_the_view():
    got = []
    for L in LIBS:
        w = _leaf(L)
        h = w * 2
        seen = []
        h.register_hook(seen.append)
        v = h.view(4, 2)
        v.retain_grad()
        v.mul_(3)
        h.retain_grad()
        (h * h).sum().backward()
        assert v.grad is None  # v is not in the loss
        got.append((_np(w.grad), _np(h.grad), _np(seen[0])))
    for m, t in zip(*got, strict=True):
        np.testing.assert_allclose(m, t, rtol=1e-12)


@pytest.mark.parametrize("split", ["chunk", "split", "unbind"])
def test_outputs_of_multi_view_ops_are_still_refused_in_a_graph(split):
    """PyTorch refuses in-place changes of the views chunk, split and unbind return (in a
    graph); so does minigrad."""
    for L in LIBS:
        h = _leaf(L) * 1
        part = {
            "chunk": lambda t: t.chunk(2)[0],
            "split": lambda t: t.split(2, dim=1)[1],
            "unbind": lambda t: t.unbind(0)[0],
        }[split](h)
        with pytest.raises(RuntimeError):
            part.mul_(2)


def test_another_live_view_sees_the_change():
    """Two live views of h: the change through one is seen by the other, whose history is
    the new value's, as in PyTorch (more in test_views_aliases.py)."""
    out = []
    for L in LIBS:
        w = _leaf(L)
        h = w * 1
        a, b = h.view(-1), h.t()
        a.mul_(2)
        (b * b).sum().backward()
        out.append((_np(b), _np(w.grad)))
    np.testing.assert_array_equal(out[0][0], out[1][0])
    np.testing.assert_allclose(out[0][1], out[1][1])


def test_unrecorded_views_cost_little():
    """A view of a tensor that needs no grad keeps its base alive (as PyTorch's `_base`),
    not the other way round: dropping the base's last name frees nothing while the view
    lives, and the view's death frees both."""
    import weakref

    z = mg.zeros(6)
    v = z.view(2, 3)
    ref = weakref.ref(z)
    del z
    assert ref() is not None
    del v
    assert ref() is None


# ---------------------------------------------------------------- diagonal is a view


@pytest.mark.parametrize("offset", [0, 1, -1, 5])
@pytest.mark.parametrize("dims", [(0, 1), (1, 0), (-1, -2)])
def test_diagonal_is_a_view_writes_reach_the_tensor(offset, dims):
    """`A.diagonal().add_(eps)` (jitter on a covariance) changes A, as in PyTorch; it
    raised (a read-only copy) and on CuPy, which has no read-only arrays, was lost."""
    for L in LIBS:
        a = L.tensor(W[:, :3].repeat(2, 0)[:3], dtype=L.float64)  # 3 x 3
        d = a.diagonal(offset, *dims)
        d.add_(100)
        if dims in ((1, 0), (-1, -2)):
            expect = W[:, :3].repeat(2, 0)[:3] + 100 * np.eye(3, k=-offset)
        else:
            expect = W[:, :3].repeat(2, 0)[:3] + 100 * np.eye(3, k=offset)
        np.testing.assert_allclose(_np(a), expect)
        a.add_(1)  # and the reverse: the view sees the tensor's change
        np.testing.assert_allclose(_np(d), np.diagonal(expect + 1, offset, *dims))


@pytest.mark.parametrize(
    "write",
    [
        lambda d: d.add_(1),
        lambda d: d.fill_(2.0),
        lambda d: d.zero_(),
        lambda d: d.__setitem__(0, 5.0),
        lambda d: d.__imul__(2),
    ],
    ids=["add_", "fill_", "zero_", "setitem", "imul"],
)
@pytest.mark.parametrize("graph", [False, True])
def test_every_kind_of_write_through_a_diagonal(write, graph):
    """These left A unchanged silently, then raised (a read-only copy)."""
    got = []
    for L in LIBS:
        w = _leaf(L, np.arange(1.0, 10.0).reshape(3, 3))
        a = w * 2 if graph else w.detach().clone()
        write(mg.diagonal(a, 1) if L is mg else torch.diagonal(a, 1))
        write(a.diagonal())
        if graph:
            (a * a).sum().backward()
        got.append((_np(a), _np(w.grad) if graph else 0))
    for m, t in zip(*got, strict=True):
        np.testing.assert_allclose(m, t, rtol=1e-12)


@pytest.mark.parametrize(
    "case",
    [
        "h.diagonal().mul_(3)",
        "h.diagonal(1, 1, 2).add_(u[:2])",
        "h.diagonal(0, 1, 2).fill_(0)",
        "h[1].diagonal(-1)[0] = u[0]",
        "h.transpose(1, 2).diagonal().sub_(u[:2])",
        "h.view(2, 6).diagonal().clamp_(max=1.0)",
    ],
)
def test_change_through_a_diagonal_in_a_graph(case):
    got = []
    for L in LIBS:
        w, u0 = _leaf(L, W.reshape(2, 2, 2).repeat(2, 2)[:, :2, :3]), _leaf(L, [0.5, -1.5, 2.0])
        h = w * 2
        u = u0 * 1
        exec(case, {"h": h, "u": u})
        (h * h * L.arange(1.0, 13.0, dtype=L.float64).reshape(2, 2, 3)).sum().backward()
        got.append((_np(h), _np(w.grad), u0.grad is None or _np(u0.grad)))
    for m, t in zip(*got, strict=True):
        np.testing.assert_allclose(m, t, rtol=1e-12)


def test_diagonal_gradients_and_second_derivatives():
    for offset, dims in [(0, (0, 1)), (1, (2, 0)), (-2, (1, 2))]:
        x = mg.tensor(np.random.default_rng(1).standard_normal((3, 4, 5)), requires_grad=True)
        f = lambda t: t.diagonal(offset, *dims) ** 2  # noqa: B023, E731
        assert mg.autograd.gradcheck(f, (x,))
        assert mg.autograd.gradgradcheck(f, (x,))


def test_diagonal_saved_then_changed_through_the_tensor_refuses_backward():
    for L in LIBS:
        a = _leaf(L, np.eye(3) + 1)
        h = a * 1
        d = h.diagonal()
        y = (d * d).sum()  # saved d
        with L.no_grad():
            h.mul_(2)
        with pytest.raises(RuntimeError):
            y.backward()


def test_diagonal_of_an_expanded_tensor_writes_its_distinct_elements():
    """The diagonal of `b.expand(3, 3)` names each element of b once: both libraries write
    through it (the expanded tensor itself stays read-only)."""
    for L in LIBS:
        b = L.ones(3)
        e = b.expand(3, 3)
        e.diagonal().add_(1)
        np.testing.assert_allclose(_np(b), [2, 2, 2])
        with pytest.raises(RuntimeError):
            e.add_(1)


def test_diagonal_of_an_empty_plane_and_a_zero_d_result():
    for L in LIBS:
        d = L.zeros(0, 3).diagonal()
        assert d.shape == (0,)
        d.add_(1)
        a = L.ones(2, 2)
        s = a.sum()  # a 0-d result: its views share it as well
        s.expand(3)[0]
        s.view(1, 1).diagonal().add_(1)
        assert float(s) == 5.0


# ---------------------------------------------------------------- unfold is a view


def test_unfold_is_a_view_both_ways():
    """A change of x is seen through `x.unfold(...)` (it showed the old values, silently),
    and a write through non-overlapping windows reaches x (it raised)."""
    for L in LIBS:
        x = L.arange(12.0).reshape(2, 6)
        u = x.unfold(1, 2, 2)
        x.add_(100)
        np.testing.assert_array_equal(_np(u[0]), [[100, 101], [102, 103], [104, 105]])
        u.mul_(-1)
        np.testing.assert_array_equal(_np(x[0]), -np.arange(100.0, 106.0))
        u[:, 1, 0] = 0.0
        assert float(x[1, 2]) == 0.0
        patches = x.unfold(0, 1, 1).unfold(1, 3, 3)  # patch extraction, still views
        patches[1, 1, 0, 2] = 7.0
        assert float(x[1, 5]) == 7.0
        assert u.stride() == (6, 2, 1) and patches.stride() == (6, 3, 6, 1)


def test_writes_through_overlapping_windows_are_refused():
    """PyTorch writes through overlapping windows element by element (the result depends
    on the order); minigrad refuses, as for an expanded tensor."""
    x = mg.arange(6.0)
    with pytest.raises(RuntimeError, match="share memory"):
        x.unfold(0, 3, 1).add_(1)
    assert x.tolist() == [0, 1, 2, 3, 4, 5]


@pytest.mark.parametrize("size, step", [(2, 2), (3, 1), (1, 3), (4, 2), (6, 1), (0, 1)])
def test_unfold_values_gradients_and_second_derivatives(size, step):
    a = np.random.default_rng(2).standard_normal((3, 6, 2))
    got = []
    for L in LIBS:
        x = L.tensor(a, requires_grad=True)
        y = x.unfold(1, size, step)
        weights = L.tensor(np.arange(y.numel(), dtype=np.float64).reshape(tuple(y.shape)))
        ((y**2) * weights).sum().backward()
        got.append((_np(y), _np(x.grad), tuple(y.shape), tuple(y.stride())))
    m, t = got
    np.testing.assert_allclose(m[0], t[0])
    np.testing.assert_allclose(m[1], t[1], rtol=1e-12)
    assert m[2:] == t[2:]
    x = mg.tensor(a, requires_grad=True)
    assert mg.autograd.gradgradcheck(lambda t: t.unfold(1, size, step) ** 2, (x,))


def test_unfold_in_a_graph_write_is_refused_not_lost():
    """A recorded change through unfold's windows (x in a graph) is not written through:
    refused, never silently kept apart from x."""
    h = _leaf(mg) * 1
    with pytest.raises(RuntimeError):
        h.unfold(1, 2, 2).mul_(3)


# ---------------------------------------------------------------- from the review


@pytest.mark.parametrize(
    "middle, last",
    [("t()", "[1]"), ("[1:]", ".view(-1)"), ("[1:]", "[0]"), (".diagonal()", "[:2]")],
)
def test_view_of_a_view_made_under_no_grad_is_refused(middle, last):
    """The middle view made under no_grad: PyTorch refuses the change in grad mode;
    minigrad wrote the values without recording them (w.grad 1 where 2 was due)."""
    for L in LIBS:
        h = _leaf(L, np.arange(1.0, 10.0).reshape(3, 3)) * 1
        with L.no_grad():
            m = eval("h" + ("." if middle[0].isalpha() else "") + middle, {"h": h})
        v = eval("m" + last, {"m": m})
        with pytest.raises(RuntimeError):
            v.mul_(2)


@pytest.mark.parametrize("view", ["view(4, 2)", "t()", "diagonal", "h[1]"])
def test_hooks_on_a_view_before_a_change_through_it_are_not_called(view):
    """PyTorch's gradient reaches the base without the view's old value, so a hook on the
    view registered before the change never runs (minigrad's ran, and its result was
    used)."""
    make = {
        "view(4, 2)": lambda h: h.view(4, 2),
        "t()": lambda h: h.t(),
        "diagonal": lambda h: h.diagonal(),
        "h[1]": lambda h: h[1],
    }[view]
    got = []
    for L in LIBS:
        w = _leaf(L)
        h = w * 2
        v = make(h)
        calls = []
        v.register_hook(lambda g, calls=calls: calls.append(1) or g * 10)
        v.mul_(3)
        (h * h).sum().backward()
        assert calls == []
        got.append(_np(w.grad))
    np.testing.assert_allclose(got[0], got[1], rtol=1e-12)


def test_deepcopy_and_pickle_of_a_view_made_under_no_grad():
    """The view's note of its base (and the base's graph) is not copied: the copy is a
    tensor of its own (a TypeError, 'cannot pickle module', before)."""
    import copy
    import pickle

    h = _leaf(mg) * 2
    with mg.no_grad():
        views = [h.view(-1), h.t(), h[0], h.diagonal()]
    for v in views:
        for c in (copy.deepcopy(v), pickle.loads(pickle.dumps(v))):
            np.testing.assert_array_equal(_np(c), _np(v))
            assert "_view_of" not in c.__dict__
    m = mg.nn.Linear(2, 2)
    m.kept = views[0]
    assert copy.deepcopy(m).kept.shape == (8,)


def test_an_expand_that_adds_size_1_dims_is_written_through():
    for L in LIBS:
        x = L.tensor([1.0, 2.0, 3.0], dtype=L.float64)
        x.expand(1, 3).add_(1)
        assert _np(x).tolist() == [2.0, 3.0, 4.0]
        w = _leaf(L, [1.0, 2.0, 3.0])
        h = w * 1
        h.expand(1, 1, 3).mul_(2)
        h.sum().backward()
        assert _np(w.grad).tolist() == [2.0, 2.0, 2.0]
        with pytest.raises(RuntimeError):  # a real broadcast stays read-only
            x.expand(2, 3).add_(1)


def test_a_diagonal_whose_elements_share_memory_is_read_only():
    for L in LIBS:
        with pytest.raises(RuntimeError):
            L.ones(1).expand(3, 3).diagonal().add_(1)
        with pytest.raises(RuntimeError):
            L.ones(3).expand(2, 3, 3).diagonal(0, 0, 1).mul_(5)


def test_rebinding_a_name_to_views_of_itself_keeps_memory_flat():
    """`x = x.view(..)` in a loop: only the last VIEW_DEPTH views note their base, so the
    chain behind them is freed; a change in a graph past that depth still runs."""
    import weakref

    from minigrad.tensor import VIEW_DEPTH

    x = mg.zeros(4, 4)
    first = weakref.ref(x)
    for _ in range(VIEW_DEPTH + 2):
        x = x.view(16).view(4, 4)
    assert first() is None
    for depth in (VIEW_DEPTH, VIEW_DEPTH + 1):
        z, w = mg.zeros(4, 4), mg.ones(4, 4, requires_grad=True)
        for i in range(depth):
            z = z.view(16) if i % 2 == 0 else z.view(4, 4)
        z.add_(w.view(z.shape))
        z.sum().backward()
        assert float(w.grad.sum()) == 16.0


@pytest.mark.parametrize("make", ["sum", "mean", "matmul", "index", "max"])
def test_numpy_of_a_zero_d_result_shares_its_memory(make):
    for L in LIBS:
        x = L.arange(4.0)
        s = {
            "sum": lambda t: t.sum(),
            "mean": lambda t: t.mean(),
            "matmul": lambda t: t @ t,
            "index": lambda t: t[0],
            "max": lambda t: t.max(),
        }[make](x)
        s.numpy()[...] = 9
        assert float(s) == 9.0


@pytest.mark.parametrize("shape", [(3, 2), (6,), (2, 1, 3), (3, 1, 2), (1, 3, 2)])
def test_equal_sizes_that_do_not_broadcast_are_still_refused(shape):
    """The writable path of an expand that adds size-1 dims must not take a reshape
    (3, 2) of a (2, 3) tensor for a broadcast."""
    for L in LIBS:
        x = L.arange(6.0).reshape(2, 3)
        with pytest.raises(RuntimeError):
            L.broadcast_to(x, shape)
        with pytest.raises(RuntimeError):
            x.expand(*shape)


# ---------------------------------------------------------------- as_strided is a view


def test_as_strided_is_a_view_both_ways():
    for L in LIBS:
        x = L.arange(12.0)
        v = x.as_strided((2, 3), (4, 1), 1)
        x.add_(100)  # seen through the view (it showed the old values)
        np.testing.assert_array_equal(_np(v), [[101, 102, 103], [105, 106, 107]])
        v.mul_(-1)  # and a write through it reaches x (it raised)
        np.testing.assert_array_equal(_np(x[:8]), [100, -101, -102, -103, 104, -105, -106, -107])
        assert v.stride() == (4, 1) and v.storage_offset() == 1
        assert x[3:].unfold(0, 2, 2).storage_offset() == 3


@pytest.mark.parametrize(
    "size, stride", [((3, 3), (1, 1)), ((2, 2), (0, 1)), ((2, 3), (1, 1)), ((4,), (0,))]
)
def test_as_strided_overlapping_elements_refuse_writes(size, stride):
    x = mg.arange(12.0)
    with pytest.raises(RuntimeError, match="share memory"):
        x.as_strided(size, stride).add_(1)
    assert x.tolist() == list(map(float, range(12)))


@pytest.mark.parametrize(
    "size, stride, offset",
    [((3, 2), (1, 2), 0), ((2, 2), (3, 1), 2), ((2, 2, 2), (4, 1, 2), 1), ((0, 3), (1, 1), 0)],
)
def test_as_strided_gradients(size, stride, offset):
    a = np.random.default_rng(3).standard_normal(12)
    got = []
    for L in LIBS:
        x = L.tensor(a, requires_grad=True)
        y = x.as_strided(size, stride, offset)
        (y**2).sum().backward()
        got.append((_np(y), _np(x.grad)))
    for m, t in zip(*got, strict=True):
        np.testing.assert_allclose(m, t, rtol=1e-12)
    x = mg.tensor(a, requires_grad=True)
    assert mg.autograd.gradgradcheck(lambda t: t.as_strided(size, stride, offset) ** 2, (x,))
