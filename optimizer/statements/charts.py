"""Small pictures for the statements, drawn offline with matplotlib as SVG.

A supplier's drop points on a small map drawn from their coordinates alone (no map tiles, no
network), and the assembly's chart of what each cooperative would pay alone against its
share of the pooled bill. Each is returned as a ``data:`` URI for an ``<img>``, so that the
HTML and the PDF carry it inside.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Callable, Sequence
from typing import Any

from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter
from matplotlib.transforms import blended_transform_factory

__all__ = ["cost_chart", "drop_map"]

_INK, _LIGHT, _ACCENT = "#1f2933", "#9aa5b1", "#2f7d32"


def _plain(text: str) -> str:
    """User text drawn as written: a ``$`` would start matplotlib's mathematics."""
    return text.replace("$", r"\$")


def _uri(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def drop_map(
    supplier: tuple[str, float, float],
    drops: Sequence[tuple[str, float, float]],
    *,
    km_label: str = "km",
) -> str:
    """The supplier (a square) and its drop points (dots, numbered as on the sheet).

    Points are ``(name, lat, lon)``; the map is drawn in an equirectangular projection at the
    points' mean latitude, so that distances read right, with a scale bar under it.
    """
    lats = [supplier[1], *(d[1] for d in drops)]
    lons = [supplier[2], *(d[2] for d in drops)]
    squash = math.cos(math.radians(sum(lats) / len(lats)))
    # a box of at least 2 km, padded so that no dot is cut at an edge
    width = max((max(lons) - min(lons)) * squash, 0.018)
    height = max(max(lats) - min(lats), 0.018)
    pad = 0.12 * max(width, height)
    mid_lon, mid_lat = (max(lons) + min(lons)) / 2, (max(lats) + min(lats)) / 2
    half_w, half_h = width / 2 + pad, height / 2 + pad
    inches = 2.6 / max(half_w, half_h)
    figure = Figure(figsize=(max(inches * half_w, 1.2), max(inches * half_h, 1.2)))
    axes = figure.add_axes((0.0, 0.1, 1.0, 0.9))
    axes.set_xlim(mid_lon - half_w / squash, mid_lon + half_w / squash)
    axes.set_ylim(mid_lat - half_h, mid_lat + half_h)
    axes.set_aspect(1 / squash)
    for lat, lon in ((d[1], d[2]) for d in drops):
        axes.plot([supplier[2], lon], [supplier[1], lat], color=_LIGHT, linewidth=0.8, zorder=1)
    axes.plot([supplier[2]], [supplier[1]], "s", color=_INK, markersize=7, zorder=2)
    for number, (_, lat, lon) in enumerate(drops, start=1):
        axes.plot([lon], [lat], "o", color=_ACCENT, markersize=11, zorder=3)
        axes.annotate(
            str(number), (lon, lat), ha="center", va="center", color="white", fontsize=7,
            fontweight="bold", zorder=4,
        )  # fmt: skip
    axes.set_xticks([])
    axes.set_yticks([])
    for side in axes.spines.values():
        side.set_color(_LIGHT)
    _scale_bar(axes, squash, 2 * half_w, km_label)
    return _uri(figure)


def _scale_bar(axes: Any, squash: float, width_deg: float, km_label: str) -> None:
    """A bar of a round number of km, about a quarter of the map's width, under the map."""
    km_per_deg = 111.32  # along a parallel, after the projection's squash
    target = width_deg * km_per_deg / 4
    length_km = next(k for k in (0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1e9) if k >= target)
    x0 = axes.get_xlim()[0]
    start = x0 + 0.03 * (axes.get_xlim()[1] - x0)
    end = start + length_km / (km_per_deg * squash)
    under = blended_transform_factory(axes.transData, axes.transAxes)
    axes.plot([start, end], [-0.05, -0.05], color=_INK, linewidth=2, transform=under,
              clip_on=False)  # fmt: skip
    axes.text(end, -0.05, f"  {length_km:g} {km_label}", transform=under, va="center",
              fontsize=7, color=_INK)  # fmt: skip


def cost_chart(
    groups: Sequence[str],
    alone: Sequence[float],
    pooled: Sequence[float],
    *,
    alone_label: str,
    pooled_label: str,
    axis_label: str,
    number: Callable[[float], str],
) -> str:
    """Bars per group: what its members would pay alone against their pooled bills.

    ``number`` writes the axis' figures the language's way.
    """
    figure = Figure(figsize=(6.2, 2.4))
    axes = figure.add_subplot()
    rows = range(len(groups))
    height = 0.38
    axes.barh([r + height / 2 for r in rows], alone, height, color=_LIGHT, label=alone_label)
    axes.barh([r - height / 2 for r in rows], pooled, height, color=_ACCENT, label=pooled_label)
    axes.set_yticks(list(rows), [_plain(g) for g in groups], fontsize=8)
    axes.xaxis.set_major_formatter(FuncFormatter(lambda x, _: number(x)))
    axes.invert_yaxis()
    axes.set_xlabel(axis_label, fontsize=8)
    axes.tick_params(axis="x", labelsize=7)
    axes.legend(fontsize=7, frameon=False, loc="lower right")
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    return _uri(figure)
