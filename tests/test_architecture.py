"""The package's shape, read from its source: layers, import cycles, module and function size.

``docs/architecture.md`` draws the layers; these tests hold the code to that drawing. Imports
are read with ``ast`` from every module of ``optimizer/``, including imports inside functions,
because a cycle that only closes at run time is still a cycle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "optimizer"
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80
# A function longer than MAX_FUNCTION_LINES is allowed only when it is one model formulation
# written as maths, and its docstring says so in these words.
FORMULATION_MARK = "one formulation, written as maths"

SOLVERS = ("pulp", "highspy", "ortools", "pyvrp", "optimizer.solver", "optimizer.solver_matrix")
FACES = ("optimizer.cli", "optimizer.app", "streamlit", "typer")
# layer -> what it must never import (prefixes of module names)
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "optimizer.models": (
        "optimizer.geo",
        "optimizer.pipeline",
        "optimizer.io",
        "osmnx",
        "geopandas",
        "shapely",
        "networkx",
        *FACES,
    ),
    "optimizer.geo": (
        "optimizer.models",
        "optimizer.pipeline",
        "optimizer.scenario",
        *SOLVERS,
        *FACES,
    ),
    "optimizer.scenario": (
        "optimizer.models",
        "optimizer.pipeline",
        "optimizer.geo",
        *SOLVERS,
        *FACES,
    ),
    "optimizer.io": ("optimizer.models", "optimizer.pipeline", *SOLVERS, *FACES),
    # reading and writing files knows no scenario (the scenario uses them; uploads load one)
    "optimizer.io.read": ("optimizer.scenario",),
    "optimizer.io.write": ("optimizer.scenario",),
    "optimizer.io.geojson": ("optimizer.scenario",),
    "optimizer.io.format": ("optimizer.",),
    # the run store sits above the pipeline (the pipeline never records a run itself), sweeps
    # above the store
    "optimizer.pipeline": ("optimizer.sweep", "optimizer.store", *FACES),
    "optimizer.store": ("optimizer.models", "optimizer.geo", "optimizer.sweep", *SOLVERS, *FACES),
    # sweeps run the pipeline's models; never a model, a solver or a face directly
    "optimizer.sweep": ("optimizer.models", *SOLVERS, *FACES),
    # statements print a run's tables: no model, solver, road or face of their own
    "optimizer.statements": (
        "optimizer.models",
        "optimizer.pipeline",
        "optimizer.geo",
        "optimizer.store",
        "optimizer.sweep",
        *SOLVERS,
        *FACES,
    ),
    "optimizer.cli": ("optimizer.models", *SOLVERS),
    "optimizer.app": ("optimizer.models", *SOLVERS),
    "optimizer.results": ("optimizer.",),
    "optimizer.errors": ("optimizer.",),
    "optimizer.geodesy": ("optimizer.",),
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()


def _imports(path: Path) -> Iterator[tuple[str, int]]:
    """Every module ``path`` imports at run time (at any depth of the code), with its line.

    Imports under ``if TYPE_CHECKING:`` are for the type checker only and never run.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in _runtime_nodes(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                # ``from optimizer.io import upload`` imports the module optimizer.io.upload
                yield (full if full in MODULES else node.module), node.lineno


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            yield from (n for child in node.orelse for n in _runtime_nodes_of(child))
            continue
        yield node
        yield from _runtime_nodes(node)


def _runtime_nodes_of(node: ast.AST) -> Iterator[ast.AST]:
    yield node
    yield from _runtime_nodes(node)


def _graph() -> dict[str, set[str]]:
    return {
        name: {target for target, _ in _imports(path) if target in MODULES}
        for name, path in MODULES.items()
    }


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module, or a module importing itself."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1 or node in graph[node]:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle_even_at_run_time() -> None:
    assert _cycles(_graph()) == []


def test_the_scan_sees_imports_inside_functions() -> None:
    # run_routes' engines are imported inside solve_routes: the scan must see them, or a cycle
    # closed at run time would go unnoticed
    graph = _graph()
    assert "optimizer.models.routing._pyvrp" in graph["optimizer.models.routing.solve"]
    assert "optimizer.geo._osm.read" in graph["optimizer.geo.load"]


def test_cycle_finder_finds_a_cycle() -> None:
    # the finder itself, on a hand-made graph: a -> b -> c -> a is one cycle, d stands apart
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layers_import_only_what_they_may(layer: str) -> None:
    banned = FORBIDDEN[layer]
    wrong = []
    for name, path in MODULES.items():
        if name != layer and not name.startswith(layer + "."):
            continue
        for target, line in _imports(path):
            if any(
                target == b or target.startswith(b if b.endswith(".") else b + ".") for b in banned
            ):
                wrong.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {target}")
    assert wrong == [], f"{layer} may not import {', '.join(banned)}"


def test_no_module_is_too_long() -> None:
    long = {
        str(path.relative_to(PACKAGE.parent)): n
        for path in MODULES.values()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def test_no_function_is_too_long_unless_it_is_a_formulation() -> None:
    long = []
    for path in MODULES.values():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            doc = ast.get_docstring(node) or ""
            if length > MAX_FUNCTION_LINES and FORMULATION_MARK not in " ".join(doc.split()):
                long.append(
                    f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {node.name} ({length})"
                )
    assert long == []


def test_every_folder_says_what_it_is() -> None:
    for path in PACKAGE.rglob("__init__.py"):
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        assert len(doc.split()) >= 20, f"{path.relative_to(PACKAGE.parent)} needs its paragraph"
