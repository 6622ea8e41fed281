"""The map's and charts' colours, shapes and symbol sizes, one place for all of them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "CLOSED",
    "COOP_COLOURS",
    "OTHER_LINES",
    "ROAD",
    "ROLE_COLOURS",
    "ROLE_SHAPES",
    "ROLE_SIZES",
    "SHARED",
    "SKIPPED",
    "cooperative_colours",
    "line_palette",
]

# Colours: the Okabe-Ito palette, safe for the common colour-vision deficiencies (M. Okabe and
# K. Ito, "Color Universal Design", 2008, https://jfly.uni-koeln.de/color/). Vermillion is kept
# for closed roads and farms not collected; cooperatives (their members and routes) take the
# other colours; places that are not members are told apart by shape and shades of grey.
CLOSED = "#D55E00"  # vermillion
COOP_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#F0E442"]
ROAD = "#c4c4c4"
OTHER_LINES = ["#404040", "#8c8c8c", "#000000"]  # lines of no one cooperative
SHARED = "shared by several cooperatives"
SKIPPED = "farm not collected"
ROLE_COLOURS = {
    "buyer": "#555555",
    "supplier": "#8c8c8c",
    "hub": "#a6a6a6",
    "hub (open)": "#000000",
    SKIPPED: CLOSED,
}
ROLE_SHAPES = {
    "member": "circle",
    "buyer": "square",
    "supplier": "diamond",
    "hub": "triangle-up",
    "hub (open)": "triangle-up",
    SKIPPED: "cross",
}
ROLE_SIZES = {"buyer": 90, "supplier": 110, "hub": 90, "hub (open)": 220, SKIPPED: 160}


def cooperative_colours(names: Sequence[str]) -> dict[str, str]:
    """One colour per cooperative, in the scenario's order: the same on maps and charts."""
    unique = list(dict.fromkeys(names))
    return {name: COOP_COLOURS[i % len(COOP_COLOURS)] for i, name in enumerate(unique)}


def line_palette(
    lines: Sequence[Mapping[str, Any]], cooperatives: Sequence[str] = ()
) -> tuple[list[str], list[str]]:
    """The line groups (cooperatives in the scenario's order, then the others) and their
    colours: a cooperative's colour as on its members, greys for the rest, never
    :data:`CLOSED`."""
    present = {str(f["properties"]["group"]) for f in lines}
    coops = [c for c in dict.fromkeys(cooperatives) if c in present]
    others = sorted(present - set(coops), key=lambda g: (g != SHARED, g))
    palette = cooperative_colours(list(cooperatives))
    colours = [palette[c] for c in coops]
    colours += [OTHER_LINES[i % len(OTHER_LINES)] for i in range(len(others))]
    return coops + others, colours
