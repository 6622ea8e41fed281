"""Clipping, the largest strongly connected part, and chains of segments merged into edges.

A node is *interior* when the road only passes through it: exactly two neighbours and
either one segment in and one out (a one-way road) or two in and two out (a two-way road).
Every other node is a graph node, and an *edge* is the chain of segments between two graph
nodes. Closing any segment of a chain closes the whole edge, which is right: there is no
junction inside a chain to turn off at.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from optimizer.geo._osm.read import MIN_SEGMENT_M, RawRoads
from optimizer.geodesy import haversine_m

__all__ = ["Dropped", "Topology", "build_topology", "clip"]

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Dropped:
    """What was left out of the network, and why."""

    dangling_refs: int
    nodes_outside: int
    components: int
    nodes: int
    segments: int
    km: float


@dataclass(frozen=True)
class Topology:
    """Raw roads restricted to the largest strongly connected part, plus their edges."""

    raw: RawRoads
    seg_length_m: npt.NDArray[np.float64]
    node_raw: IntArray
    edge_u: IntArray
    edge_v: IntArray
    edge_ptr: IntArray
    edge_segs: IntArray
    dropped: Dropped


def clip(raw: RawRoads, area: Any) -> tuple[RawRoads, int]:
    """Keep the segments with both ends inside a shapely (lon, lat) geometry."""
    inside = shapely.contains_xy(area, raw.lon, raw.lat) | shapely.intersects_xy(
        area.boundary, raw.lon, raw.lat
    )
    keep = inside[raw.seg_u] & inside[raw.seg_v]
    used = np.zeros(len(raw.lat), dtype=bool)
    used[raw.seg_u[keep]] = True
    used[raw.seg_v[keep]] = True
    outside = int((~inside).sum())
    return _restrict(raw, keep, used), outside


def build_topology(raw: RawRoads, *, nodes_outside: int = 0) -> Topology:
    """Keep the largest strongly connected part and merge chains into edges."""
    n = len(raw.lat)
    components, label = 0, np.zeros(n, dtype=np.int64)
    if n:
        graph = csr_matrix(
            (np.ones(len(raw.seg_u)), (raw.seg_u, raw.seg_v)), shape=(n, n), dtype=np.float64
        )
        components, label = connected_components(graph, directed=True, connection="strong")
    sizes = np.bincount(label, minlength=max(components, 1))
    # Isolated nodes are components too; count only those that carried road.
    main = int(np.argmax(sizes)) if n else 0
    in_main = label == main
    keep = in_main[raw.seg_u] & in_main[raw.seg_v]
    length_all = np.maximum(
        haversine_m(raw.lat[raw.seg_u], raw.lon[raw.seg_u], raw.lat[raw.seg_v], raw.lon[raw.seg_v]),
        MIN_SEGMENT_M,
    )
    with_roads = np.unique(label[np.concatenate([raw.seg_u, raw.seg_v])])
    # A two-way road is counted once: halve the length of dropped segments with a twin.
    dropped_m = _undirected_length(raw, ~keep, length_all)
    dropped = Dropped(
        dangling_refs=raw.dangling_refs,
        nodes_outside=nodes_outside,
        components=int(len(with_roads) - (1 if main in with_roads else 0)),
        nodes=int((~in_main).sum()),
        segments=int((~keep).sum()),
        km=float(dropped_m / 1000.0),
    )
    raw = _restrict(raw, keep, in_main)
    seg_length = length_all[keep]
    node_raw, edge_u, edge_v, edge_ptr, edge_segs = _chains(raw)
    return Topology(raw, seg_length, node_raw, edge_u, edge_v, edge_ptr, edge_segs, dropped)


def _undirected_length(raw: RawRoads, mask: npt.NDArray[np.bool_], length: Any) -> float:
    u, v = raw.seg_u[mask], raw.seg_v[mask]
    pairs = np.stack([np.minimum(u, v), np.maximum(u, v), raw.seg_way[mask]], axis=1)
    if len(pairs) == 0:
        return 0.0
    _, first = np.unique(pairs, axis=0, return_index=True)
    return float(np.asarray(length[mask])[first].sum())


def _restrict(raw: RawRoads, keep_seg: Any, keep_node: Any) -> RawRoads:
    new_index = np.full(len(raw.lat), -1, dtype=np.int64)
    new_index[keep_node] = np.arange(int(np.count_nonzero(keep_node)))
    return replace(
        raw,
        lat=raw.lat[keep_node],
        lon=raw.lon[keep_node],
        osm_id=raw.osm_id[keep_node],
        seg_u=new_index[raw.seg_u[keep_seg]],
        seg_v=new_index[raw.seg_v[keep_seg]],
        seg_way=raw.seg_way[keep_seg],
    )


def _chains(raw: RawRoads) -> tuple[IntArray, IntArray, IntArray, IntArray, IntArray]:
    n, m = len(raw.lat), len(raw.seg_u)
    u, v = raw.seg_u, raw.seg_v
    out_count = np.bincount(u, minlength=n)
    in_count = np.bincount(v, minlength=n)
    directed = np.unique(np.stack([u, v], axis=1), axis=0) if m else np.zeros((0, 2), np.int64)
    out_unique = np.bincount(directed[:, 0], minlength=n)
    in_unique = np.bincount(directed[:, 1], minlength=n)
    undirected = np.unique(np.sort(directed, axis=1), axis=0)
    neighbours = np.bincount(undirected.ravel(), minlength=n)
    loops = np.zeros(n, dtype=bool)
    loops[u[u == v]] = True
    interior = (
        (neighbours == 2)
        & ~loops
        & (out_count == out_unique)
        & (in_count == in_unique)
        & (((in_count == 1) & (out_count == 1)) | ((in_count == 2) & (out_count == 2)))
    )
    # For a segment ending at an interior node, the segment that continues the road.
    order = np.argsort(u, kind="stable")
    start = np.concatenate([[0], np.cumsum(out_count)])[:-1]
    first = order[start[v]] if m else np.zeros(0, np.int64)
    second = order[np.minimum(start[v] + 1, m - 1)] if m else np.zeros(0, np.int64)
    nxt = np.where(v[first] != u, first, second)
    nxt = np.where(interior[v], nxt, -1)

    is_node = ~interior
    segs: list[int] = []
    ptr = [0]
    edge_u: list[int] = []
    edge_v: list[int] = []
    visited = np.zeros(m, dtype=bool)
    nxt_list = nxt.tolist()
    v_list = v.tolist()
    starts = np.flatnonzero(is_node[u]).tolist()
    for first_seg in starts:
        s = first_seg
        edge_u.append(int(u[s]))
        while True:
            visited[s] = True
            segs.append(s)
            following = nxt_list[s]
            if following < 0:
                break
            s = following
        edge_v.append(v_list[s])
        ptr.append(len(segs))
    # What is left are rings with no junction: make one node of each ring a graph node.
    for s0 in np.flatnonzero(~visited).tolist():
        if visited[s0]:
            continue
        is_node[u[s0]] = True
        edge_u.append(int(u[s0]))
        s = s0
        while True:
            visited[s] = True
            segs.append(s)
            following = nxt_list[s]
            if following < 0 or following == s0:
                break
            s = following
        edge_v.append(v_list[s])
        ptr.append(len(segs))
    node_raw = np.flatnonzero(is_node)
    graph_index = np.full(n, -1, dtype=np.int64)
    graph_index[node_raw] = np.arange(len(node_raw))
    return (
        node_raw.astype(np.int64),
        graph_index[np.asarray(edge_u, dtype=np.int64)],
        graph_index[np.asarray(edge_v, dtype=np.int64)],
        np.asarray(ptr, dtype=np.int64),
        np.asarray(segs, dtype=np.int64),
    )
