"""The independent check of a hub plan: from its open hubs, flows and trucks alone."""

from __future__ import annotations

import math
from dataclasses import asdict

import numpy as np
import pandas as pd

from optimizer.models.hubs.data import HubData, HubPlan, HubResult, value_of_plan
from optimizer.results import Check

__all__ = ["check_hubs"]

_TOL = 1e-7


def check_hubs(data: HubData, result: HubResult) -> Check:
    """Verify a hub plan from its decisions alone and recompute its net value.

    Checks supply conservation (shipped + unsold = supply), flow balance at every hub,
    flows only through open hubs and over existing roads, existing hubs open, hub capacities,
    whole trucks covering every corridor's load, buyers' intake, and that the recomputed net
    value matches the reported objective.

    Returns
    -------
    Check
        ``cost`` is the recomputed net value (the maximised objective); ``figures`` holds its
        parts, named as the fields of :class:`HubValue`.
    """
    problems: list[str] = []
    n_m, n_h, n_b, n_p = data.n_members, data.n_hubs, data.n_buyers, data.n_products
    f = _dense(result.first_mile, ["member", "hub", "product"], (n_m, n_h, n_p))
    g = _dense(result.corridor_flows, ["hub", "buyer", "product"], (n_h, n_b, n_p))
    d = _dense(result.direct, ["member", "buyer", "product"], (n_m, n_b, n_p))
    u = _dense(result.unsold, ["member", "product"], (n_m, n_p))
    t = _dense(result.corridors, ["hub", "buyer"], (n_h, n_b), column="trucks")
    open_mask = np.zeros(n_h, dtype=bool)
    open_mask[list(result.open_hubs)] = True

    for name, array in (("first-mile", f), ("corridor", g), ("direct", d), ("unsold", u)):
        if (array < -_TOL).any():
            problems.append(f"negative {name} quantity")
    if (np.abs(t - np.round(t)) > 1e-6).any() or (t < 0).any():
        problems.append("truck counts must be whole and non-negative")
    tol = 1e-6 * max(1.0, float(data.supply.max(initial=0.0)))
    balance = f.sum(axis=1) + d.sum(axis=1) + u - data.supply
    for m, p in np.argwhere(np.abs(balance) > tol):
        problems.append(
            f"member {m} product {p}: shipped + unsold differs from supply by {balance[m, p]:g}"
        )
    hub_gap = f.sum(axis=0) - g.sum(axis=1)
    for h, p in np.argwhere(np.abs(hub_gap) > tol):
        problems.append(f"hub {h} product {p}: in and out differ by {hub_gap[h, p]:g}")
    used = (f.sum(axis=(0, 2)) > _TOL) | (g.sum(axis=(1, 2)) > _TOL) | (t.sum(axis=1) > 0)
    for h in np.flatnonzero(used & ~open_mask):
        problems.append(f"hub {h} is used but not open")
    for h in np.flatnonzero(data.existing_mask & ~open_mask):
        problems.append(f"existing hub {h} is not open")
    load_in_kg = np.einsum("mhp,p->h", f, data.weight_kg)
    for h in np.flatnonzero(load_in_kg > data.hub_capacity_kg * (1 + 1e-9) + tol):
        problems.append(
            f"hub {h} handles {load_in_kg[h]:g} kg, capacity {data.hub_capacity_kg[h]:g} kg"
        )
    load_kg = np.einsum("hbp,p->hb", g, data.weight_kg)
    over = load_kg > data.truck_payload_kg * t * (1 + 1e-9) + tol
    for h, b in np.argwhere(over):
        problems.append(
            f"corridor hub {h} → buyer {b}: load {load_kg[h, b]:g} kg needs more than "
            f"{int(t[h, b])} trucks of {data.truck_payload_kg[h, b]:g} kg"
        )
    received = g.sum(axis=0) + d.sum(axis=0)
    for b, p in np.argwhere(received > data.intake_units * (1 + 1e-9) + tol):
        problems.append(
            f"buyer {b} product {p}: receives {received[b, p]:g}, "
            f"intake {data.intake_units[b, p]:g}"
        )
    for name, flows, dist in (
        ("member→hub", f.sum(axis=2), data.distance_member_hub_km),
        ("member→buyer", d.sum(axis=2), data.distance_member_buyer_km),
        ("hub→buyer", g.sum(axis=2) + t, data.distance_hub_buyer_km),
    ):
        if ((flows > _TOL) & ~np.isfinite(dist)).any():
            problems.append(f"a {name} flow uses a road that does not exist")
    value = value_of_plan(data, HubPlan(f, g, d, u, t, open_mask))
    cost = value.net_value
    claimed = result.objective
    if math.isfinite(claimed) and abs(cost - claimed) > 1e-6 * max(1.0, abs(cost)):
        problems.append(
            f"recomputed net value {cost:,.6f} differs from the reported {claimed:,.6f}"
        )
    return Check(tuple(problems), cost, {**asdict(value), "total_cost": value.total_cost})


def _dense(
    table: pd.DataFrame, index_names: list[str], shape: tuple[int, ...], column: str = "quantity"
) -> np.ndarray:
    array = np.zeros(shape)
    if len(table):
        index = tuple(table[name].to_numpy(dtype=int) for name in index_names)
        np.add.at(array, index, table[column].to_numpy(dtype=float))
    return array
