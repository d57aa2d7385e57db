"""More of round nine against torch: grad's deprecated only_inputs, cdist's matrix-product
path (PyTorch's rounding above 25 rows), one_hot's error type."""

import warnings

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")


def test_grad_takes_only_inputs_in_pytorch_position():
    for lib in (mg, torch):
        x = lib.ones(3, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # True is silent
            (g,) = lib.autograd.grad((x * 2).sum(), x, only_inputs=True)
        assert g.tolist() == [2.0, 2.0, 2.0]
        with pytest.warns(FutureWarning, match="only_inputs argument is deprecated"):
            lib.autograd.grad((x * 2).sum(), x, only_inputs=False)
        # allow_unused is the seventh positional argument, after only_inputs
        y = lib.ones(1, requires_grad=True)
        got = lib.autograd.grad((x * 2).sum(), [x, y], None, None, False, True, True)
        assert got[1] is None


def _cdist(L, a, b, **kw):
    x = L.tensor(a, requires_grad=True)
    y = L.tensor(b, requires_grad=True)
    d = L.cdist(x, y, **kw)
    if d.numel():
        (
            d * L.tensor(np.linspace(0.5, 1.5, d.numel()).reshape(tuple(d.shape)).astype(a.dtype))
        ).sum().backward()
    grads = [None if t.grad is None else t.grad.numpy() for t in (x, y)]
    return d.detach().numpy(), grads


@pytest.mark.parametrize(
    "shapes",
    [((30, 5), (20, 5)), ((2, 30, 4), (5, 1, 26, 4)), ((3, 4), (40, 4)), ((5, 3), (7, 3))],
)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(
    "mode",
    [
        "use_mm_for_euclid_dist_if_necessary",
        "use_mm_for_euclid_dist",
        "donot_use_mm_for_euclid_dist",
    ],
)
def test_cdist_as_pytorch_in_every_mode(shapes, dtype, mode):
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal(s).astype(dtype) for s in shapes)
    (d, (gx, gy)), (td, (tgx, tgy)) = (
        _cdist(mg, a, b, compute_mode=mode),
        _cdist(torch, a, b, compute_mode=mode),
    )
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == "float32" else dict(rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(d, td, **tol)
    np.testing.assert_allclose(gx, tgx, **tol)
    np.testing.assert_allclose(gy, tgy, **tol)


def test_cdist_self_distance_rounds_as_pytorch_above_25_rows():
    rng = np.random.default_rng(1)
    a = (rng.standard_normal((32, 8)) * 3).astype(np.float32)
    for lib in (mg, torch):
        x = lib.tensor(a)
        big = lib.cdist(x, x).numpy().diagonal()
        small = lib.cdist(x[:20], x[:20]).numpy().diagonal()
        exact = lib.cdist(x, x, compute_mode="donot_use_mm_for_euclid_dist").numpy().diagonal()
        # the product leaves rounding residue on the diagonal; the differences do not
        assert big.max() > 1e-4 and (small == 0).all() and (exact == 0).all()


def test_cdist_argument_errors_as_pytorch():
    x = mg.ones(2, 3)
    with pytest.raises(ValueError, match="bad is not a valid value for compute_mode"):
        mg.cdist(x, x, compute_mode="bad")
    with pytest.raises(RuntimeError, match="only supports non-negative p"):
        mg.cdist(x, x, p=-1)
    assert mg.cdist(mg.zeros(0, 3), mg.ones(30, 3)).shape == (0, 30)


def test_one_hot_of_float_labels_is_a_runtime_error_as_pytorch():
    for lib in (mg, torch):
        with pytest.raises(RuntimeError, match="one_hot is only applicable to index tensor"):
            lib.nn.functional.one_hot(lib.tensor([0.0, 1.0]), 3)


# ---------------------------------------------------------------- torch._foreach_*


def _lists(L):
    return [L.tensor([1.0, -2.0, 3.0]), L.tensor([[0.5, 4.0], [2.0, -1.0]])]


@pytest.mark.parametrize(
    "call",
    [
        "F._foreach_add(a, 1.5)",
        "F._foreach_add(a, b, alpha=2)",
        "F._foreach_sub(a, [1.0, 2.0])",
        "F._foreach_mul(a, L.tensor(3.0))",
        "F._foreach_div(a, b)",
        "F._foreach_pow(a, 2.0)",
        "F._foreach_pow(2.0, a)",
        "F._foreach_maximum(a, b)",
        "F._foreach_clamp_min(a, 0.7)",
        "F._foreach_addcmul(a, a, b, value=2.0)",
        "F._foreach_addcdiv(a, a, b, [1.0, 2.0])",
        "F._foreach_lerp(a, b, 0.25)",
        "F._foreach_lerp(a, b, [0.25, 0.75])",
        "F._foreach_exp(a)",
        "F._foreach_abs(a)",
        "F._foreach_sigmoid(a)",
        "F._foreach_norm(a)",
        "F._foreach_norm(a, 1)",
        "F._foreach_max(a)",
        "F._foreach_clone(a)",
        "F._foreach_add_(a, 1.0)",
        "F._foreach_mul_(a, [2.0, 3.0])",
        "F._foreach_lerp_(a, b, 0.1)",
        "F._foreach_addcmul_(a, b, b, value=0.5)",
        "F._foreach_maximum_(a, 0.0)",
        "F._foreach_neg_(a)",
        "F._foreach_zero_(a)",
        "F._foreach_copy_(a, b)",
    ],
)
def test_foreach_ops_as_pytorch(call):
    def run(L):
        a, b = _lists(L), [t * 0.5 + 2 for t in _lists(L)]
        out = eval(call, {"F": L, "L": L, "a": a, "b": b})
        kind = type(out).__name__
        return kind, [t.numpy().tolist() for t in out], [t.numpy().tolist() for t in a]

    got, want = run(mg), run(torch)
    assert got[0] == want[0]  # a tuple of new tensors, or the list given, changed in place
    for g, w in zip(got[1:], want[1:], strict=True):  # results, then the inputs after
        assert len(g) == len(w)
        for x, y in zip(g, w, strict=True):
            np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=1e-6)


def test_foreach_list_length_mismatch_and_gradients():
    for lib in (mg, torch):
        a = [lib.ones(2), lib.ones(3)]
        with pytest.raises(RuntimeError, match="same number of elements as scalar list"):
            lib._foreach_add(a, [1.0])
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    (y,) = mg._foreach_mul([x], 3.0)
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


# ---------------------------------------------------------------- deprecated argument orders


@pytest.mark.parametrize(
    "call",
    [
        "a.add_(0.5, b)",
        "a.sub_(0.5, b)",
        "a.add(0.5, b)",
        "a.sub(0.5, b)",
        "L.add(a, 0.5, b)",
        "L.sub(a, 0.5, b)",
        "a.addcmul_(0.5, b, c)",
        "a.addcdiv_(0.5, b, c)",
        "a.addcmul(0.5, b, c)",
        "a.addcdiv(0.5, b, c)",
        "L.addcmul(a, 0.5, b, c)",
        "L.addcdiv(a, 0.5, b, c)",
    ],
)
def test_deprecated_number_first_overloads_as_pytorch(call):
    """`ema.mul_(d).add_(1 - d, p)`: older GAN code's EMA; it raised 'ambiguous'."""

    def run(L):
        a = L.tensor([1.0, -2.0, 3.0])
        b, c = L.tensor([2.0, 0.5, -1.0]), L.tensor([4.0, 2.0, 8.0])
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            out = eval(call, {"L": L, "a": a, "b": b, "c": c})
        said = [str(w.message) for w in seen if "This overload of" in str(w.message)]
        return out.numpy().tolist(), a.numpy().tolist(), said

    got, want = run(mg), run(torch)
    assert got[0] == pytest.approx(want[0]) and got[1] == pytest.approx(want[1])
    assert got[2] and got[2][0].split("\n")[:2] == want[2][0].split("\n")[:2] if want[2] else got[2]


def test_deprecated_overload_warning_points_at_the_callers_line():
    a, b = mg.ones(2), mg.ones(2)
    with pytest.warns(UserWarning, match="This overload of add_ is deprecated") as seen:
        a.add_(0.5, b)
    assert seen[0].filename == __file__


# ---------------------------------------------------------------- hostile pass follow-ups


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0, 0.5, float("inf")])
def test_distances_with_ties_and_empty_rows_as_pytorch(p):
    """cdist/pdist with p=inf gave tied coordinates half the sign each (amax's share);
    PyTorch's distance kernels give each its full sign. No coordinates: zeros."""
    rng = np.random.default_rng(4)
    for s1, s2 in [((5, 3), (4, 3)), ((4, 3), (30, 3)), ((3, 0), (2, 0)), ((2, 5, 3), (4, 3))]:
        a = rng.integers(-2, 3, s1).astype(np.float64)
        b = rng.integers(-2, 3, s2).astype(np.float64)

        def run(L, a=a, b=b):
            x, y = L.tensor(a, requires_grad=True), L.tensor(b, requires_grad=True)
            d = L.cdist(x, y, p=p)
            weights = np.arange(d.numel(), dtype=np.float64).reshape(tuple(d.shape)) + 1
            (d * L.tensor(weights)).sum().backward()
            return d.detach().numpy(), x.grad.numpy(), y.grad.numpy()

        for got, want in zip(run(mg), run(torch), strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    x = rng.integers(-2, 3, (6, 3)).astype(np.float64)

    def pd(L):
        t = L.tensor(x, requires_grad=True)
        d = L.nn.functional.pdist(t, p)
        (d * L.tensor(np.arange(d.numel()) + 1.0)).sum().backward()
        return d.detach().numpy(), t.grad.numpy()

    for got, want in zip(pd(mg), pd(torch), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_foreach_addcmul_with_a_tensor_of_scalars_as_pytorch():
    def run(L):
        zeros = [L.zeros(3) for _ in range(3)]
        ones = [L.ones(3) for _ in range(3)]
        out = L._foreach_addcmul(zeros, ones, ones, L.tensor([1.0, 2.0, 3.0]))
        return [t.tolist() for t in out]

    assert run(mg) == run(torch) == [[1.0] * 3, [2.0] * 3, [3.0] * 3]


def test_edge_results_found_by_the_hostile_pass_as_pytorch():
    nan = float("nan")
    for lib in (mg, torch):
        assert np.isnan(lib.mode(lib.tensor([nan, nan, nan])).values.item())  # crashed
        values, counts = lib.unique_consecutive(lib.zeros(0, 2), dim=0, return_counts=True)
        assert tuple(values.shape) == (0, 2) and tuple(counts.shape) == (0,)
        y = lib.ldexp(lib.tensor([1.0, 2.0], dtype=lib.float16), lib.tensor([3, 30]))
        assert str(y.dtype).endswith("float16") and y.tolist() == [8.0, float("inf")]
        z = lib.float_power(lib.tensor([1 + 1j]), 2)
        assert str(z.dtype).endswith("complex128") and z.tolist() == [2j]
        assert str(lib.tensor([1 + 2j]).dtype).endswith("complex64")


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_an_overflowing_step_gives_values_not_numpy_warnings(name):
    """A step whose update overflows (lr 1e300) leaks no NumPy RuntimeWarning: it is a
    value (inf or NaN), as in PyTorch, which a job's loss check then reports."""
    p = mg.nn.Parameter(mg.tensor([1e30, 2.0]))
    opt = getattr(mg.optim, name)([p], lr=1e300)
    p.grad = mg.tensor([1e30, float("nan")])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()
    assert not np.isfinite(p.detach().numpy()).all()
    assert np.geterr()["over"] == "warn"  # the error state is restored
