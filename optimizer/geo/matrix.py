"""Travel-time and distance matrices between points on a road network.

Each point is snapped to the nearest node of an open road (the snap distance is kept, and
points farther than ``max_snap_m`` are flagged and left unreached). A point inside an edge
joins the graph through virtual links to the edge's ends, so no edge is cut. Shortest
paths come from ``scipy.sparse.csgraph.dijkstra`` run once per point of the *smaller* side:
from the destinations on the reversed graph when they are fewer. The other quantity
(distance on the fastest path, or time on the shortest) is summed along the shortest-path
tree by pointer doubling, without walking any path in Python.
"""

from __future__ import annotations

import hashlib
import time
import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from optimizer.errors import InputError, Problem
from optimizer.geo._snap import Attachments, attach, points_array, snap
from optimizer.geo.network import RoadNetwork

__all__ = ["DEFAULT_MAX_SNAP_M", "TravelMatrix", "travel_matrix"]

DEFAULT_MAX_SNAP_M = 2_000.0

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_CACHE: weakref.WeakKeyDictionary[RoadNetwork, dict[str, TravelMatrix]] = (
    weakref.WeakKeyDictionary()
)
_CACHE_SIZE = 16


@dataclass(frozen=True)
class TravelMatrix:
    """Road distance and time from every origin to every destination.

    ``distance_m`` and ``time_s`` are shaped (origins, destinations); unreachable pairs are
    ``inf`` and False in ``reachable``. With ``weight="time"`` the path is the fastest one
    and ``distance_m`` its length; with ``"distance"`` the shortest and ``time_s`` its time.
    Snap distances (point to road) are reported, not added.
    """

    distance_m: FloatArray
    time_s: FloatArray
    reachable: BoolArray
    weight: str
    origin_snap_m: FloatArray
    destination_snap_m: FloatArray
    origin_far: BoolArray
    destination_far: BoolArray
    origin_osm_node: IntArray
    destination_osm_node: IntArray
    origin_ids: tuple[Any, ...]
    destination_ids: tuple[Any, ...]
    runtime_s: float

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.origin_ids), len(self.destination_ids))

    def to_frame(self) -> pd.DataFrame:
        """One row per pair: origin, destination, distance_m, time_s, reachable."""
        n_o, n_d = self.shape
        return pd.DataFrame(
            {
                "origin": np.repeat(np.asarray(self.origin_ids, dtype=object), n_d),
                "destination": np.tile(np.asarray(self.destination_ids, dtype=object), n_o),
                "distance_m": self.distance_m.ravel(),
                "time_s": self.time_s.ravel(),
                "reachable": self.reachable.ravel(),
            }
        )

    def summary(self) -> str:
        """A few lines for a terminal."""
        n_o, n_d = self.shape
        ok = self.reachable
        finite = self.distance_m[ok]
        lines = [
            f"travel matrix {n_o} x {n_d} by {self.weight} in {self.runtime_s:.3f} s",
            f"  {int(ok.sum()):,} of {ok.size:,} pairs reachable",
            f"  far from any road: {int(self.origin_far.sum())} origins, "
            f"{int(self.destination_far.sum())} destinations",
        ]
        if finite.size:
            lines.append(
                f"  distance {finite.min() / 1000:.1f}-{finite.max() / 1000:.1f} km, "
                f"time {self.time_s[ok].min() / 60:.1f}-{self.time_s[ok].max() / 60:.1f} min"
            )
        return "\n".join(lines)


def travel_matrix(
    network: RoadNetwork,
    origins: Any,
    destinations: Any,
    *,
    weight: str = "time",
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    cache: bool = True,
) -> TravelMatrix:
    """Distances (m) and times (s) between points over the open roads.

    Parameters
    ----------
    network
        From :func:`optimizer.geo.load_network`.
    origins, destinations
        DataFrames with ``lat`` and ``lon`` columns (the index, or an ``id`` column, names
        the points) or (n, 2) arrays of (lat, lon).
    weight
        ``"time"`` (fastest paths) or ``"distance"`` (shortest paths).
    max_snap_m
        Points farther than this from any open road are flagged and left unreached.
    cache
        Reuse the matrix of an earlier call on the same network and points.

    Raises
    ------
    InputError
        Bad coordinates, or every origin or every destination far from the roads.
    """
    if weight not in ("time", "distance"):
        raise InputError(
            Problem("travel matrix", "'time' or 'distance'", column="weight", value=weight)
        )
    started = time.perf_counter()
    o_xy = points_array(origins, name="origins")
    d_xy = points_array(destinations, name="destinations")
    key = _key(o_xy, d_xy, weight, max_snap_m, _ids(origins), _ids(destinations))
    store = _CACHE.setdefault(network, {})
    if cache and key in store:
        return store[key]
    o_snap = snap(network, o_xy, max_snap_m=max_snap_m)
    d_snap = snap(network, d_xy, max_snap_m=max_snap_m)
    for label, snapped in (("origins", o_snap), ("destinations", d_snap)):
        if snapped.far.all():
            raise InputError(
                Problem(
                    f"{label} ({network.source})",
                    f"points within {max_snap_m:,.0f} m of a road of the network; "
                    f"all {len(snapped.far)} are farther "
                    f"(the nearest at {snapped.snap_m.min():,.0f} m)",
                )
            )
    primary, other = _solve(
        network,
        leave=attach(network, o_snap, leaving=True),
        arrive=attach(network, d_snap, leaving=False),
        n_o=len(o_xy),
        n_d=len(d_xy),
        weight=weight,
    )
    time_s, distance_m = (primary, other) if weight == "time" else (other, primary)
    osm = network.osm_id
    result = TravelMatrix(
        distance_m=distance_m,
        time_s=time_s,
        reachable=np.isfinite(primary),
        weight=weight,
        origin_snap_m=o_snap.snap_m,
        destination_snap_m=d_snap.snap_m,
        origin_far=o_snap.far,
        destination_far=d_snap.far,
        origin_osm_node=osm[o_snap.raw],
        destination_osm_node=osm[d_snap.raw],
        origin_ids=_ids(origins) or tuple(range(len(o_xy))),
        destination_ids=_ids(destinations) or tuple(range(len(d_xy))),
        runtime_s=time.perf_counter() - started,
    )
    if cache:
        if len(store) >= _CACHE_SIZE:
            store.pop(next(iter(store)))
        store[key] = result
    return result


def _ids(points: Any) -> tuple[Any, ...]:
    if isinstance(points, pd.DataFrame):
        if "id" in points.columns:
            return tuple(points["id"].tolist())
        return tuple(points.index.tolist())
    return ()


def _key(o: FloatArray, d: FloatArray, weight: str, max_snap_m: float, *ids: Any) -> str:
    digest = hashlib.sha256()
    for array in (o, d):
        digest.update(np.ascontiguousarray(array).tobytes())
        digest.update(b"|")
    digest.update(repr((weight, max_snap_m, ids)).encode())
    return digest.hexdigest()


def _solve(
    network: RoadNetwork,
    *,
    leave: Attachments,
    arrive: Attachments,
    n_o: int,
    n_d: int,
    weight: str,
) -> tuple[FloatArray, FloatArray]:
    """Primary and other weight matrices (origins x destinations).

    The smaller side's points become virtual nodes linked to the graph and are the
    Dijkstra sources; the other side's points are read off the graph nodes they link to.
    """
    n = network.n_nodes
    from_destinations = n_d <= n_o
    base, base_other, _ = network.csr(weight, reverse=from_destinations)
    coo = base.tocoo()
    pick = 0 if weight == "time" else 1
    src_links, dst_links = (arrive, leave) if from_destinations else (leave, arrive)
    n_src, n_dst = (n_d, n_o) if from_destinations else (n_o, n_d)
    src_w = (src_links.time_s, src_links.length_m)
    dst_w = (dst_links.time_s, dst_links.length_m)
    # Source links run from the virtual node (n + point) into the graph.
    u = np.concatenate([coo.row, n + src_links.point])
    v = np.concatenate([coo.col, src_links.node])
    w1 = np.concatenate([coo.data, src_w[pick]])
    w2 = np.concatenate([base_other, src_w[1 - pick]])
    graph, other = _csr(u, v, w1, w2, n + n_src)
    dist, pred = dijkstra(
        graph, directed=True, indices=n + np.arange(n_src), return_predecessors=True
    )
    nodes = np.unique(dst_links.node)
    summed = _sum_along_tree(graph, other, pred, nodes)
    at = np.searchsorted(nodes, dst_links.node)
    # Each target point has at most two links: keep the cheaper per (source, point).
    primary = np.full((n_src, n_dst), np.inf)
    secondary = np.full((n_src, n_dst), np.inf)
    for slot in _slots(dst_links.point):
        cand1 = dist[:, nodes[at[slot]]] + dst_w[pick][slot]
        cand2 = summed[:, at[slot]] + dst_w[1 - pick][slot]
        cols = dst_links.point[slot]
        better = cand1 < primary[:, cols]
        primary[:, cols] = np.where(better, cand1, primary[:, cols])
        secondary[:, cols] = np.where(better, cand2, secondary[:, cols])
    if from_destinations:
        primary, secondary = primary.T, secondary.T
    direct = _same_edge(leave, arrive)
    order = np.argsort(-direct[2 + pick], kind="stable")
    o, d = direct[0][order], direct[1][order]
    d1, d2 = direct[2 + pick][order], direct[3 - pick][order]
    better = d1 < primary[o, d]
    primary[o[better], d[better]] = d1[better]
    secondary[o[better], d[better]] = d2[better]
    secondary = np.where(np.isfinite(primary), secondary, np.inf)
    return np.ascontiguousarray(primary), np.ascontiguousarray(secondary)


def _slots(point: IntArray) -> list[IntArray]:
    """Split link indices so that no point appears twice within one group."""
    order = np.argsort(point, kind="stable")
    sorted_points = point[order]
    rank = np.arange(len(point)) - np.searchsorted(sorted_points, sorted_points, side="left")
    return [order[rank == r] for r in range(int(rank.max()) + 1 if len(rank) else 0)]


def _same_edge(
    leave: Attachments, arrive: Attachments
) -> tuple[IntArray, IntArray, FloatArray, FloatArray]:
    """Direct links (origin, destination, time_s, length_m) inside one edge, in its direction."""
    a = pd.DataFrame(
        {
            "edge": leave.edge,
            "o": leave.point,
            "ot": leave.offset_time_s,
            "om": leave.offset_length_m,
        }
    )
    b = pd.DataFrame(
        {
            "edge": arrive.edge,
            "d": arrive.point,
            "dt": arrive.offset_time_s,
            "dm": arrive.offset_length_m,
        }
    )
    pairs = a[a["edge"] >= 0].merge(b[b["edge"] >= 0], on="edge")
    pairs = pairs[pairs["dm"] >= pairs["om"]]
    return (
        pairs["o"].to_numpy(np.int64),
        pairs["d"].to_numpy(np.int64),
        (pairs["dt"] - pairs["ot"]).to_numpy(np.float64),
        (pairs["dm"] - pairs["om"]).to_numpy(np.float64),
    )


def _csr(
    u: IntArray, v: IntArray, w1: FloatArray, w2: FloatArray, size: int
) -> tuple[csr_matrix, FloatArray]:
    """CSR of w1 keeping the cheapest of parallel links, and w2 aligned with its data."""
    order = np.lexsort((w2, w1, v, u))
    u, v, w1, w2 = u[order], v[order], w1[order], w2[order]
    first = np.ones(len(u), dtype=bool)
    first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
    u, v, w1, w2 = u[first], v[first], w1[first], w2[first]
    indptr = np.concatenate([[0], np.cumsum(np.bincount(u, minlength=size))])
    return csr_matrix((w1, v, indptr), shape=(size, size)), w2


def _sum_along_tree(
    graph: csr_matrix, other: FloatArray, pred: IntArray, targets: IntArray
) -> FloatArray:
    """Sum of ``other`` along each shortest-path tree from its root to the targets."""
    k, size = pred.shape
    parent = pred.astype(np.int64)
    has = parent >= 0
    # Weight of the tree link parent -> node: each node's in-links sit in a padded row
    # (in-degrees are small on roads), and the parent is found by comparing along it.
    csc = graph.tocsc()
    in_val = other[_csr_positions(graph, csc)]
    degree = np.diff(csc.indptr)
    width = max(int(degree.max()) if len(degree) else 1, 1)
    column = np.repeat(np.arange(size), degree)
    rank = np.arange(len(csc.indices)) - csc.indptr[column]
    pad_from = np.full((size, width), -1, dtype=np.int32)
    pad_val = np.zeros((size, width))
    pad_from[column, rank] = csc.indices
    pad_val[column, rank] = in_val
    flat = np.flatnonzero(has.ravel())
    node = flat % size
    want = parent.ravel()[flat]
    slot = np.argmax(pad_from[node] == want[:, None], axis=1)
    link = np.zeros(k * size)
    link[flat] = pad_val[node, slot]
    link = link.reshape(k, size)
    # Pointer doubling: after step i every node has summed 2^i links towards the root.
    sentinel = size
    flat_up = np.where(has, parent, sentinel) + (np.arange(k) * (size + 1))[:, None]
    up = np.concatenate([flat_up, (np.arange(k) * (size + 1) + sentinel)[:, None]], axis=1)
    up = up.ravel().astype(np.int32 if up.size < 2**31 else np.int64)
    acc = np.concatenate([link, np.zeros((k, 1))], axis=1).ravel()
    watch = (targets[None, :] + (np.arange(k) * (size + 1))[:, None]).ravel()
    ends = np.arange(k) * (size + 1) + sentinel
    done = np.zeros(len(up), dtype=bool)
    done[ends] = True
    while not done[up[watch]].all():
        acc = acc + acc[up]
        up = up[up]
    return np.asarray(acc[watch].reshape(k, len(targets)), dtype=np.float64)


def _csr_positions(graph: csr_matrix, csc: Any) -> IntArray:
    """For each stored value of ``csc`` (same matrix), its position in ``graph.data``."""
    marked = csr_matrix(
        (np.arange(graph.nnz, dtype=np.float64) + 1.0, graph.indices, graph.indptr),
        shape=graph.shape,
    ).tocsc()
    return np.asarray(marked.data - 1.0, dtype=np.int64)
