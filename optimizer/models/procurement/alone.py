r"""Each member's cost of buying alone, for all members at once, by enumeration (no MILP).

A member alone is the pooled model (:mod:`optimizer.models.procurement.solve`) with one
member: its products ``p`` (demand ``D[p]``, local price ``l[p]``), the offers ``a = (s, p)``
that reach its drop point ``d``, each with its usable brackets ``(L, U, c, k)``
(:func:`~optimizer.models.procurement.model.bracket_bounds` for at most ``D[p]`` units), and
per supplier a truck of payload ``W[s]`` at ``tau[s] = trip_cost[s, d]``. Its cost is::

    min  sum_p l[p] D[p] + sum_a (k[a] + (c[a] - l[p]) q[a]) + sum_s tau[s] n[s]
    s.t. L[a] <= q[a] <= U[a] for the chosen bracket of a (q[a] = 0 when none is chosen),
         sum_s q[s, p] <= D[p],   sum_p w[p] q[s, p] <= W[s] n[s],   n[s] integer.

Enumerated here: every choice of one bracket (or none) per offer (a *cell*) and every truck
count per supplier. What is left is an LP whose offers in use form a bipartite graph of
suppliers and products. Each connected part is solved on its own, exactly, when it is a star:

* one supplier with several products, each from it alone: a continuous knapsack (the
  payload) with bounds, solved by filling the lower bounds and then the best gain per kg,
  ``(l[p] - c[a]) / w[p]``, first;
* one product from several suppliers, each carrying only it: for given truck counts each
  offer is capped by ``min(U[a], W[s] n[s] / w[p])`` and the offers share ``D[p]``: filled
  by the best gain per unit first.

Both are LPs with one coupling row, where the greedy fill is optimal. A part of another shape
(say a supplier with two products, one of which a second supplier also sells) is not solved
here: such members, and members with more cells than :data:`MAX_CELLS`, are returned in
``unsolved`` for the MILP (:func:`~optimizer.models.procurement.solve.standalone_costs` does
so). On the bundled scenarios every member is solved by enumeration.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from optimizer.models.procurement.data import ProcurementData
from optimizer.models.procurement.model import bracket_bounds

__all__ = ["MAX_CELLS", "AloneCosts", "alone_costs"]

MAX_CELLS = 20_000  # bracket choices x truck counts enumerated per member at most
_EPS = 1e-9


@dataclass(frozen=True)
class AloneCosts:
    """Standalone costs by enumeration: ``nan`` for members not asked for or ``unsolved``."""

    cost: np.ndarray
    unsolved: tuple[int, ...]


Bracket = tuple[float, float, float, float]  # (L, U, c, k)


@dataclass(frozen=True)
class _Arc:
    s: int
    p: int
    brackets: tuple[Bracket, ...]


@dataclass
class _Member:
    """One member's problem: the instance, the member, its trip costs, the cells left."""

    data: ProcurementData
    m: int
    tau: np.ndarray
    budget: int = MAX_CELLS


def alone_costs(data: ProcurementData, members: Sequence[int] | None = None) -> AloneCosts:
    """Each listed member's cost of buying alone (default: every member)."""
    chosen = range(data.n_members) if members is None else [int(m) for m in members]
    cost = np.full(data.n_members, math.nan)
    unsolved: list[int] = []
    trip = data.trip_cost
    offers: dict[tuple[int, int, float], tuple[Bracket, ...]] = {}
    for m in chosen:
        needs = np.nonzero(data.demand[m] > 0)[0]
        d = int(data.drop_point[m])
        arcs = []
        for p in needs:
            for s in np.nonzero(data.offered[:, p] & np.isfinite(trip[:, d]))[0]:
                key = (int(s), int(p), float(data.demand[m, p]))
                if key not in offers:  # the same demand has the same usable brackets
                    offers[key] = tuple(
                        (lo, hi, c, k) for _, lo, hi, c, k in bracket_bounds(data, *key)
                    )
                if offers[key]:
                    arcs.append(_Arc(int(s), int(p), offers[key]))
        value = _member_cost(_Member(data, m, trip[:, d]), arcs)
        if value is None:
            unsolved.append(m)
        else:
            cost[m] = value
    return AloneCosts(cost, tuple(unsolved))


def _member_cost(who: _Member, arcs: list[_Arc]) -> float | None:
    """The least cost of the member alone, or None when a cell is not a star."""
    local = float(who.data.demand[who.m] @ who.data.local_price[who.m])
    if not arcs:
        return local
    if math.prod(len(a.brackets) + 1 for a in arcs) > MAX_CELLS:
        return None
    best = local
    for picks in itertools.product(*(range(-1, len(a.brackets)) for a in arcs)):
        used = [(a, a.brackets[b]) for a, b in zip(arcs, picks, strict=True) if b >= 0]
        if not used:
            continue
        value = _cell(who, used)
        if value is None:
            return None
        best = min(best, local + value)
    return best


def _cell(who: _Member, used: list[tuple[_Arc, Bracket]]) -> float | None:
    """The cost of one cell above buying everything locally (``inf`` if infeasible)."""
    total = sum(k for _, (_, _, _, k) in used)
    by_s: dict[int, list[int]] = {}
    by_p: dict[int, list[int]] = {}
    for i, (a, _) in enumerate(used):
        by_s.setdefault(a.s, []).append(i)
        by_p.setdefault(a.p, []).append(i)
    for part in _parts(used, by_s, by_p):
        suppliers = {used[i][0].s for i in part}
        products = {used[i][0].p for i in part}
        if len(suppliers) == 1:
            value = _supplier_star(who, [used[i] for i in part])
        elif len(products) == 1:
            value = _product_star(who, [used[i] for i in part])
        else:
            return None
        if value is None:
            return None
        total += value
        if math.isinf(total):
            return total
    return total


def _parts(
    used: list[tuple[_Arc, Bracket]],
    by_s: dict[int, list[int]],
    by_p: dict[int, list[int]],
) -> list[list[int]]:
    """The connected parts of the offers in use (by shared supplier or product)."""
    seen: set[int] = set()
    parts = []
    for start in range(len(used)):
        if start in seen:
            continue
        part, stack = [], [start]
        seen.add(start)
        while stack:
            i = stack.pop()
            part.append(i)
            a = used[i][0]
            for j in by_s[a.s] + by_p[a.p]:
                if j not in seen:
                    seen.add(j)
                    stack.append(j)
        parts.append(part)
    return parts


def _supplier_star(who: _Member, part: list[tuple[_Arc, Bracket]]) -> float | None:
    """One supplier, each product from it alone: min over trucks of tau n - best gain."""
    data, m, tau = who.data, who.m, who.tau
    s = part[0][0].s
    payload, trip = float(data.payload_kg[s]), float(tau[s])
    w = [float(data.weight_kg[a.p]) for a, _ in part]
    low_kg = sum(wi * lo for wi, (_, (lo, _, _, _)) in zip(w, part, strict=True))
    high_kg = sum(wi * hi for wi, (_, (_, hi, _, _)) in zip(w, part, strict=True))
    first = max(1, math.ceil(low_kg / payload - _EPS))
    last = max(first, math.ceil(high_kg / payload - _EPS))
    who.budget -= last - first + 1
    if who.budget < 0:
        return None
    gains = [float(data.local_price[m, a.p]) - c for a, (_, _, c, _) in part]
    base = sum(-g * lo for g, (_, (lo, _, _, _)) in zip(gains, part, strict=True))
    order = sorted(range(len(part)), key=lambda i: -gains[i] / w[i])
    best = math.inf
    for n in range(first, last + 1):
        room = payload * n - low_kg
        value = base + trip * n
        for i in order:
            if gains[i] <= 0 or room <= 0:
                break
            lo, hi = part[i][1][0], part[i][1][1]
            more = min(hi - lo, room / w[i])
            value -= gains[i] * more
            room -= more * w[i]
        best = min(best, value)
    return best


def _product_star(who: _Member, part: list[tuple[_Arc, Bracket]]) -> float | None:
    """One product from several suppliers, each carrying only it."""
    data, m, tau = who.data, who.m, who.tau
    p = part[0][0].p
    w, demand = float(data.weight_kg[p]), float(data.demand[m, p])
    if sum(lo for _, (lo, _, _, _) in part) > demand + _EPS * max(1.0, demand):
        return math.inf
    gain = float(data.local_price[m, p])
    ranges = []
    for a, (lo, hi, _, _) in part:
        payload = float(data.payload_kg[a.s])
        first = max(1, math.ceil(w * lo / payload - _EPS))
        ranges.append(range(first, max(first, math.ceil(w * hi / payload - _EPS)) + 1))
    who.budget -= math.prod(len(r) for r in ranges)
    if who.budget < 0:
        return None
    order = sorted(range(len(part)), key=lambda i: part[i][1][2])  # cheapest price first
    best = math.inf
    for trucks in itertools.product(*ranges):
        value = sum(float(tau[a.s]) * n for (a, _), n in zip(part, trucks, strict=True))
        caps = [
            min(hi, float(data.payload_kg[a.s]) * n / w)
            for (a, (_, hi, _, _)), n in zip(part, trucks, strict=True)
        ]
        value += sum((c - gain) * lo for _, (lo, _, c, _) in part)
        left = demand - sum(lo for _, (lo, _, _, _) in part)
        for i in order:
            lo, _, c, _ = part[i][1]
            if c >= gain or left <= 0:
                break
            more = max(0.0, min(caps[i] - lo, left))
            value += (c - gain) * more
            left -= more
        best = min(best, value)
    return best
