"""Pooled procurement against brute-force enumeration on tiny random instances.

The brute force below is written from the problem statement, not from the model: it imports
no part of the formulation (``_procurement_model``) nor the checker's pricing, only the
instance (:class:`ProcurementData`). Its rules:

* each member's demand of each product is covered exactly (no surplus is bought: the model
  does not let the pool buy more than its members need) by pooled units from the suppliers
  and the rest at the member's local dealer price;
* per supplier and product, the total ordered ``Q`` is either 0 or within
  ``[min_order, capacity]``, and costs ``price(b) * Q`` for all-units discounts (``b`` the last
  bracket whose threshold ``Q`` reaches) or, for incremental discounts, each bracket's price for
  the units inside it;
* nothing is delivered from a supplier that does not sell the product, or over no road;
* per supplier and drop point, ``ceil(weight / payload)`` trucks, each costing
  ``cost_per_trip + fuel_price_factor * cost_per_km * distance_km``.

Enumerating every split of every member's demand would be too slow, so it is organised without
losing any case: the cost depends on a plan only through ``x[s, p, d]`` (units of ``p`` from
``s`` to drop point ``d``) and through how many units each member gets pooled. For a drop
point ``d`` and product ``p``, every split of a pooled total ``T`` among the members at ``d``
is enumerated once (:func:`cheapest_local`), and any such split can be served by any
``x[., p, d]`` summing to ``T`` (pooled units at one drop point are interchangeable). So the
minimum over ``x`` of ``goods(x) + trucks(x) + cheapest_local(T(x))`` is the minimum over all
per-member plans.

Why whole units suffice (when they do). The MILP's quantities are continuous. Fix its 0/1
bracket choices ``u`` and its truck counts ``n``: what remains is an LP whose ``x[s, p, d]``
sit in three families of rows, orders ``(s, p)`` (``L <= sum_d x <= U``), deliveries
``(d, p)`` (``sum_s x + local = demand``) and payloads ``(s, d)`` (``sum_p w[p] x <= W[s]
n``); the bracket and local quantities each sit in one row only. When every product weighs the
same ``w`` and every payload is a multiple of ``w``, every coefficient is 1 after dividing the
payload rows by ``w``. If, in one of the three families, every row holds at most one ``x``
(one supplier, one product or one drop point in use, or sparser), the matrix is totally
unimodular: sign the other two families + and -, which is a bipartite incidence; each row
of the third family touches a single ``x`` and takes the sign that keeps that column's sum
in {-1, 0, 1} (Ghouila-Houri). With integral demands, thresholds, minimum orders,
capacities and payloads / w, every vertex of that LP is integral, so for every ``(u, n)``
the best plan is in whole units and the MILP optimum equals the whole-unit brute force.
Otherwise (two suppliers, two products and two drop points all in use, or unequal weights) a
fractional plan may be cheaper, and only ``MILP <= brute force`` is asserted.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from optimizer.models.procurement import (
    ProcurementData,
    ProcurementResult,
    check_procurement,
    solve_procurement,
)
from optimizer.results import Status

NAN = math.nan
TOL = 1e-6


# brute force ------------------------------------------------------------------------------
def goods_price(data: ProcurementData, s: int, p: int, quantity: int) -> float:
    """What ``quantity`` units of product ``p`` cost at supplier ``s`` (``inf`` if refused)."""
    if quantity == 0:
        return 0.0
    if not data.offered[s, p]:
        return math.inf
    if not data.min_order[s, p] <= quantity <= data.capacity[s, p]:
        return math.inf
    brackets = [
        (float(t), float(c))
        for t, c in zip(data.thresholds[s, p], data.unit_price[s, p], strict=True)
        if not math.isnan(t)
    ]
    if not data.incremental[s, p]:
        price = [c for t, c in brackets if t <= quantity][-1]
        return price * quantity
    cost = 0.0
    for i, (t, c) in enumerate(brackets):
        top = brackets[i + 1][0] if i + 1 < len(brackets) else math.inf
        cost += c * max(0.0, min(quantity, top) - t)
    return cost


def cheapest_local(data: ProcurementData, members: Sequence[int], p: int) -> np.ndarray:
    """``[T]``: the least local cost of the members' demand of ``p`` when ``T`` units are pooled.

    Every split of the pooled units among the members is tried.
    """
    need = [int(data.demand[m, p]) for m in members]
    best = np.full(sum(need) + 1, math.inf)
    for pooled in itertools.product(*(range(n + 1) for n in need)):
        local = sum(
            float(data.local_price[m, p]) * (n - k)
            for m, n, k in zip(members, need, pooled, strict=True)
        )
        total = sum(pooled)
        best[total] = min(best[total], local)
    return best


def splits(total_most: int, parts: int) -> list[tuple[int, ...]]:
    """Every ``parts``-tuple of whole numbers >= 0 summing to at most ``total_most``."""
    return [
        c for c in itertools.product(range(total_most + 1), repeat=parts) if sum(c) <= total_most
    ]


def brute_force_cost(data: ProcurementData, members: Sequence[int]) -> float:
    """The cheapest whole-unit plan for ``members``, by enumeration."""
    n_s, n_p, n_d = data.n_suppliers, data.n_products, data.n_drop_points
    assert np.all(data.demand == np.round(data.demand)), "brute force needs whole demands"
    at = [[m for m in members if data.drop_point[m] == d] for d in range(n_d)]
    road = np.isfinite(data.distance_km)

    # per product: every x[s, d] of that product, with its goods and local cost
    blocks: list[tuple[np.ndarray, np.ndarray]] = []  # (K, S, D) units, (K,) cost
    for p in range(n_p):
        per_drop = []
        local = []
        for d in range(n_d):
            local.append(cheapest_local(data, at[d], p))
            need = len(local[d]) - 1
            options = [
                c
                for c in splits(need, n_s)
                if all(c[s] == 0 or (road[s, d] and data.offered[s, p]) for s in range(n_s))
            ]
            per_drop.append(options)
        units, costs = [], []
        for choice in itertools.product(*per_drop):  # one split per drop point
            x = np.array(choice, dtype=np.int64).T  # (S, D)
            cost = sum(goods_price(data, s, p, int(x[s].sum())) for s in range(n_s))
            cost += sum(float(local[d][int(x[:, d].sum())]) for d in range(n_d))
            if math.isfinite(cost):
                units.append(x)
                costs.append(cost)
        blocks.append((np.array(units, dtype=np.int64), np.array(costs)))

    trip = data.cost_per_trip[:, None] + (
        data.fuel_price_factor * data.cost_per_km[:, None] * np.where(road, data.distance_km, 0)
    )
    payload = data.payload_kg.astype(np.int64)[:, None]
    weight = data.weight_kg.astype(np.int64)
    assert np.all(payload == data.payload_kg[:, None]) and np.all(weight == data.weight_kg)

    def with_trucks(load_kg: np.ndarray) -> np.ndarray:
        """Truck cost of loads ``(..., S, D)`` in whole kg."""
        trucks = -(-load_kg // payload)  # ceil for whole numbers
        return np.sum(trucks * trip, axis=(-2, -1))

    units0, cost0 = blocks[0]
    if n_p == 1:
        return float(np.min(cost0 + with_trucks(weight[0] * units0)))
    assert n_p == 2
    units1, cost1 = blocks[1]
    load1 = weight[1] * units1
    best = math.inf
    for start in range(0, len(units0), 64):  # in chunks, to bound the memory
        load0 = weight[0] * units0[start : start + 64]
        load = load0[:, None] + load1[None, :]
        total = cost0[start : start + 64, None] + cost1[None, :] + with_trucks(load)
        best = min(best, float(total.min()))
    return best


def whole_units_suffice(data: ProcurementData, members: Sequence[int]) -> bool:
    """True when the MILP optimum is provably in whole units (see the module docstring)."""
    weight = data.weight_kg[0]
    if not np.all(data.weight_kg == weight) or np.any(data.payload_kg % weight):
        return False
    needed = np.zeros((data.n_drop_points, data.n_products), dtype=bool)
    for m in members:
        needed[data.drop_point[m]] |= data.demand[m] > 0
    # x[s, p, d] exists
    x = data.offered[:, :, None] & np.isfinite(data.distance_km)[:, None, :] & needed.T[None, :, :]
    orders = x.sum(axis=2)  # per (s, p)
    deliveries = x.sum(axis=0)  # per (p, d)
    payloads = x.sum(axis=1)  # per (s, d)
    return bool(np.all(orders <= 1) or np.all(deliveries <= 1) or np.all(payloads <= 1))


# the model, checked ------------------------------------------------------------------------
def solved(data: ProcurementData, members: Sequence[int]) -> ProcurementResult:
    """Solve to optimality and run the independent checker, as every solve here does."""
    result = solve_procurement(data, members=list(members), standalone=False, gap=1e-9)
    assert result.status is Status.OPTIMAL
    check = check_procurement(data, result)
    assert check.ok, check.summary()
    assert check.cost == pytest.approx(result.objective, rel=TOL, abs=TOL)
    return result


def compare(data: ProcurementData, members: Sequence[int]) -> tuple[float, float]:
    """MILP and brute-force costs for ``members``; equal whenever whole units suffice."""
    milp = solved(data, members).pooled_cost
    brute = brute_force_cost(data, members)
    slack = TOL * max(1.0, abs(brute))
    assert milp <= brute + slack, f"MILP {milp} above a whole-unit plan at {brute}"
    if whole_units_suffice(data, members):
        assert milp == pytest.approx(brute, rel=TOL, abs=TOL)
    return milp, brute


# random instances ------------------------------------------------------------------------
@st.composite
def instances(draw: st.DrawFn) -> ProcurementData:
    """2-3 members at 1-2 drop points, 1-2 products, 1-2 suppliers with 1-3 brackets of either
    kind, minimum orders and capacities; a truck holds 2-6 units, so truck counts matter."""
    n_m, n_p = draw(st.integers(2, 3)), draw(st.integers(1, 2))
    n_s, n_d = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    n_b = 3
    demand = [
        [draw(st.sampled_from([4, 2, 6, 1, 5, 3, 0])) for _ in range(n_p)] for _ in range(n_m)
    ]
    local = [
        [draw(st.sampled_from([16.0, 13.0, 20.0, 11.0])) for _ in range(n_p)] for _ in range(n_m)
    ]
    thresholds = np.full((n_s, n_p, n_b), NAN)
    prices = np.full((n_s, n_p, n_b), NAN)
    min_order = np.zeros((n_s, n_p))
    capacity = np.zeros((n_s, n_p))
    for s in range(n_s):
        for p in range(n_p):
            k = draw(st.integers(1, n_b))
            steps = [draw(st.integers(1, 6)) for _ in range(k - 1)]
            thresholds[s, p, :k] = np.cumsum([0, *steps])
            cuts = [draw(st.sampled_from([1.0, 2.5, 0.0])) for _ in range(k - 1)]
            prices[s, p, :k] = draw(st.sampled_from([10.0, 8.0, 12.0])) - np.cumsum([0, *cuts])
            capacity[s, p] = draw(st.sampled_from([100, 8, 5, 3]))
            min_order[s, p] = draw(st.sampled_from([0, 2, 4, 0, 7]))
            min_order[s, p] = min(min_order[s, p], capacity[s, p])
    # mostly one unit weight and payloads in whole units: then whole units are often provably
    # optimal (see whole_units_suffice); mixed weights are compared one way only
    if draw(st.sampled_from(["one", "one", "mixed"])) == "one":
        weight = [draw(st.sampled_from([1, 2, 3]))] * n_p
        payload = [weight[0] * draw(st.integers(2, 6)) for _ in range(n_s)]
    else:
        weight = [draw(st.sampled_from([1, 2, 3])) for _ in range(n_p)]
        payload = [draw(st.integers(3, 12)) for _ in range(n_s)]
    return ProcurementData(
        demand=demand,
        local_price=local,
        offered=[
            [draw(st.sampled_from([True, True, False])) for _ in range(n_p)] for _ in range(n_s)
        ],
        thresholds=thresholds,
        unit_price=prices,
        incremental=[[draw(st.booleans()) for _ in range(n_p)] for _ in range(n_s)],
        min_order=min_order,
        capacity=capacity,
        weight_kg=weight,
        drop_point=[draw(st.integers(0, n_d - 1)) for _ in range(n_m)],
        distance_km=[
            [draw(st.sampled_from([5.0, 2.0, 10.0, 0.0, math.inf])) for _ in range(n_d)]
            for _ in range(n_s)
        ],
        payload_kg=payload,
        cost_per_trip=[draw(st.sampled_from([3.0, 8.0, 0.0])) for _ in range(n_s)],
        cost_per_km=[draw(st.sampled_from([1.0, 0.5])) for _ in range(n_s)],
        fuel_price_factor=draw(st.sampled_from([1.0, 1.5])),
    )


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(instances())
def test_milp_matches_brute_force(data: ProcurementData) -> None:
    everyone = list(range(data.n_members))
    milp, brute = compare(data, everyone)
    # shown by `pytest --hypothesis-show-statistics`: how many examples test what
    if whole_units_suffice(data, everyone):
        event("pooled: MILP = brute force (whole units provably optimal)")
    else:
        event("pooled: MILP <= brute force only")
    if milp < brute - TOL * max(1.0, brute):
        event("pooled: a fractional plan beats every whole-unit plan")
    if milp < float(np.sum(data.demand * data.local_price)) - TOL:
        event("pooled: cheaper than everyone at the local dealer")
    for m in everyone:  # the standalone baselines too
        compare(data, [m])


# hand-checkable cases where the optimum is not the obvious plan ---------------------------
def leave_one_unit_local() -> ProcurementData:
    # One supplier at 10 EUR for both products (2 kg per unit), trucks of 10 kg (5 units) at
    # 20 EUR. A needs 3 x P0 (local 13), B needs 3 x P1 (local 16). Everything pooled: 60 +
    # 2 trucks = 100; everything local: 39 + 48 = 87. Best: one truck with 3 x P1 and 2 x P0,
    # the third P0 (the smallest local mark-up) at the dealer: 50 + 20 + 13 = 83.
    return ProcurementData(
        demand=[[3, 0], [0, 3]],
        local_price=[[13, 13], [16, 16]],
        offered=[[True, True]],
        thresholds=[[[0], [0]]],
        unit_price=[[[10], [10]]],
        incremental=[[False, False]],
        min_order=[[0, 0]],
        capacity=[[100, 100]],
        weight_kg=[2, 2],
        drop_point=[0, 0],
        distance_km=[[0.0]],
        payload_kg=[10],
        cost_per_trip=[20],
        cost_per_km=[1],
    )


def spare_the_cheap_supplier() -> ProcurementData:
    # 6 units needed (local 12). S sells at 8 but at most 4; T at 9 from a minimum order of 3;
    # each truck 1 EUR. Filling S first leaves 2 units, below T's minimum: 4 x 8 + 1 + 2 x 12
    # = 57; all from T: 54 + 1 = 55. Best: 3 from S and 3 from T, 24 + 27 + 2 = 53.
    return ProcurementData(
        demand=[[2], [4]],
        local_price=[[12], [12]],
        offered=[[True], [True]],
        thresholds=[[[0]], [[0]]],
        unit_price=[[[8]], [[9]]],
        incremental=[[False], [False]],
        min_order=[[0], [3]],
        capacity=[[4], [100]],
        weight_kg=[1],
        drop_point=[0, 0],
        distance_km=[[0.0], [0.0]],
        payload_kg=[100, 100],
        cost_per_trip=[1, 1],
        cost_per_km=[0, 0],
        supplier_ids=["S", "T"],
    )


def deliver_far_to_reach_the_bracket() -> ProcurementData:
    # All-units: 10 EUR, 6 EUR from 5 units; local 12; 1 EUR per km. A (4 units) is 10 km
    # away, B (1 unit) 15 km away at another drop point. B's truck (15) costs more than B's
    # whole local purchase (12), and A alone (40 + 10 = 50) pays more than locally (48), yet
    # together 5 x 6 + 10 + 15 = 55 beats 48 + 12 = 60 and A pooled alone (50 + 12 = 62).
    return ProcurementData(
        demand=[[4], [1]],
        local_price=[[12], [12]],
        offered=[[True]],
        thresholds=[[[0, 5]]],
        unit_price=[[[10, 6]]],
        incremental=[[False]],
        min_order=[[0]],
        capacity=[[100]],
        weight_kg=[1],
        drop_point=[0, 1],
        distance_km=[[10.0, 15.0]],
        payload_kg=[100],
        cost_per_trip=[0],
        cost_per_km=[1],
    )


@pytest.mark.parametrize(
    ("make", "cost"),
    [
        (leave_one_unit_local, 83.0),  # a little local buying saves the second truck
        (spare_the_cheap_supplier, 53.0),  # not filling the cheapest supplier first
        (deliver_far_to_reach_the_bracket, 55.0),  # a dear delivery that unlocks a bracket
    ],
)
def test_brute_force_finds_the_hand_optimum(
    make: Callable[[], ProcurementData], cost: float
) -> None:
    data = make()
    everyone = list(range(data.n_members))
    assert whole_units_suffice(data, everyone)
    milp, brute = compare(data, everyone)
    assert brute == pytest.approx(cost)
    assert milp == pytest.approx(cost)
