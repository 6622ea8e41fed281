"""Scenario adapter: a :class:`~optimizer.scenario.Scenario` and a travel matrix → MarketData.

The travel matrix (members × buyers, metres and seconds, ``inf`` where a buyer cannot be
reached) comes from :mod:`optimizer.pipeline.travel`; nothing here touches roads. A member's
trip to a buyer is priced by the one transport rule of :mod:`optimizer.models.transport`
(``docs/transport-cost.md``), the same as its direct trip in the hubs model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from optimizer.errors import InputError, Problem
from optimizer.models.markets.data import MarketData
from optimizer.models.transport import farm_trip_cost_per_unit_km

if TYPE_CHECKING:
    from optimizer.scenario.scenario import Scenario
    from optimizer.scenario.schema import Product

__all__ = ["scenario_market_data"]


def scenario_market_data(
    scenario: Scenario,
    distance_m: np.ndarray,
    time_s: np.ndarray,
    *,
    vehicle: str | None = None,
) -> MarketData:
    """The market data of a scenario, given members × buyers road distances and times.

    Parameters
    ----------
    scenario
        The scenario; its produce products, members (rows in ``scenario.members`` order),
        buyers (columns in ``scenario.buyers`` order), supply and buyer prices are used.
    distance_m, time_s
        ``[members, buyers]`` road distance and travel time; ``inf`` (or ``nan``) where the
        buyer cannot be reached.
    vehicle
        Id of a vehicle type to carry every product; default: each product's farm vehicle.
        Either way the trip is priced by the one transport rule of
        :mod:`optimizer.models.transport` (empty return, ``farm_trip_load_factor``).
    """
    products = scenario.produce()
    members, buyers = scenario.members, scenario.buyers
    n_m, n_b, n_p = len(members), len(buyers), len(products)
    distance = np.array(distance_m, dtype=float)
    time = np.array(time_s, dtype=float)
    problems = [
        Problem(
            "travel matrix", f"shape ({n_m} members, {n_b} buyers)", column=name, value=value.shape
        )
        for name, value in (("distance_m", distance), ("time_s", time))
        if value.shape != (n_m, n_b)
    ]
    if problems:
        raise InputError(problems)
    per_unit_km = farm_trip_cost_per_unit_km(scenario, products, vehicle=vehicle)
    supply, farm_gate = _supply_tables(scenario, products, (n_m, n_p), problems)
    price, min_contract, max_intake, handling = _price_tables(
        scenario, products, (n_b, n_p), problems
    )
    if problems:
        raise InputError(problems)

    distance[np.isnan(distance)] = np.inf
    time[np.isnan(time)] = np.inf
    unreachable = ~(np.isfinite(distance) & np.isfinite(time))
    distance[unreachable] = np.inf
    time[unreachable] = np.inf
    weight = np.array([p.weight_kg for p in products], dtype=float)
    perish = np.array(
        [np.nan if p.perishability_h is None else p.perishability_h for p in products],
        dtype=float,
    ).reshape(n_p)
    return MarketData(
        supply=supply,
        farm_gate_price=farm_gate,
        price=price,
        min_contract=min_contract,
        max_intake=max_intake,
        handling_fee=handling,
        weight_per_unit_kg=weight.reshape(n_p),
        perishability_h=perish,
        distance_km=distance / 1000.0,
        time_h=time / 3600.0,
        transport_cost_per_unit_km=per_unit_km.reshape(n_p),
        member_ids=tuple(m.id for m in members),
        buyer_ids=tuple(b.id for b in buyers),
        product_ids=tuple(p.id for p in products),
    )


def _supply_tables(
    scenario: Scenario, products: Sequence[Product], shape: tuple[int, int], problems: list[Problem]
) -> tuple[np.ndarray, np.ndarray]:
    """Each member's supply and farm-gate price per produce product, ``(M, P)`` each."""
    n_m, n_p = shape
    member_at = {m.id: i for i, m in enumerate(scenario.members)}
    product_at = {p.id: i for i, p in enumerate(products)}
    supply = np.zeros((n_m, n_p))
    farm_gate = np.zeros((n_m, n_p))
    for row_number, row in enumerate(scenario.supply, start=2):
        m, p = member_at.get(row.member), product_at.get(row.product)
        if m is None or p is None:
            problems.append(
                Problem(
                    "supply",
                    "a known member and a produce product",
                    row=row_number,
                    value=f"{row.member}/{row.product}",
                )
            )
            continue
        supply[m, p] += row.quantity
        farm_gate[m, p] = row.farm_gate_price
    return supply, farm_gate


def _price_tables(
    scenario: Scenario, products: Sequence[Product], shape: tuple[int, int], problems: list[Problem]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per buyer and produce product ``(B, P)``: price, minimum contract, maximum intake and
    handling fee."""
    n_b, n_p = shape
    buyer_at = {b.id: i for i, b in enumerate(scenario.buyers)}
    product_at = {p.id: i for i, p in enumerate(products)}
    price = np.zeros((n_b, n_p))
    min_contract = np.zeros((n_b, n_p))
    max_intake = np.zeros((n_b, n_p))
    handling = np.zeros((n_b, n_p))
    for row_number, offer in enumerate(scenario.buyer_prices, start=2):
        b, p = buyer_at.get(offer.buyer), product_at.get(offer.product)
        if b is None or p is None:
            problems.append(
                Problem(
                    "buyer_prices",
                    "a known buyer and a produce product",
                    row=row_number,
                    value=f"{offer.buyer}/{offer.product}",
                )
            )
            continue
        price[b, p] = offer.price
        min_contract[b, p] = offer.min_contract
        max_intake[b, p] = offer.max_intake
        handling[b, p] = offer.handling_fee
        if offer.min_contract > offer.max_intake:
            problems.append(
                Problem(
                    "buyer_prices",
                    "min_contract ≤ max_intake",
                    row=row_number,
                    column="min_contract",
                    value=offer.min_contract,
                )
            )
    return price, min_contract, max_intake, handling
