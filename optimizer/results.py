"""Status and solver-report types shared by every model."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["SolverReport", "Status"]


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
