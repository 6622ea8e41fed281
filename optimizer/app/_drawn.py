"""Which result lines a map draws: all of them, or a layer's busiest when it has too many.

A layer of thousands of member-to-buyer lines (Markets at 1,500 members: 1,988 lines,
270,000 points) cannot be read on a map, and it is sent to the browser on every run of the
page. Such a layer is drawn as its lines that carry the most (revenue where the lines have
it, else quantity), with a note saying how many are left out and what share they carry; the
tables and the GeoJSON download keep every line.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from optimizer.io.format import format_number

__all__ = ["MAX_LINES", "busiest_lines"]

#: the most lines a layer is drawn with (the default scenario's layers have a few hundred)
MAX_LINES = 400
# what a line carries, in the order they are looked for: money compares across products,
# quantities only within one
_WEIGHTS = ("revenue", "quantity")

Layers = Mapping[str, Sequence[Mapping[str, Any]]]


def busiest_lines(layers: Layers, *, limit: int = MAX_LINES) -> tuple[dict[str, Any], list[str]]:
    """``layers`` with each layer of more than ``limit`` weighed lines cut to its ``limit``
    busiest lines (points and other features stay), and one note per layer cut.

    A layer whose lines carry no weight (a route's legs) is drawn whole: leaving out legs
    would break its tours.
    """
    drawn: dict[str, Any] = {}
    notes: list[str] = []
    for name, features in layers.items():
        lines = [f for f in features if _is_line(f)]
        weight = _weight(lines)
        if len(lines) <= limit or weight is None:
            drawn[name] = list(features)
            continue
        values = [_value(f, weight) for f in lines]
        order = sorted(range(len(lines)), key=lambda i: -values[i])
        kept = {id(lines[i]) for i in order[:limit]}
        drawn[name] = [f for f in features if not _is_line(f) or id(f) in kept]
        total = sum(values)
        share = sum(values[i] for i in order[:limit]) / total if total > 0 else 0.0
        notes.append(
            f"Of the {len(lines):,} {name.replace('_', ' ')} lines, the map draws the "
            f"{limit:,} with the highest {weight} ({format_number(100 * share, '%')} of their "
            f"{weight}); the other {len(lines) - limit:,} are in the tables and the GeoJSON "
            "download."
        )
    return drawn, notes


def _is_line(feature: Mapping[str, Any]) -> bool:
    geometry = feature.get("geometry") or {}
    return geometry.get("type") in ("LineString", "MultiLineString")


def _weight(lines: Sequence[Mapping[str, Any]]) -> str | None:
    """The property every line has a number for, the first of :data:`_WEIGHTS`; None if none."""
    for key in _WEIGHTS:
        values = [(f.get("properties") or {}).get(key) for f in lines]
        if values and all(isinstance(v, int | float) and math.isfinite(v) for v in values):
            return key
    return None


def _value(feature: Mapping[str, Any], key: str) -> float:
    return float((feature.get("properties") or {})[key])
