"""The two-echelon hub model on instances solved by hand; the checker runs on every solve.

Common numbers (one product of 1 kg per unit, one buyer paying 10 per unit): members are 1 km
from the hub and 10 km from the buyer; first mile costs 0.1 per unit-km (0.1 per unit), direct
shipping 0.25 per unit-km (2.5 per unit, so 7.5 net); the hub is 10 km from the buyer, a truck
carries 20 kg and costs 10 + 1/km × 10 km = 20; opening the hub costs 5.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from optimizer.errors import InputError
from optimizer.models.hubs import HubData, HubResult, check_hubs, solve_hubs
from optimizer.results import Status


def network(units: list[float], **overrides: Any) -> HubData:
    """One product (``units`` per member), one buyer, one candidate hub; ``overrides`` replace
    any field."""
    n_m = len(units)
    fields: dict[str, Any] = {
        "supply": np.array(units, dtype=float)[:, None],
        "weight_kg": np.array([1.0]),
        "value_per_unit": np.array([[10.0]]),
        "distance_member_hub_km": np.ones((n_m, 1)),
        "distance_member_buyer_km": np.full((n_m, 1), 10.0),
        "distance_hub_buyer_km": np.array([[10.0]]),
        "first_mile_cost_per_unit_km": np.array([0.1]),
        "direct_cost_per_unit_km": np.array([0.25]),
        "hub_fixed_cost": np.array([5.0]),
        "hub_capacity_kg": np.array([100.0]),
        "truck_payload_kg": 20.0,
        "truck_fixed_cost": 10.0,
        "truck_cost_per_km": 1.0,
    }
    fields.update(overrides)
    return HubData(**fields)


def solved(data: HubData) -> HubResult:
    """Solve, then make the independent checker agree with the plan and its value."""
    result = solve_hubs(data, time_limit=30, gap=1e-9)
    assert result.status is Status.OPTIMAL
    report = check_hubs(data, result)
    assert report.ok, report.summary()
    assert report.cost == pytest.approx(result.objective, rel=1e-9, abs=1e-9)
    assert result.value.net_value == pytest.approx(result.objective, rel=1e-9, abs=1e-9)
    return result


def test_hub_opens_only_when_members_fill_a_truck() -> None:
    # One member of 10: direct 10 × 7.5 = 75; via the hub 100 − 1 − 20 − 5 = 74 (the truck
    # runs half empty) -> direct.
    alone = solved(network([10.0]))
    assert alone.open_hubs == ()
    assert alone.objective == pytest.approx(75.0)
    assert alone.direct["quantity"].sum() == pytest.approx(10.0)
    # Two members of 10: direct 150; via the hub 200 − 2 − 20 − 5 = 173 (one full truck).
    pooled = solved(network([10.0, 10.0]))
    assert pooled.open_hubs == (0,)
    assert pooled.objective == pytest.approx(173.0)
    assert pooled.corridors[["trucks", "load_kg"]].to_numpy().tolist() == [[1, 20.0]]
    assert pooled.direct.empty
    assert pooled.value.truck_cost == pytest.approx(20.0)
    assert "1 hubs open, 1 trucks" in pooled.summary()


def test_direct_shipment_beats_the_hub() -> None:
    # A third member of 5 sits 1 km from the buyer and 10 km from the hub; trucks carry 30 kg
    # so there is room. Via the hub its 5 units cost 5 × 0.1 × 10 = 5; direct 5 × 0.25 = 1.25.
    # Plan: members 0 and 1 via the hub (200 − 2 − 20 − 5 = 173), member 2 direct
    # (50 − 1.25 = 48.75): 221.75 (all three via the hub would be 250 − 7 − 20 − 5 = 218).
    data = network(
        [10.0, 10.0, 5.0],
        distance_member_hub_km=np.array([[1.0], [1.0], [10.0]]),
        distance_member_buyer_km=np.array([[10.0], [10.0], [1.0]]),
        truck_payload_kg=30.0,
    )
    result = solved(data)
    assert result.objective == pytest.approx(221.75)
    assert result.direct[["member", "quantity"]].to_numpy().tolist() == [[2, 5.0]]
    assert sorted(result.first_mile["member"]) == [0, 1]


def test_capacity_forces_a_second_hub() -> None:
    # Two identical hubs of 15 kg, no direct road. One hub: 15 units, 150 − 1.5 − 20 − 5 = 123.5
    # (5 units unsold at 0). Two hubs: 200 − 2 − 2 × 20 − 2 × 5 = 148 -> both open.
    data = network(
        [10.0, 10.0],
        distance_member_hub_km=np.ones((2, 2)),
        distance_member_buyer_km=np.full((2, 1), math.inf),
        distance_hub_buyer_km=np.array([[10.0], [10.0]]),
        hub_fixed_cost=np.array([5.0, 5.0]),
        hub_capacity_kg=np.array([15.0, 15.0]),
    )
    result = solved(data)
    assert result.open_hubs == (0, 1)
    assert result.objective == pytest.approx(148.0)
    assert result.corridors["trucks"].sum() == 2
    assert result.unsold.empty


def test_existing_hub_is_open_and_used() -> None:
    # The single member of the first test with the hub already open: its 5 is paid anyway, so
    # via the hub (100 − 1 − 20 − 5 = 74) now beats direct (75 − 5 = 70).
    result = solved(network([10.0], hub_existing=np.array([True])))
    assert result.open_hubs == (0,)
    assert result.objective == pytest.approx(74.0)
    assert result.value.hub_fixed_cost == pytest.approx(5.0)
    assert result.direct.empty


def test_farther_buyer_paying_more_up_to_its_intake() -> None:
    # No hub. Buyer 0 is 1 km away and pays 8 (net 7.75); buyer 1 is 10 km away and pays 12
    # (net 9.5) but takes only 15. Member of 20: 15 far (142.5) + 5 near (38.75) = 181.25.
    data = HubData(
        supply=np.array([[20.0]]),
        weight_kg=np.array([1.0]),
        value_per_unit=np.array([[8.0], [12.0]]),
        distance_member_hub_km=np.zeros((1, 0)),
        distance_member_buyer_km=np.array([[1.0, 10.0]]),
        distance_hub_buyer_km=np.zeros((0, 2)),
        first_mile_cost_per_unit_km=np.array([0.1]),
        direct_cost_per_unit_km=np.array([0.25]),
        hub_fixed_cost=np.zeros(0),
        hub_capacity_kg=np.zeros(0),
        truck_payload_kg=20.0,
        truck_fixed_cost=10.0,
        truck_cost_per_km=1.0,
        intake_max=np.array([[math.inf], [15.0]]),
    )
    result = solved(data)
    assert result.objective == pytest.approx(181.25)
    got = result.direct.set_index("buyer")["quantity"].to_dict()
    assert got == pytest.approx({0: 5.0, 1: 15.0})


def test_heavy_product_needs_more_trucks_and_farm_gate_takes_the_rest() -> None:
    # Two products: grain 1 kg/unit (10 units) and milk 2 kg/unit (10 units), the buyer pays 10
    # for each, no direct road, the farm gate pays 8 for milk. Everything via the hub is 30 kg,
    # 2 trucks: 200 − 2 − 40 − 5 = 153. Per truck-kg grain gains 9.9 and milk (10 − 0.1 − 8)/2
    # = 0.95, so one truck takes the 10 grain and 5 milk, and 5 milk go to the farm gate:
    # 150 − 1.5 − 20 − 5 + 40 = 163.5. A second truck for the last 5 milk gains 9.5 < 20.
    data = network(
        [10.0],
        supply=np.array([[10.0, 10.0]]),
        weight_kg=np.array([1.0, 2.0]),
        value_per_unit=np.array([[10.0, 10.0]]),
        first_mile_cost_per_unit_km=np.array([0.1, 0.1]),
        direct_cost_per_unit_km=np.array([0.25, 0.25]),
        distance_member_buyer_km=np.array([[math.inf]]),
        farm_gate_value=np.array([[0.0, 8.0]]),
    )
    result = solved(data)
    assert result.objective == pytest.approx(163.5)
    assert result.unsold[["product", "quantity"]].to_numpy().tolist() == [[1, 5.0]]
    assert result.corridors["trucks"].tolist() == [1]


@pytest.mark.parametrize(
    ("override", "column"),
    [
        ({"weight_kg": np.array([1.0, 2.0])}, "weight_kg"),  # two weights for one product
        ({"hub_capacity_kg": np.array([-1.0])}, "hub_capacity_kg"),  # negative capacity
        ({"distance_hub_buyer_km": np.array([[np.nan]])}, "distance_hub_buyer_km"),  # NaN
        ({"truck_payload_kg": 0.0}, "truck_payload_kg"),  # empty trucks
        ({"value_per_unit": np.array([10.0])}, "value_per_unit"),  # not a table
    ],
)
def test_bad_input_names_the_field(override: dict[str, Any], column: str) -> None:
    with pytest.raises(InputError, match=column):
        network([10.0], **override)


def test_checker_catches_overloaded_truck_and_closed_hub() -> None:
    data = network([10.0, 10.0])
    bad = HubResult(
        Status.OPTIMAL,
        0.0,
        0.0,
        0.0,
        0.0,
        open_hubs=(),
        first_mile=pd.DataFrame(
            {"member": [0, 1], "hub": [0, 0], "product": [0, 0], "quantity": [10.0, 10.0]}
        ),
        corridors=pd.DataFrame({"hub": [0], "buyer": [0], "trucks": [0]}),
        corridor_flows=pd.DataFrame({"hub": [0], "buyer": [0], "product": [0], "quantity": [15.0]}),
    )
    problems = "\n".join(check_hubs(data, bad).problems)
    assert "hub 0 is used but not open" in problems
    assert "in and out differ by 5" in problems
    assert "needs more than 0 trucks" in problems
    assert "differs from the reported" in problems


def test_random_networks_pass_the_checker() -> None:
    # No hand optimum here: the plan must be feasible, valued as the solver says, and at
    # least as good as never opening a hub (a feasible plan the model could have chosen).
    rng = np.random.default_rng(7)
    for _ in range(3):
        n_m, n_h, n_b, n_p = 6, 3, 2, 2
        kwargs: dict[str, Any] = {
            "supply": rng.integers(0, 20, (n_m, n_p)).astype(float),
            "weight_kg": np.array([1.0, 2.5]),
            "value_per_unit": rng.uniform(5, 12, (n_b, n_p)),
            "distance_member_hub_km": rng.uniform(1, 10, (n_m, n_h)),
            "distance_member_buyer_km": rng.uniform(10, 40, (n_m, n_b)),
            "distance_hub_buyer_km": rng.uniform(10, 40, (n_h, n_b)),
            "first_mile_cost_per_unit_km": np.array([0.05, 0.08]),
            "direct_cost_per_unit_km": np.array([0.2, 0.3]),
            "hub_fixed_cost": rng.uniform(5, 30, n_h),
            "hub_capacity_kg": rng.uniform(30, 120, n_h),
            "truck_payload_kg": 40.0,
            "truck_fixed_cost": 15.0,
            "truck_cost_per_km": 0.8,
            "intake_max": rng.uniform(20, 60, (n_b, n_p)),
            "farm_gate_value": 2.0,
        }
        result = solved(HubData(**kwargs))
        no_hub = solved(HubData(**{**kwargs, "hub_capacity_kg": np.zeros(n_h)}))
        assert result.objective >= no_hub.objective - 1e-9
