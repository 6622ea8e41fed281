"""PyVRP adapter for :mod:`optimizer.models.routing.solve`.

Every feature maps onto PyVRP 0.14 directly: pickups, service times and time windows on
clients; optional clients with a prize equal to the skip penalty (PyVRP adds the prizes of the
clients it does not visit to its objective, which is exactly the penalty); vehicle types with
``num_available``, capacity, fixed cost, ``unit_distance_cost``, ``shift_duration`` (the maximum
route duration) and start/end depots. An end location that is not a hub becomes an extra PyVRP
depot where no vehicle starts.
"""

from __future__ import annotations

import sys
import warnings
from typing import Any

import numpy as np
import pyvrp
from pyvrp.exceptions import PenaltyBoundWarning
from pyvrp.IteratedLocalSearch import IteratedLocalSearch
from pyvrp.PenaltyManager import PenaltyManager
from pyvrp.search import LocalSearch, PerturbationManager, compute_neighbours
from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria, StoppingCriterion

from optimizer.models.routing._deadline import searching
from optimizer.models.routing.problem import RoutePlan, RoutingProblem, cost_scale
from optimizer.results import Status

__all__ = ["solve_with_pyvrp"]

_UNLIMITED = int(np.iinfo(np.int64).max)


def _data(problem: RoutingProblem) -> pyvrp.ProblemData:
    scale = cost_scale(problem)
    n = problem.num_locations
    xy = problem.coordinates if problem.coordinates is not None else np.zeros((n, 2))
    locations = [pyvrp.Location(x=float(x), y=float(y)) for x, y in xy]
    depot_of: dict[int, int] = {}
    depots: list[pyvrp.Depot] = []
    for depot in problem.depots:
        depot_of.setdefault(depot.location, len(depots))
        depots.append(pyvrp.Depot(location=depot.location, name=depot.name))
    for v in problem.vehicle_types:
        if v.end_location is not None and v.end_location not in depot_of:
            depot_of[v.end_location] = len(depots)
            depots.append(pyvrp.Depot(location=v.end_location, name=f"end {v.end_location}"))
    clients = [
        pyvrp.Client(
            location=c.location,
            pickup=[c.pickup],
            service_duration=c.service_time,
            tw_early=c.tw_early,
            tw_late=_UNLIMITED if c.tw_late is None else c.tw_late,
            required=c.skip_penalty is None,
            prize=0 if c.skip_penalty is None else round(c.skip_penalty * scale),
            name=c.name,
        )
        for c in problem.clients
    ]
    vehicle_types = []
    for k, v in enumerate(problem.vehicle_types):
        start = problem.depots[v.start_depot]
        end_depot = v.start_depot if v.end_location is None else depot_of[v.end_location]
        vehicle_types.append(
            pyvrp.VehicleType(
                num_available=v.count,
                capacity=[v.payload],
                start_depot=v.start_depot,
                end_depot=end_depot,
                fixed_cost=round(v.fixed_cost * scale),
                unit_distance_cost=round(v.cost_per_distance * scale),
                tw_early=v.shift_start,
                tw_late=_UNLIMITED if v.shift_end is None else v.shift_end,
                shift_duration=_UNLIMITED if v.max_duration is None else v.max_duration,
                name=v.name or f"type {k} from {start.name or start.location}",
            )
        )
    matrices: Any = ([np.ascontiguousarray(problem.distance)], [np.ascontiguousarray(problem.time)])
    return pyvrp.ProblemData(
        locations=locations,
        clients=clients,
        depots=depots,
        vehicle_types=vehicle_types,
        distance_matrices=matrices[0],
        duration_matrices=matrices[1],
    )


def _search(
    data: pyvrp.ProblemData, stop: StoppingCriterion, *, seed: int, params: pyvrp.SolveParams
) -> Any:
    """``pyvrp.solve`` (0.14) step by step, saying when the search starts (:func:`searching`):
    the neighbourhoods and the first plan (a random one improved by an exhaustive local search)
    are set-up, which grows with the number of clients; the iterated local search after them
    is the search, the part the time limit is for."""
    rng = pyvrp.RandomNumberGenerator(seed=seed)
    neighbours = compute_neighbours(data, params.neighbourhood)
    ls = LocalSearch(data, rng, neighbours, PerturbationManager(params.perturbation))
    for op in params.operators:
        if op.supports(data):
            ls.add_operator(op(data))
    pm = PenaltyManager(params.penalty.midpoint_penalties(data), params.penalty)
    first = ls(pyvrp.Solution.make_random(data, rng), pm.max_cost_evaluator(), exhaustive=True)
    searching()
    algo = IteratedLocalSearch(data, pm, ls, first, params.ils)
    return algo.run(stop, False, False, params.display_interval)


class Stalled:
    """PyVRP stopping criterion: the best plan honouring every constraint has not improved
    for ``iterations`` iterations in a row. Iterations before the first such plan do not
    count (PyVRP's own ``NoImprovement`` counts them, and would give up on a search that
    has not yet found any plan)."""

    def __init__(self, iterations: int) -> None:
        self.iterations = iterations
        self._best: int | None = None
        self._count = 0

    def __call__(self, best_cost: int) -> bool:
        if best_cost >= sys.maxsize:  # PyVRP's cost of a plan breaking a constraint
            return False
        if self._best is None or best_cost < self._best:
            self._best, self._count = best_cost, 0
        else:
            self._count += 1
        return self._count >= self.iterations


def solve_with_pyvrp(
    problem: RoutingProblem,
    *,
    time_limit: float,
    seed: int = 0,
    iterations: int | None = None,
    stall: int | None = None,
) -> tuple[Status, list[RoutePlan], list[int], str]:
    """Search with PyVRP for ``time_limit`` seconds, or until ``iterations`` iterations, or
    until ``stall`` iterations without a better plan (:class:`Stalled`), whichever comes
    first; the routes, skipped clients and a message."""
    data = _data(problem)
    # PyVRP caps its penalty per unit of excess load or lateness at 1e5, too low when scaled
    # costs are large (fine-grained distances, costly trucks): raise the cap with the data.
    scale = cost_scale(problem)
    arc = int(problem.distance.max()) * max(
        round(v.cost_per_distance * scale) for v in problem.vehicle_types
    )
    fixed = max(round(v.fixed_cost * scale) for v in problem.vehicle_types)
    params = pyvrp.SolveParams(
        penalty=pyvrp.PenaltyParams(max_penalty=max(1e5, 10.0 * (arc + fixed)))
    )
    criteria: list[StoppingCriterion] = [MaxRuntime(time_limit)]
    if iterations is not None:
        criteria.insert(0, MaxIterations(iterations))
    if stall is not None:
        criteria.insert(0, Stalled(stall))
    stop: StoppingCriterion = criteria[0] if len(criteria) == 1 else MultipleCriteria(criteria)
    with warnings.catch_warnings():
        # infeasibility is reported as a status; PyVRP's warning about it is noise here
        warnings.simplefilter("ignore", PenaltyBoundWarning)
        result = _search(data, stop, seed=seed, params=params)
    best = result.best
    if not best.is_feasible():
        return Status.NO_SOLUTION, [], [], "PyVRP found no plan honouring every constraint"
    plans = []
    for route in best.routes():
        clients = tuple(int(a.idx) for a in route.schedule() if a.is_client())
        plans.append(RoutePlan(int(route.vehicle_type()), clients, int(route.start_time())))
    skipped = [int(a.idx) for a in best.unplanned()]
    return Status.FEASIBLE, plans, skipped, f"{result.num_iterations} iterations"
