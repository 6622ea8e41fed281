"""The one transport rule (docs/transport-cost.md): hand-computed costs, and every model agrees."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from optimizer.errors import InputError
from optimizer.geodesy import pairwise_haversine_m
from optimizer.models.hubs.scenario import hub_scenario
from optimizer.models.markets.scenario import scenario_market_data
from optimizer.models.routing.scenario import routing_locations, routing_problems
from optimizer.models.transport import (
    RETURN_TRIP_FACTOR,
    corridor_truck,
    farm_trip_cost_per_unit_km,
    farm_vehicle,
    vehicle_km_cost,
)
from optimizer.scenario.load import load_scenario
from optimizer.scenario.schema import Vehicle

ROOT = Path(__file__).resolve().parents[2]
MECKLENBURG = ROOT / "scenarios" / "mecklenburg"


def vehicle(id_: str, payload: float, per_km: float, products: tuple[str, ...] = ()) -> Vehicle:
    return Vehicle(
        id=id_,
        name=id_,
        depot="h1",
        count=1,
        payload_kg=payload,
        cost_per_km=per_km,
        max_route_h=8,
        products=products,
    )


def test_farm_vehicle_is_the_smallest_allowed_to_carry_the_product() -> None:
    tanker = vehicle("tanker", 20_000, 1.9, ("milk",))
    van = vehicle("van", 3_500, 0.9, ("vegetables",))
    any_small = vehicle("pickup", 1_000, 0.5)
    assert farm_vehicle([tanker, van], "milk") is tanker  # the van may not carry milk
    assert farm_vehicle([tanker, van, any_small], "milk") is any_small  # carries anything
    assert farm_vehicle([tanker, van], "wheat") is van  # nobody may: the smallest of all
    twin = vehicle("twin", 3_500, 0.8, ("vegetables",))
    assert farm_vehicle([van, twin], "vegetables") is twin  # same payload: the cheaper km
    assert corridor_truck([van, tanker, any_small]) is tanker
    with pytest.raises(InputError, match="vehicle"):
        farm_vehicle([], "milk")


def test_a_hand_computed_trip_in_the_default_scenario() -> None:
    scenario = load_scenario(MECKLENBURG)
    produce = scenario.produce()
    per_unit = farm_trip_cost_per_unit_km(scenario, produce)
    costs = dict(zip((p.id for p in produce), per_unit, strict=True))
    # Milk goes in V1, the only type allowed to carry it: 1.9 EUR/km, 20 t, 1 kg per unit,
    # driven back empty (x 2), half full on average (/ 0.5): 3.8e-4 EUR per kg and km.
    assert costs["milk"] == pytest.approx(1.9 / 20_000 * 2 / 0.5)
    # Wheat (1 t per unit) in V2: 2.0 EUR/km over 25 t -> 0.32 EUR per t and km.
    assert costs["wheat"] == pytest.approx(2.0 * 1000 / 25_000 * 2 / 0.5)
    # Vegetables in V3, the refrigerated van: 0.9 EUR/km over 3.5 t.
    assert costs["vegetables"] == pytest.approx(0.9 / 3_500 * 2 / 0.5)
    # 12 km of road for 1,000 kg of milk: 4.56 EUR; a dearer diesel scales it.
    assert 12 * 1000 * costs["milk"] == pytest.approx(4.56)
    dear = scenario.model_copy(
        update={"parameters": scenario.parameters.model_copy(update={"fuel_price_factor": 1.5})}
    )
    assert farm_trip_cost_per_unit_km(dear, produce)[0] == pytest.approx(1.5 * costs["milk"])
    with pytest.raises(InputError, match="nope"):
        farm_trip_cost_per_unit_km(scenario, produce, vehicle="nope")


def test_markets_and_hubs_price_the_same_member_to_buyer_trip_the_same() -> None:
    scenario = load_scenario(MECKLENBURG)
    n_m, n_h, n_b = len(scenario.members), len(scenario.hubs), len(scenario.buyers)
    rng = np.random.default_rng(12)
    member_buyer_m = rng.uniform(1_000, 60_000, (n_m, n_b))
    markets = scenario_market_data(scenario, member_buyer_m, member_buyer_m / 15.0)
    hubs = hub_scenario(
        scenario,
        rng.uniform(1_000, 30_000, (n_m, n_h)),
        member_buyer_m,
        rng.uniform(1_000, 60_000, (n_h, n_b)),
    ).data
    assert markets.product_ids == tuple(p.id for p in scenario.produce())
    per_unit_markets = markets.distance_km[:, :, None] * markets.transport_cost_per_unit_km
    per_unit_hubs = hubs.distance_member_buyer_km[:, :, None] * hubs.direct_cost_per_unit_km
    np.testing.assert_allclose(per_unit_markets, per_unit_hubs, rtol=1e-12)
    np.testing.assert_allclose(hubs.first_mile_cost_per_unit_km, hubs.direct_cost_per_unit_km)
    # hub -> buyer: whole trucks of the largest type (V2, 2.0 EUR/km), driven back empty
    truck = corridor_truck(scenario.vehicles)
    assert truck.id == "V2"
    np.testing.assert_allclose(hubs.truck_cost_per_km, 2.0 * RETURN_TRIP_FACTOR)
    np.testing.assert_allclose(hubs.truck_fixed_cost, truck.fixed_cost)


def test_routing_prices_a_km_with_the_same_vehicle_constants() -> None:
    scenario = load_scenario(MECKLENBURG)
    scenario = scenario.model_copy(
        update={"parameters": scenario.parameters.model_copy(update={"fuel_price_factor": 1.3})}
    )
    locations = routing_locations(scenario)
    distance = pairwise_haversine_m(locations.lat, locations.lon, locations.lat, locations.lon)
    by_id = {v.id: v for v in scenario.vehicles}
    seen = 0
    for group in routing_problems(scenario, locations, distance, distance / 15.0):
        for v in group.problem.vehicle_types:
            expected = vehicle_km_cost(by_id[v.name], 1.3) / 1000
            assert v.cost_per_distance == pytest.approx(expected)
            seen += 1
    assert seen == len(scenario.vehicles)
