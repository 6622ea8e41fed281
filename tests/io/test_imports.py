"""The files folder's imports, read from the source: no cycle, and the scenario may use writing."""

from __future__ import annotations

import networkx as nx

from tests.geo.test_imports import _cycles, _graph


def test_no_io_module_in_an_import_cycle() -> None:
    assert _cycles(_graph(), "optimizer.io") == []


def test_reading_and_writing_do_not_import_the_scenario() -> None:
    graph = _graph()
    for module in ("optimizer.io.read", "optimizer.io.write", "optimizer.io.geojson"):
        reached = nx.descendants(graph, module)
        assert not any(m.startswith("optimizer.scenario") for m in reached), module
    # the scan sees the import it should: the scenario writes its workbook here
    assert graph.has_edge("optimizer.scenario.scenario", "optimizer.io.write")
