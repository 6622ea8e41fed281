"""A procurement plan: :class:`ProcurementResult` and its tables, read from a solved model.

:func:`read_plan` lays out a solved :class:`~optimizer.models.procurement.model.BuiltModel` as
orders, shipments, trucks, purchases and members, costing every order at the suppliers' real
prices (:func:`goods_cost`); :func:`empty_result` is a result without a plan.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pulp

from optimizer.models.procurement.data import ProcurementData
from optimizer.models.procurement.model import BuiltModel
from optimizer.models.sharing import bounds_note
from optimizer.results import Status

__all__ = ["ProcurementResult", "empty_result", "goods_cost", "read_plan"]

# supplier, product, discount, quantity, bracket, threshold, unit_price, goods_cost, average_price
_OrderRow = tuple[str, str, str, float, int, float, float, float, float]


@dataclass(frozen=True, eq=False)
class ProcurementResult:
    """A pooled-procurement plan and what it costs.

    ``objective`` is the solver's, ``pooled_cost`` the cost recomputed from the plan at the
    suppliers' real prices (equal up to rounding). Tables:

    * ``orders``: supplier, product, discount, quantity, bracket (0-based, the one reached),
      threshold, unit_price (that bracket's), goods_cost, average_price;
    * ``shipments``: supplier, product, drop_point, quantity;
    * ``trucks``: supplier, drop_point, trucks, load_kg, distance_km, cost_per_truck,
      transport_cost;
    * ``purchases``: member, product, demand, pooled, local, local_price, local_cost;
    * ``members``: member, drop_point, standalone_cost, pooled_cost (the bill split in
      proportion to standalone cost; :mod:`optimizer.models.sharing` has other splits),
      savings.
    """

    status: Status
    objective: float
    bound: float
    gap: float
    runtime_s: float
    members_served: tuple[int, ...]
    orders: pd.DataFrame
    shipments: pd.DataFrame
    trucks: pd.DataFrame
    purchases: pd.DataFrame
    members: pd.DataFrame
    goods_cost: float = math.nan
    transport_cost: float = math.nan
    local_cost: float = math.nan
    standalone_total: float = math.nan
    # members whose standalone cost is an upper bound (their solve alone was not proven)
    standalone_bounds: tuple[str, ...] = ()
    message: str = ""
    currency: str = "EUR"
    n_variables: int = 0
    build_s: float = 0.0
    extra: dict[str, float] = field(default_factory=dict)
    unused: tuple[str, ...] = ()  # offers and products that could not be pooled, and why

    @property
    def pooled_cost(self) -> float:
        return self.goods_cost + self.transport_cost + self.local_cost

    @property
    def savings(self) -> float:
        return self.standalone_total - self.pooled_cost

    def summary(self) -> str:
        why = [f"  not used: {line}" for line in self.unused]
        if not self.status.has_solution:
            head = f"procurement: {self.status.value} ({self.runtime_s:.2f} s) {self.message}"
            return "\n".join([head, *why])
        cur = self.currency
        gap = "" if self.status is Status.OPTIMAL else f", gap {self.gap:.3%}"
        lines = [
            f"procurement: {self.status.value}{gap}, {len(self.members_served)} members, "
            f"{self.runtime_s:.2f} s",
            f"  pooled cost   {self.pooled_cost:14,.2f} {cur} (goods {self.goods_cost:,.2f}, "
            f"transport {self.transport_cost:,.2f}, bought locally {self.local_cost:,.2f})",
        ]
        if math.isfinite(self.standalone_total):
            share = self.savings / self.standalone_total if self.standalone_total else 0.0
            lines.append(
                f"  buying alone  {self.standalone_total:14,.2f} {cur}; savings "
                f"{self.savings:,.2f} {cur} ({share:.1%})"
            )
        if self.standalone_bounds:
            # these costs weigh the savings and the bills passed down to members
            named = ["{" + m + "}" for m in self.standalone_bounds]
            lines.append(
                f"  buying alone: {bounds_note(named)}; the savings and the bills passed down "
                "to members rest on them"
            )
        loads = int(self.trucks["trucks"].sum()) if len(self.trucks) else 0
        lines.append(
            f"  {len(self.orders)} orders, {loads} truckloads to {len(self.trucks)} "
            "supplier-drop point pairs"
        )
        return "\n".join([*lines, *why])


# how far under an all-units bracket's threshold an order still reaches it when the solver chose
# that bracket: the solvers' own tolerance (a bracket's switch at 1 - 1e-6 lets 96.99998 units
# stand for 97; priced by the bracket below, the plan cost 198 more than the optimum it is)
REACH_TOL = 1e-6


def goods_cost(
    data: ProcurementData, s: int, p: int, quantity: float, chosen: int | None = None
) -> tuple[int, float]:
    """The bracket reached by ``quantity`` units of offer ``(s, p)`` and what they cost.

    ``chosen``: the all-units bracket the solver chose, taken when the quantity is in it
    within :data:`REACH_TOL` (else, and for incremental offers, whose cost has no jumps, the
    bracket is the one the quantity reaches).
    """
    t = data.thresholds[s, p]
    c = data.unit_price[s, p]
    count = int(np.sum(~np.isnan(t)))
    b = max(i for i in range(count) if t[i] <= quantity + 1e-9 * max(1.0, quantity))
    if not data.incremental[s, p]:
        if chosen is not None and _holds(t, count, chosen, quantity, REACH_TOL):
            b = chosen
        return b, float(c[b] * quantity)
    cost = sum(float(c[i] * (t[i + 1] - t[i])) for i in range(b))
    return b, cost + float(c[b] * (quantity - t[b]))


def _holds(t: np.ndarray, count: int, b: int, quantity: float, tol: float) -> bool:
    """Whether bracket ``b`` (thresholds ``t``) holds ``quantity`` within ``tol``."""
    top = float(t[b + 1]) if b + 1 < count else math.inf
    return 0 <= b < count and t[b] <= quantity * (1 + tol) + tol and quantity <= top * (1 + tol)


def empty_result(
    data: ProcurementData,
    *,
    status: Status,
    runtime: float,
    served: tuple[int, ...],
    message: str,
    built: BuiltModel,
    build_s: float,
) -> ProcurementResult:
    """A result without a plan: empty tables, the status and the solver's message."""
    return ProcurementResult(
        status,
        math.nan,
        math.nan,
        math.inf,
        runtime,
        served,
        orders=pd.DataFrame(columns=_ORDER_COLUMNS),
        shipments=pd.DataFrame(columns=_SHIPMENT_COLUMNS),
        trucks=pd.DataFrame(columns=_TRUCK_COLUMNS),
        purchases=pd.DataFrame(columns=_PURCHASE_COLUMNS),
        members=pd.DataFrame(columns=_MEMBER_COLUMNS),
        message=message,
        currency=data.currency,
        n_variables=built.n_variables,
        build_s=build_s,
    )


_ORDER_COLUMNS = [
    "supplier",
    "product",
    "discount",
    "quantity",
    "bracket",
    "threshold",
    "unit_price",
    "goods_cost",
    "average_price",
]
_TRUCK_COLUMNS = [
    "supplier",
    "drop_point",
    "trucks",
    "load_kg",
    "distance_km",
    "cost_per_truck",
    "transport_cost",
]
_PURCHASE_COLUMNS = ["member", "product", "demand", "pooled", "local", "local_price", "local_cost"]
_MEMBER_COLUMNS = ["member", "drop_point", "standalone_cost", "pooled_cost", "savings"]
_SHIPMENT_COLUMNS = ["supplier", "product", "drop_point", "quantity"]


def _value(var: pulp.LpVariable) -> float:
    return max(float(var.varValue or 0.0), 0.0)


def read_plan(
    data: ProcurementData,
    *,
    built: BuiltModel,
    status: Status,
    objective: float,
    bound: float,
    rgap: float,
    runtime: float,
    served: tuple[int, ...],
    alone: np.ndarray,
) -> ProcurementResult:
    """The plan of a solved model as tables, costed at the suppliers' real prices.

    ``alone`` holds each member's standalone cost (for the members table); the other
    arguments are what the solver reported and are passed on unchanged.
    """
    shipments, ordered, load_kg = _shipments(data, built)
    chosen = {(bs, bp): b for bs, bp, b, _, u in built.brackets if _value(u) > 0.5}
    orders = _orders(data, ordered, chosen)
    trucks = _trucks(data, built, load_kg)
    purchases = _purchases(data, built)
    goods = float(sum(o[7] for o in orders))
    transport = float(trucks["transport_cost"].sum()) if len(trucks) else 0.0
    local = float(purchases["local_cost"].sum())
    pooled = goods + transport + local
    members = _member_table(data, served, alone, pooled)
    return ProcurementResult(
        status,
        objective,
        bound,
        rgap,
        runtime,
        served,
        orders=pd.DataFrame(orders, columns=_ORDER_COLUMNS),
        shipments=pd.DataFrame(shipments, columns=_SHIPMENT_COLUMNS),
        trucks=trucks,
        purchases=purchases,
        members=members,
        goods_cost=goods,
        transport_cost=transport,
        local_cost=local,
        standalone_total=float(np.sum(alone[list(served)])) if served else 0.0,
        currency=data.currency,
        n_variables=built.n_variables,
    )


def _shipments(
    data: ProcurementData, built: BuiltModel
) -> tuple[list[tuple[str, str, str, float]], np.ndarray, np.ndarray]:
    """The delivery rows, the quantity ordered per offer ``(S, P)`` and the load ``(S, D)``."""
    sid, pid, did = data.supplier_ids, data.product_ids, data.drop_point_ids
    ordered = np.zeros((data.n_suppliers, data.n_products))
    load_kg = np.zeros((data.n_suppliers, data.n_drop_points))
    shipments = []
    for s, p, d, x in built.ship:
        qty = _value(x)
        if qty > 1e-9:
            ordered[s, p] += qty
            load_kg[s, d] += qty * float(data.weight_kg[p])
            shipments.append((sid[s], pid[p], did[d], qty))
    return shipments, ordered, load_kg


def _orders(
    data: ProcurementData, ordered: np.ndarray, chosen: dict[tuple[int, int], int]
) -> list[_OrderRow]:
    """One row per offer ordered from, in ``_ORDER_COLUMNS`` order, with its bracket's cost."""
    orders: list[_OrderRow] = []
    for s, p in zip(*np.nonzero(ordered > 1e-9), strict=True):
        qty = float(ordered[s, p])
        b, cost = goods_cost(data, int(s), int(p), qty, chosen.get((int(s), int(p))))
        orders.append(
            (
                data.supplier_ids[s],
                data.product_ids[p],
                "incremental" if data.incremental[s, p] else "all_units",
                qty,
                b,
                float(data.thresholds[s, p, b]),
                float(data.unit_price[s, p, b]),
                cost,
                cost / qty,
            )
        )
    return orders


def _trucks(data: ProcurementData, built: BuiltModel, load_kg: np.ndarray) -> pd.DataFrame:
    """The truckloads per supplier and drop point, with their load and cost."""
    trip = data.trip_cost
    trucks = []
    for s, d, n in built.trucks:
        count = round(float(n.varValue or 0.0))
        if count > 0:
            trucks.append(
                (
                    data.supplier_ids[s],
                    data.drop_point_ids[d],
                    count,
                    float(load_kg[s, d]),
                    float(data.distance_km[s, d]),
                    float(trip[s, d]),
                    count * float(trip[s, d]),
                )
            )
    return pd.DataFrame(trucks, columns=_TRUCK_COLUMNS)


def _purchases(data: ProcurementData, built: BuiltModel) -> pd.DataFrame:
    """What each member gets of each product, pooled and bought locally."""
    # pooled units of a class are shared among its members in proportion to their demand
    class_pooled = np.zeros(len(built.class_demand))
    for c, v in built.local.items():
        class_pooled[c] = max(float(built.class_demand[c]) - _value(v), 0.0)
    fraction = np.divide(
        class_pooled,
        built.class_demand,
        out=np.zeros_like(class_pooled),
        where=built.class_demand > 0,
    )
    rows_m, rows_p = built.row_member, built.row_product
    row_demand = data.demand[rows_m, rows_p]
    row_pooled = row_demand * fraction[built.class_of_row]
    row_local = row_demand - row_pooled
    row_price = data.local_price[rows_m, rows_p]
    return pd.DataFrame(
        {
            "member": [data.member_ids[m] for m in rows_m],
            "product": [data.product_ids[p] for p in rows_p],
            "demand": row_demand,
            "pooled": row_pooled,
            "local": row_local,
            "local_price": row_price,
            "local_cost": row_local * row_price,
        }
    )


def _member_table(
    data: ProcurementData, served: tuple[int, ...], alone: np.ndarray, pooled: float
) -> pd.DataFrame:
    idx = list(served)
    standalone = alone[idx]
    total = float(np.sum(standalone))
    if np.all(np.isfinite(standalone)) and total > 0:
        share = standalone / total * pooled
    else:
        share = np.full(len(idx), math.nan)
    return pd.DataFrame(
        {
            "member": [data.member_ids[m] for m in idx],
            "drop_point": [data.drop_point_ids[data.drop_point[m]] for m in idx],
            "standalone_cost": standalone,
            "pooled_cost": share,
            "savings": standalone - share,
        }
    )
