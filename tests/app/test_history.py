"""The History page: stored runs filtered, one reopened as recorded, two side by side."""

from __future__ import annotations

from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from optimizer.io.format import format_number
from optimizer.pipeline.run import ModelRun
from optimizer.scenario.load import load_scenario
from optimizer.scenario.variants import apply_overrides
from optimizer.store import open_store
from tests.conftest import LIECHTENSTEIN
from tests.test_app import TIMEOUT, no_errors, toy_model


def history_page() -> None:
    from optimizer.app.history import render_history_page

    render_history_page()


@pytest.fixture
def stored(app_store: str) -> list[tuple[int, ModelRun]]:
    """Two toy runs (fuel 1 and 1.5) in the test's own store, which the app opens."""
    base = load_scenario(LIECHTENSTEIN)
    dearer = apply_overrides(base, {"set": {"parameters.fuel_price_factor": 1.5}}, source="t")
    store = open_store(app_store)
    runs = [toy_model(base), toy_model(dearer)]
    ids = [store.record(run, scenario) for run, scenario in zip(runs, (base, dearer), strict=True)]
    store.close()
    return list(zip(ids, runs, strict=True))


def test_history_lists_reopens_and_compares(stored: list[tuple[int, ModelRun]]) -> None:
    (first, run), (second, dearer) = stored
    at = AppTest.from_function(history_page, default_timeout=TIMEOUT).run()
    no_errors(at)
    listing = at.dataframe[0].value
    assert list(listing["run"]) == [second, first]  # newest first
    assert set(at.selectbox(key="hist-model").options) == {"any", "toy"}
    at.multiselect(key="hist-runs").select(first).run()
    no_errors(at)
    cards = {m.label: m.value for m in at.metric}
    assert cards["cost"] == format_number(run.kpi_values()["cost"], "EUR")  # as recorded
    at.multiselect(key="hist-runs").select(second).run()
    no_errors(at)
    side = at.table[0].value  # the side by side of the KPIs, as on the Compare page
    row = side.set_index("kpi").loc["cost"]
    assert row[f"run {first}"] == pytest.approx(100.0)
    assert row[f"run {second}"] == pytest.approx(dearer.kpi_values()["cost"]) == 150.0


def test_history_filters_by_model_and_date_and_says_when_nothing_matches(
    stored: list[tuple[int, ModelRun]],
) -> None:
    at = AppTest.from_function(history_page, default_timeout=TIMEOUT).run()
    at.selectbox(key="hist-model").select("toy").run()
    no_errors(at)
    assert len(at.dataframe[0].value) == 2
    at.date_input(key="hist-dates").set_value((date(2020, 1, 1), date(2020, 1, 31))).run()
    no_errors(at)
    assert not at.dataframe
    assert "No stored run matches" in at.info[0].value


def test_history_with_an_empty_store_says_so(app_store: str) -> None:
    at = AppTest.from_function(history_page, default_timeout=TIMEOUT).run()
    no_errors(at)
    assert "No run is recorded yet" in at.info[0].value
