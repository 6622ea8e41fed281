"""The demo prints each model's summary and notes as written: they hold user text."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from rich.console import Console

from optimizer import load_scenario
from optimizer.pipeline import demo
from optimizer.pipeline.run import ModelRun
from optimizer.results import Kpi, Status
from optimizer.scenario.scenario import Scenario
from tests.conftest import LIECHTENSTEIN


def _run_with_markup(scenario: Scenario, **_: object) -> ModelRun:
    return ModelRun(
        model="toy",
        scenario=scenario.name,
        status=Status.OPTIMAL,
        summary="cooperative Coop [/x] pays least; member m[/i]1 saves most",
        kpis=(Kpi("cost", 1.0, "EUR", False),),
        tables={"plan": pd.DataFrame({"member": ["m[/i]1"]})},
        warnings=("note on [bold]Coop[/x]",),
    )


def test_summaries_and_notes_print_as_written(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(demo, "MODELS", {"toy": _run_with_markup})
    monkeypatch.setattr(demo, "run_model", lambda scenario, name: _run_with_markup(scenario))
    out = io.StringIO()
    demo.run_demo(load_scenario(LIECHTENSTEIN), tmp_path, console=Console(file=out, width=200))
    text = out.getvalue()
    assert "Coop [/x] pays least; member m[/i]1 saves most" in text
    assert "note on [bold]Coop[/x]" in text
