"""Cost sharing: hand-checked games, and the core-check MILP on planted cases."""

from __future__ import annotations

import numpy as np
import pytest

from optimizer.models.procurement import ProcurementData, check_procurement, solve_procurement
from optimizer.models.procurement.core import find_blocking_coalition
from optimizer.models.sharing import (
    CoalitionGame,
    check_core,
    least_core_split,
    procurement_game,
    proportional_split,
    shapley_split,
    split_procurement,
)
from optimizer.results import Status


def airport(costs: list[float]) -> CoalitionGame:
    """The airport game: a coalition pays for the longest runway any of its players needs."""
    return CoalitionGame([f"P{i}" for i in range(len(costs))], lambda s: max(costs[i] for i in s))


def test_shapley_of_the_airport_game() -> None:
    # Runways 1, 2, 3: the first unit is shared by 3, the second by 2, the third by 1:
    # (1/3, 1/3 + 1/2, 1/3 + 1/2 + 1).
    split = shapley_split(airport([1.0, 2.0, 3.0]))
    assert split.shares == pytest.approx([1 / 3, 5 / 6, 11 / 6])
    assert split.shares.sum() == pytest.approx(split.total)


def test_sampled_shapley_is_close_and_efficient() -> None:
    split = shapley_split(airport([1.0, 2.0, 3.0, 4.0]), exact_limit=0, samples=400, seed=1)
    exact = shapley_split(airport([1.0, 2.0, 3.0, 4.0])).shares
    assert split.std_error is not None
    assert np.all(np.abs(split.shares - exact) <= 4 * split.std_error + 1e-9)
    assert split.shares.sum() == pytest.approx(4.0)


def symmetric_game() -> CoalitionGame:
    """C(i) = 100, C(pair) = 150, C(all) = 210."""
    return CoalitionGame(["A", "B", "C"], lambda s: {1: 100.0, 2: 150.0, 3: 210.0}[len(s)])


def test_least_core_of_a_symmetric_game() -> None:
    # Summing the three pair constraints: 2 x 210 <= 3 x 150 + 3 eps, so eps >= -10, met by
    # x = (70, 70, 70) (then singletons have 30 to spare).
    split = least_core_split(symmetric_game())
    assert split.epsilon == pytest.approx(-10)
    assert split.shares == pytest.approx([70, 70, 70])
    assert check_core(symmetric_game(), split.shares).stable


def test_core_check_by_enumeration_names_the_coalition() -> None:
    # (100, 100, 10): A and B pay 200 together but would pay 150 alone.
    check = check_core(symmetric_game(), [100.0, 100.0, 10.0])
    assert not check.stable
    assert check.coalition == ("A", "B") and check.gain == pytest.approx(50)
    assert check.message == "members A, B would save 50 EUR by ordering alone under this split"


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
