"""The routes adapter: every member is routed or reported, the run's status is the worst of
its vehicle groups', and the tables hold raw numbers with their units in the column names."""

from __future__ import annotations

import math
import time
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import pytest

from optimizer import load_scenario
from optimizer.models.routing import check_routes, solve, solve_routes
from optimizer.models.routing.problem import RoutingProblem
from optimizer.models.routing.solve import RoutingResult
from optimizer.pipeline import routes as adapter
from optimizer.pipeline.registry import run_model
from optimizer.results import Status
from tests.conftest import LIECHTENSTEIN


def no_plan_for_milk(problem: RoutingProblem, **options: Any) -> RoutingResult:
    """The real search for every group but milk's, whose search finds nothing."""
    if problem.name.endswith(": milk"):
        empty = pd.DataFrame()
        return RoutingResult(
            Status.NO_SOLUTION, "pyvrp", 1.0, math.nan, empty, empty, empty, message=""
        )
    return solve_routes(problem, **options)


def test_a_group_without_a_plan_lists_its_members_as_skipped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Liechtenstein has two vehicle groups: milk tankers, and vans for potatoes and
    # vegetables. The milk group's search finds no plan: its members were once neither
    # routed nor reported, under a "feasible" status.
    monkeypatch.setattr(adapter, "solve_routes", no_plan_for_milk)
    sc = load_scenario(LIECHTENSTEIN)
    run = run_model(sc, "routes", time_limit=1)  # the vans' plan is checked inside
    milk = {s.member for s in sc.supply if s.product == "milk"}
    suppliers = {s.member for s in sc.supply}
    collected = set(run.tables["stops"]["member"])
    skipped = run.tables["skipped"]
    assert milk and collected and milk - collected == milk
    assert set(skipped["member"]) | collected == suppliers
    reasons = skipped.set_index("member")["reason"]
    for member in milk:
        assert reasons[member] == (
            "no collection plan for the milk vehicles: the search found none in 1 s"
        )
    assert run.status is Status.NO_SOLUTION  # the worst of feasible (vans) and no solution
    assert "not collected: no collection plan for the milk vehicles" in run.summary
    assert run.kpi_values()["members skipped"] == len(skipped) >= len(milk)


def milk_never_set_up(engine: str, problem: RoutingProblem, **options: Any) -> Any:
    """The real engine for every group but milk's, whose set-up never ends."""
    if problem.name.endswith(": milk"):
        while True:
            time.sleep(1)
    return solve.run_engine(engine, problem, **options)  # type: ignore[arg-type]


@pytest.mark.slow
def test_a_group_whose_setup_overruns_says_so_for_each_member(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the child resolves the patched engine by name: this module's milk_never_set_up
    monkeypatch.setattr(solve, "run_engine", milk_never_set_up)
    monkeypatch.setattr(solve, "setup_allowance", lambda n, c=0: 5.0)
    sc = load_scenario(LIECHTENSTEIN)
    run = run_model(sc, "routes", time_limit=1)  # the vans' plan is checked inside
    milk = {s.member for s in sc.supply if s.product == "milk"}
    reasons = run.tables["skipped"].set_index("member")["reason"]
    assert milk and milk <= set(reasons.index)
    for member in milk:
        assert reasons[member].startswith(
            "no collection plan for the milk vehicles: setting up the search over "
        ), reasons[member]
        assert "took longer than its allowance of 5.0 s" in reasons[member]
    assert set(run.tables["stops"]["member"]) - milk, reasons.tolist()  # the vans still collect
    assert run.status is Status.NO_SOLUTION


def test_routes_tables_hold_raw_numbers() -> None:
    run = run_model(load_scenario(LIECHTENSTEIN), "routes", time_limit=1)
    routes, stops = run.tables["routes"], run.tables["stops"]
    assert list(routes.columns) == adapter.ROUTE_COLUMNS
    assert list(stops.columns) == adapter.STOP_COLUMNS
    assert list(run.tables["skipped"].columns) == adapter.SKIPPED_COLUMNS
    for column in ("distance_km", "duration_h", "start_min", "end_min", "utilisation_pct"):
        assert pd.api.types.is_float_dtype(routes[column]), column
    for column in ("arrival_min", "service_start_min"):
        assert pd.api.types.is_float_dtype(stops[column]), column
    # a route lasts from its start to its end, in minutes after midnight
    assert np.allclose(routes["end_min"] - routes["start_min"], routes["duration_h"] * 60)
    assert (stops["service_start_min"] >= stops["arrival_min"] - 1e-9).all()
    assert run.kpi_values()["km driven"] == pytest.approx(routes["distance_km"].sum())


def test_a_settled_search_says_how_it_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[dict[str, Any]] = []

    def recording(problem: RoutingProblem, **options: Any) -> RoutingResult:
        seen.append(options)
        result = solve_routes(problem, **options)
        assert check_routes(problem, result).ok
        return result

    monkeypatch.setattr(adapter, "solve_routes", recording)
    run = run_model(load_scenario(LIECHTENSTEIN), "routes", time_limit=5, stall=200)
    assert seen and all(o["stall"] == 200 and o["time_limit"] == 5 for o in seen)
    assert "stopped after 200 iterations without a better plan, at most 5 s" in run.summary
    assert run.kpi_values()["members collected"] > 0


def _cut(place: str, *, inbound: bool = True, outbound: bool = True, itself: bool = False) -> Any:
    """The real travel, with no road into and/or out of ``place`` (``kind:id``)."""
    real = adapter.travel

    def travel(scenario: Any, origins: pd.DataFrame, destinations: pd.DataFrame) -> Any:
        trips = real(scenario, origins, destinations)
        if place not in set(origins["id"]):  # another vehicle group's roads
            return trips
        distance, time = trips.distance_m.copy(), trips.time_s.copy()
        at = list(origins["id"]).index(place)
        for matrix in (distance, time):
            if outbound:
                matrix[at, :] = math.inf
            if inbound:
                matrix[:, at] = math.inf
            matrix[at, at] = math.inf if itself else 0.0
        return replace(trips, distance_m=distance, time_s=time)

    return travel


def _solved(monkeypatch: pytest.MonkeyPatch, place: str, **cut: bool) -> tuple[Any, list[Any]]:
    seen: list[RoutingProblem] = []

    def recording(problem: RoutingProblem, **options: Any) -> RoutingResult:
        seen.append(problem)
        return solve_routes(problem, **options)

    monkeypatch.setattr(adapter, "travel", _cut(place, **cut))
    monkeypatch.setattr(adapter, "solve_routes", recording)
    return run_model(load_scenario(LIECHTENSTEIN), "routes", time_limit=1), seen


def _accounted(run: Any) -> dict[str, str]:
    sc = load_scenario(LIECHTENSTEIN)
    collected = set(run.tables["stops"]["member"])
    skipped = run.tables["skipped"]
    assert not collected & set(skipped["member"])
    assert collected | set(skipped["member"]) == {s.member for s in sc.supply}
    return dict(zip(skipped["member"], skipped["reason"], strict=True))


def test_a_member_without_roads_is_left_out_before_the_search(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # once it reached the engines as 1e8 metres, where PyVRP could search for ten minutes
    sc = load_scenario(LIECHTENSTEIN)
    member = sorted({s.member for s in sc.supply})[0]
    run, problems = _solved(monkeypatch, f"member:{member}")
    reasons = _accounted(run)
    assert reasons[member] == "unreachable by road: no road from the depot hub H1"
    assert all(member not in {c.name for c in p.clients} for p in problems)
    for problem in problems:
        # the bound stands for "no road": small next to 1e8, finite, honest
        assert problem.distance.max() < 10**7 and problem.time.max() <= 8 * 3600 + 1


def test_an_end_buyer_cut_off_stops_its_group_before_the_search(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run, problems = _solved(monkeypatch, "buyer:B1", outbound=False)
    reasons = _accounted(run)
    milk = {s.member for s in load_scenario(LIECHTENSTEIN).supply if s.product == "milk"}
    for member in milk:
        assert reasons[member] == (
            "not searched: the end buyer B1 is cut off by road from every member"
        )
    assert all(not p.clients for p in problems if p.name.endswith(": milk"))
    assert "vehicle V1 not used: its end buyer B1 is cut off by road" in run.warnings


def test_a_depot_cut_off_stops_every_group(monkeypatch: pytest.MonkeyPatch) -> None:
    run, _ = _solved(monkeypatch, "hub:H1")
    reasons = _accounted(run)
    assert set(reasons.values()) == {
        "not searched: the depot hub H1 is cut off by road from every member"
    }
    assert run.tables["routes"].empty


def test_a_member_far_from_any_road_is_left_out_not_a_crash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the travel matrix has no road even from such a place to itself: PyVRP once refused the
    # whole problem ("diagonals must be all zero")
    sc = load_scenario(LIECHTENSTEIN)
    member = sorted({s.member for s in sc.supply})[-1]
    run, problems = _solved(monkeypatch, f"member:{member}", itself=True)
    assert _accounted(run)[member].startswith("unreachable by road")
    assert all((np.diag(p.distance) == 0).all() and (np.diag(p.time) == 0).all() for p in problems)
