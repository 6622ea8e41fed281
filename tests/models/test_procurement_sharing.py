"""Fair procurement bills: the cost game, its splits, the core-check MILP on planted cases,
and the pass-down of a cooperative's share to its members."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from optimizer.models.procurement import (
    ProcurementData,
    check_procurement,
    pass_down,
    procurement_game,
    solve_procurement,
    split_procurement,
)
from optimizer.models.procurement.alone import AloneCosts, alone_costs
from optimizer.models.procurement.core import find_blocking_coalition
from optimizer.models.sharing import check_core, proportional_split
from optimizer.results import Status
from tests.models.test_procurement import instances


def coop(demand: list[float], drop: list[int], distance_km: list[float]) -> ProcurementData:
    """One supplier selling at 9 EUR from a minimum order of 100; local price 12; trucks of
    1,000 units costing 50 + 1 per km."""
    n = len(demand)
    return ProcurementData(
        demand=np.array(demand, float)[:, None],
        local_price=np.full((n, 1), 12.0),
        offered=[[True]],
        thresholds=[[[0.0]]],
        unit_price=[[[9.0]]],
        incremental=[[False]],
        min_order=[[100.0]],
        capacity=[[1e6]],
        weight_kg=[1.0],
        drop_point=drop,
        distance_km=[distance_km],
        payload_kg=[1e5],
        cost_per_trip=[50.0],
        cost_per_km=[1.0],
        member_ids=[chr(ord("A") + i) for i in range(n)],
    )


def test_shapley_of_three_members_who_need_each_other() -> None:
    # 40 units each: no pair reaches the minimum order of 100 (pairs pay 80 x 12 = 960),
    # the three together pay 120 x 9 + 60 = 1140: by symmetry 380 each.
    data = coop([40, 40, 40], [0, 0, 0], [10.0])
    result = split_procurement(data, method="shapley")
    assert result.split.shares == pytest.approx([380, 380, 380])
    assert result.core.stable
    assert result.core.message == "stable: no group of members can buy cheaper alone"


def test_proportional_split_blocked_least_core_not() -> None:
    # A and B (60 units each) share a hub 10 km from the supplier: together 120 x 9 + 60 =
    # 1140, alone 720 each. C (100 units) is at a farm gate 1,000 km away: a truck costs
    # 1,050, so C buys locally (1,200) alone or pooled; C(ABC) = 2,340.
    # In proportion to standalone cost (720, 720, 1200 of 2,640) A and B pay
    # 1,440 x 2,340 / 2,640 = 1,276.36 > 1,140: they gain 136.36 by leaving.
    # The core forces x_A + x_B = 1,140 and x_C = 1,200 (eps = 0); closest to proportional
    # is (570, 570, 1200).
    data = coop([60, 60, 100], [0, 0, 1], [10.0, 1000.0])
    pooled = solve_procurement(data)
    assert check_procurement(data, pooled).ok
    assert pooled.pooled_cost == pytest.approx(2340)

    proportional = split_procurement(data, method="proportional")
    assert not proportional.core.stable
    assert proportional.core.coalition == ("A", "B")
    assert proportional.core.gain == pytest.approx(1440 * 2340 / 2640 - 1140)
    assert "members A, B would save 136 EUR" in proportional.core.message

    least = split_procurement(data, method="least_core")
    assert least.core.stable
    assert least.split.epsilon == pytest.approx(0, abs=1e-6)
    assert least.split.shares == pytest.approx([570, 570, 1200])

    shapley = split_procurement(data, method="shapley")  # C is a dummy player
    assert shapley.split.shares == pytest.approx([570, 570, 1200])
    assert shapley.core.stable


def test_core_milp_finds_the_planted_coalition() -> None:
    # A = B = 60, C = 10 at one hub: C(AB) = 1140, C(ABC) = 130 x 9 + 60 = 1230.
    # Against (600, 600, 30), A and B pay 1200 for what costs them 1140: gain 60; no other
    # coalition gains (A+C, B+C: 70 units < 100, bought locally for 840 > 630).
    data = coop([60, 60, 10], [0, 0, 0], [10.0])
    found = find_blocking_coalition(data, np.array([600.0, 600.0, 30.0]))
    assert found.status is Status.OPTIMAL
    assert found.coalition == (0, 1)
    assert found.gain == pytest.approx(60)
    # the MILP and enumeration agree
    game = procurement_game(data)
    check = check_core(game, [600.0, 600.0, 30.0])
    assert check.coalition == ("A", "B") and check.gain == pytest.approx(60)


def test_cooperative_level_game() -> None:
    # Two cooperatives X = {A, B}, Y = {C} on the previous instance: C(X) = 1140,
    # C(Y) = 120 (10 units bought locally), C(XY) = 1230. Shapley: X pays
    # (1140 + (1230 - 120)) / 2 = 1125, Y pays (120 + (1230 - 1140)) / 2 = 105.
    data = coop([60, 60, 10], [0, 0, 0], [10.0])
    result = split_procurement(data, method="shapley", level="cooperative", groups=["X", "X", "Y"])
    assert result.split.players == ("X", "Y")
    assert result.split.shares == pytest.approx([1125, 105])
    assert result.core.stable
    assert "cooperatives" in result.core.message


def test_volume_split_weights_by_kg() -> None:
    data = coop([60, 60, 10], [0, 0, 0], [10.0])
    split = proportional_split(procurement_game(data), [60, 60, 10], method="volume")
    via = split_procurement(data, method="volume").split
    assert via.shares == pytest.approx(split.shares)
    assert via.shares == pytest.approx(np.array([60, 60, 10]) * 1230 / 130)


def test_pass_down_in_proportion_to_standalone_cost() -> None:
    # X = {A, B} pays 1,125 (the cooperative-level Shapley share above); A and B would pay
    # 720 and 360 alone, so A pays two thirds: 750, B 375. Y = {C} pays its 105 alone.
    bills = pass_down({"X": 1125.0, "Y": 105.0}, ["X", "Y", "X"], [720.0, 120.0, 360.0])
    assert bills == pytest.approx([750, 105, 375])


def test_pass_down_splits_evenly_where_nobody_pays_alone() -> None:
    # a cooperative whose members pay nothing alone shares its part equally, never NaN
    bills = pass_down({"X": 10.0}, ["X", "X"], [0.0, 0.0])
    assert bills == pytest.approx([5, 5])


def test_pass_down_of_a_solved_split_adds_up_to_the_pooled_cost() -> None:
    data = coop([60, 60, 10], [0, 0, 0], [10.0])
    groups = ["X", "X", "Y"]
    result = split_procurement(data, method="shapley", level="cooperative", groups=groups)
    pooled = solve_procurement(data)
    assert check_procurement(data, pooled).ok
    alone = pooled.members["standalone_cost"].to_numpy(float)
    shares = dict(zip(result.split.players, result.split.shares, strict=True))
    bills = pass_down(shares, groups, alone)
    assert bills.sum() == pytest.approx(result.split.total)
    assert bills[0] == pytest.approx(bills[1])  # A and B are alike
    assert bills[2] == pytest.approx(105)


def test_pass_down_needs_one_cooperative_per_member() -> None:
    with pytest.raises(ValueError, match="one cooperative"):
        pass_down({"X": 1.0}, ["X"], [1.0, 2.0])


def test_bills_passed_down_by_standalone_costs_that_are_bounds_say_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the first member's solve alone stops early (as under a tiny time limit): its standalone
    # cost, which weighs its cooperative's bills, is an upper bound and the summary says so
    from dataclasses import replace

    from optimizer.models.procurement import solve as solve_module

    original = solve_module.solve_procurement

    def first_alone_unproven(data: ProcurementData, **options: object) -> object:
        result = original(data, **options)  # type: ignore[arg-type]
        if options.get("members") == [0] and options.get("standalone") is False:
            return replace(result, status=Status.FEASIBLE)
        return result

    def first_left_open(data: ProcurementData, members: object = None) -> AloneCosts:
        found = alone_costs(data, members)  # type: ignore[arg-type]
        cost = found.cost.copy()
        cost[0] = math.nan
        return AloneCosts(cost, (0, *found.unsolved))

    # the enumeration leaves member 0 to its own MILP, which stops early
    monkeypatch.setattr(solve_module, "alone_costs", first_left_open)
    monkeypatch.setattr(solve_module, "solve_procurement", first_alone_unproven)
    data = coop([60, 60, 10], [0, 0, 0], [10.0])
    pooled = solve_procurement(data)
    assert check_procurement(data, pooled).ok
    first = str(data.member_ids[0])
    assert pooled.standalone_bounds == (first,)
    assert "buying alone: 1 coalition cost not proven optimal" in pooled.summary()
    assert "{" + first + "}" in pooled.summary()
    alone = pooled.members["standalone_cost"].to_numpy(float)
    bills = pass_down({"X": 200.0, "Y": 105.0}, ["X", "X", "Y"], alone)
    assert bills.sum() == pytest.approx(305.0)
    monkeypatch.undo()
    proven = solve_procurement(data)
    assert proven.standalone_bounds == () and "not proven" not in proven.summary()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_shapley_core_check_over_known_costs_agrees_with_the_core_milp(
    data: ProcurementData,
) -> None:
    # an exact Shapley split knows every coalition's cost: its core check looks over them
    # (no core MILP is solved) and must find the largest gain the core MILP finds
    from optimizer.models.procurement import sharing as sharing_module

    def no_milp(*_: object, **__: object) -> object:
        raise AssertionError("the core MILP was solved")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sharing_module, "find_blocking_coalition", no_milp)
        result = split_procurement(data, method="shapley", gap=1e-9)
    found = find_blocking_coalition(data, result.split.shares, gap=1e-9)
    assert found.status is Status.OPTIMAL
    tol = 1e-4 * max(1.0, abs(result.split.total))
    assert result.core.stable == (found.gain <= tol)
    total = max(1.0, abs(result.split.total))
    assert result.core.gain == pytest.approx(max(found.gain, 0.0), abs=1e-6 * total)
