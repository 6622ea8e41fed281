"""The core-check MILP split at the plan's brackets, against brute force.

Random games of 7-9 members at three drop points, two suppliers, all-units and incremental
discounts with thresholds the members reach only together, minimum orders: at several
splits the halves' bound holds for every coalition (each coalition's cost solved anew), the
coalition they name gains what they say, and without a cutoff the bound is that gain.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from optimizer.models.procurement import ProcurementData, check_procurement, solve_procurement
from optimizer.models.procurement import _member_regimes as regimes
from optimizer.models.procurement._member_plans import Patterns
from optimizer.models.procurement._member_rounds import separate
from optimizer.results import Status


def game(seed: int) -> ProcurementData:
    """Members at three drop points; S0 sells P0 all-units (from 0 and from a threshold the
    members reach only together) and P1 incremental; S1 sells both dearer, from a minimum."""
    rng = np.random.default_rng(900 + seed)
    n = int(rng.integers(7, 10))
    demand = rng.integers(0, 60, (n, 2)).astype(float)
    demand[demand.sum(axis=1) == 0, 0] = 20.0
    reach = float(demand[:, 0].sum()) * rng.uniform(0.6, 0.9)
    nan = np.nan
    return ProcurementData(
        demand=demand,
        local_price=rng.uniform(11.0, 13.0, (n, 2)).round(2),
        offered=np.ones((2, 2), bool),
        thresholds=np.array([[[0.0, reach], [0.0, 60.0]], [[0.0, nan], [0.0, nan]]]),
        unit_price=np.array([[[9.5, 8.0], [9.5, 8.5]], [[9.2, nan], [9.3, nan]]]),
        incremental=np.array([[False, True], [False, False]]),
        min_order=np.array([[0.0, 0.0], [float(rng.integers(20, 80)), 30.0]]),
        capacity=np.full((2, 2), 1e6),
        weight_kg=np.ones(2),
        drop_point=np.arange(n) % 3,
        distance_km=np.array([[10.0, 25.0, 40.0], [15.0, 20.0, 30.0]]),
        payload_kg=np.array([float(rng.choice([80.0, 150.0, 1e5]))] * 2),
        cost_per_trip=np.array([40.0, 35.0]),
        cost_per_km=np.array([1.0, 1.2]),
        member_ids=[f"M{i}" for i in range(n)],
        drop_point_ids=("H0", "H1", "H2"),
    )


def costs(data: ProcurementData) -> dict[frozenset[int], float]:
    n = data.n_members
    cost = {}
    for k in range(1, n):
        for members in itertools.combinations(range(n), k):
            plan = solve_procurement(data, members=list(members), standalone=False, gap=1e-9)
            assert plan.status is Status.OPTIMAL and check_procurement(data, plan).ok
            cost[frozenset(members)] = plan.pooled_cost
    return cost


@pytest.mark.parametrize("seed", range(6))
def test_the_halves_bound_every_coalition_and_name_one_that_gains_it(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(regimes, "WHOLE_FIRST_S", 0.0)  # the halves even where the whole is quick
    data = game(seed)
    plan = solve_procurement(data, gap=1e-9)
    assert check_procurement(data, plan).ok
    cost = costs(data)
    total = plan.pooled_cost
    scale = max(1.0, total)
    rng = np.random.default_rng(seed)
    proportional = total * data.demand.sum(axis=1) / data.demand.sum()
    calls = []
    real = regimes.inside_bound

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(regimes, "inside_bound", counted)
    for x in (proportional, proportional * rng.uniform(0.9, 1.1, data.n_members)):
        gains = {s: float(x[list(s)].sum()) - c for s, c in cost.items()}
        worst = max(gains.values())
        for above in (-math.inf, worst - 1.0, worst + 1.0):
            sep = separate(data, x, Patterns(data), time_limit=60, gap=1e-9, above=above)
            assert sep.status is Status.OPTIMAL
            if worst > above:
                assert sep.gain_bound >= worst - 1e-6 * scale, (above, sep)
                assert sep.gain == pytest.approx(gains[sep.coalition], abs=1e-6 * scale)
                assert sep.gain == pytest.approx(worst, abs=1e-6 * scale)
            else:
                assert sep.gain_bound <= above + 1e-6 * scale or sep.gain_bound >= worst
            for coalition, c in sep.found.items():  # every plan met costs at least the optimum
                assert c >= cost[coalition] - 1e-6 * scale
    assert calls  # the inside half ran


def test_the_inside_half_is_exact_where_a_bracket_needs_two_hubs() -> None:
    # the members of H0 and H1 reach S0's bracket from 100 only together (each hub has 60):
    # the programme must hold that lower bound across hubs; its bound covers every group
    # taking the plan's brackets, and the group it names gains exactly that bound
    data = game(0)
    demand = np.zeros((7, 2))
    demand[:4, 0] = 30.0
    demand[4:, 1] = 40.0
    data = ProcurementData(
        **{
            **{f: getattr(data, f) for f in ("offered", "incremental", "weight_kg")},
            "demand": demand,
            "local_price": np.full((7, 2), 12.0),
            "thresholds": np.array([[[0.0, 100.0], [0.0, 60.0]], [[0.0, np.nan], [0.0, np.nan]]]),
            "unit_price": data.unit_price,
            "min_order": np.zeros((2, 2)),
            "capacity": np.full((2, 2), 1e6),
            "drop_point": np.array([0, 0, 1, 1, 2, 2, 2]),
            "distance_km": data.distance_km,
            "payload_kg": np.array([1e5, 1e5]),
            "cost_per_trip": np.array([0.0, 0.0]),
            "cost_per_km": np.array([0.0, 0.0]),
            "member_ids": [f"M{i}" for i in range(7)],
            "drop_point_ids": ("H0", "H1", "H2"),
        }
    )
    plan = solve_procurement(data, gap=1e-9)
    assert check_procurement(data, plan).ok
    inside = np.ones(7, bool)
    regime = regimes.regime_of(data, inside, plan.orders)
    assert (0, 0, 1) in regime.held and regime.lows[regime.held.index((0, 0, 1))] == 100.0
    x = np.array([8.3 * 30] * 4 + [9.0 * 40] * 3)  # P0 paid just above 8.0
    bound, group = regimes.inside_bound(data, x, inside, regime, above=-math.inf, deadline=math.inf)
    cost = costs(data)
    best_inside = max(
        float(x[list(s)].sum()) - c
        for s, c in cost.items()
        # the plan's brackets reached: P0 from 100 units, P1's second segment from 60
        if data.demand[list(s), 0].sum() >= 100.0 and data.demand[list(s), 1].sum() >= 60.0
    )
    assert bound >= best_inside - 1e-6
    assert group is not None and data.demand[group, 0].sum() >= 100.0
    own = solve_procurement(data, members=group.tolist(), standalone=False, gap=1e-9)
    assert check_procurement(data, own).ok
    assert float(x[group].sum()) - own.pooled_cost == pytest.approx(bound, abs=1e-6)
