"""Collection routing on tiny instances whose optimum is known by hand, with both engines.

The base layout: a hub at (0, 0) and three members on the corners of a 10 x 10 square,
N = (0, 10), NE = (10, 10), E = (10, 0); distance = time = rounded Euclidean (sides 10,
diagonal 14). Every solve is verified by :func:`check_routes`.
"""

from __future__ import annotations

import sys
from dataclasses import replace

import numpy as np
import pytest

from optimizer.errors import InputError
from optimizer.models.routing import (
    Client,
    Depot,
    RoutingProblem,
    RoutingResult,
    VehicleType,
    check_routes,
    solve_routes,
)
from optimizer.models.routing._pyvrp import Stalled
from optimizer.results import Status

ENGINES = ["pyvrp", "ortools"]
LIMIT_S = 0.3
HUB, N, NE, E = 0, 1, 2, 3


def _matrix(points: list[tuple[float, float]]) -> np.ndarray:
    xy = np.asarray(points, dtype=float)
    d = xy[:, None, :] - xy[None, :, :]
    return np.round(np.hypot(d[..., 0], d[..., 1])).astype(np.int64)


def _square(*extra: tuple[float, float]) -> np.ndarray:
    return _matrix([(0, 0), (0, 10), (10, 10), (10, 0), *extra])


def _problem(
    clients: list[Client],
    vehicles: list[VehicleType],
    matrix: np.ndarray | None = None,
    depots: tuple[Depot, ...] = (Depot(HUB, name="hub"),),
) -> RoutingProblem:
    m = _square() if matrix is None else matrix
    return RoutingProblem(depots, tuple(clients), tuple(vehicles), m, m)


def _corners(**kwargs: object) -> list[Client]:
    return [
        Client(loc, pickup=1, name=name, **kwargs) for loc, name in ((N, "N"), (NE, "NE"), (E, "E"))
    ]  # type: ignore[arg-type]


def _solve(problem: RoutingProblem, engine: str) -> RoutingResult:
    result = solve_routes(problem, engine=engine, time_limit=LIMIT_S)  # type: ignore[arg-type]
    report = check_routes(problem, result)
    assert report.ok, report.summary()
    return result


def _sequences(result: RoutingResult) -> list[list[int]]:
    stops = result.stops.sort_values(["route", "position"])
    return [list(g["client"]) for _, g in stops.groupby("route")]


@pytest.mark.parametrize("engine", ENGINES)
def test_square_tour(engine: str) -> None:
    # One truck: going round the square costs 4 sides = 40; any other order uses a diagonal (14).
    problem = _problem(_corners(), [VehicleType(count=1, payload=10)])
    result = _solve(problem, engine)
    assert result.status is Status.FEASIBLE
    assert result.objective == 40
    assert _sequences(result)[0] in ([0, 1, 2], [2, 1, 0])


@pytest.mark.parametrize("engine", ENGINES)
def test_time_window_forces_order(engine: str) -> None:
    # NE must be served by t=14, so the truck goes there first along the diagonal: 14 + 10 + 14
    # + 10 = 48 (both continuations cost the same); with one truck nothing is cheaper.
    clients = _corners()
    clients[1] = replace(clients[1], tw_late=14)
    problem = _problem(clients, [VehicleType(count=1, payload=10)])
    result = _solve(problem, engine)
    assert result.objective == 48
    assert _sequences(result)[0][0] == 1
    assert result.stops.loc[result.stops["client"] == 1, "service_start"].item() <= 14


@pytest.mark.parametrize("engine", ENGINES)
def test_payload_forces_second_truck(engine: str) -> None:
    # Payload 2 for 3 pickups: two routes; best is two adjacent corners (10 + 10 + 14) plus the
    # third alone (20): 54.
    problem = _problem(_corners(), [VehicleType(count=2, payload=2)])
    result = _solve(problem, engine)
    assert result.objective == 54
    assert len(result.routes) == 2
    assert (result.routes["load"] <= 2).all()


@pytest.mark.parametrize("engine", ENGINES)
def test_max_duration_splits_route(engine: str) -> None:
    # The full tour takes 40 > 35, so two routes as in the payload case: 34 + 20 = 54.
    problem = _problem(_corners(), [VehicleType(count=2, payload=10, max_duration=35)])
    result = _solve(problem, engine)
    assert result.objective == 54
    assert (result.routes["duration"] <= 35).all()


@pytest.mark.parametrize("engine", ENGINES)
def test_shift_window_splits_routes(engine: str) -> None:
    # Trucks leave at t >= 5 and are back by t = 35: the full tour (40) and any two corners
    # (34) take too long, so each corner gets its own truck: 20 + 28 + 20 = 68.
    vehicle = VehicleType(count=3, payload=10, shift_start=5, shift_end=35)
    result = _solve(_problem(_corners(), [vehicle]), engine)
    assert result.objective == 68
    assert (result.routes["start_time"] >= 5).all()
    assert (result.routes["end_time"] <= 35).all()


@pytest.mark.parametrize("engine", ENGINES)
def test_service_time_counts_in_duration(engine: str) -> None:
    # Service of 3 at each corner: the tour takes 40 + 9 = 49 > 45, so two routes (54).
    vehicle = VehicleType(count=2, payload=10, max_duration=45)
    result = _solve(_problem(_corners(service_time=3), [vehicle]), engine)
    assert result.objective == 54
    assert (result.routes["duration"] <= 45).all()


@pytest.mark.parametrize("engine", ENGINES)
def test_far_client_skipped_at_penalty(engine: str) -> None:
    # A member at (100, 0) adds at least 2 * 90 - 10 = 170 to the tour; skipping costs 50.
    far = Client(4, pickup=1, skip_penalty=50.0, name="far")
    problem = _problem([*_corners(), far], [VehicleType(count=1, payload=10)], _square((100, 0)))
    result = _solve(problem, engine)
    assert result.skipped["client"].tolist() == [3]
    assert result.objective == 40 + 50


@pytest.mark.parametrize("engine", ENGINES)
def test_route_ends_at_processor(engine: str) -> None:
    # Trucks end at a processor at (20, 0): 4 hops of at least 10 each, and N, NE, E, P does it.
    vehicle = VehicleType(count=1, payload=10, end_location=4)
    problem = _problem(_corners(), [vehicle], _square((20, 0)))
    result = _solve(problem, engine)
    assert result.objective == 40
    assert _sequences(result)[0] == [0, 1, 2]
    assert result.routes["end_location"].tolist() == [4]


@pytest.mark.parametrize("engine", ENGINES)
def test_two_depots(engine: str) -> None:
    # Hubs at (0, 0) and (100, 0), one member 10 above each: each hub's truck takes its own
    # member (20 + 20); any crossing costs more than 100.
    matrix = _matrix([(0, 0), (100, 0), (0, 10), (100, 10)])
    depots = (Depot(0, name="west"), Depot(1, name="east"))
    vehicles = [VehicleType(count=1, payload=5, start_depot=j) for j in (0, 1)]
    problem = _problem([Client(2, pickup=1), Client(3, pickup=1)], vehicles, matrix, depots)
    result = _solve(problem, engine)
    assert result.objective == 40
    starts = dict(
        zip(
            result.stops["client"],
            result.stops["route"].map(result.routes["start_location"]),
            strict=True,
        )
    )
    assert starts == {0: 0, 1: 1}


@pytest.mark.parametrize("engine", ENGINES)
def test_fixed_cost_picks_small_trucks(engine: str) -> None:
    # A big truck (fixed 100) does the tour for 140; two small trucks (fixed 5, payload 2) do it
    # for 5 + 5 + 54 = 64.
    vehicles = [
        VehicleType(count=1, payload=3, fixed_cost=100.0),
        VehicleType(count=2, payload=2, fixed_cost=5.0),
    ]
    result = _solve(_problem(_corners(), vehicles), engine)
    assert result.objective == 64
    assert result.routes["vehicle_type"].tolist() == [1, 1]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    "rate",
    [
        0.35,  # a cost per km
        0.00135,  # a cost per metre: the engines must not round it to zero
    ],
)
def test_fractional_cost_rate(engine: str, rate: float) -> None:
    # The square tour is 40 long whatever the rate, with a fixed cost of 2.5 on top.
    vehicle = VehicleType(count=1, payload=10, cost_per_distance=rate, fixed_cost=2.5)
    result = _solve(_problem(_corners(), [vehicle]), engine)
    assert result.objective == pytest.approx(2.5 + 40 * rate)
    assert result.total_distance == 40


@pytest.mark.parametrize("engine", ENGINES)
def test_too_heavy_client_is_infeasible(engine: str) -> None:
    clients = [Client(N, pickup=20)]
    result = solve_routes(_problem(clients, [VehicleType(count=3, payload=10)]), engine=engine)  # type: ignore[arg-type]
    assert result.status is Status.INFEASIBLE
    assert "more than any truck carries" in result.message


def test_no_clients_no_routes() -> None:
    result = solve_routes(_problem([], [VehicleType(count=1, payload=1)]))
    assert result.status is Status.FEASIBLE
    assert result.objective == 0
    assert check_routes(_problem([], [VehicleType(count=1, payload=1)]), result).ok


def test_checker_catches_tampering() -> None:
    problem = _problem(_corners(), [VehicleType(count=2, payload=2)])
    result = _solve(problem, "pyvrp")
    # put every stop on route 0: the load exceeds the payload
    overloaded = replace(result, stops=result.stops.assign(route=0))
    violations = " ".join(check_routes(problem, overloaded).problems)
    assert "exceeds the payload" in violations
    # drop a stop: that member is neither visited nor skipped, and the cost no longer matches
    dropped = replace(result, stops=result.stops.iloc[1:])
    violations = " ".join(check_routes(problem, dropped).problems)
    assert "neither visited nor reported skipped" in violations


@pytest.mark.parametrize(
    ("change", "column"),
    [
        (lambda c: replace(c, pickup=-1), "pickup"),  # negative pickup
        (lambda c: replace(c, location=9), "location"),  # location outside the matrix
        (lambda c: replace(c, tw_early=5, tw_late=3), "tw_late"),  # window closes before it opens
        (lambda c: replace(c, skip_penalty=-1.0), "skip_penalty"),  # negative penalty
    ],
)
def test_bad_client_rejected(change: object, column: str) -> None:
    clients = _corners()
    clients[0] = change(clients[0])  # type: ignore[operator]
    with pytest.raises(InputError, match=column):
        _problem(clients, [VehicleType(count=1, payload=10)])


def test_bad_options_rejected() -> None:
    problem = _problem(_corners(), [VehicleType(count=1, payload=10)])
    with pytest.raises(InputError, match="engine"):
        solve_routes(problem, engine="gurobi")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="time_limit"):
        solve_routes(problem, time_limit=0)
    with pytest.raises(InputError, match="iterations"):
        solve_routes(problem, iterations=0)
    with pytest.raises(InputError, match="stall"):
        solve_routes(problem, stall=0)
    with pytest.raises(InputError, match="stall"):  # OR-Tools has no such stop
        solve_routes(problem, engine="ortools", stall=100)


def test_an_iteration_cap_gives_the_same_routes_at_any_load() -> None:
    # 30 clients on a grid, two small trucks: enough choice for a time-limited search to wander;
    # with a seed and an iteration cap that comes long before the time limit it cannot
    points = [(float(x), float(y)) for x in range(6) for y in range(5)] + [(2.5, -1.0)]
    hub = len(points) - 1
    matrix = _matrix(points)
    clients = [Client(i, pickup=1, name=f"c{i}") for i in range(hub)]
    problem = RoutingProblem(
        (Depot(hub, name="hub"),),
        tuple(clients),
        (VehicleType(count=4, payload=9),),
        matrix,
        matrix,
    )
    runs = [solve_routes(problem, time_limit=60, iterations=300, seed=3) for _ in range(2)]
    for result in runs:
        assert check_routes(problem, result).ok
        assert "300 iterations" in result.message
    assert _sequences(runs[0]) == _sequences(runs[1])
    assert runs[0].objective == runs[1].objective


def test_a_settled_search_stops_before_its_time_limit() -> None:
    # the square's best tour (40) is found at once: 50 iterations without a better plan end
    # the search long before its 60 s, with the same tour as a search stopped by the clock
    problem = _problem(_corners(), [VehicleType(count=1, payload=10)])
    result = solve_routes(problem, time_limit=60, stall=50)
    assert check_routes(problem, result).ok
    assert result.status is Status.FEASIBLE and result.objective == 40
    assert result.runtime_s < 30
    iterations = int(result.message.split()[0])
    assert 50 <= iterations < 1000, result.message


def test_a_stall_counts_only_once_a_plan_honours_every_constraint() -> None:
    stalled = Stalled(3)
    infeasible = sys.maxsize  # PyVRP's cost of a plan that breaks a constraint
    assert not any(stalled(infeasible) for _ in range(10))  # no plan yet: never gives up
    assert [stalled(c) for c in (900, 900, 900, 800, 800, 800, 800)] == [
        False,
        False,
        False,
        False,  # a better plan starts the count again
        False,
        False,
        True,
    ]


def test_bad_matrix_rejected() -> None:
    with pytest.raises(InputError, match="square"):
        RoutingProblem((Depot(0),), (), (VehicleType(1, 1),), np.zeros((2, 3)), np.zeros((2, 3)))
    with pytest.raises(InputError, match="integers"):
        m = np.full((2, 2), 0.5)
        RoutingProblem((Depot(0),), (), (VehicleType(1, 1),), m, m)
    with pytest.raises(InputError, match="start_depot"):
        RoutingProblem(
            (Depot(0),), (), (VehicleType(1, 1, start_depot=2),), np.zeros((2, 2)), np.zeros((2, 2))
        )


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("client", "vehicle", "reason"),
    [
        (Client(E, pickup=1, tw_late=5, skip_penalty=100.0), VehicleType(1, 10), "time window"),
        (
            Client(NE, pickup=1, skip_penalty=100.0),
            VehicleType(1, 10, max_duration=25),
            "tour length",
        ),
        (
            Client(E, pickup=20, skip_penalty=100.0),
            VehicleType(1, 10),
            "load above every vehicle's payload",
        ),
    ],
)
def test_a_skip_says_why_in_domain_words(
    engine: str, client: Client, vehicle: VehicleType, reason: str
) -> None:
    # the engine skips a member it cannot collect; the reason is the rule it breaks, not "penalty"
    from optimizer.models.routing.solve import why_alone

    problem = _problem([Client(N, pickup=1), client], [vehicle])
    result = _solve(problem, engine)
    assert list(result.skipped["client"]) == [1]
    assert why_alone(problem, 1).startswith(f"{reason}: ")
    assert why_alone(problem, 0) == ""  # collectable: a skip would be the search's choice
