"""The first stage fixed: a sample with its hubs decided, and what a robust solve finds.

Shared by the two ways of solving the robust plan (:mod:`~optimizer.models.hubs.robust_joint`
and :mod:`~optimizer.models.hubs.robust_subsets`) and by its check.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from optimizer.errors import InputError, Problem
from optimizer.models.hubs.data import HubData, HubResult
from optimizer.models.hubs.solve import solve_hubs
from optimizer.results import Status
from optimizer.solver import SolverName

__all__ = ["SOURCE", "Outcome", "fix_hubs", "planless", "second_stage", "seconds_left"]

SOURCE = "robust hubs"


@dataclass(frozen=True, eq=False)
class Outcome:
    """What one method found: the plan's objective in the method's own terms (expected net
    value, or worst regret), its bound, the hubs and each sample's second stage."""

    status: Status
    objective: float
    bound: float
    gap: float
    open_hubs: tuple[int, ...]
    plans: tuple[HubResult, ...]
    solver: str
    message: str
    evaluated: int = 0


def fix_hubs(data: HubData, open_hubs: Sequence[int] | np.ndarray) -> HubData:
    """``data`` with the first stage fixed: the hubs in ``open_hubs`` open (as if existing),
    every other hub closed (no capacity, so nothing can pass through it)."""
    mask = np.zeros(data.n_hubs, dtype=bool)
    mask[[int(h) for h in open_hubs]] = True
    closed_existing = np.flatnonzero(data.existing_mask & ~mask)
    if closed_existing.size:
        raise InputError(
            Problem(
                SOURCE,
                "a plan that keeps the existing hubs open",
                column="open_hubs",
                value=f"hub {int(closed_existing[0])} closed",
            )
        )
    return replace(
        data, hub_existing=mask, hub_capacity_kg=np.where(mask, data.hub_capacity_kg, 0.0)
    )


def second_stage(
    data: HubData, open_hubs: tuple[int, ...], time_limit: float, gap: float, solver: SolverName
) -> HubResult:
    """The best plan of one sample with the hubs in ``open_hubs`` open and the others closed.

    The plan reports ``open_hubs`` as its open hubs: a closed hub with no fixed cost may come
    back "open" from the fixed copy (nothing passes through it, and it costs nothing).
    """
    result = solve_hubs(fix_hubs(data, open_hubs), time_limit=time_limit, gap=gap, solver=solver)
    if not result.status.has_solution:
        return result
    return replace(result, open_hubs=open_hubs)


def seconds_left(deadline: float) -> float:
    """Seconds left before ``deadline`` (a sliver when none: the solver then stops at once)."""
    return max(deadline - time.perf_counter(), 1e-3)


def planless(status: Status, message: str) -> Outcome:
    return Outcome(status, math.nan, math.nan, math.inf, (), (), "", message)
