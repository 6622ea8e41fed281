"""Why an offer or a product cannot be pooled, in the words of the data.

The model leaves out, before solving, every offer no order could use (its minimum order is
above what the coalition needs of that product in all, or it has no bracket within that, or
its supplier has no road to any drop point of the members who need it), and a product no
usable offer covers is bought at the members' local dealers. :func:`unused_offers` says
which and why, one sentence each, e.g. ``offer of S3 for fertiliser: min_order 50,000 >
pooled demand 4,000``; the plan's summary lists them so that a pooled cost equal to buying
alone is explained, not a silent "infeasible".
"""

from __future__ import annotations

import numpy as np

from optimizer.models.procurement.data import ProcurementData
from optimizer.models.procurement.model import bracket_bounds

__all__ = ["unused_offers"]


def unused_offers(data: ProcurementData, active: np.ndarray | None = None) -> tuple[str, ...]:
    """One sentence per offer the coalition ``active`` (default: everyone) cannot use, and per
    needed product that no usable offer covers.

    Parameters
    ----------
    data
        The instance.
    active
        ``(M,)`` True for the members in the coalition.
    """
    if active is None:
        active = np.ones(data.n_members, dtype=bool)
    demand = np.where(active[:, None], data.demand, 0.0)
    total = demand.sum(axis=0)
    reachable = np.isfinite(data.trip_cost)
    products = _names(data.product_ids, data.n_products, "product")
    suppliers = _names(data.supplier_ids, data.n_suppliers, "supplier")
    lines: list[str] = []
    for p in np.flatnonzero(total > 0):
        drops = np.unique(data.drop_point[demand[:, p] > 0])
        used = 0
        for s in np.flatnonzero(data.offered[:, p]):
            why = _why_not(data, int(s), int(p), float(total[p]), bool(reachable[s, drops].any()))
            if why:
                lines.append(f"offer of {suppliers[s]} for {products[p]}: {why}")
            else:
                used += 1
        if not used:
            lines.append(
                f"product {products[p]}: no usable offer, so the pooled demand of "
                f"{_number(total[p])} is bought at the members' local dealers"
            )
    return tuple(lines)


def _why_not(data: ProcurementData, s: int, p: int, total: float, road: bool) -> str:
    """Why offer ``(s, p)`` cannot be used for ``total`` units ('' when it can)."""
    if bracket_bounds(data, s, p, total):
        return "" if road else "no road from the supplier to any drop point of the members"
    low, cap = float(data.min_order[s, p]), float(data.capacity[s, p])
    if cap <= 0:
        return "capacity 0"
    if low > total:
        return f"min_order {_number(low)} > pooled demand {_number(total)}"
    first = float(np.nanmin(data.thresholds[s, p]))
    return (
        f"no discount bracket can be reached: the first starts at {_number(first)}, "
        f"capacity {_number(cap)}, pooled demand {_number(total)}"
    )


def _names(ids: tuple[str, ...], n: int, kind: str) -> tuple[str, ...]:
    return ids if len(ids) == n else tuple(f"{kind} {i}" for i in range(n))


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:g}"
