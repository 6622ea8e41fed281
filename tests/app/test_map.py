"""The map: lines coloured by whose they are, never a closed road's colour; the legend names
closed roads, farms not collected and open hubs; a road clicked on the map becomes a closure."""

from __future__ import annotations

import pandas as pd
import pytest
import shapely
from streamlit.testing.v1 import AppTest

from optimizer.app.map import (
    CLOSED,
    SHARED,
    SKIPPED,
    cooperative_colours,
    drawing_tolerance,
    drawn_coords,
    line_palette,
    map_features,
    picked_road,
    road_features,
    vega_map,
)
from optimizer.app.whatif import build_overrides, road_names
from optimizer.io.geojson import line, point
from optimizer.pipeline.routes import SKIPPED_ROLE, _skipped_points
from optimizer.pipeline.travel import road_network
from optimizer.scenario.load import load_scenario
from optimizer.scenario.scenario import Scenario
from optimizer.scenario.variants import apply_overrides
from tests.conftest import LIECHTENSTEIN
from tests.test_app import SMALL, TIMEOUT, no_errors


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return load_scenario(LIECHTENSTEIN)


def test_lines_take_their_cooperatives_colour_and_never_the_closed_roads(
    scenario: Scenario,
) -> None:
    a, b = [0.0, 0.0], [1.0, 1.0]
    layers = {
        "routes": [
            line([a, b], {"route": "milk #0", "cooperative": "dairy"}),  # one cooperative
            line([a, b], {"route": "milk #1", "cooperative": "dairy+veg"}),  # both
        ],
        "first_mile": [line([a, b], {"member": "M001", "hub": "H3"})],  # the member's
        "corridors": [line([a, b], {"hub": "H3", "buyer": "B1"})],  # the hub owner's
        "deliveries": [line([a, b], {"supplier": "S1"})],  # no cooperative's
    }
    _, lines = map_features(scenario, layers)
    groups = [f["properties"]["group"] for f in lines]
    names = {c.id: c.name for c in scenario.cooperatives}
    member = next(m for m in scenario.members if m.id == "M001")
    assert groups == [names["dairy"], SHARED, names[member.cooperative], names["veg"], "deliveries"]
    order = [c.name for c in scenario.cooperatives]
    domain, colours = line_palette(lines, order)
    assert domain == [*order, SHARED, "deliveries"]
    members = cooperative_colours(order)
    assert colours[:2] == [members[order[0]], members[order[1]]]  # as on their members
    assert CLOSED not in colours and CLOSED not in members.values()
    assert len(set(colours)) == len(colours)


def test_the_legend_names_closed_roads_skipped_farms_and_open_hubs(scenario: Scenario) -> None:
    closed = apply_overrides(
        scenario, {"add": {"network.closures": [{"name": "Landstrasse"}]}}, source="test"
    )
    roads = road_features("test-closed", road_network(closed))
    assert any(r["properties"]["closed"] for r in roads)
    member = scenario.members[0]
    layers = {
        "hubs": [point(9.5, 47.2, {"id": "H1", "name": "Hub", "open": True})],
        "skipped": [point(member.lon, member.lat, {"role": SKIPPED_ROLE, "id": member.id})],
    }
    points, lines = map_features(scenario, layers)
    spec = vega_map(points, lines, roads, cooperatives=[c.name for c in scenario.cooperatives])
    road_layer, point_layer = spec["layer"][0], spec["layer"][-1]
    stroke = road_layer["encoding"]["stroke"]["scale"]
    assert stroke == {"domain": ["road", "closed road"], "range": [stroke["range"][0], CLOSED]}
    legend = point_layer["encoding"]["color"]["scale"]["domain"]
    assert SKIPPED == SKIPPED_ROLE and {SKIPPED, "hub (open)"} <= set(legend)
    assert spec["resolve"]["scale"]["stroke"] == "independent"
    assert road_layer["params"][0]["select"]["fields"] == ["closure", "way"]


def test_a_click_on_a_road_names_it_and_its_way(scenario: Scenario) -> None:
    roads = road_features("test-open", road_network(scenario))
    named = next(r for r in roads if r["closure"])
    event = {"selection": {"road_pick": [{"closure": named["closure"], "way": named["way"]}]}}
    assert picked_road(event) == {"closure": named["closure"], "way": named["way"]}
    assert picked_road({"selection": {"road_pick": []}}) is None
    assert picked_road(None) is None
    assert named["closure"] in road_names(road_network(scenario))


def test_a_road_without_a_name_is_closed_by_its_way(scenario: Scenario) -> None:
    network = road_network(scenario)
    way = int(network.edges()["way_id"].iloc[0])
    overrides, changes = build_overrides(scenario, closed_ways=[way, way])
    assert overrides["add"]["network.closures"] == [{"way_ids": [way]}]
    assert changes == [f"closed: way {way}"]
    closed = apply_overrides(scenario, overrides, source="test")
    assert not road_network(closed).edges().query("way_id == @way")["open"].any()


def test_skipped_farms_are_points_with_their_reasons(scenario: Scenario) -> None:
    m = scenario.members[0]
    skipped = pd.DataFrame(
        {"products": ["milk", "veg"], "member": [m.id, m.id], "reason": ["too far", "too far"]}
    )
    (farm,) = _skipped_points(scenario, skipped)
    assert farm["geometry"]["coordinates"] == pytest.approx([m.lon, m.lat], abs=1e-5)
    assert farm["properties"] == {
        "role": SKIPPED_ROLE,
        "id": m.id,
        "name": m.name,
        "cooperative": m.cooperative,
        "reason": "too far",
    }


def test_a_road_clicked_on_the_map_joins_the_closures() -> None:
    def page() -> None:
        from optimizer.app.shell import page_setup

        page_setup()

    at = AppTest.from_function(page, default_timeout=TIMEOUT)
    at.session_state["scenario_choice"] = SMALL
    at.run()
    no_errors(at)
    road = at.multiselect(key="wi_closures").options[0]
    at.session_state["wi_queued_closure"] = (road, 1)  # what a click on the road leaves
    at.run()
    no_errors(at)
    assert at.multiselect(key="wi_closures").value == [road]
    assert at.session_state["overrides"]["add"]["network.closures"] == [{"name": road}]
    at.session_state["wi_queued_closure"] = ("", 123)  # a road with no name: by its way
    at.run()
    no_errors(at)
    assert at.session_state["overrides"]["add"]["network.closures"][-1] == {"way_ids": [123]}


def test_an_added_buyer_and_its_price_join_the_scenario(scenario: Scenario) -> None:
    product = scenario.produce()[0].id
    buyer = {"id": "B99", "name": "New dairy", "kind": "processor", "lat": 47.2, "lon": 9.5}
    offer = {"product": product, "price": 0.6, "max_intake": 1000.0}
    overrides, changes = build_overrides(scenario, added_buyer={**buyer, **offer})
    variant = apply_overrides(scenario, overrides, source="test")
    added = next(b for b in variant.buyers if b.id == "B99")
    assert (added.name, added.lat, added.lon) == ("New dairy", 47.2, 9.5)
    price = next(p for p in variant.buyer_prices if p.buyer == "B99")
    assert (price.product, price.price, price.max_intake) == (product, 0.6, 1000.0)
    assert changes == [f"new buyer New dairy (B99) paying 0.6 for {product}"]


def test_drawn_lines_keep_their_shape_with_fewer_points() -> None:
    straight = [[13.0 + i * 1e-4, 53.0 + i * 1e-4] for i in range(50)]  # 50 points in a line
    bend = [[13.0, 53.0], [13.001, 53.0], [13.001, 53.001]]
    assert drawn_coords(straight) == [[13.0, 53.0], [13.0049, 53.0049]]  # the ends only
    assert drawn_coords(bend) == bend  # a corner stays
    assert drawn_coords([[13.123456789, 53.987654321]]) == [[13.12346, 53.98765]]


def test_the_fixed_map_drops_what_is_under_a_fifth_of_a_pixel() -> None:
    lats, lons = [53.0, 53.2], [13.0, 13.5]  # 0.5 degrees across: 1e-4 degrees
    assert drawing_tolerance(lats, lons) == pytest.approx(1e-4)
    assert drawing_tolerance(lats, lons, zoomable=True) == pytest.approx(2e-5)  # ~2 m
    assert drawing_tolerance([53.0, 53.001], [13.0, 13.001]) == pytest.approx(2e-5)  # floor
    # a road wiggling by 3e-5 degrees (about 3 m) along 0.05 degrees
    wiggle = [[13.0 + i * 5e-4, 53.0 + (3e-5 if i % 2 else 0.0)] for i in range(101)]
    fine, coarse = drawn_coords(wiggle), drawn_coords(wiggle, 1e-4)
    assert len(coarse) < len(fine) / 10
    drawn = shapely.LineString(coarse)
    assert max(drawn.distance(shapely.Point(p)) for p in wiggle) <= 1e-4 + 1e-9
    loop = [[13.0, 53.0], [13.00001, 53.00001], [13.0, 53.0]]  # a leg back where it began
    assert len(drawn_coords(loop, 1e-4)) >= 2
