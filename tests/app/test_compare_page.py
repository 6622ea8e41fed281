"""The Compare page names every member, those a variant leaves out too, with the reason."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from optimizer import load_scenario
from optimizer.app.compare import WHAT_IF
from optimizer.app.state import PAGES
from optimizer.pipeline.registry import MODELS
from optimizer.pipeline.run import ModelRun
from optimizer.results import Kpi, Status
from optimizer.scenario.scenario import Scenario
from tests.conftest import LIECHTENSTEIN

REASON = "no vehicle reaches the farm in time"


def _collect(scenario: Scenario) -> ModelRun:
    """A stand-in model: dearer fuel leaves the first member out, with a reason."""
    dear = scenario.parameters.fuel_price_factor > 1.0
    members = list(scenario.members[1:] if dear else scenario.members)
    per_member = pd.DataFrame(
        {
            "member": [m.id for m in members],
            "cooperative": [m.cooperative for m in members],
            "value": [10.0 * (i + 1) for i in range(len(members))],
        }
    )
    skipped = pd.DataFrame(
        {"member": [scenario.members[0].id] if dear else [], "reason": [REASON] if dear else []}
    )
    return ModelRun(
        model="collect",
        scenario=scenario.name,
        status=Status.OPTIMAL,
        summary="collected",
        kpis=(Kpi("members collected", float(len(members)), "members", True),),
        tables={"skipped": skipped},
        layers={},
        per_member=per_member,
    )


@pytest.fixture
def collect(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setitem(MODELS, "collect", _collect)
    yield


def test_members_a_variant_leaves_out_are_listed_with_their_reason(collect: None) -> None:
    at = AppTest.from_file(str(PAGES / "compare.py"), default_timeout=180)
    at.session_state["scenario_choice"] = "scenarios/liechtenstein"
    at.run()
    at.selectbox(key="cmp-model").set_value("collect").run()
    at.slider(key="wi_fuel").set_value(1.2).run()
    at.multiselect(key="cmp-variants").set_value([WHAT_IF]).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    first = load_scenario(LIECHTENSTEIN).members[0]
    left_out = [d.value for d in at.dataframe if "reason" in d.value.columns]
    assert len(left_out) == 1
    row = left_out[0].iloc[0]
    assert row["member"] == f"{first.name} ({first.id})"  # the name, the id beside it
    assert row["reason"] == REASON
    assert any("Not in 'what-if' (1 members)" in c.value for c in at.caption)
    # the winners and losers name members too, and say the unit of their money
    currency = load_scenario(LIECHTENSTEIN).parameters.currency
    gains = [d.value for d in at.dataframe if f"gain for the member ({currency})" in d.value]
    assert gains and all("(" in str(m) for g in gains for m in g["member"])
