"""Members' costs of buying alone by enumeration against the MILP and brute force."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizer.models.procurement import ProcurementData, standalone_costs
from optimizer.models.procurement.alone import alone_costs
from tests.models.test_procurement import bracket_tables, instances, one_product
from tests.models.test_procurement_bruteforce import (
    brute_force_cost,
    solved,
    whole_units_suffice,
)

NAN = math.nan


def milp_alone(data: ProcurementData, m: int) -> float:
    """The member's cost alone by the MILP, solved to optimality and checked."""
    return solved(data, [m]).pooled_cost


def test_part_of_the_demand_bought_locally_saves_a_truck() -> None:
    # 110 units, 100 per truck at 50 EUR a trip, 10 EUR each from the supplier, 11 locally:
    # 100 delivered + 10 local = 1,000 + 50 + 110 = 1,160 (all delivered, two trucks: 1,200;
    # all local: 1,210)
    data = one_product(
        [110.0], local_price=11.0, payload_kg=100.0, cost_per_trip=50.0, distance_km=0.0
    )
    found = alone_costs(data)
    assert found.unsolved == ()
    assert found.cost[0] == pytest.approx(1160.0)
    assert milp_alone(data, 0) == pytest.approx(1160.0)


def test_minimum_order_above_the_demand_leaves_the_local_dealer() -> None:
    data = one_product([40.0], min_order=50.0, local_price=12.0)
    assert alone_costs(data).cost[0] == pytest.approx(480.0)


def test_incremental_bracket_reached_alone() -> None:
    # 0-50 at 10, from 50 at 8: 150 units cost 500 + 800, one truck 50 + 10 km x 1
    data = one_product(
        [150.0], thresholds=[0.0, 50.0], prices=[10.0, 8.0], incremental=True, local_price=20.0
    )
    assert alone_costs(data).cost[0] == pytest.approx(1360.0)


def two_suppliers_two_products() -> ProcurementData:
    """Supplier 0 sells both products, supplier 1 only the first: not a star when all used."""
    return ProcurementData(
        demand=[[100.0, 100.0]],
        local_price=[[20.0, 20.0]],
        offered=[[True, True], [True, False]],
        thresholds=[[[0.0], [0.0]], [[0.0], [NAN]]],
        unit_price=[[[10.0], [11.0]], [[12.0], [NAN]]],
        incremental=[[False, False], [False, False]],
        min_order=[[0.0, 0.0], [0.0, 0.0]],
        capacity=[[1e6, 1e6], [1e6, 1e6]],
        weight_kg=[1.0, 1.0],
        drop_point=[0],
        distance_km=[[10.0], [10.0]],
        payload_kg=[100.0, 100.0],
        cost_per_trip=[330.0, 30.0],
        cost_per_km=[1.0, 1.0],
    )


def test_a_cell_that_is_no_star_goes_to_the_milp() -> None:
    data = two_suppliers_two_products()
    found = alone_costs(data)
    assert found.unsolved == (0,)
    assert math.isnan(found.cost[0])
    # the MILP: supplier 0 brings the second product and supplier 1 the first, a truck each:
    # 1,100 + 1,200 + 340 + 40 (both from supplier 0 take two of its dear trucks: 2,780)
    unproven: list[int] = []
    cost = standalone_costs(data, unproven=unproven)
    assert cost[0] == pytest.approx(2680.0)
    assert cost[0] == pytest.approx(milp_alone(data, 0))
    assert unproven == []


@st.composite
def wider_instances(draw: st.DrawFn) -> ProcurementData:
    """1-3 members, up to 3 products and 3 suppliers, fractional weights and payloads."""
    m, p, s = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    qty = st.sampled_from([0.0, 7.5, 40.0, 70.0, 150.0, 420.0])
    thresholds, prices = bracket_tables(draw, s, p, tops=[10.0, 11.5])
    return ProcurementData(
        demand=[[draw(qty) for _ in range(p)] for _ in range(m)],
        local_price=[
            [draw(st.sampled_from([9.0, 11.0, 13.0])) for _ in range(p)] for _ in range(m)
        ],
        offered=[[draw(st.booleans()) for _ in range(p)] for _ in range(s)],
        thresholds=thresholds,
        unit_price=prices,
        incremental=[[draw(st.booleans()) for _ in range(p)] for _ in range(s)],
        min_order=[[draw(st.sampled_from([0.0, 30.0, 60.0])) for _ in range(p)] for _ in range(s)],
        capacity=[
            [draw(st.sampled_from([65.0, 100.0, 1000.0])) for _ in range(p)] for _ in range(s)
        ],
        weight_kg=[draw(st.sampled_from([1.0, 2.5, 25.0])) for _ in range(p)],
        drop_point=[draw(st.integers(0, 1)) for _ in range(m)],
        distance_km=[
            [draw(st.sampled_from([5.0, 40.0, math.inf])) for _ in range(2)] for _ in range(s)
        ],
        payload_kg=[draw(st.sampled_from([100.0, 475.0, 5000.0])) for _ in range(s)],
        cost_per_trip=[draw(st.sampled_from([0.0, 30.0, 400.0])) for _ in range(s)],
        cost_per_km=[1.0] * s,
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(wider_instances())
def test_enumeration_equals_the_milp_of_each_member(data: ProcurementData) -> None:
    found = alone_costs(data)
    for m in range(data.n_members):
        milp = milp_alone(data, m)
        if m in found.unsolved:
            assert math.isnan(found.cost[m])
            continue
        assert found.cost[m] == pytest.approx(milp, rel=1e-7, abs=1e-6)
    # what the pooled model's baseline uses: enumeration, the MILP for the rest
    unproven: list[int] = []
    baseline = standalone_costs(data, unproven=unproven)
    assert unproven == []
    for m in range(data.n_members):
        assert baseline[m] == pytest.approx(milp_alone(data, m), rel=1e-7, abs=1e-6)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_enumeration_equals_brute_force_on_tiny_instances(data: ProcurementData) -> None:
    found = alone_costs(data)
    for m in range(data.n_members):
        if m in found.unsolved:
            continue
        brute = brute_force_cost(data, [m])
        if whole_units_suffice(data, [m]):
            assert found.cost[m] == pytest.approx(brute, rel=1e-9, abs=1e-6)
        else:  # a fractional plan may be cheaper than every whole-unit one
            assert found.cost[m] <= brute + 1e-6
