"""An independent check of a procurement plan: feasibility and cost from the decisions alone.

It reads only the instance and the plan's tables (shipments, trucks, purchases, orders), never
the solver's objective or the model's variables, and recomputes every cost at the suppliers'
real prices.
"""

from __future__ import annotations

import math

import numpy as np

from optimizer.models.procurement.data import ProcurementData
from optimizer.models.procurement.plan import ProcurementResult
from optimizer.results import Check

__all__ = ["check_procurement"]


def _price_of(data: ProcurementData, s: int, p: int, qty: float, said: int) -> float:
    """Goods cost of ``qty`` units of offer (s, p), from the bracket table directly: an
    all-units order at the price of the bracket reported (the caller checks that it holds
    the quantity, within the solvers' tolerance at a threshold), an incremental one bracket
    by bracket (its cost has no jumps)."""
    thresholds = [float(v) for v in data.thresholds[s, p] if not math.isnan(v)]
    prices = [float(v) for v in data.unit_price[s, p][: len(thresholds)]]
    if not data.incremental[s, p]:
        return prices[said] * qty
    cost = 0.0
    for i, (t, c) in enumerate(zip(thresholds, prices, strict=True)):
        top = thresholds[i + 1] if i + 1 < len(thresholds) else math.inf
        cost += c * max(0.0, min(qty, top) - t)
    return cost


def check_procurement(
    data: ProcurementData, result: ProcurementResult, *, tol: float = 1e-6
) -> Check:
    """Verify a plan against the instance and recompute its cost.

    Checks: every served member's demand is met (pooled + local), nobody else buys; pooled
    units match deliveries at each drop point; deliveries only on offered products and roads;
    orders within capacity and at least the minimum order; the reported bracket matches the
    quantity; truckloads are whole and carry the load; the recomputed cost equals the plan's,
    never exceeds the solver's objective and is never below its bound.

    Returns
    -------
    Check
        ``cost`` is the recomputed pooled cost; ``figures`` holds its parts ``goods_cost``,
        ``transport_cost`` and ``local_cost``.
    """
    if not result.status.has_solution:
        return Check(("no plan to check",), math.nan, _parts(math.nan, math.nan, math.nan))
    problems: list[str] = []
    pooled_at, local_cost = _check_purchases(data, result, tol, problems)
    ordered, load = _check_deliveries(data, result, pooled_at, tol, problems)
    goods = _check_orders(data, result, ordered, tol, problems)
    transport = _check_trucks(data, result, load, tol, problems)
    cost = goods + transport + local_cost
    if not _near(cost, result.pooled_cost, tol):
        problems.append(f"cost recomputed {cost:,.4f} but the plan says {result.pooled_cost:,.4f}")
    if math.isfinite(result.objective) and cost > result.objective + tol * max(1.0, cost):
        problems.append(f"cost {cost:,.4f} above the solver's objective {result.objective:,.4f}")
    if math.isfinite(result.bound) and cost < result.bound - tol * max(1.0, abs(result.bound)):
        # no plan costs less than the solver's lower bound: a bracket or a count misread
        problems.append(f"cost {cost:,.4f} below the solver's bound {result.bound:,.4f}")
    return Check(tuple(problems), cost, _parts(goods, transport, local_cost))


def _near(a: float, b: float, tol: float) -> bool:
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


def _index(ids: tuple[str, ...]) -> dict[str, int]:
    return {v: i for i, v in enumerate(ids)}


def _check_purchases(
    data: ProcurementData, result: ProcurementResult, tol: float, problems: list[str]
) -> tuple[np.ndarray, float]:
    """Members' demand met, nobody outside the coalition buying; the pooled units per drop
    point and product ``(D, P)`` and the cost of what is bought locally."""
    p_of, m_of = _index(data.product_ids), _index(data.member_ids)
    served = np.zeros(data.n_members, dtype=bool)
    served[list(result.members_served)] = True
    pooled_at = np.zeros((data.n_drop_points, data.n_products))
    bought = np.zeros((data.n_members, data.n_products))
    local_cost = 0.0
    table = result.purchases
    for member, product, pooled, local in zip(
        table["member"],
        table["product"],
        table["pooled"].to_numpy(float),
        table["local"].to_numpy(float),
        strict=True,
    ):
        m, p = m_of[str(member)], p_of[str(product)]
        if not served[m]:
            problems.append(f"member {member} is not in the coalition but buys {product}")
        if pooled < -tol or local < -tol:
            problems.append(f"member {member}, {product}: negative quantity")
        bought[m, p] += pooled + local
        pooled_at[data.drop_point[m], p] += pooled
        local_cost += local * float(data.local_price[m, p])
    need = np.where(served[:, None], data.demand, 0.0)
    for m, p in zip(*np.nonzero(~np.isclose(bought, need, rtol=tol, atol=tol)), strict=True):
        problems.append(
            f"member {data.member_ids[m]}, {data.product_ids[p]}: gets {bought[m, p]:g} "
            f"of {need[m, p]:g}"
        )
    return pooled_at, local_cost


def _check_deliveries(
    data: ProcurementData,
    result: ProcurementResult,
    pooled_at: np.ndarray,
    tol: float,
    problems: list[str],
) -> tuple[np.ndarray, np.ndarray]:
    """Deliveries only of offered products over roads, matching the pooled units; the
    quantity ordered per offer ``(S, P)`` and the load per supplier and drop point ``(S, D)``."""
    s_of, p_of, d_of = (
        _index(data.supplier_ids),
        _index(data.product_ids),
        _index(data.drop_point_ids),
    )
    delivered = np.zeros((data.n_drop_points, data.n_products))
    ordered = np.zeros((data.n_suppliers, data.n_products))
    load = np.zeros((data.n_suppliers, data.n_drop_points))
    table = result.shipments
    for supplier, product, drop, qty in zip(
        table["supplier"],
        table["product"],
        table["drop_point"],
        table["quantity"].to_numpy(float),
        strict=True,
    ):
        s, p, d = s_of[str(supplier)], p_of[str(product)], d_of[str(drop)]
        if qty < -tol:
            problems.append(f"negative delivery {supplier}->{drop} {product}")
        if not data.offered[s, p]:
            problems.append(f"supplier {supplier} does not sell {product}")
        if not math.isfinite(data.distance_km[s, d]):
            problems.append(f"no road from supplier {supplier} to {drop}")
        delivered[d, p] += qty
        ordered[s, p] += qty
        load[s, d] += qty * float(data.weight_kg[p])
    for d, p in zip(
        *np.nonzero(~np.isclose(delivered, pooled_at, rtol=tol, atol=tol)), strict=True
    ):
        problems.append(
            f"drop point {data.drop_point_ids[d]}, {data.product_ids[p]}: {delivered[d, p]:g} "
            f"delivered but {pooled_at[d, p]:g} pooled"
        )
    return ordered, load


def _check_orders(
    data: ProcurementData,
    result: ProcurementResult,
    ordered: np.ndarray,
    tol: float,
    problems: list[str],
) -> float:
    """Orders within capacity, at least the minimum, in the reported bracket; their goods cost."""
    goods = 0.0
    table = result.orders
    reported = {
        (str(s), str(p)): (float(q), int(b))
        for s, p, q, b in zip(
            table["supplier"], table["product"], table["quantity"], table["bracket"], strict=True
        )
    }
    for s, p in zip(*np.nonzero(ordered > tol), strict=True):
        qty = float(ordered[s, p])
        who = f"supplier {data.supplier_ids[s]}, {data.product_ids[p]}"
        if qty > data.capacity[s, p] * (1 + tol) + tol:
            problems.append(f"{who}: {qty:g} ordered over capacity {data.capacity[s, p]:g}")
        if qty < data.min_order[s, p] * (1 - tol) - tol:
            problems.append(f"{who}: {qty:g} ordered under the minimum {data.min_order[s, p]:g}")
        said = reported.get((data.supplier_ids[s], data.product_ids[p]))
        if said is None or not _near(said[0], qty, tol):
            problems.append(f"{who}: order table does not match the deliveries")
            continue
        t = data.thresholds[s, p]
        b = said[1]
        above = t[b + 1] if b + 1 < len(t) and not math.isnan(t[b + 1]) else math.inf
        holds = 0 <= b < len(t) and t[b] <= qty * (1 + tol) + tol
        if not (holds and qty <= above * (1 + tol) + tol):
            problems.append(f"{who}: bracket {b} does not hold {qty:g} units")
            continue
        goods += _price_of(data, int(s), int(p), qty, b)
    return goods


def _check_trucks(
    data: ProcurementData,
    result: ProcurementResult,
    load: np.ndarray,
    tol: float,
    problems: list[str],
) -> float:
    """Whole truckloads carrying each load; their transport cost."""
    s_of, d_of = _index(data.supplier_ids), _index(data.drop_point_ids)
    transport = 0.0
    trucks = np.zeros((data.n_suppliers, data.n_drop_points))
    table = result.trucks
    for supplier, drop, n in zip(
        table["supplier"], table["drop_point"], table["trucks"].to_numpy(float), strict=True
    ):
        s, d = s_of[str(supplier)], d_of[str(drop)]
        if n < 0 or n != round(n):
            problems.append(f"{supplier}->{drop}: {n:g} trucks is not whole")
        trucks[s, d] += n
    for s, d in zip(*np.nonzero((load > tol) | (trucks > 0)), strict=True):
        if load[s, d] > trucks[s, d] * data.payload_kg[s] * (1 + tol) + tol:
            problems.append(
                f"{data.supplier_ids[s]}->{data.drop_point_ids[d]}: {load[s, d]:g} kg on "
                f"{trucks[s, d]:g} trucks of {data.payload_kg[s]:g} kg"
            )
        per_km = data.fuel_price_factor * data.cost_per_km[s] * data.distance_km[s, d]
        transport += trucks[s, d] * (data.cost_per_trip[s] + per_km)
    return float(transport)


def _parts(goods: float, transport: float, local: float) -> dict[str, float]:
    """The recomputed parts of the cost, as :class:`Check` figures."""
    return {"goods_cost": goods, "transport_cost": transport, "local_cost": local}
