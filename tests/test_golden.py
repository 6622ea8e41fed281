"""Every KPI of every model on the bundled scenarios and variants, against recorded figures.

The figures in ``golden/kpis.json`` were recorded before the package was restructured; a change
to the code's shape must not move them. Procurement, markets and hubs are MILPs solved to the
scenario's gap; routes come from a heuristic search, run here with a seed and an iteration cap
(far before its time limit) so that its routes are the same at any machine load. Every figure
must agree to 1e-6 relative, and counts of members exactly.

Re-record (only when a figure moves for a named reason, said in the commit) with
``python -m tests.test_golden``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from optimizer import load_scenario, run_model

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).parent / "golden" / "kpis.json"
SCENARIOS = [
    "scenarios/mecklenburg",
    "scenarios/liechtenstein",
    "scenarios/variants/b96-closed.yaml",
    "scenarios/variants/cheese-dairy-closes.yaml",
    "scenarios/variants/processor-opens.yaml",
    "scenarios/variants/rainy-diesel.yaml",
]
MODELS = ["procurement", "markets", "hubs", "routes"]
EXACT = {"members collected", "members skipped", "members paying less than alone"}
# the routes' search stops at this many iterations per vehicle group, long before 60 s
ROUTES = {"iterations": 2000, "time_limit": 60.0}


def _kpis(scenario: str, model: str) -> dict[str, list[object]]:
    options = ROUTES if model == "routes" else {}
    run = run_model(load_scenario(ROOT / scenario), model, **options)
    table = run.kpi_table()
    figures: dict[str, list[object]] = {"status": [run.status.value, ""]}
    for label, value, unit in zip(table["kpi"], table["value"], table["unit"], strict=True):
        figures[str(label)] = [float(value), str(unit)]
    return figures


def _record() -> None:
    recorded = {f"{s} :: {m}": _kpis(s, m) for s in SCENARIOS for m in MODELS}
    GOLDEN.parent.mkdir(exist_ok=True)
    GOLDEN.write_text(json.dumps(recorded, indent=1, sort_keys=True) + "\n", encoding="utf-8")


@pytest.mark.slow
@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_kpis_are_as_recorded(scenario: str, model: str) -> None:
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))[f"{scenario} :: {model}"]
    got = _kpis(scenario, model)
    assert set(got) == set(expected), f"KPI labels changed: {set(got) ^ set(expected)}"
    for label, (value, unit) in expected.items():
        new_value, new_unit = got[label]
        assert new_unit == unit, label
        if label == "status" or label in EXACT:
            assert new_value == value, label
            continue
        assert isinstance(value, float) and isinstance(new_value, float)
        assert math.isclose(new_value, value, rel_tol=1e-6, abs_tol=1e-6), (
            f"{label}: {new_value} != {value}"
        )


if __name__ == "__main__":
    _record()
