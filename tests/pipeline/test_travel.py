"""Travel on a scenario's roads: closures that close nothing or everything are input errors,
each place cut off names the closure that did it, and places far from a road are named."""

from __future__ import annotations

from typing import Any

import pytest

from optimizer import load_scenario
from optimizer.errors import InputError
from optimizer.pipeline.travel import SNAP_WARNING_M, check_roads, road_network, travel
from optimizer.scenario.scenario import Scenario
from optimizer.scenario.schema import Closure
from tests.conftest import MECKLENBURG


def _closed(scenario: Scenario, *closures: Closure) -> Scenario:
    network = scenario.network.model_copy(update={"closures": tuple(closures)})
    return scenario.model_copy(update={"network": network})


def _square(lat: float, lon: float, half: float = 0.03) -> Any:
    """Corners of a box about 6.7 km (north-south) by 7 km around (lat, lon)."""
    w = half * 1.7
    return (
        (lat - half, lon - w),
        (lat + half, lon - w),
        (lat + half, lon + w),
        (lat - half, lon + w),
    )


@pytest.fixture(scope="module")
def mecklenburg() -> Scenario:
    return load_scenario(MECKLENBURG)


def test_a_closure_that_matches_no_road_is_an_error_with_names_that_exist(
    mecklenburg: Scenario,
) -> None:
    scenario = _closed(mecklenburg, Closure(name="B 96"), Closure(name="B 69"))
    with pytest.raises(InputError) as caught:
        check_roads(scenario, source="variant.yaml")
    (problem,) = caught.value.problems
    assert problem.file == "variant.yaml"
    assert problem.key == "network.closures[1].name" and problem.value == "B 69"
    assert "roads.osm.bz2" in problem.expected and "did you mean 'B 96'" in problem.expected
    # every model reaches its roads through road_network: none solves on such a scenario
    with pytest.raises(InputError, match="B 69"):
        road_network(scenario)
    with pytest.raises(InputError, match=r"closures\[0\]\.way_ids"):
        check_roads(_closed(mecklenburg, Closure(way_ids=(1, 2))))


def test_a_closure_that_closes_everything_names_itself(mecklenburg: Scenario) -> None:
    everything = Closure(polygon=((53, 12), (54, 12), (54, 14), (53, 14)))
    scenario = _closed(mecklenburg, everything)
    for call in (
        lambda: check_roads(scenario),
        lambda: travel(scenario, scenario.table("members"), scenario.table("buyers")),
    ):
        with pytest.raises(InputError) as caught:
            call()
        assert "polygon #1" in str(caught.value) and "every road" in str(caught.value)
        assert "inf" not in str(caught.value)


def test_closures_that_cut_off_every_member_name_themselves(mecklenburg: Scenario) -> None:
    members = mecklenburg.table("members")
    lat, lon = members["lat"].mean(), members["lon"].mean()
    ring = _square(lat, lon, half=0.2)  # every member inside, a few roads outside
    scenario = _closed(mecklenburg, Closure(polygon=ring))
    with pytest.raises(InputError) as caught:
        travel(scenario, members, mecklenburg.table("buyers"))
    message = str(caught.value)
    assert "polygon #1" in message and "inf m" not in message


def test_each_place_cut_off_names_only_its_own_closure(mecklenburg: Scenario) -> None:
    members = mecklenburg.table("members").sort_values("lat")
    south, north = members.iloc[0], members.iloc[-1]
    scenario = _closed(
        mecklenburg,
        Closure(polygon=_square(south["lat"], south["lon"])),
        Closure(polygon=_square(north["lat"], north["lon"])),
    )
    trips = travel(scenario, members, mecklenburg.table("buyers"))
    cut = {n.split(": ")[0]: n.split(": ", 1)[1] for n in trips.warnings if n.startswith("cut off")}
    assert set(cut) == {
        "cut off by the road closure polygon #1",
        "cut off by the road closure polygon #2",
    }
    assert (
        f"member {south['id']} ({south['name']})" in cut["cut off by the road closure polygon #1"]
    )
    assert (
        f"member {north['id']} ({north['name']})" in cut["cut off by the road closure polygon #2"]
    )
    assert south["id"] not in cut["cut off by the road closure polygon #2"]
    assert north["id"] not in cut["cut off by the road closure polygon #1"]
    # validate says the same before any solve (and checks suppliers, buyers and hubs too)
    checked = {n.split(": ")[0]: n for n in check_roads(scenario) if n.startswith("cut off")}
    assert set(checked) == set(cut)
    assert f"member {south['id']} " in checked["cut off by the road closure polygon #1"]
    assert f"member {north['id']} " in checked["cut off by the road closure polygon #2"]


def test_places_far_from_a_road_are_named_worst_first(mecklenburg: Scenario) -> None:
    members = mecklenburg.table("members")
    trips = travel(mecklenburg, members, mecklenburg.table("buyers"))
    (note,) = [n for n in trips.warnings if f"more than {SNAP_WARNING_M:,.0f} m" in n]
    worst = members.iloc[int(trips.origin_snap_m.argmax())]
    first = note.split(": ", 1)[1].split("; ")[0]
    assert first == (
        f"member {worst['id']} ({worst['name']}) is "
        f"{trips.origin_snap_m.max():,.0f} m from the nearest road"
    )
    assert (trips.origin_snap_m > SNAP_WARNING_M).sum() == int(note.split(" places")[0])


def test_a_place_outside_the_extract_says_so(mecklenburg: Scenario) -> None:
    north = max(m.lat for m in mecklenburg.members)
    lat_max = 53.6479058  # the extract's northern edge
    assert north < lat_max
    moved = mecklenburg.members[0].model_copy(update={"lat": lat_max + 0.004})  # 450 m north
    scenario = mecklenburg.model_copy(update={"members": (moved, *mecklenburg.members[1:])})
    warnings = " ".join(check_roads(scenario))
    assert f"member {moved.id} ({moved.name}) is" in warnings
    assert "outside the bounds of the road file" in warnings
