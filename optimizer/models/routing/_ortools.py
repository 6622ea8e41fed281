"""OR-Tools routing adapter for :mod:`optimizer.models.routing.solve`.

Nodes: first the distinct start and end locations of the vehicle types (hubs, processors), then
one node per client. Every matrix is registered with ``RegisterTransitMatrix`` (no Python
callbacks in the search loop): one arc-cost matrix per distinct cost rate, a pickup vector for
the ``load`` dimension (capacity per vehicle), and travel + service time for the ``time``
dimension (client windows on the cumuls, shifts on the start and end cumuls, the maximum route
duration as a span bound). Optional clients sit alone in a disjunction whose penalty is the skip
penalty. Search: parallel cheapest insertion start with time windows or a mixed fleet, else
path-cheapest-arc, guided local search until the time limit. OR-Tools'
routing search has no random seed, so ``seed`` is ignored.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from optimizer.models.routing._deadline import searching
from optimizer.models.routing.problem import RoutePlan, RoutingProblem, cost_scale
from optimizer.results import Status

__all__ = ["solve_with_ortools"]


def _horizon(problem: RoutingProblem) -> int:
    """A time no route can need to go beyond."""
    times = [c.tw_early for c in problem.clients] + [v.shift_start for v in problem.vehicle_types]
    times += [c.tw_late for c in problem.clients if c.tw_late is not None]
    times += [v.shift_end for v in problem.vehicle_types if v.shift_end is not None]
    longest = sum(c.service_time for c in problem.clients)
    longest += (len(problem.clients) + 1) * int(problem.time.max(initial=0))
    return int(max(times, default=0) + longest + 1)


def _has_time(problem: RoutingProblem) -> bool:
    return bool(
        any(c.tw_early > 0 or c.tw_late is not None for c in problem.clients)
        or any(
            v.max_duration is not None or v.shift_end is not None or v.shift_start > 0
            for v in problem.vehicle_types
        )
    )


def solve_with_ortools(
    problem: RoutingProblem, *, time_limit: float, seed: int = 0, iterations: int | None = None
) -> tuple[Status, list[RoutePlan], list[int], str]:
    """Search with OR-Tools for ``time_limit`` seconds; the routes, skipped clients, a message."""
    del seed  # OR-Tools' routing search is deterministic
    scale = cost_scale(problem)
    types = problem.vehicle_types
    terminals = sorted(
        {problem.start_location(k) for k in range(len(types))}
        | {problem.end_location(k) for k in range(len(types))}
    )
    terminal_node = {loc: j for j, loc in enumerate(terminals)}
    n_terminals = len(terminals)
    node_location = np.array(terminals + [c.location for c in problem.clients], dtype=np.int64)
    vehicle_type = [k for k, v in enumerate(types) for _ in range(v.count)]
    starts = [terminal_node[problem.start_location(k)] for k in vehicle_type]
    ends = [terminal_node[problem.end_location(k)] for k in vehicle_type]
    manager = pywrapcp.RoutingIndexManager(len(node_location), len(vehicle_type), starts, ends)
    routing = pywrapcp.RoutingModel(manager)

    distance = problem.distance[np.ix_(node_location, node_location)]
    cost_matrix: dict[int, int] = {}
    for v, k in enumerate(vehicle_type):
        rate = round(types[k].cost_per_distance * scale)
        if rate not in cost_matrix:
            cost_matrix[rate] = routing.RegisterTransitMatrix((distance * rate).tolist())
        routing.SetArcCostEvaluatorOfVehicle(cost_matrix[rate], v)
        routing.SetFixedCostOfVehicle(round(types[k].fixed_cost * scale), v)

    pickups = [0] * n_terminals + [c.pickup for c in problem.clients]
    load = routing.RegisterUnaryTransitVector(pickups)
    routing.AddDimensionWithVehicleCapacity(
        load, 0, [types[k].payload for k in vehicle_type], True, "load"
    )

    time_dim = _add_time(problem, routing, manager, node_location, n_terminals, vehicle_type)

    # Required clients get a penalty above any plan's cost, so that the search always has a
    # plan to improve (a first solution visiting everyone can be hard to build with tight
    # windows or fleets); a plan still skipping one of them is reported as no solution.
    big_m = (len(problem.clients) + 1) * int(distance.max(initial=0)) * max(cost_matrix)
    big_m = 10 * (big_m + sum(round(v.fixed_cost * scale) * v.count for v in types)) + 1
    for i, c in enumerate(problem.clients):
        index = manager.NodeToIndex(n_terminals + i)
        penalty = big_m if c.skip_penalty is None else round(c.skip_penalty * scale)
        routing.AddDisjunction([index], penalty)

    params = _search_parameters(problem, has_time=time_dim is not None, time_limit=time_limit)
    if iterations is not None:
        params.solution_limit = iterations
    searching()  # the model is built: the search's own time limit runs from here
    solution = routing.SolveWithParameters(params)
    if solution is None:
        status = routing.status()
        if status == routing_enums_pb2.RoutingSearchStatus.ROUTING_INFEASIBLE:
            return Status.INFEASIBLE, [], [], "OR-Tools proved the problem infeasible"
        return Status.NO_SOLUTION, [], [], f"OR-Tools found no plan (status {status})"

    plans: list[RoutePlan] = []
    visited: set[int] = set()
    for v, k in enumerate(vehicle_type):
        index = solution.Value(routing.NextVar(routing.Start(v)))
        clients = []
        while not routing.IsEnd(index):
            clients.append(manager.IndexToNode(index) - n_terminals)
            index = solution.Value(routing.NextVar(index))
        if not clients:
            continue
        visited.update(clients)
        start = 0 if time_dim is None else solution.Value(time_dim.CumulVar(routing.Start(v)))
        plans.append(RoutePlan(k, tuple(clients), int(start)))
    skipped = [i for i in range(len(problem.clients)) if i not in visited]
    missing = [i for i in skipped if problem.clients[i].skip_penalty is None]
    if missing:
        shown = ", ".join(map(str, missing[:10]))
        return Status.NO_SOLUTION, [], [], f"OR-Tools left required clients unvisited: {shown}"
    return Status.FEASIBLE, plans, skipped, f"objective {solution.ObjectiveValue()} (scaled)"


def _add_time(
    problem: RoutingProblem,
    routing: pywrapcp.RoutingModel,
    manager: pywrapcp.RoutingIndexManager,
    node_location: np.ndarray,
    n_terminals: int,
    vehicle_type: list[int],
) -> Any:
    """The ``time`` dimension (windows, shifts, maximum durations), or ``None`` when the
    problem has no time limit of any kind."""
    if not _has_time(problem):
        return None
    types = problem.vehicle_types
    horizon = _horizon(problem)
    service = np.array([0] * n_terminals + [c.service_time for c in problem.clients])
    travel = problem.time[np.ix_(node_location, node_location)] + service[:, None]
    transit = routing.RegisterTransitMatrix(travel.tolist())
    routing.AddDimension(transit, horizon, horizon, False, "time")
    time_dim = routing.GetDimensionOrDie("time")
    for i, c in enumerate(problem.clients):
        late = horizon if c.tw_late is None else c.tw_late
        time_dim.CumulVar(manager.NodeToIndex(n_terminals + i)).SetRange(c.tw_early, late)
    for v, k in enumerate(vehicle_type):
        vt = types[k]
        time_dim.CumulVar(routing.Start(v)).SetRange(vt.shift_start, horizon)
        if vt.shift_end is not None:
            time_dim.CumulVar(routing.End(v)).SetMax(vt.shift_end)
        if vt.max_duration is not None:
            time_dim.SetSpanUpperBoundForVehicle(vt.max_duration, v)
        # report schedules that leave as late and return as early as the plan allows
        routing.AddVariableMaximizedByFinalizer(time_dim.CumulVar(routing.Start(v)))
        routing.AddVariableMinimizedByFinalizer(time_dim.CumulVar(routing.End(v)))
    return time_dim


def _search_parameters(problem: RoutingProblem, *, has_time: bool, time_limit: float) -> Any:
    """The first-solution strategy, guided local search and the time limit."""
    types = problem.vehicle_types
    params = pywrapcp.DefaultRoutingSearchParameters()
    strategy = routing_enums_pb2.FirstSolutionStrategy
    # measured on the benchmarks: insertion starts better with windows or a mixed fleet
    mixed = len({(v.payload, v.fixed_cost, v.cost_per_distance) for v in types}) > 1
    params.first_solution_strategy = (
        strategy.PARALLEL_CHEAPEST_INSERTION if has_time or mixed else strategy.PATH_CHEAPEST_ARC
    )
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(max(1, round(time_limit * 1000)))
    return params
