"""The independent check of a routing result: every arrival, load and cost recomputed."""

from __future__ import annotations

import math

import numpy as np

from optimizer.models.routing.problem import RoutingProblem, VehicleType
from optimizer.models.routing.solve import RoutingResult
from optimizer.results import Check

__all__ = ["check_routes"]


def check_routes(problem: RoutingProblem, result: RoutingResult, *, rel_tol: float = 1e-6) -> Check:
    """Verify ``result`` against ``problem`` from its stop sequences and start times alone.

    Recomputes every arrival from the time matrix and service times (earliest service), each
    route's load, distance and duration, the vehicle counts, and the total cost; compares them
    with the result's tables and objective.

    Returns
    -------
    Check
        ``cost`` is the recomputed total cost; ``figures`` holds ``distance`` (the matrix's
        units), ``routes`` and ``skipped`` (counts).
    """
    bad: list[str] = []
    if not result.status.has_solution:
        return _check(("no solution to check",), math.nan, 0, 0, 0)
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
        bad += _truck_limits(r, v, load=load, leaves=t0, back=clock)
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
    return _check(tuple(bad), total_cost, total_distance, len(result.routes), len(skipped))


def _truck_limits(r: int, v: VehicleType, *, load: int, leaves: int, back: int) -> list[str]:
    """What route ``r`` breaks of its truck's payload, maximum duration and shift."""
    bad = []
    duration = back - leaves
    if load > v.payload:
        bad.append(f"route {r}: load {load} exceeds the payload {v.payload}")
    if v.max_duration is not None and duration > v.max_duration:
        bad.append(f"route {r}: duration {duration} exceeds the maximum {v.max_duration}")
    if leaves < v.shift_start:
        bad.append(f"route {r}: leaves at {leaves}, before the shift starts at {v.shift_start}")
    if v.shift_end is not None and back > v.shift_end:
        bad.append(f"route {r}: back at {back}, after the shift ends at {v.shift_end}")
    return bad


def _check(
    problems: tuple[str, ...], cost: float, distance: int, routes: int, skipped: int
) -> Check:
    """The :class:`Check` with the recomputed totals as figures."""
    figures = {"distance": float(distance), "routes": float(routes), "skipped": float(skipped)}
    return Check(problems, cost, figures)
