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

__all__ = ["TravelMatrix", "travel_matrix"]


FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_CACHE: weakref.WeakKeyDictionary[RoadNetwork, dict[str, TravelMatrix]] = (
    weakref.WeakKeyDictionary()
)
_CACHE_SIZE = 16
_TREES_PER_PASS = 8  # pointer doubling over 8 trees of a rural network fits in cache


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
    _refuse_all_far(network, "origins", o_snap, max_snap_m)
    _refuse_all_far(network, "destinations", d_snap, max_snap_m)
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


def _refuse_all_far(network: RoadNetwork, label: str, snapped: Snapped, max_snap_m: float) -> None:
    """A matrix with no origin (or no destination) on the roads is an input error."""
    if len(snapped.snap_m) and np.isinf(snapped.snap_m).all():
        # no road to snap to at all: say so, not "the nearest at inf m"
        closed = " once its closed roads are taken out" if not network.edge_open.all() else ""
        raise InputError(
            Problem(
                network.source,
                "at least one usable road (open, in a part of the network that can be driven "
                f"there and back); the road file holds no usable road{closed}",
            )
        )
    if snapped.far.all():
        raise InputError(
            Problem(
                f"{label} ({network.source})",
                f"points within {max_snap_m:,.0f} m of a road of the network; "
                f"all {len(snapped.far)} are farther "
                f"(the nearest at {snapped.snap_m.min():,.0f} m)",
            )
        )


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
    from_destinations = n_d <= n_o
    src_links, dst_links = (arrive, leave) if from_destinations else (leave, arrive)
    n_src, n_dst = (n_d, n_o) if from_destinations else (n_o, n_d)
    found = search(
        network,
        src_links,
        n_src,
        weight=weight,
        reverse=from_destinations,
        needed=np.concatenate([leave.node, arrive.node]),
    )
    summed = _sum_along_tree(network, found, weight, from_destinations)
    src = np.repeat(np.arange(n_src), n_dst)
    point = np.tile(np.arange(n_dst), n_src)
    best = best_arrivals(found, src, dst_links, point)
    primary = best.primary.reshape(n_src, n_dst)
    flat = np.full(n_src * n_dst, np.inf)
    ok = np.flatnonzero(best.via >= 0)
    via = best.via[ok]
    dst_other = (dst_links.time_s, dst_links.length_m)[1 - found.pick]
    flat[ok] = summed[src[ok], dst_links.node[via]] + dst_other[via]
    secondary = flat.reshape(n_src, n_dst)
    if from_destinations:
        primary, secondary = primary.T, secondary.T
    _, _, o, d, direct_t, direct_m = same_edge(leave, arrive)
    d1, d2 = (direct_t, direct_m) if weight == "time" else (direct_m, direct_t)
    order = np.argsort(-d1, kind="stable")
    o, d, d1, d2 = o[order], d[order], d1[order], d2[order]
    better = d1 < primary[o, d]
    primary[o[better], d[better]] = d1[better]
    secondary[o[better], d[better]] = d2[better]
    secondary = np.where(np.isfinite(primary), secondary, np.inf)
    return np.ascontiguousarray(primary), np.ascontiguousarray(secondary)


def _sum_along_tree(network: RoadNetwork, found: Search, weight: str, reverse: bool) -> FloatArray:
    """The other weight summed along each shortest-path tree, at every node.

    Each tree link's weight is found by comparing the predecessor matrix with every
    node's padded in-links (a few passes over contiguous arrays, no search). Then pointer
    doubling: after step i every node holds the sum of the 2^i tree links above it, so
    the loop runs about log2(tree depth) times.
    """
    k, size = found.pred.shape
    n = found.n_nodes
    stride = size + 1  # one sentinel per tree, above its root
    pred = found.pred
    link = np.zeros((k, stride))
    inner = link[:, :n]
    pad_from, pad_other = _in_links(network, weight, reverse)
    graph_pred = pred[:, :n]
    for rank in range(len(pad_from)):
        cols = np.flatnonzero(pad_from[rank] >= 0)
        if 2 * len(cols) >= n:  # contiguous passes beat gathering columns
            np.copyto(inner, pad_other[rank], where=graph_pred == pad_from[rank])
        else:
            hit = graph_pred[:, cols] == pad_from[rank, cols]
            inner[:, cols] = np.where(hit, pad_other[rank, cols], inner[:, cols])
    # The first links, from each source's virtual node into the graph.
    tree, node = np.nonzero(graph_pred >= n)
    if len(tree):
        keys = link_keys(graph_pred[tree, node].astype(np.int64), node)
        inner[tree, node] = found.other[np.searchsorted(found.keys, keys)]
    # Native-width indices (numpy converts narrower ones at every gather), and a few
    # trees at a time so that the arrays stay in the processor's cache.
    up = np.where(pred >= 0, pred, size).astype(np.intp)
    out = np.empty((k, size))
    for first in range(0, k, _TREES_PER_PASS):
        last = min(k, first + _TREES_PER_PASS)
        rows = last - first
        flat_up = np.full((rows, stride), size, dtype=np.intp)
        flat_up[:, :size] = up[first:last]
        flat_up = (flat_up + (np.arange(rows, dtype=np.intp) * stride)[:, None]).ravel()
        acc = link[first:last].ravel()
        while True:
            hop = np.take(flat_up, flat_up)
            if np.array_equal(hop, flat_up):
                break
            acc = acc + np.take(acc, flat_up)
            flat_up = hop
        out[first:last] = acc.reshape(rows, stride)[:, :size]
    return out


_IN_LINKS: weakref.WeakKeyDictionary[
    RoadNetwork, dict[tuple[str, bool], tuple[npt.NDArray[np.int32], FloatArray]]
] = weakref.WeakKeyDictionary()


def _in_links(
    network: RoadNetwork, weight: str, reverse: bool
) -> tuple[npt.NDArray[np.int32], FloatArray]:
    """Per node, its in-links in the search graph: (rank, node) arrays of the link's start
    (-1 past the node's in-degree) and other weight. Built once per network and weight."""
    store = _IN_LINKS.setdefault(network, {})
    key = (weight, reverse)
    if key not in store:
        base, other, _ = network.csr(weight, reverse=reverse)
        n = network.n_nodes
        start = np.repeat(np.arange(n, dtype=np.int64), np.diff(base.indptr))
        end = base.indices.astype(np.int64)
        order = np.argsort(end, kind="stable")
        degree = np.bincount(end, minlength=n)
        rank = np.arange(len(end)) - np.repeat(np.cumsum(degree) - degree, degree)
        width = max(int(degree.max(initial=0)), 1)
        pad_from = np.full((width, n), -1, dtype=np.int32)
        pad_other = np.zeros((width, n))
        pad_from[rank, end[order]] = start[order]
        pad_other[rank, end[order]] = other[order]
        store[key] = (pad_from, pad_other)
    return store[key]
