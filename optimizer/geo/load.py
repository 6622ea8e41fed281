"""Loading road networks from OpenStreetMap or GraphML files, with a disk cache.

:func:`load_network` reads the ``highway=*`` ways a truck may use straight from pyosmium
(osmnx's XML parser is several times slower), drops references to nodes missing from
clipped extracts, clips to a bounding box or polygon, keeps the largest strongly connected
part, merges pass-through nodes into edges and prices each edge in metres and seconds. The
parsed topology is cached on disk keyed by the file's hash and the settings that shape it
(area, vehicle, the road classes read: the same in every speed preset); the cache holds no
speed, so speeds are recomputed at every load from the speed preset, class speeds, season
and factor given, and changing any of them never re-reads a file nor serves stale speeds.
Closures are applied afterwards with :func:`optimizer.geo.close_roads`.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import numpy as np
from shapely.geometry import Polygon, box
from shapely.geometry.base import BaseGeometry

from optimizer.errors import InputError, Problem
from optimizer.geo._osm.file import check_osm_file
from optimizer.geo._osm.read import RawRoads, read_graph, read_osm
from optimizer.geo._osm.speeds import DEFAULT_PRESET, DEFAULT_SPEEDS_KMH, VEHICLES
from optimizer.geo._topology import Dropped, Topology, build_topology, clip
from optimizer.geo.network import RoadNetwork, SpeedSettings

__all__ = ["CACHE_ENV", "default_cache_dir", "load_network"]

CACHE_ENV = "COOP_OPTIMIZER_CACHE"
_CACHE_VERSION = 2  # 2: segment lengths on the one Earth radius of optimizer.geodesy


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
    preset: str = DEFAULT_PRESET,
    speeds_kmh: Mapping[str, float] | None = None,
    seasonal_factors: Mapping[str, float] | None = None,
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
        km/h per highway class, overriding the preset's (scenario ``speeds_kmh``).
    seasonal
        Speed factor per surface class (``paved``/``unpaved``) applied when ``season`` is
        ``"rainy"``; defaults to ``{"unpaved": 0.5}`` (scenario ``seasonal_factors``).
    season
        ``"dry"`` or ``"rainy"``.
    speed_factor, preset
        Factor on every speed (a slow vehicle: 0.8); the region's speed preset (scenario
        ``speed_preset``: ``rural_europe``, ``periurban``, ``rural_unpaved``).
    speeds_kmh, seasonal_factors
        The scenario's names for ``speeds`` and ``seasonal`` (merged with them).
    vehicle
        ``"truck"`` (default), ``"tractor"`` (may use agricultural roads) or ``"car"``.
    cache, cache_dir, online
        Cache the parsed roads on disk, in ``cache_dir`` or :func:`default_cache_dir`; allow
        downloading through osmnx when ``source`` is not a file.
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
        preset=preset,
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
    network = _network(topology, name, settings, vehicle, from_cache=from_cache)
    say(f"{network.n_nodes:,} nodes, {network.n_edges:,} edges")
    return replace(network, load_s=time.perf_counter() - started)


def _network(
    topology: Topology, name: str, settings: SpeedSettings, vehicle: str, *, from_cache: bool
) -> RoadNetwork:
    """The network of a parsed topology, every road open, priced with ``settings``."""
    raw = topology.raw
    return RoadNetwork(
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
        seg_speed_kmh=settings.segment_speeds(
            raw.seg_way, raw.way_highway, raw.way_maxspeed_kmh, raw.way_surface
        ),
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
