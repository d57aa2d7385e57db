"""The two engine hooks data-parallel training stands on: a leaf's post-accumulate hook, run
as soon as its gradient is complete, and `queue_callback`, run when backward() ends."""

import numpy as np
import pytest

import minigrad as mg
from minigrad.autograd import queue_callback


def _leaf(values):
    return mg.Tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


def test_post_accumulate_hook_runs_as_soon_as_the_leaf_is_complete():
    x = mg.Tensor(np.array([1.0, 2.0]))
    w1, w2 = _leaf([3.0, 4.0]), _leaf([5.0, 6.0])
    events = []
    h = w1 * x
    h.register_hook(lambda g: events.append("h"))
    w1.register_post_accumulate_grad_hook(lambda p: events.append(("w1", p.grad.numpy().copy())))
    w2.register_post_accumulate_grad_hook(lambda p: events.append(("w2", p.grad.numpy().copy())))
    (w2 * h).sum().backward()
    # w2 is finished by the last node, before the walk reaches h and w1
    assert [e if isinstance(e, str) else e[0] for e in events] == ["w2", "h", "w1"]
    np.testing.assert_array_equal(events[0][1], [3.0, 8.0])
    np.testing.assert_array_equal(events[2][1], [5.0, 12.0])


def test_post_accumulate_hook_sees_the_accumulated_grad_once_per_backward():
    w = _leaf([1.0, 2.0])
    seen = []
    w.register_post_accumulate_grad_hook(lambda p: seen.append(p.grad.numpy().copy()))
    for _ in range(2):
        (w * w + 3 * w).sum().backward()  # w reaches three nodes: one call, the full sum
    np.testing.assert_array_equal(seen[0], [5.0, 7.0])
    np.testing.assert_array_equal(seen[1], [10.0, 14.0])


def test_post_accumulate_hook_after_tensor_hooks_and_with_inputs():
    w, v = _leaf([1.0]), _leaf([2.0])
    w.register_hook(lambda g: g * 10)
    calls = []
    w.register_post_accumulate_grad_hook(lambda p: calls.append(float(p.grad.item())))
    v.register_post_accumulate_grad_hook(lambda p: calls.append("v"))
    (w * v).sum().backward(inputs=[w])  # only the inputs asked for get .grad and the hook
    assert calls == [20.0] and v.grad is None
    mg.grad((w * v).sum(), [w, v])  # grad() touches no .grad: no hook
    assert calls == [20.0]


def test_post_accumulate_hook_refuses_non_leaves_and_can_be_removed():
    w = _leaf([1.0])
    with pytest.raises(RuntimeError, match="register_post_accumulate_grad_hook.*leaf"):
        (w * 2).register_post_accumulate_grad_hook(lambda p: None)
    with pytest.raises(RuntimeError, match="register_post_accumulate_grad_hook"):
        mg.Tensor(np.ones(1)).register_post_accumulate_grad_hook(lambda p: None)
    calls = []
    handle = w.register_post_accumulate_grad_hook(lambda p: calls.append(1))
    handle.remove()
    (w * 2).sum().backward()
    assert calls == []


def test_queue_callback_runs_after_every_grad_is_stored():
    w1, w2 = _leaf([1.0]), _leaf([2.0])
    seen = []

    def hook(p):
        if not seen:
            queue_callback(lambda: seen.append((w1.grad.item(), w2.grad.item())))
        seen.append("hook")

    w2.register_post_accumulate_grad_hook(hook)
    (w1 * w2 * 3).sum().backward()
    assert seen == ["hook", (6.0, 3.0)]
    with pytest.raises(RuntimeError, match="queue_callback: no backward"):
        queue_callback(lambda: None)


def test_double_backward_reaches_post_accumulate_hooks():
    w = _leaf([1.5, -2.0])
    x = mg.Tensor(np.array([0.5, 3.0]), requires_grad=True)
    calls = []
    w.register_post_accumulate_grad_hook(lambda p: calls.append(p.grad.numpy().copy()))
    (gx,) = mg.grad((w * x * x).sum(), x, create_graph=True)
    assert calls == []
    (gx * gx).sum().backward()  # d/dw sum((2 w x)^2) = 8 w x^2
    np.testing.assert_allclose(calls[0], 8 * np.array([1.5, -2.0]) * np.array([0.25, 9.0]))
