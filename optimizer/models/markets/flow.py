"""The market model as a minimum-cost flow (OR-Tools' network simplex / cost scaling).

Network: one node per member × product with supply, one per buyer × product, one sink.
Arcs member → buyer carry the negated margin over the farm gate (as integers),
member → sink is the farm gate (cost 0), buyer → sink carries the buyer's intake
(``max_intake`` minus any forced minimum). A minimum ``l`` on a buyer (a contract that is
fixed as met) is moved into the node supplies: the buyer node demands ``l`` and the sink
``l`` less. Quantities and margins are scaled to integers by powers of ten chosen from
the total supply and the largest margin (about 1e9 and 1e8 integer units: a resolution of
1e-9 of the total supply and 1e-8 of the largest margin, with the total cost inside 64
bits); capacities round down, minimums round up, so the plan read back in floats respects
every limit. The income is recomputed in floats from the quantities.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

from optimizer.models.markets.data import MarketData
from optimizer.results import Status

__all__ = ["FlowPlan", "solve_flow"]

# The largest margin becomes ~1e8 integer cost units and the total supply ~1e9 integer
# quantity units: both resolved to 1e-8 of their range, and their product (1e17) stays well
# inside int64 even after OR-Tools multiplies costs by the node count.
_COST_UNITS = 1e8
_QUANTITY_UNITS = 1e9


@dataclass(frozen=True)
class FlowPlan:
    """Quantities on :attr:`MarketData.pairs` (0 where unused) and how the solve ended."""

    status: Status
    quantity: np.ndarray
    message: str = ""
    rounding: float = 0.0  # bound on the income the integer scaling may have cost


def solve_flow(
    data: MarketData,
    *,
    lower: np.ndarray | None = None,
    closed: np.ndarray | None = None,
) -> FlowPlan:
    """Best flows with buyers' intakes, optionally forcing minimums or closing buyers.

    Parameters
    ----------
    data
        The market data.
    lower
        ``[b, p]`` quantity a buyer must receive (a contract fixed as met); ``None`` = none.
        When given, pairs with a negative margin are kept (they may be needed to meet it).
    closed
        ``[b, p]`` True where the buyer takes nothing (a contract fixed as unused).

    Returns
    -------
    FlowPlan
        Optimal (for the integer-scaled costs), infeasible (the minimums cannot be met) or
        error; never raises for those.
    """
    try:
        return _solve(data, lower=lower, closed=closed)
    except _Infeasible:
        return FlowPlan(Status.INFEASIBLE, np.zeros(data.pairs.size), "minimums cannot be met")
    except RuntimeError as exc:
        return FlowPlan(Status.ERROR, np.zeros(data.pairs.size), str(exc))


def _solve(data: MarketData, *, lower: np.ndarray | None, closed: np.ndarray | None) -> FlowPlan:
    pairs = data.pairs
    intake = data.max_intake.copy()
    if closed is not None:
        intake[closed] = 0.0
    low = np.zeros_like(intake) if lower is None else np.minimum(lower, intake)
    use = intake[pairs.buyer, pairs.product] > 0
    if lower is None:
        use &= pairs.margin > 0
    arcs = np.flatnonzero(use)
    zero = np.zeros(pairs.size)
    total_supply = float(data.supply.sum())
    if total_supply <= 0:
        return FlowPlan(Status.OPTIMAL, zero)

    max_margin = float(np.max(np.abs(pairs.margin[arcs]))) if arcs.size else 1.0
    cost_scale = 10.0 ** math.floor(math.log10(_COST_UNITS / max(max_margin, 1e-12)))
    quantity_scale = 10.0 ** math.floor(math.log10(_QUANTITY_UNITS / total_supply))

    for _ in range(4):
        plan = _run(
            data,
            arcs=arcs,
            low=low,
            intake=intake,
            quantity_scale=quantity_scale,
            cost_scale=cost_scale,
        )
        if plan is not None:
            quantity = zero.copy()
            quantity[arcs] = plan
            rounding = _rounding_bound(
                data,
                arcs,
                quantity,
                low=low,
                intake=intake,
                quantity_scale=quantity_scale,
                cost_scale=cost_scale,
            )
            return FlowPlan(Status.OPTIMAL, quantity, rounding=rounding)
        quantity_scale /= 100  # the cost range overflowed: coarser quantities
    return FlowPlan(Status.ERROR, zero, "the min-cost flow's cost range overflowed")


def _run(
    data: MarketData,
    *,
    arcs: np.ndarray,
    low: np.ndarray,
    intake: np.ndarray,
    quantity_scale: float,
    cost_scale: float,
) -> np.ndarray | None:
    """Solve one scaled network; ``None`` when the cost range overflowed."""
    pairs = data.pairs
    n_b, n_p = intake.shape
    supply_int = np.floor(data.supply * quantity_scale).astype(np.int64)
    sellers = np.flatnonzero(supply_int.ravel() > 0)
    node_of_seller = np.full(data.supply.size, -1, dtype=np.int64)
    node_of_seller[sellers] = np.arange(sellers.size)
    n_sellers = sellers.size
    sink = n_sellers + n_b * n_p
    cap_int = np.floor(intake * quantity_scale).astype(np.int64)
    low_int = np.minimum(np.ceil(low * quantity_scale).astype(np.int64), cap_int)

    seller_node = node_of_seller[pairs.member[arcs] * n_p + pairs.product[arcs]]
    keep = seller_node >= 0
    arcs_kept = arcs[keep]
    tails = np.concatenate(
        [
            seller_node[keep],
            np.arange(n_sellers),
            n_sellers + np.arange(n_b * n_p),
        ]
    )
    heads = np.concatenate(
        [
            n_sellers + pairs.buyer[arcs_kept] * n_p + pairs.product[arcs_kept],
            np.full(n_sellers, sink),
            np.full(n_b * n_p, sink),
        ]
    )
    seller_supply = supply_int.ravel()[sellers]
    pair_cap = seller_supply[seller_node[keep]]
    capacities = np.concatenate([pair_cap, seller_supply, (cap_int - low_int).ravel()])
    costs = np.concatenate(
        [
            -np.round(pairs.margin[arcs_kept] * cost_scale).astype(np.int64),
            np.zeros(n_sellers + n_b * n_p, dtype=np.int64),
        ]
    )
    supplies = np.concatenate(
        [
            seller_supply,
            -low_int.ravel(),
            [-int(seller_supply.sum()) + int(low_int.sum())],
        ]
    ).astype(np.int64)

    network = min_cost_flow.SimpleMinCostFlow()
    network.add_arcs_with_capacity_and_unit_cost(
        tails.astype(np.int32), heads.astype(np.int32), capacities, costs
    )
    network.set_nodes_supplies(np.arange(sink + 1, dtype=np.int32), supplies)
    status = network.solve()
    if status == network.BAD_COST_RANGE:
        return None
    if status == network.INFEASIBLE:
        raise _Infeasible
    if status != network.OPTIMAL:
        raise RuntimeError(f"min-cost flow ended with status {status}")
    flows = network.flows(np.arange(arcs_kept.size, dtype=np.int32)) / quantity_scale
    result = np.zeros(arcs.size)
    result[keep] = flows
    return result


def _rounding_bound(
    data: MarketData,
    arcs: np.ndarray,
    quantity: np.ndarray,
    *,
    low: np.ndarray,
    intake: np.ndarray,
    quantity_scale: float,
    cost_scale: float,
) -> float:
    """An upper bound on the income the integer scaling may have cost against the optimum.

    Each limit rounded inward (supplies and intakes down, minimums up) by ``δ`` can cost at
    most ``δ`` units at the best margin of the arcs that touch it; each rounded margin is off
    by at most half a cost unit on every unit moved, by the plan and by the optimum (at most
    the total supply).
    """
    pairs = data.pairs
    n_p = data.n_products
    best_seller = np.zeros(data.supply.size)
    best_market = np.zeros(intake.size)
    seller = pairs.member[arcs] * n_p + pairs.product[arcs]
    market = pairs.buyer[arcs] * n_p + pairs.product[arcs]
    margin = np.abs(pairs.margin[arcs])
    np.maximum.at(best_seller, seller, margin)
    np.maximum.at(best_market, market, margin)
    supply = data.supply.ravel()
    cut_supply = supply - np.floor(supply * quantity_scale) / quantity_scale
    cut_intake = intake.ravel() - np.floor(intake.ravel() * quantity_scale) / quantity_scale
    cut_low = np.ceil(low.ravel() * quantity_scale) / quantity_scale - low.ravel()
    limits = best_seller @ cut_supply + best_market @ (cut_intake + cut_low)
    costs = 0.5 / cost_scale * (float(quantity.sum()) + float(supply.sum()))
    return float(limits + costs)


class _Infeasible(Exception):
    """The forced minimums cannot all be met."""
