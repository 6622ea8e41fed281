"""The shared result types: the status of a run of several solves, checks, KPIs, formatting."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely

from optimizer.geodesy import EARTH_RADIUS_M, haversine_m, pairwise_haversine_m
from optimizer.io.format import format_number
from optimizer.io.geojson import (
    LINE_TOLERANCE_DEG,
    OSM_ATTRIBUTION,
    collection,
    line,
    lines,
    point,
)
from optimizer.results import Check, Kpi, Status, worst_status

S = Status


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        # the bug this replaces: the first non-optimal part won, so a planless part hid
        ([S.FEASIBLE, S.NO_SOLUTION], S.NO_SOLUTION),
        ([S.NO_SOLUTION, S.FEASIBLE], S.NO_SOLUTION),
        ([S.OPTIMAL, S.OPTIMAL], S.OPTIMAL),
        ([S.OPTIMAL, S.FEASIBLE, S.OPTIMAL], S.FEASIBLE),
        ([S.FEASIBLE, S.INFEASIBLE, S.NO_SOLUTION], S.INFEASIBLE),
        ([S.OPTIMAL, S.ERROR], S.ERROR),
        # nothing solved is nothing to report
        ([], S.ERROR),
    ],
)
def test_worst_status_orders_parts(parts: list[Status], expected: Status) -> None:
    assert worst_status(parts) is expected


def test_check_is_ok_only_without_problems() -> None:
    assert Check((), 10.0).ok
    bad = Check(("route 1: load 12 exceeds the payload 10",), 10.0, {"distance": 3.0})
    assert not bad.ok
    assert "1 problems" in bad.summary() and "payload" in bad.summary()
    assert bad.figures["distance"] == 3.0


def test_kpi_holds_raw_value_and_direction() -> None:
    kpi = Kpi("savings", 1234.5, "EUR", higher_is_better=True)
    assert (kpi.value, kpi.unit, kpi.higher_is_better) == (1234.5, "EUR", True)
    assert Kpi("routes", 3.0, "routes").higher_is_better is None


@pytest.mark.parametrize(
    ("value", "unit", "sign", "text"),
    [
        # money has two decimals; other figures of a thousand or more none
        (1234567.891, "EUR", False, "1,234,567.89 EUR"),
        (1234567.891, "kg", False, "1,234,568 kg"),
        (12.3456, "km", False, "12.35 km"),
        (0.31512, "EUR/kg", False, "0.3151 EUR/kg"),  # a price per unit below 1
        (0.5, "EUR/kg", False, "0.50 EUR/kg"),
        (12, "EUR", False, "12.00 EUR"),
        (12.5, "%", True, "+12.5 %"),
        # a tiny change is not written as zero, and zero has no sign
        (0.000123, "%", True, "+0.000123 %"),
        (-0.0, "EUR", True, "0.00 EUR"),
        (-0.0, "km", True, "0 km"),
        (2_388_314.29, "EUR", False, "2,388,314.29 EUR"),
        (13.384, "%", False, "13.38 %"),
        (955.91, "EUR", True, "+955.91 EUR"),
        (-1612.4, "EUR", True, "-1,612.40 EUR"),
        # durations in hours as hours and minutes, never decimal hours
        (64.4672, "h", False, "64:28 h"),
        (0.25, "h", True, "+0:15 h"),
        (-1.5, "h", True, "-1:30 h"),
        # too small for two decimals: significant digits, never "-0 %" or an exponent
        (-8.1e-5, "%", True, "-0.000081 %"),
        (0.004, "km", True, "+0.004 km"),
        (math.nan, "EUR", False, "–"),
        (None, "", False, "–"),
    ],
)
def test_format_number(value: float | None, unit: str, sign: bool, text: str) -> None:
    assert format_number(value, unit, sign=sign) == text


def test_haversine_one_degree_of_latitude() -> None:
    # one degree along a meridian is R * pi / 180 on the sphere
    assert haversine_m(0.0, 0.0, 1.0, 0.0) == pytest.approx(EARTH_RADIUS_M * math.pi / 180)
    matrix = pairwise_haversine_m([0.0, 1.0], [0.0, 0.0], [0.0, 0.0, 2.0], [0.0, 1.0, 0.0])
    assert matrix.shape == (2, 3)
    assert matrix[0, 0] == 0.0
    assert matrix[1, 2] == pytest.approx(matrix[0, 1] * 1.0, rel=1e-3)  # both one degree


def test_geojson_shapes() -> None:
    p = point(13.2612345678, 53.55, {"id": "M1", "load_kg": math.nan})
    assert p["geometry"] == {"type": "Point", "coordinates": [13.2612346, 53.55]}
    assert p["properties"] == {"id": "M1", "load_kg": None}
    ln = line([(13.0, 53.0), (13.1, 53.1)], {"route": "milk #1"})
    assert ln["geometry"]["type"] == "LineString" and len(ln["geometry"]["coordinates"]) == 2
    assert collection([p, ln], roads=True)["attribution"] == OSM_ATTRIBUTION
    assert "attribution" not in collection([p], roads=False)


def test_a_line_leaves_out_points_that_hardly_move_it() -> None:
    # a road bending by 0.3 tolerances (left out) and by 5 (kept), then a straight stretch
    # of ten points (the inner ones left out); the ends stay
    tol = LINE_TOLERANCE_DEG
    coords = [(13.0, 53.0), (13.001, 53.0 + 0.3 * tol), (13.002, 53.0), (13.003, 53.0 + 5 * tol)]
    coords += [(13.003 + 0.001 * k, 53.0 + 5 * tol) for k in range(1, 11)]
    drawn = line(coords, {"route": "milk #1"})["geometry"]["coordinates"]
    assert drawn == [[13.0, 53.0], [13.002, 53.0], [13.003, 53.00005], [13.013, 53.00005]]
    # every point of the road lies within the tolerance of the line drawn
    assert shapely.LineString(coords).hausdorff_distance(shapely.LineString(drawn)) <= tol
    assert line([(13.0, 53.0), (13.0, 53.0)])["geometry"]["coordinates"] == [[13.0, 53.0]] * 2


def test_equal_paths_share_one_line() -> None:
    # two members at one road spot selling to one buyer, a third elsewhere, one unreachable
    road = [(13.0, 53.0), (13.01, 53.002), (13.02, 53.0)]
    other = [(13.1, 53.1), (13.0, 53.0)]
    paths = [np.array(road), np.array(road), np.array(other), None]
    props = [{"member": m, "qty": np.float64(2.0)} for m in ("M1", "M2", "M3", "M4")]
    features = lines(paths, props)
    assert [f["properties"]["member"] for f in features] == ["M1", "M2", "M3", "M4"]
    assert type(features[0]["properties"]["qty"]) is float  # made plain for JSON
    assert features[0]["geometry"] is features[1]["geometry"]  # made once
    assert features[0]["geometry"] == line(road)["geometry"]
    assert features[2]["geometry"]["coordinates"] == [[13.1, 53.1], [13.0, 53.0]]
    assert features[3]["geometry"] == {"type": "LineString", "coordinates": []}
