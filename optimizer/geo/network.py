"""Road networks from OpenStreetMap: load, speeds and seasons, caching.

:func:`load_network` reads the ``highway=*`` ways a truck may use straight from pyosmium
(osmnx's XML parser is several times slower), drops references to nodes missing from
clipped extracts, clips to a bounding box or polygon, keeps the largest strongly connected
part, merges pass-through nodes into edges and prices each edge in metres and seconds. The
parsed topology is cached on disk keyed by the file's hash and the settings that shape it;
speeds are recomputed at every load, so changing a season or a speed never re-reads a file.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.sparse import csr_matrix
from shapely.geometry import Polygon, box
from shapely.geometry.base import BaseGeometry

from optimizer.errors import InputError, Problem
from optimizer.geo._osm.file import check_osm_file
from optimizer.geo._osm.read import RawRoads, read_graph, read_osm
from optimizer.geo._osm.speeds import (
    DEFAULT_SEASONAL_FACTORS,
    DEFAULT_SPEEDS_KMH,
    VEHICLES,
    segment_speeds_kmh,
)
from optimizer.geo._topology import Dropped, Topology, build_topology, clip

__all__ = [
    "CACHE_ENV",
    "Dropped",
    "RoadNetwork",
    "SpeedSettings",
    "default_cache_dir",
    "load_network",
]

CACHE_ENV = "COOP_OPTIMIZER_CACHE"
_CACHE_VERSION = 1
SEASONS = ("dry", "rainy")

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class SpeedSettings:
    """How fast each road is driven: class speeds, season, surface factors, a global factor."""

    speeds_kmh: Mapping[str, float] = field(default_factory=dict)
    seasonal_factors: Mapping[str, float] = field(default_factory=dict)
    season: str = "dry"
    speed_factor: float = 1.0

    def __post_init__(self) -> None:
        problems = []
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
            f"  season {self.speeds.season}, speed factor {self.speeds.speed_factor}, "
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
    ) -> RoadNetwork:
        """The same roads with other speed settings (unchanged ones are kept)."""
        settings = SpeedSettings(
            speeds_kmh=dict(self.speeds.speeds_kmh if speeds is None else speeds),
            seasonal_factors=dict(self.speeds.seasonal_factors if seasonal is None else seasonal),
            season=self.speeds.season if season is None else season,
            speed_factor=self.speeds.speed_factor if speed_factor is None else speed_factor,
        )
        return _fresh(self, speeds=settings, seg_speed_kmh=_segment_speeds(self, settings))

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
        from optimizer.geo._nxgraph import to_networkx

        return to_networkx(self)


def _edge_sums(values: FloatArray, ptr: IntArray) -> FloatArray:
    if len(ptr) <= 1:
        return np.zeros(0)
    return np.asarray(np.add.reduceat(values, ptr[:-1]), dtype=np.float64)


def _fresh(network: RoadNetwork, **changes: Any) -> RoadNetwork:
    """``dataclasses.replace`` that leaves the cached properties behind."""
    values = {f.name: getattr(network, f.name) for f in fields(network)}
    values.update(changes)
    return RoadNetwork(**values)


def _segment_speeds(network: RoadNetwork | Topology, settings: SpeedSettings) -> FloatArray:
    if isinstance(network, RoadNetwork):
        way, highway, maxspeed, surface = (
            network.seg_way, network.way_highway, network.way_maxspeed_kmh, network.way_surface
        )  # fmt: skip
    else:
        raw = network.raw
        way, highway, maxspeed, surface = (
            raw.seg_way, raw.way_highway, raw.way_maxspeed_kmh, raw.way_surface
        )  # fmt: skip
    per_way = segment_speeds_kmh(
        highway,
        maxspeed,
        surface,
        speeds=settings.speeds_kmh,
        seasonal=settings.seasonal_factors,
        season=settings.season,
        speed_factor=settings.speed_factor,
    )
    return per_way[way] if len(per_way) else np.zeros(len(way))


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


# ---- loading ---------------------------------------------------------------------------


def default_cache_dir() -> Path:
    """``$COOP_OPTIMIZER_CACHE``, else ``$XDG_CACHE_HOME/coop-optimizer``, else ``~/.cache/...``."""
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "coop-optimizer"


def load_network(
    source: str | Path | None,
    *,
    bbox: Sequence[float] | None = None,
    polygon: BaseGeometry | Sequence[Sequence[float]] | None = None,
    speeds: Mapping[str, float] | None = None,
    seasonal: Mapping[str, float] | None = None,
    season: str = "dry",
    speed_factor: float = 1.0,
    speeds_kmh: Mapping[str, float] | None = None,
    seasonal_factors: Mapping[str, float] | None = None,
    closures: Sequence[Mapping[str, Any]] = (),
    vehicle: str = "truck",
    cache: bool = True,
    cache_dir: str | Path | None = None,
    online: bool = False,
    progress: Callable[[str], None] | None = None,
) -> RoadNetwork:
    """Load the roads a vehicle may use, with travel times.

    Parameters
    ----------
    source
        An OSM file (``.osm``, ``.osm.bz2``, ``.osm.gz``, ``.osm.pbf``), a ``.graphml`` file,
        or, with ``online=True``, a place name to download with osmnx (``None`` with a
        ``bbox`` downloads that box).
    bbox
        Keep only roads inside ``(min_lat, min_lon, max_lat, max_lon)``.
    polygon
        Keep only roads inside this area: a shapely geometry in (lon, lat) or a list of
        ``[lat, lon]`` corners (the scenario format).
    speeds
        km/h per highway class, overriding :data:`DEFAULT_SPEEDS_KMH` (scenario
        ``speeds_kmh``).
    seasonal
        Speed factor per surface class (``paved``/``unpaved``) applied when ``season`` is
        ``"rainy"``; defaults to ``{"unpaved": 0.5}`` (scenario ``seasonal_factors``).
    season
        ``"dry"`` or ``"rainy"``.
    speed_factor
        Factor on every speed (a slow vehicle: 0.8).
    speeds_kmh, seasonal_factors
        The scenario's names for ``speeds`` and ``seasonal`` (merged with them).
    closures
        The scenario's ``network.closures`` list: ``{"way_ids": [...]}``,
        ``{"name": "B 104"}`` or ``{"polygon": [[lat, lon], ...]}``; see
        :func:`optimizer.geo.close_roads` for the report.
    vehicle
        ``"truck"`` (default), ``"tractor"`` (may use agricultural roads) or ``"car"``.
    cache, cache_dir
        Cache the parsed roads on disk, in ``cache_dir`` or :func:`default_cache_dir`.
    online
        Allow downloading through osmnx when ``source`` is not a file.
    progress
        Called with a short message at each stage.

    Raises
    ------
    InputError
        Missing file, not OSM data, an empty extract, no roads in the area, bad settings,
        or a download that failed.
    """
    started = time.perf_counter()
    say = progress or (lambda _message: None)
    settings = SpeedSettings(
        speeds_kmh={**(speeds or {}), **(speeds_kmh or {})},
        seasonal_factors={**(seasonal or {}), **(seasonal_factors or {})},
        season=season,
        speed_factor=speed_factor,
    )
    name = str(source) if source is not None else "bbox"
    if vehicle not in VEHICLES:
        raise InputError(
            Problem(name, f"a vehicle among {', '.join(VEHICLES)}", column="vehicle", value=vehicle)
        )
    area = _area(name, bbox, polygon)
    topology, from_cache = _topology(
        source, area=area, vehicle=vehicle, online=online, cache=cache, cache_dir=cache_dir, say=say
    )
    if len(topology.edge_u) == 0:
        raise InputError(Problem(name, "roads usable by a vehicle (none left after filtering)"))
    raw = topology.raw
    network = RoadNetwork(
        source=name,
        speeds=settings,
        vehicle=vehicle,
        lat=raw.lat,
        lon=raw.lon,
        osm_id=raw.osm_id,
        seg_u=raw.seg_u,
        seg_v=raw.seg_v,
        seg_way=raw.seg_way,
        seg_length_m=topology.seg_length_m,
        seg_speed_kmh=_segment_speeds(topology, settings),
        seg_open=np.ones(len(raw.seg_u), dtype=bool),
        way_id=raw.way_id,
        way_highway=raw.way_highway,
        way_name=raw.way_name,
        way_ref=raw.way_ref,
        way_maxspeed_kmh=raw.way_maxspeed_kmh,
        way_surface=raw.way_surface,
        node_raw=topology.node_raw,
        edge_u=topology.edge_u,
        edge_v=topology.edge_v,
        edge_ptr=topology.edge_ptr,
        edge_segs=topology.edge_segs,
        edge_open=np.ones(len(topology.edge_u), dtype=bool),
        dropped=topology.dropped,
        from_cache=from_cache,
    )
    if closures:
        from optimizer.geo.closures import closures_from_settings

        network, _ = closures_from_settings(network, [dict(c) for c in closures])
    say(f"{network.n_nodes:,} nodes, {network.n_edges:,} edges")
    return replace(network, load_s=time.perf_counter() - started)


def _area(
    name: str,
    bbox: Sequence[float] | None,
    polygon: BaseGeometry | Sequence[Sequence[float]] | None,
) -> BaseGeometry | None:
    area: BaseGeometry | None = None
    if bbox is not None:
        values = [float(x) for x in bbox]
        if len(values) != 4 or not (values[0] < values[2] and values[1] < values[3]):
            raise InputError(
                Problem(
                    name, "bbox as (min_lat, min_lon, max_lat, max_lon)", column="bbox", value=bbox
                )
            )
        area = box(values[1], values[0], values[3], values[2])
    if polygon is not None:
        if isinstance(polygon, BaseGeometry):
            shape = polygon
        else:
            corners = [(float(p[1]), float(p[0])) for p in polygon]
            if len(corners) < 3:
                raise InputError(
                    Problem(name, "a polygon of at least 3 [lat, lon] corners", column="polygon")
                )
            shape = Polygon(corners)
        if shape.is_empty or shape.area == 0:
            raise InputError(Problem(name, "a polygon with an area", column="polygon"))
        area = shape if area is None else area.intersection(shape)
    return area


def _topology(
    source: str | Path | None,
    *,
    area: BaseGeometry | None,
    vehicle: str,
    online: bool,
    cache: bool,
    cache_dir: str | Path | None,
    say: Callable[[str], None],
) -> tuple[Topology, bool]:
    path = Path(source).expanduser() if source is not None else None
    if path is None or not path.exists():
        if not online:
            hint = (
                "an OSM or GraphML file"
                if path is None
                else "an OSM or GraphML file, but no file is there"
            )
            raise InputError(
                Problem(
                    str(source),
                    f"{hint} (to download a place or a bounding box with osmnx, pass online=True)",
                )
            )
        from optimizer.geo._osm.online import download

        say(f"downloading {source or 'bbox'} with osmnx")
        raw = download(None if source is None else str(source), area=area)
        return _checked_topology(raw, area, str(source)), False

    is_graphml = path.name.lower().endswith(".graphml")
    if not is_graphml:
        check_osm_file(path)
    key = _cache_key(path, area, vehicle)
    folder = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    cached = folder / f"roads-{key}.npz"
    if cache and cached.exists():
        try:
            say(f"reading cached roads {cached}")
            return _read_cache(cached), True
        except (OSError, ValueError, KeyError):
            pass  # a damaged cache file is rebuilt below
    say(f"reading {path}")
    raw = _read_graphml(path) if is_graphml else read_osm(path, vehicle=vehicle)
    topology = _checked_topology(raw, area, str(path))
    if cache:
        _write_cache(cached, topology)
    return topology, False


def _checked_topology(raw: RawRoads, area: BaseGeometry | None, name: str) -> Topology:
    if raw.ways_seen == 0:
        raise InputError(
            Problem(name, "roads (highway=* ways): the file has none (an empty extract?)")
        )
    if len(raw.seg_u) == 0:
        raise InputError(Problem(name, "roads usable by a truck: the file has none"))
    outside = 0
    if area is not None:
        raw, outside = clip(raw, area)
        if len(raw.seg_u) == 0:
            raise InputError(
                Problem(
                    name, f"roads inside the bounding box or polygon {area.bounds} (lon, lat): none"
                )
            )
    return build_topology(raw, nodes_outside=outside)


def _read_graphml(path: Path) -> RawRoads:
    import osmnx

    try:
        graph = osmnx.load_graphml(path)
    except Exception as error:  # osmnx/networkx raise many kinds on a bad file
        raise InputError(
            Problem(str(path), f"a GraphML road graph saved by osmnx ({error})")
        ) from error
    return read_graph(graph, name=str(path))


def _cache_key(path: Path, area: BaseGeometry | None, vehicle: str) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    settings = {
        "version": _CACHE_VERSION,
        "area": None if area is None else area.wkt,
        "vehicle": vehicle,
        "classes": sorted(DEFAULT_SPEEDS_KMH),
    }
    digest.update(json.dumps(settings, sort_keys=True).encode())
    return digest.hexdigest()[:32]


_RAW_ARRAYS = [f.name for f in fields(RawRoads) if f.name not in ("dangling_refs", "ways_seen")]
_TOPOLOGY_ARRAYS = ["seg_length_m", "node_raw", "edge_u", "edge_v", "edge_ptr", "edge_segs"]
_DROPPED = [f.name for f in fields(Dropped)]


def _write_cache(target: Path, topology: Topology) -> None:
    arrays: dict[str, Any] = {f"raw_{n}": getattr(topology.raw, n) for n in _RAW_ARRAYS}
    arrays.update({n: getattr(topology, n) for n in _TOPOLOGY_ARRAYS})
    arrays["raw_meta"] = np.array([topology.raw.dangling_refs, topology.raw.ways_seen])
    arrays["dropped"] = np.array([float(getattr(topology.dropped, n)) for n in _DROPPED])
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(f".{os.getpid()}.tmp.npz")
        np.savez(partial, **arrays)
        partial.replace(target)
    except OSError:
        pass  # no cache is slower, not wrong


def _read_cache(target: Path) -> Topology:
    with np.load(target, allow_pickle=False) as data:
        meta = data["raw_meta"]
        raw = RawRoads(
            **{n: data[f"raw_{n}"] for n in _RAW_ARRAYS},
            dangling_refs=int(meta[0]),
            ways_seen=int(meta[1]),
        )
        values = data["dropped"]
        a, b, c, d, e = (int(x) for x in values[:5])
        dropped = Dropped(a, b, c, d, e, km=float(values[5]))
        return Topology(raw=raw, dropped=dropped, **{n: data[n] for n in _TOPOLOGY_ARRAYS})
