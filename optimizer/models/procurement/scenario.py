"""From a :class:`~optimizer.scenario.Scenario` and road distances to :class:`ProcurementData`.

The road distances come in as a plain array (built by :mod:`optimizer.pipeline.travel` with
:mod:`optimizer.geo`); this module never touches the road network.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import numpy as np

from optimizer.errors import InputError, Problem
from optimizer.geodesy import pairwise_haversine_m
from optimizer.models.procurement.data import ProcurementData

if TYPE_CHECKING:
    from optimizer.scenario.scenario import Scenario

__all__ = ["drop_point_ids", "member_groups", "nearest_hubs", "scenario_procurement_data"]


def drop_point_ids(scenario: Scenario) -> tuple[str, ...]:
    """The drop points the distance array's columns stand for, in order.

    ``parameters.drop_point == "hub"``: every hub of ``scenario.hubs``; ``"farm_gate"``:
    every member of ``scenario.members``.
    """
    if scenario.parameters.drop_point == "hub":
        return tuple(h.id for h in scenario.hubs)
    return tuple(m.id for m in scenario.members)


def nearest_hubs(scenario: Scenario) -> dict[str, str]:
    """Each member's hub: the nearest (straight line) its cooperative may use.

    A cooperative may use its own hubs and shared ones (no owner); open (``existing``) hubs
    come first, candidates only when no open hub is usable, any hub when none is usable.
    """
    hubs = scenario.hubs
    if not hubs:
        raise InputError(Problem("hubs", "at least one hub when parameters.drop_point is hub"))
    members = scenario.members
    distance = pairwise_haversine_m(
        [m.lat for m in members], [m.lon for m in members], [h.lat for h in hubs],
        [h.lon for h in hubs],
    )  # fmt: skip
    shared = np.array([h.cooperative in (None, "") for h in hubs])
    owner = np.array([str(h.cooperative) for h in hubs], dtype=object)
    usable = shared[None, :] | (
        owner[None, :] == np.array([m.cooperative for m in members])[:, None]
    )
    usable_open = usable & np.array([h.existing for h in hubs])[None, :]
    pool = np.where(
        usable_open.any(axis=1)[:, None],
        usable_open,
        np.where(usable.any(axis=1)[:, None], usable, True),
    )
    best = np.argmin(np.where(pool, distance, np.inf), axis=1)  # the first of equals, as min()
    return {m.id: hubs[int(b)].id for m, b in zip(members, best, strict=True)}


def scenario_procurement_data(
    scenario: Scenario,
    distance_km: np.ndarray,
    *,
    member_drop: dict[str, str] | None = None,
) -> ProcurementData:
    """Build the procurement instance of a scenario.

    Parameters
    ----------
    scenario
        Its ``demand``, ``suppliers``, ``offers``, ``brackets`` and ``parameters`` are used.
        Members without demand are left out. An offer whose first bracket starts above 0
        cannot sell less: that threshold becomes its minimum order.
    distance_km
        ``(suppliers, drop points)`` road distances, columns in :func:`drop_point_ids` order
        (hubs, or members for farm-gate delivery); ``inf`` where there is no road.
    member_drop
        Member id -> hub id, overriding :func:`nearest_hubs` (hub delivery only).
    """
    problems: list[Problem] = []
    inputs = [p for p in scenario.products if p.kind == "input"]
    product_index = {p.id: i for i, p in enumerate(inputs)}
    needing = list(dict.fromkeys(d.member for d in scenario.demand))
    member_index = {m: i for i, m in enumerate(needing)}
    suppliers = scenario.suppliers
    supplier_index = {s.id: i for i, s in enumerate(suppliers)}
    drops = drop_point_ids(scenario)
    drop_index = {d: i for i, d in enumerate(drops)}
    n_m, n_p, n_s = len(needing), len(inputs), len(suppliers)

    distance = np.asarray(distance_km, float)
    if distance.shape != (n_s, len(drops)):
        kind = "hubs" if scenario.parameters.drop_point == "hub" else "members"
        raise InputError(
            Problem(
                "road distances",
                f"an array of {n_s} suppliers x {len(drops)} {kind}",
                value=distance.shape,
            )
        )
    demand, local = _demand_tables(scenario, member_index, product_index, (n_m, n_p), problems)
    offered, incremental, min_order, capacity = _offer_tables(
        scenario, supplier_index, product_index, (n_s, n_p), problems
    )
    rows_of = _bracket_rows(scenario, supplier_index, product_index, offered, problems)
    names = [[f"{s.id}/{p.id}" for p in inputs] for s in suppliers]
    thresholds, prices = _bracket_tables(rows_of, offered, min_order, capacity, names, problems)
    drop_point = _drop_points(scenario, needing, drop_index, member_drop, problems)
    if problems:
        raise InputError(problems)

    return ProcurementData(
        demand=demand,
        local_price=local,
        offered=offered,
        thresholds=thresholds,
        unit_price=prices,
        incremental=incremental,
        min_order=min_order,
        capacity=capacity,
        weight_kg=np.array([p.weight_kg for p in inputs]),
        drop_point=np.array(drop_point, np.int64),
        distance_km=distance,
        payload_kg=np.array([s.truck_payload_kg for s in suppliers]),
        cost_per_trip=np.array([s.cost_per_trip for s in suppliers]),
        cost_per_km=np.array([s.cost_per_km for s in suppliers]),
        fuel_price_factor=scenario.parameters.fuel_price_factor,
        member_ids=tuple(needing),
        product_ids=tuple(p.id for p in inputs),
        supplier_ids=tuple(s.id for s in suppliers),
        drop_point_ids=drops,
        currency=scenario.parameters.currency,
    )


def member_groups(scenario: Scenario, data: ProcurementData) -> list[str]:
    """The cooperative of each member of ``data`` (for ``level="cooperative"`` splits)."""
    coop = {m.id: m.cooperative for m in scenario.members}
    return [coop[m] for m in data.member_ids]


def _demand_tables(
    scenario: Scenario,
    member_index: dict[str, int],
    product_index: dict[str, int],
    shape: tuple[int, int],
    problems: list[Problem],
) -> tuple[np.ndarray, np.ndarray]:
    """Each member's demand and local price per input product, ``(M, P)`` each."""
    n_m, n_p = shape
    demand = np.zeros((n_m, n_p))
    local = np.zeros((n_m, n_p))
    for row, d in enumerate(scenario.demand, start=2):
        if d.product not in product_index:
            problems.append(
                Problem("demand", "an input product", row=row, column="product", value=d.product)
            )
            continue
        m, p = member_index[d.member], product_index[d.product]
        if demand[m, p] > 0:
            problems.append(
                Problem(
                    "demand",
                    "one row per member and product",
                    row=row,
                    column="product",
                    value=d.product,
                )
            )
        demand[m, p] = d.quantity
        local[m, p] = d.local_price
    return demand, local


def _offer_tables(
    scenario: Scenario,
    supplier_index: dict[str, int],
    product_index: dict[str, int],
    shape: tuple[int, int],
    problems: list[Problem],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per supplier and product ``(S, P)``: offered, incremental, minimum order, capacity."""
    n_s, n_p = shape
    offered = np.zeros((n_s, n_p), bool)
    incremental = np.zeros((n_s, n_p), bool)
    min_order = np.zeros((n_s, n_p))
    capacity = np.ones((n_s, n_p))
    for row, o in enumerate(scenario.offers, start=2):
        if o.product not in product_index or o.supplier not in supplier_index:
            problems.append(
                Problem(
                    "offers",
                    "a known supplier and input product",
                    row=row,
                    column="product",
                    value=o.product,
                )
            )
            continue
        s, p = supplier_index[o.supplier], product_index[o.product]
        offered[s, p] = True
        incremental[s, p] = o.discount == "incremental"
        min_order[s, p] = o.min_order
        capacity[s, p] = o.capacity
        if o.min_order > o.capacity:
            problems.append(
                Problem(
                    "offers",
                    f"min_order <= capacity ({o.capacity:g})",
                    row=row,
                    column="min_order",
                    value=o.min_order,
                )
            )
    return offered, incremental, min_order, capacity


def _bracket_rows(
    scenario: Scenario,
    supplier_index: dict[str, int],
    product_index: dict[str, int],
    offered: np.ndarray,
    problems: list[Problem],
) -> dict[tuple[int, int], list[tuple[float, float, int]]]:
    """Each offer's brackets as (threshold, unit price, row in the table)."""
    rows_of: dict[tuple[int, int], list[tuple[float, float, int]]] = {}
    for row, b in enumerate(scenario.brackets, start=2):
        key = (supplier_index.get(b.supplier, -1), product_index.get(b.product, -1))
        if key[0] < 0 or key[1] < 0 or not offered[key]:
            problems.append(
                Problem(
                    "brackets",
                    "a bracket of an offer in offers",
                    row=row,
                    column="product",
                    value=f"{b.supplier}/{b.product}",
                )
            )
            continue
        rows_of.setdefault(key, []).append((b.threshold, b.unit_price, row))
    return rows_of


def _bracket_tables(
    rows_of: dict[tuple[int, int], list[tuple[float, float, int]]],
    offered: np.ndarray,
    min_order: np.ndarray,
    capacity: np.ndarray,
    names: list[list[str]],
    problems: list[Problem],
) -> tuple[np.ndarray, np.ndarray]:
    """Thresholds and prices ``(S, P, B)`` in threshold order, NaN past an offer's last.

    A first threshold above 0 becomes the offer's minimum order (``min_order`` is updated).
    """
    n_s, n_p = offered.shape
    n_b = max((len(v) for v in rows_of.values()), default=1)
    thresholds = np.full((n_s, n_p, n_b), np.nan)
    prices = np.full((n_s, n_p, n_b), np.nan)
    for s, p in zip(*np.nonzero(offered), strict=True):
        found = sorted(rows_of.get((int(s), int(p)), []))
        name = names[s][p]
        if not found:
            problems.append(Problem("brackets", f"at least one bracket for offer {name}"))
            continue
        if found[0][0] > 0:
            # no price below the first threshold: nothing smaller can be ordered
            min_order[s, p] = max(min_order[s, p], found[0][0])
            found[0] = (0.0, found[0][1], found[0][2])
            if min_order[s, p] > capacity[s, p]:
                problems.append(
                    Problem(
                        "brackets",
                        f"a first threshold within the capacity of offer {name}",
                        row=found[0][2],
                        column="threshold",
                        value=min_order[s, p],
                    )
                )
        for (t0, c0, _), (t1, c1, r1) in itertools.pairwise(found):
            if t1 == t0:
                problems.append(
                    Problem(
                        "brackets",
                        f"distinct thresholds for offer {name}",
                        row=r1,
                        column="threshold",
                        value=t1,
                    )
                )
            if c1 > c0:
                problems.append(
                    Problem(
                        "brackets",
                        f"a price not above the previous bracket's ({c0:g})",
                        row=r1,
                        column="unit_price",
                        value=c1,
                    )
                )
        thresholds[s, p, : len(found)] = [f[0] for f in found]
        prices[s, p, : len(found)] = [f[1] for f in found]
    return thresholds, prices


def _drop_points(
    scenario: Scenario,
    needing: list[str],
    drop_index: dict[str, int],
    member_drop: dict[str, str] | None,
    problems: list[Problem],
) -> list[int]:
    """Each member's drop point, as an index into :func:`drop_point_ids`."""
    if scenario.parameters.drop_point == "hub":
        hub_of = nearest_hubs(scenario) if member_drop is None else dict(member_drop)
        drop_point = []
        for member in needing:
            if hub_of.get(member) not in drop_index:
                problems.append(
                    Problem("member_drop", "a hub id", column=member, value=hub_of.get(member))
                )
                drop_point.append(0)
            else:
                drop_point.append(drop_index[hub_of[member]])
    else:
        drop_point = [drop_index[member] for member in needing]
    return drop_point
