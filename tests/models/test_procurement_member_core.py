"""The member-level least core against brute force over every coalition, and an empty core.

The brute force solves every proper coalition's pooled cost on its own and then the whole
least-core LP (one row per coalition), independently of the constraint generation.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from scipy.optimize import linprog

from optimizer import load_scenario
from optimizer.models.procurement import (
    ProcurementData,
    _member_byparts,
    _member_hubs,
    _member_parts,
    _member_rounds,
    check_procurement,
    member_core,
    scenario_procurement_data,
    solve_procurement,
)
from optimizer.models.procurement._member_plans import Patterns
from optimizer.models.procurement._member_rounds import separate
from optimizer.models.procurement.member_core import member_least_core
from optimizer.pipeline.procurement import _deliveries
from optimizer.pipeline.registry import run_model
from tests.conftest import TINY
from tests.models.test_procurement_member_lp import least_core_lp


def instance(
    demand: list[list[float]],
    *,
    payload: float = 1e5,
    seed: int | None = None,
    discount_from: float = 150.0,
) -> ProcurementData:
    """Members at one hub, one supplier per product selling at 9 from 100 units (all-units
    discount to 8 from ``discount_from`` units), local price 12, trucks of ``payload`` kg for
    50 + 1/km."""
    d = np.array(demand, float)
    n, p = d.shape
    rng = np.random.default_rng(seed)
    local = np.full((n, p), 12.0) if seed is None else rng.uniform(11.0, 13.0, (n, p)).round(2)
    return ProcurementData(
        demand=d,
        local_price=local,
        offered=np.ones((1, p), bool),
        thresholds=np.tile([0.0, discount_from], (1, p, 1)),
        unit_price=np.tile([9.0, 8.0], (1, p, 1)),
        incremental=np.zeros((1, p), bool),
        min_order=np.full((1, p), 100.0),
        capacity=np.full((1, p), 1e6),
        weight_kg=np.ones(p),
        drop_point=np.zeros(n, np.int64),
        distance_km=[[10.0]],
        payload_kg=[payload],
        cost_per_trip=[50.0],
        cost_per_km=[1.0],
        member_ids=[f"M{i}" for i in range(n)],
    )


def brute_force(data: ProcurementData, total: float) -> tuple[float, dict[frozenset[int], float]]:
    """The least-core epsilon over every proper coalition, and every coalition's cost."""
    n = data.n_members
    cost: dict[frozenset[int], float] = {}
    for k in range(1, n):
        for members in itertools.combinations(range(n), k):
            result = solve_procurement(data, members=list(members), standalone=False, gap=1e-9)
            assert check_procurement(data, result).ok
            cost[frozenset(members)] = result.pooled_cost
    return least_core_lp(n, total, cost), cost


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_least_core_epsilon_equals_brute_force(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(5, 8))
    demand = rng.integers(10, 90, (n, 2)).astype(float).tolist()
    data = instance(demand, payload=float(rng.choice([120.0, 250.0, 1e5])), seed=seed)
    plan = solve_procurement(data, gap=1e-9)
    assert check_procurement(data, plan).ok
    # the MILP separation and a fresh MILP check (brute_force_limit=0), then brute force
    found = member_least_core(data, plan_cost=plan.pooled_cost, gap=1e-9, brute_force_limit=0)
    eps, cost = brute_force(data, plan.pooled_cost)
    scale = max(1.0, plan.pooled_cost)
    assert found.epsilon == pytest.approx(eps, abs=1e-5 * scale)
    assert found.split.shares.sum() == pytest.approx(plan.pooled_cost)
    gains = [found.split.shares[list(s)].sum() - c for s, c in cost.items()]
    assert max(gains) <= found.epsilon + 1e-4 * scale
    assert found.converged and found.proven and found.check_method == "fresh MILP"
    # the stopping rule: the MILP's bound on the split's largest gain meets the LP's bound
    assert found.epsilon <= found.epsilon_upper <= found.epsilon + 1e-6 * scale + 1e-9
    assert found.empty_core == (eps > 1e-6 * scale)
    # the brute-force check of the pipeline's default agrees
    again = member_least_core(data, plan_cost=plan.pooled_cost, gap=1e-9)
    assert again.check_method == "brute force"
    assert again.best_gain == pytest.approx(max(gains), abs=1e-4 * scale)


def test_out_of_time_gives_epsilon_between_two_bounds() -> None:
    # no time for a single round beyond the first: the split is the first round's, bounded
    # by one MILP; the least-core epsilon (brute force) lies between the LP's bound and that
    rng = np.random.default_rng(203)
    demand = rng.integers(10, 90, (8, 2)).astype(float).tolist()
    data = instance(demand, payload=float(rng.choice([120.0, 250.0])), seed=3)
    plan = solve_procurement(data, gap=1e-9)
    assert check_procurement(data, plan).ok
    found = member_least_core(data, plan_cost=plan.pooled_cost, gap=1e-9, budget_s=0.0)
    eps, cost = brute_force(data, plan.pooled_cost)
    gains = [found.split.shares[list(s)].sum() - c for s, c in cost.items()]
    tol = 1e-6 * plan.pooled_cost
    assert not found.converged and found.split.iterations == 1
    assert found.epsilon <= eps + tol and eps <= found.epsilon_upper + tol
    assert max(gains) <= found.epsilon_upper + tol  # the MILP's bound holds for every group
    assert found.best_gain == pytest.approx(max(gains), abs=1e-4 * plan.pooled_cost)
    assert found.epsilon_upper - found.epsilon > 100  # far apart: said, not hidden
    low, high = f"{found.epsilon:,.2f}", f"{found.epsilon_upper:,.2f}"
    assert f"the least-core epsilon is between {low} and {high} EUR" in found.verdict
    assert found.verdict.startswith("not finished")
    assert "more time for the search may narrow the range" in found.verdict
    # given the time, the same instance ends with the bounds met (within the tolerance)
    done = member_least_core(data, plan_cost=plan.pooled_cost, gap=1e-9)
    assert done.converged and done.epsilon == pytest.approx(eps, abs=1e-5 * plan.pooled_cost)
    assert "more time" not in done.verdict
    assert done.epsilon_upper <= done.epsilon + tol + 1e-9


def test_empty_core_gives_epsilon_and_names_the_group() -> None:
    # 60 units each (no discount under 100,000 units); trucks hold 130: a pair (120 units)
    # fills one truck, 120 x 9 + 60 = 1140, the three need two (180 x 9 + 120 = 1740; one
    # truck and 50 units locally costs 1830).
    # Alone 60 x 12 = 720. Pairs may pay at most 1140 + eps, so 2 x 1740 <= 3 (1140 + eps):
    # eps = 20, 580 each; every pair still saves 20 by ordering alone.
    data = instance([[60.0], [60.0], [60.0]], payload=130.0, discount_from=1e5)
    plan = solve_procurement(data, gap=1e-9)
    assert check_procurement(data, plan).ok
    assert plan.pooled_cost == pytest.approx(1740)
    names = {"M0": "Farm Zero", "M1": "Farm One", "M2": "Farm Two"}
    found = member_least_core(data, plan_cost=plan.pooled_cost, gap=1e-9, labels=names)
    assert found.epsilon == pytest.approx(20)
    assert found.empty_core and found.proven and found.converged
    assert found.split.shares == pytest.approx([580, 580, 580])
    assert not found.core.stable and found.core.gain == pytest.approx(20)
    assert len(found.core.coalition) == 2
    assert "the core is empty" in found.verdict
    assert "save 20.00 EUR" in found.verdict
    # the group by name, the id beside, in the verdict and the independent check's message
    first, second = (f"{names[m]} ({m})" for m in found.core.coalition)
    assert f"the 2 members {first}, {second}" in found.verdict
    assert found.core.message.startswith(f"members {first}, {second} would save 20 EUR")
    assert "Stable means" in found.summary()


def test_stable_split_stays_proportional_where_it_can() -> None:
    # one supplier, no truck limit: every coalition of 100+ units pays 9, so proportional
    # bills (9/12 of standalone) are in the core: nothing moves.
    data = instance([[60.0], [50.0], [70.0], [40.0]])
    plan = solve_procurement(data, gap=1e-9)
    assert check_procurement(data, plan).ok
    found = member_least_core(data, plan_cost=plan.pooled_cost, gap=1e-9)
    assert found.core.stable and not found.empty_core
    assert found.verdict.startswith("stable: no group of members can buy cheaper alone")
    assert found.split.shares.sum() == pytest.approx(plan.pooled_cost)
    assert found.table()["moved_from_proportional"].abs().max() >= 0.0


@pytest.mark.parametrize("rule", ["member_least_core", "member-least-core"])
def test_pipeline_bills_add_up_to_the_plan_cost(rule: str) -> None:
    run = run_model(load_scenario(TINY), "procurement", rule=rule)
    assert run.result is not None
    assert check_procurement_run(run)
    bills = run.tables["split"]
    assert float(bills["bill"].sum()) == pytest.approx(run.result.pooled_cost, rel=1e-9)
    assert {"bill", "alone", "savings", "moved_from_proportional"} <= set(bills)
    # moved from proportional: the proportional bills add up to the same plan cost
    assert float(bills["moved_from_proportional"].sum()) == pytest.approx(0.0, abs=1e-6)
    verdict = run.tables["stability"].iloc[0]
    assert verdict["level"] == "member" and verdict["meaning"].startswith("Stable means")
    assert verdict["stable"] == verdict["verdict"].startswith("stable")
    # both bounds on the epsilon are shown; they meet on a finished run
    assert verdict["epsilon"] <= verdict["epsilon_upper"]
    assert verdict["epsilon_upper"] == pytest.approx(
        verdict["epsilon"], abs=1e-6 * bills["bill"].sum()
    )
    assert "Stable means" in run.summary


def check_procurement_run(run: Any) -> bool:
    """The plan shown passes the independent procurement check."""
    scenario = load_scenario(TINY)
    data = scenario_procurement_data(scenario, _deliveries(scenario).distance_m / 1000)
    return check_procurement(data, run.result).ok


def hubs_instance(seed: int, n: int) -> ProcurementData:
    """``n`` members at three drop points (10, 25 and 40 km away), trucks of 150-250 kg."""
    rng = np.random.default_rng(300 + seed)
    demand = rng.integers(10, 90, (n, 2)).astype(float).tolist()
    one = instance(demand, payload=float(rng.choice([150.0, 250.0])), seed=seed)
    where = {"drop_point": np.arange(n) % 3, "distance_km": np.array([[10.0, 25.0, 40.0]])}
    return replace(one, drop_point_ids=("H0", "H1", "H2"), **where)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_hub_phase_then_rounds_equal_brute_force(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # phase one (a bound per drop point) runs first even for a few members; the split it
    # bounds holds for every group (brute force), and phase two closes the least core
    monkeypatch.setattr(_member_hubs, "HUB_PHASE_FROM", 0)
    data = hubs_instance(seed, 8)
    plan = solve_procurement(data, gap=1e-9)
    assert check_procurement(data, plan).ok and _member_hubs.wanted(data)
    eps, cost = brute_force(data, plan.pooled_cost)
    scale = max(1.0, plan.pooled_cost)
    tol = 1e-6 * scale
    seeds = {frozenset([i]): cost[frozenset([i])] for i in range(data.n_members)}
    phase = _member_hubs.hub_phase(
        data, total=plan.pooled_cost, seeds=seeds, patterns=Patterns(data), time_limit=60,
        gap=1e-9, tol=tol, deadline=time.perf_counter() + 60, separate=separate,
        reference=np.full(data.n_members, plan.pooled_cost / data.n_members),
    )  # fmt: skip
    assert phase.rounds >= 1 and phase.best is not None
    # every row it passes on (coupled ones too) is priced at least at the group's true cost,
    # so the least-core LP over them stays a relaxation
    assert all(c >= cost[s] - 1e-6 * scale for s, c in phase.rows.items())
    split, sep = phase.best
    assert split.sum() == pytest.approx(plan.pooled_cost)
    gains = [split[list(s)].sum() - c for s, c in cost.items()]
    assert max(gains) <= sep.gain_bound + 1e-4 * scale  # the full MILP's bound holds
    assert eps <= sep.gain_bound + tol  # so it is at least the least-core epsilon
    found = member_least_core(data, plan_cost=plan.pooled_cost, gap=1e-9, brute_force_limit=0)
    assert found.spent["hubs_s"] > 0
    assert found.converged and found.proven
    assert found.epsilon == pytest.approx(eps, abs=1e-5 * scale)
    gains = [found.split.shares[list(s)].sum() - c for s, c in cost.items()]
    assert max(gains) <= found.epsilon + 1e-4 * scale


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4, 5])
def test_phase_two_near_a_split_bounded_before_ends_at_the_brute_force_epsilon(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # after phase one the QP's point stays near the best split bounded so far, at a level
    # between L and its bound, the MILP cut off at that level; started from the proportional
    # split (bounded by its MILP, as phase one's best would be), the rounds still end at the
    # least core, proven (the QP runs for 8 members here, where SLSQP would)
    monkeypatch.setattr(_member_rounds, "SLSQP_LIMIT", 0)
    steps: list[tuple[float, float]] = []  # (L, the point's level) each round
    level = _member_rounds._Search.level

    def recorded(run: Any, eps: float) -> float:
        steps.append((eps, level(run, eps)))
        return steps[-1][1]

    monkeypatch.setattr(_member_rounds._Search, "level", recorded)
    data = hubs_instance(seed, 8)
    plan = solve_procurement(data, gap=1e-9)
    assert check_procurement(data, plan).ok
    eps, cost = brute_force(data, plan.pooled_cost)
    total, n = plan.pooled_cost, data.n_members
    tol = 1e-6 * max(1.0, total)
    alone = np.array([cost[frozenset([i])] for i in range(n)])
    reference = alone * total / alone.sum()
    start = separate(data, reference, Patterns(data), time_limit=60, gap=1e-9)
    phase = _member_hubs.HubPhase(best=(reference, start))
    found = _member_rounds.least_core_rounds(
        data, total=total, alone=alone, reference=reference, patterns=Patterns(data),
        time_limit=60, gap=1e-9, tol=tol, max_iterations=200, phase=phase,
    )  # fmt: skip
    assert not found.out_of_time and not found.unproven and not found.closest
    assert found.epsilon == pytest.approx(eps, abs=1e-5 * total)
    assert found.upper <= found.epsilon + tol + 1e-9 * total  # proven within the tolerance
    gains = [found.shares[list(s)].sum() - c for s, c in cost.items()]
    assert max(gains) <= found.upper + 1e-6 * total
    assert found.shares.sum() == pytest.approx(total)
    if start.gain_bound > eps + 2 * tol:  # the proportional split was not in the least core
        assert any(at > lower + tol for lower, at in steps)  # so the level stepped above L


def test_coupled_rows_leave_out_one_certificate_group_per_hub() -> None:
    # hubs {0, 3}, {1, 4}, {2, 5}; "all but d" <= 80 + theta_d for d = 0, 1, 2 and
    # x0 + x1 + x2 <= 45 + sum theta: the least sum is 7.5, certified by weight 1/2 on each
    # of the four rows. Laid out together, the three hubs' rows leave out 0, 1 and 2 at once:
    # the coalition {3, 4, 5}, priced by the plans (none here: every member buys locally).
    data = hubs_instance(0, 6)
    lp = _member_hubs.HubLP(data.drop_point, 100.0, 1.0)
    everyone = frozenset(range(6))
    lp.add({everyone - {d}: 80.0 for d in range(3)} | {frozenset({0, 1, 2}): 45.0})
    _, theta = lp.solve()
    assert theta.sum() == pytest.approx(7.5)
    rows = _member_hubs.coupled_rows(lp, Patterns(data))
    local = (data.demand * data.local_price).sum(axis=1)
    assert rows == pytest.approx({frozenset({3, 4, 5}): local[[3, 4, 5]].sum()})


def test_hub_lp_bounds_each_row_by_the_hubs_it_leaves_out() -> None:
    # members 0, 1 at drop point 0, member 2 at 1: the row {0} leaves out 1 (hub 0) and 2
    # (hub 1), so x0 <= c + theta0 + theta1; {0, 1} leaves out hub 1 only
    lp = _member_hubs.HubLP(np.array([0, 0, 1]), 30.0, 1.0)
    assert lp.add({frozenset([0]): 5.0, frozenset([0, 1]): 12.0, frozenset([2]): 10.0}) == 3
    assert lp.add({frozenset([0]): 6.0}) == 0  # dearer than the row held: nothing added
    x, theta = lp.solve()
    assert x.sum() == pytest.approx(30.0)
    assert x[0] <= 5.0 + theta.sum() + 1e-9
    assert x[0] + x[1] <= 12.0 + theta[1] + 1e-9
    assert x[2] <= 10.0 + theta[0] + 1e-9
    # 30 = x(0,1) + x2 <= 12 + 10 + theta0 + theta1: the least sum of bounds is 8
    assert theta.sum() == pytest.approx(8.0)


def parts_instance(seed: int, n: int) -> ProcurementData:
    """Members at two drop points, those at the first needing only product 0 and those at
    the second only product 1: two independent parts."""
    data = hubs_instance(seed, n)
    hub = np.arange(n) % 2
    demand = np.where(hub[:, None] == np.arange(2)[None, :], data.demand, 0.0)
    return replace(data, demand=demand, drop_point=hub)


def test_parts_are_members_linked_by_a_product_or_a_drop_point() -> None:
    # 0 and 1 share drop point 0, 1 and 2 need product 1: one part; 3 and 4 share drop point
    # 2 (4 needs nothing): another, though 3's product 2 is bought by nobody else
    data = replace(
        hubs_instance(0, 5),
        demand=np.array([[5, 0, 0], [0, 5, 0], [0, 5, 0], [0, 0, 5], [0, 0, 0]], float),
        local_price=np.full((5, 3), 12.0),
        offered=np.ones((1, 3), bool),
        thresholds=np.zeros((1, 3, 1)),
        unit_price=np.full((1, 3, 1), 9.0),
        incremental=np.zeros((1, 3), bool),
        min_order=np.zeros((1, 3)),
        capacity=np.full((1, 3), 1e6),
        weight_kg=np.ones(3),
        drop_point=np.array([0, 0, 1, 2, 2]),
        product_ids=("P0", "P1", "P2"),
    )
    assert _member_parts.parts(data).tolist() == [0, 0, 0, 1, 1]
    assert _member_parts.parts(hubs_instance(0, 6)).max() == 0  # products shared by all hubs


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_separation_by_parts_equals_the_whole_milp_and_brute_force(seed: int) -> None:
    data = parts_instance(seed, 8)
    plan = solve_procurement(data, gap=1e-9)
    assert check_procurement(data, plan).ok
    assert _member_parts.parts(data).tolist() == [0, 1] * 4
    _, cost = brute_force(data, plan.pooled_cost)
    rng = np.random.default_rng(seed)
    scale = max(1.0, plan.pooled_cost)
    for _ in range(3):  # bills around proportional: groups of both parts gain
        x = rng.dirichlet(np.full(8, 5.0)) * plan.pooled_cost
        best = max(x[list(s)].sum() - c for s, c in cost.items())
        by_parts = separate(data, x, Patterns(data), time_limit=60, gap=1e-9)
        whole = separate(
            data, x, Patterns(data), time_limit=60, gap=1e-9, fixed_out=np.zeros(8, bool)
        )
        assert whole.gain_bound == pytest.approx(best, abs=1e-6 * scale)
        assert by_parts.gain_bound == pytest.approx(best, abs=1e-6 * scale)
        assert by_parts.gain == pytest.approx(best, abs=1e-6 * scale)
        group = by_parts.coalition
        assert x[list(group)].sum() - cost[group] == pytest.approx(best, abs=1e-6 * scale)
        # every plan it passes on prices its group at least at the true cost
        assert all(c >= cost[s] - 1e-6 * scale for s, c in by_parts.found.items() if s in cost)


def test_least_core_of_two_parts_equals_brute_force() -> None:
    data = parts_instance(3, 8)
    plan = solve_procurement(data, gap=1e-9)
    assert check_procurement(data, plan).ok
    eps, cost = brute_force(data, plan.pooled_cost)
    found = member_least_core(data, plan_cost=plan.pooled_cost, gap=1e-9, brute_force_limit=0)
    scale = max(1.0, plan.pooled_cost)
    assert found.converged and found.proven
    assert found.epsilon == pytest.approx(eps, abs=1e-5 * scale)
    gains = [found.split.shares[list(s)].sum() - c for s, c in cost.items()]
    assert max(gains) <= found.epsilon + 1e-4 * scale


def test_separation_by_parts_at_a_core_split_names_a_part_gaining_0() -> None:
    # one truck carries everything: the core is not empty, and with two parts its epsilon is
    # 0 (each part alone gains x(N_k) - C(N_k), which add up to 0); no part's groups gain
    # more, and the answer names a group gaining 0
    data = replace(parts_instance(0, 6), payload_kg=np.array([1e5]))
    plan = solve_procurement(data, gap=1e-9)
    assert check_procurement(data, plan).ok
    _, cost = brute_force(data, plan.pooled_cost)
    rows = np.array([[i in s for i in range(6)] for s in cost], float)
    lp = linprog(
        c=np.r_[np.zeros(6), 1.0],
        A_ub=np.c_[rows, -np.ones(len(rows))],
        b_ub=np.array(list(cost.values())),
        A_eq=np.r_[np.ones(6), 0.0][None, :],
        b_eq=[plan.pooled_cost],
        bounds=[(None, None)] * 7,
        method="highs",
    )
    x, eps = lp.x[:6], float(lp.x[6])
    tol = 1e-6 * plan.pooled_cost
    assert eps == pytest.approx(0.0, abs=tol)
    found = separate(data, x, Patterns(data), time_limit=60, gap=1e-9)
    assert found.gain_bound == pytest.approx(0.0, abs=tol)
    assert 0 < len(found.coalition) < 6  # a group gaining 0 (a part alone, or less)
    assert found.gain == pytest.approx(x[list(found.coalition)].sum() - cost[found.coalition])
    assert found.gain == pytest.approx(0.0, abs=tol)


def empty_parts_instance(second: list[float]) -> ProcurementData:
    """Two parts whose cores are empty: three farms of 60 units at one drop point needing
    product 0 and farms of ``second`` units at another needing product 1, trucks of 130."""
    demand = [[60.0, 0.0]] * 3 + [[0.0, q] for q in second]
    data = instance(demand, payload=130.0, discount_from=1e5, seed=4)
    where = np.array([0] * 3 + [1] * len(second))
    return replace(data, drop_point=where, distance_km=[[10.0, 25.0]], drop_point_ids=("H0", "H1"))


@pytest.mark.parametrize("second", [[50.0, 70.0, 60.0, 45.0], [60.0, 60.0, 60.0]])
def test_joint_bound_of_the_parts_with_every_row_is_the_least_core(second: list[float]) -> None:
    # with every coalition of each part as a row, the LP with one bound per part is the
    # least core of the whole game (brute force over all its coalitions); with each part's
    # rows but not all, it is lower
    data = empty_parts_instance(second)
    plan = solve_procurement(data, gap=1e-9)
    assert check_procurement(data, plan).ok
    eps, cost = brute_force(data, plan.pooled_cost)
    assert eps > 1.0  # both cores empty: a group gains in each part
    part = _member_parts.parts(data)
    n = data.n_members
    alone = np.array([cost[frozenset([i])] for i in range(n)])

    def joint(keep: int) -> float:
        parts = []
        for j in range(2):
            members = np.flatnonzero(part == j)
            mine = {
                frozenset(np.flatnonzero(np.isin(members, list(s))).tolist()): c
                for s, c in cost.items()
                if set(s) <= set(members.tolist()) and 1 < len(s) < len(members)
            }
            rows = SimpleNamespace(known=dict(list(mine.items())[:keep]))
            whole = cost[frozenset(members.tolist())]
            parts.append(
                _member_byparts._Part(members, data, Patterns(data), whole, whole, whole, rows)  # type: ignore[arg-type]
            )
        lower, sums = _member_byparts._joint_bound(parts, alone, plan.pooled_cost)
        assert sums.sum() == pytest.approx(plan.pooled_cost)  # the parts' bills at the LP
        return lower

    scale = max(1.0, plan.pooled_cost)
    assert joint(1000) == pytest.approx(eps, abs=1e-6 * scale)
    assert joint(0) < eps - 1.0  # the members alone and the parts whole do not tell it


def searched_by_parts(second: list[float], monkeypatch: pytest.MonkeyPatch) -> Any:
    """The two-part game of ``second`` searched part by part: data, plan, the brute-force
    epsilon, every coalition's cost, and the money scale."""
    monkeypatch.setattr(member_core, "BY_PARTS_FROM", 0)
    data = empty_parts_instance(second)
    plan = solve_procurement(data, gap=1e-9)
    assert check_procurement(data, plan).ok
    eps, cost = brute_force(data, plan.pooled_cost)
    return data, plan, eps, cost, max(1.0, plan.pooled_cost)


@pytest.mark.parametrize("second", [[50.0, 70.0, 60.0, 45.0], [60.0, 60.0, 60.0]])
def test_least_core_part_by_part_brackets_the_epsilon(
    second: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    # each part searched alone, joined by the LP over the transfer: the LP's bound is at
    # most the least-core epsilon, the split's bound at least every group's gain
    data, plan, eps, cost, scale = searched_by_parts(second, monkeypatch)
    found = member_least_core(data, plan_cost=plan.pooled_cost, gap=1e-9, brute_force_limit=0)
    assert found.spent["milp_s"] > 0  # the parts' own searches ran
    assert found.split.shares.sum() == pytest.approx(plan.pooled_cost)
    gains = [found.split.shares[list(s)].sum() - c for s, c in cost.items()]
    assert found.epsilon <= eps + 1e-6 * scale
    assert found.epsilon == pytest.approx(eps, abs=1e-5 * scale)  # every part's rows found
    assert eps <= max(gains) + 1e-6 * scale <= found.epsilon_upper + 1e-4 * scale
    assert found.best_gain <= max(gains) + 1e-4 * scale  # the check names a real group
    if found.converged:
        assert max(gains) <= found.epsilon + 1e-4 * scale


@pytest.mark.parametrize("second", [[40.0] * 4, [30.0] * 5, [45.0, 45.0, 45.0, 30.0]])
def test_parts_searched_again_at_the_lps_transfer_reach_the_least_core(
    second: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    # three farms of 60 units in trucks of 130 (groups of two bind) beside farms whose
    # binding groups are larger: each part's least core at its own cost, side by side, is
    # not the least core of the whole (money must move between the parts), and searched
    # again at the bills the joint LP gives them, from their splits moved by the
    # difference, the parts reach it, proven
    data, plan, eps, cost, scale = searched_by_parts(second, monkeypatch)

    def least_core(transfer_from: float) -> Any:
        monkeypatch.setattr(_member_byparts, "TRANSFER_FROM_S", transfer_from)
        return member_least_core(data, plan_cost=plan.pooled_cost, gap=1e-9, brute_force_limit=0)

    once = least_core(math.inf)
    assert not once.converged and once.epsilon_upper > eps + 1.0  # at the parts' own costs
    found = least_core(0.0)
    assert found.converged and found.proven
    assert found.epsilon == pytest.approx(eps, abs=1e-5 * scale)
    gains = [found.split.shares[list(s)].sum() - c for s, c in cost.items()]
    assert max(gains) <= found.epsilon + 1e-4 * scale
    assert found.split.shares.sum() == pytest.approx(plan.pooled_cost)
