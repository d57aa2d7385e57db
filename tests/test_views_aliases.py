"""A change in a graph of a tensor while other views or detach()es of it live: PyTorch
writes it into the shared memory, every alias reads the new values, and views in a graph
take their history from the new value. minigrad makes each alias again from the new value
(Tensor._aliases / _refresh_aliases); checked against PyTorch 2.13 itself: values,
requires_grad, gradients, and the backward errors of saved values."""

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")

LIBS = (mg, torch)

W = np.arange(1.0, 9.0).reshape(2, 4) / 4  # no zeros, distinct values
U = np.arange(8.0, 0.0, -1.0).reshape(2, 4) / 8


def _leaf(L, a, dtype="float64"):
    return L.tensor(np.array(a), dtype=getattr(L, dtype), requires_grad=True)


def _np(t):
    return t.detach().numpy()


BASES = {
    "contiguous": lambda w: w * 1,
    "transposed": lambda w: (w * 1).t().t(),  # a view of a temporary, still (2, 4)
    "strided rows": lambda w: (w.repeat(2, 1) * 1)[::2],
}

ALIASES = {
    "view(2, 2, 2)": lambda h: [h.view(2, 2, 2)],
    "t()": lambda h: [h.t()],
    "h[0]": lambda h: [h[0]],
    "h[:, 1:]": lambda h: [h[:, 1:]],
    "view then index": lambda h: [h.reshape(-1)[1:6]] if h.is_contiguous() else [h[1][1:]],
    "t()[0] and view": lambda h: [h.t()[0], h.unsqueeze(0)],
    "diagonal": lambda h: [h.diagonal()],
    "split": lambda h: list(h.split(2, dim=1)),
    "unfold": lambda h: [h.unfold(1, 2, 2)],
    "detach()": lambda h: [h.detach()],
    "detach() then a view": lambda h: [h.detach()[:, ::2]],
    "detach() of a part": lambda h: [h[1].detach(), h[:, 2:].detach()],
    "several": lambda h: [h.t(), h[1], h.detach(), h.unsqueeze(2)[0]],
}

CHANGES = {
    "h.mul_(u)": lambda h, vs, u: h.mul_(u),
    "h.add_(1)": lambda h, vs, u: h.add_(1.0),
    "h[1] = u[1]": lambda h, vs, u: h.__setitem__(1, u[1]),
    "h.t()[2] += u[0, :2]": lambda h, vs, u: h.t()[2].__iadd__(u[0, :2]),
    "h.view_as(h).relu_()": lambda h, vs, u: h.view_as(h).sub_(1).relu_(),
}


def _run(L, base, aliases, change, dtype="float64"):
    w, u = _leaf(L, W, dtype), _leaf(L, U, dtype)
    h = BASES[base](w)
    vs = ALIASES[aliases](h)
    CHANGES[change](h, vs, u)
    values = [_np(h)] + [_np(v) for v in vs]
    flags = [v.requires_grad for v in vs]
    loss = (h * h).sum()
    for k, v in enumerate(vs):
        if v.requires_grad:
            loss = loss + (v * (k + 2)).sum()
    loss.backward()
    return values, flags, _np(w.grad), None if u.grad is None else _np(u.grad)


def _both(fn):
    out = []
    for L in LIBS:
        try:
            out.append(fn(L))
        except RuntimeError:
            out.append("RuntimeError")
    return out


@pytest.mark.parametrize("base", BASES)
@pytest.mark.parametrize("aliases", ALIASES)
@pytest.mark.parametrize("change", CHANGES)
def test_live_aliases_see_the_change_with_pytorchs_values_and_gradients(base, aliases, change):
    runs = _both(lambda L: _run(L, base, aliases, change))
    if aliases == "split":
        # PyTorch refuses to use split's outputs in autograd once their base changed in
        # place (at the use); minigrad reads their new values and refuses the gradient
        assert runs == ["RuntimeError", "RuntimeError"]
        return
    (mv, mf, mgw, mgu), (tv, tf, tgw, tgu) = runs
    assert len(mv) == len(tv)
    for a, b in zip(mv, tv, strict=True):
        np.testing.assert_array_equal(a, b)
    assert mf == tf
    np.testing.assert_allclose(mgw, tgw, rtol=1e-12)
    assert (mgu is None) == (tgu is None)
    if tgu is not None:
        np.testing.assert_allclose(mgu, tgu, rtol=1e-12)


@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_other_float_dtypes(dtype):
    (mv, mf, mgw, _), (tv, tf, tgw, _) = (
        _run(L, "contiguous", "several", "h.mul_(u)", dtype) for L in LIBS
    )
    for a, b in zip(mv, tv, strict=True):
        np.testing.assert_array_equal(a, b)
    assert mf == tf
    np.testing.assert_allclose(mgw, tgw, rtol=1e-3)


def _same(fn):
    m, t = _both(fn)
    assert type(m) is type(t), (m, t)
    if m != "RuntimeError":
        for a, b in zip(m, t, strict=True):
            np.testing.assert_allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float))


def test_write_through_one_view_is_seen_by_its_siblings():
    def fn(L):
        w = _leaf(L, W)
        h = w * 1
        a, b, c = h.view(-1), h.t(), h[1]
        b.add_(10.0)
        c.mul_(3.0)
        (a * L.arange(8.0, dtype=L.float64)).sum().backward()
        return _np(h), _np(a), _np(b), _np(c), _np(w.grad)

    _same(fn)


def test_operand_that_is_a_view_of_the_changed_tensor():
    def fn(L):
        w = _leaf(L, W)
        h = w * L.tensor(W)
        a = h[1]
        h[0] += a
        (h.sum() + (a * 5).sum()).backward()
        return _np(h), _np(a), _np(w.grad)

    _same(fn)


def test_a_saved_alias_makes_the_backward_raise_as_in_pytorch():
    def fn(L):  # y saved v (an alias), then the memory changed
        w = _leaf(L, W)
        h = w * 1
        v = h.view(-1)
        y = v * v
        h.add_(1.0)
        y.sum().backward()
        return (_np(w.grad),)

    assert _both(fn) == ["RuntimeError", "RuntimeError"]

    def fn2(L):  # h[0] *= h[1]: the product saved the operand h[1]
        w = _leaf(L, W)
        h = w * 1
        h[0] *= h[1]
        h.sum().backward()
        return (_np(w.grad),)

    assert _both(fn2) == ["RuntimeError", "RuntimeError"]


def test_an_alias_used_before_the_change_keeps_the_old_values_gradient():
    def fn(L):  # y = v.exp() saves its own output, not v: the backward runs
        w = _leaf(L, W)
        h = w * 1
        v = h.view(-1)
        y = v.exp()
        h.mul_(2.0)
        (y.sum() + v.sum()).backward()
        return _np(v), _np(y), _np(w.grad)

    _same(fn)


def test_a_zero_buffer_and_its_views_join_the_graph():
    def fn(L):
        z = L.zeros(2, 4, dtype=L.float64)
        a, b = z.view(-1), z.t()
        w = _leaf(L, W)
        a[1:3] = w[0, :2]
        z.add_(w)
        (b * b).sum().backward()
        return _np(z), _np(a), _np(b), [a.requires_grad, b.requires_grad], _np(w.grad)

    _same(fn)


def test_a_change_through_detach_reaches_the_tensor_and_its_views():
    def fn(L):
        w = _leaf(L, W)
        u = _leaf(L, U)
        h = w * 2
        v = h.view(-1)
        d = h.detach()
        d.add_(u)  # d joins the graph; h and v keep their history, read the new values
        (d.sum() + v.sum() * 3 + h.sum()).backward()
        return _np(h), _np(v), _np(d), [d.requires_grad, h.requires_grad], _np(w.grad), _np(u.grad)

    _same(fn)


def test_views_made_under_no_grad_read_the_new_values():
    def fn(L):
        w = _leaf(L, W)
        h = w * 1
        with L.no_grad():
            n = h.view(-1)
            m = h.t()[0]
        h.mul_(3.0)
        h.sum().backward()
        return _np(n), _np(m), _np(w.grad)

    _same(fn)


def test_repeated_changes_with_the_views_of_a_loop():
    def fn(L):
        w = _leaf(L, W[0])
        h = w * 1
        vs = [h.view(2, 2), h.view(4, 1), h[::2]]
        for _ in range(3):
            h.add_(w)
        sum(v.sum() for v in vs).backward()
        return [_np(v) for v in vs] + [_np(w.grad)]

    _same(fn)


def test_zero_dim_and_empty_tensors():
    def fn(L):
        w = _leaf(L, W)
        s = w.sum() * 1
        v, d = s.view(1), s.detach()
        s.mul_(2.0)
        e = (w * 1)[:, :0]
        ev = e.t()
        e.add_(1.0)
        (v.sum() + s).backward()
        return _np(v), _np(d), _np(s), _np(ev).shape, _np(w.grad)

    _same(fn)


def test_double_backward_through_a_refreshed_view():
    def fn(L):
        w = _leaf(L, W)
        h = w * w
        v = h.t()
        h.mul_(w)  # h = w^3, v its transpose
        (g,) = (L.autograd.grad(v.sum(), w, create_graph=True),)
        (gg,) = L.autograd.grad(g[0].sum(), w)
        return _np(v), _np(g[0]), _np(gg)

    _same(fn)


def test_a_view_too_deep_to_be_noted_is_still_refused():
    """Views more than 32 deep carry no note of their base (so that `x = x.view(..)` in a
    loop keeps no chain alive): such a view can't be made again, and the change is
    refused rather than leaving it with the old history."""
    w = mg.ones(6, requires_grad=True)
    h = w * 1
    v = h
    for _ in range(40):
        v = v.view(-1)
    with pytest.raises(RuntimeError, match="can't be made again"):
        h.mul_(2.0)
    np.testing.assert_array_equal(_np(h), np.ones(6))  # nothing changed
    del v
    h.mul_(2.0)  # the chain is gone with it
    np.testing.assert_array_equal(_np(h), np.full(6, 2.0))


def test_a_row_cut_from_the_graph_by_writing_its_detach():
    def fn(L):
        w = _leaf(L, W)
        h = w * L.tensor(W)
        h[0] += h[1]
        d = h[-1].detach()
        h[-1] = d  # the row keeps its values, its gradient is cut
        h.mul_(2.0)
        h.sum().backward()
        return _np(h), _np(d), _np(w.grad)

    _same(fn)


@pytest.mark.parametrize(
    "change",
    [
        lambda h, u: h.__setitem__(0, u[0]),
        lambda h, u: h.fill_(u[0, 0]),
        lambda h, u: h.copy_(u),
        lambda h, u: h.mul_(u),
    ],
)
def test_views_made_again_still_share_memory_when_the_layouts_differ(change):
    """h is column-major and u row-major: the change's new array keeps h's old layout, so
    the view made again from it is still a view (a later no_grad write reaches it)."""

    def fn(L):
        W3 = np.arange(1.0, 13.0).reshape(3, 4) / 4
        w = _leaf(L, W3)
        u = _leaf(L, W3.T[::-1].copy())
        h = w.t() * 1  # (4, 3), column-major
        g = h.t()
        v = g.view(-1)
        change(h, u)
        with L.no_grad():
            h.add_(100.0)
        return _np(h), _np(v), _np(g.reshape(-1))

    m, t = _both(fn)
    for a, b in zip(m, t, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(m[1], m[2])


def test_data_aliases_and_their_views_read_the_new_values():
    def fn(L):
        w, u = _leaf(L, W), _leaf(L, U)
        h = w * 1
        d, r = h.data, h.data[1]
        h.mul_(u)
        seen = (_np(d), _np(r))
        d.add_(100.0)  # a write through .data reaches h
        z = L.zeros(2, 4, dtype=L.float64)
        zd = z.data
        z.add_(u)
        return seen + (_np(h), _np(zd))

    _same(fn)


@pytest.mark.parametrize("returns", ["view_as", "itself"])
def test_a_custom_functions_view_of_its_input_is_refused_as_in_pytorch(returns):
    """PyTorch refuses to use the output once the input changed in place; minigrad refuses
    the change (it would keep the output's old history or drop it)."""
    for L in LIBS:

        class Fn(L.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x.view_as(x) if returns == "view_as" else x

            @staticmethod
            def backward(ctx, g):
                return -g

        w, u = _leaf(L, W), _leaf(L, U)
        h = w * 1
        r = Fn.apply(h)
        with pytest.raises(RuntimeError):
            h.mul_(u)
            ((r * 3).sum() + h.sum()).backward()


def test_a_change_through_a_custom_functions_view_is_refused_as_in_pytorch():
    for L in LIBS:

        class Fn(L.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x.view_as(x)

            @staticmethod
            def backward(ctx, g):
                return -g

        w = _leaf(L, W)
        h = w * 2
        r = Fn.apply(h)
        with pytest.raises(RuntimeError):
            r.add_(1.0)
        (Fn.apply(w * 2) * 3).sum().backward()  # used out of place, it works
        np.testing.assert_array_equal(_np(w.grad), np.full((2, 4), -6.0))


def test_a_view_whose_base_changed_shape_since_is_refused():
    """z.squeeze_(0) after v = z[0, 1]: v can't be made again by its view op; PyTorch
    gives it a history, minigrad refuses the change rather than leave v a constant."""
    u = mg.ones(3, 4, dtype=mg.float64, requires_grad=True)
    z = mg.zeros(1, 3, 4, dtype=mg.float64)
    v = z[0, 1]
    z.squeeze_(0)
    with pytest.raises(RuntimeError, match="changed its"):
        z.add_(u)
    assert v.shape == (4,)


def test_parts_of_batch_minor_and_column_major_tensors():
    def conv_part(L):
        x = L.tensor(np.arange(24.0).reshape(2, 1, 3, 4) / 4, requires_grad=True)
        h = L.nn.functional.conv2d(x, L.ones(2, 1, 1, 1, dtype=x.dtype))  # batch-minor
        keep = h[0].detach()
        L.nn.functional.relu(h.sub_(1.0), inplace=True)
        h.sum().backward()
        return _np(keep), _np(h), _np(x.grad)

    def column_major_part(L):
        w = _leaf(L, W)
        h = w.t() * 1
        keep, col = h[1].detach(), h[:, 0].detach()
        h.mul_(2.0)
        return _np(keep), _np(col)

    _same(conv_part)
    _same(column_major_part)


def test_a_view_made_under_no_grad_refuses_a_gradient_after_the_change():
    for L in LIBS:
        w, u = _leaf(L, W), _leaf(L, U)
        h = w * 1
        with L.no_grad():
            v = h.t()[1:]
        h.mul_(u)
        assert v.requires_grad  # as PyTorch's
        np.testing.assert_array_equal(_np(v), (W * U).T[1:])
        with pytest.raises(RuntimeError, match="no_grad"):
            (v * 3).sum().backward()


@pytest.mark.parametrize("op", ["exp_", "sigmoid_", "tanh_", "sqrt_", "rsqrt_", "reciprocal_"])
@pytest.mark.parametrize("alias", ["h[1]", "chunk", "detach"])
def test_ops_that_save_their_output_with_a_live_alias(op, alias):
    """The views made again after the change must not bump the version the change's node
    noted for its output (it refused at backward)."""

    def fn(L):
        w = _leaf(L, W)
        h = w * 1
        keep = {"h[1]": lambda: h[1], "chunk": lambda: h.chunk(2), "detach": h.detach}[alias]()
        getattr(h, op)()
        h.sum().backward()
        return _np(h), _np(w.grad), len(keep)

    _same(fn)


def test_zero_dim_aliases_keep_sharing_after_the_change():
    def fn(L):
        w = _leaf(L, W)
        h = w.sum() * 1
        d, a, v = h.detach(), h.data, h.view(1)
        h.mul_(w.sum())
        with L.no_grad():
            h.add_(1000.0)
        h.relu_()  # a second recorded change with the aliases alive
        return _np(h), _np(d), _np(a), _np(v)

    _same(fn)


def test_data_of_a_view_and_data_of_data():
    def fn(L):
        w = _leaf(L, W[0])
        h = w * 1
        a, b, c = h[1:].data, h.data.data, h.data[1:]
        h.mul_(w)
        seen = (_np(a), _np(b), _np(c))
        with L.no_grad():
            h.add_(100.0)
        return seen + (_np(a), _np(b), _np(c))

    _same(fn)


def test_data_setter_and_dead_data_aliases_do_not_refuse():
    def fn(L):
        u = _leaf(L, U[0])
        z = L.zeros(4, dtype=L.float64)
        d = z.data
        z.data = L.ones(4, dtype=L.float64)
        z.add_(u)  # d is on the old memory: not an alias any more
        s = L.from_numpy(np.zeros((4, 6))[:, ::2].copy()[:, :2])  # any root
        s.data  # noqa: B018 - a .data that dies at once
        s.add_(u[:2])
        return _np(z), _np(d), _np(s)

    _same(fn)


def test_a_custom_function_returning_a_detach_is_no_view():
    def fn(L):
        class Fn(L.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x.detach()

            @staticmethod
            def backward(ctx, g):
                return g

        w = _leaf(L, W - 1)
        y = Fn.apply(w * 1)
        y.relu_()  # an in-place op on the output in a graph
        (y * 2).sum().backward()
        first = (_np(y), _np(w.grad))
        w, u = _leaf(L, W), _leaf(L, U)
        h = w * 1
        y = Fn.apply(h)
        h.mul_(u)  # a change of the input while the output lives
        ((y * 2).sum() + h.sum()).backward()
        return first + (_np(y), _np(w.grad), _np(u.grad))

    _same(fn)


def test_a_part_of_a_root_with_a_size_one_dim():
    def fn(L):
        w, u = _leaf(L, W), _leaf(L, U.T.copy())
        h = w.t().unsqueeze(1) * 1  # (4, 1, 2), column-major, a size-1 dim
        keep = h[:, 0, 1].detach()
        h.mul_(u.unsqueeze(1))
        return _np(keep), _np(h)

    _same(fn)


def test_split_outputs_read_the_new_values_and_refuse_a_gradient():
    w = mg.tensor(W, requires_grad=True)
    h = w * 1
    a, b = h.split(2, dim=1)
    h.mul_(2.0)
    np.testing.assert_array_equal(_np(a), W[:, :2] * 2)
    with pytest.raises(RuntimeError, match="split, chunk or unbind"):
        (a * b).sum().backward()


def test_a_refused_change_leaves_no_state_behind():
    """A change that fails after its aliases were listed (a shape error) must not leave the
    list for the next change of the same tensor."""
    w = mg.ones(2, 3, requires_grad=True)
    h = w * 1
    v = h.view(-1)
    with pytest.raises(RuntimeError, match="broadcast"):
        h += mg.ones(4, 4)
    assert "_refresh" not in h.__dict__
    h += 1
    np.testing.assert_array_equal(_np(v), np.full(6, 2.0))


def test_data_does_not_keep_its_tensor_and_graph_alive():
    """`losses.append(loss.data)` for logging: the alias notes its tensor weakly."""
    import gc
    import weakref

    w = mg.ones(50, 50, requires_grad=True)
    kept, refs = [], []
    for _ in range(3):
        loss = (w * 2).exp().sum()
        kept.append(loss.data)
        refs.append(weakref.ref(loss))
        del loss
    gc.collect()
    assert all(r() is None for r in refs)
    np.testing.assert_allclose([float(k) for k in kept], [np.exp(2.0) * 2500] * 3, rtol=1e-6)
