"""``optimizer robust``: futures sampled around a bundled scenario, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from optimizer.cli.main import app
from tests.conftest import LIECHTENSTEIN

runner = CliRunner()


def test_robust_plan_from_the_command_line(tmp_path: Path) -> None:
    out = tmp_path / "robust"
    sampled = ["--samples", "3", "--seed", "1", "--draw", "supply=0.3"]
    args = ["robust", str(LIECHTENSTEIN), *sampled, "--vary", "fuel_price_factor=1.0,1.5"]
    args += ["--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "robust hubs (expected): optimal" in result.output
    assert "hubs open in every future: H1" in result.output
    saved = json.loads((out / "robust_hubs.json").read_text())
    assert saved["kpis"]["samples"] == 3
    assert (out / "comparison.csv").exists() and (out / "hub_frequency.csv").exists()


def test_bad_options_are_one_error_line() -> None:
    for args, said in (
        (["--objective", "worst"], "--objective"),
        (["--samples", "0"], "--samples"),
        (["--draw", "prices"], "--draw"),
    ):
        result = runner.invoke(app, ["robust", str(LIECHTENSTEIN), *args])
        assert result.exit_code == 2, result.output
        assert "error:" in result.output and said in result.output
