"""Pages in their users' words (issue 15): names beside ids, units beside numbers, and an
unexpected failure told without the server's paths."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from optimizer import load_scenario
from optimizer.app.failures import plain_message
from optimizer.app.map import map_features
from optimizer.app.state import MODEL_PAGES
from optimizer.app.views import readable
from optimizer.io.format import format_hours
from optimizer.pipeline.registry import MODELS, run_model
from optimizer.pipeline.run import ModelRun
from optimizer.scenario.scenario import Scenario
from tests.app.conftest import model_page
from tests.conftest import LIECHTENSTEIN, MECKLENBURG

TIMEOUT = 180
SERVER_PATH = "/srv/coop/cache/3f9a1c/roads.osm.pbf"


def _broken(scenario: Scenario, **_: object) -> ModelRun:
    raise FileNotFoundError(2, "No such file or directory", SERVER_PATH)


@pytest.fixture
def broken(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setitem(MODELS, "plain-broken", _broken)
    yield


def test_an_unexpected_failure_names_the_file_not_where_the_server_keeps_it(
    broken: None,
) -> None:
    at = AppTest.from_function(model_page, args=("plain-broken",), default_timeout=TIMEOUT)
    at.session_state["scenario_choice"] = "scenarios/liechtenstein"
    at.run()
    assert not at.exception
    shown = " ".join(e.value for e in at.error)
    assert "failed" in shown and "roads.osm.pbf" in shown, shown
    assert "/srv" not in shown and "cache" not in shown, shown


@pytest.mark.parametrize(
    ("error", "message"),
    [
        # a POSIX path in the message: its file name is left
        (OSError("cannot read /home/app/.cache/coop/x1/roads.graphml"), "roads.graphml"),
        # a Windows path
        (OSError(r"cannot read C:\Users\app\AppData\coop\roads.osm"), "roads.osm"),
        # a message without words: the kind of error stands for it
        (KeyError(), "KeyError"),
    ],
)
def test_a_plain_message_keeps_the_file_name_only(error: Exception, message: str) -> None:
    text = plain_message(error)
    assert message in text
    assert "/" not in text and "\\" not in text, text


# ------------------------------------------------------------ names and units in words
@pytest.fixture(scope="module")
def default_runs() -> tuple[Scenario, dict[str, ModelRun]]:
    scenario = load_scenario(MECKLENBURG)
    # each run is checked by its model's independent checker inside the pipeline
    return scenario, {m: run_model(scenario, m) for m in ("procurement", "markets", "hubs")}


def test_the_hubs_summary_names_each_cooperative_and_its_currency(
    default_runs: tuple[Scenario, dict[str, ModelRun]],
) -> None:
    scenario, runs = default_runs
    text = runs["hubs"].summary
    split = next(line for line in text.splitlines() if line.startswith("split ("))
    for coop in scenario.cooperatives:
        assert f"{coop.name} ({coop.id}) " in split, split
    assert split.count(" EUR") == len(scenario.cooperatives), split
    assert re.search(r"net value [\d,.]+ EUR", text), text
    assert re.search(r"direct [\d,.]+ EUR", text), text


def test_the_markets_summary_gives_income_its_currency_and_products_their_names(
    default_runs: tuple[Scenario, dict[str, ModelRun]],
) -> None:
    scenario, runs = default_runs
    text = runs["markets"].summary
    assert re.search(r"income [\d,.]+ EUR vs [\d,.]+ EUR at the farm gate \(\+[\d,.]+ EUR", text)
    sold = {p.name for p in scenario.products if p.kind == "produce"}
    access = {line.split(":")[0] for line in text.splitlines() if "within 30 min" in line}
    assert access and access <= sold, access


def test_the_equity_line_gives_savings_their_currency(
    default_runs: tuple[Scenario, dict[str, ModelRun]],
) -> None:
    _, runs = default_runs
    line = next(s for s in runs["procurement"].summary.splitlines() if "savings per member" in s)
    assert re.search(r"from [\d,.]+ EUR to [\d,.]+ EUR \(median [\d,.]+ EUR\)", line), line


def test_the_routes_summary_gives_hours_as_hours_and_minutes() -> None:
    scenario = load_scenario(LIECHTENSTEIN)
    run = run_model(scenario, "routes")
    hours = next(k.value for k in run.kpis if k.label == "hours on the road")
    assert f", {format_hours(hours)}, cost " in run.summary.splitlines()[0], run.summary


# ------------------------------------------------------------------ units in the tables
def test_a_table_of_one_products_unit_gives_prices_and_quantities_that_unit() -> None:
    scenario = load_scenario(MECKLENBURG)
    wheat = scenario.product("wheat")  # sold by the tonne
    frame = pd.DataFrame(
        {"product": ["wheat"], "price": [212.5], "net_per_unit": [198.0], "quantity": [40.0]}
    )
    columns = list(readable(frame, scenario).data.columns)
    cur = scenario.parameters.currency
    assert columns == [
        "product",
        f"price ({cur}/{wheat.unit})",
        f"net per unit ({cur}/{wheat.unit})",
        f"quantity ({wheat.unit})",
    ]


def test_a_table_of_several_units_names_each_rows_unit() -> None:
    scenario = load_scenario(MECKLENBURG)
    products = ["wheat", "milk"]  # t and kg
    frame = pd.DataFrame({"product": products, "price": [212.5, 0.45]}, index=[7, 3])
    shown = readable(frame, scenario).data
    assert list(shown.columns) == ["product", "unit", "price (EUR/unit)"]
    assert shown["unit"].tolist() == [scenario.product(p).unit for p in products]


def test_the_markets_tables_give_the_products_unit(
    default_runs: tuple[Scenario, dict[str, ModelRun]],
) -> None:
    scenario, runs = default_runs
    plan = runs["markets"].tables["plan"]
    milk = plan[plan["product"] == "milk"]
    columns = list(readable(milk, scenario).data.columns)
    assert f"price (EUR/{scenario.product('milk').unit})" in columns, columns
    assert not [c for c in columns if "/unit" in c or "(units)" in c], columns


# --------------------------------------------------------------------- the maps' words
def test_the_maps_lines_name_whose_they_are_and_give_their_units(
    default_runs: tuple[Scenario, dict[str, ModelRun]],
) -> None:
    scenario, runs = default_runs
    _, lines = map_features(scenario, runs["markets"].layers)
    first = lines[0]["properties"]
    route = runs["markets"].layers["market_routes"][0]["properties"]
    member = scenario.member(str(route["member"]))
    coop = next(c for c in scenario.cooperatives if c.id == member.cooperative)
    assert first["line"] == f"market routes: {coop.name} ({coop.id})"
    tip = first["tip"]
    assert f"member: {member.name} ({member.id})" in tip, tip
    assert f"cooperative: {coop.name} ({coop.id})" in tip, tip
    assert re.search(r"revenue \(EUR\): [\d,]+\.\d\d", tip), tip
    product = scenario.product("milk")
    assert f"products: {product.name} (milk)" in tip and f"quantity ({product.unit}): " in tip
    corridor = runs["hubs"].layers["corridors"]
    _, corridors = map_features(scenario, {"corridors": corridor})
    hub = next(h for h in scenario.hubs if h.id == corridor[0]["properties"]["hub"])
    assert f"hub: {hub.name} ({hub.id})" in corridors[0]["properties"]["tip"]
    assert "road (km): " in corridors[0]["properties"]["tip"]


def test_the_markets_planned_buyers_are_named(
    default_runs: tuple[Scenario, dict[str, ModelRun]],
) -> None:
    scenario, runs = default_runs
    table = runs["markets"].tables["own_best_vs_plan"]
    shown = readable(table, scenario).data
    column = next(c for c in shown.columns if c.startswith("planned buyers"))
    buyers = {b.id: b.name for b in scenario.buyers}
    for raw, cell in zip(table["planned_buyers"], shown[column], strict=True):
        for part in str(raw).split(";"):
            if part.strip() in buyers:
                assert f"{buyers[part.strip()]} ({part.strip()})" in str(cell), cell


def test_the_credit_pages_money_columns_give_their_currency() -> None:
    at = AppTest.from_file(MODEL_PAGES["credit"][1], default_timeout=TIMEOUT)
    at.session_state["scenario_choice"] = "scenarios/liechtenstein"
    at.run()
    assert not at.exception and at.dataframe
    currency = load_scenario(LIECHTENSTEIN).parameters.currency
    tables = [f.value.data if hasattr(f.value, "data") else f.value for f in at.dataframe]
    bare = []
    for data in tables:
        for column in data.columns:
            numeric = pd.api.types.is_numeric_dtype(data[column])
            if numeric and not pd.api.types.is_bool_dtype(data[column]) and "(" not in column:
                bare.append(column)
    assert not bare, f"numbers without their unit: {bare}"
    headers = [c for data in tables for c in data.columns]
    assert f"credit balance ({currency})" in headers and f"paid out ({currency})" in headers
