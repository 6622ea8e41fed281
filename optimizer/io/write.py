"""Exports: tables to CSV and XLSX, results to JSON, places and lines to GeoJSON.

Files are written to a temporary name and moved into place, so an interrupted run never
leaves a half-written file behind.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from optimizer.scenario.scenario import Scenario

__all__ = [
    "OSM_ATTRIBUTION",
    "places_geojson",
    "write_geojson",
    "write_json",
    "write_tables",
]

OSM_ATTRIBUTION = "© OpenStreetMap contributors (ODbL 1.0)"


def _atomic(path: Path, write: Callable[[Path], None]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def write_tables(tables: Mapping[str, pd.DataFrame], folder: Path, *, workbook: str) -> list[Path]:
    """Each table as ``NAME.csv`` and all of them as sheets of ``workbook`` (an ``.xlsx``)."""
    written = []
    for name, frame in tables.items():

        def csv(path: Path, frame: pd.DataFrame = frame) -> None:
            frame.to_csv(path, index=False)

        written.append(_atomic(folder / f"{name}.csv", csv))

    def book(path: Path) -> None:
        with pd.ExcelWriter(path, engine="openpyxl") as writer:
            for name, frame in tables.items():
                frame.to_excel(writer, sheet_name=name[:31], index=False)

    written.append(_atomic(folder / workbook, book))
    return written


def write_json(data: Any, path: Path) -> Path:
    """``data`` as indented JSON (numpy numbers and non-finite floats made plain)."""
    text = json.dumps(_plain(data), indent=2, ensure_ascii=False) + "\n"

    def dump(target: Path) -> None:
        target.write_text(text, encoding="utf-8")

    return _atomic(path, dump)


def write_geojson(features: Iterable[Mapping[str, Any]], path: Path, *, roads: bool) -> Path:
    """A FeatureCollection; ``roads`` adds the OpenStreetMap attribution."""
    collection: dict[str, Any] = {"type": "FeatureCollection", "features": list(features)}
    if roads:
        collection["attribution"] = OSM_ATTRIBUTION
    return write_json(collection, path)


def places_geojson(scenario: Scenario) -> list[dict[str, Any]]:
    """Members, suppliers, buyers and hubs as GeoJSON point features with their roles."""
    features = []
    for member in scenario.members:
        features.append(
            _point(
                member.lon,
                member.lat,
                role="member",
                id=member.id,
                name=member.name,
                cooperative=member.cooperative,
                tags=";".join(member.tags),
            )
        )
    for supplier in scenario.suppliers:
        features.append(
            _point(supplier.lon, supplier.lat, role="supplier", id=supplier.id, name=supplier.name)
        )
    for buyer in scenario.buyers:
        features.append(
            _point(
                buyer.lon, buyer.lat, role="buyer", id=buyer.id, name=buyer.name, kind=buyer.kind
            )
        )
    for hub in scenario.hubs:
        features.append(
            _point(
                hub.lon,
                hub.lat,
                role="hub",
                id=hub.id,
                name=hub.name,
                existing=hub.existing,
                cooperative=hub.cooperative,
            )
        )
    return features


def _point(lon: float, lat: float, **properties: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [round(lon, 7), round(lat, 7)]},
        "properties": properties,
    }


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, pd.DataFrame):
        return [_plain(r) for r in value.to_dict(orient="records")]
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    return value
