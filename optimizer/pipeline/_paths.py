"""Road paths kept with their road network: a what-if on the same roads (a price, a payload)
draws only the paths it has not drawn before. Private to :mod:`optimizer.pipeline.travel`."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["road_paths"]

ENDS = ["origin_lat", "origin_lon", "destination_lat", "destination_lon"]
KEPT = 20_000  # road paths kept per network (a few kB each at most)


def road_paths(
    network: Any, kept: dict[tuple[float, ...], tuple[Any, float, float]], pairs: pd.DataFrame
) -> list[tuple[Any, float, float]]:
    """The road path of every pair of ``pairs`` (its :data:`ENDS`) on ``network``: its
    (lon, lat) points or None, distance_m, time_s. Paths in ``kept`` (this network's, by
    their ends) are taken as they are; the others are drawn in one batch and kept."""
    from optimizer.geo import route_geometries

    ends = [tuple(map(float, e)) for e in pairs[ENDS].to_numpy(dtype=np.float64)]
    known: dict[tuple[float, ...], tuple[Any, float, float]] = {}
    for end in dict.fromkeys(ends):
        path = kept.get(end)  # another session may clear the store meanwhile
        if path is not None:
            known[end] = path
    new = [end for end in dict.fromkeys(ends) if end not in known]
    if new:
        frame = route_geometries(network, pd.DataFrame(new, columns=ENDS))
        if len(kept) + len(new) > KEPT:
            kept.clear()
        for end, geometry, distance_m, time_s in zip(
            new, frame.geometry, frame["distance_m"], frame["time_s"], strict=True
        ):
            coords = None if geometry is None else np.asarray(geometry.coords)
            known[end] = kept[end] = (coords, float(distance_m), float(time_s))
    return [known[end] for end in ends]
