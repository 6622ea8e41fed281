"""A MILP as arrays (optimizer/solver_matrix.py): HiGHS directly and CBC through PuLP agree
on known optima, and every outcome maps to a status as in solve_milp."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp

from optimizer.results import Status
from optimizer.solver_matrix import MatrixMilp, solve_matrix, to_pulp

SOLVERS = ["highs", "cbc"]


def small(maximise: bool = True, lower_row: float = -math.inf) -> MatrixMilp:
    """max 5a + 4b s.t. 6a + 4b <= 24, a + 2b <= 6 (and a + b >= ``lower_row``), a, b whole.

    By hand: the LP optimum is a = 3, b = 1.5 (21); whole points: (4, 0) 20, (3, 1) 19,
    (2, 2) 18, (0, 3) 12, so the optimum is 20 at (4, 0).
    """
    return MatrixMilp(
        cost=np.array([5.0, 4.0]),
        lower=np.zeros(2),
        upper=np.full(2, math.inf),
        integer=np.array([True, True]),
        matrix=sp.csr_matrix(np.array([[6.0, 4.0], [1.0, 2.0], [1.0, 1.0]])),
        row_lower=np.array([-math.inf, -math.inf, lower_row]),
        row_upper=np.array([24.0, 6.0, math.inf]),
        maximise=maximise,
    )


@pytest.mark.parametrize("solver", SOLVERS)
def test_known_optimum(solver: str) -> None:
    report, x = solve_matrix(small(), solver=solver, time_limit=10, gap=0)  # type: ignore[arg-type]
    assert report.solver == solver and report.status is Status.OPTIMAL
    assert x is not None and x.tolist() == pytest.approx([4.0, 0.0])
    assert report.objective == pytest.approx(20.0) == 5 * x[0] + 4 * x[1]
    assert report.bound == pytest.approx(20.0) and report.gap == pytest.approx(0, abs=1e-9)


@pytest.mark.parametrize("solver", SOLVERS)
def test_minimisation_with_an_equality_and_continuous_columns(solver: str) -> None:
    # min 2a + 3b with a + b = 4, a <= 1.5, both continuous: a = 1.5, b = 2.5, cost 10.5
    milp = MatrixMilp(
        cost=np.array([2.0, 3.0]),
        lower=np.zeros(2),
        upper=np.array([1.5, math.inf]),
        integer=np.zeros(2, dtype=bool),
        matrix=sp.csr_matrix(np.array([[1.0, 1.0]])),
        row_lower=np.array([4.0]),
        row_upper=np.array([4.0]),
        maximise=False,
    )
    report, x = solve_matrix(milp, solver=solver, time_limit=10, gap=0)  # type: ignore[arg-type]
    assert report.status is Status.OPTIMAL and report.objective == pytest.approx(10.5)
    assert x is not None and x.tolist() == pytest.approx([1.5, 2.5])


@pytest.mark.parametrize("solver", SOLVERS)
def test_infeasible_has_no_plan(solver: str) -> None:
    # a + b >= 7 cannot hold: with 6a + 4b <= 24 and a + 2b <= 6, a + b is at most 4.5
    milp = small(lower_row=7.0)
    report, x = solve_matrix(milp, solver=solver, time_limit=10, gap=0)  # type: ignore[arg-type]
    assert report.status is Status.INFEASIBLE and x is None
    assert math.isnan(report.objective)


@pytest.mark.parametrize("solver", SOLVERS)
def test_a_starting_plan_keeps_the_optimum(solver: str) -> None:
    start = np.array([3.0, 1.0])  # feasible, 19
    report, x = solve_matrix(small(), solver=solver, time_limit=10, gap=0, start=start)  # type: ignore[arg-type]
    assert report.status is Status.OPTIMAL and report.objective == pytest.approx(20.0)
    assert x is not None and x.tolist() == pytest.approx([4.0, 0.0])


def test_the_pulp_model_has_the_same_rows() -> None:
    problem, variables = to_pulp(small(lower_row=1.0))
    assert [v.name for v in variables] == ["x0", "x1"]
    assert all(v.cat == "Integer" and v.lowBound == 0 and v.upBound is None for v in variables)
    rows = sorted(
        (sorted((v.name, c) for v, c in r.items()), r.constant) for r in problem.constraints()
    )
    # pulp keeps "expr <= rhs" as expr - rhs <= 0 (constant -rhs), ">=" likewise
    assert rows == sorted(
        [
            ([("x0", 1.0), ("x1", 1.0)], -1.0),
            ([("x0", 1.0), ("x1", 2.0)], -6.0),
            ([("x0", 6.0), ("x1", 4.0)], -24.0),
        ]
    )
    senses = sorted(r.sense for r in problem.constraints())
    assert senses == sorted([-1, -1, 1])  # two "<=" rows and one ">="


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="time_limit"):
        solve_matrix(small(), time_limit=0, gap=0)
    with pytest.raises(ValueError, match="gap"):
        solve_matrix(small(), time_limit=1, gap=1)
