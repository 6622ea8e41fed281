"""The core-check MILP: which coalition gains most by ordering on its own under a split.

It is the procurement model (:mod:`optimizer.models.procurement.model`) with a 0/1 switch
``z[g]`` per player ``g``: the demand of the members of ``g`` must be met when ``z[g] = 1``
and is absent otherwise. With ``sigma[g]`` the share of player ``g`` under the split, it
minimises::

    C(S) + sum_{g not in S} sigma[g]   =   sum_g sigma[g] - (sum_{g in S} sigma[g] - C(S))

i.e. it maximises the gain ``sum_{g in S} sigma[g] - C(S)`` of the coalition
``S = {g : z[g] = 1}``. The constant ``sum_g sigma[g]`` keeps the objective near the total
bill, so the solver's relative gap is measured against the bill and not against a gain
close to zero. The split is in the core when the largest gain is <= 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pulp

from optimizer.models.procurement.data import ProcurementData
from optimizer.models.procurement.model import BuiltModel, build_model
from optimizer.results import Status
from optimizer.solver import DEFAULT_GAP, DEFAULT_TIME_LIMIT_S, solve_milp

__all__ = ["BlockingCoalition", "core_check_model", "find_blocking_coalition"]


@dataclass(frozen=True)
class BlockingCoalition:
    """The coalition the MILP found and its gain; ``gain_bound`` caps every coalition's gain."""

    status: Status
    coalition: tuple[int, ...]
    gain: float
    gain_bound: float
    runtime_s: float


def find_blocking_coalition(
    data: ProcurementData,
    shares: np.ndarray,
    *,
    players: np.ndarray | None = None,
    proper: bool = False,
    time_limit: float = DEFAULT_TIME_LIMIT_S,
    gap: float = DEFAULT_GAP,
) -> BlockingCoalition:
    """Solve the core-check MILP for ``shares`` (one per player).

    Parameters
    ----------
    players
        ``(M,)`` player index of each member (default: each member is a player).
    proper
        Leave out the empty and the grand coalition (as the least core needs).
    """
    built, total = core_check_model(data, shares, players=players, proper=proper)
    report = solve_milp(built.problem, time_limit=time_limit, gap=gap)
    if not report.status.has_solution:
        return BlockingCoalition(report.status, (), math.nan, math.inf, report.runtime_s)
    chosen = tuple(g for g, z in enumerate(built.switch) if (z.varValue or 0.0) > 0.5)
    bound = report.bound if math.isfinite(report.bound) else -math.inf
    return BlockingCoalition(
        report.status, chosen, total - report.objective, total - bound, report.runtime_s
    )


def core_check_model(
    data: ProcurementData,
    shares: np.ndarray,
    *,
    players: np.ndarray | None = None,
    proper: bool = False,
) -> tuple[BuiltModel, float]:
    """The core-check MILP for ``shares`` (unsolved) and the constant ``sum_g sigma[g]``."""
    player = np.arange(data.n_members) if players is None else np.asarray(players, np.int64)
    shares = np.asarray(shares, float)
    if len(player) and int(player.max()) + 1 != len(shares):
        raise ValueError(f"{len(shares)} shares for {int(player.max()) + 1} players")
    built = build_model(data, players=player, shares=shares, name="core_check")
    total = float(shares.sum())
    offset = built.problem.add_variable("share_total", lowBound=1, upBound=1)
    objective = built.problem.objective
    objective.addterm(offset, total)
    built.problem.setObjective(objective)
    if proper and len(built.switch) > 1:
        built.problem += pulp.lpSum(built.switch) <= len(built.switch) - 1, "not_everyone"
        built.problem += pulp.lpSum(built.switch) >= 1, "not_nobody"
    return built, total
