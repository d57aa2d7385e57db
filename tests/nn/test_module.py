"""minigrad.nn.Module: registration, traversal order, buffers, modes, state_dict, dtype."""

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 4)
        self.scale = nn.Parameter(mg.ones(4))
        self.register_buffer("running", mg.zeros(4))
        self.register_buffer("steps", mg.tensor(0))
        self.drop = nn.Dropout(0.5)

    def forward(self, x):
        return self.drop(self.fc(x) * self.scale)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.w0 = nn.Parameter(mg.zeros(2))
        self.block = Block()
        self.head = nn.Linear(4, 1)
        self.note = "not registered"
        self.plain = mg.zeros(3)  # a plain Tensor is neither a parameter nor a buffer


def test_registration_and_order():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == [
        "w0",
        "block.scale",
        "block.fc.weight",
        "block.fc.bias",
        "head.weight",
        "head.bias",
    ]
    assert [n for n, _ in net.named_buffers()] == ["block.running", "block.steps"]
    assert [n for n, _ in net.named_modules()] == ["", "block", "block.fc", "block.drop", "head"]
    assert [n for n, _ in net.named_children()] == ["block", "head"]
    assert all(isinstance(p, nn.Parameter) for p in net.parameters())
    assert net.note == "not registered" and "plain" not in dict(net.named_parameters())


def test_shared_parameter_listed_once():
    net = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
    net[1].weight = net[0].weight
    assert len(list(net.parameters())) == 3


def test_reassignment_and_deletion():
    net = Net()
    net.head = nn.Identity()
    assert "head.weight" not in dict(net.named_parameters())
    del net.w0
    assert "w0" not in dict(net.named_parameters())
    with pytest.raises(TypeError, match="cannot assign Tensor as parameter 'scale'"):
        net.block.scale = mg.ones(4) * 2
    net.block.scale = None
    assert "block.scale" not in dict(net.named_parameters())


def test_buffer_assignment_stays_a_buffer():
    b = Block()
    b.running = mg.ones(4)
    assert dict(b.named_buffers())["running"] is b.running
    with pytest.raises(AttributeError):
        b.missing  # noqa: B018


def test_init_must_call_super():
    # as PyTorch: a plain attribute may be set before Module.__init__ (see
    # test_round22_module.py); a Parameter or Module is refused there
    class Bad(nn.Module):
        def __init__(self):
            self.x = nn.Parameter(mg.ones(1))

    with pytest.raises(AttributeError, match=r"before Module.__init__\(\) call"):
        Bad()


def test_train_eval_propagate():
    net = Net()
    assert all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    x = mg.ones(64, 3)
    with mg.no_grad():
        plain = (net.block.fc(x) * net.block.scale).numpy()
        np.testing.assert_array_equal(net.block(x).numpy(), plain)  # dropout is off
        net.train()
        assert all(m.training for m in net.modules())
        assert (net.block(x).numpy() == 0).mean() > 0.3  # and on again


def test_state_dict_round_trip_copies_values():
    a, b = Net(), Net()
    sd = a.state_dict()
    assert list(sd) == [
        "w0",
        "block.scale",
        "block.running",
        "block.steps",
        "block.fc.weight",
        "block.fc.bias",
        "head.weight",
        "head.bias",
    ]
    assert not any(t.requires_grad for t in sd.values())
    b.load_state_dict(sd)
    for (k, ta), tb in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
        np.testing.assert_array_equal(ta.numpy(), tb.numpy(), err_msg=k)
    # loading copies: training one model must not move the other
    with mg.no_grad():
        a.head.weight.add_(1.0)
    assert not np.array_equal(a.head.weight.detach().numpy(), b.head.weight.detach().numpy())


def test_load_state_dict_strict_and_shape_errors():
    net = Net()
    sd = dict(net.state_dict())
    extra = dict(sd, bogus=mg.zeros(1))
    with pytest.raises(
        RuntimeError, match='for Net:\n\tUnexpected key\\(s\\) in state_dict: "bogus"'
    ):
        net.load_state_dict(extra)
    missing = {k: v for k, v in sd.items() if k != "head.bias"}
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "head.bias"'):
        net.load_state_dict(missing)
    res = net.load_state_dict(missing, strict=False)
    assert res == (["head.bias"], []) and res.missing_keys == ["head.bias"]
    assert net.load_state_dict(sd) == ([], [])
    bad = dict(sd, **{"head.weight": mg.zeros(2, 4)})
    before = net.w0._version
    with pytest.raises(RuntimeError, match="size mismatch for head.weight.*\\(2, 4\\).*\\(1, 4\\)"):
        net.load_state_dict(bad, strict=False)
    assert net.w0._version == before  # nothing copied


def test_load_state_dict_bumps_version_and_accepts_arrays():
    net = nn.Linear(2, 2)
    v = net.weight._version
    net.load_state_dict({"weight": np.eye(2), "bias": np.zeros(2)})
    assert net.weight._version == v + 1 and net.weight.dtype == np.float32
    np.testing.assert_array_equal(net.weight.detach().numpy(), np.eye(2))


def test_to_dtype_double_float_keeps_objects_and_ints():
    net = Net()
    params = list(net.parameters())
    net.double()
    assert all(p.dtype == np.float64 for p in net.parameters())
    assert [id(p) for p in net.parameters()] == [id(p) for p in params]
    assert net.block.running.dtype == np.float64
    assert net.block.steps.dtype.kind == "i"  # integer buffers keep their dtype
    y = net.head(mg.ones(1, 4, dtype=mg.float64))
    assert y.dtype == np.float64
    net.float()
    assert all(p.dtype == np.float32 for p in net.parameters())
    assert net.to(mg.float64) is net and net.head.weight.dtype == np.float64


def test_to_device(device):
    net = Net().to(device)
    assert all(p.device == device for p in net.parameters())
    assert all(b.device == device for b in net.buffers())
    net.head(mg.ones(2, 4, device=device)).sum().backward()
    assert net.head.weight.grad.device == device


def test_zero_grad_and_requires_grad():
    net = nn.Linear(2, 2)
    net(mg.ones(1, 2)).sum().backward()
    net.weight.grad = mg.tensor([[np.nan, np.inf], [1.0, 2.0]])
    net.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(net.weight.grad.numpy(), 0)
    net.zero_grad()
    assert net.weight.grad is None and net.bias.grad is None
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())


def test_repr_nests_children():
    r = repr(nn.Sequential(nn.Linear(1, 2), nn.Sequential(nn.ReLU())))
    assert r == (
        "Sequential(\n  (0): Linear(in_features=1, out_features=2, bias=True)\n"
        "  (1): Sequential(\n    (0): ReLU()\n  )\n)"
    )


@pytest.mark.parametrize("extra", ["", "depth=3", "a=1\nb=2"])
@pytest.mark.parametrize("children", [0, 1, 2])
def test_repr_with_extra_repr_and_children_is_pytorchs(extra, children):
    # the extra repr on the module's first line alone only without children; with them it
    # is the first indented line, as PyTorch prints it
    torch = pytest.importorskip("torch")

    def build(lib, linear, relu):
        class Block(lib.Module):
            def __init__(self):
                super().__init__()
                if children:
                    self.fc = linear(1, 2)
                if children > 1:
                    self.act = lib.Sequential(relu())

            def extra_repr(self):
                return extra

        return Block()

    ours = build(nn, nn.Linear, nn.ReLU)
    theirs = build(torch.nn, torch.nn.Linear, torch.nn.ReLU)
    assert repr(ours) == repr(theirs)


def test_data_parallel_wraps_and_forwards():
    torch = pytest.importorskip("torch")
    net = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    wrapped = nn.DataParallel(net, device_ids=[0])
    x = mg.tensor(np.arange(12, dtype=np.float32).reshape(4, 3))
    np.testing.assert_array_equal(wrapped(x).detach().numpy(), net(x).detach().numpy())
    out = nn.parallel.data_parallel(net, x, device_ids=[0, 1])
    np.testing.assert_array_equal(out.detach().numpy(), net(x).detach().numpy())
    assert wrapped.module is net
    ref = torch.nn.DataParallel(torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2)))
    assert list(wrapped.state_dict()) == list(ref.state_dict())
    with pytest.raises(TypeError, match="DataParallel: int is not a Module"):
        nn.DataParallel(3)


def test_backend_and_cuda_shims_run_unchanged():
    import minigrad.backends.cudnn as cudnn

    cudnn.benchmark = True
    cudnn.deterministic = True
    assert mg.backends.cudnn.benchmark and mg.backends.cudnn.enabled
    cudnn.benchmark = cudnn.deterministic = False
    assert not mg.backends.mps.is_available()
    assert (mg.cuda.device_count() > 0) == mg.cuda.is_available()
    mg.manual_seed(0)
    a = mg.randn(3).numpy()
    mg.manual_seed(0)
    mg.cuda.manual_seed_all(123)  # the GPU generator only: CPU draws are unchanged
    mg.cuda.manual_seed(123)
    np.testing.assert_array_equal(mg.randn(3).numpy(), a)


def test_pytorch_imports_resolve_on_minigrad():
    """The import lines of the PyTorch examples, with the package renamed."""
    import subprocess
    import sys

    code = (
        "import minigrad as torch\n"
        "import minigrad.nn as nn\n"
        "import minigrad.nn.functional as F\n"
        "import minigrad.nn.parallel\n"
        "import minigrad.backends.cudnn as cudnn\n"
        "import minigrad.utils.data\n"
        "from minigrad.utils.data import DataLoader, Dataset, TensorDataset\n"
        "cudnn.benchmark = True\n"
        "assert torch.utils.data.DataLoader is DataLoader\n"
        "assert torch.nn.parallel.DataParallel is nn.DataParallel\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    res = subprocess.run(
        [sys.executable, "-c", "import minigrad as t; t.utils.data.Dataset; t.backends.cudnn"],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stderr
