"""Pooled procurement on tiny instances whose optimum is worked out by hand."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizer.errors import InputError
from optimizer.models.procurement import (
    START_MIN_BRACKETS,
    ProcurementData,
    ProcurementResult,
    check_procurement,
    solve_procurement,
)
from optimizer.models.procurement.model import best_brackets, build_model, goods_envelope
from optimizer.models.procurement.scenario import nearest_hubs
from optimizer.results import Check, Status

NAN = math.nan


def one_product(
    demand: list[float],
    *,
    thresholds: list[float] = (0.0,),  # type: ignore[assignment]
    prices: list[float] = (10.0,),  # type: ignore[assignment]
    incremental: bool = False,
    min_order: float = 0.0,
    capacity: float = 1e6,
    local_price: float = 12.0,
    payload_kg: float = 1e5,
    cost_per_trip: float = 50.0,
    cost_per_km: float = 1.0,
    distance_km: float = 10.0,
) -> ProcurementData:
    """One supplier, one product (1 kg per unit), every member at one hub."""
    n = len(demand)
    return ProcurementData(
        demand=np.array(demand, float)[:, None],
        local_price=np.full((n, 1), local_price),
        offered=[[True]],
        thresholds=[[list(thresholds)]],
        unit_price=[[list(prices)]],
        incremental=[[incremental]],
        min_order=[[min_order]],
        capacity=[[capacity]],
        weight_kg=[1.0],
        drop_point=np.zeros(n, int),
        distance_km=[[distance_km]],
        payload_kg=[payload_kg],
        cost_per_trip=[cost_per_trip],
        cost_per_km=[cost_per_km],
        member_ids=[chr(ord("A") + i) for i in range(n)],
    )


def solved(data: ProcurementData, **options: object) -> ProcurementResult:
    """Solve and run the independent checker, as every solve in these tests does."""
    result = solve_procurement(data, **options)  # type: ignore[arg-type]
    assert result.status is Status.OPTIMAL
    check = check_procurement(data, result)
    assert check.ok, check.summary()
    assert check.cost == pytest.approx(result.objective, rel=1e-6)
    return result


def test_all_units_bracket_reached_only_by_pooling() -> None:
    # Three members need 40 units each; bracket 10 EUR from 0, 8 EUR from 100 (all-units);
    # a truckload costs 50 + 1 x 10 km = 60. Local price 12.
    # Alone: 40 x 10 + 60 = 460 < 480 locally, so 3 x 460 = 1380.
    # Pooled: 120 units reach the 8 EUR bracket for all units: 960 + 60 = 1020.
    data = one_product([40, 40, 40], thresholds=[0, 100], prices=[10, 8])
    result = solved(data)
    assert result.pooled_cost == pytest.approx(1020)
    assert result.standalone_total == pytest.approx(1380)
    assert result.savings == pytest.approx(360)
    order = result.orders.iloc[0]
    assert order["bracket"] == 1 and order["unit_price"] == 8 and order["quantity"] == 120
    assert result.members["savings"].to_numpy() == pytest.approx([120, 120, 120])
    parts = check_procurement(data, result).figures
    assert parts == pytest.approx({"goods_cost": 960, "transport_cost": 60, "local_cost": 0})


def test_check_names_the_faults_of_a_broken_plan() -> None:
    data = one_product([40, 40, 40], thresholds=[0, 100], prices=[10, 8])
    result = solved(data)
    no_trucks = result.trucks.assign(trucks=0)
    bad = dataclasses.replace(result, trucks=no_trucks)
    check = check_procurement(data, bad)
    assert isinstance(check, Check) and not check.ok
    problems = "\n".join(check.problems)
    assert "120 kg on 0 trucks" in problems
    assert "cost recomputed 960.0000 but the plan says 1,020.0000" in problems
    assert check.figures["transport_cost"] == 0


def test_incremental_bracket_costs_more_than_all_units() -> None:
    # The same offer as incremental: the first 100 units at 10, the 20 above at 8:
    # 1000 + 160 + 60 = 1220 (buying fewer and the rest locally at 12 only costs more).
    data = one_product([40, 40, 40], thresholds=[0, 100], prices=[10, 8], incremental=True)
    result = solved(data)
    assert result.pooled_cost == pytest.approx(1220)
    assert result.savings == pytest.approx(160)
    assert result.orders.iloc[0]["average_price"] == pytest.approx(1160 / 120)


def test_minimum_order_only_the_pool_can_meet() -> None:
    # Minimum order 100 at 9 EUR: nobody alone (40) may order, so alone each pays 40 x 12.
    # Pooled: 120 x 9 + 60 = 1140 against 3 x 480 = 1440.
    data = one_product([40, 40, 40], prices=[9], min_order=100)
    result = solved(data)
    assert result.standalone_total == pytest.approx(1440)
    assert result.pooled_cost == pytest.approx(1140)
    alone = solved(data, members=["A"], standalone=False)
    assert alone.pooled_cost == pytest.approx(480)
    assert alone.orders.empty and alone.purchases["local"].sum() == pytest.approx(40)


def test_second_truck_not_worth_it() -> None:
    # 1,100 units of 1 kg, trucks of 1,000 kg at 100 EUR, price 10 vs 10.5 locally.
    # A second truck (100 EUR) would save only 100 x 0.5 = 50: one full truck and 100 units
    # bought locally, 10,000 + 100 + 1,050 = 11,150 (two trucks: 11,200).
    data = one_product([1100], payload_kg=1000, cost_per_trip=100, cost_per_km=0, local_price=10.5)
    result = solved(data)
    assert result.pooled_cost == pytest.approx(11150)
    assert int(result.trucks["trucks"].sum()) == 1
    assert result.purchases["local"].sum() == pytest.approx(100)


def test_truckload_boundary_makes_splitting_across_suppliers_cheaper() -> None:
    # As above, plus supplier T at 10.2 EUR with 200 kg vans at 20 EUR. The 100 units left
    # over cost 1,020 + 20 = 1,040 from T against 1,050 locally: 11,140 in total.
    # (All from T: 11,220 + 6 vans = 11,340; 900 from S, 200 from T: 11,160.)
    data = ProcurementData(
        demand=[[1100]],
        local_price=[[10.5]],
        offered=[[True], [True]],
        thresholds=[[[0]], [[0]]],
        unit_price=[[[10]], [[10.2]]],
        incremental=[[False], [False]],
        min_order=[[0], [0]],
        capacity=[[1e6], [1e6]],
        weight_kg=[1.0],
        drop_point=[0],
        distance_km=[[0.0], [0.0]],
        payload_kg=[1000, 200],
        cost_per_trip=[100, 20],
        cost_per_km=[0, 0],
        supplier_ids=["S", "T"],
    )
    result = solved(data)
    assert result.pooled_cost == pytest.approx(11140)
    quantity = result.orders.set_index("supplier")["quantity"]
    assert quantity["S"] == pytest.approx(1000) and quantity["T"] == pytest.approx(100)


def test_local_dealer_cheaper_for_an_isolated_member() -> None:
    # Farm-gate delivery. A is 10 km away: 100 x 10 + 50 + 10 = 1060 < 1100 locally.
    # B is 500 km away: 1000 + 550 = 1550 > 1100, so B buys at the local dealer.
    data = ProcurementData(
        demand=[[100], [100]],
        local_price=[[11], [11]],
        offered=[[True]],
        thresholds=[[[0]]],
        unit_price=[[[10]]],
        incremental=[[False]],
        min_order=[[0]],
        capacity=[[1e6]],
        weight_kg=[1.0],
        drop_point=[0, 1],
        distance_km=[[10.0, 500.0]],
        payload_kg=[1e5],
        cost_per_trip=[50],
        cost_per_km=[1.0],
        member_ids=["A", "B"],
    )
    result = solved(data)
    assert result.pooled_cost == pytest.approx(2160)
    bought = result.purchases.set_index("member")
    assert bought.loc["A", "pooled"] == pytest.approx(100)
    assert bought.loc["B", "local"] == pytest.approx(100)
    assert result.savings == pytest.approx(0)


def test_fuel_price_factor_scales_per_km_cost() -> None:
    # Trip cost 50 + 2 x 1 x 10 = 70; pooled 120 x 8 + 70 = 1030.
    base = one_product([40, 40, 40], thresholds=[0, 100], prices=[10, 8])
    fields = {k: getattr(base, k) for k in base.__dataclass_fields__}
    data = ProcurementData(**{**fields, "fuel_price_factor": 2.0})
    assert solved(data, standalone=False).pooled_cost == pytest.approx(1030)


def test_nobody_needs_anything() -> None:
    data = one_product([0, 0])
    result = solved(data)
    assert result.pooled_cost == 0 and result.orders.empty


def test_capacity_limits_the_order() -> None:
    # Capacity 50 at 9: 50 pooled (450 + 60), 70 locally at 12 (840): 1350.
    data = one_product([40, 40, 40], prices=[9], capacity=50)
    result = solved(data, standalone=False)
    assert result.pooled_cost == pytest.approx(1350)


@pytest.mark.parametrize(
    ("change", "column"),
    [
        ({"thresholds": [[[5, 100]]], "unit_price": [[[10, 8]]]}, "thresholds"),  # not from 0
        ({"thresholds": [[[0, 100]]], "unit_price": [[[8, 10]]]}, "unit_price"),  # rising
        ({"min_order": [[2e6]]}, "min_order"),  # above capacity
        ({"local_price": [[0.0], [12.0]]}, "local_price"),  # missing where there is demand
        ({"weight_kg": [-1.0]}, "weight_kg"),
        ({"drop_point": [0, 3]}, "drop_point"),
        ({"demand": [[1.0, 2.0]]}, "local_price"),  # wrong shape
    ],
)
def test_bad_input_names_the_column(change: dict[str, object], column: str) -> None:
    base = one_product([40, 40])
    fields = {k: getattr(base, k) for k in base.__dataclass_fields__}
    with pytest.raises(InputError, match=column):
        ProcurementData(**{**fields, **change})


def bracket_tables(
    draw: st.DrawFn, s: int, p: int, *, tops: list[float]
) -> tuple[np.ndarray, np.ndarray]:
    """1-3 brackets per offer from 0, 50 and 120 units, at a top price less 0, 1 and 2.5."""
    thresholds = np.full((s, p, 3), NAN)
    prices = np.full((s, p, 3), NAN)
    for i in range(s):
        for j in range(p):
            k = draw(st.integers(1, 3))
            top = draw(st.sampled_from(tops))
            thresholds[i, j, :k] = [0.0, 50.0, 120.0][:k]
            prices[i, j, :k] = [top, top - 1.0, top - 2.5][:k]
    return thresholds, prices


@st.composite
def instances(draw: st.DrawFn) -> ProcurementData:
    """2-3 members, 1-2 products, 1-2 suppliers, 1-3 brackets, 1-2 drop points, all kinds
    of discount, minimum orders, truck sizes and unreachable drop points."""
    m = draw(st.integers(2, 3))
    p = draw(st.integers(1, 2))
    s = draw(st.integers(1, 2))
    d = draw(st.integers(1, 2))
    qty = st.sampled_from([0.0, 10.0, 40.0, 70.0, 150.0])
    demand = np.array([[draw(qty) for _ in range(p)] for _ in range(m)])
    local = np.array(
        [[draw(st.sampled_from([9.0, 11.0, 13.0])) for _ in range(p)] for _ in range(m)]
    )
    thresholds, prices = bracket_tables(draw, s, p, tops=[10.0])
    return ProcurementData(
        demand=demand,
        local_price=local,
        offered=[[draw(st.booleans()) or j == 0 for j in range(p)] for _ in range(s)],
        thresholds=thresholds,
        unit_price=prices,
        incremental=[[draw(st.booleans()) for _ in range(p)] for _ in range(s)],
        min_order=[[draw(st.sampled_from([0.0, 60.0])) for _ in range(p)] for _ in range(s)],
        # capacity above any coalition's demand: a binding capacity is shared by the pool but
        # not by members alone, and then pooling can cost more than the standalone sum
        capacity=[[draw(st.sampled_from([500.0, 1000.0])) for _ in range(p)] for _ in range(s)],
        weight_kg=[draw(st.sampled_from([1.0, 25.0])) for _ in range(p)],
        drop_point=[draw(st.integers(0, d - 1)) for _ in range(m)],
        distance_km=[
            [draw(st.sampled_from([5.0, 40.0, math.inf])) for _ in range(d)] for _ in range(s)
        ],
        payload_kg=[draw(st.sampled_from([500.0, 5000.0])) for _ in range(s)],
        cost_per_trip=[draw(st.sampled_from([0.0, 30.0])) for _ in range(s)],
        cost_per_km=[1.0] * s,
    )


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_pooling_never_costs_more_than_buying_alone(data: ProcurementData) -> None:
    result = solved(data)
    assert result.pooled_cost <= result.standalone_total + 1e-6 * max(1, result.standalone_total)
    # and no split of the members into two groups does better than all together
    first = [0]
    rest = list(range(1, data.n_members))
    apart = (
        solved(data, members=first, standalone=False).pooled_cost
        + solved(data, members=rest, standalone=False).pooled_cost
    )
    assert result.pooled_cost <= apart + 1e-6 * max(1, apart)


def test_binding_capacity_can_make_pooling_dearer() -> None:
    # Found by the property test above: capacity 100 at 10 EUR, trucks 5 EUR, local 11.
    # A (10 units) alone: 100 + 5 = 105; B (150) alone: 1000 + 5 + 50 x 11 = 1555; sum 1660.
    # Together they share the 100 units: 1000 + 5 + 60 x 11 = 1665. Standalone costs assume
    # each member has the whole capacity to itself.
    data = one_product(
        [10, 150], capacity=100, local_price=11, cost_per_trip=0, cost_per_km=1.0, distance_km=5.0
    )
    result = solved(data)
    assert result.standalone_total == pytest.approx(1660)
    assert result.pooled_cost == pytest.approx(1665)


def test_scenario_adapter_on_the_bundled_scenario() -> None:
    from pathlib import Path

    from optimizer.models.procurement import drop_point_ids, scenario_procurement_data
    from optimizer.scenario.load import load_scenario

    folder = Path(__file__).resolve().parents[2] / "scenarios" / "mecklenburg"
    if not folder.exists():
        pytest.skip("bundled scenario not present")
    scenario = load_scenario(folder)
    drops = drop_point_ids(scenario)
    # any distances will do here: 10 km from every supplier to every drop point
    data = scenario_procurement_data(scenario, np.full((len(scenario.suppliers), len(drops)), 10.0))
    assert data.n_members == len({d.member for d in scenario.demand})
    result = solved(data)
    assert result.savings > 0
    with pytest.raises(InputError, match="road distances"):
        scenario_procurement_data(scenario, np.zeros((1, 1)))


def test_goods_envelope_knows_the_offers_share_the_demand() -> None:
    # Two suppliers, each: [0, 100) at 10 EUR, exactly 100 (its capacity) at 8 EUR; 150 units
    # needed. Each offer's own envelope is 8 q, so the LP of the bracket formulation would pay
    # 8 * 150 = 1200. Both cannot reach 100 with 150 units, so the cheapest is 100 at 8 plus
    # 50 at 10 = 1300: the envelope must reach 1300 at Q = 150 and stay below F elsewhere.
    offer = [(0.0, 100.0, 10.0, 0.0), (100.0, 100.0, 8.0, 0.0)]
    edges = goods_envelope([offer, offer], 150.0)

    def cheapest(q: float) -> float:  # F(Q) by hand: one supplier at 100 when Q >= 100
        return 800.0 + 10.0 * (q - 100.0) if q >= 100 else 10.0 * q

    assert max(a + b * 150.0 for a, b in edges) == pytest.approx(1300.0)
    for q in np.linspace(0.0, 150.0, 31):
        assert max(a + b * q for a, b in edges) <= cheapest(float(q)) + 1e-9


def test_best_brackets_for_the_whole_demand() -> None:
    # The offers of the envelope test: 150 units are cheapest as 100 at 8 from one supplier
    # (its capacity) and 50 at 10 from the other (1300); both at 8 would need 200 units.
    offer = [(0.0, 100.0, 10.0, 0.0), (100.0, 100.0, 8.0, 0.0)]
    assert sorted(best_brackets([offer, offer], 150.0, local_price=12.0)) == [0, 1]
    # 20 units: the second bracket (100 units) cannot be reached; the first holds them all
    assert best_brackets([offer], 20.0, local_price=12.0) == [0]


def test_large_model_goes_through_the_heuristic_start() -> None:
    # 26 products, one supplier with brackets [0, 25) at 10 and from 25 at 8 for each: 52
    # bracket binaries, enough for the start (fixed brackets) to be solved first. Three
    # members need 10 of each; pooled, 30 units reach the 8 EUR bracket: 26 * 30 * 8 = 6240,
    # plus one truck (payload 1e6 kg, 26 * 30 kg) at 50 + 10 km * 1 = 60: 6300. The local
    # dealer (12) is dearer than both brackets.
    n_products = 26
    data = ProcurementData(
        demand=np.full((3, n_products), 10.0),
        local_price=np.full((3, n_products), 12.0),
        offered=np.ones((1, n_products), bool),
        thresholds=np.tile([0.0, 25.0], (1, n_products, 1)),
        unit_price=np.tile([10.0, 8.0], (1, n_products, 1)),
        incremental=np.zeros((1, n_products), bool),
        min_order=np.zeros((1, n_products)),
        capacity=np.full((1, n_products), 1e6),
        weight_kg=np.ones(n_products),
        drop_point=np.zeros(3, int),
        distance_km=[[10.0]],
        payload_kg=[1e6],
        cost_per_trip=[50.0],
        cost_per_km=[1.0],
    )
    assert len(build_model(data).brackets) >= START_MIN_BRACKETS
    result = solved(data, standalone=False)
    assert result.pooled_cost == pytest.approx(6300.0)


def test_each_member_gets_the_nearest_hub_its_cooperative_may_use() -> None:
    hub = dataclasses.make_dataclass("Hub", ["id", "lat", "lon", "cooperative", "existing"])
    member = dataclasses.make_dataclass("Member", ["id", "lat", "lon", "cooperative"])
    hubs = (
        hub("H1", 53.0, 13.0, "A", True),  # A's own, open
        hub("H2", 53.5, 13.5, "B", False),  # B's own, a candidate
        hub("H3", 54.0, 14.0, None, False),  # shared, a candidate
        hub("H4", 54.0, 14.0, "", False),  # shared, a candidate at H3's place
    )
    members = (
        member("M1", 53.5, 13.5, "A"),  # at H2, which is not A's: its open hub H1
        member("M2", 53.1, 13.1, "B"),  # near H1, not B's: no open hub, its nearest H2
        member("M3", 53.0, 13.0, "C"),  # at H1: only the shared ones, equal: the first, H3
    )
    scenario = dataclasses.make_dataclass("Scenario", ["hubs", "members"])(hubs, members)
    assert nearest_hubs(scenario) == {"M1": "H1", "M2": "H2", "M3": "H3"}


def test_no_road_costs_nothing_per_km_and_still_carries_nothing() -> None:
    data = ProcurementData(
        demand=[[1.0]],
        local_price=[[2.0]],
        offered=[[True]],
        thresholds=[[0.0]],
        unit_price=[[1.0]],
        incremental=[[False]],
        min_order=[[0.0]],
        capacity=[[10.0]],
        weight_kg=[1.0],
        drop_point=[0],
        distance_km=[[np.inf]],
        payload_kg=[10.0],
        cost_per_trip=[5.0],
        cost_per_km=[0.0],
    )
    with np.errstate(invalid="raise"):  # 0 x inf would be nan (with a warning)
        assert np.isposinf(data.trip_cost).all()
    plan = solve_procurement(data, standalone=False)
    assert check_procurement(data, plan).ok
    assert plan.local_cost == pytest.approx(2.0) and plan.trucks.empty
