"""The solver layer: known optima with both solvers, and every outcome mapped to a status."""

from __future__ import annotations

import math
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pulp
import pytest

from optimizer import Status, available_solvers, solve_milp
from optimizer.errors import InputError
from optimizer.leftovers import children_end_on_interrupt
from optimizer.results import SolverReport, relative_gap
from optimizer.solver import CBC_FOLDER_PREFIX, SOLVER_ENV, THREADS_ENV

SOLVERS = ["highs", "cbc"]


def knapsack() -> tuple[pulp.LpProblem, list[pulp.LpVariable]]:
    """Values 10, 13, 7, 8; weights 4, 6, 3, 4; capacity 10.

    By hand: {1, 2} weighs 10 for 23, {0, 1} 10 for 23, {0, 2} 7 for 17, {0, 2, 3} 11 (too
    heavy), {1, 3} 10 for 21, {0, 3} 8 for 18, {2, 3} 7 for 15 ... the optimum is 23
    (either {0, 1} or {1, 2}).
    """
    problem = pulp.LpProblem("knapsack", pulp.LpMaximize)
    x = [problem.add_variable(f"x{i}", cat=pulp.LpBinary) for i in range(4)]
    problem += 10 * x[0] + 13 * x[1] + 7 * x[2] + 8 * x[3]
    problem += 4 * x[0] + 6 * x[1] + 3 * x[2] + 4 * x[3] <= 10
    return problem, x


def check_knapsack(x: list[pulp.LpVariable]) -> float:
    """Independent check: the chosen items fit, and their value recomputed."""
    chosen = [i for i, v in enumerate(x) if round(v.value()) == 1]
    weight = sum([4, 6, 3, 4][i] for i in chosen)
    assert weight <= 10
    return float(sum([10, 13, 7, 8][i] for i in chosen))


def test_both_solvers_are_installed() -> None:
    assert available_solvers() == ["highs", "cbc"]


@pytest.mark.parametrize("solver", SOLVERS)
def test_known_optimum(solver: str) -> None:
    problem, x = knapsack()
    report = solve_milp(problem, solver=solver, time_limit=10)  # type: ignore[arg-type]
    assert report.solver == solver
    assert report.status is Status.OPTIMAL
    assert report.objective == pytest.approx(23)
    assert report.bound == pytest.approx(23) and report.gap == pytest.approx(0, abs=1e-9)
    assert check_knapsack(x) == pytest.approx(report.objective)


@pytest.mark.parametrize("solver", SOLVERS)
def test_minimisation_with_continuous_variables(solver: str) -> None:
    # min 2a + 3b with a + b >= 4, a <= 1.5: a = 1.5, b = 2.5, cost 10.5
    problem = pulp.LpProblem("lp", pulp.LpMinimize)
    a = problem.add_variable("a", 0, 1.5)
    b = problem.add_variable("b", 0)
    problem += 2 * a + 3 * b
    problem += a + b >= 4
    report = solve_milp(problem, solver=solver, time_limit=10)  # type: ignore[arg-type]
    assert report.status is Status.OPTIMAL and report.objective == pytest.approx(10.5)
    assert 2 * a.value() + 3 * b.value() == pytest.approx(10.5)


@pytest.mark.parametrize("solver", SOLVERS)
def test_infeasible(solver: str) -> None:
    problem = pulp.LpProblem("infeasible", pulp.LpMinimize)
    x = problem.add_variable("x", 0, 1, cat=pulp.LpInteger)
    problem += x
    problem += x >= 2
    report = solve_milp(problem, solver=solver, time_limit=10)  # type: ignore[arg-type]
    assert report.status is Status.INFEASIBLE
    assert not report.status.has_solution and math.isnan(report.objective)


def hard_multi_knapsack(n: int = 70, m: int = 30, seed: int = 3) -> pulp.LpProblem:
    """Correlated multi-dimensional knapsack: far too hard to prove optimal in 1 s."""
    rng = random.Random(seed)
    problem = pulp.LpProblem("hard", pulp.LpMaximize)
    x = [problem.add_variable(f"x{i}", cat=pulp.LpBinary) for i in range(n)]
    weights = [[rng.randint(1000, 2000) for _ in range(n)] for _ in range(m)]
    problem += pulp.lpSum((weights[0][i] + rng.randint(0, 9)) * x[i] for i in range(n))
    for row in weights:
        problem += pulp.lpSum(row[i] * x[i] for i in range(n)) <= 20_000
    return problem


@pytest.mark.parametrize("solver", SOLVERS)
def test_time_limit_with_a_plan_is_feasible_with_its_gap(solver: str) -> None:
    problem = hard_multi_knapsack()
    report = solve_milp(problem, solver=solver, time_limit=1, gap=0)  # type: ignore[arg-type]
    assert report.status is Status.FEASIBLE
    assert report.bound >= report.objective > 0  # a maximisation: the bound is above
    assert report.gap == pytest.approx(relative_gap(report.objective, report.bound))
    assert report.gap > 0
    assert report.runtime_s < 30


def test_summary_words() -> None:
    report = SolverReport("highs", Status.FEASIBLE, 1.0, 100.0, 101.0, 0.01)
    assert "gap 1.000%" in report.summary()
    assert SolverReport("cbc", Status.NO_SOLUTION, 2.0).summary().startswith("no_solution")


def test_bad_arguments() -> None:
    problem, _ = knapsack()
    with pytest.raises(ValueError, match="time_limit"):
        solve_milp(problem, time_limit=0)
    with pytest.raises(ValueError, match="gap"):
        solve_milp(problem, gap=1.5)


@pytest.mark.parametrize("solver", SOLVERS)
def test_warm_start_keeps_the_optimum(solver: str) -> None:
    problem, x = knapsack()
    for var, value in zip(x, [1, 0, 1, 0], strict=True):  # {0, 2}: feasible, worth 17
        var.setInitialValue(value)
    report = solve_milp(problem, solver=solver, time_limit=10, warm_start=True)  # type: ignore[arg-type]
    assert report.status is Status.OPTIMAL and report.objective == pytest.approx(23)
    assert check_knapsack(x) == pytest.approx(23)


@pytest.mark.parametrize("solver", SOLVERS)
def test_a_solve_prints_nothing_and_never_redirects_stdout(
    solver: str, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_dup2(*args: object) -> None:
        raise AssertionError(f"os.dup2{args}: the solver must be silenced by its own options")

    problem, x = knapsack()
    monkeypatch.setattr(os, "dup2", no_dup2)
    report = solve_milp(problem, solver=solver, time_limit=10)  # type: ignore[arg-type]
    monkeypatch.undo()
    assert report.status is Status.OPTIMAL
    assert check_knapsack(x) == pytest.approx(report.objective) == 23
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_an_interrupted_solve_leaves_no_solver_process() -> None:
    # PuLP starts CBC with Popen and keeps no handle; a stand-in child plays CBC here
    program = shutil.which("sleep")
    assert program is not None
    with pytest.raises(KeyboardInterrupt), children_end_on_interrupt(program):
        child = subprocess.Popen([program, "30"])
        raise KeyboardInterrupt
    assert child.wait(timeout=10) == -signal.SIGKILL


def test_solver_options_reach_highs_by_their_own_names() -> None:
    problem, x = knapsack()
    report = solve_milp(
        problem, solver="highs", time_limit=10, options={"mip_feasibility_tolerance": 1e-9}
    )
    assert report.status is Status.OPTIMAL and check_knapsack(x) == pytest.approx(23)
    assert problem.solverModel.getOptionValue("mip_feasibility_tolerance")[1] == 1e-9


def test_highs_runs_on_one_thread_unless_told(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(THREADS_ENV, raising=False)
    for msg in (False, True):  # PuLP's own set-up (msg=True) gets the same setting
        problem, x = knapsack()
        report = solve_milp(problem, solver="highs", time_limit=10, msg=msg)
        assert report.status is Status.OPTIMAL and check_knapsack(x) == pytest.approx(23)
        assert problem.solverModel.getOptionValue("threads")[1] == 1
    problem, _ = knapsack()
    solve_milp(problem, solver="highs", time_limit=10, threads=2)
    assert problem.solverModel.getOptionValue("threads")[1] == 2
    monkeypatch.setenv(THREADS_ENV, "0")
    problem, _ = knapsack()
    solve_milp(problem, solver="highs", time_limit=10)
    assert problem.solverModel.getOptionValue("threads")[1] == 0
    for bad in ("two", "-1", "1000"):
        monkeypatch.setenv(THREADS_ENV, bad)
        with pytest.raises(InputError, match=THREADS_ENV):
            solve_milp(knapsack()[0], solver="highs", time_limit=10)


def test_highs_options_reach_highs_only_and_options_win(monkeypatch: pytest.MonkeyPatch) -> None:
    problem, x = knapsack()
    report = solve_milp(
        problem,
        solver="highs",
        time_limit=10,
        options={"mip_heuristic_run_rins": True},
        highs_options={"mip_allow_restart": False, "mip_heuristic_run_rins": False},
    )
    assert report.status is Status.OPTIMAL and check_knapsack(x) == pytest.approx(23)
    assert problem.solverModel.getOptionValue("mip_allow_restart")[1] is False
    assert problem.solverModel.getOptionValue("mip_heuristic_run_rins")[1] is True
    # CBC does not know HiGHS' names: its command line never carries them
    started: list[list[str]] = []
    popen = subprocess.Popen

    def record(args: list[str], **kwargs: object) -> object:
        started.append(list(args))
        return popen(args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(subprocess, "Popen", record)
    monkeypatch.setenv(SOLVER_ENV, "cbc")
    problem, x = knapsack()
    report = solve_milp(problem, time_limit=10, highs_options={"mip_allow_restart": False})
    assert report.solver == "cbc" and report.status is Status.OPTIMAL
    assert check_knapsack(x) == pytest.approx(23)
    assert started and not any("mip_allow_restart" in " ".join(args) for args in started)


def test_a_node_limit_stops_highs_with_its_plan_or_none() -> None:
    # PuLP has no status for HiGHS' node limit (kSolutionLimit): it was an error, and "auto"
    # went on to solve again with CBC; it is a stop like a time limit
    problem, _ = knapsack()
    report = solve_milp(problem, time_limit=10, options={"mip_max_nodes": 0})
    assert (report.solver, report.status) == ("highs", Status.NO_SOLUTION)
    problem, x = knapsack()
    for variable, value in zip(x, [1, 0, 1, 0], strict=True):  # items 0 and 2: 17 by hand
        variable.setInitialValue(value)
    report = solve_milp(problem, time_limit=10, warm_start=True, options={"mip_max_nodes": 0})
    assert (report.solver, report.status) == ("highs", Status.FEASIBLE)
    assert report.objective == pytest.approx(17) and check_knapsack(x) == pytest.approx(17)


def test_cbc_gets_its_options_and_dies_with_its_parent(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[tuple[list[str], object]] = []
    popen = subprocess.Popen

    def record(args: list[str], **kwargs: object) -> object:
        started.append((list(args), kwargs.get("preexec_fn")))
        return popen(args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(subprocess, "Popen", record)
    problem, x = knapsack()
    report = solve_milp(problem, solver="cbc", time_limit=10, options={"cuts": "off"})
    assert report.status is Status.OPTIMAL and check_knapsack(x) == pytest.approx(23)
    [(args, preexec)] = started
    assert " -cuts off " in f" {' '.join(args)} "
    assert preexec is not None or not sys.platform.startswith("linux")


def test_the_environment_chooses_the_solver_for_auto(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SOLVER_ENV, "cbc")
    problem, x = knapsack()
    report = solve_milp(problem, time_limit=10)
    assert report.solver == "cbc" and report.status is Status.OPTIMAL
    assert check_knapsack(x) == pytest.approx(23)
    assert solve_milp(knapsack()[0], solver="highs", time_limit=10).solver == "highs"
    monkeypatch.setenv(SOLVER_ENV, "gurobi")
    with pytest.raises(InputError, match=SOLVER_ENV):
        solve_milp(knapsack()[0], time_limit=10)


def test_a_cbc_solve_leaves_no_file_and_sweeps_those_of_killed_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead = subprocess.Popen(["true"])
    dead.wait()
    leftover = tmp_path / f"{CBC_FOLDER_PREFIX}{dead.pid}-x1"  # of a run killed with SIGKILL
    leftover.mkdir()
    (leftover / "model-pulp.mps").write_text("NAME")
    alive = tmp_path / f"{CBC_FOLDER_PREFIX}{os.getppid()}-x2"  # of a run still solving
    alive.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    problem, x = knapsack()
    assert solve_milp(problem, solver="cbc", time_limit=10).status is Status.OPTIMAL
    assert check_knapsack(x) == pytest.approx(23)
    assert sorted(tmp_path.iterdir()) == [alive]
