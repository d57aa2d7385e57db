"""In-place ops with PyTorch's rules: real in-place operators, version counters shared by
views and detach(), integer indexing as views, and `.data` as a tensor on the same storage."""

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn

torch = pytest.importorskip("torch")


# ---------------------------------------------------------------------- operators
def test_isub_under_no_grad_updates_the_parameter_in_place():
    mg.manual_seed(0)
    model = nn.Linear(3, 1)
    x, y = mg.randn(8, 3), mg.randn(8, 1)
    losses = []
    for _ in range(5):
        loss = ((model(x) - y) ** 2).mean()
        losses.append(loss.item())
        for p in model.parameters():
            p.grad = None
        loss.backward()
        with mg.no_grad():
            for p in model.parameters():
                before = p
                p -= 0.1 * p.grad
                assert p is before
    assert losses[-1] < losses[0]
    # the module holds the updated objects
    assert all(p.is_leaf for p in model.parameters())


@pytest.mark.parametrize(
    "op", ["__iadd__", "__isub__", "__imul__", "__itruediv__", "add_", "sub_", "mul_", "div_"]
)
@pytest.mark.parametrize("other", [2.5, "tensor", "tensor64", "row"])
def test_inplace_arithmetic_matches_torch(op, other):
    a = np.arange(1, 7, dtype=np.float32).reshape(2, 3)
    if other == "tensor":
        b = np.array([[2.0, -1.0, 0.5], [3.0, 4.0, -2.0]], dtype=np.float32)
    elif other == "tensor64":
        b = np.array([[2.0, -1.0, 0.5], [3.0, 4.0, -2.0]], dtype=np.float64)
    elif other == "row":
        b = np.array([1.5, -2.0, 4.0], dtype=np.float32)
    else:
        b = other
    t, tt = mg.tensor(a), torch.tensor(a)
    mb = mg.tensor(b) if isinstance(b, np.ndarray) else b
    tb = torch.tensor(b) if isinstance(b, np.ndarray) else b
    alias, talias = t, tt
    got, want = getattr(t, op)(mb), getattr(tt, op)(tb)
    assert got is alias and want is talias
    assert t.dtype == np.float32
    np.testing.assert_allclose(t.numpy(), want.numpy(), rtol=1e-6)
    assert t._version == 1


def test_python_inplace_statements_keep_identity():
    t = mg.tensor([1.0, 2.0])
    same = t
    t += 1
    t -= 0.5
    t *= 4
    t /= 2
    assert same is t
    np.testing.assert_allclose(t.numpy(), [3.0, 5.0])
    assert t._version == 4


def test_int_tensor_rejects_float_results_like_torch():
    t = mg.tensor([1, 2, 3])
    tt = torch.tensor([1, 2, 3])
    for stmt in ("t += 1.5", "t /= 2", "t *= f", "t.add_(1, alpha=0.5)"):
        with pytest.raises(RuntimeError):
            exec(stmt, {"t": tt, "f": torch.ones(3)})
        with pytest.raises(RuntimeError, match="can't be cast to the tensor's dtype int64"):
            exec(stmt, {"t": t, "f": mg.ones(3)})
    np.testing.assert_array_equal(t.numpy(), [1, 2, 3])
    assert t._version == 0  # a refused change does not count
    t += 2
    t *= mg.tensor([1, 2, 3])
    np.testing.assert_array_equal(t.numpy(), [3, 8, 15])
    assert t.dtype == np.int64


def test_bool_tensor_rejects_int_result():
    with pytest.raises(RuntimeError, match="bool"):
        b = mg.tensor([True, False])
        b += 1


def test_float32_plus_float64_tensor_stays_float32():
    t = mg.zeros(3)
    t += mg.tensor(np.full(3, 1 / 3))
    t += mg.tensor(np.float64(1 / 3))
    assert t.dtype == np.float32
    want = torch.zeros(3)
    want += torch.tensor(np.full(3, 1 / 3))
    want += torch.tensor(np.float64(1 / 3))
    np.testing.assert_array_equal(t.numpy(), want.numpy())


def test_inplace_broadcast_errors_name_the_shapes():
    t = mg.zeros(3)
    with pytest.raises(RuntimeError, match=r"\+=: operand of shape \(2,\).*\(3,\)"):
        t += mg.ones(2)
    with pytest.raises(RuntimeError, match=r"\(2, 3\)"):
        t += mg.ones(2, 3)  # would need to grow t


def test_inplace_on_expanded_view_is_refused():
    e = mg.zeros(3).expand(2, 3)
    with pytest.raises(RuntimeError, match="elements share memory"):
        e += 1


def test_leaf_requiring_grad_refused_in_grad_mode_allowed_under_no_grad():
    w = mg.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        w += 1
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        w.mul_(2)
    with mg.no_grad():
        w += 1
        w.mul_(2)
    np.testing.assert_allclose(w.detach().numpy(), [4.0, 4.0])
    assert w.requires_grad and w.is_leaf


def test_explicit_inplace_methods_in_a_graph_are_recorded_as_in_torch():
    chains = [
        "h.mul_(w).add_(1, alpha=2)",
        "h.neg_(); h.sub_(w).div_(3)",
        "h.exp_()",
        "h.abs_()",
        "h.sqrt_()",
        "h.add_(w); h.pow_(2)",
        "h.div_(w)",
        "z.add_(w)",  # a tensor outside the graph whose operand requires grad
    ]
    for chain in chains:
        got = []
        for lib in (mg, torch):
            x = lib.tensor([1.0, -2.0, 3.0], requires_grad=True)
            w = lib.tensor([0.5, 2.0, -1.0], requires_grad=True)
            h, z = x * 2, lib.zeros(3)
            alias = h if not chain.startswith("z") else z
            exec(chain, {"h": h, "w": w, "z": z})
            (alias * alias).sum().backward()
            got.append([alias, x.grad, w.grad])
        _same_runs(got, rtol=1e-6, msg=chain)


def test_inplace_on_a_leaf_that_requires_grad_is_refused():
    w = mg.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        w.add_(1)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        w.exp_()


def test_augmented_assignment_in_graph_matches_torch():
    """`loss += term`, `h *= mask`, `acc += w * 2` in grad mode: PyTorch records them in
    place; minigrad records them out of place, with the same values and gradients."""
    x = np.array([0.5, -1.0, 2.0])

    def run(lib):
        w = lib.tensor(x, requires_grad=True)
        loss = (w * w).sum()
        loss += (w * 3).sum()
        h = w.exp() + 1  # a fresh tensor: exp's own output is read by its backward
        h *= lib.tensor([1.0, 0.0, 2.0], dtype=h.dtype)
        h /= 2
        h -= w
        acc = lib.zeros(3, dtype=w.dtype)
        acc += w * 2
        total = loss + h.sum() + acc.pow(2).sum()
        total.backward()
        return total.item(), w.grad.numpy()

    got, want = run(mg), run(torch)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-12)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-12)


def test_augmented_assignment_with_a_live_alias_in_graph_reaches_it():
    w = mg.ones(4, requires_grad=True)
    h = w * 2
    v = h[0:2]
    h += 1  # recorded in new memory; the view is made again from it, as PyTorch's sees it
    np.testing.assert_allclose(v.detach().numpy(), [3.0] * 2)
    del v
    h += 1  # no alias left: recorded out of place
    np.testing.assert_allclose(h.detach().numpy(), [4.0] * 4)
    with pytest.raises(RuntimeError, match="does not broadcast"):
        h += mg.ones(3, 4)


def test_imatmul_rebinds_as_in_torch():
    # PyTorch has no in-place @=: `t @= b` is `t = t @ b`, and other names keep the old t
    a = np.arange(4, dtype=np.float32).reshape(2, 2)
    b = np.array([[1.0, 2.0], [-1.0, 0.5]], dtype=np.float32)
    t, tt = mg.tensor(a), torch.tensor(a)
    same, tsame = t, tt
    t @= mg.tensor(b)
    tt @= torch.tensor(b)
    assert same is not t and tsame is not tt
    np.testing.assert_array_equal(same.numpy(), tsame.numpy())
    np.testing.assert_array_equal(same.numpy(), a)
    np.testing.assert_allclose(t.numpy(), tt.numpy())
    t @= mg.ones(2, 3)  # the shape may change, as it does in PyTorch
    assert t.shape == (2, 3)


def test_pow_and_div_in_place():
    t = mg.tensor([1.0, 2.0, 3.0])
    t.pow_(2).div_(2)
    np.testing.assert_allclose(t.numpy(), [0.5, 2.0, 4.5])


def test_inplace_on_zero_dim_and_empty():
    s = mg.tensor(2.0)
    s += 1
    s *= mg.tensor(3.0)
    assert s.item() == 9.0 and s.shape == ()
    e = mg.zeros(0, 3)
    e += 1
    e.mul_(mg.ones(3))
    assert e.shape == (0, 3) and e._version == 2


def test_inplace_with_nan_and_inf():
    t = mg.tensor([1.0, np.inf, np.nan])
    t *= 0
    want = torch.tensor([1.0, np.inf, np.nan]) * 0
    np.testing.assert_array_equal(t.numpy(), want.numpy())


def test_version_check_catches_inplace_change_of_saved_input():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    x = mg.tensor([3.0, 4.0])
    y = (w * x).sum()
    x += 1
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward()


def test_version_check_on_saved_output():
    w = mg.tensor([0.5, 1.0], requires_grad=True)
    e = w.exp()
    y = e.sum()
    with mg.no_grad():
        e *= 2
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward()


# ---------------------------------------------------------------------- shared versions
def _torch_raises(build):
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    y = build(torch, w)
    with pytest.raises(RuntimeError):
        y.backward()


@pytest.mark.parametrize(
    "build",
    [
        lambda t, w: (lambda x: [(w * x).sum(), x.detach().mul_(10)][0])(t.tensor([3.0, 4.0])),
        lambda t, w: (lambda x: [(w * x[0:2]).sum(), x[0:2].fill_(7)][0])(
            t.tensor([3.0, 4.0, 5.0])
        ),
        lambda t, w: (lambda e: [(w * e).sum(), e.reshape(2, 1).mul_(0)][0])(t.tensor([3.0, 4.0])),
        lambda t, w: (lambda x: [(w * x[0]).sum(), x[0].add_(1)][0])(
            t.tensor([[3.0, 4.0], [5.0, 6.0]])
        ),
        lambda t, w: (lambda x: [(w * x.T[0]).sum(), x.t().mul_(2)][0])(
            t.tensor([[3.0, 4.0], [5.0, 6.0]])
        ),
        lambda t, w: (lambda x: [(w * x).sum(), x.unsqueeze(0).squeeze(0).add_(1)][0])(
            t.tensor([3.0, 4.0])
        ),
        lambda t, w: (lambda x: [(w * x.flatten()[:2]).sum(), x.view(-1).add_(1)][0])(
            t.tensor([[3.0, 4.0], [5.0, 6.0]])
        ),
        lambda t, w: (lambda x: [(w * x.split(2)[1]).sum(), x.chunk(2)[1].add_(1)][0])(
            t.tensor([3.0, 4.0, 5.0, 6.0])
        ),
        lambda t, w: (lambda x: [(w * x).sum(), x.permute(1, 0).add_(1)][0])(
            t.tensor([[3.0, 4.0]])
        ),
    ],
    ids=[
        "detach",
        "slice",
        "reshape",
        "int-index",
        "transpose",
        "squeeze",
        "flatten",
        "split",
        "permute",
    ],
)
def test_inplace_through_alias_is_caught_like_torch(build):
    _torch_raises(build)
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    y = build(mg, w)
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward()


def test_views_share_version_copies_do_not():
    x = mg.tensor([[1.0, 2.0], [3.0, 4.0]])
    views = [x.detach(), x[0], x[:, 1], x.T, x.reshape(4), x.unsqueeze(0), x.expand(3, 2, 2)]
    copies = [x[[0, 1]], x[x > 1], x.clone(), x * 1, x.to(mg.float64), x.T.reshape(4)]
    x.add_(1)
    assert all(v._version == 1 for v in views)
    assert all(c._version == 0 for c in copies)
    views[1].mul_(2)
    assert x._version == 2
    assert x.tolist() == [[4.0, 6.0], [4.0, 5.0]]


def test_version_attribute_stays_writable():
    x = mg.zeros(2)
    v = x[0:1]
    x._version += 1
    assert v._version == 1


# ---------------------------------------------------------------------- integer indexing
def test_integer_index_is_a_view_like_torch():
    t, tt = mg.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, 2.0, 3.0])
    t[0].add_(1)
    tt[0].add_(1)
    t[-1].fill_(9)
    tt[-1].fill_(9)
    np.testing.assert_array_equal(t.numpy(), tt.numpy())
    m = mg.zeros(2, 3)
    m[1, 2].fill_(5)
    m[0][1].add_(2)
    m[np.int64(1)][0].fill_(-1)
    assert m.tolist() == [[0.0, 2.0, 0.0], [-1.0, 0.0, 5.0]]
    assert t[0].shape == () and m[1, 2].shape == ()


def test_integer_index_gradient_is_unchanged():
    x = mg.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=mg.float64, requires_grad=True)
    y = x[1, 0] * 3 + x[0][1] * 2 + x[..., 1].sum()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0.0, 3.0], [3.0, 1.0]])
    mg.gradcheck(lambda a: a[1] * a[0, 1], [x])


def test_getitem_of_0d_and_empty():
    s = mg.tensor(3.0)
    s[()].add_(1)
    s[...].mul_(2)
    assert s.item() == 8.0
    e = mg.zeros(0, 2)
    assert e[:, 0].shape == (0,)


# ---------------------------------------------------------------------- .data
def test_data_is_a_tensor_on_the_same_storage():
    w = mg.ones(2, 3, requires_grad=True)
    d = w.data
    assert isinstance(d, mg.Tensor) and not d.requires_grad and d.is_leaf
    d.normal_(0, 0.02)
    assert float(np.abs(w.detach().numpy() - 1).min()) > 0.5
    assert w._version == 0  # .data changes are invisible to autograd, as in PyTorch
    d.fill_(2.0)
    assert w.tolist() == [[2.0] * 3] * 2


def test_data_changes_are_not_seen_by_version_check_like_torch():
    tw = torch.tensor([1.0, 2.0], requires_grad=True)
    tx = torch.tensor([3.0, 4.0], requires_grad=True)
    (tw * tx).sum().backward()  # warm-up so both runs are alike
    ty = (tw * tx).sum()
    tx.data.mul_(10)
    ty.backward()
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    x = mg.tensor([3.0, 4.0], requires_grad=True)
    y = (w * x).sum()
    x.data.mul_(10)
    y.backward()
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy() - [3.0, 4.0])


def test_dcgan_init_through_data():
    mg.manual_seed(0)
    conv = nn.Conv2d(3, 8, 4)
    before = conv.weight.detach().numpy().copy()
    nn.init.normal_(conv.weight.data, 0.0, 0.02)
    after = conv.weight.detach().numpy()
    assert not np.allclose(before, after)
    assert abs(after.std() - 0.02) < 0.005
    conv.weight.data.normal_(1.0, 0.02)
    assert abs(conv.weight.detach().numpy().mean() - 1.0) < 0.01
    conv.bias.data.fill_(0)
    assert not conv.bias.detach().numpy().any()


def test_normal_and_uniform_follow_manual_seed():
    mg.manual_seed(3)
    a = mg.zeros(100).normal_(2.0, 0.5)
    b = mg.zeros(100).uniform_(-1, 1)
    mg.manual_seed(3)
    assert mg.zeros(100).normal_(2.0, 0.5).tolist() == a.tolist()
    assert mg.zeros(100).uniform_(-1, 1).tolist() == b.tolist()
    assert -1 <= b.numpy().min() and b.numpy().max() < 1
    assert abs(a.numpy().mean() - 2.0) < 0.2
    with pytest.raises(RuntimeError, match="normal_.*int64"):
        mg.zeros(3, dtype=mg.int64).normal_()


def test_data_setter_still_replaces_storage():
    w = mg.zeros(2, requires_grad=True)
    view = w.detach()
    w.data = mg.ones(2)
    assert w.tolist() == [1.0, 1.0] and view.tolist() == [0.0, 0.0]
    w.data = np.full(2, 3.0)
    assert w.tolist() == [3.0, 3.0] and w.dtype == np.float32
    view.add_(1)  # the old storage no longer belongs to w
    assert w.tolist() == [3.0, 3.0]


def _same_runs(got, rtol, msg=""):
    """The [value, grads...] lists of a minigrad run and a torch run agree (None in both
    where a gradient was not computed)."""
    for a, b in zip(*got, strict=True):
        if a is None or b is None:
            assert a is None and b is None, msg
            continue
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=rtol, err_msg=msg)


def _changed_in_a_graph(lib, code):
    """Run `code` on h = sin(x) (w a second leaf), then backward through h * h: h's new
    value and the gradients of x and w."""
    x = lib.tensor(np.linspace(-1, 1, 12).reshape(3, 4).astype(np.float32), requires_grad=True)
    w = lib.tensor(np.linspace(2, 3, 12).reshape(3, 4).astype(np.float32), requires_grad=True)
    h = x.sin()
    exec(code, {"h": h, "w": w, "lib": lib})
    (h * h).sum().backward()
    return [h, x.grad, w.grad]


@pytest.mark.parametrize(
    "code",
    [
        "h[0] = 0",
        "h[1] = w",
        "h[:, 1] = w[:3]",
        "h[h > 0] = 1.5",
        "h[[0, 2], 1:3] = w[:2]",
        "h[0, :] = w * 3",
        "h[..., -1] = lib.tensor(7.0)",
        "h[1, [0, 3]] = w[1:3]",
        "h[lib.tensor(2)] = w.sum()",
        "z[1] = w",  # a tensor outside the graph given a value that requires grad
    ],
)
def test_setitem_in_a_graph_is_recorded_as_in_torch(code):
    got = []
    for lib in (mg, torch):
        base = (np.arange(12.0).reshape(3, 4) / 3 - 1).astype(np.float32)
        x = lib.tensor(base, requires_grad=True)
        w = lib.tensor([0.5, 2.0, -1.0, 4.0], requires_grad=True)
        h, z = x * 2, lib.zeros(3, 4)
        alias = z if code.startswith("z") else h
        exec(code, {"h": h, "w": w, "z": z, "lib": lib})
        (alias * alias).sum().backward()
        got.append([alias, x.grad, w.grad])
    _same_runs(got, rtol=1e-6)


def test_setitem_in_a_graph_refuses_bad_values():
    h = mg.ones(2, 3, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"shape \(4,\) does not broadcast.*\(3,\)"):
        h[0] = mg.ones(4, requires_grad=True)
    h = mg.ones(2, 3, requires_grad=True) * 2
    h[0] = mg.tensor([1, 2, 3])  # integers into floats: cast, as PyTorch
    np.testing.assert_array_equal(h.detach().numpy()[0], [1.0, 2.0, 3.0])


@pytest.mark.parametrize(
    "code",
    [
        "h[:, 2] += w[:, 1]",
        "h[1] += w[0]",
        "h[0, 0] += w[0, 0]",
        "h[1:] -= w[1:]",
        "h[1] *= 2",
        "v = h[1]; v += w[0]",
        "h[0].exp_()",
        "h[2].mul_(w[2])",
        "h[lib.tensor([1, 1, 2]), 0] = w[0, :3]",  # a repeated index: one write wins
    ],
)
def test_inplace_through_one_view_in_a_graph_is_recorded_as_in_torch(code):
    _same_runs([_changed_in_a_graph(lib, code) for lib in (mg, torch)], rtol=1e-5)


def test_inplace_through_a_view_with_another_alias_reaches_both():
    w = mg.ones(2, 3, requires_grad=True)
    h = w * 2
    row, other = h[0], h[1]  # two views share h's memory
    row += 1
    other *= 3
    np.testing.assert_allclose(h.detach().numpy(), [[3.0] * 3, [6.0] * 3])
    (row.sum() + other.sum()).backward()
    np.testing.assert_allclose(w.grad.numpy(), [[2.0] * 3, [6.0] * 3])


@pytest.mark.parametrize(
    "name",
    [
        "floor_", "ceil_", "round_", "trunc_", "sign_", "rsqrt_", "log1p_", "expm1_",
        "square_", "reciprocal_", "log_", "log2_", "log10_", "exp2_", "sin_", "cos_",
        "tan_", "relu_", "sigmoid_", "tanh_",
    ],
)  # fmt: skip
def test_elementwise_inplace_methods_match_torch_in_and_out_of_a_graph(name):
    values = np.array([0.3, 1.7, 2.5, 0.9, -0.0], dtype=np.float32)
    if name in ("rsqrt_", "log_", "log2_", "log10_", "reciprocal_"):
        values = np.abs(values) + 0.5
    got = []
    for lib in (mg, torch):
        t = lib.tensor(values.copy())
        alias = t
        getattr(t, name)()
        x = lib.tensor(values.copy(), requires_grad=True)
        h = x * 1
        kept = h
        getattr(h, name)()
        (kept * kept).sum().backward()
        got.append([alias, kept, x.grad])
    _same_runs(got, rtol=1e-5, msg=name)


@pytest.mark.parametrize(
    "code",
    [
        "h.addcmul_(w, w, value=0.5)",
        "h.addcdiv_(w, w + 1)",
        "h.lerp_(w, 0.3)",
        "h.fmod_(0.7)",
        "h[1].addcmul_(w[0], w[1])",
        "z = lib.zeros(3, 4); z.addcmul_(w, w); h.add_(z)",
        "h.clamp_(-0.3, 0.5)",
        "h.clamp_(min=0.1)",
        "h.masked_fill_(h > 0, 2.0)",
        "h.masked_fill_(h < 0, w.sum())",
        "h.fill_(3.0)",
        "h[0].fill_(w[0, 0])",
        "h.zero_()",
    ],
)
def test_fused_inplace_methods_in_a_graph_match_torch(code):
    _same_runs([_changed_in_a_graph(lib, code) for lib in (mg, torch)], rtol=1e-5)


def test_inplace_on_a_leaf_that_requires_grad_is_refused_even_with_a_grad_operand():
    w, v = mg.ones(2, requires_grad=True), mg.ones(2, requires_grad=True)
    for change in (
        lambda: w.__iadd__(v),
        lambda: w.fill_(v[0]),
        lambda: w.addcmul_(v, v),
        lambda: w.__setitem__(0, v[0]),
    ):
        with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
            change()
