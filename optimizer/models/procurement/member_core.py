r"""A member-level least-core split of the pooled bill, with an independent check.

Every member is a player. The split is found by constraint generation
(:func:`optimizer.models.sharing.least_core_split`): an LP over the members' payments
``x`` (they add up to the cost ``C(N)`` of the plan shown) minimises ``eps`` subject to
``x(S) <= C(S) + eps`` for the coalitions ``S`` found so far; the separation step is the
core-check MILP (:func:`~optimizer.models.procurement.core.find_blocking_coalition`, one
switch per member), which returns the coalition that gains most under the current payments;
its cost ``C(S)`` is then solved on its own and the row added, until no coalition gains more
than ``eps``. Among the least-core splits the one closest to the proportional split (bills in
proportion to what each member would pay alone) is taken, closeness measured as the sum of
squared differences of the bills in money (Euclidean distance), so the split reads
"proportional bills, moved only as far as stability needs".

``eps <= 0``: the split is stable (in the core). ``eps > 0``: the core is empty, no split is
stable, and ``eps`` is the least money some group of members still gains by leaving.

The final split is checked from scratch on every run: the most profitable coalition is found
by a new MILP built without anything from the constraint generation, or, for at most
:data:`BRUTE_FORCE_LIMIT` members, by trying every coalition.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimizer.models.procurement.core import find_blocking_coalition
from optimizer.models.procurement.data import ProcurementData
from optimizer.models.procurement.sharing import SharingResult, procurement_game
from optimizer.models.sharing import (
    CoalitionGame,
    CoreCheck,
    Split,
    core_verdict,
    least_core_split,
)
from optimizer.results import Status
from optimizer.solver import DEFAULT_GAP, DEFAULT_TIME_LIMIT_S

__all__ = ["BRUTE_FORCE_LIMIT", "STABLE_MEANS", "MemberCore", "member_least_core"]

BRUTE_FORCE_LIMIT = 10  # members up to which the final check tries every coalition
STABLE_MEANS = (
    "Stable means that no group of members, ordering the same inputs on its own, would pay "
    "less than the sum of its members' bills here."
)


@dataclass(frozen=True, eq=False)
class MemberCore:
    """The member-level least-core split, its epsilon and the independent check's verdict.

    ``epsilon`` is the least-core epsilon in money (``<= 0``: stable); ``proven`` is False
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
    time_limit: float = DEFAULT_TIME_LIMIT_S,
    gap: float = DEFAULT_GAP,
    max_iterations: int = 500,
    brute_force_limit: int = BRUTE_FORCE_LIMIT,
) -> MemberCore:
    """The least-core split among members closest to the proportional split.

    Parameters
    ----------
    plan_cost
        What the plan shown costs: the bills add up to it (``plan_proven``: it was proven
        optimal, otherwise it counts as an upper bound on ``C(N)``).
    standalone
        Each member's cost alone, if already known (else solved here).
    max_iterations
        Rounds of constraint generation at most (an unfinished run says so).
    """
    game = procurement_game(data, time_limit=time_limit, gap=gap)
    game.record(range(game.n), plan_cost, proven=plan_proven)
    if standalone is not None:
        for i, cost in enumerate(np.asarray(standalone, float)):
            game.record([i], float(cost))
    alone = game.standalone()
    reference = alone * plan_cost / alone.sum() if alone.sum() > 0 else np.full(game.n, 0.0)
    unproven: list[str] = []
    calls = [0]

    def oracle(shares: np.ndarray) -> frozenset[int]:
        calls[0] += 1
        found = find_blocking_coalition(data, shares, proper=True, time_limit=time_limit, gap=gap)
        if found.status is not Status.OPTIMAL:
            unproven.append(found.status.value)
        return frozenset(found.coalition)

    split = least_core_split(
        game,
        oracle=oracle if game.n > 1 else None,
        reference=reference,
        max_iterations=max_iterations,
    )
    check, method, gain = _independent_check(data, game, split, time_limit, gap, brute_force_limit)
    tol = 1e-6 * max(1.0, abs(split.total))
    converged = gain <= split.epsilon + 1e-4 * max(1.0, abs(split.total))
    proven = not unproven and check.proven and not game.bounds()
    verdict = _verdict(game, split, check, proven=proven, converged=converged, tol=tol)
    return MemberCore(
        split, check, split.epsilon, reference, proven, converged, method, calls[0], verdict, gain
    )


def _independent_check(
    data: ProcurementData,
    game: CoalitionGame,
    split: Split,
    time_limit: float,
    gap: float,
    brute_force_limit: int,
) -> tuple[CoreCheck, str, float]:
    """The most profitable proper coalition under ``split``, found again from scratch.

    Brute force (every coalition's cost solved anew, in a game of its own) up to
    ``brute_force_limit`` members; otherwise a new core-check MILP. Either way the gain is
    recomputed from the coalition's own cost. Returns the verdict, how it was made and the
    gain itself (negative when every coalition would lose by leaving).
    """
    start = time.perf_counter()
    x = split.shares
    tol = 1e-4 * max(1.0, abs(split.total))
    if game.n <= 1:
        verdict = core_verdict(
            game, found=frozenset(), gain=0.0, tol=tol, proven=True, runtime_s=0.0
        )
        return verdict, "trivial", 0.0
    if game.n <= brute_force_limit:
        fresh = procurement_game(data, time_limit=time_limit, gap=gap)
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
    found = find_blocking_coalition(data, x, proper=True, time_limit=time_limit, gap=gap)
    if not found.status.has_solution:
        message = f"core check: {found.status.value}"
        failed = CoreCheck(False, math.nan, (), message, False, found.runtime_s)
        return failed, "fresh MILP", math.inf
    fresh = procurement_game(data, time_limit=time_limit, gap=gap)
    coalition = frozenset(found.coalition)
    gain = float(x[list(coalition)].sum()) - fresh.cost(coalition) if coalition else -math.inf
    proven = found.status is Status.OPTIMAL or found.gain_bound <= tol or gain > tol
    runtime = time.perf_counter() - start
    verdict = core_verdict(
        fresh, found=coalition, gain=gain, tol=tol, proven=proven, runtime_s=runtime
    )
    return verdict, "fresh MILP", gain


def _verdict(
    game: CoalitionGame,
    split: Split,
    check: CoreCheck,
    *,
    proven: bool,
    converged: bool,
    tol: float,
) -> str:
    """The split's stability in words: stable, or the core is empty and who blocks."""
    c = game.currency
    eps = split.epsilon
    if not converged:
        head = (
            f"not finished: after {split.iterations} rounds a group still gains "
            f"{check.gain:,.2f} {c} or more, more than the epsilon {eps:,.2f} {c} found so far"
        )
    elif eps <= tol:
        head = (
            f"stable: no group of members can buy cheaper alone (every group would pay at "
            f"least {max(-eps, 0.0):,.2f} {c} more on its own)"
        )
    else:
        who = list(check.coalition)
        shown = ", ".join(who if len(who) <= 8 else [*who[:6], f"and {len(who) - 6} more"])
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
