r"""The core-check MILP split at the plan's brackets: hubs apart inside, the MILP outside.

Why: on the default scenario the core-check MILP of the 97 grain and vegetable members
crawls once the split is good (its bound 58.26 EUR after 60 s where the best group gains
44.40), although its hubs' own MILPs take hundredths of a second. What ties the hubs are
the brackets: wheat seed at S3's 50 t price holds only while the group keeps 50 t, crates at
6,000, and so on. With the brackets fixed, the prices are fixed and the hubs are apart but
for those lower bounds on their summed quantities; that is what this module exploits.

The *regime* of a plan is the bracket each of its offers reaches. Its *held* brackets are
those with a lower bound on the quantity (an all-units threshold, a minimum order, an
incremental segment's start). Every coalition's plan is either inside the regime (every
held bracket taken, no other bracket with a lower bound) or outside it:

* outside: the core-check MILP with one more row, ``sum of the held brackets' switches
  minus the other lower-bounded brackets' switches <= (number held) - 1``. Away from the
  plan's brackets the groups gain little, and this MILP ends fast (1.7 s above);
* inside: each hub's best gain at the regime's prices as a step function of its quantities
  of the held offers, found by the hub's small MILP with lower bounds on its quantities
  (its *frontier*: a solve at lower bounds ``r`` returning quantities ``q`` covers every
  group of the hub with quantities between ``r`` and ``q``; the rest start beyond ``q``
  in some offer), then a dynamic programme over the hubs for the best sum whose quantities
  reach every held lower bound. Offers enter the programme only when its best choice
  falls short of their lower bound (most never do).

Both halves bound every gain in their half, so the larger bounds every gain. Left out of
the inside half, each making its bound only larger: the upper ends of brackets (a larger
quantity only lowers an all-units price; an incremental segment's line lies above the cost
beyond it), the offers' capacities, the coalition being proper, and a quantity a hub may
add beyond a solved frontier point by up to :data:`STEP` of a lower bound (so that groups
pooling a part of their demand do not make the frontier crawl).

Measured on the default scenario's 97-member part at a split of its 90 s search: the whole
MILP 58.26 EUR after 60 s; split, the outside 42.54 proven in 1.7 s and the inside 44.40
proven with 118 hub MILPs (the best group: 44.40).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
import pulp

from optimizer.models.procurement._member_parts import Separation, in_parallel
from optimizer.models.procurement.core import core_check_model
from optimizer.models.procurement.data import ProcurementData
from optimizer.models.procurement.model import BuiltModel, bracket_bounds
from optimizer.models.procurement.solve import solve_procurement
from optimizer.results import Status
from optimizer.solver import solve_milp

__all__ = ["Regime", "inside_bound", "outside_row", "regime_of", "split_at_regime"]

MIN_LEFT_S = 1.0  # seconds a MILP needs at least; with less left, the answer as it stands
WHOLE_FIRST_S = 2.0  # the whole MILP first, for this long: it ends fast at poor splits
STEP = 1e-3  # a frontier point's quantities are taken as up to this share of the bound more
MAX_HUB_SOLVES = 600  # hub MILPs per bound at most; beyond, no bound (the caller's MILP runs)
HUB_GAP = 1e-9  # the hubs' MILPs are small: solved to their optimum
# HiGHS' presolve costs these small MILPs more than it saves: the 97-member part's hardest
# frontier (49 of its hub MILPs) took 6.43 s with it and 3.16 s without (the whole MILPs:
# 3.02 s with, 3.53 without, so it stays on there)
HUB_HIGHS = {"presolve": "off"}
EXACT = 1e-6  # the group the programme names gains its bound within this share of the bill
QTOL = 1e-6  # quantities within this (relative to the bound) of a lower bound reach it


@dataclass(frozen=True)
class Regime:
    """A plan's brackets: ``held`` ``(s, p, b)`` with lower bounds ``lows`` on the offer's
    quantity and fixed terms summing to ``fixed``; ``price`` ``(S, P)`` the unit price of
    every offer usable inside (held brackets, and brackets without a lower bound)."""

    held: tuple[tuple[int, int, int], ...]
    lows: tuple[float, ...]
    fixed: float
    price: np.ndarray


def regime_of(data: ProcurementData, inside: np.ndarray, orders: pd.DataFrame) -> Regime:
    """The regime of a plan for the members ``inside`` (its ``orders`` table)."""
    sid = {s: i for i, s in enumerate(data.supplier_ids)}
    pid = {p: i for i, p in enumerate(data.product_ids)}
    reached = {
        (sid[str(s)], pid[str(p)]): int(b)
        for s, p, b in zip(orders["supplier"], orders["product"], orders["bracket"], strict=True)
    }
    total = np.asarray(data.demand)[inside].sum(axis=0)
    price = np.full(data.offered.shape, np.nan)
    held: list[tuple[int, int, int]] = []
    lows: list[float] = []
    fixed = 0.0
    for s_, p_ in zip(*np.nonzero(data.offered), strict=True):
        s, p = int(s_), int(p_)
        for b, lo, _hi, c, k in bracket_bounds(data, s, p, float(total[p])):
            if reached.get((s, p), b) != b:
                continue  # the plan reaches another bracket of this offer
            if lo > 0 and (s, p) in reached:
                held.append((s, p, b))
                lows.append(float(lo))
                fixed += k
                price[s, p] = c
            elif lo <= 0:
                price[s, p] = c  # no lower bound: the first segment, no fixed term
    return Regime(tuple(held), tuple(lows), fixed, price)


def outside_row(
    data: ProcurementData, built: BuiltModel, regime: Regime
) -> pulp.LpConstraint | None:
    """The row keeping the core-check MILP ``built`` outside ``regime`` (``None``: some held
    bracket is not in the model, so no plan is inside the regime)."""
    held = set(regime.held)
    total = np.asarray(data.demand).sum(axis=0)
    bounded = {
        (s, p, b)
        for s, p in {(s, p) for s, p, _, _, _ in built.brackets}
        for b, lo, _hi, _c, _k in bracket_bounds(data, s, p, float(total[p]))
        if lo > 0
    }
    ins = [u for s, p, b, _q, u in built.brackets if (s, p, b) in held]
    if len(ins) != len(held):
        return None
    others = [u for s, p, b, _q, u in built.brackets if (s, p, b) in bounded - held]
    return pulp.lpSum(ins) - pulp.lpSum(others) <= len(ins) - 1


class _NoBound(Exception):
    """A hub's MILP stopped without a bound."""


@dataclass
class _Point:
    gain: float  # every group of the hub this point covers gains at most this
    reach: np.ndarray  # and its quantities of the enforced held offers are at most these
    amounts: np.ndarray  # the solved group's quantities of every held offer
    members: np.ndarray  # the solved group (indices into the data's members)


@dataclass
class _Budget:
    deadline: float
    solves: int = 0

    def spend(self) -> float:
        """Seconds the next hub MILP may take (0: stop)."""
        self.solves += 1
        left = self.deadline - time.perf_counter()
        return left if self.solves <= MAX_HUB_SOLVES and left > 0.05 else 0.0


def inside_bound(
    data: ProcurementData,
    shares: np.ndarray,
    inside: np.ndarray,
    regime: Regime,
    *,
    above: float,
    deadline: float,
    pool: Callable[[Callable[[int], list[_Point] | None], list[int]], list[Any]] | None = None,
    step: float = STEP,
) -> tuple[float, np.ndarray | None] | None:
    """Bound the gain of every group of ``inside`` members whose plan is inside ``regime``.

    Returns ``(bound, group)``: ``group`` the members of the programme's best choice, a
    group inside the regime (its quantities reach every lower bound); ``None`` when the
    bound is at most ``above`` or when the group falls short of a lower bound by less than
    the frontier's ``step`` (then the bound may be loose). ``None`` when the hub MILPs ran
    out of time or count.
    """
    x = np.asarray(shares, float)
    lows = np.asarray(regime.lows, float)
    hubs = [int(h) for h in np.unique(np.asarray(data.drop_point)[inside])]
    budget = _Budget(deadline)
    dims: list[int] = []  # held brackets whose lower bounds the programme enforces
    run = pool or (lambda f, jobs: [f(j) for j in jobs])
    while True:
        fronts = run(
            lambda h: _frontier(
                data, x, inside & (data.drop_point == h), regime, dims, budget, step
            ),
            hubs,
        )
        if any(f is None for f in fronts):
            return None
        value, chosen = _programme(fronts, lows[dims])
        bound = value - regime.fixed
        if bound <= above:
            return bound, None
        amounts = sum((pt.amounts for pt in chosen), np.zeros(len(lows)))
        short = (lows - amounts) / lows
        members = np.concatenate([pt.members for pt in chosen])
        if not len(lows) or short.max() <= QTOL:
            return bound, members
        if short[dims].max(initial=-np.inf) > QTOL:
            return bound, None  # short within the steps taken: a smaller step may tell
        short[dims] = -np.inf
        dims.append(int(np.argmax(short)))


def _frontier(
    data: ProcurementData,
    x: np.ndarray,
    keep: np.ndarray,
    regime: Regime,
    dims: list[int],
    budget: _Budget,
    share: float,
) -> list[_Point] | None:
    """Points covering every group of the members ``keep`` (one hub) inside ``regime``.

    A solve at lower bounds ``r`` on the enforced offers' quantities finds the best gain
    ``g`` with quantities ``q``: every group reaching ``r`` gains at most ``g`` (more
    quantity asked, less gain), so those not beyond ``q`` plus a step in any offer are
    covered; the others start beyond it.
    ``None`` when the budget ran out.
    """
    idx = np.flatnonzero(keep)
    sub = _hub_data(data, keep, regime.price)
    lows = np.asarray(regime.lows, float)[dims]
    top = np.array([float(np.asarray(data.demand)[keep, regime.held[i][1]].sum()) for i in dims])
    step = share * lows
    points: list[_Point] = []
    solved: list[tuple[np.ndarray, np.ndarray | None]] = []  # (r, q); q None: infeasible
    todo = [(np.zeros(len(dims)), np.ones(len(dims)))]  # lower bounds, their steps' sizes
    while todo:
        r, size = todo.pop()
        if np.any(r > top + QTOL * lows) or any(
            np.all(r0 <= r) and (q is None or np.all(q >= r)) for r0, q in solved
        ):
            continue
        left = budget.spend()
        if left <= 0:
            return None
        try:
            point = _solve_hub(sub, x[idx], idx, regime, dims, r, left)
        except _NoBound:
            return None
        if point is None:
            solved.append((r, None))
            continue
        q = point.amounts[dims]
        solved.append((r, q))
        # a group sitting at the bound (pooling part of a demand) would make the next start
        # crawl a step at a time: there each step is one longer than the last (a looser
        # cover, still a cover: asking more quantity never gains more)
        crawl = q < r + step
        size = np.where(crawl, size + 1, 1.0)
        start = np.maximum(q + step, r + size * step)
        point.reach = np.minimum(start, np.maximum(top, q))
        points.append(point)
        for k in range(len(dims)):
            child = r.copy()
            child[k] = start[k]
            todo.append((child, size))
    return points


def _hub_data(data: ProcurementData, keep: np.ndarray, price: np.ndarray) -> ProcurementData:
    """The members ``keep`` alone, every usable offer at one linear ``price``."""
    offered = np.asarray(data.offered) & np.isfinite(price)
    shape = offered.shape
    return dataclasses.replace(
        data.members_only(keep),
        offered=offered,
        thresholds=np.where(offered, 0.0, np.nan)[:, :, None],
        unit_price=np.where(offered, price, np.nan)[:, :, None],
        incremental=np.zeros(shape, bool),
        min_order=np.zeros(shape),
    )


def _solve_hub(
    sub: ProcurementData,
    x: np.ndarray,
    idx: np.ndarray,
    regime: Regime,
    dims: list[int],
    r: np.ndarray,
    time_limit: float,
) -> _Point | None:
    """The hub's core-check MILP with lower bounds ``r``: its point, ``None`` when no group
    reaches them; :class:`_NoBound` when the solver stopped without a bound."""
    built, total = core_check_model(sub, x, proper=False)
    ships = [[v for s, p, _d, v in built.ship if (s, p) == (hs, hp)] for hs, hp, _ in regime.held]
    for k, i in enumerate(dims):
        if r[k] > 0:
            if not ships[i]:
                return None
            built.problem += pulp.lpSum(ships[i]) >= float(r[k])
    report = solve_milp(built.problem, time_limit=time_limit, gap=HUB_GAP, highs_options=HUB_HIGHS)
    if report.status is Status.INFEASIBLE:
        return None
    if not report.status.has_solution or not math.isfinite(report.bound):
        raise _NoBound(report.status.value)
    amounts = np.array([sum(v.varValue or 0.0 for v in vs) for vs in ships])
    members = idx[[(z.varValue or 0.0) > 0.5 for z in built.switch]]
    return _Point(total - report.bound, np.zeros(len(dims)), amounts, members)


def _programme(fronts: list[list[_Point]], lows: np.ndarray) -> tuple[float, list[_Point]]:
    """One point per hub, the sum of reaches at least ``lows``, the gains' sum largest."""
    states: dict[tuple[float, ...], tuple[float, list[_Point]]] = {
        tuple(np.zeros(len(lows))): (0.0, [])
    }
    for points in fronts:
        following: dict[tuple[float, ...], tuple[float, list[_Point]]] = {}
        for key, (value, chosen) in states.items():
            for pt in points:
                reach = tuple(np.minimum(np.asarray(key) + pt.reach, lows).tolist())
                if value + pt.gain > following.get(reach, (-math.inf, []))[0]:
                    following[reach] = (value + pt.gain, [*chosen, pt])
        states = _undominated(following)
    enough = lows * (1 - QTOL)
    best = max(
        (v for k, v in states.items() if np.all(np.asarray(k) >= enough)),
        key=lambda v: v[0],
        default=(-math.inf, []),
    )
    return best


def _undominated(
    states: dict[tuple[float, ...], tuple[float, list[_Point]]],
) -> dict[tuple[float, ...], tuple[float, list[_Point]]]:
    """The states no other state beats in value and in every reach."""
    order = sorted(states, key=lambda k: -states[k][0])
    kept: list[tuple[float, ...]] = []
    for key in order:
        if not kept or not np.any(np.all(np.asarray(kept) >= np.asarray(key), axis=1)):
            kept.append(key)
    return {k: states[k] for k in kept}


def split_at_regime(
    data: ProcurementData,
    shares: np.ndarray,
    inside: np.ndarray,
    *,
    above: float,
    time_limit: float,
    milp: Callable[[float, float, Regime | None], Separation],
) -> Separation | None:
    """The core-check MILP's answer for the members ``inside``, split at their plan's regime
    when the whole MILP does not end within :data:`WHOLE_FIRST_S`.

    ``milp(cutoff, seconds, regime)`` solves the core-check MILP (outside ``regime`` unless
    ``None``). ``None`` when there is nothing to split (the members at one drop point, or
    too little time): the caller solves the whole MILP.
    """
    start = time.perf_counter()
    x = np.asarray(shares, float)
    if len(np.unique(np.asarray(data.drop_point)[inside])) < 2 or time_limit < 3 * WHOLE_FIRST_S:
        return None
    whole = Separation(Status.NO_SOLUTION, frozenset(), -math.inf, math.inf, 0.0)
    if WHOLE_FIRST_S > 0:
        whole = milp(above, WHOLE_FIRST_S, None)
    if whole.status is Status.OPTIMAL:
        return whole
    if not whole.status.has_solution:  # nothing met in its seconds
        whole = Separation(whole.status, frozenset(), -math.inf, math.inf, whole.runtime_s)
    again = partial(_again, milp, whole, x, above, start, time_limit)
    if _left(start, time_limit) < MIN_LEFT_S:
        return again()
    plan = solve_procurement(
        data,
        members=np.flatnonzero(inside).tolist(),
        standalone=False,
        time_limit=_left(start, time_limit),
    )
    if not plan.status.has_solution or _at_capacity(data, plan.orders):
        return again()  # capacities would tie the hubs too (the programme leaves them out)
    regime = regime_of(data, inside, plan.orders)
    cut = max(above, whole.gain)
    if _left(start, time_limit) < MIN_LEFT_S:
        return again()
    # the halves side by side: the inside's hub MILPs mostly wait for its largest hub
    with ThreadPoolExecutor(1) as pool:
        outside = pool.submit(milp, cut, _left(start, time_limit), regime)
        inner = _inner(data, x, inside, regime, cut, start + time_limit)
        out = outside.result()
    if out.status is Status.INFEASIBLE:  # no plan outside the regime: every group is inside
        out = Separation(Status.OPTIMAL, frozenset(), -math.inf, -math.inf, out.runtime_s)
    if inner is None or not out.status.has_solution:  # out of time, or loose: the whole MILP
        return again()
    found = {**whole.found, **out.found}
    if 0 < int(inside.sum()) < data.n_members:  # the part's own plan, a row to keep
        found[frozenset(np.flatnonzero(inside).tolist())] = float(plan.objective)
    best, gain = max(((whole.coalition, whole.gain), (out.coalition, out.gain)), key=lambda t: t[1])
    if inner[1] is not None:
        group = frozenset(inner[1].tolist())
        cost = _cost(data, group, max(_left(start, time_limit), MIN_LEFT_S))
        if cost is None or x[inner[1]].sum() - cost < inner[0] - EXACT * max(1.0, abs(x.sum())):
            return again()
        found[group] = min(cost, found.get(group, math.inf))
        if x[inner[1]].sum() - found[group] > gain:
            best, gain = group, float(x[inner[1]].sum() - found[group])
    bound = max(out.gain_bound, inner[0], cut)
    if gain <= above:  # none beat the cutoff: as the whole MILP says it (no coalition)
        best, gain = frozenset(), -math.inf
    status = out.status
    return Separation(status, best, gain, bound, time.perf_counter() - start, found)


def _left(start: float, time_limit: float) -> float:
    return time_limit - (time.perf_counter() - start)


def _again(
    milp: Callable[[float, float, Regime | None], Separation],
    whole: Separation,
    x: np.ndarray,
    above: float,
    start: float,
    time_limit: float,
) -> Separation:
    """The whole MILP in the time left (at least :data:`MIN_LEFT_S`, else the first
    attempt's answer as it stands), with what the first attempt met."""
    left = _left(start, time_limit)
    if left < MIN_LEFT_S:
        return _merge(whole, whole, x, above, whole.gain_bound, start)
    merged = milp(above, left, None)
    return _merge(merged, whole, x, above, merged.gain_bound, start)


def _inner(
    data: ProcurementData,
    x: np.ndarray,
    inside: np.ndarray,
    regime: Regime,
    cut: float,
    deadline: float,
) -> tuple[float, np.ndarray | None] | None:
    """The inside half's bound and group; a smaller step when the first leaves it loose;
    ``None`` when out of time or still loose."""
    for step in (STEP, STEP / 100):
        inner = inside_bound(
            data, x, inside, regime, above=cut, deadline=deadline, pool=in_parallel, step=step
        )
        if inner is None or inner[0] <= cut or inner[1] is not None:
            return inner
    return None


def _merge(
    sep: Separation, other: Separation, x: np.ndarray, above: float, bound: float, start: float
) -> Separation:
    """``sep`` with the plans ``other`` met and the better coalition of the two."""
    found = {**other.found, **sep.found}
    best, gain = max(((sep.coalition, sep.gain), (other.coalition, other.gain)), key=lambda t: t[1])
    if gain <= above:
        best, gain = frozenset(), -math.inf
    return Separation(sep.status, best, gain, bound, time.perf_counter() - start, found)


def _cost(data: ProcurementData, group: frozenset[int], time_limit: float) -> float | None:
    """What the members ``group`` pay on their own (proven), ``None`` for everyone or if
    not proven."""
    if not 0 < len(group) < data.n_members:
        return None
    plan = solve_procurement(
        data, members=sorted(group), standalone=False, time_limit=time_limit, gap=HUB_GAP
    )
    return float(plan.objective) if plan.status is Status.OPTIMAL else None


def _at_capacity(data: ProcurementData, orders: pd.DataFrame) -> bool:
    """Whether the plan buys some offer up to its capacity."""
    sid = {s: i for i, s in enumerate(data.supplier_ids)}
    pid = {p: i for i, p in enumerate(data.product_ids)}
    cap = np.asarray(data.capacity)
    return any(
        q >= cap[sid[str(s)], pid[str(p)]] * (1 - QTOL)
        for s, p, q in zip(orders["supplier"], orders["product"], orders["quantity"], strict=True)
    )
