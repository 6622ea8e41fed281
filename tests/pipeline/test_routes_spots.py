"""Members at the same spot on the roads share one location of their group's routing problem:
the matrices hold one row per spot, and nothing is lost by it (issue 16: 15,000 members join
the ladder's roads at 2,877 nodes)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from optimizer import load_scenario
from optimizer.models.routing.scenario import route_groups, routing_locations
from optimizer.pipeline import routes as adapter
from optimizer.pipeline.registry import run_model
from optimizer.pipeline.spots import travel_spots
from optimizer.pipeline.travel import travel
from optimizer.scenario.scenario import Scenario
from tests.conftest import LIECHTENSTEIN

NEIGHBOURS = 4  # members moved next to another member (a few metres away)


def _crowded() -> Scenario:
    """Liechtenstein with the first members of each cooperative moved a few metres from the
    first one: they join the roads at its node, at coordinates of their own."""
    sc = load_scenario(LIECHTENSTEIN)
    members = list(sc.members)
    for coop in sorted({m.cooperative for m in members}):
        at = [i for i, m in enumerate(members) if m.cooperative == coop]
        first = members[at[0]]
        for k, i in enumerate(at[1 : 1 + NEIGHBOURS], start=1):
            members[i] = members[i].model_copy(
                update={"lat": first.lat + 2e-5 * k, "lon": first.lon - 1e-5 * k}
            )
    return sc.model_copy(update={"members": tuple(members)})


def _points(sc: Scenario) -> pd.DataFrame:
    places = routing_locations(sc)
    ids = [f"{k}:{i}" for k, i in zip(places.kinds, places.ids, strict=True)]
    return pd.DataFrame({"id": ids, "lat": places.lat, "lon": places.lon})


def test_places_at_one_road_node_share_a_spot_and_their_trips() -> None:
    sc = _crowded()
    points = _points(sc)
    spots = travel_spots(sc, points)
    assert spots.count < len(points)
    full = travel(sc, points, points)
    for spot in range(spots.count):
        same = np.flatnonzero(spots.of == spot)
        # one row and one column of the matrices per spot: the rest repeat them
        for matrix in (full.distance_m, full.time_s):
            assert (matrix[same] == matrix[same[0]]).all()
            assert (matrix[:, same] == matrix[:, same[:1]]).all()
    # the warnings are those of the trips between every place
    assert spots.warnings == full.warnings


def test_without_roads_places_at_the_same_coordinates_share_a_spot() -> None:
    sc = _crowded()
    sc = sc.model_copy(update={"network": sc.network.model_copy(update={"file": None})})
    points = _points(sc)
    points.loc[3, ["lat", "lon"]] = points.loc[2, ["lat", "lon"]].to_numpy()
    spots = travel_spots(sc, points)
    assert spots.of[3] == spots.of[2]
    assert spots.count == len(points.drop_duplicates(["lat", "lon"]))
    assert spots.warnings and spots.warnings[0].startswith("no road network in the scenario")


def test_each_group_problem_holds_every_trip_of_its_places_exactly() -> None:
    """Expanded back to the group's places, the problem's matrices are the full road matrix's
    (rounded), and members at one spot are clients at one location."""
    sc = _crowded()
    places = routing_locations(sc)
    points = _points(sc)
    spots = travel_spots(sc, points)
    full = travel(sc, points, points)
    asked: list[int] = []

    def trips(at: list[int]) -> tuple[np.ndarray, np.ndarray]:
        asked.append(len(at))
        return adapter._trips(sc, points, at)

    groups = route_groups(sc, places, trips, spots.of)
    shared = 0
    for group in groups:
        problem = group.problem
        if not problem.clients:
            continue
        # the clients' places and their locations in the problem
        place = [places.index("member", c.name) for c in problem.clients]
        location = [c.location for c in problem.clients]
        shared += len(location) - len(set(location))
        slowest = min(v.speed_factor for v in sc.vehicles if v.id in group.vehicle_ids)
        road = np.isfinite(full.distance_m[np.ix_(place, place)])
        distance = np.round(full.distance_m[np.ix_(place, place)])
        time_s = np.round(full.time_s[np.ix_(place, place)] / slowest)
        np.fill_diagonal(distance, 0)
        np.fill_diagonal(time_s, 0)
        among = np.ix_(location, location)
        assert (problem.distance[among][road] == distance[road]).all()
        assert (problem.time[among][road] == time_s[road]).all()
        ends = {problem.end_location(k) for k in range(len(problem.vehicle_types))}
        depots = {d.location for d in problem.depots}
        assert problem.num_locations == len(set(location) | depots | ends)
    assert shared >= NEIGHBOURS  # the moved members share their neighbour's location
    assert max(asked) < len(places.ids)  # each group asked for its own spots only


@pytest.mark.slow
def test_members_at_one_spot_are_routed_and_drawn_each() -> None:
    sc = _crowded()
    run = run_model(sc, "routes", time_limit=1)  # every group's plan is checked inside
    routes, stops, skipped = (run.tables[t] for t in ("routes", "stops", "skipped"))
    suppliers = {s.member for s in sc.supply}
    assert set(stops["member"]) | set(skipped["member"]) == suppliers
    assert not set(stops["member"]) & set(skipped["member"])
    assert len(routes) and run.status.has_solution
    # one leg into every stop and one home per route, even between members at one spot
    assert len(run.layers["routes"]) == len(stops) + len(routes)
