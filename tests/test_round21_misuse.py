"""Round 21: misuse that minigrad accepted silently or answered with the wrong error, each
checked against PyTorch 2.13 where PyTorch has the behaviour (a hostile review's cases)."""

import operator
import warnings

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F

torch = pytest.importorskip("torch")


def _x(lib):
    return lib.arange(12, dtype=lib.float32).reshape(3, 4) / 7


# a float, a bool or None where PyTorch wants an int: it truncated (narrow(1, 0.5, 2) ran
# from 0, diagonal(1.7) as 1, x.sum(True) reduced dim 1)
NOT_INTS = {
    "narrow start": lambda L: _x(L).narrow(1, 0.5, 2),
    "narrow length": lambda L: _x(L).narrow(1, 0, 2.0),
    "diagonal offset": lambda L: _x(L).diagonal(1.7),
    "tril diagonal": lambda L: L.tril(_x(L), 0.5),
    "triu diagonal": lambda L: L.triu(_x(L), 1.0),
    "reshape tuple": lambda L: _x(L).reshape((3.0, 4)),
    "view floats": lambda L: _x(L).view(3.0, 4),
    "transpose": lambda L: _x(L).transpose(0.0, 1.0),
    "permute": lambda L: _x(L).permute(1.0, 0),
    "flip": lambda L: _x(L).flip(0.0),
    "flatten": lambda L: L.zeros(2, 3, 4).flatten(1.0),
    "tile": lambda L: _x(L).tile(2.0),
    "sum dim tuple": lambda L: _x(L).sum(dim=(1.0,)),
    "sum dim float": lambda L: _x(L).sum(1.0),
    "sum dim bool": lambda L: _x(L).sum(True),
    "softmax dim": lambda L: _x(L).softmax(1.0),
    "bincount minlength": lambda L: L.bincount(L.tensor([0, 1]), minlength=2.5),
    "split sizes": lambda L: _x(L).split([2.0, 2.0], 1),
    "split size": lambda L: _x(L).split(2.0, 1),
    "chunk": lambda L: _x(L).chunk(2.5),
    "select index": lambda L: _x(L).select(1, 1.0),
    "expand": lambda L: L.ones(1, 3).expand(2.0, 3),
    "movedim": lambda L: _x(L).movedim(0.0, 1),
    "roll shifts": lambda L: _x(L).roll(1.0, 0),
    "diag diagonal": lambda L: L.diag(_x(L), 1.5),
    "rot90 k": lambda L: L.rot90(_x(L), 1.5),
    "split_with_sizes": lambda L: _x(L).split_with_sizes([1.2, 2.8], 1),
    "triu_indices row": lambda L: L.triu_indices(3.9, 3),
    "embedding padding_idx": lambda L: L.nn.functional.embedding(
        L.tensor([0]), _x(L), padding_idx=0.5
    ),
    "topk k bool": lambda L: _x(L).topk(True),
    "unsqueeze bool": lambda L: L.unsqueeze(_x(L), True),
    "cosine_similarity dim None": lambda L: L.nn.functional.cosine_similarity(_x(L), _x(L), None),
    "select a 1-element index": lambda L: _x(L).select(L.tensor([1]), 0),
    "chunk a 1-element count": lambda L: _x(L).chunk(L.tensor([2])),
    "reshape None": lambda L: _x(L).reshape(3, None),
    "transpose None": lambda L: _x(L).transpose(None, 1),
}


@pytest.mark.parametrize("case", sorted(NOT_INTS))
def test_a_float_bool_or_none_is_no_int(case):
    with pytest.raises(TypeError):
        NOT_INTS[case](torch)
    with pytest.raises(TypeError, match=r"must be (int|an int)"):
        NOT_INTS[case](mg)


def test_int_like_arguments_still_work():
    x, t = _x(mg), _x(torch)
    i = np.int64(1)
    assert x.narrow(i, mg.tensor(1), 2).tolist() == t.narrow(1, 1, 2).tolist()
    assert x.sum(dim=(np.int32(1),)).shape == t.sum(dim=(1,)).shape
    assert x.sum(mg.tensor(1)).shape == t.sum(torch.tensor(1)).shape
    assert x.diagonal(np.int64(1)).tolist() == t.diagonal(1).tolist()
    assert [p.shape for p in x.split(mg.tensor(2), 1)] == [p.shape for p in t.split(2, 1)]
    assert x.reshape(mg.Size([4, 3])).shape == (4, 3)
    assert x.view(np.int64(4), 3).shape == (4, 3)
    for bad in (range(2), np.array([0, 1])):  # PyTorch wants a tuple or list of dims
        with pytest.raises(TypeError, match="dim must be an int or a tuple of ints"):
            x.sum(bad)


def test_a_list_or_tuple_is_no_operand():
    """PyTorch's operators return NotImplemented for a list: `t + [1, 2]` is Python's
    TypeError, `t == [1., 2.]` is False by identity (minigrad compared element by element)."""
    for lib in (torch, mg):
        t = lib.tensor([1.0, 2.0])
        assert (t == [1.0, 2.0]) is False
        assert (t != [1.0, 2.0]) is True
        assert (t == (1.0, 2.0)) is False
        for op, other in (
            (operator.add, [1.0, 2.0]),
            (operator.sub, [1.0, 2.0]),
            (operator.lt, [1.0, 2.0]),
            (operator.pow, [1.0, 2.0]),
            (operator.matmul, [1.0, 2.0]),
            (operator.mul, (2.0, 3.0)),
        ):
            with pytest.raises(TypeError):
                op(t, other)
        u = t.clone()
        with pytest.raises(TypeError):
            u += [1.0, 2.0]
        assert u.tolist() == [1.0, 2.0]
    b = mg.tensor([True, False])
    with pytest.raises(TypeError):
        b & [True, True]
    # numbers and tensors are unchanged
    t = mg.tensor([1.0, 2.0])
    assert (t + 1).tolist() == [2.0, 3.0] and (2 * t).tolist() == [2.0, 4.0]
    assert (t == mg.tensor([1.0, 3.0])).tolist() == [True, False]


def _ctc(lib, targets, input_lengths, target_lengths):
    lp = lib.log_softmax(lib.arange(40, dtype=lib.float32).reshape(5, 2, 4).sin(), 2)
    return lib.nn.functional.ctc_loss(
        lp, lib.tensor(targets), lib.tensor(input_lengths), lib.tensor(target_lengths)
    )


def test_ctc_refuses_negative_lengths_and_classes_out_of_range():
    with pytest.raises(RuntimeError, match="target_lengths to have value at least 0"):
        _ctc(torch, [[1, 2], [1, 1]], [5, 5], [-1, 2])
    with pytest.raises(RuntimeError, match="target_lengths to have value at least 0, .* -1"):
        _ctc(mg, [[1, 2], [1, 1]], [5, 5], [-1, 2])  # it gave inf
    with pytest.raises(RuntimeError, match="input_lengths to have value at least 0, .* -1"):
        _ctc(mg, [[1, 2], [1, 1]], [-1, 5], [2, 2])
    with pytest.raises(IndexError, match="target class 7 is out of range .* 4 classes"):
        _ctc(mg, [[7, 2], [1, 1]], [5, 5], [2, 2])  # it clipped 7 to 3
    with pytest.raises(IndexError, match="target class -2"):
        _ctc(mg, [[1, -2], [1, 1]], [5, 5], [2, 2])
    # classes beyond a target's length are padding, not checked (as PyTorch reads none)
    got = _ctc(mg, [[1, 9], [1, 1]], [5, 5], [1, 2]).item()
    want = _ctc(torch, [[1, 0], [1, 1]], [5, 5], [1, 2]).item()
    assert got == pytest.approx(want, rel=1e-5)


@pytest.mark.parametrize(
    "fill, match",
    [
        (lambda L: L.zeros(3).log_normal_(0.0, -1.0), "log_normal_ expects std > 0.0"),
        (lambda L: L.zeros(3).log_normal_(0.0, 0.0), "log_normal_ expects std > 0.0"),
        (lambda L: L.zeros(3).log_normal_(0.0, float("nan")), "log_normal_ expects std > 0.0"),
        (lambda L: L.zeros(3).cauchy_(0.0, -1.0), "cauchy_ expects sigma > 0.0"),
        (lambda L: L.zeros(3).cauchy_(0.0, 0.0), "cauchy_ expects sigma > 0.0"),
    ],
)
def test_random_fills_refuse_a_scale_of_zero_or_less(fill, match):
    for lib in (torch, mg):
        with pytest.raises(RuntimeError, match=match):
            fill(lib)


@pytest.mark.parametrize(
    "dtype, lo, hi, ok",
    [
        ("uint8", 0, 300, False),  # 256..299 wrapped onto 0..43, twice as often
        ("uint8", 0, 257, False),
        ("uint8", 0, 256, True),
        ("int8", -129, 0, False),
        ("int8", -128, 0, True),
        ("int8", 0, 128, True),
        ("int8", 0, 129, False),
        ("bool", 0, 2, True),
        ("bool", 0, 3, False),
        ("float16", 0, 2049, True),
        ("float16", 0, 65505, True),  # beyond 2^11: a warning (below)
        ("float16", 0, 65506, False),  # beyond float16's largest value
        ("float32", -(2**24), 2**24 + 1, True),
    ],
)
def test_random_bounds_must_fit_the_dtype(dtype, lo, hi, ok):
    for lib in (torch, mg):
        t = lib.zeros(500, dtype=getattr(lib, dtype))
        if ok:
            t.random_(lo, hi)
            v = t.double() if dtype != "bool" else t.long()
            assert lo <= v.min().item() and v.max().item() < hi
        else:
            with pytest.raises(RuntimeError, match="out of bounds for"):
                t.random_(lo, hi)
    t = mg.zeros(500, dtype=mg.uint8)
    with pytest.raises(RuntimeError, match=r"to - 1 = 299 .* uint8 \(from 0 to 255\)"):
        t.random_(300)
    assert int(mg.zeros(2000, dtype=mg.uint8).random_().max()) <= 255  # the dtype's own range


def test_random_beyond_a_floats_exact_integers_warns_as_pytorch():
    for lib in (torch, mg):
        with pytest.warns(UserWarning, match=r"out of bounds \[-\(2\^11\), 2\^11\]"):
            lib.zeros(3, dtype=lib.float16).random_(0, 2050)
        with pytest.warns(UserWarning, match=r"from .* out of bounds \[-\(2\^24\), 2\^24\]"):
            lib.zeros(3).random_(-(2**24) - 1, 0)


def test_another_optimizers_state_is_refused_by_name():
    p = [mg.ones(2, 3, requires_grad=True)]
    adam = mg.optim.Adam(p, lr=0.1)
    p[0].sum().backward()
    adam.step()
    sgd = mg.optim.SGD(p, lr=0.5, momentum=0.9)
    with pytest.raises(ValueError, match=r"SGD.load_state_dict: .* lacks 'dampening'.*'betas'"):
        sgd.load_state_dict(adam.state_dict())
    assert sgd.param_groups[0]["momentum"] == 0.9 and sgd.param_groups[0]["lr"] == 0.5
    # an older state that lacks a setting (no foreign ones) keeps the optimizer's value
    state = mg.optim.SGD(p, lr=0.2, momentum=0.5).state_dict()
    del state["param_groups"][0]["nesterov"]
    sgd.load_state_dict(state)
    assert sgd.param_groups[0]["nesterov"] is False and sgd.param_groups[0]["lr"] == 0.2
    # a scheduler's own keys (initial_lr) are no other optimizer's settings
    other = mg.optim.SGD(p, lr=0.3, momentum=0.9)
    mg.optim.lr_scheduler.StepLR(other, 2)
    sgd.load_state_dict(other.state_dict())
    assert sgd.param_groups[0]["initial_lr"] == 0.3


def test_same_type_optimizer_state_still_loads():
    p = [mg.ones(2, 3, requires_grad=True)]
    a = mg.optim.Adam(p, lr=0.1)
    p[0].sum().backward()
    a.step()
    b = mg.optim.Adam(p, lr=0.3)
    b.load_state_dict(a.state_dict())
    assert b.param_groups[0]["lr"] == 0.1 and len(b.state) == 1


def test_split_message_names_the_sizes_given():
    with pytest.raises(TypeError, match=r"split\(\): argument 'split_size' must be int.*1.5"):
        mg.arange(6.0).split([1.5, 4.5])
    with pytest.raises(RuntimeError):
        F.pixel_shuffle(mg.ones(1, 4, 2, 2), 0)


MESSAGES = {
    # (call, exception type, what the message must say)
    "quantile q nan": (
        lambda: mg.quantile(mg.arange(5.0), float("nan")),
        RuntimeError,
        r"q must be in the range \[0, 1\] but got nan",
    ),
    "cross_entropy float indices": (
        lambda: F.cross_entropy(_x(mg), mg.tensor([0.0, 1.0, 3.0])),
        RuntimeError,
        "expected target dtype to be Long or Byte",
    ),
    "cross_entropy long one-hot": (
        lambda: F.cross_entropy(_x(mg), F.one_hot(mg.tensor([0, 1, 3]), 4)),
        RuntimeError,
        "floating point target for class probabilities",
    ),
    "cross_entropy None": (
        lambda: F.cross_entropy(_x(mg), None),
        TypeError,
        "argument 'target' must be Tensor, not NoneType",
    ),
    "cross_entropy list": (
        lambda: F.cross_entropy(_x(mg), [0, 1, 3]),
        TypeError,
        "must be Tensor, not list",
    ),
    "groupnorm values": (lambda: mg.nn.GroupNorm(4, 6), ValueError, r"\(6\) .* \(4\)"),
    "pixel_shuffle 0": (
        lambda: F.pixel_shuffle(mg.ones(1, 4, 2, 2), 0),
        RuntimeError,
        "positive upscale_factor, but got 0",
    ),
    "cdist p nan": (
        lambda: mg.cdist(mg.ones(2, 3), mg.ones(2, 3), p=float("nan")),
        RuntimeError,
        "cdist only supports non-negative p",
    ),
    "cdist p negative": (
        lambda: mg.cdist(mg.ones(2, 3), mg.ones(2, 3), p=-1.0),
        RuntimeError,
        "cdist only supports non-negative p",
    ),
    "eye float": (lambda: mg.eye(2.0), TypeError, "eye\\(\\): argument 'n' must be int"),
    "one_hot float": (
        lambda: F.one_hot(mg.tensor([0, 1]), 3.0),
        TypeError,
        "argument 'num_classes' must be int",
    ),
    "cat dim None": (
        lambda: mg.cat([mg.ones(2), mg.ones(2)], dim=None),
        TypeError,
        "cat\\(\\): argument 'dim' must be int",
    ),
    "sort dim None": (lambda: mg.ones(3).sort(None), TypeError, "argument 'dim' must be int"),
    "randint int size": (
        lambda: mg.randint(0, 5, 3),
        TypeError,
        "argument 'size' must be a tuple of ints",
    ),
    "interpolate float size": (
        lambda: F.interpolate(mg.ones(1, 1, 4, 4), size=8.0),
        TypeError,
        "size must be an int or a tuple of ints",
    ),
    "exp of a list": (lambda: mg.exp([1.0, 2.0]), TypeError, "expected a Tensor"),
    "stack of lists": (
        lambda: mg.stack([[1.0, 2.0], [3.0, 4.0]]),
        TypeError,
        "expected Tensor as element 0 in argument 0, but got list",
    ),
    "stack of a tensor": (
        lambda: mg.stack(mg.ones(2, 3)),
        TypeError,
        "must be a sequence of Tensors, not Tensor",
    ),
}


@pytest.mark.parametrize("case", sorted(MESSAGES))
def test_misuse_messages_name_the_op_and_the_cause(case):
    call, kind, match = MESSAGES[case]
    with pytest.raises(kind, match=match):
        call()


def test_the_same_calls_done_right_still_work():
    x = _x(mg)
    assert F.interpolate(mg.ones(1, 1, 4, 4), size=8).shape == (1, 1, 8, 8)
    assert F.interpolate(mg.ones(1, 1, 4, 4), size=mg.Size([8, 6])).shape == (1, 1, 8, 6)
    assert mg.randint(0, 5, mg.Size([2])).shape == (2,)
    assert mg.eye(np.int64(2)).shape == (2, 2)
    assert F.cross_entropy(x, mg.tensor([0, 1, 3])).item() == pytest.approx(
        F.cross_entropy(x, F.one_hot(mg.tensor([0, 1, 3]), 4).float()).item()
    )
    assert mg.quantile(mg.arange(5.0), 0.5).item() == 2.0
    assert mg.cat([mg.ones(2), mg.ones(2)], dim=np.int64(0)).shape == (4,)


def test_pytorchs_warnings_for_a_mismatched_instance_norm_and_a_low_rank_dropout2d():
    for lib in (torch, mg):
        with pytest.warns(UserWarning, match="does not match num_features"):
            lib.nn.InstanceNorm2d(3)(lib.ones(2, 4, 3, 3))
        for shape in ((3, 4), (3, 4, 5)):
            for train in (True, False):
                m = lib.nn.Dropout2d(0.5)
                m.train(train)
                with pytest.warns(UserWarning, match="dropout2d"):
                    m(lib.ones(*shape))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mg.nn.InstanceNorm2d(4)(mg.ones(2, 4, 3, 3))  # matching: no warning
        mg.nn.InstanceNorm1d(4)(mg.ones(4, 3))  # unbatched, matching


@pytest.mark.parametrize(
    "call",
    [
        lambda L: L.einsum("ij,jk->ik", L.ones(2, 3), L.ones(4, 5)),
        lambda L: L.quantile(L.arange(5.0), 0.5, interpolation="foo"),
        lambda L: L.ones(2).to("float99"),
    ],
)
def test_errors_pytorch_raises_as_runtime_errors_are_caught_as_such(call):
    """einsum's sizes, quantile's interpolation and an unknown device string were
    ValueErrors; PyTorch's are RuntimeErrors (minigrad's are both now)."""
    for lib in (torch, mg):
        with pytest.raises(RuntimeError):
            call(lib)
    with pytest.raises(ValueError):
        call(mg)
