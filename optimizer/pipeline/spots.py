"""Places that share a spot on the roads, so that a travel matrix needs one row per spot.

A place's trips depend only on where it joins the roads (the road node it snaps to; the snap
distance is reported, never added), so places at the same spot have the same row and column
in every travel matrix. Thousands of farms around a few hundred villages join the roads at far
fewer spots than there are farms (15,000 members of the ladder's federation at 2,877 road
nodes): matrices over one place per spot hold every trip at a fraction of the memory and of the
road searches. Without a road network, places at the same coordinates share a spot; a place
left unreached (far from every road) has a spot of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from optimizer.pipeline.travel import (
    _cut_off,
    _place_names,
    _road_notes,
    _roads,
    _straight_note,
)
from optimizer.scenario.scenario import Scenario

__all__ = ["Spots", "travel_spots"]

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Spots:
    """The spot of each place (``of[i]``, numbered from 0 in order of first appearance) and
    what the trips between the places warn of (as :func:`~optimizer.pipeline.travel.travel`
    says it for every place)."""

    of: IntArray
    warnings: tuple[str, ...] = ()

    @property
    def count(self) -> int:
        return int(self.of.max(initial=-1)) + 1


def travel_spots(scenario: Scenario, points: pd.DataFrame) -> Spots:
    """Where each of ``points`` (``id``, ``lat``, ``lon``) meets the scenario's roads.

    Snapping only: no road is searched.
    """
    roads = _roads(scenario)
    if roads is None:
        xy = points[["lat", "lon"]].to_numpy(float)
        return Spots(_numbered(xy), (_straight_note(scenario),))
    from optimizer.geo import road_spots

    names = _place_names(scenario)
    cut = _cut_off(roads, points, points.iloc[:0], names)
    raw, snap_m = road_spots(roads.network, points[["lat", "lon"]].to_numpy(float))
    far = raw < 0
    # a place left unreached stands alone: its own negative key
    key = np.where(far, -1 - np.arange(len(raw)), raw)
    notes = _road_notes(roads, points, snap_m, far, cut, names)
    return Spots(_numbered(key[:, None]), tuple(notes))


def _numbered(keys: npt.NDArray[np.generic]) -> IntArray:
    """Equal rows of ``keys`` get the same number, from 0 in order of first appearance."""
    _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    inverse = np.asarray(inverse).reshape(-1)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))
    return rank[inverse]
