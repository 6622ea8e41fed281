"""Build the pooled-procurement MILP in PuLP from :class:`ProcurementData` arrays.

The formulation is written out in :mod:`optimizer.models.procurement.solve`; the symbols here
are the same. Two modes share one builder:

* fixed coalition (``active`` members must be served, the others are absent), used by
  :func:`~optimizer.models.procurement.solve.solve_procurement`;
* switched coalition (``players`` and ``shares``): a 0/1 ``z[g]`` per player says whether
  its members are in the coalition, and the objective is ``C(S) - sum_{g in S} share[g]``;
  used by the core check.

Members are aggregated into *classes* ``c = (d, p, l, g)``: members at drop point ``d``
who need product ``p``, pay the local price ``l`` and belong to player ``g``. Within a class
it does not matter whose units the pool buys, so one variable ``y[c]`` carries them all.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import TypeAlias

import numpy as np
import pulp

from optimizer.models.procurement.data import ProcurementData

__all__ = ["BuiltModel", "best_brackets", "build_model", "goods_envelope"]

Var: TypeAlias = pulp.LpVariable


@dataclass
class BuiltModel:
    """The PuLP problem and handles to read the plan back."""

    problem: pulp.LpProblem
    ship: list[tuple[int, int, int, Var]] = field(default_factory=list)  # s, p, d, x
    brackets: list[tuple[int, int, int, Var, Var]] = field(default_factory=list)  # s,p,b,q,u
    trucks: list[tuple[int, int, Var]] = field(default_factory=list)  # s, d, n
    pooled: dict[int, Var] = field(default_factory=dict)  # class -> y (switched model)
    local: dict[int, Var] = field(default_factory=dict)  # class -> v (fixed model)
    offset: float = 0.0  # fixed model: cost of classes nothing can be delivered to
    switch: list[Var] = field(default_factory=list)  # player -> z
    class_drop: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    class_product: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    class_price: np.ndarray = field(default_factory=lambda: np.zeros(0))
    class_player: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    class_demand: np.ndarray = field(default_factory=lambda: np.zeros(0))
    class_of_row: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    row_member: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    row_product: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    local_cost_all: float = 0.0  # cost if every class bought locally
    start_brackets: list[Var] = field(default_factory=list)  # u = 1 in the heuristic start

    @property
    def n_variables(self) -> int:
        return len(self.problem.variables())


def _expr(terms: list[tuple[Var, float]]) -> pulp.LpAffineExpression:
    return pulp.LpAffineExpression(terms)


MAX_COMBINATIONS = 100_000  # bracket choices per product enumerated for the envelope cut
Offer: TypeAlias = list[tuple[float, float, float, float]]  # usable brackets (L, U, c, k)


def goods_envelope(offers: list[Offer], total: float) -> list[tuple[float, float]]:
    """Affine lower bounds ``alpha + beta Q`` on the goods cost of ``Q <= total`` units.

    ``offers`` holds, per supplier of one product, its usable brackets ``(L, U, c, k)``
    (an order of ``q`` in ``[L, U]`` costs ``c q + k``). The cheapest way to buy ``Q`` units,
    ``F(Q)``, is the minimum over one bracket (or none) per supplier of a convex piecewise
    linear curve: the lower bounds ``L`` of the chosen brackets, then the rest filled at the
    cheapest prices first. The lower convex hull of all these curves' corners with
    ``Q <= total`` is the convex envelope of ``F`` on ``[0, total]``; its edges are returned.
    Unlike the sum of the offers' own envelopes (what the bracket formulation's LP gives),
    it knows that the offers share at most ``total`` units, and it equals ``F(total)`` at
    ``Q = total`` (up to the safety margin below).

    Valid whatever the rounding: corners whose quantities agree within ``1e-9 * total`` (the
    same quantity reached through sums that round differently) count at the cheapest of
    their costs and the smallest of their quantities; each edge is then checked against
    every corner, lowered by its largest excess, and relaxed by a margin of ``1e-9`` of the
    costs involved, far above the rounding of the sums. A cut may be weaker than ``F``,
    never above it: each curve is linear between its corners, so a line below all corners
    is below every order.
    """
    if not offers or total <= 0 or math.prod(len(o) + 1 for o in offers) > MAX_COMBINATIONS:
        return []  # too many bracket choices to enumerate: no cut (still a valid model)
    qs, cs = _curve_corners(offers, total)
    order = np.lexsort((cs, qs))
    qs, cs = qs[order], cs[order]
    # clusters of one quantity: a new cluster where the gap to the previous corner is wide
    starts = np.flatnonzero(np.r_[True, np.diff(qs) > 1e-9 * max(1.0, total)])
    low_q = qs[starts]
    width = np.maximum.reduceat(qs, starts) - low_q
    cheapest = np.minimum.reduceat(cs, starts)
    hull: list[tuple[float, float]] = []
    for q, c in zip(low_q.tolist(), cheapest.tolist(), strict=True):
        while len(hull) >= 2:
            (q1, c1), (q2, c2) = hull[-2], hull[-1]
            if (c2 - c1) * (q - q1) >= (c - c1) * (q2 - q1):  # hull[-1] is not below the chord
                hull.pop()
            else:
                break
        hull.append((q, c))
    scale = 1.0 + float(np.max(np.abs(cs)))
    edges = []
    for (q1, c1), (q2, c2) in itertools.pairwise(hull):
        beta = (c2 - c1) / (q2 - q1)
        alpha = c1 - beta * q1
        # the largest excess over a corner (a corner may sit up to `width` right of low_q)
        excess = float(np.max(alpha + beta * low_q + abs(beta) * width - cheapest))
        margin = 1e-9 * (scale + abs(beta) * total)
        edges.append((alpha - max(excess, 0.0) - margin, beta))
    return edges


def _curve_corners(offers: list[Offer], total: float) -> tuple[np.ndarray, np.ndarray]:
    """Quantities and costs of every bracket choice's curve corners with ``Q <= total``.

    Where a curve passes ``total``, its point at ``total`` stands for the corners beyond;
    the origin (no order) is one corner.
    """
    options = [[(0.0, 0.0, 0.0, 0.0), *offer] for offer in offers]
    table = np.array(list(itertools.product(*options)))  # (combos, suppliers, 4)
    low, high, price, fixed = (table[:, :, i] for i in range(4))
    start_q = low.sum(axis=1)
    keep = start_q <= total + 1e-9
    low, high, price, fixed, start_q = (
        low[keep],
        high[keep],
        price[keep],
        fixed[keep],
        start_q[keep],
    )
    start_cost = (price * low + fixed).sum(axis=1)
    order = np.argsort(price, axis=1)
    room = np.take_along_axis(high - low, order, axis=1)
    step_cost = room * np.take_along_axis(price, order, axis=1)
    corner_q = start_q[:, None] + np.cumsum(np.c_[np.zeros(len(room)), room], axis=1)
    corner_cost = start_cost[:, None] + np.cumsum(np.c_[np.zeros(len(room)), step_cost], axis=1)
    unit = np.take_along_axis(price, order, axis=1)
    over = corner_q[:, 1:] > total
    cross = over & (corner_q[:, :-1] <= total)
    rows, cols = np.nonzero(cross)
    cut_cost = corner_cost[rows, cols] + (total - corner_q[rows, cols]) * unit[rows, cols]
    inside = corner_q <= total + 1e-9
    qs = np.r_[corner_q[inside], np.full(len(rows), total), 0.0]
    cs = np.r_[corner_cost[inside], cut_cost, 0.0]
    return np.asarray(qs, dtype=float), np.asarray(cs, dtype=float)


def best_brackets(offers: list[Offer], total: float, *, local_price: float) -> list[int]:
    """The bracket of each offer (-1: none) that buys ``total`` units of a product cheapest.

    The same enumeration as :func:`goods_envelope`, at ``Q = total``; units the chosen
    brackets cannot hold cost ``local_price``. A heuristic start: trucks are ignored.
    """
    if not offers or math.prod(len(o) + 1 for o in offers) > MAX_COMBINATIONS:
        return [-1] * len(offers)
    options = [[(0.0, 0.0, 0.0, 0.0), *offer] for offer in offers]
    table = np.array(list(itertools.product(*options)))  # (combos, suppliers, 4)
    picks = np.array(list(itertools.product(*(range(-1, len(o)) for o in offers))))
    low, high, price, fixed = (table[:, :, i] for i in range(4))
    rest = total - low.sum(axis=1)
    cost = (price * low + fixed).sum(axis=1)
    order = np.argsort(price, axis=1)
    for j in range(len(offers)):  # fill the rest at the cheapest prices first
        col = order[:, j : j + 1]
        room = np.take_along_axis(high - low, col, axis=1)[:, 0]
        take = np.clip(np.minimum(rest, room), 0.0, None)
        cost += take * np.take_along_axis(price, col, axis=1)[:, 0]
        rest -= take
    cost = np.where(rest < -1e-9, np.inf, cost + np.clip(rest, 0.0, None) * local_price)
    return [int(b) for b in picks[int(np.argmin(cost))]]


def bracket_bounds(
    data: ProcurementData, s: int, p: int, total: float
) -> list[tuple[int, float, float, float, float]]:
    """Usable brackets of offer ``(s, p)`` for at most ``total`` units.

    Returns ``(b, L, U, c, k)``: quantity range ``[L, U]`` of bracket ``b``, unit price
    ``c`` and the fixed term ``k`` (0 for all-units; for incremental discounts the cost of
    the first ``t[b]`` units minus ``c * t[b]``, so that cost = ``c q + k``).
    """
    t = data.thresholds[s, p]
    c = data.unit_price[s, p]
    count = int(np.sum(~np.isnan(t)))
    cap = float(data.capacity[s, p])
    low = float(data.min_order[s, p])
    usable = []
    before = 0.0  # cost of the first t[b] units in an incremental offer
    for b in range(count):
        upper_t = float(t[b + 1]) if b + 1 < count else math.inf
        lo = max(float(t[b]), low)
        hi = min(upper_t, cap, total)
        k = before - float(c[b]) * float(t[b]) if data.incremental[s, p] else 0.0
        if lo <= hi + 1e-9 and hi > 0:
            usable.append((b, lo, max(hi, lo), float(c[b]), k))
        if b + 1 < count:
            before += float(c[b]) * (upper_t - float(t[b]))
    return usable


def build_model(
    data: ProcurementData,
    *,
    active: np.ndarray | None = None,
    players: np.ndarray | None = None,
    shares: np.ndarray | None = None,
    name: str = "procurement",
    envelope_cuts: bool = True,
) -> BuiltModel:
    """Build the MILP for the ``active`` members, or the switched model for ``players``.

    ``envelope_cuts=False`` leaves out the per-product envelope cuts (valid inequalities:
    the same optimum, a weaker LP relaxation), for comparing against the plain formulation.

    one formulation, written as maths: the rows of :mod:`optimizer.models.procurement.solve`'s
    docstring, one block per constraint family.
    """
    switched = players is not None
    if active is None:
        active = np.ones(data.n_members, dtype=bool)
    player = np.zeros(data.n_members, np.int64) if players is None else np.asarray(players)
    rows_m, rows_p = np.nonzero((data.demand > 0) & active[:, None])
    row_drop = data.drop_point[rows_m]
    row_price = data.local_price[rows_m, rows_p]
    keys = np.stack(
        [row_drop.astype(float), rows_p.astype(float), row_price, player[rows_m].astype(float)],
        axis=1,
    )
    if len(keys):
        unique, inverse = np.unique(keys, axis=0, return_inverse=True)
        inverse = inverse.ravel()
    else:
        unique, inverse = np.zeros((0, 4)), np.zeros(0, np.int64)
    n_classes = len(unique)
    class_demand = np.bincount(inverse, weights=data.demand[rows_m, rows_p], minlength=n_classes)
    built = BuiltModel(
        problem=pulp.LpProblem(name, pulp.LpMinimize),
        class_drop=unique[:, 0].astype(np.int64),
        class_product=unique[:, 1].astype(np.int64),
        class_price=unique[:, 2],
        class_player=unique[:, 3].astype(np.int64),
        class_demand=class_demand,
        class_of_row=inverse,
        row_member=rows_m,
        row_product=rows_p,
        local_cost_all=float(np.dot(unique[:, 2], class_demand)) if n_classes else 0.0,
    )
    problem = built.problem
    objective: list[tuple[Var, float]] = []
    n_p, n_d = data.n_products, data.n_drop_points
    drop_demand = np.zeros((n_d, n_p))
    np.add.at(drop_demand, (built.class_drop, built.class_product), class_demand)
    total_demand = drop_demand.sum(axis=0)

    if switched:
        n_players = int(player.max()) + 1 if len(player) else 0
        share = np.zeros(n_players) if shares is None else np.asarray(shares, float)
        built.switch = [problem.add_variable(f"z_{g}", cat=pulp.LpBinary) for g in range(n_players)]
        switch_cost = -share.copy()
        np.add.at(switch_cost, built.class_player, built.class_price * class_demand)
        objective += [(z, float(v)) for z, v in zip(built.switch, switch_cost, strict=True)]

    ship_at: dict[tuple[int, int], list[Var]] = {}  # (d, p) -> x
    load: dict[tuple[int, int], list[tuple[Var, float]]] = {}  # (s, d) -> weight terms
    trip_cost = data.trip_cost
    reachable = np.isfinite(trip_cost)
    constraints: list[pulp.LpConstraint] = []
    offers_of: dict[int, list[Offer]] = {}  # p -> usable brackets of each built offer
    goods_of: dict[int, list[tuple[Var, float]]] = {}  # p -> goods cost terms
    amount_of: dict[int, list[Var]] = {}  # p -> q
    switches_of: dict[int, list[list[Var]]] = {}  # p -> u of each built offer
    for s_, p_ in zip(*np.nonzero(data.offered), strict=True):
        s, p = int(s_), int(p_)
        usable = bracket_bounds(data, s, p, float(total_demand[p]))
        drops = [int(d) for d in np.nonzero(drop_demand[:, p] > 0)[0] if reachable[s, d]]
        if not usable or not drops:
            continue
        cap = float(data.capacity[s, p])
        flow: list[tuple[Var, float]] = []
        for d in drops:
            x = problem.add_variable(f"x_{s}_{p}_{d}", 0, min(cap, float(drop_demand[d, p])))
            built.ship.append((s, p, d, x))
            ship_at.setdefault((d, p), []).append(x)
            load.setdefault((s, d), []).append((x, float(data.weight_kg[p])))
            flow.append((x, 1.0))
        choose: list[tuple[Var, float]] = []
        switches_of.setdefault(p, []).append([])
        for b, lo, hi, price, fixed in usable:
            q = problem.add_variable(f"q_{s}_{p}_{b}", 0, hi)
            u = problem.add_variable(f"u_{s}_{p}_{b}", cat=pulp.LpBinary)
            built.brackets.append((s, p, b, q, u))
            objective.append((q, price))
            if fixed:
                objective.append((u, fixed))
            constraints.append(_expr([(q, 1.0), (u, -hi)]) <= 0)
            if lo > 0:
                constraints.append(_expr([(q, 1.0), (u, -lo)]) >= 0)
            choose.append((u, 1.0))
            switches_of[p][-1].append(u)
            flow.append((q, -1.0))
            goods_of.setdefault(p, []).append((q, price))
            if fixed:
                goods_of[p].append((u, fixed))
            amount_of.setdefault(p, []).append(q)
        offers_of.setdefault(p, []).append(
            [(lo, hi, price, fixed) for _, lo, hi, price, fixed in usable]
        )
        if len(choose) > 1:
            constraints.append(_expr(choose) <= 1)
        constraints.append(_expr(flow) == 0)

    # the offers of one product share its demand: cut the LP's cost up to F's envelope
    for p, offers in offers_of.items():
        mean_local = float(
            np.average(built.class_price, weights=(built.class_product == p) * class_demand)
        )
        picks = best_brackets(offers, float(total_demand[p]), local_price=mean_local)
        for us, b in zip(switches_of[p], picks, strict=True):
            if b >= 0:
                built.start_brackets.append(us[b])
        if len(offers) < 2 or not envelope_cuts:
            continue
        for alpha, beta in goods_envelope(offers, float(total_demand[p])):
            coef = dict(goods_of[p])
            for q in amount_of[p]:
                coef[q] -= beta
            constraints.append(_expr(list(coef.items())) >= alpha)

    for (s, d), terms in load.items():
        payload = float(data.payload_kg[s])
        most = sum(float(v.upBound) * w for v, w in terms)
        n = problem.add_variable(f"n_{s}_{d}", 0, math.ceil(most / payload - 1e-9), pulp.LpInteger)
        built.trucks.append((s, d, n))
        objective.append((n, float(trip_cost[s, d])))
        constraints.append(_expr([*terms, (n, -payload)]) <= 0)

    # pooled units reach their members: y[c] pooled in the switched model; in the fixed model
    # the local quantity v[c] = D[c] - y[c] is the variable, so no constant enters the objective
    members_at: dict[tuple[int, int], list[tuple[Var, float]]] = {}
    for c in range(n_classes):
        d, p = int(built.class_drop[c]), int(built.class_product[c])
        demand_c, price_c = float(class_demand[c]), float(built.class_price[c])
        if (d, p) not in ship_at:
            built.offset += 0.0 if switched else price_c * demand_c
            continue
        if switched:
            y = problem.add_variable(f"y_{c}", 0, demand_c)
            built.pooled[c] = y
            objective.append((y, -price_c))
            z = built.switch[int(built.class_player[c])]
            constraints.append(_expr([(y, 1.0), (z, -demand_c)]) <= 0)
            members_at.setdefault((d, p), []).append((y, -1.0))
        else:
            v = problem.add_variable(f"v_{c}", 0, demand_c)
            built.local[c] = v
            objective.append((v, price_c))
            members_at.setdefault((d, p), []).append((v, 1.0))
    for (d, p), xs in ship_at.items():
        rhs = 0.0 if switched else float(drop_demand[d, p])
        constraints.append(_expr([(x, 1.0) for x in xs] + members_at.get((d, p), [])) == rhs)

    problem.setObjective(_expr(objective))
    for i, constraint in enumerate(constraints):
        problem.addConstraint(constraint, f"c{i}")
    return built
