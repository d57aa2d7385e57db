"""torch.utils.data's generic classes, the RNG state, random bounds, bernoulli's gradient
and out=, and the DataLoader's attributes, compared with PyTorch (review round 22)."""

import importlib
import warnings
from typing import Tuple  # noqa: UP035 - the spelling typed PyTorch code uses

import numpy as np
import pytest

import minigrad as mg
import minigrad.utils.data as MD

torch = pytest.importorskip("torch")
import torch.utils.data as TD  # noqa: E402

LIBS = ((mg, MD), (torch, TD))


def _outcome(fn):
    """('ok', value) or (the exception's type name, its message)."""
    try:
        return "ok", fn()
    except Exception as exc:  # noqa: BLE001 - compared between the libraries
        return type(exc).__name__, str(exc)


# ------------------------------------------------------------------ generic classes
@pytest.mark.parametrize("lib,D", LIBS)
def test_typed_datasets_samplers_and_loaders_work(lib, D):
    class Pairs(D.Dataset[Tuple[int, int]]):  # noqa: UP006
        def __getitem__(self, i):
            return (i, 2 * i)

        def __len__(self):
            return 3

    class Backwards(D.Sampler[int]):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter(range(self.n - 1, -1, -1))

        def __len__(self):
            return self.n

    class Stream(D.IterableDataset[int]):
        def __iter__(self):
            return iter(range(5))

    ds = Pairs()
    assert ds[2] == (2, 4) and len(ds) == 3 and isinstance(ds, D.Dataset)
    loader: D.DataLoader[tuple[int, int]] = D.DataLoader(ds, batch_size=2, sampler=Backwards(3))
    assert [[c.tolist() for c in b] for b in loader] == [[[2, 1], [4, 2]], [[0], [0]]]
    assert [b.tolist() for b in D.DataLoader(Stream(), batch_size=2)] == [[0, 1], [2, 3], [4]]
    assert [b.tolist() for b in D.DataLoader[int]([1, 2, 3], batch_size=2)] == [[1, 2], [3]]
    assert isinstance(Stream(), D.Dataset)


def test_which_classes_are_subscriptable_matches_torch():
    names = (
        "Dataset IterableDataset Sampler DataLoader ConcatDataset Subset StackDataset "
        "TensorDataset ChainDataset SequentialSampler RandomSampler BatchSampler "
        "SubsetRandomSampler WeightedRandomSampler"
    ).split()
    for name in names:
        arg = tuple if name == "StackDataset" else int
        ours = _outcome(lambda name=name, arg=arg: getattr(MD, name)[arg])[0]
        theirs = _outcome(lambda name=name, arg=arg: getattr(TD, name)[arg])[0]
        assert ours == theirs, name
    # the type parameters PyTorch gives its classes
    assert MD.TensorDataset.__orig_bases__[0].__args__[0] == tuple[mg.Tensor, ...]
    assert MD.BatchSampler.__orig_bases__[0].__args__ == (list[int],)
    assert MD.RandomSampler.__orig_bases__[0].__args__ == (int,)


# ------------------------------------------------------------------ randint_like
@pytest.mark.parametrize(
    "dtype,low,high",
    [
        ("uint8", 0, 300),
        ("uint8", -1, 5),
        ("uint8", 0, 256),
        ("int8", -200, 0),
        ("int8", -128, 128),
        ("int8", 0, 129),
        ("bool", 0, 5),
        ("bool", 0, 2),
        ("bool", 1, 2),
        ("bool", -1, 1),
        ("float16", 0, 70000),
        ("float16", 0, 2048),
        ("float32", -10, 10),
        ("int64", -(2**63), 2**63 - 1),
        ("int64", 0, 2**63),
        ("int64", 5, 5),
    ],
)
def test_randint_like_checks_the_bounds_against_the_dtype(dtype, low, high):
    results = []
    for lib in (mg, torch):
        t = lib.zeros(400, dtype=getattr(lib, dtype))
        kind, value = _outcome(lambda t=t, lib=lib: lib.randint_like(t, low, high))
        results.append(kind)
        if kind == "ok":
            assert str(value.dtype).split(".")[-1] == dtype
            v = value.double() if dtype != "bool" else value.long()
            assert low <= v.min().item() and v.max().item() < high
        elif kind == "RuntimeError" and "bounds" in value:
            assert "out of bounds for" in value
    assert results[0] == results[1]


def test_randint_like_with_a_dtype_a_tensor_bound_and_a_float_bound():
    for lib in (mg, torch):
        f = lib.zeros(50)
        with pytest.raises(RuntimeError, match="to - 1 is out of bounds for unsigned char"):
            lib.randint_like(f, 0, 300, dtype=lib.uint8)
        with pytest.raises(RuntimeError, match="from is out of bounds for signed char"):
            lib.randint_like(lib.zeros(3, dtype=lib.int8), -200, 0)
        with pytest.raises(TypeError):
            lib.randint_like(f, 2.5)
        with pytest.raises(TypeError):
            lib.randint_like(f, True)
        v = lib.randint_like(f, lib.tensor(5))
        assert v.dtype == f.dtype and 0 <= v.min().item() and v.max().item() < 5
        v = lib.randint_like(f, high=3)
        assert v.max().item() < 3
    with pytest.warns(UserWarning, match=r"out of bounds \[-\(2\^24\), 2\^24\]"):
        mg.randint_like(mg.zeros(3), 0, 2**25)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mg.randint_like(mg.zeros(3, dtype=mg.int8), -128, 128)  # no warning, as PyTorch


def test_randint_like_repeats_under_a_seed():
    mg.manual_seed(4)
    a = mg.randint_like(mg.zeros(20, dtype=mg.uint8), 0, 256).numpy()
    mg.manual_seed(4)
    np.testing.assert_array_equal(mg.randint_like(mg.zeros(20, dtype=mg.uint8), 0, 256).numpy(), a)


@pytest.mark.parametrize(
    "low,high",
    [(0, 2**63), (0, 2**64), (-(2**63) - 1, 0), (-(2**63), 0), (0, 2**63 - 1)],
)
def test_randint_bounds_outside_int64_raise_as_torch(low, high):
    kinds = [_outcome(lambda lib=lib: lib.randint(low, high, (3,)))[0] for lib in (mg, torch)]
    assert kinds[0] == kinds[1]
    if kinds[1] != "ok":
        with pytest.raises(ValueError, match="Overflow when unpacking long long"):
            mg.randint(low, high, (3,))
    with pytest.raises(ValueError, match="Overflow"):
        mg.randint(0, 2**63, (3,), dtype=mg.uint8)
    with pytest.raises(ValueError, match="Overflow"):
        mg.randint(2**63, (3,))


# ------------------------------------------------------------------ randperm
def test_randperm_takes_a_0d_integer_tensor():
    for lib in (mg, torch):
        for n in (lib.tensor(4), lib.tensor(4, dtype=lib.int32), lib.tensor([4])):
            p = lib.randperm(n)
            assert sorted(p.tolist()) == [0, 1, 2, 3] and str(p.dtype).endswith("int64")
        with pytest.raises(TypeError):
            lib.randperm(lib.tensor(4.0))
        with pytest.raises(RuntimeError):
            lib.randperm(lib.tensor(-1))


# ------------------------------------------------------------------ RNG state
def test_generator_set_state_takes_the_global_state():
    for lib in (mg, torch):
        lib.manual_seed(3)
        lib.rand(2)
        g = lib.Generator().set_state(lib.get_rng_state())
        a = lib.randn(5)
        np.testing.assert_array_equal(lib.randn(5, generator=g).numpy(), a.numpy())
        assert g.initial_seed() == 3

        state = lib.get_rng_state()
        b = lib.randn(5)
        lib.manual_seed(99)
        assert lib.default_generator.set_state(state) is lib.default_generator
        np.testing.assert_array_equal(lib.randn(5).numpy(), b.numpy())
        assert lib.initial_seed() == 3

        g = lib.Generator().manual_seed(11)
        lib.set_rng_state(g.get_state())  # the other way round
        np.testing.assert_array_equal(
            lib.rand(3).numpy(), lib.rand(3, generator=lib.Generator().manual_seed(11)).numpy()
        )
        assert lib.initial_seed() == 11


def test_rng_state_has_one_size_and_stacks():
    for lib in (mg, torch):
        lib.manual_seed(0)
        s1 = lib.get_rng_state()
        lib.randint(0, 10, (7,))
        lib.rand(3, dtype=lib.float32)  # NumPy keeps a half-used 32-bit word here
        s2 = lib.get_rng_state()
        g = lib.Generator().manual_seed(2**64 - 1)
        s3 = g.get_state()
        assert s1.shape == s2.shape == s3.shape and s1.dtype == lib.uint8 and s1.ndim == 1
        assert tuple(lib.stack([s1, s2]).shape) == (2, s1.numel())
        buf = s1.clone()
        buf.copy_(s2)
        after = lib.rand(4)
        lib.set_rng_state(buf)
        np.testing.assert_array_equal(lib.rand(4).numpy(), after.numpy())
        lib.set_rng_state(s1)
        assert lib.initial_seed() == 0
        assert lib.Generator().set_state(s3).initial_seed() == 2**64 - 1


def test_set_rng_state_restores_the_initial_seed():
    for lib in (mg, torch):
        lib.manual_seed(3)
        saved = lib.get_rng_state()
        lib.manual_seed(99)
        lib.set_rng_state(saved)
        assert lib.initial_seed() == 3
    with mg.random.fork_rng():
        mg.manual_seed(7)
    assert mg.initial_seed() == 3


def test_bad_states_raise_clear_errors():
    good = mg.get_rng_state()
    for lib in (mg, torch):
        for bad in (lib.zeros(16, dtype=lib.uint8), lib.stack([lib.get_rng_state()] * 2)):
            with pytest.raises(RuntimeError, match="size"):
                lib.Generator().set_state(bad)
            with pytest.raises(RuntimeError):
                lib.set_rng_state(bad)
        with pytest.raises(TypeError):
            lib.Generator().set_state(lib.zeros(3))
        with pytest.raises(TypeError):
            lib.Generator().set_state([1, 2])
    with pytest.raises(RuntimeError, match="Generator.set_state: expected an RNG state of"):
        mg.Generator().set_state(mg.zeros(16, dtype=mg.uint8))
    with pytest.raises(RuntimeError, match="not an RNG state"):  # the right size, not a state
        mg.Generator().set_state(mg.zeros(good.numel(), dtype=mg.uint8))
    with pytest.raises(RuntimeError, match="set_rng_state"):
        mg.set_rng_state(mg.zeros(good.numel(), dtype=mg.uint8))


def test_the_json_state_of_older_minigrad_still_restores():
    import json

    mg.manual_seed(5)
    text = json.dumps({"bit_generator": mg.random._cpu.bit_generator.state})
    old = mg.tensor(np.frombuffer(text.encode("utf-8"), dtype=np.uint8).copy())
    a = mg.rand(3)
    mg.set_rng_state(old)
    np.testing.assert_array_equal(mg.rand(3).numpy(), a.numpy())


# ------------------------------------------------------------------ bernoulli
def test_bernoulli_of_probabilities_that_require_grad_has_a_zero_gradient():
    for lib in (mg, torch):
        p = lib.tensor([0.2, 0.5, 0.9], requires_grad=True)
        y = lib.bernoulli(p)
        assert y.requires_grad and y.dtype == p.dtype
        (y * 3).sum().backward()
        assert p.grad.tolist() == [0.0, 0.0, 0.0]
        p.grad = None
        y = p.bernoulli()
        assert y.requires_grad
        y.sum().backward()
        assert p.grad.tolist() == [0.0, 0.0, 0.0]
        with lib.no_grad():
            assert not lib.bernoulli(p).requires_grad
        assert not lib.bernoulli(p.detach()).requires_grad
        p64 = lib.tensor([0.5, 1.0], dtype=lib.float64, requires_grad=True)
        assert lib.bernoulli(p64).dtype == p64.dtype


def test_bernoulli_repeats_under_a_seed_and_with_a_generator():
    p = mg.full((50,), 0.5, requires_grad=True)
    mg.manual_seed(1)
    a = mg.bernoulli(p).tolist()
    mg.manual_seed(1)
    assert mg.bernoulli(p).tolist() == a and 0 < sum(a) < 50
    g1, g2 = mg.Generator().manual_seed(2), mg.Generator().manual_seed(2)
    assert mg.bernoulli(p, generator=g1).tolist() == mg.bernoulli(p.detach(), generator=g2).tolist()


# ------------------------------------------------------------------ out=
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "bool", "uint8"])
def test_bernoulli_out_takes_any_dtype(dtype):
    for lib in (mg, torch):
        q = lib.tensor([0.0, 1.0, 1.0, 0.0])
        o = lib.zeros(4, dtype=getattr(lib, dtype))
        r = lib.bernoulli(q, out=o)
        assert r is o and str(o.dtype).endswith(dtype)
        assert o.tolist() == [0, 1, 1, 0]


def test_bernoulli_out_resizes_and_refuses_as_torch():
    for lib in (mg, torch):
        q = lib.tensor([0.0, 1.0, 1.0])
        o = lib.zeros(5)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # resized without PyTorch's resize warning
            lib.bernoulli(q, out=o)
        assert o.tolist() == [0.0, 1.0, 1.0]
        p = lib.tensor([0.5, 0.5], requires_grad=True)
        with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
            lib.bernoulli(p, out=lib.zeros(2))
        with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
            lib.bernoulli(q, out=lib.zeros(3, requires_grad=True))
        with pytest.raises(TypeError):
            lib.bernoulli(q, 0.5, out=lib.zeros(3))
        with pytest.raises(TypeError):
            lib.bernoulli(q, out=[1.0])


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "bool"])
def test_normal_out_follows_torch_dtype_rules(dtype):
    for lib in (mg, torch):
        mean = lib.tensor([1.0, 2.0, 3.0])
        forms = (
            lambda o, lib=lib: lib.normal(0.0, 1.0, (3,), out=o),
            lambda o, lib=lib, mean=mean: lib.normal(mean, 0.0, out=o),
            lambda o, lib=lib, mean=mean: lib.normal(mean, lib.zeros(3), out=o),
            lambda o, lib=lib: lib.normal(1.0, lib.zeros(3), out=o),
        )
        for i, form in enumerate(forms):
            o = lib.zeros(3, dtype=getattr(lib, dtype))
            kind, r = _outcome(lambda form=form, o=o: form(o))
            if dtype in ("int64", "bool"):
                assert kind == "NotImplementedError"
                continue
            assert kind == "ok" and r is o and str(o.dtype).endswith(dtype)
            if i == 1 or i == 2:
                assert o.tolist() == [1.0, 2.0, 3.0]
            elif i == 3:
                assert o.tolist() == [1.0, 1.0, 1.0]


def test_normal_out_checks_dtype_grad_and_resizes():
    for lib in (mg, torch):
        with pytest.raises(RuntimeError, match="does not match dtype of out parameter"):
            lib.normal(0.0, 1.0, (3,), dtype=lib.float64, out=lib.zeros(3))
        o = lib.zeros(5)
        lib.normal(0.0, 1.0, (3,), out=o)
        assert tuple(o.shape) == (3,)
        m = lib.tensor([1.0, 2.0], requires_grad=True)
        with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
            lib.normal(m, 1.0, out=lib.zeros(2))
        o = lib.zeros(3)
        r = lib.normal(0.0, 1.0, (3,), requires_grad=True, out=o)
        assert r is o and o.requires_grad
    mg.manual_seed(6)
    a = mg.normal(0.0, 1.0, (4,))
    mg.manual_seed(6)
    o = mg.zeros(4)
    mg.normal(0.0, 1.0, (4,), out=o)
    np.testing.assert_array_equal(o.numpy(), a.numpy())


# ------------------------------------------------------------------ DataLoader
def test_timeout_without_workers_is_refused_when_iterating():
    for _, D in LIBS:
        loader = D.DataLoader([1, 2, 3], batch_size=2, timeout=5)
        assert loader.timeout == 5
        with pytest.raises(AssertionError, match="requires timeout == 0"):
            iter(loader)
        loader = D.DataLoader([1, 2, 3], batch_size=2, timeout=0)
        assert [b.tolist() for b in loader] == [[1, 2], [3]]
    loader = MD.DataLoader([1, 2, 3], batch_size=2, timeout=5, num_workers=2)
    assert [b.tolist() for b in loader] == [[1, 2], [3]]  # workers: minigrad has no wait


def test_prefetch_factor_attribute_as_torch():
    for _, D in LIBS:
        assert D.DataLoader([1, 2, 3]).prefetch_factor is None
        assert D.DataLoader([1, 2, 3], num_workers=2).prefetch_factor == 2
        assert D.DataLoader([1, 2, 3], num_workers=2, prefetch_factor=4).prefetch_factor == 4
        with pytest.raises(ValueError):
            D.DataLoader([1, 2, 3], prefetch_factor=2)


def test_iterable_dataset_loader_sampler_attributes_as_torch():
    for _, D in LIBS:

        class Stream(D.IterableDataset):
            def __iter__(self):
                return iter(range(5))

            def __len__(self):
                return 5

        dl = D.DataLoader(Stream(), batch_size=2)
        assert type(dl.sampler).__name__ == "_InfiniteConstantSampler"
        assert type(dl.batch_sampler).__name__ == "BatchSampler"
        assert dl.batch_sampler.sampler is dl.sampler and dl.batch_sampler.batch_size == 2
        assert [b.tolist() for b in dl] == [[0, 1], [2, 3], [4]] and len(dl) == 3
        dl = D.DataLoader(Stream(), batch_size=2, drop_last=True)
        assert [b.tolist() for b in dl] == [[0, 1], [2, 3]] and len(dl) == 2
        assert dl.batch_sampler.drop_last
        dl = D.DataLoader(Stream(), batch_size=None)
        assert type(dl.sampler).__name__ == "_InfiniteConstantSampler"
        assert dl.batch_sampler is None
        assert list(dl) == [0, 1, 2, 3, 4]
        it = iter(dl.sampler)
        assert [next(it) for _ in range(3)] == [None, None, None]
        with pytest.raises(ValueError):
            D.DataLoader(Stream(), batch_size=0)


@pytest.mark.parametrize(
    "batch",
    [
        [np.float32(1), 2.5],
        [np.int32(1), 2.5],
        [np.int32(1), 3.5, np.float16(2)],
        [np.complex64(1), 2.0],
        [np.float32(1), np.float64(2)],
        [np.uint8(3), np.int8(-1)],
        [np.float32(1), np.int64(2)],
        [np.float32(1), np.float32(2)],
        [np.array([1.0], dtype=np.float32), np.array([2.0])],
    ],
)
def test_collate_of_numpy_scalars_with_python_numbers(batch):
    ours, theirs = MD.default_collate(batch), TD.default_collate(batch)
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    assert ours.tolist() == theirs.tolist()


def test_private_collate_module_path():
    for name in ("minigrad", "torch"):
        collate = importlib.import_module(f"{name}.utils.data._utils.collate")
        out = collate.default_collate([(1, 2.0), (3, 4.0)])
        assert [t.tolist() for t in out] == [[1, 3], [2.0, 4.0]]
        assert collate.default_convert(np.array([1, 2])).tolist() == [1, 2]
    from minigrad.utils.data._utils.collate import default_collate

    assert default_collate is MD.default_collate
    from minigrad.utils.data.dataloader import _InfiniteConstantSampler

    assert isinstance(_InfiniteConstantSampler(), MD.Sampler)
