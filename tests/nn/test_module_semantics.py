"""Module semantics against PyTorch itself: train() through overrides, in-place
load_state_dict, registration errors, None slots, extra state, casts, Sequential
operators, always-call hooks, lookups by path, zero_grad and deepcopy. Each scenario is
one function of the library (minigrad or torch) whose plain-Python result must match."""

import copy
import warnings
from collections import OrderedDict

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")


def both(scenario):
    """Run `scenario(lib)` with each library; the results must be equal."""
    got, want = scenario(mg), scenario(torch)
    assert got == want, (got, want)
    return got


def error(fn):
    """The name of the exception fn raises, or "ok"."""
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the type is the result
        return type(e).__name__
    return "ok"


def values(t):
    return np.asarray(t.detach().tolist(), dtype=np.float64).round(6).tolist()


def load_ones(lib, m):
    """Load all-ones values (float64 arrays) into m's parameters, keeping its buffers."""
    sd = {k: lib.tensor(np.ones(tuple(v.shape))) for k, v in m.state_dict().items()}
    m.load_state_dict(sd)


# ---------------------------------------------------------------------- 1. train()
def test_train_calls_each_childs_own_train():
    def run(lib):
        nn = lib.nn
        calls = []

        class FrozenBN(nn.BatchNorm1d):
            def train(self, mode=True):
                calls.append(mode)
                return super().train(False)  # always frozen

        bn = FrozenBN(2)
        shared = nn.Linear(2, 2)
        net = nn.Sequential(nn.Sequential(shared, bn), shared)
        net.train()
        net(lib.tensor(np.arange(6.0).reshape(3, 2), dtype=lib.float32))
        flags = [m.training for m in net.modules()]
        net.eval()
        return flags, calls, int(bn.num_batches_tracked), net.training, bn.training

    flags, calls, tracked, _, _ = both(run)
    assert tracked == 0 and calls == [True, False] and flags[-1] is False


# ---------------------------------------------------------------------- 3. load_state_dict
def test_load_state_dict_copies_into_existing_tensors():
    def run(lib):
        nn = lib.nn
        m = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
        w = m[0].weight
        alias, before = w.detach(), m.state_dict()
        load_ones(lib, m)
        m.load_state_dict(m.state_dict())  # source and target share storage
        return (
            m[0].weight is w,
            values(alias),
            values(before["0.weight"]),
            values(before["1.running_var"]),
            str(m[0].weight.dtype).replace("torch.", ""),
            str(m[1].num_batches_tracked.dtype).replace("torch.", ""),
        )

    assert both(run)[1] == [[1.0, 1.0], [1.0, 1.0]]


def test_load_state_dict_tied_weights_and_errors_copy_nothing():
    def run(lib):
        nn = lib.nn
        m = nn.Sequential(nn.Linear(2, 2, bias=False), nn.Linear(2, 2, bias=False))
        m[1].weight = m[0].weight
        alias = m[1].weight.detach()
        sd = {"0.weight": lib.ones(2, 2) * 3, "1.weight": lib.ones(2, 2) * 3}
        m.load_state_dict(sd)
        bad = {"0.weight": lib.zeros(2, 2), "1.weight": lib.zeros(3, 2)}
        return values(alias), error(lambda: m.load_state_dict(bad))

    got = both(run)
    assert got[0] == [[3.0, 3.0], [3.0, 3.0]] and got[1] == "RuntimeError"


# ---------------------------------------------------------------------- 5, 6, 29, 30: names
def test_register_parameter_checks():
    def run(lib):
        nn = lib.nn
        m = nn.Linear(1, 1)
        m.note = 1
        p = nn.Parameter(lib.ones(1))
        return [
            error(lambda: m.register_parameter("p", lib.ones(1))),
            error(lambda: m.register_parameter("a.b", p)),
            error(lambda: m.register_parameter("", p)),
            error(lambda: m.register_parameter(3, p)),
            error(lambda: m.register_parameter("note", p)),
            error(lambda: m.register_parameter("train", p)),
            error(lambda: m.register_parameter("weight", p)),  # replacing is allowed
            error(lambda: m.register_parameter("empty", None)),
            [n for n, _ in m.named_parameters()],
            list(m.state_dict()),
        ]

    got = both(run)
    assert got[0] == "TypeError" and got[-2] == ["weight", "bias"]


def test_register_buffer_checks():
    def run(lib):
        nn = lib.nn
        m = nn.Module()
        m.l = nn.Linear(1, 1)
        m.p = nn.Parameter(lib.ones(1))
        m.note = "x"
        m.register_buffer("b", lib.zeros(1))
        return [
            error(lambda: m.register_buffer("l", lib.zeros(1))),
            error(lambda: m.register_buffer("p", lib.zeros(1))),
            error(lambda: m.register_buffer("note", lib.zeros(1))),
            error(lambda: m.register_buffer("train", lib.zeros(1))),
            error(lambda: m.register_buffer("a.b", lib.zeros(1))),
            error(lambda: m.register_buffer("", lib.zeros(1))),
            error(lambda: m.register_buffer("c", [1.0])),
            error(lambda: m.register_buffer("b", lib.ones(2), persistent=False)),  # again: ok
            list(m.state_dict()),
            [n for n, _ in m.named_buffers()],
        ]

    got = both(run)
    assert got[:4] == ["KeyError"] * 4 and got[-2] == ["p", "l.weight", "l.bias"]


def test_add_module_and_module_dict_reject_existing_attribute_names():
    def run(lib):
        nn = lib.nn
        md = nn.ModuleDict()
        m = nn.Linear(1, 1)
        m.note = 0
        return [
            error(lambda: md.__setitem__("train", nn.ReLU())),
            error(lambda: md.__setitem__("forward", nn.ReLU())),
            error(lambda: m.add_module("note", nn.ReLU())),
            error(lambda: m.add_module("weight", nn.ReLU())),
            error(lambda: m.add_module("a.b", nn.ReLU())),
            error(lambda: m.add_module("act", nn.ReLU())),
            error(lambda: m.add_module("act", None)),  # an existing child may become None
            list(md.keys()),
            [n for n, _ in m.named_children()],
        ]

    assert both(run)[0] == "KeyError"


# ---------------------------------------------------------------------- 7, 8: assignment
def test_assignment_of_wrong_kind_to_buffer_or_submodule():
    def run(lib):
        nn = lib.nn
        m = nn.Module()
        m.l = nn.Linear(1, 1)
        m.register_buffer("b", lib.zeros(1))
        out = [
            error(lambda: setattr(m, "b", 3)),
            error(lambda: setattr(m, "b", [1.0])),
            error(lambda: setattr(m, "l", lib.zeros(1))),
            error(lambda: setattr(m, "l", 3)),
            error(lambda: setattr(m.l, "weight", lib.zeros(1, 1))),
            error(lambda: setattr(m.l, "weight", nn.ReLU())),
            list(m.state_dict()),
        ]
        m.b = lib.ones(2)  # a Tensor replaces the buffer
        m.l = nn.Parameter(lib.ones(1))  # a Parameter replaces the submodule
        return out + [list(m.state_dict()), [n for n, _ in m.named_children()]]

    got = both(run)
    assert got[:4] == ["TypeError"] * 4 and got[-1] == []


def test_none_keeps_the_slot_and_its_place():
    def run(lib):
        nn = lib.nn
        lin = nn.Linear(2, 2)
        w = lin.weight
        lin.weight = None
        during = (
            list(lin._parameters),
            [n for n, _ in lin.named_parameters()],
            list(lin.state_dict()),
            lin.weight is None,
        )
        lin.weight = w
        after = [n for n, _ in lin.named_parameters()], list(lin.state_dict())

        seq = nn.Sequential(nn.Linear(1, 1))
        seq.x = nn.ReLU()
        seq.add_module("y", nn.Tanh())
        seq.x = None
        mods = list(seq._modules), [n for n, _ in seq.named_children()], len(list(seq.modules()))
        seq.x = nn.Sigmoid()
        mods += (list(seq._modules),)

        m = nn.Module()
        m.register_buffer("a", lib.zeros(1), persistent=False)
        m.register_buffer("b", lib.zeros(1))
        m.a = None
        m.b = None
        bufs = list(m._buffers), list(m.state_dict()), [n for n, _ in m.named_buffers()]
        m.a, m.b = lib.ones(1), lib.ones(1)
        bufs += (list(m.state_dict()), [n for n, _ in m.named_buffers()])
        return during, after, mods, bufs

    got = both(run)
    assert got[1][0] == ["weight", "bias"] and got[2][-1] == ["0", "x", "y"]


# ---------------------------------------------------------------------- 9. extra state
def test_extra_state_is_saved_and_restored():
    def run(lib):
        nn = lib.nn

        class Counter(nn.Module):
            def __init__(self):
                super().__init__()
                self.count = 0
                self.l = nn.Linear(1, 1)
                self.register_buffer("b", lib.zeros(1))

            def get_extra_state(self):
                return {"count": self.count}

            def set_extra_state(self, state):
                self.count = state["count"]

        src = nn.Sequential(Counter(), nn.Linear(1, 1))
        src[0].count = 5
        sd = src.state_dict()
        dst = nn.Sequential(Counter(), nn.Linear(1, 1))
        dst.load_state_dict(sd)
        no_extra = {k: v for k, v in sd.items() if not k.endswith("_extra_state")}
        missing = dst.load_state_dict(no_extra, strict=False)
        plain = nn.Sequential(nn.Linear(1, 1), nn.Linear(1, 1))
        unexpected = plain.load_state_dict({**plain.state_dict(), "0._extra_state": 1}, False)
        return (
            list(sd),
            sd["0._extra_state"],
            dst[0].count,
            error(lambda: dst.load_state_dict(no_extra)),
            list(missing.missing_keys),
            list(unexpected.unexpected_keys),
            error(lambda: plain.load_state_dict({**plain.state_dict(), "1._extra_state": 1})),
        )

    got = both(run)
    assert got[2] == 5 and got[4] == ["0._extra_state"]


# ---------------------------------------------------------------------- 26. casts, Parameter()
def test_to_non_blocking_type_and_empty_parameter():
    def run(lib):
        nn = lib.nn
        m = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
        m.to("cpu", non_blocking=True)
        m.to(dtype=lib.float64, non_blocking=True)
        a = str(m[0].weight.dtype)
        m.to(lib.float32, True)
        b = str(m[0].weight.dtype)
        w = m[0].weight
        m.type(lib.float64)
        p = nn.Parameter()
        return (
            a,
            b,
            {k: str(v.dtype) for k, v in m.state_dict().items()},
            m[0].weight is w,
            tuple(p.shape),
            str(p.dtype),
            p.requires_grad,
            type(p).__name__,
        )

    def names(r):
        return repr(r).replace("torch.", "")

    assert names(run(mg)) == names(run(torch))


def test_bfloat16_is_a_clear_error():
    with pytest.raises(TypeError, match="bfloat16"):
        mg.nn.Linear(1, 1).bfloat16()


# ---------------------------------------------------------------------- 27. Sequential ops
def test_sequential_operators():
    def run(lib):
        nn = lib.nn
        a = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
        b = nn.Sequential(OrderedDict(t=nn.Tanh()))
        s, m3, r2 = a + b, a * 3, 2 * a
        out = [
            list(s._modules),
            s[2] is b.t,
            list(m3._modules),
            m3[0] is m3[2] is a[0],
            len(list(m3.parameters())),
            len(r2),
            type(s).__name__,
        ]
        a2 = nn.Sequential(nn.Linear(2, 2))
        a2 += b
        a2 *= 2
        out += [list(a2._modules), a2[0] is a2[2]]
        out += [error(lambda: a + nn.ReLU()), error(lambda: a * 0), error(lambda: a * 1.5)]
        return out

    got = both(run)
    assert got[2] == ["0", "1", "2", "3", "4", "5"] and got[-3:] == [
        "ValueError",
        "ValueError",
        "TypeError",
    ]


# ---------------------------------------------------------------------- 28. always_call
def test_forward_hook_always_call():
    def run(lib):
        nn = lib.nn
        seen = []

        class Bad(nn.Module):
            def forward(self, x, y=0):
                raise ValueError("boom")

        def failing(mod, args, out):
            raise KeyError("hook")

        m = Bad()
        m.register_forward_pre_hook(lambda mod, args: (args[0] + 1,))
        m.register_forward_hook(lambda mod, args, out: seen.append(("plain", out)))
        m.register_forward_hook(lambda mod, a, o: seen.append(("always", a, o)), always_call=True)
        m.register_forward_hook(
            lambda mod, a, k, o: seen.append(("kw", k, o)), with_kwargs=True, always_call=True
        )
        m.register_forward_hook(failing, always_call=True)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            first = error(lambda: m(1, y=2))

        lin = nn.Linear(1, 1)
        lin.register_forward_hook(lambda mod, a, o: seen.append("ran"), always_call=True)
        lin.register_forward_hook(failing)
        lin.register_forward_hook(lambda mod, a, o: seen.append(tuple(o.shape)), always_call=True)
        handle = lin.register_forward_hook(lambda *a: seen.append("removed"), always_call=True)
        handle.remove()
        second = error(lambda: lin(lib.ones(1, 1)))
        return first, second, seen, len(caught)

    got = both(run)
    assert got[:2] == ("ValueError", "KeyError") and got[3] == 1


# ---------------------------------------------------------------------- 40. lookups
def test_get_parameter_buffer_submodule():
    def run(lib):
        nn = lib.nn
        net = nn.Sequential(nn.Sequential(nn.Linear(1, 2), nn.BatchNorm1d(2)))
        net[0][0].register_buffer("empty", None)
        net[0][0].bias = None
        return [
            net.get_buffer("0.0.empty"),
            error(lambda: net.get_parameter("0.0.bias")),
            tuple(net.get_parameter("0.0.weight").shape),
            net.get_parameter("0.1.bias") is net[0][1].bias,
            net.get_buffer("0.1.running_mean") is net[0][1].running_mean,
            net.get_submodule("0.1") is net[0][1],
            net.get_submodule("") is net,
            error(lambda: net.get_parameter("0.1.running_mean")),
            error(lambda: net.get_buffer("0.0.weight")),
            error(lambda: net.get_parameter("0.0.nope")),
            error(lambda: net.get_submodule("0.7")),
        ]

    assert both(run)[-1] == "AttributeError"


def test_parameter_dict_get_pop_setdefault():
    def run(lib):
        nn = lib.nn
        d = nn.ParameterDict({"a": nn.Parameter(lib.ones(2))})
        a = d["a"]
        out = [d.get("a") is a, d.get("b"), d.get("b", 3)]
        out.append(type(d.setdefault("c", lib.zeros(1))).__name__)
        out.append(d.setdefault("a", None) is a)
        out += [d.pop("a") is a, list(d.keys()), [n for n, _ in d.named_parameters()]]
        return out

    assert both(run)[-1] == ["c"]


# ---------------------------------------------------------------------- 41. zero_grad
@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph")
@pytest.mark.parametrize("create_graph", [False, True])
def test_zero_grad_in_place(create_graph):
    def run(lib):
        nn = lib.nn
        m = nn.Linear(2, 1)
        m.bias.requires_grad_(False)
        (m(lib.ones(3, 2)) ** 2).sum().backward(create_graph=create_graph)
        g = m.weight.grad
        had_history = g.grad_fn is not None
        m.zero_grad(set_to_none=False)
        return (
            had_history,
            m.weight.grad is g,
            values(g),
            g.grad_fn is None,
            g.requires_grad,
            m.bias.grad,
        )

    got = both(run)
    assert got[1] and got[2] == [[0.0, 0.0]]


# ---------------------------------------------------------------------- 43. deepcopy
def test_deepcopy_drops_parameter_grads_only():
    def run(lib):
        nn = lib.nn
        net = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
        net[1].weight = net[0].weight
        net[0].bias.requires_grad_(False)
        net(lib.ones(1, 2)).sum().backward()
        net.extra = lib.ones(2, requires_grad=True)
        net.extra.grad = lib.ones(2)
        dup = copy.deepcopy(net)

        class Tagged(nn.Parameter):
            pass

        tagged = Tagged(lib.ones(3, dtype=lib.float64), requires_grad=False)
        tagged.grad = lib.ones(3, dtype=lib.float64)
        tcopy = copy.deepcopy(tagged)
        return (
            (type(tcopy).__name__, str(tcopy.dtype)[-7:], tcopy.requires_grad, tcopy.grad),
            [p.grad is None for p in dup.parameters()],
            [p.requires_grad for p in dup.parameters()],
            [type(p).__name__ for p in dup.parameters()],
            dup[1].weight is dup[0].weight,
            dup[0].weight is not net[0].weight,
            values(dup[0].weight) == values(net[0].weight),
            dup.extra.grad is None,  # a plain tensor keeps its grad
        )

    assert both(run)[1] == [True, True, True]
