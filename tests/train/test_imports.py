"""The modules of train/ import each other only at their top, and without a circle."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TRAIN = Path(__file__).resolve().parents[2] / "train"
MODULES = sorted(p.stem for p in TRAIN.glob("*.py") if p.stem != "__init__")


def _train_imports(node: ast.AST) -> list[str]:
    """The train modules that one import statement names (train.gan -> "gan")."""
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    elif isinstance(node, ast.ImportFrom):
        if node.level:  # a relative import inside the train package
            base = node.module.split(".")[0] if node.module else None
            return [base] if base else [a.name for a in node.names if a.name in MODULES]
        if node.module == "train":  # from train import common, run as scaffold
            return [a.name for a in node.names if a.name in MODULES]
        names = [node.module or ""]
    else:
        return []
    return [n.split(".")[1] for n in names if n.startswith("train.")]


def _imports(source: str) -> tuple[set[str], list[tuple[int, str]]]:
    """(every train module imported, (line, module) of those imported below the top)."""
    tree = ast.parse(source)
    top = {id(node) for node in tree.body}
    every, nested = set(), []
    for node in ast.walk(tree):
        for name in _train_imports(node):
            every.add(name)
            if id(node) not in top:
                nested.append((node.lineno, name))
    return every, nested


def _graph() -> dict[str, set[str]]:
    return {m: _imports((TRAIN / f"{m}.py").read_text(encoding="utf-8"))[0] for m in MODULES}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle as [a, b, ..., a], or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        path.append(m)
        for n in sorted(graph.get(m, ())):
            if state.get(n) == 1:
                return path[path.index(n) :] + [n]
            if n not in state and (found := visit(n)):
                return found
        state[m] = 2
        path.pop()
        return None

    for m in sorted(graph):
        if m not in state and (found := visit(m)):
            return found
    return None


@pytest.mark.parametrize("module", MODULES)
def test_train_modules_import_train_modules_at_the_top(module):
    _, nested = _imports((TRAIN / f"{module}.py").read_text(encoding="utf-8"))
    where = [f"train/{module}.py:{line} imports train.{name}" for line, name in nested]
    assert not where, f"imports of train modules inside a function or block: {where}"


def test_no_import_circle_among_train_modules():
    graph = _graph()
    assert graph["gan"] >= {"common", "run"}  # the parse sees imports
    cycle = _cycle(graph)
    assert cycle is None, "import circle: " + " -> ".join(f"train.{m}" for m in cycle)


@pytest.mark.parametrize(
    "source, nested",
    [
        ("from train import common\n", []),
        ("import train.gan\n", []),
        ("def f():\n    from train.gan import TOY\n", [(2, "gan")]),
        ("def f():\n    import train.evaluate as e\n", [(2, "evaluate")]),
        ("if True:\n    from train import run as scaffold\n", [(2, "run")]),
        ("class A:\n    def f(self):\n        from .metrics import x\n", [(3, "metrics")]),
        ("def f():\n    from train import common\n", [(2, "common")]),
        ("def f():\n    import numpy\n", []),
    ],
)
def test_the_parse_finds_nested_imports(source, nested):
    assert _imports(source)[1] == nested


def test_the_cycle_search():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"gan": {"evaluate"}, "evaluate": {"gan"}}) == ["evaluate", "gan", "evaluate"]
