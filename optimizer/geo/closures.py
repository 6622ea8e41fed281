"""Closed roads: by OSM way id, by road name or ref, or by an area.

Closing any segment closes the whole edge it belongs to (an edge has no junction inside,
so a closed bridge closes the road from one junction to the next). The network keeps its
nodes; matrices on the new network route around the closure or report the pair as
unreachable.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from optimizer.errors import InputError, Problem
from optimizer.geo._snap import DEFAULT_MAX_SNAP_M, attach, main_component, points_array, snap
from optimizer.geo.network import RoadNetwork

__all__ = ["ClosureReport", "close_roads", "closures_from_settings"]


@dataclass(frozen=True)
class ClosureReport:
    """What a closure changed.

    ``points_cut`` lists the given points (by id or position) that reached the main part
    of the network before and do not any more.
    """

    edges_closed: int
    segments_closed: int
    km_closed: float
    way_ids: tuple[int, ...]
    unmatched: tuple[str, ...]
    points_cut: tuple[Any, ...]

    def summary(self) -> str:
        """One paragraph for a terminal."""
        lines = [
            f"closed {self.edges_closed} edges, {self.km_closed:.2f} km of road "
            f"on {len(self.way_ids)} OSM ways"
        ]
        if self.unmatched:
            lines.append(f"  matched no road: {', '.join(self.unmatched)}")
        if self.points_cut:
            shown = ", ".join(str(p) for p in self.points_cut[:10])
            more = "" if len(self.points_cut) <= 10 else f" and {len(self.points_cut) - 10} more"
            lines.append(f"  points cut off: {shown}{more}")
        return "\n".join(lines)


def close_roads(
    network: RoadNetwork,
    *,
    way_ids: Iterable[int] = (),
    names: Iterable[str] = (),
    polygons: Iterable[BaseGeometry | Sequence[Sequence[float]]] = (),
    points: Any = None,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
) -> tuple[RoadNetwork, ClosureReport]:
    """Close roads and report what that cut off.

    Parameters
    ----------
    network
        The open network.
    way_ids
        OSM way ids to close.
    names
        Road names or refs (``"B 104"``): a name matches every road whose name contains it, a
        ref every road that carries it, ignoring case (and spaces in refs); a regular
        expression is searched too (``"Bahnhofstra(ss|ß)e"``). See docs/roads.md.
    polygons
        Areas whose roads close: shapely geometries in (lon, lat) or lists of
        ``[lat, lon]`` corners.
    points
        Optional points (DataFrame with ``lat``/``lon`` or (n, 2) array) to check for
        loss of connection.
    max_snap_m
        As in :func:`optimizer.geo.travel_matrix`.
    """
    way_of_seg = network.way_id[network.seg_way]
    closed = np.zeros(len(network.seg_u), dtype=bool)
    unmatched: list[str] = []
    wanted_ids = {int(w) for w in way_ids}
    if wanted_ids:
        hits = np.isin(way_of_seg, np.fromiter(wanted_ids, dtype=np.int64))
        found = set(np.unique(way_of_seg[hits]).tolist())
        unmatched += [f"way {w}" for w in sorted(wanted_ids - found)]
        closed |= hits
    for name in names:
        ways = _ways_named(network, name)
        if not ways.any():
            unmatched.append(repr(name))
        closed |= ways[network.seg_way]
    for polygon in polygons:
        closed |= _segments_in(network, _polygon(polygon))
    new = network.with_closed(closed)
    newly = new.edge_open != network.edge_open
    seg_newly = network.seg_open & ~new.seg_open
    report = ClosureReport(
        edges_closed=int(newly.sum()),
        segments_closed=int(seg_newly.sum()),
        km_closed=_km(network, seg_newly),
        way_ids=tuple(sorted(set(way_of_seg[seg_newly].tolist()))),
        unmatched=tuple(unmatched),
        points_cut=_points_cut(network, new, points, max_snap_m) if points is not None else (),
    )
    return new, report


def closures_from_settings(
    network: RoadNetwork, closures: Iterable[Mapping[str, Any]], *, points: Any = None
) -> tuple[RoadNetwork, ClosureReport]:
    """Apply the scenario's ``network.closures`` list (``way_ids``, ``name``, ``polygon``)."""
    way_ids: list[int] = []
    names: list[str] = []
    polygons: list[Any] = []
    for i, item in enumerate(closures):
        if "way_ids" in item:
            way_ids += [int(w) for w in item["way_ids"]]
        elif "name" in item:
            names.append(str(item["name"]))
        elif "polygon" in item:
            polygons.append(item["polygon"])
        else:
            raise InputError(
                Problem("network", "{way_ids: [...]}, {name: ...} or {polygon: [[lat, lon], ...]}",
                        column=f"closures[{i}]", value=item)
            )  # fmt: skip
    return close_roads(network, way_ids=way_ids, names=names, polygons=polygons, points=points)


_PATTERN_CHARS = set("^$*+?()[]{}|\\")


def _ways_named(network: RoadNetwork, pattern: str) -> Any:
    """Ways a closure's ``name`` matches (the rule in docs/roads.md, "Closures by name").

    Ignoring case: a road whose name contains the text ("Landstrasse" closes "Vaduzer
    Landstrasse"), or whose ref is the text, spaces and hyphens aside ("b96" closes "B 96",
    never "B 960"; a way may carry several refs, "B 104;B 197"). Text with a regular
    expression's special characters is searched as one (``Bahnhofstra(ss|ß)e``).
    """
    text = pattern.strip()
    regex: re.Pattern[str] | None = None
    if _PATTERN_CHARS & set(text):
        try:
            regex = re.compile(text, re.IGNORECASE)
        except re.error:
            regex = None
    wanted = text.casefold()
    wanted_ref = _ref_key(text)

    def name_hit(name: str) -> bool:
        if not name:
            return False
        if regex is not None:
            return bool(regex.search(name))
        return wanted in name.casefold()

    def ref_hit(refs: str) -> bool:
        for ref in (r.strip() for r in refs.split(";")):
            if not ref:
                continue
            if regex is not None and regex.search(ref):
                return True
            if _ref_key(ref) == wanted_ref:
                return True
        return False

    names = pd.Series(network.way_name).map(name_hit).to_numpy(dtype=bool)
    refs = pd.Series(network.way_ref).map(ref_hit).to_numpy(dtype=bool)
    return names | refs


def _ref_key(ref: str) -> str:
    return re.sub(r"[\s\-]+", "", ref).casefold()


def _polygon(polygon: BaseGeometry | Sequence[Sequence[float]]) -> BaseGeometry:
    if isinstance(polygon, BaseGeometry):
        return polygon
    corners = [(float(p[1]), float(p[0])) for p in polygon]
    if len(corners) < 3:
        raise InputError(
            Problem("network", "a polygon of at least 3 [lat, lon] corners", column="closures")
        )
    return Polygon(corners)


def _segments_in(network: RoadNetwork, area: BaseGeometry) -> Any:
    coords = np.stack(
        [
            np.column_stack([network.lon[network.seg_u], network.lat[network.seg_u]]),
            np.column_stack([network.lon[network.seg_v], network.lat[network.seg_v]]),
        ],
        axis=1,
    )
    lines = shapely.linestrings(coords)
    shapely.prepare(area)
    return shapely.intersects(area, lines)


def _km(network: RoadNetwork, mask: Any) -> float:
    u, v = network.seg_u[mask], network.seg_v[mask]
    if len(u) == 0:
        return 0.0
    key = pd.DataFrame({"a": np.minimum(u, v), "b": np.maximum(u, v), "w": network.seg_way[mask]})
    once = ~key.duplicated().to_numpy()
    return float(network.seg_length_m[mask][once].sum() / 1000.0)


def _connected(network: RoadNetwork, xy: Any, max_snap_m: float) -> Any:
    """Points that can leave for and arrive from the main part of the open network."""
    main = main_component(network)
    snapped = snap(network, xy, max_snap_m=max_snap_m)
    ok_out = np.zeros(len(xy), dtype=bool)
    ok_in = np.zeros(len(xy), dtype=bool)
    out = attach(network, snapped, leaving=True)
    ok_out[out.point[main[out.node]]] = True
    inn = attach(network, snapped, leaving=False)
    ok_in[inn.point[main[inn.node]]] = True
    return ok_out & ok_in


def _points_cut(
    before: RoadNetwork, after: RoadNetwork, points: Any, max_snap_m: float
) -> tuple[Any, ...]:
    xy = points_array(points, name="points")
    lost = _connected(before, xy, max_snap_m) & ~_connected(after, xy, max_snap_m)
    if isinstance(points, pd.DataFrame):
        ids = points["id"] if "id" in points.columns else pd.Series(points.index)
        return tuple(ids.to_numpy()[lost].tolist())
    return tuple(np.flatnonzero(lost).tolist())
