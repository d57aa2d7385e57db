"""Round 22 review of nn.Module: attributes set before Module.__init__, subclass slicing of
the containers, dir(module), Module.to/half/double keeping parameters and grads (and their
versions), and nn.init's mode case and calculate_gain types. Each case runs the same code
with PyTorch and with minigrad and compares what a program can see."""

from collections import OrderedDict

import numpy as np
import pytest
from op_cases import torch_or_skip

import minigrad as mg


def both(case):
    """case(T) run with torch and with minigrad: (torch's result, minigrad's result)."""
    torch = torch_or_skip()
    return case(torch), case(mg)


def outcome(fn):
    """fn()'s result, or (exception type name, message) where it raises."""
    try:
        return fn()
    except Exception as e:  # compared across libraries
        return type(e).__name__, str(e)


# ---------------------------------------------------------------- 1. before __init__
def test_plain_attribute_before_super_init():
    def case(T):
        class Net(T.nn.Module):
            def __init__(self, hidden):
                self.hidden = hidden
                self.cfg = {"act": "relu"}
                super().__init__()
                self.fc = T.nn.Linear(2, hidden)

        m = Net(3)
        return m.hidden, m.cfg, [n for n, _ in m.named_parameters()], "hidden" in m.__dict__

    t, g = both(case)
    assert t == g == (3, {"act": "relu"}, ["fc.weight", "fc.bias"], True)


def test_mixin_sets_config_before_module_init():
    def case(T):
        class ConfigMixin:
            def __init__(self, *a, **k):
                self.config = {"act": "relu"}
                self.scale = T.ones(1)  # a plain tensor attribute: not a buffer
                super().__init__(*a, **k)

        class Net(ConfigMixin, T.nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = T.nn.Linear(2, 2)

        m = Net()
        return (
            m.config,
            [n for n, _ in m.named_parameters()],
            list(m.state_dict()),
            [n for n, _ in m.named_buffers()],
            m.scale.tolist(),
        )

    t, g = both(case)
    assert t == g


def test_later_parameter_replaces_attribute_set_before_init():
    def case(T):
        class Net(T.nn.Module):
            def __init__(self):
                self.weight = 3
                super().__init__()
                self.weight = T.nn.Parameter(T.ones(2))

        m = Net()
        return "weight" in m.__dict__, [n for n, _ in m.named_parameters()]

    t, g = both(case)
    assert t == g == (False, ["weight"])


@pytest.mark.parametrize("kind", ["parameter", "module", "buffer"])
def test_parameter_module_buffer_before_init_refused_with_pytorch_message(kind):
    def case(T):
        values = {
            "parameter": lambda: T.nn.Parameter(T.ones(2)),
            "module": lambda: T.nn.ReLU(),
            "buffer": lambda: T.nn.Buffer(T.ones(2)),
        }

        class Net(T.nn.Module):
            def __init__(self):
                self.x = values[kind]()
                super().__init__()

        return outcome(Net)

    t, g = both(case)
    assert t == g
    assert t[0] == "AttributeError" and "before Module.__init__() call" in t[1]


# ---------------------------------------------------------------- 2. subclass slicing
def test_modulelist_subclass_slice_keeps_class():
    def case(T):
        class Blocks(T.nn.ModuleList):
            def run(self, x):
                for b in self:
                    x = b(x)
                return x

        blocks = Blocks([T.nn.ReLU(), T.nn.Tanh(), T.nn.Sigmoid()])
        s = blocks[1:]
        return (
            type(s).__name__,
            [type(m).__name__ for m in s],
            float(s.run(T.zeros(1)).sum()),
            type(blocks[::2]).__name__,
            type(blocks[0]).__name__,
        )

    t, g = both(case)
    assert t == g and t[0] == "Blocks"


def test_parameterlist_subclass_slice_keeps_class_and_parameters():
    def case(T):
        class Scales(T.nn.ParameterList):
            def total(self):
                return sum(p.sum() for p in self)

        scales = Scales([T.ones(2), T.ones(3), T.ones(4)])
        s = scales[1:]
        return (
            type(s).__name__,
            float(s.total().detach()),
            [s[i] is scales[i + 1] for i in range(len(s))],
            [n for n, _ in s.named_parameters()],
            type(scales[::-2]).__name__,
            [p.shape[0] for p in scales[::-2]],
        )

    t, g = both(case)
    assert t == g and t[0] == "Scales"


def test_sequential_subclass_slice_keeps_class_and_names():
    def case(T):
        class Stack(T.nn.Sequential):
            def depth(self):
                return len(self)

        s = Stack(OrderedDict([("a", T.nn.ReLU()), ("b", T.nn.Tanh()), ("c", T.nn.ReLU())]))
        sl = s[1:]
        plain = T.nn.ModuleList([T.nn.ReLU(), T.nn.Tanh()])[1:]
        return type(sl).__name__, list(sl._modules), sl.depth(), type(plain).__name__

    t, g = both(case)
    assert t == g == ("Stack", ["b", "c"], 2, "ModuleList")


# ---------------------------------------------------------------- 3. dir(module)
def test_dir_lists_parameters_buffers_and_children():
    def case(T):
        net = T.nn.Sequential(T.nn.BatchNorm1d(2), T.nn.Linear(2, 2))
        bn = net[0]
        d = dir(bn)

        class Net(T.nn.Module):
            def __init__(self):
                super().__init__()
                self.body = T.nn.Linear(2, 2)
                self.register_buffer("stats", T.zeros(2), persistent=False)
                self.scale = T.nn.Parameter(T.ones(1))

        nd = dir(Net())
        return (
            [n in d for n in ("weight", "bias", "running_mean", "running_var")],
            "num_batches_tracked" in d,
            [n for n in d if isinstance(getattr(bn, n, None), T.nn.Parameter)],
            [n in nd for n in ("body", "stats", "scale", "training")],
            [n for n in dir(net) if n[0].isdigit()],  # Sequential's "0", "1": left out
            d == sorted(d),
        )

    t, g = both(case)
    assert t == g
    assert t[:2] == ([True] * 4, True)


# ---------------------------------------------------------------- 4. Module._apply
@pytest.mark.parametrize("convert", ["double", "half", "float", "to_float64", "to_float16"])
def test_to_dtype_keeps_parameter_and_grad_objects(convert):
    def case(T):
        m = T.nn.Linear(2, 2)
        m(T.ones(1, 2)).sum().backward()
        w, g = m.weight, m.weight.grad
        wv, gv = w._version, g._version
        if convert.startswith("to_"):
            m.to({"to_float64": T.float64, "to_float16": T.float16}[convert])
        else:
            getattr(m, convert)()
        return (
            m.weight is w,
            m.weight.grad is g,
            str(g.dtype).replace("torch.", ""),
            str(w.dtype).replace("torch.", ""),
            np.asarray(g.detach().double().tolist()).tolist(),
            (w._version - wv, g._version - gv),
            g.requires_grad,
        )

    t, g = both(case)
    assert t == g
    assert t[:2] == (True, True)


def test_held_grad_reference_sees_converted_values():
    def case(T):
        m = T.nn.Linear(3, 2)
        with T.no_grad():
            m.weight.fill_(0.5)
            m.bias.fill_(-1.0)
        (m(T.full((2, 3), 2.0)) ** 2).sum().backward()
        held = m.weight.grad
        m.double()
        m.weight.grad.mul_(2)  # the same object: the held reference sees it
        return str(held.dtype).replace("torch.", ""), held.tolist()

    t, g = both(case)
    assert t == g


def test_backward_through_graph_recorded_before_conversion():
    """m.float() (no change) and m.double() do not bump the parameters' versions, so a graph
    recorded before still runs backward, as in PyTorch."""

    def case(T, convert, frozen):
        m = T.nn.Linear(2, 2)
        with T.no_grad():
            m.weight.fill_(1.0)
            m.bias.fill_(0.5)
        if frozen:
            m.requires_grad_(False)
        x = T.ones(1, 2, requires_grad=True)
        y = (m(x) ** 2).sum()
        v0 = (m.weight._version, m.bias._version)
        getattr(m, convert)()
        v1 = (m.weight._version, m.bias._version)
        y.backward()
        return v0, v1, x.grad.tolist(), str(x.grad.dtype).replace("torch.", "")

    torch = torch_or_skip()
    for convert, frozen in [("float", False), ("double", True), ("half", True)]:
        t, g = case(torch, convert, frozen), case(mg, convert, frozen)
        assert t == g, (convert, frozen)
        assert t[0] == t[1]


def test_backward_through_saved_buffer_after_conversion():
    """A graph that saved a buffer before m.double() still runs backward (PyTorch keeps the
    old buffer for it; minigrad converts the buffer in place without a version bump)."""

    def case(T):
        class Scale(T.nn.Module):
            def __init__(self):
                super().__init__()
                self.register_buffer("s", T.tensor([2.0, 3.0]))

            def forward(self, x):
                return x * self.s

        m = Scale()
        x = T.ones(2, requires_grad=True)
        y = (m(x) ** 2).sum()
        m.double()
        y.backward()
        return (
            x.grad.tolist(),
            str(x.grad.dtype).replace("torch.", ""),
            str(m.s.dtype).replace("torch.", ""),
        )

    t, g = both(case)
    assert t == g


def test_conversion_detaches_old_views_and_data():
    """A `.data` or view taken before the conversion keeps the old memory: a later in-place
    change of the parameter does not reach it (nor is it refused), as in PyTorch."""

    def case(T):
        m = T.nn.Linear(2, 2)
        with T.no_grad():
            m.weight.fill_(1.0)
        old_data = m.weight.data
        m.double()
        with T.no_grad():
            m.weight.add_(1.0)
        return old_data.tolist(), m.weight.tolist(), str(old_data.dtype).replace("torch.", "")

    t, g = both(case)
    assert t == g


# ---------------------------------------------------------------- 5. nn.init
@pytest.mark.parametrize("fn", ["kaiming_uniform_", "kaiming_normal_"])
@pytest.mark.parametrize("mode", ["FAN_OUT", "Fan_In", "fan_out"])
def test_kaiming_mode_any_case(fn, mode):
    torch = torch_or_skip()
    expected = 2**0.5 / (1000 if mode.lower() == "fan_out" else 500) ** 0.5
    for T in (torch, mg):
        T.manual_seed(0)
        w = T.empty(1000, 500)
        out = getattr(T.nn.init, fn)(w, mode=mode, nonlinearity="relu")
        assert out is w
        assert abs(float(w.std()) - expected) / expected < 0.02, (T.__name__, float(w.std()))


def test_kaiming_bad_mode_message():
    def case(T):
        return outcome(lambda: T.nn.init.kaiming_uniform_(T.empty(3, 4), mode="FAN_AVG"))

    t, g = both(case)
    assert t == g


@pytest.mark.parametrize(
    "name,param",
    [
        ("linear", None),
        ("conv1d", None),
        ("conv2d", None),
        ("conv3d", None),
        ("conv_transpose1d", None),
        ("conv_transpose2d", None),
        ("conv_transpose3d", None),
        ("sigmoid", None),
        ("tanh", None),
        ("relu", None),
        ("leaky_relu", None),
        ("leaky_relu", 0.2),
        ("leaky_relu", 1),
        ("selu", None),
    ],
)
def test_calculate_gain_same_value_and_type(name, param):
    torch = torch_or_skip()
    t = torch.nn.init.calculate_gain(name, param)
    g = mg.nn.init.calculate_gain(name, param)
    assert type(t) is type(g) and t == g and repr(t) == repr(g)
