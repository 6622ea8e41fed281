"""Road paths as geometries: one route, many routes, the whole network, GeoJSON."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import pairwise
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.sparse.csgraph import dijkstra
from shapely.geometry import LineString

from optimizer.geo._snap import Attachments, attach, points_array, snap
from optimizer.geo.matrix import DEFAULT_MAX_SNAP_M, _csr, travel_matrix
from optimizer.geo.network import RoadNetwork

__all__ = ["network_frame", "route_geometries", "route_geometry", "to_geojson"]


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
    return _route(network, origin, destination, weight=weight, max_snap_m=max_snap_m)


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
    ``time_s`` and the path (None when unreachable).
    """
    if isinstance(pairs, pd.DataFrame):
        frame = pairs.reset_index(drop=True).copy()
        ends = frame[["origin_lat", "origin_lon", "destination_lat", "destination_lon"]]
        values = ends.to_numpy(dtype=np.float64)
    else:
        listed = [(tuple(o), tuple(d)) for o, d in pairs]
        values = np.asarray([(*o, *d) for o, d in listed], dtype=np.float64).reshape(-1, 4)
        frame = pd.DataFrame(
            values, columns=["origin_lat", "origin_lon", "destination_lat", "destination_lon"]
        )
    geometries = [
        _route(network, (o_lat, o_lon), (d_lat, d_lon), weight=weight, max_snap_m=max_snap_m)
        for o_lat, o_lon, d_lat, d_lon in values
    ]
    origins, o_index = np.unique(values[:, :2], axis=0, return_inverse=True)
    targets, d_index = np.unique(values[:, 2:], axis=0, return_inverse=True)
    costs = travel_matrix(network, origins, targets, weight=weight, max_snap_m=max_snap_m)
    frame["distance_m"] = costs.distance_m[o_index.ravel(), d_index.ravel()]
    frame["time_s"] = costs.time_s[o_index.ravel(), d_index.ravel()]
    return gpd.GeoDataFrame(frame, geometry=geometries, crs="EPSG:4326")


def network_frame(network: RoadNetwork, *, closed: bool = True) -> gpd.GeoDataFrame:
    """Every edge with its attributes and road geometry (for maps and GeoJSON exports)."""
    table = network.edges()
    keep = np.ones(len(table), dtype=bool) if closed else network.edge_open
    lines = []
    for e in np.flatnonzero(keep).tolist():
        raw = _edge_raw(network, e)
        lines.append(LineString(np.column_stack([network.lon[raw], network.lat[raw]])))
    return gpd.GeoDataFrame(table[keep].reset_index(drop=True), geometry=lines, crs="EPSG:4326")


def to_geojson(frame: gpd.GeoDataFrame) -> str:
    """GeoJSON text of a GeoDataFrame (in EPSG:4326), infinite values written as null."""
    clean = frame.replace([np.inf, -np.inf], np.nan)
    if clean.crs is not None and clean.crs.to_epsg() != 4326:
        clean = clean.to_crs("EPSG:4326")
    return str(clean.to_json(na="null", drop_id=True))


def _edge_raw(network: RoadNetwork, e: int) -> Any:
    segs = network.edge_segs[network.edge_ptr[e] : network.edge_ptr[e + 1]]
    return np.concatenate([network.seg_u[segs[:1]], network.seg_v[segs]])


def _route(
    network: RoadNetwork,
    origin: Sequence[float],
    destination: Sequence[float],
    *,
    weight: str,
    max_snap_m: float,
) -> LineString | None:
    xy = points_array([list(origin), list(destination)], name="route ends")
    snapped = snap(network, xy, max_snap_m=max_snap_m)
    if snapped.far.any():
        return None
    o_raw, d_raw = int(snapped.raw[0]), int(snapped.raw[1])
    leave = _only(attach(network, snapped, leaving=True), 0)
    arrive = _only(attach(network, snapped, leaving=False), 1)
    n = network.n_nodes
    pick = 0 if weight == "time" else 1
    base, other, _edge = network.csr(weight)
    coo = base.tocoo()
    l_w = (leave.time_s, leave.length_m)
    u = np.concatenate([coo.row, np.full(len(leave.node), n)])
    v = np.concatenate([coo.col, leave.node])
    graph, _ = _csr(
        u, v, np.concatenate([coo.data, l_w[pick]]), np.concatenate([other, l_w[1 - pick]]), n + 1
    )
    dist, pred = dijkstra(graph, directed=True, indices=n, return_predecessors=True)
    a_w = (arrive.time_s, arrive.length_m)
    total = dist[arrive.node] + a_w[pick]
    best = int(np.argmin(total)) if len(total) else -1
    cost = float(total[best]) if best >= 0 else np.inf
    # The direct trip inside one edge, when both points lie on it in driving order.
    direct: int | None = None
    for i in range(len(leave.edge)):
        for j in range(len(arrive.edge)):
            same = leave.edge[i] >= 0 and leave.edge[i] == arrive.edge[j]
            if same and arrive.offset_length_m[j] >= leave.offset_length_m[i]:
                gap = (
                    arrive.offset_time_s[j] - leave.offset_time_s[i],
                    arrive.offset_length_m[j] - leave.offset_length_m[i],
                )
                if gap[pick] < cost:
                    cost, direct = gap[pick], int(leave.edge[i])
    if o_raw == d_raw:
        return _line(network, np.array([o_raw]))
    if direct is not None:
        raw = _edge_raw(network, direct)
        start = int(np.flatnonzero(raw == o_raw)[0])
        stop = int(np.flatnonzero(raw == d_raw)[0])
        return _line(network, raw[start : stop + 1])
    if not np.isfinite(cost):
        return None
    # Walk the predecessors back from the arrival node to the origin's virtual node.
    nodes = [int(arrive.node[best])]
    while nodes[-1] != n:
        nodes.append(int(pred[nodes[-1]]))
    nodes.reverse()
    raw_path: list[Any] = []
    first = nodes[1]
    link = int(
        np.flatnonzero(leave.node == first)[
            np.argmin((leave.time_s, leave.length_m)[pick][leave.node == first])
        ]
    )
    if leave.edge[link] >= 0:
        raw = _edge_raw(network, int(leave.edge[link]))
        raw_path.append(raw[int(np.flatnonzero(raw == o_raw)[0]) :])
    else:
        raw_path.append(np.array([network.node_raw[first]]))
    for a, b in pairwise(nodes[1:]):
        raw_path.append(_edge_raw(network, _cheapest_edge(network, a, b, pick))[1:])
    if arrive.edge[best] >= 0:
        raw = _edge_raw(network, int(arrive.edge[best]))
        raw_path.append(raw[1 : int(np.flatnonzero(raw == d_raw)[0]) + 1])
    return _line(network, np.concatenate(raw_path))


def _line(network: RoadNetwork, raw: Any) -> LineString:
    coords = np.column_stack([network.lon[raw], network.lat[raw]])
    if len(coords) == 1:
        coords = np.vstack([coords, coords])
    return LineString(coords)


def _cheapest_edge(network: RoadNetwork, a: int, b: int, pick: int) -> int:
    candidates = np.flatnonzero((network.edge_u == a) & (network.edge_v == b) & network.edge_open)
    cost = (network.edge_time_s, network.edge_length_m)[pick][candidates]
    return int(candidates[np.argmin(cost)])


def _only(links: Attachments, point: int) -> Attachments:
    mask = links.point == point
    return Attachments(*(getattr(links, f)[mask] for f in Attachments.__dataclass_fields__))
