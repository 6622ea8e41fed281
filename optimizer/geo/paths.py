"""Road paths as geometries: one route, many routes, the whole network, GeoJSON.

Routes are computed in one batch: every distinct end point is snapped and attached once,
Dijkstra (with predecessors) runs once per distinct point of the smaller side (from the
destinations on the reversed graph when they are fewer, as in
:func:`optimizer.geo.travel_matrix`), all paths are walked back together in numpy, and
the lines are stitched from the edges' raw segments with one ``shapely.linestrings`` call.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from shapely.geometry import LineString

from optimizer.errors import InputError, Problem
from optimizer.geo._search import Search, best_arrivals, link_keys, same_edge, search
from optimizer.geo._snap import (
    DEFAULT_MAX_SNAP_M,
    Attachments,
    Snapped,
    attach,
    points_array,
    snap,
)
from optimizer.geo.network import RoadNetwork
from optimizer.io.geojson import collection

__all__ = ["network_frame", "route_geometries", "route_geometry", "to_geojson"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
_ENDS = ["origin_lat", "origin_lon", "destination_lat", "destination_lon"]


def route_geometry(
    network: RoadNetwork,
    origin: Sequence[float],
    destination: Sequence[float],
    *,
    weight: str = "time",
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
) -> LineString | None:
    """The road path between two (lat, lon) points, in (lon, lat); None when unreachable.

    The line runs between the points' snapped positions on the road (the snap legs are
    not drawn).
    """
    values = np.asarray([[*origin, *destination]], dtype=np.float64)
    lines, _, _ = _routes(network, values, weight=weight, max_snap_m=max_snap_m)
    line = lines[0]
    return line if isinstance(line, LineString) else None


def route_geometries(
    network: RoadNetwork,
    pairs: pd.DataFrame | Iterable[tuple[Sequence[float], Sequence[float]]],
    *,
    weight: str = "time",
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
) -> gpd.GeoDataFrame:
    """Many routes at once.

    ``pairs`` is a DataFrame with ``origin_lat``, ``origin_lon``, ``destination_lat``,
    ``destination_lon`` (other columns, such as ids, are kept) or an iterable of
    ((lat, lon), (lat, lon)). Returns a GeoDataFrame in EPSG:4326 with ``distance_m``,
    ``time_s`` and the path (None when unreachable or an end is far from the roads):
    ``weight`` is minimised as in :func:`optimizer.geo.travel_matrix`, and the other
    quantity is summed along the line drawn.
    """
    if isinstance(pairs, pd.DataFrame):
        missing = [c for c in _ENDS if c not in pairs.columns]
        if missing:
            raise InputError(Problem("route pairs", "columns " + ", ".join(_ENDS),
                                     column=", ".join(missing)))  # fmt: skip
        frame = pairs.reset_index(drop=True).copy()
        values = frame[_ENDS].to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        listed = [(tuple(o), tuple(d)) for o, d in pairs]
        values = np.asarray([(*o, *d) for o, d in listed], dtype=np.float64).reshape(-1, 4)
        frame = pd.DataFrame(values, columns=_ENDS)
    lines, distance_m, time_s = _routes(network, values, weight=weight, max_snap_m=max_snap_m)
    frame["distance_m"] = distance_m
    frame["time_s"] = time_s
    return gpd.GeoDataFrame(frame, geometry=list(lines), crs="EPSG:4326")


def network_frame(network: RoadNetwork, *, closed: bool = True) -> gpd.GeoDataFrame:
    """Every edge with its attributes and road geometry (for maps and GeoJSON exports)."""
    table = network.edges()
    keep = np.ones(len(table), dtype=bool) if closed else network.edge_open
    edges = np.flatnonzero(keep)
    ptr = network.edge_ptr
    lo, hi = ptr[edges], ptr[edges + 1]
    segs = network.edge_segs[_expand(lo, hi)]
    first = network.edge_segs[lo]
    raw, owner = _with_starts(network.seg_u[first], network.seg_v[segs], hi - lo)
    lines = _lines(network, raw, owner, len(edges))
    return gpd.GeoDataFrame(table[keep].reset_index(drop=True), geometry=lines, crs="EPSG:4326")


def to_geojson(frame: gpd.GeoDataFrame) -> str:
    """GeoJSON text of a GeoDataFrame of roads or routes: a FeatureCollection in EPSG:4326
    with the OpenStreetMap attribution, infinite values written as null."""
    clean = frame.replace([np.inf, -np.inf], np.nan)
    if clean.crs is not None and clean.crs.to_epsg() != 4326:
        clean = clean.to_crs("EPSG:4326")
    features = clean.to_geo_dict(na="null", drop_id=True)["features"]
    return json.dumps(collection(features, roads=True))


def _routes(
    network: RoadNetwork, values: FloatArray, *, weight: str, max_snap_m: float
) -> tuple[npt.NDArray[np.object_], FloatArray, FloatArray]:
    """Lines (None when unreachable), distance_m and time_s of each (lat, lon, lat, lon)."""
    if weight not in ("time", "distance"):
        raise InputError(Problem("routes", "'time' or 'distance'", column="weight", value=weight))
    m = len(values)
    lines = np.full(m, None, dtype=object)
    if m == 0:
        return lines, np.zeros(0), np.zeros(0)
    points_array(values[:, :2], name="route origins")
    points_array(values[:, 2:], name="route destinations")
    o_snap, o_of = _spots(network, values[:, :2], max_snap_m)
    d_snap, d_of = _spots(network, values[:, 2:], max_snap_m)
    n_d = len(d_snap.raw)
    leave = attach(network, o_snap, leaving=True)
    arrive = attach(network, d_snap, leaving=False)
    reverse = n_d <= len(o_snap.raw)
    src_links, dst_links = (arrive, leave) if reverse else (leave, arrive)
    src, dst = (d_of, o_of) if reverse else (o_of, d_of)
    found = search(
        network,
        src_links,
        int(src.max()) + 1,
        weight=weight,
        reverse=reverse,
        needed=np.concatenate([leave.node, arrive.node]),
    )
    best = best_arrivals(found, src, dst_links, dst)
    primary = best.primary
    # Direct trips inside one edge, where cheaper than leaving it.
    la, ab, o, d, direct_t, direct_m = same_edge(leave, arrive)
    trip = _cheapest_trip(o * n_d + d, (direct_t, direct_m)[found.pick],
                          o_of * n_d + d_of)  # fmt: skip
    trip_cost = np.append((direct_t, direct_m)[found.pick], np.inf)  # trip -1: none
    direct_cost = trip_cost[trip]
    direct = direct_cost < primary
    primary = np.where(direct, direct_cost, primary)
    on_graph = np.flatnonzero(np.isfinite(primary) & ~direct)
    leave_link, edges, arrive_link = _walk(
        found, src[on_graph], dst_links.node[best.via[on_graph]], best.via[on_graph], reverse
    )
    straight = np.flatnonzero(direct)
    route, lo, hi = _segment_ranges(
        network,
        leave,
        arrive,
        on_graph=(on_graph, leave_link, edges, arrive_link),
        straight=(straight, la[trip[straight]], ab[trip[straight]]),
    )
    segs = network.edge_segs[_expand(lo, hi)]
    seg_route = np.repeat(route, hi - lo)
    other = (network.seg_length_m, network.seg_time_s)[found.pick][segs]
    secondary = np.bincount(seg_route, weights=other, minlength=m)
    reached = np.isfinite(primary)
    secondary = np.where(reached, secondary, np.inf)
    done = np.flatnonzero(reached)
    counts = np.bincount(seg_route, minlength=m)[done]
    raw, owner = _with_starts(o_snap.raw[o_of[done]], network.seg_v[segs], counts)
    lines[done] = _lines(network, raw, owner, len(done))
    first: FloatArray = np.asarray(primary, dtype=np.float64)
    second: FloatArray = np.asarray(secondary, dtype=np.float64)
    time_s, distance_m = (first, second) if weight == "time" else (second, first)
    return lines, distance_m, time_s


def _spots(network: RoadNetwork, xy: FloatArray, max_snap_m: float) -> tuple[Snapped, IntArray]:
    """The distinct places where the points join the roads (a path depends on the raw node a
    point snaps to, never on the point itself), and each point's place: one search per place,
    not per point (15,000 farms of the ladder's federation join the roads at 2,877 nodes)."""
    at, of = np.unique(xy, axis=0, return_inverse=True)
    snapped = snap(network, at, max_snap_m=max_snap_m)
    key = np.where(snapped.far, -1 - np.arange(len(at)), snapped.raw)
    _, first, spot = np.unique(key, return_index=True, return_inverse=True)
    place = Snapped(snapped.raw[first], snapped.snap_m[first], snapped.far[first])
    return place, np.asarray(spot).ravel()[np.asarray(of).ravel()]


def _segment_ranges(
    network: RoadNetwork,
    leave: Attachments,
    arrive: Attachments,
    *,
    on_graph: tuple[IntArray, IntArray, tuple[IntArray, IntArray, IntArray], IntArray],
    straight: tuple[IntArray, IntArray, IntArray],
) -> tuple[IntArray, IntArray, IntArray]:
    """Segment ranges ``edge_segs[lo:hi]`` of every route, in driving order per route.

    ``on_graph`` is (routes, leaving link, walked edges, arriving link) of the routes through
    the graph; ``straight`` is (routes, leaving link, arriving link) of the trips inside one
    edge.
    """
    graph_routes, leave_link, edges, arrive_link = on_graph
    ptr = network.edge_ptr
    # Segment ranges (route, rank, lo, hi) of every route, put in driving order below.
    ranges: list[tuple[IntArray, IntArray, IntArray, IntArray]] = []
    # Leaving the origin: the rest of its edge when it lies inside one.
    e = leave.edge[leave_link]
    inside = e >= 0
    ranges.append(
        (
            graph_routes[inside],
            np.zeros(int(inside.sum()), dtype=np.int64),
            ptr[e[inside]] + leave.edge_pos[leave_link][inside],
            ptr[e[inside] + 1],
        )
    )
    route, rank, edge = edges
    ranges.append((graph_routes[route], rank + 1, ptr[edge], ptr[edge + 1]))
    e = arrive.edge[arrive_link]
    inside = e >= 0
    last = np.full(int(inside.sum()), np.iinfo(np.int64).max)
    ranges.append(
        (
            graph_routes[inside],
            last,
            ptr[e[inside]],
            ptr[e[inside]] + arrive.edge_pos[arrive_link][inside],
        )
    )
    routes, s_leave, s_arrive = straight
    e = leave.edge[s_leave]
    start, end = ptr[e] + leave.edge_pos[s_leave], ptr[e] + arrive.edge_pos[s_arrive]
    ranges.append((routes, np.zeros(len(routes), dtype=np.int64), start, end))
    route, rank, lo, hi = (np.concatenate(c) for c in zip(*ranges, strict=True))
    order = np.lexsort((rank, route))
    return route[order], lo[order], hi[order]


def _cheapest_trip(trip_key: IntArray, cost: FloatArray, wanted: IntArray) -> IntArray:
    """Index of the cheapest trip whose key is ``wanted[i]`` (-1 when none), for every i."""
    order = np.lexsort((cost, trip_key))
    keys = trip_key[order]
    first = np.ones(len(keys), dtype=bool)
    first[1:] = keys[1:] != keys[:-1]
    keys, order = keys[first], order[first]
    if len(keys) == 0:
        return np.full(len(wanted), -1, dtype=np.int64)
    at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
    return np.where(keys[at] == wanted, order[at], -1)


def _walk(
    found: Search, src: IntArray, node: IntArray, via: IntArray, reverse: bool
) -> tuple[IntArray, tuple[IntArray, IntArray, IntArray], IntArray]:
    """Follow the predecessors from each arrival ``node`` back to its source.

    ``via`` is the target-side attachment link of each route. Returns, per route, the
    origin's leave link, the network edges in driving order as (route, rank, edge), and the
    destination's arrive link.
    """
    root = found.n_nodes + src
    cur = node
    steps = [cur]
    while True:
        moving = cur != root
        if not moving.any():
            break
        cur = np.where(moving, found.pred[src, np.where(moving, cur, 0)], cur).astype(np.int64)
        steps.append(cur)
    chain = np.vstack(steps)  # (depth + 1, routes); the root repeats once reached
    child, parent = chain[:-1], chain[1:]
    valid = child != root[None, :]
    t, r = np.nonzero(valid)
    link = found.link[np.searchsorted(found.keys, link_keys(parent[t, r], child[t, r]))]
    is_edge = link >= 0
    source_link = np.empty(len(src), dtype=np.int64)
    source_link[r[~is_edge]] = -1 - link[~is_edge]
    t, r, edge = t[is_edge], r[is_edge], link[is_edge]
    # Walked from the arrival back to the source: forward searches drive it backwards.
    rank = t if reverse else len(chain) - t
    if reverse:
        return via, (r, rank, edge), source_link
    return source_link, (r, rank, edge), via


def _expand(lo: IntArray, hi: IntArray) -> IntArray:
    """Concatenated ``arange(lo[i], hi[i])``."""
    counts = hi - lo
    starts = np.repeat(lo - (np.cumsum(counts) - counts), counts)
    return np.asarray(starts + np.arange(int(counts.sum())), dtype=np.int64)


def _with_starts(start: IntArray, rest: IntArray, counts: IntArray) -> tuple[IntArray, IntArray]:
    """Raw node sequences: ``start[i]`` then ``counts[i]`` items of ``rest``, per line.

    A line of a single node repeats it (a line needs two coordinates).
    """
    lengths = 1 + np.maximum(counts, 1)
    offset = np.cumsum(lengths) - lengths
    raw = np.empty(int(lengths.sum()), dtype=np.int64)
    owner = np.repeat(np.arange(len(counts)), lengths)
    raw[offset] = start
    raw[offset + 1] = start  # overwritten below unless the line is a single node
    body = np.repeat(offset + 1 - (np.cumsum(counts) - counts), counts) + np.arange(len(rest))
    raw[body] = rest
    return raw, owner


def _lines(network: RoadNetwork, raw: IntArray, owner: IntArray, n: int) -> Any:
    out = np.full(n, None, dtype=object)
    if len(raw) == 0:
        return out
    coords = np.column_stack([network.lon[raw], network.lat[raw]])
    return shapely.linestrings(coords, indices=owner, out=out)
