"""Scenario → roads → matrices → models → results: the one place that joins them.

The faces (CLI, app) call these functions; the models never see roads, only arrays.
"""

from __future__ import annotations

import time
from pathlib import Path

from rich.console import Console

from optimizer.report import places_geojson, write_geojson, write_json, write_tables
from optimizer.scenario import Scenario
from optimizer.schema import TABLE_MODELS

__all__ = ["run_demo"]


def run_demo(scenario: Scenario, out: Path, *, console: Console | None = None) -> list[Path]:
    """Run every available model on ``scenario`` and write the results to ``out``."""
    console = console or Console(quiet=True)
    out = Path(out)
    written: list[Path] = []
    started = time.perf_counter()
    tables = {name: scenario.table(name) for name in TABLE_MODELS}
    written += write_tables(
        {k: v for k, v in tables.items() if not v.empty}, out / "scenario", workbook="scenario.xlsx"
    )
    written.append(write_geojson(places_geojson(scenario), out / "places.geojson", roads=False))
    summary = {"scenario": scenario.summary(), "runtime_s": time.perf_counter() - started}
    written.append(write_json(summary, out / "summary.json"))
    return written
