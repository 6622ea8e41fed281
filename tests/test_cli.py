"""The command line: version, validate, demo."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from optimizer import __version__, load_scenario
from optimizer.cli import app
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
