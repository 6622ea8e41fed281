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


def _square(way_id: int, first_node: int, lat: float, lon: float, tags: str) -> str:
    """A closed way of about 22 m a side centred on (lat, lon), with its four nodes."""
    h = 0.0001
    corners = [(lat - h, lon - h), (lat - h, lon + h), (lat + h, lon + h), (lat + h, lon - h)]
    nodes = "".join(
        f'<node id="{first_node + k}" lat="{a:.6f}" lon="{b:.6f}" version="1"/>'
        for k, (a, b) in enumerate(corners)
    )
    refs = "".join(f'<nd ref="{first_node + k}"/>' for k in (0, 1, 2, 3, 0))
    return f'{nodes}<way id="{way_id}" version="1">{refs}{tags}</way>'


def _node(node_id: int, lat: float, lon: float, tags: str) -> str:
    return f'<node id="{node_id}" lat="{lat}" lon="{lon}" version="1">{tags}</node>'


def _tags(**tags: str) -> str:
    return "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items())


def test_suburbs_twins_and_unnamed_places(tmp_path: Path) -> None:
    market = {"amenity": "marketplace"}
    body = [
        _node(1, 44.0, 0.0, _tags(place="village", name="Cazeau")),
        _node(2, 44.05, 0.05, _tags(place="town", name="Bordes")),
        _node(3, 44.01, 0.0, _tags(place="suburb", name="Nord")),
        _node(4, 44.02, 0.0, _tags(place="neighbourhood", name="Vieux Port")),
        _node(5, 44.03, 0.0, _tags(place="quarter", name="Quartier Latin")),
        _node(6, 44.04, 0.0, _tags(place="locality", name="Les Prés")),
        _node(7, 44.045, 0.0, _tags(place="hamlet", name="Le Bourg")),
        # one market drawn twice (node and area a metre apart, same name)
        _node(10, 44.0005, 0.0005, _tags(**market, name="Marché")),
        _square(100, 1000, 44.00051, 0.0005, _tags(**market, name="Marché")),
        # an unnamed market drawn twice (the area has the name): one, named
        _node(11, 44.049, 0.049, _tags(**market)),
        _square(101, 1010, 44.049, 0.04901, _tags(**market, name="Halle")),
        # two markets side by side with other names stay two
        _node(12, 44.002, 0.002, _tags(**market, name="Marché aux Bestiaux")),
        _square(102, 1020, 44.00205, 0.002, _tags(**market, name="Marché Couvert")),
        # unnamed markets near Cazeau, one drawn twice
        _node(13, 44.003, 0.003, _tags(**market)),
        _square(103, 1030, 44.003, 0.003, _tags(**market)),
        _node(14, 44.0035, 0.0035, _tags(**market)),
    ]
    path = tmp_path / "places.osm"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="test">'
        + "".join(body)
        + "</osm>",
        encoding="utf-8",
    )
    found = places(path)
    kinds = dict(zip(found["name"], found["kind"], strict=True))
    assert kinds["Nord"] == "suburb" and kinds["Vieux Port"] == "neighbourhood"
    assert kinds["Quartier Latin"] == "quarter" and kinds["Les Prés"] == "locality"
    assert kinds["Le Bourg"] == "hamlet"
    markets = found[found["kind"] == "marketplace"].set_index("name")
    assert sorted(markets.index) == [
        "Halle",
        "Marché",
        "Marché Couvert",
        "Marché aux Bestiaux",
        "marketplace near Cazeau",
        "marketplace near Cazeau (2)",
    ]
    assert markets.loc["Marché", "osm_type"] == "node"  # the node is kept, the area merged
    assert markets.loc["Halle", "osm_type"] == "node" and markets.loc["Halle", "named"]
    assert not markets.loc["marketplace near Cazeau", "named"]
    assert markets.loc["Marché", "named"]
    assert not found.duplicated(["osm_type", "osm_id"]).any()


def test_neighbourhoods_of_the_bundled_neubrandenburg_extract() -> None:
    found = places(SCENARIOS / "mecklenburg" / "roads.osm.bz2")
    assert (found["kind"] == "neighbourhood").sum() >= 2
    assert (found["kind"] == "suburb").sum() >= 26
    assert found["name"].astype(str).str.len().gt(0).all()  # every place has a readable name
    unnamed = found[~found["named"]]
    assert unnamed["name"].str.contains(" near ").all()
