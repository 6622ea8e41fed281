"""Members at one place share their flow variables (models/hubs/_milp.py): the optimum is
unchanged, and every member gets its own plan back.

The reference is an independent member-level formulation solved by brute force over the
whole decisions (every set of open hubs and every truck count), each a linear programme
written here with scipy's ``linprog``.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pytest
from scipy.optimize import linprog

from optimizer.models.hubs import HubData, check_hubs, solve_hubs
from optimizer.models.hubs._milp import hub_milp
from optimizer.results import Status
from tests.models.test_hubs import network, solved


def brute_force(data: HubData) -> float:
    """The best net value over every open-hub set and truck count (each an LP over flows)."""
    n_h, n_b = data.n_hubs, data.n_buyers
    total_kg = float((data.supply * data.weight_kg).sum())
    most = np.ceil(np.minimum(data.hub_capacity_kg[:, None], total_kg) / data.truck_payload_kg)
    best = -math.inf
    for y in itertools.product([0, 1], repeat=n_h):
        if any(data.existing_mask & (np.array(y) == 0)):
            continue
        ranges = [
            range(int(most[h, b]) + 1) if y[h] and math.isfinite(data.truck_cost[h, b]) else [0]
            for h in range(n_h)
            for b in range(n_b)
        ]
        for t in itertools.product(*ranges):
            trucks = np.array(t, dtype=float).reshape(n_h, n_b)
            value = _flows(data, np.array(y, dtype=bool), trucks)
            fixed = float(data.hub_fixed_cost @ np.array(y) + (trucks * data.truck_cost).sum())
            best = max(best, value - fixed)
    return best


def _flows(data: HubData, y: np.ndarray, t: np.ndarray) -> float:
    """The best value of the flows (revenue less first-mile, handling and direct costs)."""
    n_m, n_h, n_b, n_p = data.n_members, data.n_hubs, data.n_buyers, data.n_products
    shape_f, shape_g, shape_d, shape_u = (
        (n_m, n_h, n_p),
        (n_h, n_b, n_p),
        (n_m, n_b, n_p),
        (n_m, n_p),
    )
    sizes = [int(np.prod(s)) for s in (shape_f, shape_g, shape_d, shape_u)]
    offsets = np.cumsum([0, *sizes])
    n = int(offsets[-1])

    def block(i: int, shape: tuple[int, ...]) -> np.ndarray:
        return np.arange(offsets[i], offsets[i + 1]).reshape(shape)

    f, g, d, u = (block(i, s) for i, s in enumerate((shape_f, shape_g, shape_d, shape_u)))
    dist_mh = np.where(np.isfinite(data.distance_member_hub_km), data.distance_member_hub_km, 0)
    dist_mb = np.where(np.isfinite(data.distance_member_buyer_km), data.distance_member_buyer_km, 0)
    gain = np.zeros(n)
    upper = np.full(n, np.inf)
    for m, h, p in np.ndindex(shape_f):
        cost = data.first_mile_cost_per_unit_km[p] * dist_mh[m, h] + data.handling_per_unit[h, p]
        gain[f[m, h, p]] = -cost
        if not (y[h] and math.isfinite(data.distance_member_hub_km[m, h])):
            upper[f[m, h, p]] = 0.0
    for h, b, p in np.ndindex(shape_g):
        gain[g[h, b, p]] = data.value_per_unit[b, p]
    for m, b, p in np.ndindex(shape_d):
        gain[d[m, b, p]] = (
            data.value_per_unit[b, p] - data.direct_cost_per_unit_km[p] * dist_mb[m, b]
        )
        if not math.isfinite(data.distance_member_buyer_km[m, b]):
            upper[d[m, b, p]] = 0.0
    for m, p in np.ndindex(shape_u):
        gain[u[m, p]] = data.farm_gate_per_unit[m, p]
    eq_rows, eq_rhs, le_rows, le_rhs = [], [], [], []
    for m, p in np.ndindex(shape_u):  # supply
        row = np.zeros(n)
        row[f[m, :, p]] = row[d[m, :, p]] = row[u[m, p]] = 1.0
        eq_rows.append(row)
        eq_rhs.append(data.supply[m, p])
    for h, p in np.ndindex(n_h, n_p):  # hub balance
        row = np.zeros(n)
        row[f[:, h, p]] = 1.0
        row[g[h, :, p]] = -1.0
        eq_rows.append(row)
        eq_rhs.append(0.0)
    for h in range(n_h):  # hub capacity
        row = np.zeros(n)
        for p in range(n_p):
            row[f[:, h, p]] = data.weight_kg[p]
        le_rows.append(row)
        le_rhs.append(data.hub_capacity_kg[h] * y[h])
    for h, b in np.ndindex(n_h, n_b):  # trucks cover loads
        row = np.zeros(n)
        row[g[h, b, :]] = data.weight_kg
        le_rows.append(row)
        le_rhs.append(data.truck_payload_kg[h, b] * t[h, b])
    for b, p in np.ndindex(n_b, n_p):  # intake
        row = np.zeros(n)
        row[g[:, b, p]] = row[d[:, b, p]] = 1.0
        le_rows.append(row)
        le_rhs.append(min(data.intake_units[b, p], 1e12))
    found = linprog(
        -gain,
        A_ub=np.array(le_rows),
        b_ub=le_rhs,
        A_eq=np.array(eq_rows),
        b_eq=eq_rhs,
        bounds=list(zip(np.zeros(n), upper, strict=True)),
        method="highs",
    )
    assert found.status == 0, found.message
    return float(-found.fun)


def clustered(seed: int) -> HubData:
    """Six members at three places (two each, equal distances), each with its own farm-gate
    price; two hubs, two buyers with limited intake, two products."""
    rng = np.random.default_rng(seed)
    at = np.array([0, 0, 1, 1, 2, 2])
    kwargs: dict[str, Any] = {
        "supply": rng.integers(0, 12, (6, 2)).astype(float),
        "weight_kg": np.array([1.0, 2.0]),
        "value_per_unit": rng.uniform(6, 12, (2, 2)),
        "distance_member_hub_km": rng.uniform(1, 10, (3, 2))[at],
        "distance_member_buyer_km": rng.uniform(10, 40, (3, 2))[at],
        "distance_hub_buyer_km": rng.uniform(10, 30, (2, 2)),
        "first_mile_cost_per_unit_km": np.array([0.05, 0.08]),
        "direct_cost_per_unit_km": np.array([0.2, 0.25]),
        "hub_fixed_cost": rng.uniform(5, 20, 2),
        "hub_capacity_kg": rng.uniform(25, 60, 2),
        "truck_payload_kg": 30.0,
        "truck_fixed_cost": 10.0,
        "truck_cost_per_km": 0.5,
        "intake_max": rng.uniform(8, 25, (2, 2)),
        "farm_gate_value": rng.uniform(0, 6, (6, 2)),
    }
    return HubData(**kwargs)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])  # random instances, three places of two members
def test_places_keep_the_optimum_of_the_member_level_model(seed: int) -> None:
    data = clustered(seed)
    assert hub_milp(data).n_places == 3
    result = solved(data)  # checked member by member
    assert result.objective == pytest.approx(brute_force(data), rel=1e-7, abs=1e-7)


def test_a_place_shares_its_flow_by_what_each_member_ships() -> None:
    # Two members of 10 at one place, no hub worth opening (capacity 0), one buyer taking 10
    # at 7.5 net. Member 1's farm gate pays 8, member 0's nothing: member 0 ships its 10
    # (75), member 1 sells at its farm gate (80), 155.
    data = network(
        [10.0, 10.0],
        hub_capacity_kg=np.array([0.0]),
        intake_max=np.array([[10.0]]),
        farm_gate_value=np.array([[0.0], [8.0]]),
    )
    assert hub_milp(data).n_places == 1
    result = solved(data)
    assert result.objective == pytest.approx(155.0)
    assert result.direct[["member", "quantity"]].to_numpy().tolist() == [[0, 10.0]]
    assert result.unsold[["member", "quantity"]].to_numpy().tolist() == [[1, 10.0]]


def test_cbc_solves_the_same_arrays() -> None:
    # CBC gets the MILP as a PuLP model built from the same arrays (solver_matrix.to_pulp)
    data = clustered(2)
    highs = solve_hubs(data, time_limit=30, gap=1e-9)
    cbc = solve_hubs(data, time_limit=30, gap=1e-9, solver="cbc")
    assert cbc.solver == "cbc" and cbc.status is Status.OPTIMAL
    report = check_hubs(data, cbc)
    assert report.ok, report.summary()
    assert cbc.objective == pytest.approx(highs.objective, rel=1e-6)
    assert report.cost == pytest.approx(cbc.objective, rel=1e-6)


def test_no_members_no_places() -> None:
    # A cooperative with no members planning alone: nothing to ship; an existing hub stays
    # open and its fixed cost (5) is paid.
    empty: dict[str, Any] = {
        "supply": np.zeros((0, 1)),
        "distance_member_hub_km": np.zeros((0, 1)),
        "distance_member_buyer_km": np.zeros((0, 1)),
    }
    assert hub_milp(network([], **empty)).n_places == 0
    assert solved(network([], **empty)).objective == 0.0
    kept = solved(network([], **empty, hub_existing=np.array([True])))
    assert kept.objective == pytest.approx(-5.0) and kept.open_hubs == (0,)
