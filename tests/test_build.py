"""scenarios/build.py: places without a profile, every profile key documented and checked,
and places far from a road named after a build."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

from optimizer.errors import InputError
from tests.conftest import ROOT

DOC = ROOT / "docs" / "build-profile.md"
PROFILES = ROOT / "scenarios" / "profiles"


def _build_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("scenario_build", ROOT / "scenarios" / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


build = _build_module()


def _documented() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Keys (and required keys) of each section of docs/build-profile.md."""
    keys: dict[str, list[str]] = {}
    required: dict[str, list[str]] = {}
    section = None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"## (?:Top level|`([^`]+)`)", line)
        if heading:
            section = heading.group(1) or ""
            keys[section], required[section] = [], []
            continue
        row = re.match(r"\| `([a-z_]+)` \| [^|]+ \| ([^|]+) \|", line)
        if row and section is not None:
            keys[section].append(row.group(1))
            if row.group(2).strip() == "required":
                required[section].append(row.group(1))
    return keys, required


def test_every_profile_key_is_documented_and_no_other() -> None:
    keys, required = _documented()
    assert keys == {k: list(v) for k, v in build.PROFILE_KEYS.items()}
    assert required == {k: list(v) for k, v in build.REQUIRED_KEYS.items()}


@pytest.mark.parametrize("name", ["mecklenburg", "liechtenstein"])
def test_bundled_profiles_use_known_keys(name: str) -> None:
    profile = build.read_profile(PROFILES / f"{name}.yaml")
    assert profile["members"]["count"] > 0


def test_a_misspelt_or_missing_key_is_an_error(tmp_path: Path) -> None:
    text = (PROFILES / "liechtenstein.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("radius_m:", "radus_m:").replace("\nseed:", "\nsed:"), "utf-8")
    with pytest.raises(InputError) as caught:
        build.read_profile(bad)
    keys = {p.key for p in caught.value.problems}
    assert keys == {"members.radus_m", "sed"}
    assert build.main([str(bad), "--out", str(tmp_path / "out")]) == 2
    assert not (tmp_path / "out").exists()


def test_list_places_needs_only_the_extract(capsys: pytest.CaptureFixture[str]) -> None:
    extract = ROOT / "scenarios" / "liechtenstein" / "roads.osm.bz2"
    assert build.main([str(extract), "--list-places"]) == 0
    out = capsys.readouterr().out
    assert "Vaduz" in out and "Balzers" in out and "named in OSM" in out


def test_a_build_names_the_places_far_from_a_road(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "mecklenburg"
    assert build.main([str(PROFILES / "mecklenburg.yaml"), "--out", str(out)]) == 0
    for table in ("members.csv", "buyers.csv", "hubs.csv"):  # the same scenario as bundled
        bundled = ROOT / "scenarios" / "mecklenburg" / table
        assert (out / table).read_text(encoding="utf-8") == bundled.read_text(encoding="utf-8")
    err = capsys.readouterr().err
    assert err.startswith("warning: 65 places more than 250 m from a road")
    assert "member M076 (Arable farm Zippelow 25) is 760 m from the nearest road" in err


@pytest.mark.parametrize(
    ("wanted", "extract", "name"),
    [
        ("roads.osm.bz2", "north-bayreuth.osm.gz", "roads.osm.gz"),
        ("roads.osm.bz2", "x.osm.bz2", "roads.osm.bz2"),
        (None, "liechtenstein-2013-08-03.osm.pbf", "roads.osm.pbf"),
        ("network", "x.osm", "network.osm"),
    ],
)
def test_the_road_file_keeps_the_extracts_compression(
    wanted: str | None, extract: str, name: str
) -> None:
    assert build.road_file_name(wanted, Path(extract)) == name
