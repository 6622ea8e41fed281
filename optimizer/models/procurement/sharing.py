r"""Fair bills for pooled procurement: the cost game, its splits, its core check, pass-down.

The players are members, or cooperatives (``level="cooperative"``, one group per member).
``C(S)`` is the optimal pooled cost of coalition ``S`` (:func:`procurement_game`, each plan
verified by :func:`~optimizer.models.procurement.check_procurement`); the splits and the core
check are the generic ones of :mod:`optimizer.models.sharing`, with the core check and the
least core's coalitions found by one MILP (:mod:`optimizer.models.procurement.core`).

With cooperatives as players, :func:`pass_down` hands a cooperative's share to its members in
proportion to what each would pay alone:
``bill_i = x_c * C({i}) / sum_{j in c} C({j})`` for member ``i`` of cooperative ``c``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from optimizer.models.procurement.check import check_procurement
from optimizer.models.procurement.core import find_blocking_coalition
from optimizer.models.procurement.data import ProcurementData
from optimizer.models.procurement.plan import ProcurementResult
from optimizer.models.procurement.solve import solve_procurement
from optimizer.models.sharing import (
    CoalitionGame,
    CoreCheck,
    Oracle,
    Split,
    check_core,
    core_verdict,
    least_core_split,
    proportional_split,
    shapley_split,
)
from optimizer.results import Status
from optimizer.solver import DEFAULT_GAP, DEFAULT_TIME_LIMIT_S

__all__ = [
    "Level",
    "Method",
    "SharingResult",
    "pass_down",
    "procurement_game",
    "procurement_oracle",
    "split_procurement",
]

Level = Literal["member", "cooperative"]


def _players(
    data: ProcurementData, level: Level, groups: Sequence[str] | None
) -> tuple[list[str], np.ndarray]:
    if level == "member":
        return list(data.member_ids), np.arange(data.n_members)
    if groups is None or len(groups) != data.n_members:
        raise ValueError("level='cooperative' needs one group (cooperative id) per member")
    names = list(dict.fromkeys(str(g) for g in groups))
    index = {g: i for i, g in enumerate(names)}
    return names, np.array([index[str(g)] for g in groups], np.int64)


def procurement_game(
    data: ProcurementData,
    *,
    level: Level = "member",
    groups: Sequence[str] | None = None,
    time_limit: float = DEFAULT_TIME_LIMIT_S,
    gap: float = DEFAULT_GAP,
    labels: Mapping[str, str] | None = None,
) -> CoalitionGame:
    """The cost game of pooled procurement: ``C(S)`` = the optimal pooled cost of ``S``.

    A coalition whose solve stops before proving its plan optimal within ``gap`` (the time
    limit) gives its plan's cost as an upper bound, flagged as such (``game.bounds()``).
    ``labels`` (player id → name) names the players in the verdicts.
    """
    names, player = _players(data, level, groups)

    def cost(coalition: frozenset[int]) -> tuple[float, bool]:
        members = [int(m) for m in np.nonzero(np.isin(player, list(coalition)))[0]]
        result = solve_procurement(
            data, members=members, standalone=False, time_limit=time_limit, gap=gap
        )
        if not result.status.has_solution:
            raise RuntimeError(f"coalition {sorted(coalition)}: {result.status.value}")
        check = check_procurement(data, result)  # every coalition's plan is verified too
        if not check.ok:
            raise RuntimeError(
                f"coalition {sorted(coalition)}: plan fails its check: {'; '.join(check.problems)}"
            )
        return result.pooled_cost, result.status is Status.OPTIMAL

    noun = "members" if level == "member" else "cooperatives"
    return CoalitionGame(names, cost, currency=data.currency, noun=noun, labels=labels)


def procurement_oracle(
    data: ProcurementData,
    *,
    level: Level = "member",
    groups: Sequence[str] | None = None,
    proper: bool = True,
    time_limit: float = DEFAULT_TIME_LIMIT_S,
    gap: float = DEFAULT_GAP,
) -> Oracle:
    """The core-check MILP as an oracle: the coalition that gains most under given shares."""
    _, player = _players(data, level, groups)

    def oracle(shares: np.ndarray) -> frozenset[int]:
        found = find_blocking_coalition(
            data, shares, players=player, proper=proper, time_limit=time_limit, gap=gap
        )
        return frozenset(found.coalition)

    return oracle


@dataclass(frozen=True, eq=False)
class SharingResult:
    """A split of the pooled procurement bill and its stability verdict."""

    split: Split
    core: CoreCheck

    def table(self) -> pd.DataFrame:
        return self.split.table()

    def summary(self) -> str:
        return f"{self.split.summary()}\n  {self.core.message}"


Method = Literal["shapley", "least_core", "proportional", "volume"]


def split_procurement(
    data: ProcurementData,
    *,
    method: Method = "shapley",
    level: Level = "member",
    groups: Sequence[str] | None = None,
    samples: int = 100,
    seed: int = 0,
    tolerance: float = 1e-4,
    time_limit: float = DEFAULT_TIME_LIMIT_S,
    gap: float = DEFAULT_GAP,
    plan: ProcurementResult | None = None,
    labels: Mapping[str, str] | None = None,
) -> SharingResult:
    """Split the pooled bill among members (or cooperatives) and check that it is stable.

    The core check is one MILP over all players (:func:`find_blocking_coalition`), or a look
    over the coalitions' costs when the split has computed them all (Shapley among a few
    cooperatives); the least core generates its coalitions with the same MILP. ``plan``, the
    plan of the whole cooperative that is shown, gives the grand coalition's cost: the shares
    then add up to what that plan costs (not to a second solve of the same coalition), and it
    counts as a bound unless it was proven optimal. ``labels`` (member or cooperative id →
    name) names the group the verdict says would leave, its id beside.
    """
    game = procurement_game(
        data, level=level, groups=groups, time_limit=time_limit, gap=gap, labels=labels
    )
    if plan is not None:
        if len(plan.members_served) != data.n_members:
            raise ValueError("the plan to split must serve every member")
        game.record(range(game.n), plan.pooled_cost, proven=plan.status is Status.OPTIMAL)
    _, player = _players(data, level, groups)
    if method == "shapley":
        split = shapley_split(game, samples=samples, seed=seed)
    elif method == "least_core":
        oracle = procurement_oracle(
            data, level=level, groups=groups, proper=True, time_limit=time_limit, gap=gap
        )
        split = least_core_split(game, oracle=oracle)
    elif method == "proportional":
        split = proportional_split(game)
    elif method == "volume":
        kg = data.demand @ data.weight_kg
        volume = np.bincount(player, weights=kg, minlength=game.n)
        split = proportional_split(game, volume, method="volume")
    else:
        raise ValueError(f"unknown split method {method!r}")
    if game.evaluations == 2**game.n - 1:
        # every coalition's cost is known already (an exact Shapley split): the core check
        # is a look over them, not one more MILP as hard as the coalitions' own
        return SharingResult(split, check_core(game, split.shares, tolerance=tolerance))
    start = time.perf_counter()
    found = find_blocking_coalition(
        data, split.shares, players=player, time_limit=time_limit, gap=gap
    )
    if not found.status.has_solution:
        core = CoreCheck(
            False, math.nan, (), f"core check: {found.status.value}", False, found.runtime_s
        )
        return SharingResult(split, core)
    coalition = frozenset(found.coalition)
    gain = float(split.shares[list(coalition)].sum()) - game.cost(coalition) if coalition else 0.0
    tol = tolerance * max(1.0, abs(split.total))
    proven = found.status is Status.OPTIMAL or found.gain_bound <= tol or gain > tol
    runtime = found.runtime_s + time.perf_counter() - start
    core = core_verdict(game, found=coalition, gain=gain, tol=tol, proven=proven, runtime_s=runtime)
    return SharingResult(split, core)


def pass_down(
    shares: Mapping[str, float],
    groups: Sequence[str],
    standalone_cost: Sequence[float] | np.ndarray,
) -> np.ndarray:
    """Each member's bill when its cooperative's share is passed on to the members.

    Parameters
    ----------
    shares
        Each cooperative's share of the pooled bill, by cooperative id.
    groups
        Each member's cooperative, in member order.
    standalone_cost
        What each member would pay buying alone, in member order.

    Returns
    -------
    numpy.ndarray
        One bill per member: its cooperative's share in proportion to the member's standalone
        cost (equal parts where the whole cooperative's standalone cost is 0). The bills of a
        cooperative's members add up to its share.

    Notes
    -----
    A standalone cost whose solve stopped early is an upper bound, and so is the weight it
    gives: :func:`solve_procurement` lists those members in ``standalone_bounds`` and its
    summary names them (:func:`~optimizer.models.sharing.bounds_note`).
    """
    alone = np.asarray(standalone_cost, float)
    names = [str(g) for g in groups]
    if len(names) != len(alone):
        raise ValueError("pass_down needs one cooperative and one standalone cost per member")
    bills = np.zeros(len(alone))
    for group in dict.fromkeys(names):
        mine = np.array([g == group for g in names])
        total = float(alone[mine].sum())
        weight = alone[mine] / total if total > 0 else np.full(mine.sum(), 1 / mine.sum())
        bills[mine] = float(shares[group]) * weight
    return bills
