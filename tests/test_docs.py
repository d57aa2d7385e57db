"""README.md and docs/*.md point at things that exist.

Checked in every page: each relative link and image target (and its `#anchor` in a page),
each `path/like/this.py` in backticks, each symbol named with its file, "`name`
(`path.py`)" or "`name` in `path.py`" (a `def`, `class`, assignment or CUDA kernel of that
name in that file; `Class.method` needs both), that every picture in docs/ is shown
somewhere, and that every python block starting with `import minigrad` runs.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

FENCE = re.compile(r"^```([^\n]*)\n(.*?)^```", re.S | re.M)
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)|<img [^>]*src=\"([^\"]+)\"")
CODE = re.compile(r"`([^`\n]+)`")
# files by their extension, and folders of the repository (`tests/compat/`); not run outputs
PATH = re.compile(
    r"^(?:[\w.-]+/)+[\w.-]+\.(?:py|md|png|toml|npz|txt|cfg)$|^\.ci/run$"
    r"|^(?:minigrad|models|train|tests|docs|examples|benchmarks)/(?:[\w.-]+/)*$"
)
SYMBOL = r"[A-Za-z_][\w.]*(?:\(\))?"
PY = r"((?:[\w.-]+/)+[\w.-]+\.py)"
# "`name` (`path.py`)", "`name` (`path.py`, ...)" and "`name` in `path.py`"
NAMED = re.compile(rf"`({SYMBOL})`\s+(?:\(|in\s+)`{PY}`")
# "`path.py` (`name`, `name`)" or "[`file.py`](path.py) (`name`)": a file, or a link to
# it, followed by a parenthesised list of its names
LISTED = re.compile(rf"(?:`{PY}`|\[`[^`]+`\]\({PY}\))\s+\(((?:`{SYMBOL}`(?:,\s*|\s+and\s+)?)+)\)")


def _text(page: Path) -> str:
    return page.read_text(encoding="utf-8")


def _prose(page: Path) -> str:
    """The page without its fenced code blocks."""
    return FENCE.sub("", _text(page))


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = re.sub(r"[`*]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    return {_slug(h) for h in re.findall(r"^#+\s+(.*)$", _prose(page), re.M)}


def _links(page: Path) -> list[str]:
    return [a or b for a, b in LINK.findall(_prose(page))]


def _references(page: Path) -> list[tuple[str, str]]:
    """(symbol, file) pairs the page names together."""
    prose = _prose(page)
    found = [(name, path) for name, path in NAMED.findall(prose)]
    for path, linked, names in LISTED.findall(prose):
        found += [(name, path or linked) for name in CODE.findall(names)]
    return found


def _defines(source: str, name: str) -> bool:
    n = re.escape(name)
    pattern = rf"^\s*(?:(?:async\s+)?def|class)\s+{n}\b|^\s*{n}\s*(?::[^=\n]*)?=|\bvoid\s+{n}\s*\("
    return re.search(pattern, source, re.M) is not None


def _programs(page: Path) -> list[str]:
    blocks = FENCE.findall(_text(page))
    return [
        code
        for lang, code in blocks
        if lang.strip() == "python" and "import minigrad" in code.split("\n", 1)[0]
    ]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_links_resolve(page):
    missing = []
    for target in _links(page):
        if re.match(r"[a-z]+:", target):
            continue  # http(s), mailto: not checked offline
        file, _, anchor = target.partition("#")
        dest = (page.parent / file).resolve() if file else page
        if not dest.exists():
            missing.append(target)
        elif anchor and dest.suffix == ".md" and anchor not in _anchors(dest):
            missing.append(f"{target} (no heading with that anchor)")
    assert not missing, f"{page.name}: links to nothing: {missing}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_backticked_paths_exist(page):
    paths = [c for c in CODE.findall(_prose(page)) if PATH.match(c)]
    missing = [p for p in paths if not (ROOT / p).exists()]
    assert not missing, f"{page.name}: names files that do not exist: {missing}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_named_symbols_exist_in_their_files(page):
    missing = []
    for name, path in _references(page):
        file = ROOT / path
        if not file.exists():
            missing.append(f"{name} ({path}: no such file)")
            continue
        source = file.read_text(encoding="utf-8")
        parts = name.removesuffix("()").split(".")
        if not all(_defines(source, part) for part in parts):
            missing.append(f"{name} ({path})")
    assert not missing, f"{page.name}: names symbols its files do not define: {missing}"


def test_the_docs_name_code_with_its_file():
    """The symbol check is not vacuous: the pages tie many names to files."""
    refs = {ref for page in PAGES for ref in _references(page)}
    assert len(refs) >= 60, sorted(refs)
    assert ("run_backward", "minigrad/autograd.py") in refs


def test_every_picture_in_docs_is_shown():
    shown = {(page.parent / t).resolve() for page in PAGES for t in _links(page)}
    unused = [p.name for p in sorted((ROOT / "docs").glob("*.png")) if p.resolve() not in shown]
    assert not unused, f"pictures in docs/ that no page shows: {unused}"


def test_readme_is_a_short_front_door():
    text = _text(ROOT / "README.md")
    assert len(text.encode("utf-8")) < 10_000
    for command in (
        "pip install -e . && python -m train.gan",
        'pip install -e ".[dev]" && python -m pytest',
    ):
        assert command in text
    assert 'pip install -e ".[dev]" && python -m pytest' in _text(ROOT / ".ci" / "run")


@pytest.mark.parametrize("page", [p for p in PAGES if _programs(p)], ids=lambda p: p.name)
def test_python_examples_run(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples may write files (a checkpoint)
    for code in _programs(page):
        exec(compile(code, f"{page.name} example", "exec"), {"__name__": "__doc_example__"})
