"""The models run end to end on the bundled scenarios, over the real roads, with their checks."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import optimizer.geo
from optimizer import load_scenario
from optimizer.pipeline.registry import run_model
from optimizer.pipeline.travel import road_network, route_lines, travel
from tests.conftest import LIECHTENSTEIN, MECKLENBURG, ROOT, TINY

VARIANTS = ROOT / "scenarios" / "variants"


@pytest.fixture(scope="module")
def mecklenburg_hubs():  # type: ignore[no-untyped-def]
    return run_model(load_scenario(MECKLENBURG), "hubs")


def test_travel_on_roads_and_fallback() -> None:
    sc = load_scenario(LIECHTENSTEIN)
    trips = travel(sc, sc.table("members"), sc.table("buyers"))
    assert trips.on_roads and trips.distance_m.shape == (len(sc.members), len(sc.buyers))
    assert np.all(np.isfinite(trips.distance_m)) and np.all(trips.time_s > 0)
    tiny = load_scenario(TINY)
    flat = travel(tiny, tiny.table("members"), tiny.table("buyers"))
    assert not flat.on_roads and "straight lines" in flat.warnings[0]


def test_road_paths_are_drawn_once_on_the_same_roads(monkeypatch: pytest.MonkeyPatch) -> None:
    sc = load_scenario(LIECHTENSTEIN)
    buyer = sc.buyers[0]
    pairs = pd.DataFrame(
        [
            {
                "member": m.id,
                "origin_lat": m.lat,
                "origin_lon": m.lon,
                "destination_lat": buyer.lat,
                "destination_lon": buyer.lon,
            }
            for m in sc.members[:4]
        ]
    )
    drawn: list[int] = []
    real = optimizer.geo.route_geometries

    def spy(network, frame, **options):  # type: ignore[no-untyped-def]
        drawn.append(len(frame))
        return real(network, frame, **options)

    monkeypatch.setattr(optimizer.geo, "route_geometries", spy)
    first = route_lines(sc, pairs, properties=["member"])
    assert sum(drawn) <= len(pairs)  # none drawn twice (some may be kept from another test)
    drawn.clear()
    # the same roads (a fuel price changes none of them): nothing drawn again
    dearer = sc.model_copy(
        update={"parameters": sc.parameters.model_copy(update={"fuel_price_factor": 1.5})}
    )
    again = route_lines(dearer, pairs.iloc[::-1], properties=["member"])
    assert not drawn
    assert again == first[::-1]
    fresh = real(road_network(sc), pairs)
    for feature, km in zip(first, fresh["distance_m"] / 1000, strict=True):
        assert feature["properties"]["road_km"] == pytest.approx(km)
        assert len(feature["geometry"]["coordinates"]) >= 2


def test_markets_run_is_consistent() -> None:
    run = run_model(load_scenario(LIECHTENSTEIN), "markets")
    assert run.status.value == "optimal"
    plan = run.tables["plan"]
    # income recomputed from the plan's rows equals the KPI (the checker ran inside)
    assert plan["revenue"].sum() == pytest.approx(run.kpi_values()["income"], rel=1e-9)
    assert run.kpi_values()["gain over the farm gate"] >= 0
    assert run.layers["market_routes"] and all(
        f["geometry"]["coordinates"] for f in run.layers["market_routes"]
    )


def test_hubs_share_value_on_the_default_scenario(mecklenburg_hubs) -> None:  # type: ignore[no-untyped-def]
    run = mecklenburg_hubs
    assert run.status.value == "optimal"
    # the whole network can do what any split of it does, so sharing is worth at least 0;
    # on the default scenario it is worth something
    kpis = run.kpi_values()
    assert kpis["value of sharing"] > 0
    split = run.tables["sharing"]
    for rule in ("shapley", "least_core", "proportional"):
        assert split[f"gain_{rule}"].sum() == pytest.approx(kpis["value of sharing"], abs=1e-6)
    assert kpis["hubs open"] >= 1 and kpis["trucks on corridors"] >= 1
    corridors = run.tables["corridors"]
    assert (corridors["load_kg"] <= corridors["trucks"] * corridors["payload_kg"] + 1e-6).all()


def test_processor_opens_changes_the_hub_plan(mecklenburg_hubs) -> None:  # type: ignore[no-untyped-def]
    variant = load_scenario(VARIANTS / "processor-opens.yaml")
    run = run_model(variant, "hubs")
    assert run.kpi_values()["net value"] > mecklenburg_hubs.kpi_values()["net value"]
    flows = run.tables["corridor_flows"]
    direct = run.tables["direct"]
    assert "B10" in set(flows["buyer"]) | set(direct["buyer"])


def test_rainy_season_slows_trips() -> None:
    dry = load_scenario(MECKLENBURG)
    rainy = load_scenario(VARIANTS / "rainy-diesel.yaml")
    members, buyers = dry.table("members"), dry.table("buyers")
    t_dry = travel(dry, members, buyers).time_s
    t_rain = travel(rainy, members, buyers).time_s
    assert np.all(t_rain >= t_dry - 1e-9) and np.any(t_rain > t_dry + 1)
    assert math.isclose(rainy.parameters.fuel_price_factor, 1.2)


@pytest.mark.parametrize("engine", ["pyvrp", "ortools"])
def test_routes_collect_every_member_on_the_small_scenario(engine: str) -> None:
    sc = load_scenario(LIECHTENSTEIN)
    run = run_model(sc, "routes", engine=engine, time_limit=1)
    suppliers = {s.member for s in sc.supply}
    collected = set(run.tables["stops"]["member"])
    skipped = set(run.tables["skipped"]["member"])
    assert collected | skipped == suppliers and not collected & skipped
    routes = run.tables["routes"]
    assert (routes["load_kg"] <= routes["payload_kg"]).all()
    assert run.kpi_values()["collection cost"] == pytest.approx(routes["cost"].sum())
    assert len(run.layers["routes"]) == len(run.tables["stops"]) + len(routes)  # legs


def test_rainy_season_lengthens_collection_tours() -> None:
    dry = run_model(load_scenario(MECKLENBURG), "routes", time_limit=1)
    rainy = run_model(load_scenario(VARIANTS / "rainy-diesel.yaml"), "routes", time_limit=1)
    assert rainy.kpi_values()["hours on the road"] > dry.kpi_values()["hours on the road"]
    assert rainy.kpi_values()["collection cost"] > dry.kpi_values()["collection cost"]


@pytest.mark.parametrize(
    ("path", "rule", "level"),
    [(LIECHTENSTEIN, "shapley", "cooperative"), (TINY, "least_core", "member")],
)
def test_procurement_bills_add_up_and_are_stable(path: Path, rule: str, level: str) -> None:
    sc = load_scenario(path)
    run = run_model(sc, "procurement", rule=rule, level=level)
    assert run.status.value == "optimal"
    bills = run.tables["split"]
    # the members' bills add up to the pooled cost, and nobody pays more than alone
    assert bills["bill"].sum() == pytest.approx(run.kpi_values()["pooled cost"], rel=1e-6)
    assert (bills["bill"] <= bills["alone"] + 1e-6).all()
    assert run.kpi_values()["savings"] == pytest.approx(
        bills["alone"].sum() - bills["bill"].sum(), rel=1e-6
    )
    verdict = run.tables["stability"].iloc[0]
    assert verdict["stable"] and verdict["verdict"].startswith("stable: no group")


@pytest.mark.parametrize(
    ("rule", "level", "group", "ids"),
    [
        # proportional bills among the tiny scenario's members: two farms would leave
        ("proportional", "member", "members Farm One (m1), Farm Two (m2)", "m1, m2"),
        # by volume among its cooperatives: the dairy group would leave
        ("volume", "cooperative", "cooperative Dairy group (dairy)", "dairy"),
    ],
)
def test_an_unstable_split_names_who_would_leave(
    rule: str, level: str, group: str, ids: str
) -> None:
    run = run_model(load_scenario(TINY), "procurement", rule=rule, level=level)
    verdict = run.tables["stability"].iloc[0]
    assert not verdict["stable"]
    assert verdict["verdict"].startswith(f"{group} would save ")
    assert f"{group} would save " in run.summary
    # the table's group keeps the ids (the app names them from the scenario)
    assert verdict["gaining_group"] == ids


def test_procurement_on_the_default_scenario_saves() -> None:
    run = run_model(load_scenario(MECKLENBURG), "procurement")
    assert (
        run.kpi_values()["savings"] > 0 and run.kpi_values()["members paying less than alone"] > 100
    )
    assert run.layers["deliveries"]
    # under a stable split every member is better off than buying alone
    assert run.tables["stability"].iloc[0]["stable"]
    equity = dict(zip(run.tables["equity"]["figure"], run.tables["equity"]["value"], strict=True))
    assert equity["members better off (%)"] == pytest.approx(100)
    assert 0 <= equity["Gini of savings"] < 1
    assert set(run.tables["equity_by_tag"]["tag"]) >= {"women_led", "smallholder"}


def test_closing_the_main_road_changes_routes_and_incomes() -> None:
    base = run_model(load_scenario(MECKLENBURG), "markets")
    closed = run_model(load_scenario(VARIANTS / "b96-closed.yaml"), "markets")
    assert closed.kpi_values()["income"] < base.kpi_values()["income"]
    assert (
        closed.kpi_values()["mean travel time to the buyer"]
        > base.kpi_values()["mean travel time to the buyer"]
    )
    assert any(note.startswith("road closures: closed") for note in closed.warnings)
    comparison = closed.tables["route_comparison"].merge(
        base.tables["route_comparison"], on=["member", "product", "buyer"], suffixes=("", "_base")
    )
    assert (comparison["time_h"] >= comparison["time_h_base"] - 1e-9).all()
    assert (comparison["time_h"] > comparison["time_h_base"] + 1e-6).sum() > 10
