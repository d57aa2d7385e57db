"""Edges where a ported PyTorch program once got other numbers, or no error, on minigrad:
augmented assignment through aliases, grad mode as a function, tensor learning rates,
mixed basic and advanced indexing, and more. Each is compared with PyTorch itself."""

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def same(got, want, atol=0.0, rtol=0.0):
    want = want.detach().numpy() if isinstance(want, torch.Tensor) else np.asarray(want)
    got = got.detach().numpy() if isinstance(got, mg.Tensor) else np.asarray(got)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    assert got.shape == want.shape, (got.shape, want.shape)
    np.testing.assert_allclose(got, want, atol=atol, rtol=rtol, equal_nan=True)


# ---------------------------------------------------------------- augmented assignment
@pytest.mark.parametrize(
    "op, dtype, operand",
    [
        ("**=", "float32", 2),
        ("**=", "int64", 3),
        ("//=", "int64", 2),
        ("//=", "float32", -1.5),
        ("%=", "int64", -3),
        ("%=", "float32", 2.5),
        ("&=", "bool", [True, False, True, False, True]),
        ("|=", "bool", [False, False, True, True, False]),
        ("^=", "int64", 6),
    ],
)
def test_augmented_ops_change_the_tensor_and_its_aliases(op, dtype, operand):
    base = np.array([-4, -1, 0, 3, 7]) if dtype != "bool" else np.array([1, 1, 0, 0, 1])
    results = []
    for lib in (mg, torch):
        x = lib.tensor(base.astype(dtype))
        alias, row = x, x[1:]
        other = lib.tensor(np.array(operand)) if isinstance(operand, list) else operand
        code = f"alias {op} other"
        namespace = {"alias": alias, "other": other}
        exec(code, namespace)
        assert namespace["alias"] is x  # the same tensor, changed in its memory
        results.append((x, row))
    (x, row), (tx, trow) = results
    same(x, tx)
    same(row, trow)


def test_augmented_integer_division_by_zero_and_bool_are_refused():
    for op in ("//=", "%="):
        x = mg.tensor([4, 5])
        with pytest.raises(ZeroDivisionError, match=op):
            exec(f"x {op} 0", {"x": x})
        with pytest.raises(ZeroDivisionError, match=op):
            exec(f"x {op} y", {"x": x, "y": mg.tensor([1, 0])})
        np.testing.assert_array_equal(x.numpy(), [4, 5])
        with pytest.raises(TypeError, match="bool"):
            exec(f"x {op} 1", {"x": mg.tensor([True])})
    with pytest.raises(RuntimeError, match=r"&=.*float32"):
        m = mg.ones(2)
        m &= mg.ones(2)


def test_binary_bitwise_ops_match_torch():
    a, b = np.array([True, True, False, False]), np.array([True, False, True, False])
    for op in ("&", "|", "^"):
        got = eval(f"x {op} y", {"x": mg.tensor(a), "y": mg.tensor(b)})
        want = eval(f"x {op} y", {"x": torch.tensor(a), "y": torch.tensor(b)})
        same(got, want)
        got = eval(f"True {op} x", {"x": mg.tensor(a)})
        want = eval(f"True {op} x", {"x": torch.tensor(a)})
        same(got, want)


def test_ipow_in_a_graph_is_recorded():
    x, tx = (
        mg.tensor([1.0, -2.0, 3.0], requires_grad=True),
        torch.tensor([1.0, -2.0, 3.0], requires_grad=True),
    )
    h, th = x * 2, tx * 2
    h **= 2
    th **= 2
    h.sum().backward()
    th.sum().backward()
    same(h, th)
    same(x.grad, tx.grad)


# ---------------------------------------------------------------- grad mode
def _grad_mode_trace(lib):
    trace = []
    lib.set_grad_enabled(False)  # called alone: from then on
    trace.append(lib.is_grad_enabled())
    trace.append((lib.ones(2, requires_grad=True) * 2).requires_grad)
    lib.set_grad_enabled(True)
    with lib.set_grad_enabled(False):
        trace.append(lib.is_grad_enabled())
        with lib.no_grad(), lib.enable_grad():
            trace.append(lib.is_grad_enabled())
        trace.append(lib.is_grad_enabled())
    trace.append(lib.is_grad_enabled())

    @lib.set_grad_enabled(False)
    def recurse(n):
        return [lib.is_grad_enabled()] + (recurse(n - 1) if n else [])

    trace.append(lib.is_grad_enabled())  # decorating changed nothing
    trace += recurse(2)
    with lib.no_grad():
        made = lib.set_grad_enabled(True)  # the no_grad block's exit still restores
        trace.append(lib.is_grad_enabled())
        del made
    trace.append(lib.is_grad_enabled())
    with lib.no_grad():
        pass
    try:
        with lib.set_grad_enabled(False):
            raise KeyError
    except KeyError:
        trace.append(lib.is_grad_enabled())
    return trace


def test_set_grad_enabled_called_alone_as_block_and_decorator_matches_torch():
    try:
        assert _grad_mode_trace(mg) == _grad_mode_trace(torch)
    finally:
        mg.set_grad_enabled(True)
        torch.set_grad_enabled(True)


# ---------------------------------------------------------------- tensor learning rates
@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adadelta"])
def test_one_element_tensor_lr_updates_as_its_number(name):
    start = np.array([1.0, -2.0, 0.5], dtype=np.float32)
    got = []
    for lib in (mg, torch):
        w = lib.tensor(start.copy(), requires_grad=True)
        lr = lib.tensor(0.1)
        kwargs = {"momentum": 0.9} if name == "SGD" else {}
        opt = getattr(lib.optim, name)([w], lr=lr, **kwargs)
        for step in range(3):
            opt.zero_grad()
            (w**2).sum().backward()
            opt.step()
            if step == 0:
                with lib.no_grad():
                    lr.fill_(0.05)  # the optimizer reads the tensor each step
        got.append(w)
    assert not np.array_equal(got[0].detach().numpy(), start)
    same(got[0], got[1], rtol=1e-6, atol=1e-7)


def test_lr_tensor_with_many_elements_is_refused_naming_the_key():
    w = mg.ones(2, requires_grad=True)
    opt = mg.optim.SGD([w], lr=0.1)
    opt.param_groups[0]["lr"] = mg.tensor([0.1, 0.2])
    w.grad = mg.ones(2)
    with pytest.raises(TypeError, match=r"SGD: 'lr' must be a number.*\(2,\)"):
        opt.step()


# ---------------------------------------------------------------- indexing
# PyTorch applies integer indices first (a view), then array indices; NumPy would treat an
# integer beside an array index as an array index and move the dimensions around.
INDICES = [
    "0, :, [0, 1, 2]",
    "1, :, [2, 0]",
    "0, :, lib.tensor([True, False, True, False])",
    "lib.tensor(1), :, [0, 1]",
    "None, 0, :, [1, 2]",
    "0, None, :, [1, 2]",
    "0, ..., [1, 2]",
    "..., 0, [1, 2]",
    "[0, 1], :, 0",
    "0, [0, 1], [1, 2]",
    "1, [[0, 1], [2, 2]], :",
    "-1, lib.tensor([[True, False, True, True], [False] * 4, [True] * 4])",
    "[[0, 1], [1, 0]]",
    "[]",
    "lib.tensor([1, 0], dtype=lib.uint8)",
    "lib.tensor(1)",
    "[0, 1, 1]",
    "lib.tensor([[1, 0], [0, 0]])",
]


class _Key:
    def __getitem__(self, key):
        return key


def _index(lib, text):
    return eval(f"key[{text}]", {"lib": lib, "key": _Key()})


@pytest.mark.parametrize("text", INDICES)
def test_getitem_values_and_gradients_match_torch(text):
    data = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    out = []
    for lib in (mg, torch):
        x = lib.tensor(data, requires_grad=True)
        y = x[_index(lib, text)]
        w = lib.tensor(np.arange(y.numel(), dtype=np.float32).reshape(tuple(y.shape)) + 1)
        (y * w).sum().backward()
        out.append((y, x.grad))
    (y, gx), (ty, tgx) = out
    same(y, ty)
    same(gx, tgx)


@pytest.mark.parametrize("text", INDICES)
def test_setitem_matches_torch(text):
    data = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    x, tx = mg.tensor(data), torch.tensor(data)
    shape = tuple(tx[_index(torch, text)].shape)
    value = -np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape) - 1
    x[_index(mg, text)] = mg.tensor(value)
    tx[_index(torch, text)] = torch.tensor(value)
    same(x, tx)


def test_integer_tensor_index_is_a_view_and_index_changes_do_not_reach_backward():
    x = mg.arange(6.0).reshape(2, 3)
    row = x[mg.tensor(1)]
    row.add_(100)  # a view, as x[1] is in PyTorch
    np.testing.assert_array_equal(x.numpy()[1], [103.0, 104.0, 105.0])
    w = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    idx = mg.tensor([0, 2])
    y = w[idx]
    idx.fill_(1)  # PyTorch raises at backward; minigrad kept the index the forward used
    y.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [1.0, 0.0, 1.0])


# ---------------------------------------------------------------- values and conversions
def test_one_hot_is_int64_and_infers_num_classes():
    labels = [[0, 2], [1, 2]]
    got, want = F.one_hot(mg.tensor(labels)), TF.one_hot(torch.tensor(labels))
    same(got, want)
    same(F.one_hot(mg.tensor(labels), 4), TF.one_hot(torch.tensor(labels), 4))
    assert F.one_hot(mg.tensor([1, 0]), 2, dtype=mg.float32).dtype == np.float32
    with pytest.raises(ValueError, match="empty"):
        F.one_hot(mg.tensor(np.zeros(0, dtype=np.int64)))
    with pytest.raises(TypeError, match="integer"):
        F.one_hot(mg.tensor([0.0, 1.0]), 2)


@pytest.mark.parametrize("steps", [0, 1, 2, 5])
def test_linspace_few_steps(steps):
    same(mg.linspace(2.5, 7, steps), torch.linspace(2.5, 7, steps))


@pytest.mark.parametrize(
    "expr",
    [
        "lib.zeros(0, 3).mean(0)",
        "lib.zeros(0, 3).mean()",
        "lib.zeros(0, 3).mean(1)",
        "lib.zeros(2, 0).mean(1, keepdim=True)",
        "F.mse_loss(lib.zeros(0), lib.zeros(0))",
        "F.l1_loss(lib.zeros(0), lib.zeros(0))",
        "F.binary_cross_entropy(lib.zeros(0), lib.zeros(0))",
        "lib.tensor([60000.0, 60000.0], dtype=lib.float16).mean()",
        "lib.tensor([[6e4, 6e4], [1.0, 2.0]], dtype=lib.float16).mean(1)",
        "lib.ones(3, dtype=lib.int64).sum(dtype=lib.float32)",
        "lib.ones(2, 3).mean(dim=1, dtype=lib.float64)",
        "lib.sum(lib.ones(2, 3, dtype=lib.bool), 0, dtype=lib.int32)",
    ],
)
def test_reductions_over_nothing_halves_and_dtypes_match_torch(expr):
    got = eval(expr, {"lib": mg, "F": F})
    want = eval(expr, {"lib": torch, "F": TF})
    same(got, want)


def test_mean_of_halves_backward_keeps_the_dtype():
    x = mg.tensor([1.0, 2.0], dtype=mg.float16, requires_grad=True)
    x.mean().backward()
    assert x.grad.dtype == np.float16
    np.testing.assert_array_equal(x.grad.numpy(), [0.5, 0.5])


@pytest.mark.parametrize(
    "expr",
    [
        "lib.tensor([lib.tensor(1.0), lib.tensor(2.0)])",
        "lib.tensor([[lib.tensor(1)], [lib.tensor(3)]])",
        "lib.tensor([lib.tensor(1.0, dtype=lib.float64), 2.0])",
        "lib.tensor([np.array([1.0, 2.0]), np.array([3.0, 4.0])])",
        "lib.tensor([np.float64(1.0), 2.0])",
        "lib.tensor([np.float32(1.0), 2.0])",
        "lib.tensor([[1.0, 2.0], [3.0, 4.0]])",
        "lib.tensor([1, 2])",
        "lib.tensor([True, False])",
        "lib.tensor([])",
    ],
)
def test_tensor_from_nested_lists_of_tensors_and_arrays_matches_torch(expr):
    got = eval(expr, {"lib": mg, "np": np})
    want = eval(expr, {"lib": torch, "np": np})
    same(got, want)


def test_numpy_protocols_format_and_index():
    t = mg.tensor([1.0, 2.5])
    arr = np.asarray(t)
    assert arr.dtype == np.float32 and np.shares_memory(arr, t._data)
    assert np.array(t, dtype=np.float64).dtype == np.float64
    assert float(np.mean(t)) == 1.75
    np.testing.assert_array_equal(np.stack([t, t]), [[1.0, 2.5], [1.0, 2.5]])
    with pytest.raises(RuntimeError, match="requires grad"):
        np.asarray(mg.ones(2, requires_grad=True))
    for lib in (mg, torch):
        s = lib.tensor(0.123456)
        assert f"{s:.4f}" == "0.1235"
        assert f"{lib.tensor(0.5)}" == "0.5"
        assert [10, 20, 30][lib.tensor(1)] == 20
        assert list(range(lib.tensor(3))) == [0, 1, 2]
        with pytest.raises(TypeError):
            [1, 2][lib.tensor(1.0)]
        with pytest.raises(TypeError):
            f"{lib.ones(2):.2f}"


def test_replaced_parameter_buffer_and_module_keep_their_place():
    for lib in (mg, torch):
        m = lib.nn.Linear(2, 3)
        m.weight = lib.nn.Parameter(lib.zeros(3, 2))
        assert [n for n, _ in m.named_parameters()] == ["weight", "bias"]
        seq = lib.nn.Sequential(lib.nn.Linear(1, 1), lib.nn.ReLU(), lib.nn.Linear(1, 1))
        seq[0] = lib.nn.Linear(1, 1)
        assert list(seq.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
        bn = lib.nn.BatchNorm1d(3)
        bn.running_mean = lib.ones(3)
        assert list(bn.state_dict())[:4] == ["weight", "bias", "running_mean", "running_var"]


def test_second_backward_adds_into_the_same_grad_tensor():
    for lib in (mg, torch):
        x = lib.ones(2, requires_grad=True)
        (x * 2).sum().backward()
        g = x.grad
        (x * 3).sum().backward()
        assert x.grad is g
        np.testing.assert_array_equal(g.numpy(), [5.0, 5.0])
    x = mg.ones(2, requires_grad=True)
    (x * 2).sum().backward(create_graph=True)  # with a graph: a new tensor, as in PyTorch
    g = x.grad
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.detach().numpy(), [5.0, 5.0])
    x = mg.tensor(1.0, requires_grad=True)
    (x * 2).backward()
    (x * 3).backward()
    assert x.grad.item() == 5.0


def test_assigning_a_grad_of_another_shape_is_refused():
    x = mg.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"shape \(3,\).*shape \(2,\)"):
        x.grad = mg.ones(3)
    with pytest.raises(TypeError, match="Tensor or None"):
        x.grad = np.ones(2)
    x.grad = mg.ones(2)
    x.grad = None


@pytest.mark.parametrize(
    "expr",
    [
        "lib.tensor([True, False]).max()",
        "lib.tensor([True, False]).min()",
        "lib.tensor([[True, False]]).amax(1)",
        "lib.tensor([[1, 5], [7, 2]]).max(1).values",
        "lib.tensor([[1, 5], [7, 2]]).min(0).indices",
        "lib.zeros(0, 3).amax(1)",
        "lib.zeros(0, 3).amin(1, keepdim=True)",
        "lib.zeros(0, 3).max(dim=1).values",
        "lib.zeros(0, 3).max(dim=1).indices",
        "lib.zeros(2, 0, 3).amax((0, 2))",
        "lib.tensor([1.0, 3.0]).var(correction=2)",
        "lib.tensor([1.0, 1.0]).var(correction=3)",
        "lib.tensor([2.0]).std()",
    ],
)
def test_extremes_of_bools_ints_and_empties_match_torch(expr):
    same(eval(expr, {"lib": mg}), eval(expr, {"lib": torch}))


@pytest.mark.parametrize("expr", ["lib.zeros(0, 3).max()", "lib.zeros(0, 3).amax(0)"])
def test_extremes_over_an_empty_dim_are_refused(expr):
    with pytest.raises((RuntimeError, IndexError)):
        eval(expr, {"lib": torch})
    with pytest.raises(RuntimeError, match=r"max: the reduced dims of a tensor of shape \(0, 3\)"):
        eval(expr, {"lib": mg})


def test_gradient_through_max_of_an_empty_batch():
    x = mg.zeros(0, 3, requires_grad=True)
    x.max(1).values.sum().backward()
    assert x.grad.shape == (0, 3)


def test_compare_with_none_and_embedding_range():
    for lib in (mg, torch):
        t = lib.tensor([1, 2])
        assert (t == None) is False  # noqa: E711
        assert (t != None) is True  # noqa: E711
    emb = mg.nn.Embedding(3, 2)
    for bad in (-1, 3):
        with pytest.raises(IndexError, match=f"index {bad} is out of range for 3"):
            emb(mg.tensor([0, bad]))
    assert emb(mg.tensor(np.zeros((0,), dtype=np.int64))).shape == (0, 2)


# ---------------------------------------------------------------- augmented assignment in a graph
def _aug_in_graph(lib, case):
    x = lib.tensor([1.0, -2.0, 3.0], requires_grad=True)
    w = lib.tensor([0.5, 2.0, -1.0], requires_grad=True)
    seen = []
    if case == "alias":
        h = x * 2
        alias = h
        h += w
        out = (alias * alias).sum()
    elif case == "argument":

        def bump(t):
            t += 1

        h = x * w
        bump(h)
        out = (h**2).sum()
    elif case == "list":
        h = x * 2
        kept = [h]
        h *= w
        out = kept[0].sum() * 3
    elif case == "hook":
        h = x * 2
        h.register_hook(lambda g: seen.append(g.clone()))
        h *= w
        out = (h * h).sum()
    elif case == "retain_grad":
        h = x * 2
        h.retain_grad()
        h += w
        out = (h * h).sum()
        out.backward()
        return [h, x.grad, w.grad, h.grad]
    elif case == "loop":
        h = x.sum() * 0
        for k in range(3):
            h += (x * (k + 1)).sum() * w[k]
        out = h
    out.backward()
    return [out, x.grad, w.grad, *seen]


@pytest.mark.parametrize("case", ["alias", "argument", "list", "hook", "retain_grad", "loop"])
def test_augmented_assignment_in_a_graph_changes_every_reference(case):
    got, want = _aug_in_graph(mg, case), _aug_in_graph(torch, case)
    assert len(got) == len(want)
    for a, b in zip(got, want, strict=True):
        same(a, b, rtol=1e-6)


def test_augmented_assignment_after_a_consumer_saved_the_value_is_refused_at_backward():
    for lib, error in ((mg, "modified in place"), (torch, "modified by an inplace")):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        w = lib.tensor([3.0, 4.0], requires_grad=True)
        h = x * 2
        y = h * w  # saves h to give w its gradient
        h += 1
        with pytest.raises(RuntimeError, match=error):
            (y.sum() + h.sum()).backward()


# ---------------------------------------------------------------- small signatures
@pytest.mark.parametrize(
    "expr",
    [
        "lib.ones(2, 3).to(lib.zeros(1, dtype=lib.float64))",
        "lib.ones(2).to(lib.float64, copy=True)",
        "lib.ones(2).to('cpu', lib.int64)",
        "lib.ones(2, requires_grad=True).numpy(force=True)",
        "lib.add(lib.ones(3), lib.arange(3.0), alpha=2)",
        "lib.ones(3).sub(lib.arange(3.0), alpha=0.5)",
        "lib.ones(3).add(2, alpha=3)",
        "lib.subtract(lib.mul(lib.ones(2), 3), lib.neg(lib.ones(2)))",
        "F.softmax(lib.tensor([1, 2, 3]), 0, dtype=lib.float64)",
        "F.log_softmax(lib.tensor([[1.0, 2.0]]), dim=1, dtype=lib.float64)",
        "lib.where(lib.tensor([[True, False], [False, True]]))[1]",
        "lib.nn.Linear(2, 3).half().weight.dtype == lib.float16",
        "lib.nn.Linear(2, 3).to(lib.zeros(1, dtype=lib.float64)).bias.dtype == lib.float64",
        "lib.randint(5, (3, 4)).shape",
        "lib.randint(2, 5, (6,), dtype=lib.int32).dtype",
    ],
)
def test_signatures_ported_programs_use(expr):
    got = eval(expr, {"lib": mg, "F": F})
    want = eval(expr, {"lib": torch, "F": TF})
    if isinstance(want, torch.Tensor):
        same(got, want, rtol=1e-6)
    elif isinstance(want, np.ndarray):
        np.testing.assert_array_equal(got, want)
    elif isinstance(want, torch.dtype):
        assert str(np.dtype(got)) == str(want).replace("torch.", "")
    else:
        assert tuple(got) == tuple(want) if isinstance(want, tuple) else got == want


def test_randint_draws_in_range_and_repeats_with_the_seed():
    mg.manual_seed(3)
    a = mg.randint(5, (1000,))
    mg.manual_seed(3)
    b = mg.randint(0, 5, (1000,))
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert a.dtype == np.int64 and set(np.unique(a.numpy())) == {0, 1, 2, 3, 4}
    with pytest.raises(TypeError, match="give the size"):
        mg.randint(5)


@pytest.mark.parametrize(
    "build, shape",
    [
        ("lib.nn.Conv2d(2, 3, 3, padding=1)", (2, 5, 5)),
        ("lib.nn.Conv2d(2, 4, 3, padding='same', dilation=2)", (2, 7, 6)),
        ("lib.nn.ConvTranspose2d(2, 3, 4, 2, 1)", (2, 5, 5)),
        ("lib.nn.MaxPool2d(2)", (2, 6, 4)),
        ("lib.nn.AvgPool2d(3, 2, 1, count_include_pad=False)", (2, 5, 5)),
    ],
)
def test_unbatched_inputs_match_torch(build, shape):
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    mg.manual_seed(0)
    m = eval(build, {"lib": mg})
    t = eval(build, {"lib": torch})
    with torch.no_grad():
        for name, p in m.named_parameters():
            dict(t.named_parameters())[name].copy_(torch.tensor(p.detach().numpy()))
    mx, tx = mg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, ty = m(mx), t(tx)
    same(y, ty, rtol=1e-5, atol=1e-6)
    (y * y).sum().backward()
    (ty * ty).sum().backward()
    same(mx.grad, tx.grad, rtol=1e-4, atol=1e-5)


def test_functional_conv2d_string_padding():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 6, 5)).astype(np.float32)
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    for padding in ("same", "valid"):
        got = F.conv2d(mg.tensor(x), mg.tensor(w), padding=padding)
        want = TF.conv2d(torch.tensor(x), torch.tensor(w), padding=padding)
        same(got, want, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="conv2d: padding='same' is not supported for strided"):
        F.conv2d(mg.tensor(x), mg.tensor(w), stride=2, padding="same")
    with pytest.raises(ValueError, match="invalid padding string 'full'"):
        F.conv2d(mg.tensor(x), mg.tensor(w), padding="full")


def test_grad_materialize_grads_gives_zeros_for_unused_inputs():
    for lib in (mg, torch):
        x, y = lib.ones(2, requires_grad=True), lib.ones(3, requires_grad=True)
        gx, gy = lib.autograd.grad((x * 2).sum(), (x, y), materialize_grads=True)
        np.testing.assert_array_equal(gy.detach().numpy(), np.zeros(3))
        np.testing.assert_array_equal(gx.detach().numpy(), [2.0, 2.0])


@pytest.mark.parametrize("name", ["SGD", "Adam"])
def test_optimizers_take_named_parameters(name):
    results = []
    for lib in (mg, torch):
        lib.manual_seed(0)
        m = lib.nn.Linear(2, 3)
        with lib.no_grad():
            m.weight.copy_(lib.tensor([[0.1, -0.2], [0.3, 0.4], [-0.5, 0.6]]))
            m.bias.copy_(lib.tensor([0.01, 0.02, 0.03]))
        opt = getattr(lib.optim, name)(m.named_parameters(), lr=0.1)
        grouped = getattr(lib.optim, name)([{"params": m.named_parameters(), "lr": 0.2}])
        assert opt.param_groups[0]["param_names"] == ["weight", "bias"]
        assert grouped.param_groups[0]["param_names"] == ["weight", "bias"]
        assert opt.state_dict()["param_groups"][0]["param_names"] == ["weight", "bias"]
        m(lib.ones(4, 2)).pow(2).sum().backward()
        opt.step()
        results.append(m.weight)
    same(results[0], results[1], rtol=1e-6)
    with pytest.raises(TypeError, match="all as \\(name, tensor\\) pairs"):
        mg.optim.SGD([("w", mg.ones(2, requires_grad=True)), mg.ones(2, requires_grad=True)], lr=1)


def test_adaptive_avg_pool_keeps_inf_and_nan_in_their_windows():
    x = np.arange(16.0, dtype=np.float32).reshape(1, 1, 4, 4)
    x[0, 0, 0, 0], x[0, 0, 3, 2] = np.inf, np.nan
    for size in (2, (3, 2), (1, 4)):
        got = F.adaptive_avg_pool2d(mg.tensor(x), size)
        want = TF.adaptive_avg_pool2d(torch.tensor(x), size)
        same(got, want, rtol=1e-6)


@pytest.mark.parametrize("pad", [(1, 2), (-1, 1, 0, -1), (-2, -1), (2, -3, 1, 1), (0, 0, -1, -2)])
def test_pad_with_negative_widths_crops_as_torch(pad):
    x = np.arange(24.0, dtype=np.float32).reshape(1, 2, 3, 4)
    mx, tx = mg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    got, want = F.pad(mx, pad, value=5.0), TF.pad(tx, pad, value=5.0)
    same(got, want)
    (got * got).sum().backward()
    (want * want).sum().backward()
    same(mx.grad, tx.grad)


def test_padding_layers_take_short_and_negative_paddings():
    for lib in (mg, torch):
        assert tuple(lib.nn.ZeroPad2d((1, 2))(lib.ones(1, 1, 2, 2)).shape) == (1, 1, 2, 5)
        out = lib.nn.ConstantPad2d((-1, 0, 1, 0), 3.0)(lib.ones(1, 1, 2, 2))
        assert tuple(out.shape) == (1, 1, 3, 1)
    with pytest.raises(ValueError, match="crops dim 3"):
        F.pad(mg.ones(1, 1, 2, 2), (-2, -1))
