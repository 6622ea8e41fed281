"""A road network held as arrays: nodes, directed segments, merged edges and their speeds.

:class:`RoadNetwork` is immutable; what-ifs (other speeds, closed roads) give a new network
sharing the arrays. :class:`SpeedSettings` says how fast each road is driven: the speed preset
of the region, class speeds, the season and its surface factors, a global factor. Loading a
network from a file lives in :mod:`optimizer.geo.load`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.sparse import csr_matrix

from optimizer.errors import InputError, Problem
from optimizer.geo._osm.speeds import (
    DEFAULT_PRESET,
    DEFAULT_SEASONAL_FACTORS,
    SPEED_PRESETS,
    segment_speeds_kmh,
)
from optimizer.geo._topology import Dropped

__all__ = ["SEASONS", "SPEED_PRESETS", "Dropped", "RoadNetwork", "SpeedSettings"]

SEASONS = ("dry", "rainy")

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class SpeedSettings:
    """How fast each road is driven: the region's speed preset, class speeds, season, surface
    factors, a global factor."""

    speeds_kmh: Mapping[str, float] = field(default_factory=dict)
    seasonal_factors: Mapping[str, float] = field(default_factory=dict)
    season: str = "dry"
    speed_factor: float = 1.0
    preset: str = DEFAULT_PRESET

    def __post_init__(self) -> None:
        problems = []
        if self.preset not in SPEED_PRESETS:
            problems.append(
                Problem(
                    "network",
                    f"a speed preset among {', '.join(SPEED_PRESETS)}",
                    column="speed_preset",
                    value=self.preset,
                )
            )
        if self.season not in SEASONS:
            problems.append(
                Problem("network", "'dry' or 'rainy'", column="season", value=self.season)
            )
        if not self.speed_factor > 0:
            problems.append(
                Problem("network", "a factor > 0", column="speed_factor", value=self.speed_factor)
            )
        for key, value in self.speeds_kmh.items():
            if not value > 0:
                problems.append(
                    Problem("network", "a speed > 0 km/h", column=f"speeds_kmh.{key}", value=value)
                )
        for key, value in self.seasonal_factors.items():
            if key not in DEFAULT_SEASONAL_FACTORS:
                problems.append(
                    Problem(
                        "network",
                        "surface class 'paved' or 'unpaved'",
                        column="seasonal_factors",
                        value=key,
                    )
                )
            elif not value > 0:
                problems.append(
                    Problem(
                        "network", "a factor > 0", column=f"seasonal_factors.{key}", value=value
                    )
                )
        if problems:
            raise InputError(problems)

    def segment_speeds(
        self,
        seg_way: IntArray,
        way_highway: npt.NDArray[np.str_],
        way_maxspeed_kmh: FloatArray,
        way_surface: npt.NDArray[np.str_],
    ) -> FloatArray:
        """Speed in km/h of each segment (``seg_way`` indexes the ``way_*`` arrays)."""
        per_way = segment_speeds_kmh(
            way_highway,
            way_maxspeed_kmh,
            way_surface,
            speeds=self.speeds_kmh,
            seasonal=self.seasonal_factors,
            season=self.season,
            speed_factor=self.speed_factor,
            preset=self.preset,
        )
        return per_way[seg_way] if len(per_way) else np.zeros(len(seg_way))


@dataclass(frozen=True, eq=False)
class RoadNetwork:
    """An immutable road network: raw segments, merged edges and their weights.

    Raw nodes (``lat``, ``lon``, ``osm_id``) carry the road's shape; *segments* join two
    consecutive raw nodes in one driving direction; *edges* are chains of segments between
    graph nodes (junctions and dead ends, ``node_raw``). ``edge_open`` is False on closed
    edges. Matrices run on the CSR arrays given by :meth:`csr`; ``graph`` builds an
    osmnx-compatible networkx MultiDiGraph of the same edges on first use.
    """

    source: str
    speeds: SpeedSettings
    vehicle: str
    lat: FloatArray
    lon: FloatArray
    osm_id: IntArray
    seg_u: IntArray
    seg_v: IntArray
    seg_way: IntArray
    seg_length_m: FloatArray
    seg_speed_kmh: FloatArray
    seg_open: BoolArray
    way_id: IntArray
    way_highway: npt.NDArray[np.str_]
    way_name: npt.NDArray[np.str_]
    way_ref: npt.NDArray[np.str_]
    way_maxspeed_kmh: FloatArray
    way_surface: npt.NDArray[np.str_]
    node_raw: IntArray
    edge_u: IntArray
    edge_v: IntArray
    edge_ptr: IntArray
    edge_segs: IntArray
    edge_open: BoolArray
    dropped: Dropped
    load_s: float = 0.0
    from_cache: bool = False

    # ---- sizes and attributes ------------------------------------------------------------
    @property
    def n_nodes(self) -> int:
        """Number of graph nodes (junctions and dead ends)."""
        return len(self.node_raw)

    @property
    def n_edges(self) -> int:
        """Number of directed edges, closed ones included."""
        return len(self.edge_u)

    @property
    def node_lat(self) -> FloatArray:
        return self.lat[self.node_raw]

    @property
    def node_lon(self) -> FloatArray:
        return self.lon[self.node_raw]

    @cached_property
    def seg_time_s(self) -> FloatArray:
        """Travel time of each segment in seconds."""
        return self.seg_length_m / (self.seg_speed_kmh / 3.6)

    @cached_property
    def seg_edge(self) -> IntArray:
        """The edge each segment belongs to."""
        out = np.empty(len(self.seg_u), dtype=np.int64)
        out[self.edge_segs] = np.repeat(np.arange(self.n_edges), np.diff(self.edge_ptr))
        return out

    @cached_property
    def edge_length_m(self) -> FloatArray:
        return _edge_sums(self.seg_length_m[self.edge_segs], self.edge_ptr)

    @cached_property
    def edge_time_s(self) -> FloatArray:
        return _edge_sums(self.seg_time_s[self.edge_segs], self.edge_ptr)

    @cached_property
    def edge_way(self) -> IntArray:
        """Index (into the ``way_*`` arrays) of the longest way along each edge."""
        segs = self.edge_segs
        owner = np.repeat(np.arange(self.n_edges), np.diff(self.edge_ptr))
        frame = pd.DataFrame({"e": owner, "w": self.seg_way[segs], "m": self.seg_length_m[segs]})
        best = frame.groupby(["e", "w"], sort=False)["m"].sum().reset_index()
        best = best.sort_values(["e", "m"], ascending=[True, False]).drop_duplicates("e")
        return best["w"].to_numpy(dtype=np.int64)

    def edges(self) -> pd.DataFrame:
        """One row per edge: u, v, length_m, time_s, highway, surface, name, ref, way_id, open."""
        way = self.edge_way
        return pd.DataFrame(
            {
                "u": self.edge_u,
                "v": self.edge_v,
                "length_m": self.edge_length_m,
                "time_s": self.edge_time_s,
                "highway": self.way_highway[way],
                "surface": self.way_surface[way],
                "name": self.way_name[way],
                "ref": self.way_ref[way],
                "way_id": self.way_id[way],
                "open": self.edge_open,
            }
        )

    def km_by_class(self) -> pd.DataFrame:
        """Kilometres of road (each two-way road counted once) per highway class and surface."""
        u, v = self.seg_u, self.seg_v
        key = pd.DataFrame({"a": np.minimum(u, v), "b": np.maximum(u, v), "w": self.seg_way})
        once = ~key.duplicated().to_numpy()
        frame = pd.DataFrame(
            {
                "highway": self.way_highway[self.seg_way[once]],
                "surface": self.way_surface[self.seg_way[once]],
                "km": self.seg_length_m[once] / 1000.0,
            }
        )
        table = frame.pivot_table(
            index="highway", columns="surface", values="km", aggfunc="sum", fill_value=0.0
        )
        table["total"] = table.sum(axis=1)
        return table.sort_values("total", ascending=False)

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        """(min_lat, min_lon, max_lat, max_lon) of the network."""
        return (
            float(self.lat.min()),
            float(self.lon.min()),
            float(self.lat.max()),
            float(self.lon.max()),
        )

    def summary(self) -> str:
        """A few lines for a terminal."""
        km = self.km_by_class()
        lines = [
            f"roads from {self.source}",
            f"  {self.n_nodes:,} nodes, {self.n_edges:,} edges "
            f"({int((~self.edge_open).sum()):,} closed), {km['total'].sum():,.1f} km of road",
            f"  bounding box (lat, lon): {tuple(round(x, 4) for x in self.bbox)}",
            f"  dropped: {self.dropped.components} disconnected parts "
            f"({self.dropped.nodes} nodes, {self.dropped.km:.1f} km), "
            f"{self.dropped.dangling_refs} references to missing nodes",
            f"  speeds {self.speeds.preset}, season {self.speeds.season}, "
            f"speed factor {self.speeds.speed_factor}, "
            f"loaded in {self.load_s:.2f} s{' from cache' if self.from_cache else ''}",
        ]
        return "\n".join(lines)

    # ---- what-ifs ------------------------------------------------------------------------
    def with_speeds(
        self,
        *,
        speeds: Mapping[str, float] | None = None,
        seasonal: Mapping[str, float] | None = None,
        season: str | None = None,
        speed_factor: float | None = None,
        preset: str | None = None,
    ) -> RoadNetwork:
        """The same roads with other speed settings (unchanged ones are kept)."""
        settings = SpeedSettings(
            speeds_kmh=dict(self.speeds.speeds_kmh if speeds is None else speeds),
            seasonal_factors=dict(self.speeds.seasonal_factors if seasonal is None else seasonal),
            season=self.speeds.season if season is None else season,
            speed_factor=self.speeds.speed_factor if speed_factor is None else speed_factor,
            preset=self.speeds.preset if preset is None else preset,
        )
        speed = settings.segment_speeds(
            self.seg_way, self.way_highway, self.way_maxspeed_kmh, self.way_surface
        )
        return _fresh(self, speeds=settings, seg_speed_kmh=speed)

    def with_closed(self, seg_closed: BoolArray) -> RoadNetwork:
        """The same network with these segments (and so their edges) closed as well."""
        seg_open = self.seg_open & ~seg_closed
        edge_open = np.logical_and.reduceat(seg_open[self.edge_segs], self.edge_ptr[:-1])
        return _fresh(self, seg_open=seg_open, edge_open=edge_open & self.edge_open)

    # ---- for the matrix code -------------------------------------------------------------
    def csr(
        self, weight: str = "time", *, reverse: bool = False
    ) -> tuple[csr_matrix, FloatArray, IntArray]:
        """Open edges as a CSR matrix of ``weight`` (``time`` s or ``distance`` m).

        Parallel edges keep the cheapest. Returns the matrix and, aligned with its
        ``data``, the other weight and the edge index.
        """
        key = (weight, reverse)
        cache = self._csr_cache
        if key not in cache:
            cache[key] = _build_csr(self, weight, reverse=reverse)
        return cache[key]

    @cached_property
    def _csr_cache(self) -> dict[tuple[str, bool], tuple[csr_matrix, FloatArray, IntArray]]:
        return {}

    @cached_property
    def graph(self) -> Any:
        """An osmnx-compatible networkx MultiDiGraph of the open edges (built on first use)."""
        return _to_networkx(self)


def _edge_sums(values: FloatArray, ptr: IntArray) -> FloatArray:
    if len(ptr) <= 1:
        return np.zeros(0)
    return np.asarray(np.add.reduceat(values, ptr[:-1]), dtype=np.float64)


def _fresh(network: RoadNetwork, **changes: Any) -> RoadNetwork:
    """``dataclasses.replace`` that leaves the cached properties behind."""
    values = {f.name: getattr(network, f.name) for f in fields(network)}
    values.update(changes)
    return RoadNetwork(**values)


def _to_networkx(network: RoadNetwork) -> Any:
    """Open edges as a MultiDiGraph keyed by OSM node id, with osmnx's attribute names.

    Edges carry ``length`` (m), ``travel_time`` (s), ``speed_kph``, ``osmid`` (one way id
    or a list), ``highway``, ``surface``, ``name``, ``ref``, ``edge`` (the index in
    ``network``) and, for edges of more than one segment, ``geometry``.
    """
    import networkx as nx  # only for osmnx tools and checks: not paid at every import
    from shapely.geometry import LineString

    graph = nx.MultiDiGraph(crs="epsg:4326", name=network.source)
    node_ids = network.osm_id[network.node_raw].tolist()
    for index, (osm_id, lat, lon) in enumerate(
        zip(node_ids, network.node_lat.tolist(), network.node_lon.tolist(), strict=True)
    ):
        graph.add_node(osm_id, y=lat, x=lon, index=index)
    way = network.edge_way
    length = network.edge_length_m
    travel = network.edge_time_s
    for e in np.flatnonzero(network.edge_open).tolist():
        segs = network.edge_segs[network.edge_ptr[e] : network.edge_ptr[e + 1]]
        ways = list(dict.fromkeys(network.way_id[network.seg_way[segs]].tolist()))
        w = int(way[e])
        data: dict[str, Any] = {
            "osmid": ways[0] if len(ways) == 1 else ways,
            "length": float(length[e]),
            "travel_time": float(travel[e]),
            "speed_kph": float(length[e] / travel[e] * 3.6),
            "highway": str(network.way_highway[w]),
            "surface": str(network.way_surface[w]),
            "edge": e,
        }
        if network.way_name[w]:
            data["name"] = str(network.way_name[w])
        if network.way_ref[w]:
            data["ref"] = str(network.way_ref[w])
        if len(segs) > 1:
            raw = np.concatenate([network.seg_u[segs], network.seg_v[segs[-1:]]])
            data["geometry"] = LineString(np.column_stack([network.lon[raw], network.lat[raw]]))
        graph.add_edge(node_ids[network.edge_u[e]], node_ids[network.edge_v[e]], **data)
    return graph


def _build_csr(
    network: RoadNetwork, weight: str, *, reverse: bool
) -> tuple[csr_matrix, FloatArray, IntArray]:
    if weight not in ("time", "distance"):
        raise ValueError(f"weight must be 'time' or 'distance', not {weight!r}")
    open_ = np.flatnonzero(network.edge_open)
    u, v = network.edge_u[open_], network.edge_v[open_]
    if reverse:
        u, v = v, u
    time_s, length_m = network.edge_time_s[open_], network.edge_length_m[open_]
    primary, other = (time_s, length_m) if weight == "time" else (length_m, time_s)
    order = np.lexsort((other, primary, v, u))
    u, v, primary, other, edge = u[order], v[order], primary[order], other[order], open_[order]
    first = np.ones(len(u), dtype=bool)
    first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
    u, v, primary, other, edge = u[first], v[first], primary[first], other[first], edge[first]
    n = network.n_nodes
    indptr = np.concatenate([[0], np.cumsum(np.bincount(u, minlength=n))])
    matrix = csr_matrix((primary, v, indptr), shape=(n, n))
    return matrix, other, edge
