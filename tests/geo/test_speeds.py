"""Speed presets per kind of region (docs/transport-cost.md): their effect, names and caching."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from optimizer.errors import InputError
from optimizer.geo import SpeedSettings, load_network, travel_matrix
from optimizer.geo._osm.speeds import (
    DEFAULT_PRESET,
    DEFAULT_SPEEDS_KMH,
    SPEED_PRESETS,
    UNPAVED_CAP_KMH,
    segment_speeds_kmh,
)
from optimizer.pipeline.travel import road_network
from optimizer.scenario.load import load_scenario
from optimizer.scenario.schema import SPEED_PRESET_NAMES

ROOT = Path(__file__).parents[2]
LIECHTENSTEIN = ROOT / "scenarios" / "liechtenstein"
# Two doors in Vaduz's centre, 1.4 km apart through its streets.
VADUZ = [(47.1415, 9.5215), (47.1500, 9.5150)]


def door_to_door_kmh(preset: str, cache_dir: Path) -> float:
    network = load_network(LIECHTENSTEIN / "roads.osm.bz2", preset=preset, cache_dir=cache_dir)
    matrix = travel_matrix(network, VADUZ[:1], VADUZ[1:])
    return float(matrix.distance_m[0, 0] / matrix.time_s[0, 0] * 3.6)


def test_a_towns_streets_are_slower_in_the_periurban_preset(tmp_path: Path) -> None:
    rural = door_to_door_kmh("rural_europe", tmp_path)
    periurban = door_to_door_kmh("periurban", tmp_path)  # from the cached roads
    # rural_europe drives Vaduz's centre at about 45 km/h door to door (issue 12 §4);
    # periurban at its narrow streets' congested speeds, about half of that.
    assert 40 < rural < 50
    assert periurban < 0.6 * rural
    assert door_to_door_kmh("rural_unpaved", tmp_path) < rural


def test_the_default_preset_keeps_todays_speeds() -> None:
    highway = np.array([*sorted(DEFAULT_SPEEDS_KMH), "track", "unclassified"])
    maxspeed = np.full(len(highway), np.nan)
    maxspeed[0] = 20.0
    surface = np.array(["paved"] * (len(highway) - 2) + ["unpaved", "unpaved"])
    got = segment_speeds_kmh(highway, maxspeed, surface)
    expected = np.array([DEFAULT_SPEEDS_KMH[str(h)] for h in highway])
    expected[0] = min(expected[0], 20.0)
    expected[-1] = min(expected[-1], UNPAVED_CAP_KMH)
    np.testing.assert_array_equal(got, expected)
    assert DEFAULT_PRESET == "rural_europe"
    assert SPEED_PRESETS[DEFAULT_PRESET].speeds_kmh == DEFAULT_SPEEDS_KMH
    assert SPEED_PRESETS[DEFAULT_PRESET].congestion == 1.0


def test_every_preset_prices_every_road_class_and_the_schema_knows_them() -> None:
    assert tuple(SPEED_PRESETS) == SPEED_PRESET_NAMES
    for preset in SPEED_PRESETS.values():
        assert set(preset.speeds_kmh) == set(DEFAULT_SPEEDS_KMH)
        assert all(0 < v <= 130 for v in preset.class_speeds_kmh().values())
    periurban = SPEED_PRESETS["periurban"].class_speeds_kmh()
    unpaved = SPEED_PRESETS["rural_unpaved"].class_speeds_kmh()
    for narrow in ("residential", "unclassified", "service", "tertiary"):
        assert periurban[narrow] < DEFAULT_SPEEDS_KMH[narrow]
    for minor in ("track", "unclassified"):
        assert unpaved[minor] < DEFAULT_SPEEDS_KMH[minor]


def test_a_bad_preset_name_is_an_input_error_naming_the_valid_ones(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="rural_europe, periurban, rural_unpaved"):
        SpeedSettings(preset="urban")
    folder = tmp_path / "li"
    shutil.copytree(LIECHTENSTEIN, folder)
    settings = yaml.safe_load((folder / "scenario.yaml").read_text(encoding="utf-8"))
    settings["network"]["speed_preset"] = "urban"
    (folder / "scenario.yaml").write_text(yaml.safe_dump(settings), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_scenario(folder)
    text = str(caught.value)
    assert "scenario.yaml" in text and "network.speed_preset" in text and "'urban'" in text
    assert all(name in text for name in SPEED_PRESET_NAMES)


def test_cached_networks_follow_the_preset(tmp_path: Path) -> None:
    source = LIECHTENSTEIN / "roads.osm.bz2"
    first = load_network(source, cache_dir=tmp_path)
    again = load_network(source, preset="periurban", cache_dir=tmp_path)
    assert again.from_cache and again.speeds.preset == "periurban"
    assert again.seg_speed_kmh.sum() < first.seg_speed_kmh.sum()
    switched = first.with_speeds(preset="periurban")
    np.testing.assert_array_equal(switched.seg_speed_kmh, again.seg_speed_kmh)
    # the pipeline keeps networks in memory per settings: a preset is one of them
    scenario = load_scenario(LIECHTENSTEIN)
    periurban = scenario.model_copy(
        update={"network": scenario.network.model_copy(update={"speed_preset": "periurban"})}
    )
    assert road_network(periurban).speeds.preset == "periurban"
    assert road_network(scenario).speeds.preset == "rural_europe"


def test_build_writes_the_preset_chosen_with_speeds(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("build", ROOT / "scenarios" / "build.py")
    assert spec is not None and spec.loader is not None
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    profile = ROOT / "scenarios" / "profiles" / "liechtenstein.yaml"
    out = tmp_path / "built"
    assert build.main([str(profile), "--out", str(out), "--speeds", "rural_unpaved"]) == 0
    assert load_scenario(out).network.speed_preset == "rural_unpaved"
    with pytest.raises(SystemExit):
        build.main([str(profile), "--out", str(out), "--speeds", "urban"])
