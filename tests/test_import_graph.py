"""The package's import graph: no cycles, layers import downwards only, and a torch run stays
without onnx. Read from the source with ``ast`` (every import statement: module level, inside
functions, under TYPE_CHECKING), so an import that would close a cycle only on some code path
counts as much as one at the top of a file, and so does ``importlib.import_module("yoloxsp.x")``."""
from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Set

import pytest

import yoloxsp

pytestmark = pytest.mark.core

PACKAGE = Path(yoloxsp.__file__).resolve().parent
# Lower layers first; a module may import its own layer and those before it.
LAYERS = ["io", "data", "synth", "model", "analysis", "export", "metrics", "movie", "batch", "integrations",
          "cli"]
CORE = LAYERS[:LAYERS.index("integrations")]
FRAMEWORKS = {"modelscope", "easycv", "mmcv"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES: Dict[str, Path] = {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _imports(name: str) -> Set[str]:
    """Every module ``name`` imports (yoloxsp's own resolved to modules, others by top-level name)."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: Set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1] + ([base] if base else []))
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base)
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "import_module" and node.args
              and isinstance(node.args[0], ast.Constant) and str(node.args[0].value).startswith("yoloxsp.")):
            found.add(node.args[0].value)  # importlib.import_module("yoloxsp.x"): an import all the same
    return {m if m.split(".")[0] != "yoloxsp" else _known(m) for m in found}


def _known(name: str) -> str:
    while name not in MODULES:
        name = name.rpartition(".")[0]
    return name


GRAPH: Dict[str, Set[str]] = {name: {m for m in _imports(name) if m in MODULES and m != name} for name in MODULES}


def _cycles() -> List[List[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    found: List[List[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in GRAPH[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(GRAPH):
        if node not in index:
            visit(node)
    return found


def _layer(name: str):
    parts = name.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else None


def test_the_graph_sees_the_package():
    assert len(MODULES) > 60
    assert "yoloxsp.model.yoloxsp" in GRAPH["yoloxsp.model.checkpoint"]  # a relative import
    assert "yoloxsp.integrations.easycv.hooks" in GRAPH["yoloxsp.integrations.easycv.trainer"]  # `from . import x`


def test_no_import_cycles():
    assert _cycles() == []


def test_the_cycle_finder_finds_a_cycle():
    GRAPH["yoloxsp.model.decode"].add("yoloxsp.model.yoloxsp")
    try:
        assert any({"yoloxsp.model.decode", "yoloxsp.model.yoloxsp"} <= set(cycle) for cycle in _cycles())
    finally:
        GRAPH["yoloxsp.model.decode"].discard("yoloxsp.model.yoloxsp")


def test_layers_import_downwards_only():
    upward = sorted(f"{name} -> {target}" for name, targets in GRAPH.items() for target in targets
                    if _layer(name) is not None and _layer(target) is not None and _layer(target) > _layer(name))
    assert upward == []


def test_the_core_imports_no_training_framework():
    offending = sorted(f"{name} imports {module}" for name in MODULES if _layer(name) is not None
                       and LAYERS[_layer(name)] in CORE for module in _imports(name)
                       if module.split(".")[0] in FRAMEWORKS)
    assert offending == []


def test_a_torch_run_imports_no_onnx():
    """Importing the exporter and predicting with the torch backend leaves onnx unimported (only
    an export needs it)."""
    if importlib.util.find_spec("onnx") is None:
        pytest.skip("onnx is not installed here, so nothing could import it")
    script = ("import sys, numpy as np\n"
              "import yoloxsp.model.onnx_export\n"
              "from yoloxsp.model.backends import Predictor\n"
              "from yoloxsp.model.resolve import open_backend\n"
              "found = Predictor(open_backend('yoloxsp', backend='torch'))(np.zeros((96, 96, 3), np.uint8))\n"
              "print(len(found), 'onnx' in sys.modules)\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["1", "False"]  # detections for the one frame; onnx not imported
