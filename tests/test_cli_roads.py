"""`optimizer validate` and `solve` check closures and places against the roads first."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from optimizer.cli.main import app
from tests.conftest import MECKLENBURG

runner = CliRunner()


def _variant(tmp_path: Path, closures: str) -> Path:
    path = tmp_path / "closed.yaml"
    path.write_text(
        f"base: {MECKLENBURG.as_posix()}\nname: closed\nadd:\n  network.closures: {closures}\n",
        encoding="utf-8",
    )
    return path


def test_validate_refuses_a_closure_that_matches_no_road(tmp_path: Path) -> None:
    path = _variant(tmp_path, '[{name: "B 96"}, {name: "Neustrelitzer Strase"}]')
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    (line,) = result.output.splitlines()
    assert line.startswith(f"error: {path}, key 'network.closures[1].name'")
    assert "got 'Neustrelitzer Strase'" in line and "did you mean 'Neustrelitzer Straße'" in line


def test_solve_refuses_it_before_any_solve(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_solve(*args: object, **kwargs: object) -> None:
        raise AssertionError("solved a scenario with a closure that closes nothing")

    monkeypatch.setattr("optimizer.pipeline.registry.run_model", no_solve)
    path = _variant(tmp_path, '[{name: "B 69"}]')
    result = runner.invoke(app, ["solve", str(path), "--model", "markets"])
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"error: {path}, key 'network.closures[0].name'")
    assert "did you mean 'B 96'" in result.output


def test_validate_names_places_far_from_a_road() -> None:
    result = runner.invoke(app, ["validate", str(MECKLENBURG)])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    # the farthest member first, by id and name
    assert "warning: 65 places more than 250 m from a road" in text
    assert "road): member M076 (Arable farm Zippelow 25) is 760 m from the nearest road;" in text
    assert text.endswith("valid: no problems found")
