"""One way to solve a PuLP model: HiGHS (through highspy) by default, CBC as fallback.

Every solve has a time limit and a relative gap, and every outcome maps to a
:class:`~optimizer.results.Status` with the solver's own objective, best bound and gap.
PuLP's own ``status`` is not enough: it says "Optimal" when HiGHS stops at its time limit
with a plan that is still some way from optimal, so the solver is asked directly.

Solvers are silenced through their own options (HiGHS ``output_flag`` and ``log_to_console``,
CBC's ``msg``), never by redirecting the process's file descriptors. CBC runs as a child
process of PuLP's: an interrupted solve ends it rather than leaving it running.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import re
import signal
import tempfile
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import pulp

from optimizer.results import SolverReport, Status, relative_gap

__all__ = ["DEFAULT_GAP", "DEFAULT_TIME_LIMIT_S", "SolverName", "available_solvers", "solve_milp"]

SolverName = Literal["auto", "highs", "cbc"]
DEFAULT_TIME_LIMIT_S = 60.0
DEFAULT_GAP = 1e-4


@functools.cache
def _installed() -> tuple[str, ...]:
    return tuple(pulp.listSolvers(onlyAvailable=True))


def available_solvers() -> list[str]:
    """The MILP solvers this installation can use, preferred first."""
    found = _installed()
    names = []
    if "HiGHS" in found:
        names.append("highs")
    if "PULP_CBC_CMD" in found:
        names.append("cbc")
    return names


def solve_milp(
    problem: pulp.LpProblem,
    *,
    solver: SolverName = "auto",
    time_limit: float = DEFAULT_TIME_LIMIT_S,
    gap: float = DEFAULT_GAP,
    threads: int | None = None,
    msg: bool = False,
    warm_start: bool = False,
) -> SolverReport:
    """Solve ``problem`` in place and report how it went.

    Parameters
    ----------
    problem
        A PuLP model; its variables hold the plan afterwards when the status has one.
    solver
        ``"highs"``, ``"cbc"``, or ``"auto"`` (HiGHS when installed, otherwise CBC; CBC also
        when HiGHS fails with an error).
    time_limit
        Seconds the solver may run.
    gap
        Relative MIP gap at which the solver may stop and call the plan optimal.
    warm_start
        Hand the solver the values the variables hold now (``LpVariable.setInitialValue``
        or an earlier solve of the same problem) as a starting plan. The plan should be
        complete (every variable has a value); HiGHS ignores an infeasible one.
    """
    if time_limit <= 0:
        raise ValueError(f"time_limit must be positive, got {time_limit}")
    if not 0 <= gap < 1:
        raise ValueError(f"gap must be in [0, 1), got {gap}")
    names = available_solvers()
    if solver == "auto":
        order = names
    elif solver in names:
        order = [solver]
    else:
        return SolverReport(solver, Status.ERROR, 0.0, message=f"solver {solver} is not installed")
    if not order:
        return SolverReport(solver, Status.ERROR, 0.0, message="no MILP solver is installed")
    report = SolverReport(order[0], Status.ERROR, 0.0, message="not run")
    for name in order:
        run = _solve_highs if name == "highs" else _solve_cbc
        report = run(
            problem,
            time_limit=time_limit,
            gap=gap,
            threads=threads,
            msg=msg,
            warm_start=warm_start,
        )
        if report.status is not Status.ERROR:
            break
    return report


class _HighsCommand(pulp.HiGHS):
    """PuLP's HiGHS interface, quiet from its first call and optionally warm-started.

    PuLP creates ``highspy.Highs()`` and only then sets ``output_flag``; but the constructor
    already makes a call that prints HiGHS' banner while the option still has its default.
    Here the option is set before that call (:func:`_quiet_highs`).
    """

    def __init__(self, *, warm_start: bool = False, **options: Any) -> None:
        super().__init__(**options)
        self.warm_start = warm_start

    def createAndConfigureSolver(self, lp: pulp.LpProblem) -> None:
        if self.msg:
            super().createAndConfigureSolver(lp)
            return
        model = _quiet_highs()
        if self.gapRel is not None:
            model.setOptionValue("mip_rel_gap", self.gapRel)
        if self.gapAbs is not None:
            model.setOptionValue("mip_abs_gap", self.gapAbs)
        if self.threads is not None:
            model.setOptionValue("threads", self.threads)
        if self.timeLimit is not None:
            model.setOptionValue("time_limit", float(self.timeLimit))
        for key, value in self.optionsDict.items():  # HiGHS options given by name
            model.setOptionValue(key, value)
        lp.solverModel = model

    def callSolver(self, lp: pulp.LpProblem) -> None:
        import highspy

        values = [v.varValue for v in lp.variables()]  # the column order of buildSolverModel
        if self.warm_start and values and all(value is not None for value in values):
            start = highspy.HighsSolution()
            start.col_value = [float(value) for value in values]
            start.value_valid = True
            lp.solverModel.setSolution(start)
        lp.solverModel.run()


@functools.cache
def _quiet_highs_class() -> type:
    import highspy

    class QuietHighs(highspy.Highs):
        """``highspy.Highs`` whose constructor turns the output off before its first call."""

        def enableCallbacks(self) -> Any:  # the constructor's first HiGHS call
            self.setOptionValue("output_flag", False)
            self.setOptionValue("log_to_console", False)
            return super().enableCallbacks()

    return QuietHighs


def _quiet_highs() -> Any:
    """A ``highspy.Highs`` that never logs (not even the banner)."""
    return _quiet_highs_class()()


def _solve_highs(
    problem: pulp.LpProblem,
    *,
    time_limit: float,
    gap: float,
    threads: int | None,
    msg: bool,
    warm_start: bool = False,
) -> SolverReport:
    import highspy

    quiet = {} if msg else {"output_flag": False, "log_to_console": False}
    command = _HighsCommand(
        warm_start=warm_start,
        msg=msg,
        timeLimit=time_limit,
        gapRel=gap,
        threads=threads,
        **quiet,
    )
    start = time.perf_counter()
    try:
        problem.solve(command)
    except Exception as exc:  # the solver's own failure becomes a status, not a crash
        return SolverReport("highs", Status.ERROR, time.perf_counter() - start, message=str(exc))
    runtime = time.perf_counter() - start
    model = problem.solverModel
    status = model.getModelStatus()
    info = model.getInfo()
    has_plan = info.primal_solution_status == 2  # kSolutionStatusFeasible
    objective = _objective(problem) if has_plan else math.nan
    is_mip = any(v.cat == pulp.LpInteger for v in problem.variables())
    bound = float(info.mip_dual_bound) if is_mip else objective
    if is_mip and problem.sense == pulp.LpMaximize:
        bound = -bound  # PuLP hands HiGHS the negated objective of a maximisation
    kind = highspy.HighsModelStatus
    if status == kind.kOptimal:
        result = Status.OPTIMAL
    elif status in (kind.kInfeasible, kind.kUnboundedOrInfeasible):
        result = Status.INFEASIBLE
    elif status == kind.kUnbounded:
        result = Status.UNBOUNDED
    elif status in (
        kind.kTimeLimit,
        kind.kIterationLimit,
        kind.kInterrupt,
        kind.kSolutionLimit,
        kind.kObjectiveBound,
        kind.kObjectiveTarget,
    ):
        result = Status.FEASIBLE if has_plan else Status.NO_SOLUTION
    else:
        return SolverReport(
            "highs", Status.ERROR, runtime, message=model.modelStatusToString(status)
        )
    if not result.has_solution:
        return SolverReport("highs", result, runtime, message=model.modelStatusToString(status))
    if not math.isfinite(bound):
        bound = objective if result is Status.OPTIMAL else math.nan
    return SolverReport(
        "highs",
        result,
        runtime,
        objective,
        bound,
        _gap(result, objective, bound),
        message=model.modelStatusToString(status),
    )


_CBC_NUMBER = r"(-?[0-9.eE+-]+)"


def _solve_cbc(
    problem: pulp.LpProblem,
    *,
    time_limit: float,
    gap: float,
    threads: int | None,
    msg: bool,
    warm_start: bool = False,
) -> SolverReport:
    with tempfile.TemporaryDirectory(prefix="coop-cbc-") as tmp:
        log = Path(tmp) / "cbc.log"
        with warnings.catch_warnings():
            # PuLP 3 warns that its bundled CBC goes away in PuLP 4; the project pins PuLP < 4
            warnings.simplefilter("ignore", DeprecationWarning)
            command = pulp.PULP_CBC_CMD(
                msg=msg,
                timeLimit=time_limit,
                gapRel=gap,
                threads=threads,
                logPath=str(log),
                warmStart=warm_start,
            )
        start = time.perf_counter()
        try:
            with _children_end_on_interrupt(command.path):
                problem.solve(command)
        except Exception as exc:
            return SolverReport("cbc", Status.ERROR, time.perf_counter() - start, message=str(exc))
        runtime = time.perf_counter() - start
        text = log.read_text(errors="replace") if log.exists() else ""
    result_line = next((ln for ln in text.splitlines() if ln.startswith("Result - ")), "")
    sol = problem.sol_status
    if sol == pulp.LpSolutionInfeasible or "infeasible" in result_line.lower():
        return SolverReport("cbc", Status.INFEASIBLE, runtime, message=result_line)
    if sol == pulp.LpSolutionUnbounded or "unbounded" in result_line.lower():
        return SolverReport("cbc", Status.UNBOUNDED, runtime, message=result_line)
    if sol == pulp.LpSolutionNoSolutionFound:
        status = Status.NO_SOLUTION if "time" in result_line.lower() else Status.ERROR
        return SolverReport("cbc", status, runtime, message=result_line or "no solution")
    objective = _objective(problem)
    stopped = "stopped" in result_line.lower()
    result = (
        Status.FEASIBLE if (sol == pulp.LpSolutionIntegerFeasible or stopped) else Status.OPTIMAL
    )
    bound = objective
    found = re.search(r"^(?:Lower|Upper) bound:\s+" + _CBC_NUMBER, text, re.MULTILINE)
    if found and result is Status.FEASIBLE:
        bound = float(found.group(1))
    elif result is Status.FEASIBLE:
        bound = math.nan
    return SolverReport(
        "cbc",
        result,
        runtime,
        objective,
        bound,
        _gap(result, objective, bound),
        message=result_line,
    )


@contextlib.contextmanager
def _children_end_on_interrupt(executable: str) -> Iterator[None]:
    """End this process's children running ``executable`` when the block is interrupted.

    PuLP starts CBC with ``subprocess.Popen`` and keeps no handle to it; a KeyboardInterrupt
    (or any other escape) while PuLP waits would leave CBC solving until its time limit.
    """
    try:
        yield
    except BaseException:
        _end_children(executable)
        raise


def _end_children(executable: str) -> None:
    """Kill the child processes of this process whose program is ``executable`` (Linux)."""
    me = os.getpid()
    try:
        target = os.path.realpath(executable)
        entries = list(Path("/proc").iterdir())
    except OSError:  # no /proc: nothing to look at (the child ends at its time limit)
        return
    for entry in entries:
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == me and os.path.realpath(entry / "exe") == target:
                os.kill(int(entry.name), signal.SIGKILL)
        except (OSError, ValueError, IndexError):  # gone meanwhile, or not ours to read
            continue


def _objective(problem: pulp.LpProblem) -> float:
    value = pulp.value(problem.objective) if problem.objective is not None else 0.0
    return float(value) if value is not None else 0.0


def _gap(status: Status, objective: float, bound: float) -> float:
    gap = relative_gap(objective, bound)
    if status is Status.OPTIMAL and not math.isfinite(gap):
        return 0.0
    return gap
