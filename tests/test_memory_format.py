"""Memory formats, as PyTorch's: `channels_last` lays a 4-d tensor's elements out in NHWC
order (its strides, `is_contiguous(memory_format=...)`, `contiguous`, `clone`, `to`,
`empty`, `Module.to`), and every result is the same as with the row-major layout."""

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")

CASES = {
    "row-major 4-d": lambda T: T.ones(2, 3, 4, 5),
    "to channels_last": lambda T: (
        T.arange(120.0).reshape(2, 3, 4, 5).to(memory_format=T.channels_last)
    ),
    "contiguous(channels_last)": lambda T: (
        T.arange(120.0).reshape(2, 3, 4, 5).contiguous(memory_format=T.channels_last)
    ),
    "clone(channels_last)": lambda T: (
        T.arange(24.0).reshape(1, 2, 3, 4).clone(memory_format=T.channels_last)
    ),
    "N1HW": lambda T: T.ones(4, 1, 4, 4),
    "NHWC permuted": lambda T: T.ones(2, 4, 4, 3).permute(0, 3, 1, 2),
    "empty(channels_last)": lambda T: T.empty(2, 3, 4, 5, memory_format=T.channels_last),
    "channels_last_3d": lambda T: T.ones(1, 2, 3, 4, 5).to(memory_format=T.channels_last_3d),
    "1-d": lambda T: T.ones(3),
}


@pytest.mark.parametrize("case", CASES)
def test_strides_and_contiguity_as_pytorch(case):
    want, got = CASES[case](torch), CASES[case](mg)
    assert tuple(got.stride()) == tuple(want.stride())
    for name in ("contiguous_format", "channels_last", "channels_last_3d"):
        fmt_t, fmt_m = getattr(torch, name), getattr(mg, name)
        assert got.is_contiguous(memory_format=fmt_m) == want.is_contiguous(memory_format=fmt_t)
    if not case.startswith("empty"):  # PyTorch's empty holds whatever memory held
        assert got.tolist() == want.tolist()


def test_a_format_of_the_wrong_rank_is_refused_as_pytorch():
    for T in (torch, mg):
        with pytest.raises(RuntimeError, match="required rank 4 tensor to use channels_last"):
            T.ones(3, 4).contiguous(memory_format=T.channels_last)


def test_a_channels_last_network_computes_the_same():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 8, 8)).astype(np.float32)
    results = []
    for fmt in (mg.contiguous_format, mg.channels_last):
        mg.manual_seed(0)
        m = mg.nn.Sequential(mg.nn.Conv2d(3, 8, 3), mg.nn.BatchNorm2d(8), mg.nn.ReLU())
        m.to(memory_format=fmt)
        assert m[0].weight.is_contiguous(memory_format=fmt)
        xi = mg.tensor(x).to(memory_format=fmt).requires_grad_()
        y = m(xi)
        (y * y).sum().backward()
        results.append((y.detach().numpy(), xi.grad.numpy(), m[0].weight.grad.numpy()))
    for a, b in zip(*results, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_dense_layout_attributes():
    t = mg.ones(2)
    assert t.is_sparse is False and repr(t.layout) == "minigrad.strided"
    assert repr(mg.channels_last) == "minigrad.channels_last"
    with pytest.raises(TypeError, match="memory_format must be"):
        t.is_contiguous(memory_format="channels_last")
