"""Raw road segments read from OpenStreetMap (pyosmium) or from a networkx graph.

A *segment* joins two consecutive nodes of a way in one driving direction; two-way roads
give two segments. Everything later (components, simplification, speeds, closures) works
on these arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import osmium

from optimizer.errors import InputError, Problem
from optimizer.geo._osm.speeds import allowed, direction, parse_maxspeed, surface_class

__all__ = ["MIN_SEGMENT_M", "RawRoads", "read_graph", "read_osm"]

#: Segments between nodes at the same place still cost a little, so every weight is > 0.
MIN_SEGMENT_M = 0.01

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class RawRoads:
    """Nodes, directed segments and the ways they come from."""

    lat: FloatArray
    lon: FloatArray
    osm_id: IntArray
    seg_u: IntArray
    seg_v: IntArray
    seg_way: IntArray
    way_id: IntArray
    way_highway: npt.NDArray[np.str_]
    way_name: npt.NDArray[np.str_]
    way_ref: npt.NDArray[np.str_]
    way_maxspeed_kmh: FloatArray
    way_surface: npt.NDArray[np.str_]
    dangling_refs: int
    ways_seen: int


class _Builder:
    def __init__(self) -> None:
        self.index: dict[int, int] = {}
        self.lat: list[float] = []
        self.lon: list[float] = []
        self.osm_id: list[int] = []
        self.seg_u: list[int] = []
        self.seg_v: list[int] = []
        self.seg_way: list[int] = []
        self.ways: list[tuple[int, str, str, str, float, str]] = []
        self.dangling = 0
        self.seen = 0

    def node(self, osm_id: int, lat: float, lon: float) -> int:
        i = self.index.get(osm_id)
        if i is None:
            i = self.index[osm_id] = len(self.lat)
            self.lat.append(lat)
            self.lon.append(lon)
            self.osm_id.append(osm_id)
        return i

    def way(self, way_id: int, tags: dict[str, str], chain: list[int | None]) -> None:
        w = len(self.ways)
        self.ways.append(
            (
                way_id,
                tags.get("highway", "road"),
                tags.get("name", ""),
                tags.get("ref", ""),
                parse_maxspeed(tags.get("maxspeed")),
                surface_class(tags),
            )
        )
        sense = direction(tags)
        for a, b in pairwise(chain):
            if a is None or b is None or a == b:
                continue
            if sense >= 0:
                self.seg_u.append(a)
                self.seg_v.append(b)
                self.seg_way.append(w)
            if sense <= 0:
                self.seg_u.append(b)
                self.seg_v.append(a)
                self.seg_way.append(w)

    def build(self) -> RawRoads:
        cols: list[Any] = list(zip(*self.ways, strict=True)) if self.ways else [()] * 6
        return RawRoads(
            lat=np.asarray(self.lat, dtype=np.float64),
            lon=np.asarray(self.lon, dtype=np.float64),
            osm_id=np.asarray(self.osm_id, dtype=np.int64),
            seg_u=np.asarray(self.seg_u, dtype=np.int64),
            seg_v=np.asarray(self.seg_v, dtype=np.int64),
            seg_way=np.asarray(self.seg_way, dtype=np.int64),
            way_id=np.asarray(cols[0], dtype=np.int64),
            way_highway=np.asarray(cols[1], dtype=np.str_),
            way_name=np.asarray(cols[2], dtype=np.str_),
            way_ref=np.asarray(cols[3], dtype=np.str_),
            way_maxspeed_kmh=np.asarray(cols[4], dtype=np.float64),
            way_surface=np.asarray(cols[5], dtype=np.str_),
            dangling_refs=self.dangling,
            ways_seen=self.seen,
        )


def read_osm(path: Path, *, vehicle: str) -> RawRoads:
    """Read the ``highway=*`` ways a vehicle may use from an OSM file with pyosmium.

    Node references without a location (clipped extracts) split the way there.
    """
    builder = _Builder()
    processor = (
        osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
        .with_locations()
        .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
        .with_filter(osmium.filter.KeyFilter("highway"))
    )
    try:
        for way in processor:
            builder.seen += 1
            tags = {tag.k: tag.v for tag in way.tags}
            if not allowed(tags, vehicle):
                continue
            chain: list[int | None] = []
            for ref in way.nodes:  # type: ignore[union-attr]
                location = ref.location
                if location.valid():
                    chain.append(builder.node(ref.ref, location.lat, location.lon))
                else:
                    builder.dangling += 1
                    chain.append(None)
            builder.way(way.id, tags, chain)
    except RuntimeError as error:
        raise InputError(
            Problem(file=str(path), expected=f"readable OpenStreetMap data ({error})")
        ) from error
    return builder.build()


def read_graph(graph: Any, *, name: str) -> RawRoads:
    """Segments from an osmnx-style networkx MultiDiGraph (GraphML or a download).

    Edge geometries, when present, become extra nodes so that paths follow the road. An
    edge is priced by its (first) ``highway`` class: osmnx merges ways, so an edge made of
    a street and a track is priced as one of them.
    """
    builder = _Builder()
    synthetic: dict[tuple[float, float], int] = {}
    for node, data in graph.nodes(data=True):
        try:
            builder.node(_node_key(node), float(data["y"]), float(data["x"]))
        except (KeyError, TypeError, ValueError) as error:
            raise InputError(
                Problem(file=name, expected="graph nodes with numeric 'x' and 'y'", value=node)
            ) from error
    for u, v, data in graph.edges(data=True):
        tags = {
            key: _first(data.get(key))
            for key in ("highway", "name", "ref", "maxspeed", "surface", "tracktype")
            if data.get(key) is not None
        }
        tags["oneway"] = "yes"  # a directed graph edge is already one direction
        tags.setdefault("highway", "road")
        chain: list[int | None] = [builder.index[_node_key(u)]]
        geometry = data.get("geometry")
        if geometry is not None and hasattr(geometry, "coords"):
            for lon, lat in list(geometry.coords)[1:-1]:
                # Both directions of a road share their shape points.
                key = synthetic.setdefault((float(lat), float(lon)), -1 - len(synthetic))
                chain.append(builder.node(key, float(lat), float(lon)))
        chain.append(builder.index[_node_key(v)])
        way_id = _first(data.get("osmid"))
        builder.way(int(way_id) if way_id not in (None, "") else 0, tags, chain)
    builder.seen = graph.number_of_edges()
    return builder.build()


def _node_key(node: Any) -> int:
    try:
        return int(node)
    except (TypeError, ValueError):
        return hash(node) & 0x3FFFFFFFFFFFFFFF


def _first(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return value[0] if value else None
    return value
