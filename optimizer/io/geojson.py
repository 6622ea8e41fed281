"""GeoJSON features and collections: the one place that writes their shape.

Coordinates are ``[lon, lat]`` in degrees, rounded to 7 decimals (about 1 cm); a line leaves out
the points that move it by less than about 1 m (:data:`LINE_TOLERANCE_DEG`); property values
are made plain for JSON (numpy scalars become Python numbers, ``nan`` and ``inf`` become
``null``). Collections of features on OpenStreetMap roads carry the ODbL attribution.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

__all__ = [
    "LINE_TOLERANCE_DEG",
    "OSM_ATTRIBUTION",
    "collection",
    "feature",
    "features_json",
    "line",
    "plain",
    "point",
]

OSM_ATTRIBUTION = "© OpenStreetMap contributors (ODbL 1.0)"
_DIGITS = 7
# a road path of a few hundred points keeps about 60 % of them (ladder, 5,000 members: 1.49
# million points of the markets' paths, 38 MB of JSON, down to 0.88 million); OpenStreetMap's
# own positions are no closer than a metre or two
LINE_TOLERANCE_DEG = 1e-5


def plain(value: Any) -> Any:
    """``value`` as JSON can hold it: numpy scalars as Python numbers, non-finite floats as None."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:  # most values: as they are
        return value
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def point(lon: float, lat: float, properties: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A Point feature at ``(lon, lat)`` with ``properties``."""
    return feature(
        {"type": "Point", "coordinates": [round(float(lon), _DIGITS), round(float(lat), _DIGITS)]},
        properties,
    )


def line(
    coordinates: Iterable[Sequence[float]], properties: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """A LineString feature through ``coordinates`` (``(lon, lat)`` pairs) with ``properties``,
    without the points that move it by less than :data:`LINE_TOLERANCE_DEG` (its ends stay)."""
    array = np.asarray(list(coordinates) if not hasattr(coordinates, "__array__") else coordinates)
    array = array.astype(float).reshape(-1, 2)
    if len(array) > 2:
        import shapely  # here: the module is imported by commands that draw no line

        line_ = shapely.linestrings(array)
        simple = shapely.simplify(line_, LINE_TOLERANCE_DEG, preserve_topology=False)
        array = shapely.get_coordinates(simple)
    coords = np.round(array, _DIGITS).tolist()  # one call, not a loop
    return feature({"type": "LineString", "coordinates": coords}, properties)


def lines(paths: Iterable[Any], properties: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """LineString features, one per path (``(lon, lat)`` rows, or None: no points) with its
    properties; equal paths share one geometry, made once (members at one road spot share
    their path to a buyer: markets at 15,000 members draw 7,951 lines for 19,704 pairs)."""
    shapes: dict[bytes, dict[str, Any]] = {}
    features = []
    for path, props in zip(paths, properties, strict=True):
        array = np.zeros((0, 2)) if path is None else np.asarray(path, dtype=float)
        key = array.tobytes()
        if key not in shapes:
            shapes[key] = line(array)["geometry"]
        features.append(feature(shapes[key], props))
    return features


def features_json(
    features: Any, *, default: Callable[[Any], Any] | None = None, ensure_ascii: bool = True
) -> str:
    """``json.dumps(features)``, a geometry that several features share written once: road
    paths are most of a layer, and members at one road spot share theirs (markets at 15,000
    members: 7,951 paths in 19,704 features). Features of another shape: ``json.dumps``."""
    dumps = functools.partial(json.dumps, default=default, ensure_ascii=ensure_ascii)
    if not isinstance(features, list) or not all(
        isinstance(f, dict) and list(f) == ["type", "geometry", "properties"] for f in features
    ):
        return dumps(features)
    shapes: dict[int, str] = {}
    parts = []
    for one in features:
        geometry = one["geometry"]
        if id(geometry) not in shapes:
            shapes[id(geometry)] = dumps(geometry)
        parts.append(
            f'{{"type": {dumps(one["type"])}, "geometry": {shapes[id(geometry)]}, '
            f'"properties": {dumps(one["properties"])}}}'
        )
    return "[" + ", ".join(parts) + "]"


def collection(features: Iterable[Mapping[str, Any]], *, roads: bool) -> dict[str, Any]:
    """A FeatureCollection; ``roads`` (features drawn on OpenStreetMap data) adds the
    attribution the ODbL asks for."""
    out: dict[str, Any] = {"type": "FeatureCollection", "features": list(features)}
    if roads:
        out["attribution"] = OSM_ATTRIBUTION
    return out


def feature(geometry: dict[str, Any], properties: Mapping[str, Any] | None) -> dict[str, Any]:
    """A feature of a ``geometry`` made by :func:`line` or :func:`point` (several features may
    share one) with ``properties``."""
    props = {str(k): plain(v) for k, v in (properties or {}).items()}
    return {"type": "Feature", "geometry": geometry, "properties": props}
