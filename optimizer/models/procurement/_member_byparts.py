r"""The member least core of a game of independent parts: each part alone, then the transfer.

When the members fall into independent parts (:mod:`~optimizer.models.procurement._member_parts`)
every coalition's gain is the sum of its parts' gains, so the least-core epsilon is

    eps* = min over splits x of  sum_k max(0, max_{0 != S <= N_k} x(S) - C(S))

(``S`` may be all of ``N_k``: a part may pay more than its cost and another less). That is an
LP with one bound ``theta[k] >= 0`` per part and, for coalitions ``S`` of part ``k`` only,
rows ``x(S) - c(S) <= theta[k]``, ``c(S)`` the cost of a plan found for ``S``: a relaxation, so
its value is a lower bound on ``eps*`` as valid as the plain least-core LP's, and it needs no
row mixing the parts' groups. On the default scenario, with the rows of a 25 s search, it gave
128.64 EUR where the plain LP gave 125.80: the rows the plain LP lacks are the unions of a
group of the 51 dairy farms with a group of the 97 others.

So each part's least core is searched on its own (phase one and constraint generation, side
by side), the part's own plan's cost as its bill. Their splits side by side are a split of the
whole whose largest gain is at most the sum of the parts' bounds; their rows, joined in the LP
above, give the lower bound. The least core may move money between the parts (each euro moved
changes a part's epsilon by the weighted share of its members in its binding groups: on the
default scenario 0.947 for the farms, 0.889 for the others), so with time enough
(:data:`TRANSFER_FROM_S`) the parts are searched again at the bills the LP gives them, each
from its split moved by the difference (whose bound needs no MILP) with the rows it found, and
the better answer is kept.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix

from optimizer.models.procurement._member_hubs import HubPhase
from optimizer.models.procurement._member_lp import run_warm
from optimizer.models.procurement._member_parts import Separation, by_parts, in_parallel
from optimizer.models.procurement._member_plans import Patterns, plan_arrays
from optimizer.models.procurement._member_rounds import Rounds
from optimizer.models.procurement.data import ProcurementData
from optimizer.models.procurement.solve import solve_procurement
from optimizer.results import Status

__all__ = ["by_parts_search"]

END_S = 2.5  # seconds kept for the LP joining the parts (0.9 s on the default scenario)
TRANSFER_FROM_S = 40.0  # seconds from which the parts are searched again at the LP's transfer
FIRST_SHARE = 0.5  # share of those seconds the first search (at the parts' own costs) takes
# one part's search: (part's data, patterns, bill, alone, reference, seconds, tolerance,
# rows and a bounded split to start from instead of phase one)
SearchOne = Callable[
    [ProcurementData, Patterns, float, np.ndarray, np.ndarray, float, float, HubPhase | None],
    Rounds,
]


@dataclass
class _Part:
    """One part: its members (indices into the whole), data, patterns, bill, plan cost."""

    members: np.ndarray
    data: ProcurementData
    patterns: Patterns
    bill: float
    cost: float  # the part's own plan (an upper bound on what the part costs on its own)
    floor: float  # what the part costs at least (the solver's bound)
    rounds: Rounds | None = None
    begin: HubPhase | None = None  # the search's start at a moved bill (rows, bounded split)


def by_parts_search(
    data: ProcurementData,
    part: np.ndarray,
    patterns: Patterns,
    *,
    total: float,
    alone: np.ndarray,
    reference: np.ndarray,
    search: dict[str, float],
    deadline: float,
    search_one: SearchOne,
) -> Rounds | None:
    """The least core of a game of independent parts (``part``: each member's part).

    ``patterns`` holds the plans met (the answer's check adds to them); ``search`` the time
    limit, gap and tolerance; ``search_one`` searches one part's least core. ``None`` when
    some part's own plan was not found (then the whole game is searched at once). With
    :data:`TRANSFER_FROM_S` seconds or more, the parts are searched twice: at their own
    costs, then at the bills the joint LP moves them to, and the better answer is taken.
    """
    try:
        parts = _parts(data, part, total, search, deadline)
    except _NoPlan:
        return None
    left = max(1.0, deadline - END_S - time.perf_counter())
    twice = left >= TRANSFER_FROM_S
    _search_parts(
        parts, left * FIRST_SHARE if twice else left, alone, reference, search, search_one
    )
    joined = _Joined.of(parts, alone, total, data.n_members)
    runs = [p.rounds for p in parts if p.rounds is not None]
    if twice and joined.upper > joined.lower + search["tol"]:
        moved = _moved(parts, joined.sums, alone)
        left = max(1.0, deadline - END_S - time.perf_counter())
        _search_parts(moved, left, alone, reference, search, search_one)
        again = _Joined.of(moved, alone, total, data.n_members)
        runs += [p.rounds for p in moved if p.rounds is not None]
        lower = max(joined.lower, again.lower)  # both are valid bounds
        if again.upper < joined.upper:
            parts, joined = moved, again
        joined = dataclasses.replace(joined, lower=lower)
    return _rounds(data, part, patterns, parts, joined, runs, search["tol"])


def _search_parts(
    parts: list[_Part],
    left: float,
    alone: np.ndarray,
    reference: np.ndarray,
    search: dict[str, float],
    search_one: SearchOne,
) -> None:
    """Each part's least core searched in ``left`` seconds, side by side, the largest first
    (a small part ends early and leaves its core to the rest)."""
    total = sum(p.bill for p in parts)

    def run(p: _Part) -> Rounds:
        tol = search["tol"] * abs(p.bill / total) if total > 0 else search["tol"]
        members = p.members
        return search_one(
            p.data, p.patterns, p.bill, alone[members], reference[members], left, tol, p.begin
        )

    searched = sorted((p for p in parts if len(p.members) > 1), key=lambda q: -len(q.members))
    for p, rounds in zip(searched, in_parallel(run, searched), strict=True):
        p.rounds = rounds


@dataclass(frozen=True)
class _Joined:
    """The parts' splits side by side: the split, each part's last MILP (in the whole game's
    numbering), the joint LP's bound and each part's sum there, the sum of the parts' bounds,
    and whether every part's split is its closest point."""

    x: np.ndarray
    own: list[Separation]
    lower: float
    sums: np.ndarray
    upper: float
    closest: bool

    @classmethod
    def of(cls, parts: list[_Part], alone: np.ndarray, total: float, n: int) -> _Joined:
        x = np.zeros(n)
        for p in parts:
            x[p.members] = p.rounds.shares if p.rounds is not None else p.bill
        own = [_own(p, n) for p in parts]
        lower, sums = _joint_bound(parts, alone, total)
        closest = all(p.rounds is None or p.rounds.closest for p in parts)
        return cls(x, own, lower, sums, _upper(own, parts, x), closest)


def _moved(parts: list[_Part], sums: np.ndarray, alone: np.ndarray) -> list[_Part]:
    """The parts at the bills the joint LP gives them, each search to start from its split
    moved by the difference (in proportion to what its members pay alone) with the rows it
    found. The moved split's bound needs no MILP: a group's gain grows by its share of the
    money added, at most all of it, and never grows when money is taken away."""
    out = []
    for p, bill in zip(parts, sums.tolist(), strict=True):
        begin = None
        if p.rounds is not None:
            move = bill - p.bill
            weight = alone[p.members]
            if not (np.all(weight >= 0) and weight.sum() > 0):
                weight = np.ones(len(p.members))
            x = p.rounds.shares + move * weight / weight.sum()
            bound = p.rounds.upper + max(move, 0.0)
            start = Separation(Status.OPTIMAL, frozenset(), -math.inf, bound, 0.0, {})
            begin = HubPhase(rows=dict(p.rounds.known), best=(x, start))
        out.append(dataclasses.replace(p, bill=bill, rounds=None, begin=begin))
    return out


def _parts(
    data: ProcurementData,
    part: np.ndarray,
    total: float,
    search: dict[str, float],
    deadline: float,
) -> list[_Part]:
    """Each part's data, its own plan (seeding its patterns; its cost is the part's bill,
    scaled so that the bills add up to ``total``) and what the part costs at least; each
    plan within the search's time."""
    out = []
    for j in range(int(part.max()) + 1):
        members = np.flatnonzero(part == j)
        sub = data.members_only(members)
        left = max(1.0, min(search["time_limit"], deadline - time.perf_counter()))
        plan = solve_procurement(sub, standalone=False, time_limit=left, gap=search["gap"])
        own = Patterns(sub)
        cost, floor = math.inf, -math.inf
        if plan.status.has_solution and len(plan.members_served) == len(members):
            own.add_plan(*plan_arrays(sub, plan), np.ones(len(members), bool))
            cost = plan.pooled_cost
            if math.isfinite(plan.bound):  # the solver's bound: what no plan costs less than
                floor = cost - max(0.0, plan.objective - plan.bound)
        out.append(_Part(members, sub, own, cost, cost, floor))
    costs = np.array([p.cost for p in out])
    if np.all(np.isfinite(costs)) and costs.sum() > 0:
        for p in out:
            p.bill = p.cost * total / costs.sum()
    else:
        raise _NoPlan()
    return out


class _NoPlan(Exception):
    """A part's own plan was not found: the search by parts cannot start."""


def _own(p: _Part, n: int) -> Separation:
    """The part's own search's last MILP, in the whole game's numbering (the whole part
    counted too: it gains its bill less its cost)."""
    full = p.bill - p.floor
    everyone = frozenset(p.members.tolist())
    if p.rounds is None:
        return Separation(Status.OPTIMAL, everyone, full, full, 0.0, {everyone: p.cost})
    last = p.rounds.last

    def named(c: frozenset[int]) -> frozenset[int]:
        return frozenset(p.members[sorted(c)].tolist())

    found = {named(c): cost for c, cost in last.found.items()}
    found[everyone] = p.cost
    coalition, gain = named(last.coalition), last.gain
    tight = p.rounds.tightest
    if not last.coalition and tight in p.rounds.known:  # none beat the cutoff: the row
        coalition = named(tight)  # gaining most stands for the part's group
        found[coalition] = p.rounds.known[tight]
        gain = float(p.rounds.shares[sorted(tight)].sum()) - p.rounds.known[tight]
    if full > gain:
        coalition, gain = everyone, full
    return Separation(
        last.status, coalition, gain, max(last.gain_bound, full), last.runtime_s, found
    )


def _upper(seps: list[Separation], parts: list[_Part], x: np.ndarray) -> float:
    """The largest gain of any group under ``x``: the parts' bounds added up (a part's
    whole group counted as what it pays above its cost)."""
    total = 0.0
    for s, p in zip(seps, parts, strict=True):
        if not s.status.has_solution:
            return math.inf
        total += max(0.0, s.gain_bound, float(x[p.members].sum()) - p.floor)
    return total


def _joint_bound(parts: list[_Part], alone: np.ndarray, total: float) -> tuple[float, np.ndarray]:
    """The LP's least sum of the parts' bounds (one bound per part, every row the parts'
    searches found, each member alone and each part whole) and each part's sum there.

    Written with each part's sum ``X[k] = x(N_k)`` as a column, so that a row of most of a
    part reads ``X[k] - x(the rest)``: a few entries a row (75,000 rows: under a second).
    """
    import highspy

    from optimizer.solver import _quiet_highs

    n, k = len(alone), len(parts)
    scale = max(1.0, abs(total) / max(n, 1))
    blocks: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    upper: list[np.ndarray] = []
    for j, p in enumerate(parts):
        known = {frozenset([i]): float(alone[m]) for i, m in enumerate(p.members)}
        known[frozenset(range(len(p.members)))] = p.cost
        for c, cost in p.rounds.known.items() if p.rounds is not None else ():
            known[c] = min(cost, known.get(c, math.inf))
        costs = np.fromiter(known.values(), float, len(known))
        inside = np.zeros((len(known), len(p.members)), bool)
        for r, coalition in enumerate(known):
            inside[r, list(coalition)] = True
        inside, costs = inside[np.isfinite(costs)], costs[np.isfinite(costs)]
        big = inside.sum(axis=1) * 2 > len(p.members)  # X[k] - x(part - S) - theta[k] <= c(S)
        rows, cols = np.nonzero(np.where(big[:, None], ~inside, inside))
        first = int(sum(len(u) for u in upper))
        entries = [
            (rows, p.members[cols], np.where(big[rows], -1.0, 1.0)),
            (np.arange(len(costs)), np.full(len(costs), n + j), np.full(len(costs), -1.0)),
            (np.flatnonzero(big), np.full(int(big.sum()), n + k + j), np.ones(int(big.sum()))),
        ]
        blocks += [(at + first, col, val) for at, col, val in entries]
        upper.append(costs / scale)
    at, col, val = (np.concatenate(a) for a in zip(*blocks, strict=True))
    size = int(sum(len(u) for u in upper))
    matrix = coo_matrix((val, (at, col)), shape=(size, n + 2 * k)).tocsr()
    lp = _quiet_highs()
    lp.setOptionValue("solver", "simplex")
    inf = highspy.kHighsInf
    lower = np.r_[np.full(n, -inf), np.zeros(k), np.full(k, -inf)]
    lp.addVars(n + 2 * k, lower, np.full(n + 2 * k, inf))
    lp.changeColsCost(k, np.arange(n, n + k, dtype=np.int32), np.ones(k))
    lp.addRow(total / scale, total / scale, n, np.arange(n, dtype=np.int32), np.ones(n))
    for j, p in enumerate(parts):  # X[k] = x(N_k)
        cols = np.r_[n + k + j, p.members].astype(np.int32)
        lp.addRow(0.0, 0.0, len(cols), cols, np.r_[-1.0, np.ones(len(p.members))])
    bounds = np.concatenate(upper)
    lp.addRows(
        len(bounds),
        np.full(len(bounds), -inf),
        bounds,
        matrix.nnz,
        matrix.indptr[:-1].astype(np.int32),
        matrix.indices.astype(np.int32),
        matrix.data,
    )
    col = run_warm(lp, "least-core LP by parts")
    return float(col[n : n + k].sum()) * scale, col[n + k : n + 2 * k] * scale


def _rounds(
    data: ProcurementData,
    part: np.ndarray,
    patterns: Patterns,
    parts: list[_Part],
    joined: _Joined,
    runs: list[Rounds],
    tol: float,
) -> Rounds:
    """The answer in the shape of one search's: the parts' splits, the joint LP's bound, the
    parts' MILPs as one (the independent check names the group they found); rounds, MILPs
    and seconds of every search (``runs``)."""
    x, seps = joined.x, joined.own
    last = by_parts(data, x, patterns, part, lambda out: seps[int(part[~out][0])])
    last = dataclasses.replace(last, gain_bound=joined.upper)
    spent: dict[str, float] = {}
    for r in runs:
        for key, seconds in r.spent.items():
            spent[key] = spent.get(key, 0.0) + seconds
    return Rounds(
        x,
        joined.lower,
        joined.upper,
        sum(r.rounds for r in runs),
        sum(r.separations for r in runs),
        sum(len(p.rounds.known) for p in parts if p.rounds is not None),
        last,
        tuple(u for r in runs for u in r.unproven),
        spent,
        last.coalition,
        joined.closest,
        joined.upper > joined.lower + tol,
        last.found,
    )
