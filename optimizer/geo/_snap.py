"""Points to the network: nearest usable road node, and how a point enters and leaves it."""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from optimizer.errors import InputError, Problem
from optimizer.geo.network import RoadNetwork
from optimizer.geodesy import EARTH_RADIUS_M, haversine_m

__all__ = [
    "DEFAULT_MAX_SNAP_M",
    "Attachments",
    "Snapped",
    "attach",
    "main_component",
    "points_array",
    "road_spots",
    "snap",
    "snap_distances",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
_Placements = tuple[IntArray, IntArray, FloatArray, FloatArray, IntArray]

#: Points farther than this from every usable road are refused (metres).
DEFAULT_MAX_SNAP_M = 2_000.0

_TREES: weakref.WeakKeyDictionary[RoadNetwork, tuple[Any, IntArray, float]] = (
    weakref.WeakKeyDictionary()
)
_PLACES: weakref.WeakKeyDictionary[RoadNetwork, tuple[IntArray, _Placements]] = (
    weakref.WeakKeyDictionary()
)


@dataclass(frozen=True)
class Snapped:
    """Where each point meets the network."""

    raw: IntArray
    snap_m: FloatArray
    far: npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Attachments:
    """Links from points to graph nodes: (point, node, time_s, length_m) per link.

    Leaving a point that lies inside an edge means driving to the edge's end; arriving at
    it means driving from the edge's start. ``edge``, ``offset_*`` and ``edge_pos`` (the
    point's index among the edge's raw nodes, 0 at a graph node) locate the point on its
    edges, for the direct trip between two points on the same edge and for drawing paths.
    """

    point: IntArray
    node: IntArray
    time_s: FloatArray
    length_m: FloatArray
    edge: IntArray
    offset_time_s: FloatArray
    offset_length_m: FloatArray
    edge_pos: IntArray


def points_array(points: Any, *, name: str) -> FloatArray:
    """(n, 2) array of (lat, lon) from a DataFrame with ``lat``/``lon`` or an array."""
    if isinstance(points, pd.DataFrame):
        missing = [c for c in ("lat", "lon") if c not in points.columns]
        if missing:
            raise InputError(Problem(name, "columns 'lat' and 'lon'", column=", ".join(missing)))
        array = points[["lat", "lon"]].to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        try:
            array = np.asarray(points, dtype=np.float64)
        except (TypeError, ValueError) as error:
            raise InputError(Problem(name, "an (n, 2) array of (lat, lon)")) from error
        if array.ndim == 1 and array.shape[0] == 2:
            array = array[None, :]
    if array.ndim != 2 or array.shape[1] != 2:
        raise InputError(Problem(name, "an (n, 2) array of (lat, lon)", value=array.shape))
    if len(array) == 0:
        raise InputError(Problem(name, "at least one point"))
    bad = ~(np.isfinite(array).all(axis=1))
    bad |= (np.abs(array[:, 0]) > 90) | (np.abs(array[:, 1]) > 180)
    if bad.any():
        raise InputError(
            [
                Problem(
                    name,
                    "lat in [-90, 90] and lon in [-180, 180]",
                    row=int(i) + 2,
                    value=tuple(array[i]),
                )
                for i in np.flatnonzero(bad)
            ]
        )
    return array


def _tree(network: RoadNetwork) -> tuple[Any, IntArray, float]:
    found = _TREES.get(network)
    if found is None:
        usable = np.zeros(len(network.lat), dtype=bool)
        # Points snap to the main part of the open network only: a fragment left by a closure
        # or cut off by the extract's edge would strand a point that a short walk further
        # reaches the roads everyone else uses (docs/roads.md, "Snapping").
        open_segs = network.seg_open & _edge_in_main(network)[network.seg_edge]
        usable[network.seg_u[open_segs]] = True
        usable[network.seg_v[open_segs]] = True
        raw = np.flatnonzero(usable)
        lat0 = float(np.radians(network.lat.mean()))
        tree = cKDTree(_project(network.lat[raw], network.lon[raw], lat0)) if len(raw) else None
        found = (tree, raw, lat0)
        _TREES[network] = found
    return found


def _project(lat: FloatArray, lon: FloatArray, lat0: float) -> FloatArray:
    x = np.radians(lon) * np.cos(lat0) * EARTH_RADIUS_M
    y = np.radians(lat) * EARTH_RADIUS_M
    return np.column_stack([x, y])


def snap(network: RoadNetwork, points: FloatArray, *, max_snap_m: float) -> Snapped:
    """Nearest raw node on an open road for each (lat, lon); ``far`` beyond ``max_snap_m``."""
    tree, raw, lat0 = _tree(network)
    if tree is None:
        n = len(points)
        return Snapped(np.full(n, -1), np.full(n, np.inf), np.ones(n, dtype=bool))
    _, nearest = tree.query(_project(points[:, 0], points[:, 1], lat0))
    node = raw[nearest]
    snap_m = haversine_m(points[:, 0], points[:, 1], network.lat[node], network.lon[node])
    return Snapped(node, np.asarray(snap_m, dtype=np.float64), snap_m > max_snap_m)


def attach(network: RoadNetwork, snapped: Snapped, *, leaving: bool) -> Attachments:
    """Links from points to the graph (``leaving``) or from the graph to points."""
    graph_index, (place_raw, place_edge, place_t, place_m, place_pos) = _lookups(network)
    usable = np.flatnonzero(~snapped.far)
    raw = snapped.raw[usable]
    at_node = graph_index[raw] >= 0
    parts = [
        (
            usable[at_node],
            graph_index[raw[at_node]],
            np.zeros(int(at_node.sum())),
            np.zeros(int(at_node.sum())),
            np.full(int(at_node.sum()), -1),
            np.zeros(int(at_node.sum())),
            np.zeros(int(at_node.sum())),
            np.zeros(int(at_node.sum())),
        )
    ]
    inside = usable[~at_node]
    if len(inside):
        lo = np.searchsorted(place_raw, snapped.raw[inside], side="left")
        hi = np.searchsorted(place_raw, snapped.raw[inside], side="right")
        counts = hi - lo
        point = np.repeat(inside, counts)
        where = np.repeat(lo, counts) + (
            np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        )
        edge = place_edge[where]
        keep = network.edge_open[edge]
        point, edge, off_t, off_m, pos = (
            point[keep],
            edge[keep],
            place_t[where][keep],
            place_m[where][keep],
            place_pos[where][keep],
        )
        if leaving:
            node = network.edge_v[edge]
            cost_t = network.edge_time_s[edge] - off_t
            cost_m = network.edge_length_m[edge] - off_m
        else:
            node, cost_t, cost_m = network.edge_u[edge], off_t, off_m
        parts.append(
            (point, node, np.maximum(cost_t, 0.0), np.maximum(cost_m, 0.0), edge, off_t, off_m, pos)
        )
    cols = [np.concatenate(c) for c in zip(*parts, strict=True)]
    return Attachments(
        point=cols[0].astype(np.int64),
        node=cols[1].astype(np.int64),
        time_s=cols[2].astype(np.float64),
        length_m=cols[3].astype(np.float64),
        edge=cols[4].astype(np.int64),
        offset_time_s=cols[5].astype(np.float64),
        offset_length_m=cols[6].astype(np.float64),
        edge_pos=cols[7].astype(np.int64),
    )


def _lookups(network: RoadNetwork) -> tuple[IntArray, _Placements]:
    """Graph index of each raw node (-1 inside edges) and the placements, once per network."""
    found = _PLACES.get(network)
    if found is None:
        graph_index = np.full(len(network.lat), -1, dtype=np.int64)
        graph_index[network.node_raw] = np.arange(network.n_nodes)
        found = (graph_index, _placements(network))
        _PLACES[network] = found
    return found


def _placements(network: RoadNetwork) -> _Placements:
    """For every interior raw node: its edge, the time and length from the edge's start, and
    its index among the edge's raw nodes."""
    segs = network.edge_segs
    owner = np.repeat(np.arange(network.n_edges), np.diff(network.edge_ptr))
    cum_m = np.cumsum(network.seg_length_m[segs])
    cum_t = np.cumsum(network.seg_time_s[segs])
    start = network.edge_ptr[:-1][owner]
    base_m = np.where(start > 0, cum_m[np.maximum(start - 1, 0)], 0.0)
    base_t = np.where(start > 0, cum_t[np.maximum(start - 1, 0)], 0.0)
    last = np.zeros(len(segs), dtype=bool)
    last[network.edge_ptr[1:] - 1] = True
    inner = ~last
    raw = network.seg_v[segs][inner]
    pos = np.arange(len(segs)) - start + 1
    order = np.argsort(raw, kind="stable")
    return (
        raw[order],
        owner[inner][order],
        (cum_t - base_t)[inner][order],
        (cum_m - base_m)[inner][order],
        pos[inner][order],
    )


def _edge_in_main(network: RoadNetwork) -> npt.NDArray[np.bool_]:
    """Open edges both of whose ends lie in the main part of the network."""
    if network.n_nodes == 0:
        return np.zeros(network.n_edges, dtype=bool)
    main = main_component(network)
    return np.asarray(network.edge_open & main[network.edge_u] & main[network.edge_v], dtype=bool)


def main_component(network: RoadNetwork) -> npt.NDArray[np.bool_]:
    """Graph nodes in the largest strongly connected part of the open edges."""
    matrix, _, _ = network.csr("distance")
    _, label = connected_components(matrix, directed=True, connection="strong")
    sizes = np.bincount(label)
    return np.asarray(label == int(np.argmax(sizes)), dtype=bool)


def snap_distances(network: RoadNetwork, points: Any) -> FloatArray:
    """Metres from each point (DataFrame with ``lat``/``lon`` or (n, 2) array) to the road it
    joins: the nearest node of an open road in the main part of the network (``inf`` when
    no road is open)."""
    xy = points_array(points, name="points")
    return snap(network, xy, max_snap_m=np.inf).snap_m


def road_spots(
    network: RoadNetwork, points: Any, *, max_snap_m: float = DEFAULT_MAX_SNAP_M
) -> tuple[IntArray, FloatArray]:
    """Where each point (as for :func:`snap_distances`) joins the roads, and how far it is.

    The spot is the raw node the point snaps to, ``-1`` for a point farther than
    ``max_snap_m`` (left unreached). Trips to and from a point depend on its spot alone (the
    snap distance is reported, never added), so points with the same spot have the same row
    and column in every travel matrix: a matrix over one point per spot holds them all.
    """
    snapped = snap(network, points_array(points, name="points"), max_snap_m=max_snap_m)
    return np.where(snapped.far, -1, snapped.raw).astype(np.int64), snapped.snap_m
