"""Collection routing: one problem description, two engines, one independent check.

``problem`` holds the instance (:class:`RoutingProblem`: depots, clients, vehicle types, integer
distance and time matrices); ``solve`` dispatches to PyVRP (``_pyvrp``, the default) or OR-Tools
(``_ortools``), which import ``problem`` and never the dispatcher; ``check`` recomputes every
route from its stops; ``scenario`` builds the problems of a scenario from plain arrays. This
folder imports only ``optimizer.errors``, ``optimizer.results`` and the scenario's types: never
roads, solvers of other models or the faces.
"""

from optimizer.models.routing.check import check_routes
from optimizer.models.routing.problem import (
    ENGINES,
    Client,
    Depot,
    Engine,
    RoutePlan,
    RoutingProblem,
    VehicleType,
    cost_scale,
)
from optimizer.models.routing.solve import RoutingResult, solve_routes

__all__ = [
    "ENGINES",
    "Client",
    "Depot",
    "Engine",
    "RoutePlan",
    "RoutingProblem",
    "RoutingResult",
    "VehicleType",
    "check_routes",
    "cost_scale",
    "solve_routes",
]
