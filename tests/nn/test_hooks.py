"""Module.apply, forward hooks and pre-hooks, traversal and state_dict naming, against
PyTorch where it runs."""

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn


def _tree(nn_mod):
    """A net whose child is shared under two names, with a non-persistent buffer."""

    class Net(nn_mod.Module):
        def __init__(self):
            super().__init__()
            self.w0 = nn_mod.Parameter(mg_or_torch(nn_mod).zeros(2))
            self.body = nn_mod.Sequential(nn_mod.Linear(2, 3), nn_mod.BatchNorm1d(3))
            self.head = nn_mod.Linear(3, 1, bias=False)
            self.alias = self.head
            self.register_buffer("scratch", mg_or_torch(nn_mod).zeros(1), persistent=False)

    return Net()


def mg_or_torch(nn_mod):
    return mg if nn_mod is nn else __import__("torch")


def _names(net):
    return {
        "modules": [n for n, _ in net.named_modules()],
        "modules_dup": [n for n, _ in net.named_modules(remove_duplicate=False)],
        "children": [n for n, _ in net.named_children()],
        "params": [n for n, _ in net.named_parameters()],
        "params_local": [n for n, _ in net.named_parameters(recurse=False)],
        "params_prefix": [n for n, _ in net.body.named_parameters(prefix="b")],
        "buffers": [n for n, _ in net.named_buffers()],
        "state": list(net.state_dict()),
        "n_params": len(list(net.parameters())),
        "n_local": len(list(net.parameters(recurse=False))),
        "n_buffers_local": len(list(net.buffers(recurse=False))),
    }


def test_traversal_and_state_dict_names_match_pytorch():
    torch = pytest.importorskip("torch")
    ours, theirs = _names(_tree(nn)), _names(_tree(torch.nn))
    assert ours == theirs
    # the shared head is saved under both names, the non-persistent buffer not at all
    assert "alias.weight" in ours["state"] and "scratch" not in ours["state"]


def test_state_dict_keep_vars_and_prefix():
    net = _tree(nn)
    sd = net.state_dict(keep_vars=True)
    assert sd["head.weight"] is net.head.weight
    detached = net.state_dict()["head.weight"]
    assert detached is not net.head.weight and not detached.requires_grad
    assert list(net.body.state_dict(prefix="x."))[0] == "x.0.weight"


def test_apply_visits_children_first_and_returns_self():
    torch = pytest.importorskip("torch")

    def order(nn_mod):
        net = nn_mod.Sequential(
            nn_mod.Linear(1, 1), nn_mod.Sequential(nn_mod.ReLU(), nn_mod.Tanh()), nn_mod.Sigmoid()
        )
        seen = []
        assert net.apply(lambda m: seen.append(type(m).__name__)) is net
        return seen

    assert order(nn) == order(torch.nn)
    assert order(nn) == ["Linear", "ReLU", "Tanh", "Sequential", "Sigmoid", "Sequential"]


def test_dcgan_weights_init_runs_through_apply():
    def weights_init(m):
        classname = m.__class__.__name__
        if classname.find("Conv") != -1:
            nn.init.normal_(m.weight.data, 0.0, 0.02)
        elif classname.find("BatchNorm") != -1:
            nn.init.normal_(m.weight.data, 1.0, 0.02)
            nn.init.constant_(m.bias.data, 0)

    net = nn.Sequential(
        nn.ConvTranspose2d(8, 16, 4, 1, 0, bias=False),
        nn.BatchNorm2d(16),
        nn.ReLU(True),
        nn.Conv2d(16, 32, 3, bias=False),
    )
    nn.init.constant_(net[1].bias, 5.0)
    assert net.apply(weights_init) is net
    w = [net[i].weight.detach().numpy() for i in range(4) if i != 2]
    conv_w = np.concatenate([w[0].ravel(), w[2].ravel()])
    assert abs(conv_w.mean()) < 0.002 and 0.018 < conv_w.std() < 0.022
    assert 0.98 < w[1].mean() < 1.02 and 0.005 < w[1].std() < 0.04
    np.testing.assert_array_equal(net[1].bias.detach().numpy(), 0.0)
    mg.manual_seed(3)
    a = nn.Conv2d(2, 2, 3).apply(weights_init).weight.detach().numpy()
    mg.manual_seed(3)
    b = nn.Conv2d(2, 2, 3).apply(weights_init).weight.detach().numpy()
    np.testing.assert_array_equal(a, b)


def test_forward_hooks_see_args_and_replace_output():
    lin = nn.Linear(2, 2)
    calls = []

    def pre(m, args):
        calls.append(("pre", m is lin, len(args)))
        return args[0] * 2  # a non-tuple becomes the single argument

    def post(m, args, out):
        calls.append(("post", args[0].shape, out.shape))
        return out + 1

    h1 = lin.register_forward_pre_hook(pre)
    h2 = lin.register_forward_hook(post)
    x = mg.ones(3, 2)
    expected = lin.forward(x * 2).detach().numpy() + 1
    np.testing.assert_allclose(lin(x).detach().numpy(), expected)
    assert calls == [("pre", True, 1), ("post", (3, 2), (3, 2))]
    h1.remove()
    h2.remove()
    h2.remove()  # a second remove is harmless, as in PyTorch
    np.testing.assert_allclose(lin(x).detach().numpy(), lin.forward(x).detach().numpy())
    assert len(calls) == 2


def test_hook_order_prepend_kwargs_and_context_manager():
    seen = []

    class Scale(nn.Module):
        def forward(self, x, factor=1.0):
            return x * factor

    m = Scale()
    m.register_forward_hook(lambda mod, a, o: seen.append("a"))
    m.register_forward_hook(lambda mod, a, o: seen.append("b"))
    m.register_forward_hook(lambda mod, a, o: seen.append("first"), prepend=True)
    m.register_forward_pre_hook(lambda mod, a, kw: (a, {**kw, "factor": 3.0}), with_kwargs=True)
    with m.register_forward_hook(lambda mod, a, kw, o: o + kw["factor"], with_kwargs=True):
        assert m(mg.tensor([1.0])).item() == 6.0
    assert seen == ["first", "a", "b"]
    assert m(mg.tensor([1.0])).item() == 3.0  # the context manager removed its hook
    m.register_forward_pre_hook(lambda mod, a, kw: 7, with_kwargs=True)
    with pytest.raises(RuntimeError, match="None or \\(args, kwargs\\)"):
        m(mg.tensor([1.0]))
    with pytest.raises(TypeError, match="not callable"):
        m.register_forward_hook(None)


def test_hooks_match_pytorch_on_a_sequential():
    torch = pytest.importorskip("torch")

    def run(lib, nn_mod):
        lib.manual_seed(0)
        net = nn_mod.Sequential(nn_mod.Linear(3, 4), nn_mod.ReLU(), nn_mod.Linear(4, 2))
        captured = {}

        def grab(name):
            def hook(m, args, out):
                captured[name] = (type(m).__name__, tuple(args[0].shape), tuple(out.shape))

            return hook

        for name, m in net.named_modules():
            if name:
                m.register_forward_hook(grab(name))
        net[1].register_forward_pre_hook(lambda m, a: (a[0] * 0,))
        out = net(lib.ones(5, 3))
        return captured, out.shape

    ours = run(mg, nn)
    theirs = run(torch, torch.nn)
    assert ours[0] == theirs[0] and tuple(ours[1]) == tuple(theirs[1])


def test_hooks_fire_in_gradients_and_leave_backward_alone():
    lin = nn.Linear(2, 1)
    lin.register_forward_hook(lambda m, a, o: o * 3)
    x = mg.ones(4, 2)
    lin(x).sum().backward()
    np.testing.assert_allclose(lin.weight.grad.detach().numpy(), np.full((1, 2), 12.0))
