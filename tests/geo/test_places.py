from pathlib import Path

import pytest

from optimizer.errors import InputError
from optimizer.geo.places import PLACE_KINDS, places

DATA = Path(__file__).parent / "data"
SCENARIOS = Path(__file__).parents[2] / "scenarios"


def test_places_from_hand_written_file() -> None:
    found = places(DATA / "places.osm")
    # The unnamed bakery is dropped; the industrial square becomes its centre point.
    assert list(found["kind"]) == ["village", "craft", "industrial", "shop"]
    assert list(found["name"]) == ["Altdorf", "Kaeserei", "Gewerbegebiet Ost", "Hofladen"]
    industrial = found[found["kind"] == "industrial"].iloc[0]
    assert industrial["osm_type"] == "way"
    assert industrial["osm_id"] == 100
    assert industrial["lat"] == pytest.approx(53.601)
    assert industrial["lon"] == pytest.approx(13.301)
    assert found.crs.to_epsg() == 4326
    assert found.geometry.iloc[0].x == pytest.approx(13.2)
    craft = found[found["kind"] == "craft"].iloc[0]
    assert craft["detail"] == "cheese"


def test_places_filtered_by_kind() -> None:
    found = places(DATA / "places.osm", kinds=("village", "shop"))
    assert set(found["kind"]) == {"village", "shop"}
    with pytest.raises(InputError, match="kinds"):
        places(DATA / "places.osm", kinds=("castle",))


@pytest.mark.parametrize(
    ("scenario", "villages_at_least"),
    [
        ("liechtenstein", 14),  # its 14 villages (PROVENANCE.md)
        ("mecklenburg", 39),  # Neubrandenburg and its ~39 surrounding villages
    ],
)
def test_places_of_bundled_scenarios(scenario: str, villages_at_least: int) -> None:
    found = places(SCENARIOS / scenario / "roads.osm.bz2")
    assert (found["kind"] == "village").sum() >= villages_at_least
    assert set(found["kind"]) <= set(PLACE_KINDS)
    assert found["lat"].between(-90, 90).all()
    assert not found.duplicated(["osm_type", "osm_id"]).any()


def test_places_bad_input(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no file"):
        places(tmp_path / "missing.osm")
    not_osm = tmp_path / "notes.osm"
    not_osm.write_text("hello")
    with pytest.raises(InputError, match=r"notes\.osm"):
        places(not_osm)
    wrong = tmp_path / "table.csv"
    wrong.write_text("a,b\n")
    with pytest.raises(InputError, match=r"\.osm"):
        places(wrong)
