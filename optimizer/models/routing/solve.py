"""Solve a :class:`~optimizer.models.routing.problem.RoutingProblem` with one of the two engines."""

from __future__ import annotations

import math
import time as _time
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from optimizer.errors import InputError, Problem
from optimizer.models.routing._deadline import (
    Late,
    call_with_deadline,
    grace,
    setup_allowance,
)
from optimizer.models.routing.problem import (
    ENGINES,
    Engine,
    RoutePlan,
    RoutingProblem,
)
from optimizer.results import Status

__all__ = ["RoutingResult", "run_engine", "solve_routes", "why_alone"]


@dataclass(frozen=True, eq=False)
class RoutingResult:
    """Routes, skipped clients and totals of one solve.

    ``routes`` has one row per route (``route, vehicle_type, start_location, end_location,
    stops, load, payload, utilisation, distance, start_time, end_time, duration, cost``);
    ``stops`` one row per visit (``route, position, client, name, location, arrival,
    service_start, departure, load``, the load after the pickup); ``skipped`` one row per
    skipped client (``client, name, penalty``). ``objective`` = route costs + penalties, in the
    problem's cost units. Heuristic engines prove no bound: ``bound`` is NaN, ``gap`` inf.
    """

    status: Status
    engine: str
    runtime_s: float
    objective: float
    routes: pd.DataFrame
    stops: pd.DataFrame
    skipped: pd.DataFrame
    message: str = ""
    bound: float = math.nan
    gap: float = math.inf
    plans: tuple[RoutePlan, ...] = field(default=(), repr=False)

    @property
    def total_distance(self) -> int:
        return int(self.routes["distance"].sum()) if len(self.routes) else 0

    @property
    def total_duration(self) -> int:
        return int(self.routes["duration"].sum()) if len(self.routes) else 0

    @property
    def skip_penalty(self) -> float:
        return float(self.skipped["penalty"].sum()) if len(self.skipped) else 0.0

    def summary(self) -> str:
        """A few lines for a terminal."""
        head = f"{self.status.value} ({self.engine}, {self.runtime_s:.2f} s)"
        if not self.status.has_solution:
            return f"{head} {self.message}".strip()
        lines = [
            f"{head}: cost {self.objective:,.2f}, {len(self.routes)} routes, "
            f"distance {self.total_distance:,}, duration {self.total_duration:,}, "
            f"{len(self.skipped)} skipped (penalty {self.skip_penalty:,.2f})"
        ]
        for row in self.routes.itertuples():
            seq = self.stops.loc[self.stops["route"] == row.route, "client"].tolist()
            lines.append(
                f"  route {row.route} (type {row.vehicle_type}): location {row.start_location}, "
                f"clients {' '.join(map(str, seq))}, location {row.end_location}; "
                f"load {row.load}/{row.payload}, "
                f"distance {row.distance}, duration {row.duration}, cost {row.cost:,.2f}"
            )
        return "\n".join(lines)


_ROUTE_COLUMNS = [
    "route",
    "vehicle_type",
    "start_location",
    "end_location",
    "stops",
    "load",
    "payload",
    "utilisation",
    "distance",
    "start_time",
    "end_time",
    "duration",
    "cost",
]
_STOP_COLUMNS = [
    "route",
    "position",
    "client",
    "name",
    "location",
    "arrival",
    "service_start",
    "departure",
    "load",
]


def _build_result(
    problem: RoutingProblem,
    plans: list[RoutePlan],
    skipped: list[int],
    *,
    status: Status,
    engine: str,
    runtime_s: float,
    message: str = "",
) -> RoutingResult:
    """Tables and totals from the engine's routes: schedules at the earliest service times."""
    route_rows: list[dict[str, object]] = []
    stop_rows: list[dict[str, object]] = []
    plans = [p for p in plans if p.clients]
    for r, plan in enumerate(plans):
        v = problem.vehicle_types[plan.vehicle_type]
        here = problem.start_location(plan.vehicle_type)
        clock = plan.start_time
        load = 0
        distance = 0
        for position, i in enumerate(plan.clients):
            c = problem.clients[i]
            distance += int(problem.distance[here, c.location])
            arrival = clock + int(problem.time[here, c.location])
            start = max(arrival, c.tw_early)
            clock = start + c.service_time
            load += c.pickup
            here = c.location
            stop_rows.append(
                dict(
                    route=r,
                    position=position,
                    client=i,
                    name=c.name,
                    location=c.location,
                    arrival=arrival,
                    service_start=start,
                    departure=clock,
                    load=load,
                )
            )
        end = problem.end_location(plan.vehicle_type)
        distance += int(problem.distance[here, end])
        clock += int(problem.time[here, end])
        route_rows.append(
            dict(
                route=r,
                vehicle_type=plan.vehicle_type,
                start_location=problem.start_location(plan.vehicle_type),
                end_location=end,
                stops=len(plan.clients),
                load=load,
                payload=v.payload,
                utilisation=load / v.payload if v.payload else math.nan,
                distance=distance,
                start_time=plan.start_time,
                end_time=clock,
                duration=clock - plan.start_time,
                cost=v.fixed_cost + v.cost_per_distance * distance,
            )
        )
    skip_rows = [
        dict(client=i, name=problem.clients[i].name, penalty=problem.clients[i].skip_penalty or 0.0)
        for i in sorted(skipped)
    ]
    routes = pd.DataFrame(route_rows, columns=_ROUTE_COLUMNS)
    skipped_df = pd.DataFrame(skip_rows, columns=["client", "name", "penalty"])
    objective = float(routes["cost"].sum() + skipped_df["penalty"].sum())
    return RoutingResult(
        status=status,
        engine=engine,
        runtime_s=runtime_s,
        objective=objective if status.has_solution else math.nan,
        routes=routes,
        stops=pd.DataFrame(stop_rows, columns=_STOP_COLUMNS),
        skipped=skipped_df,
        message=message,
        plans=tuple(plans),
    )


def why_alone(problem: RoutingProblem, i: int) -> str:
    """Why no truck can collect client ``i`` even on a route of its own, in domain words, or
    ``""`` when one can (then a skip means the search found it not worth its cost)."""
    c = problem.clients[i]
    largest = max(v.payload for v in problem.vehicle_types)
    if c.pickup > largest:
        return (
            f"load above every vehicle's payload: {c.pickup} kg to collect, "
            f"the largest truck carries {largest} kg"
        )
    late = long = False
    for k, v in enumerate(problem.vehicle_types):
        if c.pickup > v.payload:
            continue
        start, end = problem.start_location(k), problem.end_location(k)
        there = int(problem.time[start, c.location])
        if c.tw_late is not None and v.shift_start + there > c.tw_late:
            late = True
            continue
        back = max(v.shift_start + there, c.tw_early) + c.service_time
        if v.shift_end is not None and back + int(problem.time[c.location, end]) > v.shift_end:
            late = True
            continue
        # trucks may leave late, so the shortest route through i waits nowhere
        shortest = there + c.service_time + int(problem.time[c.location, end])
        if v.max_duration is not None and shortest > v.max_duration:
            long = True
            continue
        return ""
    if long:
        return "tour length: even a tour to it alone is longer than any truck may drive"
    if late:
        return "time window: no truck can arrive before it closes (or be back in its shift)"
    return "payload: more to collect than the trucks that could reach it carry"


def _obvious_infeasibility(problem: RoutingProblem) -> str:
    """A reason in domain words when some required client cannot be served by any truck."""
    for i, c in enumerate(problem.clients):
        if c.skip_penalty is not None:
            continue
        why = why_alone(problem, i)
        if why.startswith("load above every vehicle's payload"):
            who = f"client {i} ({c.name or 'unnamed'})"
            return f"{who} has {c.pickup} to collect, more than any truck carries"
        if why:
            return (
                f"client {i} ({c.name or 'unnamed'}) cannot be reached by any truck within its "
                "time window and the trucks' payload and maximum route duration"
            )
    return ""


def _check_options(
    engine: str, time_limit: float, iterations: int | None, stall: int | None = None
) -> None:
    """Refuse an unknown engine, a time limit that is not a positive finite number of seconds
    (an infinite one would let a search run for ever), an iteration cap below one, and a stall
    limit below one or for OR-Tools (whose search has no such limit)."""
    if engine not in ENGINES:
        raise InputError(
            Problem(
                file="solve_routes", column="engine", value=engine, expected="'pyvrp' or 'ortools'"
            )
        )
    if iterations is not None and not iterations >= 1:
        raise InputError(
            Problem(
                file="solve_routes",
                column="iterations",
                value=iterations,
                expected="a whole number of iterations, at least 1",
            )
        )
    if stall is not None and (engine != "pyvrp" or not stall >= 1):
        raise InputError(
            Problem(
                file="solve_routes",
                column="stall",
                value=stall,
                expected="a whole number of iterations, at least 1, with the pyvrp engine",
            )
        )
    if not (math.isfinite(time_limit) and time_limit > 0):
        raise InputError(
            Problem(
                file="solve_routes",
                column="time_limit",
                value=time_limit,
                expected="a positive, finite number of seconds",
            )
        )


def run_engine(
    engine: Engine, problem: RoutingProblem, **options: Any
) -> tuple[Status, list[RoutePlan], list[int], str]:
    """One engine's search (run in a child process by :func:`solve_routes`); ``stall`` is
    PyVRP's alone (:func:`solve_routes` refuses it for OR-Tools)."""
    if engine == "pyvrp":
        from optimizer.models.routing._pyvrp import solve_with_pyvrp

        return solve_with_pyvrp(problem, **options)
    from optimizer.models.routing._ortools import solve_with_ortools

    return solve_with_ortools(problem, **options)


def solve_routes(
    problem: RoutingProblem,
    *,
    engine: Engine = "pyvrp",
    time_limit: float = 10.0,
    seed: int = 0,
    iterations: int | None = None,
    stall: int | None = None,
) -> RoutingResult:
    """Collection routes for ``problem``.

    Parameters
    ----------
    problem
        The instance.
    engine
        ``"pyvrp"`` (the default, chosen from the benchmarks) or ``"ortools"``.
    time_limit
        Seconds of search; both engines use all of it (they are heuristics without a proof of
        optimality). A positive, finite number, counted from the start of the search: setting
        it up (handing the problem over, building the engine's model) has its own allowance
        growing with the numbers of locations and clients (``_deadline.setup_allowance``). The
        engine runs in a child process killed ``1 s + 5 %`` (and 0.5 s per 1,000 places or
        clients) after the limit whatever it does (``_deadline``): the result is then
        ``NO_SOLUTION``, "the search did not finish in N s" or "setting up the search ... took
        longer than its allowance".
    seed
        Random seed (PyVRP; OR-Tools' search is deterministic).
    iterations
        Stop after this many iterations of PyVRP's search (solutions found, for OR-Tools) if
        that comes before the time limit: with a seed, the same problem then gives the same
        routes whatever else the machine is doing.
    stall
        Stop PyVRP's search once its best plan has not improved for this many iterations in
        a row (counted from its first plan honouring every constraint), if that comes before
        the time limit: a search that has settled ends early. PyVRP only.

    Returns
    -------
    RoutingResult
        ``FEASIBLE`` with routes, ``INFEASIBLE`` when a required client cannot be served by
        any truck (said before searching), ``NO_SOLUTION`` when the search found no plan that
        honours every constraint in the time given.
    """
    _check_options(engine, time_limit, iterations, stall)
    started = _time.perf_counter()
    reason = _obvious_infeasibility(problem)
    if reason:
        return _build_result(
            problem, [], [], status=Status.INFEASIBLE, engine=engine, runtime_s=0.0, message=reason
        )
    if not problem.clients:
        return _build_result(problem, [], [], status=Status.FEASIBLE, engine=engine, runtime_s=0.0)
    hard = time_limit + grace(time_limit, problem.num_locations, len(problem.clients))
    setup = setup_allowance(problem.num_locations, len(problem.clients))
    try:
        status, plans, skipped, message = call_with_deadline(
            run_engine,
            (engine, problem),
            dict(time_limit=time_limit, seed=seed, iterations=iterations)
            | ({} if stall is None else {"stall": stall}),
            limit_s=hard,
            setup_s=setup,
        )
    except Late as late:
        status, plans, skipped = Status.NO_SOLUTION, [], []
        if late.in_setup:
            message = (
                f"setting up the search over {problem.num_locations:,} places took longer than "
                f"its allowance of {setup:.1f} s ({late})"
            )
        else:
            message = f"the search did not finish in {time_limit:g} s ({late})"
    runtime = _time.perf_counter() - started
    if not status.has_solution:
        plans, skipped = [], []
    return _build_result(
        problem, plans, skipped, status=status, engine=engine, runtime_s=runtime, message=message
    )
