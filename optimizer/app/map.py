"""Maps for the app: places, road lines and result layers, drawn without online tiles.

Two renderers share one set of GeoJSON features. The default is a Vega-Lite chart, which
Streamlit draws with the libraries it ships, so it works with no internet at all: the roads
themselves are the background. The interactive folium map (pan, zoom, click) is offered
as an option; it draws no tiles either (``tiles=None``), but the browser fetches the
Leaflet library from its CDN, so it needs a connection. Both carry the OpenStreetMap
attribution.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from optimizer.io.geojson import OSM_ATTRIBUTION, collection, line
from optimizer.io.write import places_geojson
from optimizer.scenario.scenario import Scenario

__all__ = [
    "ATTRIBUTION",
    "cooperative_colours",
    "map_features",
    "road_features",
    "show_map",
    "vega_map",
]

ATTRIBUTION = f"Map data {OSM_ATTRIBUTION.replace('(ODbL 1.0)', '').strip()}, ODbL 1.0"
# road classes drawn as the background (the rest would only clutter the picture)
_MAJOR = {
    "motorway": 3.0,
    "trunk": 2.5,
    "primary": 2.0,
    "secondary": 1.6,
    "tertiary": 1.2,
    "unclassified": 0.8,
    "track": 0.5,
}
_ROLE_COLOURS = {
    "buyer": "#d62728",
    "supplier": "#8c564b",
    "hub": "#8a8a8a",
    "hub (open)": "#111111",
}
_ROLE_SHAPES = {
    "member": "circle",
    "buyer": "square",
    "supplier": "diamond",
    "hub": "triangle-up",
    "hub (open)": "triangle-up",
}
_ROLE_SIZES = {"buyer": 90, "supplier": 110, "hub": 90, "hub (open)": 220}
_COOP_COLOURS = ["#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#17becf", "#e377c2", "#bcbd22"]
_LINE_COLOURS = [
    "#e41a1c",
    "#377eb8",
    "#4daf4a",
    "#984ea3",
    "#ff7f00",
    "#a65628",
    "#f781bf",
    "#999999",
    "#1b9e77",
    "#d95f02",
    "#7570b3",
    "#e7298a",
    "#66a61e",
    "#e6ab02",
    "#17becf",
    "#393b79",
    "#8c6d31",
    "#843c39",
    "#7b4173",
    "#3182bd",
]
_LEGEND = {"labelLimit": 260, "symbolLimit": 60, "titleLimit": 260}
_LEGEND_ROW_PX = 30  # the height of one legend entry as Streamlit's theme draws it


def cooperative_colours(names: Sequence[str]) -> dict[str, str]:
    """One colour per cooperative, in the scenario's order: the same on maps and charts."""
    unique = list(dict.fromkeys(names))
    return {name: _COOP_COLOURS[i % len(_COOP_COLOURS)] for i, name in enumerate(unique)}


@st.cache_resource(show_spinner=False, max_entries=8)
def road_features(key: str, _network: Any) -> list[dict[str, Any]]:
    """The network's major roads as GeoJSON lines (closed ones marked), for a background."""
    network = _network
    if network is None:
        return []
    edges = network.edges()
    keep = np.array(edges["highway"].isin(list(_MAJOR)), dtype=bool)
    # one feature per undirected edge: skip the reverse of a two-way road
    u, v = edges["u"].to_numpy(), edges["v"].to_numpy()
    pair = pd.Series(list(zip(np.minimum(u, v), np.maximum(u, v), edges["way_id"], strict=True)))
    keep &= ~pair.duplicated().to_numpy()
    features = []
    for e in np.flatnonzero(keep).tolist():
        segs = network.edge_segs[network.edge_ptr[e] : network.edge_ptr[e + 1]]
        raw = np.concatenate([network.seg_u[segs[:1]], network.seg_v[segs]])
        coords = np.column_stack([network.lon[raw], network.lat[raw]]).round(5)
        row = edges.iloc[e]
        properties = {
            "layer": "roads",
            "name": str(row["name"] or row["ref"] or row["highway"]),
            "highway": str(row["highway"]),
            "closed": not bool(row["open"]),
        }
        features.append(line(coords.tolist(), properties))
    return features


def map_features(
    scenario: Scenario, layers: Mapping[str, Sequence[Mapping[str, Any]]] | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(points, lines): the scenario's places and the points and lines of result layers."""
    coops = {c.id: c.name for c in scenario.cooperatives}
    points, lines = [], []
    for feature in places_geojson(scenario):
        props = dict(feature["properties"])
        lon, lat = feature["geometry"]["coordinates"]
        role = props.get("role", "place")
        group = coops.get(props.get("cooperative") or "", role) if role == "member" else role
        points.append(
            {
                "lon": lon,
                "lat": lat,
                "role": role,
                "group": group,
                "id": str(props.get("id", "")),
                "name": str(props.get("name", "")),
                "detail": str(props.get("kind") or props.get("tags") or ""),
            }
        )
    for layer, features in (layers or {}).items():
        for item in features:
            geometry = dict(item.get("geometry") or {})
            extra = dict(item.get("properties") or {})
            if geometry.get("type") in ("LineString", "MultiLineString"):
                properties = {"layer": layer, "line": _line_label(layer, extra), "tip": _tip(extra)}
                coords = geometry["coordinates"]
                parts = [coords] if geometry["type"] == "LineString" else coords
                lines += [line(part, properties) for part in parts]
            elif geometry.get("type") == "Point":
                lon, lat = geometry["coordinates"][:2]
                role = str(extra.get("role") or _singular(layer))
                if "open" in extra:
                    if not extra["open"]:
                        continue  # a closed candidate: the place is on the map already
                    role = f"{role} (open)"
                points.append(
                    {
                        "lon": lon,
                        "lat": lat,
                        "role": role,
                        "group": role,
                        "id": str(extra.get("id", "")),
                        "name": str(extra.get("name", layer)),
                        "detail": _tip(extra),
                    }
                )
    return points, lines


def _singular(layer: str) -> str:
    return layer[:-1] if layer.endswith("s") and not layer.endswith("ss") else layer


def _line_label(layer: str, props: Mapping[str, Any]) -> str:
    for key in ("route", "vehicle", "corridor", "cooperative", "member", "buyer", "name"):
        if props.get(key) not in (None, ""):
            return f"{layer}: {props[key]}"
    return layer


def _tip(props: Mapping[str, Any]) -> str:
    parts = []
    for key, value in list(props.items())[:6]:
        shown = f"{value:,.2f}" if isinstance(value, float) else value
        parts.append(f"{key}: {shown}")
    return "; ".join(parts)


def show_map(
    scenario: Scenario,
    *,
    layers: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    roads: Sequence[Mapping[str, Any]] = (),
    key: str = "map",
    height: int = 520,
) -> None:
    """Draw places, roads and result layers with the renderer chosen in the sidebar."""
    points, lines = map_features(scenario, layers)
    if not points and not lines:
        st.info("Nothing to draw: the scenario has no places.")
        return
    interactive = bool(st.session_state.get("interactive_map", False))
    if interactive:
        st.info(
            "The interactive map needs an internet connection: the browser loads its map "
            "library (Leaflet) from the web, and without a connection the map stays blank. "
            "Switch off 'Interactive map' in the sidebar for the map that works offline."
        )
        _folium_map(points, lines, roads, key=key, height=height)
    else:
        order = [c.name for c in scenario.cooperatives]
        spec = vega_map(points, lines, roads, height=height, cooperatives=order)
        st.vega_lite_chart(spec, width="stretch")
    st.caption(
        f"{ATTRIBUTION}. Members are coloured by cooperative; buyers are squares, suppliers "
        "diamonds, hubs triangles (open hubs large and black); closed roads are red."
    )


# --------------------------------------------------------------------- vega-lite
def vega_map(
    points: list[dict[str, Any]],
    lines: list[dict[str, Any]],
    roads: Sequence[Mapping[str, Any]],
    *,
    height: int = 520,
    cooperatives: Sequence[str] = (),
) -> dict[str, Any]:
    """A Vega-Lite map spec (written as a dict: Altair's validation of thousands of road
    features would take seconds on every rerun).

    Places get one legend (colour and shape of each cooperative or kind of place), lines
    another (in two columns when there are many); the chart grows so both fit beside it.
    ``cooperatives`` orders the cooperatives' colours as :func:`cooperative_colours` does.
    """
    line_labels = list(dict.fromkeys(str(f["properties"]["line"]) for f in lines))
    line_columns = 2 if len(line_labels) > 10 else 1
    groups = list(dict.fromkeys(p["group"] for p in points))
    legend_rows = -(-len(line_labels) // line_columns) + len(groups) + 4
    height = max(height, legend_rows * _LEGEND_ROW_PX)
    layers: list[dict[str, Any]] = []
    if roads:
        layers.append(_roads_layer(roads))
    if lines:
        layers.append(_lines_layer(lines, line_labels, line_columns))
    if points:
        layers.append(_points_layer(points, groups, cooperatives))
    return {
        "height": height,
        "projection": {"type": "mercator"},
        "layer": layers,
    }


def _roads_layer(roads: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Grey road lines, closed roads red."""
    return {
        "data": {"values": list(roads)},
        "mark": {"type": "geoshape", "filled": False, "strokeWidth": 0.7},
        "encoding": {
            "stroke": {
                "condition": {"test": "datum.properties.closed", "value": "#e41a1c"},
                "value": "#b8b8b8",
            },
            "tooltip": [
                {"field": "properties.name", "type": "nominal", "title": "road"},
                {"field": "properties.highway", "type": "nominal", "title": "class"},
            ],
        },
    }


def _lines_layer(lines: list[dict[str, Any]], labels: list[str], columns: int) -> dict[str, Any]:
    """Result lines (routes, corridors), one colour per label."""
    return {
        "data": {"values": lines},
        "mark": {"type": "geoshape", "filled": False, "strokeWidth": 2.5},
        "encoding": {
            "stroke": {
                "field": "properties.line",
                "type": "nominal",
                "title": "route / corridor",
                "scale": {"domain": labels, "range": _LINE_COLOURS},
                "legend": {**_LEGEND, "columns": columns},
            },
            "tooltip": [
                {"field": "properties.line", "type": "nominal", "title": "line"},
                {"field": "properties.tip", "type": "nominal", "title": "details"},
            ],
        },
    }


def _points_layer(
    points: list[dict[str, Any]], groups: list[str], cooperatives: Sequence[str]
) -> dict[str, Any]:
    """Places: members coloured by cooperative, other kinds of place in their own colour."""
    # members first (by cooperative), then the other kinds of place
    members = [g for g in groups if g not in _ROLE_COLOURS and g in set(cooperatives)]
    others = [g for g in groups if g not in _ROLE_COLOURS and g not in members]
    groups = (
        [g for g in dict.fromkeys(cooperatives) if g in members]
        + others
        + [g for g in _ROLE_COLOURS if g in groups]
    )
    coop_colours = cooperative_colours([*cooperatives, *others])
    colours = [_ROLE_COLOURS.get(g) or coop_colours[g] for g in groups]
    role_of = {p["group"]: p["role"] for p in points}
    shapes = [_ROLE_SHAPES.get(role_of[g], "cross") for g in groups]
    drawn = [{**p, "size": _ROLE_SIZES.get(p["role"], 55)} for p in points]
    drawn.sort(key=lambda p: p["size"])  # big symbols (hubs) on top
    return {
        "data": {"values": drawn},
        "mark": {"type": "point", "filled": True, "opacity": 0.9},
        "encoding": {
            "longitude": {"field": "lon", "type": "quantitative"},
            "latitude": {"field": "lat", "type": "quantitative"},
            "size": {"field": "size", "type": "quantitative", "scale": None},
            "color": {
                "field": "group",
                "type": "nominal",
                "title": "cooperative / place",
                "scale": {"domain": groups, "range": colours},
                "legend": _LEGEND,
            },
            "shape": {
                "field": "group",
                "type": "nominal",
                "title": "cooperative / place",
                "scale": {"domain": groups, "range": shapes},
                "legend": _LEGEND,
            },
            "tooltip": [
                {"field": f, "type": "nominal"} for f in ("name", "id", "role", "group", "detail")
            ],
        },
    }


# --------------------------------------------------------------------- folium
def _folium_map(
    points: list[dict[str, Any]],
    lines: list[dict[str, Any]],
    roads: Sequence[Mapping[str, Any]],
    *,
    key: str,
    height: int,
) -> None:
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
        folium.GeoJson(
            collection(roads, roads=True),
            name="roads",
            style_function=lambda f: {
                "color": "#e41a1c" if f["properties"]["closed"] else "#9a9a9a",
                "weight": 1,
            },
            tooltip=folium.GeoJsonTooltip(fields=["name", "highway"]),
        ).add_to(fmap)
    labels = list(dict.fromkeys(f["properties"]["line"] for f in lines))
    for feature in lines:
        colour = _LINE_COLOURS[labels.index(feature["properties"]["line"]) % len(_LINE_COLOURS)]
        folium.GeoJson(
            feature,
            style_function=lambda f, c=colour: {"color": c, "weight": 4},
            tooltip=feature["properties"]["line"],
        ).add_to(fmap)
    groups = list(dict.fromkeys(p["group"] for p in points if p["role"] == "member"))
    for point in points:
        role = point["role"]
        if role == "member":
            colour = _COOP_COLOURS[groups.index(point["group"]) % len(_COOP_COLOURS)]
        else:
            colour = _ROLE_COLOURS.get(role, "#444444")
        tip = f"{point['name']} ({point['id']}), {point['group']}"
        if role == "member":
            folium.CircleMarker(
                [point["lat"], point["lon"]], radius=4, color=colour, fill=True, tooltip=tip
            ).add_to(fmap)
        else:
            sides = {"buyer": 4, "supplier": 5, "hub": 3}.get(role, 6)
            folium.RegularPolygonMarker(
                [point["lat"], point["lon"]],
                number_of_sides=sides,
                radius=9,
                color=colour,
                fill=True,
                fill_opacity=0.9,
                tooltip=tip,
            ).add_to(fmap)
    fmap.fit_bounds([[min(lats), min(lons)], [max(lats), max(lons)]])
    st_folium(fmap, key=key, height=height, use_container_width=True, returned_objects=[])
