"""mg.Generator and the rest of torch.utils.data's names against PyTorch's: ConcatDataset,
ChainDataset, StackDataset, WeightedRandomSampler, `Dataset + Dataset` and
get_worker_info. Seeded draws repeat and generators are independent of each other and of
the global seed (the numbers themselves are NumPy's, not PyTorch's)."""

import numpy as np
import pytest

import minigrad as mg
import minigrad.utils.data as mg_data

torch = pytest.importorskip("torch")
import torch.utils.data as torch_data  # noqa: E402

LIBS = [(mg, mg_data), (torch, torch_data)]


def _squares(data, n, offset=0):
    """A map-style dataset of (i + offset) ** 2 on `data`'s Dataset."""

    class Squares(data.Dataset):
        def __getitem__(self, i):
            if not -n <= i < n:
                raise IndexError(i)
            return (i % n + offset) ** 2

        def __len__(self):
            return n

    return Squares()


def _stream(data, values):
    class Stream(data.IterableDataset):
        def __iter__(self):
            return iter(values)

        def __len__(self):
            return len(values)

    return Stream()


# ------------------------------------------------------------------ Generator
def test_generator_seeds_repeat_and_are_independent():
    g = mg.Generator().manual_seed(7)
    a = mg.randn(4, generator=g)
    mg.manual_seed(0)  # the global seed does not touch g
    b = mg.randn(4, generator=g)
    g.manual_seed(7)
    np.testing.assert_array_equal(mg.randn(4, generator=g).numpy(), a.numpy())
    np.testing.assert_array_equal(mg.randn(4, generator=g).numpy(), b.numpy())
    other = mg.Generator().manual_seed(7)
    np.testing.assert_array_equal(mg.randn(4, generator=other).numpy(), a.numpy())
    assert not np.array_equal(a.numpy(), b.numpy())


def test_generator_api_matches_torch():
    for lib, _ in LIBS:
        g = lib.Generator()
        assert g.initial_seed() == 67280421310721  # PyTorch's default seed
        assert g.manual_seed(3) is g and g.initial_seed() == 3
        state = g.get_state()
        assert state.dtype == lib.uint8 and state.ndim == 1
        first = lib.rand(3, generator=g)
        assert g.set_state(state) is g
        np.testing.assert_array_equal(lib.rand(3, generator=g).numpy(), first.numpy())
        seed = g.seed()
        assert isinstance(seed, int) and g.initial_seed() == seed
        assert str(g.device) == "cpu"


def test_generator_keyword_in_random_functions():
    def draws(g):
        return [
            mg.randn(2, generator=g),
            mg.rand(2, 2, generator=g),
            mg.randint(0, 10, (3,), generator=g),
            mg.randint(10, (3,), generator=g),
            mg.randperm(5, generator=g),
            mg.zeros(3).normal_(generator=g),
            mg.zeros(3).uniform_(-1, 1, generator=g),
            mg.full((3,), 0.5).bernoulli(generator=g),
            mg.normal(0.0, 1.0, (2,), generator=g),
            mg.ones(4).multinomial(2, generator=g),
        ]

    for a, b in zip(
        draws(mg.Generator().manual_seed(1)), draws(mg.Generator().manual_seed(1)), strict=True
    ):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    for lib, _ in LIBS:  # each accepts generator= as torch's does
        g = lib.Generator().manual_seed(0)
        lib.randn(2, generator=g), lib.randperm(3, generator=g), lib.zeros(2).normal_(generator=g)


def test_generator_in_data_loading():
    def orders(lib, data):
        ds = list(range(10))
        loader = data.DataLoader(
            ds, batch_size=5, shuffle=True, generator=lib.Generator().manual_seed(4)
        )
        parts = data.random_split(ds, [5, 5], generator=lib.Generator().manual_seed(4))
        sampler = data.RandomSampler(ds, generator=lib.Generator().manual_seed(4))
        return [b.tolist() for b in loader], [list(p) for p in parts], list(sampler)

    first = orders(mg, mg_data)
    assert orders(mg, mg_data) == first  # repeats for one seed
    loader, parts, sampler = first
    assert sorted(sum(loader, [])) == sorted(sum(parts, [])) == sorted(sampler) == list(range(10))
    orders(torch, torch_data)  # the same calls run on torch


# ------------------------------------------------------------------ datasets
def test_concat_dataset_and_add():
    for _, data in LIBS:
        a, b = _squares(data, 3), _squares(data, 2, offset=10)
        cat = data.ConcatDataset([a, b])
        assert len(cat) == 5 and cat.cumulative_sizes == [3, 5]
        assert [cat[i] for i in range(5)] == [0, 1, 4, 100, 121]
        assert cat[-1] == 121 and cat[-5] == 0
        with pytest.raises(ValueError, match="absolute value of index"):
            cat[-6]
        with pytest.raises(IndexError):
            cat[5]
        added = a + b
        assert isinstance(added, data.ConcatDataset) and [added[i] for i in range(5)] == [
            cat[i] for i in range(5)
        ]
        assert [x.tolist() for x in data.DataLoader(cat, batch_size=2)] == [[0, 1], [4, 100], [121]]
        with pytest.raises(AssertionError):
            data.ConcatDataset([])
        with pytest.raises(AssertionError):
            data.ConcatDataset([a, _stream(data, [1])])


def test_chain_dataset_and_iterable_add():
    for _, data in LIBS:
        s, t = _stream(data, [1, 2]), _stream(data, [3])
        chain = data.ChainDataset([s, t])
        assert list(chain) == [1, 2, 3] and len(chain) == 3
        assert list(s + t) == [1, 2, 3] and isinstance(s + t, data.ChainDataset)
        assert [x.tolist() for x in data.DataLoader(chain, batch_size=2)] == [[1, 2], [3]]


def test_stack_dataset():
    for _, data in LIBS:
        a, b = _squares(data, 3), _squares(data, 3, offset=1)
        assert data.StackDataset(a, b)[2] == (4, 9)
        assert data.StackDataset(x=a, y=b)[1] == {"x": 1, "y": 4}
        assert len(data.StackDataset(a, b)) == 3
        with pytest.raises(ValueError, match="Size mismatch"):
            data.StackDataset(a, _squares(data, 2))
        with pytest.raises(ValueError):
            data.StackDataset(a, y=b)


def test_weighted_random_sampler():
    for lib, data in LIBS:
        g = lib.Generator().manual_seed(0)
        s = data.WeightedRandomSampler([0.0, 1.0, 0.0, 3.0], 200, generator=g)
        drawn = list(s)
        assert len(s) == 200 and set(drawn) == {1, 3}
        assert 0.6 < drawn.count(3) / 200 < 0.9
        once = list(data.WeightedRandomSampler([1.0, 0.0, 0.0], 3, replacement=False))
        assert once == [0, 1, 2]  # zero weights come last, each once
        assert sorted(data.WeightedRandomSampler([1.0, 2.0, 3.0], 3, replacement=False)) == [
            0,
            1,
            2,
        ]
        for bad in ([1.0, 0.0], [0.0, 0.0], [1.0, -1.0]):
            n = 3 if bad == [1.0, 0.0] else 2
            with pytest.raises(RuntimeError):
                list(data.WeightedRandomSampler(bad, n, replacement=bad != [1.0, 0.0]))
        with pytest.raises(ValueError, match="num_samples"):
            data.WeightedRandomSampler([1.0], 0)
        with pytest.raises(ValueError, match="replacement"):
            data.WeightedRandomSampler([1.0], 1, replacement=1)
    g1, g2 = mg.Generator().manual_seed(5), mg.Generator().manual_seed(5)
    assert list(mg_data.WeightedRandomSampler([1.0, 2.0, 3.0], 20, generator=g1)) == list(
        mg_data.WeightedRandomSampler([1.0, 2.0, 3.0], 20, generator=g2)
    )


def test_get_worker_info_is_none_in_the_main_process():
    for _, data in LIBS:
        assert data.get_worker_info() is None
