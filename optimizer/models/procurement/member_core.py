r"""A member-level least-core split of the pooled bill, with an independent check.

Every member is a player. The split is found by constraint generation
(:mod:`optimizer.models.procurement._member_rounds`): an LP over the members' payments ``x``
(they add up to the cost ``C(N)`` of the plan shown) minimises ``eps`` subject to
``x(S) <= c(S) + eps`` for the coalitions ``S`` found so far, ``c(S)`` being ``C(S)`` or the
cost of a plan found for ``S`` (an upper bound, so the LP stays a relaxation). Violated
coalitions are sought first by a local search over members whose costs come from the plans
already met (:mod:`optimizer.models.procurement._member_plans`, many per round, in
milliseconds), then by the core-check MILP (one switch per member, cut off at ``eps + tol``:
it either returns coalitions gaining more, or proves that none does). Among the least-core
splits the one closest to the proportional split (bills in proportion to what each member
would pay alone) is taken, closeness measured as the sum of squared differences of the bills
in money (Euclidean distance), so the split reads "proportional bills, moved only as far as
stability needs". The epsilon is proven within ``tol`` (``tolerance`` times the plan's cost):
the LP's lower bound and the MILP's bound on the final split's largest gain meet. When the
time (``budget_s``) runs out first, the split is the last one found and the epsilon is only
known to lie between the two bounds; the verdict says so and gives both.

``eps <= 0``: the split is stable (in the core). ``eps > 0``: the core is empty, no split is
stable, and ``eps`` is the least money some group of members still gains by leaving.

When the members fall into independent parts and are many, each part is searched on its own
(:mod:`optimizer.models.procurement._member_byparts`): the splits side by side, the lower bound
from an LP with one bound per part over the parts' rows, and with 40 s or more a second search
of the parts at the money that LP moves between them.

With many members at several drop points, phase one
(:mod:`optimizer.models.procurement._member_hubs`) runs first, with most of the time: the
groups that gain most mix members of every hub and their gains nearly add up hub by hub, so
it bounds each hub's worst groups by a number of its own and minimises their sum; its rows
and its best split bounded by the full MILP start the constraint generation, and when time
runs out first that split is the answer (its bound is the upper one). After phase one the
rounds stay near its best split (level steps), so the answer is then not the closest to the
proportional split among the least-core splits; ``MemberCore.closest`` says which.

The final split is checked from scratch on every run: for at most :data:`BRUTE_FORCE_LIMIT`
members by trying every coalition, each cost solved anew; otherwise the last core-check MILP,
built from the data and the final bills alone, bounds every coalition's gain and names the
coalition gaining most, whose cost is solved anew.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pandas as pd

from optimizer.models.procurement._member_byparts import by_parts_search
from optimizer.models.procurement._member_hubs import HUB_SHARE, HubPhase, hub_phase
from optimizer.models.procurement._member_hubs import wanted as hub_phase_wanted
from optimizer.models.procurement._member_parts import parts
from optimizer.models.procurement._member_plans import Patterns
from optimizer.models.procurement._member_plans import plan_arrays as _plan_arrays
from optimizer.models.procurement._member_rounds import (
    Rounds,
    Separation,
    least_core_rounds,
    separate,
)
from optimizer.models.procurement.core import find_blocking_coalition
from optimizer.models.procurement.data import ProcurementData
from optimizer.models.procurement.plan import ProcurementResult
from optimizer.models.procurement.sharing import SharingResult, procurement_game
from optimizer.models.sharing import CoalitionGame, CoreCheck, Split, core_verdict, group_words
from optimizer.results import Status
from optimizer.solver import DEFAULT_GAP, DEFAULT_TIME_LIMIT_S

__all__ = [
    "BRUTE_FORCE_LIMIT",
    "BUDGET_S",
    "MIN_BUDGET_S",
    "STABLE_MEANS",
    "MemberCore",
    "member_least_core",
]

BRUTE_FORCE_LIMIT = 10  # members up to which the final check tries every coalition
BY_PARTS_FROM = 60  # members above which a game of independent parts is searched part by part
BUDGET_S = 25.0  # seconds the search may take by default (issue 14: 30 s in all)
# seconds the search may be given at least: its setup (the parts' plans, the first rows, one
# MILP) takes several; with 1 s the default scenario's search took 7.8 s, with 10 s 9.2-9.8 s
MIN_BUDGET_S = 10.0
STABLE_MEANS = (
    "Stable means that no group of members, ordering the same inputs on its own, would pay "
    "less than the sum of its members' bills here."
)


@dataclass(frozen=True, eq=False)
class MemberCore:
    """The member-level least-core split, its epsilon and the independent check's verdict.

    ``epsilon`` is the least-core epsilon in money (``<= 0``: stable), the LP's lower bound;
    ``epsilon_upper`` the largest gain of any group under the split, as the core-check MILP
    bounds it: the least-core epsilon lies between them, and ``converged`` says that they
    are within the tolerance (else the search ran out of time or rounds); ``proven`` is False
    when a separation MILP or a coalition's cost stopped before its proof (the verdict then
    rests on a bound); ``check`` is the independent recomputation's verdict and
    ``check_method`` how it was made (``"brute force"`` or ``"fresh MILP"``), ``best_gain``
    the largest gain it found (negative: every group would lose by leaving).
    """

    split: Split
    core: CoreCheck
    epsilon: float
    reference: np.ndarray
    proven: bool
    converged: bool
    check_method: str
    separations: int
    verdict: str
    best_gain: float = math.nan  # the check's largest gain by leaving (< 0: all would lose)
    spent: dict[str, float] = field(default_factory=dict)  # seconds by step of the search
    epsilon_upper: float = math.nan  # the split's largest gain, as the MILP bounds it
    closest: bool = True  # closest to proportional under the last rows (least core if converged)

    @property
    def empty_core(self) -> bool:
        """True when no split is stable: some group gains even under the least-core split."""
        return self.epsilon > self._tol

    @property
    def _tol(self) -> float:
        return 1e-6 * max(1.0, abs(self.split.total))

    def as_sharing(self) -> SharingResult:
        """The split and the check's verdict in the shape the other splits have."""
        return SharingResult(self.split, self.core)

    def table(self) -> pd.DataFrame:
        """player, standalone_cost, share, savings, savings_pct, moved_from_proportional."""
        return self.split.table().assign(moved_from_proportional=self.moved)

    @property
    def moved(self) -> np.ndarray:
        """Each member's bill minus its proportional bill."""
        return self.split.shares - self.reference

    def summary(self) -> str:
        moved = np.abs(self.moved)
        c = self.split.currency
        return "\n".join(
            [
                f"member least core of {self.split.total:,.2f} {c} among "
                f"{len(self.split.players)} members ({self.split.iterations} rounds, "
                f"{self.separations} separation MILPs, {self.split.runtime_s:,.1f} s)",
                f"  {self.verdict}",
                f"  moved from proportional: {moved.sum():,.2f} {c} in all, at most "
                f"{moved.max(initial=0.0):,.2f} {c} for one member",
                f"  independent check ({self.check_method}): {self.core.message}",
                f"  {STABLE_MEANS}",
            ]
        )


def member_least_core(
    data: ProcurementData,
    *,
    plan_cost: float,
    plan_proven: bool = True,
    standalone: np.ndarray | None = None,
    plan: ProcurementResult | None = None,
    time_limit: float = DEFAULT_TIME_LIMIT_S,
    gap: float = DEFAULT_GAP,
    tolerance: float = 1e-6,
    max_iterations: int = 500,
    brute_force_limit: int = BRUTE_FORCE_LIMIT,
    budget_s: float = BUDGET_S,
    labels: Mapping[str, str] | None = None,
) -> MemberCore:
    """The least-core split among members closest to the proportional split.

    Parameters
    ----------
    plan_cost
        What the plan shown costs: the bills add up to it (``plan_proven``: it was proven
        optimal, otherwise it counts as an upper bound on ``C(N)``).
    standalone
        Each member's cost alone, if already known (else solved here).
    plan
        The plan shown (serving every member), if at hand: its pattern seeds the search.
    tolerance
        Relative to the plan's cost: the epsilon is proven within this (money).
    max_iterations
        Rounds of constraint generation at most (an unfinished run says so).
    budget_s
        Seconds (wall clock) the search may take before it stops with the best split proven
        so far and the epsilon between two bounds (an unfinished run says so).
    labels
        Member id → name: the verdicts name the group that would leave, ids beside.
    """
    start = time.perf_counter()
    game = procurement_game(data, time_limit=time_limit, gap=gap, labels=labels)
    game.record(range(game.n), plan_cost, proven=plan_proven)
    if standalone is not None:
        for i, cost in enumerate(np.asarray(standalone, float)):
            game.record([i], float(cost))
    alone = game.standalone()
    reference = alone * plan_cost / alone.sum() if alone.sum() > 0 else np.full(game.n, 0.0)
    tol = tolerance * max(1.0, abs(plan_cost))
    rounds = None
    if game.n > 1:
        search = {"time_limit": time_limit, "gap": gap, "tol": tol, "budget_s": budget_s}
        rounds = _search(data, plan, plan_cost, alone, reference, start, max_iterations, search)
    split = _split(game, rounds, plan_cost, alone, time.perf_counter() - start)
    eps = split.epsilon
    upper = eps if rounds is None else rounds.upper
    last = None if rounds is None else (rounds.last, rounds.tightest)
    check, method, gain = _independent_check(
        data, game, split, last, time_limit, gap, brute_force_limit
    )
    upper = max(gain, upper)
    converged = upper <= eps + tol + 1e-9 * max(1.0, abs(plan_cost))
    proven = (rounds is None or not rounds.unproven) and check.proven and not game.bounds()
    verdict = _verdict(game, split, check, proven=proven, converged=converged, tol=tol, upper=upper)
    separations, spent = (0, {}) if rounds is None else (rounds.separations, dict(rounds.spent))
    found = (split, check, eps, reference, proven, converged, method, separations, verdict)
    return MemberCore(*found, gain, spent, upper, rounds is None or rounds.closest)


def _search(
    data: ProcurementData,
    plan: ProcurementResult | None,
    total: float,
    alone: np.ndarray,
    reference: np.ndarray,
    start: float,
    max_iterations: int,
    search: dict[str, float],
) -> Rounds:
    """Part by part when the game has independent parts and many members, else one search."""
    patterns = _patterns(data, plan)
    part = parts(data)
    if part.max() > 0 and data.n_members > BY_PARTS_FROM:
        found = by_parts_search(
            data, part, patterns, total=total, alone=alone, reference=reference,
            search=search, deadline=start + search["budget_s"],
            search_one=partial(_search_one, max_iterations=max_iterations, search=search),
        )  # fmt: skip
        if found is not None:
            return found
    left = search["budget_s"] - (time.perf_counter() - start)
    return _search_one(
        data, patterns, total, alone, reference, left, max_iterations=max_iterations, search=search
    )


def _search_one(
    data: ProcurementData,
    patterns: Patterns,
    total: float,
    alone: np.ndarray,
    reference: np.ndarray,
    budget_s: float,
    tol: float | None = None,
    begin: HubPhase | None = None,
    *,
    max_iterations: int,
    search: dict[str, float],
) -> Rounds:
    """Phase one by hub (when it pays off), then constraint generation in the time left
    (``tol``: the tolerance, if not the search's; ``begin``: rows and a bounded split to
    start from instead of phase one)."""
    start = time.perf_counter()
    search = search if tol is None else search | {"tol": tol}
    phase = begin
    if phase is None and hub_phase_wanted(data):
        seeds = {frozenset([i]): float(alone[i]) for i in range(data.n_members)}
        ends = start + HUB_SHARE * budget_s
        phase = hub_phase(
            data, total=total, seeds=seeds, patterns=patterns, time_limit=search["time_limit"],
            gap=search["gap"], tol=search["tol"], deadline=ends, separate=separate,
            reference=reference,
        )  # fmt: skip
    left = budget_s - (time.perf_counter() - start)
    return least_core_rounds(
        data,
        total=total,
        alone=alone,
        reference=reference,
        patterns=patterns,
        max_iterations=max_iterations,
        phase=phase,
        **(search | {"budget_s": left}),
    )


def _split(
    game: CoalitionGame,
    rounds: Rounds | None,
    total: float,
    alone: np.ndarray,
    runtime_s: float,
) -> Split:
    """The least-core split the search found (without a search: the one member pays all)."""
    return Split(
        "least core",
        game.players,
        np.array([total]) if rounds is None else rounds.shares,
        total,
        alone,
        epsilon=0.0 if rounds is None else rounds.epsilon,
        iterations=0 if rounds is None else rounds.rounds,
        runtime_s=runtime_s,
        currency=game.currency,
        bounds=game.bounds(),
    )


def _patterns(data: ProcurementData, plan: ProcurementResult | None) -> Patterns:
    """The search's plans to start from: the plan shown, when it serves every member."""
    patterns = Patterns(data)
    if plan is not None and len(plan.members_served) == data.n_members:
        patterns.add_plan(*_plan_arrays(data, plan), np.ones(data.n_members, bool))
    return patterns


def _independent_check(
    data: ProcurementData,
    game: CoalitionGame,
    split: Split,
    last: tuple[Separation, frozenset[int]] | None,
    time_limit: float,
    gap: float,
    brute_force_limit: int,
) -> tuple[CoreCheck, str, float]:
    """The most profitable proper coalition under ``split``, found again from scratch.

    Brute force (every coalition's cost solved anew, in a game of its own) up to
    ``brute_force_limit`` members; otherwise the last core-check MILP of the search, built
    from the data and the final bills alone (or a new one), names the coalition (or, when no
    coalition beats the cutoff, the row gaining most), whose cost is solved anew. Returns the
    verdict, how it was made and the gain itself (negative when every coalition would lose).
    """
    start = time.perf_counter()
    x = split.shares
    tol = 1e-4 * max(1.0, abs(split.total))
    if game.n <= 1:
        verdict = core_verdict(
            game, found=frozenset(), gain=0.0, tol=tol, proven=True, runtime_s=0.0
        )
        return verdict, "trivial", 0.0
    fresh = procurement_game(data, time_limit=time_limit, gap=gap, labels=game.labels)
    if game.n <= brute_force_limit:
        best, gain = frozenset[int](), -math.inf
        for k in range(1, game.n):
            for members in itertools.combinations(range(game.n), k):
                s = frozenset(members)
                g = float(x[list(s)].sum()) - fresh.cost(s)
                if g > gain:
                    best, gain = s, g
        proven = not fresh.bounds()
        runtime = time.perf_counter() - start
        verdict = core_verdict(
            fresh, found=best, gain=gain, tol=tol, proven=proven, runtime_s=runtime
        )
        return verdict, "brute force", gain
    if last is None:
        found = find_blocking_coalition(data, x, proper=True, time_limit=time_limit, gap=gap)
        status, named, bound = found.status, frozenset(found.coalition), found.gain_bound
    else:
        status, bound = last[0].status, last[0].gain_bound
        named = last[0].coalition or last[1]
    if not status.has_solution or not named:
        message = f"core check: {status.value}"
        failed = CoreCheck(False, math.nan, (), message, False, time.perf_counter() - start)
        return failed, "fresh MILP", math.inf
    gain = float(x[list(named)].sum()) - fresh.cost(named)
    proven = status is Status.OPTIMAL and not fresh.bounds() and bound <= max(gain, 0.0) + tol
    runtime = time.perf_counter() - start
    verdict = core_verdict(fresh, found=named, gain=gain, tol=tol, proven=proven, runtime_s=runtime)
    return verdict, "fresh MILP", gain


def _verdict(
    game: CoalitionGame,
    split: Split,
    check: CoreCheck,
    *,
    proven: bool,
    converged: bool,
    tol: float,
    upper: float,
) -> str:
    """The split's stability in words: stable, or the core is empty and who blocks."""
    c = game.currency
    eps = split.epsilon
    if not converged:
        head = (
            f"not finished: after {split.iterations} rounds the least-core epsilon is between "
            f"{eps:,.2f} and {upper:,.2f} {c} (no split lets every group gain less than the "
            f"first; under this split no group gains more than the second, and a group of "
            f"{len(check.coalition)} members gains {check.gain:,.2f} {c}); more time for the "
            f"search may narrow the range"
        )
    elif eps <= tol:
        head = (
            f"stable: no group of members can buy cheaper alone (every group would pay at "
            f"least {max(-eps, 0.0):,.2f} {c} more on its own)"
        )
    else:
        who = check.coalition
        shown = group_words([game.label(m) for m in who])
        head = (
            f"the core is empty: no split is stable; under the least-core split a group can "
            f"still save {eps:,.2f} {c} by ordering alone, e.g. the {len(who)} members {shown}"
        )
    if not proven:
        head += (
            "; the stability rests on a bound: a separation MILP or a coalition's cost was "
            "not proven within its time limit"
        )
    return head
