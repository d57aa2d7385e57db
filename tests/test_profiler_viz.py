"""The per-op profiler counts what ran; the DOT graph lists exactly the graph's nodes and
edges."""

import gc
import json
import re
import shutil

import pytest

import minigrad as mg
from minigrad import nn


def test_profiler_counts_ops_of_a_tiny_graph():
    x = mg.randn(4, 3, requires_grad=True)
    w = mg.randn(3, 2, requires_grad=True)
    with mg.profiler.profile() as prof:
        y = (x @ w).tanh()
        loss = (y * y).sum()
        loss.backward()
    calls = {(r["op"], r["phase"]): r["calls"] for r in prof.rows()}
    assert calls == {
        ("MatMul", "forward"): 1,
        ("Tanh", "forward"): 1,
        ("Mul", "forward"): 1,
        ("Sum", "forward"): 1,
        ("Sum", "backward"): 1,
        ("Mul", "backward"): 1,
        ("Tanh", "backward"): 1,
        ("MatMul", "backward"): 1,
        # y feeds Mul twice: the walk adds its two gradients (an array sum, no node)
        ("AccumulateGrad", "backward"): 1,
    }  # the ops each backward runs internally are charged to that backward
    assert all(r["total_s"] >= 0 for r in prof.rows())
    table = prof.table()
    assert table.splitlines()[0].split()[:3] == ["op", "phase", "calls"]
    assert "ops timed" in table


def test_garbage_collection_is_timed_apart_from_the_op_it_falls_in(tmp_path):
    """A collection inside an op (here forced, over many live objects) is counted on its own
    line and trace bar, not in the op's time: one full collection, 93 ms, fell in a
    LeakyReLU forward of 0.03 ms and made LeakyReLU a fifth of a profiled MLP GAN step."""

    class Collect(mg.autograd.Function):
        def forward(self, x):
            gc.collect()
            return x * 2

    junk = [(i, [i]) for i in range(300_000)]  # what the collection has to walk
    with mg.profiler.profile() as prof:
        y = Collect()(mg.ones(3))
    del junk
    assert y.tolist() == [2.0, 2.0, 2.0]
    g = prof.gc_stats
    assert g["collections"] >= 1 and g["in_ops_s"] <= g["total_s"] <= prof.wall
    op = prof.stats[("Collect", "forward")]
    assert op[0] == 1 and 0 <= op[1] < g["in_ops_s"] / 5  # the op's own work only
    assert "garbage collector ran" in prof.table().splitlines()[-1]
    path = tmp_path / "trace.json"
    prof.export_chrome_trace(str(path))
    events = json.loads(path.read_text())["traceEvents"]
    pauses = [e for e in events if e["cat"] == "gc"]
    assert pauses and all(e["ts"] >= 0 for e in pauses)
    assert sum(e["dur"] for e in pauses) == pytest.approx(1e6 * g["total_s"])
    with mg.profiler.profile() as quiet:  # no collection: no such line
        gc.disable()
        try:
            mg.ones(2) * 2
        finally:
            gc.enable()
    assert quiet.gc_stats["collections"] == 0 and "garbage" not in quiet.table()
    assert prof._on_gc not in gc.callbacks and quiet._on_gc not in gc.callbacks


def test_profiler_records_nothing_outside_and_restores():
    with mg.profiler.profile() as prof:
        pass
    (mg.randn(3, requires_grad=True) * 2).sum().backward()
    assert prof.rows() == []


def _parse(dot):
    nodes = dict(re.findall(r"^\s+(\w+) \[label=\"([^\"]*)\"", dot, re.M))
    edges = set(re.findall(r"^\s+(\w+) -> (\w+);", dot, re.M))
    return nodes, edges


def test_dot_lists_exactly_nodes_and_edges():
    lin = nn.Linear(3, 2)
    x = mg.randn(5, 3)
    out = lin(x).relu().sum()
    nodes, edges = _parse(mg.viz.to_dot(out, lin))
    labels = sorted(v.split("\\n")[0] for v in nodes.values())
    # output, Sum, ReLU, Linear, the data x and the two named parameters
    assert labels == sorted(["output", "Sum", "ReLU", "Linear", "(5, 3) float32", "weight", "bias"])
    by_label = {v.split("\\n")[0]: k for k, v in nodes.items()}
    expected = {
        (by_label["output"], by_label["Sum"]),
        (by_label["Sum"], by_label["ReLU"]),
        (by_label["ReLU"], by_label["Linear"]),
        (by_label["Linear"], by_label["(5, 3) float32"]),
        (by_label["Linear"], by_label["weight"]),
        (by_label["Linear"], by_label["bias"]),
    }
    assert edges == expected
    assert "(5, 2) float32" in nodes[by_label["ReLU"]]


def test_draw_graph_writes_dot_and_refuses_freed_graph(tmp_path):
    x = mg.randn(2, requires_grad=True)
    y = (x * x).sum()
    path = mg.viz.draw_graph(y, tmp_path / "g.dot")
    assert path.read_text().startswith("digraph minigrad {")
    y.backward()
    with pytest.raises(RuntimeError, match="freed"):
        mg.viz.to_dot(y)


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_draw_graph_renders_png(tmp_path):
    y = (mg.randn(2, requires_grad=True).exp()).sum()
    out = mg.viz.draw_graph(y, tmp_path / "g.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_draw_graph_without_dot_returns_the_dot_file(tmp_path, monkeypatch):
    """As its docstring and docs/autograd.md say: no Graphviz, the DOT file (it raised)."""
    monkeypatch.setattr(mg.viz.shutil, "which", lambda name: None)
    y = (mg.randn(2, requires_grad=True).exp()).sum()
    with pytest.warns(UserWarning, match="Graphviz"):
        out = mg.viz.draw_graph(y, tmp_path / "g.png")
    assert out == tmp_path / "g.dot" and out.read_text().startswith("digraph minigrad {")
    assert not (tmp_path / "g.png").exists()


def test_pytorch_profiler_spelling(tmp_path):
    """A program written for torch.profiler runs: activities and other options, a
    record_function region, key_averages().table(sort_by=, row_limit=), a Chrome trace,
    and the torch.autograd.profiler path."""
    import json

    from minigrad.autograd.profiler import profile as autograd_profile

    from minigrad.profiler import ProfilerActivity, profile, record_function

    m = mg.nn.Sequential(mg.nn.Linear(4, 8), mg.nn.ReLU(), mg.nn.Linear(8, 1))
    with profile(
        activities=[ProfilerActivity.CPU], record_shapes=True, profile_memory=True
    ) as prof:
        with record_function("model_inference"):
            y = m(mg.randn(5, 4)).sum()
        y.backward()
        prof.step()
    text = prof.key_averages().table(sort_by="cpu_time_total", row_limit=3)
    lines = text.splitlines()
    assert lines[0].split()[:2] == ["op", "phase"] and len(lines) == 1 + 3 + 1
    assert prof.stats[("model_inference", "region")][0] == 1
    assert prof.stats[("Linear", "forward")][0] == 2 and prof.stats[("ReLU", "backward")][0] == 1
    region = [r for r in prof.rows() if r["phase"] == "region"][0]
    ops = sum(r["total_s"] for r in prof.rows() if r["phase"] != "region")
    assert f"{1e3 * ops:.1f} ms" in lines[-1]  # the region is not added to the ops' time
    assert region["total_s"] <= prof.wall
    by_count = prof.key_averages().table(sort_by="count").splitlines()[1]
    assert by_count.split()[:2] in (["Linear", "forward"], ["Linear", "backward"])
    path = tmp_path / "trace.json"
    prof.export_chrome_trace(str(path))
    events = json.loads(path.read_text())["traceEvents"]
    names = {(e["name"], e["cat"]) for e in events}
    assert ("model_inference", "region") in names and ("Linear", "backward") in names
    assert all(e["ph"] == "X" and e["dur"] >= 0 and e["ts"] >= 0 for e in events)
    with autograd_profile(use_cuda=False) as p2:
        (mg.ones(2, requires_grad=True) * 2).sum().backward()
    assert p2.stats[("Mul", "backward")][0] == 1
    with record_function("outside"):  # no profile active: nothing to record
        mg.ones(1) + 1
    with pytest.raises(NotImplementedError, match="schedule"):
        profile(schedule=lambda step: None)
    with pytest.raises(NotImplementedError):
        mg.profiler.schedule(wait=1, warmup=1, active=2)
