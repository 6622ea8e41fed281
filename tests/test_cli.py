"""The command line: version, validate, demo."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pandas as pd
import pytest
from rich.console import Console
from typer.testing import CliRunner

from optimizer import __version__, load_scenario
from optimizer.cli.main import app
from optimizer.pipeline.run import ModelRun
from optimizer.results import Kpi, Status
from tests.conftest import LIECHTENSTEIN, MECKLENBURG, TINY

runner = CliRunner()


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output


def test_validate_prints_the_summary() -> None:
    result = runner.invoke(app, ["validate", str(MECKLENBURG)])
    assert result.exit_code == 0, result.output
    assert "Mecklenburg cooperatives" in result.output
    assert "valid" in result.output and "roads.osm.bz2" in result.output
    for coop in load_scenario(MECKLENBURG).cooperatives:
        assert coop.id in result.output


def test_validate_workbook_form(tmp_path: Path) -> None:
    book = load_scenario(LIECHTENSTEIN).to_xlsx(tmp_path / "liechtenstein.xlsx")
    result = runner.invoke(app, ["validate", str(book)])
    assert result.exit_code == 0, result.output
    assert "Liechtenstein cooperatives" in result.output


def test_validate_missing_path(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(tmp_path / "nothing")])
    assert result.exit_code == 2
    assert result.output.startswith("error: ") and "not found" in result.output


def test_demo_writes_its_outputs(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["demo", "--scenario", str(TINY), "--out", str(out)])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["scenario"]["members"] == 3
    places = json.loads((out / "places.geojson").read_text())
    roles = {f["properties"]["role"] for f in places["features"]}
    assert roles == {"member", "supplier", "buyer", "hub"}
    assert (out / "scenario" / "scenario.xlsx").is_file()


def test_solve_markets_prints_and_writes(tmp_path: Path) -> None:
    out = tmp_path / "markets"
    result = runner.invoke(
        app,
        ["solve", str(LIECHTENSTEIN), "--model", "markets", "--member", "M003", "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert "Every reachable buyer for M003" in result.output
    plan = json.loads((out / "markets.json").read_text())
    assert plan["status"] == "optimal" and plan["kpis"]["income"] > 0
    routes = json.loads((out / "market_routes.geojson").read_text())
    assert routes["attribution"].startswith("©") and routes["features"]
    assert (out / "route_comparison.csv").is_file() and (out / "markets.xlsx").is_file()


def test_solve_unknown_model_and_member() -> None:
    result = runner.invoke(app, ["solve", str(TINY), "--model", "teleport"])
    assert result.exit_code == 2 and "expected one of" in result.output
    result = runner.invoke(app, ["solve", str(TINY), "--model", "markets", "--member", "zz"])
    assert result.exit_code == 2 and "zz" in result.output


def test_network_commands(tmp_path: Path) -> None:
    roads = LIECHTENSTEIN / "roads.osm.bz2"
    result = runner.invoke(app, ["network", "info", str(roads)])
    assert result.exit_code == 0, result.output
    assert "residential" in result.output
    out = tmp_path / "matrix.csv"
    result = runner.invoke(app, ["network", "matrix", str(LIECHTENSTEIN), "--out", str(out)])
    assert result.exit_code == 0, result.output
    sc = load_scenario(LIECHTENSTEIN)
    assert len(out.read_text().splitlines()) == 1 + len(sc.members) * len(sc.buyers)
    result = runner.invoke(app, ["network", "info", str(tmp_path / "none.osm")])
    assert result.exit_code == 2 and result.output.startswith("error: ")


def test_run_tables_show_times_of_day_and_formatted_numbers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    routes = pd.DataFrame(
        {"route": ["milk #0"], "start_min": [390.0], "end_min": [742.4], "cost": [1234.5678]}
    )
    kpis = (Kpi("km driven", 12.3456, "km"),)
    run = ModelRun("routes", "toy", Status.FEASIBLE, "one tour", kpis, {"routes": routes})
    cli_main = importlib.import_module("optimizer.cli.main")  # the package's `main` is a function
    console = Console(record=True, width=200)
    monkeypatch.setattr(cli_main, "console", console)
    cli_main.print_run(run)
    text = console.export_text()
    # the tables hold minutes after midnight and raw figures; the terminal reads clock times
    assert "06:30" in text and "12:22" in text and "1,235" in text and "12.35" in text
    assert "390" not in text
