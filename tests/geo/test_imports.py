"""The roads folder's imports, read from the source: no cycle, no solver, no model.

Imports inside functions count too (they run as soon as the function does). An import of
``a.b.c`` is counted as an edge to ``a.b.c`` only, not to its parent packages, which Python
imports first but which do not take part in the module's own dependencies.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).parents[2] / "optimizer"
FORBIDDEN = (
    "pulp",
    "highspy",
    "ortools",
    "pyvrp",
    "optimizer.models",
    "optimizer.pipeline",
    "optimizer.cli",
    "optimizer.app",
    "optimizer.scenario",
)


def _modules() -> dict[str, Path]:
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in modules else base)
    return found


def _graph() -> nx.DiGraph:
    modules = _modules()
    graph = nx.DiGraph()
    for name, path in modules.items():
        graph.add_node(name)
        for target in _imports(name, path, modules):
            graph.add_edge(name, target)
    return graph


def _cycles(graph: nx.DiGraph, prefix: str) -> list[list[str]]:
    """The import cycles (a module importing itself included) with a module under ``prefix``."""
    return [
        sorted(part)
        for part in nx.strongly_connected_components(graph)
        if any(m.startswith(prefix) for m in part)
        if len(part) > 1 or graph.has_edge(next(iter(part)), next(iter(part)))
    ]


def test_no_geo_module_in_an_import_cycle() -> None:
    assert _cycles(_graph(), "optimizer.geo") == []


def test_geo_imports_no_solver_and_no_model() -> None:
    graph = _graph()
    bad = [
        (module, target)
        for module, target in graph.edges
        if module.startswith("optimizer.geo.") or module == "optimizer.geo"
        if any(target == f or target.startswith(f + ".") for f in FORBIDDEN)
    ]
    assert bad == []
    # the scan sees the imports it should: the loader reads OSM files
    assert graph.has_edge("optimizer.geo.load", "optimizer.geo._osm.read")
