"""One cost of moving a load over the roads, shared by every model (``docs/transport-cost.md``).

**The rule.** A member's own load of a produce product (to a market, a buyer or a hub) travels
in the product's *farm vehicle*: the smallest vehicle type (least ``payload_kg``; then least
``cost_per_km``; then first listed) allowed to carry the product (its ``products`` list names
it, or is empty: any product); when no type is allowed to carry it, the smallest of all. The
vehicle drives back empty (the return trip is counted: :data:`RETURN_TRIP_FACTOR`) and is on
average only ``parameters.farm_trip_load_factor`` full. Per unit of product and km of one-way
road distance that costs

``cost_per_km × fuel_price_factor × weight_kg / payload_kg × 2 / farm_trip_load_factor``.

A farm trip has no fixed cost per trip: the vehicle's ``fixed_cost`` is what a tour of the
cooperative's collection fleet costs whether it drives 1 or 100 km (routing), not a cost the
member's own trip adds. Hub → buyer corridors run whole trucks of the *corridor truck* (the
largest payload, first listed on ties), each costing its ``fixed_cost`` plus
``cost_per_km × fuel_price_factor × 2`` per km of one-way distance (driven back empty too).
Collection tours (routing) are closed loops whose every km is driven, priced at
``cost_per_km × fuel_price_factor`` per km (:func:`vehicle_km_cost`).

Pure numpy: nothing here reads roads or calls a solver.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from optimizer.errors import InputError, Problem

if TYPE_CHECKING:
    from optimizer.scenario.scenario import Scenario
    from optimizer.scenario.schema import Product, Vehicle

__all__ = [
    "RETURN_TRIP_FACTOR",
    "corridor_truck",
    "farm_trip_cost_per_unit_km",
    "farm_vehicle",
    "vehicle_km_cost",
]

#: A trip one way is driven back empty: every km of one-way distance is driven twice.
RETURN_TRIP_FACTOR = 2.0


def _need_vehicles(vehicles: Sequence[Vehicle]) -> None:
    if not vehicles:
        raise InputError(
            Problem(
                "vehicles",
                "at least one vehicle type (its cost per km and payload price every trip)",
            )
        )


def farm_vehicle(vehicles: Sequence[Vehicle], product: str) -> Vehicle:
    """The vehicle type that carries a member's own load of ``product`` (see the module rule)."""
    _need_vehicles(vehicles)
    allowed = [v for v in vehicles if not v.products or product in v.products]
    # min keeps the first of equal keys, so ties go to the type listed first
    return min(allowed or vehicles, key=lambda v: (v.payload_kg, v.cost_per_km))


def corridor_truck(vehicles: Sequence[Vehicle]) -> Vehicle:
    """The vehicle type of hub → buyer corridors: the largest payload, first listed on ties."""
    _need_vehicles(vehicles)
    return max(vehicles, key=lambda v: v.payload_kg)


def vehicle_km_cost(vehicle: Vehicle, fuel_price_factor: float) -> float:
    """What one km driven by ``vehicle`` costs: ``cost_per_km × fuel_price_factor``."""
    return float(vehicle.cost_per_km * fuel_price_factor)


def farm_trip_cost_per_unit_km(
    scenario: Scenario, products: Sequence[Product], *, vehicle: str | None = None
) -> np.ndarray:
    """Cost of a member's own trip per unit of each product and km of one-way distance, ``(P,)``.

    Parameters
    ----------
    scenario
        Its vehicle types, ``fuel_price_factor`` and ``farm_trip_load_factor`` are used.
    products
        The products priced, in the order of the result.
    vehicle
        Id of a vehicle type to carry every product instead of each product's farm vehicle.

    Raises
    ------
    InputError
        No vehicle types, or no type with id ``vehicle``.
    """
    vehicles = scenario.vehicles
    _need_vehicles(vehicles)
    chosen: list[Vehicle]
    if vehicle is not None:
        found = [v for v in vehicles if v.id == vehicle]
        if not found:
            raise InputError(Problem("vehicles", f"a vehicle with id {vehicle!r}", column="id"))
        chosen = [found[0]] * len(products)
    else:
        chosen = [farm_vehicle(vehicles, p.id) for p in products]
    parameters = scenario.parameters
    per_km = np.array([vehicle_km_cost(v, parameters.fuel_price_factor) for v in chosen])
    payload = np.array([v.payload_kg for v in chosen], dtype=float)
    weight = np.array([p.weight_kg for p in products], dtype=float)
    per_unit = per_km * weight / payload * RETURN_TRIP_FACTOR / parameters.farm_trip_load_factor
    return np.asarray(per_unit, dtype=float).reshape(len(products))
