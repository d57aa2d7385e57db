"""torch.utils.data against minigrad.utils.data, review round 26 (data2): collated container
types and memory layout, default_convert on NumPy subclasses, lazy RandomSampler, the
collate registry, StackDataset.__getitems__, the DataLoader's attributes and checks, a
StopIteration inside the dataset, and PyTorch's warnings."""

import collections
import importlib
import multiprocessing
import types
import warnings
from collections.abc import Mapping

import numpy as np
import pytest

import minigrad as mg
import minigrad.utils.data as MD

torch = pytest.importorskip("torch")
import torch.utils.data as TD  # noqa: E402

LIBS = ((mg, MD), (torch, TD))


def _outcome(fn):
    """('ok', value) or the exception's type name."""
    try:
        return "ok", fn()
    except Exception as exc:  # noqa: BLE001 - compared between the libraries
        return type(exc).__name__, None


def _lists(batches):
    return [b.tolist() if hasattr(b, "tolist") else b for b in batches]


# ------------------------------------------------------------------ 1. container types
class Frozen(Mapping):
    """A read-only mapping built from a dict."""

    def __init__(self, d):
        self._d = dict(d)

    def __getitem__(self, k):
        return self._d[k]

    def __iter__(self):
        return iter(self._d)

    def __len__(self):
        return len(self._d)


class Tagged(list):
    """A list subclass carrying an attribute its constructor would reset."""

    def __init__(self, items, tag="?"):
        super().__init__(items)
        self.tag = tag


@pytest.mark.parametrize(
    "make",
    [
        lambda i: Frozen({"a": i, "b": float(i)}),
        lambda i: types.MappingProxyType({"a": i}),
        lambda i: Tagged([i, i + 1], tag="img"),
        lambda i: collections.deque([i, 2.0 * i]),
        lambda i: {"inner": Frozen({"x": i}), "seq": Tagged([i], tag="t")},
        lambda i: collections.OrderedDict(a=i),
        lambda i: range(i, i + 2),
    ],
    ids=["frozen", "mappingproxy", "tagged", "deque", "nested", "ordereddict", "range"],
)
def test_default_collate_keeps_the_samples_container_types_as_torch(make):
    batch = [make(1), make(2)]
    got, want = MD.default_collate(batch), TD.default_collate(batch)

    def shape_of(x):
        if isinstance(x, Mapping):
            return type(x).__name__, {k: shape_of(v) for k, v in x.items()}
        if isinstance(x, list | collections.deque):
            return type(x).__name__, getattr(x, "tag", None), [shape_of(v) for v in x]
        return x.tolist()

    assert shape_of(got) == shape_of(want)


def test_default_convert_of_a_read_only_mapping_and_a_tagged_list_as_torch():
    for sample in (Frozen({"a": np.array([1, 2])}), Tagged([np.float32(1.5)], tag="k")):
        got, want = MD.default_convert(sample), TD.default_convert(sample)
        assert type(got) is type(want)
        assert getattr(got, "tag", None) == getattr(want, "tag", None)


# ------------------------------------------------------------------ 2. default_convert
def test_default_convert_leaves_a_masked_array_as_it_is_as_torch():
    m = np.ma.masked_array([1.0, -999.0, np.nan], mask=[0, 1, 0])
    got, want = MD.default_convert(m), TD.default_convert(m)
    assert type(got) is type(want) is np.ma.MaskedArray
    assert got.sum() == want.sum() == 1.0 or np.isnan(got.sum()) == np.isnan(want.sum())
    assert got.mask.tolist() == want.mask.tolist()
    # inside a container too, as PyTorch
    got = MD.default_convert({"m": m, "a": np.array([1.0, np.nan])})
    want = TD.default_convert({"m": m, "a": np.array([1.0, np.nan])})
    assert type(got["m"]) is type(want["m"]) is np.ma.MaskedArray
    assert isinstance(got["a"], mg.Tensor) and np.isnan(got["a"].numpy()[1])


@pytest.mark.parametrize(
    "make",
    [
        lambda: np.array([[1, 2]], dtype=np.int16).view(np.matrix),
        lambda: np.float16(2.5),
        lambda: np.bool_(True),
        lambda: np.array(7, dtype=np.uint8),
        lambda: np.zeros((0, 3), dtype=np.float32),
        lambda: np.array(["a", "b"]),
        lambda: np.array([object()], dtype=object),
        lambda: np.rec.fromrecords([(1, 2.0)], names="a,b"),
        lambda: np.str_("s"),
    ],
    ids=["matrix", "f16", "bool", "0d-u8", "empty", "strings", "objects", "recarray", "np-str"],
)
def test_default_convert_numpy_kinds_as_torch(make):
    data = make()
    got, want = MD.default_convert(data), TD.default_convert(data)
    assert isinstance(got, mg.Tensor) == isinstance(want, torch.Tensor)
    if isinstance(want, torch.Tensor):
        assert got.tolist() == want.tolist()
        assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1]
    else:
        assert type(got) is type(want)


def test_default_convert_of_a_memmap_gives_a_tensor_as_torch(tmp_path):
    mm = np.memmap(tmp_path / "m.dat", dtype=np.float32, mode="w+", shape=(3,))
    mm[:] = [1.0, np.nan, 3.0]
    got, want = MD.default_convert(mm), TD.default_convert(mm)
    assert isinstance(got, mg.Tensor) and isinstance(want, torch.Tensor)
    np.testing.assert_array_equal(got.numpy(), want.numpy())


# ------------------------------------------------------------------ 4. memory layout
def _strides(t):
    return tuple(t.stride())


@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.int64, np.bool_])
def test_batch_of_transposed_arrays_is_row_major_as_torch(dtype):
    rng = np.random.default_rng(0)
    samples = [(rng.random((5, 6, 3)) * 4).astype(dtype).transpose(2, 0, 1) for _ in range(2)]
    got, want = MD.default_collate(samples), TD.default_collate(samples)
    assert _strides(got) == _strides(want) == (90, 30, 6, 1)
    assert got.is_contiguous() and want.is_contiguous()
    np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_writes_through_a_view_of_the_batch_reach_it_as_torch():
    x = np.random.default_rng(1).random((4, 5, 3), dtype=np.float32)
    for lib, D in LIBS:
        batch = D.DataLoader([x.transpose(2, 0, 1)] * 2, batch_size=2)
        (b,) = list(batch)
        v = b.view(2, -1)
        v[0, 0] = 100.0
        assert float(b[0, 0, 0, 0]) == 100.0, lib.__name__


def test_batch_of_transposed_tensors_is_row_major_and_keeps_the_graph_as_torch():
    base = np.arange(12.0).reshape(3, 4)
    w = mg.tensor(base, requires_grad=True)
    tw = torch.tensor(base, requires_grad=True)
    got = MD.default_collate([w.t(), (w * 2).t()])
    want = TD.default_collate([tw.t(), (tw * 2).t()])
    assert _strides(got) == _strides(want) == (12, 3, 1)
    got.sum().backward()
    want.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), tw.grad.numpy())


@pytest.mark.parametrize("kind", ["tensor", "array"])
def test_channels_last_samples_keep_their_layout_as_torch(kind):
    """torch.cat keeps a layout all its inputs share: 4-d channels-last samples give a
    batch of channels-last samples, not a row-major one."""
    x = np.random.default_rng(2).random((2, 4, 5, 3), dtype=np.float32).transpose(0, 3, 1, 2)
    if kind == "tensor":
        ours = [mg.from_numpy(x)] * 2
        theirs = [torch.from_numpy(x)] * 2
    else:
        ours = theirs = [x, x]
    got, want = MD.default_collate(ours), TD.default_collate(theirs)
    assert _strides(got) == _strides(want) == (120, 60, 1, 15, 3)
    np.testing.assert_array_equal(got.numpy(), want.numpy())


@pytest.mark.parametrize(
    "samples",
    [
        [np.float32(1.0), np.float32(np.nan)],
        [np.array(1.5), np.array(np.nan)],
        [np.zeros((0,), np.int32), np.zeros((0,), np.int32)],
        [np.array([1, 2], np.int8), np.array([3.5, np.nan], np.float16)],
    ],
    ids=["np-scalars", "0d", "empty", "mixed-dtypes"],
)
def test_collated_numpy_batches_values_dtype_and_layout_as_torch(samples):
    got, want = MD.default_collate(samples), TD.default_collate(samples)
    assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1]
    assert tuple(got.shape) == tuple(want.shape)
    assert got.is_contiguous()
    if got.numel():  # (an empty tensor's strides are minigrad's own: (0, 0) for (2, 0))
        assert _strides(got) == _strides(want)
    np.testing.assert_array_equal(got.numpy(), want.numpy())


# ------------------------------------------------------------------ 5. lazy RandomSampler
@pytest.mark.parametrize("replacement", [True, False])
def test_an_endless_random_sampler_starts_at_once_as_torch(replacement):
    for _, D in LIBS:
        sampler = D.RandomSampler(range(1000), replacement=replacement, num_samples=10**10)
        loader = D.DataLoader(range(1000), batch_size=4, sampler=sampler)
        assert len(loader) == 2_500_000_000
        first = next(iter(loader))
        assert tuple(first.shape) == (4,) and all(0 <= int(i) < 1000 for i in first)
        assert type(iter(sampler)).__name__ == "generator"


def test_random_sampler_with_replacement_draws_as_one_draw_would(monkeypatch):
    """Up to a chunk, the indices are one draw from the generator, as they always were;
    beyond, a stream of their own seeded with one draw, drawn a chunk at a time."""
    want = np.random.default_rng(3).integers(0, 10, 50).tolist()
    got = list(MD.RandomSampler(range(10), True, 50, generator=np.random.default_rng(3)))
    assert got == want
    big = 2**40  # NumPy's 64-bit path
    want = np.random.default_rng(4).integers(0, big, 30).tolist()
    ds = range(big)
    assert list(MD.RandomSampler(ds, True, 30, generator=np.random.default_rng(4))) == want
    monkeypatch.setattr(MD, "_DRAW_CHUNK", 7)  # many chunk boundaries, a short last chunk
    got = list(MD.RandomSampler(range(10), True, 50, generator=np.random.default_rng(3)))
    seed = int(np.random.default_rng(3).integers(0, 2**63 - 1))
    assert got == np.random.default_rng(seed).integers(0, 10, 50).tolist()


def test_random_sampler_without_replacement_draws_one_permutation_per_pass():
    rng = np.random.default_rng(5)
    want = np.concatenate([rng.permutation(4), rng.permutation(4), rng.permutation(4)[:2]])
    got = list(MD.RandomSampler(range(4), num_samples=10, generator=np.random.default_rng(5)))
    assert got == want.tolist()
    for _, D in LIBS:  # every index once per pass, as PyTorch's
        s = D.RandomSampler(range(4), num_samples=10)
        out = list(s)
        assert sorted(out[:4]) == sorted(out[4:8]) == [0, 1, 2, 3] and len(out) == len(s)


def test_random_sampler_seeded_globally_repeats_and_is_lazy():
    mg.manual_seed(0)
    it = iter(MD.RandomSampler(range(5), replacement=True, num_samples=8))
    mg.manual_seed(1)  # nothing is drawn before the first index, as PyTorch's generator
    first = list(it)
    mg.manual_seed(1)
    assert first == list(MD.RandomSampler(range(5), replacement=True, num_samples=8))


# ------------------------------------------------------------------ 6. collate registry
def _collate_module(lib):
    return importlib.import_module(f"{lib.__name__}.utils.data._utils.collate")


def test_registering_a_type_in_default_collate_fn_map_extends_default_collate_as_torch():
    class Point:
        def __init__(self, x):
            self.x = x

    def collate_point(batch, *, collate_fn_map=None):
        return [p.x for p in batch]

    results = []
    for lib, D in LIBS:
        mod = _collate_module(lib)
        mod.default_collate_fn_map[Point] = collate_point
        try:
            out = D.default_collate(
                [(Point(1), 1.0, {"p": Point(3)}), (Point(2), 2.0, {"p": Point(4)})]
            )
        finally:
            del mod.default_collate_fn_map[Point]
        results.append((out[0], out[1].tolist(), str(out[1].dtype).split(".")[-1], out[2]))
    assert results[0] == results[1] == ([1, 2], [1.0, 2.0], "float64", {"p": [3, 4]})
    with pytest.raises(TypeError):  # unregistered again
        MD.default_collate([Point(1), Point(2)])


def test_collate_with_a_custom_map_as_torch():
    for lib, _ in LIBS:
        mod = _collate_module(lib)
        tensor_type = lib.Tensor

        def stack_plus_one(batch, *, collate_fn_map=None, lib=lib):
            return lib.stack(list(batch), 0) + 1

        custom = {tensor_type: stack_plus_one}
        out = mod.collate([(lib.tensor([1.0]), lib.tensor([2.0]))] * 2, collate_fn_map=custom)
        assert [o.tolist() for o in out] == [[[2.0], [2.0]], [[3.0], [3.0]]]
        # NumPy arrays are collated as Tensors, so the Tensor entry of the map sees them
        full = {**mod.default_collate_fn_map, tensor_type: stack_plus_one}
        arrays = [np.array([1.0, 2.0]), np.array([3.0, 4.0])]
        assert mod.collate(arrays, collate_fn_map=full).tolist() == [[2.0, 3.0], [4.0, 5.0]]
        with pytest.raises(TypeError):  # an int has no entry in the custom map
            mod.collate([1, 2], collate_fn_map=custom)


def test_collate_module_names_as_torch():
    ours, theirs = _collate_module(mg), _collate_module(torch)
    for name in (
        "collate default_collate default_collate_fn_map default_convert collate_tensor_fn "
        "collate_numpy_array_fn collate_numpy_scalar_fn collate_float_fn collate_int_fn "
        "collate_str_fn np_str_obj_array_pattern default_collate_err_msg_format"
    ).split():
        assert hasattr(theirs, name) and hasattr(ours, name), name
    assert ours.default_collate is MD.default_collate
    assert [k for k in ours.default_collate_fn_map if k is not mg.Tensor][:1] == [np.ndarray]
    assert ours.collate_float_fn([1.0, 2.5]).dtype == mg.float64
    assert ours.collate_str_fn(["a"]) == theirs.collate_str_fn(["a"]) == ["a"]
    assert ours.np_str_obj_array_pattern.search(np.array(["a"]).dtype.str)


# ------------------------------------------------------------------ 7. StackDataset batches
class Batched:
    """A dataset that fetches whole batches only (no __getitem__)."""

    def __init__(self, data):
        self.data = data

    def __len__(self):
        return len(self.data)

    def __getitems__(self, indices):
        return [self.data[i] for i in indices]


def test_stack_dataset_over_a_batched_dataset_in_a_loader_as_torch():
    for _, D in LIBS:
        stacked = D.StackDataset(Batched([0, 10, 20, 30]), ["a", "b", "c", "d"])
        out = [(x.tolist(), s) for x, s in D.DataLoader(stacked, batch_size=2)]
        assert out == [([0, 10], ("a", "b")), ([20, 30], ("c", "d"))]
        named = D.StackDataset(x=Batched([0, 10, 20]), y=[1, 2, 3])
        assert named.__getitems__([2, 0]) == [{"x": 20, "y": 3}, {"x": 0, "y": 1}]
        assert D.StackDataset([0, 10, 20, 30], [1, 2, 3, 4]).__getitems__([0, 3]) == [
            (0, 1),
            (30, 4),
        ]
        assert D.StackDataset([1, 2]).__getitems__([]) == []


def test_stack_dataset_refuses_a_member_batch_of_the_wrong_size_as_torch():
    class Short(Batched):
        def __getitems__(self, indices):
            return super().__getitems__(indices)[:-1]

    for _, D in LIBS:
        with pytest.raises(ValueError, match="Nested dataset's output size mismatch"):
            D.StackDataset(Short([1, 2, 3]), [4, 5, 6]).__getitems__([0, 1])


# ------------------------------------------------------------------ 8. attributes
def test_loader_attributes_wrappers_read_as_torch():
    for _, D in LIBS:
        dl = D.DataLoader(list(range(5)), batch_size=2)
        assert dl.multiprocessing_context is None
        assert dl.in_order is True and dl.pin_memory_device == ""
        assert dl._index_sampler is dl.batch_sampler and dl._auto_collation is True
        assert dl._dataset_kind == 0
        single = D.DataLoader(list(range(5)), batch_size=None, in_order=False)
        assert single._index_sampler is single.sampler and single._auto_collation is False
        assert single.in_order is False

        class It(D.IterableDataset):
            def __iter__(self):
                return iter(range(3))

        assert D.DataLoader(It())._dataset_kind == 1
    kind = importlib.import_module("minigrad.utils.data.dataloader")._DatasetKind
    assert (kind.Map, kind.Iterable) == (TD.dataloader._DatasetKind.Map, 1)


def test_a_start_method_name_is_kept_as_its_context_as_torch():
    for _, D in LIBS:
        dl = D.DataLoader(list(range(3)), num_workers=2, multiprocessing_context="spawn")
        assert isinstance(dl.multiprocessing_context, multiprocessing.context.BaseContext)
        assert dl.multiprocessing_context.get_start_method() == "spawn"


def test_concat_dataset_old_names_as_torch():
    for _, D in LIBS:
        c = D.ConcatDataset([[1], [2, 3], []])
        with pytest.warns(FutureWarning, match="renamed to `cumulative_sizes`"):
            assert c.cummulative_sizes == [1, 3, 3]
        assert D.ConcatDataset.cumsum([[1], [2, 3], []]) == [1, 3, 3]
        assert D.ConcatDataset.cumsum([]) == []


# ------------------------------------------------------------------ 9. StopIteration
class Stream:
    """A map-style dataset reading a stream that runs dry before __len__ says."""

    def __init__(self):
        self.src = iter(range(5))

    def __len__(self):
        return 8

    def __getitem__(self, i):
        return next(self.src)


def test_stop_iteration_in_getitem_ends_the_epoch_as_torch_with_a_warning():
    want = _lists(TD.DataLoader(Stream(), batch_size=2))
    with pytest.warns(UserWarning, match=r"dataset \(fetching index \[4, 5\]\) raised StopIter"):
        got = _lists(MD.DataLoader(Stream(), batch_size=2))
    assert got == want == [[0, 1], [2, 3]]
    with pytest.warns(UserWarning, match="StopIteration"):  # batch_size=None
        assert _lists(MD.DataLoader(Stream(), batch_size=None)) == [0, 1, 2, 3, 4]


def _stop_at_two(batch):
    return next(iter([])) if batch[0] >= 2 else batch


def test_stop_iteration_in_collate_fn_ends_the_epoch_as_torch_and_next_goes_on():
    outs = []
    for _, D in LIBS:
        it = iter(D.DataLoader(list(range(6)), batch_size=2, collate_fn=_stop_at_two))
        out = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _ in range(4):
                out.append(_outcome(lambda it=it: next(it)))
        outs.append(out)
    assert outs[0] == outs[1]
    assert outs[0][:2] == [("ok", [0, 1]), ("StopIteration", None)]
    with pytest.warns(UserWarning, match="collate_fn raised StopIteration"):
        list(MD.DataLoader(list(range(4)), batch_size=2, collate_fn=_stop_at_two))


def test_stop_iteration_in_an_iterable_datasets_collate_fn_as_torch():
    outs = []
    for _, D in LIBS:

        class It(D.IterableDataset):
            def __iter__(self):
                return iter(range(5))

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            outs.append(list(D.DataLoader(It(), batch_size=2, collate_fn=_stop_at_two)))
    assert outs[0] == outs[1] == [[0, 1]]


def test_an_exhausted_stream_ends_the_epoch_without_a_warning():
    class It(MD.IterableDataset):
        def __iter__(self):
            return iter(range(5))

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _lists(MD.DataLoader(It(), batch_size=2)) == [[0, 1], [2, 3], [4]]
        assert _lists(MD.DataLoader(It(), batch_size=2, drop_last=True)) == [[0, 1], [2, 3]]
        assert _lists(MD.DataLoader(It(), batch_size=None)) == [0, 1, 2, 3, 4]


# ------------------------------------------------------------------ 10. misuse refused
@pytest.mark.parametrize(
    "kwargs,error",
    [
        (dict(num_workers=2, multiprocessing_context="bogus"), ValueError),
        (dict(num_workers=2, multiprocessing_context=123), TypeError),
        (dict(multiprocessing_context="spawn"), ValueError),
    ],
)
def test_multiprocessing_context_is_checked_when_built_as_torch(kwargs, error):
    for _, D in LIBS:
        with pytest.raises(error):
            D.DataLoader(list(range(3)), batch_size=2, **kwargs)


@pytest.mark.parametrize("kwargs", [dict(num_workers=1.5), dict(generator=123)])
def test_a_bad_num_workers_or_generator_is_refused_when_iterating_as_torch(kwargs):
    for _, D in LIBS:
        loader = D.DataLoader(list(range(3)), batch_size=2, **kwargs)  # built, as torch
        with pytest.raises(TypeError):
            list(loader)


def test_valid_worker_settings_still_iterate():
    for lib, D in LIBS:
        gen = lib.Generator().manual_seed(0)
        for kwargs in (dict(num_workers=0.0), dict(generator=gen), dict(num_workers=np.int64(0))):
            assert _lists(D.DataLoader(list(range(3)), batch_size=2, **kwargs)) == [[0, 1], [2]]
    ours = MD.DataLoader(
        list(range(3)), batch_size=2, num_workers=2, multiprocessing_context="fork"
    )
    assert _lists(ours) == [[0, 1], [2]]


# ------------------------------------------------------------------ 11. warnings
@pytest.mark.parametrize(
    "n,fractions,empty",
    [(3, [0.25, 0.25, 0.25, 0.25], [3]), (10, [0.2, 0.8, 0.0], [2]), (0, [0.5, 0.5], [0, 1])],
)
def test_random_split_warns_of_an_empty_split_as_torch(n, fractions, empty):
    for lib, D in LIBS:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            parts = D.random_split(range(n), fractions, generator=lib.Generator().manual_seed(0))
        messages = [str(w.message) for w in caught]
        assert messages == [
            f"Length of split at index {i} is 0. This might result in an empty dataset."
            for i in empty
        ]
        assert [i for i, p in enumerate(parts) if len(p) == 0] == empty
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # lengths given as counts: no warning, as PyTorch
        MD.random_split(range(3), [3, 0])


def _length_warnings(D, batch_size, stream, reported, call_len=True):
    class It(D.IterableDataset):
        def __iter__(self):
            return iter(range(stream))

        def __len__(self):
            return reported

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loader = D.DataLoader(It(), batch_size=batch_size)
        if call_len:
            len(loader)
        batches = len(list(loader))
    return batches, [
        str(w.message) for w in caught if "Length of IterableDataset" in str(w.message)
    ]


def test_a_stream_longer_than_its_len_warns_as_torch():
    for batch_size in (1, None):
        got, want = _length_warnings(MD, batch_size, 5, 2), _length_warnings(TD, batch_size, 5, 2)
        assert got[0] == want[0] == 5
        assert len(got[1]) == len(want[1]) == 3
        assert "was reported to be 2" in got[1][0] and "3 samples have been fetched" in got[1][0]
    # no warning unless len(loader) was read, or while the stream keeps to its length
    assert _length_warnings(MD, 1, 5, 2, call_len=False)[1] == []
    assert _length_warnings(MD, 2, 4, 4)[1] == []


def test_a_batched_stream_longer_than_its_len_warns_by_samples():
    """minigrad counts samples, as the message says (PyTorch counts batches against the
    samples' count, so batches of 2 from 5 samples reported as 4 pass it silently)."""
    batches, messages = _length_warnings(MD, 2, 5, 4)
    assert batches == 3 and len(messages) == 1 and "5 samples have been fetched" in messages[0]


# ------------------------------------------------- a TensorDataset's batches, one gather each
def _both_loaders(arrays, **kwargs):
    from minigrad.utils.data import DataLoader, TensorDataset

    mine = DataLoader(TensorDataset(*(mg.tensor(a) for a in arrays)), **kwargs)
    theirs = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(*(torch.from_numpy(np.array(a)) for a in arrays)),
        **kwargs,
    )
    return list(mine), list(theirs)


@pytest.mark.parametrize(
    "arrays",
    [
        (np.arange(24, dtype=np.float32).reshape(6, 2, 2), np.arange(6)),
        (np.arange(6, dtype=np.float64), np.arange(6) % 2 == 0),  # 0-d samples
        (np.arange(6 * 3, dtype=np.uint8).reshape(6, 3), np.arange(6, dtype=np.int32)),
        (np.arange(6 * 24, dtype=np.float32).reshape(6, 2, 3, 4).transpose(0, 3, 1, 2),),
        (np.arange(12, dtype=np.float32).reshape(3, 4).T,),  # non-contiguous rows
        (np.zeros((6, 0), dtype=np.float32), np.arange(6)),  # empty samples
    ],
)
@pytest.mark.parametrize("batch_size, drop_last", [(4, False), (4, True), (1, False), (6, False)])
def test_tensor_dataset_batches_are_pytorchs(arrays, batch_size, drop_last):
    """The loader gathers a TensorDataset's rows in one index per tensor: its batches are
    PyTorch's (one list, values, dtypes, shapes, row-major)."""
    mine, theirs = _both_loaders(arrays, batch_size=batch_size, drop_last=drop_last)
    assert len(mine) == len(theirs)
    for m, t in zip(mine, theirs, strict=True):
        assert type(m) is list and len(m) == len(t)
        for a, b in zip(m, t, strict=True):
            assert a.shape == tuple(b.shape) and a.numpy().dtype == b.numpy().dtype
            assert a.is_contiguous() and not a.requires_grad
            np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_tensor_dataset_batches_follow_the_sampler_and_refuse_bad_indices():
    from minigrad.utils.data import DataLoader, TensorDataset

    x = mg.arange(10.0)
    ds = TensorDataset(x, mg.arange(10))
    got = list(DataLoader(ds, batch_sampler=[[9, -1, 0, 0], [3]]))
    np.testing.assert_array_equal(got[0][0].numpy(), [9.0, 9.0, 0.0, 0.0])
    np.testing.assert_array_equal(got[1][1].numpy(), [3])
    x.add_(1)  # a batch is a copy, not a view of the dataset
    assert got[0][0].numpy()[0] == 9.0
    with pytest.raises(IndexError):
        list(DataLoader(ds, batch_sampler=[[10]]))
    gen = mg.Generator().manual_seed(0)
    shuffled = [b[1] for b in DataLoader(ds, batch_size=3, shuffle=True, generator=gen)]
    assert sorted(np.concatenate([b.numpy() for b in shuffled]).tolist()) == list(range(10))


def test_tensor_dataset_that_requires_grad_keeps_the_graph():
    from minigrad.utils.data import DataLoader, TensorDataset

    w = mg.ones(4, 2, requires_grad=True)
    (batch,) = next(iter(DataLoader(TensorDataset(w * 3), batch_size=4)))
    batch.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), np.full((4, 2), 3.0))


def test_tensor_dataset_with_a_registered_tensor_collate_uses_it(monkeypatch):
    from minigrad.utils import data

    calls = []

    def mine(batch, *, collate_fn_map=None):
        calls.append(len(batch))
        return data.collate_tensor_fn(batch, collate_fn_map=collate_fn_map)

    monkeypatch.setitem(data.default_collate_fn_map, mg.Tensor, mine)
    ds = data.TensorDataset(mg.arange(4.0))
    list(data.DataLoader(ds, batch_size=2))
    assert calls == [2, 2]


def test_tensor_dataset_batches_from_tensor_and_array_index_batches():
    """`batch_sampler=mg.randperm(n).split(bs)`: batches of Tensor (or NumPy) indices."""
    from minigrad.utils.data import DataLoader, TensorDataset

    ds = TensorDataset(mg.arange(10.0) * 2, mg.arange(10))
    mg.manual_seed(0)
    batches = mg.randperm(10).split(4)
    for sampler in (batches, [b.numpy() for b in batches]):
        got = list(DataLoader(ds, batch_sampler=sampler))
        assert len(got) == 3
        for (x, y), b in zip(got, batches, strict=True):
            np.testing.assert_array_equal(y.numpy(), b.numpy())
            np.testing.assert_array_equal(x.numpy(), 2.0 * b.numpy())


def test_tensor_dataset_batches_honour_a_registered_tuple_collate(monkeypatch):
    from minigrad.utils import data

    def as_pairs(batch, *, collate_fn_map=None):
        return ("mine", len(batch))

    monkeypatch.setitem(data.default_collate_fn_map, tuple, as_pairs)
    ds = data.TensorDataset(mg.arange(4.0))
    assert list(data.DataLoader(ds, batch_size=2)) == [("mine", 2), ("mine", 2)]
    tds = TD.TensorDataset(torch.arange(4.0))
    monkeypatch.setitem(TD._utils.collate.default_collate_fn_map, tuple, as_pairs)
    assert list(TD.DataLoader(tds, batch_size=2)) == [("mine", 2), ("mine", 2)]


def test_tensor_dataset_subclass_reading_its_own_way_keeps_its_samples():
    from minigrad.utils.data import DataLoader, TensorDataset

    class Doubled(TensorDataset):
        def __getitem__(self, i):
            (x,) = super().__getitem__(i)
            return (x * 2,)

    class Plain(TensorDataset):
        pass

    (a,) = next(iter(DataLoader(Doubled(mg.arange(4.0)), batch_size=4)))
    (b,) = next(iter(DataLoader(Plain(mg.arange(4.0)), batch_size=4)))
    np.testing.assert_array_equal(a.numpy(), [0.0, 2.0, 4.0, 6.0])
    np.testing.assert_array_equal(b.numpy(), [0.0, 1.0, 2.0, 3.0])


def test_random_sampler_indices_are_drawn_when_the_epoch_starts():
    """The loop's own draws (dropout, randn) between batches do not move the indices: they
    are drawn at iter() (up to a chunk), or from a stream of their own beyond it."""
    import itertools

    from minigrad.utils.data import RandomSampler

    for replacement, num_samples in ((False, 25), (True, 25), (False, 3 * 10**6)):
        runs = []
        for noise in (False, True):
            mg.manual_seed(0)
            it = iter(RandomSampler(range(10), replacement=replacement, num_samples=num_samples))
            first = list(itertools.islice(it, 2))
            if noise:
                mg.randn(100)
            runs.append(first + list(itertools.islice(it, 30)))
        assert runs[0] == runs[1]
        for idx in (runs[0][:10],) if not replacement else ():
            assert sorted(idx) == list(range(10))
