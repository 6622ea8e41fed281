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

Equally good plans are broken the same way each time (:func:`_break_ties`): after the
optimum, node potentials from the residual network show which arcs are (within
:data:`_TIE_UNITS` integer cost units) as good as the plan's; the flow on every other arc is
kept, and a second flow over the tied arcs minimises a fixed preference per member, buyer and
product (:func:`_preference`, a hash of their ids, so adding or removing another member leaves
it alone). Without this, members moved between equally good buyers whenever anything in the
network changed, and a what-if showed them as winners and losers.
"""

from __future__ import annotations

import hashlib
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
# Arcs whose reduced cost is within this many integer cost units (3e-8 of the largest margin)
# of the optimum's count as tied: each margin is rounded by up to half a unit, so a cycle of
# four arcs that ties in money (two members swapping two buyers) may be off by 2 units.
# Moving flow between tied arcs costs at most this per unit moved; the income actually given
# up is measured and added to the reported bound.
_TIE_UNITS = 3
_PREFERENCE_RANGE = 1 << 20


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
            optimum, quantity = zero.copy(), zero.copy()
            optimum[arcs], quantity[arcs] = plan
            rounding = _rounding_bound(
                data,
                arcs,
                optimum,
                low=low,
                intake=intake,
                quantity_scale=quantity_scale,
                cost_scale=cost_scale,
            )
            # the tie-break gives up at most _TIE_UNITS per unit moved; count what it did
            given_up = float(data.pairs.margin @ (optimum - quantity))
            return FlowPlan(Status.OPTIMAL, quantity, rounding=rounding + max(given_up, 0.0))
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
) -> tuple[np.ndarray, np.ndarray] | None:
    """Solve one scaled network: the optimal quantities on ``arcs`` and the same with ties
    broken; ``None`` when the cost range overflowed."""
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
    seller_supply = supply_int.ravel()[sellers]
    network = _Network(
        tails=np.concatenate(
            [seller_node[keep], np.arange(n_sellers), n_sellers + np.arange(n_b * n_p)]
        ),
        heads=np.concatenate(
            [
                n_sellers + pairs.buyer[arcs_kept] * n_p + pairs.product[arcs_kept],
                np.full(n_sellers, sink),
                np.full(n_b * n_p, sink),
            ]
        ),
        capacities=np.concatenate(
            [seller_supply[seller_node[keep]], seller_supply, (cap_int - low_int).ravel()]
        ),
        costs=np.concatenate(
            [
                -np.round(pairs.margin[arcs_kept] * cost_scale).astype(np.int64),
                np.zeros(n_sellers + n_b * n_p, dtype=np.int64),
            ]
        ),
        supplies=np.concatenate(
            [seller_supply, -low_int.ravel(), [-int(seller_supply.sum()) + int(low_int.sum())]]
        ).astype(np.int64),
    )
    flows = _min_cost(network, network.costs)
    if flows is None:
        return None
    preference = np.zeros(network.costs.size, dtype=np.int64)
    preference[: arcs_kept.size] = _preference(data)[arcs_kept]
    tied = _break_ties(network, flows, preference)
    optimum, chosen = np.zeros(arcs.size), np.zeros(arcs.size)
    optimum[keep] = flows[: arcs_kept.size] / quantity_scale
    chosen[keep] = tied[: arcs_kept.size] / quantity_scale
    return optimum, chosen


@dataclass(frozen=True)
class _Network:
    """An integer network: arcs (tail, head, capacity, cost) and node supplies."""

    tails: np.ndarray
    heads: np.ndarray
    capacities: np.ndarray
    costs: np.ndarray
    supplies: np.ndarray


def _min_cost(network: _Network, costs: np.ndarray) -> np.ndarray | None:
    """The integer flow on each arc at least cost; ``None`` when the cost range overflowed."""
    solver = min_cost_flow.SimpleMinCostFlow()
    solver.add_arcs_with_capacity_and_unit_cost(
        network.tails.astype(np.int32), network.heads.astype(np.int32), network.capacities, costs
    )
    solver.set_nodes_supplies(np.arange(network.supplies.size, dtype=np.int32), network.supplies)
    status = solver.solve()
    if status == solver.BAD_COST_RANGE:
        return None
    if status == solver.INFEASIBLE:
        raise _Infeasible
    if status != solver.OPTIMAL:
        raise RuntimeError(f"min-cost flow ended with status {status}")
    return np.asarray(solver.flows(np.arange(costs.size, dtype=np.int32)), dtype=np.int64)


def _break_ties(network: _Network, flows: np.ndarray, preference: np.ndarray) -> np.ndarray:
    """Among the plans as good as ``flows`` (within :data:`_TIE_UNITS` per unit moved), the
    one that minimises ``preference``; ``flows`` itself when that cannot be worked out.

    With potentials ``π`` proving ``flows`` optimal, an arc whose reduced cost
    ``c + π[tail] − π[head]`` is above the tolerance keeps its flow at 0, one below minus the
    tolerance keeps it at capacity; the other arcs are free. Any flow that differs from
    ``flows`` on free arcs only costs ``Σ reduced × change`` more, at most the tolerance per
    unit moved (the potentials cancel, as both flows meet the same node balances).
    """
    potential = _potentials(network, flows)
    if potential is None:
        return flows
    reduced = network.costs + potential[network.tails] - potential[network.heads]
    cap = network.capacities
    free = (
        ((flows > 0) & (flows < cap))
        | ((flows == 0) & (reduced <= _TIE_UNITS))
        | ((flows == cap) & (reduced >= -_TIE_UNITS))
    )
    fixed = np.where(free, 0, flows)
    supplies = network.supplies.copy()
    np.subtract.at(supplies, network.tails, fixed)
    np.add.at(supplies, network.heads, fixed)
    on = np.flatnonzero(free)
    tied = _Network(network.tails[on], network.heads[on], cap[on], preference[on], supplies)
    try:
        second = _min_cost(tied, tied.costs)
    except (_Infeasible, RuntimeError):
        second = None
    if second is None:
        return flows
    fixed[on] = second
    return fixed


def _potentials(network: _Network, flows: np.ndarray) -> np.ndarray | None:
    """Shortest distances in the residual network from a source joined to every node
    (Bellman–Ford, vectorised): valid potentials for an optimal flow; ``None`` if the
    distances do not settle (a negative cycle: the flow is not optimal)."""
    forward = flows < network.capacities
    backward = flows > 0
    tails = np.concatenate([network.tails[forward], network.heads[backward]])
    heads = np.concatenate([network.heads[forward], network.tails[backward]])
    weights = np.concatenate([network.costs[forward], -network.costs[backward]])
    distance = np.zeros(network.supplies.size, dtype=np.int64)
    for _ in range(distance.size + 1):
        updated = distance.copy()
        np.minimum.at(updated, heads, distance[tails] + weights)
        if np.array_equal(updated, distance):
            return distance
        distance = updated
    return None


def _preference(data: MarketData) -> np.ndarray:
    """A fixed integer in [0, 2^20) per pair from its member, buyer and product ids (a hash:
    the same for the same ids in any run, whatever else the data holds)."""
    pairs = data.pairs
    members = _ids(data.member_ids, data.n_members)
    buyers = _ids(data.buyer_ids, data.n_buyers)
    products = _ids(data.product_ids, data.n_products)
    out = np.empty(pairs.size, dtype=np.int64)
    for k, (m, b, p) in enumerate(zip(pairs.member, pairs.buyer, pairs.product, strict=True)):
        key = f"{members[m]}\x00{buyers[b]}\x00{products[p]}".encode()
        digest = hashlib.blake2b(key, digest_size=8).digest()
        out[k] = int.from_bytes(digest, "little") % _PREFERENCE_RANGE
    return out


def _ids(ids: tuple[str, ...], n: int) -> tuple[str, ...]:
    return ids if len(ids) == n else tuple(str(i) for i in range(n))


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
