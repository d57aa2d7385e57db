"""Edges where a ported PyTorch program once got other numbers, or no error, on minigrad:
augmented assignment through aliases, grad mode as a function, tensor learning rates,
mixed basic and advanced indexing, and more. Each is compared with PyTorch itself."""

import numpy as np
import pytest

import minigrad as mg

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
