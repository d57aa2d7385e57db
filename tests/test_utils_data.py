"""minigrad.utils.data against torch.utils.data: datasets, samplers, default_collate and
the DataLoader's defaults, argument rules and lengths."""

from collections import namedtuple

import numpy as np
import pytest

import minigrad as mg
from minigrad import data as mg_data
from minigrad.utils.data import (
    BatchSampler,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    default_collate,
    random_split,
)

Pair = namedtuple("Pair", "a b")


def _plain(batch):
    """A collated batch as nested Python values and dtype names, for comparison."""
    if hasattr(batch, "numpy") and hasattr(batch, "shape"):
        arr = batch.detach().numpy() if hasattr(batch, "detach") else batch.numpy()
        return (str(arr.dtype), arr.tolist())
    if isinstance(batch, dict):
        return {k: _plain(v) for k, v in batch.items()}
    if isinstance(batch, tuple | list):
        return (type(batch).__name__, [_plain(b) for b in batch])
    return batch


SAMPLES = {
    "floats": [1.5, 2.0, -3.0],
    "ints": [1, 2, 3],
    "bools": [True, False, True],
    "strings": ["a", "b", "c"],
    "np_scalars": [np.float32(1), np.float32(2), np.float32(3)],
    "np_int_arrays": [np.arange(3, dtype=np.int32) + i for i in range(3)],
    "np_uint8": [np.full((2, 2), i, dtype=np.uint8) for i in range(3)],
    "tuples": [(np.ones(2) * i, i, float(i)) for i in range(3)],
    "lists": [[i, 2 * i] for i in range(3)],
    "dicts": [{"x": np.float64(i), "y": [i, i + 1]} for i in range(3)],
    "namedtuples": [Pair(i, float(i)) for i in range(3)],
}


@pytest.mark.parametrize("kind", list(SAMPLES))
def test_default_collate_matches_pytorch(kind):
    torch = pytest.importorskip("torch")
    batch = SAMPLES[kind]
    ours, theirs = default_collate(batch), torch.utils.data.default_collate(batch)
    assert _plain(ours) == _plain(theirs)


def test_default_collate_tensors_and_errors():
    torch = pytest.importorskip("torch")
    items = [np.arange(6, dtype=np.float32).reshape(2, 3) + i for i in range(4)]
    ours = default_collate([mg.tensor(a) for a in items])
    theirs = torch.utils.data.default_collate([torch.tensor(a) for a in items])
    assert _plain(ours) == _plain(theirs) and ours.shape == (4, 2, 3)
    w = mg.ones(2, requires_grad=True)
    default_collate([w * 2, w * 3]).sum().backward()  # stacking keeps the graph
    np.testing.assert_array_equal(w.grad.numpy(), [5.0, 5.0])
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal"):
        default_collate([[1, 2], [3]])
    with pytest.raises(TypeError, match="default_collate: batch must contain.*found object"):
        default_collate([object(), object()])


def test_tensor_dataset_and_loader_match_pytorch():
    torch = pytest.importorskip("torch")
    x = np.arange(22, dtype=np.float32).reshape(11, 2)
    y = np.arange(11, dtype=np.int64)
    ds = TensorDataset(mg.tensor(x), mg.tensor(y))
    tds = torch.utils.data.TensorDataset(torch.tensor(x), torch.tensor(y))
    assert len(ds) == 11 and _plain(list(ds[3])) == _plain(list(tds[3]))
    for kwargs in ({}, {"batch_size": 4}, {"batch_size": 4, "drop_last": True}, {"batch_size": 20}):
        ours, theirs = DataLoader(ds, **kwargs), torch.utils.data.DataLoader(tds, **kwargs)
        assert len(ours) == len(theirs)
        assert [_plain(b) for b in ours] == [_plain(b) for b in theirs]
    xb, yb = next(iter(DataLoader(ds, batch_size=3)))
    assert isinstance(xb, mg.Tensor) and xb.dtype == np.float32 and yb.dtype == np.int64
    # the array loader reads a TensorDataset too
    assert len(list(mg_data.DataLoader(ds, batch_size=4))) == 3
    with pytest.raises(ValueError, match="TensorDataset: size mismatch between tensors"):
        TensorDataset(mg.ones(3), mg.ones(4))


class Squares(Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return {"x": np.array([i, i * i], dtype=np.float32), "label": i % 3}


def test_shuffle_is_seeded_and_covers_every_sample():
    loader = DataLoader(Squares(10), batch_size=3, shuffle=True)
    mg.manual_seed(5)
    first = [b["label"].numpy().tolist() for b in loader]
    seen = np.concatenate([b["x"].numpy()[:, 0] for b in loader])
    assert sorted(seen.tolist()) == list(range(10))  # a fresh epoch, every sample once
    mg.manual_seed(5)
    assert [b["label"].numpy().tolist() for b in loader] == first
    gen = np.random.default_rng(7)
    a = [b["x"].numpy()[:, 0].tolist() for b in DataLoader(Squares(10), 5, True, generator=gen)]
    gen = np.random.default_rng(7)
    b = [b["x"].numpy()[:, 0].tolist() for b in DataLoader(Squares(10), 5, True, generator=gen)]
    assert a == b and a != [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]


def test_loader_argument_rules_match_pytorch():
    torch = pytest.importorskip("torch")
    ds = Squares(5)
    bad = [
        {"sampler": SequentialSampler(ds), "shuffle": True},
        {"batch_sampler": [[0, 1]], "batch_size": 2},
        {"batch_sampler": [[0, 1]], "drop_last": True},
        {"batch_size": None, "drop_last": True},
        {"num_workers": -1},
    ]
    for kwargs in bad:
        with pytest.raises(ValueError):
            torch.utils.data.DataLoader(ds, **kwargs)
        with pytest.raises(ValueError, match="DataLoader"):
            DataLoader(ds, **kwargs)
    with pytest.raises(TypeError, match="generator must be a numpy.random.Generator"):
        DataLoader(ds, shuffle=True, generator=3)
    # accepted and run in the main thread
    loader = DataLoader(ds, batch_size=2, num_workers=4, pin_memory=True, persistent_workers=True)
    assert len(list(loader)) == 3
    custom = DataLoader(ds, batch_sampler=[[4, 0], [2]], collate_fn=lambda b: len(b))
    assert list(custom) == [2, 1] and len(custom) == 2
    unbatched = list(DataLoader(ds, batch_size=None))
    assert len(unbatched) == 5 and unbatched[2]["x"].numpy().tolist() == [2.0, 4.0]


def test_samplers_subset_and_random_split():
    torch = pytest.importorskip("torch")
    ds = Squares(10)
    assert list(SequentialSampler(ds)) == list(range(10))
    assert sorted(RandomSampler(ds)) == list(range(10))
    assert len(list(RandomSampler(ds, replacement=True, num_samples=25))) == 25
    more = list(RandomSampler(ds, num_samples=13))
    assert len(more) == 13 and sorted(more[:10]) == list(range(10))
    assert sorted(SubsetRandomSampler([3, 5, 7])) == [3, 5, 7]
    for n, bs, drop in [(10, 3, False), (10, 3, True), (9, 3, False), (0, 2, False)]:
        ours = BatchSampler(range(n), bs, drop)
        theirs = torch.utils.data.BatchSampler(range(n), bs, drop)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)
    with pytest.raises(ValueError, match="batch_size should be a positive integer"):
        BatchSampler(range(3), 0, False)
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        RandomSampler(Squares(0))
    sub = Subset(ds, [7, 2])
    assert len(sub) == 2 and sub[1]["label"] == 2
    for lengths in ([3, 7], [0.3, 0.7], [0.33, 0.33, 0.34]):
        parts = random_split(ds, lengths, generator=np.random.default_rng(0))
        want = [len(p) for p in torch.utils.data.random_split(range(10), lengths)]
        assert [len(p) for p in parts] == want
        picked = sorted(i for p in parts for i in p.indices)
        assert picked == list(range(10))
    with pytest.raises(ValueError, match="sum of input lengths 9 does not equal"):
        random_split(ds, [4, 5])


class Stream(IterableDataset):
    def __iter__(self):
        return iter(range(7))


def test_iterable_dataset_batches_in_order():
    torch = pytest.importorskip("torch")

    class TorchStream(torch.utils.data.IterableDataset):
        def __iter__(self):
            return iter(range(7))

    for kwargs in ({"batch_size": 3}, {"batch_size": 3, "drop_last": True}, {"batch_size": None}):
        ours = [_plain(b) for b in DataLoader(Stream(), **kwargs)]
        theirs = [_plain(b) for b in torch.utils.data.DataLoader(TorchStream(), **kwargs)]
        assert ours == theirs
    with pytest.raises(ValueError, match="IterableDataset: expected unspecified shuffle"):
        DataLoader(Stream(), shuffle=True)
