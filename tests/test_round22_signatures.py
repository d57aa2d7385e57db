"""PyTorch's keyword names and defaults, as PyTorch programs pass them: `input=`/`other=`
on the top-level, linalg and special functions, the Tensor methods' own keywords
(`x.view(size=...)`, `x.permute(dims=...)`), defaults passed explicitly (`nan=None`,
`roll(x, 1, [])`, `memory_format=None`, `layout=strided`), and `out=` where PyTorch has it.
Each call is made in both libraries on the same values."""

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")

X = np.array([[0.5, -1.5, 2.0, 0.0], [3.0, 1.0, -2.0, 0.25], [1.0, 1.0, 0.5, -0.5]], np.float32)
Y = np.array([[1.0, -1.0, 2.5, 0.0], [2.0, 2.0, -3.0, 1.0], [0.0, 1.0, 0.5, 4.0]], np.float32)
SPD = (X @ X.T + 3 * np.eye(3)).astype(np.float32)


def both(call):
    """call(lib, x, y, spd) in torch and minigrad, each result as NumPy arrays."""
    out = []
    for lib in (torch, mg):
        x, y, a = (lib.tensor(v) for v in (X, Y, SPD))
        got = call(lib, x, y, a)
        if isinstance(got, tuple | list):
            out.append([np.asarray(g.numpy() if hasattr(g, "numpy") else g) for g in got])
        else:
            out.append([np.asarray(got.numpy() if hasattr(got, "numpy") else got)])
    for t, m in zip(*out, strict=True):
        np.testing.assert_allclose(m, t, rtol=1e-5, atol=1e-6)


KEYWORD_CALLS = {
    "sum input=": lambda L, x, y, a: L.sum(input=x, dim=1),
    "exp input=": lambda L, x, y, a: L.exp(input=x),
    "clamp input=": lambda L, x, y, a: L.clamp(input=x, min=-1.0, max=1.0),
    "cumsum input=": lambda L, x, y, a: L.cumsum(input=x, dim=0),
    "argmax input=": lambda L, x, y, a: L.argmax(input=x, dim=1),
    "matmul input= other=": lambda L, x, y, a: L.matmul(input=x, other=y.T),
    "mm mat2=": lambda L, x, y, a: L.mm(x, mat2=y.T),
    "bmm mat2=": lambda L, x, y, a: L.bmm(x[None], mat2=y.T[None]),
    "dot tensor=": lambda L, x, y, a: L.dot(x[0], tensor=y[0]),
    "outer vec2=": lambda L, x, y, a: L.outer(x[0], vec2=y[1]),
    "maximum other=": lambda L, x, y, a: L.maximum(x, other=y),
    "minimum input= other=": lambda L, x, y, a: L.minimum(input=x, other=y),
    "remainder other=": lambda L, x, y, a: L.remainder(x, other=y + 5),
    "logical_and other=": lambda L, x, y, a: L.logical_and(x, other=y),
    "max other=": lambda L, x, y, a: L.max(x, other=y),
    "min input= other=": lambda L, x, y, a: L.min(input=x, other=y),
    "where condition= input= other=": lambda L, x, y, a: L.where(condition=x > 0, input=x, other=y),
    "split tensor=": lambda L, x, y, a: L.split(tensor=x, split_size_or_sections=2, dim=1),
    "tensor_split sections=": lambda L, x, y, a: L.tensor_split(x, sections=2, dim=1),
    "swapaxes axis0=": lambda L, x, y, a: L.swapaxes(x, axis0=0, axis1=1),
    "addcmul tensor1= tensor2=": lambda L, x, y, a: L.addcmul(x, tensor1=y, tensor2=x, value=2),
    "addcdiv input=": lambda L, x, y, a: L.addcdiv(input=x, tensor1=y, tensor2=x + 5),
    "sort input=": lambda L, x, y, a: L.sort(input=x, dim=1)[0],
    "softmax input=": lambda L, x, y, a: L.softmax(input=x, dim=1),
    "allclose input= other=": lambda L, x, y, a: L.allclose(input=x, other=x),
    "linalg.norm input=": lambda L, x, y, a: L.linalg.norm(input=x, dim=1),
    "linalg.cholesky input=": lambda L, x, y, a: L.linalg.cholesky(input=a),
    "linalg.matmul input= other=": lambda L, x, y, a: L.linalg.matmul(input=x, other=y.T),
    "cholesky_inverse input=": lambda L, x, y, a: L.cholesky_inverse(input=L.linalg.cholesky(a)),
    "special.erf input=": lambda L, x, y, a: L.special.erf(input=x),
    "special.logsumexp input=": lambda L, x, y, a: L.special.logsumexp(input=x, dim=1),
    "F.one_hot input=": lambda L, x, y, a: L.nn.functional.one_hot(input=L.tensor([1, 0, 2])),
    # kept as PyTorch names them: torch.tensordot(a, b), torch.linalg.vecdot(x, y)
    "tensordot a= b=": lambda L, x, y, a: L.tensordot(a=x, b=y.T, dims=1),
    "linalg.vecdot x= y=": lambda L, x, y, a: L.linalg.vecdot(x=x, y=y),
    # methods
    "permute dims=": lambda L, x, y, a: x.permute(dims=(1, 0)),
    "reshape shape=": lambda L, x, y, a: x.reshape(shape=(2, 6)),
    "view size=": lambda L, x, y, a: x.view(size=(6, 2)),
    "view dtype=": lambda L, x, y, a: x.view(dtype=L.int32),
    "expand size=": lambda L, x, y, a: x[:1].expand(size=(3, 4)),
    "broadcast_to size=": lambda L, x, y, a: x[:1].broadcast_to(size=(2, 4)),
    "flip dims=": lambda L, x, y, a: x.flip(dims=(0, 1)),
    "tile dims=": lambda L, x, y, a: x.tile(dims=(2, 1)),
    "repeat repeats=": lambda L, x, y, a: x.repeat(repeats=(1, 2)),
    "swapdims dim0=": lambda L, x, y, a: x.swapdims(dim0=0, dim1=1),
    "split split_size=": lambda L, x, y, a: x.split(split_size=2, dim=1),
    "tensor_split indices=": lambda L, x, y, a: x.tensor_split(indices=[1, 3], dim=1),
    "tensor_split positional": lambda L, x, y, a: x.tensor_split(2, 1),
    "method addcmul tensor1=": lambda L, x, y, a: x.addcmul(tensor1=y, tensor2=y, value=0.5),
    "method addcdiv_ tensor2=": lambda L, x, y, a: x.clone().addcdiv_(y, tensor2=x + 5),
    "method max other=": lambda L, x, y, a: x.max(other=y),
    "method min other=": lambda L, x, y, a: x.min(other=y),
    # defaults passed explicitly
    "nan_to_num nan=None": lambda L, x, y, a: L.nan_to_num(x / 0, nan=None),
    "method nan_to_num(None, 5.0)": lambda L, x, y, a: (x / 0).nan_to_num(None, 5.0),
    "roll dims=[]": lambda L, x, y, a: L.roll(x, 1, []),
    # (values off the bin edges: linspace's edges may differ from PyTorch's in the last bit)
    "histogram bins default": lambda L, x, y, a: L.histogram(x, range=(-2.13, 3.07)).hist,
    "method histogram default": lambda L, x, y, a: x.histogram(range=(-2.13, 3.07)).hist,
    "cholesky upper by position": lambda L, x, y, a: L.cholesky(a, False),
    "gradient spacing=None": lambda L, x, y, a: L.gradient(x, spacing=None, dim=1),
    "clone memory_format=None": lambda L, x, y, a: x.clone(memory_format=None),
    "zeros_like memory_format=None": lambda L, x, y, a: L.zeros_like(x, memory_format=None),
    "zeros layout=strided": lambda L, x, y, a: L.zeros(2, 3, layout=L.strided),
    "ones pin_memory=False": lambda L, x, y, a: L.ones(2, layout=None, pin_memory=False),
    "eye layout": lambda L, x, y, a: L.eye(3, layout=L.strided),
    "arange layout": lambda L, x, y, a: L.arange(4, layout=L.strided),
    "full layout": lambda L, x, y, a: L.full((2,), 3.0, layout=L.strided),
}


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name", sorted(KEYWORD_CALLS))
def test_pytorch_keywords_and_defaults(name):
    both(KEYWORD_CALLS[name])


OUT_CALLS = {
    "histc": (lambda L, x, o: L.histc(x, bins=4, out=o), (4,)),
    "quantile": (lambda L, x, o: L.quantile(x, 0.5, dim=1, out=o), (3,)),
    "nanquantile": (lambda L, x, o: L.nanquantile(x, 0.25, dim=0, out=o), (4,)),
    "tensordot": (lambda L, x, o: L.tensordot(x, x.T, dims=1, out=o), (3, 3)),
    "F.normalize": (lambda L, x, o: L.nn.functional.normalize(x, dim=1, out=o), (3, 4)),
}


@pytest.mark.parametrize("name", sorted(OUT_CALLS))
def test_out_where_pytorch_has_it(name):
    call, shape = OUT_CALLS[name]
    results = []
    for lib in (torch, mg):
        o = lib.empty(shape)
        got = call(lib, lib.tensor(X), o)
        assert got is o
        results.append(o.numpy())
    np.testing.assert_allclose(results[1], results[0], rtol=1e-6, atol=1e-7)


def test_both_names_at_once_is_a_type_error():
    x = mg.tensor(X)
    with pytest.raises(TypeError, match="'x' and its alias 'input'|multiple values"):
        mg.sum(x, input=x)
    with pytest.raises(TypeError, match="multiple values for argument 'dims'"):
        x.permute(1, 0, dims=(1, 0))
    with pytest.raises(TypeError, match="multiple values for argument 'size'"):
        x.view(12, size=(12,))
    with pytest.raises(TypeError, match="tensor1"):
        x.addcmul(x, tensor1=x, tensor2=x)
    with pytest.raises(TypeError, match="exactly one"):
        x.tensor_split(2, sections=2)
    with pytest.raises(TypeError, match="exactly one"):
        x.tensor_split()


def test_aliases_of_one_function_stay_one_object():
    assert mg.asin is mg.arcsin and mg.sub is mg.subtract
    assert mg.special.erf(input=mg.tensor([0.5])).item() == pytest.approx(0.5204999)


MISUSE = {
    "nanmean dtype=int64": lambda L, x: L.nanmean(x / 0, dtype=L.int64),
    "interpolate size= and recompute_scale_factor": lambda L, x: L.nn.functional.interpolate(
        x[None, None], size=7, recompute_scale_factor=True
    ),
    "pdist of int64": lambda L, x: L.nn.functional.pdist(x.long()),
    "gradient of bool": lambda L, x: L.gradient(x > 0),
    "mvlgamma of bool": lambda L, x: L.mvlgamma(x > 0, p=3),
    "pin_memory=True": lambda L, x: L.zeros(2, pin_memory=True),
}


@pytest.mark.parametrize("name", sorted(MISUSE))
def test_misuse_refused_as_pytorch_refuses_it(name):
    for lib in (torch, mg):
        with pytest.raises((RuntimeError, ValueError, TypeError)):
            MISUSE[name](lib, lib.tensor(X))


def test_nanmean_float_dtype_still_works():
    x = np.array([[1.5, np.nan, 3.0], [3.0, 4.0, 5.0]], np.float32)
    got = mg.nanmean(mg.tensor(x), dim=1, dtype=mg.float64)
    want = torch.nanmean(torch.tensor(x), dim=1, dtype=torch.float64)
    assert got.dtype == mg.float64
    np.testing.assert_allclose(got.numpy(), want.numpy())


def test_factories_keep_their_out_and_layout_errors():
    with pytest.raises(RuntimeError, match="strided"):
        mg.zeros(2, layout="sparse")
    o = mg.empty(3)
    assert mg.zeros(3, layout=mg.strided, out=o) is o


def test_public_functions_pickle_by_name():
    """The keyword wrappers are found under the names they have (pickle looks them up)."""
    import pickle

    names = ["flatten", "zeros_like", "isnan", "exp", "asin", "arcsin", "reshape", "movedim"]
    fns = [getattr(mg, n) for n in names] + [mg.special.erf, mg.linalg.norm, mg.max]
    for f in fns:
        assert pickle.loads(pickle.dumps(f)) is f


@pytest.mark.parametrize(
    "call",
    [
        lambda L, x: L.reshape(input=x, shape=(6, 2)),
        lambda L, x: L.permute(input=x, dims=(1, 0)),
        lambda L, x: L.transpose(input=x, dim0=0, dim1=1),
        lambda L, x: L.squeeze(input=x[None]),
        lambda L, x: L.movedim(input=x, source=0, destination=1),
        lambda L, x: L.lerp(input=x, end=x * 2, weight=0.5),
    ],
)
def test_view_ops_take_input_keyword(call):
    got, want = call(mg, mg.tensor(X)), call(torch, torch.tensor(X))
    np.testing.assert_array_equal(got.numpy(), want.numpy())


@pytest.mark.parametrize(
    "call",
    [
        lambda L, x: L.max(x, other=1),
        lambda L, x: x.max(other=1),
        lambda L, x: x.max(other=x, keepdim=True),
        lambda L, x: x.min(1, other=x),
        lambda L, x: x.view(size=(4, 3), dtype=L.int32),
        lambda L, x: x.tensor_split(sections=[1, 2]),
        lambda L, x: x.tensor_split(indices=1),
    ],
)
def test_keyword_forms_refuse_what_pytorch_refuses(call):
    for L in (torch, mg):
        with pytest.raises(TypeError):
            call(L, L.tensor(X))


def test_cumprod_over_one_element_passes_the_gradient():
    for v in (float("inf"), float("nan"), 0.0, 2.0):
        grads = []
        for L in (torch, mg):
            x = L.tensor([[v]], requires_grad=True)
            (L.cumprod(x, 1) * 3).sum().backward()
            grads.append(x.grad.numpy())
        np.testing.assert_array_equal(grads[1], grads[0])


def test_normalize_out_casts_as_pytorch():
    results = []
    for L in (torch, mg):
        o = L.empty(3, 4, dtype=L.float64)
        L.nn.functional.normalize(L.tensor(X), out=o)
        results.append(o.numpy())
    np.testing.assert_allclose(results[1], results[0], rtol=1e-6)
