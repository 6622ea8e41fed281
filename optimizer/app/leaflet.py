"""The interactive map (Leaflet through folium): pan, zoom, and a click on a road.

It draws no tiles (``tiles=None``), but the browser fetches the Leaflet library from its CDN,
so it needs a connection; :func:`optimizer.app.map.show_map` offers it as an option.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from optimizer.app.palette import (
    CLOSED,
    ROAD,
    ROLE_COLOURS,
    SKIPPED,
    cooperative_colours,
    line_palette,
)
from optimizer.io.geojson import collection

__all__ = ["folium_map"]


def folium_map(
    points: list[dict[str, Any]],
    lines: list[dict[str, Any]],
    roads: Sequence[Mapping[str, Any]],
    *,
    key: str,
    height: int,
    cooperatives: Sequence[str] = (),
) -> dict[str, Any] | None:
    """The Leaflet map; the properties of the road last clicked (None when none was)."""
    import folium
    from streamlit_folium import st_folium

    lats = [p["lat"] for p in points] or [0.0]
    lons = [p["lon"] for p in points] or [0.0]
    fmap = folium.Map(
        location=[float(np.mean(lats)), float(np.mean(lons))],
        tiles=None,
        zoom_start=11,
        control_scale=True,
    )
    if roads:
        clickable = [
            {
                **f,
                "properties": {**f["properties"], "closure": f.get("closure"), "way": f.get("way")},
            }
            for f in roads
        ]
        folium.GeoJson(
            collection(clickable, roads=True),
            name="roads",
            style_function=lambda f: {
                "color": CLOSED if f["properties"]["closed"] else ROAD,
                "weight": 3 if f["properties"]["closed"] else 1,
            },
            tooltip=folium.GeoJsonTooltip(fields=["name", "highway"]),
        ).add_to(fmap)
    groups, colours = line_palette(lines, cooperatives)
    for feature in lines:
        colour = colours[groups.index(feature["properties"]["group"])]
        folium.GeoJson(
            feature,
            style_function=lambda f, c=colour: {"color": c, "weight": 4},
            tooltip=f"{feature['properties']['line']} ({feature['properties']['group']})",
        ).add_to(fmap)
    palette = cooperative_colours([*cooperatives, *(p["group"] for p in points)])
    for point in points:
        role = point["role"]
        colour = palette[point["group"]] if role == "member" else ROLE_COLOURS.get(role, "#444")
        tip = f"{point['name']} ({point['id']}), {point['group']}"
        if role == "member":
            folium.CircleMarker(
                [point["lat"], point["lon"]], radius=4, color=colour, fill=True, tooltip=tip
            ).add_to(fmap)
        else:
            sides = {"buyer": 4, "supplier": 5, "hub": 3, SKIPPED: 4}.get(role.split(" (")[0], 6)
            folium.RegularPolygonMarker(
                [point["lat"], point["lon"]],
                number_of_sides=sides,
                radius=9,
                rotation=45 if role == SKIPPED else 0,
                color=colour,
                fill=True,
                fill_opacity=0.9,
                tooltip=tip,
            ).add_to(fmap)
    fmap.fit_bounds([[min(lats), min(lons)], [max(lats), max(lons)]])
    state = st_folium(
        fmap,
        key=key,
        height=height,
        use_container_width=True,
        returned_objects=["last_active_drawing"],
    )
    drawing = (state or {}).get("last_active_drawing") or {}
    props = drawing.get("properties") or {}
    return dict(props) if props.get("layer") == "roads" else None
