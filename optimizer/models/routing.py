r"""Collection routing: trucks leave hubs, pick up at members, and end at a hub or a processor.

One problem description, :class:`RoutingProblem`, and two engines behind
:func:`solve_routes`: PyVRP (iterated local search) and OR-Tools routing (guided local
search). :func:`check_routes` verifies a result from the routes alone. PyVRP is the default:
on CVRPLIB A/B/E/P at 10 s it averages 0.10 % above the best known costs against 2.03 % for
OR-Tools, and it holds every feature too (``benchmarks/RESULTS-routing.md``).

Formulation
-----------
Sets
    :math:`L` locations (indices into ``distance`` and ``time``); :math:`D \subseteq L` depots;
    :math:`C` clients, client :math:`i` at location :math:`\ell_i`; :math:`K` vehicle types,
    type :math:`k` with ``count`` :math:`m_k` vehicles starting at depot :math:`s_k` and ending
    at location :math:`e_k` (:math:`s_k` when not given).
Data
    :math:`d_{ab}` = ``distance[a, b]``, :math:`t_{ab}` = ``time[a, b]`` (integers);
    :math:`q_i` = ``pickup``, :math:`\sigma_i` = ``service_time``, :math:`[a_i, b_i]` the time
    window, :math:`p_i` = ``skip_penalty`` (``None``: the client must be visited);
    :math:`Q_k` = ``payload``, :math:`c_k` = ``cost_per_distance``, :math:`f_k` = ``fixed_cost``,
    :math:`H_k` = ``max_duration``.
Decisions
    A set :math:`R` of routes; route :math:`r` has a vehicle type :math:`k_r`, a start time
    :math:`T_r` and a client sequence :math:`(i_1, \dots, i_n)`; :math:`S \subseteq C` the skipped
    clients.
Objective
    :math:`\min \sum_{r \in R} \big(f_{k_r} + c_{k_r} \sum_{(a,b) \in r} d_{ab}\big)
    + \sum_{i \in S} p_i`
Constraints
    - every client is on exactly one route, or skipped when :math:`p_i` is given;
    - at most :math:`m_k` routes of type :math:`k`;
    - load: :math:`\sum_{i \in r} q_i \le Q_{k_r}` (pickups only, so the load only grows);
    - schedule: arrival :math:`A_{i_j} = \max(A_{i_{j-1}}, a_{i_{j-1}}) + \sigma_{i_{j-1}}
      + t_{\ell_{i_{j-1}} \ell_{i_j}}` from :math:`T_r \ge` ``shift_start`` at :math:`s_{k_r}`;
      service starts at :math:`\max(A_i, a_i) \le b_i`; the truck is back at :math:`e_{k_r}`
      by ``shift_end``;
    - duration: arrival at :math:`e_{k_r}` minus :math:`T_r` is at most :math:`H_{k_r}`.

The engines work in integers: distances and times are integers already; cost rates, fixed costs
and penalties are scaled by a power of ten (:func:`cost_scale`) so that they become integers.
"""

from __future__ import annotations

import math
import time as _time
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from optimizer.errors import InputError, Problem
from optimizer.results import Status

__all__ = [
    "CheckReport",
    "Client",
    "Depot",
    "RoutePlan",
    "RoutingProblem",
    "RoutingResult",
    "VehicleType",
    "check_routes",
    "cost_scale",
    "solve_routes",
]

Engine = Literal["pyvrp", "ortools"]
ENGINES: tuple[str, ...] = ("pyvrp", "ortools")
_SOURCE = "routing problem"


def _bad(column: str, expected: str, value: object = None) -> InputError:
    return InputError(Problem(file=_SOURCE, column=column, value=value, expected=expected))


@dataclass(frozen=True)
class Depot:
    """A hub where vehicles start: its location index and a name."""

    location: int
    name: str = ""


@dataclass(frozen=True)
class Client:
    """A member to collect from.

    ``tw_late=None`` means no closing time; ``skip_penalty=None`` means the client must be
    visited, a number means it may be skipped at that cost (reported in the result).
    """

    location: int
    pickup: int = 0
    service_time: int = 0
    tw_early: int = 0
    tw_late: int | None = None
    skip_penalty: float | None = None
    name: str = ""


@dataclass(frozen=True)
class VehicleType:
    """``count`` identical trucks starting at depot ``start_depot`` (an index into the depots).

    They end at location ``end_location`` (a processor, another hub), or back at their depot
    when it is ``None``. ``max_duration=None`` means no limit on the route duration. Trucks
    leave no earlier than ``shift_start`` and are back no later than ``shift_end`` (``None``:
    no limit).
    """

    count: int
    payload: int
    start_depot: int = 0
    end_location: int | None = None
    cost_per_distance: float = 1.0
    fixed_cost: float = 0.0
    max_duration: int | None = None
    shift_start: int = 0
    shift_end: int | None = None
    name: str = ""


def _int_matrix(value: object, name: str) -> npt.NDArray[np.int64]:
    array = np.asarray(value)
    if array.ndim != 2 or array.shape[0] != array.shape[1]:
        raise _bad(name, "a square matrix", f"shape {array.shape}")
    integral = np.issubdtype(array.dtype, np.integer) or (
        np.issubdtype(array.dtype, np.floating)
        and bool(np.all(np.isfinite(array) & (array == np.round(array))))
    )
    if not integral:
        raise _bad(name, "a matrix of integers (scale and round before building)", array.dtype)
    out = array.astype(np.int64, copy=True)
    if (out < 0).any():
        raise _bad(name, "non-negative entries", int(out.min()))
    out.flags.writeable = False
    return out


@dataclass(frozen=True, eq=False)
class RoutingProblem:
    """A collection routing instance (see the module docstring for the formulation).

    ``distance`` and ``time`` are integer matrices over all locations (hubs, members,
    processors). ``coordinates`` (one ``x, y`` row per location) is optional; PyVRP uses it to
    guide its search.
    """

    depots: tuple[Depot, ...]
    clients: tuple[Client, ...]
    vehicle_types: tuple[VehicleType, ...]
    distance: npt.NDArray[np.int64]
    time: npt.NDArray[np.int64]
    coordinates: npt.NDArray[np.float64] | None = None
    name: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "depots", tuple(self.depots))
        object.__setattr__(self, "clients", tuple(self.clients))
        object.__setattr__(self, "vehicle_types", tuple(self.vehicle_types))
        distance = _int_matrix(self.distance, "distance")
        time_ = _int_matrix(self.time, "time")
        if distance.shape != time_.shape:
            raise _bad("time", f"the same shape as distance {distance.shape}", time_.shape)
        object.__setattr__(self, "distance", distance)
        object.__setattr__(self, "time", time_)
        n = distance.shape[0]
        if self.coordinates is not None:
            xy = np.asarray(self.coordinates, dtype=float)
            if xy.shape != (n, 2):
                raise _bad("coordinates", f"one (x, y) row per location, shape ({n}, 2)", xy.shape)
            object.__setattr__(self, "coordinates", xy)
        if not self.depots:
            raise _bad("depots", "at least one depot")
        if not self.vehicle_types:
            raise _bad("vehicle_types", "at least one vehicle type")
        for j, depot in enumerate(self.depots):
            if not 0 <= depot.location < n:
                raise _bad(
                    f"depots[{j}].location", f"a location index in 0..{n - 1}", depot.location
                )
        for i, c in enumerate(self.clients):
            where = f"clients[{i}]"
            if not 0 <= c.location < n:
                raise _bad(f"{where}.location", f"a location index in 0..{n - 1}", c.location)
            if c.pickup < 0:
                raise _bad(f"{where}.pickup", "a non-negative quantity", c.pickup)
            if c.service_time < 0:
                raise _bad(f"{where}.service_time", "a non-negative time", c.service_time)
            if c.tw_early < 0:
                raise _bad(f"{where}.tw_early", "a non-negative time", c.tw_early)
            if c.tw_late is not None and c.tw_late < c.tw_early:
                raise _bad(
                    f"{where}.tw_late", f"a time not before tw_early={c.tw_early}", c.tw_late
                )
            if c.skip_penalty is not None and not (
                math.isfinite(c.skip_penalty) and c.skip_penalty >= 0
            ):
                raise _bad(f"{where}.skip_penalty", "a non-negative number or None", c.skip_penalty)
        for k, v in enumerate(self.vehicle_types):
            where = f"vehicle_types[{k}]"
            if v.count < 1:
                raise _bad(f"{where}.count", "at least one vehicle", v.count)
            if v.payload < 0:
                raise _bad(f"{where}.payload", "a non-negative payload", v.payload)
            if not 0 <= v.start_depot < len(self.depots):
                raise _bad(
                    f"{where}.start_depot",
                    f"a depot index in 0..{len(self.depots) - 1}",
                    v.start_depot,
                )
            if v.end_location is not None and not 0 <= v.end_location < n:
                raise _bad(
                    f"{where}.end_location", f"a location index in 0..{n - 1}", v.end_location
                )
            if not (math.isfinite(v.cost_per_distance) and v.cost_per_distance >= 0):
                raise _bad(f"{where}.cost_per_distance", "a non-negative rate", v.cost_per_distance)
            if not (math.isfinite(v.fixed_cost) and v.fixed_cost >= 0):
                raise _bad(f"{where}.fixed_cost", "a non-negative cost", v.fixed_cost)
            if v.max_duration is not None and v.max_duration < 0:
                raise _bad(
                    f"{where}.max_duration", "a non-negative duration or None", v.max_duration
                )
            if v.shift_start < 0:
                raise _bad(f"{where}.shift_start", "a non-negative time", v.shift_start)
            if v.shift_end is not None and v.shift_end < v.shift_start:
                raise _bad(
                    f"{where}.shift_end",
                    f"a time not before shift_start={v.shift_start}",
                    v.shift_end,
                )

    @property
    def num_locations(self) -> int:
        return int(self.distance.shape[0])

    def start_location(self, vehicle_type: int) -> int:
        """The location index where vehicles of this type start."""
        return self.depots[self.vehicle_types[vehicle_type].start_depot].location

    def end_location(self, vehicle_type: int) -> int:
        """The location index where vehicles of this type end."""
        v = self.vehicle_types[vehicle_type]
        return self.start_location(vehicle_type) if v.end_location is None else v.end_location


def cost_scale(problem: RoutingProblem) -> int:
    """The power of ten by which the engines multiply cost rates, fixed costs and penalties.

    The smallest one that makes them all integers when there is one up to 10**9; otherwise the
    one that keeps at least five significant digits of the smallest positive value (say a cost
    per metre of 0.00135 becomes 1350 at 10**6), so rounding moves no cost by more than 0.01 %.
    The reported cost is always recomputed in the problem's own units.
    """
    values = [v.cost_per_distance for v in problem.vehicle_types]
    values += [v.fixed_cost for v in problem.vehicle_types]
    values += [c.skip_penalty for c in problem.clients if c.skip_penalty is not None]
    for power in range(10):
        scale = 10**power
        if all(
            x == 0 or (round(x * scale) >= 1 and abs(x * scale - round(x * scale)) <= 1e-6)
            for x in values
        ):
            return scale
    smallest = min(x for x in values if x > 0)
    return int(10 ** min(12, max(0, math.ceil(math.log10(1e4 / smallest)))))


@dataclass(frozen=True)
class RoutePlan:
    """What an engine decides for one route: the vehicle type, the client order, the start."""

    vehicle_type: int
    clients: tuple[int, ...]
    start_time: int = 0


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


def _obvious_infeasibility(problem: RoutingProblem) -> str:
    """A reason in domain words when some required client cannot be served by any truck."""
    types = range(len(problem.vehicle_types))
    for i, c in enumerate(problem.clients):
        if c.skip_penalty is not None:
            continue
        if c.pickup > max(v.payload for v in problem.vehicle_types):
            who = f"client {i} ({c.name or 'unnamed'})"
            return f"{who} has {c.pickup} to collect, more than any truck carries"
        fits = False
        for k in types:
            v = problem.vehicle_types[k]
            if c.pickup > v.payload:
                continue
            start, end = problem.start_location(k), problem.end_location(k)
            there = int(problem.time[start, c.location])
            if c.tw_late is not None and v.shift_start + there > c.tw_late:
                continue
            back = max(v.shift_start + there, c.tw_early) + c.service_time
            if v.shift_end is not None and back + int(problem.time[c.location, end]) > v.shift_end:
                continue
            # trucks may leave late, so the shortest route through i waits nowhere
            shortest = there + c.service_time + int(problem.time[c.location, end])
            if v.max_duration is not None and shortest > v.max_duration:
                continue
            fits = True
            break
        if not fits:
            return (
                f"client {i} ({c.name or 'unnamed'}) cannot be reached by any truck within its "
                "time window and the trucks' payload and maximum route duration"
            )
    return ""


def solve_routes(
    problem: RoutingProblem,
    *,
    engine: Engine = "pyvrp",
    time_limit: float = 10.0,
    seed: int = 0,
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
        optimality).
    seed
        Random seed (PyVRP; OR-Tools' search is deterministic).

    Returns
    -------
    RoutingResult
        ``FEASIBLE`` with routes, ``INFEASIBLE`` when a required client cannot be served by
        any truck (said before searching), ``NO_SOLUTION`` when the search found no plan that
        honours every constraint in the time given.
    """
    if engine not in ENGINES:
        raise InputError(
            Problem(
                file="solve_routes", column="engine", value=engine, expected="'pyvrp' or 'ortools'"
            )
        )
    if not time_limit > 0:
        raise InputError(
            Problem(
                file="solve_routes",
                column="time_limit",
                value=time_limit,
                expected="a positive number of seconds",
            )
        )
    started = _time.perf_counter()
    reason = _obvious_infeasibility(problem)
    if reason:
        return _build_result(
            problem, [], [], status=Status.INFEASIBLE, engine=engine, runtime_s=0.0, message=reason
        )
    if not problem.clients:
        return _build_result(problem, [], [], status=Status.FEASIBLE, engine=engine, runtime_s=0.0)
    if engine == "pyvrp":
        from optimizer.models._pyvrp_engine import solve_with_pyvrp as run
    else:
        from optimizer.models._ortools_engine import solve_with_ortools as run
    status, plans, skipped, message = run(problem, time_limit=time_limit, seed=seed)
    runtime = _time.perf_counter() - started
    if not status.has_solution:
        plans, skipped = [], []
    return _build_result(
        problem, plans, skipped, status=status, engine=engine, runtime_s=runtime, message=message
    )


@dataclass(frozen=True)
class CheckReport:
    """What :func:`check_routes` found: ``ok`` when ``violations`` is empty."""

    violations: tuple[str, ...]
    cost: float
    distance: int
    routes: int
    skipped: int

    @property
    def ok(self) -> bool:
        return not self.violations

    def summary(self) -> str:
        head = "ok" if self.ok else f"{len(self.violations)} violations"
        lines = [
            f"{head}: cost {self.cost:,.2f}, distance {self.distance:,}, {self.routes} routes, "
            f"{self.skipped} skipped"
        ]
        lines += [f"  - {v}" for v in self.violations[:20]]
        return "\n".join(lines)


def check_routes(
    problem: RoutingProblem, result: RoutingResult, *, rel_tol: float = 1e-6
) -> CheckReport:
    """Verify ``result`` against ``problem`` from its stop sequences and start times alone.

    Recomputes every arrival from the time matrix and service times (earliest service), each
    route's load, distance and duration, the vehicle counts, and the total cost; compares them
    with the result's tables and objective.
    """
    bad: list[str] = []
    if not result.status.has_solution:
        return CheckReport(("no solution to check",), math.nan, 0, 0, 0)
    n_clients = len(problem.clients)
    seen = np.zeros(n_clients, dtype=int)
    used = np.zeros(len(problem.vehicle_types), dtype=int)
    total_cost = 0.0
    total_distance = 0
    stops = result.stops.sort_values(["route", "position"])
    for row in result.routes.to_dict("records"):
        r, k, t0 = int(row["route"]), int(row["vehicle_type"]), int(row["start_time"])
        if not 0 <= k < len(problem.vehicle_types):
            bad.append(f"route {r}: unknown vehicle type {k}")
            continue
        v = problem.vehicle_types[k]
        used[k] += 1
        seq = [int(i) for i in stops.loc[stops["route"] == r, "client"]]
        start = problem.depots[v.start_depot].location
        end = start if v.end_location is None else v.end_location
        if (int(row["start_location"]), int(row["end_location"])) != (start, end):
            bad.append(f"route {r}: starts or ends elsewhere than type {k} trucks do")
        here, clock, load, distance = start, t0, 0, 0
        for i in seq:
            if not 0 <= i < n_clients:
                bad.append(f"route {r}: unknown client {i}")
                continue
            seen[i] += 1
            c = problem.clients[i]
            distance += int(problem.distance[here, c.location])
            clock = max(clock + int(problem.time[here, c.location]), c.tw_early)
            if c.tw_late is not None and clock > c.tw_late:
                bad.append(f"route {r}: client {i} served at {clock}, window closed at {c.tw_late}")
            clock += c.service_time
            load += c.pickup
            here = c.location
        distance += int(problem.distance[here, end])
        clock += int(problem.time[here, end])
        duration = clock - t0
        if load > v.payload:
            bad.append(f"route {r}: load {load} exceeds the payload {v.payload}")
        if v.max_duration is not None and duration > v.max_duration:
            bad.append(f"route {r}: duration {duration} exceeds the maximum {v.max_duration}")
        if t0 < v.shift_start:
            bad.append(f"route {r}: leaves at {t0}, before the shift starts at {v.shift_start}")
        if v.shift_end is not None and clock > v.shift_end:
            bad.append(f"route {r}: back at {clock}, after the shift ends at {v.shift_end}")
        for what, mine in (("distance", distance), ("load", load), ("duration", duration)):
            if mine != int(row[what]):
                bad.append(f"route {r}: {what} {mine} recomputed, {row[what]} reported")
        total_distance += distance
        total_cost += v.fixed_cost + v.cost_per_distance * distance
    for k, v in enumerate(problem.vehicle_types):
        if used[k] > v.count:
            bad.append(f"vehicle type {k}: {used[k]} routes, only {v.count} trucks")
    skipped = [int(i) for i in result.skipped["client"]]
    for i in skipped:
        if not 0 <= i < n_clients:
            bad.append(f"unknown skipped client {i}")
            continue
        seen[i] += 1
        penalty = problem.clients[i].skip_penalty
        if penalty is None:
            bad.append(f"client {i} is required but was skipped")
        else:
            total_cost += penalty
    for i in np.flatnonzero(seen != 1).tolist():
        what = "neither visited nor reported skipped" if seen[i] == 0 else f"listed {seen[i]} times"
        bad.append(f"client {i}: {what}")
    if not math.isclose(total_cost, result.objective, rel_tol=rel_tol, abs_tol=1e-6):
        bad.append(f"cost {total_cost:,.6f} recomputed, {result.objective:,.6f} reported")
    return CheckReport(tuple(bad), total_cost, total_distance, len(result.routes), len(skipped))
