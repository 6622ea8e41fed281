"""Pages at scale: a map draws a layer's busiest lines and says what it leaves out; a table
shows its first rows and says where the others are."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from optimizer.app._drawn import busiest_lines
from optimizer.io.geojson import line, point
from tests.test_app import TIMEOUT


def test_a_layer_of_too_many_lines_draws_its_busiest_and_says_what_is_left_out() -> None:
    a, b = [0.0, 0.0], [1.0, 1.0]
    revenues = [10.0, 50.0, 20.0, 15.0, 5.0]  # 100 in all: the two busiest carry 70
    layers = {
        "market_routes": [
            *(line([a, b], {"member": f"M{i}", "revenue": r}) for i, r in enumerate(revenues)),
            point(0.5, 0.5, {"id": "B1"}),
        ],
        # legs of tours carry no weight: leaving one out would break a tour
        "routes": [line([a, b], {"route": f"milk #{i}"}) for i in range(5)],
    }
    drawn, notes = busiest_lines(layers, limit=2)
    kept = drawn["market_routes"]
    assert [f["properties"].get("revenue") for f in kept] == [50.0, 20.0, None]  # the point stays
    assert len(drawn["routes"]) == 5
    assert len(notes) == 1
    assert "Of the 5 market routes lines, the map draws the 2 with the highest revenue" in notes[0]
    assert "70 %" in notes[0] and "other 3 are in the tables" in notes[0]


@pytest.mark.parametrize("limit", [5, 100])  # cut, whole
def test_layers_within_the_limit_or_without_weights_are_drawn_whole(limit: int) -> None:
    layers = {"market_routes": [line([[0, 0], [1, 1]], {"quantity": q}) for q in range(5)]}
    drawn, notes = busiest_lines(layers, limit=limit)
    assert drawn == layers and notes == []


def _long_table() -> None:
    import pandas as pd

    from optimizer import load_scenario
    from optimizer.app import views
    from optimizer.pipeline.run import ModelRun
    from optimizer.results import Status
    from tests.conftest import LIECHTENSTEIN

    scenario = load_scenario(LIECHTENSTEIN)
    member = scenario.members[0].id
    frame = pd.DataFrame({"member": [member, "other"] * 3, "revenue": [1.0, 2.0] * 3})
    run = ModelRun("markets", scenario.name, Status.OPTIMAL, "", (), {"plan": frame})
    views.TABLE_ROWS = 4
    views.table_tabs(run, scenario, key="t")


def test_a_long_table_shows_its_first_rows_and_says_where_the_others_are() -> None:
    from optimizer.app import views

    rows = views.TABLE_ROWS
    try:
        at = AppTest.from_function(_long_table, default_timeout=TIMEOUT).run()
        assert not at.exception
        assert len(at.dataframe[0].value) == 4
        captions = [c.value for c in at.caption]
        assert any(
            "first 4 of 6 rows" in c and "plan.csv below holds every row" in c for c in captions
        )
        at.selectbox("t-plan-member").select("other").run()  # one member's rows: all shown
        assert len(at.dataframe[0].value) == 3
        assert not any("rows are shown" in c.value for c in at.caption)
    finally:
        views.TABLE_ROWS = rows
