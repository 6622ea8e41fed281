"""Route geometries: hand-drawn paths on the river network, batches against the matrix.

The river network is drawn in tests/geo/data/river.osm. Graph nodes are A, B, C, D, F and
H; E and M lie inside the track B-E-M-F, I inside H-I-F. Coordinates below are (lon, lat).
"""

from __future__ import annotations

import math
from itertools import pairwise
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString

from optimizer.geo import (
    load_network,
    network_frame,
    route_geometries,
    route_geometry,
    travel_matrix,
)
from optimizer.geo.network import RoadNetwork

DATA = Path(__file__).parent / "data"
RIVER = DATA / "river.osm"
LIECHTENSTEIN = Path(__file__).parents[2] / "scenarios" / "liechtenstein" / "roads.osm.bz2"

A, B, C, D = (0.0, 0.0), (0.0, 0.01), (0.0, 0.02), (0.0, 0.03)
E, M, F = (0.01, 0.01), (0.01, 0.015), (0.01, 0.02)
H, I_ = (0.0, 0.04), (0.01, 0.04)
FAR = (0.5, 0.5)


def _xy(*points: tuple[float, float]) -> list[tuple[float, float]]:
    return [(lon, lat) for lat, lon in points]


def _line_length_m(line: LineString) -> float:
    """Great-circle length of a (lon, lat) line on a sphere of radius 6,371,008.8 m."""
    total = 0.0
    coords = list(line.coords)
    for (lon1, lat1), (lon2, lat2) in pairwise(coords):
        p1, p2 = math.radians(lat1), math.radians(lat2)
        h = (
            math.sin((p2 - p1) / 2) ** 2
            + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
        )
        total += 2 * 6_371_008.8 * math.asin(math.sqrt(h))
    return total


@pytest.fixture(scope="module")
def river() -> RoadNetwork:
    return load_network(RIVER, cache=False)


# Each case: the route's ends and its path, drawn by hand from the map in river.osm.
HAND_ROUTES = [
    # One-way D > H: from H back to D round by I, F and C.
    ((H, D), _xy(H, I_, F, C, D)),
    # From inside one edge (M on the track B-F) to inside another (I on H-I-F).
    ((M, I_), _xy(M, F, I_)),
    # From inside H-I-F back along the tracks to E (the only way: D > H is one-way).
    ((I_, E), _xy(I_, F, M, E)),
    # Both ends inside the same two-way track: straight along it, either way.
    ((E, M), _xy(E, M)),
    ((M, E), _xy(M, E)),
    # Graph node to graph node over the bridge.
    ((A, D), _xy(A, B, C, D)),
    # Start and end at the same place: a line of one repeated point.
    ((A, A), _xy(A, A)),
]


def test_hand_routes_in_one_batch_and_one_by_one(river: RoadNetwork) -> None:
    pairs = [ends for ends, _ in HAND_ROUTES]  # 5 distinct origins, 5 destinations
    # More distinct origins than destinations: the search runs from the destinations on
    # the reversed graph; more destinations: from the origins.
    many_to_few = route_geometries(river, [*pairs, (B, D), (C, D), (F, D)])
    few_to_many = route_geometries(river, [*pairs, (A, B), (A, C), (A, F)])
    for frame in (many_to_few, few_to_many):
        for (ends, expected), line in zip(HAND_ROUTES, frame.geometry, strict=False):
            _assert_same_points(list(line.coords), expected, ends)
    for ends, expected in HAND_ROUTES:
        line = route_geometry(river, *ends)
        assert line is not None
        _assert_same_points(list(line.coords), expected, ends)


def _assert_same_points(
    got: list[tuple[float, float]], expected: list[tuple[float, float]], ends: object
) -> None:
    """The same points in the same order, each coordinate within 1e-12 (pytest.approx does
    not compare nested sequences since pytest 9.2)."""
    assert len(got) == len(expected), ends
    for point, want in zip(got, expected, strict=True):
        assert point == pytest.approx(want, abs=1e-12), ends


def test_route_costs_are_those_of_the_line(river: RoadNetwork) -> None:
    frame = route_geometries(river, [ends for ends, _ in HAND_ROUTES], weight="distance")
    for line, distance in zip(frame.geometry, frame["distance_m"], strict=True):
        assert distance == pytest.approx(_line_length_m(line), rel=1e-9, abs=1e-9)
    # H to D: 1.1 km of residential street at 30 km/h and 3.3 km of track at 15 km/h.
    arc = _line_length_m(LineString(_xy(A, B)))
    assert frame["time_s"].iloc[0] == pytest.approx(2 * arc / (30 / 3.6) + 3 * arc / (15 / 3.6))


def test_unreachable_and_far_routes(river: RoadNetwork) -> None:
    frame = route_geometries(
        river,
        pd.DataFrame(
            {
                "id": ["far", "ok"],
                "origin_lat": [A[0], A[0]],
                "origin_lon": [A[1], A[1]],
                "destination_lat": [FAR[0], D[0]],
                "destination_lon": [FAR[1], D[1]],
            }
        ),
    )
    assert list(frame["id"]) == ["far", "ok"]
    assert frame.geometry.iloc[0] is None and np.isinf(frame["distance_m"].iloc[0])
    assert frame.geometry.iloc[1] is not None
    assert route_geometry(river, FAR, A) is None
    assert len(route_geometries(river, [])) == 0


def test_network_frame_lines(river: RoadNetwork) -> None:
    frame = network_frame(river)
    assert len(frame) == river.n_edges
    lines = {tuple(line.coords) for line in frame.geometry}
    # The track B-E-M-F, as one edge each way, and the one-way D > H once.
    assert tuple(_xy(B, E, M, F)) in lines and tuple(_xy(F, M, E, B)) in lines
    assert tuple(_xy(D, H)) in lines and tuple(_xy(H, D)) not in lines


@pytest.fixture(scope="module")
def liechtenstein(tmp_path_factory: pytest.TempPathFactory) -> RoadNetwork:
    return load_network(LIECHTENSTEIN, cache_dir=tmp_path_factory.mktemp("roads"))


def _random_pairs(net: RoadNetwork, seed: int) -> list[tuple[tuple[float, float], ...]]:
    rng = np.random.default_rng(seed)
    south, west, north, east = net.bbox
    points = [
        (float(lat), float(lon))
        for lat, lon in zip(rng.uniform(south, north, 60), rng.uniform(west, east, 60), strict=True)
    ]
    buyers = points[:4]
    pairs = [(p, buyers[i % 4]) for i, p in enumerate(points[4:44])]  # members to buyers
    pairs += [(buyers[0], p) for p in points[44:52]]  # and back
    pairs += [(points[i], points[i + 1]) for i in range(52, 59)]  # unrelated pairs
    return pairs


@pytest.mark.parametrize("weight", ["time", "distance"])
def test_batch_matches_matrix_and_single_routes(liechtenstein: RoadNetwork, weight: str) -> None:
    net = liechtenstein
    pairs = _random_pairs(net, seed=3)
    frame = route_geometries(net, pairs, weight=weight)
    origins = sorted({o for o, _ in pairs})
    targets = sorted({d for _, d in pairs})
    matrix = travel_matrix(net, np.array(origins), np.array(targets), weight=weight)
    i = [origins.index(o) for o, _ in pairs]
    j = [targets.index(d) for _, d in pairs]
    reachable = matrix.reachable[i, j]
    assert reachable.sum() >= len(pairs) // 2  # the test says something
    assert (frame.geometry.notna().to_numpy() == reachable).all()
    np.testing.assert_allclose(frame["distance_m"], matrix.distance_m[i, j], rtol=1e-9)
    np.testing.assert_allclose(frame["time_s"], matrix.time_s[i, j], rtol=1e-9)
    # The line drawn is as long as the distance reported.
    for line, distance in zip(frame.geometry, frame["distance_m"], strict=True):
        if line is not None:
            assert _line_length_m(line) == pytest.approx(distance, rel=1e-9, abs=1e-6)
    for (o, d), line in zip(pairs, frame.geometry, strict=True):
        single = route_geometry(net, o, d, weight=weight)
        assert (single is None) == (line is None)
        assert single is None or single.equals_exact(line, tolerance=0.0)


def test_points_at_one_road_node_are_searched_from_once(
    liechtenstein: RoadNetwork, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Farms a few metres apart join the roads at one node: one search serves them all, and
    every route is the one drawn for it alone."""
    from optimizer.geo import paths

    net = liechtenstein
    base = [(o, d) for o, d in _random_pairs(net, seed=5)[:12]]
    # each origin and destination again, a few metres off: the same road nodes
    pairs = base + [((o[0] + 2e-5, o[1] - 1e-5), (d[0] - 1e-5, d[1] + 2e-5)) for o, d in base]
    sources: list[int] = []
    real = paths.search

    def counting(network: RoadNetwork, links: object, n_src: int, **options: object) -> object:
        sources.append(n_src)
        return real(network, links, n_src, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(paths, "search", counting)
    frame = route_geometries(net, pairs)
    distinct_ends = min(len({o for o, _ in pairs}), len({d for _, d in pairs}))
    assert sources and sources[0] < distinct_ends
    assert frame.geometry.notna().sum() >= len(pairs) // 2  # the test says something
    for (o, d), line, metres in zip(pairs, frame.geometry, frame["distance_m"], strict=True):
        single = route_geometry(net, o, d)
        assert (single is None) == (line is None)
        assert single is None or single.equals_exact(line, tolerance=0.0)
        if line is not None:
            assert _line_length_m(line) == pytest.approx(metres, rel=1e-9, abs=1e-6)
