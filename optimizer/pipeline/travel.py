"""Distances, times and road paths between a scenario's places: roads, or straight lines.

:func:`travel` asks :mod:`optimizer.geo` for road distances and times over the scenario's road
network (its speeds, season and closures), or falls back to the straight line times the
scenario's detour factor when it has none; :func:`route_lines` draws the road paths for maps.
Road networks are kept in memory per road file (by its content) and settings, and closures
are applied on the kept open network, so a process loads each road file once; the road paths
drawn on a network are kept with it, so a what-if that leaves the roads as they are (a price,
a payload) draws again only the paths it has not drawn before.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from optimizer.errors import InputError, Problem
from optimizer.geodesy import pairwise_haversine_m
from optimizer.io.geojson import line, lines
from optimizer.pipeline._paths import road_paths
from optimizer.scenario.scenario import Scenario

__all__ = [
    "FALLBACK_SPEED_KMH",
    "SNAP_WARNING_M",
    "Travel",
    "check_roads",
    "closure_report",
    "closures_cutting",
    "network_loads",
    "road_network",
    "route_lines",
    "travel",
]

FloatArray = npt.NDArray[np.float64]
FALLBACK_SPEED_KMH = 50.0
#: A place farther than this from the road it joins is named in the warnings (metres): its
#: trips start with a walk (or a track the map lacks) that no figure counts (docs/roads.md).
SNAP_WARNING_M = 250.0
_SHOWN = 5  # places named in one warning, the worst first

# open networks by the road file's content and the speed settings, and each scenario's roads
# with its closures on top: a sweep's worker loads a road file once and closes roads per sample
_OPEN: dict[tuple[Any, ...], Any] = {}
_NETWORKS: dict[tuple[Any, ...], _Roads] = {}
_DIGESTS: dict[tuple[str, int, int], str] = {}
_LOADS = [0]


@dataclass(frozen=True)
class _Roads:
    """A scenario's network before and after its closures (``closures`` a ``ClosureSet``),
    and the road paths drawn on it: (origin lat, lon, destination lat, lon) -> (the path's
    (lon, lat) points or None, distance_m, time_s)."""

    before: Any
    network: Any
    closures: Any
    report: Any
    paths: dict[tuple[float, ...], tuple[Any, float, float]] = field(default_factory=dict)


def _file_digest(path: Path) -> str:
    """The road file's SHA-256, read again only when its size or time changes."""
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if key not in _DIGESTS:
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        _DIGESTS[key] = digest.hexdigest()
    return _DIGESTS[key]


def _open_key(scenario: Scenario) -> tuple[Any, ...]:
    settings = scenario.network
    try:
        file = _file_digest(Path(str(settings.file)))
    except OSError:
        file = str(settings.file)  # a missing file: load_network says so
    return (
        file,
        settings.speed_preset,
        tuple(sorted(settings.speeds_kmh.items())),
        settings.season,
        tuple(sorted(settings.seasonal_factors.items())),
        settings.speed_factor,
    )


def _network_key(scenario: Scenario) -> tuple[Any, ...]:
    return (*_open_key(scenario), scenario.network.closures)


def network_loads() -> int:
    """How many road networks this process has loaded (closures on a loaded one not counted)."""
    return _LOADS[0]


def road_network(scenario: Scenario, *, progress: Callable[[str], None] | None = None) -> Any:
    """The scenario's road network with its speeds, season and closures, or None without one.

    Networks are kept in memory per file and settings (and on disk by ``optimizer.geo``), so
    a what-if that changes only prices reuses them.

    Raises
    ------
    InputError
        When a closure closes no road, or the closures close every road (docs/roads.md).
    """
    roads = _roads(scenario, progress=progress)
    return None if roads is None else roads.network


def _roads(
    scenario: Scenario,
    *,
    progress: Callable[[str], None] | None = None,
    source: str | None = None,
) -> _Roads | None:
    settings = scenario.network
    if settings.file is None:
        return None
    from optimizer.geo import apply_closures, load_network

    key = _network_key(scenario)
    if key in _NETWORKS:
        return _NETWORKS[key]
    network = _OPEN.get(key[:-1])
    if network is None:
        network = load_network(
            settings.file,
            speeds=settings.speeds_kmh,
            seasonal=settings.seasonal_factors,
            season=settings.season,
            speed_factor=settings.speed_factor,
            preset=settings.speed_preset,
            progress=progress,
        )
        _LOADS[0] += 1
        if len(_OPEN) > 4:
            _OPEN.pop(next(iter(_OPEN)))
        _OPEN[key[:-1]] = network
    roads = _Roads(network, network, None, None)
    if settings.closures:
        applied = apply_closures(network, [_closure_item(c) for c in settings.closures])
        _refuse_bad_closures(scenario, applied, source)
        roads = _Roads(network, applied.after, applied, applied.report())
    if len(_NETWORKS) > 8:
        _NETWORKS.pop(next(iter(_NETWORKS)))
    _NETWORKS[key] = roads
    return roads


def _closure_item(closure: Any) -> dict[str, Any]:
    if closure.name:
        return {"name": closure.name}
    if closure.polygon is not None:
        return {"polygon": [list(corner) for corner in closure.polygon]}
    return {"way_ids": list(closure.way_ids)}


def _refuse_bad_closures(scenario: Scenario, applied: Any, source: str | None) -> None:
    """A closure that closes no road, or closures that close them all, are input errors."""
    from optimizer.geo import similar_roads

    file = source or f"the settings of scenario {scenario.name!r}"
    roads = Path(str(scenario.network.file)).name
    problems = []
    for i in applied.unmatched_closures:
        closure = scenario.network.closures[i]
        if closure.name:
            like = similar_roads(applied.before, closure.name)
            hint = f"; did you mean {_either(like)}?" if like else ""
            problems.append(
                Problem(
                    file,
                    f"the name or ref of a road in {roads} (none matches{hint})",
                    key=f"network.closures[{i}].name",
                    value=closure.name,
                )
            )
        else:
            missing = [w for w in closure.way_ids if w not in set(applied.before.way_id.tolist())]
            problems.append(
                Problem(
                    file,
                    f"ids of OSM ways in {roads} (none of them is there)",
                    key=f"network.closures[{i}].way_ids",
                    value=", ".join(map(str, missing)),
                )
            )
    if not problems and not applied.after.edge_open.any():
        problems.append(
            Problem(
                file,
                f"closures that leave some road of {roads} open: "
                f"{' and '.join(applied.labels)} close{'s' if len(applied.labels) == 1 else ''} "
                "every road, nothing is left to drive on",
                key="network.closures",
            )
        )
    if problems:
        raise InputError(problems)


def _either(names: tuple[str, ...]) -> str:
    quoted = [repr(n) for n in names]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def check_roads(scenario: Scenario, *, source: str | None = None) -> list[str]:
    """Check the scenario's places against its roads before any solve; the warnings found.

    Every closure must close some road, and together they must leave the places a road: an
    ``InputError`` names ``source`` (the scenario's file), the closure and, for a name that
    matches no road, the names that look like it. The warnings name the places cut off by
    a closure (and by which) and those farther than :data:`SNAP_WARNING_M` from a road.
    Without a road network there is nothing to check.
    """
    roads = _roads(scenario, source=source)
    if roads is None:
        return []
    from optimizer.geo import DEFAULT_MAX_SNAP_M, snap_distances

    names = _place_names(scenario)
    rows = [
        (f"{kind}:{row.id}", row.lat, row.lon)
        for kind, table in (
            ("member", scenario.members),
            ("supplier", scenario.suppliers),
            ("buyer", scenario.buyers),
            ("hub", scenario.hubs),
        )
        for row in table
    ]
    points = pd.DataFrame(rows, columns=["id", "lat", "lon"])
    cut = _cut_off(roads, points, points.iloc[:0], names)
    snap_m = snap_distances(roads.network, points)
    members = points["id"].str.startswith("member:").to_numpy()
    if cut and (snap_m[members] > DEFAULT_MAX_SNAP_M).all():
        error = InputError(Problem(source or scenario.name, "members on the roads"))
        raise _blamed(scenario, error, cut, names, source=source)
    notes = [_cut_note(by, ids, names) for by, ids in cut.items()]
    return notes + snap_warnings(roads.before, points, snap_m, names)


def closures_cutting(scenario: Scenario, points: pd.DataFrame) -> dict[str, tuple[str, ...]]:
    """For each place (``id``, ``lat``, ``lon``) the scenario's closures cut off from the main
    roads, the closures that did it (docs/roads.md, "Snapping"); places not cut off are left
    out."""
    roads = _roads(scenario)
    if roads is None or roads.closures is None:
        return {}
    found = roads.closures.cut_off(points)
    return {str(p): tuple(by) for p, by in zip(points["id"], found, strict=True) if by}


def _cut_note(by: tuple[str, ...], ids: list[str], names: dict[str, str]) -> str:
    places = [names.get(i, i) for i in ids]
    return f"cut off by the road closure{'s' if len(by) > 1 else ''} {' and '.join(by)}: " + (
        _listed(places)
    )


def closure_report(scenario: Scenario) -> Any:
    """What the scenario's road closures closed (a ``ClosureReport``), or None without any."""
    if not scenario.network.closures or scenario.network.file is None:
        return None
    roads = _roads(scenario)
    return None if roads is None else roads.report


@dataclass(frozen=True)
class Travel:
    """Road distances (m) and times (s) between two sets of places; ``inf`` where unreachable.

    ``on_roads`` is False when the straight-line fallback was used.
    """

    distance_m: FloatArray
    time_s: FloatArray
    on_roads: bool
    origin_snap_m: FloatArray
    destination_snap_m: FloatArray
    warnings: tuple[str, ...] = ()


def travel(scenario: Scenario, origins: pd.DataFrame, destinations: pd.DataFrame) -> Travel:
    """Distances and times from every origin to every destination (``id``, ``lat``, ``lon``).

    Over the scenario's roads when it has a road file; otherwise the straight line times
    ``parameters.detour_factor`` at 50 km/h, with a note in ``warnings`` saying so (shown
    beside every result built on it).
    """
    roads = _roads(scenario)
    if roads is None:
        straight = pairwise_haversine_m(
            origins["lat"], origins["lon"], destinations["lat"], destinations["lon"]
        )
        distance = straight * scenario.parameters.detour_factor
        zeros_o, zeros_d = np.zeros(len(origins)), np.zeros(len(destinations))
        seconds = distance / (FALLBACK_SPEED_KMH / 3.6)
        return Travel(distance, seconds, False, zeros_o, zeros_d, (_straight_note(scenario),))
    from optimizer.geo.matrix import travel_matrix

    names = _place_names(scenario)
    cut = _cut_off(roads, origins, destinations, names)
    try:
        matrix = travel_matrix(
            roads.network,
            origins.set_index("id")[["lat", "lon"]],
            destinations.set_index("id")[["lat", "lon"]],
        )
    except InputError as error:
        raise _blamed(scenario, error, cut, names) from None
    notes = _road_notes(
        roads,
        pd.concat([origins, destinations], ignore_index=True),
        np.concatenate([matrix.origin_snap_m, matrix.destination_snap_m]),
        np.concatenate([matrix.origin_far, matrix.destination_far]),
        cut,
        names,
    )
    return Travel(
        matrix.distance_m,
        matrix.time_s,
        True,
        matrix.origin_snap_m,
        matrix.destination_snap_m,
        tuple(notes),
    )


def _straight_note(scenario: Scenario) -> str:
    """What every result built on straight lines says (a scenario without a road network)."""
    return (
        "no road network in the scenario: distances are straight lines x "
        f"{scenario.parameters.detour_factor:g} at {FALLBACK_SPEED_KMH:g} km/h"
    )


def _road_notes(
    roads: _Roads,
    points: pd.DataFrame,
    snap_m: FloatArray,
    far: npt.NDArray[np.bool_],
    cut: dict[tuple[str, ...], list[str]],
    names: dict[str, str],
) -> list[str]:
    """The warnings of trips between ``points`` (``id``, ``lat``, ``lon``): what the closures
    closed and cut off, the places left unreached (``far``) and those far from their road."""
    notes = []
    if roads.report is not None:
        notes.append("road closures: " + roads.report.summary().replace("\n", ";"))
    notes += [_cut_note(by, ids, names) for by, ids in cut.items()]
    cut_ids = {i for ids in cut.values() for i in ids}
    unreached = [str(i) for i, f in zip(points["id"], far, strict=True) if f]
    unreached = [i for i in dict.fromkeys(unreached) if i not in cut_ids]
    if unreached:
        notes.append(f"far from any road, left unreached: {', '.join(unreached[:10])}")
    return notes + snap_warnings(roads.before, points, snap_m, names)


def _place_names(scenario: Scenario) -> dict[str, str]:
    """``member M017 (Farm Lindow 3)`` for each place id, bare or as ``member:M017``."""
    names: dict[str, str] = {}
    for kind, rows in (
        ("hub", scenario.hubs),
        ("supplier", scenario.suppliers),
        ("buyer", scenario.buyers),
        ("member", scenario.members),
    ):
        for row in rows:
            text = f"{kind} {row.id} ({row.name})" if row.name else f"{kind} {row.id}"
            names[row.id] = names[f"{kind}:{row.id}"] = text
    return names


def _cut_off(
    roads: _Roads, origins: pd.DataFrame, destinations: pd.DataFrame, names: dict[str, str]
) -> dict[tuple[str, ...], list[str]]:
    """The ids of the places the closures cut off, grouped by the closures that did it."""
    if roads.closures is None:
        return {}
    points = pd.concat([origins, destinations], ignore_index=True).drop_duplicates("id")
    groups: dict[tuple[str, ...], list[str]] = {}
    for place, by in zip(points["id"], roads.closures.cut_off(points), strict=True):
        if by:
            groups.setdefault(tuple(by), []).append(str(place))
    return groups


def _blamed(
    scenario: Scenario,
    error: InputError,
    cut: dict[tuple[str, ...], list[str]],
    names: dict[str, str],
    *,
    source: str | None = None,
) -> InputError:
    """No place on the roads: when closures cut them off, the error names the closures."""
    if not cut:
        return error
    closures = sorted({label for by in cut for label in by})
    places = [names.get(p, p) for group in cut.values() for p in group]
    return InputError(
        Problem(
            source or f"the settings of scenario {scenario.name!r}",
            f"closures that leave the places a road to drive on ({' and '.join(closures)} "
            f"cut off {_listed(places)})",
            key="network.closures",
        )
    )


def _listed(items: list[str]) -> str:
    shown = ", ".join(items[:10])
    return shown if len(items) <= 10 else f"{shown} and {len(items) - 10} more"


def snap_warnings(
    network: Any, points: pd.DataFrame, snap_m: FloatArray, names: dict[str, str]
) -> list[str]:
    """One warning naming the places farther than :data:`SNAP_WARNING_M` from their road.

    The worst first, by name (``member M017 (Farm Lindow 3) is 390 m from the nearest
    road``); a place outside the network's bounds says so.
    """
    far = np.flatnonzero(np.asarray(snap_m) > SNAP_WARNING_M)
    if not len(far):
        return []
    lat_lo, lon_lo, lat_hi, lon_hi = network.bbox
    ids = points["id"].to_numpy()
    lats, lons = points["lat"].to_numpy(float), points["lon"].to_numpy(float)
    seen: set[str] = set()
    lines = []
    for i in far[np.argsort(-np.asarray(snap_m)[far], kind="stable")]:
        place = str(ids[i])
        if place in seen:
            continue
        seen.add(place)
        lat, lon = float(lats[i]), float(lons[i])
        outside = not (lat_lo <= lat <= lat_hi and lon_lo <= lon <= lon_hi)
        metres = (
            f"{snap_m[i]:,.0f} m from the nearest road"
            if np.isfinite(snap_m[i])
            else "far from every road (none is open)"
        )
        lines.append(
            f"{names.get(place, place)} is {metres}"
            + (f", outside the bounds of the road file ({network.source})" if outside else "")
        )
    more = "" if len(lines) <= _SHOWN else f"; and {len(lines) - _SHOWN} more"
    return [
        f"{len(lines)} place{'s' if len(lines) > 1 else ''} more than {SNAP_WARNING_M:,.0f} m "
        f"from a road (trips are counted from the road): " + "; ".join(lines[:_SHOWN]) + more
    ]


def route_lines(
    scenario: Scenario, pairs: pd.DataFrame, *, properties: list[str] | None = None
) -> list[dict[str, Any]]:
    """Road paths for ``pairs`` (``origin_lat``, ``origin_lon``, ``destination_lat``,
    ``destination_lon`` plus the columns named in ``properties``) as GeoJSON features.

    Without a road network the lines are straight (and say so in ``on_roads``).
    """
    keep = properties or []
    if pairs.empty:
        return []
    roads = _roads(scenario)
    if roads is None:
        ends = pairs[["origin_lon", "origin_lat", "destination_lon", "destination_lat"]]
        return [
            line([(x0, y0), (x1, y1)], {**{k: row[k] for k in keep}, "on_roads": False})
            for (x0, y0, x1, y1), (_, row) in zip(
                ends.to_numpy(float), pairs.iterrows(), strict=True
            )
        ]
    drawn = road_paths(roads.network, roads.paths, pairs)
    props = [
        {**{str(k): v for k, v in row.items()}, "on_roads": True, "road_km": m / 1000,
         "road_min": s / 60}
        for row, (_, m, s) in zip(pairs[keep].to_dict("records"), drawn, strict=True)
    ]  # fmt: skip
    return lines([coords for coords, _, _ in drawn], props)
