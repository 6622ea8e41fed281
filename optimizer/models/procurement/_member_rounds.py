r"""Constraint generation for the member-level least core, with a proven end and a budget.

The LP (:class:`~optimizer.models.procurement._member_lp.LeastCoreLP`, one HiGHS model kept
warm between rounds) holds a row ``x(S) <= c(S) + eps`` per coalition found, ``c(S)`` the
cost of a plan found for ``S``: an upper bound on ``C(S)``, so the LP is a relaxation and its
``eps`` a lower bound ``L`` on the least-core epsilon ``eps*`` (why an upper bound and not a
lower one: see that module). The core-check MILP at a split ``x`` bounds every coalition's
gain by ``U``, so ``L <= eps* <= U``; the search ends when ``U <= L + tol``, or when its time
is up, and then returns its last split with ``L`` and ``U`` as they stand (never called
exact: ``Rounds.out_of_time``).

Each round solves the LP (``min eps``), then the point closest to the reference with every
row held at ``eps`` (a second HiGHS model, a QP, also kept between rounds; SLSQP for a few
members), and looks for violated coalitions at that point:

1. by :func:`~optimizer.models.procurement._member_plans.local_search` over the plans found
   so far (milliseconds, many coalitions per round);
2. when it finds none, or every :data:`MILP_EVERY` rounds (the search prices coalitions by
   the plans it knows and misses the gains of plans it has not met), by the core-check MILP
   cut off at ``L + tol`` (every improving plan it meets is kept as a row and as a pattern),
   which also proves the end.

The closest point is the answer's shape (proportional bills moved only as far as the rows
need); the LP's own optimum is an extreme point that jumps from round to round. Measured on
the default scenario (148 members), stabilising at a point between the best split so far and
the LP's point (in-out) or within a box around it (box step) did worse in the same time.
After phase one the closest point at ``L`` gained far more than phase one's split (145 EUR
against 45.27 on the default scenario's 97-member part), so there the point stays near the
best split bounded so far, at a level between ``L`` and its bound (:data:`LEVEL_SHARE`), the
MILP cut off at that level: that part alone then converged in 25 s (44.72 EUR).

When the members fall into independent parts (no product or drop point in common, even
through others), the core-check MILP without members held in or out is solved part by part
(:mod:`~optimizer.models.procurement._member_parts`): the same bound, several times faster.
A part whose MILP has not ended after a few seconds is split at its plan's brackets
(:mod:`~optimizer.models.procurement._member_regimes`): the MILP outside them, the hubs
apart inside (44.40 EUR proven in about 10 s where the whole MILP's bound was 58.26 after 60).

Seeds: every member alone (proven), ``N - {i}``, each drop point's and each product's members
and their complements; in the LP, everyone but a few members of a drop point (by the plans).
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from optimizer.models.procurement._member_hubs import HubPhase
from optimizer.models.procurement._member_lp import LeastCoreLP, closest_few
from optimizer.models.procurement._member_parts import Separation, by_parts, parts
from optimizer.models.procurement._member_plans import (
    Patterns,
    local_search,
    most_gaining,
    removal_rows,
    seed_rows,
)
from optimizer.models.procurement._member_regimes import Regime, outside_row, split_at_regime
from optimizer.models.procurement.core import core_check_model
from optimizer.models.procurement.data import ProcurementData
from optimizer.results import Status
from optimizer.solver import SOLVER_ENV, available_solvers, solve_milp

ADD_PER_ROUND = 100  # coalitions the local search adds per round, those gaining most
STARTS = 16  # rows gaining most at the separation point, from which the search starts
SLSQP_LIMIT = 20  # members up to which the closest point is found by SLSQP alone
MILP_EVERY = 6  # rounds after which the MILP is solved even when the search found rows
MIN_RESERVE_S = 3.0  # seconds kept at least for the last MILP
LAZY_ROUNDS = 20  # QP solves per closest point at most (rows the LP holds added lazily)
LAZY_ADD = 200  # rows added to the QP per solve at most, those violated most
LEVEL_SHARE = 0.5  # after phase one: the point's level, from L towards the best split's bound

__all__ = ["Rounds", "Separation", "least_core_rounds", "separate"]


@dataclass(frozen=True)
class Rounds:
    """What the constraint generation ended with.

    ``epsilon`` is the LP's lower bound ``L``, ``upper`` the largest gain of any coalition
    under ``shares`` as the MILP ``last`` (solved at ``shares``) bounds it (``inf`` when no
    MILP bounded it).
    """

    shares: np.ndarray
    epsilon: float
    upper: float
    rounds: int
    separations: int
    rows: int
    last: Separation
    unproven: tuple[str, ...]  # statuses of separations that stopped before their proof
    spent: dict[str, float] = field(default_factory=dict)  # seconds: lp_s, search_s, milp_s
    tightest: frozenset[int] = frozenset()  # the row gaining most at the end
    closest: bool = True  # the split is the closest point of the last round (QP solved)
    out_of_time: bool = False
    known: dict[frozenset[int], float] = field(default_factory=dict)  # the LP's rows


def separate(
    data: ProcurementData,
    shares: np.ndarray,
    patterns: Patterns,
    *,
    time_limit: float,
    gap: float,
    above: float = -math.inf,
    fixed_in: np.ndarray | None = None,
    fixed_out: np.ndarray | None = None,
    regime: Regime | None = None,
    split: bool = True,
) -> Separation:
    """Solve the core-check MILP at ``shares``; keep every improving plan as a pattern.

    ``above``: only coalitions gaining more are sought (HiGHS' objective cutoff); the
    solve then ends as soon as its bound shows that none is left, and when none exists the
    bound on every gain is ``above``: not the solver's own bound, which then covers only the
    nodes not pruned at the cutoff (a 6-member group gaining 487 was left out of a bound of
    379 at a cutoff of 572). ``fixed_in``
    and ``fixed_out``: members held in or out of the coalition (the bound then holds only
    for such coalitions). Without either, a game of independent parts is solved part by
    part (:mod:`~optimizer.models.procurement._member_parts`), and each part split at its
    plan's brackets (:mod:`~optimizer.models.procurement._member_regimes`; ``regime``: the
    MILP is then the half outside it; ``split=False``: the whole MILP).
    """
    if fixed_in is None and fixed_out is None and parts(data).max() > 0:
        return _by_parts(data, shares, patterns, time_limit=time_limit, gap=gap)
    if fixed_in is None and regime is None and split:
        halves = split_at_regime(
            data,
            shares,
            np.ones(data.n_members, bool) if fixed_out is None else ~np.asarray(fixed_out, bool),
            above=above,
            time_limit=time_limit,
            milp=lambda cut, limit, reg: separate(
                data, shares, patterns, time_limit=limit, gap=gap, above=cut,
                fixed_out=fixed_out, regime=reg, split=False,
            ),
        )  # fmt: skip
        if halves is not None:
            return halves
    return _whole(data, shares, patterns, time_limit, gap, above, fixed_in, fixed_out, regime)


def _whole(
    data: ProcurementData,
    shares: np.ndarray,
    patterns: Patterns,
    time_limit: float,
    gap: float,
    above: float,
    fixed_in: np.ndarray | None,
    fixed_out: np.ndarray | None,
    regime: Regime | None,
) -> Separation:
    """The core-check MILP itself (outside ``regime`` unless ``None``)."""
    built, total = core_check_model(data, shares, proper=True)
    row = None if regime is None else outside_row(data, built, regime)
    if row is not None:
        built.problem += row, "outside_regime"
    for held, level in ((fixed_in, "lowBound"), (fixed_out, "upBound")):
        if held is not None:
            for z in np.asarray(built.switch)[np.asarray(held, bool)]:
                setattr(z, level, 1 if level == "lowBound" else 0)
    chosen = os.environ.get(SOLVER_ENV, "").strip().lower()
    highs = "highs" in available_solvers() and chosen in ("", "auto", "highs")
    options: dict[str, object] = {"mip_improving_solution_save": True}
    if math.isfinite(above):
        options["objective_bound"] = total - above
    report = solve_milp(
        built.problem,
        solver="highs" if highs else "auto",
        time_limit=time_limit,
        gap=gap,
        options=options if highs else None,
    )
    if report.status is Status.INFEASIBLE and highs and math.isfinite(above):
        # the model is feasible (every member alone): nothing below the cutoff is the proof
        return Separation(Status.OPTIMAL, frozenset(), -math.inf, above, report.runtime_s)
    if not report.status.has_solution:
        return Separation(report.status, frozenset(), math.nan, math.inf, report.runtime_s)
    columns = [(report.objective, [v.varValue or 0.0 for v in built.problem.variables()])]
    if highs:
        saved = built.problem.solverModel.getSavedMipSolutions()
        columns += [(float(s.objective), list(s.col_value)) for s in saved]
    x = np.asarray(shares, float)
    found: dict[frozenset[int], float] = {}
    best: frozenset[int] = frozenset()
    n = data.n_members
    switch = np.array([z.index for z in built.switch])
    for objective, values in columns:
        col = np.asarray(values, float)
        members = col[switch] > 0.5
        coalition = frozenset(np.flatnonzero(members).tolist())
        if not 0 < len(coalition) < n:
            continue
        pooled = np.zeros((n, data.n_products))
        for c, y in built.pooled.items():
            pooled[built.class_player[c], built.class_product[c]] += col[y.index]
        shipped = np.zeros((data.n_suppliers, data.n_products, data.n_drop_points))
        for s, p, d, var in built.ship:
            shipped[s, p, d] += col[var.index]
        patterns.add_plan(pooled, shipped, members)
        # the plan's own cost (the MILP's objective less the shares outside), or a pattern's
        cost = min(float(x[members].sum()) - (total - objective), patterns.costs(members[None])[0])
        found[coalition] = min(found.get(coalition, math.inf), cost)
        if not best:
            best = coalition
    gain = float(x[list(best)].sum()) - found[best] if best else -math.inf
    bound = _gain_bound(report, total, gain, above if highs else -math.inf)
    return Separation(report.status, best, gain, bound, report.runtime_s, found)


def _gain_bound(report: Any, total: float, gain: float, cutoff: float) -> float:
    """What bounds every coalition's gain after a core-check MILP cut off at ``cutoff``."""
    bound = total - report.bound if math.isfinite(report.bound) else math.inf
    if math.isfinite(cutoff) and gain <= cutoff:
        # nothing beat the cutoff: the nodes pruned at it may hold gains up to the cutoff,
        # which the solver's own bound (then its incumbent's) leaves out; done, they are all
        return cutoff if report.status is Status.OPTIMAL else max(bound, cutoff)
    return bound


def _by_parts(
    data: ProcurementData, shares: np.ndarray, patterns: Patterns, *, time_limit: float, gap: float
) -> Separation:
    """The whole MILP's answer part by part; each part's MILP seeks gains above 0 only."""
    return by_parts(
        data,
        shares,
        patterns,
        parts(data),
        lambda out: separate(
            data, shares, patterns, time_limit=time_limit, gap=gap, above=0.0, fixed_out=out
        ),
    )


@dataclass
class _Search:
    """The state of one least-core search (the LP, the plans, the clock)."""

    data: ProcurementData
    lp: LeastCoreLP
    patterns: Patterns
    reference: np.ndarray
    tol: float
    time_limit: float
    gap: float
    deadline: float
    spent: dict[str, float] = field(
        default_factory=lambda: dict.fromkeys(("lp_s", "search_s", "milp_s", "closest_s"), 0.0)
    )
    separations: int = 0
    longest: float = 0.0  # seconds of the longest MILP so far
    unproven: list[str] = field(default_factory=list)
    last_found: dict[frozenset[int], float] = field(default_factory=dict)
    proven: tuple[np.ndarray, Separation] | None = None  # the best split bounded, its MILP
    centre: LeastCoreLP | None = None  # the QP, when its point stays near the best split

    def solve_lp(self) -> tuple[float, np.ndarray]:
        clock = time.perf_counter()
        eps, x = self.lp.solve()
        self.spent["lp_s"] += time.perf_counter() - clock
        return eps, x

    def search(self, x: np.ndarray, threshold: float) -> dict[frozenset[int], float]:
        """Coalitions gaining more than ``threshold`` at ``x`` by the patterns' bounds."""
        clock = time.perf_counter()
        gains = self.lp.gains(x)
        order = np.argsort(-gains)
        matrix = self.lp.matrix
        n = self.lp.n
        starts = [matrix[r] for r in order[:STARTS]]
        starts += [np.isin(np.arange(n), list(s)) for s in self.last_found]
        until = self.deadline - max(MIN_RESERVE_S, 1.5 * self.longest)
        found = local_search(self.patterns, x, starts, threshold=threshold, deadline=until)
        if not found:  # from more rows, deeper
            deep = [matrix[r] for r in order[STARTS : 8 * STARTS]]
            found = local_search(
                self.patterns, x, deep, threshold=threshold, max_steps=1000, deadline=until
            )
        self.spent["search_s"] += time.perf_counter() - clock
        return found

    def closest(
        self, qp: LeastCoreLP | None, eps: float, x_lp: np.ndarray
    ) -> tuple[np.ndarray, bool]:
        """The point closest to the reference with every row at ``eps`` (a hair above, so
        that it stays feasible); the LP's own point (``False``) when the QP fails."""
        clock = time.perf_counter()
        level = eps + self.tol / 10
        y: np.ndarray | None
        if qp is None:
            lp = self.lp
            y = closest_few(lp.matrix, lp.costs + level, lp.total, self.reference, x_lp)
        else:
            y = self._lazy_closest(qp, level)
        self.spent["closest_s"] += time.perf_counter() - clock
        return (x_lp, False) if y is None else (y, True)

    def _lazy_closest(self, qp: LeastCoreLP, level: float) -> np.ndarray | None:
        """The QP's point, rows of the LP it violates added to it until it violates none;
        a QP whose active set cycles is solved again a hair higher (then solved at once)."""
        for above in (0.0, self.tol / 10):
            qp.hold(level + above)
            try:
                return self._lazy_rows(qp, level + above)
            except RuntimeError:  # HiGHS' QP stopped (its active set cycled)
                continue
        return None

    def _lazy_rows(self, qp: LeastCoreLP, level: float) -> np.ndarray | None:
        for _ in range(LAZY_ROUNDS):
            y = qp.solve()[1]
            gains = self.lp.gains(y)
            over = np.flatnonzero(gains > level + self.tol / 10)
            if not len(over):
                return y
            over = over[np.argsort(-gains[over])][:LAZY_ADD]
            qp.add({self.lp.coalitions[r]: float(self.lp.costs[r]) for r in over})
        return None

    def milp(self, x: np.ndarray, above: float) -> Separation:
        clock = time.perf_counter()
        left = max(self.deadline - clock, 1.0)
        found = separate(
            self.data,
            x,
            self.patterns,
            time_limit=min(self.time_limit, left),
            gap=self.gap,
            above=above,
        )
        self.longest = max(self.longest, time.perf_counter() - clock)
        self.spent["milp_s"] += time.perf_counter() - clock
        self.separations += 1
        if found.status is not Status.OPTIMAL:
            self.unproven.append(found.status.value)
        self.last_found = found.found
        return found

    def take(self, phase: HubPhase | None, qp: LeastCoreLP | None) -> int:
        """Count phase one's MILPs and time, take its best bounded split (the QP's point
        then stays near the best split); its rounds."""
        if phase is None:
            return 0
        self.separations, self.unproven = phase.separations, list(phase.unproven)
        self.spent["hubs_s"] = phase.spent_s
        self.longest = phase.longest_s  # the time to keep for one more full MILP
        self.proven = phase.best
        if qp is not None and self.proven is not None:
            self.centre = qp
            qp.centre(self.proven[0])
        return phase.rounds

    def level(self, eps: float) -> float:
        """The round's level: ``L``, or (near the best split) halfway from ``L`` to its bound
        less the tolerance; a MILP finding nothing above it lowers the bound by more than
        the tolerance, or to within it of ``L``."""
        if self.centre is None or self.proven is None:
            return eps
        return eps + LEVEL_SHARE * max(0.0, self.proven[1].gain_bound - eps - self.tol)

    def keep(self, y: np.ndarray, sep: Separation) -> bool:
        """Keep ``y`` as the best split when its MILP bounds it no worse (within the
        tolerance: at an equal bound the later point is the answer's shape); whether the
        best bound went down by more than the tolerance."""
        before = math.inf if self.proven is None else self.proven[1].gain_bound
        if sep.status.has_solution and sep.gain_bound <= before + self.tol:
            self.proven = (y.copy(), sep)
            if self.centre is not None:
                self.centre.centre(y)
        return sep.status.has_solution and sep.gain_bound < before - self.tol

    @property
    def out_of_time(self) -> bool:
        """Time to stop searching: what is left is kept for one more MILP."""
        return time.perf_counter() >= self.deadline - max(MIN_RESERVE_S, 1.5 * self.longest)

    def prove(
        self, x: np.ndarray, proven: tuple[np.ndarray, Separation] | None
    ) -> tuple[np.ndarray, Separation]:
        """The largest gain at ``x`` bounded by the MILP; the better of it and ``proven``."""
        if proven is not None and np.array_equal(proven[0], x):
            return proven
        sep = self.milp(x, above=-math.inf)
        if proven is None or (
            sep.status.has_solution and sep.gain_bound <= proven[1].gain_bound + self.tol
        ):  # at an equal bound the closest point is the answer's shape
            return x.copy(), sep
        return proven


def least_core_rounds(
    data: ProcurementData,
    *,
    total: float,
    alone: np.ndarray,
    reference: np.ndarray,
    patterns: Patterns,
    time_limit: float,
    gap: float,
    tol: float,
    max_iterations: int,
    budget_s: float = math.inf,
    phase: HubPhase | None = None,
) -> Rounds:
    """Constraint generation at the closest point until the MILP proves ``U <= L + tol``.

    ``budget_s``: seconds the search may take (wall clock); when they are up, the split of
    the last round is bounded by one more MILP (time for it is kept) and returned with its
    bound ``U``, ``out_of_time`` set, or the best split bounded before when that is lower.
    ``phase``: what phase one (:mod:`~optimizer.models.procurement._member_hubs`) found: its
    rows start the LP and the QP, its best bounded split counts as bounded before.
    """
    lp, qp = _models(data, total, alone, reference, patterns, phase)
    run = _Search(
        data, lp, patterns, reference, tol, time_limit, gap, time.perf_counter() + budget_s
    )
    rounds = run.take(phase, qp)
    y = reference
    closest = False
    since_milp = 0
    while True:
        rounds += 1
        eps, x_lp = run.solve_lp()
        if phase is not None and run.proven is not None and run.out_of_time:
            break  # phase one's split is the answer: no time for a closest point
        level = run.level(eps)
        y, closest = run.closest(qp, level, x_lp)
        if rounds >= max_iterations or run.out_of_time:
            break
        since_milp += 1
        cut = max(eps + tol, level + tol / 5)  # above every row the point holds at its level
        found = run.search(y, threshold=cut)
        new = most_gaining(found, y, ADD_PER_ROUND)
        if qp is not None:
            qp.add(new)
        if lp.add(new) and since_milp < MILP_EVERY:
            continue
        since_milp = 0
        sep = run.milp(y, above=cut)
        stepped = run.keep(y, sep) and run.centre is not None  # a level step that held
        if not sep.status.has_solution or sep.gain_bound <= eps + tol:
            break
        if qp is not None:
            qp.add(sep.found)
        if not lp.add(sep.found) and not new and not stepped:
            break  # nothing new above eps: the MILP stopped short of its proof
    if phase is not None and run.proven is not None and run.out_of_time:
        x, sep = run.proven  # phase one's split: the closest point at L is far worse unbounded
    else:
        x, sep = run.prove(y, run.proven)
    eps, _ = run.solve_lp()
    gains = lp.gains(x)
    tightest = lp.coalitions[int(np.argmax(gains))] if len(lp) else frozenset()
    return Rounds(
        x,
        eps,
        sep.gain_bound,
        rounds,
        run.separations,
        len(lp),
        sep,
        tuple(run.unproven),
        run.spent,
        tightest,
        closest and run.centre is None and np.array_equal(x, y),
        run.out_of_time or rounds >= max_iterations,
        dict(zip(lp.coalitions, lp.costs.tolist(), strict=True)),
    )


def _models(
    data: ProcurementData,
    total: float,
    alone: np.ndarray,
    reference: np.ndarray,
    patterns: Patterns,
    phase: HubPhase | None,
) -> tuple[LeastCoreLP, LeastCoreLP | None]:
    """The LP and (beyond a few members) the closest-point QP, with the first rows: every
    member alone, the seeds, and phase one's rows (in the LP; the QP takes them lazily)."""
    n = data.n_members
    scale = max(1.0, float(np.max(np.abs(reference))))
    lp = LeastCoreLP(n, total, scale)
    qp = LeastCoreLP(n, total, scale, reference) if n > SLSQP_LIMIT else None
    first = {frozenset([i]): float(alone[i]) for i in range(n)} | seed_rows(data, patterns)
    for model in (lp, qp):
        if model is not None:
            model.add(first)
    # everyone but a few members of a drop point (phase one's rows hold them): the LP only
    lp.add(phase.rows if phase is not None else removal_rows(data, patterns))
    return lp, qp
