"""What every model returns beside its decisions: status, solver report, check, KPIs.

``Status`` says how a solve ended and :func:`worst_status` folds the statuses of a run made of
several solves; ``SolverReport`` holds a solver's objective, bound and gap; ``Check`` is what
every independent checker returns; ``Kpi`` is one key figure with its unit and direction.
This module imports nothing from the project.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

__all__ = ["Check", "Kpi", "SolverReport", "Status", "relative_gap", "worst_status"]


class Status(StrEnum):
    """How a solve ended, in the words a result reports."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"  # a plan, with a gap to the best bound (time or gap limit)
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    NO_SOLUTION = "no_solution"  # the time limit came before any plan
    ERROR = "error"

    @property
    def has_solution(self) -> bool:
        """True when the decisions can be read (optimal or feasible)."""
        return self in (Status.OPTIMAL, Status.FEASIBLE)

    @property
    def is_ok(self) -> bool:
        return self.has_solution


@dataclass(frozen=True)
class SolverReport:
    """What a solver said about one solve.

    ``gap`` is relative, ``|objective - bound| / max(|objective|, 1e-9)``; it is ``0`` for a
    proven optimum and ``inf`` when there is no plan or no bound.
    """

    solver: str
    status: Status
    runtime_s: float
    objective: float = math.nan
    bound: float = math.nan
    gap: float = math.inf
    message: str = ""

    def summary(self) -> str:
        if not self.status.has_solution:
            text = f"{self.status.value} ({self.solver}, {self.runtime_s:.2f} s) {self.message}"
            return text.strip()
        gap = "" if self.status is Status.OPTIMAL else f", gap {self.gap:.3%}"
        return (
            f"{self.status.value}: objective {self.objective:,.2f}{gap} "
            f"({self.solver}, {self.runtime_s:.2f} s)"
        )


def relative_gap(objective: float, bound: float) -> float:
    """The relative gap between a plan's objective and the best bound."""
    if not (math.isfinite(objective) and math.isfinite(bound)):
        return math.inf
    return abs(objective - bound) / max(abs(objective), 1e-9)


# How bad each status is for a run made of several solves: a part without a plan makes the
# whole run planless, a part with a gap makes it merely feasible.
_SEVERITY = {
    Status.OPTIMAL: 0,
    Status.FEASIBLE: 1,
    Status.NO_SOLUTION: 2,
    Status.UNBOUNDED: 3,
    Status.INFEASIBLE: 4,
    Status.ERROR: 5,
}


def worst_status(statuses: Iterable[Status]) -> Status:
    """The status of a run made of several solves: the worst of its parts.

    Order, best to worst: optimal < feasible < no solution (the time limit came before a plan)
    < unbounded < infeasible < error. No parts at all is an error: there is nothing to report.
    """
    return max(statuses, key=_SEVERITY.__getitem__, default=Status.ERROR)


@dataclass(frozen=True)
class Check:
    """What an independent checker found, recomputing a plan from its decisions alone.

    ``problems`` lists every violated constraint in words (empty when the plan is sound);
    ``cost`` is the plan's objective as recomputed by the checker (a cost, an income or a net
    value, as the model's objective is); ``figures`` holds the other recomputed totals that
    a model reports (for example ``transport_cost`` or ``income``).
    """

    problems: tuple[str, ...]
    cost: float
    figures: Mapping[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when the plan satisfies every constraint and its cost agrees."""
        return not self.problems

    def summary(self) -> str:
        head = "ok" if self.ok else f"{len(self.problems)} problems"
        lines = [f"{head}: recomputed objective {self.cost:,.2f}"]
        lines += [f"  - {p}" for p in self.problems[:20]]
        if len(self.problems) > 20:
            lines.append(f"  ... and {len(self.problems) - 20} more")
        return "\n".join(lines)


@dataclass(frozen=True)
class Kpi:
    """One key figure of a run: what it is, its value, its unit and which way is better.

    ``value`` is the raw number (currency, km, minutes, a count or a percentage), never a
    formatted string; the faces format it. ``higher_is_better`` is ``None`` where neither
    direction is better (a count of routes, say).
    """

    label: str
    value: float
    unit: str = ""
    higher_is_better: bool | None = None
