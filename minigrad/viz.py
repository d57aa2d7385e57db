"""Draw the computation graph behind a tensor as Graphviz DOT.

Each op (Function) is a box labelled with its name and output shape and dtype; leaf tensors
are ellipses, parameters shaded and named; arrows point the way gradients flow, from an
op's output back to each of its inputs. `dot` renders the file to PNG or SVG when it is
installed (`apt-get install graphviz`, `brew install graphviz`, or `conda install graphviz`).
"""

from __future__ import annotations

import shutil
import subprocess
import warnings
from pathlib import Path
from typing import Any

from .tensor import Tensor


def _shape(t: Tensor | tuple) -> str:
    shape = t.shape if isinstance(t, Tensor) else t
    return "(" + ", ".join(str(n) for n in shape) + ")"


def to_dot(root: Tensor, params: dict[str, Tensor] | Any = None, name: str = "minigrad") -> str:
    """DOT text of the graph that produced `root`. `params` maps names to parameters (a
    dict, or a Module whose named_parameters are used) so they are labelled."""
    if params is not None and hasattr(params, "named_parameters"):
        params = dict(params.named_parameters())
    names = {id(t): n for n, t in (params or {}).items()}
    lines = [f"digraph {name} {{", '  rankdir="BT";', '  node [fontname="Helvetica", fontsize=10];']
    seen_fn: set[int] = set()
    seen_leaf: set[int] = set()

    def leaf_node(t: Tensor) -> str:
        nid = f"t{id(t)}"
        if id(t) not in seen_leaf:
            seen_leaf.add(id(t))
            label = names.get(id(t), "")
            is_param = id(t) in names or type(t).__name__ == "Parameter"
            text = f"{label}\\n{_shape(t)} {t.dtype}" if label else f"{_shape(t)} {t.dtype}"
            style = ', style=filled, fillcolor="#cfe8cf"' if is_param else ""
            if not t.requires_grad:
                style = ", style=dashed"  # a constant: data or a number, no gradient
            lines.append(f'  {nid} [label="{text}", shape=ellipse{style}];')
        return nid

    root_id = f"t{id(root)}"
    lines.append(
        f'  {root_id} [label="output\\n{_shape(root)} {root.dtype}", shape=doubleoctagon];'
    )
    stack = []
    if root.creator is not None:
        lines.append(f"  {root_id} -> f{id(root.creator)};")
        stack.append(root.creator)
    else:
        seen_leaf.add(id(root))
    while stack:
        f = stack.pop()
        if id(f) in seen_fn:
            continue
        seen_fn.add(id(f))
        if hasattr(f, "_released"):
            raise RuntimeError(
                "draw_graph: the graph was freed by backward; draw it before "
                "calling backward (or use retain_graph=True)"
            )
        shapes = ", ".join(f"{_shape(s)}" for s, _ in f._out_meta)
        dtype = f._out_meta[0][1]
        lines.append(
            f'  f{id(f)} [label="{type(f).__name__}\\n{shapes} {dtype}", shape=box, style=rounded];'
        )
        for i, e in enumerate(f.edges):  # a leaf, (creator, output index), or a constant
            if type(e) is tuple:
                lines.append(f"  f{id(f)} -> f{id(e[0])};")
                stack.append(e[0])
            elif e is not None:
                lines.append(f"  f{id(f)} -> {leaf_node(e)};")
            else:  # a constant (data or a number): the graph keeps its shape, not the tensor
                shape, dtype = f._in_meta[i]
                nid = f"c{id(f)}_{i}"
                text = f"{_shape(shape)} {dtype}"
                lines.append(f'  {nid} [label="{text}", shape=ellipse, style=dashed];')
                lines.append(f"  f{id(f)} -> {nid};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def draw_graph(root: Tensor, path: str | Path, params: Any = None) -> Path:
    """Write the graph behind `root` to `path`: `.dot` writes DOT text; `.png`/`.svg`/`.pdf`
    also render it with Graphviz's `dot` (the DOT file is written beside it either way).
    Returns the path of the picture (or of the DOT file when `dot` is not installed)."""
    path = Path(path)
    dot_path = path if path.suffix == ".dot" else path.with_suffix(".dot")
    dot_path.parent.mkdir(parents=True, exist_ok=True)
    dot_path.write_text(to_dot(root, params), encoding="utf-8")
    if path.suffix == ".dot":
        return dot_path
    exe = shutil.which("dot")
    if exe is None:  # the DOT file is the graph: say how to render it, and return it
        warnings.warn(
            f"draw_graph: wrote {dot_path}; rendering {path.suffix} needs Graphviz's `dot` "
            "program (apt-get install graphviz / brew install graphviz), so no picture was "
            "made",
            UserWarning,
            stacklevel=2,
        )
        return dot_path
    subprocess.run([exe, f"-T{path.suffix[1:]}", str(dot_path), "-o", str(path)], check=True)
    return path
