"""Round nineteen of PyTorch semantics, each case against torch itself: calls PyTorch refuses
that minigrad took with another meaning (max/min over a tuple of dims, flip/tile/softmax/
log_softmax/logsumexp without their dims) and convolutions with an empty weight (refused
with a message, not a NumPy reshape error)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")


# ------------------------------------------------------------ refused as PyTorch refuses
@pytest.mark.parametrize(
    "call",
    [
        "x.max(dim=(1,))",
        "x.max(dim=(0, 1))",
        "x.min(dim=[1])",
        "lib.max(x, dim=(1,))",
        "lib.min(x, dim=[0, 1], keepdim=True)",
        "x.flip()",
        "x.tile()",
        "x.softmax()",
        "x.log_softmax()",
        "x.logsumexp()",
        "lib.logsumexp(x)",
        "lib.special.logsumexp(x)",
        "lib.special.softmax(x)",
        "lib.special.log_softmax(x)",
    ],
)
def test_calls_pytorch_refuses_are_type_errors(call):
    """`v, i = x.max(dim=(1,))` unpacked the values' rows; `x.flip()` returned x unchanged."""
    for lib in (torch, mg):
        names = {"lib": lib, "x": lib.tensor([[1.0, 7.0, 3.0], [4.0, 5.0, 6.0]])}
        with pytest.raises(TypeError):
            eval(call, names)


def test_max_and_min_keep_their_one_dim_forms_and_numpys_axis_tuples():
    data = np.array([[1.0, 7.0, 3.0], [4.0, 5.0, 6.0]])
    x, t = mg.tensor(data), torch.tensor(data)
    for op in ("max", "min"):
        got, want = getattr(x, op)(dim=1), getattr(t, op)(dim=1)
        assert np.array_equal(got.values.numpy(), want.values.numpy())
        assert np.array_equal(got.indices.numpy(), want.indices.numpy())
        assert getattr(x, op)().item() == getattr(t, op)().item()
        # NumPy's spelling reduces over several axes, values only, as NumPy's
        assert getattr(x, op)(axis=(0, 1)).item() == getattr(np, op)(data)
    assert np.max(x, axis=(0, 1)).item() == 7.0
    assert x.amax(dim=(0, 1)).item() == t.amax(dim=(0, 1)).item() == 7.0


def test_flip_tile_softmax_and_logsumexp_with_their_dims_match():
    data = np.array([[1.0, 7.0, 3.0], [4.0, 5.0, 6.0]])
    x, t = mg.tensor(data), torch.tensor(data)
    for call in (
        lambda a: a.flip(0),
        lambda a: a.flip([]),
        lambda a: a.tile(2),
        lambda a: a.tile(()),
        lambda a: a.softmax(1),
        lambda a: a.log_softmax(dim=0),
        lambda a: a.logsumexp(1),
        lambda a: a.logsumexp(dim=(0, 1)),
    ):
        np.testing.assert_allclose(call(x).numpy(), call(t).numpy(), rtol=1e-12)


# ------------------------------------------------------------ convolutions, empty weights
EMPTY_WEIGHTS = {
    "conv1d, no output channels": lambda lib: lib.nn.functional.conv1d(
        lib.ones(2, 4, 7), lib.ones(0, 4, 3)
    ),
    "conv2d, no output channels": lambda lib: lib.nn.Conv2d(4, 0, 3)(lib.ones(2, 4, 7, 6)),
    "conv2d, groups 2": lambda lib: lib.nn.functional.conv2d(
        lib.ones(2, 4, 7, 6), lib.ones(0, 2, 3, 3), groups=2
    ),
    "conv3d, no output channels": lambda lib: lib.nn.Conv3d(4, 0, 3)(lib.ones(2, 4, 7, 6, 5)),
    "conv_transpose1d, no input channels": lambda lib: lib.nn.functional.conv_transpose1d(
        lib.ones(2, 0, 7), lib.ones(0, 3, 3)
    ),
    "conv_transpose2d, no input channels": lambda lib: lib.nn.functional.conv_transpose2d(
        lib.ones(2, 0, 7, 6), lib.ones(0, 3, 3, 3), lib.ones(3)
    ),
    "conv_transpose3d, no input channels": lambda lib: lib.nn.functional.conv_transpose3d(
        lib.ones(2, 0, 7, 6, 5), lib.ones(0, 3, 3, 3, 3)
    ),
    "conv_transpose1d, no output channels": lambda lib: lib.nn.functional.conv_transpose1d(
        lib.ones(2, 4, 7), lib.ones(4, 0, 3)
    ),
    "conv_transpose2d, no output channels": lambda lib: lib.nn.ConvTranspose2d(4, 0, 3)(
        lib.ones(2, 4, 7, 6)
    ),
    "conv_transpose3d, no output channels": lambda lib: lib.nn.functional.conv_transpose3d(
        lib.ones(2, 4, 7, 6, 5), lib.ones(4, 0, 3, 3, 3)
    ),
}


@pytest.mark.parametrize("case", sorted(EMPTY_WEIGHTS))
def test_a_convolution_with_an_empty_weight_is_refused_with_the_weights_size(case):
    """A layer with no output channels failed inside NumPy's reshape ("cannot reshape array
    of size 0 into shape (0,newaxis)"), a transposed one with no input channels with an
    IndexError; PyTorch refuses both."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch's "Initializing zero-element tensors"
        with pytest.raises(RuntimeError):
            EMPTY_WEIGHTS[case](torch)
        with pytest.raises(RuntimeError) as info:
            EMPTY_WEIGHTS[case](mg)
    message = str(info.value)
    assert "weight" in message and "reshape" not in message
    # an empty dim 0 in PyTorch's words; a transposed weight's empty dim 1 in minigrad's
    empty_out_channels = case.startswith("conv_transpose") and "no output" in case
    assert ("at least" in message) != empty_out_channels


def test_a_convolution_of_an_input_without_channels_gives_the_bias():
    """No input channels: every output is the bias (a sum over nothing), as the maths says."""
    y = mg.nn.functional.conv2d(mg.ones(2, 0, 7, 6), mg.ones(3, 0, 3, 3), mg.tensor([1.0, 2, 3]))
    assert y.shape == (2, 3, 5, 4)
    want = np.broadcast_to(np.array([1.0, 2, 3], np.float32).reshape(1, 3, 1, 1), (2, 3, 5, 4))
    assert np.array_equal(y.numpy(), want)


# ------------------------------------------------------------ dtypes in sets and dicts
DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"]


@pytest.mark.parametrize("name", DTYPES)
def test_a_tensors_dtype_is_the_named_dtype_in_sets_dicts_and_is(name):
    """`x.dtype in {torch.float16, torch.bfloat16}` took the wrong branch: minigrad's names
    were NumPy's scalar types, equal to a tensor's dtype but hashed apart from it."""
    for lib in (torch, mg):
        dt = getattr(lib, name)
        x = lib.zeros(2, dtype=dt)
        assert x.dtype is dt and x.dtype == dt
        assert x.dtype in {dt} and {dt: name}.get(x.dtype) == name
        assert hash(x.dtype) == hash(dt)
        assert x.dtype.itemsize == np.dtype(name).itemsize


def test_dtype_aliases_and_saved_dtypes_are_the_same_objects(tmp_path):
    pairs = [("half", "float16"), ("float", "float32"), ("double", "float64")]
    pairs += [("long", "int64"), ("int", "int32"), ("short", "int16")]
    pairs += [("cfloat", "complex64"), ("cdouble", "complex128")]
    for alias, name in pairs:
        assert getattr(mg, alias) is getattr(mg, name), alias
        assert getattr(torch, alias) is getattr(torch, name), alias
    mg.save({"d": mg.float16, "l": [mg.long, mg.bool]}, tmp_path / "dtypes.pt")
    back = mg.load(tmp_path / "dtypes.pt")
    assert back["d"] is mg.float16 and back["l"][0] is mg.long and back["l"][1] is mg.bool
    assert mg.ones(1).dtype is mg.get_default_dtype()


# ------------------------------------------------------------ asarray keeps the graph
@pytest.mark.parametrize(
    "kw",
    [{}, {"dtype": "float64"}, {"copy": True}, {"copy": False}, {"requires_grad": True}],
    ids=["plain", "cast", "copy", "no-copy", "requires-grad"],
)
def test_asarray_of_a_tensor_keeps_its_graph_as_pytorch_2_13(kw):
    """asarray(x * 3) came back detached, so backward never reached x (PyTorch 2.13: an
    unset requires_grad follows obj's, with a warning of the change where nothing else
    was asked)."""
    grads = []
    for lib in (torch, mg):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        args = {k: getattr(lib, v) if k == "dtype" else v for k, v in kw.items()}
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            y = lib.asarray(x * 3, **args)
        assert y.requires_grad and not y.is_leaf
        warned = [w for w in caught if "requires_grad" in str(w.message)]
        if lib is mg:  # (PyTorch's is a warn-once: only its first call in a process says it)
            assert len(warned) == (kw == {})
        (y * y).sum().backward()
        grads.append(x.grad.numpy().tolist())
    assert grads[0] == grads[1] == [18.0, 36.0]


def test_asarray_detaches_on_request_and_copies_what_it_is_told_to():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.warns(UserWarning, match="requires_grad now defaults"):
        assert mg.asarray(x) is x
    y = mg.asarray(x, requires_grad=False)
    assert not y.requires_grad and np.shares_memory(y.numpy(), x.detach().numpy())
    c = mg.asarray(x, copy=True)
    assert c.requires_grad and not np.shares_memory(c.detach().numpy(), x.detach().numpy())
    a = np.ones(2)
    assert not mg.asarray(a).requires_grad and mg.asarray(a, requires_grad=True).is_leaf
    assert not np.shares_memory(mg.asarray(a, copy=True).numpy(), a)
    assert np.shares_memory(mg.asarray(a).numpy(), a)


# ------------------------------------------------------------ frexp, ops without derivative
def test_frexps_mantissa_has_pytorchs_gradient():
    """The mantissa came back detached: its part of a loss vanished from x.grad."""
    values = [0.5, 3.0, -6.0, 0.0, 1e-40, 7e5]  # 1e-40: subnormal float32, 2**132 overflows
    grads = []
    for lib in (torch, mg):
        x = lib.tensor(values, requires_grad=True)
        m, e = lib.frexp(x)
        assert m.requires_grad and not e.requires_grad and e.dtype == lib.int32
        ((m * 2).sum() + x.sum()).backward()
        grads.append(x.grad.numpy())
        with lib.no_grad():
            assert not lib.frexp(x).mantissa.requires_grad
    np.testing.assert_array_equal(grads[1], grads[0])
    assert np.isinf(grads[1][4])
    x = mg.tensor([3.0, -0.1, 7e5, 0.75], dtype=mg.float64, requires_grad=True)
    assert mg.gradcheck(lambda t: mg.frexp(t).mantissa * t, (x,))
    assert mg.gradgradcheck(lambda t: mg.frexp(t).mantissa * t, (x,))


NO_DERIVATIVE = {
    "unique": lambda lib, x: lib.unique(x),
    "unique with counts": lambda lib, x: lib.unique(x, return_counts=True)[0],
    "Tensor.unique": lambda lib, x: x.unique(sorted=True),
    "unique_consecutive": lambda lib, x: lib.unique_consecutive(x),
    "heaviside": lambda lib, x: lib.heaviside(x, lib.tensor(0.5)),
    "histogram": lambda lib, x: lib.histogram(x, 3)[0],
    "histogram's weight": lambda lib, x: lib.histogram(x.detach(), 3, weight=x)[0],
}


@pytest.mark.parametrize("case", sorted(NO_DERIVATIVE))
def test_an_op_without_a_derivative_refuses_backward_instead_of_dropping_the_path(case):
    """unique(x) came back detached, so `loss = unique(x).sum() + x.sum()` gave x.grad
    without unique's part and no error; PyTorch raises at backward."""
    for lib in (torch, mg):
        x = lib.tensor([2.0, 1.0, 2.0, 0.0], requires_grad=True)
        y = NO_DERIVATIVE[case](lib, x)
        assert y.requires_grad
        with pytest.raises((NotImplementedError, RuntimeError), match="derivative for"):
            (y.sum() + x.sum()).backward()
        with lib.no_grad():
            assert not NO_DERIVATIVE[case](lib, x).requires_grad
        assert not NO_DERIVATIVE[case](lib, x.detach().requires_grad_(False)).requires_grad
    with pytest.raises(NotImplementedError, match="the derivative for '"):
        NO_DERIVATIVE[case](mg, mg.tensor([1.0, 2.0], requires_grad=True)).sum().backward()


def test_a_graphs_result_pickles_and_deep_copies_as_a_leaf():
    """pickle.dumps(x * 2) failed with "cannot pickle 'weakref.ReferenceType' object"."""
    import copy
    import pickle

    for lib in (torch, mg):
        x = lib.ones(2, requires_grad=True)
        y = pickle.loads(pickle.dumps(x * 2))
        assert y.is_leaf and y.requires_grad and y.grad_fn is None
        assert y.tolist() == [2.0, 2.0]
        (y * y).sum().backward()
        assert y.grad.tolist() == [4.0, 4.0] and x.grad is None
    x = mg.ones(2, requires_grad=True)
    z = x * 3
    w = copy.deepcopy(z)  # PyTorch's raises here: see docs/pytorch-differences.md
    assert w.is_leaf and w.requires_grad and w.tolist() == [3.0, 3.0]
    z.sum().backward()
    assert x.grad.tolist() == [3.0, 3.0] and w.grad is None


def test_a_write_into_an_expanded_tensor_says_what_pytorch_allows():
    """The refusal said "as PyTorch refuses", but PyTorch takes `e[0, 0] = 5` (each memory
    location written once); in-place ops on the whole view PyTorch refuses too."""
    t = torch.tensor([1.0, 2.0, 3.0])
    t.expand(2, 3)[0, 0] = 5.0
    assert t.tolist() == [5.0, 2.0, 3.0]
    e = mg.tensor([1.0, 2.0, 3.0]).expand(2, 3)
    with pytest.raises(RuntimeError, match="PyTorch allows an index that reaches each"):
        e[0, 0] = 5.0
    with pytest.raises(RuntimeError):
        torch.tensor([1.0, 2.0, 3.0]).expand(2, 3).add_(1)
    with pytest.raises(RuntimeError, match="as PyTorch refuses; clone"):
        e.add_(1)


@pytest.mark.parametrize("fn", ["kaiming_uniform_", "kaiming_normal_"])
def test_kaiming_init_of_an_empty_tensor_warns_as_pytorch(fn):
    for lib in (torch, mg):
        t = lib.empty(3, 0)
        with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
            assert getattr(lib.nn.init, fn)(t) is t
    with pytest.warns(UserWarning, match="zero-element"):
        mg.nn.Linear(0, 3)


@pytest.mark.parametrize("name", ["float32", "float64", "float16", "int64", "uint8", "bool"])
def test_a_pickled_tensors_dtype_is_still_the_named_dtype(name):
    """NumPy unpickles an equal but new dtype object: `x.dtype is mg.float32` failed after
    pickle.loads(pickle.dumps(x)) (and in a multiprocessing worker)."""
    import pickle

    dt = getattr(mg, name)
    x = mg.zeros(3, dtype=dt)
    back = pickle.loads(pickle.dumps(x))
    assert back.dtype is dt and np.array_equal(back.numpy(), x.numpy())
    p = pickle.loads(pickle.dumps(mg.nn.Linear(2, 3)))
    assert p.weight.dtype is mg.float32 and p.weight.requires_grad
