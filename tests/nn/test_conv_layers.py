"""Conv2d, ConvTranspose2d, BatchNorm1d/2d, MaxPool2d, AvgPool2d, Upsample modules:
shapes, PyTorch's default init, buffers in state_dict, train/eval behaviour, and a small
discriminator's gradient penalty against torch with copied weights."""

import math

import numpy as np
import pytest
from op_cases import torch_or_skip

import minigrad as mg
from minigrad.backend import as_numpy
from minigrad.nn.conv import Conv2d, ConvTranspose2d
from minigrad.nn.module import Module
from minigrad.nn.norm import BatchNorm1d, BatchNorm2d
from minigrad.nn.pooling import AvgPool2d, MaxPool2d, Upsample
from minigrad.ops.activation import leaky_relu


@pytest.mark.parametrize(
    "cls,args,kw,w_shape,fan_in",
    [
        (Conv2d, (6, 8, 3), {}, (8, 6, 3, 3), 54),
        (Conv2d, (6, 8, (4, 2)), dict(groups=2, bias=False), (8, 3, 4, 2), 24),
        (ConvTranspose2d, (6, 8, 4), {}, (6, 8, 4, 4), 128),
        (ConvTranspose2d, (6, 8, 3), dict(groups=2), (6, 4, 3, 3), 36),
    ],
)
def test_default_init_bounds_and_shapes(cls, args, kw, w_shape, fan_in, device):
    mg.manual_seed(1)
    m = cls(*args, device=device, **kw)
    assert m.weight.shape == w_shape and m.weight.dtype == np.float32
    assert m.weight.device == device
    bound = 1 / math.sqrt(fan_in)
    w = as_numpy(m.weight._data)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.8 * bound
    assert abs(w.mean()) < 0.2 * bound  # uniform, centred
    if kw.get("bias", True):
        b = as_numpy(m.bias._data)
        assert b.shape == (args[1],) and np.abs(b).max() <= bound
    else:
        assert m.bias is None and [n for n, _ in m.named_parameters()] == ["weight"]


def test_init_fan_in_matchestorch_or_skip():
    """The weights' spread (bound 1/sqrt(fan_in)) matches PyTorch's for both layers."""
    torch = torch_or_skip()
    torch.manual_seed(0)
    for cls, tcls in ((Conv2d, torch.nn.Conv2d), (ConvTranspose2d, torch.nn.ConvTranspose2d)):
        m, t = cls(16, 4, 3), tcls(16, 4, 3)
        assert m.weight.shape == tuple(t.weight.shape)
        tb = t.weight.detach().abs().max().item()
        mb = float(np.abs(m.weight.detach().numpy()).max())
        assert mb == pytest.approx(tb, rel=0.05)


def test_conv_layers_forward_shapes(device):
    x = mg.randn(2, 3, 16, 16, device=device)
    down = Conv2d(3, 8, 4, stride=2, padding=1, device=device)
    up = ConvTranspose2d(8, 3, 4, stride=2, padding=1, device=device)
    h = down(x)
    assert h.shape == (2, 8, 8, 8)
    assert up(h).shape == (2, 3, 16, 16)
    assert up(h, output_size=(17, 17)).shape == (2, 3, 17, 17)
    with pytest.raises(ValueError, match="not reachable"):
        up(h, output_size=(19, 19))
    assert repr(down) == "Conv2d(3, 8, kernel_size=(4, 4), stride=(2, 2), padding=(1, 1))"
    with pytest.raises(ValueError, match="groups"):
        Conv2d(3, 8, 3, groups=2)


def test_batchnorm_buffers_and_state_dict():
    bn = BatchNorm2d(4)
    assert list(bn.state_dict()) == [
        "weight",
        "bias",
        "running_mean",
        "running_var",
        "num_batches_tracked",
    ]
    assert [n for n, _ in bn.named_parameters()] == ["weight", "bias"]
    np.testing.assert_array_equal(bn.weight.detach().numpy(), np.ones(4))
    np.testing.assert_array_equal(bn.bias.detach().numpy(), np.zeros(4))
    bn(mg.randn(3, 4, 2, 2))
    bn(mg.randn(3, 4, 2, 2))
    assert int(bn.num_batches_tracked.item()) == 2
    other = BatchNorm2d(4)
    other.load_state_dict(bn.state_dict())
    np.testing.assert_array_equal(other.running_mean.numpy(), bn.running_mean.numpy())
    assert int(other.num_batches_tracked.item()) == 2
    plain = BatchNorm1d(3, affine=False, track_running_stats=False)
    assert list(plain.state_dict()) == []


@pytest.mark.parametrize("momentum", [0.1, None])
@pytest.mark.parametrize(
    "cls_name,shape",
    [("BatchNorm2d", (4, 3, 2, 2)), ("BatchNorm1d", (5, 3)), ("BatchNorm1d", (4, 3, 2))],
)
def test_batchnorm_modules_match_torch(cls_name, shape, momentum):
    torch = torch_or_skip()
    m = {"BatchNorm1d": BatchNorm1d, "BatchNorm2d": BatchNorm2d}[cls_name](
        3, momentum=momentum, dtype=np.float64
    )
    t = getattr(torch.nn, cls_name)(3, momentum=momentum, dtype=torch.float64)
    rng = np.random.default_rng(0)
    for _ in range(3):
        x = rng.standard_normal(shape) * 3 + 1
        np.testing.assert_allclose(
            m(mg.Tensor(x)).detach().numpy(), t(torch.tensor(x)).detach().numpy(), rtol=1e-10
        )
    for name in ("running_mean", "running_var"):
        np.testing.assert_allclose(getattr(m, name).numpy(), getattr(t, name).numpy(), rtol=1e-10)
    m.eval()
    t.eval()
    x = rng.standard_normal(shape)
    np.testing.assert_allclose(
        m(mg.Tensor(x)).detach().numpy(), t(torch.tensor(x)).detach().numpy(), rtol=1e-10
    )


def test_batchnorm_without_running_stats_uses_batch_stats_in_eval():
    bn = BatchNorm1d(2, track_running_stats=False, dtype=np.float64).eval()
    y = bn(mg.Tensor(np.array([[1.0, 2.0], [3.0, 6.0]]))).detach().numpy()
    np.testing.assert_allclose(y.mean(0), 0, atol=1e-12)


def test_batchnorm_rejects_wrong_rank():
    with pytest.raises(ValueError, match="4-d"):
        BatchNorm2d(3)(mg.randn(2, 3))
    with pytest.raises(ValueError, match="2-d or 3-d"):
        BatchNorm1d(3)(mg.randn(2, 3, 2, 2))


def test_pooling_modules(device):
    x = mg.randn(2, 3, 8, 8, device=device)
    assert MaxPool2d(2)(x).shape == (2, 3, 4, 4)
    assert MaxPool2d(3, stride=2, padding=1)(x).shape == (2, 3, 4, 4)
    assert AvgPool2d(2)(x).shape == (2, 3, 4, 4)
    assert Upsample(scale_factor=2)(x).shape == (2, 3, 16, 16)
    assert Upsample(size=(5, 9), mode="bilinear", align_corners=True)(x).shape == (2, 3, 5, 9)
    np.testing.assert_allclose(
        as_numpy(AvgPool2d(8)(x)._data)[..., 0, 0], as_numpy(x._data).mean(axis=(2, 3)), rtol=1e-5
    )


class _Critic(Module):
    """conv -> batch norm -> leaky relu -> max pool -> upsample -> transposed conv."""

    def __init__(self):
        super().__init__()
        self.c1 = Conv2d(3, 4, 4, stride=2, padding=1, dtype=np.float64)
        self.bn = BatchNorm2d(4, dtype=np.float64)
        self.pool = MaxPool2d(2)
        self.up = Upsample(scale_factor=2, mode="bilinear")
        self.c2 = ConvTranspose2d(4, 1, 3, stride=2, padding=1, output_padding=1, dtype=np.float64)

    def forward(self, x):
        h = leaky_relu(self.bn(self.c1(x)), 0.2)
        return self.c2(self.up(self.pool(h)))


def test_gradient_penalty_through_layers_matchestorch_or_skip():
    torch = torch_or_skip()
    tnn = torch.nn
    m = _Critic()
    t = tnn.Sequential(
        tnn.Conv2d(3, 4, 4, 2, 1),
        tnn.BatchNorm2d(4),
        tnn.LeakyReLU(0.2),
        tnn.MaxPool2d(2),
        tnn.Upsample(scale_factor=2, mode="bilinear"),
        tnn.ConvTranspose2d(4, 1, 3, 2, 1, output_padding=1),
    ).double()
    with torch.no_grad():
        for tp, mp in zip(t.parameters(), m.parameters(), strict=True):
            tp.copy_(torch.tensor(mp.detach().numpy()))
    x = np.random.default_rng(0).standard_normal((3, 3, 8, 8))
    X = mg.Tensor(x, requires_grad=True)
    (gx,) = mg.grad(m(X).sum(), X, create_graph=True)
    pen = ((gx * gx).sum() - 1.0) ** 2
    got = mg.grad(pen, list(m.parameters()), allow_unused=True)
    tx = torch.tensor(x, requires_grad=True)
    (tgx,) = torch.autograd.grad(t(tx).sum(), tx, create_graph=True)
    tpen = ((tgx * tgx).sum() - 1.0) ** 2
    want = torch.autograd.grad(tpen, list(t.parameters()), allow_unused=True)
    np.testing.assert_allclose(pen.item(), tpen.item(), rtol=1e-8)
    for g, w in zip(got, want, strict=True):
        if w is None or g is None:
            # output-side biases never reach d/dx: torch and minigrad both call them unused
            assert (g is None or np.allclose(g.numpy(), 0)) and (
                w is None or np.allclose(w.numpy(), 0)
            )
            continue
        np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-6, atol=1e-10)


@pytest.mark.parametrize(
    "make",
    [
        lambda nn: nn.ConvTranspose2d(3, 4, 3, 2, 1, 1, dilation=2),
        lambda nn: nn.ConvTranspose2d(4, 2, (3, 5), 1, 0, 0, 2, False),
        lambda nn: nn.Conv2d(2, 4, (3, 5), (2, 1), (1, 2), groups=2, padding_mode="reflect"),
        lambda nn: nn.Conv2d(2, 4, 4, padding="same", dilation=2, bias=False),
    ],
)
def test_reprs_are_pytorchs(make):
    torch = pytest.importorskip("torch")
    assert repr(make(mg.nn)) == repr(make(torch.nn))
