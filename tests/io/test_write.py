"""Exports: the one workbook writer, GeoJSON places with their roles, atomic files."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd

from optimizer import load_scenario
from optimizer.io.geojson import OSM_ATTRIBUTION, lines
from optimizer.io.write import (
    places_geojson,
    write_geojson,
    write_json,
    write_tables,
    write_xlsx,
    xlsx_bytes,
)
from tests.conftest import TINY


def test_xlsx_bytes_one_sheet_per_table_with_excel_names() -> None:
    long = "a_table_name_longer_than_excel_allows"
    tables = {"kpis": pd.DataFrame({"label": ["income"], "value": [1.5]}), long: pd.DataFrame()}
    sheets = pd.read_excel(io.BytesIO(xlsx_bytes(tables)), sheet_name=None)
    assert list(sheets) == ["kpis", long[:31]]
    assert sheets["kpis"].to_dict(orient="list") == {"label": ["income"], "value": [1.5]}


def test_xlsx_cells_read_back_as_pandas_wrote_them() -> None:
    frame = pd.DataFrame(
        {
            "cost": [1.5, math.inf, -math.inf, math.nan],
            "trucks": pd.array([2, None, 0, 7], dtype="Int64"),
            "member": ["M1", None, "M3", "M4"],
            "stable": [True, False, True, False],
        }
    )
    data = xlsx_bytes({"t": frame})
    rows = list(openpyxl.load_workbook(io.BytesIO(data))["t"].iter_rows())
    assert [c.value for c in rows[0]] == list(frame.columns)
    assert all(c.font.b for c in rows[0])  # the header in bold, as pandas writes it
    # infinity as text (Excel has none), missing values as empty cells
    assert [[c.value for c in row] for row in rows[1:]] == [
        [1.5, 2, "M1", True],
        ["inf", None, None, False],
        ["-inf", 0, "M3", True],
        [None, 7, "M4", False],
    ]
    sheet = pd.read_excel(io.BytesIO(data), sheet_name="t")
    assert sheet["cost"].tolist()[:3] == [1.5, math.inf, -math.inf]  # as pandas reads them


def test_write_tables_and_xlsx_leave_no_temporary_file(tmp_path: Path) -> None:
    tables = {"a": pd.DataFrame({"x": [1, 2]}), "b": pd.DataFrame({"y": ["p"]})}
    written = write_tables(tables, tmp_path / "out", workbook="all.xlsx")
    assert sorted(p.name for p in written) == ["a.csv", "all.xlsx", "b.csv"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.csv", "all.xlsx", "b.csv"]
    book = pd.read_excel(tmp_path / "out" / "all.xlsx", sheet_name=None)
    assert book["a"]["x"].tolist() == [1, 2] and book["b"]["y"].tolist() == ["p"]
    again = write_xlsx(tables, tmp_path / "out" / "all.xlsx")
    assert again.read_bytes()[:2] == b"PK"  # a zip container, replaced in place


def test_places_geojson_is_a_valid_collection(tmp_path: Path) -> None:
    scenario = load_scenario(TINY)
    features = places_geojson(scenario)
    expected = (
        len(scenario.members) + len(scenario.suppliers) + len(scenario.buyers) + len(scenario.hubs)
    )
    assert len(features) == expected
    member = scenario.members[0]
    first = features[0]
    assert first["type"] == "Feature" and first["geometry"]["type"] == "Point"
    assert first["geometry"]["coordinates"] == [round(member.lon, 7), round(member.lat, 7)]
    assert first["properties"]["role"] == "member" and first["properties"]["id"] == member.id
    roles = {f["properties"]["role"] for f in features}
    assert "member" in roles and "buyer" in roles
    path = write_geojson(features, tmp_path / "places.geojson", roads=True)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["type"] == "FeatureCollection" and data["attribution"] == OSM_ATTRIBUTION
    assert data["features"] == features
    plain = json.loads(write_geojson(features, tmp_path / "p.geojson", roads=False).read_text())
    assert "attribution" not in plain


def test_road_lines_are_written_compact_with_plain_values(tmp_path: Path) -> None:
    path = np.array([(13.0, 53.0), (13.01, 53.002), (13.02, 53.0)])
    props = [{"member": "Müller", "km": np.float64(2.5)}, {"member": "M2", "km": math.nan}]
    features = lines([path, path], props)  # two members at one road spot: one geometry
    features.append({"type": "Feature", "geometry": None, "properties": {"n": np.int64(3)}})
    text = write_geojson(features, tmp_path / "routes.geojson", roads=True).read_text("utf-8")
    assert text.count("\n") == 1 and "Müller" in text  # one line, UTF-8 names as they are
    data = json.loads(text)
    assert data["attribution"] == OSM_ATTRIBUTION
    assert data["features"][1]["geometry"]["coordinates"] == [
        [13.0, 53.0],
        [13.01, 53.002],
        [13.02, 53.0],
    ]
    assert [f["properties"] for f in data["features"]] == [
        {"member": "Müller", "km": 2.5},
        {"member": "M2", "km": None},
        {"n": 3},
    ]


def test_write_json_makes_values_plain(tmp_path: Path) -> None:
    data = {"n": np.int64(3), "x": math.inf, "p": Path("a/b"), "t": pd.DataFrame({"v": [1.0]})}
    text = write_json(data, tmp_path / "d.json").read_text(encoding="utf-8")
    assert json.loads(text) == {"n": 3, "x": None, "p": "a/b", "t": [{"v": 1.0}]}


def test_the_out_folder_is_tried_and_not_left_behind(tmp_path: Path) -> None:
    from optimizer.io.write import check_out_folder

    folder = tmp_path / "a" / "b" / "out"
    check_out_folder(folder)  # writable: no error ...
    assert not (tmp_path / "a").exists()  # ... and no empty folders left for a run that stops
    (tmp_path / "kept").mkdir()
    check_out_folder(tmp_path / "kept")
    assert (tmp_path / "kept").is_dir()  # a folder that was there stays
