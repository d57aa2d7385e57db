"""Round 25 of the hostile reviews: reductions and statistics against PyTorch 2.13 (histogram
edges, float32 prod, norm's dim and p, nanmean and renorm in float16, messages)."""

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")

NAN, INF = float("nan"), float("inf")

# PyTorch's compiled linspace kernel contracts `start + step * i` into a fused multiply-add
# wherever the CPU has one (x86-64 AVX2/AVX-512, ARM); its scalar "DEFAULT" build does not
fma_kernels = pytest.mark.skipif(
    torch.backends.cpu.get_cpu_capability() == "DEFAULT",
    reason="PyTorch runs its no-FMA kernels here (ATEN_CPU_CAPABILITY=default)",
)


def _dt(lib, name):
    return getattr(lib, name)


# ---------------------------------------------------------------- linspace and histogram


@fma_kernels
@pytest.mark.parametrize("name", ["float32", "float64", "float16"])
def test_linspace_is_pytorchs_bit_for_bit(name):
    rng = np.random.default_rng(7)
    cases = [(-13.5, 23.4, 54), (0.0, 1.0, 11), (-1.0, 1.0, 7), (5.0, 5.0, 4), (2.0, -3.0, 9)]
    for _ in range(150):
        lo, hi = np.round(rng.standard_normal(2) * 20, 1)
        cases.append((float(lo), float(hi), int(rng.integers(0, 130))))
    for lo, hi, n in cases:
        want = torch.linspace(lo, hi, n, dtype=_dt(torch, name)).numpy()
        got = mg.linspace(lo, hi, n, dtype=_dt(mg, name)).numpy()
        np.testing.assert_array_equal(got, want, err_msg=f"linspace({lo}, {hi}, {n})")


@fma_kernels
def test_linspace_extremes_as_pytorch():
    for lo, hi, n, name in [
        (-3.4e38, 3.4e38, 8, "float32"),  # the step overflows: NaN and infs, as PyTorch's
        (-1.7e308, 1.7e308, 5, "float64"),
        (1e-45, 1e-40, 9, "float32"),  # subnormal
        (1e-320, 3e-320, 9, "float64"),
        (0.0, 1.0, 1, "float32"),
        (0.0, 1.0, 0, "float64"),
    ]:
        want = torch.linspace(lo, hi, n, dtype=_dt(torch, name)).numpy()
        got = mg.linspace(lo, hi, n, dtype=_dt(mg, name)).numpy()
        np.testing.assert_array_equal(got, want)


@fma_kernels
@pytest.mark.parametrize("name", ["float32", "float64"])
def test_histogram_counts_on_a_decimal_grid_as_pytorch(name):
    # values such as -13.5 sit exactly on an edge: an edge an ulp off moved them a bin
    rng = np.random.default_rng(1)
    for _ in range(60):
        x = np.round(rng.standard_normal(400) * 10, 1).astype(name)
        bins = int(rng.integers(5, 60))
        want = torch.histogram(torch.tensor(x), bins)
        got = mg.histogram(mg.tensor(x), bins)
        np.testing.assert_array_equal(got.bin_edges.numpy(), want.bin_edges.numpy())
        np.testing.assert_array_equal(got.hist.numpy(), want.hist.numpy(), err_msg=f"{bins}")
    x = np.round(rng.standard_normal(300), 1).astype(name)
    w = rng.random(300).astype(name)
    want = torch.histogram(torch.tensor(x), 17, range=(-1.5, 1.2), weight=torch.tensor(w))
    got = mg.histogram(mg.tensor(x), 17, range=(-1.5, 1.2), weight=mg.tensor(w))
    np.testing.assert_array_equal(got.bin_edges.numpy(), want.bin_edges.numpy())
    np.testing.assert_allclose(got.hist.numpy(), want.hist.numpy(), rtol=1e-6)


@pytest.mark.parametrize(
    "edges",
    [
        [0.0, 2.0, 1.0],
        [NAN, 1.0, 3.0],
        [0.0, 1.0, NAN],
        [0.0, NAN, 3.0],
        [3.0, 2.0, 1.0],
        [0.0, INF],
        [-INF, 0.0, 5.0],
        [0.0, 1.0, 1.0, 3.0],
        [0.0, 3.0, 1.0, 2.0, 0.5, 3.0],
        [0.0, 5.0, NAN, 1.0, 2.0, 3.0],
    ],
)
def test_histogram_with_edges_in_no_order_or_nan_as_pytorch(edges):
    x = [0.5, 1.5, 2.5, 0.0, 3.0, 1.0, 2.0, NAN, -1.0, 4.0]  # (NumPy's gave -2 or raised)
    want = torch.histogram(torch.tensor(x), torch.tensor(edges)).hist.numpy()
    got = mg.histogram(mg.tensor(x), mg.tensor(edges)).hist.numpy()
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("name", ["float32", "float64"])
def test_histogram_of_a_range_beyond_the_dtype_counts_nothing_as_pytorch(name):
    big = 3e38 if name == "float32" else 1.7e308
    for kw in ({}, {"range": (-big, big)}, {"weight": [1.0, 2.0, 3.0]}):
        tkw = {
            k: torch.tensor(v, dtype=_dt(torch, name)) if k == "weight" else v
            for k, v in kw.items()
        }
        mkw = {k: mg.tensor(v, dtype=_dt(mg, name)) if k == "weight" else v for k, v in kw.items()}
        want = torch.histogram(torch.tensor([-big, 0.0, big], dtype=_dt(torch, name)), 4, **tkw)
        got = mg.histogram(mg.tensor([-big, 0.0, big], dtype=_dt(mg, name)), 4, **mkw)
        np.testing.assert_array_equal(got.hist.numpy(), want.hist.numpy())  # zeros
        np.testing.assert_array_equal(got.bin_edges.numpy(), want.bin_edges.numpy())


def _raises_as_torch(f, exc=RuntimeError):
    with pytest.raises(exc) as t:
        f(torch)
    with pytest.raises(exc) as m:
        f(mg)
    assert str(m.value) == str(t.value)


def test_histogram_refuses_bins_or_weight_of_another_dtype_as_pytorch():
    _raises_as_torch(
        lambda L: L.histogram(L.tensor([0.1, 0.7], dtype=L.float64), L.tensor([0.0, 0.5, 2.0]))
    )
    _raises_as_torch(lambda L: L.histogram(L.tensor([0.1, 0.7]), L.tensor([0, 1, 2])))
    _raises_as_torch(
        lambda L: L.histogram(L.tensor([0.1, 0.7]), 3, weight=L.tensor([1.0, 2.0], dtype=L.float64))
    )


def test_histogram_refusals_as_pytorch():
    _raises_as_torch(lambda L: L.histogram(L.tensor([1.0]), L.tensor([1.0])))  # one edge
    _raises_as_torch(lambda L: L.histogram(L.tensor([1.0]), L.tensor([])))
    _raises_as_torch(lambda L: L.histogram(L.tensor([1.0]), L.tensor([[0.0, 1.0]])))
    _raises_as_torch(lambda L: L.histogram(L.tensor([1.0]), 0))
    _raises_as_torch(
        lambda L: L.histogram(L.tensor([1.0], dtype=L.float16), 3), NotImplementedError
    )
    _raises_as_torch(lambda L: L.histogram(L.tensor([1, 2]), 3), NotImplementedError)


# ---------------------------------------------------------------- prod


@pytest.mark.parametrize("n", [1000, 5000, 10000])
def test_float32_prod_of_many_factors_is_the_exact_product_rounded(n):
    rng = np.random.default_rng(0)
    y = (1 + (rng.standard_normal(n) + 0.5) / n).astype(np.float32)
    exact = np.prod(y.astype(np.float64))
    ulp = float(np.spacing(np.float32(exact)))
    got = mg.prod(mg.tensor(y)).item()
    want = torch.prod(torch.tensor(y)).item()
    assert abs(got - exact) <= ulp  # the pairwise float32 tree was 417 and 1339 ulps off
    assert abs(got - want) <= abs(want - exact) + ulp  # PyTorch is off by its own roundings
    assert mg.prod(mg.tensor(y)).dtype == mg.float32


def test_float32_prod_along_a_dim_and_its_gradient():
    y = np.full((3, 4096), 1 + 2**-12, np.float32)
    y[1, 5] = 0.0
    x = mg.tensor(y, requires_grad=True)
    p = x.prod(1)
    exact = np.prod(y.astype(np.float64), 1)
    np.testing.assert_array_equal(p.detach().numpy(), exact.astype(np.float32))
    p.sum().backward()
    assert x.grad.dtype == mg.float32
    t = torch.tensor(y, requires_grad=True)
    t.prod(1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=2e-4)
    g = x.grad.numpy()
    assert g[1, 5] != 0 and (g[1, :5] == 0).all()  # exact at the zero, no division


@pytest.mark.parametrize(
    "vals",
    [
        [],
        [3.0],
        [2.0, 3.5],
        [1e30, 1e30, 1e-30],
        [1e30, 1e30, 1e30],
        [2.0, NAN, 0.0],
        [INF, 0.0, 1.0],
    ],
)
def test_float32_prod_edges_as_pytorch(vals):
    want = torch.tensor(vals).prod().item()
    got = mg.tensor(vals).prod().item()
    if vals == [1e30, 1e30, 1e-30]:  # PyTorch overflows to inf on the way; the product is 1e30
        assert got == np.float32(1e30)
    else:
        np.testing.assert_array_equal(got, want)


def test_prod_of_other_dtypes_is_unchanged():
    h = np.array([1.5, 2.0, 0.75, 1.25], np.float16)
    np.testing.assert_array_equal(mg.tensor(h).prod().numpy(), torch.tensor(h).prod().numpy())
    i = np.array([3, -2, 7, 11, 5], np.int32)
    assert mg.tensor(i).prod().item() == torch.tensor(i).prod().item()
    assert mg.tensor(i).prod().dtype == mg.int64
    assert mg.tensor(2.5).prod().item() == 2.5


# ---------------------------------------------------------------- norm and dist


@pytest.mark.parametrize("p", [2, 1, INF, 3, 0])
def test_norm_takes_a_numpy_integer_dim_as_pytorch(p):
    a = np.arange(6.0).reshape(2, 3)
    d = np.argmax(a.shape)
    want = torch.norm(torch.tensor(a), p, dim=d).numpy()
    np.testing.assert_allclose(mg.norm(mg.tensor(a), p, dim=d).numpy(), want)
    np.testing.assert_allclose(mg.tensor(a).norm(p, dim=d).numpy(), want)
    got = mg.tensor(a).norm(p, dim=mg.tensor(1)).numpy()
    np.testing.assert_allclose(got, torch.tensor(a).norm(p, dim=torch.tensor(1)).numpy())
    dims = [np.int64(0), np.int64(1)]
    np.testing.assert_allclose(
        mg.tensor(a).norm(p, dim=dims).numpy(), torch.tensor(a).norm(p, dim=dims).numpy()
    )


def test_norm_default_p_is_frobenius_over_at_most_two_dims_as_pytorch():
    _raises_as_torch(lambda L: L.norm(L.ones(2, 2, 2), dim=(0, 1, 2)))
    _raises_as_torch(lambda L: L.ones(2, 2, 2).norm(dim=(0, 1, 2)))
    for L in (torch, mg):  # p=None: the 2-norm over any dims
        assert L.norm(L.ones(2, 2, 2), None, dim=(0, 1, 2)).item() == pytest.approx(8**0.5)
    x = np.arange(24.0).reshape(2, 3, 4)
    for dim in (None, 1, (0, 2)):
        np.testing.assert_allclose(
            mg.tensor(x).norm(dim=dim).numpy(), torch.tensor(x).norm(dim=dim).numpy()
        )


def test_dist_and_norm_take_p_as_a_0d_tensor_as_pytorch():
    a, b = [1.0, 2.0], [0.0, 0.0]
    for p in (3.0, 3, INF, 1):
        want = torch.dist(torch.tensor(a), torch.tensor(b), torch.tensor(p)).item()
        got = mg.dist(mg.tensor(a), mg.tensor(b), mg.tensor(p)).item()
        assert got == pytest.approx(want)
        assert mg.norm(mg.tensor(a), mg.tensor(p)).item() == pytest.approx(want)
    for p in (mg.tensor([3.0]), mg.tensor(3.0, requires_grad=True)):  # PyTorch: a TypeError
        with pytest.raises(TypeError, match="norm"):
            mg.dist(mg.tensor(a), mg.tensor(b), p)


# ---------------------------------------------------------------- messages


def test_nansum_errors_name_nansum():
    x = mg.ones(2, 3)
    with pytest.raises(Exception, match=r"^nansum: dim 0 appears multiple times"):
        mg.nansum(x, (0, -2))
    with pytest.raises(IndexError, match=r"^nansum: dim 4 out of range"):
        mg.nansum(x, 4)
    with pytest.raises(IndexError, match=r"^nansum"):
        x.nansum(-3)
    assert mg.nansum(mg.tensor([1.0, NAN, 2.0]), ()).item() == 3.0  # () is every dim
    assert mg.nansum(mg.tensor(NAN), 0).item() == 0.0


# ---------------------------------------------------------------- float16 nanmean, renorm


def test_float16_nanmean_beyond_65504_values_as_pytorch():
    for L in (torch, mg):
        x = L.full((100000,), 0.001, dtype=L.float16)
        y = L.full((70000,), 1.0, dtype=L.float16)
        y[0] = NAN
        res = [x.nanmean().item(), x.view(1, -1).nanmean(1).tolist(), y.nanmean().item()]
        if L is torch:
            want = res
        else:
            got = res
    assert got == want  # 0.0010004, not 0 (a float16 count of 100000 is inf); inf


@pytest.mark.parametrize("shape, dim", [((2, 3001), 1), ((3001, 2), 0), ((2, 3, 1500), (1, 2))])
def test_float16_nanmean_over_a_dim_as_pytorch(shape, dim):
    # several results: PyTorch divides by the counts cast to float16 (3001 is 3000)
    rng = np.random.default_rng(3)
    v = (rng.random(shape) * 0.1).astype(np.float16)
    v[rng.random(shape) < 0.05] = NAN
    want = torch.tensor(v).nanmean(dim, keepdim=True).numpy()
    got = mg.tensor(v).nanmean(dim, keepdim=True).numpy()
    np.testing.assert_array_equal(got, want)
    assert got.dtype == np.float16


def test_float16_nanmean_over_a_dim_of_65520_values_or_more_is_the_mean():
    # documented: PyTorch's float16 count is inf there, its mean 0
    z = np.full((2, 70000), 0.5, np.float16)
    z[1, 3] = NAN
    assert torch.tensor(z).nanmean(1).tolist() == [0.0, 0.0]
    assert mg.tensor(z).nanmean(1).tolist() == [0.5, 0.5]


def test_float16_nanmean_rounds_once_and_keeps_its_gradient_dtype():
    v = np.random.default_rng(0).random(3001).astype(np.float16)
    v[::7] = np.nan
    t = torch.tensor(v, requires_grad=True)
    m = mg.tensor(v, requires_grad=True)
    tr, mr = t.nanmean(), m.nanmean()
    assert mr.item() == tr.item()
    tr.backward()
    mr.backward()
    assert m.grad.dtype == mg.float16
    np.testing.assert_array_equal(m.grad.numpy(), t.grad.numpy())
    for L in (torch, mg):  # all NaN: NaN; empty: NaN
        assert np.isnan(L.tensor([NAN, NAN], dtype=L.float16).nanmean().item())
        assert np.isnan(L.tensor([], dtype=L.float16).nanmean().item())


def test_float16_renorm_norms_in_float32_as_pytorch():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((64, 500)).astype(np.float16)
    want = torch.tensor(x).renorm(2, 0, 5.0).numpy()
    got = mg.tensor(x).renorm(2, 0, 5.0).numpy()
    np.testing.assert_array_equal(got, want)  # 9512 of 32000 differed by up to 3 ulps
    assert got.dtype == np.float16
    for p, dim, maxnorm in [(1, 1, 3.0), (3, 0, 0.5), (INF, 1, 1.0)]:
        y = x[:8, :12]
        np.testing.assert_array_equal(
            mg.tensor(y).renorm(p, dim, maxnorm).numpy(),
            torch.tensor(y).renorm(p, dim, maxnorm).numpy(),
        )
    t = torch.tensor(x[:4, :6], requires_grad=True)
    m = mg.tensor(x[:4, :6], requires_grad=True)
    t.renorm(2, 0, 1.0).float().sum().backward()
    m.renorm(2, 0, 1.0).float().sum().backward()
    assert m.grad.dtype == mg.float16
    np.testing.assert_allclose(m.grad.numpy(), t.grad.numpy(), rtol=4e-3, atol=1e-3)


def test_float32_renorm_is_unchanged():
    x = np.random.default_rng(2).standard_normal((5, 7)).astype(np.float32)
    np.testing.assert_allclose(
        mg.tensor(x).renorm(2, 1, 1.0).numpy(), torch.tensor(x).renorm(2, 1, 1.0).numpy(), rtol=1e-6
    )
