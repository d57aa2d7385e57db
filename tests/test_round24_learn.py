"""Round 24 of the hostile reviews, the learning path: a Module class passed for an instance
is named with a hint, container subclasses print their own names (both against PyTorch
2.13), and the profiler's table is not a lesson about loading compiled kernels."""

import importlib.util
import re
from pathlib import Path

import pytest

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import nn

torch = pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parents[1]


def _error(fn):
    with pytest.raises(Exception) as info:
        fn()
    return info.value


# ---------------------------------------------------------------- a class for an instance
@pytest.mark.parametrize(
    "build, torch_error",
    [
        (lambda L: L.nn.Sequential(L.nn.Linear(2, 3), L.nn.ReLU), TypeError),
        (lambda L: L.nn.Sequential(L.nn.ReLU()).append(L.nn.ReLU), TypeError),
        # PyTorch's Sequential.insert asserts: "module should be of type: <class ...Module>"
        (lambda L: L.nn.Sequential(L.nn.ReLU()).insert(0, L.nn.ReLU), AssertionError),
        (lambda L: L.nn.Sequential(L.nn.Tanh()).__setitem__(0, L.nn.ReLU), TypeError),
        (lambda L: L.nn.ModuleList([L.nn.ReLU]), TypeError),
        (lambda L: L.nn.ModuleDict({"act": L.nn.ReLU}), TypeError),
        (lambda L: L.nn.Module().add_module("act", L.nn.ReLU), TypeError),
    ],
    ids=["Sequential", "append", "insert", "setitem", "ModuleList", "ModuleDict", "add_module"],
)
def test_a_module_class_for_an_instance_is_named_with_a_hint(build, torch_error):
    """PyTorch: 'torch.nn.modules.activation.ReLU is not a Module subclass'; minigrad said
    'type is not a Module subclass' (the metaclass), and now names ReLU and says ReLU()."""
    want, got = _error(lambda: build(torch)), _error(lambda: build(mg))
    assert type(want) is torch_error and type(got) is TypeError
    assert "ReLU" in str(want) or torch_error is AssertionError
    assert "the class ReLU is not a module" in str(got) and "ReLU()" in str(got)
    assert "type is not" not in str(got)


@pytest.mark.parametrize(
    "value, name",
    [(3, "int"), ("relu", "str"), (None.__class__, "NoneType"), (int, "int")],
)
def test_other_non_modules_are_named_as_pytorch_names_them(value, name):
    want = _error(lambda: torch.nn.Sequential(value))
    got = _error(lambda: nn.Sequential(value))
    assert type(want) is type(got) is TypeError
    assert str(want) == f"{name} is not a Module subclass"
    assert re.fullmatch(rf"(the class )?{name} is not a Module subclass", str(got))


def test_a_function_for_a_module_is_named():
    """PyTorch: 'torch.nn.functional.relu is not a Module subclass'; not 'function'."""
    want = _error(lambda: torch.nn.Sequential(torch.nn.functional.relu))
    got = _error(lambda: nn.Sequential(F.relu))
    assert str(want).endswith("relu is not a Module subclass")
    assert str(got) == "function relu is not a Module subclass"


# ---------------------------------------------------------------- container subclasses' reprs
def _containers(L):
    """A subclass of each container, filled as the same program fills it in both."""

    class Stack(L.nn.Sequential):
        pass

    class Heads(L.nn.ModuleDict):
        pass

    class Weights(L.nn.ParameterList):
        pass

    class Table(L.nn.ParameterDict):
        pass

    class Blocks(L.nn.ModuleList):
        pass

    p = L.nn.Parameter(L.ones(2, 3))
    return [
        Stack(L.nn.Linear(2, 3), L.nn.ReLU()),
        Stack(),
        Heads({"a": L.nn.ReLU()}),
        Weights([p]),
        Table({"w": p}),
        L.nn.ModuleList([Stack(L.nn.ReLU())]),  # nested: the inner one by its name
        Blocks([L.nn.ReLU(), L.nn.ReLU(), L.nn.Tanh()]),  # a run of equal reprs, then one
        Blocks(),
    ]


def test_container_subclasses_print_their_own_names_as_pytorch():
    """(ModuleList's own subclasses print as ModuleList still: minigrad/nn/utils/
    parametrize.py's ParametrizationList builds its repr on that name.)"""
    for want, got in zip(_containers(torch), _containers(mg), strict=True):
        assert repr(got) == repr(want).replace("torch.", "minigrad.")


def test_get_name_is_what_repr_shows_as_pytorch():
    """PyTorch's repr prints `self._get_name()`; a subclass may rename itself."""

    def build(L):
        class Renamed(L.nn.Sequential):
            def _get_name(self):
                return "Layers"

        class Plain(L.nn.Module):
            def _get_name(self):
                return "Custom"

        return [Renamed(L.nn.ReLU()), Renamed(), Plain(), L.nn.Linear(2, 3)]

    for want, got in zip(build(torch), build(mg), strict=True):
        assert repr(got) == repr(want)
        assert got._get_name() == want._get_name()


def test_subclass_index_errors_name_the_subclass():
    class Blocks(nn.ModuleList):
        pass

    with pytest.raises(IndexError, match="Blocks: index 5 out of range for 1 modules"):
        Blocks([nn.ReLU()])[5]
    with pytest.raises(TypeError, match="Blocks.append: the class ReLU is not a module"):
        Blocks().append(nn.ReLU)


# ---------------------------------------------------------------- the profiler and first calls
class _Clock:
    """A stand-in for the profiler's `time`: ops take exactly what the test says."""

    def __init__(self):
        self.now = 0.0

    def perf_counter(self):
        return self.now


def _slow_op(clock, seconds):
    class Slow(mg.autograd.Function):
        def forward(self, x):
            clock.now += seconds
            return x * 2

    return Slow()


def test_profiler_table_says_when_one_call_took_most_of_the_time(monkeypatch):
    """The first call of an op loads its compiled kernels (about a second) and made it 88-97%
    of the table in example 07 and in docs/autograd.md; the table now says so."""
    clock = _Clock()
    monkeypatch.setattr(mg.profiler, "time", clock)
    with mg.profiler.profile() as prof:
        x = _slow_op(clock, 3.0)(mg.ones(2))
        _slow_op(clock, 0.5)(x)
        _slow_op(clock, 0.5)(x)
    lines = prof.table().splitlines()
    assert lines[-2] == (
        "one Slow forward call took 3000.0 ms, 75% of the ops' time: if it was the op's first "
        "call, that is mostly its compiled kernels loading; profile after an untimed warm-up "
        "step"
    )
    assert lines[-1].startswith("ops timed: 4000.0 ms")


@pytest.mark.parametrize("seconds", [[3.0], [1.0, 1.0], [1.0, 0.5, 0.5], [0.0, 0.0]])
def test_profiler_table_has_no_such_line_otherwise(monkeypatch, seconds):
    """A single call (its share is 100% by definition), none over half, or no time: no line."""
    clock = _Clock()
    monkeypatch.setattr(mg.profiler, "time", clock)
    with mg.profiler.profile() as prof:
        for s in seconds:
            _slow_op(clock, s)(mg.ones(2))
    table = prof.table()
    assert "one Slow" not in table and "warm-up" not in table
    assert table.splitlines()[-1].startswith("ops timed:")


def _slow_backward(clock, seconds):
    class SlowBack(mg.autograd.Function):
        def forward(self, x):
            return x * 2

        def backward(self, gy):
            clock.now += seconds
            return gy * 2

    return SlowBack()


def test_profiler_note_only_for_a_row_the_table_shows(monkeypatch):
    """A table of some rows (`rows=`) names no op it leaves out, nor a share over 100%."""
    clock = _Clock()
    monkeypatch.setattr(mg.profiler, "time", clock)
    with mg.profiler.profile() as prof:
        x = _slow_op(clock, 3.0)(mg.ones(2))
        _slow_op(clock, 0.5)(x)
        _slow_backward(clock, 0.25)(mg.ones(2, requires_grad=True)).sum().backward()
    backward = [r for r in prof.rows() if r["phase"] == "backward"]
    table = prof.table(rows=backward)
    assert "SlowBack" in table and "one Slow" not in table and "warm-up" not in table
    assert "one Slow forward call took 3000.0 ms" in prof.table()


def _load_example(stem):
    path = ROOT / "examples" / f"{stem}.py"
    spec = importlib.util.spec_from_file_location(f"example_{stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_example_07_warms_up_before_profiling(tmp_path):
    """An outer profile sees the ops that ran outside the example's own: its training step
    ran once (the warm-up) before the profiled steps, each of which the inner one counts."""
    with mg.profiler.profile() as outer:
        r = _load_example("07_profile_and_draw_graph").main(
            ["--tiny", "--out", str(tmp_path / "g.dot")]
        )
    before = {(row["op"], row["phase"]): row["calls"] for row in outer.rows()}
    inner = {(row["op"], row["phase"]): row["calls"] for row in r["rows"]}
    assert before[("Conv2d", "forward")] == before[("Conv2d", "backward")] == 1
    assert inner[("Conv2d", "forward")] == inner[("Conv2d", "backward")] == 2


def test_autograd_doc_profiles_a_warm_step(tmp_path, monkeypatch):
    """docs/autograd.md's profiler block runs its ops once before the profiled ones."""
    text = (ROOT / "docs" / "autograd.md").read_text()
    section = text.split("## Seeing inside", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    assert "mg.profiler.profile()" in code
    monkeypatch.chdir(tmp_path)
    with mg.profiler.profile() as outer:
        scope = {}
        exec(compile(code, "autograd.md", "exec"), scope)
    before = {(row["op"], row["phase"]) for row in outer.rows()}
    profiled = {(row["op"], row["phase"]) for row in scope["prof"].rows()}
    assert {("ReLU", "forward"), ("ReLU", "backward"), ("Linear", "forward")} <= before
    assert before >= profiled


def test_label_smoothing_flag_names_its_real_range():
    from train import gan

    parser = gan.build_parser()
    with pytest.raises(SystemExit):
        parser.parse_args(["--label-smoothing", "1.5"])
    t = parser._option_string_actions["--label-smoothing"].type
    with pytest.raises(Exception, match=r"0 < T < 1, got 1.5"):
        t("1.5")


def test_each_objective_gets_its_own_dry_run_folder(tmp_path, monkeypatch):
    """A dry run of another --loss needs no --overwrite: its folder is named by it too."""
    from train import gan

    monkeypatch.chdir(tmp_path)
    for argv in (["--model", "mlp"], ["--model", "mlp", "--loss", "lsgan"]):
        parser = gan.build_parser()
        args = parser.parse_args([*argv, "--dry-run", "--epochs", "1"])
        gan.train(args, {"model", "dry_run", "epochs", *(["loss"] if "--loss" in argv else [])})
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == [
        "dry-run-mlp",
        "dry-run-mlp-lsgan",
    ]
