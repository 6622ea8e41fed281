"""The robust hubs plan as one MILP: a copy of the hubs model per sample, sharing ``y``.

The deterministic equivalent of :mod:`optimizer.models.hubs.robust` (its docstring gives the
formulation). Exact for any number of candidate hubs, but its size grows with the samples.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pulp

from optimizer.models.hubs.data import HubData, HubResult, value_of_plan
from optimizer.models.hubs.robust_fixed import Outcome, planless, second_stage, seconds_left
from optimizer.models.hubs.solve import _HubModel, plan_fields
from optimizer.results import Status, relative_gap, worst_status
from optimizer.solver import SolverName, solve_milp

__all__ = ["joint_plan"]


def joint_plan(
    samples: Sequence[HubData],
    weights: np.ndarray,
    kind: str,
    own_values: np.ndarray,
    *,
    deadline: float,
    gap: float,
    solver: SolverName,
) -> Outcome:
    """Solve the deterministic equivalent; for ``kind == "regret"`` each sample's second
    stage is then re-planned with the hubs fixed (the joint model only bounds the worst
    regret, so it leaves the other samples' flows free to be worse than they need be)."""
    joint = _Joint(samples, weights, kind, own_values)
    report = solve_milp(joint.problem, solver=solver, time_limit=seconds_left(deadline), gap=gap)
    if not report.status.has_solution:
        return planless(report.status, report.message)
    open_hubs = tuple(int(h) for h in np.flatnonzero(joint.open_mask()))
    plans = tuple(joint.result(s, report.status, report.gap) for s in range(len(samples)))
    value, bound = report.objective, report.bound
    if kind == "regret":
        plans = tuple(
            second_stage(d, open_hubs, seconds_left(deadline), gap, solver) for d in samples
        )
        if not all(p.status.has_solution for p in plans):
            status = worst_status(p.status for p in plans)
            return planless(status, "a sample has no plan with the robust hubs fixed")
        value = float(np.max(own_values - np.array([p.objective for p in plans])))
        bound = -report.bound
    status = worst_status([report.status, *(p.status for p in plans)])
    return Outcome(
        status=status,
        objective=value,
        bound=bound,
        gap=report.gap if status is Status.OPTIMAL else relative_gap(value, bound),
        open_hubs=open_hubs,
        plans=plans,
        solver=report.solver,
        message=report.message,
    )


class _Joint:
    """The deterministic equivalent: one copy of the hubs MILP per sample, sharing ``y``."""

    def __init__(
        self,
        samples: Sequence[HubData],
        weights: np.ndarray,
        kind: str,
        own_values: np.ndarray,
    ) -> None:
        """Write the joint MILP: one formulation, written as maths (module docstring of
        :mod:`optimizer.models.hubs.robust`)."""
        self.samples = samples
        problem = pulp.LpProblem("robust_hubs", pulp.LpMaximize)
        self.problem = problem
        existing = samples[0].existing_mask
        self.y = [
            problem.add_variable(f"y_{h}", 1 if existing[h] else 0, 1, cat="Integer")
            for h in range(samples[0].n_hubs)
        ]
        regret = problem.add_variable("worst_regret") if kind == "regret" else None
        total: dict[pulp.LpVariable, float] = {}
        self.copies: list[_HubModel] = []
        for s, data in enumerate(samples):
            copy = _HubModel(data)
            own_y = {id(v): h for h, v in enumerate(copy.y)}
            for var in copy.problem.variables():
                var.name = f"s{s}_{var.name}"

            def shared(expr: pulp.LpAffineExpression, own_y: dict[int, int] = own_y) -> None:
                """Replace the copy's own ``y`` by the shared one, in place."""
                for var in [v for v in expr if id(v) in own_y]:
                    coef = expr.pop(var)
                    target = self.y[own_y[id(var)]]
                    expr[target] = expr.get(target, 0.0) + coef

            for i, row in enumerate(copy.problem.constraints()):
                shared(row.expr)
                problem.addConstraint(row, name=f"s{s}_c{i}")
            value = copy.problem.objective
            shared(value)
            if regret is None:
                for var, coef in value.items():
                    total[var] = total.get(var, 0.0) + weights[s] * coef
            else:
                # regret >= V*_s - V_s(x_s)
                problem += pulp.LpConstraint(
                    pulp.LpAffineExpression([(regret, 1.0), *value.items()]),
                    pulp.LpConstraintGE,
                    rhs=float(own_values[s]) - value.constant,
                    name=f"s{s}_regret",
                )
            copy.y = self.y
            self.copies.append(copy)
        if regret is None:
            problem += pulp.LpAffineExpression(list(total.items()))
        else:
            problem += pulp.LpAffineExpression([(regret, -1.0)])

    def open_mask(self) -> np.ndarray:
        return np.array([(v.varValue or 0.0) > 0.5 for v in self.y], dtype=bool)

    def result(self, s: int, status: Status, gap: float) -> HubResult:
        """Sample ``s``'s second stage as a hub plan (net value recomputed from the plan)."""
        data = self.samples[s]
        plan = self.copies[s].read()
        value = value_of_plan(data, plan)
        return HubResult(
            status=status,
            objective=value.net_value,
            bound=math.nan,
            gap=gap,
            runtime_s=0.0,
            value=value,
            solver="joint",
            **plan_fields(data, plan),
        )
