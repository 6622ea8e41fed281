"""Scenario adapter for the hubs model, and the game of cooperatives sharing hubs.

Road distances arrive as plain arrays (members × hubs, members × buyers, hubs × buyers, in
metres) built by :mod:`optimizer.pipeline.travel`. Transport is priced by the one rule of
:mod:`optimizer.models.transport` (``docs/transport-cost.md``), the same as in the markets
model: the first mile to a hub and direct trips to a buyer go in each product's farm vehicle
(the smallest type allowed to carry it), driven back empty and on average only
``parameters.farm_trip_load_factor`` full. Corridors hub → buyer run whole trucks of the
corridor truck (the largest payload), each costing its ``fixed_cost`` plus
``cost_per_km × fuel_price_factor × 2`` per km of road (it drives back empty too).

**Who may use which hub.** A group of cooperatives on its own uses only the hubs its members
own; the hubs no cooperative owns are the regional network's shared sites, open only to the
whole network. So the whole network can always do at least what any split of it does (the
game is superadditive in hubs), and the value of sharing is what the network gains over
its cooperatives planning alone. Buyers' intake limits apply to each group as a whole.
Minimum contracts are left to the markets model.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from optimizer.errors import InputError, Problem
from optimizer.models.hubs.data import HubData, HubResult
from optimizer.models.hubs.solve import solve_hubs
from optimizer.models.transport import (
    RETURN_TRIP_FACTOR,
    corridor_truck,
    farm_trip_cost_per_unit_km,
    vehicle_km_cost,
)

if TYPE_CHECKING:
    from optimizer.scenario.scenario import Scenario

__all__ = ["HubScenario", "hub_scenario", "solve_coalition"]


@dataclass(frozen=True, eq=False)
class HubScenario:
    """The full network's data, and who is who, so that coalitions can be cut out of it.

    ``member_coop`` and ``hub_owner`` hold cooperative ids (``""`` for a hub nobody owns);
    ``upper_value`` is each member's produce valued at its best buyer price with no transport
    (an upper bound on what it can earn, used to turn net values into costs).
    """

    data: HubData
    member_ids: tuple[str, ...]
    hub_ids: tuple[str, ...]
    buyer_ids: tuple[str, ...]
    product_ids: tuple[str, ...]
    member_coop: tuple[str, ...]
    hub_owner: tuple[str, ...]
    cooperatives: tuple[str, ...]
    upper_value: np.ndarray


def hub_scenario(
    scenario: Scenario,
    member_hub_m: np.ndarray,
    member_buyer_m: np.ndarray,
    hub_buyer_m: np.ndarray,
) -> HubScenario:
    """Build the hub data of a scenario from road distances in metres (``inf``: no road)."""
    if not scenario.hubs:
        raise InputError(
            Problem(scenario.name, "at least one hub for the hubs model", column="hubs")
        )
    if not scenario.vehicles:
        raise InputError(
            Problem(scenario.name, "vehicle types to price first mile and corridors",
                    column="vehicles")
        )  # fmt: skip
    produce = [p for p in scenario.products if p.kind == "produce"]
    members, hubs, buyers = scenario.members, scenario.hubs, scenario.buyers
    m_index = {m.id: i for i, m in enumerate(members)}
    b_index = {b.id: i for i, b in enumerate(buyers)}
    p_index = {p.id: i for i, p in enumerate(produce)}
    n_m, n_h, n_b, n_p = len(members), len(hubs), len(buyers), len(produce)
    supply = np.zeros((n_m, n_p))
    farm_gate = np.zeros((n_m, n_p))
    for row in scenario.supply:
        supply[m_index[row.member], p_index[row.product]] = row.quantity
        farm_gate[m_index[row.member], p_index[row.product]] = row.farm_gate_price
    value = np.zeros((n_b, n_p))
    intake = np.zeros((n_b, n_p))  # a buyer takes nothing of a product it has no price for
    for price in scenario.buyer_prices:
        b, p = b_index[price.buyer], p_index[price.product]
        value[b, p] = max(price.price - price.handling_fee, 0.0)
        intake[b, p] = price.max_intake
    weight = np.array([p.weight_kg for p in produce])
    farm_trip = farm_trip_cost_per_unit_km(scenario, produce)
    large = corridor_truck(scenario.vehicles)
    truck_km = vehicle_km_cost(large, scenario.parameters.fuel_price_factor) * RETURN_TRIP_FACTOR
    handling = np.array([[h.handling_cost * w for w in weight] for h in hubs])
    data = HubData(
        supply=supply,
        weight_kg=weight,
        value_per_unit=value,
        distance_member_hub_km=np.asarray(member_hub_m, float) / 1000,
        distance_member_buyer_km=np.asarray(member_buyer_m, float) / 1000,
        distance_hub_buyer_km=np.asarray(hub_buyer_m, float) / 1000,
        first_mile_cost_per_unit_km=farm_trip,
        direct_cost_per_unit_km=farm_trip,
        hub_fixed_cost=np.array([h.fixed_cost for h in hubs]),
        hub_capacity_kg=np.array([h.capacity for h in hubs]),
        truck_payload_kg=np.full((n_h, n_b), large.payload_kg),
        truck_fixed_cost=np.full((n_h, n_b), large.fixed_cost),
        truck_cost_per_km=np.full((n_h, n_b), truck_km),
        hub_handling_cost_per_unit=handling,
        hub_existing=np.array([h.existing for h in hubs]),
        intake_max=intake,
        farm_gate_value=farm_gate,
    )
    best = np.maximum(value.max(axis=0, initial=0.0)[None, :], farm_gate)
    return HubScenario(
        data=data,
        member_ids=tuple(m.id for m in members),
        hub_ids=tuple(h.id for h in hubs),
        buyer_ids=tuple(b.id for b in buyers),
        product_ids=tuple(p.id for p in produce),
        member_coop=tuple(m.cooperative for m in members),
        hub_owner=tuple(h.cooperative or "" for h in hubs),
        cooperatives=tuple(c.id for c in scenario.cooperatives),
        upper_value=(supply * best).sum(axis=1),
    )


def solve_coalition(
    hs: HubScenario, coalition: Collection[str], *, time_limit: float, gap: float
) -> tuple[HubData, HubResult, np.ndarray, np.ndarray]:
    """Solve the network for the cooperatives in ``coalition`` alone.

    Returns the coalition's data and result (indices relative to the kept members and hubs)
    and the positions of the kept members and hubs in the full scenario.
    """
    members = np.array([c in coalition for c in hs.member_coop])
    whole = set(hs.cooperatives) <= set(coalition)
    hubs = np.array([owner in coalition or (owner == "" and whole) for owner in hs.hub_owner])
    d = hs.data
    sub = HubData(
        supply=d.supply[members],
        weight_kg=d.weight_kg,
        value_per_unit=d.value_per_unit,
        distance_member_hub_km=d.distance_member_hub_km[np.ix_(members, hubs)],
        distance_member_buyer_km=d.distance_member_buyer_km[members],
        distance_hub_buyer_km=d.distance_hub_buyer_km[hubs],
        first_mile_cost_per_unit_km=d.first_mile_cost_per_unit_km,
        direct_cost_per_unit_km=d.direct_cost_per_unit_km,
        hub_fixed_cost=d.hub_fixed_cost[hubs],
        hub_capacity_kg=d.hub_capacity_kg[hubs],
        truck_payload_kg=d.truck_payload_kg[hubs],
        truck_fixed_cost=d.truck_fixed_cost[hubs],
        truck_cost_per_km=d.truck_cost_per_km[hubs],
        hub_handling_cost_per_unit=np.asarray(d.hub_handling_cost_per_unit)[hubs],
        hub_existing=np.asarray(d.hub_existing)[hubs],
        intake_max=d.intake_max,
        farm_gate_value=np.asarray(d.farm_gate_value)[members],
    )
    result = solve_hubs(sub, time_limit=time_limit, gap=gap)
    return sub, result, np.flatnonzero(members), np.flatnonzero(hubs)
