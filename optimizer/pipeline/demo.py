"""Every model on one scenario, written to a folder: what ``optimizer demo`` runs."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console

from optimizer.io.write import places_geojson, write_geojson, write_json, write_tables
from optimizer.pipeline.registry import MODELS, missing_tables, run_model
from optimizer.pipeline.run import ModelRun
from optimizer.scenario.scenario import Scenario
from optimizer.scenario.schema import TABLE_MODELS

__all__ = ["run_demo"]


def run_demo(
    scenario: Scenario,
    out: Path,
    *,
    console: Console | None = None,
    on_run: Callable[[ModelRun], object] | None = None,
) -> list[Path]:
    """Run every available model on ``scenario`` and write the results to ``out`` (a model
    whose optional tables the scenario lacks, such as credit's, is skipped with a line).

    ``on_run`` is called with each model's run as it finishes (the CLI records it).
    """
    console = console or Console(quiet=True)
    out = Path(out)
    written: list[Path] = []
    started = time.perf_counter()
    tables = {name: scenario.table(name) for name in TABLE_MODELS}
    written += write_tables(
        {k: v for k, v in tables.items() if not v.empty}, out / "scenario", workbook="scenario.xlsx"
    )
    written.append(write_geojson(places_geojson(scenario), out / "places.geojson", roads=False))
    kpis: dict[str, Any] = {}
    for name in MODELS:
        lacking = missing_tables(scenario, name)
        if lacking:
            console.print(f"\n[bold]{name}[/bold]: skipped (no table {', '.join(lacking)})")
            continue
        with console.status(f"solving {name} ..."):
            run = run_model(scenario, name)
        console.print(f"\n[bold]{name}[/bold] ({run.runtime_s:.1f} s): ", end="")
        # the summary holds user text (names, notes): printed as written, never as markup
        console.print(run.summary, markup=False, highlight=False)
        for note in run.warnings:
            console.print("  [yellow]note[/yellow]: ", end="")
            console.print(note, markup=False, highlight=False)
        if on_run is not None:
            on_run(run)
        written += run.write(out / name)
        kpis[name] = {"status": run.status.value, **run.kpi_values()}
    summary = {
        "scenario": scenario.summary(),
        "models": kpis,
        "runtime_s": time.perf_counter() - started,
    }
    written.append(write_json(summary, out / "summary.json"))
    return written
