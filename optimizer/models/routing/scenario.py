"""Scenario adapter for collection routing: one routing problem per group of vehicle types.

Vehicle types that collect the same produce (``vehicles.products``; empty means any) form a
group; each group gets one :class:`~optimizer.models.routing.solve.RoutingProblem` whose clients
are the members supplying that produce. A collection run picks up
``quantity × weight_kg / parameters.collection_days`` kilograms at each member (the produce of
one collection day), within the member's window (``window_open_h``–``window_close_h``) and
service time (``service_min``). Trucks start at their depot hub and end there, or at their
``end_buyer`` (a processor). Travel times are the road times divided by the vehicle type's
``speed_factor``; the per-km cost is multiplied by ``fuel_price_factor``. A tour lasts at most
the vehicle's ``max_route_h`` and, for perishable produce, its ``perishability_h`` (the time
from the first pickup to the buyer is shorter than the whole tour, so this is on the safe
side).

A member that cannot be collected (no road, a window no truck can meet, too much for any
truck) is skipped at a penalty equal to the farm-gate value of its collection-day produce,
and reported, never dropped silently. Distances and times arrive as plain arrays over the
scenario's locations (metres and seconds; ``inf`` where there is no road).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from optimizer.errors import InputError, Problem
from optimizer.models.routing.problem import Client, Depot, RoutingProblem, VehicleType

if TYPE_CHECKING:
    from optimizer.scenario.scenario import Scenario

__all__ = ["Locations", "RouteGroup", "routing_locations", "routing_problems"]

UNREACHABLE = 10**8  # metres or seconds standing for "no road": such a member is skipped


@dataclass(frozen=True)
class Locations:
    """Every place a route can touch: ``kind`` is ``hub``, ``member`` or ``buyer``."""

    ids: tuple[str, ...]
    kinds: tuple[str, ...]
    lat: np.ndarray
    lon: np.ndarray

    def index(self, kind: str, id: str) -> int:
        for i, (k, name) in enumerate(zip(self.kinds, self.ids, strict=True)):
            if k == kind and name == id:
                return i
        raise KeyError(f"no {kind} {id!r} among the routing locations")


@dataclass(frozen=True, eq=False)
class RouteGroup:
    """One routing problem: which products, which vehicle types, which members."""

    products: tuple[str, ...]
    vehicle_ids: tuple[str, ...]
    member_ids: tuple[str, ...]
    problem: RoutingProblem
    cost_scale: float  # cost units per currency unit in ``problem``


def routing_locations(scenario: Scenario) -> Locations:
    """The depots of the vehicles, every member, and the buyers where routes end."""
    if not scenario.vehicles:
        raise InputError(
            Problem(scenario.name, "vehicle types for collection routing", column="vehicles")
        )
    depots = sorted({v.depot for v in scenario.vehicles})
    ends = sorted({v.end_buyer for v in scenario.vehicles if v.end_buyer})
    rows: list[tuple[str, Any]] = [("hub", scenario.hub(h)) for h in depots]
    rows += [("member", m) for m in scenario.members]
    rows += [("buyer", scenario.buyer(b)) for b in ends]
    return Locations(
        ids=tuple(r.id for _, r in rows),
        kinds=tuple(k for k, _ in rows),
        lat=np.array([r.lat for _, r in rows]),
        lon=np.array([r.lon for _, r in rows]),
    )


def routing_problems(
    scenario: Scenario, locations: Locations, distance_m: np.ndarray, time_s: np.ndarray
) -> list[RouteGroup]:
    """One routing problem per group of vehicle types collecting the same produce."""
    produce = {p.id: p for p in scenario.products if p.kind == "produce"}
    groups: dict[tuple[str, ...], list[str]] = {}
    for vehicle in scenario.vehicles:
        key = tuple(sorted(vehicle.products)) if vehicle.products else tuple(sorted(produce))
        groups.setdefault(key, []).append(vehicle.id)
    days = scenario.parameters.collection_days
    fuel = scenario.parameters.fuel_price_factor
    distance = _integers(distance_m)
    vehicles = {v.id: v for v in scenario.vehicles}
    out = []
    for products, vehicle_ids in groups.items():
        pickup: dict[str, float] = {}
        value: dict[str, float] = {}
        for row in scenario.supply:
            if row.product in products:
                kg = row.quantity * produce[row.product].weight_kg / days
                pickup[row.member] = pickup.get(row.member, 0.0) + kg
                value[row.member] = value.get(row.member, 0.0) + (
                    row.quantity / days * row.farm_gate_price
                )
        members = [m for m in scenario.members if pickup.get(m.id, 0.0) > 0]
        if not members:
            continue
        types = [vehicles[v] for v in vehicle_ids]
        depot_ids = sorted({v.depot for v in types})
        depots = tuple(Depot(locations.index("hub", h), name=h) for h in depot_ids)
        clients = tuple(
            Client(
                location=locations.index("member", m.id),
                pickup=round(pickup[m.id]),
                service_time=round(m.service_min * 60),
                tw_early=round(m.window_open_h * 3600),
                tw_late=round(m.window_close_h * 3600),
                skip_penalty=max(value[m.id], 1.0),
                name=m.id,
            )
            for m in members
        )
        fresh_h = min((produce[p].perishability_h or math.inf for p in products), default=math.inf)
        # one time matrix per group: the slowest type's speed factor, so every type keeps time
        slowest = min(v.speed_factor for v in types)
        times = _integers(np.asarray(time_s, float) / slowest)
        vehicle_types = tuple(
            VehicleType(
                count=v.count,
                payload=int(v.payload_kg),
                start_depot=depot_ids.index(v.depot),
                end_location=None if not v.end_buyer else locations.index("buyer", v.end_buyer),
                cost_per_distance=v.cost_per_km * fuel / 1000,
                fixed_cost=v.fixed_cost,
                max_duration=int(min(v.max_route_h, fresh_h) * 3600),
                name=v.id,
            )
            for v in types
        )
        problem = RoutingProblem(
            depots=depots,
            clients=clients,
            vehicle_types=vehicle_types,
            distance=distance,
            time=times,
            coordinates=np.c_[locations.lon, locations.lat],
            name=f"{scenario.name}: {', '.join(products)}",
        )
        out.append(
            RouteGroup(products, tuple(vehicle_ids), tuple(m.id for m in members), problem, 1.0)
        )
    return out


def _integers(values: np.ndarray) -> np.ndarray:
    array = np.asarray(values, float)
    array = np.where(np.isfinite(array), np.round(array), UNREACHABLE)
    return np.minimum(array, UNREACHABLE).astype(np.int64)
