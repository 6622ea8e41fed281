"""Closed roads: by OSM way id, by road name or ref, or by an area.

Closing any segment closes the whole edge it belongs to (an edge has no junction inside,
so a closed bridge closes the road from one junction to the next). The network keeps its
nodes; matrices on the new network route around the closure or report the pair as
unreachable.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from optimizer.errors import InputError, Problem
from optimizer.geo._snap import DEFAULT_MAX_SNAP_M, attach, main_component, points_array, snap
from optimizer.geo.network import RoadNetwork

__all__ = [
    "ClosureReport",
    "ClosureSet",
    "apply_closures",
    "close_roads",
    "closure_label",
    "closures_from_settings",
    "similar_roads",
]


@dataclass(frozen=True)
class ClosureReport:
    """What a closure changed.

    ``points_cut`` lists the given points (by id or position) that reached the main part
    of the network before and do not any more; ``cut_by`` (when the closures came as a list,
    :func:`apply_closures`) names, for each of them, the closures that cut it off. ``labels``
    names each closure as a user wrote it and ``unmatched_closures`` the positions in that
    list of the closures that closed no road.
    """

    edges_closed: int
    segments_closed: int
    km_closed: float
    way_ids: tuple[int, ...]
    unmatched: tuple[str, ...]
    points_cut: tuple[Any, ...]
    labels: tuple[str, ...] = ()
    unmatched_closures: tuple[int, ...] = ()
    cut_by: tuple[tuple[str, ...], ...] = ()

    def summary(self) -> str:
        """One paragraph for a terminal."""
        lines = [
            f"closed {self.edges_closed} edges, {self.km_closed:.2f} km of road "
            f"on {len(self.way_ids)} OSM ways"
        ]
        if self.unmatched:
            lines.append(f"  matched no road: {', '.join(self.unmatched)}")
        if self.points_cut:
            named = len(self.cut_by) == len(self.points_cut) and len(self.labels) > 1
            shown = ", ".join(
                f"{p} (by {' and '.join(self.cut_by[i])})" if named else str(p)
                for i, p in enumerate(self.points_cut[:10])
            )
            more = "" if len(self.points_cut) <= 10 else f" and {len(self.points_cut) - 10} more"
            lines.append(f"  points cut off: {shown}{more}")
        return "\n".join(lines)


def close_roads(
    network: RoadNetwork,
    *,
    way_ids: Iterable[int] = (),
    names: Iterable[str] = (),
    polygons: Iterable[BaseGeometry | Sequence[Sequence[float]]] = (),
    points: Any = None,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
) -> tuple[RoadNetwork, ClosureReport]:
    """Close roads and report what that cut off.

    Parameters
    ----------
    network
        The open network.
    way_ids
        OSM way ids to close.
    names
        Road names or refs (``"B 104"``): a name matches every road whose name contains it, a
        ref every road that carries it, ignoring case (and spaces in refs); a regular
        expression is searched too (``"Bahnhofstra(ss|ß)e"``). See docs/roads.md.
    polygons
        Areas whose roads close: shapely geometries in (lon, lat) or lists of
        ``[lat, lon]`` corners.
    points
        Optional points (DataFrame with ``lat``/``lon`` or (n, 2) array) to check for
        loss of connection.
    max_snap_m
        As in :func:`optimizer.geo.travel_matrix`.
    """
    closed, unmatched = _mask(network, way_ids, names, polygons)
    new = network.with_closed(closed)
    report = _report(network, new, unmatched)
    if points is not None:
        xy = points_array(points, name="points")
        lost = _connected(network, xy, max_snap_m) & ~_connected(new, xy, max_snap_m)
        report = _with_cut(report, points, lost, ())
    return new, report


def _mask(
    network: RoadNetwork,
    way_ids: Iterable[int],
    names: Iterable[str],
    polygons: Iterable[BaseGeometry | Sequence[Sequence[float]]],
) -> tuple[Any, list[str]]:
    """Segments closed by these ways, names and areas; what matched no road."""
    way_of_seg = network.way_id[network.seg_way]
    closed = np.zeros(len(network.seg_u), dtype=bool)
    unmatched: list[str] = []
    wanted_ids = {int(w) for w in way_ids}
    if wanted_ids:
        hits = np.isin(way_of_seg, np.fromiter(wanted_ids, dtype=np.int64))
        found = set(np.unique(way_of_seg[hits]).tolist())
        unmatched += [f"way {w}" for w in sorted(wanted_ids - found)]
        closed |= hits
    for name in names:
        ways = _ways_named(network, name)
        if not ways.any():
            unmatched.append(repr(name))
        closed |= ways[network.seg_way]
    for polygon in polygons:
        closed |= _segments_in(network, _polygon(polygon))
    return closed, unmatched


def _report(network: RoadNetwork, new: RoadNetwork, unmatched: list[str]) -> ClosureReport:
    way_of_seg = network.way_id[network.seg_way]
    newly = new.edge_open != network.edge_open
    seg_newly = network.seg_open & ~new.seg_open
    return ClosureReport(
        edges_closed=int(newly.sum()),
        segments_closed=int(seg_newly.sum()),
        km_closed=_km(network, seg_newly),
        way_ids=tuple(sorted(set(way_of_seg[seg_newly].tolist()))),
        unmatched=tuple(unmatched),
        points_cut=(),
    )


def _with_cut(
    report: ClosureReport, points: Any, lost: Any, blame: Sequence[tuple[str, ...]]
) -> ClosureReport:
    """The report with the points ``lost`` (and who cut each) filled in."""
    if isinstance(points, pd.DataFrame):
        ids = points["id"] if "id" in points.columns else pd.Series(points.index)
        cut = tuple(ids.to_numpy()[lost].tolist())
    else:
        cut = tuple(np.flatnonzero(lost).tolist())
    by = tuple(blame[int(i)] for i in np.flatnonzero(lost)) if len(blame) else ()
    return replace(report, points_cut=cut, cut_by=by)


def closure_label(item: Mapping[str, Any], index: int) -> str:
    """A closure as a user names it: ``'B 96'``, ``polygon #2`` or ``OSM ways 11, 12``.

    ``index`` counts from 1, in the order the closures are listed.
    """
    if item.get("name"):
        return repr(str(item["name"]))
    if item.get("polygon") is not None:
        return f"polygon #{index}"
    return "OSM ways " + ", ".join(str(int(w)) for w in item.get("way_ids", ()))


@dataclass(frozen=True)
class ClosureSet:
    """A list of closures applied to a network, each one kept apart to say what it did.

    ``masks[i]`` holds the segments closure ``i`` closes and ``labels[i]`` its name (see
    :func:`closure_label`); ``unmatched_closures`` the positions of those that close no road.
    """

    before: RoadNetwork
    after: RoadNetwork
    labels: tuple[str, ...]
    masks: tuple[Any, ...]
    unmatched: tuple[str, ...]
    unmatched_closures: tuple[int, ...]
    _networks: dict[tuple[str, int], RoadNetwork] = field(
        default_factory=dict, compare=False, repr=False
    )

    def report(
        self, points: Any = None, *, max_snap_m: float = DEFAULT_MAX_SNAP_M
    ) -> ClosureReport:
        """What the closures closed, and which of ``points`` they cut off and by which."""
        report = replace(
            _report(self.before, self.after, list(self.unmatched)),
            labels=self.labels,
            unmatched_closures=self.unmatched_closures,
        )
        if points is None:
            return report
        blame = self.cut_off(points, max_snap_m=max_snap_m)
        lost = np.array([bool(b) for b in blame], dtype=bool)
        return _with_cut(report, points, lost, blame)

    def cut_off(
        self, points: Any, *, max_snap_m: float = DEFAULT_MAX_SNAP_M
    ) -> tuple[tuple[str, ...], ...]:
        """For each point, the closures that cut it off from the main roads (none: ``()``).

        A point is cut off when it reaches the main part of the network before the closures
        and not after them (docs/roads.md, "Snapping"). It is blamed on each closure that
        cuts it off on its own, and on each without which it would not be cut off; when no
        single closure is either (only several together cut it off), on all of them.
        """
        xy = points_array(points, name="points")
        lost = _connected(self.before, xy, max_snap_m) & ~_connected(self.after, xy, max_snap_m)
        blame: list[tuple[str, ...]] = [()] * len(xy)
        where = np.flatnonzero(lost)
        if not len(where):
            return tuple(blame)
        if len(self.labels) == 1:
            return tuple(self.labels if lost[i] else () for i in range(len(xy)))
        sub = xy[where]
        guilty = np.zeros((len(where), len(self.labels)), dtype=bool)
        for k in range(len(self.labels)):
            alone = ~_connected(self._network("alone", k), sub, max_snap_m)
            needed = _connected(self._network("but", k), sub, max_snap_m)
            guilty[:, k] = alone | needed
        for row, i in enumerate(where):
            named = [self.labels[k] for k in np.flatnonzero(guilty[row])]
            blame[int(i)] = tuple(named) if named else self.labels
        return tuple(blame)

    def _network(self, kind: str, k: int) -> RoadNetwork:
        """The network with closure ``k`` alone (``"alone"``), or all but ``k`` (``"but"``)."""
        key = (kind, k)
        if key not in self._networks:
            if kind == "alone":
                mask = self.masks[k]
            else:
                mask = np.zeros(len(self.before.seg_u), dtype=bool)
                for j, other in enumerate(self.masks):
                    if j != k:
                        mask = mask | other
            self._networks[key] = self.before.with_closed(mask)
        return self._networks[key]


def apply_closures(network: RoadNetwork, closures: Iterable[Mapping[str, Any]]) -> ClosureSet:
    """Apply a scenario's ``network.closures`` list (``way_ids``, ``name``, ``polygon``)."""
    labels: list[str] = []
    masks: list[Any] = []
    unmatched: list[str] = []
    unmatched_closures: list[int] = []
    for i, item in enumerate(closures):
        if "way_ids" in item:
            mask, missing = _mask(network, [int(w) for w in item["way_ids"]], (), ())
        elif "name" in item:
            mask, missing = _mask(network, (), [str(item["name"])], ())
        elif "polygon" in item:
            mask, missing = _mask(network, (), (), [item["polygon"]])
        else:
            raise InputError(
                Problem("network", "{way_ids: [...]}, {name: ...} or {polygon: [[lat, lon], ...]}",
                        column=f"closures[{i}]", value=item)
            )  # fmt: skip
        labels.append(closure_label(item, i + 1))
        masks.append(mask)
        unmatched += missing
        if missing and not mask.any():
            unmatched_closures.append(i)
    closed = np.zeros(len(network.seg_u), dtype=bool)
    for mask in masks:
        closed |= mask
    return ClosureSet(
        before=network,
        after=network.with_closed(closed),
        labels=tuple(labels),
        masks=tuple(masks),
        unmatched=tuple(unmatched),
        unmatched_closures=tuple(unmatched_closures),
    )


def closures_from_settings(
    network: RoadNetwork, closures: Iterable[Mapping[str, Any]], *, points: Any = None
) -> tuple[RoadNetwork, ClosureReport]:
    """Apply the scenario's ``network.closures`` list (``way_ids``, ``name``, ``polygon``)."""
    applied = apply_closures(network, closures)
    return applied.after, applied.report(points)


def similar_roads(network: RoadNetwork, text: str, *, limit: int = 3) -> tuple[str, ...]:
    """Road names and refs of the network that look like ``text``: "did you mean ...?".

    Names are compared whole and word by word, ignoring case, so that ``Hauptstr`` finds
    "Alte Hauptstraße" and ``B 69`` finds "B 96".
    """
    wanted = text.strip().casefold()
    if not wanted:
        return ()
    candidates = {str(n) for n in network.way_name if str(n)}
    candidates |= {r.strip() for refs in network.way_ref for r in str(refs).split(";") if r.strip()}
    scored = []
    for candidate in candidates:
        folded = candidate.casefold()
        score = difflib.SequenceMatcher(None, wanted, folded).ratio()
        for word in folded.split():
            score = max(score, difflib.SequenceMatcher(None, wanted, word).ratio())
        if score >= 0.6:
            scored.append((-score, candidate))
    return tuple(name for _, name in sorted(scored)[:limit])


_PATTERN_CHARS = set("^$*+?()[]{}|\\")


def _ways_named(network: RoadNetwork, pattern: str) -> Any:
    """Ways a closure's ``name`` matches (the rule in docs/roads.md, "Closures by name").

    Ignoring case: a road whose name contains the text ("Landstrasse" closes "Vaduzer
    Landstrasse"), or whose ref is the text, spaces and hyphens aside ("b96" closes "B 96",
    never "B 960"; a way may carry several refs, "B 104;B 197"). Text with a regular
    expression's special characters is searched as one (``Bahnhofstra(ss|ß)e``).
    """
    text = pattern.strip()
    regex: re.Pattern[str] | None = None
    if _PATTERN_CHARS & set(text):
        try:
            regex = re.compile(text, re.IGNORECASE)
        except re.error:
            regex = None
    wanted = text.casefold()
    wanted_ref = _ref_key(text)

    def name_hit(name: str) -> bool:
        if not name:
            return False
        if regex is not None:
            return bool(regex.search(name))
        return wanted in name.casefold()

    def ref_hit(refs: str) -> bool:
        for ref in (r.strip() for r in refs.split(";")):
            if not ref:
                continue
            if regex is not None and regex.search(ref):
                return True
            if _ref_key(ref) == wanted_ref:
                return True
        return False

    names = pd.Series(network.way_name).map(name_hit).to_numpy(dtype=bool)
    refs = pd.Series(network.way_ref).map(ref_hit).to_numpy(dtype=bool)
    return names | refs


def _ref_key(ref: str) -> str:
    return re.sub(r"[\s\-]+", "", ref).casefold()


def _polygon(polygon: BaseGeometry | Sequence[Sequence[float]]) -> BaseGeometry:
    if isinstance(polygon, BaseGeometry):
        return polygon
    corners = [(float(p[1]), float(p[0])) for p in polygon]
    if len(corners) < 3:
        raise InputError(
            Problem("network", "a polygon of at least 3 [lat, lon] corners", column="closures")
        )
    return Polygon(corners)


def _segments_in(network: RoadNetwork, area: BaseGeometry) -> Any:
    coords = np.stack(
        [
            np.column_stack([network.lon[network.seg_u], network.lat[network.seg_u]]),
            np.column_stack([network.lon[network.seg_v], network.lat[network.seg_v]]),
        ],
        axis=1,
    )
    lines = shapely.linestrings(coords)
    shapely.prepare(area)
    return shapely.intersects(area, lines)


def _km(network: RoadNetwork, mask: Any) -> float:
    u, v = network.seg_u[mask], network.seg_v[mask]
    if len(u) == 0:
        return 0.0
    key = pd.DataFrame({"a": np.minimum(u, v), "b": np.maximum(u, v), "w": network.seg_way[mask]})
    once = ~key.duplicated().to_numpy()
    return float(network.seg_length_m[mask][once].sum() / 1000.0)


def _connected(network: RoadNetwork, xy: Any, max_snap_m: float) -> Any:
    """Points that can leave for and arrive from the main part of the open network."""
    main = main_component(network)
    snapped = snap(network, xy, max_snap_m=max_snap_m)
    ok_out = np.zeros(len(xy), dtype=bool)
    ok_in = np.zeros(len(xy), dtype=bool)
    out = attach(network, snapped, leaving=True)
    ok_out[out.point[main[out.node]]] = True
    inn = attach(network, snapped, leaving=False)
    ok_in[inn.point[main[inn.node]]] = True
    return ok_out & ok_in
