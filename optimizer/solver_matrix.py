"""A MILP given as arrays, solved by HiGHS directly or by CBC through PuLP.

For models whose rows are built with numpy: writing tens of thousands of variables through a
modelling layer costs far more than the solve (issue 16: the hubs model spent about half its
time in PuLP). :class:`MatrixMilp` holds the columns (objective, bounds, integrality) and the
rows as one sparse matrix with row bounds; :func:`solve_matrix` hands them to ``highspy`` in
one call, with the time limit, gap, interrupt handling and status reading of
:mod:`optimizer.solver`. CBC (chosen, or as the fallback when HiGHS fails) gets the same
arrays as a PuLP model (:func:`to_pulp`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pulp
import scipy.sparse as sp

from optimizer.results import SolverReport, Status
from optimizer.solver import (
    SolverName,
    _chosen_by_environment,
    _gap,
    _quiet_highs,
    _run_interruptibly,
    available_solvers,
    highs_status,
    solve_milp,
)

__all__ = ["MatrixMilp", "solve_matrix", "to_pulp"]


@dataclass(frozen=True, eq=False)
class MatrixMilp:
    """``max (or min) cost·x`` s.t. ``row_lower <= matrix·x <= row_upper``,
    ``lower <= x <= upper``, ``x[integer]`` whole. Infinite bounds are ``±inf``."""

    cost: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    integer: np.ndarray
    matrix: sp.csr_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    maximise: bool = True

    @property
    def n_cols(self) -> int:
        return int(self.cost.size)


def solve_matrix(
    milp: MatrixMilp,
    *,
    solver: SolverName = "auto",
    time_limit: float,
    gap: float,
    start: np.ndarray | None = None,
    highs_options: Mapping[str, Any] | None = None,
) -> tuple[SolverReport, np.ndarray | None]:
    """Solve ``milp``; the report and the column values (``None`` without a plan).

    ``start`` is a complete starting plan (HiGHS ignores an infeasible one). ``solver`` as
    for :func:`~optimizer.solver.solve_milp`: ``"auto"`` is HiGHS when installed, with CBC
    when HiGHS fails with an error. ``highs_options`` by HiGHS' own names, for HiGHS only
    (not ``threads``: HiGHS fixes it for the process at its first solve).
    """
    if time_limit <= 0:
        raise ValueError(f"time_limit must be positive, got {time_limit}")
    if not 0 <= gap < 1:
        raise ValueError(f"gap must be in [0, 1), got {gap}")
    if solver == "auto":
        solver = _chosen_by_environment()
    if solver != "cbc" and "highs" in available_solvers():
        options = dict(highs_options or {})
        report, x = _solve_highs(milp, time_limit=time_limit, gap=gap, start=start, **options)
        if report.status is not Status.ERROR or solver == "highs":
            return report, x
    problem, variables = to_pulp(milp)
    if start is not None:
        for var, value in zip(variables, start, strict=True):
            var.setInitialValue(float(value))
    report = solve_milp(
        problem,
        solver="cbc",
        time_limit=time_limit,
        gap=gap,
        warm_start=start is not None,
    )
    if not report.status.has_solution:
        return report, None
    return report, np.array([v.varValue or 0.0 for v in variables])


def to_pulp(milp: MatrixMilp, name: str = "matrix") -> tuple[pulp.LpProblem, list[Any]]:
    """The same MILP as a PuLP model, and its variables in column order (``x0, x1, …``)."""
    sense = pulp.LpMaximize if milp.maximise else pulp.LpMinimize
    problem = pulp.LpProblem(name, sense)
    variables = [
        problem.add_variable(
            f"x{j}",
            None if math.isinf(lo) else float(lo),
            None if math.isinf(hi) else float(hi),
            cat="Integer" if whole else "Continuous",
        )
        for j, (lo, hi, whole) in enumerate(zip(milp.lower, milp.upper, milp.integer, strict=True))
    ]
    problem += pulp.LpAffineExpression(
        [(variables[j], float(milp.cost[j])) for j in np.flatnonzero(milp.cost)]
    )
    a = milp.matrix
    for i in range(a.shape[0]):
        cols = a.indices[a.indptr[i] : a.indptr[i + 1]]
        vals = a.data[a.indptr[i] : a.indptr[i + 1]]
        expr = pulp.LpAffineExpression(
            [(variables[j], float(v)) for j, v in zip(cols, vals, strict=True)]
        )
        lo, hi = float(milp.row_lower[i]), float(milp.row_upper[i])
        if lo == hi:
            problem += pulp.LpConstraint(expr, pulp.LpConstraintEQ, rhs=lo)
            continue
        if math.isfinite(lo):
            problem += pulp.LpConstraint(expr, pulp.LpConstraintGE, rhs=lo)
        if math.isfinite(hi):
            problem += pulp.LpConstraint(expr, pulp.LpConstraintLE, rhs=hi)
    return problem, variables


def _solve_highs(
    milp: MatrixMilp, *, time_limit: float, gap: float, start: np.ndarray | None, **options: Any
) -> tuple[SolverReport, np.ndarray | None]:
    import highspy

    began = time.perf_counter()
    model = _quiet_highs()
    model.setOptionValue("mip_rel_gap", gap)
    model.setOptionValue("time_limit", float(time_limit))
    for key, value in options.items():
        model.setOptionValue(key, value)
    lp = highspy.HighsLp()
    a = milp.matrix
    lp.num_col_, lp.num_row_ = milp.n_cols, int(a.shape[0])
    lp.col_cost_ = np.asarray(milp.cost, dtype=float)
    lp.col_lower_ = np.asarray(milp.lower, dtype=float)
    lp.col_upper_ = np.asarray(milp.upper, dtype=float)
    lp.row_lower_ = np.asarray(milp.row_lower, dtype=float)
    lp.row_upper_ = np.asarray(milp.row_upper, dtype=float)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = lp.num_col_, lp.num_row_
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data.astype(float)
    lp.sense_ = highspy.ObjSense.kMaximize if milp.maximise else highspy.ObjSense.kMinimize
    is_mip = bool(milp.integer.any())
    if is_mip:
        lp.integrality_ = [
            highspy.HighsVarType.kInteger if whole else highspy.HighsVarType.kContinuous
            for whole in milp.integer
        ]
    try:
        model.passModel(lp)
        if start is not None:
            solution = highspy.HighsSolution()
            solution.col_value = np.asarray(start, dtype=float)
            solution.value_valid = True
            model.setSolution(solution)
        _run_interruptibly(model)
    except Exception as exc:  # the solver's own failure becomes a status, not a crash
        elapsed = time.perf_counter() - began
        return SolverReport("highs", Status.ERROR, elapsed, message=str(exc)), None
    runtime = time.perf_counter() - began
    info = model.getInfo()
    has_plan = info.primal_solution_status == 2  # kSolutionStatusFeasible
    objective = float(info.objective_function_value) if has_plan else math.nan
    bound = float(info.mip_dual_bound) if is_mip else objective
    status = highs_status(model, has_plan)
    message = model.modelStatusToString(model.getModelStatus())
    if not status.has_solution:  # ERROR included
        return SolverReport("highs", status, runtime, message=message), None
    if not math.isfinite(bound):
        bound = objective if status is Status.OPTIMAL else math.nan
    x = np.asarray(model.getSolution().col_value, dtype=float)
    gap_found = _gap(status, objective, bound)
    return SolverReport("highs", status, runtime, objective, bound, gap_found, message), x
