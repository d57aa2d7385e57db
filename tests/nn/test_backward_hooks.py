"""Module backward hooks against PyTorch: what each hook sees, what a returned replacement
changes, and when hooks run."""

import warnings

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")

rng = np.random.default_rng(0)
W1 = rng.standard_normal((4, 3)).astype(np.float32)
W2 = rng.standard_normal((2, 4)).astype(np.float32)
X = rng.standard_normal((2, 3)).astype(np.float32)


def _net(T):
    nn = T.nn
    m = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    with T.no_grad():
        m[0].weight.copy_(T.tensor(W1))
        m[0].bias.zero_()
        m[2].weight.copy_(T.tensor(W2))
        m[2].bias.fill_(0.1)
    return m


def _arrays(gs):
    return [None if g is None else g.detach().numpy().copy() for g in gs]


def _same(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        if isinstance(x, list | tuple):
            _same(x, y)
        elif x is None or y is None:
            assert x is None and y is None
        elif isinstance(x, np.ndarray):
            np.testing.assert_allclose(x, y, rtol=1e-6, atol=1e-7)
        else:
            assert x == y


def _both(case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got, want = case(mg), case(torch)
    _same(got, want)
    return got


def test_what_each_layer_hook_sees():
    def case(T):
        m, log = _net(T), []
        for i, layer in enumerate(m):
            layer.register_full_backward_hook(
                lambda mod, gi, go, i=i: log.append([i, _arrays(gi), _arrays(go)])
            )
        m(T.tensor(X)).sum().backward()
        return log + [_arrays([m[0].weight.grad])]

    log = _both(case)
    assert [entry[0] for entry in log[:3]] == [2, 1, 0]
    assert log[2][1] == [None]  # the data input needs no gradient


def test_hook_replacing_grad_input_changes_what_flows_on():
    def case(T):
        m = _net(T)
        m[1].register_full_backward_hook(lambda mod, gi, go: (gi[0] * 2,))
        x = T.tensor(X, requires_grad=True)
        m(x).sum().backward()
        return _arrays([m[0].weight.grad, m[2].weight.grad, x.grad])

    _both(case)


def test_pre_hook_replacing_grad_output():
    def case(T):
        m, log = _net(T), []
        m[2].register_full_backward_pre_hook(lambda mod, go: (go[0] * 3,))
        m[2].register_full_backward_hook(lambda mod, gi, go: log.append(_arrays(go)))
        m(T.tensor(X)).sum().backward()
        return log + [_arrays([m[2].weight.grad, m[0].weight.grad])]

    _both(case)


def test_removed_hook_no_longer_runs():
    def case(T):
        m, log = _net(T), []
        h = m.register_full_backward_hook(lambda mod, gi, go: log.append(_arrays(gi)))
        x = T.tensor(X, requires_grad=True)
        m(x).sum().backward()
        h.remove()
        m(x).sum().backward()
        return log

    assert len(_both(case)) == 1


def test_several_arguments_and_outputs():
    """A non-tensor argument gets None, a tensor that needs no gradient gets zeros."""

    def case(T):
        class Two(T.nn.Module):
            def forward(self, a, k, b):
                return a * k, a + b

        m, log = Two(), []
        m.register_full_backward_hook(lambda mod, gi, go: log.append([_arrays(gi), _arrays(go)]))
        a, b = T.tensor(X, requires_grad=True), T.tensor(X * 2)
        y1, y2 = m(a, 3.0, b)
        (y1.sum() + (y2 * 2).sum()).backward()
        return log + [_arrays([a.grad])]

    log = _both(case)
    assert log[0][0][1] is None and not log[0][0][2].any()


def test_no_input_requires_grad_runs_hooks_with_the_outputs_and_warns():
    def case(T):
        m, log = _net(T), []
        m[0].register_full_backward_hook(lambda mod, gi, go: log.append([_arrays(gi), _arrays(go)]))
        with pytest.warns(UserWarning, match="no inputs require gradients"):
            m(T.tensor(X)).sum().backward()
        return log

    _both(case)


def test_hooks_run_in_a_create_graph_walk_and_gradients_match():
    def case(T):
        m, log = _net(T), []
        m[0].register_full_backward_hook(lambda mod, gi, go: log.append(_arrays(gi)))
        x = T.tensor(X, requires_grad=True)
        (g,) = T.autograd.grad(m(x).sum(), x, create_graph=True)
        (g**2).sum().backward()
        # PyTorch calls the hook a second time, with zeros, as it walks relu's zero
        # second derivative through the forward graph; minigrad does not walk zeros
        return [log[0], _arrays([m[0].weight.grad, m[2].weight.grad])]

    _both(case)


@pytest.mark.parametrize("returned", ["two", "array"])
def test_bad_hook_results_are_refused(returned):
    m = _net(mg)
    bad = (lambda mod, gi, go: (gi[0], gi[0])) if returned == "two" else lambda mod, gi, go: (1.0,)
    m[2].register_full_backward_hook(bad)
    with pytest.raises((RuntimeError, TypeError), match="Linear: .*backward hook returned"):
        m(mg.tensor(X, requires_grad=True)).sum().backward()


def test_legacy_backward_hook_is_refused_by_name():
    with pytest.raises(NotImplementedError, match="register_full_backward_hook"):
        _net(mg).register_backward_hook(lambda mod, gi, go: None)


def test_in_place_change_of_a_hooked_output_keeps_the_gradients():
    """PyTorch refuses an in-place op on a hooked module's output (a view of its hook
    node); minigrad's identity node reads nothing, so the gradients are those of the same
    network without the hook."""

    def grads(hooked):
        m = mg.nn.Sequential(mg.nn.Linear(3, 4), mg.nn.ReLU(inplace=True), mg.nn.Linear(4, 1))
        for p, w in zip(m.parameters(), weights, strict=True):
            p.data = mg.tensor(w)
        seen = []
        if hooked:
            m[0].register_full_backward_hook(lambda mod, gi, go: seen.append(go[0].numpy()))
        x = mg.tensor(X, requires_grad=True)
        m(x).sum().backward()
        return [x.grad.numpy()] + [p.grad.numpy() for p in m.parameters()], seen

    weights = [
        p.detach().numpy().copy()
        for p in mg.nn.Sequential(mg.nn.Linear(3, 4), mg.nn.ReLU(), mg.nn.Linear(4, 1)).parameters()
    ]
    plain, _ = grads(False)
    hooked, seen = grads(True)
    assert len(seen) == 1
    for a, b in zip(plain, hooked, strict=True):
        np.testing.assert_array_equal(a, b)


def test_an_output_without_gradient_reaches_the_hooks_as_none():
    def case(T):
        class Two(T.nn.Module):
            def forward(self, a):
                return a * 2, a * 3

        m, log = Two(), []
        m.register_full_backward_pre_hook(lambda mod, go: log.append(["pre", _arrays(go)]))
        m.register_full_backward_hook(lambda mod, gi, go: log.append(["hook", _arrays(go)]))
        y, _ = m(T.tensor(X[0], requires_grad=True))
        y.sum().backward()
        return log

    log = _both(case)
    assert log[0][1][1] is None and log[1][1][1] is None
