"""Closures kept apart: which closure cut off which point, and names that look like a road's."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from optimizer.geo import apply_closures, closures_from_settings, load_network, similar_roads

DATA = Path(__file__).parent / "data"
RIVER = DATA / "river.osm"
MECKLENBURG = Path(__file__).parents[2] / "scenarios" / "mecklenburg" / "roads.osm.bz2"

# On the river roads (data/river.osm) A is the west end of Main Street (way 10), D its east
# end (way 12, then the one-way lane 14); E is on the track north of the bridge.
POINTS = pd.DataFrame({"id": ["a", "d", "e"], "lat": [0.0, 0.0, 0.01], "lon": [0.0, 0.03, 0.01]})


def test_each_cut_off_point_names_only_the_closure_that_cut_it_off() -> None:
    net = load_network(RIVER, cache=False)
    closures = [{"way_ids": [10]}, {"way_ids": [12, 14]}]
    applied = apply_closures(net, closures)
    assert applied.labels == ("OSM ways 10", "OSM ways 12, 14")
    # 500 m: the next open road is 1.1 km from A and from D
    assert applied.cut_off(POINTS, max_snap_m=500) == (
        ("OSM ways 10",),
        ("OSM ways 12, 14",),
        (),
    )
    report = applied.report(POINTS, max_snap_m=500)
    assert report.points_cut == ("a", "d")
    assert report.cut_by == (("OSM ways 10",), ("OSM ways 12, 14",))
    assert "a (by OSM ways 10), d (by OSM ways 12, 14)" in report.summary()


def test_a_point_any_of_two_closures_cuts_off_names_both_and_no_third() -> None:
    net = load_network(RIVER, cache=False)
    # Main Street is ways 10 and 12: it cuts off A (like way 10) and D (like way 12)
    applied = apply_closures(net, [{"way_ids": [12]}, {"name": "Main Street"}, {"way_ids": [10]}])
    a, d, e = applied.cut_off(POINTS, max_snap_m=500)
    assert a == ("'Main Street'", "OSM ways 10")
    assert d == ("OSM ways 12", "'Main Street'")
    assert e == ()


def test_a_closure_that_matches_nothing_is_listed_by_position() -> None:
    net = load_network(RIVER, cache=False)
    applied = apply_closures(net, [{"name": "old bridge"}, {"name": "Mian Street"}])
    assert applied.unmatched_closures == (1,)
    assert applied.report().unmatched == ("'Mian Street'",)
    assert similar_roads(net, "Mian Street") == ("Main Street",)
    # the older entry point keeps working, and still says what matched nothing
    _, report = closures_from_settings(net, [{"name": "Mian Street"}])
    assert report.unmatched == ("'Mian Street'",) and report.edges_closed == 0


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("B 69", "B 96"), ("neustrelitzer strase", "Neustrelitzer Straße"), ("Hauptstr", None)],
)
def test_similar_roads_on_a_real_extract(typed: str, meant: str | None) -> None:
    found = similar_roads(load_network(MECKLENBURG), typed)
    assert 1 <= len(found) <= 3
    if meant is not None:
        assert meant in found
    assert similar_roads(load_network(MECKLENBURG), "qqqqqq") == ()
