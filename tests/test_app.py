"""The Streamlit app through ``streamlit.testing.v1.AppTest``: every page runs, shows the
library's numbers, reacts to the what-if controls, and reports bad input as messages."""

from __future__ import annotations

import math
from collections.abc import Iterator
from functools import partial

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from optimizer import apply_overrides, load_scenario
from optimizer.app.scenario_page import problems_by_table
from optimizer.app.state import MODEL_PAGES, PAGES, WHATIF_OPTIONS, cached_run
from optimizer.app.whatif import build_overrides
from optimizer.cli.commands import APP_FILE
from optimizer.errors import InputError
from optimizer.io.format import format_number
from optimizer.pipeline.registry import MODELS, run_model
from optimizer.pipeline.routes import run_routes
from optimizer.pipeline.run import ModelRun
from optimizer.results import Kpi, Status
from optimizer.scenario.scenario import Scenario
from optimizer.scenario.variants import replace_tables
from tests.conftest import LIECHTENSTEIN, MECKLENBURG, ROOT

APP = str(APP_FILE)  # the app's main script inside the package, as `optimizer app` runs it
SMALL = "scenarios/liechtenstein"
DEFAULT = "scenarios/mecklenburg"
TIMEOUT = 180


def registered() -> list[str]:
    return [m for m in MODEL_PAGES if m in MODELS]


def toy_model(scenario: Scenario) -> ModelRun:
    """A stand-in model: its cost is 100 x the fuel price factor, a line to the first buyer."""
    members = pd.DataFrame(
        {
            "member": [m.id for m in scenario.members],
            "cooperative": [m.cooperative for m in scenario.members],
            "value": [
                float(i) * scenario.parameters.fuel_price_factor
                for i in range(len(scenario.members))
            ],
        }
    )
    first, buyer = scenario.members[0], scenario.buyers[0]
    line = {
        "type": "Feature",
        "geometry": {
            "type": "LineString",
            "coordinates": [[first.lon, first.lat], [buyer.lon, buyer.lat]],
        },
        "properties": {"member": first.id, "distance_m": 1000.0},
    }
    return ModelRun(
        model="toy",
        scenario=scenario.name,
        status=Status.OPTIMAL,
        summary="a toy run",
        kpis=(
            Kpi("cost", 100.0 * scenario.parameters.fuel_price_factor, "EUR", False),
            Kpi("km", 12.5, "km", False),
        ),
        tables={"plan": members},
        layers={"routes": [line]},
        per_member=members,
        value_label="savings (EUR)",
    )


@pytest.fixture
def toy(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setitem(MODELS, "toy", toy_model)
    yield


def toy_page() -> None:
    from optimizer.app.shell import page_setup
    from optimizer.app.views import render_model_page

    page_setup()
    render_model_page("toy")


@pytest.fixture
def same_routes_every_run(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Routes searched to an iteration cap (long before the time limit), in the app and in the
    test alike: a time-limited search gives other routes when the machine is busier, and the
    page and the library must be compared on the same plan. No cached run from another test."""
    monkeypatch.setitem(MODELS, "routes", partial(run_routes, iterations=1000, time_limit=60.0))
    cached_run.clear()
    yield
    cached_run.clear()


def app_on(scenario: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["scenario_choice"] = scenario
    return at


def no_errors(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def metrics(at: AppTest) -> dict[str, tuple[str, str]]:
    return {m.label: (m.value, m.delta) for m in at.metric}


@pytest.mark.parametrize("scenario", [DEFAULT, SMALL])
def test_scenario_page_shows_the_scenario(scenario: str) -> None:
    at = app_on(scenario).run()
    no_errors(at)
    loaded = load_scenario(ROOT / scenario)
    shown = metrics(at)
    assert shown["Members"][0] == str(len(loaded.members))
    assert shown["Buyers"][0] == str(len(loaded.buyers))
    assert any(s.key == "wi_fuel" for s in at.slider)  # the what-if sidebar is there
    assert any(loaded.name in m.value for m in at.sidebar.markdown)


def test_the_checkouts_app_py_runs_the_same_app() -> None:
    # `streamlit run app.py` from a checkout: the thin entry at the root, no stale pages/
    assert not (ROOT / "pages").exists()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.session_state["scenario_choice"] = SMALL
    at.run()
    no_errors(at)
    assert metrics(at)["Members"][0] == str(len(load_scenario(LIECHTENSTEIN).members))


@pytest.mark.parametrize("scenario", [DEFAULT, SMALL])
def test_the_generic_model_page_renders_a_run(toy: None, scenario: str) -> None:
    at = AppTest.from_function(toy_page, default_timeout=TIMEOUT)
    at.session_state["scenario_choice"] = scenario
    at.run()
    no_errors(at)
    assert metrics(at)["cost"] == ("100.00 EUR", "")  # money with two decimals
    assert metrics(at)["km"] == ("12.5 km", "")
    assert [getattr(d, "label", None) for d in at.get("download_button")][:1] == ["plan.csv"]


def test_a_what_if_control_changes_the_result(toy: None) -> None:
    at = AppTest.from_function(toy_page, default_timeout=TIMEOUT)
    at.session_state["scenario_choice"] = SMALL
    at.run()
    at.slider(key="wi_fuel").set_value(1.5).run()
    no_errors(at)
    # the toy's cost is 100 x the fuel factor (1.0 in the base): 150, 50 more than the base
    assert metrics(at)["cost"] == ("150.00 EUR", "+50.00 EUR")
    assert metrics(at)["km"][0] == "12.5 km"  # unchanged by the fuel price
    assert any("fuel price x1.5" in m.value for m in at.sidebar.markdown)


@pytest.mark.parametrize("model", list(MODEL_PAGES))
def test_model_pages_show_the_library_numbers_on_the_small_scenario(
    model: str, same_routes_every_run: None
) -> None:
    assert model in registered(), f"{model} is not registered in optimizer.pipeline.run.MODELS"
    at = app_on(SMALL).run()
    at.switch_page(MODEL_PAGES[model][1]).run()
    no_errors(at)
    expected = run_model(load_scenario(LIECHTENSTEIN), model)
    shown = metrics(at)
    for kpi in expected.kpis:
        assert shown[kpi.label][0] == format_number(kpi.value, kpi.unit), kpi.label


def test_a_routes_what_if_says_its_search_stops_once_settled(same_routes_every_run: None) -> None:
    at = app_on(SMALL).run()
    at.switch_page(MODEL_PAGES["routes"][1]).run()
    at.slider(key="wi_fuel").set_value(1.2).run()
    no_errors(at)
    assert any("shorter search than the base's" in i.value for i in at.info)
    # the same figures as the library's run with the what-if's options (a search stopped by
    # iteration counts alone: the same plan at any load)
    scenario = load_scenario(LIECHTENSTEIN)
    variant = apply_overrides(scenario, build_overrides(scenario, fuel_factor=1.2)[0])
    expected = run_model(variant, "routes", **WHATIF_OPTIONS["routes"][0])
    assert "iterations without a better plan" in expected.summary
    shown = metrics(at)
    for kpi in expected.kpis:
        assert shown[kpi.label][0] == format_number(kpi.value, kpi.unit), kpi.label
    assert any("iterations without a better plan" in t.value for t in at.text)


@pytest.mark.slow
@pytest.mark.parametrize("model", list(MODEL_PAGES))
def test_model_pages_show_the_library_numbers_on_the_default_scenario(
    model: str, same_routes_every_run: None
) -> None:
    assert model in registered(), f"{model} is not registered in optimizer.pipeline.run.MODELS"
    at = app_on(DEFAULT).run()
    at.switch_page(MODEL_PAGES[model][1]).run()
    no_errors(at)
    expected = run_model(load_scenario(MECKLENBURG), model)
    shown = metrics(at)
    for kpi in expected.kpis:
        assert shown[kpi.label][0] == format_number(kpi.value, kpi.unit), kpi.label


def test_the_credit_page_shows_the_balance_and_each_members_schedule_by_name() -> None:
    at = app_on(SMALL).run()
    at.switch_page(MODEL_PAGES["credit"][1]).run()
    no_errors(at)
    scenario = load_scenario(LIECHTENSTEIN)
    (member,) = [s for s in at.selectbox if s.key == "credit-member"]
    assert list(member.options) == [m.name for m in scenario.members]
    assert any("credit balance and cash by month" in h.value for h in at.subheader)
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    # the season's last cash is explained beside the chart when it is not zero
    balance = run_model(scenario, "credit").tables["balance"]
    explained = [c.value for c in at.caption if "not a shortfall of the plan" in c.value]
    assert bool(explained) == (abs(float(balance["cash"].iloc[-1])) >= 0.005)
    member.set_value(scenario.members[3].name).run()
    no_errors(at)


def test_compare_page_puts_the_what_if_beside_the_base(toy: None) -> None:
    assert registered(), "no model is registered: the Compare page is not listed"
    at = app_on(SMALL).run()
    at.slider(key="wi_fuel").set_value(1.2).run()
    at.switch_page(str(PAGES / "compare.py")).run()
    no_errors(at)
    assert at.text and "variant(s) against 'base'" in at.text[0].value


def test_an_invalid_upload_is_a_clear_message() -> None:
    def page() -> None:
        from optimizer.app.state import show_input_error
        from optimizer.errors import InputError
        from optimizer.io.upload import load_upload

        try:
            load_upload("farm.zip", b"not a zip at all")
        except InputError as exc:
            show_input_error(exc, title="'farm.zip' is not a valid scenario")

    at = AppTest.from_function(page).run()
    assert not at.exception
    assert "'farm.zip' is not a valid scenario" in at.error[0].value
    assert "a .zip archive of a scenario folder" in at.error[0].value


def test_edit_problems_are_grouped_by_table_and_row() -> None:
    base = load_scenario(LIECHTENSTEIN)
    members = base.table("members")
    members.loc[1, "lat"] = 123.0  # not a latitude
    with pytest.raises(InputError) as caught:
        replace_tables(base, {"members": members})
    grouped = problems_by_table(caught.value.problems)
    assert list(grouped) == ["members"]
    assert (grouped["members"][0].row, grouped["members"][0].column) == (3, "lat")


def test_what_if_overrides_match_the_controls() -> None:
    base = load_scenario(LIECHTENSTEIN)
    overrides, changes = build_overrides(
        base,
        fuel_factor=1.5,
        payload_factor=0.5,
        threshold_factor=0.8,
        rainy=True,
        unpaved_factor=0.3,
        removed_buyers=[base.buyers[0].id],
    )
    variant = apply_overrides(base, overrides)
    factor = base.parameters.fuel_price_factor * 1.5
    assert math.isclose(variant.parameters.fuel_price_factor, factor)
    assert variant.network.season == "rainy"
    assert variant.network.seasonal_factors["unpaved"] == 0.3
    assert variant.suppliers[0].truck_payload_kg == pytest.approx(
        base.suppliers[0].truck_payload_kg * 0.5
    )
    assert base.buyers[0].id not in {b.id for b in variant.buyers}
    assert len(changes) == 6
    # the buyer by its name, the id beside
    assert f"buyers removed: {base.buyers[0].name} ({base.buyers[0].id})" in changes
    assert build_overrides(base) == ({}, [])  # untouched controls: the base itself
