"""One way to solve a PuLP model: HiGHS (through highspy) by default, CBC as fallback.

Every solve has a time limit and a relative gap, and every outcome maps to a
:class:`~optimizer.results.Status` with the solver's own objective, best bound and gap.
PuLP's own ``status`` is not enough: it says "Optimal" when HiGHS stops at its time limit
with a plan that is still some way from optimal, so the solver is asked directly.

Solvers are silenced through their own options (HiGHS ``output_flag`` and ``log_to_console``,
CBC's ``msg``), never by redirecting the process's file descriptors.

A solve ends with the process that asked for it. HiGHS runs in C, where Python cannot deliver
Ctrl-C; on the main thread it runs on a helper thread while the main thread waits, and an
interrupt asks HiGHS to stop (its interrupt callback) before it is raised. CBC runs as a
child process of PuLP's: an interrupted solve kills it, and on Linux the child is also
killed by the system if its parent dies without cleaning up (SIGKILL). CBC's model and
solution files live in a folder named after the process (:mod:`optimizer.leftovers`),
removed after the solve, or by the next CBC solve when its owner was killed.

``$COOP_OPTIMIZER_SOLVER`` (``highs`` or ``cbc``) chooses the solver where the caller asks
for ``"auto"``, e.g. to run the command line on CBC.

HiGHS runs on one thread unless told otherwise (``threads=`` or
``$COOP_OPTIMIZER_SOLVER_THREADS``). Its automatic choice on this project's 2-core machine
started a second thread for every solve that mostly waited busily: a hubs sample of a sweep
took about 20 % more CPU with it (Mecklenburg, 20 samples twice: 339 and 384 ms against 289
and 277 ms with one thread), which two sweep workers, the app's sessions or a run store's
writer then lacked.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import re
import shutil
import threading
import time
import warnings
from collections.abc import Iterator, Mapping
from typing import Any, Literal

import pulp

from optimizer.errors import InputError, Problem
from optimizer.leftovers import children_end_on_interrupt, die_with_parent, owned_folder
from optimizer.results import SolverReport, Status, relative_gap

__all__ = [
    "CBC_FOLDER_PREFIX",
    "DEFAULT_GAP",
    "DEFAULT_TIME_LIMIT_S",
    "SOLVER_ENV",
    "THREADS_ENV",
    "SolverName",
    "available_solvers",
    "solve_milp",
    "solver_threads",
]

SolverName = Literal["auto", "highs", "cbc"]
DEFAULT_TIME_LIMIT_S = 60.0
DEFAULT_GAP = 1e-4
SOLVER_ENV = "COOP_OPTIMIZER_SOLVER"
THREADS_ENV = "COOP_OPTIMIZER_SOLVER_THREADS"
CBC_FOLDER_PREFIX = "coop-cbc-"
# after an interrupt, how long to wait for HiGHS to stop before giving up on it: HiGHS checks
# its interrupt flag only in some phases (highspy 1.16 went about 5 s without a check early in
# a large MIP); past this wait the interrupt goes on and the solve, in its daemon thread, stops
# at its next check or with the process
_STOP_WAIT_S = 1.0


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
    options: Mapping[str, Any] | None = None,
    highs_options: Mapping[str, Any] | None = None,
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
    options
        Options of the solver that runs, by that solver's own names (HiGHS:
        ``{"mip_feasibility_tolerance": 1e-9}``; CBC: ``{"cuts": "off"}``, given as
        ``-cuts off``). Name the solver when giving them: ``"auto"`` may fall back to CBC.
    highs_options
        HiGHS' options when HiGHS runs (CBC never sees them); ``options`` win over them.
    """
    if time_limit <= 0:
        raise ValueError(f"time_limit must be positive, got {time_limit}")
    if not 0 <= gap < 1:
        raise ValueError(f"gap must be in [0, 1), got {gap}")
    if threads is None:
        solver_threads()  # a wrong $COOP_OPTIMIZER_SOLVER_THREADS is the user's error, said now
    names = available_solvers()
    if solver == "auto":
        solver = _chosen_by_environment()
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
            options={**((highs_options or {}) if name == "highs" else {}), **(options or {})},
        )
        if report.status is not Status.ERROR:
            break
    return report


def _chosen_by_environment() -> SolverName:
    chosen = os.environ.get(SOLVER_ENV, "").strip().lower()
    if chosen in ("", "auto"):
        return "auto"
    if chosen not in ("highs", "cbc"):
        raise InputError(Problem(f"${SOLVER_ENV}", "highs, cbc or auto", value=chosen))
    return chosen  # type: ignore[return-value]


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
            if self.threads is None:
                lp.solverModel.setOptionValue("threads", solver_threads())
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

    def findSolutionValues(self, lp: pulp.LpProblem) -> tuple[int, int]:
        """Also after a stop PuLP has no status for (a node limit): read as a time limit."""
        try:
            return super().findSolutionValues(lp)
        except KeyError:  # raised once the values were read
            if lp.solverModel.getInfo().primal_solution_status == 2:  # a plan
                return pulp.LpStatusOptimal, pulp.LpSolutionIntegerFeasible
            return pulp.LpStatusNotSolved, pulp.LpSolutionNoSolutionFound

    def callSolver(self, lp: pulp.LpProblem) -> None:
        import highspy

        values = [v.varValue for v in lp.variables()]  # the column order of buildSolverModel
        if self.warm_start and values and all(value is not None for value in values):
            start = highspy.HighsSolution()
            start.col_value = [float(value) for value in values]
            start.value_valid = True
            lp.solverModel.setSolution(start)
        _run_interruptibly(lp.solverModel)


def _run_interruptibly(model: Any) -> None:
    """Run HiGHS so that Ctrl-C stops it within a second or two.

    Python raises KeyboardInterrupt only between bytecodes, so a solve on the main thread
    ignored Ctrl-C until its time limit. Here HiGHS runs on a helper thread while the main
    thread waits in short steps; on an interrupt (or any exception a signal handler raises)
    the main thread asks HiGHS to stop through its interrupt callback, waits for it, and
    raises again. Off the main thread no signal arrives: HiGHS runs there directly.
    """
    if threading.current_thread() is not threading.main_thread():
        model.run()
        return
    model.HandleUserInterrupt = True  # HiGHS asks at each interrupt check whether to stop
    done = threading.Event()
    failure: list[BaseException] = []

    def work() -> None:
        try:
            model.run()
        except BaseException as exc:  # handed to the main thread below
            failure.append(exc)
        finally:
            done.set()

    threading.Thread(target=work, name="highs-solve", daemon=True).start()
    try:
        while not done.wait(0.1):
            pass
    except BaseException:
        model.cancelSolve()
        _wait_for(done)
        raise
    if failure:
        raise failure[0]


def _wait_for(done: threading.Event) -> None:
    """Wait until HiGHS has stopped (at most ``_STOP_WAIT_S``), through further Ctrl-Cs."""
    deadline = time.monotonic() + _STOP_WAIT_S
    while time.monotonic() < deadline:
        try:
            if done.wait(0.1):
                return
        except KeyboardInterrupt:  # pressed again: keep waiting, the first one is raised
            continue


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
    """A ``highspy.Highs`` that never logs (not even the banner), on :func:`solver_threads`."""
    model = _quiet_highs_class()()
    model.setOptionValue("threads", solver_threads())
    return model


def solver_threads() -> int:
    """How many threads a HiGHS solve may use: ``$COOP_OPTIMIZER_SOLVER_THREADS``, else 1
    (0 lets HiGHS choose)."""
    given = os.environ.get(THREADS_ENV, "").strip()
    if not given:
        return 1
    if not given.isdigit() or int(given) > 256:
        raise InputError(
            Problem(f"${THREADS_ENV}", "a whole number of threads, 0-256", value=given)
        )
    return int(given)


def _solve_highs(
    problem: pulp.LpProblem,
    *,
    time_limit: float,
    gap: float,
    threads: int | None,
    msg: bool,
    warm_start: bool = False,
    options: dict[str, Any],
) -> SolverReport:
    quiet = {} if msg else {"output_flag": False, "log_to_console": False}
    command = _HighsCommand(
        warm_start=warm_start,
        msg=msg,
        timeLimit=time_limit,
        gapRel=gap,
        threads=threads,
        **quiet,
        **options,
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
    result = highs_status(model, has_plan)
    if not result.has_solution:  # ERROR included
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


def highs_status(model: Any, has_plan: bool) -> Status:
    """A solved ``highspy.Highs``' model status in the project's words."""
    import highspy

    kind = highspy.HighsModelStatus
    status = model.getModelStatus()
    if status == kind.kOptimal:
        return Status.OPTIMAL
    if status in (kind.kInfeasible, kind.kUnboundedOrInfeasible):
        return Status.INFEASIBLE
    if status == kind.kUnbounded:
        return Status.UNBOUNDED
    if status in (
        kind.kTimeLimit,
        kind.kIterationLimit,
        kind.kInterrupt,
        kind.kHighsInterrupt,  # type: ignore[attr-defined]  # the interrupt callback (ours)
        kind.kSolutionLimit,
        kind.kObjectiveBound,
        kind.kObjectiveTarget,
    ):
        return Status.FEASIBLE if has_plan else Status.NO_SOLUTION
    return Status.ERROR


def _solve_cbc(
    problem: pulp.LpProblem,
    *,
    time_limit: float,
    gap: float,
    threads: int | None,
    msg: bool,
    warm_start: bool = False,
    options: dict[str, Any],
) -> SolverReport:
    folder = owned_folder(CBC_FOLDER_PREFIX)  # also removes those of killed runs
    try:
        log = folder / "cbc.log"
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
                options=[f"{key} {value}" for key, value in options.items()],
            )
        command.tmpDir = str(folder)  # the .mps, .sol and .mst files too
        start = time.perf_counter()
        try:
            with children_end_on_interrupt(command.path), _children_die_with_us():
                problem.solve(command)
        except Exception as exc:
            return SolverReport("cbc", Status.ERROR, time.perf_counter() - start, message=str(exc))
        runtime = time.perf_counter() - start
        text = log.read_text(errors="replace") if log.exists() else ""
    finally:
        shutil.rmtree(folder, ignore_errors=True)
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
def _children_die_with_us() -> Iterator[None]:
    """Children PuLP starts in this block die with this process, even when it is SIGKILLed.

    PuLP calls ``subprocess.Popen`` itself; its module sees :class:`_DyingChildren` in place
    of ``subprocess``, which adds :func:`~optimizer.leftovers.die_with_parent` for this
    thread while the block runs and changes nothing for anyone else.
    """
    from pulp.apis import coin_api

    with _PATCH_LOCK:
        if not isinstance(coin_api.subprocess, _DyingChildren):
            coin_api.subprocess = _DyingChildren(coin_api.subprocess)
        proxy = coin_api.subprocess
    before = getattr(proxy.local, "on", False)
    proxy.local.on = True
    try:
        yield
    finally:
        proxy.local.on = before


_PATCH_LOCK = threading.Lock()


class _DyingChildren:
    """The ``subprocess`` module, whose ``Popen`` adds ``die_with_parent`` where asked."""

    def __init__(self, module: Any) -> None:
        self.module = module
        self.local = threading.local()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.module, name)

    def Popen(self, *args: Any, **kwargs: Any) -> Any:  # subprocess's name
        if getattr(self.local, "on", False) and kwargs.get("preexec_fn") is None:
            kwargs["preexec_fn"] = die_with_parent()
        return self.module.Popen(*args, **kwargs)


def _objective(problem: pulp.LpProblem) -> float:
    value = pulp.value(problem.objective) if problem.objective is not None else 0.0
    return float(value) if value is not None else 0.0


def _gap(status: Status, objective: float, bound: float) -> float:
    gap = relative_gap(objective, bound)
    if status is Status.OPTIMAL and not math.isfinite(gap):
        return 0.0
    return gap
