"""Costs from plans already found are upper bounds on every coalition's optimal cost."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest

from optimizer.models.procurement import check_procurement, solve_procurement
from optimizer.models.procurement._member_plans import Patterns, local_search, removal_rows
from optimizer.models.procurement.member_core import _plan_arrays
from tests.models.test_procurement_member_core import instance


@pytest.mark.parametrize("payload", [120.0, 250.0])  # trucks bind; then they matter less
def test_pattern_costs_bound_every_coalition_and_equal_the_plan(payload: float) -> None:
    rng = np.random.default_rng(7)
    demand = rng.integers(10, 90, (6, 2)).astype(float).tolist()
    data = instance(demand, payload=payload, seed=3)
    plan = solve_procurement(data, gap=1e-9)
    assert check_procurement(data, plan).ok
    patterns = Patterns(data)
    patterns.add_plan(*_plan_arrays(data, plan), np.ones(data.n_members, bool))
    everyone = np.ones((1, data.n_members), bool)
    assert patterns.costs(everyone)[0] == pytest.approx(plan.pooled_cost, rel=1e-9)
    for k in range(1, data.n_members):
        for members in itertools.combinations(range(data.n_members), k):
            mask = np.isin(np.arange(data.n_members), members)
            alone = solve_procurement(data, members=list(members), standalone=False, gap=1e-9)
            assert check_procurement(data, alone).ok
            assert patterns.costs(mask[None])[0] >= alone.pooled_cost - 1e-6


def test_local_search_finds_only_coalitions_that_gain() -> None:
    # 60 units each, trucks of 130: a pair fills one truck (see the empty-core test)
    data = instance([[60.0], [60.0], [60.0]], payload=130.0, discount_from=1e5)
    plan = solve_procurement(data, gap=1e-9)
    patterns = Patterns(data)
    patterns.add_plan(*_plan_arrays(data, plan), np.ones(3, bool))
    for members in ([0, 1], [0, 2]):
        pair = solve_procurement(data, members=members, standalone=False, gap=1e-9)
        pooled, shipped = _plan_arrays(data, pair)
        patterns.add_plan(pooled, shipped, np.isin(np.arange(3), members))
    shares = np.full(3, 1740 / 3)  # 580 each: every pair pays 1160 and could pay 1140
    found = local_search(patterns, shares, [np.array([True, False, False])], threshold=0.0)
    assert found and all(len(s) == 2 for s in found)
    for coalition, cost in found.items():
        assert cost == pytest.approx(1140)
        assert shares[list(coalition)].sum() - cost == pytest.approx(20)


def test_removal_rows_leave_out_a_few_members_of_one_drop_point_within_the_cap() -> None:
    data = dataclasses.replace(
        instance([[40.0]] * 7, payload=120.0, seed=5),
        drop_point=np.array([0, 0, 0, 0, 1, 1, 1]),
        distance_km=[[10.0, 14.0]],
        drop_point_ids=("H0", "H1"),
    )
    plan = solve_procurement(data, gap=1e-9)
    patterns = Patterns(data)
    patterns.add_plan(*_plan_arrays(data, plan), np.ones(data.n_members, bool))
    everyone = set(range(7))
    # every group of one drop point left out: 7 + 15 rows
    rows = removal_rows(data, patterns, at_most=1_000)
    expected = {
        frozenset(everyone - set(out))
        for hub in ([4, 5, 6], [0, 1, 2, 3])
        for k in range(1, len(hub) + 1)
        for out in itertools.combinations(hub, k)
    }
    assert set(rows) == expected
    # at most 14: singles (7), then pairs and the triple of the smaller drop point (4), the
    # larger's pairs (6) and triples (4) no longer fit, its four members together do (1)
    capped = removal_rows(data, patterns, at_most=14)
    sizes = sorted(7 - len(s) for s in capped)
    assert sizes == [1] * 7 + [2] * 3 + [3, 4]
    assert frozenset([0, 1, 2, 3]) in capped and frozenset([4, 5, 6]) in capped
    for coalition, cost in rows.items():  # priced by a plan: never below the optimum
        alone = solve_procurement(data, members=sorted(coalition), standalone=False, gap=1e-9)
        assert check_procurement(data, alone).ok
        assert cost >= alone.pooled_cost - 1e-6
