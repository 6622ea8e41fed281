"""Distances on the Earth's surface: one radius and one great-circle formula for the project.

Used for snapping points to roads, for segment lengths of roads read from OpenStreetMap and for
the straight-line fallback when a scenario has no road network.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["EARTH_RADIUS_M", "haversine_m", "pairwise_haversine_m"]

# The IUGG mean Earth radius R1 = (2a + b) / 3 of the WGS 84 ellipsoid, in metres
# (Moritz, "Geodetic Reference System 1980", Bulletin Géodésique 54, 1980).
EARTH_RADIUS_M = 6_371_008.8


def haversine_m(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> Any:
    """Great-circle distance in metres between points given in degrees.

    Arguments broadcast like numpy arrays (scalars give a float, arrays an array).
    """
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp = p2 - p1
    dl = np.radians(lon2) - np.radians(lon1)
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def pairwise_haversine_m(
    lat_a: Any, lon_a: Any, lat_b: Any, lon_b: Any
) -> np.ndarray[Any, np.dtype[np.float64]]:
    """The ``(len(a), len(b))`` matrix of great-circle distances in metres."""
    lat_a, lon_a = np.asarray(lat_a, float)[:, None], np.asarray(lon_a, float)[:, None]
    lat_b, lon_b = np.asarray(lat_b, float)[None, :], np.asarray(lon_b, float)[None, :]
    return np.asarray(haversine_m(lat_a, lon_a, lat_b, lon_b), dtype=float)
