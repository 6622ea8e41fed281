"""Places from an OpenStreetMap file: villages, suburbs, markets, works and crafts.

The raw material for a new region's scenario: settlements (down to suburbs, neighbourhoods,
quarters and localities) are candidate members and markets, industrial estates, works,
crafts and named shops are candidate buyers and hubs. Nodes are kept where they are; ways
and multipolygons are reduced to their centroid. A marketplace drawn twice (a node and an
area) is kept once, and a place without a name gets one from the nearest named settlement
("marketplace near Cazeau").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import osmium
import pandas as pd
import shapely
from shapely.geometry import LineString, Point, Polygon

from optimizer.errors import InputError, Problem
from optimizer.geo._osm.file import check_osm_file
from optimizer.geodesy import pairwise_haversine_m

__all__ = ["MERGE_WITHIN_M", "PLACE_KINDS", "places"]

#: ``place=*`` values kept, each becoming its own kind (the last three are parts of a town
#: or named spots without houses; they come after the older kinds so that a name shared
#: with one of those still finds the older place first).
_SETTLEMENTS = (
    "city",
    "town",
    "village",
    "hamlet",
    "suburb",
    "isolated_dwelling",
    "farm",
    "quarter",
    "neighbourhood",
    "locality",
)

#: A node and an area of the same kind this close (metres), with the same name or one of them
#: unnamed, are one place drawn twice: a marketplace is often mapped both ways.
MERGE_WITHIN_M = 50.0
_MERGED_KINDS = ("marketplace",)

#: Every kind :func:`places` may return, in the order a feature is classified.
PLACE_KINDS = (
    *_SETTLEMENTS,
    "marketplace",
    "works",
    "craft",
    "industrial",
    "farmyard",
    "shop",
)

_KEYS = ("place", "amenity", "man_made", "craft", "landuse", "shop")
_COLUMNS = ["osm_id", "osm_type", "kind", "detail", "name", "lat", "lon"]
_LAT_M = 111_320.0


def places(source: str | Path, *, kinds: tuple[str, ...] | None = None) -> gpd.GeoDataFrame:
    """Read the named and useful places of an OpenStreetMap file.

    Parameters
    ----------
    source
        An ``.osm``, ``.osm.bz2``, ``.osm.gz`` or ``.osm.pbf`` file.
    kinds
        Keep only these kinds (see :data:`PLACE_KINDS`); all of them by default.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per feature, columns ``osm_id``, ``osm_type`` (node/way/relation),
        ``kind``, ``detail`` (the tag value, e.g. the craft), ``name``, ``named`` (False
        when OpenStreetMap gives no name: ``name`` is then made from the nearest named
        settlement, "marketplace near Cazeau"), ``lat``, ``lon`` and a point ``geometry``
        in EPSG:4326, sorted by kind then name. Shops are kept only when named. A
        marketplace drawn as a node and as an area within :data:`MERGE_WITHIN_M` (same
        name, or one unnamed) is one row: the node's, with the name either one gives.

    Raises
    ------
    InputError
        When the file is missing or is not OpenStreetMap data, or ``kinds`` is unknown.
    """
    path = check_osm_file(source)
    if kinds is not None:
        unknown = sorted(set(kinds) - set(PLACE_KINDS))
        if unknown:
            raise InputError(
                Problem(
                    file=str(path),
                    column="kinds",
                    value=", ".join(unknown),
                    expected=f"kinds among {', '.join(PLACE_KINDS)}",
                )
            )
    rows = _read_rows(path)
    frame = _merge_twins(pd.DataFrame(rows, columns=_COLUMNS))
    frame = _name_unnamed(frame)
    if kinds is not None:
        frame = frame[frame["kind"].isin(kinds)]
    order = {kind: i for i, kind in enumerate(PLACE_KINDS)}
    frame = frame.assign(_order=frame["kind"].map(order))
    frame = frame.sort_values(["_order", "name", "osm_id"]).drop(columns="_order")
    frame = frame.reset_index(drop=True)
    geometry = gpd.points_from_xy(frame["lon"], frame["lat"], crs="EPSG:4326")
    return gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")


def _merge_twins(frame: pd.DataFrame) -> pd.DataFrame:
    """One row for a place drawn as a node and as an area (:data:`MERGE_WITHIN_M`)."""
    names = frame["name"].astype(str).tolist()
    drop: set[int] = set()
    for kind in _MERGED_KINDS:
        of_kind = frame["kind"] == kind
        nodes = np.flatnonzero(of_kind & (frame["osm_type"] == "node"))
        areas = np.flatnonzero(of_kind & (frame["osm_type"] != "node"))
        if not len(nodes) or not len(areas):
            continue
        lat, lon = frame["lat"].to_numpy(), frame["lon"].to_numpy()
        apart = pairwise_haversine_m(lat[nodes], lon[nodes], lat[areas], lon[areas])
        merged: set[int] = set()
        for j, area in enumerate(areas):
            for i in np.argsort(apart[:, j], kind="stable"):
                node = int(nodes[i])
                if apart[i, j] > MERGE_WITHIN_M:
                    break
                given = {names[node], names[area]} - {""}
                if node not in merged and len(given) <= 1:
                    names[node] = next(iter(given), "")
                    merged.add(node)
                    drop.add(int(area))
                    break
    frame = frame.assign(name=names)
    return frame.drop(index=frame.index[sorted(drop)]).reset_index(drop=True)


def _name_unnamed(frame: pd.DataFrame) -> pd.DataFrame:
    """A readable name for each unnamed place: its kind near the nearest named settlement."""
    frame = frame.assign(named=frame["name"].astype(str).str.len() > 0)
    unnamed = frame.index[~frame["named"]]
    if not len(unnamed):
        return frame
    towns = frame[frame["named"] & frame["kind"].isin(_SETTLEMENTS)]
    taken = set(frame["name"])
    for index in unnamed:
        row = frame.loc[index]
        label = str(row["kind"]).replace("_", " ")
        if towns.empty:
            name = f"{label} at {row['lat']:.4f}, {row['lon']:.4f}"
        else:
            apart = pairwise_haversine_m([row["lat"]], [row["lon"]], towns["lat"], towns["lon"])[0]
            name = f"{label} near {towns['name'].iloc[int(np.argmin(apart))]}"
        unique, n = name, 1
        while unique in taken:  # two unnamed markets near one village: "... (2)"
            n += 1
            unique = f"{name} ({n})"
        taken.add(unique)
        frame.at[index, "name"] = unique
    return frame


def _read_rows(path: Path) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    wkb = osmium.geom.WKBFactory()
    processor = (
        osmium.FileProcessor(str(path))
        .with_areas(osmium.filter.KeyFilter(*_KEYS))
        .with_filter(osmium.filter.KeyFilter(*_KEYS))
    )
    try:
        for obj in processor:
            tags = {tag.k: tag.v for tag in obj.tags}
            found = _classify(tags)
            if found is None:
                continue
            kind, detail = found
            point = _point(obj, wkb)
            if point is None:
                continue
            osm_type, osm_id = _identity(obj)
            if osm_type is None:
                continue
            name = tags.get("name", "")
            rows.append((osm_id, osm_type, kind, detail, name, point.y, point.x))
    except RuntimeError as error:
        raise InputError(
            Problem(file=str(path), expected=f"readable OpenStreetMap data ({error})")
        ) from error
    return rows


def _classify(tags: dict[str, str]) -> tuple[str, str] | None:
    """The kind of a feature and its detail, or None when it is not a place we keep."""
    place = tags.get("place")
    if place in _SETTLEMENTS:
        return place, place
    if tags.get("amenity") == "marketplace":
        return "marketplace", "marketplace"
    if tags.get("man_made") == "works":
        return "works", tags.get("product", "works")
    if "craft" in tags:
        return "craft", tags["craft"]
    landuse = tags.get("landuse")
    if landuse == "industrial":
        return "industrial", tags.get("industrial", "industrial")
    if landuse == "farmyard":
        return "farmyard", "farmyard"
    if "shop" in tags and tags.get("name"):
        return "shop", tags["shop"]
    return None


def _identity(obj: Any) -> tuple[str | None, int]:
    """(osm_type, osm_id); osm_type None for objects already seen as another type."""
    if isinstance(obj, osmium.osm.Node):
        return "node", int(obj.id)
    if isinstance(obj, osmium.osm.Way):
        return "way", int(obj.id)
    if isinstance(obj, osmium.osm.Area):
        # Areas made from closed ways were already taken as ways.
        return (None, 0) if obj.from_way() else ("relation", int(obj.orig_id()))
    return None, 0


def _point(obj: Any, wkb: Any) -> Point | None:
    """A node's location, or the centroid of a way or area; None when it cannot be built."""
    try:
        if isinstance(obj, osmium.osm.Node):
            if not obj.location.valid():
                return None
            return Point(obj.location.lon, obj.location.lat)
        if isinstance(obj, osmium.osm.Way):
            coords = [(n.lon, n.lat) for n in obj.nodes if n.location.valid()]
            if not coords:
                return None
            if len(coords) >= 4 and obj.is_closed():
                polygon = Polygon(coords)
                if polygon.is_valid and polygon.area > 0:
                    return polygon.centroid
            if len(coords) == 1:
                return Point(coords[0])
            return LineString(coords).centroid
        if isinstance(obj, osmium.osm.Area):
            if obj.from_way():
                return None
            geometry = shapely.from_wkb(wkb.create_multipolygon(obj))
            return None if geometry.is_empty else geometry.centroid
    except (osmium.InvalidLocationError, RuntimeError, shapely.errors.GEOSException):
        return None
    return None
