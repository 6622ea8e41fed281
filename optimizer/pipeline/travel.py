"""Distances, times and road paths between a scenario's places: roads, or straight lines.

:func:`travel` asks :mod:`optimizer.geo` for road distances and times over the scenario's road
network (its speeds, season and closures), or falls back to the straight line times the
scenario's detour factor when it has none; :func:`route_lines` draws the road paths for maps.
Road networks are kept in memory per file and settings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from optimizer.geodesy import pairwise_haversine_m
from optimizer.io.geojson import line
from optimizer.scenario.scenario import Scenario

__all__ = [
    "FALLBACK_SPEED_KMH",
    "Travel",
    "closure_report",
    "road_network",
    "route_lines",
    "travel",
]

FloatArray = npt.NDArray[np.float64]
FALLBACK_SPEED_KMH = 50.0

_NETWORKS: dict[tuple[Any, ...], Any] = {}
_CLOSURES: dict[tuple[Any, ...], Any] = {}


def _network_key(scenario: Scenario) -> tuple[Any, ...]:
    settings = scenario.network
    return (
        str(settings.file),
        tuple(sorted(settings.speeds_kmh.items())),
        settings.season,
        tuple(sorted(settings.seasonal_factors.items())),
        settings.speed_factor,
        settings.closures,
    )


def road_network(scenario: Scenario, *, progress: Callable[[str], None] | None = None) -> Any:
    """The scenario's road network with its speeds, season and closures, or None without one.

    Networks are kept in memory per file and settings (and on disk by ``optimizer.geo``), so
    a what-if that changes only prices reuses them.
    """
    settings = scenario.network
    if settings.file is None:
        return None
    from optimizer.geo import load_network

    key = _network_key(scenario)
    if key in _NETWORKS:
        return _NETWORKS[key]
    network = load_network(
        settings.file,
        speeds=settings.speeds_kmh,
        seasonal=settings.seasonal_factors,
        season=settings.season,
        speed_factor=settings.speed_factor,
        progress=progress,
    )
    if settings.closures:
        from optimizer.geo import close_roads

        network, report = close_roads(
            network,
            way_ids=[w for c in settings.closures for w in c.way_ids],
            names=[c.name for c in settings.closures if c.name],
            polygons=[list(c.polygon) for c in settings.closures if c.polygon is not None],
        )
        _CLOSURES[key] = report
    if len(_NETWORKS) > 8:
        _NETWORKS.pop(next(iter(_NETWORKS)))
    _NETWORKS[key] = network
    return network


def closure_report(scenario: Scenario) -> Any:
    """What the scenario's road closures closed (a ``ClosureReport``), or None without any."""
    if not scenario.network.closures or scenario.network.file is None:
        return None
    road_network(scenario)
    return _CLOSURES.get(_network_key(scenario))


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
    network = road_network(scenario)
    if network is None:
        message = (
            "no road network in the scenario: distances are straight lines x "
            f"{scenario.parameters.detour_factor:g} at {FALLBACK_SPEED_KMH:g} km/h"
        )
        straight = pairwise_haversine_m(
            origins["lat"], origins["lon"], destinations["lat"], destinations["lon"]
        )
        distance = straight * scenario.parameters.detour_factor
        zeros_o = np.zeros(len(origins))
        zeros_d = np.zeros(len(destinations))
        return Travel(
            distance, distance / (FALLBACK_SPEED_KMH / 3.6), False, zeros_o, zeros_d, (message,)
        )
    from optimizer.geo.matrix import travel_matrix

    matrix = travel_matrix(
        network,
        origins.set_index("id")[["lat", "lon"]],
        destinations.set_index("id")[["lat", "lon"]],
    )
    notes = []
    report = closure_report(scenario)
    if report is not None:
        notes.append("road closures: " + report.summary().replace("\n", ";"))
    far = [str(i) for i, f in zip(matrix.origin_ids, matrix.origin_far, strict=True) if f]
    far += [
        str(i) for i, f in zip(matrix.destination_ids, matrix.destination_far, strict=True) if f
    ]
    if far:
        notes.append(f"far from any road, left unreached: {', '.join(far[:10])}")
    return Travel(
        matrix.distance_m,
        matrix.time_s,
        True,
        matrix.origin_snap_m,
        matrix.destination_snap_m,
        tuple(notes),
    )


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
    network = road_network(scenario)
    if network is None:
        ends = pairs[["origin_lon", "origin_lat", "destination_lon", "destination_lat"]]
        return [
            line([(x0, y0), (x1, y1)], {**{k: row[k] for k in keep}, "on_roads": False})
            for (x0, y0, x1, y1), (_, row) in zip(
                ends.to_numpy(float), pairs.iterrows(), strict=True
            )
        ]
    from optimizer.geo import route_geometries

    frame = route_geometries(network, pairs.reset_index(drop=True))
    features = []
    for _, row in frame.iterrows():
        geometry = row.geometry
        props = {k: row[k] for k in keep}
        props.update(on_roads=True, road_km=row["distance_m"] / 1000, road_min=row["time_s"] / 60)
        features.append(line([] if geometry is None else geometry.coords, props))
    return features
