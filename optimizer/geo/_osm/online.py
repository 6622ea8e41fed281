"""Downloading roads with osmnx, only when the caller asked for it."""

from __future__ import annotations

from typing import Any

from optimizer.errors import InputError, Problem
from optimizer.geo._osm.read import RawRoads, read_graph

__all__ = ["download"]


def download(place: str | None, *, area: Any) -> RawRoads:
    """Download the drivable roads of a place name or of ``area`` (lon/lat geometry)."""
    import osmnx

    where = place if place is not None else f"bounding box {area.bounds if area else None}"
    try:
        if place is not None:
            graph = osmnx.graph_from_place(place, network_type="drive", retain_all=True)
        elif area is not None:
            graph = osmnx.graph_from_polygon(area, network_type="drive", retain_all=True)
        else:
            raise InputError(Problem("network", "a file, a place name or a bounding box"))
    except InputError:
        raise
    except Exception as error:  # no connection, unknown place, Overpass refusing
        raise InputError(
            Problem(
                where,
                f"roads downloaded with osmnx, but the download failed ({error}); "
                "pass an OSM file (.osm.pbf, .osm.bz2) instead",
            )
        ) from error
    return read_graph(graph, name=where)
